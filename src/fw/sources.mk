# Firmware model (fw).  crypto*.c are the only files that call libcrypto.
LIB_SRCS += src/fw/crypto.c src/fw/launch_digest.c
LIB_SRCS += src/fw/crypto_keys.c src/fw/crypto_cert.c src/fw/platform.c
