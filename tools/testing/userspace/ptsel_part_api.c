// SPDX-License-Identifier: GPL-2.0
/*
 * Fixed checks of the partition API (part.c, walker.c) built in
 * userspace: a partition's limits going back to the knobs, remap under
 * every allocation failure (all or nothing), and a dead partition's
 * TLB slot handed back to the walkers that kept it. Prints TAP.
 */
#include <stdio.h>
#include <stdlib.h>

#include <linux/err.h>
#include <linux/kernel.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>

#include "ptsel_internal.h"

#define PG	PTSEL_PAGE_SIZE
#define SZ_2M	(2ULL << 20)
#define SZ_1G	(1ULL << 30)
#define RW	(PTSEL_PROT_READ | PTSEL_PROT_WRITE)

static unsigned int tests, failed;

static void ok(bool cond, const char *what)
{
	tests++;
	failed += !cond;
	printf("%sok %u - %s\n", cond ? "" : "not ", tests, what);
}

static unsigned long table_pages(struct ptsel_partition *p)
{
	struct ptsel_partition_stats st;

	ptsel_partition_stats(p, &st);
	return DIV_ROUND_UP(st.table_bytes, PG);
}

/*
 * Limits of its own replace the knobs; PTSEL_LIMIT_KNOB gives each back
 * to its knob, whose value at the time of each map applies.
 */
static void limits_follow_knobs(void)
{
	unsigned long knob_mapped = ptsel_max_mapped_pages;
	unsigned long knob_tables = ptsel_max_table_pages;
	struct ptsel_partition *p = ptsel_partition_create(PTSEL_FORMAT_RADIX);
	bool mapped_ok, tables_ok;

	ptsel_max_mapped_pages = 16;
	mapped_ok = !ptsel_partition_map(p, 0, SZ_1G, 16 * PG, RW) &&
		    ptsel_partition_map(p, 16 * PG, SZ_1G, PG, RW) == -ENOSPC;
	ptsel_partition_set_limits(p, 0, 0);
	mapped_ok &= !ptsel_partition_map(p, 16 * PG, SZ_1G, PG, RW);
	ptsel_partition_set_limits(p, PTSEL_LIMIT_KNOB, PTSEL_LIMIT_KNOB);
	mapped_ok &= ptsel_partition_map(p, 17 * PG, SZ_1G, PG, RW) == -ENOSPC;
	/* The knob's current value, not the one at the call. */
	ptsel_max_mapped_pages = 18;
	mapped_ok &= !ptsel_partition_map(p, 17 * PG, SZ_1G, PG, RW) &&
		     ptsel_partition_map(p, 18 * PG, SZ_1G, PG, RW) == -ENOSPC;
	ok(mapped_ok, "mapped pages: knob, none of its own, knob again (-ENOSPC)");

	/* A page 512 GiB away needs three new tables. */
	ptsel_max_mapped_pages = knob_mapped;
	ptsel_max_table_pages = table_pages(p);
	tables_ok = ptsel_partition_map(p, 512 * SZ_1G, 0, PG, RW) == -ENOMEM;
	ptsel_partition_set_limits(p, 0, PTSEL_LIMIT_KNOB);
	tables_ok &= !ptsel_partition_map(p, 512 * SZ_1G, 0, PG, RW);
	ptsel_partition_set_limits(p, PTSEL_LIMIT_KNOB, PTSEL_LIMIT_KNOB);
	ptsel_max_table_pages = table_pages(p);
	tables_ok &= ptsel_partition_map(p, 1024 * SZ_1G, 0, PG, RW) == -ENOMEM;
	ok(tables_ok, "table pages: knob, none of its own, knob again (-ENOMEM)");
	ptsel_max_table_pages = knob_tables;
	ptsel_partition_put(p);
}

/*
 * A range whose move needs splits: 2M leaves cut by both ends of the
 * range, and a 1G leaf between them whose new target is 2M but not 1G
 * aligned. The 1G leaf is in a region of the other format, so that the
 * move has three spans, and one that failed after another moved would
 * show.
 */
#define R_ADDR	(SZ_1G - SZ_2M + 3 * PG)
#define R_END	(2 * SZ_1G + 5 * PG)
#define R_NEW	(64 * SZ_1G + 3 * PG)

static struct ptsel_partition *remap_setup(u32 format)
{
	struct ptsel_partition *p = ptsel_partition_create(format);
	u32 other = format == PTSEL_FORMAT_RADIX ? PTSEL_FORMAT_HASH :
						   PTSEL_FORMAT_RADIX;

	if (IS_ERR(p))
		return NULL;
	if (ptsel_partition_set_region(p, SZ_1G, SZ_1G, other, NULL) ||
	    ptsel_partition_map(p, SZ_1G - SZ_2M, 8 * SZ_1G, SZ_2M, RW) ||
	    ptsel_partition_map(p, SZ_1G, 16 * SZ_1G, SZ_1G, RW) ||
	    ptsel_partition_map(p, 2 * SZ_1G, 32 * SZ_1G, SZ_2M, RW)) {
		ptsel_partition_put(p);
		return NULL;
	}
	return p;
}

/* Pages outside, inside and at the edges of the range. */
static const u64 probe_addr[] = {
	SZ_1G - SZ_2M, R_ADDR - PG, R_ADDR, R_ADDR + PG, SZ_1G - PG, SZ_1G,
	SZ_1G + SZ_2M + 7 * PG, 2 * SZ_1G - PG, 2 * SZ_1G, R_END - PG, R_END,
	2 * SZ_1G + SZ_2M - PG,
};

static u64 old_target(u64 a)
{
	if (a < SZ_1G)
		return 8 * SZ_1G + a - (SZ_1G - SZ_2M);
	if (a < 2 * SZ_1G)
		return 16 * SZ_1G + a - SZ_1G;
	return 32 * SZ_1G + a - 2 * SZ_1G;
}

/* 1: all old, 2: all new, 0: a mix or a miss. */
static int remap_state(struct ptsel_partition *p)
{
	bool all_old = true, all_new = true;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(probe_addr); i++) {
		u64 a = probe_addr[i];
		bool inside = a >= R_ADDR && a < R_END;
		struct ptsel_xlate x;

		if (ptsel_partition_translate(p, a, &x))
			return 0;
		all_old &= x.target == old_target(a);
		all_new &= x.target == (inside ? R_NEW + a - R_ADDR : old_target(a));
	}
	return all_old ? 1 : all_new ? 2 : 0;
}

/*
 * Remap's dry pass makes every split, so the pass that moves the leaves
 * allocates nothing and cannot fail: with the n-th allocation failing,
 * for every n, a remap either moves everything or fails with -ENOMEM
 * and moves nothing.
 */
static void remap_all_or_nothing(u32 format, const char *name)
{
	unsigned int n, fails = 0, bad = 0;
	char what[160];
	int ret = -ENOMEM;

	for (n = 0; ret == -ENOMEM && n < 256; n++) {
		struct ptsel_partition *p = remap_setup(format);
		int state;

		if (!p) {
			bad++;
			break;
		}
		shim_fail_after = n;
		ret = ptsel_partition_remap(p, R_ADDR, R_END - R_ADDR, R_NEW);
		shim_fail_after = -1;
		state = remap_state(p);
		if (ret == -ENOMEM)
			fails++;
		if (!(ret == -ENOMEM && state == 1) && !(!ret && state == 2)) {
			printf("# %s: allocation %u failing: remap %d, state %d\n",
			       name, n, ret, state);
			bad++;
		}
		ptsel_partition_put(p);
		rcu_barrier();
	}
	snprintf(what, sizeof(what),
		 "%s: remap under the n-th allocation failing: %u failed whole, then it moved all",
		 name, fails);
	ok(!bad && !ret && fails > 0 && !shim_live_allocs, what);
}

/*
 * A partition that dies gives its TLB slot back: six retained ASIDs,
 * L the oldest, four that die and the current E; two new partitions
 * then take the dead ones' slots, and L's entries are still kept.
 */
static void dead_partition_slots(void)
{
	struct ptsel_walker *w = ptsel_walker_create();
	struct ptsel_partition *l, *d[4], *e, *x[2];
	struct ptsel_walker_stats st;
	struct ptsel_xlate xl;
	bool kept;
	u64 inval;
	int i;

	l = ptsel_partition_create(PTSEL_FORMAT_RADIX);
	ptsel_partition_map(l, 0, SZ_1G, PG, RW);
	ptsel_walker_switch(w, l);
	ptsel_walker_translate(w, 0, &xl);
	for (i = 0; i < 4; i++) {
		d[i] = ptsel_partition_create(PTSEL_FORMAT_RADIX);
		ptsel_partition_map(d[i], 0, SZ_1G, PG, RW);
		ptsel_walker_switch(w, d[i]);
		ptsel_walker_translate(w, 0, &xl);
	}
	e = ptsel_partition_create(PTSEL_FORMAT_RADIX);
	ptsel_walker_switch(w, e);
	ptsel_walker_stats(w, &st);
	inval = st.tlb.invalidations;
	for (i = 0; i < 4; i++)
		ptsel_partition_put(d[i]);
	ptsel_walker_stats(w, &st);
	for (i = 0; i < 2; i++) {
		x[i] = ptsel_partition_create(PTSEL_FORMAT_RADIX);
		ptsel_walker_switch(w, x[i]);
	}
	kept = ptsel_walker_switch(w, l);
	ok(kept && ptsel_retained_asids == 6 && st.tlb.invalidations == inval + 4,
	   "dead partitions' TLB slots are freed: a live one's entries stay");
	ptsel_walker_destroy(w);
	for (i = 0; i < 2; i++)
		ptsel_partition_put(x[i]);
	ptsel_partition_put(e);
	ptsel_partition_put(l);
}

int main(void)
{
	printf("TAP version 13\n");
	limits_follow_knobs();
	remap_all_or_nothing(PTSEL_FORMAT_RADIX, "radix, hashed region");
	remap_all_or_nothing(PTSEL_FORMAT_HASH, "hashed, radix region");
	dead_partition_slots();
	rcu_barrier();
	ok(!shim_live_allocs && !shim_warnings, "no leak, no warning");
	printf("1..%u\n", tests);
	return failed ? 1 : 0;
}
