/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ptsel: state shared by the kernel glue (main.c) and the ABI files
 * (dev.c, sysfs.c). Not for other modules; they use ptsel.h.
 */
#ifndef _PTSEL_INTERNAL_H
#define _PTSEL_INTERNAL_H

#include <linux/atomic.h>
#include <linux/mutex.h>

#include "ptsel_core.h"

/**
 * struct ptsel_ctx - one partition, owned by one /dev/ptsel file
 * @lock: serializes updates; lookups run under RCU only
 * @radix: the translation table
 * @id: number for tracing
 */
struct ptsel_ctx {
	struct mutex lock;
	struct ptsel_radix radix;
	u32 id;
};

/* Knobs (sysfs.c) */
extern unsigned long ptsel_max_table_pages;

/* Global counters (main.c), shown in sysfs */
extern atomic_long_t ptsel_table_pages;
extern atomic_long_t ptsel_nr_partitions;

struct ptsel_ctx *ptsel_ctx_create(void);
void ptsel_ctx_destroy(struct ptsel_ctx *ctx);
int ptsel_ctx_map(struct ptsel_ctx *ctx, u64 addr, u64 target, u64 size,
		  u32 prot);
int ptsel_ctx_unmap(struct ptsel_ctx *ctx, u64 addr, u64 size);
int ptsel_ctx_translate(struct ptsel_ctx *ctx, u64 addr,
			struct ptsel_xlate *out);

int ptsel_dev_init(void);
void ptsel_dev_exit(void);
int ptsel_sysfs_init(void);
void ptsel_sysfs_exit(void);

#endif /* _PTSEL_INTERNAL_H */
