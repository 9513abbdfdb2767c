CLI_SRCS += src/cli/main.c
CLI_SRCS += src/cli/cmd_measure.c
CLI_SRCS += src/cli/cmd_run.c
CLI_SRCS += src/cli/cmd_verify.c src/cli/cmd_decode.c src/cli/attest_io.c
CLI_SRCS += src/cli/cmd_certs.c
# snpemu kds: the local Key Distribution Service (src/kds; the CLI links $(NET_LIBS)).
CLI_SRCS += src/cli/cmd_kds.c
CLI_SRCS += src/cli/cmd_report.c
CLI_SRCS += src/cli/cli_opts.c
CLI_SRCS += src/cli/cli_output.c
# snpemu bench (the suites' sources are added by bench/bench.mk).
CLI_SRCS += src/cli/cmd_bench.c
CLI_SRCS += src/cli/cli_migrate.c
