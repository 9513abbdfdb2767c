# The guest SDK (issue 13), installed by `make install`: <snpemu/guest.h>, <snpemu/guest_program.h>, the ABI
# headers, and, compiled with the freestanding guest flags of guests/guests.mk:
#   libsnpemu-guest.a      the guest library, the program runtime (guests/runtime.c) and the ELF runtime
#                          (guests/rt/: entry, doorbells, console, memcpy/memset) for NAME.elf (kvm, tcg), linked
#                          with the linker script at SNPEMU_IMAGE_GPA;
#   libsnpemu-guest-sim.a  the guest library and the program runtime as position-independent code with hidden
#                          symbols, for NAME.so, which the VMM's sim backend dlopens (the platform is the VMM's);
#   snpemu-guest.pc        Cflags/Libs for NAME.elf; variables sim_cflags/sim_libs for NAME.so.
GUEST_SDK_LIB := $(O)/libsnpemu-guest.a
GUEST_SDK_SIM_LIB := $(O)/libsnpemu-guest-sim.a
GUEST_SDK_LIB_SRCS := $(filter src/guest/%,$(GUEST_SRCS)) guests/runtime.c
GUEST_SDK_SRCS := $(GUEST_SDK_LIB_SRCS) guests/rt/program_main.c guests/rt/sdk_main.c $(GUEST_RT_SRCS)
GUEST_SDK_OBJS := $(patsubst %,$(O)/guests/obj/%.o,$(basename $(GUEST_SDK_SRCS)))
$(filter-out $(GUEST_LIB_FOR_KVM_OBJS),$(filter $(O)/guests/obj/src/guest/%,$(GUEST_SDK_OBJS))): GUEST_CFLAGS += -fno-builtin
GUEST_SDK_SIM_OBJS := $(patsubst %.c,$(O)/guests/sim/%.o,$(GUEST_SDK_LIB_SRCS) guests/rt/string.c)

$(O)/guests/sim/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(GUEST_CFLAGS) -fno-builtin -fPIC -fvisibility=hidden -c $< -o $@

$(GUEST_SDK_LIB): $(GUEST_SDK_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^
$(GUEST_SDK_SIM_LIB): $(GUEST_SDK_SIM_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^
lib: $(GUEST_SDK_LIB) $(GUEST_SDK_SIM_LIB)

# What a user's guest is compiled and linked with (installed paths substituted at install time).
GUEST_SDK_PC_CFLAGS := $(GUEST_ARCH_CFLAGS) -DSNPEMU_GUEST_SDK=1
GUEST_SDK_PC_LIBS := -nostdlib -static -Wl,-T,$${libdir}/snpemu/guest.ld -Wl,--build-id=none \
	-Wl,-z,max-page-size=4096 -Wl,-z,noexecstack -Wl,-u,_start
GUEST_SDK_PC_SIM_CFLAGS := -fPIC
GUEST_SDK_PC_SIM_LIBS := -shared -nostdlib -Wl,-z,defs -Wl,-z,noexecstack

.PHONY: install-guest-sdk
install: install-guest-sdk
install-guest-sdk: $(GUEST_SDK_LIB) $(GUEST_SDK_SIM_LIB)
	install -d $(DESTDIR)$(PREFIX)/lib/snpemu $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 644 $(GUEST_SDK_LIB) $(GUEST_SDK_SIM_LIB) $(DESTDIR)$(PREFIX)/lib/
	install -m 644 guests/rt/guest.ld $(DESTDIR)$(PREFIX)/lib/snpemu/guest.ld
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' -e 's|@CFLAGS@|$(GUEST_SDK_PC_CFLAGS)|' \
		-e 's|@LIBS@|$(GUEST_SDK_PC_LIBS)|' -e 's|@SIM_CFLAGS@|$(GUEST_SDK_PC_SIM_CFLAGS)|' \
		-e 's|@SIM_LIBS@|$(GUEST_SDK_PC_SIM_LIBS)|' snpemu-guest.pc.in \
		> $(DESTDIR)$(PREFIX)/lib/pkgconfig/snpemu-guest.pc
