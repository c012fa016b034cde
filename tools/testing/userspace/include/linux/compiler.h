/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim: single-copy-atomic accesses as relaxed atomics. */
#ifndef _SHIM_LINUX_COMPILER_H
#define _SHIM_LINUX_COMPILER_H

#ifdef SHIM_WEAKMEM
#include <shim_weakmem.h>
#define READ_ONCE(x)		shim_wm_read(&(x), __ATOMIC_RELAXED, false)
#define WRITE_ONCE(x, val)	shim_wm_write(&(x), (val), __ATOMIC_RELAXED)
#else
#define READ_ONCE(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, val)	__atomic_store_n(&(x), (val), __ATOMIC_RELAXED)
#endif

/* sparse's lock context annotations; nothing to check here. */
#define __acquires(...)
#define __releases(...)
#define __must_hold(...)
#define __acquire(...)	((void)0)
#define __release(...)	((void)0)

/* Spelt through a helper: this shim is where noinline gets defined. */
#define __shim_attr(a)	__attribute__((a))
#define noinline	__shim_attr(__noinline__)

#endif
