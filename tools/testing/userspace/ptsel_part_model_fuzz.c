// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the partition model test (ptsel/part_model.c) with
 * the input as its operations, PM_OP_BYTES bytes each. The first byte
 * picks the window; the model's own checks abort on any disagreement,
 * on a WARN and on a leak.
 */
#include <stdio.h>
#include <stdlib.h>

#include <linux/kernel.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>

#include "part_model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail_allocs(void *priv, int n)
{
	shim_fail_after = n;
}

static void report(void *priv, const char *msg)
{
	fprintf(stderr, "ptsel_part_model: check failed: %s\n", msg);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct pm_hooks hooks = { fail_allocs, report, NULL };
	static struct pm m;

	if (!size)
		return 0;
	memset(&m, 0, sizeof(m));
	if (pm_init(&m, &hooks, pm_window[data[0] % PM_WINDOWS], data[0]))
		return 0;
	data++;
	size--;
	for (; size >= PM_OP_BYTES; data += PM_OP_BYTES, size -= PM_OP_BYTES) {
		unsigned long warnings = shim_warnings;

		pm_step(&m, data);
		shim_rcu_quiesce();
		if (shim_warnings != warnings)
			report(NULL, m.desc);
	}
	pm_check_all(&m);
	pm_fini(&m);
	rcu_barrier();
	if (shim_live_allocs) {
		fprintf(stderr, "ptsel_part_model: check failed: %lu allocations leaked\n",
			shim_live_allocs);
		abort();
	}
	return 0;
}
