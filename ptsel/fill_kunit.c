// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite: the fill-mask test (fill_model.c) on the module's
 * partitions and walkers: a leaf invalidation visits only the walkers
 * whose TLB may hold the leaf, and none keeps a stale translation. The
 * userspace test runs the same operations with ptsel_fill -s SEED.
 */
#include <kunit/test.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "fill_model.h"

#define FILL_OPS	20000

static void fill_directed(struct kunit *test, u32 format)
{
	struct fm *m = kunit_kzalloc(test, sizeof(*m), GFP_KERNEL);
	const char *why;

	KUNIT_ASSERT_NOT_NULL(test, m);
	why = fm_directed(m, format);
	KUNIT_EXPECT_TRUE_MSG(test, !why, "%s", why ?: "");
}

static void fill_random(struct kunit *test, u32 format)
{
	struct fm *m = kunit_kzalloc(test, sizeof(*m), GFP_KERNEL);
	u64 seed = get_random_u32() ?: 1, s = seed * 2 + 1;
	unsigned long op;

	KUNIT_ASSERT_NOT_NULL(test, m);
	KUNIT_ASSERT_EQ(test, fm_init(m, format), 0);
	for (op = 0; op < FILL_OPS && fm_step(m, &s); op++)
		if (!(op % 1024))
			cond_resched();
	if (!m->failed)
		fm_check_all(m);
	kunit_info(test, "seed %llu: %lu checks, %lu exchanges, walkers visited %lu, skipped %lu\n",
		   seed, m->checks, m->exchanges, m->visited, m->skipped);
	KUNIT_EXPECT_FALSE_MSG(test, m->failed, "%s (reproduce: ptsel_fill -s %llu)",
			       m->msg, seed);
	KUNIT_EXPECT_GT(test, m->skipped, 0UL);
	KUNIT_EXPECT_GT(test, m->visited, 0UL);
	fm_fini(m);
}

static void directed_radix(struct kunit *test)
{
	fill_directed(test, PTSEL_FORMAT_RADIX);
}

static void directed_hash(struct kunit *test)
{
	fill_directed(test, PTSEL_FORMAT_HASH);
}

static void random_radix(struct kunit *test)
{
	fill_random(test, PTSEL_FORMAT_RADIX);
}

static void random_hash(struct kunit *test)
{
	fill_random(test, PTSEL_FORMAT_HASH);
}

static struct kunit_case ptsel_fill_cases[] = {
	KUNIT_CASE(directed_radix),
	KUNIT_CASE(directed_hash),
	KUNIT_CASE(random_radix),
	KUNIT_CASE(random_hash),
	{}
};

static struct kunit_suite ptsel_fill_suite = {
	.name = "ptsel_fill",
	.test_cases = ptsel_fill_cases,
};

kunit_test_suites(&ptsel_fill_suite);

MODULE_DESCRIPTION("KUnit test of ptsel's targeted leaf invalidation");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(PTSEL);
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
