# Sourced by the shell table runners of tests/cli: one "ok"/"FAIL" line per check, then the closing line
# "NAME: N passed, M failed" that scripts/check.sh counts.
pass=0 fail=0

# check NAME COMMAND...: the command must succeed (its output is shown only on failure).
check() {
	local name=$1 log
	shift
	log=$(mktemp)
	if "$@" >"$log" 2>&1; then
		pass=$((pass + 1))
		echo "ok   $name"
	else
		fail=$((fail + 1))
		echo "FAIL $name"
		sed 's/^/     /' "$log" | tail -n 20
	fi
	rm -f "$log"
}

# table_summary NAME: the closing line; the status is that of the whole table.
table_summary() {
	echo "$1: $pass passed, $fail failed"
	[ "$fail" -eq 0 ]
}
