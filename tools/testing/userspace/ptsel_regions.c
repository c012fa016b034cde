// SPDX-License-Identifier: GPL-2.0
/*
 * The partition core (region sets and the move log) against brute-force
 * models: a format per page of a small input space, and the full list
 * of moves. Random region updates must route every page as the model
 * does, spans must tile a range without crossing a region boundary,
 * and the move log must never answer "not moved" for a page that a
 * move since the caller's generation covered. Prints TAP.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/ptsel.h>

#include "ptsel_core.h"

#define PAGES	4096			/* 16 MiB input space */
#define LIMIT	((u64)PAGES << PTSEL_SHIFT)
#define MOVES	2000

static unsigned int tests, failed;
static u32 fmt[PAGES];			/* model: format of each page */
static int owner[PAGES];		/* model: region id of each page, or -1 */

static void ok(int cond, const char *what)
{
	tests++;
	if (!cond)
		failed++;
	printf("%sok %u - %s\n", cond ? "" : "not ", tests, what);
}

struct span_check {
	u64 next;
	int bad;
	const struct ptsel_region_set *s;
};

static int check_span(void *priv, u64 start, u64 end, u32 format)
{
	struct span_check *c = priv;
	u64 p;

	if (start != c->next || end <= start)
		c->bad = 1;
	for (p = start >> PTSEL_SHIFT; p < end >> PTSEL_SHIFT; p++)
		if (fmt[p] != format || owner[p] != owner[start >> PTSEL_SHIFT])
			c->bad = 1;
	c->next = end;
	return 0;
}

static void regions(void)
{
	struct ptsel_region_set s = { .dflt = PTSEL_FORMAT_RADIX };
	int bad_route = 0, bad_ret = 0, bad_span = 0, op, id = 0;
	unsigned int p;

	for (p = 0; p < PAGES; p++) {
		fmt[p] = PTSEL_FORMAT_RADIX;
		owner[p] = -1;
	}
	srandom(7);
	for (op = 0; op < 20000; op++) {
		unsigned int order = random() % 8, n = 1U << order;
		unsigned int first = (random() % (PAGES / n)) * n;
		u32 format = random() % 3;
		u64 addr = (u64)first << PTSEL_SHIFT, size = (u64)n << PTSEL_SHIFT;
		int exact = owner[first] >= 0, overlap = 0, want, ret;
		struct span_check c = { .s = &s };

		for (p = first; p < first + n; p++) {
			overlap |= owner[p] >= 0;
			if (owner[p] != owner[first] ||
			    (p == first + n - 1 && p + 1 < PAGES &&
			     owner[p] >= 0 && owner[p + 1] == owner[p]) ||
			    (p == first && p > 0 && owner[p] >= 0 &&
			     owner[p - 1] == owner[p]))
				exact = 0;
		}
		if (!overlap)
			want = format ? (s.nr == PTSEL_MAX_REGIONS ? -ENOSPC : 0) : -ENOENT;
		else
			want = exact ? 0 : -EBUSY;
		ret = ptsel_region_update(&s, addr, size, format, LIMIT);
		bad_ret |= ret != want;
		if (!ret) {
			int o = format ? (overlap ? owner[first] : id++) : -1;

			for (p = first; p < first + n; p++) {
				fmt[p] = format ? format : s.dflt;
				owner[p] = o;
			}
		}
		if (op % 97 == 0) {
			for (p = 0; p < PAGES; p++)
				bad_route |= ptsel_region_format(&s, (u64)p << PTSEL_SHIFT) != fmt[p];
			ptsel_region_spans(&s, 0, LIMIT, check_span, &c);
			bad_span |= c.bad || c.next != LIMIT;
		}
	}
	ok(!bad_ret, "region updates return what the model expects");
	ok(!bad_route, "every page routes to the model's format");
	ok(!bad_span, "spans tile the range and never cross a region");
	ok(ptsel_region_update(&s, 0, 3 << PTSEL_SHIFT, 1, LIMIT) == -EINVAL &&
	   ptsel_region_update(&s, 1 << PTSEL_SHIFT, 2 << PTSEL_SHIFT, 1, LIMIT) == -EINVAL &&
	   ptsel_region_update(&s, LIMIT, 1 << PTSEL_SHIFT, 1, LIMIT) == -EINVAL &&
	   ptsel_region_update(&s, 0, 1 << PTSEL_SHIFT, 3, LIMIT) == -EINVAL &&
	   ptsel_region_find(&s, 0, 2 * LIMIT, LIMIT) == -EINVAL,
	   "bad shapes and formats refused");
}

static void move_log(void)
{
	static struct { u64 addr, size; } all[MOVES + 1];
	struct ptsel_move_log log;
	int missed = 0, spurious = 0, i;
	u64 g;

	memset(&log, 0, sizeof(log));
	srandom(11);
	for (i = 1; i <= MOVES; i++) {
		u64 since = random() % i, addr = (random() % PAGES) << PTSEL_SHIFT;
		int truth = 0, said;

		all[i].addr = (random() % PAGES) << PTSEL_SHIFT;
		all[i].size = (1 + random() % 8) << PTSEL_SHIFT;
		g = ptsel_move_log_add(&log, all[i].addr, all[i].size);
		if (g != (u64)i)
			missed++;
		for (g = since + 1; g <= (u64)i; g++)
			truth |= addr >= all[g].addr && addr < all[g].addr + all[g].size;
		said = ptsel_move_log_moved(&log, since, addr);
		missed += truth && !said;
		/* Only generations older than the log's reach may over-report. */
		spurious += !truth && said && since + PTSEL_MOVE_LOG >= (u64)i;
	}
	ok(!missed, "the move log never hides a move");
	ok(!spurious, "the move log is exact within its reach");
	ok(!ptsel_move_log_moved(&log, log.gen, 0), "nothing moved since now");
}

int main(void)
{
	printf("TAP version 13\n");
	regions();
	move_log();
	printf("1..%u\n", tests);
	return failed ? 1 : 0;
}
