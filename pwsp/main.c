// SPDX-License-Identifier: GPL-2.0
/*
 * pwsp: protected walk-based shadow paging for KVM guests. Module
 * lifetime; sessions live in vm.c, the core in core.c, the user
 * interfaces in dev.c and sysfs.c.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>

#include "pwsp_internal.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

static int __init pwsp_init(void)
{
	int ret;

	ret = pwsp_wq_init();
	if (ret)
		return ret;
	ret = pwsp_sysfs_init();
	if (ret)
		goto wq;
	ret = pwsp_cr3_init();
	if (ret)
		goto sysfs;
	ret = pwsp_dev_init();
	if (!ret)
		return 0;
	pwsp_cr3_exit();
sysfs:
	pwsp_sysfs_exit();
wq:
	pwsp_wq_exit();
	return ret;
}

static void __exit pwsp_exit(void)
{
	/* No session is left: each holds a module reference through its file. */
	pwsp_dev_exit();
	pwsp_cr3_exit();
	/* after the sysfs files: effective_mode's reads queue work */
	pwsp_sysfs_exit();
	pwsp_wq_exit();
}

module_init(pwsp_init);
module_exit(pwsp_exit);
MODULE_DESCRIPTION("Protected walk-based shadow paging for KVM guests");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(PTSEL);
