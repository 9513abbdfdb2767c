# Attestation tools (attest): report and chain verification, report-field tables, cert-table parsing, the expected
# launch measurement.  crypto_*.c are the files of this part that call libcrypto.
LIB_SRCS += src/attest/verify.c src/attest/chain.c src/attest/crypto_verify.c src/attest/report_fields.c src/attest/cert_table.c
LIB_SRCS += src/attest/measure.c src/attest/ovmf.c src/attest/vmsa.c src/attest/crypto_sha256.c
# Roots of trust (AMD's genuine ARKs), revocation (CRL), and the KDS client (libcurl: binaries using it add $(NET_LIBS)).
LIB_SRCS += src/attest/trust_anchors.c src/attest/crypto_crl.c src/attest/kds_client.c
