/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim: the kernel allocators on malloc, with a fault
 * injection hook. Every allocation goes through shim_may_alloc(): set
 * shim_fail_after to n >= 0 and the allocation after the next n ones
 * fails (and every later one, until it is set back to -1).
 * shim_live_allocs counts what is not freed yet, for leak checks; it is
 * updated atomically, as the concurrent tests allocate and free from
 * several threads (a plain ++ lost counts there). The fault injection
 * is for one thread at a time.
 */
#ifndef _SHIM_LINUX_SLAB_H
#define _SHIM_LINUX_SLAB_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/kernel.h>

extern long shim_fail_after;
extern unsigned long shim_live_allocs, shim_failed_allocs;
bool shim_may_alloc(void);

void *kmalloc(size_t size, gfp_t gfp);
void *kzalloc(size_t size, gfp_t gfp);
void kfree(const void *mem);
void *kvzalloc(size_t size, gfp_t gfp);
void *kvcalloc(size_t n, size_t size, gfp_t gfp);
void kvfree(const void *mem);

#endif
