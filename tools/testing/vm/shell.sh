#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# shell.sh [stock|debug]: build the suite for that kernel, boot the VM
# and open an interactive shell in it with the suite loaded. The build
# is left in build/vm-<tier>; poweroff with 'exit'.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
. "$here/lib.sh"
tier=${1:-stock}
out=$repo/build/vm-$tier

MEMVIRT_NO_BOOT=1 "$here/tier-host.sh" "$tier" "$out" ||
	die "build failed; see $out/*.log"
cat > "$out/guest-cmd.sh" <<EOS
# The suite uses KVM's exports; Debian builds KVM as modules.
modprobe kvm_amd 2>/dev/null
export MEMVIRT_REPO=$repo
. '$here/suite-lib.sh'
for m in \$(suite_modules); do
	# with the test hooks of its module-params, as the tiers load it
	suite_insmod "$out/mod/\$m/\$m.ko" "\$m" && echo "loaded \$m"
done
export MEMVIRT_BUILD=$out
echo "kselftests: $out/selftests   bpftrace scripts: $repo/tools/bpftrace"
EOS
exec "$here/run-vm.sh" --shell --kernel "$(cat "$out/kernel")" \
	--initrd "$out/initramfs.cpio.gz" --out "$out" --cmd "$out/guest-cmd.sh"
