# SPDX-License-Identifier: GPL-2.0
# Shared settings for the VM harness scripts. Sourced, never executed.

MEMVIRT_CACHE=${MEMVIRT_CACHE:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/memvirt}
LINUX_SRC_TARBALL=${LINUX_SRC_TARBALL:-/usr/src/linux-source-6.12.tar.xz}

die() { echo "vm: $*" >&2; exit 1; }
log() { echo "vm: $*" >&2; }

# Newest installed Debian 6.12 kernel release, e.g. 6.12.117+deb12-amd64.
stock_release() {
	local r
	r=$(ls -d /lib/modules/6.12.*-amd64 2>/dev/null | sort -V | tail -n 1)
	[ -n "$r" ] || return 1
	basename "$r"
}

# Version of the linux-source-6.12 package; part of the debug cache key.
linux_source_version() {
	dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null ||
		stat -c %s-%Y "$LINUX_SRC_TARBALL"
}
