/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the ptsel KUnit test modules: a radix table whose memory
 * comes from whole pages, with injectable allocation failure.
 */
#ifndef _PTSEL_KUNIT_H
#define _PTSEL_KUNIT_H

#include <kunit/test.h>
#include <linux/gfp.h>
#include <linux/ptsel.h>

#include "ptsel_core.h"

#define SZ_4K_ULL	(1ULL << 12)
#define SZ_2M_ULL	(1ULL << 21)
#define SZ_1G_ULL	(1ULL << 30)
#define RW		(PTSEL_PROT_READ | PTSEL_PROT_WRITE)

/* Table provider that can fail the n-th allocation from now on. */
struct test_mem {
	long fail_after;	/* < 0: never fail */
	unsigned long live;
};

/* Injected allocation failure: false once the countdown reaches 0. */
static bool test_may_alloc(struct test_mem *m)
{
	if (m->fail_after == 0)
		return false;
	if (m->fail_after > 0)
		m->fail_after--;
	return true;
}

static u64 *test_alloc(void *priv)
{
	struct test_mem *m = priv;
	u64 *t;

	if (!test_may_alloc(m))
		return NULL;
	t = (u64 *)get_zeroed_page(GFP_KERNEL);
	if (t)
		m->live++;
	return t;
}

static void test_free(void *priv, u64 *t)
{
	struct test_mem *m = priv;

	m->live--;
	free_page((unsigned long)t);
}

static const struct ptsel_table_ops test_ops = {
	.alloc = test_alloc,
	.free = test_free,
};

struct radix_fixture {
	struct test_mem mem;
	struct ptsel_radix r;
};

static struct radix_fixture *radix_setup(struct kunit *test, unsigned int levels)
{
	struct radix_fixture *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, f);
	f->mem.fail_after = -1;
	KUNIT_ASSERT_EQ(test, ptsel_radix_init(&f->r, levels, &test_ops,
					       &f->mem), 0);
	return f;
}

static void radix_teardown(struct kunit *test, struct radix_fixture *f)
{
	ptsel_radix_destroy(&f->r);
	KUNIT_EXPECT_EQ(test, f->mem.live, 0UL);
}

#endif /* _PTSEL_KUNIT_H */
