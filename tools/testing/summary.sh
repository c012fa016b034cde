#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# summary.sh LABEL=DIR...   Count the TAP/KTAP files (*.tap) below each DIR,
# print a table (tier/suite, passed, failed, skipped) and, as the last
# line, "N passed, N failed, N skipped". Exit 1 if anything failed.
#
# Counting: where a file has indented result lines (KTAP subtests), the
# first indentation level counts and the top level only adds a failure
# that no subtest explains; otherwise the top level counts. Results
# missing from a plan, a "Bail out!" and a file with no plan or result
# each count as a failure. Every failure is named again just above the
# last line, so that the tail of a CI log says what failed.
set -u
tp=0 tf=0 ts=0
failed=()
printf '%-44s %7s %7s %7s\n' suite passed failed skipped
for arg in "$@"; do
	label=${arg%%=*} dir=${arg#*=}
	[ -d "$dir" ] || { echo "summary: $label: no results" >&2; tf=$((tf + 1)); continue; }
	while IFS= read -r f; do
		rel=${f#"$dir"/}
		line=$(awk '
		function indent(s) { match(s, /^[ \t]*/); return RLENGTH }
		{ lines[NR] = $0 }
		/^[ \t]*(not ok|ok)( |$)/ {
			d = indent($0)
			if (d > 0 && (sub_ind == 0 || d < sub_ind)) sub_ind = d
		}
		END {
			p = f = s = 0; plan = -1; seen = 0; topfail = 0; bail = 0
			for (i = 1; i <= NR; i++) {
				l = lines[i]
				if (l ~ /^Bail out!/) bail = 1
				if (l ~ /^1\.\.[0-9]+/) { plan = substr(l, 4) + 0 }
				if (l !~ /^[ \t]*(not ok|ok)( |$)/) continue
				d = indent(l)
				if (d == 0) seen++
				if (d == 0 && sub_ind > 0) {
					if (l ~ /^not ok/) topfail = 1
					continue
				}
				if (d != (sub_ind > 0 ? sub_ind : 0)) continue
				if (l ~ /#[ \t]*(SKIP|skip)/) s++
				else if (l ~ /^[ \t]*not ok/) {
					f++
					sub(/^[ \t]*not ok[ \t]*[0-9]*[ \t-]*/, "", l)
					why = why "|" (l == "" ? "unnamed result" : l)
				} else p++
			}
			if (topfail && f == 0) { f++; why = why "|top-level result" }
			if (bail) { f++; why = why "|Bail out!" }
			if (plan > seen) {
				f += plan - seen
				why = why "|" plan - seen " result(s) missing from the plan"
			}
			if (plan < 0 && p + f + s == 0) { f++; why = why "|no plan, no result" }
			print p, f, s, why
		}' "$f")
		read -r p fl s why <<< "$line"
		if [ -n "$why" ]; then
			IFS='|' read -ra ws <<< "${why#|}"
			for w in "${ws[@]}"; do failed+=("$label/${rel%.tap}: $w"); done
		fi
		printf '%-44s %7d %7d %7d\n' "$label/${rel%.tap}" "$p" "$fl" "$s"
		tp=$((tp + p)); tf=$((tf + fl)); ts=$((ts + s))
	done < <(find "$dir" -name '*.tap' | sort)
done
for w in ${failed[@]+"${failed[@]}"}; do echo "FAILED $w"; done
echo "$tp passed, $tf failed, $ts skipped"
[ $tf = 0 ]
