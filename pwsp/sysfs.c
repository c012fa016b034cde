// SPDX-License-Identifier: GPL-2.0
/*
 * pwsp ABI: /sys/kernel/mm/pwsp/ knobs and counters (see
 * Documentation/ABI/testing/sysfs-kernel-mm-pwsp).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kobject.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include <memvirt/mm_kobj.h>
#include <memvirt/sysfs_knob.h>

#include "pwsp_internal.h"

struct pwsp_counters pwsp_cnt;
unsigned int pwsp_max_link_pages = 512;
unsigned int pwsp_log_size = 256;
unsigned int pwsp_max_vm_pages = 65536;
unsigned int pwsp_recheck_ms;
bool pwsp_force_audit;

static struct kobject *pwsp_kobj, *pwsp_viol_kobj;

MEMVIRT_KNOB(max_link_pages, pwsp_max_link_pages, false, false, 1, 1U << 20, NULL);
MEMVIRT_KNOB(log_size, pwsp_log_size, false, false, 16, 65536, NULL);
MEMVIRT_KNOB(max_vm_pages, pwsp_max_vm_pages, false, false, 16, 1U << 22, NULL);
MEMVIRT_KNOB_OFF(recheck_ms, pwsp_recheck_ms, PWSP_RECHECK_MIN_MS, 60000,
		 pwsp_recheck_kick);

/* mode: "auto" (follow KVM's MMU) or "audit" (never enforce), for new sessions */
static ssize_t mode_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", READ_ONCE(pwsp_force_audit) ? "audit" : "auto");
}

static ssize_t mode_store(struct kobject *kobj, struct kobj_attribute *attr,
			  const char *buf, size_t count)
{
	if (sysfs_streq(buf, "auto"))
		WRITE_ONCE(pwsp_force_audit, false);
	else if (sysfs_streq(buf, "audit"))
		WRITE_ONCE(pwsp_force_audit, true);
	else
		return -EINVAL;
	return count;
}

static struct kobj_attribute mode_attr = __ATTR(mode, 0600, mode_show, mode_store);

/* effective_mode: what a session attached now gets */
static ssize_t effective_mode_show(struct kobject *kobj, struct kobj_attribute *attr,
				   char *buf)
{
	int mode = READ_ONCE(pwsp_force_audit) ? PWSP_MODE_AUDIT : pwsp_host_mode();

	if (mode < 0)
		return mode;
	return sysfs_emit(buf, "%s\n", mode == PWSP_MODE_AUDIT ? "audit" : "enforce");
}

static struct kobj_attribute effective_mode_attr = __ATTR_RO(effective_mode);

#define COUNTER(_name, _v)	MEMVIRT_COUNTER(_name, _v)

COUNTER(pages_v, &pwsp_cnt.pages_v);
COUNTER(pages_to_v, &pwsp_cnt.to_v);
COUNTER(pages_to_w, &pwsp_cnt.to_w);
COUNTER(writes_verified, &pwsp_cnt.writes_verified);
COUNTER(links_verified, &pwsp_cnt.links_verified);
COUNTER(reverts, &pwsp_cnt.reverts);
COUNTER(repairs_raced, &pwsp_cnt.repairs_raced);
COUNTER(cr3_checks, &pwsp_cnt.cr3_checks);
COUNTER(tracking_lost, &pwsp_cnt.tracking_lost);
COUNTER(rechecks, &pwsp_cnt.rechecks);
COUNTER(rsvd, &pwsp_cnt.violations[PWSP_R_RSVD]);
COUNTER(ps_top, &pwsp_cnt.violations[PWSP_R_PS_TOP]);
COUNTER(align, &pwsp_cnt.violations[PWSP_R_ALIGN]);
COUNTER(not_ram, &pwsp_cnt.violations[PWSP_R_NOT_RAM]);
COUNTER(self_map, &pwsp_cnt.violations[PWSP_R_SELF_MAP]);
COUNTER(level, &pwsp_cnt.violations[PWSP_R_LEVEL]);
COUNTER(protected, &pwsp_cnt.violations[PWSP_R_PROTECTED]);
COUNTER(text_writable, &pwsp_cnt.violations[PWSP_R_TEXT_WRITABLE]);
COUNTER(exec_nontext, &pwsp_cnt.violations[PWSP_R_EXEC_NONTEXT]);
COUNTER(user_kernel, &pwsp_cnt.violations[PWSP_R_USER_KERNEL]);
COUNTER(too_large, &pwsp_cnt.violations[PWSP_R_TOO_LARGE]);
COUNTER(cr3, &pwsp_cnt.violations[PWSP_R_CR3]);
COUNTER(fault, &pwsp_cnt.violations[PWSP_R_FAULT]);
COUNTER(unseen, &pwsp_cnt.violations[PWSP_R_UNSEEN]);

static struct attribute *pwsp_attrs[] = {
	&mode_attr.attr,
	&effective_mode_attr.attr,
	&max_link_pages_knob.attr.attr,
	&log_size_knob.attr.attr,
	&max_vm_pages_knob.attr.attr,
	&recheck_ms_knob.attr.attr,
	&pages_v_counter.attr.attr,
	&pages_to_v_counter.attr.attr,
	&pages_to_w_counter.attr.attr,
	&writes_verified_counter.attr.attr,
	&links_verified_counter.attr.attr,
	&reverts_counter.attr.attr,
	&repairs_raced_counter.attr.attr,
	&cr3_checks_counter.attr.attr,
	&tracking_lost_counter.attr.attr,
	&rechecks_counter.attr.attr,
	NULL,
};

static const struct attribute_group pwsp_group = {
	.attrs = pwsp_attrs,
};

static struct attribute *pwsp_viol_attrs[] = {
	&rsvd_counter.attr.attr,
	&ps_top_counter.attr.attr,
	&align_counter.attr.attr,
	&not_ram_counter.attr.attr,
	&self_map_counter.attr.attr,
	&level_counter.attr.attr,
	&protected_counter.attr.attr,
	&text_writable_counter.attr.attr,
	&exec_nontext_counter.attr.attr,
	&user_kernel_counter.attr.attr,
	&too_large_counter.attr.attr,
	&cr3_counter.attr.attr,
	&fault_counter.attr.attr,
	&unseen_counter.attr.attr,
	NULL,
};

static const struct attribute_group pwsp_viol_group = {
	.attrs = pwsp_viol_attrs,
};

int pwsp_sysfs_init(void)
{
	struct kobject *mm = memvirt_mm_kobj_get();
	int ret = -ENOMEM;

	if (!mm)
		return -ENOENT;
	pwsp_kobj = kobject_create_and_add("pwsp", mm);
	kobject_put(mm);
	if (!pwsp_kobj)
		return -ENOMEM;
	pwsp_viol_kobj = kobject_create_and_add("violations", pwsp_kobj);
	if (!pwsp_viol_kobj)
		goto put;
	ret = sysfs_create_group(pwsp_kobj, &pwsp_group);
	if (ret)
		goto put_viol;
	ret = sysfs_create_group(pwsp_viol_kobj, &pwsp_viol_group);
	if (ret)
		goto remove;
	return 0;
remove:
	sysfs_remove_group(pwsp_kobj, &pwsp_group);
put_viol:
	kobject_put(pwsp_viol_kobj);
put:
	kobject_put(pwsp_kobj);
	return ret;
}

void pwsp_sysfs_exit(void)
{
	sysfs_remove_group(pwsp_viol_kobj, &pwsp_viol_group);
	sysfs_remove_group(pwsp_kobj, &pwsp_group);
	kobject_put(pwsp_viol_kobj);
	kobject_put(pwsp_kobj);
}
