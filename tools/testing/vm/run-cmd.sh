#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run-cmd.sh stock|debug SCRIPT [--mem MB] [--append ARGS]
#
# For development: build the suite and the kselftests for the tier's
# kernel into build/vm-<tier> (as make vm does), boot the VM without a
# shell, load the suite (MODULES order, after kvm_amd, each module with
# its selftests/<module>/module-params) and run SCRIPT
# in the guest with bash. MEMVIRT_BUILD points at the build folder, so
# SCRIPT finds the kselftests in $MEMVIRT_BUILD/selftests/<module>/.
# The exit status is SCRIPT's; the console is in build/vm-<tier>/console.log.
# MEMVIRT_RUN_NOLOAD=1 skips loading the suite.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
. "$here/lib.sh"
tier=${1:?tier} script=${2:?script}
shift 2
script=$(cd "$(dirname "$script")" && pwd)/$(basename "$script")
out=$repo/build/vm-$tier

MEMVIRT_NO_BOOT=1 "$here/tier-host.sh" "$tier" "$out" ||
	die "build failed; see $out/*.log"
mods=$(MEMVIRT_REPO=$repo bash -c ". '$here/suite-lib.sh'; suite_modules" | tr '\n' ' ')
cat > "$out/guest-cmd.sh" <<EOS
export MEMVIRT_BUILD=$out MEMVIRT_REPO=$repo MEMVIRT_TIER=$tier
. '$here/suite-lib.sh'
modprobe kvm_amd 2>/dev/null
if [ -z "${MEMVIRT_RUN_NOLOAD:-}" ]; then
	for m in $mods; do
		suite_insmod "$out/mod/\$m/\$m.ko" "\$m" ||
			{ echo "insmod \$m failed"; exit 1; }
	done
fi
bash "$script"
EOS
exec "$here/run-vm.sh" --kernel "$(cat "$out/kernel")" \
	--initrd "$out/initramfs.cpio.gz" --out "$out" --cmd "$out/guest-cmd.sh" \
	--timeout "${MEMVIRT_VM_TIMEOUT:-1800}" "$@"
