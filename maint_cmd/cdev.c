// SPDX-License-Identifier: GPL-2.0
/*
 * maint_cmd ABI: the class maint_cmd and each device's event stream,
 * /dev/maint_cmd/mcN (root only, one reader): read() gives whole
 * struct maint_cmd_event records, poll() says when there is one.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/poll.h>
#include <linux/uaccess.h>

#include "maint_cmd_internal.h"

dev_t mc_devt;

static char *mc_devnode(const struct device *dev, umode_t *mode)
{
	if (mode)
		*mode = 0600;
	return kasprintf(GFP_KERNEL, "maint_cmd/%s", dev_name(dev));
}

const struct class mc_class = {
	.name = "maint_cmd",
	.devnode = mc_devnode,
};

static int mc_ev_open(struct inode *inode, struct file *file)
{
	struct mc_host *h = container_of(inode->i_cdev, struct mc_host, cdev);

	if (READ_ONCE(h->dead))
		return -ENODEV;
	/* One consumer, as rasdaemon is: records are not duplicated. */
	if (atomic_cmpxchg(&h->ev_open, 0, 1))
		return -EBUSY;
	file->private_data = h;
	return nonseekable_open(inode, file);
}

static int mc_ev_release(struct inode *inode, struct file *file)
{
	struct mc_host *h = file->private_data;

	atomic_set(&h->ev_open, 0);
	return 0;
}

static ssize_t mc_ev_read(struct file *file, char __user *buf, size_t count,
			  loff_t *ppos)
{
	struct mc_host *h = file->private_data;
	struct maint_cmd_event e;
	size_t done = 0;
	int ret;

	if (count < sizeof(e))
		return -EINVAL;
	if (mutex_lock_interruptible(&h->ev_read_lock))
		return -ERESTARTSYS;
	while (done + sizeof(e) <= count) {
		spin_lock(&h->ev_lock);
		if (!h->ev_n) {
			spin_unlock(&h->ev_lock);
			if (done)
				break;
			ret = -ENODEV;
			if (READ_ONCE(h->dead))
				goto out;
			ret = -EAGAIN;
			if (file->f_flags & O_NONBLOCK)
				goto out;
			ret = wait_event_interruptible(h->ev_wait,
						       READ_ONCE(h->ev_n) ||
						       READ_ONCE(h->dead));
			if (ret)
				goto out;
			continue;
		}
		/*
		 * Taken off the ring only once the reader has it: a bad
		 * buffer loses nothing. ev_read_lock keeps other threads
		 * of the reader from taking the same record meanwhile.
		 */
		e = h->ring[h->ev_first];
		spin_unlock(&h->ev_lock);
		if (copy_to_user(buf + done, &e, sizeof(e))) {
			ret = done ? done : -EFAULT;
			goto out;
		}
		spin_lock(&h->ev_lock);
		if (h->ev_n && h->ring[h->ev_first].seq == e.seq) {
			h->ev_first = (h->ev_first + 1) % MC_EVENT_RING;
			h->ev_n--;
		} else if (h->ev_n && h->ring[h->ev_first].lost) {
			/* A full ring dropped it meanwhile, yet it was read. */
			h->ring[h->ev_first].lost--;
		}
		spin_unlock(&h->ev_lock);
		done += sizeof(e);
	}
	ret = done;
out:
	mutex_unlock(&h->ev_read_lock);
	return ret;
}

static __poll_t mc_ev_poll(struct file *file, poll_table *wait)
{
	struct mc_host *h = file->private_data;
	__poll_t mask = 0;

	poll_wait(file, &h->ev_wait, wait);
	if (READ_ONCE(h->ev_n))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (READ_ONCE(h->dead))
		mask |= EPOLLHUP;
	return mask;
}

const struct file_operations mc_ev_fops = {
	.owner = THIS_MODULE,
	.open = mc_ev_open,
	.release = mc_ev_release,
	.read = mc_ev_read,
	.poll = mc_ev_poll,
	.llseek = noop_llseek,
};

int mc_cdev_init(void)
{
	int ret = alloc_chrdev_region(&mc_devt, 0, MC_MAX_DEVICES, "maint_cmd");

	if (ret)
		return ret;
	ret = class_register(&mc_class);
	if (ret)
		unregister_chrdev_region(mc_devt, MC_MAX_DEVICES);
	return ret;
}

void mc_cdev_exit(void)
{
	class_unregister(&mc_class);
	unregister_chrdev_region(mc_devt, MC_MAX_DEVICES);
}
