// SPDX-License-Identifier: GPL-2.0
/*
 * ptsel TLB: a set-associative software TLB whose entries are tagged by
 * address-space slot, and a bounded list of recently active address
 * spaces (like the handful of dynamic ASIDs x86 keeps per CPU).
 *
 * Switching to an address space that is still in the list keeps its
 * entries. Switching to one that is not recycles the least recently
 * used slot: bumping the slot's generation invalidates all its entries
 * at once, and they are overwritten lazily as sets refill. Entries of
 * each leaf size live in the sets their own address bits pick, so a
 * lookup probes at most one set per leaf size.
 */
#include <linux/bits.h>
#include <linux/errno.h>
#include <linux/export.h>
#include <linux/kernel.h>

#include "ptsel_core.h"

static inline u64 leaf_base(u64 addr, unsigned int level)
{
	return ptsel_tlb_leaf_base(addr, level);
}

static inline u64 tlb_tag(u64 addr, unsigned int level)
{
	return ptsel_tlb_tag(addr, level);
}

static inline struct ptsel_tlb_entry *set_of(struct ptsel_tlb *tlb, u64 addr,
					     unsigned int level)
{
	return ptsel_tlb_set(tlb, addr, level);
}

/**
 * ptsel_tlb_init() - set up an empty TLB
 * @tlb: the TLB
 * @entries: storage for @nr_entries entries, owned by the caller
 * @nr_entries: a power of two, at least PTSEL_TLB_WAYS
 * @nr_asids: size of the recently-active list, 1 to PTSEL_TLB_MAX_ASIDS
 *
 * The TLB starts in address space 0.
 *
 * Return: 0 or -EINVAL.
 */
int ptsel_tlb_init(struct ptsel_tlb *tlb, struct ptsel_tlb_entry *entries,
		   unsigned int nr_entries, unsigned int nr_asids)
{
	unsigned int i;

	if (nr_entries < PTSEL_TLB_WAYS || (nr_entries & (nr_entries - 1)) ||
	    !nr_asids || nr_asids > PTSEL_TLB_MAX_ASIDS)
		return -EINVAL;
	tlb->entries = entries;
	tlb->nr_sets = nr_entries / PTSEL_TLB_WAYS;
	tlb->nr_asids = nr_asids;
	for (i = 0; i < nr_entries; i++)
		entries[i].tag = 0;
	for (i = 0; i < PTSEL_TLB_MAX_ASIDS; i++)
		tlb->asids[i] = (struct ptsel_tlb_asid){ 0 };
	tlb->asids[0].used = true;
	tlb->asids[0].last = 1;
	tlb->cur = 0;
	tlb->clock = 1;
	tlb->flush_ceiling = PTSEL_TLB_FLUSH_CEILING;
	tlb->levels = 0;
	ptsel_sampler_init(&tlb->sampler, PTSEL_TLB_MIN_HIT_RATE);
	tlb->stats = (struct ptsel_tlb_stats){ 0 };
	return 0;
}
PTSEL_EXPORT_FOR_TESTS(ptsel_tlb_init);

static int find_slot(const struct ptsel_tlb *tlb, u64 ctx)
{
	unsigned int i;

	for (i = 0; i < tlb->nr_asids; i++)
		if (tlb->asids[i].used && tlb->asids[i].ctx == ctx)
			return i;
	return -1;
}

/* Kill every entry of @slot; a wrapped generation clears them for real. */
static void bump_gen(struct ptsel_tlb *tlb, unsigned int slot)
{
	unsigned int i;

	if (++tlb->asids[slot].gen)
		return;
	for (i = 0; i < tlb->nr_sets * PTSEL_TLB_WAYS; i++)
		if (tlb->entries[i].asid == slot)
			tlb->entries[i].tag = 0;
}

/**
 * ptsel_tlb_switch() - make @ctx the current address space
 * @tlb: the TLB
 * @ctx: address-space identifier; 0 is the initial one
 *
 * Return: true if @ctx was still in the recently-active list and its
 * entries were kept, false if it had to take over a slot.
 */
bool ptsel_tlb_switch(struct ptsel_tlb *tlb, u64 ctx)
{
	int slot = find_slot(tlb, ctx);
	unsigned int i;

	if (slot >= 0) {
		tlb->cur = slot;
		tlb->asids[slot].last = ++tlb->clock;
		tlb->stats.flushes_avoided++;
		return true;
	}
	/* Unused slots have the oldest time of all. */
	slot = 0;
	for (i = 1; i < tlb->nr_asids; i++)
		if (tlb->asids[i].last < tlb->asids[slot].last)
			slot = i;
	/* Every entry of the slot's previous owner dies here. */
	bump_gen(tlb, slot);
	tlb->asids[slot].used = true;
	tlb->asids[slot].ctx = ctx;
	tlb->asids[slot].last = ++tlb->clock;
	tlb->cur = slot;
	tlb->stats.asid_evictions++;
	return false;
}
PTSEL_EXPORT_FOR_TESTS(ptsel_tlb_switch);

/* Set probes an entry-by-entry flush of [@addr, @addr + @size) takes. */
static u64 flush_probes(u64 addr, u64 size)
{
	u64 n = 0;
	int level;

	for (level = 0; level <= PTSEL_MAX_LEAF_LEVEL; level++)
		n += (leaf_base(addr + size - 1, level) - leaf_base(addr, level)) /
		     ptsel_level_size(level) + 1;
	return n;
}

/**
 * ptsel_tlb_flush_range() - drop the entries of @ctx that overlap a range
 * @tlb: the TLB
 * @ctx: address space; nothing happens if it is not in the list
 * @addr: start of the range
 * @size: length of the range (a single page: its size), not 0
 *
 * A range that takes at most @tlb->flush_ceiling set probes (one per
 * 4K page, 2M and 1G leaf the range touches), and no more than the TLB
 * has entries, is flushed entry by entry,
 * like INVLPG; a larger one drops every entry of @ctx at once, in O(1),
 * by bumping its slot's generation. Either way no entry of @ctx that
 * overlaps the range survives.
 */
void ptsel_tlb_flush_range(struct ptsel_tlb *tlb, u64 ctx, u64 addr, u64 size)
{
	int slot = find_slot(tlb, ctx);
	int level;

	tlb->stats.invalidations++;
	if (slot < 0 || !size)
		return;
	/* More probes than entries: the whole drop is cheaper in any TLB. */
	if (flush_probes(addr, size) >
	    min_t(u64, tlb->flush_ceiling, (u64)tlb->nr_sets * PTSEL_TLB_WAYS)) {
		bump_gen(tlb, slot);
		return;
	}
	for (level = 0; level <= PTSEL_MAX_LEAF_LEVEL; level++) {
		u64 sz = ptsel_level_size(level);
		u64 b = leaf_base(addr, level), last = leaf_base(addr + size - 1, level);

		for (;; b += sz) {
			struct ptsel_tlb_entry *e = set_of(tlb, b, level);
			u64 tag = tlb_tag(b, level);
			unsigned int w;

			for (w = 0; w < PTSEL_TLB_WAYS; w++, e++)
				if (e->tag == tag && e->asid == slot)
					e->tag = 0;
			if (b == last)
				break;
		}
	}
}
PTSEL_EXPORT_FOR_TESTS(ptsel_tlb_flush_range);

/**
 * ptsel_tlb_flush_ctx() - drop every entry of one address space
 * @tlb: the TLB
 * @ctx: address space; nothing happens if it is not in the list
 */
void ptsel_tlb_flush_ctx(struct ptsel_tlb *tlb, u64 ctx)
{
	int slot = find_slot(tlb, ctx);

	tlb->stats.invalidations++;
	if (slot >= 0)
		bump_gen(tlb, slot);
}
PTSEL_EXPORT_FOR_TESTS(ptsel_tlb_flush_ctx);

/**
 * ptsel_tlb_forget_ctx() - an address space is gone for good
 * @tlb: the TLB
 * @ctx: address space, not the current one; nothing happens if it is
 *	 not in the list
 *
 * Drops its entries and frees its slot in the list of recently active
 * address spaces, so that the next new one takes this slot rather than
 * a live one's.
 *
 * Return: true if @ctx had a slot.
 */
bool ptsel_tlb_forget_ctx(struct ptsel_tlb *tlb, u64 ctx)
{
	int slot = find_slot(tlb, ctx);

	if (slot < 0 || slot == tlb->cur)
		return false;
	tlb->stats.invalidations++;
	bump_gen(tlb, slot);
	tlb->asids[slot].used = false;
	/* Unused slots have the oldest time of all (ptsel_tlb_switch()). */
	tlb->asids[slot].last = 0;
	return true;
}
PTSEL_EXPORT_FOR_TESTS(ptsel_tlb_forget_ctx);

/**
 * ptsel_tlb_flush_all() - drop every entry of every address space
 * @tlb: the TLB
 */
void ptsel_tlb_flush_all(struct ptsel_tlb *tlb)
{
	unsigned int i;

	tlb->stats.invalidations++;
	for (i = 0; i < tlb->nr_asids; i++)
		bump_gen(tlb, i);
}
PTSEL_EXPORT_FOR_TESTS(ptsel_tlb_flush_all);
