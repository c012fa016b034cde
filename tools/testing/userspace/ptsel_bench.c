// SPDX-License-Identifier: GPL-2.0
/*
 * Native benchmark of ptsel radix lookups. Every figure is reported as
 * a ratio to a baseline measured in the same run on the same keys: a
 * binary search over a sorted array of the same 4K mappings, the
 * simplest exact structure that answers the same question.
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

static double run_radix(struct ops_env *env, u64 *sum)
{
	struct ptsel_xlate x;
	double t0 = now_ns();
	unsigned long i;

	for (i = 0; i < NLOOKUP; i++) {
		ptsel_radix_translate(&env->r, probe[i], &x);
		*sum += x.target;
	}
	return (now_ns() - t0) / NLOOKUP;
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
	static struct ops_env env;
	const char *order[2] = { "sequential", "random" };
	u64 base = 1ULL << 40, s1 = 0, s2 = 0;
	unsigned long i;
	int o;

	keys = malloc(NPAGES * sizeof(*keys));
	vals = malloc(NPAGES * sizeof(*vals));
	probe = malloc(NLOOKUP * sizeof(*probe));
	if (!keys || !vals || !probe || ops_env_init(&env, OPS_RADIX, 4, 0))
		return 1;
	/* Scattered 4K targets, so the table needs 4K leaves throughout. */
	for (i = 0; i < NPAGES; i++) {
		keys[i] = base + i * PG;
		vals[i] = ((i * 2654435761UL) % NPAGES) * PG + (1ULL << 36);
		if (ptsel_radix_map(&env.r, keys[i], vals[i], PG, PTSEL_PROT_READ))
			return 1;
	}
	printf("%-32s %10s %10s %8s\n", "translate (1M 4K mappings)", "ns/op",
	       "base ns/op", "ratio");
	for (o = 0; o < 2; o++) {
		double r, b;

		srandom(42);
		for (i = 0; i < NLOOKUP; i++)
			probe[i] = base + (o ? (u64)random() % NPAGES : i % NPAGES) * PG +
				   (i & (PG - 1));
		r = run_radix(&env, &s1);
		b = run_bsearch(&s2);
		if (s1 != s2) {
			fprintf(stderr, "radix and baseline disagree\n");
			return 1;
		}
		printf("%-32s %10.1f %10.1f %8.2f\n", order[o], r, b, r / b);
	}
	printf("%-32s %10.1f\n", "table bytes per mapped 4K page",
	       (double)env.r.nr_tables * PG / NPAGES);
	ops_env_fini(&env);
	return 0;
}
