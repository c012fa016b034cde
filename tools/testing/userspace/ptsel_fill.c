// SPDX-License-Identifier: GPL-2.0
/*
 * The fill-mask test (ptsel/fill_model.c) on part.c and walker.c built
 * in userspace: leaf invalidations visit only the walkers whose TLB may
 * hold the leaf, and no walker keeps a stale translation. Both formats,
 * a directed case and random runs; every run must have skipped some
 * walker (the targeting works) and visited some. Prints TAP; -s SEED
 * -n OPS runs one seed again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/rcupdate.h>

#include "fill_model.h"

static unsigned int tests, failed;

static void ok(bool cond, const char *what, unsigned long long seed, const char *why)
{
	tests++;
	if (!cond)
		failed++;
	printf("%sok %u - %s (seed %llu)%s%s\n", cond ? "" : "not ", tests, what,
	       seed, why ? ": " : "", why ? why : "");
}

static struct fm m;

static void run(u64 seed, unsigned long nops, u32 format)
{
	const char *name = format == PTSEL_FORMAT_HASH ? "hashed" : "radix";
	u64 s = seed * 2 + 1;
	unsigned long op;
	char what[96];

	memset(&m, 0, sizeof(m));
	if (fm_init(&m, format)) {
		ok(false, "setup", seed, NULL);
		return;
	}
	for (op = 0; op < nops && fm_step(&m, &s); op++)
		;
	if (!m.failed)
		fm_check_all(&m);
	printf("# %s: %lu checks, %lu exchanges, walkers on the partition visited %lu, skipped %lu\n",
	       name, m.checks, m.exchanges, m.visited, m.skipped);
	snprintf(what, sizeof(what), "%s: random exchanges, %lu ops, no stale translation, some walkers skipped",
		 name, op);
	ok(!m.failed && m.skipped && m.visited, what, seed,
	   m.failed ? m.msg : !m.skipped ? "no invalidation was skipped" : NULL);
	fm_fini(&m);
	shim_rcu_quiesce();
}

int main(int argc, char **argv)
{
	unsigned long long seed = time(NULL);
	unsigned long nops = 20000;
	int c, runs = 4;

	while ((c = getopt(argc, argv, "s:n:")) != -1) {
		if (c == 's') {
			seed = strtoull(optarg, NULL, 0);
			runs = 1;
		} else if (c == 'n') {
			nops = strtoul(optarg, NULL, 0);
		}
	}
	printf("TAP version 13\n");
	ok(!fm_directed(&m, PTSEL_FORMAT_RADIX), "radix: directed: only the walker that cached the page is invalidated; a 1G leaf's walker is",
	   0, fm_directed(&m, PTSEL_FORMAT_RADIX));
	ok(!fm_directed(&m, PTSEL_FORMAT_HASH), "hashed: directed: only the walker that cached the page is invalidated; a 1G leaf's walker is",
	   0, fm_directed(&m, PTSEL_FORMAT_HASH));
	for (c = 0; c < runs; c++) {
		run(seed + c, nops, PTSEL_FORMAT_RADIX);
		run(seed + c, nops, PTSEL_FORMAT_HASH);
	}
	printf("1..%u\n", tests);
	return failed ? 1 : 0;
}
