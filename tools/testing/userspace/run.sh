#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh OUT: build the userspace tests (ASan + UBSan) and the libFuzzer
# targets, run them, and leave TAP in OUT/results. MEMVIRT_FUZZ_SECONDS
# sets how long each fuzz target runs (default 60).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$1
secs=${MEMVIRT_FUZZ_SECONDS:-60}
rm -rf "$out/results"
mkdir -p "$out/results"
out=$(cd "$out" && pwd)
res=$out/results

if ! make -C "$here" OUT="$out" all fuzz > "$out/build.log" 2>&1; then
	{ echo "TAP version 13"; echo "1..1"; echo "not ok 1 - userspace build"
	  tail -n 20 "$out/build.log" | sed 's/^/# /'; } > "$res/build.tap"
	exit 1
fi

"$out/ptsel_random" > "$res/ptsel_random.tap" 2> "$out/ptsel_random.err"
rc=$?
if [ $rc != 0 ]; then
	echo "not ok 9999 - ptsel_random exited with status $rc" >> "$res/ptsel_random.tap"
	sed 's/^/# /' "$out/ptsel_random.err" | head -n 40 >> "$res/ptsel_random.tap"
fi

for t in ptsel_concurrent ptsel_gwalk ptsel_tlb ptsel_wcache ptsel_regions thp_encvm_core; do
	"$out/$t" > "$res/$t.tap" 2> "$out/$t.err"
	rc=$?
	if [ $rc != 0 ]; then
		echo "not ok 9999 - $t exited with status $rc" >> "$res/$t.tap"
		sed 's/^/# /' "$out/$t.err" | head -n 40 >> "$res/$t.tap"
	fi
done

mkdir -p "$out/corpus/ptsel"
"$out/ptsel_fuzz" -max_total_time="$secs" -max_len=4096 -rss_limit_mb=1024 \
	-artifact_prefix="$out/" "$out/corpus/ptsel" > "$out/ptsel_fuzz.log" 2>&1
rc=$?
{
	echo "TAP version 13"
	echo "1..1"
	if [ $rc = 0 ]; then
		echo "ok 1 - ptsel_fuzz ran ${secs}s: $(grep -o 'Done [0-9]* runs' "$out/ptsel_fuzz.log")"
	else
		echo "not ok 1 - ptsel_fuzz found a failure (status $rc)"
		grep -E 'check failed|ERROR|SUMMARY|artifact' "$out/ptsel_fuzz.log" |
			head -n 20 | sed 's/^/# /'
	fi
} > "$res/ptsel_fuzz.tap"
! grep -q '^not ok' "$res"/*.tap
