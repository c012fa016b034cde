// SPDX-License-Identifier: GPL-2.0
/*
 * Scoped invalidation under concurrency (part.c and walker.c built in
 * userspace): reader threads, each with its own walker, switch between
 * partitions at random and translate, while the main thread moves the
 * partitions' pages to a new version of their targets, by remap (the
 * tables stay) or by unmap and map (the tables are freed and rebuilt).
 * So walkers join and leave a partition's users list while updates
 * walk it, and come back to partitions updated while they were away
 * (flush_gen). A per-partition sequence count, odd during an update,
 * tells a reader which version a translation must show: one that ran
 * wholly between two updates must show the last one's, exactly, through
 * the walker's TLB and walk cache. Freed tables are parked until the
 * readers are done (the RCU shim's queue runs at the end), so a stale
 * walk-cache table shows as a stale target rather than a crash. Prints
 * TAP.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <linux/err.h>
#include <linux/kernel.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>

#include "ptsel_internal.h"

#define NPART	4
#define NREAD	3
#define PAGES	16
#define PG	PTSEL_PAGE_SIZE
#define BASE(i)	((u64)(i) << 31)			/* 2G apart */
#define TBASE	(1ULL << 40)
#define RW	(PTSEL_PROT_READ | PTSEL_PROT_WRITE)

static struct ptsel_partition *part[NPART];
static unsigned long seq[NPART];	/* odd while an update runs */
static int stop;

struct reader {
	pthread_t th;
	unsigned int id;
	unsigned long checked, raced, stale, switches;
	char first[160];
};

/* Target of page @k in version @v of any partition. */
static u64 target(unsigned long v, unsigned int k)
{
	return TBASE + (v * PAGES + k) * PG;
}

static void *reader(void *arg)
{
	struct reader *r = arg;
	struct ptsel_walker *w = ptsel_walker_create();
	unsigned int rng = r->id + 1;

	if (IS_ERR(w))
		return NULL;
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		unsigned int i = rand_r(&rng) % NPART, n;

		ptsel_walker_switch(w, part[i]);
		r->switches++;
		for (n = 0; n < 8; n++) {
			unsigned int k = rand_r(&rng) % PAGES;
			unsigned long s1, s2;
			struct ptsel_xlate x;
			int ret;

			s1 = __atomic_load_n(&seq[i], __ATOMIC_ACQUIRE);
			ret = ptsel_walker_translate(w, BASE(i) + k * PG, &x);
			s2 = __atomic_load_n(&seq[i], __ATOMIC_ACQUIRE);
			if (s1 != s2 || (s1 & 1)) {
				r->raced++;
				continue;
			}
			r->checked++;
			if (ret || x.target != target(s1 / 2, k)) {
				if (!r->stale++)
					snprintf(r->first, sizeof(r->first),
						 "P%u page %u: %d, target %#llx, want %#llx (version %lu)",
						 i, k, ret, (unsigned long long)x.target,
						 (unsigned long long)target(s1 / 2, k), s1 / 2);
			}
		}
	}
	ptsel_walker_destroy(w);
	return NULL;
}

/* Version @v of partition @i: by remap, or by unmap and map. */
static int update(unsigned int i, unsigned long v, bool rebuild)
{
	int ret;

	__atomic_store_n(&seq[i], 2 * v - 1, __ATOMIC_RELEASE);
	if (rebuild) {
		ret = ptsel_partition_unmap(part[i], BASE(i), PAGES * PG) ?:
		      ptsel_partition_map(part[i], BASE(i), target(v, 0), PAGES * PG, RW);
	} else {
		ret = ptsel_partition_remap(part[i], BASE(i), PAGES * PG, target(v, 0));
	}
	__atomic_store_n(&seq[i], 2 * v, __ATOMIC_RELEASE);
	return ret;
}

int main(int argc, char **argv)
{
	unsigned long rounds = argc > 1 ? strtoul(argv[1], NULL, 0) : 20000;
	unsigned long ver[NPART] = { 0 }, checked = 0, raced = 0, stale = 0;
	unsigned long switches = 0, n, rebuilds = 0;
	static struct reader rd[NREAD];
	unsigned int i, rng = 7;
	int err = 0;

	printf("TAP version 13\n1..1\n");
	for (i = 0; i < NPART; i++) {
		part[i] = ptsel_partition_create(PTSEL_FORMAT_RADIX);
		if (IS_ERR(part[i]) ||
		    ptsel_partition_map(part[i], BASE(i), target(0, 0), PAGES * PG, RW))
			return 1;
	}
	for (i = 0; i < NREAD; i++) {
		rd[i].id = i;
		pthread_create(&rd[i].th, NULL, reader, &rd[i]);
	}
	for (n = 0; n < rounds && !err; n++) {
		bool rebuild = rand_r(&rng) % 4 == 0;

		i = rand_r(&rng) % NPART;
		err = update(i, ++ver[i], rebuild);
		rebuilds += rebuild;
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < NREAD; i++) {
		pthread_join(rd[i].th, NULL);
		checked += rd[i].checked;
		raced += rd[i].raced;
		stale += rd[i].stale;
		switches += rd[i].switches;
		if (rd[i].stale)
			printf("# reader %u, first stale: %s\n", i, rd[i].first);
	}
	for (i = 0; i < NPART; i++)
		ptsel_partition_put(part[i]);
	rcu_barrier();
	printf("%sok 1 - %lu updates (%lu rebuilding tables) against %u walkers switching %lu times: %lu lookups checked, %lu raced an update, %lu stale (update error %d, %lu allocations left)\n",
	       !err && !stale && checked && !shim_live_allocs ? "" : "not ",
	       rounds, rebuilds, NREAD, switches, checked, raced, stale, err,
	       shim_live_allocs);
	return 0;
}
