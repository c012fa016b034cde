// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the input is a stream of ops (see ptsel_ops.c);
 * the first byte picks the format, the depth and the window placement.
 */
#include "ptsel_ops.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const u64 bases[4] = {
		0, (1ULL << 39) - (2ULL << 30), (1ULL << 48) - (4ULL << 30), 1ULL << 47,
	};
	static struct ops_env env;
	size_t used;

	if (!size)
		return 0;
	if (ops_env_init(&env, (data[0] >> 6) & 1, 4 + (data[0] >> 7),
			 bases[data[0] & 3]))
		return 0;
	data++;
	size--;
	while ((used = ops_step(&env, data, size))) {
		data += used;
		size -= used;
	}
	ops_check(&env);
	ops_env_fini(&env);
	return 0;
}
