# Certificate provider for SNP_REQ_CERTS exits (issue 5).
TESTS += vmm/test_certs_provider
# The checked guest-memory accessor and the guard pages around guest RAM.
TESTS += vmm/test_guest_mem
# The idle port: a vCPU with nothing to do sleeps, woken early by a stop or a pause.
TESTS += vmm/test_idle
TSAN_TESTS += vmm/test_idle
# kvm backend: the VM/vCPU API against real guests (skipped where /dev/kvm is unusable) and the ELF loader.
KVM_TEST_GUESTS := tests/vmm/guest_msr tests/vmm/guest_console tests/vmm/guest_fault tests/vmm/guest_smp \
	tests/vmm/guest_bench
KVM_GUESTS += $(KVM_TEST_GUESTS)
KVM_TEST_GUEST_ELFS := $(KVM_TEST_GUESTS:%=$(O)/guests/%.elf)
TESTS += vmm/test_kvm vmm/test_kvm_elf
TSAN_TESTS += vmm/test_kvm
all: $(KVM_TEST_GUEST_ELFS)
$(O)/tests/vmm/test_kvm $(O)/tests/vmm/test_kvm_elf: $(KVM_TEST_GUEST_ELFS)
$(O)/tests/vmm/test_kvm.o $(O)/tests/vmm/test_kvm_elf.o: CPPFLAGS += -DKVM_GUEST_DIR=\"$(abspath $(O))/guests/tests/vmm\"
# bench/kvm_io runs the bench guest.
$(O)/bench/kvm_io: $(O)/guests/tests/vmm/guest_bench.elf
$(O)/bench/kvm_io.o: CPPFLAGS += -DKVM_GUEST_DIR=\"$(abspath $(O))/guests/tests/vmm\"
# tcg backend's lower layer (tcg.h) against machine-code snippets: the SNP instructions, CPL-3 traps, faults, the
# CPU lock, stop requests, the virtual TSC.
ifeq ($(HAVE_UNICORN),1)
TESTS += vmm/test_tcg
TSAN_TESTS += vmm/test_tcg
# Every guest program end to end on the tcg backend (the guest library's real-instruction `snp` platform).
TESTS += vmm/test_programs_tcg
TSAN_TESTS += vmm/test_programs_tcg
# Live migration between two vmm_runs of one process over a socketpair (issue 15): programs, faults, refusals.
TESTS += vmm/test_migrate
TSAN_TESTS += vmm/test_migrate
$(O)/tests/vmm/test_programs_tcg: $(O)/tests/vmm/program_run.o $(O)/tests/vmm/program_cases.o
$(O)/tests/vmm/test_programs_tcg.o: CPPFLAGS += -Itests/vmm
endif
# The VMM's migration sections (VCPU with its x87/SSE part): round trip, refusals, the fuzz seed.
TESTS += vmm/test_migrate_state
# snpemu run PATH: program files on the ELF side (the .so side is tests/sdk/test_sdk.sh).
TESTS += vmm/test_program_file
# libsnpemu holds no guest program and no unprefixed symbol (nm over the built libraries).
TESTS += vmm/test_lib_symbols
$(O)/tests/vmm/test_lib_symbols: $(SHARED_LIB) $(PROGRAMS_LIB)
$(O)/tests/vmm/test_lib_symbols.o: CPPFLAGS += -DBUILD_DIR=\"$(abspath $(O))\"
# The backend operations migration needs (pause/resume, save/restore vCPU, dirty log) on sim and kvm.
TESTS += vmm/test_backend_ops
TSAN_TESTS += vmm/test_backend_ops
# The host service channel (vmm_service_*) with the tsmd program, without FUSE: sim, and tcg where built.
TESTS += vmm/test_service
TSAN_TESTS += vmm/test_service
