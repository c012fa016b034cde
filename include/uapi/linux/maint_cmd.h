/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * maint_cmd: host <-> memory-device maintenance commands.
 *
 * Each device is /sys/class/maint_cmd/mcN/ with its event stream
 * /dev/maint_cmd/mcN (root only, one reader at a time): read() returns
 * whole struct maint_cmd_event records, poll() says when one is there.
 * A record is written once the host has acted on what it reports.
 */
#ifndef _UAPI_LINUX_MAINT_CMD_H
#define _UAPI_LINUX_MAINT_CMD_H

#include <linux/types.h>

/* enum maint_cmd_event_kind: what a record reports */
#define MAINT_CMD_EV_GENERAL_MEDIA	1	/* device event, general media */
#define MAINT_CMD_EV_DRAM		2	/* device event, DRAM */
#define MAINT_CMD_EV_POISON		3	/* an entry of the poison list */
#define MAINT_CMD_EV_SCAN		4	/* an error found by Scan Media */
#define MAINT_CMD_EV_REPAIR		5	/* a host-initiated repair */

/* Severity, as the device reported it (CXL event record flags) */
#define MAINT_CMD_SEV_INFO		0
#define MAINT_CMD_SEV_WARNING		1
#define MAINT_CMD_SEV_FAILURE		2
#define MAINT_CMD_SEV_FATAL		3

/* maint_cmd_event.flags */
#define MAINT_CMD_EVF_MAINT_NEEDED	(1U << 0)	/* device asks for maintenance */
#define MAINT_CMD_EVF_UNCORRECTABLE	(1U << 1)	/* data at the address is lost */
#define MAINT_CMD_EVF_THRESHOLD		(1U << 2)	/* a corrected-error threshold */
#define MAINT_CMD_EVF_HPA_VALID		(1U << 3)	/* hpa is set */

/*
 * maint_cmd_event.actions: what the host did, in this order (BLOCK_DMA,
 * when planned, comes first: before the hard offline)
 */
#define MAINT_CMD_ACT_EVACUATE		(1U << 0)	/* iommu_migrate moved the page */
#define MAINT_CMD_ACT_SOFT_OFFLINE	(1U << 1)	/* migrated and taken out */
#define MAINT_CMD_ACT_HARD_OFFLINE	(1U << 2)	/* memory_failure(): mappers lose it */
#define MAINT_CMD_ACT_SOFT_PPR		(1U << 3)	/* Perform Maintenance, soft PPR */
#define MAINT_CMD_ACT_HARD_PPR		(1U << 4)	/* Perform Maintenance, hard PPR */
#define MAINT_CMD_ACT_CLEAR_POISON	(1U << 5)	/* Clear Poison sent, after the repair */
#define MAINT_CMD_ACT_UNPOISON		(1U << 6)	/* page back in service */
#define MAINT_CMD_ACT_SPARE		(1U << 7)	/* Perform Maintenance, row sparing */
#define MAINT_CMD_ACT_BLOCK_DMA		(1U << 8)	/* iommu_migrate blocked the page's DMA */

/**
 * struct maint_cmd_event - one record of /dev/maint_cmd/mcN
 * @seq: record number on this device, from 1; a gap before this record
 *	 is the records counted in @lost
 * @timestamp_ns: CLOCK_MONOTONIC time the host received the indication
 * @dpa: device physical address (64-byte aligned)
 * @hpa: host physical address, if MAINT_CMD_EVF_HPA_VALID
 * @kind: MAINT_CMD_EV_*
 * @severity: MAINT_CMD_SEV_*
 * @flags: MAINT_CMD_EVF_*
 * @handle: the device's record handle (0 for host-initiated ones)
 * @actions: MAINT_CMD_ACT_* the host carried out
 * @planned: MAINT_CMD_ACT_* the policy asked for
 * @result: 0, or the -errno of the first action that failed
 * @lost: records dropped just before this one, the reader being slow
 * @latency_ns: from the indication to the last action
 */
struct maint_cmd_event {
	__u64 seq;
	__u64 timestamp_ns;
	__u64 dpa;
	__u64 hpa;
	__u32 kind;
	__u8 severity;
	__u8 flags;
	__u16 handle;
	__u32 actions;
	__u32 planned;
	__s32 result;
	__u32 lost;
	__u64 latency_ns;
};

#endif /* _UAPI_LINUX_MAINT_CMD_H */
