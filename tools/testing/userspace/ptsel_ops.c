// SPDX-License-Identifier: GPL-2.0
/*
 * Op decoder and reference model for the ptsel core (see ptsel_ops.h).
 * The checks walk the radix tables directly, through the entry layout
 * that radix.c shares in radix_entry.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/errno.h>

#include "radix_entry.h"
#include "ptsel_ops.h"

#define PG		PTSEL_PAGE_SIZE
#define WINDOW_PAGES	(1ULL << 20)	/* 4 GiB of input space */

/* Injected allocation failure: false once the countdown reaches 0. */
static bool ops_may_alloc(struct ops_env *env)
{
	if (env->fail_after == 0)
		return false;
	if (env->fail_after > 0)
		env->fail_after--;
	return true;
}

static u64 *ops_alloc(void *priv)
{
	struct ops_env *env = priv;
	void *t;

	if (!ops_may_alloc(env))
		return NULL;
	t = aligned_alloc(PG, PG);
	if (!t)
		return NULL;
	memset(t, 0, PG);
	env->live++;
	return t;
}

/* Returns true if @mem was parked for later. */
static bool ops_park(struct ops_env *env, void *mem)
{
	void **p;

	if (!env->defer_free)
		return false;
	/* Grow by doubling: whenever the count reaches a power of two. */
	if (!(env->nr_parked & (env->nr_parked - 1))) {
		p = realloc(env->parked, 2 * (env->nr_parked + 1) * sizeof(*p));
		CHECK(p, "out of memory parking a table");
		env->parked = p;
	}
	env->parked[env->nr_parked++] = mem;
	return true;
}

static void ops_free(void *priv, u64 *t)
{
	struct ops_env *env = priv;

	env->live--;
	if (ops_park(env, t))
		return;
	/* Poison: a walker that still used this table would go astray. */
	memset(t, 0xa5, PG);
	free(t);
}

const struct ptsel_table_ops ops_table_ops = {
	.alloc = ops_alloc,
	.free = ops_free,
};

/* Hashed tables: @live counts generations, like radix counts tables. */
static void *ops_hash_alloc(void *priv, size_t bytes)
{
	struct ops_env *env = priv;
	void *t;

	if (!ops_may_alloc(env))
		return NULL;
	/* Line aligned, as the kernel's page-aligned memory is. */
	bytes = (bytes + PTSEL_HLINE_BYTES - 1) & ~(size_t)(PTSEL_HLINE_BYTES - 1);
	t = aligned_alloc(PTSEL_HLINE_BYTES, bytes);
	if (!t)
		return NULL;
	memset(t, 0, bytes);
	env->live++;
	return t;
}

static void ops_hash_free(void *priv, void *mem, size_t bytes)
{
	struct ops_env *env = priv;

	env->live--;
	if (ops_park(env, mem))
		return;
	memset(mem, 0xa5, bytes);
	free(mem);
}

const struct ptsel_hash_ops ops_hash_ops = {
	.alloc = ops_hash_alloc,
	.free = ops_hash_free,
};

int ops_env_init(struct ops_env *env, enum ops_fmt fmt, unsigned int levels,
		 u64 base)
{
	memset(env, 0, sizeof(*env));
	env->fmt = fmt;
	env->fail_after = -1;
	env->base = base;
	env->window = WINDOW_PAGES * PG;
	if (fmt == OPS_HASH)
		return ptsel_hash_init(&env->h, PTSEL_HASH_MIN_ORDER,
				       1ULL << (12 + 9 * levels), &ops_hash_ops, env);
	return ptsel_radix_init(&env->r, levels, &ops_table_ops, env);
}

void ops_env_fini(struct ops_env *env)
{
	unsigned long i;

	if (env->fmt == OPS_HASH)
		ptsel_hash_destroy(&env->h);
	else
		ptsel_radix_destroy(&env->r);
	CHECK(env->live == 0, "%lu tables leaked", env->live);
	for (i = 0; i < env->nr_parked; i++)
		free(env->parked[i]);
	free(env->parked);
	env->parked = NULL;
	env->nr_parked = 0;
}

int ops_map(struct ops_env *env, u64 addr, u64 target, u64 size, u32 prot)
{
	if (env->fmt == OPS_HASH)
		return ptsel_hash_map(&env->h, addr, target, size, prot);
	return ptsel_radix_map(&env->r, addr, target, size, prot);
}

int ops_unmap(struct ops_env *env, u64 addr, u64 size)
{
	if (env->fmt == OPS_HASH)
		return ptsel_hash_unmap(&env->h, addr, size);
	return ptsel_radix_unmap(&env->r, addr, size);
}

int ops_translate(struct ops_env *env, u64 addr, struct ptsel_xlate *out)
{
	if (env->fmt == OPS_HASH)
		return ptsel_hash_translate(&env->h, addr, out);
	return ptsel_radix_translate(&env->r, addr, out);
}

int ops_protect(struct ops_env *env, u64 addr, u64 size, u32 prot)
{
	if (env->fmt == OPS_HASH)
		return ptsel_hash_protect(&env->h, addr, size, prot);
	return ptsel_radix_protect(&env->r, addr, size, prot);
}

int ops_leaves(struct ops_env *env, u64 start, u64 end, ptsel_leaf_fn fn,
	       void *priv)
{
	if (env->fmt == OPS_HASH)
		return ptsel_hash_walk_leaves(&env->h, start, end, fn, priv);
	return ptsel_radix_walk_leaves(&env->r, start, end, fn, priv);
}

static const struct ptsel_ext *model_find(const struct ops_env *env, u64 a)
{
	return ptsel_ext_find(env->ext, env->n_ext, a);
}

static bool model_overlaps(const struct ops_env *env, u64 s, u64 e)
{
	unsigned int i;

	for (i = 0; i < env->n_ext; i++)
		if (s < env->ext[i].end && env->ext[i].start < e)
			return true;
	return false;
}

static void model_remove(struct ops_env *env, u64 s, u64 e)
{
	ptsel_ext_remove(env->ext, &env->n_ext, s, e);
}

/* Give every mapped part of [s, e) protection @prot. */
static void model_protect(struct ops_env *env, u64 s, u64 e, u32 prot)
{
	struct ptsel_ext in[OPS_MAX_EXT];
	unsigned int i, n = ptsel_ext_clip(env->ext, env->n_ext, s, e, in);

	for (i = 0; i < n; i++)
		in[i].prot = prot;
	model_remove(env, s, e);
	for (i = 0; i < n; i++)
		env->ext[env->n_ext++] = in[i];
}

/* Bytes of [s, e) that the model maps. */
static u64 model_bytes(const struct ops_env *env, u64 s, u64 e)
{
	return ptsel_ext_bytes(env->ext, env->n_ext, s, e);
}

static void check_addr(struct ops_env *env, u64 a)
{
	const struct ptsel_ext *x = model_find(env, a);
	struct ptsel_xlate out;
	int ret = ops_translate(env, a, &out);

	if (!x) {
		CHECK(ret == -ENOENT, "addr %#llx: ret %d, model unmapped",
		      (unsigned long long)a, ret);
		return;
	}
	CHECK(ret == 0, "addr %#llx: ret %d, model mapped", (unsigned long long)a, ret);
	CHECK(out.target == x->target + (a - x->start),
	      "addr %#llx: target %#llx, model %#llx", (unsigned long long)a,
	      (unsigned long long)out.target,
	      (unsigned long long)(x->target + (a - x->start)));
	CHECK(out.prot == x->prot, "addr %#llx: prot %u, model %u",
	      (unsigned long long)a, out.prot, x->prot);
	if (env->fmt == OPS_RADIX)
		CHECK(out.mem_refs == env->r.levels - out.level,
		      "addr %#llx: %u refs at level %u", (unsigned long long)a,
		      out.mem_refs, out.level);
}

static bool table_empty(const u64 *t)
{
	unsigned int i;

	for (i = 0; i < PTSEL_ENTRIES; i++)
		if (t[i] & E_PRESENT)
			return false;
	return true;
}

/* Tables below @t: none but the root may be empty; count them. */
static unsigned long walk_tables(const u64 *t, unsigned int level, bool root)
{
	unsigned long n = 1;
	unsigned int i;

	CHECK(root || !table_empty(t), "empty table at level %u", level);
	for (i = 0; i < PTSEL_ENTRIES; i++) {
		u64 e = t[i];

		if (!(e & E_PRESENT))
			continue;
		CHECK(level <= PTSEL_MAX_LEAF_LEVEL || !(e & E_LEAF),
		      "leaf at level %u", level);
		if (e & E_LEAF)
			continue;
		CHECK(level > 0, "table entry at level 0");
		n += walk_tables(entry_table(e), level - 1, false);
	}
	return n;
}

struct leaf_list {
	struct ptsel_leaf *v;
	unsigned long n, cap;
	unsigned long stop_at;	/* return 1 from the n-th call; 0 never */
};

static int leaf_collect(void *priv, const struct ptsel_leaf *leaf)
{
	struct leaf_list *l = priv;

	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		CHECK(l->v, "out of memory collecting leaves");
	}
	l->v[l->n++] = *leaf;
	return l->n == l->stop_at;
}

static int leaf_cmp(const void *a, const void *b)
{
	const struct ptsel_leaf *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static int ext_cmp(const void *a, const void *b)
{
	const struct ptsel_ext *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* The extent of @sorted (by start, disjoint) that holds @a, or NULL. */
static const struct ptsel_ext *sorted_find(const struct ptsel_ext *sorted,
					 unsigned int n, u64 a)
{
	unsigned int lo = 0, hi = n;

	while (lo < hi) {
		unsigned int mid = (lo + hi) / 2;

		if (sorted[mid].end <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && sorted[lo].start <= a ? &sorted[lo] : NULL;
}

/*
 * The leaves that the table enumerates for [s, e), clipped to it, are
 * disjoint, well formed, agree with the model at every byte and cover
 * all it maps there. Then the walk again, stopped after @stop leaves.
 */
static void check_leaves(struct ops_env *env, u64 s, u64 e, unsigned long stop)
{
	struct leaf_list l = { 0 };
	u64 covered = 0, prev_end = 0;
	struct ptsel_ext sorted[OPS_MAX_EXT];
	unsigned long i;
	int ret;

	memcpy(sorted, env->ext, env->n_ext * sizeof(*sorted));
	qsort(sorted, env->n_ext, sizeof(*sorted), ext_cmp);
	ret = ops_leaves(env, s, e, leaf_collect, &l);
	CHECK(ret == 0, "walk_leaves: %d", ret);
	if (env->fmt == OPS_HASH && l.n)
		qsort(l.v, l.n, sizeof(*l.v), leaf_cmp);
	for (i = 0; i < l.n; i++) {
		const struct ptsel_leaf *f = &l.v[i];
		u64 lo = f->addr > s ? f->addr : s;
		u64 hi = f->addr + f->size < e ? f->addr + f->size : e;
		u64 a;

		CHECK(f->size == PG || f->size == PG << 9 || f->size == PG << 18,
		      "leaf %#llx: size %#llx", (unsigned long long)f->addr,
		      (unsigned long long)f->size);
		CHECK(!((f->addr | f->target) & (f->size - 1)),
		      "leaf %#llx -> %#llx misaligned", (unsigned long long)f->addr,
		      (unsigned long long)f->target);
		CHECK(lo < hi, "leaf %#llx outside [%#llx, %#llx)",
		      (unsigned long long)f->addr, (unsigned long long)s,
		      (unsigned long long)e);
		CHECK(!i || f->addr >= prev_end, "leaf %#llx overlaps or out of order",
		      (unsigned long long)f->addr);
		prev_end = f->addr + f->size;
		for (a = lo; a < hi; ) {
			const struct ptsel_ext *x = sorted_find(sorted, env->n_ext, a);

			CHECK(x, "leaf %#llx: %#llx not in the model",
			      (unsigned long long)f->addr, (unsigned long long)a);
			CHECK(x->target + (a - x->start) == f->target + (a - f->addr) &&
			      x->prot == f->prot, "leaf %#llx differs from the model at %#llx",
			      (unsigned long long)f->addr, (unsigned long long)a);
			a = x->end < hi ? x->end : hi;
		}
		covered += hi - lo;
	}
	CHECK(covered == model_bytes(env, s, e),
	      "leaves cover %#llx bytes of [%#llx, %#llx), the model %#llx",
	      (unsigned long long)covered, (unsigned long long)s,
	      (unsigned long long)e, (unsigned long long)model_bytes(env, s, e));

	/* Stopped early: exactly @stop calls, and their non-zero return. */
	i = l.n;
	l.n = 0;
	l.stop_at = stop;
	ret = stop ? ops_leaves(env, s, e, leaf_collect, &l) : 0;
	CHECK(!stop || (ret == (i >= stop) && l.n == (i >= stop ? stop : i)),
	      "stop after %lu of %lu leaves: ret %d, %lu calls", stop, i, ret, l.n);
	free(l.v);
}

void ops_check(struct ops_env *env)
{
	unsigned int i;

	if (env->fmt == OPS_HASH) {
		CHECK(env->live == 1, "%lu hashed generations live", env->live);
		ops_check_hash(&env->h);
	} else {
		CHECK(env->r.nr_tables == env->live, "nr_tables %lu, live %lu",
		      env->r.nr_tables, env->live);
		CHECK(walk_tables(env->r.root, env->r.levels - 1, true) == env->live,
		      "reachable tables differ from live ones");
	}
	for (i = 0; i < env->n_ext; i++) {
		const struct ptsel_ext *x = &env->ext[i];

		check_addr(env, x->start);
		check_addr(env, x->end - 1);
		check_addr(env, x->start + ((x->end - x->start) / 2 & ~7ULL));
		if (x->start > env->base)
			check_addr(env, x->start - 1);
		if (x->end < env->base + env->window)
			check_addr(env, x->end);
	}
	check_leaves(env, env->base, env->base + env->window, 0);
}

/* Did an update that returned @ret go through? -ENOMEM must be injected. */
static bool update_ok(struct ops_env *env, int ret, const char *what)
{
	if (ret == -ENOMEM) {
		CHECK(env->fail_after == 0, "%s: ENOMEM without injection", what);
		env->enomem++;
		return false;
	}
	CHECK(ret == 0, "%s: %d", what, ret);
	return true;
}

static u64 get_u32(const uint8_t *p)
{
	return (u64)p[0] | (u64)p[1] << 8 | (u64)p[2] << 16 | (u64)p[3] << 24;
}

/*
 * Op layout: one header byte, then three little-endian u32 fields.
 *   header bits 0-1: 0 map, 1 unmap, 2 translate, 3 fail the n-th next
 *                    table allocation (n = field A % 8); with bit 7
 *                    set, 0 is protect and 1 enumerates the leaves of
 *                    the range (and once more, stopped after C % 8 + 1 leaves)
 *   header bits 2-3: alignment of addresses and sizes: 4K, 2M, 1G, 4K
 *   header bits 4-6: map prot (READ always added); protect prot, where
 *                    0 stands for a prot without READ (-EINVAL)
 *   A: input page within the window, B: page count, C: target page
 */
size_t ops_step(struct ops_env *env, const uint8_t *buf, size_t len)
{
	static const u64 align_pages[4] = { 1, 512, 512 * 512, 1 };
	u64 a, n, t, al, s, e;
	unsigned int op;
	int ret;

	if (len < 13)
		return 0;
	op = (buf[0] & 3) | ((buf[0] >> 5) & 4);
	al = align_pages[(buf[0] >> 2) & 3];
	a = get_u32(buf + 1) % WINDOW_PAGES / al * al;
	n = (get_u32(buf + 5) % (WINDOW_PAGES / 8) + al) / al * al;
	t = get_u32(buf + 9) / al * al;
	if (a + n > WINDOW_PAGES)
		n = (WINDOW_PAGES - a) / al * al;
	s = env->base + a * PG;
	e = s + n * PG;
	env->ops++;

	switch (op) {
	case 0: {
		u32 prot = (((buf[0] >> 4) & 7) | PTSEL_PROT_READ) & PTSEL_PROT_MASK;
		bool busy;

		if (!n || env->n_ext >= OPS_MAX_EXT - 1)
			break;
		busy = model_overlaps(env, s, e);
		ret = ops_map(env, s, t * PG, n * PG, prot);
		env->maps++;
		if (busy)
			CHECK(ret == -EEXIST, "map over mapped range: %d", ret);
		else if (update_ok(env, ret, "map"))
			env->ext[env->n_ext++] = (struct ptsel_ext){ s, e, t * PG, prot };
		break;
	}
	case 1:
		if (!n || env->n_ext >= OPS_MAX_EXT - 1)
			break;
		ret = ops_unmap(env, s, n * PG);
		env->unmaps++;
		if (update_ok(env, ret, "unmap"))
			model_remove(env, s, e);
		break;
	case 4: {
		u32 prot = (buf[0] >> 4) & 7;

		if (!n || env->n_ext >= OPS_MAX_EXT - 3)
			break;
		prot = prot ? (prot | PTSEL_PROT_READ) & PTSEL_PROT_MASK : 0;
		ret = ops_protect(env, s, n * PG, prot);
		env->protects++;
		if (!prot)
			CHECK(ret == -EINVAL, "protect without READ: %d", ret);
		else if (update_ok(env, ret, "protect"))
			model_protect(env, s, e, prot);
		/* Unchanged after a failure, changed after a success. */
		check_addr(env, s);
		check_addr(env, e - 1);
		break;
	}
	case 5:
		if (!n)
			break;
		env->walks++;
		check_leaves(env, s, e, get_u32(buf + 9) % 8 + 1);
		break;
	case 2:
	case 6:
		env->xlates++;
		check_addr(env, env->base + a * PG + (get_u32(buf + 9) & (PG - 1)));
		break;
	case 3:
	case 7:
		env->fail_after = get_u32(buf + 1) % 8;
		break;
	}
	if ((op & 3) != 3 && env->fail_after == 0)
		env->fail_after = -1;
	if (env->fmt == OPS_RADIX)
		CHECK(env->r.nr_tables == env->live, "nr_tables %lu, live %lu",
		      env->r.nr_tables, env->live);
	else
		CHECK(env->live == 1, "%lu hashed generations live", env->live);
	return 13;
}
