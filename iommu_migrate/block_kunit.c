// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for iommu_migrate_block()'s step on one page,
 * imm_block_entry(): I/O PTE and RMT entry become blocked together, and
 * a block that cannot be done (a PTE that disagrees with the RMT entry,
 * an entry in the middle of a move) changes neither and says why.
 */
#include <kunit/test.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/module.h>

#include "imm_internal.h"

#define BLK_IOVA	0x100000ULL

/* A buffer of one page mapped at BLK_IOVA, with its RMT entry. */
struct blk_fix {
	struct imm_domain dom;
	struct imm_buf buf;
	struct page *page;
	struct imm_rmt_ent ent;
	u64 pa;
};

static void blk_exit(struct kunit *test)
{
	struct blk_fix *f = test->priv;

	if (f->dom.part)
		ptsel_partition_put(f->dom.part);
	if (f->page)
		__free_page(f->page);
}

static int blk_init(struct kunit *test)
{
	struct blk_fix *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);

	if (!f)
		return -ENOMEM;
	test->priv = f;
	f->dom.id = 7;
	f->dom.part = ptsel_partition_create(PTSEL_FORMAT_RADIX);
	if (IS_ERR(f->dom.part)) {
		f->dom.part = NULL;
		return -ENOMEM;
	}
	f->page = alloc_page(GFP_KERNEL);
	if (!f->page) {
		blk_exit(test);
		return -ENOMEM;
	}
	f->pa = (u64)page_to_pfn(f->page) << PAGE_SHIFT;
	if (ptsel_partition_map(f->dom.part, BLK_IOVA, f->pa, PAGE_SIZE,
				PTSEL_PROT_READ | PTSEL_PROT_WRITE)) {
		blk_exit(test);
		return -ENOMEM;
	}
	mutex_init(&f->buf.lock);
	f->buf.nr_pages = 1;
	f->buf.pages = &f->page;
	f->buf.dom = &f->dom;
	f->buf.iova = BLK_IOVA;
	f->ent.buf = &f->buf;
	f->ent.r = (struct imm_rmt){ .domain = 7, .iova = BLK_IOVA,
				     .state = IMM_NORMAL };
	return 0;
}

/* The PTE's migration state, or -1 if the page is not mapped to f->pa. */
static int pte_state(struct blk_fix *f)
{
	struct ptsel_xlate x;

	if (ptsel_partition_translate(f->dom.part, BLK_IOVA, &x) ||
	    (x.target & PAGE_MASK) != f->pa)
		return -1;
	return ptsel_sw(x.prot);
}

static int block(struct blk_fix *f)
{
	int ret;

	mutex_lock(&f->buf.lock);
	ret = imm_block_entry(&f->buf, &f->ent);
	mutex_unlock(&f->buf.lock);
	return ret;
}

static void blocks_pte_and_rmt(struct kunit *test)
{
	struct blk_fix *f = test->priv;

	KUNIT_EXPECT_EQ(test, block(f), 0);
	KUNIT_EXPECT_EQ(test, pte_state(f), IMM_BLOCKED);
	KUNIT_EXPECT_EQ(test, f->ent.r.state, (u32)IMM_BLOCKED);
	/* Blocked already: nothing to do, still 0. */
	KUNIT_EXPECT_EQ(test, block(f), 0);
	KUNIT_EXPECT_EQ(test, pte_state(f), IMM_BLOCKED);
	KUNIT_EXPECT_EQ(test, f->ent.r.state, (u32)IMM_BLOCKED);
}

/* The PTE's exchange fails: the RMT entry must stay normal. */
static void failed_exchange_changes_nothing(struct kunit *test)
{
	struct blk_fix *f = test->priv;

	/* A PTE already in another state than its RMT entry says. */
	KUNIT_ASSERT_EQ(test, ptsel_partition_leaf_cmpxchg(f->dom.part, BLK_IOVA,
							   f->pa, IMM_NORMAL,
							   f->pa, IMM_MIGRATING,
							   NULL), 0);
	KUNIT_EXPECT_EQ(test, block(f), -EBUSY);
	KUNIT_EXPECT_EQ(test, f->ent.r.state, (u32)IMM_NORMAL);
	KUNIT_EXPECT_EQ(test, pte_state(f), IMM_MIGRATING);

	/* A PTE that leads elsewhere (the RMT entry is stale). */
	KUNIT_ASSERT_EQ(test, ptsel_partition_leaf_cmpxchg(f->dom.part, BLK_IOVA,
							   f->pa, IMM_MIGRATING,
							   f->pa + PAGE_SIZE,
							   IMM_NORMAL, NULL), 0);
	KUNIT_EXPECT_EQ(test, block(f), -EBUSY);
	KUNIT_EXPECT_EQ(test, f->ent.r.state, (u32)IMM_NORMAL);

	/* An IOVA no longer mapped. */
	KUNIT_ASSERT_EQ(test, ptsel_partition_unmap(f->dom.part, BLK_IOVA,
						    PAGE_SIZE), 0);
	KUNIT_EXPECT_EQ(test, block(f), -ENOENT);
	KUNIT_EXPECT_EQ(test, f->ent.r.state, (u32)IMM_NORMAL);
}

/* An illegal transition (migrating -> blocked) changes nothing. */
static void illegal_transition_changes_nothing(struct kunit *test)
{
	struct blk_fix *f = test->priv;
	u32 s;

	for (s = IMM_MIGRATING; s <= IMM_NR_STATES; s++) {
		if (s == IMM_BLOCKED)
			continue;
		f->ent.r.state = s;
		KUNIT_EXPECT_EQ_MSG(test, block(f), -EBUSY, "state %u", s);
		KUNIT_EXPECT_EQ_MSG(test, f->ent.r.state, s, "state %u", s);
		KUNIT_EXPECT_EQ_MSG(test, pte_state(f), IMM_NORMAL,
				    "state %u", s);
	}
}

static struct kunit_case imm_block_cases[] = {
	KUNIT_CASE(blocks_pte_and_rmt),
	KUNIT_CASE(failed_exchange_changes_nothing),
	KUNIT_CASE(illegal_transition_changes_nothing),
	{}
};

static struct kunit_suite imm_block_suite = {
	.name = "iommu_migrate_block",
	.init = blk_init,
	.exit = blk_exit,
	.test_cases = imm_block_cases,
};

kunit_test_suites(&imm_block_suite);
