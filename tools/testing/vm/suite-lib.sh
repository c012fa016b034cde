# SPDX-License-Identifier: GPL-2.0
#
# Module-list and load/unload helpers shared by the VM tiers, make vm
# and make demo. Sourced, never executed. The userspace tier drives
# these same functions with fake insmod/rmmod/proc files
# (tools/testing/harness/selftest.sh), so the checks are tested too.
#
# Inputs: MEMVIRT_REPO (the repository). The commands and files used
# can be replaced for tests: SUITE_INSMOD, SUITE_RMMOD, SUITE_PROC_MODULES.

# suite_modules: the module names of MODULES, in load order.
suite_modules() {
	sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "${MEMVIRT_REPO:?}/MODULES"
}

# suite_module_params NAME: the insmod arguments NAME gets wherever the
# suite is loaded for tests, from selftests/NAME/module-params (words
# name=value or a bare name, no spaces, quotes or glob characters in a
# value; # comments), on one line; nothing if none. Any other word is
# an error (on stderr, status 1): the words are split at blanks.
suite_module_params() {
	local f=${MEMVIRT_REPO:?}/selftests/$1/module-params w words=()
	[ -r "$f" ] || return 0
	read -ra words <<< "$(sed -e 's/#.*//' "$f" | tr '\n' ' ')"
	for w in "${words[@]}"; do
		if ! [[ $w =~ ^[A-Za-z_][A-Za-z0-9_.]*(=[A-Za-z0-9_.,:+@%/-]*)?$ ]]; then
			echo "$f: '$w' is not a name=value word (no spaces, quotes or glob characters)" >&2
			return 1
		fi
	done
	echo "${words[*]}"
}

# suite_insmod KO NAME: insmod KO with NAME's suite_module_params, each
# word one argument; fails without loading if they are bad.
suite_insmod() {
	local p params=()
	p=$(suite_module_params "$2") || return 1
	read -ra params <<< "$p"
	${SUITE_INSMOD:-insmod} "$1" "${params[@]}"
}

suite_loaded() {	# suite_loaded NAME: is NAME in the module list?
	grep -q "^$1 " "${SUITE_PROC_MODULES:-/proc/modules}"
}

# suite_load BUILD TAPVAR-PREFIX: insmod BUILD/mod/<m>/<m>.ko for every
# module, with its suite_module_params; prints one TAP result line per module (numbered from $2) and
# returns non-zero if any failed.
suite_load() {
	local build=$1 n=$2 m rc=0
	for m in $(suite_modules); do
		n=$((n + 1))
		if suite_insmod "$build/mod/$m/$m.ko" "$m"; then
			echo "ok $n - insmod $m"
		else
			echo "not ok $n - insmod $m"
			rc=1
		fi
	done
	return $rc
}

# suite_unload FIRST: rmmod every loaded module of the suite in reverse
# order, then check that none is left; prints one TAP result line per
# module (numbered from $1 + 1). A module that will not go (a refcount
# leaked by a test, a stuck thread) is a failure.
suite_unload() {
	local n=$1 m mods rc=0 i
	read -ra mods <<< "$(suite_modules | tr '\n' ' ')"
	for ((i = ${#mods[@]} - 1; i >= 0; i--)); do
		m=${mods[$i]}
		suite_loaded "$m" && ${SUITE_RMMOD:-rmmod} "$m"
	done
	for m in "${mods[@]}"; do
		n=$((n + 1))
		if suite_loaded "$m"; then
			echo "not ok $n - $m unloads (still in ${SUITE_PROC_MODULES:-/proc/modules})"
			rc=1
		else
			echo "ok $n - $m unloads"
		fi
	done
	return $rc
}
