// SPDX-License-Identifier: GPL-2.0
/*
 * thp_encvm ABI: /dev/thp_encvm creates objects; an object's fd takes
 * ATTACH, DETACH and INFO.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/thp_encvm.h>
#include <linux/uaccess.h>

#include "thp_encvm_internal.h"

/**
 * te_obj_dev_ioctl() - an ioctl on one of an object's files
 * @o: the object
 * @mode: the file's f_mode
 * @cmd: the command
 * @argp: its argument
 *
 * ATTACH and DETACH change the object (ATTACH writes its ring): they
 * want a file open for writing, as a write to it would.
 *
 * Return: as the command, -EBADF for ATTACH, DETACH, DISPLACE or a
 * writing XFER on a file not open for writing, -ENOTTY for an unknown
 * command.
 */
long te_obj_dev_ioctl(struct te_obj *o, fmode_t mode, unsigned int cmd,
		      void __user *argp)
{
	struct thp_encvm_attach a;
	struct thp_encvm_info info;
	struct thp_encvm_xfer x;
	struct thp_encvm_displace d;

	int ret;

	switch (cmd) {
	case THP_ENCVM_IOC_ATTACH_VER0:
	case THP_ENCVM_IOC_ATTACH:
		if (!(mode & FMODE_WRITE))
			return -EBADF;
		/* The first version's struct: the exclusion range reads as 0. */
		ret = copy_struct_from_user(&a, sizeof(a), argp, _IOC_SIZE(cmd));
		if (ret)
			return ret;
		return te_obj_attach(o, &a);
	case THP_ENCVM_IOC_DETACH:
		if (!(mode & FMODE_WRITE))
			return -EBADF;
		return te_obj_detach(o);
	case THP_ENCVM_IOC_INFO:
		te_obj_info(o, &info);
		return copy_to_user(argp, &info, sizeof(info)) ? -EFAULT : 0;
	case THP_ENCVM_IOC_XFER:
		if (copy_from_user(&x, argp, sizeof(x)))
			return -EFAULT;
		if (x.write && !(mode & FMODE_WRITE))
			return -EBADF;
		return te_obj_xfer(o, &x);
	case THP_ENCVM_IOC_DISPLACE:
		if (!(mode & FMODE_WRITE))
			return -EBADF;
		if (copy_from_user(&d, argp, sizeof(d)))
			return -EFAULT;
		return te_obj_displace(o, &d);
	case THP_ENCVM_IOC_REMAP:
		return te_obj_remap(o);
	default:
		return -ENOTTY;
	}
}

static long te_dev_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct thp_encvm_create c;

	if (cmd != THP_ENCVM_IOC_CREATE)
		return -ENOTTY;
	if (copy_from_user(&c, (void __user *)arg, sizeof(c)))
		return -EFAULT;
	return te_obj_create(&c);
}

static const struct file_operations te_dev_fops = {
	.owner = THIS_MODULE,
	.open = nonseekable_open,
	.unlocked_ioctl = te_dev_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice te_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "thp_encvm",
	.fops = &te_dev_fops,
	.mode = 0600,
};

/**
 * te_dev_init() - register /dev/thp_encvm
 *
 * Return: 0, or the error of misc_register().
 */
int te_dev_init(void)
{
	return misc_register(&te_misc);
}

/**
 * te_dev_exit() - unregister /dev/thp_encvm
 *
 * At unload, when no object is left: each holds a module reference
 * through its file.
 */
void te_dev_exit(void)
{
	misc_deregister(&te_misc);
}
