# Attestation tools: the verification library, the report/certificate-table/PSC parsers, and the snpemu CLI
# (test_cli runs the built binary, whose path it gets as SNPEMU_CLI).
TESTS += cli/test_verify cli/test_parsers cli/test_cli cli/test_synthetic
$(O)/tests/cli/test_cli.o: CPPFLAGS += -DSNPEMU_CLI=\"$(abspath $(CLI))\"
$(O)/tests/cli/test_cli: $(CLI)
TESTS += cli/test_roundtrip
TESTS += cli/test_report_cli
$(O)/tests/cli/test_report_cli.o: CPPFLAGS += -DSNPEMU_CLI=\"$(abspath $(CLI))\"
$(O)/tests/cli/test_report_cli: $(CLI)
