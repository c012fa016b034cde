// SPDX-License-Identifier: GPL-2.0
/*
 * ptsel partition model test (see part_model.h).
 *
 * Each operation is decoded from PM_OP_BYTES bytes, so that a random
 * generator and a fuzzer can drive the same code. The model predicts
 * the return value of every call; a call that fails (an injected
 * allocation failure, or an expected error) must leave every
 * translation and counter as it was, and the model is then left alone.
 * After every step the model checks, through every walker switched to
 * the partition and through ptsel_partition_translate(), the addresses
 * around the operation's range and the extents near it, a few random
 * ones, and the counters; after an injected failure, a change of the
 * default format and every 64 steps, all extents and regions.
 *
 * Before an update the walkers translate a few addresses of its range,
 * so that their TLBs and walk caches hold what the update changes: a
 * missing invalidation then shows as a walker that disagrees.
 */
#include <linux/bits.h>
#include <linux/err.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/ptsel.h>

#include "part_model.h"

#define PG		(1ULL << 12)
#define SZ_2M		(1ULL << 21)
#define SZ_1G		(1ULL << 30)
#define PM_WINDOW	(8ULL << 30)
#define PM_SPACE	(1ULL << 48)	/* input space of a partition */
#define PM_TARGETS	(1ULL << 40)	/* output addresses used */
#define PM_FULL_EVERY	64

const char * const pm_op_name[PM_NR_OPS] = {
	[PM_MAP] = "map", [PM_UNMAP] = "unmap", [PM_PROTECT] = "protect",
	[PM_REMAP] = "remap", [PM_REGION] = "region", [PM_DEFAULT] = "default",
	[PM_CONVERT] = "convert", [PM_LOOKUP] = "lookup", [PM_SWITCH] = "switch",
	[PM_LIMIT] = "limit",
};

const u64 pm_window[PM_WINDOWS] = {
	0,				/* low */
	(1ULL << 39) - (4ULL << 30),	/* across a top-level radix entry */
	PM_SPACE - PM_WINDOW,		/* right below the limit */
	37ULL << 30,			/* 1G aligned, not 512G: 1G leaves */
};

#define pm_fail(m, fmt, ...) do {					\
	snprintf((m)->msg, sizeof((m)->msg), "step %lu (%s): " fmt,	\
		 (m)->steps, (m)->desc, ##__VA_ARGS__);			\
	pm_report(m);							\
} while (0)

static void pm_report(struct pm *m)
{
	if (m->failed)
		return;
	m->failed = true;
	m->hooks->report(m->hooks->priv, m->msg);
}

/* splitmix64: the same numbers in the kernel and in userspace. */
static u64 splitmix64(u64 *state)
{
	u64 z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Picks the checked addresses, reproducibly. */
static u64 pm_rand(struct pm *m)
{
	return splitmix64(&m->rng);
}

/**
 * pm_random_op() - the next operation of a seeded random run
 * @state: generator state, the seed at first
 * @op: filled in
 */
void pm_random_op(u64 *state, u8 op[PM_OP_BYTES])
{
	unsigned int i;

	for (i = 0; i < PM_OP_BYTES; i += 8) {
		u64 v = splitmix64(state);

		memcpy(op + i, &v, 8);
	}
}

static u64 get32(const u8 *p)
{
	return (u64)p[0] | (u64)p[1] << 8 | (u64)p[2] << 16 | (u64)p[3] << 24;
}

static u64 wend(const struct pm *m)
{
	return m->base + PM_WINDOW;
}

/* The model: disjoint extents, in no particular order. */

static const struct ptsel_ext *model_find(const struct pm_part *pp, u64 a)
{
	return ptsel_ext_find(pp->ext, pp->n_ext, a);
}

static u64 model_bytes(const struct pm_part *pp, u64 s, u64 e)
{
	return ptsel_ext_bytes(pp->ext, pp->n_ext, s, e);
}

static void model_remove(struct pm_part *pp, u64 s, u64 e)
{
	ptsel_ext_remove(pp->ext, &pp->n_ext, s, e);
}

/*
 * Rewrite the mapped parts of [s, e): a new protection (@prot non-zero)
 * or, for a remap, the target @t + offset in the range.
 */
static void model_rewrite(struct pm *m, struct pm_part *pp, u64 s, u64 e,
			  u32 prot, bool remap, u64 t)
{
	struct ptsel_ext *in = m->scratch;
	unsigned int i, n = ptsel_ext_clip(pp->ext, pp->n_ext, s, e, in);

	for (i = 0; i < n; i++) {
		if (remap)
			in[i].target = t + (in[i].start - s);
		else
			in[i].prot = prot;
	}
	model_remove(pp, s, e);
	for (i = 0; i < n; i++)
		pp->ext[pp->n_ext++] = in[i];
}

/* Regions: sorted by base, as the partition keeps them. */

static int region_find(const struct pm_part *pp, u64 base, u64 size)
{
	unsigned int i;

	for (i = 0; i < pp->n_reg; i++) {
		const struct pm_region *r = &pp->reg[i];

		if (r->base == base && r->size == size)
			return i;
		if (r->base < base + size && base < r->base + r->size)
			return -EBUSY;
	}
	return -ENOENT;
}

/* The format that translates @a. */
static u32 model_format(const struct pm_part *pp, u64 a)
{
	unsigned int i;

	for (i = 0; i < pp->n_reg; i++)
		if (a >= pp->reg[i].base && a - pp->reg[i].base < pp->reg[i].size)
			return pp->reg[i].format;
	return pp->dflt;
}

/* Expected result of declaring (@format != 0) or dropping a region. */
static int region_want(const struct pm_part *pp, u64 base, u64 size, u32 format)
{
	int i = region_find(pp, base, size);

	if (i == -ENOENT && format)
		return pp->n_reg == PTSEL_MAX_REGIONS ? -ENOSPC : 0;
	return i < 0 ? i : 0;
}

static void region_apply(struct pm_part *pp, u64 base, u64 size, u32 format)
{
	int i = region_find(pp, base, size);
	unsigned int j;

	if (i >= 0 && format) {
		pp->reg[i].format = format;
	} else if (i >= 0) {
		for (j = i; j + 1 < pp->n_reg; j++)
			pp->reg[j] = pp->reg[j + 1];
		pp->n_reg--;
	} else {
		for (j = pp->n_reg; j > 0 && pp->reg[j - 1].base > base; j--)
			pp->reg[j] = pp->reg[j - 1];
		pp->reg[j] = (struct pm_region){ base, size, format };
		pp->n_reg++;
	}
}

/* Checks */

static bool xlate_ok(struct pm *m, const char *who, unsigned int pi, u64 a,
		     int ret, const struct ptsel_xlate *out)
{
	const struct ptsel_ext *x = model_find(&m->part[pi], a);

	if (!x) {
		if (ret != -ENOENT)
			pm_fail(m, "P%u %s %#llx: ret %d target %#llx, model: unmapped",
				pi, who, a, ret, out->target);
		return ret == -ENOENT;
	}
	if (ret || out->target != x->target + (a - x->start) ||
	    out->prot != x->prot) {
		pm_fail(m, "P%u %s %#llx: ret %d target %#llx prot %u, model: %#llx prot %u (extent [%#llx, %#llx))",
			pi, who, a, ret, out->target, out->prot,
			x->target + (a - x->start), x->prot, x->start, x->end);
		return false;
	}
	return true;
}

/* @a through every walker on partition @pi, then uncached. */
static void check_addr(struct pm *m, unsigned int pi, u64 a)
{
	struct ptsel_xlate out;
	unsigned int w;
	int ret;

	a &= ~(PG - 1);
	if (m->failed || a < m->base || a >= wend(m))
		return;
	a += pm_rand(m) & (PG - 1);
	for (w = 0; w < PM_WALKERS; w++) {
		if (m->wpart[w] != pi)
			continue;
		ret = ptsel_walker_translate(m->w[w], a, &out);
		if (!xlate_ok(m, w == PM_WALKERS - 1 ? "roaming walker" : "walker",
			      pi, a, ret, &out))
			return;
	}
	ret = ptsel_partition_translate(m->part[pi].p, a, &out);
	xlate_ok(m, "partition", pi, a, ret, &out);
}

/* The edges of [s, e) and their neighbours, and its middle. */
static void check_range(struct pm *m, unsigned int pi, u64 s, u64 e)
{
	check_addr(m, pi, s - PG);
	check_addr(m, pi, s);
	check_addr(m, pi, s + ((e - s) / 2 & ~(PG - 1)));
	check_addr(m, pi, e - PG);
	check_addr(m, pi, e);
}

static void check_counters(struct pm *m, unsigned int pi)
{
	struct pm_part *pp = &m->part[pi];
	struct ptsel_partition_stats st;
	u64 pages = model_bytes(pp, 0, PM_SPACE) / PG;

	ptsel_partition_stats(pp->p, &st);
	if (st.mapped_pages != pages)
		pm_fail(m, "P%u mapped_pages %llu, model %llu", pi, st.mapped_pages,
			pages);
	else if (st.regions != pp->n_reg)
		pm_fail(m, "P%u regions %llu, model %u", pi, st.regions, pp->n_reg);
}

/* After an update of [s, e): what is near it, a few others, counters. */
static void check_step(struct pm *m, unsigned int pi, u64 s, u64 e)
{
	struct pm_part *pp = &m->part[pi];
	u64 lo = s > SZ_2M ? s - SZ_2M : 0, hi = e + SZ_2M;
	unsigned int i, n = 0;

	if (e > s)
		check_range(m, pi, s, e);
	for (i = 0; i < pp->n_ext && n < 16; i++) {
		const struct ptsel_ext *x = &pp->ext[i];

		if (x->end <= lo || hi <= x->start)
			continue;
		check_range(m, pi, x->start, x->end);
		n++;
	}
	for (i = 0; i < 4 && pp->n_ext; i++) {
		const struct ptsel_ext *x = &pp->ext[pm_rand(m) % pp->n_ext];

		check_addr(m, pi, x->start + pm_rand(m) % (x->end - x->start));
	}
	check_addr(m, pi, m->base + (pm_rand(m) % PM_WINDOW & ~(PG - 1)));
	if (!m->failed)
		check_counters(m, pi);
}

static void check_part(struct pm *m, unsigned int pi)
{
	struct pm_part *pp = &m->part[pi];
	unsigned int i;

	for (i = 0; i < pp->n_ext; i++)
		check_range(m, pi, pp->ext[i].start, pp->ext[i].end);
	for (i = 0; i < pp->n_reg; i++)
		check_range(m, pi, pp->reg[i].base, pp->reg[i].base + pp->reg[i].size);
	if (!m->failed)
		check_counters(m, pi);
}

/**
 * pm_check_all() - check every extent and region of every partition
 * @m: the run
 *
 * Return: true if all agree with the model.
 */
bool pm_check_all(struct pm *m)
{
	unsigned int pi;

	for (pi = 0; pi < PM_PARTS; pi++)
		check_part(m, pi);
	return !m->failed;
}

/* Let the walkers on @pi cache the translations of [s, e) first. */
static void prime(struct pm *m, unsigned int pi, u64 s, u64 e)
{
	struct ptsel_xlate out;
	unsigned int w;

	for (w = 0; w < PM_WALKERS; w++) {
		if (m->wpart[w] != pi)
			continue;
		ptsel_walker_translate(m->w[w], s, &out);
		ptsel_walker_translate(m->w[w], s + ((e - s) / 2 & ~(PG - 1)), &out);
		ptsel_walker_translate(m->w[w], e - PG, &out);
	}
}

/* Failure injection for one operation */

static void inject(struct pm *m, unsigned int pi, u8 b)
{
	struct pm_part *pp = &m->part[pi];
	struct ptsel_partition_stats st;
	int n = b & 7;

	/* One operation in four. */
	if ((b & 0xc0) != 0xc0)
		return;
	m->injected = true;
	if ((b & 8) && m->hooks->fail_allocs) {
		m->hooks->fail_allocs(m->hooks->priv, n);
		return;
	}
	/* Room for @n more pages of tables, then -ENOMEM. */
	ptsel_partition_stats(pp->p, &st);
	ptsel_partition_set_limits(pp->p, DIV_ROUND_UP(st.table_bytes, PG) + n,
				   pp->mapped_limit);
}

static void uninject(struct pm *m, unsigned int pi)
{
	if (!m->injected)
		return;
	if (m->hooks->fail_allocs)
		m->hooks->fail_allocs(m->hooks->priv, -1);
	/* Back to the knob, as before the injection. */
	ptsel_partition_set_limits(m->part[pi].p, PTSEL_LIMIT_KNOB,
				   m->part[pi].mapped_limit);
}

/*
 * Compare @ret with the expected @want; -ENOMEM is fine while failures
 * are injected. Return: true if the call went through (model to update).
 */
static bool result(struct pm *m, enum pm_op op, int ret, int want)
{
	m->ops[op]++;
	m->refused = ret != 0;
	if (ret == -ENOMEM && m->injected) {
		m->enomem[op]++;
		return false;
	}
	if (ret != want) {
		pm_fail(m, "returned %d, expected %d%s", ret, want,
			m->injected ? " or -ENOMEM" : "");
		return false;
	}
	if (!ret)
		m->ok[op]++;
	return !ret;
}

/* Operation decoding */

struct pm_args {
	unsigned int pi;
	u64 al, s, e, t;
	u32 prot;
};

/* Address anchored to an extent or region edge, or anywhere. */
static u64 pick_addr(struct pm *m, const struct pm_part *pp, const u8 *op, u64 al)
{
	unsigned int anchor = (op[1] >> 3) & 3;
	u64 a = get32(op + 2), edge;

	if (anchor == 2 && pp->n_ext) {
		const struct ptsel_ext *x = &pp->ext[a % pp->n_ext];

		edge = (a & BIT(20)) ? x->end : x->start;
	} else if (anchor == 3 && pp->n_reg) {
		const struct pm_region *r = &pp->reg[a % pp->n_reg];

		edge = (a & BIT(20)) ? r->base + r->size : r->base;
	} else {
		return m->base + (a * PG) % PM_WINDOW / al * al;
	}
	/* At the edge, or a little either side of it. */
	edge = edge / al * al;
	if (a & BIT(21))
		edge += (a & BIT(22)) ? al : -al;
	if (edge < m->base || edge >= wend(m))
		edge = m->base;
	return edge;
}

static void decode(struct pm *m, const u8 *op, struct pm_args *r)
{
	/* Mostly 4K, often 2M, seldom 1G: large hashed spans are slow. */
	static const u64 aligns[8] = { PG, SZ_2M, PG, SZ_2M, PG, SZ_2M, PG, SZ_1G };
	struct pm_part *pp;
	u64 n, b = get32(op + 6), c = get32(op + 10);

	r->pi = op[1] & 1;
	pp = &m->part[r->pi];
	r->al = aligns[((op[1] >> 1) & 3) | ((op[0] & 0x80) >> 5)];
	if (r->al == PG)
		n = 1 + b % ((b & BIT(16)) ? 1024 : 32);
	else if (r->al == SZ_2M)
		n = 1 + b % 4;
	else
		n = 1 + b % 2;
	r->s = pick_addr(m, pp, op, r->al);
	r->e = min(r->s + n * r->al, wend(m));
	/* Targets aligned like the range, or 4K aligned for small ranges. */
	r->t = c * r->al % PM_TARGETS;
	if ((op[14] & 0x80) && r->e - r->s <= 2 * SZ_2M)
		r->t = (c * PG + r->t) % PM_TARGETS & ~(PG - 1);
	r->prot = (op[14] & PTSEL_PROT_MASK) | PTSEL_PROT_READ;
	if ((op[14] & 0x78) == 0x78)
		r->prot = op[14] & (PTSEL_PROT_MASK & ~PTSEL_PROT_READ);
}

static void describe(struct pm *m, enum pm_op op, const struct pm_args *r,
		     const char *extra)
{
	snprintf(m->desc, sizeof(m->desc),
		 "P%u %s [%#llx, %#llx) t %#llx prot %u%s%s", r->pi,
		 pm_op_name[op], r->s, r->e, r->t, r->prot, extra,
		 m->injected ? " with failures injected" : "");
}

static void op_map(struct pm *m, struct pm_args *r)
{
	struct pm_part *pp = &m->part[r->pi];
	u64 pages = (r->e - r->s) / PG, mapped = model_bytes(pp, 0, PM_SPACE) / PG;
	bool busy = model_bytes(pp, r->s, r->e);
	bool full = pp->mapped_limit && mapped + pages > pp->mapped_limit;
	int ret, want = 0;

	describe(m, PM_MAP, r, "");
	if (!(r->prot & PTSEL_PROT_READ))
		want = -EINVAL;
	else if (full)
		want = -ENOSPC;
	else if (busy)
		want = -EEXIST;
	ret = ptsel_partition_map(pp->p, r->s, r->t, r->e - r->s, r->prot);
	/* Both full and busy: either error will do. */
	if (full && busy && ret == -EEXIST)
		want = ret;
	if (result(m, PM_MAP, ret, want))
		pp->ext[pp->n_ext++] = (struct ptsel_ext){ r->s, r->e, r->t, r->prot };
}

static void op_unmap(struct pm *m, struct pm_args *r)
{
	struct pm_part *pp = &m->part[r->pi];

	describe(m, PM_UNMAP, r, "");
	prime(m, r->pi, r->s, r->e);
	if (result(m, PM_UNMAP, ptsel_partition_unmap(pp->p, r->s, r->e - r->s), 0))
		model_remove(pp, r->s, r->e);
}

static void op_protect(struct pm *m, struct pm_args *r)
{
	struct pm_part *pp = &m->part[r->pi];
	int ret, want = r->prot & PTSEL_PROT_READ ? 0 : -EINVAL;

	describe(m, PM_PROTECT, r, "");
	prime(m, r->pi, r->s, r->e);
	ret = ptsel_partition_protect(pp->p, r->s, r->e - r->s, r->prot);
	if (result(m, PM_PROTECT, ret, want))
		model_rewrite(m, pp, r->s, r->e, r->prot, false, 0);
}

static void op_remap(struct pm *m, const u8 *op, struct pm_args *r)
{
	struct pm_part *pp = &m->part[r->pi];
	unsigned int i;
	int ret, want;

	/* Mostly a part of an extent, which is all mapped. */
	if ((op[15] & 3) && pp->n_ext) {
		const struct ptsel_ext *x = &pp->ext[get32(op + 2) % pp->n_ext];
		u64 pages = (x->end - x->start) / PG, off, len;

		off = get32(op + 6) % pages;
		len = 1 + get32(op + 10) % (pages - off);
		if (op[15] & 4) {		/* keep whole 2M blocks */
			off = off * PG / SZ_2M * SZ_2M / PG;
			len = max(len * PG / SZ_2M * SZ_2M / PG, 1ULL);
		}
		r->s = x->start + off * PG;
		r->e = min(r->s + len * PG, x->end);
		/* Sometimes on to the end of the extents right after it. */
		for (i = 0; (op[15] & 3) == 3 && r->e == x->end && i < 4; i++) {
			const struct ptsel_ext *next = model_find(pp, x->end);

			if (!next)
				break;
			x = next;
			r->e = x->end;
		}
		/* Large moves keep 2M leaves possible: few 4K leaves. */
		if (r->e - r->s > 2 * SZ_2M)
			r->t = (r->t & ~(SZ_2M - 1)) + (r->s & (SZ_2M - 1));
	}
	want = model_bytes(pp, r->s, r->e) == r->e - r->s ? 0 : -ENOENT;
	describe(m, PM_REMAP, r, "");
	prime(m, r->pi, r->s, r->e);
	ret = ptsel_partition_remap(pp->p, r->s, r->e - r->s, r->t);
	if (result(m, PM_REMAP, ret, want))
		model_rewrite(m, pp, r->s, r->e, 0, true, r->t);
}

static void op_region(struct pm *m, const u8 *op, struct pm_args *r, bool convert)
{
	static const u8 shifts[16] = {
		12, 12, 16, 16, 20, 20, 21, 21, 21, 21, 22, 22, 24, 24, 26, 30,
	};
	struct pm_part *pp = &m->part[r->pi];
	unsigned int shape = (op[14] & 7) | ((op[0] & 0x80) >> 4);
	u64 a = get32(op + 2), size = 1ULL << shifts[shape];
	u32 format = get32(op + 10) % 3, leaves;
	int ret, want;

	if (convert)
		format = 1 + format % 2;
	/* Past 16 regions, drop one half the time, so that few -ENOSPC. */
	if (!convert && pp->n_reg >= 16 && (a & BIT(24)))
		format = PTSEL_FORMAT_DEFAULT;
	switch (format ? (op[14] >> 4) & 3 : 0) {
	case 0:
		/* An existing region: convert, re-declare or drop it. */
		if (pp->n_reg) {
			const struct pm_region *x = &pp->reg[a % pp->n_reg];

			r->s = x->base;
			size = x->size;
			break;
		}
		fallthrough;
	case 1:
	case 2:
		/*
		 * Around a mapped address, so leaves straddle its edges,
		 * half the time in the format the address has already.
		 */
		if (pp->n_ext) {
			const struct ptsel_ext *x = &pp->ext[a % pp->n_ext];

			r->s = (x->start + get32(op + 6) % (x->end - x->start)) &
			       ~(size - 1);
			if (!convert && (op[14] & 0x20) && format)
				format = model_format(pp, r->s);
			break;
		}
		fallthrough;
	default:
		r->s = (m->base + (a * PG) % PM_WINDOW) & ~(size - 1);
		break;
	}
	if (r->s < m->base)
		r->s = m->base;
	r->e = r->s + size;
	if (convert)
		want = min(region_find(pp, r->s, size), 0);
	else
		want = region_want(pp, r->s, size, format);
	snprintf(m->desc, sizeof(m->desc), "P%u %s [%#llx, %#llx) format %u%s",
		 r->pi, convert ? "convert" : "set_region", r->s, r->e, format,
		 m->injected ? " with failures injected" : "");
	prime(m, r->pi, r->s, r->e);
	if (convert)
		ret = ptsel_partition_convert(pp->p, r->s, size, format, &leaves);
	else
		ret = ptsel_partition_set_region(pp->p, r->s, size, format, &leaves);
	if (result(m, convert ? PM_CONVERT : PM_REGION, ret, want))
		region_apply(pp, r->s, size, format);
}

static void op_default(struct pm *m, const u8 *op, struct pm_args *r)
{
	struct pm_part *pp = &m->part[r->pi];
	u32 format = get32(op + 10) % 3;
	int ret;

	snprintf(m->desc, sizeof(m->desc), "P%u default format %u%s", r->pi,
		 format, m->injected ? " with failures injected" : "");
	prime(m, r->pi, m->base, wend(m));
	ret = ptsel_partition_set_region(pp->p, 0, 0, format, NULL);
	if (result(m, PM_DEFAULT, ret, format ? 0 : -EINVAL))
		pp->dflt = format;
	r->s = m->base;
	r->e = wend(m);
}

static void op_limit(struct pm *m, const u8 *op, struct pm_args *r)
{
	struct pm_part *pp = &m->part[r->pi];
	u64 mapped = model_bytes(pp, 0, PM_SPACE) / PG;

	pp->mapped_limit = (op[14] & 1) ? 0 : mapped + get32(op + 6) % 4096;
	snprintf(m->desc, sizeof(m->desc), "P%u mapped-pages limit %llu", r->pi,
		 pp->mapped_limit);
	ptsel_partition_set_limits(pp->p, 0, pp->mapped_limit);
	m->ops[PM_LIMIT]++;
	m->ok[PM_LIMIT]++;
	r->e = r->s;
}

/**
 * pm_step() - decode one operation, run it and check the result
 * @m: the run
 * @op: PM_OP_BYTES bytes: op[0] the class, op[1] partition, alignment
 *	and anchor, then three 32-bit fields, op[14] protection and
 *	shape, op[15] failure injection
 *
 * Return: false once a check failed.
 */
bool pm_step(struct pm *m, const u8 op[PM_OP_BYTES])
{
	/* Weights of the classes: 32 slots. */
	static const u8 class_of[32] = {
		PM_MAP, PM_MAP, PM_MAP, PM_MAP, PM_MAP, PM_MAP, PM_MAP, PM_MAP,
		PM_UNMAP, PM_UNMAP, PM_UNMAP, PM_UNMAP,
		PM_PROTECT, PM_PROTECT, PM_PROTECT,
		PM_REMAP, PM_REMAP, PM_REMAP, PM_REMAP, PM_REMAP,
		PM_REGION, PM_REGION, PM_REGION, PM_DEFAULT,
		PM_CONVERT, PM_CONVERT, PM_LOOKUP, PM_LOOKUP,
		PM_SWITCH, PM_LIMIT, PM_UNMAP, PM_REMAP,
	};
	enum pm_op cls = class_of[op[0] % 32];
	struct pm_args r;
	bool full;

	if (m->failed)
		return false;
	m->steps++;
	m->injected = false;
	m->refused = false;
	decode(m, op, &r);
	full = m->part[r.pi].n_ext > PM_MAX_EXT - 3;
	/* Keep the model's room: a full model only unmaps. */
	if (full && (cls == PM_MAP || cls == PM_PROTECT || cls == PM_REMAP))
		cls = PM_UNMAP;
	if (full && cls == PM_UNMAP && m->part[r.pi].n_ext) {
		const struct ptsel_ext *x = &m->part[r.pi].ext[get32(op + 2) %
							    m->part[r.pi].n_ext];

		r.s = x->start;
		r.e = x->end;
	}
	if (m->skip & BIT(cls))
		return true;
	if (!(m->noinject & BIT(cls)) && cls != PM_LOOKUP && cls != PM_SWITCH &&
	    cls != PM_LIMIT)
		inject(m, r.pi, op[15]);
	switch (cls) {
	case PM_MAP:
		op_map(m, &r);
		break;
	case PM_UNMAP:
		op_unmap(m, &r);
		break;
	case PM_PROTECT:
		op_protect(m, &r);
		break;
	case PM_REMAP:
		op_remap(m, op, &r);
		break;
	case PM_REGION:
	case PM_CONVERT:
		op_region(m, op, &r, cls == PM_CONVERT);
		break;
	case PM_DEFAULT:
		op_default(m, op, &r);
		break;
	case PM_LOOKUP:
		describe(m, PM_LOOKUP, &r, "");
		m->ops[PM_LOOKUP]++;
		m->ok[PM_LOOKUP]++;
		break;
	case PM_SWITCH:
		snprintf(m->desc, sizeof(m->desc), "roaming walker to P%u", r.pi);
		ptsel_walker_switch(m->w[PM_WALKERS - 1], m->part[r.pi].p);
		m->wpart[PM_WALKERS - 1] = r.pi;
		m->ops[PM_SWITCH]++;
		m->ok[PM_SWITCH]++;
		break;
	case PM_LIMIT:
		op_limit(m, op, &r);
		break;
	default:
		break;
	}
	uninject(m, r.pi);
	/* A failed update must have changed nothing: look at everything. */
	if ((m->injected && m->refused) || cls == PM_DEFAULT ||
	    m->steps % PM_FULL_EVERY == 0)
		check_part(m, r.pi);
	check_step(m, r.pi, r.s, r.e);
	return !m->failed;
}

/**
 * pm_init() - set up the partitions and walkers of a run
 * @m: the run, zeroed by the caller
 * @hooks: the environment
 * @base: first input address of the 8 GiB window, below 2^48 - 8 GiB
 * @seed: seeds the choice of checked addresses
 *
 * Return: 0 or a negative errno.
 */
int pm_init(struct pm *m, const struct pm_hooks *hooks, u64 base, u64 seed)
{
	unsigned int i;

	m->hooks = hooks;
	m->base = base;
	m->rng = seed;
	for (i = 0; i < PM_PARTS; i++) {
		u32 format = i ? PTSEL_FORMAT_HASH : PTSEL_FORMAT_RADIX;
		struct ptsel_partition *p = ptsel_partition_create(format);

		if (IS_ERR(p))
			goto fail;
		m->part[i].p = p;
		m->part[i].dflt = format;
	}
	for (i = 0; i < PM_WALKERS; i++) {
		struct ptsel_walker *w = ptsel_walker_create();

		if (IS_ERR(w))
			goto fail;
		m->w[i] = w;
		m->wpart[i] = i % PM_PARTS;
		ptsel_walker_switch(w, m->part[m->wpart[i]].p);
	}
	return 0;
fail:
	pm_fini(m);
	return -ENOMEM;
}

/**
 * pm_fini() - free what pm_init() set up
 * @m: the run
 */
void pm_fini(struct pm *m)
{
	unsigned int i;

	for (i = 0; i < PM_WALKERS; i++) {
		if (m->w[i])
			ptsel_walker_destroy(m->w[i]);
		m->w[i] = NULL;
	}
	for (i = 0; i < PM_PARTS; i++) {
		if (m->part[i].p)
			ptsel_partition_put(m->part[i].p);
		m->part[i].p = NULL;
	}
}
