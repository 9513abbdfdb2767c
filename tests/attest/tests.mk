# Expected launch measurement: OVMF parser, VMSA builder, launch sequence, snpemu measure.
TESTS += attest/test_ovmf attest/test_measure
