// SPDX-License-Identifier: GPL-2.0
/*
 * ptsel kernel glue: table memory, partitions and module lifetime.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>

#include "ptsel_internal.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

atomic_long_t ptsel_table_pages = ATOMIC_LONG_INIT(0);
atomic_long_t ptsel_nr_partitions = ATOMIC_LONG_INIT(0);
static atomic_t ptsel_next_id = ATOMIC_INIT(0);

/*
 * Table pages are charged to the caller's memcg and limited per
 * partition; they are released after a grace period because lookups
 * walk the tables under RCU alone.
 */
static u64 *ptsel_table_alloc(void *priv)
{
	struct ptsel_ctx *ctx = priv;
	unsigned long page;

	if (ctx->radix.nr_tables >= READ_ONCE(ptsel_max_table_pages))
		return NULL;
	page = get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!page)
		return NULL;
	atomic_long_inc(&ptsel_table_pages);
	return (u64 *)page;
}

static void ptsel_table_free_rcu(struct rcu_head *head)
{
	__free_page(container_of(head, struct page, rcu_head));
}

static void ptsel_table_free(void *priv, u64 *table)
{
	atomic_long_dec(&ptsel_table_pages);
	call_rcu(&virt_to_page(table)->rcu_head, ptsel_table_free_rcu);
}

static const struct ptsel_table_ops ptsel_page_ops = {
	.alloc = ptsel_table_alloc,
	.free = ptsel_table_free,
};

struct ptsel_ctx *ptsel_ctx_create(void)
{
	struct ptsel_ctx *ctx;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL_ACCOUNT);
	if (!ctx)
		return NULL;
	mutex_init(&ctx->lock);
	ctx->id = atomic_inc_return(&ptsel_next_id);
	if (ptsel_radix_init(&ctx->radix, 4, &ptsel_page_ops, ctx)) {
		kfree(ctx);
		return NULL;
	}
	atomic_long_inc(&ptsel_nr_partitions);
	return ctx;
}

void ptsel_ctx_destroy(struct ptsel_ctx *ctx)
{
	ptsel_radix_destroy(&ctx->radix);
	mutex_destroy(&ctx->lock);
	atomic_long_dec(&ptsel_nr_partitions);
	kfree(ctx);
}

int ptsel_ctx_map(struct ptsel_ctx *ctx, u64 addr, u64 target, u64 size,
		  u32 prot)
{
	int ret;

	mutex_lock(&ctx->lock);
	ret = ptsel_radix_map(&ctx->radix, addr, target, size, prot);
	mutex_unlock(&ctx->lock);
	return ret;
}

int ptsel_ctx_unmap(struct ptsel_ctx *ctx, u64 addr, u64 size)
{
	int ret;

	mutex_lock(&ctx->lock);
	ret = ptsel_radix_unmap(&ctx->radix, addr, size);
	mutex_unlock(&ctx->lock);
	return ret;
}

int ptsel_ctx_translate(struct ptsel_ctx *ctx, u64 addr,
			struct ptsel_xlate *out)
{
	int ret;

	memset(out, 0, sizeof(*out));
	rcu_read_lock();
	ret = ptsel_radix_translate(&ctx->radix, addr, out);
	rcu_read_unlock();
	trace_ptsel_walk(ctx->id, addr, ret, out->level, out->mem_refs);
	return ret;
}

static int __init ptsel_init(void)
{
	int ret;

	ret = ptsel_sysfs_init();
	if (ret)
		return ret;
	ret = ptsel_dev_init();
	if (ret)
		ptsel_sysfs_exit();
	return ret;
}

static void __exit ptsel_exit(void)
{
	ptsel_dev_exit();
	ptsel_sysfs_exit();
	/* Table pages still waiting for their grace period. */
	rcu_barrier();
}

module_init(ptsel_init);
module_exit(ptsel_exit);
MODULE_DESCRIPTION("Selectable address-translation engine");
MODULE_LICENSE("GPL");
