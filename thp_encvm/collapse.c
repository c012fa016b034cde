// SPDX-License-Identifier: GPL-2.0
/*
 * thp_encvm collapse daemon: a khugepaged-style kthread that scans the
 * attached objects for windows that are guest-contiguous but not one
 * host page, and re-forms them with the guest's help:
 *
 *  1. allocate a 2 MiB page on the object's node (split into 512
 *     order-0 pages, so KVM can take references on each);
 *  2. fill it with THP_ENCVM_POISON;
 *  3. map its subpages as the object's staging window (with a PMD, so
 *     the guest's stores into it take one KVM fault, not 512);
 *  4. write-protect the source pages (zap; they refault read-only, so
 *     KVM drops its writable entries and a guest write is tracked), or,
 *     for an object attached with THP_ENCVM_ATTACH_KVM_WRITE_TRACK,
 *     have KVM write-track them (track.c), which keeps them readable;
 *  5. post copy requests (source GPA -> staging GPA) on the ring in the
 *     shared range and signal the eventfd.
 *
 * Each completed page that was not written is switched to its new
 * subpage; a written one is copied again, up to max_copy_retries. When
 * all 512 are switched, the window is unmapped; once the VMM has
 * replaced its mapping (THP_ENCVM_IOC_REMAP, in its own context, which
 * frees the window's 4 KiB page table), the next fault maps it with a
 * PMD, so KVM installs a 2 MiB entry. The daemon never changes the
 * VMM's address space itself. Any failure rolls back: switched pages keep
 * their new subpage (they hold the guest's data), the others their old
 * page, so no guest data is lost and the host copies nothing. A
 * rollback cancels the requests the guest has not completed, and no
 * window is staged while the guest says, in the ring's busy field,
 * that it is still working on an earlier request: its late stores
 * would land in the new page (see guest_busy()).
 *
 * KVM reports a tracked write only after it is done, so with KVM
 * write tracking the pages of completed requests are fenced before
 * they may switch: zapped, which sends later writes through
 * ->pfn_mkwrite, and kvm->srcu synchronized, which waits for the
 * reports of the writes emulated before.
 *
 * Every zap makes KVM flush its TLBs and the host flush the VMM's, so
 * the daemon batches them: the pages one sweep of completions switches
 * and the pages it re-protects for another copy go in one zap, and the
 * last switch is left to the replacement of the window's mapping.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/eventfd.h>
#include <linux/freezer.h>
#include <linux/kthread.h>
#include <linux/kvm_host.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "thp_encvm_internal.h"
#include "trace.h"

LIST_HEAD(te_objs);
DEFINE_MUTEX(te_objs_lock);
struct te_stats te_stats;

static struct task_struct *te_thread;
static DECLARE_WAIT_QUEUE_HEAD(te_wait);
static bool te_kicked;		/* wake up now: knobs or objects changed */
static u32 te_pass = 1;	/* generation of the current full scan */
static u32 te_wakeup;		/* generation of the current wakeup */
/* The daemon works on a window (see te_daemon_quiesce()). */
static bool te_working;
static DECLARE_WAIT_QUEUE_HEAD(te_idle);
/* Where the daemon waits for the guest's doorbell. */
static DECLARE_WAIT_QUEUE_HEAD(te_bell_wait);
/* With a doorbell, the daemon still looks at the ring this often. */
#define TE_BELL_LOOK_MS	10

#ifdef CONFIG_FAULT_INJECTION_DEBUG_FS
DECLARE_FAULT_ATTR(te_fail_alloc);
#endif
u32 te_hold_ref;
bool te_host_copy;
bool te_hold_complete;
u32 te_complete_held;
u32 te_look_us = 200;

/* The phases of a collapse, timed for trace_thp_encvm_collapse_phases(). */
enum te_phase { TE_PH_STAGE, TE_PH_POST, TE_PH_GUEST, TE_PH_FENCE, TE_PH_SWITCH,
		TE_PH_FINISH, TE_PH_NR };

/**
 * struct te_run - one collapse in progress
 * @o: the object
 * @c: copy state
 * @first: first page of the window
 * @kvm_wt: guest writes are tracked by KVM, not through the host mapping
 * @bell: the guest rings a doorbell when it completes requests
 * @new_pfn: first pfn of the new 2 MiB page
 * @staged: the staging window maps the new page
 * @saved: the staging window's own pfns meanwhile
 * @old: old pfns of switched pages
 * @dirty: snapshot of the window's dirty bits at a completion
 * @to_switch: pages a completion lets switch
 * @armed: pending pages whose dirty bit was cleared while write-protected
 * @zap: pages whose mappings must go before the next request or sleep
 * @req: requests in flight: sequence, ring slot, run
 * @nr_req: entries of @req
 * @slots_gen: the VM's memslot generation when the window was staged
 * @pinned: a page of the last completion was referenced by someone else
 * @in_place: the window's 2 MiB block is its home: only the pages in
 *	      @copy, displaced from it, are copied back into their home
 *	      frames (@new_pfn is the block)
 * @copy: the pages the guest copies
 * @ns: time spent in each phase (enum te_phase)
 * @t: the end of the last phase timed
 */
struct te_run {
	struct te_obj *o;
	struct te_collapse c;
	u64 first;
	bool kvm_wt;
	bool bell;
	u64 new_pfn;
	bool staged;
	u64 saved[TE_WIN_PAGES];
	u64 old[TE_WIN_PAGES];
	DECLARE_BITMAP(dirty, TE_WIN_PAGES);
	DECLARE_BITMAP(to_switch, TE_WIN_PAGES);
	DECLARE_BITMAP(armed, TE_WIN_PAGES);
	DECLARE_BITMAP(zap, TE_WIN_PAGES);
	struct {
		u32 seq, slot;
		unsigned int first, n;
	} req[THP_ENCVM_RING_SLOTS];
	unsigned int nr_req;
	u64 slots_gen;
	bool pinned;
	bool in_place;
	DECLARE_BITMAP(copy, TE_WIN_PAGES);
	u64 ns[TE_PH_NR];
	u64 t;
};

/* The time since the last phase ended goes to phase @ph. */
static void phase(struct te_run *r, enum te_phase ph)
{
	u64 now = ktime_get_ns();

	r->ns[ph] += now - r->t;
	r->t = now;
}

/**
 * te_daemon_kick() - wake the daemon now
 *
 * For a knob written, an object attached or detached: the daemon cuts
 * its sleep short and scans again, and a collapse waiting for the
 * guest's doorbell sees whether it was aborted or "enabled" was
 * cleared. It only wakes, so it may be called from any context.
 */
void te_daemon_kick(void)
{
	/* What the caller changed before the flag; pairs with wait_kicked(). */
	smp_mb();
	WRITE_ONCE(te_kicked, true);
	wake_up_interruptible(&te_wait);
	/* A collapse waiting for the doorbell sees @abort or "enabled". */
	wake_up_interruptible(&te_bell_wait);
}

/**
 * te_daemon_ring() - the guest rang @o's doorbell
 * @o: the object
 *
 * Called from the eventfd's wakeup, in atomic context: a collapse of
 * @o waiting for its requests looks at the ring now.
 */
void te_daemon_ring(struct te_obj *o)
{
	WRITE_ONCE(o->rung, 1);
	wake_up_interruptible(&te_bell_wait);
}

/* The daemon is done with its window. */
static void work_end(void)
{
	WRITE_ONCE(te_working, false);
	wake_up_all(&te_idle);
}

/*
 * May the daemon take a window? It says it works first, then reads
 * "enabled": with te_daemon_quiesce(), which writes "enabled" and then
 * reads te_working, either it sees 0 or the writer sees it working.
 */
static bool work_begin(void)
{
	WRITE_ONCE(te_working, true);
	/* te_working before "enabled"; pairs with te_daemon_quiesce(). */
	smp_mb();
	if (READ_ONCE(te_enabled))
		return true;
	work_end();
	return false;
}

/**
 * te_daemon_quiesce() - "enabled" was written
 *
 * Wake the daemon; if it was turned off, wait until it is done with the
 * window it works on. A collapse in progress sees "enabled" 0 at its
 * next look at the ring and rolls back (collapse_failed/disabled), so
 * when the write returns, every collapse the daemon started has been
 * counted as collapsed or rolled back, and no new one starts.
 */
void te_daemon_quiesce(void)
{
	te_daemon_kick();
	/* Pairs with work_begin(): "enabled" before te_working. */
	smp_mb();
	if (!READ_ONCE(te_enabled))
		wait_event_killable(te_idle, !READ_ONCE(te_working));
}

/*
 * The daemon's clear of the kick flag, ordered before its next look at
 * "enabled" and te_objs; pairs with te_daemon_kick(), which orders its
 * caller's change before setting the flag. Either the look sees the
 * change or the next wait sees the flag: a kick is never lost.
 */
static void clear_kicked(void)
{
	/* The clear, then a full barrier; pairs with te_daemon_kick(). */
	smp_store_mb(te_kicked, false);
}

static void sleep_ms(unsigned int ms)
{
	wait_event_freezable_timeout(te_wait, kthread_should_stop() ||
				     READ_ONCE(te_kicked), msecs_to_jiffies(ms));
	clear_kicked();
}

/*
 * Nothing to scan ("enabled" is 0, or no object is attached): sleep until
 * a kick (a knob written, an attach) or the stop, whatever
 * scan_sleep_millisecs says, as khugepaged waits while no mm is
 * registered. Every clear of the flag is clear_kicked()'s, so a kick
 * that came after the daemon's last look is seen here.
 */
static void wait_kicked(void)
{
	wait_event_freezable(te_wait, kthread_should_stop() ||
			     READ_ONCE(te_kicked));
	clear_kicked();
}

/* Whether the daemon has anything to scan. */
static bool te_have_work(void)
{
	bool any;

	if (!READ_ONCE(te_enabled))
		return false;
	mutex_lock(&te_objs_lock);
	any = !list_empty(&te_objs);
	mutex_unlock(&te_objs_lock);
	return any;
}

static struct thp_encvm_ring *ring_of(struct te_obj *o)
{
	return te_host_page(o, o->l.ring_page);
}

/* Charged to the object's memory cgroup, as its 4 KiB pages are. */
static struct page *alloc_window_page(struct te_obj *o)
{
	struct mem_cgroup *old;
	struct page *page;

#ifdef CONFIG_FAULT_INJECTION_DEBUG_FS
	if (should_fail(&te_fail_alloc, PMD_SIZE))
		return NULL;
#endif
	old = set_active_memcg(o->memcg);
	page = alloc_pages_node(o->node, GFP_KERNEL_ACCOUNT | __GFP_THISNODE |
				__GFP_NOWARN | __GFP_NORETRY, PMD_ORDER);
	set_active_memcg(old);
	return page;
}

/*
 * Zap the pages gathered in @r->zap: one call from the first to the
 * last, since each call costs a TLB flush in KVM and in the host, and
 * the pages between refault at worst.
 */
static void flush_zap(struct te_run *r)
{
	unsigned int s = find_first_bit(r->zap, TE_WIN_PAGES);

	if (s < TE_WIN_PAGES)
		te_obj_zap(r->o, r->first + s,
			   find_last_bit(r->zap, TE_WIN_PAGES) + 1 - s);
	bitmap_zero(r->zap, TE_WIN_PAGES);
}

/* The frames changed are unmapped: the tweak table is stable again. */
static void tweaks_end(struct te_obj *o)
{
	mutex_lock(&o->lock);
	te_fw_tweaks_end(o);
	mutex_unlock(&o->lock);
}

/*
 * debugfs host_copy: copy the run [@first, @first + @n) of the window
 * from its frames to the new ones, as a host that ignores the guest
 * would, and complete request @q for the guest. This bypasses
 * te_host_page() on purpose: it is the injected fault.
 */
static void host_copy(struct te_run *r, unsigned int first, unsigned int n,
		      struct thp_encvm_copy_req *q, u32 seq)
{
	struct te_obj *o = r->o;
	unsigned int i;

	mutex_lock(&o->lock);
	for (i = first; i < first + n; i++)
		copy_page(page_address(pfn_to_page(r->new_pfn + i)),
			  page_address(pfn_to_page(o->pfn[r->first + i])));
	mutex_unlock(&o->lock);
	WRITE_ONCE(q->done, seq);
}

/* Steps 1 to 3. */
static enum te_fail stage(struct te_run *r)
{
	struct te_obj *o = r->o;
	u64 stg = o->l.staging_first;
	struct page *page;
	unsigned int i;
	bool mapped, ok;
	int idx;

	/*
	 * The memslots must map the whole object, staging window included,
	 * where the attach found it; their generation tells complete_req()
	 * whether they changed while the guest copied.
	 */
	idx = srcu_read_lock(&o->kvm->srcu);
	ok = te_obj_slots_ok(o, &r->slots_gen);
	srcu_read_unlock(&o->kvm->srcu, idx);
	if (!ok)
		return TE_FAIL_MEMSLOT;
	if (r->in_place) {
		/* The home frames: reserved, scrubbed, free. */
		page = pfn_to_page(r->new_pfn);
	} else {
		page = alloc_window_page(o);
		if (!page)
			return TE_FAIL_ALLOC;
		split_page(page, PMD_ORDER);
		atomic64_add(TE_WIN_PAGES, &te_stats.frames);
		r->new_pfn = page_to_pfn(page);
	}
	/* The only write to private memory: a copy destination's poison. */
	for_each_set_bit(i, r->copy, TE_WIN_PAGES)
		memset64(te_host_fresh(page + i),
			 (u64)THP_ENCVM_POISON << 32 | THP_ENCVM_POISON,
			 PAGE_SIZE / sizeof(u64));
	mutex_lock(&o->lock);
	te_fw_tweaks_begin(o);
	for (i = 0; i < TE_WIN_PAGES; i++) {
		r->saved[i] = o->pfn[stg + i];
		if (test_bit(i, r->copy))
			o->pfn[stg + i] = r->new_pfn + i;
	}
	te_fw_tweaks_update(o, stg, TE_WIN_PAGES);
	r->staged = true;
	mapped = o->staging_mapped;
	o->staging_mapped = false;
	mutex_unlock(&o->lock);
	/*
	 * The zap drops the old pages from every mapping; it is skipped
	 * when no fault mapped them since the last zap, which is the usual
	 * case: nothing touches the staging window between collapses. (A
	 * page table a 4K fault left there stays until the VMM's next
	 * THP_ENCVM_IOC_REMAP: until then the guest's stores take 4K
	 * faults.)
	 */
	if (mapped)
		te_obj_zap(o, stg, TE_WIN_PAGES);
	tweaks_end(o);
	return TE_FAIL_NONE;
}

/* Step 4 for the pending pages, then step 5. */
static enum te_fail post(struct te_run *r)
{
	struct te_obj *o = r->o;
	struct thp_encvm_ring *ring = ring_of(o);
	unsigned int i, first, n;
	int ret = 0;
	u32 prod;

	mutex_lock(&o->lock);
	for_each_set_bit(i, r->c.pending, TE_WIN_PAGES) {
		/*
		 * Clear first, then zap or track: a write after that is
		 * tracked, one before it is in the copy requested after it.
		 * A page to copy again was cleared when it completed, and
		 * it left KVM's tracking if the guest wrote it.
		 */
		if (!test_bit(i, r->armed)) {
			__clear_bit(r->first + i, o->dirty);
			__set_bit(r->first + i, o->wp);
			__set_bit(i, r->armed);
			if (!r->kvm_wt)
				__set_bit(i, r->zap);
		}
		if (r->kvm_wt) {
			ret = te_track_page(o, r->first + i);
			if (ret)
				break;
		}
	}
	mutex_unlock(&o->lock);
	if (ret)
		return TE_FAIL_DETACHED;
	flush_zap(r);

	/* The host's own producer index: the ring copy is guest-writable. */
	prod = o->prod;
	r->nr_req = 0;
	while (r->nr_req < THP_ENCVM_RING_SLOTS &&
	       (n = te_collapse_next_run(&r->c, &first))) {
		struct thp_encvm_copy_req *q = &ring->req[prod % THP_ENCVM_RING_SLOTS];
		u32 seq;

		/* 0 is the guest's "not busy" and "no request". */
		if (!++o->seq)
			++o->seq;
		seq = o->seq;
		WRITE_ONCE(q->seq, 0);
		/*
		 * Like a seqcount: a guest that reads the same sequence
		 * number before and after the other fields read this
		 * request's. One that read the old number and then finds
		 * @done or @flags reset reads @seq 0 or the new one.
		 */
		smp_wmb();
		/* Both windows are at consecutive gfns: scan, attach. */
		WRITE_ONCE(q->src_gpa, te_obj_gpa(o, r->first + first));
		WRITE_ONCE(q->dst_gpa, te_obj_gpa(o, o->l.staging_first + first));
		WRITE_ONCE(q->nr_pages, n);
		WRITE_ONCE(q->done, 0);
		WRITE_ONCE(q->flags, 0);
		/* The request before its sequence number. */
		smp_wmb();
		WRITE_ONCE(q->seq, seq);
		r->req[r->nr_req].seq = seq;
		r->req[r->nr_req].slot = prod % THP_ENCVM_RING_SLOTS;
		r->req[r->nr_req].first = first;
		r->req[r->nr_req].n = n;
		r->nr_req++;
		trace_thp_encvm_copy_request(o->id, r->c.win, first, n, seq);
		if (READ_ONCE(te_host_copy))
			host_copy(r, first, n, q, seq);
		prod++;
	}
	o->prod = prod;
	/* A ring before these requests is not theirs. */
	WRITE_ONCE(o->rung, 0);
	/* The slots, and @rung, before the producer index. */
	smp_store_release(&ring->prod, prod);
	if (o->notify)
		eventfd_signal(o->notify);
	return TE_FAIL_NONE;
}

/*
 * Completion of request @k: switch its clean pages, and re-protect its
 * written ones for another copy. Both are zapped by the caller, except
 * for the last switch, which the replacement of the mapping zaps.
 */
static enum te_fail complete_req(struct te_run *r, unsigned int k)
{
	unsigned int first = r->req[k].first, n = r->req[k].n, i;
	struct te_obj *o = r->o;
	struct te_homes h = te_obj_homes(o);
	enum te_fail f;
	int ret, idx;

	bitmap_zero(r->to_switch, TE_WIN_PAGES);
	mutex_lock(&o->lock);
	/*
	 * Under the lock that te_track_remove_region() takes: KVM dropped
	 * the tracking of some pages, so their writes may be unseen.
	 */
	if (o->track_lost) {
		mutex_unlock(&o->lock);
		return TE_FAIL_DETACHED;
	}
	/*
	 * The guest, or the VMM, registered a page of the window for
	 * KVM's own writes (steal time, kvmclock...) since the scan: they
	 * bypass the tracking, so no page may switch.
	 */
	if (r->kvm_wt && te_track_kvm_writes(o, r->first, TE_WIN_PAGES)) {
		mutex_unlock(&o->lock);
		return TE_FAIL_KVM_WRITES;
	}
	/*
	 * The guest copied through the memslots of the staging time, and
	 * the pages switch within the same srcu section as the check: a
	 * memslot update meanwhile waits for it.
	 */
	idx = srcu_read_lock(&o->kvm->srcu);
	if (kvm_memslots(o->kvm)->generation != r->slots_gen) {
		srcu_read_unlock(&o->kvm->srcu, idx);
		mutex_unlock(&o->lock);
		return TE_FAIL_MEMSLOT;
	}
	r->pinned = false;
	for (i = first; i < first + n; i++) {
		__assign_bit(i, r->dirty, test_bit(r->first + i, o->dirty));
		/* Held by another (te_frame_held()): copy it again. */
		if (te_frame_held(o->pfn[r->first + i])) {
			__set_bit(i, r->dirty);
			r->pinned = true;
		}
	}
	ret = te_collapse_complete(&r->c, first, n, r->dirty, r->to_switch);
	for_each_set_bit(i, r->to_switch, TE_WIN_PAGES) {
		/* Home again in place; a fresh block's te_home_finish() frees the home frame. */
		r->old[i] = te_home_switch(&h, r->first + i, r->new_pfn + i, r->in_place);
		te_fw_tweaks_update(o, r->first + i, 1);
		__clear_bit(r->first + i, o->wp);
		__clear_bit(i, r->armed);
	}
	for (i = first; !ret && i < first + n; i++) {
		if (!test_bit(i, r->dirty))
			continue;
		/* Armed again: clear it, zap, then request the copy. */
		__clear_bit(r->first + i, o->dirty);
		__set_bit(i, r->zap);
	}
	srcu_read_unlock(&o->kvm->srcu, idx);
	mutex_unlock(&o->lock);
	/* An encrypted object's tweaks must not wait for the remap. */
	if (!te_collapse_done(&r->c) || o->enc)
		bitmap_or(r->zap, r->zap, r->to_switch, TE_WIN_PAGES);
	trace_thp_encvm_copy_complete(o->id, r->c.win, first, n,
				      bitmap_weight(r->to_switch, TE_WIN_PAGES));
	for (i = first; i < first + n; i++)
		if (test_bit(i, r->dirty))
			trace_thp_encvm_dirty_retry(o->id, r->c.win, i, r->c.retries[i]);
	f = r->pinned ? TE_FAIL_PINNED : TE_FAIL_RETRIES;
	return ret ? f : TE_FAIL_NONE;
}

/*
 * With KVM write tracking: make sure that every guest write to the
 * pages of the requests in @mask is marked dirty before they switch.
 * After the zap a write faults into ->pfn_mkwrite, which marks the page
 * before the write lands; the writes KVM emulated before the zap are
 * reported within kvm->srcu, so after its grace period they are marked.
 */
static void fence(struct te_run *r, u64 mask)
{
	unsigned int k;

	for (k = 0; k < r->nr_req; k++)
		if (mask & BIT_ULL(k))
			bitmap_set(r->zap, r->req[k].first, r->req[k].n);
	flush_zap(r);
	te_track_sync(r->o);
}

/*
 * debugfs hold_complete: stop between the look at the ring, which saw
 * track_lost clear, and complete_req(), holding no lock, until it is
 * cleared (or the collapse must end), so that a test can make KVM drop
 * the tracking right there. complete_held says the daemon waits here.
 */
static void hold_complete(struct te_run *r)
{
	if (!READ_ONCE(te_hold_complete))
		return;
	WRITE_ONCE(te_complete_held, 1);
	while (READ_ONCE(te_hold_complete) && !READ_ONCE(r->o->abort) &&
	       !kthread_should_stop())
		msleep(20);
	WRITE_ONCE(te_complete_held, 0);
}

/* Wait for every request in flight; nothing the guest wrote is trusted. */
static enum te_fail wait_copies(struct te_run *r)
{
	unsigned long deadline = jiffies +
		msecs_to_jiffies(READ_ONCE(te_copy_timeout_ms));
	struct thp_encvm_ring *ring = ring_of(r->o);
	unsigned int k, left = r->nr_req;
	u64 done_mask = 0, newly;
	unsigned int rung;
	enum te_fail f;

	BUILD_BUG_ON(THP_ENCVM_RING_SLOTS > 64);
	while (left) {
		if (READ_ONCE(r->o->abort) || kthread_should_stop())
			return TE_FAIL_DETACHED;
		if (READ_ONCE(r->o->track_lost))
			return TE_FAIL_DETACHED;
		/* Turned off: te_daemon_quiesce() waits for the rollback. */
		if (!READ_ONCE(te_enabled))
			return TE_FAIL_DISABLED;
		if (READ_ONCE(ring->magic) != THP_ENCVM_RING_MAGIC)
			return TE_FAIL_RING;
		/* Did the doorbell bring this look? Then clear it, then look. */
		rung = xchg(&r->o->rung, 0);
		newly = 0;
		for (k = 0; k < r->nr_req; k++)
			if (!(done_mask & BIT_ULL(k)) &&
			    te_ring_done(&ring->req[r->req[k].slot], r->req[k].seq))
				newly |= BIT_ULL(k);
		done_mask |= newly;
		left -= hweight64(newly);
		if (newly)
			atomic64_add(hweight64(newly), rung ?
				     &te_stats.completions_doorbell :
				     &te_stats.completions_looked);
		phase(r, TE_PH_GUEST);
		if (newly && r->kvm_wt) {
			fence(r, newly);
			phase(r, TE_PH_FENCE);
		}
		if (newly) {
			hold_complete(r);
			mutex_lock(&r->o->lock);
			te_fw_tweaks_begin(r->o);
			mutex_unlock(&r->o->lock);
		}
		f = TE_FAIL_NONE;
		for (k = 0; !f && k < r->nr_req; k++)
			if (newly & BIT_ULL(k))
				f = complete_req(r, k);
		/*
		 * Before sleeping: a guest store to a switched page waits
		 * for this zap, and a re-protected page must be zapped
		 * before its next request. Then the frames in the tweak
		 * table are the mapped ones again.
		 */
		flush_zap(r);
		if (newly)
			tweaks_end(r->o);
		phase(r, TE_PH_SWITCH);
		if (f)
			return f;
		if (!left)
			break;
		if (time_after(jiffies, deadline))
			return TE_FAIL_TIMEOUT;
		/*
		 * A guest that rings the doorbell wakes the daemon as soon
		 * as it completes a request: look at the ring on its own
		 * only now and then. Otherwise: a guest copies a window in
		 * a few ms, and a second copy of a written page in far
		 * less: look again soon.
		 */
		if (r->bell)
			wait_event_interruptible_hrtimeout(te_bell_wait,
				READ_ONCE(r->o->rung) || READ_ONCE(r->o->abort) ||
				!READ_ONCE(te_enabled) || kthread_should_stop(),
				ms_to_ktime(TE_BELL_LOOK_MS));
		else
			usleep_range(READ_ONCE(te_look_us), 2 * READ_ONCE(te_look_us));
	}
	return TE_FAIL_NONE;
}

/* Put the staging window back on its own pages. */
static void unstage(struct te_run *r)
{
	struct te_obj *o = r->o;
	u64 stg = o->l.staging_first;
	unsigned int i;
	bool mapped;

	if (!r->staged)
		return;
	mutex_lock(&o->lock);
	te_fw_tweaks_begin(o);
	for (i = 0; i < TE_WIN_PAGES; i++)
		o->pfn[stg + i] = r->saved[i];
	te_fw_tweaks_update(o, stg, TE_WIN_PAGES);
	mapped = o->staging_mapped;
	o->staging_mapped = false;
	mutex_unlock(&o->lock);
	if (mapped)
		te_obj_zap(o, stg, TE_WIN_PAGES);
	tweaks_end(o);
	r->staged = false;
}

/*
 * Cancel the unfinished requests of a collapse that rolls back: a guest
 * does not start them, and stops copying one at the next page. Earlier
 * batches of the collapse were all completed, and a guest does not copy
 * a completed request again.
 */
static void cancel(struct te_run *r)
{
	struct thp_encvm_ring *ring = ring_of(r->o);
	unsigned int k;

	for (k = 0; k < r->nr_req; k++) {
		struct thp_encvm_copy_req *q = &ring->req[r->req[k].slot];

		if (!te_ring_done(q, r->req[k].seq))
			WRITE_ONCE(q->flags, THP_ENCVM_REQ_CANCELLED);
	}
	/*
	 * The cancellations before any later read of the guest's @busy
	 * (guest_busy()); the guest stores @busy before it reads @flags.
	 */
	smp_mb();
}

/*
 * Is the guest busy with a request? No collapse is in progress, so the
 * request is an old one, which the guest will not copy (any further):
 * cancelled, which it notices at its next page, or completed, which it
 * skips. Until it notices, its stores may still land in the staging
 * window, which must not take a new page yet. Every old request was
 * cancelled or completed before this read, so a guest that publishes
 * @busy after it also sees that (or the slot being written again). The
 * guest clears @busy before it completes a request: a collapse that
 * just finished leaves it clear.
 */
static bool guest_busy(struct te_obj *o)
{
	return READ_ONCE(ring_of(o)->busy) != 0;
}

/* Roll back: every page keeps whichever copy holds the guest's data. */
static void rollback(struct te_run *r)
{
	struct te_obj *o = r->o;
	struct te_homes h = te_obj_homes(o);
	unsigned int i;

	cancel(r);
	unstage(r);
	mutex_lock(&o->lock);
	for (i = 0; i < TE_WIN_PAGES; i++)
		__clear_bit(r->first + i, o->wp);
	mutex_unlock(&o->lock);
	if (r->kvm_wt)
		te_track_release(o, r->first, TE_WIN_PAGES);
	/* Read-only entries go; the pages refault writable. */
	te_obj_zap(o, r->first, TE_WIN_PAGES);
	/*
	 * In place, an unswitched page's home frame stays reserved; into a
	 * fresh block, a switched page's too (it is still marked away).
	 */
	mutex_lock(&o->lock);
	te_home_rollback(&h, r->in_place, r->new_pfn, r->copy, r->c.switched, r->old,
			 te_frame_free, NULL);
	mutex_unlock(&o->lock);
}

static enum te_fail collapse(struct te_run *r)
{
	struct te_homes h = te_obj_homes(r->o);
	enum te_fail f;

	r->t = ktime_get_ns();
	f = stage(r);
	phase(r, TE_PH_STAGE);
	while (!f && !te_collapse_done(&r->c)) {
		f = post(r);
		phase(r, TE_PH_POST);
		if (!f)
			f = wait_copies(r);
	}
	if (f)
		return f;
	unstage(r);
	/* Before the remap: KVM maps no tracked gfn huge. */
	if (r->kvm_wt)
		te_track_release(r->o, r->first, TE_WIN_PAGES);
	/*
	 * The zap unmaps the old pages from every mapping of the object,
	 * KVM's entries with them. Then nothing refers to the old pages.
	 * The window's empty page table stays in the VMM's mapping, and
	 * keeps the next fault from mapping it with a PMD, until the VMM
	 * replaces its mapping (THP_ENCVM_IOC_REMAP, te_obj_remap()).
	 */
	te_obj_zap(r->o, r->first, TE_WIN_PAGES);
	/*
	 * The old frames go; a fresh block becomes the window's home, and
	 * the old block's frames still reserved for displaced pages go.
	 */
	mutex_lock(&r->o->lock);
	te_home_finish(&h, r->c.win, r->in_place, r->new_pfn, r->copy, r->old,
		       te_frame_free, NULL);
	mutex_unlock(&r->o->lock);
	phase(r, TE_PH_FINISH);
	trace_thp_encvm_collapse_phases(r->o->id, r->c.win, r->ns);
	return TE_FAIL_NONE;
}

/*
 * Can window @win of @o collapse in place: every page in its home frame
 * of the window's block but the displaced ones, set in @copy, whose home
 * frames are still there? The caller holds @o->lock.
 */
static bool in_place(struct te_obj *o, u64 win, unsigned long *copy)
{
	struct te_homes h = te_obj_homes(o);

	lockdep_assert_held(&o->lock);
	return te_home_in_place(&h, win, copy);
}

/*
 * Collapse window @win of @o; the caller holds a reference on @o and has
 * claimed it. Returns why it failed, or TE_FAIL_NONE; it does not sleep
 * after a failed allocation, the caller does, with @o released. Not
 * inlined: fail_page_alloc's stack filter (require-start/-end) finds its
 * allocations by its address; struct te_run is larger than any slab
 * cache's objects, so its kzalloc() goes to the page allocator
 * (kvm.injected_collapse_state_alloc_failure).
 */
static noinline enum te_fail collapse_window(struct te_obj *o, u64 win)
{
	u32 hold = READ_ONCE(te_hold_ref);
	struct page *held = NULL;
	struct te_run *r;
	enum te_fail f;
	u64 t0 = ktime_get_ns();

	lockdep_assert(READ_ONCE(o->collapsing));
	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r) {
		/* Counted as the 2 MiB allocation's failure is. */
		mutex_lock(&o->lock);
		o->aborts++;
		mutex_unlock(&o->lock);
		atomic64_inc(&te_stats.failed[TE_FAIL_ALLOC]);
		return TE_FAIL_ALLOC;
	}
	r->o = o;
	r->first = win * TE_WIN_PAGES;
	/* Stable while the object is claimed: detach waits for the daemon. */
	r->kvm_wt = !!o->track;
	r->bell = !!o->bell;
	if (r->kvm_wt) {
		mutex_lock(&o->lock);
		o->track_lost = false;
		mutex_unlock(&o->lock);
	}
	mutex_lock(&o->lock);
	r->in_place = in_place(o, win, r->copy);
	if (r->in_place)
		r->new_pfn = o->home[win];
	else
		bitmap_fill(r->copy, TE_WIN_PAGES);
	mutex_unlock(&o->lock);
	te_collapse_init_subset(&r->c, win, READ_ONCE(te_max_copy_retries), r->copy);
	if (hold && hold <= TE_WIN_PAGES) {
		/* debugfs: hold a source page, as a kvm_vcpu_map() user would. */
		mutex_lock(&o->lock);
		held = pfn_to_page(o->pfn[r->first + hold - 1]);
		get_page(held);
		mutex_unlock(&o->lock);
	}
	trace_thp_encvm_collapse_begin(o->id, win);
	f = collapse(r);
	if (f)
		rollback(r);
	if (held)
		put_page(held);
	atomic64_add(r->c.pages_copied, &te_stats.pages_copied);
	atomic64_add(r->c.dirty_retries, &te_stats.dirty_retries);
	mutex_lock(&o->lock);
	if (f) {
		o->aborts++;
		atomic64_inc(&te_stats.failed[f]);
	} else {
		o->collapses++;
		o->remap_pending++;
		atomic64_inc(&te_stats.windows_collapsed);
		atomic64_inc(r->in_place ? &te_stats.windows_in_place :
			     &te_stats.windows_fresh);
		/* Each page once: its re-copies are in dirty_retries. */
		atomic64_add(bitmap_weight(r->copy, TE_WIN_PAGES),
			     &te_stats.collapsed_pages_copied);
	}
	mutex_unlock(&o->lock);
	trace_thp_encvm_collapse_end(o->id, win, te_fail_names[f],
				     r->c.pages_copied, r->c.dirty_retries,
				     ktime_get_ns() - t0);
	kfree(r);
	return f;
}

/*
 * Take @o for a collapse: it must still be attached and not being
 * detached. The flag is what te_obj_detach() waits on.
 */
static bool claim(struct te_obj *o)
{
	bool ok;

	mutex_lock(&o->lock);
	ok = o->kvm && !o->abort;
	if (ok)
		WRITE_ONCE(o->collapsing, true);
	mutex_unlock(&o->lock);
	return ok;
}

static void unclaim(struct te_obj *o)
{
	WRITE_ONCE(o->collapsing, false);
	wake_up_all(&o->idle);
}

/*
 * Scan up to @budget pages of @o from its cursor. Returns the pages
 * scanned (a window's worth for a window skipped because the guest is
 * busy); an object whose cursor goes round, or whose guest is busy, is
 * marked as scanned in this pass.
 */
static unsigned int scan_obj(struct te_obj *o, unsigned int budget,
			     bool *alloc_failed)
{
	u64 nr = o->l.nr_pages / TE_WIN_PAGES;
	unsigned int scanned = 0, eligible = 0;
	enum te_window_kind kind;
	enum te_span span;

	while (scanned < budget && !kthread_should_stop()) {
		u64 win = o->scan_win;

		/* Turned off: stop (te_daemon_quiesce() waits for this). */
		if (!work_begin())
			break;
		if (!claim(o)) {
			work_end();
			break;
		}
		mutex_lock(&o->lock);
		kind = te_window_classify(&o->l, o->pfn, o->touched, win,
					  READ_ONCE(te_max_ptes_none));
		mutex_unlock(&o->lock);
		if (kind == TE_WIN_ELIGIBLE && guest_busy(o)) {
			/*
			 * Not a collapse: nothing was done. The scan goes on
			 * with the other objects, and comes back to this
			 * window when it comes back to this object; it
			 * counts once a wakeup, and the object as scanned in
			 * this pass.
			 */
			if (o->busy_wakeup != te_wakeup) {
				o->busy_wakeup = te_wakeup;
				atomic64_inc(&te_stats.failed[TE_FAIL_BUSY]);
			}
			WRITE_ONCE(o->pass, te_pass);
			unclaim(o);
			work_end();
			scanned += TE_WIN_PAGES;
			break;
		}
		span = te_gmap_span(&o->gmap, win * TE_WIN_PAGES, TE_WIN_PAGES);
		if (kind == TE_WIN_ELIGIBLE && span != TE_SPAN_ONE) {
			/*
			 * Two memslots map it at unrelated guest-physical
			 * addresses, or none maps some page of it: KVM
			 * could not map it huge, and the guest could not
			 * copy what it cannot reach. Counted each time the
			 * scan passes the window.
			 */
			atomic64_inc(&te_stats.failed[span == TE_SPAN_SPLIT ?
						      TE_FAIL_GPA_SPLIT :
						      span == TE_SPAN_SKEWED ?
						      TE_FAIL_MISALIGNED :
						      TE_FAIL_UNMAPPED]);
		} else if (kind == TE_WIN_ELIGIBLE && o->track &&
			   te_track_kvm_writes(o, win * TE_WIN_PAGES, TE_WIN_PAGES)) {
			/*
			 * KVM writes a page of it itself, unseen by its
			 * write tracking: not a collapse, counted each time
			 * the scan passes the window.
			 */
			atomic64_inc(&te_stats.failed[TE_FAIL_KVM_WRITES]);
		} else if (kind == TE_WIN_ELIGIBLE) {
			eligible++;
			*alloc_failed = collapse_window(o, win) == TE_FAIL_ALLOC;
		}
		unclaim(o);
		work_end();
		/* The daemon sleeps in scan()'s caller, @o released. */
		if (*alloc_failed)
			break;
		scanned += TE_WIN_PAGES;
		o->scan_win = (win + 1) % nr;
		if (!o->scan_win) {
			WRITE_ONCE(o->pass, te_pass);
			break;
		}
		cond_resched();
	}
	trace_thp_encvm_scan(o->id, scanned / TE_WIN_PAGES, eligible);
	return scanned;
}

/*
 * One wakeup: pages_to_scan pages, object by object, round robin. A
 * full scan is complete when every attached object went round once.
 * Returns true if it stopped on a failed 2 MiB allocation.
 */
static bool scan(void)
{
	unsigned int budget = READ_ONCE(te_pages_to_scan), done = 0, n;
	bool full, alloc_failed = false;
	struct te_obj *o;

	te_wakeup++;
	while (done < budget && !kthread_should_stop()) {
		mutex_lock(&te_objs_lock);
		o = list_first_entry_or_null(&te_objs, struct te_obj, list);
		if (o) {
			list_rotate_left(&te_objs);
			kref_get(&o->ref);
		}
		mutex_unlock(&te_objs_lock);
		if (!o)
			return false;
		n = scan_obj(o, budget - done, &alloc_failed);
		te_obj_put(o);
		if (alloc_failed)
			return true;
		if (!n)
			break;
		done += n;
	}
	mutex_lock(&te_objs_lock);
	full = !list_empty(&te_objs);
	list_for_each_entry(o, &te_objs, list)
		full &= READ_ONCE(o->pass) == te_pass;
	if (full) {
		te_pass++;
		atomic64_inc(&te_stats.full_scans);
	}
	mutex_unlock(&te_objs_lock);
	if (full)
		te_sysfs_full_scan();
	return false;
}

static int te_daemon(void *unused)
{
	set_freezable();
	while (!kthread_should_stop()) {
		if (!te_have_work()) {
			wait_kicked();
			continue;
		}
		/*
		 * After a failed allocation, as khugepaged: a longer sleep,
		 * holding no object (a detach or a knob write cuts it short).
		 */
		if (scan())
			sleep_ms(READ_ONCE(te_alloc_sleep_ms));
		else
			sleep_ms(READ_ONCE(te_scan_sleep_ms));
	}
	return 0;
}

/**
 * te_daemon_start() - start the daemon, thp_encvmd
 *
 * At module load. It scans only while "enabled" is set.
 *
 * Return: 0, or the error of kthread_run().
 */
int te_daemon_start(void)
{
	te_thread = kthread_run(te_daemon, NULL, "thp_encvmd");
	return PTR_ERR_OR_ZERO(te_thread);
}

/**
 * te_daemon_stop() - stop the daemon and wait for it
 *
 * At module unload, once no object is left, or when loading failed
 * after te_daemon_start().
 */
void te_daemon_stop(void)
{
	kthread_stop(te_thread);
}
