/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * ptsel: selectable address-translation engine, user ABI.
 *
 * Each open file description of /dev/ptsel holds up to
 * max_partitions_per_fd partitions (address spaces) and one walker,
 * the software equivalent of a CPU's MMU: a TLB tagged by address
 * space and a walk cache. PTSEL_IOC_SWITCH_AS picks the partition that
 * the other ioctls act on; the first one (ASID 0) exists from open.
 * Addresses, targets and sizes are byte quantities that must be
 * multiples of 4 KiB. Reserved fields must be zero.
 */
#ifndef _UAPI_LINUX_PTSEL_H
#define _UAPI_LINUX_PTSEL_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define PTSEL_PAGE_SHIFT	12

/* Permissions of a mapping (struct ptsel_map.prot, ptsel_translate.prot) */
#define PTSEL_PROT_READ		(1U << 0)
#define PTSEL_PROT_WRITE	(1U << 1)
#define PTSEL_PROT_EXEC		(1U << 2)
#define PTSEL_PROT_MASK		(PTSEL_PROT_READ | PTSEL_PROT_WRITE | PTSEL_PROT_EXEC)

/**
 * struct ptsel_map - map, unmap, protect or move a range
 * @addr: first input address of the range
 * @target: first output address (MAP, and REMAP: where the range moves
 *	    to); zero for UNMAP and PROTECT
 * @size: length of the range in bytes
 * @prot: PTSEL_PROT_* bits, READ included (MAP, PROTECT); zero for
 *	  UNMAP and REMAP
 * @reserved: must be zero
 *
 * A mapping uses the largest leaf size (4K, 2M, 1G) that the alignment
 * of @addr and @target and the remaining length allow. UNMAP and
 * PROTECT skip holes; REMAP needs every page of the range mapped and
 * bumps the partition's move generation (see struct ptsel_lookup).
 */
struct ptsel_map {
	__u64 addr;
	__u64 target;
	__u64 size;
	__u32 prot;
	__u32 reserved;
};

/**
 * struct ptsel_translate - translate one input address
 * @addr: input address (any byte offset)
 * @target: output: translated address
 * @prot: output: PTSEL_PROT_* of the mapping
 * @level: output: level of the leaf (0 = 4K, 1 = 2M, 2 = 1G)
 * @mem_refs: output: 64-byte lines of table memory read (0 on a TLB hit)
 * @reserved: must be zero
 */
struct ptsel_translate {
	__u64 addr;
	__u64 target;
	__u32 prot;
	__u32 level;
	__u32 mem_refs;
	__u32 reserved;
};

/* Translation formats (struct ptsel_region.format) */
#define PTSEL_FORMAT_DEFAULT	0	/* the partition's default */
#define PTSEL_FORMAT_RADIX	1	/* x86-64 style radix tables */
#define PTSEL_FORMAT_HASH	2	/* POWER style hashed table */

/**
 * struct ptsel_region - declare, convert or drop a region
 * @addr: first input address; a multiple of @size
 * @size: a power of two, at least 4 KiB; 0 with @addr 0 names the
 *	  partition's default format instead of a region
 * @format: PTSEL_FORMAT_*; DEFAULT drops the region's declaration
 * @leaves: output: leaves moved from one format to the other
 * @reserved: must be zero
 *
 * Mappings inside the range move to the new format while lookups go
 * on: a lookup sees the old or the new table, never a miss.
 */
struct ptsel_region {
	__u64 addr;
	__u64 size;
	__u32 format;
	__u32 leaves;
	__u64 reserved;
};

/**
 * struct ptsel_switch - make another partition the current one
 * @asid: address-space number chosen by the caller; a new number
 *	  creates a partition in the default format
 * @retained: output: 1 if the walker still held this address space in
 *	      its recently-active list, so its TLB entries were kept
 * @reserved: must be zero
 */
struct ptsel_switch {
	__u32 asid;
	__u32 retained;
	__u64 reserved;
};

/**
 * struct ptsel_lookup - translate and learn whether the mapping moved
 * @addr: input address (any byte offset)
 * @generation: in: the generation the caller's cached target is from;
 *		out: the partition's current move generation
 * @target: output: translated address
 * @prot: output: PTSEL_PROT_* of the mapping
 * @moved: output: 1 if a REMAP since @generation covered @addr, so a
 *	   cached target must be replaced by @target
 */
struct ptsel_lookup {
	__u64 addr;
	__u64 generation;
	__u64 target;
	__u32 prot;
	__u32 moved;
};

#define PTSEL_BATCH_MAX		4096

/**
 * struct ptsel_translate_batch - translate many addresses
 * @entries: user pointer to @count struct ptsel_translate
 * @count: 1 to PTSEL_BATCH_MAX
 * @done: output: entries translated; on error, the index of the entry
 *	  that failed, whose errno the ioctl returns
 */
struct ptsel_translate_batch {
	__u64 entries;
	__u32 count;
	__u32 done;
};

/**
 * struct ptsel_stats - counters of this file's walker and partition
 * @tlb_hits: translations answered by the TLB
 * @tlb_misses: translations that walked the tables
 * @tlb_flushes_avoided: switches back to a retained address space
 * @tlb_asid_evictions: switches that recycled an address-space slot
 * @tlb_invalidations: TLB invalidations of any kind
 * @wc_hits: walks that started below the root thanks to the walk cache
 * @wc_misses: walks that started at the root
 * @wc_overrides: walk-cache fills that replaced the same walk's
 *		  previous entry instead of evicting another
 * @walk_mem_refs: table cache lines read by all walks
 * @walks: walks (the TLB misses that reached the tables)
 * @mapped_pages: 4 KiB pages mapped in the current partition
 * @table_bytes: table memory of the current partition
 * @regions: regions declared in the current partition
 * @conversions: region conversions of the current partition
 * @hash_resizes: resizes of the current partition's hashed table
 * @generation: the current partition's move generation
 */
struct ptsel_stats {
	__u64 tlb_hits;
	__u64 tlb_misses;
	__u64 tlb_flushes_avoided;
	__u64 tlb_asid_evictions;
	__u64 tlb_invalidations;
	__u64 wc_hits;
	__u64 wc_misses;
	__u64 wc_overrides;
	__u64 walk_mem_refs;
	__u64 walks;
	__u64 mapped_pages;
	__u64 table_bytes;
	__u64 regions;
	__u64 conversions;
	__u64 hash_resizes;
	__u64 generation;
};

#define PTSEL_IOC_MAGIC		0xB7
#define PTSEL_IOC_MAP		_IOW(PTSEL_IOC_MAGIC, 0x01, struct ptsel_map)
#define PTSEL_IOC_UNMAP		_IOW(PTSEL_IOC_MAGIC, 0x02, struct ptsel_map)
#define PTSEL_IOC_TRANSLATE	_IOWR(PTSEL_IOC_MAGIC, 0x03, struct ptsel_translate)
#define PTSEL_IOC_PROTECT	_IOW(PTSEL_IOC_MAGIC, 0x04, struct ptsel_map)
#define PTSEL_IOC_SET_REGION	_IOWR(PTSEL_IOC_MAGIC, 0x05, struct ptsel_region)
#define PTSEL_IOC_CONVERT	_IOWR(PTSEL_IOC_MAGIC, 0x06, struct ptsel_region)
#define PTSEL_IOC_SWITCH_AS	_IOWR(PTSEL_IOC_MAGIC, 0x07, struct ptsel_switch)
#define PTSEL_IOC_TRANSLATE_BATCH _IOWR(PTSEL_IOC_MAGIC, 0x08, struct ptsel_translate_batch)
#define PTSEL_IOC_GET_STATS	_IOR(PTSEL_IOC_MAGIC, 0x09, struct ptsel_stats)
#define PTSEL_IOC_REMAP		_IOW(PTSEL_IOC_MAGIC, 0x0a, struct ptsel_map)
#define PTSEL_IOC_LOOKUP_UPDATE	_IOWR(PTSEL_IOC_MAGIC, 0x0b, struct ptsel_lookup)

#endif /* _UAPI_LINUX_PTSEL_H */
