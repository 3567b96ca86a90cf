#!/bin/sh
# Make sure the Debian packages the build and tests need are installed.
# As root, install what is missing; otherwise print the apt-get line and fail.
set -eu
pkgs="gcc libc6-dev make pkg-config check libjansson-dev libfdt-dev device-tree-compiler
      qemu-system-x86 musl-tools e2fsprogs binutils jq"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
		|| missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
	echo "deps: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
else
	echo "deps: missing Debian packages; run as root:" >&2
	echo "  apt-get install$missing" >&2
	exit 1
fi
