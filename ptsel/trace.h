/* SPDX-License-Identifier: GPL-2.0 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM ptsel

#if !defined(_PTSEL_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _PTSEL_TRACE_H

#include <linux/tracepoint.h>

TRACE_EVENT(ptsel_walk,
	TP_PROTO(u64 asid, u64 addr, int ret, u32 level, u32 mem_refs,
		 bool tlb_hit),
	TP_ARGS(asid, addr, ret, level, mem_refs, tlb_hit),
	TP_STRUCT__entry(
		__field(u64, asid)
		__field(u64, addr)
		__field(int, ret)
		__field(u32, level)
		__field(u32, mem_refs)
		__field(bool, tlb_hit)
	),
	TP_fast_assign(
		__entry->asid = asid;
		__entry->addr = addr;
		__entry->ret = ret;
		__entry->level = level;
		__entry->mem_refs = mem_refs;
		__entry->tlb_hit = tlb_hit;
	),
	TP_printk("asid=%llu addr=0x%llx ret=%d level=%u mem_refs=%u tlb_hit=%d",
		  __entry->asid, __entry->addr, __entry->ret, __entry->level,
		  __entry->mem_refs, __entry->tlb_hit)
);

/*
 * A lookup that went straight to the tables, with no walker and so no
 * TLB (ptsel_partition_translate()): ptsel_walk counts only walker
 * translations, so that its tlb_hit says how often a TLB answered.
 */
TRACE_EVENT(ptsel_lookup,
	TP_PROTO(u64 asid, u64 addr, int ret, u32 level, u32 mem_refs),
	TP_ARGS(asid, addr, ret, level, mem_refs),
	TP_STRUCT__entry(
		__field(u64, asid)
		__field(u64, addr)
		__field(int, ret)
		__field(u32, level)
		__field(u32, mem_refs)
	),
	TP_fast_assign(
		__entry->asid = asid;
		__entry->addr = addr;
		__entry->ret = ret;
		__entry->level = level;
		__entry->mem_refs = mem_refs;
	),
	TP_printk("asid=%llu addr=0x%llx ret=%d level=%u mem_refs=%u",
		  __entry->asid, __entry->addr, __entry->ret, __entry->level,
		  __entry->mem_refs)
);

TRACE_EVENT(ptsel_tlb_flush,
	TP_PROTO(u64 asid, u64 addr, u64 size, bool tables, unsigned int walkers),
	TP_ARGS(asid, addr, size, tables, walkers),
	TP_STRUCT__entry(
		__field(u64, asid)
		__field(u64, addr)
		__field(u64, size)
		__field(bool, tables)
		__field(unsigned int, walkers)
	),
	TP_fast_assign(
		__entry->asid = asid;
		__entry->addr = addr;
		__entry->size = size;
		__entry->tables = tables;
		__entry->walkers = walkers;
	),
	TP_printk("asid=%llu addr=0x%llx size=0x%llx walk_cache=%d walkers=%u",
		  __entry->asid, __entry->addr, __entry->size, __entry->tables,
		  __entry->walkers)
);

TRACE_EVENT(ptsel_region_convert,
	TP_PROTO(u64 asid, u64 addr, u64 size, u32 from, u32 to, u64 leaves,
		 int ret),
	TP_ARGS(asid, addr, size, from, to, leaves, ret),
	TP_STRUCT__entry(
		__field(u64, asid)
		__field(u64, addr)
		__field(u64, size)
		__field(u32, from)
		__field(u32, to)
		__field(u64, leaves)
		__field(int, ret)
	),
	TP_fast_assign(
		__entry->asid = asid;
		__entry->addr = addr;
		__entry->size = size;
		__entry->from = from;
		__entry->to = to;
		__entry->leaves = leaves;
		__entry->ret = ret;
	),
	TP_printk("asid=%llu addr=0x%llx size=0x%llx from=%u to=%u leaves=%llu ret=%d",
		  __entry->asid, __entry->addr, __entry->size, __entry->from,
		  __entry->to, __entry->leaves, __entry->ret)
);

TRACE_EVENT(ptsel_hash_resize,
	TP_PROTO(u64 asid, unsigned int old_order, unsigned int new_order,
		 unsigned long entries),
	TP_ARGS(asid, old_order, new_order, entries),
	TP_STRUCT__entry(
		__field(u64, asid)
		__field(unsigned int, old_order)
		__field(unsigned int, new_order)
		__field(unsigned long, entries)
	),
	TP_fast_assign(
		__entry->asid = asid;
		__entry->old_order = old_order;
		__entry->new_order = new_order;
		__entry->entries = entries;
	),
	TP_printk("asid=%llu groups=%lu->%lu entries=%lu", __entry->asid,
		  1UL << __entry->old_order, 1UL << __entry->new_order,
		  __entry->entries)
);

#endif /* _PTSEL_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
