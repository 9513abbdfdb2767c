# ABI header tests: offsets against the spec notes, encode/decode round trips, names and decoders.
TESTS += abi/test_ghcb abi/test_msr_proto abi/test_psc abi/test_snp abi/test_run abi/test_decode
# The shared hexadecimal decoder (src/common/hex.h).
TESTS += abi/test_hex
# A translation unit with only the dual-use headers, compiled -ffreestanding -nostdlib (issue: guest use).
all: $(O)/tests/abi/freestanding.o
$(O)/tests/abi/freestanding.o: tests/abi/freestanding.c $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) -std=c99 -ffreestanding -nostdlib -fno-builtin $(WARN) -Iinclude -c $< -o $@
