#!/usr/bin/env bash
# The build as a user drives it (issue 12 item 10): objects follow the compiler and flags, O= reaches every
# sub-make, no fragment is included that does not exist, CI checks the formatting, `make demo` builds only the CLI.
# A table runner: one line per check, then "N passed, M failed".
set -uo pipefail
cd "${SNPEMU_SRCDIR:-$(dirname "$0")/../..}"
# Run from `make check`: the nested makes below must not inherit its variables or jobserver.
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES VARIANT O CC CFLAGS
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. tests/cli/table_runner.sh

obj=$tmp/default/src/common/names.o
build_obj() { make --no-print-directory O="$tmp" "$@" "$obj" 2>&1; }
compiled_with() { # compiled_with CC ARGS...: the object was (re)compiled, by CC
	build_obj "${@:2}" | grep "^$1 .*-c src/common/names.c" >/dev/null # not -q: under pipefail an early exit fails make
}
not_recompiled() { ! build_obj "$@" | grep -- "-c src/common/names.c" >/dev/null; }
check "first build compiles with cc" compiled_with cc CC=cc
check "same compiler and flags: nothing to do" not_recompiled CC=cc
check "CC=clang after cc rebuilds" compiled_with clang CC=clang
check "new CFLAGS rebuild" compiled_with clang CC=clang CFLAGS=-DSNPEMU_TEST_FLAG
check "back to cc rebuilds" compiled_with cc CC=cc

# Every sub-make and check.sh work under O (dry run: sub-makes run with -n too, nothing is built).
o_everywhere() {
	local t=$1 out
	out=$(make --no-print-directory -n O="$tmp/o" "$t" 2>&1) || return 1
	grep -q "$tmp/o/" <<<"$out" || return 1
	! grep -E '(^| )build/' <<<"$out"
}
for t in check asan tsan fuzz-smoke demo; do
	check "make -n O=DIR $t: everything under DIR" o_everywhere "$t"
done

no_optional_fragments() { ! grep -nE '^-include ' Makefile | grep -v '\.d'; }
check "no -include of a fragment" no_optional_fragments
fragments_exist() {
	local f
	for f in $(sed -n 's/^include //p' Makefile); do [ -f "$f" ] || return 1; done
}
check "every included fragment exists" fragments_exist
check ".ci/run checks the formatting" grep -q '^make format-check$' .ci/run

# make demo builds the CLI only (with the benchmark suites `snpemu bench` runs): no test, benchmark program or
# fuzz target, and it asks deps.sh for build needs only.
demo_builds_cli_only() {
	local out
	out=$(make --no-print-directory -n O="$tmp/d" demo 2>&1) || return 1
	grep -q "deps.sh build" <<<"$out" && grep -q -- "-o $tmp/d/default/snpemu " <<<"$out" &&
		! grep -E "/(tests|fuzz)/|-o $tmp/d/default/bench/[a-z_]+ " <<<"$out" && ! grep -E "cmocka|clang" <<<"$out"
}
check "make demo builds only the CLI" demo_builds_cli_only

# The documentation stays inside the repository (issue 12 item 9): every relative link of README.md and docs/
# resolves here, nothing points outside the tree, and sources cite the architecture page that exists.
links_resolve() {
	local f target
	for f in README.md docs/*.md; do
		for target in $(grep -o '](\([^)#]*\)' "$f" | sed 's/^](//'); do
			case $target in http*://*) continue ;; esac
			[ -e "$(dirname "$f")/$target" ] || { echo "$f: $target does not exist"; return 1; }
		done
	done
}
check "README and docs: every relative link resolves" links_resolve
no_outside_refs() { ! grep -nE '\.\./shared|\]\(\.\./' README.md docs/*.md; }
check "README and docs: nothing outside the repository" no_outside_refs
no_design_md() { ! grep -rnE 'DESIGN(\.md| rule| "Engine)' --include='*.[ch]' src include tests guests fuzz bench; }
check "sources cite docs/architecture.md, not a missing DESIGN.md" no_design_md
check "docs/architecture.md exists" test -s docs/architecture.md

table_summary build
