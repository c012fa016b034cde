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
#include <sys/wait.h>
#include <unistd.h>

#include <linux/ptsel.h>

#include "kselftest_harness.h"

#define DEV		"/dev/ptsel"
#define SYSFS		"/sys/kernel/mm/ptsel/"
#define SZ_4K		0x1000ULL
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
	char path[128], buf[64] = "";
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), SYSFS "%s", name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 ? strtol(buf, NULL, 0) : -1;
}

/* Returns 0 or -errno of the write. */
static int write_knob(const char *name, const char *val)
{
	char path[128];
	int fd, ret = 0;

	snprintf(path, sizeof(path), SYSFS "%s", name);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

FIXTURE(ptsel) {
	int fd;
};

FIXTURE_SETUP(ptsel)
{
	self->fd = open_dev(_metadata);
}

FIXTURE_TEARDOWN(ptsel)
{
	if (self->fd >= 0)
		close(self->fd);
}

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
	base = read_knob("table_pages");
	ASSERT_LE(1, base);
	ASSERT_EQ(0, write_knob("max_table_pages", "8"));
	EXPECT_EQ(8, read_knob("max_table_pages"));
	/* Each 4K page 1G apart needs its own PMD and PTE table. */
	for (i = 0; i < 8 && !ret; i++)
		ret = do_map(self->fd, (uint64_t)i * SZ_1G, 0, SZ_4K, RW);
	EXPECT_EQ(-ENOMEM, ret);
	EXPECT_LE(read_knob("table_pages") - base, 7);
	/* The refused map left nothing half-built; earlier ones stand. */
	EXPECT_EQ(-ENOENT, do_xlate(self->fd, (uint64_t)(i - 1) * SZ_1G, &t));
	EXPECT_EQ(0, do_xlate(self->fd, 0, &t));
	snprintf(val, sizeof(val), "%ld", before);
	ASSERT_EQ(0, write_knob("max_table_pages", val));
	EXPECT_EQ(0, do_map(self->fd, (uint64_t)(i - 1) * SZ_1G, 0, SZ_4K, RW));
}

TEST(sysfs_bad_writes)
{
	long before = read_knob("max_table_pages");
	pid_t pid;
	int status;

	if (before < 0 && !getenv("MEMVIRT_REQUIRE"))
		SKIP(return, "ptsel module not loaded");
	ASSERT_LT(0, before);
	EXPECT_EQ(-EINVAL, write_knob("max_table_pages", "0"));
	EXPECT_EQ(-EINVAL, write_knob("max_table_pages", "abc"));
	EXPECT_EQ(-EINVAL, write_knob("max_table_pages", "-1"));
	EXPECT_EQ(-EINVAL, write_knob("max_table_pages", "1048577"));
	EXPECT_EQ(-ERANGE, write_knob("max_table_pages", "99999999999999999999999"));
	EXPECT_EQ(-EACCES, write_knob("table_pages", "1"));
	EXPECT_EQ(before, read_knob("max_table_pages"));

	/* Knobs and the device are root-only. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (setgid(65534) || setuid(65534))
			_exit(2);
		if (open(DEV, O_RDWR) >= 0 || errno != EACCES)
			_exit(3);
		if (write_knob("max_table_pages", "5") != -EACCES)
			_exit(4);
		if (read_knob("max_table_pages") != -1)
			_exit(5);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
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
	long base = read_knob("table_pages");
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
	EXPECT_EQ(base, read_knob("table_pages"));
}

TEST_HARNESS_MAIN
