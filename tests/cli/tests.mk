# Attestation tools: the verification library, the report/certificate-table/PSC parsers, and the snpemu CLI
# (test_cli runs the built binary, whose path it gets as SNPEMU_CLI).
TESTS += cli/test_verify cli/test_parsers cli/test_cli cli/test_synthetic
$(O)/tests/cli/test_cli.o: CPPFLAGS += -DSNPEMU_CLI=\"$(abspath $(CLI))\"
$(O)/tests/cli/test_cli: $(CLI)
TESTS += cli/test_roundtrip
TESTS += cli/test_report_cli
$(O)/tests/cli/test_report_cli.o: CPPFLAGS += -DSNPEMU_CLI=\"$(abspath $(CLI))\"
$(O)/tests/cli/test_report_cli: $(CLI)
# Shell table runners: $(O)/tests/cli/<name> runs tests/cli/<name>.sh in the source tree against this build's CLI.
CLI_SHELL_TESTS := test_build test_cli_table test_kds test_tsm test_migrate
TESTS += $(CLI_SHELL_TESTS:%=cli/%)
# SNPEMU_TESTDIR is this build's tests/ directory, where a table finds its helper programs.
$(CLI_SHELL_TESTS:%=$(O)/tests/cli/%): $(O)/tests/cli/%: tests/cli/%.sh $(CLI)
	@mkdir -p $(dir $@)
	@printf '#!/bin/sh\nSNPEMU_SRCDIR=%s SNPEMU_CLI=%s SNPEMU_TESTDIR=%s exec %s/%s "$$@"\n' $(CURDIR) \
		$(abspath $(CLI)) $(abspath $(O)/tests) $(CURDIR) $< >$@ && chmod +x $@
# The relay that kills the destination at a chosen byte of the stream (test_migrate's mid-stream row).
$(O)/tests/cli/test_migrate: $(O)/tests/cli/cut_proxy
# All-or-nothing outputs, linked with the CLI's objects (no main).
TESTS += cli/test_cli_output
$(O)/tests/cli/test_cli_output: $(O)/src/cli/cmd_certs.o $(O)/src/cli/cli_opts.o $(O)/src/cli/attest_io.o \
	$(O)/src/cli/cli_output.o
# Live migration around `run`: the duration and address parsers, the sockets, the progress lines.
TESTS += cli/test_cli_migrate
$(O)/tests/cli/test_cli_migrate: $(O)/src/cli/cli_opts.o $(O)/src/cli/cli_migrate.o $(O)/src/cli/attest_io.o
TSAN_TESTS += cli/test_cli_migrate
