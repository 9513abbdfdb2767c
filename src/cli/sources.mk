CLI_SRCS += src/cli/main.c
CLI_SRCS += src/cli/cmd_certs.c
