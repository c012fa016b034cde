/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim: a model of a weakly ordered CPU's loads, for tests
 * that run a lock-free reader in one thread right after, or in the
 * middle of, an update (ptsel_weakmem).
 *
 * While recording, every marked store (WRITE_ONCE(), smp_store_release(),
 * rcu_assign_pointer()) logs the value its location held before the
 * update. While a reader runs, each marked load of a logged location
 * that the update changed may return either value, as a reader on
 * arm64 or POWER may see an update in part, unless the reader's own
 * barriers forbid it: once a load has seen a new value, a load ordered
 * after it (by an acquire load, smp_rmb() or smp_mb()) sees new values
 * only. A location read new stays new (coherence). Loads through a
 * freshly allocated object are never logged, which stands for the
 * address dependency rcu_dereference() relies on. Plain C accesses are
 * not modelled. The model only relaxes the reader: it assumes that the
 * updater orders its own stores.
 */
#ifndef _SHIM_WEAKMEM_H
#define _SHIM_WEAKMEM_H

#include <stdbool.h>
#include <stddef.h>

void shim_wm_store(void *p, size_t size);
void shim_wm_load(const void *p, void *val, size_t size,
		  bool acquire);
void shim_wm_fence(int order);

#define shim_wm_read(p, order, acquire) ({				\
	__typeof__(__atomic_load_n(p, __ATOMIC_RELAXED)) __wm_v =	\
		__atomic_load_n(p, order);				\
	shim_wm_load(p, &__wm_v, sizeof(__wm_v), acquire);		\
	__wm_v;								\
})

#define shim_wm_write(p, v, order) ({					\
	shim_wm_store(p, sizeof(*(p)));					\
	__atomic_store_n(p, v, order);					\
})

/* The test's controls. */
void shim_wm_record(bool on);		/* on: a new, empty log */
void shim_wm_read_begin(unsigned long long seed);
void shim_wm_read_end(void);
extern unsigned long shim_wm_stale;	/* loads that returned an old value */
extern unsigned long shim_wm_logged;	/* locations in the log */

#endif
