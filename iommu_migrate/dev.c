// SPDX-License-Identifier: GPL-2.0
/*
 * iommu_migrate ABI: /dev/iommu_migrate. Each open file holds its
 * domains, its engines and the buffer mappings made through it; see
 * include/uapi/linux/iommu_migrate.h.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "imm_internal.h"

static int imm_open(struct inode *inode, struct file *file)
{
	struct imm_ctx *c = kzalloc(sizeof(*c), GFP_KERNEL_ACCOUNT);

	if (!c)
		return -ENOMEM;
	mutex_init(&c->lock);
	idr_init(&c->domains);
	idr_init(&c->engines);
	xa_init(&c->bufs);
	file->private_data = c;
	return nonseekable_open(inode, file);
}

static int imm_release(struct inode *inode, struct file *file)
{
	struct imm_ctx *c = file->private_data;
	struct imm_domain *d;
	struct imm_engine *e;
	struct imm_buf *b;
	unsigned long i;
	int id;

	/* Devices first, then what they used. */
	imm_edu_release(c);
	idr_for_each_entry(&c->engines, e, id)
		imm_engine_stop(e, NULL);
	xa_for_each(&c->bufs, i, b) {
		if (b->dom)
			imm_buf_unmap(b, b->dom);
		imm_buf_put(b);
	}
	idr_for_each_entry(&c->domains, d, id)
		imm_domain_put(d);
	idr_destroy(&c->engines);
	idr_destroy(&c->domains);
	xa_destroy(&c->bufs);
	kfree(c);
	return 0;
}

static struct imm_domain *ctx_domain(struct imm_ctx *c, u32 id)
{
	lockdep_assert_held(&c->lock);
	return idr_find(&c->domains, id);
}

static long do_domain_create(struct imm_ctx *c, void __user *argp)
{
	struct iommu_migrate_domain req;
	struct imm_domain *d;
	int id;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	if (req.reserved || req.id)
		return -EINVAL;
	d = imm_domain_create(req.format);
	if (IS_ERR(d))
		return PTR_ERR(d);
	mutex_lock(&c->lock);
	id = idr_alloc(&c->domains, d, 1, READ_ONCE(imm_max_domains) + 1,
		       GFP_KERNEL_ACCOUNT);
	mutex_unlock(&c->lock);
	if (id < 0) {
		imm_domain_put(d);
		return id == -ENOSPC ? -EMFILE : id;
	}
	req.id = id;
	if (copy_to_user(argp, &req, sizeof(req))) {
		/* The domain exists; the caller can still destroy it by id. */
		return -EFAULT;
	}
	return 0;
}

static long do_domain_destroy(struct imm_ctx *c, void __user *argp)
{
	struct iommu_migrate_id req;
	struct imm_engine *e;
	struct imm_domain *d;
	struct imm_buf *b;
	unsigned long i;
	int id;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	if (req.reserved)
		return -EINVAL;
	mutex_lock(&c->lock);
	d = ctx_domain(c, req.id);
	if (!d) {
		mutex_unlock(&c->lock);
		return -ENOENT;
	}
	idr_for_each_entry(&c->engines, e, id)
		if (e->dom == d) {
			mutex_unlock(&c->lock);
			return -EBUSY;
		}
	xa_for_each(&c->bufs, i, b)
		if (b->dom == d) {
			mutex_unlock(&c->lock);
			return -EBUSY;
		}
	idr_remove(&c->domains, req.id);
	mutex_unlock(&c->lock);
	imm_domain_put(d);
	return 0;
}

static long do_map(struct imm_ctx *c, void __user *argp, bool map)
{
	struct iommu_migrate_map req;
	struct imm_domain *d;
	struct imm_buf *b;
	long ret;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	if (req.reserved || (!map && (req.iova || req.prot)))
		return -EINVAL;
	b = imm_buf_from_fd(req.buf_fd);
	if (IS_ERR(b))
		return PTR_ERR(b);
	mutex_lock(&c->lock);
	d = ctx_domain(c, req.domain);
	if (!d) {
		ret = -ENOENT;
	} else if (map) {
		ret = xa_insert(&c->bufs, (unsigned long)b, b, GFP_KERNEL_ACCOUNT);
		if (!ret) {
			ret = imm_buf_map(b, d, req.iova, req.prot);
			if (ret)
				xa_erase(&c->bufs, (unsigned long)b);
			else
				b = NULL;	/* c->bufs keeps the reference */
		}
	} else if (xa_load(&c->bufs, (unsigned long)b) != b) {
		ret = -ENOENT;
	} else {
		ret = imm_buf_unmap(b, d);
		if (!ret)
			imm_buf_put(xa_erase(&c->bufs, (unsigned long)b));
	}
	mutex_unlock(&c->lock);
	if (b)
		imm_buf_put(b);
	return ret;
}

static long do_engine_start(struct imm_ctx *c, void __user *argp)
{
	struct iommu_migrate_engine req;
	struct imm_engine *e;
	struct imm_domain *d;
	long ret;
	int id;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	if (req.id)
		return -EINVAL;
	mutex_lock(&c->lock);
	d = ctx_domain(c, req.domain);
	ret = -ENOENT;
	if (!d)
		goto out;
	/* Reserve the id first: the engine's records carry it. */
	id = idr_alloc(&c->engines, NULL, 1, READ_ONCE(imm_max_engines) + 1,
		       GFP_KERNEL_ACCOUNT);
	if (id < 0) {
		ret = id == -ENOSPC ? -EMFILE : id;
		goto out;
	}
	e = imm_engine_start(d, &req, id);
	if (IS_ERR(e)) {
		idr_remove(&c->engines, id);
		ret = PTR_ERR(e);
		goto out;
	}
	e->ctx_id = id;
	idr_replace(&c->engines, e, id);
	req.id = id;
	ret = copy_to_user(argp, &req, sizeof(req)) ? -EFAULT : 0;
out:
	mutex_unlock(&c->lock);
	return ret;
}

/*
 * The engine whose id @argp starts with. With @st, its counters are
 * read while the file's lock keeps it; without, it leaves the file and
 * the caller stops it.
 *
 * Return: the engine, or ERR_PTR(-EFAULT or -ENOENT).
 */
static struct imm_engine *imm_engine_get(struct imm_ctx *c, void __user *argp,
					 struct iommu_migrate_engine_stats *st)
{
	struct imm_engine *e;
	u32 id;

	if (get_user(id, (u32 __user *)argp))
		return ERR_PTR(-EFAULT);
	mutex_lock(&c->lock);
	e = idr_find(&c->engines, id);
	if (e && st)
		imm_engine_stats(e, st);
	else if (e)
		idr_remove(&c->engines, id);
	mutex_unlock(&c->lock);
	return e ?: ERR_PTR(-ENOENT);
}

static long do_engine_stop(struct imm_ctx *c, void __user *argp)
{
	struct iommu_migrate_engine_stats st;
	struct imm_engine *e = imm_engine_get(c, argp, NULL);

	if (IS_ERR(e))
		return PTR_ERR(e);
	imm_engine_stop(e, &st);
	return copy_to_user(argp, &st, sizeof(st)) ? -EFAULT : 0;
}

static long do_engine_stats(struct imm_ctx *c, void __user *argp)
{
	struct iommu_migrate_engine_stats st;
	struct imm_engine *e = imm_engine_get(c, argp, &st);

	if (IS_ERR(e))
		return PTR_ERR(e);
	return copy_to_user(argp, &st, sizeof(st)) ? -EFAULT : 0;
}

static long do_buf_op(unsigned int cmd, void __user *argp)
{
	struct iommu_migrate_migrate m;
	struct iommu_migrate_page pg;
	struct imm_buf *b;
	long ret;

	if (cmd == IOMMU_MIGRATE_IOC_MIGRATE) {
		if (copy_from_user(&m, argp, sizeof(m)))
			return -EFAULT;
		b = imm_buf_from_fd(m.buf_fd);
		if (IS_ERR(b))
			return PTR_ERR(b);
		ret = imm_migrate(b, &m);
		imm_buf_put(b);
		if ((!ret || ret == -EINTR) && copy_to_user(argp, &m, sizeof(m)))
			ret = -EFAULT;
		return ret;
	}
	if (copy_from_user(&pg, argp, sizeof(pg)))
		return -EFAULT;
	/* DEV_MAPPED is an output: a struct used before may come back. */
	pg.flags &= ~IOMMU_MIGRATE_PAGE_DEV_MAPPED;
	if (pg.reserved || pg.flags & ~IOMMU_MIGRATE_PAGE_CLEAR_AD)
		return -EINVAL;
	b = imm_buf_from_fd(pg.buf_fd);
	if (IS_ERR(b))
		return PTR_ERR(b);
	ret = imm_buf_page(b, &pg);
	imm_buf_put(b);
	if (!ret && copy_to_user(argp, &pg, sizeof(pg)))
		ret = -EFAULT;
	return ret;
}

static long do_evacuate(void __user *argp)
{
	struct iommu_migrate_evacuate req;
	struct iommu_migrate_evac_result res;
	long ret;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	if (req.reserved || req.node < NUMA_NO_NODE ||
	    req.start_pfn > ULONG_MAX || req.nr_pages > ULONG_MAX)
		return -EINVAL;
	ret = iommu_migrate_evacuate(req.start_pfn, req.nr_pages, req.node,
				     &res);
	if (ret)
		return ret;
	req.mapped = res.mapped;
	req.moved = res.moved;
	req.failed = res.failed;
	return copy_to_user(argp, &req, sizeof(req)) ? -EFAULT : 0;
}

static long do_probe(struct imm_ctx *c, void __user *argp)
{
	struct iommu_migrate_probe req;
	struct imm_domain *d;
	long ret;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	if (req.reserved)
		return -EINVAL;
	mutex_lock(&c->lock);
	d = ctx_domain(c, req.domain);
	ret = d ? imm_probe(d, req.iova, req.pfn) : -ENOENT;
	mutex_unlock(&c->lock);
	return ret;
}

/*
 * IOMMU_MIGRATE_IOC_STATS of any size the caller's struct has (from
 * IOMMU_MIGRATE_STATS_SIZE_V1 on): what fits is filled in, a larger
 * struct's tail is zeroed.
 */
static long do_stats(void __user *argp, size_t usize)
{
	struct iommu_migrate_stats st = {
		.pages_migrated = atomic64_read(&imm_stats.pages_migrated),
		.bytes_migrated = atomic64_read(&imm_stats.bytes_migrated),
		.dma_stalls = atomic64_read(&imm_stats.dma_stalls),
		.dma_stall_ns = atomic64_read(&imm_stats.dma_stall_ns),
		.rmt_violations = atomic64_read(&imm_stats.rmt_violations),
		.migrations_aborted = atomic64_read(&imm_stats.migrations_aborted),
		.alloc_failures = atomic64_read(&imm_stats.alloc_failures),
		.drain_timeouts = atomic64_read(&imm_stats.drain_timeouts),
		.copies_skipped = atomic64_read(&imm_stats.copies_skipped),
		.copies_kept = atomic64_read(&imm_stats.copies_kept),
		.precopies_redone = atomic64_read(&imm_stats.precopies_redone),
		.pinned_aborts = atomic64_read(&imm_stats.pinned_aborts),
		.size = sizeof(st),
	};
	int i;

	if (usize < IOMMU_MIGRATE_STATS_SIZE_V1 || usize % 8)
		return -EINVAL;
	for (i = 0; i < IOMMU_MIGRATE_STALL_BUCKETS; i++)
		st.blocked_hist[i] = atomic64_read(&imm_stats.blocked_hist[i]);
	if (copy_to_user(argp, &st, min(usize, sizeof(st))))
		return -EFAULT;
	if (usize > sizeof(st) &&
	    clear_user(argp + sizeof(st), usize - sizeof(st)))
		return -EFAULT;
	return 0;
}

static long imm_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct imm_ctx *c = file->private_data;
	void __user *argp = (void __user *)arg;
	struct iommu_migrate_buf req;

	/* STATS of any version: the caller's size is in the number. */
	if ((cmd & ~IOCSIZE_MASK) == (IOMMU_MIGRATE_IOC_STATS & ~IOCSIZE_MASK))
		return do_stats(argp, _IOC_SIZE(cmd));
	switch (cmd) {
	case IOMMU_MIGRATE_IOC_DOMAIN_CREATE:
		return do_domain_create(c, argp);
	case IOMMU_MIGRATE_IOC_DOMAIN_DESTROY:
		return do_domain_destroy(c, argp);
	case IOMMU_MIGRATE_IOC_BUF_CREATE:
		if (copy_from_user(&req, argp, sizeof(req)))
			return -EFAULT;
		return imm_buf_create(&req);
	case IOMMU_MIGRATE_IOC_MAP:
		return do_map(c, argp, true);
	case IOMMU_MIGRATE_IOC_UNMAP:
		return do_map(c, argp, false);
	case IOMMU_MIGRATE_IOC_ENGINE_START:
		return do_engine_start(c, argp);
	case IOMMU_MIGRATE_IOC_ENGINE_STOP:
		return do_engine_stop(c, argp);
	case IOMMU_MIGRATE_IOC_ENGINE_STATS:
		return do_engine_stats(c, argp);
	case IOMMU_MIGRATE_IOC_MIGRATE:
	case IOMMU_MIGRATE_IOC_PAGE:
		return do_buf_op(cmd, argp);
	case IOMMU_MIGRATE_IOC_EVACUATE:
		return do_evacuate(argp);
	case IOMMU_MIGRATE_IOC_PROBE:
		return do_probe(c, argp);
	case IOMMU_MIGRATE_IOC_EDU_START:
	case IOMMU_MIGRATE_IOC_EDU_STOP:
	case IOMMU_MIGRATE_IOC_EDU_STATS:
		return imm_edu_ioctl(c, cmd, argp);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations imm_fops = {
	.owner = THIS_MODULE,
	.open = imm_open,
	.release = imm_release,
	.unlocked_ioctl = imm_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice imm_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "iommu_migrate",
	.fops = &imm_fops,
	.mode = 0600,
};

int imm_dev_init(void)
{
	return misc_register(&imm_misc);
}

void imm_dev_exit(void)
{
	misc_deregister(&imm_misc);
}
