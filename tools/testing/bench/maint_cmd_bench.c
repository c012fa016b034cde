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
 *     repair: needs iommu_migrate mapping the pages; without it the row
 *     says so and no number is made up.
 * Prints "name|value" rows.
 */
#include "../../../selftests/maint_cmd/mc_util.h"

#ifndef MADV_SOFT_OFFLINE
#define MADV_SOFT_OFFLINE	101
#endif

#define N	40

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

		if (d < 0 || !mc_hwpoisoned(p))
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
	printf("maint_cmd evacuate+repair / soft offline+repair|%s\n",
	       mc_dev_read(dev, "evacuated") > 0 ? "measured" :
	       "n/a: iommu_migrate does not map these pages");
	close(fd);
	mc_destroy(dev);
	return 0;
}
