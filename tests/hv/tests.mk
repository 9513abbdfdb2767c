# Engine (hv) tests.  The conformance runner prints its own "N passed, M failed" line.
# Extra objects of a test are explicit prerequisites of its binary (the link rule takes every .o prerequisite).
TESTS += hv/conformance
$(O)/tests/hv/conformance: $(O)/tests/hv/env.o $(O)/tests/hv/conformance_util.o $(O)/tests/hv/conformance_nae.o \
	$(O)/tests/hv/conformance_exits.o $(O)/tests/hv/conformance_snp.o $(O)/tests/hv/conformance_psc.o \
	$(O)/tests/fw/fw_fixture.o $(O)/tests/fw/guest_helper.o
TESTS += hv/test_api
$(O)/tests/hv/test_api: $(O)/tests/hv/env.o
TESTS += hv/test_mt
TSAN_TESTS += hv/test_mt
# SNP guest-request storm: 16 vCPU threads against the rate limit (TSan).
TESTS += hv/test_storm
TSAN_TESTS += hv/test_storm
$(O)/tests/hv/test_storm: $(O)/tests/fw/fw_fixture.o $(O)/tests/fw/guest_helper.o
TESTS += hv/test_snp_api
$(O)/tests/hv/test_snp_api: $(O)/tests/hv/env.o
# The engine's state for live migration: export, import, the import's checks.
TESTS += hv/test_state
$(O)/tests/hv/test_state: $(O)/tests/hv/env.o
