// SPDX-License-Identifier: GPL-2.0
/*
 * thp_encvm: re-forms 2 MiB pages in encrypted-VM memory with the
 * guest's help. Module lifetime; objects live in obj.c, the daemon in
 * collapse.c, the user interfaces in dev.c and sysfs.c.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>

#include "thp_encvm_internal.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

static int __init te_init(void)
{
	int ret;

	ret = te_sysfs_init();
	if (ret)
		return ret;
	ret = te_daemon_start();
	if (ret)
		goto sysfs;
	ret = te_dev_init();
	if (!ret)
		return 0;
	te_daemon_stop();
sysfs:
	te_sysfs_exit();
	return ret;
}

static void __exit te_exit(void)
{
	/* No object is left: each holds a module reference through its fops. */
	te_dev_exit();
	te_daemon_stop();
	te_sysfs_exit();
}

module_init(te_init);
module_exit(te_exit);
MODULE_DESCRIPTION("Huge pages for encrypted-VM memory, copied by the guest");
MODULE_LICENSE("GPL");
