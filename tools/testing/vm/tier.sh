#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tier.sh stock|debug BUILD RESULTS   (runs inside the guest)
#
# BUILD holds mod/ (the suite built for the running kernel), selftests/
# (kselftest programs) and, on the stock tier, dkms/ (what the host's
# DKMS installed). One TAP file per suite goes to RESULTS; the host
# side (summary.sh) counts them. BUILD/timing.tsv gets one line
# "<module> <step> <seconds>" per step, for the per-module time table.
# The modules are those of MODULES, in its order.
set -u
tier=$1 build=$2 results=$3
repo=$(cd "$(dirname "$0")/../../.." && pwd)
here=$repo/tools/testing/vm
mkdir -p "$results"
export MEMVIRT_REPO=$repo MEMVIRT_BUILD=$build MEMVIRT_TIER=$tier
# kselftests must not skip for want of a module the tier just loaded
export MEMVIRT_REQUIRE=1
. "$here/suite-lib.sh"
mods=$(suite_modules)
# A second boot with other kernel parameters (tier-host.sh) runs only
# the kselftests of MEMVIRT_PASS_DIRS and appends to its own timing file.
pass_dirs=${MEMVIRT_PASS_DIRS:-}
# ... and of those, only MEMVIRT_PASS_PROGS if set (a machine boot).
pass_progs=${MEMVIRT_PASS_PROGS:-}
timing=${MEMVIRT_TIMING:-$build/timing.tsv}
[ -n "$pass_dirs" ] || : > "$timing"

note() { echo "tier[$tier]: $*"; }
now() { date +%s; }
took() { echo "$1 $2 $(( $(now) - $3 ))" >> "$timing"; }	# MODULE STEP START

# A suite that loads the whole suite first and unloads it after: both
# are results of their own, in <name>-load.tap, so a module that will
# not unload after a suite's tests fails the tier.
with_suite() {	# with_suite NAME CMD...
	local name=$1 t=$results/$1-load-unload.tap nmods
	shift
	nmods=$(echo "$mods" | wc -w)
	{
		echo "TAP version 13"
		echo "1..$((2 * nmods))"
		suite_load "$build" 0
	} > "$t" 2>&1
	"$@"
	suite_unload "$nmods" >> "$t" 2>&1
}

# --- load/unload cycles -----------------------------------------------
suite_modload() {
	local out=$results/modload.tap n=0 cycle m start nmods
	nmods=$(echo "$mods" | wc -w)
	{
		echo "TAP version 13"
		echo "1..$(( nmods * 3 * 2 ))"
		for cycle in 1 2 3; do
			for m in $mods; do
				n=$((n + 1))
				start=$(now)
				if suite_insmod "$build/mod/$m/$m.ko" "$m"; then
					echo "ok $n - insmod $m (cycle $cycle)"
				else
					echo "not ok $n - insmod $m (cycle $cycle)"
				fi
				took "$m" modload "$start"
			done
			suite_unload "$n" | sed "s/unloads/unloads (cycle $cycle)/"
			n=$((n + nmods))
		done
	} > "$out" 2>&1
}

# --- KUnit (debug kernel) ---------------------------------------------
kunit_all() {
	local ko name s m start kdir=/sys/kernel/debug/kunit before after found
	for m in $mods; do
		for ko in $(find "$build/mod/$m" -name '*_kunit.ko' | sort); do
			name=$(basename "$ko" .ko)
			start=$(now)
			before=$(ls "$kdir" 2>/dev/null)
			if ! insmod "$ko"; then
				printf 'KTAP version 1\n1..1\nnot ok 1 %s # insmod failed\n' \
					"$name" > "$results/kunit-$name.tap"
				continue
			fi
			after=$(ls "$kdir")
			found=0
			for s in $after; do
				echo "$before" | grep -qx "$s" && continue
				cp "$kdir/$s/results" "$results/kunit-$s.tap"
				found=1
			done
			# A test module whose suites never ran must not pass quietly.
			[ $found = 1 ] || printf 'KTAP version 1\n1..1\nnot ok 1 %s # no suite ran\n' \
				"$name" > "$results/kunit-$name.tap"
			rmmod "$name" ||
				printf 'KTAP version 1\n1..1\nnot ok 1 %s unloads\n' \
					"$name" > "$results/kunit-$name-unload.tap"
			took "$m" kunit "$start"
		done
	done
}

# --- kselftests: the TEST_GEN_PROGS of each selftests/<dir>, the
# --- kselftest way (selftests/run_tests.sh, timeouts from settings)
kselftest_all() {
	local d start
	for d in ${pass_dirs:-platform $mods}; do
		start=$(now)
		KSFT_RESULTS=$results KSFT_TIMING=$timing \
			make -s --no-print-directory -C "$repo/selftests/$d" \
			OUTPUT="$build/selftests/$d" TOP="$repo" \
			${pass_progs:+TEST_GEN_PROGS="$pass_progs"} run_tests \
			> "$build/kselftest-$d.log" 2>&1
		# run_tests.sh writes one file per program; if make
		# failed before it could, say so.
		if [ $? != 0 ] && ! ls "$results/kselftest-$d-"*.tap > /dev/null 2>&1; then
			printf 'TAP version 13\n1..1\nnot ok 1 %s: make run_tests failed (see %s)\n' \
				"$d" "$build/kselftest-$d.log" > "$results/kselftest-$d.tap"
		fi
	done
}

# --- bpftrace scripts (stock kernel) -----------------------------------
# Each tools/bpftrace/<module>_*.bt names in its header:
#   // trigger: <shell command that makes the traced events happen>
#   // expect: <extended regex the script's output must match>
# (one or more expect lines: a line of the output must match each)
bpftrace_all() {
	local out=$results/bpftrace.tap n=0 bt trig exp log start m b e missing
	local scripts=("$repo"/tools/bpftrace/*.bt)
	[ -e "${scripts[0]}" ] || scripts=()
	{
		echo "TAP version 13"
		echo "1..${#scripts[@]}"
		for bt in "${scripts[@]}"; do
			n=$((n + 1))
			b=$(basename "$bt" .bt)
			m=suite
			for x in $mods; do
				case $b in "$x"_*) m=$x ;; esac
			done
			start=$(now)
			trig=$(sed -n 's|^// trigger: ||p' "$bt" | head -n 1)
			exp=$(sed -n 's|^// expect: ||p' "$bt")
			log=$results/bpftrace-$b.log
			# bpftrace -c starts the trigger once the probes are
			# attached and stops when it exits; the timeout only
			# guards against a wedged bpftrace.
			printf 'cd %q\n%s\n' "$repo" "$trig" > "$log.trigger.sh"
			timeout -k 10 300 bpftrace -c "/bin/bash $log.trigger.sh" "$bt" \
				> "$log" 2>&1
			missing=
			while IFS= read -r e; do
				grep -Eq -- "$e" "$log" || missing="$missing $e"
			done <<< "$exp"
			if [ -n "$trig" ] && [ -n "$exp" ] && [ -z "$missing" ]; then
				echo "ok $n - $b.bt"
			else
				echo "not ok $n - $b.bt (no expected event; see $log)"
				[ -z "$missing" ] || echo "# not matched:$missing"
			fi
			took "$m" "bpftrace/$b" "$start"
		done
	} > "$out" 2>&1
}

# --- the knobs in sysfs against Documentation/ABI/testing --------------
# Every file under /sys/kernel/mm/<module>/ must have a "What:" entry,
# and every entry must exist once the module is loaded.
abi_docs_all() {
	local out=$results/abi-docs.tap n=0 m doc have want
	# diff_res FLAG DESCRIPTION: a result for "comm FLAG have want"
	diff_res() {
		local x
		n=$((n + 1))
		x=$(comm "$1" <(echo "$have") <(echo "$want") | sed '/^$/d')
		if [ -n "$have" ] && [ -n "$want" ] && [ -z "$x" ]; then
			echo "ok $n - $m: $2"
		else
			echo "not ok $n - $m: $2"
			echo "$x" | sed 's/^/# /'
		fi
	}
	{
		echo "TAP version 13"
		for m in $mods; do
			doc=$repo/Documentation/ABI/testing/sysfs-kernel-mm-$m
			have=$(find "/sys/kernel/mm/$m" -type f 2>/dev/null | sort)
			want=$(sed -n 's/^What:[[:space:]]*//p' "$doc" 2>/dev/null | sort)
			diff_res -23 "every sysfs file has a What: entry in $(basename "$doc")"
			diff_res -13 "every file that $(basename "$doc") names exists"
		done
		echo "1..$n"
	} > "$out" 2>&1
}

# --- DKMS (stock kernel): the host built and installed the suite with
# --- DKMS into BUILD/dkms (tier-host.sh); modprobe what it installed.
suite_dkms() {
	local out=$results/dkms-modprobe.tap n=0 m rel start
	local root=$build/dkms/installed
	rel=$(uname -r)
	start=$(now)
	{
		echo "TAP version 13"
		for m in $mods; do
			n=$((n + 1))
			if modinfo -b "$root" -k "$rel" -n "$m" 2>/dev/null |
				grep -q "/updates/dkms/$m.ko" &&
			   modprobe -d "$root" "$m" && suite_loaded "$m"; then
				echo "ok $n - modprobe $m loads the DKMS-installed module"
			else
				echo "not ok $n - modprobe $m loads the DKMS-installed module"
				echo "# modinfo -n: $(modinfo -b "$root" -k "$rel" -n "$m" 2>&1)"
			fi
		done
		suite_unload "$n"
		n=$((n + $(echo "$mods" | wc -w)))
		echo "1..$n"
	} > "$out" 2>&1
	took suite dkms-modprobe "$start"
}

# --- kernel log and kmemleak -------------------------------------------
# The host scans the whole console log too (tier-host.sh), since the
# ring buffer can wrap.
suite_kernel_clean() {
	local out=$results/kernel-log.tap kml=/sys/kernel/debug/kmemleak
	local pat
	pat=$(cat "$here/splat-patterns")
	{
		echo "TAP version 13"
		echo "1..$([ "$tier" = debug ] && echo 3 || echo 2)"
		if dmesg | grep -Eq "$pat"; then
			echo "not ok 1 - kernel log has no splat"
			dmesg | grep -E -B2 -A20 "$pat" | head -n 80 | sed 's/^/# /'
		else
			echo "ok 1 - kernel log has no splat"
		fi
		# Allowed: O (out-of-tree, 4096), E (unsigned, 8192) and
		# N (KUnit test module, 262144). W, D, L and friends are not.
		if [ "$(( $(cat /proc/sys/kernel/tainted) & ~(4096 | 8192 | 262144) ))" != 0 ]; then
			echo "not ok 2 - kernel not tainted (mask $(cat /proc/sys/kernel/tainted))"
		else
			echo "ok 2 - kernel taint is only O/E/N (module origin, KUnit)"
		fi
		if [ "$tier" != debug ]; then
			:	# Debian's kernel has no kmemleak
		elif ! echo scan > $kml; then
			# kmemleak turns itself off on an internal error;
			# then a scan is refused and finds nothing.
			echo "not ok 3 - kmemleak scan ran (write to $kml failed)"
			dmesg | grep -i kmemleak | tail -n 5 | sed 's/^/# /'
		else
			sleep 6
			if ! echo scan > $kml; then
				echo "not ok 3 - kmemleak scan ran (the second write to $kml failed)"
			elif grep -q unreferenced $kml; then
				echo "not ok 3 - kmemleak scan ran and reports no leak"
				head -n 60 $kml | sed 's/^/# /'
			else
				echo "ok 3 - kmemleak scan ran and reports no leak"
			fi
		fi
	} > "$out" 2>&1
}

# KVM is built in on the debug kernel and a module on Debian's.
modprobe kvm_amd 2>/dev/null
if [ "$tier" = debug ]; then
	# Boot-time objects are not ours; only what the tests leave counts.
	echo clear > /sys/kernel/debug/kmemleak
fi
note "modules: $(echo $mods)"
if [ -n "$pass_dirs" ]; then
	note "boot with $(grep -oE '(kvm|intel_iommu|iommu)[^ ]*' /proc/cmdline | xargs): kselftests of $pass_dirs ${pass_progs:+($pass_progs)}"
	with_suite kselftest kselftest_all
	suite_kernel_clean
	printf 'TAP version 13\n1..1\nok 1 - tier.sh ran to its end\n' > "$results/tier-done.tap"
	! grep -qs -e '^\s*not ok' -e '^Bail out' "$results"/*.tap
	exit
fi
suite_modload
[ "$tier" = debug ] && with_suite kunit kunit_all
with_suite kselftest kselftest_all
if [ "$tier" = stock ]; then
	with_suite bpftrace bpftrace_all
	suite_dkms
fi
with_suite abi-docs abi_docs_all
suite_kernel_clean
# The host checks for this: a tier.sh that died on the way loses the
# results it had not written yet, and must not pass for it.
printf 'TAP version 13\n1..1\nok 1 - tier.sh ran to its end\n' > "$results/tier-done.tap"
! grep -qs -e '^\s*not ok' -e '^Bail out' "$results"/*.tap
