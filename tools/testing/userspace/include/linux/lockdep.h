/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim: lockdep's "is this lock held" checks, on the owner
 * field that the mutex and spinlock shims keep.
 */
#ifndef _SHIM_LINUX_LOCKDEP_H
#define _SHIM_LINUX_LOCKDEP_H

#include <pthread.h>
#include <stdbool.h>

void shim_bug(const char *file, int line, const char *what);

/* Works on struct mutex and spinlock_t alike. */
#define lockdep_is_held(l)						\
	(__atomic_load_n(&(l)->held, __ATOMIC_RELAXED) &&		\
	 pthread_equal((l)->owner, pthread_self()))
#define SINGLE_DEPTH_NESTING	1

#define lockdep_assert(c) do {						\
	if (!(c))							\
		shim_bug(__FILE__, __LINE__, "lockdep_assert: " #c);	\
} while (0)

#define lockdep_assert_held(l) do {					\
	if (!lockdep_is_held(l))					\
		shim_bug(__FILE__, __LINE__, "lock not held: " #l);	\
} while (0)

#endif
