/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iommu_migrate's in-kernel API for other memvirt modules: evacuate
 * device-mapped pages out of a physical range before that memory is
 * repaired or taken offline, and block device access to a page whose
 * data is lost. maint_cmd is the consumer.
 */
#ifndef _MEMVIRT_IOMMU_MIGRATE_H
#define _MEMVIRT_IOMMU_MIGRATE_H

#include <linux/types.h>

/**
 * struct iommu_migrate_evac_result - what one evacuation did
 * @mapped: domain-mapped pages found in the range
 * @moved: pages this call migrated out of the range
 * @failed: pages that could not be moved (still in the range)
 *
 * @mapped - @moved - @failed pages left the range by other means (another
 * migration or evacuation) before this one reached them.
 */
struct iommu_migrate_evac_result {
	unsigned long mapped;
	unsigned long moved;
	unsigned long failed;
};

bool iommu_migrate_pfn_mapped(unsigned long pfn);
int iommu_migrate_evacuate(unsigned long start_pfn, unsigned long nr_pages,
			   int nid, struct iommu_migrate_evac_result *res);
int iommu_migrate_block(unsigned long pfn);

#endif /* _MEMVIRT_IOMMU_MIGRATE_H */
