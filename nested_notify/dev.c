// SPDX-License-Identifier: GPL-2.0
/*
 * nested_notify ABI: /dev/nested_notify creates contexts; a context's
 * fd takes SET_TABLE, ADD_DEVICE, REMOVE_DEVICE and INFO.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/uaccess.h>

#include "nn_ctx.h"

static long nn_ctx_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct nn_ctx *ctx = file->private_data;
	void __user *argp = (void __user *)arg;
	struct nested_notify_device d;
	struct nested_notify_table t;
	struct nested_notify_info info;

	switch (cmd) {
	case NESTED_NOTIFY_IOC_SET_TABLE:
		if (copy_from_user(&t, argp, sizeof(t)))
			return -EFAULT;
		return nn_ctx_set_table(ctx, &t);
	case NESTED_NOTIFY_IOC_ADD_DEVICE:
		if (copy_from_user(&d, argp, sizeof(d)))
			return -EFAULT;
		return nn_ctx_add_device(ctx, &d);
	case NESTED_NOTIFY_IOC_REMOVE_DEVICE:
		if (copy_from_user(&d, argp, sizeof(d)))
			return -EFAULT;
		return nn_ctx_remove_device(ctx, &d);
	case NESTED_NOTIFY_IOC_INFO:
		nn_ctx_info(ctx, &info);
		return copy_to_user(argp, &info, sizeof(info)) ? -EFAULT : 0;
	default:
		return -ENOTTY;
	}
}

static int nn_ctx_file_release(struct inode *inode, struct file *file)
{
	nn_ctx_release(file->private_data);
	return 0;
}

static const struct file_operations nn_ctx_fops = {
	.owner = THIS_MODULE,
	.release = nn_ctx_file_release,
	.unlocked_ioctl = nn_ctx_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static long nn_dev_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct nested_notify_create c;
	struct nn_ctx *ctx;
	struct file *cf;
	int fd;

	if (cmd != NESTED_NOTIFY_IOC_CREATE)
		return -ENOTTY;
	if (copy_from_user(&c, (void __user *)arg, sizeof(c)))
		return -EFAULT;
	ctx = nn_ctx_alloc(&c);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0)
		goto release;
	cf = anon_inode_getfile("[nested_notify]", &nn_ctx_fops, ctx, O_RDWR);
	if (IS_ERR(cf)) {
		put_unused_fd(fd);
		fd = PTR_ERR(cf);
		goto release;
	}
	ctx->file = cf;
	fd_install(fd, cf);
	return fd;
release:
	nn_ctx_release(ctx);
	return fd;
}

static const struct file_operations nn_dev_fops = {
	.owner = THIS_MODULE,
	.open = nonseekable_open,
	.unlocked_ioctl = nn_dev_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice nn_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "nested_notify",
	.fops = &nn_dev_fops,
	.mode = 0600,
};

int nn_dev_init_misc(void)
{
	return misc_register(&nn_misc);
}

void nn_dev_exit_misc(void)
{
	misc_deregister(&nn_misc);
}
