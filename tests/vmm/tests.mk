# Certificate provider for SNP_REQ_CERTS exits (issue 5).
TESTS += vmm/test_certs_provider
