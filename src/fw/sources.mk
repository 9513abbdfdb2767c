# Firmware model (fw).  crypto*.c are, with src/attest/crypto_*.c, the only files that call libcrypto.
LIB_SRCS += src/fw/crypto.c src/fw/launch_digest.c
LIB_SRCS += src/fw/crypto_keys.c src/fw/crypto_cert.c src/fw/crypto_crl.c src/fw/platform.c
LIB_SRCS += src/fw/cert_table.c src/fw/rmp.c
LIB_SRCS += src/fw/cpuid.c src/fw/guest.c
LIB_SRCS += src/fw/guest_msg.c src/fw/msg_payload.c
LIB_SRCS += src/fw/crypto_bench.c
LIB_SRCS += src/fw/crypto_migrate.c src/fw/migrate_trust.c src/fw/migrate.c
