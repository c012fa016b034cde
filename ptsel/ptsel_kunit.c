// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the ptsel core formats.
 */
#include <kunit/test.h>
#include <linux/gfp.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include <linux/ptsel.h>

#include "ptsel_core.h"
#include "ptsel_kunit.h"

/*
 * Check a lookup of @addr that returned @ret and @x: mapped to @target
 * at leaf @level, or, with @level < 0, not mapped. Shared by the formats.
 */
static void check_xlate(struct kunit *test, int ret, const struct ptsel_xlate *x,
			u64 addr, u64 target, int level)
{
	if (level < 0) {
		KUNIT_EXPECT_EQ_MSG(test, ret, -ENOENT, "addr 0x%llx", addr);
		return;
	}
	KUNIT_ASSERT_EQ_MSG(test, ret, 0, "addr 0x%llx", addr);
	KUNIT_EXPECT_EQ_MSG(test, x->target, target, "addr 0x%llx", addr);
	KUNIT_EXPECT_EQ_MSG(test, x->level, (u32)level, "addr 0x%llx", addr);
}

static void expect_xlate(struct kunit *test, struct ptsel_radix *r, u64 addr,
			 u64 target, int level)
{
	struct ptsel_xlate x;

	check_xlate(test, ptsel_radix_translate(r, addr, &x), &x, addr, target, level);
}

static void expect_unmapped(struct kunit *test, struct ptsel_radix *r, u64 addr)
{
	expect_xlate(test, r, addr, 0, -1);
}

static void radix_leaf_sizes(struct kunit *test)
{
	struct radix_fixture *f = radix_setup(test, 4);
	struct ptsel_radix *r = &f->r;

	/* 1G-aligned both sides: one 1G leaf, then a 2M and a 4K tail. */
	KUNIT_ASSERT_EQ(test, ptsel_radix_map(r, SZ_1G_ULL, 4 * SZ_1G_ULL,
					      SZ_1G_ULL + SZ_2M_ULL + SZ_4K_ULL,
					      RW), 0);
	expect_xlate(test, r, SZ_1G_ULL, 4 * SZ_1G_ULL, 2);
	expect_xlate(test, r, SZ_1G_ULL + 0x12345, 4 * SZ_1G_ULL + 0x12345, 2);
	expect_xlate(test, r, 2 * SZ_1G_ULL + 7, 5 * SZ_1G_ULL + 7, 1);
	expect_xlate(test, r, 2 * SZ_1G_ULL + SZ_2M_ULL + 0xfff,
		     5 * SZ_1G_ULL + SZ_2M_ULL + 0xfff, 0);
	expect_unmapped(test, r, 2 * SZ_1G_ULL + SZ_2M_ULL + SZ_4K_ULL);
	expect_unmapped(test, r, SZ_1G_ULL - 1);

	/* Target only 4K-aligned: 4K leaves even where addr is 2M-aligned. */
	KUNIT_ASSERT_EQ(test, ptsel_radix_map(r, 8 * SZ_1G_ULL, SZ_4K_ULL,
					      SZ_2M_ULL, PTSEL_PROT_READ), 0);
	expect_xlate(test, r, 8 * SZ_1G_ULL, SZ_4K_ULL, 0);
	expect_xlate(test, r, 8 * SZ_1G_ULL + SZ_2M_ULL - 1, SZ_2M_ULL + SZ_4K_ULL - 1, 0);
	radix_teardown(test, f);
}

static void radix_bad_input(struct kunit *test)
{
	struct radix_fixture *f = radix_setup(test, 4);
	struct ptsel_radix *r = &f->r;
	u64 lim = ptsel_radix_limit(r);
	struct ptsel_xlate x;

	KUNIT_EXPECT_EQ(test, lim, 1ULL << 48);
	KUNIT_EXPECT_EQ(test, ptsel_radix_map(r, 0x1000, 0, 0, RW), -EINVAL);
	KUNIT_EXPECT_EQ(test, ptsel_radix_map(r, 0x1001, 0, 0x1000, RW), -EINVAL);
	KUNIT_EXPECT_EQ(test, ptsel_radix_map(r, 0x1000, 0x10, 0x1000, RW), -EINVAL);
	KUNIT_EXPECT_EQ(test, ptsel_radix_map(r, 0x1000, 0, 0x1800, RW), -EINVAL);
	KUNIT_EXPECT_EQ(test, ptsel_radix_map(r, 0x1000, 0, 0x1000, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, ptsel_radix_map(r, 0x1000, 0, 0x1000, 0x100), -EINVAL);
	KUNIT_EXPECT_EQ(test, ptsel_radix_map(r, lim, 0, 0x1000, RW), -EINVAL);
	KUNIT_EXPECT_EQ(test, ptsel_radix_map(r, lim - 0x1000, 0, 0x2000, RW), -EINVAL);
	KUNIT_EXPECT_EQ(test, ptsel_radix_map(r, -0x1000ULL, 0, 0x2000, RW), -EINVAL);
	KUNIT_EXPECT_EQ(test, ptsel_radix_map(r, 0, -0x1000ULL, 0x2000, RW), -EINVAL);
	KUNIT_EXPECT_EQ(test, ptsel_radix_unmap(r, 0, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, ptsel_radix_unmap(r, 0x800, 0x1000), -EINVAL);
	KUNIT_EXPECT_EQ(test, ptsel_radix_unmap(r, lim - 0x1000, 0x2000), -EINVAL);
	KUNIT_EXPECT_EQ(test, ptsel_radix_translate(r, lim, &x), -EINVAL);
	KUNIT_EXPECT_EQ(test, r->nr_tables, 1UL);

	/* The very last page below the limit works, and so does its unmap. */
	KUNIT_ASSERT_EQ(test, ptsel_radix_map(r, lim - 0x1000, 0x5000, 0x1000, RW), 0);
	expect_xlate(test, r, lim - 1, 0x5fff, 0);
	KUNIT_EXPECT_EQ(test, ptsel_radix_unmap(r, lim - SZ_2M_ULL, SZ_2M_ULL), 0);
	expect_unmapped(test, r, lim - 1);
	KUNIT_EXPECT_EQ(test, r->nr_tables, 1UL);
	radix_teardown(test, f);
}

static void radix_overlap(struct kunit *test)
{
	struct radix_fixture *f = radix_setup(test, 4);
	struct ptsel_radix *r = &f->r;
	unsigned long tables;

	KUNIT_ASSERT_EQ(test, ptsel_radix_map(r, SZ_2M_ULL, 0, SZ_2M_ULL, RW), 0);
	tables = r->nr_tables;
	KUNIT_EXPECT_EQ(test, ptsel_radix_map(r, SZ_2M_ULL + SZ_4K_ULL, 0,
					      SZ_4K_ULL, RW), -EEXIST);
	KUNIT_EXPECT_EQ(test, ptsel_radix_map(r, 0, 0, 2 * SZ_2M_ULL, RW), -EEXIST);
	KUNIT_EXPECT_EQ(test, ptsel_radix_map(r, 2 * SZ_2M_ULL - SZ_4K_ULL, 0,
					      2 * SZ_4K_ULL, RW), -EEXIST);
	/* Failed maps left nothing behind, not even the head of the range. */
	expect_unmapped(test, r, 0);
	KUNIT_EXPECT_EQ(test, r->nr_tables, tables);
	expect_xlate(test, r, SZ_2M_ULL, 0, 1);
	/* Adjacent ranges are fine. */
	KUNIT_EXPECT_EQ(test, ptsel_radix_map(r, 2 * SZ_2M_ULL, SZ_1G_ULL,
					      SZ_4K_ULL, RW), 0);
	radix_teardown(test, f);
}

static void radix_split_and_free(struct kunit *test)
{
	struct radix_fixture *f = radix_setup(test, 4);
	struct ptsel_radix *r = &f->r;
	u64 hole = SZ_1G_ULL + 3 * SZ_2M_ULL + 5 * SZ_4K_ULL;

	KUNIT_ASSERT_EQ(test, ptsel_radix_map(r, SZ_1G_ULL, 2 * SZ_1G_ULL,
					      SZ_1G_ULL, RW), 0);
	KUNIT_EXPECT_EQ(test, r->nr_tables, 2UL);	/* root + PUD table */
	KUNIT_ASSERT_EQ(test, ptsel_radix_unmap(r, hole, SZ_4K_ULL), 0);
	KUNIT_EXPECT_EQ(test, r->nr_tables, 4UL);	/* + PMD + PTE tables */
	expect_unmapped(test, r, hole);
	expect_unmapped(test, r, hole + SZ_4K_ULL - 1);
	expect_xlate(test, r, hole - 1, 2 * SZ_1G_ULL + hole - SZ_1G_ULL - 1, 0);
	expect_xlate(test, r, hole + SZ_4K_ULL, 2 * SZ_1G_ULL + hole + SZ_4K_ULL - SZ_1G_ULL, 0);
	expect_xlate(test, r, SZ_1G_ULL, 2 * SZ_1G_ULL, 1);
	expect_xlate(test, r, 2 * SZ_1G_ULL - 1, 3 * SZ_1G_ULL - 1, 1);

	/* Unmapping the rest, with the hole inside, frees every table. */
	KUNIT_ASSERT_EQ(test, ptsel_radix_unmap(r, SZ_1G_ULL, SZ_1G_ULL), 0);
	expect_unmapped(test, r, SZ_1G_ULL);
	KUNIT_EXPECT_EQ(test, r->nr_tables, 1UL);
	KUNIT_EXPECT_EQ(test, f->mem.live, 1UL);
	radix_teardown(test, f);
}

static void radix_five_levels(struct kunit *test)
{
	struct radix_fixture *f = radix_setup(test, 5);
	struct ptsel_radix *r = &f->r;
	u64 high = 1ULL << 52;
	struct ptsel_xlate x;

	KUNIT_EXPECT_EQ(test, ptsel_radix_limit(r), 1ULL << 57);
	KUNIT_ASSERT_EQ(test, ptsel_radix_map(r, high, SZ_4K_ULL, SZ_4K_ULL, RW), 0);
	KUNIT_ASSERT_EQ(test, ptsel_radix_translate(r, high + 9, &x), 0);
	KUNIT_EXPECT_EQ(test, x.target, SZ_4K_ULL + 9);
	KUNIT_EXPECT_EQ(test, x.mem_refs, 5U);
	KUNIT_EXPECT_EQ(test, x.prot, (u32)RW);
	KUNIT_EXPECT_EQ(test, r->nr_tables, 5UL);
	radix_teardown(test, f);
	KUNIT_EXPECT_EQ(test, ptsel_radix_init(&f->r, 3, &test_ops, &f->mem),
			-EINVAL);
}

/* Every allocation of a map can fail; each failure must leave no trace. */
static void radix_map_alloc_failure(struct kunit *test)
{
	struct radix_fixture *f = radix_setup(test, 4);
	struct ptsel_radix *r = &f->r;
	/* Unaligned on purpose: 4K leaves over three PTE tables. */
	u64 addr = SZ_1G_ULL - SZ_2M_ULL - 8 * SZ_4K_ULL;
	u64 size = 2 * SZ_2M_ULL + 16 * SZ_4K_ULL;
	unsigned long tables;
	long n;

	KUNIT_ASSERT_EQ(test, ptsel_radix_map(r, 0, 0, SZ_4K_ULL, RW), 0);
	tables = r->nr_tables;
	for (n = 0; ; n++) {
		int ret;

		f->mem.fail_after = n;
		ret = ptsel_radix_map(r, addr, SZ_4K_ULL, size, RW);
		if (!ret)
			break;
		KUNIT_ASSERT_EQ(test, ret, -ENOMEM);
		KUNIT_EXPECT_EQ_MSG(test, r->nr_tables, tables, "fail at %ld", n);
		expect_unmapped(test, r, addr);
		expect_unmapped(test, r, addr + size - 1);
		expect_xlate(test, r, 0, 0, 0);
		KUNIT_ASSERT_LT(test, n, 16L);
	}
	KUNIT_EXPECT_GT(test, n, 0L);
	expect_xlate(test, r, addr + size - 1, SZ_4K_ULL + size - 1, 0);
	radix_teardown(test, f);
}

static void radix_split_alloc_failure(struct kunit *test)
{
	struct radix_fixture *f = radix_setup(test, 4);
	struct ptsel_radix *r = &f->r;
	u64 mid = SZ_1G_ULL + SZ_2M_ULL + SZ_4K_ULL;

	KUNIT_ASSERT_EQ(test, ptsel_radix_map(r, SZ_1G_ULL, 0, SZ_1G_ULL, RW), 0);
	/* Needs a PMD and a PTE table per boundary; fail each in turn. */
	f->mem.fail_after = 0;
	KUNIT_EXPECT_EQ(test, ptsel_radix_unmap(r, mid, SZ_4K_ULL), -ENOMEM);
	expect_xlate(test, r, mid, SZ_2M_ULL + SZ_4K_ULL, 2);
	f->mem.fail_after = 1;
	KUNIT_EXPECT_EQ(test, ptsel_radix_unmap(r, mid, SZ_4K_ULL), -ENOMEM);
	/* The PMD table that was filled is not published: still one 1G leaf. */
	expect_xlate(test, r, mid, SZ_2M_ULL + SZ_4K_ULL, 2);
	expect_xlate(test, r, SZ_1G_ULL, 0, 2);
	KUNIT_EXPECT_EQ(test, r->nr_tables, 2UL);
	f->mem.fail_after = -1;
	KUNIT_EXPECT_EQ(test, ptsel_radix_unmap(r, mid, SZ_4K_ULL), 0);
	expect_unmapped(test, r, mid);
	expect_xlate(test, r, mid - 1, SZ_2M_ULL + SZ_4K_ULL - 1, 0);
	radix_teardown(test, f);
}

/* Hashed format: page-aligned generations from vzalloc; @live counts them. */
static void *test_hash_alloc(void *priv, size_t bytes)
{
	struct test_mem *m = priv;
	void *t;

	if (!test_may_alloc(m))
		return NULL;
	t = vzalloc(bytes);
	if (t)
		m->live++;
	return t;
}

static void test_hash_free(void *priv, void *mem, size_t bytes)
{
	struct test_mem *m = priv;

	m->live--;
	vfree(mem);
}

static const struct ptsel_hash_ops test_hash_ops = {
	.alloc = test_hash_alloc,
	.free = test_hash_free,
};

struct hash_fixture {
	struct test_mem mem;
	struct ptsel_hash h;
};

static struct hash_fixture *hash_setup(struct kunit *test)
{
	struct hash_fixture *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, f);
	f->mem.fail_after = -1;
	KUNIT_ASSERT_EQ(test, ptsel_hash_init(&f->h, PTSEL_HASH_MIN_ORDER,
					      1ULL << 48, &test_hash_ops,
					      &f->mem), 0);
	return f;
}

static void hash_teardown(struct kunit *test, struct hash_fixture *f)
{
	ptsel_hash_destroy(&f->h);
	KUNIT_EXPECT_EQ(test, f->mem.live, 0UL);
}

static void expect_hxlate(struct kunit *test, struct ptsel_hash *h, u64 addr,
			  u64 target, int level)
{
	struct ptsel_xlate x;

	check_xlate(test, ptsel_hash_translate(h, addr, &x), &x, addr, target, level);
}

static void expect_hunmapped(struct kunit *test, struct ptsel_hash *h, u64 addr)
{
	expect_hxlate(test, h, addr, 0, -1);
}

static void hash_leaves_and_errors(struct kunit *test)
{
	struct hash_fixture *f = hash_setup(test);
	struct ptsel_hash *h = &f->h;
	struct ptsel_xlate x;

	KUNIT_ASSERT_EQ(test, ptsel_hash_map(h, SZ_1G_ULL, 4 * SZ_1G_ULL,
					     SZ_1G_ULL + SZ_2M_ULL + SZ_4K_ULL,
					     RW), 0);
	expect_hxlate(test, h, SZ_1G_ULL + 0x12345, 4 * SZ_1G_ULL + 0x12345, 2);
	expect_hxlate(test, h, 2 * SZ_1G_ULL + 7, 5 * SZ_1G_ULL + 7, 1);
	expect_hxlate(test, h, 2 * SZ_1G_ULL + SZ_2M_ULL + 1,
		      5 * SZ_1G_ULL + SZ_2M_ULL + 1, 0);
	expect_hunmapped(test, h, SZ_1G_ULL - 1);
	expect_hunmapped(test, h, 2 * SZ_1G_ULL + SZ_2M_ULL + SZ_4K_ULL);
	KUNIT_EXPECT_EQ(test, h->nr_entries, 3UL);

	/* The radix format's rules, refusal for refusal. */
	KUNIT_EXPECT_EQ(test, ptsel_hash_map(h, 0, 0, 0, RW), -EINVAL);
	KUNIT_EXPECT_EQ(test, ptsel_hash_map(h, 0x800, 0, SZ_4K_ULL, RW), -EINVAL);
	KUNIT_EXPECT_EQ(test, ptsel_hash_map(h, 0, 0, SZ_4K_ULL, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, ptsel_hash_map(h, (1ULL << 48) - SZ_4K_ULL, 0,
					     2 * SZ_4K_ULL, RW), -EINVAL);
	KUNIT_EXPECT_EQ(test, ptsel_hash_map(h, 2 * SZ_1G_ULL - SZ_4K_ULL, 0,
					     2 * SZ_4K_ULL, RW), -EEXIST);
	expect_hunmapped(test, h, 2 * SZ_1G_ULL + SZ_2M_ULL + SZ_4K_ULL);
	KUNIT_EXPECT_EQ(test, ptsel_hash_translate(h, 1ULL << 48, &x), -EINVAL);
	KUNIT_EXPECT_EQ(test, ptsel_hash_unmap(h, 0x800, SZ_4K_ULL), -EINVAL);
	hash_teardown(test, f);
}

static void hash_split(struct kunit *test)
{
	struct hash_fixture *f = hash_setup(test);
	struct ptsel_hash *h = &f->h;
	u64 hole = SZ_1G_ULL + 3 * SZ_2M_ULL + 5 * SZ_4K_ULL;

	KUNIT_ASSERT_EQ(test, ptsel_hash_map(h, SZ_1G_ULL, 2 * SZ_1G_ULL,
					     SZ_1G_ULL, RW), 0);
	KUNIT_ASSERT_EQ(test, ptsel_hash_unmap(h, hole, SZ_4K_ULL), 0);
	expect_hunmapped(test, h, hole);
	expect_hxlate(test, h, hole - 1, SZ_1G_ULL + hole - 1, 0);
	expect_hxlate(test, h, hole + SZ_4K_ULL, SZ_1G_ULL + hole + SZ_4K_ULL, 0);
	expect_hxlate(test, h, SZ_1G_ULL, 2 * SZ_1G_ULL, 1);
	/* 1G -> 511 2M + (2M -> 511 4K) */
	KUNIT_EXPECT_EQ(test, h->nr_entries, 511UL + 511UL);
	KUNIT_ASSERT_EQ(test, ptsel_hash_unmap(h, SZ_1G_ULL, SZ_1G_ULL), 0);
	KUNIT_EXPECT_EQ(test, h->nr_entries, 0UL);
	/* Emptied, the table went back to its smallest size. */
	KUNIT_EXPECT_EQ(test, h->tab->order, (unsigned int)PTSEL_HASH_MIN_ORDER);
	hash_teardown(test, f);
}

/* Growth that cannot get memory leaves the table as it was. */
static void hash_grow_failure(struct kunit *test)
{
	struct hash_fixture *f = hash_setup(test);
	struct ptsel_hash *h = &f->h;
	unsigned int order = h->tab->order;
	u64 n = (u64)PTSEL_HPTEG_SLOTS << order;	/* more than fits */

	f->mem.fail_after = 0;
	KUNIT_EXPECT_EQ(test, ptsel_hash_map(h, 0, SZ_4K_ULL, 2 * n * SZ_4K_ULL,
					     RW), -ENOMEM);
	KUNIT_EXPECT_EQ(test, h->nr_entries, 0UL);
	KUNIT_EXPECT_EQ(test, h->tab->order, order);
	expect_hunmapped(test, h, 0);
	f->mem.fail_after = -1;
	KUNIT_ASSERT_EQ(test, ptsel_hash_map(h, 0, SZ_4K_ULL, 2 * n * SZ_4K_ULL,
					     RW), 0);
	KUNIT_EXPECT_GT(test, h->tab->order, order);
	expect_hxlate(test, h, (2 * n - 1) * SZ_4K_ULL, 2 * n * SZ_4K_ULL, 0);

	/* A 2M leaf split that cannot grow the table changes nothing. */
	KUNIT_ASSERT_EQ(test, ptsel_hash_map(h, SZ_1G_ULL, 0, SZ_2M_ULL, RW), 0);
	/* 2n + 1 entries in 64 groups: the 512 of the split do not fit. */
	KUNIT_ASSERT_EQ(test, ptsel_hash_resize(h, 6), 0);
	KUNIT_ASSERT_GT(test, h->nr_entries + PTSEL_ENTRIES,
			(unsigned long)PTSEL_HPTEG_SLOTS << 6);
	f->mem.fail_after = 0;
	KUNIT_EXPECT_EQ(test, ptsel_hash_unmap(h, SZ_1G_ULL + SZ_4K_ULL,
					       SZ_4K_ULL), -ENOMEM);
	expect_hxlate(test, h, SZ_1G_ULL + SZ_4K_ULL, SZ_4K_ULL, 1);
	f->mem.fail_after = -1;
	hash_teardown(test, f);
}

static void hash_resize(struct kunit *test)
{
	struct hash_fixture *f = hash_setup(test);
	struct ptsel_hash *h = &f->h;
	unsigned int i;

	for (i = 0; i < 100; i++)
		KUNIT_ASSERT_EQ(test, ptsel_hash_map(h, i * SZ_2M_ULL,
						     i * SZ_4K_ULL, SZ_4K_ULL,
						     RW), 0);
	KUNIT_EXPECT_EQ(test, ptsel_hash_resize(h, 10), 0);
	KUNIT_EXPECT_EQ(test, h->tab->order, 10U);
	KUNIT_EXPECT_EQ(test, ptsel_hash_resize(h, PTSEL_HASH_MIN_ORDER - 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, ptsel_hash_resize(h, PTSEL_HASH_MAX_ORDER + 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, ptsel_hash_resize(h, PTSEL_HASH_MIN_ORDER + 1), 0);
	for (i = 0; i < 100; i++)
		expect_hxlate(test, h, i * SZ_2M_ULL + 9, i * SZ_4K_ULL + 9, 0);
	for (i = 100; i < 200; i++)
		KUNIT_ASSERT_EQ(test, ptsel_hash_map(h, i * SZ_2M_ULL,
						     i * SZ_4K_ULL, SZ_4K_ULL,
						     RW), 0);
	/* 200 entries do not fit in 128 slots. */
	KUNIT_EXPECT_EQ(test, ptsel_hash_resize(h, PTSEL_HASH_MIN_ORDER), -ENOSPC);
	for (i = 0; i < 200; i++)
		expect_hxlate(test, h, i * SZ_2M_ULL, i * SZ_4K_ULL, 0);
	hash_teardown(test, f);
}

/*
 * Average lines read by lookups of every mapped address of a hashed
 * table loaded to 75% with 4K leaves at scattered addresses, at a fixed
 * size: the home line layout keeps it at or below 1.3.
 */
static void hash_lines_at_75_percent(struct kunit *test)
{
	struct hash_fixture *f = hash_setup(test);
	struct ptsel_hash *h = &f->h;
	const unsigned int order = 10;
	unsigned long cap = (unsigned long)PTSEL_HPTEG_SLOTS << order;
	unsigned long i, n = cap * 3 / 4, refs = 0;
	struct ptsel_xlate x;

	KUNIT_ASSERT_EQ(test, ptsel_hash_resize(h, order), 0);
	KUNIT_EXPECT_EQ(test, (uintptr_t)h->tab->e % PTSEL_HLINE_BYTES, 0UL);
	/* One leaf alone sits in its home line; a miss reads all four. */
	KUNIT_ASSERT_EQ(test, ptsel_hash_map(h, SZ_1G_ULL, 0, SZ_4K_ULL, RW), 0);
	KUNIT_ASSERT_EQ(test, ptsel_hash_translate(h, SZ_1G_ULL, &x), 0);
	KUNIT_EXPECT_EQ(test, x.mem_refs, 1U);
	KUNIT_EXPECT_EQ(test, ptsel_hash_translate(h, 0, &x), -ENOENT);
	KUNIT_EXPECT_EQ(test, x.mem_refs, 4U);
	KUNIT_ASSERT_EQ(test, ptsel_hash_unmap(h, SZ_1G_ULL, SZ_4K_ULL), 0);
	KUNIT_ASSERT_EQ(test, ptsel_hash_resize(h, order), 0);

	/* Page i at a multiplicative scatter of i: all distinct. */
	for (i = 0; i < n; i++)
		KUNIT_ASSERT_EQ(test, ptsel_hash_map(h, ((i * 2654435761UL) & 0xffffff) *
						     SZ_4K_ULL, i * SZ_4K_ULL, SZ_4K_ULL,
						     RW), 0);
	KUNIT_ASSERT_EQ(test, h->tab->order, order);
	KUNIT_ASSERT_EQ(test, h->nr_entries, n);
	for (i = 0; i < n; i++) {
		u64 a = ((i * 2654435761UL) & 0xffffff) * SZ_4K_ULL;

		KUNIT_ASSERT_EQ(test, ptsel_hash_translate(h, a + 5, &x), 0);
		KUNIT_ASSERT_EQ(test, x.target, i * SZ_4K_ULL + 5);
		KUNIT_ASSERT_GE(test, x.mem_refs, 1U);
		KUNIT_ASSERT_LE(test, x.mem_refs, 4U);
		refs += x.mem_refs;
	}
	kunit_info(test, "%lu entries in %lu slots: %lu.%02lu lines per lookup\n",
		   n, cap, refs / n, refs * 100 / n % 100);
	KUNIT_EXPECT_LE(test, refs * 10, n * 13);
	hash_teardown(test, f);
}

/* Tests run on both formats through these. */
struct fmt_fixture {
	struct test_mem mem;
	bool hash;
	struct ptsel_radix r;
	struct ptsel_hash h;
	u64 limit;
};

static struct fmt_fixture *fmt_setup(struct kunit *test)
{
	struct fmt_fixture *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	const bool *hash = test->param_value;

	KUNIT_ASSERT_NOT_NULL(test, f);
	f->mem.fail_after = -1;
	f->hash = *hash;
	f->limit = 1ULL << 48;
	if (f->hash)
		KUNIT_ASSERT_EQ(test, ptsel_hash_init(&f->h, PTSEL_HASH_MIN_ORDER,
						      f->limit, &test_hash_ops,
						      &f->mem), 0);
	else
		KUNIT_ASSERT_EQ(test, ptsel_radix_init(&f->r, 4, &test_ops,
						       &f->mem), 0);
	return f;
}

static void fmt_teardown(struct kunit *test, struct fmt_fixture *f)
{
	if (f->hash)
		ptsel_hash_destroy(&f->h);
	else
		ptsel_radix_destroy(&f->r);
	KUNIT_EXPECT_EQ(test, f->mem.live, 0UL);
}

static int fmt_map(struct fmt_fixture *f, u64 addr, u64 target, u64 size,
		   u32 prot)
{
	if (f->hash)
		return ptsel_hash_map(&f->h, addr, target, size, prot);
	return ptsel_radix_map(&f->r, addr, target, size, prot);
}

static int fmt_protect(struct fmt_fixture *f, u64 addr, u64 size, u32 prot)
{
	if (f->hash)
		return ptsel_hash_protect(&f->h, addr, size, prot);
	return ptsel_radix_protect(&f->r, addr, size, prot);
}

static int fmt_split(struct fmt_fixture *f, u64 addr)
{
	if (f->hash)
		return ptsel_hash_split(&f->h, addr);
	return ptsel_radix_split(&f->r, addr);
}

static int fmt_leaves(struct fmt_fixture *f, u64 start, u64 end,
		      ptsel_leaf_fn fn, void *priv)
{
	if (f->hash)
		return ptsel_hash_walk_leaves(&f->h, start, end, fn, priv);
	return ptsel_radix_walk_leaves(&f->r, start, end, fn, priv);
}

static int fmt_translate(struct fmt_fixture *f, u64 addr, struct ptsel_xlate *x)
{
	if (f->hash)
		return ptsel_hash_translate(&f->h, addr, x);
	return ptsel_radix_translate(&f->r, addr, x);
}

#define ANY_LEVEL	(PTSEL_MAX_LEAF_LEVEL + 1)

/*
 * @addr translates to @target at leaf @level (any, with ANY_LEVEL) with
 * @prot; with @level < 0, it is not mapped.
 */
static void expect_fmt(struct kunit *test, struct fmt_fixture *f, u64 addr,
		       u64 target, int level, u32 prot)
{
	struct ptsel_xlate x;
	int ret = fmt_translate(f, addr, &x);

	if (level == ANY_LEVEL && !ret)
		level = x.level;
	check_xlate(test, ret, &x, addr, target, level);
	if (level >= 0 && !ret)
		KUNIT_EXPECT_EQ_MSG(test, x.prot, prot, "addr 0x%llx", addr);
}

/*
 * [1G, 2G) is one 1G leaf to 4G, [2G, 2G + 2M) a hole, [2G + 2M,
 * 2G + 4M) a 2M leaf to 8G, all RW. Protect a range from inside the
 * 1G leaf to inside the 2M one: both are split at the range ends.
 */
#define PR_START	(SZ_1G_ULL + 3 * SZ_2M_ULL + 5 * SZ_4K_ULL)
#define PR_END		(2 * SZ_1G_ULL + SZ_2M_ULL + 2 * SZ_4K_ULL)

static void protect_layout(struct kunit *test, struct fmt_fixture *f)
{
	KUNIT_ASSERT_EQ(test, fmt_map(f, SZ_1G_ULL, 4 * SZ_1G_ULL, SZ_1G_ULL, RW), 0);
	KUNIT_ASSERT_EQ(test, fmt_map(f, 2 * SZ_1G_ULL + SZ_2M_ULL, 8 * SZ_1G_ULL,
				      SZ_2M_ULL, RW), 0);
}

enum layout { WHOLE, SPLIT, ANY };

/* Leaf level @split or @whole as @l says, or any. */
static int lv(enum layout l, int split, int whole)
{
	return l == ANY ? ANY_LEVEL : l == SPLIT ? split : whole;
}

/* The translations of protect_layout(), with @prot from PR_START to PR_END. */
static void expect_protect_layout(struct kunit *test, struct fmt_fixture *f,
				  u32 prot, enum layout l)
{
	u64 t1 = 3 * SZ_1G_ULL, t2 = 6 * SZ_1G_ULL - SZ_2M_ULL;

	expect_fmt(test, f, SZ_1G_ULL, t1 + SZ_1G_ULL, lv(l, 1, 2), RW);
	expect_fmt(test, f, PR_START - 1, t1 + PR_START - 1, lv(l, 0, 2), RW);
	expect_fmt(test, f, PR_START, t1 + PR_START, lv(l, 0, 2), prot);
	expect_fmt(test, f, PR_START + SZ_2M_ULL, t1 + PR_START + SZ_2M_ULL,
		   lv(l, 1, 2), prot);
	expect_fmt(test, f, 2 * SZ_1G_ULL - 1, t1 + 2 * SZ_1G_ULL - 1,
		   lv(l, 1, 2), prot);
	expect_fmt(test, f, 2 * SZ_1G_ULL, 0, -1, 0);
	expect_fmt(test, f, 2 * SZ_1G_ULL + SZ_2M_ULL - 1, 0, -1, 0);
	expect_fmt(test, f, 2 * SZ_1G_ULL + SZ_2M_ULL, t2 + 2 * SZ_1G_ULL + SZ_2M_ULL,
		   lv(l, 0, 1), prot);
	expect_fmt(test, f, PR_END - 1, t2 + PR_END - 1, lv(l, 0, 1), prot);
	expect_fmt(test, f, PR_END, t2 + PR_END, lv(l, 0, 1), RW);
	expect_fmt(test, f, 2 * SZ_1G_ULL + 2 * SZ_2M_ULL - 1,
		   t2 + 2 * SZ_1G_ULL + 2 * SZ_2M_ULL - 1, lv(l, 0, 1), RW);
}

static void fmt_protect_range(struct kunit *test)
{
	struct fmt_fixture *f = fmt_setup(test);
	const u32 rx = PTSEL_PROT_READ | PTSEL_PROT_EXEC;

	protect_layout(test, f);
	KUNIT_ASSERT_EQ(test, fmt_protect(f, PR_START, PR_END - PR_START,
					  PTSEL_PROT_READ), 0);
	expect_protect_layout(test, f, PTSEL_PROT_READ, SPLIT);
	/* A whole leaf: no split; READ | EXEC over what was READ. */
	KUNIT_ASSERT_EQ(test, fmt_protect(f, SZ_1G_ULL + 4 * SZ_2M_ULL, SZ_2M_ULL,
					  rx), 0);
	expect_fmt(test, f, SZ_1G_ULL + 4 * SZ_2M_ULL + 9,
		   4 * SZ_1G_ULL + 4 * SZ_2M_ULL + 9, 1, rx);
	expect_fmt(test, f, SZ_1G_ULL + 5 * SZ_2M_ULL, 4 * SZ_1G_ULL + 5 * SZ_2M_ULL,
		   1, PTSEL_PROT_READ);
	/* Only holes: nothing to do, and no error. */
	KUNIT_EXPECT_EQ(test, fmt_protect(f, 2 * SZ_1G_ULL, SZ_2M_ULL, rx), 0);
	expect_fmt(test, f, 2 * SZ_1G_ULL, 0, -1, 0);
	fmt_teardown(test, f);
}

static void fmt_protect_bad_input(struct kunit *test)
{
	struct fmt_fixture *f = fmt_setup(test);
	u64 lim = f->limit;

	protect_layout(test, f);
	KUNIT_EXPECT_EQ(test, fmt_protect(f, SZ_1G_ULL, 0, RW), -EINVAL);
	KUNIT_EXPECT_EQ(test, fmt_protect(f, SZ_1G_ULL + 0x800, SZ_4K_ULL, RW), -EINVAL);
	KUNIT_EXPECT_EQ(test, fmt_protect(f, SZ_1G_ULL, 0x1800, RW), -EINVAL);
	KUNIT_EXPECT_EQ(test, fmt_protect(f, lim - SZ_4K_ULL, 2 * SZ_4K_ULL, RW), -EINVAL);
	KUNIT_EXPECT_EQ(test, fmt_protect(f, lim, SZ_4K_ULL, RW), -EINVAL);
	KUNIT_EXPECT_EQ(test, fmt_protect(f, -SZ_4K_ULL, 2 * SZ_4K_ULL, RW), -EINVAL);
	KUNIT_EXPECT_EQ(test, fmt_protect(f, PR_START, SZ_4K_ULL, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, fmt_protect(f, PR_START, SZ_4K_ULL, PTSEL_PROT_WRITE),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, fmt_protect(f, PR_START, SZ_4K_ULL,
					  PTSEL_PROT_READ | 0x100), -EINVAL);
	/* Refused requests split nothing and change nothing. */
	expect_protect_layout(test, f, RW, WHOLE);
	fmt_teardown(test, f);
}

/* Every allocation of the splits of a protect can fail: no trace of it. */
static void fmt_protect_alloc_failure(struct kunit *test)
{
	struct fmt_fixture *f = fmt_setup(test);
	long n;

	protect_layout(test, f);
	for (n = 0; ; n++) {
		int ret;

		f->mem.fail_after = n;
		ret = fmt_protect(f, PR_START, PR_END - PR_START, PTSEL_PROT_READ);
		f->mem.fail_after = -1;
		if (!ret)
			break;
		KUNIT_ASSERT_EQ(test, ret, -ENOMEM);
		/* Some leaves may have been split, none has a new prot. */
		expect_protect_layout(test, f, RW, ANY);
		KUNIT_ASSERT_LT(test, n, 64L);
	}
	KUNIT_EXPECT_GT(test, n, 0L);
	expect_protect_layout(test, f, PTSEL_PROT_READ, SPLIT);
	fmt_teardown(test, f);
}

struct leaf_rec {
	struct ptsel_leaf v[8];
	unsigned int n, calls;
	unsigned int stop_at;	/* return 5 from this call on; 0 never */
	u64 bytes;
};

static int leaf_record(void *priv, const struct ptsel_leaf *leaf)
{
	struct leaf_rec *rec = priv;

	if (rec->n < ARRAY_SIZE(rec->v))
		rec->v[rec->n++] = *leaf;
	rec->bytes += leaf->size;
	return ++rec->calls == rec->stop_at ? 5 : 0;
}

static int leaf_cmp(const void *a, const void *b)
{
	const struct ptsel_leaf *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Walk [start, end) into @rec; hash leaves come in any order: sort them. */
static int walk(struct fmt_fixture *f, u64 start, u64 end, struct leaf_rec *rec,
		unsigned int stop_at)
{
	int ret;

	memset(rec, 0, sizeof(*rec));
	rec->stop_at = stop_at;
	ret = fmt_leaves(f, start, end, leaf_record, rec);
	if (f->hash)
		sort(rec->v, rec->n, sizeof(rec->v[0]), leaf_cmp, NULL);
	return ret;
}

static void expect_leaf(struct kunit *test, const struct ptsel_leaf *l, u64 addr,
			u64 target, u64 size, u32 prot)
{
	KUNIT_EXPECT_EQ(test, l->addr, addr);
	KUNIT_EXPECT_EQ(test, l->target, target);
	KUNIT_EXPECT_EQ(test, l->size, size);
	KUNIT_EXPECT_EQ(test, l->prot, prot);
}

static void fmt_leaf_walk(struct kunit *test)
{
	struct fmt_fixture *f = fmt_setup(test);
	struct leaf_rec rec;
	u64 last = 2 * SZ_1G_ULL + 2 * SZ_2M_ULL;

	protect_layout(test, f);
	/* Two 4K leaves right after the 2M one, and one far above. */
	KUNIT_ASSERT_EQ(test, fmt_map(f, last, SZ_4K_ULL, 2 * SZ_4K_ULL,
				      PTSEL_PROT_READ), 0);
	KUNIT_ASSERT_EQ(test, fmt_map(f, 64 * SZ_1G_ULL, 0, SZ_4K_ULL, RW), 0);

	/* Both huge leaves clipped by the range come whole. */
	KUNIT_EXPECT_EQ(test, walk(f, PR_START, PR_END, &rec, 0), 0);
	KUNIT_ASSERT_EQ(test, rec.n, 2U);
	expect_leaf(test, &rec.v[0], SZ_1G_ULL, 4 * SZ_1G_ULL, SZ_1G_ULL, RW);
	expect_leaf(test, &rec.v[1], 2 * SZ_1G_ULL + SZ_2M_ULL, 8 * SZ_1G_ULL,
		    SZ_2M_ULL, RW);
	/* Unaligned ends; the second 4K leaf starts at the end: not in. */
	KUNIT_EXPECT_EQ(test, walk(f, last - 1, last + SZ_4K_ULL, &rec, 0), 0);
	KUNIT_ASSERT_EQ(test, rec.n, 2U);
	expect_leaf(test, &rec.v[0], 2 * SZ_1G_ULL + SZ_2M_ULL, 8 * SZ_1G_ULL,
		    SZ_2M_ULL, RW);
	expect_leaf(test, &rec.v[1], last, SZ_4K_ULL, SZ_4K_ULL, PTSEL_PROT_READ);
	/* Everything, the end clipped to the limit. */
	KUNIT_EXPECT_EQ(test, walk(f, 0, U64_MAX, &rec, 0), 0);
	KUNIT_ASSERT_EQ(test, rec.n, 5U);
	expect_leaf(test, &rec.v[4], 64 * SZ_1G_ULL, 0, SZ_4K_ULL, RW);
	KUNIT_EXPECT_EQ(test, rec.bytes, SZ_1G_ULL + SZ_2M_ULL + 3 * SZ_4K_ULL);
	/* Holes and empty ranges: no call. */
	KUNIT_EXPECT_EQ(test, walk(f, 2 * SZ_1G_ULL, 2 * SZ_1G_ULL + SZ_2M_ULL,
				   &rec, 1), 0);
	KUNIT_EXPECT_EQ(test, rec.calls, 0U);
	KUNIT_EXPECT_EQ(test, walk(f, PR_START, PR_START, &rec, 1), 0);
	KUNIT_EXPECT_EQ(test, rec.calls, 0U);
	KUNIT_EXPECT_EQ(test, walk(f, f->limit, U64_MAX, &rec, 1), 0);
	KUNIT_EXPECT_EQ(test, rec.calls, 0U);
	/* A non-zero return stops the walk and is passed on. */
	KUNIT_EXPECT_EQ(test, walk(f, 0, U64_MAX, &rec, 3), 5);
	KUNIT_EXPECT_EQ(test, rec.calls, 3U);
	KUNIT_EXPECT_EQ(test, walk(f, 0, U64_MAX, &rec, 1), 5);
	KUNIT_EXPECT_EQ(test, rec.calls, 1U);
	if (!f->hash)	/* radix reports in address order */
		expect_leaf(test, &rec.v[0], SZ_1G_ULL, 4 * SZ_1G_ULL, SZ_1G_ULL, RW);
	fmt_teardown(test, f);
}

static void fmt_split_leaf(struct kunit *test)
{
	struct fmt_fixture *f = fmt_setup(test);
	u64 at = SZ_1G_ULL + 3 * SZ_2M_ULL + 5 * SZ_4K_ULL;
	struct leaf_rec rec;

	KUNIT_ASSERT_EQ(test, fmt_map(f, SZ_1G_ULL, 4 * SZ_1G_ULL, SZ_1G_ULL, RW), 0);
	KUNIT_EXPECT_EQ(test, fmt_split(f, at + 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, fmt_split(f, f->limit + SZ_4K_ULL), -EINVAL);
	KUNIT_EXPECT_EQ(test, fmt_split(f, f->limit), 0);
	KUNIT_EXPECT_EQ(test, fmt_split(f, SZ_1G_ULL), 0);	/* a boundary already */
	KUNIT_EXPECT_EQ(test, fmt_split(f, 8 * SZ_1G_ULL + SZ_4K_ULL), 0);	/* a hole */
	expect_fmt(test, f, at, 3 * SZ_1G_ULL + at, 2, RW);

	/* Failing the first allocation changes nothing. */
	f->mem.fail_after = 0;
	if (f->hash)	/* the split only allocates when the table grows */
		KUNIT_ASSERT_EQ(test, f->h.tab->order, (unsigned int)PTSEL_HASH_MIN_ORDER);
	KUNIT_EXPECT_EQ(test, fmt_split(f, at), -ENOMEM);
	f->mem.fail_after = -1;
	expect_fmt(test, f, at, 3 * SZ_1G_ULL + at, 2, RW);
	KUNIT_EXPECT_EQ(test, walk(f, 0, U64_MAX, &rec, 0), 0);
	KUNIT_EXPECT_EQ(test, rec.calls, 1U);
	KUNIT_EXPECT_EQ(test, f->hash ? f->h.nr_entries : f->r.nr_tables, 1UL + !f->hash);

	/* 1G -> 511 2M + 512 4K, @at a boundary, every byte where it was. */
	KUNIT_ASSERT_EQ(test, fmt_split(f, at), 0);
	KUNIT_EXPECT_EQ(test, walk(f, 0, U64_MAX, &rec, 0), 0);
	KUNIT_EXPECT_EQ(test, rec.calls, 511U + 512U);
	KUNIT_EXPECT_EQ(test, rec.bytes, SZ_1G_ULL);
	KUNIT_EXPECT_EQ(test, walk(f, at - 1, at + 1, &rec, 0), 0);
	KUNIT_ASSERT_EQ(test, rec.n, 2U);
	expect_leaf(test, &rec.v[0], at - SZ_4K_ULL, 3 * SZ_1G_ULL + at - SZ_4K_ULL,
		    SZ_4K_ULL, RW);
	expect_leaf(test, &rec.v[1], at, 3 * SZ_1G_ULL + at, SZ_4K_ULL, RW);
	expect_fmt(test, f, SZ_1G_ULL, 4 * SZ_1G_ULL, 1, RW);
	expect_fmt(test, f, 2 * SZ_1G_ULL - 1, 5 * SZ_1G_ULL - 1, 1, RW);
	expect_fmt(test, f, at + SZ_2M_ULL, 3 * SZ_1G_ULL + at + SZ_2M_ULL, 1, RW);
	fmt_teardown(test, f);
}

static struct kunit_case ptsel_hash_cases[] = {
	KUNIT_CASE(hash_leaves_and_errors),
	KUNIT_CASE(hash_split),
	KUNIT_CASE(hash_grow_failure),
	KUNIT_CASE(hash_resize),
	KUNIT_CASE(hash_lines_at_75_percent),
	{}
};

static struct kunit_suite ptsel_hash_suite = {
	.name = "ptsel_hash",
	.test_cases = ptsel_hash_cases,
};

static const bool fmt_params[] = { false, true };

static void fmt_param_desc(const bool *hash, char *desc)
{
	strscpy(desc, *hash ? "hash" : "radix", KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(fmt, fmt_params, fmt_param_desc);

static struct kunit_case ptsel_fmt_cases[] = {
	KUNIT_CASE_PARAM(fmt_protect_range, fmt_gen_params),
	KUNIT_CASE_PARAM(fmt_protect_bad_input, fmt_gen_params),
	KUNIT_CASE_PARAM(fmt_protect_alloc_failure, fmt_gen_params),
	KUNIT_CASE_PARAM(fmt_leaf_walk, fmt_gen_params),
	KUNIT_CASE_PARAM(fmt_split_leaf, fmt_gen_params),
	{}
};

static struct kunit_suite ptsel_fmt_suite = {
	.name = "ptsel_fmt",
	.test_cases = ptsel_fmt_cases,
};

/* Guest memory for the walker: a few pages, guest-physical 0 onwards. */
struct gmem {
	u64 *page[5];
};

static int gmem_read(void *priv, u64 gpa, u64 *val)
{
	struct gmem *g = priv;

	if (gpa >= 5 * SZ_4K_ULL || gpa & 7)
		return -EFAULT;
	*val = g->page[gpa >> 12][(gpa & 0xfff) / 8];
	return 0;
}

static const struct ptsel_gwalk_ops gmem_ops = { .read = gmem_read };

static void guest_walk(struct kunit *test)
{
	struct gmem *g = kunit_kzalloc(test, sizeof(*g), GFP_KERNEL);
	const u64 p = 1, rw = 2, us = 4, ps = 0x80;
	struct ptsel_gwalk w;
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, g);
	for (i = 0; i < 5; i++) {
		g->page[i] = kunit_kzalloc(test, SZ_4K_ULL, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, g->page[i]);
	}
	/* PML4 at 0, PDPT at 4K, PD at 8K, PT at 12K: gva 0x40201000. */
	g->page[0][0] = 0x1000 | p | rw | us;
	g->page[1][1] = 0x2000 | p | rw | us;
	g->page[2][1] = 0x3000 | p | us;
	g->page[3][1] = 0x7777000 | p | rw | us;
	g->page[2][2] = 0x800000 | p | rw | ps;		/* 2M at 0x40400000 */

	KUNIT_ASSERT_EQ(test, ptsel_guest_walk(&gmem_ops, g, 0, 4, 0x40201abc, &w), 0);
	KUNIT_EXPECT_EQ(test, w.gpa, 0x7777abcULL);
	KUNIT_EXPECT_EQ(test, w.level, 0U);
	KUNIT_EXPECT_EQ(test, w.nr_ptes, 4U);
	KUNIT_EXPECT_EQ(test, w.prot, (u32)(PTSEL_PROT_READ | PTSEL_PROT_EXEC));
	KUNIT_EXPECT_TRUE(test, w.user);

	KUNIT_ASSERT_EQ(test, ptsel_guest_walk(&gmem_ops, g, 0, 4, 0x40412345, &w), 0);
	KUNIT_EXPECT_EQ(test, w.gpa, 0x812345ULL);
	KUNIT_EXPECT_EQ(test, w.level, 1U);
	KUNIT_EXPECT_FALSE(test, w.user);

	KUNIT_EXPECT_EQ(test, ptsel_guest_walk(&gmem_ops, g, 0, 4, 0x40202000, &w), -ENOENT);
	g->page[0][3] = 0x200000 | p | ps;
	KUNIT_EXPECT_EQ(test, ptsel_guest_walk(&gmem_ops, g, 0, 4, 3ULL << 39, &w), -EIO);
	g->page[0][4] = 0x100000 | p;
	KUNIT_EXPECT_EQ(test, ptsel_guest_walk(&gmem_ops, g, 0, 4, 4ULL << 39, &w), -EFAULT);
	KUNIT_EXPECT_EQ(test, ptsel_guest_walk(&gmem_ops, g, 0, 4, 1ULL << 47, &w), -EINVAL);
}

static void tlb_retention(struct kunit *test)
{
	struct ptsel_tlb_entry *store;
	struct ptsel_tlb *tlb;
	struct ptsel_xlate x, y;
	unsigned int c;

	tlb = kunit_kzalloc(test, sizeof(*tlb), GFP_KERNEL);
	store = kunit_kcalloc(test, 64, sizeof(*store), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, tlb);
	KUNIT_ASSERT_NOT_NULL(test, store);
	KUNIT_ASSERT_EQ(test, ptsel_tlb_init(tlb, store, 64, 6), 0);
	KUNIT_EXPECT_EQ(test, ptsel_tlb_init(tlb, store, 48, 6), -EINVAL);
	KUNIT_ASSERT_EQ(test, ptsel_tlb_init(tlb, store, 64, 6), 0);

	/* Six address spaces, one entry each: all fit in the list. */
	for (c = 0; c < 6; c++) {
		if (c)
			KUNIT_EXPECT_FALSE(test, ptsel_tlb_switch(tlb, 100 + c));
		x = (struct ptsel_xlate){ .target = (c + 1) * SZ_2M_ULL + 5,
					  .prot = PTSEL_PROT_READ };
		ptsel_tlb_fill(tlb, (c + 1) * SZ_4K_ULL + 5, &x);
	}
	for (c = 1; c < 6; c++) {
		KUNIT_EXPECT_TRUE(test, ptsel_tlb_switch(tlb, 100 + c));
		KUNIT_ASSERT_TRUE(test, ptsel_tlb_lookup(tlb, (c + 1) * SZ_4K_ULL + 9, &y));
		KUNIT_EXPECT_EQ(test, y.target, (c + 1) * SZ_2M_ULL + 9);
		/* Another space's entry is not ours. */
		KUNIT_EXPECT_FALSE(test, ptsel_tlb_lookup(tlb, SZ_4K_ULL, &y));
	}
	KUNIT_EXPECT_EQ(test, tlb->stats.flushes_avoided, 5ULL);
	/* Space 0 is now the least recently used: a 7th space evicts it. */
	KUNIT_EXPECT_FALSE(test, ptsel_tlb_switch(tlb, 200));
	KUNIT_EXPECT_FALSE(test, ptsel_tlb_switch(tlb, 0));
	KUNIT_EXPECT_FALSE(test, ptsel_tlb_lookup(tlb, SZ_4K_ULL, &y));
	/* Space 102 was kept; flushing it by ASID drops its entry. */
	KUNIT_EXPECT_TRUE(test, ptsel_tlb_switch(tlb, 102));
	KUNIT_EXPECT_TRUE(test, ptsel_tlb_lookup(tlb, 3 * SZ_4K_ULL, &y));
	ptsel_tlb_flush_ctx(tlb, 102);
	KUNIT_EXPECT_FALSE(test, ptsel_tlb_lookup(tlb, 3 * SZ_4K_ULL, &y));
	KUNIT_EXPECT_EQ(test, tlb->stats.hits, 6ULL);
	KUNIT_EXPECT_EQ(test, tlb->stats.misses, 7ULL);
}

static struct kunit_case ptsel_tlb_cases[] = {
	KUNIT_CASE(tlb_retention),
	{}
};

static struct kunit_suite ptsel_tlb_suite = {
	.name = "ptsel_tlb",
	.test_cases = ptsel_tlb_cases,
};

static struct kunit_case ptsel_gwalk_cases[] = {
	KUNIT_CASE(guest_walk),
	{}
};

static struct kunit_suite ptsel_gwalk_suite = {
	.name = "ptsel_gwalk",
	.test_cases = ptsel_gwalk_cases,
};

static struct kunit_case ptsel_radix_cases[] = {
	KUNIT_CASE(radix_leaf_sizes),
	KUNIT_CASE(radix_bad_input),
	KUNIT_CASE(radix_overlap),
	KUNIT_CASE(radix_split_and_free),
	KUNIT_CASE(radix_five_levels),
	KUNIT_CASE(radix_map_alloc_failure),
	KUNIT_CASE(radix_split_alloc_failure),
	{}
};

static struct kunit_suite ptsel_radix_suite = {
	.name = "ptsel_radix",
	.test_cases = ptsel_radix_cases,
};
kunit_test_suites(&ptsel_radix_suite, &ptsel_hash_suite, &ptsel_fmt_suite,
		  &ptsel_gwalk_suite, &ptsel_tlb_suite);

MODULE_DESCRIPTION("KUnit tests for ptsel");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(PTSEL);
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
