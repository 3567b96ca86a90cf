# The same kernel.elf boots under QEMU's microvm through its PVH entry, runs
# its self-tests without mapvisor's port, and exits with the right status
# (isa-debug-exit reports (status << 1) | 1).
. tests/boot_lib.sh
need_kvm
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 not installed"

# No -cpu host: on kvm-pvm QEMU then sets MSR 0x10a (IA32_ARCH_CAPABILITIES),
# which the host refuses, and QEMU aborts.
qemu() {   # name append
	timeout 300 qemu-system-x86_64 -M microvm -enable-kvm -nodefaults \
		-no-user-config -nographic -serial stdio -m 256M \
		-device isa-debug-exit,iobase=0xf4,iosize=4 \
		-kernel "$KERNEL" -append "$2" >"$TMP/$1.out" 2>"$TMP/$1.err" </dev/null
	echo $? >"$TMP/$1.status"
}

qemu selftest selftest=all
expect_status selftest 1
expect_out selftest 'selftests: [0-9]+ passed, 0 failed'
expect_out selftest 'paravirt: off'

qemu crash crash=pf
expect_status crash $(((122 << 1) | 1))
expect_out crash 'CR2'
