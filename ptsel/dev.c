// SPDX-License-Identifier: GPL-2.0
/*
 * ptsel ABI: /dev/ptsel. An open file holds a walker and up to
 * max_partitions_per_fd partitions, one of which is current.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/ptsel.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>

#include "ptsel_internal.h"

/**
 * struct ptsel_file - state of one open /dev/ptsel
 * @lock: serializes switches and the creation of partitions
 * @parts: the partitions by ASID; each holds the file's reference
 * @nr_parts: entries in @parts
 * @walker: translates for the file (TRANSLATE, TRANSLATE_BATCH); the
 *	    partition it is switched to is the file's current one
 */
struct ptsel_file {
	struct mutex lock;
	struct xarray parts;
	unsigned int nr_parts;
	struct ptsel_walker *walker;
};

static int ptsel_open(struct inode *inode, struct file *file)
{
	struct ptsel_partition *p;
	struct ptsel_file *f;
	int ret;

	f = kzalloc(sizeof(*f), GFP_KERNEL_ACCOUNT);
	if (!f)
		return -ENOMEM;
	mutex_init(&f->lock);
	xa_init(&f->parts);
	f->walker = ptsel_walker_create();
	if (IS_ERR(f->walker)) {
		ret = PTR_ERR(f->walker);
		goto free;
	}
	p = ptsel_partition_create(PTSEL_FORMAT_DEFAULT);
	if (IS_ERR(p)) {
		ret = PTR_ERR(p);
		goto walker;
	}
	ret = xa_err(xa_store(&f->parts, 0, p, GFP_KERNEL_ACCOUNT));
	if (ret) {
		ptsel_partition_put(p);
		goto walker;
	}
	f->nr_parts = 1;
	ptsel_walker_switch(f->walker, p);
	file->private_data = f;
	return nonseekable_open(inode, file);
walker:
	ptsel_walker_destroy(f->walker);
free:
	xa_destroy(&f->parts);
	kfree(f);
	return ret;
}

static int ptsel_release(struct inode *inode, struct file *file)
{
	struct ptsel_file *f = file->private_data;
	struct ptsel_partition *p;
	unsigned long i;

	ptsel_walker_destroy(f->walker);
	xa_for_each(&f->parts, i, p)
		ptsel_partition_put(p);
	xa_destroy(&f->parts);
	mutex_destroy(&f->lock);
	kfree(f);
	return 0;
}

/*
 * The current partition: the walker's, so that the ioctls that go
 * through the walker (TRANSLATE) and the others (MAP, GET_STATS...)
 * never act on different partitions around a switch. The file keeps
 * every partition alive until release, so the pointer stays valid for
 * the whole ioctl.
 */
static struct ptsel_partition *cur(struct ptsel_file *f)
{
	return ptsel_walker_partition(f->walker);
}

static long ioctl_map(struct ptsel_file *f, unsigned int cmd, void __user *argp)
{
	struct ptsel_partition *p = cur(f);
	struct ptsel_map m;

	if (copy_from_user(&m, argp, sizeof(m)))
		return -EFAULT;
	if (m.reserved)
		return -EINVAL;
	switch (cmd) {
	case PTSEL_IOC_MAP:
		return ptsel_partition_map(p, m.addr, m.target, m.size, m.prot);
	case PTSEL_IOC_UNMAP:
		if (m.target || m.prot)
			return -EINVAL;
		return ptsel_partition_unmap(p, m.addr, m.size);
	case PTSEL_IOC_PROTECT:
		if (m.target)
			return -EINVAL;
		return ptsel_partition_protect(p, m.addr, m.size, m.prot);
	default: /* PTSEL_IOC_REMAP */
		if (m.prot)
			return -EINVAL;
		return ptsel_partition_remap(p, m.addr, m.size, m.target);
	}
}

static void to_user_xlate(struct ptsel_translate *t, const struct ptsel_xlate *x)
{
	t->target = x->target;
	t->prot = x->prot;
	t->level = x->level;
	t->mem_refs = x->mem_refs;
}

static long ioctl_translate(struct ptsel_file *f, void __user *argp)
{
	struct ptsel_translate t;
	struct ptsel_xlate x;
	int ret;

	if (copy_from_user(&t, argp, sizeof(t)))
		return -EFAULT;
	if (t.reserved)
		return -EINVAL;
	ret = ptsel_walker_translate(f->walker, t.addr, &x);
	if (ret)
		return ret;
	to_user_xlate(&t, &x);
	return copy_to_user(argp, &t, sizeof(t)) ? -EFAULT : 0;
}

#define BATCH_CHUNK	64

static long ioctl_translate_batch(struct ptsel_file *f, void __user *argp)
{
	struct ptsel_translate_batch b;
	struct ptsel_translate *buf;
	struct ptsel_translate __user *u;
	u32 i, n, done = 0;
	int ret = 0;

	if (copy_from_user(&b, argp, sizeof(b)))
		return -EFAULT;
	if (!b.count || b.count > PTSEL_BATCH_MAX || b.done)
		return -EINVAL;
	u = u64_to_user_ptr(b.entries);
	buf = kmalloc_array(BATCH_CHUNK, sizeof(*buf), GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	while (done < b.count && !ret) {
		n = min_t(u32, BATCH_CHUNK, b.count - done);
		if (copy_from_user(buf, u + done, n * sizeof(*buf))) {
			ret = -EFAULT;
			break;
		}
		for (i = 0; i < n; i++) {
			struct ptsel_xlate x;

			ret = buf[i].reserved ? -EINVAL :
			      ptsel_walker_translate(f->walker, buf[i].addr, &x);
			if (ret)
				break;
			to_user_xlate(&buf[i], &x);
		}
		if (copy_to_user(u + done, buf, i * sizeof(*buf)))
			ret = -EFAULT;
		else
			done += i;
	}
	kfree(buf);
	b.done = done;
	if (copy_to_user(argp, &b, sizeof(b)))
		return -EFAULT;
	return ret;
}

static long ioctl_lookup_update(struct ptsel_file *f, void __user *argp)
{
	struct ptsel_lookup l;
	struct ptsel_xlate x;
	int ret;

	if (copy_from_user(&l, argp, sizeof(l)))
		return -EFAULT;
	if (l.moved || l.prot || l.target)
		return -EINVAL;
	ret = ptsel_partition_lookup_update(cur(f), l.addr, &l.generation, &x);
	if (ret < 0)
		return ret;
	l.moved = ret;
	l.target = x.target;
	l.prot = x.prot;
	return copy_to_user(argp, &l, sizeof(l)) ? -EFAULT : 0;
}

static long ioctl_region(struct ptsel_file *f, unsigned int cmd,
			 void __user *argp)
{
	struct ptsel_region r;
	int ret;

	if (copy_from_user(&r, argp, sizeof(r)))
		return -EFAULT;
	if (r.reserved || r.leaves)
		return -EINVAL;
	if (cmd == PTSEL_IOC_CONVERT && (!r.size || !r.format))
		return -EINVAL;
	if (cmd == PTSEL_IOC_CONVERT)
		ret = ptsel_partition_convert(cur(f), r.addr, r.size, r.format,
					      &r.leaves);
	else
		ret = ptsel_partition_set_region(cur(f), r.addr, r.size,
						 r.format, &r.leaves);
	if (ret)
		return ret;
	return copy_to_user(argp, &r, sizeof(r)) ? -EFAULT : 0;
}

static long ioctl_switch(struct ptsel_file *f, void __user *argp)
{
	struct ptsel_partition *p;
	struct ptsel_switch s;
	int ret = 0;

	if (copy_from_user(&s, argp, sizeof(s)))
		return -EFAULT;
	if (s.reserved || s.retained)
		return -EINVAL;
	mutex_lock(&f->lock);
	p = xa_load(&f->parts, s.asid);
	if (!p) {
		if (f->nr_parts >= READ_ONCE(ptsel_max_partitions_per_fd)) {
			ret = -ENOSPC;
			goto out;
		}
		p = ptsel_partition_create(PTSEL_FORMAT_DEFAULT);
		if (IS_ERR(p)) {
			ret = PTR_ERR(p);
			goto out;
		}
		ret = xa_err(xa_store(&f->parts, s.asid, p, GFP_KERNEL_ACCOUNT));
		if (ret) {
			ptsel_partition_put(p);
			goto out;
		}
		f->nr_parts++;
	}
	s.retained = ptsel_walker_switch(f->walker, p);
out:
	mutex_unlock(&f->lock);
	if (ret)
		return ret;
	return copy_to_user(argp, &s, sizeof(s)) ? -EFAULT : 0;
}

static long ioctl_stats(struct ptsel_file *f, void __user *argp)
{
	struct ptsel_partition_stats ps;
	struct ptsel_walker_stats ws;
	struct ptsel_stats s;

	ptsel_walker_stats(f->walker, &ws);
	ptsel_partition_stats(cur(f), &ps);
	s = (struct ptsel_stats){
		.tlb_hits = ws.tlb.hits,
		.tlb_misses = ws.tlb.misses,
		.tlb_flushes_avoided = ws.tlb.flushes_avoided,
		.tlb_asid_evictions = ws.tlb.asid_evictions,
		.tlb_invalidations = ws.tlb.invalidations,
		.wc_hits = ws.wc_hits,
		.wc_misses = ws.wc_misses,
		.wc_overrides = ws.wc_overrides,
		.walk_mem_refs = ws.walk_mem_refs,
		.walks = ws.walks,
		.mapped_pages = ps.mapped_pages,
		.table_bytes = ps.table_bytes,
		.regions = ps.regions,
		.conversions = ps.conversions,
		.hash_resizes = ps.hash_resizes,
		.generation = ps.generation,
	};
	return copy_to_user(argp, &s, sizeof(s)) ? -EFAULT : 0;
}

static long ptsel_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct ptsel_file *f = file->private_data;
	void __user *argp = (void __user *)arg;

	switch (cmd) {
	case PTSEL_IOC_MAP:
	case PTSEL_IOC_UNMAP:
	case PTSEL_IOC_PROTECT:
	case PTSEL_IOC_REMAP:
		return ioctl_map(f, cmd, argp);
	case PTSEL_IOC_TRANSLATE:
		return ioctl_translate(f, argp);
	case PTSEL_IOC_TRANSLATE_BATCH:
		return ioctl_translate_batch(f, argp);
	case PTSEL_IOC_LOOKUP_UPDATE:
		return ioctl_lookup_update(f, argp);
	case PTSEL_IOC_SET_REGION:
	case PTSEL_IOC_CONVERT:
		return ioctl_region(f, cmd, argp);
	case PTSEL_IOC_SWITCH_AS:
		return ioctl_switch(f, argp);
	case PTSEL_IOC_GET_STATS:
		return ioctl_stats(f, argp);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations ptsel_fops = {
	.owner = THIS_MODULE,
	.open = ptsel_open,
	.release = ptsel_release,
	.unlocked_ioctl = ptsel_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice ptsel_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "ptsel",
	.fops = &ptsel_fops,
	.mode = 0600,
};

int ptsel_dev_init(void)
{
	return misc_register(&ptsel_misc);
}

void ptsel_dev_exit(void)
{
	misc_deregister(&ptsel_misc);
}
