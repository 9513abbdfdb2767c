# Benchmarks: bench/<name>.c; each prints ratios against the limit its issue names.
BENCHES += hv_vmgexit
