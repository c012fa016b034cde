#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# ktap.py: a strict KTAP / TAP 13 reader for make check.
#
#   ktap.py summary [--expected-skips FILE] LABEL=DIR...
#       Count every *.tap file below each DIR and print one row per file,
#       every skip with its reason, every failure by name and, last,
#       "N passed, N failed, N skipped". Exit 1 on any failure.
#   ktap.py count FILE
#       Print "passed failed skipped" for one file, then one line per
#       failure ("FAIL name") and per skip ("SKIP name: reason").
#
# The rules follow Documentation/dev-tools/ktap.rst:
#  * Results are counted at the leaves. A result whose subtests precede
#    it (indented deeper) counts through its subtests; if the parent says
#    "not ok" while every subtest passed, the parent is one failure.
#  * Every test block, top level or nested, is checked against its plan
#    where it has one: a result missing from the plan, or one more than
#    planned, is a failure. A nested block must open with a version
#    line or have a plan (KUnit's parameterized tests have no plan), so
#    a stray indented result line is a failure and never shifts the
#    level that is counted.
#  * Results are numbered 1, 2, ... in each block; a number out of
#    sequence (a repeated result standing in for a missing one) fails.
#  * A file needs a plan; only nested blocks that open with a version
#    line may do without.
#  * "1..0 # SKIP reason" skips the whole file: one skip.
#  * "not ok ... # TODO" is a failure; "Bail out!" is a failure; a file
#    with neither plan nor result is a failure.
#  * A skip must match a line of the expected-skips file (a shell
#    pattern over "LABEL/FILE/TEST: REASON-GIVEN", then why it is
#    accepted); any other skip is a failure.
# Lines that are none of version, plan, result or "Bail out!" are
# program output and are ignored, whatever their indentation.

import fnmatch
import os
import re
import sys

VERSION = re.compile(r'^(KTAP|TAP) version \d+\s*$')
PLAN = re.compile(r'^1\.\.(\d+)\s*(?:#\s*(.*))?$')
RESULT = re.compile(r'^(ok|not ok)(?=\s|$)(?:\s+(\d+))?(?:\s*-)?\s*(.*?)\s*$')
DIRECTIVE = re.compile(r'^(.*?)\s*#\s*(SKIP|TODO)\b[\s:]*(.*)$', re.I)
BAIL = re.compile(r'^Bail out!')


class Tally:
	def __init__(self):
		self.passed = 0
		self.failed = []	# names of failures
		self.skipped = []	# (name, reason)

	def fail(self, name):
		self.failed.append(name)


def indent_of(line):
	return len(line) - len(line.lstrip(' \t'))


def structural(line):
	s = line.strip()
	return bool(VERSION.match(s) or PLAN.match(s) or RESULT.match(s) or
		    BAIL.match(s))


def parse_block(lines, prefix, tally):
	"""Parse one test block; all structural lines of @lines share the
	least indentation found among them. Returns the number of results
	seen at this level (for the caller's own checks)."""
	rows = [(indent_of(l), l.strip()) for l in lines if structural(l)]
	if not rows:
		return 0
	level = min(d for d, _ in rows)
	plan = None
	plan_skip = None
	results = 0
	child = []
	where = prefix.rstrip(': ') or 'top level'

	for d, s in rows:
		if d > level:
			child.append(' ' * d + s)
			continue
		if VERSION.match(s):
			continue
		if BAIL.match(s):
			tally.fail(f'{prefix}Bail out!')
			continue
		m = PLAN.match(s)
		if m:
			if plan is not None:
				tally.fail(f'{where}: a second plan')
			plan = int(m.group(1))
			if m.group(2) and re.match(r'(?i)skip\b', m.group(2)):
				plan_skip = re.sub(r'(?i)^skip\b[\s:]*', '', m.group(2))
			continue
		m = RESULT.match(s)
		results += 1
		status, desc = m.group(1), m.group(3)
		if m.group(2) is None or int(m.group(2)) != results:
			tally.fail(f'{where}: result {results} is numbered '
				   f'{m.group(2) or "nothing"} ({s[:60]})')
		directive = reason = None
		dm = DIRECTIVE.match(desc)
		if dm:
			desc, directive, reason = dm.group(1), dm.group(2).upper(), dm.group(3)
		name = prefix + (desc or f'result {m.group(2) or results}')
		if child and not subtest_block(child):
			# Not a subtest block: stray lines. Fail, and count
			# the result itself at this level.
			tally.fail(f'{name}: stray indented line(s) before it')
			child = []
		if child:
			before = len(tally.failed)
			parse_block(child, name + ': ', tally)
			child = []
			if status == 'not ok' and len(tally.failed) == before:
				tally.fail(f'{name}: failed with every subtest passing')
			continue
		if directive == 'SKIP':
			tally.skipped.append((name, reason or 'no reason given'))
		elif status == 'not ok':
			tally.fail(name + (' (TODO)' if directive == 'TODO' else ''))
		else:
			tally.passed += 1

	if child:
		tally.fail(f'{where}: subtests with no result after them')
		parse_block(child, prefix + '(orphan): ', tally)
	if plan_skip is not None and plan == 0 and results == 0:
		tally.skipped.append((prefix.rstrip(': ') or 'whole file',
				      plan_skip or 'no reason given'))
	elif results == 0 and not plan:
		tally.fail(f'{where}: no result, and no SKIP to say why')
	elif plan is None and not prefix:
		# Only a nested block that opened with a version line may
		# go without a plan; a file must say how many results to
		# expect, or a run cut short would pass.
		tally.fail(f'{where}: no plan')
	elif plan is not None and results < plan:
		tally.fail(f'{where}: {plan - results} result(s) missing from plan 1..{plan}')
	elif plan is not None and results > plan:
		tally.fail(f'{where}: {results - plan} result(s) beyond plan 1..{plan}')
	return results


def subtest_block(lines):
	"""A subtest block opens with a version line or has a plan (KUnit's
	parameterized tests print no plan); anything else is stray."""
	rows = [(indent_of(l), l.strip()) for l in lines if structural(l)]
	level = min(d for d, _ in rows)
	top = [s for d, s in rows if d == level]
	return bool(VERSION.match(top[0]) or any(PLAN.match(s) for s in top))


def count_file(path):
	tally = Tally()
	with open(path, errors='replace') as f:
		lines = f.read().splitlines()
	if not any(structural(l) for l in lines):
		tally.fail('no plan and no result')
		return tally
	parse_block(lines, '', tally)
	return tally


def load_expected(path):
	exp = []
	if not path:
		return exp
	with open(path) as f:
		for l in f:
			l = l.strip()
			if not l or l.startswith('#'):
				continue
			pat, _, reason = l.partition(' ')
			exp.append((pat, reason.strip()))
	return exp


def summary(args):
	expected = []
	if len(args) >= 2 and args[0] == '--expected-skips':
		expected = load_expected(args[1])
		args = args[2:]
	tp = tf = ts = 0
	failures, skips = [], []
	print(f'{"suite":<48} {"passed":>7} {"failed":>7} {"skipped":>7}')
	for arg in args:
		label, _, d = arg.partition('=')
		files = []
		for root, _, names in os.walk(d):
			files += [os.path.join(root, n) for n in names if n.endswith('.tap')]
		if not os.path.isdir(d) or not files:
			failures.append(f'{label}: no results')
			print(f'{label + " (no results)":<48} {0:7d} {1:7d} {0:7d}')
			tf += 1
			continue
		for f in sorted(files):
			suite = label + '/' + os.path.relpath(f, d)[:-4]
			t = count_file(f)
			ns = 0
			for name, reason in t.skipped:
				full = f'{suite}/{name}'
				why = next((r for p, r in expected
					    if fnmatch.fnmatchcase(f'{full}: {reason}', p)),
					   None)
				if why is None:
					t.fail(f'unexpected skip of {name}: {reason}')
				else:
					ns += 1
					skips.append(f'SKIP {full}: {reason} (expected: {why})')
			nf = len(t.failed)
			print(f'{suite:<48} {t.passed:7d} {nf:7d} {ns:7d}')
			failures += [f'{suite}: {n}' for n in t.failed]
			tp, tf, ts = tp + t.passed, tf + nf, ts + ns
	for s in skips:
		print(s)
	for f in failures:
		print(f'FAILED {f}')
	print(f'{tp} passed, {tf} failed, {ts} skipped')
	return 1 if tf else 0


def main():
	if len(sys.argv) >= 2 and sys.argv[1] == 'summary':
		return summary(sys.argv[2:])
	if len(sys.argv) == 3 and sys.argv[1] == 'count':
		t = count_file(sys.argv[2])
		print(t.passed, len(t.failed), len(t.skipped))
		for n in t.failed:
			print('FAIL', n)
		for n, r in t.skipped:
			print(f'SKIP {n}: {r}')
		return 1 if t.failed else 0
	print('usage: ktap.py summary|count ... (see the header)', file=sys.stderr)
	return 2


if __name__ == '__main__':
	sys.exit(main())
