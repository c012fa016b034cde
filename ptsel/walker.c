// SPDX-License-Identifier: GPL-2.0
/*
 * ptsel walkers: a TLB tagged by address space and a walk cache in
 * front of the partitions, like a CPU's MMU in front of page tables.
 *
 * A walker is used by one thread at a time and does a whole lookup,
 * from the TLB probe to the fill, under its own lock.
 *
 * Invalidation is scoped like mm_cpumask: a partition lists the walkers
 * switched to it (@users), and an update invalidates those alone, each
 * under its own lock, so a fill can only race with an invalidation by
 * coming entirely before it (and being flushed) or entirely after it
 * (and seeing the new tables). Radix tables freed by an update reach
 * RCU only after that invalidation. Walkers that switched away keep
 * what they cached of the partition, TLB entries and walk-cache tables
 * that may be freed: they never read them while switched elsewhere,
 * because both are tagged by the partition's never-reused ASID, and
 * every invalidation bumps the partition's @flush_gen. A walker records
 * the generation it was in sync with when it leaves, and one that comes
 * back to an older generation drops all it kept of the partition before
 * its first lookup, like a CPU that finds its ASID's tlb_gen behind.
 * A walker whose TLB recycled the partition's slot in the meantime has
 * no record; it drops the partition's walk-cache tables on the switch.
 *
 * A leaf invalidation (an update that frees no table) is narrower
 * still: it visits only the users whose TLB may hold an entry of its
 * range, by the fill mask the walker keeps per TLB slot
 * (ptsel_fill_mask(): a bit per 2 MiB granule, modulo 128 MiB). A
 * walker fills its TLB only from a walk that its leaf's bits preceded,
 * with a full barrier between when a bit was new (the bit of the
 * address before the walk; a 1G leaf's, after it, and then it walks
 * again); an invalidation runs a
 * full barrier between the update's stores and its loads of the masks.
 * So either the invalidation sees the bit, and visits the walker under
 * its lock, or the walker's walk sees the update (store buffering, both
 * sides fenced). Bits are cleared only when the slot loses every entry
 * (a new slot, or an address space that changed while away), under the
 * users_lock that every invalidation of the partition holds.
 *
 * Lock order: partition users_lock (two of them, lower ASID first,
 * while a walker switches), then walker lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>

#include "ptsel_internal.h"
#include "trace.h"

#ifdef CONFIG_FAULT_INJECTION
#include <linux/delay.h>
#endif

/**
 * struct ptsel_walker - TLB and walk cache of one user
 * @lock: held for a whole lookup, a switch and an invalidation
 * @switch_lock: serializes switches and destroy, so @cur is stable
 *		 under it
 * @node: on ptsel_walkers
 * @user: on @cur's users list
 * @cur: partition switched to (a reference), NULL before the first switch;
 *	 changes under @lock and both partitions' users_lock
 * @synced: per TLB slot, the flush_gen of the slot's partition when the
 *	    walker switched away from it
 * @fills: per TLB slot, the fill mask of the granules its TLB entries
 *	   may cover; set under @lock, cleared under @lock and the slot's
 *	   partition's users_lock, read by invalidations under that
 *	   users_lock alone
 * @tlb: the TLB
 * @tlb_mem: its entries
 * @wc: the walk cache, if @wc_mem
 * @wc_mem: its memory, NULL when walk_cache_size was 0
 * @walks: lookups that reached the tables
 * @walk_mem_refs: table cache lines they read
 */
struct ptsel_walker {
	spinlock_t lock;
	struct mutex switch_lock;
	struct list_head node;
	struct list_head user;
	struct ptsel_partition *cur;
	u64 synced[PTSEL_TLB_MAX_ASIDS];
	u64 fills[PTSEL_TLB_MAX_ASIDS];
	struct ptsel_tlb tlb;
	struct ptsel_tlb_entry *tlb_mem;
	struct ptsel_wcache wc;
	void *wc_mem;
	u64 walks;
	u64 walk_mem_refs;
};

static LIST_HEAD(ptsel_walkers);
static DEFINE_SPINLOCK(ptsel_walkers_lock);
/* Counters of walkers that are gone, so global stats never go back. */
static struct ptsel_walker_stats ptsel_dead_stats;

/**
 * ptsel_walker_create() - make a walker
 *
 * Its TLB, list of retained address spaces and walk cache take their
 * sizes from the tlb_entries, retained_asids and walk_cache_size knobs.
 *
 * Return: the walker, or ERR_PTR(-ENOMEM).
 */
struct ptsel_walker *ptsel_walker_create(void)
{
	unsigned int nr_tlb = READ_ONCE(ptsel_tlb_entries);
	unsigned int nr_wc = READ_ONCE(ptsel_walk_cache_size);
	struct ptsel_walker *w;

	w = kzalloc(sizeof(*w), GFP_KERNEL_ACCOUNT);
	if (!w)
		return ERR_PTR(-ENOMEM);
	w->tlb_mem = kvcalloc(nr_tlb, sizeof(*w->tlb_mem), GFP_KERNEL_ACCOUNT);
	if (!w->tlb_mem)
		goto nomem;
	if (ptsel_tlb_init(&w->tlb, w->tlb_mem, nr_tlb,
			   READ_ONCE(ptsel_retained_asids)))
		goto nomem;
	if (nr_wc) {
		w->wc_mem = kvzalloc(ptsel_wc_bytes(nr_wc), GFP_KERNEL_ACCOUNT);
		if (!w->wc_mem || ptsel_wc_init(&w->wc, w->wc_mem, nr_wc,
						PTSEL_WC_CLOCK, true))
			goto nomem;
	}
	spin_lock_init(&w->lock);
	mutex_init(&w->switch_lock);
	INIT_LIST_HEAD(&w->user);
	spin_lock(&ptsel_walkers_lock);
	list_add(&w->node, &ptsel_walkers);
	spin_unlock(&ptsel_walkers_lock);
	return w;
nomem:
	kvfree(w->wc_mem);
	kvfree(w->tlb_mem);
	kfree(w);
	return ERR_PTR(-ENOMEM);
}
EXPORT_SYMBOL_NS_GPL(ptsel_walker_create, PTSEL);

static void add_stats(struct ptsel_walker_stats *sum,
		      const struct ptsel_walker *w)
{
	sum->tlb.hits += w->tlb.stats.hits;
	sum->tlb.misses += w->tlb.stats.misses;
	sum->tlb.fills += w->tlb.stats.fills;
	sum->tlb.flushes_avoided += w->tlb.stats.flushes_avoided;
	sum->tlb.asid_evictions += w->tlb.stats.asid_evictions;
	sum->tlb.invalidations += w->tlb.stats.invalidations;
	if (w->wc_mem) {
		sum->wc_overrides += w->wc.stats.overrides;
		/* A walk stops probing the walk cache at its first hit. */
		sum->wc_hits += w->wc.stats.hits + w->wc.stats.last_hits;
		/* One that bypassed it started at the root like a miss. */
		sum->wc_misses += ptsel_wc_bypassed(&w->wc) + w->wc.stats.root_walks;
	}
	sum->walks += w->walks;
	sum->walk_mem_refs += w->walk_mem_refs;
}

/**
 * ptsel_walker_destroy() - free a walker
 * @w: the walker; drops its reference on the current partition
 *
 * Context: process context, may sleep. No other call on @w may be
 * running or follow.
 */
void ptsel_walker_destroy(struct ptsel_walker *w)
{
	struct ptsel_partition *p = w->cur;

	if (p) {
		spin_lock(&p->users_lock);
		list_del(&w->user);
		spin_unlock(&p->users_lock);
	}
	spin_lock(&ptsel_walkers_lock);
	list_del(&w->node);
	add_stats(&ptsel_dead_stats, w);
	spin_unlock(&ptsel_walkers_lock);
	if (p)
		ptsel_partition_put(p);
	mutex_destroy(&w->switch_lock);
	kvfree(w->wc_mem);
	kvfree(w->tlb_mem);
	kfree(w);
}
EXPORT_SYMBOL_NS_GPL(ptsel_walker_destroy, PTSEL);

/*
 * Take the users locks of @a and @b, lower ASID first; @a may be NULL
 * or @b itself, and then only @b's is taken (the other is faked for
 * sparse, as double_rq_lock() does).
 */
static void users_lock2(struct ptsel_partition *a, struct ptsel_partition *b)
	__acquires(&a->users_lock) __acquires(&b->users_lock)
{
	if (!a || a == b) {
		spin_lock(&b->users_lock);
		__acquire(&a->users_lock);
		return;
	}
	if (a->asid > b->asid) {
		spin_lock(&b->users_lock);
		spin_lock_nested(&a->users_lock, SINGLE_DEPTH_NESTING);
	} else {
		spin_lock(&a->users_lock);
		spin_lock_nested(&b->users_lock, SINGLE_DEPTH_NESTING);
	}
}

static void users_unlock2(struct ptsel_partition *a, struct ptsel_partition *b)
	__releases(&a->users_lock) __releases(&b->users_lock)
{
	if (a && a != b)
		spin_unlock(&a->users_lock);
	else
		__release(&a->users_lock);
	spin_unlock(&b->users_lock);
}

/**
 * ptsel_walker_switch() - make @p the walker's current address space
 * @w: the walker
 * @p: the partition; the walker takes a reference
 *
 * The walker joins @p's users (and leaves those of its previous
 * partition), so that updates of @p invalidate it synchronously from
 * now on. What it kept of @p from an earlier visit survives only if no
 * update of @p invalidated anything in between.
 *
 * Context: process context, may sleep (it may drop the last reference
 * to the previous partition).
 * Return: true if @p was still in the walker's list of recently active
 * address spaces and its TLB entries were kept.
 */
bool ptsel_walker_switch(struct ptsel_walker *w, struct ptsel_partition *p)
{
	struct ptsel_partition *old;
	bool kept;

	kref_get(&p->ref);
	mutex_lock(&w->switch_lock);
	old = w->cur;
	users_lock2(old, p);
	spin_lock(&w->lock);
	if (old) {
		/* Invalidations of @old up to here reached us. */
		w->synced[w->tlb.cur] = old->flush_gen;
		list_del(&w->user);
	}
	list_add(&w->user, &p->users);
	kept = ptsel_tlb_switch(&w->tlb, p->asid);
	if (kept && w->synced[w->tlb.cur] != p->flush_gen) {
		/* @p changed while we were away: forget it all. */
		ptsel_tlb_flush_ctx(&w->tlb, p->asid);
		kept = false;
		if (w->wc_mem)
			ptsel_wc_flush_asid(&w->wc, p->asid);
	} else if (!kept && w->wc_mem) {
		/* No record of when we left: its tables may be stale. */
		ptsel_wc_flush_asid(&w->wc, p->asid);
	}
	/* The slot holds no entry of @p: no invalidation need visit us. */
	if (!kept)
		WRITE_ONCE(w->fills[w->tlb.cur], 0);
	w->cur = p;
	spin_unlock(&w->lock);
	users_unlock2(old, p);
	mutex_unlock(&w->switch_lock);
	if (old)
		ptsel_partition_put(old);
	return kept;
}
EXPORT_SYMBOL_NS_GPL(ptsel_walker_switch, PTSEL);

/*
 * The partition @w is switched to, or NULL. The one pointer that says
 * which address space the walker's user is in: /dev/ptsel acts on it
 * for every ioctl, so a switch moves them all at once. The caller
 * keeps the partition alive (a file holds all of its partitions).
 */
struct ptsel_partition *ptsel_walker_partition(struct ptsel_walker *w)
{
	struct ptsel_partition *p;

	spin_lock(&w->lock);
	p = w->cur;
	spin_unlock(&w->lock);
	return p;
}

/*
 * Before a walk whose leaf may fill the TLB: the fill mask of the
 * current slot gets the bits of @need first. A new bit is ordered
 * before the walk's loads of the tables by a full barrier, which pairs
 * with the one in ptsel_walkers_invalidate() (store buffering): an
 * invalidation that does not see the bit ran after our walk saw its
 * update. A bit already set was, before an earlier walk, ordered so.
 * Return: true if a bit was new.
 */
static bool fill_note(struct ptsel_walker *w, u64 need)
{
	u64 *fills = &w->fills[w->tlb.cur];

	lockdep_assert_held(&w->lock);
	if (!(need & ~*fills))
		return false;
	WRITE_ONCE(*fills, *fills | need);
	/* The bit before the walk: pairs with ptsel_walkers_invalidate(). */
	smp_mb();
	return true;
}

/**
 * ptsel_walker_translate() - translate in the current address space
 * @w: the walker, switched to a partition
 * @addr: input address, any byte offset
 * @out: the translation; @out->mem_refs is 0 on a TLB hit
 *
 * Context: process context. One caller per walker at a time is the
 * intended use; concurrent callers wait for each other.
 * Return: 0; -ENOENT if @addr is not mapped; -EINVAL beyond 2^48 or
 * before the first switch.
 */
int ptsel_walker_translate(struct ptsel_walker *w, u64 addr,
			   struct ptsel_xlate *out)
{
	struct ptsel_partition *p;
	bool hit = false, use_tlb;
	u64 asid;
	int ret;

	memset(out, 0, sizeof(*out));
	spin_lock(&w->lock);
	p = w->cur;
	if (!p || addr >= PTSEL_LIMIT) {
		spin_unlock(&w->lock);
		return -EINVAL;
	}
	asid = p->asid;
	/* A TLB that does not hit on this trace is neither probed nor filled. */
	use_tlb = !ptsel_tlb_bypass(&w->tlb);
	if (use_tlb && ptsel_tlb_lookup(&w->tlb, addr, out)) {
		hit = true;
		ret = 0;
	} else {
		if (use_tlb)
			fill_note(w, ptsel_fill_mask(addr, PTSEL_PAGE_SIZE));
		for (;;) {
			rcu_read_lock();
			ret = ptsel_partition_walk(p, w->wc_mem ? &w->wc : NULL,
						   addr, out);
			rcu_read_unlock();
			w->walks++;
			w->walk_mem_refs += out->mem_refs;
			if (ret || !use_tlb)
				break;
			/*
			 * The fill mask must have the leaf's bits before the
			 * walk whose result fills the TLB: a leaf wider than
			 * a granule (1G) with a new bit walks again.
			 */
			if (!fill_note(w, ptsel_fill_mask(ptsel_tlb_leaf_base(addr, out->level),
							  ptsel_level_size(out->level))))
				break;
			memset(out, 0, sizeof(*out));
		}
		/*
		 * A leaf in a software state other than 0 is not cached: its
		 * owner changes it again soon (a page being migrated), and
		 * an exchange from it then has no TLB entry to drop (see
		 * leaf_update_nolock()).
		 */
		if (!ret && use_tlb && !ptsel_sw(out->prot))
			ptsel_tlb_fill(&w->tlb, addr, out);
	}
	spin_unlock(&w->lock);
	trace_ptsel_walk(asid, addr, ret, out->level, out->mem_refs, hit);
#ifdef CONFIG_FAULT_INJECTION
	/* The fault injection's slow translation (part.c). */
	if (unlikely((addr & ~(PTSEL_PAGE_SIZE - 1)) ==
		     READ_ONCE(ptsel_skip_invalidation_addr))) {
		unsigned int us = READ_ONCE(ptsel_skip_invalidation_delay_us);

		if (us)
			udelay(min(us, 1000U));
	}
#endif
	return ret;
}
EXPORT_SYMBOL_NS_GPL(ptsel_walker_translate, PTSEL);

/**
 * ptsel_walker_stats() - read a walker's counters
 * @w: the walker
 * @st: filled in
 */
void ptsel_walker_stats(struct ptsel_walker *w, struct ptsel_walker_stats *st)
{
	memset(st, 0, sizeof(*st));
	spin_lock(&w->lock);
	add_stats(st, w);
	spin_unlock(&w->lock);
}
PTSEL_EXPORT_FOR_TESTS(ptsel_walker_stats);

/* Sum over every walker, gone ones included. */
void ptsel_walkers_stats(struct ptsel_walker_stats *st)
{
	struct ptsel_walker *w;

	spin_lock(&ptsel_walkers_lock);
	*st = ptsel_dead_stats;
	list_for_each_entry(w, &ptsel_walkers, node) {
		spin_lock(&w->lock);
		add_stats(st, w);
		spin_unlock(&w->lock);
	}
	spin_unlock(&ptsel_walkers_lock);
}

/* Set up the walker bookkeeping of a new partition. */
void ptsel_walkers_part_init(struct ptsel_partition *p)
{
	spin_lock_init(&p->users_lock);
	INIT_LIST_HEAD(&p->users);
	p->flush_gen = 0;
}

/*
 * After an update of @p: the walkers switched to @p drop their TLB
 * entries of @p in [@addr, @addr + @size) and, with @tables, every
 * walk-cache entry of @p, because radix tables of @p are about to be
 * freed. Without @tables, and with the targeted_invalidation knob set,
 * only those whose fill mask has a bit of the range are visited (see
 * the top of this file). Walkers elsewhere are left alone; @flush_gen tells them when
 * they come back. The cost grows with @p's users, not with the walkers
 * of other partitions.
 */
void ptsel_walkers_invalidate(struct ptsel_partition *p, u64 addr, u64 size,
			      bool tables)
{
	u64 ceiling = READ_ONCE(ptsel_tlb_flush_ceiling);
	bool targeted = size && !tables && READ_ONCE(ptsel_targeted_invalidation);
	u64 mask = targeted ? ptsel_fill_mask(addr, size) : 0;
	struct ptsel_walker *w;
	unsigned int n = 0;

	spin_lock(&p->users_lock);
	p->flush_gen++;
	/*
	 * The update's stores before the loads of the fill masks: pairs
	 * with the barrier in fill_note().
	 */
	smp_mb();
	list_for_each_entry(w, &p->users, user) {
		/* Its TLB holds nothing of the range: nothing to drop. */
		if (targeted && !(READ_ONCE(w->fills[w->tlb.cur]) & mask))
			continue;
		spin_lock(&w->lock);
		if (size) {
			w->tlb.flush_ceiling = ceiling;
			ptsel_tlb_flush_range(&w->tlb, p->asid, addr, size);
		}
		if (tables && w->wc_mem)
			ptsel_wc_flush_asid(&w->wc, p->asid);
		spin_unlock(&w->lock);
		n++;
	}
	spin_unlock(&p->users_lock);
	trace_ptsel_tlb_flush(p->asid, addr, size, tables, n);
}

/*
 * @p is going away. No walker is switched to it (each holds a
 * reference), and what others kept of it is tagged by an ASID that is
 * never used again, so no lookup can reach it. Still, it would hold
 * their TLB's slots and walk-cache entries until evicted, pushing out
 * live partitions': every walker that kept something of @p drops it.
 * Any walker may have, not only @p's users of the moment, so this
 * visits them all; it runs once per partition, at its end.
 */
void ptsel_walkers_forget(struct ptsel_partition *p)
{
	struct ptsel_walker *w;
	unsigned int n = 0;

	spin_lock(&ptsel_walkers_lock);
	list_for_each_entry(w, &ptsel_walkers, node) {
		bool kept;

		spin_lock(&w->lock);
		kept = ptsel_tlb_forget_ctx(&w->tlb, p->asid);
		if (w->wc_mem)
			ptsel_wc_flush_asid(&w->wc, p->asid);
		spin_unlock(&w->lock);
		n += kept;
	}
	spin_unlock(&ptsel_walkers_lock);
	trace_ptsel_tlb_flush(p->asid, 0, 0, true, n);
}
