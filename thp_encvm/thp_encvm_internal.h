/* SPDX-License-Identifier: GPL-2.0 */
/*
 * thp_encvm: state shared by the kernel glue (obj.c, collapse.c,
 * main.c) and the ABI files (dev.c, sysfs.c).
 */
#ifndef _THP_ENCVM_INTERNAL_H
#define _THP_ENCVM_INTERNAL_H

#include <linux/err.h>
#include <linux/fault-inject.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/wait.h>

#include "thp_encvm_core.h"

struct kvm;
struct eventfd_ctx;
struct mem_cgroup;
struct te_track;
struct te_enc;
struct te_bell;

/**
 * struct te_obj - one guest-memory object
 * @ref: the inode's reference, one while attached, plus one per
 *	 daemon user
 * @mapping: the mapping of the object's inode, which every file of
 *	     the object shares; valid while the inode is, which is while
 *	     the object is attached (the inode's eviction detaches it)
 * @id: number for tracing
 * @lock: protects the page arrays and the attachment; taken by faults,
 *	  so never held across vm_mmap() or mmap_lock
 * @l: layout
 * @node: NUMA node of the pages
 * @memcg: the creator's memory cgroup, which the object's pages and the
 *	   daemon's new 2 MiB pages for it are charged to (a reference)
 * @pfn: host pfn of every page
 * @touched: pages the guest (or the VMM) has faulted in
 * @wp: pages being copied: mapped read-only, writes are tracked
 * @dirty: pages written since they were write-protected
 * @ktrack: pages this object added to KVM's write tracking (track.c)
 * @staging_mapped: the staging window may be mapped somewhere: it was
 *		    faulted in since its pages last changed. Entries come
 *		    only from faults, or from fork() and mremap() moving
 *		    or copying entries that faults made, so it is set
 *		    whenever one exists
 * @kvm: the VM, while attached (a reference)
 * @attaching: an attach is under way (te_obj_attach()); another one
 *	       fails with -EBUSY before it registers anything
 * @notify: eventfd to signal on new requests, or NULL
 * @bell: the guest's completion doorbell (THP_ENCVM_ATTACH_DOORBELL),
 *	  or NULL
 * @rung: the doorbell rang since the daemon last looked at the ring
 * @track: KVM page-track registration, while attached with
 *	   THP_ENCVM_ATTACH_KVM_WRITE_TRACK, or NULL
 * @track_lost: KVM dropped some of @ktrack (memslot deleted), or the
 *		memslot was gone (or recreated elsewhere) when a page was
 *		armed: the collapse in progress rolls back
 * @excl_first: the exclusion range register, latched at ATTACH (the
 *		launch, te_layout_excl()) and cleared at DETACH: its first
 *		page; the host's accesses (te_host_page()) and the
 *		firmware's plaintext pages are those of the register
 * @excl_count: its pages, 0 while detached
 * @gpa: guest-physical address of page 0 while attached
 * @gmap: guest-physical address of every page while attached
 * @mm: the VM's mm (kvm->mm, the VMM's) while attached (mmgrab)
 * @hva: where the VMM maps the object for its memslot
 * @seq: last ring request sequence number
 * @prod: the host's producer index (the ring's copy is guest-writable)
 * @epoch: attachments so far, published in the ring
 * @list: on te_objs while attached
 * @scan_win: where the daemon's scan of this object goes on
 * @pass: the last full-scan generation in which the scan went round
 * @busy_wakeup: the last daemon wakeup that found the guest busy
 * @collapsing: the daemon works on this object right now
 * @abort: a detach asks the running collapse to roll back
 * @idle: woken when @collapsing drops
 * @collapses: collapses completed
 * @aborts: collapses rolled back
 * @enc: firmware state of an encrypted object (fw.c), or NULL
 * @tweaks_busy: nesting of te_fw_tweaks_begin()
 * @home: per window, the first pfn of the 2 MiB block it was allocated
 *	  as, or 0
 * @away: pages displaced from their home frame, which stays reserved
 * @home_bad: of those, pages whose home frame was soft-offlined
 * @remap_pending: windows collapsed since the last THP_ENCVM_IOC_REMAP,
 *		   whose empty 4 KiB page table may keep them from a PMD
 * @remap_lock: serializes THP_ENCVM_IOC_REMAP on the object
 * @remap_mm: the mm whose mapping at @remap_start te_obj_remap() is
 *	      replacing, or NULL
 * @remap_start: start of that mapping
 * @remap_keep: its flags that the new mapping keeps (MADV_DONTFORK...)
 */
struct te_obj {
	struct kref ref;
	struct address_space *mapping;
	u32 id;
	struct mutex lock;
	struct te_layout l;
	int node;
	struct mem_cgroup *memcg;
	u64 *pfn;
	unsigned long *touched;
	unsigned long *wp;
	unsigned long *dirty;
	unsigned long *ktrack;
	bool staging_mapped;
	struct kvm *kvm;
	bool attaching;
	struct eventfd_ctx *notify;
	struct te_bell *bell;
	unsigned int rung;
	struct te_track *track;
	bool track_lost;
	u64 excl_first;
	u64 excl_count;
	u64 gpa;
	struct te_gmap gmap;
	struct mm_struct *mm;
	unsigned long hva;
	u32 seq;
	u32 prod;
	u32 epoch;
	struct list_head list;
	u64 scan_win;
	u32 pass;
	u32 busy_wakeup;
	bool collapsing;
	bool abort;
	wait_queue_head_t idle;
	u64 collapses;
	u64 aborts;
	struct te_enc *enc;
	unsigned int tweaks_busy;
	u64 *home;
	unsigned long *away;
	unsigned long *home_bad;
	u32 remap_pending;
	struct mutex remap_lock;
	struct mm_struct *remap_mm;
	unsigned long remap_start;
	vm_flags_t remap_keep;
};

/* Knobs (sysfs.c) */
extern unsigned int te_enabled;
extern unsigned int te_pages_to_scan;
extern unsigned int te_scan_sleep_ms;
extern unsigned int te_alloc_sleep_ms;
extern unsigned int te_max_ptes_none;
extern unsigned int te_max_copy_retries;
extern unsigned int te_copy_timeout_ms;
extern unsigned int te_max_object_mb;

/*
 * The largest object that can be created, in MiB, max_object_mb's top:
 * te_obj_create()'s largest array, the frame of each page (8 bytes a
 * page), may take at most INT_MAX bytes, all that kvmalloc() gives; in
 * whole 2 MiB windows, 1048574 MiB (1 TiB - 2 MiB).
 */
#define TE_MAX_OBJECT_MB \
	((INT_MAX / sizeof(u64) / TE_WIN_PAGES) * (THP_ENCVM_WINDOW_SIZE >> 20))

/* Counters (collapse.c), shown in sysfs */
struct te_stats {
	atomic64_t full_scans;
	atomic64_t windows_collapsed;
	atomic64_t pages_copied;
	atomic64_t dirty_retries;
	atomic64_t windows_in_place;
	atomic64_t windows_fresh;
	atomic64_t collapsed_pages_copied;
	atomic64_t completions_doorbell;
	atomic64_t completions_looked;
	atomic64_t failed[TE_FAIL_NR];
	atomic_t objects;
	atomic64_t frames;
};
extern struct te_stats te_stats;

/* The home bookkeeping's view of @o (core.c); @o->lock protects it. */
static inline struct te_homes te_obj_homes(struct te_obj *o)
{
	return (struct te_homes){ o->pfn, o->home, o->away, o->home_bad };
}

#ifdef CONFIG_FAULT_INJECTION_DEBUG_FS
extern struct fault_attr te_fail_alloc;
#endif
/*
 * debugfs hold_ref: 0, or 1 + a page of each window (window relative)
 * on which a collapse holds an extra reference, as a kvm_vcpu_map()
 * user of the page would.
 */
extern u32 te_hold_ref;
/*
 * debugfs hold_ref_at_zap: THP_ENCVM_IOC_DISPLACE takes the hold_ref
 * reference right before it unmaps the page (as a kvm_vcpu_map() user
 * reading the still-present entry would), instead of on entry.
 */
extern bool te_hold_ref_at_zap;

/**
 * te_frame_held() - does someone besides the object hold frame @pfn?
 * @pfn: a frame of an object
 *
 * Only the object refers to its pages (faults map them without a
 * reference); another reference, such as a kvm_vcpu_map() of the page,
 * may still write it, so it must not move, as khugepaged's
 * is_refcount_suitable() and migration's refcount check refuse.
 *
 * Return: true if the page's reference count is not the object's one.
 */
static inline bool te_frame_held(u64 pfn)
{
	return page_ref_count(pfn_to_page(pfn)) != 1;
}
/*
 * debugfs fault_unmap: so many kernel faults on objects (KVM's, through
 * fixup_user_fault()) unmap their page again right after mapping it.
 */
extern u32 te_fault_unmap;
/*
 * debugfs host_copy: the daemon copies windows itself, byte for byte,
 * instead of asking the guest: a fault injection whose result the
 * guest must detect on an encrypted object.
 */
extern bool te_host_copy;
/*
 * debugfs hold_complete: a collapse waits, holding no lock, before it
 * takes the object's lock to complete the requests it found done;
 * complete_held (read-only) is set while it waits there.
 */
extern bool te_hold_complete;
extern u32 te_complete_held;
/*
 * debugfs look_us: without a doorbell, the daemon looks at the ring
 * every @te_look_us to 2 * @te_look_us microseconds while requests are
 * out (default 200).
 */
extern u32 te_look_us;

/* obj.c */
int te_obj_create(const struct thp_encvm_create *c);
void te_obj_put(struct te_obj *o);
int te_obj_attach(struct te_obj *o, const struct thp_encvm_attach *a);
int te_obj_detach(struct te_obj *o);
void te_obj_info(struct te_obj *o, struct thp_encvm_info *info);
int te_obj_xfer(struct te_obj *o, const struct thp_encvm_xfer *x);
int te_obj_displace(struct te_obj *o, const struct thp_encvm_displace *d);
int te_obj_remap(struct te_obj *o);
void te_frame_free(u64 pfn, void *unused);
struct te_obj *te_obj_from_file(struct file *file);
void te_obj_zap(struct te_obj *o, u64 first, u64 n);
int te_obj_gmap(struct te_obj *o, struct kvm *kvm, u64 gpa,
		struct te_gmap *m, unsigned long *hva, u64 *gen);
bool te_obj_slots_ok(struct te_obj *o, u64 *gen);
u64 te_obj_gpa(struct te_obj *o, u64 page);
long te_obj_dev_ioctl(struct te_obj *o, fmode_t mode, unsigned int cmd,
		      void __user *argp);

void *te_host_page(struct te_obj *o, u64 page);
void *te_host_fresh(struct page *page);

/* fw.c: the firmware model of an encrypted object */
struct te_enc *te_fw_alloc(const struct te_layout *l);
void te_fw_free(struct te_enc *e);
bool te_fw_loaded(const struct te_enc *e);
void te_fw_launch(struct te_obj *o);
void te_fw_wipe(struct te_obj *o);
void te_fw_move(struct te_obj *o, u64 to, u64 from);
void te_fw_tweaks_begin(struct te_obj *o);
void te_fw_tweaks_update(struct te_obj *o, u64 first, u64 n);
void te_fw_tweaks_end(struct te_obj *o);

/* track.c: guest writes tracked by KVM (THP_ENCVM_ATTACH_KVM_WRITE_TRACK) */
#ifdef CONFIG_KVM_EXTERNAL_WRITE_TRACKING
struct te_track *te_track_register(struct te_obj *o, struct kvm *kvm,
				   const struct te_gmap *m);
void te_track_unregister(struct kvm *kvm, struct te_track *t);
int te_track_page(struct te_obj *o, u64 page);
void te_track_sync(struct te_obj *o);
void te_track_release(struct te_obj *o, u64 first, u64 n);
bool te_track_kvm_writes(struct te_obj *o, u64 first, u64 n);
#else
static inline struct te_track *te_track_register(struct te_obj *o,
						 struct kvm *kvm,
						 const struct te_gmap *m)
{
	return ERR_PTR(-EOPNOTSUPP);
}

static inline void te_track_unregister(struct kvm *kvm, struct te_track *t) { }

static inline int te_track_page(struct te_obj *o, u64 page)
{
	return -EOPNOTSUPP;
}

static inline void te_track_sync(struct te_obj *o) { }
static inline void te_track_release(struct te_obj *o, u64 first, u64 n) { }

static inline bool te_track_kvm_writes(struct te_obj *o, u64 first, u64 n)
{
	return false;
}
#endif

/* collapse.c */
extern struct list_head te_objs;
extern struct mutex te_objs_lock;
void te_daemon_kick(void);
void te_daemon_ring(struct te_obj *o);
void te_daemon_quiesce(void);
int te_daemon_start(void);
void te_daemon_stop(void);

/* dev.c, sysfs.c */
int te_dev_init(void);
void te_dev_exit(void);
int te_sysfs_init(void);
void te_sysfs_exit(void);
void te_sysfs_full_scan(void);

#endif /* _THP_ENCVM_INTERNAL_H */
