#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tier-host.sh stock|debug OUT
#
# Builds the suite for the tier's kernel (stock Debian 6.12, or the
# cached debug kernel), builds the kselftests, boots the VM and runs
# tier.sh in it. TAP results land in OUT/results; OUT/vm.tap records
# whether the build and the boot themselves worked.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
. "$here/lib.sh"
tier=$1 out=$2
mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -rf "$out/results" "$out/mod" "$out/selftests"
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
	make -C "$out/mod" KDIR="$kdir" modules
}
build_selftests() {
	make -C "$repo/selftests" OUTPUT="$out/selftests"
}
# Passes when the guest ran to the end; its verdict is in its TAP files.
boot_vm() {
	"$here/run-vm.sh" --kernel "$kernel" --initrd "$out/initramfs.cpio.gz" \
		--out "$out" --cmd "$out/guest-cmd.sh" \
		--timeout "${MEMVIRT_VM_TIMEOUT:-2400}"
	[ -s "$out/guest-rc" ]
}
ok=1
step modules build_mods || ok=0
step selftests build_selftests || ok=0
step initramfs "$here/mkinitramfs.sh" "$out/initramfs.cpio.gz" $rel || ok=0
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
	up=$(sed -n 's/^MEMVIRT-GUEST-UP uptime=//p' "$out/console.log" 2>/dev/null)
	[ -z "$up" ] || echo "# $tier: guest userspace up ${up}s after boot" >> "$vmtap"
fi
echo "1..$n" >> "$vmtap"
