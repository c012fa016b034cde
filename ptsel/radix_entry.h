/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ptsel radix format: the layout of an entry (see radix.c). Private to
 * radix.c and to the userspace checks of its tables.
 */
#ifndef _PTSEL_RADIX_ENTRY_H
#define _PTSEL_RADIX_ENTRY_H

#include <linux/bits.h>
#include <linux/types.h>

#include "ptsel_core.h"

#define E_PRESENT	BIT_ULL(0)
#define E_PROT_SHIFT	1
#define E_LEAF		BIT_ULL(7)
/* PTSEL_AD_MASK sits above E_LEAF: bits 8-9 of a leaf. */
#define E_AD_SHIFT	8
#define E_AD_MASK	(3ULL << E_AD_SHIFT)
#define PROT_AD_SHIFT	5
#define E_ADDR_MASK	(~(PTSEL_PAGE_SIZE - 1))

static inline unsigned int level_shift(unsigned int level)
{
	return PTSEL_SHIFT + PTSEL_LEVEL_BITS * level;
}

static inline unsigned int level_index(u64 addr, unsigned int level)
{
	return (addr >> level_shift(level)) & (PTSEL_ENTRIES - 1);
}

static inline u64 *entry_table(u64 e)
{
	return (u64 *)(uintptr_t)(e & E_ADDR_MASK);
}

/* @prot: PTSEL_PROT_*, software and A/D bits (PTSEL_LEAF_BITS). */
static inline u64 make_leaf(u64 target, u32 prot)
{
	u64 ad = (u64)((prot & PTSEL_AD_MASK) >> PROT_AD_SHIFT) << E_AD_SHIFT;

	return target | ((u64)(prot & ~PTSEL_AD_MASK) << E_PROT_SHIFT) | ad |
	       E_LEAF | E_PRESENT;
}

static inline u32 entry_prot(u64 e)
{
	u32 ad = ((e & E_AD_MASK) >> E_AD_SHIFT) << PROT_AD_SHIFT;

	return ((e >> E_PROT_SHIFT) & (PTSEL_PROT_MASK | PTSEL_SW_MASK)) | ad;
}

#endif /* _PTSEL_RADIX_ENTRY_H */
