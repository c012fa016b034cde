/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim: a mutex is a pthread mutex that knows its owner. */
#ifndef _SHIM_LINUX_MUTEX_H
#define _SHIM_LINUX_MUTEX_H

#include <pthread.h>
#include <linux/lockdep.h>

struct mutex {
	pthread_mutex_t m;
	pthread_t owner;
	bool held;
};

static inline void mutex_init(struct mutex *l)
{
	pthread_mutex_init(&l->m, NULL);
	l->held = false;
}

static inline void mutex_destroy(struct mutex *l)
{
	if (l->held)
		shim_bug(__FILE__, __LINE__, "held mutex destroyed");
	pthread_mutex_destroy(&l->m);
}

static inline void mutex_lock(struct mutex *l)
{
	if (lockdep_is_held(l))
		shim_bug(__FILE__, __LINE__, "mutex taken twice");
	pthread_mutex_lock(&l->m);
	l->owner = pthread_self();
	__atomic_store_n(&l->held, true, __ATOMIC_RELAXED);
}

static inline void mutex_unlock(struct mutex *l)
{
	if (!lockdep_is_held(l))
		shim_bug(__FILE__, __LINE__, "mutex released by a non-owner");
	__atomic_store_n(&l->held, false, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&l->m);
}

#endif
