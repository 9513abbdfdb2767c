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

$(O)/guests/obj/%.o: %.c $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(GUEST_CFLAGS) -c $< -o $@

$(O)/guests/obj/%.o: %.S $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(GUEST_CFLAGS) -c $< -o $@

$(O)/guests/%.elf: $(O)/guests/obj/%.o $(GUEST_RT_OBJS) guests/rt/guest.ld
	@mkdir -p $(dir $@)
	$(CC) $(GUEST_LDFLAGS) -o $@ $< $(GUEST_RT_OBJS)

# Every guest program of guests/ as its own ELF for the kvm backend, from the same sources as for sim: the program,
# guests/runtime.c, the guest library (src/guest/, compiled here with the guest flags) and guests/kvm_main.c
# compiled once per program with -DKVM_PROGRAM=<name>.  libbearssl.a (the library's AES-GCM) is Debian's: built
# with the stack protector, which guests/kvm_main.c serves (FS.base canary block, __stack_chk_fail, __memcpy_chk).
KVM_PROGRAMS := hello attest psc smp hostile storm fault bench memfault
KVM_PROGRAM_DIR := $(O)/guests/programs
KVM_PROGRAM_ELFS := $(KVM_PROGRAMS:%=$(KVM_PROGRAM_DIR)/%.elf)
GUEST_LIB_FOR_KVM := src/guest/mem.c src/guest/msr.c src/guest/ghcb.c src/guest/nae.c src/guest/psc.c \
	src/guest/msg_crypto.c src/guest/guest_req.c src/guest/guest_msgs.c src/guest/platform_kvm.c guests/runtime.c
GUEST_LIB_FOR_KVM_OBJS := $(GUEST_LIB_FOR_KVM:%.c=$(O)/guests/obj/%.o)
$(GUEST_LIB_FOR_KVM_OBJS): GUEST_CFLAGS += -fno-builtin

# Static patterns: a plain pattern rule would also offer itself (through make's built-in `%: %.o`) for the .d files
# that make tries to remake.
$(KVM_PROGRAMS:%=$(O)/guests/obj/guests/kvm_main_%.o): $(O)/guests/obj/guests/kvm_main_%.o: guests/kvm_main.c $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(GUEST_CFLAGS) -DKVM_PROGRAM=$* -c $< -o $@

$(KVM_PROGRAM_ELFS): $(KVM_PROGRAM_DIR)/%.elf: $(O)/guests/obj/guests/kvm_main_%.o $(O)/guests/obj/guests/%.o $(GUEST_LIB_FOR_KVM_OBJS) \
		$(GUEST_RT_OBJS) guests/rt/guest.ld
	@mkdir -p $(dir $@)
	$(CC) $(GUEST_LDFLAGS) -o $@ $(filter %.o,$^) -lbearssl

# The VMM carries the program images (src/vmm/kvm_images.c), so the CLI runs kvm guests from anywhere; the list of
# images is generated from KVM_PROGRAMS (a new program is one word there).
$(KVM_PROGRAM_DIR)/images.h: guests/guests.mk
	@mkdir -p $(dir $@)
	@printf '%s\n' $(foreach p,$(KVM_PROGRAMS),'KVM_IMAGE($(p))') >$@
$(O)/src/vmm/kvm_images.o: $(KVM_PROGRAM_ELFS) $(KVM_PROGRAM_DIR)/images.h
$(O)/src/vmm/kvm_images.o: CPPFLAGS += -DKVM_PROGRAM_DIR=\"$(abspath $(KVM_PROGRAM_DIR))\" \
	-DKVM_IMAGE_LIST=\"$(abspath $(KVM_PROGRAM_DIR))/images.h\"
