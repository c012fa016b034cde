/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reference model of the iommu_migrate core (core.c), shared by the
 * KUnit suite and, in userspace, the randomized test and the fuzz
 * target: a handful of pages, each with an RMT entry, a spare entry
 * for its next frame and a migration; every operation is applied to the core and to a model
 * written from the protocol's rules alone, and their results and
 * states must agree.
 */
#ifndef _IMM_CORE_MODEL_H
#define _IMM_CORE_MODEL_H

#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/string.h>

#include "imm_core.h"

#define IMM_MODEL_PAGES	4

struct imm_model_page {
	struct imm_rmt rmt, spare;	/* the core's */
	struct imm_mig mig;
	/* the model's own view */
	u32 owner, state, phase;
	u64 iova, gen, mgen;
};

struct imm_model {
	struct imm_model_page pg[IMM_MODEL_PAGES];
	u64 gen;			/* the partition's move generation */
	unsigned long legal, illegal;	/* operations of each kind seen */
	char why[128];
};

static inline void imm_model_init(struct imm_model *m)
{
	unsigned int i;

	memset(m, 0, sizeof(*m));
	for (i = 0; i < IMM_MODEL_PAGES; i++) {
		struct imm_model_page *p = &m->pg[i];

		p->owner = p->rmt.domain = i + 1;
		p->iova = p->rmt.iova = (u64)(i + 16) << 12;
	}
}

/* Does the model's page state match the core's? */
static inline bool imm_model_same(struct imm_model *m, unsigned int i)
{
	struct imm_model_page *p = &m->pg[i];

	if (p->rmt.domain != p->owner || p->rmt.state != p->state ||
	    p->rmt.gen != p->gen || (p->owner && p->rmt.iova != p->iova) ||
	    p->mig.phase != p->phase) {
		snprintf(m->why, sizeof(m->why),
			 "page %u: core {dom %u st %u gen %llu ph %u} model {dom %u st %u gen %llu ph %u}",
			 i, p->rmt.domain, p->rmt.state,
			 (unsigned long long)p->rmt.gen, p->mig.phase, p->owner,
			 p->state, (unsigned long long)p->gen, p->phase);
		return false;
	}
	return true;
}

/* The legal transitions, listed, as the protocol describes them. */
static inline int imm_model_next(u32 state, u32 event)
{
	if (state == IMM_NORMAL && event == IMM_EV_BEGIN)
		return IMM_MIGRATING;
	if (state == IMM_MIGRATING &&
	    (event == IMM_EV_COMMIT || event == IMM_EV_ABORT))
		return IMM_NORMAL;
	if (state == IMM_NORMAL && event == IMM_EV_BLOCK)
		return IMM_BLOCKED;
	if (state == IMM_BLOCKED && event == IMM_EV_UNBLOCK)
		return IMM_NORMAL;
	return -EINVAL;
}

static inline bool imm_model_fail(struct imm_model *m, const char *what,
				  int got, int want)
{
	snprintf(m->why, sizeof(m->why), "%s: core %d, model %d", what, got,
		 want);
	return false;
}

/*
 * One operation, chosen by @op with arguments @a and @b. Returns false
 * (with m->why) when the core and the model disagree.
 */
static inline bool imm_model_step(struct imm_model *m, u8 op, u8 a, u64 b)
{
	struct imm_model_page *p = &m->pg[a % IMM_MODEL_PAGES];
	unsigned int i = a % IMM_MODEL_PAGES;
	int got, want;

	switch (op % 9) {
	case 0: {	/* the transition table, on any state and event */
		u32 s = a % (IMM_NR_STATES + 1), e = b % (IMM_NR_EVENTS + 1);

		got = imm_state_next(s, e);
		want = imm_model_next(s, e);
		if (got != want)
			return imm_model_fail(m, "state_next", got, want);
		return true;
	}
	case 1:		/* step 1 */
		got = imm_mig_mark(&p->mig, &p->rmt);
		want = p->phase == IMM_PH_IDLE && p->owner &&
		       p->state == IMM_NORMAL ? 0 : -EINVAL;
		if (!want) {
			p->state = IMM_MIGRATING;
			p->phase = IMM_PH_MARKED;
			p->mgen = p->gen;
		}
		break;
	case 2:		/* step 2 */
		got = imm_mig_drained(&p->mig);
		want = p->phase == IMM_PH_MARKED ? 0 : -EINVAL;
		if (!want)
			p->phase = IMM_PH_DRAINED;
		break;
	case 3:		/* step 3 */
		got = imm_mig_copied(&p->mig);
		want = p->phase == IMM_PH_DRAINED ? 0 : -EINVAL;
		if (!want)
			p->phase = IMM_PH_COPIED;
		break;
	case 4: {	/* step 4, with a fresh or a stale generation */
		u64 gen = b & 1 ? m->gen + 1 : (b & 2 || !p->gen ? p->gen : p->gen - 1);
		bool spare_ok;

		/* a spare that is free, or published early as migrating */
		memset(&p->spare, 0, sizeof(p->spare));
		if (b & 4)
			p->spare = p->rmt;
		if (b & 8)
			p->spare.domain = p->owner + 100;
		spare_ok = !(b & 8) && (!(b & 4) || p->state == IMM_MIGRATING);
		/* The check before the PTE changes: no change, the verdict. */
		{
			struct imm_rmt o = p->rmt, n = p->spare;
			struct imm_mig mg = p->mig;

			got = imm_mig_switch_check(&p->mig, &p->rmt, &p->spare);
			want = p->phase == IMM_PH_COPIED &&
			       p->state == IMM_MIGRATING && p->gen == p->mgen &&
			       spare_ok ? 0 : -EINVAL;
			if (got != want)
				return imm_model_fail(m, "switch_check", got, want);
			if (memcmp(&o, &p->rmt, sizeof(o)) ||
			    memcmp(&n, &p->spare, sizeof(n)) ||
			    memcmp(&mg, &p->mig, sizeof(mg)))
				return imm_model_fail(m, "switch_check changed", 1, 0);
		}
		got = imm_mig_switch(&p->mig, &p->rmt, &p->spare, gen);
		want = p->phase == IMM_PH_COPIED && p->state == IMM_MIGRATING &&
		       gen > p->mgen && p->gen == p->mgen && spare_ok ?
		       0 : -EINVAL;
		if (!want) {
			if (gen > m->gen)
				m->gen = gen;
			/* The page is now the spare; the old entry is free. */
			if (p->rmt.domain || p->rmt.gen || p->rmt.state)
				return imm_model_fail(m, "old entry kept", 1, 0);
			p->rmt = p->spare;
			p->state = IMM_NORMAL;
			p->gen = gen;
			p->phase = IMM_PH_SWITCHED;
		}
		break;
	}
	case 5:		/* step 5; a finished migration starts afresh */
		got = imm_mig_release(&p->mig);
		want = p->phase == IMM_PH_SWITCHED ? 0 : -EINVAL;
		if (!want)
			p->phase = IMM_PH_RELEASED;
		break;
	case 6:		/* abort */
		got = imm_mig_abort(&p->mig, &p->rmt);
		want = p->phase >= IMM_PH_MARKED && p->phase <= IMM_PH_COPIED &&
		       p->state == IMM_MIGRATING && p->gen == p->mgen ?
		       0 : -EINVAL;
		if (!want) {
			p->state = IMM_NORMAL;
			p->phase = IMM_PH_ABORTED;
		}
		break;
	case 7:		/* a new migration after the last one ended */
		if (p->phase == IMM_PH_RELEASED || p->phase == IMM_PH_ABORTED) {
			p->mig.phase = IMM_PH_IDLE;
			p->phase = IMM_PH_IDLE;
		}
		return imm_model_same(m, i);
	default: {	/* a device access: right or wrong owner, IOVA, gen */
		u32 dom = b & 1 ? p->owner : p->owner + 1;
		u64 iova = b & 2 ? p->iova : p->iova + 4096;
		u64 dgen = b & 4 ? m->gen : p->gen - (p->gen ? 1 : 0);
		enum imm_verdict v = imm_rmt_check(&p->rmt, dom, iova, dgen), w;

		if (!p->owner || dom != p->owner || iova != p->iova)
			w = IMM_ACCESS_VIOLATION;
		else if (p->state == IMM_MIGRATING)
			w = IMM_ACCESS_STALL;
		else if (p->state == IMM_BLOCKED)
			w = IMM_ACCESS_BLOCKED;
		else if (p->gen > dgen)
			w = IMM_ACCESS_STALE;
		else
			w = IMM_ACCESS_OK;
		if (v != w)
			return imm_model_fail(m, "rmt_check", v, w);
		return true;
	}
	}
	if (got != want)
		return imm_model_fail(m, "protocol step", got, want);
	if (got)
		m->illegal++;
	else
		m->legal++;
	return imm_model_same(m, i);
}

/*
 * The RMT check of an access whose frame's entry may be gone or
 * retired (imm_rmt_check_retired()), on a random entry, retire record
 * and access, against the rule written out: stale only if the entry
 * has no owner and was retired from this very domain and IOVA after
 * the device read @since; with no entry, or any other mismatch, a
 * violation; an owned entry as imm_rmt_check() says. Returns false
 * (with @why) on a disagreement; counts the stale verdicts in *@stale
 * and the violations of unowned entries in *@refused.
 */
static inline bool imm_retired_model_step(char *why, size_t len, u64 r,
					  unsigned long *stale,
					  unsigned long *refused)
{
	struct imm_rmt e = {
		.domain = r & 3, .iova = ((r >> 2) & 1) << 12,
		.state = (r >> 3) % IMM_NR_STATES, .gen = (r >> 5) & 3,
	};
	struct imm_retired ret = {
		.domain = (r >> 7) & 3, .iova = ((r >> 9) & 1) << 12,
		.seq = (r >> 10) & 7,
	};
	u32 dom = 1 + ((r >> 13) & 1);
	u64 iova = ((r >> 15) & 1) << 12, dgen = (r >> 16) & 3;
	u64 since = (r >> 18) & 7;
	bool none = !((r >> 21) & 7);
	enum imm_verdict v, w;

	v = imm_rmt_check_retired(none ? NULL : &e, &ret, dom, iova, dgen,
				  since);
	if (none)
		w = IMM_ACCESS_VIOLATION;
	else if (!e.domain)
		w = ret.domain == dom && ret.iova == iova && ret.seq > since ?
		    IMM_ACCESS_STALE : IMM_ACCESS_VIOLATION;
	else
		w = imm_rmt_check(&e, dom, iova, dgen);
	if (!none && !e.domain) {
		*stale += w == IMM_ACCESS_STALE;
		*refused += w == IMM_ACCESS_VIOLATION;
	}
	if (v == w)
		return true;
	snprintf(why, len,
		 "entry %s{dom %u iova %#llx st %u} retired {dom %u iova %#llx seq %llu}, access {dom %u iova %#llx since %llu}: core %d, model %d",
		 none ? "none " : "", e.domain, (unsigned long long)e.iova,
		 e.state, ret.domain, (unsigned long long)ret.iova,
		 (unsigned long long)ret.seq, dom, (unsigned long long)iova,
		 (unsigned long long)since, v, w);
	return false;
}

/*
 * The edu hold and drain (imm_hold_*) against a model of the device's
 * memory: each page has two frames, the one mapped and the spare a
 * move copies to. A command writes the value it carries to the frame
 * its page was mapped to when it was issued, when it completes. A
 * mover holds a page, copies it once drained, switches the mapping to
 * the copy and ends the hold (or ends it without a move). After every
 * step, every page's mapped frame must hold the last value written to
 * it: a write that lands on a frame the page left is lost.
 */
#define IMM_HOLD_PAGES	4

struct imm_hold_model {
	struct imm_hold h;		/* the core's */
	u64 held, inflight;		/* the model's view */
	u8 frame[IMM_HOLD_PAGES];	/* the frame each page is mapped to */
	u32 val[IMM_HOLD_PAGES][2];	/* what each frame holds */
	u32 expect[IMM_HOLD_PAGES];	/* the last value written */
	u8 cmd_frame;			/* frame the command in flight writes */
	u32 cmd_val, seq;
	bool copied;
	unsigned long legal, illegal, moves, waits;
	char why[128];
};

static inline void imm_hold_model_init(struct imm_hold_model *m)
{
	memset(m, 0, sizeof(*m));
	imm_hold_init(&m->h);
	m->held = IMM_HOLD_NONE;
	m->inflight = IMM_HOLD_NONE;
}

static inline bool imm_hold_model_fail(struct imm_hold_model *m,
				       const char *what, int got, int want)
{
	snprintf(m->why, sizeof(m->why), "%s: core %d, model %d", what, got,
		 want);
	return false;
}

/*
 * One step: @op picks the device's issue or completion or the mover's
 * hold, copy, switch or end; @a the page. Returns false (with m->why)
 * when the core disagrees with the model or a write was lost.
 */
static inline bool imm_hold_model_step(struct imm_hold_model *m, u8 op, u8 a)
{
	u64 page = a % (IMM_HOLD_PAGES + 1);
	unsigned int i;
	int got, want;

	/* IMM_HOLD_PAGES stands for IMM_HOLD_NONE: a bad argument. */
	if (page == IMM_HOLD_PAGES)
		page = IMM_HOLD_NONE;
	switch (op % 6) {
	case 0:		/* the device issues a command to @page */
		got = imm_hold_issue(&m->h, page);
		want = page == IMM_HOLD_NONE ? -EINVAL :
		       m->inflight != IMM_HOLD_NONE ? -EBUSY :
		       m->held == page ? -EAGAIN : 0;
		if (!want) {
			m->inflight = page;
			m->cmd_frame = m->frame[page];
			m->cmd_val = ++m->seq;
		}
		m->waits += want == -EAGAIN;
		break;
	case 1:		/* the command completes: its write lands */
		got = imm_hold_complete(&m->h);
		want = m->inflight == IMM_HOLD_NONE ? -EINVAL : 0;
		if (!want) {
			m->val[m->inflight][m->cmd_frame] = m->cmd_val;
			m->expect[m->inflight] = m->cmd_val;
			m->inflight = IMM_HOLD_NONE;
		}
		break;
	case 2:		/* the mover holds @page */
		got = imm_hold_begin(&m->h, page);
		want = page == IMM_HOLD_NONE ? -EINVAL :
		       m->held != IMM_HOLD_NONE ? -EBUSY : 0;
		if (!want) {
			m->held = page;
			m->copied = false;
		}
		break;
	case 3:		/* once drained, it copies to the spare frame */
		got = imm_hold_drained(&m->h);
		want = m->held != IMM_HOLD_NONE && m->inflight != m->held;
		if (got != want)
			return imm_hold_model_fail(m, "drained", got, want);
		if (got) {
			u8 f = m->frame[m->held];

			m->val[m->held][!f] = m->val[m->held][f];
			m->copied = true;
		}
		return true;
	case 4:		/* it switches a copied page and ends the hold */
	default:	/* it ends the hold without a move */
		if (op % 6 == 4 && m->held != IMM_HOLD_NONE && m->copied) {
			m->frame[m->held] = !m->frame[m->held];
			m->moves++;
		}
		got = imm_hold_end(&m->h);
		want = m->held == IMM_HOLD_NONE ? -EINVAL : 0;
		if (!want)
			m->held = IMM_HOLD_NONE;
		m->copied = false;
		break;
	}
	if (got != want)
		return imm_hold_model_fail(m, "hold step", got, want);
	if (got)
		m->illegal++;
	else
		m->legal++;
	if (m->h.held != m->held || m->h.inflight != m->inflight)
		return imm_hold_model_fail(m, "hold state", 0, 1);
	for (i = 0; i < IMM_HOLD_PAGES; i++)
		if (m->val[i][m->frame[i]] != m->expect[i]) {
			snprintf(m->why, sizeof(m->why),
				 "page %u: write %u lost (mapped frame holds %u)",
				 i, m->expect[i], m->val[i][m->frame[i]]);
			return false;
		}
	return true;
}

/*
 * The pre-copy decision (imm_precopy_current()) in one random
 * interleaving of a page's move with device writes: a write stores its
 * data (the page's version goes up), then its count, as dev_access()
 * does; the PME reads the count, copies (the copy takes the version),
 * marks (no write starts after it), drains (writes in flight count),
 * reads the count and copies again only if the decision says so. The
 * destination must end with the page's last version. Returns 0, or 1
 * if the decision kept a stale copy; *@redone says if it copied again.
 */
static inline int imm_precopy_sim(u64 *state, bool *redone)
{
	u32 version = 0, copy = 0, writes = 0, wseq = 0, pending = 0;
	int step = 0;

	*redone = false;
	while (step < 4) {
		u64 r = *state ^= *state << 13;

		r = *state ^= *state >> 7;
		r = *state ^= *state << 17;
		if (r % 3 == 0 && step < 3) {
			/* A device write: its data now, its count later. */
			version++;
			pending++;
		} else if (r % 3 == 1 && pending) {
			pending--;
			writes++;
		} else if (step == 0) {
			wseq = writes;
			step++;
		} else if (step == 1) {
			copy = version;
			step++;
		} else if (step == 2) {
			step++;	/* the mark */
		} else {
			/* The drain: what is in flight counts, then the check. */
			writes += pending;
			pending = 0;
			if (!imm_precopy_current(true, true, wseq, writes)) {
				copy = version;
				*redone = true;
			}
			step++;
		}
	}
	return copy != version;
}

#endif /* _IMM_CORE_MODEL_H */
