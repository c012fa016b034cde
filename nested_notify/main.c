// SPDX-License-Identifier: GPL-2.0
/*
 * nested_notify: delivers L2 doorbells straight into L1 memory through
 * L1's I/O translation table. Module lifetime; the delivery path lives
 * in ctx.c, the user interfaces in dev.c and sysfs.c.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>

#include "nn_internal.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

static int __init nn_init(void)
{
	int ret;

	ret = nn_sysfs_init();
	if (ret)
		return ret;
	ret = nn_dev_init_misc();
	if (ret)
		nn_sysfs_exit();
	return ret;
}

static void __exit nn_exit(void)
{
	/* No context is left: each file holds a module reference. */
	nn_dev_exit_misc();
	nn_sysfs_exit();
}

module_init(nn_init);
module_exit(nn_exit);
MODULE_DESCRIPTION("Deliver L2 guest doorbells straight into L1 memory");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(PTSEL);
