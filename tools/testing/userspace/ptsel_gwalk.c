// SPDX-License-Identifier: GPL-2.0
/*
 * The guest walker against guest page tables built here in a flat
 * "guest memory": hand-made cases for every rule, then random mappings
 * of all three sizes checked against what was built. Then the
 * guest-walk cache: hand-made cases, and a randomized model of a guest
 * that remaps, with or without a new generation, while a consumer looks
 * its range up. Prints TAP.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/ptsel.h>

#include "ptsel_core.h"

#define MEM_SIZE	(64ULL << 20)
#define P		(1ULL << 0)
#define RW		(1ULL << 1)
#define US		(1ULL << 2)
#define PS		(1ULL << 7)
#define NX		(1ULL << 63)
#define ALL		(PTSEL_PROT_READ | PTSEL_PROT_WRITE | PTSEL_PROT_EXEC)

static uint8_t *mem;
static u64 next_table;
static unsigned int tests, failed;
static unsigned long reads;

static int mem_read(void *priv, u64 gpa, u64 *val)
{
	if (gpa >= MEM_SIZE || gpa & 7)
		return -EFAULT;
	reads++;
	memcpy(val, mem + gpa, 8);
	return 0;
}

static const struct ptsel_gwalk_ops ops = { .read = mem_read };

static u64 *entry(u64 gpa)
{
	return (u64 *)(mem + gpa);
}

static u64 new_table(void)
{
	u64 t = next_table;

	next_table += 4096;
	memset(mem + t, 0, 4096);
	return t;
}

/*
 * Map @gva to @gpa with a leaf at @level, under @flags at every level.
 * Returns -1 when an existing mapping is in the way.
 */
static int map(u64 cr3, unsigned int levels, u64 gva, u64 gpa,
	       unsigned int level, u64 flags)
{
	u64 table = cr3;
	int l;

	for (l = levels - 1; l > (int)level; l--) {
		u64 *e = entry(table + ((gva >> (12 + 9 * l)) & 511) * 8);

		if (!*e)
			*e = new_table() | flags;
		else if (*e & PS && l > 0)
			return -1;
		table = *e & ~0xfffULL & ((1ULL << 52) - 1);
	}
	if (*entry(table + ((gva >> (12 + 9 * level)) & 511) * 8))
		return -1;
	*entry(table + ((gva >> (12 + 9 * level)) & 511) * 8) =
		gpa | flags | (level ? PS : 0);
	return 0;
}

static void ok(int cond, const char *what)
{
	tests++;
	if (!cond)
		failed++;
	printf("%sok %u - %s\n", cond ? "" : "not ", tests, what);
}

static void hand_made(void)
{
	u64 cr3 = new_table(), cr3_5 = new_table();
	struct ptsel_gwalk w;
	int ret;

	map(cr3, 4, 0x12345000, 0x1000000, 0, P | RW | US);
	ret = ptsel_guest_walk(&ops, NULL, cr3 | 0x18, 4, 0x12345abc, &w);
	ok(!ret && w.gpa == 0x1000abc && w.level == 0 && w.prot == ALL &&
	   w.user && w.nr_ptes == 4 && w.pte_gpa[0] == cr3,
	   "4K page, flags of CR3 ignored, all four entries recorded");

	map(cr3, 4, 0x40000000, 0x2400000 | (1ULL << 12), 1, P | RW | US);
	ret = ptsel_guest_walk(&ops, NULL, cr3, 4, 0x40012345, &w);
	ok(!ret && w.gpa == 0x2412345 && w.level == 1 && w.nr_ptes == 3,
	   "2M page, PAT bit not part of the address");

	map(cr3, 4, 0x80000000, 0x40000000, 2, P | US);
	ret = ptsel_guest_walk(&ops, NULL, cr3, 4, 0xbfffffff, &w);
	ok(!ret && w.gpa == 0x7fffffff && w.level == 2 &&
	   w.prot == (PTSEL_PROT_READ | PTSEL_PROT_EXEC),
	   "1G page, read-only");

	map(cr3, 4, 0xffff800000001000ULL, 0x3000000, 0, P | RW | NX);
	ret = ptsel_guest_walk(&ops, NULL, cr3, 4, 0xffff800000001008ULL, &w);
	ok(!ret && w.gpa == 0x3000008 && !w.user &&
	   w.prot == (PTSEL_PROT_READ | PTSEL_PROT_WRITE),
	   "upper half, NX and supervisor accumulate");

	*entry(w.pte_gpa[2]) &= ~RW;	/* PD entry of that walk */
	ret = ptsel_guest_walk(&ops, NULL, cr3, 4, 0xffff800000001008ULL, &w);
	ok(!ret && w.prot == PTSEL_PROT_READ, "read-only at one level is read-only");

	ret = ptsel_guest_walk(&ops, NULL, cr3, 4, 0x12346000, &w);
	ok(ret == -ENOENT && w.level == 0 && w.nr_ptes == 4, "not present at level 0");
	ret = ptsel_guest_walk(&ops, NULL, cr3, 4, 0x7f0000000000ULL, &w);
	ok(ret == -ENOENT && w.level == 3 && w.nr_ptes == 1, "not present at the top");

	ret = ptsel_guest_walk(&ops, NULL, cr3, 4, 0x0000800000000000ULL, &w);
	ok(ret == -EINVAL, "non-canonical address");
	ret = ptsel_guest_walk(&ops, NULL, cr3, 3, 0x1000, &w);
	ok(ret == -EINVAL, "three levels");

	*entry(cr3 + 8 * 5) = 0x200000 | P | PS;
	ret = ptsel_guest_walk(&ops, NULL, cr3, 4, 5ULL << 39, &w);
	ok(ret == -EIO && w.level == 3, "PS in a PML4 entry is reserved");
	map(cr3, 4, 0x60000000, 0x2600000, 1, P | RW);
	ret = ptsel_guest_walk(&ops, NULL, cr3, 4, 0x60000000, &w);
	ok(!ret && w.level == 1, "2M page before corruption");
	*entry(w.pte_gpa[2]) |= 1ULL << 13;	/* reserved in a 2M entry */
	ret = ptsel_guest_walk(&ops, NULL, cr3, 4, 0x60000000, &w);
	ok(ret == -EIO && w.level == 1, "misaligned 2M page address is reserved");

	*entry(cr3 + 8 * 6) = (MEM_SIZE + 0x1000) | P | RW;
	ret = ptsel_guest_walk(&ops, NULL, cr3, 4, 6ULL << 39, &w);
	ok(ret == -EFAULT, "reader errors come back");

	map(cr3_5, 5, 0x00fe000000123000ULL, 0x5000000, 0, P | RW | US);
	ret = ptsel_guest_walk(&ops, NULL, cr3_5, 5, 0x00fe000000123456ULL, &w);
	ok(!ret && w.gpa == 0x5000456 && w.nr_ptes == 5, "5-level walk");
	ret = ptsel_guest_walk(&ops, NULL, cr3_5, 4, 0x00fe000000123456ULL, &w);
	ok(ret == -EINVAL, "57-bit address is not canonical with 4 levels");
}

struct ref { u64 gva, gpa; unsigned int level; };

static void random_maps(void)
{
	static struct ref ref[2000];
	unsigned int n = 0, i, bad = 0, seed = 7;
	u64 cr3 = new_table();
	struct ptsel_gwalk w;

	while (n < 2000) {
		unsigned int level = rand_r(&seed) % 3;
		u64 sz = 1ULL << (12 + 9 * level);
		u64 gva = ((u64)rand_r(&seed) << 20 ^ rand_r(&seed)) % (1ULL << 47) & ~(sz - 1);
		u64 gpa = ((u64)rand_r(&seed) << 12) % (1ULL << 51) & ~(sz - 1);

		if (next_table + 5 * 4096 > MEM_SIZE)
			break;
		if (map(cr3, 4, gva, gpa, level, P | RW | US))
			continue;
		ref[n++] = (struct ref){ gva, gpa, level };
	}
	for (i = 0; i < n; i++) {
		u64 sz = 1ULL << (12 + 9 * ref[i].level);
		u64 off = ((u64)rand_r(&seed) * 4099) & (sz - 1);

		if (ptsel_guest_walk(&ops, NULL, cr3, 4, ref[i].gva + off, &w) ||
		    w.gpa != ref[i].gpa + off || w.level != ref[i].level)
			bad++;
	}
	printf("# %u random mappings\n", n);
	ok(n > 1000 && !bad, "random 4K/2M/1G mappings all walk to their target");
}

/* ---- the guest-walk cache ---- */

#define CPAGES		16		/* pages the test's ranges come from */
#define CBASE		0x7f1200000000ULL
#define CMAX		8		/* the cache's capacity, in pages */

/* The leaf entry of each page of the range, under two CR3s. */
static u64 *leaf[2][CPAGES];
static u64 ccr3[2];

static void cache_setup(void)
{
	struct ptsel_gwalk w;
	unsigned int s, i;

	for (s = 0; s < 2; s++) {
		ccr3[s] = new_table();
		for (i = 0; i < CPAGES; i++) {
			map(ccr3[s], 4, CBASE + i * 4096ULL,
			    0x2000000 + (s * CPAGES + i) * 4096ULL, 0, P | RW);
			ptsel_guest_walk(&ops, NULL, ccr3[s], 4, CBASE + i * 4096ULL, &w);
			leaf[s][i] = entry(w.pte_gpa[3]);
		}
	}
}

static struct ptsel_gwalk_key ckey(unsigned int s, u64 gen, u64 off, u64 len)
{
	return (struct ptsel_gwalk_key){ .cr3 = ccr3[s], .generation = gen,
		.gva = CBASE + off, .len = len, .levels = 4,
		.prot = PTSEL_PROT_WRITE };
}

static void cache_hand_made(void)
{
	u64 pages[CMAX], gpa, saved;
	struct ptsel_gwalk_cache c;
	struct ptsel_gwalk_key k = ckey(0, 1, 0x40, 2 * 4096);
	unsigned long r;
	int ret;

	ptsel_gwalk_cache_init(&c, pages, CMAX);
	ok(ptsel_gwalk_cache_gpa(&c, CBASE + 0x40, 8, &gpa) == -ENOENT,
	   "cache: an empty cache translates nothing");
	r = reads;
	ret = ptsel_gwalk_cache_get(&c, &ops, NULL, &k);
	ok(ret == 0 && c.walks == 1 && reads - r == 3 * 4,
	   "cache: a miss walks every page the range touches (3 pages)");
	r = reads;
	ret = ptsel_gwalk_cache_get(&c, &ops, NULL, &k);
	ok(ret == 1 && c.hits == 1 && reads == r, "cache: the same key hits, reading nothing");
	ok(!ptsel_gwalk_cache_gpa(&c, CBASE + 0x1ff8, 8, &gpa) && gpa == 0x2001ff8 &&
	   !ptsel_gwalk_cache_gpa(&c, CBASE + 0x2040 - 1, 1, &gpa) && gpa == 0x200203f,
	   "cache: translations of the first and last byte of the range");
	ok(ptsel_gwalk_cache_gpa(&c, CBASE + 0x3f, 1, &gpa) == -ERANGE &&
	   ptsel_gwalk_cache_gpa(&c, CBASE + 0x2040, 1, &gpa) == -ERANGE &&
	   ptsel_gwalk_cache_gpa(&c, CBASE + 0xffc, 8, &gpa) == -ERANGE &&
	   ptsel_gwalk_cache_gpa(&c, CBASE + 0x100, 0, &gpa) == -ERANGE,
	   "cache: bytes before, after, across a page, or none: -ERANGE");

	saved = *leaf[0][1];
	*leaf[0][1] = 0x3000000 | P | RW;
	ret = ptsel_gwalk_cache_get(&c, &ops, NULL, &k);
	ok(ret == 1 && !ptsel_gwalk_cache_gpa(&c, CBASE + 0x1000, 4, &gpa) &&
	   gpa == 0x2001000, "cache: a remap under the same generation is not seen");
	k.generation++;
	ret = ptsel_gwalk_cache_get(&c, &ops, NULL, &k);
	ok(ret == 0 && !ptsel_gwalk_cache_gpa(&c, CBASE + 0x1000, 4, &gpa) &&
	   gpa == 0x3000000, "cache: a new generation walks again and sees it");
	*leaf[0][1] = saved;

	*leaf[0][2] &= ~RW;
	k.generation++;
	ret = ptsel_gwalk_cache_get(&c, &ops, NULL, &k);
	ok(ret == -EACCES && !c.valid, "cache: a read-only page: -EACCES, cache empty");
	k.prot = PTSEL_PROT_READ;
	ok(ptsel_gwalk_cache_get(&c, &ops, NULL, &k) == 0, "cache: read-only is enough for READ");
	*leaf[0][2] |= RW;
	k.prot = PTSEL_PROT_WRITE;

	saved = *leaf[0][0];
	*leaf[0][0] = 0;
	ok(ptsel_gwalk_cache_get(&c, &ops, NULL, &k) == -ENOENT && !c.valid &&
	   ptsel_gwalk_cache_gpa(&c, CBASE + 0x40, 8, &gpa) == -ENOENT,
	   "cache: a page not present: -ENOENT, nothing translated");
	*leaf[0][0] = saved;

	k.len = CMAX * 4096ULL - 0x40;
	ok(ptsel_gwalk_cache_get(&c, &ops, NULL, &k) == 0, "cache: a range of exactly its capacity");
	k.len++;
	ok(ptsel_gwalk_cache_get(&c, &ops, NULL, &k) == -E2BIG && !c.valid,
	   "cache: one byte more: -E2BIG");
	k.len = 0;
	ok(ptsel_gwalk_cache_get(&c, &ops, NULL, &k) == -EINVAL, "cache: an empty range: -EINVAL");
	k = ckey(0, 1, 0, 8);
	k.gva = ~0ULL - 3;
	ok(ptsel_gwalk_cache_get(&c, &ops, NULL, &k) == -EINVAL, "cache: a wrapping range: -EINVAL");
	k = ckey(0, 1, 0, 8);
	k.prot = 1U << 7;
	ok(ptsel_gwalk_cache_get(&c, &ops, NULL, &k) == -EINVAL,
	   "cache: permissions outside PTSEL_PROT_MASK: -EINVAL");
	k = ckey(0, 1, 0, 8);
	k.levels = 3;
	ok(ptsel_gwalk_cache_get(&c, &ops, NULL, &k) == -EINVAL, "cache: three levels: -EINVAL");

	k = ckey(0, 1, 0, 8);
	ok(ptsel_gwalk_cache_get(&c, &ops, NULL, &k) == 0, "cache: fill before invalidation");
	ptsel_gwalk_cache_invalidate(&c);
	ok(ptsel_gwalk_cache_get(&c, &ops, NULL, &k) == 0, "cache: invalidated: walks again");
}

/*
 * The model: what the guest maps now (gpa per page and CR3, 0: not
 * mapped, bit 0: read-only) and what the consumer must get: a hit, with
 * the translations of its last walk (stale ones included, when the guest
 * remapped without a new generation), exactly when the key is the one
 * of the last successful walk and nothing invalidated the cache since;
 * otherwise a walk of what is mapped now.
 */
static void cache_random(void)
{
	u64 pages[CMAX], now[2][CPAGES], snap[CMAX], gen = 1;
	unsigned int seed = 11, i, op, bad = 0, hits = 0, walks = 0, errs = 0;
	struct ptsel_gwalk_cache c;
	struct ptsel_gwalk_key k = ckey(0, gen, 0, 64), last;
	bool valid = false;

	ptsel_gwalk_cache_init(&c, pages, CMAX);
	for (i = 0; i < CPAGES; i++) {
		now[0][i] = *leaf[0][i] & ~0xfffULL;
		now[1][i] = *leaf[1][i] & ~0xfffULL;
	}
	for (op = 0; op < 200000; op++) {
		unsigned int r = rand_r(&seed), s = r % 2, p = (r >> 1) % CPAGES;

		switch ((r >> 8) % 16) {
		case 0:	/* the guest remaps a page, maybe with a new generation */
		case 5:
			now[s][p] = 0x4000000 + (u64)(rand_r(&seed) % 4096) * 4096;
			*leaf[s][p] = now[s][p] | P | RW;
			if (r & (1U << 16))
				k.generation = ++gen;
			break;
		case 1:	/* unmaps one, or makes it read-only */
			if (r & (1U << 16)) {
				*leaf[s][p] &= ~RW;
				now[s][p] |= !!now[s][p];
			} else {
				*leaf[s][p] = 0;
				now[s][p] = 0;
			}
			k.generation = ++gen;
			break;
		case 2:	/* another range or CR3 */
		case 3:
			k = ckey(s, k.generation, (u64)(rand_r(&seed) % 256) * 64,
				 1 + rand_r(&seed) % (CMAX * 4096 + 4096));
			break;
		case 4:
			ptsel_gwalk_cache_invalidate(&c);
			valid = false;
			break;
		default: {	/* look up */
			u64 first = k.gva & ~0xfffULL, n, j, gpa;
			bool hit = valid && !memcmp(&k, &last, sizeof(k));
			int ret = ptsel_gwalk_cache_get(&c, &ops, NULL, &k), want = 0;
			unsigned int sel = k.cr3 == ccr3[1];

			n = ((k.gva + k.len - 1) & ~0xfffULL) - first;
			n = n / 4096 + 1;
			if (hit) {
				want = 1;
			} else if (n > CMAX) {
				want = -E2BIG;
			} else {
				for (j = 0; j < n && !want; j++) {
					u64 v = now[sel][(first - CBASE) / 4096 + j];

					want = !v ? -ENOENT : (v & 1) ? -EACCES : 0;
					snap[j] = v;
				}
			}
			if (ret != want) {
				bad++;
				break;
			}
			hits += ret == 1;
			walks += ret == 0;
			errs += ret < 0;
			valid = ret >= 0;
			if (ret < 0)
				break;
			last = k;
			for (j = 0; j < n; j++) {
				u64 va = j ? first + j * 4096 : k.gva;

				if (ptsel_gwalk_cache_gpa(&c, va, 1, &gpa) ||
				    gpa != snap[j] + (va & 0xfff))
					bad++;
			}
		}
		}
	}
	printf("# cache model: %u hits, %u walks, %u refused, %u disagree\n", hits, walks, errs, bad);
	ok(!bad && hits > 1000 && walks > 1000 && errs > 1000 &&
	   c.hits == hits && c.walks >= walks,
	   "cache: random remaps, generations and ranges agree with the model");
}

int main(void)
{
	mem = calloc(1, MEM_SIZE);
	if (!mem)
		return 1;
	next_table = 0x100000;
	printf("TAP version 13\n");
	hand_made();
	random_maps();
	cache_setup();
	cache_hand_made();
	cache_random();
	printf("1..%u\n", tests);
	free(mem);
	return failed != 0;
}
