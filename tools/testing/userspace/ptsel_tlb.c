// SPDX-License-Identifier: GPL-2.0
/*
 * The ptsel TLB against a model of what it caches. Each address space
 * maps page p to a target derived from (context, p, version); a
 * remap bumps the version and flushes, as the contract says. A TLB hit
 * must then always equal the current translation, and switching back to
 * a context still in the recently-active list must keep its entries.
 * Prints TAP.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/ptsel.h>

#include "ptsel_core.h"

#define NCTX	10
#define NPAGES	32
#define PG	4096ULL

static unsigned int tests, failed;
static struct ptsel_tlb_entry store[256];
static unsigned int version[NCTX][NPAGES];

static void ok(int cond, const char *what)
{
	tests++;
	if (!cond)
		failed++;
	printf("%sok %u - %s\n", cond ? "" : "not ", tests, what);
}

static u64 model(unsigned int ctx, unsigned int page)
{
	return ((u64)ctx << 40) + ((u64)version[ctx][page] << 28) + page * PG * 3;
}

/* What a table walk returns for byte @off of @page in @ctx. */
static struct ptsel_xlate walk(unsigned int ctx, unsigned int page, u64 off)
{
	return (struct ptsel_xlate){ .target = model(ctx, page) + off,
				     .prot = PTSEL_PROT_READ, .level = 0 };
}

static void retention(void)
{
	struct ptsel_tlb tlb;
	struct ptsel_xlate x = walk(0, 1, 5), y;
	unsigned int c;

	ok(ptsel_tlb_init(&tlb, store, 256, 6) == 0, "init 256 entries, 6 ASIDs");
	ok(ptsel_tlb_init(&tlb, store, 100, 6) == -EINVAL &&
	   ptsel_tlb_init(&tlb, store, 256, 0) == -EINVAL &&
	   ptsel_tlb_init(&tlb, store, 256, PTSEL_TLB_MAX_ASIDS + 1) == -EINVAL,
	   "bad sizes refused");
	ptsel_tlb_init(&tlb, store, 256, 6);
	/* Context c fills page c + 1, so no set overflows. */
	for (c = 0; c < 6; c++) {
		if (c)
			ptsel_tlb_switch(&tlb, c);
		x = walk(c, c + 1, 5);
		ptsel_tlb_fill(&tlb, (c + 1) * PG + 5, &x);
	}
	ok(ptsel_tlb_switch(&tlb, 0) && ptsel_tlb_lookup(&tlb, PG + 7, &y) &&
	   y.target == model(0, 1) + 7, "back to a listed ASID: entries kept");
	ok(tlb.stats.flushes_avoided == 1 && tlb.stats.asid_evictions == 5,
	   "one flush avoided, five slots taken");
	/* A 7th context recycles the least recently used slot: context 1. */
	ok(!ptsel_tlb_switch(&tlb, 6), "7th context takes a slot");
	/* ... and context 1 coming back takes the next oldest: context 2. */
	ok(!ptsel_tlb_switch(&tlb, 1) && !ptsel_tlb_lookup(&tlb, PG, &y),
	   "the evicted context comes back empty");
	ok(ptsel_tlb_switch(&tlb, 3) && ptsel_tlb_lookup(&tlb, 4 * PG, &y) &&
	   y.target == model(3, 4), "others kept theirs");
	ptsel_tlb_flush_range(&tlb, 3, 4 * PG, PG);
	ok(!ptsel_tlb_lookup(&tlb, 4 * PG, &y), "page flush");
	x = walk(3, 1, 0);
	ptsel_tlb_fill(&tlb, PG, &x);
	ptsel_tlb_flush_ctx(&tlb, 3);
	ok(!ptsel_tlb_lookup(&tlb, PG, &y), "ASID flush");
	ptsel_tlb_switch(&tlb, 3);
	ptsel_tlb_flush_all(&tlb);
	ok(!ptsel_tlb_lookup(&tlb, PG, &y), "flush all");

	/* Huge leaves: one 2M entry covers 512 pages. */
	x = (struct ptsel_xlate){ .target = 0x40003456, .prot = 1, .level = 1 };
	ptsel_tlb_fill(&tlb, 0x200000 + 0x3456, &x);
	ok(ptsel_tlb_lookup(&tlb, 0x3fffff, &y) && y.target == 0x401fffff &&
	   y.level == 1, "2M entry answers for the whole leaf");
	ptsel_tlb_flush_range(&tlb, 3, 0x300000, PG);
	ok(!ptsel_tlb_lookup(&tlb, 0x200000, &y), "range flush inside a 2M leaf drops it");
}

/* Random use: a hit must never be stale. */
static void random_use(void)
{
	struct ptsel_tlb tlb;
	unsigned int seed = 3, cur = 0, i, stale = 0;
	unsigned long lookups = 0;

	memset(version, 0, sizeof(version));
	ptsel_tlb_init(&tlb, store, 256, 6);
	for (i = 0; i < 200000; i++) {
		unsigned int op = rand_r(&seed) % 100, page = rand_r(&seed) % NPAGES;
		struct ptsel_xlate x;

		if (op < 5) {
			cur = rand_r(&seed) % NCTX;
			ptsel_tlb_switch(&tlb, cur);
		} else if (op < 10) {
			/* Remap a page of some context, then flush it. */
			unsigned int c = rand_r(&seed) % NCTX;

			version[c][page]++;
			ptsel_tlb_flush_range(&tlb, c, page * PG, PG);
		} else if (op < 11) {
			unsigned int c = rand_r(&seed) % NCTX, p;

			for (p = 0; p < NPAGES; p++)
				version[c][p]++;
			ptsel_tlb_flush_ctx(&tlb, c);
		} else {
			lookups++;
			if (ptsel_tlb_lookup(&tlb, page * PG + 9, &x)) {
				if (x.target != model(cur, page) + 9 && !stale++)
					printf("# stale: op %u ctx %u page %u got %llx want %llx\n",
					       i, cur, page, (unsigned long long)x.target,
					       (unsigned long long)model(cur, page) + 9);
			} else {
				x = walk(cur, page, 9);
				ptsel_tlb_fill(&tlb, page * PG + 9, &x);
			}
		}
	}
	printf("# %lu lookups, %llu hits, %llu flushes avoided, %llu ASID evictions\n",
	       lookups, (unsigned long long)tlb.stats.hits,
	       (unsigned long long)tlb.stats.flushes_avoided,
	       (unsigned long long)tlb.stats.asid_evictions);
	ok(!stale && tlb.stats.hits + tlb.stats.misses == lookups &&
	   tlb.stats.hits > lookups / 4 && tlb.stats.flushes_avoided > 0,
	   "random switches, remaps and lookups: no stale hit");
}

/*
 * Range flushes against a log of them: leaves of every size are filled
 * in several contexts, each with its fill time encoded in the target
 * (above bit 31, past any leaf offset). A hit is stale if a flush of
 * its context that overlaps the leaf came after its fill. Small ranges
 * take the entry-by-entry path, large ones the whole-context one.
 */
#define RF_OPS		40000
#define RF_SPACE	(4ULL << 30)

struct rf_flush {
	unsigned int ctx;
	u64 addr, size;
};

static struct rf_flush rf_log[RF_OPS];

static void range_flush(u64 ceiling)
{
	unsigned int seed = 11, cur = 0, i, stale = 0, nr = 0;
	unsigned long hits = 0, small = 0;
	struct ptsel_tlb tlb;

	ptsel_tlb_init(&tlb, store, 256, 6);
	tlb.flush_ceiling = ceiling;
	for (i = 1; i < RF_OPS; i++) {
		unsigned int op = rand_r(&seed) % 100, level = rand_r(&seed) % 3;
		u64 sz = ptsel_level_size(level);
		u64 a = (u64)rand_r(&seed) * PG % RF_SPACE;
		struct ptsel_xlate x = { .level = level, .prot = PTSEL_PROT_READ };

		rf_log[i].size = 0;
		if (op < 5) {
			cur = rand_r(&seed) % NCTX;
			ptsel_tlb_switch(&tlb, cur);
		} else if (op < 15) {
			/* 1 to 1023 pages, or up to 1G more: both paths. */
			u64 len = (1 + rand_r(&seed) % 1023) * PG;

			if (op < 8)
				len += (u64)rand_r(&seed) % 512 * (2ULL << 20);
			rf_log[i] = (struct rf_flush){ rand_r(&seed) % NCTX, a, len };
			nr++;
			small += len / PG < ceiling;
			ptsel_tlb_flush_range(&tlb, rf_log[i].ctx, a, len);
		} else if (op < 50) {
			x.target = (u64)i << 31;
			ptsel_tlb_fill(&tlb, a & ~(sz - 1), &x);
		} else if (ptsel_tlb_lookup(&tlb, a, &x)) {
			unsigned int seq = x.target >> 31, j;
			u64 lo = a & ~(ptsel_level_size(x.level) - 1);

			hits++;
			for (j = seq + 1; j < i; j++) {
				struct rf_flush *f = &rf_log[j];

				if (f->size && f->ctx == cur && f->addr < lo +
				    ptsel_level_size(x.level) && lo < f->addr + f->size)
					break;
			}
			if (j < i && !stale++)
				printf("# stale: op %u ctx %u addr %llx level %u filled at %u, flushed at %u\n",
				       i, cur, (unsigned long long)a, x.level, seq, j);
		}
	}
	printf("# ceiling %llu: %u flushes (%lu small), %lu hits\n",
	       (unsigned long long)ceiling, nr, small, hits);
	ok(!stale && hits > 1000, !ceiling ? "range flushes, always whole: no stale hit" :
	   ceiling > PTSEL_TLB_FLUSH_CEILING ? "range flushes, entry by entry: no stale hit" :
	   "range flushes, entry by entry and whole: no stale hit");
}

/*
 * One translation the way a walker makes it: unless the TLB bypasses
 * itself, probe it, and fill it after a walk. Returns whether it hit;
 * counts a stale hit in @stale.
 */
static bool walker_lookup(struct ptsel_tlb *tlb, unsigned int page,
			  unsigned int *stale)
{
	bool use = !ptsel_tlb_bypass(tlb);
	struct ptsel_xlate x;

	u64 target = (1ULL << 40) + page * PG * 7;

	if (use && ptsel_tlb_lookup(tlb, page * PG + 3, &x)) {
		*stale += x.target != target + 3;
		return true;
	}
	x = (struct ptsel_xlate){ .target = target + 3, .prot = PTSEL_PROT_READ };
	if (use)
		ptsel_tlb_fill(tlb, page * PG + 3, &x);
	return false;
}

#define WIN	PTSEL_SAMPLER_WINDOW

/*
 * A TLB must not cost its lookups where nothing is reused, and must
 * come back when reuse does: a stream of pages never seen again makes
 * it stop probing and filling but one lookup in PTSEL_SAMPLER_SAMPLE,
 * then, as bypassed windows follow each other, in twice, four and
 * eight times that (windows 1, 2-3, 4-7, 8-15 of the stream); then a
 * working set that fits it makes it hit again within a few windows,
 * and hits stay exact throughout.
 */
static void self_bypass(void)
{
	unsigned int i, w, stale = 0, back = 0, hits = 0;
	static u64 fills[40];
	struct ptsel_tlb tlb;

	ptsel_tlb_init(&tlb, store, 256, 6);
	/* 16 windows of pages that never come back. */
	for (w = 0; w < 16; w++) {
		u64 f = tlb.stats.fills;

		for (i = 0; i < WIN; i++)
			walker_lookup(&tlb, 1000 + w * WIN + i, &stale);
		fills[w] = tlb.stats.fills - f;
	}
	printf("# stream: fills per window %llu, %llu, %llu, %llu, %llu\n",
	       (unsigned long long)fills[0], (unsigned long long)fills[1],
	       (unsigned long long)fills[3], (unsigned long long)fills[7],
	       (unsigned long long)fills[15]);
	ok(fills[0] == WIN && fills[1] == WIN / PTSEL_SAMPLER_SAMPLE &&
	   fills[3] == WIN / PTSEL_SAMPLER_SAMPLE / 2 &&
	   fills[7] == WIN / PTSEL_SAMPLER_SAMPLE / 4 &&
	   fills[15] == WIN / (PTSEL_SAMPLER_SAMPLE << PTSEL_SAMPLER_MAX_BACKOFF) &&
	   tlb.stats.hits + tlb.stats.misses == 16 * WIN,
	   "no reuse: the TLB fills one lookup in PTSEL_SAMPLER_SAMPLE, then ever fewer, and every lookup counts");
	/* Now 64 pages, over and over: the TLB must come back to them. */
	for (w = 0; w < 40 && !back; w++) {
		hits = 0;
		for (i = 0; i < WIN; i++)
			hits += walker_lookup(&tlb, i % 64, &stale);
		if (hits > WIN * 9 / 10)
			back = w + 1;
	}
	printf("# working set of 64 pages: hit 9 in 10 again after %u windows\n", back);
	ok(back && back <= 32 && !stale,
	   "reuse comes back: the TLB hits again within 32 windows, never stale");
	/* Off: a TLB that may not bypass fills every miss. */
	ptsel_tlb_init(&tlb, store, 256, 6);
	tlb.sampler.adaptive = false;
	for (i = 0; i < 4 * WIN; i++)
		walker_lookup(&tlb, 5000 + i, &stale);
	ok(tlb.stats.fills == 4 * WIN, "not adaptive: every miss fills");
}

/*
 * A range needing more set probes than the TLB has entries is dropped
 * whole, whatever the ceiling: a page outside it goes too. One needing
 * fewer is flushed entry by entry: a page outside it stays.
 */
static void ceiling_cap(void)
{
	struct ptsel_xlate x = walk(0, 1, 0), y;
	struct ptsel_tlb tlb;
	bool kept_small, kept_large;

	ptsel_tlb_init(&tlb, store, 256, 6);
	tlb.flush_ceiling = 1 << 20;
	ptsel_tlb_fill(&tlb, PG, &x);
	ptsel_tlb_flush_range(&tlb, 0, 1ULL << 30, 200 * PG);
	kept_small = ptsel_tlb_lookup(&tlb, PG, &y);
	ptsel_tlb_flush_range(&tlb, 0, 1ULL << 30, 300 * PG);
	kept_large = ptsel_tlb_lookup(&tlb, PG, &y);
	ok(kept_small && !kept_large,
	   "flush ceiling capped at the TLB's entries: 200 pages one by one, 300 whole");
}

int main(void)
{
	printf("TAP version 13\n");
	retention();
	random_use();
	range_flush(PTSEL_TLB_FLUSH_CEILING);
	range_flush(1 << 20);
	range_flush(0);
	self_bypass();
	ceiling_cap();
	printf("1..%u\n", tests);
	return failed != 0;
}
