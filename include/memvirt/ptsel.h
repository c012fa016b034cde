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
#include <memvirt/ptsel_core.h>

struct ptsel_partition;
struct ptsel_walker;

/**
 * struct ptsel_partition_stats - state of one partition
 * @mapped_pages: 4 KiB pages mapped
 * @table_bytes: table memory held (radix tables and hashed table)
 * @regions: regions declared
 * @conversions: completed region conversions
 * @hash_resizes: resizes of the hashed table
 * @generation: move generation (bumped by every ptsel_partition_remap())
 */
struct ptsel_partition_stats {
	u64 mapped_pages;
	u64 table_bytes;
	u64 regions;
	u64 conversions;
	u64 hash_resizes;
	u64 generation;
};

/**
 * struct ptsel_walker_stats - counters of one walker
 * @tlb: the TLB's counters
 * @wc_hits: walks that the walk cache let start below the root
 * @wc_misses: walks that started at the root
 * @wc_overrides: walk-cache fills that replaced the same walk's entry
 * @walks: translations that reached the tables
 * @walk_mem_refs: table cache lines those walks read
 */
struct ptsel_walker_stats {
	struct ptsel_tlb_stats tlb;
	u64 wc_hits, wc_misses, wc_overrides;
	u64 walks, walk_mem_refs;
};

struct ptsel_partition *ptsel_partition_create(u32 format);
void ptsel_partition_put(struct ptsel_partition *p);
void ptsel_partition_set_limits(struct ptsel_partition *p,
				unsigned long table_pages,
				unsigned long mapped_pages);
int ptsel_partition_set_region(struct ptsel_partition *p, u64 addr, u64 size,
			       u32 format, u32 *leaves);
int ptsel_partition_convert(struct ptsel_partition *p, u64 addr, u64 size,
			    u32 format, u32 *leaves);
int ptsel_partition_map(struct ptsel_partition *p, u64 addr, u64 target,
			u64 size, u32 prot);
int ptsel_partition_unmap(struct ptsel_partition *p, u64 addr, u64 size);
int ptsel_partition_protect(struct ptsel_partition *p, u64 addr, u64 size,
			    u32 prot);
int ptsel_partition_remap(struct ptsel_partition *p, u64 addr, u64 size,
			  u64 target);
int ptsel_partition_translate(struct ptsel_partition *p, u64 addr,
			      struct ptsel_xlate *out);
int ptsel_partition_lookup_update(struct ptsel_partition *p, u64 addr,
				  u64 *gen, struct ptsel_xlate *out);
void ptsel_partition_stats(struct ptsel_partition *p,
			   struct ptsel_partition_stats *st);

struct ptsel_walker *ptsel_walker_create(void);
void ptsel_walker_destroy(struct ptsel_walker *w);
bool ptsel_walker_switch(struct ptsel_walker *w, struct ptsel_partition *p);
int ptsel_walker_translate(struct ptsel_walker *w, u64 addr,
			   struct ptsel_xlate *out);
void ptsel_walker_stats(struct ptsel_walker *w, struct ptsel_walker_stats *st);

#endif /* _MEMVIRT_PTSEL_H */
