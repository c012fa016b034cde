/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the maint_cmd kselftests, demo and benchmark: device
 * models made and removed through debugfs, /sys/class/maint_cmd/mcN
 * files, the event stream, and where a page of ours lives (pagemap,
 * kpageflags).
 */
#ifndef _MC_UTIL_H
#define _MC_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/maint_cmd.h>

#include "memvirt_ksft.h"

#define MC_DBG		"/sys/kernel/debug/maint_cmd/"
#define MC_CLASS	"/sys/class/maint_cmd/"
#define MC_MM		"/sys/kernel/mm/maint_cmd/"
#define MC_PAGE		4096UL
#define KPF_BUDDY	10
#define KPF_HWPOISON	19

static inline int mc_write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* The file's text into @buf; 0 or -errno. */
static inline int mc_read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	return 0;
}

static inline int mc_dev_write(const char *dev, const char *file, const char *val)
{
	char path[256];

	snprintf(path, sizeof(path), MC_CLASS "%s/%s", dev, file);
	return mc_write_file(path, val);
}

static inline int mc_dev_write_num(const char *dev, const char *file,
				   unsigned long long v)
{
	char val[32];

	snprintf(val, sizeof(val), "%#llx", v);
	return mc_dev_write(dev, file, val);
}

/* A number from the device's sysfs file, or -1. */
static inline long long mc_dev_read(const char *dev, const char *file)
{
	char path[256], buf[128];

	snprintf(path, sizeof(path), MC_CLASS "%s/%s", dev, file);
	if (mc_read_file(path, buf, sizeof(buf)))
		return -1;
	return strtoll(buf, NULL, 0);
}

static inline int mc_dbg_write(const char *dev, const char *file, const char *val)
{
	char path[256];

	snprintf(path, sizeof(path), MC_DBG "%s/%s", dev, file);
	return mc_write_file(path, val);
}

/* A line "key value" of the model's model_stats, or -1. */
static inline long long mc_model_stat(const char *dev, const char *key)
{
	char path[256], buf[512], *p;
	size_t k = strlen(key);

	snprintf(path, sizeof(path), MC_DBG "%s/model_stats", dev);
	if (mc_read_file(path, buf, sizeof(buf)))
		return -1;
	for (p = buf; p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, key, k) && p[k] == ' ')
			return strtoll(p + k + 1, NULL, 0);
	return -1;
}

/* Makes a model device from @spec; its name ("mcN") into @name. */
static inline int mc_create(const char *spec, char *name, size_t size)
{
	char buf[32];
	int ret = mc_write_file(MC_DBG "create", spec);

	if (ret)
		return ret;
	ret = mc_read_file(MC_DBG "create", buf, sizeof(buf));
	if (ret)
		return ret;
	buf[strcspn(buf, "\n")] = 0;
	if (strlen(buf) >= size)
		return -ENAMETOOLONG;
	memcpy(name, buf, strlen(buf) + 1);
	return 0;
}

static inline int mc_destroy(const char *name)
{
	return mc_write_file(MC_DBG "destroy", name);
}

/* Opens /dev/maint_cmd/<name>; -errno on failure. */
static inline int mc_open_events(const char *name, int flags)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "/dev/maint_cmd/%s", name);
	fd = open(path, flags | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* The next record, waiting up to @ms; 0, -ETIMEDOUT or -errno. */
static inline int mc_next_event(int fd, struct maint_cmd_event *e, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;

	if (poll(&p, 1, ms) <= 0)
		return -ETIMEDOUT;
	n = read(fd, e, sizeof(*e));
	if (n < 0)
		return -errno;
	return n == sizeof(*e) ? 0 : -EIO;
}

/* The next record of @kind at @dpa, skipping others. */
static inline int mc_wait_event(int fd, struct maint_cmd_event *e, uint32_t kind,
				uint64_t dpa, int ms)
{
	int ret;

	while (!(ret = mc_next_event(fd, e, ms)))
		if (e->kind == kind && e->dpa == dpa)
			return 0;
	return ret;
}

static inline double mc_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/*
 * Waits, up to @sec seconds, until the model's @key reads @want;
 * returns the last value read. Generous: a slow machine is not a
 * failure.
 */
static inline long long mc_wait_model_stat(const char *dev, const char *key,
					   long long want, double sec)
{
	double end = mc_now() + sec;
	long long v;

	while ((v = mc_model_stat(dev, key)) != want && mc_now() < end)
		usleep(1000);
	return v;
}

/* The same for the device's counter @file, until it reaches @min. */
static inline long long mc_wait_dev_stat(const char *dev, const char *file,
					 long long min, double sec)
{
	double end = mc_now() + sec;
	long long v;

	while ((v = mc_dev_read(dev, file)) < min && mc_now() < end)
		usleep(10000);
	return v;
}

/* Until the device's mailbox has been quiet for 200 ms. */
static inline void mc_wait_idle(const char *dev)
{
	long long n;

	do {
		n = mc_dev_read(dev, "commands");
		usleep(200 * 1000);
	} while (n != mc_dev_read(dev, "commands"));
}

/* The pfn behind our @addr (root reads pfns), 0 if not present. */
static inline uint64_t mc_pfn_of(void *addr)
{
	uint64_t ent = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0)
		return 0;
	if (pread(fd, &ent, 8, (uintptr_t)addr / MC_PAGE * 8) != 8)
		ent = 0;
	close(fd);
	return ent >> 63 ? ent & ((1ULL << 55) - 1) : 0;
}

/* No flags to be had (no /proc/kpageflags, or no such pfn). */
#define MC_KPF_ERR	(~0ULL)

/* @pfn's /proc/kpageflags, or MC_KPF_ERR: test for it before any bit. */
static inline uint64_t mc_kpageflags(uint64_t pfn)
{
	uint64_t f = 0;
	int fd = open("/proc/kpageflags", O_RDONLY);

	if (fd < 0)
		return MC_KPF_ERR;
	if (pread(fd, &f, 8, pfn * 8) != 8)
		f = MC_KPF_ERR;
	close(fd);
	return f;
}

/* 1 if @pfn is poisoned, 0 if not, -1 if its flags cannot be read. */
static inline int mc_hwpoisoned(uint64_t pfn)
{
	uint64_t f = mc_kpageflags(pfn);

	return f == MC_KPF_ERR ? -1 : (f >> KPF_HWPOISON) & 1;
}

/* @len bytes at @addr onto node @nid, moved there now. 0 or -errno. */
static inline int mc_bind_node(void *addr, size_t len, int nid)
{
	unsigned long mask = 1UL << nid;

	/* MPOL_BIND, MPOL_MF_STRICT | MPOL_MF_MOVE */
	if (syscall(SYS_mbind, addr, len, 2, &mask, 64, 3))
		return -errno;
	return 0;
}

/* Anonymous pages on node @nid, faulted in. */
static inline void *mc_node_pages(size_t pages, int nid)
{
	void *p = mmap(NULL, pages * MC_PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (mc_bind_node(p, pages * MC_PAGE, nid)) {
		munmap(p, pages * MC_PAGE);
		return NULL;
	}
	memset(p, 0x5a, pages * MC_PAGE);
	return p;
}

/* Page @i's content: sequence-numbered words, and their checksum. */
static inline void mc_fill(void *page, uint64_t seq)
{
	uint64_t *w = page;
	unsigned int i;

	for (i = 0; i < MC_PAGE / 8; i++)
		w[i] = seq * 1000003ULL + i;
}

static inline int mc_check(const void *page, uint64_t seq)
{
	const uint64_t *w = page;
	unsigned int i;

	for (i = 0; i < MC_PAGE / 8; i++)
		if (w[i] != seq * 1000003ULL + i)
			return 0;
	return 1;
}

/* DPA of @pfn on device @dev, or -1 when it is not the device's. */
static inline long long mc_dpa_of(const char *dev, uint64_t pfn)
{
	long long min = mc_dev_read(dev, "mem_repair0/min_hpa");
	long long max = mc_dev_read(dev, "mem_repair0/max_hpa");
	long long hpa = (long long)(pfn * MC_PAGE);

	if (min < 0 || hpa < min || hpa > max)
		return -1;
	return hpa - min;
}

/*
 * One page of ours on node 1, filled with mc_fill(@seq), with its frame
 * and its address on device @dev; NULL if any of it fails.
 */
static inline uint8_t *mc_dev_page(const char *dev, uint64_t seq, uint64_t *pfn,
				   long long *dpa)
{
	uint8_t *buf = mc_node_pages(1, 1);

	if (!buf)
		return NULL;
	mc_fill(buf, seq);
	*pfn = mc_pfn_of(buf);
	*dpa = mc_dpa_of(dev, *pfn);
	if (*dpa < 0) {
		munmap(buf, MC_PAGE);
		return NULL;
	}
	return buf;
}

#define MC_HWPOISON	"/sys/kernel/debug/hwpoison/"

/*
 * hwpoison injection, as an agent other than maint_cmd: @file is
 * "corrupt-pfn" (memory_failure(), simulated) or "unpoison-pfn". Loads
 * hwpoison_inject if it is a module. 0, -ENOENT without it, or -errno.
 */
static inline int mc_hwpoison_other(const char *file, uint64_t pfn)
{
	char path[128], v[32];

	snprintf(path, sizeof(path), MC_HWPOISON "%s", file);
	if (access(path, W_OK) && system("modprobe -q hwpoison_inject 2>/dev/null"))
		return -ENOENT;
	snprintf(v, sizeof(v), "%#llx", (unsigned long long)pfn);
	return mc_write_file(path, v);
}

#define MC_SOFT_OFFLINE	"/sys/devices/system/memory/soft_offline_page"
#define MC_VM		"/proc/sys/vm/"

/*
 * Poisons @pfn as an agent other than maint_cmd, never at the cost of
 * a page in use. Where the kernel has it, by the memory subsystem's
 * soft_offline_page: a page in use has its data moved first (a page
 * that cannot be moved, such as a kernel page, is refused and left
 * alone), and a free page is taken even from a CPU's free list (the
 * kernel drains those first). Otherwise, or when soft offline is off
 * (vm.enable_soft_offline 0: the kernel refuses every soft offline with
 * EOPNOTSUPP), by hwpoison's corrupt-pfn, on a free page only: the
 * kernel's own filter (corrupt-filter-flags-* = KPF_BUDDY), which
 * memory_failure() applies again under the page lock; it is global (it
 * filters soft offlines too), so it is on only for the injection, and a
 * page on a CPU's free list is not taken.
 * Return: 1 if @pfn is now poisoned, 0 if it was refused (nothing
 * done), -ENOENT with neither interface, or -errno.
 */
static inline int mc_poison_unowned(uint64_t pfn)
{
	struct mv_knobs k = { .dir = MC_HWPOISON };
	char v[32];
	int ret;

	if (!access(MC_SOFT_OFFLINE, W_OK) &&
	    mv_read_knob(MC_VM, "enable_soft_offline") != 0) {
		snprintf(v, sizeof(v), "%#llx", (unsigned long long)pfn * MC_PAGE);
		ret = mc_write_file(MC_SOFT_OFFLINE, v);
		if (ret == -EBUSY || ret == -EIO)
			return 0;
		/* Turned off since it was read, or filtered: the other way. */
		if (ret != -EOPNOTSUPP)
			return ret ?: mc_hwpoisoned(pfn);
	}
	if (access(MC_HWPOISON "corrupt-pfn", W_OK) &&
	    system("modprobe -q hwpoison_inject 2>/dev/null"))
		return -ENOENT;
	if (access(MC_HWPOISON "corrupt-filter-flags-mask", W_OK))
		return -ENOENT;
	mv_knobs_save(&k, "corrupt-filter-flags-mask");
	mv_knobs_save(&k, "corrupt-filter-flags-value");
	mv_knobs_save(&k, "corrupt-filter-enable");
	snprintf(v, sizeof(v), "%llu", 1ULL << KPF_BUDDY);
	ret = mc_write_file(MC_HWPOISON "corrupt-filter-flags-mask", v);
	ret = ret ?: mc_write_file(MC_HWPOISON "corrupt-filter-flags-value", v);
	ret = ret ?: mc_write_file(MC_HWPOISON "corrupt-filter-enable", "1");
	if (!ret) {
		/* Filtered out, the write still succeeds: the flag tells. */
		snprintf(v, sizeof(v), "%#llx", (unsigned long long)pfn);
		ret = mc_write_file(MC_HWPOISON "corrupt-pfn", v);
	}
	/* The filter off first. */
	mv_knobs_restore(&k);
	return ret ?: mc_hwpoisoned(pfn);
}

#endif /* _MC_UTIL_H */
