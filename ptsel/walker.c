// SPDX-License-Identifier: GPL-2.0
/*
 * ptsel walkers: a TLB tagged by address space and a walk cache in
 * front of the partitions, like a CPU's MMU in front of page tables.
 *
 * A walker is used by one thread at a time and does a whole lookup,
 * from the TLB probe to the fill, under its own lock. Partition
 * updates change the tables first and then invalidate every walker
 * under that walker's lock, so a fill can only race with an
 * invalidation by coming entirely before it (and being flushed) or
 * entirely after it (and seeing the new tables). Radix tables freed by
 * an update reach RCU only after that invalidation, so no walk cache
 * ever hands out a table that a grace period could free under a walk.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>

#include "ptsel_internal.h"
#include "trace.h"

/**
 * struct ptsel_walker - TLB and walk cache of one user
 * @lock: held for a whole lookup, a switch and an invalidation
 * @node: on ptsel_walkers
 * @cur: partition switched to (a reference), NULL before the first switch
 * @tlb: the TLB
 * @tlb_mem: its entries
 * @wc: the walk cache, if @wc_mem
 * @wc_mem: its memory, NULL when walk_cache_size was 0
 * @walks: lookups that reached the tables
 * @walk_mem_refs: table cache lines they read
 * @wc_hits: radix walks that the walk cache let start below the root
 * @wc_misses: radix walks that started at the root
 */
struct ptsel_walker {
	spinlock_t lock;
	struct list_head node;
	struct ptsel_partition *cur;
	struct ptsel_tlb tlb;
	struct ptsel_tlb_entry *tlb_mem;
	struct ptsel_wcache wc;
	void *wc_mem;
	u64 walks;
	u64 walk_mem_refs;
	u64 wc_hits;
	u64 wc_misses;
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
	if (w->wc_mem)
		sum->wc_overrides += w->wc.stats.overrides;
	sum->wc_hits += w->wc_hits;
	sum->wc_misses += w->wc_misses;
	sum->walks += w->walks;
	sum->walk_mem_refs += w->walk_mem_refs;
}

/**
 * ptsel_walker_destroy() - free a walker
 * @w: the walker; drops its reference on the current partition
 *
 * Context: process context, may sleep.
 */
void ptsel_walker_destroy(struct ptsel_walker *w)
{
	spin_lock(&ptsel_walkers_lock);
	list_del(&w->node);
	add_stats(&ptsel_dead_stats, w);
	spin_unlock(&ptsel_walkers_lock);
	if (w->cur)
		ptsel_partition_put(w->cur);
	kvfree(w->wc_mem);
	kvfree(w->tlb_mem);
	kfree(w);
}
EXPORT_SYMBOL_NS_GPL(ptsel_walker_destroy, PTSEL);

/**
 * ptsel_walker_switch() - make @p the walker's current address space
 * @w: the walker
 * @p: the partition; the walker takes a reference
 *
 * Context: process context, may sleep (it may drop the last reference
 * to the previous partition).
 * Return: true if @p was still in the walker's list of recently active
 * address spaces, so its TLB entries were kept.
 */
bool ptsel_walker_switch(struct ptsel_walker *w, struct ptsel_partition *p)
{
	struct ptsel_partition *old;
	bool kept;

	kref_get(&p->ref);
	spin_lock(&w->lock);
	kept = ptsel_tlb_switch(&w->tlb, p->asid);
	old = w->cur;
	w->cur = p;
	spin_unlock(&w->lock);
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
	bool hit = false;
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
	if (ptsel_tlb_lookup(&w->tlb, addr, out)) {
		hit = true;
		ret = 0;
	} else {
		u64 wc_hits = w->wc.stats.hits, wc_misses = w->wc.stats.misses;

		rcu_read_lock();
		ret = ptsel_partition_walk(p, w->wc_mem ? &w->wc : NULL, addr, out);
		rcu_read_unlock();
		/* A walk stops probing the walk cache at its first hit. */
		if (w->wc.stats.hits != wc_hits)
			w->wc_hits++;
		else if (w->wc.stats.misses != wc_misses)
			w->wc_misses++;
		if (!ret)
			ptsel_tlb_fill(&w->tlb, addr, out);
		w->walks++;
		w->walk_mem_refs += out->mem_refs;
	}
	spin_unlock(&w->lock);
	trace_ptsel_walk(asid, addr, ret, out->level, out->mem_refs, hit);
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
EXPORT_SYMBOL_NS_GPL(ptsel_walker_stats, PTSEL);

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

/*
 * After an update of @p: every walker drops its TLB entries of @p in
 * [@addr, @addr + @size) and, with @tables, every walk-cache entry of
 * @p, because radix tables of @p are about to be freed.
 */
void ptsel_walkers_invalidate(struct ptsel_partition *p, u64 addr, u64 size,
			      bool tables)
{
	struct ptsel_walker *w;
	unsigned int n = 0;

	spin_lock(&ptsel_walkers_lock);
	list_for_each_entry(w, &ptsel_walkers, node) {
		spin_lock(&w->lock);
		if (size)
			ptsel_tlb_flush_range(&w->tlb, p->asid, addr, size);
		if (tables && w->wc_mem)
			ptsel_wc_flush_asid(&w->wc, p->asid);
		spin_unlock(&w->lock);
		n++;
	}
	spin_unlock(&ptsel_walkers_lock);
	trace_ptsel_tlb_flush(p->asid, addr, size, tables, n);
}

/* @p is going away: every walker drops all it holds of it. */
void ptsel_walkers_forget(struct ptsel_partition *p)
{
	struct ptsel_walker *w;
	unsigned int n = 0;

	spin_lock(&ptsel_walkers_lock);
	list_for_each_entry(w, &ptsel_walkers, node) {
		spin_lock(&w->lock);
		ptsel_tlb_flush_ctx(&w->tlb, p->asid);
		if (w->wc_mem)
			ptsel_wc_flush_asid(&w->wc, p->asid);
		spin_unlock(&w->lock);
		n++;
	}
	spin_unlock(&ptsel_walkers_lock);
	trace_ptsel_tlb_flush(p->asid, 0, 0, true, n);
}
