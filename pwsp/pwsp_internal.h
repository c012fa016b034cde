/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pwsp kernel glue: sessions (vm.c), the device (dev.c), sysfs
 * (sysfs.c) and the CR3 check on KVM's entry tracepoint (main.c).
 */
#ifndef _PWSP_INTERNAL_H
#define _PWSP_INTERNAL_H

#include <linux/atomic.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/pwsp.h>

#include "pwsp_core.h"

/* vCPUs whose last CR3 is remembered; the others are checked on every entry. */
#define PWSP_CR3_SLOTS	64

/* Global counters of /sys/kernel/mm/pwsp/ */
struct pwsp_counters {
	atomic64_t pages_v;
	atomic64_t to_v;
	atomic64_t to_w;
	atomic64_t writes_verified;
	atomic64_t links_verified;
	atomic64_t reverts;
	atomic64_t repairs_raced;
	atomic64_t cr3_checks;
	atomic64_t tracking_lost;
	atomic64_t rechecks;
	atomic64_t violations[PWSP_R_MAX + 1];
};

extern struct pwsp_counters pwsp_cnt;
extern unsigned int pwsp_max_link_pages;
extern unsigned int pwsp_log_size;
extern unsigned int pwsp_max_vm_pages;
extern unsigned int pwsp_recheck_ms;
extern bool pwsp_force_audit;

struct pwsp_vm;

/* recheck_ms: 0 (off), or this to 60000 */
#define PWSP_RECHECK_MIN_MS	10

int pwsp_wq_init(void);
void pwsp_wq_exit(void);
void pwsp_recheck_kick(void);
int pwsp_host_mode(void);
struct pwsp_vm *pwsp_vm_create(void);
void pwsp_vm_release(struct pwsp_vm *v);
int pwsp_vm_attach(struct pwsp_vm *v, struct pwsp_attach *a);
int pwsp_vm_set_policy(struct pwsp_vm *v, const struct pwsp_policy *up,
		       const struct pwsp_range *ranges);
int pwsp_vm_protect(struct pwsp_vm *v, u64 gpa, bool on);
int pwsp_vm_read_log(struct pwsp_vm *v, struct pwsp_log_entry *out, u32 nr,
		     u64 *lost);
void pwsp_vm_stats(struct pwsp_vm *v, struct pwsp_stats *st);
int pwsp_vm_verify(struct pwsp_vm *v);

int pwsp_cr3_init(void);
void pwsp_cr3_exit(void);

int pwsp_sysfs_init(void);
void pwsp_sysfs_exit(void);
int pwsp_dev_init(void);
void pwsp_dev_exit(void);

#endif /* _PWSP_INTERNAL_H */
