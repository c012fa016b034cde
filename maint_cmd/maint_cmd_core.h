/* SPDX-License-Identifier: GPL-2.0 */
/*
 * maint_cmd core: the mailbox command set (CXL 3.x opcodes), payload
 * encode and decode with strict length and field checks, capability
 * gating, the indication -> action policy table, the repair rule and
 * the background-operation state machine. Pure logic: no locking, no
 * allocation, no kernel glue; the same code is built in userspace
 * (tools/testing/userspace) and tested by KUnit.
 *
 * Payloads are little-endian byte arrays as on the wire; every decoder
 * takes the reply's length from the device and never reads past it.
 */
#ifndef _MAINT_CMD_CORE_H
#define _MAINT_CMD_CORE_H

#include <linux/atomic.h>
#include <linux/types.h>
#include <linux/maint_cmd.h>

#define MC_PAYLOAD_MAX		1024	/* the payload register */
#define MC_LINE			64	/* poison and DPA granule */

/* Opcodes, as CXL 3.x numbers them. */
enum mc_opcode {
	MC_OP_BG_STATUS		= 0x0002,
	MC_OP_BG_ABORT		= 0x0005,
	MC_OP_GET_EVENTS	= 0x0100,
	MC_OP_CLEAR_EVENTS	= 0x0101,
	MC_OP_GET_LOG		= 0x0401,
	MC_OP_GET_SUPP_FEAT	= 0x0500,
	MC_OP_GET_FEATURE	= 0x0501,
	MC_OP_SET_FEATURE	= 0x0502,
	MC_OP_PERFORM_MAINT	= 0x0600,
	MC_OP_IDENTIFY		= 0x4000,
	MC_OP_GET_POISON	= 0x4300,
	MC_OP_INJECT_POISON	= 0x4301,
	MC_OP_CLEAR_POISON	= 0x4302,
	MC_OP_SCAN_CAPS		= 0x4303,
	MC_OP_SCAN_MEDIA	= 0x4304,
	MC_OP_SCAN_RESULTS	= 0x4305,
};

/* Index of each opcode in a capability mask (bit n = mc_ops[n]). */
enum mc_op_idx {
	MC_I_BG_STATUS, MC_I_BG_ABORT, MC_I_GET_EVENTS, MC_I_CLEAR_EVENTS,
	MC_I_GET_LOG, MC_I_GET_SUPP_FEAT, MC_I_GET_FEATURE, MC_I_SET_FEATURE,
	MC_I_PERFORM_MAINT, MC_I_IDENTIFY, MC_I_GET_POISON, MC_I_INJECT_POISON,
	MC_I_CLEAR_POISON, MC_I_SCAN_CAPS, MC_I_SCAN_MEDIA, MC_I_SCAN_RESULTS,
	MC_NR_OPS,
};

struct mc_op_info {
	u16 opcode;
	const char *name;
	bool background;	/* may answer "background command started" */
	bool mandatory;		/* issued before discovery: Identify, Get Log */
};

extern const struct mc_op_info mc_ops[MC_NR_OPS];
int mc_op_index(u16 opcode);
#define MC_ALL_OPS	((1U << MC_NR_OPS) - 1)

/* Mailbox return codes (the low ones as CXL defines them). */
enum mc_rc {
	MC_RC_SUCCESS		= 0x0000,
	MC_RC_BG_STARTED	= 0x0001,
	MC_RC_INVALID_INPUT	= 0x0002,
	MC_RC_UNSUPPORTED	= 0x0003,
	MC_RC_INTERNAL		= 0x0004,
	MC_RC_RETRY		= 0x0005,
	MC_RC_BUSY		= 0x0006,
	MC_RC_INVALID_PA	= 0x000f,
	MC_RC_INVALID_LEN	= 0x0017,
	MC_RC_ABORTED		= 0x0018,
};

int mc_rc_errno(u16 rc);

/* --- Identify (4000h) ------------------------------------------------- */
#define MC_IDENTIFY_LEN		32
struct mc_identify {
	char fw[16];
	u64 capacity;		/* bytes, a multiple of 4 KiB */
	u16 poison_max;		/* entries the poison list holds */
	u16 inject_limit;	/* injected entries at once */
};
int mc_identify_encode(u8 *out, const struct mc_identify *id);
int mc_identify_decode(struct mc_identify *id, const u8 *p, size_t len);

/* --- Get Log (0401h): the command effects log ------------------------- */
#define MC_LOG_CEL		0	/* the only log id the host asks for */
#define MC_GET_LOG_IN_LEN	8	/* log id u32, offset u16, length u16 */
#define MC_CEL_ENTRY_LEN	4	/* opcode u16, effects u16 */
int mc_get_log_encode(u8 *in, u32 log, u16 offset, u16 length);
int mc_get_log_decode_in(const u8 *p, size_t len, u32 *log, u16 *offset,
			 u16 *length);
int mc_cel_encode(u8 *out, size_t size, u32 ops_mask);
int mc_cel_decode(const u8 *p, size_t len, u32 *ops_mask);

/* --- Features (0500h-0502h) ------------------------------------------- */
enum mc_feature_id {
	MC_FEAT_SOFT_PPR,	/* Perform Maintenance class 1, subclass 0 */
	MC_FEAT_HARD_PPR,	/* class 1, subclass 1 */
	MC_FEAT_HOST_CAPS,	/* what the host handles (host -> device) */
	MC_FEAT_ROW_SPARING,	/* Perform Maintenance class 2, subclass 1 */
	MC_NR_FEATS,
};

extern const u8 mc_feat_uuid[MC_NR_FEATS][16];
#define MC_FEAT_ENTRY_LEN	48
#define MC_SUPP_FEAT_HDR	8
#define MC_SUPP_FEAT_IN_LEN	8
#define MC_GET_FEAT_IN_LEN	21
#define MC_SET_FEAT_HDR		32
#define MC_MAINT_FEAT_LEN	8	/* the data of a PPR feature */
#define MC_HOST_CAPS_LEN	4

/* Feature data of a PPR feature (CXL 3.2 "maintenance features"). */
#define MC_MFEAT_OFFLINE_ONLY	(1U << 0)	/* restriction: memory offline */
#define MC_MFEAT_INDICATE	(1U << 1)	/* device may ask for it */
struct mc_maint_feat {
	u8 op_class, op_subclass;
	u8 flags;			/* MC_MFEAT_* */
	u16 latency_ms;			/* typical duration */
};

/* Host capabilities (the MC_FEAT_HOST_CAPS data, u32) */
#define MC_HOST_SOFT_OFFLINE	(1U << 0)
#define MC_HOST_HARD_OFFLINE	(1U << 1)
#define MC_HOST_EVACUATE	(1U << 2)
#define MC_HOST_PPR		(1U << 3)
#define MC_HOST_SPARING		(1U << 4)
#define MC_HOST_ALL		((1U << 5) - 1)

int mc_supp_feat_in_encode(u8 *in, u32 out_size, u16 start);
int mc_supp_feat_in_decode(const u8 *p, size_t len, u32 *out_size, u16 *start);
int mc_supp_feat_encode(u8 *out, size_t size, u32 feats_mask, u16 start);
int mc_supp_feat_decode(const u8 *p, size_t len, u32 *feats_mask,
			u16 *device_total);
int mc_get_feat_encode(u8 *in, enum mc_feature_id f, u16 offset, u16 count);
int mc_get_feat_decode_in(const u8 *p, size_t len, enum mc_feature_id *f,
			  u16 *offset, u16 *count);
int mc_set_feat_encode(u8 *in, size_t size, enum mc_feature_id f,
		       const u8 *data, u16 n);
int mc_set_feat_decode_in(const u8 *p, size_t len, enum mc_feature_id *f,
			  const u8 **data, u16 *n);
int mc_maint_feat_encode(u8 *out, const struct mc_maint_feat *m);
int mc_maint_feat_decode(struct mc_maint_feat *m, const u8 *p, size_t len,
			 enum mc_feature_id f);
int mc_feature_lookup(const u8 *uuid);

/* --- Events (0100h, 0101h) -------------------------------------------- */
#define MC_EVENT_LEN		128
#define MC_EVENTS_HDR		32
#define MC_EVENTS_MAX		((MC_PAYLOAD_MAX - MC_EVENTS_HDR) / MC_EVENT_LEN)
#define MC_EVENTS_OVERFLOW	(1U << 0)
#define MC_EVENTS_MORE		(1U << 1)
#define MC_LOG_INFO		0
#define MC_LOG_WARN		1
#define MC_LOG_FAIL		2
#define MC_LOG_FATAL		3
#define MC_NR_LOGS		4
#define MC_CLEAR_HDR		6
#define MC_CLEAR_MAX		((MC_PAYLOAD_MAX - MC_CLEAR_HDR) / 2)

/* Record header flags, as CXL's common event record header. */
#define MC_EVF_SEV_MASK		0x3
#define MC_EVF_PERMANENT	(1U << 2)
#define MC_EVF_MAINT_NEEDED	(1U << 3)
#define MC_EVF_PERF_DEGRADED	(1U << 4)
#define MC_EVF_REPLACE		(1U << 5)
#define MC_EVF_VALID		0x3f

/* General media / DRAM descriptor */
#define MC_DESC_UNCORRECTABLE	(1U << 0)
#define MC_DESC_THRESHOLD	(1U << 1)
#define MC_DESC_POISON_OVERFLOW	(1U << 2)
#define MC_DESC_VALID		0x7

/* Maintenance operation classes (CXL 3.2) */
#define MC_MAINT_NONE		0
#define MC_MAINT_PPR		1
#define MC_MAINT_SOFT_PPR	0	/* subclasses of MC_MAINT_PPR */
#define MC_MAINT_HARD_PPR	1
#define MC_MAINT_SPARING	2
#define MC_SPARE_CACHELINE	0	/* subclasses of MC_MAINT_SPARING */
#define MC_SPARE_ROW		1
#define MC_SPARE_BANK		2
#define MC_SPARE_RANK		3

/* Flags in the low bits of a record's DPA */
#define MC_DPAF_VOLATILE	(1U << 0)
#define MC_DPAF_NOT_REPAIRABLE	(1U << 1)

enum mc_event_kind {
	MC_EV_GENERAL_MEDIA = MAINT_CMD_EV_GENERAL_MEDIA,
	MC_EV_DRAM = MAINT_CMD_EV_DRAM,
};

/**
 * struct mc_event - a decoded general media or DRAM event record
 * @kind: MC_EV_*
 * @severity: 0 informational .. 3 fatal
 * @flags: MC_EVF_* of the header
 * @handle: the device's handle for Clear Event Records
 * @timestamp: device time stamp
 * @maint_class: maintenance operation class (MC_MAINT_*)
 * @maint_subclass: its subclass
 * @dpa: device physical address, 64-byte aligned
 * @dpa_flags: MC_DPAF_*, the low bits of the record's DPA field
 * @descriptor: MC_DESC_*
 * @type: 0 ECC error, 1 invalid address, 2 data path error
 * @transaction: transaction type, 0..6
 * @channel: DRAM channel (DRAM records)
 * @rank: DRAM rank
 * @nibble_mask: 24-bit nibble mask (DRAM records)
 * @row: 24-bit row (DRAM records)
 */
struct mc_event {
	u8 kind;
	u8 severity;
	u8 flags;
	u16 handle;
	u64 timestamp;
	u8 maint_class, maint_subclass;
	u64 dpa;
	u8 dpa_flags;
	u8 descriptor, type, transaction;
	u8 channel, rank;
	u32 nibble_mask, row;
};

int mc_event_encode(u8 *out, const struct mc_event *ev);
int mc_event_decode(struct mc_event *ev, const u8 *p, size_t len,
		    u64 capacity);

struct mc_events_hdr {
	u8 flags;		/* MC_EVENTS_* */
	u16 overflow;		/* running total of records dropped, mod 2^16 */
	u16 count;
};
int mc_events_encode(u8 *out, size_t size, const struct mc_events_hdr *h,
		     const struct mc_event *ev);
int mc_events_decode(struct mc_events_hdr *h, struct mc_event *ev,
		     unsigned int max, const u8 *p, size_t len, u64 capacity);
int mc_clear_encode(u8 *in, size_t size, u8 log, const u16 *handles, u8 n);
int mc_clear_decode(const u8 *p, size_t len, u8 *log, bool *all,
		    u16 *handles, unsigned int max);

/* --- Poison (4300h-4302h) and Scan Media (4303h-4305h) ---------------- */
#define MC_POISON_IN_LEN	16	/* start dpa, length in 64 B lines */
#define MC_POISON_HDR		32
#define MC_POISON_REC_LEN	16
#define MC_POISON_MAX		((MC_PAYLOAD_MAX - MC_POISON_HDR) / MC_POISON_REC_LEN)
#define MC_POISON_MORE		(1U << 0)
#define MC_POISON_OVERFLOW	(1U << 1)
#define MC_POISON_SCANNING	(1U << 2)
#define MC_INJECT_LEN		8
#define MC_CLEAR_POISON_LEN	72
#define MC_SCAN_IN_LEN		17
#define MC_SCAN_CAPS_OUT_LEN	4

/* Poison record sources */
#define MC_SRC_UNKNOWN		0
#define MC_SRC_INTERNAL		1
#define MC_SRC_EXTERNAL		2
#define MC_SRC_INJECTED		3

struct mc_poison {
	u64 dpa;
	u32 lines;		/* length in 64 B lines, at least 1 */
	u8 source;
};

struct mc_poison_hdr {
	u8 flags;		/* MC_POISON_* */
	u16 count;
	u64 restart_dpa;	/* Scan Media results: where to go on */
};

int mc_range_encode(u8 *in, u64 dpa, u64 lines);
int mc_poison_next(u64 from, const struct mc_poison_hdr *h,
		   const struct mc_poison *last, u64 *next);
int mc_range_decode(const u8 *p, size_t len, u64 capacity, u64 *dpa,
		    u64 *lines);
int mc_poison_encode(u8 *out, size_t size, const struct mc_poison_hdr *h,
		     const struct mc_poison *rec);
int mc_poison_decode(struct mc_poison_hdr *h, struct mc_poison *rec,
		     unsigned int max, const u8 *p, size_t len, u64 capacity);
int mc_dpa_encode(u8 *in, u64 dpa);
int mc_dpa_decode(const u8 *p, size_t len, size_t want, u64 capacity,
		  u64 *dpa);

/*
 * --- Perform Maintenance (0600h) --------------------------------------
 * PPR and sparing take the same input here: the model addresses a row
 * by a DPA inside it (CXL's sparing names channel, rank, bank, row).
 */
#define MC_MAINT_IN_LEN		14	/* class, subclass, flags, dpa, nibble[3] */
#define MC_MAINTF_QUERY		(1U << 0)	/* only ask if resources remain */
#define MC_MAINTF_NIBBLE	(1U << 1)	/* nibble_mask is valid */
struct mc_maint {
	u8 op_class, op_subclass;
	u8 flags;		/* MC_MAINTF_* */
	u64 dpa;
	u32 nibble_mask;
};
int mc_maint_encode(u8 *in, const struct mc_maint *m);
int mc_maint_decode(struct mc_maint *m, const u8 *p, size_t len, u64 capacity);

/* --- Background operation status (0002h) and register ----------------- */
#define MC_BG_STATUS_LEN	8
/* The background status register, as CXL's: opcode, percent, rc. */
#define MC_BGREG_OPCODE(r)	((u16)((r) & 0xffff))
#define MC_BGREG_PERCENT(r)	((u8)(((r) >> 16) & 0x7f))
#define MC_BGREG_RUNNING	(1ULL << 23)
#define MC_BGREG_RC(r)		((u16)(((r) >> 32) & 0xffff))

/* --- Capabilities ----------------------------------------------------- */
/**
 * struct mc_caps - what the host learnt from the device and told it
 * @ops: opcodes the command effects log lists (bit = enum mc_op_idx)
 * @feats: features Get Supported Features lists (bit = mc_feature_id)
 * @mfeat: the maintenance features' data, by feature id
 * @host: MC_HOST_* the host told the device it handles
 * @discovered: @ops is known; before that only mandatory opcodes go out
 */
struct mc_caps {
	u32 ops;
	u32 feats;
	struct mc_maint_feat mfeat[MC_NR_FEATS];
	u32 host;
	bool discovered;
};

bool mc_caps_allow(const struct mc_caps *c, u16 opcode);
bool mc_caps_can_repair(const struct mc_caps *c, bool hard);
bool mc_caps_can_spare(const struct mc_caps *c);

/* --- Indication -> action policy --------------------------------------- */
/**
 * struct mc_policy_in - what the policy decides on
 * @ev: the decoded record
 * @evac_mapped: iommu_migrate maps the page (and is loaded); looked up
 *	for a page online or @poisoned_foreign
 * @page_online: the HPA is an online page of the machine, not poisoned
 * @poisoned_foreign: the HPA is an online page, poisoned, but not
 *	taken offline by this host (memory_failure() could not take it
 *	from its owner, or someone else poisoned it); @page_online is
 *	then ignored. A page this host took offline, or memory that is
 *	not online, has neither set.
 * @offline_ours: the HPA is a page this host took offline under an
 *	earlier record, recorded and poisoned still; @page_online is then
 *	ignored. Never set with @poisoned_foreign (which wins if it is).
 * @offline_lost: with @offline_ours, the page went offline for lost
 *	data (memory_failure()): the device may hold its poison still.
 * @auto_repair: the device's auto_repair knob
 * @hard_repair: repair_mode is "hard"
 * @caps: the device's capabilities
 */
struct mc_policy_in {
	const struct mc_event *ev;
	bool evac_mapped;
	bool page_online;
	bool poisoned_foreign;
	bool offline_ours;
	bool offline_lost;
	bool auto_repair;
	bool hard_repair;
	const struct mc_caps *caps;
};

u32 mc_after_repair(const struct mc_caps *c, bool held, bool back);
u32 mc_policy(const struct mc_policy_in *in);
bool mc_repair_allowed(bool reported_this_boot, bool memory_offline);
bool mc_repair_safe_when_in_use(const struct mc_caps *c, enum mc_feature_id feat);
int mc_repair_check(const struct mc_caps *c, enum mc_feature_id feat,
		    bool reported_this_boot, bool memory_offline);
bool mc_count_take(atomic_t *n, int max);
bool mc_media_overlap(unsigned long a, unsigned long na, unsigned long b,
		      unsigned long nb);

/* --- Background-operation state machine -------------------------------- */
enum mc_bg_state { MC_BG_IDLE, MC_BG_RUNNING, MC_BG_DONE };

/**
 * struct mc_bg - one background operation, device side
 * @state: MC_BG_*
 * @opcode: the command running or last run
 * @start: when it started (ms, any clock)
 * @duration: how long it takes (ms)
 * @rc: its return code, once MC_BG_DONE
 * @percent: progress, 0..100
 */
struct mc_bg {
	enum mc_bg_state state;
	u16 opcode;
	u64 start, duration;
	u16 rc;
	u8 percent;
};

int mc_bg_start(struct mc_bg *bg, u16 opcode, u64 now, u64 duration);
bool mc_bg_tick(struct mc_bg *bg, u64 now);
int mc_bg_abort(struct mc_bg *bg);
u64 mc_bg_reg(const struct mc_bg *bg);
int mc_bg_status_encode(u8 *out, const struct mc_bg *bg);
int mc_bg_status_decode(const u8 *p, size_t len, u16 *opcode, u8 *percent,
			bool *running, u16 *rc);

/* What the host does next about the background command it waits for. */
enum mc_bg_verdict {
	MC_BGV_WAIT,	/* it runs, within its time */
	MC_BGV_DONE,	/* it ended; the result is its return code's errno */
	MC_BGV_ABORT,	/* abort it: -ENODEV (device going) or -ETIMEDOUT */
};

enum mc_bg_verdict mc_bg_judge(u64 reg, u16 opcode, bool dead, u64 now,
			       u64 deadline, int *err);

#endif /* _MAINT_CMD_CORE_H */
