# Engine (hv): the hypervisor side of the GHCB protocol.
LIB_SRCS += src/hv/vm.c src/hv/vcpu.c src/hv/memory.c src/hv/stats.c src/hv/nae_table.c src/hv/scratch.c \
	src/hv/ioio.c src/hv/mmio.c src/hv/msr.c src/hv/hypercall.c src/hv/cpuid.c src/hv/nae_handlers_misc.c \
	src/hv/msr_protocol.c
# SNP: page-state changes, AP creation, guest requests, rate limit.
LIB_SRCS += src/hv/psc.c src/hv/ap.c src/hv/guest_req.c src/hv/rate_limit.c
# Live migration: the engine state export and import.
LIB_SRCS += src/hv/migrate.c
