# Benchmarks: bench/<name>.c, each printing a ratio against its limit measured in the same process.
BENCHES += attest_verify
