/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim: pages. get_zeroed_page() hands out a page whose
 * struct page sits in the page right after it, so virt_to_page() is
 * arithmetic. Allocations fail as slab.h describes.
 */
#ifndef _SHIM_LINUX_MM_H
#define _SHIM_LINUX_MM_H

#include <linux/list.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>

#define PAGE_SHIFT	12
#define PAGE_SIZE	(1UL << PAGE_SHIFT)

struct page {
	struct list_head lru;
	struct rcu_head rcu_head;
};

unsigned long get_zeroed_page(gfp_t gfp);
void __free_page(struct page *page);

static inline struct page *virt_to_page(const void *addr)
{
	return (struct page *)((char *)addr + PAGE_SIZE);
}

#endif
