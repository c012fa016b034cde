/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * iommu_migrate: migration of pages under live DMA, user ABI.
 *
 * /dev/iommu_migrate (root only) models an IOMMU with migration states
 * in its PTEs, a reverse map table (RMT) and a page migration engine
 * (PME). Each open file description holds its own IOMMU domains (I/O
 * page tables built with ptsel), emulated DMA engines and the buffer
 * mappings made through it; closing it stops the engines and tears the
 * domains down. IO buffers are separate file descriptors
 * (IOMMU_MIGRATE_IOC_BUF_CREATE), mmap-able by their owner, so a page
 * stays readable from the CPU while it moves. Reserved fields and
 * unknown flags must be zero. Limits come from the knobs in
 * /sys/kernel/mm/iommu_migrate/: max_domains and max_engines per open
 * file of the device (root may open it many times: no system-wide
 * total), max_buffer_mb per buffer (no total either), max_engine_rate
 * per engine.
 */
#ifndef _UAPI_LINUX_IOMMU_MIGRATE_H
#define _UAPI_LINUX_IOMMU_MIGRATE_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define IOMMU_MIGRATE_PAGE_SIZE		4096ULL

/* DMA permissions of a buffer mapping (struct iommu_migrate_map.prot) */
#define IOMMU_MIGRATE_PROT_READ		(1U << 0)
#define IOMMU_MIGRATE_PROT_WRITE	(1U << 1)

/* I/O page-table formats (struct iommu_migrate_domain.format), as ptsel's */
#define IOMMU_MIGRATE_FORMAT_RADIX	1
#define IOMMU_MIGRATE_FORMAT_HASH	2

/**
 * struct iommu_migrate_domain - create an IOMMU domain
 * @format: IOMMU_MIGRATE_FORMAT_*
 * @id: output: the domain's id in this file
 * @reserved: must be zero
 */
struct iommu_migrate_domain {
	__u32 format;
	__u32 id;
	__u64 reserved;
};

/**
 * struct iommu_migrate_buf - create an IO buffer
 * @size: bytes, a non-zero multiple of 4 KiB, at most max_buffer_mb
 * @node: NUMA node of its pages, or -1 for the caller's
 * @flags: must be zero
 *
 * Return of the ioctl: a new file descriptor (O_CLOEXEC) for the buffer.
 */
struct iommu_migrate_buf {
	__u64 size;
	__s32 node;
	__u32 flags;
};

/**
 * struct iommu_migrate_map - map a whole buffer into a domain, or unmap it
 * @buf_fd: the buffer's file descriptor
 * @domain: domain id
 * @iova: I/O virtual address of the buffer's first byte, 4 KiB aligned
 *	  (MAP); zero for UNMAP
 * @prot: IOMMU_MIGRATE_PROT_* (MAP, READ included); zero for UNMAP
 * @reserved: must be zero
 *
 * A buffer is mapped in at most one domain at a time: the RMT has one
 * owner per page.
 */
struct iommu_migrate_map {
	__s32 buf_fd;
	__u32 domain;
	__u64 iova;
	__u32 prot;
	__u32 reserved;
};

/* Access patterns of an emulated DMA engine */
#define IOMMU_MIGRATE_PATTERN_SEQ_WRITE	0	/* records, in slot order */
#define IOMMU_MIGRATE_PATTERN_READ_VERIFY 1	/* random slots, checked */
#define IOMMU_MIGRATE_PATTERN_MIXED	2	/* a write, then a check */
#define IOMMU_MIGRATE_NR_PATTERNS	3

/**
 * struct iommu_migrate_engine - start an emulated DMA engine
 * @domain: domain it translates through
 * @pattern: IOMMU_MIGRATE_PATTERN_*
 * @iova: first byte of its window, 64-byte aligned
 * @size: window length, a non-zero multiple of 64 bytes
 * @count: operations before it idles; 0: until stopped
 * @rate: operations per second at most; 0: as fast as it can
 * @id: output: the engine's id (also the @engine of its records)
 * @hold_us: a slow device: each access keeps its page in flight this
 *	     many microseconds, up to IOMMU_MIGRATE_MAX_HOLD_US; 0: none
 * @reserved: must be zero
 *
 * The window is an array of struct iommu_migrate_record slots. Writes
 * put the record with sequence number n in slot n % slots; checks read
 * a random slot and verify its checksum and placement.
 */
struct iommu_migrate_engine {
	__u32 domain;
	__u32 pattern;
	__u64 iova;
	__u64 size;
	__u64 count;
	__u32 rate;
	__u32 id;
	__u32 hold_us;
	__u32 reserved;
};

#define IOMMU_MIGRATE_MAX_HOLD_US	100000

#define IOMMU_MIGRATE_RECORD_MAGIC	0x494d4d52	/* "IMMR" */

/**
 * struct iommu_migrate_record - what a DMA engine writes, 64 bytes
 * @magic: IOMMU_MIGRATE_RECORD_MAGIC
 * @engine: id of the writer
 * @seq: sequence number, from 0 per engine
 * @iova: where the writer meant it to land
 * @data: iommu_migrate_record_data(@seq, i)
 * @pad: zero
 * @csum: iommu_migrate_record_csum() of the bytes before it
 */
struct iommu_migrate_record {
	__u32 magic;
	__u32 engine;
	__u64 seq;
	__u64 iova;
	__u64 data[4];
	__u32 pad;
	__u32 csum;
};

static inline __u64 iommu_migrate_record_data(__u64 seq, unsigned int i)
{
	return (seq + i + 1) * 0x9e3779b97f4a7c15ULL;
}

/* FNV-1a over everything but @csum. */
static inline __u32 iommu_migrate_record_csum(const struct iommu_migrate_record *r)
{
	const unsigned char *p = (const unsigned char *)r;
	__u32 h = 2166136261U;
	unsigned int i;

	for (i = 0; i < sizeof(*r) - sizeof(r->csum); i++)
		h = (h ^ p[i]) * 16777619U;
	return h;
}

#define IOMMU_MIGRATE_STALL_BUCKETS	40

/**
 * struct iommu_migrate_engine_stats - an engine's counters
 *
 * ENGINE_STATS reads them while the engine runs; ENGINE_STOP stops it
 * and returns the final ones.
 *
 * @id: the engine (input)
 * @running: 1 while it has operations left, 0 once idle or stopped
 * @ops: operations done
 * @writes: records written; the last one has sequence @writes - 1
 * @checks: records read and checked
 * @check_errors: records that failed a check (torn, misplaced; for a
 *		  mixed engine also stale: older than the last it wrote there)
 * @stalls: accesses that met a migrating PTE or RMT entry and waited,
 *	    each once however many wait rounds it took
 * @stall_ns: time spent waiting, every round summed
 * @faults: accesses refused (unmapped, blocked, no write permission)
 * @rmt_violations: accesses whose RMT entry disagreed with them
 * @refreshes: translations replaced after a move (ptsel lookup_update)
 * @stall_hist: stalled accesses by their whole wait: entry i counts
 *		those of less than 2^(i+1) ns (the last one, the longer
 *		ones too)
 */
struct iommu_migrate_engine_stats {
	__u32 id;
	__u32 running;
	__u64 ops;
	__u64 writes;
	__u64 checks;
	__u64 check_errors;
	__u64 stalls;
	__u64 stall_ns;
	__u64 faults;
	__u64 rmt_violations;
	__u64 refreshes;
	__u64 stall_hist[IOMMU_MIGRATE_STALL_BUCKETS];
};

/**
 * struct iommu_migrate_id - name a domain
 * @id: its id
 * @reserved: must be zero
 */
struct iommu_migrate_id {
	__u32 id;
	__u32 reserved;
};

/* Flags of struct iommu_migrate_migrate */
#define IOMMU_MIGRATE_MIGRATE_KEEP_COPY	(1U << 0)
#define IOMMU_MIGRATE_MIGRATE_INTERRUPTIBLE	(1U << 1)

/**
 * struct iommu_migrate_migrate - move buffer pages to a NUMA node
 * @buf_fd: the buffer
 * @node: destination node
 * @offset: first byte, 4 KiB aligned
 * @size: length, a non-zero multiple of 4 KiB inside the buffer
 * @moved: output: pages moved
 * @aborted: output: pages left where they were (allocation failure,
 *	     drain timeout); devices went on using them
 * @already: output: pages already on @node
 * @flags: IOMMU_MIGRATE_MIGRATE_KEEP_COPY: keep each moved page's old
 *	   frame as a copy of it. A later move of the page back to that
 *	   copy's node switches to the copy without copying again when
 *	   neither a device (the dirty bit of its I/O PTE) nor the CPU
 *	   wrote the page since. The copies cost memory; an unmap of the
 *	   buffer, an evacuation of their frames or a move without the
 *	   flag frees them. Only for pages mapped in a domain of the
 *	   model.
 *	   IOMMU_MIGRATE_MIGRATE_INTERRUPTIBLE: any signal cancels the
 *	   request, not only a fatal one (see below).
 *	   Other bits: EINVAL.
 * @reserved: must be zero
 *
 * Runs on the PME kthread, in batches of pme_batch_pages (the edu
 * device's buffer: page by page in the caller's context); the call
 * waits for it. A fatal signal cancels what has not started. Other
 * signals do not: a runtime that signals its threads all the time (Go's
 * preemption with SIGURG, profilers' SIGPROF) does not see requests cut
 * short, and the handler runs once the call returns. With
 * IOMMU_MIGRATE_MIGRATE_INTERRUPTIBLE any signal cancels what has not
 * started. A cancelled call returns -EINTR (it is not restarted, even
 * with SA_RESTART) with the counts set: they say how far it got.
 *
 * Without IOMMU_MIGRATE_MIGRATE_INTERRUPTIBLE, the calling task sleeps
 * in D state while it waits (uninterruptible in ps and /proc/PID/stat)
 * and counts in the load average, as any task waiting for I/O does;
 * with it, the PME path sleeps in S state. A request does not hold up suspend or
 * hibernation: the task is frozen where it waits (the edu device's
 * buffer: between two pages, without the device's lock), the PME goes
 * on, and the call returns its full counts after the thaw. With
 * IOMMU_MIGRATE_MIGRATE_INTERRUPTIBLE the freezer's wakeup may count
 * as a signal and cancel the rest (-EINTR), as for other interruptible
 * calls; without the flag it never does.
 */
struct iommu_migrate_migrate {
	__s32 buf_fd;
	__s32 node;
	__u64 offset;
	__u64 size;
	__u64 moved;
	__u64 aborted;
	__u64 already;
	__u32 flags;
	__u32 reserved;
};

/**
 * struct iommu_migrate_evacuate - move every domain-mapped page out of
 *				   a physical range
 * @start_pfn: first page frame
 * @nr_pages: frames, non-zero
 * @node: destination node, or -1 for any
 * @reserved: must be zero
 * @mapped: output: mapped pages found in the range
 * @moved: output: pages this call moved out
 * @failed: output: pages still in the range
 *
 * The other @mapped - @moved - @failed pages had left the range by other
 * means (another request moved them) before this call reached them.
 * Destinations are never taken from the range; the call sets aside at
 * most 1024 pages of the range that the allocator hands out (per path:
 * model domains, edu device), then a page that gets only those fails.
 * ENOSPC, before anything is done: @node (with -1, every node with
 * memory) lies wholly inside the range.
 *
 * No signal cancels an evacuation, a fatal one neither: maint_cmd's
 * repair needs the pages out, and the request is bounded by the range.
 */
struct iommu_migrate_evacuate {
	__u64 start_pfn;
	__u64 nr_pages;
	__s32 node;
	__u32 reserved;
	__u64 mapped;
	__u64 moved;
	__u64 failed;
};

/* Flags of struct iommu_migrate_page */
#define IOMMU_MIGRATE_PAGE_CLEAR_AD	(1U << 0)	/* in */
#define IOMMU_MIGRATE_PAGE_DEV_MAPPED	(1U << 1)	/* out */

/* Bits of iommu_migrate_page.ad: what devices did since the last clear */
#define IOMMU_MIGRATE_AD_ACCESSED	(1U << 0)
#define IOMMU_MIGRATE_AD_DIRTY		(1U << 1)

/**
 * struct iommu_migrate_page - where one buffer page is now
 * @buf_fd: the buffer
 * @flags: in: IOMMU_MIGRATE_PAGE_CLEAR_AD: clear the accessed and dirty
 *	   bits of the page's I/O PTE after reading them into @ad;
 *	   out: IOMMU_MIGRATE_PAGE_DEV_MAPPED is added if a device's
 *	   domain maps the frame (a domain of the model, or the edu
 *	   device's), as the in-kernel iommu_migrate_pfn_mapped() says;
 *	   it is ignored on input
 * @index: page index in the buffer
 * @pfn: output: its frame
 * @node: output: its NUMA node
 * @state: output: its RMT state (0 normal, 1 migrating, 2 blocked;
 *	   -1 if the buffer is not mapped)
 * @ad: output: IOMMU_MIGRATE_AD_* of its I/O PTE: a device read or
 *	wrote the page (ACCESSED), or wrote it (DIRTY), since the bits
 *	were last cleared or the buffer mapped; moves keep them. 0 if
 *	the buffer is not mapped in a domain of the model.
 * @reserved: must be zero
 */
struct iommu_migrate_page {
	__s32 buf_fd;
	__u32 flags;
	__u64 index;
	__u64 pfn;
	__s32 node;
	__s32 state;
	__u32 ad;
	__u32 reserved;
};

/**
 * struct iommu_migrate_probe - one DMA access to an explicit frame
 * @domain: domain the access claims to come from
 * @reserved: must be zero
 * @iova: address the access claims to translate
 * @pfn: frame it goes to (a stale or forged translation)
 *
 * The RMT check alone decides: 0 if the RMT entry of @pfn agrees
 * (nothing is read or written), -EFAULT and an rmt_violation if not.
 */
struct iommu_migrate_probe {
	__u32 domain;
	__u32 reserved;
	__u64 iova;
	__u64 pfn;
};

/**
 * struct iommu_migrate_stats - the module's counters (as in sysfs)
 * @pages_migrated: pages the PME switched to a new frame
 * @bytes_migrated: their bytes
 * @dma_stalls: device accesses that waited on a migrating page (each
 *	        once, however many wait rounds it took)
 * @dma_stall_ns: time they waited, every round summed
 * @rmt_violations: device accesses the RMT refused
 * @migrations_aborted: page migrations given up (old page kept)
 * @alloc_failures: destination allocations that failed
 * @drain_timeouts: pages whose accesses did not drain in time
 * @blocked_hist: per device-mapped page migrated, how long its IOMMU
 *		  PTE said "migrating" (no device could access it): from
 *		  the mark to the release, in log2 buckets of ns as
 *		  @stall_hist of struct iommu_migrate_engine_stats
 * @copies_skipped: moves that skipped the copy (a clean kept copy)
 * @copies_kept: old frames kept as copies now
 * @precopies_redone: pre-copies made again in the migrating window
 * @pinned_aborts: moves given up because the page may be pinned
 *		   through its CPU mapping (also in @migrations_aborted)
 * @size: out: the bytes of this structure the kernel filled in, i.e.
 *	  the size of its own struct iommu_migrate_stats (a caller's
 *	  larger struct gets zeros past it)
 * @reserved: zero
 *
 * The structure grows at its end. IOMMU_MIGRATE_IOC_STATS encodes the
 * caller's size (_IOC_SIZE()); the kernel fills in what fits in it:
 * the fields up to @blocked_hist (IOMMU_MIGRATE_STATS_SIZE_V1 bytes,
 * the first version, which has no @size) at least. A size below that,
 * or not a multiple of 8: -EINVAL.
 */
struct iommu_migrate_stats {
	__u64 pages_migrated;
	__u64 bytes_migrated;
	__u64 dma_stalls;
	__u64 dma_stall_ns;
	__u64 rmt_violations;
	__u64 migrations_aborted;
	__u64 alloc_failures;
	__u64 drain_timeouts;
	__u64 blocked_hist[IOMMU_MIGRATE_STALL_BUCKETS];
	/* Since the second version. */
	__u64 copies_skipped;
	__u64 copies_kept;
	__u64 precopies_redone;
	__u64 pinned_aborts;
	__u32 size;
	__u32 reserved;
};

/* The size of the first version of struct iommu_migrate_stats. */
#define IOMMU_MIGRATE_STATS_SIZE_V1	(8 * (8 + IOMMU_MIGRATE_STALL_BUCKETS))

/*
 * The real device: QEMU's "edu" PCI device (1234:11e8) behind the
 * machine's real IOMMU (intel-iommu), driven by the iommu_migrate_edu
 * PCI driver of this module. The driver binds only where the
 * administrator asks for it, through driver_override (see
 * Documentation/admin-guide/iommu_migrate.rst). It gives the device an
 * IOMMU domain of its own and maps an IO buffer there; the device then
 * writes struct iommu_migrate_record records into the buffer with its
 * DMA engine. IOMMU_MIGRATE_IOC_MIGRATE on that buffer moves its pages
 * with the same protocol as the model's, the driver being the device's
 * side of it: new DMA commands to the page are held, the one in flight
 * drains, the page is copied, the IOVA is switched with iommu_unmap()
 * and iommu_map(), and the held commands resume.
 */

/* IOVAs the buffer may use: edu's DMA engine has 28 address bits. */
#define IOMMU_MIGRATE_EDU_IOVA_MIN	0x100000ULL
#define IOMMU_MIGRATE_EDU_IOVA_END	0x10000000ULL
/* The @engine of the records the edu device writes. */
#define IOMMU_MIGRATE_EDU_ENGINE	0xed0

/**
 * struct iommu_migrate_edu - start the edu device on a buffer
 * @buf_fd: the buffer; not mapped in a domain of the model
 * @flags: must be zero
 * @iova: where the buffer goes in the device's IOMMU domain: 4 KiB
 *	  aligned, the whole buffer in [IOMMU_MIGRATE_EDU_IOVA_MIN,
 *	  IOMMU_MIGRATE_EDU_IOVA_END)
 * @count: records to write, from 1 to the buffer's slots (size / 64):
 *	   the record with sequence n goes to slot n, so each slot is
 *	   written once and a lost write stays visible
 * @reserved: must be zero
 *
 * One session per device; the file that started it owns it until
 * IOMMU_MIGRATE_IOC_EDU_STOP or its release. Return of the ioctl: 0;
 * -ENODEV if no edu device is bound to the driver; -EBUSY if a session
 * runs or the buffer is mapped in a model domain; -EINVAL for a bad
 * request.
 */
struct iommu_migrate_edu {
	__s32 buf_fd;
	__u32 flags;
	__u64 iova;
	__u64 count;
	__u64 reserved;
};

/**
 * struct iommu_migrate_edu_stats - the edu session's counters
 * @running: 1 while records are left to write
 * @refused: record writes the driver refused because their page is
 *	     blocked (iommu_migrate_block(), lost data): never issued
 * @written: records the device wrote (their DMA completed)
 * @dma_ops: DMA commands completed: record writes and the loads of the
 *	     device's buffer that precede them
 * @stalls: commands held because their page was migrating
 * @stall_ns: time they were held
 * @migrated: pages moved under the device
 * @aborted: page moves given up (the device went on with the old page)
 * @dma_errors: commands the device did not complete in time; the
 *		session stops at the first
 */
struct iommu_migrate_edu_stats {
	__u32 running;
	__u32 refused;
	__u64 written;
	__u64 dma_ops;
	__u64 stalls;
	__u64 stall_ns;
	__u64 migrated;
	__u64 aborted;
	__u64 dma_errors;
};

#define IOMMU_MIGRATE_IOC_MAGIC		0xB9
#define IOMMU_MIGRATE_IOC_DOMAIN_CREATE	_IOWR(IOMMU_MIGRATE_IOC_MAGIC, 0x01, struct iommu_migrate_domain)
#define IOMMU_MIGRATE_IOC_DOMAIN_DESTROY _IOW(IOMMU_MIGRATE_IOC_MAGIC, 0x02, struct iommu_migrate_id)
#define IOMMU_MIGRATE_IOC_BUF_CREATE	_IOW(IOMMU_MIGRATE_IOC_MAGIC, 0x03, struct iommu_migrate_buf)
#define IOMMU_MIGRATE_IOC_MAP		_IOW(IOMMU_MIGRATE_IOC_MAGIC, 0x04, struct iommu_migrate_map)
#define IOMMU_MIGRATE_IOC_UNMAP		_IOW(IOMMU_MIGRATE_IOC_MAGIC, 0x05, struct iommu_migrate_map)
#define IOMMU_MIGRATE_IOC_ENGINE_START	_IOWR(IOMMU_MIGRATE_IOC_MAGIC, 0x06, struct iommu_migrate_engine)
#define IOMMU_MIGRATE_IOC_ENGINE_STOP	_IOWR(IOMMU_MIGRATE_IOC_MAGIC, 0x07, struct iommu_migrate_engine_stats)
#define IOMMU_MIGRATE_IOC_ENGINE_STATS	_IOWR(IOMMU_MIGRATE_IOC_MAGIC, 0x08, struct iommu_migrate_engine_stats)
#define IOMMU_MIGRATE_IOC_MIGRATE	_IOWR(IOMMU_MIGRATE_IOC_MAGIC, 0x09, struct iommu_migrate_migrate)
#define IOMMU_MIGRATE_IOC_EVACUATE	_IOWR(IOMMU_MIGRATE_IOC_MAGIC, 0x0a, struct iommu_migrate_evacuate)
#define IOMMU_MIGRATE_IOC_PAGE		_IOWR(IOMMU_MIGRATE_IOC_MAGIC, 0x0b, struct iommu_migrate_page)
#define IOMMU_MIGRATE_IOC_PROBE		_IOW(IOMMU_MIGRATE_IOC_MAGIC, 0x0c, struct iommu_migrate_probe)
#define IOMMU_MIGRATE_IOC_STATS		_IOR(IOMMU_MIGRATE_IOC_MAGIC, 0x0d, struct iommu_migrate_stats)
#define IOMMU_MIGRATE_IOC_EDU_START	_IOW(IOMMU_MIGRATE_IOC_MAGIC, 0x0e, struct iommu_migrate_edu)
#define IOMMU_MIGRATE_IOC_EDU_STOP	_IOR(IOMMU_MIGRATE_IOC_MAGIC, 0x0f, struct iommu_migrate_edu_stats)
#define IOMMU_MIGRATE_IOC_EDU_STATS	_IOR(IOMMU_MIGRATE_IOC_MAGIC, 0x10, struct iommu_migrate_edu_stats)

#endif /* _UAPI_LINUX_IOMMU_MIGRATE_H */
