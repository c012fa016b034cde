// SPDX-License-Identifier: GPL-2.0
/*
 * maint_cmd ABI: /sys/class/maint_cmd/mcN/ (capabilities, policy knobs,
 * counters, mem_repair0/ after EDAC's memory-repair files),
 * /sys/kernel/mm/maint_cmd/ (global knobs and counters) and the
 * debugfs files that create and destroy device models (see
 * Documentation/ABI/testing/sysfs-class-maint_cmd and
 * sysfs-kernel-mm-maint_cmd).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/kobject.h>
#include <linux/mm.h>
#include <linux/sysfs.h>

#include <memvirt/mm_kobj.h>
#include <memvirt/sysfs_knob.h>

#include "maint_cmd_internal.h"

unsigned int mc_cmd_timeout_ms = 1000;
unsigned int mc_bg_timeout_ms = 5000;
unsigned int mc_offline_timeout_ms = 5000;
unsigned int mc_max_pending = 1024;
atomic64_t mc_evac_iommu_migrate, mc_evac_absent;
atomic_t mc_nr_devices;
struct dentry *mc_debugfs;
static struct kobject *mc_kobj;

const char * const mc_stat_names[MC_NR_STATS] = {
	[MC_ST_INDICATIONS] = "indications",
	[MC_ST_OFFLINED] = "offlined",
	[MC_ST_HARD_OFFLINED] = "hard_offlined",
	[MC_ST_EVACUATED] = "evacuated",
	[MC_ST_REPAIRED] = "repaired",
	[MC_ST_SPARED] = "spared",
	[MC_ST_UNPOISONED] = "unpoisoned",
	[MC_ST_POISON_CLEARED] = "poison_cleared",
	[MC_ST_FAILED] = "failed",
	[MC_ST_COMMANDS] = "commands",
	[MC_ST_TIMEOUTS] = "timeouts",
	[MC_ST_ABORTS] = "aborts",
	[MC_ST_UNSUPPORTED] = "unsupported",
	[MC_ST_MALFORMED] = "malformed",
	[MC_ST_EVENTS_DROPPED] = "events_dropped",
	[MC_ST_DMA_BLOCKED] = "dma_blocked",
	[MC_ST_OFFLINE_TIMEOUTS] = "offline_timeouts",
};

/* --- per device: capabilities ------------------------------------------ */

static ssize_t capabilities_show(struct device *dev, struct device_attribute *a,
				 char *buf)
{
	struct mc_host *h = to_mc_host(dev);
	int i, n = 0;

	for (i = 0; i < MC_NR_OPS; i++)
		if (h->caps.ops & (1U << i))
			n += sysfs_emit_at(buf, n, "%s%s", n ? " " : "", mc_ops[i].name);
	return n + sysfs_emit_at(buf, n, "\n");
}
static DEVICE_ATTR_RO(capabilities);

static ssize_t features_show(struct device *dev, struct device_attribute *a,
			     char *buf)
{
	static const char * const names[MC_NR_FEATS] = {
		"soft_ppr", "hard_ppr", "host_caps", "row_sparing",
	};
	struct mc_host *h = to_mc_host(dev);
	int f, n = 0;

	for (f = 0; f < MC_NR_FEATS; f++)
		if (h->caps.feats & (1U << f))
			n += sysfs_emit_at(buf, n, "%s%s", n ? " " : "", names[f]);
	return n + sysfs_emit_at(buf, n, "\n");
}
static DEVICE_ATTR_RO(features);

static ssize_t host_capabilities_show(struct device *dev,
				      struct device_attribute *a, char *buf)
{
	static const char * const names[] = {
		"soft_offline", "hard_offline", "evacuate", "ppr", "sparing",
	};
	struct mc_host *h = to_mc_host(dev);
	int i, n = 0;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (h->caps.host & (1U << i))
			n += sysfs_emit_at(buf, n, "%s%s", n ? " " : "", names[i]);
	return n + sysfs_emit_at(buf, n, "\n");
}
static DEVICE_ATTR_RO(host_capabilities);

static ssize_t firmware_show(struct device *dev, struct device_attribute *a,
			     char *buf)
{
	return sysfs_emit(buf, "%s\n", to_mc_host(dev)->ident.fw);
}
static DEVICE_ATTR_RO(firmware);

static ssize_t capacity_show(struct device *dev, struct device_attribute *a,
			     char *buf)
{
	return sysfs_emit(buf, "%llu\n", to_mc_host(dev)->capacity);
}
static DEVICE_ATTR_RO(capacity);

static ssize_t media_node_show(struct device *dev, struct device_attribute *a,
			       char *buf)
{
	return sysfs_emit(buf, "%d\n", to_mc_host(dev)->nid);
}
static DEVICE_ATTR_RO(media_node);

/* --- per device: knobs ----------------------------------------------------- */

static int mc_store_uint(const char *buf, unsigned int lo, unsigned int hi,
			 unsigned int *v)
{
	unsigned int x;
	int ret = kstrtouint(buf, 0, &x);

	if (ret)
		return ret;
	if (x < lo || x > hi)
		return -EINVAL;
	WRITE_ONCE(*v, x);
	return 0;
}

/* A per-device knob: an unsigned int field of the host in [lo, hi]. */
#define MC_UINT_KNOB(_name, _lo, _hi)					\
static ssize_t _name##_show(struct device *dev, struct device_attribute *a, \
			    char *buf)					\
{									\
	return sysfs_emit(buf, "%u\n", READ_ONCE(to_mc_host(dev)->_name)); \
}									\
static ssize_t _name##_store(struct device *dev, struct device_attribute *a, \
			     const char *buf, size_t count)		\
{									\
	int ret = mc_store_uint(buf, _lo, _hi, &to_mc_host(dev)->_name);	\
									\
	return ret ? ret : count;					\
}									\
static DEVICE_ATTR_ADMIN_RW(_name)

MC_UINT_KNOB(auto_repair, 0, 1);
MC_UINT_KNOB(use_irq, 0, 1);

static ssize_t repair_mode_show(struct device *dev, struct device_attribute *a,
				char *buf)
{
	return sysfs_emit(buf, "%s\n", READ_ONCE(to_mc_host(dev)->hard_repair) ?
			  "hard" : "soft");
}

static ssize_t repair_mode_store(struct device *dev, struct device_attribute *a,
				 const char *buf, size_t count)
{
	struct mc_host *h = to_mc_host(dev);

	if (sysfs_streq(buf, "soft"))
		WRITE_ONCE(h->hard_repair, 0);
	else if (sysfs_streq(buf, "hard"))
		WRITE_ONCE(h->hard_repair, 1);
	else
		return -EINVAL;
	return count;
}
static DEVICE_ATTR_ADMIN_RW(repair_mode);

static ssize_t max_actions_show(struct device *dev, struct device_attribute *a,
				char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(to_mc_host(dev)->max_actions));
}

static ssize_t max_actions_store(struct device *dev, struct device_attribute *a,
				 const char *buf, size_t count)
{
	struct mc_host *h = to_mc_host(dev);
	int ret = mc_store_uint(buf, 1, MC_MAX_ACTIONS, &h->max_actions);

	if (ret)
		return ret;
	/* Raised: queued actions may start now. */
	mc_host_actions_start(h);
	return count;
}
static DEVICE_ATTR_ADMIN_RW(max_actions);

/* Background Operation Status: "opcode percent running|done|idle rc". */
static ssize_t bg_operation_show(struct device *dev, struct device_attribute *a,
				 char *buf)
{
	bool running;
	u16 op, rc;
	u8 pct;
	int ret;

	ret = mc_host_bg_status(to_mc_host(dev), &op, &pct, &running, &rc);
	if (ret)
		return ret;
	return sysfs_emit(buf, "%#06x %u %s %#x\n", op, pct,
			  running ? "running" : op ? "done" : "idle", rc);
}
static DEVICE_ATTR_ADMIN_RO(bg_operation);

static ssize_t trigger_poison_list_store(struct device *dev,
					 struct device_attribute *a,
					 const char *buf, size_t count)
{
	bool go;
	int ret = kstrtobool(buf, &go);

	if (ret)
		return ret;
	if (!go)
		return -EINVAL;
	ret = mc_host_poison_list(to_mc_host(dev));
	return ret ? ret : count;
}
static DEVICE_ATTR_WO(trigger_poison_list);

static ssize_t scan_media_store(struct device *dev, struct device_attribute *a,
				const char *buf, size_t count)
{
	bool go;
	int ret = kstrtobool(buf, &go);

	if (ret)
		return ret;
	if (!go)
		return -EINVAL;
	ret = mc_host_scan_media(to_mc_host(dev));
	return ret ? ret : count;
}
static DEVICE_ATTR_WO(scan_media);

/* --- per device: counters --------------------------------------------------- */

struct mc_stat_attr {
	struct device_attribute attr;
	enum mc_stat idx;
};

static ssize_t mc_stat_show(struct device *dev, struct device_attribute *a,
			    char *buf)
{
	struct mc_stat_attr *s = container_of(a, struct mc_stat_attr, attr);

	return sysfs_emit(buf, "%lld\n", atomic64_read(&to_mc_host(dev)->stat[s->idx]));
}

#define MC_STAT(_name, _idx)						\
static struct mc_stat_attr mc_stat_##_name = {				\
	.attr = __ATTR(_name, 0444, mc_stat_show, NULL), .idx = _idx,	\
}

MC_STAT(indications, MC_ST_INDICATIONS);
MC_STAT(offlined, MC_ST_OFFLINED);
MC_STAT(hard_offlined, MC_ST_HARD_OFFLINED);
MC_STAT(evacuated, MC_ST_EVACUATED);
MC_STAT(repaired, MC_ST_REPAIRED);
MC_STAT(spared, MC_ST_SPARED);
MC_STAT(unpoisoned, MC_ST_UNPOISONED);
MC_STAT(poison_cleared, MC_ST_POISON_CLEARED);
MC_STAT(failed, MC_ST_FAILED);
MC_STAT(commands, MC_ST_COMMANDS);
MC_STAT(timeouts, MC_ST_TIMEOUTS);
MC_STAT(aborts, MC_ST_ABORTS);
MC_STAT(unsupported, MC_ST_UNSUPPORTED);
MC_STAT(malformed, MC_ST_MALFORMED);
MC_STAT(events_dropped, MC_ST_EVENTS_DROPPED);
MC_STAT(dma_blocked, MC_ST_DMA_BLOCKED);
MC_STAT(offline_timeouts, MC_ST_OFFLINE_TIMEOUTS);

static struct attribute *mc_dev_attrs[] = {
	&dev_attr_capabilities.attr,
	&dev_attr_features.attr,
	&dev_attr_host_capabilities.attr,
	&dev_attr_firmware.attr,
	&dev_attr_capacity.attr,
	&dev_attr_media_node.attr,
	&dev_attr_auto_repair.attr,
	&dev_attr_repair_mode.attr,
	&dev_attr_max_actions.attr,
	&dev_attr_use_irq.attr,
	&dev_attr_trigger_poison_list.attr,
	&dev_attr_bg_operation.attr,
	&dev_attr_scan_media.attr,
	&mc_stat_indications.attr.attr,
	&mc_stat_offlined.attr.attr,
	&mc_stat_hard_offlined.attr.attr,
	&mc_stat_evacuated.attr.attr,
	&mc_stat_repaired.attr.attr,
	&mc_stat_spared.attr.attr,
	&mc_stat_unpoisoned.attr.attr,
	&mc_stat_poison_cleared.attr.attr,
	&mc_stat_failed.attr.attr,
	&mc_stat_commands.attr.attr,
	&mc_stat_timeouts.attr.attr,
	&mc_stat_aborts.attr.attr,
	&mc_stat_unsupported.attr.attr,
	&mc_stat_malformed.attr.attr,
	&mc_stat_events_dropped.attr.attr,
	&mc_stat_dma_blocked.attr.attr,
	&mc_stat_offline_timeouts.attr.attr,
	NULL,
};

static const struct attribute_group mc_dev_group = {
	.attrs = mc_dev_attrs,
};

/* --- per device: mem_repairN, after EDAC's memory repair ------------------- */

/*
 * One set of files per repair function: mem_repair0 is PPR, mem_repair1
 * row sparing (each shown only when the device advertises it). Each file
 * knows its function by the attribute it is.
 */
struct mc_repair_attr {
	struct device_attribute attr;
	enum mc_repair_fn_id fn;
};

#define to_fn(a)	(container_of(a, struct mc_repair_attr, attr)->fn)

static ssize_t repair_type_show(struct device *dev, struct device_attribute *a,
				char *buf)
{
	return sysfs_emit(buf, "%s\n", to_fn(a) == MC_REPAIR_SPARE ?
			  "row_sparing" : "ppr");
}

/*
 * EDAC's repair_safe_when_in_use: 0 when the repair's feature (for
 * mem_repair0, the PPR persist_mode selects) needs the memory offline.
 */
static ssize_t repair_safe_when_in_use_show(struct device *dev,
					    struct device_attribute *a, char *buf)
{
	struct mc_host *h = to_mc_host(dev);
	enum mc_feature_id feat = to_fn(a) == MC_REPAIR_SPARE ? MC_FEAT_ROW_SPARING :
				  READ_ONCE(h->repair[MC_REPAIR_PPR].hard) ?
				  MC_FEAT_HARD_PPR : MC_FEAT_SOFT_PPR;

	return sysfs_emit(buf, "%d\n", mc_repair_safe_when_in_use(&h->caps, feat));
}

static ssize_t persist_mode_show(struct device *dev, struct device_attribute *a,
				 char *buf)
{
	struct mc_host *h = to_mc_host(dev);

	return sysfs_emit(buf, "%u\n", READ_ONCE(h->repair[to_fn(a)].hard));
}

/* PPR may be soft or hard; the model's sparing is permanent only. */
static ssize_t persist_mode_store(struct device *dev, struct device_attribute *a,
				  const char *buf, size_t count)
{
	struct mc_host *h = to_mc_host(dev);
	enum mc_repair_fn_id fn = to_fn(a);
	int ret = mc_store_uint(buf, fn == MC_REPAIR_SPARE, 1, &h->repair[fn].hard);

	return ret ? ret : count;
}

static ssize_t mc_addr_show(struct device *dev, struct device_attribute *a,
			    char *buf, u64 base)
{
	struct mc_host *h = to_mc_host(dev);
	u64 dpa;

	mutex_lock(&h->repair_lock);
	dpa = h->repair[to_fn(a)].dpa;
	mutex_unlock(&h->repair_lock);
	return sysfs_emit(buf, "%#llx\n", base + dpa);
}

/* An address in [base, base + capacity): its 64-byte line is repaired. */
static ssize_t mc_addr_store(struct device *dev, struct device_attribute *a,
			     const char *buf, size_t count, u64 base)
{
	struct mc_host *h = to_mc_host(dev);
	u64 addr;
	int ret = kstrtou64(buf, 0, &addr);

	if (ret)
		return ret;
	if (addr < base || addr - base >= h->capacity)
		return -EINVAL;
	mutex_lock(&h->repair_lock);
	h->repair[to_fn(a)].dpa = round_down(addr - base, MC_LINE);
	mutex_unlock(&h->repair_lock);
	return count;
}

static ssize_t dpa_show(struct device *dev, struct device_attribute *a, char *buf)
{
	return mc_addr_show(dev, a, buf, 0);
}

static ssize_t dpa_store(struct device *dev, struct device_attribute *a,
			 const char *buf, size_t count)
{
	return mc_addr_store(dev, a, buf, count, 0);
}

static ssize_t hpa_show(struct device *dev, struct device_attribute *a, char *buf)
{
	return mc_addr_show(dev, a, buf, PFN_PHYS(to_mc_host(dev)->base_pfn));
}

static ssize_t hpa_store(struct device *dev, struct device_attribute *a,
			 const char *buf, size_t count)
{
	return mc_addr_store(dev, a, buf, count,
			     PFN_PHYS(to_mc_host(dev)->base_pfn));
}

static ssize_t nibble_mask_show(struct device *dev, struct device_attribute *a,
				char *buf)
{
	struct mc_host *h = to_mc_host(dev);

	return sysfs_emit(buf, "%#x\n", READ_ONCE(h->repair[to_fn(a)].nibble));
}

static ssize_t nibble_mask_store(struct device *dev, struct device_attribute *a,
				 const char *buf, size_t count)
{
	struct mc_host *h = to_mc_host(dev);
	int ret = mc_store_uint(buf, 0, (1U << 24) - 1,
				&h->repair[to_fn(a)].nibble);

	return ret ? ret : count;
}

#define MC_RANGE_SHOW(_name, _expr)					\
static ssize_t _name##_show(struct device *dev, struct device_attribute *a, \
			    char *buf)					\
{									\
	struct mc_host *h __maybe_unused = to_mc_host(dev);		\
									\
	return sysfs_emit(buf, "%#llx\n", (u64)(_expr));		\
}

MC_RANGE_SHOW(min_dpa, 0);
MC_RANGE_SHOW(max_dpa, h->capacity - 1);
MC_RANGE_SHOW(min_hpa, PFN_PHYS(h->base_pfn));
MC_RANGE_SHOW(max_hpa, PFN_PHYS(h->base_pfn) + h->capacity - 1);

/* Writing 1 (EDAC_DO_MEM_REPAIR) repairs the address set in dpa or hpa. */
static ssize_t repair_store(struct device *dev, struct device_attribute *a,
			    const char *buf, size_t count)
{
	struct mc_host *h = to_mc_host(dev);
	enum mc_repair_fn_id fn = to_fn(a);
	struct mc_repair_fn r;
	unsigned int v;
	int ret = kstrtouint(buf, 0, &v);

	if (ret)
		return ret;
	if (v != 1)
		return -EINVAL;
	mutex_lock(&h->repair_lock);
	r.dpa = h->repair[fn].dpa;
	mutex_unlock(&h->repair_lock);
	r.hard = READ_ONCE(h->repair[fn].hard);
	r.nibble = READ_ONCE(h->repair[fn].nibble);
	ret = mc_host_repair(h, fn, &r);
	return ret ? ret : count;
}

#define MC_REPAIR_ATTR(_fn, _name, _mode, _show, _store)		\
static struct mc_repair_attr mc_repair##_fn##_##_name = {		\
	.attr = __ATTR(_name, _mode, _show, _store), .fn = _fn,		\
}
#define MC_REPAIR_RW(_fn, _name)					\
	MC_REPAIR_ATTR(_fn, _name, 0600, _name##_show, _name##_store)
#define MC_REPAIR_RO(_fn, _name)					\
	MC_REPAIR_ATTR(_fn, _name, 0444, _name##_show, NULL)

#define MC_REPAIR_FN(_fn)						\
MC_REPAIR_RO(_fn, repair_type);						\
MC_REPAIR_RW(_fn, persist_mode);					\
MC_REPAIR_RO(_fn, repair_safe_when_in_use);				\
MC_REPAIR_RW(_fn, dpa);							\
MC_REPAIR_RW(_fn, hpa);							\
MC_REPAIR_RW(_fn, nibble_mask);						\
MC_REPAIR_RO(_fn, min_dpa);						\
MC_REPAIR_RO(_fn, max_dpa);						\
MC_REPAIR_RO(_fn, min_hpa);						\
MC_REPAIR_RO(_fn, max_hpa);						\
MC_REPAIR_ATTR(_fn, repair, 0200, NULL, repair_store);			\
static struct attribute *mc_repair##_fn##_attrs[] = {			\
	&mc_repair##_fn##_repair_type.attr.attr,			\
	&mc_repair##_fn##_persist_mode.attr.attr,			\
	&mc_repair##_fn##_repair_safe_when_in_use.attr.attr,		\
	&mc_repair##_fn##_dpa.attr.attr,				\
	&mc_repair##_fn##_hpa.attr.attr,				\
	&mc_repair##_fn##_nibble_mask.attr.attr,			\
	&mc_repair##_fn##_min_dpa.attr.attr,				\
	&mc_repair##_fn##_max_dpa.attr.attr,				\
	&mc_repair##_fn##_min_hpa.attr.attr,				\
	&mc_repair##_fn##_max_hpa.attr.attr,				\
	&mc_repair##_fn##_repair.attr.attr,				\
	NULL,								\
}

MC_REPAIR_FN(0);
MC_REPAIR_FN(1);

/* mem_repair0 exists only on a device that advertises soft or hard PPR. */
static bool mc_ppr_group_visible(struct kobject *kobj)
{
	const struct mc_caps *c = &to_mc_host(kobj_to_dev(kobj))->caps;

	return mc_caps_can_repair(c, false) || mc_caps_can_repair(c, true);
}
DEFINE_SIMPLE_SYSFS_GROUP_VISIBLE(mc_ppr);

/* mem_repair1 exists only on a device that advertises row sparing. */
static bool mc_spare_group_visible(struct kobject *kobj)
{
	return mc_caps_can_spare(&to_mc_host(kobj_to_dev(kobj))->caps);
}
DEFINE_SIMPLE_SYSFS_GROUP_VISIBLE(mc_spare);

static const struct attribute_group mc_repair0_group = {
	.name = "mem_repair0",
	.attrs = mc_repair0_attrs,
	.is_visible = SYSFS_GROUP_VISIBLE(mc_ppr),
};

static const struct attribute_group mc_repair1_group = {
	.name = "mem_repair1",
	.attrs = mc_repair1_attrs,
	.is_visible = SYSFS_GROUP_VISIBLE(mc_spare),
};

const struct attribute_group *mc_dev_groups[] = {
	&mc_dev_group,
	&mc_repair0_group,
	&mc_repair1_group,
	NULL,
};

/* --- /sys/kernel/mm/maint_cmd ------------------------------------------------- */

MEMVIRT_KNOB(cmd_timeout_ms, mc_cmd_timeout_ms, false, false, 10, 60000, NULL);
MEMVIRT_KNOB(bg_timeout_ms, mc_bg_timeout_ms, false, false, 10, 600000, NULL);
MEMVIRT_KNOB(offline_timeout_ms, mc_offline_timeout_ms, false, false, 10, 600000, NULL);
MEMVIRT_KNOB(max_pending, mc_max_pending, false, false, 1, 65536, NULL);

static ssize_t devices_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%d\n", atomic_read(&mc_nr_devices));
}
static struct kobj_attribute devices_attr = __ATTR_RO(devices);

static ssize_t evac_path_iommu_migrate_show(struct kobject *kobj,
					    struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lld\n", atomic64_read(&mc_evac_iommu_migrate));
}
static struct kobj_attribute evac_path_iommu_migrate_attr =
	__ATTR_RO(evac_path_iommu_migrate);

static ssize_t evac_path_absent_show(struct kobject *kobj,
				     struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lld\n", atomic64_read(&mc_evac_absent));
}
static struct kobj_attribute evac_path_absent_attr = __ATTR_RO(evac_path_absent);

static struct attribute *mc_global_attrs[] = {
	&cmd_timeout_ms_knob.attr.attr,
	&bg_timeout_ms_knob.attr.attr,
	&offline_timeout_ms_knob.attr.attr,
	&max_pending_knob.attr.attr,
	&devices_attr.attr,
	&evac_path_iommu_migrate_attr.attr,
	&evac_path_absent_attr.attr,
	NULL,
};

static const struct attribute_group mc_global_group = {
	.attrs = mc_global_attrs,
};

/* --- debugfs: model devices ----------------------------------------------------- */

static int mc_last_created = -1;

/*
 * "nid=N [first=PAGE] [pages=N] [ops=MASK] [feats=MASK] [offline_only=B]
 * [host_caps=MASK]" makes a model over node N's RAM and its host driver,
 * which offers the device at most the MC_HOST_* of host_caps.
 */
static ssize_t create_write(struct file *file, const char __user *ubuf,
			    size_t count, loff_t *ppos)
{
	unsigned long first = 0, pages = 0;
	u32 ops = MC_ALL_OPS, feats = (1U << MC_NR_FEATS) - 1, oo = 0;
	u32 host = MC_HOST_ALL;
	char buf[160], *p = buf, *tok;
	struct mc_model *m;
	int nid = -1, ret = 0;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = 0;
	while (!ret && (tok = strsep(&p, " \t\n"))) {
		if (!*tok)
			continue;
		if (!strncmp(tok, "nid=", 4))
			ret = kstrtoint(tok + 4, 0, &nid);
		else if (!strncmp(tok, "first=", 6))
			ret = kstrtoul(tok + 6, 0, &first);
		else if (!strncmp(tok, "pages=", 6))
			ret = kstrtoul(tok + 6, 0, &pages);
		else if (!strncmp(tok, "ops=", 4))
			ret = kstrtou32(tok + 4, 0, &ops);
		else if (!strncmp(tok, "feats=", 6))
			ret = kstrtou32(tok + 6, 0, &feats);
		else if (!strncmp(tok, "offline_only=", 13))
			ret = kstrtou32(tok + 13, 0, &oo);
		else if (!strncmp(tok, "host_caps=", 10))
			ret = kstrtou32(tok + 10, 0, &host);
		else
			ret = -EINVAL;
	}
	if (!ret && host & ~MC_HOST_ALL)
		ret = -EINVAL;
	if (ret)
		return ret;
	m = mc_model_create(nid, first, pages, ops, feats, oo);
	if (IS_ERR(m))
		return PTR_ERR(m);
	ret = mc_host_create(m, true, host);
	if (ret < 0)
		return ret;
	WRITE_ONCE(mc_last_created, ret);
	return count;
}

static ssize_t create_read(struct file *file, char __user *ubuf, size_t count,
			   loff_t *ppos)
{
	char buf[16];
	int n = scnprintf(buf, sizeof(buf), "mc%d\n", READ_ONCE(mc_last_created));

	return simple_read_from_buffer(ubuf, count, ppos, buf, n);
}

static const struct file_operations create_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = create_read,
	.write = create_write,
};

static ssize_t destroy_write(struct file *file, const char __user *ubuf,
			     size_t count, loff_t *ppos)
{
	char buf[16];
	int id, ret;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = 0;
	if (sscanf(buf, "mc%d", &id) != 1 && kstrtoint(strim(buf), 0, &id))
		return -EINVAL;
	ret = mc_host_destroy_id(id);
	return ret ? ret : count;
}

static const struct file_operations destroy_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = destroy_write,
};

int mc_sysfs_init(void)
{
	struct kobject *mm = memvirt_mm_kobj_get();
	int ret;

	if (!mm)
		return -ENOENT;
	mc_kobj = kobject_create_and_add("maint_cmd", mm);
	kobject_put(mm);
	if (!mc_kobj)
		return -ENOMEM;
	ret = sysfs_create_group(mc_kobj, &mc_global_group);
	if (ret) {
		kobject_put(mc_kobj);
		return ret;
	}
	mc_debugfs = debugfs_create_dir("maint_cmd", NULL);
	debugfs_create_file("create", 0600, mc_debugfs, NULL, &create_fops);
	debugfs_create_file("destroy", 0200, mc_debugfs, NULL, &destroy_fops);
	return 0;
}

void mc_sysfs_exit(void)
{
	debugfs_remove_recursive(mc_debugfs);
	sysfs_remove_group(mc_kobj, &mc_global_group);
	kobject_put(mc_kobj);
}
