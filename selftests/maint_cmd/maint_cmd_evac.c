// SPDX-License-Identifier: GPL-2.0
/*
 * maint_cmd with iommu_migrate itself: emulated DMA engines write
 * sequence-numbered records into an iommu_migrate buffer on NUMA node 1
 * (the model device's media); the device reports corrected errors with
 * maintenance needed on pages of that buffer. Each page must be
 * evacuated through iommu_migrate_evacuate() (found by maint_cmd with
 * symbol_get()) while the DMA goes on, then repaired (soft PPR) and
 * left in service; from the CPU mapping of the buffer no record may be
 * lost, torn or misplaced, and the counters of both modules must agree.
 * A failed evacuation (a destination allocation refused) must leave the
 * page where it is, neither offlined nor repaired under its device.
 *
 * Three engines share the buffer: one writes without end (DMA during
 * the moves), one writes its window exactly once before the first
 * indication (records at rest, which only a correct copy keeps), one
 * writes and reads back, checking what it reads through the new
 * translations.
 */
#include "kselftest_harness.h"
#include "../iommu_migrate/imm_util.h"
#include "mc_util.h"

#define WIN_PAGES	32
#define WINS		3
#define BUF_PAGES	(WIN_PAGES * WINS)
#define WIN_BYTES	(WIN_PAGES * PAGE)
#define SLOTS		(WIN_BYTES / REC)
#define IOVA		0x40000000ULL
#define HITS		2	/* indications per window */

enum { ENG_RUN, ENG_ONCE, ENG_MIXED };

FIXTURE(evac) {
	int imm, dom, buf, eng[WINS];
	char dev[16];
	struct mv_knobs knobs;	/* iommu_migrate's debugfs test hooks */
};

FIXTURE_SETUP(evac)
{
	int i;

	self->imm = -1;
	self->buf = -1;
	self->dev[0] = 0;
	for (i = 0; i < WINS; i++)
		self->eng[i] = -1;
	self->knobs = (struct mv_knobs){ .dir = DEBUGFS };
	if (access(MC_DBG "create", W_OK) && !getenv("MEMVIRT_REQUIRE"))
		SKIP(return, "maint_cmd not loaded");
	self->imm = open(DEV, O_RDWR | O_CLOEXEC);
	if (self->imm < 0 && errno == ENOENT && !getenv("MEMVIRT_REQUIRE"))
		SKIP(return, "iommu_migrate not loaded");
	ASSERT_LE(0, self->imm);
	ASSERT_EQ(0, access("/sys/devices/system/node/node1", F_OK));
	mv_knobs_save(&self->knobs, "fail_next_allocs");
	/* The whole of node 1. */
	ASSERT_EQ(0, mc_create("nid=1", self->dev, sizeof(self->dev)));
	self->dom = imm_domain(self->imm, IOMMU_MIGRATE_FORMAT_RADIX);
	ASSERT_LT(0, self->dom);
	self->buf = imm_buf(self->imm, BUF_PAGES * PAGE, 1);
	ASSERT_LE(0, self->buf);
	ASSERT_EQ(0, imm_map(self->imm, self->buf, self->dom, IOVA,
			     IOMMU_MIGRATE_PROT_READ | IOMMU_MIGRATE_PROT_WRITE));
}

FIXTURE_TEARDOWN_PARENT(evac)
{
	struct iommu_migrate_engine_stats st;
	int i;

	for (i = 0; i < WINS; i++)
		if (self->eng[i] > 0)
			imm_engine_stop(self->imm, self->eng[i], &st);
	mv_knobs_restore(&self->knobs);
	if (self->buf >= 0)
		close(self->buf);
	if (self->imm >= 0)
		close(self->imm);
	if (self->dev[0])
		mc_destroy(self->dev);
}

static long engine_stats(int imm, int id, struct iommu_migrate_engine_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->id = id;
	return imm_ioctl(imm, IOMMU_MIGRATE_IOC_ENGINE_STATS, st);
}

/*
 * Starts the three engines and waits until the bounded one has written
 * its window once and the others have wrapped theirs.
 */
static void start_engines(struct __test_metadata *_metadata, int imm,
			  int dom, int *eng)
{
	static const unsigned int pattern[WINS] = {
		[ENG_RUN] = IOMMU_MIGRATE_PATTERN_SEQ_WRITE,
		[ENG_ONCE] = IOMMU_MIGRATE_PATTERN_SEQ_WRITE,
		[ENG_MIXED] = IOMMU_MIGRATE_PATTERN_MIXED,
	};
	struct iommu_migrate_engine_stats st;
	int i, tries;

	for (i = 0; i < WINS; i++) {
		eng[i] = imm_engine(imm, dom, pattern[i],
					  IOVA + i * WIN_BYTES, WIN_BYTES,
					  i == ENG_ONCE ? SLOTS : 0, 0);
		ASSERT_LT(0, eng[i]);
	}
	for (i = 0; i < WINS; i++) {
		for (tries = 0; tries < 3000; tries++) {
			ASSERT_EQ(0, engine_stats(imm, eng[i], &st));
			if (i == ENG_ONCE ? !st.running : st.writes > SLOTS)
				break;
			usleep(10000);
		}
		ASSERT_LT(tries, 3000) TH_LOG("engine %d: %llu writes", i,
					      (unsigned long long)st.writes);
	}
	ASSERT_EQ(0, engine_stats(imm, eng[ENG_ONCE], &st));
	ASSERT_EQ(SLOTS, st.writes);
}

/* Stops the engines and checks every window from the CPU mapping. */
static void stop_and_check_all(struct __test_metadata *_metadata, int imm,
			       int buf, int *eng)
{
	struct iommu_migrate_engine_stats st;
	struct rec_result r;
	void *p;
	int i;

	p = mmap(NULL, BUF_PAGES * PAGE, PROT_READ, MAP_SHARED, buf, 0);
	ASSERT_NE(MAP_FAILED, p);
	for (i = 0; i < WINS; i++) {
		ASSERT_EQ(0, imm_engine_stop(imm, eng[i], &st));
		eng[i] = -1;
		EXPECT_EQ(0, st.rmt_violations);
		EXPECT_EQ(0, st.faults);
		EXPECT_EQ(0, st.check_errors);
		if (i == ENG_MIXED)
			EXPECT_LT(0, st.checks);
		check_records((char *)p + i * WIN_BYTES, IOVA + i * WIN_BYTES,
			      SLOTS, st.id, st.writes, &r);
		TH_LOG("engine %d: %llu writes, %llu stalls: %lu ok, %lu lost, %lu torn, %lu misplaced",
		       i, (unsigned long long)st.writes,
		       (unsigned long long)st.stalls, r.ok, r.lost, r.torn,
		       r.misplaced);
		EXPECT_EQ(SLOTS, r.ok);
		EXPECT_EQ(0, r.lost);
		EXPECT_EQ(0, r.torn);
		EXPECT_EQ(0, r.misplaced);
	}
	munmap(p, BUF_PAGES * PAGE);
}

/* Buffer page @idx: frame, node, RMT state. */
static void where(struct __test_metadata *_metadata, int imm, int buf,
		  int idx, struct iommu_migrate_page *pg)
{
	ASSERT_EQ(0, imm_page(imm, buf, idx, pg));
}

/*
 * How many domain-mapped pages frame @pfn holds, by an evacuation of
 * it: only for frames that should hold none (it moves what it finds).
 */
static long frame_mapped(int imm, uint64_t pfn)
{
	struct iommu_migrate_evacuate ev = {
		.start_pfn = pfn, .nr_pages = 1, .node = -1,
	};
	long ret = imm_ioctl(imm, IOMMU_MIGRATE_IOC_EVACUATE, &ev);

	return ret ? ret : (long)ev.mapped;
}

/* Injects "gm <dpa> 1 maint": corrected, maintenance needed. */
static int inject(const char *dev, long long dpa)
{
	char cmd[96];

	snprintf(cmd, sizeof(cmd), "gm %#llx 1 maint", dpa);
	return mc_dbg_write(dev, "inject_event", cmd);
}

/**
 * struct one_page - a test of one indication on buffer page @k
 * @old: the page's frame before the indication
 * @dpa: its address on the device
 * @ev: the device's evacuated counter before it
 * @rep: repaired
 * @off: offlined
 * @fail: failed
 * @imm: iommu_migrate's counters before it
 * @fd: the device's event stream
 */
struct one_page {
	uint64_t old;
	long long dpa, ev, rep, off, fail;
	struct iommu_migrate_stats imm;
	int fd;
};

/* Page @k's frame, address and counters; the stream. */
static void one_page_at(struct __test_metadata *_metadata,
			struct _test_data_evac *self, int k, struct one_page *p)
{
	struct iommu_migrate_page pg;

	where(_metadata, self->imm, self->buf, k, &pg);
	p->old = pg.pfn;
	p->dpa = mc_dpa_of(self->dev, p->old);
	ASSERT_LE(0, p->dpa);
	p->ev = mc_dev_read(self->dev, "evacuated");
	p->rep = mc_dev_read(self->dev, "repaired");
	p->off = mc_dev_read(self->dev, "offlined");
	p->fail = mc_dev_read(self->dev, "failed");
	ASSERT_EQ(0, imm_ioctl(self->imm, IOMMU_MIGRATE_IOC_STATS, &p->imm));
	p->fd = mc_open_events(self->dev, O_RDONLY);
	ASSERT_LE(0, p->fd);
}

/* The engines run; then one_page_at(). */
static void one_page_setup(struct __test_metadata *_metadata,
			   struct _test_data_evac *self, int k, struct one_page *p)
{
	start_engines(_metadata, self->imm, self->dom, self->eng);
	one_page_at(_metadata, self, k, p);
}

TEST_F_TIMEOUT(evac, indications_on_dma_pages_evacuate_repair_and_return, 240)
{
	static const int page[WINS * HITS] = { 3, 28, 32 + 7, 32 + 21, 64 + 1, 64 + 30 };
	const int n = WINS * HITS;
	long long dpa[WINS * HITS], ev0, rep0, off0, fail0, used0, absent0;
	uint64_t old[WINS * HITS];
	struct iommu_migrate_stats s0, s1;
	struct iommu_migrate_engine_stats st0, st1;
	struct iommu_migrate_page pg;
	struct maint_cmd_event e;
	int fd, i, got = 0, seen[WINS * HITS] = { 0 };

	for (i = 0; i < BUF_PAGES; i++) {
		where(_metadata, self->imm, self->buf, i, &pg);
		ASSERT_EQ(1, pg.node) TH_LOG("page %d", i);
	}
	start_engines(_metadata, self->imm, self->dom, self->eng);
	for (i = 0; i < n; i++) {
		where(_metadata, self->imm, self->buf, page[i], &pg);
		old[i] = pg.pfn;
		dpa[i] = mc_dpa_of(self->dev, old[i]);
		ASSERT_LE(0, dpa[i]) TH_LOG("pfn %#llx is not on node 1's device",
					    (unsigned long long)old[i]);
	}
	ev0 = mc_dev_read(self->dev, "evacuated");
	rep0 = mc_dev_read(self->dev, "repaired");
	off0 = mc_dev_read(self->dev, "offlined");
	fail0 = mc_dev_read(self->dev, "failed");
	used0 = mv_read_knob(MC_MM, "evac_path_iommu_migrate");
	absent0 = mv_read_knob(MC_MM, "evac_path_absent");
	ASSERT_EQ(0, imm_ioctl(self->imm, IOMMU_MIGRATE_IOC_STATS, &s0));
	ASSERT_EQ(0, engine_stats(self->imm, self->eng[ENG_RUN], &st0));
	fd = mc_open_events(self->dev, O_RDONLY);
	ASSERT_LE(0, fd);
	/* All at once: the actions may run side by side. */
	for (i = 0; i < n; i++)
		ASSERT_EQ(0, inject(self->dev, dpa[i]));
	while (got < n && !mc_next_event(fd, &e, 30000)) {
		for (i = 0; i < n; i++)
			if (e.kind == MAINT_CMD_EV_GENERAL_MEDIA && e.dpa == dpa[i])
				break;
		if (i == n)
			continue;
		EXPECT_EQ(0, seen[i]++) TH_LOG("page %d reported twice", page[i]);
		EXPECT_EQ(0, e.result) TH_LOG("page %d", page[i]);
		EXPECT_EQ(MAINT_CMD_ACT_EVACUATE | MAINT_CMD_ACT_SOFT_PPR, e.actions)
			TH_LOG("page %d", page[i]);
		EXPECT_EQ(e.planned, e.actions);
		EXPECT_EQ(old[i] * MC_PAGE, e.hpa);
		EXPECT_TRUE(e.flags & MAINT_CMD_EVF_MAINT_NEEDED);
		got++;
	}
	ASSERT_EQ(n, got);
	/* The DMA went on meanwhile. */
	ASSERT_EQ(0, engine_stats(self->imm, self->eng[ENG_RUN], &st1));
	EXPECT_LT(st0.writes, st1.writes);
	EXPECT_EQ(1, st1.running);

	/* Each page left its frame for node 0; the old frame is in service. */
	for (i = 0; i < n; i++) {
		where(_metadata, self->imm, self->buf, page[i], &pg);
		EXPECT_NE(old[i], pg.pfn) TH_LOG("page %d not moved", page[i]);
		EXPECT_EQ(0, pg.node) TH_LOG("page %d", page[i]);
		EXPECT_EQ(0, pg.state) TH_LOG("page %d", page[i]);
		EXPECT_EQ(0, frame_mapped(self->imm, old[i])) TH_LOG("page %d", page[i]);
		EXPECT_EQ(0, mc_hwpoisoned(old[i])) TH_LOG("page %d", page[i]);
	}
	/* The other pages stayed where they were. */
	for (i = 0; i < BUF_PAGES; i++) {
		int k, hit = 0;

		for (k = 0; k < n; k++)
			hit |= page[k] == i;
		where(_metadata, self->imm, self->buf, i, &pg);
		if (!hit)
			EXPECT_EQ(1, pg.node) TH_LOG("page %d", i);
	}

	/* The counters of both modules agree. */
	ASSERT_EQ(0, imm_ioctl(self->imm, IOMMU_MIGRATE_IOC_STATS, &s1));
	EXPECT_EQ(ev0 + n, mc_dev_read(self->dev, "evacuated"));
	EXPECT_EQ(rep0 + n, mc_dev_read(self->dev, "repaired"));
	EXPECT_EQ(off0, mc_dev_read(self->dev, "offlined"));
	EXPECT_EQ(fail0, mc_dev_read(self->dev, "failed"));
	EXPECT_EQ(used0 + n, mv_read_knob(MC_MM, "evac_path_iommu_migrate"));
	EXPECT_EQ(absent0, mv_read_knob(MC_MM, "evac_path_absent"));
	EXPECT_EQ(n, mc_model_stat(self->dev, "soft_ppr"));
	EXPECT_EQ(0, mc_model_stat(self->dev, "unadvertised"));
	EXPECT_EQ(n, s1.pages_migrated - s0.pages_migrated);
	EXPECT_EQ(n * PAGE, s1.bytes_migrated - s0.bytes_migrated);
	EXPECT_EQ(0, s1.migrations_aborted - s0.migrations_aborted);
	EXPECT_EQ(0, s1.rmt_violations - s0.rmt_violations);
	EXPECT_EQ(s1.pages_migrated, read_knob("pages_migrated"));

	/* Not one record lost, torn or misplaced. */
	stop_and_check_all(_metadata, self->imm, self->buf, self->eng);
	close(fd);
}

/*
 * iommu_migrate cannot move the page (its destination allocation is
 * refused): the action fails with EBUSY, the page stays on its frame
 * under its device, not offlined, not repaired. The next indication
 * moves it.
 */
TEST_F_TIMEOUT(evac, failed_evacuation_leaves_the_page_in_place, 240)
{
	const int k = 32 + 9;
	struct iommu_migrate_stats s1;
	struct iommu_migrate_page pg;
	struct maint_cmd_event e;
	struct one_page p;

	one_page_setup(_metadata, self, k, &p);
	ASSERT_EQ(0, write_hook("fail_next_allocs", "1"));
	ASSERT_EQ(0, inject(self->dev, p.dpa));
	ASSERT_EQ(0, mc_wait_event(p.fd, &e, MAINT_CMD_EV_GENERAL_MEDIA, p.dpa, 30000));
	EXPECT_EQ(-EBUSY, e.result);
	EXPECT_EQ(MAINT_CMD_ACT_EVACUATE | MAINT_CMD_ACT_SOFT_PPR, e.planned);
	EXPECT_EQ(0, e.actions);
	where(_metadata, self->imm, self->buf, k, &pg);
	EXPECT_EQ(p.old, pg.pfn);
	EXPECT_EQ(0, pg.state);
	EXPECT_EQ(0, mc_hwpoisoned(p.old));
	EXPECT_EQ(p.ev, mc_dev_read(self->dev, "evacuated"));
	EXPECT_EQ(p.rep, mc_dev_read(self->dev, "repaired"));
	EXPECT_EQ(p.off, mc_dev_read(self->dev, "offlined"));
	EXPECT_EQ(p.fail + 1, mc_dev_read(self->dev, "failed"));
	EXPECT_EQ(0, mc_model_stat(self->dev, "soft_ppr"));
	ASSERT_EQ(0, imm_ioctl(self->imm, IOMMU_MIGRATE_IOC_STATS, &s1));
	EXPECT_EQ(1, s1.migrations_aborted - p.imm.migrations_aborted);
	EXPECT_EQ(0, s1.pages_migrated - p.imm.pages_migrated);

	/* Again, with the allocator willing: moved, repaired. */
	ASSERT_EQ(0, inject(self->dev, p.dpa));
	ASSERT_EQ(0, mc_wait_event(p.fd, &e, MAINT_CMD_EV_GENERAL_MEDIA, p.dpa, 30000));
	EXPECT_EQ(0, e.result);
	EXPECT_EQ(MAINT_CMD_ACT_EVACUATE | MAINT_CMD_ACT_SOFT_PPR, e.actions);
	where(_metadata, self->imm, self->buf, k, &pg);
	EXPECT_NE(p.old, pg.pfn);
	EXPECT_EQ(p.ev + 1, mc_dev_read(self->dev, "evacuated"));
	EXPECT_EQ(p.rep + 1, mc_dev_read(self->dev, "repaired"));
	ASSERT_EQ(0, imm_ioctl(self->imm, IOMMU_MIGRATE_IOC_STATS, &s1));
	EXPECT_EQ(1, s1.pages_migrated - p.imm.pages_migrated);
	EXPECT_EQ(0, s1.rmt_violations - p.imm.rmt_violations);

	stop_and_check_all(_metadata, self->imm, self->buf, self->eng);
	close(p.fd);
}

/*
 * The page leaves its frame (another migration moves it) after the
 * policy chose evacuation and before the evacuation runs: the action
 * finds nothing to move and takes the plain path on the frame, which
 * no device maps any more: soft offline, repair, back in service.
 */
TEST_F_TIMEOUT(evac, page_gone_before_evacuation_takes_the_plain_path, 240)
{
	const int k = 64 + 5;
	struct iommu_migrate_migrate m;
	struct iommu_migrate_page pg;
	struct maint_cmd_event e;
	struct one_page p;

	one_page_setup(_metadata, self, k, &p);
	long long looked = mv_read_knob(MC_MM, "evac_path_iommu_migrate");
	double end;

	ASSERT_EQ(0, mc_dbg_write(self->dev, "action_delay_ms", "5000"));
	ASSERT_EQ(0, inject(self->dev, p.dpa));
	/* The action has looked the page up, planned the evacuation and waits. */
	for (end = mc_now() + 60; mc_now() < end; usleep(1000))
		if (mv_read_knob(MC_MM, "evac_path_iommu_migrate") > looked)
			break;
	ASSERT_LT(looked, mv_read_knob(MC_MM, "evac_path_iommu_migrate"));
	/* Moved first, within the action's 5 s wait. */
	ASSERT_EQ(0, imm_migrate(self->imm, self->buf, 0, k * PAGE, PAGE, &m));
	EXPECT_EQ(1, m.moved);
	ASSERT_EQ(0, mc_wait_event(p.fd, &e, MAINT_CMD_EV_GENERAL_MEDIA, p.dpa, 30000));
	mc_dbg_write(self->dev, "action_delay_ms", "0");
	EXPECT_EQ(0, e.result);
	EXPECT_EQ(MAINT_CMD_ACT_SOFT_OFFLINE | MAINT_CMD_ACT_SOFT_PPR |
		  MAINT_CMD_ACT_UNPOISON, e.actions);
	EXPECT_EQ(e.planned, e.actions);
	EXPECT_EQ(p.ev, mc_dev_read(self->dev, "evacuated"));
	EXPECT_EQ(p.off + 1, mc_dev_read(self->dev, "offlined"));
	EXPECT_EQ(p.fail, mc_dev_read(self->dev, "failed"));
	EXPECT_EQ(0, mc_hwpoisoned(p.old));
	where(_metadata, self->imm, self->buf, k, &pg);
	EXPECT_EQ(0, pg.node);
	stop_and_check_all(_metadata, self->imm, self->buf, self->eng);
	close(p.fd);
}

/*
 * Engine @eng's stats once it faulted, or after 30 s: within a wrap of
 * its window the engine reaches a blocked page.
 */
static void wait_fault(struct __test_metadata *_metadata, int imm, int eng,
		       struct iommu_migrate_engine_stats *st)
{
	int i;

	for (i = 0; i < 3000; i++) {
		ASSERT_EQ(0, engine_stats(imm, eng, st));
		if (st->faults)
			break;
		usleep(10000);
	}
}

/*
 * Uncorrectable poison on a page an engine is writing: the data is
 * lost, and no device may go on writing poisoned memory. iommu_migrate
 * blocks the page: the engine, which writes its window in order, faults
 * on the page's first record and writes nothing more; the page is
 * marked poisoned and stays on its frame, in its buffer, not repaired.
 * The other engines go on. A second record for the page does not count
 * it in dma_blocked again.
 */
TEST_F_TIMEOUT(evac, poison_on_a_dma_page_blocks_its_devices, 240)
{
	const int k = 10;	/* in ENG_RUN's window */
	struct iommu_migrate_engine_stats st0, st1, mx0, mx1;
	struct iommu_migrate_stats s1;
	struct iommu_migrate_page pg;
	struct maint_cmd_event e;
	struct one_page p;
	char cmd[96];

	one_page_setup(_metadata, self, k, &p);
	snprintf(cmd, sizeof(cmd), "gm %#llx 2 uncorrectable", p.dpa);
	ASSERT_EQ(0, mc_dbg_write(self->dev, "inject_event", cmd));
	ASSERT_EQ(0, mc_wait_event(p.fd, &e, MAINT_CMD_EV_GENERAL_MEDIA, p.dpa, 30000));
	EXPECT_EQ(0, e.result);
	EXPECT_EQ(MAINT_CMD_ACT_BLOCK_DMA | MAINT_CMD_ACT_HARD_OFFLINE, e.planned);
	EXPECT_EQ(e.planned, e.actions);
	EXPECT_EQ(1, mc_dev_read(self->dev, "dma_blocked"));
	where(_metadata, self->imm, self->buf, k, &pg);
	EXPECT_EQ(p.old, pg.pfn);
	EXPECT_EQ(2, pg.state);		/* blocked */
	EXPECT_EQ(1, mc_hwpoisoned(p.old));
	/*
	 * A second record, on another line of the page: blocked again
	 * (it is poisoned, and mapped), but dma_blocked counts pages.
	 */
	snprintf(cmd, sizeof(cmd), "gm %#llx 2 uncorrectable", p.dpa + 64);
	ASSERT_EQ(0, mc_dbg_write(self->dev, "inject_event", cmd));
	ASSERT_EQ(0, mc_wait_event(p.fd, &e, MAINT_CMD_EV_GENERAL_MEDIA, p.dpa + 64, 30000));
	EXPECT_EQ(0, e.result);
	EXPECT_EQ(MAINT_CMD_ACT_BLOCK_DMA, e.planned);
	EXPECT_EQ(e.planned, e.actions);
	EXPECT_EQ(1, mc_dev_read(self->dev, "dma_blocked"));
	wait_fault(_metadata, self->imm, self->eng[ENG_RUN], &st0);
	ASSERT_LT(0, st0.faults);
	ASSERT_EQ(0, engine_stats(self->imm, self->eng[ENG_MIXED], &mx0));
	usleep(300 * 1000);
	ASSERT_EQ(0, engine_stats(self->imm, self->eng[ENG_RUN], &st1));
	ASSERT_EQ(0, engine_stats(self->imm, self->eng[ENG_MIXED], &mx1));
	/* Stuck on a record of the page, faulting, writing nothing. */
	EXPECT_EQ(st0.writes, st1.writes);
	EXPECT_LT(st0.faults, st1.faults);
	/*
	 * On a record of the page: its first, unless the engine was in
	 * the page already when the block came (a slow machine).
	 */
	EXPECT_LE(k * PAGE / REC, st1.writes % SLOTS);
	EXPECT_GT((k + 1) * PAGE / REC, st1.writes % SLOTS);
	EXPECT_EQ(0, st1.rmt_violations);
	EXPECT_LT(mx0.writes, mx1.writes);
	/* Lost data is not copied elsewhere, nor repaired under its owner. */
	ASSERT_EQ(0, imm_ioctl(self->imm, IOMMU_MIGRATE_IOC_STATS, &s1));
	EXPECT_EQ(0, s1.pages_migrated - p.imm.pages_migrated);
	EXPECT_EQ(0, s1.rmt_violations - p.imm.rmt_violations);
	EXPECT_EQ(p.ev, mc_dev_read(self->dev, "evacuated"));
	EXPECT_EQ(p.rep, mc_dev_read(self->dev, "repaired"));
	EXPECT_EQ(p.fail, mc_dev_read(self->dev, "failed"));
	EXPECT_EQ(1, mc_dev_read(self->dev, "hard_offlined"));
	EXPECT_EQ(0, mc_model_stat(self->dev, "soft_ppr"));
	close(p.fd);
}

/*
 * Lost data on a page of a buffer an engine writes, which another agent
 * poisoned first (hwpoison's corrupt-pfn: memory_failure() marks the
 * page but cannot take it from iommu_migrate). The page is its owner's,
 * not the host's, but no device may go on writing poisoned memory: the
 * host blocks its DMA and does nothing else (no offline, repair, clear
 * or return); the engine faults on the page.
 */
TEST_F_TIMEOUT(evac, lost_data_on_a_page_poisoned_by_another_is_fenced, 240)
{
	const int k = 12;	/* in ENG_RUN's window */
	struct iommu_migrate_engine_stats st;
	struct iommu_migrate_page pg;
	struct maint_cmd_event e;
	struct one_page p;
	char cmd[96];
	int ret;

	one_page_setup(_metadata, self, k, &p);
	ret = mc_hwpoison_other("corrupt-pfn", p.old);
	if (ret == -ENOENT)
		SKIP(goto out, "no " MC_HWPOISON "corrupt-pfn");
	/* Marked, but not taken from its owner. */
	EXPECT_EQ(-EBUSY, ret);
	ASSERT_EQ(1, mc_hwpoisoned(p.old));
	snprintf(cmd, sizeof(cmd), "gm %#llx 2 uncorrectable", p.dpa);
	ASSERT_EQ(0, mc_dbg_write(self->dev, "inject_event", cmd));
	ASSERT_EQ(0, mc_wait_event(p.fd, &e, MAINT_CMD_EV_GENERAL_MEDIA, p.dpa, 30000));
	EXPECT_EQ(0, e.result);
	EXPECT_EQ(MAINT_CMD_ACT_BLOCK_DMA, e.planned);
	EXPECT_EQ(MAINT_CMD_ACT_BLOCK_DMA, e.actions);
	EXPECT_EQ(1, mc_dev_read(self->dev, "dma_blocked"));
	where(_metadata, self->imm, self->buf, k, &pg);
	EXPECT_EQ(p.old, pg.pfn);
	EXPECT_EQ(2, pg.state);		/* blocked */
	wait_fault(_metadata, self->imm, self->eng[ENG_RUN], &st);
	EXPECT_LT(0, st.faults);
	EXPECT_EQ(1, mc_hwpoisoned(p.old));
	EXPECT_EQ(0, mc_dev_read(self->dev, "hard_offlined"));
	EXPECT_EQ(0, mc_dev_read(self->dev, "poison_cleared"));
	EXPECT_EQ(0, mc_dev_read(self->dev, "unpoisoned"));
	EXPECT_EQ(p.rep, mc_dev_read(self->dev, "repaired"));
	EXPECT_EQ(p.fail, mc_dev_read(self->dev, "failed"));
	EXPECT_EQ(0, mc_model_stat(self->dev, "soft_ppr"));
out:
	close(p.fd);
}

/*
 * Pages poisoned but still held by their owner, here an iommu_migrate
 * buffer (memory_failure() cannot take them): the administrator's
 * repair of their addresses (allowed: the device reported them) must not
 * put them back in service. Unpoisoning would drop the buffer's
 * reference and hand the frame to the allocator under it (page B, not
 * mapped by any process) or fail on the owner's mapping (page A, mapped
 * here). Both stay poisoned, in their buffer, on their frames; no frame
 * is given to anyone else; A's data reads back intact.
 */
TEST_F_TIMEOUT(evac, repair_leaves_a_page_poisoned_under_its_owner, 120)
{
	enum { A = 40, B = 41, CHURN = 512 };
	const int k[2] = { A, B };
	struct iommu_migrate_page pg;
	struct maint_cmd_event e;
	uint64_t pfn[2];
	long long dpa[2];
	uint8_t *p, *churn;
	char cmd[96];
	int fd, i, j, given = 0;

	p = mmap(NULL, BUF_PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
		 self->buf, 0);
	ASSERT_NE(MAP_FAILED, p);
	for (i = 0; i < 2; i++)
		mc_fill(p + k[i] * PAGE, 900 + i);
	/* B: no process maps it; A stays mapped here. */
	ASSERT_EQ(0, munmap(p + B * PAGE, PAGE));
	fd = mc_open_events(self->dev, O_RDONLY);
	ASSERT_LE(0, fd);
	for (i = 0; i < 2; i++) {
		where(_metadata, self->imm, self->buf, k[i], &pg);
		pfn[i] = pg.pfn;
		dpa[i] = mc_dpa_of(self->dev, pfn[i]);
		ASSERT_LE(0, dpa[i]);
		snprintf(cmd, sizeof(cmd), "gm %#llx 2 uncorrectable", dpa[i]);
		ASSERT_EQ(0, mc_dbg_write(self->dev, "inject_event", cmd));
		ASSERT_EQ(0, mc_wait_event(fd, &e, MAINT_CMD_EV_GENERAL_MEDIA,
					   dpa[i], 30000));
		EXPECT_EQ(0, e.result);
		EXPECT_EQ(MAINT_CMD_ACT_BLOCK_DMA | MAINT_CMD_ACT_HARD_OFFLINE,
			  e.actions);
		EXPECT_EQ(1, mc_hwpoisoned(pfn[i]));
	}
	/* Two pages, two blocked. */
	EXPECT_EQ(2, mc_dev_read(self->dev, "dma_blocked"));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, mc_dev_write_num(self->dev, "mem_repair0/dpa", dpa[i]));
		EXPECT_EQ(0, mc_dev_write(self->dev, "mem_repair0/repair", "1"));
		ASSERT_EQ(0, mc_wait_event(fd, &e, MAINT_CMD_EV_REPAIR, dpa[i], 30000));
		EXPECT_EQ(0, e.result);
		EXPECT_EQ(MAINT_CMD_ACT_SOFT_PPR, e.planned) TH_LOG("page %d", k[i]);
		EXPECT_EQ(e.planned, e.actions);
		EXPECT_EQ(1, mc_hwpoisoned(pfn[i])) TH_LOG("page %d", k[i]);
	}
	EXPECT_EQ(2, mc_model_stat(self->dev, "soft_ppr"));
	EXPECT_EQ(0, mc_dev_read(self->dev, "unpoisoned"));
	EXPECT_EQ(0, mc_dev_read(self->dev, "poison_cleared"));
	/* A freed frame would go to the next allocations on this CPU. */
	churn = mc_node_pages(CHURN, 1);
	ASSERT_NE(NULL, churn);
	for (j = 0; j < CHURN; j++) {
		uint64_t got = mc_pfn_of(churn + j * MC_PAGE);

		given += got == pfn[0] || got == pfn[1];
	}
	EXPECT_EQ(0, given);
	munmap(churn, CHURN * MC_PAGE);
	for (i = 0; i < 2; i++) {
		where(_metadata, self->imm, self->buf, k[i], &pg);
		EXPECT_EQ(pfn[i], pg.pfn);
		EXPECT_EQ(2, pg.state);		/* blocked */
	}
	EXPECT_TRUE(mc_check(p + A * PAGE, 900));
	close(fd);
	munmap(p, A * PAGE + PAGE);
	munmap(p + (B + 1) * PAGE, (BUF_PAGES - B - 1) * PAGE);
}

/*
 * A soft offline the kernel refuses says nothing to its caller
 * (memory_failure_queue() returns nothing): a page of an iommu_migrate
 * buffer that no domain maps is not evacuated, and soft_offline_page()
 * cannot migrate it. The host's wait ends, the action fails with
 * ETIMEDOUT, and offline_timeouts counts it; the page stays in service.
 */
TEST_F_TIMEOUT(evac, refused_soft_offline_is_counted, 60)
{
	char knob[32] = "";
	struct iommu_migrate_page pg;
	struct maint_cmd_event e;
	long long dpa, fail0;
	char cmd[96];
	int buf, fd;

	buf = imm_buf(self->imm, PAGE, 1);
	ASSERT_LE(0, buf);
	where(_metadata, self->imm, buf, 0, &pg);
	dpa = mc_dpa_of(self->dev, pg.pfn);
	ASSERT_LE(0, dpa);
	ASSERT_EQ(0, mc_read_file(MC_MM "offline_timeout_ms", knob, sizeof(knob)));
	ASSERT_EQ(0, mc_write_file(MC_MM "offline_timeout_ms", "200"));
	fail0 = mc_dev_read(self->dev, "failed");
	fd = mc_open_events(self->dev, O_RDONLY);
	ASSERT_LE(0, fd);
	snprintf(cmd, sizeof(cmd), "gm %#llx 1 maint", dpa);
	ASSERT_EQ(0, mc_dbg_write(self->dev, "inject_event", cmd));
	EXPECT_EQ(0, mc_wait_event(fd, &e, MAINT_CMD_EV_GENERAL_MEDIA, dpa, 30000));
	mc_write_file(MC_MM "offline_timeout_ms", knob);
	EXPECT_EQ(-ETIMEDOUT, e.result);
	EXPECT_TRUE(e.planned & MAINT_CMD_ACT_SOFT_OFFLINE);
	EXPECT_EQ(0, e.actions);
	EXPECT_EQ(1, mc_dev_read(self->dev, "offline_timeouts"));
	EXPECT_EQ(fail0 + 1, mc_dev_read(self->dev, "failed"));
	EXPECT_EQ(0, mc_hwpoisoned(pg.pfn));
	close(fd);
	close(buf);
}

/* The fixture's device replaced by one whose PPR wants the memory idle. */
static void offline_only_device(struct __test_metadata *_metadata,
				struct _test_data_evac *self)
{
	char dev2[16];

	ASSERT_EQ(0, mc_destroy(self->dev));
	self->dev[0] = 0;
	ASSERT_EQ(0, mc_create("nid=1 offline_only=1", dev2, sizeof(dev2)));
	memcpy(self->dev, dev2, sizeof(dev2));
}

/*
 * A repair whose feature wants the memory idle (offline_only): the page
 * under DMA is evacuated, then the vacated frame is soft-offlined
 * before its PPR and comes back to service after it. DMA goes on
 * throughout and no record is lost. The frame went back to the
 * allocator as the evacuation ended: if the kernel took it for itself
 * before the soft offline (a page soft offline cannot migrate), the
 * wait ends in ETIMEDOUT with nothing done after the evacuation. That
 * is correct, but it is not the path under test: the test tries
 * another page then, and fails if the main path never ran.
 */
#define OO_TRIES	3

TEST_F_TIMEOUT(evac, offline_only_repair_offlines_the_vacated_frame, 240)
{
	const uint32_t all = MAINT_CMD_ACT_EVACUATE | MAINT_CMD_ACT_SOFT_OFFLINE |
			     MAINT_CMD_ACT_SOFT_PPR | MAINT_CMD_ACT_UNPOISON;
	const int k = 32 + 13;
	long long ppr, tmo, unp;
	struct iommu_migrate_page pg;
	struct maint_cmd_event e;
	struct one_page p;
	int try, main_path = 0;

	offline_only_device(_metadata, self);
	EXPECT_EQ(0, mc_dev_read(self->dev, "mem_repair0/repair_safe_when_in_use"));
	start_engines(_metadata, self->imm, self->dom, self->eng);
	for (try = 0; try < OO_TRIES && !main_path; try++) {
		one_page_at(_metadata, self, k + try, &p);
		ppr = mc_model_stat(self->dev, "soft_ppr");
		tmo = mc_dev_read(self->dev, "offline_timeouts");
		unp = mc_dev_read(self->dev, "unpoisoned");
		ASSERT_EQ(0, inject(self->dev, p.dpa));
		ASSERT_EQ(0, mc_wait_event(p.fd, &e, MAINT_CMD_EV_GENERAL_MEDIA, p.dpa, 30000));
		close(p.fd);
		EXPECT_EQ(all, e.planned);
		where(_metadata, self->imm, self->buf, k + try, &pg);
		EXPECT_NE(p.old, pg.pfn);
		EXPECT_EQ(p.ev + 1, mc_dev_read(self->dev, "evacuated"));
		EXPECT_EQ(0, frame_mapped(self->imm, p.old));
		if (e.result == -ETIMEDOUT) {
			TH_LOG("try %d: timeout branch: vacated frame %#llx taken by the kernel before its soft offline: kpageflags %#llx",
			       try, (unsigned long long)p.old,
			       (unsigned long long)mc_kpageflags(p.old));
			EXPECT_EQ(MAINT_CMD_ACT_EVACUATE, e.actions);
			EXPECT_EQ(ppr, mc_model_stat(self->dev, "soft_ppr"));
			EXPECT_EQ(tmo + 1, mc_dev_read(self->dev, "offline_timeouts"));
			continue;
		}
		TH_LOG("try %d: main branch: vacated frame %#llx offlined, repaired, back",
		       try, (unsigned long long)p.old);
		main_path = 1;
		EXPECT_EQ(0, e.result);
		EXPECT_EQ(all, e.actions);
		EXPECT_EQ(p.off + 1, mc_dev_read(self->dev, "offlined"));
		EXPECT_EQ(unp + 1, mc_dev_read(self->dev, "unpoisoned"));
		EXPECT_EQ(ppr + 1, mc_model_stat(self->dev, "soft_ppr"));
		EXPECT_EQ(0, mc_hwpoisoned(p.old));
		EXPECT_EQ(p.fail, mc_dev_read(self->dev, "failed"));
	}
	EXPECT_TRUE(main_path) TH_LOG("the kernel took the vacated frame in all %d tries",
				      OO_TRIES);
	stop_and_check_all(_metadata, self->imm, self->buf, self->eng);
}

/*
 * The frame an evacuation vacated goes back to the allocator; before
 * the soft offline an OFFLINE_ONLY repair wants, another agent poisons
 * it (mc_poison_unowned(): the kernel's soft offline, or hwpoison's
 * corrupt-pfn on a free frame). The poison is not the host's: the soft
 * offline ends with EBUSY instead of taking it for its own, so the
 * frame is neither repaired as offline memory nor unpoisoned by the
 * host. DMA is unaffected. Whoever took the frame meanwhile loses
 * nothing: the poisoning moves a user's data first, or is refused (then
 * the test skips, having done nothing).
 */
TEST_F_TIMEOUT(evac, vacated_frame_poisoned_by_another_is_not_taken, 240)
{
	const int k = 64 + 11;
	struct maint_cmd_event e;
	struct one_page p;
	uint64_t flags;
	int ret;

	offline_only_device(_metadata, self);
	one_page_setup(_metadata, self, k, &p);
	ASSERT_EQ(0, mc_dbg_write(self->dev, "offline_delay_ms", "3000"));
	ASSERT_EQ(0, inject(self->dev, p.dpa));
	/* Evacuated; the action waits before its soft offline. */
	ASSERT_EQ(p.ev + 1, mc_wait_dev_stat(self->dev, "evacuated", p.ev + 1, 60));
	flags = mc_kpageflags(p.old);
	ret = mc_poison_unowned(p.old);
	if (ret == -ENOENT)
		SKIP(goto out, "no way to poison a frame as another agent");
	ASSERT_LE(0, ret) TH_LOG("poisoning %#llx: %d", (unsigned long long)p.old, ret);
	if (!ret)
		SKIP(goto out, "vacated frame %#llx not poisoned (refused): kpageflags %#llx",
		     (unsigned long long)p.old, (unsigned long long)flags);
	ASSERT_EQ(0, mc_wait_event(p.fd, &e, MAINT_CMD_EV_GENERAL_MEDIA, p.dpa, 30000));
	EXPECT_EQ(-EBUSY, e.result);
	EXPECT_EQ(MAINT_CMD_ACT_EVACUATE, e.actions);
	EXPECT_EQ(p.off, mc_dev_read(self->dev, "offlined"));
	EXPECT_EQ(0, mc_dev_read(self->dev, "unpoisoned"));
	EXPECT_EQ(0, mc_dev_read(self->dev, "offline_timeouts"));
	EXPECT_EQ(0, mc_model_stat(self->dev, "soft_ppr"));
	EXPECT_EQ(1, mc_hwpoisoned(p.old));
	/* The host's repair of it is refused: in use, not the host's. */
	ASSERT_EQ(0, mc_dev_write_num(self->dev, "mem_repair0/dpa", p.dpa));
	EXPECT_EQ(-EBUSY, mc_dev_write(self->dev, "mem_repair0/repair", "1"));
	EXPECT_EQ(1, mc_hwpoisoned(p.old));
	/* Back to node 1 by the agent that poisoned it (not asserted). */
	mc_hwpoison_other("unpoison-pfn", p.old);
out:
	mc_dbg_write(self->dev, "offline_delay_ms", "0");
	stop_and_check_all(_metadata, self->imm, self->buf, self->eng);
	close(p.fd);
}

TEST_HARNESS_MAIN
