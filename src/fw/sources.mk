# Firmware model (fw).  crypto*.c are the only files that call libcrypto.
LIB_SRCS += src/fw/crypto.c src/fw/launch_digest.c
LIB_SRCS += src/fw/crypto_hash256.c src/fw/ovmf.c src/fw/vmsa.c src/fw/measure.c
LIB_SRCS += src/fw/verify.c src/fw/crypto_verify.c src/fw/report_fields.c src/fw/attest_cert_table.c
