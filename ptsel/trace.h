/* SPDX-License-Identifier: GPL-2.0 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM ptsel

#if !defined(_PTSEL_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _PTSEL_TRACE_H

#include <linux/tracepoint.h>

TRACE_EVENT(ptsel_walk,
	TP_PROTO(u32 part, u64 addr, int ret, u32 level, u32 mem_refs),
	TP_ARGS(part, addr, ret, level, mem_refs),
	TP_STRUCT__entry(
		__field(u32, part)
		__field(u64, addr)
		__field(int, ret)
		__field(u32, level)
		__field(u32, mem_refs)
	),
	TP_fast_assign(
		__entry->part = part;
		__entry->addr = addr;
		__entry->ret = ret;
		__entry->level = level;
		__entry->mem_refs = mem_refs;
	),
	TP_printk("part=%u addr=0x%llx ret=%d level=%u mem_refs=%u",
		  __entry->part, __entry->addr, __entry->ret, __entry->level,
		  __entry->mem_refs)
);

#endif /* _PTSEL_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
