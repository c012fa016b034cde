// SPDX-License-Identifier: GPL-2.0
/*
 * iommu_migrate ABI: /sys/kernel/mm/iommu_migrate/ knobs and counters
 * (see Documentation/ABI/testing/sysfs-kernel-mm-iommu_migrate), and
 * in debugfs the hold_access test hook (engine.c), copy_ns, the
 * bench's copy baseline (pme.c), the fault_delay_us test hook
 * (domain.c), block_pfn, a trigger of iommu_migrate_block(), and the
 * test hooks fail_next_allocs, edu_copy_delay_ms, precopy_delay_ms,
 * retry_poll_unbounded (engine.c), pin_pages and next_domain_id (not
 * production knobs: see debugfs-iommu_migrate). Every file of debugfs
 * but copy_ns changes what the module does: they exist only when the
 * module is loaded with test_hooks=1 (sysfs-module-iommu_migrate).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/kobject.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/sysfs.h>
#include <linux/uaccess.h>

#include <memvirt/mm_kobj.h>
#include <memvirt/sysfs_knob.h>

#include "imm_internal.h"

unsigned int imm_pme_batch_pages = 16;
unsigned int imm_max_drain_wait_ms = 1000;
unsigned int imm_max_engines = 8;
unsigned int imm_max_domains = 8;
unsigned int imm_max_buffer_mb = 256;
unsigned int imm_max_engine_rate = 1000000;
unsigned int imm_dma_retry_poll_us = IMM_DMA_RETRY_POLL_US;
unsigned int imm_fail_next_allocs;
unsigned int imm_edu_copy_delay_ms;
unsigned int imm_precopy_delay_ms;
unsigned int imm_retry_poll_unbounded;
u32 imm_fault_delay_us;

struct imm_counters imm_stats;

/*
 * The debugfs test hooks: off by default, read-only once loaded. The
 * kselftests' harness loads the module with test_hooks=1
 * (selftests/iommu_migrate/module-params).
 */
static bool test_hooks;
module_param(test_hooks, bool, 0444);
MODULE_PARM_DESC(test_hooks,
		 "Create the debugfs test hooks, which change what the module does (default: off)");

static struct kobject *imm_kobj;

#define KNOB(_name, _var, _min, _max)					\
	MEMVIRT_KNOB(_name, _var, false, false, _min, _max, NULL)

KNOB(pme_batch_pages, imm_pme_batch_pages, 1, IMM_MAX_BATCH);
KNOB(max_drain_wait_ms, imm_max_drain_wait_ms, 1, 60 * 1000);
KNOB(max_engines, imm_max_engines, 1, 64);
KNOB(max_domains, imm_max_domains, 1, 64);
KNOB(max_buffer_mb, imm_max_buffer_mb, 1, 4096);
KNOB(max_engine_rate, imm_max_engine_rate, 1, 100 * 1000 * 1000);
KNOB(dma_retry_poll_us, imm_dma_retry_poll_us, 0, IMM_MAX_DMA_RETRY_POLL_US);

/* Counters: the attribute points at its atomic. */
struct counter {
	struct kobj_attribute attr;
	atomic64_t *v;
};

static ssize_t counter_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%lld\n",
			  atomic64_read(container_of(attr, struct counter, attr)->v));
}

#define COUNTER(_name)							\
static struct counter _name##_counter = {				\
	.attr = __ATTR(_name, 0444, counter_show, NULL),		\
	.v = &imm_stats._name,						\
}

COUNTER(pages_migrated);
COUNTER(bytes_migrated);
COUNTER(dma_stalls);
COUNTER(dma_stall_ns);
COUNTER(rmt_violations);
COUNTER(migrations_aborted);
COUNTER(alloc_failures);
COUNTER(drain_timeouts);
COUNTER(copies_skipped);
COUNTER(copies_kept);
COUNTER(precopies_redone);
COUNTER(pinned_aborts);
COUNTER(dma_stall_polls);
COUNTER(dma_stall_sleeps);

static struct attribute *imm_attrs[] = {
	&pme_batch_pages_knob.attr.attr,
	&max_drain_wait_ms_knob.attr.attr,
	&max_engines_knob.attr.attr,
	&max_domains_knob.attr.attr,
	&max_buffer_mb_knob.attr.attr,
	&max_engine_rate_knob.attr.attr,
	&dma_retry_poll_us_knob.attr.attr,
	&pages_migrated_counter.attr.attr,
	&bytes_migrated_counter.attr.attr,
	&dma_stalls_counter.attr.attr,
	&dma_stall_ns_counter.attr.attr,
	&rmt_violations_counter.attr.attr,
	&migrations_aborted_counter.attr.attr,
	&alloc_failures_counter.attr.attr,
	&drain_timeouts_counter.attr.attr,
	&copies_skipped_counter.attr.attr,
	&copies_kept_counter.attr.attr,
	&precopies_redone_counter.attr.attr,
	&pinned_aborts_counter.attr.attr,
	&dma_stall_polls_counter.attr.attr,
	&dma_stall_sleeps_counter.attr.attr,
	NULL,
};

static const struct attribute_group imm_group = {
	.attrs = imm_attrs,
};

static struct dentry *imm_debugfs;

static int hold_access_get(void *data, u64 *val)
{
	*val = atomic_read(&imm_hold_access);
	return 0;
}

/* 1 arms the hook (-EBUSY while an access is held), 0 releases it. */
static int hold_access_set(void *data, u64 val)
{
	if (val == IMM_HOLD_OFF) {
		atomic_set(&imm_hold_access, IMM_HOLD_OFF);
		return 0;
	}
	if (val != IMM_HOLD_ARMED)
		return -EINVAL;
	if (atomic_cmpxchg(&imm_hold_access, IMM_HOLD_OFF, IMM_HOLD_ARMED) ==
	    IMM_HOLD_HELD)
		return -EBUSY;
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(hold_access_fops, hold_access_get, hold_access_set,
			 "%llu\n");

/* Reading it measures the bench's baseline: imm_copy_baseline_ns(). */
static int copy_ns_get(void *data, u64 *val)
{
	return imm_copy_baseline_ns(val);
}
DEFINE_DEBUGFS_ATTRIBUTE(copy_ns_fops, copy_ns_get, NULL, "%llu\n");

/* Test hooks in debugfs: a u32 and its bound; writes above it: EINVAL. */
struct imm_test_knob {
	unsigned int *v;
	unsigned int max;
};

static struct imm_test_knob fail_next_allocs_tk = {
	&imm_fail_next_allocs, 1000 * 1000 };
static struct imm_test_knob edu_copy_delay_ms_tk = {
	&imm_edu_copy_delay_ms, 10 * 1000 };
static struct imm_test_knob precopy_delay_ms_tk = {
	&imm_precopy_delay_ms, 1000 };
static struct imm_test_knob retry_poll_unbounded_tk = {
	&imm_retry_poll_unbounded, 1 };

static int test_knob_get(void *data, u64 *val)
{
	*val = READ_ONCE(*((struct imm_test_knob *)data)->v);
	return 0;
}

static int test_knob_set(void *data, u64 val)
{
	struct imm_test_knob *k = data;

	if (val > k->max)
		return -EINVAL;
	WRITE_ONCE(*k->v, val);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(test_knob_fops, test_knob_get, test_knob_set,
			 "%llu\n");

/*
 * Writing a frame number blocks it as maint_cmd does on lost data:
 * iommu_migrate_block(), whose error the write returns.
 */
static int block_pfn_set(void *data, u64 val)
{
	return iommu_migrate_block(val);
}
DEFINE_DEBUGFS_ATTRIBUTE(block_pfn_fops, NULL, block_pfn_set, "%llu\n");

/* Where the next domain id is looked for: a test of their wrap. */
static int next_domain_id_set(void *data, u64 val)
{
	if (val > U32_MAX)
		return -EINVAL;
	imm_domain_set_next_id(val);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(next_domain_id_fops, NULL, next_domain_id_set,
			 "%llu\n");

/*
 * pin_pages: pages of the writer's memory pinned as O_DIRECT pins a
 * read's destination (pin_user_pages_fast(FOLL_WRITE)), held until
 * "0 0" is written or the module goes; a test of pinned buffer pages.
 */
#define IMM_MAX_TEST_PINS	64
static DEFINE_MUTEX(test_pins_lock);
static struct page *test_pins[IMM_MAX_TEST_PINS];
static unsigned int nr_test_pins;

static ssize_t pin_pages_read(struct file *file, char __user *ubuf,
			      size_t len, loff_t *ppos)
{
	char buf[16];
	int n;

	mutex_lock(&test_pins_lock);
	n = scnprintf(buf, sizeof(buf), "%u\n", nr_test_pins);
	mutex_unlock(&test_pins_lock);
	return simple_read_from_buffer(ubuf, len, ppos, buf, n);
}

/* "ADDR NR" (hex address, decimal count) pins; NR 0 unpins all. */
static ssize_t pin_pages_write(struct file *file, const char __user *ubuf,
			       size_t len, loff_t *ppos)
{
	unsigned long addr;
	unsigned int nr;
	char buf[48];
	int ret;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = 0;
	if (sscanf(buf, "%lx %u", &addr, &nr) != 2 || nr > IMM_MAX_TEST_PINS)
		return -EINVAL;
	mutex_lock(&test_pins_lock);
	if (!nr) {
		unpin_user_pages(test_pins, nr_test_pins);
		nr_test_pins = 0;
		ret = len;
	} else if (nr_test_pins) {
		ret = -EBUSY;
	} else {
		ret = pin_user_pages_fast(addr, nr, FOLL_WRITE, test_pins);
		if (ret >= 0 && ret < nr) {
			unpin_user_pages(test_pins, ret);
			ret = -EFAULT;
		} else if (ret == nr) {
			nr_test_pins = nr;
			ret = len;
		}
	}
	mutex_unlock(&test_pins_lock);
	return ret;
}

static const struct file_operations pin_pages_fops = {
	.owner = THIS_MODULE,
	.read = pin_pages_read,
	.write = pin_pages_write,
	.llseek = default_llseek,
};

int imm_sysfs_init(void)
{
	struct kobject *mm = memvirt_mm_kobj_get();
	int ret;

	if (!mm)
		return -ENOENT;
	imm_kobj = kobject_create_and_add("iommu_migrate", mm);
	kobject_put(mm);
	if (!imm_kobj)
		return -ENOMEM;
	ret = sysfs_create_group(imm_kobj, &imm_group);
	if (ret) {
		kobject_put(imm_kobj);
		return ret;
	}
	imm_debugfs = debugfs_create_dir("iommu_migrate", NULL);
	/* A measurement only, for make bench: always there. */
	debugfs_create_file_unsafe("copy_ns", 0400, imm_debugfs, NULL,
				   &copy_ns_fops);
	if (!test_hooks)
		return 0;
	debugfs_create_file_unsafe("hold_access", 0600, imm_debugfs, NULL,
				   &hold_access_fops);
	debugfs_create_u32("fault_delay_us", 0600, imm_debugfs,
			   &imm_fault_delay_us);
	debugfs_create_file_unsafe("block_pfn", 0200, imm_debugfs, NULL,
				   &block_pfn_fops);
	debugfs_create_file_unsafe("fail_next_allocs", 0600, imm_debugfs,
				   &fail_next_allocs_tk, &test_knob_fops);
	debugfs_create_file_unsafe("edu_copy_delay_ms", 0600, imm_debugfs,
				   &edu_copy_delay_ms_tk, &test_knob_fops);
	debugfs_create_file_unsafe("precopy_delay_ms", 0600, imm_debugfs,
				   &precopy_delay_ms_tk, &test_knob_fops);
	debugfs_create_file_unsafe("retry_poll_unbounded", 0600, imm_debugfs,
				   &retry_poll_unbounded_tk, &test_knob_fops);
	debugfs_create_file("pin_pages", 0600, imm_debugfs, NULL,
			    &pin_pages_fops);
	debugfs_create_file_unsafe("next_domain_id", 0200, imm_debugfs, NULL,
				   &next_domain_id_fops);
	return 0;
}

void imm_sysfs_exit(void)
{
	debugfs_remove_recursive(imm_debugfs);
	unpin_user_pages(test_pins, nr_test_pins);
	nr_test_pins = 0;
	sysfs_remove_group(imm_kobj, &imm_group);
	kobject_put(imm_kobj);
}
