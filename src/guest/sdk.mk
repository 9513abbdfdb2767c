# The guest SDK (issue 13): libsnpemu-guest.a holds the guest library (src/guest/) and the kvm guest runtime
# (guests/rt/: entry, doorbells, console, memcpy/memset), compiled with the freestanding guest flags of
# guests/guests.mk; snpemu-guest.pc gives a user's build the same flags and the linker script.  `make install`
# installs both with <snpemu/guest.h> and the ABI headers.
GUEST_SDK_LIB := $(O)/libsnpemu-guest.a
GUEST_SDK_SRCS := $(filter src/guest/%,$(GUEST_SRCS)) $(GUEST_RT_SRCS)
GUEST_SDK_OBJS := $(patsubst %,$(O)/guests/obj/%.o,$(basename $(GUEST_SDK_SRCS)))
$(filter-out $(GUEST_LIB_FOR_KVM_OBJS),$(filter $(O)/guests/obj/src/guest/%,$(GUEST_SDK_OBJS))): GUEST_CFLAGS += -fno-builtin

$(GUEST_SDK_LIB): $(GUEST_SDK_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^
lib: $(GUEST_SDK_LIB)

# What a user's guest is compiled and linked with (installed paths substituted at install time).
GUEST_SDK_PC_CFLAGS := $(GUEST_ARCH_CFLAGS)
GUEST_SDK_PC_LIBS := -nostdlib -static -Wl,-T,$${libdir}/snpemu/guest.ld -Wl,--build-id=none \
	-Wl,-z,max-page-size=4096 -Wl,-z,noexecstack -Wl,-u,_start

.PHONY: install-guest-sdk
install: install-guest-sdk
install-guest-sdk: $(GUEST_SDK_LIB)
	install -d $(DESTDIR)$(PREFIX)/lib/snpemu $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 644 $(GUEST_SDK_LIB) $(DESTDIR)$(PREFIX)/lib/
	install -m 644 guests/rt/guest.ld $(DESTDIR)$(PREFIX)/lib/snpemu/guest.ld
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' -e 's|@CFLAGS@|$(GUEST_SDK_PC_CFLAGS)|' \
		-e 's|@LIBS@|$(GUEST_SDK_PC_LIBS)|' snpemu-guest.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/snpemu-guest.pc
