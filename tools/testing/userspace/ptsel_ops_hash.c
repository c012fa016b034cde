// SPDX-License-Identifier: GPL-2.0
/*
 * Structure checks for the ptsel hashed format, through the layout that
 * hash.c shares in hash_layout.h (see ptsel_ops.c for radix).
 */
#include <stdio.h>
#include <stdlib.h>

#include "hash_layout.h"
#include "ptsel_ops.h"

/*
 * The entries are line aligned; every valid entry sits in one of the
 * probe lines of its leaf, in the primary or secondary group as its @v
 * says; the counts add up.
 */
void ops_check_hash(const struct ptsel_hash *h)
{
	const struct ptsel_htab *t = h->tab;
	unsigned long i, n = 0, per[PTSEL_MAX_LEAF_LEVEL + 1] = { 0 };

	CHECK(!((uintptr_t)t->e % PTSEL_HLINE_BYTES), "entries at %p", t->e);
	for (i = 0; i < capacity(t->order); i++) {
		u64 v = t->e[i].v;
		unsigned int level = (v & V_LEVEL_MASK) >> V_LEVEL_SHIFT, p;
		u64 key = hash_key(v & ADDR_MASK, level);
		unsigned long g;

		if (!(v & V_VALID))
			continue;
		n++;
		CHECK(level <= PTSEL_MAX_LEAF_LEVEL, "bad level %u", level);
		per[level]++;
		g = hash_group(v & ADDR_MASK, level, t->order);
		if (v & V_SECONDARY)
			g ^= (1UL << t->order) - 1;
		CHECK(i / PTSEL_HPTEG_SLOTS == g, "entry %lu in group %lu, not %lu",
		      i, i / PTSEL_HPTEG_SLOTS, g);
		for (p = 0; p < NR_PROBE_LINES; p++)
			if (probe_line(key, t->order, p) == i / PTSEL_HLINE_SLOTS)
				break;
		CHECK(p < NR_PROBE_LINES && (p >= 2) == !!(v & V_SECONDARY),
		      "entry %lu not in a probe line of its leaf", i);
	}
	CHECK(n == h->nr_entries, "%lu valid entries, nr_entries %lu", n,
	      h->nr_entries);
	for (i = 0; i <= PTSEL_MAX_LEAF_LEVEL; i++)
		CHECK(per[i] == h->tab->nr_level[i], "level %lu: %lu entries, count %lu",
		      i, per[i], h->tab->nr_level[i]);
}


/* Would a 4K leaf at @addr fit in @h without making the table grow? */
bool ops_hash_room(const struct ptsel_hash *h, u64 addr)
{
	u64 key = hash_key(addr, 0);
	unsigned int p, i;

	for (p = 0; p < NR_PROBE_LINES; p++) {
		const struct ptsel_hpte *e = line_entries(h->tab,
							  probe_line(key, h->tab->order, p));

		for (i = 0; i < PTSEL_HLINE_SLOTS; i++)
			if (!(e[i].v & V_VALID))
				return true;
	}
	return false;
}
