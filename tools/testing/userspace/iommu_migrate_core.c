// SPDX-License-Identifier: GPL-2.0
/*
 * The iommu_migrate core against its reference model
 * (iommu_migrate/core_model.h): random operations, legal and illegal, on
 * the state machine, the PME protocol and the RMT check; then fixed
 * checks of every illegal transition and of the DMA records; the edu
 * hold and drain against its memory model, and its rules. Prints TAP;
 * -s SEED runs one seed again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core_model.h"

static unsigned int tests, failed;

static void ok(bool cond, const char *what)
{
	tests++;
	failed += !cond;
	printf("%sok %u - %s\n", cond ? "" : "not ", tests, what);
}

static u64 rng;

static u64 rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/*
 * @nops random steps of a model (@step on @m, its reason in @why); the
 * test passes if no step disagrees and @enough says the run covered
 * enough; @what names it, after the seed.
 */
static void run_model(u64 seed, unsigned long nops, void *m, const char *why,
		      bool (*step)(void *m, u64 r), bool (*enough)(void *m, char *what,
								   size_t len))
{
	char what[160];
	unsigned long i;
	bool good = true;
	int n;

	rng = seed * 2 + 1;
	for (i = 0; i < nops && good; i++)
		good = step(m, rnd());
	if (!good)
		printf("# seed %llu op %lu: %s\n", (unsigned long long)seed,
		       i, why);
	n = snprintf(what, sizeof(what), "seed %llu, ", (unsigned long long)seed);
	ok(enough(m, what + n, sizeof(what) - n) && good, what);
}

static bool core_step(void *p, u64 r)
{
	return imm_model_step(p, r & 0xff, (r >> 8) & 0xff, r >> 16);
}

static bool core_enough(void *p, char *what, size_t len)
{
	struct imm_model *m = p;

	snprintf(what, len, "model run (%lu legal, %lu illegal)", m->legal,
		 m->illegal);
	return m->legal > 1000 && m->illegal > 1000;
}

static void random_run(u64 seed, unsigned long nops)
{
	static struct imm_model m;

	imm_model_init(&m);
	run_model(seed, nops, &m, m.why, core_step, core_enough);
}

/* The edu hold and drain against its memory model (core_model.h). */
static bool hold_step(void *p, u64 r)
{
	return imm_hold_model_step(p, r & 0xff, (r >> 8) & 0xff);
}

static bool hold_enough(void *p, char *what, size_t len)
{
	struct imm_hold_model *m = p;

	snprintf(what, len,
		 "hold model run (%lu legal, %lu illegal, %lu moves, %lu held issues)",
		 m->legal, m->illegal, m->moves, m->waits);
	return m->moves > 100 && m->waits > 100 && m->illegal > 1000;
}

static void hold_run(u64 seed, unsigned long nops)
{
	static struct imm_hold_model m;

	imm_hold_model_init(&m);
	run_model(seed, nops, &m, m.why, hold_step, hold_enough);
}

/* The hold's rules, one case each. */
static void hold_rules(void)
{
	struct imm_hold h;

	imm_hold_init(&h);
	ok(!imm_hold_issue(&h, 1) && imm_hold_issue(&h, 2) == -EBUSY,
	   "one command at a time");
	ok(!imm_hold_begin(&h, 1) && !imm_hold_drained(&h),
	   "a page with a command in flight is not drained");
	ok(imm_hold_begin(&h, 2) == -EBUSY, "one held page at a time");
	ok(!imm_hold_complete(&h) && imm_hold_drained(&h) &&
	   imm_hold_complete(&h) == -EINVAL, "completion drains it, once");
	ok(imm_hold_issue(&h, 1) == -EAGAIN && !imm_hold_issue(&h, 0) &&
	   imm_hold_drained(&h), "the held page takes no command, others do");
	ok(!imm_hold_complete(&h) && !imm_hold_end(&h) &&
	   imm_hold_end(&h) == -EINVAL && !imm_hold_drained(&h),
	   "the hold ends once; nothing held is not drained");
	ok(!imm_hold_issue(&h, 1) && imm_hold_issue(&h, IMM_HOLD_NONE) == -EINVAL &&
	   imm_hold_begin(&h, IMM_HOLD_NONE) == -EINVAL,
	   "after it the page takes commands; IMM_HOLD_NONE is no page");
}

/* Every (state, event) pair: only the four listed transitions pass. */
static void transitions(void)
{
	unsigned int s, e, legal = 0, bad = 0;

	for (s = 0; s <= IMM_NR_STATES; s++)
		for (e = 0; e <= IMM_NR_EVENTS; e++) {
			int r = imm_state_next(s, e);

			legal += r >= 0;
			bad += r != imm_model_next(s, e);
		}
	ok(legal == 5 && !bad, "exactly the five legal state changes pass");
}

static void protocol_order(void)
{
	struct imm_rmt e = { .domain = 3, .iova = 0x5000, .gen = 7 };
	struct imm_rmt n = {}, saved;
	struct imm_mig mg = {};

	ok(imm_mig_drained(&mg) == -EINVAL && imm_mig_copied(&mg) == -EINVAL &&
	   imm_mig_release(&mg) == -EINVAL && imm_mig_abort(&mg, &e) == -EINVAL &&
	   imm_mig_switch(&mg, &e, &n, 8) == -EINVAL && mg.phase == IMM_PH_IDLE,
	   "an idle migration refuses every step but the first");
	ok(!imm_mig_mark(&mg, &e) && e.state == IMM_MIGRATING &&
	   imm_mig_mark(&mg, &e) == -EINVAL, "mark once");
	ok(imm_mig_copied(&mg) == -EINVAL && !imm_mig_drained(&mg) &&
	   !imm_mig_copied(&mg), "drain before copy");
	saved = e;
	{
		struct imm_rmt other = { .domain = 4, .iova = 0x5000,
					 .state = IMM_MIGRATING }, o2 = other;
		struct imm_mig m2 = mg;

		ok(imm_mig_switch_check(&mg, &e, &other) == -EINVAL &&
		   !memcmp(&o2, &other, sizeof(o2)) && !memcmp(&saved, &e, sizeof(e)) &&
		   !memcmp(&m2, &mg, sizeof(mg)),
		   "the check before the PTE exchange refuses a new entry owned by another, changing nothing");
		ok(!imm_mig_switch_check(&mg, &e, &n) && !memcmp(&saved, &e, sizeof(e)) &&
		   !n.domain && !memcmp(&m2, &mg, sizeof(mg)),
		   "and passes a free one, changing nothing");
	}
	ok(imm_mig_switch(&mg, &e, &n, 7) == -EINVAL &&
	   !memcmp(&saved, &e, sizeof(e)), "a switch without a newer generation is refused");
	ok(!imm_mig_switch(&mg, &e, &n, 9) && n.gen == 9 && n.domain == 3 &&
	   n.state == IMM_NORMAL && !e.domain, "switch moves the owner to the new page");
	ok(imm_mig_abort(&mg, &n) == -EINVAL, "no abort after the switch");
	ok(imm_rmt_check(&e, 3, 0x5000, 9) == IMM_ACCESS_VIOLATION,
	   "an access through the old page is a violation");
	ok(imm_rmt_check(&n, 3, 0x5000, 8) == IMM_ACCESS_STALE &&
	   imm_rmt_check(&n, 3, 0x5000, 9) == IMM_ACCESS_OK,
	   "a translation older than the switch must be refreshed");
	ok(!imm_mig_release(&mg) && imm_mig_release(&mg) == -EINVAL, "release once");
}

static void abort_paths(void)
{
	unsigned int at;

	for (at = IMM_PH_MARKED; at <= IMM_PH_COPIED; at++) {
		struct imm_rmt e = { .domain = 1, .iova = 0, .gen = 4 };
		struct imm_mig mg = {};
		char what[64];

		imm_mig_mark(&mg, &e);
		if (at >= IMM_PH_DRAINED)
			imm_mig_drained(&mg);
		if (at >= IMM_PH_COPIED)
			imm_mig_copied(&mg);
		snprintf(what, sizeof(what), "abort from phase %u keeps the page", at);
		ok(!imm_mig_abort(&mg, &e) && e.state == IMM_NORMAL && e.gen == 4 &&
		   e.domain == 1 && imm_mig_abort(&mg, &e) == -EINVAL &&
		   imm_rmt_check(&e, 1, 0, 4) == IMM_ACCESS_OK, what);
	}
}

static void records(void)
{
	struct iommu_migrate_record r, z = {};
	u64 base = 0x10000, slots = 64;

	imm_rec_fill(&r, 2, 130, base + 2 * IMM_REC_SIZE);
	ok(imm_rec_check(&r, 2, base, 2, slots) == IMM_REC_OK, "a record checks");
	ok(imm_rec_check(&z, 2, base, 2, slots) == IMM_REC_EMPTY, "zero is empty");
	ok(imm_rec_check(&r, 3, base, 2, slots) == IMM_REC_MISPLACED,
	   "another engine's record is misplaced");
	ok(imm_rec_check(&r, 2, base, 3, slots) == IMM_REC_MISPLACED,
	   "a record in the wrong slot is misplaced");
	r.data[1] ^= 1;
	ok(imm_rec_check(&r, 2, base, 2, slots) == IMM_REC_TORN, "a flipped bit is torn");
	imm_rec_fill(&r, 2, 130, base + 2 * IMM_REC_SIZE);
	imm_rec_fill(&z, 2, 66, base + 2 * IMM_REC_SIZE);
	memcpy(&r, &z, 32);	/* half of one record, half of another */
	ok(imm_rec_check(&r, 2, base, 2, slots) == IMM_REC_TORN, "a mix is torn");
	imm_rec_fill(&r, 2, 130, base + 2 * IMM_REC_SIZE);
	ok(imm_rec_check_own(&r, 2, base, 2, slots, 131) == IMM_REC_OK &&
	   imm_rec_check_own(&r, 2, base, 2, slots, 194) == IMM_REC_OK,
	   "its writer finds the last record of the slot");
	ok(imm_rec_check_own(&r, 2, base, 2, slots, 195) == IMM_REC_STALE,
	   "an older record than the last written is stale");
	ok(imm_rec_check_own(&r, 2, base, 2, slots, 130) == IMM_REC_MISPLACED,
	   "a record not written yet is misplaced");
	memset(&z, 0, sizeof(z));
	ok(imm_rec_check_own(&z, 2, base, 2, slots, 3) == IMM_REC_EMPTY,
	   "a written slot that is zero is empty");
}

/*
 * A single writer of random window size writes a random number of
 * records into a model window; a random subset of writes is lost (the
 * slot keeps what it had). The writer's check must call each slot
 * exactly what the model says: OK if its last write landed, STALE if
 * an older one of its records is there, EMPTY if none did.
 */
static void records_model(void)
{
	static struct iommu_migrate_record win[257];
	static u64 last[257];
	unsigned int round, bad = 0, stale = 0;
	u64 base = 0x40000;

	srand(13);
	for (round = 0; round < 200; round++) {
		u64 slots = 1 + rand() % 257, writes = 1 + rand() % 2000, n, s;

		memset(win, 0, sizeof(win));
		for (s = 0; s < slots; s++)
			last[s] = ~0ULL;
		for (n = 0; n < writes; n++) {
			if (rand() % 10 == 0)
				continue;	/* lost */
			imm_rec_fill(&win[n % slots], 2, n,
				     base + n % slots * IMM_REC_SIZE);
			last[n % slots] = n;
		}
		for (s = 0; s < slots && s < writes; s++) {
			enum imm_rec_verdict v = imm_rec_check_own(&win[s], 2,
						base, s, slots, writes);
			enum imm_rec_verdict want = last[s] == ~0ULL ? IMM_REC_EMPTY :
				last[s] == imm_rec_want(s, slots, writes) ?
				IMM_REC_OK : IMM_REC_STALE;

			bad += v != want;
			stale += v == IMM_REC_STALE;
		}
	}
	ok(!bad && stale, "a writer's check finds exactly the lost last writes");
}

/*
 * A retired entry excuses only a translation of its own domain and
 * IOVA made before its retirement (S2 of the review: no global "any
 * move anywhere" excuse).
 */
static void retired_rules(void)
{
	struct imm_rmt e = { .domain = 3, .iova = 0x5000, .gen = 7 };
	struct imm_rmt n = { .domain = 3, .iova = 0x5000,
			     .state = IMM_MIGRATING };
	struct imm_retired ret = {};
	struct imm_mig mg = {};

	imm_mig_mark(&mg, &e);
	imm_mig_drained(&mg);
	imm_mig_copied(&mg);
	imm_retired_set(&ret, &e, 0);
	ret.seq = 12;
	ok(!imm_mig_switch(&mg, &e, &n, 9) && !e.domain && ret.domain == 3 &&
	   ret.iova == 0x5000, "a switch leaves the old entry unowned, its record says whose it was");
	ok(imm_rmt_check_retired(&e, &ret, 3, 0x5000, 7, 11) == IMM_ACCESS_STALE,
	   "a translation of that page from before the retirement is stale");
	ok(imm_rmt_check_retired(&e, &ret, 3, 0x5000, 7, 12) == IMM_ACCESS_VIOLATION,
	   "one made after the retirement is a violation (a missed IOTLB invalidation)");
	ok(imm_rmt_check_retired(&e, &ret, 4, 0x5000, 7, 11) == IMM_ACCESS_VIOLATION &&
	   imm_rmt_check_retired(&e, &ret, 3, 0x6000, 7, 11) == IMM_ACCESS_VIOLATION,
	   "another domain or IOVA on the retired frame is a violation");
	ok(imm_rmt_check_retired(NULL, &ret, 3, 0x5000, 7, 0) == IMM_ACCESS_VIOLATION,
	   "a frame with no entry is a violation, whatever moved");
	ok(imm_rmt_check_retired(&n, &ret, 3, 0x5000, 9, 0) == IMM_ACCESS_OK &&
	   imm_rmt_check_retired(&n, &ret, 4, 0x5000, 9, 0) == IMM_ACCESS_VIOLATION,
	   "an owned entry is checked as before");
}

/* Random entries, retire records and accesses (core_model.h). */
static void retired_run(u64 seed)
{
	unsigned long i, stale = 0, refused = 0;
	char why[256] = "", what[320];
	bool good = true;

	rng = seed * 2 + 1;
	for (i = 0; i < 200000 && good; i++)
		good = imm_retired_model_step(why, sizeof(why), rnd(), &stale,
					      &refused);
	snprintf(what, sizeof(what),
		 "seed %llu, retired-entry verdicts (%lu stale, %lu violations)%s%s",
		 (unsigned long long)seed, stale, refused, good ? "" : ": ", why);
	ok(good && stale > 100 && refused > 100, what);
}

/* The pre-copy decision in random interleavings (core_model.h). */
static void precopy_run(u64 seed)
{
	unsigned int i, stale = 0, redone = 0;
	u64 state = seed * 2 + 1;
	char what[128];
	bool r;

	for (i = 0; i < 100000; i++) {
		stale += imm_precopy_sim(&state, &r);
		redone += r;
	}
	snprintf(what, sizeof(what),
		 "pre-copy decision: %u stale copies in 100000 moves, want 0 (%u copied again; seed %llu)",
		 stale, redone, (unsigned long long)seed);
	ok(!stale && redone && redone < 100000, what);
}

int main(int argc, char **argv)
{
	u64 seed = time(NULL);
	int c, runs = 16;

	while ((c = getopt(argc, argv, "s:")) != -1)
		if (c == 's') {
			seed = strtoull(optarg, NULL, 0);
			runs = 1;
		}
	printf("TAP version 13\n");
	transitions();
	protocol_order();
	abort_paths();
	records();
	records_model();
	hold_rules();
	retired_rules();
	for (c = 0; c < runs; c++) {
		random_run(seed + c, 200000);
		hold_run(seed + c, 100000);
		precopy_run(seed + c);
		retired_run(seed + c);
	}
	printf("1..%u\n", tests);
	return failed ? 1 : 0;
}
