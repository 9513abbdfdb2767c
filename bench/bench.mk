# Benchmarks: bench/<name>.c, each printing a ratio against its limit measured in the same process.
BENCHES += attest_verify
# Benchmarks: bench/<name>.c; each prints ratios against the limit its issue names.
BENCHES += hv_vmgexit
