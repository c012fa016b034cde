/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * pwsp: protected walk-based shadow paging for KVM guests, user ABI.
 *
 * A VMM opens /dev/pwsp (root only); the file is one session. It
 * attaches the session to a VM fd (PWSP_IOC_ATTACH; one session per VM,
 * EBUSY for a second), sets the VM's policy once (PWSP_IOC_SET_POLICY)
 * and protects the roots of the
 * guest's page tables (PWSP_IOC_PROTECT_ROOT). From then on every guest
 * page-table page reachable from a protected root is write-tracked by
 * KVM; each guest write to one is verified entry by entry against the
 * policy and reverted if it breaks it (with a compare-and-exchange that
 * keeps other vCPUs' writes to the entry). Violations are counted,
 * traced and kept in a log the VMM reads with PWSP_IOC_READ_LOG. Every
 * ioctl may fail with ENOMEM, and then changes nothing.
 *
 * Enforcement needs KVM's shadow MMU (kvm_amd npt=0, kvm_intel ept=0).
 * Under two-dimensional paging the session runs in audit mode: the
 * tables are verified when the VMM asks (PWSP_IOC_VERIFY), and bad
 * entries are reported, not reverted.
 */
#ifndef _UAPI_LINUX_PWSP_H
#define _UAPI_LINUX_PWSP_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* Bounds of the ABI */
#define PWSP_MAX_RANGES		64	/* struct pwsp_policy.nr_ranges */
#define PWSP_MAX_ROOTS		64	/* protected roots per VM */
#define PWSP_MAX_LOG_READ	4096	/* struct pwsp_log_read.nr */

/* struct pwsp_attach.flags */
#define PWSP_ATTACH_STOP_VM	(1U << 0)	/* a violation stops the VM */
#define PWSP_ATTACH_AUDIT	(1U << 1)	/* audit mode even under npt=0 */
/*
 * Benchmark baseline and NPT probe: pages are tracked as in enforcement
 * mode, in either mode, but guest writes are not verified (make bench
 * compares the two; selftests/pwsp/pwsp_npt measures tracking under NPT).
 */
#define PWSP_ATTACH_TRACK_ONLY	(1U << 2)
#define PWSP_ATTACH_FLAGS	(PWSP_ATTACH_STOP_VM | PWSP_ATTACH_AUDIT | \
				 PWSP_ATTACH_TRACK_ONLY)

/* struct pwsp_attach.mode (out) and the sysfs effective_mode */
#define PWSP_MODE_ENFORCE	1
#define PWSP_MODE_AUDIT		2

/**
 * struct pwsp_attach - attach the session to a VM
 * @vm_fd: the VM (from KVM_CREATE_VM); the caller must be its VMM
 * @eventfd: an eventfd signalled on each violation, or -1
 * @flags: PWSP_ATTACH_*
 * @mode: out: PWSP_MODE_ENFORCE or PWSP_MODE_AUDIT
 * @reserved: must be zero
 */
struct pwsp_attach {
	__s32 vm_fd;
	__s32 eventfd;
	__u32 flags;
	__u32 mode;
	__u64 reserved[2];
};

/* struct pwsp_range.type */
#define PWSP_RANGE_RAM		1	/* guest RAM: page tables may live here */
#define PWSP_RANGE_PROTECTED	2	/* host-protected: never mapped */
#define PWSP_RANGE_PROTECTED_RO	3	/* host-protected: mapped read-only only */
#define PWSP_RANGE_TEXT		4	/* kernel text: W^X, never user */
#define PWSP_RANGE_KERNEL_ONLY	5	/* never reachable through a user path */

/**
 * struct pwsp_range - a range of guest frames the policy names
 * @gfn: first frame
 * @nr_pages: frames, non-zero
 * @type: PWSP_RANGE_*
 * @reserved: must be zero
 */
struct pwsp_range {
	__u64 gfn;
	__u64 nr_pages;
	__u32 type;
	__u32 reserved;
};

/**
 * struct pwsp_policy - the VM's policy, set once before the first root
 * @maxphyaddr: the guest's MAXPHYADDR (CPUID 0x80000008 EAX[7:0]), 32-52
 * @nxe: the guest runs with EFER.NXE (bit 63 is NX, else reserved)
 * @levels: paging levels, 4 or 5 (CR4.LA57)
 * @gbpages: 1 GiB pages are allowed (CPUID PDPE1GB)
 * @nr_ranges: entries at @ranges, 1 to PWSP_MAX_RANGES, at least one RAM
 * @ranges: user pointer to struct pwsp_range[@nr_ranges]
 * @reserved: must be zero
 */
struct pwsp_policy {
	__u32 maxphyaddr;
	__u32 nxe;
	__u32 levels;
	__u32 gbpages;
	__u32 nr_ranges;
	__u32 reserved0;
	__u64 ranges;
	__u64 reserved[2];
};

/* Violation reasons: struct pwsp_log_entry.reason, sysfs violations/ */
#define PWSP_R_RSVD		1	/* reserved bit (MAXPHYADDR, NX without NXE) */
#define PWSP_R_PS_TOP		2	/* PS in a PML4E/PML5E, or 1G without gbpages */
#define PWSP_R_ALIGN		3	/* huge page not aligned */
#define PWSP_R_NOT_RAM		4	/* a page-table page outside guest RAM */
#define PWSP_R_SELF_MAP		5	/* an entry that maps its own table */
#define PWSP_R_LEVEL		6	/* a page-table page used at two levels */
#define PWSP_R_PROTECTED	7	/* a host-protected frame mapped */
#define PWSP_R_TEXT_WRITABLE	8	/* kernel text reachable writable */
#define PWSP_R_EXEC_NONTEXT	9	/* an executable kernel leaf off the text */
#define PWSP_R_USER_KERNEL	10	/* a kernel-only frame on a user path */
#define PWSP_R_TOO_LARGE	11	/* subtree beyond max_link_pages */
#define PWSP_R_CR3		12	/* CR3 loaded with an unprotected root */
#define PWSP_R_FAULT		13	/* guest memory unreadable, or no memory for a link */
/*
 * A vCPU can make KVM write guest memory without a tracked write: its
 * CPUID has SVM (nested VMSAVE, VMRUN state saves) or VMX (VMCLEAR and
 * a VMPTRLD that switches VMCS write back the 4 KiB VMCS; VMREAD to
 * memory; VMPTRST; nested VM-exits, the virtual-APIC page and the
 * posted-interrupt descriptor), or it entered SMM (the SMM state save,
 * and any write in SMM's untracked address space). @gpa is 0,
 * @level -1.
 */
#define PWSP_R_UNSEEN		14
#define PWSP_R_MAX		14

/* struct pwsp_log_entry.flags */
#define PWSP_LOG_REVERTED	(1U << 0)	/* the entry was repaired */

/**
 * struct pwsp_log_entry - one violation
 * @seq: sequence number, from 1, per session
 * @gpa: the entry's guest-physical address (for PWSP_R_CR3: the CR3)
 * @old_val: the entry's last verified value
 * @new_val: the value refused
 * @rip: the guest RIP of the writing vCPU, or 0 if not known
 * @reason: PWSP_R_*
 * @level: the entry's level (0 = PTE), or -1 for PWSP_R_CR3
 * @vcpu: index of the vCPU, or -1
 * @flags: PWSP_LOG_*
 */
struct pwsp_log_entry {
	__u64 seq;
	__u64 gpa;
	__u64 old_val;
	__u64 new_val;
	__u64 rip;
	__u32 reason;
	__s32 level;
	__s32 vcpu;
	__u32 flags;
};

/**
 * struct pwsp_log_read - take the oldest violations from the log
 * @entries: user pointer to struct pwsp_log_entry[@nr]
 * @nr: room at @entries, 1 to PWSP_MAX_LOG_READ
 * @out_nr: out: entries written
 * @lost: out: entries dropped because the log was full, since the last read
 * @reserved: must be zero
 */
struct pwsp_log_read {
	__u64 entries;
	__u32 nr;
	__u32 out_nr;
	__u64 lost;
	__u64 reserved;
};

/**
 * struct pwsp_stats - the session's counters
 * @pages_v: pages in state V (tracked, verified)
 * @roots: protected roots
 * @writes_verified: guest writes to V pages verified
 * @links_verified: subtrees verified and linked
 * @reverts: entries written back
 * @violations: violations, all reasons
 * @by_reason: violations by reason, index PWSP_R_*
 * @cr3_checks: CR3 values checked
 */
struct pwsp_stats {
	__u64 pages_v;
	__u64 roots;
	__u64 writes_verified;
	__u64 links_verified;
	__u64 reverts;
	__u64 violations;
	__u64 by_reason[PWSP_R_MAX + 1];
	__u64 cr3_checks;
};

/**
 * struct pwsp_root - a page-table root
 * @gpa: the root table's guest-physical address (CR3 without its flags)
 * @reserved: must be zero
 */
struct pwsp_root {
	__u64 gpa;
	__u64 reserved;
};

#define PWSP_IOC_MAGIC		'W'
#define PWSP_IOC_ATTACH		_IOWR(PWSP_IOC_MAGIC, 1, struct pwsp_attach)
#define PWSP_IOC_SET_POLICY	_IOW(PWSP_IOC_MAGIC, 2, struct pwsp_policy)
/*
 * PWSP_IOC_PROTECT_ROOT fails with EOPNOTSUPP in enforcement mode while
 * a vCPU has SVM or VMX in its CPUID (see PWSP_R_UNSEEN).
 */
#define PWSP_IOC_PROTECT_ROOT	_IOW(PWSP_IOC_MAGIC, 3, struct pwsp_root)
#define PWSP_IOC_UNPROTECT_ROOT	_IOW(PWSP_IOC_MAGIC, 4, struct pwsp_root)
#define PWSP_IOC_READ_LOG	_IOWR(PWSP_IOC_MAGIC, 5, struct pwsp_log_read)
#define PWSP_IOC_STATS		_IOR(PWSP_IOC_MAGIC, 6, struct pwsp_stats)
/* Audit: verify every protected tree against guest memory now. */
#define PWSP_IOC_VERIFY		_IO(PWSP_IOC_MAGIC, 7)

#endif /* _UAPI_LINUX_PWSP_H */
