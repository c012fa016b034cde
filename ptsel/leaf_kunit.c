// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for ptsel's per-leaf software state, the one-leaf
 * compare-and-exchange (both formats, on huge leaves too) and the
 * partition-level leaf iteration, the accessed/dirty bits, the exchange
 * without the partition's mutex (refused while an update runs); walkers must
 * forget an exchanged leaf, cache none in a software state (so that an
 * exchange from one invalidates nothing), and a change of target must be
 * reported as a move.
 */
#include <kunit/test.h>
#include <linux/err.h>
#include <linux/module.h>
#include <linux/ptsel.h>

#include <memvirt/ptsel.h>

#include "ptsel_core.h"
#include "ptsel_internal.h"

#define SZ_4K_ULL	(1ULL << 12)
#define SZ_2M_ULL	(1ULL << 21)
#define T0		(1ULL << 32)
#define RW		(PTSEL_PROT_READ | PTSEL_PROT_WRITE)

static struct ptsel_partition *new_part(struct kunit *test, u32 format)
{
	struct ptsel_partition *p = ptsel_partition_create(format);

	KUNIT_ASSERT_FALSE(test, IS_ERR(p));
	return p;
}

static void exchange(struct kunit *test, u32 format)
{
	struct ptsel_partition *p = new_part(test, format);
	struct ptsel_walker *w = ptsel_walker_create();
	struct ptsel_xlate x;
	u64 gen = 0, seen = 0;

	KUNIT_ASSERT_FALSE(test, IS_ERR(w));
	ptsel_walker_switch(w, p);
	KUNIT_ASSERT_EQ(test, ptsel_partition_map(p, 0, T0, SZ_2M_ULL, RW), 0);
	/* The walker caches the huge leaf, state 0. */
	KUNIT_EXPECT_EQ(test, ptsel_walker_translate(w, SZ_4K_ULL, &x), 0);
	KUNIT_EXPECT_EQ(test, ptsel_sw(x.prot), 0U);
	KUNIT_EXPECT_EQ(test, x.level, 1U);

	/* Wrong expectations change nothing. */
	KUNIT_EXPECT_EQ(test, ptsel_partition_leaf_cmpxchg(p, SZ_4K_ULL, T0, 0,
							   T0, 1, NULL), -EAGAIN);
	KUNIT_EXPECT_EQ(test, ptsel_partition_leaf_cmpxchg(p, SZ_4K_ULL,
							   T0 + SZ_4K_ULL, 2,
							   T0, 1, NULL), -EAGAIN);
	KUNIT_EXPECT_EQ(test, ptsel_partition_leaf_cmpxchg(p, SZ_2M_ULL, 0, 0,
							   0, 1, NULL), -ENOENT);
	KUNIT_EXPECT_EQ(test, ptsel_partition_leaf_cmpxchg(p, SZ_4K_ULL, T0, 0,
							   T0, PTSEL_SW_MAX + 1,
							   NULL), -EINVAL);

	/* A state change: split, visible through the walker at once. */
	KUNIT_EXPECT_EQ(test, ptsel_partition_leaf_cmpxchg(p, SZ_4K_ULL,
							   T0 + SZ_4K_ULL, 0,
							   T0 + SZ_4K_ULL, 1,
							   &gen), 0);
	KUNIT_EXPECT_EQ(test, gen, 0ULL);
	KUNIT_EXPECT_EQ(test, ptsel_walker_translate(w, SZ_4K_ULL, &x), 0);
	KUNIT_EXPECT_EQ(test, ptsel_sw(x.prot), 1U);
	KUNIT_EXPECT_EQ(test, x.prot & PTSEL_PROT_MASK, RW);
	KUNIT_EXPECT_EQ(test, ptsel_walker_translate(w, 2 * SZ_4K_ULL, &x), 0);
	KUNIT_EXPECT_EQ(test, ptsel_sw(x.prot), 0U);

	/* Protection changes keep the state. */
	KUNIT_EXPECT_EQ(test, ptsel_partition_protect(p, 0, SZ_2M_ULL,
						      PTSEL_PROT_READ), 0);
	KUNIT_EXPECT_EQ(test, ptsel_partition_translate(p, SZ_4K_ULL, &x), 0);
	KUNIT_EXPECT_EQ(test, ptsel_sw(x.prot), 1U);

	/* A new target with the state back to 0: a move with a generation. */
	KUNIT_EXPECT_EQ(test, ptsel_partition_leaf_cmpxchg(p, SZ_4K_ULL,
							   T0 + SZ_4K_ULL, 1,
							   5 * SZ_4K_ULL, 0,
							   &gen), 0);
	KUNIT_EXPECT_EQ(test, gen, 1ULL);
	KUNIT_EXPECT_EQ(test, ptsel_walker_translate(w, SZ_4K_ULL, &x), 0);
	KUNIT_EXPECT_EQ(test, x.target, 5 * SZ_4K_ULL);
	KUNIT_EXPECT_EQ(test, ptsel_sw(x.prot), 0U);
	KUNIT_EXPECT_EQ(test, ptsel_partition_lookup_update(p, SZ_4K_ULL, &seen,
							    &x), 1);
	KUNIT_EXPECT_EQ(test, seen, 1ULL);
	KUNIT_EXPECT_EQ(test, ptsel_partition_lookup_update(p, SZ_4K_ULL, &seen,
							    &x), 0);

	ptsel_walker_destroy(w);
	ptsel_partition_put(p);
}

static void exchange_radix(struct kunit *test)
{
	exchange(test, PTSEL_FORMAT_RADIX);
}

static void exchange_hash(struct kunit *test)
{
	exchange(test, PTSEL_FORMAT_HASH);
}

struct count {
	u64 pages, marked;
};

static int count_leaf(void *priv, u64 addr, u64 target, u64 size, u32 prot)
{
	struct count *c = priv;

	c->pages += size / SZ_4K_ULL;
	if (ptsel_sw(prot) == 2)
		c->marked += size / SZ_4K_ULL;
	return 0;
}

static int stop_leaf(void *priv, u64 addr, u64 target, u64 size, u32 prot)
{
	return 7;
}

static void iterate_and_convert(struct kunit *test)
{
	struct ptsel_partition *p = new_part(test, PTSEL_FORMAT_RADIX);
	struct count c = {};
	struct ptsel_xlate x;
	u64 a;

	KUNIT_ASSERT_EQ(test, ptsel_partition_set_region(p, 0, SZ_2M_ULL,
							 PTSEL_FORMAT_RADIX,
							 NULL), 0);
	KUNIT_ASSERT_EQ(test, ptsel_partition_map(p, 0, T0, 16 * SZ_4K_ULL,
						  RW), 0);
	KUNIT_ASSERT_EQ(test, ptsel_partition_map(p, SZ_2M_ULL, 2 * T0,
						  SZ_2M_ULL, RW), 0);
	for (a = 0; a < 16 * SZ_4K_ULL; a += 2 * SZ_4K_ULL)
		KUNIT_EXPECT_EQ(test, ptsel_partition_leaf_cmpxchg(p, a, T0 + a,
								   0, T0 + a,
								   2, NULL), 0);
	KUNIT_EXPECT_EQ(test, ptsel_partition_leaves(p, 0, 2 * SZ_2M_ULL,
							    count_leaf, &c), 0);
	KUNIT_EXPECT_EQ(test, c.pages, 16ULL + 512);
	KUNIT_EXPECT_EQ(test, c.marked, 8ULL);
	KUNIT_EXPECT_EQ(test, ptsel_partition_leaves(p, 0, SZ_2M_ULL,
							    stop_leaf, NULL), 7);
	KUNIT_EXPECT_EQ(test, ptsel_partition_leaves(p, 1, 1, count_leaf,
							    &c), -EINVAL);

	/* The states survive a conversion to the hashed format and back. */
	KUNIT_EXPECT_EQ(test, ptsel_partition_convert(p, 0, SZ_2M_ULL,
						      PTSEL_FORMAT_HASH, NULL), 0);
	KUNIT_EXPECT_EQ(test, ptsel_partition_translate(p, 2 * SZ_4K_ULL, &x), 0);
	KUNIT_EXPECT_EQ(test, ptsel_sw(x.prot), 2U);
	KUNIT_EXPECT_EQ(test, ptsel_partition_translate(p, 3 * SZ_4K_ULL, &x), 0);
	KUNIT_EXPECT_EQ(test, ptsel_sw(x.prot), 0U);
	KUNIT_EXPECT_EQ(test, ptsel_partition_convert(p, 0, SZ_2M_ULL,
						      PTSEL_FORMAT_RADIX, NULL), 0);
	memset(&c, 0, sizeof(c));
	KUNIT_EXPECT_EQ(test, ptsel_partition_leaves(p, 0, SZ_2M_ULL,
							    count_leaf, &c), 0);
	KUNIT_EXPECT_EQ(test, c.marked, 8ULL);
	/* A user's map may not set software bits. */
	KUNIT_EXPECT_EQ(test, ptsel_partition_map(p, 64 * SZ_4K_ULL, T0,
						  SZ_4K_ULL,
						  RW | PTSEL_SW_MASK), -EINVAL);
	ptsel_partition_put(p);
}

/* A/D bits: set by a "device", tested and cleared by the owner. */
static void accessed_dirty(struct kunit *test, u32 format)
{
	struct ptsel_partition *p = new_part(test, format);
	struct ptsel_walker *w = ptsel_walker_create();
	struct ptsel_xlate x;
	u32 prot = 0;

	KUNIT_ASSERT_FALSE(test, IS_ERR(w));
	ptsel_walker_switch(w, p);
	KUNIT_ASSERT_EQ(test, ptsel_partition_map(p, 0, T0, SZ_2M_ULL, RW), 0);
	KUNIT_EXPECT_EQ(test, ptsel_walker_translate(w, SZ_4K_ULL, &x), 0);
	KUNIT_EXPECT_EQ(test, x.prot & PTSEL_AD_MASK, 0U);
	/* Only A/D bits, and only for the target the caller translated. */
	KUNIT_EXPECT_EQ(test, ptsel_partition_leaf_ad(p, SZ_4K_ULL, T0 + SZ_4K_ULL,
						      PTSEL_SW_MASK, 0, NULL), -EINVAL);
	KUNIT_EXPECT_EQ(test, ptsel_partition_leaf_ad(p, SZ_4K_ULL, T0,
						      PTSEL_LEAF_DIRTY, 0, NULL),
			-EAGAIN);
	KUNIT_EXPECT_EQ(test, ptsel_partition_leaf_ad(p, SZ_2M_ULL, T0, 0, 0, NULL),
			-ENOENT);
	/* A write: the huge leaf splits, the walker forgets the page. */
	KUNIT_EXPECT_EQ(test, ptsel_partition_leaf_ad(p, SZ_4K_ULL, T0 + SZ_4K_ULL,
						      PTSEL_AD_MASK, 0, NULL), 0);
	KUNIT_EXPECT_EQ(test, ptsel_walker_translate(w, SZ_4K_ULL, &x), 0);
	KUNIT_EXPECT_EQ(test, x.prot & PTSEL_AD_MASK, PTSEL_AD_MASK);
	KUNIT_EXPECT_EQ(test, x.level, 0U);
	KUNIT_EXPECT_EQ(test, ptsel_walker_translate(w, 2 * SZ_4K_ULL, &x), 0);
	KUNIT_EXPECT_EQ(test, x.prot & PTSEL_AD_MASK, 0U);
	/* A migration state and a move keep them. */
	KUNIT_EXPECT_EQ(test, ptsel_partition_leaf_cmpxchg(p, SZ_4K_ULL,
							   T0 + SZ_4K_ULL, 0,
							   SZ_2M_ULL, 1, NULL), 0);
	KUNIT_EXPECT_EQ(test, ptsel_walker_translate(w, SZ_4K_ULL, &x), 0);
	KUNIT_EXPECT_EQ(test, x.prot & PTSEL_AD_MASK, PTSEL_AD_MASK);
	KUNIT_EXPECT_EQ(test, ptsel_sw(x.prot), 1U);
	/* Test and clear dirty: the old bits come back, the walker forgets. */
	KUNIT_EXPECT_EQ(test, ptsel_partition_leaf_ad(p, SZ_4K_ULL, SZ_2M_ULL, 0,
						      PTSEL_LEAF_DIRTY, &prot), 0);
	KUNIT_EXPECT_EQ(test, prot & PTSEL_AD_MASK, PTSEL_AD_MASK);
	KUNIT_EXPECT_EQ(test, ptsel_walker_translate(w, SZ_4K_ULL, &x), 0);
	KUNIT_EXPECT_EQ(test, x.prot & PTSEL_AD_MASK, PTSEL_LEAF_ACCESSED);
	KUNIT_EXPECT_EQ(test, ptsel_sw(x.prot), 1U);
	/* A user's map may not set them. */
	KUNIT_EXPECT_EQ(test, ptsel_partition_map(p, 64 * SZ_2M_ULL, T0, SZ_4K_ULL,
						  RW | PTSEL_LEAF_DIRTY), -EINVAL);
	ptsel_walker_destroy(w);
	ptsel_partition_put(p);
}

static void accessed_dirty_radix(struct kunit *test)
{
	accessed_dirty(test, PTSEL_FORMAT_RADIX);
}

static void accessed_dirty_hash(struct kunit *test)
{
	accessed_dirty(test, PTSEL_FORMAT_HASH);
}

/* Called under the partition's update lock: its exchange gate is closed. */
static int try_in_iter(void *priv, u64 addr, u64 target, u64 size, u32 prot)
{
	return ptsel_partition_leaf_try_cmpxchg(priv, addr, target,
						ptsel_sw(prot), target, 3, NULL);
}

/* The exchange without the partition's mutex. */
static void try_exchange(struct kunit *test, u32 format)
{
	struct ptsel_partition *p = new_part(test, format);
	struct ptsel_walker *w = ptsel_walker_create();
	const u64 a = SZ_4K_ULL, t = T0 + SZ_4K_ULL;
	struct ptsel_xlate x;
	u64 gen = 0, seen = 0, flush_gen;

	KUNIT_ASSERT_FALSE(test, IS_ERR(w));
	ptsel_walker_switch(w, p);
	KUNIT_ASSERT_EQ(test, ptsel_partition_map(p, 0, T0, SZ_2M_ULL, RW), 0);
	/* A huge leaf: compared, never split. */
	KUNIT_EXPECT_EQ(test, ptsel_partition_leaf_try_cmpxchg(p, a, t, 0, t, 1,
							       NULL), -EBUSY);
	KUNIT_EXPECT_EQ(test, ptsel_partition_leaf_try_cmpxchg(p, a, T0, 0, t, 1,
							       NULL), -EAGAIN);
	KUNIT_EXPECT_EQ(test, ptsel_partition_translate(p, a, &x), 0);
	KUNIT_EXPECT_EQ(test, x.level, 1U);
	KUNIT_EXPECT_EQ(test, ptsel_partition_leaf_try_cmpxchg(p, SZ_2M_ULL, 0, 0,
							       0, 1, NULL), -ENOENT);
	KUNIT_EXPECT_EQ(test, ptsel_partition_leaf_try_cmpxchg(p, a, t, 0, t,
							       PTSEL_SW_MAX + 1,
							       NULL), -EINVAL);
	/* The locked exchange splits; then a 4K leaf changes without it. */
	KUNIT_EXPECT_EQ(test, ptsel_partition_leaf_cmpxchg(p, a, t, 0, t, 1,
							   NULL), 0);
	KUNIT_EXPECT_EQ(test, ptsel_walker_translate(w, a, &x), 0);
	KUNIT_EXPECT_EQ(test, ptsel_sw(x.prot), 1U);
	/* A leaf in a software state is not cached: walked again. */
	KUNIT_EXPECT_EQ(test, ptsel_walker_translate(w, a, &x), 0);
	KUNIT_EXPECT_NE(test, x.mem_refs, 0U);
	flush_gen = p->flush_gen;
	KUNIT_EXPECT_EQ(test, ptsel_partition_leaf_try_cmpxchg(p, a, t, 1, t, 2,
							       &gen), 0);
	KUNIT_EXPECT_EQ(test, gen, 0ULL);
	/* So an exchange from it invalidates no walker. */
	KUNIT_EXPECT_EQ(test, p->flush_gen, flush_gen);
	/* The walker (switched to @p) forgot the page. */
	KUNIT_EXPECT_EQ(test, ptsel_walker_translate(w, a, &x), 0);
	KUNIT_EXPECT_EQ(test, ptsel_sw(x.prot), 2U);
	KUNIT_EXPECT_EQ(test, x.prot & PTSEL_PROT_MASK, RW);
	KUNIT_EXPECT_EQ(test, ptsel_partition_leaf_try_cmpxchg(p, a, t, 1, t, 0,
							       NULL), -EAGAIN);
	/* A new target: a move, with a generation. */
	KUNIT_EXPECT_EQ(test, ptsel_partition_leaf_try_cmpxchg(p, a, t, 2,
							       5 * SZ_4K_ULL, 0,
							       &gen), 0);
	KUNIT_EXPECT_EQ(test, gen, 1ULL);
	KUNIT_EXPECT_EQ(test, ptsel_walker_translate(w, a, &x), 0);
	KUNIT_EXPECT_EQ(test, x.target, 5 * SZ_4K_ULL);
	/* Back in state 0: cached, the next translation is a TLB hit. */
	KUNIT_EXPECT_EQ(test, ptsel_walker_translate(w, a, &x), 0);
	KUNIT_EXPECT_EQ(test, x.mem_refs, 0U);
	KUNIT_EXPECT_EQ(test, x.target, 5 * SZ_4K_ULL);
	/* Into a state: the walkers forget the page. */
	flush_gen = p->flush_gen;
	KUNIT_EXPECT_EQ(test, ptsel_partition_leaf_try_cmpxchg(p, a,
							       5 * SZ_4K_ULL, 0,
							       5 * SZ_4K_ULL, 1,
							       NULL), 0);
	KUNIT_EXPECT_NE(test, p->flush_gen, flush_gen);
	KUNIT_EXPECT_EQ(test, ptsel_walker_translate(w, a, &x), 0);
	KUNIT_EXPECT_EQ(test, ptsel_sw(x.prot), 1U);
	KUNIT_EXPECT_EQ(test, ptsel_partition_leaf_try_cmpxchg(p, a,
							       5 * SZ_4K_ULL, 1,
							       5 * SZ_4K_ULL, 0,
							       NULL), 0);
	KUNIT_EXPECT_EQ(test, ptsel_partition_lookup_update(p, a, &seen, &x), 1);
	KUNIT_EXPECT_EQ(test, seen, 1ULL);
	/* While an update holds the partition: -EBUSY, nothing changes. */
	KUNIT_EXPECT_EQ(test, ptsel_partition_leaves(p, a, 2 * a, try_in_iter, p),
			-EBUSY);
	KUNIT_EXPECT_EQ(test, ptsel_partition_translate(p, a, &x), 0);
	KUNIT_EXPECT_EQ(test, ptsel_sw(x.prot), 0U);
	ptsel_walker_destroy(w);
	ptsel_partition_put(p);
}

static void try_exchange_radix(struct kunit *test)
{
	try_exchange(test, PTSEL_FORMAT_RADIX);
}

static void try_exchange_hash(struct kunit *test)
{
	try_exchange(test, PTSEL_FORMAT_HASH);
}

static struct kunit_case ptsel_leaf_cases[] = {
	KUNIT_CASE(exchange_radix),
	KUNIT_CASE(exchange_hash),
	KUNIT_CASE(iterate_and_convert),
	KUNIT_CASE(accessed_dirty_radix),
	KUNIT_CASE(accessed_dirty_hash),
	KUNIT_CASE(try_exchange_radix),
	KUNIT_CASE(try_exchange_hash),
	{}
};

static struct kunit_suite ptsel_leaf_suite = {
	.name = "ptsel_leaf",
	.test_cases = ptsel_leaf_cases,
};

kunit_test_suites(&ptsel_leaf_suite);

MODULE_DESCRIPTION("KUnit tests for ptsel's leaf state and exchange");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(PTSEL);
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
