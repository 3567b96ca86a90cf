#!/bin/sh
# User mode: what a system call, a 4 KiB read() and a sequential file read
# cost in the guest, from KVM's counters and wall time, against the same
# programs on the host. Each per-call figure is the difference between a
# run of 2N calls and a run of N (boot, exec and exit cancel out), taken
# USER_RUNS times; medians and min..max are printed. Timing only: nothing
# here passes or fails (the boot tests check the counts).
# Usage: make bench [USER_RUNS=N] [SEQ_MIB=M]
#   SEQ_MIB: how much of the 64 MiB file the guest reads sequentially;
#   by default 64 if a probe says one run takes at most SEQ_MAX_S
#   seconds (10), else 8.
set -eu
BUILD=${BUILD:-build}
RUNS=${USER_RUNS:-5}
SEQ_MAX_S=${SEQ_MAX_S:-10}
K=build/guest/kernel.elf
M=$BUILD/mapvisor
U=build/user
T=$(mktemp -d /tmp/mapvisor-ubench.XXXXXX)
trap 'rm -rf "$T"' EXIT
[ "$RUNS" -ge 5 ] || { echo "user_bench: USER_RUNS must be at least 5" >&2; exit 2; }
for p in getpid_loop readbench; do
	[ -x "$U/$p" ] || { echo "user_bench: $U/$p not built (make all)" >&2; exit 1; }
done
command -v mke2fs >/dev/null || PATH=$PATH:/sbin:/usr/sbin

now() { date +%s%N; }
median() { sort -g | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; print m}'; }
spread() { sort -g | awk '{a[NR]=$1} END {print a[1] ".." a[NR]}'; }
row() {   # label file [unit]
	printf '  %-44s %12s  %s\n' "$1" "$(median <"$2")" "$(spread <"$2")"
}
# Exits the guest causes: the host's interrupts, signals and preemption of
# the vCPU thread depend on the machine's load, not on the guest.
GUEST_EXITS='.kvm.vcpu.exits - .kvm.vcpu.irq_exits - .kvm.vcpu.signal_exits - .kvm.vcpu.preemption_reported - .kvm.vcpu.preemption_other'
# per A.json B.json N FILTER : (B - A) / N, three decimals
per() {
	a=$(jq "$4" "$1") b=$(jq "$4" "$2")
	awk "BEGIN {printf \"%.3f\n\", ($b - $a) / $3}"
}

# The bench image: the two programs and a 64 MiB file, made here rather
# than in the default root image, which stays small for the tests.
mkdir -p "$T/root/bin" "$T/root/data"
cp "$U/readbench" "$U/getpid_loop" "$T/root/bin/"
BIG=$T/root/data/64m.bin
yes 'mapvisor reads this line from its disk.' | head -c 67108864 >"$BIG"
IMG=$T/bench.ext2
mke2fs -q -F -t ext2 -b 4096 -d "$T/root" "$IMG" 96M >/dev/null 2>&1
# Only read here, but each run gets the image read-only so nothing can
# change it between runs.
DISK="$IMG,ro"

if [ ! -w /dev/kvm ]; then
	# No KVM: what each call costs kvm-pvm in emulated instructions, from
	# QEMU TCG (counts repeat exactly: one run each).
	. tests/bench/kcount_lib.sh
	if ! kc_available; then
		echo "user mode: SKIP: no writable /dev/kvm and no QEMU with build/tools/qemu_kcount.so"
		exit 0
	fi
	echo "user mode: no writable /dev/kvm: QEMU TCG, guest kernel instructions per call"
	echo "  (kvm-pvm's emulated instructions, tests/bench/kcount_lib.sh); N vs 2N calls"
	kc_init "$T"
	n=10000
	kc_run "$T/g1" "" "quiet init=/embedded/getpid_loop -- $n"
	kc_run "$T/g2" "" "quiet init=/embedded/getpid_loop -- $((2 * n))"
	echo "  getpid round trip (N=$n): $(kc_per "$T/g1" "$T/g2" $n kernel) kernel instructions"
	echo "    top: $(kc_top "$T/g1" "$T/g2" $n 6)"
	for mode in cached disk; do
		case $mode in cached) n=1000 ;; disk) n=200 ;; esac
		kc_run "$T/r1" "$IMG" "quiet init=/bin/readbench -- /data/64m.bin $n $mode"
		kc_run "$T/r2" "$IMG" "quiet init=/bin/readbench -- /data/64m.bin $((2 * n)) $mode"
		echo "  4 KiB pread, $mode (N=$n): $(kc_per "$T/r1" "$T/r2" $n kernel) kernel" \
			"instructions (rep iterations $(kc_per "$T/r1" "$T/r2" $n kernel_rep))"
		echo "    top: $(kc_top "$T/r1" "$T/r2" $n 6)"
	done
	exit 0
fi

echo "user mode, $RUNS runs each (median, min..max)"

# ---- getpid round trip: N and 2N raw getpid()s in the embedded program ----
n=10000
for i in $(seq "$RUNS"); do
	for k in 1 2; do
		"$M" run --kernel "$K" --mem 64M \
			--cmdline "quiet init=/embedded/getpid_loop -- $((k * n))" \
			--report "$T/gp$k.json" >/dev/null 2>&1
	done
	per "$T/gp1.json" "$T/gp2.json" $n .kvm.at_exit.emulated_instructions >>"$T/gp_insn"
	per "$T/gp1.json" "$T/gp2.json" $n "$GUEST_EXITS" >>"$T/gp_exits"
	per "$T/gp1.json" "$T/gp2.json" $n .kvm.at_exit.wall_us >>"$T/gp_us"
	# The host: a million calls, the difference to two million.
	nn=1000000
	t0=$(now); "$U/getpid_loop" $nn >/dev/null; t1=$(now)
	"$U/getpid_loop" $((2 * nn)) >/dev/null; t2=$(now)
	awk "BEGIN {printf \"%.4f\n\", (($t2 - $t1) - ($t1 - $t0)) / 1000 / $nn}" >>"$T/gp_native"
done
echo "getpid round trip (N=$n vs 2N in the guest, 1e6 vs 2e6 on the host)"
row "emulated instructions" "$T/gp_insn"
row "exits (guest-caused)" "$T/gp_exits"
row "µs in the guest" "$T/gp_us"
row "µs on the host" "$T/gp_native"

# ---- 4 KiB pread(): the same page again (page cache), or new pages (disk) ----
for mode in cached disk; do
	case $mode in cached) n=1000 ;; disk) n=200 ;; esac
	for i in $(seq "$RUNS"); do
		for k in 1 2; do
			"$M" run --kernel "$K" --mem 256M -q --disk "$DISK" --report "$T/rb$k.json" \
				-- /bin/readbench /data/64m.bin $((k * n)) $mode >/dev/null 2>&1
		done
		per "$T/rb1.json" "$T/rb2.json" $n .kvm.at_exit.emulated_instructions >>"$T/rb_${mode}_insn"
		per "$T/rb1.json" "$T/rb2.json" $n "$GUEST_EXITS" >>"$T/rb_${mode}_exits"
		per "$T/rb1.json" "$T/rb2.json" $n .kvm.at_exit.wall_us >>"$T/rb_${mode}_us"
		per "$T/rb1.json" "$T/rb2.json" $n '.disks[0].requests.in' >>"$T/rb_${mode}_req"
	done
	echo "4 KiB pread, $mode (N=$n vs 2N)"
	row "emulated instructions" "$T/rb_${mode}_insn"
	row "exits (guest-caused)" "$T/rb_${mode}_exits"
	row "disk requests" "$T/rb_${mode}_req"
	row "µs in the guest" "$T/rb_${mode}_us"
done
# The host reads from its page cache whatever "mode" says: only the
# cached figure has a meaning there.
nn=100000
for i in $(seq "$RUNS"); do
	t0=$(now); "$U/readbench" "$BIG" $nn cached >/dev/null; t1=$(now)
	"$U/readbench" "$BIG" $((2 * nn)) cached >/dev/null; t2=$(now)
	awk "BEGIN {printf \"%.4f\n\", (($t2 - $t1) - ($t1 - $t0)) / 1000 / $nn}" >>"$T/rb_native"
done
row "µs on the host, page cache" "$T/rb_native"

# ---- sequential read: 4 KiB pread()s from the start of the 64 MiB file ----
# The guest's time is a run reading SEQ pages minus a run reading one (the
# boot, exec and open). SEQ_MIB unset: a probe of 8 MiB decides whether
# 64 MiB fits in SEQ_MAX_S seconds a run.
seq_run() {   # pages report
	"$M" run --kernel "$K" --mem 256M -q --disk "$DISK" --report "$2" \
		-- /bin/readbench /data/64m.bin "$1" disk >/dev/null 2>&1
}
if [ -z "${SEQ_MIB:-}" ]; then
	seq_run 2048 "$T/probe.json"
	probe_us=$(jq .kvm.at_exit.wall_us "$T/probe.json")
	if [ $((probe_us * 8)) -le $((SEQ_MAX_S * 1000000)) ]; then SEQ_MIB=64; else SEQ_MIB=8; fi
	echo "sequential read: 8 MiB probe took $((probe_us / 1000)) ms; reading $SEQ_MIB MiB"
fi
pages=$((SEQ_MIB * 256))
for i in $(seq "$RUNS"); do
	seq_run 1 "$T/s1.json"
	seq_run $pages "$T/s2.json"
	us=$(($(jq .kvm.at_exit.wall_us "$T/s2.json") - $(jq .kvm.at_exit.wall_us "$T/s1.json")))
	awk "BEGIN {printf \"%.2f\n\", $SEQ_MIB * 1048576 / $us}" >>"$T/seq_guest"
	per "$T/s1.json" "$T/s2.json" "$pages" "$GUEST_EXITS" >>"$T/seq_exits"
	per "$T/s1.json" "$T/s2.json" "$pages" .kvm.at_exit.emulated_instructions >>"$T/seq_insn"
	per "$T/s1.json" "$T/s2.json" "$pages" '.disks[0].requests.in' >>"$T/seq_req"
	# The host: cat of the whole file (in the host's page cache, as the
	# guest's image is), and the guest's own access pattern natively.
	t0=$(now); cat "$BIG" >/dev/null; t1=$(now)
	awk "BEGIN {printf \"%.2f\n\", 67108864 / (($t1 - $t0) / 1000)}" >>"$T/seq_cat"
	t0=$(now); "$U/readbench" "$BIG" $pages disk >/dev/null; t1=$(now)
	awk "BEGIN {printf \"%.2f\n\", $SEQ_MIB * 1048576 / (($t1 - $t0) / 1000)}" >>"$T/seq_native"
done
g=$(median <"$T/seq_guest") c=$(median <"$T/seq_cat") r=$(median <"$T/seq_native")
echo "sequential read, guest: first $SEQ_MIB MiB of a 64 MiB file in 4 KiB pread()s (MB/s = 10^6 B/s)"
row "guest MB/s" "$T/seq_guest"
row "per 4 KiB page: exits (guest-caused)" "$T/seq_exits"
row "per 4 KiB page: emulated instructions" "$T/seq_insn"
row "per 4 KiB page: disk requests" "$T/seq_req"
row "host MB/s, cat 64 MiB > /dev/null" "$T/seq_cat"
row "host MB/s, readbench $SEQ_MIB MiB (4 KiB preads)" "$T/seq_native"
printf '  %-44s %12s\n' "ratio guest / host cat" "$(awk "BEGIN{printf \"%.5f\", $g / $c}")"
printf '  %-44s %12s\n' "ratio guest / host readbench" "$(awk "BEGIN{printf \"%.5f\", $g / $r}")"
