/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memvirt: numeric sysfs knobs with a range, shared by the modules'
 * sysfs.c files. Include from one file per module.
 */
#ifndef _MEMVIRT_SYSFS_KNOB_H
#define _MEMVIRT_SYSFS_KNOB_H

#include <linux/atomic.h>
#include <linux/kobject.h>
#include <linux/kstrtox.h>
#include <linux/sysfs.h>

/**
 * struct memvirt_knob - a root-only numeric knob
 * @attr: the sysfs attribute (mode 0600)
 * @val: the variable, unsigned long or unsigned int
 * @is_long: @val is an unsigned long
 * @pow2: only powers of two are accepted
 * @min: smallest value accepted
 * @max: largest value accepted
 * @zero_off: 0 is accepted too (it turns the feature off)
 * @changed: called after a successful write, or NULL
 */
struct memvirt_knob {
	struct kobj_attribute attr;
	void *val;
	bool is_long;
	bool pow2;
	bool zero_off;
	unsigned long min, max;
	void (*changed)(void);
};

static ssize_t memvirt_knob_show(struct kobject *kobj,
				 struct kobj_attribute *attr, char *buf)
{
	struct memvirt_knob *k = container_of(attr, struct memvirt_knob, attr);

	if (k->is_long)
		return sysfs_emit(buf, "%lu\n", READ_ONCE(*(unsigned long *)k->val));
	return sysfs_emit(buf, "%u\n", READ_ONCE(*(unsigned int *)k->val));
}

static ssize_t memvirt_knob_store(struct kobject *kobj,
				  struct kobj_attribute *attr,
				  const char *buf, size_t count)
{
	struct memvirt_knob *k = container_of(attr, struct memvirt_knob, attr);
	unsigned long val;
	int ret;

	ret = kstrtoul(buf, 0, &val);
	if (ret)
		return ret;
	if (!(k->zero_off && !val) &&
	    (val < k->min || val > k->max || (k->pow2 && (val & (val - 1)))))
		return -EINVAL;
	if (k->is_long)
		WRITE_ONCE(*(unsigned long *)k->val, val);
	else
		WRITE_ONCE(*(unsigned int *)k->val, val);
	if (k->changed)
		k->changed();
	return count;
}

/* A knob named @_name backed by @_var, @_min to @_max. */
#define MEMVIRT_KNOB(_name, _var, _long, _pow2, _min, _max, _changed)	\
static struct memvirt_knob _name##_knob = {				\
	.attr = __ATTR(_name, 0600, memvirt_knob_show, memvirt_knob_store), \
	.val = &(_var), .is_long = _long, .pow2 = _pow2,		\
	.min = _min, .max = _max, .changed = _changed,			\
}

/**
 * struct memvirt_counter - a read-only counter
 * @attr: the sysfs attribute (mode 0444)
 * @v: the counter
 */
struct memvirt_counter {
	struct kobj_attribute attr;
	atomic64_t *v;
};

static inline ssize_t memvirt_counter_show(struct kobject *kobj,
					   struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lld\n",
			  atomic64_read(container_of(attr, struct memvirt_counter,
						     attr)->v));
}

/* As MEMVIRT_KNOB(), and 0 (off) is accepted besides @_min to @_max. */
#define MEMVIRT_KNOB_OFF(_name, _var, _min, _max, _changed)		\
static struct memvirt_knob _name##_knob = {				\
	.attr = __ATTR(_name, 0600, memvirt_knob_show, memvirt_knob_store), \
	.val = &(_var), .zero_off = true,				\
	.min = _min, .max = _max, .changed = _changed,			\
}

/* A counter file named @_name showing the atomic64_t at @_v. */
#define MEMVIRT_COUNTER(_name, _v)					\
static struct memvirt_counter _name##_counter = {			\
	.attr = __ATTR(_name, 0444, memvirt_counter_show, NULL), .v = _v, \
}

#endif /* _MEMVIRT_SYSFS_KNOB_H */
