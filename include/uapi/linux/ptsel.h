/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * ptsel: selectable address-translation engine, user ABI.
 *
 * Each open file description of /dev/ptsel is one translation context
 * (a partition). Addresses, targets and sizes are byte quantities that
 * must be multiples of 4 KiB. Reserved fields must be zero.
 */
#ifndef _UAPI_LINUX_PTSEL_H
#define _UAPI_LINUX_PTSEL_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define PTSEL_PAGE_SHIFT	12

/* Permissions of a mapping (struct ptsel_map.prot, ptsel_translate.prot) */
#define PTSEL_PROT_READ		(1U << 0)
#define PTSEL_PROT_WRITE	(1U << 1)
#define PTSEL_PROT_EXEC		(1U << 2)
#define PTSEL_PROT_MASK		(PTSEL_PROT_READ | PTSEL_PROT_WRITE | PTSEL_PROT_EXEC)

/**
 * struct ptsel_map - map or unmap a range
 * @addr: first input address of the range
 * @target: first output address (PTSEL_IOC_MAP only; zero for unmap)
 * @size: length of the range in bytes
 * @prot: PTSEL_PROT_* bits; READ is required for a mapping
 * @reserved: must be zero
 *
 * A mapping uses the largest leaf size (4K, 2M, 1G) that the alignment
 * of @addr and @target and the remaining length allow.
 */
struct ptsel_map {
	__u64 addr;
	__u64 target;
	__u64 size;
	__u32 prot;
	__u32 reserved;
};

/**
 * struct ptsel_translate - translate one input address
 * @addr: input address (any byte offset)
 * @target: output: translated address
 * @prot: output: PTSEL_PROT_* of the mapping
 * @level: output: level of the leaf (0 = 4K, 1 = 2M, 2 = 1G)
 * @mem_refs: output: table entries read by the walk
 * @reserved: must be zero
 */
struct ptsel_translate {
	__u64 addr;
	__u64 target;
	__u32 prot;
	__u32 level;
	__u32 mem_refs;
	__u32 reserved;
};

#define PTSEL_IOC_MAGIC		0xB7
#define PTSEL_IOC_MAP		_IOW(PTSEL_IOC_MAGIC, 0x01, struct ptsel_map)
#define PTSEL_IOC_UNMAP		_IOW(PTSEL_IOC_MAGIC, 0x02, struct ptsel_map)
#define PTSEL_IOC_TRANSLATE	_IOWR(PTSEL_IOC_MAGIC, 0x03, struct ptsel_translate)

#endif /* _UAPI_LINUX_PTSEL_H */
