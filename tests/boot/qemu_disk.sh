# The same kernel.elf under QEMU microvm reads its programs and files from
# QEMU's virtio-blk-device: /bin/cat prints /etc/motd from a copy of the
# root image, byte for byte what the image holds, and /bin/hello gets its
# arguments. QEMU's exit device makes status v into (v << 1) | 1.
. tests/boot_lib.sh
need_kvm
# tests/run.sh does not run qemu* tests in the ASan+UBSan pass: no mapvisor code runs here.
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 not installed"
command -v debugfs >/dev/null || PATH=$PATH:/sbin:/usr/sbin
command -v debugfs >/dev/null || skip "no debugfs (e2fsprogs)"
SRC_IMG=build/images/rootfs.ext2
[ -f "$SRC_IMG" ] || fail "$SRC_IMG not built (make image)"
IMG=$TMP/rootfs.ext2
cp "$SRC_IMG" "$IMG"

# No -cpu host (QEMU aborts on kvm-pvm hosts, see qemu.sh). acpi=off puts
# virtio_mmio.device= on the command line; force-legacy=false gives a
# modern (Version 2) device, the only kind the driver takes.
qemu() {   # name append
	timeout 300 qemu-system-x86_64 -M microvm,acpi=off -enable-kvm -nodefaults \
		-no-user-config -nographic -serial stdio -m 256M \
		-global virtio-mmio.force-legacy=false \
		-device isa-debug-exit,iobase=0xf4,iosize=4 \
		-drive "id=d0,file=$IMG,format=raw,if=none" -device virtio-blk-device,drive=d0 \
		-kernel "$KERNEL" -append "$2" </dev/null >"$TMP/$1.raw" 2>"$TMP/$1.err"
	echo $? >"$TMP/$1.status"
	tr -d '\r' <"$TMP/$1.raw" >"$TMP/$1.out"   # the UART sends \r\n
}

debugfs -R "cat /etc/motd" "$IMG" >"$TMP/motd" 2>/dev/null
cmp -s "$TMP/motd" images/files/etc/motd || fail "/etc/motd on the image is not images/files/etc/motd"
qemu motd 'quiet init=/bin/cat -- /etc/motd'
expect_status motd 1
cmp "$TMP/motd" "$TMP/motd.out" || { cat "$TMP/motd.out"; fail "cat /etc/motd under QEMU"; }
echo "ok: qemu cat /etc/motd ($(wc -c <"$TMP/motd") bytes, as on the image)"

qemu hello 'quiet init=/bin/hello -- from-the-disk'
expect_status hello 1
expect_out hello '^argv\[0\]=/bin/hello$'
expect_out hello '^argv\[1\]=from-the-disk$'
expect_out hello '^argc=2$'
echo "ok: qemu /bin/hello from-the-disk"
