# Local KDS: the request target parser table, an in-process server on an ephemeral loopback port, the verifier's
# KDS client and revocation check.
TESTS += kds/test_kds
$(O)/tests/kds/test_kds: $(FW_TEST_HELPERS)
$(O)/tests/kds/test_kds: LIBS += $(NET_LIBS)
# The server's thread against the test's client: TSan-clean.
TSAN_TESTS += kds/test_kds
