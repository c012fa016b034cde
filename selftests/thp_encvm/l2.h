/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the guest of thp_encvm_qemu (l2_init.c) and the test share: the
 * console marker and the header of each page of the guest's buffer.
 * The test finds the buffer in the object by these headers, and tells
 * the guest to go on by writing the nonce to @go of the first page.
 */
#ifndef _TE_L2_H
#define _TE_L2_H

#define L2_MARK		"THP_ENCVM_L2:"
#define L2_PAGES	8192			/* a 32 MiB buffer */
#define L2_PAGE_MAGIC	"TEL2PAGE"

#define L2_WAIT_S	1800			/* the longest the guest waits */

struct l2_page {
	char magic[8];
	unsigned int index;
	unsigned int nonce;
	unsigned int go;
	unsigned int pad;
};

#endif /* _TE_L2_H */
