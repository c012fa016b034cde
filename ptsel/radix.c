// SPDX-License-Identifier: GPL-2.0
/*
 * ptsel radix format: x86-64 style hierarchical tables, 4 or 5 levels
 * of 512 entries, with 4K, 2M and 1G leaves.
 *
 * Entry layout (software format, one u64):
 *   bit 0      present
 *   bits 1-3   PTSEL_PROT_{READ,WRITE,EXEC} (leaves only)
 *   bits 4-5   software state (PTSEL_SW_MASK >> 1; leaves only)
 *   bit 7      leaf (set on every leaf, whatever its level)
 *   bits 8-9   accessed, dirty (PTSEL_AD_MASK >> 5; leaves only)
 *   bits 12-63 output address (leaf) or address of the next table
 *
 * Invariant between operations: every table except the root holds at
 * least one present entry, so table memory tracks what is mapped.
 */
#include <linux/bits.h>
#include <linux/errno.h>
#include <linux/export.h>
#include <linux/compiler.h>
#include <linux/ptsel.h>
#include <asm/barrier.h>

#include "ptsel_core.h"

#include "radix_entry.h"

static inline void set_entry(u64 *slot, u64 e)
{
	/* Pairs with the acquire in the walk: a new table is complete. */
	smp_store_release(slot, e);
}

static u64 *table_alloc(struct ptsel_radix *r)
{
	u64 *t = r->ops->alloc(r->priv);

	if (t)
		r->nr_tables++;
	return t;
}

static void table_free(struct ptsel_radix *r, u64 *t)
{
	r->nr_tables--;
	r->ops->free(r->priv, t);
}

static bool table_empty(const u64 *t)
{
	unsigned int i;

	for (i = 0; i < PTSEL_ENTRIES; i++)
		if (t[i] & E_PRESENT)
			return false;
	return true;
}

/**
 * ptsel_radix_limit() - first input address a radix table cannot map
 * @r: the table
 *
 * Return: 2^48 for 4 levels, 2^57 for 5.
 */
u64 ptsel_radix_limit(const struct ptsel_radix *r)
{
	return 1ULL << level_shift(r->levels);
}
PTSEL_EXPORT_FOR_TESTS(ptsel_radix_limit);

/**
 * ptsel_radix_init() - set up an empty radix table
 * @r: table to initialize
 * @levels: 4 (48-bit input addresses) or 5 (57-bit)
 * @ops: table memory provider
 * @priv: cookie passed to @ops
 *
 * Return: 0, -EINVAL for a bad level count, -ENOMEM if the root table
 * cannot be allocated.
 */
int ptsel_radix_init(struct ptsel_radix *r, unsigned int levels,
		     const struct ptsel_table_ops *ops, void *priv)
{
	if (levels != 4 && levels != 5)
		return -EINVAL;
	r->levels = levels;
	r->ops = ops;
	r->priv = priv;
	r->nr_tables = 0;
	r->root = table_alloc(r);
	return r->root ? 0 : -ENOMEM;
}
PTSEL_EXPORT_FOR_TESTS(ptsel_radix_init);

static void free_subtree(struct ptsel_radix *r, u64 *t, unsigned int level)
{
	unsigned int i;

	if (level > 0) {
		for (i = 0; i < PTSEL_ENTRIES; i++) {
			u64 e = t[i];

			if ((e & E_PRESENT) && !(e & E_LEAF))
				free_subtree(r, entry_table(e), level - 1);
		}
	}
	table_free(r, t);
}

/**
 * ptsel_radix_destroy() - free every table, root included
 * @r: table to tear down; no lookup may start afterwards
 */
void ptsel_radix_destroy(struct ptsel_radix *r)
{
	if (r->root)
		free_subtree(r, r->root, r->levels - 1);
	r->root = NULL;
}
PTSEL_EXPORT_FOR_TESTS(ptsel_radix_destroy);

/* Called for each leaf by visit_leaves(); non-zero stops the walk. */
typedef int (*leaf_visit_fn)(void *priv, u64 *slot, u64 addr,
			     unsigned int level);

/*
 * Call @fn, in address order, for every leaf below table @t (which maps
 * [base, base + 512 leaves of @level)) that overlaps [start, end).
 */
static int visit_leaves(u64 *t, unsigned int level, u64 base, u64 start,
			u64 end, leaf_visit_fn fn, void *priv)
{
	u64 sz = ptsel_level_size(level);
	unsigned int i = level_index(start, level);
	int ret;

	for (; i < PTSEL_ENTRIES; i++) {
		u64 lo = base + i * sz, hi = lo + sz;
		u64 e = t[i];

		if (lo >= end)
			break;
		if (!(e & E_PRESENT))
			continue;
		if (e & E_LEAF)
			ret = fn(priv, &t[i], lo, level);
		else
			ret = visit_leaves(entry_table(e), level - 1, lo,
					   start > lo ? start : lo,
					   end < hi ? end : hi, fn, priv);
		if (ret)
			return ret;
	}
	return 0;
}

static int visit_range(const struct ptsel_radix *r, u64 start, u64 end,
		       leaf_visit_fn fn, void *priv)
{
	return visit_leaves(r->root, r->levels - 1, 0, start, end, fn, priv);
}

static int leaf_found(void *priv, u64 *slot, u64 addr, unsigned int level)
{
	return 1;
}

/* Is any address of [start, end) mapped? */
static bool range_mapped(const struct ptsel_radix *r, u64 start, u64 end)
{
	return visit_range(r, start, end, leaf_found, NULL);
}

/*
 * Clear every leaf in [start, end) below @t and free tables that become
 * empty. Leaves straddling the range boundaries must have been split.
 * Returns true when @t ends up empty.
 */
static bool clear_range(struct ptsel_radix *r, u64 *t, unsigned int level,
			u64 base, u64 start, u64 end)
{
	u64 sz = ptsel_level_size(level);
	unsigned int i = level_index(start, level);

	for (; i < PTSEL_ENTRIES; i++) {
		u64 lo = base + i * sz, hi = lo + sz;
		u64 e = t[i];
		u64 *child;

		if (lo >= end)
			break;
		if (!(e & E_PRESENT))
			continue;
		if (e & E_LEAF) {
			WRITE_ONCE(t[i], 0);
			continue;
		}
		child = entry_table(e);
		if (clear_range(r, child, level - 1, lo,
				start > lo ? start : lo, end < hi ? end : hi)) {
			WRITE_ONCE(t[i], 0);
			table_free(r, child);
		}
	}
	return table_empty(t);
}

static void unmap_range(struct ptsel_radix *r, u64 start, u64 end)
{
	clear_range(r, r->root, r->levels - 1, 0, start, end);
}

/*
 * Make sure no leaf larger than 4K straddles @addr: replace the leaf
 * that covers it by a table of smaller leaves, and so on down to the
 * level where @addr is a leaf boundary. The new tables are filled off
 * to the side and published with one store, so a lookup sees the old
 * leaf or the new tables, and a failure changes nothing at all.
 */
static int split_at(struct ptsel_radix *r, u64 addr)
{
	unsigned int level = r->levels - 1;
	u64 *t = r->root, *top = NULL, *link = NULL, *slot;
	unsigned int leaf_level;
	u64 e, target;
	u32 prot;

	for (;;) {
		slot = &t[level_index(addr, level)];
		e = *slot;
		if (!(e & E_PRESENT) || level == 0)
			return 0;
		if (e & E_LEAF)
			break;
		t = entry_table(e);
		level--;
	}
	if (!(addr & (ptsel_level_size(level) - 1)))
		return 0;
	leaf_level = level;
	target = (e & E_ADDR_MASK) + (addr & (ptsel_level_size(level) - 1));
	prot = entry_prot(e);
	for (; level > 0 && (addr & (ptsel_level_size(level) - 1)); level--) {
		u64 child_sz = ptsel_level_size(level - 1);
		u64 base = target & ~(ptsel_level_size(level) - 1);
		u64 *child = table_alloc(r);
		unsigned int i;

		if (!child) {
			/* @link still holds a leaf: this frees just the new tables. */
			if (top)
				free_subtree(r, top, leaf_level - 1);
			return -ENOMEM;
		}
		for (i = 0; i < PTSEL_ENTRIES; i++)
			child[i] = make_leaf(base + i * child_sz, prot);
		if (link)
			*link = (u64)(uintptr_t)child | E_PRESENT;
		else
			top = child;
		link = &child[level_index(addr, level - 1)];
	}
	set_entry(slot, (u64)(uintptr_t)top | E_PRESENT);
	return 0;
}

/* Make @start and @end leaf boundaries; a failure changes no translation. */
static int split_range(struct ptsel_radix *r, u64 start, u64 end)
{
	int ret = split_at(r, start);

	/* The end of the input space is a boundary of every leaf. */
	if (!ret && end < ptsel_radix_limit(r))
		ret = split_at(r, end);
	return ret;
}

/* Install one leaf of size ptsel_level_size(@leaf_level) at @addr. */
static int install_leaf(struct ptsel_radix *r, u64 addr, u64 target,
			unsigned int leaf_level, u32 prot)
{
	unsigned int level = r->levels - 1;
	u64 *t = r->root;

	while (level > leaf_level) {
		u64 *slot = &t[level_index(addr, level)];
		u64 e = *slot;

		if (!(e & E_PRESENT)) {
			u64 *child = table_alloc(r);

			if (!child)
				return -ENOMEM;
			set_entry(slot, (u64)(uintptr_t)child | E_PRESENT);
			e = *slot;
		}
		t = entry_table(e);
		level--;
	}
	set_entry(&t[level_index(addr, level)], make_leaf(target, prot));
	return 0;
}

/**
 * ptsel_radix_map() - map an input range to an output range
 * @r: the table; the caller serializes updates
 * @addr: first input address, 4K aligned
 * @target: first output address, 4K aligned
 * @size: length in bytes, a non-zero multiple of 4K
 * @prot: PTSEL_PROT_* bits, READ included
 *
 * Each step uses the largest leaf (1G, 2M, 4K) that the alignment of
 * both addresses and the remaining length allow. The operation is all
 * or nothing: on failure nothing of the range stays mapped and no
 * table is left behind.
 *
 * Return: 0; -EINVAL for a misaligned, empty, overflowing or
 * out-of-range request or bad @prot; -EEXIST if any part of the range
 * is already mapped; -ENOMEM if table memory ran out.
 */
int ptsel_radix_map(struct ptsel_radix *r, u64 addr, u64 target, u64 size,
		    u32 prot)
{
	u64 done = 0;
	int ret;

	/* Software and A/D bits are for conversions that carry them over. */
	if (!ptsel_map_ok(addr, target, size, prot & ~PTSEL_STATE_MASK,
			  ptsel_radix_limit(r)))
		return -EINVAL;
	if (range_mapped(r, addr, addr + size))
		return -EEXIST;

	while (done < size) {
		u64 a = addr + done, t = target + done;
		unsigned int level = ptsel_leaf_level(a, t, size - done);

		ret = install_leaf(r, a, t, level, prot);
		if (ret) {
			/* Also prunes tables allocated for the failed leaf. */
			unmap_range(r, addr, a + ptsel_level_size(level));
			return ret;
		}
		done += ptsel_level_size(level);
	}
	return 0;
}
PTSEL_EXPORT_FOR_TESTS(ptsel_radix_map);

/**
 * ptsel_radix_unmap() - remove every mapping of an input range
 * @r: the table; the caller serializes updates
 * @addr: first input address, 4K aligned
 * @size: length in bytes, a non-zero multiple of 4K
 *
 * Unmapped holes inside the range are fine. A huge leaf that the range
 * covers only partly is split first, and tables left empty are freed.
 *
 * Return: 0; -EINVAL for a bad range; -ENOMEM if a split could not get
 * a table, in which case every translation is unchanged.
 */
int ptsel_radix_unmap(struct ptsel_radix *r, u64 addr, u64 size)
{
	int ret;

	if (!ptsel_range_ok(addr, size, ptsel_radix_limit(r)))
		return -EINVAL;
	ret = split_range(r, addr, addr + size);
	if (ret)
		return ret;
	unmap_range(r, addr, addr + size);
	return 0;
}
PTSEL_EXPORT_FOR_TESTS(ptsel_radix_unmap);

/*
 * Cache the tables a walk entered, @seen[@from - 1] down to @seen[@to],
 * none of them cached: the walk looked each up and missed
 * (translate_wc_probe()), so no chain is searched again. With
 * tracking, the search keeps the deepest one as its tracked entry and
 * the upper ones go in cold, so they stay only if other searches share
 * them; the deepest upper table goes in last, as the one a cold insert
 * of this walk does not evict. Without tracking, each goes in by the
 * default policy, top down.
 */
static void wc_fill(struct ptsel_wcache *wc, u64 asid, unsigned int walker,
		    u64 addr, const u64 *const *seen, unsigned int from,
		    unsigned int to)
{
	unsigned int level;

	if (!wc->tracking) {
		for (level = from; level-- > to;)
			ptsel_wc_insert_new(wc, walker, asid, level, addr, seen[level]);
		return;
	}
	ptsel_wc_insert_new(wc, walker, asid, to, addr, seen[to]);
	for (level = from; level-- > to + 1;)
		ptsel_wc_insert_cold_new(wc, asid, level, addr, seen[level]);
}

/*
 * Walk down from table @t at @level; with @seen, note every table
 * entered below @level there, by level. Returns the level it stopped
 * at in @stop, and with @at the table it stopped in. Inline: without
 * @seen it is the whole translation of a walk that caches nothing, and
 * compiles to the bare loop.
 */
static inline int walk_down(const u64 *t, unsigned int level, u64 addr,
			    struct ptsel_xlate *out, const u64 **seen,
			    unsigned int *stop, const u64 **at)
{
	int ret = -ENOENT;
	u32 refs = 0;

	for (;;) {
		/* Pairs with set_entry(): see the table the entry points to. */
		u64 e = smp_load_acquire(&t[level_index(addr, level)]);

		refs++;
		if (!(e & E_PRESENT))
			break;
		if (e & E_LEAF) {
			u64 sz = ptsel_level_size(level);

			/* Leaf targets are aligned to the leaf size. */
			out->target = (e & E_ADDR_MASK) + (addr & (sz - 1));
			out->prot = entry_prot(e);
			out->level = level;
			ret = 0;
			break;
		}
		if (!level)
			break;
		t = entry_table(e);
		level--;
		if (seen && level < PTSEL_WC_LEVELS)
			seen[level] = t;
	}
	out->mem_refs = refs;
	if (stop)
		*stop = level;
	if (at)
		*at = t;
	return ret;
}

static inline int walk_plain(const u64 *t, unsigned int level, u64 addr,
			     struct ptsel_xlate *out)
{
	return walk_down(t, level, addr, out, NULL, NULL, NULL);
}

/*
 * A sampled walk of a bypassed window whose level-0 table admission
 * refused (a first miss). A bypassed cache sees a stream again only
 * through such walks, which lie further apart than the walks of one
 * table and are each refused as a first miss, so they alone would
 * never hit and the cache would stay bypassed for good. So the walk
 * keeps its table in @wc->last, which evicts nothing, and the next
 * PTSEL_WC_BURST walks that miss @wc->last are bypassed one by one
 * before the window's skips resume: a stream in that table hits
 * @wc->last meanwhile, and those hits, credited to the window, end the
 * bypass. A trace without locality pays, per sample, PTSEL_WC_BURST
 * walks through translate_wc_full() (a call, the window's credit and a
 * decrement) in place of the inline skip.
 */
static noinline int walk_refused(const struct ptsel_radix *r,
				 struct ptsel_wcache *wc, u64 asid, u64 addr,
				 struct ptsel_xlate *out)
{
	unsigned int level;
	const u64 *t;
	int ret = walk_down(r->root, r->levels - 1, addr, out, NULL, &level, &t);

	/* A hole or a huge leaf above level 0: no table to keep. */
	if (level)
		return ret;
	ptsel_wc_set_last(wc, asid, ptsel_wc_tag(0, addr), t);
	/*
	 * No burst runs here: translate_wc_full() takes a burst's walks
	 * before any probe, and @wc->fast walks, the other way to a probe,
	 * end one use before their window does, which is never a bypassed
	 * one. @sampler.skipped counts the held skips already: take them
	 * out until they resume, so that ptsel_wc_bypassed() stays exact.
	 */
	wc->held_skip = wc->sampler.skip;
	wc->sampler.skipped -= wc->sampler.skip;
	wc->sampler.skip = 0;
	wc->burst = PTSEL_WC_BURST;
	return ret;
}

/*
 * Walk down from table @t at @level, and insert every table entered on
 * the way into @wc for @walker once the walk is done (see wc_fill()).
 */
static int walk_from(const u64 *t, unsigned int level, u64 addr,
		     struct ptsel_xlate *out, struct ptsel_wcache *wc,
		     u64 asid, unsigned int walker)
{
	const u64 *seen[PTSEL_WC_LEVELS];
	unsigned int top = level < PTSEL_WC_LEVELS ? level : PTSEL_WC_LEVELS;
	int ret = walk_down(t, level, addr, out, seen, &level, NULL);

	if (level < top) {
		wc_fill(wc, asid, walker, addr, seen, top, level);
		if (!level)
			ptsel_wc_set_last(wc, asid, ptsel_wc_tag(0, addr), seen[0]);
	}
	return ret;
}

/**
 * ptsel_radix_translate() - walk the table for one input address
 * @r: the table; may run concurrently with updates under RCU
 * @addr: input address, any byte offset
 * @out: translation, filled on success
 *
 * Return: 0; -ENOENT if @addr is not mapped; -EINVAL if it lies beyond
 * ptsel_radix_limit().
 */
int ptsel_radix_translate(const struct ptsel_radix *r, u64 addr,
			  struct ptsel_xlate *out)
{
	if (addr >= ptsel_radix_limit(r))
		return -EINVAL;
	return walk_plain(r->root, r->levels - 1, addr, out);
}
PTSEL_EXPORT_FOR_TESTS(ptsel_radix_translate);

static int leaf_set_prot(void *priv, u64 *slot, u64 addr, unsigned int level)
{
	u32 prot = *(u32 *)priv;
	u64 e = *slot & ~((u64)PTSEL_PROT_MASK << E_PROT_SHIFT);

	/* One store: a concurrent walk sees the old or the new leaf. */
	WRITE_ONCE(*slot, e | ((u64)prot << E_PROT_SHIFT));
	return 0;
}

/**
 * ptsel_radix_protect() - change the protection of an input range
 * @r: the table; the caller serializes updates
 * @addr: first input address, 4K aligned
 * @size: length in bytes, a non-zero multiple of 4K
 * @prot: new PTSEL_PROT_* bits, READ included
 *
 * Every leaf inside the range gets @prot; holes are skipped. A huge
 * leaf that the range covers only partly is split first. Lookups that
 * run concurrently see the old or the new protection of each leaf and
 * always the same target.
 *
 * Return: 0; -EINVAL for a bad range or @prot; -ENOMEM if a split could
 * not get a table, in which case every translation and protection is
 * unchanged.
 */
int ptsel_radix_protect(struct ptsel_radix *r, u64 addr, u64 size, u32 prot)
{
	int ret;

	if (!ptsel_range_ok(addr, size, ptsel_radix_limit(r)) ||
	    !ptsel_prot_ok(prot))
		return -EINVAL;
	ret = split_range(r, addr, addr + size);
	if (ret)
		return ret;
	return visit_range(r, addr, addr + size, leaf_set_prot, &prot);
}
PTSEL_EXPORT_FOR_TESTS(ptsel_radix_protect);

/**
 * ptsel_radix_split() - make an input address a leaf boundary
 * @r: the table; the caller serializes updates
 * @addr: 4K-aligned input address, up to ptsel_radix_limit()
 *
 * The leaf that straddles @addr, if any, is replaced by smaller leaves
 * so that none does; no translation changes.
 *
 * Return: 0; -EINVAL if @addr is misaligned or beyond the limit;
 * -ENOMEM, in which case the table is unchanged.
 */
int ptsel_radix_split(struct ptsel_radix *r, u64 addr)
{
	if (!ptsel_split_ok(addr, ptsel_radix_limit(r)))
		return -EINVAL;
	if (addr == ptsel_radix_limit(r))
		return 0;
	return split_at(r, addr);
}
PTSEL_EXPORT_FOR_TESTS(ptsel_radix_split);

/* Where a range moves to, and the first leaf found too big to move. */
struct radix_remap_ctx {
	u64 addr, target;
	u64 found;
	unsigned int level;
};

static int leaf_misaligned(void *priv, u64 *slot, u64 lo, unsigned int level)
{
	struct radix_remap_ctx *ra = priv;
	u64 t = ra->target + (lo - ra->addr);

	if (!(t & (ptsel_level_size(level) - 1)))
		return 0;
	ra->found = lo;
	ra->level = level;
	return 1;
}

static int leaf_retarget(void *priv, u64 *slot, u64 lo, unsigned int level)
{
	struct radix_remap_ctx *ra = priv;

	/* One store: a concurrent walk sees the old or the new target. */
	set_entry(slot, make_leaf(ra->target + (lo - ra->addr), entry_prot(*slot)));
	return 0;
}

/**
 * ptsel_radix_remap() - move the mapped pages of a range to new targets
 * @r: the table; the caller serializes updates
 * @addr: first input address, 4K aligned
 * @size: length in bytes, a non-zero multiple of 4K
 * @target: new output address of @addr, 4K aligned
 * @dry: only prepare: split the leaves that the move needs split
 *
 * Each page of the range keeps its protection and gets the output
 * address @target + (page - @addr). Leaves that straddle the range's
 * ends, or whose new target is not aligned to their size, are split
 * first; only that step needs memory. So a caller that moves several
 * ranges as one can prepare them all with @dry, then move them, and
 * nothing can fail half way. Holes stay holes. Concurrent lookups see
 * the old or the new target of each page.
 *
 * Return: 0; -EINVAL for a bad range or @target; -ENOMEM if a split
 * failed, in which case every translation is unchanged.
 */
int ptsel_radix_remap(struct ptsel_radix *r, u64 addr, u64 size, u64 target,
		      bool dry)
{
	struct radix_remap_ctx ra = { .addr = addr, .target = target };
	u64 from = addr;
	int ret;

	if (!ptsel_map_ok(addr, target, size, PTSEL_PROT_READ,
			  ptsel_radix_limit(r)))
		return -EINVAL;
	ret = split_range(r, addr, addr + size);
	while (!ret && visit_range(r, from, addr + size, leaf_misaligned, &ra)) {
		/* One level down; the loop comes back for smaller ones. */
		ret = split_at(r, ra.found + ptsel_level_size(ra.level - 1));
		from = ra.found;
	}
	if (ret || dry)
		return ret;
	return visit_range(r, addr, addr + size, leaf_retarget, &ra);
}
PTSEL_EXPORT_FOR_TESTS(ptsel_radix_remap);

struct leaf_cb {
	ptsel_leaf_fn fn;
	void *priv;
};

static int leaf_report(void *priv, u64 *slot, u64 addr, unsigned int level)
{
	const struct leaf_cb *cb = priv;
	u64 e = *slot;
	struct ptsel_leaf leaf = {
		.addr = addr,
		.target = e & E_ADDR_MASK,
		.size = ptsel_level_size(level),
		.prot = entry_prot(e),
	};

	return cb->fn(cb->priv, &leaf);
}

/**
 * ptsel_radix_walk_leaves() - call a function for each leaf of a range
 * @r: the table; the caller serializes updates, and @fn must not
 *     change the table
 * @start: first input address of interest
 * @end: end of the range (exclusive); clipped to ptsel_radix_limit()
 * @fn: called in address order with every leaf that overlaps
 *	[@start, @end), whole, not clipped to the range
 * @priv: passed to @fn
 *
 * Return: the first non-zero value @fn returned, which stops the walk,
 * or 0.
 */
int ptsel_radix_walk_leaves(const struct ptsel_radix *r, u64 start, u64 end,
			      ptsel_leaf_fn fn, void *priv)
{
	struct leaf_cb cb = { .fn = fn, .priv = priv };

	if (end > ptsel_radix_limit(r))
		end = ptsel_radix_limit(r);
	if (start >= end)
		return 0;
	return visit_range(r, start, end, leaf_report, &cb);
}
PTSEL_EXPORT_FOR_TESTS(ptsel_radix_walk_leaves);

/*
 * The rest of ptsel_radix_translate_wc(), out of line so that its fast
 * paths need no stack frame. A first miss of the level-0 table walks
 * from the root and fills nothing (ptsel_wc_admit()); otherwise probe
 * every level through the hash chains, walk from the deepest table
 * found and fill. The caller has probed level 0 in @wc->last and the
 * front already.
 */
static noinline int translate_wc_probe(const struct ptsel_radix *r,
				       struct ptsel_wcache *wc, u64 asid,
				       unsigned int walker, u64 addr,
				       struct ptsel_xlate *out)
{
	unsigned int level;
	const u64 *t;

	/*
	 * A search that filled before is a stream going on into its next
	 * table, which it will read again: no need to see it miss twice.
	 */
	if (!ptsel_wc_tracks(wc, walker) && !ptsel_wc_admit(wc, asid, addr)) {
		/* A first miss: a walk that reads and fills nothing more... */
		wc->stats.root_walks++;
		if (!wc->sampler.bypass)
			return walk_plain(r->root, r->levels - 1, addr, out);
		/* ... but in a bypassed window, @wc->last and a burst. */
		return walk_refused(r, wc, asid, addr, out);
	}
	t = ptsel_wc_lookup_chain(wc, asid, 0, addr);
	if (t) {
		ptsel_wc_set_last(wc, asid, ptsel_wc_tag(0, addr), t);
		return walk_plain(t, 0, addr, out);
	}
	for (level = 1; level + 1 < r->levels; level++) {
		t = ptsel_wc_lookup(wc, asid, level, addr);
		if (t)
			return walk_from(t, level, addr, out, wc, asid, walker);
	}
	wc->stats.root_walks++;
	return walk_from(r->root, r->levels - 1, addr, out, wc, asid, walker);
}

/* ptsel_radix_translate_wc() by the book: bypass, front, hash chains. */
static noinline int translate_wc_full(const struct ptsel_radix *r,
				      struct ptsel_wcache *wc, u64 asid,
				      unsigned int walker, u64 addr,
				      struct ptsel_xlate *out)
{
	struct ptsel_sampler *s = &wc->sampler;
	const u64 *t;

	/* The hits in @wc->last since the last use count in its window. */
	s->win_free += wc->stats.last_hits - wc->last_credited;
	wc->last_credited = wc->stats.last_hits;
	/* A burst after a refused sample: bypassed all the same. */
	if (wc->burst) {
		if (!--wc->burst) {
			s->skip = wc->held_skip;
			s->skipped += wc->held_skip;
		}
		s->skipped++;
		return walk_plain(r->root, r->levels - 1, addr, out);
	}
	if (ptsel_wc_bypass(wc))
		return walk_plain(r->root, r->levels - 1, addr, out);
	/*
	 * A window that uses the cache on every walk, under CLOCK (a hit
	 * sets a bit, no list to reorder): its walks up to the last but
	 * one take the fast path, counted as uses here.
	 */
	if (s->adaptive && !s->bypass && wc->policy == PTSEL_WC_CLOCK) {
		wc->fast = PTSEL_SAMPLER_WINDOW - 1 - s->win_uses;
		s->win_uses += wc->fast;
	}
	t = ptsel_wc_front_probe(wc, asid, 0, addr);
	if (!t)
		return translate_wc_probe(r, wc, asid, walker, addr, out);
	ptsel_wc_set_last(wc, asid, ptsel_wc_tag(0, addr), t);
	return walk_plain(t, 0, addr, out);
}

/**
 * ptsel_radix_translate_wc() - walk for one input address via a walk cache
 * @r: the table; may run concurrently with updates under RCU
 * @wc: walk cache holding tables of @r under @asid; the caller keeps it
 *	to itself for the whole call (see the walk-cache rules in
 *	ptsel_core.h: the flush after freeing tables takes the same lock)
 * @asid: tag of @r in @wc
 * @walker: search the walk belongs to (ptsel_wc_insert())
 * @addr: input address, any byte offset
 * @out: translation, filled on success
 *
 * Probes @wc for the deepest table covering @addr first (level 0, then
 * up to @r->levels - 2; the root is never cached), walks down from the
 * hit or from the root, and inserts every table it enters below that;
 * unless ptsel_wc_bypass() says that @wc does not help this trace, and
 * the walk leaves it alone.
 * @out->mem_refs counts the table entries read, so a level-0 hit costs
 * one. Otherwise the result is exactly that of ptsel_radix_translate().
 *
 * Return: 0; -ENOENT if @addr is not mapped; -EINVAL if it lies beyond
 * ptsel_radix_limit().
 */
int ptsel_radix_translate_wc(const struct ptsel_radix *r,
			     struct ptsel_wcache *wc, u64 asid,
			     unsigned int walker, u64 addr,
			     struct ptsel_xlate *out)
{
	const struct ptsel_wc_front *f;
	u64 tag;

	if (addr >= ptsel_radix_limit(r))
		return -EINVAL;
	/*
	 * The fast paths make no call, so they need no stack frame: a walk
	 * in a bypassed window, and, while @wc->fast lasts, one that finds
	 * its level-0 table in the front index. Each does exactly what
	 * ptsel_wc_bypass() and ptsel_wc_front_probe() do; anything else
	 * goes the whole way, out of line.
	 */
	if (wc->sampler.skip) {
		wc->sampler.skip--;
		return walk_plain(r->root, r->levels - 1, addr, out);
	}
	tag = ptsel_wc_tag(0, addr);
	if (tag == wc->last.tag && asid == wc->last.asid) {
		wc->stats.last_hits++;
		return walk_plain(wc->last.table, 0, addr, out);
	}
	if (!wc->fast)
		return translate_wc_full(r, wc, asid, walker, addr, out);
	wc->fast--;
	f = ptsel_wc_front_of(wc, 0, tag);
	if (f->tag != tag || f->asid != asid)
		return translate_wc_probe(r, wc, asid, walker, addr, out);
	wc->stats.hits++;
	*f->ref = 1;
	ptsel_wc_set_last(wc, asid, tag, f->table);
	return walk_plain(f->table, 0, addr, out);
}
PTSEL_EXPORT_FOR_TESTS(ptsel_radix_translate_wc);

static int leaf_update(void *priv, u64 *slot, u64 addr, unsigned int level)
{
	struct ptsel_leaf_cx *cx = priv;
	u64 e = *slot;
	u64 target = (e & E_ADDR_MASK) + (cx->addr - addr);
	u32 bits;

	cx->ret = ptsel_leaf_cx_check(cx, target, entry_prot(e), level, &bits);
	/* One store: a concurrent walk sees the old or the new leaf. */
	if (cx->ret > 0) {
		set_entry(slot, make_leaf(cx->new_target, bits));
		cx->ret = 0;
	}
	return 1;
}

/**
 * ptsel_radix_leaf_update() - compare and exchange the leaf of one page
 * @r: the table; the caller serializes updates
 * @cx: the page, what its leaf must hold and what it gets; the outcome
 *
 * A 4K leaf is replaced in one store, which concurrent lookups see
 * whole. A huge leaf is compared (for the page's part of it) and never
 * changed: -EBUSY if it should be, and the caller splits it first.
 *
 * Return: @cx->ret (see struct ptsel_leaf_cx); -EINVAL for a bad
 * address or new target.
 */
int ptsel_radix_leaf_update(struct ptsel_radix *r, struct ptsel_leaf_cx *cx)
{
	struct ptsel_xlate x;
	unsigned int level;
	const u64 *t;

	if (!ptsel_map_ok(cx->addr, cx->new_target, PTSEL_PAGE_SIZE,
			  PTSEL_PROT_READ, ptsel_radix_limit(r)))
		return -EINVAL;
	/*
	 * One page: the lookup's own walk finds its leaf and the table
	 * that holds it, rather than visit_range() (iommu_migrate makes two
	 * of these inside each page's migration window). The caller
	 * serializes updates, so that table stays.
	 */
	if (walk_down(r->root, r->levels - 1, cx->addr, &x, NULL, &level, &t)) {
		cx->ret = -ENOENT;
		return cx->ret;
	}
	/* The walk reads; the table is ours to write. */
	leaf_update(cx, (u64 *)&t[level_index(cx->addr, level)],
		    cx->addr & ~(ptsel_level_size(level) - 1), level);
	return cx->ret;
}
PTSEL_EXPORT_FOR_TESTS(ptsel_radix_leaf_update);
