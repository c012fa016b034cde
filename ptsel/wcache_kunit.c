// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the ptsel walk cache: traversal-tracking overrides,
 * the LRU and CLOCK orders, ASID isolation and flushes, walks through
 * the cache against plain radix walks, admission, and the bypass
 * sampler with its burst after a refused sample.
 */
#include <kunit/test.h>
#include <linux/module.h>
#include <linux/prandom.h>
#include <linux/slab.h>

#include "ptsel_core.h"
#include "ptsel_kunit.h"

#define UNTRACKED	PTSEL_WC_WALKERS

/* Stand-in tables for the policy tests, which never walk them. */
static u64 fake[8];

static struct ptsel_wcache *wc_setup(struct kunit *test, unsigned int n,
				     enum ptsel_wc_policy policy, bool tracking)
{
	struct ptsel_wcache *wc = kunit_kzalloc(test, sizeof(*wc), GFP_KERNEL);
	void *mem = kunit_kzalloc(test, ptsel_wc_bytes(n), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, wc);
	KUNIT_ASSERT_NOT_NULL(test, mem);
	KUNIT_ASSERT_EQ(test, ptsel_wc_init(wc, mem, n, policy, tracking), 0);
	/* The tests count every probe: no bypassed windows. */
	wc->sampler.adaptive = false;
	return wc;
}

/*
 * The policy tests cache fake[@k] for region @k, 512G at @k * 512G, so
 * that its tables at levels 0 to 2 have keys of their own.
 */
#define REGION(k)	((u64)(k) << 39)

static bool has(struct ptsel_wcache *wc, unsigned int level, unsigned int k)
{
	return ptsel_wc_lookup(wc, 1, level, REGION(k)) == &fake[k];
}

static void put(struct ptsel_wcache *wc, unsigned int walker,
		unsigned int level, unsigned int k)
{
	ptsel_wc_insert(wc, walker, 1, level, REGION(k), &fake[k]);
}

/* One walk of @walker down region @k: tables at levels 2, 1, 0. */
static void walk3(struct ptsel_wcache *wc, unsigned int walker, unsigned int k)
{
	put(wc, walker, 2, k);
	put(wc, walker, 1, k);
	put(wc, walker, 0, k);
}

static void wc_init_sizes(struct kunit *test)
{
	struct ptsel_wcache wc;

	KUNIT_EXPECT_EQ(test, ptsel_wc_bytes(0), (size_t)0);
	KUNIT_EXPECT_EQ(test, ptsel_wc_bytes(PTSEL_WC_MAX_ENTRIES + 1), (size_t)0);
	KUNIT_EXPECT_GE(test, ptsel_wc_bytes(3),
			3 * sizeof(struct ptsel_wc_entry));
	KUNIT_EXPECT_EQ(test, ptsel_wc_init(&wc, fake, 0, PTSEL_WC_LRU, false),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, ptsel_wc_init(&wc, fake, PTSEL_WC_MAX_ENTRIES + 1,
					    PTSEL_WC_CLOCK, false), -EINVAL);
}

/*
 * Someone else's entry, then one walk that fills three levels: with
 * tracking only its deepest table stays, without it all three do.
 * Nothing is evicted either way.
 */
static struct ptsel_wcache *one_walk(struct kunit *test, bool tracking)
{
	struct ptsel_wcache *wc = wc_setup(test, 4, PTSEL_WC_LRU, tracking);

	put(wc, UNTRACKED, 0, 7);
	ptsel_wc_walk_begin(wc, 0);
	walk3(wc, 0, 1);
	KUNIT_EXPECT_TRUE(test, has(wc, 0, 1));
	KUNIT_EXPECT_EQ(test, has(wc, 1, 1), !tracking);
	KUNIT_EXPECT_EQ(test, has(wc, 2, 1), !tracking);
	KUNIT_EXPECT_TRUE(test, has(wc, 0, 7));
	KUNIT_EXPECT_EQ(test, wc->stats.inserts, 4ULL);
	KUNIT_EXPECT_EQ(test, wc->stats.overrides, tracking ? 2ULL : 0ULL);
	KUNIT_EXPECT_EQ(test, wc->stats.evictions, 0ULL);
	return wc;
}

static void wc_tracking(struct kunit *test)
{
	struct ptsel_wcache *wc;

	one_walk(test, false);
	wc = one_walk(test, true);

	/* Two interleaved searches each keep their own single entry. */
	ptsel_wc_walk_begin(wc, 2);
	ptsel_wc_walk_begin(wc, 5);
	put(wc, 2, 2, 2);
	put(wc, 5, 2, 5);
	put(wc, 2, 1, 2);
	put(wc, 5, 1, 5);
	put(wc, 2, 0, 2);
	put(wc, 5, 0, 5);
	KUNIT_EXPECT_TRUE(test, has(wc, 0, 2));
	KUNIT_EXPECT_TRUE(test, has(wc, 0, 5));
	KUNIT_EXPECT_FALSE(test, has(wc, 1, 2));
	KUNIT_EXPECT_FALSE(test, has(wc, 1, 5));
	/* Walker 0's search is still on: its entry was left alone. */
	KUNIT_EXPECT_TRUE(test, has(wc, 0, 1));
	KUNIT_EXPECT_TRUE(test, has(wc, 0, 7));
	KUNIT_EXPECT_EQ(test, wc->stats.overrides, 6ULL);
	KUNIT_EXPECT_EQ(test, wc->stats.evictions, 0ULL);

	/*
	 * walk_begin: walker 2's next insert takes the LRU entry (walker
	 * 5's, touched least recently), not the one it tracked so far.
	 */
	KUNIT_EXPECT_TRUE(test, has(wc, 0, 2));
	ptsel_wc_walk_begin(wc, 2);
	put(wc, 2, 0, 3);
	KUNIT_EXPECT_EQ(test, wc->stats.evictions, 1ULL);
	KUNIT_EXPECT_FALSE(test, has(wc, 0, 5));
	KUNIT_EXPECT_TRUE(test, has(wc, 0, 2));
	KUNIT_EXPECT_TRUE(test, has(wc, 0, 3));
	/* And from then on it overrides only that one. */
	put(wc, 2, 0, 4);
	KUNIT_EXPECT_FALSE(test, has(wc, 0, 3));
	KUNIT_EXPECT_TRUE(test, has(wc, 0, 4));
	KUNIT_EXPECT_TRUE(test, has(wc, 0, 2));
	KUNIT_EXPECT_EQ(test, wc->stats.evictions, 1ULL);
	KUNIT_EXPECT_EQ(test, wc->stats.overrides, 7ULL);
	/* A key another search holds is refreshed, not overridden. */
	put(wc, 5, 0, 2);
	KUNIT_EXPECT_TRUE(test, has(wc, 0, 2));
	KUNIT_EXPECT_TRUE(test, has(wc, 0, 4));
	KUNIT_EXPECT_EQ(test, wc->stats.overrides, 7ULL);
	KUNIT_EXPECT_EQ(test, wc->stats.evictions, 1ULL);
}

/* Untracked inserts of the level-0 tables of regions 0 to @n - 1. */
static void fill(struct ptsel_wcache *wc, unsigned int n)
{
	unsigned int k;

	for (k = 0; k < n; k++)
		put(wc, UNTRACKED, 0, k);
}

/* Exactly the level-0 tables of the regions in @mask are cached. */
static void expect_cached(struct kunit *test, struct ptsel_wcache *wc,
			  unsigned long mask)
{
	unsigned int k;

	for (k = 0; k < ARRAY_SIZE(fake); k++)
		KUNIT_EXPECT_EQ_MSG(test, has(wc, 0, k), !!(mask & BIT(k)),
				    "region %u", k);
}

static void wc_lru_order(struct kunit *test)
{
	struct ptsel_wcache *wc = wc_setup(test, 3, PTSEL_WC_LRU, false);

	fill(wc, 3);
	KUNIT_EXPECT_TRUE(test, has(wc, 0, 0));
	put(wc, UNTRACKED, 0, 3);		/* evicts 1 */
	KUNIT_EXPECT_TRUE(test, has(wc, 0, 2));
	put(wc, UNTRACKED, 0, 4);		/* evicts 0 */
	expect_cached(test, wc, BIT(2) | BIT(3) | BIT(4));
	KUNIT_EXPECT_EQ(test, wc->stats.evictions, 2ULL);
}

static void wc_clock_order(struct kunit *test)
{
	struct ptsel_wcache *wc = wc_setup(test, 3, PTSEL_WC_CLOCK, false);

	fill(wc, 3);
	/* Every bit set: the hand clears them all, evicts entry 0. */
	put(wc, UNTRACKED, 0, 3);
	/* Second chance for 1; 2 stays unreferenced. */
	KUNIT_EXPECT_TRUE(test, has(wc, 0, 1));
	/* Hand at 1: referenced, cleared; 2 is evicted. */
	put(wc, UNTRACKED, 0, 4);
	/* Hand at 0 (holds 3, inserted referenced): then 1, cleared above. */
	put(wc, UNTRACKED, 0, 5);
	expect_cached(test, wc, BIT(3) | BIT(4) | BIT(5));
	KUNIT_EXPECT_EQ(test, wc->stats.evictions, 3ULL);
}

static void wc_asids(struct kunit *test)
{
	struct ptsel_wcache *wc = wc_setup(test, 8, PTSEL_WC_CLOCK, true);

	ptsel_wc_insert(wc, 0, 1, 1, SZ_1G_ULL, &fake[1]);
	ptsel_wc_insert(wc, 1, 2, 1, SZ_1G_ULL, &fake[2]);
	ptsel_wc_insert(wc, 2, 3, 1, SZ_1G_ULL, &fake[3]);
	/* Same level and address, three address spaces. */
	KUNIT_EXPECT_PTR_EQ(test, ptsel_wc_lookup(wc, 1, 1, SZ_1G_ULL + 5),
			    (const u64 *)&fake[1]);
	KUNIT_EXPECT_PTR_EQ(test, ptsel_wc_lookup(wc, 2, 1, 2 * SZ_1G_ULL - 1),
			    (const u64 *)&fake[2]);
	KUNIT_EXPECT_NULL(test, ptsel_wc_lookup(wc, 4, 1, SZ_1G_ULL));
	/* The level is part of the key, and so is the prefix. */
	KUNIT_EXPECT_NULL(test, ptsel_wc_lookup(wc, 1, 0, SZ_1G_ULL));
	KUNIT_EXPECT_NULL(test, ptsel_wc_lookup(wc, 1, 1, 2 * SZ_1G_ULL));
	ptsel_wc_flush_asid(wc, 2);
	KUNIT_EXPECT_NULL(test, ptsel_wc_lookup(wc, 2, 1, SZ_1G_ULL));
	KUNIT_EXPECT_NOT_NULL(test, ptsel_wc_lookup(wc, 1, 1, SZ_1G_ULL));
	KUNIT_EXPECT_NOT_NULL(test, ptsel_wc_lookup(wc, 3, 1, SZ_1G_ULL));
	ptsel_wc_flush_all(wc);
	KUNIT_EXPECT_NULL(test, ptsel_wc_lookup(wc, 1, 1, SZ_1G_ULL));
	KUNIT_EXPECT_NULL(test, ptsel_wc_lookup(wc, 3, 1, SZ_1G_ULL));
	KUNIT_EXPECT_EQ(test, wc->stats.flushes, 2ULL);
	KUNIT_EXPECT_EQ(test, wc->gen, 2ULL);
	/* Walker 1's tracked entry went with the flush: no override. */
	ptsel_wc_insert(wc, 1, 2, 0, 0, &fake[0]);
	KUNIT_EXPECT_EQ(test, wc->stats.overrides, 0ULL);
}

/* Every address of @a, through @wc and without it: the same answer. */
static void expect_same(struct kunit *test, struct ptsel_radix *r,
			struct ptsel_wcache *wc, const u64 *a, unsigned int n)
{
	struct ptsel_xlate x, y;
	unsigned int i;
	int ret;

	for (i = 0; i < n; i++) {
		ret = ptsel_radix_translate(r, a[i], &x);
		KUNIT_EXPECT_EQ_MSG(test, ptsel_radix_translate_wc(r, wc, 9, i % 3,
								   a[i], &y),
				    ret, "addr 0x%llx", a[i]);
		if (ret)
			continue;
		KUNIT_EXPECT_EQ_MSG(test, y.target, x.target, "addr 0x%llx", a[i]);
		KUNIT_EXPECT_EQ_MSG(test, y.prot, x.prot, "addr 0x%llx", a[i]);
		KUNIT_EXPECT_EQ_MSG(test, y.level, x.level, "addr 0x%llx", a[i]);
		KUNIT_EXPECT_LE_MSG(test, y.mem_refs, x.mem_refs, "addr 0x%llx", a[i]);
	}
}

static void wc_translate(struct kunit *test)
{
	static const enum ptsel_wc_policy pol[2] = { PTSEL_WC_LRU, PTSEL_WC_CLOCK };
	const u64 b = 512 * SZ_1G_ULL;	/* a level-3 boundary */
	const u64 a[] = {
		b - SZ_4K_ULL, b, b + 123, b + SZ_2M_ULL + 7, b + 5 * SZ_2M_ULL,
		b + SZ_1G_ULL + 3, b + 2 * SZ_1G_ULL + SZ_2M_ULL + 9,
		b + 2 * SZ_1G_ULL + 3 * SZ_4K_ULL, b + 3 * SZ_1G_ULL - 1,
		b + 7 * SZ_1G_ULL, 1ULL << 48,
	};
	unsigned int p, t, round;

	for (p = 0; p < 2; p++) {
		for (t = 0; t < 2; t++) {
			struct radix_fixture *f = radix_setup(test, 4);
			struct ptsel_radix *r = &f->r;
			struct ptsel_wcache *wc = wc_setup(test, 3, pol[p], t);

			/* A 4K page, 2M leaves, a 1G leaf, 8M of 4K leaves. */
			KUNIT_ASSERT_EQ(test, ptsel_radix_map(r, b - SZ_4K_ULL,
							      SZ_1G_ULL, SZ_4K_ULL, RW), 0);
			KUNIT_ASSERT_EQ(test, ptsel_radix_map(r, b, 4 * SZ_1G_ULL,
							      2 * SZ_2M_ULL, RW), 0);
			KUNIT_ASSERT_EQ(test, ptsel_radix_map(r, b + SZ_1G_ULL,
							      8 * SZ_1G_ULL, SZ_1G_ULL,
							      PTSEL_PROT_READ), 0);
			KUNIT_ASSERT_EQ(test, ptsel_radix_map(r, b + 2 * SZ_1G_ULL,
							      16 * SZ_1G_ULL + SZ_4K_ULL,
							      4 * SZ_2M_ULL, RW), 0);
			for (round = 0; round < 3; round++)
				expect_same(test, r, wc, a, ARRAY_SIZE(a));
			KUNIT_EXPECT_GT(test, wc->stats.hits, 0ULL);

			/* Unmapping prunes tables: flush before they go. */
			KUNIT_ASSERT_EQ(test, ptsel_radix_unmap(r, b - SZ_4K_ULL,
								SZ_4K_ULL), 0);
			KUNIT_ASSERT_EQ(test, ptsel_radix_unmap(r, b + 2 * SZ_1G_ULL,
								4 * SZ_2M_ULL), 0);
			ptsel_wc_flush_asid(wc, 9);
			for (round = 0; round < 2; round++)
				expect_same(test, r, wc, a, ARRAY_SIZE(a));
			/* A split keeps cached tables valid; no flush needed. */
			KUNIT_ASSERT_EQ(test, ptsel_radix_unmap(r, b + SZ_1G_ULL +
								SZ_2M_ULL, SZ_4K_ULL), 0);
			expect_same(test, r, wc, a, ARRAY_SIZE(a));
			ptsel_wc_flush_asid(wc, 9);
			radix_teardown(test, f);
		}
	}
}

/* Translate @addr through @wc and expect @refs table entries read. */
static void expect_refs(struct kunit *test, struct ptsel_radix *r,
			struct ptsel_wcache *wc, u64 addr, u32 refs)
{
	struct ptsel_xlate x;

	KUNIT_ASSERT_EQ(test, ptsel_radix_translate_wc(r, wc, 1, 0, addr, &x), 0);
	KUNIT_EXPECT_EQ_MSG(test, x.mem_refs, refs, "addr 0x%llx", addr);
}

static void wc_mem_refs(struct kunit *test)
{
	struct radix_fixture *f = radix_setup(test, 5);
	struct ptsel_radix *r = &f->r;
	struct ptsel_wcache *wc = wc_setup(test, 16, PTSEL_WC_LRU, false);
	struct ptsel_wcache *tr = wc_setup(test, 16, PTSEL_WC_LRU, true);
	const u64 b = 1ULL << 48, l3 = 512 * SZ_1G_ULL;

	KUNIT_ASSERT_EQ(test, ptsel_radix_map(r, b, SZ_1G_ULL, SZ_4K_ULL, RW), 0);
	KUNIT_ASSERT_EQ(test, ptsel_radix_map(r, b + SZ_2M_ULL, SZ_1G_ULL,
					      SZ_4K_ULL, RW), 0);
	KUNIT_ASSERT_EQ(test, ptsel_radix_map(r, b + SZ_1G_ULL, SZ_1G_ULL,
					      SZ_4K_ULL, RW), 0);
	KUNIT_ASSERT_EQ(test, ptsel_radix_map(r, b + l3, SZ_1G_ULL,
					      SZ_4K_ULL, RW), 0);
	KUNIT_ASSERT_EQ(test, ptsel_radix_map(r, b + 2 * l3, 2 * SZ_1G_ULL,
					      SZ_1G_ULL, RW), 0);

	expect_refs(test, r, wc, b, 5);			/* cold: the full walk */
	expect_refs(test, r, wc, b + 8, 1);		/* level-0 hit */
	expect_refs(test, r, wc, b + SZ_2M_ULL, 2);	/* level-1 hit */
	expect_refs(test, r, wc, b + SZ_1G_ULL, 3);	/* level-2 hit */
	expect_refs(test, r, wc, b + l3, 4);		/* level-3 hit */
	expect_refs(test, r, wc, b + 2 * l3 + 5, 2);	/* 1G leaf below level 3 */
	expect_refs(test, r, wc, b + 2 * l3 + 5, 1);	/* level-2 hit, 1G leaf */
	KUNIT_EXPECT_EQ(test, wc->stats.misses, 4ULL + 0 + 1 + 2 + 3 + 3 + 2);

	/*
	 * Tracking: a search holds one tracked entry, its deepest table;
	 * the upper tables it passed go in cold, and stay while there is
	 * room.
	 */
	ptsel_wc_walk_begin(tr, 0);
	expect_refs(test, r, tr, b, 5);
	expect_refs(test, r, tr, b + 8, 1);
	expect_refs(test, r, tr, b + SZ_2M_ULL, 2);	/* cold level-1 hit */
	/* ... and the next table of the same search replaced the first. */
	expect_refs(test, r, tr, b, 2);
	KUNIT_EXPECT_EQ(test, tr->stats.overrides, 2ULL);
	KUNIT_EXPECT_EQ(test, tr->stats.evictions, 0ULL);
	ptsel_wc_flush_asid(wc, 1);
	ptsel_wc_flush_asid(tr, 1);
	radix_teardown(test, f);
}

/* As a walker translates: every translation is a search of its own. */
static void expect_walk(struct kunit *test, struct ptsel_radix *r,
			struct ptsel_wcache *wc, u64 addr, u32 refs)
{
	ptsel_wc_walk_begin(wc, 0);
	expect_refs(test, r, wc, addr, refs);
}

/*
 * As the walkers run it (adaptive): a level-0 table is cached on its
 * second miss, not its first; the next walk in it reads it from
 * @wc->last; first misses of other tables evict nothing; and a flush
 * empties @wc->last before the table it names is freed.
 */
static void wc_admission_and_last(struct kunit *test)
{
	struct radix_fixture *f = radix_setup(test, 4);
	struct ptsel_radix *r = &f->r;
	struct ptsel_wcache *wc = wc_setup(test, 8, PTSEL_WC_CLOCK, true);
	const u64 a = 5 * SZ_1G_ULL, o = 6 * SZ_1G_ULL;
	struct ptsel_xlate x;
	unsigned int i;

	wc->sampler.adaptive = true;
	KUNIT_ASSERT_EQ(test, ptsel_radix_map(r, a, SZ_1G_ULL, 4 * SZ_4K_ULL, RW), 0);
	for (i = 0; i < 100; i++)
		KUNIT_ASSERT_EQ(test, ptsel_radix_map(r, o + i * SZ_2M_ULL, SZ_1G_ULL,
						      SZ_4K_ULL, RW), 0);
	expect_walk(test, r, wc, a, 4);
	KUNIT_EXPECT_EQ(test, wc->stats.refused, 1ULL);
	KUNIT_EXPECT_EQ(test, wc->stats.inserts, 0ULL);
	expect_walk(test, r, wc, a + SZ_4K_ULL, 4);	/* admitted: filled */
	KUNIT_EXPECT_EQ(test, wc->stats.inserts, 3ULL);
	expect_walk(test, r, wc, a + 2 * SZ_4K_ULL, 1);
	KUNIT_EXPECT_EQ(test, wc->stats.last_hits, 1ULL);
	for (i = 0; i < 100; i++)
		expect_walk(test, r, wc, o + i * SZ_2M_ULL, 4);
	KUNIT_EXPECT_EQ(test, wc->stats.refused, 101ULL);
	KUNIT_EXPECT_EQ(test, wc->stats.inserts, 3ULL);
	KUNIT_EXPECT_EQ(test, wc->stats.evictions, 0ULL);
	expect_walk(test, r, wc, a + 3 * SZ_4K_ULL, 1);
	KUNIT_EXPECT_EQ(test, wc->stats.last_hits, 2ULL);
	/*
	 * Dropping every entry drops @wc->last and the recent misses too:
	 * the table is refused, then filled, then in @wc->last again.
	 */
	ptsel_wc_flush_all(wc);
	expect_walk(test, r, wc, a + 3 * SZ_4K_ULL, 4);
	KUNIT_EXPECT_EQ(test, wc->stats.refused, 102ULL);
	expect_walk(test, r, wc, a + 3 * SZ_4K_ULL, 4);
	KUNIT_EXPECT_EQ(test, wc->stats.last_hits, 2ULL);
	expect_walk(test, r, wc, a + 3 * SZ_4K_ULL, 1);
	KUNIT_EXPECT_EQ(test, wc->stats.last_hits, 3ULL);

	/* The unmap frees a's level-0 table: the flush must forget it. */
	KUNIT_ASSERT_EQ(test, ptsel_radix_unmap(r, a, 4 * SZ_4K_ULL), 0);
	ptsel_wc_flush_asid(wc, 1);
	ptsel_wc_walk_begin(wc, 0);
	KUNIT_EXPECT_EQ(test, ptsel_radix_translate_wc(r, wc, 1, 0, a, &x), -ENOENT);
	KUNIT_EXPECT_EQ(test, wc->stats.last_hits, 3ULL);
	ptsel_wc_flush_asid(wc, 1);
	radix_teardown(test, f);
}

/*
 * A sparse sequential scan after a trace without locality, as the
 * walker's benchmark makes them: 64 walks per level-0 table, fewer than
 * the walks between two samples of a bypassed cache. The scan must
 * bring the cache back, most of its walks hitting, not stay bypassed.
 */
static void wc_stream_ends_bypass(struct kunit *test)
{
	struct radix_fixture *f = radix_setup(test, 4);
	struct ptsel_radix *r = &f->r;
	struct ptsel_wcache *wc = wc_setup(test, 64, PTSEL_WC_CLOCK, true);
	const unsigned int n = 64 * PTSEL_SAMPLER_WINDOW, pages = 1024 * 64;
	u64 hits0, bypassed0, hits, bypassed;
	struct rnd_state rnd;
	struct ptsel_xlate x;
	unsigned int i;

	wc->sampler.adaptive = true;
	prandom_seed_state(&rnd, 5);
	/* 1024 level-0 tables of 4K leaves (the target is not 2M aligned). */
	KUNIT_ASSERT_EQ(test, ptsel_radix_map(r, 0, SZ_1G_ULL + SZ_4K_ULL,
					      1024 * SZ_2M_ULL, RW), 0);
	for (i = 0; i < n; i++) {
		u64 a = (u64)prandom_u32_state(&rnd) % pages * 8 * SZ_4K_ULL;

		ptsel_wc_walk_begin(wc, 0);
		KUNIT_ASSERT_EQ(test, ptsel_radix_translate_wc(r, wc, 1, 0, a, &x), 0);
	}
	hits0 = wc->stats.hits + wc->stats.last_hits;
	bypassed0 = ptsel_wc_bypassed(wc);
	KUNIT_ASSERT_GT(test, bypassed0, (u64)n / 2);
	for (i = 0; i < n; i++) {
		u64 a = (u64)(i % pages) * 8 * SZ_4K_ULL;

		ptsel_wc_walk_begin(wc, 0);
		KUNIT_ASSERT_EQ(test, ptsel_radix_translate_wc(r, wc, 1, 0, a, &x), 0);
		KUNIT_ASSERT_EQ(test, x.target, SZ_1G_ULL + SZ_4K_ULL + a);
	}
	hits = wc->stats.hits + wc->stats.last_hits - hits0;
	bypassed = ptsel_wc_bypassed(wc) - bypassed0;
	KUNIT_EXPECT_GT_MSG(test, hits, (u64)n / 2, "%llu bypassed", bypassed);
	ptsel_wc_flush_asid(wc, 1);
	radix_teardown(test, f);
}

static struct kunit_case ptsel_wcache_cases[] = {
	KUNIT_CASE(wc_init_sizes),
	KUNIT_CASE(wc_tracking),
	KUNIT_CASE(wc_lru_order),
	KUNIT_CASE(wc_clock_order),
	KUNIT_CASE(wc_asids),
	KUNIT_CASE(wc_translate),
	KUNIT_CASE(wc_mem_refs),
	KUNIT_CASE(wc_admission_and_last),
	KUNIT_CASE(wc_stream_ends_bypass),
	{}
};

static struct kunit_suite ptsel_wcache_suite = {
	.name = "ptsel_wcache",
	.test_cases = ptsel_wcache_cases,
};

kunit_test_suites(&ptsel_wcache_suite);

MODULE_DESCRIPTION("KUnit tests for the ptsel walk cache");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(PTSEL);
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
