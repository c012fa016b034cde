// SPDX-License-Identifier: GPL-2.0
/*
 * ptsel_partition_leaf_try_cmpxchg(), the exchange without the
 * partition's mutex, racing with updates (part.c, walker.c, both
 * formats): exchanger threads move the software state and target of
 * pages they own, each page alone in its radix table, while an updater
 * thread converts their region between the formats (leaves move to the
 * other table), changes its protection (a read-modify-write of every
 * leaf), maps and unmaps other pages (the hashed table grows and
 * shrinks, moving every entry) and unmaps an owned page and maps it
 * again elsewhere (its radix table is freed). An exchange that an
 * update overwrote or stored into a table that moved shows as an
 * exchange refused with the right expectation, or as a final state
 * other than the owner's; one that wrote into a freed table shows
 * under ASan (RCU callbacks run at each conversion). Walkers must end
 * with the tables' translations. Prints TAP; -s SEED -n OPS runs one
 * seed again.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/err.h>
#include <linux/kernel.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>

#include "ptsel_internal.h"

#define PAGE		PTSEL_PAGE_SIZE
#define SPREAD		(2ULL << 20)	/* one owned page per 2M: its own table */
#define NR_OWNED	32
#define REGION		(NR_OWNED * SPREAD)
#define NR_XCHG		2		/* exchanger threads */
#define FILLERS		96		/* other pages the updater maps */
#define RW		(PTSEL_PROT_READ | PTSEL_PROT_WRITE)

/*
 * One owned page. @seq is odd while the updater has it unmapped; @target
 * is where the updater mapped it last (its state then is 0), valid when
 * @seq is even.
 */
struct rpage {
	unsigned long seq;
	u64 target;
};

/* What an exchanger believes of one of its pages. */
struct belief {
	unsigned long seq;	/* ~0UL: resync from struct rpage */
	u64 target;
	u32 sw;
};

static struct ptsel_partition *part;
static struct rpage pages[NR_OWNED];
static struct belief belief[NR_OWNED];
static int done;
static unsigned int tests, failed;

struct xstats {
	unsigned long ok, busy, stale, errors;
	u64 seed;
	const char *why;
};

static u64 rnd(u64 *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void ok(bool cond, const char *what, u64 seed)
{
	tests++;
	if (!cond)
		failed++;
	printf("%sok %u - %s (seed %llu)\n", cond ? "" : "not ", tests, what,
	       (unsigned long long)seed);
}

static u64 addr_of(unsigned int i)
{
	return i * SPREAD;
}

static void *exchanger(void *arg)
{
	struct xstats *st = arg;
	unsigned int n = 0;
	u64 s = st->seed * 2 + 1, fresh = 0;

	while (!__atomic_load_n(&done, __ATOMIC_ACQUIRE) && !st->why) {
		unsigned int i = (rnd(&s) % (NR_OWNED / NR_XCHG)) * NR_XCHG +
				 st->seed % NR_XCHG;
		struct belief *b = &belief[i];
		unsigned long s1, s2;
		u64 new_t;
		u32 new_sw;
		int ret;

		s1 = __atomic_load_n(&pages[i].seq, __ATOMIC_ACQUIRE);
		if (s1 & 1)
			continue;
		if (b->seq != s1) {
			b->target = __atomic_load_n(&pages[i].target, __ATOMIC_RELAXED);
			b->sw = 0;
			b->seq = s1;
		}
		new_sw = (b->sw + 1) % (PTSEL_SW_MAX + 1);
		/* Targets no other page ever has: this thread's and a count. */
		new_t = rnd(&s) & 1 ? b->target :
			((st->seed % NR_XCHG + 1) << 40) + (++fresh << 12);
		ret = ptsel_partition_leaf_try_cmpxchg(part, addr_of(i), b->target,
						       b->sw, new_t, new_sw, NULL);
		s2 = __atomic_load_n(&pages[i].seq, __ATOMIC_ACQUIRE);
		if (!ret) {
			st->ok++;
			b->target = new_t;
			b->sw = new_sw;
			/* Unmapped and mapped again meanwhile: ask again. */
			if (s2 != s1)
				b->seq = ~0UL;
		} else if (ret == -EBUSY) {
			st->busy++;
		} else if ((ret == -EAGAIN || ret == -ENOENT) && s2 != s1) {
			st->stale++;
		} else {
			st->errors++;
			st->why = ret == -EAGAIN ?
				"a right expectation was refused: an exchange was lost" :
				"an owned page vanished";
		}
		if (++n % 64 == 0)
			sched_yield();
	}
	return NULL;
}

/* The updater's view of a page through its walker and the tables. */
static const char *check_page(struct ptsel_walker *w, unsigned int i,
			      u64 target, u32 sw)
{
	struct ptsel_xlate x;

	if (ptsel_partition_translate(part, addr_of(i), &x) ||
	    x.target != target || ptsel_sw(x.prot) != sw)
		return "the tables disagree with the page's owner";
	if (ptsel_walker_translate(w, addr_of(i), &x) || x.target != target ||
	    ptsel_sw(x.prot) != sw)
		return "the walker disagrees with the page's owner";
	return NULL;
}

static int run(u64 seed, unsigned long nops, u32 format)
{
	struct xstats st[NR_XCHG];
	pthread_t th[NR_XCHG];
	struct ptsel_walker *w;
	unsigned long op, converts = 0, leases = 0, fills = 0, protects = 0;
	unsigned long xok = 0, busy = 0, stale = 0;
	const char *why = NULL;
	u64 s = seed * 2 + 1, fresh = 0;
	u32 fmt = format;
	unsigned int i, k;

	part = ptsel_partition_create(format);
	w = ptsel_walker_create();
	if (IS_ERR(part) || IS_ERR(w)) {
		ok(false, "setup", seed);
		return 1;
	}
	ptsel_walker_switch(w, part);
	if (ptsel_partition_set_region(part, 0, REGION, format, NULL)) {
		ok(false, "region", seed);
		return 1;
	}
	for (i = 0; i < NR_OWNED; i++) {
		belief[i].seq = ~0UL;
		pages[i] = (struct rpage){ 0, (1ULL << 39) + i * PAGE };
		if (ptsel_partition_map(part, addr_of(i), pages[i].target, PAGE, RW)) {
			ok(false, "map", seed);
			return 1;
		}
	}
	for (k = 0; k < NR_XCHG; k++) {
		st[k] = (struct xstats){ .seed = seed * NR_XCHG + k };
		pthread_create(&th[k], NULL, exchanger, &st[k]);
	}
	for (op = 0; op < nops && !why; op++) {
		unsigned int c = rnd(&s) % 8;

		if (c == 0) {
			fmt = fmt == PTSEL_FORMAT_HASH ? PTSEL_FORMAT_RADIX :
							 PTSEL_FORMAT_HASH;
			if (ptsel_partition_convert(part, 0, REGION, fmt, NULL))
				why = "convert failed";
			converts++;
		} else if (c == 1) {
			if (ptsel_partition_protect(part, 0, REGION, rnd(&s) & 1 ?
						    RW : PTSEL_PROT_READ))
				why = "protect failed";
			protects++;
		} else if (c == 2) {
			/* Fill the owned pages' tables and groups, then empty them. */
			for (k = 0; !why && k < FILLERS; k++)
				if (ptsel_partition_map(part, addr_of(k % NR_OWNED) +
							(1 + k / NR_OWNED) * PAGE,
							k * PAGE, PAGE, RW))
					why = "filler map failed";
			for (k = 0; !why && k < NR_OWNED; k++)
				if (ptsel_partition_unmap(part, addr_of(k) + PAGE,
							  FILLERS / NR_OWNED * PAGE))
					why = "filler unmap failed";
			fills++;
		} else if (c == 3) {
			/* An owned page unmapped (its table freed) and mapped anew. */
			i = rnd(&s) % NR_OWNED;
			__atomic_store_n(&pages[i].seq, pages[i].seq + 1, __ATOMIC_RELEASE);
			if (ptsel_partition_unmap(part, addr_of(i), PAGE))
				why = "lease unmap failed";
			__atomic_store_n(&pages[i].target, (1ULL << 42) + (++fresh << 12),
					 __ATOMIC_RELAXED);
			if (!why && ptsel_partition_map(part, addr_of(i),
							pages[i].target, PAGE, RW))
				why = "lease map failed";
			__atomic_store_n(&pages[i].seq, pages[i].seq + 1, __ATOMIC_RELEASE);
			leases++;
		} else {
			/* Fill the walker's TLB while exchanges invalidate it. */
			struct ptsel_xlate x;

			ptsel_walker_translate(w, addr_of(rnd(&s) % NR_OWNED), &x);
		}
	}
	/*
	 * On a loaded host the updater can keep every exchange busy: with
	 * no update running, one must succeed (for up to 10 s).
	 */
	for (op = 0; !why && op < 10000; op++) {
		unsigned long done_ok = 0;

		for (k = 0; k < NR_XCHG; k++)
			done_ok += __atomic_load_n(&st[k].ok, __ATOMIC_RELAXED);
		if (done_ok)
			break;
		usleep(1000);
	}
	__atomic_store_n(&done, 1, __ATOMIC_RELEASE);
	for (k = 0; k < NR_XCHG; k++) {
		pthread_join(th[k], NULL);
		if (!why)
			why = st[k].why;
		xok += st[k].ok;
		busy += st[k].busy;
		stale += st[k].stale;
	}
	__atomic_store_n(&done, 0, __ATOMIC_RELEASE);
	for (i = 0; !why && i < NR_OWNED; i++) {
		struct belief *b = &belief[i];

		if (b->seq != pages[i].seq)
			*b = (struct belief){ pages[i].seq, pages[i].target, 0 };
		why = check_page(w, i, b->target, b->sw);
	}
	ptsel_walker_destroy(w);
	ptsel_partition_put(part);
	shim_rcu_quiesce();
	if (why)
		fprintf(stderr, "# seed %llu op %lu: %s\n", (unsigned long long)seed,
			op, why);
	printf("# %s: %lu exchanges, %lu -EBUSY, %lu on pages unmapped meanwhile; %lu conversions, %lu protects, %lu fills, %lu unmap-map\n",
	       format == PTSEL_FORMAT_HASH ? "hashed" : "radix", xok, busy, stale,
	       converts, protects, fills, leases);
	ok(!why && xok && busy && converts && protects && fills && leases,
	   format == PTSEL_FORMAT_HASH ?
	   "exchanges without the mutex race with updates (hashed first)" :
	   "exchanges without the mutex race with updates (radix first)", seed);
	return !!why;
}

int main(int argc, char **argv)
{
	unsigned long nops = 3000;
	u64 seed = time(NULL);
	int c, runs = 2, rc = 0;

	while ((c = getopt(argc, argv, "s:n:")) != -1) {
		if (c == 's') {
			seed = strtoull(optarg, NULL, 0);
			runs = 1;
		} else if (c == 'n') {
			nops = strtoul(optarg, NULL, 0);
		}
	}
	printf("TAP version 13\n");
	for (c = 0; c < runs; c++) {
		rc |= run(seed + c, nops, PTSEL_FORMAT_RADIX);
		rc |= run(seed + c, nops, PTSEL_FORMAT_HASH);
	}
	printf("1..%u\n", tests);
	return failed || rc ? 1 : 0;
}
