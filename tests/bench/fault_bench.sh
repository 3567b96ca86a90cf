#!/bin/sh
# Page faults by kind (user/faultbench): what one costs in the guest, per
# backing of guest RAM, against the same program on the host. Each figure
# is the difference between a run of 2N operations and a run of N (boot,
# exec and exit cancel out); medians and min..max over FAULT_RUNS runs.
# Timing only: nothing here passes or fails.
#
# With a writable /dev/kvm: mapvisor's report gives emulated instructions,
# guest-caused exits and wall time per operation, and the guest's own
# fault counters, for each backing in FAULT_BACKINGS (anon, anon-prefault,
# shared, private, hugetlb: the last only when 2 MiB pages are free),
# then the MB/s of a cold 256 MiB file read through a mapping against the
# host's cat of the image (the issue's target: at least half).
# Without: QEMU TCG counts the guest kernel's instructions per operation
# (emulated instructions on kvm-pvm, tests/bench/kcount_lib.sh), the
# functions they are spent in, and the guest's counters.
# Usage: make bench [FAULT_RUNS=N] [FAULT_BACKINGS="anon shared ..."] [FAULT_BIG=0]
set -eu
BUILD=${BUILD:-build}
RUNS=${FAULT_RUNS:-3}
BACKINGS=${FAULT_BACKINGS:-anon anon-prefault shared private hugetlb}
K=build/guest/kernel.elf
M=$BUILD/mapvisor
U=build/user
. tests/bench/kcount_lib.sh
T=$(mktemp -d /tmp/mapvisor-fbench.XXXXXX)
trap 'rm -rf "$T"' EXIT
[ -x "$U/faultbench" ] || { echo "fault_bench: $U/faultbench not built (make all)" >&2; exit 1; }
command -v mke2fs >/dev/null || PATH=$PATH:/sbin:/usr/sbin

now() { date +%s%N; }
median() { sort -g | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; print m}'; }
spread() { sort -g | awk '{a[NR]=$1} END {print a[1] ".." a[NR]}'; }
row() { printf '    %-34s %12s  %s\n' "$1" "$(median <"$2")" "$(spread <"$2")"; }
GUEST_EXITS='.kvm.vcpu.exits - .kvm.vcpu.irq_exits - .kvm.vcpu.signal_exits - .kvm.vcpu.preemption_reported - .kvm.vcpu.preemption_other'
per() {   # A.json B.json N FILTER : (B - A) / N
	a=$(jq "$4" "$1") b=$(jq "$4" "$2")
	awk "BEGIN {printf \"%.3f\n\", ($b - $a) / $3}"
}
# mmstats lines (QEMU): "NAME VALUE" pairs after the colon
stat_of() {   # file name
	tr ', ' '\n\n' <"$1" | awk -v n="$2" 'prev == n {print; exit} {prev = $0}'
}

mkdir -p "$T/root/bin" "$T/root/data"
cp "$U/faultbench" "$T/root/bin/"
yes 'mapvisor maps this line from its disk.' | head -c 67108864 >"$T/root/data/64m.bin"
IMG=$T/bench.ext2
mke2fs -q -F -t ext2 -b 4096 -d "$T/root" "$IMG" 96M >/dev/null 2>&1

# kind N: the argument list for faultbench
args() {
	case $1 in
	pcache | seq | rand) echo "$1 $2 /data/64m.bin" ;;
	*) echo "$1 $2" ;;
	esac
}
KINDS="anon pcache seq rand cow mmap mprotect fork"
# pcache: 2N pages must fit the guest's page cache (2048) with room to spare
n_of() { case $1 in rand) echo 256 ;; seq) echo 4096 ;; pcache) echo 512 ;; fork) echo 64 ;; *) echo 1024 ;; esac; }

echo "page faults by kind, $RUNS runs each (median, min..max); N and 2N operations"
if [ -w /dev/kvm ]; then
	hp_free=$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages 2>/dev/null || echo 0)
	for b in $BACKINGS; do
		case $b in
		anon) opts="" ;;
		anon-prefault) opts="--prefault" ;;
		shared) opts="--mem-file $T/ram-shared --mem-share shared" ;;
		private)
			"$M" run --kernel "$K" --mem 256M --mem-file "$T/ram-private" --mem-share shared \
				-q --cmdline quiet >/dev/null 2>&1 || true
			opts="--mem-file $T/ram-private --mem-share private" ;;
		hugetlb)
			if [ "$hp_free" -lt 128 ]; then
				echo "  backing hugetlb: SKIP: $hp_free free 2 MiB pages, 128 needed"
				continue
			fi
			opts="--hugepages 2M" ;;
		*) echo "fault_bench: unknown backing $b" >&2; exit 2 ;;
		esac
		echo "  backing $b"
		for kind in $KINDS; do
			n=$(n_of "$kind")
			rm -f "$T"/k_*
			for i in $(seq "$RUNS"); do
				for k in 1 2; do
					# shellcheck disable=SC2046,SC2086
					"$M" run --kernel "$K" --mem 256M $opts -q --disk "$IMG,ro" \
						--report "$T/r$k.json" -- /bin/faultbench $(args "$kind" $((k * n))) \
						>"$T/run.log" 2>&1 && continue
					echo "  $kind: SKIP: mapvisor failed ($b, $((k * n)) operations):"
					tail -n 3 "$T/run.log" | sed 's/^/    /'
					continue 3
				done
				per "$T/r1.json" "$T/r2.json" "$n" .kvm.at_exit.emulated_instructions >>"$T/k_insn"
				per "$T/r1.json" "$T/r2.json" "$n" "$GUEST_EXITS" >>"$T/k_exits"
				per "$T/r1.json" "$T/r2.json" "$n" .kvm.at_exit.wall_us >>"$T/k_us"
				per "$T/r1.json" "$T/r2.json" "$n" \
					'[.guest.faults[]] | add' >>"$T/k_faults"
				per "$T/r1.json" "$T/r2.json" "$n" '.disks[0].requests.in' >>"$T/k_req"
			done
			echo "  $kind (N=$n)"
			row "emulated instructions / op" "$T/k_insn"
			row "exits (guest-caused) / op" "$T/k_exits"
			row "µs / op" "$T/k_us"
			row "guest faults / op" "$T/k_faults"
			row "disk requests / op" "$T/k_req"
		done
	done

	# A cold 256 MiB file read in order through one mapping, against the
	# host's cat of the image. Cold: the guest boots with an empty cache,
	# and the host's page cache is dropped first when root may
	# (FAULT_BIG=0 leaves this out).
	if [ "${FAULT_BIG:-1}" != 0 ]; then
		mkdir -p "$T/big/bin" "$T/big/data"
		cp "$U/faultbench" "$T/big/bin/"
		yes 'mapvisor maps this line from its disk.' | head -c 268435456 >"$T/big/data/256m.bin"
		mke2fs -q -F -t ext2 -b 4096 -d "$T/big" "$T/big.ext2" 320M >/dev/null 2>&1
		rm -rf "$T/big"
		cold() { sync; [ -w /proc/sys/vm/drop_caches ] && echo 3 >/proc/sys/vm/drop_caches; true; }
		[ -w /proc/sys/vm/drop_caches ] && how="host cache dropped" || how="host cache warm"
		rm -f "$T"/big_*
		for i in $(seq "$RUNS"); do
			for k in 1 65536; do
				cold
				"$M" run --kernel "$K" --mem 256M -q --disk "$T/big.ext2,ro" \
					--report "$T/b$k.json" -- /bin/faultbench seq $k /data/256m.bin \
					>"$T/run.log" 2>&1 && continue
				echo "  cold 256 MiB read: SKIP: mapvisor failed ($k pages):"
				tail -n 3 "$T/run.log" | sed 's/^/    /'
				big_failed=1
				break 2
			done
			us=$(($(jq .kvm.at_exit.wall_us "$T/b65536.json") - $(jq .kvm.at_exit.wall_us "$T/b1.json")))
			awk "BEGIN {printf \"%.1f\n\", 268435456 / $us}" >>"$T/big_guest"
			per "$T/b1.json" "$T/b65536.json" 65535 "$GUEST_EXITS" >>"$T/big_exits"
			cold
			t0=$(now); cat "$T/big.ext2" >/dev/null; t1=$(now)
			awk "BEGIN {printf \"%.1f\n\", $(stat -c %s "$T/big.ext2") / (($t1 - $t0) / 1000)}" \
				>>"$T/big_cat"
		done
		if [ -z "${big_failed:-}" ]; then
			echo "  cold sequential mmap read of a 256 MiB file ($how)"
			row "guest MB/s" "$T/big_guest"
			row "exits (guest-caused) / page" "$T/big_exits"
			row "host cat of the image, MB/s" "$T/big_cat"
		fi
	fi
elif kc_available; then
	echo "  no writable /dev/kvm: QEMU TCG, guest kernel instructions (kvm-pvm's"
	echo "  emulated instructions, tests/bench/kcount_lib.sh) and the guest's counters"
	kc_init "$T"
	for kind in $KINDS; do
		n=$(n_of "$kind")
		for k in 1 2; do
			kc_run "$T/c$k" "$IMG" "quiet mmstats init=/bin/faultbench -- $(args "$kind" $((k * n)))"
			grep mmstats "$T/c$k.console" >"$T/q$k" || true
		done
		echo "  $kind (N=$n), per operation:"
		echo "    kernel instructions $(kc_per "$T/c1" "$T/c2" "$n" kernel)" \
			"(rep iterations $(kc_per "$T/c1" "$T/c2" "$n" kernel_rep))," \
			"port I/O $(kc_per "$T/c1" "$T/c2" "$n" kernel_pio)," \
			"iretq $(kc_per "$T/c1" "$T/c2" "$n" kernel_iret)"
		line=""
		for s in anon_zero pcache_hit disk_read around cow requests; do
			a=$(stat_of "$T/q1" $s) b=$(stat_of "$T/q2" $s)
			[ -n "$a" ] && [ -n "$b" ] || { line="$line $s ?"; continue; }
			line="$line $s $(awk "BEGIN {printf \"%.3f\", ($b - $a) / $n}")"
		done
		echo "   $line"
		echo "    top: $(kc_top "$T/c1" "$T/c2" "$n" 8)"
	done
else
	echo "  SKIP: no writable /dev/kvm and no qemu-system-x86_64"
fi

echo "  the same program on the host (µs / op)"
cp "$T/root/data/64m.bin" "$T/host.bin"
for kind in $KINDS; do
	n=$(n_of "$kind")
	rm -f "$T/h"
	for i in $(seq "$RUNS"); do
		# seq and rand want a file the host has not cached: not to be had
		# without root's drop_caches, so they read the host's page cache
		# shellcheck disable=SC2046
		t0=$(now); "$U/faultbench" $(args "$kind" "$n" | sed "s|/data/64m.bin|$T/host.bin|") >/dev/null
		t1=$(now)
		# shellcheck disable=SC2046
		"$U/faultbench" $(args "$kind" $((2 * n)) | sed "s|/data/64m.bin|$T/host.bin|") >/dev/null
		t2=$(now)
		awk "BEGIN {printf \"%.3f\n\", (($t2 - $t1) - ($t1 - $t0)) / 1000 / $n}" >>"$T/h"
	done
	row "$kind" "$T/h"
done
