# The guest's wall clock: /bin/clock checks time(), gettimeofday(),
# clock_gettime(CLOCK_REALTIME) and a new file's mtime against the host's
# `date +%s`, natively and in the guest, and both must print the same.
# mapvisor gives the time in mv_boot_info (boot ABI 2); the file's mtime
# must also be on the image. Without boot info (--entry pvh: mapvisor has
# no RTC) the clock starts at the epoch. Under QEMU microvm the kernel
# reads the CMOS RTC, which exists with rtc=on only.
. tests/boot_lib.sh
need_kvm
U=build/user
SRC_IMG=build/images/rootfs.ext2
[ -f "$SRC_IMG" ] || fail "$SRC_IMG not built (make image)"
[ -x "$U/clock" ] || fail "$U/clock not built (make all)"
for t in e2fsck debugfs; do
	command -v $t >/dev/null || PATH=$PATH:/sbin:/usr/sbin
	command -v $t >/dev/null || skip "no $t (e2fsprogs)"
done
IMG=$TMP/rootfs.ext2
cp "$SRC_IMG" "$IMG"
mkdir -p "$TMP/root/tmp"
now=$(date +%s)

(cd "$TMP/root" && env -i "$OLDPWD/$U/clock" "$now" tmp/clock.dat) >"$TMP/native.out" 2>&1 \
	</dev/null
echo $? >"$TMP/native.status"
[ "$(cat "$TMP/native.status")" = 0 ] || { cat "$TMP/native.out"; fail "native clock is off?"; }

run_guest mv -q --mem 64M --disk "$IMG" -- /bin/clock "$now" tmp/clock.dat
expect_status mv 0
diff -u "$TMP/native.out" "$TMP/mv.out" || fail "mapvisor: output differs from native"
e2fsck -fn "$IMG" >"$TMP/fsck.out" 2>&1 || { cat "$TMP/fsck.out"; fail "e2fsck after clock"; }
# debugfs prints "mtime: 0x6b02490e -- <date>"
mtime=$(debugfs -R "stat /tmp/clock.dat" "$IMG" 2>/dev/null | sed -n 's/^ *mtime: \(0x[0-9a-f]*\).*/\1/p')
[ -n "$mtime" ] || fail "no mtime for /tmp/clock.dat on the image"
d=$((mtime - now))
[ "$d" -ge -120 ] && [ "$d" -le 120 ] || fail "mtime on the image is $d s from the host's clock"
echo "ok: mapvisor (boot info): same as native, mtime on the image $d s from the host's"

# No boot info, no RTC: the epoch, and the kernel gave up on the RTC at
# once (a missing chip reads all ones) instead of polling it.
run_guest pvh -q --mem 64M --entry pvh --disk "$IMG" -- /bin/clock "$now" tmp/clock.dat
expect_status pvh 1
expect_out pvh '^time\(NULL\): off by -[0-9]+ s \(read [0-9]{1,3}, '
echo "ok: --entry pvh (no wall clock): starts at the epoch"

case $BUILD in build) ;; *) echo "QEMU part only in the plain build"; exit 0 ;; esac
command -v qemu-system-x86_64 >/dev/null || { echo "SKIP: qemu-system-x86_64 not installed"; exit 0; }
# acpi=off: microvm then announces its virtio-mmio devices on the command
# line (after the program's arguments; the kernel takes them back).
qemu() {   # name rtc
	timeout 300 qemu-system-x86_64 -M "microvm,acpi=off,rtc=$2" -enable-kvm -nodefaults \
		-no-user-config -nographic -serial stdio -m 256M \
		-global virtio-mmio.force-legacy=false \
		-device isa-debug-exit,iobase=0xf4,iosize=4 \
		-drive "id=d0,file=$IMG,format=raw,if=none" -device virtio-blk-device,drive=d0 \
		-kernel "$KERNEL" -append "quiet init=/bin/clock -- $now tmp/clock.dat" \
		</dev/null >"$TMP/$1.raw" 2>"$TMP/$1.err"
	echo $? >"$TMP/$1.status"
	tr -d '\r' <"$TMP/$1.raw" >"$TMP/$1.out"
}
qemu q_rtc on
expect_status q_rtc 1   # (0 << 1) | 1
diff -u "$TMP/native.out" "$TMP/q_rtc.out" || fail "qemu rtc=on: output differs from native"
echo "ok: qemu microvm rtc=on (CMOS RTC): same as native"
qemu q_nortc off
expect_status q_nortc 3   # (1 << 1) | 1
expect_out q_nortc '^time\(NULL\): off by -[0-9]+ s \(read [0-9]{1,3}, '
echo "ok: qemu microvm rtc=off: starts at the epoch"
e2fsck -fn "$IMG" >"$TMP/fsck.out" 2>&1 || { cat "$TMP/fsck.out"; fail "e2fsck after qemu"; }
