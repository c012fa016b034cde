/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the iommu_migrate kselftests: the device, domains,
 * buffers, engines, the check of DMA records from the CPU mapping, and
 * the freezer stage of a suspend.
 */
#ifndef _IMM_UTIL_H
#define _IMM_UTIL_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/iommu_migrate.h>

#include "memvirt_ksft.h"

#define DEV	"/dev/iommu_migrate"
#define SYSFS	"/sys/kernel/mm/iommu_migrate/"
#define DEBUGFS	"/sys/kernel/debug/iommu_migrate/"
#define PAGE	4096ULL
#define MB	(1ULL << 20)
#define REC	sizeof(struct iommu_migrate_record)

static inline long read_knob(const char *name)
{
	return mv_read_knob(SYSFS, name);
}

static inline int write_knob(const char *name, const char *val)
{
	return mv_write_knob(SYSFS, name, val);
}

/* The test hooks (fail_next_allocs, ...) are in debugfs. */
static inline long read_hook(const char *name)
{
	return mv_read_knob(DEBUGFS, name);
}

static inline int write_hook(const char *name, const char *val)
{
	return mv_write_knob(DEBUGFS, name, val);
}

/* The ioctl's result: its return value, or -errno. */
static inline long imm_ioctl(int fd, unsigned long cmd, void *arg)
{
	long ret = ioctl(fd, cmd, arg);

	return ret < 0 ? -errno : ret;
}

static inline long imm_domain(int dev, unsigned int format)
{
	struct iommu_migrate_domain d = { .format = format };
	long ret = imm_ioctl(dev, IOMMU_MIGRATE_IOC_DOMAIN_CREATE, &d);

	return ret ? ret : d.id;
}

static inline long imm_buf(int dev, unsigned long long size, int node)
{
	struct iommu_migrate_buf b = { .size = size, .node = node };

	return imm_ioctl(dev, IOMMU_MIGRATE_IOC_BUF_CREATE, &b);
}

static inline long imm_map(int dev, int buf, unsigned int dom,
			   unsigned long long iova, unsigned int prot)
{
	struct iommu_migrate_map m = {
		.buf_fd = buf, .domain = dom, .iova = iova, .prot = prot,
	};

	return imm_ioctl(dev, IOMMU_MIGRATE_IOC_MAP, &m);
}

static inline long imm_unmap(int dev, int buf, unsigned int dom)
{
	struct iommu_migrate_map m = { .buf_fd = buf, .domain = dom };

	return imm_ioctl(dev, IOMMU_MIGRATE_IOC_UNMAP, &m);
}

static inline long imm_engine(int dev, unsigned int dom, unsigned int pattern,
			      unsigned long long iova, unsigned long long size,
			      unsigned long long count, unsigned int rate)
{
	struct iommu_migrate_engine e = {
		.domain = dom, .pattern = pattern, .iova = iova, .size = size,
		.count = count, .rate = rate,
	};
	long ret = imm_ioctl(dev, IOMMU_MIGRATE_IOC_ENGINE_START, &e);

	return ret ? ret : e.id;
}

static inline long imm_engine_stop(int dev, unsigned int id,
				   struct iommu_migrate_engine_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->id = id;
	return imm_ioctl(dev, IOMMU_MIGRATE_IOC_ENGINE_STOP, st);
}

/* Engine @id's counters so far. */
static inline long imm_engine_stats(int dev, long id,
				    struct iommu_migrate_engine_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->id = id;
	return imm_ioctl(dev, IOMMU_MIGRATE_IOC_ENGINE_STATS, st);
}

static inline long imm_migrate(int dev, int buf, int node,
			       unsigned long long off, unsigned long long size,
			       struct iommu_migrate_migrate *m)
{
	memset(m, 0, sizeof(*m));
	m->buf_fd = buf;
	m->node = node;
	m->offset = off;
	m->size = size;
	return imm_ioctl(dev, IOMMU_MIGRATE_IOC_MIGRATE, m);
}

static inline long imm_page(int dev, int buf, unsigned long long idx,
			    struct iommu_migrate_page *pg)
{
	memset(pg, 0, sizeof(*pg));
	pg->buf_fd = buf;
	pg->index = idx;
	return imm_ioctl(dev, IOMMU_MIGRATE_IOC_PAGE, pg);
}

static inline int nr_nodes(void)
{
	char path[64];
	int n = 0;

	for (;;) {
		snprintf(path, sizeof(path), "/sys/devices/system/node/node%d", n);
		if (access(path, F_OK))
			return n;
		n++;
	}
}

/* Nodes of @n pages at @addr, by move_pages() with no target: a query. */
/* For qsort() of unsigned long long. */
static inline int cmp_u64(const void *a, const void *b)
{
	unsigned long long x = *(const unsigned long long *)a;
	unsigned long long y = *(const unsigned long long *)b;

	return x < y ? -1 : x > y;
}

#ifdef __KSELFTEST_HARNESS_H
/*
 * A fixture's setup: the device, on a machine with two NUMA nodes.
 * Return: its fd; -1 when the test is skipped (module not loaded,
 * unless MEMVIRT_REQUIRE is set; one node).
 */
static inline int imm_open_two_nodes(struct __test_metadata *_metadata)
{
	int dev = open(DEV, O_RDWR | O_CLOEXEC);

	if (dev < 0 && errno == ENOENT && !getenv("MEMVIRT_REQUIRE"))
		SKIP(return -1, "iommu_migrate not loaded");
	ASSERT_LE(0, dev);
	if (nr_nodes() < 2) {
		close(dev);
		SKIP(return -1, "needs two NUMA nodes");
	}
	return dev;
}
#endif

static inline long query_nodes(void *addr, unsigned long n, int *status)
{
	void **pages = calloc(n, sizeof(*pages));
	unsigned long i;
	long ret;

	if (!pages)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		pages[i] = (char *)addr + i * PAGE;
	ret = syscall(SYS_move_pages, 0, n, pages, NULL, status, 0);
	free(pages);
	return ret < 0 ? -errno : ret;
}

/**
 * struct rec_result - what the check of an engine's window found
 * @ok: records where they belong, the newest of their slot
 * @empty: slots never written, correctly
 * @lost: slots holding an older record than the last written there,
 *	  or nothing although written
 * @torn: slots whose record fails its checksum
 * @misplaced: slots with another engine's record, or one for elsewhere
 */
struct rec_result {
	unsigned long ok, empty, lost, torn, misplaced;
};

static inline uint32_t rec_csum(const struct iommu_migrate_record *r)
{
	return iommu_migrate_record_csum(r);
}

/*
 * Check the window of engine @id, mapped at @win (IOVA @base, @slots
 * records), after it wrote @writes records: slot s must hold the last
 * sequence number n < @writes with n % @slots == s.
 */
static inline void check_records(const void *win, unsigned long long base,
				 unsigned long long slots, unsigned int id,
				 unsigned long long writes,
				 struct rec_result *res)
{
	static const struct iommu_migrate_record zero;
	unsigned long long s;

	memset(res, 0, sizeof(*res));
	for (s = 0; s < slots; s++) {
		const struct iommu_migrate_record *r =
			(const void *)((const char *)win + s * REC);
		unsigned long long want;
		unsigned int i;
		int bad = 0;

		if (s >= writes) {
			if (memcmp(r, &zero, sizeof(zero)))
				res->misplaced++;
			else
				res->empty++;
			continue;
		}
		want = s + (writes - 1 - s) / slots * slots;
		if (!memcmp(r, &zero, sizeof(zero))) {
			res->lost++;
			continue;
		}
		if (r->magic != IOMMU_MIGRATE_RECORD_MAGIC || r->csum != rec_csum(r))
			bad = 1;
		for (i = 0; i < 4; i++)
			if (r->data[i] != iommu_migrate_record_data(r->seq, i))
				bad = 1;
		if (bad)
			res->torn++;
		else if (r->engine != id || r->iova != base + s * REC ||
			 r->seq % slots != s || r->seq > want)
			res->misplaced++;
		else if (r->seq < want)
			res->lost++;
		else
			res->ok++;
	}
}

/*
 * Let engine @eng run a little longer, stop it (final counters in @st)
 * and check its window (the whole buffer @buf of @bytes at IOVA @base)
 * from a CPU mapping of the buffer. Returns 0, or -errno.
 */
static inline long stop_and_check(int dev, int eng, int buf,
				  unsigned long long bytes,
				  unsigned long long base,
				  struct iommu_migrate_engine_stats *st,
				  struct rec_result *r)
{
	long ret;
	void *p;

	usleep(100000);
	ret = imm_engine_stop(dev, eng, st);
	if (ret)
		return ret;
	p = mmap(NULL, bytes, PROT_READ, MAP_SHARED, buf, 0);
	if (p == MAP_FAILED)
		return -errno;
	check_records(p, base, bytes / REC, eng, st->writes, r);
	munmap(p, bytes);
	return 0;
}

#define POWER		"/sys/power/"
#define SUSPEND_PARAMS	"/sys/module/suspend/parameters/"

/*
 * The freezer stage of a suspend (imm_freezer_test()): the knobs it
 * changes, put back by imm_pm_restore() (from a fixture's teardown, so
 * that a failed ASSERT does not leave them).
 */
struct imm_pm {
	struct mv_knobs power, suspend;
	bool pm_test_set;	/* /sys/power/pm_test to be set back to none */
};

/* Is @word one of the words of the file @path ("[none] core ...")? */
static inline bool file_has_word(const char *path, const char *word)
{
	char buf[256], *w, *save;
	bool found = false;
	FILE *f = fopen(path, "r");

	if (!f)
		return false;
	if (fgets(buf, sizeof(buf), f))
		for (w = strtok_r(buf, " []\n", &save); w && !found;
		     w = strtok_r(NULL, " []\n", &save))
			found = !strcmp(w, word);
	fclose(f);
	return found;
}

/*
 * The sleep state the freezer test can enter ("freeze", else "mem"),
 * or NULL, with the reason in @why, when there is no pm_test
 * (CONFIG_PM_DEBUG) or no such state.
 */
static inline const char *imm_pm_state(const char **why)
{
	*why = "no /sys/power/pm_test (CONFIG_PM_DEBUG)";
	if (access(POWER "pm_test", W_OK))
		return NULL;
	*why = "neither freeze nor mem in /sys/power/state";
	return file_has_word(POWER "state", "freeze") ? "freeze" :
	       file_has_word(POWER "state", "mem") ? "mem" : NULL;
}

/*
 * Suspend to @state with pm_test "freezer": every task is frozen, then
 * (after pm_test_delay, made 1 s) thawed, without suspending devices.
 * The freezer gives up after pm_freeze_timeout, made 1000 ms. Return:
 * the write's 0 or -errno (-EBUSY: "Freezing of tasks failed"); its
 * time in @secs.
 */
static inline int imm_freezer_test(struct imm_pm *pm, const char *state,
				   double *secs)
{
	struct timespec t0, t1;
	int ret;

	pm->power = (struct mv_knobs){ .dir = POWER };
	mv_knobs_save(&pm->power, "pm_freeze_timeout");
	pm->suspend = (struct mv_knobs){ .dir = SUSPEND_PARAMS };
	if (!access(SUSPEND_PARAMS "pm_test_delay", W_OK))
		mv_knobs_save(&pm->suspend, "pm_test_delay");
	if (mv_write_knob(POWER, "pm_freeze_timeout", "1000") ||
	    (pm->suspend.n &&
	     mv_write_knob(SUSPEND_PARAMS, "pm_test_delay", "1")))
		return -EIO;
	pm->pm_test_set = true;
	ret = mv_write_knob(POWER, "pm_test", "freezer");
	if (ret)
		return ret;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = mv_write_knob(POWER, "state", state);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	*secs = t1.tv_sec - t0.tv_sec + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (!mv_write_knob(POWER, "pm_test", "none"))
		pm->pm_test_set = false;
	return ret;
}

static inline void imm_pm_restore(struct imm_pm *pm)
{
	if (pm->pm_test_set)
		mv_write_knob(POWER, "pm_test", "none");
	pm->pm_test_set = false;
	mv_knobs_restore(&pm->suspend);
	mv_knobs_restore(&pm->power);
}

#endif /* _IMM_UTIL_H */
