// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for ptsel partitions and walkers: region routing, live
 * conversion under concurrent lookups, walker TLB retention and
 * invalidation, the updatable lookup, and failures part way through.
 */
#include <kunit/test.h>
#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/ptsel.h>

#include <memvirt/ptsel.h>

#include "ptsel_core.h"

#define SZ_4K_ULL	(1ULL << 12)
#define SZ_1M_ULL	(1ULL << 20)
#define SZ_2M_ULL	(1ULL << 21)
#define SZ_1G_ULL	(1ULL << 30)
#define RW		(PTSEL_PROT_READ | PTSEL_PROT_WRITE)
#define RADIX		PTSEL_FORMAT_RADIX
#define HASH		PTSEL_FORMAT_HASH

/* Output address that the tests map input address @a to. */
static u64 tgt(u64 a)
{
	return a + 0x100000000000ULL;
}

static struct ptsel_partition *new_part(struct kunit *test, u32 format)
{
	struct ptsel_partition *p = ptsel_partition_create(format);

	KUNIT_ASSERT_FALSE(test, IS_ERR(p));
	return p;
}

/* Every 4K page of [a, a + size) translates to tgt() with @prot. */
static void expect_mapped(struct kunit *test, struct ptsel_partition *p,
			  u64 a, u64 size, u32 prot)
{
	struct ptsel_xlate x;
	u64 off;

	for (off = 0; off < size; off += SZ_4K_ULL) {
		KUNIT_ASSERT_EQ_MSG(test, ptsel_partition_translate(p, a + off + 8, &x),
				    0, "addr 0x%llx", a + off);
		KUNIT_ASSERT_EQ(test, x.target, tgt(a + off) + 8);
		KUNIT_ASSERT_EQ(test, x.prot, prot);
	}
}

static void region_set(struct kunit *test)
{
	struct ptsel_region_set s = { .dflt = RADIX };
	u64 lim = 1ULL << 48;

	KUNIT_EXPECT_EQ(test, ptsel_region_update(&s, SZ_2M_ULL, SZ_2M_ULL, HASH, lim), 0);
	KUNIT_EXPECT_EQ(test, ptsel_region_update(&s, 0, SZ_1G_ULL, HASH, lim), -EBUSY);
	KUNIT_EXPECT_EQ(test, ptsel_region_update(&s, SZ_4K_ULL, SZ_2M_ULL, HASH, lim), -EINVAL);
	KUNIT_EXPECT_EQ(test, ptsel_region_update(&s, 0, 3 * SZ_4K_ULL, HASH, lim), -EINVAL);
	KUNIT_EXPECT_EQ(test, ptsel_region_update(&s, 0, SZ_4K_ULL, 3, lim), -EINVAL);
	KUNIT_EXPECT_EQ(test, ptsel_region_update(&s, lim, SZ_4K_ULL, HASH, lim), -EINVAL);
	KUNIT_EXPECT_EQ(test, ptsel_region_update(&s, 0, SZ_4K_ULL, 0, lim), -ENOENT);
	KUNIT_EXPECT_EQ(test, ptsel_region_format(&s, SZ_2M_ULL - 1), RADIX);
	KUNIT_EXPECT_EQ(test, ptsel_region_format(&s, SZ_2M_ULL), HASH);
	KUNIT_EXPECT_EQ(test, ptsel_region_format(&s, 2 * SZ_2M_ULL - 1), HASH);
	KUNIT_EXPECT_EQ(test, ptsel_region_format(&s, 2 * SZ_2M_ULL), RADIX);
	KUNIT_EXPECT_EQ(test, ptsel_region_find(&s, SZ_2M_ULL, SZ_2M_ULL, lim), 0);
	KUNIT_EXPECT_EQ(test, ptsel_region_update(&s, SZ_2M_ULL, SZ_2M_ULL, 0, lim), 0);
	KUNIT_EXPECT_EQ(test, s.nr, 0U);
	KUNIT_EXPECT_EQ(test, ptsel_region_format(&s, SZ_2M_ULL), RADIX);
}

static void move_log(struct kunit *test)
{
	struct ptsel_move_log log = { };
	u64 g1, g;
	int i;

	KUNIT_EXPECT_FALSE(test, ptsel_move_log_moved(&log, 0, 0));
	g1 = ptsel_move_log_add(&log, SZ_2M_ULL, SZ_4K_ULL);
	KUNIT_EXPECT_EQ(test, g1, 1ULL);
	KUNIT_EXPECT_TRUE(test, ptsel_move_log_moved(&log, 0, SZ_2M_ULL + 5));
	KUNIT_EXPECT_FALSE(test, ptsel_move_log_moved(&log, 0, SZ_2M_ULL + SZ_4K_ULL));
	KUNIT_EXPECT_FALSE(test, ptsel_move_log_moved(&log, g1, SZ_2M_ULL));
	/* Push the first record out: old generations must refresh. */
	for (i = 0; i < PTSEL_MOVE_LOG; i++)
		g = ptsel_move_log_add(&log, SZ_1G_ULL, SZ_4K_ULL);
	KUNIT_EXPECT_TRUE(test, ptsel_move_log_moved(&log, 0, 0));
	KUNIT_EXPECT_FALSE(test, ptsel_move_log_moved(&log, g - 1, 0));
	KUNIT_EXPECT_TRUE(test, ptsel_move_log_moved(&log, g - 1, SZ_1G_ULL));
}

/* A map across a hashed region lands in both formats, whole leaves. */
static void map_across_regions(struct kunit *test)
{
	struct ptsel_partition *p = new_part(test, RADIX);
	struct ptsel_partition_stats st;
	struct ptsel_xlate x;

	KUNIT_ASSERT_EQ(test, ptsel_partition_set_region(p, SZ_1G_ULL, SZ_1G_ULL, HASH, NULL), 0);
	/* [0, 3G) with 1G-aligned targets: three 1G leaves, one hashed. */
	KUNIT_ASSERT_EQ(test, ptsel_partition_map(p, 0, tgt(0), 3 * SZ_1G_ULL, RW), 0);
	KUNIT_EXPECT_EQ(test, ptsel_partition_translate(p, SZ_1G_ULL + 123, &x), 0);
	KUNIT_EXPECT_EQ(test, x.target, tgt(SZ_1G_ULL) + 123);
	KUNIT_EXPECT_EQ(test, x.level, 2U);
	KUNIT_EXPECT_EQ(test, ptsel_partition_map(p, SZ_1G_ULL, 0, SZ_4K_ULL, RW), -EEXIST);
	/* A 2M hole in the middle of the hashed region splits its leaf. */
	KUNIT_ASSERT_EQ(test, ptsel_partition_unmap(p, SZ_1G_ULL + SZ_2M_ULL, SZ_2M_ULL), 0);
	KUNIT_EXPECT_EQ(test, ptsel_partition_translate(p, SZ_1G_ULL + SZ_2M_ULL, &x), -ENOENT);
	expect_mapped(test, p, SZ_1G_ULL, SZ_2M_ULL, RW);
	ptsel_partition_stats(p, &st);
	KUNIT_EXPECT_EQ(test, st.mapped_pages, (3 * SZ_1G_ULL - SZ_2M_ULL) >> 12);
	KUNIT_EXPECT_EQ(test, st.regions, 1ULL);
	/* Protect across the region boundary, READ only. */
	KUNIT_ASSERT_EQ(test, ptsel_partition_protect(p, SZ_1G_ULL - SZ_4K_ULL,
						      2 * SZ_4K_ULL, PTSEL_PROT_READ), 0);
	expect_mapped(test, p, SZ_1G_ULL - SZ_4K_ULL, 2 * SZ_4K_ULL, PTSEL_PROT_READ);
	expect_mapped(test, p, SZ_1G_ULL + SZ_4K_ULL, SZ_4K_ULL, RW);
	ptsel_partition_put(p);
}

/* Conversions both ways keep every page; dropping the region too. */
static void convert_keeps_mappings(struct kunit *test)
{
	struct ptsel_partition *p = new_part(test, RADIX);
	u64 base = 4 * SZ_1G_ULL, size = 4 * SZ_2M_ULL;
	u32 leaves = 0;

	/* 4K and 2M leaves plus a hole and a READ-only page. */
	KUNIT_ASSERT_EQ(test, ptsel_partition_map(p, base, tgt(base), 2 * SZ_2M_ULL, RW), 0);
	KUNIT_ASSERT_EQ(test, ptsel_partition_map(p, base + 3 * SZ_2M_ULL + SZ_4K_ULL,
						  tgt(base + 3 * SZ_2M_ULL + SZ_4K_ULL),
						  16 * SZ_4K_ULL, RW), 0);
	KUNIT_ASSERT_EQ(test, ptsel_partition_protect(p, base, SZ_4K_ULL, PTSEL_PROT_READ), 0);
	KUNIT_ASSERT_EQ(test, ptsel_partition_set_region(p, base, size, HASH, &leaves), 0);
	/* One 2M leaf, 512 4K leaves from the protect split, 16 more. */
	KUNIT_EXPECT_EQ(test, leaves, 1U + 512U + 16U);
	expect_mapped(test, p, base, SZ_4K_ULL, PTSEL_PROT_READ);
	expect_mapped(test, p, base + SZ_4K_ULL, 2 * SZ_2M_ULL - SZ_4K_ULL, RW);
	expect_mapped(test, p, base + 3 * SZ_2M_ULL + SZ_4K_ULL, 16 * SZ_4K_ULL, RW);
	KUNIT_ASSERT_EQ(test, ptsel_partition_convert(p, base, size, RADIX, &leaves), 0);
	KUNIT_EXPECT_EQ(test, leaves, 1U + 512U + 16U);
	expect_mapped(test, p, base + SZ_4K_ULL, 2 * SZ_2M_ULL - SZ_4K_ULL, RW);
	KUNIT_EXPECT_EQ(test, ptsel_partition_convert(p, base, SZ_1G_ULL, HASH, NULL), -EBUSY);
	KUNIT_EXPECT_EQ(test, ptsel_partition_convert(p, 0, SZ_2M_ULL, HASH, NULL), -ENOENT);
	/* Back to the default, then change the default itself. */
	KUNIT_ASSERT_EQ(test, ptsel_partition_set_region(p, base, size, 0, NULL), 0);
	KUNIT_ASSERT_EQ(test, ptsel_partition_set_region(p, 0, 0, HASH, &leaves), 0);
	KUNIT_EXPECT_EQ(test, leaves, 1U + 512U + 16U);
	expect_mapped(test, p, base, SZ_4K_ULL, PTSEL_PROT_READ);
	expect_mapped(test, p, base + 3 * SZ_2M_ULL + SZ_4K_ULL, 16 * SZ_4K_ULL, RW);
	ptsel_partition_put(p);
}

struct lookup_thread {
	struct ptsel_partition *p;
	u64 base, size, split;	/* 4K leaves below @split, 2M above */
	bool use_walker;
	atomic_long_t lookups, bad;
	struct completion started;
};

static int lookup_fn(void *arg)
{
	struct lookup_thread *lt = arg;
	struct ptsel_walker *w = NULL;
	struct ptsel_xlate x;
	u64 off = 0;
	int ret;

	if (lt->use_walker) {
		w = ptsel_walker_create();
		if (IS_ERR(w))
			w = NULL;
		else
			ptsel_walker_switch(w, lt->p);
	}
	complete(&lt->started);
	while (!kthread_should_stop()) {
		u64 a = lt->base + off;

		ret = w ? ptsel_walker_translate(w, a, &x) :
			  ptsel_partition_translate(lt->p, a, &x);
		if (ret || x.target != tgt(a) + (a < lt->split ? SZ_4K_ULL : 0))
			atomic_long_inc(&lt->bad);
		atomic_long_inc(&lt->lookups);
		off = (off + 0x1f000) % lt->size;
		cond_resched();
	}
	if (w)
		ptsel_walker_destroy(w);
	else if (lt->use_walker)
		atomic_long_inc(&lt->bad);	/* no walker: report it */
	return 0;
}

/*
 * Convert a region back and forth while two kthreads translate it, one
 * straight from the tables and one through a walker: no lookup may
 * miss or see a wrong target. All three run on one CPU: under TCG the
 * vCPUs take turns in long slices, so CPUs would rarely overlap, while
 * a preemptible kernel switches between threads of one CPU at any
 * tick, also in the middle of a conversion of 4096 leaves.
 */
static void convert_under_lookups(struct kunit *test)
{
	struct ptsel_partition *p = new_part(test, RADIX);
	u64 base = SZ_1G_ULL, split = base + 8 * SZ_2M_ULL;
	struct lookup_thread lt[2] = { };
	unsigned int cpu = raw_smp_processor_id();
	struct task_struct *t[2];
	long before;
	int i, n;

	set_cpus_allowed_ptr(current, cpumask_of(cpu));
	/* 16M of 4K leaves (targets 4K off), then 16M of 2M leaves. */
	KUNIT_ASSERT_EQ(test, ptsel_partition_map(p, base, tgt(base) + SZ_4K_ULL,
						  split - base, RW), 0);
	KUNIT_ASSERT_EQ(test, ptsel_partition_map(p, split, tgt(split),
						  8 * SZ_2M_ULL, RW), 0);
	for (i = 0; i < 2; i++) {
		lt[i] = (struct lookup_thread){ .p = p, .base = base,
						.size = 16 * SZ_2M_ULL,
						.split = split, .use_walker = i };
		init_completion(&lt[i].started);
		t[i] = kthread_create(lookup_fn, &lt[i], "ptsel_lookup%d", i);
		KUNIT_ASSERT_FALSE(test, IS_ERR(t[i]));
		kthread_bind(t[i], cpu);
		wake_up_process(t[i]);
		wait_for_completion(&lt[i].started);
	}
	for (n = 0; n < 20; n++) {
		before = atomic_long_read(&lt[0].lookups);
		KUNIT_EXPECT_EQ(test, ptsel_partition_set_region(p, base, SZ_1G_ULL,
								  n & 1 ? RADIX : HASH,
								  NULL), 0);
		/* Let the readers run against each format in turn. */
		for (i = 0; i < 100 && atomic_long_read(&lt[0].lookups) < before + 50; i++)
			usleep_range(1000, 2000);
	}
	for (i = 0; i < 2; i++) {
		kthread_stop(t[i]);
		KUNIT_EXPECT_GT(test, atomic_long_read(&lt[i].lookups), 100L);
		KUNIT_EXPECT_EQ(test, atomic_long_read(&lt[i].bad), 0L);
	}
	set_cpus_allowed_ptr(current, cpu_possible_mask);
	ptsel_partition_put(p);
}

/* A walker keeps an address space's TLB entries while it is listed. */
#define A(i)	(SZ_1G_ULL + (i) * SZ_2M_ULL)

static void walker_retention(struct kunit *test)
{
	struct ptsel_partition *p[8];
	struct ptsel_walker_stats st;
	struct ptsel_walker *w;
	struct ptsel_xlate x;
	u64 hits;
	int i;

	w = ptsel_walker_create();
	KUNIT_ASSERT_FALSE(test, IS_ERR(w));
	KUNIT_EXPECT_EQ(test, ptsel_walker_translate(w, 0, &x), -EINVAL);
	for (i = 0; i < 8; i++) {
		p[i] = new_part(test, i & 1 ? HASH : RADIX);
		/* Distinct pages, so no TLB set overflows with them. */
		KUNIT_ASSERT_EQ(test, ptsel_partition_map(p[i], A(i), tgt(A(i)),
							  SZ_4K_ULL, RW), 0);
	}
	KUNIT_EXPECT_FALSE(test, ptsel_walker_switch(w, p[0]));
	KUNIT_ASSERT_EQ(test, ptsel_walker_translate(w, A(0), &x), 0);
	KUNIT_EXPECT_NE(test, x.mem_refs, 0U);
	/* Five others: with the default six slots p[0] stays listed. */
	for (i = 1; i < 6; i++) {
		KUNIT_EXPECT_FALSE(test, ptsel_walker_switch(w, p[i]));
		KUNIT_ASSERT_EQ(test, ptsel_walker_translate(w, A(i), &x), 0);
		KUNIT_EXPECT_EQ(test, x.target, tgt(A(i)));
	}
	ptsel_walker_stats(w, &st);
	hits = st.tlb.hits;
	KUNIT_EXPECT_TRUE(test, ptsel_walker_switch(w, p[0]));
	KUNIT_ASSERT_EQ(test, ptsel_walker_translate(w, A(0), &x), 0);
	KUNIT_EXPECT_EQ(test, x.target, tgt(A(0)));
	KUNIT_EXPECT_EQ(test, x.mem_refs, 0U);
	ptsel_walker_stats(w, &st);
	KUNIT_EXPECT_EQ(test, st.tlb.hits, hits + 1);
	KUNIT_EXPECT_EQ(test, st.tlb.flushes_avoided, 1ULL);
	/* Six others push p[0] out of the list. */
	for (i = 2; i < 8; i++)
		ptsel_walker_switch(w, p[i]);
	KUNIT_EXPECT_FALSE(test, ptsel_walker_switch(w, p[0]));
	KUNIT_ASSERT_EQ(test, ptsel_walker_translate(w, A(0), &x), 0);
	KUNIT_EXPECT_NE(test, x.mem_refs, 0U);
	ptsel_walker_destroy(w);
	for (i = 0; i < 8; i++)
		ptsel_partition_put(p[i]);
}

#undef A

/* Updates reach the walker's TLB and walk cache at once. */
static void walker_invalidation(struct kunit *test)
{
	struct ptsel_partition *p = new_part(test, RADIX);
	struct ptsel_walker *w = ptsel_walker_create();
	u64 a = 7 * SZ_1G_ULL + 5 * SZ_2M_ULL;
	struct ptsel_xlate x;

	KUNIT_ASSERT_FALSE(test, IS_ERR(w));
	ptsel_walker_switch(w, p);
	KUNIT_ASSERT_EQ(test, ptsel_partition_map(p, a, tgt(a), 2 * SZ_4K_ULL, RW), 0);
	KUNIT_ASSERT_EQ(test, ptsel_walker_translate(w, a, &x), 0);
	KUNIT_ASSERT_EQ(test, ptsel_walker_translate(w, a, &x), 0);
	KUNIT_EXPECT_EQ(test, x.mem_refs, 0U);
	KUNIT_ASSERT_EQ(test, ptsel_partition_protect(p, a, SZ_4K_ULL, PTSEL_PROT_READ), 0);
	KUNIT_ASSERT_EQ(test, ptsel_walker_translate(w, a, &x), 0);
	KUNIT_EXPECT_EQ(test, x.prot, (u32)PTSEL_PROT_READ);
	KUNIT_ASSERT_EQ(test, ptsel_partition_remap(p, a, SZ_4K_ULL, tgt(a) + SZ_1G_ULL), 0);
	KUNIT_ASSERT_EQ(test, ptsel_walker_translate(w, a + 1, &x), 0);
	KUNIT_EXPECT_EQ(test, x.target, tgt(a) + SZ_1G_ULL + 1);
	KUNIT_EXPECT_EQ(test, x.prot, (u32)PTSEL_PROT_READ);
	/* Unmapping both pages frees tables: the walk cache must forget. */
	KUNIT_ASSERT_EQ(test, ptsel_partition_unmap(p, a, 2 * SZ_4K_ULL), 0);
	KUNIT_EXPECT_EQ(test, ptsel_walker_translate(w, a, &x), -ENOENT);
	KUNIT_EXPECT_EQ(test, ptsel_walker_translate(w, a + SZ_4K_ULL, &x), -ENOENT);
	KUNIT_ASSERT_EQ(test, ptsel_partition_map(p, a, tgt(a), SZ_4K_ULL, RW), 0);
	KUNIT_ASSERT_EQ(test, ptsel_walker_translate(w, a, &x), 0);
	KUNIT_EXPECT_EQ(test, x.target, tgt(a));
	ptsel_walker_destroy(w);
	ptsel_partition_put(p);
}

/*
 * A walker that switched away from a partition keeps what it cached of
 * it, but an update made meanwhile must not reach it through that: not
 * through a kept TLB entry (protect, remap, unmap) and not through a
 * kept walk-cache table (an unmap that freed the tables, then a map that
 * built new ones). Walkers of other partitions are not invalidated.
 */
static void walker_switch_back(struct kunit *test)
{
	struct ptsel_partition *p = new_part(test, RADIX);
	struct ptsel_partition *q = new_part(test, RADIX);
	struct ptsel_partition *r[6];
	struct ptsel_walker *w = ptsel_walker_create();
	struct ptsel_walker *u = ptsel_walker_create();
	u64 a = 9 * SZ_1G_ULL + 3 * SZ_2M_ULL, inval;
	struct ptsel_walker_stats st;
	struct ptsel_xlate x;
	int i;

	KUNIT_ASSERT_FALSE(test, IS_ERR(w));
	KUNIT_ASSERT_FALSE(test, IS_ERR(u));
	KUNIT_ASSERT_EQ(test, ptsel_partition_map(p, a, tgt(a), 2 * SZ_4K_ULL, RW), 0);
	KUNIT_ASSERT_EQ(test, ptsel_partition_map(q, a, tgt(a), SZ_4K_ULL, RW), 0);
	ptsel_walker_switch(u, q);
	KUNIT_ASSERT_EQ(test, ptsel_walker_translate(u, a, &x), 0);
	ptsel_walker_stats(u, &st);
	inval = st.tlb.invalidations;

	/* Protect while away: the kept TLB entry must go. */
	ptsel_walker_switch(w, p);
	KUNIT_ASSERT_EQ(test, ptsel_walker_translate(w, a, &x), 0);
	ptsel_walker_switch(w, q);
	KUNIT_ASSERT_EQ(test, ptsel_partition_protect(p, a, SZ_4K_ULL, PTSEL_PROT_READ), 0);
	KUNIT_EXPECT_FALSE(test, ptsel_walker_switch(w, p));
	KUNIT_ASSERT_EQ(test, ptsel_walker_translate(w, a, &x), 0);
	KUNIT_EXPECT_EQ(test, x.prot, (u32)PTSEL_PROT_READ);

	/* No update while away: the entries are kept. */
	ptsel_walker_switch(w, q);
	KUNIT_EXPECT_TRUE(test, ptsel_walker_switch(w, p));
	KUNIT_ASSERT_EQ(test, ptsel_walker_translate(w, a, &x), 0);
	KUNIT_EXPECT_EQ(test, x.mem_refs, 0U);

	/* Remap while away. */
	ptsel_walker_switch(w, q);
	KUNIT_ASSERT_EQ(test, ptsel_partition_remap(p, a, SZ_4K_ULL, tgt(a) + SZ_1G_ULL), 0);
	ptsel_walker_switch(w, p);
	KUNIT_ASSERT_EQ(test, ptsel_walker_translate(w, a + 1, &x), 0);
	KUNIT_EXPECT_EQ(test, x.target, tgt(a) + SZ_1G_ULL + 1);

	/* Unmap (tables freed) and map again (new tables) while away. */
	KUNIT_ASSERT_EQ(test, ptsel_walker_translate(w, a + SZ_4K_ULL, &x), 0);
	ptsel_walker_switch(w, q);
	KUNIT_ASSERT_EQ(test, ptsel_partition_unmap(p, a, 2 * SZ_4K_ULL), 0);
	KUNIT_ASSERT_EQ(test, ptsel_partition_map(p, a + SZ_4K_ULL, tgt(a) + 2 * SZ_1G_ULL,
						  SZ_4K_ULL, RW), 0);
	ptsel_walker_switch(w, p);
	KUNIT_EXPECT_EQ(test, ptsel_walker_translate(w, a, &x), -ENOENT);
	KUNIT_ASSERT_EQ(test, ptsel_walker_translate(w, a + SZ_4K_ULL, &x), 0);
	KUNIT_EXPECT_EQ(test, x.target, tgt(a) + 2 * SZ_1G_ULL);

	/* Away long enough for the TLB to recycle p's slot. */
	for (i = 0; i < ARRAY_SIZE(r); i++) {
		r[i] = new_part(test, RADIX);
		ptsel_walker_switch(w, r[i]);
	}
	KUNIT_ASSERT_EQ(test, ptsel_partition_unmap(p, a + SZ_4K_ULL, SZ_4K_ULL), 0);
	KUNIT_ASSERT_EQ(test, ptsel_partition_map(p, a + SZ_4K_ULL, tgt(a),
						  SZ_4K_ULL, RW), 0);
	KUNIT_EXPECT_FALSE(test, ptsel_walker_switch(w, p));
	KUNIT_ASSERT_EQ(test, ptsel_walker_translate(w, a + SZ_4K_ULL, &x), 0);
	KUNIT_EXPECT_EQ(test, x.target, tgt(a));

	/* None of that invalidated the walker of q. */
	ptsel_walker_stats(u, &st);
	KUNIT_EXPECT_EQ(test, st.tlb.invalidations, inval);
	KUNIT_ASSERT_EQ(test, ptsel_walker_translate(u, a, &x), 0);
	KUNIT_EXPECT_EQ(test, x.mem_refs, 0U);

	ptsel_walker_destroy(w);
	ptsel_walker_destroy(u);
	for (i = 0; i < ARRAY_SIZE(r); i++)
		ptsel_partition_put(r[i]);
	ptsel_partition_put(q);
	ptsel_partition_put(p);
}

static void lookup_update(struct kunit *test)
{
	struct ptsel_partition *p = new_part(test, HASH);
	u64 a = SZ_1G_ULL, gen = 0, old;
	struct ptsel_xlate x;

	KUNIT_ASSERT_EQ(test, ptsel_partition_map(p, a, tgt(a), SZ_2M_ULL, RW), 0);
	KUNIT_EXPECT_EQ(test, ptsel_partition_lookup_update(p, a, &gen, &x), 0);
	KUNIT_EXPECT_EQ(test, x.target, tgt(a));
	old = gen;
	/* Move one 4K page of the 2M leaf to a target that is not 2M aligned. */
	KUNIT_ASSERT_EQ(test, ptsel_partition_remap(p, a + SZ_4K_ULL, SZ_4K_ULL, 0x5000), 0);
	KUNIT_EXPECT_EQ(test, ptsel_partition_lookup_update(p, a + SZ_4K_ULL + 3, &gen, &x), 1);
	KUNIT_EXPECT_EQ(test, x.target, 0x5003ULL);
	KUNIT_EXPECT_EQ(test, gen, old + 1);
	KUNIT_EXPECT_EQ(test, ptsel_partition_lookup_update(p, a + SZ_4K_ULL, &gen, &x), 0);
	/* A page the move did not cover is not reported. */
	gen = old;
	KUNIT_EXPECT_EQ(test, ptsel_partition_lookup_update(p, a, &gen, &x), 0);
	KUNIT_EXPECT_EQ(test, x.target, tgt(a));
	expect_mapped(test, p, a + 2 * SZ_4K_ULL, SZ_2M_ULL - 2 * SZ_4K_ULL, RW);
	KUNIT_EXPECT_EQ(test, ptsel_partition_remap(p, a + SZ_2M_ULL - SZ_4K_ULL,
						    2 * SZ_4K_ULL, 0), -ENOENT);
	KUNIT_EXPECT_EQ(test, ptsel_partition_remap(p, a, SZ_4K_ULL, 0x123), -EINVAL);
	KUNIT_EXPECT_EQ(test, ptsel_partition_lookup_update(p, 0, &gen, &x), -ENOENT);
	ptsel_partition_put(p);
}

/*
 * Table memory runs out part way: a map across regions and a
 * conversion each fail whole, leaving every translation and counter as
 * they were.
 */
static void limits_mid_update(struct kunit *test)
{
	struct ptsel_partition *p = new_part(test, RADIX);
	struct ptsel_partition_stats st, st2;
	u64 base = 8 * SZ_1G_ULL;
	struct ptsel_xlate x;

	KUNIT_ASSERT_EQ(test, ptsel_partition_set_region(p, base + SZ_1G_ULL, SZ_1G_ULL,
							 HASH, NULL), 0);
	KUNIT_ASSERT_EQ(test, ptsel_partition_map(p, base, tgt(base), 256 * SZ_4K_ULL, RW), 0);
	ptsel_partition_stats(p, &st);
	/* Room for nothing more: the radix span maps, the hashed one fails. */
	ptsel_partition_set_limits(p, DIV_ROUND_UP(st.table_bytes, PAGE_SIZE) + 1, 0);
	KUNIT_EXPECT_EQ(test, ptsel_partition_map(p, base + SZ_1G_ULL - 8 * SZ_4K_ULL,
						  0x40000000, 4096 * SZ_4K_ULL, RW), -ENOMEM);
	KUNIT_EXPECT_EQ(test, ptsel_partition_translate(p, base + SZ_1G_ULL - SZ_4K_ULL, &x),
			-ENOENT);
	/* Converting 256 4K leaves to hashed needs a bigger table. */
	KUNIT_EXPECT_EQ(test, ptsel_partition_set_region(p, base, SZ_1G_ULL, HASH, NULL),
			-ENOMEM);
	ptsel_partition_stats(p, &st2);
	KUNIT_EXPECT_EQ(test, st2.mapped_pages, st.mapped_pages);
	KUNIT_EXPECT_EQ(test, st2.table_bytes, st.table_bytes);
	KUNIT_EXPECT_EQ(test, st2.regions, 1ULL);
	KUNIT_EXPECT_EQ(test, st2.conversions, st.conversions);
	expect_mapped(test, p, base, 256 * SZ_4K_ULL, RW);
	/* The mapped-pages limit. */
	ptsel_partition_set_limits(p, 0, 256);
	KUNIT_EXPECT_EQ(test, ptsel_partition_map(p, 0, 0, SZ_4K_ULL, RW), -ENOSPC);
	ptsel_partition_set_limits(p, 0, 0);
	KUNIT_EXPECT_EQ(test, ptsel_partition_map(p, 0, 0, SZ_4K_ULL, RW), 0);
	ptsel_partition_put(p);
}

/* Table pages @p holds, as ptsel_partition_set_limits() counts them. */
static unsigned long table_pages(struct ptsel_partition *p)
{
	struct ptsel_partition_stats st;

	ptsel_partition_stats(p, &st);
	return DIV_ROUND_UP(st.table_bytes, PAGE_SIZE);
}

/*
 * Declaring a region in the format it has already cuts the leaves that
 * straddle its edges, as any region declaration does. Then an unmap
 * across an edge needs no table; before, it needed a split in the
 * middle of its range, whose failure kept the mapping and still took
 * the pages off the count.
 */
static void same_format_region_splits(struct kunit *test)
{
	struct ptsel_partition *p = new_part(test, RADIX);
	struct ptsel_partition_stats st;
	struct ptsel_xlate x;

	KUNIT_ASSERT_EQ(test, ptsel_partition_map(p, 0, tgt(0), SZ_2M_ULL, RW), 0);
	KUNIT_ASSERT_EQ(test, ptsel_partition_set_region(p, SZ_1M_ULL, SZ_1M_ULL,
							 RADIX, NULL), 0);
	KUNIT_ASSERT_EQ(test, ptsel_partition_translate(p, SZ_1M_ULL, &x), 0);
	KUNIT_EXPECT_EQ(test, x.level, 0U);
	expect_mapped(test, p, 0, SZ_2M_ULL, RW);
	/* Not one table more from here on. */
	ptsel_partition_set_limits(p, table_pages(p), 0);
	KUNIT_EXPECT_EQ(test, ptsel_partition_unmap(p, 0, SZ_2M_ULL), 0);
	KUNIT_EXPECT_EQ(test, ptsel_partition_translate(p, 0, &x), -ENOENT);
	KUNIT_EXPECT_EQ(test, ptsel_partition_translate(p, SZ_1M_ULL, &x), -ENOENT);
	ptsel_partition_stats(p, &st);
	KUNIT_EXPECT_EQ(test, st.mapped_pages, 0ULL);
	/* Unmapping again takes nothing off: maps still fit. */
	KUNIT_EXPECT_EQ(test, ptsel_partition_unmap(p, 0, SZ_2M_ULL), 0);
	ptsel_partition_set_limits(p, 0, 0);
	KUNIT_EXPECT_EQ(test, ptsel_partition_map(p, 0, tgt(0), SZ_4K_ULL, RW), 0);
	ptsel_partition_stats(p, &st);
	KUNIT_EXPECT_EQ(test, st.mapped_pages, 1ULL);
	ptsel_partition_put(p);
}

/*
 * Unmap, protect and remap of part of a huge leaf need a split; when it
 * cannot get memory they fail with -ENOMEM and change nothing: every
 * page keeps its translation and protection, and the count stays.
 */
static void failed_split_changes_nothing(struct kunit *test)
{
	static const u32 formats[] = { RADIX, HASH };
	struct ptsel_partition_stats st;
	struct ptsel_partition *p;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(formats); i++) {
		p = new_part(test, formats[i]);
		KUNIT_ASSERT_EQ(test, ptsel_partition_map(p, 0, tgt(0), SZ_2M_ULL, RW), 0);
		ptsel_partition_set_limits(p, table_pages(p), 0);
		KUNIT_EXPECT_EQ(test, ptsel_partition_unmap(p, SZ_4K_ULL, SZ_4K_ULL),
				-ENOMEM);
		KUNIT_EXPECT_EQ(test, ptsel_partition_protect(p, SZ_4K_ULL, SZ_4K_ULL,
							      PTSEL_PROT_READ), -ENOMEM);
		KUNIT_EXPECT_EQ(test, ptsel_partition_remap(p, SZ_4K_ULL, SZ_4K_ULL, 0),
				-ENOMEM);
		ptsel_partition_stats(p, &st);
		KUNIT_EXPECT_EQ(test, st.mapped_pages, 512ULL);
		expect_mapped(test, p, 0, SZ_2M_ULL, RW);
		ptsel_partition_set_limits(p, 0, 0);
		KUNIT_EXPECT_EQ(test, ptsel_partition_unmap(p, SZ_4K_ULL, SZ_4K_ULL), 0);
		ptsel_partition_stats(p, &st);
		KUNIT_EXPECT_EQ(test, st.mapped_pages, 511ULL);
		ptsel_partition_put(p);
	}
}

/*
 * Limits of its own replace the knobs for a partition, 0 lifts them,
 * and PTSEL_LIMIT_KNOB gives them back to the knobs. With the knobs at
 * their defaults (4096 table pages, 2^24 mapped pages), this partition
 * goes past both.
 */
static void own_limits_replace_knobs(struct kunit *test)
{
	struct ptsel_partition *p = new_part(test, RADIX);
	struct ptsel_partition_stats st;
	int i, ret = 0;

	ptsel_partition_set_limits(p, 0, 0);
	/* 65 GiB in 1 GiB leaves: more pages than 64 GiB, few tables. */
	KUNIT_EXPECT_EQ(test, ptsel_partition_map(p, 0, 0, 65 * SZ_1G_ULL, RW), 0);
	/* 4 KiB pages 1 GiB apart take a PMD and a PTE table each. */
	for (i = 0; i < 2100 && !ret; i++)
		ret = ptsel_partition_map(p, (128 + i) * SZ_1G_ULL, 0, SZ_4K_ULL, RW);
	KUNIT_EXPECT_EQ(test, ret, 0);
	ptsel_partition_stats(p, &st);
	KUNIT_EXPECT_GT(test, st.table_bytes, 4096ULL * PAGE_SIZE);
	/* And limits of its own bound it again, below the knobs. */
	ptsel_partition_set_limits(p, table_pages(p), 0);
	KUNIT_EXPECT_EQ(test, ptsel_partition_map(p, 4096 * SZ_1G_ULL, 0, SZ_4K_ULL, RW),
			-ENOMEM);
	ptsel_partition_set_limits(p, 0, st.mapped_pages);
	KUNIT_EXPECT_EQ(test, ptsel_partition_map(p, 65 * SZ_1G_ULL, 0, SZ_4K_ULL, RW),
			-ENOSPC);
	/* PTSEL_LIMIT_KNOB gives both back to the knobs, which it exceeds. */
	ptsel_partition_set_limits(p, 0, PTSEL_LIMIT_KNOB);
	KUNIT_EXPECT_EQ(test, ptsel_partition_map(p, 65 * SZ_1G_ULL, 0, SZ_4K_ULL, RW),
			-ENOSPC);
	ptsel_partition_set_limits(p, PTSEL_LIMIT_KNOB, 0);
	KUNIT_EXPECT_EQ(test, ptsel_partition_map(p, 4097 * SZ_1G_ULL, 0, SZ_4K_ULL, RW),
			-ENOMEM);
	ptsel_partition_put(p);
}

static struct kunit_case ptsel_part_cases[] = {
	KUNIT_CASE(region_set),
	KUNIT_CASE(move_log),
	KUNIT_CASE(map_across_regions),
	KUNIT_CASE(convert_keeps_mappings),
	KUNIT_CASE_SLOW(convert_under_lookups),
	KUNIT_CASE(walker_retention),
	KUNIT_CASE(walker_invalidation),
	KUNIT_CASE(walker_switch_back),
	KUNIT_CASE(lookup_update),
	KUNIT_CASE(limits_mid_update),
	KUNIT_CASE(same_format_region_splits),
	KUNIT_CASE(failed_split_changes_nothing),
	KUNIT_CASE_SLOW(own_limits_replace_knobs),
	{}
};

static struct kunit_suite ptsel_part_suite = {
	.name = "ptsel_partition",
	.test_cases = ptsel_part_cases,
};

kunit_test_suites(&ptsel_part_suite);

MODULE_DESCRIPTION("KUnit tests for ptsel partitions and walkers");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(PTSEL);
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
