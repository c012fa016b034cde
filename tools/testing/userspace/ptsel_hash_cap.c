// SPDX-License-Identifier: GPL-2.0
/*
 * The hashed table stops growing at PTSEL_HASH_MAX_ORDER, whose table
 * kvmalloc() still hands out (at most INT_MAX bytes; above that it
 * warns). Seventeen 4 KiB leaves whose keys share the top 23 bits of
 * their hash share one pair of groups (16 slots) at every order up to
 * 23, so inserting them doubles the table up to the cap; the insert
 * must then fail with -ENOMEM, ask for no larger table, and leave the
 * other sixteen in place. Table memory comes from lazily zeroed
 * mappings, so the 1 GiB generation costs little. Prints TAP.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <linux/ptsel.h>

#include "ptsel_core.h"

/*
 * hash.c's key of a 4 KiB leaf is (addr >> 12) * 0x9e3779b97f4a7c15.
 * Keys KEY0 + i * KEY_STEP differ by i * 49665041905 after the
 * multiplication (KEY_STEP is a denominator of a continued-fraction
 * convergent of the constant / 2^64), and for KEY0 = 3 all seventeen
 * stay inside one 2^41-wide band of hash values: same top 23 bits.
 */
#define KEY0		3ULL
#define KEY_STEP	165580141ULL
#define NR_KEYS		17

static unsigned int tests, failed;
static size_t biggest;

static void ok(int cond, const char *what)
{
	tests++;
	if (!cond)
		failed++;
	printf("%sok %u - %s\n", cond ? "" : "not ", tests, what);
}

static void *lazy_alloc(void *priv, size_t bytes)
{
	void *mem;

	if (bytes > biggest)
		biggest = bytes;
	/* kvmalloc() warns and fails above INT_MAX: so does this. */
	if (bytes > INT_MAX) {
		printf("# table of %zu bytes asked for\n", bytes);
		return NULL;
	}
	mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	return mem == MAP_FAILED ? NULL : mem;
}

static void lazy_free(void *priv, void *mem, size_t bytes)
{
	munmap(mem, bytes);
}

static const struct ptsel_hash_ops lazy_ops = {
	.alloc = lazy_alloc,
	.free = lazy_free,
};

static u64 key_addr(unsigned int i)
{
	return (KEY0 + i * KEY_STEP) << PTSEL_SHIFT;
}

int main(void)
{
	struct ptsel_xlate x;
	struct ptsel_hash h;
	unsigned int i;
	int ret = 0, all = 1;

	printf("TAP version 13\n");
	if (ptsel_hash_init(&h, PTSEL_HASH_MIN_ORDER, 1ULL << 48, &lazy_ops, NULL)) {
		printf("Bail out! no memory\n");
		return 1;
	}
	for (i = 0; i < NR_KEYS - 1 && !ret; i++)
		ret = ptsel_hash_map(&h, key_addr(i), key_addr(i), PTSEL_PAGE_SIZE,
				     PTSEL_PROT_READ);
	ok(!ret && h.tab->order == PTSEL_HASH_MIN_ORDER,
	   "sixteen colliding leaves fit the smallest table");
	ret = ptsel_hash_map(&h, key_addr(i), key_addr(i), PTSEL_PAGE_SIZE,
			     PTSEL_PROT_READ);
	ok(ret == -ENOMEM, "the seventeenth fails with -ENOMEM");
	ok(biggest == ptsel_htab_bytes(PTSEL_HASH_MAX_ORDER),
	   "the table grew up to the cap, and no further");
	ok(biggest <= INT_MAX, "no table above INT_MAX bytes was asked for");
	for (i = 0; i < NR_KEYS - 1; i++)
		all &= !ptsel_hash_translate(&h, key_addr(i) + 5, &x) &&
		       x.target == key_addr(i) + 5;
	ok(all && ptsel_hash_translate(&h, key_addr(NR_KEYS - 1), &x) == -ENOENT,
	   "the other sixteen still translate, the refused one does not");
	ok(h.nr_entries == NR_KEYS - 1 && h.tab->order == PTSEL_HASH_MIN_ORDER,
	   "the table shrank back after the refusal");
	ptsel_hash_destroy(&h);
	printf("1..%u\n", tests);
	return failed ? 1 : 0;
}
