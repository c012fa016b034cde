// SPDX-License-Identifier: GPL-2.0
/*
 * iommu_migrate core: state machine of I/O PTEs and RMT entries, the
 * RMT check of device accesses, the PME's per-page protocol and the DMA
 * records. See imm_core.h.
 *
 * Every function leaves its arguments unchanged when it refuses a
 * request, so a caller that gets -EINVAL has nothing to undo.
 */
#include <linux/compiler.h>
#include <linux/errno.h>
#include <linux/export.h>
#include <linux/kernel.h>
#include <linux/string.h>

#include "imm_core.h"

/*
 * The legal transitions: the state an event leads to from each state,
 * -1 where the event is illegal.
 */
static const int imm_next[IMM_NR_STATES][IMM_NR_EVENTS] = {
	[IMM_NORMAL] = {
		[IMM_EV_BEGIN] = IMM_MIGRATING, [IMM_EV_COMMIT] = -1,
		[IMM_EV_ABORT] = -1, [IMM_EV_BLOCK] = IMM_BLOCKED,
		[IMM_EV_UNBLOCK] = -1,
	},
	[IMM_MIGRATING] = {
		[IMM_EV_BEGIN] = -1, [IMM_EV_COMMIT] = IMM_NORMAL,
		[IMM_EV_ABORT] = IMM_NORMAL, [IMM_EV_BLOCK] = -1,
		[IMM_EV_UNBLOCK] = -1,
	},
	[IMM_BLOCKED] = {
		[IMM_EV_BEGIN] = -1, [IMM_EV_COMMIT] = -1,
		[IMM_EV_ABORT] = -1, [IMM_EV_BLOCK] = -1,
		[IMM_EV_UNBLOCK] = IMM_NORMAL,
	},
};

/**
 * imm_state_next() - the state an event leads to
 * @state: current enum imm_state
 * @event: enum imm_event
 *
 * Return: the new state, or -EINVAL if @event is illegal in @state (or
 * either is out of range).
 */
int imm_state_next(u32 state, u32 event)
{
	if (state >= IMM_NR_STATES || event >= IMM_NR_EVENTS ||
	    imm_next[state][event] < 0)
		return -EINVAL;
	return imm_next[state][event];
}
EXPORT_SYMBOL_IF_KUNIT(imm_state_next);

/**
 * imm_rmt_check() - the RMT check of one device access
 * @e: the RMT entry of the page the access translated to
 * @domain: domain the access comes from
 * @iova: its IOVA, 4 KiB aligned
 * @dev_gen: generation of the device's translation (the partition's
 *	     move generation when it last refreshed)
 *
 * Ownership first: an access whose domain or IOVA disagrees with the
 * entry is a violation, whatever the state. Then the state: migrating
 * stalls, blocked refuses. Last the generation: a page switched in
 * after the device's translation was made means the translation
 * predates the move and must be refreshed before use.
 *
 * Return: enum imm_verdict.
 */
enum imm_verdict imm_rmt_check(const struct imm_rmt *e, u32 domain, u64 iova,
			       u64 dev_gen)
{
	if (!e->domain || e->domain != domain || e->iova != iova)
		return IMM_ACCESS_VIOLATION;
	if (e->state == IMM_MIGRATING)
		return IMM_ACCESS_STALL;
	if (e->state != IMM_NORMAL)
		return IMM_ACCESS_BLOCKED;
	if (e->gen > dev_gen)
		return IMM_ACCESS_STALE;
	return IMM_ACCESS_OK;
}
EXPORT_SYMBOL_IF_KUNIT(imm_rmt_check);

/**
 * imm_retired_set() - record what a retired RMT entry mapped
 * @ret: the entry's retire record
 * @e: the entry's fields before the retirement (owned)
 * @seq: the retirement's sequence number, taken after the PTE changed
 */
void imm_retired_set(struct imm_retired *ret, const struct imm_rmt *e,
		     u64 seq)
{
	ret->domain = e->domain;
	ret->iova = e->iova;
	ret->seq = seq;
}
EXPORT_SYMBOL_IF_KUNIT(imm_retired_set);

/**
 * imm_rmt_check_retired() - the RMT check, with stale translations told
 *			     apart from violations
 * @e: the RMT entry found at the frame the access translated to, or
 *     NULL if there is none
 * @ret: that entry's retire record (ignored with @e NULL or owned)
 * @domain: domain the access comes from
 * @iova: its IOVA, 4 KiB aligned
 * @dev_gen: generation of the device's translation
 * @since: the retire sequence number the device read before it
 *	   translated
 *
 * As imm_rmt_check(), except for an entry without owner: if a move (or
 * unmap) retired it from this very (@domain, @iova) after the device
 * read @since, the device translated before the PTE changed, and its
 * translation is merely stale (IMM_ACCESS_STALE: refresh). Anything
 * else is a violation: no entry at all (the caller keeps a retired
 * entry until no device can hold a translation from before its
 * retirement), another owner's entry, an entry retired from another
 * (domain, IOVA), or one retired before the device translated (its
 * IOTLB should have forgotten the frame by then).
 *
 * Return: enum imm_verdict.
 */
enum imm_verdict imm_rmt_check_retired(const struct imm_rmt *e,
				       const struct imm_retired *ret,
				       u32 domain, u64 iova, u64 dev_gen,
				       u64 since)
{
	if (!e)
		return IMM_ACCESS_VIOLATION;
	if (!e->domain && ret->domain && ret->domain == domain &&
	    ret->iova == iova && ret->seq > since)
		return IMM_ACCESS_STALE;
	return imm_rmt_check(e, domain, iova, dev_gen);
}
EXPORT_SYMBOL_IF_KUNIT(imm_rmt_check_retired);

/* Apply @event to @e's state; the caller checked it is legal. */
static int rmt_event(struct imm_rmt *e, u32 event)
{
	int next = imm_state_next(e->state, event);

	if (next < 0)
		return next;
	e->state = next;
	return 0;
}

/**
 * imm_mig_mark() - step 1: the page becomes migrating
 * @m: the migration, idle
 * @e: the page's RMT entry, normal and owned
 *
 * The caller then marks the PTE (ptsel_partition_leaf_try_cmpxchg(), which
 * invalidates the IOTLBs).
 *
 * Return: 0; -EINVAL if @m is not idle or @e not owned and normal.
 */
int imm_mig_mark(struct imm_mig *m, struct imm_rmt *e)
{
	if (m->phase != IMM_PH_IDLE || !e->domain)
		return -EINVAL;
	if (rmt_event(e, IMM_EV_BEGIN))
		return -EINVAL;
	m->phase = IMM_PH_MARKED;
	m->gen = e->gen;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(imm_mig_mark);

/* One step forward, from exactly @from. */
static int mig_step(struct imm_mig *m, u32 from)
{
	if (m->phase != from)
		return -EINVAL;
	m->phase = from + 1;
	return 0;
}

/**
 * imm_mig_drained() - step 2 done: no access to the page in flight
 * @m: the migration, marked
 *
 * Return: 0; -EINVAL out of order.
 */
int imm_mig_drained(struct imm_mig *m)
{
	return mig_step(m, IMM_PH_MARKED);
}
EXPORT_SYMBOL_IF_KUNIT(imm_mig_drained);

/**
 * imm_mig_copied() - step 3 done: the destination holds the contents
 * @m: the migration, drained
 *
 * Return: 0; -EINVAL out of order.
 */
int imm_mig_copied(struct imm_mig *m)
{
	return mig_step(m, IMM_PH_DRAINED);
}
EXPORT_SYMBOL_IF_KUNIT(imm_mig_copied);

/**
 * imm_mig_switch() - step 4: the RMT moves to the new page
 * @m: the migration, copied
 * @old: RMT entry of the old page, migrating
 * @new: RMT entry of the new page: free, or migrating with the same
 *	 owner and IOVA (the caller may publish it before the PTE moves,
 *	 so that an access through the new PTE stalls until this)
 * @gen: the move's generation (from the PTE's exchange), newer than the
 *	 page's
 *
 * @new becomes normal with @old's owner and IOVA and generation @gen;
 * @old loses its owner, so an access through a stale translation is a
 * violation.
 *
 * Return: 0; -EINVAL out of order, for a stale @gen or a @new owned by
 * something else.
 */
int imm_mig_switch(struct imm_mig *m, struct imm_rmt *old, struct imm_rmt *new,
		   u64 gen)
{
	if (m->phase != IMM_PH_COPIED || old->state != IMM_MIGRATING ||
	    gen <= m->gen || old->gen != m->gen)
		return -EINVAL;
	if (new->domain && (new->domain != old->domain ||
			    new->iova != old->iova ||
			    new->state != IMM_MIGRATING))
		return -EINVAL;
	*new = *old;
	if (rmt_event(new, IMM_EV_COMMIT))
		return -EINVAL;
	new->gen = gen;
	memset(old, 0, sizeof(*old));
	m->phase = IMM_PH_SWITCHED;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(imm_mig_switch);

/**
 * imm_mig_switch_check() - would step 4 pass, with a new generation?
 * @m: the migration
 * @old: RMT entry of the old page
 * @new: RMT entry of the new page
 *
 * imm_mig_switch() on copies, with the smallest generation newer than
 * the page's: what the caller checks before it changes the PTE, the
 * switch's point of no return. The PTE exchange then gives a newer
 * generation still (ptsel's move generations only grow).
 *
 * Return: 0 if the switch would pass; -EINVAL as imm_mig_switch()
 * says, nothing changed.
 */
int imm_mig_switch_check(const struct imm_mig *m, const struct imm_rmt *old,
			 const struct imm_rmt *new)
{
	struct imm_mig mc = *m;
	struct imm_rmt oc = *old, nc = *new;

	if (m->gen == ~0ULL)
		return -EINVAL;
	return imm_mig_switch(&mc, &oc, &nc, m->gen + 1);
}
EXPORT_SYMBOL_IF_KUNIT(imm_mig_switch_check);

/**
 * imm_mig_release() - step 5: stalled devices may go on
 * @m: the migration, switched
 *
 * Return: 0; -EINVAL out of order.
 */
int imm_mig_release(struct imm_mig *m)
{
	return mig_step(m, IMM_PH_SWITCHED);
}
EXPORT_SYMBOL_IF_KUNIT(imm_mig_release);

/**
 * imm_mig_abort() - give up before the switch
 * @m: the migration, marked, drained or copied
 * @e: the page's RMT entry, migrating
 *
 * The page stays where it was with its generation; the caller puts its
 * PTE back to normal and releases the devices, which go on using it.
 *
 * Return: 0; -EINVAL if @m is idle, switched or finished, or @e is not
 * migrating with the generation it was marked with.
 */
int imm_mig_abort(struct imm_mig *m, struct imm_rmt *e)
{
	if (m->phase < IMM_PH_MARKED || m->phase > IMM_PH_COPIED ||
	    e->gen != m->gen || e->state != IMM_MIGRATING)
		return -EINVAL;
	rmt_event(e, IMM_EV_ABORT);
	m->phase = IMM_PH_ABORTED;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(imm_mig_abort);

/**
 * imm_hold_init() - no page held, no command in flight
 * @h: the device's hold state
 */
void imm_hold_init(struct imm_hold *h)
{
	WRITE_ONCE(h->held, IMM_HOLD_NONE);
	h->inflight = IMM_HOLD_NONE;
}
EXPORT_SYMBOL_IF_KUNIT(imm_hold_init);

/**
 * imm_hold_issue() - may the device start a command to @page?
 * @h: the device's hold state
 * @page: the page the command targets
 *
 * Return: 0, and @page is in flight; -EAGAIN if @page is held (wait
 * for imm_hold_end() and ask again); -EBUSY if a command is in flight
 * already (one at a time); -EINVAL for IMM_HOLD_NONE.
 */
int imm_hold_issue(struct imm_hold *h, u64 page)
{
	if (page == IMM_HOLD_NONE)
		return -EINVAL;
	if (h->inflight != IMM_HOLD_NONE)
		return -EBUSY;
	if (h->held == page)
		return -EAGAIN;
	h->inflight = page;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(imm_hold_issue);

/**
 * imm_hold_complete() - the command in flight completed
 * @h: the device's hold state
 *
 * Return: 0; -EINVAL if none was in flight.
 */
int imm_hold_complete(struct imm_hold *h)
{
	if (h->inflight == IMM_HOLD_NONE)
		return -EINVAL;
	h->inflight = IMM_HOLD_NONE;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(imm_hold_complete);

/**
 * imm_hold_begin() - step 1: hold @page, no new command may target it
 * @h: the device's hold state
 * @page: the page to move
 *
 * Return: 0; -EBUSY if a page is held already (one move at a time);
 * -EINVAL for IMM_HOLD_NONE.
 */
int imm_hold_begin(struct imm_hold *h, u64 page)
{
	if (page == IMM_HOLD_NONE)
		return -EINVAL;
	if (h->held != IMM_HOLD_NONE)
		return -EBUSY;
	WRITE_ONCE(h->held, page);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(imm_hold_begin);

/**
 * imm_hold_drained() - step 2: may the held page be copied?
 * @h: the device's hold state
 *
 * Return: true if a page is held and no command in flight targets it.
 */
bool imm_hold_drained(const struct imm_hold *h)
{
	return h->held != IMM_HOLD_NONE && h->inflight != h->held;
}
EXPORT_SYMBOL_IF_KUNIT(imm_hold_drained);

/**
 * imm_hold_end() - step 5: release the held page (moved or not)
 * @h: the device's hold state
 *
 * Return: 0; -EINVAL if no page was held.
 */
int imm_hold_end(struct imm_hold *h)
{
	if (h->held == IMM_HOLD_NONE)
		return -EINVAL;
	WRITE_ONCE(h->held, IMM_HOLD_NONE);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(imm_hold_end);

/**
 * imm_rec_fill() - build a DMA record
 * @r: the record
 * @engine: the writer
 * @seq: its sequence number
 * @iova: where it is meant to land
 */
void imm_rec_fill(struct iommu_migrate_record *r, u32 engine, u64 seq,
		  u64 iova)
{
	unsigned int i;

	memset(r, 0, sizeof(*r));
	r->magic = IOMMU_MIGRATE_RECORD_MAGIC;
	r->engine = engine;
	r->seq = seq;
	r->iova = iova;
	for (i = 0; i < ARRAY_SIZE(r->data); i++)
		r->data[i] = iommu_migrate_record_data(seq, i);
	r->csum = iommu_migrate_record_csum(r);
}
EXPORT_SYMBOL_IF_KUNIT(imm_rec_fill);

/**
 * imm_rec_check() - check a DMA record read back
 * @r: what was read
 * @engine: the engine whose window it is in
 * @base: IOVA of the window's first slot
 * @slot: the slot it was read from
 * @slots: slots in the window; record n belongs in slot n % @slots
 *
 * Return: enum imm_rec_verdict. An all-zero record is empty.
 */
enum imm_rec_verdict imm_rec_check(const struct iommu_migrate_record *r,
				   u32 engine, u64 base, u64 slot, u64 slots)
{
	static const struct iommu_migrate_record zero;
	unsigned int i;

	if (!memcmp(r, &zero, sizeof(zero)))
		return IMM_REC_EMPTY;
	if (r->magic != IOMMU_MIGRATE_RECORD_MAGIC ||
	    r->csum != iommu_migrate_record_csum(r))
		return IMM_REC_TORN;
	for (i = 0; i < ARRAY_SIZE(r->data); i++)
		if (r->data[i] != iommu_migrate_record_data(r->seq, i))
			return IMM_REC_TORN;
	if (r->engine != engine || !slots || r->seq % slots != slot ||
	    r->iova != base + slot * IMM_REC_SIZE)
		return IMM_REC_MISPLACED;
	return IMM_REC_OK;
}
EXPORT_SYMBOL_IF_KUNIT(imm_rec_check);

/**
 * imm_precopy_current() - does the copy made before the window still
 *			   hold the page, so that the window need not copy?
 * @early: the destination was filled (copied, or a kept clean copy)
 *	   before the window, after @wseq was read
 * @mapped: the page is device-mapped (it has an RMT entry)
 * @wseq: the entry's write count read before that copy
 * @writes: the entry's write count read in the window, after the drain
 *
 * A device counts a write after its data, and the window's read comes
 * after every access drained: a count that did not move means no write
 * landed after the copy read the page.
 *
 * Return: true if the window can skip its copy.
 */
bool imm_precopy_current(bool early, bool mapped, u32 wseq, u32 writes)
{
	return early && (!mapped || writes == wseq);
}
EXPORT_SYMBOL_IF_KUNIT(imm_precopy_current);

/**
 * imm_rec_want() - the sequence number a single writer's slot must hold
 * @slot: the slot, below @writes and @slots
 * @slots: slots in the window
 * @writes: records the writer wrote, numbered from 0, n into n % @slots
 *
 * Return: the last n < @writes with n % @slots == @slot.
 */
u64 imm_rec_want(u64 slot, u64 slots, u64 writes)
{
	return slot + (writes - 1 - slot) / slots * slots;
}
EXPORT_SYMBOL_IF_KUNIT(imm_rec_want);

/**
 * imm_rec_check_own() - check a record its only writer reads back
 * @r: what was read
 * @engine: the writer, the engine whose window it is in
 * @base: IOVA of the window's first slot
 * @slot: the slot it was read from
 * @slots: slots in the window
 * @writes: records the writer has written (each complete), @slot among
 *	    them (@slot < @writes)
 *
 * As imm_rec_check(), and the writer knows which record is the last in
 * @slot: an older one means a write was lost.
 *
 * Return: enum imm_rec_verdict: EMPTY (nothing, though written), TORN,
 * MISPLACED (also a record newer than any written), STALE or OK.
 */
enum imm_rec_verdict imm_rec_check_own(const struct iommu_migrate_record *r,
				       u32 engine, u64 base, u64 slot,
				       u64 slots, u64 writes)
{
	enum imm_rec_verdict v = imm_rec_check(r, engine, base, slot, slots);
	u64 want;

	if (v != IMM_REC_OK)
		return v;
	if (slot >= writes)
		return IMM_REC_MISPLACED;
	want = imm_rec_want(slot, slots, writes);
	if (r->seq > want)
		return IMM_REC_MISPLACED;
	return r->seq < want ? IMM_REC_STALE : IMM_REC_OK;
}
EXPORT_SYMBOL_IF_KUNIT(imm_rec_check_own);
