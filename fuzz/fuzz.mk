# libFuzzer targets: fuzz/<name>.c, seed corpus in fuzz/corpus/<name>/.
FUZZERS += abi_decode
FUZZERS += attest_ovmf
FUZZERS += attest_report attest_certs attest_ghcb
FUZZERS += hv_vmgexit
FUZZERS += fw_guest_msg
FUZZERS += fw_cpuid
FUZZERS += fw_cert_table
FUZZERS += guest_hostile_hv
# The guest library's AES-256-GCM against OpenSSL (differential).
FUZZERS += guest_aes_gcm
FUZZERS += vmm_elf
# `snpemu run PATH`: the checks of a program file (ELF image, shared object) before anything loads it.
FUZZERS += vmm_program_image
# The VMM's whole exit path (vmm_vcpu_vmgexit + the exit handler, sim) under fuzzed GHCB MSRs, pages, page states.
FUZZERS += vmm_exit_path
FUZZERS += hv_psc
FUZZERS += hv_guest_req
FUZZERS += kds_url
$(O)/fuzz/hv_guest_req: $(O)/tests/fw/fw_fixture.o $(O)/tests/fw/guest_helper.o
# AES-GCM is constant time: no comparison depends on its data, so libFuzzer's comparison tracing (most of the
# target's time) guides nothing there.
ifeq ($(VARIANT),fuzz)
$(O)/src/guest/aes_gcm.o: CFLAGS += -fno-sanitize-coverage=trace-cmp
endif
FUZZERS += migrate_stream fw_migrate_import
# Live migration, the VMM's side: CONFIG and VCPU sections, the back channel, the engine's state import.
FUZZERS += vmm_migrate_state
