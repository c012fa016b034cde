// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the maint_cmd core: payload encode and decode with
 * malformed lengths and fields, capability gating, the indication ->
 * action policy table, the repair rule and the background-operation
 * state machine (BUSY, abort, timeout).
 */
#include <kunit/test.h>
#include <linux/module.h>
#include <linux/bitops.h>
#include <linux/slab.h>
#include <linux/string.h>

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
		{ 1, 0, 1, 0, 1, 0, 0, MC_HOST_ALL, 3,
		  MAINT_CMD_ACT_HARD_OFFLINE | MAINT_CMD_ACT_SOFT_PPR |
		  MAINT_CMD_ACT_CLEAR_POISON | MAINT_CMD_ACT_UNPOISON },
		/* ... on a page iommu_migrate maps: DMA blocked, no repair */
		{ 1, 0, 1, 1, 1, 0, 0, MC_HOST_ALL, 3,
		  MAINT_CMD_ACT_BLOCK_DMA | MAINT_CMD_ACT_HARD_OFFLINE },
		/* ... without iommu_migrate: as on any page */
		{ 1, 0, 1, 1, 1, 0, 0, MC_HOST_ALL & ~MC_HOST_EVACUATE, 3,
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

/*
 * A page poisoned, but not by this host: no page action, no clear, no
 * return to service; a repair only when the feature allows memory in
 * use, whatever page_online says. Lost data iommu_migrate maps has its
 * DMA blocked, and nothing else.
 */
static void policy_poisoned_foreign(struct kunit *test)
{
	static const struct {
		bool lost, evac, online, offline_only, auto_repair;
		u32 want;
	} rows[] = {
		/* corrected, needs maintenance: PPR in use, nothing else */
		{ 0, 0, 0, 0, 1, MAINT_CMD_ACT_SOFT_PPR },
		/* ... the feature wants the memory offline: nothing */
		{ 0, 0, 0, 1, 1, 0 },
		/* ... whatever page_online says */
		{ 0, 0, 1, 1, 1, 0 },
		{ 0, 0, 1, 0, 1, MAINT_CMD_ACT_SOFT_PPR },
		/* mapped by iommu_migrate: not evacuated either */
		{ 0, 1, 0, 0, 1, MAINT_CMD_ACT_SOFT_PPR },
		{ 0, 1, 0, 1, 1, 0 },
		/* lost data: no hard offline, no clear */
		{ 1, 0, 0, 0, 1, MAINT_CMD_ACT_SOFT_PPR },
		{ 1, 0, 0, 1, 1, 0 },
		/* ... but devices writing it are fenced off, and only that */
		{ 1, 1, 0, 0, 1, MAINT_CMD_ACT_BLOCK_DMA },
		{ 1, 1, 0, 1, 1, MAINT_CMD_ACT_BLOCK_DMA },
		{ 1, 1, 0, 0, 0, MAINT_CMD_ACT_BLOCK_DMA },
		/* auto_repair off: nothing */
		{ 0, 0, 0, 0, 0, 0 },
		{ 1, 0, 0, 0, 0, 0 },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(rows); i++) {
		struct mc_caps c = { .ops = MC_ALL_OPS, .discovered = true,
				     .host = MC_HOST_ALL, .feats = 3 };
		struct mc_event ev = gm;
		struct mc_policy_in in = {
			.ev = &ev, .page_online = rows[i].online,
			.poisoned_foreign = true, .evac_mapped = rows[i].evac,
			.auto_repair = rows[i].auto_repair, .caps = &c,
		};

		ev.flags = MC_EVF_MAINT_NEEDED;
		ev.descriptor = rows[i].lost ? MC_DESC_UNCORRECTABLE : 0;
		c.mfeat[MC_FEAT_SOFT_PPR].flags = rows[i].offline_only ?
						  MC_MFEAT_OFFLINE_ONLY : 0;
		KUNIT_EXPECT_EQ_MSG(test, mc_policy(&in), rows[i].want, "row %u", i);
	}
}

/*
 * A page this host took offline under an earlier record: offline
 * memory, repaired in place and returned to service; lost data (this
 * record's or the earlier offline's) only after a Clear Poison.
 */
static void policy_offline_ours(struct kunit *test)
{
	static const struct {
		bool lost, needs, offline_lost, auto_repair, offline_only;
		bool noclear, online, evac, foreign, notrep;
		u32 want;
	} rows[] = {
		/* corrected, needs maintenance, soft-offlined earlier */
		{ 0, 1, 0, 1, 0, 0, 0, 0, 0, 0,
		  MAINT_CMD_ACT_SOFT_PPR | MAINT_CMD_ACT_UNPOISON },
		/* uncorrectable now */
		{ 1, 0, 0, 1, 0, 0, 0, 0, 0, 0,
		  MAINT_CMD_ACT_SOFT_PPR | MAINT_CMD_ACT_CLEAR_POISON |
		  MAINT_CMD_ACT_UNPOISON },
		/* corrected now, but hard-offlined earlier: clear first */
		{ 0, 1, 1, 1, 0, 0, 0, 0, 0, 0,
		  MAINT_CMD_ACT_SOFT_PPR | MAINT_CMD_ACT_CLEAR_POISON |
		  MAINT_CMD_ACT_UNPOISON },
		/* ... and no Clear Poison: repaired, kept offline */
		{ 0, 1, 1, 1, 0, 1, 0, 0, 0, 0, MAINT_CMD_ACT_SOFT_PPR },
		{ 1, 1, 0, 1, 0, 1, 0, 0, 0, 0, MAINT_CMD_ACT_SOFT_PPR },
		/* no Clear Poison needed for a corrected error */
		{ 0, 1, 0, 1, 0, 1, 0, 0, 0, 0,
		  MAINT_CMD_ACT_SOFT_PPR | MAINT_CMD_ACT_UNPOISON },
		/* a repair that wants the memory idle: it is */
		{ 0, 1, 0, 1, 1, 0, 0, 0, 0, 0,
		  MAINT_CMD_ACT_SOFT_PPR | MAINT_CMD_ACT_UNPOISON },
		/* page_online and evac_mapped are ignored */
		{ 0, 1, 0, 1, 0, 0, 1, 1, 0, 0,
		  MAINT_CMD_ACT_SOFT_PPR | MAINT_CMD_ACT_UNPOISON },
		{ 1, 0, 0, 1, 0, 0, 1, 1, 0, 0,
		  MAINT_CMD_ACT_SOFT_PPR | MAINT_CMD_ACT_CLEAR_POISON |
		  MAINT_CMD_ACT_UNPOISON },
		/* auto_repair off, not repairable, informational: nothing */
		{ 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
		{ 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0 },
		{ 0, 1, 0, 1, 0, 0, 0, 0, 0, 1, 0 },
		{ 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0 },
		/* poisoned_foreign wins */
		{ 0, 1, 0, 1, 0, 0, 0, 0, 1, 0, MAINT_CMD_ACT_SOFT_PPR },
		{ 1, 1, 1, 1, 0, 0, 0, 0, 1, 0, MAINT_CMD_ACT_SOFT_PPR },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(rows); i++) {
		struct mc_caps c = { .ops = MC_ALL_OPS, .discovered = true,
				     .host = MC_HOST_ALL, .feats = 3 };
		struct mc_event ev = gm;
		struct mc_policy_in in = {
			.ev = &ev, .page_online = rows[i].online,
			.evac_mapped = rows[i].evac, .offline_ours = true,
			.offline_lost = rows[i].offline_lost,
			.poisoned_foreign = rows[i].foreign,
			.auto_repair = rows[i].auto_repair, .caps = &c,
		};

		ev.flags = rows[i].needs ? MC_EVF_MAINT_NEEDED : 0;
		ev.descriptor = rows[i].lost ? MC_DESC_UNCORRECTABLE : 0;
		ev.dpa_flags = rows[i].notrep ? MC_DPAF_NOT_REPAIRABLE : 0;
		if (rows[i].noclear)
			c.ops &= ~(1U << MC_I_CLEAR_POISON);
		c.mfeat[MC_FEAT_SOFT_PPR].flags = rows[i].offline_only ?
						  MC_MFEAT_OFFLINE_ONLY : 0;
		KUNIT_EXPECT_EQ_MSG(test, mc_policy(&in), rows[i].want, "row %u", i);
	}
}

/*
 * What follows a repair, for the policy and the administrator's repair
 * alike: lost data comes back only after a Clear Poison; without one
 * it stays offline.
 */
static void after_repair(struct kunit *test)
{
	static const struct {
		bool held, back, noclear, undiscovered;
		u32 want;
	} rows[] = {
		{ 0, 1, 0, 0, MAINT_CMD_ACT_UNPOISON },
		{ 0, 1, 1, 0, MAINT_CMD_ACT_UNPOISON },
		{ 1, 1, 0, 0, MAINT_CMD_ACT_CLEAR_POISON | MAINT_CMD_ACT_UNPOISON },
		/* lost data, no Clear Poison: kept offline */
		{ 1, 1, 1, 0, 0 },
		/* before discovery Clear Poison is not sent */
		{ 1, 1, 0, 1, 0 },
		/* not the host's to return */
		{ 0, 0, 0, 0, 0 },
		{ 1, 0, 0, 0, MAINT_CMD_ACT_CLEAR_POISON },
		{ 1, 0, 1, 0, 0 },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(rows); i++) {
		struct mc_caps c = { .ops = MC_ALL_OPS, .discovered = !rows[i].undiscovered };

		if (rows[i].noclear)
			c.ops &= ~(1U << MC_I_CLEAR_POISON);
		KUNIT_EXPECT_EQ_MSG(test, mc_after_repair(&c, rows[i].held, rows[i].back),
				    rows[i].want, "row %u", i);
	}
}

/* The administrator's repair: the upstream rule, then OFFLINE_ONLY. */
static void repair_check(struct kunit *test)
{
	struct mc_caps c = { 0 };
	int f;

	c.mfeat[MC_FEAT_HARD_PPR].flags = MC_MFEAT_OFFLINE_ONLY | MC_MFEAT_INDICATE;
	c.mfeat[MC_FEAT_SOFT_PPR].flags = MC_MFEAT_INDICATE;
	KUNIT_EXPECT_TRUE(test, mc_repair_safe_when_in_use(&c, MC_FEAT_SOFT_PPR));
	KUNIT_EXPECT_FALSE(test, mc_repair_safe_when_in_use(&c, MC_FEAT_HARD_PPR));
	KUNIT_EXPECT_FALSE(test, mc_repair_safe_when_in_use(&c, MC_NR_FEATS));
	for (f = MC_FEAT_SOFT_PPR; f <= MC_FEAT_HARD_PPR; f++) {
		bool safe = f == MC_FEAT_SOFT_PPR;

		KUNIT_EXPECT_EQ(test, mc_repair_check(&c, f, false, false), -EPERM);
		KUNIT_EXPECT_EQ(test, mc_repair_check(&c, f, true, false),
				safe ? 0 : -EBUSY);
		KUNIT_EXPECT_EQ(test, mc_repair_check(&c, f, false, true), 0);
		KUNIT_EXPECT_EQ(test, mc_repair_check(&c, f, true, true), 0);
	}
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

/* The host's wait for its background command: wait, done, or abort. */
static void bg_judge(struct kunit *test)
{
	const u16 pm = MC_OP_PERFORM_MAINT;
	struct mc_bg bg = { 0 }, other = { 0 };
	int err = 1;

	KUNIT_ASSERT_EQ(test, mc_bg_start(&bg, pm, 0, 100), 0);
	KUNIT_EXPECT_EQ(test, mc_bg_judge(mc_bg_reg(&bg), pm, false, 50, 80, &err),
			MC_BGV_WAIT);
	KUNIT_EXPECT_EQ(test, err, 0);
	/* At the deadline still in time; past it, overrun. */
	KUNIT_EXPECT_EQ(test, mc_bg_judge(mc_bg_reg(&bg), pm, false, 80, 80, &err),
			MC_BGV_WAIT);
	KUNIT_EXPECT_EQ(test, mc_bg_judge(mc_bg_reg(&bg), pm, false, 81, 80, &err),
			MC_BGV_ABORT);
	KUNIT_EXPECT_EQ(test, err, -ETIMEDOUT);
	/* The device going: aborted at once, long before its time. */
	KUNIT_EXPECT_EQ(test, mc_bg_judge(mc_bg_reg(&bg), pm, true, 1, 80, &err),
			MC_BGV_ABORT);
	KUNIT_EXPECT_EQ(test, err, -ENODEV);
	/* Ended: the answer, even late and with the device going. */
	KUNIT_EXPECT_TRUE(test, mc_bg_tick(&bg, 100));
	KUNIT_EXPECT_EQ(test, mc_bg_judge(mc_bg_reg(&bg), pm, true, 500, 80, &err),
			MC_BGV_DONE);
	KUNIT_EXPECT_EQ(test, err, 0);
	/* Ended by an abort: its return code's errno. */
	KUNIT_ASSERT_EQ(test, mc_bg_start(&bg, pm, 200, 100), 0);
	KUNIT_ASSERT_EQ(test, mc_bg_abort(&bg), 0);
	KUNIT_EXPECT_EQ(test, mc_bg_judge(mc_bg_reg(&bg), pm, false, 210, 300, &err),
			MC_BGV_DONE);
	KUNIT_EXPECT_EQ(test, err, -ECANCELED);
	/* Another command's end, or an idle register, is not ours. */
	KUNIT_ASSERT_EQ(test, mc_bg_start(&other, MC_OP_SCAN_MEDIA, 0, 1), 0);
	KUNIT_EXPECT_TRUE(test, mc_bg_tick(&other, 1));
	KUNIT_EXPECT_EQ(test, mc_bg_judge(mc_bg_reg(&other), pm, false, 5, 10, &err),
			MC_BGV_WAIT);
	KUNIT_EXPECT_EQ(test, mc_bg_judge(mc_bg_reg(&other), pm, false, 11, 10, &err),
			MC_BGV_ABORT);
	KUNIT_EXPECT_EQ(test, err, -ETIMEDOUT);
	KUNIT_EXPECT_EQ(test, mc_bg_judge(0, pm, false, 0, 10, &err), MC_BGV_WAIT);
}

static void identify_codec(struct kunit *test)
{
	struct mc_identify id = { "fw", CAP, 64, 8 }, ib;
	u8 buf[MC_IDENTIFY_LEN + 1];
	int n;

	memcpy(id.fw, "0123456789abcdef", 16);	/* no NUL of its own */
	n = mc_identify_encode(buf, &id);
	KUNIT_ASSERT_EQ(test, n, MC_IDENTIFY_LEN);
	KUNIT_ASSERT_EQ(test, mc_identify_decode(&ib, buf, n), 0);
	KUNIT_EXPECT_EQ(test, ib.capacity, CAP);
	KUNIT_EXPECT_EQ(test, ib.poison_max, 64);
	KUNIT_EXPECT_EQ(test, ib.inject_limit, 8);
	KUNIT_EXPECT_EQ(test, strnlen(ib.fw, sizeof(ib.fw)), 15);
	KUNIT_EXPECT_MEMEQ(test, ib.fw, "0123456789abcde", 15);
	/* malformed lengths */
	KUNIT_EXPECT_EQ(test, mc_identify_decode(&ib, buf, n - 1), -EPROTO);
	KUNIT_EXPECT_EQ(test, mc_identify_decode(&ib, buf, n + 1), -EPROTO);
	KUNIT_EXPECT_EQ(test, mc_identify_decode(&ib, buf, 0), -EPROTO);
	/* malformed fields: reserved, capacity not whole pages, zero sizes */
	buf[28] = 1;
	KUNIT_EXPECT_EQ(test, mc_identify_decode(&ib, buf, n), -EPROTO);
	buf[28] = 0;
	buf[16] = 1;
	KUNIT_EXPECT_EQ(test, mc_identify_decode(&ib, buf, n), -EPROTO);
	id.capacity = 0;
	mc_identify_encode(buf, &id);
	KUNIT_EXPECT_EQ(test, mc_identify_decode(&ib, buf, n), -EPROTO);
	id.capacity = CAP;
	id.poison_max = 0;
	mc_identify_encode(buf, &id);
	KUNIT_EXPECT_EQ(test, mc_identify_decode(&ib, buf, n), -EPROTO);
}

static void cel_codec(struct kunit *test)
{
	u8 *buf = kunit_kzalloc(test, MC_PAYLOAD_MAX + MC_CEL_ENTRY_LEN, GFP_KERNEL);
	u32 mask, log, want = 0x5a5a & MC_ALL_OPS;
	u16 off, length;
	int n;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	/* the Get Log request */
	n = mc_get_log_encode(buf, MC_LOG_CEL, 2 * MC_CEL_ENTRY_LEN, 64);
	KUNIT_ASSERT_EQ(test, n, MC_GET_LOG_IN_LEN);
	KUNIT_ASSERT_EQ(test, mc_get_log_decode_in(buf, n, &log, &off, &length), 0);
	KUNIT_EXPECT_EQ(test, log, MC_LOG_CEL);
	KUNIT_EXPECT_EQ(test, off, 2 * MC_CEL_ENTRY_LEN);
	KUNIT_EXPECT_EQ(test, length, 64);
	KUNIT_EXPECT_EQ(test, mc_get_log_decode_in(buf, n - 1, &log, &off, &length), -EINVAL);
	KUNIT_EXPECT_EQ(test, mc_get_log_decode_in(buf, n + 1, &log, &off, &length), -EINVAL);
	mc_get_log_encode(buf, 1, 0, 64);
	KUNIT_EXPECT_EQ(test, mc_get_log_decode_in(buf, n, &log, &off, &length), -EINVAL);
	mc_get_log_encode(buf, MC_LOG_CEL, 2, 64);
	KUNIT_EXPECT_EQ(test, mc_get_log_decode_in(buf, n, &log, &off, &length), -EINVAL);
	mc_get_log_encode(buf, MC_LOG_CEL, 0, MC_PAYLOAD_MAX + 1);
	KUNIT_EXPECT_EQ(test, mc_get_log_decode_in(buf, n, &log, &off, &length), -EINVAL);
	/* the log itself */
	n = mc_cel_encode(buf, MC_PAYLOAD_MAX, want);
	KUNIT_ASSERT_EQ(test, n, hweight32(want) * MC_CEL_ENTRY_LEN);
	KUNIT_ASSERT_EQ(test, mc_cel_decode(buf, n, &mask), 0);
	KUNIT_EXPECT_EQ(test, mask, want);
	KUNIT_EXPECT_EQ(test, mc_cel_encode(buf, n - 1, want), -ENOSPC);
	/* an opcode the host does not know is skipped */
	buf[0] = 0x34;
	buf[1] = 0x12;
	KUNIT_ASSERT_EQ(test, mc_cel_decode(buf, n, &mask), 0);
	KUNIT_EXPECT_EQ(test, mask, want & ~(want & -want));
	/* malformed lengths: ragged, larger than the payload register */
	mask = 0xdead;
	KUNIT_EXPECT_EQ(test, mc_cel_decode(buf, n - 1, &mask), -EPROTO);
	KUNIT_EXPECT_EQ(test, mc_cel_decode(buf, n + 2, &mask), -EPROTO);
	KUNIT_EXPECT_EQ(test, mc_cel_decode(buf, MC_PAYLOAD_MAX + MC_CEL_ENTRY_LEN, &mask),
			-EPROTO);
	KUNIT_EXPECT_EQ(test, mask, 0xdead);
}

static void supp_feat_codec(struct kunit *test)
{
	u8 *buf = kunit_kzalloc(test, MC_PAYLOAD_MAX, GFP_KERNEL);
	u32 size, mask;
	u16 start, total;
	u8 *e;
	int n;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	/* the request */
	n = mc_supp_feat_in_encode(buf, 256, 1);
	KUNIT_ASSERT_EQ(test, n, MC_SUPP_FEAT_IN_LEN);
	KUNIT_ASSERT_EQ(test, mc_supp_feat_in_decode(buf, n, &size, &start), 0);
	KUNIT_EXPECT_EQ(test, size, 256U);
	KUNIT_EXPECT_EQ(test, start, 1);
	KUNIT_EXPECT_EQ(test, mc_supp_feat_in_decode(buf, n - 1, &size, &start), -EINVAL);
	KUNIT_EXPECT_EQ(test, mc_supp_feat_in_decode(buf, n + 1, &size, &start), -EINVAL);
	buf[6] = 1;
	KUNIT_EXPECT_EQ(test, mc_supp_feat_in_decode(buf, n, &size, &start), -EINVAL);
	mc_supp_feat_in_encode(buf, MC_SUPP_FEAT_HDR - 1, 0);
	KUNIT_EXPECT_EQ(test, mc_supp_feat_in_decode(buf, n, &size, &start), -EINVAL);
	/* the reply: all features, from an index on, cut by the size */
	n = mc_supp_feat_encode(buf, MC_PAYLOAD_MAX, 0xf, 0);
	KUNIT_ASSERT_EQ(test, n, MC_SUPP_FEAT_HDR + 4 * MC_FEAT_ENTRY_LEN);
	KUNIT_ASSERT_EQ(test, mc_supp_feat_decode(buf, n, &mask, &total), 0);
	KUNIT_EXPECT_EQ(test, mask, 0xfU);
	KUNIT_EXPECT_EQ(test, total, 4);
	n = mc_supp_feat_encode(buf, MC_PAYLOAD_MAX, 0xf, 2);
	KUNIT_ASSERT_EQ(test, n, MC_SUPP_FEAT_HDR + 2 * MC_FEAT_ENTRY_LEN);
	KUNIT_ASSERT_EQ(test, mc_supp_feat_decode(buf, n, &mask, &total), 0);
	KUNIT_EXPECT_EQ(test, mask, 0xcU);
	KUNIT_EXPECT_EQ(test, total, 4);
	n = mc_supp_feat_encode(buf, MC_SUPP_FEAT_HDR + MC_FEAT_ENTRY_LEN + 1, 0xb, 0);
	KUNIT_ASSERT_EQ(test, n, MC_SUPP_FEAT_HDR + MC_FEAT_ENTRY_LEN);
	KUNIT_ASSERT_EQ(test, mc_supp_feat_decode(buf, n, &mask, &total), 0);
	KUNIT_EXPECT_EQ(test, mask, 1U);
	KUNIT_EXPECT_EQ(test, total, 3);
	KUNIT_EXPECT_EQ(test, mc_supp_feat_encode(buf, MC_SUPP_FEAT_HDR - 1, 0xf, 0), -ENOSPC);
	/* malformed lengths */
	n = mc_supp_feat_encode(buf, MC_PAYLOAD_MAX, 0xf, 0);
	KUNIT_EXPECT_EQ(test, mc_supp_feat_decode(buf, n - 1, &mask, &total), -EPROTO);
	KUNIT_EXPECT_EQ(test, mc_supp_feat_decode(buf, n + 1, &mask, &total), -EPROTO);
	KUNIT_EXPECT_EQ(test, mc_supp_feat_decode(buf, MC_SUPP_FEAT_HDR - 1, &mask, &total),
			-EPROTO);
	/* malformed fields: more entries than features, reserved bytes */
	buf[2] = 3;
	KUNIT_EXPECT_EQ(test, mc_supp_feat_decode(buf, n, &mask, &total), -EPROTO);
	buf[2] = 4;
	buf[4] = 1;
	KUNIT_EXPECT_EQ(test, mc_supp_feat_decode(buf, n, &mask, &total), -EPROTO);
	buf[4] = 0;
	e = buf + MC_SUPP_FEAT_HDR + MC_FEAT_ENTRY_LEN;
	e[MC_FEAT_ENTRY_LEN - 1] = 1;
	KUNIT_EXPECT_EQ(test, mc_supp_feat_decode(buf, n, &mask, &total), -EPROTO);
	e[MC_FEAT_ENTRY_LEN - 1] = 0;
	/* a known feature of the wrong get or set size */
	e[18]++;
	KUNIT_EXPECT_EQ(test, mc_supp_feat_decode(buf, n, &mask, &total), -EPROTO);
	e[18]--;
	e[20]++;
	KUNIT_EXPECT_EQ(test, mc_supp_feat_decode(buf, n, &mask, &total), -EPROTO);
	e[20]--;
	/* an unknown feature is skipped, its sizes are its own business */
	e[0] ^= 0xff;
	e[18]++;
	KUNIT_ASSERT_EQ(test, mc_supp_feat_decode(buf, n, &mask, &total), 0);
	KUNIT_EXPECT_EQ(test, mask, 0xfU & ~(1U << MC_FEAT_HARD_PPR));
}

static void get_set_feat_codec(struct kunit *test)
{
	u8 in[MC_SET_FEAT_HDR + MC_HOST_CAPS_LEN + 1];
	const u8 caps[MC_HOST_CAPS_LEN] = { 0x1f, 0, 0, 0 };
	enum mc_feature_id f;
	const u8 *data;
	u16 off, cnt;
	int n;

	/* Get Feature */
	n = mc_get_feat_encode(in, MC_FEAT_HARD_PPR, 0, MC_MAINT_FEAT_LEN);
	KUNIT_ASSERT_EQ(test, n, MC_GET_FEAT_IN_LEN);
	KUNIT_ASSERT_EQ(test, mc_get_feat_decode_in(in, n, &f, &off, &cnt), 0);
	KUNIT_EXPECT_EQ(test, f, MC_FEAT_HARD_PPR);
	KUNIT_EXPECT_EQ(test, off, 0);
	KUNIT_EXPECT_EQ(test, cnt, MC_MAINT_FEAT_LEN);
	KUNIT_EXPECT_EQ(test, mc_get_feat_decode_in(in, n - 1, &f, &off, &cnt), -EINVAL);
	KUNIT_EXPECT_EQ(test, mc_get_feat_decode_in(in, n + 1, &f, &off, &cnt), -EINVAL);
	in[20] = 3;	/* selection */
	KUNIT_EXPECT_EQ(test, mc_get_feat_decode_in(in, n, &f, &off, &cnt), -EINVAL);
	mc_get_feat_encode(in, MC_FEAT_HARD_PPR, 0, 0);
	KUNIT_EXPECT_EQ(test, mc_get_feat_decode_in(in, n, &f, &off, &cnt), -EINVAL);
	mc_get_feat_encode(in, MC_FEAT_HARD_PPR, 1, MC_MAINT_FEAT_LEN);
	KUNIT_EXPECT_EQ(test, mc_get_feat_decode_in(in, n, &f, &off, &cnt), -EINVAL);
	mc_get_feat_encode(in, MC_FEAT_HOST_CAPS, 2, 2);
	KUNIT_ASSERT_EQ(test, mc_get_feat_decode_in(in, n, &f, &off, &cnt), 0);
	KUNIT_EXPECT_EQ(test, f, MC_FEAT_HOST_CAPS);
	KUNIT_EXPECT_EQ(test, off, 2);
	in[15] ^= 0xff;	/* unknown UUID */
	KUNIT_EXPECT_EQ(test, mc_get_feat_decode_in(in, n, &f, &off, &cnt), -ENOENT);
	/* Set Feature */
	KUNIT_EXPECT_EQ(test, mc_set_feat_encode(in, MC_SET_FEAT_HDR + 3, MC_FEAT_HOST_CAPS,
						 caps, sizeof(caps)), -ENOSPC);
	n = mc_set_feat_encode(in, sizeof(in), MC_FEAT_HOST_CAPS, caps, sizeof(caps));
	KUNIT_ASSERT_EQ(test, n, MC_SET_FEAT_HDR + MC_HOST_CAPS_LEN);
	KUNIT_ASSERT_EQ(test, mc_set_feat_decode_in(in, n, &f, &data, &cnt), 0);
	KUNIT_EXPECT_EQ(test, f, MC_FEAT_HOST_CAPS);
	KUNIT_EXPECT_EQ(test, cnt, MC_HOST_CAPS_LEN);
	KUNIT_EXPECT_PTR_EQ(test, data, (const u8 *)in + MC_SET_FEAT_HDR);
	KUNIT_EXPECT_MEMEQ(test, data, caps, sizeof(caps));
	/* malformed lengths: header cut, data not the feature's size */
	KUNIT_EXPECT_EQ(test, mc_set_feat_decode_in(in, n - 1, &f, &data, &cnt), -EINVAL);
	KUNIT_EXPECT_EQ(test, mc_set_feat_decode_in(in, n + 1, &f, &data, &cnt), -EINVAL);
	KUNIT_EXPECT_EQ(test, mc_set_feat_decode_in(in, MC_SET_FEAT_HDR - 1, &f, &data, &cnt),
			-EINVAL);
	/* malformed fields: flags, offset, version, reserved */
	in[16] = 1;
	KUNIT_EXPECT_EQ(test, mc_set_feat_decode_in(in, n, &f, &data, &cnt), -EINVAL);
	in[16] = 0;
	in[20] = 1;
	KUNIT_EXPECT_EQ(test, mc_set_feat_decode_in(in, n, &f, &data, &cnt), -EINVAL);
	in[20] = 0;
	in[22] = 2;
	KUNIT_EXPECT_EQ(test, mc_set_feat_decode_in(in, n, &f, &data, &cnt), -EINVAL);
	in[22] = 1;
	in[31] = 1;
	KUNIT_EXPECT_EQ(test, mc_set_feat_decode_in(in, n, &f, &data, &cnt), -EINVAL);
	in[31] = 0;
	in[0] ^= 0xff;
	KUNIT_EXPECT_EQ(test, mc_set_feat_decode_in(in, n, &f, &data, &cnt), -ENOENT);
	/* a PPR feature takes one byte */
	n = mc_set_feat_encode(in, sizeof(in), MC_FEAT_SOFT_PPR, caps, 1);
	KUNIT_ASSERT_EQ(test, mc_set_feat_decode_in(in, n, &f, &data, &cnt), 0);
	KUNIT_EXPECT_EQ(test, f, MC_FEAT_SOFT_PPR);
	KUNIT_EXPECT_EQ(test, cnt, 1);
	KUNIT_EXPECT_EQ(test, mc_set_feat_decode_in(in, n + 1, &f, &data, &cnt), -EINVAL);
}

static void maint_feat_codec(struct kunit *test)
{
	struct mc_maint_feat m = { MC_MAINT_PPR, MC_MAINT_HARD_PPR,
				   MC_MFEAT_OFFLINE_ONLY | MC_MFEAT_INDICATE, 1500 }, mb;
	struct mc_maint_feat spare = { MC_MAINT_SPARING, MC_SPARE_ROW, 0, 40 };
	u8 buf[MC_MAINT_FEAT_LEN + 1];
	int n;

	n = mc_maint_feat_encode(buf, &m);
	KUNIT_ASSERT_EQ(test, n, MC_MAINT_FEAT_LEN);
	KUNIT_ASSERT_EQ(test, mc_maint_feat_decode(&mb, buf, n, MC_FEAT_HARD_PPR), 0);
	KUNIT_EXPECT_EQ(test, mb.op_class, MC_MAINT_PPR);
	KUNIT_EXPECT_EQ(test, mb.op_subclass, MC_MAINT_HARD_PPR);
	KUNIT_EXPECT_EQ(test, mb.flags, m.flags);
	KUNIT_EXPECT_EQ(test, mb.latency_ms, 1500);
	/* the data of another feature */
	KUNIT_EXPECT_EQ(test, mc_maint_feat_decode(&mb, buf, n, MC_FEAT_SOFT_PPR), -EPROTO);
	KUNIT_EXPECT_EQ(test, mc_maint_feat_decode(&mb, buf, n, MC_FEAT_ROW_SPARING), -EPROTO);
	KUNIT_EXPECT_EQ(test, mc_maint_feat_decode(&mb, buf, n, MC_FEAT_HOST_CAPS), -EPROTO);
	KUNIT_EXPECT_EQ(test, mc_maint_feat_decode(&mb, buf, n, MC_NR_FEATS), -EPROTO);
	/* malformed lengths */
	KUNIT_EXPECT_EQ(test, mc_maint_feat_decode(&mb, buf, n - 1, MC_FEAT_HARD_PPR), -EPROTO);
	KUNIT_EXPECT_EQ(test, mc_maint_feat_decode(&mb, buf, n + 1, MC_FEAT_HARD_PPR), -EPROTO);
	/* malformed fields: reserved bytes, unknown flag */
	buf[3] = 1;
	KUNIT_EXPECT_EQ(test, mc_maint_feat_decode(&mb, buf, n, MC_FEAT_HARD_PPR), -EPROTO);
	buf[3] = 0;
	buf[7] = 1;
	KUNIT_EXPECT_EQ(test, mc_maint_feat_decode(&mb, buf, n, MC_FEAT_HARD_PPR), -EPROTO);
	buf[7] = 0;
	buf[2] |= 0x4;
	KUNIT_EXPECT_EQ(test, mc_maint_feat_decode(&mb, buf, n, MC_FEAT_HARD_PPR), -EPROTO);
	n = mc_maint_feat_encode(buf, &spare);
	KUNIT_ASSERT_EQ(test, mc_maint_feat_decode(&mb, buf, n, MC_FEAT_ROW_SPARING), 0);
	KUNIT_EXPECT_EQ(test, mb.op_class, MC_MAINT_SPARING);
	KUNIT_EXPECT_EQ(test, mb.latency_ms, 40);
}

static void clear_events_codec(struct kunit *test)
{
	static const u16 handles[] = { 3, 0x1234, 0xffff };
	u8 in[MC_CLEAR_HDR + 2 * ARRAY_SIZE(handles) + 1];
	u16 back[ARRAY_SIZE(handles)];
	bool all;
	u8 log;
	int n;

	n = mc_clear_encode(in, sizeof(in), MC_LOG_WARN, handles, ARRAY_SIZE(handles));
	KUNIT_ASSERT_EQ(test, n, MC_CLEAR_HDR + 2 * (int)ARRAY_SIZE(handles));
	KUNIT_ASSERT_EQ(test, mc_clear_decode(in, n, &log, &all, back, ARRAY_SIZE(back)),
			(int)ARRAY_SIZE(handles));
	KUNIT_EXPECT_EQ(test, log, MC_LOG_WARN);
	KUNIT_EXPECT_FALSE(test, all);
	KUNIT_EXPECT_MEMEQ(test, back, handles, sizeof(handles));
	KUNIT_EXPECT_EQ(test, mc_clear_encode(in, n - 1, MC_LOG_WARN, handles,
					      ARRAY_SIZE(handles)), -ENOSPC);
	/* malformed lengths, more handles than the caller holds */
	KUNIT_EXPECT_EQ(test, mc_clear_decode(in, n - 1, &log, &all, back, 3), -EINVAL);
	KUNIT_EXPECT_EQ(test, mc_clear_decode(in, n + 1, &log, &all, back, 3), -EINVAL);
	KUNIT_EXPECT_EQ(test, mc_clear_decode(in, MC_CLEAR_HDR - 1, &log, &all, back, 3),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, mc_clear_decode(in, n, &log, &all, back, 2), -EINVAL);
	/* malformed fields: log id, clear-all flag, reserved, all + handles */
	in[0] = MC_NR_LOGS;
	KUNIT_EXPECT_EQ(test, mc_clear_decode(in, n, &log, &all, back, 3), -EINVAL);
	in[0] = MC_LOG_FATAL;
	KUNIT_EXPECT_EQ(test, mc_clear_decode(in, n, &log, &all, back, 3), 3);
	in[1] = 2;
	KUNIT_EXPECT_EQ(test, mc_clear_decode(in, n, &log, &all, back, 3), -EINVAL);
	in[1] = 1;
	KUNIT_EXPECT_EQ(test, mc_clear_decode(in, n, &log, &all, back, 3), -EINVAL);
	in[1] = 0;
	in[5] = 1;
	KUNIT_EXPECT_EQ(test, mc_clear_decode(in, n, &log, &all, back, 3), -EINVAL);
	/* clear all, and neither all nor a handle */
	n = mc_clear_encode(in, sizeof(in), MC_LOG_INFO, NULL, 0);
	KUNIT_ASSERT_EQ(test, n, MC_CLEAR_HDR);
	KUNIT_EXPECT_EQ(test, mc_clear_decode(in, n, &log, &all, back, 3), 0);
	KUNIT_EXPECT_TRUE(test, all);
	KUNIT_EXPECT_EQ(test, log, MC_LOG_INFO);
	in[1] = 0;
	KUNIT_EXPECT_EQ(test, mc_clear_decode(in, n, &log, &all, back, 3), -EINVAL);
}

static void range_codec(struct kunit *test)
{
	u8 in[MC_POISON_IN_LEN + 1];
	u64 dpa, lines;
	int n;

	n = mc_range_encode(in, 0x1000, 4);
	KUNIT_ASSERT_EQ(test, n, MC_POISON_IN_LEN);
	KUNIT_ASSERT_EQ(test, mc_range_decode(in, n, CAP, &dpa, &lines), 0);
	KUNIT_EXPECT_EQ(test, dpa, 0x1000ULL);
	KUNIT_EXPECT_EQ(test, lines, 4ULL);
	/* the last line is inside, one more is not */
	mc_range_encode(in, CAP - MC_LINE, 1);
	KUNIT_EXPECT_EQ(test, mc_range_decode(in, n, CAP, &dpa, &lines), 0);
	mc_range_encode(in, CAP - MC_LINE, 2);
	KUNIT_EXPECT_EQ(test, mc_range_decode(in, n, CAP, &dpa, &lines), -ERANGE);
	mc_range_encode(in, CAP, 1);
	KUNIT_EXPECT_EQ(test, mc_range_decode(in, n, CAP, &dpa, &lines), -ERANGE);
	/* a length that overflows, none, an unaligned start */
	mc_range_encode(in, MC_LINE, ~0ULL);
	KUNIT_EXPECT_EQ(test, mc_range_decode(in, n, CAP, &dpa, &lines), -ERANGE);
	mc_range_encode(in, MC_LINE, 0);
	KUNIT_EXPECT_EQ(test, mc_range_decode(in, n, CAP, &dpa, &lines), -ERANGE);
	mc_range_encode(in, MC_LINE + 1, 1);
	KUNIT_EXPECT_EQ(test, mc_range_decode(in, n, CAP, &dpa, &lines), -ERANGE);
	/* malformed lengths */
	mc_range_encode(in, 0x1000, 4);
	KUNIT_EXPECT_EQ(test, mc_range_decode(in, n - 1, CAP, &dpa, &lines), -EINVAL);
	KUNIT_EXPECT_EQ(test, mc_range_decode(in, n + 1, CAP, &dpa, &lines), -EINVAL);
	KUNIT_EXPECT_EQ(test, mc_range_decode(in, 0, CAP, &dpa, &lines), -EINVAL);
}

/* The reported-address cap: the counter stops at the cap. */
static void count_cap(struct kunit *test)
{
	atomic_t n = ATOMIC_INIT(0);
	int i, won = 0;

	for (i = 0; i < 10; i++)
		won += mc_count_take(&n, 4);
	KUNIT_EXPECT_EQ(test, won, 4);
	KUNIT_EXPECT_EQ(test, atomic_read(&n), 4);
	atomic_dec(&n);
	KUNIT_EXPECT_TRUE(test, mc_count_take(&n, 4));
	KUNIT_EXPECT_FALSE(test, mc_count_take(&n, 4));
}

/* Two devices' media: one page in common is an overlap, a touch is not. */
static void media_overlap(struct kunit *test)
{
	KUNIT_EXPECT_TRUE(test, mc_media_overlap(100, 10, 100, 10));
	KUNIT_EXPECT_TRUE(test, mc_media_overlap(100, 10, 109, 1));
	KUNIT_EXPECT_TRUE(test, mc_media_overlap(109, 1, 100, 10));
	KUNIT_EXPECT_TRUE(test, mc_media_overlap(100, 10, 95, 6));
	KUNIT_EXPECT_TRUE(test, mc_media_overlap(100, 1, 0, ULONG_MAX));
	KUNIT_EXPECT_FALSE(test, mc_media_overlap(100, 10, 110, 10));
	KUNIT_EXPECT_FALSE(test, mc_media_overlap(110, 10, 100, 10));
	KUNIT_EXPECT_FALSE(test, mc_media_overlap(100, 10, 90, 10));
	/* an empty range has no page */
	KUNIT_EXPECT_FALSE(test, mc_media_overlap(100, 0, 100, 10));
	KUNIT_EXPECT_FALSE(test, mc_media_overlap(100, 10, 105, 0));
	/* no wrap at the top */
	KUNIT_EXPECT_FALSE(test, mc_media_overlap(ULONG_MAX - 1, 1, 0, 1));
	KUNIT_EXPECT_TRUE(test, mc_media_overlap(ULONG_MAX - 1, 1, ULONG_MAX - 2, 2));
}

/* Poison list paging goes on after the end of the last record. */
static void poison_next(struct kunit *test)
{
	struct mc_poison_hdr h = { .flags = MC_POISON_MORE, .count = 2 };
	struct mc_poison last = { .dpa = 0x1000, .lines = 8 };
	u64 next = 0;

	KUNIT_EXPECT_EQ(test, mc_poison_next(0, &h, &last, &next), 1);
	KUNIT_EXPECT_EQ(test, next, 0x1000 + 8 * MC_LINE);
	KUNIT_EXPECT_EQ(test, mc_poison_next(0x1200, &h, &last, &next), -EPROTO);
	h.count = 0;
	KUNIT_EXPECT_EQ(test, mc_poison_next(0, &h, &last, &next), -EPROTO);
	h.flags = 0;
	KUNIT_EXPECT_EQ(test, mc_poison_next(0, &h, &last, &next), 0);
}

static struct kunit_case mc_core_cases[] = {
	KUNIT_CASE(event_codec),
	KUNIT_CASE(poison_and_maint_codec),
	KUNIT_CASE(caps_gating),
	KUNIT_CASE(policy_table),
	KUNIT_CASE(policy_poisoned_foreign),
	KUNIT_CASE(policy_offline_ours),
	KUNIT_CASE(after_repair),
	KUNIT_CASE(repair_check),
	KUNIT_CASE(bg_state_machine),
	KUNIT_CASE(bg_judge),
	KUNIT_CASE(identify_codec),
	KUNIT_CASE(cel_codec),
	KUNIT_CASE(supp_feat_codec),
	KUNIT_CASE(get_set_feat_codec),
	KUNIT_CASE(maint_feat_codec),
	KUNIT_CASE(clear_events_codec),
	KUNIT_CASE(range_codec),
	KUNIT_CASE(count_cap),
	KUNIT_CASE(media_overlap),
	KUNIT_CASE(poison_next),
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
