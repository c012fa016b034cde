// SPDX-License-Identifier: GPL-2.0
/*
 * Randomized op sequences against the reference model, for several
 * seeds, window placements (low, across a 512G boundary, right below
 * the limit) and both table depths. Prints TAP.
 */
#include <stdio.h>
#include <stdlib.h>
#include <linux/kernel.h>

#include "ptsel_ops.h"

struct placement {
	const char *name;
	unsigned int levels;
	u64 base;
};

static const struct placement placements[] = {
	{ "4-level low", 4, 0 },
	{ "4-level across 512G", 4, (1ULL << 39) - (2ULL << 30) },
	{ "4-level below limit", 4, (1ULL << 48) - (4ULL << 30) },
	{ "5-level above 2^48", 5, (1ULL << 52) + (1ULL << 30) },
	{ "5-level below limit", 5, (1ULL << 57) - (4ULL << 30) },
};

static void fill(uint8_t *buf, size_t len, unsigned int *state)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = rand_r(state) >> 7;
}

static const char * const fmt_name[] = { "radix", "hash" };

/* One op sequence; prints its TAP line as test number @t. */
static void run_one(unsigned int t, enum ops_fmt f, const struct placement *pl,
		    unsigned int seed, unsigned long nops)
{
	static struct ops_env env;
	unsigned int state = seed * 7919 + pl->levels * 31 + (unsigned int)(pl->base >> 30);
	uint8_t op[13];
	unsigned long i;

	if (ops_env_init(&env, f, pl->levels, pl->base)) {
		printf("not ok %u - %s %s seed %u: init\n", t, fmt_name[f],
		       pl->name, seed);
		return;
	}
	for (i = 0; i < nops; i++) {
		fill(op, sizeof(op), &state);
		/* Mostly small ranges, so the model stays busy. */
		if (rand_r(&state) % 4)
			op[5] = op[6] = op[7] = op[8] = 0;
		ops_step(&env, op, sizeof(op));
		if (i % 500 == 0)
			ops_check(&env);
	}
	ops_check(&env);
	printf("ok %u - %s %s seed %u: %lu maps, %lu unmaps, %lu protects, %lu leaf walks, %lu lookups, %lu injected ENOMEM\n",
	       t, fmt_name[f], pl->name, seed, env.maps, env.unmaps,
	       env.protects, env.walks, env.xlates, env.enomem);
	ops_env_fini(&env);
}

int main(int argc, char **argv)
{
	unsigned long nops = argc > 1 ? strtoul(argv[1], NULL, 0) : 20000;
	unsigned int np = ARRAY_SIZE(placements);
	unsigned int seeds = 4, p, s, t = 0, f;

	printf("TAP version 13\n1..%u\n", 2 * np * seeds);
	for (f = 0; f < 2; f++)
		for (p = 0; p < np; p++)
			for (s = 1; s <= seeds; s++)
				run_one(++t, f, &placements[p], s, nops);
	return 0;
}
