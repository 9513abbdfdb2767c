# Benchmarks: bench/<name>.c, each printing a ratio against its limit measured in the same process.
BENCHES += attest_verify
# Benchmarks: bench/<name>.c; each prints ratios against the limit its issue names.
BENCHES += hv_vmgexit
# Benchmarks: bench/<name>.c, linked with the library; `make bench` runs them.
BENCHES += fw_bench
# Benchmarks: bench/<name>.c, linked with the library; `make bench` runs them.
BENCHES += kvm_io
# kvm backend: GHCB NAE / MSR-protocol round trips against a bare KVM IO exit, sim side by side (issue 7).
BENCHES += kvm_nae
