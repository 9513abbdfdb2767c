# configfs-tsm report entries (include/snpemu/tsm.h): attribute rules and parsers, the entry store with the
# kernel's locking and generations, the tsmd guest as provider.  The FUSE filesystem over them is the CLI's
# (src/cli/sources.mk), built where libfuse3 is.
LIB_SRCS += src/tsm/attr.c src/tsm/reports.c src/tsm/guest_provider.c
