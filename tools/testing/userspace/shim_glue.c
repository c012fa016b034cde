// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace implementation of the kernel services behind the shim
 * headers in include/: allocation with fault injection, RCU for
 * single-threaded tests, WARN and BUG reporting.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>

long shim_fail_after = -1;
unsigned long shim_live_allocs, shim_failed_allocs, shim_warnings;
__thread int shim_rcu_depth;

void shim_bug(const char *file, int line, const char *what)
{
	fprintf(stderr, "BUG at %s:%d: %s\n", file, line, what);
	abort();
}

void shim_warn(const char *file, int line, const char *cond)
{
	shim_warnings++;
	fprintf(stderr, "WARNING at %s:%d: %s\n", file, line, cond);
}

bool shim_may_alloc(void)
{
	if (shim_fail_after == 0) {
		shim_failed_allocs++;
		return false;
	}
	if (shim_fail_after > 0)
		shim_fail_after--;
	return true;
}

/* Every block carries its size in front, so kvfree() can poison it. */
struct shim_blk {
	size_t size;
	size_t pad;	/* keeps the payload 16-byte aligned */
	char mem[];
};

static void *shim_alloc(size_t size, bool zero)
{
	struct shim_blk *b;

	if (!shim_may_alloc())
		return NULL;
	b = malloc(sizeof(*b) + size);
	if (!b)
		return NULL;
	b->size = size;
	memset(b->mem, zero ? 0 : 0x6b, size);
	__atomic_fetch_add(&shim_live_allocs, 1, __ATOMIC_RELAXED);
	return b->mem;
}

static void shim_free(const void *mem)
{
	struct shim_blk *b;

	if (!mem)
		return;
	b = container_of((void *)mem, struct shim_blk, mem);
	memset(b->mem, 0xa5, b->size);
	__atomic_fetch_sub(&shim_live_allocs, 1, __ATOMIC_RELAXED);
	free(b);
}

void *kmalloc(size_t size, gfp_t gfp)
{
	return shim_alloc(size, false);
}

void *kzalloc(size_t size, gfp_t gfp)
{
	return shim_alloc(size, true);
}

void kfree(const void *mem)
{
	shim_free(mem);
}

void *kvzalloc(size_t size, gfp_t gfp)
{
	return shim_alloc(size, true);
}

void *kvcalloc(size_t n, size_t size, gfp_t gfp)
{
	if (size && n > SIZE_MAX / size)
		return NULL;
	return shim_alloc(n * size, true);
}

void kvfree(const void *mem)
{
	shim_free(mem);
}

unsigned long get_zeroed_page(gfp_t gfp)
{
	char *p;

	if (!shim_may_alloc())
		return 0;
	/* The page, then its struct page (see virt_to_page()). */
	p = aligned_alloc(PAGE_SIZE, 2 * PAGE_SIZE);
	if (!p)
		return 0;
	memset(p, 0, 2 * PAGE_SIZE);
	__atomic_fetch_add(&shim_live_allocs, 1, __ATOMIC_RELAXED);
	return (unsigned long)p;
}

void __free_page(struct page *page)
{
	char *p = (char *)page - PAGE_SIZE;

	memset(p, 0xa5, 2 * PAGE_SIZE);
	__atomic_fetch_sub(&shim_live_allocs, 1, __ATOMIC_RELAXED);
	free(p);
}

static struct rcu_head *rcu_queue;
static pthread_mutex_t rcu_queue_lock = PTHREAD_MUTEX_INITIALIZER;

void call_rcu(struct rcu_head *head, void (*func)(struct rcu_head *head))
{
	head->func = func;
	pthread_mutex_lock(&rcu_queue_lock);
	head->next = rcu_queue;
	rcu_queue = head;
	pthread_mutex_unlock(&rcu_queue_lock);
}

/* Run the queued callbacks: a grace period has passed for all of them. */
void shim_rcu_quiesce(void)
{
	if (shim_rcu_depth)
		shim_bug(__FILE__, __LINE__, "grace period inside rcu_read_lock()");
	for (;;) {
		struct rcu_head *head;

		pthread_mutex_lock(&rcu_queue_lock);
		head = rcu_queue;
		if (head)
			rcu_queue = head->next;
		pthread_mutex_unlock(&rcu_queue_lock);
		if (!head)
			break;
		head->func(head);
	}
}

void (*shim_sync_hook)(void);

void synchronize_rcu(void)
{
	/* A test's readers that start before the grace period ends. */
	if (shim_sync_hook)
		shim_sync_hook();
	shim_rcu_quiesce();
}

void rcu_barrier(void)
{
	shim_rcu_quiesce();
}

struct shim_rcu_free {
	struct rcu_head rcu;
	void *mem;
};

static void shim_rcu_free_cb(struct rcu_head *head)
{
	struct shim_rcu_free *f = container_of(head, struct shim_rcu_free, rcu);

	shim_free(f->mem);
	free(f);
}

/* Like the kernel's, it never fails: without memory it waits. */
void kvfree_rcu_mightsleep(void *mem)
{
	struct shim_rcu_free *f = malloc(sizeof(*f));

	if (!f) {
		synchronize_rcu();
		shim_free(mem);
		return;
	}
	f->mem = mem;
	call_rcu(&f->rcu, shim_rcu_free_cb);
}
