# libFuzzer targets: fuzz/<name>.c, seed corpus in fuzz/corpus/<name>/.
FUZZERS += abi_decode
FUZZERS += attest_ovmf
FUZZERS += attest_report attest_certs attest_ghcb
FUZZERS += hv_vmgexit
FUZZERS += fw_guest_msg
FUZZERS += fw_cpuid
FUZZERS += fw_cert_table
FUZZERS += guest_hostile_hv
FUZZERS += vmm_elf
FUZZERS += hv_psc
FUZZERS += hv_guest_req
$(O)/fuzz/hv_guest_req: $(O)/tests/fw/fw_fixture.o $(O)/tests/fw/guest_helper.o
FUZZERS += migrate_stream fw_migrate_import
