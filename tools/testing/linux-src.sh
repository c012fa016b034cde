#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Print the path of an extracted linux-source-6.12 tree, extracting the
# Debian tarball into the cache (outside the work tree) on first use.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/vm/lib.sh"

[ -r "$LINUX_SRC_TARBALL" ] ||
	die "missing $LINUX_SRC_TARBALL (apt-get install linux-source-6.12)"
src=$MEMVIRT_CACHE/linux-source-$(linux_source_version)
if [ ! -e "$src/.memvirt-extracted" ]; then
	log "extracting $LINUX_SRC_TARBALL into $src"
	mkdir -p "$MEMVIRT_CACHE"
	rm -rf "$src" "$src.tmp.$$"
	mkdir -p "$src.tmp.$$"
	tar -xJf "$LINUX_SRC_TARBALL" -C "$src.tmp.$$" --strip-components=1
	touch "$src.tmp.$$/.memvirt-extracted"
	mv "$src.tmp.$$" "$src"
fi
echo "$src"
