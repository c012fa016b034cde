/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nested_notify internals shared by the kernel glue (ctx.c), the ABI
 * (dev.c, sysfs.c) and module setup (main.c).
 */
#ifndef _NN_INTERNAL_H
#define _NN_INTERNAL_H

#include <linux/atomic.h>
#include <linux/fault-inject.h>
#include <linux/nested_notify.h>

#include "nn_core.h"

/**
 * struct nn_global_stats - the module's counters (sysfs)
 * @doorbells: doorbells consumed from the eventfds
 * @records: records written
 * @delivered: doorbells the records stand for
 * @coalesced: doorbells that shared a record with an earlier one
 * @overflowed: deliveries that found a ring full
 * @faults: deliveries stopped by a bad entry, ring or translation
 * @walk_hits: deliveries that reused a cached walk
 * @deferred: deliveries run in the ringing vCPU's thread
 * @loaded: of @deferred, those that loaded the vCPU that rang themselves
 * @dropped: doorbells pending in devices removed before a delivery
 * @interrupts: interrupts raised into L1
 * @unowned: doorbells signalled outside a vCPU of their VM (left pending)
 * @stranded: queued deliveries that could not run (left pending)
 * @merged: doorbells rung by a vCPU of the VM that found a delivery of
 *	    their device queued already (it carries them)
 * @contexts: contexts alive
 */
struct nn_global_stats {
	atomic64_t doorbells;
	atomic64_t records;
	atomic64_t delivered;
	atomic64_t coalesced;
	atomic64_t overflowed;
	atomic64_t faults;
	atomic64_t walk_hits;
	atomic64_t deferred;
	atomic64_t loaded;
	atomic64_t dropped;
	atomic64_t interrupts;
	atomic64_t unowned;
	atomic64_t stranded;
	atomic64_t merged;
	atomic_t contexts;
};

extern struct nn_global_stats nn_stats;
extern struct fault_attr nn_fail_read;
extern struct fault_attr nn_fail_walk;

int nn_dev_init_misc(void);
void nn_dev_exit_misc(void);
int nn_sysfs_init(void);
void nn_sysfs_exit(void);

#endif /* _NN_INTERNAL_H */
