// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the maint_cmd core: payload encode and decode with
 * malformed lengths and fields, capability gating, the indication ->
 * action policy table, the repair rule and the background-operation
 * state machine (BUSY, abort, timeout).
 */
#include <kunit/test.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "maint_cmd_core.h"

#define CAP	(1ULL << 30)

static const struct mc_event gm = {
	.kind = MC_EV_GENERAL_MEDIA, .severity = 1,
	.flags = MC_EVF_MAINT_NEEDED, .handle = 7, .timestamp = 99,
	.maint_class = MC_MAINT_PPR, .dpa = 0x12340, .descriptor = MC_DESC_THRESHOLD,
	.transaction = 5, .channel = 1, .rank = 2,
};

static void event_codec(struct kunit *test)
{
	u8 *buf = kunit_kzalloc(test, MC_PAYLOAD_MAX, GFP_KERNEL);
	struct mc_event ev[2], back[2];
	struct mc_events_hdr h = { .flags = MC_EVENTS_MORE, .count = 2 }, hb;
	int n;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	ev[0] = gm;
	ev[1] = gm;
	ev[1].kind = MC_EV_DRAM;
	ev[1].row = 0xabcdef;
	ev[1].nibble_mask = 0x3;
	n = mc_events_encode(buf, MC_PAYLOAD_MAX, &h, ev);
	KUNIT_ASSERT_EQ(test, n, MC_EVENTS_HDR + 2 * MC_EVENT_LEN);
	KUNIT_EXPECT_EQ(test, mc_events_decode(&hb, back, 2, buf, n, CAP), 0);
	KUNIT_EXPECT_EQ(test, hb.count, 2);
	KUNIT_EXPECT_EQ(test, back[0].dpa, gm.dpa);
	KUNIT_EXPECT_EQ(test, back[0].handle, 7);
	KUNIT_EXPECT_TRUE(test, back[0].flags & MC_EVF_MAINT_NEEDED);
	KUNIT_EXPECT_EQ(test, back[1].row, 0xabcdefU);
	/* malformed lengths */
	KUNIT_EXPECT_EQ(test, mc_events_decode(&hb, back, 2, buf, n - 1, CAP), -EPROTO);
	KUNIT_EXPECT_EQ(test, mc_events_decode(&hb, back, 2, buf, n + 1, CAP), -EPROTO);
	KUNIT_EXPECT_EQ(test, mc_events_decode(&hb, back, 2, buf, 10, CAP), -EPROTO);
	KUNIT_EXPECT_EQ(test, mc_events_decode(&hb, back, 1, buf, n, CAP), -EPROTO);
	/* malformed fields: record length, reserved flags, DPA, type, uuid */
	buf[MC_EVENTS_HDR + 16] = 127;
	KUNIT_EXPECT_EQ(test, mc_events_decode(&hb, back, 2, buf, n, CAP), -EPROTO);
	buf[MC_EVENTS_HDR + 16] = MC_EVENT_LEN;
	buf[MC_EVENTS_HDR + 17] |= 0x40;
	KUNIT_EXPECT_EQ(test, mc_events_decode(&hb, back, 2, buf, n, CAP), -EPROTO);
	buf[MC_EVENTS_HDR + 17] &= ~0x40;
	KUNIT_EXPECT_EQ(test, mc_events_decode(&hb, back, 2, buf, n, gm.dpa), -EPROTO);
	buf[MC_EVENTS_HDR + 57] = 3;
	KUNIT_EXPECT_EQ(test, mc_events_decode(&hb, back, 2, buf, n, CAP), -EPROTO);
	buf[MC_EVENTS_HDR + 57] = 0;
	buf[MC_EVENTS_HDR]++;
	KUNIT_EXPECT_EQ(test, mc_events_decode(&hb, back, 2, buf, n, CAP), -EPROTO);
	buf[MC_EVENTS_HDR]--;
	KUNIT_EXPECT_EQ(test, mc_events_decode(&hb, back, 2, buf, n, CAP), 0);
	/* a count that overruns the payload register */
	buf[20] = MC_EVENTS_MAX + 1;
	KUNIT_EXPECT_EQ(test, mc_events_decode(&hb, back, 2, buf, MC_PAYLOAD_MAX, CAP),
			-EPROTO);
}

static void poison_and_maint_codec(struct kunit *test)
{
	u8 buf[MC_POISON_HDR + 2 * MC_POISON_REC_LEN];
	struct mc_poison rec[2] = {
		{ .dpa = 0x1000, .lines = 1, .source = MC_SRC_INJECTED },
		{ .dpa = CAP - 128, .lines = 2, .source = MC_SRC_INTERNAL },
	}, back[2];
	struct mc_poison_hdr h = { .count = 2 }, hb;
	struct mc_maint m = { MC_MAINT_PPR, MC_MAINT_SOFT_PPR, 0, 0x40, 0 }, mb;
	u8 in[MC_MAINT_IN_LEN];
	u64 dpa;
	int n;

	n = mc_poison_encode(buf, sizeof(buf), &h, rec);
	KUNIT_ASSERT_EQ(test, n, (int)sizeof(buf));
	KUNIT_EXPECT_EQ(test, mc_poison_decode(&hb, back, 2, buf, n, CAP), 0);
	KUNIT_EXPECT_EQ(test, back[1].lines, 2U);
	KUNIT_EXPECT_EQ(test, back[0].source, MC_SRC_INJECTED);
	/* a record that runs past the end of the device */
	KUNIT_EXPECT_EQ(test, mc_poison_decode(&hb, back, 2, buf, n, CAP - 64), -EPROTO);
	KUNIT_EXPECT_EQ(test, mc_poison_decode(&hb, back, 2, buf, n - 16, CAP), -EPROTO);
	buf[MC_POISON_HDR + 8] = 0;	/* zero lines */
	KUNIT_EXPECT_EQ(test, mc_poison_decode(&hb, back, 2, buf, n, CAP), -EPROTO);
	mc_maint_encode(in, &m);
	KUNIT_EXPECT_EQ(test, mc_maint_decode(&mb, in, sizeof(in), CAP), 0);
	KUNIT_EXPECT_EQ(test, mc_maint_decode(&mb, in, sizeof(in) - 1, CAP), -EINVAL);
	in[2] = MC_MAINTF_QUERY << 4;
	KUNIT_EXPECT_EQ(test, mc_maint_decode(&mb, in, sizeof(in), CAP), -EINVAL);
	mc_dpa_encode(in, 0x41);
	KUNIT_EXPECT_EQ(test, mc_dpa_decode(in, MC_INJECT_LEN, MC_INJECT_LEN, CAP, &dpa),
			-ERANGE);
	mc_dpa_encode(in, CAP);
	KUNIT_EXPECT_EQ(test, mc_dpa_decode(in, MC_INJECT_LEN, MC_INJECT_LEN, CAP, &dpa),
			-ERANGE);
	KUNIT_EXPECT_EQ(test, mc_dpa_decode(in, 7, MC_INJECT_LEN, CAP, &dpa), -EINVAL);
}

static void caps_gating(struct kunit *test)
{
	struct mc_caps c = { 0 };
	u8 buf[MC_NR_OPS * MC_CEL_ENTRY_LEN];
	u32 mask;
	int n;

	KUNIT_EXPECT_TRUE(test, mc_caps_allow(&c, MC_OP_IDENTIFY));
	KUNIT_EXPECT_TRUE(test, mc_caps_allow(&c, MC_OP_GET_LOG));
	KUNIT_EXPECT_FALSE(test, mc_caps_allow(&c, MC_OP_PERFORM_MAINT));
	n = mc_cel_encode(buf, sizeof(buf), (1U << MC_I_GET_EVENTS) |
			  (1U << MC_I_CLEAR_EVENTS));
	KUNIT_ASSERT_EQ(test, mc_cel_decode(buf, n, &mask), 0);
	c.ops = mask;
	c.discovered = true;
	KUNIT_EXPECT_TRUE(test, mc_caps_allow(&c, MC_OP_GET_EVENTS));
	KUNIT_EXPECT_FALSE(test, mc_caps_allow(&c, MC_OP_PERFORM_MAINT));
	KUNIT_EXPECT_FALSE(test, mc_caps_allow(&c, MC_OP_IDENTIFY));
	KUNIT_EXPECT_FALSE(test, mc_caps_allow(&c, 0x1234));
	c.ops |= 1U << MC_I_PERFORM_MAINT;
	KUNIT_EXPECT_FALSE(test, mc_caps_can_repair(&c, false));
	c.feats = 1U << MC_FEAT_SOFT_PPR;
	KUNIT_EXPECT_TRUE(test, mc_caps_can_repair(&c, false));
	KUNIT_EXPECT_FALSE(test, mc_caps_can_repair(&c, true));
	KUNIT_EXPECT_FALSE(test, mc_caps_can_spare(&c));
	c.feats |= 1U << MC_FEAT_ROW_SPARING;
	KUNIT_EXPECT_TRUE(test, mc_caps_can_spare(&c));
	c.ops &= ~(1U << MC_I_PERFORM_MAINT);
	KUNIT_EXPECT_FALSE(test, mc_caps_can_spare(&c));
}

/* The policy table, row by row. */
static void policy_table(struct kunit *test)
{
	static const struct {
		bool lost, needs, online, evac, auto_repair, hard, offline_only;
		u32 host, feats;
		u32 want;
	} rows[] = {
		/* informational: logged only */
		{ 0, 0, 1, 0, 1, 0, 0, MC_HOST_ALL, 3, 0 },
		/* corrected, needs maintenance: offline, PPR, back */
		{ 0, 1, 1, 0, 1, 0, 0, MC_HOST_ALL, 3,
		  MAINT_CMD_ACT_SOFT_OFFLINE | MAINT_CMD_ACT_SOFT_PPR |
		  MAINT_CMD_ACT_UNPOISON },
		/* the same, hard mode */
		{ 0, 1, 1, 0, 1, 1, 0, MC_HOST_ALL, 3,
		  MAINT_CMD_ACT_SOFT_OFFLINE | MAINT_CMD_ACT_HARD_PPR |
		  MAINT_CMD_ACT_UNPOISON },
		/* hard mode but the device only has soft PPR: no repair */
		{ 0, 1, 1, 0, 1, 1, 0, MC_HOST_ALL, 1, MAINT_CMD_ACT_SOFT_OFFLINE },
		/* auto_repair off */
		{ 0, 1, 1, 0, 0, 0, 0, MC_HOST_ALL, 3, MAINT_CMD_ACT_SOFT_OFFLINE },
		/* iommu_migrate maps it: evacuate, then repair */
		{ 0, 1, 1, 1, 1, 0, 0, MC_HOST_ALL, 3,
		  MAINT_CMD_ACT_EVACUATE | MAINT_CMD_ACT_SOFT_PPR },
		/* ... and a repair that wants the memory idle */
		{ 0, 1, 1, 1, 1, 0, 1, MC_HOST_ALL, 3,
		  MAINT_CMD_ACT_EVACUATE | MAINT_CMD_ACT_SOFT_OFFLINE |
		  MAINT_CMD_ACT_SOFT_PPR | MAINT_CMD_ACT_UNPOISON },
		/* uncorrectable: hard offline, PPR, clear, back */
		{ 1, 0, 1, 1, 1, 0, 0, MC_HOST_ALL, 3,
		  MAINT_CMD_ACT_HARD_OFFLINE | MAINT_CMD_ACT_SOFT_PPR |
		  MAINT_CMD_ACT_CLEAR_POISON | MAINT_CMD_ACT_UNPOISON },
		/* uncorrectable, no repair */
		{ 1, 1, 1, 0, 0, 0, 0, MC_HOST_ALL, 3, MAINT_CMD_ACT_HARD_OFFLINE },
		/* offline memory: repaired in place */
		{ 0, 1, 0, 0, 1, 0, 0, MC_HOST_ALL, 3, MAINT_CMD_ACT_SOFT_PPR },
		/* the host said it does not soft-offline: the page stays */
		{ 0, 1, 1, 0, 1, 0, 0, MC_HOST_ALL & ~MC_HOST_SOFT_OFFLINE, 3, 0 },
		/* the device asks for row sparing: spared instead of PPR */
		{ 0, 1, 1, 0, 1, 1, 0, MC_HOST_ALL, 0xb,
		  MAINT_CMD_ACT_SOFT_OFFLINE | MAINT_CMD_ACT_SPARE |
		  MAINT_CMD_ACT_UNPOISON },
		/* ... but the host does not spare: PPR after all */
		{ 0, 1, 1, 0, 1, 0, 0, MC_HOST_ALL & ~MC_HOST_SPARING, 0xb,
		  MAINT_CMD_ACT_SOFT_OFFLINE | MAINT_CMD_ACT_SOFT_PPR |
		  MAINT_CMD_ACT_UNPOISON },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(rows); i++) {
		struct mc_caps c = { .ops = MC_ALL_OPS, .discovered = true,
				     .host = rows[i].host, .feats = rows[i].feats };
		struct mc_event ev = gm;
		struct mc_policy_in in = {
			.ev = &ev, .page_online = rows[i].online,
			.evac_mapped = rows[i].evac,
			.auto_repair = rows[i].auto_repair,
			.hard_repair = rows[i].hard, .caps = &c,
		};

		ev.flags = rows[i].needs ? MC_EVF_MAINT_NEEDED : 0;
		ev.descriptor = rows[i].lost ? MC_DESC_UNCORRECTABLE : 0;
		c.mfeat[MC_FEAT_SOFT_PPR].flags = rows[i].offline_only ?
						  MC_MFEAT_OFFLINE_ONLY : 0;
		if (rows[i].feats & (1U << MC_FEAT_ROW_SPARING)) {
			ev.maint_class = MC_MAINT_SPARING;
			ev.maint_subclass = MC_SPARE_ROW;
		}
		KUNIT_EXPECT_EQ_MSG(test, mc_policy(&in), rows[i].want, "row %u", i);
	}
	KUNIT_EXPECT_TRUE(test, mc_repair_allowed(true, false));
	KUNIT_EXPECT_TRUE(test, mc_repair_allowed(false, true));
	KUNIT_EXPECT_FALSE(test, mc_repair_allowed(false, false));
}

static void bg_state_machine(struct kunit *test)
{
	struct mc_bg bg = { 0 };
	u8 buf[MC_BG_STATUS_LEN], pct;
	u16 op, rc;
	bool run;

	KUNIT_EXPECT_EQ(test, mc_bg_abort(&bg), -ENOENT);
	KUNIT_EXPECT_EQ(test, mc_bg_start(&bg, MC_OP_PERFORM_MAINT, 100, 20), 0);
	KUNIT_EXPECT_EQ(test, mc_bg_start(&bg, MC_OP_SCAN_MEDIA, 101, 20), -EBUSY);
	KUNIT_EXPECT_FALSE(test, mc_bg_tick(&bg, 110));
	KUNIT_EXPECT_EQ(test, bg.percent, 50);
	KUNIT_EXPECT_TRUE(test, mc_bg_reg(&bg) & MC_BGREG_RUNNING);
	mc_bg_status_encode(buf, &bg);
	KUNIT_EXPECT_EQ(test, mc_bg_status_decode(buf, sizeof(buf), &op, &pct, &run, &rc), 0);
	KUNIT_EXPECT_TRUE(test, run);
	KUNIT_EXPECT_EQ(test, op, MC_OP_PERFORM_MAINT);
	KUNIT_EXPECT_TRUE(test, mc_bg_tick(&bg, 120));
	KUNIT_EXPECT_EQ(test, MC_BGREG_RC(mc_bg_reg(&bg)), MC_RC_SUCCESS);
	KUNIT_EXPECT_FALSE(test, mc_bg_tick(&bg, 130));
	/* abort */
	KUNIT_EXPECT_EQ(test, mc_bg_start(&bg, MC_OP_SCAN_MEDIA, 200, 1000), 0);
	KUNIT_EXPECT_EQ(test, mc_bg_abort(&bg), 0);
	KUNIT_EXPECT_EQ(test, MC_BGREG_RC(mc_bg_reg(&bg)), MC_RC_ABORTED);
	KUNIT_EXPECT_EQ(test, mc_rc_errno(bg.rc), -ECANCELED);
	KUNIT_EXPECT_FALSE(test, mc_bg_reg(&bg) & MC_BGREG_RUNNING);
	/* timeout, as the host sees it */
	KUNIT_EXPECT_FALSE(test, mc_bg_expired(200, 299, 100));
	KUNIT_EXPECT_TRUE(test, mc_bg_expired(200, 300, 100));
	/* a malformed status: running with no opcode, percent > 100 */
	buf[0] = 1;
	buf[2] = 0;
	buf[3] = 0;
	KUNIT_EXPECT_EQ(test, mc_bg_status_decode(buf, sizeof(buf), &op, &pct, &run, &rc),
			-EPROTO);
	mc_bg_status_encode(buf, &bg);
	buf[1] = 101;
	KUNIT_EXPECT_EQ(test, mc_bg_status_decode(buf, sizeof(buf), &op, &pct, &run, &rc),
			-EPROTO);
	KUNIT_EXPECT_EQ(test, mc_rc_errno(MC_RC_BUSY), -EBUSY);
}

static struct kunit_case mc_core_cases[] = {
	KUNIT_CASE(event_codec),
	KUNIT_CASE(poison_and_maint_codec),
	KUNIT_CASE(caps_gating),
	KUNIT_CASE(policy_table),
	KUNIT_CASE(bg_state_machine),
	{}
};

static struct kunit_suite mc_core_suite = {
	.name = "maint_cmd_core",
	.test_cases = mc_core_cases,
};

kunit_test_suites(&mc_core_suite);

MODULE_DESCRIPTION("KUnit tests for the maint_cmd core");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
