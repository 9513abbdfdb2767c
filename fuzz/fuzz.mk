# libFuzzer targets: fuzz/<name>.c, seed corpus in fuzz/corpus/<name>/.
FUZZERS += abi_decode
FUZZERS += fw_guest_msg
FUZZERS += fw_cpuid
FUZZERS += fw_cert_table
