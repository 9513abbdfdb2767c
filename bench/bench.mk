BENCHES += hv_psc
