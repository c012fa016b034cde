// SPDX-License-Identifier: GPL-2.0
/*
 * ptsel ABI: /sys/kernel/mm/ptsel/ knobs and /sys/kernel/mm/ptsel/stats/
 * counters (see Documentation/ABI/testing/sysfs-kernel-mm-ptsel); on a
 * kernel with fault injection, /sys/kernel/debug/ptsel/ (see
 * Documentation/ABI/testing/debugfs-ptsel).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/kobject.h>
#include <linux/mm.h>
#include <linux/ptsel.h>
#include <linux/sysfs.h>

#include <memvirt/mm_kobj.h>
#include <memvirt/sysfs_knob.h>

#include "ptsel_internal.h"

/* 4096 tables map 1G with 4K leaves, or 2T with 2M leaves. */
unsigned long ptsel_max_table_pages = 4096;
unsigned long ptsel_max_mapped_pages = 1UL << 24;	/* 64 GiB */
unsigned int ptsel_max_partitions_per_fd = 16;
unsigned int ptsel_default_format = PTSEL_FORMAT_RADIX;
unsigned int ptsel_tlb_entries = 512;
unsigned int ptsel_retained_asids = 6;		/* like x86's dynamic ASIDs */
unsigned int ptsel_walk_cache_size = 64;
unsigned int ptsel_tlb_flush_ceiling = PTSEL_TLB_FLUSH_CEILING;
unsigned int ptsel_targeted_invalidation = 1;

static struct kobject *ptsel_kobj;
static struct kobject *ptsel_stats_kobj;
static struct dentry *ptsel_debugfs;

/* A partition always owns its radix root and its first hashed table. */
#define KNOB(_name, _long, _pow2, _min, _max)				\
	MEMVIRT_KNOB(_name, ptsel_##_name, _long, _pow2, _min, _max, NULL)

KNOB(max_table_pages, true, false, 2, 1UL << 20);
KNOB(max_mapped_pages, true, false, 1, 1UL << 36);
KNOB(max_partitions_per_fd, false, false, 1, 256);
KNOB(tlb_entries, false, true, PTSEL_TLB_WAYS, 65536);
KNOB(retained_asids, false, false, 1, PTSEL_TLB_MAX_ASIDS);
KNOB(walk_cache_size, false, false, 0, 65536);
/* Past the largest TLB (65536 entries) a full flush is always cheaper. */
KNOB(tlb_flush_ceiling, false, false, 0, 65536);
KNOB(targeted_invalidation, false, false, 0, 1);

/* PTSEL_FORMAT_RADIX (1) and _HASH (2), in that order. */
static const char * const format_names[] = { "radix", "hash" };

static ssize_t default_format_show(struct kobject *kobj,
				   struct kobj_attribute *attr, char *buf)
{
	unsigned int f = READ_ONCE(ptsel_default_format);
	unsigned int i;
	int n = 0;

	/* Like the THP knobs: every choice, the current one in brackets. */
	for (i = 0; i < ARRAY_SIZE(format_names); i++)
		n += sysfs_emit_at(buf, n, i + 1 == f ? "%s[%s]" : "%s%s",
				   i ? " " : "", format_names[i]);
	return n + sysfs_emit_at(buf, n, "\n");
}

static ssize_t default_format_store(struct kobject *kobj,
				    struct kobj_attribute *attr,
				    const char *buf, size_t count)
{
	int i = sysfs_match_string(format_names, buf);

	if (i < 0)
		return -EINVAL;
	WRITE_ONCE(ptsel_default_format, i + 1);
	return count;
}

static struct kobj_attribute default_format_attr =
	__ATTR_RW_MODE(default_format, 0600);

static struct attribute *ptsel_attrs[] = {
	&max_table_pages_knob.attr.attr,
	&max_mapped_pages_knob.attr.attr,
	&max_partitions_per_fd_knob.attr.attr,
	&tlb_entries_knob.attr.attr,
	&retained_asids_knob.attr.attr,
	&walk_cache_size_knob.attr.attr,
	&tlb_flush_ceiling_knob.attr.attr,
	&targeted_invalidation_knob.attr.attr,
	&default_format_attr.attr,
	NULL,
};

static const struct attribute_group ptsel_attr_group = {
	.attrs = ptsel_attrs,
};

/* stats/: read-only totals */
enum stat_id {
	ST_TABLE_PAGES, ST_PARTITIONS, ST_CONVERSIONS, ST_HASH_RESIZES,
	ST_TLB_HITS, ST_TLB_MISSES, ST_TLB_FLUSHES_AVOIDED,
	ST_TLB_ASID_EVICTIONS, ST_TLB_INVALIDATIONS, ST_WC_HITS, ST_WC_MISSES,
	ST_WC_OVERRIDES, ST_WALKS, ST_WALK_MEM_REFS,
};

struct stat_attr {
	struct kobj_attribute attr;
	enum stat_id id;
};

static u64 walker_stat(const struct ptsel_walker_stats *w, enum stat_id id)
{
	switch (id) {
	case ST_TLB_HITS:		return w->tlb.hits;
	case ST_TLB_MISSES:		return w->tlb.misses;
	case ST_TLB_FLUSHES_AVOIDED:	return w->tlb.flushes_avoided;
	case ST_TLB_ASID_EVICTIONS:	return w->tlb.asid_evictions;
	case ST_TLB_INVALIDATIONS:	return w->tlb.invalidations;
	case ST_WC_HITS:		return w->wc_hits;
	case ST_WC_MISSES:		return w->wc_misses;
	case ST_WC_OVERRIDES:		return w->wc_overrides;
	case ST_WALKS:			return w->walks;
	default:			return w->walk_mem_refs;
	}
}

static ssize_t stat_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	enum stat_id id = container_of(attr, struct stat_attr, attr)->id;
	struct ptsel_walker_stats w;
	u64 v;

	switch (id) {
	case ST_TABLE_PAGES:
		v = atomic_long_read(&ptsel_table_pages);
		break;
	case ST_PARTITIONS:
		v = atomic_long_read(&ptsel_nr_partitions);
		break;
	case ST_CONVERSIONS:
		v = atomic64_read(&ptsel_nr_conversions);
		break;
	case ST_HASH_RESIZES:
		v = atomic64_read(&ptsel_nr_hash_resizes);
		break;
	default:
		ptsel_walkers_stats(&w);
		v = walker_stat(&w, id);
	}
	return sysfs_emit(buf, "%llu\n", v);
}

#define STAT(_name, _id)						\
static struct stat_attr _name##_stat = {				\
	.attr = __ATTR(_name, 0444, stat_show, NULL), .id = _id,	\
}

STAT(table_pages, ST_TABLE_PAGES);
STAT(partitions, ST_PARTITIONS);
STAT(conversions, ST_CONVERSIONS);
STAT(hash_resizes, ST_HASH_RESIZES);
STAT(tlb_hits, ST_TLB_HITS);
STAT(tlb_misses, ST_TLB_MISSES);
STAT(tlb_flushes_avoided, ST_TLB_FLUSHES_AVOIDED);
STAT(tlb_asid_evictions, ST_TLB_ASID_EVICTIONS);
STAT(tlb_invalidations, ST_TLB_INVALIDATIONS);
STAT(walk_cache_hits, ST_WC_HITS);
STAT(walk_cache_misses, ST_WC_MISSES);
STAT(walk_cache_overrides, ST_WC_OVERRIDES);
STAT(walks, ST_WALKS);
STAT(walk_mem_refs, ST_WALK_MEM_REFS);

static struct attribute *ptsel_stat_attrs[] = {
	&table_pages_stat.attr.attr,
	&partitions_stat.attr.attr,
	&conversions_stat.attr.attr,
	&hash_resizes_stat.attr.attr,
	&tlb_hits_stat.attr.attr,
	&tlb_misses_stat.attr.attr,
	&tlb_flushes_avoided_stat.attr.attr,
	&tlb_asid_evictions_stat.attr.attr,
	&tlb_invalidations_stat.attr.attr,
	&walk_cache_hits_stat.attr.attr,
	&walk_cache_misses_stat.attr.attr,
	&walk_cache_overrides_stat.attr.attr,
	&walks_stat.attr.attr,
	&walk_mem_refs_stat.attr.attr,
	NULL,
};

static const struct attribute_group ptsel_stat_group = {
	.attrs = ptsel_stat_attrs,
};

int ptsel_sysfs_init(void)
{
	struct kobject *mm = memvirt_mm_kobj_get();
	int ret = -ENOMEM;

	if (!mm)
		return -ENOENT;
	ptsel_kobj = kobject_create_and_add("ptsel", mm);
	kobject_put(mm);
	if (!ptsel_kobj)
		return -ENOMEM;
	ptsel_stats_kobj = kobject_create_and_add("stats", ptsel_kobj);
	if (!ptsel_stats_kobj)
		goto put;
	ret = sysfs_create_group(ptsel_kobj, &ptsel_attr_group);
	if (ret)
		goto put_stats;
	ret = sysfs_create_group(ptsel_stats_kobj, &ptsel_stat_group);
	if (!ret) {
#ifdef CONFIG_FAULT_INJECTION
		ptsel_debugfs = debugfs_create_dir("ptsel", NULL);
		debugfs_create_atomic_t("skip_invalidations", 0600,
					ptsel_debugfs,
					&ptsel_skip_invalidations);
		debugfs_create_x64("skip_invalidation_addr", 0600,
				   ptsel_debugfs,
				   &ptsel_skip_invalidation_addr);
		debugfs_create_u32("skip_invalidation_delay_us", 0600,
				   ptsel_debugfs,
				   &ptsel_skip_invalidation_delay_us);
#endif
		return 0;
	}
	sysfs_remove_group(ptsel_kobj, &ptsel_attr_group);
put_stats:
	kobject_put(ptsel_stats_kobj);
put:
	kobject_put(ptsel_kobj);
	return ret;
}

void ptsel_sysfs_exit(void)
{
	debugfs_remove_recursive(ptsel_debugfs);
	sysfs_remove_group(ptsel_stats_kobj, &ptsel_stat_group);
	sysfs_remove_group(ptsel_kobj, &ptsel_attr_group);
	kobject_put(ptsel_stats_kobj);
	kobject_put(ptsel_kobj);
}
