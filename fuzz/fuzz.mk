# libFuzzer targets: fuzz/<name>.c, seed corpus in fuzz/corpus/<name>/.
FUZZERS += abi_decode
FUZZERS += fw_ovmf
FUZZERS += hv_vmgexit
FUZZERS += hv_psc
FUZZERS += hv_guest_req
$(O)/fuzz/hv_guest_req: $(O)/tests/fw/fw_fixture.o $(O)/tests/fw/guest_helper.o
