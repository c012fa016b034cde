// SPDX-License-Identifier: GPL-2.0
/*
 * make demo, maint_cmd scenario: a model device over NUMA node 1.
 *  1. The device reports a corrected error needing maintenance on a
 *     page this program uses: the page is soft-offlined (its data moves
 *     to a new frame), repaired (soft PPR), and returned to service.
 *  2. The same on a page under DMA: an iommu_migrate buffer on node 1,
 *     mapped in a domain, which an emulated DMA engine keeps writing
 *     with sequence-numbered records. The page is evacuated by
 *     iommu_migrate while the engine goes on, then repaired; every
 *     record is checked from the CPU mapping afterwards. The vacated
 *     frame is shown too: out of the buffer, back in the allocator
 *     (free, or already someone else's), repaired in service and not
 *     poisoned.
 * Shows the counters, where the data is and whether it is intact,
 * before and after. Prints "metric|before|after" rows for demo.sh's
 * table; exits non-zero if either flow fails or loses data.
 */
#include "../../../selftests/iommu_migrate/imm_util.h"
#include "../../../selftests/maint_cmd/mc_util.h"

#define PAGES	16
#define DMA_PAGES	16
#define DMA_IOVA	0x40000000ULL
#define DMA_SLOTS	(DMA_PAGES * PAGE / REC)

static void row(const char *what, long long before, long long after)
{
	printf("maint_cmd: %s|%lld|%lld\n", what, before, after);
}

#define KPF_BUDDY	10

/*
 * What became of the frame an evacuation left: still one of the
 * buffer's pages (it must not be), poisoned (it must not be: it was
 * repaired in service), and free or already someone else's (either is
 * fine). Returns non-zero if a must-not holds or the flags are unread.
 */
static int vacated_frame(int imm, int buf, uint64_t pfn)
{
	struct iommu_migrate_page pg;
	uint64_t flags = mc_kpageflags(pfn);
	int i, held = 0, poisoned = mc_hwpoisoned(pfn);

	for (i = 0; i < DMA_PAGES; i++)
		held += !imm_page(imm, buf, i, &pg) && pg.pfn == pfn;
	printf("maint_cmd: vacated frame %#llx (kpageflags %#llx)|-|-\n",
	       (unsigned long long)pfn, (unsigned long long)flags);
	row("vacated frame: still in the buffer (1 yes; must be 0)", 1, held);
	row("vacated frame: hwpoisoned (0 = in service; -1 unread; must be 0)", 0,
	    poisoned);
	/* Free pages show no flag but buddy (and not even that on a pcp list). */
	if (flags != MC_KPF_ERR)
		row("vacated frame: a user's per kpageflags (1 yes, 0 free or untyped)", 0,
		    (flags & ~(1ULL << KPF_BUDDY)) != 0);
	if (held || poisoned)
		fprintf(stderr, "maint_cmd demo: vacated frame %#llx: in the buffer %d, poisoned %d\n",
			(unsigned long long)pfn, held, poisoned);
	return held || poisoned;
}

/*
 * Scenario 2: evacuation of a page under DMA. Returns 0 when the page
 * was evacuated and repaired with every record intact.
 */
static int dma_page(const char *dev, int fd)
{
	struct iommu_migrate_engine_stats st;
	struct iommu_migrate_page pg0, pg1;
	long long ev0, rep0, dpa;
	struct maint_cmd_event e;
	struct rec_result r;
	int imm, dom, buf, eng, k = 5, tries, vacated;
	char cmd[96];

	imm = open(DEV, O_RDWR | O_CLOEXEC);
	if (imm < 0) {
		fprintf(stderr, "maint_cmd demo: iommu_migrate is not loaded\n");
		return 1;
	}
	dom = imm_domain(imm, IOMMU_MIGRATE_FORMAT_RADIX);
	buf = imm_buf(imm, DMA_PAGES * PAGE, 1);
	if (dom <= 0 || buf < 0 ||
	    imm_map(imm, buf, dom, DMA_IOVA,
		    IOMMU_MIGRATE_PROT_READ | IOMMU_MIGRATE_PROT_WRITE))
		return 1;
	eng = imm_engine(imm, dom, IOMMU_MIGRATE_PATTERN_SEQ_WRITE, DMA_IOVA,
			 DMA_PAGES * PAGE, 0, 0);
	if (eng <= 0)
		return 1;
	/* The engine has written the whole window at least once. */
	for (tries = 0; tries < 3000; tries++) {
		memset(&st, 0, sizeof(st));
		st.id = eng;
		if (imm_ioctl(imm, IOMMU_MIGRATE_IOC_ENGINE_STATS, &st))
			return 1;
		if (st.writes > DMA_SLOTS)
			break;
		usleep(10000);
	}
	if (imm_page(imm, buf, k, &pg0))
		return 1;
	dpa = mc_dpa_of(dev, pg0.pfn);
	if (dpa < 0)
		return 1;
	ev0 = mc_dev_read(dev, "evacuated");
	rep0 = mc_dev_read(dev, "repaired");
	snprintf(cmd, sizeof(cmd), "gm %#llx 1 maint", dpa);
	if (mc_dbg_write(dev, "inject_event", cmd) ||
	    mc_wait_event(fd, &e, MAINT_CMD_EV_GENERAL_MEDIA, dpa, 30000) ||
	    imm_page(imm, buf, k, &pg1) ||
	    stop_and_check(imm, eng, buf, DMA_PAGES * PAGE, DMA_IOVA, &st, &r))
		return 1;
	row("DMA page: counter evacuated", ev0, mc_dev_read(dev, "evacuated"));
	row("DMA page: counter repaired", rep0, mc_dev_read(dev, "repaired"));
	row("DMA page: actions (bits: 1 evacuate, 8 sPPR)", 0, e.actions);
	row("DMA page: indication -> evacuated and repaired, us", 0,
	    e.latency_ns / 1000);
	row("DMA page: on the reported frame (1 yes, 0 moved)", 1, pg1.pfn == pg0.pfn);
	row("DMA page: NUMA node", pg0.node, pg1.node);
	row("DMA records written by the engine", 0, st.writes);
	row("DMA records intact (of the window's slots)", 0, r.ok);
	row("DMA records lost, torn or misplaced", 0, r.lost + r.torn + r.misplaced);
	row("DMA faults, RMT violations", 0, st.faults + st.rmt_violations);
	vacated = vacated_frame(imm, buf, pg0.pfn);
	close(buf);
	close(imm);
	return e.result || e.actions != (MAINT_CMD_ACT_EVACUATE | MAINT_CMD_ACT_SOFT_PPR) ||
	       pg1.pfn == pg0.pfn || r.ok != DMA_SLOTS || r.lost || r.torn ||
	       r.misplaced || st.faults || st.rmt_violations || vacated;
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
	int fd, i, intact0 = 0, intact1 = 0, k = 7, dma, poisoned;
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
	poisoned = mc_hwpoisoned(pfn0);
	row("reported frame hwpoisoned after the flow (-1 unread; must be 0)", 0, poisoned);
	row("pages with intact data (of 16)", intact0, intact1);
	row("actions done (bits: 2 soft offline, 8 sPPR, 64 unpoison)", 0, e.actions);
	row("indication -> back in service, us", 0, e.latency_ns / 1000);
	row("model sPPR operations", 0, mc_model_stat(dev, "soft_ppr"));
	dma = dma_page(dev, fd);
	close(fd);
	munmap(buf, PAGES * MC_PAGE);
	mc_destroy(dev);
	return e.result || intact1 != PAGES || poisoned || dma;
}
