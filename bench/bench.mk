# Benchmarks: bench/<name>.c, linked with the library; each prints ratios against the limit its issue names,
# measured in the same process.  `make bench` runs them all.
BENCHES += kvm_io
# kvm backend: GHCB NAE / MSR-protocol round trips against a bare KVM IO exit, sim side by side (issue 7).
BENCHES += kvm_nae
# Suites (bench/bench.h): library functions that `snpemu bench` runs too; each program is the suite plus
# bench/bench_main.c compiled with -DBENCH_SUITE=bench_<name>.
BENCH_SUITES := hv_vmgexit hv_psc fw_bench attest_verify
BENCHES += $(BENCH_SUITES)
BENCH_SUITE_SRCS := bench/figures.c $(BENCH_SUITES:%=bench/%.c)
CLI_SRCS += $(BENCH_SUITE_SRCS)
BENCH_SUITE_FN_fw_bench := bench_fw
$(BENCH_SUITES:%=$(O)/bench/main_%.o): $(O)/bench/main_%.o: bench/bench_main.c $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -DBENCH_SUITE=$(or $(BENCH_SUITE_FN_$*),bench_$*) -c $< -o $@
$(BENCH_SUITES:%=$(O)/bench/%): $(O)/bench/%: $(O)/bench/%.o $(O)/bench/main_%.o $(O)/bench/figures.o $(STATIC_LIB)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(STATIC_LIB) $(LIBS)
# The sim dirty log: cost per write-faulted page, pages/s tracked (issue 11).
BENCHES += vmm_dirty
# tcg backend: a CPUID NAE round trip through `rep vmmcall` on Unicorn vs sim vs hardware; guest instructions/s vs
# native (issue 14).  Where libunicorn is installed.
ifeq ($(HAVE_UNICORN),1)
BENCHES += tcg_nae
# Live migration through vmm_run: a 256 MiB tcg guest over a socketpair; total, downtime, wire / touched (issue 15).
BENCHES += vmm_migrate
$(O)/bench/vmm_migrate: $(O)/bench/figures.o
endif
# The guest library's AES-256-GCM against OpenSSL's (issue 13).
BENCHES += guest_aes_gcm
# Local KDS: requests/s on loopback per route against the in-process answer rate (issue 16).
BENCHES += kds
$(O)/bench/kds: LIBS += $(NET_LIBS)
# Live migration, firmware side: private-page export+import vs OpenSSL AES-256-GCM, trust exchange (issue 15).
BENCHES += migrate
$(O)/bench/migrate: $(O)/bench/figures.o
# configfs-tsm: reports/s through the FUSE filesystem and through the host service channel, against the firmware
# model's direct rate (issue 16).  Where libfuse3 is (HAVE_FUSE, src/cli/sources.mk).
ifeq ($(HAVE_FUSE),1)
BENCHES += tsm
$(O)/bench/tsm: $(O)/src/tsm/fuse_fs.o $(O)/bench/fw_bench.o $(O)/bench/figures.o
$(O)/bench/tsm: LIBS += $(FUSE_LIBS)
$(O)/bench/tsm.o: CPPFLAGS += -Ibench
endif
# Live migration of a running VM: a 1 GiB tcg guest over loopback TCP between two vmm_run threads (issue 15).
ifeq ($(HAVE_UNICORN),1)
BENCHES += migrate_vm
$(O)/bench/migrate_vm: $(O)/bench/figures.o
endif
