#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# summary.sh LABEL=DIR...   Count the TAP/KTAP files (*.tap) below each
# DIR with ktap.py (strict KTAP rules, see its header) against the
# expected skips in tools/testing/expected-skips. Prints a row per file,
# every skip with its reason, every failure by name and, as the last
# line, "N passed, N failed, N skipped". Exit 1 if anything failed.
here=$(cd "$(dirname "$0")" && pwd)
exec python3 "$here/ktap.py" summary \
	--expected-skips "${MEMVIRT_EXPECTED_SKIPS:-$here/expected-skips}" "$@"
