// SPDX-License-Identifier: GPL-2.0
/*
 * make demo, iommu_migrate scenario: four emulated DMA engines write
 * records into a 16 MiB buffer, first with no migration, then while
 * the PME moves every page between node 0 and node 1 (node 0 only on a
 * one-node machine). Shows DMA throughput, migration throughput, stall
 * time per stall, and the records checked from the CPU afterwards.
 * Prints "metric|before|after" rows for demo.sh's table.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/iommu_migrate.h>

#define BYTES		(16ULL << 20)
#define ENGINES		4
#define SECS		4.0
#define REC		sizeof(struct iommu_migrate_record)

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int two_nodes(void)
{
	return !access("/sys/devices/system/node/node1", F_OK);
}

/* Run the engines for SECS, migrating if @migrate; fill the figures. */
static int phase(int dev, int buf, int dom, int migrate, double *ops_s,
		 double *pages_s, double *stall_us, unsigned long *bad)
{
	struct iommu_migrate_engine_stats st;
	unsigned long long ops = 0, stalls = 0, stall_ns = 0, pages = 0;
	const unsigned long long win = BYTES / ENGINES;
	int ids[ENGINES], i, to = 0;
	double t0, t;
	char *p;

	for (i = 0; i < ENGINES; i++) {
		struct iommu_migrate_engine e = {
			.domain = dom, .iova = i * win, .size = win,
			.pattern = IOMMU_MIGRATE_PATTERN_SEQ_WRITE,
		};

		if (ioctl(dev, IOMMU_MIGRATE_IOC_ENGINE_START, &e))
			return -errno;
		ids[i] = e.id;
	}
	t0 = now();
	while ((t = now()) - t0 < SECS) {
		struct iommu_migrate_migrate m = {
			.buf_fd = buf, .size = BYTES, .node = two_nodes() ? (to = !to) : 0,
		};

		if (!migrate) {
			usleep(100000);
			continue;
		}
		if (ioctl(dev, IOMMU_MIGRATE_IOC_MIGRATE, &m))
			return -errno;
		pages += m.moved;
	}
	t = now() - t0;
	p = mmap(NULL, BYTES, PROT_READ, MAP_SHARED, buf, 0);
	if (p == MAP_FAILED)
		return -errno;
	*bad = 0;
	for (i = 0; i < ENGINES; i++) {
		unsigned long long s, slots = win / REC;

		memset(&st, 0, sizeof(st));
		st.id = ids[i];
		if (ioctl(dev, IOMMU_MIGRATE_IOC_ENGINE_STOP, &st))
			return -errno;
		ops += st.ops;
		stalls += st.stalls;
		stall_ns += st.stall_ns;
		/* The newest record of each slot, from the CPU mapping. */
		for (s = 0; s < slots && s < st.writes; s++) {
			const struct iommu_migrate_record *r =
				(const void *)(p + i * win + s * REC);
			unsigned long long want = s + (st.writes - 1 - s) / slots * slots;

			*bad += r->seq != want || r->engine != st.id ||
				r->csum != iommu_migrate_record_csum(r);
		}
	}
	munmap(p, BYTES);
	*ops_s = ops / t;
	*pages_s = pages / t;
	*stall_us = stalls ? stall_ns / 1e3 / stalls : 0;
	return 0;
}

int main(void)
{
	struct iommu_migrate_domain d = { .format = IOMMU_MIGRATE_FORMAT_RADIX };
	struct iommu_migrate_buf b = { .size = BYTES, .node = 0 };
	double ops[2], pages[2], stall[2];
	unsigned long bad[2];
	int dev, buf;

	dev = open("/dev/iommu_migrate", O_RDWR);
	if (dev < 0 || ioctl(dev, IOMMU_MIGRATE_IOC_DOMAIN_CREATE, &d)) {
		perror("iommu_migrate");
		return 1;
	}
	buf = ioctl(dev, IOMMU_MIGRATE_IOC_BUF_CREATE, &b);
	{
		struct iommu_migrate_map m = {
			.buf_fd = buf, .domain = d.id,
			.prot = IOMMU_MIGRATE_PROT_READ | IOMMU_MIGRATE_PROT_WRITE,
		};

		if (buf < 0 || ioctl(dev, IOMMU_MIGRATE_IOC_MAP, &m)) {
			perror("iommu_migrate buffer");
			return 1;
		}
	}
	if (phase(dev, buf, d.id, 0, &ops[0], &pages[0], &stall[0], &bad[0]) ||
	    phase(dev, buf, d.id, 1, &ops[1], &pages[1], &stall[1], &bad[1])) {
		perror("iommu_migrate demo");
		return 1;
	}
	printf("iommu_migrate: DMA ops/s, 4 engines (before: no migration)|%.0f|%.0f\n",
	       ops[0], ops[1]);
	printf("iommu_migrate: pages migrated/s under DMA, node 0<->1|-|%.0f\n",
	       pages[1]);
	printf("iommu_migrate: mean DMA stall per stall, us|-|%.1f\n", stall[1]);
	printf("iommu_migrate: records lost, torn or misplaced|%lu|%lu\n",
	       bad[0], bad[1]);
	return bad[0] || bad[1];
}
