# SPDX-License-Identifier: GPL-2.0
#
# Verdicts of make check on its own tiers. Sourced by check.sh and by
# selftest.sh, which drives them with made-up tiers.

# tier_verdict NAME EXIT-STATUS RESULTS-DIR: one TAP description line,
# prefixed "ok" or "not ok". A tier fails here when it left no result
# at all (it died before writing, or wrote an empty folder), or when it
# exited non-zero and none of its results says why.
tier_verdict() {
	local t=$1 rc=$2 res=$3
	if ! ls "$res"/*.tap > /dev/null 2>&1; then
		echo "not ok - $t: the tier left results (exit $rc, none in $res)"
	elif [ "$rc" != 0 ] && ! grep -qs -e '^[[:space:]]*not ok' -e '^Bail out' "$res"/*.tap; then
		echo "not ok - $t: exit status $rc is explained by a failing result"
	else
		echo "ok - $t: left results that agree with its exit status ($rc)"
	fi
}
