/* SPDX-License-Identifier: GPL-2.0 */
/*
 * /sys/kernel/mm for out-of-tree modules.
 *
 * mm_kobj is not exported, so a module cannot hang its knobs under
 * /sys/kernel/mm the way khugepaged or DAMON do. The directory's kernfs
 * node carries its kobject in ->priv (sysfs_create_dir_ns()), which is
 * what this helper returns, with a reference held.
 */
#ifndef _MEMVIRT_MM_KOBJ_H
#define _MEMVIRT_MM_KOBJ_H

#include <linux/kernfs.h>
#include <linux/kobject.h>

static inline struct kobject *memvirt_mm_kobj_get(void)
{
	struct kernfs_node *kn;
	struct kobject *kobj;

	kn = kernfs_find_and_get(kernel_kobj->sd, "mm");
	if (!kn)
		return NULL;
	kobj = kobject_get(kn->priv);
	kernfs_put(kn);
	return kobj;
}

#endif /* _MEMVIRT_MM_KOBJ_H */
