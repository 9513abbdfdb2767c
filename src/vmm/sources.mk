# VMM (vmm) and its backends.
LIB_SRCS += src/vmm/vmm.c src/vmm/vm.c src/vmm/vm_snp.c src/vmm/launch.c src/vmm/cpuid_table.c src/vmm/exits.c
LIB_SRCS += src/vmm/backend.c src/vmm/vcpus.c src/vmm/guest_mem.c src/vmm/sim.c src/vmm/sim_dirty.c src/vmm/trace.c
LIB_SRCS += src/vmm/certs_provider.c
# kvm backend: a real VM on /dev/kvm (contract src/vmm/kvm.h, guest protocol <snpemu/abi/runtime.h>).
LIB_SRCS += src/vmm/kvm_vm.c src/vmm/kvm_vcpu.c src/vmm/kvm_x86.c src/vmm/kvm_elf.c src/vmm/kvm_dirty.c
# kvm backend of the VMM: a program's ELF image (struct vmm_program) in a KVM VM, every exit mapped to the engine /
# firmware model / exit handler.
LIB_SRCS += src/vmm/kvm_backend.c
LIB_SRCS += src/vmm/program_file.c # `snpemu run PATH`: guest programs from files (NAME.elf, NAME.so)
