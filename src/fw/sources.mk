# Firmware model (fw).  crypto*.c are the only files that call libcrypto.
LIB_SRCS += src/fw/crypto.c src/fw/launch_digest.c
LIB_SRCS += src/fw/crypto_hash256.c src/fw/ovmf.c src/fw/vmsa.c src/fw/measure.c
LIB_SRCS += src/fw/verify.c src/fw/crypto_verify.c src/fw/report_fields.c src/fw/attest_cert_table.c
LIB_SRCS += src/fw/crypto_keys.c src/fw/crypto_cert.c src/fw/platform.c
LIB_SRCS += src/fw/cert_table.c src/fw/rmp.c
LIB_SRCS += src/fw/cpuid.c src/fw/guest.c
LIB_SRCS += src/fw/guest_msg.c src/fw/msg_payload.c
LIB_SRCS += src/fw/crypto_bench.c
