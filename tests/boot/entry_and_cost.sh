# Both entries boot under mapvisor; the 64-bit entry reaches "boot done"
# within the emulated-instruction and exit budget (KVM's own counters, not
# time: the count is the same on every run of the same kernel).
. tests/boot_lib.sh
need_kvm

run_guest e64 --mem 256M --cmdline selftest=all --report "$TMP/e64.json"
expect_status e64 0
[ "$(json "$TMP/e64.json" '.boot.entry')" = 64 ] || fail "entry 64 not chosen"
[ "$(json "$TMP/e64.json" '.kvm.boot_done != null')" = true ] || fail "no boot_done sample"
insns=$(json "$TMP/e64.json" '.kvm.boot_done.emulated_instructions')
exits=$(json "$TMP/e64.json" '.kvm.boot_done.exits')
echo "64-bit entry to boot done: $insns emulated instructions, $exits exits"
[ "$insns" -le 5000 ] || fail "boot took $insns emulated instructions (budget 5000)"
[ "$exits" -le 100 ] || fail "boot took $exits exits (budget 100)"

run_guest pvh --mem 256M --entry pvh --cmdline selftest=all --report "$TMP/pvh.json"
expect_status pvh 0
expect_out pvh 'selftests: [0-9]+ passed, 0 failed'
[ "$(json "$TMP/pvh.json" '.boot.entry')" = pvh ] || fail "entry pvh not used"

run_guest nopv --mem 256M --pv off --cmdline selftest=all
expect_status nopv 0
expect_out nopv 'paravirt: off'
