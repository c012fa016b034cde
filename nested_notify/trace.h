/* SPDX-License-Identifier: GPL-2.0 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM nested_notify

#if !defined(_NESTED_NOTIFY_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _NESTED_NOTIFY_TRACE_H

#include <linux/tracepoint.h>

/* A doorbell eventfd fired: @count doorbells, in the waker's context. */
TRACE_EVENT(nn_doorbell,
	TP_PROTO(u32 ctx, u32 index, u64 count, bool vcpu),
	TP_ARGS(ctx, index, count, vcpu),
	TP_STRUCT__entry(
		__field(u32, ctx)
		__field(u32, index)
		__field(u64, count)
		__field(bool, vcpu)
	),
	TP_fast_assign(
		__entry->ctx = ctx;
		__entry->index = index;
		__entry->count = count;
		__entry->vcpu = vcpu;
	),
	TP_printk("ctx=%u index=%u count=%llu vcpu=%d", __entry->ctx,
		  __entry->index, __entry->count, __entry->vcpu)
);

/* A delivery wrote a record (@result: NN_* bits of nn_deliver()). */
TRACE_EVENT(nn_deliver,
	TP_PROTO(u32 ctx, u32 index, u64 seq, u64 count, int result),
	TP_ARGS(ctx, index, seq, count, result),
	TP_STRUCT__entry(
		__field(u32, ctx)
		__field(u32, index)
		__field(u64, seq)
		__field(u64, count)
		__field(int, result)
	),
	TP_fast_assign(
		__entry->ctx = ctx;
		__entry->index = index;
		__entry->seq = seq;
		__entry->count = count;
		__entry->result = result;
	),
	TP_printk("ctx=%u index=%u seq=%llu count=%llu result=%#x", __entry->ctx,
		  __entry->index, __entry->seq, __entry->count, __entry->result)
);

/* A delivery stopped at a bad entry, ring or translation: @err. */
TRACE_EVENT(nn_fault,
	TP_PROTO(u32 ctx, u32 index, int err, u64 pending),
	TP_ARGS(ctx, index, err, pending),
	TP_STRUCT__entry(
		__field(u32, ctx)
		__field(u32, index)
		__field(int, err)
		__field(u64, pending)
	),
	TP_fast_assign(
		__entry->ctx = ctx;
		__entry->index = index;
		__entry->err = err;
		__entry->pending = pending;
	),
	TP_printk("ctx=%u index=%u err=%d pending=%llu", __entry->ctx,
		  __entry->index, __entry->err, __entry->pending)
);

#endif /* _NESTED_NOTIFY_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
