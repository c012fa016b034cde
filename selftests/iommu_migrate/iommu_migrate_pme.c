// SPDX-License-Identifier: GPL-2.0
/*
 * The PME's edges, each under DMA with sequence-numbered records:
 *  - two evacuations of one range, queued together: each page is
 *    counted moved by exactly one of them;
 *  - a fatal signal to the task that asked for a migration cancels the
 *    batches not yet started; the pages moved so far are where the
 *    module says, the rest stayed, nothing was aborted or lost, and the
 *    PME serves the next request; any signal does with
 *    IOMMU_MIGRATE_MIGRATE_INTERRUPTIBLE, and another one does not
 *    without it;
 *  - a page whose device access does not drain within
 *    max_drain_wait_ms is given up: the migration aborts, the device
 *    goes on with the old page, and a later migration moves it;
 *  - the accessed/dirty bits of the I/O PTEs say which pages devices
 *    read and wrote, survive moves, and clear;
 *  - a device write between a page's pre-copy and its mark is not
 *    lost: the window copies the page again;
 *  - a move that refreshed a kept copy with its pre-copy and then
 *    aborts drops that copy;
 *  - one access that waits through many rounds is one stall;
 *  - a device that meets a page migrating polls for the release
 *    (dma_retry_poll_us): it writes nothing while the window is held
 *    open, no poll round ends before the release, every round ends at
 *    it, and its records are intact on the new page; with a short
 *    poll it falls back to sleeping, with the same guarantees;
 *  - a held access does not hold up a grace period;
 *  - an access through a translation whose invalidation was skipped
 *    (ptsel's fault injection) is a counted RMT violation while other
 *    pages move;
 *  - a dropped kept copy's frame gets no new owner while a device that
 *    translated to it before the move has not checked it;
 *  - an emulated engine runs as SCHED_IDLE (a device's DMA takes no
 *    CPU from the PME) and still makes progress while every CPU is
 *    busy with other work;
 *  - a request in progress does not make the freezer stage of a
 *    suspend fail, and completes after the thaw.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include "kselftest_harness.h"
#include "imm_util.h"

FIXTURE(pme) {
	int dev, dom;
	struct mv_knobs knobs, hooks;
	struct imm_pm pm;
};

FIXTURE_SETUP(pme)
{
	self->knobs = (struct mv_knobs){ .dir = SYSFS };
	self->hooks = (struct mv_knobs){ .dir = DEBUGFS };
	self->dev = imm_open_two_nodes(_metadata);
	if (self->dev < 0)
		return;
	self->dom = imm_domain(self->dev, IOMMU_MIGRATE_FORMAT_RADIX);
	ASSERT_LT(0, self->dom);
	mv_knobs_save(&self->hooks, "precopy_delay_ms");
}

FIXTURE_TEARDOWN_PARENT(pme)
{
	imm_pm_restore(&self->pm);
	mv_knobs_restore(&self->hooks);
	mv_knobs_restore(&self->knobs);
	if (self->dev >= 0)
		close(self->dev);
}

/* A buffer of @pages on @node, mapped at @iova. */
static int mapped_buf(struct __test_metadata *_metadata, int dev, int dom,
		      unsigned long pages, int node, unsigned long long iova)
{
	int buf = imm_buf(dev, pages * PAGE, node);

	ASSERT_LE(0, buf);
	ASSERT_EQ(0, imm_map(dev, buf, dom, iova,
			     IOMMU_MIGRATE_PROT_READ | IOMMU_MIGRATE_PROT_WRITE));
	return buf;
}

/* Pages of @buf on @node. */
static unsigned long on_node(struct __test_metadata *_metadata, int dev,
			     int buf, unsigned long pages, int node)
{
	struct iommu_migrate_page pg;
	unsigned long i, n = 0;

	for (i = 0; i < pages; i++) {
		EXPECT_EQ(0, imm_page(dev, buf, i, &pg));
		n += pg.node == node;
	}
	return n;
}

static void expect_intact(struct __test_metadata *_metadata, int dev, int eng,
			  int buf, unsigned long pages, unsigned long long iova)
{
	struct iommu_migrate_engine_stats st;
	struct rec_result r;

	ASSERT_EQ(0, stop_and_check(dev, eng, buf, pages * PAGE, iova, &st, &r));
	EXPECT_LT(0, st.writes);
	EXPECT_EQ(0, st.rmt_violations);
	EXPECT_EQ(0, st.faults);
	EXPECT_EQ(0, r.lost);
	EXPECT_EQ(0, r.torn);
	EXPECT_EQ(0, r.misplaced);
}

struct ioc {
	int dev;
	unsigned long cmd;
	void *arg;
	long ret;
};

static void *run_ioctl(void *arg)
{
	struct ioc *c = arg;

	c->ret = imm_ioctl(c->dev, c->cmd, c->arg);
	return NULL;
}

/*
 * A long migration keeps the PME busy while two evacuations of the
 * same range queue behind it; both collect the range's pages before
 * either runs. The second finds them gone: it moved none of them.
 */
TEST_F_TIMEOUT(pme, concurrent_evacuations_count_each_page_once, 240)
{
	enum { BIG = 2048, N = 64 };
	struct iommu_migrate_evacuate ev[2] = { { .node = -1 }, { .node = -1 } };
	struct iommu_migrate_migrate m = { .node = 1, .size = BIG * PAGE };
	unsigned long long pfns[N];
	struct iommu_migrate_page pg;
	struct ioc c[3];
	pthread_t t[3];
	long migrated0;
	int big, small, eng, i, k;

	big = mapped_buf(_metadata, self->dev, self->dom, BIG, 0, 1ULL << 32);
	small = mapped_buf(_metadata, self->dev, self->dom, N, 0, 1ULL << 36);
	eng = imm_engine(self->dev, self->dom, IOMMU_MIGRATE_PATTERN_SEQ_WRITE,
			 1ULL << 36, N * PAGE, 0, 0);
	ASSERT_LT(0, eng);
	for (i = 0; i < N; i++) {
		ASSERT_EQ(0, imm_page(self->dev, small, i, &pg));
		pfns[i] = pg.pfn;
	}
	qsort(pfns, N, sizeof(pfns[0]), cmp_u64);
	for (k = 0; k < 2; k++) {
		ev[k].start_pfn = pfns[0];
		ev[k].nr_pages = pfns[N - 1] - pfns[0] + 1;
	}
	m.buf_fd = big;
	migrated0 = read_knob("pages_migrated");
	c[0] = (struct ioc){ self->dev, IOMMU_MIGRATE_IOC_MIGRATE, &m };
	ASSERT_EQ(0, pthread_create(&t[0], NULL, run_ioctl, &c[0]));
	/* The PME is on the long one. */
	for (i = 0; i < 3000 && read_knob("pages_migrated") == migrated0; i++)
		usleep(1000);
	for (k = 0; k < 2; k++) {
		c[k + 1] = (struct ioc){ self->dev, IOMMU_MIGRATE_IOC_EVACUATE, &ev[k] };
		ASSERT_EQ(0, pthread_create(&t[k + 1], NULL, run_ioctl, &c[k + 1]));
	}
	for (k = 0; k < 3; k++) {
		pthread_join(t[k], NULL);
		EXPECT_EQ(0, c[k].ret);
	}
	EXPECT_EQ(BIG, m.moved);
	TH_LOG("evacuations: mapped %llu/%llu, moved %llu/%llu",
	       ev[0].mapped, ev[1].mapped, ev[0].moved, ev[1].moved);
	/* Each of the small buffer's pages moved once, by one of them. */
	EXPECT_EQ(N, ev[0].moved + ev[1].moved);
	for (k = 0; k < 2; k++) {
		EXPECT_EQ(0, ev[k].failed);
		EXPECT_LE(ev[k].moved, ev[k].mapped);
	}
	for (i = 0; i < N; i++) {
		ASSERT_EQ(0, imm_page(self->dev, small, i, &pg));
		EXPECT_FALSE(pg.pfn >= pfns[0] && pg.pfn <= pfns[N - 1]) TH_LOG("page %d", i);
	}
	expect_intact(_metadata, self->dev, eng, small, N, 1ULL << 36);
	close(small);
	close(big);
}

/*
 * A child asks for a long migration with the parent's files and is
 * killed once the PME has started on it: the request stops between
 * batches. No page is half-moved, none aborted, every record intact,
 * and the next request moves exactly the pages that stayed.
 */
TEST_F_TIMEOUT(pme, fatal_signal_cancels_the_rest, 240)
{
	enum { PAGES = 2048 };
	struct iommu_migrate_stats s0, s1;
	struct iommu_migrate_migrate m;
	unsigned long moved, there;
	long migrated0;
	int buf, eng, status, i;
	pid_t pid;

	buf = mapped_buf(_metadata, self->dev, self->dom, PAGES, 0, 1ULL << 32);
	eng = imm_engine(self->dev, self->dom, IOMMU_MIGRATE_PATTERN_SEQ_WRITE,
			 1ULL << 32, PAGES * PAGE, 0, 0);
	ASSERT_LT(0, eng);
	ASSERT_EQ(0, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_STATS, &s0));
	migrated0 = read_knob("pages_migrated");
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		imm_migrate(self->dev, buf, 1, 0, PAGES * PAGE, &m);
		_exit(0);
	}
	for (i = 0; i < 3000 && read_knob("pages_migrated") == migrated0; i++)
		usleep(1000);
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	ASSERT_EQ(0, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_STATS, &s1));
	moved = s1.pages_migrated - s0.pages_migrated;
	TH_LOG("%lu of %d pages moved before the signal took effect", moved, PAGES);
	EXPECT_LT(0, moved);
	EXPECT_GT(PAGES, moved);
	EXPECT_EQ(0, s1.migrations_aborted - s0.migrations_aborted);
	there = on_node(_metadata, self->dev, buf, PAGES, 1);
	EXPECT_EQ(moved, there);
	/* The PME is free, and only the rest moves now. */
	ASSERT_EQ(0, imm_migrate(self->dev, buf, 1, 0, PAGES * PAGE, &m));
	EXPECT_EQ(PAGES - moved, m.moved);
	EXPECT_EQ(moved, m.already);
	EXPECT_EQ(0, m.aborted);
	EXPECT_EQ(PAGES, on_node(_metadata, self->dev, buf, PAGES, 1));
	expect_intact(_metadata, self->dev, eng, buf, PAGES, 1ULL << 32);
	close(buf);
}

/*
 * A slow device holds each access to its one page for 50 ms, and the
 * debugfs hold_access hook keeps its first one in flight for the whole
 * migration; the PME waits 1 ms for the drain, gives up and aborts: the
 * page stays on its frame in normal state, the device goes on writing
 * to it. With a wait longer than one access the next migration moves it.
 */
TEST_F_TIMEOUT(pme, drain_timeout_aborts_and_dma_goes_on, 120)
{
	struct iommu_migrate_engine e = {
		.domain = self->dom, .pattern = IOMMU_MIGRATE_PATTERN_SEQ_WRITE,
		.iova = 1ULL << 32, .size = PAGE, .hold_us = 50000,
	};
	struct iommu_migrate_engine_stats st0, st1;
	struct iommu_migrate_stats s0, s1;
	struct iommu_migrate_migrate m;
	struct iommu_migrate_page pg0, pg;
	int buf, i;

	mv_knobs_save(&self->knobs, "max_drain_wait_ms");
	buf = mapped_buf(_metadata, self->dev, self->dom, 1, 0, 1ULL << 32);
	ASSERT_EQ(0, imm_page(self->dev, buf, 0, &pg0));
	ASSERT_EQ(0, write_knob("max_drain_wait_ms", "1"));
	ASSERT_EQ(0, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_STATS, &s0));
	/*
	 * The device's first access stays in flight on the page until
	 * released: the gaps between accesses, however long a loaded
	 * kernel makes them, cannot let the drain succeed.
	 */
	ASSERT_EQ(0, mv_write_knob(DEBUGFS, "hold_access", "1"));
	ASSERT_EQ(0, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_ENGINE_START, &e));
	for (i = 0; i < 6000 && mv_read_knob(DEBUGFS, "hold_access") != 2; i++)
		usleep(10000);
	ASSERT_EQ(2, mv_read_knob(DEBUGFS, "hold_access"));
	ASSERT_EQ(0, imm_migrate(self->dev, buf, 1, 0, PAGE, &m));
	/* Held through the whole migration, then released. */
	EXPECT_EQ(2, mv_read_knob(DEBUGFS, "hold_access"));
	ASSERT_EQ(0, mv_write_knob(DEBUGFS, "hold_access", "0"));
	EXPECT_EQ(0, m.moved);
	EXPECT_EQ(1, m.aborted);
	ASSERT_EQ(0, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_STATS, &s1));
	EXPECT_EQ(1, s1.drain_timeouts - s0.drain_timeouts);
	EXPECT_EQ(1, s1.migrations_aborted - s0.migrations_aborted);
	EXPECT_EQ(0, s1.pages_migrated - s0.pages_migrated);
	ASSERT_EQ(0, imm_page(self->dev, buf, 0, &pg));
	EXPECT_EQ(pg0.pfn, pg.pfn);
	EXPECT_EQ(0, pg.node);
	EXPECT_EQ(0, pg.state);
	/* The device goes on with the old page. */
	memset(&st0, 0, sizeof(st0));
	st0.id = e.id;
	ASSERT_EQ(0, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_ENGINE_STATS, &st0));
	usleep(300000);
	memset(&st1, 0, sizeof(st1));
	st1.id = e.id;
	ASSERT_EQ(0, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_ENGINE_STATS, &st1));
	EXPECT_LT(st0.writes, st1.writes);
	/* Longer than one access: this time it drains and moves. */
	ASSERT_EQ(0, write_knob("max_drain_wait_ms", "2000"));
	ASSERT_EQ(0, imm_migrate(self->dev, buf, 1, 0, PAGE, &m));
	EXPECT_EQ(1, m.moved);
	EXPECT_EQ(1, on_node(_metadata, self->dev, buf, 1, 1));
	expect_intact(_metadata, self->dev, e.id, buf, 1, 1ULL << 32);
	close(buf);
}

/* A page's A/D bits, cleared with @clear. */
static unsigned int page_ad(struct __test_metadata *_metadata, int dev,
			    int buf, unsigned long idx, bool clear)
{
	struct iommu_migrate_page pg = {
		.buf_fd = buf, .index = idx,
		.flags = clear ? IOMMU_MIGRATE_PAGE_CLEAR_AD : 0,
	};

	EXPECT_EQ(0, imm_ioctl(dev, IOMMU_MIGRATE_IOC_PAGE, &pg));
	return pg.ad;
}

/* Run an engine of @pattern over page @idx for @count operations. */
static void run_engine(struct __test_metadata *_metadata, int dev, int dom,
		       unsigned int pattern, unsigned long idx,
		       unsigned long long iova)
{
	struct iommu_migrate_engine_stats st;
	long id = imm_engine(dev, dom, pattern, iova + idx * PAGE, PAGE, 64, 0);

	ASSERT_LT(0, id);
	do {
		usleep(1000);
		memset(&st, 0, sizeof(st));
		st.id = id;
		ASSERT_EQ(0, imm_ioctl(dev, IOMMU_MIGRATE_IOC_ENGINE_STATS, &st));
	} while (st.running);
	ASSERT_EQ(0, imm_engine_stop(dev, id, &st));
	EXPECT_EQ(64, st.ops);
	EXPECT_EQ(0, st.faults);
	EXPECT_EQ(0, st.rmt_violations);
}

/* Records a running engine has written so far. */
static unsigned long long engine_writes(struct __test_metadata *_metadata,
					int dev, long id)
{
	struct iommu_migrate_engine_stats st = { .id = id };

	EXPECT_EQ(0, imm_ioctl(dev, IOMMU_MIGRATE_IOC_ENGINE_STATS, &st));
	return st.writes;
}

/* Engine @id's counters so far. */
static void engine_stats(struct __test_metadata *_metadata, int dev, long id,
			 struct iommu_migrate_engine_stats *st)
{
	ASSERT_EQ(0, imm_engine_stats(dev, id, st));
}

/* Start slow engine @e with the hold_access hook armed; wait until held. */
static void start_held(struct __test_metadata *_metadata, int dev,
		       struct iommu_migrate_engine *e)
{
	int i;

	ASSERT_EQ(0, mv_write_knob(DEBUGFS, "hold_access", "1"));
	ASSERT_EQ(0, imm_ioctl(dev, IOMMU_MIGRATE_IOC_ENGINE_START, e));
	for (i = 0; i < 6000 && mv_read_knob(DEBUGFS, "hold_access") != 2; i++)
		usleep(10000);
	ASSERT_EQ(2, mv_read_knob(DEBUGFS, "hold_access"));
}

/*
 * One access that waits through many rounds counts once: a slow device
 * holds page 0 (hold_access) while the PME waits 300 ms for its drain;
 * a second engine writing the page meets it migrating and waits, 10 ms
 * a round, until the drain times out and the abort releases it. That is
 * one stalled access in dma_stalls and in the engine's stalls; the
 * whole wait is in the stall time.
 */
TEST_F_TIMEOUT(pme, one_access_stalls_once_however_long, 120)
{
	const unsigned long long iova = 1ULL << 42;
	struct iommu_migrate_engine h = {
		.domain = self->dom, .pattern = IOMMU_MIGRATE_PATTERN_SEQ_WRITE,
		.iova = iova, .size = PAGE, .hold_us = 1,
	};
	struct iommu_migrate_engine_stats st0, st1;
	struct iommu_migrate_stats s0, s1;
	struct iommu_migrate_migrate m;
	int buf, i;
	long w;

	mv_knobs_save(&self->knobs, "max_drain_wait_ms");
	buf = mapped_buf(_metadata, self->dev, self->dom, 1, 0, iova);
	ASSERT_EQ(0, write_knob("max_drain_wait_ms", "300"));
	start_held(_metadata, self->dev, &h);
	w = imm_engine(self->dev, self->dom, IOMMU_MIGRATE_PATTERN_SEQ_WRITE,
		       iova, PAGE, 0, 0);
	ASSERT_LT(0, w);
	for (i = 0; i < 1000 && engine_writes(_metadata, self->dev, w) < 16; i++)
		usleep(1000);
	engine_stats(_metadata, self->dev, w, &st0);
	ASSERT_EQ(0, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_STATS, &s0));
	ASSERT_EQ(0, imm_migrate(self->dev, buf, 1, 0, PAGE, &m));
	EXPECT_EQ(1, m.aborted);
	/* Its stalled write went through after the release. */
	for (i = 0; i < 1000 &&
	     engine_writes(_metadata, self->dev, w) < st0.writes + 16; i++)
		usleep(1000);
	engine_stats(_metadata, self->dev, w, &st1);
	ASSERT_EQ(0, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_STATS, &s1));
	ASSERT_EQ(0, mv_write_knob(DEBUGFS, "hold_access", "0"));
	TH_LOG("%llu stalled accesses, %llu ms of stall",
	       (unsigned long long)(s1.dma_stalls - s0.dma_stalls),
	       (unsigned long long)(s1.dma_stall_ns - s0.dma_stall_ns) / 1000000);
	EXPECT_EQ(1, s1.dma_stalls - s0.dma_stalls);
	EXPECT_EQ(1, st1.stalls - st0.stalls);
	/* Many 10 ms rounds, all summed. */
	EXPECT_LE(100000000ULL, s1.dma_stall_ns - s0.dma_stall_ns);
	EXPECT_LE(100000000ULL, st1.stall_ns - st0.stall_ns);
	ASSERT_EQ(0, imm_engine_stop(self->dev, w, &st1));
	ASSERT_EQ(0, imm_engine_stop(self->dev, h.id, &st1));
	close(buf);
}

/* dma_stalls and the engines' poll and sleep rounds, from sysfs. */
struct poll_counts {
	long stalls, polls, sleeps;
};

static void poll_counts(struct poll_counts *c)
{
	c->stalls = read_knob("dma_stalls");
	c->polls = read_knob("dma_stall_polls");
	c->sleeps = read_knob("dma_stall_sleeps");
}

/*
 * A window held open, met by a device that polls: a slow device holds
 * an access to the first half of page 0 (hold_access) while a second
 * engine writes records to the other half; a migration of the page
 * marks it and waits in its drain for the held access. The writer
 * meets the page migrating and polls, with dma_retry_poll_us at 50:
 * with @unbounded (the retry_poll_unbounded hook) until the release,
 * else for 50 us, then it sleeps. While the window is open the writer
 * writes nothing and no poll round ends (no release has come). The
 * hold ends, the page moves, the writer goes on: no RMT violation,
 * and its records are intact on the new page (a write to the old page
 * after the copy would be lost there). The counters' changes in @d.
 */
static void held_window(struct __test_metadata *_metadata,
			struct _test_data_pme *self, bool unbounded,
			struct poll_counts *d)
{
	const unsigned long long iova = 1ULL << 44, half = PAGE / 2;
	struct iommu_migrate_engine h = {
		.domain = self->dom, .pattern = IOMMU_MIGRATE_PATTERN_SEQ_WRITE,
		.iova = iova, .size = half, .hold_us = 1,
	};
	struct iommu_migrate_migrate m = { .node = 1, .size = PAGE };
	struct ioc c = { self->dev, IOMMU_MIGRATE_IOC_MIGRATE, &m };
	struct iommu_migrate_engine_stats st, hst;
	unsigned long long w0, w1;
	struct poll_counts c0, c1;
	struct rec_result r;
	pthread_t t;
	int buf, i;
	long w;
	void *p;

	mv_knobs_save(&self->knobs, "max_drain_wait_ms");
	mv_knobs_save(&self->knobs, "dma_retry_poll_us");
	mv_knobs_save(&self->hooks, "retry_poll_unbounded");
	buf = mapped_buf(_metadata, self->dev, self->dom, 1, 0, iova);
	m.buf_fd = buf;
	/* The drain waits as long as the hold (which ends within 5 s). */
	ASSERT_EQ(0, write_knob("max_drain_wait_ms", "60000"));
	ASSERT_EQ(0, write_knob("dma_retry_poll_us", "50"));
	ASSERT_EQ(0, write_hook("retry_poll_unbounded", unbounded ? "1" : "0"));
	start_held(_metadata, self->dev, &h);
	w = imm_engine(self->dev, self->dom, IOMMU_MIGRATE_PATTERN_SEQ_WRITE,
		       iova + half, half, 0, 0);
	ASSERT_LT(0, w);
	for (i = 0; i < 1000 && engine_writes(_metadata, self->dev, w) < 16; i++)
		usleep(1000);
	poll_counts(&c0);
	ASSERT_EQ(0, pthread_create(&t, NULL, run_ioctl, &c));
	/* The writer meets the page: polling, or asleep once its poll ended. */
	for (i = 0; i < 3000; i++) {
		poll_counts(&c1);
		if (unbounded ? c1.stalls > c0.stalls : c1.sleeps > c0.sleeps)
			break;
		usleep(1000);
	}
	w0 = engine_writes(_metadata, self->dev, w);
	usleep(100000);
	w1 = engine_writes(_metadata, self->dev, w);
	poll_counts(&c1);
	/* Still held: the window is open. */
	EXPECT_EQ(2, read_hook("hold_access"));
	EXPECT_LT(c0.stalls, c1.stalls);
	EXPECT_EQ(w0, w1) TH_LOG("the device wrote while its page migrated");
	EXPECT_EQ(c0.polls, c1.polls) TH_LOG("a poll ended before the release");
	/* Unbounded it never slept; else its poll ended and it sleeps. */
	EXPECT_EQ(!unbounded, c1.sleeps > c0.sleeps);
	ASSERT_EQ(0, write_hook("hold_access", "0"));
	ASSERT_EQ(0, pthread_join(t, NULL));
	ASSERT_EQ(0, c.ret);
	EXPECT_EQ(1, m.moved);
	EXPECT_EQ(1, on_node(_metadata, self->dev, buf, 1, 1));
	/* The writer goes on after the release. */
	for (i = 0; i < 1000 &&
	     engine_writes(_metadata, self->dev, w) < w1 + 16; i++)
		usleep(1000);
	EXPECT_LE(w1 + 16, engine_writes(_metadata, self->dev, w))
		TH_LOG("the device did not go on after the release");
	ASSERT_EQ(0, imm_engine_stop(self->dev, w, &st));
	ASSERT_EQ(0, imm_engine_stop(self->dev, h.id, &hst));
	poll_counts(&c1);
	d->stalls = c1.stalls - c0.stalls;
	d->polls = c1.polls - c0.polls;
	d->sleeps = c1.sleeps - c0.sleeps;
	TH_LOG("%ld stalled accesses, %ld rounds ended polling, %ld slept",
	       d->stalls, d->polls, d->sleeps);
	EXPECT_EQ(d->stalls, (long)(st.stalls + hst.stalls));
	EXPECT_EQ(0, st.rmt_violations + hst.rmt_violations);
	EXPECT_EQ(0, st.faults + hst.faults);
	p = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, buf, 0);
	ASSERT_NE(MAP_FAILED, p);
	check_records((char *)p + half, iova + half, half / REC, w, st.writes,
		      &r);
	EXPECT_EQ(0, r.lost);
	EXPECT_EQ(0, r.torn);
	EXPECT_EQ(0, r.misplaced);
	munmap(p, PAGE);
	close(buf);
}

/*
 * With the window held and the poll unbounded: one release, so every
 * stalled access (the writer's, maybe the slow device's after its hold)
 * waits one round, and each ended polling, none asleep.
 */
TEST_F_TIMEOUT(pme, polling_device_waits_for_the_release, 120)
{
	struct poll_counts d;

	held_window(_metadata, self, true, &d);
	EXPECT_LE(1, d.stalls);
	EXPECT_EQ(d.stalls, d.polls);
	EXPECT_EQ(0, d.sleeps);
}

/*
 * With the window held longer than the poll (50 us): the writer's poll
 * ends without a release and it sleeps, 10 ms a round, until it; every
 * stalled access has a round, polled or slept.
 */
TEST_F_TIMEOUT(pme, polling_device_falls_back_to_sleep, 120)
{
	struct poll_counts d;

	held_window(_metadata, self, false, &d);
	EXPECT_LE(1, d.stalls);
	EXPECT_LE(1, d.sleeps);
	EXPECT_LE(d.stalls, d.polls + d.sleeps);
}

/*
 * A held access sleeps outside RCU: while the hold_access hook keeps a
 * slow device's access in flight, the unmap of another buffer, whose
 * RMT drop waits for a grace period, completes at once, and the access
 * is still held.
 */
TEST_F_TIMEOUT(pme, held_access_does_not_hold_up_rcu, 120)
{
	const unsigned long long iova = 1ULL << 43;
	struct iommu_migrate_engine h = {
		.domain = self->dom, .pattern = IOMMU_MIGRATE_PATTERN_SEQ_WRITE,
		.iova = iova, .size = PAGE, .hold_us = 1,
	};
	struct iommu_migrate_engine_stats st;
	struct timespec t0, t1;
	int buf, other;
	double s;

	buf = mapped_buf(_metadata, self->dev, self->dom, 1, 0, iova);
	other = mapped_buf(_metadata, self->dev, self->dom, 1, 0,
			   iova + (64ULL << 20));
	start_held(_metadata, self->dev, &h);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ASSERT_EQ(0, imm_unmap(self->dev, other, self->dom));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	s = t1.tv_sec - t0.tv_sec + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	TH_LOG("unmap with an access held: %.3f s", s);
	EXPECT_EQ(2, mv_read_knob(DEBUGFS, "hold_access"));
	EXPECT_GT(1.0, s);
	ASSERT_EQ(0, mv_write_knob(DEBUGFS, "hold_access", "0"));
	ASSERT_EQ(0, imm_engine_stop(self->dev, h.id, &st));
	EXPECT_EQ(0, st.faults);
	EXPECT_EQ(0, st.rmt_violations);
	close(other);
	close(buf);
}

#define PTSEL_DEBUGFS "/sys/kernel/debug/ptsel/"

struct hopper {
	int dev, buf, stop;
	unsigned long pages, moves;
};

/* Move a buffer between nodes 0 and 1 until told to stop. */
static void *hop(void *arg)
{
	struct hopper *hp = arg;
	struct iommu_migrate_migrate m;
	int node = 1;

	while (!__atomic_load_n(&hp->stop, __ATOMIC_ACQUIRE)) {
		if (imm_migrate(hp->dev, hp->buf, node, 0, hp->pages * PAGE, &m))
			break;
		hp->moves += m.moved;
		node = !node;
	}
	return NULL;
}

/*
 * An access through a translation the IOTLB should have forgotten is
 * a violation, counted, even while other pages move all the time: the
 * fault injection in ptsel leaves the walkers' TLBs as they were for
 * the two PTE exchanges of one page's move (mark and switch), so the
 * device keeps writing through its cached translation to the old
 * frame, and makes each translation of the page 200 us slow, so that
 * other pages' moves land between the device's translation and its
 * RMT check. The old frame's entry is retired, then gone or another
 * page's: the access faults and rmt_violations rises. The frame was
 * retired before the device translated, so no move excuses it as
 * stale: after the move no access goes through and none is retried
 * as stale (refreshes). (With a global "some page moved since" excuse,
 * about half of the tries were excused and retried.)
 */
TEST_F_TIMEOUT(pme, missed_invalidation_is_a_violation, 120)
{
	const unsigned long long iova = 1ULL << 44;
	struct iommu_migrate_engine_stats st0, st1;
	struct iommu_migrate_stats s0, s1;
	struct iommu_migrate_migrate m;
	struct hopper hp = { .dev = self->dev, .pages = 64 };
	pthread_t th;
	char addr[32];
	int buf, i;
	long w;

	if (access(PTSEL_DEBUGFS "skip_invalidations", F_OK))
		SKIP(return, "no fault injection (ptsel's skip_invalidations)");
	buf = mapped_buf(_metadata, self->dev, self->dom, 1, 0, iova);
	hp.buf = mapped_buf(_metadata, self->dev, self->dom, hp.pages, 0,
			    iova + (8ULL << 20));
	w = imm_engine(self->dev, self->dom, IOMMU_MIGRATE_PATTERN_SEQ_WRITE,
		       iova, PAGE, 0, 2000);
	ASSERT_LT(0, w);
	/* Its IOTLB holds the page's translation. */
	for (i = 0; i < 1000 && engine_writes(_metadata, self->dev, w) < 16; i++)
		usleep(1000);
	ASSERT_EQ(0, pthread_create(&th, NULL, hop, &hp));
	usleep(100000);
	engine_stats(_metadata, self->dev, w, &st0);
	EXPECT_EQ(0, st0.rmt_violations);
	snprintf(addr, sizeof(addr), "0x%llx", iova);
	ASSERT_EQ(0, mv_write_knob(PTSEL_DEBUGFS, "skip_invalidation_addr", addr));
	/* A slow IOTLB: other pages' moves land between translation and check. */
	ASSERT_EQ(0, mv_write_knob(PTSEL_DEBUGFS, "skip_invalidation_delay_us", "200"));
	ASSERT_EQ(0, mv_write_knob(PTSEL_DEBUGFS, "skip_invalidations", "2"));
	ASSERT_EQ(0, imm_migrate(self->dev, buf, 1, 0, PAGE, &m));
	EXPECT_EQ(1, m.moved);
	EXPECT_EQ(0, mv_read_knob(PTSEL_DEBUGFS, "skip_invalidations"));
	/* The move and its own stalls are over; from now on only stale. */
	usleep(50000);
	engine_stats(_metadata, self->dev, w, &st0);
	ASSERT_EQ(0, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_STATS, &s0));
	usleep(300000);
	engine_stats(_metadata, self->dev, w, &st1);
	ASSERT_EQ(0, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_STATS, &s1));
	__atomic_store_n(&hp.stop, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	ASSERT_EQ(0, mv_write_knob(PTSEL_DEBUGFS, "skip_invalidations", "0"));
	ASSERT_EQ(0, mv_write_knob(PTSEL_DEBUGFS, "skip_invalidation_delay_us", "0"));
	TH_LOG("%lu pages moved meanwhile; in 300 ms after the move: %llu violations, %llu writes, %llu refreshes",
	       hp.moves, (unsigned long long)(st1.rmt_violations - st0.rmt_violations),
	       (unsigned long long)(st1.writes - st0.writes),
	       (unsigned long long)(st1.refreshes - st0.refreshes));
	EXPECT_LT(0, hp.moves);
	EXPECT_LT(0, st1.rmt_violations - st0.rmt_violations);
	EXPECT_LT(0, s1.rmt_violations - s0.rmt_violations);
	/* Nothing served through it, and no retry excused as stale. */
	EXPECT_EQ(0, st1.writes - st0.writes);
	EXPECT_EQ(0, st1.refreshes - st0.refreshes);
	ASSERT_EQ(0, imm_engine_stop(self->dev, w, &st1));
	close(hp.buf);
	close(buf);
}

TEST_F(pme, accessed_dirty_bits_follow_devices)
{
	const unsigned long long iova = 1ULL << 33;
	const unsigned int ad = IOMMU_MIGRATE_AD_ACCESSED | IOMMU_MIGRATE_AD_DIRTY;
	struct iommu_migrate_engine_stats st;
	struct iommu_migrate_migrate m;
	int buf = mapped_buf(_metadata, self->dev, self->dom, 4, 0, iova);
	unsigned long i;
	long id;

	for (i = 0; i < 4; i++)
		EXPECT_EQ(0, page_ad(_metadata, self->dev, buf, i, false));
	run_engine(_metadata, self->dev, self->dom,
		   IOMMU_MIGRATE_PATTERN_SEQ_WRITE, 0, iova);
	run_engine(_metadata, self->dev, self->dom,
		   IOMMU_MIGRATE_PATTERN_READ_VERIFY, 2, iova);
	EXPECT_EQ(ad, page_ad(_metadata, self->dev, buf, 0, false));
	EXPECT_EQ(0, page_ad(_metadata, self->dev, buf, 1, false));
	EXPECT_EQ(IOMMU_MIGRATE_AD_ACCESSED,
		  page_ad(_metadata, self->dev, buf, 2, false));
	EXPECT_EQ(0, page_ad(_metadata, self->dev, buf, 3, false));
	/* A move keeps them. */
	ASSERT_EQ(0, imm_migrate(self->dev, buf, 1, 0, 4 * PAGE, &m));
	EXPECT_EQ(4, m.moved);
	EXPECT_EQ(ad, page_ad(_metadata, self->dev, buf, 0, false));
	EXPECT_EQ(IOMMU_MIGRATE_AD_ACCESSED,
		  page_ad(_metadata, self->dev, buf, 2, false));
	/* A clear returns what it cleared; then the page is clean. */
	EXPECT_EQ(ad, page_ad(_metadata, self->dev, buf, 0, true));
	EXPECT_EQ(0, page_ad(_metadata, self->dev, buf, 0, false));
	EXPECT_EQ(IOMMU_MIGRATE_AD_ACCESSED,
		  page_ad(_metadata, self->dev, buf, 2, true));
	EXPECT_EQ(0, page_ad(_metadata, self->dev, buf, 2, false));
	/*
	 * A device that keeps writing, its translation cached, sets them
	 * again after each clear: the clear made its IOTLB forget. Two
	 * writes after a clear, the second translated after it (the first
	 * may have been in flight), whenever the engine gets the CPU.
	 */
	id = imm_engine(self->dev, self->dom, IOMMU_MIGRATE_PATTERN_SEQ_WRITE,
			iova, PAGE, 0, 1000);
	ASSERT_LT(0, id);
	for (i = 0; i < 3; i++) {
		unsigned long long w0 = engine_writes(_metadata, self->dev, id);
		int n;

		for (n = 0; n < 10000 &&
		     engine_writes(_metadata, self->dev, id) < w0 + 2; n++)
			usleep(1000);
		EXPECT_EQ(ad, page_ad(_metadata, self->dev, buf, 0, true));
	}
	ASSERT_EQ(0, imm_engine_stop(self->dev, id, &st));
	EXPECT_LT(0, st.writes);
	EXPECT_EQ(0, st.faults);
	EXPECT_EQ(0, page_ad(_metadata, self->dev, buf, 2, false));
	close(buf);
}

/* A migration of @buf's first @pages that keeps the old frames as copies. */
static long migrate_keep(int dev, int buf, int node, unsigned long pages,
			 struct iommu_migrate_migrate *m)
{
	*m = (struct iommu_migrate_migrate){
		.buf_fd = buf, .node = node, .size = pages * PAGE,
		.flags = IOMMU_MIGRATE_MIGRATE_KEEP_COPY,
	};
	return imm_ioctl(dev, IOMMU_MIGRATE_IOC_MIGRATE, m);
}

/*
 * A moved page's old frame stays its retired RMT entry's until the
 * grace period ends, also when it stays as a kept copy: dropping the
 * copy (a CPU write) must not give the frame to another page while a
 * device that translated to it before the move has not checked yet.
 * ptsel's fault injection makes each translation of the page 1 ms
 * slow, so the engine nearly always holds one; right after each move
 * the CPU writes the page (its kept copy goes) and a new one-page
 * buffer on the old frame's node is mapped, which takes that frame at
 * once when it is free (the allocator's per-CPU list). Such a frame
 * with a new owner turns the late check of a stale translation into a
 * counted violation.
 */
TEST_F_TIMEOUT(pme, dropped_copy_frame_keeps_its_retired_entry, 120)
{
	const unsigned long long iova = 1ULL << 45, iova2 = 1ULL << 46;
	struct iommu_migrate_engine_stats st;
	struct iommu_migrate_migrate m;
	struct iommu_migrate_page pg;
	int buf, node = 1, tries, reowned = 0;
	char addr[32], *map;
	cpu_set_t set;
	long w;

	if (access(PTSEL_DEBUGFS "skip_invalidation_delay_us", F_OK))
		SKIP(return, "no fault injection (ptsel's skip_invalidation_delay_us)");
	/* The drop and the new buffer's allocation on one CPU's list. */
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(set), &set));
	buf = mapped_buf(_metadata, self->dev, self->dom, 1, 0, iova);
	map = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, buf, 0);
	ASSERT_NE(MAP_FAILED, map);
	w = imm_engine(self->dev, self->dom, IOMMU_MIGRATE_PATTERN_SEQ_WRITE,
		       iova, PAGE, 0, 0);
	ASSERT_LT(0, w);
	snprintf(addr, sizeof(addr), "0x%llx", iova);
	ASSERT_EQ(0, mv_write_knob(PTSEL_DEBUGFS, "skip_invalidation_addr", addr));
	ASSERT_EQ(0, mv_write_knob(PTSEL_DEBUGFS, "skip_invalidation_delay_us", "1000"));
	for (tries = 0; tries < 40; tries++) {
		unsigned long long old;
		int b2;

		ASSERT_EQ(0, imm_page(self->dev, buf, 0, &pg));
		old = pg.pfn;
		ASSERT_EQ(0, migrate_keep(self->dev, buf, node, 1, &m));
		ASSERT_EQ(1, m.moved);
		map[PAGE - 1] ^= 1;
		b2 = mapped_buf(_metadata, self->dev, self->dom, 1, !node,
				iova2 + tries * PAGE);
		ASSERT_EQ(0, imm_page(self->dev, b2, 0, &pg));
		reowned += pg.pfn == old;
		usleep(5000);
		EXPECT_EQ(0, imm_unmap(self->dev, b2, self->dom));
		close(b2);
		node = !node;
	}
	ASSERT_EQ(0, mv_write_knob(PTSEL_DEBUGFS, "skip_invalidation_delay_us", "0"));
	ASSERT_EQ(0, mv_write_knob(PTSEL_DEBUGFS, "skip_invalidation_addr", "0"));
	engine_stats(_metadata, self->dev, w, &st);
	TH_LOG("%d moves: a dropped copy's frame went to the new buffer %d times; %llu writes, %llu refreshes, %llu violations",
	       tries, reowned, (unsigned long long)st.writes,
	       (unsigned long long)st.refreshes, (unsigned long long)st.rmt_violations);
	EXPECT_LT(0, st.writes);
	EXPECT_EQ(0, st.rmt_violations);
	ASSERT_EQ(0, imm_engine_stop(self->dev, w, &st));
	EXPECT_EQ(0, st.rmt_violations);
	munmap(map, PAGE);
	close(buf);
}

/*
 * IOMMU_MIGRATE_MIGRATE_KEEP_COPY: a page moves back onto its kept copy
 * without a copy only if neither a device (dirty bit) nor the CPU wrote
 * it since; the written pages are copied, and their data is there.
 */
TEST_F(pme, kept_copies_skip_only_clean_pages)
{
	enum { N = 8 };
	const unsigned long long iova = 1ULL << 34;
	int buf = mapped_buf(_metadata, self->dev, self->dom, N, 0, iova);
	long skipped0 = read_knob("copies_skipped");
	long kept0 = read_knob("copies_kept");
	struct iommu_migrate_engine_stats st;
	struct iommu_migrate_migrate m;
	struct rec_result r;
	char *map;
	long id;

	/* Nothing to reuse yet: every page copied, its old frame kept. */
	ASSERT_EQ(0, migrate_keep(self->dev, buf, 1, N, &m));
	EXPECT_EQ(N, m.moved);
	EXPECT_EQ(skipped0, read_knob("copies_skipped"));
	EXPECT_EQ(kept0 + N, read_knob("copies_kept"));
	/* Back: nothing wrote, no page is copied again. */
	ASSERT_EQ(0, migrate_keep(self->dev, buf, 0, N, &m));
	EXPECT_EQ(N, m.moved);
	EXPECT_EQ(skipped0 + N, read_knob("copies_skipped"));
	EXPECT_EQ(kept0 + N, read_knob("copies_kept"));
	EXPECT_EQ(N, on_node(_metadata, self->dev, buf, N, 0));
	/* A device writes page 0, the CPU page 5. */
	id = imm_engine(self->dev, self->dom, IOMMU_MIGRATE_PATTERN_SEQ_WRITE,
			iova, PAGE, PAGE / REC, 0);
	ASSERT_LT(0, id);
	do {
		usleep(1000);
		memset(&st, 0, sizeof(st));
		st.id = id;
		ASSERT_EQ(0, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_ENGINE_STATS, &st));
	} while (st.running);
	ASSERT_EQ(0, imm_engine_stop(self->dev, id, &st));
	ASSERT_EQ(PAGE / REC, st.writes);
	map = mmap(NULL, N * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, buf, 0);
	ASSERT_NE(MAP_FAILED, map);
	map[5 * PAGE + 7] = 0x5a;
	/* Those two are copied; the six others switch to their copies. */
	ASSERT_EQ(0, migrate_keep(self->dev, buf, 1, N, &m));
	EXPECT_EQ(N, m.moved);
	EXPECT_EQ(skipped0 + 2 * N - 2, read_knob("copies_skipped"));
	EXPECT_EQ(N, on_node(_metadata, self->dev, buf, N, 1));
	EXPECT_EQ(0x5a, map[5 * PAGE + 7]);
	check_records(map, iova, PAGE / REC, id, st.writes, &r);
	EXPECT_EQ(PAGE / REC, r.ok);
	/* The PME took the dirty bit for itself; the page still reports it. */
	EXPECT_NE(0, page_ad(_metadata, self->dev, buf, 0, false) &
		  IOMMU_MIGRATE_AD_DIRTY);
	/* A move without the flag frees the copies; so does the unmap. */
	ASSERT_EQ(0, imm_migrate(self->dev, buf, 0, 0, 4 * PAGE, &m));
	EXPECT_EQ(4, m.moved);
	EXPECT_EQ(kept0 + N - 4, read_knob("copies_kept"));
	EXPECT_EQ(0, imm_unmap(self->dev, buf, self->dom));
	EXPECT_EQ(kept0, read_knob("copies_kept"));
	EXPECT_EQ(0x5a, map[5 * PAGE + 7]);
	munmap(map, N * PAGE);
	close(buf);
}

/*
 * No lost write: an engine keeps writing sequence-numbered records
 * while the buffer hops between the nodes on its kept copies. Some
 * pages are written between two hops and must be copied, the others
 * may switch to their copies; every record must be there at the end.
 */
TEST_F_TIMEOUT(pme, kept_copies_lose_no_write, 120)
{
	enum { N = 8, ROUNDS = 20 };
	const unsigned long long iova = 1ULL << 35;
	int buf = mapped_buf(_metadata, self->dev, self->dom, N, 0, iova);
	long skipped0 = read_knob("copies_skipped"), skipped;
	struct iommu_migrate_migrate m;
	unsigned long moved = 0;
	int i;
	long id;

	id = imm_engine(self->dev, self->dom, IOMMU_MIGRATE_PATTERN_SEQ_WRITE,
			iova, N * PAGE, 0, 2000);
	ASSERT_LT(0, id);
	for (i = 0; i < ROUNDS; i++) {
		usleep(10000);
		ASSERT_EQ(0, migrate_keep(self->dev, buf, !(i & 1), N, &m));
		EXPECT_EQ(0, m.aborted);
		moved += m.moved;
	}
	expect_intact(_metadata, self->dev, id, buf, N, iova);
	skipped = read_knob("copies_skipped") - skipped0;
	TH_LOG("%lu pages moved, %ld copies skipped", moved, skipped);
	EXPECT_EQ(ROUNDS * N, moved);
	/* Both paths ran: clean pages switched, written ones copied. */
	EXPECT_LT(0, skipped);
	EXPECT_LT(N, moved - skipped);
	EXPECT_EQ(0, imm_unmap(self->dev, buf, self->dom));
	close(buf);
}

/*
 * The PME copies a page before its window, while devices go on, and
 * again inside only if a device wrote the page since (the RMT entry's
 * write count). precopy_delay_ms makes the PME sleep between the two,
 * so that a device that writes all the time writes in between: every
 * such write must reach the new page. The engine writes each slot once
 * (count == slots), so a lost write is never written over.
 */
TEST_F_TIMEOUT(pme, precopy_redone_when_a_device_writes, 120)
{
	enum { N = 4, SLOTS = N * PAGE / REC };
	const unsigned long long iova = 1ULL << 36;
	int buf = mapped_buf(_metadata, self->dev, self->dom, N, 0, iova);
	long redone0 = read_knob("precopies_redone"), redone;
	struct iommu_migrate_migrate m;
	unsigned long moved = 0;
	int i = 0;
	long id;

	ASSERT_EQ(0, write_hook("precopy_delay_ms", "2"));
	id = imm_engine(self->dev, self->dom, IOMMU_MIGRATE_PATTERN_SEQ_WRITE,
			iova, N * PAGE, SLOTS, 500);
	ASSERT_LT(0, id);
	/* Hop while the engine writes, and a little after. */
	do {
		memset(&m, 0, sizeof(m));
		m.buf_fd = buf;
		m.node = !(i++ & 1);
		m.size = N * PAGE;
		ASSERT_EQ(0, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_MIGRATE, &m));
		EXPECT_EQ(0, m.aborted);
		moved += m.moved;
	} while (engine_writes(_metadata, self->dev, id) < SLOTS && i < 2000);
	ASSERT_EQ(0, write_hook("precopy_delay_ms", "0"));
	expect_intact(_metadata, self->dev, id, buf, N, iova);
	redone = read_knob("precopies_redone") - redone0;
	TH_LOG("%d hops, %lu pages moved, %ld pre-copies redone", i, moved,
	       redone);
	EXPECT_EQ((unsigned long)i * N, moved);
	/* Writes did land between a pre-copy and its mark. */
	EXPECT_LT(0, redone);
	EXPECT_EQ(0, imm_unmap(self->dev, buf, self->dom));
	close(buf);
}

/*
 * A kept copy that a move's pre-copy refreshed is dropped when that
 * move aborts: a write in flight during the pre-copy may have missed
 * it without setting the dirty bit again, so the copy can no longer be
 * trusted as clean. A slow device writes the page all along; its held
 * access makes the move back onto the kept copy time out its drain.
 */
TEST_F_TIMEOUT(pme, aborted_move_drops_the_copy_it_refreshed, 120)
{
	struct iommu_migrate_engine e = {
		.domain = self->dom, .pattern = IOMMU_MIGRATE_PATTERN_SEQ_WRITE,
		.iova = 1ULL << 37, .size = PAGE, .hold_us = 20000,
	};
	int buf = mapped_buf(_metadata, self->dev, self->dom, 1, 0, 1ULL << 37);
	long kept0 = read_knob("copies_kept");
	long skipped0 = read_knob("copies_skipped");
	struct iommu_migrate_migrate m;
	int i;

	mv_knobs_save(&self->knobs, "max_drain_wait_ms");
	ASSERT_EQ(0, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_ENGINE_START, &e));
	usleep(100000);
	/* Away to node 1; the node-0 frame stays as the page's copy. */
	ASSERT_EQ(0, migrate_keep(self->dev, buf, 1, 1, &m));
	ASSERT_EQ(1, m.moved);
	EXPECT_EQ(kept0 + 1, read_knob("copies_kept"));
	/* Written since (dirty): the move back pre-copies onto the copy. */
	usleep(100000);
	ASSERT_EQ(0, write_knob("max_drain_wait_ms", "1"));
	ASSERT_EQ(0, mv_write_knob(DEBUGFS, "hold_access", "1"));
	for (i = 0; i < 6000 && mv_read_knob(DEBUGFS, "hold_access") != 2; i++)
		usleep(10000);
	ASSERT_EQ(2, mv_read_knob(DEBUGFS, "hold_access"));
	ASSERT_EQ(0, migrate_keep(self->dev, buf, 0, 1, &m));
	ASSERT_EQ(0, mv_write_knob(DEBUGFS, "hold_access", "0"));
	EXPECT_EQ(0, m.moved);
	EXPECT_EQ(1, m.aborted);
	EXPECT_EQ(kept0, read_knob("copies_kept"));
	/* The next move copies the page to a new frame; nothing is lost. */
	ASSERT_EQ(0, write_knob("max_drain_wait_ms", "2000"));
	ASSERT_EQ(0, migrate_keep(self->dev, buf, 0, 1, &m));
	EXPECT_EQ(1, m.moved);
	EXPECT_EQ(skipped0, read_knob("copies_skipped"));
	EXPECT_EQ(1, on_node(_metadata, self->dev, buf, 1, 0));
	expect_intact(_metadata, self->dev, e.id, buf, 1, 1ULL << 37);
	EXPECT_EQ(0, imm_unmap(self->dev, buf, self->dom));
	close(buf);
}

/* Pin @n pages at @addr as O_DIRECT pins its destination (debugfs pin_pages). */
static int pin_pages(void *addr, unsigned int n)
{
	char val[64];

	snprintf(val, sizeof(val), "%lx %u", (unsigned long)addr, n);
	return mv_write_path(DEBUGFS "pin_pages", val);
}

/*
 * Pages pinned through the CPU mapping (FOLL_PIN, as O_DIRECT, io_uring
 * fixed buffers or RDMA pin them) are not moved: the request reports
 * them aborted, pinned_aborts counts them, they stay on their frames
 * with their data, and the others move. Unpinned, they move too. The
 * buffer is device-mapped.
 */
TEST_F_TIMEOUT(pme, pinned_pages_are_not_moved, 120)
{
	const unsigned long pages = 16, first = 4, npin = 5;
	struct iommu_migrate_page pg0[16], pg;
	struct iommu_migrate_migrate m;
	long pinned0, aborted0;
	unsigned long i, j;
	int buf;
	char *p;

	if (access(DEBUGFS "pin_pages", W_OK))
		SKIP(return, "no debugfs pin_pages");
	buf = mapped_buf(_metadata, self->dev, self->dom, pages, 0, 0x100000);
	p = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, buf, 0);
	ASSERT_NE(MAP_FAILED, p);
	for (i = 0; i < pages * PAGE; i++)
		p[i] = (char)(i * 7 + i / PAGE);
	for (i = 0; i < pages; i++)
		ASSERT_EQ(0, imm_page(self->dev, buf, i, &pg0[i]));
	pinned0 = read_knob("pinned_aborts");
	aborted0 = read_knob("migrations_aborted");
	ASSERT_EQ(0, pin_pages(p + first * PAGE, npin));
	EXPECT_EQ(npin, read_hook("pin_pages"));
	EXPECT_EQ(-EBUSY, pin_pages(p, 1));
	ASSERT_EQ(0, imm_migrate(self->dev, buf, 1, 0, pages * PAGE, &m));
	EXPECT_EQ(npin, m.aborted);
	EXPECT_EQ(pages - npin, m.moved);
	EXPECT_EQ(pinned0 + npin, read_knob("pinned_aborts"));
	EXPECT_EQ(aborted0 + npin, read_knob("migrations_aborted"));
	for (i = 0; i < pages; i++) {
		bool pinned = i >= first && i < first + npin;

		ASSERT_EQ(0, imm_page(self->dev, buf, i, &pg));
		EXPECT_EQ(pinned ? 0 : 1, pg.node) TH_LOG("page %lu", i);
		if (pinned)
			EXPECT_EQ(pg0[i].pfn, pg.pfn) TH_LOG("page %lu", i);
		EXPECT_EQ(0, pg.state);
	}
	/* Unpinned, they move; the data everywhere as written. */
	ASSERT_EQ(0, pin_pages(p, 0));
	EXPECT_EQ(0, read_hook("pin_pages"));
	ASSERT_EQ(0, imm_migrate(self->dev, buf, 1, 0, pages * PAGE, &m));
	EXPECT_EQ(0, m.aborted);
	EXPECT_EQ(npin, m.moved);
	EXPECT_EQ(pages, on_node(_metadata, self->dev, buf, pages, 1));
	EXPECT_EQ(pinned0 + npin, read_knob("pinned_aborts"));
	for (i = 0, j = 0; i < pages * PAGE; i++)
		j += p[i] != (char)(i * 7 + i / PAGE);
	EXPECT_EQ(0, j);
	munmap(p, pages * PAGE);
	close(buf);
}

static void on_usr1(int sig)
{
}

struct migrate_thread {
	int dev, buf;
	unsigned long pages;
	unsigned int flags;
	struct iommu_migrate_migrate m;
	long ret;
	long at_signal;		/* pages the PME had moved then */
};

static void *migrate_thread_fn(void *arg)
{
	struct migrate_thread *t = arg;

	t->m = (struct iommu_migrate_migrate){
		.buf_fd = t->buf, .node = 1, .size = t->pages * PAGE,
		.flags = t->flags,
	};
	t->ret = imm_ioctl(t->dev, IOMMU_MIGRATE_IOC_MIGRATE, &t->m);
	return NULL;
}

/*
 * A thread's long request of @t, interrupted by SIGUSR1 (a handler, no
 * SA_RESTART) once the PME has moved its first page.
 */
static void migrate_and_signal(struct __test_metadata *_metadata,
			       struct migrate_thread *t)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	struct sigaction old;
	long migrated0;
	pthread_t th;
	int i;

	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, &old));
	migrated0 = read_knob("pages_migrated");
	ASSERT_EQ(0, pthread_create(&th, NULL, migrate_thread_fn, t));
	for (i = 0; i < 3000 && read_knob("pages_migrated") == migrated0; i++)
		usleep(1000);
	ASSERT_EQ(0, pthread_kill(th, SIGUSR1));
	t->at_signal = read_knob("pages_migrated") - migrated0;
	ASSERT_EQ(0, pthread_join(th, NULL));
	sigaction(SIGUSR1, &old, NULL);
	TH_LOG("%llu of %lu pages moved (%ld at the signal), flags %#x, returned %ld",
	       (unsigned long long)t->m.moved, t->pages, t->at_signal, t->flags,
	       t->ret);
}

/*
 * With IOMMU_MIGRATE_MIGRATE_INTERRUPTIBLE any signal, not only a fatal
 * one, cancels a migration between batches: the request returns -EINTR
 * (not restarted) with the counts of what it did, and they agree with
 * where the pages are.
 */
TEST_F_TIMEOUT(pme, any_signal_cancels_with_the_counts, 240)
{
	enum { PAGES = 2048 };
	struct migrate_thread t = {
		.pages = PAGES, .flags = IOMMU_MIGRATE_MIGRATE_INTERRUPTIBLE,
	};

	t.dev = self->dev;
	t.buf = mapped_buf(_metadata, self->dev, self->dom, PAGES, 0, 1ULL << 32);
	migrate_and_signal(_metadata, &t);
	EXPECT_EQ(-EINTR, t.ret);
	EXPECT_LT(0, t.m.moved);
	EXPECT_GT(PAGES, t.m.moved + t.m.already + t.m.aborted);
	EXPECT_EQ(0, t.m.aborted);
	EXPECT_EQ(t.m.moved, on_node(_metadata, self->dev, t.buf, PAGES, 1));
	close(t.buf);
}

/*
 * Without the flag, a signal that is not fatal (SIGUSR1 with a handler,
 * as Go's SIGURG or a profiler's SIGPROF) does not cancel: the request
 * moves every page, and the handler runs once it returns.
 */
TEST_F_TIMEOUT(pme, other_signals_do_not_cancel_without_the_flag, 240)
{
	enum { PAGES = 2048 };
	struct migrate_thread t = { .pages = PAGES };

	t.dev = self->dev;
	t.buf = mapped_buf(_metadata, self->dev, self->dom, PAGES, 0, 1ULL << 32);
	migrate_and_signal(_metadata, &t);
	/* The signal came in the middle of the request. */
	EXPECT_GT(PAGES, t.at_signal);
	EXPECT_EQ(0, t.ret);
	EXPECT_EQ(PAGES, t.m.moved);
	EXPECT_EQ(0, t.m.aborted + t.m.already);
	EXPECT_EQ(PAGES, on_node(_metadata, self->dev, t.buf, PAGES, 1));
	close(t.buf);
}

/*
 * A request does not hold up suspend: its caller waits freezable. While
 * a request of several seconds runs (precopy_delay_ms makes the PME
 * sleep 20 ms per page, an engine writes all along), the freezer stage
 * of a suspend to idle (pm_test "freezer": tasks are frozen, then
 * thawed without suspending devices) must freeze every task within a 1 s
 * pm_freeze_timeout: the write to /sys/power/state returns 0, where a
 * wait the freezer cannot freeze fails it with EBUSY ("Freezing of tasks
 * failed"). After the thaw the request completes: every page moved,
 * none aborted, no record lost. Needs CONFIG_PM_DEBUG (pm_test).
 */
TEST_F_TIMEOUT(pme, request_does_not_hold_up_suspend, 120)
{
	enum { PAGES = 400 };
	const unsigned long long iova = 1ULL << 32;
	struct migrate_thread t = { .pages = PAGES };
	long migrated0, before, after;
	const char *state, *why;
	pthread_t th;
	int eng, ret, i;
	double secs = 0;

	state = imm_pm_state(&why);
	if (!state)
		SKIP(return, "%s", why);
	t.dev = self->dev;
	t.buf = mapped_buf(_metadata, self->dev, self->dom, PAGES, 0, iova);
	eng = imm_engine(self->dev, self->dom, IOMMU_MIGRATE_PATTERN_SEQ_WRITE,
			 iova, PAGES * PAGE, 0, 0);
	ASSERT_LT(0, eng);
	ASSERT_EQ(0, write_hook("precopy_delay_ms", "20"));
	migrated0 = read_knob("pages_migrated");
	ASSERT_EQ(0, pthread_create(&th, NULL, migrate_thread_fn, &t));
	for (i = 0; i < 3000 && read_knob("pages_migrated") == migrated0; i++)
		usleep(1000);
	before = read_knob("pages_migrated") - migrated0;
	ret = imm_freezer_test(&self->pm, state, &secs);
	after = read_knob("pages_migrated") - migrated0;
	TH_LOG("%s with the freezer test: %d (%s) in %.2f s, pages moved %ld before, %ld after",
	       state, ret, ret ? strerror(-ret) : "ok", secs, before, after);
	/*
	 * The request was running when the tasks were frozen, and still
	 * when the write returned: it ran across the whole freeze (the
	 * sync before the freeze can take seconds).
	 */
	EXPECT_LT(0, before);
	EXPECT_GT(PAGES, before);
	EXPECT_GT(PAGES, after);
	EXPECT_EQ(0, ret);
	ASSERT_EQ(0, pthread_join(th, NULL));
	ASSERT_EQ(0, write_hook("precopy_delay_ms", "0"));
	EXPECT_EQ(0, t.ret);
	EXPECT_EQ(PAGES, t.m.moved);
	EXPECT_EQ(0, t.m.aborted + t.m.already);
	EXPECT_EQ(PAGES, on_node(_metadata, self->dev, t.buf, PAGES, 1));
	expect_intact(_metadata, self->dev, eng, t.buf, PAGES, iova);
	close(t.buf);
}

static int hogs_stop;

static void *hog(void *arg)
{
	while (!__atomic_load_n(&hogs_stop, __ATOMIC_RELAXED))
		;
	return NULL;
}

/*
 * A device's DMA takes no CPU: an emulated engine must not take the
 * PME's. Its kthread runs as SCHED_IDLE; an unthrottled one still
 * writes while a busy task of the default policy holds each CPU (a
 * weight of 3 against 1024: a few ms of CPU a second, under TCG with
 * the debug kernel's checks some 100 writes a second).
 */
TEST_F_TIMEOUT(pme, engines_use_only_spare_cpu, 120)
{
	enum { HOGS = 2, WRITES = 100 };
	unsigned long long w0, w;
	struct timespec t0, t1;
	char comm[32];
	pthread_t th[HOGS];
	long id;
	int buf, pid, i;

	buf = mapped_buf(_metadata, self->dev, self->dom, 1, 0, 1ULL << 32);
	id = imm_engine(self->dev, self->dom, IOMMU_MIGRATE_PATTERN_SEQ_WRITE,
			1ULL << 32, PAGE, 0, 0);
	ASSERT_LT(0, id);
	snprintf(comm, sizeof(comm), "imm_dma/%ld", id);
	pid = mv_kthread_pid(comm);
	ASSERT_LT(0, pid);
	EXPECT_EQ(SCHED_IDLE, sched_getscheduler(pid));
	__atomic_store_n(&hogs_stop, 0, __ATOMIC_RELAXED);
	for (i = 0; i < HOGS; i++)
		ASSERT_EQ(0, pthread_create(&th[i], NULL, hog, NULL));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	w0 = engine_writes(_metadata, self->dev, id);
	/* At most 30 s. */
	for (i = 0; i < 3000; i++) {
		usleep(10000);
		w = engine_writes(_metadata, self->dev, id);
		if (w >= w0 + WRITES)
			break;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	__atomic_store_n(&hogs_stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < HOGS; i++)
		pthread_join(th[i], NULL);
	TH_LOG("%llu writes in %.2f s beside %d busy tasks", w - w0,
	       t1.tv_sec - t0.tv_sec + (t1.tv_nsec - t0.tv_nsec) / 1e9, HOGS);
	EXPECT_LE(w0 + WRITES, w);
	expect_intact(_metadata, self->dev, id, buf, 1, 1ULL << 32);
	close(buf);
}

/*
 * An access in flight ends in bounded time, as a device's does, even
 * when busy tasks keep the SCHED_IDLE engine off the CPU: it holds its
 * in-flight count with preemption off. Preempted inside an access, it
 * would wait for the CPU about a second (a weight of 3 against 1024),
 * and a move of its page would time out in the drain. One page, written
 * by an unthrottled engine, moved back and forth for 6 s beside a busy
 * task per CPU, with a drain bound of 50 ms: nothing aborts. (Only a
 * preemptible kernel, the debug tier's, can preempt the engine there.)
 */
TEST_F_TIMEOUT(pme, busy_cpus_do_not_stall_the_drain, 120)
{
	enum { HOGS = 2 };
	const unsigned long long iova = 1ULL << 32;
	struct iommu_migrate_stats s0, s1;
	struct iommu_migrate_migrate m;
	unsigned long long moved = 0, aborted = 0;
	struct timespec t0, t;
	pthread_t th[HOGS];
	int buf, i, n;
	long id;

	mv_knobs_save(&self->knobs, "max_drain_wait_ms");
	ASSERT_EQ(0, write_knob("max_drain_wait_ms", "50"));
	buf = mapped_buf(_metadata, self->dev, self->dom, 1, 0, iova);
	id = imm_engine(self->dev, self->dom, IOMMU_MIGRATE_PATTERN_SEQ_WRITE,
			iova, PAGE, 0, 0);
	ASSERT_LT(0, id);
	ASSERT_EQ(0, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_STATS, &s0));
	__atomic_store_n(&hogs_stop, 0, __ATOMIC_RELAXED);
	for (i = 0; i < HOGS; i++)
		ASSERT_EQ(0, pthread_create(&th[i], NULL, hog, NULL));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (n = 0;; n++) {
		ASSERT_EQ(0, imm_migrate(self->dev, buf, !(n & 1), 0, PAGE, &m));
		moved += m.moved;
		aborted += m.aborted;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec >= 6)
			break;
	}
	__atomic_store_n(&hogs_stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < HOGS; i++)
		pthread_join(th[i], NULL);
	ASSERT_EQ(0, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_STATS, &s1));
	TH_LOG("%d moves: %llu moved, %llu aborted, %llu drain timeouts, %llu engine writes",
	       n + 1, moved, aborted,
	       (unsigned long long)(s1.drain_timeouts - s0.drain_timeouts),
	       engine_writes(_metadata, self->dev, id));
	EXPECT_EQ(0, aborted);
	EXPECT_EQ(0, s1.drain_timeouts - s0.drain_timeouts);
	EXPECT_LE(n / 2, moved);
	expect_intact(_metadata, self->dev, id, buf, 1, iova);
	close(buf);
}

TEST_HARNESS_MAIN
