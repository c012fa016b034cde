// SPDX-License-Identifier: GPL-2.0
/*
 * maint_cmd under allocation failures where no test task allocates: the
 * event drain (a workqueue), the indication it turns each record into,
 * and the poison-list report. failslab's stack filter (debug kernel)
 * fails the allocations made under one function of the module, found
 * in /proc/kallsyms; "times" counts the failures injected. Each failure
 * must be counted or retried, no record may be lost, and the tier's
 * kmemleak and kernel-log checks see no leak and no splat.
 */
#include <stdio.h>
#include "kselftest_harness.h"
#include "memvirt_ksft.h"
#include "mc_util.h"

#define FS "/sys/kernel/debug/failslab/"

FIXTURE(fault) {
	char dev[16];
};

/* failslab back to its defaults: nothing fails. */
static void fs_reset(void)
{
	mc_write_file(FS "probability", "0");
	mc_write_file(FS "times", "1");
	mc_write_file(FS "require-start", "0");
	mc_write_file(FS "require-end", "0xffffffffffffffff");
	mc_write_file(FS "ignore-gfp-wait", "Y");
	mc_write_file(FS "verbose", "2");
}

FIXTURE_SETUP(fault)
{
	self->dev[0] = 0;
	if (access(MC_DBG "create", W_OK) && !getenv("MEMVIRT_REQUIRE"))
		SKIP(return, "maint_cmd not loaded");
	if (access(FS "require-start", W_OK))
		SKIP(return, "no fault injection with a stack filter in this kernel");
	ASSERT_EQ(0, mc_create("nid=1", self->dev, sizeof(self->dev)));
	/* No stack dump per injected failure: the log must stay clean. */
	ASSERT_EQ(0, mc_write_file(FS "verbose", "0"));
	ASSERT_EQ(0, mc_write_file(FS "ignore-gfp-wait", "N"));
	ASSERT_EQ(0, mc_write_file(FS "task-filter", "N"));
	ASSERT_EQ(0, mc_write_file(FS "interval", "1"));
}

FIXTURE_TEARDOWN_PARENT(fault)
{
	fs_reset();
	if (self->dev[0])
		mc_destroy(self->dev);
}

/* [*start, *end) of maint_cmd's function @name, from /proc/kallsyms. */
static int sym_range(const char *name, unsigned long long *start,
		     unsigned long long *end)
{
	char line[512], sym[256], mod[64], t;
	unsigned long long a;
	FILE *f = fopen("/proc/kallsyms", "r");

	if (!f)
		return -errno;
	*start = 0;
	*end = ~0ULL;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx %c %255s [%63[^]]]", &a, &t, sym, mod) == 4 &&
		    !strcmp(mod, "maint_cmd") && !strcmp(sym, name))
			*start = a;
	rewind(f);
	/* It ends where the module's next symbol begins. */
	while (*start && fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx %c %255s [%63[^]]]", &a, &t, sym, mod) == 4 &&
		    !strcmp(mod, "maint_cmd") && a > *start && a < *end)
			*end = a;
	fclose(f);
	return *start && *end != ~0ULL ? 0 : -ENOENT;
}

/* The next @times slab allocations made under @fn fail. */
static int fail_under(const char *fn, int times)
{
	unsigned long long start, end;
	char v[32];
	int ret = sym_range(fn, &start, &end);

	if (ret)
		return ret;
	snprintf(v, sizeof(v), "%#llx", start);
	ret = mc_write_file(FS "require-start", v);
	snprintf(v, sizeof(v), "%#llx", end);
	ret = ret ?: mc_write_file(FS "require-end", v);
	snprintf(v, sizeof(v), "%d", times);
	ret = ret ?: mc_write_file(FS "times", v);
	return ret ?: mc_write_file(FS "probability", "100");
}

/* Failures still to inject: the ones asked for minus those done. */
static long fail_left(void)
{
	char v[32];

	return mc_read_file(FS "times", v, sizeof(v)) ? -1 : atol(v);
}

/*
 * The indication cannot allocate its action (nor remember the address
 * as reported): the record still reaches the stream, with -ENOMEM,
 * counted as failed; nothing is done to the page. Nothing is left
 * behind: the next record on the page is handled in full.
 */
TEST_F_TIMEOUT(fault, indication_without_memory_is_reported_and_counted, 120)
{
	struct maint_cmd_event e;
	long long dpa;
	uint8_t *buf;
	uint64_t pfn;
	char cmd[96];
	int fd;

	buf = mc_dev_page(self->dev, 99, &pfn, &dpa);
	ASSERT_NE(NULL, buf);
	fd = mc_open_events(self->dev, O_RDONLY);
	ASSERT_LE(0, fd);
	snprintf(cmd, sizeof(cmd), "dram %#llx 1 maint", dpa);

	ASSERT_EQ(0, fail_under("mc_indication", 1000));
	ASSERT_EQ(0, mc_dbg_write(self->dev, "inject_event", cmd));
	ASSERT_EQ(0, mc_wait_event(fd, &e, MAINT_CMD_EV_DRAM, dpa, 20000));
	ASSERT_EQ(0, mc_write_file(FS "probability", "0"));
	EXPECT_GT(1000, fail_left());
	EXPECT_EQ(-ENOMEM, e.result);
	EXPECT_EQ(0, e.actions);
	EXPECT_EQ(1, mc_dev_read(self->dev, "indications"));
	EXPECT_EQ(1, mc_dev_read(self->dev, "failed"));
	EXPECT_EQ(0, mc_dev_read(self->dev, "offlined"));
	EXPECT_EQ(0, mc_hwpoisoned(pfn));

	ASSERT_EQ(0, mc_dbg_write(self->dev, "inject_event", cmd));
	ASSERT_EQ(0, mc_wait_event(fd, &e, MAINT_CMD_EV_DRAM, dpa, 20000));
	EXPECT_EQ(0, e.result);
	EXPECT_EQ(MAINT_CMD_ACT_SOFT_OFFLINE | MAINT_CMD_ACT_SOFT_PPR |
		  MAINT_CMD_ACT_UNPOISON, e.actions);
	EXPECT_EQ(1, mc_dev_read(self->dev, "failed"));
	EXPECT_EQ(0, mc_hwpoisoned(pfn));
	EXPECT_TRUE(mc_check(buf, 99));
	close(fd);
	munmap(buf, MC_PAGE);
}

/*
 * The drain cannot allocate its buffers, on every interrupt: the records
 * stay in the device. Memory is back, no interrupt comes: the drain must
 * try again on its own, and act on each record once.
 */
TEST_F_TIMEOUT(fault, drain_without_memory_is_retried, 120)
{
	enum { N = 3 };
	struct maint_cmd_event e;
	int fd, i, got = 0;
	char cmd[96];

	fd = mc_open_events(self->dev, O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fail_under("mc_event_work", 100000));
	for (i = 0; i < N; i++) {
		/* Logged only: nothing to repair. */
		snprintf(cmd, sizeof(cmd), "gm %#x 0", (i + 1) * 4096);
		ASSERT_EQ(0, mc_dbg_write(self->dev, "inject_event", cmd));
	}
	/* The drains of the interrupts have failed. */
	usleep(200 * 1000);
	EXPECT_EQ(0, mc_dev_read(self->dev, "indications"));
	ASSERT_EQ(0, mc_write_file(FS "probability", "0"));
	EXPECT_GT(100000, fail_left());
	while (got < N && !mc_next_event(fd, &e, 30000)) {
		EXPECT_EQ((unsigned int)MAINT_CMD_EV_GENERAL_MEDIA, e.kind);
		EXPECT_EQ(0, e.result);
		EXPECT_EQ(0, e.lost);
		got++;
	}
	EXPECT_EQ(N, got);
	EXPECT_EQ(-ETIMEDOUT, mc_next_event(fd, &e, 300));
	EXPECT_EQ(N, mc_dev_read(self->dev, "indications"));
	EXPECT_EQ(0, mc_dev_read(self->dev, "failed"));
	close(fd);
}

/*
 * trigger_poison_list cannot allocate its records: the write fails with
 * ENOMEM and reports nothing; the list is still the device's, and the
 * next trigger reports every entry.
 */
TEST_F_TIMEOUT(fault, poison_report_without_memory_fails_cleanly, 120)
{
	static const long long dpa[] = { 0x1000, 0x2040, 0x30c0 };
	struct maint_cmd_event e;
	char v[32];
	int fd, i, got = 0;

	for (i = 0; i < 3; i++) {
		snprintf(v, sizeof(v), "%#llx", dpa[i]);
		ASSERT_EQ(0, mc_dbg_write(self->dev, "inject_poison", v));
	}
	fd = mc_open_events(self->dev, O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fail_under("mc_report_poison", 1));
	EXPECT_EQ(-ENOMEM, mc_dev_write(self->dev, "trigger_poison_list", "1"));
	EXPECT_EQ(0, fail_left());
	ASSERT_EQ(0, mc_write_file(FS "probability", "0"));
	EXPECT_EQ(-ETIMEDOUT, mc_next_event(fd, &e, 300));

	EXPECT_EQ(0, mc_dev_write(self->dev, "trigger_poison_list", "1"));
	while (got < 3 && !mc_next_event(fd, &e, 30000)) {
		EXPECT_EQ((unsigned int)MAINT_CMD_EV_POISON, e.kind);
		EXPECT_EQ(dpa[got], e.dpa);
		got++;
	}
	EXPECT_EQ(3, got);
	close(fd);
}

TEST_HARNESS_MAIN
