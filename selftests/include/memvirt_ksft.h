/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the memvirt kselftests, benchmarks and demos: a
 * module's sysfs knobs (read, write, save and restore), and the check
 * that its device node and knobs are root-only; a KVM statistic; a
 * kernel thread's pid.
 *
 * Every helper takes the module's sysfs directory, with its trailing
 * slash ("/sys/kernel/mm/<module>/"); a module's tests wrap them in
 * one line each around their own directory.
 */
#ifndef _MEMVIRT_KSFT_H
#define _MEMVIRT_KSFT_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/kvm.h>

/* The file @name under @dir; false if it does not fit in @path. */
static inline bool mv_knob_path(char *path, size_t size, const char *dir,
				const char *name)
{
	int n = snprintf(path, size, "%s%s", dir, name);

	return n >= 0 && (size_t)n < size;
}

/* The knob's value, or -1 when it cannot be opened or read. */
static inline long mv_read_knob(const char *dir, const char *name)
{
	char path[256], buf[64] = "";
	ssize_t n;
	int fd;

	if (!mv_knob_path(path, sizeof(path), dir, name))
		return -1;
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 ? strtol(buf, NULL, 0) : -1;
}

/* 0 or -errno of the open or the write. */
static inline int mv_write_path(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

static inline int mv_write_knob(const char *dir, const char *name,
				const char *val)
{
	char path[256];

	if (!mv_knob_path(path, sizeof(path), dir, name))
		return -ENAMETOOLONG;
	return mv_write_path(path, val);
}

static inline int mv_write_knob_num(const char *dir, const char *name, long v)
{
	char val[32];

	snprintf(val, sizeof(val), "%ld", v);
	return mv_write_knob(dir, name, val);
}

/*
 * Knobs a test changes, put back as they were (in reverse order) when
 * it ends. Start from { .dir = ... }; a zeroed one restores nothing.
 */
#define MV_KNOBS_MAX	8

struct mv_knobs {
	const char *dir;
	const char *name[MV_KNOBS_MAX];
	long val[MV_KNOBS_MAX];
	int n;
};

static inline void mv_knobs_save(struct mv_knobs *k, const char *name)
{
	if (k->n >= MV_KNOBS_MAX) {
		fprintf(stderr, "%s: more than %d knobs\n", __func__,
			MV_KNOBS_MAX);
		abort();
	}
	k->name[k->n] = name;
	k->val[k->n++] = mv_read_knob(k->dir, name);
}

static inline void mv_knobs_restore(struct mv_knobs *k)
{
	while (k->n > 0) {
		k->n--;
		mv_write_knob_num(k->dir, k->name[k->n], k->val[k->n]);
	}
}

/*
 * Declares @var holding knob @knob of directory @sysfs, which is put
 * back when @var goes out of scope; var.val[0] is the value read (-1
 * when the knob could not be read). A failed ASSERT_*() of
 * kselftest_harness.h leaves the test with longjmp(), which skips the
 * cleanup: harness tests keep their struct mv_knobs in the fixture and
 * restore it in FIXTURE_TEARDOWN_PARENT() instead.
 */
#define MV_SAVE_KNOB(var, sysfs, knob)					\
	struct mv_knobs var __attribute__((cleanup(mv_knobs_restore))) = \
		{ .dir = (sysfs) };					\
	mv_knobs_save(&var, knob)

/*
 * Forks a child that drops root for nobody (65534) and checks that
 * @dev does not open (EACCES) and that every one of the @n knobs of
 * @dir refuses a write of @val (-EACCES) and a read. The child exits
 * 0 when all of that held, 2 when it could not drop root, 3 for the
 * device, 4 for a knob's write, 5 for a knob's read. Returns the
 * child's pid, or -1 when the fork failed.
 */
static inline pid_t mv_root_only_fork(const char *dev, const char *dir,
				      const char * const *knobs,
				      unsigned int n, const char *val)
{
	pid_t pid = fork();
	unsigned int k;

	if (pid)
		return pid;
	if (setgid(65534) || setuid(65534))
		_exit(2);
	if (open(dev, O_RDWR) >= 0 || errno != EACCES)
		_exit(3);
	for (k = 0; k < n; k++) {
		if (mv_write_knob(dir, knobs[k], val) != -EACCES)
			_exit(4);
		if (mv_read_knob(dir, knobs[k]) != -1)
			_exit(5);
	}
	_exit(0);
}

/*
 * For kselftest_harness.h tests: @dev and the @n knobs of @dir are
 * root-only (see mv_root_only_fork()), and the child says so.
 */
#define EXPECT_ROOT_ONLY(dev, dir, knobs, n, val) do {			\
	pid_t __mv_pid = mv_root_only_fork(dev, dir, knobs, n, val);	\
	int __mv_status;						\
									\
	ASSERT_LE(0, __mv_pid);						\
	ASSERT_EQ(__mv_pid, waitpid(__mv_pid, &__mv_status, 0));	\
	EXPECT_TRUE(WIFEXITED(__mv_status));				\
	EXPECT_EQ(0, WEXITSTATUS(__mv_status));				\
} while (0)

/* Statistic @name from a KVM binary stats fd (KVM_GET_STATS_FD), or -1. */
static inline long mv_kvm_stat(int fd, const char *name)
{
	struct kvm_stats_header h;
	long val = -1;
	size_t dsz;
	char *d;
	int i;

	if (pread(fd, &h, sizeof(h), 0) != sizeof(h))
		return -1;
	dsz = sizeof(struct kvm_stats_desc) + h.name_size;
	d = calloc(h.num_desc, dsz);
	if (!d)
		return -1;
	if (pread(fd, d, dsz * h.num_desc, h.desc_offset) == (ssize_t)(dsz * h.num_desc)) {
		for (i = 0; i < (int)h.num_desc; i++) {
			struct kvm_stats_desc *sd = (void *)(d + i * dsz);
			__u64 v;

			if (strcmp(sd->name, name))
				continue;
			if (pread(fd, &v, sizeof(v), h.data_offset + sd->offset) == sizeof(v))
				val = v;
			break;
		}
	}
	free(d);
	return val;
}

/* The pid of the (kernel) thread whose comm is @comm, or -1. */
static inline int mv_kthread_pid(const char *comm)
{
	char path[300], name[64];
	DIR *dir = opendir("/proc");
	struct dirent *d;
	int pid = -1;

	while (dir && pid < 0 && (d = readdir(dir))) {
		FILE *f;

		if (d->d_name[0] < '1' || d->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", d->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(name, sizeof(name), f)) {
			name[strcspn(name, "\n")] = 0;
			if (!strcmp(name, comm))
				pid = atoi(d->d_name);
		}
		fclose(f);
	}
	if (dir)
		closedir(dir);
	return pid;
}

#endif /* _MEMVIRT_KSFT_H */
