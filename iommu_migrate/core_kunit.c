// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the iommu_migrate core: every (state, event) pair of
 * the PTE/RMT state machine (only the legal transitions pass), the PME
 * protocol's order and generations, each abort path, the RMT check,
 * the randomized model (core_model.h) that the userspace tier and the
 * fuzzer also run, and the edu hold and drain with its memory model.
 */
#include <kunit/test.h>
#include <linux/module.h>
#include <linux/prandom.h>
#include <linux/random.h>

#include "imm_core.h"
#include "core_model.h"

static void every_transition(struct kunit *test)
{
	unsigned int s, e, legal = 0;

	for (s = 0; s <= IMM_NR_STATES; s++)
		for (e = 0; e <= IMM_NR_EVENTS; e++) {
			int r = imm_state_next(s, e);

			KUNIT_EXPECT_EQ_MSG(test, r, imm_model_next(s, e),
					    "state %u event %u", s, e);
			legal += r >= 0;
		}
	KUNIT_EXPECT_EQ(test, legal, 5U);
}

static void generations(struct kunit *test)
{
	struct imm_rmt e = { .domain = 9, .iova = 0x7000, .gen = 3 };
	struct imm_rmt spare = { .domain = 9, .iova = 0x7000,
				 .state = IMM_MIGRATING };
	struct imm_rmt other = { .domain = 8, .iova = 0x7000,
				 .state = IMM_MIGRATING };
	struct imm_mig m = {};

	KUNIT_ASSERT_EQ(test, imm_mig_mark(&m, &e), 0);
	KUNIT_EXPECT_EQ(test, imm_rmt_check(&e, 9, 0x7000, 3), IMM_ACCESS_STALL);
	KUNIT_ASSERT_EQ(test, imm_mig_drained(&m), 0);
	KUNIT_ASSERT_EQ(test, imm_mig_copied(&m), 0);
	/* The check before the PTE exchange: refused, nothing changed. */
	KUNIT_EXPECT_EQ(test, imm_mig_switch_check(&m, &e, &other), -EINVAL);
	KUNIT_EXPECT_EQ(test, other.domain, 8U);
	KUNIT_EXPECT_EQ(test, imm_mig_switch_check(&m, &e, &spare), 0);
	KUNIT_EXPECT_EQ(test, e.state, (u32)IMM_MIGRATING);
	KUNIT_EXPECT_EQ(test, spare.state, (u32)IMM_MIGRATING);
	KUNIT_EXPECT_EQ(test, m.phase, (u32)IMM_PH_COPIED);
	KUNIT_EXPECT_EQ(test, imm_mig_switch(&m, &e, &other, 4), -EINVAL);
	KUNIT_EXPECT_EQ(test, imm_mig_switch(&m, &e, &spare, 3), -EINVAL);
	KUNIT_EXPECT_EQ(test, e.state, (u32)IMM_MIGRATING);
	/* The spare was published early, migrating: devices stalled on it. */
	KUNIT_EXPECT_EQ(test, imm_rmt_check(&spare, 9, 0x7000, 0),
			IMM_ACCESS_STALL);
	KUNIT_ASSERT_EQ(test, imm_mig_switch(&m, &e, &spare, 4), 0);
	KUNIT_EXPECT_EQ(test, spare.gen, 4ULL);
	KUNIT_EXPECT_EQ(test, imm_rmt_check(&spare, 9, 0x7000, 3),
			IMM_ACCESS_STALE);
	KUNIT_EXPECT_EQ(test, imm_rmt_check(&spare, 9, 0x7000, 4), IMM_ACCESS_OK);
	KUNIT_EXPECT_EQ(test, imm_rmt_check(&spare, 9, 0x8000, 4),
			IMM_ACCESS_VIOLATION);
	KUNIT_EXPECT_EQ(test, imm_rmt_check(&e, 9, 0x7000, 4),
			IMM_ACCESS_VIOLATION);
	KUNIT_EXPECT_EQ(test, imm_mig_abort(&m, &spare), -EINVAL);
	KUNIT_EXPECT_EQ(test, imm_mig_release(&m), 0);
}

static void aborts(struct kunit *test)
{
	unsigned int at;

	for (at = IMM_PH_IDLE; at < IMM_NR_PHASES; at++) {
		struct imm_rmt e = { .domain = 1, .gen = 5 };
		struct imm_rmt n = {};
		struct imm_mig m = {};
		bool legal = at >= IMM_PH_MARKED && at <= IMM_PH_COPIED;

		if (at >= IMM_PH_MARKED)
			KUNIT_ASSERT_EQ(test, imm_mig_mark(&m, &e), 0);
		if (at >= IMM_PH_DRAINED)
			imm_mig_drained(&m);
		if (at >= IMM_PH_COPIED)
			imm_mig_copied(&m);
		if (at >= IMM_PH_SWITCHED && at != IMM_PH_ABORTED)
			KUNIT_ASSERT_EQ(test, imm_mig_switch(&m, &e, &n, 6), 0);
		if (at == IMM_PH_RELEASED)
			imm_mig_release(&m);
		if (at == IMM_PH_ABORTED)
			KUNIT_ASSERT_EQ(test, imm_mig_abort(&m, &e), 0);
		KUNIT_EXPECT_EQ_MSG(test, m.phase, at, "reached");
		KUNIT_EXPECT_EQ_MSG(test, imm_mig_abort(&m, &e),
				    legal ? 0 : -EINVAL, "abort at %u", at);
		if (legal) {
			KUNIT_EXPECT_EQ(test, e.state, (u32)IMM_NORMAL);
			KUNIT_EXPECT_EQ(test, e.gen, 5ULL);
			KUNIT_EXPECT_EQ(test, imm_rmt_check(&e, 1, 0, 5),
					IMM_ACCESS_OK);
		}
	}
}

static void blocked(struct kunit *test)
{
	struct imm_rmt e = { .domain = 2, .state = IMM_BLOCKED };
	struct imm_mig m = {};

	KUNIT_EXPECT_EQ(test, imm_rmt_check(&e, 2, 0, 0), IMM_ACCESS_BLOCKED);
	KUNIT_EXPECT_EQ(test, imm_mig_mark(&m, &e), -EINVAL);
	KUNIT_EXPECT_EQ(test, e.state, (u32)IMM_BLOCKED);
	e.domain = 0;
	e.state = IMM_NORMAL;
	KUNIT_EXPECT_EQ(test, imm_mig_mark(&m, &e), -EINVAL);
	KUNIT_EXPECT_EQ(test, imm_rmt_check(&e, 0, 0, 0), IMM_ACCESS_VIOLATION);
}

static void records(struct kunit *test)
{
	struct iommu_migrate_record r;

	imm_rec_fill(&r, 1, 77, 0x1000 + 13 * IMM_REC_SIZE);
	KUNIT_EXPECT_EQ(test, imm_rec_check(&r, 1, 0x1000, 13, 64), IMM_REC_OK);
	KUNIT_EXPECT_EQ(test, imm_rec_check(&r, 1, 0x1000, 12, 64),
			IMM_REC_MISPLACED);
	r.seq++;
	KUNIT_EXPECT_EQ(test, imm_rec_check(&r, 1, 0x1000, 14, 64), IMM_REC_TORN);
	/* Its writer's check: seq 77 is the last of slot 13 for 78..141 writes. */
	imm_rec_fill(&r, 1, 77, 0x1000 + 13 * IMM_REC_SIZE);
	KUNIT_EXPECT_EQ(test, imm_rec_want(13, 64, 78), 77);
	KUNIT_EXPECT_EQ(test, imm_rec_want(13, 64, 141), 77);
	KUNIT_EXPECT_EQ(test, imm_rec_want(13, 64, 142), 141);
	KUNIT_EXPECT_EQ(test, imm_rec_want(13, 64, 14), 13);
	KUNIT_EXPECT_EQ(test, imm_rec_check_own(&r, 1, 0x1000, 13, 64, 78),
			IMM_REC_OK);
	KUNIT_EXPECT_EQ(test, imm_rec_check_own(&r, 1, 0x1000, 13, 64, 141),
			IMM_REC_OK);
	KUNIT_EXPECT_EQ(test, imm_rec_check_own(&r, 1, 0x1000, 13, 64, 142),
			IMM_REC_STALE);
	KUNIT_EXPECT_EQ(test, imm_rec_check_own(&r, 1, 0x1000, 13, 64, 77),
			IMM_REC_MISPLACED);
	KUNIT_EXPECT_EQ(test, imm_rec_check_own(&r, 1, 0x1000, 13, 64, 13),
			IMM_REC_MISPLACED);
	KUNIT_EXPECT_EQ(test, imm_rec_check_own(&r, 2, 0x1000, 13, 64, 78),
			IMM_REC_MISPLACED);
	memset(&r, 0, sizeof(r));
	KUNIT_EXPECT_EQ(test, imm_rec_check_own(&r, 1, 0x1000, 13, 64, 78),
			IMM_REC_EMPTY);
}

static void model(struct kunit *test)
{
	static struct imm_model m;
	struct rnd_state rs;
	unsigned long i;
	bool good = true;

	prandom_seed_state(&rs, 42);
	imm_model_init(&m);
	for (i = 0; i < 100000 && good; i++) {
		u64 r = (u64)prandom_u32_state(&rs) << 32 | prandom_u32_state(&rs);

		good = imm_model_step(&m, r & 0xff, (r >> 8) & 0xff, r >> 16);
	}
	KUNIT_EXPECT_TRUE_MSG(test, good, "op %lu: %s", i, m.why);
	KUNIT_EXPECT_GT(test, m.legal, 1000UL);
	KUNIT_EXPECT_GT(test, m.illegal, 1000UL);
}

/* The edu hold and drain: its rules, then its memory model. */
static void hold(struct kunit *test)
{
	static struct imm_hold_model m;
	struct imm_hold h;
	struct rnd_state rs;
	unsigned long i;
	bool good = true;

	imm_hold_init(&h);
	KUNIT_EXPECT_EQ(test, imm_hold_issue(&h, 1), 0);
	KUNIT_EXPECT_EQ(test, imm_hold_issue(&h, 2), -EBUSY);
	KUNIT_EXPECT_EQ(test, imm_hold_begin(&h, 1), 0);
	KUNIT_EXPECT_FALSE(test, imm_hold_drained(&h));
	KUNIT_EXPECT_EQ(test, imm_hold_begin(&h, 2), -EBUSY);
	KUNIT_EXPECT_EQ(test, imm_hold_complete(&h), 0);
	KUNIT_EXPECT_TRUE(test, imm_hold_drained(&h));
	KUNIT_EXPECT_EQ(test, imm_hold_complete(&h), -EINVAL);
	KUNIT_EXPECT_EQ(test, imm_hold_issue(&h, 1), -EAGAIN);
	KUNIT_EXPECT_EQ(test, imm_hold_end(&h), 0);
	KUNIT_EXPECT_EQ(test, imm_hold_end(&h), -EINVAL);
	KUNIT_EXPECT_FALSE(test, imm_hold_drained(&h));
	KUNIT_EXPECT_EQ(test, imm_hold_issue(&h, 1), 0);
	KUNIT_EXPECT_EQ(test, imm_hold_issue(&h, IMM_HOLD_NONE), -EINVAL);
	KUNIT_EXPECT_EQ(test, imm_hold_begin(&h, IMM_HOLD_NONE), -EINVAL);

	prandom_seed_state(&rs, 7);
	imm_hold_model_init(&m);
	for (i = 0; i < 100000 && good; i++) {
		u32 r = prandom_u32_state(&rs);

		good = imm_hold_model_step(&m, r & 0xff, (r >> 8) & 0xff);
	}
	KUNIT_EXPECT_TRUE_MSG(test, good, "op %lu: %s", i, m.why);
	KUNIT_EXPECT_GT(test, m.moves, 100UL);
	KUNIT_EXPECT_GT(test, m.waits, 100UL);
}

/* The pre-copy decision in random interleavings (core_model.h). */
static void precopy(struct kunit *test)
{
	u64 state = get_random_u64() | 1;
	unsigned int i, stale = 0, redone = 0;
	bool r;

	KUNIT_EXPECT_TRUE(test, imm_precopy_current(true, false, 1, 2));
	KUNIT_EXPECT_FALSE(test, imm_precopy_current(false, true, 1, 1));
	KUNIT_EXPECT_FALSE(test, imm_precopy_current(true, true, 1, 2));
	for (i = 0; i < 20000; i++) {
		stale += imm_precopy_sim(&state, &r);
		redone += r;
	}
	KUNIT_EXPECT_EQ(test, stale, 0U);
	/* Both outcomes came up. */
	KUNIT_EXPECT_GT(test, redone, 0U);
	KUNIT_EXPECT_LT(test, redone, 20000U);
}

/*
 * A retired entry excuses only a translation of its own domain and IOVA
 * made before its retirement; random cases against the model's rule.
 */
static void retired(struct kunit *test)
{
	struct imm_rmt e = { .domain = 0 };
	struct imm_rmt owned = { .domain = 3, .iova = 0x5000 };
	struct imm_retired ret;
	unsigned long i, stale = 0, refused = 0;
	char why[256] = "";
	bool good = true;
	u64 r;

	imm_retired_set(&ret, &owned, 12);
	KUNIT_EXPECT_EQ(test, imm_rmt_check_retired(&e, &ret, 3, 0x5000, 0, 11),
			IMM_ACCESS_STALE);
	KUNIT_EXPECT_EQ(test, imm_rmt_check_retired(&e, &ret, 3, 0x5000, 0, 12),
			IMM_ACCESS_VIOLATION);
	KUNIT_EXPECT_EQ(test, imm_rmt_check_retired(&e, &ret, 4, 0x5000, 0, 11),
			IMM_ACCESS_VIOLATION);
	KUNIT_EXPECT_EQ(test, imm_rmt_check_retired(&e, &ret, 3, 0x6000, 0, 11),
			IMM_ACCESS_VIOLATION);
	KUNIT_EXPECT_EQ(test, imm_rmt_check_retired(NULL, &ret, 3, 0x5000, 0, 0),
			IMM_ACCESS_VIOLATION);
	for (i = 0; i < 50000 && good; i++) {
		r = get_random_u64();
		good = imm_retired_model_step(why, sizeof(why), r, &stale,
					      &refused);
	}
	KUNIT_EXPECT_TRUE_MSG(test, good, "%s", why);
	KUNIT_EXPECT_GT(test, stale, 0UL);
	KUNIT_EXPECT_GT(test, refused, 0UL);
}

static struct kunit_case imm_core_cases[] = {
	KUNIT_CASE(every_transition),
	KUNIT_CASE(generations),
	KUNIT_CASE(aborts),
	KUNIT_CASE(blocked),
	KUNIT_CASE(records),
	KUNIT_CASE(model),
	KUNIT_CASE(hold),
	KUNIT_CASE(precopy),
	KUNIT_CASE(retired),
	{}
};

static struct kunit_suite imm_core_suite = {
	.name = "iommu_migrate_core",
	.test_cases = imm_core_cases,
};

kunit_test_suites(&imm_core_suite);

MODULE_DESCRIPTION("KUnit tests for the iommu_migrate core and its block step");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
MODULE_IMPORT_NS(PTSEL);
