# tools/qemu_kcount.c, the TCG plugin that stands in for kvm-pvm's
# emulated-instruction count where there is no /dev/kvm (make bench),
# must count what it says. With faultbench's anonymous faults, N and 2N:
# each extra fault is exactly one return to user mode (iretq), its
# instructions are the kernel's and are spent in fault_handle, and the
# user program's own instructions barely move. Fails if the plugin does
# not load, counts nothing, or counts in the wrong class.
. tests/boot_lib.sh
[ "$BUILD" = build ] || skip "SKIP: QEMU and the plugin only; $BUILD changes only mapvisor"
command -v qemu-system-x86_64 >/dev/null || skip "SKIP: qemu-system-x86_64 not installed"
KC=build/tools/qemu_kcount.so
[ -f "$KC" ] || fail "$KC not built (make)"
[ -x build/user/faultbench ] || fail "build/user/faultbench not built (make)"
command -v mke2fs >/dev/null || PATH=$PATH:/sbin:/usr/sbin
mkdir -p "$TMP/root/bin"
cp build/user/faultbench "$TMP/root/bin/"
mke2fs -q -F -t ext2 -b 4096 -d "$TMP/root" "$TMP/img" 8M >/dev/null 2>&1 || fail "mke2fs"
nm -n build/guest/kernel.full.elf >"$TMP/syms" || fail "nm"

run() {   # name N
	timeout 300 qemu-system-x86_64 -M microvm,acpi=off -accel tcg -cpu max -nodefaults \
		-no-user-config -nographic -serial stdio -m 256M \
		-device isa-debug-exit,iobase=0xf4,iosize=4 -global virtio-mmio.force-legacy=false \
		-drive id=d0,file="$TMP/img",format=raw,if=none,readonly=on \
		-device virtio-blk-device,drive=d0 -kernel "$KERNEL" \
		-plugin "$KC,out=$TMP/$1.count,syms=$TMP/syms,top=100000" \
		-append "quiet init=/bin/faultbench -- anon $2" >"$TMP/$1.out" 2>"$TMP/$1.err" </dev/null
	echo $? >"$TMP/$1.status"
	expect_status "$1" 1
	expect_out "$1" "anon $2 done"
}
count() {   # name counter|function
	awk -v n="$2" '($1 == n && NF == 2) || ($1 == "func" && $2 == n) {print $NF; f = 1}
		END {if (!f) print 0}' "$TMP/$1.count"
}
per_op() {   # counter|function: (2N run - N run) / N
	awk "BEGIN {printf \"%.2f\", ($(count big "$1") - $(count small "$1")) / $N}"
}
# The disk driver polls the used ring until QEMU's disk thread answers, as
# many times as the host's timing makes it: those instructions are left out.
kernel_per_op() {
	awk "BEGIN {printf \"%.2f\", ($(count big kernel_insns) - $(count big vblk_run) - \
		$(count small kernel_insns) + $(count small vblk_run)) / $N}"
}
N=256
run small $N
run big $((2 * N))

for c in kernel_insns user_insns kernel_iret; do
	[ "$(count small $c)" -gt 0 ] || fail "no $c counted: $(cat "$TMP/small.count" | head -5)"
done
iret=$(per_op kernel_iret)
[ "$iret" = "1.00" ] || fail "iretq per anonymous fault: $iret, expected exactly 1"
k=$(kernel_per_op) u=$(per_op user_insns) f=$(per_op fault_handle)
awk "BEGIN {exit !($k >= 100 && $k <= 5000)}" ||
	fail "kernel instructions per fault $k: not a fault's worth"
awk "BEGIN {exit !($f >= 10 && $f < $k)}" || fail "fault_handle per fault $f of $k"
awk "BEGIN {exit !($u < 50)}" || fail "user instructions per fault $u: kernel counted as user?"
echo "ok: per anonymous fault: $k kernel instructions ($f in fault_handle), iretq $iret," \
	"$u user instructions"
