// SPDX-License-Identifier: GPL-2.0
/*
 * thp_encvm core: object layout, window selection and the per-window
 * copy state machine (see thp_encvm_core.h).
 */
#include <linux/bitmap.h>
#include <linux/compiler.h>
#include <linux/errno.h>
#include <linux/export.h>
#include <kunit/visibility.h>
#include <linux/string.h>

#include "thp_encvm_core.h"

const char * const te_fail_names[TE_FAIL_NR] = {
	[TE_FAIL_NONE] = "none",
	[TE_FAIL_ALLOC] = "alloc",
	[TE_FAIL_TIMEOUT] = "timeout",
	[TE_FAIL_RETRIES] = "retries",
	[TE_FAIL_DETACHED] = "detached",
	[TE_FAIL_RING] = "ring",
	[TE_FAIL_BUSY] = "guest_busy",
	[TE_FAIL_MEMSLOT] = "memslot",
	[TE_FAIL_PINNED] = "pinned",
	[TE_FAIL_DISABLED] = "disabled",
	[TE_FAIL_KVM_WRITES] = "kvm_writes",
	[TE_FAIL_GPA_SPLIT] = "gpa_split",
	[TE_FAIL_MISALIGNED] = "misaligned",
	[TE_FAIL_UNMAPPED] = "unmapped",
};

static bool page_aligned(u64 v)
{
	return !(v & (THP_ENCVM_PAGE_SIZE - 1));
}

/*
 * An encrypted object's tweak table lies in the shared range, off the
 * ring's page; its launch-secret page is private, outside the staging
 * window.
 */
static int te_layout_init_enc(struct te_layout *l, const struct thp_encvm_create *c)
{
	u64 bytes = sizeof(struct thp_encvm_tweaks) + l->nr_pages * sizeof(u64);
	u64 first = c->tweak_offset >> TE_PAGE_SHIFT;
	u64 count = (bytes + THP_ENCVM_PAGE_SIZE - 1) >> TE_PAGE_SHIFT;
	u64 secret = c->secret_offset >> TE_PAGE_SHIFT;

	if (!page_aligned(c->tweak_offset) || !page_aligned(c->secret_offset) ||
	    c->tweak_offset >= c->size || c->secret_offset >= c->size)
		return -EINVAL;
	if (!te_page_shared(l, first) || !te_page_shared(l, first + count - 1) ||
	    (l->ring_page >= first && l->ring_page < first + count))
		return -EINVAL;
	if (te_page_shared(l, secret) || secret - l->staging_first < TE_WIN_PAGES)
		return -EINVAL;
	l->tweak_first = first;
	l->tweak_count = count;
	l->secret_page = secret;
	return 0;
}

/**
 * te_layout_init() - check a create request and derive the layout
 * @l: layout to fill
 * @c: the request
 * @max_bytes: largest object allowed
 *
 * Return: 0, or -EINVAL for a size that is not a non-zero multiple of
 * 2 MiB, a misaligned or out-of-range shared range, a ring outside it,
 * or a staging window that is misaligned, outside the object or
 * overlapping the shared range, an encrypted object's tweak table not
 * inside the shared range or on the ring's page, or its secret page
 * shared, in the staging window or outside the object, or either offset
 * set on an object that is not encrypted; -E2BIG above @max_bytes.
 */
int te_layout_init(struct te_layout *l, const struct thp_encvm_create *c,
		   u64 max_bytes)
{
	u64 shared_end = c->shared_offset + c->shared_size;

	if (!c->size || (c->size & (THP_ENCVM_WINDOW_SIZE - 1)))
		return -EINVAL;
	if (c->size > max_bytes)
		return -E2BIG;
	if (!c->shared_size || !page_aligned(c->shared_offset) ||
	    !page_aligned(c->shared_size) || shared_end < c->shared_offset ||
	    shared_end > c->size)
		return -EINVAL;
	if (!page_aligned(c->ring_offset) || c->ring_offset < c->shared_offset ||
	    c->ring_offset >= shared_end)
		return -EINVAL;
	if (c->staging_offset & (THP_ENCVM_WINDOW_SIZE - 1) ||
	    c->staging_offset >= c->size ||
	    (c->staging_offset < shared_end &&
	     c->shared_offset < c->staging_offset + THP_ENCVM_WINDOW_SIZE))
		return -EINVAL;
	l->nr_pages = c->size >> TE_PAGE_SHIFT;
	l->shared_first = c->shared_offset >> TE_PAGE_SHIFT;
	l->shared_count = c->shared_size >> TE_PAGE_SHIFT;
	l->ring_page = c->ring_offset >> TE_PAGE_SHIFT;
	l->staging_first = c->staging_offset >> TE_PAGE_SHIFT;
	l->encrypted = c->flags & THP_ENCVM_CREATE_ENCRYPTED;
	l->tweak_first = 0;
	l->tweak_count = 0;
	l->secret_page = 0;
	if (!l->encrypted)
		return c->tweak_offset || c->secret_offset ? -EINVAL : 0;
	return te_layout_init_enc(l, c);
}
EXPORT_SYMBOL_IF_KUNIT(te_layout_init);

/**
 * te_layout_excl() - check the exclusion range a launch latches
 * @l: the object's layout
 * @offset: first byte of the range, from ATTACH's argument
 * @size: its bytes; with @offset, 0 for the shared range of CREATE
 * @first: set to the range's first page
 * @count: set to its pages
 *
 * ATTACH, the VM's launch, latches the exclusion range register: the
 * pages the firmware leaves in plaintext, which the host's accesses
 * (XFER, the ring, the tweak table) may reach. It lies inside the
 * shared range CREATE declared, the pages the daemon never collapses
 * (a collapse re-encrypts what it copies), so it is inside the object,
 * off the secret page and off the staging window; and it holds the
 * pages the host writes: the ring's, and an encrypted object's tweak
 * table.
 *
 * Return: 0, or -EINVAL for a range of 0 bytes at a non-zero offset, or
 * one that is not 4 KiB aligned, overflows, reaches outside the object
 * or the shared range, holds the secret page, or leaves out the ring or
 * the tweak table.
 */
int te_layout_excl(const struct te_layout *l, u64 offset, u64 size,
		   u64 *first, u64 *count)
{
	u64 f = offset >> TE_PAGE_SHIFT, n = size >> TE_PAGE_SHIFT;

	if (!offset && !size) {
		*first = l->shared_first;
		*count = l->shared_count;
		return 0;
	}
	if (!size || !page_aligned(offset) || !page_aligned(size) ||
	    offset + size < offset || f + n > l->nr_pages)
		return -EINVAL;
	if (l->encrypted && l->secret_page - f < n)
		return -EINVAL;
	if (f < l->shared_first || f + n > l->shared_first + l->shared_count ||
	    l->ring_page - f >= n)
		return -EINVAL;
	if (l->encrypted && (l->tweak_first < f ||
			     l->tweak_first + l->tweak_count > f + n))
		return -EINVAL;
	*first = f;
	*count = n;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(te_layout_excl);

/**
 * te_page_shared() - may the host touch this page
 * @l: layout
 * @page: page index in the object
 *
 * Return: true inside the shared (exclusion) range.
 */
bool te_page_shared(const struct te_layout *l, u64 page)
{
	return page >= l->shared_first && page - l->shared_first < l->shared_count;
}
EXPORT_SYMBOL_IF_KUNIT(te_page_shared);

/**
 * te_pfns_huge() - are a window's pages one aligned 2 MiB host page
 * @pfn: the window's TE_WIN_PAGES host page frame numbers
 *
 * Return: true if they are contiguous and the first is 2 MiB aligned.
 */
bool te_pfns_huge(const u64 *pfn)
{
	unsigned int i;

	if (pfn[0] & (TE_WIN_PAGES - 1))
		return false;
	for (i = 1; i < TE_WIN_PAGES; i++)
		if (pfn[i] != pfn[0] + i)
			return false;
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(te_pfns_huge);

/**
 * te_window_classify() - what the daemon may do with a window
 * @l: layout
 * @pfn: host pfn of every page of the object
 * @touched: pages the guest has accessed
 * @win: window index
 * @max_ptes_none: most untouched pages an eligible window may have
 *
 * Return: the window's kind; only TE_WIN_ELIGIBLE windows are collapsed.
 */
enum te_window_kind te_window_classify(const struct te_layout *l,
				       const u64 *pfn,
				       const unsigned long *touched, u64 win,
				       unsigned int max_ptes_none)
{
	u64 first = win * TE_WIN_PAGES;
	unsigned int none;

	if (first == l->staging_first)
		return TE_WIN_STAGING;
	if (first < l->shared_first + l->shared_count &&
	    l->shared_first < first + TE_WIN_PAGES)
		return TE_WIN_SHARED;
	/* The launch-secret page is the firmware's: it never moves. */
	if (l->encrypted && l->secret_page - first < TE_WIN_PAGES)
		return TE_WIN_SHARED;
	if (te_pfns_huge(pfn + first))
		return TE_WIN_HUGE;
	/* Windows start on a long boundary: TE_WIN_PAGES is a multiple of 64. */
	none = TE_WIN_PAGES - bitmap_weight(touched + first / BITS_PER_LONG,
					    TE_WIN_PAGES);
	return none > max_ptes_none ? TE_WIN_SPARSE : TE_WIN_ELIGIBLE;
}
EXPORT_SYMBOL_IF_KUNIT(te_window_classify);

/**
 * te_collapse_init() - start the copy state of a window
 * @c: state to set up
 * @win: window index
 * @max_retries: re-copies allowed per page
 *
 * Every page starts pending: the guest copies all of them.
 */
void te_collapse_init(struct te_collapse *c, u64 win, unsigned int max_retries)
{
	c->win = win;
	c->max_retries = max_retries;
	bitmap_fill(c->pending, TE_WIN_PAGES);
	bitmap_zero(c->inflight, TE_WIN_PAGES);
	bitmap_zero(c->switched, TE_WIN_PAGES);
	memset(c->retries, 0, sizeof(c->retries));
	c->nr_switched = 0;
	c->pages_copied = 0;
	c->dirty_retries = 0;
	c->fail = TE_FAIL_NONE;
}
EXPORT_SYMBOL_IF_KUNIT(te_collapse_init);

/**
 * te_collapse_init_subset() - start the copy state of a window in place
 * @c: state to set up
 * @win: window index
 * @max_retries: re-copies allowed per page
 * @copy: the pages to copy (the displaced ones); the others are in
 *	  their frames already and count as switched
 */
void te_collapse_init_subset(struct te_collapse *c, u64 win, unsigned int max_retries,
			     const unsigned long *copy)
{
	unsigned int i;

	te_collapse_init(c, win, max_retries);
	for (i = 0; i < TE_WIN_PAGES; i++) {
		if (test_bit(i, copy))
			continue;
		__clear_bit(i, c->pending);
		__set_bit(i, c->switched);
		c->nr_switched++;
	}
}
EXPORT_SYMBOL_IF_KUNIT(te_collapse_init_subset);

/**
 * te_collapse_next_run() - the next run of pages to request a copy of
 * @c: state
 * @first: set to the run's first page (window relative)
 *
 * The run moves from pending to in flight. One run is one ring request.
 *
 * Return: its length, 0 when nothing is pending.
 */
unsigned int te_collapse_next_run(struct te_collapse *c, unsigned int *first)
{
	unsigned int s = find_first_bit(c->pending, TE_WIN_PAGES), e;

	if (s >= TE_WIN_PAGES)
		return 0;
	e = find_next_zero_bit(c->pending, TE_WIN_PAGES, s);
	bitmap_clear(c->pending, s, e - s);
	bitmap_set(c->inflight, s, e - s);
	*first = s;
	return e - s;
}
EXPORT_SYMBOL_IF_KUNIT(te_collapse_next_run);

/**
 * te_collapse_complete() - the guest finished copying a run
 * @c: state
 * @first: the run's first page
 * @n: its length
 * @dirty: pages of the window written since they were write-protected
 * @to_switch: set for each page whose copy is good: back it by its new
 *	       subpage now
 *
 * A page written during its copy goes back to pending, up to
 * @c->max_retries times.
 *
 * Return: 0; -EINVAL if the run was not in flight; -EBUSY when a page
 * ran out of retries (@c->fail is then TE_FAIL_RETRIES).
 */
int te_collapse_complete(struct te_collapse *c, unsigned int first,
			 unsigned int n, const unsigned long *dirty,
			 unsigned long *to_switch)
{
	unsigned int i;

	if (first >= TE_WIN_PAGES || n > TE_WIN_PAGES - first || !n ||
	    find_next_zero_bit(c->inflight, first + n, first) < first + n)
		return -EINVAL;
	bitmap_clear(c->inflight, first, n);
	c->pages_copied += n;
	for (i = first; i < first + n; i++) {
		if (!test_bit(i, dirty)) {
			__set_bit(i, to_switch);
			__set_bit(i, c->switched);
			c->nr_switched++;
			continue;
		}
		c->dirty_retries++;
		if (++c->retries[i] > c->max_retries) {
			c->fail = TE_FAIL_RETRIES;
			return -EBUSY;
		}
		__set_bit(i, c->pending);
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(te_collapse_complete);

/**
 * te_collapse_done() - is every page of the window switched
 * @c: state
 *
 * Return: true when the window can be mapped as one 2 MiB page.
 */
bool te_collapse_done(const struct te_collapse *c)
{
	return c->nr_switched == TE_WIN_PAGES;
}
EXPORT_SYMBOL_IF_KUNIT(te_collapse_done);

/**
 * te_gmap_gfn() - the gfn of an object page
 * @m: the object's guest-physical map
 * @page: the page
 * @gfn: set to its gfn
 *
 * Return: true if @m maps @page.
 */
bool te_gmap_gfn(const struct te_gmap *m, u64 page, u64 *gfn)
{
	unsigned int i;

	for (i = 0; i < m->nr; i++) {
		if (page - m->seg[i].first < m->seg[i].n) {
			*gfn = m->seg[i].gfn + (page - m->seg[i].first);
			return true;
		}
	}
	return false;
}
EXPORT_SYMBOL_IF_KUNIT(te_gmap_gfn);

/**
 * te_gmap_page() - the object page at a gfn
 * @m: the object's guest-physical map
 * @gfn: the gfn
 * @page: set to the page
 *
 * Return: true if @m maps a page at @gfn.
 */
bool te_gmap_page(const struct te_gmap *m, u64 gfn, u64 *page)
{
	unsigned int i;

	for (i = 0; i < m->nr; i++) {
		if (gfn - m->seg[i].gfn < m->seg[i].n) {
			*page = m->seg[i].first + (gfn - m->seg[i].gfn);
			return true;
		}
	}
	return false;
}
EXPORT_SYMBOL_IF_KUNIT(te_gmap_page);

/**
 * te_gmap_span() - how the memslots map a range of object pages
 * @m: the object's guest-physical map
 * @first: first page
 * @n: pages, at least one
 *
 * Return: TE_SPAN_ONE if they are all mapped at consecutive gfns,
 * congruent to the pages modulo TE_WIN_PAGES, with no memslot edge
 * inside the range that is not 2 MiB aligned; TE_SPAN_SKEWED if they
 * are all at consecutive gfns but either not congruent (a memslot at a
 * guest-physical address off a 2 MiB boundary relative to the object)
 * or with an edge between two memslots off a 2 MiB boundary inside the
 * range (one memslot split in two there): KVM never maps a 2 MiB entry
 * across a memslot edge, nor off alignment, so it could never map such
 * a window huge; TE_SPAN_UNMAPPED if some page of the range is in no
 * run (no memslot maps it, as QEMU leaves its legacy VGA and ROM
 * range); TE_SPAN_SPLIT if they are all mapped, but not at consecutive
 * gfns (across QEMU's PCI hole).
 */
enum te_span te_gmap_span(const struct te_gmap *m, u64 first, u64 n)
{
	u64 p = first, end = first + n, next_gfn = 0;
	bool split = false, edge = false;
	unsigned int i;

	while (p < end) {
		for (i = 0; i < m->nr; i++)
			if (p - m->seg[i].first < m->seg[i].n)
				break;
		if (i == m->nr)
			return TE_SPAN_UNMAPPED;
		/* A later run starts at p: it continues the last one, or not. */
		if (p != first) {
			split |= m->seg[i].gfn != next_gfn;
			edge |= m->seg[i].gfn % TE_WIN_PAGES != 0;
		}
		next_gfn = m->seg[i].gfn + m->seg[i].n;
		p = m->seg[i].first + m->seg[i].n;
	}
	if (split)
		return TE_SPAN_SPLIT;
	if (edge || (next_gfn - p) % TE_WIN_PAGES)
		return TE_SPAN_SKEWED;
	return TE_SPAN_ONE;
}
EXPORT_SYMBOL_IF_KUNIT(te_gmap_span);

/**
 * te_gmap_contig() - are object pages at consecutive gfns?
 * @m: the object's guest-physical map
 * @first: first page
 * @n: pages, at least one
 *
 * A window that two memslots map at unrelated guest-physical addresses
 * (across QEMU's PCI hole, say), or that holds a page no memslot maps,
 * is not: KVM cannot map it with one 2 MiB entry, and a guest cannot
 * copy it as one run.
 *
 * Return: true if they are all at consecutive gfns, in one memslot or
 * in several that continue each other, congruent or not.
 */
bool te_gmap_contig(const struct te_gmap *m, u64 first, u64 n)
{
	enum te_span s = te_gmap_span(m, first, n);

	return s == TE_SPAN_ONE || s == TE_SPAN_SKEWED;
}
EXPORT_SYMBOL_IF_KUNIT(te_gmap_contig);

/* Sort @m's runs by object page (a handful: insertion sort). */
static void te_gmap_sort(struct te_gmap *m)
{
	struct te_seg t;
	unsigned int i, j;

	for (i = 1; i < m->nr; i++) {
		t = m->seg[i];
		for (j = i; j && m->seg[j - 1].first > t.first; j--)
			m->seg[j] = m->seg[j - 1];
		m->seg[j] = t;
	}
}

/**
 * te_gmap_add() - record a run of object pages that a memslot maps
 * @m: the map being built (@m->nr zero to start)
 * @first: first object page
 * @n: pages, at least one
 * @gfn: gfn of page @first
 *
 * Return: 0, or -E2BIG if @m has TE_MAX_SEGS runs already.
 */
int te_gmap_add(struct te_gmap *m, u64 first, u64 n, u64 gfn)
{
	if (m->nr == TE_MAX_SEGS)
		return -E2BIG;
	m->seg[m->nr++] = (struct te_seg){ .first = first, .n = n, .gfn = gfn };
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(te_gmap_add);

/**
 * te_gmap_finish() - check and sort the runs te_gmap_add() recorded
 * @m: the map being built
 * @nr_pages: the object's pages
 * @gfn0: where page 0 must be
 *
 * The runs must lie in [0, @nr_pages) and map no page twice (an alias,
 * which write tracking by gfn would miss), and page 0 must be at
 * @gfn0. Pages in no run are allowed: no memslot maps them, the guest
 * cannot reach them, and no window that holds one is collapsed. Runs
 * that continue each other in both page and gfn stay apart: the edge
 * between two memslots is where KVM stops a 2 MiB entry (te_gmap_span()).
 *
 * Return: 0, or -ENOENT if a page is mapped twice, a run is empty or
 * past the end, or page 0 is unmapped or elsewhere; @m is then
 * undefined.
 */
int te_gmap_finish(struct te_gmap *m, u64 nr_pages, u64 gfn0)
{
	unsigned int i;
	struct te_seg s;
	u64 next = 0;

	te_gmap_sort(m);
	for (i = 0; i < m->nr; i++) {
		s = m->seg[i];
		if (!s.n || s.first < next || s.first >= nr_pages ||
		    s.n > nr_pages - s.first)
			return -ENOENT;
		next = s.first + s.n;
	}
	if (!m->nr || m->seg[0].first || m->seg[0].gfn != gfn0)
		return -ENOENT;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(te_gmap_finish);

/**
 * te_ring_done() - has the guest completed request @seq in slot @r
 * @r: the slot, in guest-writable memory
 * @seq: the sequence number the host gave the request
 *
 * Return: true if the slot says so.
 */
bool te_ring_done(const struct thp_encvm_copy_req *r, u32 seq)
{
	/* Pairs with the guest's store: read it once, compare only. */
	return READ_ONCE(r->done) == seq;
}
EXPORT_SYMBOL_IF_KUNIT(te_ring_done);

/*
 * Home frames. Every frame an object holds is owned exactly once: by
 * pfn[] (the page's current frame), or as the reserved home frame of a
 * displaced page (its bit in @away, the frame at home + i). The
 * functions below are every change of that bookkeeping; a frame they
 * no longer own goes to @free.
 */

/**
 * te_home_frame() - the home frame of page @i
 * @h: the object's frames
 * @i: the page
 *
 * Return: the pfn, or 0 if its window has no home block.
 */
u64 te_home_frame(const struct te_homes *h, u64 i)
{
	u64 home = h->home[i / TE_WIN_PAGES];

	return home ? home + i % TE_WIN_PAGES : 0;
}
EXPORT_SYMBOL_IF_KUNIT(te_home_frame);

/**
 * te_home_displace() - page @i moves to frame @to
 * @h: the object's frames
 * @i: the page, in a window with a home block
 * @to: its new frame
 * @offline: its old frame was soft-offlined
 *
 * A page that leaves its home frame keeps it reserved (marked bad if
 * @offline); a page already away frees the frame it leaves.
 *
 * Return: the frame to free, or 0.
 */
u64 te_home_displace(const struct te_homes *h, u64 i, u64 to, bool offline)
{
	u64 old = h->pfn[i];

	h->pfn[i] = to;
	if (old != te_home_frame(h, i))
		return old;
	__set_bit(i, h->away);
	if (offline)
		__set_bit(i, h->home_bad);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(te_home_displace);

/**
 * te_home_in_place() - can window @win collapse in place?
 * @h: the object's frames
 * @win: the window
 * @copy: set to the pages to copy back (window relative)
 *
 * Return: true if every page is in its home frame but the displaced
 * ones, set in @copy, whose home frames are usable, and there is one.
 */
bool te_home_in_place(const struct te_homes *h, u64 win, unsigned long *copy)
{
	u64 first = win * TE_WIN_PAGES, i;

	bitmap_zero(copy, TE_WIN_PAGES);
	if (!h->home[win])
		return false;
	for (i = 0; i < TE_WIN_PAGES; i++) {
		if (h->pfn[first + i] == h->home[win] + i)
			continue;
		if (!test_bit(first + i, h->away) || test_bit(first + i, h->home_bad))
			return false;
		__set_bit(i, copy);
	}
	return find_first_bit(copy, TE_WIN_PAGES) < TE_WIN_PAGES;
}
EXPORT_SYMBOL_IF_KUNIT(te_home_in_place);

/**
 * te_home_switch() - page @i of a collapse switches to frame @to
 * @h: the object's frames
 * @i: the page
 * @to: its frame in the collapse's block
 * @in_place: the block is the window's home: the page is home again
 *
 * Into a fresh block, the page stays marked away: its home frame is
 * still reserved, until te_home_finish() frees it, or for a later
 * collapse if this one rolls back.
 *
 * Return: the frame it leaves, the caller's until the collapse ends.
 */
u64 te_home_switch(const struct te_homes *h, u64 i, u64 to, bool in_place)
{
	u64 old = h->pfn[i];

	h->pfn[i] = to;
	if (in_place) {
		__clear_bit(i, h->away);
		__clear_bit(i, h->home_bad);
	}
	return old;
}
EXPORT_SYMBOL_IF_KUNIT(te_home_switch);

/**
 * te_home_finish() - a collapse of window @win completed
 * @h: the object's frames
 * @win: the window
 * @in_place: it collapsed into its home block
 * @block: the block's first frame
 * @copy: the pages copied (window relative), all switched
 * @old: the frames they left (te_home_switch())
 * @free: called for each frame no longer owned
 * @arg: @free's argument
 *
 * The frames the copied pages left go. A fresh block is the window's
 * home from now on: the old block's frames reserved for displaced
 * pages go too.
 */
void te_home_finish(const struct te_homes *h, u64 win, bool in_place, u64 block,
		    const unsigned long *copy, const u64 *old,
		    void (*free)(u64 pfn, void *arg), void *arg)
{
	u64 first = win * TE_WIN_PAGES;
	unsigned int i;

	for (i = 0; i < TE_WIN_PAGES; i++)
		if (test_bit(i, copy))
			free(old[i], arg);
	if (in_place)
		return;
	for (i = 0; i < TE_WIN_PAGES; i++) {
		if (test_bit(first + i, h->away))
			free(h->home[win] + i, arg);
		__clear_bit(first + i, h->away);
		__clear_bit(first + i, h->home_bad);
	}
	h->home[win] = block;
}
EXPORT_SYMBOL_IF_KUNIT(te_home_finish);

/**
 * te_home_rollback() - a collapse of window @win rolled back
 * @h: the object's frames
 * @in_place: it collapsed into its home block
 * @block: the block's first frame, or 0 if it had none yet
 * @copy: the pages to copy (window relative)
 * @switched: those switched (te_home_switch())
 * @old: the frames they left
 * @free: called for each frame no longer owned
 * @arg: @free's argument
 *
 * A switched page keeps its new frame, and the frame it left goes. The
 * new frame of a page not switched goes, unless it is the page's
 * reserved home frame.
 */
void te_home_rollback(const struct te_homes *h, bool in_place, u64 block,
		      const unsigned long *copy, const unsigned long *switched,
		      const u64 *old, void (*free)(u64 pfn, void *arg), void *arg)
{
	unsigned int i;

	if (!block)
		return;
	for (i = 0; i < TE_WIN_PAGES; i++) {
		if (!test_bit(i, copy))
			continue;
		if (test_bit(i, switched))
			free(old[i], arg);
		else if (!in_place)
			free(block + i, arg);
	}
}
EXPORT_SYMBOL_IF_KUNIT(te_home_rollback);

/**
 * te_home_release() - an object goes: every frame it owns
 * @h: the object's frames
 * @nr_pages: its pages
 * @free: called for each frame
 * @arg: @free's argument
 */
void te_home_release(const struct te_homes *h, u64 nr_pages,
		     void (*free)(u64 pfn, void *arg), void *arg)
{
	u64 i;

	for (i = 0; i < nr_pages; i++) {
		if (h->pfn[i])
			free(h->pfn[i], arg);
		if (test_bit(i, h->away))
			free(te_home_frame(h, i), arg);
	}
}
EXPORT_SYMBOL_IF_KUNIT(te_home_release);
