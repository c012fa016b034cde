// SPDX-License-Identifier: GPL-2.0
/*
 * ptsel hashed format: a POWER style hashed page table. Entries live in
 * groups of eight; a leaf of input address A and level L goes to its
 * primary group, or to its secondary group (primary ^ mask) when the
 * primary is full. Leaves are 4K, 2M or 1G, like the radix format, and
 * the two formats accept and refuse exactly the same requests.
 *
 * Cache lines: the table header is one 64-byte line and the memory is
 * line aligned, so each group is two lines of four entries. A hash bit
 * that the group index does not use gives every leaf a home line, one
 * of the two halves of its group. Insert and lookup try the lines in
 * the same order: primary home, primary other half, secondary home,
 * secondary other half. Most leaves sit in their home line, and a
 * lookup of them reads one line of table memory.
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
 * A protection change rewrites @r in one store and keeps its target
 * bits, so the second look at @v passes and the reader has the old or
 * the new protection, with the right target either way.
 */
#include <linux/bits.h>
#include <linux/build_bug.h>
#include <linux/compiler.h>
#include <linux/errno.h>
#include <linux/export.h>
#include <linux/ptsel.h>
#include <asm/barrier.h>

#include "ptsel_core.h"

#include "hash_layout.h"

/* The live entry for (@addr, @level) in @t, or NULL. Updaters only. */
static struct ptsel_hpte *hpte_find(const struct ptsel_htab *t, u64 addr,
			       unsigned int level)
{
	u64 key = hash_key(addr, level), want = make_v(addr, level, false);
	unsigned int pass, i;

	for (pass = 0; pass < NR_PROBE_LINES; pass++) {
		struct ptsel_hpte *e = line_entries(t, probe_line(key, t->order, pass));

		for (i = 0; i < PTSEL_HLINE_SLOTS; i++)
			if ((e[i].v & ~V_SECONDARY) == want)
				return &e[i];
	}
	return NULL;
}

/* Put a leaf into @t if one of its four lines has room. */
static bool hpte_place(struct ptsel_htab *t, u64 addr, unsigned int level, u64 r)
{
	u64 key = hash_key(addr, level);
	unsigned int pass, i;

	for (pass = 0; pass < NR_PROBE_LINES; pass++) {
		struct ptsel_hpte *e = line_entries(t, probe_line(key, t->order, pass));

		for (i = 0; i < PTSEL_HLINE_SLOTS; i++) {
			if (e[i].v & V_VALID)
				continue;
			WRITE_ONCE(e[i].r, r);
			/* Pairs with the acquire in lookup(): @r is set. */
			smp_store_release(&e[i].v, make_v(addr, level, pass >= 2));
			return true;
		}
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
	/* Counts included that insert() took for an entry not yet placed. */
	for (i = 0; i <= PTSEL_MAX_LEAF_LEVEL; i++)
		t->nr_level[i] = old->nr_level[i];
	for (i = 0; i < capacity(old->order); i++) {
		u64 v = old->e[i].v;

		if (!(v & V_VALID))
			continue;
		if (!hpte_place(t, v & ADDR_MASK, (v & V_LEVEL_MASK) >> V_LEVEL_SHIFT,
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

	/*
	 * Counted first: a lookup that can see the entry sees the count. A
	 * rehash below copies the count into the new generation.
	 */
	WRITE_ONCE(h->tab->nr_level[level], h->tab->nr_level[level] + 1);
	/*
	 * The count before the entry: whoever sees the entry sees it
	 * counted. A lookup of a page that stays mapped does not need
	 * this: it reads the counts first, and remove_entry()'s release
	 * orders a split's small leaves and their counts before the big
	 * leaf's count drops.
	 */
	smp_wmb();
	while (!hpte_place(h->tab, addr, level, r)) {
		do {
			ret = order < PTSEL_HASH_MAX_ORDER ? rehash(h, ++order) : -ENOMEM;
		} while (ret == -ENOSPC);
		if (ret) {
			WRITE_ONCE(h->tab->nr_level[level],
				   h->tab->nr_level[level] - 1);
			return ret;
		}
	}
	h->nr_entries++;
	return 0;
}

static void remove_entry(struct ptsel_hash *h, struct ptsel_hpte *e)
{
	unsigned int level = (e->v & V_LEVEL_MASK) >> V_LEVEL_SHIFT;

	/*
	 * Release: entries inserted before (by a split) are visible first.
	 * Pairs with the acquire of @e->v in lookup().
	 */
	smp_store_release(&e->v, 0);
	h->nr_entries--;
	/*
	 * Release as well: a lookup that sees the count drop sees every
	 * entry placed before, the last small leaf of a split included
	 * (the release above orders those before @e->v only, not before
	 * this store). Pairs with the acquire of the counts in
	 * ptsel_hash_translate().
	 */
	smp_store_release(&h->tab->nr_level[level],
			  h->tab->nr_level[level] - 1);
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
	if (order < PTSEL_HASH_MIN_ORDER || order > PTSEL_HASH_MAX_ORDER ||
	    limit < PTSEL_PAGE_SIZE || (limit & (limit - 1)) ||
	    limit > 1ULL << 57)
		return -EINVAL;
	h->ops = ops;
	h->priv = priv;
	h->limit = limit;
	/* The header is one line: see struct ptsel_htab. */
	BUILD_BUG_ON(sizeof(struct ptsel_htab) != PTSEL_HLINE_BYTES);
	h->nr_entries = 0;
	/* Zeroed: no entry, and no count. */
	h->tab = ops->alloc(priv, ptsel_htab_bytes(order));
	if (!h->tab)
		return -ENOMEM;
	h->tab->order = order;
	return 0;
}
PTSEL_EXPORT_FOR_TESTS(ptsel_hash_init);

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
PTSEL_EXPORT_FOR_TESTS(ptsel_hash_destroy);

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
PTSEL_EXPORT_FOR_TESTS(ptsel_hash_resize);

/* Called for each leaf by visit(); non-zero stops the walk. */
typedef int (*hpte_visit_fn)(void *priv, struct ptsel_hpte *e);

/*
 * Call @fn for each leaf of @level that overlaps [start, end), found by
 * probing each aligned slot when that reads less than the whole table,
 * by scanning the table otherwise. @fn may remove the entry it is
 * given. Returns the first non-zero value of @fn, or 0.
 */
static int visit(const struct ptsel_hash *h, unsigned int level, u64 start,
		 u64 end, hpte_visit_fn fn, void *priv)
{
	u64 sz = ptsel_level_size(level), a = start & ~(sz - 1);
	const struct ptsel_htab *t = h->tab;
	unsigned long i;
	int ret;

	if (!t->nr_level[level])
		return 0;
	/* A probe reads up to two groups; a scan reads the whole table. */
	if ((end - a) / sz * 2 * PTSEL_HPTEG_SLOTS <= capacity(t->order)) {
		for (; a < end; a += sz) {
			struct ptsel_hpte *e = hpte_find(t, a, level);

			ret = e ? fn(priv, e) : 0;
			if (ret)
				return ret;
		}
		return 0;
	}
	for (i = 0; i < capacity(t->order); i++) {
		u64 v = t->e[i].v, lo = v & ADDR_MASK;

		if (!(v & V_VALID) || (v & V_LEVEL_MASK) >> V_LEVEL_SHIFT != level)
			continue;
		if (lo >= end || start >= lo + sz)
			continue;
		ret = fn(priv, line_entries(t, 0) + i);
		if (ret)
			return ret;
	}
	return 0;
}

static int hpte_found(void *priv, struct ptsel_hpte *e)
{
	return 1;
}

static int hpte_drop(void *priv, struct ptsel_hpte *e)
{
	remove_entry(priv, e);
	return 0;
}

/* Is any leaf of @level in [start, end)? */
static bool overlap(const struct ptsel_hash *h, unsigned int level, u64 start,
		    u64 end)
{
	return visit(h, level, start, end, hpte_found, NULL);
}

/* Remove every leaf of @level from @lo up to @hi. */
static void remove_levels(struct ptsel_hash *h, unsigned int lo,
			  unsigned int hi, u64 start, u64 end)
{
	unsigned int level;

	for (level = lo; level <= hi; level++)
		visit(h, level, start, end, hpte_drop, h);
}

/* Remove every leaf inside [start, end); none may straddle its ends. */
static void remove_range(struct ptsel_hash *h, u64 start, u64 end)
{
	remove_levels(h, 0, PTSEL_MAX_LEAF_LEVEL, start, end);
}

/*
 * Replace the leaf that straddles @addr, if any, by smaller leaves, so
 * that @addr becomes a leaf boundary: at each level down from the
 * leaf's, the 512 leaves one level smaller, but for the one that still
 * straddles @addr, which is split in turn. Every small leaf is inserted
 * before the large one is removed, and lookups probe the large level
 * first, so translations never change. A failed insert takes back the
 * leaves inserted so far: the table keeps its contents.
 */
static int split_at(struct ptsel_hash *h, u64 addr)
{
	unsigned int top, level, i;
	struct ptsel_hpte *e = NULL;
	u64 sz = 0, base, r;
	int ret;

	for (top = PTSEL_MAX_LEAF_LEVEL; top > 0; top--) {
		sz = ptsel_level_size(top);
		if (!(addr & (sz - 1)))
			return 0;
		e = hpte_find(h->tab, addr & ~(sz - 1), top);
		if (e)
			break;
	}
	if (!e)
		return 0;
	base = addr & ~(sz - 1);
	r = e->r;
	for (level = top; level > 0; level--) {
		u64 lsz = ptsel_level_size(level), lbase = addr & ~(lsz - 1);
		u64 child = ptsel_level_size(level - 1);
		u64 target = (r & ADDR_MASK) + (lbase - base);

		if (!(addr & (lsz - 1)))
			break;
		for (i = 0; i < PTSEL_ENTRIES; i++) {
			u64 c = lbase + i * child;

			/* The child that straddles @addr is split next. */
			if ((addr & (child - 1)) && c == (addr & ~(child - 1)))
				continue;
			ret = insert(h, c, level - 1,
				     (target + i * child) | (r & ~ADDR_MASK));
			if (ret) {
				remove_levels(h, 0, top - 1, base, base + sz);
				maybe_shrink(h);
				return ret;
			}
		}
	}
	/* Inserts may have moved everything to a new generation. */
	remove_entry(h, hpte_find(h->tab, base, top));
	return 0;
}

/* Make @start and @end leaf boundaries; a failure changes no translation. */
static int split_range(struct ptsel_hash *h, u64 start, u64 end)
{
	int ret = split_at(h, start);

	if (!ret && end < h->limit)
		ret = split_at(h, end);
	return ret;
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

	/* Software and A/D bits are for conversions that carry them over. */
	if (!ptsel_map_ok(addr, target, size, prot & ~PTSEL_STATE_MASK, h->limit))
		return -EINVAL;
	for (level = 0; level <= PTSEL_MAX_LEAF_LEVEL; level++)
		if (overlap(h, level, addr, addr + size))
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
PTSEL_EXPORT_FOR_TESTS(ptsel_hash_map);

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
	ret = split_range(h, addr, addr + size);
	if (ret)
		return ret;
	remove_range(h, addr, addr + size);
	maybe_shrink(h);
	return 0;
}
PTSEL_EXPORT_FOR_TESTS(ptsel_hash_unmap);

/* Lines of table memory a lookup read, each counted once. */
struct line_set {
	unsigned long line[NR_PROBE_LINES * (PTSEL_MAX_LEAF_LEVEL + 1)];
	unsigned int n;
};

static void line_read(struct line_set *s, unsigned long line)
{
	unsigned int i;

	for (i = 0; i < s->n; i++)
		if (s->line[i] == line)
			return;
	s->line[s->n++] = line;
}

/* Lockless probe of one leaf level, line by line in insert order. */
static bool lookup(const struct ptsel_htab *t, u64 addr, unsigned int level,
		   u64 *r, struct line_set *lines)
{
	u64 want = make_v(addr & ~(ptsel_level_size(level) - 1), level, false);
	u64 key = hash_key(want & ADDR_MASK, level);
	unsigned int pass, i;

	for (pass = 0; pass < NR_PROBE_LINES; pass++) {
		unsigned long line = probe_line(key, t->order, pass);
		const struct ptsel_hpte *e = line_entries(t, line);

		line_read(lines, line);
		for (i = 0; i < PTSEL_HLINE_SLOTS; i++) {
			/* Pairs with the release in hpte_place()/remove_entry(). */
			u64 v = smp_load_acquire(&e[i].v);

			if ((v & ~V_SECONDARY) != want)
				continue;
			/* Old or new @r of a protection change: same target. */
			*r = READ_ONCE(e[i].r);
			smp_rmb();	/* @r before the second look at @v */
			/*
			 * Acquire: if the entry went away in between, the
			 * loads after this one (the counts and entries of
			 * the levels below, where a split put what
			 * replaced it) see what remove_entry()'s release
			 * published before the removal.
			 */
			if (smp_load_acquire(&e[i].v) == v)
				return true;
		}
	}
	return false;
}

/**
 * ptsel_hash_translate() - look up one input address
 * @h: the table; may run concurrently with updates under RCU
 * @addr: input address, any byte offset
 * @out: translation, filled on success; @out->mem_refs counts the
 *	 distinct lines (half groups) probed
 *
 * Return: 0; -ENOENT if @addr is not mapped; -EINVAL if it is at or
 * beyond the table's limit.
 */
int ptsel_hash_translate(const struct ptsel_hash *h, u64 addr,
			 struct ptsel_xlate *out)
{
	/* Pairs with the release in rehash(): the generation is complete. */
	const struct ptsel_htab *t = smp_load_acquire(&h->tab);
	struct line_set lines;
	int level;
	u64 r;

	if (addr >= h->limit)
		return -EINVAL;
	lines.n = 0;
	for (level = PTSEL_MAX_LEAF_LEVEL; level >= 0; level--) {
		/*
		 * The counts of the generation @t, not of the current one:
		 * an older generation is not changed after it is replaced,
		 * and its counts match its entries. Acquire: the counts of
		 * the levels below are read after this one. A split counts
		 * its small leaves (the smp_wmb() in insert()) before
		 * remove_entry() takes the count of the big one down: a
		 * lookup that sees the big leaf's count drop must also see
		 * the small leaves' count rise, or it skips both levels and
		 * misses.
		 */
		if (!smp_load_acquire(&t->nr_level[level]))
			continue;
		if (lookup(t, addr, level, &r, &lines)) {
			u64 sz = ptsel_level_size(level);

			out->target = (r & ADDR_MASK) + (addr & (sz - 1));
			out->prot = (r >> R_PROT_SHIFT) & PTSEL_LEAF_BITS;
			out->level = level;
			out->mem_refs = lines.n;
			return 0;
		}
	}
	out->mem_refs = lines.n;
	return -ENOENT;
}
PTSEL_EXPORT_FOR_TESTS(ptsel_hash_translate);

static int hpte_set_prot(void *priv, struct ptsel_hpte *e)
{
	u64 prot = *(u32 *)priv;
	u64 r = e->r & ~((u64)PTSEL_PROT_MASK << R_PROT_SHIFT);

	/* @v stays as it is; see lookup(). */
	WRITE_ONCE(e->r, r | prot << R_PROT_SHIFT);
	return 0;
}

/**
 * ptsel_hash_protect() - change the protection of an input range
 * @h: the table; the caller serializes updates
 * @addr: first input address, 4K aligned
 * @size: length in bytes, a non-zero multiple of 4K
 * @prot: new PTSEL_PROT_* bits, READ included
 *
 * Same rules as ptsel_radix_protect(): holes are skipped, a huge leaf
 * the range covers in part is split first, and concurrent lookups see
 * the old or the new protection with the same target.
 *
 * Return: 0; -EINVAL for a bad range or @prot; -ENOMEM if a split could
 * not grow the table, in which case every translation and protection
 * is unchanged.
 */
int ptsel_hash_protect(struct ptsel_hash *h, u64 addr, u64 size, u32 prot)
{
	unsigned int level;
	int ret;

	if (!ptsel_range_ok(addr, size, h->limit) || !ptsel_prot_ok(prot))
		return -EINVAL;
	ret = split_range(h, addr, addr + size);
	if (ret)
		return ret;
	for (level = 0; level <= PTSEL_MAX_LEAF_LEVEL; level++)
		visit(h, level, addr, addr + size, hpte_set_prot, &prot);
	return 0;
}
PTSEL_EXPORT_FOR_TESTS(ptsel_hash_protect);

/**
 * ptsel_hash_split() - make an input address a leaf boundary
 * @h: the table; the caller serializes updates
 * @addr: 4K-aligned input address, up to the table's limit
 *
 * The leaf that straddles @addr, if any, is replaced by smaller leaves
 * so that none does; no translation changes.
 *
 * Return: 0; -EINVAL if @addr is misaligned or beyond the limit;
 * -ENOMEM, in which case the table keeps every entry it had.
 */
int ptsel_hash_split(struct ptsel_hash *h, u64 addr)
{
	if (!ptsel_split_ok(addr, h->limit))
		return -EINVAL;
	if (addr == h->limit)
		return 0;
	return split_at(h, addr);
}
PTSEL_EXPORT_FOR_TESTS(ptsel_hash_split);

/* Where a range moves to, and the first leaf found too big to move. */
struct hash_remap_ctx {
	u64 addr, target;
	u64 found;
};

static int hpte_misaligned(void *priv, struct ptsel_hpte *e)
{
	struct hash_remap_ctx *ra = priv;
	unsigned int level = (e->v & V_LEVEL_MASK) >> V_LEVEL_SHIFT;
	u64 lo = e->v & ADDR_MASK;

	if (!((ra->target + (lo - ra->addr)) & (ptsel_level_size(level) - 1)))
		return 0;
	ra->found = lo;
	return 1;
}

static int hpte_retarget(void *priv, struct ptsel_hpte *e)
{
	struct hash_remap_ctx *ra = priv;
	u64 lo = e->v & ADDR_MASK;

	/* @v stays as it is; see lookup(). */
	WRITE_ONCE(e->r, (ra->target + (lo - ra->addr)) | (e->r & ~ADDR_MASK));
	return 0;
}

/**
 * ptsel_hash_remap() - move the mapped pages of a range to new targets
 * @h: the table; the caller serializes updates
 * @addr: first input address, 4K aligned
 * @size: length in bytes, a non-zero multiple of 4K
 * @target: new output address of @addr, 4K aligned
 * @dry: only prepare: split the leaves that the move needs split
 *
 * Same rules as ptsel_radix_remap().
 *
 * Return: 0; -EINVAL for a bad range or @target; -ENOMEM if a split
 * could not grow the table, in which case every translation is
 * unchanged.
 */
int ptsel_hash_remap(struct ptsel_hash *h, u64 addr, u64 size, u64 target,
		     bool dry)
{
	struct hash_remap_ctx ra = { .addr = addr, .target = target };
	unsigned int level;
	int ret;

	if (!ptsel_map_ok(addr, target, size, PTSEL_PROT_READ, h->limit))
		return -EINVAL;
	ret = split_range(h, addr, addr + size);
	/* Largest leaves first: a split only makes smaller ones. */
	for (level = PTSEL_MAX_LEAF_LEVEL; level > 0 && !ret; level--)
		while (!ret && visit(h, level, addr, addr + size,
				     hpte_misaligned, &ra))
			ret = split_at(h, ra.found + ptsel_level_size(level - 1));
	if (ret || dry)
		return ret;
	for (level = 0; level <= PTSEL_MAX_LEAF_LEVEL; level++)
		visit(h, level, addr, addr + size, hpte_retarget, &ra);
	return 0;
}
PTSEL_EXPORT_FOR_TESTS(ptsel_hash_remap);

struct leaf_cb {
	ptsel_leaf_fn fn;
	void *priv;
};

static int hpte_report(void *priv, struct ptsel_hpte *e)
{
	const struct leaf_cb *cb = priv;
	unsigned int level = (e->v & V_LEVEL_MASK) >> V_LEVEL_SHIFT;
	struct ptsel_leaf leaf = {
		.addr = e->v & ADDR_MASK,
		.target = e->r & ADDR_MASK,
		.size = ptsel_level_size(level),
		.prot = (e->r >> R_PROT_SHIFT) & PTSEL_LEAF_BITS,
	};

	return cb->fn(cb->priv, &leaf);
}

/**
 * ptsel_hash_walk_leaves() - call a function for each leaf of a range
 * @h: the table; the caller serializes updates, and @fn must not
 *     change the table
 * @start: first input address of interest
 * @end: end of the range (exclusive); clipped to the table's limit
 * @fn: called, in no particular order, with every leaf that overlaps
 *	[@start, @end), whole, not clipped to the range
 * @priv: passed to @fn
 *
 * Return: the first non-zero value @fn returned, which stops the walk,
 * or 0.
 */
int ptsel_hash_walk_leaves(const struct ptsel_hash *h, u64 start, u64 end,
			     ptsel_leaf_fn fn, void *priv)
{
	struct leaf_cb cb = { .fn = fn, .priv = priv };
	unsigned int level;
	int ret = 0;

	if (end > h->limit)
		end = h->limit;
	for (level = 0; !ret && start < end && level <= PTSEL_MAX_LEAF_LEVEL;
	     level++)
		ret = visit(h, level, start, end, hpte_report, &cb);
	return ret;
}
PTSEL_EXPORT_FOR_TESTS(ptsel_hash_walk_leaves);

static int hpte_update(void *priv, struct ptsel_hpte *e)
{
	struct ptsel_leaf_cx *cx = priv;
	unsigned int level = (e->v & V_LEVEL_MASK) >> V_LEVEL_SHIFT;
	u64 r = e->r, target = (r & ADDR_MASK) + (cx->addr - (e->v & ADDR_MASK));
	u32 bits;

	cx->ret = ptsel_leaf_cx_check(cx, target,
				      (r >> R_PROT_SHIFT) & PTSEL_LEAF_BITS,
				      level, &bits);
	/* @v stays as it is; see lookup(). */
	if (cx->ret > 0) {
		WRITE_ONCE(e->r, cx->new_target | (u64)bits << R_PROT_SHIFT);
		cx->ret = 0;
	}
	return 1;
}

/**
 * ptsel_hash_leaf_update() - compare and exchange the leaf of one page
 * @h: the table; the caller serializes updates
 * @cx: the page, what its leaf must hold and what it gets; the outcome
 *
 * Same rules as ptsel_radix_leaf_update(): a 4K leaf's @r is replaced
 * in one store, which a concurrent lookup sees whole; a huge leaf is
 * compared and left alone.
 *
 * Return: @cx->ret (see struct ptsel_leaf_cx); -EINVAL for a bad
 * address or new target.
 */
int ptsel_hash_leaf_update(struct ptsel_hash *h, struct ptsel_leaf_cx *cx)
{
	int level;

	if (!ptsel_map_ok(cx->addr, cx->new_target, PTSEL_PAGE_SIZE,
			  PTSEL_PROT_READ, h->limit))
		return -EINVAL;
	cx->ret = -ENOENT;
	for (level = PTSEL_MAX_LEAF_LEVEL; level >= 0; level--)
		if (visit(h, level, cx->addr, cx->addr + PTSEL_PAGE_SIZE,
			  hpte_update, cx))
			break;
	return cx->ret;
}
PTSEL_EXPORT_FOR_TESTS(ptsel_hash_leaf_update);
