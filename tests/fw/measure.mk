# Expected launch measurement: OVMF parser, VMSA builder, launch sequence, snpemu measure.
TESTS += fw/test_ovmf fw/test_measure
