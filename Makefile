# snpemu: the AMD SEV-ES / SEV-SNP guest-hypervisor interface in userspace C.
#
#   make            library (static + shared), the snpemu CLI, tests, benchmarks
#   make check      install missing deps, build (gcc and clang, -Werror), run every suite + fuzz smoke
#   make asan       the whole suite under ASan + UBSan          make tsan    multi-vCPU suites under TSan
#   make fuzz       libFuzzer targets (clang)                   make fuzz-smoke  bounded runs of each target
#   make demo       build only the CLI, run the attest guest    make format / format-check
#   make install PREFIX=/usr/local
#
#   O=DIR           build root (default build); each variant builds in DIR/VARIANT, every sub-make included
#   VARIANT=default|clang|asan|tsan|fuzz, CC=..., WERROR=0: objects rebuild when the compiler or flags change
#
# Parts append their sources in the fragments included below (explicit lists, one fragment per part), so that a
# new file is one line in its part's fragment.

VERSION := 0.1.0
VARIANT ?= default
# O names the build root on the command line or in the environment; inside the makefiles $(O) is this variant's
# directory.  Sub-makes get the root back from the command line (MAKEOVERRIDES) and add their own variant.
ifneq ($(filter command line environment,$(origin O)),)
BUILD_ROOT := $(O)
else
BUILD_ROOT := build
endif
override O := $(BUILD_ROOT)/$(VARIANT)
# Every object depends on this file (rule below), fragments' own compile rules included.
FLAGS_STAMP := $(O)/.build-flags
PREFIX ?= /usr/local
WERROR ?= 1

CC ?= cc
ifeq ($(origin CC),default)
CC := cc
endif
ifeq ($(VARIANT),fuzz)
CC := clang
endif
ifeq ($(VARIANT),clang)
CC := clang
endif
ifeq ($(VARIANT),tsan)
CC := clang
endif

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
ifeq ($(WERROR),1)
WARN += -Werror
endif
OPT := -O2
SAN :=
ifeq ($(VARIANT),asan)
OPT := -O1
SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
endif
ifeq ($(VARIANT),tsan)
OPT := -O1
SAN := -fsanitize=thread -fno-omit-frame-pointer
endif
ifeq ($(VARIANT),fuzz)
OPT := -O1
SAN := -fsanitize=address,undefined,fuzzer-no-link -fno-sanitize-recover=undefined -fno-omit-frame-pointer
endif

CPPFLAGS += -Iinclude -Isrc -D_GNU_SOURCE -DSNPEMU_VERSION=\"$(VERSION)\" -DSNPEMU_SRCDIR=\"$(CURDIR)\"
CFLAGS += -std=c11 -g $(OPT) $(WARN) $(SAN) -fPIC -pthread -MMD -MP
LDFLAGS += $(SAN) -pthread
CRYPTO_LIBS := $(shell pkg-config --libs libcrypto 2>/dev/null || echo -lcrypto)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
JSON_LIBS := $(shell pkg-config --libs json-c 2>/dev/null || echo -ljson-c)
# The migration stream's digest (XXH3-128).
XXHASH_LIBS := $(shell pkg-config --libs libxxhash 2>/dev/null || echo -lxxhash)
LIBS := $(CRYPTO_LIBS) $(JSON_LIBS) $(XXHASH_LIBS) -lm
# The KDS server (libmicrohttpd) and client (libcurl): linked only into the binaries that use them (the shared library,
# the CLI, and the tests and benchmarks that name them with `$(O)/...: LIBS += $(NET_LIBS)`).
NET_LIBS := $(shell pkg-config --libs libmicrohttpd libcurl 2>/dev/null || echo -lmicrohttpd -lcurl)

# Filled by the fragments.
LIB_SRCS :=
GUEST_SRCS :=
CLI_SRCS :=
TESTS :=
FUZZERS :=
BENCHES :=
# Named before the fragments, whose rules use them as prerequisites (expanded when read).
STATIC_LIB := $(O)/libsnpemu.a
SHARED_LIB := $(O)/libsnpemu.so
CLI := $(O)/snpemu
include src/common/sources.mk
include src/hv/sources.mk
include src/fw/sources.mk
include src/attest/sources.mk
include src/kds/sources.mk
include src/tsm/sources.mk
include src/guest/sources.mk
include src/vmm/sources.mk
include src/cli/sources.mk
include guests/guests.mk
include src/guest/sdk.mk
include tests/abi/tests.mk
include tests/hv/tests.mk
include tests/fw/tests.mk
include tests/attest/tests.mk
include tests/kds/tests.mk
include tests/tsm/tests.mk
include tests/guest/tests.mk
include tests/vmm/tests.mk
include tests/vmm/programs.mk
include tests/cli/tests.mk
include tests/sdk/tests.mk
include fuzz/fuzz.mk
include bench/bench.mk

LIB_OBJS := $(LIB_SRCS:%.c=$(O)/%.o) $(GUEST_SRCS:%.c=$(O)/%.o)
CLI_OBJS := $(CLI_SRCS:%.c=$(O)/%.o)
TEST_BINS := $(TESTS:%=$(O)/tests/%)
BENCH_BINS := $(BENCHES:%=$(O)/bench/%)
FUZZ_BINS := $(FUZZERS:%=$(O)/fuzz/%)

.PHONY: all lib cli tests benches check asan tsan fuzz fuzz-smoke demo format format-check install clean deps \
	deps-build deps-format run-tests check-run tsan-run conformance bench FORCE
.DEFAULT_GOAL := all
.SECONDARY:

all: lib cli tests benches
lib: $(STATIC_LIB) $(SHARED_LIB) $(PROGRAMS_LIB)
cli: $(CLI)
tests: $(TEST_BINS)
benches: $(BENCH_BINS)

# The compiler and flags of this build directory, rewritten only when they change: every object depends on it, so
# `CC=clang make` after a gcc build (or WERROR=0, or new CFLAGS) rebuilds instead of mixing objects.
BUILD_FLAGS := $(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) $(GUEST_CFLAGS) $(GUEST_LDFLAGS) $(LIBS)
$(FLAGS_STAMP): FORCE
	@mkdir -p $(dir $@)
	@printf '%s\n' '$(subst ','\'',$(BUILD_FLAGS))' | cmp -s - $@ || \
		printf '%s\n' '$(subst ','\'',$(BUILD_FLAGS))' >$@
FORCE:

$(O)/%.o: %.c $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(STATIC_LIB): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(SHARED_LIB): $(LIB_OBJS)
	$(CC) -shared -Wl,-soname,libsnpemu.so.0 $(LDFLAGS) -o $@ $^ $(LIBS) $(NET_LIBS)

# The CLI and the tests link the built-in guest programs (guests/guests.mk), which are not part of the library.
$(CLI): $(CLI_OBJS) $(PROGRAMS_LIB) $(STATIC_LIB)
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJS) $(PROGRAMS_LIB) $(STATIC_LIB) $(LIBS) $(NET_LIBS) $(FUSE_LIBS)

# A test is tests/<name>.c plus the objects its fragment lists in TEST_EXTRA_<name>, linked with the library.
.SECONDEXPANSION:
$(O)/tests/%: $(O)/tests/%.o $$(addprefix $(O)/,$$(subst .c,.o,$$(TEST_EXTRA_$$*))) $(PROGRAMS_LIB) $(STATIC_LIB)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(PROGRAMS_LIB) $(STATIC_LIB) $(CMOCKA_LIBS) $(LIBS)

$(O)/bench/%: $(O)/bench/%.o $(PROGRAMS_LIB) $(STATIC_LIB)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(PROGRAMS_LIB) $(STATIC_LIB) $(LIBS)

$(O)/fuzz/%: $(O)/fuzz/%.o $(PROGRAMS_LIB) $(STATIC_LIB)
	$(CC) $(LDFLAGS) -fsanitize=fuzzer -o $@ $(filter %.o,$^) $(PROGRAMS_LIB) $(STATIC_LIB) $(LIBS)

deps:
	@scripts/deps.sh all

deps-build:
	@scripts/deps.sh build

deps-format:
	@scripts/deps.sh format

# The README's test command.  The suites run from a make of their own (check-run, tsan-run), like the builds: the
# lists this make read were made before `deps` installed anything, so on a fresh machine they lack the tcg suites.
check: deps
	@$(MAKE) --no-print-directory -j$(JOBS) all
	@$(MAKE) --no-print-directory -j$(JOBS) VARIANT=clang all >/dev/null
	@$(MAKE) --no-print-directory -j$(JOBS) VARIANT=fuzz fuzz-build
	@$(MAKE) --no-print-directory check-run

check-run:
	@scripts/check.sh $(O) $(BUILD_ROOT)/fuzz "$(TESTS)" "$(FUZZERS)"

run-tests: all
	@scripts/check.sh $(O) "" "$(TESTS)" ""

asan: deps
	@$(MAKE) --no-print-directory -j$(JOBS) VARIANT=asan all
	@$(MAKE) --no-print-directory VARIANT=asan run-tests

tsan: deps
	@$(MAKE) --no-print-directory -j$(JOBS) VARIANT=tsan all
	@$(MAKE) --no-print-directory VARIANT=tsan tsan-run

tsan-run:
	@scripts/check.sh $(O) "" "$(TSAN_TESTS)" ""

fuzz: deps
	@$(MAKE) --no-print-directory VARIANT=fuzz fuzz-build

fuzz-build: $(FUZZ_BINS)

fuzz-smoke: fuzz
	@scripts/check.sh $(BUILD_ROOT)/fuzz $(BUILD_ROOT)/fuzz "" "$(FUZZERS)"

conformance: all
	@$(O)/tests/hv/conformance

bench: all
	@for b in $(BENCH_BINS); do $$b || exit 1; done

# Only what the demo runs: the CLI (which carries the guest programs); no tests, benchmarks, clang or cmocka.
demo: deps-build
	@$(MAKE) --no-print-directory -j$(JOBS) cli
	@scripts/demo.sh $(O)

FORMAT_FILES = $(shell find include src tests fuzz bench guests -name '*.[ch]' 2>/dev/null)
# CI runs format-check first, before `make check` installs the rest.
format: deps-format
	clang-format -i $(FORMAT_FILES)
format-check: deps-format
	clang-format --dry-run --Werror $(FORMAT_FILES)

install: lib cli
	install -d $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/include/snpemu/abi \
		$(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 644 $(STATIC_LIB) $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(SHARED_LIB) $(DESTDIR)$(PREFIX)/lib/libsnpemu.so.$(VERSION)
	ln -sf libsnpemu.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libsnpemu.so.0
	ln -sf libsnpemu.so.0 $(DESTDIR)$(PREFIX)/lib/libsnpemu.so
	install -m 755 $(CLI) $(DESTDIR)$(PREFIX)/bin/
	install -m 644 include/snpemu/*.h $(DESTDIR)$(PREFIX)/include/snpemu/
	install -m 644 include/snpemu/abi/*.h $(DESTDIR)$(PREFIX)/include/snpemu/abi/
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' snpemu.pc.in \
		> $(DESTDIR)$(PREFIX)/lib/pkgconfig/snpemu.pc

clean:
	rm -rf $(BUILD_ROOT)

-include $(shell find $(O) -name '*.d' 2>/dev/null)
