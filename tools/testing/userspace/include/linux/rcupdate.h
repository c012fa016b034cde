/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim: RCU for tests. Readers are free;
 * call_rcu() queues its callback, and the queue runs at
 * synchronize_rcu(), rcu_barrier() and shim_rcu_quiesce() (which a
 * test calls between operations, when no reader can be inside a
 * read-side section). Memory freed through RCU thus stays valid for
 * the rest of the update, and ASan catches any use after the next
 * quiescent state. A test with reader threads calls none of the three
 * until they are done: the nesting depth is per thread, and the queue
 * takes callbacks from any thread.
 */
#ifndef _SHIM_LINUX_RCUPDATE_H
#define _SHIM_LINUX_RCUPDATE_H

#include <linux/compiler.h>
#include <asm/barrier.h>

struct rcu_head {
	struct rcu_head *next;
	void (*func)(struct rcu_head *head);
};

extern __thread int shim_rcu_depth;
void shim_bug(const char *file, int line, const char *what);
void call_rcu(struct rcu_head *head, void (*func)(struct rcu_head *head));
void synchronize_rcu(void);
/* If set, synchronize_rcu() calls it first, from the updater's thread. */
extern void (*shim_sync_hook)(void);
void rcu_barrier(void);
void shim_rcu_quiesce(void);
void kvfree_rcu_mightsleep(void *mem);

static inline void rcu_read_lock(void)
{
	shim_rcu_depth++;
}

static inline void rcu_read_unlock(void)
{
	if (--shim_rcu_depth < 0)
		shim_bug(__FILE__, __LINE__, "read-side section closed twice");
}

#ifdef SHIM_WEAKMEM
/*
 * As in the kernel, only loads through the pointer are ordered after
 * it: the model takes it as a plain load.
 */
#define rcu_dereference(p)	shim_wm_read(&(p), __ATOMIC_ACQUIRE, false)
#else
/* Pairs with rcu_assign_pointer(): the pointee is initialized. */
#define rcu_dereference(p)	smp_load_acquire(&(p))
#endif
#define rcu_dereference_protected(p, c) ({				\
	if (!(c))							\
		shim_bug(__FILE__, __LINE__, "unprotected: " #c);	\
	(p);								\
})
/* Pairs with rcu_dereference(): initialize, then publish. */
#define rcu_assign_pointer(p, v)	smp_store_release(&(p), (v))
#define RCU_INIT_POINTER(p, v)		((p) = (v))

#endif
