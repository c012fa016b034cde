/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An independent statement of the rules of te_layout_init() (thp_encvm
 * core), in bytes where the code counts pages, used by the randomized
 * test and the libFuzzer target: te_layout_check() compares the code's
 * answer and layout with it.
 */
#ifndef _THP_ENCVM_LAYOUT_MODEL_H
#define _THP_ENCVM_LAYOUT_MODEL_H

#include <errno.h>

#include "thp_encvm_core.h"

/* Is [a, a + n) inside [b, b + m)? Without overflow. */
static inline bool te_inside(unsigned __int128 a, unsigned __int128 n, unsigned __int128 b, unsigned __int128 m)
{
	return a >= b && a + n <= b + m;
}

static inline bool te_meets(unsigned __int128 a, unsigned __int128 n, unsigned __int128 b, unsigned __int128 m)
{
	return a < b + m && b < a + n;
}

/* What te_layout_init() must return for @c. */
static inline int te_layout_model(const struct thp_encvm_create *c, u64 max)
{
	const unsigned __int128 pg = THP_ENCVM_PAGE_SIZE, win = THP_ENCVM_WINDOW_SIZE;
	unsigned __int128 tw_bytes;

	if (!c->size || c->size % win)
		return -EINVAL;
	if (c->size > max)
		return -E2BIG;
	if (!c->shared_size || c->shared_offset % pg || c->shared_size % pg ||
	    !te_inside(c->shared_offset, c->shared_size, 0, c->size))
		return -EINVAL;
	if (c->ring_offset % pg ||
	    !te_inside(c->ring_offset, 1, c->shared_offset, c->shared_size))
		return -EINVAL;
	if (c->staging_offset % win || c->staging_offset >= c->size ||
	    te_meets(c->staging_offset, win, c->shared_offset, c->shared_size))
		return -EINVAL;
	if (!(c->flags & THP_ENCVM_CREATE_ENCRYPTED))
		return c->tweak_offset || c->secret_offset ? -EINVAL : 0;
	tw_bytes = 16 + (unsigned __int128)c->size / pg * 8;
	if (c->tweak_offset % pg || c->secret_offset % pg ||
	    c->secret_offset >= c->size ||
	    !te_inside(c->tweak_offset, tw_bytes, c->shared_offset, c->shared_size) ||
	    te_meets(c->tweak_offset, (tw_bytes + pg - 1) / pg * pg, c->ring_offset, pg) ||
	    te_inside(c->secret_offset, pg, c->shared_offset, c->shared_size) ||
	    te_inside(c->secret_offset, pg, c->staging_offset, win))
		return -EINVAL;
	return 0;
}

/*
 * Run te_layout_init() on @c and compare. Returns NULL, or what
 * disagreed.
 */
static inline const char *te_layout_check(const struct thp_encvm_create *c, u64 max)
{
	struct te_layout l;
	int want = te_layout_model(c, max), got = te_layout_init(&l, c, max);
	u64 p;

	if (want != got)
		return "accepted or refused unlike the model";
	if (got)
		return NULL;
	if (l.nr_pages * THP_ENCVM_PAGE_SIZE != c->size ||
	    !te_page_shared(&l, l.ring_page) || te_page_shared(&l, l.staging_first) ||
	    l.encrypted != !!(c->flags & THP_ENCVM_CREATE_ENCRYPTED))
		return "layout fields";
	if (!l.encrypted)
		return NULL;
	for (p = l.tweak_first; p < l.tweak_first + l.tweak_count; p++)
		if (!te_page_shared(&l, p) || p == l.ring_page)
			return "tweak table outside the exclusion range";
	if (te_page_shared(&l, l.secret_page) || l.secret_page >= l.nr_pages ||
	    l.secret_page - l.staging_first < TE_WIN_PAGES)
		return "secret page";
	return NULL;
}

/*
 * What te_layout_excl() must return for the exclusion range [@off,
 * @off + @size) that a launch of @c's object (one te_layout_model()
 * accepts) names: 0 and 0 are CREATE's shared range; any other range
 * must lie in that shared range and hold the ring's page and the whole
 * tweak table. The secret page and the staging window lie outside the
 * shared range, so such a range holds neither.
 */
static inline int te_excl_model(const struct thp_encvm_create *c, u64 off, u64 size)
{
	const unsigned __int128 pg = THP_ENCVM_PAGE_SIZE;
	unsigned __int128 tw_bytes = 16 + (unsigned __int128)c->size / pg * 8;

	if (!off && !size)
		return 0;
	if (!size || off % pg || size % pg ||
	    !te_inside(off, size, c->shared_offset, c->shared_size) ||
	    !te_inside(c->ring_offset, pg, off, size))
		return -EINVAL;
	if ((c->flags & THP_ENCVM_CREATE_ENCRYPTED) &&
	    !te_inside(c->tweak_offset, (tw_bytes + pg - 1) / pg * pg, off, size))
		return -EINVAL;
	return 0;
}

/*
 * Run te_layout_excl() on @l (the layout of @c) and the range, and
 * compare. Returns NULL, or what disagreed.
 */
static inline const char *te_excl_check(const struct thp_encvm_create *c,
					const struct te_layout *l, u64 off, u64 size)
{
	int want = te_excl_model(c, off, size);
	u64 first = ~0ULL, count = ~0ULL;
	int got = te_layout_excl(l, off, size, &first, &count);

	if (want != got)
		return "exclusion range accepted or refused unlike the model";
	if (got)
		return NULL;
	if (!off && !size)
		return first == l->shared_first && count == l->shared_count ?
		       NULL : "exclusion range 0, 0 is not the shared range";
	if (first != off / THP_ENCVM_PAGE_SIZE || count != size / THP_ENCVM_PAGE_SIZE)
		return "exclusion range pages";
	/* The shared range is one run: its ends tell. */
	if (!count || !te_page_shared(l, first) || !te_page_shared(l, first + count - 1) ||
	    (l->encrypted && l->secret_page - first < count))
		return "exclusion range outside the shared range";
	return NULL;
}

#endif /* _THP_ENCVM_LAYOUT_MODEL_H */
