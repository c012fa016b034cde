// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the thp_encvm core: layout checks, window selection,
 * the copy state machine's retry and abort rules, the guest-physical
 * map of an object that several memslots map, and the home frames of
 * displaced pages across fresh-block collapses and rollbacks.
 */
#include <kunit/test.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "thp_encvm_core.h"

#define MB	(1ULL << 20)

static struct thp_encvm_create good = {
	.size = 16 * MB,
	.shared_offset = 0,
	.shared_size = 64 * 1024,
	.ring_offset = 0,
	.staging_offset = 14 * MB,
	.node = -1,
};

static void layout_checks(struct kunit *test)
{
	struct thp_encvm_create c;
	struct te_layout l;

	KUNIT_EXPECT_EQ(test, te_layout_init(&l, &good, 16 * MB), 0);
	KUNIT_EXPECT_EQ(test, l.nr_pages, 4096ULL);
	KUNIT_EXPECT_EQ(test, l.staging_first, 3584ULL);
	KUNIT_EXPECT_TRUE(test, te_page_shared(&l, 15));
	KUNIT_EXPECT_FALSE(test, te_page_shared(&l, 16));
	KUNIT_EXPECT_EQ(test, te_layout_init(&l, &good, 8 * MB), -E2BIG);
	c = good;
	c.size = 3 * MB;
	KUNIT_EXPECT_EQ(test, te_layout_init(&l, &c, ~0ULL), -EINVAL);
	c = good;
	c.size = 0;
	KUNIT_EXPECT_EQ(test, te_layout_init(&l, &c, ~0ULL), -EINVAL);
	c = good;
	c.shared_size = 0;
	KUNIT_EXPECT_EQ(test, te_layout_init(&l, &c, ~0ULL), -EINVAL);
	c = good;
	c.shared_offset = ~0ULL - 4095;
	KUNIT_EXPECT_EQ(test, te_layout_init(&l, &c, ~0ULL), -EINVAL);
	c = good;
	c.ring_offset = 64 * 1024;	/* just past the shared range */
	KUNIT_EXPECT_EQ(test, te_layout_init(&l, &c, ~0ULL), -EINVAL);
	c = good;
	c.staging_offset = MB;		/* not 2M aligned */
	KUNIT_EXPECT_EQ(test, te_layout_init(&l, &c, ~0ULL), -EINVAL);
	c = good;
	c.staging_offset = 0;		/* overlaps the shared range */
	KUNIT_EXPECT_EQ(test, te_layout_init(&l, &c, ~0ULL), -EINVAL);
	c = good;
	c.staging_offset = 16 * MB;	/* outside */
	KUNIT_EXPECT_EQ(test, te_layout_init(&l, &c, ~0ULL), -EINVAL);
}

/* An encrypted object's tweak table and secret page. */
static void encrypted_layout_checks(struct kunit *test)
{
	struct thp_encvm_create c = good;
	struct te_layout l;

	c.flags = THP_ENCVM_CREATE_ENCRYPTED;
	c.tweak_offset = 0x2000;
	c.secret_offset = 64 * 1024;
	KUNIT_EXPECT_EQ(test, te_layout_init(&l, &c, 16 * MB), 0);
	KUNIT_EXPECT_TRUE(test, l.encrypted);
	KUNIT_EXPECT_EQ(test, l.tweak_first, 2ULL);
	/* 16 bytes of header and 4096 tweaks: 9 pages */
	KUNIT_EXPECT_EQ(test, l.tweak_count, 9ULL);
	KUNIT_EXPECT_EQ(test, l.secret_page, 16ULL);
	c.tweak_offset = 0;		/* on the ring's page */
	KUNIT_EXPECT_EQ(test, te_layout_init(&l, &c, 16 * MB), -EINVAL);
	c.tweak_offset = 0x8000;	/* runs past the shared range */
	KUNIT_EXPECT_EQ(test, te_layout_init(&l, &c, 16 * MB), -EINVAL);
	c.tweak_offset = 0x2001;
	KUNIT_EXPECT_EQ(test, te_layout_init(&l, &c, 16 * MB), -EINVAL);
	c.tweak_offset = 0x2000;
	c.secret_offset = 0x1000;	/* shared */
	KUNIT_EXPECT_EQ(test, te_layout_init(&l, &c, 16 * MB), -EINVAL);
	c.secret_offset = 15 * MB;	/* in the staging window */
	KUNIT_EXPECT_EQ(test, te_layout_init(&l, &c, 16 * MB), -EINVAL);
	c.secret_offset = 16 * MB;	/* outside */
	KUNIT_EXPECT_EQ(test, te_layout_init(&l, &c, 16 * MB), -EINVAL);
	c = good;			/* offsets without encryption */
	c.secret_offset = 64 * 1024;
	KUNIT_EXPECT_EQ(test, te_layout_init(&l, &c, 16 * MB), -EINVAL);
}

/*
 * The exclusion range a launch latches: CREATE's shared range by
 * default, or a part of it that holds the ring and the tweak table.
 */
static void exclusion_range(struct kunit *test)
{
	struct thp_encvm_create c = good;
	struct te_layout l;
	u64 first, count;

	KUNIT_ASSERT_EQ(test, te_layout_init(&l, &c, 16 * MB), 0);
	KUNIT_EXPECT_EQ(test, te_layout_excl(&l, 0, 0, &first, &count), 0);
	KUNIT_EXPECT_EQ(test, first, 0ULL);
	KUNIT_EXPECT_EQ(test, count, 16ULL);
	KUNIT_EXPECT_EQ(test, te_layout_excl(&l, 0, 8192, &first, &count), 0);
	KUNIT_EXPECT_EQ(test, first, 0ULL);
	KUNIT_EXPECT_EQ(test, count, 2ULL);
	/* without the ring; 0 bytes; unaligned; overflowing; too far */
	KUNIT_EXPECT_EQ(test, te_layout_excl(&l, 4096, 8192, &first, &count), -EINVAL);
	KUNIT_EXPECT_EQ(test, te_layout_excl(&l, 4096, 0, &first, &count), -EINVAL);
	KUNIT_EXPECT_EQ(test, te_layout_excl(&l, 0, 100, &first, &count), -EINVAL);
	KUNIT_EXPECT_EQ(test, te_layout_excl(&l, 0, -4096ULL, &first, &count), -EINVAL);
	KUNIT_EXPECT_EQ(test, te_layout_excl(&l, 0, 68 * 1024, &first, &count), -EINVAL);
	KUNIT_EXPECT_EQ(test, te_layout_excl(&l, 0, 32 * MB, &first, &count), -EINVAL);
	c.flags = THP_ENCVM_CREATE_ENCRYPTED;
	c.tweak_offset = 0x2000;	/* pages 2 to 10 */
	c.secret_offset = 64 * 1024;	/* page 16 */
	KUNIT_ASSERT_EQ(test, te_layout_init(&l, &c, 16 * MB), 0);
	KUNIT_EXPECT_EQ(test, te_layout_excl(&l, 0, 44 * 1024, &first, &count), 0);
	KUNIT_EXPECT_EQ(test, count, 11ULL);
	/* the tweak table's last page left out; the secret page in */
	KUNIT_EXPECT_EQ(test, te_layout_excl(&l, 0, 40 * 1024, &first, &count), -EINVAL);
	KUNIT_EXPECT_EQ(test, te_layout_excl(&l, 0, 68 * 1024, &first, &count), -EINVAL);
}

static void window_selection(struct kunit *test)
{
	unsigned long *touched = kunit_kzalloc(test, 4096 / 8, GFP_KERNEL);
	u64 *pfn = kunit_kcalloc(test, 4096, sizeof(u64), GFP_KERNEL);
	struct te_layout l;
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, touched);
	KUNIT_ASSERT_NOT_NULL(test, pfn);
	KUNIT_ASSERT_EQ(test, te_layout_init(&l, &good, 16 * MB), 0);
	/* Scattered everywhere, all touched ... */
	for (i = 0; i < 4096; i++)
		pfn[i] = 0x100000 + 4096 - i;
	bitmap_fill(touched, 4096);
	KUNIT_EXPECT_EQ(test, te_window_classify(&l, pfn, touched, 0, 511), TE_WIN_SHARED);
	KUNIT_EXPECT_EQ(test, te_window_classify(&l, pfn, touched, 1, 511), TE_WIN_ELIGIBLE);
	KUNIT_EXPECT_EQ(test, te_window_classify(&l, pfn, touched, 7, 511), TE_WIN_STAGING);
	/* ... but window 2 is one aligned host page already ... */
	for (i = 0; i < 512; i++)
		pfn[1024 + i] = 0x200000 + i;
	KUNIT_EXPECT_EQ(test, te_window_classify(&l, pfn, touched, 2, 511), TE_WIN_HUGE);
	/* ... contiguous but misaligned is not huge ... */
	for (i = 0; i < 512; i++)
		pfn[1536 + i] = 0x200001 + 512 + i;
	KUNIT_EXPECT_EQ(test, te_window_classify(&l, pfn, touched, 3, 511), TE_WIN_ELIGIBLE);
	/* ... and max_ptes_none counts untouched pages. */
	bitmap_clear(touched, 2048, 10);
	KUNIT_EXPECT_EQ(test, te_window_classify(&l, pfn, touched, 4, 10), TE_WIN_ELIGIBLE);
	KUNIT_EXPECT_EQ(test, te_window_classify(&l, pfn, touched, 4, 9), TE_WIN_SPARSE);
}

static void copy_state_machine(struct kunit *test)
{
	DECLARE_BITMAP(dirty, TE_WIN_PAGES);
	DECLARE_BITMAP(sw, TE_WIN_PAGES);
	struct te_collapse *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	unsigned int first, n;

	KUNIT_ASSERT_NOT_NULL(test, c);
	te_collapse_init(c, 3, 1);
	n = te_collapse_next_run(c, &first);
	KUNIT_EXPECT_EQ(test, first, 0U);
	KUNIT_EXPECT_EQ(test, n, 512U);
	KUNIT_EXPECT_EQ(test, te_collapse_next_run(c, &first), 0U);
	/* A run that is not in flight is refused. */
	bitmap_zero(dirty, TE_WIN_PAGES);
	bitmap_zero(sw, TE_WIN_PAGES);
	KUNIT_EXPECT_EQ(test, te_collapse_complete(c, 0, 513, dirty, sw), -EINVAL);
	/* Pages 10 and 11 and 300 were written during the copy. */
	__set_bit(10, dirty);
	__set_bit(11, dirty);
	__set_bit(300, dirty);
	KUNIT_EXPECT_EQ(test, te_collapse_complete(c, 0, 512, dirty, sw), 0);
	KUNIT_EXPECT_EQ(test, bitmap_weight(sw, TE_WIN_PAGES), 509U);
	KUNIT_EXPECT_FALSE(test, test_bit(10, sw));
	KUNIT_EXPECT_EQ(test, c->dirty_retries, 3ULL);
	KUNIT_EXPECT_FALSE(test, te_collapse_done(c));
	KUNIT_EXPECT_EQ(test, te_collapse_complete(c, 0, 512, dirty, sw), -EINVAL);
	/* The dirty pages come back as two runs. */
	KUNIT_EXPECT_EQ(test, te_collapse_next_run(c, &first), 2U);
	KUNIT_EXPECT_EQ(test, first, 10U);
	KUNIT_EXPECT_EQ(test, te_collapse_next_run(c, &first), 1U);
	KUNIT_EXPECT_EQ(test, first, 300U);
	bitmap_zero(sw, TE_WIN_PAGES);
	bitmap_zero(dirty, TE_WIN_PAGES);
	KUNIT_EXPECT_EQ(test, te_collapse_complete(c, 10, 2, dirty, sw), 0);
	/* Page 300 is written again: its one retry is used up. */
	__set_bit(300, dirty);
	KUNIT_EXPECT_EQ(test, te_collapse_complete(c, 300, 1, dirty, sw), -EBUSY);
	KUNIT_EXPECT_EQ(test, c->fail, TE_FAIL_RETRIES);
	KUNIT_EXPECT_EQ(test, c->nr_switched, 511U);
	KUNIT_EXPECT_EQ(test, c->pages_copied, 515ULL);
	KUNIT_EXPECT_FALSE(test, te_collapse_done(c));
	/* Rollback keeps switched pages on their new subpage. */
	KUNIT_EXPECT_TRUE(test, test_bit(10, c->switched));
	KUNIT_EXPECT_FALSE(test, test_bit(300, c->switched));
}

static void clean_copy_completes(struct kunit *test)
{
	DECLARE_BITMAP(dirty, TE_WIN_PAGES);
	DECLARE_BITMAP(sw, TE_WIN_PAGES);
	struct te_collapse *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	struct thp_encvm_copy_req req = { .seq = 7 };
	unsigned int first;

	KUNIT_ASSERT_NOT_NULL(test, c);
	te_collapse_init(c, 1, 0);
	KUNIT_EXPECT_EQ(test, te_collapse_next_run(c, &first), 512U);
	bitmap_zero(dirty, TE_WIN_PAGES);
	bitmap_zero(sw, TE_WIN_PAGES);
	KUNIT_EXPECT_EQ(test, te_collapse_complete(c, 0, 512, dirty, sw), 0);
	KUNIT_EXPECT_TRUE(test, te_collapse_done(c));
	KUNIT_EXPECT_EQ(test, c->dirty_retries, 0ULL);
	/* The ring: only the exact sequence number completes a request. */
	KUNIT_EXPECT_FALSE(test, te_ring_done(&req, 7));
	req.done = 6;
	KUNIT_EXPECT_FALSE(test, te_ring_done(&req, 7));
	req.done = 7;
	KUNIT_EXPECT_TRUE(test, te_ring_done(&req, 7));
}

/*
 * QEMU's layout: pages [0, 768) below a hole, the rest 256 pages
 * higher, given in the other order; one memslot split in two inside a
 * window; pages no memslot maps; aliases, page 0 unmapped or elsewhere,
 * and too many runs.
 */
static void gpa_map(struct kunit *test)
{
	struct te_gmap m = { 0 };
	unsigned int i;
	u64 v;

	KUNIT_EXPECT_EQ(test, te_gmap_add(&m, 768, 256, 0x1000 + 1024), 0);
	KUNIT_EXPECT_EQ(test, te_gmap_add(&m, 0, 512, 0x1000), 0);
	KUNIT_EXPECT_EQ(test, te_gmap_add(&m, 512, 256, 0x1000 + 512), 0);
	KUNIT_EXPECT_EQ(test, te_gmap_finish(&m, 1024, 0x1000), 0);
	KUNIT_EXPECT_EQ(test, m.nr, 3U);	/* the first two kept apart */
	KUNIT_EXPECT_TRUE(test, te_gmap_gfn(&m, 767, &v));
	KUNIT_EXPECT_EQ(test, v, 0x1000ULL + 767);
	KUNIT_EXPECT_TRUE(test, te_gmap_gfn(&m, 768, &v));
	KUNIT_EXPECT_EQ(test, v, 0x1000ULL + 1024);
	KUNIT_EXPECT_FALSE(test, te_gmap_gfn(&m, 1024, &v));
	KUNIT_EXPECT_TRUE(test, te_gmap_page(&m, 0x1000 + 1024, &v));
	KUNIT_EXPECT_EQ(test, v, 768ULL);
	KUNIT_EXPECT_FALSE(test, te_gmap_page(&m, 0x1000 + 768, &v));	/* the hole */
	KUNIT_EXPECT_TRUE(test, te_gmap_contig(&m, 0, 768));
	KUNIT_EXPECT_FALSE(test, te_gmap_contig(&m, 512, 512));	/* straddles */
	KUNIT_EXPECT_TRUE(test, te_gmap_contig(&m, 768, 256));
	KUNIT_EXPECT_EQ(test, te_gmap_span(&m, 512, 512), TE_SPAN_SPLIT);
	KUNIT_EXPECT_EQ(test, te_gmap_span(&m, 0, 512), TE_SPAN_ONE);
	/* Across the edge of two memslots at a 2 MiB aligned gfn: fine. */
	KUNIT_EXPECT_EQ(test, te_gmap_span(&m, 256, 512), TE_SPAN_ONE);
	KUNIT_EXPECT_EQ(test, te_gmap_span(&m, 0, 768), TE_SPAN_ONE);
	/*
	 * One memslot split in two at page 256, gfns consecutive: KVM
	 * maps no 2 MiB entry across the edge, which is off 2 MiB
	 * alignment, so window 0 is skewed; window 1 is one memslot's.
	 */
	m.nr = 0;
	te_gmap_add(&m, 256, 768, 0x1000 + 256);
	te_gmap_add(&m, 0, 256, 0x1000);
	KUNIT_EXPECT_EQ(test, te_gmap_finish(&m, 1024, 0x1000), 0);
	KUNIT_EXPECT_EQ(test, m.nr, 2U);
	KUNIT_EXPECT_EQ(test, te_gmap_span(&m, 0, 512), TE_SPAN_SKEWED);
	KUNIT_EXPECT_TRUE(test, te_gmap_contig(&m, 0, 512));
	KUNIT_EXPECT_EQ(test, te_gmap_span(&m, 512, 512), TE_SPAN_ONE);
	KUNIT_EXPECT_EQ(test, te_gmap_span(&m, 0, 256), TE_SPAN_ONE);
	KUNIT_EXPECT_EQ(test, te_gmap_span(&m, 256, 100), TE_SPAN_ONE);
	KUNIT_EXPECT_EQ(test, te_gmap_span(&m, 255, 2), TE_SPAN_SKEWED);
	KUNIT_EXPECT_TRUE(test, te_gmap_gfn(&m, 300, &v));
	KUNIT_EXPECT_EQ(test, v, 0x1000ULL + 300);
	/*
	 * Pages no memslot maps (QEMU's legacy range): accepted, not
	 * translated, and a window holding one is not contiguous.
	 */
	m.nr = 0;
	te_gmap_add(&m, 600, 424, 0x9000);
	te_gmap_add(&m, 0, 160, 0x1000);
	te_gmap_add(&m, 256, 344, 0x1000 + 256);
	KUNIT_EXPECT_EQ(test, te_gmap_finish(&m, 1024, 0x1000), 0);
	KUNIT_EXPECT_EQ(test, m.nr, 3U);
	KUNIT_EXPECT_TRUE(test, te_gmap_gfn(&m, 159, &v));
	KUNIT_EXPECT_FALSE(test, te_gmap_gfn(&m, 160, &v));
	KUNIT_EXPECT_FALSE(test, te_gmap_gfn(&m, 255, &v));
	KUNIT_EXPECT_TRUE(test, te_gmap_gfn(&m, 256, &v));
	KUNIT_EXPECT_EQ(test, v, 0x1000ULL + 256);
	KUNIT_EXPECT_FALSE(test, te_gmap_page(&m, 0x1000 + 200, &v));
	KUNIT_EXPECT_EQ(test, te_gmap_span(&m, 0, 512), TE_SPAN_UNMAPPED);
	KUNIT_EXPECT_EQ(test, te_gmap_span(&m, 200, 1), TE_SPAN_UNMAPPED);
	KUNIT_EXPECT_EQ(test, te_gmap_span(&m, 512, 512), TE_SPAN_SPLIT);
	KUNIT_EXPECT_FALSE(test, te_gmap_contig(&m, 0, 512));
	KUNIT_EXPECT_TRUE(test, te_gmap_contig(&m, 256, 344));
	/* One run, but at 0x9000 for page 600: not congruent mod 512. */
	KUNIT_EXPECT_EQ(test, te_gmap_span(&m, 1000, 24), TE_SPAN_SKEWED);
	KUNIT_EXPECT_TRUE(test, te_gmap_contig(&m, 1000, 24));
	/*
	 * A second memslot 2 MiB aligned relative to the object: its
	 * window can map huge. A third, 16 pages off: its window never
	 * can, though its gfns are consecutive.
	 */
	m.nr = 0;
	te_gmap_add(&m, 0, 512, 0x1000);
	te_gmap_add(&m, 512, 512, 0x8000 + 512);
	te_gmap_add(&m, 1024, 512, 0x20000 + 1024 + 16);
	KUNIT_EXPECT_EQ(test, te_gmap_finish(&m, 1536, 0x1000), 0);
	KUNIT_EXPECT_EQ(test, m.nr, 3U);
	KUNIT_EXPECT_EQ(test, te_gmap_span(&m, 0, 512), TE_SPAN_ONE);
	KUNIT_EXPECT_EQ(test, te_gmap_span(&m, 512, 512), TE_SPAN_ONE);
	KUNIT_EXPECT_EQ(test, te_gmap_span(&m, 1024, 512), TE_SPAN_SKEWED);
	KUNIT_EXPECT_TRUE(test, te_gmap_contig(&m, 1024, 512));
	KUNIT_EXPECT_EQ(test, te_gmap_span(&m, 1100, 8), TE_SPAN_SKEWED);
	KUNIT_EXPECT_EQ(test, te_gmap_span(&m, 1000, 512), TE_SPAN_SPLIT);
	/* Page 0 unmapped, a run past the end, an alias, page 0 elsewhere, too many runs. */
	m.nr = 0;
	te_gmap_add(&m, 1, 1023, 0x1001);
	KUNIT_EXPECT_EQ(test, te_gmap_finish(&m, 1024, 0x1000), -ENOENT);
	m.nr = 0;
	te_gmap_add(&m, 0, 1025, 0x1000);
	KUNIT_EXPECT_EQ(test, te_gmap_finish(&m, 1024, 0x1000), -ENOENT);
	m.nr = 0;
	te_gmap_add(&m, 0, 1024, 0x1000);
	te_gmap_add(&m, 100, 1, 0x9000);
	KUNIT_EXPECT_EQ(test, te_gmap_finish(&m, 1024, 0x1000), -ENOENT);
	m.nr = 0;
	te_gmap_add(&m, 0, 1024, 0x1000);
	KUNIT_EXPECT_EQ(test, te_gmap_finish(&m, 1024, 0x2000), -ENOENT);
	m.nr = 0;
	for (i = 0; i < TE_MAX_SEGS; i++)
		KUNIT_EXPECT_EQ(test, te_gmap_add(&m, i, 1, 0x1000 + 2 * i), 0);
	KUNIT_EXPECT_EQ(test, te_gmap_add(&m, i, 1, 0x1000 + 2 * i), -E2BIG);
}

/* Frames freed: how many, and their sum (which frames, near enough). */
struct freed {
	unsigned int n;
	u64 sum;
};

static void count_free(u64 pfn, void *arg)
{
	struct freed *f = arg;

	f->n++;
	f->sum += pfn;
}

/*
 * One window in its home block: a soft-offlined page and a converted
 * one make it go fresh. A fresh collapse rolled back after 10 switches
 * frees the frames those left and the block's other 502, and keeps both
 * home frames reserved; a completed one frees the 512 frames left and
 * both home frames. Then the object frees what it holds.
 */
static void home_frames(struct kunit *test)
{
	const u64 home = 0x100000, blk = 0x200000, blk2 = 0x300000;
	DECLARE_BITMAP(away, TE_WIN_PAGES);
	DECLARE_BITMAP(bad, TE_WIN_PAGES);
	DECLARE_BITMAP(copy, TE_WIN_PAGES);
	DECLARE_BITMAP(sw, TE_WIN_PAGES);
	u64 *pfn, *old, hw = home, i, sum;
	struct te_homes h;
	struct freed f = { 0 };

	pfn = kunit_kcalloc(test, TE_WIN_PAGES, sizeof(u64), GFP_KERNEL);
	old = kunit_kcalloc(test, TE_WIN_PAGES, sizeof(u64), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pfn);
	KUNIT_ASSERT_NOT_NULL(test, old);
	h = (struct te_homes){ pfn, &hw, away, bad };
	bitmap_zero(away, TE_WIN_PAGES);
	bitmap_zero(bad, TE_WIN_PAGES);
	for (i = 0; i < TE_WIN_PAGES; i++)
		pfn[i] = home + i;
	KUNIT_EXPECT_EQ(test, te_home_displace(&h, 3, 5, false), 0ULL);
	KUNIT_EXPECT_EQ(test, te_home_displace(&h, 4, 6, true), 0ULL);
	/* Displaced again: the frame it leaves goes, home stays reserved. */
	KUNIT_EXPECT_EQ(test, te_home_displace(&h, 3, 7, false), 5ULL);
	KUNIT_EXPECT_FALSE(test, te_home_in_place(&h, 0, copy));

	/* Fresh, rolled back after pages 0-9 switched. */
	bitmap_fill(copy, TE_WIN_PAGES);
	bitmap_zero(sw, TE_WIN_PAGES);
	for (i = 0; i < 10; i++) {
		old[i] = te_home_switch(&h, i, blk + i, false);
		__set_bit(i, sw);
	}
	te_home_rollback(&h, false, blk, copy, sw, old, count_free, &f);
	for (sum = 0, i = 0; i < 10; i++)
		sum += old[i];
	for (i = 10; i < TE_WIN_PAGES; i++)
		sum += blk + i;
	KUNIT_EXPECT_EQ(test, f.n, 512U);
	KUNIT_EXPECT_EQ(test, f.sum, sum);
	KUNIT_EXPECT_EQ(test, bitmap_weight(away, TE_WIN_PAGES), 2U);
	KUNIT_EXPECT_EQ(test, pfn[3], blk + 3);

	/* Fresh again, completed: the old home block goes whole. */
	f = (struct freed){ 0 };
	for (sum = 0, i = 0; i < TE_WIN_PAGES; i++) {
		old[i] = te_home_switch(&h, i, blk2 + i, false);
		sum += old[i];
	}
	KUNIT_EXPECT_EQ(test, bitmap_weight(away, TE_WIN_PAGES), 2U);
	te_home_finish(&h, 0, false, blk2, copy, old, count_free, &f);
	KUNIT_EXPECT_EQ(test, f.n, 514U);
	KUNIT_EXPECT_EQ(test, f.sum, sum + home + 3 + home + 4);
	KUNIT_EXPECT_EQ(test, bitmap_weight(away, TE_WIN_PAGES), 0U);
	KUNIT_EXPECT_EQ(test, bitmap_weight(bad, TE_WIN_PAGES), 0U);
	KUNIT_EXPECT_EQ(test, hw, blk2);

	/* In place now: a page displaced comes home; nothing else goes. */
	KUNIT_EXPECT_EQ(test, te_home_displace(&h, 9, 8, false), 0ULL);
	KUNIT_EXPECT_TRUE(test, te_home_in_place(&h, 0, copy));
	KUNIT_EXPECT_EQ(test, bitmap_weight(copy, TE_WIN_PAGES), 1U);
	f = (struct freed){ 0 };
	old[9] = te_home_switch(&h, 9, blk2 + 9, true);
	te_home_finish(&h, 0, true, blk2, copy, old, count_free, &f);
	KUNIT_EXPECT_EQ(test, f.n, 1U);
	KUNIT_EXPECT_EQ(test, f.sum, 8ULL);
	f = (struct freed){ 0 };
	te_home_release(&h, TE_WIN_PAGES, count_free, &f);
	KUNIT_EXPECT_EQ(test, f.n, 512U);
}

static struct kunit_case te_core_cases[] = {
	KUNIT_CASE(layout_checks),
	KUNIT_CASE(encrypted_layout_checks),
	KUNIT_CASE(exclusion_range),
	KUNIT_CASE(window_selection),
	KUNIT_CASE(copy_state_machine),
	KUNIT_CASE(clean_copy_completes),
	KUNIT_CASE(gpa_map),
	KUNIT_CASE(home_frames),
	{}
};

static struct kunit_suite te_core_suite = {
	.name = "thp_encvm_core",
	.test_cases = te_core_cases,
};

kunit_test_suites(&te_core_suite);

MODULE_DESCRIPTION("KUnit tests for the thp_encvm core");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
