#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run-vm.sh --kernel BZIMAGE --initrd CPIO --out DIR [--cmd SCRIPT]
#           [--shell] [--timeout SECONDS] [--mem MB] [--append ARGS]
#           [--prealloc] [--machine QEMU-ARGS]
#
# Boots BZIMAGE under QEMU with 2 vCPUs on 2 NUMA nodes, -cpu max
# (nested SVM + NPT) and single-threaded TCG unless the KVM probe showed
# that this host's /dev/kvm really boots a kernel. The host root is the
# guest's root (read-only 9p + tmpfs overlay); DIR is shared read-write
# at the same path. SCRIPT runs in the guest with DIR as cwd; its exit
# status is this script's. Console output goes to DIR/console.log.
# --prealloc populates guest RAM on the host before the guest boots:
# for benchmarks, where the first touch of a guest-physical page would
# otherwise cost a host page fault to whichever side of a comparison
# happens to be given fresh memory.
# --machine replaces "-M pc" with QEMU-ARGS (split at blanks): a machine
# type and the devices on it, e.g. "-M q35 -device intel-iommu -device edu"
# for a test that needs a device the default machine lacks.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
. "$here/lib.sh"

kernel= initrd= out= cmd= shell=0 tmo=1800 mem=3072 append= prealloc=off
machine="-M pc"
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) kernel=$2; shift ;;
	--initrd) initrd=$2; shift ;;
	--out) out=$2; shift ;;
	--cmd) cmd=$2; shift ;;
	--shell) shell=1 ;;
	--timeout) tmo=$2; shift ;;
	--mem) mem=$2; shift ;;
	--append) append=$2; shift ;;
	--prealloc) prealloc=on ;;
	--machine) machine=$2; shift ;;
	*) die "unknown argument $1" ;;
	esac
	shift
done
[ -r "$kernel" ] && [ -r "$initrd" ] && [ -n "$out" ] || die "usage: see header"
command -v qemu-system-x86_64 >/dev/null ||
	die "qemu-system-x86_64 missing (apt-get install qemu-system-x86)"
mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -f "$out/guest-rc" "$out/guest-cmd"
[ -z "$cmd" ] || cp "$cmd" "$out/guest-cmd"

accel=$("$here/probe-accel.sh" "$kernel" "$initrd")
# no_timer_check: on a loaded host the guest's check that the 8254
# timer ticks through the IO-APIC can time out under TCG, and the guest
# panics ("IO-APIC + timer doesn't work"); paravirt guests skip it too.
# acpi=noirq: PCI interrupts are routed from the BIOS $PIR table. On the
# debug kernel, interpreting the _PRT AML under TCG with lockdep and
# KASAN runs into the AML loop timeout and virtio ends up without IRQs.
half=$((mem / 2))
read -ra machine <<< "$machine"
qemu=(qemu-system-x86_64 "${machine[@]}" -accel "$accel" -cpu max -smp 2,sockets=2,cores=1,threads=1 -m "$mem"
	-object memory-backend-ram,id=m0,size="$half"M,prealloc=$prealloc
	-object memory-backend-ram,id=m1,size="$((mem - half))"M,prealloc=$prealloc
	-numa node,nodeid=0,cpus=0,memdev=m0
	-numa node,nodeid=1,cpus=1,memdev=m1
	-kernel "$kernel" -initrd "$initrd" -no-reboot -nic none -vga none
	-virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap"
	-virtfs "local,path=$out,mount_tag=out,security_model=none,multidevs=remap"
	-append "console=ttyS0 panic=-1 loglevel=6 acpi=noirq no_timer_check memvirt_init=$here/guest-init.sh memvirt_out=$out memvirt_repo=$repo memvirt_mode=$([ $shell = 1 ] && echo shell || echo run) $append")

if [ $shell = 1 ]; then
	exec "${qemu[@]}" -nographic
fi

log "booting $(basename "$kernel") ($accel), timeout ${tmo}s, log $out/console.log"
set +e
timeout -k 5 "$tmo" "${qemu[@]}" -display none -monitor none -serial stdio \
	< /dev/null > "$out/console.log" 2>&1
qrc=$?
set -e
if [ $qrc = 124 ] || [ $qrc = 137 ]; then
	log "VM timed out after ${tmo}s"; tail -n 30 "$out/console.log" >&2; exit 124
fi
if grep -q 'MEMVIRT-INIT-FAIL' "$out/console.log" || [ ! -s "$out/guest-rc" ]; then
	log "VM did not complete (qemu rc $qrc)"; tail -n 30 "$out/console.log" >&2; exit 125
fi
exit "$(cat "$out/guest-rc")"
