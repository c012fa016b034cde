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

/* The lookup keys: every mapped page in order, or random pages. */
static void fill_probes(u64 base, bool random_order)
{
	unsigned long i;

	srandom(42);
	for (i = 0; i < NLOOKUP; i++)
		probe[i] = base + (random_order ? (u64)random() % NPAGES : i % NPAGES) * PG +
			   (i & (PG - 1));
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

/*
 * Latency of single hits: lookups are timed in batches with
 * clock_gettime() and the median batch is reported, so a stray
 * interrupt or page fault does not move the number.
 */
#define BATCH	1024
#define NBATCH	301

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median of @v[0..@n), which it sorts. */
static double median(double *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[n / 2];
}

/*
 * Median ns per lookup of @addr[0..BATCH): ptsel_tlb_lookup() in @tlb,
 * or, with @wc, ptsel_wc_lookup() of level-0 tables. Counts hits.
 */
static double lookup_median(struct ptsel_tlb *tlb, struct ptsel_wcache *wc,
			    const u64 *addr, unsigned long *hits)
{
	static double ns[NBATCH];
	struct ptsel_xlate x;
	unsigned int b, i;

	for (b = 0; b < NBATCH; b++) {
		double t0 = now_ns();

		if (wc) {
			for (i = 0; i < BATCH; i++)
				*hits += !!ptsel_wc_lookup(wc, 1, 0, addr[i]);
		} else {
			for (i = 0; i < BATCH; i++)
				*hits += ptsel_tlb_lookup(tlb, addr[i], &x);
		}
		ns[b] = (now_ns() - t0) / BATCH;
	}
	return median(ns, NBATCH);
}

#define TLB_ENTRIES	1024
#define TLB_PAGES	256	/* a quarter of the TLB: every fill stays */
#define WC_ENTRIES	64

static int bench_tlb(void)
{
	static struct ptsel_tlb_entry store[TLB_ENTRIES];
	static u64 hit[BATCH], miss[BATCH];
	static struct ptsel_wcache wc;
	unsigned long hits = 0, wc_hits = 0;
	struct ptsel_tlb tlb;
	double h, m, w;
	void *mem;
	unsigned int i;

	if (ptsel_tlb_init(&tlb, store, TLB_ENTRIES, 8))
		return 1;
	mem = malloc(ptsel_wc_bytes(WC_ENTRIES));
	if (!mem || ptsel_wc_init(&wc, mem, WC_ENTRIES, PTSEL_WC_LRU, false))
		return 1;
	for (i = 0; i < TLB_PAGES; i++) {
		struct ptsel_xlate x = { .target = (7ULL << 32) + i * PG,
					 .prot = PTSEL_PROT_READ };

		ptsel_tlb_fill(&tlb, (1ULL << 40) + i * PG, &x);
	}
	/* Any pointers will do as tables: the lookups never walk them. */
	for (i = 0; i < WC_ENTRIES; i++)
		ptsel_wc_insert(&wc, 0, 1, 0, (u64)i << 21, keys + i);
	/* Filled pages and level-0 tables in a scrambled order. */
	for (i = 0; i < BATCH; i++) {
		hit[i] = (1ULL << 40) + (i * 97 % TLB_PAGES) * PG + (i & 63);
		miss[i] = (1ULL << 41) + (i * 97 % TLB_PAGES) * PG;
	}
	h = lookup_median(&tlb, NULL, hit, &hits);
	if (hits != (unsigned long)NBATCH * BATCH) {
		fprintf(stderr, "TLB: %lu of the hit lookups missed\n",
			(unsigned long)NBATCH * BATCH - hits);
		return 1;
	}
	m = lookup_median(&tlb, NULL, miss, &hits);
	for (i = 0; i < BATCH; i++)
		hit[i] = (u64)(i * 37 % WC_ENTRIES) << 21 | (i % 512) * PG;
	w = lookup_median(NULL, &wc, hit, &wc_hits);
	if (hits != (unsigned long)NBATCH * BATCH ||
	    wc_hits != (unsigned long)NBATCH * BATCH) {
		fprintf(stderr, "TLB or walk cache: wrong hit count\n");
		return 1;
	}
	printf("\n%-36s %9s\n", "lookup latency, median of batches", "ns/op");
	printf("%-36s %9.1f\n", "TLB hit (1024 entries, 4K page)", h);
	printf("%-36s %9.1f\n", "TLB miss (probes 1G, 2M, 4K sets)", m);
	printf("%-36s %9.1f\n", "walk cache hit (64 entries)", w);
	printf("TLB hit target <= 10 ns median: %s\n", h <= 10 ? "met" : "NOT met");
	free(mem);
	return 0;
}

/* Translate every probe through @wc (or none); sums targets and refs. */
static double run_wc(const struct ptsel_radix *r, struct ptsel_wcache *wc,
		     u64 *sum, u64 *refs)
{
	struct ptsel_xlate x;
	double t0 = now_ns();
	unsigned long i;

	for (i = 0; i < NLOOKUP; i++) {
		if (!wc) {
			ptsel_radix_translate(r, probe[i], &x);
		} else {
			ptsel_wc_walk_begin(wc, 0);
			ptsel_radix_translate_wc(r, wc, 1, 0, probe[i], &x);
		}
		*sum += x.target;
		*refs += x.mem_refs;
	}
	return (now_ns() - t0) / NLOOKUP;
}

static const char * const wc_name[] = {
	"LRU", "CLOCK", "LRU+tracking", "CLOCK+tracking"
};

/* Walk cache variant @v (wc_name[v]) of WC_ENTRIES entries. */
static int wc_variant(struct ptsel_wcache *wc, void *mem, unsigned int v)
{
	return ptsel_wc_init(wc, mem, WC_ENTRIES,
			     v & 1 ? PTSEL_WC_CLOCK : PTSEL_WC_LRU, v >= 2);
}

/*
 * Radix translations of the 1M mapped 4K pages, without a walk cache
 * and through a 64-entry one (each translation its own search), as
 * ratios to the no-cache walk of the same run.
 */
static int bench_wc_translate(const struct ptsel_radix *r, u64 base)
{
	static struct ptsel_wcache wc;
	void *mem = malloc(ptsel_wc_bytes(WC_ENTRIES));
	const char *order[2] = { "sequential", "random" };
	unsigned int o, v;

	if (!mem)
		return 1;
	printf("\n%-36s %9s %11s %7s %10s\n", "radix translate, 64-entry walk cache",
	       "ns/op", "no-wc ns/op", "ratio", "refs/op");
	for (o = 0; o < 2; o++) {
		u64 s0 = 0, refs0 = 0;
		double b;

		fill_probes(base, o);
		b = run_wc(r, NULL, &s0, &refs0);
		printf("%-36s %9.1f %11.1f %7.2f %10.2f\n", order[o], b, b, 1.0,
		       (double)refs0 / NLOOKUP);
		for (v = 0; v < 4; v += 2) {
			u64 s1 = 0, refs = 0;
			char label[64];
			double t;

			if (wc_variant(&wc, mem, v))
				return 1;
			t = run_wc(r, &wc, &s1, &refs);
			if (s1 != s0) {
				fprintf(stderr, "walk cache changed a translation\n");
				return 1;
			}
			snprintf(label, sizeof(label), "%s, wc %s", order[o], wc_name[v]);
			printf("%-36s %9.1f %11.1f %7.2f %10.2f\n", label, t, b, t / b,
			       (double)refs / NLOOKUP);
		}
	}
	free(mem);
	return 0;
}

/*
 * The locality trace. A deterministic xorshift64* generator drives it,
 * restarted from the same seed for every cache variant, over the 1M
 * mapped pages (4 GiB: 2048 regions of 2M under 4 level-1 tables):
 *  - walker 0 does runs: a run starts at a random page of the working
 *    set (so inside a randomly chosen 2M region) and goes on
 *    sequentially for 1 to 512 pages, uniformly, crossing into the next
 *    region when it gets there; each run is one search;
 *  - with probability 1/32 an access is instead a jump by walker 1 to a
 *    random page anywhere in the working set, a search of its own.
 * Nothing about the cache was tuned to it: the parameters describe a
 * workload with locality inside 2M regions and little reuse across them.
 */
#define TRACE_LEN	(1UL << 22)

struct trace {
	u64 rng;
	unsigned long page, left;
};

static u64 trace_rand(struct trace *t)
{
	t->rng ^= t->rng >> 12;
	t->rng ^= t->rng << 25;
	t->rng ^= t->rng >> 27;
	return t->rng * 0x2545f4914f6cdd1dULL;
}

/* The next access: its page number, walker, and whether a search starts. */
static unsigned long trace_next(struct trace *t, unsigned int *walker,
				bool *begin)
{
	unsigned long page;

	*begin = false;
	if (trace_rand(t) % 32 == 0) {
		*walker = 1;
		*begin = true;
		return trace_rand(t) % NPAGES;
	}
	*walker = 0;
	if (!t->left) {
		t->page = trace_rand(t) % NPAGES;
		t->left = 1 + trace_rand(t) % 512;
		*begin = true;
	}
	page = t->page;
	t->page = (t->page + 1) % NPAGES;
	t->left--;
	return page;
}

/* Runs the trace through @wc (or no cache): table entries read per walk. */
static double run_trace(const struct ptsel_radix *r, struct ptsel_wcache *wc,
			u64 base, u64 *sum)
{
	struct trace t = { .rng = 0x9e3779b97f4a7c15ULL };
	unsigned long i, refs = 0;
	struct ptsel_xlate x;

	for (i = 0; i < TRACE_LEN; i++) {
		unsigned int walker;
		bool begin;
		u64 a = base + trace_next(&t, &walker, &begin) * PG + (i & (PG - 1));

		if (!wc) {
			ptsel_radix_translate(r, a, &x);
		} else {
			if (begin)
				ptsel_wc_walk_begin(wc, walker);
			ptsel_radix_translate_wc(r, wc, 1, walker, a, &x);
		}
		*sum += x.target;
		refs += x.mem_refs;
	}
	return (double)refs / TRACE_LEN;
}

/*
 * The sparse trace: SPARSE_REGIONS 2M regions, each alone under its own
 * level-2 and level-1 table (one region per 512G slot), as when many
 * small address spaces or buffers share one table. A run picks one of
 * the first SPARSE_HOT regions at random and reads 1 to 8 pages of it,
 * one search per run. Here a walk that misses inserts three tables, of
 * which only the deepest is ever reused.
 */
#define SPARSE_REGIONS	96
#define SPARSE_HOT	48
#define SPARSE_SLOT	(1ULL << 39)

static double run_sparse(const struct ptsel_radix *r, struct ptsel_wcache *wc,
			 u64 *sum)
{
	struct trace t = { .rng = 0x2545f4914f6cdd1dULL };
	unsigned long i, refs = 0, left = 0;
	struct ptsel_xlate x;
	u64 a = 0;

	for (i = 0; i < TRACE_LEN; i++) {
		bool begin = !left;

		if (begin) {
			a = (1 + trace_rand(&t) % SPARSE_HOT) * SPARSE_SLOT +
			    trace_rand(&t) % 505 * PG;
			left = 1 + trace_rand(&t) % 8;
		}
		if (!wc) {
			ptsel_radix_translate(r, a, &x);
		} else {
			if (begin)
				ptsel_wc_walk_begin(wc, 0);
			ptsel_radix_translate_wc(r, wc, 1, 0, a, &x);
		}
		*sum += x.target;
		refs += x.mem_refs;
		a += PG;
		left--;
	}
	return (double)refs / TRACE_LEN;
}

/* Refs per walk of the dense or the sparse trace, for each variant. */
static int trace_table(const char *title, const struct ptsel_radix *r,
		       u64 base, bool sparse, double *ref)
{
	static struct ptsel_wcache wc;
	void *mem = malloc(ptsel_wc_bytes(WC_ENTRIES));
	double none;
	u64 s0 = 0;
	unsigned int v;

	if (!mem)
		return 1;
	none = sparse ? run_sparse(r, NULL, &s0) : run_trace(r, NULL, base, &s0);
	printf("\n%-36s %9s %7s %9s %10s %10s\n", title, "refs/walk", "ratio",
	       "hit rate", "evictions", "overrides");
	printf("%-36s %9.2f %7.2f\n", "no walk cache", none, 1.0);
	for (v = 0; v < 4; v++) {
		u64 s1 = 0;
		char label[64];

		if (wc_variant(&wc, mem, v))
			return 1;
		ref[v] = sparse ? run_sparse(r, &wc, &s1) : run_trace(r, &wc, base, &s1);
		if (s1 != s0) {
			fprintf(stderr, "walk cache changed a translation\n");
			return 1;
		}
		snprintf(label, sizeof(label), "64-entry wc, %s", wc_name[v]);
		printf("%-36s %9.2f %7.2f %8.1f%% %10llu %10llu\n", label, ref[v],
		       ref[v] / none,
		       100.0 * wc.stats.hits / (wc.stats.hits + wc.stats.misses),
		       (unsigned long long)wc.stats.evictions,
		       (unsigned long long)wc.stats.overrides);
	}
	free(mem);
	return 0;
}

static int bench_wc_trace(const struct ptsel_radix *r, u64 base)
{
	double dense[4], sparse[4];
	static struct ops_env env;
	unsigned int i;

	/* The sparse layout: 512 4K leaves at the start of each slot. */
	if (ops_env_init(&env, OPS_RADIX, 4, 0))
		return 1;
	for (i = 1; i <= SPARSE_REGIONS; i++)
		if (ops_map(&env, i * SPARSE_SLOT, ((u64)i << 30) + PG, 512 * PG,
			    PTSEL_PROT_READ))
			return 1;
	if (trace_table("dense locality trace, 4M walks", r, base, false, dense) ||
	    trace_table("sparse locality trace, 4M walks", &env.r, 0, true, sparse))
		return 1;
	ops_env_fini(&env);
	/* The walkers' policy is CLOCK+tracking. */
	printf("walk cache refs/walk <= 1.5, CLOCK+tracking (dense %.2f, sparse %.2f): %s\n",
	       dense[3], sparse[3], dense[3] <= 1.5 && sparse[3] <= 1.5 ? "met" : "NOT met");
	printf("sparse trace: tracking beats plain LRU (%.2f vs %.2f refs/walk): %s\n",
	       sparse[2], sparse[0], sparse[2] < sparse[0] ? "met" : "NOT met");
	printf("dense trace: tracking beats plain LRU (%.2f vs %.2f refs/walk): %s\n",
	       dense[2], dense[0], dense[2] < dense[0] ? "met" :
	       "NOT met (shared upper tables: keeping only the deepest loses them)");
	return 0;
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

		fill_probes(base, o);
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
	if (bench_tlb() || bench_wc_translate(&env[0].r, base) ||
	    bench_wc_trace(&env[0].r, base))
		return 1;
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
