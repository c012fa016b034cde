// SPDX-License-Identifier: GPL-2.0
/*
 * The thp_encvm copy state machine against a model: random rounds of
 * requests, completions and dirty pages. Every page is always in
 * exactly one of pending, in flight or switched; a page is switched
 * only by a clean completion; retries never pass the limit; a collapse
 * is done exactly when every page is switched. Then random create
 * requests, plain and encrypted, against the layout model, and random
 * memslot layouts against a page-by-page model of the guest-physical
 * map. Then the home-frame bookkeeping: random displacements and
 * collapses, in place and into fresh blocks, completed or rolled back
 * at a random point, after which every frame allocated is owned
 * exactly once (by a page, or as a displaced page's reserved home
 * frame) and every frame freed was owned. Prints TAP.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "thp_encvm_layout_model.h"

static unsigned int tests, failed;

static void ok(int cond, const char *what)
{
	tests++;
	if (!cond)
		failed++;
	printf("%sok %u - %s\n", cond ? "" : "not ", tests, what);
}

/* A random offset: mostly small and aligned, now and then anything. */
static u64 rnd_off(u64 size)
{
	switch (random() % 8) {
	case 0:
		return ((u64)random() << 32) | random();
	case 1:
		return random() % (size + 1);
	case 2:
		return random() % (size / 4096 + 2) * 4096 - 4096 * (random() % 2);
	default:
		return random() % (size / 4096 + 1) * 4096;
	}
}

/*
 * Random exclusion ranges for the launches of @c's object (@l): mostly
 * inside its shared range, page aligned, now and then anything.
 * Returns what disagreed with the model, or NULL; counts the ranges
 * other than CREATE's that were accepted in *@narrowed.
 */
static const char *launches(const struct thp_encvm_create *c, const struct te_layout *l,
			    unsigned int *narrowed)
{
	const char *w;
	unsigned int i;
	u64 off, size;

	for (i = 0; i < 8; i++) {
		switch (random() % 4) {
		case 0:
			off = random() % 8 ? 0 : rnd_off(c->size);
			size = random() % 8 ? 0 : rnd_off(c->size);
			break;
		case 1:
			off = rnd_off(c->size);
			size = rnd_off(c->size);
			break;
		default:
			off = c->shared_offset + random() % (c->shared_size / 4096 + 1) * 4096;
			size = random() % (c->shared_size / 4096 + 2) * 4096;
			break;
		}
		w = te_excl_check(c, l, off, size);
		if (w)
			return w;
		*narrowed += (off || size) && !te_excl_model(c, off, size);
	}
	return NULL;
}

static void layouts(void)
{
	unsigned int trial, bad = 0, accepted = 0, enc_ok = 0, bad_excl = 0, narrowed = 0;
	const char *why = NULL, *why_excl = NULL, *w;

	for (trial = 0; trial < 200000; trial++) {
		struct thp_encvm_create c = { 0 };
		u64 max = (random() % 64 + 1) << 20;

		c.size = (random() % 33) << 20;
		c.shared_offset = random() % 4 ? 0 : rnd_off(c.size);
		c.shared_size = random() % 4 ? (random() % 16 + 1) << 14 : rnd_off(c.size);
		c.ring_offset = random() % 4 ? c.shared_offset : rnd_off(c.size);
		c.staging_offset = random() % 2 ? c.size - (2 << 20) : rnd_off(c.size);
		if (random() % 2) {
			c.flags = THP_ENCVM_CREATE_ENCRYPTED;
			c.tweak_offset = random() % 2 ? c.shared_offset + 4096 : rnd_off(c.size);
			c.secret_offset = random() % 2 ? c.shared_offset + c.shared_size :
					  rnd_off(c.size);
		} else if (!(random() % 8)) {
			c.secret_offset = rnd_off(c.size);
		}
		w = te_layout_check(&c, max);
		if (w) {
			bad++;
			why = w;
		}
		accepted += !te_layout_model(&c, max);
		enc_ok += !te_layout_model(&c, max) && c.flags;
		if (!te_layout_model(&c, max)) {
			struct te_layout l;

			te_layout_init(&l, &c, max);
			w = launches(&c, &l, &narrowed);
			if (w) {
				bad_excl++;
				why_excl = w;
			}
		}
	}
	ok(!bad, why ? why : "create requests: the code agrees with the model");
	ok(accepted > 1000 && enc_ok > 100, "create requests: some accepted, encrypted among them");
	ok(!bad_excl, why_excl ? why_excl :
	   "launch exclusion ranges: the code agrees with the model");
	ok(narrowed > 1000, "launch exclusion ranges: some other than CREATE's accepted");
}

#define GM_PAGES	64

/*
 * Random memslot runs over an object of up to GM_PAGES pages: mostly a
 * partition in random order at random gfns (some consecutive, as one
 * memslot split in two), now and then with a gap (pages no memslot
 * maps), an overlap or page 0 elsewhere. Model: each page's gfn or
 * none, or a refusal.
 */
static void gmaps(void)
{
	unsigned int trial, bad_accept = 0, bad_map = 0, accepted = 0, joined = 0, gaps = 0;
	unsigned int skewed = 0, congruent = 0, edged = 0;

	for (trial = 0; trial < 100000; trial++) {
		u64 nr = random() % GM_PAGES + 1, gfn0 = random() % 4 * 512;
		u64 model[GM_PAGES], first, n, g, p, q;
		bool mapped[GM_PAGES], edge[GM_PAGES] = { false }, want = true, got_ok;
		bool gap = false, join = false;
		struct te_gmap m = { 0 };
		unsigned int runs = 0, i, k;
		int ret = 0;

		for (first = 0; first < nr; first += n) {
			n = random() % (nr - first) + 1;
			/* Memslots never overlap in guest-physical space. */
			g = !first ? gfn0 : random() % 2 ? model[first - 1] + 1 :
			    4096 * (runs + 1) + random() % 2048;
			/* A memslot starts here: its edge with the one before. */
			edge[first] = first != 0;
			join |= first && g == model[first - 1] + 1;
			for (p = first; p < first + n; p++) {
				model[p] = g + (p - first);
				mapped[p] = true;
			}
			ret = ret ? ret : te_gmap_add(&m, first, n, g);
			runs++;
		}
		switch (random() % 8) {
		case 0:		/* drop a run: a gap, refused if it held page 0 */
		case 3:
			if (m.nr) {
				k = random() % m.nr;
				for (p = m.seg[k].first; p < m.seg[k].first + m.seg[k].n; p++)
					mapped[p] = false;
				want = m.seg[k].first != 0;
				gap = true;
				m.seg[k] = m.seg[m.nr - 1];
				m.nr--;
			}
			break;
		case 1:		/* an alias over some pages */
			p = random() % nr;
			ret = ret ? ret : te_gmap_add(&m, p, random() % (nr - p) + 1, 100000);
			runs++;
			want = false;
			break;
		case 2:		/* page 0 not at the base */
			gfn0 += 1;
			want = false;
			break;
		default:
			break;
		}
		/* Shuffle: memslots come in hash order. */
		for (i = m.nr; i > 1; i--) {
			struct te_seg t = m.seg[i - 1];
			unsigned int j = random() % i;

			m.seg[i - 1] = m.seg[j];
			m.seg[j] = t;
		}
		if (runs > TE_MAX_SEGS) {
			bad_accept += ret != -E2BIG;
			continue;
		}
		bad_accept += ret != 0;
		got_ok = !te_gmap_finish(&m, nr, gfn0);
		bad_accept += got_ok != want;
		if (!got_ok || !want)
			continue;
		accepted++;
		/* Each memslot's run stays apart, next to its neighbour or not. */
		bad_map += m.nr != runs - gap;
		joined += join;
		gaps += gap;
		for (p = 0; p < nr; p++) {
			if (!mapped[p]) {
				bad_map += te_gmap_gfn(&m, p, &g);
				continue;
			}
			bad_map += !te_gmap_gfn(&m, p, &g) || g != model[p];
			bad_map += !te_gmap_page(&m, model[p], &q) || q != p;
		}
		bad_map += te_gmap_gfn(&m, nr, &g);
		bad_map += te_gmap_page(&m, 99999, &q);
		/*
		 * One run: every page mapped, each right after the one
		 * before, skewed if its gfns are not congruent to the
		 * pages mod 512 or a memslot edge inside the range is at
		 * a gfn off 2 MiB alignment (KVM maps no 2 MiB entry
		 * across it); unmapped: some page in no run; split
		 * otherwise.
		 */
		for (i = 0; i < 16; i++) {
			bool c = true, all = true, inner = false;
			enum te_span want_span;

			first = random() % nr;
			n = random() % (nr - first) + 1;
			for (p = first; p < first + n; p++)
				all = all && mapped[p];
			for (p = first + 1; p < first + n; p++) {
				c = c && model[p] == model[p - 1] + 1;
				inner = inner || (edge[p] && model[p] % 512);
			}
			want_span = !all ? TE_SPAN_UNMAPPED : !c ? TE_SPAN_SPLIT :
				    (model[first] - first) % 512 || inner ? TE_SPAN_SKEWED :
				    TE_SPAN_ONE;
			edged += all && c && inner && !((model[first] - first) % 512);
			bad_map += te_gmap_span(&m, first, n) != want_span;
			bad_map += te_gmap_contig(&m, first, n) !=
				   (want_span == TE_SPAN_ONE || want_span == TE_SPAN_SKEWED);
			skewed += want_span == TE_SPAN_SKEWED;
			congruent += want_span == TE_SPAN_ONE && first;
		}
		bad_map += te_gmap_contig(&m, nr, 1) || te_gmap_contig(&m, 0, nr + 1);
	}
	ok(!bad_accept, "gmap: a layout is accepted exactly when it maps page 0 at the base and no page twice");
	ok(!bad_map, "gmap: each page translates to its memslot's gfn and back, unmapped ones to none");
	ok(accepted > 1000 && joined > 100 && gaps > 1000,
	   "gmap: accepted layouts happened, with memslots next to each other and with gaps");
	ok(skewed > 1000 && congruent > 1000 && edged > 1000,
	   "gmap: ranges congruent mod 512, skewed ones, and congruent ones across a memslot edge happened");
}

#define HM_WINS		4
#define HM_PAGES	(HM_WINS * TE_WIN_PAGES)
#define HM_FRAMES	(1 << 20)

/* Frames: a bump allocator; live[] says which are allocated. */
static unsigned char hm_live[HM_FRAMES];
static u64 hm_next;
static unsigned int hm_bad_free;

static u64 hm_alloc(unsigned int n)
{
	u64 f, i;

	if (n > 1)
		hm_next = (hm_next + TE_WIN_PAGES - 1) / TE_WIN_PAGES * TE_WIN_PAGES;
	f = hm_next;
	hm_next += n;
	if (hm_next >= HM_FRAMES)
		abort();
	for (i = f; i < f + n; i++)
		hm_live[i] = 1;
	return f;
}

static void hm_free(u64 pfn, void *arg)
{
	unsigned int *nr = arg;

	if (!pfn || pfn >= HM_FRAMES || hm_live[pfn] != 1)
		hm_bad_free++;
	else
		hm_live[pfn] = 0;
	(*nr)++;
}

/*
 * Every allocated frame owned exactly once, and every owner's frame
 * allocated: 0 if so.
 */
static unsigned int hm_check(const struct te_homes *h)
{
	static unsigned char owners[HM_FRAMES];
	unsigned int bad = 0;
	u64 i, f;

	memset(owners, 0, hm_next);
	for (i = 0; i < HM_PAGES; i++) {
		owners[h->pfn[i]]++;
		if (test_bit(i, h->away)) {
			f = te_home_frame(h, i);
			bad += !f || f == h->pfn[i];
			owners[f]++;
		}
		bad += test_bit(i, h->home_bad) && !test_bit(i, h->away);
	}
	for (f = 1; f < hm_next; f++)
		bad += owners[f] != hm_live[f];
	return bad;
}

/* One collapse of window @win, as collapse.c drives it. */
static void hm_collapse(const struct te_homes *h, u64 win, unsigned int *frees,
			unsigned int *inplace, unsigned int *fresh, unsigned int *rolled)
{
	DECLARE_BITMAP(copy, TE_WIN_PAGES);
	static struct te_collapse c;
	static u64 old[TE_WIN_PAGES];
	bool in_place = te_home_in_place(h, win, copy);
	u64 first = win * TE_WIN_PAGES, block;
	unsigned int i, n, s, stop;
	int ret = 0;

	if (!in_place)
		bitmap_fill(copy, TE_WIN_PAGES);
	te_collapse_init_subset(&c, win, random() % 3, copy);
	/* No 2 MiB block now and then: nothing was switched. */
	block = in_place ? h->home[win] : random() % 8 ? hm_alloc(TE_WIN_PAGES) : 0;
	/* Rolled back after so many completions (detach, memslot...), or never. */
	stop = random() % 2 ? random() % 600 : ~0U;
	while (block && !ret && !te_collapse_done(&c) && stop) {
		DECLARE_BITMAP(dirty, TE_WIN_PAGES);
		DECLARE_BITMAP(sw, TE_WIN_PAGES);

		n = te_collapse_next_run(&c, &s);
		bitmap_zero(dirty, TE_WIN_PAGES);
		bitmap_zero(sw, TE_WIN_PAGES);
		for (i = s; i < s + n; i++)
			if (!(random() % 16))
				__set_bit(i, dirty);
		ret = te_collapse_complete(&c, s, n, dirty, sw);
		for (i = 0; i < TE_WIN_PAGES; i++)
			if (test_bit(i, sw))
				old[i] = te_home_switch(h, first + i, block + i, in_place);
		stop--;
	}
	if (block && !ret && te_collapse_done(&c)) {
		te_home_finish(h, win, in_place, block, copy, old, hm_free, frees);
		*inplace += in_place;
		*fresh += !in_place;
	} else {
		te_home_rollback(h, in_place, block, copy, c.switched, old, hm_free, frees);
		(*rolled)++;
	}
}

static void homes(void)
{
	static u64 pfn[HM_PAGES], home[HM_WINS];
	DECLARE_BITMAP(away, HM_PAGES);
	DECLARE_BITMAP(bad, HM_PAGES);
	struct te_homes h = { pfn, home, away, bad };
	unsigned int trial, step, bad_own = 0, leaked = 0, frees = 0;
	unsigned int inplace = 0, fresh = 0, rolled = 0, offline = 0;
	u64 i, w, f;

	for (trial = 0; trial < 300; trial++) {
		memset(hm_live, 0, sizeof(hm_live));
		hm_next = 1;
		bitmap_zero(away, HM_PAGES);
		bitmap_zero(bad, HM_PAGES);
		/* Windows of one block each, or scattered pages (no home). */
		for (w = 0; w < HM_WINS; w++) {
			home[w] = random() % 4 ? hm_alloc(TE_WIN_PAGES) : 0;
			for (i = 0; i < TE_WIN_PAGES; i++)
				pfn[w * TE_WIN_PAGES + i] = home[w] ? home[w] + i : hm_alloc(1);
		}
		for (step = 0; step < 40; step++) {
			w = random() % HM_WINS;
			if (random() % 3) {
				/* DISPLACE: a few pages of a window with a block. */
				unsigned int k, nr = random() % 3 ? 1 : random() % 40 + 1;

				for (k = 0; home[w] && k < nr; k++) {
					bool off = !(random() % 6);

					i = w * TE_WIN_PAGES + random() % TE_WIN_PAGES;
					offline += off;
					f = te_home_displace(&h, i, hm_alloc(1), off);
					if (f)
						hm_free(f, &frees);
				}
			} else {
				hm_collapse(&h, w, &frees, &inplace, &fresh, &rolled);
			}
			bad_own += hm_check(&h);
		}
		te_home_release(&h, HM_PAGES, hm_free, &frees);
		for (f = 1; f < hm_next; f++)
			leaked += hm_live[f];
	}
	ok(!bad_own, "home frames: after every step each frame is owned exactly once");
	ok(!hm_bad_free && !leaked, "home frames: no frame freed twice or unowned, none leaked");
	ok(inplace > 100 && fresh > 100 && rolled > 100 && offline > 100 && frees,
	   "home frames: in-place, fresh, rolled-back collapses and soft-offlines happened");
}

int main(void)
{
	static struct te_collapse c;
	unsigned int trial, bad_part = 0, bad_switch = 0, bad_retry = 0;
	unsigned int bad_done = 0, aborts = 0, dones = 0, subsets = 0, bad_subset = 0;

	printf("TAP version 13\n");
	srandom(3);
	for (trial = 0; trial < 2000; trial++) {
		unsigned int max = random() % 4, dirty_pct = random() % 30, i;
		unsigned int model_retries[TE_WIN_PAGES] = { 0 };
		bool model_sw[TE_WIN_PAGES] = { false };
		int ret = 0;

		/* Half the trials copy a random subset (displaced pages). */
		if (trial % 2) {
			DECLARE_BITMAP(copy, TE_WIN_PAGES);
			unsigned int every = random() % 64 + 1;

			bitmap_zero(copy, TE_WIN_PAGES);
			for (i = 0; i < TE_WIN_PAGES; i++) {
				if (random() % every)
					continue;
				__set_bit(i, copy);
			}
			for (i = 0; i < TE_WIN_PAGES; i++)
				model_sw[i] = !test_bit(i, copy);
			te_collapse_init_subset(&c, trial, max, copy);
			subsets++;
			bad_subset += c.nr_switched != TE_WIN_PAGES - bitmap_weight(copy, TE_WIN_PAGES);
		} else {
			te_collapse_init(&c, trial, max);
		}
		while (!ret && !te_collapse_done(&c)) {
			struct { unsigned int first, n; } runs[TE_WIN_PAGES];
			unsigned int nr = 0, k, first, n;

			while ((n = te_collapse_next_run(&c, &first)))
				runs[nr++] = (typeof(runs[0])){ first, n };
			for (k = 0; k < nr && !ret; k++) {
				DECLARE_BITMAP(dirty, TE_WIN_PAGES);
				DECLARE_BITMAP(sw, TE_WIN_PAGES);

				bitmap_zero(dirty, TE_WIN_PAGES);
				bitmap_zero(sw, TE_WIN_PAGES);
				for (i = runs[k].first; i < runs[k].first + runs[k].n; i++)
					if ((unsigned int)(random() % 100) < dirty_pct)
						__set_bit(i, dirty);
				ret = te_collapse_complete(&c, runs[k].first, runs[k].n,
							   dirty, sw);
				/* An abort stops the run half way: nothing to model. */
				if (ret)
					break;
				for (i = runs[k].first; i < runs[k].first + runs[k].n; i++) {
					if (test_bit(i, dirty)) {
						model_retries[i]++;
						bad_switch += test_bit(i, sw);
					} else {
						bad_switch += !test_bit(i, sw);
						model_sw[i] = true;
					}
				}
			}
			for (i = 0; i < TE_WIN_PAGES; i++) {
				unsigned int where = test_bit(i, c.pending) +
						     test_bit(i, c.inflight) +
						     test_bit(i, c.switched);

				if (ret)
					break;
				bad_part += where != 1 || test_bit(i, c.switched) != model_sw[i];
				bad_retry += c.retries[i] != model_retries[i] ||
					     c.retries[i] > max;
			}
		}
		if (ret) {
			aborts++;
			bad_done += ret != -EBUSY || c.fail != TE_FAIL_RETRIES;
		} else {
			dones++;
			bad_done += c.nr_switched != TE_WIN_PAGES;
		}
	}
	ok(!bad_part, "every page is pending, in flight or switched, as modelled");
	ok(!bad_switch, "only clean completions switch pages");
	ok(!bad_retry, "retries are counted per page and stay within the limit");
	ok(!bad_done, "done means all switched; aborts are retry aborts");
	ok(aborts && dones, "both outcomes happened");
	ok(subsets && !bad_subset, "in place: only the displaced pages are copied");
	layouts();
	gmaps();
	homes();
	printf("1..%u\n", tests);
	return failed ? 1 : 0;
}
