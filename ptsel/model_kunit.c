// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite: the partition model test (part_model.c) on the module's
 * partitions and walkers. Allocation failures are injected through the
 * partitions' table limit. Each window's seed is printed; the userspace
 * test runs the same operations with
 *
 *	ptsel_part_model -l -s SEED -w WINDOW -n OPS
 */
#include <kunit/test.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/sched.h>

#include "part_model.h"

static unsigned long model_ops = 1000;
module_param(model_ops, ulong, 0444);
MODULE_PARM_DESC(model_ops, "operations per window (default 1000)");

static unsigned long long model_seed;
module_param(model_seed, ullong, 0444);
MODULE_PARM_DESC(model_seed, "seed of every window (default 0: random)");

static void report(void *priv, const char *msg)
{
	struct kunit *test = priv;

	KUNIT_FAIL(test, "%s", msg);
}

static void model_window(struct kunit *test, unsigned int wi)
{
	const struct pm_hooks hooks = { .report = report, .priv = test };
	u64 seed = model_seed ?: get_random_u64(), state = seed;
	u8 op[PM_OP_BYTES];
	unsigned long i;
	struct pm *m;

	m = kunit_kzalloc(test, sizeof(*m), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, m);
	kunit_info(test, "window %u seed %#llx, %lu operations\n", wi, seed,
		   model_ops);
	KUNIT_ASSERT_EQ(test, pm_init(m, &hooks, pm_window[wi], seed), 0);
	for (i = 0; i < model_ops; i++) {
		pm_random_op(&state, op);
		if (!pm_step(m, op))
			break;
		cond_resched();
	}
	if (!m->failed)
		pm_check_all(m);
	if (m->failed)
		kunit_info(test, "reproduce: ptsel_part_model -l -s %#llx -w %u -n %lu\n",
			   seed, wi, m->steps);
	for (i = 0; i < PM_NR_OPS; i++)
		kunit_info(test, "%s: %lu ok, %lu ENOMEM, %lu in all\n",
			   pm_op_name[i], m->ok[i], m->enomem[i], m->ops[i]);
	pm_fini(m);
}

static void model_low(struct kunit *test)
{
	model_window(test, 0);
}

static void model_across_512g(struct kunit *test)
{
	model_window(test, 1);
}

static void model_below_limit(struct kunit *test)
{
	model_window(test, 2);
}

static void model_at_37g(struct kunit *test)
{
	model_window(test, 3);
}

static struct kunit_case ptsel_model_cases[] = {
	KUNIT_CASE_SLOW(model_low),
	KUNIT_CASE_SLOW(model_across_512g),
	KUNIT_CASE_SLOW(model_below_limit),
	KUNIT_CASE_SLOW(model_at_37g),
	{}
};

static struct kunit_suite ptsel_model_suite = {
	.name = "ptsel_model",
	.test_cases = ptsel_model_cases,
};

kunit_test_suites(&ptsel_model_suite);

MODULE_DESCRIPTION("KUnit model test of ptsel partitions and walkers");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(PTSEL);
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
