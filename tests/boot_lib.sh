# Shared helpers for boot tests (sourced). Tests run from the repo root.
BUILD=${BUILD:-build}
MAPVISOR=$BUILD/mapvisor
KERNEL=build/guest/kernel.elf
TMP=$(mktemp -d /tmp/mapvisor-boot.XXXXXX)
trap 'cleanup_hook; rm -rf "$TMP"' EXIT
cleanup_hook() { :; }

fail() { echo "FAIL: $*"; exit 1; }
skip() { echo "$*"; exit 77; }
need_kvm() { [ -w /dev/kvm ] || skip "no writable /dev/kvm"; }

# run_guest NAME ARGS... : run mapvisor, keep stdout/stderr/status in $TMP/NAME.*
run_guest() {
	name=$1; shift
	"$MAPVISOR" run --kernel "$KERNEL" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err"
	echo $? >"$TMP/$name.status"
}
status_of() { cat "$TMP/$1.status"; }

expect_status() {   # name expected
	got=$(status_of "$1")
	[ "$got" = "$2" ] || {
		echo "--- $1 stdout"; cat "$TMP/$1.out"; echo "--- $1 stderr"; cat "$TMP/$1.err"
		fail "$1: exit status $got, expected $2"
	}
}
expect_out() {      # name pattern (grep -E on stdout)
	grep -Eq -- "$2" "$TMP/$1.out" || { cat "$TMP/$1.out"; fail "$1: stdout lacks /$2/"; }
}
expect_err() {      # name pattern (grep -E on stderr)
	grep -Eq -- "$2" "$TMP/$1.err" || { cat "$TMP/$1.err"; fail "$1: stderr lacks /$2/"; }
}
# json FILE FILTER : jq -r
json() { jq -r "$2" "$1"; }
