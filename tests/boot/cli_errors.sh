# Bad command lines: a clear message and a defined status, nothing started.
. tests/boot_lib.sh
K=$KERNEL
printf 'not an elf' >"$TMP/junk"
mkdir "$TMP/dir"
: >"$TMP/unreadable"; chmod 000 "$TMP/unreadable"

# status | stderr pattern | arguments
while IFS='|' read -r want pat args; do
	[ -n "$want" ] || continue
	# shellcheck disable=SC2086
	eval "set -- $args"
	"$MAPVISOR" "$@" >"$TMP/o" 2>"$TMP/e"
	got=$?
	if [ "$got" != "$want" ] || ! grep -Eq -- "$pat" "$TMP/e"; then
		echo "args: $args"; echo "stderr:"; cat "$TMP/e"
		fail "status $got (want $want), want stderr /$pat/"
	fi
	echo "ok: $args"
done <<TABLE
120|usage: mapvisor|
120|unknown command 'frobnicate'|frobnicate
120|unknown option '--frob'|run --frob
120|--mem needs a value|run --kernel $K --mem
120|--mem: 'lots' is not a size|run --kernel $K --mem lots
120|--mem: '0' is not a size|run --kernel $K --mem 0
120|--mem-share: 'both' is neither|run --kernel $K --mem-file x --mem-share both
120|--mem-share needs --mem-file|run --kernel $K --mem-share shared
120|--hugepages: '3M' is not 2M or 1G|run --kernel $K --hugepages 3M
120|--entry: 'real' is not|run --kernel $K --entry real
120|--pv: 'maybe' is not|run --kernel $K --pv maybe
120|contradict|run --kernel $K -q -v
120|unexpected argument 'extra'|run --kernel $K extra
120|has a space or non-printable|run --kernel $K -- /bin/hello "two words"
120|program after --: empty|run --kernel $K -- ""
121|open /nonexistent/kernel: No such file|run --kernel /nonexistent/kernel
121|not an ELF file|run --kernel $TMP/junk
121|is not a regular file|run --kernel $TMP/dir
121|out of range|run --kernel $K --mem 8M
121|multiple of 2 MiB|run --kernel $K --mem 33M
121|needs an existing file|run --kernel $K --mem-file $TMP/none --mem-share private
121|smaller than the RAM size|run --kernel $K --mem-file $TMP/junk --mem-share private
121|not a regular file|run --kernel $K --mem-file /dev/null --mem-share shared
121|not on a hugetlbfs mount|run --kernel $K --mem-file $TMP/ram --mem-share shared --hugepages 2M
121|not a multiple of the hugepage size|run --kernel $K --mem 1026M --hugepages 1G
TABLE
# Running as root, mode 000 is still readable: only check it when it is not.
if [ "$(id -u)" != 0 ]; then
	"$MAPVISOR" run --kernel "$TMP/unreadable" 2>"$TMP/e"; [ $? = 121 ] || fail unreadable
	grep -q 'Permission denied' "$TMP/e" || fail "unreadable: message"
fi
