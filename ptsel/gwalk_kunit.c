// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for ptsel's guest-walk cache (gwalk.c): hits and walks by
 * key, a new generation against a remap, bad keys and ranges, and
 * random remaps checked against fresh walks.
 */
#include <kunit/test.h>
#include <linux/module.h>
#include <linux/prandom.h>
#include <linux/sizes.h>

#include "ptsel_core.h"

#define GC_PAGES	32		/* guest memory: tables and nothing else */
#define GC_GVA		0x7f0000200000ULL
#define GC_RANGE	8		/* pages mapped at GC_GVA */
#define GC_MAX		4		/* the cache's capacity */
#define GC_P		1ULL
#define GC_RW		2ULL

struct gc_mem {
	u64 *mem;		/* GC_PAGES pages, guest-physical 0 onwards */
	unsigned long reads;
	u64 cr3;
};

static int gc_read(void *priv, u64 gpa, u64 *val)
{
	struct gc_mem *g = priv;

	if (gpa >= GC_PAGES * SZ_4K || gpa & 7)
		return -EFAULT;
	g->reads++;
	*val = g->mem[gpa / 8];
	return 0;
}

static const struct ptsel_gwalk_ops gc_ops = { .read = gc_read };

/* The leaf entry of page @i of the range. */
static u64 *gc_leaf(struct gc_mem *g, unsigned int i)
{
	return &g->mem[(3 * SZ_4K + ((GC_GVA >> 12) & 511) * 8) / 8 + i];
}

/* PML4 at 0, PDPT at 4K, PD at 8K, PT at 12K; page i at 1 MiB + i * 4K. */
static struct gc_mem *gc_setup(struct kunit *test)
{
	struct gc_mem *g = kunit_kzalloc(test, sizeof(*g), GFP_KERNEL);
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, g);
	g->mem = kunit_kzalloc(test, GC_PAGES * SZ_4K, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, g->mem);
	g->mem[((GC_GVA >> 39) & 511)] = SZ_4K | GC_P | GC_RW;
	g->mem[(SZ_4K + ((GC_GVA >> 30) & 511) * 8) / 8] = 2 * SZ_4K | GC_P | GC_RW;
	g->mem[(2 * SZ_4K + ((GC_GVA >> 21) & 511) * 8) / 8] = 3 * SZ_4K | GC_P | GC_RW;
	for (i = 0; i < GC_RANGE; i++)
		*gc_leaf(g, i) = (SZ_1M + i * SZ_4K) | GC_P | GC_RW;
	return g;
}

static struct ptsel_gwalk_key gc_key(struct gc_mem *g, u64 gen, u64 off, u64 len)
{
	return (struct ptsel_gwalk_key){ .cr3 = g->cr3, .generation = gen,
		.gva = GC_GVA + off, .len = len, .levels = 4,
		.prot = PTSEL_PROT_WRITE };
}

static void gwalk_cache_hit_and_generation(struct kunit *test)
{
	struct gc_mem *g = gc_setup(test);
	struct ptsel_gwalk_key k = gc_key(g, 5, 0xfc0, SZ_4K);
	struct ptsel_gwalk_cache c;
	u64 pages[GC_MAX], gpa;
	unsigned long reads;

	ptsel_gwalk_cache_init(&c, pages, GC_MAX);
	KUNIT_EXPECT_EQ(test, ptsel_gwalk_cache_gpa(&c, GC_GVA + 0xfc0, 8, &gpa), -ENOENT);
	KUNIT_ASSERT_EQ(test, ptsel_gwalk_cache_get(&c, &gc_ops, g, &k), 0);
	KUNIT_EXPECT_EQ(test, g->reads, 8UL);	/* two pages, four levels */
	reads = g->reads;
	KUNIT_EXPECT_EQ(test, ptsel_gwalk_cache_get(&c, &gc_ops, g, &k), 1);
	KUNIT_EXPECT_EQ(test, g->reads, reads);
	KUNIT_EXPECT_EQ(test, c.hits, 1ULL);
	KUNIT_EXPECT_EQ(test, c.walks, 1ULL);
	KUNIT_ASSERT_EQ(test, ptsel_gwalk_cache_gpa(&c, GC_GVA + 0x1008, 8, &gpa), 0);
	KUNIT_EXPECT_EQ(test, gpa, SZ_1M + SZ_4K + 8ULL);

	/* Remapped without a new generation: the old translation stays. */
	*gc_leaf(g, 1) = 0x18000 | GC_P | GC_RW;
	KUNIT_EXPECT_EQ(test, ptsel_gwalk_cache_get(&c, &gc_ops, g, &k), 1);
	KUNIT_ASSERT_EQ(test, ptsel_gwalk_cache_gpa(&c, GC_GVA + 0x1008, 8, &gpa), 0);
	KUNIT_EXPECT_EQ(test, gpa, SZ_1M + SZ_4K + 8ULL);
	k.generation++;
	KUNIT_EXPECT_EQ(test, ptsel_gwalk_cache_get(&c, &gc_ops, g, &k), 0);
	KUNIT_ASSERT_EQ(test, ptsel_gwalk_cache_gpa(&c, GC_GVA + 0x1008, 8, &gpa), 0);
	KUNIT_EXPECT_EQ(test, gpa, 0x18008ULL);

	/* Any other field of the key is another key, too. */
	k.len += SZ_4K;
	KUNIT_EXPECT_EQ(test, ptsel_gwalk_cache_get(&c, &gc_ops, g, &k), 0);
	k.cr3 = 0x10000;	/* an empty PML4: nothing mapped */
	KUNIT_EXPECT_EQ(test, ptsel_gwalk_cache_get(&c, &gc_ops, g, &k), -ENOENT);
	KUNIT_EXPECT_FALSE(test, c.valid);
	k.cr3 = 0;
	KUNIT_EXPECT_EQ(test, ptsel_gwalk_cache_get(&c, &gc_ops, g, &k), 0);
	ptsel_gwalk_cache_invalidate(&c);
	KUNIT_EXPECT_EQ(test, ptsel_gwalk_cache_get(&c, &gc_ops, g, &k), 0);
}

static void gwalk_cache_bad_input(struct kunit *test)
{
	struct gc_mem *g = gc_setup(test);
	struct ptsel_gwalk_key k = gc_key(g, 1, 0, GC_MAX * SZ_4K);
	struct ptsel_gwalk_cache c;
	u64 pages[GC_MAX], gpa;

	ptsel_gwalk_cache_init(&c, pages, GC_MAX);
	KUNIT_EXPECT_EQ(test, ptsel_gwalk_cache_get(&c, &gc_ops, g, &k), 0);
	KUNIT_EXPECT_EQ(test, ptsel_gwalk_cache_gpa(&c, GC_GVA - 1, 1, &gpa), -ERANGE);
	KUNIT_EXPECT_EQ(test, ptsel_gwalk_cache_gpa(&c, GC_GVA + GC_MAX * SZ_4K, 1, &gpa),
			-ERANGE);
	KUNIT_EXPECT_EQ(test, ptsel_gwalk_cache_gpa(&c, GC_GVA + 0xffc, 8, &gpa), -ERANGE);
	KUNIT_EXPECT_EQ(test, ptsel_gwalk_cache_gpa(&c, GC_GVA, 0, &gpa), -ERANGE);
	k.len++;
	KUNIT_EXPECT_EQ(test, ptsel_gwalk_cache_get(&c, &gc_ops, g, &k), -E2BIG);
	KUNIT_EXPECT_FALSE(test, c.valid);
	k.len = 0;
	KUNIT_EXPECT_EQ(test, ptsel_gwalk_cache_get(&c, &gc_ops, g, &k), -EINVAL);
	k = gc_key(g, 1, 0, 16);
	k.gva = U64_MAX - 7;
	KUNIT_EXPECT_EQ(test, ptsel_gwalk_cache_get(&c, &gc_ops, g, &k), -EINVAL);
	k = gc_key(g, 1, 0, 16);
	k.prot = ~0U;
	KUNIT_EXPECT_EQ(test, ptsel_gwalk_cache_get(&c, &gc_ops, g, &k), -EINVAL);
	k = gc_key(g, 1, 0, 16);
	k.levels = 6;
	KUNIT_EXPECT_EQ(test, ptsel_gwalk_cache_get(&c, &gc_ops, g, &k), -EINVAL);
	k = gc_key(g, 1, 0, 16);
	*gc_leaf(g, 0) &= ~GC_RW;
	KUNIT_EXPECT_EQ(test, ptsel_gwalk_cache_get(&c, &gc_ops, g, &k), -EACCES);
	k.prot = PTSEL_PROT_READ;
	KUNIT_EXPECT_EQ(test, ptsel_gwalk_cache_get(&c, &gc_ops, g, &k), 0);
	/* A table entry outside guest memory: the reader's error. */
	*gc_leaf(g, 0) = 0;
	g->mem[(2 * SZ_4K + ((GC_GVA >> 21) & 511) * 8) / 8] = SZ_1G | GC_P | GC_RW;
	k.generation++;
	KUNIT_EXPECT_EQ(test, ptsel_gwalk_cache_get(&c, &gc_ops, g, &k), -EFAULT);
	KUNIT_EXPECT_FALSE(test, c.valid);
}

/* Random remaps, each with a new generation: the cache agrees with a fresh walk. */
static void gwalk_cache_random(struct kunit *test)
{
	struct gc_mem *g = gc_setup(test);
	struct ptsel_gwalk_key k = gc_key(g, 1, 0, 64);
	struct rnd_state rnd;
	struct ptsel_gwalk_cache c;
	u64 pages[GC_MAX];
	unsigned int i, bad = 0, hits = 0, walks = 0;

	prandom_seed_state(&rnd, 16);
	ptsel_gwalk_cache_init(&c, pages, GC_MAX);
	for (i = 0; i < 20000; i++) {
		u32 r = prandom_u32_state(&rnd);
		u64 j, n, gpa, first;
		struct ptsel_gwalk w;
		int ret;

		switch (r % 4) {
		case 0:
			*gc_leaf(g, (r >> 8) % GC_RANGE) =
				(SZ_1M + ((r >> 12) % 256) * SZ_4K) | GC_P | GC_RW;
			k.generation++;
			break;
		case 1:
			k = gc_key(g, k.generation, ((r >> 8) % 128) * 64,
				   1 + (r >> 16) % (GC_MAX * SZ_4K - 8192));
			break;
		default:
			ret = ptsel_gwalk_cache_get(&c, &gc_ops, g, &k);
			if (ret < 0) {
				bad++;
				break;
			}
			hits += ret;
			walks += !ret;
			first = k.gva & ~0xfffULL;
			n = ((k.gva + k.len - 1) & ~0xfffULL) - first;
			for (j = 0; j <= n / SZ_4K; j++) {
				u64 va = j ? first + j * SZ_4K : k.gva;

				if (ptsel_gwalk_cache_gpa(&c, va, 1, &gpa) ||
				    ptsel_guest_walk(&gc_ops, g, 0, 4, va, &w) ||
				    gpa != w.gpa)
					bad++;
			}
		}
	}
	KUNIT_EXPECT_EQ(test, bad, 0U);
	KUNIT_EXPECT_GT(test, hits, 1000U);
	KUNIT_EXPECT_GT(test, walks, 1000U);
	KUNIT_EXPECT_EQ(test, c.hits, (u64)hits);
	KUNIT_EXPECT_EQ(test, c.walks, (u64)walks);
}

static struct kunit_case ptsel_gwalk_cache_cases[] = {
	KUNIT_CASE(gwalk_cache_hit_and_generation),
	KUNIT_CASE(gwalk_cache_bad_input),
	KUNIT_CASE(gwalk_cache_random),
	{}
};

static struct kunit_suite ptsel_gwalk_cache_suite = {
	.name = "ptsel_gwalk_cache",
	.test_cases = ptsel_gwalk_cache_cases,
};
kunit_test_suites(&ptsel_gwalk_cache_suite);

MODULE_DESCRIPTION("KUnit tests for ptsel's guest-walk cache");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(PTSEL);
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
