# The guest kernel survives a random system-call fuzzer: user/sysfuzz runs
# for a few seeds (FUZZ_SEEDS, default 1 to 12 and two regressions;
# FUZZ_COUNT calls each, default 10000; under mapvisor FUZZ_MV_SEEDS,
# default two of 2500 calls) as the guest's first process, each from a fresh copy of
# build/images/rootfs.ext2. sysfuzz's batches run in children that may be
# killed by signals (that is expected); what must not happen is the kernel
# dying ("unhandled exception" on the console, status 122), the VM hanging
# (QEMU's 300 s timeout: there is no preemption, so a kernel that loops, or
# lets a process loop where Linux would kill it, hangs the VM), sysfuzz's
# own parent not finishing ("sysfuzz SEED COUNT: N batches done" and status
# 0), or `e2fsck -fn` finding the image unclean afterwards. Native Linux is
# not compared here: results of hostile calls may differ legitimately (run
# `sysfuzz SEED COUNT tmp trace` both ways and diff to look).
# Runners: mapvisor and QEMU TCG with a writable /dev/kvm, else QEMU TCG
# only (tests/guest_lib.sh).
. tests/boot_lib.sh
. tests/guest_lib.sh
SRC_IMG=build/images/rootfs.ext2
command -v e2fsck >/dev/null || PATH=$PATH:/sbin:/usr/sbin
command -v e2fsck >/dev/null || skip "SKIP: no e2fsck (e2fsprogs)"
[ -f "$SRC_IMG" ] || fail "$SRC_IMG not built (make image)"
[ -f "$KERNEL" ] || fail "$KERNEL not built (make)"
[ -x build/user/sysfuzz ] || fail "build/user/sysfuzz not built (make)"
[ "$SRC_IMG" -nt build/user/sysfuzz ] || fail "$SRC_IMG is older than build/user/sysfuzz (make image)"
guest_pick_runners
# SEED or SEED:COUNT. 41:2500 and 174:10000 hung the VM once (a handler
# faulting on its alternate stack looped for ever): kept as regressions.
SEEDS=${FUZZ_SEEDS:-1 2 3 4 5 6 7 8 9 10 11 12 41:2500 174:10000}
# Under mapvisor on kvm-pvm every kernel instruction is emulated (~0.7 us):
# a 10 000-call seed takes 25-80 s there against ~1 s under QEMU TCG, so
# mapvisor runs a short share (FUZZ_MV_SEEDS) that still crosses its own
# paths (syscall entry by #UD, host copies, the shadow MMU); QEMU runs them all.
MV_SEEDS=${FUZZ_MV_SEEDS:-3:2500 41:2500}
COUNT=${FUZZ_COUNT:-10000}
COUNT0=$COUNT
IMG=$TMP/rootfs.ext2
runs=0 bad=0
t0=$(date +%s)

for r in $runners; do
	seeds=$SEEDS
	[ "$r" = mapvisor ] && seeds=$MV_SEEDS
	for sc in $seeds; do
		s=${sc%%:*} COUNT=$COUNT0
		[ "$sc" = "$s" ] || COUNT=${sc#*:}
		runs=$((runs + 1))
		out=$TMP/fuzz.$r.$s
		cp "$SRC_IMG" "$IMG"
		t=$(date +%s)
		guest_run "$r" "$IMG" "$out" /bin/sysfuzz "$s" "$COUNT" tmp
		t=$(($(date +%s) - t))
		st=$(cat "$out.status")
		problems=
		if grep -q 'unhandled exception' "$out" || [ "$st" = 122 ]; then
			problems="kernel crash (status $st)"
		elif [ "$st" = qemu:124 ]; then
			problems="hang (no end within 300 s)"
		elif [ "$st" != 0 ]; then
			problems="status $st, expected 0"
		fi
		grep -q "^sysfuzz $s $COUNT: [0-9]* batches done\$" "$out" ||
			problems="${problems:+$problems; }no \"batches done\" line"
		fsck_ok=yes
		if ! e2fsck -fn "$IMG" >"$TMP/fsck.out" 2>&1; then
			fsck_ok=
			problems="${problems:+$problems; }e2fsck not clean"
		fi
		nb=$(grep -c '^batch [0-9]*: ' "$out")
		ne=$(grep -c '^batch [0-9]*: exit ' "$out")
		kills=$(grep '^batch [0-9]*: killed by ' "$out" | sed 's/.*killed by \([A-Z0-9a-z ]*\) after.*/\1/' |
			sort | uniq -c | awk 'NR > 1 { printf ", " } { printf "%s %s", $2 $3, $1 }')
		nk=$(grep -c -E '^pid [0-9]+ killed by ' "$out")
		summary="seed $s: $COUNT calls, $nb batches ($ne exited${kills:+; killed: $kills}), $nk kernel kill messages, $t s"
		if [ -z "$problems" ]; then
			echo "ok: $r: $summary, e2fsck clean"
		else
			bad=$((bad + 1))
			echo "FAIL: $r: $summary: $problems"
			echo "--- console (last 30 lines)"
			tail -n 30 "$out"
			if grep -q . "$out.err"; then
				echo "--- $r stderr (last 5 lines)"
				tail -n 5 "$out.err"
			fi
			[ -n "$fsck_ok" ] || { echo "--- e2fsck -fn"; head -n 20 "$TMP/fsck.out"; }
		fi
	done
done

[ "$bad" = 0 ] || fail "$bad of $runs fuzz runs crashed, hung or left the image unclean"
echo "all $runs fuzz runs ended cleanly ($runners, $(($(date +%s) - t0)) s)"
