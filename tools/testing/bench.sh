#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: every benchmark reports ratios against a baseline that is
# measured in the same run, never absolute targets.
#  1. the native userspace build of the ptsel core;
#  2. in the stock-kernel VM, the ptsel_bench module: lookups against
#     the kernel's xarray on the same keys;
#  3. in the same VM, thp_encvm against MADV_COLLAPSE (bench/*.c);
#  4. iommu_migrate: migration under DMA against move_pages() of
#     unpinned memory, DMA stalls against a 4 KiB copy, and move_pages()
#     on FOLL_LONGTERM-pinned memory (bench/iommu_migrate_bench.c); its
#     hot-page run again in a VM with multi-threaded TCG (without KVM);
#     both in VMs of their own, booted under TCG with tsc=reliable (on
#     the TSC; under KVM, on kvm-clock);
#  5. maint_cmd: its indication path against the kernel's soft offline,
#     and evacuate+repair under DMA against soft offline+repair
#     (bench/maint_cmd_bench.c);
#  6. pwsp against plain KVM page tracking, and that against untracked
#     page tables (bench/pwsp_bench.c);
#  7. nested_notify against B1 (L1 intercepts the doorbell) and B2 (a
#     VMM relay thread) (bench/nested_notify_bench.c).
# The VM's RAM is populated on the host before it boots (--prealloc):
# under TCG the first touch of a guest-physical page costs a host page
# fault, several ms per 2 MiB, which would land on whichever side of a
# comparison is given fresh memory (the daemon's new 2 MiB pages, not
# MADV_COLLAPSE's, which reuse the huge pages its earlier runs freed).
# Run as root, the benchmarks run at nice -20, so that other work on
# the host (a make check beside them) perturbs their ratios less.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
out=$repo/build/bench
mkdir -p "$out"
make -s -C "$here/userspace" OUT="$out" bench
prio() {
	if [ "$(id -u)" = 0 ]; then nice -n -20 "$@"; else "$@"; fi
}
echo "== ptsel, native userspace build (baseline: binary search, same keys)"
prio "$out/ptsel_bench"

echo
echo "== in the VM (TCG): ptsel against the xarray, thp_encvm against MADV_COLLAPSE"
vm=$out/vm
MEMVIRT_NO_BOOT=1 "$here/vm/tier-host.sh" stock "$vm" > "$vm.log" 2>&1 ||
	{ echo "bench: VM build failed; see $vm.log and $vm/*.log" >&2; exit 1; }
cc -O2 -Wall -I"$repo/include/uapi" -I"$repo/selftests/include" \
	-I"$repo/selftests/thp_encvm" -Wl,-z,noexecstack \
	-o "$vm/thp_encvm_bench" "$here/bench/thp_encvm_bench.c" \
	"$vm/selftests/thp_encvm/agent/agent.o" -pthread
cc -O2 -Wall -I"$repo/include/uapi" -I"$repo/selftests/include" -Wl,-z,noexecstack \
	-o "$vm/iommu_migrate_bench" "$here/bench/iommu_migrate_bench.c"
cc -O2 -Wall -I"$repo/include/uapi" -I"$repo/selftests/include" \
	-I"$repo/selftests/iommu_migrate" -o "$vm/maint_cmd_bench" "$here/bench/maint_cmd_bench.c"
cc -O2 -Wall -I"$repo/include/uapi" -I"$repo/selftests/include" \
	-I"$repo/selftests/pwsp" -Wl,-z,noexecstack \
	-o "$vm/pwsp_bench" "$here/bench/pwsp_bench.c" "$vm/selftests/pwsp/agent/agent.o"
cc -O2 -Wall -I"$repo/include/uapi" -I"$repo/selftests/include" \
	-I"$repo/selftests/nested_notify" -Wl,-z,noexecstack \
	-o "$vm/nested_notify_bench" "$here/bench/nested_notify_bench.c" \
	"$vm/selftests/nested_notify/agent/agent.o" -pthread
cat > "$vm/guest-cmd.sh" <<CMD
set -e
modprobe kvm_amd
insmod $vm/mod/ptsel/ptsel.ko
insmod $vm/mod/ptsel/ptsel_bench.ko
rmmod ptsel_bench
dmesg | grep 'ptsel_bench: ' | sed 's/^\[[^]]*\] //' > $vm/rows
insmod $vm/mod/thp_encvm/thp_encvm.ko
$vm/thp_encvm_bench >> $vm/rows
insmod $vm/mod/iommu_migrate/iommu_migrate.ko
insmod $vm/mod/maint_cmd/maint_cmd.ko
$vm/maint_cmd_bench >> $vm/rows
insmod $vm/mod/pwsp/pwsp.ko
$vm/pwsp_bench >> $vm/rows
insmod $vm/mod/nested_notify/nested_notify.ko
$vm/nested_notify_bench >> $vm/rows
CMD
prio "$here/vm/run-vm.sh" --kernel "$(cat "$vm/kernel")" --initrd "$vm/initramfs.cpio.gz" \
	--out "$vm" --cmd "$vm/guest-cmd.sh" --timeout 2400 --prealloc ||
	{ echo "bench: VM run failed; see $vm/console.log" >&2; exit 1; }
# iommu_migrate_bench boots a VM of its own. Its windows read the clock,
# and under TCG the kernel keeps the HPET (it distrusts the TSC of
# QEMU's -cpu max by rule), each read an emulated MMIO access, where a
# real host reads its TSC. Every vCPU reads the host's TSC under TCG, so
# its VMs boot with tsc=reliable, which also keeps sched_clock on the
# TSC as stable: the other benches' VM keeps the kernel's choices.
# Under KVM the guest keeps kvm-clock.
accel=$("$here/vm/probe-accel.sh" "$(cat "$vm/kernel")" "$vm/initramfs.cpio.gz")
cs=
[ "$accel" = kvm ] || cs=tsc=reliable
mkdir -p "$vm/imm" "$vm/mt"
rm -f "$vm/imm/rows" "$vm/mt/rows"
printf 'set -e\ninsmod %s\ninsmod %s\n%s > %s\n' "$vm/mod/ptsel/ptsel.ko" \
	"$vm/mod/iommu_migrate/iommu_migrate.ko" "$vm/iommu_migrate_bench" \
	"$vm/imm/rows" > "$vm/imm/guest-cmd.sh"
prio "$here/vm/run-vm.sh" --kernel "$(cat "$vm/kernel")" --initrd "$vm/initramfs.cpio.gz" \
	--out "$vm/imm" --cmd "$vm/imm/guest-cmd.sh" --timeout 1200 --prealloc --append "$cs" ||
	{ echo "bench: the iommu_migrate VM failed; see $vm/imm/console.log" >&2; failed=1; }
# iommu_migrate's devices meet a migrating page only while their vCPU
# and the PME's run at the same time, which single-threaded TCG never
# does: its hot-page run goes again in a VM with multi-threaded TCG.
printf 'set -e\ninsmod %s\ninsmod %s\n%s hot > %s\n' "$vm/mod/ptsel/ptsel.ko" \
	"$vm/mod/iommu_migrate/iommu_migrate.ko" "$vm/iommu_migrate_bench" \
	"$vm/mt/rows" > "$vm/mt/guest-cmd.sh"
[ "$accel" = kvm ] ||
	MEMVIRT_ACCEL=tcg,thread=multi prio "$here/vm/run-vm.sh" --kernel "$(cat "$vm/kernel")" \
		--initrd "$vm/initramfs.cpio.gz" --out "$vm/mt" --cmd "$vm/mt/guest-cmd.sh" \
		--timeout 600 --prealloc --append "$cs" ||
	echo "bench: the multi-threaded TCG VM failed; see $vm/mt/console.log" >&2
cat "$vm/rows"
[ ! -s "$vm/imm/rows" ] || cat "$vm/imm/rows"
[ ! -s "$vm/mt/rows" ] || sed 's/^iommu_migrate_bench: /&multi-threaded TCG: /' "$vm/mt/rows"
exit "${failed:-0}"
