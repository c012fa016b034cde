/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ptsel guest-entry verification: the reserved-bit and layout rules of
 * one x86-64 paging entry, as the guest's MMU applies them, for
 * consumers that verify guest page tables (pwsp) before the MMU may
 * use them. Import the namespace with MODULE_IMPORT_NS(PTSEL).
 */
#ifndef _MEMVIRT_PTSEL_GVERIFY_H
#define _MEMVIRT_PTSEL_GVERIFY_H

#include <linux/types.h>

/**
 * struct ptsel_genv - the guest's paging mode
 * @levels: 4 or 5 (CR4.LA57)
 * @maxphyaddr: physical address width, 32 to 52
 * @nxe: EFER.NXE: bit 63 is NX; without it, bit 63 is reserved
 * @gbpages: PS is allowed in a PDPTE (1 GiB pages)
 */
struct ptsel_genv {
	unsigned int levels;
	unsigned int maxphyaddr;
	bool nxe;
	bool gbpages;
};

/* Results of ptsel_guest_pte_check() */
enum ptsel_gpte_err {
	PTSEL_GPTE_OK = 0,
	PTSEL_GPTE_RSVD,	/* a reserved address bit, or NX without NXE */
	PTSEL_GPTE_PS_TOP,	/* PS where no huge page exists at that level */
	PTSEL_GPTE_ALIGN,	/* huge page base not aligned to its size */
};

/**
 * struct ptsel_gpte - one entry, decoded
 * @present: P is set (nothing else is decoded otherwise)
 * @leaf: the entry maps memory (level 0, or PS)
 * @addr: guest-physical base of the page or of the next table
 * @size: bytes the leaf maps (4 KiB for a table reference)
 * @writable: RW
 * @user: US
 * @nx: NX (only with NXE)
 */
struct ptsel_gpte {
	bool present;
	bool leaf;
	u64 addr;
	u64 size;
	bool writable;
	bool user;
	bool nx;
};

enum ptsel_gpte_err ptsel_guest_pte_check(const struct ptsel_genv *env,
					  unsigned int level, u64 pte,
					  struct ptsel_gpte *out);

#endif /* _MEMVIRT_PTSEL_GVERIFY_H */
