// SPDX-License-Identifier: GPL-2.0
/*
 * ptsel guest walker: translate a guest-virtual address through x86-64
 * format page tables (4 or 5 levels, 4K/2M/1G pages) that live in guest
 * memory, read through a caller-provided reader. pwsp and nested_notify
 * walk KVM guests' tables with it, so nothing here may trust what it
 * reads: every entry is checked for reserved bits before it is used.
 */
#include <linux/bits.h>
#include <linux/errno.h>
#include <linux/export.h>
#include <linux/ptsel.h>

#include "ptsel_core.h"

#define X86_P		BIT_ULL(0)
#define X86_RW		BIT_ULL(1)
#define X86_US		BIT_ULL(2)
#define X86_PS		BIT_ULL(7)
#define X86_PAT_LARGE	BIT_ULL(12)
#define X86_NX		BIT_ULL(63)
/* Physical address bits 12-51 (MAXPHYADDR 52). */
#define X86_ADDR_MASK	(((1ULL << 52) - 1) & ~((1ULL << PTSEL_SHIFT) - 1))

static bool canonical(u64 gva, unsigned int levels)
{
	unsigned int bits = PTSEL_SHIFT + PTSEL_LEVEL_BITS * levels;
	s64 top = (s64)gva >> (bits - 1);

	return top == 0 || top == -1;
}

/**
 * ptsel_guest_walk() - walk x86-64 guest page tables
 * @ops: reader for guest-physical memory
 * @priv: cookie for @ops
 * @cr3: guest CR3; bits 12-51 locate the top-level table
 * @levels: 4 or 5 (CR4.LA57)
 * @gva: guest-virtual address to translate
 * @out: walk record, filled as far as the walk got
 *
 * Permissions accumulate the way the MMU does it: writable and user
 * only if every level says so, executable unless some level sets NX.
 * Accessed and dirty bits are neither checked nor set.
 *
 * Return: 0; -EINVAL for bad @levels or a non-canonical @gva; -ENOENT
 * at a non-present entry; -EIO at an entry with reserved bits (PS at
 * the top levels, a huge page whose address is not aligned); or the
 * reader's error.
 */
int ptsel_guest_walk(const struct ptsel_gwalk_ops *ops, void *priv, u64 cr3,
		     unsigned int levels, u64 gva, struct ptsel_gwalk *out)
{
	u64 table = cr3 & X86_ADDR_MASK;
	int level, ret;

	out->nr_ptes = 0;
	out->prot = PTSEL_PROT_READ | PTSEL_PROT_WRITE | PTSEL_PROT_EXEC;
	out->user = true;
	if ((levels != 4 && levels != 5) || !canonical(gva, levels))
		return -EINVAL;

	for (level = levels - 1; level >= 0; level--) {
		unsigned int shift = PTSEL_SHIFT + PTSEL_LEVEL_BITS * level;
		u64 gpa = table + ((gva >> shift) & (PTSEL_ENTRIES - 1)) * 8;
		u64 pte;

		out->level = level;
		ret = ops->read(priv, gpa, &pte);
		if (ret)
			return ret;
		out->pte[out->nr_ptes] = pte;
		out->pte_gpa[out->nr_ptes++] = gpa;
		if (!(pte & X86_P))
			return -ENOENT;
		if (!(pte & X86_RW))
			out->prot &= ~PTSEL_PROT_WRITE;
		if (pte & X86_NX)
			out->prot &= ~PTSEL_PROT_EXEC;
		if (!(pte & X86_US))
			out->user = false;

		if (level > 0 && (pte & X86_PS)) {
			u64 sz = 1ULL << shift;
			u64 base = pte & X86_ADDR_MASK & ~X86_PAT_LARGE;

			if (level > PTSEL_MAX_LEAF_LEVEL || (base & (sz - 1)))
				return -EIO;
			out->gpa = base + (gva & (sz - 1));
			return 0;
		}
		table = pte & X86_ADDR_MASK;
	}
	out->level = 0;
	out->gpa = table + (gva & (PTSEL_PAGE_SIZE - 1));
	return 0;
}
EXPORT_SYMBOL_NS_GPL(ptsel_guest_walk, PTSEL);
