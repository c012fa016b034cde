/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nested_notify contexts: what the ABI (dev.c) calls in the glue (ctx.c).
 */
#ifndef _NN_CTX_H
#define _NN_CTX_H

#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>

#include "nn_internal.h"

struct dentry;
struct file;
struct kvm;

/**
 * struct nn_ctx - one VM's nested_notify state
 * @kvm: the VM (referenced)
 * @id: a number for tracepoints
 * @lock: serializes everything below and all deliveries into the VM
 * @table: L1's table
 * @st: the core's counters
 * @deferred: deliveries run in a vCPU thread
 * @loaded: of @deferred, those that loaded the vCPU that rang
 * @dropped: doorbells pending in devices removed
 * @interrupts: interrupts raised
 * @devs: the devices
 * @nr_devs: their number
 * @ref: the file's reference and one per device
 * @file: its file (which owns it); a queued delivery holds a reference
 */
struct nn_ctx {
	struct kvm *kvm;
	u32 id;
	struct mutex lock;
	struct nn_table table;
	struct nn_stats st;
	u64 deferred;
	u64 loaded;
	u64 dropped;
	u64 interrupts;
	struct list_head devs;
	unsigned int nr_devs;
	struct kref ref;
	struct file *file;
};

struct nn_ctx *nn_ctx_alloc(const struct nested_notify_create *c);
int nn_ctx_set_table(struct nn_ctx *ctx, const struct nested_notify_table *t);
int nn_ctx_add_device(struct nn_ctx *ctx, const struct nested_notify_device *a);
int nn_ctx_remove_device(struct nn_ctx *ctx, const struct nested_notify_device *a);
void nn_ctx_info(struct nn_ctx *ctx, struct nested_notify_info *info);
void nn_ctx_release(struct nn_ctx *ctx);
void nn_ctx_debugfs(struct dentry *dir);

#endif /* _NN_CTX_H */
