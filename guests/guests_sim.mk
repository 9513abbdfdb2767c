# Guest programs, compiled into the VMM for the sim backend (freestanding, like the guest library).
GUEST_PROGRAM_SRCS := guests/runtime.c guests/hello.c guests/attest.c guests/psc.c guests/smp.c guests/hostile.c \
	guests/storm.c guests/fault.c guests/bench.c guests/memfault.c guests/terminate.c
GUEST_SRCS += $(GUEST_PROGRAM_SRCS)
$(GUEST_PROGRAM_SRCS:%.c=$(O)/%.o): CFLAGS += -ffreestanding
