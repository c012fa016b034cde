/* SPDX-License-Identifier: GPL-2.0 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM thp_encvm

#if !defined(_THP_ENCVM_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _THP_ENCVM_TRACE_H

#include <linux/tracepoint.h>

TRACE_EVENT(thp_encvm_scan,
	TP_PROTO(u32 obj, unsigned int windows, unsigned int eligible),
	TP_ARGS(obj, windows, eligible),
	TP_STRUCT__entry(
		__field(u32, obj)
		__field(unsigned int, windows)
		__field(unsigned int, eligible)
	),
	TP_fast_assign(
		__entry->obj = obj;
		__entry->windows = windows;
		__entry->eligible = eligible;
	),
	TP_printk("obj=%u windows=%u eligible=%u", __entry->obj,
		  __entry->windows, __entry->eligible)
);

TRACE_EVENT(thp_encvm_collapse_begin,
	TP_PROTO(u32 obj, u64 win),
	TP_ARGS(obj, win),
	TP_STRUCT__entry(
		__field(u32, obj)
		__field(u64, win)
	),
	TP_fast_assign(
		__entry->obj = obj;
		__entry->win = win;
	),
	TP_printk("obj=%u win=%llu", __entry->obj, __entry->win)
);

DECLARE_EVENT_CLASS(thp_encvm_copy,
	TP_PROTO(u32 obj, u64 win, unsigned int first, unsigned int n, u32 val),
	TP_ARGS(obj, win, first, n, val),
	TP_STRUCT__entry(
		__field(u32, obj)
		__field(u64, win)
		__field(unsigned int, first)
		__field(unsigned int, n)
		__field(u32, val)
	),
	TP_fast_assign(
		__entry->obj = obj;
		__entry->win = win;
		__entry->first = first;
		__entry->n = n;
		__entry->val = val;
	),
	TP_printk("obj=%u win=%llu pages=%u+%u val=%u", __entry->obj,
		  __entry->win, __entry->first, __entry->n, __entry->val)
);

/* @val: the request's sequence number */
DEFINE_EVENT(thp_encvm_copy, thp_encvm_copy_request,
	TP_PROTO(u32 obj, u64 win, unsigned int first, unsigned int n, u32 val),
	TP_ARGS(obj, win, first, n, val));

/* @val: pages of the run switched to their new subpage */
DEFINE_EVENT(thp_encvm_copy, thp_encvm_copy_complete,
	TP_PROTO(u32 obj, u64 win, unsigned int first, unsigned int n, u32 val),
	TP_ARGS(obj, win, first, n, val));

TRACE_EVENT(thp_encvm_dirty_retry,
	TP_PROTO(u32 obj, u64 win, unsigned int page, unsigned int retries),
	TP_ARGS(obj, win, page, retries),
	TP_STRUCT__entry(
		__field(u32, obj)
		__field(u64, win)
		__field(unsigned int, page)
		__field(unsigned int, retries)
	),
	TP_fast_assign(
		__entry->obj = obj;
		__entry->win = win;
		__entry->page = page;
		__entry->retries = retries;
	),
	TP_printk("obj=%u win=%llu page=%u retries=%u", __entry->obj,
		  __entry->win, __entry->page, __entry->retries)
);

TRACE_EVENT(thp_encvm_collapse_end,
	TP_PROTO(u32 obj, u64 win, const char *result, u64 copied, u64 retries,
		 u64 ns),
	TP_ARGS(obj, win, result, copied, retries, ns),
	TP_STRUCT__entry(
		__field(u32, obj)
		__field(u64, win)
		__string(result, result)
		__field(u64, copied)
		__field(u64, retries)
		__field(u64, ns)
	),
	TP_fast_assign(
		__entry->obj = obj;
		__entry->win = win;
		__assign_str(result);
		__entry->copied = copied;
		__entry->retries = retries;
		__entry->ns = ns;
	),
	TP_printk("obj=%u win=%llu result=%s copied=%llu retries=%llu ns=%llu",
		  __entry->obj, __entry->win, __get_str(result),
		  __entry->copied, __entry->retries, __entry->ns)
);

/*
 * Where one collapse's time went, in ns: staging the window, arming
 * (write-protecting or tracking) its pages and posting the requests,
 * waiting for the guest, fencing completed pages (KVM write tracking),
 * switching them, and finishing (unstage, release, unmap, free).
 */
TRACE_EVENT(thp_encvm_collapse_phases,
	TP_PROTO(u32 obj, u64 win, const u64 *ns),
	TP_ARGS(obj, win, ns),
	TP_STRUCT__entry(
		__field(u32, obj)
		__field(u64, win)
		__array(u64, ns, 6)
	),
	TP_fast_assign(
		__entry->obj = obj;
		__entry->win = win;
		memcpy(__entry->ns, ns, sizeof(__entry->ns));
	),
	TP_printk("obj=%u win=%llu stage=%llu post=%llu guest=%llu fence=%llu switch=%llu finish=%llu",
		  __entry->obj, __entry->win, __entry->ns[0], __entry->ns[1],
		  __entry->ns[2], __entry->ns[3], __entry->ns[4], __entry->ns[5])
);

#endif /* _THP_ENCVM_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
