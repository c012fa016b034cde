// SPDX-License-Identifier: GPL-2.0
/*
 * A stand-in for iommu_migrate's evacuation API (include/memvirt/
 * iommu_migrate.h), for maint_cmd's tests only: built with
 * MEMVIRT_TEST_MODULES, never installed, never loaded next to the real
 * iommu_migrate (the symbols clash). It claims that a device maps the
 * pfns [start, start + nr) and "evacuates" them by counting: it moves
 * nothing. What it shows is maint_cmd's side of the contract: the API
 * is found with symbol_get(), the evacuation replaces offlining, the
 * repair follows, and a failed evacuation is not papered over.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>

#include <memvirt/iommu_migrate.h>

static unsigned long start, nr, evacuated;
static bool fail;
module_param(start, ulong, 0600);
MODULE_PARM_DESC(start, "first pfn the fake device maps");
module_param(nr, ulong, 0600);
MODULE_PARM_DESC(nr, "pfns it maps");
module_param(fail, bool, 0600);
MODULE_PARM_DESC(fail, "evacuations fail with EBUSY");
module_param(evacuated, ulong, 0400);
MODULE_PARM_DESC(evacuated, "pages reported moved");

bool iommu_migrate_pfn_mapped(unsigned long pfn)
{
	return pfn >= READ_ONCE(start) && pfn - READ_ONCE(start) < READ_ONCE(nr);
}
EXPORT_SYMBOL_GPL(iommu_migrate_pfn_mapped);

int iommu_migrate_evacuate(unsigned long start_pfn, unsigned long nr_pages,
			   int nid, struct iommu_migrate_evac_result *res)
{
	unsigned long pfn;

	res->mapped = 0;
	for (pfn = start_pfn; pfn - start_pfn < nr_pages; pfn++)
		res->mapped += iommu_migrate_pfn_mapped(pfn);
	if (READ_ONCE(fail)) {
		res->moved = 0;
		res->failed = res->mapped;
		return -EBUSY;
	}
	res->moved = res->mapped;
	res->failed = 0;
	WRITE_ONCE(evacuated, evacuated + res->moved);
	return 0;
}
EXPORT_SYMBOL_GPL(iommu_migrate_evacuate);

MODULE_DESCRIPTION("Test stand-in for iommu_migrate's evacuation API");
MODULE_LICENSE("GPL");
