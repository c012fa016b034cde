// SPDX-License-Identifier: GPL-2.0
/*
 * ptsel kernel glue: module lifetime. Partitions live in part.c,
 * walkers in walker.c, the user interfaces in dev.c and sysfs.c.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/rcupdate.h>

#include "ptsel_internal.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

static int __init ptsel_init(void)
{
	int ret;

	ret = ptsel_sysfs_init();
	if (ret)
		return ret;
	ret = ptsel_dev_init();
	if (ret)
		ptsel_sysfs_exit();
	return ret;
}

static void __exit ptsel_exit(void)
{
	ptsel_dev_exit();
	ptsel_sysfs_exit();
	/* Table pages and hashed tables still waiting for a grace period. */
	rcu_barrier();
}

module_init(ptsel_init);
module_exit(ptsel_exit);
MODULE_DESCRIPTION("Selectable address-translation engine");
MODULE_LICENSE("GPL");
