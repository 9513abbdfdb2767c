# Every guest program end to end on the sim backend.
TESTS += vmm/test_programs
TSAN_TESTS += vmm/test_programs
