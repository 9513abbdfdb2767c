# Guest library tests against a scripted fake hypervisor (fake_hv.c; OpenSSL as the independent AES-GCM).
TESTS += guest/test_msr guest/test_nae guest/test_psc guest/test_guest_req guest/test_mem guest/test_vc
# The library's own AES-256-GCM against known answers and OpenSSL.
TESTS += guest/test_aes_gcm
TEST_EXTRA_guest/test_msr := tests/guest/fake_hv.c
TEST_EXTRA_guest/test_nae := tests/guest/fake_hv.c
TEST_EXTRA_guest/test_psc := tests/guest/fake_hv.c
TEST_EXTRA_guest/test_guest_req := tests/guest/fake_hv.c
TEST_EXTRA_guest/test_vc := tests/guest/fake_hv.c
# The guest library is freestanding: its sources include only the compiler's stdint/stddef/stdbool, snpemu's own
# headers (checked on every build).
all: $(O)/tests/guest/includes.ok
$(O)/tests/guest/includes.ok: $(wildcard src/guest/*.c src/guest/*.h) include/snpemu/guest.h
	@mkdir -p $(dir $@)
	@bad=$$(grep -h '^#include' $^ | grep -v -E '<(stdint|stddef|stdbool)\.h>|<snpemu/|"abi/|"internal\.h"' || true); \
	if [ -n "$$bad" ]; then echo "guest library includes outside its freestanding set: $$bad" >&2; exit 1; fi; touch $@
# vCPUs sharing one guest-request channel (also under TSan).
TESTS += guest/test_greq_threads
TSAN_TESTS += guest/test_greq_threads
TEST_EXTRA_guest/test_greq_threads := tests/guest/fake_hv.c
# The same suite on the objects guests run: src/guest/ compiled with the freestanding guest flags
# (-mgeneral-regs-only, no PIC), linked without libsnpemu (hence -no-pie).
TESTS += guest/test_aes_gcm_freestanding
GUEST_AES_OBJS := $(addprefix $(O)/guests/obj/src/guest/,aes_gcm.o mem.o msg_crypto.o)
$(O)/tests/guest/test_aes_gcm_freestanding: $(O)/tests/guest/test_aes_gcm.o $(GUEST_AES_OBJS)
	$(CC) $(LDFLAGS) -no-pie -o $@ $^ $(CMOCKA_LIBS) $(CRYPTO_LIBS)
