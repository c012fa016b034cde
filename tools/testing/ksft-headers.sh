#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Print a folder holding the kselftest harness headers (kselftest.h and
# kselftest_harness.h) of linux-source-6.12. The kselftests need these
# two files only: if the whole tree is not extracted already (make check
# extracts it for the debug kernel), only they are taken out of the
# tarball, into the cache.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/vm/lib.sh"

ver=$(linux_source_version)
full=$MEMVIRT_CACHE/linux-source-$ver
if [ -e "$full/.memvirt-extracted" ]; then
	echo "$full/tools/testing/selftests"
	exit 0
fi
[ -r "$LINUX_SRC_TARBALL" ] ||
	die "missing $LINUX_SRC_TARBALL (apt-get install linux-source-6.12)"
dir=$MEMVIRT_CACHE/ksft-headers-$ver
if [ ! -e "$dir/.memvirt-extracted" ]; then
	log "extracting the kselftest headers from $LINUX_SRC_TARBALL"
	rm -rf "$dir" "$dir.tmp.$$"
	mkdir -p "$dir.tmp.$$"
	tar -xJf "$LINUX_SRC_TARBALL" -C "$dir.tmp.$$" --strip-components=4 \
		--wildcards '*/tools/testing/selftests/kselftest.h' \
		'*/tools/testing/selftests/kselftest_harness.h'
	[ -r "$dir.tmp.$$/kselftest_harness.h" ] || die "no kselftest headers in the tarball"
	touch "$dir.tmp.$$/.memvirt-extracted"
	mv "$dir.tmp.$$" "$dir"
fi
echo "$dir"
