#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# modules-check.sh [REPO]: TAP on stdout. MODULES is the one list of the
# suite's modules; check that nothing names a module it lacks, and that
# every module has what the harness expects to find: its folder and
# Kbuild, a dkms.conf entry, kselftests, userspace tests of its core,
# a UAPI header, an admin guide and an ABI document whose Contact: is
# a mail address.
set -u
repo=${1:-$(cd "$(dirname "$0")/../../.." && pwd)}
n=0
res() {	# res CONDITION-STATUS DESCRIPTION
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi
}
check() { local d=$1; shift; "$@" > /dev/null 2>&1; res $? "$d"; }

echo "TAP version 13"
mods=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$repo/MODULES" 2>/dev/null)
check "MODULES lists at least one module" test -n "$mods"
dkms=$(sed -n 's/^BUILT_MODULE_NAME\[[0-9]*\]="\(.*\)"/\1/p' "$repo/dkms.conf" 2>/dev/null)
tests=$(make -s --no-print-directory -C "$repo/tools/testing/userspace" print-tests 2>/dev/null)

# Every module folder (a top-level folder with a Kbuild) is listed.
for k in "$repo"/*/Kbuild; do
	[ -e "$k" ] || continue
	d=$(basename "$(dirname "$k")")
	check "folder $d/ is in MODULES" grep -qx "$d" <<< "$mods"
done
# Every listed module and dkms.conf entry agree.
for m in $dkms; do
	check "dkms.conf's $m is in MODULES" grep -qx "$m" <<< "$mods"
done
for m in $mods; do
	check "$m: $m/Kbuild builds $m.o" grep -Eq "^obj-m[[:space:]]*\+?=.*\b$m\.o" "$repo/$m/Kbuild"
	check "$m: in dkms.conf" grep -qx "$m" <<< "$dkms"
	check "$m: dkms.conf builds it in $m/" \
		grep -q "^BUILT_MODULE_LOCATION\[[0-9]*\]=\"$m/\"" "$repo/dkms.conf"
	check "$m: selftests/$m/Makefile" test -r "$repo/selftests/$m/Makefile"
	check "$m: userspace tests of its core (TESTS has ${m}_*)" \
		grep -Eq "(^| )${m}_[A-Za-z0-9_]+( |$)" <<< "$tests"
	check "$m: a make demo scenario (tools/testing/demo/${m}_demo.c)" \
		test -r "$repo/tools/testing/demo/${m}_demo.c"
	check "$m: include/uapi/linux/$m.h" test -r "$repo/include/uapi/linux/$m.h"
	check "$m: Documentation/admin-guide/$m.rst" \
		test -r "$repo/Documentation/admin-guide/$m.rst"
	abi=$repo/Documentation/ABI/testing/sysfs-kernel-mm-$m
	check "$m: Documentation/ABI/testing/sysfs-kernel-mm-$m has What: entries" grep -q '^What:' "$abi"
	check "$m: every Contact: in its ABI document is a mail address" \
		bash -c "[ \$(grep -c '^What:' '$abi') -gt 0 ] &&
			 ! grep '^Contact:' '$abi' | grep -qv '<[^@ ]*@[^@ ]*>'"
done
echo "1..$n"
