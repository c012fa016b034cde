// SPDX-License-Identifier: GPL-2.0
/*
 * pwsp ABI: /dev/pwsp. Each open file is a session (struct pwsp_vm);
 * the ioctls of include/uapi/linux/pwsp.h act on it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "pwsp_internal.h"

static int pwsp_open(struct inode *inode, struct file *file)
{
	struct pwsp_vm *v = pwsp_vm_create();

	if (!v)
		return -ENOMEM;
	file->private_data = v;
	return nonseekable_open(inode, file);
}

static int pwsp_release(struct inode *inode, struct file *file)
{
	pwsp_vm_release(file->private_data);
	return 0;
}

static long pwsp_ioc_policy(struct pwsp_vm *v, void __user *argp)
{
	struct pwsp_policy up;
	struct pwsp_range *r;
	long ret;

	if (copy_from_user(&up, argp, sizeof(up)))
		return -EFAULT;
	if (!up.nr_ranges || up.nr_ranges > PWSP_MAX_RANGES)
		return -EINVAL;
	/* bounded by PWSP_MAX_RANGES, and charged to the caller */
	r = kmalloc_array(up.nr_ranges, sizeof(*r), GFP_KERNEL_ACCOUNT);
	if (!r)
		return -ENOMEM;
	if (copy_from_user(r, u64_to_user_ptr(up.ranges), up.nr_ranges * sizeof(*r))) {
		kfree(r);
		return -EFAULT;
	}
	ret = pwsp_vm_set_policy(v, &up, r);
	kfree(r);
	return ret;
}

static long pwsp_ioc_log(struct pwsp_vm *v, void __user *argp)
{
	struct pwsp_log_entry *e;
	struct pwsp_log_read lr;
	long ret = 0;
	int n;

	if (copy_from_user(&lr, argp, sizeof(lr)))
		return -EFAULT;
	if (!lr.nr || lr.nr > PWSP_MAX_LOG_READ || lr.out_nr || lr.lost || lr.reserved)
		return -EINVAL;
	e = kvcalloc(lr.nr, sizeof(*e), GFP_KERNEL_ACCOUNT);
	if (!e)
		return -ENOMEM;
	n = pwsp_vm_read_log(v, e, lr.nr, &lr.lost);
	lr.out_nr = n;
	/* Taken entries are gone: a fault here loses them, as a bad read would. */
	if (copy_to_user(u64_to_user_ptr(lr.entries), e, n * sizeof(*e)) ||
	    copy_to_user(argp, &lr, sizeof(lr)))
		ret = -EFAULT;
	kvfree(e);
	return ret;
}

static long pwsp_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct pwsp_vm *v = file->private_data;
	void __user *argp = (void __user *)arg;
	struct pwsp_attach a;
	struct pwsp_stats st;
	struct pwsp_root r;
	long ret;

	switch (cmd) {
	case PWSP_IOC_ATTACH:
		if (copy_from_user(&a, argp, sizeof(a)))
			return -EFAULT;
		ret = pwsp_vm_attach(v, &a);
		if (!ret && copy_to_user(argp, &a, sizeof(a)))
			ret = -EFAULT;
		return ret;
	case PWSP_IOC_SET_POLICY:
		return pwsp_ioc_policy(v, argp);
	case PWSP_IOC_PROTECT_ROOT:
	case PWSP_IOC_UNPROTECT_ROOT:
		if (copy_from_user(&r, argp, sizeof(r)))
			return -EFAULT;
		if (r.reserved)
			return -EINVAL;
		return pwsp_vm_protect(v, r.gpa, cmd == PWSP_IOC_PROTECT_ROOT);
	case PWSP_IOC_READ_LOG:
		return pwsp_ioc_log(v, argp);
	case PWSP_IOC_STATS:
		pwsp_vm_stats(v, &st);
		return copy_to_user(argp, &st, sizeof(st)) ? -EFAULT : 0;
	case PWSP_IOC_VERIFY:
		return pwsp_vm_verify(v);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations pwsp_fops = {
	.owner = THIS_MODULE,
	.open = pwsp_open,
	.release = pwsp_release,
	.unlocked_ioctl = pwsp_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice pwsp_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "pwsp",
	.fops = &pwsp_fops,
	.mode = 0600,
};

int pwsp_dev_init(void)
{
	return misc_register(&pwsp_misc);
}

void pwsp_dev_exit(void)
{
	misc_deregister(&pwsp_misc);
}
