// SPDX-License-Identifier: GPL-2.0
/*
 * ptsel in-kernel benchmark (make bench loads it in the VM): lookups of
 * the same keys in the kernel's xarray and in ptsel, timed in the same
 * run, reported as ratios to the xarray, each side stated:
 *  - uncached against uncached: xa_load() from the root against a
 *    partition's radix or hashed walk from the root;
 *  - cached against cached: an xarray lookup that reuses the leaf node
 *    of the previous one when the index falls in it (xas_reload())
 *    against the radix format behind a 64-entry walk cache;
 *  - the walker (lock, TLB, walk cache, fill) against xa_load(), the
 *    target of an IOTLB: at most 1.5 times.
 * Each round runs every lookup once, in turn, and a ratio is the median
 * of the rounds' ratios, so that both sides see the host alike.
 * Then the cost of an unmap in a partition that one walker uses, with
 * 0 and with 63 walkers busy on 63 other partitions: invalidation is
 * scoped, so the ratio must stay near 1.
 * Loading it runs the benchmark and prints one "ptsel_bench:" line per
 * measurement; it then stays loaded doing nothing until removed.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/vmalloc.h>
#include <linux/xarray.h>

#include <memvirt/ptsel.h>

#include "ptsel_core.h"

static unsigned int nr_keys = 1 << 16;
module_param(nr_keys, uint, 0444);
MODULE_PARM_DESC(nr_keys, "4 KiB pages mapped (default 65536, at most 2^20)");

static unsigned int rounds = 9;
module_param(rounds, uint, 0444);
MODULE_PARM_DESC(rounds, "timed rounds per measurement; the median counts");

#define BASE	(1ULL << 32)

/* Keys are pages in a 4x larger range, so tables are 25% dense. */
static u64 key_addr(u32 k)
{
	return BASE + ((u64)k << PTSEL_SHIFT);
}

static u64 key_target(u64 addr)
{
	return (addr ^ 0x5a5a5000ULL) + (1ULL << 40);
}

struct bench {
	struct xarray xa;
	struct xa_state xas;	/* the cached xarray path */
	struct ptsel_partition *radix, *hash;
	struct ptsel_walker *walker;
	struct ptsel_radix core;	/* the bare format, with ... */
	struct ptsel_wcache wc;		/* ... a walk cache of its own */
	void *wc_mem;
	u64 *order;		/* addresses in lookup order */
	u32 n;
	u64 sink;
};

static int lookup_xa(struct bench *b, u64 a)
{
	void *v = xa_load(&b->xa, a >> PTSEL_SHIFT);

	b->sink += xa_to_value(v);
	return v ? 0 : -ENOENT;
}

/* Reuse the leaf node of the last lookup if @a's index falls in it. */
static int lookup_xa_cached(struct bench *b, u64 a)
{
	unsigned long idx = a >> PTSEL_SHIFT;
	void *v;

	if (b->xas.xa_node && !xas_invalid(&b->xas) &&
	    (b->xas.xa_index >> XA_CHUNK_SHIFT) == (idx >> XA_CHUNK_SHIFT)) {
		b->xas.xa_index = idx;
		v = xas_reload(&b->xas);
	} else {
		xas_set(&b->xas, idx);
		v = xas_load(&b->xas);
	}
	b->sink += xa_to_value(v);
	return v ? 0 : -ENOENT;
}

static int lookup_part(struct bench *b, struct ptsel_partition *p, u64 a)
{
	struct ptsel_xlate x;
	int ret = ptsel_partition_translate(p, a, &x);

	b->sink += x.target;
	return ret;
}

/* The radix format walked through a walk cache, no lock, no TLB. */
static int lookup_core_wc(struct bench *b, u64 a)
{
	struct ptsel_xlate x;
	int ret;

	ptsel_wc_walk_begin(&b->wc, 0);
	ret = ptsel_radix_translate_wc(&b->core, &b->wc, 1, 0, a, &x);
	b->sink += x.target;
	return ret;
}

static int lookup_walker(struct bench *b, u64 a)
{
	struct ptsel_xlate x;
	int ret = ptsel_walker_translate(b->walker, a, &x);

	b->sink += x.target;
	return ret;
}

enum what { XA, RADIX, HASH, XA_CACHED, CORE_WC, WALKER };

static int one(struct bench *b, enum what w, u64 a)
{
	switch (w) {
	case XA:	return lookup_xa(b, a);
	case XA_CACHED:	return lookup_xa_cached(b, a);
	case RADIX:	return lookup_part(b, b->radix, a);
	case HASH:	return lookup_part(b, b->hash, a);
	case CORE_WC:	return lookup_core_wc(b, a);
	default:	return lookup_walker(b, a);
	}
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/* One pass over the keys with @w: ns per lookup, in 1/1000 ns. */
static u64 pass(struct bench *b, enum what w, int *err)
{
	u64 start = ktime_get_ns();
	unsigned int i;

	rcu_read_lock();
	for (i = 0; i < b->n; i++)
		if (one(b, w, b->order[i]))
			*err = -EIO;
	rcu_read_unlock();
	return (ktime_get_ns() - start) * 1000 / b->n;
}

#define NR_WHAT	(WALKER + 1)

/*
 * @rounds rounds, each one pass of every lookup in turn, so that both
 * sides of every ratio ran at the same time: on a shared host, a side
 * timed a minute after the other sees another load. @t[w] gets the
 * median time of @w, @q[w] the median over the rounds of @w's time
 * divided by @base's in the same round, in 1/1000.
 */
static void measure(struct bench *b, enum what base_a, enum what base_b,
		    u64 *t, u64 *qa, u64 *qb, int *err)
{
	/* Too big for the stack; module init runs once at a time. */
	static u64 v[NR_WHAT][32], ra[NR_WHAT][32], rb[NR_WHAT][32];
	unsigned int r;
	enum what w;

	for (r = 0; r < rounds; r++) {
		for (w = XA; w < NR_WHAT; w++) {
			if (w == XA_CACHED)
				xas_set(&b->xas, 0);
			v[w][r] = pass(b, w, err);
		}
		for (w = XA; w < NR_WHAT; w++) {
			ra[w][r] = v[w][r] * 1000 / max(v[base_a][r], 1ULL);
			rb[w][r] = v[w][r] * 1000 / max(v[base_b][r], 1ULL);
		}
		cond_resched();
	}
	for (w = XA; w < NR_WHAT; w++) {
		sort(v[w], rounds, sizeof(u64), cmp_u64, NULL);
		sort(ra[w], rounds, sizeof(u64), cmp_u64, NULL);
		sort(rb[w], rounds, sizeof(u64), cmp_u64, NULL);
		t[w] = v[w][rounds / 2];
		qa[w] = ra[w][rounds / 2];
		qb[w] = rb[w][rounds / 2];
	}
}

static void ratio(const char *order, const char *what, u64 q,
		  const char *target, bool *met)
{
	pr_info("%s: %s = %llu.%02llu%s%s\n", order, what, q / 1000,
		q / 10 % 100, target ? target : "",
		!met ? "" : *met ? ": met" : ": NOT met");
}

/* Returns whether the walker met its target. */
static bool report(struct bench *b, const char *order)
{
	u64 t[NR_WHAT], qx[NR_WHAT], qc[NR_WHAT];
	bool met;
	int err = 0;

	measure(b, XA, XA_CACHED, t, qx, qc, &err);
	pr_info("%s, %u keys: xa_load %llu.%03llu ns/lookup (baseline), cached xarray path %llu.%03llu; ratios are medians of %u rounds' ratios\n",
		order, b->n, t[XA] / 1000, t[XA] % 1000, t[XA_CACHED] / 1000,
		t[XA_CACHED] % 1000, rounds);
	ratio(order, "uncached: partition radix walk / xa_load", qx[RADIX],
	      NULL, NULL);
	ratio(order, "uncached: partition hashed lookup / xa_load", qx[HASH],
	      NULL, NULL);
	ratio(order, "cached: radix + 64-entry walk cache / xarray with cached leaf node",
	      qc[CORE_WC], NULL, NULL);
	met = qx[WALKER] <= 1500;
	ratio(order, "walker (lock, TLB, walk cache) / xa_load", qx[WALKER],
	      " (target <= 1.50)", &met);
	ratio(order, "walker (lock, TLB, walk cache) / cached xarray path",
	      qc[WALKER], NULL, NULL);
	if (err)
		pr_err("%s: a lookup failed\n", order);
	return met && !err;
}

/*
 * Invalidation: a walker on its own partition, which maps and unmaps
 * one 4K page in a mapped 2M range; each unmap invalidates. Median ns
 * per map+unmap pair, with @nr_other walkers each switched to its own
 * partition and holding a full TLB and walk cache of it.
 */
#define INV_OTHERS	63
#define INV_PAIRS	512

struct inval {
	struct ptsel_partition *p[INV_OTHERS + 1];
	struct ptsel_walker *w[INV_OTHERS + 1];
};

static u64 inval_round(struct inval *iv, int *err)
{
	u64 t[32], a = BASE + 5 * PTSEL_PAGE_SIZE;
	struct ptsel_xlate x;
	unsigned int r, i;

	for (r = 0; r < rounds; r++) {
		u64 start = ktime_get_ns();

		for (i = 0; i < INV_PAIRS; i++) {
			if (ptsel_partition_map(iv->p[0], a, key_target(a),
						PTSEL_PAGE_SIZE, PTSEL_PROT_READ) ||
			    ptsel_walker_translate(iv->w[0], a, &x) ||
			    ptsel_partition_unmap(iv->p[0], a, PTSEL_PAGE_SIZE))
				*err = -EIO;
		}
		t[r] = (ktime_get_ns() - start) * 1000 / INV_PAIRS;
		cond_resched();
	}
	sort(t, rounds, sizeof(t[0]), cmp_u64, NULL);
	return t[rounds / 2];
}

/* Partition @i with 2M mapped but one page, and a walker that read it. */
static int inval_add(struct inval *iv, unsigned int i)
{
	struct ptsel_xlate x;
	u64 a;
	int ret;

	iv->p[i] = ptsel_partition_create(PTSEL_FORMAT_RADIX);
	if (IS_ERR(iv->p[i]))
		return PTR_ERR(iv->p[i]);
	iv->w[i] = ptsel_walker_create();
	if (IS_ERR(iv->w[i]))
		return PTR_ERR(iv->w[i]);
	ptsel_walker_switch(iv->w[i], iv->p[i]);
	for (a = BASE; a < BASE + (2ULL << 20); a += PTSEL_PAGE_SIZE) {
		if (a == BASE + 5 * PTSEL_PAGE_SIZE)
			continue;
		ret = ptsel_partition_map(iv->p[i], a, key_target(a),
					  PTSEL_PAGE_SIZE, PTSEL_PROT_READ);
		if (!ret)
			ret = ptsel_walker_translate(iv->w[i], a, &x);
		if (ret)
			return ret;
	}
	return 0;
}

static void inval_del(struct inval *iv, unsigned int i)
{
	if (!IS_ERR_OR_NULL(iv->w[i]))
		ptsel_walker_destroy(iv->w[i]);
	if (!IS_ERR_OR_NULL(iv->p[i]))
		ptsel_partition_put(iv->p[i]);
	iv->w[i] = NULL;
	iv->p[i] = NULL;
}

#define INV_TURNS	5

/*
 * Turns of: time alone, bring the 63 others up, time again, take them
 * down. The median of the turns' ratios cancels drifts of the host.
 */
static int bench_inval(void)
{
	struct inval *iv = kzalloc(sizeof(*iv), GFP_KERNEL);
	u64 alone[INV_TURNS], crowd[INV_TURNS], ratios[INV_TURNS], q;
	unsigned int i, k;
	int err = 0;
	bool met;

	if (!iv)
		return -ENOMEM;
	err = inval_add(iv, 0);
	for (k = 0; k < INV_TURNS && !err; k++) {
		alone[k] = inval_round(iv, &err);
		for (i = 1; i <= INV_OTHERS && !err; i++)
			err = inval_add(iv, i);
		if (err)
			break;
		crowd[k] = inval_round(iv, &err);
		for (i = 1; i <= INV_OTHERS; i++)
			inval_del(iv, i);
		ratios[k] = crowd[k] * 1000 / max(alone[k], 1ULL);
	}
	if (err)
		goto out;
	sort(alone, INV_TURNS, sizeof(alone[0]), cmp_u64, NULL);
	sort(crowd, INV_TURNS, sizeof(crowd[0]), cmp_u64, NULL);
	sort(ratios, INV_TURNS, sizeof(ratios[0]), cmp_u64, NULL);
	pr_info("invalidation: map+translate+unmap of a page one walker uses: %llu.%03llu ns with 0 other walkers, %llu.%03llu ns with %u on %u other partitions (medians of %u turns)\n",
		alone[INV_TURNS / 2] / 1000, alone[INV_TURNS / 2] % 1000,
		crowd[INV_TURNS / 2] / 1000, crowd[INV_TURNS / 2] % 1000,
		INV_OTHERS, INV_OTHERS, INV_TURNS);
	q = ratios[INV_TURNS / 2];
	met = q <= 1200;
	pr_info("invalidation: unmap cost with 63 unrelated walkers / with 0 = %llu.%02llu (median of the turns' ratios, %llu.%02llu to %llu.%02llu; target <= 1.20): %s\n",
		q / 1000, q / 10 % 100, ratios[0] / 1000, ratios[0] / 10 % 100,
		ratios[INV_TURNS - 1] / 1000, ratios[INV_TURNS - 1] / 10 % 100,
		met ? "met" : "NOT met");
out:
	for (i = 0; i <= INV_OTHERS; i++)
		inval_del(iv, i);
	kfree(iv);
	if (err)
		pr_err("invalidation benchmark failed: %d\n", err);
	return err;
}

static u64 *core_alloc(void *priv)
{
	return (u64 *)get_zeroed_page(GFP_KERNEL);
}

/* Tables go only at teardown, when no lookup runs. */
static void core_free(void *priv, u64 *table)
{
	free_page((unsigned long)table);
}

static const struct ptsel_table_ops core_ops = {
	.alloc = core_alloc,
	.free = core_free,
};

static int setup(struct bench *b)
{
	u32 i;
	int ret;

	ret = ptsel_radix_init(&b->core, 4, &core_ops, NULL);
	if (ret)
		return ret;
	b->wc_mem = kvzalloc(ptsel_wc_bytes(64), GFP_KERNEL);
	if (!b->wc_mem || ptsel_wc_init(&b->wc, b->wc_mem, 64, PTSEL_WC_CLOCK, true))
		return -ENOMEM;

	xa_init(&b->xa);
	b->xas = (struct xa_state)__XA_STATE(&b->xa, 0, 0, 0);
	b->radix = ptsel_partition_create(PTSEL_FORMAT_RADIX);
	b->hash = ptsel_partition_create(PTSEL_FORMAT_HASH);
	b->walker = ptsel_walker_create();
	b->order = vmalloc_array(b->n, sizeof(u64));
	if (IS_ERR(b->radix) || IS_ERR(b->hash) || IS_ERR(b->walker) || !b->order)
		return -ENOMEM;
	/* No limit of the knobs should stop a benchmark that fits memory. */
	ptsel_partition_set_limits(b->radix, 0, 0);
	ptsel_partition_set_limits(b->hash, 0, 0);
	ptsel_walker_switch(b->walker, b->radix);
	for (i = 0; i < b->n; i++) {
		u64 a = key_addr(get_random_u32_below(4 * b->n));

		/* Collisions just map fewer keys; all three see the same ones. */
		if (xa_load(&b->xa, a >> PTSEL_SHIFT))
			continue;
		ret = xa_err(xa_store(&b->xa, a >> PTSEL_SHIFT,
				      xa_mk_value(key_target(a)), GFP_KERNEL));
		if (!ret)
			ret = ptsel_partition_map(b->radix, a, key_target(a),
						  PTSEL_PAGE_SIZE, PTSEL_PROT_READ);
		if (!ret)
			ret = ptsel_partition_map(b->hash, a, key_target(a),
						  PTSEL_PAGE_SIZE, PTSEL_PROT_READ);
		if (!ret)
			ret = ptsel_radix_map(&b->core, a, key_target(a),
					      PTSEL_PAGE_SIZE, PTSEL_PROT_READ);
		if (ret)
			return ret;
	}
	return 0;
}

static void teardown(struct bench *b)
{
	if (!IS_ERR_OR_NULL(b->walker))
		ptsel_walker_destroy(b->walker);
	if (!IS_ERR_OR_NULL(b->radix))
		ptsel_partition_put(b->radix);
	if (!IS_ERR_OR_NULL(b->hash))
		ptsel_partition_put(b->hash);
	xa_destroy(&b->xa);
	vfree(b->order);
	if (b->core.root)
		ptsel_radix_destroy(&b->core);
	kvfree(b->wc_mem);
}

static int __init ptsel_bench_init(void)
{
	struct bench *b;
	unsigned long idx;
	bool met;
	void *v;
	u32 i = 0;
	int ret;

	if (!nr_keys || nr_keys > (1U << 20) || !rounds || rounds > 32)
		return -EINVAL;
	b = kzalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		return -ENOMEM;
	b->n = nr_keys;
	ret = setup(b);
	if (ret)
		goto out;
	/* Sequential: the keys in address order, as the xarray holds them. */
	xa_for_each(&b->xa, idx, v)
		b->order[i++] = (u64)idx << PTSEL_SHIFT;
	b->n = i;
	met = report(b, "sequential");
	/* Random: the same keys, shuffled. */
	for (i = b->n - 1; i > 0; i--)
		swap(b->order[i], b->order[get_random_u32_below(i + 1)]);
	met &= report(b, "random");
	pr_info("verdict: walker <= 1.5x xa_load, sequential and random: %s\n",
		met ? "met" : "NOT met");
	ret = bench_inval();
out:
	if (ret)
		pr_err("setup failed: %d\n", ret);
	teardown(b);
	kfree(b);
	return ret;
}

static void __exit ptsel_bench_exit(void)
{
}

module_init(ptsel_bench_init);
module_exit(ptsel_bench_exit);
MODULE_DESCRIPTION("ptsel lookups against the xarray, in the kernel");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(PTSEL);
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
