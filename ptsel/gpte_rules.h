/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ptsel's one rule set for an x86-64 guest paging entry, shared by the
 * guest walker (gwalk.c, with the most permissive paging mode: its
 * callers do not know the guest's) and the entry check pwsp verifies
 * tables with (gverify.c, with the guest's MAXPHYADDR, NXE and 1 GiB
 * pages). Internal to ptsel.
 */
#ifndef _PTSEL_GPTE_RULES_H
#define _PTSEL_GPTE_RULES_H

#include <linux/bits.h>
#include <memvirt/ptsel_gverify.h>

#define GV_P		BIT_ULL(0)
#define GV_RW		BIT_ULL(1)
#define GV_US		BIT_ULL(2)
#define GV_PS		BIT_ULL(7)
#define GV_PAT_LARGE	BIT_ULL(12)
#define GV_NX		BIT_ULL(63)
/* Bits 52-62 are ignored by the MMU (software bits, protection keys). */
#define GV_TOP_ADDR_BIT	52

/* See ptsel_guest_pte_check(). */
static inline enum ptsel_gpte_err ptsel_gpte_decode(const struct ptsel_genv *env,
						    unsigned int level, u64 pte,
						    struct ptsel_gpte *out)
{
	u64 top = (1ULL << GV_TOP_ADDR_BIT) - 1;
	u64 addr_mask = top & ~((1ULL << 12) - 1);
	u64 rsvd = top & ~((1ULL << env->maxphyaddr) - 1);

	*out = (struct ptsel_gpte){ .present = pte & GV_P };
	if (!out->present)
		return PTSEL_GPTE_OK;
	if ((pte & rsvd) || (!env->nxe && (pte & GV_NX)))
		return PTSEL_GPTE_RSVD;
	out->writable = pte & GV_RW;
	out->user = pte & GV_US;
	out->nx = pte & GV_NX;
	out->size = 1ULL << 12;
	out->addr = pte & addr_mask;
	if (level == 0) {
		out->leaf = true;
		return PTSEL_GPTE_OK;
	}
	if (!(pte & GV_PS))
		return PTSEL_GPTE_OK;
	if (level >= 3 || (level == 2 && !env->gbpages))
		return PTSEL_GPTE_PS_TOP;
	out->leaf = true;
	out->size = 1ULL << (12 + 9 * level);
	/* PAT of a huge page is bit 12; the base starts above it. */
	out->addr = pte & addr_mask & ~GV_PAT_LARGE;
	if (out->addr & (out->size - 1))
		return PTSEL_GPTE_ALIGN;
	return PTSEL_GPTE_OK;
}

#endif /* _PTSEL_GPTE_RULES_H */
