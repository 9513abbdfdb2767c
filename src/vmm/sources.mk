# VMM (vmm) and its backends.
LIB_SRCS += src/vmm/vmm.c src/vmm/vm.c src/vmm/vm_snp.c src/vmm/launch.c src/vmm/cpuid_table.c src/vmm/exits.c
LIB_SRCS += src/vmm/sim.c src/vmm/trace.c src/vmm/programs.c
LIB_SRCS += src/vmm/certs_provider.c
