/* SPDX-License-Identifier: GPL-2.0 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM iommu_migrate

#if !defined(_IOMMU_MIGRATE_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _IOMMU_MIGRATE_TRACE_H

#include <linux/tracepoint.h>

/* A page of a domain, at its frame. */
DECLARE_EVENT_CLASS(iommu_migrate_page,
	TP_PROTO(u32 domain, u64 iova, u64 pfn),
	TP_ARGS(domain, iova, pfn),
	TP_STRUCT__entry(
		__field(u32, domain)
		__field(u64, iova)
		__field(u64, pfn)
	),
	TP_fast_assign(
		__entry->domain = domain;
		__entry->iova = iova;
		__entry->pfn = pfn;
	),
	TP_printk("domain=%u iova=0x%llx pfn=0x%llx", __entry->domain,
		  __entry->iova, __entry->pfn)
);

DEFINE_EVENT(iommu_migrate_page, iommu_migrate_migrate_begin,
	TP_PROTO(u32 domain, u64 iova, u64 pfn),
	TP_ARGS(domain, iova, pfn)
);

/* A page's move given up after its mark: it stays on @pfn. */
DEFINE_EVENT(iommu_migrate_page, iommu_migrate_abort,
	TP_PROTO(u32 domain, u64 iova, u64 pfn),
	TP_ARGS(domain, iova, pfn)
);

TRACE_EVENT(iommu_migrate_drain_wait,
	TP_PROTO(u64 pfn, u64 ns, bool drained),
	TP_ARGS(pfn, ns, drained),
	TP_STRUCT__entry(
		__field(u64, pfn)
		__field(u64, ns)
		__field(bool, drained)
	),
	TP_fast_assign(
		__entry->pfn = pfn;
		__entry->ns = ns;
		__entry->drained = drained;
	),
	TP_printk("pfn=0x%llx ns=%llu drained=%d", __entry->pfn, __entry->ns,
		  __entry->drained)
);

TRACE_EVENT(iommu_migrate_copy,
	TP_PROTO(u64 old_pfn, u64 new_pfn, int nid),
	TP_ARGS(old_pfn, new_pfn, nid),
	TP_STRUCT__entry(
		__field(u64, old_pfn)
		__field(u64, new_pfn)
		__field(int, nid)
	),
	TP_fast_assign(
		__entry->old_pfn = old_pfn;
		__entry->new_pfn = new_pfn;
		__entry->nid = nid;
	),
	TP_printk("old=0x%llx new=0x%llx nid=%d", __entry->old_pfn,
		  __entry->new_pfn, __entry->nid)
);

TRACE_EVENT(iommu_migrate_switch,
	TP_PROTO(u32 domain, u64 iova, u64 old_pfn, u64 new_pfn, u64 gen),
	TP_ARGS(domain, iova, old_pfn, new_pfn, gen),
	TP_STRUCT__entry(
		__field(u32, domain)
		__field(u64, iova)
		__field(u64, old_pfn)
		__field(u64, new_pfn)
		__field(u64, gen)
	),
	TP_fast_assign(
		__entry->domain = domain;
		__entry->iova = iova;
		__entry->old_pfn = old_pfn;
		__entry->new_pfn = new_pfn;
		__entry->gen = gen;
	),
	TP_printk("domain=%u iova=0x%llx old=0x%llx new=0x%llx gen=%llu",
		  __entry->domain, __entry->iova, __entry->old_pfn,
		  __entry->new_pfn, __entry->gen)
);

/*
 * Where the time of one page's migrating window went: each step's ns
 * (mark with the IOTLB invalidation, drain, copy, switch, release) and
 * the whole window, from the mark to the release of the devices.
 */
TRACE_EVENT(iommu_migrate_window,
	TP_PROTO(u64 iova, u64 mark_ns, u64 drain_ns, u64 copy_ns,
		 u64 switch_ns, u64 release_ns, u64 window_ns),
	TP_ARGS(iova, mark_ns, drain_ns, copy_ns, switch_ns, release_ns,
		window_ns),
	TP_STRUCT__entry(
		__field(u64, iova)
		__field(u64, mark_ns)
		__field(u64, drain_ns)
		__field(u64, copy_ns)
		__field(u64, switch_ns)
		__field(u64, release_ns)
		__field(u64, window_ns)
	),
	TP_fast_assign(
		__entry->iova = iova;
		__entry->mark_ns = mark_ns;
		__entry->drain_ns = drain_ns;
		__entry->copy_ns = copy_ns;
		__entry->switch_ns = switch_ns;
		__entry->release_ns = release_ns;
		__entry->window_ns = window_ns;
	),
	TP_printk("iova=0x%llx mark_ns=%llu drain_ns=%llu copy_ns=%llu switch_ns=%llu release_ns=%llu window_ns=%llu",
		  __entry->iova, __entry->mark_ns, __entry->drain_ns,
		  __entry->copy_ns, __entry->switch_ns, __entry->release_ns,
		  __entry->window_ns)
);

/* Per moved device-mapped page: mark to release, no step clocks. */
TRACE_EVENT(iommu_migrate_blocked,
	TP_PROTO(u64 iova, u64 ns),
	TP_ARGS(iova, ns),
	TP_STRUCT__entry(
		__field(u64, iova)
		__field(u64, ns)
	),
	TP_fast_assign(
		__entry->iova = iova;
		__entry->ns = ns;
	),
	TP_printk("iova=0x%llx ns=%llu", __entry->iova, __entry->ns)
);

/* A time a device (an emulated engine) spent on a migrating page. */
DECLARE_EVENT_CLASS(iommu_migrate_dma_time,
	TP_PROTO(u32 engine, u64 iova, u64 ns),
	TP_ARGS(engine, iova, ns),
	TP_STRUCT__entry(
		__field(u32, engine)
		__field(u64, iova)
		__field(u64, ns)
	),
	TP_fast_assign(
		__entry->engine = engine;
		__entry->iova = iova;
		__entry->ns = ns;
	),
	TP_printk("engine=%u iova=0x%llx ns=%llu", __entry->engine,
		  __entry->iova, __entry->ns)
);

/*
 * Per device access that stalled and then went through: from its first
 * meeting of the migrating PTE or RMT entry to the PME's release.
 */
DEFINE_EVENT(iommu_migrate_dma_time, iommu_migrate_dma_wait,
	TP_PROTO(u32 engine, u64 iova, u64 ns),
	TP_ARGS(engine, iova, ns)
);

/*
 * Per wait round of a stalled access: the engine's wait, its kthread's
 * wake-up included, with the domain (0: the edu device's) so that a
 * page is known by its domain and IOVA.
 */
TRACE_EVENT(iommu_migrate_dma_stall,
	TP_PROTO(u32 engine, u32 domain, u64 iova, u64 ns),
	TP_ARGS(engine, domain, iova, ns),
	TP_STRUCT__entry(
		__field(u32, engine)
		__field(u32, domain)
		__field(u64, iova)
		__field(u64, ns)
	),
	TP_fast_assign(
		__entry->engine = engine;
		__entry->domain = domain;
		__entry->iova = iova;
		__entry->ns = ns;
	),
	TP_printk("engine=%u domain=%u iova=0x%llx ns=%llu", __entry->engine,
		  __entry->domain, __entry->iova, __entry->ns)
);

TRACE_EVENT(iommu_migrate_rmt_violation,
	TP_PROTO(u32 domain, u64 iova, u64 pfn, int verdict),
	TP_ARGS(domain, iova, pfn, verdict),
	TP_STRUCT__entry(
		__field(u32, domain)
		__field(u64, iova)
		__field(u64, pfn)
		__field(int, verdict)
	),
	TP_fast_assign(
		__entry->domain = domain;
		__entry->iova = iova;
		__entry->pfn = pfn;
		__entry->verdict = verdict;
	),
	TP_printk("domain=%u iova=0x%llx pfn=0x%llx verdict=%d",
		  __entry->domain, __entry->iova, __entry->pfn,
		  __entry->verdict)
);

#endif /* _IOMMU_MIGRATE_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
