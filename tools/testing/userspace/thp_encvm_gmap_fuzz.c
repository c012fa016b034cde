// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the guest-physical map of an object that memslots
 * map (te_gmap_add(), te_gmap_finish() and the lookups, thp_encvm
 * core), against a page-by-page model. The input: the object's pages
 * (byte 0), then runs of 4 bytes each: first page, pages, gfn (16 bits);
 * a first page of 0xff and a gfn of 0xffff continue the run before, in
 * pages and in gfns (one memslot split in two).
 * Pages no run maps are allowed, as pages no memslot maps. Runs stay
 * apart, and a range across an edge between two runs at a gfn off
 * 2 MiB alignment is skewed: KVM maps no 2 MiB entry across a memslot
 * edge.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "thp_encvm_core.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_PAGES	128

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	u64 model[MAX_PAGES], nr, p, q, g, first, n, pfirst = 0, pn = 0, pg = 0;
	unsigned int cover[MAX_PAGES] = { 0 }, runs = 0, zero = 0, i;
	bool edge[MAX_PAGES] = { false };
	struct te_gmap m = { 0 }, c2;
	bool want, unique = true;
	int ret = 0;

	if (size < 1)
		return 0;
	nr = data[0] % MAX_PAGES + 1;
	for (i = 1; i + 4 <= size; i += 4) {
		first = data[i] == 0xff ? pfirst + pn : data[i] % (MAX_PAGES + 8);
		n = data[i + 1] % (MAX_PAGES + 8);
		g = data[i + 2] | (u64)data[i + 3] << 8;
		if (g == 0xffff)
			g = pg + pn;
		pfirst = first;
		pn = n;
		pg = g;
		if (ret)
			break;
		ret = te_gmap_add(&m, first, n, g);
		if (ret) {
			if (ret != -E2BIG || runs != TE_MAX_SEGS)
				abort();
			return 0;
		}
		runs++;
		zero += !n;
		if (first && first < nr)
			edge[first] = true;
		for (p = first; p < first + n; p++) {
			if (p < nr) {
				cover[p]++;
				model[p] = g + (p - first);
			} else {
				cover[0] += 2;	/* past the end: refused */
			}
		}
	}
	/* Pages no run maps are allowed; page 0 must be mapped. */
	want = !zero && runs && cover[0] == 1;
	for (p = 0; p < nr; p++)
		want = want && cover[p] <= 1;
	if (want)
		for (p = 0; p < nr; p++)
			for (q = p + 1; q < nr; q++)
				unique = unique && (!cover[p] || !cover[q] || model[p] != model[q]);
	if (!want) {
		if (te_gmap_finish(&m, nr, data[0]) != -ENOENT)
			abort();
		return 0;
	}
	/* Page 0 must be at the base. */
	c2 = m;
	if (te_gmap_finish(&c2, nr, model[0] + 1) != -ENOENT)
		abort();
	if (te_gmap_finish(&m, nr, model[0]) || m.nr != runs)
		abort();
	for (p = 0; p < nr; p++) {
		if (!cover[p]) {
			if (te_gmap_gfn(&m, p, &g))
				abort();
			continue;
		}
		if (!te_gmap_gfn(&m, p, &g) || g != model[p])
			abort();
		if (unique && (!te_gmap_page(&m, model[p], &q) || q != p))
			abort();
	}
	if (te_gmap_gfn(&m, nr, &g))
		abort();
	for (first = 0; first < nr; first++)
		for (n = 1; first + n <= nr; n += 7) {
			bool c = true, all = true, inner = false;
			enum te_span span;

			for (p = first; p < first + n; p++)
				all = all && cover[p];
			for (p = first + 1; p < first + n; p++) {
				c = c && model[p] == model[p - 1] + 1;
				inner = inner || (edge[p] && model[p] % TE_WIN_PAGES);
			}
			span = !all ? TE_SPAN_UNMAPPED : !c ? TE_SPAN_SPLIT :
			       (model[first] - first) % TE_WIN_PAGES || inner ? TE_SPAN_SKEWED :
			       TE_SPAN_ONE;
			if (te_gmap_span(&m, first, n) != span ||
			    te_gmap_contig(&m, first, n) !=
			    (span == TE_SPAN_ONE || span == TE_SPAN_SKEWED))
				abort();
		}
	return 0;
}
