/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ptsel in-kernel API for the other memvirt modules.
 *
 * A partition is one input address space. It is split into regions
 * (power-of-two sized, naturally aligned ranges), each translated by
 * the radix or the hashed format; addresses outside every region use
 * the partition's default format. Updates of a partition are
 * serialized by the partition; lookups run under RCU only and may run
 * concurrently with any update, region conversions included.
 *
 * A walker is what a CPU's MMU (or an IOMMU's IOTLB) is to page tables:
 * a TLB tagged by address space plus a walk cache, used by one thread
 * at a time, switching between partitions. Partition updates
 * invalidate every walker's cached state for that partition.
 *
 * Import the namespace with MODULE_IMPORT_NS(PTSEL).
 */
#ifndef _MEMVIRT_PTSEL_H
#define _MEMVIRT_PTSEL_H

#include <linux/types.h>
#include <linux/ptsel.h>

struct ptsel_partition;
struct ptsel_walker;

/**
 * struct ptsel_xlate - result of a translation
 * @target: output address for the looked-up input address
 * @prot: PTSEL_PROT_* of the leaf
 * @level: level of the leaf (0 = 4K, 1 = 2M, 2 = 1G)
 * @mem_refs: distinct 64-byte lines of table memory the lookup read:
 *	      one per entry read for the radix format (each level's entry
 *	      is in another table), one per half group (four entries)
 *	      probed for the hashed format
 */
struct ptsel_xlate {
	u64 target;
	u32 prot;
	u32 level;
	u32 mem_refs;
};

/**
 * struct ptsel_gwalk_ops - how the guest page-table walker reads
 * @read: load the 8-byte entry at guest-physical @gpa into @val;
 *	  0 or a negative errno (a KVM user calls kvm_read_guest())
 */
struct ptsel_gwalk_ops {
	int (*read)(void *priv, u64 gpa, u64 *val);
};

/**
 * struct ptsel_gwalk - result of a guest page-table walk
 * @gpa: translated guest-physical address (valid when the walk returns 0)
 * @level: leaf level on success (0 = 4K, 1 = 2M, 2 = 1G); on failure,
 *	   the level of the entry that stopped the walk
 * @prot: PTSEL_PROT_* allowed by every level of the walk
 * @user: every level allows user-mode access
 * @nr_ptes: entries read, top level first, in @pte and @pte_gpa
 * @pte: the entries read
 * @pte_gpa: where each entry was read from
 */
struct ptsel_gwalk {
	u64 gpa;
	u32 level;
	u32 prot;
	bool user;
	u32 nr_ptes;
	u64 pte[5];
	u64 pte_gpa[5];
};

/**
 * struct ptsel_gwalk_key - what a cached guest walk was made for
 * @cr3: guest CR3 of the walk
 * @generation: the guest's generation of the mapping: the guest bumps
 *		it before it remaps the range, and a new value drops the
 *		cached walk. ptsel never reads page tables to notice a
 *		remap: a range remapped under the same generation keeps
 *		its old translation.
 * @gva: first byte of the guest-virtual range
 * @len: its length in bytes, at least 1
 * @levels: 4 or 5 (CR4.LA57)
 * @prot: PTSEL_PROT_* that every page of the range must allow
 */
struct ptsel_gwalk_key {
	u64 cr3;
	u64 generation;
	u64 gva;
	u64 len;
	u32 levels;
	u32 prot;
};

/**
 * struct ptsel_gwalk_cache - the guest walk of one range, per key
 * @key: the key of the walk held (meaningful only when @valid)
 * @valid: @page_gpa holds the walk of @key
 * @max_pages: capacity of @page_gpa
 * @page_gpa: guest-physical address of each 4 KiB page of the range,
 *	      in the caller's storage
 * @hits: lookups answered from the cache
 * @walks: lookups that walked the guest's tables
 *
 * One user at a time: the caller serializes the calls on one cache.
 */
struct ptsel_gwalk_cache {
	struct ptsel_gwalk_key key;
	bool valid;
	u32 max_pages;
	u64 *page_gpa;
	u64 hits;
	u64 walks;
};

void ptsel_gwalk_cache_init(struct ptsel_gwalk_cache *c, u64 *page_gpa,
			    u32 max_pages);
int ptsel_gwalk_cache_get(struct ptsel_gwalk_cache *c,
			  const struct ptsel_gwalk_ops *ops, void *priv,
			  const struct ptsel_gwalk_key *key);
int ptsel_gwalk_cache_gpa(const struct ptsel_gwalk_cache *c, u64 gva, u32 len,
			  u64 *gpa);
void ptsel_gwalk_cache_invalidate(struct ptsel_gwalk_cache *c);

/* ptsel_partition_set_limits(): follow the knob, as a new partition does. */
#define PTSEL_LIMIT_KNOB	(~0UL)

struct ptsel_partition *ptsel_partition_create(u32 format);
void ptsel_partition_put(struct ptsel_partition *p);
void ptsel_partition_set_limits(struct ptsel_partition *p,
				unsigned long table_pages,
				unsigned long mapped_pages);
int ptsel_partition_map(struct ptsel_partition *p, u64 addr, u64 target,
			u64 size, u32 prot);
int ptsel_partition_unmap(struct ptsel_partition *p, u64 addr, u64 size);
int ptsel_partition_translate(struct ptsel_partition *p, u64 addr,
			      struct ptsel_xlate *out);
int ptsel_partition_lookup_update(struct ptsel_partition *p, u64 addr,
				  u64 *gen, struct ptsel_xlate *out);

struct ptsel_walker *ptsel_walker_create(void);
void ptsel_walker_destroy(struct ptsel_walker *w);
bool ptsel_walker_switch(struct ptsel_walker *w, struct ptsel_partition *p);
int ptsel_walker_translate(struct ptsel_walker *w, u64 addr,
			   struct ptsel_xlate *out);

/*
 * Per-leaf software state: two bits a consumer keeps in each leaf next
 * to its protection (an IOMMU's migration state, say). They travel with
 * the leaf through splits, protection changes and region conversions,
 * and come back in struct ptsel_xlate.prot above the PTSEL_PROT_* bits.
 * Only ptsel_partition_leaf_cmpxchg() and _try_cmpxchg() change them; a
 * map starts with 0. A walker's TLB caches only leaves in state 0: one
 * in another state is walked on every translation, so an exchange from
 * it has no walker to invalidate, provided the exchange into it has
 * returned: callers serialize the exchanges of one leaf.
 */
#define PTSEL_SW_SHIFT		3
#define PTSEL_SW_MASK		(3U << PTSEL_SW_SHIFT)
#define PTSEL_SW_MAX		3U

/*
 * Accessed and dirty bits of a leaf, as an IOMMU with A/D support
 * keeps them: a device sets them (ptsel_partition_leaf_ad()) when the
 * translation it holds lacks them, and their owner tests and clears
 * them. They travel with the leaf like the software state (a split
 * gives them to every part) and come back in struct ptsel_xlate.prot.
 * A map starts with both clear.
 */
#define PTSEL_LEAF_ACCESSED	(1U << 5)
#define PTSEL_LEAF_DIRTY	(1U << 6)
#define PTSEL_AD_MASK		(PTSEL_LEAF_ACCESSED | PTSEL_LEAF_DIRTY)

/* What a leaf holds besides its PTSEL_PROT_* bits. */
#define PTSEL_STATE_MASK	(PTSEL_SW_MASK | PTSEL_AD_MASK)
#define PTSEL_LEAF_BITS		(PTSEL_PROT_MASK | PTSEL_STATE_MASK)

/* The software state of a translation's or a leaf's @prot. */
static inline u32 ptsel_sw(u32 prot)
{
	return (prot & PTSEL_SW_MASK) >> PTSEL_SW_SHIFT;
}

int ptsel_partition_leaf_cmpxchg(struct ptsel_partition *p, u64 addr,
				 u64 old_target, u32 old_sw, u64 new_target,
				 u32 new_sw, u64 *gen);
int ptsel_partition_leaf_try_cmpxchg(struct ptsel_partition *p, u64 addr,
				     u64 old_target, u32 old_sw,
				     u64 new_target, u32 new_sw, u64 *gen);
int ptsel_partition_leaf_ad(struct ptsel_partition *p, u64 addr, u64 target,
			    u32 set, u32 clear, u32 *prot);

#endif /* _MEMVIRT_PTSEL_H */
