# Every guest program end to end on the sim backend.
TESTS += vmm/test_programs
TSAN_TESTS += vmm/test_programs
# Every guest program end to end on the kvm backend (each test skips with one line where /dev/kvm is unusable).
TESTS += vmm/test_programs_kvm
TSAN_TESTS += vmm/test_programs_kvm
$(O)/tests/vmm/test_programs_kvm: $(KVM_TEST_GUEST_ELFS)
$(O)/tests/vmm/test_programs_kvm.o: CPPFLAGS += -DKVM_GUEST_DIR=\"$(abspath $(O))/guests/tests/vmm\" -Itests/vmm
# bench/kvm_nae runs the bare-IO loop of the bench test guest.
$(O)/bench/kvm_nae: $(O)/guests/tests/vmm/guest_bench.elf
$(O)/bench/kvm_nae.o: CPPFLAGS += -DKVM_GUEST_DIR=\"$(abspath $(O))/guests/tests/vmm\"
# The program runner the suites share, and the cases the x86 backends (kvm, tcg) share.
$(O)/tests/vmm/test_programs $(O)/tests/vmm/test_programs_kvm: $(O)/tests/vmm/program_run.o
$(O)/tests/vmm/test_programs_kvm: $(O)/tests/vmm/program_cases.o
