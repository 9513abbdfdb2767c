# Guest library tests against a scripted fake hypervisor (fake_hv.c; OpenSSL as the independent AES-GCM).
TESTS += guest/test_msr guest/test_nae guest/test_psc guest/test_guest_req
TEST_EXTRA_guest/test_msr := tests/guest/fake_hv.c
TEST_EXTRA_guest/test_nae := tests/guest/fake_hv.c
TEST_EXTRA_guest/test_psc := tests/guest/fake_hv.c
TEST_EXTRA_guest/test_guest_req := tests/guest/fake_hv.c
