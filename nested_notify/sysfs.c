// SPDX-License-Identifier: GPL-2.0
/*
 * nested_notify ABI: /sys/kernel/mm/nested_notify/ counters, and in
 * debugfs the fault-injection point on the reads of L1 memory (see
 * Documentation/ABI/testing/sysfs-kernel-mm-nested_notify) and the
 * test hook that holds a delivery (ctx.c).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/kobject.h>
#include <linux/sysfs.h>

#include <memvirt/mm_kobj.h>

#include "nn_ctx.h"
#include "nn_internal.h"

struct nn_global_stats nn_stats;

static struct kobject *nn_kobj;
static struct dentry *nn_debugfs;

/* Counters: the attribute points at its atomic. */
struct nn_counter {
	struct kobj_attribute attr;
	atomic64_t *v;
};

static ssize_t nn_counter_show(struct kobject *kobj, struct kobj_attribute *attr,
			       char *buf)
{
	return sysfs_emit(buf, "%lld\n",
			  atomic64_read(container_of(attr, struct nn_counter, attr)->v));
}

#define NN_COUNTER(_name, _v)						\
static struct nn_counter _name##_counter = {				\
	.attr = __ATTR(_name, 0444, nn_counter_show, NULL), .v = _v,	\
}

NN_COUNTER(doorbells, &nn_stats.doorbells);
NN_COUNTER(records, &nn_stats.records);
NN_COUNTER(events_delivered, &nn_stats.delivered);
NN_COUNTER(events_coalesced, &nn_stats.coalesced);
NN_COUNTER(overflows, &nn_stats.overflowed);
NN_COUNTER(translation_faults, &nn_stats.faults);
NN_COUNTER(walk_cache_hits, &nn_stats.walk_hits);
NN_COUNTER(deferred_deliveries, &nn_stats.deferred);
NN_COUNTER(interrupts, &nn_stats.interrupts);
NN_COUNTER(unowned_doorbells, &nn_stats.unowned);
NN_COUNTER(loaded_deliveries, &nn_stats.loaded);
NN_COUNTER(dropped_doorbells, &nn_stats.dropped);
NN_COUNTER(stranded_deliveries, &nn_stats.stranded);
NN_COUNTER(merged_doorbells, &nn_stats.merged);

static ssize_t contexts_show(struct kobject *kobj, struct kobj_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "%d\n", atomic_read(&nn_stats.contexts));
}

static struct kobj_attribute contexts_attr = __ATTR_RO(contexts);

static struct attribute *nn_attrs[] = {
	&doorbells_counter.attr.attr,
	&records_counter.attr.attr,
	&events_delivered_counter.attr.attr,
	&events_coalesced_counter.attr.attr,
	&overflows_counter.attr.attr,
	&translation_faults_counter.attr.attr,
	&walk_cache_hits_counter.attr.attr,
	&deferred_deliveries_counter.attr.attr,
	&interrupts_counter.attr.attr,
	&unowned_doorbells_counter.attr.attr,
	&loaded_deliveries_counter.attr.attr,
	&dropped_doorbells_counter.attr.attr,
	&stranded_deliveries_counter.attr.attr,
	&merged_doorbells_counter.attr.attr,
	&contexts_attr.attr,
	NULL,
};

static const struct attribute_group nn_group = {
	.attrs = nn_attrs,
};

int nn_sysfs_init(void)
{
	struct kobject *mm = memvirt_mm_kobj_get();
	int ret;

	if (!mm)
		return -ENOENT;
	nn_kobj = kobject_create_and_add("nested_notify", mm);
	kobject_put(mm);
	if (!nn_kobj)
		return -ENOMEM;
	ret = sysfs_create_group(nn_kobj, &nn_group);
	if (ret) {
		kobject_put(nn_kobj);
		return ret;
	}
	nn_debugfs = debugfs_create_dir("nested_notify", NULL);
#ifdef CONFIG_FAULT_INJECTION_DEBUG_FS
	fault_create_debugfs_attr("fail_read", nn_debugfs, &nn_fail_read);
	fault_create_debugfs_attr("fail_walk", nn_debugfs, &nn_fail_walk);
#endif
	nn_ctx_debugfs(nn_debugfs);
	return 0;
}

void nn_sysfs_exit(void)
{
	debugfs_remove_recursive(nn_debugfs);
	sysfs_remove_group(nn_kobj, &nn_group);
	kobject_put(nn_kobj);
}
