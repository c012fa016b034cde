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
	u64 asid, lo, prev, off;
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

/* One translation of @a through @wc (ASID 1, walker 0, its own search). */
static int xl_wc(struct ops_env *env, struct ptsel_wcache *wc, u64 a,
		 struct ptsel_xlate *x)
{
	ptsel_wc_walk_begin(wc, 0);
	return ptsel_radix_translate_wc(&env->r, wc, 1, 0, a, x);
}

/*
 * Admission on a second miss, and the last walk's level-0 table: a
 * table missed once is not cached; missed twice, it is, and the next
 * walk in it reads it from @last; first misses of other tables evict
 * nothing; a flush empties @last before the tables it names are freed.
 */
static void admission_and_last(void)
{
	static struct ops_env env;
	struct ptsel_wcache wc;
	void *mem = wc_new(&wc, 8, PTSEL_WC_CLOCK, true);
	const u64 a = 5 * SZ_1G;
	struct ptsel_xlate x;
	unsigned int i;
	bool good;

	CHECK(!ops_env_init(&env, OPS_RADIX, 4, 0), "init");
	CHECK(!ops_map(&env, a, SZ_1G, 4 * PG, PTSEL_PROT_READ), "map");
	for (i = 0; i < 200; i++)
		CHECK(!ops_map(&env, 6 * SZ_1G + i * SZ_2M, SZ_1G, PG,
			       PTSEL_PROT_READ), "map");
	good = !xl_wc(&env, &wc, a, &x) && x.mem_refs == 4 &&
	       wc.stats.refused == 1 && !wc.stats.inserts;
	ok(good, "first miss of a table: a full walk, refused, nothing cached");
	good = !xl_wc(&env, &wc, a + PG, &x) && x.mem_refs == 4 &&
	       wc.stats.refused == 1 && wc.stats.inserts == 3;
	ok(good, "second miss: admitted, its three tables cached");
	good = !xl_wc(&env, &wc, a + 2 * PG, &x) && x.mem_refs == 1 &&
	       x.target == SZ_1G + 2 * PG && wc.stats.last_hits == 1;
	ok(good, "the next walk in that table takes it from last: one ref");
	/* 200 first misses, each in a table of its own. */
	for (i = 0; i < 200; i++)
		xl_wc(&env, &wc, 6 * SZ_1G + i * SZ_2M, &x);
	good = wc.stats.refused == 201 && wc.stats.inserts == 3 &&
	       !wc.stats.evictions && !xl_wc(&env, &wc, a + 3 * PG, &x) &&
	       x.mem_refs == 1 && wc.stats.last_hits == 2;
	ok(good, "first misses of 200 other tables evict nothing, fill nothing");
	/* Another table admitted takes @last: back to a by the front. */
	xl_wc(&env, &wc, 6 * SZ_1G, &x);
	xl_wc(&env, &wc, 6 * SZ_1G, &x);
	good = !xl_wc(&env, &wc, a, &x) && x.mem_refs == 1 &&
	       wc.stats.hits >= 1 && wc.stats.last_hits == 2;
	ok(good, "a cached table that is not last: a front hit, one ref");
	/* Unmapping a's pages frees its level-0 table; the flush forgets it. */
	CHECK(!ptsel_radix_unmap(&env.r, a, 4 * PG), "unmap");
	ptsel_wc_flush_asid(&wc, 1);
	good = xl_wc(&env, &wc, a + PG, &x) == -ENOENT &&
	       wc.stats.last_hits == 2;
	ok(good, "a flush empties last: the freed table is not read");
	ptsel_wc_flush_asid(&wc, 1);
	ops_env_fini(&env);
	free(mem);
}

/*
 * With tracking, a search that goes on into its next table (no new
 * ptsel_wc_walk_begin()) has that table cached on its first miss.
 */
static void stream_admitted(void)
{
	static struct ops_env env;
	struct ptsel_wcache wc;
	void *mem = wc_new(&wc, 8, PTSEL_WC_CLOCK, true);
	const u64 b = 7 * SZ_1G;
	struct ptsel_xlate x;
	bool good;

	CHECK(!ops_env_init(&env, OPS_RADIX, 4, 0), "init");
	CHECK(!ops_map(&env, b, SZ_1G + PG, 2 * SZ_2M, PTSEL_PROT_READ), "map");
	ptsel_wc_walk_begin(&wc, 0);
	ptsel_radix_translate_wc(&env.r, &wc, 1, 0, b, &x);
	ptsel_radix_translate_wc(&env.r, &wc, 1, 0, b + PG, &x);
	good = wc.stats.refused == 1 && wc.stats.inserts == 3;
	/* On into the next table: one miss, and it is cached. */
	good &= !ptsel_radix_translate_wc(&env.r, &wc, 1, 0, b + SZ_2M, &x) &&
		wc.stats.refused == 1 && wc.stats.inserts == 4 && x.mem_refs == 2;
	good &= !ptsel_radix_translate_wc(&env.r, &wc, 1, 0, b + SZ_2M + PG, &x) &&
		x.mem_refs == 1 && x.target == SZ_1G + SZ_2M + 2 * PG;
	ok(good, "tracking: a stream's next table is cached on its first miss");
	/* A new search in a new table: refused again. */
	ptsel_wc_walk_begin(&wc, 0);
	ptsel_radix_translate_wc(&env.r, &wc, 1, 0, b + 2 * SZ_2M - PG, &x);
	ok(wc.stats.refused == 1 && wc.stats.last_hits == 2,
	   "a new search in the stream's table hits it from last");
	ptsel_wc_flush_asid(&wc, 1);
	ops_env_fini(&env);
	free(mem);
}

/*
 * A stream through one table at a time, with a jump to a table of its
 * own after every 7 walks: the jumps miss, the stream hits in @last.
 * The sampler must count those hits and never bypass the cache.
 */
static void last_hits_keep_cache(void)
{
	static struct ops_env env;
	struct ptsel_wcache wc;
	void *mem = wc_new(&wc, 64, PTSEL_WC_CLOCK, true);
	unsigned long i, n = 64 * PTSEL_SAMPLER_WINDOW;
	struct ptsel_xlate x;
	char what[160];

	CHECK(!ops_env_init(&env, OPS_RADIX, 4, 0), "init");
	/* A target off 2M alignment: 4K leaves, in level-0 tables. */
	CHECK(!ops_map(&env, 0, SZ_1G + PG, 64 * SZ_2M, PTSEL_PROT_READ), "map");
	for (i = 0; i < 512; i++)
		CHECK(!ops_map(&env, SZ_1G + i * SZ_2M, SZ_1G, PG,
			       PTSEL_PROT_READ), "map");
	for (i = 0; i < n; i++) {
		u64 a = i % 8 == 7 ? SZ_1G + (i / 8 * 7919 % 512) * SZ_2M :
				     (i * PG) % (64 * SZ_2M);

		CHECK(!xl_wc(&env, &wc, a, &x), "translate 0x%llx", (unsigned long long)a);
	}
	snprintf(what, sizeof(what),
		 "a stream with jumps: %llu last hits, %llu misses, %llu bypassed",
		 (unsigned long long)wc.stats.last_hits,
		 (unsigned long long)wc.stats.misses,
		 (unsigned long long)ptsel_wc_bypassed(&wc));
	ok(wc.stats.last_hits > n / 2 && !ptsel_wc_bypassed(&wc), what);
	ptsel_wc_flush_asid(&wc, 1);
	ops_env_fini(&env);
	free(mem);
}

/*
 * A sparse sequential scan after a trace without locality, as the
 * walker's benchmark makes them: 64 walks per level-0 table, fewer than
 * the walks between two samples of a bypassed cache. The scan must
 * bring the cache back (most of its walks hit), not stay bypassed.
 */
static void stream_ends_bypass(void)
{
	static struct ops_env env;
	struct ptsel_wcache wc;
	void *mem = wc_new(&wc, 64, PTSEL_WC_CLOCK, true);
	unsigned long i, n = 64 * PTSEL_SAMPLER_WINDOW, tables = 1024;
	u64 hits0, bypassed0, hits, bypassed;
	unsigned int seed = 5;
	struct ptsel_xlate x;
	char what[200];

	CHECK(!ops_env_init(&env, OPS_RADIX, 4, 0), "init");
	/* Every 8th page of 1024 level-0 tables: 64 pages per table. */
	for (i = 0; i < tables * 64; i++)
		CHECK(!ops_map(&env, i * 8 * PG, SZ_1G + i * PG, PG, PTSEL_PROT_READ),
		      "map");
	for (i = 0; i < n; i++) {
		u64 a = (u64)(rand_r(&seed) % (tables * 64)) * 8 * PG;

		CHECK(!xl_wc(&env, &wc, a, &x), "translate 0x%llx", (unsigned long long)a);
	}
	hits0 = wc.stats.hits + wc.stats.last_hits;
	bypassed0 = ptsel_wc_bypassed(&wc);
	for (i = 0; i < n; i++) {
		u64 a = (u64)(i % (tables * 64)) * 8 * PG;

		CHECK(!xl_wc(&env, &wc, a, &x) && x.target == SZ_1G + a / 8,
		      "translate 0x%llx", (unsigned long long)a);
	}
	hits = wc.stats.hits + wc.stats.last_hits - hits0;
	bypassed = ptsel_wc_bypassed(&wc) - bypassed0;
	snprintf(what, sizeof(what),
		 "a sparse scan after random walks: %llu of %lu hit, %llu bypassed (random: %llu bypassed)",
		 (unsigned long long)hits, n, (unsigned long long)bypassed,
		 (unsigned long long)bypassed0);
	ok(bypassed0 > n / 2 && hits > n / 2, what);
	ptsel_wc_flush_asid(&wc, 1);
	ops_env_fini(&env);
	free(mem);
}

/*
 * Sampler modes of the randomized runs: none (every miss fills, as the
 * policy checks need), admission and bypass windows that never close
 * (every walk uses the cache, first misses are refused), and the
 * cache as the walkers run it, on random addresses (ADAPTIVE) or on a
 * trace that switches between streams and random jumps every few
 * windows (PHASES), so that the sampler bypasses the cache and brings
 * it back again and again, bursts after refused samples among it, with
 * the unmaps and flushes in between.
 */
enum { FILL_ALL, ADMIT, ADAPTIVE, PHASES };

/*
 * Entries holding the same key twice: fills of a key known absent
 * (ptsel_wc_insert_new()) skip the chain search, so a walk that filled
 * a table it had not probed would leave one.
 */
static unsigned int twins(const struct ptsel_wcache *wc)
{
	unsigned int i, j, n = 0;

	for (i = 0; i < wc->nr_entries; i++)
		for (j = i + 1; j < wc->nr_entries; j++)
			n += wc->e[i].table && wc->e[j].table &&
			     wc->e[i].tag == wc->e[j].tag &&
			     wc->e[i].asid == wc->e[j].asid;
	return n;
}

static void randomized(unsigned int n, enum ptsel_wc_policy policy,
		       bool tracking, int mode, unsigned int seed)
{
	static struct side side[2];
	unsigned long xl = 0, bad = 0, i, refs = 0, refs_wc = 0, dups = 0;
	unsigned long on = 0, off = 0, acct = 0;
	bool bypass = false;
	struct ptsel_wcache wc;
	void *mem = wc_new(&wc, n, policy, tracking);
	char what[200];
	unsigned int k;

	/* Random addresses rarely reuse a table: they would bypass it. */
	wc.sampler.adaptive = mode != FILL_ALL;

	side[0].asid = 11;
	side[0].lo = (1ULL << 39) - 4 * SZ_1G;
	side[1].asid = 12;
	/*
	 * Half the seeds give both address spaces the same addresses, so
	 * that only the ASID tells their entries apart.
	 */
	side[1].lo = seed & 1 ? side[0].lo : (1ULL << 52) + 3 * SZ_1G;
	for (k = 0; k < 2; k++) {
		CHECK(!ops_env_init(&side[k].env, OPS_RADIX, 4 + k, 0), "init");
		/* The streams' 64M, in 4K leaves: 32 level-0 tables. */
		side[k].off = 0;
		CHECK(mode != PHASES ||
		      !ops_map(&side[k].env, side[k].lo, side[k].lo + (1ULL << 40) + PG,
			       32 * SZ_2M, PTSEL_PROT_READ), "map");
	}
	for (i = 0; i < (mode == PHASES ? 120000 : 60000); i++) {
		struct side *s = &side[rand_r(&seed) % 2];
		struct ptsel_radix *r = &s->env.r;
		unsigned int op = rand_r(&seed) % 100;
		u64 a = rand_addr(s, &seed);
		/* Phases as long as two bypassed windows at most. */
		bool stream = mode == PHASES &&
			      (i / (16 * PTSEL_SAMPLER_WINDOW)) % 2;
		struct ptsel_xlate x1, x2;
		int r1, r2;

		/* Streams see an eighth of the updates and flushes. */
		if (stream && op < 11 && rand_r(&seed) % 8)
			op = 50;

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
			/* Admission needs second misses: streams. */
			if (mode == ADMIT && rand_r(&seed) % 4)
				a = s->prev + rand_r(&seed) % (4 * PG);
			if (stream) {
				s->off += rand_r(&seed) % (2 * PG);
				a = s->lo + s->off % (32 * SZ_2M);
			}
			s->prev = a;
			if (rand_r(&seed) % 3 == 0)
				ptsel_wc_walk_begin(&wc, walker);
			r1 = ptsel_radix_translate(r, a, &x1);
			if (mode == ADMIT)
				wc.sampler.win_uses = 0;
			r2 = ptsel_radix_translate_wc(r, &wc, s->asid, walker, a, &x2);
			xl++;
			/* Every walk counted once, after every walk. */
			acct += wc.stats.hits + wc.stats.last_hits +
				wc.stats.root_walks + ptsel_wc_bypassed(&wc) != xl;
			if (wc.sampler.bypass != bypass) {
				bypass = wc.sampler.bypass;
				on += bypass;
				off += !bypass;
			}
			dups += twins(&wc);
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
		 "%u entries, %s%s%s: %lu translations equal (refs %.2f -> %.2f), %llu hits, %llu last, %llu evictions, %llu overrides, %llu bypassed (%lu on, %lu off), %lu twins, %lu miscounted",
		 n, policy == PTSEL_WC_LRU ? "LRU" : "CLOCK",
		 tracking ? "+tracking" : "",
		 mode == ADMIT ? ", admission" : mode == ADAPTIVE ? ", adaptive" :
		 mode == PHASES ? ", adaptive, phases" : "", xl,
		 (double)refs / xl, (double)refs_wc / xl,
		 (unsigned long long)wc.stats.hits,
		 (unsigned long long)wc.stats.last_hits,
		 (unsigned long long)wc.stats.evictions,
		 (unsigned long long)wc.stats.overrides,
		 (unsigned long long)ptsel_wc_bypassed(&wc), on, off, dups, acct);
	/*
	 * Every walk is counted once: a hit (it stops at its first), a
	 * hit of the last walk's level-0 table, a root walk, or bypassed
	 * (counted in bulk, ahead of the walks).
	 */
	ok(!bad && !dups && !acct && wc.stats.hits > 0 &&
	   wc.stats.hits + wc.stats.last_hits + wc.stats.root_walks +
	   ptsel_wc_bypassed(&wc) == xl &&
	   (mode == PHASES ? on >= 3 && off >= 3 && wc.stats.evictions > 0 :
	    mode == ADAPTIVE ? ptsel_wc_bypassed(&wc) > 0 :
	   wc.stats.evictions > 0 && !ptsel_wc_bypassed(&wc) &&
	   tracking == (wc.stats.overrides > 0) &&
	   (mode == ADMIT) == (wc.stats.refused > 0)), what);
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
					   FILL_ALL, i * 4 + p * 2 + t + 1);
	for (p = 0; p < 2; p++)
		for (t = 0; t < 2; t++)
			randomized(3, p ? PTSEL_WC_CLOCK : PTSEL_WC_LRU, t, ADMIT,
				   50 + p * 2 + t);
	randomized(24, PTSEL_WC_CLOCK, true, ADAPTIVE, 99);
	for (p = 0; p < 2; p++)
		for (t = 0; t < 2; t++)
			randomized(7, p ? PTSEL_WC_CLOCK : PTSEL_WC_LRU, t, PHASES,
				   70 + p * 2 + t);
	admission_and_last();
	stream_admitted();
	last_hits_keep_cache();
	stream_ends_bypass();
	printf("1..%u\n", tests);
	return failed != 0;
}
