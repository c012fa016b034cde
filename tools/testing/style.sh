#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# style.sh OUT: checkpatch (linux-source-6.12, --no-tree) over every C
# source and header of the suite, and a sparse build (C=2) of every
# module against the stock headers and the debug kernel. TAP goes to
# OUT/results/style.tap.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
. "$here/vm/lib.sh"
out=$1
rm -rf "$out"
mkdir -p "$out/results"
tap=$out/results/style.tap
src=$("$here/linux-src.sh") || die "no linux source"

cd "$repo"
# Not from git: a tarball, a checkout git refuses to read (another
# owner) or a machine without git must check the same files.
files=$(find . \( -path ./build -o -path ./.git \) -prune -o \
	-type f \( -name '*.c' -o -name '*.h' \) -print | sed 's|^\./||' | sort)
n=0
{
	echo "TAP version 13"
	n=$((n + 1))
	if [ "$(echo "$files" | grep -c .)" -ge 10 ]; then
		echo "ok $n - style: $(echo "$files" | grep -c .) C files to check"
	else
		echo "not ok $n - style: found only $(echo "$files" | grep -c .) C files in $repo"
	fi
	for f in $files; do
		n=$((n + 1))
		cp=$(perl "$src/scripts/checkpatch.pl" --no-tree --terse --show-types \
			--ignore FILE_PATH_CHANGES,SPDX_LICENSE_TAG -f "$f" 2>&1)
		rc=$?
		r=$(echo "$cp" | grep -E '(ERROR|WARNING):')
		# 0 is clean, 1 found something; anything else is
		# checkpatch itself failing, which must not read as clean.
		[ $rc -le 1 ] || r="$r${r:+$'\n'}$f: checkpatch exited with status $rc"
		# An SPDX line is required in every file, but checkpatch only
		# checks it on patches; check it here instead.
		head -n 2 "$f" | grep -q 'SPDX-License-Identifier: GPL-2.0' ||
			r="$r${r:+$'\n'}$f: missing SPDX GPL-2.0 line"
		if [ -z "$r" ]; then
			echo "ok $n - checkpatch $f"
		else
			echo "not ok $n - checkpatch $f"
			echo "$r" | sed 's/^/# /'
		fi
	done

	# sparse over a private copy, so objects never land in the tree;
	# against the stock headers and against the debug kernel, with the
	# test modules (the benchmark, and the KUnit suites where the
	# kernel has CONFIG_KUNIT).
	rel=$(stock_release)
	for kdir in "/lib/modules/$rel/build" "$("$here/vm/build-debug-kernel.sh")"; do
		n=$((n + 1))
		name=$(make -s --no-print-directory -C "$kdir" kernelrelease 2>/dev/null)
		rm -rf "$out/sparse"
		mkdir -p "$out/sparse"
		tar -cf - --exclude=./build --exclude=./.git . | tar -xf - -C "$out/sparse"
		make -C "$kdir" M="$out/sparse" C=2 MEMVIRT_TEST_MODULES=m modules \
			> "$out/sparse-$name.log" 2>&1
		rc=$?
		w=$(grep -E "^$out/sparse/[^:]+:[0-9]+:[0-9]+: (warning|error):" \
			"$out/sparse-$name.log")
		if [ $rc = 0 ] && [ -z "$w" ] &&
		   grep -q "^  CHECK " "$out/sparse-$name.log"; then
			echo "ok $n - sparse (C=2) against $name"
		else
			echo "not ok $n - sparse (C=2) against $name (rc $rc)"
			{ echo "$w"; tail -n 15 "$out/sparse-$name.log"; } | sed 's/^/# /'
		fi
	done
	echo "1..$n"
} > "$tap"
! grep -q '^not ok' "$tap"
