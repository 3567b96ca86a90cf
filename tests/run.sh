#!/bin/sh
# The whole test suite: Check unit tests, platform tests, boot tests, then the
# unit and monitor boot tests again on the ASan+UBSan build (SAN_BUILD).
# Each test prints PASS/FAIL/SKIP lines; the last line counts them.
# A boot test script exits 0 (pass), 77 (skip, reason on its last output line)
# or anything else (fail).
set -u
BUILD=${BUILD:-build}
SAN_BUILD=${SAN_BUILD:-}
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

unit_tests() {   # build-dir label
for t in "$1"/tests/test_*; do
	[ -x "$t" ] || continue
	case $t in *.o|*.d) continue ;; esac
	n=$(basename "$t")
	CK_DEFAULT_TIMEOUT=60 "$t" >"$log/$n" 2>&1
	st=$?
	grep -E '^[0-9]+%: Checks' "$log/$n" | sed "s/^/  $n: /"
	grep '^SKIP' "$log/$n" | sed "s/^/  $n: /"
	result "$n$2" $st "$log/$n"
done
}

boot_tests() {   # build-dir label skip-pattern
for t in tests/boot/*.sh; do
	n=$(basename "$t" .sh)
	case $n in $3) continue ;; esac
	BUILD=$1 sh "$t" >"$log/$n" 2>&1
	result "$n$2" $? "$log/$n"
done
}

echo "== unit tests (Check)"
unit_tests "$BUILD" ""

if [ -x tests/platform/run.sh ]; then
	echo "== platform tests"
	sh tests/platform/run.sh >"$log/platform" 2>&1
	st=$?
	grep -E '^(PASS|FAIL|SKIP)' "$log/platform" | sed 's/^/  /'
	result platform $st "$log/platform"
fi

echo "== boot tests"
boot_tests "$BUILD" "" "-"

if [ -n "$SAN_BUILD" ]; then
	echo "== unit tests, ASan+UBSan build"
	unit_tests "$SAN_BUILD" "[san]"
	echo "== boot tests of the monitor, ASan+UBSan build"
	boot_tests "$SAN_BUILD" "[san]" "qemu*"
fi

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
