// SPDX-License-Identifier: GPL-2.0
/*
 * thp_encvm ABI: /sys/kernel/mm/thp_encvm/ knobs (named like
 * khugepaged's where they mean the same) and counters, and the
 * debugfs fault-injection point for the 2 MiB allocation (see
 * Documentation/ABI/testing/sysfs-kernel-mm-thp_encvm).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/kobject.h>
#include <linux/sysfs.h>

#include <memvirt/mm_kobj.h>
#include <memvirt/sysfs_knob.h>

#include "thp_encvm_internal.h"

unsigned int te_enabled = 1;
unsigned int te_pages_to_scan = 4096;
unsigned int te_scan_sleep_ms = 10000;
unsigned int te_alloc_sleep_ms = 60000;
unsigned int te_max_ptes_none = TE_WIN_PAGES - 1;
unsigned int te_max_copy_retries = 4;
unsigned int te_copy_timeout_ms = 5000;
unsigned int te_max_object_mb = 4096;

static struct kobject *te_kobj, *te_failed_kobj;
static struct dentry *te_debugfs;

#define KNOB(_name, _var, _min, _max)					\
	MEMVIRT_KNOB(_name, _var, false, false, _min, _max, te_daemon_kick)

/* Writing 0 returns once the daemon is done with its window. */
MEMVIRT_KNOB(enabled, te_enabled, false, false, 0, 1, te_daemon_quiesce);
KNOB(pages_to_scan, te_pages_to_scan, TE_WIN_PAGES, 1U << 24);
KNOB(scan_sleep_millisecs, te_scan_sleep_ms, 0, 24 * 3600 * 1000);
KNOB(alloc_sleep_millisecs, te_alloc_sleep_ms, 0, 24 * 3600 * 1000);
KNOB(max_ptes_none, te_max_ptes_none, 0, TE_WIN_PAGES - 1);
KNOB(max_copy_retries, te_max_copy_retries, 0, 255);
KNOB(copy_timeout_ms, te_copy_timeout_ms, 10, 600 * 1000);
KNOB(max_object_mb, te_max_object_mb, 2, TE_MAX_OBJECT_MB);

#define COUNTER(_name, _v)	MEMVIRT_COUNTER(_name, _v)

COUNTER(full_scans, &te_stats.full_scans);
COUNTER(windows_collapsed, &te_stats.windows_collapsed);
COUNTER(pages_copied, &te_stats.pages_copied);
COUNTER(dirty_retries, &te_stats.dirty_retries);
COUNTER(windows_in_place, &te_stats.windows_in_place);
COUNTER(windows_fresh, &te_stats.windows_fresh);
COUNTER(collapsed_pages_copied, &te_stats.collapsed_pages_copied);
COUNTER(completions_doorbell, &te_stats.completions_doorbell);
COUNTER(completions_looked, &te_stats.completions_looked);
COUNTER(alloc, &te_stats.failed[TE_FAIL_ALLOC]);
COUNTER(timeout, &te_stats.failed[TE_FAIL_TIMEOUT]);
COUNTER(retries, &te_stats.failed[TE_FAIL_RETRIES]);
COUNTER(detached, &te_stats.failed[TE_FAIL_DETACHED]);
COUNTER(ring, &te_stats.failed[TE_FAIL_RING]);
COUNTER(guest_busy, &te_stats.failed[TE_FAIL_BUSY]);
COUNTER(memslot, &te_stats.failed[TE_FAIL_MEMSLOT]);
COUNTER(pinned, &te_stats.failed[TE_FAIL_PINNED]);
COUNTER(disabled, &te_stats.failed[TE_FAIL_DISABLED]);
COUNTER(kvm_writes, &te_stats.failed[TE_FAIL_KVM_WRITES]);
COUNTER(gpa_split, &te_stats.failed[TE_FAIL_GPA_SPLIT]);
COUNTER(misaligned, &te_stats.failed[TE_FAIL_MISALIGNED]);
COUNTER(unmapped, &te_stats.failed[TE_FAIL_UNMAPPED]);

static ssize_t objects_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%d\n", atomic_read(&te_stats.objects));
}

static struct kobj_attribute objects_attr = __ATTR_RO(objects);

/* debugfs frames: every frame the objects hold (te_frame_free()). */
static int te_frames_get(void *data, u64 *val)
{
	*val = atomic64_read(&te_stats.frames);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(te_frames_fops, te_frames_get, NULL, "%llu\n");

/**
 * te_sysfs_full_scan() - a full scan completed
 *
 * Wakes poll(2) and select(2) on full_scans, so that a tool can wait for
 * the daemon's scan instead of polling the counter (kernfs wakes them
 * from a work item: the daemon does not wait for them).
 */
void te_sysfs_full_scan(void)
{
	sysfs_notify(te_kobj, NULL, "full_scans");
}

static struct attribute *te_attrs[] = {
	&enabled_knob.attr.attr,
	&pages_to_scan_knob.attr.attr,
	&scan_sleep_millisecs_knob.attr.attr,
	&alloc_sleep_millisecs_knob.attr.attr,
	&max_ptes_none_knob.attr.attr,
	&max_copy_retries_knob.attr.attr,
	&copy_timeout_ms_knob.attr.attr,
	&max_object_mb_knob.attr.attr,
	&full_scans_counter.attr.attr,
	&windows_collapsed_counter.attr.attr,
	&pages_copied_counter.attr.attr,
	&dirty_retries_counter.attr.attr,
	&windows_in_place_counter.attr.attr,
	&windows_fresh_counter.attr.attr,
	&collapsed_pages_copied_counter.attr.attr,
	&completions_doorbell_counter.attr.attr,
	&completions_looked_counter.attr.attr,
	&objects_attr.attr,
	NULL,
};

static const struct attribute_group te_group = {
	.attrs = te_attrs,
};

static struct attribute *te_failed_attrs[] = {
	&alloc_counter.attr.attr,
	&timeout_counter.attr.attr,
	&retries_counter.attr.attr,
	&detached_counter.attr.attr,
	&ring_counter.attr.attr,
	&guest_busy_counter.attr.attr,
	&memslot_counter.attr.attr,
	&pinned_counter.attr.attr,
	&disabled_counter.attr.attr,
	&kvm_writes_counter.attr.attr,
	&gpa_split_counter.attr.attr,
	&misaligned_counter.attr.attr,
	&unmapped_counter.attr.attr,
	NULL,
};

static const struct attribute_group te_failed_group = {
	.attrs = te_failed_attrs,
};

/**
 * te_sysfs_init() - create the knobs and counters, and the debugfs nodes
 *
 * /sys/kernel/mm/thp_encvm/ and its collapse_failed/ (under memvirt's
 * shared mm kobject), and /sys/kernel/debug/thp_encvm/, whose nodes are
 * best effort, as debugfs is.
 *
 * Return: 0; -ENOENT without memvirt's mm kobject; -ENOMEM, or the
 * error of sysfs_create_group().
 */
int te_sysfs_init(void)
{
	struct kobject *mm = memvirt_mm_kobj_get();
	int ret = -ENOMEM;

	if (!mm)
		return -ENOENT;
	te_kobj = kobject_create_and_add("thp_encvm", mm);
	kobject_put(mm);
	if (!te_kobj)
		return -ENOMEM;
	te_failed_kobj = kobject_create_and_add("collapse_failed", te_kobj);
	if (!te_failed_kobj)
		goto put;
	ret = sysfs_create_group(te_kobj, &te_group);
	if (ret)
		goto put_failed;
	ret = sysfs_create_group(te_failed_kobj, &te_failed_group);
	if (ret)
		goto remove;
	te_debugfs = debugfs_create_dir("thp_encvm", NULL);
#ifdef CONFIG_FAULT_INJECTION_DEBUG_FS
	fault_create_debugfs_attr("fail_alloc", te_debugfs, &te_fail_alloc);
#endif
	debugfs_create_u32("hold_ref", 0600, te_debugfs, &te_hold_ref);
	debugfs_create_bool("hold_ref_at_zap", 0600, te_debugfs, &te_hold_ref_at_zap);
	debugfs_create_bool("host_copy", 0600, te_debugfs, &te_host_copy);
	debugfs_create_bool("hold_complete", 0600, te_debugfs, &te_hold_complete);
	debugfs_create_u32("complete_held", 0400, te_debugfs, &te_complete_held);
	debugfs_create_u32("fault_unmap", 0600, te_debugfs, &te_fault_unmap);
	debugfs_create_file_unsafe("frames", 0400, te_debugfs, NULL, &te_frames_fops);
	debugfs_create_u32("look_us", 0600, te_debugfs, &te_look_us);
	return 0;
remove:
	sysfs_remove_group(te_kobj, &te_group);
put_failed:
	kobject_put(te_failed_kobj);
put:
	kobject_put(te_kobj);
	return ret;
}

/**
 * te_sysfs_exit() - remove what te_sysfs_init() created
 */
void te_sysfs_exit(void)
{
	debugfs_remove_recursive(te_debugfs);
	sysfs_remove_group(te_failed_kobj, &te_failed_group);
	sysfs_remove_group(te_kobj, &te_group);
	kobject_put(te_failed_kobj);
	kobject_put(te_kobj);
}
