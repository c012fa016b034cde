/* SPDX-License-Identifier: GPL-2.0 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM pwsp

#if !defined(_PWSP_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _PWSP_TRACE_H

#include <linux/tracepoint.h>

/* A guest page-table page changed state: 0 = W, 1 = V. */
TRACE_EVENT(pwsp_state,
	TP_PROTO(u64 gfn, int level, int from, int to),
	TP_ARGS(gfn, level, from, to),
	TP_STRUCT__entry(
		__field(u64, gfn)
		__field(int, level)
		__field(int, from)
		__field(int, to)
	),
	TP_fast_assign(
		__entry->gfn = gfn;
		__entry->level = level;
		__entry->from = from;
		__entry->to = to;
	),
	TP_printk("gfn=%#llx level=%d %s->%s", __entry->gfn, __entry->level,
		  __entry->from ? "V" : "W", __entry->to ? "V" : "W")
);

/*
 * A guest write (or an audit) was verified: @entries re-read, @ns spent,
 * @violations of them refused.
 */
TRACE_EVENT(pwsp_verify,
	TP_PROTO(u64 gpa, unsigned int bytes, unsigned int violations, u64 ns),
	TP_ARGS(gpa, bytes, violations, ns),
	TP_STRUCT__entry(
		__field(u64, gpa)
		__field(unsigned int, bytes)
		__field(unsigned int, violations)
		__field(u64, ns)
	),
	TP_fast_assign(
		__entry->gpa = gpa;
		__entry->bytes = bytes;
		__entry->violations = violations;
		__entry->ns = ns;
	),
	TP_printk("gpa=%#llx bytes=%u violations=%u ns=%llu", __entry->gpa,
		  __entry->bytes, __entry->violations, __entry->ns)
);

/* An entry (or a CR3) was refused; @reason is PWSP_R_*. */
TRACE_EVENT(pwsp_violation,
	TP_PROTO(u64 gpa, u64 old_val, u64 new_val, u32 reason, u64 rip,
		 bool reverted),
	TP_ARGS(gpa, old_val, new_val, reason, rip, reverted),
	TP_STRUCT__entry(
		__field(u64, gpa)
		__field(u64, old_val)
		__field(u64, new_val)
		__field(u32, reason)
		__field(u64, rip)
		__field(bool, reverted)
	),
	TP_fast_assign(
		__entry->gpa = gpa;
		__entry->old_val = old_val;
		__entry->new_val = new_val;
		__entry->reason = reason;
		__entry->rip = rip;
		__entry->reverted = reverted;
	),
	TP_printk("gpa=%#llx old=%#llx new=%#llx reason=%u rip=%#llx%s",
		  __entry->gpa, __entry->old_val, __entry->new_val,
		  __entry->reason, __entry->rip,
		  __entry->reverted ? " reverted" : "")
);

#endif /* _PWSP_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
