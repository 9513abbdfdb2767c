# Attestation tools: expected launch measurement (OVMF parser, VMSA builder, launch sequence, snpemu measure)
# and the cache of verified chains.
TESTS += attest/test_ovmf attest/test_measure
TESTS += attest/test_verify_cache
# The built-in roots of trust (AMD ARKs).
TESTS += attest/test_trust
