CLI_SRCS += src/cli/main.c
CLI_SRCS += src/cli/cmd_measure.c
CLI_SRCS += src/cli/cmd_run.c src/cli/cli_util.c
