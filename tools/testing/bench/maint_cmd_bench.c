// SPDX-License-Identifier: GPL-2.0
/*
 * make bench, maint_cmd: ratios against baselines measured in the same
 * run, in the same VM.
 *  1. Latency from an indication to the page offlined (auto_repair off,
 *     so offlining is the last action), p50 and p99, against the
 *     kernel's own soft offline of the same kind of page
 *     (madvise(MADV_SOFT_OFFLINE)), timed around the call.
 *  2. Mailbox commands per second against the model (Get Poison List
 *     on an empty list, through trigger_poison_list), against reads of
 *     a plain sysfs file of the same device: the cost of the mailbox
 *     round trip over the cost of reaching the driver at all.
 *  3. The evacuate-then-repair path against a plain soft offline then
 *     repair, both through maint_cmd with auto_repair on, timed by the
 *     event's latency (indication to last action): pages of an
 *     iommu_migrate buffer that a DMA engine keeps writing (evacuate,
 *     soft PPR), against pages of this process (soft offline, soft
 *     PPR, back into service). Only samples whose actions are exactly
 *     those count; how many did is printed. Before that, with
 *     auto_repair off, the latency from an indication to its page
 *     evacuated, p50 and p99, beside row 1's indication to offlined.
 * Prints "name|value" rows.
 */
#include "../../../selftests/iommu_migrate/imm_util.h"
#include "../../../selftests/maint_cmd/mc_util.h"

#ifndef MADV_SOFT_OFFLINE
#define MADV_SOFT_OFFLINE	101
#endif

#define N	40
#define EVAC_PAGES	16
#define EVAC_IOVA	0x40000000ULL

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double pct(double *v, int n, int p)
{
	qsort(v, n, sizeof(*v), cmp);
	return v[(n - 1) * p / 100];
}

/* Injects a corrected error with maintenance needed; its latency in us. */
static int one_indication(const char *dev, int fd, uint64_t pfn, uint32_t want,
			  double *us)
{
	long long dpa = mc_dpa_of(dev, pfn);
	struct maint_cmd_event e;
	char cmd[96];

	snprintf(cmd, sizeof(cmd), "gm %#llx 1 maint", dpa);
	if (dpa < 0 || mc_dbg_write(dev, "inject_event", cmd) ||
	    mc_wait_event(fd, &e, MAINT_CMD_EV_GENERAL_MEDIA, dpa, 30000) ||
	    e.result || e.actions != want)
		return -1;
	*us = e.latency_ns / 1e3;
	return 0;
}

/* Row 3: evacuate+repair under DMA against soft offline+repair. */
static int evac_vs_offline(const char *dev, int fd)
{
	double ev[EVAC_PAGES], so[EVAC_PAGES], eo[EVAC_PAGES];
	struct iommu_migrate_engine_stats st;
	struct iommu_migrate_migrate m;
	struct iommu_migrate_page pg;
	int imm, dom, buf, eng, i, ne = 0, ns = 0, no = 0;
	uint8_t *mem;

	imm = open(DEV, O_RDWR | O_CLOEXEC);
	if (imm < 0)
		return -1;
	dom = imm_domain(imm, IOMMU_MIGRATE_FORMAT_RADIX);
	buf = imm_buf(imm, EVAC_PAGES * PAGE, 1);
	if (dom <= 0 || buf < 0 ||
	    imm_map(imm, buf, dom, EVAC_IOVA,
		    IOMMU_MIGRATE_PROT_READ | IOMMU_MIGRATE_PROT_WRITE))
		return -1;
	eng = imm_engine(imm, dom, IOMMU_MIGRATE_PATTERN_SEQ_WRITE, EVAC_IOVA,
			 EVAC_PAGES * PAGE, 0, 0);
	if (eng <= 0)
		return -1;
	/* Evacuation alone (auto_repair off): indication to page moved. */
	if (mc_dev_write(dev, "auto_repair", "0"))
		return -1;
	for (i = 0; i < EVAC_PAGES; i++)
		if (!imm_page(imm, buf, i, &pg) && pg.node == 1 &&
		    !one_indication(dev, fd, pg.pfn, MAINT_CMD_ACT_EVACUATE, &eo[no]))
			no++;
	/* Back onto the device, then evacuation and repair. */
	if (imm_migrate(imm, buf, 1, 0, EVAC_PAGES * PAGE, &m) ||
	    mc_dev_write(dev, "auto_repair", "1"))
		return -1;
	for (i = 0; i < EVAC_PAGES; i++)
		if (!imm_page(imm, buf, i, &pg) && pg.node == 1 &&
		    !one_indication(dev, fd, pg.pfn,
				    MAINT_CMD_ACT_EVACUATE | MAINT_CMD_ACT_SOFT_PPR,
				    &ev[ne]))
			ne++;
	if (imm_engine_stop(imm, eng, &st))
		return -1;
	close(buf);
	close(imm);
	/* The same indication on pages no device maps. */
	mem = mc_node_pages(EVAC_PAGES, 1);
	if (!mem)
		return -1;
	for (i = 0; i < EVAC_PAGES; i++) {
		mc_fill(mem + i * MC_PAGE, i);
		if (!one_indication(dev, fd, mc_pfn_of(mem + i * MC_PAGE),
				    MAINT_CMD_ACT_SOFT_OFFLINE |
				    MAINT_CMD_ACT_SOFT_PPR | MAINT_CMD_ACT_UNPOISON,
				    &so[ns]))
			ns++;
	}
	munmap(mem, EVAC_PAGES * MC_PAGE);
	printf("maint_cmd indication->evacuated under DMA p50 (us, %d of %d pages)|%.0f\n",
	       no, EVAC_PAGES, no ? pct(eo, no, 50) : 0.0);
	printf("maint_cmd indication->evacuated under DMA p99 (us)|%.0f\n",
	       no ? pct(eo, no, 99) : 0.0);
	printf("maint_cmd evacuate+repair under DMA p50 (us, %d of %d pages)|%.0f\n",
	       ne, EVAC_PAGES, ne ? pct(ev, ne, 50) : 0.0);
	printf("maint_cmd soft offline+repair p50 (us, baseline, %d of %d pages)|%.0f\n",
	       ns, EVAC_PAGES, ns ? pct(so, ns, 50) : 0.0);
	if (!ne || !ns)
		return -1;
	printf("maint_cmd evacuate+repair / soft offline+repair, p50|%.2f\n",
	       pct(ev, ne, 50) / pct(so, ns, 50));
	return 0;
}

int main(void)
{
	double mc[N], base[N], t0, t_cmd, t_read;
	long long dpa[N];
	uint64_t pfn[N], bpfn[N] = { 0 };
	struct maint_cmd_event e;
	char dev[16], cmd[96], path[128], b[64];
	int fd, i, n = 0, nb = 0, reps = 200;
	uint8_t *buf, *bbuf;

	if (mc_create("nid=1", dev, sizeof(dev)))
		return 1;
	if (mc_dev_write(dev, "auto_repair", "0"))
		return 1;
	fd = mc_open_events(dev, O_RDONLY);
	buf = mc_node_pages(N, 1);
	bbuf = mc_node_pages(N, 1);
	if (fd < 0 || !buf || !bbuf)
		return 1;
	for (i = 0; i < N; i++) {
		pfn[i] = mc_pfn_of(buf + i * MC_PAGE);
		dpa[i] = mc_dpa_of(dev, pfn[i]);
		snprintf(cmd, sizeof(cmd), "gm %#llx 1 maint", dpa[i]);
		if (dpa[i] < 0 || mc_dbg_write(dev, "inject_event", cmd) ||
		    mc_wait_event(fd, &e, MAINT_CMD_EV_GENERAL_MEDIA, dpa[i], 30000) ||
		    e.result)
			continue;
		mc[n++] = e.latency_ns / 1e3;
		/* baseline: the kernel's soft offline of a page like it */
		bpfn[i] = mc_pfn_of(bbuf + i * MC_PAGE);
		t0 = mc_now();
		if (!madvise(bbuf + i * MC_PAGE, MC_PAGE, MADV_SOFT_OFFLINE))
			base[nb++] = (mc_now() - t0) * 1e6;
	}
	if (!n || !nb)
		return 1;
	printf("maint_cmd indication->offlined p50 (us)|%.0f\n", pct(mc, n, 50));
	printf("maint_cmd indication->offlined p99 (us)|%.0f\n", pct(mc, n, 99));
	printf("madvise(MADV_SOFT_OFFLINE) p50 (us, baseline)|%.0f\n", pct(base, nb, 50));
	printf("maint_cmd p50 / baseline p50|%.2f\n", pct(mc, n, 50) / pct(base, nb, 50));
	printf("maint_cmd p99 / baseline p99|%.2f\n", pct(mc, n, 99) / pct(base, nb, 99));
	/* Put the pages back: they are offline, so the repair is allowed. */
	for (i = 0; i < 2 * N; i++) {
		uint64_t p = i < N ? pfn[i] : bpfn[i - N];
		long long d = mc_dpa_of(dev, p);

		if (d < 0 || mc_hwpoisoned(p) != 1)
			continue;
		mc_dev_write_num(dev, "mem_repair0/dpa", d);
		mc_dev_write(dev, "mem_repair0/repair", "1");
	}

	t0 = mc_now();
	for (i = 0; i < reps; i++)
		if (mc_dev_write(dev, "trigger_poison_list", "1"))
			return 1;
	t_cmd = (mc_now() - t0) / reps;
	snprintf(path, sizeof(path), MC_CLASS "%s/commands", dev);
	t0 = mc_now();
	for (i = 0; i < reps; i++)
		mc_read_file(path, b, sizeof(b));
	t_read = (mc_now() - t0) / reps;
	printf("maint_cmd mailbox commands per second (Get Poison List)|%.0f\n", 1 / t_cmd);
	printf("maint_cmd mailbox command / plain sysfs read|%.1f\n", t_cmd / t_read);
	if (evac_vs_offline(dev, fd))
		return 1;
	close(fd);
	mc_destroy(dev);
	return 0;
}
