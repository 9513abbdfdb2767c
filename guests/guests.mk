# Freestanding guest programs for the kvm backend: static x86-64 ELFs linked at RT_IMAGE_BASE with the guest
# runtime (guests/rt/).  A program is its source path without .c, listed in KVM_GUESTS by the fragment that uses
# it; it builds to $(O)/guests/<path>.elf.  Guest code gets its own flags, never $(CFLAGS): no sanitizers, no PIC.
# -mgeneral-regs-only: some KVM hosts run ring-0 guest code in KVM's instruction emulator (PVM, the nested "KVM"
# of cloud sandboxes), which knows few SSE instructions; the VM enables SSE (CR4.OSFXSR) for code that wants it,
# but compiler-generated SSE would make guests host-dependent.
GUEST_CFLAGS := -std=c11 -O2 -ffreestanding -fno-pie -fno-pic -mno-red-zone -fno-stack-protector \
	-fno-asynchronous-unwind-tables -fno-unwind-tables -fcf-protection=none -fno-omit-frame-pointer \
	-mcmodel=small -mgeneral-regs-only $(WARN) -Iinclude -Iguests/rt -MMD -MP
GUEST_LDFLAGS := -nostdlib -static -Wl,-T,guests/rt/guest.ld -Wl,--build-id=none \
	-Wl,-z,max-page-size=4096 -Wl,-z,noexecstack
GUEST_RT_SRCS := guests/rt/start.S guests/rt/rt.c guests/rt/string.c
GUEST_RT_OBJS := $(patsubst %,$(O)/guests/obj/%.o,$(basename $(GUEST_RT_SRCS)))
KVM_GUESTS :=

$(O)/guests/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(GUEST_CFLAGS) -c $< -o $@

$(O)/guests/obj/%.o: %.S
	@mkdir -p $(dir $@)
	$(CC) $(GUEST_CFLAGS) -c $< -o $@

$(O)/guests/%.elf: $(O)/guests/obj/%.o $(GUEST_RT_OBJS) guests/rt/guest.ld
	@mkdir -p $(dir $@)
	$(CC) $(GUEST_LDFLAGS) -o $@ $< $(GUEST_RT_OBJS)
