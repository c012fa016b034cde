// SPDX-License-Identifier: GPL-2.0
/*
 * make demo, maint_cmd scenario: a model device over NUMA node 1; the
 * device reports a corrected error needing maintenance on a page this
 * program uses. The indication flows to the page's move (evacuation
 * through iommu_migrate when it maps the page, soft offline here),
 * the repair (soft PPR) and the page's return to service. Shows the
 * counters, where the data is and whether it is intact, before and
 * after. Prints "metric|before|after" rows for demo.sh's table.
 */
#include "../../../selftests/maint_cmd/mc_util.h"

#define PAGES	16

static void row(const char *what, long long before, long long after)
{
	printf("maint_cmd: %s|%lld|%lld\n", what, before, after);
}

int main(void)
{
	static const char * const counters[] = {
		"indications", "offlined", "evacuated", "repaired", "unpoisoned",
		"failed",
	};
	long long before[6], after[6], dpa;
	struct maint_cmd_event e;
	char dev[16], cmd[96], what[64];
	int fd, i, intact0 = 0, intact1 = 0, k = 7;
	uint64_t pfn0, pfn1;
	uint8_t *buf;

	if (mc_create("nid=1", dev, sizeof(dev))) {
		fprintf(stderr, "maint_cmd demo: no model on node 1\n");
		return 1;
	}
	buf = mc_node_pages(PAGES, 1);
	if (!buf)
		return 1;
	for (i = 0; i < PAGES; i++)
		mc_fill(buf + i * MC_PAGE, i);
	pfn0 = mc_pfn_of(buf + k * MC_PAGE);
	dpa = mc_dpa_of(dev, pfn0);
	fd = mc_open_events(dev, O_RDONLY);
	if (dpa < 0 || fd < 0)
		return 1;
	for (i = 0; i < 6; i++)
		before[i] = mc_dev_read(dev, counters[i]);
	for (i = 0; i < PAGES; i++)
		intact0 += mc_check(buf + i * MC_PAGE, i);
	snprintf(cmd, sizeof(cmd), "dram %#llx 1 maint row=42", dpa);
	if (mc_dbg_write(dev, "inject_event", cmd) ||
	    mc_wait_event(fd, &e, MAINT_CMD_EV_DRAM, dpa, 30000))
		return 1;
	for (i = 0; i < 6; i++)
		after[i] = mc_dev_read(dev, counters[i]);
	pfn1 = mc_pfn_of(buf + k * MC_PAGE);
	for (i = 0; i < PAGES; i++)
		intact1 += mc_check(buf + i * MC_PAGE, i);
	for (i = 0; i < 6; i++) {
		snprintf(what, sizeof(what), "mc counter %s", counters[i]);
		row(what, before[i], after[i]);
	}
	row("page on the reported frame (1 yes, 0 moved)", 1, pfn1 == pfn0);
	row("reported frame hwpoisoned after the flow", 0, mc_hwpoisoned(pfn0));
	row("pages with intact data (of 16)", intact0, intact1);
	row("actions done (bits: 2 soft offline, 8 sPPR, 64 unpoison)", 0, e.actions);
	row("indication -> back in service, us", 0, e.latency_ns / 1000);
	row("model sPPR operations", 0, mc_model_stat(dev, "soft_ppr"));
	row("evacuations through iommu_migrate (loaded?)", 0,
	    mc_dev_read(dev, "evacuated"));
	close(fd);
	munmap(buf, PAGES * MC_PAGE);
	mc_destroy(dev);
	return e.result || intact1 != PAGES;
}
