# Freestanding guest programs for the kvm backend: static x86-64 ELFs linked at SNPEMU_IMAGE_GPA with the guest
# runtime (guests/rt/).  A program is its source path without .c, listed in KVM_GUESTS by the fragment that uses
# it; it builds to $(O)/guests/<path>.elf.  Guest code gets its own flags, never $(CFLAGS): no sanitizers, no PIC.
# -mgeneral-regs-only: some KVM hosts run ring-0 guest code in KVM's instruction emulator (PVM, the nested "KVM"
# of cloud sandboxes), which knows few SSE instructions; the VM enables SSE (CR4.OSFXSR) for code that wants it,
# but compiler-generated SSE would make guests host-dependent.
# GUEST_ARCH_CFLAGS is also what the installed SDK gives users' guests (snpemu-guest.pc, src/guest/sdk.mk).
GUEST_ARCH_CFLAGS := -ffreestanding -fno-pie -fno-pic -mno-red-zone -fno-stack-protector \
	-fno-asynchronous-unwind-tables -fno-unwind-tables -fcf-protection=none -fno-omit-frame-pointer \
	-mcmodel=small -mgeneral-regs-only
GUEST_CFLAGS := -std=c11 -O2 $(GUEST_ARCH_CFLAGS) $(WARN) -Iinclude -Iguests/rt -MMD -MP
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

# The built-in guest programs: each guests/<name>.c, written against <snpemu/guest_program.h> like a user's program.
# Adding one is its file plus one word here.  They are not part of libsnpemu: each is built twice from the same
# source, into libsnpemu_programs.a for the sim backend (with the registry, guests/registry.c, which also carries
# the ELF images) and as a freestanding ELF for the kvm backend; the CLI and the tests link the archive.
GUEST_PROGRAMS := hello attest psc smp hostile storm fault bench memfault terminate ghcbmsr ticker vc tsmd migrate

# The kvm ELFs: the program, guests/runtime.c, the guest library (src/guest/, compiled here with the guest flags)
# and guests/kvm_main.c compiled once per program with -DKVM_PROGRAM=<name>.  Nothing from a C library: the guest
# library carries its own AES-GCM (src/guest/aes_gcm.c).
KVM_PROGRAMS := $(GUEST_PROGRAMS)
KVM_PROGRAM_DIR := $(O)/guests/programs
KVM_PROGRAM_ELFS := $(KVM_PROGRAMS:%=$(KVM_PROGRAM_DIR)/%.elf)
GUEST_LIB_FOR_KVM := src/guest/mem.c src/guest/msr.c src/guest/ghcb.c src/guest/nae.c src/guest/psc.c \
	src/guest/msg_crypto.c src/guest/aes_gcm.c src/guest/guest_req.c src/guest/guest_msgs.c \
	src/guest/platform_kvm.c src/guest/platform_snp.c src/guest/vc.c guests/runtime.c guests/rt/program_main.c
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
	$(CC) $(GUEST_LDFLAGS) -o $@ $(filter %.o,$^)

# The sim builds (freestanding, like the guest library) and the registry, generated from GUEST_PROGRAMS.
GUEST_PROGRAM_SRCS := guests/runtime.c $(GUEST_PROGRAMS:%=guests/%.c)
$(GUEST_PROGRAM_SRCS:%.c=$(O)/%.o): CFLAGS += -ffreestanding
PROGRAMS_LIB := $(O)/libsnpemu_programs.a
PROGRAMS_LIB_OBJS := $(GUEST_PROGRAM_SRCS:%.c=$(O)/%.o) $(O)/guests/registry.o
$(KVM_PROGRAM_DIR)/programs.h: guests/guests.mk
	@mkdir -p $(dir $@)
	@printf '%s\n' $(foreach p,$(GUEST_PROGRAMS),'SNPEMU_PROGRAM($(p))') >$@
$(O)/guests/registry.o: $(KVM_PROGRAM_ELFS) $(KVM_PROGRAM_DIR)/programs.h
$(O)/guests/registry.o: CPPFLAGS += -DSNPEMU_PROGRAM_DIR=\"$(abspath $(KVM_PROGRAM_DIR))\" \
	-DSNPEMU_PROGRAM_LIST=\"$(abspath $(KVM_PROGRAM_DIR))/programs.h\"
$(PROGRAMS_LIB): $(PROGRAMS_LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^
