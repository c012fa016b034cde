/* SPDX-License-Identifier: GPL-2.0 */
/*
 * maint_cmd internals: the mailbox registers, the device model behind
 * them (model.c), the host driver (mbox.c, host.c) and its user
 * interfaces (sysfs.c, cdev.c).
 */
#ifndef _MAINT_CMD_INTERNAL_H
#define _MAINT_CMD_INTERNAL_H

#include <linux/atomic.h>
#include <linux/cdev.h>
#include <linux/completion.h>
#include <linux/device.h>
#include <linux/irq_work.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "maint_cmd_core.h"

#define MC_MAX_DEVICES		16
#define MC_MAX_ACTIONS		64	/* max_actions at most */
#define MC_EVENT_RING		256	/* records kept for /dev/maint_cmd/mcN */
#define MC_MODEL_LOG		32	/* records per event log in the model */
#define MC_PAGE_LOCK_BITS	4	/* 16 locks serialise the actions by page */
#define MC_MODEL_POISON_MAX	256	/* the model's poison list */
#define MC_REPORTED_MAX		65536	/* DPAs remembered as reported */
#define MC_BAD_GETS_MAX		3	/* malformed Get Event Records before a clear */

/* ctrl bits; each side changes only its bits, with atomic bitops */
#define MC_CTRL_DOORBELL	0
#define MC_CTRL_IRQ_EN		1
/* irq_status bits */
#define MC_IRQ_MBOX		0
#define MC_IRQ_BG		1
#define MC_IRQ_EVENT		2
/* cmd register */
#define MC_CMD_OPCODE(c)	((u16)((c) & 0xffff))
#define MC_CMD_LEN(c)		((u32)(((c) >> 16) & 0x1fffff))
#define MC_CMD(op, len)		((u64)(op) | (u64)(len) << 16)
/* status register */
#define MC_STATUS_RC(s)		((u16)((s) >> 32))

/**
 * struct mc_regs - the mailbox, as a device would expose it in MMIO
 * @ctrl: MC_CTRL_* bits; the host sets the doorbell, the device clears it,
 *	the host sets and clears IRQ_EN: set_bit()/clear_bit() only, so that
 *	no side's read-modify-write undoes the other's bit
 * @irq_status: MC_IRQ_* raised by the device, cleared by the host
 * @cmd: opcode and payload length (in, then out)
 * @status: return code of the last command
 * @bg_status: background command status (MC_BGREG_*)
 * @event_status: a bit per event log holding records
 * @payload: input, then output, of a command
 */
struct mc_regs {
	unsigned long ctrl;
	unsigned long irq_status;
	u64 cmd;
	u64 status;
	u64 bg_status;
	u32 event_status;
	u8 payload[MC_PAYLOAD_MAX];
};

struct mc_host;

/* How the model garbles a reply (debugfs model_corrupt). */
enum mc_corrupt {
	MC_CORRUPT_NONE,
	MC_CORRUPT_LEN,		/* a length beyond the payload register */
	MC_CORRUPT_OPCODE,	/* the reply names another command */
	MC_CORRUPT_TRUNCATE,	/* the payload cut short */
	MC_CORRUPT_COUNT,	/* one record more than the payload holds */
	MC_NR_CORRUPT
};

/**
 * struct mc_model - the memory-device model behind a mailbox
 * @regs: its registers
 * @host: the driver that gets its interrupts
 * @fw: the firmware thread
 * @fw_wait: the firmware thread waits here for the doorbell
 * @irq: delivers interrupts to the host in hard-irq context
 * @lock: @poison, the event logs, @bg and @host_caps
 * @ops: opcodes it advertises (enum mc_op_idx bits)
 * @feats: features it advertises
 * @ppr_flags: MC_MFEAT_* of the soft and hard PPR features
 * @ppr_indicate: features (bits) the host enabled indications for
 * @host_caps: what the host said it handles
 * @capacity: media size
 * @base_pfn: first pfn of its media
 * @nid: the node the media is on
 * @bg: the background operation
 * @bg_maint: the Perform Maintenance running in the background
 * @bg_scan: the range Scan Media covers, dpa and lines
 * @scan: Scan Media results
 * @nr_scan: records in @scan
 * @poison: poisoned lines, dpa / 64 -> source
 * @nr_poison: entries in @poison
 * @log: the event logs, rings of MC_MODEL_LOG records
 * @log_first: oldest record of each log
 * @log_n: records in each log
 * @log_overflow: records each log dropped since the device was created,
 *	modulo 2^16; Get Event Records reports this running total
 * @log_overflow_told: the total the last Get Event Records reported
 * @next_handle: handle of the next record
 * @buf: the firmware's copy of a command's payload
 * @scratch: the firmware thread's scratch for the command it runs (records
 *	of an answer, handles of a request), kept off its stack
 * @cmd_latency_us: how long a foreground command takes
 * @ppr_latency_ms: how long a soft PPR takes, as its maintenance feature
 *	reports it (capped at 60 s when run)
 * @stall: the firmware stops answering (tests timeouts)
 * @corrupt: enum mc_corrupt, for the next Get Event Records or Get
 *	Poison List reply with a record in it (tests malformed replies)
 * @unadvertised: commands received that it did not advertise
 * @ppr_done: PPR operations completed, soft and hard
 * @spare_done: row sparing operations completed
 */
struct mc_model {
	struct mc_regs regs;
	struct mc_host *host;
	struct task_struct *fw;
	wait_queue_head_t fw_wait;
	struct irq_work irq;
	spinlock_t lock;
	u32 ops, feats;
	u8 ppr_flags[2];
	u32 host_caps;
	u8 ppr_indicate;
	u64 capacity;
	unsigned long base_pfn;
	int nid;
	struct mc_bg bg;
	struct mc_maint bg_maint;
	u64 bg_scan[2];
	struct mc_poison scan[MC_POISON_MAX];
	unsigned int nr_scan;
	struct xarray poison;
	unsigned int nr_poison;
	struct mc_event log[MC_NR_LOGS][MC_MODEL_LOG];
	unsigned int log_first[MC_NR_LOGS], log_n[MC_NR_LOGS];
	u16 log_overflow[MC_NR_LOGS], log_overflow_told[MC_NR_LOGS];
	u16 next_handle;
	u8 buf[MC_PAYLOAD_MAX];
	union {
		struct mc_event ev[MC_EVENTS_MAX];
		u16 handles[MC_CLEAR_MAX];
		struct mc_poison rec[MC_POISON_MAX];
	} scratch;
	u32 cmd_latency_us;
	u32 ppr_latency_ms;
	bool stall;
	u32 corrupt;
	atomic64_t unadvertised;
	atomic64_t ppr_done[2];
	atomic64_t spare_done;
};

/* Per-device counters (sysfs). */
enum mc_stat {
	MC_ST_INDICATIONS, MC_ST_OFFLINED, MC_ST_HARD_OFFLINED, MC_ST_EVACUATED,
	MC_ST_REPAIRED, MC_ST_SPARED, MC_ST_UNPOISONED, MC_ST_POISON_CLEARED, MC_ST_FAILED,
	MC_ST_COMMANDS, MC_ST_TIMEOUTS, MC_ST_ABORTS, MC_ST_UNSUPPORTED,
	MC_ST_MALFORMED, MC_ST_EVENTS_DROPPED, MC_ST_DMA_BLOCKED,
	MC_ST_OFFLINE_TIMEOUTS, MC_NR_STATS,
};

/* The host-initiated repair functions, after EDAC's mem_repairN. */
enum mc_repair_fn_id {
	MC_REPAIR_PPR,		/* mem_repair0: soft or hard PPR */
	MC_REPAIR_SPARE,	/* mem_repair1: row sparing */
	MC_NR_REPAIR_FNS
};

/**
 * struct mc_repair_fn - what the administrator set for one repair function
 * @dpa: the address, 64-byte aligned
 * @nibble: nibble mask, 0 for none
 * @hard: persist_mode: 1 permanent, 0 until the next reset
 */
struct mc_repair_fn {
	u64 dpa;
	u32 nibble;
	unsigned int hard;
};

/**
 * struct mc_host - the host driver of one device, /sys/class/maint_cmd/mcN
 * @dev: the class device
 * @cdev: /dev/maint_cmd/mcN
 * @id: N
 * @model: the device behind the mailbox
 * @regs: its mailbox
 * @simulated: memory_failure() is told the error is simulated
 * @host_mask: MC_HOST_* the host may offer (create's host_caps=)
 * @base_pfn: first pfn of the device's memory (its HDM range)
 * @capacity: bytes, from Identify
 * @media_pages: pages of its memory, as created
 * @media: in the list of every device's media (mc_hosts_lock); no two
 *	devices share a page, so each page has one device's lock and record
 * @nid: NUMA node of its memory
 * @ident: Identify's answer
 * @caps: what discovery found; read-only once the device is registered
 * @mbox_lock: one foreground command at a time
 * @bg_lock: one background command at a time
 * @mbox_done: the mailbox interrupt
 * @bg_done: the background-completion interrupt
 * @event_work: drains the event logs; again later if the mailbox failed
 * @acked: handles of records acted on, not yet cleared (@event_work's)
 * @nr_acked: entries in @acked, per log
 * @overflow_seen: the device's dropped-record total last read, per log
 * @bad_gets: malformed Get Event Records answers in a row, per log
 * @wq: runs the actions mc_host_actions_start() starts
 * @act_lock: @act_queue and @act_running
 * @act_queue: actions not yet started
 * @act_running: actions started and not ended, max_actions at most
 * @pending: actions queued or running
 * @dead: going away; no new command or action
 * @auto_repair: knob
 * @hard_repair: knob, repair_mode
 * @max_actions: knob
 * @use_irq: knob: interrupts, or polling the doorbell
 * @reported: DPAs (/64) the device reported this boot
 * @nr_reported: entries in @reported
 * @offlined: pfns this host took offline and has not put back; only
 *	these are ever unpoisoned. Lost with the device (destroy, rmmod)
 * @blocked: pfns whose DMA this host had iommu_migrate block, each
 *	counted once in dma_blocked; kept while the device exists
 * @ev_lock: the event ring
 * @ev_read_lock: one read() at a time takes records off the ring
 * @ring: the event ring
 * @ev_first: oldest record in @ring
 * @ev_n: records in @ring
 * @ev_seq: sequence number of the last record
 * @ev_lost: records dropped since the reader last got one
 * @ev_wait: readers wait here
 * @ev_open: the stream has its reader
 * @repair_lock: the mem_repairN attributes
 * @page_lock: actions and repairs of one page run one at a time (hashed)
 * @action_delay_ms: debugfs test hook: an action waits before evacuating
 * @offline_delay_ms: debugfs test hook: an action waits before its soft
 *	offline
 * @repair: mem_repair0 (PPR) and mem_repair1 (row sparing)
 * @stat: counters
 * @dbg: debugfs directory
 */
struct mc_host {
	struct device dev;
	struct cdev cdev;
	int id;
	struct mc_model *model;
	struct mc_regs *regs;
	bool simulated;
	u32 host_mask;
	unsigned long base_pfn;
	u64 capacity;
	unsigned long media_pages;
	struct list_head media;
	int nid;
	struct mc_identify ident;
	struct mc_caps caps;
	struct mutex mbox_lock;
	struct mutex bg_lock;
	struct completion mbox_done, bg_done;
	struct delayed_work event_work;
	u16 acked[MC_NR_LOGS][MC_EVENTS_MAX];
	u8 nr_acked[MC_NR_LOGS];
	u16 overflow_seen[MC_NR_LOGS];
	u8 bad_gets[MC_NR_LOGS];
	struct workqueue_struct *wq;
	spinlock_t act_lock;
	struct list_head act_queue;
	unsigned int act_running;
	atomic_t pending;
	bool dead;
	unsigned int auto_repair, hard_repair, max_actions, use_irq;
	struct xarray reported;
	atomic_t nr_reported;
	struct xarray offlined;
	struct xarray blocked;
	spinlock_t ev_lock;
	struct mutex ev_read_lock;
	struct maint_cmd_event *ring;
	unsigned int ev_first, ev_n;
	u64 ev_seq;
	u32 ev_lost;
	wait_queue_head_t ev_wait;
	atomic_t ev_open;
	struct mutex repair_lock;
	struct mc_repair_fn repair[MC_NR_REPAIR_FNS];
	struct mutex page_lock[1 << MC_PAGE_LOCK_BITS];
	u32 action_delay_ms;
	u32 offline_delay_ms;
	atomic64_t stat[MC_NR_STATS];
	struct dentry *dbg;
};

#define to_mc_host(d)	container_of(d, struct mc_host, dev)

/* Global knobs and counters: /sys/kernel/mm/maint_cmd/. */
extern unsigned int mc_cmd_timeout_ms, mc_bg_timeout_ms, mc_offline_timeout_ms;
extern unsigned int mc_max_pending;
extern atomic64_t mc_evac_iommu_migrate, mc_evac_absent;
extern atomic_t mc_nr_devices;
extern const char * const mc_stat_names[MC_NR_STATS];

/* model.c */
struct mc_model *mc_model_create(int nid, unsigned long first, unsigned long pages,
				 u32 ops, u32 feats, u8 offline_only);
void mc_model_start(struct mc_model *m, struct mc_host *h);
void mc_model_destroy(struct mc_model *m);
void mc_model_doorbell(struct mc_model *m);
int mc_model_inject_event(struct mc_model *m, const struct mc_event *ev);
void mc_model_debugfs(struct mc_model *m, struct dentry *dir);

/* mbox.c */
int mc_mbox_send(struct mc_host *h, u16 opcode, const void *in, size_t in_len,
		 void *out, size_t out_size, size_t *out_len);
void mc_host_irq(struct mc_host *h);

/* host.c */
int mc_host_create(struct mc_model *m, bool simulated, u32 host_mask);
int mc_host_destroy_id(int id);
void mc_host_actions_start(struct mc_host *h);
void mc_host_destroy_all(void);
int mc_host_repair(struct mc_host *h, enum mc_repair_fn_id fn,
		   const struct mc_repair_fn *r);
int mc_host_inject_poison(struct mc_host *h, u64 dpa, bool clear);
int mc_host_poison_list(struct mc_host *h);
int mc_host_scan_media(struct mc_host *h);
int mc_host_bg_status(struct mc_host *h, u16 *op, u8 *percent, bool *running,
		      u16 *rc);
void mc_host_event(struct mc_host *h, const struct maint_cmd_event *e);
extern const struct class mc_class;

/* sysfs.c */
extern const struct attribute_group *mc_dev_groups[];
int mc_sysfs_init(void);
void mc_sysfs_exit(void);
extern struct dentry *mc_debugfs;

/* cdev.c */
extern const struct file_operations mc_ev_fops;
extern dev_t mc_devt;
int mc_cdev_init(void);
void mc_cdev_exit(void);

#endif /* _MAINT_CMD_INTERNAL_H */
