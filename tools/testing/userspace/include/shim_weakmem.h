/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim: a model of a weakly ordered CPU, for tests that run
 * a lock-free reader in one thread right after, or in the middle of,
 * an update (ptsel_weakmem).
 *
 * While recording, every marked store of the updater (WRITE_ONCE(),
 * smp_store_release(), rcu_assign_pointer()) is logged in order with
 * its value, after the value its location held before the update, and
 * so are the updater's store barriers (smp_wmb(), smp_mb(); a release
 * store orders the stores before it before itself only). While a
 * reader runs, each marked
 * load of a logged location returns the value of any store to it that
 * the reader may see, at random: a store S is one a load must see once
 * the reader has seen, through a load ordered before this one (by an
 * acquire load, smp_rmb() or smp_mb()), a store that a store barrier
 * of the updater put after S. A location never goes back to an older
 * value (coherence). Plain C accesses are not modelled, nor address
 * dependencies: a reader that reached logged stores through
 * rcu_dereference() alone would see what a CPU cannot show (a false
 * alarm); ptsel's readers load every table pointer with acquire, and
 * new region sets are filled with plain stores.
 */
#ifndef _SHIM_WEAKMEM_H
#define _SHIM_WEAKMEM_H

#include <stdbool.h>
#include <stddef.h>

void shim_wm_store(void *p, const void *val, size_t size, bool release);
void shim_wm_load(const void *p, void *val, size_t size, bool acquire);
void shim_wm_fence(int order, bool loads, bool stores);

#define shim_wm_read(p, order, acquire) ({				\
	__typeof__(__atomic_load_n(p, __ATOMIC_RELAXED)) __wm_v =	\
		__atomic_load_n(p, order);				\
	shim_wm_load(p, &__wm_v, sizeof(__wm_v), acquire);		\
	__wm_v;								\
})

#define shim_wm_write(p, v, order) ({					\
	__typeof__(*(p)) __wm_n = (v);					\
	shim_wm_store(p, &__wm_n, sizeof(*(p)),				\
		      (order) == __ATOMIC_RELEASE);			\
	__atomic_store_n(p, __wm_n, order);				\
})

/* The test's controls. */
void shim_wm_record(bool on);		/* on: a new, empty log */
void shim_wm_read_begin(unsigned long long seed);
void shim_wm_read_end(void);
extern unsigned long shim_wm_stale;	/* loads that returned an old value */
extern unsigned long shim_wm_logged;	/* locations in the log */

#endif
