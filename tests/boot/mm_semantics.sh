# Memory-management and signal semantics, compared with Linux: the user/mm_*
# programs run natively (argv[0] /bin/NAME, empty environment, cwd a copy of
# the image's directories, relative paths such as "tmp") and in the guest
# from a fresh copy of build/images/rootfs.ext2 (cwd "/"), and must print
# the same and end with the same status. After every guest run `e2fsck -fn`
# must find the image clean; what `mm_file tmp keep NAME` wrote through a
# MAP_SHARED mapping must be on the image (debugfs) byte for byte as the
# native run left it. Each native run is done twice and must repeat itself.
# Runners: mapvisor and QEMU TCG with a writable /dev/kvm, else QEMU TCG
# only (tests/guest_lib.sh). Every mismatch is reported with a diff; the
# test fails at the end if any run differed. See docs/testing-mm.md.
. tests/boot_lib.sh
. tests/guest_lib.sh
U=build/user
SRC_IMG=build/images/rootfs.ext2
for t in e2fsck debugfs; do
	command -v $t >/dev/null || PATH=$PATH:/sbin:/usr/sbin
	command -v $t >/dev/null || skip "SKIP: no $t (e2fsprogs)"
done
command -v perl >/dev/null || skip "SKIP: no perl (runs the native programs with argv[0] /bin/NAME)"
[ -f "$SRC_IMG" ] || fail "$SRC_IMG not built (make image)"
[ -f "$KERNEL" ] || fail "$KERNEL not built (make)"
guest_pick_runners
# QEMU's RAM is zero when the guest starts: the kernel is told so, skips
# zeroing pages it never used before, and checks each of them; a page that
# is not zero prints a line, which no native run prints (docs/mm.md).
GUEST_APPEND="ram_zero zero_check"
mkdir -p "$TMP/root/tmp" "$TMP/root/dev/shm"
cp -R images/files/. "$TMP/root/"
IMG=$TMP/rootfs.ext2
SEEDS=${MM_SEEDS:-1 2 3 4}
STEPS=${MM_STEPS:-3000}
runs=0 bad=0

# native TAG NAME ARGS... : $TMP/TAG.native{,.status}
native() {
	_tag=$1 _name=$2
	shift 2
	(cd "$TMP/root" && env -i perl -e '$p = shift; exec { $p } @ARGV or exit 127' \
		"$OLDPWD/$U/$_name" "/bin/$_name" "$@") >"$TMP/$_tag.native" 2>&1 </dev/null
	echo $? >"$TMP/$_tag.native.status"
}

# check NAME ARGS... : native twice, then each runner from a fresh image.
check() {
	name=$1
	shift
	what="$name $*"
	tag=$(echo "$what" | tr ' /' '__')
	[ -x "$U/$name" ] || fail "$U/$name not built"
	native "$tag" "$name" "$@" 2>/dev/null   # no "Terminated" from the shell
	mv "$TMP/$tag.native" "$TMP/$tag.first"
	mv "$TMP/$tag.native.status" "$TMP/$tag.first.status"
	native "$tag" "$name" "$@" 2>/dev/null   # no "Terminated" from the shell
	nst=$(cat "$TMP/$tag.native.status")
	if ! cmp -s "$TMP/$tag.first" "$TMP/$tag.native" ||
		[ "$(cat "$TMP/$tag.first.status")" != "$nst" ]; then
		echo "FAIL: native: $what: two native runs differ"
		diff -u "$TMP/$tag.first" "$TMP/$tag.native" | head -n 20
		bad=$((bad + 1))
	fi
	left=$(cd "$TMP/root/tmp" && ls -A | grep -v '\.keep$')
	if [ -n "$left" ]; then
		echo "FAIL: native: $what: left files behind in tmp: $left"
		bad=$((bad + 1))
		(cd "$TMP/root/tmp" && rm -rf $left)
	fi
	nlines=$(wc -l <"$TMP/$tag.native")
	for r in $runners; do
		runs=$((runs + 1))
		cp "$SRC_IMG" "$IMG"
		guest_run "$r" "$IMG" "$TMP/$tag.$r" "/bin/$name" "$@"
		gst=$(cat "$TMP/$tag.$r.status")
		want=$(guest_status "$r" "$nst")
		guest_console_filter <"$TMP/$tag.$r" >"$TMP/$tag.$r.cmp"
		problems=
		if [ "$gst" != "$want" ]; then
			problems="status $gst, native $nst"
			[ "$want" = "$nst" ] || problems="$problems (QEMU reports it as $want)"
		fi
		if ! cmp -s "$TMP/$tag.native" "$TMP/$tag.$r.cmp"; then
			problems="${problems:+$problems; }output differs"
		fi
		fsck_ok=yes
		if ! e2fsck -fn "$IMG" >"$TMP/fsck.out" 2>&1; then
			fsck_ok=
			problems="${problems:+$problems; }e2fsck not clean"
		fi
		if [ "$name $2" = "mm_file keep" ] && [ -z "$problems" ]; then
			debugfs -R "cat /tmp/$3" "$IMG" 2>/dev/null >"$TMP/debugfs.out"
			cmp -s "$TMP/debugfs.out" "$TMP/root/tmp/$3" ||
				problems="/tmp/$3 on the image differs from the native file"
		fi
		if [ -z "$problems" ]; then
			extra=$(grep -E '^pid [0-9]+ killed by ' "$TMP/$tag.$r" | sed 's/^pid [0-9]* //' |
				awk 'NR > 1 { printf "; " } { printf "%s", $0 }')
			shown=$nst
			[ "$gst" = "$nst" ] || shown="$nst, QEMU reports $gst"
			echo "ok: $r: $what (status $shown, $nlines lines as native${extra:+, kernel: $extra}, e2fsck clean)"
			[ "$name $2" = "mm_file keep" ] &&
				echo "ok: $r: /tmp/$3 on the image ($(wc -c <"$TMP/root/tmp/$3") bytes, as native)"
		else
			bad=$((bad + 1))
			echo "FAIL: $r: $what: $problems"
			grep -E '^pid [0-9]+ killed by ' "$TMP/$tag.$r" | sed 's/^/    kernel: /'
			if ! cmp -s "$TMP/$tag.native" "$TMP/$tag.$r.cmp"; then
				echo "--- diff native guest (first 40 lines)"
				diff -u "$TMP/$tag.native" "$TMP/$tag.$r.cmp" | head -n 40
			fi
			if grep -q . "$TMP/$tag.$r.err"; then
				echo "--- $r stderr (last 5 lines)"
				tail -n 5 "$TMP/$tag.$r.err"
			fi
			[ -n "$fsck_ok" ] || { echo "--- e2fsck -fn"; head -n 20 "$TMP/fsck.out"; }
		fi
	done
}

check mm_anon tmp
# Reaching vm.max_map_count compares only where the host has Linux's
# default, which the guest kernel has.
mmc=$(cat /proc/sys/vm/max_map_count 2>/dev/null)
if [ "$mmc" = 65530 ]; then
	check mm_anon tmp mapcount
else
	echo "SKIP: mm_anon tmp mapcount: host vm.max_map_count is ${mmc:-unknown}, not 65530"
fi
check mm_file tmp
check mm_file tmp keep mm_file.keep
check mm_prot tmp
check mm_remap tmp
check mm_advise tmp
check mm_signal tmp
check mm_signal tmp die
check mm_fork tmp
check mm_maps tmp
for s in $SEEDS; do
	check mm_random "$s" "$STEPS" tmp
done
for s in ${MM_FORK_SEEDS:-1 2}; do
	check mm_random "$s" "$STEPS" tmp fork
done
# The earlier programs (files, directories, pipes, the heap) run on the
# new memory code too; user_disk.sh compares them under mapvisor only,
# so on a host without /dev/kvm this is where they are still checked.
check hello world
check fileio tmp
check dirs tmp
check pipes
check cat etc/motd etc/none etc/lines.txt
check malloc_test

[ "$bad" = 0 ] || fail "$bad of $runs guest runs (or native checks) differ from native Linux"
echo "all $runs guest runs print and exit as native Linux ($runners)"
