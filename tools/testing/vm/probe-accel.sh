#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# probe-accel.sh KERNEL INITRD: print the QEMU -accel argument to use.
# KVM is used only if a probe boot with it reaches the initramfs; the
# verdict is cached per host kernel and QEMU version. MEMVIRT_ACCEL
# overrides (e.g. MEMVIRT_ACCEL=tcg).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
tcg=tcg,thread=single

if [ -n "${MEMVIRT_ACCEL:-}" ]; then
	[ "$MEMVIRT_ACCEL" = tcg ] && echo "$tcg" || echo "$MEMVIRT_ACCEL"
	exit 0
fi
# The guest needs nested SVM from -cpu max: with KVM that is the host
# CPU's, so an Intel or SVM-less host stays on TCG.
if [ ! -w /dev/kvm ] || ! grep -qw svm /proc/cpuinfo; then
	echo "$tcg"
	exit 0
fi
mkdir -p "$MEMVIRT_CACHE"
key=$( (uname -r; qemu-system-x86_64 --version | head -n 1) | sha256sum | cut -c1-16)
verdict=$MEMVIRT_CACHE/accel-probe-$key
if [ ! -s "$verdict" ]; then
	log "probing whether /dev/kvm boots a kernel"
	if timeout -k 2 25 qemu-system-x86_64 -M pc -accel kvm -cpu host -m 512 \
		-kernel "$1" -initrd "$2" -no-reboot -display none -monitor none \
		-serial stdio -append "console=ttyS0 panic=-1 memvirt_probe=1" \
		< /dev/null 2>&1 | grep -q MEMVIRT-PROBE-OK; then
		echo kvm > "$verdict"
	else
		echo "$tcg" > "$verdict"
	fi
	log "accelerator: $(cat "$verdict")"
fi
cat "$verdict"
