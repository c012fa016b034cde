#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# selftest.sh: tests of make check itself, run by the userspace tier.
# Each case feeds the harness a made-up result that it once counted
# wrong or not at all (a missing subtest, a whole-binary skip, a stray
# line, an empty tier, a module that will not unload, a hung kselftest)
# and checks the verdict. TAP on stdout.
set -u
here=$(cd "$(dirname "$0")" && pwd)
testing=$(cd "$here/.." && pwd)
repo=$(cd "$testing/../.." && pwd)
ktap=$testing/ktap.py
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
res() {	# res STATUS DESCRIPTION [OUTPUT]
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		[ -z "${3:-}" ] || echo "$3" | sed 's/^/# /'
	fi
}
# counts FILE "P F S": ktap.py counts FILE as P passed, F failed, S skipped
counts() {
	local got
	got=$(python3 "$ktap" count "$1" | sed -n 1p)
	[ "$got" = "$2" ] || { echo "counted '$got', want '$2'"; return 1; }
}
tap() { printf "$2" > "$tmp/$1.tap"; }	# tap NAME PRINTF-FORMAT

echo "TAP version 13"

# --- ktap.py on made-up TAP and KTAP
tap nested-missing 'KTAP version 1\n1..1\n    KTAP version 1\n    # Subtest: s\n    1..5\n    ok 1 a\n    ok 2 b\nok 1 s\n'
out=$(counts "$tmp/nested-missing.tap" "2 1 0"); res $? "a nested plan 1..5 with two results fails" "$out"

tap top-missing 'TAP version 13\n1..3\nok 1 a\n'
out=$(counts "$tmp/top-missing.tap" "1 1 0"); res $? "results missing from the top-level plan fail" "$out"

tap beyond 'TAP version 13\n1..1\nok 1 a\nnot ok 9999 crashed\n'
out=$(counts "$tmp/beyond.tap" "1 3 0"); res $? "a result past the plan fails" "$out"

tap repeated 'TAP version 13\n1..3\nok 1 a\nok 1 a\nok 1 a\n'
out=$(counts "$tmp/repeated.tap" "3 2 0"); res $? "a repeated result number standing in for a missing one fails" "$out"

tap okay 'TAP version 13\n1..2\nok 1 a\nokay, printed by the test\n'
out=$(counts "$tmp/okay.tap" "1 1 0"); res $? "a line that merely starts with ok is no result" "$out"

tap noplan 'TAP version 13\nok 1 a\nok 2 b\n'
out=$(counts "$tmp/noplan.tap" "2 1 0"); res $? "a file without a plan fails" "$out"

tap skip-binary 'TAP version 13\n1..0 # SKIP no /dev/kvm\n'
out=$(counts "$tmp/skip-binary.tap" "0 0 1"); res $? "a whole-binary skip (plan 1..0 with SKIP) counts as one skip" "$out"

tap stray 'TAP version 13\n1..3\nok 1 a\n  ok 7 printed by the test\nok 2 b\nok 3 c\n'
out=$(counts "$tmp/stray.tap" "3 1 0"); res $? "a stray indented ok fails and does not shift the counted level" "$out"

tap kunit 'KTAP version 1\n1..1\n    KTAP version 1\n    # Subtest: s\n    1..3\n    ok 1 a\n    not ok 2 b\n    ok 3 c # SKIP no numa\nnot ok 1 s\n'
out=$(counts "$tmp/kunit.tap" "1 1 1"); res $? "KUnit subtests count at the leaves" "$out"

tap param 'KTAP version 1\n1..1\n    KTAP version 1\n    # Subtest: s\n    1..1\n        KTAP version 1\n        # Subtest: p\n        ok 1 radix\n        ok 2 hash\n    ok 1 p\nok 1 s\n'
out=$(counts "$tmp/param.tap" "2 0 0"); res $? "KUnit parameterized cases (no plan) count at the leaves" "$out"

tap parent 'KTAP version 1\n1..1\n    1..1\n    ok 1 a\nnot ok 1 s\n'
out=$(counts "$tmp/parent.tap" "1 1 0"); res $? "a failed parent with passing subtests fails" "$out"

tap orphan 'KTAP version 1\n1..1\n    KTAP version 1\n    1..2\n    ok 1 a\n'
out=$(python3 "$ktap" count "$tmp/orphan.tap" | sed -n 1p)
[ "$(echo "$out" | cut -d' ' -f2)" -ge 1 ]
res $? "a suite cut off before its own result fails" "counted $out"

tap todo 'TAP version 13\n1..1\nnot ok 1 a # TODO later\n'
out=$(counts "$tmp/todo.tap" "0 1 0"); res $? "a not-ok result with a TODO directive is a failure" "$out"

tap bail 'TAP version 13\n1..2\nok 1 a\nBail out! rmmod\n'
out=$(python3 "$ktap" count "$tmp/bail.tap" | sed -n 1p)
[ "$(echo "$out" | cut -d' ' -f2)" -ge 1 ]; res $? "Bail out! fails" "counted $out"

tap zero 'TAP version 13\n1..0\n'
out=$(counts "$tmp/zero.tap" "0 1 0"); res $? "a plan of 1..0 without SKIP fails" "$out"

: > "$tmp/empty.tap"
out=$(counts "$tmp/empty.tap" "0 1 0"); res $? "an empty TAP file fails" "$out"

# --- summary: expected and unexpected skips, empty tiers
mkdir -p "$tmp/t1" "$tmp/t2" "$tmp/empty-tier"
cp "$tmp/skip-binary.tap" "$tmp/t1/kselftest-x-y.tap"
echo "t1/kselftest-x-y/* no KVM in this made-up tier" > "$tmp/skips"
out=$(python3 "$ktap" summary --expected-skips "$tmp/skips" "t1=$tmp/t1")
st=$?
echo "$out" | tail -n 1 | grep -qx '0 passed, 0 failed, 1 skipped' &&
	echo "$out" | grep -q '^SKIP t1/kselftest-x-y/whole file: no /dev/kvm' && [ $st = 0 ]
res $? "an expected skip is counted and printed with its reason" "$out"

: > "$tmp/noskips"
out=$(python3 "$ktap" summary --expected-skips "$tmp/noskips" "t1=$tmp/t1")
st=$?
echo "$out" | tail -n 1 | grep -qx '0 passed, 1 failed, 0 skipped' && [ $st = 1 ]
res $? "a skip missing from expected-skips fails" "$out"

out=$(python3 "$ktap" summary "e=$tmp/empty-tier" "m=$tmp/missing-tier")
st=$?
echo "$out" | tail -n 1 | grep -qx '0 passed, 2 failed, 0 skipped' && [ $st = 1 ]
res $? "an empty or missing results folder fails" "$out"

# --- check.sh's verdict on a tier's exit status
. "$here/lib.sh"
mkdir -p "$tmp/tier-empty" "$tmp/tier-pass" "$tmp/tier-fail"
echo 'ok 1 - x' > "$tmp/tier-pass/a.tap"
echo 'not ok 1 - x' > "$tmp/tier-fail/a.tap"
v=$(tier_verdict style 0 "$tmp/tier-empty"); [ "${v%% *}" = not ]
res $? "a tier that exits 0 with an empty results folder fails" "$v"
v=$(tier_verdict style 1 "$tmp/tier-pass"); [ "${v%% *}" = not ]
res $? "a tier that exits 1 with only passing results fails" "$v"
v=$(tier_verdict style 1 "$tmp/tier-fail"); [ "${v%% *}" = ok ]
res $? "a tier whose failure is in its results is not counted twice" "$v"

# --- the VM tier's load and unload checks, with a fake kernel
mkdir -p "$tmp/repo"
printf 'alpha\nbeta # comment\n' > "$tmp/repo/MODULES"
printf 'alpha 16384 0 - Live 0x0\nbeta 16384 1 - Live 0x0\n' > "$tmp/proc-modules"
cat > "$tmp/rmmod" <<'EOS'
#!/bin/bash
# beta's refcount was leaked: it will not go.
[ "$1" = beta ] && { echo "rmmod: ERROR: Module beta is in use" >&2; exit 1; }
sed -i "/^$1 /d" "$SUITE_PROC_MODULES"
EOS
chmod +x "$tmp/rmmod"
out=$(MEMVIRT_REPO=$tmp/repo SUITE_RMMOD=$tmp/rmmod SUITE_PROC_MODULES=$tmp/proc-modules \
	bash -c ". '$testing/vm/suite-lib.sh'; suite_unload 0" 2>&1)
st=$?
[ $st != 0 ] && echo "$out" | grep -q '^not ok 2 - beta unloads' &&
	echo "$out" | grep -q '^ok 1 - alpha unloads'
res $? "a module that will not unload fails" "$out"

out=$(MEMVIRT_REPO=$tmp/repo SUITE_INSMOD=false \
	bash -c ". '$testing/vm/suite-lib.sh'; suite_load /nowhere 0" 2>&1)
st=$?
[ $st != 0 ] && [ "$(echo "$out" | grep -c '^not ok')" = 2 ]
res $? "a module that will not load fails" "$out"

mkdir -p "$tmp/repo/selftests/beta"
printf '# the test hooks\nhooks=1 # on\nlevel=2\n' > "$tmp/repo/selftests/beta/module-params"
printf '#!/bin/bash\necho "$*" >> "%s"\n' "$tmp/insmod.log" > "$tmp/insmod"
chmod +x "$tmp/insmod"
out=$(MEMVIRT_REPO=$tmp/repo SUITE_INSMOD=$tmp/insmod \
	bash -c ". '$testing/vm/suite-lib.sh'; suite_load /b 0" 2>&1)
st=$?
[ $st = 0 ] && [ "$(cat "$tmp/insmod.log")" = "$(printf '/b/mod/alpha/alpha.ko\n/b/mod/beta/beta.ko hooks=1 level=2')" ]
res $? "each module is loaded with the parameters of its module-params" "$out $(cat "$tmp/insmod.log")"

# A word the blanks would split or the shell would glob is refused, and
# the module is not loaded with what is left (review-s12 N-a).
for bad in 'pat=*.ko' 'msg="two words"' "name='x'"; do
	printf 'level=2 %s\n' "$bad" > "$tmp/repo/selftests/beta/module-params"
	: > "$tmp/insmod.log"
	out=$(cd "$tmp" && MEMVIRT_REPO=$tmp/repo SUITE_INSMOD=$tmp/insmod \
		bash -c ". '$testing/vm/suite-lib.sh'; suite_load /b 0" 2>&1)
	st=$?
	[ $st != 0 ] && echo "$out" | grep -q '^not ok 2 - insmod beta' &&
		echo "$out" | grep -q "module-params: '.*' is not a name=value word" &&
		[ "$(cat "$tmp/insmod.log")" = /b/mod/alpha/alpha.ko ]
	res $? "a module-params word with a glob, a quote or a blank fails ($bad)" \
		"$out $(cat "$tmp/insmod.log")"
done

# --- tier.sh's bpftrace step: each "// expect:" line must match
mkdir -p "$tmp/bt/repo/tools/bpftrace" "$tmp/bt/bin" "$tmp/bt/res"
printf '// trigger: true\n// expect: ^@a: [0-9]+$\n// expect: ^@b\\[1, 7\\]: 2$\n' \
	> "$tmp/bt/repo/tools/bpftrace/alpha_x.bt"
printf '#!/bin/bash\nprintf "@a: 3\\n%%s\\n" "$(cat %s)"\n' "$tmp/bt/line" > "$tmp/bt/bin/bpftrace"
chmod +x "$tmp/bt/bin/bpftrace"
{ sed -n '/^bpftrace_all() {/,/^}/p' "$testing/vm/tier.sh"
  echo 'now() { date +%s; }; took() { :; }; bpftrace_all'; } > "$tmp/bt/run.sh"
bt_run() {	# bt_run LINE: the step's TAP with LINE as the output's second line
	echo "$1" > "$tmp/bt/line"
	PATH=$tmp/bt/bin:$PATH repo=$tmp/bt/repo results=$tmp/bt/res mods=alpha \
		bash "$tmp/bt/run.sh"
	cat "$tmp/bt/res/bpftrace.tap"
}
out=$(bt_run '@b[1, 7]: 2')
echo "$out" | grep -q '^ok 1 - alpha_x.bt'
res $? "a bpftrace script passes when each of its expect lines matches" "$out"
out=$(bt_run '@b[0, 7]: 2')
echo "$out" | grep -q '^not ok 1 - alpha_x.bt' && echo "$out" | grep -q 'not matched: ^@b'
res $? "a bpftrace script whose second expect line matches nothing fails" "$out"

# --- selftests/run_tests.sh: a hang, a crash, a skipped binary
mkdir -p "$tmp/ksft/src" "$tmp/ksft/out" "$tmp/ksft/results"
echo "timeout=2" > "$tmp/ksft/src/settings"
cat > "$tmp/ksft/out/hang" <<'EOS'
#!/bin/bash
printf 'TAP version 13\n1..2\n#  RUN           fixture.first ...\nok 1 fixture.first\n#  RUN           fixture.stuck ...\n'
exec sleep 60
EOS
printf '#!/bin/bash\necho "TAP version 13"\necho 1..1\nkill -SEGV $$\n' > "$tmp/ksft/out/crash"
printf '#!/bin/bash\nprintf "TAP version 13\\n1..0 # SKIP no device\\n"\nexit 4\n' > "$tmp/ksft/out/skip"
chmod +x "$tmp/ksft/out/"*
OUTPUT=$tmp/ksft/out KSFT_RESULTS=$tmp/ksft/results KSFT_TIMING=$tmp/ksft/timing \
	"$repo/selftests/run_tests.sh" "$tmp/ksft/src" hang crash skip missing > /dev/null 2>&1
st=$?
r=$tmp/ksft/results
grep -q '^not ok 2 fixture.stuck: killed after the 2s limit' "$r/kselftest-src-hang.tap" &&
	counts "$r/kselftest-src-hang.tap" "1 1 0" > /dev/null
res $? "a hung kselftest is a named not ok for the test that hung" "$(cat "$r/kselftest-src-hang.tap")"
counts "$r/kselftest-src-crash.tap" "0 1 0" > /dev/null
res $? "a crashed kselftest fails" "$(cat "$r/kselftest-src-crash.tap")"
counts "$r/kselftest-src-skip.tap" "0 0 1" > /dev/null
res $? "a kselftest that skips as a whole counts as one skip" "$(cat "$r/kselftest-src-skip.tap")"
counts "$r/kselftest-src-missing.tap" "0 1 0" > /dev/null && [ $st != 0 ]
res $? "a listed kselftest that was not built fails" "$(cat "$r/kselftest-src-missing.tap")"
[ "$(wc -l < "$tmp/ksft/timing")" = 4 ]
res $? "every kselftest program's time is recorded" "$(cat "$tmp/ksft/timing")"

# --- one module list
out=$("$here/modules-check.sh" "$repo")
! echo "$out" | grep -q '^not ok'
res $? "the repository's MODULES agrees with its folders, dkms.conf and tests" "$out"
mkdir -p "$tmp/r2"
(cd "$repo" && tar -cf - --exclude=./build --exclude=./.git .) | tar -xf - -C "$tmp/r2"
mkdir -p "$tmp/r2/newmod"
echo 'obj-m += newmod.o' > "$tmp/r2/newmod/Kbuild"
out=$("$here/modules-check.sh" "$tmp/r2")
echo "$out" | grep -q '^not ok .* folder newmod/ is in MODULES'
res $? "a module folder missing from MODULES fails" "$out"
echo newmod >> "$tmp/r2/MODULES"
out=$("$here/modules-check.sh" "$tmp/r2")
echo "$out" | grep -q '^not ok .* newmod: in dkms.conf'
res $? "a module missing from dkms.conf fails" "$out"

echo "1..$n"
