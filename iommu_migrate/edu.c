// SPDX-License-Identifier: GPL-2.0
/*
 * iommu_migrate glue: a real device behind a real IOMMU. QEMU's "edu"
 * PCI device (1234:11e8) has a DMA engine that copies between a 4 KiB
 * buffer of its own (device address 0x40000) and RAM, one command at a
 * time, each completing 100 ms of virtual time after it was issued.
 * Behind QEMU's intel-iommu its DMA addresses are IOVAs.
 *
 * The driver gives the device an IOMMU domain the module owns
 * (iommu_paging_domain_alloc(), iommu_attach_device()) and maps a
 * module IO buffer there (iommu_map()). A session kthread, the
 * device's side, makes the device write sequence-numbered records into
 * the buffer: it fills a staging page with the next records, has the
 * device load them into its own buffer, then issues one DMA per record
 * to the record's slot in the IO buffer.
 *
 * A page of that buffer moves with the model's protocol (pme.c), the
 * driver standing in for the RMT and the IOTLB:
 *   1. hold: the session issues no new command to the page;
 *   2. drain: wait until the command in flight, if it targets the
 *      page, has completed;
 *   3. copy the page to the destination node;
 *   4. switch the IOVA: iommu_unmap() (which flushes the IOTLB) and
 *      iommu_map() of the new page;
 *   5. resume: the held commands go on, translated to the new page.
 *
 * A page whose data is lost (iommu_migrate_block(), for maint_cmd) is
 * blocked the same way: held, drained, its IOVA unmapped, and from
 * then on every command to it is refused by the driver (counted in
 * the session's refused count) instead of being issued to a device
 * that would write poisoned memory or, through the unmapped IOVA,
 * fault in the IOMMU. A block does not wait behind a migration
 * request: it marks the page first (@blocking), which makes a move of
 * that page in progress give up before its copy or its switch, and a
 * request lets it in between two of its pages.
 *
 * The driver has no ID table: it binds only to a device whose
 * driver_override names it, so loading the module never takes an edu
 * device away from anyone. One device is driven at a time.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/err.h>
#include <linux/freezer.h>
#include <linux/highmem.h>
#include <linux/interrupt.h>
#include <linux/iommu.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/nodemask.h>
#include <linux/pci.h>
#include <linux/slab.h>

#include "imm_internal.h"
#include "trace.h"

#define EDU_VENDOR		0x1234
#define EDU_DEVICE		0x11e8
#define EDU_ID			0x00		/* 0x010000edu, major.minor.edu */
#define EDU_IRQ_STATUS		0x24
#define EDU_IRQ_ACK		0x64
#define EDU_DMA_SRC		0x80
#define EDU_DMA_DST		0x88
#define EDU_DMA_CNT		0x90
#define EDU_DMA_CMD		0x98
#define EDU_CMD_RUN		0x1
#define EDU_CMD_TO_RAM		0x2		/* else from RAM to the device */
#define EDU_CMD_IRQ		0x4
#define EDU_IRQ_DMA		0x100
#define EDU_BUF			0x40000ULL	/* its buffer, device side */
#define EDU_BUF_SIZE		4096

/* The staging page's IOVA: below every buffer (IOMMU_MIGRATE_EDU_IOVA_MIN). */
#define EDU_STAGE_IOVA		0x1000ULL
/* A command completes after 100 ms of virtual time; allow for TCG. */
#define EDU_CMD_TIMEOUT_MS	5000

/**
 * struct imm_edu - one bound edu device
 * @ref: the driver's while bound, one per user (edu_get())
 * @pdev: the device
 * @mmio: its registers (BAR 0); NULL once unbound
 * @dom: its IOMMU domain, owned by the module
 * @stage: the staging page, mapped at EDU_STAGE_IOVA
 * @irq: its MSI, or 0 to poll
 * @irq_wq: woken by the interrupt
 * @mutex: the session: @buf, @iova, @owner, @task, the page moves;
 *	   taken for one page move at a time
 * @buf: the IO buffer of the session, or NULL
 * @iova: where @buf is mapped
 * @owner: the file that started the session
 * @task: the session kthread
 * @count: records to write
 * @lock: protects @hold and @blocking
 * @hold: the page of @buf held for a move and the page the command in
 *	  flight writes to (the core's imm_hold_*)
 * @wq: waits for @hold to change
 * @running: records are left to write
 * @moves: page moves so far: the generation of the switch tracepoint
 * @blocked: the session's pages blocked by imm_edu_block(), one bit
 *	     per page of @buf; set under @mutex and @lock, read under
 *	     either
 * @blocking: pages imm_edu_block() was asked to block and has not
 *	      blocked yet, one bit per page of @buf: a move of one gives
 *	      up; set and cleared under @lock, freed (with @blocked) under
 *	      @mutex and @lock
 * @blocks_waiting: imm_edu_block() calls waiting for @mutex: a
 *		    request of many pages lets them in between two pages
 * @session: sessions started so far; changes under @mutex and @lock
 * @st: the session's counters
 */
struct imm_edu {
	struct kref ref;
	struct pci_dev *pdev;
	void __iomem *mmio;
	struct iommu_domain *dom;
	struct page *stage;
	int irq;
	wait_queue_head_t irq_wq;
	struct mutex mutex;
	struct imm_buf *buf;
	u64 iova;
	void *owner;
	struct task_struct *task;
	u64 count;
	spinlock_t lock;
	struct imm_hold hold;
	wait_queue_head_t wq;
	bool running;
	u64 moves;
	unsigned long *blocked;
	unsigned long *blocking;
	atomic_t blocks_waiting;
	u64 session;
	struct {
		atomic64_t written, dma_ops, stalls, stall_ns;
		atomic64_t migrated, aborted, dma_errors, refused;
	} st;
};

static DEFINE_MUTEX(edu_lock);	/* protects edu_dev */
static struct imm_edu *edu_dev;

/*
 * The frames of the session's buffer that the device's domain maps,
 * each with its page index, for iommu_migrate_pfn_mapped() in any
 * context. A frame is in it from before its iommu_map() until after
 * its iommu_unmap(). The staging page, the driver's own, is not.
 */
static DEFINE_XARRAY(edu_pfns);

/**
 * imm_edu_pfn_mapped() - does the edu device's domain map a buffer frame?
 * @pfn: the frame
 *
 * Context: any context.
 * Return: true if @pfn is a page of the session's buffer.
 */
bool imm_edu_pfn_mapped(unsigned long pfn)
{
	return xa_load(&edu_pfns, pfn) != NULL;
}

/* Forget the first @n frames of @b (its lock held). */
static void edu_pfns_erase(struct imm_buf *b, unsigned long n)
{
	unsigned long i;

	lockdep_assert_held(&b->lock);
	for (i = 0; i < n; i++)
		xa_erase(&edu_pfns, page_to_pfn(b->pages[i]));
}

static void edu_free(struct kref *ref)
{
	kfree(container_of(ref, struct imm_edu, ref));
}

static struct imm_edu *edu_get(void)
{
	struct imm_edu *e;

	mutex_lock(&edu_lock);
	e = edu_dev;
	if (e)
		kref_get(&e->ref);
	mutex_unlock(&edu_lock);
	return e;
}

static void edu_put(struct imm_edu *e)
{
	kref_put(&e->ref, edu_free);
}

static irqreturn_t edu_irq(int irq, void *data)
{
	struct imm_edu *e = data;
	u32 st = readl(e->mmio + EDU_IRQ_STATUS);

	if (!st)
		return IRQ_NONE;
	writel(st, e->mmio + EDU_IRQ_ACK);
	wake_up(&e->irq_wq);
	return IRQ_HANDLED;
}

static bool edu_idle(struct imm_edu *e)
{
	return !(readq(e->mmio + EDU_DMA_CMD) & EDU_CMD_RUN);
}

/*
 * One DMA command, waited for: @cnt bytes from @src to @dst, @to_ram
 * for device buffer -> IOVA. Without an interrupt the wait polls.
 */
static int edu_dma(struct imm_edu *e, u64 src, u64 dst, u64 cnt, bool to_ram)
{
	unsigned long end = jiffies + msecs_to_jiffies(EDU_CMD_TIMEOUT_MS);

	writeq(src, e->mmio + EDU_DMA_SRC);
	writeq(dst, e->mmio + EDU_DMA_DST);
	writeq(cnt, e->mmio + EDU_DMA_CNT);
	writeq(EDU_CMD_RUN | (to_ram ? EDU_CMD_TO_RAM : 0) |
	       (e->irq ? EDU_CMD_IRQ : 0), e->mmio + EDU_DMA_CMD);
	while (!edu_idle(e)) {
		if (time_after(jiffies, end)) {
			atomic64_inc(&e->st.dma_errors);
			return -ETIMEDOUT;
		}
		wait_event_timeout(e->irq_wq, edu_idle(e),
				   msecs_to_jiffies(e->irq ? 100 : 5));
	}
	atomic64_inc(&e->st.dma_ops);
	return 0;
}

/* Is page @idx held? For wait conditions, which read without the lock. */
static bool edu_holds(struct imm_edu *e, unsigned long idx)
{
	return READ_ONCE(e->hold.held) == idx;
}

/*
 * Wait while page @idx is held for a move; then mark it in flight. The
 * session thread alone issues, one command at a time: never -EBUSY.
 * Return: 0, or -EIO if the page is blocked: no command may touch it.
 */
static int edu_issue(struct imm_edu *e, unsigned long idx)
{
	ktime_t t0 = 0;
	int ret = 0;

	spin_lock(&e->lock);
	for (;;) {
		if (test_bit(idx, e->blocked)) {
			ret = -EIO;
			break;
		}
		if (imm_hold_issue(&e->hold, idx) != -EAGAIN)
			break;
		spin_unlock(&e->lock);
		if (!t0)
			t0 = ktime_get();
		wait_event(e->wq, !edu_holds(e, idx));
		spin_lock(&e->lock);
	}
	spin_unlock(&e->lock);
	if (t0) {
		u64 ns = ktime_to_ns(ktime_sub(ktime_get(), t0));

		atomic64_inc(&e->st.stalls);
		atomic64_add(ns, &e->st.stall_ns);
		atomic64_inc(&imm_stats.dma_stalls);
		atomic64_add(ns, &imm_stats.dma_stall_ns);
		trace_iommu_migrate_dma_stall(0, 0, e->iova + idx * PAGE_SIZE, ns);
	}
	return ret;
}

static void edu_complete(struct imm_edu *e)
{
	spin_lock(&e->lock);
	imm_hold_complete(&e->hold);
	spin_unlock(&e->lock);
	wake_up_all(&e->wq);
}

/* May the held page be copied: no command in flight to it? */
static bool edu_drained(struct imm_edu *e)
{
	bool drained;

	spin_lock(&e->lock);
	drained = imm_hold_drained(&e->hold);
	spin_unlock(&e->lock);
	return drained;
}

/* The device's side: records 0..count-1, record n into slot n. */
static int edu_session_fn(void *data)
{
	struct imm_edu *e = data;
	/*
	 * One record short of the buffer: QEMU 7.2's edu stops the whole
	 * machine (hw_error) for a transfer that ends at the buffer's end.
	 */
	const u64 per_load = EDU_BUF_SIZE / sizeof(struct iommu_migrate_record) - 1;
	struct iommu_migrate_record *stage = page_address(e->stage);
	u64 seq = 0, i, n;

	while (seq < e->count && !kthread_should_stop()) {
		n = min(per_load, e->count - seq);
		for (i = 0; i < n; i++)
			imm_rec_fill(&stage[i], IOMMU_MIGRATE_EDU_ENGINE, seq + i,
				     e->iova + (seq + i) * sizeof(*stage));
		/* The staging page never moves: no hold applies. */
		if (edu_dma(e, EDU_STAGE_IOVA, EDU_BUF, n * sizeof(*stage), false))
			break;
		for (i = 0; i < n && !kthread_should_stop(); i++) {
			u64 off = (seq + i) * sizeof(*stage);
			int ret;

			if (edu_issue(e, off >> PAGE_SHIFT)) {
				/* Its page is blocked: the record is refused. */
				atomic64_inc(&e->st.refused);
				continue;
			}
			ret = edu_dma(e, EDU_BUF + i * sizeof(*stage),
				      e->iova + off, sizeof(*stage), true);
			edu_complete(e);
			if (ret)
				goto out;
			atomic64_inc(&e->st.written);
		}
		seq += n;
	}
out:
	WRITE_ONCE(e->running, false);
	while (!kthread_should_stop()) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (kthread_should_stop())
			break;
		schedule();
	}
	__set_current_state(TASK_RUNNING);
	return 0;
}

static int edu_map_page(struct imm_edu *e, u64 iova, struct page *page)
{
	return iommu_map(e->dom, iova, page_to_phys(page), PAGE_SIZE,
			 IOMMU_READ | IOMMU_WRITE, GFP_KERNEL_ACCOUNT);
}

/*
 * Unmap the session's first @n pages from the device's domain: each run
 * of pages between blocked ones (those are unmapped already).
 */
static void edu_unmap_pages(struct imm_edu *e, unsigned long n)
{
	unsigned long i = 0, end;

	while (i < n) {
		i = find_next_zero_bit(e->blocked, n, i);
		if (i >= n)
			break;
		end = find_next_bit(e->blocked, n, i);
		iommu_unmap(e->dom, e->iova + i * PAGE_SIZE, (end - i) << PAGE_SHIFT);
		i = end;
	}
}

/*
 * The session's @blocked and @blocking bitmaps, in one allocation, for
 * @nr pages; @blocking is read under @lock alone (imm_edu_block()).
 */
static int edu_bitmaps_alloc(struct imm_edu *e, unsigned long nr)
{
	unsigned long *map = bitmap_zalloc(2 * BITS_TO_LONGS(nr) * BITS_PER_LONG,
					   GFP_KERNEL_ACCOUNT);

	lockdep_assert_held(&e->mutex);
	if (!map)
		return -ENOMEM;
	spin_lock(&e->lock);
	e->blocked = map;
	e->blocking = map + BITS_TO_LONGS(nr);
	e->session++;
	spin_unlock(&e->lock);
	return 0;
}

static void edu_bitmaps_free(struct imm_edu *e)
{
	unsigned long *map = e->blocked;

	lockdep_assert_held(&e->mutex);
	spin_lock(&e->lock);
	e->blocked = NULL;
	e->blocking = NULL;
	spin_unlock(&e->lock);
	bitmap_free(map);
}

/* End the session: the device idles, the buffer leaves the domain. */
static void edu_session_end(struct imm_edu *e)
{
	struct imm_buf *b = e->buf;

	lockdep_assert_held(&e->mutex);
	if (!b)
		return;
	kthread_stop(e->task);
	e->task = NULL;
	mutex_lock(&b->lock);
	edu_unmap_pages(e, b->nr_pages);
	edu_pfns_erase(b, b->nr_pages);
	b->edu = NULL;
	mutex_unlock(&b->lock);
	e->buf = NULL;
	e->owner = NULL;
	edu_bitmaps_free(e);
	imm_buf_put(b);
}

static void edu_stats(struct imm_edu *e, struct iommu_migrate_edu_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->running = READ_ONCE(e->running);
	st->written = atomic64_read(&e->st.written);
	st->dma_ops = atomic64_read(&e->st.dma_ops);
	st->stalls = atomic64_read(&e->st.stalls);
	st->stall_ns = atomic64_read(&e->st.stall_ns);
	st->migrated = atomic64_read(&e->st.migrated);
	st->aborted = atomic64_read(&e->st.aborted);
	st->dma_errors = atomic64_read(&e->st.dma_errors);
	st->refused = atomic64_read(&e->st.refused);
}

static int edu_session_start(struct imm_edu *e, struct imm_buf *b,
			     const struct iommu_migrate_edu *req, void *owner)
{
	u64 size = (u64)b->nr_pages << PAGE_SHIFT;
	struct task_struct *task;
	unsigned long i;
	int ret = 0;

	lockdep_assert_held(&e->mutex);
	if (!e->mmio)
		return -ENODEV;
	if (e->buf)
		return -EBUSY;
	if (req->iova < IOMMU_MIGRATE_EDU_IOVA_MIN || req->iova % PAGE_SIZE ||
	    size > IOMMU_MIGRATE_EDU_IOVA_END - req->iova ||
	    !req->count || req->count > size / sizeof(struct iommu_migrate_record))
		return -EINVAL;
	mutex_lock(&b->lock);
	if (b->dom || b->edu) {
		mutex_unlock(&b->lock);
		return -EBUSY;
	}
	ret = edu_bitmaps_alloc(e, b->nr_pages);
	if (ret) {
		mutex_unlock(&b->lock);
		return ret;
	}
	for (i = 0; i < b->nr_pages; i++) {
		ret = xa_insert(&edu_pfns, page_to_pfn(b->pages[i]),
				xa_mk_value(i), GFP_KERNEL_ACCOUNT);
		if (ret)
			break;
		ret = edu_map_page(e, req->iova + i * PAGE_SIZE, b->pages[i]);
		if (ret) {
			xa_erase(&edu_pfns, page_to_pfn(b->pages[i]));
			break;
		}
	}
	if (ret) {
		if (i)
			iommu_unmap(e->dom, req->iova, i << PAGE_SHIFT);
		edu_pfns_erase(b, i);
		mutex_unlock(&b->lock);
		edu_bitmaps_free(e);
		return ret;
	}
	b->edu = e;
	mutex_unlock(&b->lock);
	kref_get(&b->ref);
	e->buf = b;
	e->iova = req->iova;
	e->owner = owner;
	e->count = req->count;
	imm_hold_init(&e->hold);
	atomic64_set(&e->st.written, 0);
	atomic64_set(&e->st.dma_ops, 0);
	atomic64_set(&e->st.stalls, 0);
	atomic64_set(&e->st.stall_ns, 0);
	atomic64_set(&e->st.migrated, 0);
	atomic64_set(&e->st.aborted, 0);
	atomic64_set(&e->st.dma_errors, 0);
	atomic64_set(&e->st.refused, 0);
	WRITE_ONCE(e->running, true);
	task = kthread_run(edu_session_fn, e, "imm_edu");
	if (IS_ERR(task)) {
		WRITE_ONCE(e->running, false);
		e->task = NULL;
		/* kthread_stop() of no task: unmap by hand. */
		mutex_lock(&b->lock);
		iommu_unmap(e->dom, e->iova, size);
		edu_pfns_erase(b, b->nr_pages);
		b->edu = NULL;
		mutex_unlock(&b->lock);
		e->buf = NULL;
		e->owner = NULL;
		edu_bitmaps_free(e);
		imm_buf_put(b);
		return PTR_ERR(task);
	}
	e->task = task;
	return 0;
}

/**
 * imm_edu_ioctl() - IOMMU_MIGRATE_IOC_EDU_START, _STOP and _STATS
 * @owner: the calling file's context: the session's owner
 * @cmd: the ioctl
 * @argp: its argument
 *
 * Return: 0 or a negative errno (see include/uapi/linux/iommu_migrate.h).
 */
long imm_edu_ioctl(void *owner, unsigned int cmd, void __user *argp)
{
	struct iommu_migrate_edu_stats st;
	struct iommu_migrate_edu req;
	struct imm_edu *e;
	struct imm_buf *b;
	long ret = 0;

	if (cmd == IOMMU_MIGRATE_IOC_EDU_START) {
		if (copy_from_user(&req, argp, sizeof(req)))
			return -EFAULT;
		if (req.flags || req.reserved)
			return -EINVAL;
	}
	e = edu_get();
	if (!e)
		return -ENODEV;
	switch (cmd) {
	case IOMMU_MIGRATE_IOC_EDU_START:
		b = imm_buf_from_fd(req.buf_fd);
		if (IS_ERR(b)) {
			ret = PTR_ERR(b);
			break;
		}
		mutex_lock(&e->mutex);
		ret = edu_session_start(e, b, &req, owner);
		mutex_unlock(&e->mutex);
		imm_buf_put(b);
		break;
	case IOMMU_MIGRATE_IOC_EDU_STOP:
		mutex_lock(&e->mutex);
		if (!e->buf || e->owner != owner) {
			ret = -ENOENT;
		} else {
			edu_session_end(e);
			edu_stats(e, &st);
		}
		mutex_unlock(&e->mutex);
		if (!ret && copy_to_user(argp, &st, sizeof(st)))
			ret = -EFAULT;
		break;
	case IOMMU_MIGRATE_IOC_EDU_STATS:
		edu_stats(e, &st);
		if (copy_to_user(argp, &st, sizeof(st)))
			ret = -EFAULT;
		break;
	default:
		ret = -ENOTTY;
	}
	edu_put(e);
	return ret;
}

/**
 * imm_edu_release() - a file goes: end the session it owns
 * @owner: the file's context
 */
void imm_edu_release(void *owner)
{
	struct imm_edu *e = edu_get();

	if (!e)
		return;
	mutex_lock(&e->mutex);
	if (e->buf && e->owner == owner)
		edu_session_end(e);
	mutex_unlock(&e->mutex);
	edu_put(e);
}

/* Has imm_edu_block() been asked to block page @idx? Then it must not move. */
static bool edu_block_asked(struct imm_edu *e, unsigned long idx)
{
	bool asked;

	spin_lock(&e->lock);
	asked = test_bit(idx, e->blocking);
	spin_unlock(&e->lock);
	return asked;
}

/*
 * Steps 1-5 for page @idx of the session's buffer, towards @d. Every
 * exit after the migrate_begin tracepoint that does not switch fires
 * the abort tracepoint. A page imm_edu_block() was asked to block is
 * given up before its copy, or before its switch if the block came
 * during the copy: the lost data is neither read again nor followed.
 * Return: 0 moved; 1 already where @d wants it; a negative errno.
 */
static int edu_move_page(struct imm_edu *e, unsigned long idx,
			 struct imm_dest *d)
{
	struct imm_buf *b = e->buf;
	u64 iova = e->iova + idx * PAGE_SIZE;
	struct page *old, *new;
	ktime_t t0;
	long left;
	int ret;

	lockdep_assert_held(&e->mutex);
	mutex_lock(&b->lock);
	old = b->pages[idx];
	mutex_unlock(&b->lock);
	if (!imm_dest_wanted(d, old))
		return 1;
	/* A blocked page does not move: its data is lost. */
	if (test_bit(idx, e->blocked) || edu_block_asked(e, idx)) {
		ret = -EBUSY;
		goto abort;
	}
	/* As for the PME, with its test knob (fail_next_allocs). */
	new = imm_alloc_dest(d);
	if (new && xa_insert(&edu_pfns, page_to_pfn(new), xa_mk_value(idx),
			     GFP_KERNEL_ACCOUNT)) {
		__free_page(new);
		new = NULL;
	}
	if (!new) {
		atomic64_inc(&imm_stats.alloc_failures);
		ret = -ENOMEM;
		goto abort;
	}
	/*
	 * 1. Hold: the session issues no new command to the page. Moves
	 * and blocks are serialized by e->mutex: nothing else is held.
	 */
	trace_iommu_migrate_migrate_begin(0, iova, page_to_pfn(old));
	spin_lock(&e->lock);
	ret = imm_hold_begin(&e->hold, idx);
	spin_unlock(&e->lock);
	if (ret) {
		xa_erase(&edu_pfns, page_to_pfn(new));
		__free_page(new);
		trace_iommu_migrate_abort(0, iova, page_to_pfn(old));
		goto abort;
	}
	/* 2. Drain: the command in flight to the page completes. */
	t0 = ktime_get();
	left = wait_event_timeout(e->wq, edu_drained(e),
				  msecs_to_jiffies(READ_ONCE(imm_max_drain_wait_ms)));
	trace_iommu_migrate_drain_wait(page_to_pfn(old),
				       ktime_to_ns(ktime_sub(ktime_get(), t0)),
				       left > 0);
	if (!left) {
		atomic64_inc(&imm_stats.drain_timeouts);
		ret = -ETIMEDOUT;
	} else if (edu_block_asked(e, idx)) {
		ret = -EBUSY;	/* no copy of the lost data */
	}
	if (ret) {
		xa_erase(&edu_pfns, page_to_pfn(new));
		__free_page(new);
		goto resume;
	}
	/* 3. Copy; the CPU faults again afterwards and waits on b->lock. */
	mutex_lock(&b->lock);
	imm_buf_zap(b, idx);
	/* Pinned through the CPU mapping: not moved (imm_page_pinned()). */
	if (imm_page_pinned(old)) {
		xa_erase(&edu_pfns, page_to_pfn(new));
		mutex_unlock(&b->lock);
		__free_page(new);
		ret = -EBUSY;
		goto resume;
	}
	copy_highpage(new, old);
	trace_iommu_migrate_copy(page_to_pfn(old), page_to_pfn(new),
				 page_to_nid(new));
	/* The test knob: a slower copy, a wider window for 1 and 2 to cover. */
	if (READ_ONCE(imm_edu_copy_delay_ms))
		msleep(READ_ONCE(imm_edu_copy_delay_ms));
	/*
	 * 4. Switch: unmap flushes the IOTLB before the new page is mapped.
	 * Not if a block was asked meanwhile: its frame is the old one.
	 */
	if (edu_block_asked(e, idx) || imm_page_pinned(old)) {
		ret = -EBUSY;
	} else if (iommu_unmap(e->dom, iova, PAGE_SIZE) != PAGE_SIZE) {
		ret = -EIO;
	} else {
		ret = edu_map_page(e, iova, new);
		/* Back to the old page; its page table is still there. */
		if (ret && edu_map_page(e, iova, old))
			dev_err(&e->pdev->dev, "IOVA %#llx left unmapped\n", iova);
	}
	if (!ret) {
		b->pages[idx] = new;
		trace_iommu_migrate_switch(0, iova, page_to_pfn(old),
					   page_to_pfn(new), ++e->moves);
	}
	/* The frame the IOVA no longer leads to. */
	xa_erase(&edu_pfns, page_to_pfn(ret ? new : old));
	mutex_unlock(&b->lock);
	if (ret)
		__free_page(new);
	else
		put_page(old);
resume:
	/* 5. Resume the held commands. */
	spin_lock(&e->lock);
	imm_hold_end(&e->hold);
	spin_unlock(&e->lock);
	wake_up_all(&e->wq);
	if (!ret) {
		atomic64_inc(&e->st.migrated);
		atomic64_inc(&imm_stats.pages_migrated);
		atomic64_add(PAGE_SIZE, &imm_stats.bytes_migrated);
		return 0;
	}
	trace_iommu_migrate_abort(0, iova, page_to_pfn(old));
abort:
	atomic64_inc(&e->st.aborted);
	atomic64_inc(&imm_stats.migrations_aborted);
	return ret;
}

/*
 * Between two pages of a request: imm_edu_block() calls waiting for
 * e->mutex go first, so a block waits for one page move at most. With
 * @freeze (a request, whose caller holds no other lock), the caller is
 * also frozen here if the freezer asks (suspend, hibernation), without
 * e->mutex: a request of many slow pages does not make suspend fail.
 * The caller re-checks the session afterwards: it may have ended, or
 * another one started, meanwhile.
 */
static void edu_let_blocks_in(struct imm_edu *e, bool freeze)
{
	lockdep_assert_held(&e->mutex);
	if (!atomic_read(&e->blocks_waiting) && !(freeze && freezing(current)))
		return;
	mutex_unlock(&e->mutex);
	wait_event(e->wq, !atomic_read(&e->blocks_waiting));
	if (freeze)
		try_to_freeze();
	mutex_lock(&e->mutex);
}

/**
 * imm_edu_migrate() - move pages of a buffer the edu device writes to
 * @b: the buffer (its request checked by imm_migrate())
 * @req: range and node in; counts out
 *
 * Moves the pages one by one in the caller's context, with the hold and
 * drain of the device's commands (see the top of this file). A fatal
 * signal, or with IOMMU_MIGRATE_MIGRATE_INTERRUPTIBLE any signal, stops
 * before the next page. Between two pages, imm_edu_block() calls that
 * wait go first, and the caller is frozen if the freezer asks (without
 * the device's mutex).
 *
 * Return: 0; -EINTR if a signal stopped it (@req's counts set); -EAGAIN if the
 * buffer's edu session ended before or meanwhile.
 */
int imm_edu_migrate(struct imm_buf *b, struct iommu_migrate_migrate *req)
{
	unsigned long i, first = req->offset >> PAGE_SHIFT;
	unsigned long n = req->size >> PAGE_SHIFT;
	bool any = req->flags & IOMMU_MIGRATE_MIGRATE_INTERRUPTIBLE;
	struct imm_edu *e = edu_get();
	struct imm_dest d;
	int ret = 0;

	imm_dest_init(&d, req->node, 0, 0);
	req->moved = 0;
	req->aborted = 0;
	req->already = 0;
	if (!e)
		return -EAGAIN;
	mutex_lock(&e->mutex);
	for (i = 0; i < n; i++) {
		int r;

		if (e->buf != b) {
			ret = -EAGAIN;
			break;
		}
		if (any ? signal_pending(current) : fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		r = edu_move_page(e, first + i, &d);
		if (r > 0)
			req->already++;
		else if (r)
			req->aborted++;
		else
			req->moved++;
		edu_let_blocks_in(e, true);
	}
	mutex_unlock(&e->mutex);
	imm_dest_release(&d);
	edu_put(e);
	return ret;
}

/**
 * imm_edu_evacuate() - move the edu session's pages out of a frame range
 * @d: the destination: a node and the range (imm_dest_init())
 * @mapped: incremented per session page found in the range
 * @moved: per page moved out
 * @failed: per page still in it
 *
 * The edu half of iommu_migrate_evacuate(): the pages the device
 * writes to have no RMT entry, their IOMMU is the real one. Each moves
 * with the hold and drain of the device's commands, in the caller's
 * context.
 */
void imm_edu_evacuate(struct imm_dest *d, unsigned long *mapped,
		      unsigned long *moved, unsigned long *failed)
{
	struct imm_edu *e = edu_get();
	struct imm_buf *b;
	unsigned long i;

	if (!e)
		return;
	mutex_lock(&e->mutex);
	b = e->buf;
	if (b)
		kref_get(&b->ref);
	/* The session's pages, while that session lasts. */
	for (i = 0; b && e->buf == b && i < b->nr_pages; i++) {
		struct page *page;
		int r;

		mutex_lock(&b->lock);
		page = b->pages[i];
		mutex_unlock(&b->lock);
		if (!imm_dest_avoids(d, page))
			continue;
		(*mapped)++;
		r = edu_move_page(e, i, d);
		if (!r)
			(*moved)++;
		else if (r < 0)
			(*failed)++;
		/* Not frozen: maint_cmd may evacuate with its own locks held. */
		edu_let_blocks_in(e, false);
		cond_resched();
	}
	mutex_unlock(&e->mutex);
	if (b)
		imm_buf_put(b);
	edu_put(e);
}

/**
 * imm_edu_block() - block the edu device's access to a buffer frame
 * @pfn: the frame
 *
 * The edu half of iommu_migrate_block(): if @pfn is a page of the
 * session's buffer, hold the page (the session issues no new command
 * to it), wait for the command in flight to it, unmap its IOVA from
 * the device's domain (iommu_unmap() flushes the IOTLB), and mark it
 * blocked: from now on the session refuses every command to it
 * (counted in the session's refused). The frame stays the buffer's
 * and iommu_migrate_pfn_mapped() still reports it; the page does not
 * move. It stays blocked until the session ends.
 *
 * Context: process context, may sleep; takes the device's session
 * mutex. It waits for one page move at most: it asks for the page
 * first, so that a move of that very page gives up before its copy or
 * switch, and a migration request lets it in between two pages.
 * Return: 0 if the page is blocked, now or already; -ENOENT if @pfn
 * is not a page of the session's buffer; -ETIMEDOUT if the command in
 * flight did not complete within max_drain_wait_ms (the page is
 * blocked all the same).
 */
int imm_edu_block(unsigned long pfn)
{
	struct imm_edu *e = edu_get();
	unsigned long idx, asked = 0;
	struct imm_buf *b;
	u64 session = 0;
	void *ent;
	long left;
	int ret = 0;

	if (!e)
		return -ENOENT;
	/*
	 * Ask first, without e->mutex: a move of the page in progress gives
	 * up before its copy or its switch, and a request of many pages lets
	 * this call in after the page it is at. Every caller counts in
	 * @blocks_waiting, not only one whose @pfn is a page of the session:
	 * iommu_migrate_block() ends here for every frame the model's RMT
	 * does not own. Such a call costs a request one unlock and relock of
	 * e->mutex; the wake_up_all() after the decrement, for every caller,
	 * wakes a request waiting in edu_let_blocks_in() for the count to
	 * drop.
	 */
	spin_lock(&e->lock);
	ent = xa_load(&edu_pfns, pfn);
	if (ent && e->blocking) {
		asked = xa_to_value(ent);
		set_bit(asked, e->blocking);
		session = e->session;
	}
	spin_unlock(&e->lock);
	atomic_inc(&e->blocks_waiting);
	mutex_lock(&e->mutex);
	atomic_dec(&e->blocks_waiting);
	wake_up_all(&e->wq);
	b = e->buf;
	ent = xa_load(&edu_pfns, pfn);
	if (!b || !ent) {
		ret = -ENOENT;
		goto out;
	}
	idx = xa_to_value(ent);
	/* Frames change under e->mutex only: @pfn is page @idx's. */
	if (test_bit(idx, e->blocked))
		goto out;
	spin_lock(&e->lock);
	ret = imm_hold_begin(&e->hold, idx);
	spin_unlock(&e->lock);
	/* Moves hold a page under e->mutex only: not now. */
	if (ret)
		goto out;
	left = wait_event_timeout(e->wq, edu_drained(e),
				  msecs_to_jiffies(READ_ONCE(imm_max_drain_wait_ms)));
	if (!left) {
		atomic64_inc(&imm_stats.drain_timeouts);
		ret = -ETIMEDOUT;
	}
	/* Refused from now on: the held command sees the bit, not the IOVA. */
	spin_lock(&e->lock);
	set_bit(idx, e->blocked);
	imm_hold_end(&e->hold);
	spin_unlock(&e->lock);
	wake_up_all(&e->wq);
	if (iommu_unmap(e->dom, e->iova + idx * PAGE_SIZE, PAGE_SIZE) != PAGE_SIZE)
		dev_err(&e->pdev->dev, "blocked IOVA %#llx still mapped\n",
			e->iova + idx * PAGE_SIZE);
	dev_info(&e->pdev->dev, "IOVA %#llx (pfn %#lx) blocked\n",
		 e->iova + idx * PAGE_SIZE, pfn);
out:
	/*
	 * Blocked or not, the page is no longer being asked about. The bit
	 * may be another caller's too: two calls for the same page set the
	 * same bit, and the first through e->mutex clears it while the
	 * second still waits. That is safe because each way here leaves the
	 * page needing no ask: either it is blocked now or was already (the
	 * @blocked bit, set under e->mutex, which edu_move_page() tests
	 * first, under e->mutex, so no move of it starts again in this
	 * session), or @pfn is no longer a page of the session (ended, or
	 * the page switched before the ask), and the second call looks @pfn
	 * up again under e->mutex: it blocks the page the frame is now, if
	 * any, or returns -ENOENT. imm_hold_begin() cannot fail here:
	 * only holders of e->mutex hold a page. A bit of an earlier session
	 * is never cleared in a later one's bitmap (@session).
	 */
	spin_lock(&e->lock);
	if (session && e->blocking && e->session == session)
		clear_bit(asked, e->blocking);
	spin_unlock(&e->lock);
	mutex_unlock(&e->mutex);
	edu_put(e);
	return ret;
}

static int edu_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct imm_edu *e;
	int ret;

	/* Bound through driver_override only: make sure it is an edu. */
	if (pdev->vendor != EDU_VENDOR || pdev->device != EDU_DEVICE)
		return -ENODEV;
	if (!device_iommu_mapped(&pdev->dev)) {
		dev_info(&pdev->dev, "not behind an IOMMU (intel_iommu=on?)\n");
		return -ENODEV;
	}
	e = kzalloc(sizeof(*e), GFP_KERNEL);
	if (!e)
		return -ENOMEM;
	kref_init(&e->ref);
	e->pdev = pdev;
	mutex_init(&e->mutex);
	spin_lock_init(&e->lock);
	init_waitqueue_head(&e->wq);
	init_waitqueue_head(&e->irq_wq);
	imm_hold_init(&e->hold);

	ret = pci_enable_device(pdev);
	if (ret)
		goto free;
	ret = pci_request_region(pdev, 0, "iommu_migrate_edu");
	if (ret)
		goto disable;
	e->mmio = pci_iomap(pdev, 0, 0);
	if (!e->mmio) {
		ret = -ENOMEM;
		goto release;
	}
	if ((readl(e->mmio + EDU_ID) & 0xff) != 0xed) {
		ret = -ENODEV;
		goto unmap;
	}
	/* The module owns the device's DMA: no DMA API, a domain of its own. */
	ret = iommu_device_claim_dma_owner(&pdev->dev, e);
	if (ret)
		goto unmap;
	e->dom = iommu_paging_domain_alloc(&pdev->dev);
	if (IS_ERR(e->dom)) {
		ret = PTR_ERR(e->dom);
		goto owner;
	}
	ret = iommu_attach_device(e->dom, &pdev->dev);
	if (ret)
		goto domain;
	e->stage = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!e->stage) {
		ret = -ENOMEM;
		goto detach;
	}
	ret = edu_map_page(e, EDU_STAGE_IOVA, e->stage);
	if (ret)
		goto stage;
	/* MSI if there is one; the DMA waits poll otherwise. */
	if (pci_alloc_irq_vectors(pdev, 1, 1, PCI_IRQ_MSI) == 1) {
		ret = request_irq(pci_irq_vector(pdev, 0), edu_irq, 0,
				  "iommu_migrate_edu", e);
		if (ret)
			pci_free_irq_vectors(pdev);
		else
			e->irq = pci_irq_vector(pdev, 0);
	}
	pci_set_master(pdev);
	mutex_lock(&edu_lock);
	if (edu_dev) {
		mutex_unlock(&edu_lock);
		ret = -EBUSY;
		goto irq;
	}
	edu_dev = e;
	mutex_unlock(&edu_lock);
	pci_set_drvdata(pdev, e);
	dev_info(&pdev->dev, "edu bound, own IOMMU domain, %s\n",
		 e->irq ? "MSI" : "polled");
	return 0;
irq:
	pci_clear_master(pdev);
	if (e->irq) {
		free_irq(e->irq, e);
		pci_free_irq_vectors(pdev);
	}
	iommu_unmap(e->dom, EDU_STAGE_IOVA, PAGE_SIZE);
stage:
	__free_page(e->stage);
detach:
	iommu_detach_device(e->dom, &pdev->dev);
domain:
	iommu_domain_free(e->dom);
owner:
	iommu_device_release_dma_owner(&pdev->dev);
unmap:
	pci_iounmap(pdev, e->mmio);
release:
	pci_release_region(pdev, 0);
disable:
	pci_disable_device(pdev);
free:
	kfree(e);
	return ret;
}

static void edu_remove(struct pci_dev *pdev)
{
	struct imm_edu *e = pci_get_drvdata(pdev);

	mutex_lock(&edu_lock);
	edu_dev = NULL;
	mutex_unlock(&edu_lock);
	/* Users that still hold @e find no session and no registers. */
	mutex_lock(&e->mutex);
	edu_session_end(e);
	pci_clear_master(pdev);
	if (e->irq) {
		free_irq(e->irq, e);
		pci_free_irq_vectors(pdev);
	}
	iommu_unmap(e->dom, EDU_STAGE_IOVA, PAGE_SIZE);
	iommu_detach_device(e->dom, &pdev->dev);
	iommu_domain_free(e->dom);
	iommu_device_release_dma_owner(&pdev->dev);
	__free_page(e->stage);
	pci_iounmap(pdev, e->mmio);
	e->mmio = NULL;
	mutex_unlock(&e->mutex);
	pci_release_region(pdev, 0);
	pci_disable_device(pdev);
	edu_put(e);
}

/* No ID table: only driver_override binds it. */
static struct pci_driver edu_driver = {
	.name = "iommu_migrate_edu",
	.probe = edu_probe,
	.remove = edu_remove,
	.driver_managed_dma = true,
};

int imm_edu_init(void)
{
	return pci_register_driver(&edu_driver);
}

void imm_edu_exit(void)
{
	pci_unregister_driver(&edu_driver);
	/* Empty nodes a failed insert left (see imm_domain_exit()). */
	xa_destroy(&edu_pfns);
}
