/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim: kernel barriers on the C11 memory model. */
#ifndef _SHIM_ASM_BARRIER_H
#define _SHIM_ASM_BARRIER_H

#ifdef SHIM_WEAKMEM
/* The weak-memory build: see shim_weakmem.h. */
#include <shim_weakmem.h>
/* Release store: a store barrier, then the store; both logged. */
#define smp_store_release(p, v)	shim_wm_write(p, v, __ATOMIC_RELEASE)
/* Acquire load: later loads see what the store it read published. */
#define smp_load_acquire(p)	shim_wm_read(p, __ATOMIC_ACQUIRE, true)
/* The updater's store barrier, in the log. */
#define smp_wmb()		shim_wm_fence(__ATOMIC_RELEASE, false, true)
/* Orders the reader's earlier loads before its later loads. */
#define smp_rmb()		shim_wm_fence(__ATOMIC_ACQUIRE, true, false)
/* Both. */
#define smp_mb()		shim_wm_fence(__ATOMIC_SEQ_CST, true, true)
#else
/* Release store: earlier accesses are visible before the store. */
#define smp_store_release(p, v)	__atomic_store_n(p, v, __ATOMIC_RELEASE)
/* Acquire load: later accesses are ordered after the load. */
#define smp_load_acquire(p)	__atomic_load_n(p, __ATOMIC_ACQUIRE)
/* Orders earlier stores before later stores. */
#define smp_wmb()		__atomic_thread_fence(__ATOMIC_RELEASE)
/* Orders earlier loads before later loads. */
#define smp_rmb()		__atomic_thread_fence(__ATOMIC_ACQUIRE)
/* Orders earlier loads and stores before later loads and stores. */
#define smp_mb()		__atomic_thread_fence(__ATOMIC_SEQ_CST)
#endif

#endif
