// SPDX-License-Identifier: GPL-2.0
/*
 * The partition model test (ptsel/part_model.c) on part.c and walker.c
 * built in userspace: random operations on two partitions (radix and
 * hashed by default) and three walkers, with injected allocation
 * failures, every step checked against the model. Prints TAP, one line
 * per run; each names its seed and window, and
 *
 *	ptsel_part_model -s SEED -w WINDOW -n OPS
 *
 * runs it again alone. Without -s, the seed comes from the clock. With
 * -l, failures are injected through the partitions' table limit only,
 * as the KUnit suite does, so that a seed it reports runs the same.
 * PTSEL_MODEL_SKIP and PTSEL_MODEL_NOINJECT take comma-separated
 * operation classes (map, unmap, protect, remap, region, default,
 * convert, lookup, switch, limit) to leave out, or to run without
 * injected failures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/kernel.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>

#include "part_model.h"

#define HISTORY	8

/* Inject through the table limit alone, as the KUnit suite does. */
static bool limits_only;

struct run {
	char history[HISTORY][sizeof(((struct pm *)0)->desc)];
	char report[PM_MSG];
};

static void fail_allocs(void *priv, int n)
{
	shim_fail_after = n;
}

static void report(void *priv, const char *msg)
{
	struct run *r = priv;

	snprintf(r->report, sizeof(r->report), "%s", msg);
}

static u32 parse_ops(const char *env)
{
	const char *s = getenv(env);
	u32 mask = 0;
	int i;

	if (!s)
		return 0;
	for (i = 0; i < PM_NR_OPS; i++) {
		const char *p = strstr(s, pm_op_name[i]);
		size_t n = strlen(pm_op_name[i]);

		if (p && (p == s || p[-1] == ',') && (p[n] == ',' || !p[n]))
			mask |= 1U << i;
	}
	return mask;
}

/* One run; prints its TAP line. Returns 0 if it passed. */
static int run_one(unsigned int t, u64 seed, unsigned int wi, unsigned long nops)
{
	static struct pm m;
	static struct run r;
	struct pm_hooks hooks = { limits_only ? NULL : fail_allocs, report, &r };
	unsigned long i, warnings = shim_warnings;
	u64 state = seed;
	u8 op[PM_OP_BYTES];
	unsigned int k;
	int ok = 1;

	memset(&m, 0, sizeof(m));
	memset(&r, 0, sizeof(r));
	m.skip = parse_ops("PTSEL_MODEL_SKIP");
	m.noinject = parse_ops("PTSEL_MODEL_NOINJECT");
	if (pm_init(&m, &hooks, pm_window[wi], seed)) {
		printf("not ok %u - seed %#llx window %u: init failed\n", t,
		       (unsigned long long)seed, wi);
		return 1;
	}
	for (i = 0; i < nops && ok; i++) {
		pm_random_op(&state, op);
		ok = pm_step(&m, op);
		snprintf(r.history[i % HISTORY], sizeof(r.history[0]), "%s", m.desc);
		/* Between operations no reader is inside a read-side section. */
		shim_rcu_quiesce();
		if (ok && shim_warnings != warnings) {
			snprintf(r.report, sizeof(r.report), "step %lu (%s): WARN",
				 m.steps, m.desc);
			ok = 0;
		}
	}
	if (ok)
		ok = pm_check_all(&m);
	pm_fini(&m);
	rcu_barrier();
	if (ok && shim_live_allocs) {
		snprintf(r.report, sizeof(r.report), "%lu allocations leaked",
			 shim_live_allocs);
		ok = 0;
	}
	if (!ok) {
		printf("not ok %u - seed %#llx window %u: %s\n", t,
		       (unsigned long long)seed, wi, r.report);
		printf("# reproduce: ptsel_part_model%s -s %#llx -w %u -n %lu\n",
		       limits_only ? " -l" : "", (unsigned long long)seed, wi,
		       m.steps);
		for (k = 0; k < HISTORY && k < m.steps; k++)
			printf("# step %lu: %s\n", m.steps - k,
			       r.history[(m.steps - 1 - k) % HISTORY]);
		/* A fresh start for the next run. */
		shim_fail_after = -1;
		shim_live_allocs = 0;
		shim_warnings = 0;
		return 1;
	}
	printf("ok %u - seed %#llx window %u: %lu steps", t,
	       (unsigned long long)seed, wi, m.steps);
	for (k = 0; k < PM_NR_OPS; k++)
		printf(", %s %lu/%lu/%lu", pm_op_name[k], m.ok[k], m.enomem[k],
		       m.ops[k]);
	printf(" (ok/ENOMEM/all)\n");
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long nops = 50000;
	unsigned int wi = PM_WINDOWS, w, t = 0, bad = 0;
	bool seeded = false;
	u64 seed = 0;
	int c;

	while ((c = getopt(argc, argv, "s:w:n:l")) != -1) {
		switch (c) {
		case 's':
			seed = strtoull(optarg, NULL, 0);
			seeded = true;
			break;
		case 'w':
			wi = strtoul(optarg, NULL, 0) % PM_WINDOWS;
			break;
		case 'n':
			nops = strtoul(optarg, NULL, 0);
			break;
		case 'l':
			limits_only = true;
			break;
		default:
			fprintf(stderr, "usage: %s [-s seed] [-w window] [-n ops] [-l]\n",
				argv[0]);
			return 2;
		}
	}
	if (!seeded)
		seed = (u64)time(NULL) * 1000003 ^ (u64)getpid();
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n");
	if (wi < PM_WINDOWS) {
		printf("1..1\n");
		return run_one(1, seed, wi, nops);
	}
	printf("1..%u\n# seed %#llx\n", PM_WINDOWS,
	       (unsigned long long)seed);
	for (w = 0; w < PM_WINDOWS; w++) {
		u64 s = seed + w;
		u8 op[PM_OP_BYTES];

		/* A seed of its own per window, from the run's seed. */
		pm_random_op(&s, op);
		memcpy(&s, op, sizeof(s));
		bad += run_one(++t, s, w, nops);
	}
	return bad ? 1 : 0;
}
