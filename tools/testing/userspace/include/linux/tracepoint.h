/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim: every trace event is a no-op with a type-checked call. */
#ifndef _SHIM_LINUX_TRACEPOINT_H
#define _SHIM_LINUX_TRACEPOINT_H

#define TP_PROTO(args...)	args
#define TP_ARGS(args...)	args
/* The arguments after the prototype (args, fields, assignment, format) go unused. */
#define TRACE_EVENT(name, proto, ...)	static inline void trace_##name(proto) { }

#endif
