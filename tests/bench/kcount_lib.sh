# Kernel instruction counts under QEMU TCG, for benches on a machine
# without /dev/kvm (sourced). On kvm-pvm every instruction the guest kernel
# executes is emulated, so build/tools/qemu_kcount.so (tools/qemu_kcount.c)
# counting them gives kvm-pvm's emulated-instruction cost of an operation
# exactly; TCG's times say nothing about KVM, so none are given. Two
# differences from mapvisor are taken out: the disk driver's polling of the
# used ring (vblk_run: QEMU's disk thread answers later, mapvisor within the
# notify exit) is not counted, and page zero/copy run as rep instructions
# (counted as kernel_rep) where on kvm-pvm they are one hypercall each. The
# guest is told its RAM is zero, as mapvisor tells it.
#
#   kc_init DIR               the kernel's symbols into DIR (once)
#   kc_run OUT IMG APPEND     boot with disk IMG ("" for none) and APPEND on
#                             the command line; counts in OUT, console in
#                             OUT.console
#   kc FILE NAME              a counter or a function's count (0 if absent)
#   kc_kernel FILE            kernel instructions less the disk polling
#   kc_per A B N WHAT         (B - A) / N of kc_kernel (WHAT "kernel") or kc
#   kc_top A B N COUNT        the COUNT functions with most instructions per
#                             operation, "name count, ..."
KC=build/tools/qemu_kcount.so

kc_available() {
	command -v qemu-system-x86_64 >/dev/null && [ -f "$KC" ]
}

kc_init() {
	KC_SYMS=$1/kcount.syms
	nm -n build/guest/kernel.full.elf >"$KC_SYMS"
}

kc_run() {
	_kc_disk=
	[ -n "$2" ] && _kc_disk="-drive id=d0,file=$2,format=raw,if=none,readonly=on
		-device virtio-blk-device,drive=d0"
	# shellcheck disable=SC2086
	timeout 600 qemu-system-x86_64 -M microvm,acpi=off -accel tcg -cpu max -nodefaults \
		-no-user-config -nographic -serial stdio -m 256M \
		-device isa-debug-exit,iobase=0xf4,iosize=4 -global virtio-mmio.force-legacy=false \
		$_kc_disk -kernel build/guest/kernel.elf \
		-plugin "$KC,out=$1,syms=$KC_SYMS,top=100000" -append "ram_zero $3" \
		</dev/null 2>/dev/null | tr -d '\r' >"$1.console" || true
}

kc() {
	awk -v n="$2" '($1 == n && NF == 2) || ($1 == "func" && $2 == n) {print $NF; f = 1}
		END {if (!f) print 0}' "$1"
}

kc_kernel() {
	echo $(($(kc "$1" kernel_insns) - $(kc "$1" vblk_run)))
}

kc_per() {
	if [ "$4" = kernel ]; then
		_kc_a=$(kc_kernel "$1") _kc_b=$(kc_kernel "$2")
	else
		_kc_a=$(kc "$1" "$4") _kc_b=$(kc "$2" "$4")
	fi
	awk "BEGIN {printf \"%.1f\", ($_kc_b - $_kc_a) / $3}"
}

kc_top() {
	awk -v n="$3" 'FNR == NR {if ($1 == "func") a[$2] = $3; next}
		$1 == "func" && $2 != "vblk_run" {d = ($3 - a[$2]) / n; if (d >= 1) printf "%.0f %s\n", d, $2}' \
		"$1" "$2" | sort -rn | head -"$4" | awk '{printf "%s%s %s", (NR > 1 ? ", " : ""), $2, $1} END {print ""}'
}
