/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim: a spinlock is a pthread mutex that knows its owner;
 * the _irq variants are the same (there are no interrupts here).
 */
#ifndef _SHIM_LINUX_SPINLOCK_H
#define _SHIM_LINUX_SPINLOCK_H

#include <pthread.h>
#include <linux/lockdep.h>

struct shim_spinlock {
	pthread_mutex_t m;
	pthread_t owner;
	bool held;
};

#define spinlock_t	struct shim_spinlock
#define DEFINE_SPINLOCK(name)	spinlock_t name = { .m = PTHREAD_MUTEX_INITIALIZER }

static inline void spin_lock_init(spinlock_t *l)
{
	pthread_mutex_init(&l->m, NULL);
	l->held = false;
}

static inline void spin_lock(spinlock_t *l)
{
	if (lockdep_is_held(l))
		shim_bug(__FILE__, __LINE__, "spinlock taken twice");
	pthread_mutex_lock(&l->m);
	l->owner = pthread_self();
	__atomic_store_n(&l->held, true, __ATOMIC_RELAXED);
}

static inline void spin_unlock(spinlock_t *l)
{
	if (!lockdep_is_held(l))
		shim_bug(__FILE__, __LINE__, "spinlock released by a non-owner");
	__atomic_store_n(&l->held, false, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&l->m);
}

/* The lockdep subclass only matters to lockdep. */
static inline void spin_lock_nested(spinlock_t *l, int subclass)
{
	spin_lock(l);
}

#define spin_lock_irq(l)		spin_lock(l)
#define spin_unlock_irq(l)		spin_unlock(l)
#define spin_lock_irqsave(l, f)		do { (f) = 0; spin_lock(l); } while (0)
#define spin_unlock_irqrestore(l, f)	do { (void)(f); spin_unlock(l); } while (0)

#endif
