// SPDX-License-Identifier: GPL-2.0
/*
 * ptsel user ABI: /dev/ptsel ioctls and /sys/kernel/mm/ptsel knobs,
 * good and bad input alike.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/ptsel.h>

#include "kselftest_harness.h"
#include "memvirt_ksft.h"

#define DEV		"/dev/ptsel"
#define SYSFS		"/sys/kernel/mm/ptsel/"
#define SZ_4K		0x1000ULL
#define SZ_1M		0x100000ULL
#define SZ_2M		0x200000ULL
#define SZ_1G		0x40000000ULL
#define RW		(PTSEL_PROT_READ | PTSEL_PROT_WRITE)

static int open_dev(struct __test_metadata *_metadata)
{
	int fd = open(DEV, O_RDWR | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT && !getenv("MEMVIRT_REQUIRE"))
		SKIP(return -1, "ptsel module not loaded");
	ASSERT_LE(0, fd) TH_LOG("open %s: %s", DEV, strerror(errno));
	return fd;
}

static int do_map(int fd, uint64_t addr, uint64_t target, uint64_t size,
		  uint32_t prot)
{
	struct ptsel_map m = {
		.addr = addr, .target = target, .size = size, .prot = prot,
	};

	return ioctl(fd, PTSEL_IOC_MAP, &m) ? -errno : 0;
}

static int do_unmap(int fd, uint64_t addr, uint64_t size)
{
	struct ptsel_map m = { .addr = addr, .size = size };

	return ioctl(fd, PTSEL_IOC_UNMAP, &m) ? -errno : 0;
}

static int do_xlate(int fd, uint64_t addr, struct ptsel_translate *t)
{
	memset(t, 0, sizeof(*t));
	t->addr = addr;
	return ioctl(fd, PTSEL_IOC_TRANSLATE, t) ? -errno : 0;
}

static long read_knob(const char *name)
{
	return mv_read_knob(SYSFS, name);
}

/* Returns 0 or -errno of the write. */
static int write_knob(const char *name, const char *val)
{
	return mv_write_knob(SYSFS, name, val);
}

/* default_format's current choice, the one in brackets, into @buf. */
static int read_format(char *buf, size_t size)
{
	char line[64] = "", *lb, *rb;
	int fd = open(SYSFS "default_format", O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, line, sizeof(line) - 1);
	close(fd);
	lb = n > 0 ? strchr(line, '[') : NULL;
	rb = lb ? strchr(lb, ']') : NULL;
	if (!rb || (size_t)(rb - lb) > size)
		return -EINVAL;
	snprintf(buf, size, "%.*s", (int)(rb - lb - 1), lb + 1);
	return 0;
}

/*
 * A test that changes a knob saves it first (SAVE_KNOB(), SAVE_FORMAT()),
 * and the teardown puts it back, however the test ends: a failed
 * ASSERT leaves the test with longjmp(), past any cleanup attribute,
 * and a crash ends its process. So the fixture lives in shared memory
 * and the teardown runs in the parent (FIXTURE_TEARDOWN_PARENT).
 */
FIXTURE(ptsel) {
	int fd;
	pid_t pid;
	struct mv_knobs knobs;
	char format[16];
	char trace[128];
};

FIXTURE_SETUP(ptsel)
{
	self->pid = getpid();
	self->knobs = (struct mv_knobs){ .dir = SYSFS };
	self->format[0] = 0;
	self->trace[0] = 0;
	self->fd = open_dev(_metadata);
}

FIXTURE_TEARDOWN_PARENT(ptsel)
{
	/* The file belongs to the test's process, which closed it. */
	if (self->fd >= 0 && getpid() == self->pid)
		close(self->fd);
	mv_knobs_restore(&self->knobs);
	if (self->format[0])
		write_knob("default_format", self->format);
	if (self->trace[0])
		rmdir(self->trace);
}

#define SAVE_KNOB(knob)	mv_knobs_save(&self->knobs, knob)
#define SAVE_FORMAT()	ASSERT_EQ(0, read_format(self->format, sizeof(self->format)))

/* Taint flag W: a WARN fired. */
#define TAINT_WARN	(1L << 9)

static long read_tainted(void)
{
	char buf[32] = "";
	int fd = open("/proc/sys/kernel/tainted", O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 ? strtol(buf, NULL, 10) : -1;
}

/* No WARN since @before (when one had not fired already). */
#define EXPECT_NO_NEW_WARN(before) do {					\
	if ((before) < 0 || ((before) & TAINT_WARN))			\
		TH_LOG("kernel tainted by a WARN already: not checked");\
	else								\
		EXPECT_EQ(0, read_tainted() & TAINT_WARN);		\
} while (0)

TEST_F(ptsel, map_translate)
{
	struct ptsel_translate t;

	ASSERT_EQ(0, do_map(self->fd, SZ_1G, 3 * SZ_1G, SZ_1G + SZ_2M + SZ_4K,
			    RW));
	ASSERT_EQ(0, do_xlate(self->fd, SZ_1G + 0x1234, &t));
	EXPECT_EQ(3 * SZ_1G + 0x1234, t.target);
	EXPECT_EQ(2, t.level);
	EXPECT_EQ(RW, t.prot);
	EXPECT_EQ(2, t.mem_refs);
	ASSERT_EQ(0, do_xlate(self->fd, 2 * SZ_1G + SZ_2M - 1, &t));
	EXPECT_EQ(4 * SZ_1G + SZ_2M - 1, t.target);
	EXPECT_EQ(1, t.level);
	ASSERT_EQ(0, do_xlate(self->fd, 2 * SZ_1G + SZ_2M + 5, &t));
	EXPECT_EQ(4 * SZ_1G + SZ_2M + 5, t.target);
	EXPECT_EQ(0, t.level);
	EXPECT_EQ(-ENOENT, do_xlate(self->fd, 2 * SZ_1G + SZ_2M + SZ_4K, &t));
	EXPECT_EQ(-ENOENT, do_xlate(self->fd, SZ_1G - 1, &t));

	/* Punch a 4K hole into the 1G leaf: it is split, neighbours stay. */
	ASSERT_EQ(0, do_unmap(self->fd, SZ_1G + SZ_2M, SZ_4K));
	EXPECT_EQ(-ENOENT, do_xlate(self->fd, SZ_1G + SZ_2M, &t));
	ASSERT_EQ(0, do_xlate(self->fd, SZ_1G + SZ_2M + SZ_4K, &t));
	EXPECT_EQ(3 * SZ_1G + SZ_2M + SZ_4K, t.target);
	EXPECT_EQ(0, t.level);
	ASSERT_EQ(0, do_xlate(self->fd, SZ_1G + SZ_2M - 1, &t));
	EXPECT_EQ(3 * SZ_1G + SZ_2M - 1, t.target);
}

TEST_F(ptsel, bad_ranges)
{
	const uint64_t lim = 1ULL << 48;

	EXPECT_EQ(-EINVAL, do_map(self->fd, 0, 0, 0, RW));
	EXPECT_EQ(-EINVAL, do_map(self->fd, 1, 0, SZ_4K, RW));
	EXPECT_EQ(-EINVAL, do_map(self->fd, 0, 1, SZ_4K, RW));
	EXPECT_EQ(-EINVAL, do_map(self->fd, 0, 0, SZ_4K + 1, RW));
	EXPECT_EQ(-EINVAL, do_map(self->fd, lim, 0, SZ_4K, RW));
	EXPECT_EQ(-EINVAL, do_map(self->fd, lim - SZ_4K, 0, 2 * SZ_4K, RW));
	EXPECT_EQ(-EINVAL, do_map(self->fd, -SZ_4K, 0, 2 * SZ_4K, RW));
	EXPECT_EQ(-EINVAL, do_map(self->fd, 0, -SZ_4K, 2 * SZ_4K, RW));
	EXPECT_EQ(-EINVAL, do_map(self->fd, 0, 0, -SZ_4K, RW));
	EXPECT_EQ(-EINVAL, do_map(self->fd, 0, 0, SZ_4K, 0));
	EXPECT_EQ(-EINVAL, do_map(self->fd, 0, 0, SZ_4K, PTSEL_PROT_WRITE));
	EXPECT_EQ(-EINVAL, do_map(self->fd, 0, 0, SZ_4K, 0x80000001));
	EXPECT_EQ(-EINVAL, do_unmap(self->fd, 0, 0));
	EXPECT_EQ(-EINVAL, do_unmap(self->fd, SZ_4K / 2, SZ_4K));
	EXPECT_EQ(-EINVAL, do_unmap(self->fd, lim - SZ_4K, 2 * SZ_4K));

	/* The last page below the limit is valid. */
	EXPECT_EQ(0, do_map(self->fd, lim - SZ_4K, 0, SZ_4K, PTSEL_PROT_READ));
	EXPECT_EQ(0, do_unmap(self->fd, lim - SZ_4K, SZ_4K));
	/* Unmapping nothing is not an error. */
	EXPECT_EQ(0, do_unmap(self->fd, 0, SZ_1G));
}

TEST_F(ptsel, overlap)
{
	struct ptsel_translate t;

	ASSERT_EQ(0, do_map(self->fd, SZ_2M, 0, SZ_2M, RW));
	EXPECT_EQ(-EEXIST, do_map(self->fd, SZ_2M + SZ_4K, SZ_4K, SZ_4K, RW));
	EXPECT_EQ(-EEXIST, do_map(self->fd, 0, 0, 2 * SZ_2M, RW));
	/* The failed map did not map the free head of its range. */
	EXPECT_EQ(-ENOENT, do_xlate(self->fd, 0, &t));
	ASSERT_EQ(0, do_xlate(self->fd, SZ_2M + 8, &t));
	EXPECT_EQ(8, t.target);
}

TEST_F(ptsel, reserved_fields_and_bad_pointers)
{
	struct ptsel_map m = { .addr = 0, .target = 0, .size = SZ_4K,
			       .prot = RW, .reserved = 1 };
	struct ptsel_translate t = { .addr = 0, .reserved = 1 };

	EXPECT_EQ(-1, ioctl(self->fd, PTSEL_IOC_MAP, &m));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(self->fd, PTSEL_IOC_TRANSLATE, &t));
	EXPECT_EQ(EINVAL, errno);
	m.reserved = 0;
	m.target = SZ_4K;	/* unmap takes no target */
	EXPECT_EQ(-1, ioctl(self->fd, PTSEL_IOC_UNMAP, &m));
	EXPECT_EQ(EINVAL, errno);

	EXPECT_EQ(-1, ioctl(self->fd, PTSEL_IOC_MAP, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->fd, PTSEL_IOC_TRANSLATE, (void *)1));
	EXPECT_EQ(EFAULT, errno);
	/* Same number, wrong size: not our ioctl. */
	EXPECT_EQ(-1, ioctl(self->fd, _IOW(PTSEL_IOC_MAGIC, 0x01, uint64_t), &m));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->fd, _IO(PTSEL_IOC_MAGIC, 0x7f)));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(-1, PTSEL_IOC_MAP, &m));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-1, ioctl(STDIN_FILENO, PTSEL_IOC_MAP, &m));
	EXPECT_NE(0, errno);
}

TEST_F(ptsel, partitions_are_independent)
{
	struct ptsel_translate t;
	int fd2 = open(DEV, O_RDWR | O_CLOEXEC);

	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, do_map(self->fd, SZ_4K, 0x10000, SZ_4K, RW));
	ASSERT_EQ(0, do_map(fd2, SZ_4K, 0x20000, SZ_4K, RW));
	ASSERT_EQ(0, do_xlate(self->fd, SZ_4K, &t));
	EXPECT_EQ(0x10000, t.target);
	ASSERT_EQ(0, do_xlate(fd2, SZ_4K, &t));
	EXPECT_EQ(0x20000, t.target);
	close(fd2);
	ASSERT_EQ(0, do_xlate(self->fd, SZ_4K, &t));
	EXPECT_EQ(0x10000, t.target);
}

/*
 * Random map/unmap against a reference model. Every mapping's target
 * carries a sequence number, so a stale, lost or torn update shows up
 * as a wrong target on the next full check.
 */
#define MODEL_PAGES	512
TEST_F(ptsel, random_ops_match_model)
{
	static uint64_t model[MODEL_PAGES];	/* 0 = unmapped, else target */
	const uint64_t base = 5 * SZ_1G;
	struct ptsel_translate t;
	uint64_t seq = 1;
	unsigned int i, op, p, n;

	srandom(1234);
	memset(model, 0, sizeof(model));
	for (op = 0; op < 3000; op++) {
		p = random() % MODEL_PAGES;
		n = 1 + random() % 16;
		if (p + n > MODEL_PAGES)
			n = MODEL_PAGES - p;
		if (random() % 2) {
			int busy = 0, ret;

			for (i = 0; i < n; i++)
				busy |= model[p + i] != 0;
			ret = do_map(self->fd, base + p * SZ_4K,
				     (seq << 24) + p * SZ_4K, n * SZ_4K, RW);
			ASSERT_EQ(busy ? -EEXIST : 0, ret);
			if (!busy)
				for (i = 0; i < n; i++)
					model[p + i] = (seq << 24) + (p + i) * SZ_4K;
			seq++;
		} else {
			ASSERT_EQ(0, do_unmap(self->fd, base + p * SZ_4K, n * SZ_4K));
			for (i = 0; i < n; i++)
				model[p + i] = 0;
		}
		if (op % 100)
			continue;
		for (i = 0; i < MODEL_PAGES; i++) {
			int ret = do_xlate(self->fd, base + i * SZ_4K + 17, &t);

			if (!model[i]) {
				ASSERT_EQ(-ENOENT, ret);
			} else {
				ASSERT_EQ(0, ret);
				ASSERT_EQ(model[i] + 17, t.target);
			}
		}
	}
}

TEST_F(ptsel, table_limit)
{
	long before = read_knob("max_table_pages"), base;
	struct ptsel_translate t;
	char val[32];
	int i, ret = 0;

	ASSERT_LT(0, before);
	SAVE_KNOB("max_table_pages");
	base = read_knob("stats/table_pages");
	ASSERT_LE(1, base);
	ASSERT_EQ(0, write_knob("max_table_pages", "8"));
	EXPECT_EQ(8, read_knob("max_table_pages"));
	/* Each 4K page 1G apart needs its own PMD and PTE table. */
	for (i = 0; i < 8 && !ret; i++)
		ret = do_map(self->fd, (uint64_t)i * SZ_1G, 0, SZ_4K, RW);
	EXPECT_EQ(-ENOMEM, ret);
	EXPECT_LE(read_knob("stats/table_pages") - base, 7);
	/* The refused map left nothing half-built; earlier ones stand. */
	EXPECT_EQ(-ENOENT, do_xlate(self->fd, (uint64_t)(i - 1) * SZ_1G, &t));
	EXPECT_EQ(0, do_xlate(self->fd, 0, &t));
	snprintf(val, sizeof(val), "%ld", before);
	ASSERT_EQ(0, write_knob("max_table_pages", val));
	EXPECT_EQ(0, do_map(self->fd, (uint64_t)(i - 1) * SZ_1G, 0, SZ_4K, RW));
}

static int do_region(int fd, unsigned long cmd, uint64_t addr, uint64_t size,
		     uint32_t format, uint32_t *leaves)
{
	struct ptsel_region r = { .addr = addr, .size = size, .format = format };

	if (ioctl(fd, cmd, &r))
		return -errno;
	if (leaves)
		*leaves = r.leaves;
	return 0;
}

static int do_switch(int fd, uint32_t asid, uint32_t *retained)
{
	struct ptsel_switch s = { .asid = asid };

	if (ioctl(fd, PTSEL_IOC_SWITCH_AS, &s))
		return -errno;
	if (retained)
		*retained = s.retained;
	return 0;
}

static int do_stats(int fd, struct ptsel_stats *st)
{
	return ioctl(fd, PTSEL_IOC_GET_STATS, st) ? -errno : 0;
}

static int do_range(int fd, unsigned long cmd, uint64_t addr, uint64_t size,
		    uint64_t target, uint32_t prot)
{
	struct ptsel_map m = {
		.addr = addr, .target = target, .size = size, .prot = prot,
	};

	return ioctl(fd, cmd, &m) ? -errno : 0;
}

TEST_F(ptsel, regions_and_conversion)
{
	struct ptsel_region r = { 0 };
	struct ptsel_translate t;
	struct ptsel_stats st;
	uint32_t leaves = 99;
	uint64_t i;

	/* [2G, 4G) hashed; a map across it lands in both formats. */
	ASSERT_EQ(0, do_region(self->fd, PTSEL_IOC_SET_REGION, 2 * SZ_1G, 2 * SZ_1G,
			       PTSEL_FORMAT_HASH, &leaves));
	EXPECT_EQ(0, leaves);
	ASSERT_EQ(0, do_map(self->fd, 2 * SZ_1G - 4 * SZ_4K, 0x100000, 8 * SZ_4K, RW));
	ASSERT_EQ(0, do_xlate(self->fd, 2 * SZ_1G + 5, &t));
	EXPECT_EQ(0x100000 + 4 * SZ_4K + 5, t.target);
	/* A hashed 4K lookup reads one or two lines, a radix walk four. */
	EXPECT_GE(2, t.mem_refs);
	ASSERT_EQ(0, do_xlate(self->fd, 2 * SZ_1G - SZ_4K, &t));
	EXPECT_EQ(4, t.mem_refs);
	/* Convert the region to radix and back: every page stays. */
	ASSERT_EQ(0, do_region(self->fd, PTSEL_IOC_CONVERT, 2 * SZ_1G, 2 * SZ_1G,
			       PTSEL_FORMAT_RADIX, &leaves));
	EXPECT_EQ(4, leaves);
	ASSERT_EQ(0, do_region(self->fd, PTSEL_IOC_CONVERT, 2 * SZ_1G, 2 * SZ_1G,
			       PTSEL_FORMAT_HASH, &leaves));
	EXPECT_EQ(4, leaves);
	for (i = 0; i < 8; i++) {
		ASSERT_EQ(0, do_xlate(self->fd, 2 * SZ_1G - 4 * SZ_4K + i * SZ_4K, &t));
		EXPECT_EQ(0x100000 + i * SZ_4K, t.target);
	}
	ASSERT_EQ(0, do_stats(self->fd, &st));
	EXPECT_EQ(1, st.regions);
	EXPECT_EQ(3, st.conversions);
	EXPECT_EQ(8, st.mapped_pages);
	/* The default format of the partition. */
	ASSERT_EQ(0, do_region(self->fd, PTSEL_IOC_SET_REGION, 0, 0,
			       PTSEL_FORMAT_HASH, &leaves));
	EXPECT_EQ(4, leaves);
	ASSERT_EQ(0, do_region(self->fd, PTSEL_IOC_SET_REGION, 2 * SZ_1G, 2 * SZ_1G,
			       PTSEL_FORMAT_DEFAULT, &leaves));
	EXPECT_EQ(0, leaves);
	ASSERT_EQ(0, do_xlate(self->fd, 2 * SZ_1G, &t));
	EXPECT_EQ(0x100000 + 4 * SZ_4K, t.target);

	/* Bad shapes, formats, overlaps and fields. */
	EXPECT_EQ(-EINVAL, do_region(self->fd, PTSEL_IOC_SET_REGION, 0, 3 * SZ_4K, 1, NULL));
	EXPECT_EQ(-EINVAL, do_region(self->fd, PTSEL_IOC_SET_REGION, SZ_4K, SZ_2M, 1, NULL));
	EXPECT_EQ(-EINVAL, do_region(self->fd, PTSEL_IOC_SET_REGION, 0, SZ_2M, 3, NULL));
	EXPECT_EQ(-EINVAL, do_region(self->fd, PTSEL_IOC_SET_REGION, 0, SZ_2M, ~0U, NULL));
	EXPECT_EQ(-EINVAL, do_region(self->fd, PTSEL_IOC_SET_REGION, 0, 1ULL << 63, 1, NULL));
	EXPECT_EQ(-EINVAL, do_region(self->fd, PTSEL_IOC_SET_REGION, 1ULL << 48, SZ_4K, 1, NULL));
	EXPECT_EQ(-EINVAL, do_region(self->fd, PTSEL_IOC_SET_REGION, SZ_4K, 0, 1, NULL));
	EXPECT_EQ(-EINVAL, do_region(self->fd, PTSEL_IOC_SET_REGION, 0, 0, 0, NULL));
	EXPECT_EQ(-ENOENT, do_region(self->fd, PTSEL_IOC_SET_REGION, 0, SZ_2M, 0, NULL));
	EXPECT_EQ(-ENOENT, do_region(self->fd, PTSEL_IOC_CONVERT, 0, SZ_2M, 1, NULL));
	EXPECT_EQ(-EINVAL, do_region(self->fd, PTSEL_IOC_CONVERT, 0, 0, 1, NULL));
	ASSERT_EQ(0, do_region(self->fd, PTSEL_IOC_SET_REGION, SZ_2M, SZ_2M, 1, NULL));
	EXPECT_EQ(-EBUSY, do_region(self->fd, PTSEL_IOC_SET_REGION, 0, SZ_1G, 1, NULL));
	EXPECT_EQ(-EBUSY, do_region(self->fd, PTSEL_IOC_CONVERT, SZ_2M, SZ_4K, 2, NULL));
	r.addr = SZ_2M;
	r.size = SZ_2M;
	r.format = 2;
	r.reserved = 1;
	EXPECT_EQ(-1, ioctl(self->fd, PTSEL_IOC_CONVERT, &r));
	EXPECT_EQ(EINVAL, errno);
	r.reserved = 0;
	r.leaves = 1;
	EXPECT_EQ(-1, ioctl(self->fd, PTSEL_IOC_CONVERT, &r));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(self->fd, PTSEL_IOC_CONVERT, NULL));
	EXPECT_EQ(EFAULT, errno);
	/* At most PTSEL_MAX_REGIONS (64) regions. */
	for (i = 0; i < 63; i++)
		ASSERT_EQ(0, do_region(self->fd, PTSEL_IOC_SET_REGION,
				       SZ_1G + i * SZ_4K, SZ_4K, 1, NULL));
	EXPECT_EQ(-ENOSPC, do_region(self->fd, PTSEL_IOC_SET_REGION,
				     SZ_1G + i * SZ_4K, SZ_4K, 1, NULL));
}

TEST_F(ptsel, protect_remap_lookup_update)
{
	struct ptsel_lookup l = { 0 };
	struct ptsel_translate t;
	uint64_t gen;

	ASSERT_EQ(0, do_map(self->fd, SZ_2M, 0x40000000, SZ_2M, RW));
	ASSERT_EQ(0, do_xlate(self->fd, SZ_2M, &t));
	EXPECT_EQ(RW, t.prot);
	/* Protect one page inside the 2M leaf: the TLB must not keep RW. */
	ASSERT_EQ(0, do_range(self->fd, PTSEL_IOC_PROTECT, SZ_2M, SZ_4K, 0,
			      PTSEL_PROT_READ | PTSEL_PROT_EXEC));
	ASSERT_EQ(0, do_xlate(self->fd, SZ_2M, &t));
	EXPECT_EQ(PTSEL_PROT_READ | PTSEL_PROT_EXEC, t.prot);
	EXPECT_EQ(0, t.level);
	ASSERT_EQ(0, do_xlate(self->fd, SZ_2M + SZ_4K, &t));
	EXPECT_EQ(RW, t.prot);
	EXPECT_EQ(-EINVAL, do_range(self->fd, PTSEL_IOC_PROTECT, SZ_2M, SZ_4K, 0, 0));
	EXPECT_EQ(-EINVAL, do_range(self->fd, PTSEL_IOC_PROTECT, SZ_2M, SZ_4K, SZ_4K, RW));
	EXPECT_EQ(-EINVAL, do_range(self->fd, PTSEL_IOC_PROTECT, SZ_2M, 0, 0, RW));
	EXPECT_EQ(0, do_range(self->fd, PTSEL_IOC_PROTECT, 0, SZ_2M, 0, RW));

	/* The updatable lookup: nothing moved yet. */
	l.addr = SZ_2M + SZ_4K + 9;
	ASSERT_EQ(0, ioctl(self->fd, PTSEL_IOC_LOOKUP_UPDATE, &l));
	EXPECT_EQ(0, l.moved);
	EXPECT_EQ(0x40000000 + SZ_4K + 9, l.target);
	gen = l.generation;
	ASSERT_EQ(0, do_range(self->fd, PTSEL_IOC_REMAP, SZ_2M + SZ_4K, 2 * SZ_4K,
			      0x7770000, 0));
	ASSERT_EQ(0, do_xlate(self->fd, SZ_2M + SZ_4K + 9, &t));
	EXPECT_EQ(0x7770000 + 9, t.target);
	memset(&l, 0, sizeof(l));
	l.addr = SZ_2M + 2 * SZ_4K;
	l.generation = gen;
	ASSERT_EQ(0, ioctl(self->fd, PTSEL_IOC_LOOKUP_UPDATE, &l));
	EXPECT_EQ(1, l.moved);
	EXPECT_EQ(0x7771000, l.target);
	EXPECT_EQ(gen + 1, l.generation);
	l.moved = 0;
	l.target = 0;
	l.prot = 0;
	ASSERT_EQ(0, ioctl(self->fd, PTSEL_IOC_LOOKUP_UPDATE, &l));
	EXPECT_EQ(0, l.moved);
	/* Remap needs every page mapped, and a clean request. */
	EXPECT_EQ(-ENOENT, do_range(self->fd, PTSEL_IOC_REMAP, 0, SZ_4K, 0, 0));
	EXPECT_EQ(-ENOENT, do_range(self->fd, PTSEL_IOC_REMAP, 2 * SZ_2M - SZ_4K,
				    2 * SZ_4K, 0, 0));
	EXPECT_EQ(-EINVAL, do_range(self->fd, PTSEL_IOC_REMAP, SZ_2M, SZ_4K, 0x10, 0));
	EXPECT_EQ(-EINVAL, do_range(self->fd, PTSEL_IOC_REMAP, SZ_2M, SZ_4K, 0, RW));
	EXPECT_EQ(-EINVAL, do_range(self->fd, PTSEL_IOC_REMAP, SZ_2M, SZ_4K, -SZ_4K, 0));
	l.moved = 1;
	EXPECT_EQ(-1, ioctl(self->fd, PTSEL_IOC_LOOKUP_UPDATE, &l));
	EXPECT_EQ(EINVAL, errno);
	memset(&l, 0, sizeof(l));
	l.addr = 0;
	EXPECT_EQ(-1, ioctl(self->fd, PTSEL_IOC_LOOKUP_UPDATE, &l));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(-1, ioctl(self->fd, PTSEL_IOC_LOOKUP_UPDATE, (void *)8));
	EXPECT_EQ(EFAULT, errno);
}

TEST_F(ptsel, translate_batch)
{
	static struct ptsel_translate e[PTSEL_BATCH_MAX + 1];
	struct ptsel_translate_batch b = { 0 };
	unsigned int i;

	ASSERT_EQ(0, do_map(self->fd, 0, 0x123000000, 1024 * SZ_4K, RW));
	for (i = 0; i < 1000; i++)
		e[i] = (struct ptsel_translate){ .addr = i * SZ_4K + i };
	b.entries = (uintptr_t)e;
	b.count = 1000;
	ASSERT_EQ(0, ioctl(self->fd, PTSEL_IOC_TRANSLATE_BATCH, &b));
	EXPECT_EQ(1000, b.done);
	for (i = 0; i < 1000; i++)
		ASSERT_EQ(0x123000000 + i * SZ_4K + i, e[i].target);
	/* Entry 700 is unmapped: the batch stops there and says so. */
	e[700].addr = 5000 * SZ_4K;
	e[701].target = 0xdead;
	b.done = 0;
	EXPECT_EQ(-1, ioctl(self->fd, PTSEL_IOC_TRANSLATE_BATCH, &b));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(700, b.done);
	EXPECT_EQ(0xdead, e[701].target);
	e[700].reserved = 1;
	b.done = 0;
	EXPECT_EQ(-1, ioctl(self->fd, PTSEL_IOC_TRANSLATE_BATCH, &b));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(700, b.done);
	/* Counts and pointers. */
	b.done = 0;
	b.count = 0;
	EXPECT_EQ(-1, ioctl(self->fd, PTSEL_IOC_TRANSLATE_BATCH, &b));
	EXPECT_EQ(EINVAL, errno);
	b.count = PTSEL_BATCH_MAX + 1;
	EXPECT_EQ(-1, ioctl(self->fd, PTSEL_IOC_TRANSLATE_BATCH, &b));
	EXPECT_EQ(EINVAL, errno);
	b.count = ~0U;
	EXPECT_EQ(-1, ioctl(self->fd, PTSEL_IOC_TRANSLATE_BATCH, &b));
	EXPECT_EQ(EINVAL, errno);
	b.count = 4;
	b.done = 1;
	EXPECT_EQ(-1, ioctl(self->fd, PTSEL_IOC_TRANSLATE_BATCH, &b));
	EXPECT_EQ(EINVAL, errno);
	b.done = 0;
	b.entries = 16;
	EXPECT_EQ(-1, ioctl(self->fd, PTSEL_IOC_TRANSLATE_BATCH, &b));
	EXPECT_EQ(EFAULT, errno);
	b.entries = (uintptr_t)e;
	EXPECT_EQ(-1, ioctl(self->fd, PTSEL_IOC_TRANSLATE_BATCH, NULL));
	EXPECT_EQ(EFAULT, errno);
}

TEST_F(ptsel, switch_and_tlb_retention)
{
	struct ptsel_switch s = { .asid = 1, .reserved = 1 };
	struct ptsel_stats st, st2;
	struct ptsel_translate t;
	uint32_t kept = 0, i;

	SAVE_KNOB("max_partitions_per_fd");
	ASSERT_EQ(0, write_knob("max_partitions_per_fd", "8"));
	/* Each address space maps the same input to its own target. */
	for (i = 0; i < 8; i++) {
		ASSERT_EQ(0, do_switch(self->fd, i * 1000, &kept));
		ASSERT_EQ(0, do_map(self->fd, SZ_1G, (i + 1) * SZ_1G, SZ_4K, RW));
		ASSERT_EQ(0, do_xlate(self->fd, SZ_1G, &t));
		EXPECT_EQ((i + 1) * SZ_1G, t.target);
	}
	EXPECT_EQ(-ENOSPC, do_switch(self->fd, 12345, NULL));
	/* Back and forth between two: both stay listed, the TLB hits. */
	ASSERT_EQ(0, do_switch(self->fd, 6000, &kept));
	EXPECT_EQ(1, kept);
	ASSERT_EQ(0, do_stats(self->fd, &st));
	ASSERT_EQ(0, do_switch(self->fd, 7000, &kept));
	EXPECT_EQ(1, kept);
	ASSERT_EQ(0, do_xlate(self->fd, SZ_1G, &t));
	EXPECT_EQ(8 * SZ_1G, t.target);
	EXPECT_EQ(0, t.mem_refs);
	ASSERT_EQ(0, do_switch(self->fd, 6000, &kept));
	ASSERT_EQ(0, do_xlate(self->fd, SZ_1G, &t));
	EXPECT_EQ(7 * SZ_1G, t.target);
	EXPECT_EQ(0, t.mem_refs);
	ASSERT_EQ(0, do_stats(self->fd, &st2));
	EXPECT_EQ(st.tlb_hits + 2, st2.tlb_hits);
	EXPECT_EQ(st.tlb_flushes_avoided + 2, st2.tlb_flushes_avoided);
	/* ASID 0 was pushed out of the 6 retained by the 7 after it. */
	ASSERT_EQ(0, do_switch(self->fd, 0, &kept));
	EXPECT_EQ(0, kept);
	ASSERT_EQ(0, do_xlate(self->fd, SZ_1G, &t));
	EXPECT_EQ(SZ_1G, t.target);
	EXPECT_NE(0, t.mem_refs);

	EXPECT_EQ(-1, ioctl(self->fd, PTSEL_IOC_SWITCH_AS, &s));
	EXPECT_EQ(EINVAL, errno);
	s.reserved = 0;
	s.retained = 1;
	EXPECT_EQ(-1, ioctl(self->fd, PTSEL_IOC_SWITCH_AS, &s));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(self->fd, PTSEL_IOC_SWITCH_AS, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->fd, PTSEL_IOC_GET_STATS, NULL));
	EXPECT_EQ(EFAULT, errno);
}

TEST_F(ptsel, knobs_apply)
{
	struct ptsel_translate t;
	struct ptsel_stats st;
	char buf[64] = "";
	int fd, fd2, n;

	SAVE_KNOB("max_mapped_pages");
	SAVE_KNOB("walk_cache_size");
	SAVE_FORMAT();
	/* default_format lists the choices and brackets the current one. */
	fd = open(SYSFS "default_format", O_RDONLY);
	ASSERT_LE(0, fd);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	ASSERT_LT(0, n);
	EXPECT_STREQ("[radix] hash\n", buf);
	ASSERT_EQ(0, write_knob("default_format", "hash"));
	fd2 = open(DEV, O_RDWR | O_CLOEXEC);
	ASSERT_EQ(0, write_knob("default_format", "radix"));
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, do_map(fd2, 0, 0, SZ_4K, RW));
	ASSERT_EQ(0, do_xlate(fd2, 0, &t));
	EXPECT_GE(2, t.mem_refs);	/* hashed: one or two lines */
	close(fd2);

	ASSERT_EQ(0, write_knob("max_mapped_pages", "16"));
	EXPECT_EQ(-ENOSPC, do_map(self->fd, 0, 0, 17 * SZ_4K, RW));
	EXPECT_EQ(0, do_map(self->fd, 0, 0, 16 * SZ_4K, RW));
	EXPECT_EQ(-ENOSPC, do_map(self->fd, SZ_1G, 0, SZ_4K, RW));
	ASSERT_EQ(0, do_stats(self->fd, &st));
	EXPECT_EQ(16, st.mapped_pages);

	/* Walk cache off: every walk from the root. */
	ASSERT_EQ(0, write_knob("walk_cache_size", "0"));
	fd2 = open(DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, do_map(fd2, 0, 0, 2 * SZ_4K, RW));
	ASSERT_EQ(0, do_xlate(fd2, 0, &t));
	ASSERT_EQ(0, do_xlate(fd2, SZ_4K, &t));
	EXPECT_EQ(4, t.mem_refs);
	ASSERT_EQ(0, do_stats(fd2, &st));
	EXPECT_EQ(0, st.wc_hits);
	close(fd2);
	ASSERT_EQ(0, write_knob("walk_cache_size", "64"));
	fd2 = open(DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, do_map(fd2, 0, 0, 3 * SZ_4K, RW));
	/* A PTE table goes in on its second miss, not its first. */
	ASSERT_EQ(0, do_xlate(fd2, 0, &t));
	EXPECT_EQ(4, t.mem_refs);
	ASSERT_EQ(0, do_xlate(fd2, SZ_4K, &t));
	EXPECT_EQ(4, t.mem_refs);
	ASSERT_EQ(0, do_xlate(fd2, 2 * SZ_4K, &t));
	EXPECT_EQ(1, t.mem_refs);	/* the walk cache held the PTE table */
	ASSERT_EQ(0, do_stats(fd2, &st));
	EXPECT_EQ(1, st.wc_hits);
	close(fd2);
}

/*
 * Declaring a region in the format it has already still cuts the
 * leaves that straddle its edges. It did not, so this unmap needed a
 * split in the middle of its range, which failed at the table limit:
 * the unmap warned, kept the mapping, returned 0 and took the pages
 * off the count, which the next unmap took below zero, and then every
 * map failed with ENOSPC.
 */
TEST_F(ptsel, same_format_region_splits_leaves)
{
	long tainted = read_tainted();
	struct ptsel_translate t;
	struct ptsel_stats st;

	SAVE_KNOB("max_table_pages");
	ASSERT_EQ(0, do_map(self->fd, 0, SZ_1G, SZ_2M, RW));
	ASSERT_EQ(0, do_region(self->fd, PTSEL_IOC_SET_REGION, SZ_1M, SZ_1M,
			       PTSEL_FORMAT_RADIX, NULL));
	ASSERT_EQ(0, do_xlate(self->fd, SZ_1M, &t));
	EXPECT_EQ(SZ_1G + SZ_1M, t.target);
	EXPECT_EQ(0, t.level);
	/* Less than the partition holds: no table more. */
	ASSERT_EQ(0, write_knob("max_table_pages", "4"));
	EXPECT_EQ(0, do_unmap(self->fd, 0, SZ_2M));
	EXPECT_EQ(-ENOENT, do_xlate(self->fd, 0, &t));
	EXPECT_EQ(-ENOENT, do_xlate(self->fd, SZ_1M, &t));
	ASSERT_EQ(0, do_stats(self->fd, &st));
	EXPECT_EQ(0, st.mapped_pages);
	EXPECT_EQ(0, do_unmap(self->fd, 0, SZ_2M));
	ASSERT_EQ(0, mv_write_knob_num(SYSFS, "max_table_pages", self->knobs.val[0]));
	EXPECT_EQ(0, do_map(self->fd, 0, SZ_1G, SZ_4K, RW));
	ASSERT_EQ(0, do_stats(self->fd, &st));
	EXPECT_EQ(1, st.mapped_pages);
	EXPECT_NO_NEW_WARN(tainted);
}

/*
 * Unmap, protect and remap of part of a 2 MiB leaf need a split. When
 * the table limit refuses it, they fail with ENOMEM and change nothing:
 * translation, protection, count and move generation stay.
 */
TEST_F(ptsel, failed_split_changes_nothing)
{
	long tainted = read_tainted();
	struct ptsel_translate t;
	struct ptsel_stats st;

	SAVE_KNOB("max_table_pages");
	ASSERT_EQ(0, do_map(self->fd, 0, SZ_1G, SZ_2M, RW));
	ASSERT_EQ(0, write_knob("max_table_pages", "4"));
	EXPECT_EQ(-ENOMEM, do_unmap(self->fd, SZ_4K, SZ_4K));
	EXPECT_EQ(-ENOMEM, do_range(self->fd, PTSEL_IOC_PROTECT, SZ_4K, SZ_4K, 0,
				    PTSEL_PROT_READ));
	EXPECT_EQ(-ENOMEM, do_range(self->fd, PTSEL_IOC_REMAP, SZ_4K, SZ_4K, 0, 0));
	ASSERT_EQ(0, do_stats(self->fd, &st));
	EXPECT_EQ(512, st.mapped_pages);
	EXPECT_EQ(0, st.generation);
	ASSERT_EQ(0, do_xlate(self->fd, SZ_4K + 5, &t));
	EXPECT_EQ(SZ_1G + SZ_4K + 5, t.target);
	EXPECT_EQ(RW, t.prot);
	EXPECT_EQ(1, t.level);
	ASSERT_EQ(0, mv_write_knob_num(SYSFS, "max_table_pages", self->knobs.val[0]));
	EXPECT_EQ(0, do_unmap(self->fd, SZ_4K, SZ_4K));
	ASSERT_EQ(0, do_stats(self->fd, &st));
	EXPECT_EQ(511, st.mapped_pages);
	EXPECT_NO_NEW_WARN(tainted);
}

static long mem_available_kib(void)
{
	char line[128];
	long kib = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/*
 * 4 KiB keys whose hash shares the top 23 bits: KEY0 + i * KEY_STEP,
 * for the multiplier of hash.c, differ by i * 49665041905 after the
 * multiplication, all seventeen inside one 2^41-wide band. They share
 * one pair of groups (16 slots) at every order up to 23.
 */
#define KEY0		3ULL
#define KEY_STEP	165580141ULL

/*
 * Seventeen colliding leaves make the hashed table double up to its
 * largest order, 1 GiB, and then fail with ENOMEM. Before, it went on
 * to 2 GiB + 64 bytes, above what kvmalloc() hands out, and warned.
 */
/* Copying and zeroing 2 GiB of tables takes minutes under emulation. */
TEST_F_TIMEOUT(ptsel, hash_growth_stops_at_cap, 300)
{
	long tainted = read_tainted(), avail = mem_available_kib();
	struct ptsel_translate t;
	struct ptsel_stats st;
	unsigned int i;

	/* The 1 GiB table, and the generations still waiting for RCU. */
	if (avail < 3L << 20)
		SKIP(return, "needs 3 GiB available, %ld KiB are", avail);
	SAVE_KNOB("max_table_pages");
	ASSERT_EQ(0, do_region(self->fd, PTSEL_IOC_SET_REGION, 0, 0,
			       PTSEL_FORMAT_HASH, NULL));
	/* The most: room for 2 GiB + 64 bytes. */
	ASSERT_EQ(0, write_knob("max_table_pages", "1048576"));
	for (i = 0; i < 16; i++)
		ASSERT_EQ(0, do_map(self->fd, (KEY0 + i * KEY_STEP) * SZ_4K,
				    (uint64_t)i * SZ_4K, SZ_4K, RW));
	EXPECT_EQ(-ENOMEM, do_map(self->fd, (KEY0 + i * KEY_STEP) * SZ_4K, 0,
				  SZ_4K, RW));
	ASSERT_EQ(0, do_stats(self->fd, &st));
	EXPECT_EQ(16, st.mapped_pages);
	for (i = 0; i < 16; i++) {
		ASSERT_EQ(0, do_xlate(self->fd, (KEY0 + i * KEY_STEP) * SZ_4K + 9, &t));
		EXPECT_EQ((uint64_t)i * SZ_4K + 9, t.target);
	}
	EXPECT_NO_NEW_WARN(tainted);
}

/*
 * A thread switches one file back and forth between two partitions
 * (switch k goes to partition 1 for an odd k, 2 for an even one; 2 is
 * current before the first) and counts the switches it started and
 * finished. Meanwhile the test translates an address through the
 * file's walker (TRANSLATE) and then looks it up in the file's current
 * partition (LOOKUP_UPDATE, which goes where MAP and the other updates
 * go); each partition maps it to a target of its own. When at most one
 * switch can have taken effect between the two, they must not see its
 * new partition and then the old one: the file acts on one partition
 * at a time, whichever ioctl asks.
 */
struct switch_race {
	int fd;
	int stop;
	long started, finished;
};

static void *switcher(void *arg)
{
	struct switch_race *r = arg;
	long k = 0;

	while (!__atomic_load_n(&r->stop, __ATOMIC_SEQ_CST)) {
		k++;
		__atomic_store_n(&r->started, k, __ATOMIC_SEQ_CST);
		if (do_switch(r->fd, k % 2 ? 1 : 2, NULL))
			break;
		__atomic_store_n(&r->finished, k, __ATOMIC_SEQ_CST);
	}
	return NULL;
}

/* The partition (1 or 2) whose target @target is, 0 if neither. */
static int part_of(uint64_t target)
{
	return target == SZ_1G ? 1 : target == 2 * SZ_1G ? 2 : 0;
}

TEST_F(ptsel, switch_is_atomic)
{
	struct switch_race r = { .fd = self->fd };
	struct ptsel_translate t;
	struct ptsel_lookup l;
	long f0, s1, n, bad = 0, odd = 0;
	int a, b, from, to;
	pthread_t th;

	ASSERT_EQ(0, do_switch(self->fd, 1, NULL));
	ASSERT_EQ(0, do_map(self->fd, 0, SZ_1G, SZ_4K, RW));
	ASSERT_EQ(0, do_switch(self->fd, 2, NULL));
	ASSERT_EQ(0, do_map(self->fd, 0, 2 * SZ_1G, SZ_4K, RW));
	ASSERT_EQ(0, pthread_create(&th, NULL, switcher, &r));
	for (n = 0; n < 20000; n++) {
		f0 = __atomic_load_n(&r.finished, __ATOMIC_SEQ_CST);
		if (do_xlate(self->fd, 0, &t))
			break;
		memset(&l, 0, sizeof(l));
		if (ioctl(self->fd, PTSEL_IOC_LOOKUP_UPDATE, &l))
			break;
		s1 = __atomic_load_n(&r.started, __ATOMIC_SEQ_CST);
		a = part_of(t.target);
		b = part_of(l.target);
		from = f0 % 2 ? 1 : 2;
		to = from == 1 ? 2 : 1;
		odd += !a || !b;
		if (s1 == f0)
			bad += a != from || b != from;
		else if (s1 == f0 + 1)
			bad += a == to && b == from;
	}
	__atomic_store_n(&r.stop, 1, __ATOMIC_SEQ_CST);
	ASSERT_EQ(0, pthread_join(th, NULL));
	EXPECT_EQ(20000, n);
	EXPECT_EQ(0, odd);
	EXPECT_EQ(0, bad);
	EXPECT_LT(0, __atomic_load_n(&r.finished, __ATOMIC_SEQ_CST));
}

/* Enable ptsel's @event in the trace instance @dir. */
static int trace_on(const char *dir, const char *event)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/events/ptsel/%s/enable", dir, event);
	return mv_write_path(path, "1");
}

/* Lines of the instance's trace buffer that contain @what. */
static int trace_count(const char *dir, const char *what)
{
	char path[256], line[512];
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/trace", dir);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		n += line[0] != '#' && strstr(line, what) != NULL;
	fclose(f);
	return n;
}

/*
 * ptsel_walk says whether a walker's TLB answered; a lookup straight in
 * a partition (LOOKUP_UPDATE) consults no TLB and must not show up there
 * as a miss, or the hit rate ptsel_walk.bt prints is off. It goes to
 * ptsel_lookup instead.
 */
TEST_F(ptsel, lookup_is_not_a_tlb_miss)
{
	static const char * const roots[] = {
		"/sys/kernel/tracing", "/sys/kernel/debug/tracing",
	};
	struct ptsel_translate t;
	struct ptsel_lookup l = { .addr = SZ_4K };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(roots); i++) {
		snprintf(self->trace, sizeof(self->trace), "%s/instances/ptsel_abi.%d",
			 roots[i], getpid());
		if (!mkdir(self->trace, 0700))
			break;
	}
	if (i == ARRAY_SIZE(roots)) {
		self->trace[0] = 0;
		SKIP(return, "no tracefs instances");
	}
	ASSERT_EQ(0, trace_on(self->trace, "ptsel_walk"));
	EXPECT_EQ(0, trace_on(self->trace, "ptsel_lookup"));
	ASSERT_EQ(0, do_map(self->fd, SZ_4K, SZ_1G, SZ_4K, RW));
	ASSERT_EQ(0, ioctl(self->fd, PTSEL_IOC_LOOKUP_UPDATE, &l));
	ASSERT_EQ(0, do_xlate(self->fd, SZ_4K, &t));	/* TLB miss */
	ASSERT_EQ(0, do_xlate(self->fd, SZ_4K, &t));	/* TLB hit */
	EXPECT_EQ(2, trace_count(self->trace, "ptsel_walk:"));
	EXPECT_EQ(1, trace_count(self->trace, "tlb_hit=0"));
	EXPECT_EQ(1, trace_count(self->trace, "tlb_hit=1"));
	EXPECT_EQ(1, trace_count(self->trace, "ptsel_lookup:"));
}

/* A thread translates through the walker while regions convert. */
struct conv_loop {
	int fd;
	int stop;
	long rounds, bad;
};

static void *conv_reader(void *arg)
{
	static struct ptsel_translate e[256];
	struct ptsel_translate_batch b = { .entries = (uintptr_t)e, .count = 256 };
	struct conv_loop *l = arg;
	unsigned int i;

	while (!__atomic_load_n(&l->stop, __ATOMIC_ACQUIRE)) {
		for (i = 0; i < 256; i++)
			e[i] = (struct ptsel_translate){ .addr = SZ_1G + i * 0x3000 };
		b.done = 0;
		if (ioctl(l->fd, PTSEL_IOC_TRANSLATE_BATCH, &b))
			l->bad++;
		for (i = 0; i < b.done; i++)
			l->bad += e[i].target != 0x50000000 + i * 0x3000;
		__atomic_add_fetch(&l->rounds, 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

TEST_F(ptsel, convert_while_translating)
{
	struct conv_loop l = { .fd = self->fd };
	pthread_t th;
	long r;
	int i;

	ASSERT_EQ(0, do_map(self->fd, SZ_1G, 0x50000000, 256 * 0x3000, RW));
	ASSERT_EQ(0, pthread_create(&th, NULL, conv_reader, &l));
	for (i = 0; i < 30; i++) {
		r = __atomic_load_n(&l.rounds, __ATOMIC_ACQUIRE);
		ASSERT_EQ(0, do_region(self->fd, PTSEL_IOC_SET_REGION, SZ_1G, SZ_1G,
				       i & 1 ? PTSEL_FORMAT_RADIX : PTSEL_FORMAT_HASH,
				       NULL));
		while (__atomic_load_n(&l.rounds, __ATOMIC_ACQUIRE) < r + 2)
			usleep(200);
	}
	__atomic_store_n(&l.stop, 1, __ATOMIC_RELEASE);
	ASSERT_EQ(0, pthread_join(th, NULL));
	EXPECT_EQ(0, l.bad);
	EXPECT_LE(60, l.rounds);
}

TEST_F(ptsel, sysfs_bad_writes)
{
	long before = read_knob("max_table_pages");

	ASSERT_LT(0, before);
	/* Were a bad write taken, the next tests would not see it. */
	SAVE_KNOB("max_table_pages");
	SAVE_KNOB("max_mapped_pages");
	SAVE_KNOB("max_partitions_per_fd");
	SAVE_KNOB("tlb_entries");
	SAVE_KNOB("retained_asids");
	SAVE_KNOB("walk_cache_size");
	SAVE_FORMAT();
	EXPECT_EQ(-EINVAL, write_knob("max_table_pages", "0"));
	EXPECT_EQ(-EINVAL, write_knob("max_table_pages", "abc"));
	EXPECT_EQ(-EINVAL, write_knob("max_table_pages", "-1"));
	EXPECT_EQ(-EINVAL, write_knob("max_table_pages", "1048577"));
	EXPECT_EQ(-ERANGE, write_knob("max_table_pages", "99999999999999999999999"));
	EXPECT_EQ(-EACCES, write_knob("stats/table_pages", "1"));
	EXPECT_EQ(before, read_knob("max_table_pages"));

	/* Every other knob: out of range, not a number, not a power of two. */
	static const struct { const char *knob, *val; } bad[] = {
		{ "max_mapped_pages", "0" },
		{ "max_mapped_pages", "68719476737" },
		{ "max_partitions_per_fd", "0" },
		{ "max_partitions_per_fd", "257" },
		{ "tlb_entries", "0" },
		{ "tlb_entries", "2" },
		{ "tlb_entries", "24" },
		{ "tlb_entries", "131072" },
		{ "retained_asids", "0" },
		{ "retained_asids", "65" },
		{ "walk_cache_size", "65537" },
		{ "walk_cache_size", "-1" },
		{ "walk_cache_size", "1x" },
		{ "tlb_flush_ceiling", "65537" },
		{ "tlb_flush_ceiling", "-1" },
		{ "targeted_invalidation", "2" },
		{ "targeted_invalidation", "-1" },
		{ "default_format", "\n" },
		{ "default_format", "radixx" },
		{ "default_format", "0" },
	};
	static const char * const knobs[] = {
		"max_table_pages", "max_mapped_pages", "max_partitions_per_fd",
		"tlb_entries", "retained_asids", "walk_cache_size",
		"tlb_flush_ceiling", "targeted_invalidation", "default_format",
	};
	long saved[ARRAY_SIZE(knobs)];
	unsigned int k;

	for (k = 0; k < ARRAY_SIZE(knobs); k++)
		saved[k] = read_knob(knobs[k]);
	for (k = 0; k < ARRAY_SIZE(bad); k++)
		EXPECT_EQ(-EINVAL, write_knob(bad[k].knob, bad[k].val));
	for (k = 0; k < ARRAY_SIZE(knobs); k++)
		EXPECT_EQ(saved[k], read_knob(knobs[k]));
	EXPECT_EQ(-EACCES, write_knob("stats/tlb_hits", "0"));

	/* Knobs and the device are root-only. */
	EXPECT_ROOT_ONLY(DEV, SYSFS, knobs, ARRAY_SIZE(knobs), "5");
}

/* Shared between the two threads; accessed with __atomic builtins. */
struct xlate_loop {
	int fd;
	int stop;
	long ok, ebadf, other;
};

static void *xlate_thread(void *arg)
{
	struct xlate_loop *l = arg;
	struct ptsel_translate t;

	while (!__atomic_load_n(&l->stop, __ATOMIC_ACQUIRE)) {
		int ret = do_xlate(l->fd, SZ_4K, &t);

		if (!ret && t.target == 0x7000)
			__atomic_add_fetch(&l->ok, 1, __ATOMIC_RELEASE);
		else if (ret == -EBADF)
			l->ebadf++;
		else
			l->other++;
	}
	return NULL;
}

TEST(close_while_translating)
{
	long base = read_knob("stats/table_pages");
	struct xlate_loop l = { 0 };
	pthread_t th;
	int i;

	if (base < 0 && !getenv("MEMVIRT_REQUIRE"))
		SKIP(return, "ptsel module not loaded");
	for (i = 0; i < 20; i++) {
		memset(&l, 0, sizeof(l));
		l.fd = open(DEV, O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, l.fd);
		ASSERT_EQ(0, do_map(l.fd, SZ_4K, 0x7000, SZ_4K, RW));
		ASSERT_EQ(0, pthread_create(&th, NULL, xlate_thread, &l));
		while (!__atomic_load_n(&l.ok, __ATOMIC_ACQUIRE))
			usleep(100);
		close(l.fd);
		usleep(2000);
		__atomic_store_n(&l.stop, 1, __ATOMIC_RELEASE);
		ASSERT_EQ(0, pthread_join(th, NULL));
		/* Before the close every lookup hit; after it, EBADF only. */
		EXPECT_EQ(0, l.other);
	}
	/* All partitions gone: their tables went with them. */
	EXPECT_EQ(base, read_knob("stats/table_pages"));
}

/* Walker sizes change under opens and lookups: every file stays sane. */
struct knob_race {
	int stop;
	long opened, bad;
};

static void *knob_flipper(void *arg)
{
	static const char * const v[2][3] = {
		{ "4", "1", "0" }, { "1024", "64", "4096" },
	};
	struct knob_race *r = arg;
	unsigned int i = 0;

	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		write_knob("tlb_entries", v[i & 1][0]);
		write_knob("retained_asids", v[i & 1][1]);
		write_knob("walk_cache_size", v[i & 1][2]);
		i++;
	}
	return NULL;
}

TEST_F(ptsel, knob_writes_race_opens)
{
	struct knob_race r = { 0 };
	struct ptsel_translate t;
	pthread_t th;
	int i, fd;

	SAVE_KNOB("tlb_entries");
	SAVE_KNOB("retained_asids");
	SAVE_KNOB("walk_cache_size");
	ASSERT_EQ(0, pthread_create(&th, NULL, knob_flipper, &r));
	for (i = 0; i < 200; i++) {
		fd = open(DEV, O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			r.bad++;
			continue;
		}
		r.opened++;
		if (do_map(fd, SZ_2M, 0x9000, 3 * SZ_4K, RW) ||
		    do_xlate(fd, SZ_2M + SZ_4K, &t) || t.target != 0xa000 ||
		    do_xlate(fd, SZ_2M + SZ_4K, &t) || t.target != 0xa000)
			r.bad++;
		close(fd);
	}
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
	ASSERT_EQ(0, pthread_join(th, NULL));
	EXPECT_EQ(0, r.bad);
	EXPECT_EQ(200, r.opened);
}

TEST_HARNESS_MAIN
