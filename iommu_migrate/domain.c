// SPDX-License-Identifier: GPL-2.0
/*
 * iommu_migrate glue: IOMMU domains over ptsel partitions, IO buffers
 * (module-owned pages behind a file, mmap-able by their owner) and the
 * reverse map table (RMT) that every mapped page has an entry in.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/nodemask.h>
#include <linux/pagemap.h>
#include <linux/slab.h>

#include "imm_internal.h"
#include "trace.h"

DEFINE_XARRAY(imm_rmt_xa);

/*
 * Domain ids, 1 to U32_MAX, taken cyclically: 0 ("no owner" in the RMT)
 * is never one, and an id is not handed out again until the others
 * have been, long after its domain went.
 */
static DEFINE_XARRAY_ALLOC1(imm_domain_ids);
static u32 imm_next_domain_id = 1;

/**
 * imm_domain_set_next_id() - where the next domain id is looked for
 * @id: the id (0 means 1)
 *
 * For the debugfs test hook next_domain_id: the wrap of the ids.
 */
void imm_domain_set_next_id(u32 id)
{
	xa_lock(&imm_domain_ids);
	imm_next_domain_id = id;
	xa_unlock(&imm_domain_ids);
}

/**
 * imm_rmt_publish() - write an RMT entry's checked fields
 * @e: the entry
 * @val: the new fields
 *
 * Owner, IOVA and generation first, the state last with release: a
 * device that reads the state with acquire (imm_rmt_snapshot()) sees
 * the fields that go with it.
 */
void imm_rmt_publish(struct imm_rmt_ent *e, const struct imm_rmt *val)
{
	WRITE_ONCE(e->r.domain, val->domain);
	WRITE_ONCE(e->r.iova, val->iova);
	WRITE_ONCE(e->r.gen, val->gen);
	/* Pairs with the acquire in imm_rmt_snapshot(). */
	smp_store_release(&e->r.state, val->state);
}

/**
 * imm_rmt_snapshot() - read an RMT entry's checked fields
 * @e: the entry
 * @val: filled in
 */
void imm_rmt_snapshot(struct imm_rmt_ent *e, struct imm_rmt *val)
{
	/* Pairs with the release in imm_rmt_publish(). */
	val->state = smp_load_acquire(&e->r.state);
	val->domain = READ_ONCE(e->r.domain);
	val->iova = READ_ONCE(e->r.iova);
	val->gen = READ_ONCE(e->r.gen);
}

/**
 * imm_domain_create() - a new IOMMU domain
 * @format: IOMMU_MIGRATE_FORMAT_* of its I/O page tables
 *
 * Return: the domain, or ERR_PTR(-EINVAL, -ENOMEM, or -EBUSY if every
 * id is in use).
 */
struct imm_domain *imm_domain_create(u32 format)
{
	struct imm_domain *d;
	int ret;

	if (format != IOMMU_MIGRATE_FORMAT_RADIX &&
	    format != IOMMU_MIGRATE_FORMAT_HASH)
		return ERR_PTR(-EINVAL);
	d = kzalloc(sizeof(*d), GFP_KERNEL_ACCOUNT);
	if (!d)
		return ERR_PTR(-ENOMEM);
	/* Formats are ptsel's: the uapi values are the same. */
	d->part = ptsel_partition_create(format);
	if (IS_ERR(d->part)) {
		int ret = PTR_ERR(d->part);

		kfree(d);
		return ERR_PTR(ret);
	}
	/* Enough table memory for the largest buffers a file may map. */
	ptsel_partition_set_limits(d->part, ULONG_MAX, ULONG_MAX);
	kref_init(&d->ref);
	ret = xa_alloc_cyclic(&imm_domain_ids, &d->id, d, XA_LIMIT(1, U32_MAX),
			      &imm_next_domain_id, GFP_KERNEL_ACCOUNT);
	if (ret < 0) {
		ptsel_partition_put(d->part);
		kfree(d);
		return ERR_PTR(ret);
	}
	return d;
}

static void domain_release(struct kref *ref)
{
	struct imm_domain *d = container_of(ref, struct imm_domain, ref);

	xa_erase(&imm_domain_ids, d->id);
	ptsel_partition_put(d->part);
	kfree(d);
}

/**
 * imm_domain_put() - drop a reference to a domain
 * @d: the domain
 */
void imm_domain_put(struct imm_domain *d)
{
	kref_put(&d->ref, domain_release);
}

DEFINE_XARRAY(imm_copy_xa);

/**
 * imm_domain_exit() - free what the module's frame maps still hold
 *
 * At module unload, once every buffer, domain and RMT entry is gone.
 * The maps hold no entry then, but an insert that failed for memory
 * leaves the empty nodes it had linked into the tree (xas_create() does
 * not take them back), and nothing else would free them: kmemleak
 * found them after a failslab stress.
 */
void imm_domain_exit(void)
{
	xa_destroy(&imm_copy_xa);
	xa_destroy(&imm_rmt_xa);
	xa_destroy(&imm_domain_ids);
}

/**
 * imm_copy_drop() - forget the kept copy of a buffer page
 * @b: the buffer
 * @idx: the page
 *
 * Context: the caller holds @b->lock.
 */
void imm_copy_drop(struct imm_buf *b, unsigned long idx)
{
	struct page *c;

	lockdep_assert_held(&b->lock);
	if (!b->copies || !b->copies[idx].page)
		return;
	c = b->copies[idx].page;
	b->copies[idx].page = NULL;
	xa_erase(&imm_copy_xa, page_to_pfn(c));
	put_page(c);
	atomic64_dec(&imm_stats.copies_kept);
}

/* Forget every kept copy of @b, and the dirty bits the PME kept. */
static void copies_reset(struct imm_buf *b)
{
	unsigned long i;

	lockdep_assert_held(&b->lock);
	for (i = 0; b->copies && i < b->nr_pages; i++) {
		imm_copy_drop(b, i);
		b->copies[i].ad = 0;
	}
}

/**
 * imm_copies_evacuate() - free the kept copies in a frame range
 * @lo: first frame
 * @hi: end of the range
 *
 * Context: process context, takes the buffers' locks.
 */
void imm_copies_evacuate(unsigned long lo, unsigned long hi)
{
	unsigned long pfn = lo, i;
	struct imm_buf *b;

	while (pfn < hi) {
		rcu_read_lock();
		b = xa_find(&imm_copy_xa, &pfn, hi - 1, XA_PRESENT);
		if (b && !kref_get_unless_zero(&b->ref)) {
			/* Being freed: its copies go with it. */
			rcu_read_unlock();
			pfn++;
			continue;
		}
		rcu_read_unlock();
		if (!b)
			break;
		mutex_lock(&b->lock);
		for (i = 0; b->copies && i < b->nr_pages; i++) {
			struct page *c = b->copies[i].page;

			if (c && page_to_pfn(c) >= lo && page_to_pfn(c) < hi)
				imm_copy_drop(b, i);
		}
		mutex_unlock(&b->lock);
		imm_buf_put(b);
		pfn++;
	}
}

static void buf_release(struct kref *ref)
{
	struct imm_buf *b = container_of(ref, struct imm_buf, ref);
	unsigned long i;

	/* Unmapped before the last reference went: no RMT entry is left. */
	mutex_lock(&b->lock);
	copies_reset(b);
	mutex_unlock(&b->lock);
	for (i = 0; i < b->nr_pages; i++)
		if (b->pages[i])
			put_page(b->pages[i]);
	kvfree(b->pages);
	kvfree(b->rmt);
	kvfree(b->copies);
	/* Evacuations look buffers up in imm_copy_xa under RCU. */
	kfree_rcu(b, rcu);
}

/**
 * imm_buf_put() - drop a reference to a buffer
 * @b: the buffer
 */
void imm_buf_put(struct imm_buf *b)
{
	kref_put(&b->ref, buf_release);
}

/*
 * CPU faults map the buffer's current page. The PME zaps the CPU
 * mapping of a page before it copies it and holds the buffer's lock
 * until the switch, so a CPU access waits here for the move and then
 * lands on the new page.
 *
 * The page is locked before b->lock is dropped and returned locked:
 * the core installs the PTE under that lock (finish_fault()), and a
 * move zaps the page's CPU mapping with the same lock held
 * (imm_buf_zap()), so a fault that found the old page has either not
 * installed its PTE yet (the zap waits for it, then removes it) or
 * has (the zap removes it). Lock order: b->lock, then the page lock.
 */
static vm_fault_t buf_fault(struct vm_fault *vmf)
{
	struct imm_buf *b = vmf->vma->vm_file->private_data;
	unsigned int delay;
	struct page *page;

	if (vmf->pgoff >= b->nr_pages)
		return VM_FAULT_SIGBUS;
	mutex_lock(&b->lock);
	page = b->pages[vmf->pgoff];
	get_page(page);
	lock_page(page);
	mutex_unlock(&b->lock);
	/* The test hook: widen the window between the lookup and the PTE. */
	delay = min_t(u32, READ_ONCE(imm_fault_delay_us),
		      IMM_MAX_FAULT_DELAY_US);
	if (delay)
		usleep_range(delay, delay + 10);
	vmf->page = page;
	return VM_FAULT_LOCKED;
}

/**
 * imm_buf_zap() - remove the CPU mappings of one buffer page
 * @b: the buffer, its lock held
 * @idx: the page's index
 *
 * Under the page lock, which a fault holds from its lookup of
 * b->pages[@idx] until its PTE is in (see buf_fault()): no fault that
 * found this page can install a PTE to it after the zap.
 */
void imm_buf_zap(struct imm_buf *b, unsigned long idx)
{
	struct page *page = b->pages[idx];

	lockdep_assert_held(&b->lock);
	lock_page(page);
	unmap_mapping_range(b->mapping, (loff_t)idx << PAGE_SHIFT, PAGE_SIZE, 1);
	unlock_page(page);
}

/*
 * A CPU write to a page: the mapping is write-protected until the
 * first write (the file has page_mkwrite), and every move zaps it, so
 * the page's kept copy goes before any CPU write can land.
 */
static vm_fault_t buf_mkwrite(struct vm_fault *vmf)
{
	struct imm_buf *b = vmf->vma->vm_file->private_data;
	struct page *page = vmf->page;

	mutex_lock(&b->lock);
	if (b->pages[vmf->pgoff] != page) {
		/* Moved since the fault: fault again onto the new page. */
		mutex_unlock(&b->lock);
		return VM_FAULT_NOPAGE;
	}
	imm_copy_drop(b, vmf->pgoff);
	/* Before b->lock goes, as in buf_fault(): a zap waits for the PTE. */
	lock_page(page);
	mutex_unlock(&b->lock);
	return VM_FAULT_LOCKED;
}

static const struct vm_operations_struct buf_vm_ops = {
	.fault = buf_fault,
	.page_mkwrite = buf_mkwrite,
};

static int buf_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct imm_buf *b = file->private_data;
	unsigned long pages = vma_pages(vma);

	/* Shared only: a private copy would not follow the moves. */
	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	if (vma->vm_pgoff >= b->nr_pages || pages > b->nr_pages - vma->vm_pgoff)
		return -EINVAL;
	vm_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_ops = &buf_vm_ops;
	return 0;
}

static int buf_file_release(struct inode *inode, struct file *file)
{
	imm_buf_put(file->private_data);
	return 0;
}

static const struct file_operations buf_fops = {
	.owner = THIS_MODULE,
	.mmap = buf_mmap,
	.release = buf_file_release,
};

/**
 * imm_buf_create() - a new IO buffer and its file descriptor
 * @req: size and node
 *
 * Return: the new fd; -EINVAL for a bad request; -E2BIG above
 * max_buffer_mb; -ENOMEM.
 */
int imm_buf_create(const struct iommu_migrate_buf *req)
{
	gfp_t gfp = GFP_HIGHUSER | __GFP_ZERO | __GFP_ACCOUNT | __GFP_NOWARN;
	int nid = req->node, fd, ret = -ENOMEM;
	struct imm_buf *b;
	struct file *file;
	unsigned long i;

	if (req->flags || !req->size || req->size % PAGE_SIZE)
		return -EINVAL;
	if (nid == NUMA_NO_NODE)
		nid = numa_node_id();
	else if (nid < 0 || nid >= MAX_NUMNODES || !node_state(nid, N_MEMORY))
		return -EINVAL;
	if (req->size > (u64)READ_ONCE(imm_max_buffer_mb) << 20)
		return -E2BIG;
	b = kzalloc(sizeof(*b), GFP_KERNEL_ACCOUNT);
	if (!b)
		return -ENOMEM;
	kref_init(&b->ref);
	mutex_init(&b->lock);
	b->nid = nid;
	b->nr_pages = req->size >> PAGE_SHIFT;
	b->pages = kvcalloc(b->nr_pages, sizeof(*b->pages), GFP_KERNEL_ACCOUNT);
	b->rmt = kvcalloc(b->nr_pages, sizeof(*b->rmt), GFP_KERNEL_ACCOUNT);
	if (!b->pages || !b->rmt)
		goto put;
	for (i = 0; i < b->nr_pages; i++) {
		b->pages[i] = alloc_pages_node(nid, gfp | __GFP_THISNODE, 0);
		if (!b->pages[i])
			goto put;
		cond_resched();
	}
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		ret = fd;
		goto put;
	}
	file = anon_inode_create_getfile("[iommu_migrate_buf]", &buf_fops, b,
					 O_RDWR, NULL);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		ret = PTR_ERR(file);
		goto put;
	}
	b->mapping = file->f_mapping;
	fd_install(fd, file);
	return fd;
put:
	imm_buf_put(b);
	return ret;
}

/**
 * imm_buf_from_fd() - the buffer behind a file descriptor
 * @fd: the descriptor
 *
 * Return: the buffer with a reference, or ERR_PTR(-EBADF) if @fd is not
 * a buffer's.
 */
struct imm_buf *imm_buf_from_fd(int fd)
{
	struct file *file = fget(fd);
	struct imm_buf *b;

	if (!file)
		return ERR_PTR(-EBADF);
	if (file->f_op != &buf_fops) {
		fput(file);
		return ERR_PTR(-EBADF);
	}
	b = file->private_data;
	kref_get(&b->ref);
	fput(file);
	return b;
}

/*
 * Drop the RMT entries of pages [0, @n) and wait out their accesses.
 * They are retired first and stay in the RMT for a grace period, so
 * that a device that translated before the unmap finds its page's
 * entry retired (stale), not gone (a violation); an access that passed
 * its check holds the entry by its in-flight count until it is done.
 */
static void rmt_drop(struct imm_buf *b, unsigned long n)
{
	static const struct imm_rmt none;
	unsigned long i;
	struct imm_rmt r;
	u64 seq;

	lockdep_assert_held(&b->lock);
	seq = imm_rmt_retire();
	for (i = 0; i < n; i++) {
		struct imm_rmt_ent *e = b->rmt[i];

		if (!e)
			continue;
		imm_rmt_snapshot(e, &r);
		imm_rmt_set_retired(e, &r, seq);
		imm_rmt_publish(e, &none);
	}
	/* Device lookups run under RCU: none started before this is left. */
	synchronize_rcu();
	for (i = 0; i < n; i++) {
		struct imm_rmt_ent *e = b->rmt[i];

		if (!e)
			continue;
		xa_erase(&imm_rmt_xa, page_to_pfn(b->pages[i]));
		imm_rmt_wait_idle(e);
		kfree_rcu(e, rcu);
		b->rmt[i] = NULL;
	}
}

/**
 * imm_buf_map() - map a whole buffer into a domain
 * @b: the buffer
 * @d: the domain; the mapping takes a reference
 * @iova: IOVA of the first page
 * @prot: IOMMU_MIGRATE_PROT_*, READ included
 *
 * Return: 0; -EINVAL for a bad request; -EBUSY if @b is mapped already;
 * -EEXIST if the IOVA range is in use; -ENOMEM.
 */
int imm_buf_map(struct imm_buf *b, struct imm_domain *d, u64 iova, u32 prot)
{
	u32 pprot = PTSEL_PROT_READ;
	unsigned long i;
	int ret = 0;

	if (!(prot & IOMMU_MIGRATE_PROT_READ) ||
	    prot & ~(IOMMU_MIGRATE_PROT_READ | IOMMU_MIGRATE_PROT_WRITE) ||
	    iova % PAGE_SIZE)
		return -EINVAL;
	if (prot & IOMMU_MIGRATE_PROT_WRITE)
		pprot |= PTSEL_PROT_WRITE;
	mutex_lock(&b->lock);
	if (b->dom || b->edu) {
		ret = -EBUSY;
		goto out;
	}
	for (i = 0; i < b->nr_pages; i++) {
		struct imm_rmt_ent *e = kzalloc(sizeof(*e), GFP_KERNEL_ACCOUNT);
		struct imm_rmt r = {
			.domain = d->id, .iova = iova + i * PAGE_SIZE,
			.state = IMM_NORMAL,
		};

		if (!e) {
			ret = -ENOMEM;
			break;
		}
		e->buf = b;
		e->idx = i;
		imm_rmt_publish(e, &r);
		/*
		 * A page is in one buffer, mapped once: the slot is free, or
		 * holds a retired entry of the frame's last owner.
		 */
		ret = imm_rmt_insert(page_to_pfn(b->pages[i]), e, NULL);
		if (ret) {
			kfree(e);
			break;
		}
		b->rmt[i] = e;
	}
	if (ret) {
		rmt_drop(b, i);
		goto out;
	}
	for (i = 0; i < b->nr_pages; i++) {
		ret = ptsel_partition_map(d->part, iova + i * PAGE_SIZE,
					  (u64)page_to_pfn(b->pages[i]) << PAGE_SHIFT,
					  PAGE_SIZE, pprot);
		if (ret)
			break;
		cond_resched();
	}
	if (ret) {
		if (i)
			ptsel_partition_unmap(d->part, iova, i * PAGE_SIZE);
		rmt_drop(b, b->nr_pages);
		goto out;
	}
	kref_get(&d->ref);
	kref_get(&b->ref);
	b->dom = d;
	b->iova = iova;
	b->prot = pprot;
out:
	mutex_unlock(&b->lock);
	return ret;
}

/**
 * imm_buf_unmap() - remove a buffer's mapping from its domain
 * @b: the buffer
 * @d: the domain it must be mapped in
 *
 * Devices that translate the range from now on fault; accesses in
 * flight finish first.
 *
 * Return: 0; -ENOENT if @b is not mapped in @d.
 */
int imm_buf_unmap(struct imm_buf *b, struct imm_domain *d)
{
	mutex_lock(&b->lock);
	if (b->dom != d) {
		mutex_unlock(&b->lock);
		return -ENOENT;
	}
	/* Holes are fine and no split is needed: 4K leaves, whole range. */
	ptsel_partition_unmap(d->part, b->iova, b->nr_pages << PAGE_SHIFT);
	rmt_drop(b, b->nr_pages);
	/* Without a PTE no dirty bit says whether a copy is still good. */
	copies_reset(b);
	b->dom = NULL;
	mutex_unlock(&b->lock);
	imm_domain_put(d);
	imm_buf_put(b);
	return 0;
}

/* The A/D bits of a mapped page's PTE, cleared with @clear. */
static int buf_page_ad(struct imm_buf *b, unsigned long idx, bool clear,
		       u32 *ad)
{
	u64 iova = b->iova + idx * PAGE_SIZE;
	u64 target = (u64)page_to_pfn(b->pages[idx]) << PAGE_SHIFT;
	struct ptsel_xlate x;
	u32 prot;
	int ret;

	lockdep_assert_held(&b->lock);
	/* The PME holds the lock for its moves: the target is current. */
	if (clear) {
		ret = ptsel_partition_leaf_ad(b->dom->part, iova, target, 0,
					      PTSEL_AD_MASK, &prot);
	} else {
		ret = ptsel_partition_translate(b->dom->part, iova, &x);
		prot = x.prot;
	}
	if (ret)
		return ret;
	if (b->copies) {
		prot |= b->copies[idx].ad;
		/* A dirty bit cleared under the PME's feet: the copy goes. */
		if (clear) {
			b->copies[idx].ad = 0;
			imm_copy_drop(b, idx);
		}
	}
	*ad = (prot & PTSEL_LEAF_ACCESSED ? IOMMU_MIGRATE_AD_ACCESSED : 0) |
	      (prot & PTSEL_LEAF_DIRTY ? IOMMU_MIGRATE_AD_DIRTY : 0);
	return 0;
}

/**
 * imm_buf_page() - where one page of a buffer is
 * @b: the buffer
 * @pg: @pg->index and @pg->flags in; frame, node, RMT state and A/D
 *	bits out
 *
 * Return: 0; -EINVAL for an index beyond the buffer; -ENOMEM.
 */
int imm_buf_page(struct imm_buf *b, struct iommu_migrate_page *pg)
{
	int ret = 0;

	if (pg->index >= b->nr_pages)
		return -EINVAL;
	mutex_lock(&b->lock);
	pg->pfn = page_to_pfn(b->pages[pg->index]);
	pg->node = page_to_nid(b->pages[pg->index]);
	pg->state = b->rmt[pg->index] ? READ_ONCE(b->rmt[pg->index]->r.state) : -1;
	pg->ad = 0;
	if (iommu_migrate_pfn_mapped(pg->pfn))
		pg->flags |= IOMMU_MIGRATE_PAGE_DEV_MAPPED;
	if (b->dom)
		ret = buf_page_ad(b, pg->index,
				  pg->flags & IOMMU_MIGRATE_PAGE_CLEAR_AD, &pg->ad);
	mutex_unlock(&b->lock);
	return ret;
}

/**
 * imm_probe() - the RMT check of one forged device access
 * @d: domain the access claims to come from
 * @iova: IOVA it claims
 * @pfn: frame it goes to
 *
 * Return: 0 if the RMT agrees (nothing is accessed); -EFAULT, counted
 * as an RMT violation, if not; -EAGAIN if the page is migrating;
 * -EACCES if it is blocked.
 */
int imm_probe(struct imm_domain *d, u64 iova, u64 pfn)
{
	enum imm_verdict v = IMM_ACCESS_VIOLATION;
	struct imm_rmt_ent *e;
	struct imm_rmt r;

	rcu_read_lock();
	e = xa_load(&imm_rmt_xa, pfn);
	if (e) {
		imm_rmt_snapshot(e, &r);
		v = imm_rmt_check(&r, d->id, iova & PAGE_MASK, U64_MAX);
	}
	rcu_read_unlock();
	if (v == IMM_ACCESS_STALL)
		return -EAGAIN;
	if (v == IMM_ACCESS_BLOCKED)
		return -EACCES;
	if (v == IMM_ACCESS_OK)
		return 0;
	atomic64_inc(&imm_stats.rmt_violations);
	trace_iommu_migrate_rmt_violation(d->id, iova, pfn, v);
	return -EFAULT;
}
