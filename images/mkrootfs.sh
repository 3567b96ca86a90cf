#!/bin/sh
# Builds the guest's root file system image from the user programs and the
# files under images/files/, plus an optional directory of the user's own.
#
#   sh images/mkrootfs.sh IMAGE STAGING [EXTRA_DIR] -- PROGRAM...
#
# STAGING is emptied and refilled (it is build output); the image is made
# by mke2fs -d from it, so what is in STAGING is exactly what the guest sees.
# Layout:
#   /bin/<program>         every build/user/NAME
#   /tmp, /dev/shm         empty, sticky and world-writable as on Linux
#   /dev                   empty: /dev/null and /dev/zero come from the kernel
#   /etc/...               images/files/etc (test data such as /etc/motd)
#   /data/1m.bin           1 MiB of text, no holes (read benchmarks)
#   ...                    EXTRA_DIR copied over the top (`make image EXTRA=dir`)
set -eu
img=$1 staging=$2
shift 2
extra=
if [ "${1:-}" != "--" ]; then
	extra=$1
	shift
fi
[ "${1:-}" = "--" ] || { echo "usage: mkrootfs.sh IMAGE STAGING [EXTRA] -- PROGRAM..." >&2; exit 2; }
shift

here=$(dirname "$0")
rm -rf "$staging"
mkdir -p "$staging/bin" "$staging/tmp" "$staging/dev/shm" "$staging/etc"
chmod 1777 "$staging/tmp" "$staging/dev/shm"
for p in "$@"; do
	cp "$p" "$staging/bin/"
done
cp -R "$here/files/." "$staging/"
mkdir -p "$staging/data"
yes 'mapvisor reads this line from its disk.' | head -c 1048576 >"$staging/data/1m.bin"
if [ -n "$extra" ]; then
	[ -d "$extra" ] || { echo "mkrootfs.sh: EXTRA=$extra is not a directory" >&2; exit 2; }
	cp -R "$extra/." "$staging/"
fi
mkdir -p "$(dirname "$img")"
# 4 KiB blocks: one block per page-cache page. 64 MiB leaves room to write.
rm -f "$img.new"
: >"$img.new"   # mke2fs -q still announces files it creates
mke2fs -q -F -t ext2 -b 4096 -d "$staging" "$img.new" 64M
mv "$img.new" "$img"
# Tells the Makefile that this image has files from outside the tree.
if [ -n "$extra" ]; then echo "$extra" >"$img.extra"; else rm -f "$img.extra"; fi
