#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tier-host.sh stock|debug OUT
#
# Builds the suite (with its test modules) for the tier's kernel (stock
# Debian 6.12, or the cached debug kernel), builds the kselftests and,
# on the stock tier, builds and installs the suite with DKMS into trees
# of its own under OUT/dkms. Then boots the VM, runs tier.sh in it and
# scans the whole console log for splats. TAP results land in
# OUT/results; OUT/results/vm.tap records whether the host-side steps
# and the boot worked.
#
# The VM has 5 GiB: ptsel's hash_growth_stops_at_cap grows a hashed
# table to its 1 GiB cap. MEMVIRT_VM_TIMEOUT (seconds, default 2100)
# bounds the VM: it must
# stay above every selftests/*/settings timeout and below CI's limit.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
. "$here/lib.sh"
export MEMVIRT_REPO=$repo
. "$here/suite-lib.sh"
tier=$1 out=$2
mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -rf "$out/results" "$out/mod" "$out/selftests" "$out/dkms" "$out/timing.tsv"
mkdir -p "$out/results"
vmtap=$out/results/vm.tap
n=0
step() {	# step NAME CMD... : one TAP line per host-side step
	local name=$1; shift
	n=$((n + 1))
	if "$@" > "$out/$name.log" 2>&1; then
		echo "ok $n - $tier: $name" >> "$vmtap"
		return 0
	fi
	echo "not ok $n - $tier: $name (see $out/$name.log)" >> "$vmtap"
	tail -n 25 "$out/$name.log" | sed 's/^/# /' >> "$vmtap"
	return 1
}
echo "TAP version 13" > "$vmtap"

case $tier in
stock)
	rel=$(stock_release) || die "no Debian 6.12 kernel installed"
	kernel=/boot/vmlinuz-$rel
	kdir=/lib/modules/$rel/build
	;;
debug)
	if ! step debug-kernel "$here/build-debug-kernel.sh"; then
		echo "1..$n" >> "$vmtap"; exit 1
	fi
	# The script's last line of output is the build directory.
	kdir=$(tail -n 1 "$out/debug-kernel.log")
	kernel=$kdir/arch/x86/boot/bzImage
	rel=
	;;
*) die "unknown tier $tier" ;;
esac

build_mods() {
	# kbuild writes objects next to the sources, so each tier builds in
	# its own copy of the tree.
	mkdir -p "$out/mod"
	(cd "$repo" && tar -cf - --exclude=./build --exclude=./.git .) |
		tar -xf - -C "$out/mod"
	make -C "$out/mod" KDIR="$kdir" MEMVIRT_TEST_MODULES=m modules
}
build_selftests() {
	make -C "$repo/selftests" OUTPUT="$out/selftests"
}

# DKMS on the host, in trees of its own: add, build, install, then check
# that each module is where DKMS said and that remove takes it away
# again. The guest modprobes the installed copies (tier.sh).
dkms_host() {
	local d=$out/dkms t=$out/results/dkms.tap k=0 name ver m root
	name=$(sed -n 's/^PACKAGE_NAME="\(.*\)"/\1/p' "$repo/dkms.conf")
	ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$repo/dkms.conf")
	root=$d/root
	mkdir -p "$d/tree" "$d/source/$name-$ver" "$root/lib/modules/$rel" "$d/installed"
	(cd "$repo" && tar -cf - --exclude=./build --exclude=./.git .) |
		tar -xf - -C "$d/source/$name-$ver"
	dk() {
		dkms --dkmstree "$d/tree" --sourcetree "$d/source" \
			--installtree "$root/lib/modules" --no-depmod \
			--kernelsourcedir "/lib/modules/$rel/build" "$@"
	}
	t() {	# t DESCRIPTION CMD...
		local desc=$1; shift
		k=$((k + 1))
		if "$@" >> "$d/dkms.log" 2>&1; then
			echo "ok $k - dkms: $desc"
		else
			echo "not ok $k - dkms: $desc (see $d/dkms.log)"
		fi
	}
	found() {	# found MODULE: modinfo finds it in the DKMS tree
		depmod -b "$root" "$rel" &&
		modinfo -b "$root" -k "$rel" -n "$1" | grep -q "/updates/dkms/$1.ko"
	}
	gone() { depmod -b "$root" "$rel" && ! modinfo -b "$root" -k "$rel" -n "$1"; }
	{
		echo "TAP version 13"
		t "add $name/$ver" dk add "$name/$ver"
		t "build for $rel" dk build "$name/$ver" -k "$rel"
		t "install for $rel" dk install "$name/$ver" -k "$rel"
		for m in $(suite_modules); do
			t "modinfo finds the installed $m" found "$m"
		done
		# What the guest modprobes: the tree as DKMS installed it,
		# with its own modules.dep (depmod -a over all of Debian's
		# modules would take minutes under TCG).
		cp -a "$root/." "$d/installed/"
		t "remove $name/$ver" dk remove "$name/$ver" --all
		for m in $(suite_modules); do
			t "modinfo no longer finds $m after remove" gone "$m"
		done
		echo "1..$k"
	} > "$t"
	! grep -q '^not ok' "$t"
}

# Passes when the guest ran to the end; its verdict is in its TAP files
# and in guest-rc, which becomes this script's exit status.
boot_vm() {
	"$here/run-vm.sh" --kernel "$kernel" --initrd "$out/initramfs.cpio.gz" \
		--out "$out" --cmd "$out/guest-cmd.sh" --mem 5120 \
		--timeout "${MEMVIRT_VM_TIMEOUT:-2100}"
	[ -s "$out/guest-rc" ]
}

# Every result file the guest should have written: tier.sh's end
# marker, and one per kselftest program of every folder it runs.
check_manifest() {
	local t=$out/results/manifest.tap k=0 d p f
	{
		echo "TAP version 13"
		for f in tier-done; do
			k=$((k + 1))
			if [ -s "$out/results/$f.tap" ]; then
				echo "ok $k - $tier: $f.tap written"
			else
				echo "not ok $k - $tier: $f.tap written (tier.sh did not run to its end)"
			fi
		done
		for d in platform $(suite_modules); do
			for p in $(make -s --no-print-directory -C "$repo/selftests/$d" print-progs); do
				k=$((k + 1))
				f=kselftest-$d-$p.tap
				if [ -s "$out/results/$f" ]; then
					echo "ok $k - $tier: $f written"
				else
					echo "not ok $k - $tier: $f written"
				fi
			done
		done
		while read -r b d; do
			for p in tier-done $(boot_progs "$b" "$d"); do
				k=$((k + 1))
				f=$b/$p.tap
				[ "$p" = tier-done ] || f=$b/kselftest-$d-$p.tap
				if [ -s "$out/results/$f" ]; then
					echo "ok $k - $tier: $f written"
				else
					echo "not ok $k - $tier: $f written"
				fi
			done
		done < <(extra_boots)
		echo "1..$k"
	} > "$t"
}

# The whole console, not just what the guest's ring buffer still held.
scan_console() {	# scan_console CONSOLE TAP
	local c=$1 t=$2 pat
	pat=$(cat "$here/splat-patterns")
	{
		echo "TAP version 13"
		echo "1..1"
		if grep -Eq "$pat" "$c"; then
			echo "not ok 1 - $tier: console log has no splat ($c)"
			grep -E -B2 -A20 "$pat" "$c" | head -n 80 | sed 's/^/# /'
		else
			echo "ok 1 - $tier: console log has no splat"
		fi
	} > "$t"
}

# Kselftest folders whose selftests/<d>/kernel-params names kernel
# parameters (pwsp: kvm_amd.npt=0) get a boot of their own on the debug
# tier, where KVM is built in and cannot be reloaded with other
# parameters; the stock tier's tests reload the module themselves.
param_dirs() {
	local d
	[ "$tier" = debug ] || return 0
	for d in $(suite_modules); do
		[ -f "$repo/selftests/$d/kernel-params" ] && echo "$d"
	done
}

# Kselftest folders whose selftests/<d>/machine names this tier get a
# boot on another QEMU machine (iommu_migrate: q35 with intel-iommu and
# the edu device). The file's lines, "key: value":
#   tiers:  the tiers that boot it
#   qemu:   what replaces "-M pc" (run-vm.sh --machine)
#   append: kernel parameters
#   progs:  the programs of <d> to run there (the others run in the
#           tier's main boot)
machine_dirs() {
	local d
	for d in $(suite_modules); do
		machine_key "$d" tiers | grep -qw "$tier" && echo "$d"
	done
}

machine_key() {	# machine_key DIR KEY: KEY's value in DIR's machine file
	[ -f "$repo/selftests/$1/machine" ] &&
		sed -n "s/^$2:[[:space:]]*//p" "$repo/selftests/$1/machine" | head -n 1
}

# The programs a boot of DIR runs: its own list, or every one of DIR.
boot_progs() {	# boot_progs NAME DIR
	case $1 in
	machine-*) machine_key "$2" progs ;;
	*) make -s --no-print-directory -C "$repo/selftests/$2" print-progs ;;
	esac
}

# boot_extra NAME DIR PARAMS [MACHINE PROGS]: boot once more with
# kernel parameters PARAMS (and QEMU machine MACHINE) and run DIR's
# kselftests (PROGS of them, if given) alone (tier.sh with
# MEMVIRT_PASS_DIRS). Its results go to results/NAME, its timing into
# the tier's timing.tsv.
boot_extra() {
	local name=$1 d=$2 params=$3 machine=${4:-"-M pc"} progs=${5:-}
	local o=$out/$1 rc
	rm -rf "$o"
	mkdir -p "$o/results"
	printf 'MEMVIRT_PASS_DIRS=%q MEMVIRT_PASS_PROGS=%q MEMVIRT_TIMING=%q bash %q %q %q %q\n' \
		"$d" "$progs" "$o/timing.tsv" "$here/tier.sh" "$tier" "$out" \
		"$o/results" > "$o/guest-cmd.sh"
	"$here/run-vm.sh" --kernel "$kernel" --initrd "$out/initramfs.cpio.gz" \
		--out "$o" --cmd "$o/guest-cmd.sh" --mem 5120 --append "$params" \
		--machine "$machine" --timeout "${MEMVIRT_VM_TIMEOUT:-2100}"
	rc=$?
	rm -rf "$out/results/$name"
	cp -r "$o/results" "$out/results/$name"
	scan_console "$o/console.log" "$out/results/$name/console.tap"
	cat "$o/timing.tsv" >> "$out/timing.tsv" 2>/dev/null
	[ $rc = 0 ] && [ -s "$o/guest-rc" ]
}

boot_params() {	# boot_params DIR: DIR's kernel-params boot
	boot_extra "boot-$1" "$1" \
		"$(sed -e 's/#.*//' "$repo/selftests/$1/kernel-params" | xargs)"
}

boot_machine() {	# boot_machine DIR: DIR's machine boot
	boot_extra "machine-$1" "$1" "$(machine_key "$1" append)" \
		"$(machine_key "$1" qemu)" "$(machine_key "$1" progs)"
}

# Every extra boot as "NAME DIR", for the manifest and the verdict.
extra_boots() {
	local d
	for d in $(param_dirs); do echo "boot-$d $d"; done
	for d in $(machine_dirs); do echo "machine-$d $d"; done
}

ok=1
step modules build_mods || ok=0
step selftests build_selftests || ok=0
step initramfs "$here/mkinitramfs.sh" "$out/initramfs.cpio.gz" $rel || ok=0
if [ "$tier" = stock ] && [ -z "${MEMVIRT_NO_BOOT:-}" ]; then
	step dkms dkms_host || ok=0
fi
echo "$kernel" > "$out/kernel"
# make vm and make demo only want the build; they boot on their own.
if [ -n "${MEMVIRT_NO_BOOT:-}" ]; then
	[ $ok = 1 ]
	exit
fi
if [ $ok = 1 ]; then
	# MEMVIRT_QEMU_BOOT=1 opts into thp_encvm_qemu (see its header).
	printf 'MEMVIRT_QEMU_BOOT=%q bash %q %q %q %q\n' "${MEMVIRT_QEMU_BOOT:-}" \
		"$here/tier.sh" "$tier" "$out" "$out/results" > "$out/guest-cmd.sh"
	step boot-and-run boot_vm
	scan_console "$out/console.log" "$out/results/console.tap"
	for d in $(param_dirs); do
		step "boot-$d" boot_params "$d"
	done
	for d in $(machine_dirs); do
		step "machine-$d" boot_machine "$d"
	done
	check_manifest
	up=$(sed -n 's/^MEMVIRT-GUEST-UP uptime=//p' "$out/console.log" 2>/dev/null)
	[ -z "$up" ] || echo "# $tier: guest userspace up ${up}s after boot" >> "$vmtap"
fi
echo "1..$n" >> "$vmtap"
# Non-zero if the guest's tier.sh said so, even where no result does:
# check.sh then fails the tier for an exit status nothing explains.
grc=$(cat "$out/guest-rc" 2>/dev/null || echo 0)
while read -r b d; do
	[ "$(cat "$out/$b/guest-rc" 2>/dev/null || echo 1)" = 0 ] || grc=1
done < <(extra_boots)
! grep -qs -e '^\s*not ok' "$out"/results/*.tap "$out"/results/*/*.tap && [ "$grc" = 0 ]
