# libFuzzer targets: fuzz/<name>.c, seed corpus in fuzz/corpus/<name>/.
FUZZERS += abi_decode
FUZZERS += guest_hostile_hv
