// SPDX-License-Identifier: GPL-2.0
/*
 * maint_cmd: the maintenance-command interface between the host and a
 * memory device: capabilities both ways, device indications turned
 * into page evacuation, offlining and repair, host-initiated repair,
 * and status. Module lifetime; see host.c for the driver, model.c for
 * the device model, sysfs.c and cdev.c for the user interfaces.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>

#include "maint_cmd_internal.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

static int __init mc_init(void)
{
	int ret;

	ret = mc_cdev_init();
	if (ret)
		return ret;
	ret = mc_sysfs_init();
	if (ret)
		mc_cdev_exit();
	return ret;
}

static void __exit mc_exit(void)
{
	/* No debugfs file is open (they hold the module): none is created. */
	mc_host_destroy_all();
	mc_sysfs_exit();
	mc_cdev_exit();
}

module_init(mc_init);
module_exit(mc_exit);
MODULE_DESCRIPTION("Maintenance commands between the host and memory devices");
MODULE_LICENSE("GPL");
