/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * nested_notify: deliver L2 doorbells straight into L1 memory, user ABI.
 *
 * A VMM running an L1 hypervisor opens /dev/nested_notify and creates a
 * context for its VM fd (NESTED_NOTIFY_IOC_CREATE returns the context's
 * fd). L1 keeps an I/O translation table in its own memory, an array of
 * struct nested_notify_entry; the VMM gives its guest-physical base to
 * SET_TABLE. Each device added with ADD_DEVICE ties a doorbell eventfd
 * (a KVM_IOEVENTFD of the VM that an L2 port write or MMIO write rings)
 * to one table entry and, optionally, to an irqfd of the VM. For every
 * doorbell the module reads the entry, translates the entry's ring
 * through L1's page tables (the entry's CR3) and appends a record to
 * the ring, without any exit to L1 or to the VMM.
 *
 * The formats of the table, the ring and its records are the ones L1
 * sees in its memory; all fields are little endian.
 */
#ifndef _UAPI_LINUX_NESTED_NOTIFY_H
#define _UAPI_LINUX_NESTED_NOTIFY_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* ---- In L1 memory: the I/O translation table ---- */

/* struct nested_notify_entry.flags */
#define NESTED_NOTIFY_ENTRY_VALID	(1U << 0)  /* the entry is in use */
#define NESTED_NOTIFY_ENTRY_LA57	(1U << 1)  /* CR3 is a 5-level root */
#define NESTED_NOTIFY_ENTRY_FLAGS	(NESTED_NOTIFY_ENTRY_VALID | \
					 NESTED_NOTIFY_ENTRY_LA57)

#define NESTED_NOTIFY_MAX_SLOTS		1024	/* records a ring holds at most */
#define NESTED_NOTIFY_MAX_ENTRIES	256	/* entries a table has at most */

/**
 * struct nested_notify_entry - one entry of the I/O translation table
 * @flags: NESTED_NOTIFY_ENTRY_*
 * @generation: L1 bumps it whenever it changes @cr3, @ring_gva or the
 *		mapping of the ring; a new value drops the cached walk
 * @cr3: the L1 address space the ring lives in
 * @ring_gva: L1-virtual address of the ring, 64-byte aligned
 * @slots: records in the ring, a power of two, 1..NESTED_NOTIFY_MAX_SLOTS
 * @reserved: zero
 */
struct nested_notify_entry {
	__u32 flags;
	__u32 generation;
	__u64 cr3;
	__u64 ring_gva;
	__u32 slots;
	__u32 reserved[9];
};

/* ---- In L1 memory: a ring (header, then @slots records) ---- */

/* struct nested_notify_ring.flags, set by L0, cleared by L1 */
#define NESTED_NOTIFY_RING_OVERFLOW	(1U << 0)  /* events wait for room */

/**
 * struct nested_notify_ring - header of a ring
 * @prod: records written, free running; L0 writes it last, after the
 *	  record's sequence number
 * @cons: records consumed, free running; L1 writes it
 * @flags: NESTED_NOTIFY_RING_*
 * @armed: L1 sets it to 1 to ask for one interrupt, then reads @prod
 *	   again; L0 clears it and raises the device's interrupt after it
 *	   wrote @prod. One interrupt per arming, plus a spurious one
 *	   when L0 cannot read or clear @armed (a fault in L1's memory):
 *	   L0 then raises the interrupt rather than risk losing a wakeup.
 * @reserved: zero
 */
struct nested_notify_ring {
	__u32 prod;
	__u32 cons;
	__u32 flags;
	__u32 armed;
	__u32 reserved[12];
};

/**
 * struct nested_notify_record - one record: @count doorbells
 * @seq: number of the first doorbell it stands for (the first doorbell
 *	 of a device is 1); written after the other fields
 * @count: doorbells it stands for (more than one when they coalesced)
 * @entry: the table entry of the device
 * @time_ns: L0's CLOCK_MONOTONIC when the last of them rang
 * @check: nested_notify_record_check() of the fields above
 */
struct nested_notify_record {
	__u64 seq;
	__u32 count;
	__u32 entry;
	__u64 time_ns;
	__u64 check;
};

/* What @check of a record holds: any torn or stale record shows. */
static inline __u64 nested_notify_record_check(__u64 seq, __u32 count, __u32 entry,
					       __u64 time_ns)
{
	__u64 h = seq * 0x9e3779b97f4a7c15ULL;

	h ^= ((__u64)count << 32 | entry) * 0xc2b2ae3d27d4eb4fULL;
	h ^= time_ns * 0x165667b19e3779f9ULL;
	return h ^ (h >> 29);
}

/* ---- ioctls ---- */

/**
 * struct nested_notify_create - NESTED_NOTIFY_IOC_CREATE on /dev/nested_notify
 * @vm_fd: a KVM VM fd
 * @flags: zero
 *
 * Returns a new context fd (O_CLOEXEC).
 */
struct nested_notify_create {
	__s32 vm_fd;
	__u32 flags;
};

/**
 * struct nested_notify_table - NESTED_NOTIFY_IOC_SET_TABLE on a context
 * @gpa: L1 guest-physical base of the table, 64-byte aligned
 * @nr_entries: entries, 1..NESTED_NOTIFY_MAX_ENTRIES
 * @flags: zero
 */
struct nested_notify_table {
	__u64 gpa;
	__u32 nr_entries;
	__u32 flags;
};

#define NESTED_NOTIFY_MAX_DEVICES	64	/* devices a context has at most */

/**
 * struct nested_notify_device - NESTED_NOTIFY_IOC_ADD_DEVICE / REMOVE_DEVICE
 * @doorbell_fd: eventfd the doorbell signals (ADD); one consumer per eventfd
 *		 (EBUSY), not another device's @irq_fd (ELOOP)
 * @irq_fd: eventfd to signal for an armed ring, an irqfd of the VM (not a
 *	    device's doorbell: ELOOP), or -1
 * @entry: table entry of the device; also names it for REMOVE
 * @flags: zero
 */
struct nested_notify_device {
	__s32 doorbell_fd;
	__s32 irq_fd;
	__u32 entry;
	__u32 flags;
};

/**
 * struct nested_notify_info - NESTED_NOTIFY_IOC_INFO: a context's counters
 * @doorbells: doorbells consumed
 * @records: records written
 * @delivered: doorbells the records stand for
 * @pending: doorbells not in a record yet
 *	(@delivered + @pending + @dropped == @doorbells)
 * @coalesced: doorbells that shared a record with an earlier one
 * @overflows: deliveries that found a ring full
 * @faults: deliveries stopped by a bad entry, ring or translation
 * @walk_hits: deliveries that reused a cached walk
 * @walks: walks of L1's page tables
 * @deferred: deliveries run in a vCPU's thread before it re-entered
 * @interrupts: interrupts raised
 * @devices: devices in the context
 * @table_gpa: the table's base, or 0
 * @nr_entries: the table's entries, or 0
 * @loaded: of @deferred, those that loaded the vCPU that rang themselves,
 *	   as a signal had ended its KVM_RUN first
 * @dropped: doorbells pending in devices removed before a delivery
 * @reserved: zero
 */
struct nested_notify_info {
	__u64 doorbells;
	__u64 records;
	__u64 delivered;
	__u64 pending;
	__u64 coalesced;
	__u64 overflows;
	__u64 faults;
	__u64 walk_hits;
	__u64 walks;
	__u64 deferred;
	__u64 interrupts;
	__u32 devices;
	__u32 nr_entries;
	__u64 table_gpa;
	__u64 loaded;
	__u64 dropped;
	__u64 reserved[2];
};

#define NESTED_NOTIFY_IOC_MAGIC		0xBD
#define NESTED_NOTIFY_IOC_CREATE	_IOW(NESTED_NOTIFY_IOC_MAGIC, 0, struct nested_notify_create)
#define NESTED_NOTIFY_IOC_SET_TABLE	_IOW(NESTED_NOTIFY_IOC_MAGIC, 1, struct nested_notify_table)
#define NESTED_NOTIFY_IOC_ADD_DEVICE	_IOW(NESTED_NOTIFY_IOC_MAGIC, 2, struct nested_notify_device)
#define NESTED_NOTIFY_IOC_REMOVE_DEVICE	_IOW(NESTED_NOTIFY_IOC_MAGIC, 3, struct nested_notify_device)
#define NESTED_NOTIFY_IOC_INFO		_IOR(NESTED_NOTIFY_IOC_MAGIC, 4, struct nested_notify_info)

#endif /* _UAPI_LINUX_NESTED_NOTIFY_H */
