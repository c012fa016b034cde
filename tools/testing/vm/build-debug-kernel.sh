#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build (or reuse) the debug kernel: allnoconfig + debug.config from
# linux-source-6.12. Only bzImage and the headers/scripts needed for
# out-of-tree modules are built. The result lives outside the work tree
# in $MEMVIRT_CACHE/debug-<key>, where <key> hashes the source version,
# the fragment and the recipe version. Prints the build directory on stdout.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

[ -r "$LINUX_SRC_TARBALL" ] || die "missing $LINUX_SRC_TARBALL (apt-get install linux-source-6.12)"
srcver=$(linux_source_version)
# Bump when the recipe below changes in a way that changes the result.
recipe=1
key=$( (echo "$srcver recipe $recipe"; cat "$here/debug.config") | sha256sum | cut -c1-16)
obj=$MEMVIRT_CACHE/debug-$key

# style.sh and the debug tier may ask at the same time: one builds,
# the other waits for it and takes the result.
mkdir -p "$MEMVIRT_CACHE"
exec 9> "$MEMVIRT_CACHE/debug-build.lock"
flock 9
if [ -e "$obj/.memvirt-complete" ]; then
	echo "$obj"
	exit 0
fi

src=$("$here/../linux-src.sh")
rm -rf "$obj"
mkdir -p "$obj"
log "configuring debug kernel in $obj"
make -s -C "$src" O="$obj" ARCH=x86_64 \
	KCONFIG_ALLCONFIG="$here/debug.config" allnoconfig >&2

# Every line of the fragment must hold in the final config; a silently
# dropped option (unmet dependency) would make the tier lie.
bad=0
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=*)
		grep -qxF "$line" "$obj/.config" || { log "config lost: $line"; bad=1; } ;;
	"# CONFIG_"*" is not set")
		sym=${line#\# }; sym=${sym%% *}
		grep -q "^$sym=" "$obj/.config" && { log "config unexpectedly set: $sym"; bad=1; } ;;
	esac
done < "$here/debug.config"
[ $bad = 0 ] || die "debug.config does not apply cleanly"

log "building debug kernel ($(nproc) jobs); logs in $obj/build.log"
start=$(date +%s)
if ! make -C "$src" O="$obj" ARCH=x86_64 -j"$(nproc)" bzImage modules_prepare \
		> "$obj/build.log" 2>&1; then
	tail -n 40 "$obj/build.log" >&2
	die "debug kernel build failed"
fi
# No in-tree module is built, so the exports of vmlinux are all there is.
cp "$obj/vmlinux.symvers" "$obj/Module.symvers"
# CPU time (user and system, of all children) does not depend on what
# else the machine is doing, so it is what to compare between configs.
# (Not through $(times): a subshell has no children's times.)
times > "$obj/cpu-times"
log "debug kernel built in $(( $(date +%s) - start ))s;" \
    "CPU time of the build (user, system): $(tail -n 1 "$obj/cpu-times")"
touch "$obj/.memvirt-complete"
echo "$obj"
