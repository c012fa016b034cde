// SPDX-License-Identifier: GPL-2.0
/*
 * ptsel guest-entry verification: what the guest walker (gwalk.c)
 * checks on its way, as a rule set on one entry with the guest's real
 * MAXPHYADDR and EFER.NXE, for verifiers that look at every entry of a
 * table rather than at one path. pwsp verifies guest page-table pages
 * with it before linking them.
 */
#include <linux/bits.h>
#include <linux/errno.h>
#include <linux/export.h>
#include <memvirt/ptsel_gverify.h>

#define GV_P		BIT_ULL(0)
#define GV_RW		BIT_ULL(1)
#define GV_US		BIT_ULL(2)
#define GV_PS		BIT_ULL(7)
#define GV_PAT_LARGE	BIT_ULL(12)
#define GV_NX		BIT_ULL(63)
/* Bits 52-62 are ignored by the MMU (software bits, protection keys). */
#define GV_TOP_ADDR_BIT	52

/**
 * ptsel_guest_pte_check() - check and decode one guest paging entry
 * @env: the guest's paging mode
 * @level: the entry's level: 0 for a PTE, @env->levels - 1 for the top
 * @pte: the entry
 * @out: the decoded entry, valid when the result is PTSEL_GPTE_OK
 *
 * A non-present entry is never reserved: the MMU does not look at its
 * other bits. A present one is, when it sets an address bit at or above
 * @env->maxphyaddr, bit 63 without NXE, PS in the top level (and in a
 * PDPTE without gbpages), or a huge-page base below its size.
 *
 * Return: PTSEL_GPTE_OK or the first rule broken.
 */
enum ptsel_gpte_err ptsel_guest_pte_check(const struct ptsel_genv *env,
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
EXPORT_SYMBOL_NS_GPL(ptsel_guest_pte_check, PTSEL);
