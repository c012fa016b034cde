#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tier.sh stock|debug BUILD RESULTS   (runs inside the guest)
#
# BUILD holds mod/ (the suite built for the running kernel) and
# selftests/ (kselftest binaries). One TAP file per suite is written to
# RESULTS; the host side (summary.sh) counts them. Exit status is 0 only
# if every suite passed.
set -u
tier=$1 build=$2 results=$3
repo=$(cd "$(dirname "$0")/../../.." && pwd)
mkdir -p "$results"
order="ptsel thp_encvm iommu_migrate maint_cmd pwsp nested_notify"
export MEMVIRT_REPO=$repo MEMVIRT_BUILD=$build MEMVIRT_TIER=$tier
# kselftests must not skip for want of a module the tier just loaded
export MEMVIRT_REQUIRE=1

mods=()
for m in $order; do
	[ -e "$build/mod/$m/$m.ko" ] && mods+=("$build/mod/$m/$m.ko")
done

note() { echo "tier[$tier]: $*"; }

load_suite() {
	local ko
	for ko in "${mods[@]}"; do
		insmod "$ko" || return 1
	done
}

unload_suite() {
	local i name rc=0
	for ((i = ${#mods[@]} - 1; i >= 0; i--)); do
		name=$(basename "${mods[$i]}" .ko)
		grep -q "^$name " /proc/modules || continue
		rmmod "$name" || rc=1
	done
	return $rc
}

# --- load/unload cycles -----------------------------------------------
suite_modload() {
	local out=$results/modload.tap n=0 cycle ko name
	{
		echo "TAP version 13"
		echo "1..$(( ${#mods[@]} * 3 ))"
		for cycle in 1 2 3; do
			for ko in "${mods[@]}"; do
				name=$(basename "$ko" .ko)
				n=$((n + 1))
				if insmod "$ko"; then
					echo "ok $n - insmod $name (cycle $cycle)"
				else
					echo "not ok $n - insmod $name (cycle $cycle)"
				fi
			done
			unload_suite || echo "# rmmod failed in cycle $cycle"
			for ko in "${mods[@]}"; do
				name=$(basename "$ko" .ko)
				if grep -q "^$name " /proc/modules; then
					echo "# $name still loaded after cycle $cycle"
					echo "Bail out! rmmod"
					return
				fi
			done
		done
	} > "$out" 2>&1
}

# --- KUnit (debug kernel) ---------------------------------------------
suite_kunit() {
	local ko name s
	local kdir=/sys/kernel/debug/kunit
	load_suite || note "suite failed to load before KUnit"
	for ko in $(find "$build/mod" -name '*_kunit.ko' | sort); do
		name=$(basename "$ko" .ko)
		local before after
		before=$(ls "$kdir" 2>/dev/null)
		if ! insmod "$ko"; then
			printf 'KTAP version 1\n1..1\nnot ok 1 %s # insmod failed\n' \
				"$name" > "$results/kunit-$name.tap"
			continue
		fi
		after=$(ls "$kdir")
		local found=0
		for s in $after; do
			echo "$before" | grep -qx "$s" && continue
			cp "$kdir/$s/results" "$results/kunit-$s.tap"
			found=1
		done
		# A test module whose suites never ran must not pass quietly.
		[ $found = 1 ] || printf 'KTAP version 1\n1..1\nnot ok 1 %s # no suite ran\n' \
			"$name" > "$results/kunit-$name.tap"
		rmmod "$name"
	done
	unload_suite
}

# --- kselftests --------------------------------------------------------
suite_kselftest() {
	local bin rel name rc tap
	load_suite || note "suite failed to load before kselftests"
	for bin in $(find "$build/selftests" -type f -perm -u+x 2>/dev/null | sort); do
		rel=${bin#"$build"/selftests/}
		name=kselftest-${rel//\//-}
		tap=$results/$name.tap
		# A suite may take this long: thp_encvm_qemu, when opted into,
		# boots a nested guest up to three times (TEST_F_TIMEOUT 900).
		( cd "$(dirname "$bin")" && timeout -k 10 1500 "$bin" ) > "$tap" 2>&1
		rc=$?
		# A crash or a non-harness exit status must not pass silently.
		if [ $rc != 0 ] && [ $rc != 4 ] && ! grep -q '^not ok' "$tap"; then
			echo "not ok 9999 $rel exited with status $rc" >> "$tap"
		fi
	done
	unload_suite
}

# --- bpftrace scripts (stock kernel) -----------------------------------
# Each tools/bpftrace/*.bt names in its header:
#   // trigger: <shell command that makes the traced events happen>
#   // expect: <extended regex the script's output must match>
suite_bpftrace() {
	local out=$results/bpftrace.tap n=0 bt trig exp log
	local scripts=("$repo"/tools/bpftrace/*.bt)
	[ -e "${scripts[0]}" ] || scripts=()
	load_suite || note "suite failed to load before bpftrace"
	{
		echo "TAP version 13"
		echo "1..${#scripts[@]}"
		for bt in "${scripts[@]}"; do
			n=$((n + 1))
			trig=$(sed -n 's|^// trigger: ||p' "$bt" | head -n 1)
			exp=$(sed -n 's|^// expect: ||p' "$bt" | head -n 1)
			log=$results/bpftrace-$(basename "$bt" .bt).log
			# bpftrace -c starts the trigger once the probes are
			# attached and stops when it exits; the timeout only
			# guards against a wedged bpftrace.
			printf 'cd %q\n%s\n' "$repo" "$trig" > "$log.trigger.sh"
			timeout -k 10 600 bpftrace -c "/bin/bash $log.trigger.sh" "$bt" \
				> "$log" 2>&1
			if [ -n "$trig" ] && [ -n "$exp" ] && grep -Eq -- "$exp" "$log"; then
				echo "ok $n - $(basename "$bt")"
			else
				echo "not ok $n - $(basename "$bt") (no expected event; see $log)"
			fi
		done
	} > "$out" 2>&1
	unload_suite
}

# --- DKMS (stock kernel; the guest root is a tmpfs overlay, so the
# --- install goes nowhere near the host)
suite_dkms() {
	local out=$results/dkms.tap n=0 ver name
	ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$repo/dkms.conf")
	name=$(sed -n 's/^PACKAGE_NAME="\(.*\)"/\1/p' "$repo/dkms.conf")
	t() {	# t DESCRIPTION CMD...
		local d=$1; shift
		n=$((n + 1))
		if "$@" >> "$results/dkms.log" 2>&1; then
			echo "ok $n - dkms: $d"
		else
			echo "not ok $n - dkms: $d (see $results/dkms.log)"
		fi
	}
	{
		echo "TAP version 13"
		rm -rf "/usr/src/$name-$ver"
		mkdir -p "/usr/src/$name-$ver"
		(cd "$repo" && tar -cf - --exclude=./build --exclude=./.git .) |
			tar -xf - -C "/usr/src/$name-$ver"
		t "add" dkms add "$name/$ver"
		t "build for $(uname -r)" dkms build "$name/$ver" -k "$(uname -r)"
		t "install" dkms install "$name/$ver" -k "$(uname -r)"
		for m in $(sed -n 's/^BUILT_MODULE_NAME\[[0-9]*\]="\(.*\)"/\1/p' "$repo/dkms.conf"); do
			t "modprobe finds the installed $m" \
				bash -c "modinfo -n $m | grep -q /updates/dkms/ && modprobe $m &&
					 grep -q '^$m ' /proc/modules && rmmod $m"
		done
		t "remove" dkms remove "$name/$ver" --all
		echo "1..$n"
	} > "$out" 2>&1
}

# --- kernel log and kmemleak -------------------------------------------
suite_kernel_clean() {
	local out=$results/kernel-log.tap kml=/sys/kernel/debug/kmemleak n=2
	local pat='BUG:|WARNING:|KASAN|UBSAN|suspected memory leak|possible recursive locking|possible circular locking|inconsistent lock state|suspicious RCU usage|INFO: task .* blocked|soft lockup|Oops|general protection fault|Call Trace:'
	[ -e $kml ] && n=3
	{
		echo "TAP version 13"
		echo "1..$n"
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
		if [ -e $kml ]; then
			echo scan > $kml; sleep 6; echo scan > $kml
			if grep -q unreferenced $kml; then
				echo "not ok 3 - kmemleak reports no leak"
				head -n 60 $kml | sed 's/^/# /'
			else
				echo "ok 3 - kmemleak reports no leak"
			fi
		fi
	} > "$out" 2>&1
}

# KVM is built in on the debug kernel and a module on Debian's.
modprobe kvm_amd 2>/dev/null
if [ -e /sys/kernel/debug/kmemleak ]; then
	# Boot-time objects are not ours; only what the tests leave counts.
	echo clear > /sys/kernel/debug/kmemleak
fi
note "modules: ${mods[*]:-none}"
suite_modload
[ "$tier" = debug ] && suite_kunit
suite_kselftest
[ "$tier" = stock ] && suite_bpftrace
[ "$tier" = stock ] && suite_dkms
suite_kernel_clean
! grep -qs -e '^\s*not ok' -e '^Bail out' "$results"/*.tap
