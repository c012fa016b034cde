// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the nested_notify core, in a fake L1 (nn_mem.h): a
 * delivery writes an ordered, checked record; hostile entries (bad
 * GVA, unmapped or read-only ring, too-large ring, 5-level paging)
 * fail with their errno and write nothing; the arming handshake gives
 * one interrupt; a full ring sets overflow and coalesces; a new
 * generation is walked again; records plus pending equal doorbells.
 */
#include <kunit/test.h>
#include <linux/module.h>
#include <linux/vmalloc.h>

#include "nn_mem.h"

#define MEM_SIZE	(1 << 20)
#define TABLE_GPA	0x1000ULL
#define RING_VA		0x7f0000000000ULL
#define RING_GPA	0x80000ULL
#define RING_GPA2	0xa0000ULL

struct nn_fake {
	struct nn_mem m;
	struct nn_env env;
	struct nn_table t;
	struct nn_stats st;
	struct nn_dev d;
	u64 cr3;
	struct nested_notify_entry *e;
};

static void nn_fake_map_ring(struct nn_fake *f, u64 gpa, unsigned int slots)
{
	unsigned int i, n = (NN_RING_HDR + slots * NN_REC_SIZE + 4095) / 4096;

	for (i = 0; i < n; i++)
		nnm_map(&f->m, f->cr3, RING_VA + i * 4096ULL, gpa + i * 4096ULL,
			NNM_P | NNM_RW);
}

static struct nn_fake *nn_fake_new(struct kunit *test, unsigned int slots)
{
	struct nn_fake *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, f);
	f->m.mem = kunit_kzalloc(test, MEM_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, f->m.mem);
	f->m.size = MEM_SIZE;
	f->m.next_table = 0x10000;
	f->env = (struct nn_env){ nnm_read, nnm_write, &f->m, nnm_walk_read };
	f->t = (struct nn_table){ TABLE_GPA, 4 };
	f->cr3 = nnm_new_table(&f->m);
	f->e = (void *)(f->m.mem + TABLE_GPA + NN_ENTRY_SIZE);
	f->e->flags = NESTED_NOTIFY_ENTRY_VALID;
	f->e->generation = 1;
	f->e->cr3 = f->cr3;
	f->e->ring_gva = RING_VA;
	f->e->slots = slots;
	nn_fake_map_ring(f, RING_GPA, slots);
	nn_dev_init(&f->d, 1);
	return f;
}

static struct nested_notify_ring *nn_fake_hdr(struct nn_fake *f, u64 gpa)
{
	return (void *)(f->m.mem + gpa);
}

static struct nested_notify_record *nn_fake_rec(struct nn_fake *f, u64 gpa, u32 i)
{
	return (void *)(f->m.mem + gpa + NN_RING_HDR + i * NN_REC_SIZE);
}

static void nn_core_delivers_in_order(struct kunit *test)
{
	struct nn_fake *f = nn_fake_new(test, 8);
	struct nested_notify_record *r;
	u32 i;

	for (i = 0; i < 5; i++)
		KUNIT_EXPECT_EQ(test, nn_deliver(&f->d, &f->t, &f->env, 1, 100 + i, &f->st),
				NN_WROTE);
	KUNIT_EXPECT_EQ(test, nn_fake_hdr(f, RING_GPA)->prod, 5U);
	for (i = 0; i < 5; i++) {
		r = nn_fake_rec(f, RING_GPA, i);
		KUNIT_EXPECT_EQ(test, r->seq, i + 1ULL);
		KUNIT_EXPECT_EQ(test, r->count, 1U);
		KUNIT_EXPECT_EQ(test, r->entry, 1U);
		KUNIT_EXPECT_EQ(test, r->check,
				nested_notify_record_check(r->seq, 1, 1, 100 + i));
	}
	KUNIT_EXPECT_EQ(test, f->st.walks, 1ULL);
	KUNIT_EXPECT_EQ(test, f->st.walk_hits, 4ULL);
	KUNIT_EXPECT_EQ(test, f->st.delivered + f->d.pending, f->st.doorbells);
}

static void nn_core_hostile_entries(struct kunit *test)
{
	static const struct {
		u32 flags, slots;
		u64 gva;
		int err;
	} cases[] = {
		{ 0, 8, RING_VA, -EINVAL },				/* not valid */
		{ 1 | 0x80, 8, RING_VA, -EINVAL },			/* unknown flag */
		{ 1 | NESTED_NOTIFY_ENTRY_LA57, 8, RING_VA, -EOPNOTSUPP },
		{ 1, NESTED_NOTIFY_MAX_SLOTS * 2, RING_VA, -E2BIG },	/* too large */
		{ 1, 6, RING_VA, -EINVAL },				/* not 2^n */
		{ 1, 8, RING_VA + 8, -EINVAL },				/* misaligned */
		{ 1, 8, 0x0000800000000000ULL, -EINVAL },		/* non-canonical */
		{ 1, 8, 0x100000000ULL, -ENOENT },			/* unmapped */
	};
	struct nn_fake *f = nn_fake_new(test, 8);
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		unsigned long writes = f->m.writes;

		f->e->flags = cases[i].flags;
		f->e->slots = cases[i].slots;
		f->e->ring_gva = cases[i].gva;
		KUNIT_EXPECT_EQ_MSG(test, nn_deliver(&f->d, &f->t, &f->env, 1, 0, &f->st),
				    cases[i].err, "case %u", i);
		KUNIT_EXPECT_EQ(test, f->m.writes, writes);
		KUNIT_EXPECT_EQ(test, f->d.pending, i + 1ULL);
	}
	/* A read-only ring page, with a new generation. */
	f->e->flags = NESTED_NOTIFY_ENTRY_VALID;
	f->e->slots = 8;
	f->e->ring_gva = RING_VA;
	f->e->generation++;
	nnm_map(&f->m, f->cr3, RING_VA, RING_GPA, NNM_P);
	KUNIT_EXPECT_EQ(test, nn_deliver(&f->d, &f->t, &f->env, 1, 0, &f->st), -EACCES);
	/* An entry past the table. */
	f->t.nr_entries = 1;
	KUNIT_EXPECT_EQ(test, nn_deliver(&f->d, &f->t, &f->env, 1, 0, &f->st), -ENXIO);
	/* Repaired: everything pending arrives in one record. */
	f->t.nr_entries = 4;
	nnm_map(&f->m, f->cr3, RING_VA, RING_GPA, NNM_P | NNM_RW);
	f->e->generation++;
	KUNIT_EXPECT_EQ(test, nn_deliver(&f->d, &f->t, &f->env, 0, 0, &f->st), NN_WROTE);
	KUNIT_EXPECT_EQ(test, nn_fake_rec(f, RING_GPA, 0)->count,
			(u32)ARRAY_SIZE(cases) + 2);
	KUNIT_EXPECT_EQ(test, f->d.pending, 0ULL);
	KUNIT_EXPECT_EQ(test, f->st.faults, ARRAY_SIZE(cases) + 2ULL);
}

static void nn_core_full_ring_and_arming(struct kunit *test)
{
	struct nn_fake *f = nn_fake_new(test, 2);
	struct nested_notify_ring *h = nn_fake_hdr(f, RING_GPA);

	KUNIT_EXPECT_EQ(test, nn_deliver(&f->d, &f->t, &f->env, 1, 0, &f->st), NN_WROTE);
	h->armed = 1;
	KUNIT_EXPECT_EQ(test, nn_deliver(&f->d, &f->t, &f->env, 1, 0, &f->st),
			NN_WROTE | NN_IRQ);
	KUNIT_EXPECT_EQ(test, h->armed, 0U);
	KUNIT_EXPECT_EQ(test, nn_deliver(&f->d, &f->t, &f->env, 3, 0, &f->st), NN_FULL);
	KUNIT_EXPECT_TRUE(test, h->flags & NESTED_NOTIFY_RING_OVERFLOW);
	KUNIT_EXPECT_EQ(test, nn_deliver(&f->d, &f->t, &f->env, 2, 0, &f->st), NN_FULL);
	KUNIT_EXPECT_EQ(test, f->d.pending, 5ULL);
	KUNIT_EXPECT_EQ(test, f->st.overflows, 2ULL);
	h->cons = 2;
	KUNIT_EXPECT_EQ(test, nn_deliver(&f->d, &f->t, &f->env, 0, 0, &f->st), NN_WROTE);
	KUNIT_EXPECT_EQ(test, nn_fake_rec(f, RING_GPA, 0)->seq, 3ULL);
	KUNIT_EXPECT_EQ(test, nn_fake_rec(f, RING_GPA, 0)->count, 5U);
	KUNIT_EXPECT_EQ(test, f->st.coalesced, 4ULL);
	KUNIT_EXPECT_EQ(test, f->st.delivered + f->d.pending, f->st.doorbells);
	/* Indices that claim more records than slots: left alone. */
	h->cons = h->prod + 1;
	KUNIT_EXPECT_EQ(test, nn_deliver(&f->d, &f->t, &f->env, 1, 0, &f->st), -EPROTO);
}

static void nn_core_generation_rewalks(struct kunit *test)
{
	struct nn_fake *f = nn_fake_new(test, 8);

	KUNIT_EXPECT_EQ(test, nn_deliver(&f->d, &f->t, &f->env, 1, 0, &f->st), NN_WROTE);
	/* L1 moves the ring and bumps the generation. */
	memcpy(f->m.mem + RING_GPA2, f->m.mem + RING_GPA, 4096);
	memset(f->m.mem + RING_GPA, 0, 4096);
	nn_fake_map_ring(f, RING_GPA2, 8);
	f->e->generation++;
	KUNIT_EXPECT_EQ(test, nn_deliver(&f->d, &f->t, &f->env, 1, 0, &f->st), NN_WROTE);
	KUNIT_EXPECT_EQ(test, f->st.walks, 2ULL);
	KUNIT_EXPECT_EQ(test, nn_fake_hdr(f, RING_GPA2)->prod, 2U);
	KUNIT_EXPECT_EQ(test, nn_fake_rec(f, RING_GPA2, 1)->seq, 2ULL);
	KUNIT_EXPECT_EQ(test, nn_fake_hdr(f, RING_GPA)->prod, 0U);
}

static struct kunit_case nn_core_cases[] = {
	KUNIT_CASE(nn_core_delivers_in_order),
	KUNIT_CASE(nn_core_hostile_entries),
	KUNIT_CASE(nn_core_full_ring_and_arming),
	KUNIT_CASE(nn_core_generation_rewalks),
	{}
};

static struct kunit_suite nn_core_suite = {
	.name = "nested_notify_core",
	.test_cases = nn_core_cases,
};
kunit_test_suite(nn_core_suite);

MODULE_DESCRIPTION("KUnit tests for the nested_notify core");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
MODULE_IMPORT_NS(PTSEL);
