# Engine (hv): the hypervisor side of the GHCB protocol.
LIB_SRCS += src/hv/vm.c src/hv/vcpu.c src/hv/memory.c src/hv/stats.c src/hv/nae_table.c src/hv/scratch.c \
	src/hv/ioio.c src/hv/mmio.c src/hv/msr.c src/hv/hypercall.c src/hv/cpuid.c src/hv/nae_handlers_misc.c \
	src/hv/msr_protocol.c
