// SPDX-License-Identifier: GPL-2.0
/*
 * Native benchmark of ptsel lookups, radix and hashed. Every time is
 * reported as a ratio to a baseline measured in the same run on the
 * same keys: a binary search over a sorted array of the same 4K
 * mappings, the simplest exact structure that answers the question.
 * Then two structural measures, which do not depend on the machine:
 * the 64-byte lines a hashed lookup reads at a given load, and the
 * table bytes per mapped page of both formats at a given density.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <linux/ptsel.h>

#include "ptsel_ops.h"

#define NPAGES	(1UL << 20)	/* 1M mappings of 4K */
#define NLOOKUP	(1UL << 22)
#define PG	4096ULL

static u64 *keys;
static u64 *vals;
static u64 *probe;

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static u64 bsearch_xlate(u64 a)
{
	unsigned long lo = 0, hi = NPAGES;
	u64 page = a & ~(PG - 1);

	while (lo < hi) {
		unsigned long mid = (lo + hi) / 2;

		if (keys[mid] < page)
			lo = mid + 1;
		else
			hi = mid;
	}
	return vals[lo] + (a & (PG - 1));
}

static double run_fmt(struct ops_env *env, u64 *sum, u64 *refs)
{
	struct ptsel_xlate x;
	double t0 = now_ns();
	unsigned long i;

	for (i = 0; i < NLOOKUP; i++) {
		ops_translate(env, probe[i], &x);
		*sum += x.target;
		*refs += x.mem_refs;
	}
	return (now_ns() - t0) / NLOOKUP;
}

/* Put @v in a random order (Fisher-Yates). */
static void shuffle(u64 *v, unsigned long n)
{
	unsigned long i, j;
	u64 x;

	for (i = n - 1; i > 0; i--) {
		j = (unsigned long)random() % (i + 1);
		x = v[i];
		v[i] = v[j];
		v[j] = x;
	}
}

#define LINES_ORDER	14	/* 2^17 slots, 8 MiB of entries */
#define LINES_TARGET	1.3

/*
 * Lines read per lookup of a mapped address, and of an unmapped one, in
 * a hashed table of fixed size filled with 4K leaves to @pct percent of
 * its slots: the pages of one contiguous input range, or pages picked
 * at random. A fixed-size table with two groups of eight per leaf and
 * no eviction cannot take every random page up to 75% (some pairs of
 * groups fill up first); such pages are skipped and counted. Returns
 * the first average, or < 0 on error.
 */
static double hash_lines(unsigned int pct, bool random_pages)
{
	static struct ops_env env;
	unsigned long cap = (unsigned long)PTSEL_HPTEG_SLOTS << LINES_ORDER;
	unsigned long i, n = cap * pct / 100, mapped = 0, skipped = 0;
	u64 hit = 0, miss = 0;
	struct ptsel_xlate x;
	char label[64];

	if (ops_env_init(&env, OPS_HASH, 4, 0) ||
	    ptsel_hash_resize(&env.h, LINES_ORDER))
		return -1;
	for (i = 0; i < NPAGES; i++)
		keys[i] = i * PG;
	if (random_pages)
		shuffle(keys, NPAGES);
	for (i = 0; i < NPAGES && mapped < n; i++) {
		if (!ops_hash_room(&env.h, keys[i])) {
			skipped++;
			continue;
		}
		if (ops_map(&env, keys[i], keys[i] + (1ULL << 36), PG, PTSEL_PROT_READ))
			return -1;
		keys[mapped++] = keys[i];
	}
	if (mapped < n || env.h.tab->order != LINES_ORDER)
		return -1;
	for (i = 0; i < n; i++) {
		if (ops_translate(&env, keys[i] + 5, &x))
			return -1;
		hit += x.mem_refs;
		/* Above the input range: never mapped. */
		ops_translate(&env, (NPAGES + i) * PG, &x);
		miss += x.mem_refs;
	}
	snprintf(label, sizeof(label), "hash lines/lookup, %s, load %u%%",
		 random_pages ? "random" : "range", pct);
	printf("%-36s %9.3f (unmapped %.3f, %lu pages skipped)\n", label,
	       (double)hit / n, (double)miss / n, skipped);
	ops_env_fini(&env);
	return (double)hit / n;
}

#define DENSITY_PAGES	(1UL << 18)	/* the 4K pages of 1 GiB */

/* Table bytes per mapped 4K page, @pct percent of 1 GiB mapped at random. */
static int bytes_per_page(unsigned int pct)
{
	static struct ops_env env[2];
	unsigned long i, n = DENSITY_PAGES * pct / 100;
	const u64 base = 1ULL << 40;
	char label[64];
	int f;

	for (i = 0; i < DENSITY_PAGES; i++)
		keys[i] = base + i * PG;
	shuffle(keys, DENSITY_PAGES);
	for (f = 0; f < 2; f++) {
		if (ops_env_init(&env[f], f, 4, 0))
			return -1;
		for (i = 0; i < n; i++)
			if (ops_map(&env[f], keys[i], (i + 1) * PG, PG, PTSEL_PROT_READ))
				return -1;
	}
	snprintf(label, sizeof(label), "radix bytes/page, density %u%%", pct);
	printf("%-36s %9.1f\n", label, (double)env[0].r.nr_tables * PG / n);
	snprintf(label, sizeof(label), "hash bytes/page, density %u%%", pct);
	printf("%-36s %9.1f (load %.0f%%)\n", label,
	       (double)ptsel_htab_bytes(env[1].h.tab->order) / n,
	       100.0 * env[1].h.nr_entries /
	       (double)((unsigned long)PTSEL_HPTEG_SLOTS << env[1].h.tab->order));
	for (f = 0; f < 2; f++)
		ops_env_fini(&env[f]);
	return 0;
}

static double run_bsearch(u64 *sum)
{
	double t0 = now_ns();
	unsigned long i;

	for (i = 0; i < NLOOKUP; i++)
		*sum += bsearch_xlate(probe[i]);
	return (now_ns() - t0) / NLOOKUP;
}

int main(void)
{
	static struct ops_env env[2];
	static const char * const fmt[2] = { "radix", "hash" };
	const char *order[2] = { "sequential", "random" };
	u64 base = 1ULL << 40;
	unsigned long i;
	int o, f;

	keys = malloc(NPAGES * sizeof(*keys));
	vals = malloc(NPAGES * sizeof(*vals));
	probe = malloc(NLOOKUP * sizeof(*probe));
	if (!keys || !vals || !probe || ops_env_init(&env[0], OPS_RADIX, 4, 0) ||
	    ops_env_init(&env[1], OPS_HASH, 4, 0))
		return 1;
	/* Scattered 4K targets, so every mapping is a 4K leaf. */
	for (i = 0; i < NPAGES; i++) {
		keys[i] = base + i * PG;
		vals[i] = ((i * 2654435761UL) % NPAGES) * PG + (1ULL << 36);
		for (f = 0; f < 2; f++)
			if (ops_map(&env[f], keys[i], vals[i], PG, PTSEL_PROT_READ))
				return 1;
	}
	printf("%-36s %9s %11s %7s %10s\n", "translate, 1M 4K mappings", "ns/op",
	       "base ns/op", "ratio", "refs/op");
	for (o = 0; o < 2; o++) {
		double b;
		u64 s0 = 0, s1;

		srandom(42);
		for (i = 0; i < NLOOKUP; i++)
			probe[i] = base + (o ? (u64)random() % NPAGES : i % NPAGES) * PG +
				   (i & (PG - 1));
		b = run_bsearch(&s0);
		for (f = 0; f < 2; f++) {
			u64 refs = 0;
			char label[64];
			double r;

			s1 = 0;
			r = run_fmt(&env[f], &s1, &refs);
			if (s1 != s0) {
				fprintf(stderr, "%s and baseline disagree\n", fmt[f]);
				return 1;
			}
			snprintf(label, sizeof(label), "%s, %s", fmt[f], order[o]);
			printf("%-36s %9.1f %11.1f %7.2f %10.2f\n", label, r, b,
			       r / b, (double)refs / NLOOKUP);
		}
	}
	printf("%-36s %9.1f\n", "radix table bytes per mapped 4K page",
	       (double)env[0].r.nr_tables * PG / NPAGES);
	printf("%-36s %9.1f (load %.0f%%)\n", "hash table bytes per mapped 4K page",
	       (double)ptsel_htab_bytes(env[1].h.tab->order) / NPAGES,
	       100.0 * env[1].h.nr_entries /
	       (double)((unsigned long)PTSEL_HPTEG_SLOTS << env[1].h.tab->order));
	for (f = 0; f < 2; f++)
		ops_env_fini(&env[f]);

	srandom(7);
	for (f = 0; f < 2; f++) {
		for (o = 25; o <= 75; o += 25) {
			double lines = hash_lines(o, f);

			if (lines < 0)
				return 1;
			if (o == 75 && f)
				printf("target <= %.1f at 75%%: %s\n", LINES_TARGET,
				       lines <= LINES_TARGET ? "met" : "NOT met");
		}
	}
	for (o = 25; o <= 75; o += 25)
		if (bytes_per_page(o))
			return 1;
	return 0;
}
