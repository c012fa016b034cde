#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh OUT: build the userspace tests (ASan + UBSan) and the libFuzzer
# targets, run them, and leave TAP in OUT/results. The programs are the
# Makefile's TESTS and FUZZ. MEMVIRT_FUZZ_SECONDS sets how long each
# fuzz target runs (default 60).
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
tests=$(make -s --no-print-directory -C "$here" print-tests)
fuzz=$(make -s --no-print-directory -C "$here" print-fuzz)

# One test may take this long (the longest takes about a minute).
tmo=${MEMVIRT_USERSPACE_TIMEOUT:-600}
for t in $tests; do
	timeout -k 10 "$tmo" "$out/$t" > "$res/$t.tap" 2> "$out/$t.err"
	rc=$?
	n=$(grep -cE '^(not )?ok ' "$res/$t.tap")
	if [ $rc = 124 ] || [ $rc = 137 ]; then
		echo "not ok $((n + 1)) - $t: killed after ${tmo}s" >> "$res/$t.tap"
	elif [ $rc != 0 ]; then
		echo "not ok $((n + 1)) - $t exited with status $rc" >> "$res/$t.tap"
		sed 's/^/# /' "$out/$t.err" | head -n 40 >> "$res/$t.tap"
	fi
done

for t in $fuzz; do
	mkdir -p "$out/corpus/$t"
	timeout -k 10 $((secs + 120)) \
	"$out/$t" -max_total_time="$secs" -max_len=4096 -rss_limit_mb=1024 \
		-artifact_prefix="$out/$t-" "$out/corpus/$t" > "$out/$t.log" 2>&1
	rc=$?
	{
		echo "TAP version 13"
		echo "1..1"
		if [ $rc = 0 ]; then
			echo "ok 1 - $t ran ${secs}s: $(grep -o 'Done [0-9]* runs' "$out/$t.log")"
		else
			echo "not ok 1 - $t found a failure (status $rc)"
			grep -E 'check failed|ERROR|SUMMARY|artifact' "$out/$t.log" |
				head -n 20 | sed 's/^/# /'
		fi
	} > "$res/$t.tap"
done
# make check's own checks: its TAP reader, tier verdicts, load/unload
# checks and kselftest runner on made-up input, and the one module list.
timeout -k 10 300 "$here/../harness/selftest.sh" > "$res/harness-selftest.tap" 2>&1
timeout -k 10 300 "$here/../harness/modules-check.sh" > "$res/modules.tap" 2>&1
! grep -q '^not ok' "$res"/*.tap
