# Benchmarks: bench/<name>.c, linked with the library; each prints ratios against the limit its issue names,
# measured in the same process.  `make bench` runs them all.
BENCHES += attest_verify hv_vmgexit fw_bench kvm_io hv_psc
# kvm backend: GHCB NAE / MSR-protocol round trips against a bare KVM IO exit, sim side by side (issue 7).
BENCHES += kvm_nae
# Local KDS: requests/s on loopback per route against the in-process answer rate (issue 16).
BENCHES += kds
$(O)/bench/kds: LIBS += $(NET_LIBS)
