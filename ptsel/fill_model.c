// SPDX-License-Identifier: GPL-2.0
/*
 * ptsel fill-mask test (see fill_model.h).
 *
 * Pages 0..31 are 4 KiB leaves in eight 2 MiB granules, three pairs of
 * which share a fill-mask bit (granules 64 apart); pages 32..47 lie in
 * distinct granules under one 1 GiB leaf, which the first exchange of
 * one of them splits. Walker k mostly translates the pages i with
 * i % 4 == k, so its fill mask stays narrow and exchanges skip it; a
 * walker that skipped an invalidation it needed shows as a translation
 * that disagrees with the model.
 */
#include <linux/err.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/ptsel.h>

#include "fill_model.h"

#define PG		(1ULL << 12)
#define SZ_2M		(1ULL << 21)
#define SZ_1G		(1ULL << 30)
#define HUGE_BASE	(4 * SZ_1G)
#define HUGE_TARGET	(1ULL << 40)
#define FRESH_BASE	(1ULL << 41)
#define RW		(PTSEL_PROT_READ | PTSEL_PROT_WRITE)

/* Granules of the 4K pages: 0/64, 1/65 and 2/130 share a bit. */
static const u64 granule[8] = { 0, 64, 1, 65, 2, 130, 7, 200 };

static u64 rnd(u64 *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* The first failed check: say what, once. */
#define FAIL(m, ...)							\
	((m)->failed ? false :						\
	 ((m)->failed = true, snprintf((m)->msg, FM_MSG, __VA_ARGS__), false))

/**
 * fm_init() - set up a run
 * @m: the run, zeroed by the caller
 * @format: PTSEL_FORMAT_RADIX or _HASH
 *
 * Return: 0 or a negative errno.
 */
int fm_init(struct fm *m, u32 format)
{
	unsigned int i;
	int ret;

	m->p = ptsel_partition_create(format);
	if (IS_ERR(m->p))
		return PTR_ERR(m->p);
	m->q = ptsel_partition_create(format);
	if (IS_ERR(m->q)) {
		ptsel_partition_put(m->p);
		return PTR_ERR(m->q);
	}
	ptsel_partition_set_limits(m->p, ULONG_MAX, ULONG_MAX);
	for (i = 0; i < FM_WALKERS; i++) {
		m->w[i] = ptsel_walker_create();
		if (IS_ERR(m->w[i])) {
			ret = PTR_ERR(m->w[i]);
			m->w[i] = NULL;
			fm_fini(m);
			return ret;
		}
		ptsel_walker_switch(m->w[i], m->p);
		m->on_p[i] = true;
	}
	m->fresh = FRESH_BASE;
	for (i = 0; i < 32; i++) {
		m->addr[i] = granule[i % 8] * SZ_2M + (i / 8) * PG;
		m->target[i] = m->fresh;
		m->fresh += PG;
		ret = ptsel_partition_map(m->p, m->addr[i], m->target[i], PG, RW);
		if (ret) {
			fm_fini(m);
			return ret;
		}
	}
	ret = ptsel_partition_map(m->p, HUGE_BASE, HUGE_TARGET, SZ_1G, RW);
	if (ret) {
		fm_fini(m);
		return ret;
	}
	for (i = 32; i < FM_PAGES; i++) {
		/* Granules 31 apart, all inside the 1G leaf. */
		u64 off = (i - 32) * 31 * SZ_2M + (i & 7) * PG;

		m->addr[i] = HUGE_BASE + off;
		m->target[i] = HUGE_TARGET + off;
	}
	return 0;
}

/* Page @i through walker @k, which must be on @p. */
static bool check(struct fm *m, unsigned int k, unsigned int i)
{
	u64 off = (i * 0x9e3779b9ULL) & (PG - 1);
	struct ptsel_xlate x;
	int ret;

	ret = ptsel_walker_translate(m->w[k], m->addr[i] + off, &x);
	m->checks++;
	if (ret || x.target != m->target[i] + off || ptsel_sw(x.prot) != m->sw[i])
		return FAIL(m, "walker %u page %u (%#llx): ret %d target %#llx sw %u, model %#llx sw %u (a stale translation)",
			    k, i, m->addr[i] + off, ret, x.target, ptsel_sw(x.prot),
			    m->target[i] + off, m->sw[i]);
	return true;
}

static void invalidations(struct fm *m, u64 *inv)
{
	struct ptsel_walker_stats st;
	unsigned int k;

	for (k = 0; k < FM_WALKERS; k++) {
		ptsel_walker_stats(m->w[k], &st);
		inv[k] = st.tlb.invalidations;
	}
}

/* Count the walkers on @p that the exchange visited and left alone. */
static void tally(struct fm *m, const u64 *before)
{
	u64 after[FM_WALKERS];
	unsigned int k;

	invalidations(m, after);
	m->exchanges++;
	for (k = 0; k < FM_WALKERS; k++) {
		if (!m->on_p[k])
			continue;
		if (after[k] != before[k])
			m->visited++;
		else
			m->skipped++;
	}
}

static bool exchange(struct fm *m, u64 *s)
{
	unsigned int i = rnd(s) % FM_PAGES;
	u64 new_t = rnd(s) & 1 ? m->target[i] : m->fresh;
	u32 new_sw = (m->sw[i] + 1) % (PTSEL_SW_MAX + 1);
	u64 before[FM_WALKERS];
	int ret;

	invalidations(m, before);
	ret = ptsel_partition_leaf_try_cmpxchg(m->p, m->addr[i], m->target[i],
					       m->sw[i], new_t, new_sw, NULL);
	/* A huge leaf: the mutex path splits it. */
	if (ret == -EBUSY)
		ret = ptsel_partition_leaf_cmpxchg(m->p, m->addr[i], m->target[i],
						   m->sw[i], new_t, new_sw, NULL);
	if (ret)
		return FAIL(m, "leaf cmpxchg of page %u (%#llx): %d", i, m->addr[i], ret);
	if (new_t == m->fresh)
		m->fresh += PG;
	m->target[i] = new_t;
	m->sw[i] = new_sw;
	tally(m, before);
	return true;
}

/* A wrong expectation changes nothing and invalidates no walker. */
static bool exchange_refused(struct fm *m, u64 *s)
{
	unsigned int i = rnd(s) % FM_PAGES;
	u64 before[FM_WALKERS], after[FM_WALKERS];
	unsigned int k;
	int ret;

	invalidations(m, before);
	ret = ptsel_partition_leaf_try_cmpxchg(m->p, m->addr[i], m->target[i],
					       (m->sw[i] + 1) % (PTSEL_SW_MAX + 1),
					       m->fresh, 0, NULL);
	if (ret != -EAGAIN && ret != -EBUSY)
		return FAIL(m, "exchange of page %u with a wrong state: %d", i, ret);
	invalidations(m, after);
	for (k = 0; k < FM_WALKERS; k++)
		if (after[k] != before[k])
			return FAIL(m, "a refused exchange invalidated walker %u", k);
	return true;
}

/**
 * fm_step() - one random operation, checked
 * @m: the run
 * @state: the random generator's state
 *
 * Return: false once a check has failed.
 */
bool fm_step(struct fm *m, u64 *state)
{
	unsigned int op = rnd(state) % 16, k = rnd(state) % FM_WALKERS, i;
	u32 prot;

	if (m->failed)
		return false;
	if (op < 8) {
		/* Mostly the walker's own pages. */
		i = rnd(state) % FM_PAGES;
		if (rnd(state) % 8)
			i = (i & ~3U) | k;
		if (!m->on_p[k])
			return true;
		return check(m, k, i);
	}
	if (op < 11)
		return exchange(m, state);
	if (op == 11) {
		int ret;

		i = rnd(state) % FM_PAGES;
		ret = ptsel_partition_leaf_ad(m->p, m->addr[i], m->target[i],
					      PTSEL_LEAF_ACCESSED,
					      rnd(state) & 1 ? PTSEL_LEAF_DIRTY : 0,
					      &prot);
		if (ret)
			return FAIL(m, "A/D update of page %u: %d", i, ret);
		return true;
	}
	if (op == 12) {
		/* Away to @q and back: kept only if @p did not change. */
		struct ptsel_xlate x;

		ptsel_walker_switch(m->w[k], m->on_p[k] ? m->q : m->p);
		m->on_p[k] = !m->on_p[k];
		if (!m->on_p[k] &&
		    ptsel_walker_translate(m->w[k], m->addr[0], &x) != -ENOENT)
			return FAIL(m, "walker %u translated in the empty partition", k);
		return true;
	}
	if (op == 13)
		return exchange_refused(m, state);
	/* Every walker on @p, one page. */
	i = rnd(state) % FM_PAGES;
	for (k = 0; k < FM_WALKERS; k++)
		if (m->on_p[k] && !check(m, k, i))
			return false;
	return true;
}

/**
 * fm_check_all() - every page through every walker, all back on @p
 * @m: the run
 *
 * Return: false if a check failed.
 */
bool fm_check_all(struct fm *m)
{
	unsigned int k, i;

	for (k = 0; k < FM_WALKERS; k++) {
		if (!m->on_p[k]) {
			ptsel_walker_switch(m->w[k], m->p);
			m->on_p[k] = true;
		}
		for (i = 0; i < FM_PAGES; i++)
			if (!check(m, k, i))
				return false;
	}
	return !m->failed;
}

/**
 * fm_fini() - free a run's walkers and partitions
 * @m: the run
 */
void fm_fini(struct fm *m)
{
	unsigned int k;

	for (k = 0; k < FM_WALKERS; k++)
		if (m->w[k])
			ptsel_walker_destroy(m->w[k]);
	ptsel_partition_put(m->q);
	ptsel_partition_put(m->p);
}

/*
 * Walker 0 caches a page of granule 0, walker 1 one of granule 1:
 * an exchange in granule 0 invalidates walker 0 alone, and walker 0
 * sees it. Then walker 1 caches the 1 GiB leaf through a granule far
 * from the next exchange's: that exchange (a split) must reach it.
 */
static const char *directed(struct fm *m)
{
	u64 before[FM_WALKERS], after[FM_WALKERS];
	struct ptsel_xlate x;

	if (ptsel_walker_translate(m->w[0], m->addr[0], &x) ||
	    ptsel_walker_translate(m->w[1], m->addr[2], &x) ||
	    ptsel_walker_translate(m->w[0], m->addr[0], &x) || x.mem_refs)
		return "setup: the walkers did not cache their pages";
	invalidations(m, before);
	if (ptsel_partition_leaf_try_cmpxchg(m->p, m->addr[0], m->target[0], 0,
					     m->fresh, 1, NULL))
		return "exchange in granule 0 failed";
	m->target[0] = m->fresh;
	m->sw[0] = 1;
	invalidations(m, after);
	if (after[0] != before[0] + 1)
		return "the walker that cached the page was not invalidated";
	if (after[1] != before[1] || after[2] != before[2] || after[3] != before[3])
		return "an exchange in granule 0 visited walkers that never used it";
	if (!check(m, 0, 0) || !check(m, 1, 2))
		return m->msg;
	/* Page 40 lies 217 granules past page 33, in another bit. */
	if (ptsel_walker_translate(m->w[1], m->addr[40], &x) || x.level != 2 ||
	    ptsel_walker_translate(m->w[1], m->addr[33], &x) || x.mem_refs)
		return "walker 1 did not cache the 1 GiB leaf";
	if (ptsel_partition_leaf_cmpxchg(m->p, m->addr[33], m->target[33], 0,
					 m->target[33], 2, NULL))
		return "exchange under the 1 GiB leaf failed";
	m->sw[33] = 2;
	if (!check(m, 1, 33) || !check(m, 1, 40))
		return m->msg;
	return NULL;
}

/**
 * fm_directed() - the directed case, on a fresh run
 * @m: the run's storage
 * @format: PTSEL_FORMAT_RADIX or _HASH
 *
 * Return: NULL if it passed, else what failed (in @m or static).
 */
const char *fm_directed(struct fm *m, u32 format)
{
	const char *why;

	memset(m, 0, sizeof(*m));
	if (fm_init(m, format))
		return "setup failed";
	why = directed(m);
	fm_fini(m);
	return why;
}
