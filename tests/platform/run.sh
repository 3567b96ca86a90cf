#!/bin/sh
# Build the platform tests if out of date and run them; exit status is theirs.
# Usage: tests/platform/run.sh   (from anywhere; BUILD defaults to build)
set -u
cd "$(dirname "$0")/../.." || exit 2
BUILD=${BUILD:-build}
src=tests/platform/platform_test.c
bin=$BUILD/tests/platform_test
if [ ! -x "$bin" ] || [ "$src" -nt "$bin" ] || [ include/x86.h -nt "$bin" ]; then
	mkdir -p "$(dirname "$bin")" || exit 2
	gcc -std=c11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -Iinclude "$src" -o "$bin" || exit 2
fi
exec "$bin" "$@"
