// SPDX-License-Identifier: GPL-2.0
/*
 * The guest walker against guest page tables built here in a flat
 * "guest memory": hand-made cases for every rule, then random mappings
 * of all three sizes checked against what was built. Prints TAP.
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

static int mem_read(void *priv, u64 gpa, u64 *val)
{
	if (gpa >= MEM_SIZE || gpa & 7)
		return -EFAULT;
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

int main(void)
{
	mem = calloc(1, MEM_SIZE);
	if (!mem)
		return 1;
	next_table = 0x100000;
	printf("TAP version 13\n");
	hand_made();
	random_maps();
	printf("1..%u\n", tests);
	free(mem);
	return failed != 0;
}
