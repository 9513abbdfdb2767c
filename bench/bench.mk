# Benchmarks: bench/<name>.c, linked with the library; each prints ratios against the limit its issue names,
# measured in the same process.  `make bench` runs them all.
BENCHES += attest_verify hv_vmgexit fw_bench kvm_io hv_psc
# kvm backend: GHCB NAE / MSR-protocol round trips against a bare KVM IO exit, sim side by side (issue 7).
BENCHES += kvm_nae
# The sim dirty log: cost per write-faulted page, pages/s tracked (issue 11).
BENCHES += vmm_dirty
# The guest library's AES-256-GCM against OpenSSL's (issue 13).
BENCHES += guest_aes_gcm
