// SPDX-License-Identifier: GPL-2.0
/*
 * Lock-free lookups against updates on a weakly ordered CPU, in the
 * model of shim_weakmem.h: part.c, radix.c and hash.c built with
 * SHIM_WEAKMEM, and lookups run in the middle of an update (at the
 * grace period of a conversion) or right after it (a split), each of
 * their loads free to see the update's old or new value where the
 * lookup's barriers allow. Every page that stays mapped across the
 * update must translate, to its target, in every one of them: "a
 * lookup sees the old or the new table, never a miss". Prints TAP;
 * each line names its seed (-s SEED repeats one round).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <linux/kernel.h>
#include <linux/rcupdate.h>
#include <shim_weakmem.h>

#include "ptsel_internal.h"

#define PG	PTSEL_PAGE_SIZE
#define SZ_2M	(2ULL << 20)
#define SZ_4M	(4ULL << 20)
#define SZ_1G	(1ULL << 30)
#define RW	(PTSEL_PROT_READ | PTSEL_PROT_WRITE)

static unsigned int tests, failed;
static unsigned int trials = 16;

static void ok(bool cond, const char *what, u64 seed)
{
	tests++;
	failed += !cond;
	printf("%sok %u - %s (seed %llu)\n", cond ? "" : "not ", tests,
	       what, seed);
}

/* What the readers check: [base, base + size) but @hole. */
static struct {
	struct ptsel_partition *p;
	u64 base, size, hole;
	u64 target[2];		/* of each 2M half */
	u64 seed;
	unsigned long reads, misses, stale;
} rd;

static u64 expect(u64 a)
{
	unsigned int half = (a - rd.base) / SZ_2M;

	return rd.target[half] + (a - rd.base) % SZ_2M;
}

/* Every page, @trials lookups each, with the model's choices. */
static void read_range(void)
{
	unsigned long stale = shim_wm_stale;
	struct ptsel_xlate x;
	unsigned int t;
	u64 a;

	for (a = rd.base; a < rd.base + rd.size; a += PG) {
		if (a == rd.hole)
			continue;
		for (t = 0; t < trials; t++) {
			int ret;

			shim_wm_read_begin(rd.seed++);
			ret = ptsel_partition_translate(rd.p, a, &x);
			shim_wm_read_end();
			rd.reads++;
			if (!ret && x.target == expect(a))
				continue;
			if (!rd.misses)
				printf("# 0x%llx: ret %d target 0x%llx, expected 0x%llx\n",
				       a, ret, ret ? 0 : x.target, expect(a));
			rd.misses++;
		}
	}
	rd.stale += shim_wm_stale - stale;
}

/*
 * A partition of @format with [base, base + 4M): a 2M leaf, then 512
 * 4K leaves (their target is not 2M aligned).
 */
static struct ptsel_partition *setup(u32 format, u64 seed, bool second)
{
	struct ptsel_partition *p = ptsel_partition_create(format);
	u64 r = seed * 0x9e3779b97f4a7c15ull;

	ptsel_partition_set_limits(p, 0, 0);
	rd.p = p;
	rd.base = (r % 4096) * SZ_4M;
	rd.size = second ? SZ_4M : SZ_2M;
	rd.target[0] = ((r >> 12) % 4096) * SZ_2M;
	rd.target[1] = ((r >> 24) % 4096) * SZ_2M + SZ_1G * 8 +
		       ((r >> 36) % 511 + 1) * PG;
	rd.hole = ~0ULL;
	rd.seed = seed << 20;
	if (ptsel_partition_map(p, rd.base, rd.target[0], SZ_2M, RW) ||
	    (second && ptsel_partition_map(p, rd.base + SZ_2M, rd.target[1],
					   SZ_2M, RW))) {
		ptsel_partition_put(p);
		return NULL;
	}
	return p;
}

static void finish(const char *what, u64 seed, int ret)
{
	rcu_barrier();
	ptsel_partition_put(rd.p);
	shim_rcu_quiesce();
	printf("# %s: %lu lookups, %lu loads saw an old value, %lu missed\n",
	       what, rd.reads, rd.stale, rd.misses);
	ok(!ret && rd.reads && rd.stale && !rd.misses, what, seed);
	rd.reads = rd.misses = rd.stale = 0;
}

/* Lookups at the conversion's grace period: old and new region set. */
static void convert(u32 from, u32 to, const char *what, u64 seed)
{
	int ret = -ENOMEM;

	if (setup(from, seed, true)) {
		shim_wm_record(true);
		shim_sync_hook = read_range;
		ret = ptsel_partition_set_region(rd.p, rd.base, SZ_4M, to, NULL);
		shim_sync_hook = NULL;
		shim_wm_record(false);
	}
	finish(what, seed, ret);
}

/*
 * Room for 512 more leaves: the hashed table grows for 1536 4K leaves,
 * and keeps its size with 512, so that a split does not rehash.
 */
static int make_room(void)
{
	u64 far = rd.base ^ (SZ_1G * 64), t = SZ_1G * 16 + PG;

	return ptsel_partition_map(rd.p, far, t, 3 * SZ_2M, RW) ?:
	       ptsel_partition_unmap(rd.p, far, 2 * SZ_2M);
}

/*
 * Lookups right after a 2M leaf was split, before any grace period; in
 * a hashed table that grows for the small leaves, or that has room.
 */
static void split(u32 format, bool unmap, bool room, const char *what,
		  u64 seed)
{
	int ret = -ENOMEM;

	if (setup(format, seed, false) && !(room && make_room())) {
		u64 a = rd.base + (seed % 512) * PG;

		shim_wm_record(true);
		if (unmap) {
			ret = ptsel_partition_unmap(rd.p, a, PG);
			rd.hole = a;
		} else {
			ret = ptsel_partition_protect(rd.p, a, PG,
						      PTSEL_PROT_READ);
		}
		shim_wm_record(false);
		if (!ret)
			read_range();
	}
	finish(what, seed, ret);
}

int main(int argc, char **argv)
{
	u64 seed = time(NULL);
	int c, runs = 4;

	while ((c = getopt(argc, argv, "s:t:")) != -1) {
		if (c == 's') {
			seed = strtoull(optarg, NULL, 0);
			runs = 1;
		} else if (c == 't') {
			trials = strtoul(optarg, NULL, 0);
		}
	}
	printf("TAP version 13\n1..%d\n", runs * 8);
	for (c = 0; c < runs; c++, seed++) {
		convert(PTSEL_FORMAT_RADIX, PTSEL_FORMAT_HASH,
			"radix -> hashed conversion, lookups at its grace period", seed);
		convert(PTSEL_FORMAT_HASH, PTSEL_FORMAT_RADIX,
			"hashed -> radix conversion, lookups at its grace period", seed);
		split(PTSEL_FORMAT_HASH, false, false,
		      "hashed 2M leaf split by a protect (rehash), lookups after it", seed);
		split(PTSEL_FORMAT_HASH, true, false,
		      "hashed 2M leaf split by an unmap (rehash), lookups after it", seed);
		split(PTSEL_FORMAT_HASH, false, true,
		      "hashed 2M leaf split by a protect in place, lookups after it", seed);
		split(PTSEL_FORMAT_HASH, true, true,
		      "hashed 2M leaf split by an unmap in place, lookups after it", seed);
		split(PTSEL_FORMAT_RADIX, false, false,
		      "radix 2M leaf split by a protect, lookups after it", seed);
		split(PTSEL_FORMAT_RADIX, true, false,
		      "radix 2M leaf split by an unmap, lookups after it", seed);
	}
	return failed ? 1 : 0;
}
