# VMM (vmm) and its backends.
LIB_SRCS += src/vmm/certs_provider.c
