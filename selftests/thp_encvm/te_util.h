/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the thp_encvm kselftests: knobs (memvirt_ksft.h, under
 * SYSFS), counters, objects.
 */
#ifndef _TE_UTIL_H
#define _TE_UTIL_H

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <time.h>
#include <unistd.h>

#include <linux/thp_encvm.h>

#include "memvirt_ksft.h"

#define DEV	"/dev/thp_encvm"
#define SYSFS	"/sys/kernel/mm/thp_encvm/"
#define DEBUGFS	"/sys/kernel/debug/thp_encvm/"
#define MB	(1ULL << 20)

static inline long read_knob(const char *name)
{
	return mv_read_knob(SYSFS, name);
}

/* 0 or -errno of the write. */
static inline int write_knob(const char *name, const char *val)
{
	return mv_write_knob(SYSFS, name, val);
}

static inline double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Wait up to a minute for the object count to fall to @n or below;
 * returns the count. Objects go when their last file reference does,
 * which may be a while after a test that killed its VMM.
 */
static inline long wait_objects(long n)
{
	double end = now_s() + 60;

	while (read_knob("objects") > n && now_s() < end)
		usleep(20000);
	return read_knob("objects");
}

/* The default test object: 16 MiB, shared 64K, staging at 14M. */
static inline struct thp_encvm_create te_default_create(void)
{
	return (struct thp_encvm_create){
		.size = 16 * MB,
		.shared_offset = 0,
		.shared_size = 64 * 1024,
		.ring_offset = 0,
		.staging_offset = 14 * MB,
		.flags = THP_ENCVM_CREATE_SCATTER,
		.node = -1,
	};
}

/* -errno, or the object fd. */
static inline int te_create(int dev, const struct thp_encvm_create *c)
{
	int fd = ioctl(dev, THP_ENCVM_IOC_CREATE, c);

	return fd < 0 ? -errno : fd;
}

/* The path that opens object fd @obj again (as QEMU's mem-path). */
static inline void te_obj_path(int obj, char *path, size_t len)
{
	snprintf(path, len, "/proc/self/fd/%d", obj);
}

/* Another file of object @obj, opened by path with @flags, or -errno. */
static inline int te_reopen(int obj, int flags)
{
	char path[64];
	int fd;

	te_obj_path(obj, path, sizeof(path));
	fd = open(path, flags | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* Map @size bytes of @obj at a 2 MiB aligned address, or MAP_FAILED. */
static inline void *te_map(int obj, size_t size)
{
	char *r = mmap(NULL, size + 2 * MB, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	char *a;

	if (r == MAP_FAILED)
		return MAP_FAILED;
	a = (char *)(((unsigned long)r + 2 * MB - 1) & ~(2 * MB - 1));
	if (a > r)
		munmap(r, a - r);
	munmap(a + size, r + size + 2 * MB - (a + size));
	return mmap(a, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, obj, 0);
}

/*
 * VMAs of this process: all of them, and in *@obj those of thp_encvm
 * objects (thp_encvm:[<id>] in /proc/self/maps); -1 if unreadable.
 */
static inline int count_vmas(int *obj)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[512];
	int n = 0;

	*obj = 0;
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		n++;
		*obj += !!strstr(line, "thp_encvm:[");
	}
	fclose(f);
	return n;
}

/*
 * Does the VMA at @addr have VmFlags @flag ("dc": MADV_DONTFORK)?
 * 1, 0, or -1 if there is no such VMA.
 */
static inline int vma_has_flag(const void *addr, const char *flag)
{
	FILE *f = fopen("/proc/self/smaps", "re");
	unsigned long a = (unsigned long)addr, start, end;
	char line[512], want[8];
	bool in = false;
	int ret = -1;

	if (!f)
		return -1;
	snprintf(want, sizeof(want), " %s ", flag);
	while (fgets(line, sizeof(line), f)) {
		/* A VMA's first line: "start-end perms ..." */
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2) {
			in = start <= a && a < end;
		} else if (in && !strncmp(line, "VmFlags:", 8)) {
			line[strcspn(line, "\n")] = ' ';
			ret = !!strstr(line, want);
			break;
		}
	}
	fclose(f);
	return ret;
}

/*
 * Fault injection (debug kernel): failslab and fail_page_alloc. Their
 * settings for a test, and the kernel's defaults, which te_fi_reset()
 * puts back: nothing fails, and a failure is reported with a stack.
 */
#define FAILSLAB	"/sys/kernel/debug/failslab/"
#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif
#define FAILPAGE	"/sys/kernel/debug/fail_page_alloc/"

static inline void te_fi_reset(void)
{
	static const char *const def[][2] = {
		{ FAILSLAB "probability", "0" }, { FAILSLAB "times", "1" },
		{ FAILSLAB "task-filter", "N" }, { FAILSLAB "ignore-gfp-wait", "Y" },
		{ FAILSLAB "verbose", "2" }, { FAILSLAB "require-start", "0" },
		{ FAILSLAB "require-end", "0xffffffffffffffff" },
		{ FAILPAGE "probability", "0" }, { FAILPAGE "times", "1" },
		{ FAILPAGE "task-filter", "N" }, { FAILPAGE "ignore-gfp-wait", "Y" },
		{ FAILPAGE "ignore-gfp-highmem", "Y" }, { FAILPAGE "min-order", "1" },
		{ FAILPAGE "verbose", "2" }, { FAILPAGE "require-start", "0" },
		{ FAILPAGE "require-end", "0xffffffffffffffff" },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(def); i++)
		mv_write_path(def[i][0], def[i][1]);
}

/*
 * Both attributes fail any allocation that reaches them (sleeping,
 * highmem and order-0 ones too) without a stack dump, each only for
 * this thread's fail-nth or a task with make-it-fail set; 0 or -1.
 */
static inline int te_fi_quiet(void)
{
	static const char *const set[][2] = {
		{ FAILSLAB "verbose", "0" }, { FAILSLAB "ignore-gfp-wait", "N" },
		{ FAILSLAB "task-filter", "Y" }, { FAILSLAB "interval", "1" },
		{ FAILPAGE "verbose", "0" }, { FAILPAGE "ignore-gfp-wait", "N" },
		{ FAILPAGE "ignore-gfp-highmem", "N" }, { FAILPAGE "min-order", "0" },
		{ FAILPAGE "task-filter", "Y" }, { FAILPAGE "interval", "1" },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(set); i++)
		if (mv_write_path(set[i][0], set[i][1]))
			return -1;
	return 0;
}

/*
 * The next record of the kernel log from @fd (/dev/kmsg, opened
 * O_NONBLOCK) that looks like a splat, into @rec (@len bytes); 1, or 0
 * when no record is left.
 */
static inline int te_kmsg_next_splat(int fd, char *rec, size_t len)
{
	static const char * const bad[] = {
		"BUG:", "WARNING:", "KASAN", "UBSAN", "Oops", "Call Trace",
		"possible circular locking", "possible recursive locking",
		"inconsistent lock state", "suspicious RCU usage", "INFO: task",
		"general protection fault", "soft lockup",
	};
	unsigned int i;
	ssize_t n;

	while ((n = read(fd, rec, len - 1)) > 0 || (n < 0 && errno == EPIPE)) {
		if (n <= 0)
			continue;
		rec[n] = 0;
		for (i = 0; i < ARRAY_SIZE(bad); i++)
			if (strstr(rec, bad[i]))
				return 1;
	}
	return 0;
}

/*
 * The memory controller, ready for a child cgroup: cgroup2 mounted at
 * /sys/fs/cgroup if need be, "memory" in its subtree_control. Returns
 * 0, 1 if the kernel has no memory controller (the debug tier's), or -1.
 */
static inline int te_memcg_ready(void)
{
	char ctl[256] = "";
	FILE *f;

	if (access("/sys/fs/cgroup/cgroup.controllers", R_OK) &&
	    mount("none", "/sys/fs/cgroup", "cgroup2", 0, NULL))
		return access("/proc/cgroups", R_OK) ? 1 : -1;
	f = fopen("/sys/fs/cgroup/cgroup.controllers", "r");
	if (!f)
		return -1;
	if (!fgets(ctl, sizeof(ctl), f))
		ctl[0] = 0;
	fclose(f);
	if (!strstr(ctl, "memory"))
		return 1;
	return mv_write_path("/sys/fs/cgroup/cgroup.subtree_control", "+memory") ? -1 : 0;
}

#endif /* _TE_UTIL_H */
