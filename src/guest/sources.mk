# Guest library (gst_): freestanding, linked into guest programs and into libsnpemu for the sim backend and tests.
GUEST_SRCS += src/guest/mem.c src/guest/msr.c src/guest/ghcb.c src/guest/nae.c src/guest/psc.c \
	src/guest/msg_crypto.c src/guest/aes_gcm.c src/guest/guest_req.c src/guest/guest_msgs.c src/guest/platform_snp.c \
	src/guest/platform_kvm.c src/guest/vc.c
# No libc: -ffreestanding, and no builtins so the byte loops stay loops.
$(GUEST_SRCS:%.c=$(O)/%.o): CFLAGS += -ffreestanding -fno-builtin
