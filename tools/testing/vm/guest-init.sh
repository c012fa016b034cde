#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# First process in the guest's real root (host root over 9p + tmpfs
# overlay). Sets up the pseudo filesystems, runs $memvirt_out/guest-cmd
# (written by run-vm.sh) or an interactive shell, then powers off.

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=${TERM:-linux}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
# What udev or systemd would make: bash process substitution (dkms,
# these scripts) needs /dev/fd.
ln -sfn /proc/self/fd /dev/fd
ln -sfn /proc/self/fd/0 /dev/stdin
ln -sfn /proc/self/fd/1 /dev/stdout
ln -sfn /proc/self/fd/2 /dev/stderr
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t bpf bpf /sys/fs/bpf 2>/dev/null
hostname memvirt-vm
ip link set lo up 2>/dev/null

echo "MEMVIRT-GUEST-UP uptime=$(cut -d' ' -f1 /proc/uptime)"

rc=0
if [ "$memvirt_mode" = shell ]; then
	cd "$memvirt_repo" 2>/dev/null || cd /
	[ -r "$memvirt_out/guest-cmd" ] && bash "$memvirt_out/guest-cmd"
	echo "memvirt VM: suite loaded; 'exit' powers off"
	setsid -c bash -i < /dev/ttyS0 > /dev/ttyS0 2>&1
else
	cd "$memvirt_out" || exit 1
	bash "$memvirt_out/guest-cmd"
	rc=$?
	echo "$rc" > "$memvirt_out/guest-rc"
fi
sync
echo "MEMVIRT-GUEST-DONE rc=$rc"
/bin/busybox reboot -f
