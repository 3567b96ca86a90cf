# Boot on 2 MiB hugetlbfs pages, shared and private: reserves the pages it
# needs and gives them back.
. tests/boot_lib.sh
need_kvm
sys=/sys/kernel/mm/hugepages/hugepages-2048kB
[ -d "$sys" ] || skip "host has no 2 MiB hugepages"
[ "$(id -u)" = 0 ] || skip "reserving hugepages needs root"
need=32   # 64 MiB
# Add to the pool and take the same number back, rather than restoring an
# absolute value, so another user of the pool is not disturbed.
before=$(cat "$sys/nr_hugepages")
echo $((before + need)) >"$sys/nr_hugepages" 2>/dev/null
added=$(($(cat "$sys/nr_hugepages") - before))
cleanup_hook() { echo $(($(cat "$sys/nr_hugepages") - added)) >"$sys/nr_hugepages"; }
[ "$(cat "$sys/free_hugepages")" -ge $need ] || skip "could not reserve $need 2 MiB hugepages"

for share in shared private; do
	run_guest "huge_$share" --mem 64M --hugepages 2M --mem-share $share --cmdline selftest=all \
		--report "$TMP/huge_$share.json"
	expect_status "huge_$share" 0
	expect_out "huge_$share" 'selftests: [0-9]+ passed, 0 failed'
	r=$TMP/huge_$share.json
	[ "$(json "$r" '.memory.regions[0].backing.kind')" = hugetlbfs ] || fail "$share: kind"
	[ "$(json "$r" '.memory.regions[0].backing.page_size')" = 2097152 ] || fail "$share: page size"
	[ "$(json "$r" '.memory.regions[0].backing.share')" = $share ] || fail "$share: share"
	echo "ok: $share"
done

# Asking for more than is reserved says how to reserve.
run_guest huge_short --mem 4G --hugepages 2M
expect_status huge_short 121
expect_err huge_short 'nr_hugepages'
