#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run_tests.sh DIR PROG...   (make -C selftests run_tests)
#
# Runs the TEST_GEN_PROGS of one selftests/<module>/ folder the kselftest
# way: each under the "timeout=" of that folder's settings file (45 s
# if none), from its output folder. With KSFT_RESULTS set, each program's
# TAP goes to $KSFT_RESULTS/kselftest-<module>-<prog>.tap and its time to
# $KSFT_TIMING ("<module> kselftest/<prog> <seconds>"); otherwise TAP
# goes to stdout. A program killed by the timeout gets a "not ok" naming
# the test that was running; a crash or an exit status other than the
# harness's 0 (pass) or 4 (skip) gets one too, unless it already
# reported a failure.
set -u
src=$1 mod=$(basename "$1")
shift
out=${OUTPUT:?OUTPUT is the folder holding the built programs}
tmo=$(sed -n 's/^timeout=\([0-9][0-9]*\)$/\1/p' "$src/settings" 2>/dev/null)
tmo=${tmo:-45}
rc_all=0

for prog in "$@"; do
	if [ -n "${KSFT_RESULTS:-}" ]; then
		mkdir -p "$KSFT_RESULTS"
		tap=$KSFT_RESULTS/kselftest-$mod-$prog.tap
	else
		tap=$(mktemp)
	fi
	start=$(date +%s)
	if [ -x "$out/$prog" ]; then
		(cd "$out" && exec timeout -k 10 "$tmo" "./$prog") > "$tap" 2>&1
		rc=$?
	else
		printf 'TAP version 13\n1..1\nnot ok 1 %s: not built\n' "$prog" > "$tap"
		rc=1
	fi
	secs=$(( $(date +%s) - start ))
	n=$(grep -cE '^(not )?ok ' "$tap")
	if [ $rc = 124 ] || [ $rc = 137 ]; then
		# The harness prints "#  RUN  name ..." as each test starts.
		last=$(sed -n 's/^#  RUN  *\([^ ]*\).*/\1/p' "$tap" | tail -n 1)
		echo "not ok $((n + 1)) ${last:-$prog}: killed after the ${tmo}s limit of $mod/settings" >> "$tap"
	elif [ $rc != 0 ] && [ $rc != 4 ] && ! grep -q '^not ok' "$tap"; then
		echo "not ok $((n + 1)) $prog: exited with status $rc" >> "$tap"
	fi
	[ $rc = 0 ] || [ $rc = 4 ] || rc_all=1
	[ -z "${KSFT_TIMING:-}" ] || echo "$mod kselftest/$prog $secs" >> "$KSFT_TIMING"
	if [ -z "${KSFT_RESULTS:-}" ]; then
		cat "$tap"
		rm -f "$tap"
	fi
done
exit $rc_all
