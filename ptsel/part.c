// SPDX-License-Identifier: GPL-2.0
/*
 * ptsel partitions: region routing, live conversion between formats,
 * table memory and the updatable lookup.
 *
 * Every partition keeps one radix and one hashed table; its published
 * region set decides which of the two translates an address. No leaf
 * ever crosses a region boundary, so each update works span by span,
 * and a conversion moves the leaves of a span from one table to the
 * other in three steps: copy them into the new table, publish the new
 * region set, and after a grace period remove them from the old table.
 * A lookup that read either region set finds the address in the table
 * it picked.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/build_bug.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>

#include "ptsel_internal.h"
#include "trace.h"

atomic_long_t ptsel_table_pages = ATOMIC_LONG_INIT(0);
atomic_long_t ptsel_nr_partitions = ATOMIC_LONG_INIT(0);
atomic64_t ptsel_nr_conversions = ATOMIC64_INIT(0);
atomic64_t ptsel_nr_hash_resizes = ATOMIC64_INIT(0);
static atomic64_t ptsel_next_asid = ATOMIC64_INIT(0);

/*
 * The leaf exchange gate: how ptsel_partition_leaf_try_cmpxchg()
 * changes a leaf without the partition's mutex.
 *
 * Rule: the tables of @p (both formats, the region set, the hashed
 * table's generation) change only
 *  (a) between part_lock() and part_unlock(): @p->lock held and
 *      @p->updating set, or
 *  (b) under @p->xchg_lock with @p->updating clear, and then only by
 *      an exchange of one existing 4K leaf, in one store.
 * @p->updating changes only under both @p->lock and @p->xchg_lock.
 *
 * Hence a holder of @p->xchg_lock that finds @p->updating clear runs
 * alone: no update is running (it would have set @p->updating before
 * its first change, under @p->xchg_lock), none can start before it
 * drops @p->xchg_lock, and other exchanges wait for that lock. The
 * tables it walks are live and stay so: no table is unlinked or freed
 * (unmaps, failed maps, conversions, hashed-table resizes all run
 * under (a)), no leaf is split, moved to the other format or to another
 * hashed generation, and no read-modify-write of an update (protect,
 * remap, the A/D and exchange paths under the mutex) can overwrite the
 * exchange, because none is between its read and its write. It needs
 * neither RCU nor the migration state of the page it changes: the rule
 * holds for every caller. Lookups still run under RCU alone and see the
 * old or the new leaf.
 *
 * An update sets @p->updating at its start and may sleep with it set
 * (allocations, a conversion's grace period): an exchange that finds
 * it set does not wait, it returns -EBUSY and its caller takes the
 * mutex (ptsel_partition_leaf_cmpxchg()).
 *
 * Lock order: @p->lock, then @p->xchg_lock, then @p->move_lock. The
 * walkers' invalidation (@p->users_lock, then a walker's lock) comes
 * after @p->xchg_lock is dropped.
 */
static void part_lock(struct ptsel_partition *p)
{
	mutex_lock(&p->lock);
	spin_lock(&p->xchg_lock);
	p->updating = true;
	spin_unlock(&p->xchg_lock);
}

static void part_unlock(struct ptsel_partition *p)
{
	lockdep_assert_held(&p->lock);
	spin_lock(&p->xchg_lock);
	p->updating = false;
	spin_unlock(&p->xchg_lock);
	mutex_unlock(&p->lock);
}

/* Rule (a) above, for the code that changes tables under the mutex. */
static void assert_updating(struct ptsel_partition *p)
{
	lockdep_assert_held(&p->lock);
	lockdep_assert(p->updating);
}

/*
 * Table memory is charged to the caller's memcg and limited per
 * partition. Radix tables freed by an update wait on @pending until
 * every walk cache has dropped them; hashed generations do not enter
 * walk caches and go straight to RCU.
 */
static bool table_room(struct ptsel_partition *p, size_t bytes)
{
	unsigned long pages = p->max_table_pages ?: READ_ONCE(ptsel_max_table_pages);

	return DIV_ROUND_UP(p->radix_bytes + p->hash_bytes + bytes, PAGE_SIZE) <=
	       pages;
}

/*
 * The core's "the caller serializes updates" is @p->lock: every update
 * of a table reaches these providers or the span functions below, and
 * they check it.
 */

static u64 *radix_alloc(void *priv)
{
	struct ptsel_partition *p = priv;
	unsigned long page;

	assert_updating(p);
	if (!table_room(p, PAGE_SIZE))
		return NULL;
	page = get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!page)
		return NULL;
	p->radix_bytes += PAGE_SIZE;
	atomic_long_inc(&ptsel_table_pages);
	return (u64 *)page;
}

static void radix_free(void *priv, u64 *table)
{
	struct ptsel_partition *p = priv;

	assert_updating(p);
	p->radix_bytes -= PAGE_SIZE;
	atomic_long_dec(&ptsel_table_pages);
	list_add(&virt_to_page(table)->lru, &p->pending);
}

static const struct ptsel_table_ops radix_ops = {
	.alloc = radix_alloc,
	.free = radix_free,
};

static void *hash_alloc(void *priv, size_t bytes)
{
	struct ptsel_partition *p = priv;
	void *mem;

	/* kvzalloc() refuses more, and PTSEL_HASH_MAX_ORDER stays below. */
	BUILD_BUG_ON(ptsel_htab_bytes(PTSEL_HASH_MAX_ORDER) > INT_MAX);
	assert_updating(p);
	if (!table_room(p, bytes))
		return NULL;
	/*
	 * User space makes the table grow (with keys that collide, a few
	 * leaves suffice): running out of memory is an answer for it, not
	 * a reason to warn.
	 */
	mem = kvzalloc(bytes, GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!mem)
		return NULL;
	p->hash_bytes += bytes;
	atomic_long_add(DIV_ROUND_UP(bytes, PAGE_SIZE), &ptsel_table_pages);
	return mem;
}

static void hash_free(void *priv, void *mem, size_t bytes)
{
	struct ptsel_partition *p = priv;

	assert_updating(p);
	p->hash_bytes -= bytes;
	atomic_long_sub(DIV_ROUND_UP(bytes, PAGE_SIZE), &ptsel_table_pages);
	kvfree_rcu_mightsleep(mem);
}

static const struct ptsel_hash_ops hash_ops = {
	.alloc = hash_alloc,
	.free = hash_free,
};

static void table_free_rcu(struct rcu_head *head)
{
	__free_page(container_of(head, struct page, rcu_head));
}

/*
 * End of an update: drop what walkers cached of [@addr, @addr + @size)
 * (@size 0: nothing; the TLB never caches a miss, so a map needs no
 * flush), make walk caches forget freed radix tables, then let RCU
 * free those.
 */
static void release_pending(struct ptsel_partition *p)
{
	struct page *page, *next;

	list_for_each_entry_safe(page, next, &p->pending, lru) {
		list_del(&page->lru);
		call_rcu(&page->rcu_head, table_free_rcu);
	}
}

static void part_finish(struct ptsel_partition *p, u64 addr, u64 size)
{
	bool tables = !list_empty(&p->pending);

	assert_updating(p);
	if (size || tables)
		ptsel_walkers_invalidate(p, addr, size, tables);
	release_pending(p);
}

static struct ptsel_region_set *part_regions(struct ptsel_partition *p)
{
	return rcu_dereference_protected(p->regions, lockdep_is_held(&p->lock));
}

/* Count and trace resizes that an update of the hashed table did. */
static void hash_note(struct ptsel_partition *p, unsigned int old_order)
{
	unsigned int order = p->hash.tab->order;

	lockdep_assert_held(&p->lock);
	if (order == old_order)
		return;
	p->hash_resizes++;
	atomic64_inc(&ptsel_nr_hash_resizes);
	trace_ptsel_hash_resize(p->asid, old_order, order, p->hash.nr_entries);
}

/**
 * ptsel_partition_create() - make an empty partition
 * @format: default format, PTSEL_FORMAT_RADIX or _HASH;
 *	    PTSEL_FORMAT_DEFAULT takes the default_format knob
 *
 * Return: the partition with one reference, or ERR_PTR(-EINVAL) for an
 * unknown format, ERR_PTR(-ENOMEM).
 */
struct ptsel_partition *ptsel_partition_create(u32 format)
{
	struct ptsel_region_set *rs;
	struct ptsel_partition *p;

	if (format == PTSEL_FORMAT_DEFAULT)
		format = READ_ONCE(ptsel_default_format);
	if (format != PTSEL_FORMAT_RADIX && format != PTSEL_FORMAT_HASH)
		return ERR_PTR(-EINVAL);
	p = kzalloc(sizeof(*p), GFP_KERNEL_ACCOUNT);
	rs = kzalloc(sizeof(*rs), GFP_KERNEL_ACCOUNT);
	if (!p || !rs)
		goto nomem;
	rs->dflt = format;
	RCU_INIT_POINTER(p->regions, rs);
	kref_init(&p->ref);
	mutex_init(&p->lock);
	spin_lock_init(&p->move_lock);
	spin_lock_init(&p->xchg_lock);
	INIT_LIST_HEAD(&p->pending);
	ptsel_walkers_part_init(p);
	p->asid = atomic64_inc_return(&ptsel_next_asid);
	/* Nobody else sees @p yet; the lock is for the providers' checks. */
	part_lock(p);
	if (ptsel_radix_init(&p->radix, 4, &radix_ops, p))
		goto unlock;
	if (ptsel_hash_init(&p->hash, PTSEL_HASH_MIN_ORDER, PTSEL_LIMIT,
			    &hash_ops, p)) {
		ptsel_radix_destroy(&p->radix);
		release_pending(p);
		goto unlock;
	}
	part_unlock(p);
	atomic_long_inc(&ptsel_nr_partitions);
	return p;
unlock:
	part_unlock(p);
	mutex_destroy(&p->lock);
nomem:
	kfree(rs);
	kfree(p);
	return ERR_PTR(-ENOMEM);
}
EXPORT_SYMBOL_NS_GPL(ptsel_partition_create, PTSEL);

static void part_release(struct kref *ref)
{
	struct ptsel_partition *p = container_of(ref, struct ptsel_partition, ref);

	/* No walker is switched to @p, but their caches may hold it. */
	part_lock(p);
	ptsel_radix_destroy(&p->radix);
	ptsel_hash_destroy(&p->hash);
	ptsel_walkers_forget(p);
	release_pending(p);
	part_unlock(p);
	mutex_destroy(&p->lock);
	kfree(rcu_dereference_protected(p->regions, true));
	atomic_long_dec(&ptsel_nr_partitions);
	kfree(p);
}

/* A limit as ptsel_partition_set_limits() takes it, as @p keeps it. */
static unsigned long own_limit(unsigned long pages)
{
	if (pages == PTSEL_LIMIT_KNOB)
		return 0;
	return pages ?: ULONG_MAX;
}

/**
 * ptsel_partition_set_limits() - give a partition limits of its own
 * @p: the partition
 * @table_pages: most table memory, in pages; 0 for no limit;
 *		 PTSEL_LIMIT_KNOB to follow the max_table_pages knob
 * @mapped_pages: most 4 KiB pages mapped; 0 for no limit;
 *		  PTSEL_LIMIT_KNOB to follow the max_mapped_pages knob
 *
 * A partition starts out bounded by the max_table_pages and
 * max_mapped_pages knobs, which bound what user space can make the
 * kernel allocate through /dev/ptsel. The in-kernel owner of a
 * partition sets its own bounds instead: after this call, @table_pages
 * and @mapped_pages replace both knobs for @p, and a 0 leaves the
 * partition bounded only by memory (table memory is charged to the
 * memcg of the task that makes it grow). PTSEL_LIMIT_KNOB gives a limit
 * back to its knob, as at creation: the knob's value at each later
 * check applies. Limits below what the partition holds already only
 * stop it from growing.
 *
 * Context: process context, may sleep.
 */
void ptsel_partition_set_limits(struct ptsel_partition *p,
				unsigned long table_pages,
				unsigned long mapped_pages)
{
	mutex_lock(&p->lock);
	p->max_table_pages = own_limit(table_pages);
	p->max_mapped_pages = own_limit(mapped_pages);
	mutex_unlock(&p->lock);
}
EXPORT_SYMBOL_NS_GPL(ptsel_partition_set_limits, PTSEL);

/**
 * ptsel_partition_put() - drop a reference
 * @p: the partition; freed with its tables when the last one goes
 *
 * Context: process context, may sleep.
 */
void ptsel_partition_put(struct ptsel_partition *p)
{
	kref_put(&p->ref, part_release);
}
EXPORT_SYMBOL_NS_GPL(ptsel_partition_put, PTSEL);

/*
 * Per-span operations. A span is a range that one format translates;
 * every table call below stays inside one span.
 */
struct span_op {
	struct ptsel_partition *p;
	u64 addr;		/* start of the whole request */
	u64 target;		/* map, remap */
	u32 prot;		/* map, protect */
	bool dry;		/* remap: only prepare; conversion: undo */
	u32 from;		/* conversion: format of the span before */
	u64 done;		/* map: end of what is mapped so far */
	u64 count;		/* pages counted, leaves moved */
	u64 lo, hi;		/* clip for counting */
	const struct ptsel_region_set *old;	/* conversion: from */
};

static int span_map(void *priv, u64 s, u64 e, u32 format)
{
	struct span_op *op = priv;
	struct ptsel_partition *p = op->p;
	u64 t = op->target + (s - op->addr);
	int ret;

	lockdep_assert_held(&p->lock);
	if (format == PTSEL_FORMAT_HASH)
		ret = ptsel_hash_map(&p->hash, s, t, e - s, op->prot);
	else
		ret = ptsel_radix_map(&p->radix, s, t, e - s, op->prot);
	if (!ret)
		op->done = e;
	return ret;
}

static int span_unmap(void *priv, u64 s, u64 e, u32 format)
{
	struct span_op *op = priv;

	lockdep_assert_held(&op->p->lock);
	if (format == PTSEL_FORMAT_HASH)
		return ptsel_hash_unmap(&op->p->hash, s, e - s);
	return ptsel_radix_unmap(&op->p->radix, s, e - s);
}

static int span_protect(void *priv, u64 s, u64 e, u32 format)
{
	struct span_op *op = priv;

	lockdep_assert_held(&op->p->lock);
	if (format == PTSEL_FORMAT_HASH)
		return ptsel_hash_protect(&op->p->hash, s, e - s, op->prot);
	return ptsel_radix_protect(&op->p->radix, s, e - s, op->prot);
}

static int span_remap(void *priv, u64 s, u64 e, u32 format)
{
	struct span_op *op = priv;
	u64 t = op->target + (s - op->addr);

	lockdep_assert_held(&op->p->lock);
	if (format == PTSEL_FORMAT_HASH)
		return ptsel_hash_remap(&op->p->hash, s, e - s, t, op->dry);
	return ptsel_radix_remap(&op->p->radix, s, e - s, t, op->dry);
}

static int count_leaf(void *priv, const struct ptsel_leaf *l)
{
	struct span_op *op = priv;
	u64 lo = max(l->addr, op->lo), hi = min(l->addr + l->size, op->hi);

	op->count += (hi - lo) >> PTSEL_SHIFT;
	return 0;
}

static int span_count(void *priv, u64 s, u64 e, u32 format)
{
	struct span_op *op = priv;

	op->lo = s;
	op->hi = e;
	if (format == PTSEL_FORMAT_HASH)
		return ptsel_hash_walk_leaves(&op->p->hash, s, e, count_leaf, op);
	return ptsel_radix_walk_leaves(&op->p->radix, s, e, count_leaf, op);
}

/* 4 KiB pages mapped in [@s, @e). */
static u64 mapped_in(struct ptsel_partition *p, u64 s, u64 e)
{
	struct span_op op = { .p = p };

	lockdep_assert_held(&p->lock);
	ptsel_region_spans(part_regions(p), s, e, span_count, &op);
	return op.count;
}

static int split(struct ptsel_partition *p, u32 format, u64 addr)
{
	lockdep_assert_held(&p->lock);
	if (format == PTSEL_FORMAT_HASH)
		return ptsel_hash_split(&p->hash, addr);
	return ptsel_radix_split(&p->radix, addr);
}

/*
 * Make both ends of the span [@s, @e) leaf boundaries. A leaf never
 * crosses a region boundary, so a leaf that straddles an end lies in
 * the span, in its table. Splits keep every translation, so a failure
 * here needs no undo.
 */
static int span_split(void *priv, u64 s, u64 e, u32 format)
{
	struct span_op *op = priv;
	int ret;

	ret = split(op->p, format, s);
	if (!ret && e < PTSEL_LIMIT)
		ret = split(op->p, format, e);
	return ret;
}

/**
 * ptsel_partition_map() - map an input range to an output range
 * @p: the partition
 * @addr: first input address, 4 KiB aligned
 * @target: first output address, 4 KiB aligned
 * @size: length, a non-zero multiple of 4 KiB
 * @prot: PTSEL_PROT_* bits, READ included
 *
 * The range may cross regions; each part goes to its region's format,
 * with the largest leaves that alignment allows. All or nothing.
 *
 * Return: 0; -EINVAL for a bad request; -EEXIST if part of the range is
 * mapped; -ENOSPC beyond the max_mapped_pages knob; -ENOMEM beyond
 * max_table_pages or when memory runs out.
 */
int ptsel_partition_map(struct ptsel_partition *p, u64 addr, u64 target,
			u64 size, u32 prot)
{
	struct span_op op = {
		.p = p, .addr = addr, .target = target, .prot = prot,
		.done = addr,
	};
	unsigned int order;
	int ret;

	if (!ptsel_map_ok(addr, target, size, prot, PTSEL_LIMIT))
		return -EINVAL;
	part_lock(p);
	if (p->mapped_pages + (size >> PTSEL_SHIFT) >
	    (p->max_mapped_pages ?: READ_ONCE(ptsel_max_mapped_pages))) {
		ret = -ENOSPC;
		goto out;
	}
	order = p->hash.tab->order;
	ret = ptsel_region_spans(part_regions(p), addr, addr + size, span_map,
				 &op);
	if (!ret) {
		p->mapped_pages += size >> PTSEL_SHIFT;
	} else if (op.done > addr) {
		/*
		 * Each span mapped so far is whole, and the range was free:
		 * its ends are leaf boundaries and the undo splits nothing.
		 * Should a page stay mapped all the same, it stays counted.
		 */
		ptsel_region_spans(part_regions(p), addr, op.done, span_unmap,
				   &op);
		p->mapped_pages += mapped_in(p, addr, op.done);
	}
	hash_note(p, order);
	part_finish(p, 0, 0);
out:
	part_unlock(p);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(ptsel_partition_map, PTSEL);

/*
 * Unmap or protect: first make both ends of every span leaf
 * boundaries, which is the only step that needs memory and changes no
 * translation; then run @fn over every span, which splits nothing.
 * Should @fn fail all the same, the count follows what it did.
 */
static int range_update(struct ptsel_partition *p, u64 addr, u64 size,
			ptsel_span_fn fn, struct span_op *op)
{
	const struct ptsel_region_set *rs;
	u64 end = addr + size, pages = 0;
	unsigned int order;
	int ret;

	part_lock(p);
	rs = part_regions(p);
	order = p->hash.tab->order;
	ret = ptsel_region_spans(rs, addr, end, span_split, op);
	if (!ret) {
		if (fn == span_unmap)
			pages = mapped_in(p, addr, end);
		ret = ptsel_region_spans(rs, addr, end, fn, op);
		if (ret && fn == span_unmap)
			pages -= mapped_in(p, addr, end);
		p->mapped_pages -= pages;
	}
	hash_note(p, order);
	part_finish(p, addr, size);
	part_unlock(p);
	return ret;
}

/**
 * ptsel_partition_unmap() - remove every mapping of an input range
 * @p: the partition
 * @addr: first input address, 4 KiB aligned
 * @size: length, a non-zero multiple of 4 KiB
 *
 * Holes are fine; huge leaves covered in part are split first. Every
 * walker forgets the range before this returns.
 *
 * Return: 0; -EINVAL for a bad range; -ENOMEM if a split failed, in
 * which case every translation is unchanged.
 */
int ptsel_partition_unmap(struct ptsel_partition *p, u64 addr, u64 size)
{
	struct span_op op = { .p = p };

	if (!ptsel_range_ok(addr, size, PTSEL_LIMIT))
		return -EINVAL;
	return range_update(p, addr, size, span_unmap, &op);
}
EXPORT_SYMBOL_NS_GPL(ptsel_partition_unmap, PTSEL);

/**
 * ptsel_partition_protect() - change the protection of a range
 * @p: the partition
 * @addr: first input address, 4 KiB aligned
 * @size: length, a non-zero multiple of 4 KiB
 * @prot: new PTSEL_PROT_* bits, READ included
 *
 * Holes are skipped. Lookups see the old or the new protection of a
 * page, and every walker forgets the range before this returns.
 *
 * Return: 0; -EINVAL for a bad request; -ENOMEM if a split failed, in
 * which case nothing changed.
 */
int ptsel_partition_protect(struct ptsel_partition *p, u64 addr, u64 size,
			    u32 prot)
{
	struct span_op op = { .p = p, .prot = prot };

	if (!ptsel_range_ok(addr, size, PTSEL_LIMIT) || !ptsel_prot_ok(prot))
		return -EINVAL;
	return range_update(p, addr, size, span_protect, &op);
}
PTSEL_EXPORT_FOR_TESTS(ptsel_partition_protect);

/*
 * The move log's "the caller serializes writers and readers" is
 * @p->move_lock: every use of @p->moves goes through these two.
 */
static u64 part_move_add(struct ptsel_partition *p, u64 addr, u64 size)
{
	lockdep_assert_held(&p->move_lock);
	return ptsel_move_log_add(&p->moves, addr, size);
}

static bool part_moved(struct ptsel_partition *p, u64 since, u64 addr)
{
	lockdep_assert_held(&p->move_lock);
	return ptsel_move_log_moved(&p->moves, since, addr);
}

/**
 * ptsel_partition_remap() - move a mapped range to new output addresses
 * @p: the partition
 * @addr: first input address, 4 KiB aligned
 * @size: length, a non-zero multiple of 4 KiB; all of it mapped
 * @target: new first output address, 4 KiB aligned
 *
 * Each page keeps its protection. A lookup sees the old or the new
 * target, never a miss. The move gets a new generation, which
 * ptsel_partition_lookup_update() reports to holders of older ones.
 *
 * Return: 0; -EINVAL for a bad request; -ENOENT if part of the range is
 * not mapped; -ENOMEM if leaves could not be split (nothing changed).
 */
int ptsel_partition_remap(struct ptsel_partition *p, u64 addr, u64 size,
			  u64 target)
{
	struct span_op op = { .p = p, .addr = addr, .target = target };
	const struct ptsel_region_set *rs;
	unsigned int order;
	u64 moved = 0;
	int ret;

	if (!ptsel_map_ok(addr, target, size, PTSEL_PROT_READ, PTSEL_LIMIT))
		return -EINVAL;
	part_lock(p);
	rs = part_regions(p);
	order = p->hash.tab->order;
	if (mapped_in(p, addr, addr + size) != size >> PTSEL_SHIFT) {
		ret = -ENOENT;
		goto out;
	}
	/* First every split, which may fail; then the rewrite, which cannot. */
	op.dry = true;
	ret = ptsel_region_spans(rs, addr, addr + size, span_remap, &op);
	if (ret)
		goto out;
	/*
	 * This pass cannot fail, by construction, so it needs no undo:
	 * - under @p->lock nothing changed since the dry pass, which ran
	 *   over the same spans with the same targets;
	 * - each format's remap first splits what the move needs split
	 *   (leaves cut by the span's ends, leaves whose new target is
	 *   misaligned for their size) and only then rewrites leaves; the
	 *   dry pass made those splits, so here the split steps find
	 *   nothing to split and allocate nothing;
	 * - the rewrite itself is one store per leaf and returns 0;
	 * - the -EINVAL checks passed in the dry pass on the same values.
	 * Userspace ptsel_part_api fails the n-th allocation for every n
	 * and finds each remap whole or not at all. Should it fail all the
	 * same, what it moved is logged like a whole move.
	 */
	op.dry = false;
	ret = ptsel_region_spans(rs, addr, addr + size, span_remap, &op);
	moved = size;
	/* The tables first: a reader that sees the generation sees them. */
	spin_lock_irq(&p->move_lock);
	part_move_add(p, addr, size);
	spin_unlock_irq(&p->move_lock);
out:
	hash_note(p, order);
	part_finish(p, addr, moved);
	part_unlock(p);
	return ret;
}
PTSEL_EXPORT_FOR_TESTS(ptsel_partition_remap);

static int copy_leaf(void *priv, const struct ptsel_leaf *l)
{
	struct span_op *op = priv;
	u64 lo = max(l->addr, op->lo), hi = min(l->addr + l->size, op->hi);
	u64 t = l->target + (lo - l->addr);
	int ret;

	/* Conversion of a hashed span copies into the radix table. */
	if (op->from == PTSEL_FORMAT_HASH)
		ret = ptsel_radix_map(&op->p->radix, lo, t, hi - lo, l->prot);
	else
		ret = ptsel_hash_map(&op->p->hash, lo, t, hi - lo, l->prot);
	if (!ret)
		op->count++;
	return ret;
}

/* Step 1 of a conversion: copy one span's leaves into the other table. */
static int span_copy(void *priv, u64 s, u64 e, u32 format)
{
	struct span_op *op = priv;
	u32 from = ptsel_region_format(op->old, s);
	int ret;

	/*
	 * The edges of a new region are new region boundaries, which no
	 * leaf may cross, whether or not the format changes: later updates
	 * rely on it to need no split inside their range. The old region
	 * set gives the whole span one format, so a leaf that straddles
	 * either end lies in the table of @from.
	 */
	ret = split(op->p, from, s);
	if (!ret && e < PTSEL_LIMIT)
		ret = split(op->p, from, e);
	if (ret || from == format)
		return ret;
	/* The new table has nothing in the span: an undo may clear it all. */
	op->done = e;
	op->lo = s;
	op->hi = e;
	op->from = from;
	if (from == PTSEL_FORMAT_HASH)
		return ptsel_hash_walk_leaves(&op->p->hash, s, e, copy_leaf, op);
	return ptsel_radix_walk_leaves(&op->p->radix, s, e, copy_leaf, op);
}

/*
 * Step 3, or the undo of step 1: drop the span from one of the tables.
 * Step 1 made both ends of the span leaf boundaries in the old table,
 * and copied leaves inside the span into the new one, so neither table
 * needs a split here and nothing can fail.
 */
static int span_drop(void *priv, u64 s, u64 e, u32 format)
{
	struct span_op *op = priv;
	u32 from = ptsel_region_format(op->old, s);

	if (from == format || s >= op->done)
		return 0;
	/* @op->dry: undo, so drop the copies from the new table. */
	return span_unmap(op, s, e, op->dry ? format : from);
}

static int set_region(struct ptsel_partition *p, u64 addr, u64 size,
		      u32 format, u32 *leaves, bool must_exist)
{
	struct span_op op = { .p = p };
	struct ptsel_region_set *old, *new;
	u64 s = addr, e = addr + size;
	unsigned int order;
	u32 from, to;
	int ret;

	if (format > PTSEL_FORMAT_HASH || (!size && (addr || !format)))
		return -EINVAL;
	new = kmalloc(sizeof(*new), GFP_KERNEL_ACCOUNT);
	if (!new)
		return -ENOMEM;
	part_lock(p);
	old = part_regions(p);
	*new = *old;
	if (size) {
		ret = must_exist ? ptsel_region_find(new, addr, size, PTSEL_LIMIT) : 0;
		if (ret >= 0)
			ret = ptsel_region_update(new, addr, size, format,
						  PTSEL_LIMIT);
	} else {
		new->dflt = format;
		s = 0;
		e = PTSEL_LIMIT;
		ret = 0;
	}
	if (ret)
		goto out;
	from = size ? ptsel_region_format(old, addr) : old->dflt;
	to = size ? ptsel_region_format(new, addr) : new->dflt;
	order = p->hash.tab->order;
	op.old = old;
	op.done = s;
	ret = ptsel_region_spans(new, s, e, span_copy, &op);
	if (ret) {
		op.dry = true;
		ptsel_region_spans(new, s, op.done, span_drop, &op);
	} else {
		/*
		 * Release: a lookup that sees @new sees the leaves step 1
		 * copied. Pairs with the smp_rmb() in ptsel_partition_walk()
		 * (ptsel_internal.h).
		 */
		rcu_assign_pointer(p->regions, new);
		/* Nobody looks in the old tables after this. */
		synchronize_rcu();
		ptsel_region_spans(new, s, e, span_drop, &op);
		swap(old, new);
		p->conversions++;
		atomic64_inc(&ptsel_nr_conversions);
	}
	hash_note(p, order);
	part_finish(p, 0, 0);
	trace_ptsel_region_convert(p->asid, addr, size, from, to, op.count, ret);
	if (leaves)
		*leaves = op.count;
out:
	part_unlock(p);
	kfree(new);
	return ret;
}

/**
 * ptsel_partition_set_region() - declare, convert or drop a region
 * @p: the partition
 * @addr: first address, a multiple of @size; 0 with @size 0 for the
 *	  partition's default format
 * @size: a power of two, at least 4 KiB, or 0 (see @addr)
 * @format: PTSEL_FORMAT_RADIX or _HASH; PTSEL_FORMAT_DEFAULT drops the
 *	    region, and its addresses go back to the default format
 * @leaves: if not NULL, the number of leaves moved between the formats
 *
 * Mappings of the affected addresses move to their new format while
 * lookups go on: a lookup finds each mapped address in the old or in
 * the new table. On failure nothing changed.
 *
 * Context: process context, may sleep (waits for an RCU grace period).
 * Return: 0; -EINVAL for a bad shape or format; -EBUSY if another
 * region overlaps; -ENOENT to drop an undeclared region; -ENOSPC if the
 * partition has PTSEL_MAX_REGIONS regions; -ENOMEM.
 */
int ptsel_partition_set_region(struct ptsel_partition *p, u64 addr, u64 size,
			       u32 format, u32 *leaves)
{
	return set_region(p, addr, size, format, leaves, false);
}
PTSEL_EXPORT_FOR_TESTS(ptsel_partition_set_region);

/**
 * ptsel_partition_convert() - convert a declared region to a format
 * @p: the partition
 * @addr: first address of the region
 * @size: size of the region, as declared
 * @format: PTSEL_FORMAT_RADIX or _HASH
 * @leaves: if not NULL, the number of leaves moved between the formats
 *
 * Like ptsel_partition_set_region(), for a region that exists.
 *
 * Context: process context, may sleep.
 * Return: 0; -ENOENT if no region is declared so; -EBUSY if another
 * region overlaps; -EINVAL; -ENOMEM.
 */
int ptsel_partition_convert(struct ptsel_partition *p, u64 addr, u64 size,
			    u32 format, u32 *leaves)
{
	if (format == PTSEL_FORMAT_DEFAULT || !size)
		return -EINVAL;
	return set_region(p, addr, size, format, leaves, true);
}
PTSEL_EXPORT_FOR_TESTS(ptsel_partition_convert);


/**
 * ptsel_partition_translate() - translate one input address
 * @p: the partition
 * @addr: input address, any byte offset
 * @out: the translation on success; @out->mem_refs on failure too
 *
 * Context: any context; runs under RCU alone, concurrently with updates.
 * Return: 0; -ENOENT if @addr is not mapped; -EINVAL beyond 2^48.
 */
int ptsel_partition_translate(struct ptsel_partition *p, u64 addr,
			      struct ptsel_xlate *out)
{
	int ret;

	memset(out, 0, sizeof(*out));
	if (addr >= PTSEL_LIMIT)
		return -EINVAL;
	rcu_read_lock();
	ret = ptsel_partition_walk(p, NULL, addr, out);
	rcu_read_unlock();
	trace_ptsel_lookup(p->asid, addr, ret, out->level, out->mem_refs);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(ptsel_partition_translate, PTSEL);

/**
 * ptsel_partition_lookup_update() - translate and report a move
 * @p: the partition
 * @addr: input address
 * @gen: in: the generation the caller's cached translation of @addr is
 *	 from (0 if it has none); out: the generation this lookup is from
 * @out: the current translation
 *
 * For holders of output addresses that a ptsel_partition_remap() may
 * move under them (DMA engines after a page migration): one call gives
 * the translation and tells whether a cached one is stale.
 *
 * Context: any context.
 * Return: 1 if a move since @gen covered @addr (replace the cached
 * target by @out->target), 0 if not, or the negative errno of the
 * translation.
 */
int ptsel_partition_lookup_update(struct ptsel_partition *p, u64 addr,
				  u64 *gen, struct ptsel_xlate *out)
{
	unsigned long flags;
	bool moved;
	u64 now;
	int ret;

	/* Generation first: a later move makes the next call say so. */
	spin_lock_irqsave(&p->move_lock, flags);
	now = p->moves.gen;
	moved = part_moved(p, *gen, addr);
	spin_unlock_irqrestore(&p->move_lock, flags);
	ret = ptsel_partition_translate(p, addr, out);
	if (ret)
		return ret;
	*gen = now;
	return moved;
}
EXPORT_SYMBOL_NS_GPL(ptsel_partition_lookup_update, PTSEL);

/**
 * ptsel_partition_stats() - read a partition's state
 * @p: the partition
 * @st: filled in
 */
void ptsel_partition_stats(struct ptsel_partition *p,
			   struct ptsel_partition_stats *st)
{
	mutex_lock(&p->lock);
	st->mapped_pages = p->mapped_pages;
	st->table_bytes = p->radix_bytes + p->hash_bytes;
	st->regions = part_regions(p)->nr;
	st->conversions = p->conversions;
	st->hash_resizes = p->hash_resizes;
	spin_lock_irq(&p->move_lock);
	st->generation = p->moves.gen;
	spin_unlock_irq(&p->move_lock);
	mutex_unlock(&p->lock);
}
PTSEL_EXPORT_FOR_TESTS(ptsel_partition_stats);

/* The leaf exchange of @cx in the table of @format. */
static int format_leaf_update(struct ptsel_partition *p, u32 format,
			      struct ptsel_leaf_cx *cx)
{
	/* Rule (a) or (b) at part_lock(). */
	lockdep_assert((lockdep_is_held(&p->lock) && p->updating) ||
		       (lockdep_is_held(&p->xchg_lock) && !p->updating));
	if (format == PTSEL_FORMAT_HASH)
		return ptsel_hash_leaf_update(&p->hash, cx);
	return ptsel_radix_leaf_update(&p->radix, cx);
}

/*
 * After a leaf exchange that stored: a new target is a move, logged
 * after the table (a reader that sees the generation sees it); @gen,
 * if not NULL, gets the generation.
 */
static void leaf_moved(struct ptsel_partition *p, const struct ptsel_leaf_cx *cx,
		       u64 *gen)
{
	unsigned long flags;

	if (cx->new_target == cx->old_target && !gen)
		return;
	spin_lock_irqsave(&p->move_lock, flags);
	if (cx->new_target != cx->old_target)
		part_move_add(p, cx->addr, PTSEL_PAGE_SIZE);
	if (gen)
		*gen = p->moves.gen;
	spin_unlock_irqrestore(&p->move_lock, flags);
}

static bool leaf_changed(const struct ptsel_leaf_cx *cx)
{
	return cx->new_target != cx->old_target ||
	       ((cx->seen & ~cx->clear) | cx->set) != cx->seen;
}

#ifdef CONFIG_FAULT_INJECTION
/*
 * debugfs skip_invalidations and skip_invalidation_addr (sysfs.c): the
 * next this many leaf exchanges of ptsel_partition_leaf_try_cmpxchg()
 * that change the 4K leaf at that input address (of any partition)
 * leave every walker's TLB as it was: a missed IOTLB invalidation, for
 * the consumers' tests. Fault-injection kernels only.
 */
atomic_t ptsel_skip_invalidations = ATOMIC_INIT(0);
u64 ptsel_skip_invalidation_addr;
/*
 * debugfs skip_invalidation_delay_us: a walker's translation of that
 * address returns this much later (at most 1000 us), a slow IOTLB that
 * widens the window between a consumer's translation and its own
 * check. 0: off.
 */
unsigned int ptsel_skip_invalidation_delay_us;

static bool skip_invalidation(const struct ptsel_leaf_cx *cx)
{
	/* Exchanges only (a software-state mask): A/D updates invalidate. */
	return cx->mask &&
	       cx->addr == READ_ONCE(ptsel_skip_invalidation_addr) &&
	       atomic_add_unless(&ptsel_skip_invalidations, -1, 0);
}
#else
static bool skip_invalidation(const struct ptsel_leaf_cx *cx)
{
	return false;
}
#endif

/*
 * The exchange of @cx without the mutex, under the leaf exchange gate
 * (rule (b) at part_lock()): -EBUSY if an update is running or a huge
 * leaf maps the page, else the exchange's outcome.
 */
static int leaf_update_nolock(struct ptsel_partition *p,
			      struct ptsel_leaf_cx *cx, u64 *gen)
{
	const struct ptsel_region_set *rs;
	bool changed;
	int ret;

	spin_lock(&p->xchg_lock);
	if (p->updating) {
		spin_unlock(&p->xchg_lock);
		return -EBUSY;
	}
	/* Only a conversion publishes another region set: rule (a). */
	rs = rcu_dereference_protected(p->regions,
				       lockdep_is_held(&p->xchg_lock));
	ret = format_leaf_update(p, ptsel_region_format(rs, cx->addr), cx);
	changed = !ret && leaf_changed(cx);
	if (!ret)
		leaf_moved(p, cx, gen);
	spin_unlock(&p->xchg_lock);
	/*
	 * No walker caches a leaf in a software state other than 0
	 * (ptsel_walker_translate()), and the change into that state
	 * invalidated the walkers: a change from it has nothing to drop.
	 */
	if (changed && !skip_invalidation(cx) && !ptsel_sw(cx->seen))
		ptsel_walkers_invalidate(p, cx->addr, PTSEL_PAGE_SIZE, false);
	return ret;
}

/*
 * The exchange of @cx under the mutex: a huge leaf that must change is
 * split first, without changing any translation, so the exchange acts
 * on this page alone. An exchange that would change nothing stores
 * nothing and invalidates nothing.
 */
static int leaf_update(struct ptsel_partition *p, struct ptsel_leaf_cx *cx,
		       u64 *gen)
{
	struct span_op op = { .p = p };
	unsigned int order;
	bool changed;
	u32 format;
	int ret;

	part_lock(p);
	order = p->hash.tab->order;
	format = ptsel_region_format(part_regions(p), cx->addr);
	ret = format_leaf_update(p, format, cx);
	if (ret == -EBUSY) {
		ret = span_split(&op, cx->addr, cx->addr + PTSEL_PAGE_SIZE,
				 format);
		if (!ret)
			ret = format_leaf_update(p, format, cx);
	}
	changed = !ret && leaf_changed(cx);
	if (!ret)
		leaf_moved(p, cx, gen);
	hash_note(p, order);
	part_finish(p, cx->addr, changed ? PTSEL_PAGE_SIZE : 0);
	part_unlock(p);
	return ret;
}

/* The request of ptsel_partition_leaf_cmpxchg() and _try_cmpxchg(). */
static bool leaf_cx_init(struct ptsel_leaf_cx *cx, u64 addr, u64 old_target,
			 u32 old_sw, u64 new_target, u32 new_sw)
{
	*cx = (struct ptsel_leaf_cx){
		.addr = addr, .old_target = old_target,
		.new_target = new_target, .mask = PTSEL_SW_MASK,
		.match = old_sw << PTSEL_SW_SHIFT, .clear = PTSEL_SW_MASK,
		.set = new_sw << PTSEL_SW_SHIFT,
	};
	return ptsel_map_ok(addr, new_target, PTSEL_PAGE_SIZE, PTSEL_PROT_READ,
			    PTSEL_LIMIT) && !(old_target & (PTSEL_PAGE_SIZE - 1)) &&
	       old_sw <= PTSEL_SW_MAX && new_sw <= PTSEL_SW_MAX;
}

/**
 * ptsel_partition_leaf_cmpxchg() - compare and exchange one 4K leaf
 * @p: the partition
 * @addr: input address of the page, 4 KiB aligned
 * @old_target: output address the page must be mapped to
 * @old_sw: software state (0..PTSEL_SW_MAX) its leaf must hold
 * @new_target: new output address, 4 KiB aligned
 * @new_sw: new software state
 * @gen: if not NULL, set to the partition's move generation after the
 *	 exchange (a new one if the target changed)
 *
 * The leaf keeps its protection and its A/D bits. A huge leaf that
 * maps @addr is split first, without changing any translation, so the
 * exchange acts on this page alone. A lookup sees the old or the new
 * leaf, target and state together. Every walker switched to @p, and
 * only those, forgets the page before this returns; the others on
 * their next switch to @p. A change of target is a move:
 * ptsel_partition_lookup_update() reports it to holders of older
 * generations, as after ptsel_partition_remap().
 *
 * Takes the partition's mutex, like every update; for an existing 4K
 * leaf, ptsel_partition_leaf_try_cmpxchg() does the same without it.
 *
 * Context: process context, may sleep.
 * Return: 0; -EINVAL for a bad request; -ENOENT if @addr is not mapped;
 * -EAGAIN if the page is mapped to another target or holds another
 * state (nothing changed); -ENOMEM if a huge leaf could not be split.
 */
int ptsel_partition_leaf_cmpxchg(struct ptsel_partition *p, u64 addr,
				 u64 old_target, u32 old_sw, u64 new_target,
				 u32 new_sw, u64 *gen)
{
	struct ptsel_leaf_cx cx;

	if (!leaf_cx_init(&cx, addr, old_target, old_sw, new_target, new_sw))
		return -EINVAL;
	return leaf_update(p, &cx, gen);
}
EXPORT_SYMBOL_NS_GPL(ptsel_partition_leaf_cmpxchg, PTSEL);

/**
 * ptsel_partition_leaf_try_cmpxchg() - compare and exchange one 4K leaf
 *					without the partition's mutex
 * @p: the partition
 * @addr: input address of the page, 4 KiB aligned
 * @old_target: output address the page must be mapped to
 * @old_sw: software state (0..PTSEL_SW_MAX) its leaf must hold
 * @new_target: new output address, 4 KiB aligned
 * @new_sw: new software state
 * @gen: if not NULL, set to the partition's move generation after the
 *	 exchange (a new one if the target changed)
 *
 * ptsel_partition_leaf_cmpxchg() for a page that a 4K leaf maps, at the
 * cost of one walk, one store and the invalidation: it neither takes
 * the partition's mutex nor sleeps, and never allocates. It runs under
 * the partition's leaf exchange spinlock, which updates of @p close
 * while they run (see part_lock() in part.c for the rule and why it
 * keeps the leaf's table alive), so it is atomic with respect to every
 * other update of @p and to other exchanges, whoever calls them. When
 * it cannot act alone it changes nothing and says -EBUSY: the caller
 * may retry, or call ptsel_partition_leaf_cmpxchg(), which waits for
 * the update and splits.
 *
 * As with ptsel_partition_leaf_cmpxchg(), lookups see the old or the new
 * leaf; every walker switched to @p forgets the page before this returns
 * (the others on their next switch to @p); a change of target is a move
 * that ptsel_partition_lookup_update() reports. Walkers never cache a
 * leaf whose software state is not 0, so an exchange from such a leaf
 * invalidates none: it costs one walk and one store. That relies on the
 * exchange into the state having returned (its invalidation done):
 * callers must serialize the exchanges of one leaf, as iommu_migrate
 * does under its buffer's lock. An exchange from a state that races
 * with the one into it may return while a walker still holds the
 * leaf's state-0 translation.
 *
 * The walkers are invalidated after the leaf exchange spinlock is
 * dropped: between the store and their invalidation, a walker that
 * cached the page still translates it to the old leaf, target and
 * software state. Only the return of this call promises that no walker
 * does. A consumer that must not act on the old leaf in that window
 * cannot rely on the PTE alone: it needs a check of its own that is
 * authoritative and changed first, as iommu_migrate's reverse map,
 * whose entry is published migrating before the PTE is exchanged.
 *
 * Context: any context but hard or soft interrupt; never sleeps.
 * Return: 0; -EINVAL for a bad request; -ENOENT if @addr is not mapped;
 * -EAGAIN if the page is mapped to another target or holds another
 * state; -EBUSY if an update of @p is running, or if a huge leaf maps
 * @addr and the exchange would change it (nothing changed in any case
 * but 0).
 */
int ptsel_partition_leaf_try_cmpxchg(struct ptsel_partition *p, u64 addr,
				     u64 old_target, u32 old_sw,
				     u64 new_target, u32 new_sw, u64 *gen)
{
	struct ptsel_leaf_cx cx;

	if (!leaf_cx_init(&cx, addr, old_target, old_sw, new_target, new_sw))
		return -EINVAL;
	return leaf_update_nolock(p, &cx, gen);
}
EXPORT_SYMBOL_NS_GPL(ptsel_partition_leaf_try_cmpxchg, PTSEL);

/**
 * ptsel_partition_leaf_ad() - set or clear the A/D bits of one 4K leaf
 * @p: the partition
 * @addr: input address of the page, 4 KiB aligned
 * @target: output address the page must be mapped to (what the caller
 *	    translated it to)
 * @set: PTSEL_LEAF_ACCESSED and/or PTSEL_LEAF_DIRTY to set
 * @clear: those to clear (@set wins where both name a bit)
 * @prot: if not NULL, the leaf's PTSEL_LEAF_BITS as found, before the
 *	  change: a test-and-clear reads the bits it clears here
 *
 * For a device that translated @addr and is about to access it, and for
 * the owner that reads what devices did. Target, protection and
 * software state stay. A huge leaf is split first. A change makes every
 * walker switched to @p forget the page, as ptsel_partition_leaf_cmpxchg()
 * does, so a device whose translation lacks a bit sets it again on its
 * next access; no change stores nothing and invalidates nothing. A 4K
 * leaf changes without the partition's mutex when no update of @p is
 * running, as in ptsel_partition_leaf_try_cmpxchg().
 *
 * Context: process context, may sleep.
 * Return: 0; -EINVAL for a bad request; -ENOENT if @addr is not mapped;
 * -EAGAIN if it is mapped elsewhere than @target (nothing changed: the
 * caller's translation is stale); -ENOMEM if a huge leaf could not be
 * split.
 */
int ptsel_partition_leaf_ad(struct ptsel_partition *p, u64 addr, u64 target,
			    u32 set, u32 clear, u32 *prot)
{
	struct ptsel_leaf_cx cx = {
		.addr = addr, .old_target = target, .new_target = target,
		.clear = clear | set, .set = set,
	};
	int ret;

	if (!ptsel_map_ok(addr, target, PTSEL_PAGE_SIZE, PTSEL_PROT_READ,
			  PTSEL_LIMIT) || ((set | clear) & ~PTSEL_AD_MASK))
		return -EINVAL;
	ret = leaf_update_nolock(p, &cx, NULL);
	if (ret == -EBUSY)
		ret = leaf_update(p, &cx, NULL);
	if (prot && ret != -ENOENT)
		*prot = cx.seen;
	return ret;
}
EXPORT_SYMBOL_NS_GPL(ptsel_partition_leaf_ad, PTSEL);

struct leaf_iter {
	ptsel_part_leaf_fn fn;
	void *priv;
};

static int iter_leaf(void *priv, const struct ptsel_leaf *l)
{
	struct leaf_iter *it = priv;

	return it->fn(it->priv, l->addr, l->target, l->size, l->prot);
}

struct part_iter {
	struct ptsel_partition *p;
	struct leaf_iter it;
};

static int span_leaves(void *priv, u64 s, u64 e, u32 format)
{
	struct part_iter *si = priv;

	lockdep_assert_held(&si->p->lock);
	if (format == PTSEL_FORMAT_HASH)
		return ptsel_hash_walk_leaves(&si->p->hash, s, e, iter_leaf,
					      &si->it);
	return ptsel_radix_walk_leaves(&si->p->radix, s, e, iter_leaf, &si->it);
}

/**
 * ptsel_partition_leaves() - call a function for each leaf
 * @p: the partition
 * @start: first input address of interest
 * @end: end of the range (exclusive), at most 2^48
 * @fn: called with every leaf that overlaps [@start, @end), whole, with
 *	its PTSEL_PROT_* and software bits; region by region in address
 *	order, in no particular order inside a hashed region. It runs
 *	under the partition's update lock and must not update @p.
 * @priv: passed to @fn
 *
 * Context: may sleep (takes the partition's mutex).
 * Return: the first non-zero value of @fn, which stops the iteration;
 * 0; -EINVAL for an empty or out-of-range interval.
 */
int ptsel_partition_leaves(struct ptsel_partition *p, u64 start, u64 end,
				  ptsel_part_leaf_fn fn, void *priv)
{
	struct part_iter si = { .p = p, .it = { .fn = fn, .priv = priv } };
	int ret;

	if (start >= end || end > PTSEL_LIMIT)
		return -EINVAL;
	part_lock(p);
	ret = ptsel_region_spans(part_regions(p), start, end, span_leaves, &si);
	part_unlock(p);
	return ret;
}
PTSEL_EXPORT_FOR_TESTS(ptsel_partition_leaves);
