/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ptsel: state shared by the kernel glue (part.c, walker.c, main.c)
 * and the ABI files (dev.c, sysfs.c). Not for other modules; they use
 * <memvirt/ptsel.h>.
 */
#ifndef _PTSEL_INTERNAL_H
#define _PTSEL_INTERNAL_H

#include <linux/atomic.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/spinlock.h>

#include <memvirt/ptsel.h>

#include "ptsel_core.h"

#define PTSEL_LIMIT	(1ULL << 48)	/* input space: 4-level radix */

/**
 * struct ptsel_partition - one input address space
 * @ref: references: the owner, and each walker currently switched to it
 * @lock: serializes updates; lookups run under RCU only
 * @asid: never-reused tag of this address space in walkers
 * @regions: the published region set (RCU)
 * @radix: table of the radix-format addresses
 * @hash: table of the hashed-format addresses
 * @pending: radix table pages freed by the current update; they go to
 *	     RCU only after every walk cache has forgotten them
 * @mapped_pages: 4 KiB pages mapped
 * @max_table_pages: own limit on table memory, in pages, in place of the
 *		     max_table_pages knob (0: the knob; ULONG_MAX: none)
 * @max_mapped_pages: own limit on @mapped_pages, in place of the
 *		      max_mapped_pages knob (0: the knob; ULONG_MAX: none)
 * @radix_bytes: memory of @radix
 * @hash_bytes: memory of @hash
 * @conversions: completed conversions
 * @hash_resizes: resizes of @hash
 * @xchg_lock: the leaf exchange gate: taken to set or clear @updating,
 *	       and by ptsel_partition_leaf_try_cmpxchg() for its whole
 *	       exchange (the rule is at part_lock() in part.c)
 * @updating: an update holds @lock and may change the tables: exchanges
 *	      without @lock wait for none and say -EBUSY
 * @move_lock: protects @moves
 * @moves: mappings moved by ptsel_partition_remap(), by generation
 * @users_lock: protects @users and @flush_gen; taken before a walker's lock
 * @users: walkers switched to this partition (like mm_cpumask): the
 *	   only ones an update invalidates synchronously
 * @flush_gen: bumped by every invalidation; a walker that switched away
 *	       and comes back with an older one drops what it kept
 */
struct ptsel_partition {
	struct kref ref;
	struct mutex lock;
	u64 asid;
	struct ptsel_region_set __rcu *regions;
	struct ptsel_radix radix;
	struct ptsel_hash hash;
	struct list_head pending;
	u64 mapped_pages;
	unsigned long max_table_pages;
	unsigned long max_mapped_pages;
	unsigned long radix_bytes;
	unsigned long hash_bytes;
	u64 conversions;
	u64 hash_resizes;
	spinlock_t xchg_lock;
	bool updating;
	spinlock_t move_lock;
	struct ptsel_move_log moves;
	spinlock_t users_lock;
	struct list_head users;
	u64 flush_gen;
};

/* Knobs (sysfs.c) */
extern unsigned long ptsel_max_table_pages;
extern unsigned long ptsel_max_mapped_pages;
extern unsigned int ptsel_max_partitions_per_fd;
extern unsigned int ptsel_default_format;
extern unsigned int ptsel_tlb_entries;
extern unsigned int ptsel_retained_asids;
extern unsigned int ptsel_walk_cache_size;
extern unsigned int ptsel_tlb_flush_ceiling;
extern unsigned int ptsel_targeted_invalidation;
#ifdef CONFIG_FAULT_INJECTION
/* debugfs skip_invalidations: the fault injection of part.c */
extern atomic_t ptsel_skip_invalidations;
extern u64 ptsel_skip_invalidation_addr;
extern unsigned int ptsel_skip_invalidation_delay_us;
#endif

/* Global counters (part.c, walker.c), shown in sysfs */
extern atomic_long_t ptsel_table_pages;
extern atomic_long_t ptsel_nr_partitions;
extern atomic64_t ptsel_nr_conversions;
extern atomic64_t ptsel_nr_hash_resizes;

void ptsel_walkers_invalidate(struct ptsel_partition *p, u64 addr, u64 size,
			      bool tables);
void ptsel_walkers_part_init(struct ptsel_partition *p);
void ptsel_walkers_forget(struct ptsel_partition *p);
void ptsel_walkers_stats(struct ptsel_walker_stats *st);
/*
 * Look @addr up in the table its region names; under rcu_read_lock().
 * With a walk cache, the radix walk starts as deep as the cache allows.
 * Inline: it is the walkers' miss path.
 */
static inline int ptsel_partition_walk(struct ptsel_partition *p,
				       struct ptsel_wcache *wc, u64 addr,
				       struct ptsel_xlate *out)
{
	const struct ptsel_region_set *rs = rcu_dereference(p->regions);

	/*
	 * The tables are reached through @p, not through @rs, so no
	 * address dependency orders their loads after the load of @rs: a
	 * weakly ordered CPU could pair a new region set with a table
	 * from before the copy it routes to, and miss. Pairs with the
	 * release of rcu_assign_pointer() in set_region(), which follows
	 * the copy; the loads below then see the copied leaves (and the
	 * hashed generation that holds them).
	 */
	smp_rmb();

	/* Most partitions declare no region: no search for the format. */
	if ((rs->nr ? ptsel_region_format(rs, addr) : rs->dflt) ==
	    PTSEL_FORMAT_HASH)
		return ptsel_hash_translate(&p->hash, addr, out);
	if (!wc)
		return ptsel_radix_translate(&p->radix, addr, out);
	ptsel_wc_walk_begin(wc, 0);
	return ptsel_radix_translate_wc(&p->radix, wc, p->asid, 0, addr, out);
}

struct ptsel_partition *ptsel_walker_partition(struct ptsel_walker *w);

int ptsel_dev_init(void);
void ptsel_dev_exit(void);
int ptsel_sysfs_init(void);
void ptsel_sysfs_exit(void);

#endif /* _PTSEL_INTERNAL_H */
