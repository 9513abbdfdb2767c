# Firmware model (fw).  crypto*.c are the only files that call libcrypto.
LIB_SRCS += src/fw/crypto.c src/fw/launch_digest.c
LIB_SRCS += src/fw/crypto_hash256.c src/fw/ovmf.c src/fw/vmsa.c src/fw/measure.c
