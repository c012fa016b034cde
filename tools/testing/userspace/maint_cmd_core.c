// SPDX-License-Identifier: GPL-2.0
/*
 * The maint_cmd core against models, randomized: payloads round-trip
 * through encode and decode; a truncated, extended or mutated payload
 * decodes to fields inside their bounds or not at all (ASan watches
 * the reads); the policy keeps its rules over every input; the
 * background-operation state machine follows a model through random
 * starts, ticks and aborts. Prints TAP.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "maint_cmd_core.h"

static unsigned int tests, failed;

static void ok(int cond, const char *what)
{
	tests++;
	if (!cond)
		failed++;
	printf("%sok %u - %s\n", cond ? "" : "not ", tests, what);
}

static u64 rnd64(void)
{
	return (u64)random() << 33 ^ (u64)random() << 11 ^ random();
}

#define CAP	(1ULL << 30)

static void random_event(struct mc_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->kind = random() & 1 ? MC_EV_DRAM : MC_EV_GENERAL_MEDIA;
	ev->severity = random() & 3;
	ev->flags = (random() & MC_EVF_VALID) & ~MC_EVF_SEV_MASK;
	ev->handle = random();
	ev->timestamp = rnd64();
	ev->maint_class = random() % 3;
	ev->maint_subclass = ev->maint_class == MC_MAINT_SPARING ? random() % 4 :
			     ev->maint_class ? random() % 2 : 0;
	ev->dpa = (rnd64() % CAP) & ~63ULL;
	ev->dpa_flags = random() & 3;
	ev->descriptor = random() & MC_DESC_VALID;
	ev->type = random() % 3;
	ev->transaction = random() % 7;
	ev->channel = random();
	ev->rank = random();
	if (ev->kind == MC_EV_DRAM) {
		ev->nibble_mask = random() & 0xffffff;
		ev->row = random() & 0xffffff;
	}
}

static bool event_sane(const struct mc_event *ev)
{
	return ev->dpa < CAP && !(ev->dpa % 64) && ev->severity < 4 &&
	       !(ev->flags & ~MC_EVF_VALID) && ev->type < 3 &&
	       ev->transaction < 7 && !(ev->descriptor & ~MC_DESC_VALID) &&
	       ev->maint_class <= 2 && ev->maint_subclass <= 3 &&
	       ev->nibble_mask < (1U << 24) && ev->row < (1U << 24) &&
	       (ev->kind == MC_EV_DRAM || ev->kind == MC_EV_GENERAL_MEDIA);
}

static void codec_events(void)
{
	static u8 buf[MC_PAYLOAD_MAX + 64];
	struct mc_event ev[MC_EVENTS_MAX], back[MC_EVENTS_MAX];
	unsigned int trial, bad_rt = 0, bad_trunc = 0, bad_mut = 0, accepted = 0;

	for (trial = 0; trial < 20000; trial++) {
		struct mc_events_hdr h = { .flags = random() & 3,
					   .overflow = random(),
					   .count = random() % (MC_EVENTS_MAX + 1) };
		struct mc_events_hdr hb;
		unsigned int i, k;
		int n;

		for (i = 0; i < h.count; i++)
			random_event(&ev[i]);
		n = mc_events_encode(buf, MC_PAYLOAD_MAX, &h, ev);
		memset(back, 0, sizeof(back));
		if (n < 0 || mc_events_decode(&hb, back, MC_EVENTS_MAX, buf, n, CAP) ||
		    hb.count != h.count || hb.flags != h.flags ||
		    hb.overflow != h.overflow) {
			bad_rt++;
			continue;
		}
		for (i = 0; i < h.count; i++)
			bad_rt += memcmp(&ev[i], &back[i], sizeof(ev[i])) != 0;
		/* Any other length is refused. */
		k = random() % (n + 64);
		if (k != (unsigned int)n &&
		    !mc_events_decode(&hb, back, MC_EVENTS_MAX, buf, k, CAP))
			bad_trunc++;
		/* A mutated reply is refused or decodes to sane fields. */
		for (k = 0; k < 1 + random() % 4; k++)
			buf[random() % n] ^= 1 << (random() % 8);
		if (!mc_events_decode(&hb, back, MC_EVENTS_MAX, buf, n, CAP)) {
			accepted++;
			for (i = 0; i < hb.count; i++)
				bad_mut += !event_sane(&back[i]);
			bad_mut += hb.count > MC_EVENTS_MAX ||
				   (size_t)n != MC_EVENTS_HDR + hb.count * MC_EVENT_LEN;
		}
	}
	ok(!bad_rt, "event records round-trip");
	ok(!bad_trunc, "event payloads of a wrong length are refused");
	ok(!bad_mut && accepted, "mutated event payloads decode to sane fields or fail");
	/* A device that claims more records than the host's array holds. */
	{
		struct mc_events_hdr h = { .count = 3 }, hb;
		int n;

		random_event(&ev[0]);
		ev[1] = ev[0];
		ev[2] = ev[0];
		n = mc_events_encode(buf, MC_PAYLOAD_MAX, &h, ev);
		ok(mc_events_decode(&hb, back, 2, buf, n, CAP) == -EPROTO,
		   "more records than the host asked for is -EPROTO");
		ok(mc_events_decode(&hb, back, 3, buf, n, ev[0].dpa) == -EPROTO,
		   "a record past the device's capacity is -EPROTO");
	}
}

static void codec_poison(void)
{
	static u8 buf[MC_PAYLOAD_MAX];
	struct mc_poison rec[MC_POISON_MAX], back[MC_POISON_MAX];
	unsigned int trial, bad_rt = 0, bad_mut = 0, accepted = 0;

	for (trial = 0; trial < 20000; trial++) {
		struct mc_poison_hdr h = { .flags = random() & 7,
					   .count = random() % (MC_POISON_MAX + 1) };
		struct mc_poison_hdr hb;
		unsigned int i, k;
		int n;

		h.restart_dpa = (rnd64() % CAP) & ~63ULL;
		for (i = 0; i < h.count; i++) {
			rec[i].dpa = (rnd64() % CAP) & ~63ULL;
			rec[i].lines = 1 + random() % ((CAP - rec[i].dpa) / 64);
			rec[i].source = random() % 4;
		}
		n = mc_poison_encode(buf, sizeof(buf), &h, rec);
		if (n < 0 || mc_poison_decode(&hb, back, MC_POISON_MAX, buf, n, CAP) ||
		    hb.count != h.count || hb.flags != h.flags ||
		    hb.restart_dpa != h.restart_dpa) {
			bad_rt++;
			continue;
		}
		for (i = 0; i < h.count; i++)
			bad_rt += back[i].dpa != rec[i].dpa ||
				  back[i].lines != rec[i].lines ||
				  back[i].source != rec[i].source;
		for (k = 0; k < 1 + random() % 4; k++)
			buf[random() % n] ^= 1 << (random() % 8);
		if (!mc_poison_decode(&hb, back, MC_POISON_MAX, buf, n, CAP)) {
			accepted++;
			for (i = 0; i < hb.count; i++)
				bad_mut += back[i].dpa >= CAP || back[i].dpa % 64 ||
					   !back[i].lines ||
					   back[i].lines > (CAP - back[i].dpa) / 64;
		}
	}
	ok(!bad_rt, "poison lists round-trip");
	ok(!bad_mut && accepted, "mutated poison lists decode to ranges inside the device or fail");
}

static void codec_small(void)
{
	u8 buf[MC_PAYLOAD_MAX];
	struct mc_maint m = { MC_MAINT_PPR, MC_MAINT_HARD_PPR, MC_MAINTF_NIBBLE,
			      4096, 0x123456 }, mb;
	struct mc_identify id = { "fw", 1ULL << 30, 64, 8 }, ib;
	u64 dpa, lines;
	u32 mask;
	u16 total;
	int n;

	n = mc_maint_encode(buf, &m);
	ok(!mc_maint_decode(&mb, buf, n, CAP) && mb.dpa == m.dpa &&
	   mb.nibble_mask == m.nibble_mask && mb.op_subclass == 1,
	   "perform maintenance round-trips");
	ok(mc_maint_decode(&mb, buf, n - 1, CAP) == -EINVAL &&
	   mc_maint_decode(&mb, buf, n + 1, CAP) == -EINVAL,
	   "perform maintenance of a wrong length is -EINVAL");
	ok(mc_maint_decode(&mb, buf, n, 4096) == -ERANGE,
	   "perform maintenance past the capacity is -ERANGE");
	buf[0] = 3;
	ok(mc_maint_decode(&mb, buf, n, CAP) == -EINVAL,
	   "an unknown maintenance class is -EINVAL");
	buf[0] = MC_MAINT_SPARING;
	buf[1] = MC_SPARE_RANK + 1;
	ok(mc_maint_decode(&mb, buf, n, CAP) == -EINVAL,
	   "an unknown sparing subclass is -EINVAL");
	buf[1] = MC_SPARE_ROW;
	ok(!mc_maint_decode(&mb, buf, n, CAP) && mb.op_class == MC_MAINT_SPARING,
	   "row sparing decodes");
	n = mc_identify_encode(buf, &id);
	ok(!mc_identify_decode(&ib, buf, n) && ib.capacity == id.capacity,
	   "identify round-trips");
	ok(mc_identify_decode(&ib, buf, n - 1) == -EPROTO, "short identify is -EPROTO");
	buf[16] = 1;
	ok(mc_identify_decode(&ib, buf, n) == -EPROTO,
	   "a capacity that is not whole pages is -EPROTO");
	n = mc_range_encode(buf, CAP - 64, 2);
	ok(mc_range_decode(buf, n, CAP, &dpa, &lines) == -ERANGE,
	   "a range past the end is -ERANGE");
	n = mc_range_encode(buf, 64, ~0ULL);
	ok(mc_range_decode(buf, n, CAP, &dpa, &lines) == -ERANGE,
	   "a range whose length overflows is -ERANGE");
	n = mc_cel_encode(buf, sizeof(buf), 0x5a5a & MC_ALL_OPS);
	ok(!mc_cel_decode(buf, n, &mask) && mask == (0x5a5a & MC_ALL_OPS),
	   "the command effects log round-trips");
	ok(mc_cel_decode(buf, n - 1, &mask) == -EPROTO, "a ragged CEL is -EPROTO");
	n = mc_supp_feat_encode(buf, sizeof(buf), 13, 0);
	ok(!mc_supp_feat_decode(buf, n, &mask, &total) && mask == 13 && total == 3,
	   "supported features round-trip");
	buf[MC_SUPP_FEAT_HDR + 18]++;
	ok(mc_supp_feat_decode(buf, n, &mask, &total) == -EPROTO,
	   "a known feature with the wrong size is -EPROTO");
}

/*
 * What follows a repair (mc_after_repair(), the rule the policy and the
 * administrator's repair share), over random capabilities: lost data
 * comes back only after a Clear Poison, never without one; a page not
 * taken offline by the host is never returned; a Clear Poison only
 * for lost data, and only when advertised.
 */
static void after_repair_model(void)
{
	unsigned int i, bad = 0, kept = 0, back = 0;

	for (i = 0; i < 4096; i++) {
		struct mc_caps c = { .discovered = i & 4 };
		bool held = i & 1, ours = i & 2, canclear;
		u32 a;

		c.ops = random() & MC_ALL_OPS;
		canclear = mc_caps_allow(&c, MC_OP_CLEAR_POISON);
		a = mc_after_repair(&c, held, ours);
		bad += !!(a & MAINT_CMD_ACT_UNPOISON) != (ours && (!held || canclear));
		bad += !!(a & MAINT_CMD_ACT_CLEAR_POISON) != (held && canclear);
		bad += !!(a & ~(MAINT_CMD_ACT_UNPOISON | MAINT_CMD_ACT_CLEAR_POISON));
		kept += ours && held && !canclear;
		back += ours && held && canclear;
	}
	printf("# after repair: %u lost pages kept offline, %u returned after a clear\n",
	       kept, back);
	ok(!bad && kept && back, "after a repair: lost data returns only after a Clear Poison");
}

/* The policy's rules, over every combination of its inputs. */
/*
 * The administrator's repair over every input: refused (EPERM) unless
 * reported this boot or offline, and refused (EBUSY) on memory in use
 * whenever the repair's feature says offline only.
 */
static void repair_check_model(void)
{
	struct mc_caps c = { 0 };
	unsigned int i, bad = 0;

	for (i = 0; i < 64; i++) {
		bool reported = i & 1, offline = i & 2;
		int f = (i >> 2) & 3, ret;
		bool oo;

		c.mfeat[f].flags = (i >> 4) & 1 ? MC_MFEAT_OFFLINE_ONLY : 0;
		c.mfeat[f].flags |= (i >> 5) & 1 ? MC_MFEAT_INDICATE : 0;
		oo = c.mfeat[f].flags & MC_MFEAT_OFFLINE_ONLY;
		ret = mc_repair_check(&c, f, reported, offline);
		bad += ret != (!reported && !offline ? -EPERM :
			       !offline && oo ? -EBUSY : 0);
		bad += mc_repair_safe_when_in_use(&c, f) == oo;
	}
	ok(!bad, "repair: offline-only features are never run on memory in use");
}

static void policy_rules(void)
{
	unsigned int x, bad = 0, n = 0, repairs = 0, foreign = 0, returns = 0;

	for (x = 0; x < (1U << 24); x++) {
		struct mc_event ev = { 0 };
		struct mc_caps c = { .discovered = true };
		struct mc_policy_in in = { .ev = &ev, .caps = &c };
		bool lost = x & 1, needs = x & 2, canclear, canppr, offline_only;
		bool askspare = x & (1 << 18), canspare, spare, block, online;
		bool ours, held;
		u32 a, page, fix;

		ev.descriptor = lost ? MC_DESC_UNCORRECTABLE : 0;
		ev.flags = needs ? MC_EVF_MAINT_NEEDED : 0;
		in.page_online = x & 4;
		/* the page's state: neither, poisoned by another, or ours */
		in.poisoned_foreign = ((x >> 22) & 3) == 1;
		in.offline_ours = (x >> 23) & 1;
		in.offline_lost = ((x >> 22) & 3) == 3;
		ours = in.offline_ours;
		/* the device may hold poison there: this record's or earlier */
		held = lost || in.offline_lost;
		/* poisoned, not ours, or offline by our hand: not online */
		online = in.page_online && !in.poisoned_foreign && !ours;
		in.evac_mapped = x & 8;
		in.auto_repair = x & 16;
		in.hard_repair = x & 32;
		c.host = (x >> 6) & 15;
		c.ops = MC_ALL_OPS;
		if (x & (1 << 10))
			c.ops &= ~(1U << MC_I_PERFORM_MAINT);
		if (x & (1 << 11))
			c.ops &= ~(1U << MC_I_CLEAR_POISON);
		c.feats = ((x >> 12) & 3) | (x & (1 << 19) ? 1U << MC_FEAT_ROW_SPARING : 0);
		if (x & (1 << 20))
			c.host |= MC_HOST_SPARING;
		c.mfeat[MC_FEAT_SOFT_PPR].flags = x & (1 << 14) ? MC_MFEAT_OFFLINE_ONLY : 0;
		c.mfeat[MC_FEAT_HARD_PPR].flags = x & (1 << 15) ? MC_MFEAT_OFFLINE_ONLY : 0;
		c.mfeat[MC_FEAT_ROW_SPARING].flags = x & (1 << 21) ? MC_MFEAT_OFFLINE_ONLY : 0;
		if (askspare) {
			ev.maint_class = MC_MAINT_SPARING;
			ev.maint_subclass = MC_SPARE_ROW;
		}
		ev.dpa_flags = x & (1 << 16) ? MC_DPAF_NOT_REPAIRABLE : 0;
		if (x & (1 << 17))
			c.discovered = false;
		a = mc_policy(&in);
		n++;
		page = a & (MAINT_CMD_ACT_EVACUATE | MAINT_CMD_ACT_SOFT_OFFLINE |
			    MAINT_CMD_ACT_HARD_OFFLINE);
		canppr = mc_caps_allow(&c, MC_OP_PERFORM_MAINT) &&
			 c.feats & (1U << (in.hard_repair ? MC_FEAT_HARD_PPR : MC_FEAT_SOFT_PPR));
		canclear = mc_caps_allow(&c, MC_OP_CLEAR_POISON);
		canspare = mc_caps_allow(&c, MC_OP_PERFORM_MAINT) &&
			   c.feats & (1U << MC_FEAT_ROW_SPARING);
		spare = askspare && canspare && (c.host & MC_HOST_SPARING);
		offline_only = c.mfeat[spare ? MC_FEAT_ROW_SPARING : in.hard_repair ?
				       MC_FEAT_HARD_PPR : MC_FEAT_SOFT_PPR].flags &
			       MC_MFEAT_OFFLINE_ONLY;
		fix = MAINT_CMD_ACT_SOFT_PPR | MAINT_CMD_ACT_HARD_PPR | MAINT_CMD_ACT_SPARE;
		/* sparing: only when asked and both sides can, never with PPR */
		bad += (a & MAINT_CMD_ACT_SPARE) && !(spare && in.auto_repair);
		bad += (a & MAINT_CMD_ACT_SPARE) &&
		       (a & (MAINT_CMD_ACT_SOFT_PPR | MAINT_CMD_ACT_HARD_PPR));
		bad += spare && (a & (MAINT_CMD_ACT_SOFT_PPR | MAINT_CMD_ACT_HARD_PPR));
		/* informational records are only logged */
		bad += !lost && !needs && a;
		/* nothing the device did not advertise */
		bad += (a & (MAINT_CMD_ACT_SOFT_PPR | MAINT_CMD_ACT_HARD_PPR)) && !canppr;
		bad += (a & MAINT_CMD_ACT_SPARE) && !canspare;
		bad += (a & MAINT_CMD_ACT_CLEAR_POISON) && !canclear;
		/* nothing the host did not say it handles */
		bad += (a & MAINT_CMD_ACT_EVACUATE) && !(c.host & MC_HOST_EVACUATE);
		bad += (a & MAINT_CMD_ACT_SOFT_OFFLINE) && !(c.host & MC_HOST_SOFT_OFFLINE);
		bad += (a & MAINT_CMD_ACT_HARD_OFFLINE) && !(c.host & MC_HOST_HARD_OFFLINE);
		bad += (a & (MAINT_CMD_ACT_SOFT_PPR | MAINT_CMD_ACT_HARD_PPR)) &&
		       !(c.host & MC_HOST_PPR);
		bad += (a & MAINT_CMD_ACT_SPARE) && !(c.host & MC_HOST_SPARING);
		/* the repair mode is the knob's, and only with auto_repair */
		bad += (a & MAINT_CMD_ACT_HARD_PPR) && !(in.auto_repair && in.hard_repair);
		bad += (a & MAINT_CMD_ACT_SOFT_PPR) && !(in.auto_repair && !in.hard_repair);
		bad += (a & fix) && (ev.dpa_flags & MC_DPAF_NOT_REPAIRABLE);
		/* lost data is never copied elsewhere, always hard-offlined */
		bad += lost && (a & (MAINT_CMD_ACT_EVACUATE | MAINT_CMD_ACT_SOFT_OFFLINE));
		bad += lost && online && (c.host & MC_HOST_HARD_OFFLINE) &&
		       !(a & MAINT_CMD_ACT_HARD_OFFLINE);
		/* lost data a domain maps: DMA blocked first, nothing after */
		block = lost && (online || in.poisoned_foreign) && in.evac_mapped &&
			(c.host & MC_HOST_EVACUATE);
		bad += !!(a & MAINT_CMD_ACT_BLOCK_DMA) != block;
		bad += block && (a & ~(MAINT_CMD_ACT_BLOCK_DMA | MAINT_CMD_ACT_HARD_OFFLINE));
		/* no page action on memory that is not online */
		bad += !online && page;
		/* a corrected error needing repair takes the page out */
		bad += !lost && needs && online && in.evac_mapped &&
		       (c.host & MC_HOST_EVACUATE) && !(a & MAINT_CMD_ACT_EVACUATE);
		bad += !lost && needs && online &&
		       !(in.evac_mapped && (c.host & MC_HOST_EVACUATE)) &&
		       (c.host & MC_HOST_SOFT_OFFLINE) && !(a & MAINT_CMD_ACT_SOFT_OFFLINE);
		/* an online page is repaired only once out of service */
		bad += online && (a & fix) && !page;
		bad += online && offline_only && (a & fix) &&
		       !(a & (MAINT_CMD_ACT_SOFT_OFFLINE | MAINT_CMD_ACT_HARD_OFFLINE));
		/*
		 * back in service only after a repair, lost data (now or
		 * when it went offline) after a clear, and only a page
		 * this host took offline, in this action or earlier
		 */
		bad += (a & MAINT_CMD_ACT_UNPOISON) && !(a & fix);
		bad += (a & MAINT_CMD_ACT_UNPOISON) && held &&
		       !(a & MAINT_CMD_ACT_CLEAR_POISON);
		bad += (a & MAINT_CMD_ACT_UNPOISON) && !ours &&
		       !(a & (MAINT_CMD_ACT_SOFT_OFFLINE | MAINT_CMD_ACT_HARD_OFFLINE));
		bad += (a & MAINT_CMD_ACT_CLEAR_POISON) && !held;
		/*
		 * offline by this host's hand under an earlier record: once
		 * repaired, it comes back, after a clear where one is due
		 */
		if (ours && (a & fix)) {
			returns++;
			bad += !(a & MAINT_CMD_ACT_UNPOISON) != (held && !canclear);
		}
		/* the rule the administrator's repair shares, once repaired */
		if (!in.poisoned_foreign && (a & fix))
			bad += (a & (MAINT_CMD_ACT_CLEAR_POISON | MAINT_CMD_ACT_UNPOISON)) !=
			       mc_after_repair(&c, held, ours || (a & (MAINT_CMD_ACT_SOFT_OFFLINE |
							    MAINT_CMD_ACT_HARD_OFFLINE)));
		/* and it is repaired when everything allows it */
		bad += ours && (lost || needs) && in.auto_repair &&
		       !(ev.dpa_flags & MC_DPAF_NOT_REPAIRABLE) &&
		       (spare || (canppr && (c.host & MC_HOST_PPR))) && !(a & fix);
		/*
		 * poisoned, not ours: its owner's. Nothing done to the page
		 * (no offline, evacuation, clear or return) but the DMA
		 * block of lost data a domain maps (above), and a repair
		 * only where the feature allows memory in use.
		 */
		bad += in.poisoned_foreign && (a & ~(fix | MAINT_CMD_ACT_BLOCK_DMA));
		bad += in.poisoned_foreign && offline_only && (a & fix);
		if (in.poisoned_foreign && (lost || needs) && in.auto_repair && !block &&
		    !offline_only && !(ev.dpa_flags & MC_DPAF_NOT_REPAIRABLE) &&
		    (spare || (canppr && (c.host & MC_HOST_PPR)))) {
			foreign++;
			bad += !(a & fix);
		}
		/* and it does repair when everything allows it */
		if (needs && !lost && in.auto_repair &&
		    (spare || (canppr && (c.host & MC_HOST_PPR))) &&
		    (c.host & MC_HOST_SOFT_OFFLINE) &&
		    !in.evac_mapped && !(ev.dpa_flags & MC_DPAF_NOT_REPAIRABLE) &&
		    !(in.poisoned_foreign && offline_only)) {
			repairs++;
			bad += !(a & (spare ? MAINT_CMD_ACT_SPARE :
				      MAINT_CMD_ACT_SOFT_PPR | MAINT_CMD_ACT_HARD_PPR));
			bad += online && !(a & MAINT_CMD_ACT_UNPOISON);
		}
	}
	printf("# policy: %u inputs, %u with a repair expected, %u repairs expected on a page poisoned by another, %u repairs of a page offline by our hand\n",
	       n, repairs, foreign, returns);
	ok(!bad && repairs && foreign && returns, "the policy keeps its rules over every input");
	ok(mc_repair_allowed(true, false) && mc_repair_allowed(false, true) &&
	   !mc_repair_allowed(false, false),
	   "repair: reported this boot, or offline memory");
	repair_check_model();
	after_repair_model();
}

static void caps_gating(void)
{
	struct mc_caps c = { 0 };
	unsigned int i, bad = 0;

	for (i = 0; i < MC_NR_OPS; i++)
		bad += mc_caps_allow(&c, mc_ops[i].opcode) != mc_ops[i].mandatory;
	ok(!bad, "before discovery only Identify and Get Log go out");
	for (i = 0; i < 2000; i++) {
		unsigned int k;

		c.discovered = true;
		c.ops = random() & MC_ALL_OPS;
		for (k = 0; k < MC_NR_OPS; k++)
			bad += mc_caps_allow(&c, mc_ops[k].opcode) != !!(c.ops & (1U << k));
		bad += mc_caps_allow(&c, random() | 0x8000);
	}
	ok(!bad, "after discovery exactly the advertised opcodes go out");
}

/* The background state machine against a model. */
static void bg_model(void)
{
	unsigned int trial, bad = 0, busy = 0, aborts = 0, done = 0;

	for (trial = 0; trial < 200; trial++) {
		struct mc_bg bg = { 0 };
		bool running = false;
		u64 now = 0, end = 0;
		u8 last = 0;
		unsigned int step;

		for (step = 0; step < 500; step++) {
			unsigned int op = random() % 4;
			u8 sbuf[MC_BG_STATUS_LEN], pct;
			u16 opc, rc;
			bool run;

			now += random() % 20;
			if (op == 0) {
				u64 dur = 1 + random() % 100;
				int ret = mc_bg_start(&bg, MC_OP_PERFORM_MAINT, now, dur);

				bad += (ret == -EBUSY) != running;
				busy += ret == -EBUSY;
				if (!ret) {
					running = true;
					end = now + dur;
					last = 0;
				}
			} else if (op == 1) {
				int ret = mc_bg_abort(&bg);

				bad += (ret == 0) != running;
				if (!ret) {
					aborts++;
					bad += bg.rc != MC_RC_ABORTED;
				}
				running = false;
			} else {
				bool fin = mc_bg_tick(&bg, now);

				bad += fin != (running && now >= end);
				if (fin) {
					done++;
					running = false;
					bad += bg.rc != MC_RC_SUCCESS || bg.percent != 100;
				} else if (running) {
					bad += bg.percent < last || bg.percent >= 100;
					last = bg.percent;
				}
			}
			mc_bg_status_encode(sbuf, &bg);
			if (mc_bg_status_decode(sbuf, sizeof(sbuf), &opc, &pct, &run, &rc))
				bad++;
			bad += run != running || !!(mc_bg_reg(&bg) & MC_BGREG_RUNNING) != running;
			bad += MC_BGREG_PERCENT(mc_bg_reg(&bg)) != bg.percent;
			bad += !running && bg.state == MC_BG_DONE &&
			       MC_BGREG_RC(mc_bg_reg(&bg)) != bg.rc;
		}
	}
	printf("# bg: %u busy, %u aborted, %u completed\n", busy, aborts, done);
	ok(!bad && busy && aborts && done,
	   "background operations: BUSY while one runs, abort, completion, progress");
}

/*
 * The host's wait (mc_bg_judge()) against the device's state machine:
 * a command of random length, a random bg_timeout, the device going at
 * a random time, the register read at random times. The host answers
 * with the command's own result once it ended, whatever else holds;
 * never waits past the deadline nor on a going device; aborts only a
 * command that has not ended; and an abort ends the command.
 */
static void bg_judge_model(void)
{
	static const u16 ops[] = { MC_OP_PERFORM_MAINT, MC_OP_SCAN_MEDIA };
	unsigned int trial, bad = 0, n[3] = { 0 }, gone = 0, late = 0;

	for (trial = 0; trial < 20000; trial++) {
		struct mc_bg bg = { 0 };
		u16 op = ops[random() % 2];
		u64 t0 = random() % 1000, dur = 1 + random() % 200;
		u64 deadline = t0 + random() % 300, die = t0 + random() % 600;
		u64 now = t0;
		enum mc_bg_verdict v;
		int err, want;

		/* Now and then the register still shows an earlier command. */
		if (random() % 4 == 0) {
			mc_bg_start(&bg, ops[random() % 2], 0, 1);
			mc_bg_tick(&bg, 1);
		}
		bad += mc_bg_start(&bg, op, t0, dur) != 0;
		for (;;) {
			bool dead = now >= die, ended;

			mc_bg_tick(&bg, now);
			ended = bg.state == MC_BG_DONE;
			v = mc_bg_judge(mc_bg_reg(&bg), op, dead, now, deadline, &err);
			if (ended) {
				want = mc_rc_errno(bg.rc);
				bad += v != MC_BGV_DONE || err != want;
			} else if (dead) {
				bad += v != MC_BGV_ABORT || err != -ENODEV;
			} else if (now > deadline) {
				bad += v != MC_BGV_ABORT || err != -ETIMEDOUT;
			} else {
				bad += v != MC_BGV_WAIT || err;
			}
			if (v != MC_BGV_WAIT)
				break;
			now += 1 + random() % 20;
		}
		n[v]++;
		gone += v == MC_BGV_ABORT && err == -ENODEV;
		late += v == MC_BGV_ABORT && err == -ETIMEDOUT;
		if (v == MC_BGV_ABORT) {
			/* The host's abort ends it; the next look says so. */
			bad += mc_bg_abort(&bg) != 0;
			v = mc_bg_judge(mc_bg_reg(&bg), op, true, now, deadline, &err);
			bad += v != MC_BGV_DONE || err != -ECANCELED;
		}
	}
	printf("# judge: %u done, %u aborted (%u device gone, %u overran)\n",
	       n[MC_BGV_DONE], n[MC_BGV_ABORT], gone, late);
	ok(!bad && n[MC_BGV_DONE] && gone && late,
	   "background wait: its own result once ended, abort when gone or overrun, never late");
}

/*
 * Poison list paging against a device model whose list is several pages
 * long, with records of many lines and pages cut at random sizes: the
 * host pages through with mc_poison_next() and sees every record once.
 * A page garbled in transit stops the pass with a strict prefix of the
 * list reported, no record twice; the next pass sees the whole list.
 */
#define PL_NR		300

static struct mc_poison pl[PL_NR];

/* The device: records of [from, CAP) at most @max of them, as a reply. */
static int pl_page(u64 from, unsigned int max, u8 *out)
{
	struct mc_poison rec[MC_POISON_MAX];
	struct mc_poison_hdr h = { 0 };
	unsigned int i;

	for (i = 0; i < PL_NR; i++) {
		if (pl[i].dpa + (u64)pl[i].lines * 64 <= from)
			continue;
		if (h.count == max) {
			h.flags |= MC_POISON_MORE;
			break;
		}
		rec[h.count++] = pl[i];
	}
	return mc_poison_encode(out, MC_PAYLOAD_MAX, &h, rec);
}

/* One pass; seen[] counts each record; whether it completed. */
static int pl_pass(unsigned int *seen, int garble_round, unsigned int *rounds)
{
	static u8 buf[MC_PAYLOAD_MAX];
	struct mc_poison rec[MC_POISON_MAX];
	struct mc_poison_hdr h;
	u64 from = 0;
	int n, r, round, i, j;

	for (round = 0; round < 1024; round++) {
		n = pl_page(from, 1 + random() % MC_POISON_MAX, buf);
		if (round == garble_round)
			buf[0] |= 0x80;		/* an unknown flag */
		if (n < 0 || mc_poison_decode(&h, rec, MC_POISON_MAX, buf, n, CAP))
			return -EPROTO;
		for (i = 0; i < h.count; i++)
			for (j = 0; j < PL_NR; j++)
				seen[j] += pl[j].dpa == rec[i].dpa;
		r = mc_poison_next(from, &h, h.count ? &rec[h.count - 1] : NULL, &from);
		*rounds = round + 1;
		if (r <= 0)
			return r;
	}
	return -ELOOP;
}

static void poison_paging(void)
{
	unsigned int seen[PL_NR], trial, i, rounds = 0, bad = 0, multi = 0;
	unsigned int failed_ok = 0, max_rounds = 0;
	struct mc_poison_hdr h = { .flags = MC_POISON_MORE, .count = 1 };
	struct mc_poison last = { .dpa = 4096, .lines = 1 };
	u64 next = 0;
	int ret;

	for (trial = 0; trial < 200; trial++) {
		u64 dpa = 0;

		for (i = 0; i < PL_NR; i++) {
			dpa += 64 * (random() % 4);
			pl[i].dpa = dpa;
			pl[i].lines = 1 + (random() % 4 ? 0 : random() % 16);
			pl[i].source = random() % 4;
			dpa += 64ULL * pl[i].lines;
			multi += pl[i].lines > 1;
		}
		memset(seen, 0, sizeof(seen));
		ret = pl_pass(seen, -1, &rounds);
		max_rounds = rounds > max_rounds ? rounds : max_rounds;
		for (i = 0; i < PL_NR; i++)
			bad += seen[i] != 1;
		bad += ret != 0;
		/* A pass broken by a garbled page, then a full one. */
		memset(seen, 0, sizeof(seen));
		ret = pl_pass(seen, 1 + random() % 3, &rounds);
		if (ret == -EPROTO) {
			unsigned int k = 0;

			while (k < PL_NR && seen[k] == 1)
				k++;
			for (i = k; i < PL_NR; i++)
				bad += seen[i] != 0;
			bad += k == PL_NR;
			failed_ok++;
		}
		memset(seen, 0, sizeof(seen));
		bad += pl_pass(seen, -1, &rounds) != 0;
		for (i = 0; i < PL_NR; i++)
			bad += seen[i] != 1;
	}
	printf("# paging: %u multi-line records, up to %u pages a pass, %u broken passes\n",
	       multi, max_rounds, failed_ok);
	ok(!bad && multi && max_rounds > 2 && failed_ok,
	   "poison list paging: every record once, a broken pass a prefix, the next whole");
	h.count = 0;
	ok(mc_poison_next(0, &h, &last, &next) == -EPROTO,
	   "poison list paging: More Records with no record is -EPROTO");
	h.count = 1;
	ok(mc_poison_next(8192, &h, &last, &next) == -EPROTO,
	   "poison list paging: a page that does not advance is -EPROTO");
}

/*
 * The cap on remembered addresses: threads race to take slots of a small
 * cap many times over; the counter ends at the cap exactly, never above,
 * and exactly the cap's worth of takes succeeded.
 */
#define CAP_SLOTS	64
#define CAP_TRIES	20000

static atomic_t cap_n;
static atomic_long_t cap_won;
static int cap_over;

static void *cap_taker(void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < CAP_TRIES; i++) {
		if (mc_count_take(&cap_n, CAP_SLOTS))
			atomic_long_inc(&cap_won);
		if (atomic_read(&cap_n) > CAP_SLOTS)
			__atomic_store_n(&cap_over, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void count_cap(void)
{
	pthread_t t[4];
	int i, n;

	for (i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, cap_taker, NULL);
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	n = atomic_read(&cap_n);
	printf("# cap: counter %d, %ld taken, cap %d\n", n,
	       atomic_long_read(&cap_won), CAP_SLOTS);
	ok(n == CAP_SLOTS && atomic_long_read(&cap_won) == CAP_SLOTS && !cap_over,
	   "reported-address cap: the counter stops at the cap under racing takers");
	atomic_dec(&cap_n);
	ok(mc_count_take(&cap_n, CAP_SLOTS) && !mc_count_take(&cap_n, CAP_SLOTS),
	   "reported-address cap: a slot given back is taken once");
}

/*
 * Two devices' media against a page-by-page model: they overlap when
 * some page is in both. Small ranges near 0 and near the top of the
 * pfn space.
 */
static void media_overlap_model(void)
{
	unsigned int i, bad = 0, hits = 0;

	for (i = 0; i < 200000; i++) {
		unsigned long base = i & 1 ? ULONG_MAX - 64 : 0;
		unsigned long a = base + random() % 48, na = random() % 17;
		unsigned long b = base + random() % 48, nb = random() % 17;
		unsigned long p;
		bool want = false;

		for (p = a; p - a < na; p++)
			want |= p - b < nb;
		hits += want;
		bad += mc_media_overlap(a, na, b, nb) != want;
		bad += mc_media_overlap(b, nb, a, na) != want;
	}
	printf("# media: %u of 200000 pairs overlap\n", hits);
	ok(!bad && hits, "media overlap: some page in both, and only then");
}

int main(void)
{
	printf("TAP version 13\n");
	srandom(14);
	codec_events();
	codec_poison();
	codec_small();
	policy_rules();
	caps_gating();
	bg_model();
	bg_judge_model();
	count_cap();
	media_overlap_model();
	poison_paging();
	printf("1..%u\n", tests);
	return failed ? 1 : 0;
}
