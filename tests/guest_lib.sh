# Guest runners for boot tests that compare a program's run in the guest
# with a native one. Source after tests/boot_lib.sh (uses MAPVISOR, KERNEL).
#
#   guest_runners                  the runners usable here: "mapvisor qemu"
#                                  with a writable /dev/kvm, else "qemu" (TCG)
#                                  if QEMU is installed, else nothing
#   guest_run RUNNER IMG OUT PROG ARGS...
#                                  PROG (a path on the disk IMG) with ARGS as
#                                  the guest's first process; console output
#                                  in OUT (\r stripped), the monitor's stderr
#                                  in OUT.err, the status in OUT.status;
#                                  for QEMU, words in GUEST_APPEND go on the
#                                  kernel command line
#   guest_status RUNNER STATUS     what RUNNER reports for a program that
#                                  ends with STATUS natively
#   guest_console_filter           stdin to stdout without the kernel's
#                                  "pid N killed by ..." lines
#
# QEMU's isa-debug-exit makes the guest's status v into (v << 1) | 1, of
# which the shell sees 8 bits: guest_run decodes it, so for QEMU a status
# is known modulo 128 (139 reads as 11). A QEMU status that is even (no
# write to the exit port: QEMU error, reset, or 124 from timeout) is
# reported as "qemu:N". Every QEMU run is limited to 300 s.
QEMU=${QEMU:-qemu-system-x86_64}
GUEST_MEM=${GUEST_MEM:-128M}

guest_runners() {
	_r=
	if [ -w /dev/kvm ] && [ -x "$MAPVISOR" ]; then _r=mapvisor; fi
	if command -v "$QEMU" >/dev/null 2>&1; then _r="${_r:+$_r }qemu"; fi
	echo "$_r"
}

# guest_pick_runners: $runners for a boot test, said on stdout; the test
# skips when there is none. tests/run.sh's ASan+UBSan pass (BUILD other
# than build) rebuilds only mapvisor, so there it is mapvisor or nothing.
guest_pick_runners() {
	runners=$(guest_runners)
	if [ "$BUILD" != build ]; then
		[ -w /dev/kvm ] || skip "SKIP: $BUILD changes only mapvisor, and there is no writable /dev/kvm"
		runners=mapvisor
	fi
	[ -n "$runners" ] || skip "SKIP: no writable /dev/kvm for mapvisor and no $QEMU for QEMU TCG"
	if [ -w /dev/kvm ]; then
		echo "runners: $runners"
	else
		echo "runners: $runners (no writable /dev/kvm: QEMU TCG only)"
	fi
}

guest_run() {
	_runner=$1 _img=$2 _out=$3 _prog=$4
	shift 4
	case $_runner in
	mapvisor)
		"$MAPVISOR" run --kernel "$KERNEL" -q --mem "$GUEST_MEM" --disk "$_img" \
			-- "$_prog" "$@" >"$_out" 2>"$_out.err" </dev/null
		echo $? >"$_out.status"
		;;
	qemu)
		_append="quiet${GUEST_APPEND:+ $GUEST_APPEND} init=$_prog"
		[ $# -gt 0 ] && _append="$_append -- $*"
		timeout 300 "$QEMU" -M microvm,acpi=off,rtc=on -accel tcg -cpu max -nodefaults \
			-no-user-config -nographic -serial stdio \
			-device isa-debug-exit,iobase=0xf4,iosize=4 -m 256M \
			-global virtio-mmio.force-legacy=false \
			-drive "id=d0,file=$_img,format=raw,if=none" -device virtio-blk-device,drive=d0 \
			-kernel "$KERNEL" -append "$_append" </dev/null >"$_out.raw" 2>"$_out.err"
		_st=$?
		tr -d '\r' <"$_out.raw" >"$_out"
		if [ $((_st % 2)) = 1 ]; then
			echo $(((_st - 1) / 2))
		else
			echo "qemu:$_st"
		fi >"$_out.status"
		;;
	*)
		echo "guest_run: unknown runner $_runner" >&2
		return 2
		;;
	esac
}

guest_status() {
	case $1 in
	qemu) echo $(($2 % 128)) ;;
	*) echo "$2" ;;
	esac
}

guest_console_filter() {
	grep -v -E '^pid [0-9]+ killed by '
}
