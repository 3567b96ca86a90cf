# The kernel boots and passes its self-tests on every non-hugetlb RAM backing,
# and the report describes each backing as it really is.
. tests/boot_lib.sh
need_kvm

check_boot() {   # name kind share
	expect_status "$1" 0
	expect_out "$1" 'selftests: [0-9]+ passed, 0 failed'
	r=$TMP/$1.json
	[ "$(json "$r" '.memory.regions[0].backing.kind')" = "$2" ] || fail "$1: kind"
	[ "$(json "$r" '.memory.regions[0].backing.share')" = "$3" ] || fail "$1: share"
	[ "$(json "$r" '.exit.source')" = guest ] || fail "$1: exit source"
	[ "$(json "$r" '.memory.regions[0].resident_pages > 0')" = true ] || fail "$1: resident"
	echo "ok: $1"
}

run_guest anon --mem 64M --cmdline selftest=all --report "$TMP/anon.json"
check_boot anon anonymous private
json "$TMP/anon.json" '.memory.regions[0].backing.flags | join(",")' | grep -q MAP_ANONYMOUS \
	|| fail "anon: flags"
# Transparent huge pages: asked for by default where the host has them,
# never with --thp off (and then none, unless the host's policy is always).
thp=/sys/kernel/mm/transparent_hugepage/enabled
if [ -r "$thp" ]; then
	[ "$(json "$TMP/anon.json" '.memory.thp.advised')" = true ] || fail "anon: THP not advised"
	[ "$(json "$TMP/anon.json" '.memory.thp.huge_bytes >= 0')" = true ] || fail "anon: THP bytes"
fi
run_guest nothp --mem 64M --thp off --cmdline selftest=all --report "$TMP/nothp.json"
check_boot nothp anonymous private
[ "$(json "$TMP/nothp.json" '.memory.thp.advised')" = false ] || fail "nothp: advised"
if [ -r "$thp" ] && ! grep -q '\[always\]' "$thp"; then
	[ "$(json "$TMP/nothp.json" '.memory.thp.huge_bytes')" = 0 ] || fail "nothp: huge pages"
fi

run_guest prefault --mem 64M --prefault --cmdline selftest=all --report "$TMP/prefault.json"
check_boot prefault anonymous private
[ "$(json "$TMP/prefault.json" '.memory.regions[0].resident_pages == .memory.regions[0].pages')" = true ] \
	|| fail "prefault: not all pages resident"

# Shared file: created by mapvisor, guest RAM is the file afterwards.
f=$TMP/ram.shared
run_guest shared --mem 64M --mem-file "$f" --mem-share shared --cmdline selftest=all \
	--report "$TMP/shared.json"
check_boot shared file shared
[ "$(stat -c %s "$f")" = $((64 << 20)) ] || fail "shared: file size"
# hvm_start_info magic (0x336ec578) at GPA 0x1000 is in the file.
[ "$(od -An -tx4 -j 4096 -N 4 "$f" | tr -d ' ')" = 336ec578 ] || fail "shared: RAM not in file"
[ "$(json "$TMP/shared.json" '.memory.regions[0].backing.path')" = "$(realpath "$f")" ] \
	|| fail "shared: path"

# A larger existing file is used, not truncated.
big=$TMP/ram.big
truncate -s 80M "$big"
run_guest shared_big --mem 64M --mem-file "$big" --mem-share shared --cmdline selftest=all
expect_status shared_big 0
[ "$(stat -c %s "$big")" = $((80 << 20)) ] || fail "shared_big: file was resized"

# Private file: read from the file, never written.
p=$TMP/ram.private
head -c $((64 << 20)) /dev/zero >"$p"
sum=$(md5sum <"$p")
run_guest private --mem 64M --mem-file "$p" --mem-share private --cmdline selftest=all \
	--report "$TMP/private.json"
check_boot private file private
[ "$(md5sum <"$p")" = "$sum" ] || fail "private: the file changed"

# RAM above 3 GiB continues at 4 GiB: two regions, two slots.
run_guest high --mem 3200M --cmdline selftest=all --report "$TMP/high.json"
check_boot high anonymous private
[ "$(json "$TMP/high.json" '.memory.regions | length')" = 2 ] || fail "high: regions"
[ "$(json "$TMP/high.json" '.memory.regions[1].gpa_start')" = 0x100000000 ] || fail "high: gpa"
[ "$(json "$TMP/high.json" '.memory.regions[1].kvm_slot')" = 1 ] || fail "high: slot"
