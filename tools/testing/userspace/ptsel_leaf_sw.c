// SPDX-License-Identifier: GPL-2.0
/*
 * ptsel's per-leaf software state, one-leaf compare-and-exchange, the
 * accessed/dirty bits and partition-level leaf iteration (part.c,
 * walker.c, both formats), on a randomized model: a window of pages with
 * huge and small leaves under maps, exchanges, A/D sets and clears,
 * protection changes and region conversions. After
 * every step, lookups straight from the tables and through a walker
 * (its TLB must have forgotten what changed), the move reports of
 * ptsel_partition_lookup_update() and the leaf iteration must agree
 * with the model. Prints TAP; -s SEED -n OPS runs one seed again.
 */
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

#define WIN_PAGES	2048		/* 8 MiB: four 2M leaves' worth */
#define PAGE		PTSEL_PAGE_SIZE

struct mpage {
	bool mapped;
	u64 target;
	u32 prot;	/* PTSEL_PROT_*, software and A/D bits */
	u64 moved_gen;	/* generation of the last move of this page */
};

static struct mpage model[WIN_PAGES];
static unsigned int tests, failed;
static u64 last_gen;
static u64 rng;

static u64 rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void ok(bool cond, const char *what, u64 seed)
{
	tests++;
	if (!cond)
		failed++;
	printf("%sok %u - %s (seed %llu)\n", cond ? "" : "not ",
	       tests, what, (unsigned long long)seed);
}

/* Checks every page; returns a message on the first mismatch. */
static const char *check_all(struct ptsel_partition *p, struct ptsel_walker *w,
			     u64 *gens, u64 *seen)
{
	unsigned int i;

	for (i = 0; i < WIN_PAGES; i++) {
		struct ptsel_xlate x;
		int ret = ptsel_partition_translate(p, i * PAGE, &x);

		if (!model[i].mapped) {
			if (ret != -ENOENT)
				return "a hole translates";
			continue;
		}
		if (ret || x.target != model[i].target || x.prot != model[i].prot)
			return "table lookup disagrees with the model";
		ret = ptsel_walker_translate(w, i * PAGE, &x);
		if (ret || x.target != model[i].target || x.prot != model[i].prot)
			return "walker (TLB) lookup disagrees with the model";
		ret = ptsel_partition_lookup_update(p, i * PAGE, &gens[i], &x);
		if (ret < 0 || x.target != model[i].target)
			return "lookup_update translation disagrees";
		/*
		 * A page moved since its last lookup is reported; one that
		 * did not only when its generation fell out of the log.
		 */
		if (model[i].moved_gen > seen[i] ? ret != 1 :
		    ret && seen[i] + PTSEL_MOVE_LOG >= last_gen)
			return "lookup_update report disagrees with the moves";
		seen[i] = gens[i];
	}
	return NULL;
}

struct iter_state {
	unsigned long pages;
	bool bad;
};

static int iter_fn(void *priv, u64 addr, u64 target, u64 size, u32 prot)
{
	struct iter_state *st = priv;
	u64 a;

	for (a = addr; a < addr + size; a += PAGE) {
		unsigned int i = a / PAGE;

		if (i >= WIN_PAGES)
			continue;
		if (!model[i].mapped || model[i].target != target + (a - addr) ||
		    model[i].prot != prot)
			st->bad = true;
		st->pages++;
	}
	return 0;
}

static int run(u64 seed, unsigned long nops)
{
	static u64 gens[WIN_PAGES], seen[WIN_PAGES];
	struct ptsel_partition *p;
	struct ptsel_walker *w;
	const char *why = NULL;
	unsigned long op, exchanges = 0, refusals = 0, moves_seen = 0;
	unsigned long ad_changes = 0, ad_refusals = 0, tries = 0, busy = 0;
	unsigned int i;

	rng = seed * 2 + 1;
	memset(model, 0, sizeof(model));
	memset(gens, 0, sizeof(gens));
	memset(seen, 0, sizeof(seen));
	last_gen = 0;
	p = ptsel_partition_create(rnd() & 1 ? PTSEL_FORMAT_HASH : PTSEL_FORMAT_RADIX);
	w = ptsel_walker_create();
	if (IS_ERR(p) || IS_ERR(w)) {
		ok(false, "setup", seed);
		return 1;
	}
	ptsel_walker_switch(w, p);
	for (op = 0; op < nops && !why; op++) {
		unsigned int k = rnd() % 100, pg = rnd() % WIN_PAGES;
		struct mpage *m = &model[pg];
		int ret;

		if (k < 10) {
			/* map a 2M-aligned huge range, or a few small pages */
			bool huge = rnd() & 1;
			unsigned int first = huge ? pg & ~511U : pg;
			unsigned int n = huge ? 512 : 1 + rnd() % 4;
			u64 target = ((rnd() % 4096) << 21) + (huge ? 0 : (rnd() % 512) * PAGE);
			bool free = true;

			if (n > WIN_PAGES - first)
				n = WIN_PAGES - first;
			/* Make room for huge leaves, or they would be rare. */
			if (huge && rnd() % 4 == 0) {
				if (ptsel_partition_unmap(p, first * PAGE, n * PAGE)) {
					why = "unmap for a huge map failed";
					break;
				}
				for (i = first; i < first + n; i++)
					model[i].mapped = false;
			}
			for (i = first; free && i < first + n; i++)
				free = !model[i].mapped;
			ret = ptsel_partition_map(p, first * PAGE, target, n * PAGE,
						  PTSEL_PROT_READ | PTSEL_PROT_WRITE);
			if (free != !ret) {
				why = "map result";
				break;
			}
			for (i = first; !ret && i < first + n; i++)
				model[i] = (struct mpage){ true, target + (i - first) * PAGE,
					PTSEL_PROT_READ | PTSEL_PROT_WRITE,
					model[i].moved_gen };
		} else if (k < 15) {
			unsigned int n = 1 + rnd() % 8;

			if (pg + n > WIN_PAGES)
				n = WIN_PAGES - pg;
			if (ptsel_partition_unmap(p, pg * PAGE, n * PAGE)) {
				why = "unmap failed";
				break;
			}
			for (i = pg; i < pg + n; i++)
				model[i].mapped = false;
		} else if (k < 20) {
			u32 prot = PTSEL_PROT_READ | (rnd() & 1 ? PTSEL_PROT_WRITE : 0);

			if (ptsel_partition_protect(p, pg * PAGE, PAGE, prot)) {
				why = "protect failed";
				break;
			}
			if (m->mapped)
				m->prot = (m->prot & PTSEL_STATE_MASK) | prot;
		} else if (k < 23) {
			/* convert the 4M region around pg to the other format */
			u64 base = (u64)(pg & ~1023U) * PAGE;
			u32 fmt = rnd() & 1 ? PTSEL_FORMAT_HASH : PTSEL_FORMAT_RADIX;

			ret = ptsel_partition_convert(p, base, 1024 * PAGE, fmt, NULL);
			if (ret && ret != -ENOENT) {
				why = "convert failed";
				break;
			}
			if (ret)
				ptsel_partition_set_region(p, base, 1024 * PAGE, fmt, NULL);
		} else if (k < 40) {
			/* A/D: set and clear some, with the right target or not */
			bool right = rnd() % 4;
			u32 set = (rnd() % 4) << 5, clear = (rnd() % 4) << 5;
			u64 t = m->mapped ? m->target : 0;
			u32 found = ~0U;

			if (!right)
				t += PAGE;
			ret = ptsel_partition_leaf_ad(p, pg * PAGE, t, set, clear,
						      &found);
			if (!m->mapped) {
				if (ret != -ENOENT)
					why = "A/D change on a hole";
				continue;
			}
			if (found != m->prot) {
				why = "A/D change reported other bits than the leaf's";
				continue;
			}
			if (!right) {
				ad_refusals++;
				if (ret != -EAGAIN)
					why = "A/D change on a stale target not refused";
				continue;
			}
			if (ret) {
				why = "A/D change refused";
				continue;
			}
			ad_changes += ((m->prot & ~clear) | set) != m->prot;
			m->prot = (m->prot & ~clear) | set;
		} else {
			/* exchange: right or wrong expectations, new state and maybe target */
			bool right = rnd() % 4;
			u32 old_sw = m->mapped ? ptsel_sw(m->prot) : 0;
			u64 old_t = m->mapped ? m->target : 0;
			u32 new_sw = rnd() % (PTSEL_SW_MAX + 1);
			u64 new_t = rnd() & 1 ? old_t : (rnd() % 100000) * PAGE;
			struct ptsel_xlate hx;
			bool try, huge;
			u64 gen = 0;

			if (!right) {
				if (rnd() & 1)
					old_sw = (old_sw + 1) % (PTSEL_SW_MAX + 1);
				else
					old_t += PAGE;
			}
			/* Half without the mutex: -EBUSY where a huge leaf would split. */
			try = rnd() & 1;
			huge = m->mapped && !ptsel_partition_translate(p, pg * PAGE, &hx) &&
			       hx.level;
			if (try)
				ret = ptsel_partition_leaf_try_cmpxchg(p, pg * PAGE, old_t,
								       old_sw, new_t,
								       new_sw, &gen);
			else
				ret = ptsel_partition_leaf_cmpxchg(p, pg * PAGE, old_t,
								   old_sw, new_t,
								   new_sw, &gen);
			if (!m->mapped) {
				if (ret != -ENOENT)
					why = "exchange on a hole";
				continue;
			}
			if (!right) {
				refusals++;
				if (ret != -EAGAIN)
					why = "a wrong expectation was not refused";
				continue;
			}
			if (try && huge && (new_t != old_t || new_sw != old_sw)) {
				busy++;
				if (ret != -EBUSY)
					why = "a try on a huge leaf was not -EBUSY";
				continue;
			}
			if (ret) {
				why = "a right expectation was refused";
				continue;
			}
			tries += try;
			exchanges++;
			m->prot = (m->prot & ~PTSEL_SW_MASK) | new_sw << PTSEL_SW_SHIFT;
			if (new_t != m->target) {
				struct ptsel_xlate x;
				u64 before = gens[pg];

				m->target = new_t;
				m->moved_gen = gen;
				last_gen = gen;
				/* A holder of the page's old generation is told. */
				ret = ptsel_partition_lookup_update(p, pg * PAGE, &before, &x);
				if (ret != 1 || x.target != new_t || before != gen)
					why = "lookup_update missed a move";
				gens[pg] = before;
				seen[pg] = gen;
				moves_seen++;
			}
		}
		if (!why && (op % 64 == 0 || op + 1 == nops))
			why = check_all(p, w, gens, seen);
	}
	if (!why) {
		struct iter_state st = { 0 };
		unsigned long want = 0;

		for (i = 0; i < WIN_PAGES; i++)
			want += model[i].mapped;
		if (ptsel_partition_leaves(p, 0, WIN_PAGES * PAGE, iter_fn, &st) ||
		    st.bad || st.pages != want)
			why = "leaf iteration disagrees with the model";
	}
	ptsel_walker_destroy(w);
	ptsel_partition_put(p);
	if (why)
		fprintf(stderr, "# seed %llu op %lu: %s\n", (unsigned long long)seed, op, why);
	printf("# %lu exchanges (%lu without the mutex), %lu refused, %lu -EBUSY on huge leaves\n",
	       exchanges, tries, refusals, busy);
	ok(!why && exchanges && refusals && moves_seen && ad_changes &&
	   ad_refusals && tries && busy,
	   "leaf state, A/D and exchange model (with and without the mutex)",
	   seed);
	return !!why;
}

static void fixed_checks(void)
{
	struct ptsel_partition *p = ptsel_partition_create(PTSEL_FORMAT_RADIX);
	struct ptsel_xlate x;
	u64 gen = 0;

	ok(!ptsel_partition_map(p, 0, 1ULL << 30, 2ULL << 20, PTSEL_PROT_READ), "map 2M", 0);
	ok(ptsel_partition_map(p, 4ULL << 20, 0, PAGE,
			       PTSEL_PROT_READ | PTSEL_SW_MASK) == -EINVAL,
	   "map refuses software bits", 0);
	ok(ptsel_partition_leaf_cmpxchg(p, PAGE, (1ULL << 30) + PAGE, 0,
					(1ULL << 30) + PAGE, 4, NULL) == -EINVAL,
	   "state above PTSEL_SW_MAX refused", 0);
	ok(ptsel_partition_leaf_cmpxchg(p, 1, 0, 0, 0, 0, NULL) == -EINVAL,
	   "misaligned address refused", 0);
	ok(!ptsel_partition_leaf_cmpxchg(p, PAGE, (1ULL << 30) + PAGE, 0,
					 (1ULL << 30) + PAGE, 1, &gen) && gen == 0,
	   "state change inside a huge leaf splits it, no move", 0);
	ok(!ptsel_partition_translate(p, PAGE, &x) && ptsel_sw(x.prot) == 1 &&
	   x.level == 0, "the page alone carries the state", 0);
	ok(!ptsel_partition_translate(p, 2 * PAGE, &x) && ptsel_sw(x.prot) == 0,
	   "its neighbour does not", 0);
	ok(!ptsel_partition_set_region(p, 0, 2ULL << 20, PTSEL_FORMAT_RADIX, NULL) &&
	   !ptsel_partition_convert(p, 0, 2ULL << 20, PTSEL_FORMAT_HASH, NULL) &&
	   !ptsel_partition_translate(p, PAGE, &x) && ptsel_sw(x.prot) == 1,
	   "conversion to hashed keeps the state", 0);
	ok(!ptsel_partition_protect(p, 0, 2ULL << 20, PTSEL_PROT_READ | PTSEL_PROT_WRITE) &&
	   !ptsel_partition_translate(p, PAGE, &x) && ptsel_sw(x.prot) == 1 &&
	   (x.prot & PTSEL_PROT_WRITE), "protect keeps the state", 0);
	ok(!ptsel_partition_leaf_cmpxchg(p, PAGE, (1ULL << 30) + PAGE, 1,
					 5 * PAGE, 0, &gen) && gen == 1,
	   "a target change is a move with a new generation", 0);
	ok(ptsel_partition_leaves(p, PAGE, PAGE, iter_fn, NULL) == -EINVAL,
	   "empty iteration refused", 0);
	ptsel_partition_put(p);
}

/* Accessed/dirty bits, one case each. */
static void ad_checks(void)
{
	struct ptsel_partition *p = ptsel_partition_create(PTSEL_FORMAT_RADIX);
	struct ptsel_walker *w = ptsel_walker_create();
	const u64 t0 = 1ULL << 30;
	struct ptsel_xlate x;
	u32 prot = 0;

	ptsel_walker_switch(w, p);
	ok(!ptsel_partition_map(p, 0, t0, 2ULL << 20, PTSEL_PROT_READ) &&
	   !ptsel_walker_translate(w, PAGE, &x) && !(x.prot & PTSEL_AD_MASK),
	   "a map starts clean", 0);
	ok(ptsel_partition_map(p, 4ULL << 20, 0, PAGE,
			       PTSEL_PROT_READ | PTSEL_LEAF_DIRTY) == -EINVAL,
	   "map refuses A/D bits", 0);
	ok(ptsel_partition_leaf_ad(p, PAGE, t0 + PAGE, PTSEL_PROT_WRITE, 0,
				   NULL) == -EINVAL &&
	   ptsel_partition_leaf_ad(p, PAGE, t0 + PAGE, 0, PTSEL_SW_MASK,
				   NULL) == -EINVAL &&
	   ptsel_partition_leaf_ad(p, PAGE + 1, t0 + PAGE, 0, 0, NULL) == -EINVAL,
	   "bits other than A/D, a misaligned address refused", 0);
	ok(ptsel_partition_leaf_ad(p, PAGE, t0, PTSEL_LEAF_DIRTY, 0, &prot) ==
	   -EAGAIN && prot == PTSEL_PROT_READ,
	   "a stale target is refused and the leaf reported", 0);
	ok(!ptsel_partition_leaf_ad(p, PAGE, t0 + PAGE, PTSEL_AD_MASK, 0, NULL) &&
	   !ptsel_walker_translate(w, PAGE, &x) &&
	   (x.prot & PTSEL_AD_MASK) == PTSEL_AD_MASK && x.level == 0,
	   "set inside a huge leaf splits it; the walker sees the bits", 0);
	ok(!ptsel_walker_translate(w, 2 * PAGE, &x) && !(x.prot & PTSEL_AD_MASK),
	   "the neighbour stays clean", 0);
	ok(!ptsel_partition_protect(p, 0, 2ULL << 20,
				    PTSEL_PROT_READ | PTSEL_PROT_WRITE) &&
	   !ptsel_partition_leaf_cmpxchg(p, PAGE, t0 + PAGE, 0, t0 + PAGE, 1,
					 NULL) &&
	   !ptsel_partition_translate(p, PAGE, &x) &&
	   (x.prot & PTSEL_AD_MASK) == PTSEL_AD_MASK,
	   "protect and a state exchange keep A/D", 0);
	ok(!ptsel_partition_set_region(p, 0, 2ULL << 20, PTSEL_FORMAT_RADIX, NULL) &&
	   !ptsel_partition_convert(p, 0, 2ULL << 20, PTSEL_FORMAT_HASH, NULL) &&
	   !ptsel_walker_translate(w, PAGE, &x) &&
	   (x.prot & PTSEL_AD_MASK) == PTSEL_AD_MASK,
	   "conversion to hashed keeps A/D", 0);
	ok(!ptsel_partition_leaf_ad(p, PAGE, t0 + PAGE, 0, PTSEL_LEAF_DIRTY,
				    &prot) && (prot & PTSEL_LEAF_DIRTY) &&
	   !ptsel_walker_translate(w, PAGE, &x) &&
	   (x.prot & PTSEL_AD_MASK) == PTSEL_LEAF_ACCESSED,
	   "test and clear of dirty (hashed); the walker forgot the old bits", 0);
	ok(!ptsel_partition_leaf_ad(p, PAGE, t0 + PAGE, PTSEL_LEAF_DIRTY,
				    PTSEL_LEAF_DIRTY, NULL) &&
	   !ptsel_partition_translate(p, PAGE, &x) && (x.prot & PTSEL_LEAF_DIRTY),
	   "set wins over clear", 0);
	ok(!ptsel_partition_leaf_cmpxchg(p, PAGE, t0 + PAGE, 1, 9 * PAGE, 0, NULL) &&
	   !ptsel_walker_translate(w, PAGE, &x) && x.target == 9 * PAGE &&
	   (x.prot & PTSEL_AD_MASK) == PTSEL_AD_MASK,
	   "a move keeps A/D", 0);
	ptsel_walker_destroy(w);
	ptsel_partition_put(p);
}

/* Called under the partition's update lock: the gate is closed. */
static int try_in_iter(void *priv, u64 addr, u64 target, u64 size, u32 prot)
{
	struct ptsel_partition *p = priv;

	return ptsel_partition_leaf_try_cmpxchg(p, addr, target, ptsel_sw(prot),
						target, 3, NULL);
}

/* The exchange without the mutex, one case each. */
static void try_checks(void)
{
	struct ptsel_partition *p = ptsel_partition_create(PTSEL_FORMAT_RADIX);
	struct ptsel_walker *w = ptsel_walker_create();
	const u64 t0 = 1ULL << 30;
	struct ptsel_xlate x;
	u64 gen = 0, seen = 0, fgen;

	ptsel_walker_switch(w, p);
	ok(!ptsel_partition_map(p, 0, t0, 2ULL << 20, PTSEL_PROT_READ) &&
	   !ptsel_walker_translate(w, PAGE, &x) && x.level == 1,
	   "try: a huge leaf, cached by the walker", 0);
	ok(ptsel_partition_leaf_try_cmpxchg(p, PAGE, t0 + PAGE, 0, t0 + PAGE, 1,
					    NULL) == -EBUSY &&
	   !ptsel_partition_translate(p, PAGE, &x) && x.level == 1 &&
	   !ptsel_sw(x.prot), "try: a huge leaf is -EBUSY, not split", 0);
	ok(ptsel_partition_leaf_try_cmpxchg(p, PAGE, t0, 0, t0 + PAGE, 1,
					    NULL) == -EAGAIN &&
	   ptsel_partition_leaf_try_cmpxchg(p, PAGE, t0 + PAGE, 0, t0 + PAGE, 0,
					    &gen) == 0 && gen == 0,
	   "try: a huge leaf is compared; no change is no split", 0);
	ok(ptsel_partition_leaf_try_cmpxchg(p, 4ULL << 20, 0, 0, 0, 1, NULL) ==
	   -ENOENT && ptsel_partition_leaf_try_cmpxchg(p, PAGE, t0, 4, t0, 0,
							NULL) == -EINVAL,
	   "try: a hole, a bad state", 0);
	ok(!ptsel_partition_leaf_cmpxchg(p, PAGE, t0 + PAGE, 0, t0 + PAGE, 1,
					 NULL) &&
	   !ptsel_walker_translate(w, PAGE, &x) && ptsel_sw(x.prot) == 1,
	   "try: the locked exchange splits", 0);
	fgen = p->flush_gen;
	ok(!ptsel_walker_translate(w, PAGE, &x) && x.mem_refs &&
	   !ptsel_partition_leaf_try_cmpxchg(p, PAGE, t0 + PAGE, 1, t0 + PAGE, 2,
					     NULL) && p->flush_gen == fgen,
	   "try: a leaf in a software state is walked, not cached; an exchange from it invalidates no walker",
	   0);
	ok(!ptsel_walker_translate(w, PAGE, &x) && ptsel_sw(x.prot) == 2,
	   "try: a 4K leaf changes; the walker forgot the old state", 0);
	ok(ptsel_partition_leaf_try_cmpxchg(p, PAGE, t0 + PAGE, 1, t0 + PAGE, 0,
					    NULL) == -EAGAIN,
	   "try: a stale state is refused", 0);
	ok(!ptsel_partition_leaf_try_cmpxchg(p, PAGE, t0 + PAGE, 2, 7 * PAGE, 0,
					     &gen) && gen == 1 &&
	   !ptsel_walker_translate(w, PAGE, &x) && x.target == 7 * PAGE &&
	   ptsel_partition_lookup_update(p, PAGE, &seen, &x) == 1 && seen == 1,
	   "try: a new target is a move with a generation", 0);
	ok(ptsel_partition_leaves(p, PAGE, 2 * PAGE, try_in_iter, p) == -EBUSY &&
	   !ptsel_partition_translate(p, PAGE, &x) && !ptsel_sw(x.prot),
	   "try: -EBUSY while an update holds the partition", 0);
	ok(!ptsel_partition_set_region(p, 0, 2ULL << 20, PTSEL_FORMAT_HASH, NULL) &&
	   !ptsel_partition_leaf_try_cmpxchg(p, PAGE, 7 * PAGE, 0, 8 * PAGE, 3,
					     NULL) &&
	   !ptsel_walker_translate(w, PAGE, &x) && x.target == 8 * PAGE &&
	   ptsel_sw(x.prot) == 3, "try: a hashed 4K leaf changes", 0);
	ptsel_walker_destroy(w);
	ptsel_partition_put(p);
}

int main(int argc, char **argv)
{
	unsigned long nops = 20000;
	u64 seed = time(NULL);
	int c, runs = 8, rc = 0;

	while ((c = getopt(argc, argv, "s:n:")) != -1) {
		if (c == 's') {
			seed = strtoull(optarg, NULL, 0);
			runs = 1;
		} else if (c == 'n') {
			nops = strtoul(optarg, NULL, 0);
		}
	}
	printf("TAP version 13\n");
	fixed_checks();
	ad_checks();
	try_checks();
	for (c = 0; c < runs; c++)
		rc |= run(seed + c, nops);
	printf("1..%u\n", tests);
	return failed || rc ? 1 : 0;
}
