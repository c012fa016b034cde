// SPDX-License-Identifier: GPL-2.0
/*
 * ptsel ABI: /dev/ptsel. Every open file is one partition.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/ptsel.h>
#include <linux/uaccess.h>

#include "ptsel_internal.h"

static int ptsel_open(struct inode *inode, struct file *file)
{
	struct ptsel_ctx *ctx = ptsel_ctx_create();

	if (!ctx)
		return -ENOMEM;
	file->private_data = ctx;
	return nonseekable_open(inode, file);
}

static int ptsel_release(struct inode *inode, struct file *file)
{
	ptsel_ctx_destroy(file->private_data);
	return 0;
}

static long ptsel_ioctl_map(struct ptsel_ctx *ctx, unsigned int cmd,
			    void __user *argp)
{
	struct ptsel_map m;

	if (copy_from_user(&m, argp, sizeof(m)))
		return -EFAULT;
	if (m.reserved)
		return -EINVAL;
	if (cmd == PTSEL_IOC_MAP)
		return ptsel_ctx_map(ctx, m.addr, m.target, m.size, m.prot);
	if (m.target || m.prot)
		return -EINVAL;
	return ptsel_ctx_unmap(ctx, m.addr, m.size);
}

static long ptsel_ioctl_translate(struct ptsel_ctx *ctx, void __user *argp)
{
	struct ptsel_translate t;
	struct ptsel_xlate x;
	int ret;

	if (copy_from_user(&t, argp, sizeof(t)))
		return -EFAULT;
	if (t.reserved)
		return -EINVAL;
	ret = ptsel_ctx_translate(ctx, t.addr, &x);
	if (ret)
		return ret;
	t.target = x.target;
	t.prot = x.prot;
	t.level = x.level;
	t.mem_refs = x.mem_refs;
	return copy_to_user(argp, &t, sizeof(t)) ? -EFAULT : 0;
}

static long ptsel_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct ptsel_ctx *ctx = file->private_data;
	void __user *argp = (void __user *)arg;

	switch (cmd) {
	case PTSEL_IOC_MAP:
	case PTSEL_IOC_UNMAP:
		return ptsel_ioctl_map(ctx, cmd, argp);
	case PTSEL_IOC_TRANSLATE:
		return ptsel_ioctl_translate(ctx, argp);
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
