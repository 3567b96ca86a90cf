# The guest's virtio-blk driver and block layer against a 16 MiB image with a
# known pattern: selftest=virtio reads the first and last sectors (checked
# here against the image), writes the last 4 KiB block aligned and not,
# flushes, reads back and restores it, so the image must be unchanged
# afterwards. A ,ro disk must refuse the write with -EROFS. Then the cost of
# a 4 KiB read from KVM's counters (1000 reads vs 2000), and the same kernel
# and image under QEMU microvm.
. tests/boot_lib.sh
need_kvm

IMG=$TMP/disk.img
# 16 MiB of a 32-byte line; the last sector begins inside a line.
yes 'mapvisor virtio-blk test pattern' | head -c 16777216 >"$IMG"
[ "$(stat -c %s "$IMG")" = 16777216 ] || fail "image not 16 MiB"
sum0=$(md5sum <"$IMG")
hex8() { od -An -tx1 -N8 -j "$1" "$IMG" | tr -d ' \n'; }
first=$(hex8 0)
last=$(hex8 $((16777216 - 512)))

unchanged() {   # name
	[ "$(md5sum <"$IMG")" = "$sum0" ] || fail "$1: image changed"
}

run_guest rw --mem 64M --disk "$IMG" --cmdline selftest=virtio_parse,virtio --report "$TMP/rw.json"
expect_status rw 0
expect_out rw 'vda: virtio-blk at d0000000 irq 5: 32768 sectors'
expect_out rw "sector 0 starts $first, last sector starts $last"
expect_out rw "selftest virtio: ok \(vda: 32768 sectors, block 4096, id 'disk.img'"
expect_out rw 'selftests: 2 passed, 0 failed'
unchanged rw
d='.disks[0]'
[ "$(json "$TMP/rw.json" "$d.status")" = 15 ] || fail "rw: device status not DRIVER_OK"
[ "$(json "$TMP/rw.json" "$d.requests.out > 0 and $d.requests.flush > 0")" = true ] ||
	fail "rw: no writes or flushes reached the device"
[ "$(json "$TMP/rw.json" "$d.errors | add")" = 0 ] || fail "rw: device counted errors"

run_guest ro --mem 64M --disk "$IMG,ro" --cmdline selftest=virtio --report "$TMP/ro.json"
expect_status ro 0
expect_out ro 'read-only: write refused with -EROFS'
unchanged ro
[ "$(json "$TMP/ro.json" "$d.requests.out")" = 0 ] || fail "ro: a write reached the device"

run_guest none --mem 64M --cmdline selftest=virtio
expect_status none 0
expect_out none 'selftest virtio: skipped \(no device\)'

# Cost of one 4 KiB read: the run with twice the reads minus the other.
run_guest b1 --mem 64M -q --disk "$IMG" --cmdline selftest=virtio_bench --report "$TMP/b1.json"
run_guest b2 --mem 64M -q --disk "$IMG" --cmdline selftest=virtio_bench,virtio_bench \
	--report "$TMP/b2.json"
expect_status b1 0
expect_status b2 0
cost() { echo $(($(json "$TMP/b2.json" ".kvm.at_exit.$1") - $(json "$TMP/b1.json" ".kvm.at_exit.$1"))); }
insns=$(cost emulated_instructions)
exits=$(cost exits)
us=$(cost wall_us)
echo "1000 reads of 4 KiB: $insns emulated instructions, $exits exits, $us us"
# One notify exit a read; the count drifts by a few exits between runs.
[ "$exits" -ge 900 ] && [ "$exits" -le 1100 ] || fail "reads cost $exits exits per 1000"
unchanged bench

# QEMU microvm: the PVH entry, a virtio-mmio window at 0xfeb00e00 of 512
# bytes, and completion in QEMU's own thread (the driver's polling path).
# acpi=off makes microvm put virtio_mmio.device= on the command line;
# force-legacy=false makes it a modern (Version 2) device. The ASan run of
# the suite tests the monitor only, so QEMU runs once.
case $BUILD in build) ;; *) echo "QEMU part only in the plain build"; exit 0 ;; esac
command -v qemu-system-x86_64 >/dev/null || { echo "SKIP: qemu-system-x86_64 not installed"; exit 0; }
qemu() {   # name drive-options append
	timeout 300 qemu-system-x86_64 -M microvm,acpi=off -enable-kvm -nodefaults \
		-no-user-config -nographic -serial stdio -m 256M \
		-global virtio-mmio.force-legacy=false \
		-device isa-debug-exit,iobase=0xf4,iosize=4 \
		-drive "id=d0,file=$IMG,format=raw,if=none$2" \
		-device virtio-blk-device,drive=d0,serial=qemu-disk \
		-kernel "$KERNEL" -append "$3" >"$TMP/$1.out" 2>"$TMP/$1.err" </dev/null
	echo $? >"$TMP/$1.status"
}
qemu q_rw "" selftest=virtio
expect_status q_rw 1
expect_out q_rw 'cmdline: selftest=virtio virtio_mmio.device=512@0xfeb00e00:12'
expect_out q_rw "sector 0 starts $first, last sector starts $last"
expect_out q_rw "selftest virtio: ok \(vda: 32768 sectors, block 512, id 'qemu-disk'"
unchanged q_rw
qemu q_ro ",readonly=on" selftest=virtio
expect_status q_ro 1
expect_out q_ro 'read-only: write refused with -EROFS'
unchanged q_ro
