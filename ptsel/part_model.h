/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ptsel partition model test: random operations on partitions through
 * the API of <memvirt/ptsel.h>, each checked against a plain model (a
 * list of extents: input range -> output address, protection, and a
 * list of regions), through the walkers (TLB and walk cache) and the
 * uncached lookup. Shared by the KUnit suite (model_kunit.c), the
 * userspace test and the libFuzzer target (tools/testing/userspace).
 */
#ifndef _PTSEL_PART_MODEL_H
#define _PTSEL_PART_MODEL_H

#include <linux/types.h>
#include <memvirt/ptsel.h>

#include "ext_model.h"
#include "ptsel_core.h"

#define PM_PARTS	2	/* one radix by default, one hashed */
#define PM_WALKERS	3	/* one on each partition, one that roams */
#define PM_MAX_EXT	64
#define PM_OP_BYTES	16
#define PM_MSG		512

/* Operation classes, for statistics and for skipping (pm_init()). */
enum pm_op {
	PM_MAP, PM_UNMAP, PM_PROTECT, PM_REMAP, PM_REGION, PM_DEFAULT,
	PM_CONVERT, PM_LOOKUP, PM_SWITCH, PM_LIMIT, PM_NR_OPS,
};

extern const char * const pm_op_name[PM_NR_OPS];

/**
 * struct pm_hooks - what the model asks of its environment
 * @fail_allocs: optional; make the allocation after the next @n ones
 *	fail, and every later one (@n < 0: stop failing). Without it,
 *	the model injects failures through the partition's table limit.
 * @report: a check failed; @msg says which and where
 * @priv: cookie for the hooks
 */
struct pm_hooks {
	void (*fail_allocs)(void *priv, int n);
	void (*report)(void *priv, const char *msg);
	void *priv;
};

struct pm_region {
	u64 base, size;
	u32 format;
};

struct pm_part {
	struct ptsel_partition *p;
	u32 dflt;
	unsigned int n_ext, n_reg;
	u64 mapped_limit;	/* pages; 0 for none */
	struct ptsel_ext ext[PM_MAX_EXT];
	struct pm_region reg[PTSEL_MAX_REGIONS];
};

/**
 * struct pm - one model test run
 * @hooks: the environment
 * @base: first input address of the window the operations use
 * @rng: state of the generator that picks the checked addresses
 * @skip: bit per enum pm_op: never run that class
 * @noinject: bit per enum pm_op: never inject failures into that class
 * @steps: operations run
 * @failed: a check failed; the run stops
 * @injected: failures are armed for the current operation
 * @refused: the current operation returned an error
 * @part: the partitions under test, each with its model
 * @w: the walkers, translating through the partitions
 * @wpart: per walker: the index in @part it is switched to
 * @ops: per class: operations tried
 * @ok: per class: operations that succeeded
 * @enomem: per class: operations that failed with -ENOMEM
 * @scratch: room for the model's rewrites
 * @desc: the current operation, for reports
 * @msg: buffer for reports
 */
struct pm {
	const struct pm_hooks *hooks;
	u64 base;
	u64 rng;
	u32 skip, noinject;
	unsigned long steps;
	bool failed;
	bool injected;
	bool refused;
	struct pm_part part[PM_PARTS];
	struct ptsel_walker *w[PM_WALKERS];
	unsigned int wpart[PM_WALKERS];
	unsigned long ops[PM_NR_OPS], ok[PM_NR_OPS], enomem[PM_NR_OPS];
	struct ptsel_ext scratch[PM_MAX_EXT];
	char desc[160];
	char msg[PM_MSG];
};

/* Windows of input addresses a run may use, PM_WINDOWS of them. */
#define PM_WINDOWS	4
extern const u64 pm_window[PM_WINDOWS];

void pm_random_op(u64 *state, u8 op[PM_OP_BYTES]);
int pm_init(struct pm *m, const struct pm_hooks *hooks, u64 base, u64 seed);
void pm_fini(struct pm *m);
bool pm_step(struct pm *m, const u8 op[PM_OP_BYTES]);
bool pm_check_all(struct pm *m);

#endif /* _PTSEL_PART_MODEL_H */
