// SPDX-License-Identifier: GPL-2.0
/*
 * ptsel hashed format: a POWER style hashed page table. Entries live in
 * groups of eight; a leaf of input address A and level L goes to its
 * primary group, or to its secondary group (primary ^ mask) when the
 * primary is full. Leaves are 4K, 2M or 1G, like the radix format, and
 * the two formats accept and refuse exactly the same requests.
 *
 * The table grows when an insert finds both groups full and shrinks
 * when it is mostly empty. A resize builds the next generation off to
 * the side and publishes it with one release store, so lookups keep
 * going on the old generation until they see the new one.
 *
 * Lookups are lockless. An entry is inserted by writing @r and then
 * @v (release) and removed by clearing @v (release); a reader loads
 * @v (acquire), then @r, then checks @v again, which catches a slot
 * that was reused under it. Leaf levels are probed from 1G down to 4K
 * and a split inserts the small leaves before it removes the large
 * one, so a lookup concurrent with a split always finds one of them.
 */
#include <linux/bits.h>
#include <linux/compiler.h>
#include <linux/errno.h>
#include <linux/export.h>
#include <linux/ptsel.h>
#include <asm/barrier.h>

#include "ptsel_core.h"

#define V_VALID		BIT_ULL(0)
#define V_SECONDARY	BIT_ULL(1)
#define V_LEVEL_SHIFT	2
#define V_LEVEL_MASK	(3ULL << V_LEVEL_SHIFT)
#define ADDR_MASK	(~(PTSEL_PAGE_SIZE - 1))
#define R_PROT_SHIFT	1

static inline u64 make_v(u64 addr, unsigned int level, bool secondary)
{
	return addr | ((u64)level << V_LEVEL_SHIFT) |
	       (secondary ? V_SECONDARY : 0) | V_VALID;
}

/* Primary group of a leaf; the secondary is primary ^ (groups - 1). */
static inline unsigned long hash_group(u64 addr, unsigned int level,
				       unsigned int order)
{
	u64 key = (addr >> (PTSEL_SHIFT + PTSEL_LEVEL_BITS * level)) ^
		  ((u64)level << 60);

	return (key * 0x9e3779b97f4a7c15ULL) >> (64 - order);
}

static inline struct ptsel_hpte *group(struct ptsel_htab *t, unsigned long g)
{
	return &t->e[g * PTSEL_HPTEG_SLOTS];
}

static inline unsigned long capacity(unsigned int order)
{
	return (unsigned long)PTSEL_HPTEG_SLOTS << order;
}

/* The live entry for (@addr, @level) in @t, or NULL. Updaters only. */
static struct ptsel_hpte *find(struct ptsel_htab *t, u64 addr,
			       unsigned int level)
{
	unsigned long g = hash_group(addr, level, t->order);
	unsigned int pass, i;

	for (pass = 0; pass < 2; pass++) {
		struct ptsel_hpte *e = group(t, g);

		for (i = 0; i < PTSEL_HPTEG_SLOTS; i++)
			if ((e[i].v & ~V_SECONDARY) == make_v(addr, level, false))
				return &e[i];
		g ^= (1UL << t->order) - 1;
	}
	return NULL;
}

/* Put a leaf into @t if one of its two groups has room. */
static bool place(struct ptsel_htab *t, u64 addr, unsigned int level, u64 r)
{
	unsigned long g = hash_group(addr, level, t->order);
	unsigned int pass, i;

	for (pass = 0; pass < 2; pass++) {
		struct ptsel_hpte *e = group(t, g);

		for (i = 0; i < PTSEL_HPTEG_SLOTS; i++) {
			if (e[i].v & V_VALID)
				continue;
			WRITE_ONCE(e[i].r, r);
			/* Pairs with the acquire in lookup(): @r is set. */
			smp_store_release(&e[i].v, make_v(addr, level, pass));
			return true;
		}
		g ^= (1UL << t->order) - 1;
	}
	return false;
}

/*
 * Build a generation of 2^@order groups holding every entry of the
 * current one and publish it. Fails with -ENOMEM if the memory is not
 * there, or -ENOSPC if the entries do not fit; the current generation
 * stays in place either way.
 */
static int rehash(struct ptsel_hash *h, unsigned int order)
{
	struct ptsel_htab *old = h->tab, *t;
	unsigned long i;

	if (order < PTSEL_HASH_MIN_ORDER || order > PTSEL_HASH_MAX_ORDER)
		return -EINVAL;
	t = h->ops->alloc(h->priv, ptsel_htab_bytes(order));
	if (!t)
		return -ENOMEM;
	t->order = order;
	for (i = 0; i < capacity(old->order); i++) {
		u64 v = old->e[i].v;

		if (!(v & V_VALID))
			continue;
		if (!place(t, v & ADDR_MASK, (v & V_LEVEL_MASK) >> V_LEVEL_SHIFT,
			   old->e[i].r)) {
			h->ops->free(h->priv, t, ptsel_htab_bytes(order));
			return -ENOSPC;
		}
	}
	/* Pairs with the acquire in ptsel_hash_translate(). */
	smp_store_release(&h->tab, t);
	h->ops->free(h->priv, old, ptsel_htab_bytes(old->order));
	return 0;
}

/* Insert a leaf, growing the table as long as both groups are full. */
static int insert(struct ptsel_hash *h, u64 addr, unsigned int level, u64 r)
{
	unsigned int order = h->tab->order;
	int ret;

	/* Counted first: a lookup that can see the entry sees the count. */
	WRITE_ONCE(h->nr_level[level], h->nr_level[level] + 1);
	smp_wmb();	/* the count before the entry: see ptsel_hash_translate() */
	while (!place(h->tab, addr, level, r)) {
		do {
			ret = order < PTSEL_HASH_MAX_ORDER ? rehash(h, ++order) : -ENOMEM;
		} while (ret == -ENOSPC);
		if (ret) {
			WRITE_ONCE(h->nr_level[level], h->nr_level[level] - 1);
			return ret;
		}
	}
	h->nr_entries++;
	return 0;
}

static void remove_entry(struct ptsel_hash *h, struct ptsel_hpte *e)
{
	unsigned int level = (e->v & V_LEVEL_MASK) >> V_LEVEL_SHIFT;

	/* Release: entries inserted before (by a split) are visible first. */
	smp_store_release(&e->v, 0);
	h->nr_entries--;
	WRITE_ONCE(h->nr_level[level], h->nr_level[level] - 1);
}

/* Halve the table while it is less than 1/8 full. Best effort. */
static void maybe_shrink(struct ptsel_hash *h)
{
	unsigned int order = h->tab->order;

	while (order > PTSEL_HASH_MIN_ORDER &&
	       h->nr_entries < capacity(order) / 8 && !rehash(h, order - 1))
		order--;
}

/**
 * ptsel_hash_init() - set up an empty hashed table
 * @h: table to initialize
 * @order: start with 2^@order groups of eight entries
 * @limit: first input address that cannot be mapped (power of two)
 * @ops: memory provider
 * @priv: cookie passed to @ops
 *
 * Return: 0, -EINVAL for a bad @order or @limit, -ENOMEM.
 */
int ptsel_hash_init(struct ptsel_hash *h, unsigned int order, u64 limit,
		    const struct ptsel_hash_ops *ops, void *priv)
{
	unsigned int i;

	if (order < PTSEL_HASH_MIN_ORDER || order > PTSEL_HASH_MAX_ORDER ||
	    limit < PTSEL_PAGE_SIZE || (limit & (limit - 1)) ||
	    limit > 1ULL << 57)
		return -EINVAL;
	h->ops = ops;
	h->priv = priv;
	h->limit = limit;
	h->nr_entries = 0;
	for (i = 0; i <= PTSEL_MAX_LEAF_LEVEL; i++)
		h->nr_level[i] = 0;
	h->tab = ops->alloc(priv, ptsel_htab_bytes(order));
	if (!h->tab)
		return -ENOMEM;
	h->tab->order = order;
	return 0;
}
EXPORT_SYMBOL_NS_GPL(ptsel_hash_init, PTSEL);

/**
 * ptsel_hash_destroy() - free the table
 * @h: table to tear down; no lookup may start afterwards
 */
void ptsel_hash_destroy(struct ptsel_hash *h)
{
	if (h->tab)
		h->ops->free(h->priv, h->tab, ptsel_htab_bytes(h->tab->order));
	h->tab = NULL;
}
EXPORT_SYMBOL_NS_GPL(ptsel_hash_destroy, PTSEL);

/**
 * ptsel_hash_resize() - move the table to 2^@order groups
 * @h: the table; the caller serializes updates, lookups go on
 * @order: new size, PTSEL_HASH_MIN_ORDER to PTSEL_HASH_MAX_ORDER
 *
 * Return: 0; -EINVAL for a bad @order; -ENOSPC if the entries would not
 * fit; -ENOMEM. On failure the table is unchanged.
 */
int ptsel_hash_resize(struct ptsel_hash *h, unsigned int order)
{
	if (order == h->tab->order)
		return 0;
	return rehash(h, order);
}
EXPORT_SYMBOL_NS_GPL(ptsel_hash_resize, PTSEL);

/*
 * Find the leaves of @level that overlap [start, end), by probing each
 * aligned slot when that reads less than the whole table, by scanning
 * the table otherwise. With @drop, remove them all; without,
 * stop at the first. Returns whether there was any.
 */
static bool overlap(struct ptsel_hash *h, unsigned int level, u64 start,
		    u64 end, bool drop)
{
	u64 sz = ptsel_level_size(level), a = start & ~(sz - 1);
	struct ptsel_htab *t = h->tab;
	bool found = false;
	unsigned long i;

	if (!h->nr_level[level])
		return false;
	/* A probe reads up to two groups; a scan reads the whole table. */
	if ((end - a) / sz * 2 * PTSEL_HPTEG_SLOTS <= capacity(t->order)) {
		for (; a < end; a += sz) {
			struct ptsel_hpte *e = find(t, a, level);

			if (!e)
				continue;
			if (!drop)
				return true;
			remove_entry(h, e);
			found = true;
		}
		return found;
	}
	for (i = 0; i < capacity(t->order); i++) {
		u64 v = t->e[i].v, lo = v & ADDR_MASK;

		if (!(v & V_VALID) || (v & V_LEVEL_MASK) >> V_LEVEL_SHIFT != level)
			continue;
		if (lo >= end || start >= lo + sz)
			continue;
		if (!drop)
			return true;
		remove_entry(h, &t->e[i]);
		found = true;
	}
	return found;
}

/* Remove every leaf inside [start, end); none may straddle its ends. */
static void remove_range(struct ptsel_hash *h, u64 start, u64 end)
{
	unsigned int level;

	for (level = 0; level <= PTSEL_MAX_LEAF_LEVEL; level++)
		overlap(h, level, start, end, true);
}

/*
 * Replace the leaf that straddles @addr, if any, by leaves one level
 * down, and repeat until @addr is a leaf boundary. Each step inserts
 * the 512 smaller leaves before it removes the large one; a failed
 * step takes back its smaller leaves, so translations never change.
 */
static int split_at(struct ptsel_hash *h, u64 addr)
{
	unsigned int level;

	for (level = PTSEL_MAX_LEAF_LEVEL; level > 0; level--) {
		u64 sz = ptsel_level_size(level), base = addr & ~(sz - 1);
		u64 child = ptsel_level_size(level - 1), r, target;
		struct ptsel_hpte *e;
		unsigned int i;
		int ret;

		if (!(addr & (sz - 1)))
			return 0;
		e = find(h->tab, base, level);
		if (!e)
			continue;
		r = e->r;
		target = r & ADDR_MASK;
		for (i = 0; i < PTSEL_ENTRIES; i++) {
			ret = insert(h, base + i * child, level - 1,
				     (target + i * child) | (r & ~ADDR_MASK));
			if (ret) {
				overlap(h, level - 1, base, base + i * child, true);
				return ret;
			}
		}
		/* Inserts may have moved everything to a new generation. */
		remove_entry(h, find(h->tab, base, level));
	}
	return 0;
}

/**
 * ptsel_hash_map() - map an input range to an output range
 * @h: the table; the caller serializes updates
 * @addr: first input address, 4K aligned
 * @target: first output address, 4K aligned
 * @size: length in bytes, a non-zero multiple of 4K
 * @prot: PTSEL_PROT_* bits, READ included
 *
 * Same leaf choice and the same all-or-nothing rule as
 * ptsel_radix_map(); the table grows as needed.
 *
 * Return: 0; -EINVAL for a bad request; -EEXIST if part of the range
 * is mapped; -ENOMEM if the table could not grow.
 */
int ptsel_hash_map(struct ptsel_hash *h, u64 addr, u64 target, u64 size,
		   u32 prot)
{
	unsigned int level;
	u64 done = 0;
	int ret;

	if (!ptsel_map_ok(addr, target, size, prot, h->limit))
		return -EINVAL;
	for (level = 0; level <= PTSEL_MAX_LEAF_LEVEL; level++)
		if (overlap(h, level, addr, addr + size, false))
			return -EEXIST;

	while (done < size) {
		u64 a = addr + done, t = target + done;

		level = ptsel_leaf_level(a, t, size - done);
		ret = insert(h, a, level, t | ((u64)prot << R_PROT_SHIFT));
		if (ret) {
			remove_range(h, addr, a);
			maybe_shrink(h);
			return ret;
		}
		done += ptsel_level_size(level);
	}
	return 0;
}
EXPORT_SYMBOL_NS_GPL(ptsel_hash_map, PTSEL);

/**
 * ptsel_hash_unmap() - remove every mapping of an input range
 * @h: the table; the caller serializes updates
 * @addr: first input address, 4K aligned
 * @size: length in bytes, a non-zero multiple of 4K
 *
 * Holes are fine; a huge leaf the range covers in part is split first.
 *
 * Return: 0; -EINVAL for a bad range; -ENOMEM if a split could not
 * grow the table, in which case every translation is unchanged.
 */
int ptsel_hash_unmap(struct ptsel_hash *h, u64 addr, u64 size)
{
	int ret;

	if (!ptsel_range_ok(addr, size, h->limit))
		return -EINVAL;
	ret = split_at(h, addr);
	if (!ret && addr + size < h->limit)
		ret = split_at(h, addr + size);
	if (ret)
		return ret;
	remove_range(h, addr, addr + size);
	maybe_shrink(h);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(ptsel_hash_unmap, PTSEL);

/* Lockless probe of one leaf level. */
static bool lookup(const struct ptsel_htab *t, u64 addr, unsigned int level,
		   u64 *r, u32 *refs)
{
	u64 want = make_v(addr & ~(ptsel_level_size(level) - 1), level, false);
	unsigned long g = hash_group(want & ADDR_MASK, level, t->order);
	unsigned int pass, i;

	for (pass = 0; pass < 2; pass++) {
		const struct ptsel_hpte *e = &t->e[g * PTSEL_HPTEG_SLOTS];

		for (i = 0; i < PTSEL_HPTEG_SLOTS; i++) {
			/* Pairs with the release in place()/remove_entry(). */
			u64 v = smp_load_acquire(&e[i].v);

			(*refs)++;
			if ((v & ~V_SECONDARY) != want)
				continue;
			*r = READ_ONCE(e[i].r);
			smp_rmb();	/* @r before the second look at @v */
			if (READ_ONCE(e[i].v) == v)
				return true;
		}
		g ^= (1UL << t->order) - 1;
	}
	return false;
}

/**
 * ptsel_hash_translate() - look up one input address
 * @h: the table; may run concurrently with updates under RCU
 * @addr: input address, any byte offset
 * @out: translation, filled on success; @out->mem_refs counts the
 *	 entries read
 *
 * Return: 0; -ENOENT if @addr is not mapped; -EINVAL if it is at or
 * beyond the table's limit.
 */
int ptsel_hash_translate(const struct ptsel_hash *h, u64 addr,
			 struct ptsel_xlate *out)
{
	/* Pairs with the release in rehash(): the generation is complete. */
	const struct ptsel_htab *t = smp_load_acquire(&h->tab);
	u32 refs = 0;
	int level;
	u64 r;

	if (addr >= h->limit)
		return -EINVAL;
	for (level = PTSEL_MAX_LEAF_LEVEL; level >= 0; level--) {
		if (!READ_ONCE(h->nr_level[level]))
			continue;
		if (lookup(t, addr, level, &r, &refs)) {
			u64 sz = ptsel_level_size(level);

			out->target = (r & ADDR_MASK) + (addr & (sz - 1));
			out->prot = (r >> R_PROT_SHIFT) & PTSEL_PROT_MASK;
			out->level = level;
			out->mem_refs = refs;
			return 0;
		}
	}
	out->mem_refs = refs;
	return -ENOENT;
}
EXPORT_SYMBOL_NS_GPL(ptsel_hash_translate, PTSEL);
