/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim: atomic_t, atomic_long_t and atomic64_t on the C11 builtins. */
#ifndef _SHIM_LINUX_ATOMIC_H
#define _SHIM_LINUX_ATOMIC_H

#include <linux/types.h>

struct shim_atomic {
	int counter;
};

struct shim_atomic_long {
	long counter;
};

struct shim_atomic64 {
	s64 counter;
};

#define atomic_t	struct shim_atomic
#define atomic_long_t	struct shim_atomic_long
#define atomic64_t	struct shim_atomic64

#define ATOMIC_INIT(i)		{ (i) }
#define ATOMIC_LONG_INIT(i)	{ (i) }
#define ATOMIC64_INIT(i)	{ (i) }

#define __shim_add(v, i)	__atomic_add_fetch(&(v)->counter, (i), __ATOMIC_SEQ_CST)
#define atomic_long_read(v)	__atomic_load_n(&(v)->counter, __ATOMIC_RELAXED)
#define atomic_long_add(i, v)	((void)__shim_add(v, (long)(i)))
#define atomic_long_sub(i, v)	((void)__shim_add(v, -(long)(i)))
#define atomic_long_inc(v)	atomic_long_add(1, v)
#define atomic_long_dec(v)	atomic_long_sub(1, v)
#define atomic64_read(v)	__atomic_load_n(&(v)->counter, __ATOMIC_RELAXED)
#define atomic64_inc(v)		((void)__shim_add(v, 1))
#define atomic64_inc_return(v)	__shim_add(v, 1)
#define atomic_read(v)		__atomic_load_n(&(v)->counter, __ATOMIC_RELAXED)
#define atomic_set(v, i)	__atomic_store_n(&(v)->counter, (i), __ATOMIC_RELAXED)
#define atomic_inc_return(v)	__shim_add(v, 1)
#define atomic_dec(v)		((void)__shim_add(v, -1))

/* Adds @a to @v unless @v was @u; whether it added. */
static inline bool atomic_add_unless(atomic_t *v, int a, int u)
{
	int c = atomic_read(v);

	do {
		if (c == u)
			return false;
	} while (!__atomic_compare_exchange_n(&v->counter, &c, c + a, false,
					      __ATOMIC_SEQ_CST, __ATOMIC_RELAXED));
	return true;
}

#endif
