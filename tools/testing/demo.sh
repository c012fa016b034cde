#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo: boot the stock-kernel VM, load the suite and run each
# module's demo scenario (tools/testing/demo/<module>_demo.c, built
# here); print their "metric|before|after" rows as one table.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
out=$repo/build/demo
mkdir -p "$out/bin"

MEMVIRT_NO_BOOT=1 "$here/vm/tier-host.sh" stock "$out" ||
	{ echo "demo: build failed; see $out/*.log" >&2; exit 1; }
mods=$(MEMVIRT_REPO=$repo bash -c ". '$here/vm/suite-lib.sh'; suite_modules")
demos=()
for mod in $mods; do
	src=$here/demo/${mod}_demo.c
	name=${mod}_demo
	[ -e "$src" ] || { echo "demo: $mod has no $src" >&2; exit 1; }
	# A demo may use the shared kselftest helpers (selftests/include),
	# and its module's own helpers and guest agent.
	extra=()
	[ -e "$out/selftests/$mod/agent/agent.o" ] &&
		extra=(-I"$repo/selftests/$mod" "$out/selftests/$mod/agent/agent.o" -pthread)
	cc -O2 -Wall -I"$repo/include/uapi" -I"$repo/selftests/include" \
		-Wl,-z,noexecstack -o "$out/bin/$name" "$src" "${extra[@]}"
	demos+=("$name")
done
{
	echo "set -e"
	echo "modprobe kvm_amd 2>/dev/null || true	# the suite uses KVM's exports"
	for m in $mods; do
		echo "insmod $out/mod/$m/$m.ko"
	done
	echo ": > $out/rows"
	for d in "${demos[@]}"; do
		echo "$out/bin/$d >> $out/rows"
	done
} > "$out/guest-cmd.sh"
"$here/vm/run-vm.sh" --kernel "$(cat "$out/kernel")" \
	--initrd "$out/initramfs.cpio.gz" --out "$out" \
	--cmd "$out/guest-cmd.sh" --timeout 1800 ||
	{ echo "demo: VM run failed; see $out/console.log" >&2; exit 1; }
printf '%-72s %8s %8s\n' metric before after
while IFS='|' read -r metric before after; do
	printf '%-72s %8s %8s\n' "$metric" "$before" "$after"
done < "$out/rows"
