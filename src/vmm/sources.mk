# VMM (vmm) and its backends.
LIB_SRCS += src/vmm/vmm.c src/vmm/vm.c src/vmm/vm_snp.c src/vmm/launch.c src/vmm/cpuid_table.c src/vmm/exits.c
LIB_SRCS += src/vmm/backend.c src/vmm/vcpus.c src/vmm/guest_mem.c src/vmm/sim.c src/vmm/dirty_uffd.c src/vmm/dirty_vmm.c src/vmm/trace.c
LIB_SRCS += src/vmm/certs_provider.c
# Live migration (issue 15): the VMM stream's sections, the socket, the source and the destination.
LIB_SRCS += src/vmm/migrate_state.c src/vmm/migrate_wire.c src/vmm/migrate_src.c src/vmm/migrate_dst.c
# kvm backend: a real VM on /dev/kvm (contract src/vmm/kvm.h, guest protocol <snpemu/abi/runtime.h>).
LIB_SRCS += src/vmm/kvm_vm.c src/vmm/kvm_vcpu.c src/vmm/kvm_x86.c src/vmm/kvm_elf.c src/vmm/kvm_dirty.c
# kvm backend of the VMM: a program's ELF image (struct vmm_program) in a KVM VM, every exit mapped to the engine /
# firmware model / exit handler.
LIB_SRCS += src/vmm/kvm_backend.c src/vmm/x86_exits.c
LIB_SRCS += src/vmm/program_file.c # `snpemu run PATH`: guest programs from files (NAME.elf, NAME.so)
# tcg backend: the same guest programs on the Unicorn CPU emulator (contract src/vmm/tcg.h), where libunicorn-dev
# is installed; without it the library builds without the backend and says so in one line.
HAVE_UNICORN := $(shell pkg-config --exists unicorn 2>/dev/null && echo 1)
ifeq ($(HAVE_UNICORN),1)
LIB_SRCS += src/vmm/tcg_vm.c src/vmm/tcg_vcpu.c src/vmm/tcg_vc.c src/vmm/tcg_backend.c
CPPFLAGS += -DSNPEMU_HAVE_TCG=1
LIBS += $(shell pkg-config --libs unicorn)
else
$(info snpemu: libunicorn-dev not found (pkg-config unicorn): building without the tcg backend)
endif
