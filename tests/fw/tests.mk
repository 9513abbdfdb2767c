# Firmware model tests.  Extra objects are explicit prerequisites (the Makefile's TEST_EXTRA_<name> lookup does not
# expand for stems with a '/').
FW_TEST_HELPERS := $(O)/tests/fw/guest_helper.o $(O)/tests/fw/fw_fixture.o
TESTS += fw/test_launch_digest
TESTS += fw/test_guest_msg
$(O)/tests/fw/test_guest_msg: $(FW_TEST_HELPERS)
TSAN_TESTS += fw/test_guest_msg
TESTS += fw/test_certs
TESTS += fw/test_report
$(O)/tests/fw/test_report: $(FW_TEST_HELPERS)
TESTS += fw/test_launch
TESTS += fw/test_rmp
TSAN_TESTS += fw/test_rmp
TESTS += fw/test_cli_certs
$(O)/tests/fw/test_cli_certs: $(O)/src/cli/cmd_certs.o $(O)/src/cli/cli_opts.o $(O)/src/cli/attest_io.o \
	$(O)/src/cli/cli_output.o
TESTS += fw/test_rmp_range
TESTS += fw/test_migrate
$(O)/tests/fw/test_migrate: $(FW_TEST_HELPERS)
TESTS += fw/test_migrate_stream
TSAN_TESTS += fw/test_migrate
