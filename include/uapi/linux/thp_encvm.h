/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * thp_encvm: huge pages for encrypted-VM memory, user ABI.
 *
 * /dev/thp_encvm creates guest-memory objects. An object is a file of
 * kernel-owned 4 KiB pages that a VMM mmaps (MAP_SHARED) and registers
 * as a KVM memslot. Once attached to the VM, a collapse daemon re-forms
 * 2 MiB pages: the guest copies its own data into a new 2 MiB page
 * through a ring in the object's shared range, while the host tracks
 * pages written during the copy. The host never reads or writes the
 * object's private pages.
 *
 * An object fd's path (/proc/<pid>/fd/<n>) opens the same object
 * again, within the object's mode (0600, its creator's): a VMM that
 * takes guest RAM by file name, such as QEMU's memory-backend-file
 * with share=on, can use it. A file opened read-only maps read-only
 * and cannot ATTACH or DETACH. lseek(SEEK_END) and fstat() give the
 * size; truncate and fallocate fail. The object is detached and freed
 * when its last file and mapping are gone.
 */
#ifndef _UAPI_LINUX_THP_ENCVM_H
#define _UAPI_LINUX_THP_ENCVM_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* statfs() f_type of an object's file */
#define THP_ENCVM_MAGIC		0x54485046	/* "THPF" */

#define THP_ENCVM_PAGE_SIZE	4096ULL
#define THP_ENCVM_WINDOW_SIZE	(2ULL << 20)
#define THP_ENCVM_WINDOW_PAGES	512

/* struct thp_encvm_create.flags */
/*
 * SCATTER: no two neighbours contiguous (for tests). Without it, each
 * window is one 2 MiB block when the node has one (huge from the start),
 * and THP_ENCVM_IOC_DISPLACE fragments it.
 */
#define THP_ENCVM_CREATE_SCATTER	(1U << 0)
/*
 * A software model of SEV-style memory encryption (see the admin guide):
 * each ATTACH launches the object with a fresh per-VM key and latches
 * its exclusion range (struct thp_encvm_attach), encrypts every page
 * outside that range in place (a keyed BLAKE2s key stream in counter
 * mode, the counter block bound to the page's host frame), writes the
 * key into the launch-secret page for the guest and keeps the frame
 * tweak of every page in a table in the exclusion range. DETACH wipes
 * the key.
 */
#define THP_ENCVM_CREATE_ENCRYPTED	(1U << 1)
#define THP_ENCVM_CREATE_FLAGS		(THP_ENCVM_CREATE_SCATTER | \
					 THP_ENCVM_CREATE_ENCRYPTED)

/**
 * struct thp_encvm_create - make a guest-memory object (returns its fd)
 * @size: bytes, a non-zero multiple of 2 MiB, at most the max_object_mb knob
 *	  (E2BIG), whose top, 1048574 MiB (1 TiB - 2 MiB), is the largest
 *	  object the kernel can make (its array of page frames must fit
 *	  kvmalloc()'s INT_MAX bytes); ENOMEM, without a warning or the OOM
 *	  killer, if the object does not fit in memory or in the caller's
 *	  memory cgroup
 * @shared_offset: start of the shared range, 4 KiB aligned: the most the
 *		   VM may share (never collapsed), and the exclusion range
 *		   of a launch that names none (struct thp_encvm_attach)
 * @shared_size: its length, 4 KiB aligned, non-zero; the host may read
 *		 and write only here, within the launch's exclusion range
 * @ring_offset: the cooperation ring's page, inside the shared range
 * @staging_offset: a 2 MiB window of the object, 2 MiB aligned, outside
 *		    the shared range, that the guest gives up for copies
 * @flags: THP_ENCVM_CREATE_*
 * @node: NUMA node of the backing pages, or -1 for the caller's
 * @tweak_offset: ENCRYPTED: where struct thp_encvm_tweaks goes, 4 KiB
 *		  aligned, all of it inside the shared range and off the
 *		  ring's page; otherwise 0
 * @secret_offset: ENCRYPTED: the launch-secret page (struct
 *		   thp_encvm_secret), 4 KiB aligned, a private page outside
 *		   the staging window; otherwise 0
 */
struct thp_encvm_create {
	__u64 size;
	__u64 shared_offset;
	__u64 shared_size;
	__u64 ring_offset;
	__u64 staging_offset;
	__u32 flags;
	__s32 node;
	__u64 tweak_offset;
	__u64 secret_offset;
};

/*
 * struct thp_encvm_attach.flags
 *
 * THP_ENCVM_ATTACH_KVM_WRITE_TRACK: only the guest writes the object's
 * private pages (as with an encrypted guest, whose private memory the
 * host cannot usefully write). Pages being copied are write-tracked by
 * KVM (its external write tracking) instead of being write-protected
 * in the host mapping, so they stay readable in the NPT and the guest's
 * copy takes no faults. A write through the VMM's mapping during a
 * copy is not tracked in this mode. Needs a kernel with
 * CONFIG_KVM_EXTERNAL_WRITE_TRACKING (EOPNOTSUPP otherwise).
 *
 * Limit, in this mode and in the default one: KVM emulates the guest's
 * writes to a page under copy (here the page is tracked; by default the
 * guest's read during the copy left it mapped read-only in the host,
 * and KVM emulates a write to a read-only PFN mapping). A store its
 * emulator cannot decode, such as an AVX store (vmovdqu from a %ymm
 * register), fails: KVM_RUN returns with exit reason
 * KVM_EXIT_INTERNAL_ERROR, suberror KVM_INTERNAL_ERROR_EMULATION, and
 * the vCPU cannot go on. The collapse then rolls back when it times out
 * or the VMM detaches or tears the VM down. A guest must not use such
 * stores on private memory while the daemon runs.
 *
 * KVM's own writes into guest memory (steal time, kvmclock, PV EOI,
 * async page fault data, wall clock, at the addresses registered with
 * their MSRs) bypass KVM's write tracking: in this mode a window
 * holding such an address is not collapsed, and a collapse rolls back
 * if one is registered before its pages switch. KVM writes other guest
 * memory itself that the module does not check: the VAPIC page
 * (KVM_SET_VAPIC_ADDR), Hyper-V pages (TSC page, VP assist page,
 * SynIC message and event pages), Xen shared and vCPU info, the output
 * of KVM_HC_CLOCK_PAIRING, and a nested guest's VMCB or VMCS12. In this
 * mode each of those must lie in the shared (exclusion) range, as an
 * SEV guest's decrypted pages do; in a private page a KVM write during
 * a copy would be lost.
 */
#define THP_ENCVM_ATTACH_KVM_WRITE_TRACK	(1U << 0)
/*
 * THP_ENCVM_ATTACH_DOORBELL: @doorbell is an eventfd that is signalled
 * when the guest has completed copy requests (the VMM wires it to a
 * port or MMIO address the guest writes, with KVM_IOEVENTFD, so that
 * the write exits to KVM only, not to the VMM). While requests are out,
 * the daemon sleeps until the doorbell rings, and looks at the ring on
 * its own only every 10 ms, instead of every 200-400 us. Counters
 * completions_doorbell and completions_looked tell which way the daemon
 * saw each completion.
 */
#define THP_ENCVM_ATTACH_DOORBELL		(1U << 1)
#define THP_ENCVM_ATTACH_FLAGS			(THP_ENCVM_ATTACH_KVM_WRITE_TRACK | \
						 THP_ENCVM_ATTACH_DOORBELL)

/**
 * struct thp_encvm_attach - tie an object to a KVM VM
 * @vm_fd: the VM's file descriptor (from KVM_CREATE_VM)
 * @eventfd: signalled when copy requests are posted (the VMM wires it
 *	     as an irqfd), or -1 if the guest polls the ring (below -1:
 *	     EINVAL)
 * @gpa: guest-physical address of the object's first byte, 2 MiB aligned,
 *	 as the VMM's mapping of it must be (EINVAL otherwise);
 *	 the memslot there maps it, other memslots may map the rest of
 *	 the object at other addresses (QEMU's RAM around the PCI hole),
 *	 and some pages may have none (QEMU's legacy range): their windows
 *	 are not collapsed. The shared range and the staging window must
 *	 be mapped, each at consecutive addresses.
 * @flags: THP_ENCVM_ATTACH_*
 * @doorbell: with THP_ENCVM_ATTACH_DOORBELL, an eventfd the guest
 *	      signals when it has completed requests; ignored otherwise
 * @reserved: must be zero
 * @excl_offset: the exclusion range register this launch latches: its
 *		 first byte, as an object offset
 * @excl_size: its bytes. Both 0 (as in the first version of this
 *	       struct, THP_ENCVM_ATTACH_SIZE_VER0 bytes): the shared range
 *	       of CREATE. Otherwise 4 KiB aligned, not overflowing, inside
 *	       the shared range of CREATE (so inside the object, off the
 *	       staging window and the secret page), holding the ring's
 *	       page and an encrypted object's tweak table: EINVAL else.
 *
 * Each ATTACH is a launch of the VM: it latches the exclusion range,
 * which stays as it is while attached and is cleared by DETACH. On an
 * encrypted object, the firmware model leaves the range in plaintext
 * and encrypts every other page, publishes tweak 0 for the range's
 * pages only, and the launch-secret page holds the key; on every
 * object, THP_ENCVM_IOC_XFER and the module's own accesses reach only
 * the range. Pages of CREATE's shared range outside it are private for
 * this launch (and, being shared, are never collapsed).
 */
struct thp_encvm_attach {
	__s32 vm_fd;
	__s32 eventfd;
	__u64 gpa;
	__u32 flags;
	__s32 doorbell;
	__u32 reserved[2];
	__u64 excl_offset;
	__u64 excl_size;
};

/* sizeof() of the first struct thp_encvm_attach, without the range */
#define THP_ENCVM_ATTACH_SIZE_VER0	24

/* struct thp_encvm_info.state */
#define THP_ENCVM_DETACHED	0
#define THP_ENCVM_ATTACHED	1

/**
 * struct thp_encvm_info - state of an object
 * @size: bytes
 * @gpa: guest-physical base while attached
 * @state: THP_ENCVM_DETACHED or THP_ENCVM_ATTACHED
 * @windows: 2 MiB windows of the object
 * @eligible: windows the daemon may collapse (not shared, not staging;
 *	      while attached, also not holding a page that no memslot maps,
 *	      nor split between memslots at unrelated addresses)
 * @huge: windows whose pages are one aligned 2 MiB host page now
 * @collapses: collapses of this object that completed
 * @aborts: collapses of this object that were rolled back
 * @attach_flags: THP_ENCVM_ATTACH_* of the attachment, while attached
 * @enc_state: THP_ENCVM_ENC_*
 * @displaced: pages away from their home frame (THP_ENCVM_IOC_DISPLACE)
 * @remap_pending: windows collapsed since the last THP_ENCVM_IOC_REMAP:
 *		   KVM maps them with 2 MiB entries only after it
 */
struct thp_encvm_info {
	__u64 size;
	__u64 gpa;
	__u32 state;
	__u32 windows;
	__u32 eligible;
	__u32 huge;
	__u64 collapses;
	__u64 aborts;
	__u32 attach_flags;
	__u32 enc_state;
	__u32 displaced;
	__u32 remap_pending;
};

/* struct thp_encvm_info.enc_state */
#define THP_ENCVM_ENC_ENCRYPTED	(1U << 0)	/* created with ..._ENCRYPTED */
#define THP_ENCVM_ENC_KEY	(1U << 1)	/* launched: the VM's key is loaded */

/*
 * The frame tweaks, at tweak_offset in the shared range of an encrypted
 * object, written by the module only. @tweak[i] is the host frame (pfn)
 * of object page i, which the counter blocks of its ciphertext carry:
 * block b (32 bytes) of the page is XORed with BLAKE2s-256 keyed with
 * the VM's key, of (pfn as 8 bytes little endian, b as 4 bytes little
 * endian, 4 zero bytes).
 * Shared pages have tweak 0 and are not encrypted. @seq is odd while
 * frames change: a guest reads @seq (waiting while odd), the tweaks,
 * accesses the page and reads @seq again, and redoes the access if it
 * changed.
 */
struct thp_encvm_tweaks {
	__u32 seq;
	__u32 nr_pages;
	__u64 tweak[];
};

/*
 * The launch-secret page of an encrypted object: the module writes the
 * VM's key there at ATTACH, in plaintext, and zeroes it at DETACH. While
 * a key is loaded, only the module writes it: the page is mapped read-only,
 * and every write to it, the VMM's and KVM's (for the guest), fails
 * (SIGBUS, or EFAULT from a system call; process_vm_writev() and
 * /proc/pid/mem never reach the object's VM_PFNMAP pages). Only KVM's
 * faults for a vCPU of the attached VM inside KVM_RUN map it (not those
 * of its other ioctls, which also load the vCPU):
 * the VMM's own faults on it fail too, user-mode (SIGBUS) or
 * kernel-mode (write(2) from it: EFAULT). It is still not hidden from
 * the VMM: once KVM has faulted it in for the guest, the mapping is in
 * the VMM's page table and the VMM reads it. A real SEV launch secret
 * is encrypted with the guest's key; this model does not keep the key
 * from the VMM once the guest has run, nor from a VMM that makes the
 * guest's code or a KVM-read area touch it (there is no launch
 * measurement).
 */
#define THP_ENCVM_SECRET_MAGIC	0x54485053	/* "THPS" */

struct thp_encvm_secret {
	__u32 magic;
	__u32 key_len;
	__u8 key[32];
};

/*
 * The cooperation ring, one page at ring_offset. The host writes
 * @magic, @nr_slots, @epoch and the requests and advances @prod; the
 * guest copies @nr_pages pages from @src_gpa to @dst_gpa, sets @done to
 * the request's @seq and advances @cons. Both counters run free; slot =
 * counter % nr_slots. Every ATTACH starts both at 0 and bumps @epoch:
 * a guest that sees @epoch change starts over at slot 0. Detaching
 * clears @magic.
 *
 * One guest thread serves the ring. It reads a request's @seq first
 * (0: the slot is being written, skip it), stores it in @busy, and only
 * then, after a full barrier, reads the rest: a request whose @done is
 * already @seq is not copied again, one with THP_ENCVM_REQ_CANCELLED in
 * @flags (set when its collapse rolls back) is not copied, and a copy
 * stops at the next page once @flags has it or @seq changes (read
 * @flags before @seq; the host rewrites a slot @seq first, @flags after).
 * The guest clears @busy, then sets @done to the @seq it read if the
 * slot still holds it. The host stages no new copy destination while
 * @busy is set, so a late copy cannot land in a later collapse's pages;
 * a guest driver clears @busy when it starts. @seq is never 0 and does
 * not repeat within 2^32 - 1 requests of an object. The host trusts nothing the guest writes here;
 * a guest that lies only keeps its own memory from being collapsed.
 */
#define THP_ENCVM_REQ_CANCELLED	(1U << 0)

#define THP_ENCVM_RING_MAGIC	0x54485045	/* "THPE" */
#define THP_ENCVM_RING_SLOTS	64

struct thp_encvm_copy_req {
	__u64 src_gpa;
	__u64 dst_gpa;
	__u32 nr_pages;
	__u32 seq;
	__u32 done;
	__u32 flags;
};

struct thp_encvm_ring {
	__u32 magic;
	__u32 nr_slots;
	__u32 prod;
	__u32 cons;
	__u32 epoch;
	__u32 busy;
	__u32 pad[2];
	struct thp_encvm_copy_req req[THP_ENCVM_RING_SLOTS];
};

/* Bytes the daemon writes into a copy destination before the guest copies. */
#define THP_ENCVM_POISON	0xdeadbeefU

/**
 * struct thp_encvm_xfer - the hypervisor's copy to or from the guest,
 *			   through the exclusion range only
 * @gpa: guest-physical address of the first byte, while attached
 * @len: bytes, 1 to THP_ENCVM_XFER_MAX; [@gpa, @gpa + @len) must lie
 *	 inside the exclusion range that the ATTACH latched (EACCES)
 * @buf: the caller's buffer
 * @write: 1: copy @buf into the guest; 0: copy the guest's bytes to @buf
 * @reserved: must be zero
 *
 * What a VMM uses for the data of an intercepted instruction, such as
 * string port I/O, whose buffer the guest placed in the exclusion range.
 */
struct thp_encvm_xfer {
	__u64 gpa;
	__u64 len;
	__u64 buf;
	__u32 write;
	__u32 reserved;
};

#define THP_ENCVM_XFER_MAX	65536

/* struct thp_encvm_displace.event: models of what moves one page */
#define THP_ENCVM_DISPLACE_CONVERT	0	/* private -> shared -> private */
#define THP_ENCVM_DISPLACE_SOFT_OFFLINE	1	/* the home frame is lost */
#define THP_ENCVM_DISPLACE_MIGRATE	2	/* to another NUMA node */

/**
 * struct thp_encvm_displace - move one page out of its 2 MiB block
 * @offset: the page, 4 KiB aligned: a private page of a window that
 *	    was allocated as one 2 MiB block (not SCATTER)
 * @event: THP_ENCVM_DISPLACE_*
 * @node: MIGRATE: the node of the new frame; otherwise -1
 * @reserved: must be zero
 *
 * The firmware model moves the page's contents to a new 4 KiB frame
 * (re-encrypting them for it, on an encrypted object) and scrubs the
 * old one. The page's home frame in its block stays reserved for it,
 * except after SOFT_OFFLINE; a collapse copies the page back there.
 * A page someone else holds a reference on (a kvm_vcpu_map() user,
 * say), who might still write it, is refused with EBUSY, as migration
 * refuses it; so is any page while the daemon collapses the object.
 * The page is unmapped before its references are counted, so a refused
 * page's window loses its huge mappings (the VMM's PMD, KVM's 2 MiB
 * entry) until they are faulted in again.
 */
struct thp_encvm_displace {
	__u64 offset;
	__u32 event;
	__s32 node;
	__u64 reserved;
};

#define THP_ENCVM_IOC_MAGIC	0xB8
/* On /dev/thp_encvm: returns a new object fd (O_CLOEXEC). */
#define THP_ENCVM_IOC_CREATE	_IOW(THP_ENCVM_IOC_MAGIC, 0x01, struct thp_encvm_create)
/* On an object fd (ATTACH and DETACH want it open for writing): */
#define THP_ENCVM_IOC_ATTACH	_IOW(THP_ENCVM_IOC_MAGIC, 0x02, struct thp_encvm_attach)
/* ATTACH as binaries built before @excl_offset and @excl_size call it */
#define THP_ENCVM_IOC_ATTACH_VER0 \
	_IOC(_IOC_WRITE, THP_ENCVM_IOC_MAGIC, 0x02, THP_ENCVM_ATTACH_SIZE_VER0)
#define THP_ENCVM_IOC_DETACH	_IO(THP_ENCVM_IOC_MAGIC, 0x03)
#define THP_ENCVM_IOC_INFO	_IOR(THP_ENCVM_IOC_MAGIC, 0x04, struct thp_encvm_info)
/* Writing to the guest wants a file open for writing. */
#define THP_ENCVM_IOC_XFER	_IOW(THP_ENCVM_IOC_MAGIC, 0x05, struct thp_encvm_xfer)
#define THP_ENCVM_IOC_DISPLACE	_IOW(THP_ENCVM_IOC_MAGIC, 0x06, struct thp_encvm_displace)
/*
 * Replace the caller's own mappings of the object, each VMA whole, by
 * fresh ones of the same file, offset, protection and MADV_DONTFORK /
 * MADV_[NO]HUGEPAGE state, if windows were collapsed since the last
 * call (remap_pending). That frees their empty 4 KiB page tables, so
 * that collapsed windows fault in with PMDs. Like mmap(MAP_FIXED), it
 * must not race the caller's own changes to those ranges. The new VMAs
 * are neither mlock()ed (VM_LOCKED) nor registered with a userfaultfd:
 * a VMM that uses either sets it again after the call. Returns the
 * number of VMAs replaced; remap_pending falls to 0 only if that is at
 * least 1 and the caller is the attached VMM (the process whose mm the
 * VM has): a process without a mapping of the object, or any other
 * process, leaves it.
 */
#define THP_ENCVM_IOC_REMAP	_IO(THP_ENCVM_IOC_MAGIC, 0x07)

#endif /* _UAPI_LINUX_THP_ENCVM_H */
