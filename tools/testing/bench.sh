#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: every benchmark reports ratios against a baseline that is
# measured in the same run, never absolute targets.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
out=$repo/build/bench
mkdir -p "$out"
make -s -C "$here/userspace" OUT="$out" bench
echo "== ptsel, native userspace build (baseline: binary search, same keys)"
"$out/ptsel_bench"
