/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ptsel fill-mask test: leaf invalidations visit only the walkers whose
 * TLB may hold the leaf (walker.c). Random translations, leaf exchanges
 * and A/D updates, through four walkers that each mostly use their own
 * granules of one partition, some granules aliasing in the fill mask
 * and some pages under a 1 GiB leaf, every translation checked against
 * a plain model. Shared by the KUnit suite (fill_kunit.c) and the
 * userspace test (tools/testing/userspace/ptsel_fill.c).
 */
#ifndef _PTSEL_FILL_MODEL_H
#define _PTSEL_FILL_MODEL_H

#include <linux/types.h>
#include <memvirt/ptsel.h>

#include "ptsel_core.h"

#define FM_WALKERS	4
#define FM_PAGES	48
#define FM_MSG		256

/**
 * struct fm - one run
 * @p: the partition under test
 * @q: an empty partition walkers visit
 * @w: the walkers, FM_WALKERS of them
 * @on_p: walker is switched to @p
 * @addr: input address of each page
 * @target: its output address, as the model has it
 * @sw: its software state, as the model has it
 * @fresh: next unused output address
 * @exchanges: exchanges that changed a leaf
 * @visited: walkers on @p that an exchange invalidated
 * @skipped: walkers on @p that an exchange left alone
 * @checks: translations checked
 * @failed: a check failed; @msg says which
 * @msg: the first failure
 */
struct fm {
	struct ptsel_partition *p, *q;
	struct ptsel_walker *w[FM_WALKERS];
	bool on_p[FM_WALKERS];
	u64 addr[FM_PAGES], target[FM_PAGES];
	u32 sw[FM_PAGES];
	u64 fresh;
	unsigned long exchanges, visited, skipped, checks;
	bool failed;
	char msg[FM_MSG];
};

int fm_init(struct fm *m, u32 format);
bool fm_step(struct fm *m, u64 *state);
bool fm_check_all(struct fm *m);
void fm_fini(struct fm *m);
const char *fm_directed(struct fm *m, u32 format);

#endif
