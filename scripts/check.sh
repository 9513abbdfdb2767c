#!/usr/bin/env bash
# Runs test binaries and fuzz smoke runs and prints one closing line "N passed, M failed" (plus skipped), the sum
# over all suites.  Test binaries are cmocka suites (their "[  PASSED  ]"/"[  FAILED  ]"/"[  SKIPPED ]" lines are
# counted) or table runners that print their own "N passed, M failed" line.  A binary that exits non-zero without
# reporting a failure counts as one failure.
#   usage: check.sh BUILD_DIR FUZZ_DIR "TESTS" "FUZZERS"
set -uo pipefail

build=$1 fuzzdir=$2 tests=$3 fuzzers=$4
pass=0 fail=0 skip=0
failed_names=()
log_dir=$build/logs
mkdir -p "$log_dir"

for t in $tests; do
	log=$log_dir/$t.log
	mkdir -p "$(dirname "$log")"
	"$build/tests/$t" >"$log" 2>&1
	rc=$?
	cat "$log"
	p=0 f=0 s=0
	if grep -q '^\[  PASSED  \]\|^\[  FAILED  \]\|^\[==========\]' "$log"; then
		p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
		f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
		s=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
	else
		line=$(grep -E '^([A-Za-z-]+: )?[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
		if [ -n "$line" ]; then
			p=$(sed -E 's/^([A-Za-z-]+: )?([0-9]+) passed.*/\2/' <<<"$line")
			f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
			s=$(sed -nE 's/.* ([0-9]+) skipped.*/\1/p' <<<"$line")
			s=${s:-0}
		fi
	fi
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	[ "$f" -ne 0 ] && failed_names+=("$t")
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
done

for z in $fuzzers; do
	corpus=fuzz/corpus/$z
	work=$(mktemp -d)
	[ -d "$corpus" ] && cp -r "$corpus/." "$work/"
	if "$fuzzdir/fuzz/$z" -runs="${FUZZ_SMOKE_RUNS:-20000}" -max_len=8192 -seed=1 "$work" >"$log_dir/fuzz-$z.log" 2>&1; then
		echo "fuzz-smoke $z: ok ($(grep -o 'Done [0-9]* runs' "$log_dir/fuzz-$z.log"))"
		pass=$((pass + 1))
	else
		tail -n 30 "$log_dir/fuzz-$z.log"
		echo "fuzz-smoke $z: FAILED (log: $log_dir/fuzz-$z.log)"
		fail=$((fail + 1))
		failed_names+=("fuzz:$z")
	fi
	rm -rf "$work"
done

echo
[ ${#failed_names[@]} -ne 0 ] && echo "failing: ${failed_names[*]}"
if [ "$skip" -ne 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ "$fail" -eq 0 ]
