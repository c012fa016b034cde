// SPDX-License-Identifier: GPL-2.0
/*
 * ptsel ABI: /sys/kernel/mm/ptsel/ (see Documentation/ABI/testing/).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kobject.h>
#include <linux/mm.h>
#include <linux/sysfs.h>

#include <memvirt/mm_kobj.h>

#include "ptsel_internal.h"

/* 4096 tables map 1G with 4K leaves, or 2T with 2M leaves. */
unsigned long ptsel_max_table_pages = 4096;
#define PTSEL_MAX_TABLE_PAGES_LIMIT	(1UL << 20)

static struct kobject *ptsel_kobj;

static ssize_t max_table_pages_show(struct kobject *kobj,
				    struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lu\n", READ_ONCE(ptsel_max_table_pages));
}

static ssize_t max_table_pages_store(struct kobject *kobj,
				     struct kobj_attribute *attr,
				     const char *buf, size_t count)
{
	unsigned long val;
	int ret;

	ret = kstrtoul(buf, 0, &val);
	if (ret)
		return ret;
	/* A partition always owns its root table. */
	if (val < 1 || val > PTSEL_MAX_TABLE_PAGES_LIMIT)
		return -EINVAL;
	WRITE_ONCE(ptsel_max_table_pages, val);
	return count;
}

static ssize_t table_pages_show(struct kobject *kobj,
				struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%ld\n", atomic_long_read(&ptsel_table_pages));
}

static ssize_t partitions_show(struct kobject *kobj,
			       struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%ld\n", atomic_long_read(&ptsel_nr_partitions));
}

static struct kobj_attribute max_table_pages_attr = __ATTR_RW_MODE(max_table_pages, 0600);
static struct kobj_attribute table_pages_attr = __ATTR_RO(table_pages);
static struct kobj_attribute partitions_attr = __ATTR_RO(partitions);

static struct attribute *ptsel_attrs[] = {
	&max_table_pages_attr.attr,
	&table_pages_attr.attr,
	&partitions_attr.attr,
	NULL,
};

static const struct attribute_group ptsel_attr_group = {
	.attrs = ptsel_attrs,
};

int ptsel_sysfs_init(void)
{
	struct kobject *mm = memvirt_mm_kobj_get();
	int ret;

	if (!mm)
		return -ENOENT;
	ptsel_kobj = kobject_create_and_add("ptsel", mm);
	kobject_put(mm);
	if (!ptsel_kobj)
		return -ENOMEM;
	ret = sysfs_create_group(ptsel_kobj, &ptsel_attr_group);
	if (ret)
		kobject_put(ptsel_kobj);
	return ret;
}

void ptsel_sysfs_exit(void)
{
	sysfs_remove_group(ptsel_kobj, &ptsel_attr_group);
	kobject_put(ptsel_kobj);
}
