#!/bin/sh
# The whole test suite: Check unit tests, platform tests, boot tests.
# Each test prints PASS/FAIL/SKIP lines; the last line counts them.
# A boot test script exits 0 (pass), 77 (skip, reason on its last output line)
# or anything else (fail).
set -u
BUILD=${BUILD:-build}
export BUILD
cd "$(dirname "$0")/.." || exit 2
pass=0 fail=0 skip=0
log=$(mktemp -d /tmp/mapvisor-tests.XXXXXX)
trap 'rm -rf "$log"' EXIT

result() {   # name status outfile
	case $2 in
	0) pass=$((pass + 1)); echo "PASS: $1" ;;
	77) skip=$((skip + 1)); echo "SKIP: $1: $(tail -n 1 "$3")" ;;
	*) fail=$((fail + 1)); echo "FAIL: $1 (status $2)"; sed 's/^/    | /' "$3" | tail -n 40 ;;
	esac
}

echo "== unit tests (Check)"
for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	case $t in *.o|*.d) continue ;; esac
	n=$(basename "$t")
	CK_DEFAULT_TIMEOUT=60 "$t" >"$log/$n" 2>&1
	st=$?
	grep -E '^[0-9]+%: Checks' "$log/$n" | sed "s/^/  $n: /"
	grep '^SKIP' "$log/$n" | sed "s/^/  $n: /"
	result "$n" $st "$log/$n"
done

if [ -x tests/platform/run.sh ]; then
	echo "== platform tests"
	sh tests/platform/run.sh >"$log/platform" 2>&1
	st=$?
	grep -E '^(PASS|FAIL|SKIP)' "$log/platform" | sed 's/^/  /'
	result platform $st "$log/platform"
fi

echo "== boot tests"
for t in tests/boot/*.sh; do
	n=$(basename "$t" .sh)
	sh "$t" >"$log/$n" 2>&1
	result "$n" $? "$log/$n"
done

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
