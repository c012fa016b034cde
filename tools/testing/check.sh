#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: the Debian packages, the debug kernel, then four tiers:
# style, userspace, and the stock-kernel and debug-kernel VMs. The two
# VMs each take one core under single-threaded TCG, so they run side by
# side, with style and userspace beside them. Every tier leaves TAP
# under build/check/<tier>/results; a tier that exits non-zero without
# a failing result, or leaves no result at all, fails in
# build/check/harness. Prints each step's time and a per-module time
# table against tools/testing/time-budget. The last line printed is
# "N passed, N failed, N skipped"; the exit status is non-zero on any
# failure. MEMVIRT_TIERS limits the tiers (default
# "style userspace stock debug").
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
. "$here/vm/lib.sh"
. "$here/harness/lib.sh"
b=$repo/build/check
tiers=${MEMVIRT_TIERS:-style userspace stock debug}
rm -rf "$b"
mkdir -p "$b/harness/results"
htap=$b/harness/results/harness.tap
hn=0
hres() {	# hres ok|not-ok DESCRIPTION
	hn=$((hn + 1))
	if [ "$1" = ok ]; then echo "ok $hn - $2"; else echo "not ok $hn - $2"; fi >> "$htap"
}
echo "TAP version 13" > "$htap"
has() { case " $tiers " in *" $1 "*) return 0 ;; esac; return 1; }
elapsed() { echo $(( $(date +%s) - $1 )); }

timed() {	# timed NAME CMD...: run, log to $b/NAME.log, record status
	local name=$1 start rc
	shift
	start=$(date +%s)
	"$@" > "$b/$name.log" 2>&1
	rc=$?
	echo "$rc $(elapsed "$start")" > "$b/$name.status"
	return $rc
}
report() {	# report NAME: print the step's time and exit status
	local rc secs
	read -r rc secs < "$b/$1.status"
	printf '=== %-14s %5ss  (exit %s, log build/check/%s.log)\n' "$1" "$secs" "$rc" "$1" >&2
}

# --- packages and the debug kernel, before anything that needs them
timed deps "$here/deps.sh"
report deps
if [ "$(cut -d' ' -f1 "$b/deps.status")" != 0 ]; then
	tail -n 20 "$b/deps.log" >&2
	hres not-ok "deps: the Debian packages install (see build/check/deps.log)"
	echo "1..$hn" >> "$htap"
	exec "$here/summary.sh" "harness=$b/harness/results"
fi
if has style || has debug; then
	timed debug-kernel "$here/vm/build-debug-kernel.sh"
	report debug-kernel
	if [ "$(cut -d' ' -f1 "$b/debug-kernel.status")" = 0 ]; then
		hres ok "debug-kernel: built or cached"
	else
		tail -n 20 "$b/debug-kernel.log" >&2
		hres not-ok "debug-kernel: built (see build/check/debug-kernel.log)"
	fi
fi

src_ver=$(linux_source_version 2>/dev/null)
img_ver=$(dpkg-query -W -f='${Version}' "linux-image-$(stock_release 2>/dev/null)" 2>/dev/null)
if [ -n "$src_ver" ] && [ -n "$img_ver" ] && [ "$src_ver" != "$img_ver" ]; then
	echo "note: linux-source-6.12 is $src_ver but the stock kernel is $img_ver;" \
	     "the debug kernel and checkpatch come from the source, the stock tier boots the image" |
		tee "$b/version-note.txt" >&2
fi

# --- the tiers
run_tier() {
	case $1 in
	style)     "$here/style.sh" "$b/style" ;;
	userspace) "$here/userspace/run.sh" "$b/userspace" ;;
	stock|debug) "$here/vm/tier-host.sh" "$1" "$b/$1" ;;
	*) echo "unknown tier $1" >&2; return 2 ;;
	esac
}
pids=()
for t in stock debug; do
	has $t || continue
	timed $t run_tier $t &
	pids+=($!)
done
for t in style userspace; do
	has $t || continue
	timed $t run_tier $t
	report $t
done
wait "${pids[@]}" 2>/dev/null
for t in stock debug; do
	has $t && report $t
done

# --- did every tier leave results that explain its exit status?
args=("harness=$b/harness/results")
for t in $tiers; do
	rc=$(cut -d' ' -f1 "$b/$t.status" 2>/dev/null || echo missing)
	res=$b/$t/results
	v=$(tier_verdict "$t" "$rc" "$res")
	case $v in
	ok*) hres ok "${v#ok - }" ;;
	*) hres not-ok "${v#not ok - }" ;;
	esac
	args+=("$t=$res")
done

# --- per-module VM time against the budget
budget_file=$here/time-budget
default_budget=$(awk '$1 == "*" { print $2 }' "$budget_file")
{
	printf '%-16s' module
	for t in stock debug; do has $t && printf ' %8s' "$t(s)"; done
	printf ' %9s\n' 'budget(s)'
	mods=$(MEMVIRT_REPO=$repo bash -c ". '$here/vm/suite-lib.sh'; suite_modules" | tr '\n' ' ')
	for m in $mods suite; do
		budget=$(awk -v m="$m" '$1 == m { print $2 }' "$budget_file")
		budget=${budget:-$default_budget}
		printf '%-16s' "$m"
		for t in stock debug; do
			has $t || continue
			# "suite": every step no module of the list owns
			# (DKMS, the platform kselftest).
			if [ ! -s "$b/$t/timing.tsv" ]; then
				printf ' %8s' none
				hres not-ok "$m: the $t tier recorded no timing"
				continue
			fi
			s=$(awk -v m="$m" -v mods=" $mods " '
				$1 == m || (m == "suite" && index(mods, " " $1 " ") == 0) { s += $3 }
				END { print s + 0 }' "$b/$t/timing.tsv" 2>/dev/null)
			printf ' %8s' "${s:-0}"
			if [ "${s:-0}" -gt "$budget" ]; then
				hres not-ok "$m: $s s of VM time on the $t tier, over its budget of $budget s"
			else
				hres ok "$m: $s s of VM time on the $t tier, within its budget of $budget s"
			fi
		done
		printf ' %9s\n' "$budget"
	done
} > "$b/timing.txt"
cat "$b/timing.txt"
echo "1..$hn" >> "$htap"
echo
"$here/summary.sh" "${args[@]}" | tee "$b/summary.txt"
