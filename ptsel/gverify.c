// SPDX-License-Identifier: GPL-2.0
/*
 * ptsel guest-entry verification: the rules the guest walker (gwalk.c)
 * applies on its way (one set, gpte_rules.h), on one entry with the
 * guest's real MAXPHYADDR and EFER.NXE, for verifiers that look at
 * every entry of a table rather than at one path. pwsp verifies guest
 * page-table pages with it before linking them.
 */
#include <linux/export.h>

#include "gpte_rules.h"

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
	return ptsel_gpte_decode(env, level, pte, out);
}
EXPORT_SYMBOL_NS_GPL(ptsel_guest_pte_check, PTSEL);
