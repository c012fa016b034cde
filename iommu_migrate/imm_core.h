/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iommu_migrate core: the migration states of I/O PTEs and RMT
 * entries, the check every device access goes through, the per-page
 * protocol of the page migration engine, and the DMA records. Pure
 * code: no locks, no allocation; the same file builds in userspace
 * (tools/testing/userspace) for the model test and the fuzzer.
 */
#ifndef _IMM_CORE_H
#define _IMM_CORE_H

#include <linux/types.h>
#include <linux/iommu_migrate.h>
#include <kunit/visibility.h>

/*
 * Migration state of a PTE (kept in the leaf's ptsel software bits)
 * and of its RMT entry; both always move together.
 */
enum imm_state {
	IMM_NORMAL = 0,
	IMM_MIGRATING = 1,
	IMM_BLOCKED = 2,
	IMM_NR_STATES
};

/* What may happen to a page's state. */
enum imm_event {
	IMM_EV_BEGIN,		/* PME step 1: normal -> migrating */
	IMM_EV_COMMIT,		/* PME step 4: migrating -> normal, new page */
	IMM_EV_ABORT,		/* migrating -> normal, old page, same gen */
	IMM_EV_BLOCK,		/* normal -> blocked: devices refused */
	IMM_EV_UNBLOCK,		/* blocked -> normal */
	IMM_NR_EVENTS
};

int imm_state_next(u32 state, u32 event);

/**
 * struct imm_rmt - the checked part of one RMT entry
 * @domain: owner domain id (0: no owner, every access faults)
 * @state: enum imm_state
 * @iova: the IOVA of the page, 4 KiB aligned
 * @gen: generation of the mapping: the partition's move generation
 *	 when the page was switched in (0 when first mapped)
 */
struct imm_rmt {
	u32 domain;
	u32 state;
	u64 iova;
	u64 gen;
};

/* The outcome of a device access's RMT check. */
enum imm_verdict {
	IMM_ACCESS_OK,		/* go ahead */
	IMM_ACCESS_STALL,	/* migrating: wait and translate again */
	IMM_ACCESS_STALE,	/* translation older than the page: refresh */
	IMM_ACCESS_BLOCKED,	/* refused; counted as a fault */
	IMM_ACCESS_VIOLATION,	/* owner or IOVA disagree: fault, counted */
};

enum imm_verdict imm_rmt_check(const struct imm_rmt *e, u32 domain, u64 iova,
			       u64 dev_gen);

/**
 * struct imm_retired - what an RMT entry mapped before a move retired it
 * @domain: its owner then (0: never retired)
 * @iova: its IOVA then
 * @seq: the retire sequence number of that move (or unmap), from a
 *	 counter that every retirement increments after the PTE changed
 */
struct imm_retired {
	u32 domain;
	u64 iova;
	u64 seq;
};

void imm_retired_set(struct imm_retired *ret, const struct imm_rmt *e,
		     u64 seq);
enum imm_verdict imm_rmt_check_retired(const struct imm_rmt *e,
				       const struct imm_retired *ret,
				       u32 domain, u64 iova, u64 dev_gen,
				       u64 since);

/* Steps of the PME protocol for one page, in order. */
enum imm_phase {
	IMM_PH_IDLE,
	IMM_PH_MARKED,		/* 1: PTE and RMT migrating, IOTLB invalidated */
	IMM_PH_DRAINED,		/* 2: no device access in flight */
	IMM_PH_COPIED,		/* 3: contents on the destination */
	IMM_PH_SWITCHED,	/* 4: PTE and RMT on the new page, new gen */
	IMM_PH_RELEASED,	/* 5: stalled devices released */
	IMM_PH_ABORTED,		/* given up before step 4: old page kept */
	IMM_NR_PHASES
};

/**
 * struct imm_mig - one page's migration
 * @phase: enum imm_phase
 * @gen: the generation the page had when marked
 */
struct imm_mig {
	u32 phase;
	u64 gen;
};

int imm_mig_mark(struct imm_mig *m, struct imm_rmt *e);
int imm_mig_drained(struct imm_mig *m);
int imm_mig_copied(struct imm_mig *m);
int imm_mig_switch(struct imm_mig *m, struct imm_rmt *old, struct imm_rmt *new,
		   u64 gen);
int imm_mig_switch_check(const struct imm_mig *m, const struct imm_rmt *old,
			 const struct imm_rmt *new);
int imm_mig_release(struct imm_mig *m);
int imm_mig_abort(struct imm_mig *m, struct imm_rmt *e);

/*
 * The edu driver's side of the protocol, for a device that runs one
 * command at a time: a page is held for a move (step 1), the command
 * in flight to it drains (step 2), the page is copied and switched
 * (3, 4) and released (5). The caller serializes the calls.
 */
#define IMM_HOLD_NONE	(~0ULL)

/**
 * struct imm_hold - held page and command in flight of one device
 * @held: page index held for a move, or IMM_HOLD_NONE; written with
 *	  WRITE_ONCE() (the caller's lock held), as the device's side
 *	  may read it without that lock (edu_holds())
 * @inflight: page index the command in flight targets, or IMM_HOLD_NONE
 */
struct imm_hold {
	u64 held;
	u64 inflight;
};

void imm_hold_init(struct imm_hold *h);
int imm_hold_issue(struct imm_hold *h, u64 page);
int imm_hold_complete(struct imm_hold *h);
int imm_hold_begin(struct imm_hold *h, u64 page);
bool imm_hold_drained(const struct imm_hold *h);
int imm_hold_end(struct imm_hold *h);

/* DMA records (struct iommu_migrate_record) */
#define IMM_REC_SIZE	sizeof(struct iommu_migrate_record)

/* What a check of a record found. */
enum imm_rec_verdict {
	IMM_REC_OK,
	IMM_REC_EMPTY,		/* never written */
	IMM_REC_TORN,		/* bad magic or checksum */
	IMM_REC_MISPLACED,	/* another engine's, or meant for elsewhere */
	IMM_REC_STALE,		/* older than the last one written there */
};

void imm_rec_fill(struct iommu_migrate_record *r, u32 engine, u64 seq,
		  u64 iova);
bool imm_precopy_current(bool early, bool mapped, u32 wseq, u32 writes);
enum imm_rec_verdict imm_rec_check(const struct iommu_migrate_record *r,
				   u32 engine, u64 base, u64 slot, u64 slots);
u64 imm_rec_want(u64 slot, u64 slots, u64 writes);
enum imm_rec_verdict imm_rec_check_own(const struct iommu_migrate_record *r,
				       u32 engine, u64 base, u64 slot,
				       u64 slots, u64 writes);

#endif /* _IMM_CORE_H */
