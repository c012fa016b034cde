// SPDX-License-Identifier: GPL-2.0
/*
 * Lockless lookups against a live writer, for both formats. The reader
 * checks addresses whose translation never changes while the writer
 * punches 4K holes into the huge leaves around them (splits), fills the
 * holes again, flips the protection of parts of them (splits too, and
 * rewrites of live leaves), and maps and unmaps a churn region (which
 * makes a hashed table grow and shrink). A lookup that misses, returns
 * a wrong target or a protection never set fails the test. Freed
 * tables are parked until the end, which is what the kernel's RCU grace
 * period provides. Prints TAP.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <linux/ptsel.h>

#include "ptsel_ops.h"

#define SZ_4K	0x1000ULL
#define SZ_2M	0x200000ULL
#define SZ_1G	0x40000000ULL
#define STABLE	(4 * SZ_1G)	/* [4G, 6G): two 1G leaves */
#define TARGET	(64 * SZ_1G)
#define CHURN	(16 * SZ_1G)
#define RW	(PTSEL_PROT_READ | PTSEL_PROT_WRITE)

static struct ops_env env;
static int stop;
static unsigned long lookups, bad;	/* written by the reader only */

static void *reader(void *arg)
{
	unsigned int seed = 1;

	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		/* First 4K of each 2M: never inside a hole. */
		u64 off = (rand_r(&seed) % 1024) * SZ_2M + rand_r(&seed) % SZ_4K;
		struct ptsel_xlate x;

		if (ops_translate(&env, STABLE + off, &x) ||
		    x.target != TARGET + off ||
		    (x.prot != RW && x.prot != PTSEL_PROT_READ))
			__atomic_add_fetch(&bad, 1, __ATOMIC_RELAXED);
		lookups++;
	}
	return NULL;
}

static int run(enum ops_fmt fmt, unsigned int rounds)
{
	pthread_t th;
	unsigned int i, j;

	if (ops_env_init(&env, fmt, 4, 0))
		return -1;
	env.defer_free = true;
	stop = 0;
	lookups = bad = 0;
	if (ops_map(&env, STABLE, TARGET, 2 * SZ_1G, RW))
		return -1;
	pthread_create(&th, NULL, reader, NULL);
	for (i = 0; i < rounds; i++) {
		u64 hole = STABLE + (i % 1024) * SZ_2M + SZ_4K * (1 + i % 511);

		u64 part = STABLE + (i * 7 % 1024) * SZ_2M + SZ_4K * (i % 3);

		if (ops_unmap(&env, hole, SZ_4K) ||
		    ops_map(&env, hole, TARGET + (hole - STABLE), SZ_4K, RW))
			return -1;
		if (ops_protect(&env, part, SZ_2M * (1 + i % 3),
				i & 1 ? PTSEL_PROT_READ : RW))
			return -1;
		for (j = 0; j < 64; j++)
			if (ops_map(&env, CHURN + (u64)(i % 8) * SZ_1G + j * SZ_2M,
				    j * SZ_4K, SZ_4K * (1 + j % 4), RW))
				return -1;
		if (ops_unmap(&env, CHURN + (u64)(i % 8) * SZ_1G, SZ_1G))
			return -1;
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	ops_check(&env);
	ops_env_fini(&env);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned int rounds = argc > 1 ? strtoul(argv[1], NULL, 0) : 1000;
	static const char * const name[] = { "radix", "hash" };
	int f, ret;

	printf("TAP version 13\n1..2\n");
	for (f = 0; f < 2; f++) {
		ret = run(f, rounds);
		if (ret || bad || !lookups)
			printf("not ok %d - %s: lookups during splits and resizes (ret %d, %lu of %lu wrong)\n",
			       f + 1, name[f], ret, bad, lookups);
		else
			printf("ok %d - %s: %lu lookups during %u rounds of splits and churn, none wrong\n",
			       f + 1, name[f], lookups, rounds);
	}
	return 0;
}
