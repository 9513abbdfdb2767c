# Attestation tools: the verification library, the report/certificate-table/PSC parsers, and the snpemu CLI
# (test_cli runs the built binary, whose path it gets as SNPEMU_CLI).
TESTS += cli/test_verify cli/test_parsers cli/test_cli cli/test_synthetic
$(O)/tests/cli/test_cli.o: CPPFLAGS += -DSNPEMU_CLI=\"$(abspath $(CLI))\"
$(O)/tests/cli/test_cli: $(CLI)
TESTS += cli/test_roundtrip
TESTS += cli/test_report_cli
$(O)/tests/cli/test_report_cli.o: CPPFLAGS += -DSNPEMU_CLI=\"$(abspath $(CLI))\"
$(O)/tests/cli/test_report_cli: $(CLI)
# Shell table runners: $(O)/tests/cli/<name> runs tests/cli/<name>.sh in the source tree.
CLI_SHELL_TESTS := test_build
TESTS += $(CLI_SHELL_TESTS:%=cli/%)
$(CLI_SHELL_TESTS:%=$(O)/tests/cli/%): $(O)/tests/cli/%: tests/cli/%.sh
	@mkdir -p $(dir $@)
	@printf '#!/bin/sh\nSNPEMU_SRCDIR=%s exec %s/%s "$$@"\n' $(CURDIR) $(CURDIR) $< >$@ && chmod +x $@
