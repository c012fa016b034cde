// SPDX-License-Identifier: GPL-2.0
/*
 * iommu_migrate on a real device behind a real IOMMU: QEMU's edu PCI
 * device on a q35 machine with intel-iommu (the stock tier's machine
 * boot, selftests/iommu_migrate/machine). The test binds the module's
 * edu driver through driver_override, has the device write
 * sequence-numbered records into an IO buffer through the module's
 * IOMMU domain, and moves the buffer's pages between node 0 and node 1
 * over and over meanwhile. Afterwards, from the CPU mapping: every
 * record is where it belongs, none lost, torn or misplaced; every page
 * is on the node of the last move; the counters agree; and the kernel
 * logged no DMAR fault. An evacuation of a frame range moves the
 * device's pages out the same way. debugfs edu_copy_delay_ms keeps each page 150 ms
 * between copy and switch, longer than one of edu's DMA commands
 * (100 ms), so a move without the hold or the drain loses records.
 *
 * Blocks of a page (maint_cmd's call on lost data) do not wait behind
 * a migration request, and a page being blocked is not moved; a move
 * given up after its migrate_begin tracepoint fires the abort
 * tracepoint. A session that ends and restarts on the same buffer
 * while a request runs leaves the request with the right result, and
 * a request does not hold up suspend.
 *
 * Skips where there is no edu device.
 */
#define _GNU_SOURCE	/* strcasestr() */
#include <dirent.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "kselftest_harness.h"
#include "imm_util.h"

#define PCI_DEVS	"/sys/bus/pci/devices/"
#define EDU_DRV		"iommu_migrate_edu"
#define EDU_PAGES	4
#define EDU_RECORDS	(EDU_PAGES * PAGE / REC)	/* every slot once */
#define EDU_IOVA	0x200000ULL
/* The second session of session_restart_during_a_request: 2 s of DMA. */
#define RESTART_RECORDS	20

/* The first edu device's PCI address into @bdf; false if there is none. */
static bool find_edu(char *bdf, size_t size)
{
	struct dirent *de;
	bool found = false;
	DIR *d = opendir(PCI_DEVS);

	if (!d)
		return false;
	while (!found && (de = readdir(d))) {
		char path[512];
		long ven, dev;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), PCI_DEVS "%s/", de->d_name);
		ven = mv_read_knob(path, "vendor");
		dev = mv_read_knob(path, "device");
		if (ven == 0x1234 && dev == 0x11e8) {
			snprintf(bdf, size, "%s", de->d_name);
			found = true;
		}
	}
	closedir(d);
	return found;
}

/* The name of the driver bound to @bdf into @drv ("" if none). */
static void bound_driver(const char *bdf, char *drv, size_t size)
{
	char path[512], link[512];
	ssize_t n;

	snprintf(path, sizeof(path), PCI_DEVS "%s/driver", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	drv[0] = 0;
	if (n > 0) {
		link[n] = 0;
		snprintf(drv, size, "%s", strrchr(link, '/') + 1);
	}
}

static int write_file(const char *path, const char *val)
{
	return mv_write_path(path, val);
}

/* Lines of the kernel log that report a DMAR (VT-d) fault. */
static long dmar_faults(void)
{
	FILE *f = popen("dmesg", "r");
	char line[1024];
	long n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "DMAR") && strcasestr(line, "fault"))
			n++;
	return pclose(f) ? -1 : n;
}

static long edu_start(int dev, int buf, unsigned long long iova,
		      unsigned long long count)
{
	struct iommu_migrate_edu e = {
		.buf_fd = buf, .iova = iova, .count = count,
	};

	return imm_ioctl(dev, IOMMU_MIGRATE_IOC_EDU_START, &e);
}

static long edu_stats(int dev, unsigned long cmd,
		      struct iommu_migrate_edu_stats *st)
{
	memset(st, 0, sizeof(*st));
	return imm_ioctl(dev, cmd, st);
}

/* Wait until the session has written all its records. */
static long edu_wait(int dev, struct iommu_migrate_edu_stats *st)
{
	long ret;

	while (!(ret = edu_stats(dev, IOMMU_MIGRATE_IOC_EDU_STATS, st)) &&
	       st->running)
		usleep(20000);
	return ret;
}

FIXTURE(edu) {
	int dev;
	char bdf[256];
	struct mv_knobs knobs, hooks;
	struct imm_pm pm;
};

FIXTURE_SETUP(edu)
{
	char drv[64], path[512];

	self->knobs = (struct mv_knobs){ .dir = SYSFS };
	self->hooks = (struct mv_knobs){ .dir = DEBUGFS };
	self->bdf[0] = 0;
	self->dev = open(DEV, O_RDWR | O_CLOEXEC);
	if (self->dev < 0 && errno == ENOENT && !getenv("MEMVIRT_REQUIRE"))
		SKIP(return, "iommu_migrate not loaded");
	ASSERT_LE(0, self->dev);
	if (!find_edu(self->bdf, sizeof(self->bdf)))
		SKIP(return, "no edu device (QEMU -device edu on q35 with intel-iommu)");
	bound_driver(self->bdf, drv, sizeof(drv));
	if (strcmp(drv, EDU_DRV)) {
		/* Nothing else claims an edu device; the driver only this way. */
		ASSERT_STREQ("", drv);
		snprintf(path, sizeof(path), PCI_DEVS "%s/driver_override", self->bdf);
		ASSERT_EQ(0, write_file(path, EDU_DRV));
		ASSERT_EQ(0, write_file("/sys/bus/pci/drivers_probe", self->bdf));
		bound_driver(self->bdf, drv, sizeof(drv));
	}
	ASSERT_STREQ(EDU_DRV, drv);
	mv_knobs_save(&self->hooks, "edu_copy_delay_ms");
}

FIXTURE_TEARDOWN(edu)
{
	char path[512], drv[64];

	if (self->dev >= 0)
		close(self->dev);
	/* What a test cut short may have left: pins, a trace instance. */
	mv_write_path(DEBUGFS "pin_pages", "0 0");
	rmdir("/sys/kernel/tracing/instances/iommu_migrate_edu/");
	imm_pm_restore(&self->pm);
	mv_knobs_restore(&self->hooks);
	mv_knobs_restore(&self->knobs);
	if (!self->bdf[0])
		return;
	bound_driver(self->bdf, drv, sizeof(drv));
	if (!strcmp(drv, EDU_DRV))
		write_file("/sys/bus/pci/drivers/" EDU_DRV "/unbind", self->bdf);
	snprintf(path, sizeof(path), PCI_DEVS "%s/driver_override", self->bdf);
	write_file(path, "\n");
}

/*
 * Does the kernel's iommu_migrate_pfn_mapped() see page @idx of @buf's
 * frame as device-mapped (IOMMU_MIGRATE_PAGE_DEV_MAPPED)? -1 on error.
 */
static int dev_mapped(int dev, int buf, unsigned long idx)
{
	struct iommu_migrate_page pg;

	if (imm_page(dev, buf, idx, &pg))
		return -1;
	return !!(pg.flags & IOMMU_MIGRATE_PAGE_DEV_MAPPED);
}

/* Every page of @buf on @node, as the module and move_pages() see it. */
static int pages_on(int dev, int buf, const void *map, int node)
{
	int status[EDU_PAGES], bad = 0;
	struct iommu_migrate_page pg;
	unsigned int i;

	for (i = 0; i < EDU_PAGES; i++)
		if (imm_page(dev, buf, i, &pg) || pg.node != node)
			bad++;
	/* The query faults the CPU mapping in: read it first. */
	for (i = 0; i < EDU_PAGES; i++)
		__atomic_load_n((const char *)map + i * PAGE, __ATOMIC_RELAXED);
	if (query_nodes((void *)map, EDU_PAGES, status))
		return -1;
	for (i = 0; i < EDU_PAGES; i++)
		if (status[i] != node)
			bad++;
	return bad;
}

TEST_F_TIMEOUT(edu, records_survive_migrations, 240)
{
	struct iommu_migrate_stats s0, s1;
	struct iommu_migrate_edu_stats st;
	struct iommu_migrate_migrate m;
	unsigned long long moved = 0;
	struct rec_result r;
	long faults0, ret;
	int buf, node = 0, rounds = 0, misnoded = 0;
	void *map;

	if (nr_nodes() < 2)
		SKIP(return, "one NUMA node");
	faults0 = dmar_faults();
	ASSERT_LE(0, faults0);
	ASSERT_EQ(0, write_hook("edu_copy_delay_ms", "150"));
	buf = imm_buf(self->dev, EDU_PAGES * PAGE, 0);
	ASSERT_LE(0, buf);
	map = mmap(NULL, EDU_PAGES * PAGE, PROT_READ, MAP_SHARED, buf, 0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_STATS, &s0));
	ASSERT_EQ(0, edu_start(self->dev, buf, EDU_IOVA, EDU_RECORDS));
	/* Move the whole buffer to the other node until the device is done. */
	do {
		node = !node;
		ret = imm_migrate(self->dev, buf, node, 0, EDU_PAGES * PAGE, &m);
		ASSERT_EQ(0, ret);
		EXPECT_EQ(0, m.aborted);
		EXPECT_EQ(EDU_PAGES, m.moved + m.already);
		moved += m.moved;
		if (pages_on(self->dev, buf, map, node))
			misnoded++;
		rounds++;
		ASSERT_EQ(0, edu_stats(self->dev, IOMMU_MIGRATE_IOC_EDU_STATS, &st));
	} while (st.running);
	ASSERT_EQ(0, edu_stats(self->dev, IOMMU_MIGRATE_IOC_EDU_STOP, &st));
	ASSERT_EQ(0, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_STATS, &s1));

	check_records(map, EDU_IOVA, EDU_PAGES * PAGE / REC,
		      IOMMU_MIGRATE_EDU_ENGINE, st.written, &r);
	TH_LOG("%d rounds, %llu pages moved, %llu records, %llu DMA commands, %llu stalls (%llu us)",
	       rounds, moved, st.written, st.dma_ops, st.stalls,
	       st.stall_ns / 1000);
	EXPECT_EQ(0, st.dma_errors);
	EXPECT_EQ(EDU_RECORDS, st.written);
	EXPECT_EQ(EDU_RECORDS, r.ok);
	EXPECT_EQ(0, r.lost);
	EXPECT_EQ(0, r.torn);
	EXPECT_EQ(0, r.misplaced);
	/* The moves happened under DMA: several rounds, commands held. */
	EXPECT_LE(2, rounds);
	EXPECT_LE(2 * EDU_PAGES, moved);
	EXPECT_LT(0, st.stalls);
	EXPECT_EQ(moved, st.migrated);
	EXPECT_EQ(0, st.aborted);
	EXPECT_EQ(0, misnoded);
	EXPECT_EQ(0, pages_on(self->dev, buf, map, node));
	/* This test alone moves pages in this boot. */
	EXPECT_EQ(moved, s1.pages_migrated - s0.pages_migrated);
	EXPECT_EQ(moved * PAGE, s1.bytes_migrated - s0.bytes_migrated);
	EXPECT_EQ(st.stalls, s1.dma_stalls - s0.dma_stalls);
	EXPECT_EQ(0, s1.migrations_aborted - s0.migrations_aborted);
	EXPECT_EQ(faults0, dmar_faults());
	munmap(map, EDU_PAGES * PAGE);
	close(buf);
}

/*
 * A two-page buffer on node 0, its CPU mapping in @map, the DMAR fault
 * lines logged so far in @faults0. Return: its fd, or -1 when the test
 * is skipped (one node).
 */
static int mapped_pair(struct __test_metadata *_metadata, int dev, void **map,
		       long *faults0)
{
	int buf;

	if (nr_nodes() < 2)
		SKIP(return -1, "one NUMA node");
	*faults0 = dmar_faults();
	ASSERT_LE(0, *faults0);
	buf = imm_buf(dev, 2 * PAGE, 0);
	ASSERT_LE(0, buf);
	*map = mmap(NULL, 2 * PAGE, PROT_READ, MAP_SHARED, buf, 0);
	ASSERT_NE(MAP_FAILED, *map);
	return buf;
}

/*
 * A move whose destination cannot be allocated aborts: the IOVA keeps
 * the old page, the device goes on writing there, nothing is lost.
 */
TEST_F_TIMEOUT(edu, failed_allocation_keeps_the_old_page, 120)
{
	const unsigned long long count = PAGE / REC - 1;	/* one load */
	struct iommu_migrate_stats s0, s1;
	struct iommu_migrate_edu_stats st;
	struct iommu_migrate_migrate m;
	struct iommu_migrate_page pg;
	struct rec_result r;
	long faults0;
	int buf;
	void *map;

	buf = mapped_pair(_metadata, self->dev, &map, &faults0);
	if (buf < 0)
		return;
	mv_knobs_save(&self->hooks, "fail_next_allocs");
	ASSERT_EQ(0, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_STATS, &s0));
	ASSERT_EQ(0, edu_start(self->dev, buf, EDU_IOVA, count));
	ASSERT_EQ(0, write_hook("fail_next_allocs", "1"));
	ASSERT_EQ(0, imm_migrate(self->dev, buf, 1, 0, 2 * PAGE, &m));
	EXPECT_EQ(1, m.aborted);
	EXPECT_EQ(1, m.moved);
	EXPECT_EQ(0, read_hook("fail_next_allocs"));
	ASSERT_EQ(0, edu_wait(self->dev, &st));
	ASSERT_EQ(0, edu_stats(self->dev, IOMMU_MIGRATE_IOC_EDU_STOP, &st));
	ASSERT_EQ(0, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_STATS, &s1));
	EXPECT_EQ(1, st.aborted);
	EXPECT_EQ(1, st.migrated);
	EXPECT_EQ(0, st.dma_errors);
	EXPECT_EQ(1, s1.alloc_failures - s0.alloc_failures);
	EXPECT_EQ(1, s1.migrations_aborted - s0.migrations_aborted);
	ASSERT_EQ(0, imm_page(self->dev, buf, 0, &pg));
	EXPECT_EQ(0, pg.node);
	ASSERT_EQ(0, imm_page(self->dev, buf, 1, &pg));
	EXPECT_EQ(1, pg.node);
	check_records(map, EDU_IOVA, 2 * PAGE / REC, IOMMU_MIGRATE_EDU_ENGINE,
		      st.written, &r);
	EXPECT_EQ(count, st.written);
	EXPECT_EQ(count, r.ok);
	EXPECT_EQ(0, r.lost + r.torn + r.misplaced);
	EXPECT_EQ(faults0, dmar_faults());
	munmap(map, 2 * PAGE);
	close(buf);
}

TEST_F(edu, bad_input)
{
	struct iommu_migrate_edu_stats st;
	struct iommu_migrate_migrate m;
	struct iommu_migrate_edu e;
	unsigned long long slots = 2 * PAGE / REC;
	int buf, buf2, dev2, dom, null;

	buf = imm_buf(self->dev, 2 * PAGE, -1);
	ASSERT_LE(0, buf);
	null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, null);

	e = (struct iommu_migrate_edu){ .buf_fd = buf, .iova = EDU_IOVA, .count = 1, .flags = 1 };
	EXPECT_EQ(-EINVAL, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_EDU_START, &e));
	e = (struct iommu_migrate_edu){ .buf_fd = buf, .iova = EDU_IOVA, .count = 1, .reserved = 1 };
	EXPECT_EQ(-EINVAL, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_EDU_START, &e));
	EXPECT_EQ(-EFAULT, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_EDU_START, NULL));
	EXPECT_EQ(-EBADF, edu_start(self->dev, -1, EDU_IOVA, 1));
	EXPECT_EQ(-EBADF, edu_start(self->dev, null, EDU_IOVA, 1));
	EXPECT_EQ(-EBADF, edu_start(self->dev, self->dev, EDU_IOVA, 1));
	EXPECT_EQ(-EINVAL, edu_start(self->dev, buf, EDU_IOVA + 64, 1));
	EXPECT_EQ(-EINVAL, edu_start(self->dev, buf, IOMMU_MIGRATE_EDU_IOVA_MIN - PAGE, 1));
	EXPECT_EQ(-EINVAL, edu_start(self->dev, buf, 0, 1));
	EXPECT_EQ(-EINVAL, edu_start(self->dev, buf, IOMMU_MIGRATE_EDU_IOVA_END - PAGE, 1));
	EXPECT_EQ(-EINVAL, edu_start(self->dev, buf, ~0ULL & ~(PAGE - 1), 1));
	EXPECT_EQ(-EINVAL, edu_start(self->dev, buf, EDU_IOVA, 0));
	EXPECT_EQ(-EINVAL, edu_start(self->dev, buf, EDU_IOVA, slots + 1));
	EXPECT_EQ(-EINVAL, edu_start(self->dev, buf, EDU_IOVA, ~0ULL));
	EXPECT_EQ(-ENOENT, edu_stats(self->dev, IOMMU_MIGRATE_IOC_EDU_STOP, &st));
	EXPECT_EQ(0, edu_stats(self->dev, IOMMU_MIGRATE_IOC_EDU_STATS, &st));
	EXPECT_EQ(0, st.running);
	EXPECT_EQ(-EFAULT, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_EDU_STATS, (void *)1));

	/* A buffer in a domain of the model is not the device's, and back. */
	dom = imm_domain(self->dev, IOMMU_MIGRATE_FORMAT_RADIX);
	ASSERT_LT(0, dom);
	ASSERT_EQ(0, imm_map(self->dev, buf, dom, 0, IOMMU_MIGRATE_PROT_READ));
	EXPECT_EQ(-EBUSY, edu_start(self->dev, buf, EDU_IOVA, 1));
	ASSERT_EQ(0, imm_unmap(self->dev, buf, dom));

	/* The last slot ends at the buffer's end, at the top IOVA. */
	ASSERT_EQ(0, edu_start(self->dev, buf, IOMMU_MIGRATE_EDU_IOVA_END - 2 * PAGE, slots));
	EXPECT_EQ(-EBUSY, imm_map(self->dev, buf, dom, 0, IOMMU_MIGRATE_PROT_READ));
	buf2 = imm_buf(self->dev, PAGE, -1);
	ASSERT_LE(0, buf2);
	EXPECT_EQ(-EBUSY, edu_start(self->dev, buf2, EDU_IOVA, 1));
	/* Another file neither stops nor restarts it; closing it ends it. */
	dev2 = open(DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, dev2);
	EXPECT_EQ(-ENOENT, edu_stats(dev2, IOMMU_MIGRATE_IOC_EDU_STOP, &st));
	EXPECT_EQ(-EBUSY, edu_start(dev2, buf2, EDU_IOVA, 1));
	EXPECT_EQ(0, edu_stats(dev2, IOMMU_MIGRATE_IOC_EDU_STATS, &st));
	EXPECT_EQ(1, st.running);
	close(self->dev);
	self->dev = dev2;
	ASSERT_EQ(0, edu_start(dev2, buf2, EDU_IOVA, 1));
	ASSERT_EQ(0, edu_wait(dev2, &st));
	EXPECT_EQ(0, edu_stats(dev2, IOMMU_MIGRATE_IOC_EDU_STOP, &st));
	EXPECT_EQ(1, st.written);
	EXPECT_EQ(0, st.dma_errors);

	/* Migrate requests are checked as the model's. */
	ASSERT_EQ(0, edu_start(dev2, buf, EDU_IOVA, 1));
	EXPECT_EQ(-EINVAL, imm_migrate(dev2, buf, 0, 64, PAGE, &m));
	EXPECT_EQ(-EINVAL, imm_migrate(dev2, buf, 0, 0, 3 * PAGE, &m));
	EXPECT_EQ(-EINVAL, imm_migrate(dev2, buf, 99, 0, PAGE, &m));
	EXPECT_EQ(-EINVAL, imm_migrate(dev2, buf, -1, 0, PAGE, &m));
	EXPECT_EQ(0, imm_migrate(dev2, buf, 0, 0, 2 * PAGE, &m));
	EXPECT_EQ(2, m.moved + m.already);
	/* The counts are outputs: what the caller left there is ignored. */
	m = (struct iommu_migrate_migrate){
		.buf_fd = buf, .node = 1, .size = 2 * PAGE,
		.moved = 7, .aborted = 7, .already = 7,
	};
	EXPECT_EQ(0, imm_ioctl(dev2, IOMMU_MIGRATE_IOC_MIGRATE, &m));
	EXPECT_EQ(2, m.moved + m.already);
	EXPECT_EQ(0, m.aborted);
	/* Unbinding the device ends the session under the file. */
	ASSERT_EQ(0, write_file("/sys/bus/pci/drivers/" EDU_DRV "/unbind", self->bdf));
	EXPECT_EQ(-ENODEV, edu_stats(dev2, IOMMU_MIGRATE_IOC_EDU_STATS, &st));
	EXPECT_EQ(-ENODEV, edu_start(dev2, buf2, EDU_IOVA, 1));
	EXPECT_EQ(-ENODEV, edu_stats(dev2, IOMMU_MIGRATE_IOC_EDU_STOP, &st));
	/* The buffer is free for the model again. */
	dom = imm_domain(dev2, IOMMU_MIGRATE_FORMAT_RADIX);
	ASSERT_LT(0, dom);
	EXPECT_EQ(0, imm_map(dev2, buf, dom, 0, IOMMU_MIGRATE_PROT_READ));
	close(buf2);
	close(buf);
	close(null);
}

/*
 * An evacuation of a frame range finds the pages the device writes to
 * (they have no RMT entry: the real IOMMU maps them) and moves them
 * out under its DMA, with the hold and the drain; nothing is lost.
 * iommu_migrate_pfn_mapped(), which maint_cmd asks before it
 * evacuates, sees those frames from the session's start to its end,
 * the new one after each move.
 */
TEST_F_TIMEOUT(edu, evacuation_moves_device_pages, 120)
{
	const unsigned long long count = PAGE / REC - 1;	/* one load */
	struct iommu_migrate_evacuate ev;
	struct iommu_migrate_edu_stats st;
	struct iommu_migrate_page pg0, pg1, pg;
	struct rec_result r;
	long faults0;
	int buf;
	void *map;

	buf = mapped_pair(_metadata, self->dev, &map, &faults0);
	if (buf < 0)
		return;
	ASSERT_EQ(0, imm_page(self->dev, buf, 0, &pg0));
	ASSERT_EQ(0, imm_page(self->dev, buf, 1, &pg1));
	/* Not device-mapped before the session, both pages during it. */
	EXPECT_EQ(0, dev_mapped(self->dev, buf, 0));
	EXPECT_EQ(0, dev_mapped(self->dev, buf, 1));
	ASSERT_EQ(0, edu_start(self->dev, buf, EDU_IOVA, count));
	EXPECT_EQ(1, dev_mapped(self->dev, buf, 0));
	EXPECT_EQ(1, dev_mapped(self->dev, buf, 1));
	/* Page 0's frame, to any node, while the device writes page 0. */
	ev = (struct iommu_migrate_evacuate){
		.start_pfn = pg0.pfn, .nr_pages = 1, .node = -1,
	};
	ASSERT_EQ(0, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_EVACUATE, &ev));
	EXPECT_EQ(1, ev.mapped);
	EXPECT_EQ(1, ev.moved);
	EXPECT_EQ(0, ev.failed);
	ASSERT_EQ(0, imm_page(self->dev, buf, 0, &pg));
	EXPECT_NE(pg0.pfn, pg.pfn);
	/* The new frame is device-mapped as the old one was. */
	EXPECT_NE(0, pg.flags & IOMMU_MIGRATE_PAGE_DEV_MAPPED);
	/* Page 1's frame, to node 1. */
	ev = (struct iommu_migrate_evacuate){
		.start_pfn = pg1.pfn, .nr_pages = 1, .node = 1,
	};
	ASSERT_EQ(0, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_EVACUATE, &ev));
	EXPECT_EQ(1, ev.mapped);
	EXPECT_EQ(1, ev.moved);
	ASSERT_EQ(0, imm_page(self->dev, buf, 1, &pg));
	EXPECT_NE(pg1.pfn, pg.pfn);
	EXPECT_EQ(1, pg.node);
	EXPECT_NE(0, pg.flags & IOMMU_MIGRATE_PAGE_DEV_MAPPED);
	/* Nothing of the session is left in the frames it left. */
	ev = (struct iommu_migrate_evacuate){
		.start_pfn = pg0.pfn, .nr_pages = 1, .node = -1,
	};
	ASSERT_EQ(0, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_EVACUATE, &ev));
	EXPECT_EQ(0, ev.mapped);
	ASSERT_EQ(0, edu_wait(self->dev, &st));
	ASSERT_EQ(0, edu_stats(self->dev, IOMMU_MIGRATE_IOC_EDU_STOP, &st));
	/* The session's end unmaps them. */
	EXPECT_EQ(0, dev_mapped(self->dev, buf, 0));
	EXPECT_EQ(0, dev_mapped(self->dev, buf, 1));
	EXPECT_EQ(2, st.migrated);
	EXPECT_EQ(0, st.dma_errors);
	check_records(map, EDU_IOVA, 2 * PAGE / REC, IOMMU_MIGRATE_EDU_ENGINE,
		      st.written, &r);
	EXPECT_EQ(count, st.written);
	EXPECT_EQ(count, r.ok);
	EXPECT_EQ(0, r.lost);
	EXPECT_EQ(0, r.torn);
	EXPECT_EQ(0, r.misplaced);
	EXPECT_EQ(faults0, dmar_faults());
	munmap(map, 2 * PAGE);
	close(buf);
}

/* iommu_migrate_block() of frame @pfn, as maint_cmd calls it on lost data. */
static int block_pfn(unsigned long long pfn)
{
	char val[32];

	snprintf(val, sizeof(val), "%llu", pfn);
	return mv_write_path(DEBUGFS "block_pfn", val);
}

/*
 * iommu_migrate_block() of a page the device writes to (maint_cmd's
 * call on lost data, through the debugfs trigger): the command in
 * flight drains, the IOVA is unmapped, and every later record for the
 * page is refused by the driver, counted, never issued: not one lands
 * in the page after the block, and the IOMMU logs no fault. The other
 * page goes on. A blocked page is not moved; a second block says 0.
 */
TEST_F_TIMEOUT(edu, blocked_page_refuses_the_device, 120)
{
	const unsigned long long per_page = PAGE / REC;
	const unsigned long long count = per_page + 8;
	struct iommu_migrate_stats s0, s1;
	struct iommu_migrate_edu_stats st;
	struct iommu_migrate_page pg0, pg;
	struct iommu_migrate_migrate m;
	unsigned long long landed = 0, i;
	static char before[PAGE];
	struct rec_result r;
	long faults0;
	int buf, other;
	void *map;

	buf = mapped_pair(_metadata, self->dev, &map, &faults0);
	if (buf < 0)
		return;
	other = imm_buf(self->dev, PAGE, 0);
	ASSERT_LE(0, other);
	ASSERT_EQ(0, imm_page(self->dev, other, 0, &pg));
	ASSERT_EQ(0, imm_page(self->dev, buf, 0, &pg0));
	ASSERT_EQ(0, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_STATS, &s0));
	/* No domain maps a frame of a buffer the device does not have. */
	EXPECT_EQ(-ENOENT, block_pfn(pg.pfn));
	/* Page 0's records, then 8 in page 1; page 0 blocked at once. */
	ASSERT_EQ(0, edu_start(self->dev, buf, EDU_IOVA, count));
	ASSERT_EQ(0, block_pfn(pg0.pfn));
	memcpy(before, map, PAGE);
	EXPECT_EQ(0, block_pfn(pg0.pfn));
	ASSERT_EQ(0, imm_page(self->dev, buf, 0, &pg));
	EXPECT_EQ(pg0.pfn, pg.pfn);
	EXPECT_NE(0, pg.flags & IOMMU_MIGRATE_PAGE_DEV_MAPPED);
	/* The blocked page stays where it is; the other one moves. */
	ASSERT_EQ(0, imm_migrate(self->dev, buf, 1, 0, 2 * PAGE, &m));
	EXPECT_EQ(1, m.aborted);
	EXPECT_EQ(1, m.moved);
	ASSERT_EQ(0, imm_page(self->dev, buf, 0, &pg));
	EXPECT_EQ(pg0.pfn, pg.pfn);
	ASSERT_EQ(0, edu_wait(self->dev, &st));
	ASSERT_EQ(0, edu_stats(self->dev, IOMMU_MIGRATE_IOC_EDU_STOP, &st));
	ASSERT_EQ(0, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_STATS, &s1));
	/* Not one byte of page 0 changed after the block returned. */
	EXPECT_EQ(0, memcmp(before, map, PAGE));
	for (i = 0; i < per_page; i++)
		if (((const struct iommu_migrate_record *)map)[i].magic)
			landed++;
	check_records(map, EDU_IOVA, 2 * per_page, IOMMU_MIGRATE_EDU_ENGINE,
		      count, &r);
	TH_LOG("%llu records landed in page 0 before its block, %u refused, %llu written",
	       landed, st.refused, st.written);
	/* At most the command in flight when the block came. */
	EXPECT_GE(1, landed);
	EXPECT_EQ(per_page - landed, st.refused);
	EXPECT_EQ(count - st.refused, st.written);
	EXPECT_EQ(landed + 8, r.ok);
	EXPECT_EQ(per_page - landed, r.lost);
	EXPECT_EQ(0, r.torn + r.misplaced);
	EXPECT_EQ(0, st.dma_errors);
	EXPECT_EQ(1, st.aborted);
	EXPECT_EQ(1, s1.migrations_aborted - s0.migrations_aborted);
	/* The session's end unmapped the rest and forgot the frame. */
	EXPECT_EQ(-ENOENT, block_pfn(pg0.pfn));
	EXPECT_EQ(faults0, dmar_faults());
	munmap(map, 2 * PAGE);
	close(other);
	close(buf);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct edu_migrate_thread {
	int dev, buf, node;
	unsigned long pages;
	struct iommu_migrate_migrate m;
	long ret;
	double secs;
	int done;	/* set (release) once the request returned */
};

static void *edu_migrate_fn(void *arg)
{
	struct edu_migrate_thread *t = arg;
	double t0 = now_s();

	t->ret = imm_migrate(t->dev, t->buf, t->node, 0, t->pages * PAGE, &t->m);
	t->secs = now_s() - t0;
	__atomic_store_n(&t->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * With each page held 250 ms between copy and switch: a session of
 * @count records on @t's buffer, and @t's request in thread @th.
 * Returns once the request has moved its first page.
 */
static void edu_slow_request(struct __test_metadata *_metadata,
			     struct edu_migrate_thread *t,
			     unsigned long long count, pthread_t *th)
{
	struct iommu_migrate_edu_stats st;
	int i;

	ASSERT_EQ(0, write_hook("edu_copy_delay_ms", "250"));
	ASSERT_EQ(0, edu_start(t->dev, t->buf, EDU_IOVA, count));
	ASSERT_EQ(0, pthread_create(th, NULL, edu_migrate_fn, t));
	for (i = 0; i < 3000; i++) {
		ASSERT_EQ(0, edu_stats(t->dev, IOMMU_MIGRATE_IOC_EDU_STATS, &st));
		if (st.migrated)
			break;
		usleep(5000);
	}
	ASSERT_LT(0, st.migrated);
}

/*
 * iommu_migrate_block() of the last page of a buffer while a request
 * moves the whole buffer, each page slowed to 250 ms between copy and
 * switch: the block does not wait for the request (many seconds), only
 * for the page move in progress; the blocked page is then given up by
 * the request (aborted, not moved), the others move.
 */
TEST_F_TIMEOUT(edu, block_does_not_wait_for_a_migration, 120)
{
	enum { PAGES = 16 };
	struct edu_migrate_thread t = { .node = 1, .pages = PAGES };
	struct iommu_migrate_edu_stats st;
	struct iommu_migrate_page last, pg;
	double tb, block_s;
	pthread_t th;

	if (nr_nodes() < 2)
		SKIP(return, "one NUMA node");
	t.dev = self->dev;
	t.buf = imm_buf(self->dev, PAGES * PAGE, 0);
	ASSERT_LE(0, t.buf);
	ASSERT_EQ(0, imm_page(self->dev, t.buf, PAGES - 1, &last));
	edu_slow_request(_metadata, &t, PAGES * PAGE / REC, &th);
	tb = now_s();
	EXPECT_EQ(0, block_pfn(last.pfn));
	block_s = now_s() - tb;
	ASSERT_EQ(0, pthread_join(th, NULL));
	TH_LOG("the block took %.3f s, the request of %d pages %.3f s",
	       block_s, PAGES, t.secs);
	/* One page move (250 ms and a drain) at most, not the request. */
	EXPECT_GT(1.0, block_s);
	EXPECT_LT(2.0, t.secs);
	EXPECT_EQ(0, t.ret);
	EXPECT_EQ(1, t.m.aborted);
	EXPECT_EQ(PAGES - 1, t.m.moved);
	ASSERT_EQ(0, imm_page(self->dev, t.buf, PAGES - 1, &pg));
	EXPECT_EQ(last.pfn, pg.pfn);
	EXPECT_EQ(0, pg.node);
	ASSERT_EQ(0, edu_stats(self->dev, IOMMU_MIGRATE_IOC_EDU_STOP, &st));
	EXPECT_EQ(1, st.aborted);
	EXPECT_EQ(PAGES - 1, st.migrated);
	EXPECT_EQ(0, st.dma_errors);
	close(t.buf);
}

struct edu_restart {
	int dev, buf;
	struct edu_migrate_thread *req;
	struct iommu_migrate_edu_stats st;	/* the first session's */
	long stop, start;
	bool req_done_at_stop;	/* the request had returned by then */
};

/* Stop the session and start another one on the same buffer. */
static void *edu_restart_fn(void *arg)
{
	struct edu_restart *r = arg;

	r->stop = edu_stats(r->dev, IOMMU_MIGRATE_IOC_EDU_STOP, &r->st);
	r->req_done_at_stop = __atomic_load_n(&r->req->done, __ATOMIC_ACQUIRE);
	r->start = edu_start(r->dev, r->buf, EDU_IOVA, RESTART_RECORDS);
	return NULL;
}

/*
 * The session ends and a new one starts with the same buffer while a
 * request of its pages runs (review-s12 S3 a): as in
 * block_does_not_wait_for_a_migration, a block of the last page makes
 * the request let waiting callers of e->mutex in after its current
 * page (edu_let_blocks_in()); a thread's EDU_STOP, queued on the mutex
 * before the block, goes in there, and its EDU_START follows. The
 * request must then go on against the new session (pages it had moved
 * stay moved, the frames it finds are the new session's), or, if it
 * retook the mutex between the stop and the start, return -EAGAIN with
 * counts that say what it did; the counts agree with where the pages
 * are, and no record of either session is lost.
 *
 * Which of the waiters takes e->mutex first (the stop, the block, the
 * start, the request waking from edu_let_blocks_in()) is up to the
 * mutex and the scheduler: the test cannot force one order, and checks
 * the result of each (the block finds the page in the first session,
 * the second, or none: 0 or -ENOENT; a page blocked in the first
 * session is free again in the second). What it does drive, and
 * asserts, is a stop that ends the session while the request is
 * between two of its pages: the stop returns before the request does
 * (it is the first waiter when the request lets waiters in, queued 50
 * ms before the block). In the runs so far the start came before the
 * request retook the mutex, and the block took the page in one of the
 * sessions (7 moved, 1 aborted); the -EAGAIN branch has not run.
 * Two blocks of one page (S3 b, one clearing the other's ask) are not
 * driven: imm_edu_block()'s comment says why that is safe.
 */
TEST_F_TIMEOUT(edu, session_restart_during_a_request, 120)
{
	enum { PAGES = 8 };
	struct edu_migrate_thread t = { .node = 1, .pages = PAGES };
	struct edu_restart r = { .req = &t };
	struct iommu_migrate_edu_stats st;
	struct iommu_migrate_page last, pg;
	unsigned long long writes;
	unsigned int i, on1 = 0;
	pthread_t th, rs;
	struct rec_result res;
	long faults0;
	int block;
	void *map;

	if (nr_nodes() < 2)
		SKIP(return, "one NUMA node");
	faults0 = dmar_faults();
	ASSERT_LE(0, faults0);
	t.dev = r.dev = self->dev;
	t.buf = r.buf = imm_buf(self->dev, PAGES * PAGE, 0);
	ASSERT_LE(0, t.buf);
	map = mmap(NULL, PAGES * PAGE, PROT_READ, MAP_SHARED, t.buf, 0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, imm_page(self->dev, t.buf, PAGES - 1, &last));
	ASSERT_EQ(0, write_hook("edu_copy_delay_ms", "250"));
	ASSERT_EQ(0, edu_start(self->dev, t.buf, EDU_IOVA, PAGES * PAGE / REC));
	ASSERT_EQ(0, pthread_create(&th, NULL, edu_migrate_fn, &t));
	for (i = 0; i < 3000; i++) {
		ASSERT_EQ(0, edu_stats(self->dev, IOMMU_MIGRATE_IOC_EDU_STATS, &st));
		if (st.migrated)
			break;
		usleep(5000);
	}
	ASSERT_LT(0, st.migrated);
	ASSERT_EQ(0, pthread_create(&rs, NULL, edu_restart_fn, &r));
	usleep(50000);	/* the stop waits for e->mutex first */
	block = block_pfn(last.pfn);
	ASSERT_EQ(0, pthread_join(rs, NULL));
	ASSERT_EQ(0, pthread_join(th, NULL));
	for (i = 0; i < PAGES; i++) {
		ASSERT_EQ(0, imm_page(self->dev, t.buf, i, &pg));
		on1 += pg.node == 1;
	}
	TH_LOG("block %d, stop %ld (request %s), start %ld; request %ld: %llu moved, %llu aborted in %.3f s; session 1 wrote %llu",
	       block, r.stop, r.req_done_at_stop ? "done" : "running", r.start,
	       t.ret, (unsigned long long)t.m.moved,
	       (unsigned long long)t.m.aborted, t.secs,
	       (unsigned long long)r.st.written);
	EXPECT_EQ(0, r.stop);
	EXPECT_EQ(0, r.start);
	/* The stop went in between two pages, not after the request. */
	EXPECT_FALSE(r.req_done_at_stop);
	EXPECT_TRUE(block == 0 || block == -ENOENT);
	EXPECT_EQ(0, r.st.dma_errors);
	EXPECT_EQ(0, t.m.already);
	if (t.ret == -EAGAIN) {
		EXPECT_GT(PAGES, t.m.moved + t.m.aborted);
	} else {
		EXPECT_EQ(0, t.ret);
		EXPECT_EQ(PAGES, t.m.moved + t.m.aborted);
		/* At most the blocked page is given up. */
		EXPECT_GE(1, t.m.aborted);
	}
	EXPECT_EQ(t.m.moved, on1);
	/* The second session writes its records, through the moved pages. */
	ASSERT_EQ(0, edu_wait(self->dev, &st));
	ASSERT_EQ(0, edu_stats(self->dev, IOMMU_MIGRATE_IOC_EDU_STOP, &st));
	EXPECT_EQ(RESTART_RECORDS, st.written);
	EXPECT_EQ(0, st.refused);
	EXPECT_EQ(0, st.dma_errors);
	/* Slot n holds record n of the session that wrote it last. */
	writes = r.st.written > RESTART_RECORDS ? r.st.written : RESTART_RECORDS;
	check_records(map, EDU_IOVA, PAGES * PAGE / REC, IOMMU_MIGRATE_EDU_ENGINE,
		      writes, &res);
	EXPECT_EQ(writes, res.ok);
	EXPECT_EQ(0, res.lost);
	EXPECT_EQ(0, res.torn);
	EXPECT_EQ(0, res.misplaced);
	EXPECT_EQ(faults0, dmar_faults());
	munmap(map, PAGES * PAGE);
	close(t.buf);
}

/*
 * A request does not hold up suspend on the edu path either: its
 * caller moves page after page in its own context, under the device's
 * mutex, and is frozen between two pages without it. The freezer stage
 * of a suspend (pm_test "freezer", pm_freeze_timeout 1000 ms) during a
 * request of 16 pages slowed to 250 ms each succeeds while the request
 * still runs, and the request then moves every page with no record
 * lost. Needs CONFIG_PM_DEBUG.
 */
TEST_F_TIMEOUT(edu, request_does_not_hold_up_suspend, 120)
{
	enum { PAGES = 16 };
	struct edu_migrate_thread t = { .node = 1, .pages = PAGES };
	const unsigned long long count = PAGE / REC - 1;	/* one load */
	struct iommu_migrate_edu_stats st;
	const char *state, *why;
	struct rec_result res;
	double secs = 0;
	long faults0;
	pthread_t th;
	void *map;
	int ret;

	state = imm_pm_state(&why);
	if (!state)
		SKIP(return, "%s", why);
	if (nr_nodes() < 2)
		SKIP(return, "one NUMA node");
	faults0 = dmar_faults();
	ASSERT_LE(0, faults0);
	t.dev = self->dev;
	t.buf = imm_buf(self->dev, PAGES * PAGE, 0);
	ASSERT_LE(0, t.buf);
	map = mmap(NULL, PAGES * PAGE, PROT_READ, MAP_SHARED, t.buf, 0);
	ASSERT_NE(MAP_FAILED, map);
	edu_slow_request(_metadata, &t, count, &th);
	ret = imm_freezer_test(&self->pm, state, &secs);
	ASSERT_EQ(0, edu_stats(self->dev, IOMMU_MIGRATE_IOC_EDU_STATS, &st));
	TH_LOG("%s with the freezer test: %d (%s) in %.2f s, %llu pages moved after it",
	       state, ret, ret ? strerror(-ret) : "ok", secs,
	       (unsigned long long)st.migrated);
	EXPECT_EQ(0, ret);
	/*
	 * The request was still running when the write returned, so it
	 * ran across the whole freeze: the write did not merely start
	 * after it (the sync before the freeze can take seconds).
	 */
	EXPECT_FALSE(__atomic_load_n(&t.done, __ATOMIC_ACQUIRE));
	EXPECT_GT(PAGES, st.migrated);
	ASSERT_EQ(0, pthread_join(th, NULL));
	EXPECT_EQ(0, t.ret);
	EXPECT_EQ(PAGES, t.m.moved);
	EXPECT_EQ(0, t.m.aborted + t.m.already);
	ASSERT_EQ(0, edu_wait(self->dev, &st));
	ASSERT_EQ(0, edu_stats(self->dev, IOMMU_MIGRATE_IOC_EDU_STOP, &st));
	EXPECT_EQ(count, st.written);
	EXPECT_EQ(0, st.dma_errors);
	check_records(map, EDU_IOVA, PAGES * PAGE / REC, IOMMU_MIGRATE_EDU_ENGINE,
		      st.written, &res);
	EXPECT_EQ(count, res.ok);
	EXPECT_EQ(0, res.lost + res.torn + res.misplaced);
	EXPECT_EQ(faults0, dmar_faults());
	munmap(map, PAGES * PAGE);
	close(t.buf);
}

/* A tracefs instance of our own, with iommu_migrate events enabled. */
#define TRACE_INST	"/sys/kernel/tracing/instances/iommu_migrate_edu/"

static int trace_start(const char * const *events, unsigned int n)
{
	unsigned int i;
	char path[256];

	rmdir(TRACE_INST);
	if (mkdir(TRACE_INST, 0700))
		return -errno;
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), TRACE_INST "events/iommu_migrate/%s/enable",
			 events[i]);
		if (mv_write_path(path, "1"))
			return -1;
	}
	return 0;
}

/* Lines of the instance's trace that hold @what; -1 on error. */
static long trace_count(const char *what)
{
	FILE *f = fopen(TRACE_INST "trace", "r");
	char line[512];
	long n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		n += !!strstr(line, what);
	fclose(f);
	return n;
}

/*
 * A page blocked while it is being moved, between its copy and its
 * switch (found by the copy tracepoint; the copy is slowed to 1 s): the
 * move gives up, the IOVA stays on the frame the block names, and the
 * block blocks it. The other page moves.
 */
TEST_F_TIMEOUT(edu, block_during_its_move_keeps_the_page, 120)
{
	static const char * const ev[] = { "iommu_migrate_copy" };
	struct edu_migrate_thread t = { .node = 1, .pages = 2 };
	struct iommu_migrate_edu_stats st;
	struct iommu_migrate_page pg0, pg;
	char copy_of[64];
	long faults0;
	pthread_t th;
	void *map;
	int i;

	t.buf = mapped_pair(_metadata, self->dev, &map, &faults0);
	if (t.buf < 0)
		return;
	t.dev = self->dev;
	ASSERT_EQ(0, imm_page(self->dev, t.buf, 0, &pg0));
	snprintf(copy_of, sizeof(copy_of), "iommu_migrate_copy: old=0x%llx ",
		 (unsigned long long)pg0.pfn);
	ASSERT_EQ(0, trace_start(ev, 1));
	ASSERT_EQ(0, write_hook("edu_copy_delay_ms", "1000"));
	ASSERT_EQ(0, edu_start(self->dev, t.buf, EDU_IOVA, PAGE / REC - 1));
	ASSERT_EQ(0, pthread_create(&th, NULL, edu_migrate_fn, &t));
	for (i = 0; i < 1000 && trace_count(copy_of) < 1; i++)
		usleep(5000);
	EXPECT_EQ(1, trace_count(copy_of));
	EXPECT_EQ(0, block_pfn(pg0.pfn));
	ASSERT_EQ(0, pthread_join(th, NULL));
	rmdir(TRACE_INST);
	EXPECT_EQ(0, t.ret);
	EXPECT_EQ(1, t.m.aborted);
	EXPECT_EQ(1, t.m.moved);
	ASSERT_EQ(0, imm_page(self->dev, t.buf, 0, &pg));
	EXPECT_EQ(pg0.pfn, pg.pfn);
	EXPECT_EQ(0, pg.node);
	ASSERT_EQ(0, imm_page(self->dev, t.buf, 1, &pg));
	EXPECT_EQ(1, pg.node);
	/* Blocked: a second block says so, a move leaves it. */
	EXPECT_EQ(0, block_pfn(pg0.pfn));
	ASSERT_EQ(0, edu_stats(self->dev, IOMMU_MIGRATE_IOC_EDU_STOP, &st));
	EXPECT_EQ(0, st.dma_errors);
	EXPECT_EQ(1, st.aborted);
	EXPECT_EQ(faults0, dmar_faults());
	munmap(map, 2 * PAGE);
	close(t.buf);
}

/*
 * A move the driver gives up after its migrate_begin tracepoint (the
 * page is pinned through the CPU mapping, as O_DIRECT pins it) fires
 * the abort tracepoint, so that a tool keyed on begin (the stall
 * bpftrace script) forgets the page: every begin ends in a switch or
 * an abort. The pinned page stays; unpinned, it moves.
 */
TEST_F_TIMEOUT(edu, aborted_move_fires_the_abort_tracepoint, 120)
{
	static const char * const ev[] = {
		"iommu_migrate_migrate_begin", "iommu_migrate_switch",
		"iommu_migrate_abort",
	};
	const unsigned long long count = PAGE / REC - 1;	/* one load */
	struct iommu_migrate_edu_stats st;
	struct iommu_migrate_migrate m;
	struct iommu_migrate_page pg0, pg;
	long faults0, pinned0;
	char val[64];
	int buf;
	void *map, *rw;

	buf = mapped_pair(_metadata, self->dev, &map, &faults0);
	if (buf < 0)
		return;
	rw = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, buf, 0);
	ASSERT_NE(MAP_FAILED, rw);
	ASSERT_EQ(0, imm_page(self->dev, buf, 0, &pg0));
	pinned0 = read_knob("pinned_aborts");
	ASSERT_EQ(0, edu_start(self->dev, buf, EDU_IOVA, count));
	snprintf(val, sizeof(val), "%lx 1", (unsigned long)rw);
	ASSERT_EQ(0, mv_write_path(DEBUGFS "pin_pages", val));
	ASSERT_EQ(0, trace_start(ev, 3));
	ASSERT_EQ(0, imm_migrate(self->dev, buf, 1, 0, 2 * PAGE, &m));
	EXPECT_EQ(1, m.aborted);
	EXPECT_EQ(1, m.moved);
	EXPECT_EQ(pinned0 + 1, read_knob("pinned_aborts"));
	EXPECT_EQ(2, trace_count("iommu_migrate_migrate_begin: domain=0 "));
	EXPECT_EQ(1, trace_count("iommu_migrate_switch: domain=0 "));
	EXPECT_EQ(1, trace_count("iommu_migrate_abort: domain=0 "));
	ASSERT_EQ(0, imm_page(self->dev, buf, 0, &pg));
	EXPECT_EQ(pg0.pfn, pg.pfn);
	/* Unpinned, it moves. */
	ASSERT_EQ(0, mv_write_path(DEBUGFS "pin_pages", "0 0"));
	ASSERT_EQ(0, imm_migrate(self->dev, buf, 1, 0, 2 * PAGE, &m));
	EXPECT_EQ(0, m.aborted);
	EXPECT_EQ(1, m.moved);
	EXPECT_EQ(3, trace_count("iommu_migrate_migrate_begin: domain=0 "));
	EXPECT_EQ(2, trace_count("iommu_migrate_switch: domain=0 "));
	EXPECT_EQ(1, trace_count("iommu_migrate_abort: domain=0 "));
	rmdir(TRACE_INST);
	ASSERT_EQ(0, edu_wait(self->dev, &st));
	ASSERT_EQ(0, edu_stats(self->dev, IOMMU_MIGRATE_IOC_EDU_STOP, &st));
	EXPECT_EQ(count, st.written);
	EXPECT_EQ(0, st.dma_errors);
	EXPECT_EQ(faults0, dmar_faults());
	munmap(rw, 2 * PAGE);
	munmap(map, 2 * PAGE);
	close(buf);
}

TEST_HARNESS_MAIN
