#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: style, userspace unit tests, the stock-kernel VM tier and
# the debug-kernel VM tier. Every step leaves TAP under build/check;
# the last line printed is "N passed, N failed, N skipped" and the exit
# status is non-zero on any failure. MEMVIRT_TIERS limits what runs
# (default "style userspace stock debug").
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
b=$repo/build/check
tiers=${MEMVIRT_TIERS:-style userspace stock debug}
rm -rf "$b"
mkdir -p "$b"
args=()
for t in $tiers; do
	echo "=== $t" >&2
	start=$(date +%s)
	case $t in
	style)     "$here/style.sh" "$b/style" ;;
	userspace) "$here/userspace/run.sh" "$b/userspace" ;;
	stock|debug) "$here/vm/tier-host.sh" "$t" "$b/$t" ;;
	*) echo "unknown tier $t" >&2; exit 2 ;;
	esac
	echo "=== $t took $(( $(date +%s) - start ))s" >&2
	args+=("$t=$b/$t/results")
done
echo
"$here/summary.sh" "${args[@]}" | tee "$b/summary.txt"
