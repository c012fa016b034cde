// SPDX-License-Identifier: GPL-2.0
/*
 * iommu_migrate user ABI: every ioctl with bad input (sizes, overflows,
 * bad fds, unknown ids, limits), the RMT check of forged accesses, the
 * CPU mapping across moves (also with CPU faults racing the moves), a
 * migration aborted by failed destination allocations, an evacuation
 * with nowhere to go, the stall of a device released after its page's
 * switch, and the sysfs knobs.
 */
#include "kselftest_harness.h"
#include "imm_util.h"

#include <pthread.h>
#include <stddef.h>
#include <time.h>

FIXTURE(imm) {
	int dev;
	struct mv_knobs knobs, hooks;
};

FIXTURE_SETUP(imm)
{
	self->knobs.dir = SYSFS;
	self->hooks.dir = DEBUGFS;
	self->dev = open(DEV, O_RDWR | O_CLOEXEC);
	if (self->dev < 0 && errno == ENOENT && !getenv("MEMVIRT_REQUIRE"))
		SKIP(return, "iommu_migrate not loaded");
	ASSERT_LE(0, self->dev);
}

FIXTURE_TEARDOWN(imm)
{
	if (self->dev >= 0)
		close(self->dev);
	mv_knobs_restore(&self->hooks);
	mv_knobs_restore(&self->knobs);
}

TEST_F(imm, domain_bad_input)
{
	struct iommu_migrate_domain d = { .format = IOMMU_MIGRATE_FORMAT_RADIX };
	struct iommu_migrate_id id = { 0 };
	long max, i, dom;

	EXPECT_EQ(-EINVAL, imm_domain(self->dev, 0));
	EXPECT_EQ(-EINVAL, imm_domain(self->dev, 3));
	d.reserved = 1;
	EXPECT_EQ(-EINVAL, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_DOMAIN_CREATE, &d));
	d.reserved = 0;
	d.id = 5;
	EXPECT_EQ(-EINVAL, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_DOMAIN_CREATE, &d));
	EXPECT_EQ(-EFAULT, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_DOMAIN_CREATE, NULL));
	/* The limit: max_domains per file, then -EMFILE. */
	mv_knobs_save(&self->knobs, "max_domains");
	ASSERT_EQ(0, write_knob("max_domains", "3"));
	max = 3;
	for (i = 0; i < max; i++)
		EXPECT_LT(0, imm_domain(self->dev, IOMMU_MIGRATE_FORMAT_HASH));
	EXPECT_EQ(-EMFILE, imm_domain(self->dev, IOMMU_MIGRATE_FORMAT_RADIX));
	id.id = 99;
	EXPECT_EQ(-ENOENT, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_DOMAIN_DESTROY, &id));
	id.id = 1;
	id.reserved = 1;
	EXPECT_EQ(-EINVAL, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_DOMAIN_DESTROY, &id));
	id.reserved = 0;
	EXPECT_EQ(0, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_DOMAIN_DESTROY, &id));
	EXPECT_EQ(-ENOENT, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_DOMAIN_DESTROY, &id));
	dom = imm_domain(self->dev, IOMMU_MIGRATE_FORMAT_RADIX);
	EXPECT_LT(0, dom);
	EXPECT_EQ(-ENOTTY, imm_ioctl(self->dev, _IO(IOMMU_MIGRATE_IOC_MAGIC, 0x7f), NULL));
}

TEST_F(imm, buffer_bad_input)
{
	struct iommu_migrate_buf b = { .size = PAGE, .node = -1, .flags = 1 };
	struct iommu_migrate_map m = { 0 };
	struct iommu_migrate_id id = { 0 };
	struct iommu_migrate_page pg;
	int dom = imm_domain(self->dev, IOMMU_MIGRATE_FORMAT_RADIX), buf, other;
	long max_mb = read_knob("max_buffer_mb");
	void *p;

	ASSERT_LT(0, dom);
	EXPECT_EQ(-EINVAL, imm_buf(self->dev, 0, -1));
	EXPECT_EQ(-EINVAL, imm_buf(self->dev, 100, -1));
	EXPECT_EQ(-E2BIG, imm_buf(self->dev, (max_mb + 1) * MB, -1));
	EXPECT_EQ(-E2BIG, imm_buf(self->dev, -PAGE, -1));
	EXPECT_EQ(-EINVAL, imm_buf(self->dev, PAGE, 4096));
	EXPECT_EQ(-EINVAL, imm_buf(self->dev, PAGE, -2));
	EXPECT_EQ(-EINVAL, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_BUF_CREATE, &b));
	buf = imm_buf(self->dev, 4 * PAGE, -1);
	ASSERT_LE(0, buf);
	other = imm_buf(self->dev, PAGE, -1);
	ASSERT_LE(0, other);

	/* mmap: shared only, inside the buffer. */
	EXPECT_EQ(MAP_FAILED, mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, buf, 0));
	EXPECT_EQ(MAP_FAILED, mmap(NULL, 5 * PAGE, PROT_READ, MAP_SHARED, buf, 0));
	EXPECT_EQ(MAP_FAILED, mmap(NULL, PAGE, PROT_READ, MAP_SHARED, buf, 4 * PAGE));
	p = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, buf, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(0, ((char *)p)[3 * PAGE]);
	munmap(p, 4 * PAGE);

	/* map: prot, alignment, range, fds, twice. */
	EXPECT_EQ(-EINVAL, imm_map(self->dev, buf, dom, 0, 0));
	EXPECT_EQ(-EINVAL, imm_map(self->dev, buf, dom, 0, IOMMU_MIGRATE_PROT_WRITE));
	EXPECT_EQ(-EINVAL, imm_map(self->dev, buf, dom, 0, 7));
	EXPECT_EQ(-EINVAL, imm_map(self->dev, buf, dom, 100, IOMMU_MIGRATE_PROT_READ));
	EXPECT_EQ(-EINVAL, imm_map(self->dev, buf, dom, 1ULL << 48, IOMMU_MIGRATE_PROT_READ));
	EXPECT_EQ(-EINVAL, imm_map(self->dev, buf, dom, -PAGE, IOMMU_MIGRATE_PROT_READ));
	EXPECT_EQ(-EBADF, imm_map(self->dev, -1, dom, 0, IOMMU_MIGRATE_PROT_READ));
	EXPECT_EQ(-EBADF, imm_map(self->dev, self->dev, dom, 0, IOMMU_MIGRATE_PROT_READ));
	EXPECT_EQ(-ENOENT, imm_map(self->dev, buf, 77, 0, IOMMU_MIGRATE_PROT_READ));
	EXPECT_EQ(0, imm_page(self->dev, buf, 0, &pg));
	EXPECT_EQ(0, pg.flags & IOMMU_MIGRATE_PAGE_DEV_MAPPED);
	EXPECT_EQ(0, imm_map(self->dev, buf, dom, 0x100000, IOMMU_MIGRATE_PROT_READ));
	/* iommu_migrate_pfn_mapped() sees a mapped frame, until the unmap. */
	EXPECT_EQ(0, imm_page(self->dev, buf, 0, &pg));
	EXPECT_EQ(IOMMU_MIGRATE_PAGE_DEV_MAPPED, pg.flags);
	EXPECT_EQ(-EBUSY, imm_map(self->dev, buf, dom, 0x200000, IOMMU_MIGRATE_PROT_READ));
	EXPECT_EQ(-EEXIST, imm_map(self->dev, other, dom, 0x102000, IOMMU_MIGRATE_PROT_READ));
	EXPECT_EQ(-ENOENT, imm_unmap(self->dev, other, dom));
	m.buf_fd = buf;
	m.domain = dom;
	m.iova = 1;
	EXPECT_EQ(-EINVAL, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_UNMAP, &m));
	id.id = dom;
	EXPECT_EQ(-EBUSY, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_DOMAIN_DESTROY, &id));
	EXPECT_EQ(0, imm_unmap(self->dev, buf, dom));
	/* An output flag passed back in is ignored, and recomputed. */
	pg.flags = IOMMU_MIGRATE_PAGE_DEV_MAPPED;
	EXPECT_EQ(0, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_PAGE, &pg));
	EXPECT_EQ(0, pg.flags);
	EXPECT_EQ(-ENOENT, imm_unmap(self->dev, buf, dom));
	/* The range is free again. */
	EXPECT_EQ(0, imm_map(self->dev, other, dom, 0x102000, IOMMU_MIGRATE_PROT_READ));
	close(buf);
	close(other);
}

TEST_F(imm, engine_bad_input)
{
	struct iommu_migrate_engine e = { 0 };
	struct iommu_migrate_engine_stats st;
	int dom = imm_domain(self->dev, IOMMU_MIGRATE_FORMAT_RADIX), i;
	long id;

	ASSERT_LT(0, dom);
	EXPECT_EQ(-EINVAL, imm_engine(self->dev, dom, 3, 0, 4096, 1, 0));
	EXPECT_EQ(-EINVAL, imm_engine(self->dev, dom, 0, 0, 0, 1, 0));
	EXPECT_EQ(-EINVAL, imm_engine(self->dev, dom, 0, 0, 100, 1, 0));
	EXPECT_EQ(-EINVAL, imm_engine(self->dev, dom, 0, 32, 4096, 1, 0));
	EXPECT_EQ(-EINVAL, imm_engine(self->dev, dom, 0, -64ULL, 4096, 1, 0));
	EXPECT_EQ(-EINVAL, imm_engine(self->dev, dom, 0, 0, 4096, 1,
				      read_knob("max_engine_rate") + 1));
	EXPECT_EQ(-ENOENT, imm_engine(self->dev, dom + 1, 0, 0, 4096, 1, 0));
	e.domain = dom;
	e.size = 4096;
	e.reserved = 1;
	EXPECT_EQ(-EINVAL, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_ENGINE_START, &e));
	e.reserved = 0;
	e.hold_us = IOMMU_MIGRATE_MAX_HOLD_US + 1;
	EXPECT_EQ(-EINVAL, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_ENGINE_START, &e));
	e.hold_us = 0;
	e.id = 1;
	EXPECT_EQ(-EINVAL, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_ENGINE_START, &e));
	EXPECT_EQ(-ENOENT, imm_engine_stop(self->dev, 42, &st));
	st.id = 42;
	EXPECT_EQ(-ENOENT, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_ENGINE_STATS, &st));

	/* Engines on nothing fault and count it; the limit holds. */
	mv_knobs_save(&self->knobs, "max_engines");
	ASSERT_EQ(0, write_knob("max_engines", "2"));
	id = imm_engine(self->dev, dom, 0, 0, 4096, 10, 0);
	ASSERT_LT(0, id);
	EXPECT_LT(0, imm_engine(self->dev, dom, 1, 0, 4096, 10, 0));
	EXPECT_EQ(-EMFILE, imm_engine(self->dev, dom, 2, 0, 4096, 10, 0));
	for (i = 0; i < 1000; i++) {
		st.id = id;
		ASSERT_EQ(0, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_ENGINE_STATS, &st));
		if (!st.running)
			break;
		usleep(10000);
	}
	EXPECT_EQ(0, imm_engine_stop(self->dev, id, &st));
	EXPECT_EQ(10, st.ops);
	EXPECT_EQ(10, st.faults);
	EXPECT_EQ(0, st.writes);
	EXPECT_EQ(0, st.rmt_violations);
	EXPECT_EQ(-ENOENT, imm_engine_stop(self->dev, id, &st));
}

TEST_F(imm, migrate_and_evacuate_bad_input)
{
	struct iommu_migrate_evacuate ev = { .nr_pages = 0, .node = -1 };
	struct iommu_migrate_migrate m;
	struct iommu_migrate_page pg;
	int buf = imm_buf(self->dev, 4 * PAGE, -1);

	ASSERT_LE(0, buf);
	EXPECT_EQ(-EINVAL, imm_migrate(self->dev, buf, 0, 1, PAGE, &m));
	EXPECT_EQ(-EINVAL, imm_migrate(self->dev, buf, 0, 0, 0, &m));
	EXPECT_EQ(-EINVAL, imm_migrate(self->dev, buf, 0, 0, 5 * PAGE, &m));
	EXPECT_EQ(-EINVAL, imm_migrate(self->dev, buf, 0, 4 * PAGE, PAGE, &m));
	EXPECT_EQ(-EINVAL, imm_migrate(self->dev, buf, 0, -PAGE, 2 * PAGE, &m));
	EXPECT_EQ(-EINVAL, imm_migrate(self->dev, buf, -1, 0, PAGE, &m));
	EXPECT_EQ(-EINVAL, imm_migrate(self->dev, buf, 4096, 0, PAGE, &m));
	EXPECT_EQ(-EBADF, imm_migrate(self->dev, -1, 0, 0, PAGE, &m));
	EXPECT_EQ(-EBADF, imm_migrate(self->dev, self->dev, 0, 0, PAGE, &m));
	m.buf_fd = buf;
	/* Flags other than KEEP_COPY and INTERRUPTIBLE are refused. */
	m.flags = 4;
	EXPECT_EQ(-EINVAL, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_MIGRATE, &m));
	m.flags = 1U << 31 | IOMMU_MIGRATE_MIGRATE_INTERRUPTIBLE;
	EXPECT_EQ(-EINVAL, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_MIGRATE, &m));
	m.flags = IOMMU_MIGRATE_MIGRATE_INTERRUPTIBLE | IOMMU_MIGRATE_MIGRATE_KEEP_COPY;
	EXPECT_EQ(0, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_MIGRATE, &m));
	EXPECT_EQ(0, imm_migrate(self->dev, buf, 0, 0, 4 * PAGE, &m));
	EXPECT_EQ(4, m.moved + m.already);

	EXPECT_EQ(-EINVAL, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_EVACUATE, &ev));
	ev.nr_pages = 2;
	ev.start_pfn = -1ULL;
	EXPECT_EQ(-EINVAL, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_EVACUATE, &ev));
	ev.start_pfn = 0;
	ev.node = 4096;
	EXPECT_EQ(-EINVAL, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_EVACUATE, &ev));
	ev.node = -2;
	EXPECT_EQ(-EINVAL, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_EVACUATE, &ev));
	ev.node = -1;
	ev.reserved = 1;
	EXPECT_EQ(-EINVAL, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_EVACUATE, &ev));
	EXPECT_EQ(-EFAULT, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_EVACUATE, (void *)8));

	EXPECT_EQ(-EINVAL, imm_page(self->dev, buf, 4, &pg));
	EXPECT_EQ(-EBADF, imm_page(self->dev, 12345, 0, &pg));
	EXPECT_EQ(0, imm_page(self->dev, buf, 3, &pg));
	EXPECT_EQ(-1, pg.state);	/* not mapped */
	EXPECT_EQ(0, pg.ad);
	pg = (struct iommu_migrate_page){ .buf_fd = buf, .flags = 4 };
	EXPECT_EQ(-EINVAL, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_PAGE, &pg));
	pg = (struct iommu_migrate_page){ .buf_fd = buf, .reserved = 1 };
	EXPECT_EQ(-EINVAL, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_PAGE, &pg));
	pg = (struct iommu_migrate_page){
		.buf_fd = buf, .flags = IOMMU_MIGRATE_PAGE_CLEAR_AD,
	};
	EXPECT_EQ(0, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_PAGE, &pg));
	EXPECT_EQ(0, pg.ad);	/* not mapped: nothing to clear */
	close(buf);
}

/*
 * The RMT refuses, and counts, accesses whose owner or IOVA disagree
 * with it: a stale or forged translation never reaches the page.
 */
TEST_F(imm, rmt_refuses_forged_accesses)
{
	int d1 = imm_domain(self->dev, IOMMU_MIGRATE_FORMAT_RADIX);
	int d2 = imm_domain(self->dev, IOMMU_MIGRATE_FORMAT_HASH);
	int buf = imm_buf(self->dev, 2 * PAGE, -1), lone = imm_buf(self->dev, PAGE, -1);
	struct iommu_migrate_page pg, lp;
	struct iommu_migrate_probe pr = { 0 };
	long v0 = read_knob("rmt_violations");

	ASSERT_LT(0, d1);
	ASSERT_LT(0, d2);
	ASSERT_LE(0, buf);
	ASSERT_LE(0, lone);
	ASSERT_EQ(0, imm_map(self->dev, buf, d1, 0x40000, IOMMU_MIGRATE_PROT_READ));
	ASSERT_EQ(0, imm_page(self->dev, buf, 1, &pg));
	ASSERT_EQ(0, imm_page(self->dev, lone, 0, &lp));
	EXPECT_EQ(0, pg.state);
	pr.domain = d1;
	pr.iova = 0x41000;
	pr.pfn = pg.pfn;
	EXPECT_EQ(0, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_PROBE, &pr));
	pr.iova = 0x40000;			/* another page's IOVA */
	EXPECT_EQ(-EFAULT, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_PROBE, &pr));
	pr.domain = d2;				/* another domain */
	pr.iova = 0x41000;
	EXPECT_EQ(-EFAULT, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_PROBE, &pr));
	pr.domain = d1;				/* a page no domain maps */
	pr.pfn = lp.pfn;
	EXPECT_EQ(-EFAULT, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_PROBE, &pr));
	pr.domain = 99;
	EXPECT_EQ(-ENOENT, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_PROBE, &pr));
	EXPECT_EQ(v0 + 3, read_knob("rmt_violations"));
	close(buf);
	close(lone);
}

/* The CPU mapping follows a page to its new node, data intact. */
TEST_F(imm, cpu_mapping_follows_moves)
{
	const unsigned long n = 16;
	int buf = imm_buf(self->dev, n * PAGE, 0), status[16], to;
	struct iommu_migrate_migrate m;
	unsigned long i;
	uint64_t *p;

	if (nr_nodes() < 2)
		SKIP(return, "one NUMA node");
	ASSERT_LE(0, buf);
	p = mmap(NULL, n * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, buf, 0);
	ASSERT_NE(MAP_FAILED, p);
	for (i = 0; i < n * PAGE / 8; i++)
		p[i] = i * 0x9e3779b97f4a7c15ULL;
	for (to = 1; to >= 0; to--) {
		ASSERT_EQ(0, imm_migrate(self->dev, buf, to, 0, n * PAGE, &m));
		EXPECT_EQ(n, m.moved);
		for (i = 0; i < n * PAGE / 8; i++)
			if (p[i] != i * 0x9e3779b97f4a7c15ULL)
				break;
		EXPECT_EQ(n * PAGE / 8, i);
		ASSERT_EQ(0, query_nodes(p, n, status));
		for (i = 0; i < n; i++)
			EXPECT_EQ(to, status[i]);
	}
	munmap(p, n * PAGE);
	close(buf);
}

/* A CPU toucher of cpu_mapping_races_moves: its own word of each page. */
struct toucher {
	uint64_t *p;
	unsigned long n, t;
	uint64_t *last;		/* the last value it wrote to each page */
	unsigned long errors;	/* reads that did not find that value */
	int *stop;
};

static void *touch_pages(void *arg)
{
	struct toucher *c = arg;
	uint64_t v = 0;
	unsigned long i;

	while (!__atomic_load_n(c->stop, __ATOMIC_RELAXED))
		for (i = 0; i < c->n; i++) {
			uint64_t *w = c->p + i * (PAGE / 8) + c->t;

			/* A read fault, then a write (page_mkwrite). */
			if (__atomic_load_n(w, __ATOMIC_RELAXED) != c->last[i])
				c->errors++;
			c->last[i] = ++v;
			__atomic_store_n(w, v, __ATOMIC_RELAXED);
		}
	return NULL;
}

/* The frame /proc/self/pagemap gives for @addr; 0 if none is mapped. */
static unsigned long long pagemap_pfn(int fd, const void *addr)
{
	uint64_t e;

	if (pread(fd, &e, sizeof(e), (uintptr_t)addr / PAGE * 8) != sizeof(e))
		return ~0ULL;
	return e >> 63 ? e & ((1ULL << 55) - 1) : 0;
}

/*
 * CPU threads fault on the pages while the buffer hops between nodes,
 * each fault held in the window between its lookup of the page and its
 * PTE by the fault_delay_us hook: afterwards every page mapped must be
 * on the module's frame, and every value written must be in the
 * module's page (seen through a fresh mapping).
 */
TEST_F(imm, cpu_mapping_races_moves)
{
	const unsigned long n = 32, hops = 20, threads = 2;
	int dom = imm_domain(self->dev, IOMMU_MIGRATE_FORMAT_RADIX);
	int buf = imm_buf(self->dev, n * PAGE, 0), pm, to = 0;
	unsigned long i, t, h, stale = 0, lost = 0, mapped = 0;
	uint64_t last[2][32] = { { 0 } };
	struct iommu_migrate_migrate m;
	struct iommu_migrate_page pg;
	struct toucher c[2];
	bool done[2] = { false };
	struct timespec dl;
	pthread_t th[2];
	int stop = 0;
	uint64_t *p, *q;

	if (nr_nodes() < 2)
		SKIP(return, "one NUMA node");
	ASSERT_LE(0, buf);
	ASSERT_EQ(0, imm_map(self->dev, buf, dom, 0, IOMMU_MIGRATE_PROT_READ |
			     IOMMU_MIGRATE_PROT_WRITE));
	pm = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, pm);
	p = mmap(NULL, n * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, buf, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, mv_write_path(DEBUGFS "fault_delay_us", "2000"));
	for (t = 0; t < threads; t++) {
		c[t] = (struct toucher){ .p = p, .n = n, .t = t,
					 .last = last[t], .stop = &stop };
		ASSERT_EQ(0, pthread_create(&th[t], NULL, touch_pages, &c[t]));
	}
	for (h = 0; h < hops; h++) {
		usleep(5000 + h * 1000);
		to = !to;
		EXPECT_EQ(0, imm_migrate(self->dev, buf, to, 0, n * PAGE, &m));
		EXPECT_EQ(n, m.moved);
	}
	/* The faults in flight at the last move complete, then a sweep or two. */
	usleep(300000);
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	/*
	 * A thread whose write meets a stale read-only PTE never gets
	 * past it: page_mkwrite sees another page than the buffer's and
	 * has the write fault again, on the same PTE.
	 */
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += 5;
	for (t = 0; t < threads; t++) {
		done[t] = !pthread_timedjoin_np(th[t], NULL, &dl);
		EXPECT_TRUE(done[t]) TH_LOG("thread %lu stuck in a fault", t);
		if (done[t])
			EXPECT_EQ(0, c[t].errors) TH_LOG("thread %lu: %lu reads missed its last write",
							 t, c[t].errors);
	}
	EXPECT_EQ(0, mv_write_path(DEBUGFS "fault_delay_us", "0"));
	q = mmap(NULL, n * PAGE, PROT_READ, MAP_SHARED, buf, 0);
	ASSERT_NE(MAP_FAILED, q);
	for (i = 0; i < n; i++) {
		unsigned long long pfn = pagemap_pfn(pm, p + i * (PAGE / 8));

		ASSERT_EQ(0, imm_page(self->dev, buf, i, &pg));
		EXPECT_EQ(to, pg.node);
		ASSERT_NE(~0ULL, pfn);
		if (pfn) {
			mapped++;
			if (pfn != pg.pfn) {
				stale++;
				TH_LOG("page %lu: CPU maps frame %#llx, the module's is %#llx",
				       i, pfn, (unsigned long long)pg.pfn);
			}
		}
		for (t = 0; t < threads; t++)
			if (done[t] && q[i * (PAGE / 8) + t] != last[t][i]) {
				lost++;
				TH_LOG("page %lu thread %lu: wrote %llu, the page holds %llu",
				       i, t, (unsigned long long)last[t][i],
				       (unsigned long long)q[i * (PAGE / 8) + t]);
			}
	}
	TH_LOG("%lu hops; %lu pages mapped at the end, %lu on a stale frame, %lu values lost",
	       hops, mapped, stale, lost);
	EXPECT_LT(0, mapped);
	EXPECT_EQ(0, stale);
	EXPECT_EQ(0, lost);
	munmap(q, n * PAGE);
	munmap(p, n * PAGE);
	close(pm);
	close(buf);
}

/* Node @nid's frames [*lo, *hi), from /proc/zoneinfo; false if unknown. */
static bool node_span(int nid, unsigned long long *lo, unsigned long long *hi)
{
	FILE *f = fopen("/proc/zoneinfo", "r");
	unsigned long long spanned = 0, start;
	char line[256];
	int node = -1;

	*lo = ~0ULL;
	*hi = 0;
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Node %d,", &node) == 1)
			spanned = 0;
		else if (node == nid && sscanf(line, " spanned %llu", &spanned) == 1)
			;
		else if (node == nid && spanned &&
			 sscanf(line, " start_pfn: %llu", &start) == 1) {
			if (start < *lo)
				*lo = start;
			if (start + spanned > *hi)
				*hi = start + spanned;
		}
	}
	if (f)
		fclose(f);
	return *hi > *lo;
}

/* MemFree of node @nid in KiB, or -1. */
static long node_memfree_kb(int nid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/meminfo", nid);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Node %*d MemFree: %ld kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

/* The lowest MemFree of node 0 while an evacuation runs. */
struct memfree_watch {
	int stop;
	long min_kb;
};

static void *watch_memfree(void *arg)
{
	struct memfree_watch *w = arg;

	while (!__atomic_load_n(&w->stop, __ATOMIC_RELAXED)) {
		long kb = node_memfree_kb(0);

		if (kb >= 0 && kb < w->min_kb)
			w->min_kb = kb;
		usleep(1000);
	}
	return NULL;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * An evacuation with nowhere to go fails fast and sets aside no memory:
 * a target node wholly inside the range (or, for any node, every node)
 * is refused with ENOSPC; a range holding all of node 0 but one frame,
 * towards node 0, fails its page after at most 1024 pages set aside,
 * and node 0's MemFree stays where it was.
 */
TEST_F(imm, evacuate_whole_node_fails_fast)
{
	int dom = imm_domain(self->dev, IOMMU_MIGRATE_FORMAT_RADIX);
	int buf = imm_buf(self->dev, PAGE, 0);
	struct iommu_migrate_evacuate ev = { 0 };
	struct memfree_watch w = { 0 };
	unsigned long long lo, hi;
	struct iommu_migrate_page pg;
	long f0 = read_knob("alloc_failures"), before;
	pthread_t th;
	double t0;

	if (nr_nodes() < 2)
		SKIP(return, "one NUMA node");
	ASSERT_LE(0, buf);
	ASSERT_EQ(0, imm_map(self->dev, buf, dom, 0, IOMMU_MIGRATE_PROT_READ |
			     IOMMU_MIGRATE_PROT_WRITE));
	ASSERT_EQ(0, imm_page(self->dev, buf, 0, &pg));
	ASSERT_EQ(0, pg.node);
	ASSERT_TRUE(node_span(0, &lo, &hi));
	ASSERT_TRUE(pg.pfn >= lo && pg.pfn < hi);
	/* Nowhere to go: refused before anything is done. */
	ev.start_pfn = lo;
	ev.nr_pages = hi - lo;
	ev.node = 0;
	EXPECT_EQ(-ENOSPC, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_EVACUATE, &ev));
	ev.start_pfn = 0;
	ev.nr_pages = 1ULL << 40;
	ev.node = -1;
	EXPECT_EQ(-ENOSPC, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_EVACUATE, &ev));
	ev.node = 1;
	EXPECT_EQ(-ENOSPC, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_EVACUATE, &ev));
	/* One frame of node 0 outside (not the page's): the reject list is capped. */
	ev.start_pfn = pg.pfn == lo ? lo : lo + 1;
	ev.nr_pages = hi - lo - 1;
	ev.node = 0;
	before = node_memfree_kb(0);
	ASSERT_LT(0, before);
	w.min_kb = before;
	ASSERT_EQ(0, pthread_create(&th, NULL, watch_memfree, &w));
	t0 = now_s();
	EXPECT_EQ(0, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_EVACUATE, &ev));
	t0 = now_s() - t0;
	__atomic_store_n(&w.stop, 1, __ATOMIC_RELAXED);
	pthread_join(th, NULL);
	TH_LOG("%.2f s; node 0 MemFree %ld kB before, %ld kB at its lowest; mapped %llu moved %llu failed %llu",
	       t0, before, w.min_kb, (unsigned long long)ev.mapped,
	       (unsigned long long)ev.moved, (unsigned long long)ev.failed);
	EXPECT_EQ(1, ev.mapped);
	EXPECT_EQ(ev.mapped, ev.moved + ev.failed);
	if (ev.failed)
		EXPECT_LT(f0, read_knob("alloc_failures"));
	EXPECT_GT(5.0, t0);
	/* 1024 pages set aside are 4 MiB; allow other tasks 28 MiB. */
	EXPECT_GT(32 * 1024, before - w.min_kb);
	ASSERT_EQ(0, imm_page(self->dev, buf, 0, &pg));
	EXPECT_FALSE(ev.moved && pg.pfn >= ev.start_pfn &&
		     pg.pfn < ev.start_pfn + ev.nr_pages);
	close(buf);
}

/*
 * Destination allocations that fail abort their pages' migrations: the
 * pages stay where they were and the device goes on using them, with
 * no record lost.
 */
TEST_F(imm, failed_allocation_aborts)
{
	const unsigned long n = 16;
	struct iommu_migrate_engine_stats st;
	struct iommu_migrate_migrate m;
	struct iommu_migrate_page pg;
	struct rec_result r;
	long a0 = read_knob("migrations_aborted"), f0 = read_knob("alloc_failures");
	int dom = imm_domain(self->dev, IOMMU_MIGRATE_FORMAT_RADIX);
	int buf = imm_buf(self->dev, n * PAGE, 0), eng, i, on_old = 0;

	if (nr_nodes() < 2)
		SKIP(return, "one NUMA node");
	ASSERT_LE(0, buf);
	ASSERT_EQ(0, imm_map(self->dev, buf, dom, 0, IOMMU_MIGRATE_PROT_READ |
			     IOMMU_MIGRATE_PROT_WRITE));
	eng = imm_engine(self->dev, dom, IOMMU_MIGRATE_PATTERN_MIXED, 0,
			 n * PAGE, 0, 0);
	ASSERT_LT(0, eng);
	mv_knobs_save(&self->hooks, "fail_next_allocs");
	ASSERT_EQ(0, write_hook("fail_next_allocs", "5"));
	ASSERT_EQ(0, imm_migrate(self->dev, buf, 1, 0, n * PAGE, &m));
	EXPECT_EQ(5, m.aborted);
	EXPECT_EQ(n - 5, m.moved);
	EXPECT_EQ(a0 + 5, read_knob("migrations_aborted"));
	EXPECT_EQ(f0 + 5, read_knob("alloc_failures"));
	for (i = 0; i < (int)n; i++) {
		ASSERT_EQ(0, imm_page(self->dev, buf, i, &pg));
		EXPECT_EQ(0, pg.state);
		on_old += pg.node == 0;
	}
	EXPECT_EQ(5, on_old);
	ASSERT_EQ(0, stop_and_check(self->dev, eng, buf, n * PAGE, 0, &st, &r));
	EXPECT_LT(0, st.writes);
	EXPECT_EQ(0, st.check_errors);
	EXPECT_EQ(0, st.rmt_violations);
	EXPECT_EQ(0, st.faults);
	EXPECT_EQ(0, r.lost + r.torn + r.misplaced);
	close(buf);
}

TEST(sysfs_bad_writes_and_root_only)
{
	static const struct { const char *knob, *val; } bad[] = {
		{ "pme_batch_pages", "0" }, { "pme_batch_pages", "513" },
		{ "max_drain_wait_ms", "0" }, { "max_drain_wait_ms", "60001" },
		{ "max_engines", "0" }, { "max_engines", "65" },
		{ "max_domains", "0" }, { "max_domains", "-1" },
		{ "max_buffer_mb", "4097" }, { "max_buffer_mb", "x" },
		{ "max_engine_rate", "0" },
		{ "pme_batch_pages", "99999999999999999999" },
		{ "dma_retry_poll_us", "1001" },
	};
	static const char * const knobs[] = {
		"pme_batch_pages", "max_drain_wait_ms", "max_engines",
		"max_domains", "max_buffer_mb", "max_engine_rate",
		"dma_retry_poll_us",
	};
	static const char * const test_hooks[] = {
		"fail_next_allocs", "edu_copy_delay_ms", "precopy_delay_ms",
		"retry_poll_unbounded",
	};
	static const char * const counters[] = {
		"pages_migrated", "bytes_migrated", "dma_stalls", "dma_stall_ns",
		"rmt_violations", "migrations_aborted", "alloc_failures",
		"drain_timeouts", "copies_skipped", "copies_kept",
		"precopies_redone", "pinned_aborts", "dma_stall_polls",
		"dma_stall_sleeps",
	};
	long saved[ARRAY_SIZE(knobs)];
	unsigned int k;
	int ret;

	if (read_knob("pme_batch_pages") < 0 && !getenv("MEMVIRT_REQUIRE"))
		SKIP(return, "iommu_migrate not loaded");
	for (k = 0; k < ARRAY_SIZE(knobs); k++)
		saved[k] = read_knob(knobs[k]);
	for (k = 0; k < ARRAY_SIZE(bad); k++) {
		ret = write_knob(bad[k].knob, bad[k].val);
		EXPECT_TRUE(ret == -EINVAL || ret == -ERANGE) TH_LOG("%s", bad[k].knob);
	}
	for (k = 0; k < ARRAY_SIZE(knobs); k++)
		EXPECT_EQ(saved[k], read_knob(knobs[k]));
	for (k = 0; k < ARRAY_SIZE(counters); k++) {
		EXPECT_LE(0, read_knob(counters[k])) TH_LOG("%s", counters[k]);
		EXPECT_EQ(-EACCES, write_knob(counters[k], "0")) TH_LOG("%s", counters[k]);
	}
	EXPECT_ROOT_ONLY(DEV, SYSFS, knobs, ARRAY_SIZE(knobs), "1");
	/* The test hooks are in debugfs, not in the production ABI. */
	for (k = 0; k < ARRAY_SIZE(test_hooks); k++) {
		char path[256];

		snprintf(path, sizeof(path), SYSFS "%s", test_hooks[k]);
		EXPECT_EQ(-1, access(path, F_OK)) TH_LOG("%s", test_hooks[k]);
		EXPECT_EQ(ENOENT, errno);
	}
}

/*
 * dma_retry_poll_us, the engines' poll for the release: 0 (sleep at
 * once) to 1000 us, decimal or hex, with a newline or not, read back
 * as written. Above the bound (also past 32 bits, where a truncated
 * value would pass) and negative: EINVAL; an overflow of the parse:
 * ERANGE; anything but a number: EINVAL; each keeps the value before.
 */
TEST(dma_retry_poll_us_bad_input)
{
	static const struct { const char *val; int err; } bad[] = {
		{ "1001", EINVAL }, { "4294967296", EINVAL },
		{ "4294967297", EINVAL }, { "-1", EINVAL },
		{ "99999999999999999999", ERANGE }, { "x", EINVAL },
		{ "20us", EINVAL }, { "1 2", EINVAL }, { " 5", EINVAL },
		{ "0x", EINVAL }, { "1.5", EINVAL },
	};
	MV_SAVE_KNOB(saved, SYSFS, "dma_retry_poll_us");
	unsigned int k;

	if (read_knob("dma_retry_poll_us") < 0 && !getenv("MEMVIRT_REQUIRE"))
		SKIP(return, "iommu_migrate not loaded");
	EXPECT_EQ(0, write_knob("dma_retry_poll_us", "0"));
	EXPECT_EQ(0, read_knob("dma_retry_poll_us"));
	EXPECT_EQ(0, write_knob("dma_retry_poll_us", "1000"));
	EXPECT_EQ(1000, read_knob("dma_retry_poll_us"));
	EXPECT_EQ(0, write_knob("dma_retry_poll_us", "0x10"));
	EXPECT_EQ(16, read_knob("dma_retry_poll_us"));
	EXPECT_EQ(0, write_knob("dma_retry_poll_us", "50\n"));
	EXPECT_EQ(50, read_knob("dma_retry_poll_us"));
	EXPECT_EQ(0, write_knob("dma_retry_poll_us", "7"));
	for (k = 0; k < ARRAY_SIZE(bad); k++) {
		EXPECT_EQ(-bad[k].err, write_knob("dma_retry_poll_us", bad[k].val))
			TH_LOG("\"%s\"", bad[k].val);
		EXPECT_EQ(7, read_knob("dma_retry_poll_us"))
			TH_LOG("after \"%s\"", bad[k].val);
	}
}

/*
 * The test hooks in debugfs: in range they read back what was written,
 * out of range they refuse with EINVAL and keep their value; root only.
 */
TEST(debugfs_test_hooks)
{
	static const struct { const char *hook, *max, *bad; } h[] = {
		{ "fail_next_allocs", "1000000", "1000001" },
		{ "edu_copy_delay_ms", "10000", "10001" },
		{ "precopy_delay_ms", "1000", "1001" },
		{ "retry_poll_unbounded", "1", "2" },
	};
	static const char * const names[] = {
		"fail_next_allocs", "edu_copy_delay_ms", "precopy_delay_ms",
		"retry_poll_unbounded",
	};
	MV_SAVE_KNOB(saved, DEBUGFS, h[0].hook);
	unsigned int k;

	if (access(DEBUGFS "fail_next_allocs", F_OK) && !getenv("MEMVIRT_REQUIRE"))
		SKIP(return, "iommu_migrate or debugfs not there");
	for (k = 1; k < ARRAY_SIZE(h); k++)
		mv_knobs_save(&saved, h[k].hook);
	for (k = 0; k < ARRAY_SIZE(h); k++) {
		EXPECT_EQ(0, write_hook(h[k].hook, h[k].max)) TH_LOG("%s", h[k].hook);
		EXPECT_EQ(strtol(h[k].max, NULL, 0), read_hook(h[k].hook));
		EXPECT_EQ(-EINVAL, write_hook(h[k].hook, h[k].bad)) TH_LOG("%s", h[k].hook);
		EXPECT_EQ(-EINVAL, write_hook(h[k].hook, "x")) TH_LOG("%s", h[k].hook);
		EXPECT_EQ(strtol(h[k].max, NULL, 0), read_hook(h[k].hook));
		EXPECT_EQ(0, write_hook(h[k].hook, "0"));
		EXPECT_EQ(0, read_hook(h[k].hook));
	}
	EXPECT_ROOT_ONLY(DEV, DEBUGFS, names, ARRAY_SIZE(names), "1");
}

/*
 * debugfs copy_ns, the bench's copy baseline: each read measures the
 * PME's copy of cold page pairs and says how long one took; it takes
 * no write.
 */
TEST(copy_ns_measures_a_page_copy)
{
	long a = mv_read_knob(DEBUGFS, "copy_ns");
	long b = mv_read_knob(DEBUGFS, "copy_ns");

	if (a == -1 && access(DEBUGFS, F_OK))
		SKIP(return, "no debugfs");
	TH_LOG("one 4 KiB copy: %ld ns, then %ld ns", a, b);
	/* Under TCG and KASAN too, one 4 KiB copy takes well under 1 ms. */
	EXPECT_LT(0, a);
	EXPECT_GT(1000000, a);
	EXPECT_LT(0, b);
	EXPECT_GT(1000000, b);
	EXPECT_NE(0, mv_write_knob(DEBUGFS, "copy_ns", "1"));
}

/* IOMMU_MIGRATE_IOC_STATS for a struct of @size bytes. */
#define STATS_CMD(size)	_IOC(_IOC_READ, IOMMU_MIGRATE_IOC_MAGIC, \
			     _IOC_NR(IOMMU_MIGRATE_IOC_STATS), (size))

/*
 * The stats grow at their end: a caller of the first version's size
 * gets its fields and nothing past them, a caller with a larger struct
 * gets zeros past the kernel's and the kernel's size in @size; sizes
 * below the first version's, or not a multiple of 8, are refused, and
 * so is another direction.
 */
TEST_F(imm, stats_sizes)
{
	const size_t v1 = IOMMU_MIGRATE_STATS_SIZE_V1;
	const size_t cur = sizeof(struct iommu_migrate_stats);
	static unsigned char big[sizeof(struct iommu_migrate_stats) + 64];
	struct iommu_migrate_stats *st = (void *)big;
	size_t i;

	EXPECT_EQ(v1, offsetof(struct iommu_migrate_stats, copies_skipped));
	EXPECT_EQ(-EINVAL, imm_ioctl(self->dev, STATS_CMD(v1 - 8), big));
	EXPECT_EQ(-EINVAL, imm_ioctl(self->dev, STATS_CMD(v1 + 4), big));
	EXPECT_EQ(-EINVAL, imm_ioctl(self->dev, STATS_CMD(0), big));
	EXPECT_EQ(-ENOTTY, imm_ioctl(self->dev, _IOC(_IOC_WRITE,
		  IOMMU_MIGRATE_IOC_MAGIC, _IOC_NR(IOMMU_MIGRATE_IOC_STATS),
		  cur), big));
	EXPECT_EQ(-EFAULT, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_STATS, NULL));
	/* The first version: its bytes only. */
	memset(big, 0xa5, sizeof(big));
	ASSERT_EQ(0, imm_ioctl(self->dev, STATS_CMD(v1), big));
	EXPECT_EQ(read_knob("pages_migrated"), (long)st->pages_migrated);
	for (i = v1; i < sizeof(big); i++)
		if (big[i] != 0xa5)
			break;
	EXPECT_EQ(sizeof(big), i);
	/* The current one, with the counters sysfs has. */
	memset(big, 0xa5, sizeof(big));
	ASSERT_EQ(0, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_STATS, big));
	EXPECT_EQ(cur, st->size);
	EXPECT_EQ(0, st->reserved);
	EXPECT_EQ(read_knob("copies_kept"), (long)st->copies_kept);
	EXPECT_EQ(read_knob("copies_skipped"), (long)st->copies_skipped);
	EXPECT_EQ(read_knob("precopies_redone"), (long)st->precopies_redone);
	EXPECT_EQ(read_knob("pinned_aborts"), (long)st->pinned_aborts);
	EXPECT_EQ(0xa5, big[cur]);
	/* A larger struct than the kernel's: zeros past it. */
	memset(big, 0xa5, sizeof(big));
	ASSERT_EQ(0, imm_ioctl(self->dev, STATS_CMD(sizeof(big)), big));
	EXPECT_EQ(cur, st->size);
	for (i = cur; i < sizeof(big); i++)
		if (big[i])
			break;
	EXPECT_EQ(sizeof(big), i);
}

static long probe(int dev, int dom, unsigned long long iova,
		  unsigned long long pfn)
{
	struct iommu_migrate_probe pr = { .domain = dom, .iova = iova, .pfn = pfn };

	return imm_ioctl(dev, IOMMU_MIGRATE_IOC_PROBE, &pr);
}

/*
 * Two domains map the same IOVA, each to a buffer of its own, and the
 * pages move, 2 times in one domain and 3 in the other: each move
 * leaves the other domain's page alone (the RMT owns each frame to its
 * own domain and IOVA: a probe from the other domain is a violation).
 * The switch tracepoint names the domain with the IOVA, so the stall
 * bpftrace script keeps the two pages apart: its test runs this one
 * and expects 2 and 3 switches at this IOVA (5918720).
 */
TEST_F(imm, two_domains_one_iova)
{
	const unsigned long long iova = 0x5a5000;
	static const int hops[2][3] = { { 1, 0, -1 }, { 1, 0, 1 } };
	struct iommu_migrate_page pg[2];
	struct iommu_migrate_migrate m;
	int dom[2], buf[2], i, j, k;

	if (nr_nodes() < 2)
		SKIP(return, "one NUMA node");
	for (i = 0; i < 2; i++) {
		dom[i] = imm_domain(self->dev, IOMMU_MIGRATE_FORMAT_RADIX);
		ASSERT_LT(0, dom[i]);
		buf[i] = imm_buf(self->dev, PAGE, 0);
		ASSERT_LE(0, buf[i]);
		ASSERT_EQ(0, imm_map(self->dev, buf[i], dom[i], iova,
				     IOMMU_MIGRATE_PROT_READ | IOMMU_MIGRATE_PROT_WRITE));
	}
	for (j = 0; j < 3; j++) {
		for (i = 0; i < 2; i++) {
			if (hops[i][j] < 0)
				continue;
			ASSERT_EQ(0, imm_migrate(self->dev, buf[i], hops[i][j], 0, PAGE, &m));
			EXPECT_EQ(1, m.moved) TH_LOG("domain %d, move %d", i, j);
			for (k = 0; k < 2; k++)
				ASSERT_EQ(0, imm_page(self->dev, buf[k], 0, &pg[k]));
			for (k = 0; k < 2; k++) {
				EXPECT_EQ(0, probe(self->dev, dom[k], iova, pg[k].pfn))
					TH_LOG("domain %d after move %d of %d", k, j, i);
				EXPECT_EQ(-EFAULT, probe(self->dev, dom[!k], iova, pg[k].pfn))
					TH_LOG("domain %d after move %d of %d", !k, j, i);
			}
		}
	}
	EXPECT_EQ(0, pg[0].node);
	EXPECT_EQ(1, pg[1].node);
	for (i = 0; i < 2; i++)
		close(buf[i]);
}

struct migrate_call {
	int dev, buf, node;
	struct iommu_migrate_migrate m;
	long ret;
};

static void *migrate_thread(void *arg)
{
	struct migrate_call *c = arg;

	c->ret = imm_migrate(c->dev, c->buf, c->node, 0, PAGE, &c->m);
	return NULL;
}

/*
 * A device stalled on a page is released after the page's switch, so
 * the last wait round of its stall ends after the switch. A slow
 * engine's access to the page is held in flight (hold_access), so the
 * page's move waits in its drain; a second engine writing the page
 * meets it migrating and stalls. 1 ms after the stall shows in that
 * engine's counters, the hold ends and the page switches: one stalled
 * access of at least 1 ms, in the engine's counters and the module's.
 * The page then moves back with the engines stopped. The stall
 * bpftrace script runs this test: its histogram gets the first move
 * when the second begins, and its expect wants @max_stall_us >= 1000,
 * which a script that histograms at the switch misses: the wait round
 * the release ends is then the only one, unless a 10 ms round timed
 * out before it.
 */
TEST_F(imm, switched_move_keeps_its_late_stall)
{
	const unsigned long long iova = 1ULL << 42, hold_ns = 1000000;
	struct iommu_migrate_engine h = {
		.pattern = IOMMU_MIGRATE_PATTERN_SEQ_WRITE,
		.iova = iova, .size = PAGE, .hold_us = 1,
	};
	struct iommu_migrate_engine_stats st0, mid, st1;
	struct iommu_migrate_stats s0, s1;
	struct migrate_call c = { .dev = self->dev, .node = 1 };
	struct iommu_migrate_migrate m;
	struct iommu_migrate_page pg;
	pthread_t t;
	int dom, i;
	long w;

	if (nr_nodes() < 2)
		SKIP(return, "one NUMA node");
	mv_knobs_save(&self->knobs, "max_drain_wait_ms");
	mv_knobs_save(&self->hooks, "hold_access");
	ASSERT_EQ(0, write_knob("max_drain_wait_ms", "2000"));
	dom = imm_domain(self->dev, IOMMU_MIGRATE_FORMAT_RADIX);
	ASSERT_LT(0, dom);
	c.buf = imm_buf(self->dev, PAGE, 0);
	ASSERT_LE(0, c.buf);
	ASSERT_EQ(0, imm_map(self->dev, c.buf, dom, iova,
			     IOMMU_MIGRATE_PROT_READ | IOMMU_MIGRATE_PROT_WRITE));
	h.domain = dom;
	ASSERT_EQ(0, write_hook("hold_access", "1"));
	ASSERT_EQ(0, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_ENGINE_START, &h));
	for (i = 0; i < 500 && read_hook("hold_access") != 2; i++)
		usleep(10000);
	ASSERT_EQ(2, read_hook("hold_access"));
	w = imm_engine(self->dev, dom, IOMMU_MIGRATE_PATTERN_SEQ_WRITE, iova,
		       PAGE, 0, 0);
	ASSERT_LT(0, w);
	for (i = 0; i < 1000; i++) {
		ASSERT_EQ(0, imm_engine_stats(self->dev, w, &st0));
		if (st0.writes >= 16)
			break;
		usleep(1000);
	}
	ASSERT_EQ(0, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_STATS, &s0));

	ASSERT_EQ(0, pthread_create(&t, NULL, migrate_thread, &c));
	for (i = 0; i < 5000; i++) {
		ASSERT_EQ(0, imm_engine_stats(self->dev, w, &mid));
		if (mid.stalls > st0.stalls)
			break;
		usleep(1000);
	}
	EXPECT_LT(st0.stalls, mid.stalls);
	usleep(hold_ns / 1000);
	ASSERT_EQ(0, write_hook("hold_access", "0"));
	ASSERT_EQ(0, pthread_join(t, NULL));
	ASSERT_EQ(0, c.ret);
	EXPECT_EQ(1, c.m.moved);
	EXPECT_EQ(0, c.m.aborted);
	/*
	 * The stalled write (not in mid.writes) went through after the
	 * release, its stall time counted, and more followed.
	 */
	for (i = 0; i < 5000; i++) {
		ASSERT_EQ(0, imm_engine_stats(self->dev, w, &st1));
		if (st1.writes >= mid.writes + 16)
			break;
		usleep(1000);
	}
	ASSERT_EQ(0, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_STATS, &s1));
	TH_LOG("%llu stalled accesses, %llu us of stall",
	       (unsigned long long)(s1.dma_stalls - s0.dma_stalls),
	       (unsigned long long)(s1.dma_stall_ns - s0.dma_stall_ns) / 1000);
	EXPECT_LE(mid.writes + 16, st1.writes);
	EXPECT_EQ(1, st1.stalls - st0.stalls);
	EXPECT_LE(hold_ns, st1.stall_ns - st0.stall_ns);
	EXPECT_LE(1, s1.dma_stalls - s0.dma_stalls);
	EXPECT_LE(hold_ns, s1.dma_stall_ns - s0.dma_stall_ns);
	EXPECT_EQ(0, st1.faults);
	EXPECT_EQ(0, st1.rmt_violations);
	ASSERT_EQ(0, imm_engine_stop(self->dev, w, &st1));
	ASSERT_EQ(0, imm_engine_stop(self->dev, h.id, &st1));

	ASSERT_EQ(0, imm_migrate(self->dev, c.buf, 0, 0, PAGE, &m));
	EXPECT_EQ(1, m.moved);
	ASSERT_EQ(0, imm_page(self->dev, c.buf, 0, &pg));
	EXPECT_EQ(0, pg.node);
	close(c.buf);
}

/*
 * Domain ids (the RMT's owners) wrap past U32_MAX to 1, never to 0,
 * the RMT's "no owner": a buffer mapped in each domain created across
 * the wrap is device-mapped, and a device access from its domain is
 * the owner's. debugfs next_domain_id moves where ids are looked for.
 */
TEST_F(imm, domain_ids_wrap_past_zero)
{
	struct iommu_migrate_page pg;
	int i, dom[3], buf[3];

	if (access(DEBUGFS "next_domain_id", W_OK) && !getenv("MEMVIRT_REQUIRE"))
		SKIP(return, "no debugfs next_domain_id");
	EXPECT_EQ(-EINVAL, write_hook("next_domain_id", "4294967296"));
	ASSERT_EQ(0, write_hook("next_domain_id", "4294967294"));
	for (i = 0; i < 3; i++) {
		dom[i] = imm_domain(self->dev, IOMMU_MIGRATE_FORMAT_RADIX);
		ASSERT_LT(0, dom[i]);
	}
	for (i = 0; i < 3; i++) {
		struct iommu_migrate_probe pr = {
			.domain = dom[i], .iova = 0x100000,
		};

		buf[i] = imm_buf(self->dev, PAGE, 0);
		ASSERT_LE(0, buf[i]);
		ASSERT_EQ(0, imm_map(self->dev, buf[i], dom[i], 0x100000,
				     IOMMU_MIGRATE_PROT_READ));
		ASSERT_EQ(0, imm_page(self->dev, buf[i], 0, &pg));
		EXPECT_NE(0, pg.flags & IOMMU_MIGRATE_PAGE_DEV_MAPPED)
			TH_LOG("domain %d of 3", i + 1);
		pr.pfn = pg.pfn;
		EXPECT_EQ(0, imm_ioctl(self->dev, IOMMU_MIGRATE_IOC_PROBE, &pr))
			TH_LOG("domain %d of 3", i + 1);
	}
	for (i = 0; i < 3; i++)
		close(buf[i]);
}

#define TEST_HOOKS_PARAM	"/sys/module/iommu_migrate/parameters/test_hooks"

/* Every debugfs file that changes what the module does. */
static const char * const test_hook_files[] = {
	"hold_access", "fault_delay_us", "block_pfn", "fail_next_allocs",
	"edu_copy_delay_ms", "precopy_delay_ms", "pin_pages", "next_domain_id",
	"retry_poll_unbounded",
};

/* The test_hooks parameter as the module shows it: 'Y', 'N', or 0. */
static char test_hooks_param(void)
{
	FILE *f = fopen(TEST_HOOKS_PARAM, "r");
	int c;

	if (!f)
		return 0;
	c = fgetc(f);
	fclose(f);
	return c == EOF ? 0 : c;
}

/* Hook files of test_hook_files[] in debugfs. */
static int test_hooks_there(void)
{
	unsigned int i;
	int n = 0;

	for (i = 0; i < ARRAY_SIZE(test_hook_files); i++) {
		char path[256];

		snprintf(path, sizeof(path), DEBUGFS "%s", test_hook_files[i]);
		n += !access(path, F_OK);
	}
	return n;
}

/*
 * Unload iommu_migrate and load @ko with @params. A file the tests
 * before closed may still hold the module for a moment: retry.
 * Return: 0 or -errno.
 */
static int imm_reload(const char *ko, const char *params)
{
	int fd, i, ret;

	for (i = 0; i < 100; i++) {
		ret = syscall(SYS_delete_module, "iommu_migrate", O_NONBLOCK);
		if (!ret || (errno != EWOULDBLOCK && errno != EBUSY))
			break;
		usleep(50000);
	}
	if (ret && errno != ENOENT)
		return -errno;
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, params, 0) ? -errno : 0;
	close(fd);
	return ret;
}

FIXTURE(reload) {
	char ko[512];
};

FIXTURE_SETUP(reload)
{
	const char *build = getenv("MEMVIRT_BUILD");

	if (!build)
		SKIP(return, "MEMVIRT_BUILD unset: where is iommu_migrate.ko?");
	snprintf(self->ko, sizeof(self->ko), "%s/mod/iommu_migrate/iommu_migrate.ko",
		 build);
	ASSERT_EQ(0, access(self->ko, R_OK)) TH_LOG("%s", self->ko);
}

/* Whatever happened, the module is back as the harness loaded it. */
FIXTURE_TEARDOWN(reload)
{
	if (self->ko[0] && test_hooks_param() != 'Y')
		imm_reload(self->ko, "test_hooks=1");
}

/*
 * The debugfs test hooks (each changes what the module does: pins
 * pages, blocks frames, fails allocations, slows moves) exist only
 * when the module is loaded with test_hooks=1, which cannot change
 * while it is loaded. Loaded without it, none of them is there, and
 * copy_ns (a measurement) and the sysfs knobs are; loaded with it
 * again, as the harness loads it, they are all back.
 */
TEST_F_TIMEOUT(reload, test_hooks_need_the_module_parameter, 120)
{
	const unsigned int all = ARRAY_SIZE(test_hook_files);

	ASSERT_EQ('Y', test_hooks_param())
		TH_LOG("the harness loads iommu_migrate with test_hooks=1");
	EXPECT_EQ(all, test_hooks_there());
	EXPECT_NE(0, mv_write_path(TEST_HOOKS_PARAM, "0"));
	EXPECT_EQ('Y', test_hooks_param());

	ASSERT_EQ(0, imm_reload(self->ko, ""));
	EXPECT_EQ('N', test_hooks_param());
	EXPECT_EQ(0, test_hooks_there());
	EXPECT_EQ(0, access(DEBUGFS "copy_ns", R_OK));
	EXPECT_EQ(0, access(SYSFS "pages_migrated", R_OK));
	EXPECT_EQ(0, access(DEV, R_OK));
	EXPECT_NE(0, mv_write_path(TEST_HOOKS_PARAM, "1"));
	EXPECT_EQ(0, test_hooks_there());

	ASSERT_EQ(0, imm_reload(self->ko, "test_hooks=1"));
	EXPECT_EQ('Y', test_hooks_param());
	EXPECT_EQ(all, test_hooks_there());
}

TEST_HARNESS_MAIN
