# User programs embedded in the kernel (init=/embedded/NAME -- ARGS): each
# binary also runs natively here, and the guest must print what Linux
# prints and end with the status Linux's shell reports. Also under QEMU
# (PVH entry, no mapvisor port) and, when it is installed, QEMU's TCG,
# where `syscall` enters CPL 0 as on hardware (the stub's other path).
. tests/boot_lib.sh
# The ASan+UBSan pass rebuilds only mapvisor: without /dev/kvm it has
# nothing to add to the plain pass's TCG runs.
[ "$BUILD" = build ] || need_kvm
U=build/user
for p in hello getpid_loop malloc_test fault; do
	[ -x "$U/$p" ] || fail "$U/$p not built (make all)"
done

# native NAME ARGS... : run build/user/NAME with argv[0] = /embedded/NAME
# and an empty environment, as the guest runs it.
native() {
	name=$1; shift
	env -i perl -e '$p = shift; exec { $p } @ARGV or exit 127' "$U/$name" "/embedded/$name" "$@" \
		>"$TMP/native_$name.out" 2>/dev/null
	echo $? >"$TMP/native_$name.status"
}

# same NAME ARGS... : guest and native agree on stdout and status
same() {
	name=$1; shift
	native "$name" "$@"
	if [ $# -gt 0 ]; then args=" -- $*"; else args=""; fi
	run_guest "$name" --mem 64M --cmdline "quiet init=/embedded/$name$args" \
		--report "$TMP/$name.json"
	expect_status "$name" "$(cat "$TMP/native_$name.status")"
	diff -u "$TMP/native_$name.out" "$TMP/$name.out" || fail "$name: output differs from native"
	echo "ok: $name $* (status $(status_of "$name"))"
}

# Without /dev/kvm only the TCG part at the end can run.
if [ -w /dev/kvm ]; then
same hello one two 3
same malloc_test
same getpid_loop 1000

# A NULL store: killed by SIGSEGV, status 128 + 11 as a shell reports it.
sh -c "$U/fault" >/dev/null 2>&1
[ $? = 139 ] || fail "native fault: status $?"
run_guest fault --mem 64M --cmdline "quiet init=/embedded/fault"
expect_status fault 139
expect_out fault 'killed by SIGSEGV'
expect_out fault '^fault: writing to NULL$'
grep -q 'still alive' "$TMP/fault.out" && fail "fault: ran on after the fault"
echo "ok: fault (status 139)"

# Price of one getpid round trip: counters for N and 2N calls differ by N.
n=2000
run_guest gp1 --mem 64M --cmdline "quiet init=/embedded/getpid_loop -- $n" --report "$TMP/gp1.json"
run_guest gp2 --mem 64M --cmdline "quiet init=/embedded/getpid_loop -- $((2 * n))" \
	--report "$TMP/gp2.json"
expect_status gp1 0
expect_status gp2 0
per() { echo $((($(json "$TMP/gp2.json" "$1") - $(json "$TMP/gp1.json" "$1")) * 100 / n)); }
# Exits the host causes (its interrupts, signals and preemption of the vCPU
# thread) depend on the machine's load, not on the guest: they are left out.
guest_exits='.kvm.vcpu.exits - .kvm.vcpu.irq_exits - .kvm.vcpu.signal_exits - .kvm.vcpu.preemption_reported - .kvm.vcpu.preemption_other'
insns=$(per .kvm.at_exit.emulated_instructions) exits=$(per "$guest_exits")
us=$(per .kvm.at_exit.wall_us)
echo "getpid round trip: $((insns / 100)).$((insns % 100)) emulated instructions," \
	"$((exits / 100)).$((exits % 100)) exits, $((us / 100)).$((us % 100)) us"
[ "$insns" -le 6000 ] || fail "getpid costs more than 60 emulated instructions"
[ "$exits" -le 300 ] || fail "getpid costs more than 3 exits"

# Unknown init program and a malformed ELF are refused, not crashed on.
run_guest noinit --mem 64M --cmdline "quiet init=/embedded/nosuch"
expect_status noinit 127
expect_out noinit 'init: /embedded/nosuch: No such file or directory'
run_guest badelf --mem 64M --cmdline "quiet init=/embedded/badelf"
expect_status badelf 126
expect_out badelf 'init: /embedded/badelf: Exec format error'
echo "ok: missing and malformed programs refused"
else
	echo "SKIP: mapvisor and QEMU/KVM parts: no writable /dev/kvm"
fi

if ! command -v qemu-system-x86_64 >/dev/null; then
	[ -w /dev/kvm ] || skip "no writable /dev/kvm and no QEMU"
	echo "SKIP: QEMU parts: not installed"
	exit 0
fi
# qemu NAME ACCEL APPEND : isa-debug-exit makes status v into (v << 1) | 1,
# of which the process status keeps the low 8 bits; the UART sends \r\n.
qemu() {
	# shellcheck disable=SC2086
	timeout 600 qemu-system-x86_64 -M microvm $2 -nodefaults -no-user-config -nographic \
		-serial stdio -m 256M -device isa-debug-exit,iobase=0xf4,iosize=4 \
		-kernel "$KERNEL" -append "$3" </dev/null >"$TMP/$1.raw" 2>"$TMP/$1.err"
	echo $? >"$TMP/$1.status"
	tr -d '\r' <"$TMP/$1.raw" >"$TMP/$1.out"
}
qstatus() { echo $(((($1 << 1) | 1) & 255)); }
qemu_same() {   # accel-name accel-args name args...
	label=$1 accel=$2 name=$3; shift 3
	if [ $# -gt 0 ]; then args=" -- $*"; else args=""; fi
	qemu "q_$name" "$accel" "quiet init=/embedded/$name$args"
	native "$name" "$@"
	diff -u "$TMP/native_$name.out" "$TMP/q_$name.out" || fail "$label $name: output differs"
	[ "$(cat "$TMP/q_$name.status")" = "$(qstatus "$(cat "$TMP/native_$name.status")")" ] \
		|| fail "$label $name: status $(cat "$TMP/q_$name.status")"
	echo "ok: $label $name"
}
if [ -w /dev/kvm ]; then
qemu_same qemu-kvm "-enable-kvm" hello a b
qemu_same qemu-kvm "-enable-kvm" malloc_test
qemu q_fault "-enable-kvm" "quiet init=/embedded/fault"
grep -q 'killed by SIGSEGV' "$TMP/q_fault.out" || fail "qemu fault: no SIGSEGV message"
[ "$(cat "$TMP/q_fault.status")" = "$(qstatus 139)" ] || fail "qemu fault: status $(cat "$TMP/q_fault.status")"
echo "ok: qemu-kvm fault"
fi

# TCG: `syscall` lands at CPL 0 there, as on hardware virtualization.
qemu_same qemu-tcg "-accel tcg -cpu max" hello a b
qemu_same qemu-tcg "-accel tcg -cpu max" getpid_loop 100
qemu_same qemu-tcg "-accel tcg -cpu max" malloc_test
