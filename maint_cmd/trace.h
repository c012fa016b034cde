/* SPDX-License-Identifier: GPL-2.0 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM maint_cmd

#if !defined(_MAINT_CMD_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _MAINT_CMD_TRACE_H

#include <linux/tracepoint.h>

/* A device event record the host drained; @seq ties it to repair_done. */
TRACE_EVENT(maint_cmd_indication,
	TP_PROTO(int dev, u64 seq, u8 kind, u64 dpa, u64 hpa, u8 severity,
		 u8 flags, u8 descriptor, u16 handle),
	TP_ARGS(dev, seq, kind, dpa, hpa, severity, flags, descriptor, handle),
	TP_STRUCT__entry(
		__field(int, dev)
		__field(u64, seq)
		__field(u8, kind)
		__field(u64, dpa)
		__field(u64, hpa)
		__field(u8, severity)
		__field(u8, flags)
		__field(u8, descriptor)
		__field(u16, handle)
	),
	TP_fast_assign(
		__entry->dev = dev;
		__entry->seq = seq;
		__entry->kind = kind;
		__entry->dpa = dpa;
		__entry->hpa = hpa;
		__entry->severity = severity;
		__entry->flags = flags;
		__entry->descriptor = descriptor;
		__entry->handle = handle;
	),
	TP_printk("mc%d seq=%llu kind=%u dpa=%#llx hpa=%#llx severity=%u flags=%#x descriptor=%#x handle=%u",
		  __entry->dev, __entry->seq, __entry->kind, __entry->dpa, __entry->hpa,
		  __entry->severity, __entry->flags, __entry->descriptor,
		  __entry->handle)
);

TRACE_EVENT(maint_cmd_command_submit,
	TP_PROTO(int dev, u16 opcode, u32 len),
	TP_ARGS(dev, opcode, len),
	TP_STRUCT__entry(
		__field(int, dev)
		__field(u16, opcode)
		__field(u32, len)
	),
	TP_fast_assign(
		__entry->dev = dev;
		__entry->opcode = opcode;
		__entry->len = len;
	),
	TP_printk("mc%d opcode=%#06x len=%u", __entry->dev, __entry->opcode,
		  __entry->len)
);

TRACE_EVENT(maint_cmd_command_complete,
	TP_PROTO(int dev, u16 opcode, u16 rc, int ret, u64 us),
	TP_ARGS(dev, opcode, rc, ret, us),
	TP_STRUCT__entry(
		__field(int, dev)
		__field(u16, opcode)
		__field(u16, rc)
		__field(int, ret)
		__field(u64, us)
	),
	TP_fast_assign(
		__entry->dev = dev;
		__entry->opcode = opcode;
		__entry->rc = rc;
		__entry->ret = ret;
		__entry->us = us;
	),
	TP_printk("mc%d opcode=%#06x rc=%#x ret=%d us=%llu", __entry->dev,
		  __entry->opcode, __entry->rc, __entry->ret, __entry->us)
);

/* A page the action of indication @seq took offline (or tried to). */
TRACE_EVENT(maint_cmd_page_offline,
	TP_PROTO(int dev, u64 seq, unsigned long pfn, bool hard, int ret),
	TP_ARGS(dev, seq, pfn, hard, ret),
	TP_STRUCT__entry(
		__field(int, dev)
		__field(u64, seq)
		__field(unsigned long, pfn)
		__field(bool, hard)
		__field(int, ret)
	),
	TP_fast_assign(
		__entry->dev = dev;
		__entry->seq = seq;
		__entry->pfn = pfn;
		__entry->hard = hard;
		__entry->ret = ret;
	),
	TP_printk("mc%d seq=%llu pfn=%#lx %s ret=%d", __entry->dev, __entry->seq,
		  __entry->pfn, __entry->hard ? "hard" : "soft", __entry->ret)
);

/* A page the action of indication @seq evacuated (or tried to). */
TRACE_EVENT(maint_cmd_page_evacuate,
	TP_PROTO(int dev, u64 seq, unsigned long pfn, bool iommu_migrate,
		 unsigned long moved, int ret),
	TP_ARGS(dev, seq, pfn, iommu_migrate, moved, ret),
	TP_STRUCT__entry(
		__field(int, dev)
		__field(u64, seq)
		__field(unsigned long, pfn)
		__field(bool, iommu_migrate)
		__field(unsigned long, moved)
		__field(int, ret)
	),
	TP_fast_assign(
		__entry->dev = dev;
		__entry->seq = seq;
		__entry->pfn = pfn;
		__entry->iommu_migrate = iommu_migrate;
		__entry->moved = moved;
		__entry->ret = ret;
	),
	TP_printk("mc%d seq=%llu pfn=%#lx path=%s moved=%lu ret=%d", __entry->dev,
		  __entry->seq, __entry->pfn,
		  __entry->iommu_migrate ? "iommu_migrate" : "absent",
		  __entry->moved, __entry->ret)
);

/* The resolution of an indication (@seq != 0) or of a host repair (0). */
TRACE_EVENT(maint_cmd_repair_done,
	TP_PROTO(int dev, u64 seq, u64 dpa, u16 handle, u32 planned, u32 done,
		 int ret, u64 ns),
	TP_ARGS(dev, seq, dpa, handle, planned, done, ret, ns),
	TP_STRUCT__entry(
		__field(int, dev)
		__field(u64, seq)
		__field(u64, dpa)
		__field(u16, handle)
		__field(u32, planned)
		__field(u32, done)
		__field(int, ret)
		__field(u64, ns)
	),
	TP_fast_assign(
		__entry->dev = dev;
		__entry->seq = seq;
		__entry->dpa = dpa;
		__entry->handle = handle;
		__entry->planned = planned;
		__entry->done = done;
		__entry->ret = ret;
		__entry->ns = ns;
	),
	TP_printk("mc%d seq=%llu dpa=%#llx handle=%u planned=%#x done=%#x ret=%d ns=%llu",
		  __entry->dev, __entry->seq, __entry->dpa, __entry->handle, __entry->planned,
		  __entry->done, __entry->ret, __entry->ns)
);

TRACE_EVENT(maint_cmd_poison,
	TP_PROTO(int dev, u64 dpa, u32 lines, u8 source),
	TP_ARGS(dev, dpa, lines, source),
	TP_STRUCT__entry(
		__field(int, dev)
		__field(u64, dpa)
		__field(u32, lines)
		__field(u8, source)
	),
	TP_fast_assign(
		__entry->dev = dev;
		__entry->dpa = dpa;
		__entry->lines = lines;
		__entry->source = source;
	),
	TP_printk("mc%d dpa=%#llx lines=%u source=%u", __entry->dev,
		  __entry->dpa, __entry->lines, __entry->source)
);

#endif /* _MAINT_CMD_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
