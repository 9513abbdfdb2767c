# Benchmarks: bench/<name>.c, linked with the library; `make bench` runs them.
BENCHES += kvm_io
