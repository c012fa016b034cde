/* SPDX-License-Identifier: GPL-2.0 */
/*
 * thp_encvm core: the object layout, which 2 MiB windows the daemon may
 * collapse, and the per-window copy state machine. Pure logic: no
 * locking, no allocation, no kernel glue; the same code is built in
 * userspace (tools/testing/userspace) and tested by KUnit.
 */
#ifndef _THP_ENCVM_CORE_H
#define _THP_ENCVM_CORE_H

#include <linux/bitmap.h>
#include <linux/types.h>
#include <linux/thp_encvm.h>

#define TE_WIN_PAGES	THP_ENCVM_WINDOW_PAGES
#define TE_PAGE_SHIFT	12
#define TE_WIN_SHIFT	21

/**
 * struct te_layout - an object's pages and what the host may touch
 * @nr_pages: 4 KiB pages of the object
 * @shared_first: first page of the shared range
 * @shared_count: pages of the shared range
 * @ring_page: page of the cooperation ring (inside the shared range)
 * @staging_first: first page of the staging window (window aligned)
 * @encrypted: the object is encrypted (THP_ENCVM_CREATE_ENCRYPTED)
 * @tweak_first: encrypted: first page of the frame-tweak table
 * @tweak_count: encrypted: its pages
 * @secret_page: encrypted: the launch-secret page
 */
struct te_layout {
	u64 nr_pages;
	u64 shared_first;
	u64 shared_count;
	u64 ring_page;
	u64 staging_first;
	bool encrypted;
	u64 tweak_first;
	u64 tweak_count;
	u64 secret_page;
};

int te_layout_init(struct te_layout *l, const struct thp_encvm_create *c,
		   u64 max_bytes);
bool te_page_shared(const struct te_layout *l, u64 page);
int te_layout_excl(const struct te_layout *l, u64 offset, u64 size,
		   u64 *first, u64 *count);

/* What the daemon makes of a window. */
enum te_window_kind {
	TE_WIN_ELIGIBLE,	/* guest-contiguous, host-scattered: collapse */
	TE_WIN_HUGE,		/* one aligned 2 MiB host page already */
	TE_WIN_SHARED,		/* overlaps the shared range, or holds the secret page */
	TE_WIN_STAGING,		/* the staging window */
	TE_WIN_SPARSE,		/* more untouched pages than max_ptes_none */
};

bool te_pfns_huge(const u64 *pfn);
enum te_window_kind te_window_classify(const struct te_layout *l,
				       const u64 *pfn,
				       const unsigned long *touched, u64 win,
				       unsigned int max_ptes_none);

/* Why a collapse was rolled back (the collapse_failed/ counters). */
enum te_fail {
	TE_FAIL_NONE,
	TE_FAIL_ALLOC,		/* no 2 MiB page on the node */
	TE_FAIL_TIMEOUT,	/* the guest did not answer in copy_timeout_ms */
	TE_FAIL_RETRIES,	/* a page stayed dirty past max_copy_retries */
	TE_FAIL_DETACHED,	/* detach, VM or object going away */
	TE_FAIL_RING,		/* the ring was not set up or was corrupted */
	TE_FAIL_BUSY,		/* not started: the guest is busy with an old request */
	TE_FAIL_MEMSLOT,	/* the VM's memslots changed, or do not map the object */
	TE_FAIL_PINNED,		/* a page stayed referenced by someone else */
	TE_FAIL_DISABLED,	/* "enabled" went to 0 during the collapse */
	TE_FAIL_KVM_WRITES,	/* KVM itself writes a page (KVM write tracking) */
	TE_FAIL_GPA_SPLIT,	/* memslots map the window at unrelated addresses */
	TE_FAIL_MISALIGNED,	/* its run's gfns are not congruent mod 512 */
	TE_FAIL_UNMAPPED,	/* no memslot maps some page of the window */
	TE_FAIL_NR,
};

extern const char * const te_fail_names[TE_FAIL_NR];

/**
 * struct te_collapse - the copy state of one window
 * @win: window index in the object
 * @max_retries: copies a page may need beyond the first
 * @pending: pages still to be requested
 * @inflight: pages requested, not yet completed
 * @switched: pages now backed by their new subpage
 * @retries: re-copies so far, per page
 * @nr_switched: weight of @switched
 * @pages_copied: copies the guest completed
 * @dirty_retries: copies that had to be redone
 * @fail: why the collapse stopped, or TE_FAIL_NONE
 */
struct te_collapse {
	u64 win;
	unsigned int max_retries;
	DECLARE_BITMAP(pending, TE_WIN_PAGES);
	DECLARE_BITMAP(inflight, TE_WIN_PAGES);
	DECLARE_BITMAP(switched, TE_WIN_PAGES);
	u8 retries[TE_WIN_PAGES];
	unsigned int nr_switched;
	u64 pages_copied;
	u64 dirty_retries;
	enum te_fail fail;
};

void te_collapse_init(struct te_collapse *c, u64 win, unsigned int max_retries);
void te_collapse_init_subset(struct te_collapse *c, u64 win, unsigned int max_retries,
			     const unsigned long *copy);
unsigned int te_collapse_next_run(struct te_collapse *c, unsigned int *first);
int te_collapse_complete(struct te_collapse *c, unsigned int first,
			 unsigned int n, const unsigned long *dirty,
			 unsigned long *to_switch);
bool te_collapse_done(const struct te_collapse *c);

/*
 * Memslots that may map parts of one object: QEMU maps its RAM with two
 * (below the PCI hole and above 4 GiB); more than a few is a layout
 * the module refuses.
 */
#define TE_MAX_SEGS	8

/**
 * struct te_seg - a run of object pages at consecutive gfns
 * @first: first object page
 * @n: pages
 * @gfn: gfn of page @first
 */
struct te_seg {
	u64 first;
	u64 n;
	u64 gfn;
};

/**
 * struct te_gmap - where the VM's memslots map an object's pages
 * @nr: runs in @seg
 * @seg: the runs, one a memslot's part, by object page (once
 *	 te_gmap_finish() has accepted them), without overlap; pages in
 *	 no run are mapped by no memslot; runs at consecutive gfns are
 *	 kept apart, for the memslot edge between them
 */
struct te_gmap {
	unsigned int nr;
	struct te_seg seg[TE_MAX_SEGS];
};

bool te_gmap_gfn(const struct te_gmap *m, u64 page, u64 *gfn);
bool te_gmap_page(const struct te_gmap *m, u64 gfn, u64 *page);
bool te_gmap_contig(const struct te_gmap *m, u64 first, u64 n);

/* How the memslots map a range of pages (te_gmap_span()). */
enum te_span {
	TE_SPAN_ONE,		/* consecutive gfns, congruent mod 512 */
	TE_SPAN_SKEWED,		/* consecutive, not congruent mod 512, or an edge off 2 MiB */
	TE_SPAN_SPLIT,		/* all mapped, not at consecutive gfns */
	TE_SPAN_UNMAPPED,	/* some page mapped by no memslot */
};

enum te_span te_gmap_span(const struct te_gmap *m, u64 first, u64 n);
int te_gmap_add(struct te_gmap *m, u64 first, u64 n, u64 gfn);
int te_gmap_finish(struct te_gmap *m, u64 nr_pages, u64 gfn0);

/* Ring slot validation: what the guest wrote is only ever compared. */
bool te_ring_done(const struct thp_encvm_copy_req *r, u32 seq);

/**
 * struct te_homes - an object's frames, as the home bookkeeping sees them
 * @pfn: the current frame of every page
 * @home: per window, the first frame of the 2 MiB block it was
 *	  allocated as (its home), or 0
 * @away: pages displaced from their home frame, which stays reserved
 * @home_bad: of those, pages whose home frame was soft-offlined
 */
struct te_homes {
	u64 *pfn;
	u64 *home;
	unsigned long *away;
	unsigned long *home_bad;
};

u64 te_home_frame(const struct te_homes *h, u64 i);
u64 te_home_displace(const struct te_homes *h, u64 i, u64 to, bool offline);
bool te_home_in_place(const struct te_homes *h, u64 win, unsigned long *copy);
u64 te_home_switch(const struct te_homes *h, u64 i, u64 to, bool in_place);
void te_home_finish(const struct te_homes *h, u64 win, bool in_place, u64 block,
		    const unsigned long *copy, const u64 *old,
		    void (*free)(u64 pfn, void *arg), void *arg);
void te_home_rollback(const struct te_homes *h, bool in_place, u64 block,
		      const unsigned long *copy, const unsigned long *switched,
		      const u64 *old, void (*free)(u64 pfn, void *arg), void *arg);
void te_home_release(const struct te_homes *h, u64 nr_pages,
		     void (*free)(u64 pfn, void *arg), void *arg);

#endif /* _THP_ENCVM_CORE_H */
