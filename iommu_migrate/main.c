// SPDX-License-Identifier: GPL-2.0
/*
 * iommu_migrate: migrates pages while emulated devices keep doing DMA
 * to them, with migration states in the I/O PTEs (ptsel partitions), a
 * reverse map table and a page migration engine; and the same protocol
 * on QEMU's edu device behind a real IOMMU. Module lifetime; the parts
 * live in domain.c, engine.c, pme.c, edu.c, dev.c and sysfs.c.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>

#include "imm_internal.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

static int __init imm_init(void)
{
	int ret;

	ret = imm_sysfs_init();
	if (ret)
		return ret;
	ret = imm_pme_start();
	if (ret)
		goto sysfs;
	ret = imm_edu_init();
	if (ret)
		goto pme;
	ret = imm_dev_init();
	if (!ret)
		return 0;
	imm_edu_exit();
pme:
	imm_pme_stop();
sysfs:
	imm_sysfs_exit();
	return ret;
}

static void __exit imm_exit(void)
{
	/*
	 * No file is open (each holds the module), so no engine, domain,
	 * mapping or request is left; RMT entries went with the mappings.
	 */
	imm_dev_exit();
	imm_edu_exit();
	imm_pme_stop();
	imm_sysfs_exit();
	rcu_barrier();	/* the kfree_rcu() of RMT entries */
	imm_domain_exit();
}

module_init(imm_init);
module_exit(imm_exit);
MODULE_DESCRIPTION("Page migration under DMA with migration-state IOMMU PTEs");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(PTSEL);
