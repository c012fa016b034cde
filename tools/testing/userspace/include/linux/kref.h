/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _SHIM_LINUX_KREF_H
#define _SHIM_LINUX_KREF_H

#include <linux/kernel.h>

struct kref {
	int refcount;
};

void shim_bug(const char *file, int line, const char *what);

static inline void kref_init(struct kref *k)
{
	k->refcount = 1;
}

static inline void kref_get(struct kref *k)
{
	if (__atomic_fetch_add(&k->refcount, 1, __ATOMIC_SEQ_CST) <= 0)
		shim_bug(__FILE__, __LINE__, "reference taken on a dead object");
}

static inline int kref_put(struct kref *k, void (*release)(struct kref *))
{
	int n = __atomic_sub_fetch(&k->refcount, 1, __ATOMIC_SEQ_CST);

	if (n < 0)
		shim_bug(__FILE__, __LINE__, "kref underflow");
	if (n)
		return 0;
	release(k);
	return 1;
}

#endif
