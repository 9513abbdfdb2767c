# VMM (vmm) and its backends.
# kvm backend: a real VM on /dev/kvm (contract src/vmm/kvm.h, guest protocol guests/rt/rt_abi.h).
LIB_SRCS += src/vmm/kvm_vm.c src/vmm/kvm_vcpu.c src/vmm/kvm_x86.c src/vmm/kvm_elf.c
