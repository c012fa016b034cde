/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iommu_migrate: state shared by the kernel glue (domain.c, engine.c,
 * pme.c, main.c) and the ABI files (dev.c, sysfs.c).
 *
 * Locking, outermost first: imm_ctx.lock (a file's domains and
 * engines), imm_buf.lock (a buffer's pages, its mapping and its RMT
 * entries; the PME holds it for a whole batch), then ptsel's partition
 * lock inside ptsel calls. Devices (engine kthreads) take none of
 * these: they translate through a ptsel walker and check the RMT under
 * RCU, holding the entry's in-flight count for the access itself. The
 * PTE exchanges of the PME's window, and the devices' A/D updates, take
 * ptsel's leaf exchange spinlock instead of its partition lock while no
 * update of the domain runs (ptsel_partition_leaf_try_cmpxchg()).
 */
#ifndef _IMM_INTERNAL_H
#define _IMM_INTERNAL_H

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/idr.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/xarray.h>
#include <linux/iommu_migrate.h>

#include <memvirt/iommu_migrate.h>
#include <memvirt/ptsel.h>

#include "imm_core.h"

#define IMM_MAX_BATCH	512

/* Knobs (sysfs.c) */
extern unsigned int imm_pme_batch_pages;
extern unsigned int imm_max_drain_wait_ms;
extern unsigned int imm_max_engines;
extern unsigned int imm_max_domains;
extern unsigned int imm_max_buffer_mb;
extern unsigned int imm_max_engine_rate;
extern unsigned int imm_dma_retry_poll_us;
/* dma_retry_poll_us: its default and its largest value (engine.c). */
#define IMM_DMA_RETRY_POLL_US		50
#define IMM_MAX_DMA_RETRY_POLL_US	1000
/* Test hooks in debugfs (sysfs.c), not production knobs. */
extern unsigned int imm_fail_next_allocs;
extern unsigned int imm_edu_copy_delay_ms;
extern unsigned int imm_precopy_delay_ms;
extern unsigned int imm_retry_poll_unbounded;
/* debugfs fault_delay_us: the test hook of buf_fault() (domain.c). */
extern u32 imm_fault_delay_us;
#define IMM_MAX_FAULT_DELAY_US	100000

/* Counters (sysfs.c shows them, IOMMU_MIGRATE_IOC_STATS copies them) */
struct imm_counters {
	atomic64_t pages_migrated, bytes_migrated, dma_stalls, dma_stall_ns;
	atomic64_t rmt_violations, migrations_aborted, alloc_failures;
	atomic64_t drain_timeouts, copies_skipped, copies_kept;
	atomic64_t precopies_redone, pinned_aborts;
	atomic64_t dma_stall_polls, dma_stall_sleeps;
	atomic64_t blocked_hist[IOMMU_MIGRATE_STALL_BUCKETS];
};
extern struct imm_counters imm_stats;

/**
 * struct imm_rmt_ent - one RMT entry: a host page a domain maps
 * @r: the checked fields; written by the PME and map/unmap under the
 *     buffer's lock (imm_rmt_publish()), read by devices locklessly
 * @inflight: device accesses to the page in progress
 * @writes: device writes to the page, counted after their data; the
 *	    PME's pre-copy is current while it does not change
 * @buf: the buffer the page belongs to
 * @idx: its index there
 * @released_ns: ktime (ns) at which the PME released the devices that
 *		 waited for this entry's page (the move that made it, or an
 *		 aborted one); written just before the release, read by devices
 *		 for their wait_hist only
 * @ret: what it mapped before a move or an unmap retired it (it then has
 *	 no owner); written before the unowned fields are published
 *	 (imm_rmt_set_retired()), read by devices locklessly
 * @dead: retired by a move: on the PME's list until a grace period
 *	  passed, when it leaves the RMT (pme_reap()); the PME's only
 * @dead_pfn: the frame it stays at in the RMT until then
 * @dead_page: the old page, whose reference it drops then (its own, also
 *	       while the page is kept as a copy)
 * @dead_gp: the RCU state at its retirement
 * @retired: set once it is on that list; a new entry for the frame
 *	     may take its place (imm_rmt_insert())
 * @rcu: freed after a grace period: devices look entries up under RCU
 */
struct imm_rmt_ent {
	struct imm_rmt r;
	atomic_t inflight;
	atomic_t writes;
	struct imm_buf *buf;
	unsigned long idx;
	u64 released_ns;
	struct imm_retired ret;
	struct list_head dead;
	unsigned long dead_pfn;
	struct page *dead_page;
	unsigned long dead_gp;
	bool retired;
	struct rcu_head rcu;
};

/* The RMT: page frame number -> struct imm_rmt_ent. */
extern struct xarray imm_rmt_xa;

/**
 * struct imm_copy - a buffer page's kept copy (IOMMU_MIGRATE_MIGRATE_KEEP_COPY)
 * @page: a frame with the page's contents as of its last copy, or NULL;
 *	  valid while neither a device nor the CPU wrote the page since
 * @ad: dirty bits the PME took from the page's PTE for its own
 *	tracking, still reported by IOMMU_MIGRATE_IOC_PAGE
 */
struct imm_copy {
	struct page *page;
	u32 ad;
};

/* Kept copies: page frame number -> struct imm_buf, for evacuations. */
extern struct xarray imm_copy_xa;

void imm_rmt_publish(struct imm_rmt_ent *e, const struct imm_rmt *val);
void imm_rmt_snapshot(struct imm_rmt_ent *e, struct imm_rmt *val);

/**
 * struct imm_domain - an IOMMU domain: I/O page tables and an owner id
 * @ref: the file's, and one per engine and per mapped buffer
 * @id: RMT owner id, unique among the live domains, never 0, taken
 *	cyclically from 1 to U32_MAX
 * @part: the I/O page tables (a ptsel partition)
 */
struct imm_domain {
	struct kref ref;
	u32 id;
	struct ptsel_partition *part;
};

/**
 * struct imm_buf - a module-owned IO buffer
 * @ref: its file's, the mapping's, and one per queued PME item
 * @lock: protects @pages, @rmt, @dom, @iova and @prot
 * @mapping: its file's address space: CPU mappings to zap on a move
 * @nid: node it was created on
 * @nr_pages: size in pages
 * @pages: the pages
 * @rmt: while mapped, each page's RMT entry
 * @dom: domain it is mapped in, or NULL
 * @iova: where
 * @prot: PTSEL_PROT_* of the mapping
 * @edu: the edu device's session that maps it, or NULL (edu.c); it
 *	 and a domain of the model exclude each other
 * @copies: per page, its kept copy; NULL until the first move that keeps
 * @rcu: freed after a grace period: evacuations find it in imm_copy_xa
 */
struct imm_buf {
	struct kref ref;
	struct mutex lock;
	struct address_space *mapping;
	int nid;
	unsigned long nr_pages;
	struct page **pages;
	struct imm_rmt_ent **rmt;
	struct imm_domain *dom;
	u64 iova;
	u32 prot;
	struct imm_edu *edu;
	struct imm_copy *copies;
	struct rcu_head rcu;
};

/**
 * struct imm_engine - an emulated DMA engine
 * @ctx_id: id in its file
 * @dom: domain it translates through (a reference)
 * @walker: its IOTLB (a ptsel walker switched to @dom's partition)
 * @task: its kthread
 * @pattern: IOMMU_MIGRATE_PATTERN_*
 * @rate: operations per second at most, 0 for no limit
 * @hold_us: a slow device: each access stays in flight this long after
 *	     its data is copied, asleep (the hold_access hook applies to
 *	     engines with a non-zero @hold_us only)
 * @base: IOVA of its window
 * @slots: records in the window
 * @count: operations before it idles, 0 for never
 * @gen: generation of its translations (ptsel lookup_update)
 * @st: its counters, written by the kthread only
 */
struct imm_engine {
	u32 ctx_id;
	struct imm_domain *dom;
	struct ptsel_walker *walker;
	struct task_struct *task;
	u32 pattern, rate, hold_us;
	u64 base, slots, count;
	u64 gen;
	struct iommu_migrate_engine_stats st;
};

/**
 * struct imm_ctx - one open file of /dev/iommu_migrate
 * @lock: protects the idrs and the counts
 * @domains: id -> struct imm_domain
 * @engines: id -> struct imm_engine
 * @bufs: mapped buffers (each with a reference), for teardown
 */
struct imm_ctx {
	struct mutex lock;
	struct idr domains;
	struct idr engines;
	struct xarray bufs;
};

/* domain.c */
struct imm_domain *imm_domain_create(u32 format);
void imm_domain_set_next_id(u32 id);
void imm_domain_put(struct imm_domain *d);
void imm_domain_exit(void);
int imm_buf_create(const struct iommu_migrate_buf *req);
struct imm_buf *imm_buf_from_fd(int fd);
void imm_buf_put(struct imm_buf *b);
void imm_buf_zap(struct imm_buf *b, unsigned long idx);
int imm_buf_map(struct imm_buf *b, struct imm_domain *d, u64 iova, u32 prot);
int imm_buf_unmap(struct imm_buf *b, struct imm_domain *d);
int imm_buf_page(struct imm_buf *b, struct iommu_migrate_page *pg);
int imm_probe(struct imm_domain *d, u64 iova, u64 pfn);
void imm_copy_drop(struct imm_buf *b, unsigned long idx);
void imm_copies_evacuate(unsigned long lo, unsigned long hi);

/* engine.c */
struct imm_engine *imm_engine_start(struct imm_domain *d,
				    const struct iommu_migrate_engine *req,
				    u32 id);
void imm_engine_stop(struct imm_engine *e,
		     struct iommu_migrate_engine_stats *st);
void imm_engine_stats(struct imm_engine *e,
		      struct iommu_migrate_engine_stats *st);
extern wait_queue_head_t imm_release_wq;
extern wait_queue_head_t imm_drain_wq;
extern atomic64_t imm_release_seq;
extern atomic64_t imm_move_seq;

/* The debugfs hold_access test hook's states (engine.c). */
enum {
	IMM_HOLD_OFF,
	IMM_HOLD_ARMED,
	IMM_HOLD_HELD,
};
extern atomic_t imm_hold_access;
u64 imm_rmt_retire(void);
void imm_rmt_set_retired(struct imm_rmt_ent *e, const struct imm_rmt *was,
			 u64 seq);
void imm_rmt_wait_idle(struct imm_rmt_ent *e);

/**
 * struct imm_dest - where a request's pages go
 * @nid: destination node, NUMA_NO_NODE for any
 * @any_nid: with @nid NUMA_NO_NODE: the node to allocate on, once the
 *	     allocator's preferred one handed out a page of the range
 *	     (NUMA_NO_NODE until then)
 * @avoid_lo: evacuation: first frame the pages must leave
 * @avoid_hi: evacuation: end of that range (0: not an evacuation)
 * @rejects: evacuation: pages in the range the allocator offered
 * @nr_rejects: how many
 */
struct imm_dest {
	int nid, any_nid;
	unsigned long avoid_lo, avoid_hi;
	struct list_head rejects;
	unsigned long nr_rejects;
};

/* The most pages of its range one evacuation sets aside: 4 MiB. */
#define IMM_MAX_REJECTS	1024

/* pme.c */
void imm_dest_init(struct imm_dest *d, int nid, unsigned long avoid_lo,
		   unsigned long avoid_hi);
bool imm_dest_avoids(const struct imm_dest *d, struct page *page);
bool imm_dest_wanted(const struct imm_dest *d, struct page *page);
bool imm_dest_possible(const struct imm_dest *d);
struct page *imm_alloc_dest(struct imm_dest *d);
void imm_dest_release(struct imm_dest *d);
int imm_rmt_insert(unsigned long pfn, struct imm_rmt_ent *e,
		   struct imm_rmt_ent **gave_way);
int imm_pme_start(void);
void imm_pme_stop(void);
int imm_migrate(struct imm_buf *b, struct iommu_migrate_migrate *req);
int imm_copy_baseline_ns(u64 *ns);
#if IS_ENABLED(CONFIG_KUNIT)
int imm_block_entry(struct imm_buf *b, struct imm_rmt_ent *e);
#endif

/* edu.c: QEMU's edu device behind a real IOMMU */
int imm_edu_init(void);
void imm_edu_exit(void);
long imm_edu_ioctl(void *owner, unsigned int cmd, void __user *argp);
void imm_edu_release(void *owner);
int imm_edu_migrate(struct imm_buf *b, struct iommu_migrate_migrate *req);
void imm_edu_evacuate(struct imm_dest *d, unsigned long *mapped,
		      unsigned long *moved, unsigned long *failed);
bool imm_edu_pfn_mapped(unsigned long pfn);
int imm_edu_block(unsigned long pfn);
bool imm_page_pinned(struct page *page);

/* dev.c, sysfs.c */
int imm_dev_init(void);
void imm_dev_exit(void);
int imm_sysfs_init(void);
void imm_sysfs_exit(void);

#endif /* _IMM_INTERNAL_H */
