/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim: kernel acquire/release on the C11 memory model. */
#ifndef _SHIM_ASM_BARRIER_H
#define _SHIM_ASM_BARRIER_H

/* Release store: earlier accesses are visible before the store. */
#define smp_store_release(p, v)	__atomic_store_n(p, v, __ATOMIC_RELEASE)
/* Acquire load: later accesses are ordered after the load. */
#define smp_load_acquire(p)	__atomic_load_n(p, __ATOMIC_ACQUIRE)

#endif
