#!/bin/sh
# Boot-and-exit: mapvisor against QEMU microvm on the same kernel, runs
# alternated so drift hits both alike. Prints medians, spreads and ratios.
# Usage: make bench [RUNS=N]
set -eu
BUILD=${BUILD:-build}
RUNS=${RUNS:-15}
K=build/guest/kernel.elf
M=$BUILD/mapvisor
T=$(mktemp -d /tmp/mapvisor-bench.XXXXXX)
trap 'rm -rf "$T"' EXIT

now() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; print m}'; }
spread() { sort -n | awk '{a[NR]=$1} END {print a[1] ".." a[NR]}'; }

if [ ! -w /dev/kvm ]; then
	echo "boot-and-exit: SKIP: no writable /dev/kvm (mapvisor and QEMU with KVM are timed)"
	exit 0
fi

for i in $(seq "$RUNS"); do
	t0=$(now)
	"$M" run --kernel "$K" --mem 256M --report "$T/r$i.json" >/dev/null 2>&1
	t1=$(now)
	qemu-system-x86_64 -M microvm -enable-kvm -nodefaults -no-user-config \
		-nographic -serial stdio -m 256M -device isa-debug-exit,iobase=0xf4,iosize=4 \
		-kernel "$K" </dev/null >/dev/null 2>&1 || true
	t2=$(now)
	echo $(((t1 - t0) / 1000)) >>"$T/mv"
	echo $(((t2 - t1) / 1000)) >>"$T/qemu"
	jq '.host.cpu_us' "$T/r$i.json" >>"$T/cpu"
	jq '.host.vmm_cpu_us' "$T/r$i.json" >>"$T/vmmcpu"
	jq '.host.setup_us' "$T/r$i.json" >>"$T/setup"
	jq '.kvm.boot_done.emulated_instructions' "$T/r$i.json" >>"$T/insn"
	jq '.kvm.boot_done.exits' "$T/r$i.json" >>"$T/exits"
	jq '.kvm.boot_done.wall_us' "$T/r$i.json" >>"$T/guest"
done

mv_med=$(median <"$T/mv")
q_med=$(median <"$T/qemu")
echo "boot-and-exit, 256 MiB, $RUNS alternating runs each (µs: median, min..max)"
printf '  %-28s %8s  %s\n' "mapvisor wall" "$mv_med" "$(spread <"$T/mv")"
printf '  %-28s %8s  %s\n' "qemu microvm wall" "$q_med" "$(spread <"$T/qemu")"
printf '  %-28s %8s\n' "ratio mapvisor/qemu" "$(awk "BEGIN{printf \"%.4f\", $mv_med/$q_med}")"
printf '  %-28s %8s  %s\n' "mapvisor process CPU" "$(median <"$T/cpu")" "$(spread <"$T/cpu")"
printf '  %-28s %8s  %s\n' " of it outside KVM_RUN" "$(median <"$T/vmmcpu")" "$(spread <"$T/vmmcpu")"
printf '  %-28s %8s  %s\n' "setup (main to KVM_RUN)" "$(median <"$T/setup")" "$(spread <"$T/setup")"
printf '  %-28s %8s  %s\n' "guest entry->boot done" "$(median <"$T/guest")" "$(spread <"$T/guest")"
printf '  %-28s %8s  %s\n' "boot emulated instructions" "$(median <"$T/insn")" "$(spread <"$T/insn")"
printf '  %-28s %8s  %s\n' "boot exits" "$(median <"$T/exits")" "$(spread <"$T/exits")"
