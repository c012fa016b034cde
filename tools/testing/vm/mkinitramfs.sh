#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# mkinitramfs.sh OUT.cpio.gz [KERNEL_RELEASE]
#
# A tiny busybox initramfs whose only job is to mount the host's root
# over 9p (read-only), put a tmpfs overlay on top and switch_root into
# it. With KERNEL_RELEASE, the 9p/overlay modules of that installed
# Debian kernel are included (the debug kernel has them built in).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

out=$1
rel=${2:-}
bb=/bin/busybox
[ -x "$bb" ] || die "busybox-static is required (apt-get install busybox-static)"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp"/{bin,dev,proc,sys,lower,rw,newroot,modules}
cp "$bb" "$tmp/bin/busybox"
ln -s busybox "$tmp/bin/sh"

: > "$tmp/modules/order"
if [ -n "$rel" ]; then
	mdir=/lib/modules/$rel
	[ -d "$mdir" ] || die "no $mdir"
	for m in netfs 9pnet 9pnet_virtio 9p overlay; do
		f=$(grep -oE "^kernel/[^:]*/$m\.ko(\.xz|\.zst|\.gz)?:" "$mdir/modules.dep" |
			head -n 1 | tr -d :)
		# Built-in on this kernel: nothing to load.
		[ -n "$f" ] || continue
		case "$f" in
		*.xz)  xz -dc "$mdir/$f" > "$tmp/modules/$m.ko" ;;
		*.zst) zstd -qdc "$mdir/$f" > "$tmp/modules/$m.ko" ;;
		*.gz)  gzip -dc "$mdir/$f" > "$tmp/modules/$m.ko" ;;
		*)     cp "$mdir/$f" "$tmp/modules/$m.ko" ;;
		esac
		echo "$m" >> "$tmp/modules/order"
	done
fi

cp "$here/initramfs-init" "$tmp/init"
chmod +x "$tmp/init"
(cd "$tmp" && find . | cpio -o -H newc --quiet | gzip -1) > "$out.tmp"
mv "$out.tmp" "$out"
