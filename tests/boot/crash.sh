# A crashing guest ends mapvisor with the crash status and a diagnosis,
# never a hang.
. tests/boot_lib.sh
need_kvm

run_guest pf --mem 32M --cmdline crash=pf
expect_status pf 122
expect_out pf 'Page Fault|#PF|page fault'
expect_out pf 'RIP'
expect_out pf 'CR2'

run_guest panic --mem 32M --cmdline crash=panic
expect_status panic 122
expect_out panic 'panic'

run_guest triple --mem 32M --cmdline crash=triple --report "$TMP/triple.json"
expect_status triple 122
expect_err triple 'triple fault'
expect_err triple 'guest registers'
expect_err triple 'rip [0-9a-f]{16}'
[ "$(json "$TMP/triple.json" '.exit.source')" = crash ] || fail "triple: exit source"
