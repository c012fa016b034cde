// SPDX-License-Identifier: GPL-2.0
/*
 * The ptsel walk cache: replacement-policy checks, then randomized
 * map/unmap on two radix tables (4 and 5 levels, two ASIDs) sharing one
 * walk cache, where every ptsel_radix_translate_wc() must equal
 * ptsel_radix_translate(). As the kernel user does, the ASID is flushed
 * after every unmap and every map that failed for lack of memory; freed tables are poisoned, so a
 * stale cached table shows up under ASan or as a wrong translation.
 * Prints TAP.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/ptsel.h>

#include "ptsel_ops.h"

#define PG	4096ULL
#define SZ_2M	(1ULL << 21)
#define SZ_1G	(1ULL << 30)
#define UNTRACKED	PTSEL_WC_WALKERS

static unsigned int tests, failed;
static u64 fake[16];	/* stand-in tables: the policy checks never walk */

static void ok(int cond, const char *what)
{
	tests++;
	if (!cond)
		failed++;
	printf("%sok %u - %s\n", cond ? "" : "not ", tests, what);
}

static void *wc_new(struct ptsel_wcache *wc, unsigned int n,
		    enum ptsel_wc_policy policy, bool tracking)
{
	void *mem = malloc(ptsel_wc_bytes(n));

	CHECK(mem && !ptsel_wc_init(wc, mem, n, policy, tracking),
	      "walk cache of %u entries", n);
	return mem;
}

/* Level-0 tables of consecutive 2M regions: key k covers k * 2M. */
static void put(struct ptsel_wcache *wc, unsigned int k)
{
	ptsel_wc_insert(wc, UNTRACKED, 1, 0, k * SZ_2M, &fake[k]);
}

static bool has(struct ptsel_wcache *wc, unsigned int k)
{
	return ptsel_wc_lookup(wc, 1, 0, k * SZ_2M) == &fake[k];
}

static void init_checks(void)
{
	struct ptsel_wcache wc;
	void *mem = malloc(ptsel_wc_bytes(PTSEL_WC_MAX_ENTRIES));

	ok(!ptsel_wc_bytes(0) && !ptsel_wc_bytes(PTSEL_WC_MAX_ENTRIES + 1) &&
	   ptsel_wc_bytes(5) >= 5 * sizeof(struct ptsel_wc_entry),
	   "bytes: 0 out of range, enough in range");
	ok(ptsel_wc_init(&wc, mem, 0, PTSEL_WC_LRU, false) == -EINVAL &&
	   ptsel_wc_init(&wc, mem, PTSEL_WC_MAX_ENTRIES + 1, PTSEL_WC_LRU,
			 false) == -EINVAL &&
	   ptsel_wc_init(&wc, mem, 4, (enum ptsel_wc_policy)7, false) == -EINVAL,
	   "init refuses a bad capacity or policy");
	ok(!ptsel_wc_init(&wc, mem, PTSEL_WC_MAX_ENTRIES, PTSEL_WC_CLOCK, true) &&
	   !ptsel_wc_init(&wc, mem, 1, PTSEL_WC_LRU, false),
	   "init takes the largest size and size 1");
	put(&wc, 3);
	put(&wc, 4);
	ok(!has(&wc, 3) && has(&wc, 4) && wc.stats.evictions == 1,
	   "one entry: the second insert evicts the first");
	ptsel_wc_insert(&wc, 0, 1, 0, 5 * SZ_2M, NULL);
	ptsel_wc_insert(&wc, 0, 1, PTSEL_WC_LEVELS, 0, &fake[0]);
	ok(has(&wc, 4) && wc.stats.inserts == 2 &&
	   !ptsel_wc_lookup(&wc, 1, PTSEL_WC_LEVELS, 0),
	   "a NULL table or a level out of range is not cached");
	free(mem);
}

static void policies(void)
{
	struct ptsel_wcache wc;
	void *mem = wc_new(&wc, 3, PTSEL_WC_LRU, false);

	put(&wc, 0);
	put(&wc, 1);
	put(&wc, 2);
	ok(has(&wc, 0), "LRU: hit");
	put(&wc, 3);	/* evicts 1, the least recently used */
	put(&wc, 4);	/* evicts 2 */
	ok(!has(&wc, 1) && !has(&wc, 2) && has(&wc, 0) && has(&wc, 3) &&
	   has(&wc, 4) && wc.stats.evictions == 2,
	   "LRU: evicts in order of last use");
	free(mem);

	mem = wc_new(&wc, 3, PTSEL_WC_CLOCK, false);
	put(&wc, 0);
	put(&wc, 1);
	put(&wc, 2);
	/* Every bit is set: the hand clears them all and takes entry 0. */
	put(&wc, 3);
	ok(has(&wc, 1), "CLOCK: hit sets the reference bit again");
	/* The hand is at 1: its bit is set, so 2 goes, and 1 survives. */
	put(&wc, 4);
	ok(!has(&wc, 0) && !has(&wc, 2) && has(&wc, 1) && has(&wc, 3) &&
	   has(&wc, 4), "CLOCK: second chance for the referenced entry");
	free(mem);

	mem = wc_new(&wc, 4, PTSEL_WC_LRU, true);
	put(&wc, 9);
	ptsel_wc_walk_begin(&wc, 2);
	ptsel_wc_insert(&wc, 2, 1, 2, 0, &fake[2]);
	ptsel_wc_insert(&wc, 2, 1, 1, 0, &fake[1]);
	ptsel_wc_insert(&wc, 2, 1, 0, 0, &fake[0]);
	ok(has(&wc, 0) && !ptsel_wc_lookup(&wc, 1, 1, 0) &&
	   !ptsel_wc_lookup(&wc, 1, 2, 0) && has(&wc, 9) &&
	   wc.stats.overrides == 2 && !wc.stats.evictions,
	   "tracking: a walk keeps one entry and evicts nothing");
	ptsel_wc_walk_begin(&wc, 2);
	ptsel_wc_insert(&wc, 2, 1, 0, SZ_2M, &fake[1]);
	ok(has(&wc, 0) && has(&wc, 1) && wc.stats.overrides == 2,
	   "tracking: a new search takes a new entry");
	ptsel_wc_flush_asid(&wc, 1);
	ptsel_wc_insert(&wc, 2, 1, 0, 5 * SZ_2M, &fake[5]);
	ptsel_wc_insert(&wc, 2, 1, 0, 6 * SZ_2M, &fake[6]);
	ok(!has(&wc, 5) && has(&wc, 6) && wc.stats.overrides == 3,
	   "tracking: a flushed entry is not overridden, the next one is");
	free(mem);

	/* Cold inserts enter as the next victim; a hit promotes them. */
	mem = wc_new(&wc, 3, PTSEL_WC_LRU, true);
	put(&wc, 0);
	put(&wc, 1);
	ptsel_wc_insert_cold(&wc, 1, 0, 2 * SZ_2M, &fake[2]);
	put(&wc, 3);
	ok(has(&wc, 0) && has(&wc, 1) && !has(&wc, 2) && has(&wc, 3),
	   "LRU: a cold entry is the next victim");
	ptsel_wc_insert_cold(&wc, 1, 0, 4 * SZ_2M, &fake[4]);
	ok(has(&wc, 4) && !has(&wc, 0),
	   "LRU: a cold entry evicts the least recently used");
	/* The hit made 4 most recent: 1 is the victim now. */
	put(&wc, 5);
	ok(!has(&wc, 1) && has(&wc, 3) && has(&wc, 4) && has(&wc, 5),
	   "LRU: a cold entry that was hit is promoted");
	ptsel_wc_insert_cold(&wc, 1, 0, 4 * SZ_2M, &fake[6]);
	ok(ptsel_wc_lookup(&wc, 1, 0, 4 * SZ_2M) == &fake[6] && !wc.stats.overrides,
	   "cold insert of a cached key refreshes it, tracks nothing");
	free(mem);

	mem = wc_new(&wc, 2, PTSEL_WC_CLOCK, true);
	put(&wc, 0);
	ptsel_wc_insert_cold(&wc, 1, 0, SZ_2M, &fake[1]);
	/* 0 is referenced, 1 is not: the hand spares 0 and takes 1. */
	put(&wc, 2);
	ok(has(&wc, 0) && !has(&wc, 1) && has(&wc, 2),
	   "CLOCK: a cold entry has its reference bit clear");
	free(mem);
}

struct side {
	struct ops_env env;
	u64 asid, lo;
};

/* An address in @s's 8 GiB window, 2M or 1G aligned now and then. */
static u64 rand_addr(struct side *s, unsigned int *seed)
{
	u64 a = s->lo + (((u64)rand_r(seed) << 16 ^ rand_r(seed)) % (8 * SZ_1G));

	switch (rand_r(seed) % 8) {
	case 0:
		return a & ~(SZ_1G - 1);
	case 1:
	case 2:
		return a & ~(SZ_2M - 1);
	default:
		return a & ~(PG - 1);
	}
}

static u64 rand_size(unsigned int *seed)
{
	switch (rand_r(seed) % 10) {
	case 0:
		return SZ_1G;
	case 1:
	case 2:
		return (1 + rand_r(seed) % 3) * SZ_2M;
	default:
		return (1 + rand_r(seed) % 64) * PG;
	}
}

static bool same(int r1, const struct ptsel_xlate *x1, int r2,
		 const struct ptsel_xlate *x2)
{
	if (r1 != r2)
		return false;
	if (r1)
		return r1 != -ENOENT || x2->mem_refs <= x1->mem_refs;
	return x1->target == x2->target && x1->prot == x2->prot &&
	       x1->level == x2->level && x2->mem_refs >= 1 &&
	       x2->mem_refs <= x1->mem_refs;
}

static void randomized(unsigned int n, enum ptsel_wc_policy policy,
		       bool tracking, bool adaptive, unsigned int seed)
{
	static struct side side[2];
	unsigned long xl = 0, bad = 0, i, refs = 0, refs_wc = 0;
	struct ptsel_wcache wc;
	void *mem = wc_new(&wc, n, policy, tracking);
	char what[200];
	unsigned int k;

	/* Random addresses rarely reuse a table: they would bypass it. */
	wc.sampler.adaptive = adaptive;

	side[0].asid = 11;
	side[0].lo = (1ULL << 39) - 4 * SZ_1G;
	side[1].asid = 12;
	side[1].lo = (1ULL << 52) + 3 * SZ_1G;
	for (k = 0; k < 2; k++)
		CHECK(!ops_env_init(&side[k].env, OPS_RADIX, 4 + k, 0), "init");
	for (i = 0; i < 60000; i++) {
		struct side *s = &side[rand_r(&seed) % 2];
		struct ptsel_radix *r = &s->env.r;
		unsigned int op = rand_r(&seed) % 100;
		u64 a = rand_addr(s, &seed);
		struct ptsel_xlate x1, x2;
		int r1, r2;

		if (op < 8) {
			if (op == 0)
				s->env.fail_after = rand_r(&seed) % 4;
			/* Only a map that ran out of memory prunes tables. */
			if (ptsel_radix_map(r, a, a + ((1ULL + rand_r(&seed) % 4) << 40),
					    rand_size(&seed), PTSEL_PROT_READ) == -ENOMEM)
				ptsel_wc_flush_asid(&wc, s->asid);
			s->env.fail_after = -1;
		} else if (op < 10) {
			ptsel_radix_unmap(r, a, rand_size(&seed));
			ptsel_wc_flush_asid(&wc, s->asid);
		} else if (op < 11 && !(i % 8)) {
			ptsel_wc_flush_all(&wc);
		} else {
			unsigned int walker = rand_r(&seed) % (PTSEL_WC_WALKERS + 2);

			/* Near the last address now and then: hits. */
			a += rand_r(&seed) % (4 * PG) + (op & 7);
			if (rand_r(&seed) % 3 == 0)
				ptsel_wc_walk_begin(&wc, walker);
			r1 = ptsel_radix_translate(r, a, &x1);
			r2 = ptsel_radix_translate_wc(r, &wc, s->asid, walker, a, &x2);
			xl++;
			refs += x1.mem_refs;
			refs_wc += x2.mem_refs;
			if (!same(r1, &x1, r2, &x2) && !bad++)
				printf("# 0x%llx: translate %d 0x%llx/%u, wc %d 0x%llx/%u\n",
				       (unsigned long long)a, r1,
				       (unsigned long long)x1.target, x1.level, r2,
				       (unsigned long long)x2.target, x2.level);
		}
	}
	/* Past the limit: the same -EINVAL. */
	for (k = 0; k < 2; k++) {
		struct ptsel_xlate x;
		u64 lim = ptsel_radix_limit(&side[k].env.r);

		if (ptsel_radix_translate_wc(&side[k].env.r, &wc, side[k].asid, 0,
					     lim, &x) != -EINVAL)
			bad++;
		ptsel_wc_flush_asid(&wc, side[k].asid);
		ops_env_fini(&side[k].env);
	}
	snprintf(what, sizeof(what),
		 "%u entries, %s%s%s: %lu translations equal (refs %.2f -> %.2f), %llu hits, %llu evictions, %llu overrides, %llu bypassed",
		 n, policy == PTSEL_WC_LRU ? "LRU" : "CLOCK",
		 tracking ? "+tracking" : "", adaptive ? ", adaptive" : "", xl,
		 (double)refs / xl, (double)refs_wc / xl,
		 (unsigned long long)wc.stats.hits,
		 (unsigned long long)wc.stats.evictions,
		 (unsigned long long)wc.stats.overrides,
		 (unsigned long long)ptsel_wc_bypassed(&wc));
	/*
	 * Every walk is counted once: a hit (it stops at its first), a
	 * root walk, or bypassed (counted in bulk, ahead of the walks).
	 */
	ok(!bad && wc.stats.hits > 0 &&
	   wc.stats.hits + wc.stats.root_walks + ptsel_wc_bypassed(&wc) == xl &&
	   (adaptive ? ptsel_wc_bypassed(&wc) > 0 :
	   wc.stats.evictions > 0 && !ptsel_wc_bypassed(&wc) &&
	   tracking == (wc.stats.overrides > 0)), what);
	free(mem);
}

int main(void)
{
	static const unsigned int n[] = { 1, 7, 24 };
	unsigned int i, p, t;

	printf("TAP version 13\n");
	init_checks();
	policies();
	for (i = 0; i < 3; i++)
		for (p = 0; p < 2; p++)
			for (t = 0; t < 2; t++)
				randomized(n[i], p ? PTSEL_WC_CLOCK : PTSEL_WC_LRU, t,
					   false, i * 4 + p * 2 + t + 1);
	randomized(24, PTSEL_WC_CLOCK, true, true, 99);
	printf("1..%u\n", tests);
	return failed != 0;
}
