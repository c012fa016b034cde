// SPDX-License-Identifier: GPL-2.0
/*
 * maint_cmd host driver: discovery (Identify, command effects log,
 * features, telling the device what the host handles), draining the
 * event logs on interrupt, and the actions an indication leads to:
 * DPA -> HPA, evacuation through iommu_migrate when it maps the page,
 * soft or hard offline otherwise, PPR, clearing the poison and putting
 * the page back in service. Host-initiated repair follows the rule
 * upstream CXL repair uses: an address the device reported this boot,
 * or memory that is offline.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/hash.h>
#include <linux/memory_hotplug.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/unaligned.h>

#include <memvirt/iommu_migrate.h>

#include "maint_cmd_internal.h"
#include "trace.h"

static DEFINE_MUTEX(mc_hosts_lock);
static struct mc_host *mc_hosts[MC_MAX_DEVICES];
/*
 * The media of every device, from its creation until its removal is
 * done (mc_hosts_lock). Devices never share a page: the page lock and
 * the record of pages taken offline are a device's, and one page must
 * have one of each.
 */
static LIST_HEAD(mc_media);
/*
 * Numbers the indications of every device, for the tracepoints: a
 * record's handle is the device's (per log, and reused), this is not.
 */
static atomic64_t mc_indication_seq;

/**
 * struct mc_action - one indication on its way to resolution
 * @work: runs on the device's action workqueue
 * @node: in the device's queue of actions not yet started
 * @h: the device
 * @ev: the decoded record
 * @t0: when the host received it (ns, monotonic)
 * @seq: its number in the indication, page_offline, page_evacuate and
 *	repair_done tracepoints
 */
struct mc_action {
	struct work_struct work;
	struct list_head node;
	struct mc_host *h;
	struct mc_event ev;
	u64 t0;
	u64 seq;
};

static unsigned long mc_pfn(struct mc_host *h, u64 dpa)
{
	return h->base_pfn + (dpa >> PAGE_SHIFT);
}

static u64 mc_hpa(struct mc_host *h, u64 dpa)
{
	return PFN_PHYS(h->base_pfn) + dpa;
}

/**
 * mc_host_event() - append a record to the device's event stream
 * @h: the device
 * @e: the record; its seq and lost fields are filled in here
 *
 * When the ring is full the oldest record goes, and the next oldest
 * says how many went before it.
 */
void mc_host_event(struct mc_host *h, const struct maint_cmd_event *e)
{
	struct maint_cmd_event *slot;

	spin_lock(&h->ev_lock);
	if (h->ev_n == MC_EVENT_RING) {
		h->ev_first = (h->ev_first + 1) % MC_EVENT_RING;
		h->ev_n--;
		h->ring[h->ev_first].lost++;
		atomic64_inc(&h->stat[MC_ST_EVENTS_DROPPED]);
	}
	slot = &h->ring[(h->ev_first + h->ev_n) % MC_EVENT_RING];
	*slot = *e;
	slot->seq = ++h->ev_seq;
	slot->lost = 0;
	h->ev_n++;
	spin_unlock(&h->ev_lock);
	wake_up_interruptible(&h->ev_wait);
}

static void mc_emit(struct mc_host *h, u32 kind, const struct mc_event *ev,
		    u64 dpa, u64 t0, u32 planned, u32 done, int result)
{
	struct maint_cmd_event e = {
		.timestamp_ns = t0, .dpa = dpa, .hpa = mc_hpa(h, dpa),
		.kind = kind, .flags = MAINT_CMD_EVF_HPA_VALID,
		.actions = done, .planned = planned, .result = result,
		.latency_ns = ktime_get_ns() - t0,
	};

	if (ev) {
		e.severity = ev->severity;
		e.handle = ev->handle;
		if (ev->flags & MC_EVF_MAINT_NEEDED)
			e.flags |= MAINT_CMD_EVF_MAINT_NEEDED;
		if (ev->descriptor & MC_DESC_UNCORRECTABLE)
			e.flags |= MAINT_CMD_EVF_UNCORRECTABLE;
		if (ev->descriptor & MC_DESC_THRESHOLD)
			e.flags |= MAINT_CMD_EVF_THRESHOLD;
	}
	mc_host_event(h, &e);
}

/* --- iommu_migrate, when it is loaded ------------------------------------ */

static bool mc_evac_mapped(unsigned long pfn)
{
	bool (*mapped)(unsigned long pfn) = symbol_get(iommu_migrate_pfn_mapped);
	bool ret;

	if (!mapped) {
		atomic64_inc(&mc_evac_absent);
		return false;
	}
	atomic64_inc(&mc_evac_iommu_migrate);
	ret = mapped(pfn);
	symbol_put(iommu_migrate_pfn_mapped);
	return ret;
}

static bool mc_evac_present(void)
{
	void *evac = symbol_get(iommu_migrate_evacuate);

	if (!evac)
		return false;
	symbol_put(iommu_migrate_evacuate);
	return true;
}

static int mc_evacuate(struct mc_host *h, u64 seq, unsigned long pfn)
{
	int (*evac)(unsigned long start_pfn, unsigned long nr_pages, int nid,
		    struct iommu_migrate_evac_result *res);
	struct iommu_migrate_evac_result res = { 0 };
	int nid, target = NUMA_NO_NODE, ret;

	evac = symbol_get(iommu_migrate_evacuate);
	if (!evac) {
		trace_maint_cmd_page_evacuate(h->id, seq, pfn, false, 0, -ENODEV);
		return -ENODEV;
	}
	/* Out of the device's node, if there is another. */
	for_each_node_state(nid, N_MEMORY) {
		if (nid != h->nid) {
			target = nid;
			break;
		}
	}
	ret = evac(pfn, 1, target, &res);
	symbol_put(iommu_migrate_evacuate);
	if (!ret && res.failed)
		ret = -EBUSY;
	/*
	 * The page left every domain between the caller's look and the
	 * evacuation (unmapped, or moved out by another request): this
	 * call moved nothing, and the frame's user may now be anyone. The
	 * caller takes the plain path instead of repairing it as vacated.
	 */
	else if (!ret && !res.moved)
		ret = -EAGAIN;
	atomic64_add(res.moved, &h->stat[MC_ST_EVACUATED]);
	trace_maint_cmd_page_evacuate(h->id, seq, pfn, true, res.moved, ret);
	return ret;
}

/*
 * Lost data a domain maps: its devices must not go on writing poisoned
 * memory. 0 once blocked; -ENOENT if no domain maps it any more.
 *
 * dma_blocked counts pages, not records: iommu_migrate_block() says 0
 * for a page blocked now or already, so the host remembers the pages it
 * blocked (@h->blocked) and counts each once, however many records come
 * for it.
 */
static int mc_block_dma(struct mc_host *h, unsigned long pfn)
{
	int (*block)(unsigned long pfn) = symbol_get(iommu_migrate_block);
	int ret;

	if (!block)
		return -ENODEV;
	ret = block(pfn);
	symbol_put(iommu_migrate_block);
	/* Blocked all the same: the accesses in flight end on their own. */
	if (ret == -ETIMEDOUT)
		ret = 0;
	/* Not remembered (no memory): counted all the same. */
	if (!ret && xa_insert(&h->blocked, pfn, xa_mk_value(1), GFP_KERNEL) != -EBUSY)
		atomic64_inc(&h->stat[MC_ST_DMA_BLOCKED]);
	return ret;
}

/* --- page actions ----------------------------------------------------------- */

/*
 * Actions and administrator repairs of one page run one at a time: a
 * second record for a page must see the state the first one left (the
 * page offline, or back in service), not race it.
 */
static struct mutex *mc_page_lock(struct mc_host *h, unsigned long pfn)
{
	return &h->page_lock[hash_long(pfn, MC_PAGE_LOCK_BITS)];
}

/*
 * The pages this device took offline, and only those, may be put back
 * in service (unpoison_memory()). A page poisoned by anyone else, or one
 * memory_failure() marked but could not take from its owner (a kernel
 * page, an iommu_migrate buffer's page), still belongs to its owner:
 * unpoisoning it would drop the owner's reference and free the page
 * under it. Caller holds the page's lock (mc_page_lock()).
 *
 * mc_offline_reserve() makes room before the page goes offline, so that
 * a page once offline is always recorded; mc_offline_record() then
 * records it (ok) or gives the room back.
 */
static int mc_offline_reserve(struct mc_host *h, unsigned long pfn)
{
	return xa_reserve(&h->offlined, pfn, GFP_KERNEL);
}

/*
 * How a recorded page went offline: its record's value, with
 * MC_OFF_REPAIRED once repaired but kept offline (lost data the device
 * cannot clear poison from: see mc_after_repair()).
 */
enum { MC_OFF_NONE, MC_OFF_SOFT, MC_OFF_LOST, MC_OFF_HOW = 3, MC_OFF_REPAIRED };

/* @how: MC_OFF_SOFT (data moved) or MC_OFF_LOST (memory_failure()). */
static void mc_offline_record(struct mc_host *h, unsigned long pfn, bool ok,
			      unsigned int how)
{
	if (ok)
		xa_store(&h->offlined, pfn, xa_mk_value(how), GFP_KERNEL);
	else
		xa_release(&h->offlined, pfn);
}

static bool mc_offlined_by_us(struct mc_host *h, unsigned long pfn)
{
	return xa_load(&h->offlined, pfn);
}

/*
 * Offline by this host's hand: recorded, and poisoned still. A recorded
 * page someone else put back in service (hwpoison's unpoison-pfn) is in
 * use again and no longer this host's: its record goes, lest a poison
 * someone else sets later be taken for this host's.
 *
 * Return: MC_OFF_NONE if not, else how it went offline (MC_OFF_*).
 */
static unsigned int mc_offline_ours(struct mc_host *h, unsigned long pfn,
				    struct page *page)
{
	void *entry;

	lockdep_assert_held(mc_page_lock(h, pfn));
	entry = page ? xa_load(&h->offlined, pfn) : NULL;
	if (!entry)
		return MC_OFF_NONE;
	if (is_page_hwpoison(page))
		return xa_to_value(entry) & MC_OFF_HOW;
	xa_erase(&h->offlined, pfn);
	return MC_OFF_NONE;
}

/*
 * A recorded page repaired but kept offline: still this host's, and
 * named so at removal. Caller holds the page's lock (mc_page_lock()).
 */
static void mc_offline_repaired(struct mc_host *h, unsigned long pfn)
{
	void *entry;

	lockdep_assert_held(mc_page_lock(h, pfn));
	entry = xa_load(&h->offlined, pfn);
	/* Replaces a value entry in place: nothing to allocate. */
	if (entry)
		xa_store(&h->offlined, pfn,
			 xa_mk_value(xa_to_value(entry) | MC_OFF_REPAIRED),
			 GFP_KERNEL);
}

/*
 * The host's soft offline of @page is done: the page itself poisoned,
 * as a small page. soft_offline_page() dissolves a hugetlb page before
 * it marks the small page. A hugetlb page's flag on its head is the
 * whole page's: memory_failure() sets it for a poison on any of its
 * small pages, so it is someone else's poison unless it lands on @page
 * once the page is small (is_page_hwpoison() would take it for ours).
 */
static bool mc_soft_offlined(struct page *page)
{
	return PageHWPoison(page) && !folio_test_hugetlb(page_folio(page));
}

/*
 * vm.enable_soft_offline: at 0, soft_offline_page() refuses every page
 * (EOPNOTSUPP) and tells memory_failure_queue()'s caller nothing. The
 * variable is not exported: read its sysctl file. True when it cannot
 * be read (no /proc where the workers look): then the host queues the
 * soft offline and waits for it, as with the setting at 1.
 */
static bool mc_soft_offline_enabled(void)
{
	struct file *f = filp_open("/proc/sys/vm/enable_soft_offline", O_RDONLY, 0);
	char buf[4] = "";
	loff_t pos = 0;
	ssize_t n;

	if (IS_ERR(f))
		return true;
	n = kernel_read(f, buf, sizeof(buf) - 1, &pos);
	filp_close(f, NULL);
	return n <= 0 || buf[0] != '0';
}

static int mc_soft_offline(struct mc_host *h, u64 seq, unsigned long pfn)
{
	struct page *page = pfn_to_online_page(pfn);
	unsigned int delay;
	unsigned long end;
	int ret;

	if (!page)
		return -ENXIO;
	/* Test hook (debugfs offline_delay_ms): a slow start. */
	delay = min(READ_ONCE(h->offline_delay_ms), 10000U);
	if (delay)
		msleep(delay);
	/*
	 * Poisoned already, by someone else: the page lock keeps this
	 * host's other actions off the page, so the poison is not this
	 * host's, and the wait below would take it for its own. A frame
	 * an evacuation just vacated went back to the allocator, and
	 * anyone may have poisoned it since.
	 */
	if (is_page_hwpoison(page)) {
		ret = -EBUSY;
		goto out;
	}
	/*
	 * Soft offline is off: the kernel would refuse the page, and the
	 * wait below would end in a timeout. Refused now, as the kernel
	 * refuses it: the page stays in service, unrepaired.
	 */
	if (!mc_soft_offline_enabled()) {
		dev_notice_once(&h->dev, "vm.enable_soft_offline is 0: corrected errors are not taken offline\n");
		ret = -EOPNOTSUPP;
		goto out;
	}
	ret = mc_offline_reserve(h, pfn);
	if (ret)
		return ret;
	end = jiffies + msecs_to_jiffies(READ_ONCE(mc_offline_timeout_ms));
	/*
	 * soft_offline_page() is not exported: queue it, and see it done.
	 * The queue (16 requests per CPU) drops a request when full, with
	 * only a log line, and soft_offline_page() refuses pages it cannot
	 * migrate without a word to the caller: either way the page is
	 * never poisoned, and the wait ends counted in offline_timeouts.
	 */
	memory_failure_queue(pfn, MF_SOFT_OFFLINE);
	while (!mc_soft_offlined(page)) {
		/*
		 * Waited for even while the device goes: the page goes
		 * offline whether or not this action sees it, and the
		 * action must say which it did.
		 */
		if (time_after(jiffies, end)) {
			ret = -ETIMEDOUT;
			break;
		}
		usleep_range(1000, 2000);
	}
	if (ret)
		atomic64_inc(&h->stat[MC_ST_OFFLINE_TIMEOUTS]);
	/*
	 * Given up on, it may still go offline later: then it stays
	 * offline, not recorded, and is never put back by this host.
	 */
	mc_offline_record(h, pfn, !ret, MC_OFF_SOFT);
	if (!ret)
		atomic64_inc(&h->stat[MC_ST_OFFLINED]);
out:
	trace_maint_cmd_page_offline(h->id, seq, pfn, false, ret);
	return ret;
}

static int mc_hard_offline(struct mc_host *h, u64 seq, unsigned long pfn,
			   bool blocked)
{
	struct page *page = pfn_to_online_page(pfn);
	bool taken;
	int ret;

	ret = mc_offline_reserve(h, pfn);
	if (ret)
		return ret;
	/*
	 * The model's errors are simulated: saying so keeps
	 * unpoison_memory() usable for the rest of the boot.
	 */
	ret = memory_failure(pfn, h->simulated ? MF_SW_SIMULATED : 0);
	/* 0: the page is isolated from its users; this host may return it. */
	taken = !ret;
	mc_offline_record(h, pfn, taken, MC_OFF_LOST);
	/* Poisoned already, by someone else: offline, but not ours. */
	if (ret == -EHWPOISON)
		ret = 0;
	/*
	 * A page iommu_migrate owns is one memory_failure() cannot handle
	 * (-EBUSY), but it is marked: its devices are blocked, and freed,
	 * it never returns to the allocator.
	 */
	if (ret == -EBUSY && blocked && page && is_page_hwpoison(page))
		ret = 0;
	if (!ret)
		atomic64_inc(&h->stat[MC_ST_HARD_OFFLINED]);
	trace_maint_cmd_page_offline(h->id, seq, pfn, true, ret);
	return ret;
}

/* Perform Maintenance: PPR (soft or hard) or, with @spare, row sparing. */
static int mc_ppr(struct mc_host *h, u64 dpa, bool hard, bool spare, u32 nibble)
{
	struct mc_maint m = {
		.op_class = spare ? MC_MAINT_SPARING : MC_MAINT_PPR,
		.op_subclass = spare ? MC_SPARE_ROW :
			       hard ? MC_MAINT_HARD_PPR : MC_MAINT_SOFT_PPR,
		.flags = nibble ? MC_MAINTF_NIBBLE : 0,
		.dpa = dpa, .nibble_mask = nibble,
	};
	u8 in[MC_MAINT_IN_LEN];
	int ret;

	if (spare ? !mc_caps_can_spare(&h->caps) : !mc_caps_can_repair(&h->caps, hard)) {
		atomic64_inc(&h->stat[MC_ST_UNSUPPORTED]);
		return -EOPNOTSUPP;
	}
	mc_maint_encode(in, &m);
	ret = mc_mbox_send(h, MC_OP_PERFORM_MAINT, in, sizeof(in), NULL, 0, NULL);
	if (!ret)
		atomic64_inc(&h->stat[spare ? MC_ST_SPARED : MC_ST_REPAIRED]);
	return ret;
}

static int mc_clear_poison(struct mc_host *h, u64 dpa)
{
	u8 in[MC_CLEAR_POISON_LEN] = { 0 };
	int ret;

	mc_dpa_encode(in, dpa);
	ret = mc_mbox_send(h, MC_OP_CLEAR_POISON, in, sizeof(in), NULL, 0, NULL);
	if (!ret)
		atomic64_inc(&h->stat[MC_ST_POISON_CLEARED]);
	return ret;
}

/* Back into service, only a page this host took offline (-EBUSY otherwise). */
static int mc_unpoison(struct mc_host *h, unsigned long pfn)
{
	int ret;

	if (!mc_offlined_by_us(h, pfn))
		return -EBUSY;
	ret = unpoison_memory(pfn);
	if (!ret) {
		xa_erase(&h->offlined, pfn);
		atomic64_inc(&h->stat[MC_ST_UNPOISONED]);
	}
	return ret;
}

/* The plan again, for a page no iommu_migrate domain maps any more. */
static u32 mc_replan_unmapped(struct mc_policy_in *in, bool *hard)
{
	u32 plan;

	in->evac_mapped = false;
	plan = mc_policy(in);
	*hard = plan & MAINT_CMD_ACT_HARD_PPR;
	return plan;
}

/* Reports and counts how an action ended, and frees it. */
static void mc_action_end(struct mc_action *a, u32 plan, u32 done, int ret)
{
	struct mc_host *h = a->h;

	if (ret)
		atomic64_inc(&h->stat[MC_ST_FAILED]);
	mc_emit(h, a->ev.kind, &a->ev, a->ev.dpa, a->t0, plan, done, ret);
	trace_maint_cmd_repair_done(h->id, a->seq, a->ev.dpa, a->ev.handle, plan, done,
				    ret, ktime_get_ns() - a->t0);
	atomic_dec(&h->pending);
	kfree(a);
}

/**
 * mc_host_actions_start() - start queued actions, max_actions at most running
 * @h: the device
 *
 * The limit is the host's own, not the workqueue's: an unbound
 * workqueue enforces max_active per NUMA node, with at least
 * min(max_active, WQ_DFL_MIN_ACTIVE) on every node, so on a machine of
 * two nodes it would run twice max_actions actions at once.
 */
void mc_host_actions_start(struct mc_host *h)
{
	struct mc_action *a;

	spin_lock(&h->act_lock);
	while (h->act_running < READ_ONCE(h->max_actions)) {
		a = list_first_entry_or_null(&h->act_queue, struct mc_action, node);
		if (!a)
			break;
		list_del(&a->node);
		h->act_running++;
		queue_work(h->wq, &a->work);
	}
	spin_unlock(&h->act_lock);
}

static void mc_action_fn(struct work_struct *w)
{
	struct mc_action *a = container_of(w, struct mc_action, work);
	struct mc_host *h = a->h;
	unsigned long pfn = mc_pfn(h, a->ev.dpa);
	struct mutex *lock = mc_page_lock(h, pfn);
	struct page *page;
	struct mc_policy_in in = {
		.ev = &a->ev,
		.auto_repair = READ_ONCE(h->auto_repair),
		.hard_repair = READ_ONCE(h->hard_repair),
		.caps = &h->caps,
	};
	unsigned int delay, how;
	u32 plan, done = 0;
	bool hard, poisoned;
	int ret = 0;

	mutex_lock(lock);
	/* The device is going (rmmod, destroy): no new page action. */
	if (READ_ONCE(h->dead)) {
		plan = 0;
		ret = -ENODEV;
		goto unlock;
	}
	page = pfn_to_online_page(pfn);
	/*
	 * is_page_hwpoison(): memory_failure() marks a huge page's head,
	 * and hugetlbfs may keep the page whole, with no flag on @page.
	 */
	poisoned = page && is_page_hwpoison(page);
	in.page_online = page && !poisoned;
	/*
	 * Taken offline by this host under an earlier record: offline
	 * memory, repaired and returned to service (see mc_policy()).
	 */
	how = mc_offline_ours(h, pfn, page);
	in.offline_ours = how != MC_OFF_NONE;
	in.offline_lost = how == MC_OFF_LOST;
	/*
	 * Poisoned, but not by this host: its owner's still. Neither
	 * online (an offline would take the poison for this host's) nor
	 * offline (a repair would run under its owner): see mc_policy().
	 */
	in.poisoned_foreign = !in.offline_ours && poisoned;
	/* Its owner's lost data may still be written by devices: see mc_policy(). */
	in.evac_mapped = (in.page_online || in.poisoned_foreign) && mc_evac_mapped(pfn);
	plan = mc_policy(&in);
	hard = plan & MAINT_CMD_ACT_HARD_PPR;
	if (plan & MAINT_CMD_ACT_EVACUATE) {
		/* Test hook (debugfs action_delay_ms): a slow start. */
		delay = min(READ_ONCE(h->action_delay_ms), 10000U);
		if (delay)
			msleep(delay);
		ret = mc_evacuate(h, a->seq, pfn);
		if (ret == -EAGAIN) {
			/* No domain maps the frame now: the plain path. */
			plan = mc_replan_unmapped(&in, &hard);
			ret = 0;
		}
		done |= ret ? 0 : plan & MAINT_CMD_ACT_EVACUATE;
	}
	if (plan & MAINT_CMD_ACT_BLOCK_DMA) {
		ret = mc_block_dma(h, pfn);
		if (ret == -ENOENT) {
			/* Unmapped meanwhile: no device left to fence. */
			plan = mc_replan_unmapped(&in, &hard);
			ret = 0;
		}
		done |= ret ? 0 : plan & MAINT_CMD_ACT_BLOCK_DMA;
	}
	if (!ret && plan & MAINT_CMD_ACT_SOFT_OFFLINE) {
		ret = mc_soft_offline(h, a->seq, pfn);
		done |= ret ? 0 : MAINT_CMD_ACT_SOFT_OFFLINE;
	}
	if (!ret && plan & MAINT_CMD_ACT_HARD_OFFLINE) {
		ret = mc_hard_offline(h, a->seq, pfn, done & MAINT_CMD_ACT_BLOCK_DMA);
		done |= ret ? 0 : MAINT_CMD_ACT_HARD_OFFLINE;
	}
	/* Reported by the device just now: the repair rule holds. */
	if (!ret && plan & (MAINT_CMD_ACT_SOFT_PPR | MAINT_CMD_ACT_HARD_PPR |
			    MAINT_CMD_ACT_SPARE)) {
		ret = mc_ppr(h, a->ev.dpa, hard, plan & MAINT_CMD_ACT_SPARE,
			     a->ev.nibble_mask);
		done |= ret ? 0 : plan & (MAINT_CMD_ACT_SOFT_PPR |
					  MAINT_CMD_ACT_HARD_PPR | MAINT_CMD_ACT_SPARE);
	}
	if (!ret && plan & MAINT_CMD_ACT_CLEAR_POISON) {
		ret = mc_clear_poison(h, a->ev.dpa);
		done |= ret ? 0 : MAINT_CMD_ACT_CLEAR_POISON;
	}
	if (!ret && plan & MAINT_CMD_ACT_UNPOISON) {
		ret = mc_unpoison(h, pfn);
		done |= ret ? 0 : MAINT_CMD_ACT_UNPOISON;
	}
	/* Repaired, but lost data the device cannot clear: kept offline. */
	if (!ret && done & (MAINT_CMD_ACT_SOFT_PPR | MAINT_CMD_ACT_HARD_PPR |
			    MAINT_CMD_ACT_SPARE) &&
	    !(plan & MAINT_CMD_ACT_UNPOISON))
		mc_offline_repaired(h, pfn);
unlock:
	mutex_unlock(lock);
	mc_action_end(a, plan, done, ret);
	/* One running action less: a queued one may start. */
	spin_lock(&h->act_lock);
	h->act_running--;
	spin_unlock(&h->act_lock);
	mc_host_actions_start(h);
}

/*
 * One record on its way to an action. noinline: the debug tier's tests
 * fail its allocations by its address range (failslab's stack filter).
 */
static noinline void mc_indication(struct mc_host *h, const struct mc_event *ev,
				   u64 t0)
{
	u64 seq = atomic64_inc_return(&mc_indication_seq);
	struct mc_action *a;
	int err = -ENOSPC;

	atomic64_inc(&h->stat[MC_ST_INDICATIONS]);
	trace_maint_cmd_indication(h->id, seq, ev->kind, ev->dpa, mc_hpa(h, ev->dpa),
				   ev->severity, ev->flags, ev->descriptor,
				   ev->handle);
	/* Remembered once, and never more than MC_REPORTED_MAX addresses. */
	if (!xa_load(&h->reported, ev->dpa / MC_LINE) &&
	    mc_count_take(&h->nr_reported, MC_REPORTED_MAX) &&
	    xa_insert(&h->reported, ev->dpa / MC_LINE, xa_mk_value(1),
		      GFP_KERNEL))
		atomic_dec(&h->nr_reported);
	if (atomic_inc_return(&h->pending) > READ_ONCE(mc_max_pending))
		goto drop;
	a = kmalloc(sizeof(*a), GFP_KERNEL);
	if (!a) {
		err = -ENOMEM;
		goto drop;
	}
	a->h = h;
	a->ev = *ev;
	a->t0 = t0;
	a->seq = seq;
	INIT_WORK(&a->work, mc_action_fn);
	spin_lock(&h->act_lock);
	list_add_tail(&a->node, &h->act_queue);
	spin_unlock(&h->act_lock);
	mc_host_actions_start(h);
	return;
drop:
	atomic_dec(&h->pending);
	atomic64_inc(&h->stat[MC_ST_FAILED]);
	mc_emit(h, ev->kind, ev, ev->dpa, t0, 0, 0, err);
	trace_maint_cmd_repair_done(h->id, seq, ev->dpa, ev->handle, 0, 0, err,
				    ktime_get_ns() - t0);
}

/* Drains one event log; false when the device's answers are unusable. */
/*
 * Clears the records of @log the host has acted on. Until the device
 * confirms, they are remembered, so a retry does not act twice.
 */
static int mc_clear_acked(struct mc_host *h, u8 log)
{
	u8 in[MC_CLEAR_HDR + 2 * MC_EVENTS_MAX];
	int n, ret;

	if (!h->nr_acked[log])
		return 0;
	n = mc_clear_encode(in, sizeof(in), log, h->acked[log], h->nr_acked[log]);
	ret = mc_mbox_send(h, MC_OP_CLEAR_EVENTS, in, n, NULL, 0, NULL);
	/*
	 * Refused: the handles are no longer the oldest records, so a
	 * clear that timed out reached the device after all. Gone either way.
	 */
	if (ret == -EINVAL)
		ret = 0;
	if (!ret)
		h->nr_acked[log] = 0;
	return ret;
}

/*
 * Drains one event log. Return: false when it should be tried again
 * (the mailbox was busy or timed out), true when done or hopeless.
 */
static bool mc_drain_log(struct mc_host *h, u8 log, u8 *buf, struct mc_event *ev)
{
	u8 in[MC_CLEAR_HDR];
	struct mc_events_hdr hdr;
	unsigned int round, i;
	size_t len;
	int ret, n;

	ret = mc_clear_acked(h, log);
	if (ret)
		return ret == -EOPNOTSUPP;
	/* A device that always says "more" is not followed for ever. */
	for (round = 0; round < 64; round++) {
		u64 t0 = ktime_get_ns();

		ret = mc_mbox_send(h, MC_OP_GET_EVENTS, &log, 1, buf,
				   MC_PAYLOAD_MAX, &len);
		if (ret)
			return ret == -EOPNOTSUPP || ret == -ENODEV;
		ret = mc_events_decode(&hdr, ev, MC_EVENTS_MAX, buf, len,
				       h->capacity);
		if (ret) {
			atomic64_inc(&h->stat[MC_ST_MALFORMED]);
			/* Asked again later: a glitch must not cost the records. */
			if (++h->bad_gets[log] < MC_BAD_GETS_MAX)
				return false;
			/* Garbage every time: its handles cannot be trusted. */
			h->bad_gets[log] = 0;
			n = mc_clear_encode(in, sizeof(in), log, NULL, 0);
			mc_mbox_send(h, MC_OP_CLEAR_EVENTS, in, n, NULL, 0, NULL);
			return true;
		}
		h->bad_gets[log] = 0;
		/*
		 * A running total: what it grew by since the last answer
		 * we read is new, whatever answers were lost in between.
		 */
		if (hdr.flags & MC_EVENTS_OVERFLOW) {
			atomic64_add((u16)(hdr.overflow - h->overflow_seen[log]),
				     &h->stat[MC_ST_EVENTS_DROPPED]);
			h->overflow_seen[log] = hdr.overflow;
		}
		for (i = 0; i < hdr.count; i++) {
			h->acked[log][i] = ev[i].handle;
			mc_indication(h, &ev[i], t0);
		}
		h->nr_acked[log] = hdr.count;
		ret = mc_clear_acked(h, log);
		if (ret)
			return ret == -EOPNOTSUPP;
		if (!(hdr.flags & MC_EVENTS_MORE))
			return true;
	}
	return true;
}

static void mc_event_work(struct work_struct *w)
{
	struct mc_host *h = container_of(to_delayed_work(w), struct mc_host,
					 event_work);
	struct mc_event *ev;
	bool ok = false;
	u8 *buf;
	int log;

	buf = kmalloc(MC_PAYLOAD_MAX, GFP_KERNEL);
	ev = kmalloc_array(MC_EVENTS_MAX, sizeof(*ev), GFP_KERNEL);
	if (buf && ev)
		for (ok = true, log = MC_LOG_FATAL; ok && log >= MC_LOG_INFO; log--)
			ok = mc_drain_log(h, log, buf, ev);
	kfree(ev);
	kfree(buf);
	/*
	 * The records stay in the device until cleared: a drain cut short
	 * (busy or stalled mailbox, no memory) is tried again, since no
	 * new interrupt may come.
	 */
	if (!ok && !READ_ONCE(h->dead))
		mod_delayed_work(system_unbound_wq, &h->event_work,
				 msecs_to_jiffies(50));
}

/* --- discovery ---------------------------------------------------------------- */

static int mc_set_feature(struct mc_host *h, enum mc_feature_id f,
			  const u8 *data, u16 n, u8 *buf)
{
	int len = mc_set_feat_encode(buf, MC_PAYLOAD_MAX, f, data, n);

	if (len < 0)
		return len;
	return mc_mbox_send(h, MC_OP_SET_FEATURE, buf, len, NULL, 0, NULL);
}

/* Caller holds nothing; the device is not yet visible. */
static int mc_discover(struct mc_host *h, u8 *buf)
{
	u8 in[MC_GET_FEAT_IN_LEN], host[MC_HOST_CAPS_LEN];
	u16 total;
	size_t len;
	int ret, f;

	ret = mc_mbox_send(h, MC_OP_IDENTIFY, NULL, 0, buf, MC_PAYLOAD_MAX, &len);
	if (!ret)
		ret = mc_identify_decode(&h->ident, buf, len);
	if (ret)
		return ret;
	if (h->ident.capacity > h->model->capacity)
		return -EPROTO;
	h->capacity = h->ident.capacity;
	mc_get_log_encode(in, MC_LOG_CEL, 0, MC_PAYLOAD_MAX);
	ret = mc_mbox_send(h, MC_OP_GET_LOG, in, MC_GET_LOG_IN_LEN, buf,
			   MC_PAYLOAD_MAX, &len);
	if (!ret)
		ret = mc_cel_decode(buf, len, &h->caps.ops);
	if (ret)
		return ret;
	h->caps.discovered = true;
	h->caps.host = MC_HOST_ALL & h->host_mask;
	/* Evacuation needs iommu_migrate: offered only when it is there. */
	if (!mc_evac_present())
		h->caps.host &= ~MC_HOST_EVACUATE;
	if (!mc_caps_allow(&h->caps, MC_OP_GET_SUPP_FEAT))
		return 0;
	mc_supp_feat_in_encode(in, MC_PAYLOAD_MAX, 0);
	ret = mc_mbox_send(h, MC_OP_GET_SUPP_FEAT, in, MC_SUPP_FEAT_IN_LEN, buf,
			   MC_PAYLOAD_MAX, &len);
	if (!ret)
		ret = mc_supp_feat_decode(buf, len, &h->caps.feats, &total);
	if (ret)
		return ret;
	for (f = 0; f < MC_NR_FEATS; f++) {
		u8 on = MC_MFEAT_INDICATE;

		if (f == MC_FEAT_HOST_CAPS || !(h->caps.feats & (1U << f)))
			continue;
		mc_get_feat_encode(in, f, 0, MC_MAINT_FEAT_LEN);
		ret = mc_mbox_send(h, MC_OP_GET_FEATURE, in, MC_GET_FEAT_IN_LEN,
				   buf, MC_PAYLOAD_MAX, &len);
		if (!ret)
			ret = mc_maint_feat_decode(&h->caps.mfeat[f], buf, len, f);
		/* A feature the host cannot read is one it does not use. */
		if (ret) {
			h->caps.feats &= ~(1U << f);
			continue;
		}
		/* The device may ask for this repair: the host handles it. */
		if (mc_caps_allow(&h->caps, MC_OP_SET_FEATURE))
			mc_set_feature(h, f, &on, 1, buf);
	}
	if (h->caps.feats & (1U << MC_FEAT_HOST_CAPS) &&
	    mc_caps_allow(&h->caps, MC_OP_SET_FEATURE)) {
		host[0] = h->caps.host;
		host[1] = 0;
		host[2] = 0;
		host[3] = 0;
		ret = mc_set_feature(h, MC_FEAT_HOST_CAPS, host, sizeof(host), buf);
		/* Not told, the device goes on asking for everything. */
		if (ret)
			dev_warn(&h->dev, "device refused the host capabilities: %d\n",
				 ret);
	}
	return 0;
}

/* --- host-initiated operations ---------------------------------------------- */

/**
 * mc_host_repair() - a repair the administrator asked for (mem_repairN)
 * @h: the device
 * @fn: PPR (mem_repair0) or row sparing (mem_repair1)
 * @r: its address, nibble mask and persist mode
 *
 * Online memory is repaired only at an address the device reported
 * this boot, and only if the repair's feature allows it on memory in
 * use; a page this host took offline, and still poisoned, counts as
 * offline, and comes back afterwards by mc_policy()'s rule
 * (mc_after_repair()): a page that went offline for lost data only
 * after a Clear Poison. When the device cannot clear poison, such a
 * page is repaired and stays offline, recorded, with no
 * MAINT_CMD_ACT_UNPOISON planned; that is a success (0). A page
 * poisoned otherwise (by someone else, or marked by memory_failure()
 * but still held by its owner) is in use: it may be repaired by the
 * same rule, but its poison stays and it stays its owner's.
 *
 * Return: 0 (also for a page kept offline, as above), -EPERM when the
 * repair rule forbids it, -EBUSY when the memory is in use and the
 * feature wants it offline, -EOPNOTSUPP when the device does not
 * advertise the repair, or the command's error.
 */
int mc_host_repair(struct mc_host *h, enum mc_repair_fn_id fn,
		   const struct mc_repair_fn *r)
{
	bool spare = fn == MC_REPAIR_SPARE;
	unsigned long pfn = mc_pfn(h, r->dpa);
	struct mutex *lock = mc_page_lock(h, pfn);
	enum mc_feature_id feat = spare ? MC_FEAT_ROW_SPARING :
				  r->hard ? MC_FEAT_HARD_PPR : MC_FEAT_SOFT_PPR;
	struct page *page;
	u64 t0 = ktime_get_ns();
	u32 plan, after, done = 0;
	unsigned int how;
	int ret;

	mutex_lock(lock);
	page = pfn_to_online_page(pfn);
	how = mc_offline_ours(h, pfn, page);
	ret = mc_repair_check(&h->caps, feat,
			      xa_load(&h->reported, r->dpa / MC_LINE),
			      !page || how != MC_OFF_NONE);
	if (ret) {
		mutex_unlock(lock);
		return ret;
	}
	plan = spare ? MAINT_CMD_ACT_SPARE :
	       r->hard ? MAINT_CMD_ACT_HARD_PPR : MAINT_CMD_ACT_SOFT_PPR;
	ret = mc_ppr(h, r->dpa, r->hard, spare, r->nibble);
	if (!ret)
		done = plan;
	/*
	 * Offline by this host's hand: back in service, lost data only
	 * after a Clear Poison, as mc_policy() returns it.
	 */
	after = ret ? 0 : mc_after_repair(&h->caps, how == MC_OFF_LOST,
					  how != MC_OFF_NONE);
	plan |= after;
	if (after & MAINT_CMD_ACT_CLEAR_POISON) {
		ret = mc_clear_poison(h, r->dpa);
		done |= ret ? 0 : MAINT_CMD_ACT_CLEAR_POISON;
	}
	if (!ret && after & MAINT_CMD_ACT_UNPOISON) {
		ret = mc_unpoison(h, pfn);
		done |= ret ? 0 : MAINT_CMD_ACT_UNPOISON;
	}
	/* Repaired, but the device may hold the poison: kept offline. */
	if (!ret && how != MC_OFF_NONE && !(after & MAINT_CMD_ACT_UNPOISON))
		mc_offline_repaired(h, pfn);
	mutex_unlock(lock);
	if (ret)
		atomic64_inc(&h->stat[MC_ST_FAILED]);
	mc_emit(h, MAINT_CMD_EV_REPAIR, NULL, r->dpa, t0, plan, done, ret);
	/* No indication: seq 0. */
	trace_maint_cmd_repair_done(h->id, 0, r->dpa, 0, plan, done, ret,
				    ktime_get_ns() - t0);
	return ret;
}

/**
 * mc_host_bg_status() - the device's background operation, as it reports it
 * @h: the device
 * @op: the command running or last run, 0 if none
 * @percent: its progress
 * @running: whether it still runs
 * @rc: its return code once done
 *
 * Sends Background Operation Status; a malformed answer is counted.
 *
 * Return: 0, -EPROTO for a malformed answer, or the command's error.
 */
int mc_host_bg_status(struct mc_host *h, u16 *op, u8 *percent, bool *running,
		      u16 *rc)
{
	u8 out[MC_BG_STATUS_LEN];
	size_t len;
	int ret;

	ret = mc_mbox_send(h, MC_OP_BG_STATUS, NULL, 0, out, sizeof(out), &len);
	if (ret)
		return ret;
	ret = mc_bg_status_decode(out, len, op, percent, running, rc);
	if (ret)
		atomic64_inc(&h->stat[MC_ST_MALFORMED]);
	return ret;
}

/* Inject Poison or Clear Poison, as CXL's debugfs files send them. */
int mc_host_inject_poison(struct mc_host *h, u64 dpa, bool clear)
{
	u8 in[MC_CLEAR_POISON_LEN] = { 0 };

	if (dpa % MC_LINE || dpa >= h->capacity)
		return -EINVAL;
	mc_dpa_encode(in, dpa);
	if (clear)
		return mc_clear_poison(h, dpa);
	return mc_mbox_send(h, MC_OP_INJECT_POISON, in, MC_INJECT_LEN, NULL, 0, NULL);
}

/*
 * Records of a poison list or scan result reply go to the stream; @last
 * gets the last record, if there is one.
 */
static int mc_report_poison(struct mc_host *h, u32 kind, u8 *buf, size_t len,
			    struct mc_poison_hdr *hdr, struct mc_poison *last)
{
	struct mc_poison *rec;
	u64 t0 = ktime_get_ns();
	unsigned int i;
	int ret;

	rec = kmalloc_array(MC_POISON_MAX, sizeof(*rec), GFP_KERNEL);
	if (!rec)
		return -ENOMEM;
	ret = mc_poison_decode(hdr, rec, MC_POISON_MAX, buf, len, h->capacity);
	if (ret)
		atomic64_inc(&h->stat[MC_ST_MALFORMED]);
	for (i = 0; !ret && i < hdr->count; i++) {
		struct maint_cmd_event e = {
			.timestamp_ns = t0, .dpa = rec[i].dpa,
			.hpa = mc_hpa(h, rec[i].dpa), .kind = kind,
			.flags = MAINT_CMD_EVF_HPA_VALID | MAINT_CMD_EVF_UNCORRECTABLE,
		};

		trace_maint_cmd_poison(h->id, rec[i].dpa, rec[i].lines, rec[i].source);
		mc_host_event(h, &e);
	}
	if (!ret && hdr->count && last)
		*last = rec[hdr->count - 1];
	kfree(rec);
	return ret;
}

/* trigger_poison_list: the whole list, into the stream and the trace. */
int mc_host_poison_list(struct mc_host *h)
{
	struct mc_poison_hdr hdr;
	struct mc_poison last = { 0 };
	u8 *buf, in[MC_POISON_IN_LEN];
	u64 dpa = 0;
	unsigned int round;
	size_t len;
	int ret = 0;

	buf = kmalloc(MC_PAYLOAD_MAX, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	for (round = 0; round < 1024 && dpa < h->capacity; round++) {
		mc_range_encode(in, dpa, (h->capacity - dpa) / MC_LINE);
		ret = mc_mbox_send(h, MC_OP_GET_POISON, in, sizeof(in), buf,
				   MC_PAYLOAD_MAX, &len);
		if (!ret)
			ret = mc_report_poison(h, MAINT_CMD_EV_POISON, buf, len,
					       &hdr, &last);
		/* The next page starts where this one ended. */
		if (!ret) {
			ret = mc_poison_next(dpa, &hdr, &last, &dpa);
			if (ret == -EPROTO)
				atomic64_inc(&h->stat[MC_ST_MALFORMED]);
		}
		if (ret <= 0)
			break;
	}
	kfree(buf);
	return min(ret, 0);
}

/* scan_media: a background Scan Media of the device, then its results. */
int mc_host_scan_media(struct mc_host *h)
{
	struct mc_poison_hdr hdr;
	u8 *buf, in[MC_SCAN_IN_LEN];
	size_t len;
	int ret;

	buf = kmalloc(MC_PAYLOAD_MAX, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	mc_range_encode(in, 0, h->capacity / MC_LINE);
	in[MC_POISON_IN_LEN] = 0;
	ret = mc_mbox_send(h, MC_OP_SCAN_MEDIA, in, sizeof(in), NULL, 0, NULL);
	if (!ret)
		ret = mc_mbox_send(h, MC_OP_SCAN_RESULTS, NULL, 0, buf,
				   MC_PAYLOAD_MAX, &len);
	if (!ret)
		ret = mc_report_poison(h, MAINT_CMD_EV_SCAN, buf, len, &hdr, NULL);
	kfree(buf);
	return ret;
}

/* --- lifetime --------------------------------------------------------------- */

static void mc_host_release(struct device *dev)
{
	struct mc_host *h = to_mc_host(dev);

	xa_destroy(&h->reported);
	xa_destroy(&h->offlined);
	xa_destroy(&h->blocked);
	kfree(h->ring);
	kfree(h);
}

static ssize_t host_poison_write(struct file *file, const char __user *ubuf,
				 size_t count, loff_t *ppos, bool clear)
{
	struct mc_host *h = file->private_data;
	u64 dpa;
	int ret;

	ret = kstrtou64_from_user(ubuf, count, 0, &dpa);
	if (!ret)
		ret = mc_host_inject_poison(h, dpa, clear);
	return ret ? ret : count;
}

static ssize_t inject_poison_write(struct file *file, const char __user *ubuf,
				   size_t count, loff_t *ppos)
{
	return host_poison_write(file, ubuf, count, ppos, false);
}

static ssize_t clear_poison_write(struct file *file, const char __user *ubuf,
				  size_t count, loff_t *ppos)
{
	return host_poison_write(file, ubuf, count, ppos, true);
}

static const struct file_operations inject_poison_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = inject_poison_write,
};

static const struct file_operations clear_poison_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = clear_poison_write,
};

static void mc_host_teardown(struct mc_host *h)
{
	struct mc_action *a, *tmp;
	LIST_HEAD(queued);

	WRITE_ONCE(h->dead, true);
	debugfs_remove_recursive(h->dbg);
	clear_bit(MC_CTRL_IRQ_EN, &h->regs->ctrl);
	irq_work_sync(&h->model->irq);
	cancel_delayed_work_sync(&h->event_work);
	/* No new action: the queued ones end unstarted, the running ones end. */
	spin_lock(&h->act_lock);
	list_splice_init(&h->act_queue, &queued);
	spin_unlock(&h->act_lock);
	list_for_each_entry_safe(a, tmp, &queued, node)
		mc_action_end(a, 0, 0, -ENODEV);
	if (h->wq)
		destroy_workqueue(h->wq);
	mc_model_destroy(h->model);
	h->model = NULL;
	wake_up_interruptible(&h->ev_wait);
}

/* @h's media, unless another device's shares a page of it (-EBUSY). */
static int mc_media_claim(struct mc_host *h)
{
	struct mc_host *o;

	lockdep_assert_held(&mc_hosts_lock);
	list_for_each_entry(o, &mc_media, media)
		if (mc_media_overlap(o->base_pfn, o->media_pages, h->base_pfn,
				     h->media_pages))
			return -EBUSY;
	list_add_tail(&h->media, &mc_media);
	return 0;
}

/**
 * mc_host_create() - bring up the host driver over a device model
 * @m: the model; owned by the host from here on, even on failure
 * @simulated: the device's errors are simulated (memory_failure())
 * @host_mask: MC_HOST_* the host may offer the device at most
 *
 * Return: the new device's number N (mcN), or -errno: -EBUSY if its
 * media shares a page with another device's (one still being removed
 * counts).
 */
int mc_host_create(struct mc_model *m, bool simulated, u32 host_mask)
{
	struct mc_host *h;
	u8 *buf = NULL;
	int id, ret, i;

	h = kzalloc(sizeof(*h), GFP_KERNEL);
	if (!h) {
		mc_model_destroy(m);
		return -ENOMEM;
	}
	h->model = m;
	h->regs = &m->regs;
	h->simulated = simulated;
	h->host_mask = host_mask;
	h->base_pfn = m->base_pfn;
	h->media_pages = m->capacity >> PAGE_SHIFT;
	INIT_LIST_HEAD(&h->media);
	h->nid = m->nid;
	h->auto_repair = 1;
	h->max_actions = 4;
	h->use_irq = 1;
	/* The model's row sparing is permanent only. */
	h->repair[MC_REPAIR_SPARE].hard = 1;
	mutex_init(&h->mbox_lock);
	mutex_init(&h->bg_lock);
	mutex_init(&h->repair_lock);
	for (i = 0; i < ARRAY_SIZE(h->page_lock); i++)
		mutex_init(&h->page_lock[i]);
	init_completion(&h->mbox_done);
	init_completion(&h->bg_done);
	spin_lock_init(&h->act_lock);
	INIT_LIST_HEAD(&h->act_queue);
	INIT_DELAYED_WORK(&h->event_work, mc_event_work);
	xa_init(&h->reported);
	xa_init(&h->offlined);
	xa_init(&h->blocked);
	spin_lock_init(&h->ev_lock);
	mutex_init(&h->ev_read_lock);
	init_waitqueue_head(&h->ev_wait);
	device_initialize(&h->dev);
	h->dev.class = &mc_class;
	h->dev.groups = mc_dev_groups;
	h->dev.release = mc_host_release;

	mutex_lock(&mc_hosts_lock);
	ret = mc_media_claim(h);
	for (id = 0; !ret && id < MC_MAX_DEVICES && mc_hosts[id]; id++)
		;
	if (!ret && id == MC_MAX_DEVICES) {
		list_del_init(&h->media);
		ret = -ENOSPC;
	}
	if (ret) {
		mutex_unlock(&mc_hosts_lock);
		mc_model_destroy(m);
		put_device(&h->dev);
		return ret;
	}
	h->id = id;
	/* Reserved: not destroyable until it is complete. */
	mc_hosts[id] = ERR_PTR(-EBUSY);
	mutex_unlock(&mc_hosts_lock);

	h->dev.devt = MKDEV(MAJOR(mc_devt), id);
	ret = dev_set_name(&h->dev, "mc%d", id);
	h->ring = kcalloc(MC_EVENT_RING, sizeof(*h->ring), GFP_KERNEL);
	/* Its own limit is above any max_actions: mc_host_actions_start()'s rules. */
	h->wq = alloc_workqueue("maint_cmd_mc%d", WQ_UNBOUND, MC_MAX_ACTIONS, id);
	buf = kmalloc(MC_PAYLOAD_MAX, GFP_KERNEL);
	if (ret || !h->ring || !h->wq || !buf) {
		ret = ret ?: -ENOMEM;
		goto fail;
	}
	mc_model_start(m, h);
	if (IS_ERR(m->fw)) {
		ret = PTR_ERR(m->fw);
		goto fail;
	}
	set_bit(MC_CTRL_IRQ_EN, &h->regs->ctrl);
	ret = mc_discover(h, buf);
	if (ret)
		goto fail;
	cdev_init(&h->cdev, &mc_ev_fops);
	h->cdev.owner = THIS_MODULE;
	ret = cdev_device_add(&h->cdev, &h->dev);
	if (ret)
		goto fail;
	h->dbg = debugfs_create_dir(dev_name(&h->dev), mc_debugfs);
	debugfs_create_file("inject_poison", 0200, h->dbg, h, &inject_poison_fops);
	debugfs_create_file("clear_poison", 0200, h->dbg, h, &clear_poison_fops);
	debugfs_create_u32("action_delay_ms", 0600, h->dbg, &h->action_delay_ms);
	debugfs_create_u32("offline_delay_ms", 0600, h->dbg, &h->offline_delay_ms);
	mc_model_debugfs(m, h->dbg);
	atomic_inc(&mc_nr_devices);
	mutex_lock(&mc_hosts_lock);
	mc_hosts[id] = h;
	mutex_unlock(&mc_hosts_lock);
	kfree(buf);
	/* Records the device logged before the host came. */
	mod_delayed_work(system_unbound_wq, &h->event_work, 0);
	return id;
fail:
	kfree(buf);
	mc_host_teardown(h);
	mutex_lock(&mc_hosts_lock);
	mc_hosts[id] = NULL;
	list_del_init(&h->media);
	mutex_unlock(&mc_hosts_lock);
	put_device(&h->dev);
	return ret;
}

/*
 * The pages this device took offline and never returned: their repair
 * did not happen (auto_repair off, or it failed), so the memory still
 * needs maintenance; or it did, but the data was lost and the device
 * cannot clear its poison (mc_after_repair()). They stay offline, as
 * Linux's own soft offline leaves a page for the rest of the boot:
 * returning them would put memory with a known error, or poison the
 * device may still hold, back in service. The log names
 * them, since the record goes with the device; an administrator who
 * knows better returns one with hwpoison's unpoison-pfn.
 */
static void mc_offline_report(struct mc_host *h)
{
	unsigned long pfn, n = 0;
	struct page *page;
	void *entry;

	xa_for_each(&h->offlined, pfn, entry) {
		/* Put back by someone else (unpoison-pfn) since: in use. */
		page = pfn_to_online_page(pfn);
		if (!page || !is_page_hwpoison(page))
			continue;
		if (n++ >= 16)
			continue;
		if (xa_to_value(entry) & MC_OFF_REPAIRED)
			dev_notice(&h->dev, "pfn %#lx stays offline: repaired, poison not cleared\n",
				   pfn);
		else
			dev_notice(&h->dev, "pfn %#lx stays offline: not repaired\n", pfn);
	}
	if (n)
		dev_notice(&h->dev, "pages left offline for this boot: %lu\n", n);
}

static void mc_host_destroy(struct mc_host *h)
{
	/* Before the sysfs files go: a repair written to one stops now. */
	WRITE_ONCE(h->dead, true);
	cdev_device_del(&h->cdev, &h->dev);
	mc_host_teardown(h);
	/* No action runs and no repair file is open: the record is final. */
	mc_offline_report(h);
	/* Its pages may be another device's from now on. */
	mutex_lock(&mc_hosts_lock);
	list_del_init(&h->media);
	mutex_unlock(&mc_hosts_lock);
	atomic_dec(&mc_nr_devices);
	put_device(&h->dev);
}

/* Return: 0, -ENOENT if there is no device @id, -EBUSY while it is made. */
int mc_host_destroy_id(int id)
{
	struct mc_host *h = NULL;

	mutex_lock(&mc_hosts_lock);
	if (id >= 0 && id < MC_MAX_DEVICES) {
		h = mc_hosts[id];
		if (!IS_ERR(h))
			mc_hosts[id] = NULL;
	}
	mutex_unlock(&mc_hosts_lock);
	if (IS_ERR(h))
		return PTR_ERR(h);
	if (!h)
		return -ENOENT;
	mc_host_destroy(h);
	return 0;
}

void mc_host_destroy_all(void)
{
	int id;

	for (id = 0; id < MC_MAX_DEVICES; id++)
		mc_host_destroy_id(id);
}
