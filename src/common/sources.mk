# Shared by every part: ABI names and text decoders.
LIB_SRCS += src/common/names.c src/common/decode.c src/common/decode_attest.c
LIB_SRCS += src/common/migrate_stream.c
