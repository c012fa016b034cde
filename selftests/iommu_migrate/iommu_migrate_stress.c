// SPDX-License-Identifier: GPL-2.0
/*
 * iommu_migrate under DMA: four emulated engines write sequence-numbered
 * records (three sequential writers that write each slot once, and a
 * mixed writer-checker on a hot 64 KiB window that checks each record
 * it reads against the last it wrote there) into a 64 MiB buffer while
 * the PME moves every page back and forth between node 0 and node 1
 * (the hot window more often: DMA must stall on every pass); then,
 * from the CPU mapping, no record may be lost,
 * torn or misplaced, no access may have violated the RMT, every page
 * must be on the node of the last move (move_pages() query), and the
 * counters must agree. An rmmod attempted mid-stress must fail and
 * change nothing. Also the evacuation of a PFN range under DMA.
 *
 * IMM_STRESS_SECONDS sets the duration of the stress (default 30).
 * The same stress runs again, shorter, on an eighth of the memory
 * with the engines polling for the release up to the bound of
 * dma_retry_poll_us (the poll path under DMA); again, shorter, with
 * destination allocations failing (fail_page_alloc, on the debug
 * kernel); and a smaller one with slab allocations failing (failslab)
 * in the map and the PME.
 */
#include <dirent.h>
#include <sys/wait.h>
#include <time.h>

#include "kselftest_harness.h"
#include "imm_util.h"

#define ENGINES		4
#define FAIL_PAGE_ALLOC	"/sys/kernel/debug/fail_page_alloc/"

/*
 * 64 MiB, or IMM_STRESS_MB. On a kernel with fault injection (the
 * debug tier) 8 MiB: with KASAN and lockdep under TCG two passes over
 * 16 MiB took 55 s of the tier's 300 s at host load 10, and a larger
 * buffer runs the same paths, page by page, more times.
 */
static unsigned long long stress_bytes(void)
{
	const char *mb = getenv("IMM_STRESS_MB");

	if (mb)
		return strtoull(mb, NULL, 0) * MB;
	return access(FAIL_PAGE_ALLOC, F_OK) ? 64 * MB : 8 * MB;
}

FIXTURE(stress) {
	int dev;
};

FIXTURE_SETUP(stress)
{
	self->dev = imm_open_two_nodes(_metadata);
}

FIXTURE_TEARDOWN(stress)
{
	if (self->dev >= 0)
		close(self->dev);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * The hot window: the end of the buffer after the three equal windows
 * of whole pages, at least 64 KiB, its own engine's.
 */
#define HOT		(64 * 1024ULL)
/* Extra hops of the hot window per pass, an even number. */
#define HOT_HOPS	64

static long engine_start(int dev, unsigned int dom, unsigned int pattern,
			 unsigned long long iova, unsigned long long size,
			 unsigned long long count, unsigned int rate,
			 unsigned int hold_us)
{
	struct iommu_migrate_engine e = {
		.domain = dom, .pattern = pattern, .iova = iova, .size = size,
		.count = count, .rate = rate, .hold_us = hold_us,
	};
	long ret = imm_ioctl(dev, IOMMU_MIGRATE_IOC_ENGINE_START, &e);

	return ret ? ret : e.id;
}

/*
 * The stress itself, for @secs (at least two passes). Three engines
 * write each slot of their window once (count = slots, paced to take
 * about @secs), so that any write lost, torn or misplaced is still
 * there at the end; the fourth hammers the last 64 KiB or so (a write, then
 * a check of a random slot of its own against the exact sequence
 * number it last wrote there, as fast as it can) while
 * every pass also hops that window HOT_HOPS more times, so that DMA
 * and the PME meet on every pass: at least one stall per pass is
 * required. With @failures, destination allocations fail now and then
 * (fail_page_alloc on the PME kthread): aborted page migrations are
 * expected, the records must still be intact, and each page must be
 * where the module says it is.
 */
static void stress(struct __test_metadata *_metadata, int dev,
		   unsigned long long bytes, double secs, bool failures)
{
	const unsigned long long win = (bytes - HOT) / (ENGINES - 1) / PAGE * PAGE;
	const unsigned long long hot_off = (ENGINES - 1) * win;
	const unsigned long long hot_size = bytes - hot_off;
	const unsigned long pages = bytes / PAGE;
	const int hot = ENGINES - 1;
	struct iommu_migrate_engine_stats st[ENGINES];
	struct iommu_migrate_stats s0, s1;
	unsigned long long moved = 0, aborted = 0, stalls = 0, passes = 0;
	long polls0 = read_knob("dma_stall_polls");
	long sleeps0 = read_knob("dma_stall_sleeps");
	long polls, sleeps;
	int dom, buf, eng[ENGINES], to = 0, i, h, rmmod = -1;
	int *status = calloc(pages, sizeof(int));
	double t0;
	unsigned long long last_aborted = 0, off_node = 0;
	unsigned int rate = (win / REC) / secs + 1;
	struct iommu_migrate_page pg;
	struct rec_result r;
	void *p;

	ASSERT_NE(NULL, status);
	dom = imm_domain(dev, IOMMU_MIGRATE_FORMAT_RADIX);
	ASSERT_LT(0, dom);
	buf = imm_buf(dev, bytes, 0);
	ASSERT_LE(0, buf);
	ASSERT_EQ(0, imm_map(dev, buf, dom, 1ULL << 32,
			     IOMMU_MIGRATE_PROT_READ | IOMMU_MIGRATE_PROT_WRITE));
	ASSERT_EQ(0, imm_ioctl(dev, IOMMU_MIGRATE_IOC_STATS, &s0));
	for (i = 0; i < hot; i++) {
		eng[i] = engine_start(dev, dom, IOMMU_MIGRATE_PATTERN_SEQ_WRITE,
				      (1ULL << 32) + i * win, win, win / REC,
				      rate, 0);
		ASSERT_LT(0, eng[i]);
	}
	eng[hot] = engine_start(dev, dom, IOMMU_MIGRATE_PATTERN_MIXED,
				(1ULL << 32) + hot_off, hot_size, 0, 0, 0);
	ASSERT_LT(0, eng[hot]);
	t0 = now();
	while (now() - t0 < secs || passes < 2) {
		struct iommu_migrate_migrate m;

		to = !to;
		ASSERT_EQ(0, imm_migrate(dev, buf, to, 0, bytes, &m));
		moved += m.moved;
		aborted += m.aborted;
		last_aborted = m.aborted;
		EXPECT_EQ(pages, m.moved + m.aborted + m.already);
		/* The hot window hops on, and ends where the pass put it. */
		for (h = 1; h <= HOT_HOPS; h++) {
			ASSERT_EQ(0, imm_migrate(dev, buf, h & 1 ? !to : to,
						 hot_off, hot_size, &m));
			moved += m.moved;
			aborted += m.aborted;
			last_aborted += m.aborted;
			EXPECT_EQ(hot_size / PAGE, m.moved + m.aborted + m.already);
		}
		passes++;
		if (passes == 1) {
			/* Held by this file: rmmod must fail, and harm nothing. */
			rmmod = system("rmmod iommu_migrate 2>/dev/null");
		}
	}
	for (i = 0; i < ENGINES; i++) {
		ASSERT_EQ(0, imm_engine_stop(dev, eng[i], &st[i]));
		stalls += st[i].stalls;
	}
	ASSERT_EQ(0, imm_ioctl(dev, IOMMU_MIGRATE_IOC_STATS, &s1));
	polls = read_knob("dma_stall_polls") - polls0;
	sleeps = read_knob("dma_stall_sleeps") - sleeps0;
	TH_LOG("%.0f s: %llu passes, %llu pages moved, %llu aborted, %llu stalls (wait rounds: %ld ended polling, %ld slept; dma_retry_poll_us %ld)",
	       now() - t0, passes, moved, aborted, stalls, polls, sleeps,
	       read_knob("dma_retry_poll_us"));
	EXPECT_NE(0, rmmod);
	if (!failures)
		EXPECT_EQ(0, aborted);

	p = mmap(NULL, bytes, PROT_READ, MAP_SHARED, buf, 0);
	ASSERT_NE(MAP_FAILED, p);
	if (failures)
		EXPECT_LT(0, aborted);
	for (i = 0; i < ENGINES; i++) {
		unsigned long long base = i == hot ? hot_off : i * win;
		unsigned long long slots = (i == hot ? hot_size : win) / REC;

		TH_LOG("engine %d: %llu writes, %llu checks, %llu stalls, %llu refreshes",
		       eng[i], (unsigned long long)st[i].writes,
		       (unsigned long long)st[i].checks,
		       (unsigned long long)st[i].stalls,
		       (unsigned long long)st[i].refreshes);
		EXPECT_EQ(0, st[i].rmt_violations);
		EXPECT_EQ(0, st[i].faults);
		/* The hot engine's online check: stale (lost), torn, misplaced. */
		EXPECT_EQ(0, st[i].check_errors);
		check_records((char *)p + base, (1ULL << 32) + base, slots,
			      eng[i], st[i].writes, &r);
		if (i == hot) {
			/* It wraps: only the last write of each slot is seen here. */
			EXPECT_LT(slots, st[i].writes);
			EXPECT_LT(passes, st[i].checks);
			EXPECT_EQ(slots, r.ok);
		} else {
			/* Each slot written once, every record checkable. */
			EXPECT_LE(slots / 4, st[i].writes);
			EXPECT_GE(slots, st[i].writes);
			EXPECT_EQ(st[i].writes, r.ok);
		}
		EXPECT_EQ(0, r.lost);
		EXPECT_EQ(0, r.torn);
		EXPECT_EQ(0, r.misplaced);
	}
	/* DMA and the PME met on every pass, on the hot window at least. */
	EXPECT_LE(passes, st[hot].stalls);
	/* Every page where the last pass put it, as move_pages() sees it. */
	ASSERT_EQ(0, query_nodes(p, pages, status));
	for (i = 0; i < (int)pages; i++) {
		ASSERT_EQ(0, imm_page(dev, buf, i, &pg));
		if (status[i] != pg.node)
			break;
		off_node += status[i] != to;
	}
	EXPECT_EQ(pages, i) TH_LOG("page %d: node %d, module says %d", i,
				   status[i], pg.node);
	/* A page is off the last pass's node only if that pass gave it up. */
	EXPECT_GE(last_aborted, off_node);
	munmap(p, bytes);

	/* The counters agree with what the calls and engines reported. */
	EXPECT_EQ(moved, s1.pages_migrated - s0.pages_migrated);
	EXPECT_EQ(moved * PAGE, s1.bytes_migrated - s0.bytes_migrated);
	EXPECT_EQ(stalls, s1.dma_stalls - s0.dma_stalls);
	/* Each stalled access waited at least one round, polled or slept. */
	EXPECT_LE(stalls, polls + sleeps);
	EXPECT_EQ(0, s1.rmt_violations - s0.rmt_violations);
	EXPECT_EQ(aborted, s1.migrations_aborted - s0.migrations_aborted);
	EXPECT_EQ(s1.pages_migrated, read_knob("pages_migrated"));
	EXPECT_EQ(s1.dma_stalls, read_knob("dma_stalls"));
	close(buf);
	free(status);
}

TEST_F_TIMEOUT(stress, dma_while_pages_hop_nodes, 600)
{
	const char *secs = getenv("IMM_STRESS_SECONDS");

	stress(_metadata, self->dev, stress_bytes(), secs ? atof(secs) : 30,
	       false);
}

/*
 * The stress, on an eighth of the memory, for 5 s, with the engines
 * polling for the release for up to dma_retry_poll_us's bound (1000
 * us): the same records intact, no violation, counters in agreement;
 * and the poll path ran (a stall round ended polling).
 */
TEST_F_TIMEOUT(stress, dma_while_pages_hop_nodes_polling, 300)
{
	MV_SAVE_KNOB(saved, SYSFS, "dma_retry_poll_us");
	long polls0 = read_knob("dma_stall_polls");

	ASSERT_EQ(0, write_knob("dma_retry_poll_us", "1000"));
	stress(_metadata, self->dev, stress_bytes() / 8, 5, false);
	EXPECT_LT(polls0, read_knob("dma_stall_polls"));
}

/* Write @val to @path; false if it cannot be. */
static bool put(const char *path, const char *val)
{
	return !mv_write_path(path, val);
}

/* The pid of the PME kthread, or -1. */
static int pme_pid(void)
{
	DIR *d = opendir("/proc");
	char path[300], comm[32];
	struct dirent *e;
	int pid = -1;

	while (d && pid < 0 && (e = readdir(d))) {
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%s/comm", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) && !strcmp(comm, "imm_pme\n"))
			pid = atoi(e->d_name);
		fclose(f);
	}
	if (d)
		closedir(d);
	return pid;
}

/*
 * Fault injection of @dir (a debugfs fault_attr folder) for the tasks
 * that ask for it (make-it-fail), sleeping allocations included, no
 * limit on the count, quiet.
 */
static bool arm_task_faults(const char *dir)
{
	static const char * const set[][2] = {
		{ "verbose", "0" }, { "ignore-gfp-wait", "N" },
		{ "task-filter", "Y" }, { "times", "-1" },
	};
	char path[128];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(set); i++) {
		snprintf(path, sizeof(path), "%s%s", dir, set[i][0]);
		if (!put(path, set[i][1]))
			return false;
	}
	return true;
}

/*
 * The stress, on half the memory, with fail_page_alloc failing 1 in 20
 * of the PME kthread's page allocations, order 0 included (the
 * destinations; a debug kernel has fault injection).
 */
TEST_F_TIMEOUT(stress, dma_with_failing_destinations, 600)
{
	char path[128], mif[64];
	int pid = pme_pid();

	snprintf(path, sizeof(path), "%sprobability", FAIL_PAGE_ALLOC);
	if (access(path, W_OK))
		SKIP(return, "no fault injection (fail_page_alloc)");
	ASSERT_LT(0, pid);
	snprintf(mif, sizeof(mif), "/proc/%d/make-it-fail", pid);
	ASSERT_TRUE(arm_task_faults(FAIL_PAGE_ALLOC));
	ASSERT_TRUE(put(FAIL_PAGE_ALLOC "ignore-gfp-highmem", "N"));
	ASSERT_TRUE(put(FAIL_PAGE_ALLOC "min-order", "0"));
	ASSERT_TRUE(put(path, "5"));
	ASSERT_TRUE(put(mif, "1"));
	stress(_metadata, self->dev, stress_bytes() / 2, 5, true);
	put(mif, "0");
	put(path, "0");
}

/* Evacuate the frames of a buffer's pages while an engine writes them. */
TEST_F_TIMEOUT(stress, evacuate_pfn_range_under_dma, 300)
{
	const unsigned long n = 1024;
	unsigned long long pfns[1024];
	struct iommu_migrate_evacuate ev = { .node = -1 };
	struct iommu_migrate_engine_stats st;
	struct iommu_migrate_page pg;
	struct rec_result r;
	int dom = imm_domain(self->dev, IOMMU_MIGRATE_FORMAT_HASH);
	int buf = imm_buf(self->dev, n * PAGE, 0), eng;
	unsigned long i, inside = 0;

	ASSERT_LE(0, buf);
	ASSERT_EQ(0, imm_map(self->dev, buf, dom, 0x200000,
			     IOMMU_MIGRATE_PROT_READ | IOMMU_MIGRATE_PROT_WRITE));
	eng = imm_engine(self->dev, dom, IOMMU_MIGRATE_PATTERN_SEQ_WRITE,
			 0x200000, n * PAGE, 0, 0);
	ASSERT_LT(0, eng);
	/* The range: from the buffer's n/4-th lowest frame to its 3n/4-th. */
	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, imm_page(self->dev, buf, i, &pg));
		pfns[i] = pg.pfn;
	}
	qsort(pfns, n, sizeof(pfns[0]), cmp_u64);
	ev.start_pfn = pfns[n / 4];
	ev.nr_pages = pfns[3 * n / 4] - pfns[n / 4] + 1;
	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, imm_page(self->dev, buf, i, &pg));
		inside += pg.pfn >= ev.start_pfn && pg.pfn < ev.start_pfn + ev.nr_pages;
	}
	ASSERT_LE(n / 2, inside);
	ASSERT_EQ(0, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_EVACUATE, &ev));
	EXPECT_LE(inside, ev.mapped);
	EXPECT_EQ(ev.mapped, ev.moved);
	EXPECT_EQ(0, ev.failed);
	/* No mapped page lies in the range any more. */
	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, imm_page(self->dev, buf, i, &pg));
		EXPECT_FALSE(pg.pfn >= ev.start_pfn &&
			     pg.pfn < ev.start_pfn + ev.nr_pages) TH_LOG("page %lu", i);
	}
	ev.mapped = ev.moved = ev.failed = 0;
	ASSERT_EQ(0, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_EVACUATE, &ev));
	EXPECT_EQ(0, ev.mapped);
	ASSERT_EQ(0, stop_and_check(self->dev, eng, buf, n * PAGE, 0x200000,
				    &st, &r));
	EXPECT_EQ(0, st.rmt_violations);
	EXPECT_EQ(0, st.faults);
	EXPECT_EQ(0, r.lost + r.torn + r.misplaced);
	close(buf);
}

#define FAILSLAB	"/sys/kernel/debug/failslab/"

/*
 * Set this task's make-it-fail through @fd, opened beforehand: opening
 * the file with failslab armed could itself fail.
 */
static bool make_it_fail(int fd, bool on)
{
	return pwrite(fd, on ? "1" : "0", 1, 0) == 1;
}

/*
 * Slab allocations failing (failslab, task-filtered, on the debug
 * kernel): first 1 in 20 of those of IOMMU_MIGRATE_IOC_MAP in this task
 * (the RMT entries and their xarray slots of imm_buf_map(), the I/O
 * page table), each failed map leaving nothing behind; then 1 in
 * 10 of the PME kthread's (the new RMT entry and its xarray slot in
 * pme_prepare(), the kept copy's slot in pme_retire_old(), the copy
 * table) while two engines write and the PME hops the buffer between
 * the nodes keeping copies. Afterwards no record lost, torn, misplaced
 * or stale, no RMT violation, the failed moves counted in
 * alloc_failures and migrations_aborted, and, once the buffer is
 * closed, copies_kept back where it was (kmemleak, scanned by the
 * tier, finds what else leaked).
 */
TEST_F_TIMEOUT(stress, dma_with_failing_slab, 300)
{
	const unsigned long long bytes = 256 * PAGE, half = bytes / 2;
	struct iommu_migrate_stats s0, s1;
	struct iommu_migrate_engine_stats st[2];
	unsigned long long moved = 0, aborted = 0;
	int dom, buf, small, eng[2], pme, self_fd, i, tries, map_fails = 0;
	long kept0 = read_knob("copies_kept");
	char mif[64];
	struct rec_result r;
	void *p;

	if (access(FAILSLAB "probability", W_OK))
		SKIP(return, "no fault injection (failslab)");
	pme = pme_pid();
	ASSERT_LT(0, pme);
	snprintf(mif, sizeof(mif), "/proc/%d/make-it-fail", pme);
	ASSERT_TRUE(arm_task_faults(FAILSLAB));
	ASSERT_TRUE(put(FAILSLAB "interval", "1"));
	ASSERT_EQ(0, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_STATS, &s0));
	dom = imm_domain(self->dev, IOMMU_MIGRATE_FORMAT_RADIX);
	ASSERT_LT(0, dom);
	buf = imm_buf(self->dev, bytes, 0);
	ASSERT_LE(0, buf);

	/*
	 * Maps of a small buffer, 1 in 20 of their allocations failing,
	 * until five failed; each failure must leave nothing behind, so
	 * the buffer maps cleanly afterwards (a leftover RMT entry or leaf
	 * would make that map fail with EBUSY or EEXIST).
	 */
	small = imm_buf(self->dev, 8 * PAGE, 0);
	ASSERT_LE(0, small);
	self_fd = open("/proc/self/make-it-fail", O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, self_fd);
	ASSERT_TRUE(put(FAILSLAB "probability", "5"));
	for (tries = 0; tries < 500 && map_fails < 5; tries++) {
		long ret;

		ASSERT_TRUE(make_it_fail(self_fd, true));
		ret = imm_map(self->dev, small, dom, 1ULL << 31,
			      IOMMU_MIGRATE_PROT_READ | IOMMU_MIGRATE_PROT_WRITE);
		ASSERT_TRUE(make_it_fail(self_fd, false));
		if (!ret) {
			ASSERT_EQ(0, imm_unmap(self->dev, small, dom));
			continue;
		}
		ASSERT_EQ(-ENOMEM, ret);
		map_fails++;
	}
	close(self_fd);
	ASSERT_TRUE(put(FAILSLAB "probability", "0"));
	TH_LOG("%d of %d maps failed", map_fails, tries);
	EXPECT_EQ(5, map_fails);
	ASSERT_EQ(0, imm_map(self->dev, small, dom, 1ULL << 31,
			     IOMMU_MIGRATE_PROT_READ | IOMMU_MIGRATE_PROT_WRITE));
	close(small);
	ASSERT_EQ(0, imm_map(self->dev, buf, dom, 1ULL << 32,
			     IOMMU_MIGRATE_PROT_READ | IOMMU_MIGRATE_PROT_WRITE));

	/* One engine writes each slot of its half once, one hammers the other. */
	eng[0] = engine_start(self->dev, dom, IOMMU_MIGRATE_PATTERN_SEQ_WRITE,
			      1ULL << 32, half, half / REC, half / REC / 4 + 1, 0);
	ASSERT_LT(0, eng[0]);
	eng[1] = engine_start(self->dev, dom, IOMMU_MIGRATE_PATTERN_MIXED,
			      (1ULL << 32) + half, half, 0, 0, 0);
	ASSERT_LT(0, eng[1]);
	ASSERT_TRUE(put(FAILSLAB "probability", "10"));
	ASSERT_TRUE(put(mif, "1"));
	for (i = 0; i < 20; i++) {
		struct iommu_migrate_migrate m = {
			.buf_fd = buf, .node = !(i & 1), .size = bytes,
			.flags = IOMMU_MIGRATE_MIGRATE_KEEP_COPY,
		};

		ASSERT_EQ(0, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_MIGRATE, &m));
		EXPECT_EQ(bytes / PAGE, m.moved + m.aborted + m.already);
		moved += m.moved;
		aborted += m.aborted;
	}
	put(mif, "0");
	put(FAILSLAB "probability", "0");
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, imm_engine_stop(self->dev, eng[i], &st[i]));
	ASSERT_EQ(0, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_STATS, &s1));
	TH_LOG("%llu pages moved, %llu aborted, %lld allocations failed, %lld copies kept",
	       moved, aborted, (long long)(s1.alloc_failures - s0.alloc_failures),
	       (long long)read_knob("copies_kept"));
	EXPECT_LT(0, moved);
	EXPECT_LT(0, aborted);
	EXPECT_EQ(aborted, s1.migrations_aborted - s0.migrations_aborted);
	/* Every abort here is a failed allocation (no drain is slow enough). */
	EXPECT_EQ(aborted, s1.alloc_failures - s0.alloc_failures);
	EXPECT_EQ(moved, s1.pages_migrated - s0.pages_migrated);

	p = mmap(NULL, bytes, PROT_READ, MAP_SHARED, buf, 0);
	ASSERT_NE(MAP_FAILED, p);
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(0, st[i].rmt_violations);
		EXPECT_EQ(0, st[i].faults);
		EXPECT_EQ(0, st[i].check_errors);
		check_records((char *)p + i * half, (1ULL << 32) + i * half,
			      half / REC, eng[i], st[i].writes, &r);
		EXPECT_EQ(0, r.lost);
		EXPECT_EQ(0, r.torn);
		EXPECT_EQ(0, r.misplaced);
		if (!i)
			EXPECT_EQ(st[i].writes, r.ok);
	}
	munmap(p, bytes);
	/* The unmap frees the buffer's kept copies; the close, the buffer. */
	ASSERT_EQ(0, imm_unmap(self->dev, buf, dom));
	EXPECT_EQ(kept0, read_knob("copies_kept"));
	close(buf);
}

TEST_HARNESS_MAIN
