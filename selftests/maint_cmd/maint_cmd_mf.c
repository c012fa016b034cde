// SPDX-License-Identifier: GPL-2.0
/*
 * maint_cmd and Linux memory-failure handling, on pages of NUMA node 1
 * (the model's media):
 *  - a corrected error with maintenance needed on a page this process
 *    uses: the page is soft-offlined, the data is intact at its new
 *    place (every word checked), the PPR runs, the page comes back;
 *  - uncorrectable poison on a page a child maps: the child gets
 *    SIGBUS only when it touches that page, and the page stays
 *    isolated until the administrator repairs it;
 *  - a flood of indications while commands time out, the module
 *    refuses to unload, and the device is removed under the flood.
 */
#include <setjmp.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "memvirt_ksft.h"
#include "mc_util.h"

#define PAGES	16

#ifndef MFD_HUGETLB
#define MFD_HUGETLB	4U
#endif
#define MF_HUGE		(2UL << 20)
#define MF_NODE1_HUGE	"/sys/devices/system/node/node1/hugepages/hugepages-2048kB/"
#define KPF_COMPOUND_HEAD	15
#define KPF_HUGE	17

FIXTURE(mf) {
	char dev[16];
	struct mv_knobs knobs;
	struct mv_knobs huge;
	struct mv_knobs vm;
	struct mv_knobs hwp;
};

FIXTURE_SETUP(mf)
{
	self->dev[0] = 0;
	self->knobs = (struct mv_knobs){ .dir = MC_MM };
	self->huge = (struct mv_knobs){ .dir = MF_NODE1_HUGE };
	self->vm = (struct mv_knobs){ .dir = MC_VM };
	self->hwp = (struct mv_knobs){ .dir = MC_HWPOISON };
	if (access(MC_DBG "create", W_OK) && !getenv("MEMVIRT_REQUIRE"))
		SKIP(return, "maint_cmd not loaded");
	ASSERT_EQ(0, access("/sys/devices/system/node/node1", F_OK));
	/* The whole of node 1. */
	ASSERT_EQ(0, mc_create("nid=1", self->dev, sizeof(self->dev)));
}

FIXTURE_TEARDOWN_PARENT(mf)
{
	/* hwpoison's filter first: it filters soft offlines too. */
	mv_knobs_restore(&self->hwp);
	mv_knobs_restore(&self->knobs);
	if (self->dev[0])
		mc_destroy(self->dev);
	mv_knobs_restore(&self->huge);
	mv_knobs_restore(&self->vm);
}

/* The fixture's device replaced by a new one made from @spec. */
static void mf_recreate(struct __test_metadata *_metadata,
			struct _test_data_mf *self, const char *spec)
{
	char dev2[16];

	ASSERT_EQ(0, mc_destroy(self->dev));
	self->dev[0] = 0;
	ASSERT_EQ(0, mc_create(spec, dev2, sizeof(dev2)));
	memcpy(self->dev, dev2, sizeof(dev2));
}

/*
 * @n pages of node 1, page i holding pattern @seq + i, with their
 * frames and their addresses on device @dev.
 */
static uint8_t *mf_pages(struct __test_metadata *_metadata, const char *dev,
			 int n, int seq, uint64_t *pfn, long long *dpa)
{
	uint8_t *buf = mc_node_pages(n, 1);
	int i;

	ASSERT_NE(NULL, buf);
	for (i = 0; i < n; i++) {
		mc_fill(buf + i * MC_PAGE, seq + i);
		pfn[i] = mc_pfn_of(buf + i * MC_PAGE);
		dpa[i] = mc_dpa_of(dev, pfn[i]);
		ASSERT_LE(0, dpa[i]);
	}
	return buf;
}

TEST_F(mf, corrected_error_soft_offlines_repairs_and_returns_the_page)
{
	struct maint_cmd_event e;
	uint64_t pfn[PAGES], old;
	long long dpa, off0, rep0, unp0;
	char cmd[96];
	uint8_t *buf;
	int fd, i, k = 5;

	buf = mc_node_pages(PAGES, 1);
	ASSERT_NE(NULL, buf);
	for (i = 0; i < PAGES; i++) {
		mc_fill(buf + i * MC_PAGE, 1000 + i);
		pfn[i] = mc_pfn_of(buf + i * MC_PAGE);
		ASSERT_NE(0, pfn[i]);
	}
	old = pfn[k];
	dpa = mc_dpa_of(self->dev, old);
	ASSERT_LE(0, dpa) TH_LOG("pfn %#llx is not on node 1's device",
				 (unsigned long long)old);
	off0 = mc_dev_read(self->dev, "offlined");
	rep0 = mc_dev_read(self->dev, "repaired");
	unp0 = mc_dev_read(self->dev, "unpoisoned");
	fd = mc_open_events(self->dev, O_RDONLY);
	ASSERT_LE(0, fd);
	snprintf(cmd, sizeof(cmd), "gm %#llx 1 maint threshold", dpa + 0x80);
	ASSERT_EQ(0, mc_dbg_write(self->dev, "inject_event", cmd));
	ASSERT_EQ(0, mc_wait_event(fd, &e, MAINT_CMD_EV_GENERAL_MEDIA, dpa + 0x80, 30000));
	EXPECT_EQ(0, e.result);
	EXPECT_EQ(MAINT_CMD_ACT_SOFT_OFFLINE | MAINT_CMD_ACT_SOFT_PPR |
		  MAINT_CMD_ACT_UNPOISON, e.actions);
	EXPECT_EQ(e.planned, e.actions);
	EXPECT_EQ(old * MC_PAGE + 0x80, e.hpa);
	EXPECT_TRUE(e.flags & MAINT_CMD_EVF_MAINT_NEEDED);
	/* The data moved and is intact, every word of every page. */
	EXPECT_NE(old, mc_pfn_of(buf + k * MC_PAGE));
	for (i = 0; i < PAGES; i++)
		EXPECT_TRUE(mc_check(buf + i * MC_PAGE, 1000 + i)) TH_LOG("page %d", i);
	/* Repaired and back in service. */
	EXPECT_EQ(0, mc_hwpoisoned(old));
	EXPECT_EQ(off0 + 1, mc_dev_read(self->dev, "offlined"));
	EXPECT_EQ(rep0 + 1, mc_dev_read(self->dev, "repaired"));
	EXPECT_EQ(unp0 + 1, mc_dev_read(self->dev, "unpoisoned"));
	EXPECT_EQ(1, mc_model_stat(self->dev, "soft_ppr"));
	EXPECT_EQ(0, mc_model_stat(self->dev, "unadvertised"));
	/* Still ours, still writable. */
	mc_fill(buf + k * MC_PAGE, 7);
	EXPECT_TRUE(mc_check(buf + k * MC_PAGE, 7));
	close(fd);
	munmap(buf, PAGES * MC_PAGE);
}

/*
 * The device asks for row sparing: the page leaves, the row is spared
 * rather than PPR'd, the page comes back with its data. A device
 * without the sparing feature gets the PPR of repair_mode instead.
 */
TEST_F(mf, device_requested_sparing)
{
	struct maint_cmd_event e;
	char cmd[96];
	long long dpa;
	uint64_t pfn;
	uint8_t *buf;
	int fd;

	buf = mc_node_pages(2, 1);
	ASSERT_NE(NULL, buf);
	mc_fill(buf, 5);
	pfn = mc_pfn_of(buf);
	dpa = mc_dpa_of(self->dev, pfn);
	ASSERT_LE(0, dpa);
	fd = mc_open_events(self->dev, O_RDONLY);
	ASSERT_LE(0, fd);
	snprintf(cmd, sizeof(cmd), "dram %#llx 1 spare row=9", dpa);
	ASSERT_EQ(0, mc_dbg_write(self->dev, "inject_event", cmd));
	ASSERT_EQ(0, mc_wait_event(fd, &e, MAINT_CMD_EV_DRAM, dpa, 30000));
	EXPECT_EQ(0, e.result);
	EXPECT_EQ(MAINT_CMD_ACT_SOFT_OFFLINE | MAINT_CMD_ACT_SPARE |
		  MAINT_CMD_ACT_UNPOISON, e.actions);
	EXPECT_EQ(1, mc_dev_read(self->dev, "spared"));
	EXPECT_EQ(0, mc_dev_read(self->dev, "repaired"));
	EXPECT_EQ(1, mc_model_stat(self->dev, "row_sparing"));
	EXPECT_EQ(0, mc_hwpoisoned(pfn));
	EXPECT_TRUE(mc_check(buf, 5));
	close(fd);
	/* No sparing feature (soft and hard PPR, host caps only). */
	mf_recreate(_metadata, self, "nid=1 feats=7");
	pfn = mc_pfn_of(buf);
	dpa = mc_dpa_of(self->dev, pfn);
	fd = mc_open_events(self->dev, O_RDONLY);
	ASSERT_LE(0, fd);
	snprintf(cmd, sizeof(cmd), "dram %#llx 1 spare", dpa);
	ASSERT_EQ(0, mc_dbg_write(self->dev, "inject_event", cmd));
	ASSERT_EQ(0, mc_wait_event(fd, &e, MAINT_CMD_EV_DRAM, dpa, 30000));
	EXPECT_EQ(0, e.result);
	EXPECT_EQ(MAINT_CMD_ACT_SOFT_OFFLINE | MAINT_CMD_ACT_SOFT_PPR |
		  MAINT_CMD_ACT_UNPOISON, e.actions);
	EXPECT_EQ(0, mc_model_stat(self->dev, "row_sparing"));
	EXPECT_EQ(0, mc_model_stat(self->dev, "unadvertised"));
	EXPECT_TRUE(mc_check(buf, 5));
	close(fd);
	munmap(buf, 2 * MC_PAGE);
}

/* A page of node 1 holding pattern @seq; its pfn and the device's DPA. */
static uint8_t *mf_page(struct __test_metadata *_metadata, const char *dev,
			int seq, uint64_t *pfn, long long *dpa)
{
	uint8_t *buf = mc_node_pages(1, 1);

	ASSERT_NE(NULL, buf);
	mc_fill(buf, seq);
	*pfn = mc_pfn_of(buf);
	*dpa = mc_dpa_of(dev, *pfn);
	ASSERT_LE(0, *dpa);
	return buf;
}

/* Injects "@kind @dpa @rest" and waits for the record of its action. */
static void mf_inject_wait(struct __test_metadata *_metadata, const char *dev,
			   int fd, const char *kind, long long dpa,
			   const char *rest, struct maint_cmd_event *e)
{
	char cmd[96];

	snprintf(cmd, sizeof(cmd), "%s %#llx %s", kind, dpa, rest);
	ASSERT_EQ(0, mc_dbg_write(dev, "inject_event", cmd));
	ASSERT_EQ(0, mc_wait_event(fd, e, strcmp(kind, "gm") ?
				   MAINT_CMD_EV_DRAM : MAINT_CMD_EV_GENERAL_MEDIA,
				   dpa, 30000));
}

/*
 * Two records for one page, back to back: their actions run one after
 * the other, the second on the frame the first returned to service.
 * Each record is offlined and repaired once, unless the kernel took
 * the frame for itself in between (see below).
 */
TEST_F(mf, two_records_on_one_page_are_handled_in_turn)
{
	const uint32_t all = MAINT_CMD_ACT_SOFT_OFFLINE | MAINT_CMD_ACT_SOFT_PPR |
			     MAINT_CMD_ACT_UNPOISON;
	struct maint_cmd_event e;
	int fd, i, got = 0, second_ok = 1;
	long long dpa;
	uint64_t pfn, flags;
	uint8_t *buf = mf_page(_metadata, self->dev, 21, &pfn, &dpa);
	char cmd[96];

	fd = mc_open_events(self->dev, O_RDONLY);
	ASSERT_LE(0, fd);
	for (i = 0; i < 2; i++) {
		snprintf(cmd, sizeof(cmd), "gm %#llx 1 maint", dpa + i * 64);
		ASSERT_EQ(0, mc_dbg_write(self->dev, "inject_event", cmd));
	}
	while (got < 2 && !mc_next_event(fd, &e, 30000)) {
		if (e.kind != MAINT_CMD_EV_GENERAL_MEDIA)
			continue;
		/*
		 * The first action moves the data away, repairs the frame
		 * and returns it to the allocator. Until the second runs,
		 * the kernel may have allocated the frame for itself (a
		 * slab page, say), which soft offline cannot migrate: then
		 * the second action ends in ETIMEDOUT with nothing undone,
		 * as it must. The frame's flags are logged, not asserted:
		 * the kernel may have freed it again by now.
		 */
		if (got == 1 && e.result == -ETIMEDOUT) {
			flags = mc_kpageflags(pfn);
			TH_LOG("frame %#llx reused by the kernel before the second record: kpageflags %#llx",
			       (unsigned long long)pfn, (unsigned long long)flags);
			EXPECT_EQ(all, e.planned);
			EXPECT_EQ(0, e.actions & MAINT_CMD_ACT_UNPOISON);
			second_ok = 0;
		} else {
			EXPECT_EQ(0, e.result) TH_LOG("record at %#llx",
						      (unsigned long long)e.dpa);
			EXPECT_EQ(all, e.actions);
		}
		got++;
	}
	EXPECT_EQ(2, got);
	EXPECT_EQ(1 + second_ok, mc_dev_read(self->dev, "offlined"));
	EXPECT_EQ(1 + second_ok, mc_dev_read(self->dev, "repaired"));
	EXPECT_EQ(1 + second_ok, mc_dev_read(self->dev, "unpoisoned"));
	EXPECT_EQ(!second_ok, mc_dev_read(self->dev, "failed"));
	EXPECT_EQ(!second_ok, mc_dev_read(self->dev, "offline_timeouts"));
	if (second_ok)
		EXPECT_EQ(0, mc_hwpoisoned(pfn));
	EXPECT_TRUE(mc_check(buf, 21));
	close(fd);
	munmap(buf, MC_PAGE);
}

/*
 * A host that says it cannot spare (host_caps without sparing) gets a
 * PPR request where the device would have asked for sparing.
 */
TEST_F(mf, device_asks_only_what_the_host_handles)
{
	struct maint_cmd_event e;
	char dev2[16];
	long long dpa;
	uint64_t pfn;
	uint8_t *buf;
	int fd;

	ASSERT_EQ(0, mc_destroy(self->dev));
	self->dev[0] = 0;
	ASSERT_EQ(-EINVAL, mc_create("nid=1 host_caps=0x20", dev2, sizeof(dev2)));
	ASSERT_EQ(0, mc_create("nid=1 host_caps=0xf", dev2, sizeof(dev2)));
	memcpy(self->dev, dev2, sizeof(dev2));
	EXPECT_EQ(0xf, mc_model_stat(self->dev, "host_caps"));
	buf = mf_page(_metadata, self->dev, 31, &pfn, &dpa);
	fd = mc_open_events(self->dev, O_RDONLY);
	ASSERT_LE(0, fd);
	mf_inject_wait(_metadata, self->dev, fd, "dram", dpa, "1 spare", &e);
	EXPECT_EQ(0, e.result);
	EXPECT_EQ(MAINT_CMD_ACT_SOFT_OFFLINE | MAINT_CMD_ACT_SOFT_PPR |
		  MAINT_CMD_ACT_UNPOISON, e.actions);
	EXPECT_EQ(0, mc_model_stat(self->dev, "row_sparing"));
	EXPECT_EQ(1, mc_model_stat(self->dev, "soft_ppr"));
	EXPECT_EQ(0, mc_model_stat(self->dev, "unadvertised"));
	EXPECT_TRUE(mc_check(buf, 31));
	close(fd);
	/* A host that repairs nothing is not asked for maintenance. */
	mf_recreate(_metadata, self, "nid=1 host_caps=0x7");
	EXPECT_EQ(0x7, mc_model_stat(self->dev, "host_caps"));
	fd = mc_open_events(self->dev, O_RDONLY);
	ASSERT_LE(0, fd);
	mf_inject_wait(_metadata, self->dev, fd, "gm", dpa, "1 maint", &e);
	EXPECT_EQ(0, e.result);
	EXPECT_FALSE(e.flags & MAINT_CMD_EVF_MAINT_NEEDED);
	EXPECT_EQ(0, e.actions);
	EXPECT_EQ(0, mc_hwpoisoned(pfn));
	close(fd);
	munmap(buf, MC_PAGE);
}

/*
 * The same flow with the mailbox polled (use_irq 0) instead of
 * interrupt-driven: the repair's completion is found by polling.
 */
TEST_F(mf, polled_mailbox_completes_the_flow)
{
	struct maint_cmd_event e;
	long long dpa;
	uint64_t pfn;
	uint8_t *buf = mf_page(_metadata, self->dev, 41, &pfn, &dpa);
	int fd;

	ASSERT_EQ(0, mc_dev_write(self->dev, "use_irq", "0"));
	fd = mc_open_events(self->dev, O_RDONLY);
	ASSERT_LE(0, fd);
	mf_inject_wait(_metadata, self->dev, fd, "gm", dpa, "1 maint", &e);
	EXPECT_EQ(0, e.result);
	EXPECT_EQ(MAINT_CMD_ACT_SOFT_OFFLINE | MAINT_CMD_ACT_SOFT_PPR |
		  MAINT_CMD_ACT_UNPOISON, e.actions);
	EXPECT_EQ(1, mc_model_stat(self->dev, "soft_ppr"));
	EXPECT_EQ(0, mc_hwpoisoned(pfn));
	EXPECT_TRUE(mc_check(buf, 41));
	close(fd);
	munmap(buf, MC_PAGE);
}

/*
 * More indications than max_pending while the actions are slow: the
 * ones over the bound are refused with ENOSPC, reported in the stream
 * and counted failed; none is lost unreported.
 */
TEST_F(mf, indications_over_max_pending_are_refused_and_reported)
{
	enum { N = 6 };
	struct maint_cmd_event e;
	int fd, i, got = 0, refused = 0, done = 0;
	uint8_t *buf = mc_node_pages(N, 1);
	long long dpa;
	char cmd[96];

	ASSERT_NE(NULL, buf);
	mv_knobs_save(&self->knobs, "max_pending");
	ASSERT_EQ(0, mv_write_knob(MC_MM, "max_pending", "2"));
	ASSERT_EQ(0, mc_dbg_write(self->dev, "model_ppr_latency_ms", "500"));
	fd = mc_open_events(self->dev, O_RDONLY);
	ASSERT_LE(0, fd);
	for (i = 0; i < N; i++) {
		mc_fill(buf + i * MC_PAGE, 50 + i);
		dpa = mc_dpa_of(self->dev, mc_pfn_of(buf + i * MC_PAGE));
		ASSERT_LE(0, dpa);
		snprintf(cmd, sizeof(cmd), "gm %#llx 1 maint", dpa);
		ASSERT_EQ(0, mc_dbg_write(self->dev, "inject_event", cmd));
	}
	while (got < N && !mc_next_event(fd, &e, 30000)) {
		if (e.kind != MAINT_CMD_EV_GENERAL_MEDIA)
			continue;
		got++;
		if (e.result == -ENOSPC) {
			EXPECT_EQ(0, e.actions);
			refused++;
		} else {
			EXPECT_EQ(0, e.result);
			done++;
		}
	}
	EXPECT_EQ(N, got);
	EXPECT_LE(1, refused);
	EXPECT_LE(2, done);
	EXPECT_EQ(refused, mc_dev_read(self->dev, "failed"));
	EXPECT_EQ(N, mc_dev_read(self->dev, "indications"));
	TH_LOG("%d acted on, %d refused over max_pending 2", done, refused);
	for (i = 0; i < N; i++)
		EXPECT_TRUE(mc_check(buf + i * MC_PAGE, 50 + i)) TH_LOG("page %d", i);
	close(fd);
	munmap(buf, N * MC_PAGE);
}

static int read_str(const char *dev, const char *file, char *buf, size_t size)
{
	char path[256];

	snprintf(path, sizeof(path), MC_CLASS "%s/%s", dev, file);
	return mc_read_file(path, buf, size);
}

/*
 * Host-initiated row sparing through mem_repair1: refused for online
 * memory the device never reported; allowed for a page the host took
 * offline after the device reported it, which then comes back with its
 * data. A device without the sparing feature has no mem_repair1.
 */
TEST_F(mf, host_initiated_sparing)
{
	struct maint_cmd_event e;
	char type[32];
	long long dpa;
	uint64_t pfn;
	uint8_t *buf;
	int fd;

	ASSERT_EQ(0, read_str(self->dev, "mem_repair1/repair_type", type, sizeof(type)));
	EXPECT_STREQ("row_sparing\n", type);
	buf = mf_page(_metadata, self->dev, 11, &pfn, &dpa);
	/* Online and never reported: not repaired under its user. */
	ASSERT_EQ(0, mc_dev_write_num(self->dev, "mem_repair1/dpa", dpa));
	EXPECT_EQ(-EPERM, mc_dev_write(self->dev, "mem_repair1/repair", "1"));
	EXPECT_EQ(0, mc_model_stat(self->dev, "row_sparing"));
	/* Reported, auto_repair off: the page leaves and waits. */
	ASSERT_EQ(0, mc_dev_write(self->dev, "auto_repair", "0"));
	fd = mc_open_events(self->dev, O_RDONLY);
	ASSERT_LE(0, fd);
	mf_inject_wait(_metadata, self->dev, fd, "dram", dpa, "1 maint", &e);
	EXPECT_EQ(0, e.result);
	EXPECT_EQ(MAINT_CMD_ACT_SOFT_OFFLINE, e.actions);
	EXPECT_EQ(1, mc_hwpoisoned(pfn));
	/* The administrator spares the row; the page comes back. */
	ASSERT_EQ(0, mc_dev_write(self->dev, "mem_repair1/repair", "1"));
	ASSERT_EQ(0, mc_wait_event(fd, &e, MAINT_CMD_EV_REPAIR, dpa, 30000));
	EXPECT_EQ(0, e.result);
	EXPECT_EQ(e.planned, e.actions);
	EXPECT_TRUE(e.actions & MAINT_CMD_ACT_SPARE);
	EXPECT_TRUE(e.actions & MAINT_CMD_ACT_UNPOISON);
	EXPECT_FALSE(e.actions & (MAINT_CMD_ACT_SOFT_PPR | MAINT_CMD_ACT_HARD_PPR));
	EXPECT_EQ(1, mc_model_stat(self->dev, "row_sparing"));
	EXPECT_EQ(0, mc_model_stat(self->dev, "soft_ppr"));
	EXPECT_EQ(1, mc_dev_read(self->dev, "spared"));
	EXPECT_EQ(0, mc_dev_read(self->dev, "repaired"));
	EXPECT_EQ(0, mc_hwpoisoned(pfn));
	EXPECT_TRUE(mc_check(buf, 11));
	close(fd);
	/* No sparing feature: no mem_repair1, nothing unadvertised sent. */
	mf_recreate(_metadata, self, "nid=1 feats=7");
	EXPECT_EQ(-ENOENT, read_str(self->dev, "mem_repair1/repair_type", type,
				    sizeof(type)));
	EXPECT_EQ(0, read_str(self->dev, "mem_repair0/repair_type", type, sizeof(type)));
	EXPECT_EQ(0, mc_model_stat(self->dev, "unadvertised"));
	munmap(buf, MC_PAGE);
}

static sigjmp_buf bus_jmp;
static int bus_code;

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	bus_code = si->si_code;
	siglongjmp(bus_jmp, 1);
}

/*
 * The child: maps PAGES pages on node 1, sends their pfns, then on
 * each byte from the parent reads the page it names. It exits 0 after
 * the last read, or with 100 + the page on SIGBUS (BUS_MCEERR_AR).
 */
static void child(int in, int out)
{
	struct sigaction sa = { .sa_sigaction = on_sigbus, .sa_flags = SA_SIGINFO };
	uint64_t pfn[PAGES];
	uint8_t *buf;
	uint8_t page;
	int i;

	buf = mc_node_pages(PAGES, 1);
	if (!buf)
		_exit(2);
	for (i = 0; i < PAGES; i++) {
		mc_fill(buf + i * MC_PAGE, i);
		pfn[i] = mc_pfn_of(buf + i * MC_PAGE);
	}
	sigaction(SIGBUS, &sa, NULL);
	if (write(out, pfn, sizeof(pfn)) != sizeof(pfn))
		_exit(3);
	while (read(in, &page, 1) == 1) {
		if (page == 0xff)
			_exit(0);
		if (sigsetjmp(bus_jmp, 1))
			_exit(bus_code == BUS_MCEERR_AR ? 100 + page : 4);
		if (!mc_check(buf + page * MC_PAGE, page))
			_exit(5);
		if (write(out, &page, 1) != 1)
			_exit(6);
	}
	_exit(7);
}

TEST_F(mf, uncorrectable_poison_sigbus_on_touch_then_repair)
{
	int to[2], from[2], status, fd, k = 3;
	struct maint_cmd_event e;
	uint64_t pfn[PAGES];
	long long dpa;
	char cmd[96];
	uint8_t b;
	pid_t pid;

	ASSERT_EQ(0, mc_dev_write(self->dev, "auto_repair", "0"));
	ASSERT_EQ(0, pipe(to));
	ASSERT_EQ(0, pipe(from));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		close(to[1]);
		close(from[0]);
		child(to[0], from[1]);
	}
	close(to[0]);
	close(from[1]);
	ASSERT_EQ(sizeof(pfn), read(from[0], pfn, sizeof(pfn)));
	dpa = mc_dpa_of(self->dev, pfn[k]);
	ASSERT_LE(0, dpa);
	fd = mc_open_events(self->dev, O_RDONLY);
	ASSERT_LE(0, fd);
	snprintf(cmd, sizeof(cmd), "gm %#llx 2 uncorrectable", dpa);
	ASSERT_EQ(0, mc_dbg_write(self->dev, "inject_event", cmd));
	ASSERT_EQ(0, mc_wait_event(fd, &e, MAINT_CMD_EV_GENERAL_MEDIA, dpa, 30000));
	EXPECT_EQ(0, e.result);
	EXPECT_EQ(MAINT_CMD_ACT_HARD_OFFLINE, e.actions);
	/* Isolated, and the child is alive: no early kill. */
	EXPECT_EQ(1, mc_hwpoisoned(pfn[k]));
	EXPECT_EQ(0, waitpid(pid, &status, WNOHANG));
	/* Other pages read fine. */
	for (b = 0; b < PAGES; b++) {
		uint8_t back;

		if (b == k)
			continue;
		ASSERT_EQ(1, write(to[1], &b, 1));
		ASSERT_EQ(1, read(from[0], &back, 1));
		EXPECT_EQ(b, back);
	}
	/* The poisoned one: SIGBUS, BUS_MCEERR_AR. */
	b = k;
	ASSERT_EQ(1, write(to[1], &b, 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(100 + k, WEXITSTATUS(status));
	close(to[1]);
	close(from[0]);
	EXPECT_EQ(1, mc_hwpoisoned(pfn[k]));
	EXPECT_EQ(1, mc_dev_read(self->dev, "hard_offlined"));
	EXPECT_EQ(0, mc_dev_read(self->dev, "repaired"));

	/* The administrator repairs it: PPR, poison cleared, page back. */
	ASSERT_EQ(0, mc_dev_write_num(self->dev, "mem_repair0/dpa", dpa));
	ASSERT_EQ(0, mc_dev_write(self->dev, "mem_repair0/repair", "1"));
	ASSERT_EQ(0, mc_wait_event(fd, &e, MAINT_CMD_EV_REPAIR, dpa, 30000));
	EXPECT_EQ(0, e.result);
	EXPECT_EQ(MAINT_CMD_ACT_SOFT_PPR | MAINT_CMD_ACT_CLEAR_POISON |
		  MAINT_CMD_ACT_UNPOISON, e.actions);
	EXPECT_EQ(0, mc_hwpoisoned(pfn[k]));
	EXPECT_EQ(1, mc_dev_read(self->dev, "unpoisoned"));
	EXPECT_EQ(0, mc_model_stat(self->dev, "unadvertised"));
	close(fd);
}

/*
 * Indications on 64 pages of ours while every repair overruns and is
 * aborted and the firmware stalls now and then; the module will not
 * unload while its stream is open; the device goes away under the
 * flood. The pages that stayed offline stay so.
 */
TEST_F(mf, flood_with_timeouts_and_removal)
{
	enum { N = 64 };
	struct pollfd pfd = { .events = POLLIN };
	struct maint_cmd_event e;
	uint64_t pfn[N + 1];
	long long dpa[N + 1], aborts;
	char cmd[96], dev2[16];
	uint8_t *buf;
	int fd, i, got = 0, back = 0, refused = 0, lost = 0;

	mv_knobs_save(&self->knobs, "bg_timeout_ms");
	mv_knobs_save(&self->knobs, "cmd_timeout_ms");
	ASSERT_EQ(0, mv_write_knob(MC_MM, "bg_timeout_ms", "20"));
	ASSERT_EQ(0, mv_write_knob(MC_MM, "cmd_timeout_ms", "100"));
	ASSERT_EQ(0, mc_dbg_write(self->dev, "model_ppr_latency_ms", "1000"));
	/* Page N is for one record after the flood. */
	buf = mc_node_pages(N + 1, 1);
	ASSERT_NE(NULL, buf);
	for (i = 0; i <= N; i++) {
		mc_fill(buf + i * MC_PAGE, i);
		pfn[i] = mc_pfn_of(buf + i * MC_PAGE);
		dpa[i] = mc_dpa_of(self->dev, pfn[i]);
		ASSERT_LE(0, dpa[i]);
	}
	fd = mc_open_events(self->dev, O_RDONLY);
	ASSERT_LE(0, fd);
	for (i = 0; i < N; i++) {
		snprintf(cmd, sizeof(cmd), "dram %#llx 1 maint", dpa[i]);
		/* A full device log refuses it, and says so later. */
		if (mc_dbg_write(self->dev, "inject_event", cmd))
			refused++;
		if (i % 16 == 8)
			mc_dbg_write(self->dev, "model_stall", "1");
		if (i % 16 == 12)
			mc_dbg_write(self->dev, "model_stall", "0");
	}
	mc_dbg_write(self->dev, "model_stall", "0");
	/* The stream is open: the module stays. */
	EXPECT_EQ(-1, syscall(SYS_delete_module, "maint_cmd", O_NONBLOCK));
	EXPECT_TRUE(errno == EWOULDBLOCK || errno == EBUSY);
	/* Every record the device took is acted on once, none is lost. */
	while (got < N - refused && !mc_next_event(fd, &e, 20000)) {
		got += e.kind == MAINT_CMD_EV_DRAM;
		lost += e.lost;
	}
	EXPECT_EQ(N - refused, got);
	EXPECT_EQ(0, lost);
	EXPECT_EQ(-ETIMEDOUT, mc_next_event(fd, &e, 500));
	EXPECT_EQ(N - refused, mc_dev_read(self->dev, "indications"));
	/*
	 * The device reports refused records at the next Get Event
	 * Records, which may follow the last record's: wait for it.
	 */
	EXPECT_EQ(refused, mc_wait_dev_stat(self->dev, "events_dropped", refused, 60));
	/*
	 * In the flood a repair may find the firmware stalled and fail
	 * before it starts. One record on a quiet mailbox: its repair
	 * starts, overruns bg_timeout_ms and is aborted (and an earlier
	 * repair the firmware started after its submission timed out is
	 * aborted first).
	 */
	aborts = mc_dev_read(self->dev, "aborts");
	snprintf(cmd, sizeof(cmd), "dram %#llx 1 maint", dpa[N]);
	ASSERT_EQ(0, mc_dbg_write(self->dev, "inject_event", cmd));
	ASSERT_EQ(0, mc_wait_event(fd, &e, MAINT_CMD_EV_DRAM, dpa[N], 20000));
	EXPECT_EQ(-ETIMEDOUT, e.result);
	EXPECT_EQ(MAINT_CMD_ACT_SOFT_OFFLINE, e.actions);
	EXPECT_TRUE(e.planned & MAINT_CMD_ACT_SOFT_PPR);
	TH_LOG("%lld repairs aborted in the flood", aborts);
	EXPECT_LE(aborts + 1, mc_dev_read(self->dev, "aborts"));
	/*
	 * Its page stays offline; this device took it, so the
	 * administrator's repair returns it.
	 */
	EXPECT_EQ(1, mc_hwpoisoned(pfn[N]));
	ASSERT_EQ(0, mv_write_knob(MC_MM, "bg_timeout_ms", "5000"));
	EXPECT_EQ(0, mc_dev_write_num(self->dev, "mem_repair0/dpa", dpa[N]));
	EXPECT_EQ(0, mc_dev_write(self->dev, "mem_repair0/repair", "1"));
	EXPECT_EQ(0, mc_hwpoisoned(pfn[N]));
	/* Another burst, and the device goes while it is handled. */
	for (i = 0; i < N / 2; i++) {
		snprintf(cmd, sizeof(cmd), "gm %#llx 1 maint", dpa[i]);
		mc_dbg_write(self->dev, "inject_event", cmd);
	}
	/* Gone while records and actions may still be on their way. */
	EXPECT_EQ(0, mc_destroy(self->dev));
	self->dev[0] = 0;
	pfd.fd = fd;
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_TRUE(pfd.revents & POLLHUP);
	close(fd);
	/* The data survived every move. */
	for (i = 0; i <= N; i++)
		EXPECT_TRUE(mc_check(buf + i * MC_PAGE, i)) TH_LOG("page %d", i);
	/*
	 * Pages left offline stay so: a new device does not know them as
	 * taken offline (that record went with the old one).
	 */
	ASSERT_EQ(0, mv_write_knob(MC_MM, "bg_timeout_ms", "5000"));
	ASSERT_EQ(0, mc_create("nid=1", dev2, sizeof(dev2)));
	for (i = 0; i <= N; i++) {
		if (!mc_hwpoisoned(pfn[i]))
			continue;
		EXPECT_EQ(0, mc_dev_write_num(dev2, "mem_repair0/dpa", dpa[i]));
		EXPECT_EQ(-EPERM, mc_dev_write(dev2, "mem_repair0/repair", "1"));
		EXPECT_EQ(1, mc_hwpoisoned(pfn[i]));
		back++;
	}
	TH_LOG("%d records, %d refused by a full log, %d pages left offline",
	       got, refused, back);
	EXPECT_EQ(0, mc_model_stat(dev2, "unadvertised"));
	mc_destroy(dev2);
	munmap(buf, (N + 1) * MC_PAGE);
}

/*
 * A repair whose submission timed out (stalled firmware) is started by
 * the firmware later, and nobody waits for it. The next repair must
 * not find the device busy with it for its whole run: the host aborts
 * the orphan first.
 */
TEST_F(mf, abandoned_background_repair_is_aborted_first)
{
	struct maint_cmd_event e;
	long long dpa, aborts;
	uint64_t pfn;
	char cmd[96];
	uint8_t *buf;
	int fd;

	mv_knobs_save(&self->knobs, "bg_timeout_ms");
	mv_knobs_save(&self->knobs, "cmd_timeout_ms");
	ASSERT_EQ(0, mv_write_knob(MC_MM, "bg_timeout_ms", "5000"));
	ASSERT_EQ(0, mv_write_knob(MC_MM, "cmd_timeout_ms", "100"));
	buf = mc_dev_page(self->dev, 7, &pfn, &dpa);
	ASSERT_NE(NULL, buf);
	/* Reported this boot and offline; the repair is the administrator's. */
	ASSERT_EQ(0, mc_dev_write(self->dev, "auto_repair", "0"));
	fd = mc_open_events(self->dev, O_RDONLY);
	ASSERT_LE(0, fd);
	snprintf(cmd, sizeof(cmd), "dram %#llx 1 maint", dpa);
	ASSERT_EQ(0, mc_dbg_write(self->dev, "inject_event", cmd));
	ASSERT_EQ(0, mc_wait_event(fd, &e, MAINT_CMD_EV_DRAM, dpa, 20000));
	ASSERT_EQ(MAINT_CMD_ACT_SOFT_OFFLINE, e.actions);
	ASSERT_EQ(1, mc_hwpoisoned(pfn));

	ASSERT_EQ(0, mc_dbg_write(self->dev, "model_ppr_latency_ms", "1000"));
	ASSERT_EQ(0, mc_dev_write_num(self->dev, "mem_repair0/dpa", dpa));
	/* The drain of the record is over: the stall catches the repair. */
	mc_wait_idle(self->dev);
	ASSERT_EQ(0, mc_dbg_write(self->dev, "model_stall", "1"));
	EXPECT_EQ(-ETIMEDOUT, mc_dev_write(self->dev, "mem_repair0/repair", "1"));
	aborts = mc_dev_read(self->dev, "aborts");
	ASSERT_EQ(0, mc_dbg_write(self->dev, "model_stall", "0"));
	/* The firmware runs the abandoned Perform Maintenance. */
	ASSERT_EQ(1, mc_wait_model_stat(self->dev, "bg_running", 1, 60));
	/* Aborted, then this one runs to its end. */
	EXPECT_EQ(0, mc_dev_write(self->dev, "mem_repair0/repair", "1"));
	EXPECT_EQ(aborts + 1, mc_dev_read(self->dev, "aborts"));
	EXPECT_EQ(1, mc_model_stat(self->dev, "soft_ppr"));
	EXPECT_EQ(0, mc_hwpoisoned(pfn));
	EXPECT_TRUE(mc_check(buf, 7));
	close(fd);
	munmap(buf, MC_PAGE);
}

/*
 * rmmod while actions are in flight: records queued, pages being
 * soft-offlined, a repair in its background phase. The module waits for
 * the running actions (max_actions of them) and starts no queued one;
 * it goes and loads again; no data is lost. The pages the running
 * actions left offline stay offline: the record of the pages a device
 * took offline goes with it, and a new device repairs none of them.
 * Splats and leaks are the tier's kernel-log and kmemleak checks.
 *
 * Only the removal may end an action here: the timeouts are far beyond
 * any machine's slowness, and no action has failed before the removal
 * (a failed action leaves its page offline too, and would be counted).
 * So every page left offline is one of the max_actions running ones.
 */
TEST_F(mf, removal_with_actions_in_flight)
{
	enum { N = 16, MAX_ACTIONS = 4 };
	const char *build = getenv("MEMVIRT_BUILD");
	long long dpa[N];
	char ko[512], cmd[96], dev2[16];
	uint64_t pfn[N];
	uint8_t *buf;
	int fd, i, left = 0;

	snprintf(ko, sizeof(ko), "%s/mod/maint_cmd/maint_cmd.ko", build ? build : "");
	if (!build || access(ko, R_OK))
		SKIP(return, "no maint_cmd.ko to load again (MEMVIRT_BUILD)");
	mv_knobs_save(&self->knobs, "cmd_timeout_ms");
	mv_knobs_save(&self->knobs, "bg_timeout_ms");
	mv_knobs_save(&self->knobs, "offline_timeout_ms");
	ASSERT_EQ(0, mv_write_knob(MC_MM, "cmd_timeout_ms", "60000"));
	ASSERT_EQ(0, mv_write_knob(MC_MM, "bg_timeout_ms", "600000"));
	ASSERT_EQ(0, mv_write_knob(MC_MM, "offline_timeout_ms", "600000"));
	ASSERT_EQ(MAX_ACTIONS, mc_dev_read(self->dev, "max_actions"));
	ASSERT_EQ(0, mc_dbg_write(self->dev, "model_ppr_latency_ms", "500"));
	buf = mf_pages(_metadata, self->dev, N, 500, pfn, dpa);
	for (i = 0; i < N; i++) {
		snprintf(cmd, sizeof(cmd), "dram %#llx 1 maint", dpa[i]);
		ASSERT_EQ(0, mc_dbg_write(self->dev, "inject_event", cmd));
	}
	/* A repair is in its background phase. */
	ASSERT_EQ(1, mc_wait_model_stat(self->dev, "bg_running", 1, 60));
	EXPECT_EQ(0, mc_dev_read(self->dev, "failed"));
	EXPECT_EQ(0, mc_dev_read(self->dev, "timeouts"));
	ASSERT_EQ(0, syscall(SYS_delete_module, "maint_cmd", O_NONBLOCK));
	self->dev[0] = 0;
	EXPECT_NE(0, access(MC_DBG "create", F_OK));
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, syscall(SYS_finit_module, fd, "", 0));
	close(fd);
	for (i = 0; i < N; i++)
		EXPECT_TRUE(mc_check(buf + i * MC_PAGE, 500 + i)) TH_LOG("page %d", i);
	ASSERT_EQ(0, mc_create("nid=1", dev2, sizeof(dev2)));
	for (i = 0; i < N; i++) {
		if (!mc_hwpoisoned(pfn[i]))
			continue;
		left++;
		/*
		 * The record of the pages the old device took offline went
		 * with it: to the new one such a page is not known offline
		 * (in use, for all it knows) nor reported this boot.
		 */
		EXPECT_EQ(0, mc_dev_write_num(dev2, "mem_repair0/dpa", dpa[i]));
		EXPECT_EQ(-EPERM, mc_dev_write(dev2, "mem_repair0/repair", "1"));
		EXPECT_EQ(1, mc_hwpoisoned(pfn[i])) TH_LOG("page %d", i);
	}
	TH_LOG("%d of %d pages left offline by the removal, and kept offline", left, N);
	/* At least the one whose repair ran; no more than ran at once. */
	EXPECT_LE(1, left);
	EXPECT_GE(MAX_ACTIONS, left);
	mc_destroy(dev2);
	munmap(buf, N * MC_PAGE);
}

/*
 * model_corrupt: the device garbles one reply that carries records, in
 * each way. The host rejects it (EPROTO, counted in malformed), reports
 * nothing from it, and loses nothing: the poison list is read again in
 * full, and a record whose Get Event Records answer was garbled is
 * asked for again and acted on once.
 */
TEST_F(mf, malformed_replies_are_rejected_and_lose_nothing)
{
	static const char * const how[] = { "len", "opcode", "truncate", "count" };
	static const long long pdpa[] = { 0x5000, 0x6040 };
	struct maint_cmd_event e;
	long long bad, dpa;
	int fd, i, k, got;
	uint64_t pfn;
	uint8_t *buf;
	char cmd[96];

	for (k = 0; k < 2; k++) {
		snprintf(cmd, sizeof(cmd), "%#llx", pdpa[k]);
		ASSERT_EQ(0, mc_dbg_write(self->dev, "inject_poison", cmd));
	}
	fd = mc_open_events(self->dev, O_RDONLY);
	ASSERT_LE(0, fd);
	for (i = 0; i < 4; i++) {
		bad = mc_dev_read(self->dev, "malformed");
		ASSERT_EQ(0, mc_dbg_write(self->dev, "model_corrupt", how[i]));
		EXPECT_EQ(-EPROTO, mc_dev_write(self->dev, "trigger_poison_list", "1"))
			TH_LOG("%s", how[i]);
		EXPECT_EQ(bad + 1, mc_dev_read(self->dev, "malformed")) TH_LOG("%s", how[i]);
		EXPECT_EQ(-ETIMEDOUT, mc_next_event(fd, &e, 100)) TH_LOG("%s", how[i]);
		/* Asked again: all of it. */
		EXPECT_EQ(0, mc_dev_write(self->dev, "trigger_poison_list", "1"));
		for (got = 0; got < 2 && !mc_next_event(fd, &e, 30000); got++)
			EXPECT_EQ(pdpa[got], e.dpa) TH_LOG("%s", how[i]);
		EXPECT_EQ(2, got) TH_LOG("%s", how[i]);
	}

	buf = mc_dev_page(self->dev, 9, &pfn, &dpa);
	ASSERT_NE(NULL, buf);
	for (i = 0; i < 4; i++) {
		bad = mc_dev_read(self->dev, "malformed");
		ASSERT_EQ(0, mc_dbg_write(self->dev, "model_corrupt", how[i]));
		snprintf(cmd, sizeof(cmd), "dram %#llx 1 maint", dpa);
		ASSERT_EQ(0, mc_dbg_write(self->dev, "inject_event", cmd));
		ASSERT_EQ(0, mc_wait_event(fd, &e, MAINT_CMD_EV_DRAM, dpa, 20000))
			TH_LOG("%s", how[i]);
		EXPECT_EQ(0, e.result) TH_LOG("%s", how[i]);
		EXPECT_EQ(MAINT_CMD_ACT_SOFT_OFFLINE | MAINT_CMD_ACT_SOFT_PPR |
			  MAINT_CMD_ACT_UNPOISON, e.actions) TH_LOG("%s", how[i]);
		EXPECT_EQ(bad + 1, mc_dev_read(self->dev, "malformed")) TH_LOG("%s", how[i]);
		/* Once: no second record for it. */
		EXPECT_EQ(-ETIMEDOUT, mc_next_event(fd, &e, 200)) TH_LOG("%s", how[i]);
	}
	EXPECT_EQ(4, mc_dev_read(self->dev, "indications"));
	EXPECT_EQ(0, mc_dev_read(self->dev, "failed"));
	EXPECT_TRUE(mc_check(buf, 9));
	close(fd);
	munmap(buf, MC_PAGE);
}

/* bg_operation: Background Operation Status while a repair runs, and after. */
TEST_F(mf, background_status_follows_a_repair)
{
	struct maint_cmd_event e;
	char path[256], st[64];
	int fd, status, running = 0, reaped = 0;
	unsigned int pct = 100;
	long long dpa;
	uint64_t pfn;
	uint8_t *buf;
	pid_t pid;

	mv_knobs_save(&self->knobs, "bg_timeout_ms");
	ASSERT_EQ(0, mv_write_knob(MC_MM, "bg_timeout_ms", "60000"));
	snprintf(path, sizeof(path), MC_CLASS "%s/bg_operation", self->dev);
	ASSERT_EQ(0, mc_read_file(path, st, sizeof(st)));
	EXPECT_STREQ("0x0000 0 idle 0x0\n", st);
	buf = mc_dev_page(self->dev, 8, &pfn, &dpa);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, mc_dev_write(self->dev, "auto_repair", "0"));
	fd = mc_open_events(self->dev, O_RDONLY);
	ASSERT_LE(0, fd);
	snprintf(st, sizeof(st), "dram %#llx 1 maint", dpa);
	ASSERT_EQ(0, mc_dbg_write(self->dev, "inject_event", st));
	ASSERT_EQ(0, mc_wait_event(fd, &e, MAINT_CMD_EV_DRAM, dpa, 20000));
	ASSERT_EQ(0, mc_dbg_write(self->dev, "model_ppr_latency_ms", "2000"));
	ASSERT_EQ(0, mc_dev_write_num(self->dev, "mem_repair0/dpa", dpa));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(mc_dev_write(self->dev, "mem_repair0/repair", "1") ? 1 : 0);
	/* Until it runs, or its writer is done (then it was missed). */
	while (!running && !(reaped = waitpid(pid, &status, WNOHANG) == pid)) {
		ASSERT_EQ(0, mc_read_file(path, st, sizeof(st)));
		running = sscanf(st, "0x0600 %u running 0x0", &pct) == 1;
		usleep(1000);
	}
	EXPECT_TRUE(running) TH_LOG("last status: %s", st);
	EXPECT_GT(100, pct);
	if (!reaped)
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
	ASSERT_EQ(0, mc_read_file(path, st, sizeof(st)));
	EXPECT_STREQ("0x0600 100 done 0x0\n", st);
	EXPECT_EQ(1, mc_model_stat(self->dev, "soft_ppr"));
	close(fd);
	munmap(buf, MC_PAGE);
}

/*
 * The device goes away while a repair is in its background phase, with
 * bg_timeout_ms far beyond the test's timeout and the repair's 60 s run
 * longer than the rest of the test: removal does not wait it out. The
 * repair is aborted and its writer gets ENODEV; had the removal waited,
 * the repair would have run to its end and the write succeeded.
 */
TEST_F_TIMEOUT(mf, removal_aborts_a_running_repair, 120)
{
	struct maint_cmd_event e;
	char path[256], st[64];
	int fd, status, running = 0;
	double t;
	unsigned int pct;
	long long dpa;
	uint64_t pfn;
	uint8_t *buf;
	pid_t pid;

	mv_knobs_save(&self->knobs, "bg_timeout_ms");
	ASSERT_EQ(0, mv_write_knob(MC_MM, "bg_timeout_ms", "600000"));
	snprintf(path, sizeof(path), MC_CLASS "%s/bg_operation", self->dev);
	buf = mc_dev_page(self->dev, 9, &pfn, &dpa);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, mc_dev_write(self->dev, "auto_repair", "0"));
	fd = mc_open_events(self->dev, O_RDONLY);
	ASSERT_LE(0, fd);
	snprintf(st, sizeof(st), "dram %#llx 1 maint", dpa);
	ASSERT_EQ(0, mc_dbg_write(self->dev, "inject_event", st));
	ASSERT_EQ(0, mc_wait_event(fd, &e, MAINT_CMD_EV_DRAM, dpa, 20000));
	close(fd);
	ASSERT_EQ(0, mc_dbg_write(self->dev, "model_ppr_latency_ms", "60000"));
	ASSERT_EQ(0, mc_dev_write_num(self->dev, "mem_repair0/dpa", dpa));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(-mc_dev_write(self->dev, "mem_repair0/repair", "1") & 0xff);
	/* The repair runs 60 s: it is seen running long before its end. */
	for (t = mc_now() + 60; !running && mc_now() < t; usleep(1000)) {
		ASSERT_EQ(0, mc_read_file(path, st, sizeof(st)));
		running = sscanf(st, "0x0600 %u running 0x0", &pct) == 1;
	}
	ASSERT_TRUE(running) TH_LOG("last status: %s", st);
	EXPECT_EQ(0, mc_destroy(self->dev));
	self->dev[0] = 0;
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(ENODEV, WEXITSTATUS(status));
	/*
	 * The page the aborted repair left offline stays offline: a new
	 * device does not know it as taken offline, nor as reported.
	 */
	ASSERT_EQ(0, mc_create("nid=1", self->dev, sizeof(self->dev)));
	EXPECT_EQ(0, mc_dev_write_num(self->dev, "mem_repair0/dpa", dpa));
	EXPECT_EQ(-EPERM, mc_dev_write(self->dev, "mem_repair0/repair", "1"));
	EXPECT_EQ(1, mc_hwpoisoned(pfn));
	EXPECT_TRUE(mc_check(buf, 9));
	munmap(buf, MC_PAGE);
}

/*
 * A command the host gave up on still holds the mailbox until the
 * firmware answers it. The next command waits for that answer (as
 * long as for its own) rather than failing at once with EBUSY.
 */
TEST_F(mf, a_command_waits_out_an_abandoned_one)
{
	char path[256], list[64];
	long long t0;

	mv_knobs_save(&self->knobs, "cmd_timeout_ms");
	ASSERT_EQ(0, mv_write_knob(MC_MM, "cmd_timeout_ms", "500"));
	/* Each command takes the firmware 100 ms. */
	ASSERT_EQ(0, mc_dbg_write(self->dev, "model_cmd_latency_us", "100000"));
	/* The drain at creation is over: the stall catches the Inject. */
	mc_wait_idle(self->dev);
	t0 = mc_dev_read(self->dev, "timeouts");
	ASSERT_EQ(0, mc_dbg_write(self->dev, "model_stall", "1"));
	EXPECT_EQ(-ETIMEDOUT, mc_dbg_write(self->dev, "inject_poison", "0x1000"));
	EXPECT_EQ(t0 + 1, mc_dev_read(self->dev, "timeouts"));
	ASSERT_EQ(0, mc_dbg_write(self->dev, "model_stall", "0"));
	/* Sent while the firmware is still on the abandoned Inject. */
	EXPECT_EQ(0, mc_dbg_write(self->dev, "clear_poison", "0x1000"));
	EXPECT_EQ(t0 + 1, mc_dev_read(self->dev, "timeouts"));
	/* Both ran, in order: injected, then cleared. */
	snprintf(path, sizeof(path), MC_DBG "%s/model_poison_list", self->dev);
	ASSERT_EQ(0, mc_read_file(path, list, sizeof(list)));
	EXPECT_STREQ("", list);
	ASSERT_EQ(0, mc_dbg_write(self->dev, "model_cmd_latency_us", "50"));
}

/*
 * The firmware stalls while a Get Event Records is outstanding, so the
 * host gives up on it; the log fills and refuses 8 records; then the
 * firmware answers the abandoned Get. The refused records must still
 * reach events_dropped, through the next Get the host sends.
 */
TEST_F(mf, dropped_records_survive_an_abandoned_get)
{
	enum { LOG = 32, EXTRA = 8 };
	struct maint_cmd_event e;
	int fd, i, refused = 0, got = 0;
	char cmd[64];

	mv_knobs_save(&self->knobs, "cmd_timeout_ms");
	ASSERT_EQ(0, mv_write_knob(MC_MM, "cmd_timeout_ms", "100"));
	fd = mc_open_events(self->dev, O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, mc_dbg_write(self->dev, "model_stall", "1"));
	for (i = 0; i < LOG + EXTRA; i++) {
		/*
		 * The fatal log, which the host reads first: its abandoned
		 * Get is for this log. Nothing to repair: logged only.
		 */
		snprintf(cmd, sizeof(cmd), "gm %#x 3", i * 64);
		if (mc_dbg_write(self->dev, "inject_event", cmd))
			refused++;
	}
	ASSERT_EQ(EXTRA, refused);
	/* Until the host has given up on its Get (cmd_timeout_ms). */
	ASSERT_LE(1, mc_wait_dev_stat(self->dev, "timeouts", 1, 60));
	ASSERT_EQ(0, mc_dbg_write(self->dev, "model_stall", "0"));
	while (got < LOG && !mc_next_event(fd, &e, 20000))
		got += e.kind == MAINT_CMD_EV_GENERAL_MEDIA;
	EXPECT_EQ(LOG, got);
	EXPECT_EQ(EXTRA, mc_wait_dev_stat(self->dev, "events_dropped", EXTRA, 60));
	EXPECT_EQ(LOG, mc_dev_read(self->dev, "indications"));
	close(fd);
}

/*
 * The repair's feature says the memory must be offline (offline_only):
 * the administrator's repair of memory in use is refused with EBUSY,
 * even at an address the device reported, and runs once the host took
 * the page offline. A device whose feature allows it repairs the same
 * memory in use, under its user, who keeps the page and its data.
 */
TEST_F(mf, repair_in_use_follows_the_offline_only_flag)
{
	struct maint_cmd_event e;
	long long dpa;
	uint64_t pfn;
	uint8_t *buf;
	int fd;

	buf = mf_page(_metadata, self->dev, 31, &pfn, &dpa);
	EXPECT_EQ(1, mc_dev_read(self->dev, "mem_repair0/repair_safe_when_in_use"));
	EXPECT_EQ(1, mc_dev_read(self->dev, "mem_repair1/repair_safe_when_in_use"));
	fd = mc_open_events(self->dev, O_RDONLY);
	ASSERT_LE(0, fd);
	/* Corrected, no maintenance asked: reported, logged, left in use. */
	mf_inject_wait(_metadata, self->dev, fd, "gm", dpa, "1", &e);
	EXPECT_EQ(0, e.planned);
	ASSERT_EQ(0, mc_dev_write_num(self->dev, "mem_repair0/dpa", dpa));
	EXPECT_EQ(0, mc_dev_write(self->dev, "mem_repair0/repair", "1"));
	EXPECT_EQ(1, mc_model_stat(self->dev, "soft_ppr"));
	EXPECT_EQ(0, mc_hwpoisoned(pfn));
	EXPECT_EQ(pfn, mc_pfn_of(buf));
	EXPECT_TRUE(mc_check(buf, 31));
	close(fd);

	/* Soft PPR wants the memory offline; hard PPR does not. */
	mf_recreate(_metadata, self, "nid=1 offline_only=1");
	EXPECT_EQ(0, mc_dev_read(self->dev, "mem_repair0/repair_safe_when_in_use"));
	ASSERT_EQ(0, mc_dev_write(self->dev, "mem_repair0/persist_mode", "1"));
	EXPECT_EQ(1, mc_dev_read(self->dev, "mem_repair0/repair_safe_when_in_use"));
	ASSERT_EQ(0, mc_dev_write(self->dev, "mem_repair0/persist_mode", "0"));
	/* Read-only. */
	EXPECT_EQ(-EACCES, mc_dev_write(self->dev, "mem_repair0/repair_safe_when_in_use", "1"));
	fd = mc_open_events(self->dev, O_RDONLY);
	ASSERT_LE(0, fd);
	mf_inject_wait(_metadata, self->dev, fd, "gm", dpa, "1", &e);
	EXPECT_EQ(0, e.planned);
	ASSERT_EQ(0, mc_dev_write_num(self->dev, "mem_repair0/dpa", dpa));
	EXPECT_EQ(-EBUSY, mc_dev_write(self->dev, "mem_repair0/repair", "1"));
	EXPECT_EQ(0, mc_model_stat(self->dev, "soft_ppr"));
	EXPECT_EQ(0, mc_hwpoisoned(pfn));
	/* Taken offline by the host: now it runs, and the page returns. */
	ASSERT_EQ(0, mc_dev_write(self->dev, "auto_repair", "0"));
	mf_inject_wait(_metadata, self->dev, fd, "gm", dpa, "1 maint", &e);
	EXPECT_EQ(0, e.result);
	EXPECT_EQ(MAINT_CMD_ACT_SOFT_OFFLINE, e.actions);
	EXPECT_EQ(1, mc_hwpoisoned(pfn));
	EXPECT_EQ(0, mc_dev_write(self->dev, "mem_repair0/repair", "1"));
	EXPECT_EQ(1, mc_model_stat(self->dev, "soft_ppr"));
	EXPECT_EQ(0, mc_hwpoisoned(pfn));
	EXPECT_EQ(1, mc_dev_read(self->dev, "unpoisoned"));
	EXPECT_TRUE(mc_check(buf, 31));
	EXPECT_EQ(0, mc_model_stat(self->dev, "unadvertised"));
	close(fd);
	munmap(buf, MC_PAGE);
}

/* The lock mc_page_lock() gives @pfn: hash_long(pfn, MC_PAGE_LOCK_BITS). */
static unsigned int page_lock_of(uint64_t pfn)
{
	return (pfn * 0x61C8864680B583EBULL) >> (64 - 4);
}

/*
 * max_actions is the host's own limit, read whenever an action may
 * start. Lowered to 1, one action runs (its page offline, its repair
 * in the background) and the others wait queued. Raised, the queued
 * ones start at once: all their pages go offline while the first
 * repair still runs (the count, not a time, shows it). The pages are
 * ones whose page locks differ, so that no action waits on another's.
 */
TEST_F(mf, raising_max_actions_starts_queued_actions)
{
	enum { N = 4, POOL = 32 };
	struct maint_cmd_event e;
	long long dpa[N];
	unsigned int used = 0;
	int fd, i, n = 0, got = 0;
	uint64_t pfn[N];
	char cmd[96];
	uint8_t *buf;
	int idx[N];

	buf = mc_node_pages(POOL, 1);
	ASSERT_NE(NULL, buf);
	for (i = 0; i < POOL && n < N; i++) {
		uint64_t p = mc_pfn_of(buf + i * MC_PAGE);

		if (!p || used & 1U << page_lock_of(p))
			continue;
		used |= 1U << page_lock_of(p);
		mc_fill(buf + i * MC_PAGE, 600 + i);
		idx[n] = i;
		pfn[n] = p;
		dpa[n] = mc_dpa_of(self->dev, p);
		ASSERT_LE(0, dpa[n]);
		n++;
	}
	ASSERT_EQ(N, n);
	ASSERT_EQ(0, mc_dev_write(self->dev, "max_actions", "1"));
	ASSERT_EQ(0, mc_dbg_write(self->dev, "model_ppr_latency_ms", "3000"));
	fd = mc_open_events(self->dev, O_RDONLY);
	ASSERT_LE(0, fd);
	for (i = 0; i < N; i++) {
		snprintf(cmd, sizeof(cmd), "dram %#llx 1 maint", dpa[i]);
		ASSERT_EQ(0, mc_dbg_write(self->dev, "inject_event", cmd));
	}
	/* One runs, in its repair; the others are held. */
	ASSERT_EQ(1, mc_wait_model_stat(self->dev, "bg_running", 1, 60));
	usleep(300 * 1000);
	EXPECT_EQ(1, mc_dev_read(self->dev, "offlined"));
	EXPECT_EQ(0, mc_model_stat(self->dev, "soft_ppr"));
	/* Raised: the rest start now, before the first repair ends. */
	ASSERT_EQ(0, mc_dev_write(self->dev, "max_actions", "8"));
	EXPECT_EQ(N, mc_wait_dev_stat(self->dev, "offlined", N, 60));
	EXPECT_EQ(0, mc_model_stat(self->dev, "soft_ppr"));
	ASSERT_EQ(0, mc_dbg_write(self->dev, "model_ppr_latency_ms", "0"));
	while (got < N && !mc_next_event(fd, &e, 30000)) {
		if (e.kind != MAINT_CMD_EV_DRAM)
			continue;
		EXPECT_EQ(0, e.result);
		EXPECT_EQ(MAINT_CMD_ACT_SOFT_OFFLINE | MAINT_CMD_ACT_SOFT_PPR |
			  MAINT_CMD_ACT_UNPOISON, e.actions);
		got++;
	}
	EXPECT_EQ(N, got);
	for (i = 0; i < N; i++) {
		EXPECT_EQ(0, mc_hwpoisoned(pfn[i])) TH_LOG("page %d", i);
		EXPECT_TRUE(mc_check(buf + idx[i] * MC_PAGE, 600 + idx[i]));
	}
	close(fd);
	munmap(buf, POOL * MC_PAGE);
}

#ifndef MADV_SOFT_OFFLINE
#define MADV_SOFT_OFFLINE	101
#endif
#define MF_UNPOISON	MC_HWPOISON "unpoison-pfn"

/* Someone else than the host puts @pfn back in service; 0 or -errno. */
static int mf_unpoison_other(uint64_t pfn)
{
	return mc_hwpoison_other("unpoison-pfn", pfn);
}

/*
 * A frame of node 1 poisoned by someone else than the host: the kernel
 * soft-offlined it for this process (madvise(MADV_SOFT_OFFLINE)), which
 * now reads its data from another frame. Returns the process's page;
 * the old frame and its DPA in @pfn and @dpa.
 */
static uint8_t *mf_foreign_poison(struct __test_metadata *_metadata,
				  const char *dev, int seq, uint64_t *pfn,
				  long long *dpa)
{
	uint8_t *buf = mf_page(_metadata, dev, seq, pfn, dpa);

	ASSERT_EQ(0, madvise(buf, MC_PAGE, MADV_SOFT_OFFLINE));
	ASSERT_EQ(1, mc_hwpoisoned(*pfn));
	EXPECT_NE(*pfn, mc_pfn_of(buf));
	EXPECT_TRUE(mc_check(buf, seq));
	return buf;
}

/*
 * The page flag helpers say when they cannot read the flags, rather
 * than report every bit set (which read as poisoned).
 */
TEST_F(mf, unreadable_page_flags_are_an_error)
{
	const uint64_t beyond = 1ULL << 50;

	EXPECT_EQ(MC_KPF_ERR, mc_kpageflags(beyond));
	EXPECT_EQ(-1, mc_hwpoisoned(beyond));
}

/*
 * The tests' poisoning of a frame they do not own must never cost a
 * page in use its data: mc_poison_unowned() on this process's page
 * either moves the data first or leaves the page alone. With soft
 * offline off (vm.enable_soft_offline 0), where the kernel refuses it,
 * the helper takes hwpoison's way instead of failing (EOPNOTSUPP).
 */
TEST_F(mf, test_poisoning_spares_a_page_in_use)
{
	long long dpa;
	uint64_t pfn;
	uint8_t *buf;
	int ret, round;
	bool off;

	mv_knobs_save(&self->vm, "enable_soft_offline");
	for (round = 0; round < 2; round++) {
		off = round;
		if (off && self->vm.val[0] < 0)
			SKIP(return, "no vm.enable_soft_offline");
		if (off)
			ASSERT_EQ(0, mv_write_knob(MC_VM, "enable_soft_offline", "0"));
		buf = mf_page(_metadata, self->dev, 41 + round, &pfn, &dpa);
		ret = mc_poison_unowned(pfn);
		if (ret == -ENOENT)
			SKIP(goto out, "no way to poison a frame as another agent");
		ASSERT_LE(0, ret) TH_LOG("enable_soft_offline %ld", mv_read_knob(MC_VM, "enable_soft_offline"));
		TH_LOG("%s: frame %s", access(MC_SOFT_OFFLINE, W_OK) || off ? "corrupt-pfn" :
		       "soft offline", ret ? "poisoned, data moved" : "left alone");
		EXPECT_EQ(ret, mc_hwpoisoned(pfn));
		EXPECT_EQ(0, mv_read_knob(MC_HWPOISON, "corrupt-filter-enable") > 0);
		/* The data is still there, wherever it is now. */
		EXPECT_TRUE(mc_check(buf, 41 + round));
		EXPECT_EQ(!ret, mc_pfn_of(buf) == pfn);
		if (ret)
			mf_unpoison_other(pfn);
		munmap(buf, MC_PAGE);
	}
	mv_knobs_restore(&self->vm);
	return;
out:
	munmap(buf, MC_PAGE);
}

/*
 * With vm.enable_soft_offline at 0 the kernel refuses every soft
 * offline (EOPNOTSUPP), and says nothing to memory_failure_queue()'s
 * caller. The host reads the setting: a corrected error's action ends
 * at once with EOPNOTSUPP (not a wait counted in offline_timeouts), the
 * page stays in service with its data, unrepaired, and the
 * administrator may repair it in use.
 */
TEST_F(mf, soft_offline_turned_off_is_refused_at_once)
{
	struct maint_cmd_event e;
	long long dpa;
	uint64_t pfn;
	uint8_t *buf;
	int fd;

	mv_knobs_save(&self->vm, "enable_soft_offline");
	if (self->vm.val[0] < 0)
		SKIP(return, "no vm.enable_soft_offline");
	/* Short: the wait the host must not make. */
	mv_knobs_save(&self->knobs, "offline_timeout_ms");
	ASSERT_EQ(0, mv_write_knob(MC_MM, "offline_timeout_ms", "1000"));
	ASSERT_EQ(0, mv_write_knob(MC_VM, "enable_soft_offline", "0"));
	buf = mf_page(_metadata, self->dev, 61, &pfn, &dpa);
	fd = mc_open_events(self->dev, O_RDONLY);
	ASSERT_LE(0, fd);
	mf_inject_wait(_metadata, self->dev, fd, "gm", dpa, "1 maint", &e);
	EXPECT_EQ(-EOPNOTSUPP, e.result);
	EXPECT_EQ(MAINT_CMD_ACT_SOFT_OFFLINE | MAINT_CMD_ACT_SOFT_PPR |
		  MAINT_CMD_ACT_UNPOISON, e.planned);
	EXPECT_EQ(0, e.actions);
	EXPECT_EQ(0, mc_dev_read(self->dev, "offline_timeouts"));
	EXPECT_EQ(0, mc_dev_read(self->dev, "offlined"));
	EXPECT_EQ(1, mc_dev_read(self->dev, "failed"));
	EXPECT_EQ(0, mc_model_stat(self->dev, "soft_ppr"));
	/* In service, where it was, with its data. */
	EXPECT_EQ(0, mc_hwpoisoned(pfn));
	EXPECT_EQ(pfn, mc_pfn_of(buf));
	EXPECT_TRUE(mc_check(buf, 61));
	/* The administrator repairs it in use: a reported address. */
	ASSERT_EQ(0, mc_dev_write_num(self->dev, "mem_repair0/dpa", dpa));
	EXPECT_EQ(0, mc_dev_write(self->dev, "mem_repair0/repair", "1"));
	EXPECT_EQ(1, mc_model_stat(self->dev, "soft_ppr"));
	EXPECT_EQ(0, mc_hwpoisoned(pfn));
	EXPECT_TRUE(mc_check(buf, 61));
	mv_knobs_restore(&self->vm);
	close(fd);
	munmap(buf, MC_PAGE);
}

/*
 * A record on a page poisoned, but not by the host: it is its owner's
 * (here the kernel's soft offline holds it), not offline memory. The
 * host does nothing to the page: no offline (whose wait would take the
 * poison for the host's), no clear of the poison, no return to
 * service. The repair runs only as on memory in use: not at all when
 * the feature wants the memory offline, as the administrator's repair
 * is refused (EBUSY).
 */
TEST_F(mf, record_on_a_page_poisoned_by_another_leaves_it_to_its_owner)
{
	struct maint_cmd_event e;
	long long dpa;
	uint64_t pfn;
	uint8_t *buf;
	int fd, round;

	for (round = 0; round < 2; round++) {
		bool oo = !round;

		mf_recreate(_metadata, self, oo ? "nid=1 offline_only=1" : "nid=1");
		buf = mf_foreign_poison(_metadata, self->dev, 51 + round, &pfn, &dpa);
		fd = mc_open_events(self->dev, O_RDONLY);
		ASSERT_LE(0, fd);
		mf_inject_wait(_metadata, self->dev, fd, "gm", dpa, "1 maint", &e);
		EXPECT_EQ(0, e.result);
		EXPECT_EQ(oo ? 0 : MAINT_CMD_ACT_SOFT_PPR, e.planned) TH_LOG("offline_only %d", oo);
		EXPECT_EQ(e.planned, e.actions);
		mf_inject_wait(_metadata, self->dev, fd, "gm", dpa, "2 uncorrectable", &e);
		EXPECT_EQ(0, e.result);
		EXPECT_EQ(oo ? 0 : MAINT_CMD_ACT_SOFT_PPR, e.planned) TH_LOG("offline_only %d", oo);
		EXPECT_EQ(e.planned, e.actions);
		EXPECT_EQ(oo ? 0 : 2, mc_model_stat(self->dev, "soft_ppr"));
		/* The administrator's repair follows the same rule. */
		ASSERT_EQ(0, mc_dev_write_num(self->dev, "mem_repair0/dpa", dpa));
		EXPECT_EQ(oo ? -EBUSY : 0, mc_dev_write(self->dev, "mem_repair0/repair", "1"));
		/* Still poisoned, never the host's. */
		EXPECT_EQ(1, mc_hwpoisoned(pfn));
		EXPECT_EQ(0, mc_dev_read(self->dev, "offlined"));
		EXPECT_EQ(0, mc_dev_read(self->dev, "hard_offlined"));
		EXPECT_EQ(0, mc_dev_read(self->dev, "offline_timeouts"));
		EXPECT_EQ(0, mc_dev_read(self->dev, "poison_cleared"));
		EXPECT_EQ(0, mc_dev_read(self->dev, "unpoisoned"));
		EXPECT_EQ(0, mc_dev_read(self->dev, "failed"));
		EXPECT_TRUE(mc_check(buf, 51 + round));
		close(fd);
		munmap(buf, MC_PAGE);
		/* Not asserted: the frame back to node 1, where the tier allows it. */
		if (mf_unpoison_other(pfn))
			TH_LOG("frame %#llx stays poisoned (no %s)",
			       (unsigned long long)pfn, MF_UNPOISON);
	}
}

/*
 * A 2 MiB hugetlbfs page of node 1 (one more in node 1's pool, put back
 * by the fixture), mapped shared and filled; its file in @fd. MAP_FAILED
 * when node 1 has no huge page to give.
 */
static uint8_t *mf_huge_page(struct __test_metadata *_metadata,
			     struct _test_data_mf *self, int *fd)
{
	struct mv_knobs *hp = &self->huge;
	uint8_t *buf;

	mv_knobs_save(hp, "nr_hugepages");
	if (hp->val[0] < 0)
		return MAP_FAILED;
	mv_write_knob_num(MF_NODE1_HUGE, "nr_hugepages", hp->val[0] + 1);
	if (mv_read_knob(MF_NODE1_HUGE, "free_hugepages") < 1)
		return MAP_FAILED;
	*fd = syscall(SYS_memfd_create, "mc_huge", MFD_HUGETLB);
	ASSERT_LE(0, *fd);
	ASSERT_EQ(0, ftruncate(*fd, MF_HUGE));
	buf = mmap(NULL, MF_HUGE, PROT_READ | PROT_WRITE, MAP_SHARED, *fd, 0);
	ASSERT_NE(MAP_FAILED, buf);
	ASSERT_EQ(0, mc_bind_node(buf, MF_HUGE, 1));
	memset(buf, 0x5a, MF_HUGE);
	return buf;
}

/* mf_huge_page()'s page unmapped and its file closed, if there are. */
static void mf_huge_page_put(uint8_t *buf, int fd)
{
	/* Freed, the huge page splits; a poisoned small page stays out. */
	if (buf != MAP_FAILED)
		munmap(buf, MF_HUGE);
	if (fd >= 0)
		close(fd);
}

/*
 * A huge page poisoned by another agent (hwpoison's corrupt-pfn on one
 * of its small pages): memory_failure() marks the huge page's head, and
 * hugetlbfs keeps the page whole in its file, so the small page's own
 * flags show no poison. The host must still see it poisoned, and not
 * by itself: a corrected error there gets the repair in use and nothing
 * else (no soft offline, whose wait would time out; no clear, no
 * return to service).
 */
TEST_F(mf, record_on_a_poisoned_huge_page_leaves_it_to_its_owner)
{
	struct maint_cmd_event e;
	int fd = -1, efd, ret;
	uint8_t *buf = MAP_FAILED;
	long long dpa;
	uint64_t pfn;

	mv_knobs_save(&self->knobs, "offline_timeout_ms");
	ASSERT_EQ(0, mv_write_knob(MC_MM, "offline_timeout_ms", "1000"));
	buf = mf_huge_page(_metadata, self, &fd);
	if (buf == MAP_FAILED)
		SKIP(goto out, "no free 2 MiB huge page on node 1");
	pfn = mc_pfn_of(buf + 3 * MC_PAGE);
	dpa = mc_dpa_of(self->dev, pfn);
	ASSERT_LE(0, dpa);
	ASSERT_NE(MC_KPF_ERR, mc_kpageflags(pfn));
	ASSERT_TRUE(mc_kpageflags(pfn) >> KPF_HUGE & 1);
	ret = mc_hwpoison_other("corrupt-pfn", pfn);
	if (ret == -ENOENT)
		SKIP(goto out, "no " MC_HWPOISON "corrupt-pfn");
	/* -EBUSY: memory_failure() marked the page, but its file keeps it. */
	ASSERT_TRUE(!ret || ret == -EBUSY) TH_LOG("corrupt-pfn: %d", ret);
	/* kpageflags reports a huge page's poison from its head. */
	ASSERT_EQ(1, mc_hwpoisoned(pfn));
	efd = mc_open_events(self->dev, O_RDONLY);
	ASSERT_LE(0, efd);
	mf_inject_wait(_metadata, self->dev, efd, "gm", dpa, "1 maint", &e);
	close(efd);
	EXPECT_EQ(0, e.result);
	EXPECT_EQ(MAINT_CMD_ACT_SOFT_PPR, e.planned);
	EXPECT_EQ(MAINT_CMD_ACT_SOFT_PPR, e.actions);
	EXPECT_EQ(1, mc_model_stat(self->dev, "soft_ppr"));
	EXPECT_EQ(0, mc_dev_read(self->dev, "offlined"));
	EXPECT_EQ(0, mc_dev_read(self->dev, "offline_timeouts"));
	EXPECT_EQ(0, mc_dev_read(self->dev, "poison_cleared"));
	EXPECT_EQ(0, mc_dev_read(self->dev, "unpoisoned"));
	EXPECT_EQ(0, mc_dev_read(self->dev, "failed"));
	EXPECT_EQ(1, mc_hwpoisoned(pfn));
out:
	mf_huge_page_put(buf, fd);
}

/*
 * Another agent poisons a huge page while the host waits for its soft
 * offline of one of its small pages. memory_failure() marks the huge
 * page's head, for a poison on any of its small pages; the host's own
 * soft offline would have split the huge page and marked the small
 * page itself. So the head's mark is not the host's: the wait goes on
 * and ends in a timeout, the page is not recorded as the host's, not
 * repaired as offline memory and not unpoisoned.
 *
 * hwpoison's filter (compound-head pages only) makes the kernel refuse
 * the host's soft offline of the small page (a tail) while it lets the
 * corrupt-pfn of the head through.
 */
TEST_F(mf, huge_page_poisoned_during_a_soft_offline_is_not_taken)
{
	struct maint_cmd_event e;
	uint8_t *buf = MAP_FAILED;
	uint64_t pfn, head;
	int fd = -1, efd, ret;
	long long dpa;
	char v[32];

	mv_knobs_save(&self->knobs, "offline_timeout_ms");
	ASSERT_EQ(0, mv_write_knob(MC_MM, "offline_timeout_ms", "3000"));
	if (access(MC_HWPOISON "corrupt-filter-flags-mask", W_OK) &&
	    (system("modprobe -q hwpoison_inject 2>/dev/null") ||
	     access(MC_HWPOISON "corrupt-filter-flags-mask", W_OK)))
		SKIP(return, "no " MC_HWPOISON "corrupt-filter-flags-mask");
	buf = mf_huge_page(_metadata, self, &fd);
	if (buf == MAP_FAILED)
		SKIP(goto out, "no free 2 MiB huge page on node 1");
	head = mc_pfn_of(buf);
	pfn = mc_pfn_of(buf + 3 * MC_PAGE);
	ASSERT_EQ(head + 3, pfn);
	dpa = mc_dpa_of(self->dev, pfn);
	ASSERT_LE(0, dpa);
	ASSERT_TRUE(mc_kpageflags(pfn) >> KPF_HUGE & 1);
	ASSERT_EQ(0, mc_hwpoisoned(pfn));
	mv_knobs_save(&self->hwp, "corrupt-filter-flags-mask");
	mv_knobs_save(&self->hwp, "corrupt-filter-flags-value");
	mv_knobs_save(&self->hwp, "corrupt-filter-enable");
	snprintf(v, sizeof(v), "%llu", 1ULL << KPF_COMPOUND_HEAD);
	ASSERT_EQ(0, mv_write_knob(MC_HWPOISON, "corrupt-filter-flags-mask", v));
	ASSERT_EQ(0, mv_write_knob(MC_HWPOISON, "corrupt-filter-flags-value", v));
	ASSERT_EQ(0, mv_write_knob(MC_HWPOISON, "corrupt-filter-enable", "1"));
	efd = mc_open_events(self->dev, O_RDONLY);
	ASSERT_LE(0, efd);
	snprintf(v, sizeof(v), "gm %#llx 1 maint", dpa);
	ASSERT_EQ(0, mc_dbg_write(self->dev, "inject_event", v));
	/* The action has started, found the page clean, and waits. */
	ASSERT_EQ(1, mc_wait_dev_stat(self->dev, "indications", 1, 30));
	usleep(500 * 1000);
	ret = mc_hwpoison_other("corrupt-pfn", head);
	/* The filter off again at once. */
	mv_knobs_restore(&self->hwp);
	/* -EBUSY: memory_failure() marked the page, but its file keeps it. */
	ASSERT_TRUE(!ret || ret == -EBUSY) TH_LOG("corrupt-pfn: %d", ret);
	ASSERT_EQ(1, mc_hwpoisoned(pfn));
	ASSERT_EQ(0, mc_wait_event(efd, &e, MAINT_CMD_EV_GENERAL_MEDIA, dpa, 30000));
	close(efd);
	EXPECT_EQ(-ETIMEDOUT, e.result);
	EXPECT_EQ(0, e.actions);
	EXPECT_EQ(1, mc_dev_read(self->dev, "offline_timeouts"));
	EXPECT_EQ(0, mc_dev_read(self->dev, "offlined"));
	EXPECT_EQ(0, mc_dev_read(self->dev, "unpoisoned"));
	EXPECT_EQ(0, mc_model_stat(self->dev, "soft_ppr"));
	EXPECT_EQ(1, mc_hwpoisoned(pfn));
out:
	mf_huge_page_put(buf, fd);
}

/*
 * A page of node 1 holding pattern @seq, which the host took offline
 * and, auto_repair off, left unrepaired: its frame and DPA. With
 * @lost, the record was uncorrectable: the page went offline by
 * memory_failure() and its data is gone (the caller must not touch it).
 */
static uint8_t *mf_offline_unrepaired(struct __test_metadata *_metadata,
				      const char *dev, int seq, bool lost,
				      uint64_t *pfn, long long *dpa)
{
	struct maint_cmd_event e;
	uint8_t *buf;
	int fd;

	ASSERT_EQ(0, mc_dev_write(dev, "auto_repair", "0"));
	buf = mf_page(_metadata, dev, seq, pfn, dpa);
	fd = mc_open_events(dev, O_RDONLY);
	ASSERT_LE(0, fd);
	mf_inject_wait(_metadata, dev, fd, "gm", *dpa,
		       lost ? "2 uncorrectable" : "1 maint", &e);
	close(fd);
	EXPECT_EQ(0, e.result);
	EXPECT_EQ(lost ? MAINT_CMD_ACT_HARD_OFFLINE : MAINT_CMD_ACT_SOFT_OFFLINE,
		  e.actions);
	ASSERT_EQ(1, mc_hwpoisoned(*pfn));
	return buf;
}

/*
 * A page the host took offline under an earlier record and left
 * unrepaired (auto_repair off) is offline memory: when a later record
 * for it comes with auto_repair on, the page is repaired and returned
 * to service. A page that went offline for lost data comes back only
 * after its poison is cleared, even when the later record is a
 * corrected error.
 */
TEST_F(mf, page_offline_from_an_earlier_record_is_repaired_and_returned)
{
	struct maint_cmd_event e;
	long long dpa;
	uint64_t pfn;
	uint32_t want;
	uint8_t *buf;
	int fd, round;

	for (round = 0; round < 2; round++) {
		bool lost = round;

		if (round)
			mf_recreate(_metadata, self, "nid=1");
		buf = mf_offline_unrepaired(_metadata, self->dev, 81 + round,
					    lost, &pfn, &dpa);
		EXPECT_EQ(0, mc_model_stat(self->dev, "soft_ppr"));
		/* Lost: nothing to keep, and no mapping left to hold the frame. */
		if (lost) {
			munmap(buf, MC_PAGE);
			buf = NULL;
		}
		ASSERT_EQ(0, mc_dev_write(self->dev, "auto_repair", "1"));
		fd = mc_open_events(self->dev, O_RDONLY);
		ASSERT_LE(0, fd);
		mf_inject_wait(_metadata, self->dev, fd, "gm", dpa, "1 maint", &e);
		want = MAINT_CMD_ACT_SOFT_PPR | MAINT_CMD_ACT_UNPOISON |
		       (lost ? MAINT_CMD_ACT_CLEAR_POISON : 0);
		EXPECT_EQ(0, e.result) TH_LOG("lost %d", lost);
		EXPECT_EQ(want, e.planned) TH_LOG("lost %d", lost);
		EXPECT_EQ(want, e.actions) TH_LOG("lost %d", lost);
		EXPECT_EQ(0, mc_hwpoisoned(pfn)) TH_LOG("lost %d", lost);
		EXPECT_EQ(1, mc_model_stat(self->dev, "soft_ppr"));
		EXPECT_EQ(1, mc_dev_read(self->dev, "repaired"));
		EXPECT_EQ(lost, mc_dev_read(self->dev, "poison_cleared"));
		EXPECT_EQ(1, mc_dev_read(self->dev, "unpoisoned"));
		EXPECT_EQ(!lost, mc_dev_read(self->dev, "offlined"));
		EXPECT_EQ(lost, mc_dev_read(self->dev, "hard_offlined"));
		EXPECT_EQ(0, mc_dev_read(self->dev, "failed"));
		/* Moved intact by the soft offline. */
		if (buf) {
			EXPECT_TRUE(mc_check(buf, 81));
			munmap(buf, MC_PAGE);
		}
		close(fd);
	}
}

/*
 * A page the host took offline and someone else put back in service
 * (unpoison-pfn) is in use again, not the host's: the administrator's
 * repair that wants the memory offline is refused, and the host does
 * not unpoison it.
 */
TEST_F(mf, page_returned_by_another_is_no_longer_the_hosts)
{
	long long dpa;
	uint64_t pfn;
	uint8_t *buf;

	mf_recreate(_metadata, self, "nid=1 offline_only=1");
	buf = mf_offline_unrepaired(_metadata, self->dev, 61, false, &pfn, &dpa);
	if (mf_unpoison_other(pfn))
		SKIP(goto out, "no %s", MF_UNPOISON);
	ASSERT_EQ(0, mc_hwpoisoned(pfn));
	ASSERT_EQ(0, mc_dev_write_num(self->dev, "mem_repair0/dpa", dpa));
	EXPECT_EQ(-EBUSY, mc_dev_write(self->dev, "mem_repair0/repair", "1"));
	EXPECT_EQ(0, mc_model_stat(self->dev, "soft_ppr"));
	EXPECT_EQ(0, mc_dev_read(self->dev, "unpoisoned"));
	EXPECT_EQ(0, mc_hwpoisoned(pfn));
	EXPECT_TRUE(mc_check(buf, 61));
out:
	munmap(buf, MC_PAGE);
}

/*
 * Whether the kernel log, from @fd (/dev/kmsg, at its end) on, has
 * @text: bit 0; and @text2, if not NULL: bit 1.
 */
static int mf_kmsg_has2(int fd, const char *text, const char *text2)
{
	char rec[1024];
	ssize_t n;
	int found = 0;

	while ((n = read(fd, rec, sizeof(rec) - 1)) > 0 || (n < 0 && errno == EPIPE)) {
		if (n <= 0)
			continue;
		rec[n] = 0;
		found |= !!strstr(rec, text);
		if (text2 && strstr(rec, text2))
			found |= 2;
	}
	return found;
}

/* Whether the kernel log, from @fd (/dev/kmsg, at its end) on, has @text. */
static int mf_kmsg_has(int fd, const char *text)
{
	return mf_kmsg_has2(fd, text, NULL);
}

/*
 * Removes the fixture's device, whose name goes to @name; returns
 * /dev/kmsg opened at the log's end before the removal.
 */
static int mf_destroy_logged(struct __test_metadata *_metadata,
			     struct _test_data_mf *self, char *name)
{
	int kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	ASSERT_LE(0, kmsg);
	ASSERT_LE(0, lseek(kmsg, 0, SEEK_END));
	memcpy(name, self->dev, sizeof(self->dev));
	ASSERT_EQ(0, mc_destroy(self->dev));
	self->dev[0] = 0;
	return kmsg;
}

/*
 * A page the host took offline and never repaired (auto_repair off)
 * stays offline when the device goes: the memory still needs
 * maintenance, and the record goes with the device. The kernel log
 * names it; the administrator can return it with unpoison-pfn.
 */
TEST_F(mf, unrepaired_page_stays_offline_after_removal_and_is_named)
{
	char text[96], name[16];
	long long dpa;
	uint64_t pfn;
	uint8_t *buf;
	int kmsg;

	buf = mf_offline_unrepaired(_metadata, self->dev, 71, false, &pfn, &dpa);
	kmsg = mf_destroy_logged(_metadata, self, name);
	EXPECT_EQ(1, mc_hwpoisoned(pfn));
	snprintf(text, sizeof(text), "%s: pfn %#llx stays offline: not repaired",
		 name, (unsigned long long)pfn);
	EXPECT_TRUE(mf_kmsg_has(kmsg, text)) TH_LOG("no \"%s\" in the log", text);
	close(kmsg);
	EXPECT_TRUE(mc_check(buf, 71));
	munmap(buf, MC_PAGE);
	/* The administrator's way back, where the tier has it. */
	if (!mf_unpoison_other(pfn))
		EXPECT_EQ(0, mc_hwpoisoned(pfn));
}

/*
 * Of two pages the host took offline and left unrepaired, someone else
 * put one back in service (unpoison-pfn) before the device went: the
 * removal's log names only the one still offline.
 */
TEST_F(mf, removal_names_only_pages_still_offline)
{
	char text[96], other[96], name[16];
	int kmsg, i, found;
	long long dpa[2];
	uint64_t pfn[2];
	uint8_t *buf[2];

	for (i = 0; i < 2; i++)
		buf[i] = mf_offline_unrepaired(_metadata, self->dev, 91 + i, false,
					       &pfn[i], &dpa[i]);
	if (mf_unpoison_other(pfn[1]))
		SKIP(goto out, "no %s", MF_UNPOISON);
	ASSERT_EQ(0, mc_hwpoisoned(pfn[1]));
	kmsg = mf_destroy_logged(_metadata, self, name);
	snprintf(text, sizeof(text), "%s: pages left offline for this boot: 1", name);
	snprintf(other, sizeof(other), "%s: pfn %#llx stays offline", name,
		 (unsigned long long)pfn[1]);
	found = mf_kmsg_has2(kmsg, text, other);
	close(kmsg);
	EXPECT_EQ(1, found & 1) TH_LOG("no \"%s\" in the log", text);
	EXPECT_EQ(0, found & 2) TH_LOG("\"%s\" in the log", other);
	EXPECT_EQ(1, mc_hwpoisoned(pfn[0]));
	for (i = 0; i < 2; i++)
		EXPECT_TRUE(mc_check(buf[i], 91 + i));
	/* The administrator's way back for the other, where the tier has it. */
	mf_unpoison_other(pfn[0]);
out:
	for (i = 0; i < 2; i++)
		munmap(buf[i], MC_PAGE);
}


/* Every command but Clear Poison (bit 12, enum mc_op_idx). */
#define MF_OPS_NO_CLEAR	"0xefff"

/*
 * The administrator's repair of a page the host took offline for lost
 * data (memory_failure(), under an earlier record) follows the
 * policy's rule: lost data comes back only after a Clear Poison. On a
 * device without Clear Poison the write succeeds, the page is repaired
 * and stays offline: hwpoisoned, no return planned, not unpoisoned,
 * and still in the host's record, which the removal's log shows. On a
 * device with Clear Poison the page comes back.
 */
TEST_F(mf, admin_repair_returns_lost_data_only_after_a_clear)
{
	char text[128], name[16];
	struct maint_cmd_event e;
	int fd, kmsg, clear;
	uint64_t pfn[2];
	long long dpa;
	uint32_t want;
	uint8_t *buf;

	for (clear = 0; clear < 2; clear++) {
		if (!clear)
			mf_recreate(_metadata, self, "nid=1 ops=" MF_OPS_NO_CLEAR);
		else
			ASSERT_EQ(0, mc_create("nid=1", self->dev, sizeof(self->dev)));
		buf = mf_offline_unrepaired(_metadata, self->dev, 101 + clear, true,
					    &pfn[clear], &dpa);
		/* Lost: nothing to keep, and no mapping left to hold the frame. */
		munmap(buf, MC_PAGE);
		fd = mc_open_events(self->dev, O_RDONLY);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, mc_dev_write_num(self->dev, "mem_repair0/dpa", dpa));
		EXPECT_EQ(0, mc_dev_write(self->dev, "mem_repair0/repair", "1"))
			TH_LOG("clear %d", clear);
		ASSERT_EQ(0, mc_wait_event(fd, &e, MAINT_CMD_EV_REPAIR, dpa, 30000));
		close(fd);
		want = MAINT_CMD_ACT_SOFT_PPR |
		       (clear ? MAINT_CMD_ACT_CLEAR_POISON | MAINT_CMD_ACT_UNPOISON : 0);
		EXPECT_EQ(0, e.result) TH_LOG("clear %d", clear);
		EXPECT_EQ(want, e.planned) TH_LOG("clear %d", clear);
		EXPECT_EQ(want, e.actions) TH_LOG("clear %d", clear);
		EXPECT_EQ(!clear, mc_hwpoisoned(pfn[clear])) TH_LOG("clear %d", clear);
		EXPECT_EQ(clear, mc_dev_read(self->dev, "unpoisoned")) TH_LOG("clear %d", clear);
		EXPECT_EQ(clear, mc_dev_read(self->dev, "poison_cleared"));
		EXPECT_EQ(1, mc_model_stat(self->dev, "soft_ppr"));
		EXPECT_EQ(1, mc_dev_read(self->dev, "repaired"));
		EXPECT_EQ(0, mc_dev_read(self->dev, "failed"));
		EXPECT_EQ(0, mc_model_stat(self->dev, "unadvertised"));
		if (clear)
			break;
		/* Still the host's: the removal names it, repaired. */
		kmsg = mf_destroy_logged(_metadata, self, name);
		snprintf(text, sizeof(text),
			 "%s: pfn %#llx stays offline: repaired, poison not cleared",
			 name, (unsigned long long)pfn[0]);
		EXPECT_TRUE(mf_kmsg_has(kmsg, text)) TH_LOG("no \"%s\" in the log", text);
		close(kmsg);
		EXPECT_EQ(1, mc_hwpoisoned(pfn[0]));
	}
	/* The administrator's way back for the kept page, where the tier has it. */
	mf_unpoison_other(pfn[0]);
}

TEST_HARNESS_MAIN
