/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ptsel hashed format: the layout of an entry and where a leaf may sit
 * (see hash.c). Private to hash.c and to the userspace checks of its
 * tables.
 */
#ifndef _PTSEL_HASH_LAYOUT_H
#define _PTSEL_HASH_LAYOUT_H

#include <linux/bits.h>
#include <linux/types.h>

#include "ptsel_core.h"

#define V_VALID		BIT_ULL(0)
#define V_SECONDARY	BIT_ULL(1)
#define V_LEVEL_SHIFT	2
#define V_LEVEL_MASK	(3ULL << V_LEVEL_SHIFT)
#define ADDR_MASK	(~(PTSEL_PAGE_SIZE - 1))
#define R_PROT_SHIFT	1

static inline u64 make_v(u64 addr, unsigned int level, bool secondary)
{
	return addr | ((u64)level << V_LEVEL_SHIFT) |
	       (secondary ? V_SECONDARY : 0) | V_VALID;
}

static inline u64 hash_key(u64 addr, unsigned int level)
{
	u64 key = (addr >> (PTSEL_SHIFT + PTSEL_LEVEL_BITS * level)) ^
		  ((u64)level << 60);

	return key * 0x9e3779b97f4a7c15ULL;
}

/* Primary group of a leaf; the secondary is primary ^ (groups - 1). */
static inline unsigned long hash_group(u64 addr, unsigned int level,
				       unsigned int order)
{
	return hash_key(addr, level) >> (64 - order);
}

#define NR_PROBE_LINES	4	/* two halves of two groups */

/*
 * Line @i (0 to NR_PROBE_LINES - 1) of the probe order of the leaf whose
 * hash_key() is @key: its home half, then the other half, of the
 * primary group, then the same of the secondary group. The home half
 * is picked by the bit just below the group index.
 */
static inline unsigned long probe_line(u64 key, unsigned int order,
				       unsigned int i)
{
	unsigned long g = key >> (64 - order);
	unsigned int half = (key >> (63 - order)) & 1;

	if (i >= 2)
		g ^= (1UL << order) - 1;
	return g * 2 + (half ^ (i & 1));
}

static inline struct ptsel_hpte *line_entries(const struct ptsel_htab *t,
					      unsigned long line)
{
	return (struct ptsel_hpte *)&t->e[line * PTSEL_HLINE_SLOTS];
}

static inline unsigned long capacity(unsigned int order)
{
	return (unsigned long)PTSEL_HPTEG_SLOTS << order;
}

#endif /* _PTSEL_HASH_LAYOUT_H */
