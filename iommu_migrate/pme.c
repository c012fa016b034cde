// SPDX-License-Identifier: GPL-2.0
/*
 * iommu_migrate glue: the page migration engine (PME), a kthread that
 * takes migration requests and moves their pages in batches while
 * devices keep doing DMA, with the five-step protocol of the core
 * (imm_mig_*): mark the PTE and RMT entry migrating and invalidate the
 * IOTLBs; drain the accesses in flight; copy; switch PTE and RMT to the
 * new page with a new generation; release the stalled devices. The
 * copy is made before the mark, while devices go on, and redone in the
 * window only if a device wrote the page since (the RMT entry's write
 * count, see pme_precopy()). A page
 * whose destination cannot be allocated, or whose accesses do not
 * drain in time, is given up: its PTE and RMT entry go back to normal
 * on the old page, which devices go on using.
 *
 * Also the in-kernel evacuation API of <memvirt/iommu_migrate.h>.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/err.h>
#include <linux/highmem.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/nodemask.h>
#include <linux/slab.h>
#include <linux/sort.h>

#include "imm_internal.h"
#include "trace.h"

/* One page to move. */
struct imm_item {
	struct imm_buf *buf;
	unsigned long idx;
};

/**
 * struct imm_req - one migration request
 * @node: in the PME's queue
 * @items: the pages, grouped by buffer (a reference on each item's)
 * @nr: number of @items
 * @dest: where the pages go (a node, and for an evacuation the range
 *	  they leave)
 * @moved: pages moved
 * @aborted: pages given up
 * @already: pages already where they should be
 * @cancel: stop before the next batch
 * @keep: IOMMU_MIGRATE_MIGRATE_KEEP_COPY: old frames stay as copies
 * @done: completed by the PME
 */
struct imm_req {
	struct list_head node;
	struct imm_item *items;
	unsigned long nr;
	struct imm_dest dest;
	u64 moved, aborted, already;
	bool cancel;
	bool keep;
	struct completion done;
};

static LIST_HEAD(pme_queue);
/* RMT entries retired by moves, oldest first (the PME kthread's). */
static LIST_HEAD(pme_dead);
static DEFINE_SPINLOCK(pme_lock);
static DECLARE_WAIT_QUEUE_HEAD(pme_wq);
static struct task_struct *pme_task;

/* Per page of a batch. */
struct pme_page {
	unsigned long idx;
	struct page *old, *new;
	struct imm_rmt_ent *ent, *nent;
	struct imm_rmt_ent *gave_way;	/* a retired entry @nent took over */
	struct imm_mig mig;
	struct imm_rmt snap;	/* the old entry's, marked before the window */
	struct imm_rmt nsnap;	/* the new entry's, as pme_prepare() made it */
	u64 gen;		/* the move's, from the switch */
	u32 wseq;		/* the RMT entry's write count before @early */
	bool live;		/* still being moved */
	bool reuse;		/* @new is the page's kept copy */
	bool dirty;		/* written since that copy was made */
	bool early;		/* @new held the page when @wseq was read */
	bool precopied;		/* @early by a copy before the window */
};

/**
 * imm_dest_init() - where the pages of a request go
 * @d: filled in
 * @nid: destination node, NUMA_NO_NODE for any
 * @avoid_lo: evacuation: first frame the pages must leave
 * @avoid_hi: evacuation: end of that range; 0 if not an evacuation
 */
void imm_dest_init(struct imm_dest *d, int nid, unsigned long avoid_lo,
		   unsigned long avoid_hi)
{
	*d = (struct imm_dest){ .nid = nid, .avoid_lo = avoid_lo,
				.avoid_hi = avoid_hi, .any_nid = NUMA_NO_NODE };
	INIT_LIST_HEAD(&d->rejects);
}

/**
 * imm_dest_avoids() - must @page leave (an evacuation's range)?
 * @d: the destination
 * @page: a page
 *
 * Return: true if @d is an evacuation and @page lies in its range.
 */
bool imm_dest_avoids(const struct imm_dest *d, struct page *page)
{
	unsigned long pfn = page_to_pfn(page);

	return d->avoid_hi && pfn >= d->avoid_lo && pfn < d->avoid_hi;
}

/**
 * imm_dest_wanted() - does @page need a move to reach @d?
 * @d: the destination
 * @page: where a buffer page is now
 *
 * Return: true if it lies in the evacuated range, or, for a migration,
 * on another node than @d's.
 */
bool imm_dest_wanted(const struct imm_dest *d, struct page *page)
{
	return d->avoid_hi ? imm_dest_avoids(d, page) :
			     page_to_nid(page) != d->nid;
}

/* Does the evacuation of @d leave node @nid no frame to go to? */
static bool imm_dest_fills_node(const struct imm_dest *d, int nid)
{
	return node_start_pfn(nid) >= d->avoid_lo &&
	       node_end_pfn(nid) <= d->avoid_hi;
}

/**
 * imm_dest_possible() - can an evacuation's pages go anywhere?
 * @d: the destination, an evacuation (imm_dest_init())
 *
 * Return: false if the node it asks for, or with NUMA_NO_NODE every
 * node with memory, lies wholly inside the evacuated range.
 */
bool imm_dest_possible(const struct imm_dest *d)
{
	int nid;

	if (d->nid != NUMA_NO_NODE)
		return !imm_dest_fills_node(d, d->nid);
	for_each_node_state(nid, N_MEMORY)
		if (!imm_dest_fills_node(d, nid))
			return true;
	return false;
}

/*
 * Any node, and the allocator handed out a page of the range on node
 * @nid: the next node with memory not wholly in the range (@nid itself
 * if there is none).
 */
static int imm_dest_next_node(const struct imm_dest *d, int nid)
{
	int next = nid, i;

	for (i = 0; i < MAX_NUMNODES; i++) {
		next = next_node_in(next, node_states[N_MEMORY]);
		if (next == MAX_NUMNODES || next == nid)
			break;
		if (!imm_dest_fills_node(d, next))
			return next;
	}
	return nid;
}

/**
 * imm_alloc_dest() - a destination page
 * @d: the destination
 *
 * An evacuation never takes one in its range: it keeps the in-range
 * pages the allocator hands out (the range's pages it has just freed
 * come back first) until imm_dest_release(), at most
 * IMM_MAX_REJECTS of them for the whole request, so that a range
 * holding most of a node cannot make it set aside the node's free
 * memory. With NUMA_NO_NODE, a page of the range moves the request
 * on to the next node with memory outside it.
 *
 * Return: the page, or NULL (also when the fail_next_allocs test knob
 * says so, or the request has set aside IMM_MAX_REJECTS pages).
 */
struct page *imm_alloc_dest(struct imm_dest *d)
{
	gfp_t gfp = GFP_HIGHUSER | __GFP_NOWARN | __GFP_RETRY_MAYFAIL;
	unsigned int fail = READ_ONCE(imm_fail_next_allocs);
	struct page *page;

	/* The test knob: fail this many allocations from now on. */
	if (fail && cmpxchg(&imm_fail_next_allocs, fail, fail - 1) == fail)
		return NULL;
	for (;;) {
		int nid = d->nid == NUMA_NO_NODE ? d->any_nid : d->nid;

		if (nid == NUMA_NO_NODE)
			page = alloc_page(gfp);
		else
			page = alloc_pages_node(nid, gfp | __GFP_THISNODE, 0);
		if (!page || !imm_dest_avoids(d, page))
			return page;
		if (d->nr_rejects >= min(d->avoid_hi - d->avoid_lo,
					 (unsigned long)IMM_MAX_REJECTS)) {
			__free_page(page);
			return NULL;
		}
		list_add(&page->lru, &d->rejects);
		d->nr_rejects++;
		if (d->nid == NUMA_NO_NODE)
			d->any_nid = imm_dest_next_node(d, page_to_nid(page));
	}
}

/**
 * imm_dest_release() - free the pages an evacuation set aside
 * @d: the destination
 */
void imm_dest_release(struct imm_dest *d)
{
	struct page *page, *next;

	list_for_each_entry_safe(page, next, &d->rejects, lru) {
		list_del(&page->lru);
		__free_page(page);
	}
	d->nr_rejects = 0;
}

/*
 * A PTE exchange of the PME: without ptsel's partition mutex, as the
 * window's two exchanges must not wait for other users of the domain
 * (devices setting A/D bits, maps and unmaps of other buffers). Should
 * an update of the domain be running, or the page sit in a huge leaf,
 * ptsel says -EBUSY, and the exchange takes the mutex.
 */
static int pme_pte_xchg(struct imm_buf *b, u64 iova, u64 old, u32 old_sw,
			u64 new, u32 new_sw, u64 *gen)
{
	int ret = ptsel_partition_leaf_try_cmpxchg(b->dom->part, iova, old,
						   old_sw, new, new_sw, gen);

	if (ret == -EBUSY)
		ret = ptsel_partition_leaf_cmpxchg(b->dom->part, iova, old,
						   old_sw, new, new_sw, gen);
	return ret;
}

/* Put the PTE and RMT entry of @pp back to normal on the old page. */
static void pme_abort(struct imm_req *rq, struct imm_buf *b,
		      struct pme_page *pp)
{
	u64 iova = b->iova + pp->idx * PAGE_SIZE;
	u64 old = (u64)page_to_pfn(pp->old) << PAGE_SHIFT;

	lockdep_assert_held(&b->lock);

	if (pp->ent) {
		trace_iommu_migrate_abort(pp->snap.domain, iova,
					  page_to_pfn(pp->old));
		/* The PTE first: no device can see normal before the RMT. */
		pme_pte_xchg(b, iova, old, IMM_MIGRATING, old, IMM_NORMAL, NULL);
		if (!imm_mig_abort(&pp->mig, &pp->snap))
			imm_rmt_publish(pp->ent, &pp->snap);
	}
	if (pp->nent) {
		/*
		 * A retired entry that gave way to @nent (a kept copy's
		 * frame) takes it back: a device that translated to the
		 * frame before that retirement must still find it stale.
		 * It waits in pme_dead, reaped between batches only.
		 */
		xa_cmpxchg(&imm_rmt_xa, page_to_pfn(pp->new), pp->nent,
			   pp->gave_way, 0);
		kfree_rcu(pp->nent, rcu);
	}
	if (pp->reuse) {
		b->copies[pp->idx].page = pp->new;	/* still a good copy */
		/*
		 * Unless a pre-copy refreshed it: a write in flight then may
		 * have missed it without setting the dirty bit again.
		 */
		if (pp->precopied)
			imm_copy_drop(b, pp->idx);
	} else if (pp->new)
		__free_page(pp->new);
	pp->live = false;
	rq->aborted++;
	atomic64_inc(&imm_stats.migrations_aborted);
}

/*
 * Before the window: the state machine's mark, in @pp only. Under the
 * buffer's lock nothing else writes the entry, so what pme_mark()
 * publishes is still the transition checked here.
 */
static int pme_mark_prep(struct imm_buf *b, struct pme_page *pp)
{
	lockdep_assert_held(&b->lock);

	pp->ent = b->rmt[pp->idx];
	if (!pp->ent)
		return 0;	/* not device-mapped: a plain move */
	imm_rmt_snapshot(pp->ent, &pp->snap);
	if (imm_mig_mark(&pp->mig, &pp->snap)) {
		pp->ent = NULL;
		return -EINVAL;
	}
	return 0;
}

/*
 * Step 1 for one page: PTE and RMT migrating, IOTLBs invalidated. Under
 * the buffer's lock: @b's domain and IOVA, and the entry, stay.
 */
static int pme_mark(struct imm_buf *b, struct pme_page *pp)
{
	u64 iova = b->iova + pp->idx * PAGE_SIZE;
	u64 old = (u64)page_to_pfn(pp->old) << PAGE_SHIFT;

	lockdep_assert_held(&b->lock);

	if (!pp->ent)
		return 0;
	imm_rmt_publish(pp->ent, &pp->snap);
	trace_iommu_migrate_migrate_begin(pp->snap.domain, iova,
					  page_to_pfn(pp->old));
	if (pme_pte_xchg(b, iova, old, IMM_NORMAL, old, IMM_MIGRATING, NULL))
		return -EIO;
	return 0;
}

/*
 * Step 2: wait until no device access to the page is in flight. Under
 * the buffer's lock, which keeps the entry in @b's RMT.
 */
static int pme_drain(struct imm_buf *b, struct pme_page *pp)
{
	ktime_t t0;
	long left;

	lockdep_assert_held(&b->lock);

	if (!pp->ent)
		return 0;
	/* Nothing in flight, the common case: no clock read, no wait. */
	if (!atomic_read(&pp->ent->inflight)) {
		trace_iommu_migrate_drain_wait(page_to_pfn(pp->old), 0, true);
		return imm_mig_drained(&pp->mig);
	}
	t0 = ktime_get();
	left = wait_event_timeout(imm_drain_wq,
				  !atomic_read(&pp->ent->inflight),
				  msecs_to_jiffies(READ_ONCE(imm_max_drain_wait_ms)));
	trace_iommu_migrate_drain_wait(page_to_pfn(pp->old),
				       ktime_to_ns(ktime_sub(ktime_get(), t0)),
				       left > 0);
	if (!left) {
		atomic64_inc(&imm_stats.drain_timeouts);
		return -ETIMEDOUT;
	}
	return imm_mig_drained(&pp->mig);
}

/*
 * Before the window: the destination's RMT entry, published migrating
 * with the page's owner and IOVA. No PTE leads to the new page yet, so
 * no device meets it; its allocation stays out of the devices' wait.
 */
static int pme_prepare(struct imm_buf *b, struct pme_page *pp)
{
	struct imm_rmt_ent *ent = b->rmt[pp->idx];
	struct imm_rmt r;

	lockdep_assert_held(&b->lock);

	if (!ent)
		return 0;
	imm_rmt_snapshot(ent, &r);
	r.state = IMM_MIGRATING;
	r.gen = 0;
	pp->nent = kzalloc(sizeof(*pp->nent), GFP_KERNEL_ACCOUNT);
	if (!pp->nent)
		return -ENOMEM;
	pp->nent->buf = b;
	pp->nent->idx = pp->idx;
	imm_rmt_publish(pp->nent, &r);
	pp->nsnap = r;
	if (imm_rmt_insert(page_to_pfn(pp->new), pp->nent, &pp->gave_way)) {
		kfree(pp->nent);
		pp->nent = NULL;
		return -ENOMEM;
	}
	return 0;
}

/*
 * The destination of a page: its kept copy if that is where the
 * request wants it (the copy step may then skip the copy), else a new
 * page. A copy elsewhere, or any copy for a request that keeps none,
 * is dropped.
 */
static struct page *pme_dest(struct imm_req *rq, struct imm_buf *b,
			     struct pme_page *pp)
{
	struct page *c = b->copies ? b->copies[pp->idx].page : NULL;

	lockdep_assert_held(&b->lock);

	if (c && rq->keep && b->rmt[pp->idx] && !imm_dest_wanted(&rq->dest, c)) {
		/* In imm_copy_xa until the switch: an abort puts it back. */
		b->copies[pp->idx].page = NULL;
		pp->reuse = true;
		return c;
	}
	imm_copy_drop(b, pp->idx);
	return imm_alloc_dest(&rq->dest);
}

/*
 * Before the mark, for a request that keeps copies: test and clear the
 * PTE's dirty bit. A device writes only through a translation with the
 * bit set, setting it first if it lacks it: a write after this is
 * counted in the RMT entry after pme_precopy() read the count, so the
 * window copies the page, and any write to the new page after the
 * switch sets the bit again (the switch keeps it, fresh translations
 * lack it). Return: the page was written since the last clear (true
 * too if the bit could not be read).
 */
static bool pme_test_clear_dirty(struct imm_buf *b, struct pme_page *pp)
{
	u64 old = (u64)page_to_pfn(pp->old) << PAGE_SHIFT;
	u32 prot;

	lockdep_assert_held(&b->lock);

	if (ptsel_partition_leaf_ad(b->dom->part, b->iova + pp->idx * PAGE_SIZE,
				    old, 0, PTSEL_LEAF_DIRTY, &prot))
		return true;
	/* IOMMU_MIGRATE_IOC_PAGE still reports it. */
	b->copies[pp->idx].ad |= prot & PTSEL_LEAF_DIRTY;
	return prot & PTSEL_LEAF_DIRTY;
}

/*
 * Before the window, while devices go on with the page: its contents
 * go to the destination here, so that the window only checks that no
 * device wrote the page since (pme_copy()). First the RMT entry's write
 * count: a device counts a write after its data (dev_access()), so a
 * write counted by now is in the copy, and one counted later, in
 * flight now or before the mark, changes the count the window reads
 * once the accesses drained (the mark stops every later one). For a
 * request that keeps copies the count is read before the dirty bit's
 * test and clear: a kept copy that the bit calls clean holds every
 * write counted by now, and a write after the clear is counted later.
 * The CPU cannot write: its mapping is zapped, its faults wait for the
 * buffer's lock. A page no device maps only gets its copy here.
 */
static void pme_precopy(struct imm_buf *b, struct pme_page *pp, bool keep)
{
	struct imm_rmt_ent *ent = b->rmt[pp->idx];
	unsigned int delay;

	lockdep_assert_held(&b->lock);

	if (ent) {
		pp->wseq = atomic_read(&ent->writes);
		/* The count before the copy, and before the clear. */
		smp_mb();
	}
	if (keep && ent)
		pp->dirty = pme_test_clear_dirty(b, pp);
	pp->early = true;
	if (keep && ent && pp->reuse && !pp->dirty)
		return;	/* the kept copy is the page */
	copy_highpage(pp->new, pp->old);
	pp->precopied = true;
	/* The test knob: let devices write between the copy and the mark. */
	delay = READ_ONCE(imm_precopy_delay_ms);
	if (delay && ent)
		msleep(delay);
}

/*
 * Step 3, drained: the copy was made before the window (pme_precopy());
 * it is redone here only if a device wrote the page since. So is a
 * kept copy's skip, when a device wrote the page since the dirty bit
 * said it clean. Under the buffer's lock: the CPU cannot write the
 * page (its faults wait for the lock), and the entry stays.
 */
static int pme_copy(struct imm_buf *b, struct pme_page *pp)
{
	bool written;

	lockdep_assert_held(&b->lock);

	/* After the drain's read of the in-flight counts. */
	smp_rmb();
	written = !imm_precopy_current(pp->early, pp->ent, pp->wseq,
				       pp->ent ? atomic_read(&pp->ent->writes) : 0);
	if (written) {
		copy_highpage(pp->new, pp->old);
		if (pp->precopied)
			atomic64_inc(&imm_stats.precopies_redone);
	} else if (!pp->precopied) {
		atomic64_inc(&imm_stats.copies_skipped);
	}
	trace_iommu_migrate_copy(page_to_pfn(pp->old), page_to_pfn(pp->new),
				 page_to_nid(pp->new));
	return pp->ent ? imm_mig_copied(&pp->mig) : 0;
}

/*
 * Step 4: PTE and RMT to the new page, with the move's generation. The
 * old entry is left unowned in the RMT, with a record of what it mapped,
 * until a grace period after pme_retire_old() (pme_defer()).
 */
static int pme_switch(struct imm_buf *b, struct pme_page *pp)
{
	u64 iova = b->iova + pp->idx * PAGE_SIZE;
	u64 old = (u64)page_to_pfn(pp->old) << PAGE_SHIFT;
	u64 new = (u64)page_to_pfn(pp->new) << PAGE_SHIFT;
	struct imm_rmt *nr = &pp->nsnap;
	struct imm_rmt was = pp->snap;

	lockdep_assert_held(&b->lock);

	if (pp->ent) {
		/*
		 * The core's check first, on copies: once the PTE leads to
		 * the new page there is no way back but another exchange.
		 * A refusal aborts the page cleanly.
		 */
		if (imm_mig_switch_check(&pp->mig, &pp->snap, nr))
			return -EINVAL;
		if (pme_pte_xchg(b, iova, old, IMM_MIGRATING, new, IMM_NORMAL,
				 &pp->gen))
			return -EIO;
		/*
		 * Only a generation that is not newer than the page's can
		 * fail now: ptsel's move generations only grow. Should that
		 * promise break, the PTE goes back and the page aborts.
		 */
		if (imm_mig_switch(&pp->mig, &pp->snap, nr, pp->gen)) {
			pr_err_once("move generation %llu not newer than %llu\n",
				    pp->gen, pp->mig.gen);
			pme_pte_xchg(b, iova, new, IMM_NORMAL, old,
				     IMM_MIGRATING, NULL);
			return -EIO;
		}
		/* Devices that translated before the exchange: stale. */
		imm_rmt_set_retired(pp->ent, &was, imm_rmt_retire());
		imm_rmt_publish(pp->nent, nr);
		imm_rmt_publish(pp->ent, &pp->snap);
		b->rmt[pp->idx] = pp->nent;
		imm_mig_release(&pp->mig);
	}
	b->pages[pp->idx] = pp->new;
	return 0;
}

/*
 * Step 5: release the devices stalled on a page (moved or given up).
 * The count is the release: a device that retries sees it. @t, if not
 * NULL, is set to its time; the wake-up of the emulated engines that
 * sleep on it comes after, as their scheduler's cost, not the page's.
 * The time is stamped in @ent (if not NULL), the entry the released
 * devices use next, before the count, so that a device that sees the
 * count finds its release time there (its wait_hist and
 * iommu_migrate_dma_wait), not a stale one that makes it count up to
 * its own wake-up.
 */
static void pme_release(ktime_t *t, struct imm_rmt_ent *ent)
{
	ktime_t now = 0;

	if (t || ent)
		now = ktime_get();
	if (t)
		*t = now;
	if (ent)
		WRITE_ONCE(ent->released_ns, ktime_to_ns(now));
	/* The stamp before the count, for the devices that see the count. */
	smp_mb__before_atomic();
	atomic64_inc(&imm_release_seq);
	/* Full barrier: a device that did not see the count is queued. */
	if (wq_has_sleeper(&imm_release_wq))
		wake_up_all(&imm_release_wq);
}

/*
 * A retired entry stays in the RMT, retired, until a grace period has
 * passed: a device that translated to its frame before the switch
 * checks it under RCU and finds it (imm_rmt_check_retired()). It holds
 * a reference on its old page until then, also when the page stays as a
 * kept copy, so the frame gets no other owner meanwhile.
 */
static void pme_defer(struct imm_rmt_ent *ent, unsigned long pfn,
		      struct page *page)
{
	ent->dead_pfn = pfn;
	ent->dead_page = page;
	/* Start the grace period: a quiet system would not start one. */
	ent->dead_gp = start_poll_synchronize_rcu();
	WRITE_ONCE(ent->retired, true);
	list_add_tail(&ent->dead, &pme_dead);
}

/*
 * Retired entries whose grace period has passed leave the RMT (unless
 * a new entry took the frame) and their pages are freed; with @all,
 * every one, waiting for the grace periods.
 */
static void pme_reap(bool all)
{
	struct imm_rmt_ent *ent, *next;

	list_for_each_entry_safe(ent, next, &pme_dead, dead) {
		if (all)
			cond_synchronize_rcu(ent->dead_gp);
		else if (!poll_state_synchronize_rcu(ent->dead_gp))
			break;
		xa_cmpxchg(&imm_rmt_xa, ent->dead_pfn, ent, NULL, 0);
		list_del(&ent->dead);
		if (ent->dead_page)
			put_page(ent->dead_page);
		kfree_rcu(ent, rcu);
	}
}

/**
 * imm_rmt_insert() - put a new entry in the RMT
 * @pfn: its frame
 * @e: the entry
 * @gave_way: if not NULL, set to the retired entry @e replaced, if any
 *
 * A retired entry still at @pfn (its frame's last owner, waiting for
 * its grace period in pme_reap()) gives way: the frame came back to a
 * buffer, through a kept copy. It stays on the PME's list of retired
 * entries, so a move that aborts can put it back.
 *
 * Return: 0; -EBUSY if a live entry holds @pfn; -ENOMEM.
 */
int imm_rmt_insert(unsigned long pfn, struct imm_rmt_ent *e,
		   struct imm_rmt_ent **gave_way)
{
	struct imm_rmt_ent *cur;
	bool retired;

	for (;;) {
		cur = xa_cmpxchg(&imm_rmt_xa, pfn, NULL, e, GFP_KERNEL_ACCOUNT);
		if (!cur)
			return 0;
		if (xa_is_err(cur))
			return xa_err(cur);
		/* pme_reap() frees it after a grace period. */
		rcu_read_lock();
		cur = xa_load(&imm_rmt_xa, pfn);
		retired = cur && READ_ONCE(cur->retired);
		rcu_read_unlock();
		if (cur && !retired)
			return -EBUSY;
		if (cur && xa_cmpxchg(&imm_rmt_xa, pfn, cur, e,
				      GFP_KERNEL_ACCOUNT) == cur) {
			if (gave_way)
				*gave_way = cur;
			return 0;
		}
	}
}

/*
 * After the release: the old RMT entry goes after a grace period
 * (pme_defer()), and the page itself with it, or it stays as the
 * page's copy (@keep). A reused copy is the page now.
 */
static void pme_retire_old(struct imm_buf *b, struct pme_page *pp, bool keep)
{
	lockdep_assert_held(&b->lock);

	if (pp->ent)
		trace_iommu_migrate_switch(b->dom->id,
					   b->iova + pp->idx * PAGE_SIZE,
					   page_to_pfn(pp->old),
					   page_to_pfn(pp->new), pp->gen);
	if (pp->reuse) {
		xa_erase(&imm_copy_xa, page_to_pfn(pp->new));
		atomic64_dec(&imm_stats.copies_kept);
	}
	if (keep && pp->ent &&
	    !xa_insert(&imm_copy_xa, page_to_pfn(pp->old), b, GFP_KERNEL)) {
		b->copies[pp->idx].page = pp->old;
		atomic64_inc(&imm_stats.copies_kept);
		/*
		 * The copy may be dropped and freed before the grace
		 * period ends: the retired entry keeps a reference of its
		 * own, so the frame gets no other owner meanwhile.
		 */
		get_page(pp->old);
	}
	if (pp->ent)
		pme_defer(pp->ent, page_to_pfn(pp->old), pp->old);
	else
		put_page(pp->old);
}

/*
 * The migrating window of a moved, device-mapped page: @t holds the
 * times of the mark and the release and, with @steps (the window
 * tracepoint is on), the end of each of steps 1-4.
 */
static void pme_account(struct imm_buf *b, struct pme_page *pp,
			const ktime_t *t, bool steps)
{
	u64 ns = ktime_to_ns(ktime_sub(t[5], t[0]));

	atomic64_inc(&imm_stats.blocked_hist[min_t(unsigned int,
		ns ? ilog2(ns) : 0, IOMMU_MIGRATE_STALL_BUCKETS - 1)]);
	trace_iommu_migrate_blocked(b->iova + pp->idx * PAGE_SIZE, ns);
	if (steps)
		trace_iommu_migrate_window(b->iova + pp->idx * PAGE_SIZE,
				   ktime_to_ns(ktime_sub(t[1], t[0])),
				   ktime_to_ns(ktime_sub(t[2], t[1])),
				   ktime_to_ns(ktime_sub(t[3], t[2])),
				   ktime_to_ns(ktime_sub(t[4], t[3])),
				   ktime_to_ns(ktime_sub(t[5], t[4])), ns);
}

/**
 * imm_page_pinned() - must a move give up a pinned buffer page?
 * @page: the page the move would leave
 *
 * A page pinned through the CPU mapping (FOLL_PIN: O_DIRECT, io_uring
 * fixed buffers, RDMA) may go on being read or written by its pinner
 * after a move, on the old frame: as Linux does not migrate such a
 * page, neither do the PME and the edu driver. Asked after the zap of
 * the CPU mapping, under the buffer's lock, before the copy and again
 * before the switch: no new pin can come through the mapping then (a
 * fault waits for the lock), so the second look is a safety net.
 *
 * Context: the caller holds the buffer's lock.
 * Return: true if @page may be pinned (counted in pinned_aborts).
 */
bool imm_page_pinned(struct page *page)
{
	if (!folio_maybe_dma_pinned(page_folio(page)))
		return false;
	atomic64_inc(&imm_stats.pinned_aborts);
	return true;
}

/*
 * Up to imm_pme_batch_pages pages of one buffer, under its lock: their
 * destinations and RMT entries are allocated first, so a page that
 * cannot get them is never marked and its devices never stall; then
 * steps 1-5 run page by page, so a device stalls for the move of its
 * own page only, not for the rest of the batch. The window of a page,
 * from its mark to its release, holds only what the protocol needs:
 * the copy is made just before it (pme_precopy()) and redone inside it
 * only if a device wrote the page meanwhile; the old page's RMT entry
 * and the page itself go after the release.
 */
static void pme_batch(struct imm_req *rq, struct imm_item *it, unsigned int n,
		      struct pme_page *pp)
{
	struct imm_buf *b = it[0].buf;
	unsigned int i;
	bool keep;

	mutex_lock(&b->lock);
	if (b->edu) {
		/* Queued before the edu device took the buffer: edu.c moves it. */
		rq->aborted += n;
		atomic64_add(n, &imm_stats.migrations_aborted);
		mutex_unlock(&b->lock);
		return;
	}
	keep = rq->keep && b->dom;
	if (keep && !b->copies) {
		b->copies = kvcalloc(b->nr_pages, sizeof(*b->copies),
				     GFP_KERNEL_ACCOUNT);
		/* No copies then: plain moves. */
		keep = b->copies;
	}
	for (i = 0; i < n; i++) {
		struct page *old = b->pages[it[i].idx];

		memset(&pp[i], 0, sizeof(pp[i]));
		pp[i].idx = it[i].idx;
		pp[i].old = old;
		if (!imm_dest_wanted(&rq->dest, old)) {
			rq->already++;
			continue;
		}
		pp[i].live = true;
		pp[i].new = pme_dest(rq, b, &pp[i]);
		if (!pp[i].new || pme_prepare(b, &pp[i])) {
			atomic64_inc(&imm_stats.alloc_failures);
			pme_abort(rq, b, &pp[i]);
		}
	}
	/*
	 * The CPU mapping goes first, outside the devices' window: the CPU
	 * faults again and waits on b->lock until the batch is done.
	 */
	for (i = 0; i < n; i++)
		if (pp[i].live)
			imm_buf_zap(b, pp[i].idx);
	for (i = 0; i < n; i++) {
		struct imm_rmt_ent *ent;
		bool mapped, steps;
		ktime_t t[6];

		if (!pp[i].live)
			continue;
		/* Timed: the windows of device-mapped pages only. */
		mapped = b->rmt[pp[i].idx];
		steps = mapped && trace_iommu_migrate_window_enabled();
		if (imm_page_pinned(pp[i].old))
			goto abort;
		pme_precopy(b, &pp[i], keep);
		if (pme_mark_prep(b, &pp[i]))
			goto abort;
		if (mapped)
			t[0] = ktime_get();
		if (pme_mark(b, &pp[i]))
			goto abort;
		/* Pairs with the device's barrier between in-flight and RMT check. */
		smp_mb();
		if (steps)
			t[1] = ktime_get();
		if (pme_drain(b, &pp[i]))
			goto abort;
		if (steps)
			t[2] = ktime_get();
		if (pme_copy(b, &pp[i]))
			goto abort;
		if (steps)
			t[3] = ktime_get();
		if (imm_page_pinned(pp[i].old) || pme_switch(b, &pp[i]))
			goto abort;
		if (steps)
			t[4] = ktime_get();
		pme_release(mapped ? &t[5] : NULL, mapped ? pp[i].nent : NULL);
		if (mapped)
			pme_account(b, &pp[i], t, steps);
		pme_retire_old(b, &pp[i], keep);
		rq->moved++;
		atomic64_inc(&imm_stats.pages_migrated);
		atomic64_add(PAGE_SIZE, &imm_stats.bytes_migrated);
		continue;
abort:
		ent = pp[i].ent;
		pme_abort(rq, b, &pp[i]);
		pme_release(NULL, ent);
	}
	mutex_unlock(&b->lock);
}

static void pme_run(struct imm_req *rq, struct pme_page *pp)
{
	unsigned long i = 0;

	while (i < rq->nr && !READ_ONCE(rq->cancel)) {
		unsigned int max = clamp(READ_ONCE(imm_pme_batch_pages), 1U,
					 (unsigned int)IMM_MAX_BATCH);
		unsigned int n = 1;

		while (i + n < rq->nr && n < max &&
		       rq->items[i + n].buf == rq->items[i].buf)
			n++;
		pme_reap(false);
		pme_batch(rq, &rq->items[i], n, pp);
		i += n;
		cond_resched();
	}
	/*
	 * An evacuation's caller (maint_cmd) offlines or repairs the
	 * vacated frames as soon as it returns: free them first.
	 */
	if (rq->dest.avoid_hi)
		pme_reap(true);
	imm_dest_release(&rq->dest);
}

/* The PME's per-page state of one batch: imm_pme_start() allocates it. */
static struct pme_page *pme_pages;

static int pme_fn(void *unused)
{
	while (!kthread_should_stop()) {
		struct imm_req *rq = NULL;

		/* Retired entries left: look again every 10 ms while idle. */
		pme_reap(false);
		if (list_empty(&pme_dead))
			wait_event_interruptible(pme_wq,
						 !list_empty_careful(&pme_queue) ||
						 kthread_should_stop());
		else
			wait_event_interruptible_timeout(pme_wq,
						 !list_empty_careful(&pme_queue) ||
						 kthread_should_stop(),
						 msecs_to_jiffies(10));
		spin_lock(&pme_lock);
		if (!list_empty(&pme_queue)) {
			rq = list_first_entry(&pme_queue, struct imm_req, node);
			list_del_init(&rq->node);
		}
		spin_unlock(&pme_lock);
		if (!rq)
			continue;
		pme_run(rq, pme_pages);
		complete(&rq->done);
	}
	pme_reap(true);
	return 0;
}

/*
 * Queue @rq and wait. A signal of @state (TASK_KILLABLE: a fatal one,
 * TASK_INTERRUPTIBLE: any) cancels the batches not started (the counts
 * say what was done); with @state 0, none does. With a @state the wait
 * is also freezable: the caller holds no lock across it and the PME
 * (not freezable) goes on, so a long request does not make suspend or
 * hibernation fail ("Freezing of tasks failed"); the freezer's fake
 * signal cancels only an interruptible wait it finds running.
 */
static int pme_submit(struct imm_req *rq, unsigned int state)
{
	int ret = 0;

	init_completion(&rq->done);
	spin_lock(&pme_lock);
	list_add_tail(&rq->node, &pme_queue);
	spin_unlock(&pme_lock);
	wake_up(&pme_wq);
	if (!state ||
	    wait_for_completion_state(&rq->done, state | TASK_FREEZABLE)) {
		if (state) {
			WRITE_ONCE(rq->cancel, true);
			ret = -EINTR;
		}
		wait_for_completion(&rq->done);
	}
	return ret;
}

static void req_put_items(struct imm_req *rq)
{
	unsigned long i;

	for (i = 0; i < rq->nr; i++)
		imm_buf_put(rq->items[i].buf);
	kvfree(rq->items);
}

/**
 * imm_migrate() - move a range of a buffer's pages to a node
 * @b: the buffer
 * @req: the range and node in; the counts out
 *
 * The request's progress is its counts: a fatal signal, or with
 * IOMMU_MIGRATE_MIGRATE_INTERRUPTIBLE any signal, cancels the batches
 * not started, and the counts then say what was done.
 *
 * Return: 0; -EINVAL for a bad request; -EINTR if a signal cancelled
 * part of it (@req's counts set all the same); -ENOMEM.
 */
int imm_migrate(struct imm_buf *b, struct iommu_migrate_migrate *req)
{
	struct imm_req rq = { };
	unsigned long i, first;
	int ret;

	if (req->flags & ~(IOMMU_MIGRATE_MIGRATE_KEEP_COPY |
			   IOMMU_MIGRATE_MIGRATE_INTERRUPTIBLE) || req->reserved ||
	    !req->size ||
	    (req->offset | req->size) % PAGE_SIZE ||
	    req->offset + req->size < req->offset ||
	    req->offset + req->size > (u64)b->nr_pages << PAGE_SHIFT ||
	    req->node < 0 || req->node >= MAX_NUMNODES ||
	    !node_state(req->node, N_MEMORY))
		return -EINVAL;
	/* The edu device's buffer moves under its driver (edu.c). */
	if (READ_ONCE(b->edu))
		return imm_edu_migrate(b, req);
	imm_dest_init(&rq.dest, req->node, 0, 0);
	rq.keep = req->flags & IOMMU_MIGRATE_MIGRATE_KEEP_COPY;
	first = req->offset >> PAGE_SHIFT;
	rq.nr = req->size >> PAGE_SHIFT;
	rq.items = kvmalloc_array(rq.nr, sizeof(*rq.items), GFP_KERNEL_ACCOUNT);
	if (!rq.items)
		return -ENOMEM;
	for (i = 0; i < rq.nr; i++) {
		kref_get(&b->ref);
		rq.items[i] = (struct imm_item){ b, first + i };
	}
	ret = pme_submit(&rq, req->flags & IOMMU_MIGRATE_MIGRATE_INTERRUPTIBLE ?
			 TASK_INTERRUPTIBLE : TASK_KILLABLE);
	req->moved = rq.moved;
	req->aborted = rq.aborted;
	req->already = rq.already;
	req_put_items(&rq);
	return ret;
}

static int item_cmp(const void *a, const void *b)
{
	const struct imm_item *x = a, *y = b;

	if (x->buf != y->buf)
		return x->buf < y->buf ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/**
 * iommu_migrate_pfn_mapped() - is a page frame mapped by an IOMMU domain?
 * @pfn: the frame
 *
 * The frames iommu_migrate_evacuate() moves: those of the model's
 * domains, and the buffer pages the edu device's domain maps.
 *
 * Context: any context.
 * Return: true if the RMT has an owned entry for @pfn, or @pfn is a
 * page of the edu device's buffer.
 */
bool iommu_migrate_pfn_mapped(unsigned long pfn)
{
	struct imm_rmt_ent *e;
	bool mapped;

	rcu_read_lock();
	e = xa_load(&imm_rmt_xa, pfn);
	mapped = e && READ_ONCE(e->r.domain);
	rcu_read_unlock();
	return mapped || imm_edu_pfn_mapped(pfn);
}
EXPORT_SYMBOL_GPL(iommu_migrate_pfn_mapped);

/**
 * iommu_migrate_evacuate() - move every domain-mapped page out of a range
 * @start_pfn: first page frame of the range
 * @nr_pages: frames in the range, non-zero
 * @nid: node to move the pages to, or NUMA_NO_NODE for any; never
 *	 into the range itself
 * @res: what was found and done
 *
 * For maint_cmd, before it repairs or offlines memory: each page in the
 * range that an IOMMU domain maps moves out with the PME's protocol,
 * under DMA; devices stall on it for the move only. The pages the edu
 * device writes to (behind the real IOMMU) move out too, with its
 * driver's hold and drain. Pages mapped into
 * the range while this runs are not seen. @res->moved counts the pages
 * this call moved; @res->failed the pages still in the range
 * (destination allocation failed, accesses did not drain in time); the
 * rest of @res->mapped had left the range by other means (another
 * request moved them) before the PME reached them.
 *
 * A destination page is never taken from the range: the pages the
 * allocator hands out from it are set aside until the call returns, at
 * most IMM_MAX_REJECTS (1024) of them per call and device, and a page
 * that cannot get one fails (@res->failed, counted in alloc_failures).
 * The frames the moved pages leave are back with the page allocator
 * when this returns: the call waits for the RCU grace period that their
 * retired RMT entries wait for.
 *
 * Context: process context, may sleep for as long as the moves take.
 * Return: 0 (see @res); -EINVAL for a bad range or node; -ENOSPC if
 * @nid (with NUMA_NO_NODE: every node with memory) lies wholly inside
 * the range, before anything is done; -ENOMEM.
 */
int iommu_migrate_evacuate(unsigned long start_pfn, unsigned long nr_pages,
			   int nid, struct iommu_migrate_evac_result *res)
{
	unsigned long end = start_pfn + nr_pages, pfn, n = 0, cap = 0;
	struct imm_req rq = { };
	struct imm_rmt_ent *e;
	struct imm_dest d;
	int ret = 0;

	if (!res || !nr_pages || end < start_pfn ||
	    (nid != NUMA_NO_NODE &&
	     (nid < 0 || nid >= MAX_NUMNODES || !node_state(nid, N_MEMORY))))
		return -EINVAL;
	memset(res, 0, sizeof(*res));
	imm_dest_init(&d, nid, start_pfn, end);
	if (!imm_dest_possible(&d))
		return -ENOSPC;
	/* Count, allocate, then collect: the RMT may change in between. */
	rcu_read_lock();
	xa_for_each_range(&imm_rmt_xa, pfn, e, start_pfn, end - 1)
		cap++;
	rcu_read_unlock();
	if (!cap)
		goto edu;
	rq.items = kvmalloc_array(cap, sizeof(*rq.items), GFP_KERNEL);
	if (!rq.items)
		return -ENOMEM;
	rcu_read_lock();
	xa_for_each_range(&imm_rmt_xa, pfn, e, start_pfn, end - 1) {
		struct imm_buf *b = READ_ONCE(e->buf);

		if (n == cap)
			break;
		if (!READ_ONCE(e->r.domain) || !kref_get_unless_zero(&b->ref))
			continue;
		rq.items[n++] = (struct imm_item){ b, e->idx };
	}
	rcu_read_unlock();
	rq.nr = n;
	imm_dest_init(&rq.dest, nid, start_pfn, end);
	sort(rq.items, n, sizeof(*rq.items), item_cmp, NULL);
	ret = pme_submit(&rq, 0);
	res->mapped = n;
	/* Pages another request moved out first are not this one's. */
	res->moved = rq.moved;
	res->failed = rq.aborted;
	req_put_items(&rq);
edu:
	/* Kept copies hold frames too; nothing maps them. */
	imm_copies_evacuate(start_pfn, end);
	/* The edu device's pages: no RMT entries, the real IOMMU's. */
	imm_dest_init(&d, nid, start_pfn, end);
	imm_edu_evacuate(&d, &res->mapped, &res->moved, &res->failed);
	imm_dest_release(&d);
	return ret;
}
EXPORT_SYMBOL_GPL(iommu_migrate_evacuate);

/**
 * imm_block_entry() - block one device-mapped page: PTE, then RMT entry
 * @b: the buffer, mapped in a domain
 * @e: the RMT entry of one of its pages
 *
 * The PTE goes first: if its exchange fails, nothing has changed, and
 * a device never meets a blocked RMT entry behind a PTE that is not.
 * A device that translated before the exchange finds the RMT entry
 * blocked, or holds its in-flight count: the caller drains it.
 *
 * Context: the caller holds @b->lock, so no move is half done.
 * Return: 0 if the page is blocked, now or already; -EBUSY if its RMT
 * entry or PTE is in a state that cannot become blocked (nothing
 * changed); -ENOMEM if the PTE's huge leaf could not be split, or
 * another ptsel_partition_leaf_cmpxchg() error (nothing changed).
 */
VISIBLE_IF_KUNIT int imm_block_entry(struct imm_buf *b, struct imm_rmt_ent *e)
{
	u64 pa = (u64)page_to_pfn(b->pages[e->idx]) << PAGE_SHIFT;
	struct imm_rmt r;
	int next, ret;

	lockdep_assert_held(&b->lock);
	imm_rmt_snapshot(e, &r);
	if (r.state == IMM_BLOCKED)
		return 0;
	next = imm_state_next(r.state, IMM_EV_BLOCK);
	if (next < 0)
		return -EBUSY;
	ret = ptsel_partition_leaf_cmpxchg(b->dom->part,
					   b->iova + e->idx * PAGE_SIZE, pa,
					   IMM_NORMAL, pa, IMM_BLOCKED, NULL);
	if (ret)
		return ret == -EAGAIN ? -EBUSY : ret;
	r.state = next;
	imm_rmt_publish(e, &r);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(imm_block_entry);

/**
 * iommu_migrate_block() - refuse device access to a page frame
 * @pfn: the frame, mapped by an IOMMU domain
 *
 * For maint_cmd, when the memory device reports that the data of @pfn
 * is lost (uncorrectable poison): the page's I/O PTE and RMT entry
 * become blocked, so every device access to it faults from now on, and
 * the call waits for the accesses already in flight. The PME does not
 * move a blocked page. It stays blocked until its buffer is unmapped.
 * A block that fails changes nothing: the page stays normal. A page of
 * the edu device's buffer (behind the real IOMMU, no RMT entry) is
 * blocked by its driver: its commands drain, its IOVA is unmapped and
 * the driver refuses every later command to it, until the session
 * ends (imm_edu_block()).
 *
 * Context: process context, may sleep; takes the buffer's lock.
 * Return: 0 if @pfn is blocked, now or already; -ENOENT if no domain
 * maps @pfn (neither a model domain nor the edu device's); -EBUSY if
 * its PTE or RMT entry cannot become blocked (they disagree), -ENOMEM
 * if its PTE could not be split (in both cases nothing changed);
 * -ETIMEDOUT if accesses in flight did not drain within
 * max_drain_wait_ms (the page is blocked all the same).
 */
int iommu_migrate_block(unsigned long pfn)
{
	unsigned long end;
	struct imm_buf *b = NULL;
	struct imm_rmt_ent *e;
	int ret;

	rcu_read_lock();
	e = xa_load(&imm_rmt_xa, pfn);
	if (e && READ_ONCE(e->r.domain) && kref_get_unless_zero(&e->buf->ref))
		b = e->buf;
	rcu_read_unlock();
	/* Not the model's: perhaps a page the edu device writes to. */
	if (!b)
		return imm_edu_block(pfn);
	mutex_lock(&b->lock);
	/*
	 * Under the lock no move is half done: normal or blocked, and @b's
	 * entries stay. An entry of another buffer may be freed (RCU) while
	 * it is looked at: only RCU keeps it until it is known to be @b's.
	 */
	rcu_read_lock();
	e = b->dom ? xa_load(&imm_rmt_xa, pfn) : NULL;
	if (e && (e->buf != b || b->rmt[e->idx] != e))
		e = NULL;
	rcu_read_unlock();
	if (!e) {
		ret = -ENOENT;
		goto out;
	}
	ret = imm_block_entry(b, e);
	if (ret)
		goto out;
	/* Pairs with the device's barrier between in-flight and RMT check. */
	smp_mb();
	/* Devices wake imm_drain_wq for moves only: poll, accesses are short. */
	end = jiffies + msecs_to_jiffies(READ_ONCE(imm_max_drain_wait_ms));
	while (atomic_read(&e->inflight)) {
		if (time_after(jiffies, end)) {
			atomic64_inc(&imm_stats.drain_timeouts);
			ret = -ETIMEDOUT;
			break;
		}
		usleep_range(50, 100);
	}
out:
	mutex_unlock(&b->lock);
	imm_buf_put(b);
	return ret;
}
EXPORT_SYMBOL_GPL(iommu_migrate_block);

/* Pairs per round of imm_copy_baseline_ns(), and rounds. */
#define COPY_PAIRS	256
#define COPY_ROUNDS	9

static int u64_cmp(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/* A page on @nid (any node if it has no memory), or NULL. */
static struct page *copy_page_on(int nid)
{
	gfp_t gfp = GFP_HIGHUSER | __GFP_NOWARN;

	if (nid != NUMA_NO_NODE && node_state(nid, N_MEMORY))
		return alloc_pages_node(nid, gfp | __GFP_THISNODE, 0);
	return alloc_page(gfp);
}

/**
 * imm_copy_baseline_ns() - the time of one 4 KiB copy as the PME makes it
 * @ns: set to the median over COPY_ROUNDS rounds of the mean ns per copy
 *
 * The bench's baseline for the DMA stall: copy_highpage(), the PME's
 * copy, of cold page pairs, as the PME meets them: every source written
 * first (a buffer's pages, last written a while ago), then the
 * destinations, fresh pages on the other node, taken and copied to
 * imm_pme_batch_pages at a time, as pme_batch() does. Only the copies
 * are timed, one clock pair per group. Rounds alternate between node 0
 * to node 1 and back, as the bench's hops do.
 *
 * Context: process context, may sleep.
 * Return: 0, or -ENOMEM.
 */
int imm_copy_baseline_ns(u64 *ns)
{
	unsigned int batch = clamp(READ_ONCE(imm_pme_batch_pages), 1U,
				   (unsigned int)COPY_PAIRS);
	struct page **src, **dst;
	u64 per[COPY_ROUNDS];
	int r, i, j, ret = 0;

	src = kvcalloc(2 * COPY_PAIRS, sizeof(*src), GFP_KERNEL);
	if (!src)
		return -ENOMEM;
	dst = src + COPY_PAIRS;
	for (r = 0; r < COPY_ROUNDS && !ret; r++) {
		u64 total = 0;

		for (i = 0; i < COPY_PAIRS; i++) {
			src[i] = copy_page_on(r & 1);
			if (!src[i]) {
				ret = -ENOMEM;
				break;
			}
			memset_page(src[i], 0, i + r + 1, PAGE_SIZE);
		}
		for (i = 0; i < COPY_PAIRS && !ret; i += batch) {
			unsigned int n = min_t(unsigned int, batch, COPY_PAIRS - i);
			ktime_t t0;

			for (j = 0; j < n && !ret; j++) {
				dst[i + j] = copy_page_on(!(r & 1));
				if (!dst[i + j])
					ret = -ENOMEM;
			}
			if (ret)
				break;
			t0 = ktime_get();
			for (j = 0; j < n; j++)
				copy_highpage(dst[i + j], src[i + j]);
			total += ktime_to_ns(ktime_sub(ktime_get(), t0));
			cond_resched();
		}
		per[r] = div_u64(total, COPY_PAIRS);
		for (i = 0; i < 2 * COPY_PAIRS; i++)
			if (src[i])
				__free_page(src[i]);
		memset(src, 0, 2 * COPY_PAIRS * sizeof(*src));
	}
	kvfree(src);
	if (ret)
		return ret;
	sort(per, COPY_ROUNDS, sizeof(per[0]), u64_cmp, NULL);
	*ns = per[COPY_ROUNDS / 2];
	return 0;
}

/**
 * imm_pme_start() - start the PME kthread
 *
 * Its batch state is allocated here, so that a module that cannot have
 * it fails to load rather than abort every request.
 *
 * Return: 0, -ENOMEM or the kthread_run() error.
 */
int imm_pme_start(void)
{
	pme_pages = kvcalloc(IMM_MAX_BATCH, sizeof(*pme_pages), GFP_KERNEL);
	if (!pme_pages)
		return -ENOMEM;
	pme_task = kthread_run(pme_fn, NULL, "imm_pme");
	if (IS_ERR(pme_task)) {
		kvfree(pme_pages);
		pme_pages = NULL;
		return PTR_ERR(pme_task);
	}
	return 0;
}

/**
 * imm_pme_stop() - stop the PME kthread
 *
 * Nothing is queued: requests wait for their completion, and their
 * callers hold the module.
 */
void imm_pme_stop(void)
{
	kthread_stop(pme_task);
	kvfree(pme_pages);
	pme_pages = NULL;
}
