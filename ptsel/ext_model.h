/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ptsel test support: the reference model both model tests check the
 * tables against (the core's, tools/testing/userspace/ptsel_ops.c, and
 * the partitions', part_model.c): a set of disjoint extents, input
 * range -> output address and protection, in no particular order, in
 * an array the caller sizes.
 */
#ifndef _PTSEL_EXT_MODEL_H
#define _PTSEL_EXT_MODEL_H

#include <linux/types.h>

struct ptsel_ext {
	u64 start, end, target;
	u32 prot;
};

/* The extent of @ext[0..@n) that holds @a, or NULL. */
static inline const struct ptsel_ext *ptsel_ext_find(const struct ptsel_ext *ext,
						     unsigned int n, u64 a)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (a >= ext[i].start && a < ext[i].end)
			return &ext[i];
	return NULL;
}

/* Bytes of [@s, @e) that @ext[0..@n) maps. */
static inline u64 ptsel_ext_bytes(const struct ptsel_ext *ext, unsigned int n,
				  u64 s, u64 e)
{
	u64 sum = 0;
	unsigned int i;

	for (i = 0; i < n; i++) {
		u64 lo = ext[i].start > s ? ext[i].start : s;
		u64 hi = ext[i].end < e ? ext[i].end : e;

		if (lo < hi)
			sum += hi - lo;
	}
	return sum;
}

/*
 * Carve [@s, @e) out of @ext[0..*@n): extents inside go, extents across
 * an edge shrink, one around the whole range splits in two (one more
 * entry: the array needs room for it).
 */
static inline void ptsel_ext_remove(struct ptsel_ext *ext, unsigned int *n,
				    u64 s, u64 e)
{
	unsigned int i = 0;

	while (i < *n) {
		struct ptsel_ext *x = &ext[i];

		if (e <= x->start || x->end <= s) {
			i++;
		} else if (x->start < s && e < x->end) {	/* a hole inside */
			struct ptsel_ext *tail = &ext[(*n)++];

			*tail = *x;
			tail->start = e;
			tail->target = x->target + (e - x->start);
			x->end = s;
			i++;
		} else if (x->start < s) {
			x->end = s;
			i++;
		} else if (e < x->end) {
			x->target += e - x->start;
			x->start = e;
			i++;
		} else {
			*x = ext[--(*n)];
		}
	}
}

/*
 * The mapped parts of [@s, @e), clipped to it, into @out (room for @n);
 * returns how many.
 */
static inline unsigned int ptsel_ext_clip(const struct ptsel_ext *ext,
					  unsigned int n, u64 s, u64 e,
					  struct ptsel_ext *out)
{
	unsigned int i, k = 0;

	for (i = 0; i < n; i++) {
		struct ptsel_ext x = ext[i];

		if (e <= x.start || x.end <= s)
			continue;
		if (x.start < s) {
			x.target += s - x.start;
			x.start = s;
		}
		if (x.end > e)
			x.end = e;
		out[k++] = x;
	}
	return k;
}

#endif
