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
# snpemu tsm: the configfs-tsm report tree over FUSE (src/tsm/fuse_fs.c), where libfuse3 is installed
# (pkg-config fuse3); without it the CLI builds without the command and says so in one line.
HAVE_FUSE := $(shell pkg-config --exists fuse3 2>/dev/null && echo 1)
ifeq ($(HAVE_FUSE),1)
CLI_SRCS += src/cli/cmd_tsm.c src/tsm/fuse_fs.c
CPPFLAGS += -DSNPEMU_HAVE_FUSE=1
FUSE_LIBS := $(shell pkg-config --libs fuse3)
$(O)/src/tsm/fuse_fs.o: CPPFLAGS += $(shell pkg-config --cflags fuse3)
else
FUSE_LIBS :=
$(info snpemu: libfuse3-dev not found (pkg-config fuse3): building without snpemu tsm)
endif
