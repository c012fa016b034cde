// SPDX-License-Identifier: GPL-2.0
/*
 * thp_encvm objects: kernel-owned 4 KiB pages behind a VM_PFNMAP
 * mapping, faults (4 KiB, or 2 MiB where a window is one aligned host
 * page), write tracking, and attachment to a KVM VM.
 *
 * Faults insert writable entries, except for pages of a window being
 * copied (@wp): those are mapped read-only, and a write reaches
 * ->pfn_mkwrite (for a guest write, through KVM's emulator), which
 * marks the page dirty before allowing it.
 *
 * Each object is an inode of a small pseudo filesystem of its own, so
 * that its path (/proc/<pid>/fd/<n>) opens it again: a VMM that only
 * takes a file name for guest RAM gets another file of the same
 * object. The inode holds the object; the object is detached when the
 * inode goes, with its last file and mapping. The filesystem's mount
 * is pinned while objects exist, and its superblock pins the module,
 * so no path to an object outlives the code behind it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/gfp.h>
#include <linux/kvm_host.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/pfn_t.h>
#include <linux/poll.h>
#include <linux/pseudo_fs.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "thp_encvm_internal.h"
#include "trace.h"

static atomic_t te_next_id = ATOMIC_INIT(0);

static const struct file_operations te_obj_fops;
static const struct inode_operations te_obj_iops;
static struct file_system_type te_fs_type;

/* The objects' filesystem: mounted while objects exist (one pin each). */
static struct vfsmount *te_mnt;
static int te_mnt_count;

/**
 * te_obj_from_file() - the object behind a file, if it is an object's
 * @file: any file (the caller holds a reference on it)
 *
 * Return: the object, valid while @file is, or NULL if @file is not a
 * file of an object.
 */
struct te_obj *te_obj_from_file(struct file *file)
{
	return file->f_op == &te_obj_fops ? file->private_data : NULL;
}

/**
 * te_host_page() - the module's access to a page of an object
 * @o: the object, attached (or being attached or detached), its
 *     exclusion range register stable (under @o->lock, or in the
 *     daemon's collapse)
 * @page: a page of its exclusion range
 *
 * Every access of the module to an object's pages goes through here
 * or te_host_fresh(), except the firmware model's (fw.c): the host
 * never touches private memory. The callers pass pages that the
 * latched register holds: the ring's and the tweak table's, which
 * te_layout_excl() requires in it, and XFER's, which it checks.
 *
 * Return: the page's kernel address, or NULL (with a warning) for a
 * page outside the register.
 */
void *te_host_page(struct te_obj *o, u64 page)
{
	if (WARN_ON_ONCE(page - o->excl_first >= o->excl_count))
		return NULL;
	return page_address(pfn_to_page(o->pfn[page]));
}

/**
 * te_host_fresh() - the module's access to a page it just allocated
 * @page: the page, which no guest has seen yet
 *
 * Return: its kernel address.
 */
void *te_host_fresh(struct page *page)
{
	return page_address(page);
}

/**
 * te_obj_zap() - drop every user mapping of some pages of an object
 * @o: the object, attached (so its inode is there)
 * @first: first page
 * @n: number of pages
 *
 * Mappings through every file of the object go; KVM follows through
 * its mmu notifier.
 */
void te_obj_zap(struct te_obj *o, u64 first, u64 n)
{
	unmap_mapping_range(o->mapping, (loff_t)first << PAGE_SHIFT,
			    (loff_t)n << PAGE_SHIFT, 1);
}

/**
 * te_frame_free() - free a frame of an object's
 * @pfn: the frame, an order-0 page that no mapping refers to any more
 * @unused: for te_home_finish() and friends
 *
 * Every frame an object allocates is counted in te_stats.frames (the
 * debugfs "frames"), and freed here.
 */
void te_frame_free(u64 pfn, void *unused)
{
	__free_page(pfn_to_page(pfn));
	atomic64_dec(&te_stats.frames);
}

static void te_obj_free(struct kref *ref)
{
	struct te_obj *o = container_of(ref, struct te_obj, ref);
	struct te_homes h = te_obj_homes(o);

	/*
	 * No mapping is left: VMAs hold the file, and the file is gone.
	 * The pages, and the reserved home frames of displaced ones; no
	 * frame was allocated unless every array was.
	 */
	if (o->pfn && o->home && o->away && o->home_bad)
		te_home_release(&h, o->l.nr_pages, te_frame_free, NULL);
	kvfree(o->pfn);
	kvfree(o->home);
	kvfree(o->away);
	kvfree(o->home_bad);
	kvfree(o->touched);
	kvfree(o->wp);
	kvfree(o->dirty);
	kvfree(o->ktrack);
	te_fw_free(o->enc);
	mem_cgroup_put(o->memcg);
	mutex_destroy(&o->remap_lock);
	mutex_destroy(&o->lock);
	atomic_dec(&te_stats.objects);
	kfree(o);
	/*
	 * Not the mount's last reference when called from the inode's
	 * eviction: its evicter holds the mount. From the daemon it may
	 * be, and the module may go: te_exit() waits for the daemon.
	 */
	simple_release_fs(&te_mnt, &te_mnt_count);
}

/**
 * te_obj_put() - drop a reference on an object
 * @o: the object
 *
 * The inode's, an attachment's or a daemon user's reference. The last
 * one frees the object's frames, arrays and firmware state, and drops
 * its pin on the objects' filesystem. May sleep.
 */
void te_obj_put(struct te_obj *o)
{
	kref_put(&o->ref, te_obj_free);
}

/*
 * For allocations whose size the creator chose (up to the max_object_mb
 * knob, at most TE_MAX_OBJECT_MB): from vmalloc when kmalloc has no such
 * block, no warning when there is no memory, and no OOM killer (the
 * memory cgroup's or the system's): a CREATE that does not fit fails
 * with -ENOMEM.
 */
#define TE_GFP_USER_SIZED	(GFP_KERNEL_ACCOUNT | __GFP_NOWARN | __GFP_RETRY_MAYFAIL)

/* A zeroed bitmap of @n bits, freed with kvfree(). */
static unsigned long *te_bitmap_alloc(u64 n)
{
	return kvcalloc(BITS_TO_LONGS(n), sizeof(long), TE_GFP_USER_SIZED);
}

static int cmp_desc(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? 1 : x > y ? -1 : 0;
}

/*
 * Allocate the backing pages, zeroed (the guest sees them): each window
 * one 2 MiB block, split, when the node has one; its pfn is the window's
 * home. With @scatter, or without a block, 4 KiB pages one by one; with
 * @scatter each window's pages go in descending pfn order, so no two
 * guest neighbours are host neighbours and no window is a huge page.
 */
static int te_obj_populate(struct te_obj *o, bool scatter)
{
	u64 i, w, j;

	for (w = 0; !scatter && w < o->l.nr_pages / TE_WIN_PAGES; w++) {
		struct page *blk;

		blk = alloc_pages_node(o->node, GFP_KERNEL_ACCOUNT | __GFP_ZERO | __GFP_THISNODE |
				       __GFP_NOWARN | __GFP_NORETRY, PMD_ORDER);
		if (!blk)
			continue;
		split_page(blk, PMD_ORDER);
		atomic64_add(TE_WIN_PAGES, &te_stats.frames);
		o->home[w] = page_to_pfn(blk);
		for (j = 0; j < TE_WIN_PAGES; j++)
			o->pfn[w * TE_WIN_PAGES + j] = o->home[w] + j;
		cond_resched();
	}
	for (i = 0; i < o->l.nr_pages; i++) {
		struct page *page;

		if (o->pfn[i])
			continue;
		page = alloc_pages_node(o->node, TE_GFP_USER_SIZED | __GFP_ZERO, 0);
		if (!page)
			return -ENOMEM;
		atomic64_inc(&te_stats.frames);
		o->pfn[i] = page_to_pfn(page);
		cond_resched();
	}
	if (scatter)
		for (w = 0; w < o->l.nr_pages / TE_WIN_PAGES; w++)
			sort(o->pfn + w * TE_WIN_PAGES, TE_WIN_PAGES,
			     sizeof(u64), cmp_desc, NULL);
	return 0;
}

/*
 * The page arrays of a new object, each checked as it is made, so that
 * none is tried after one failed. What was made is freed with the
 * object. The frames take 8 bytes a page, the most: TE_MAX_OBJECT_MB
 * keeps them within kvmalloc()'s INT_MAX bytes, and every other array
 * is smaller. The largest come first, so that a failure costs least: an
 * object whose frames do not fit (in a memory cgroup, say) fails before
 * it made its bitmaps (1/64 of their size), and the homes (one a
 * window, 1/8 of a bitmap) come last.
 */
static int te_obj_arrays(struct te_obj *o)
{
	unsigned long **bitmaps[] = {
		&o->touched, &o->wp, &o->dirty, &o->ktrack, &o->away, &o->home_bad,
	};
	u64 n = o->l.nr_pages;
	unsigned int i;

	BUILD_BUG_ON(((u64)TE_MAX_OBJECT_MB << 20 >> PAGE_SHIFT) * sizeof(u64) > INT_MAX);
	o->pfn = kvcalloc(n, sizeof(u64), TE_GFP_USER_SIZED);
	if (!o->pfn)
		return -ENOMEM;
	for (i = 0; i < ARRAY_SIZE(bitmaps); i++) {
		*bitmaps[i] = te_bitmap_alloc(n);
		if (!*bitmaps[i])
			return -ENOMEM;
	}
	o->home = kvcalloc(n / TE_WIN_PAGES, sizeof(u64), TE_GFP_USER_SIZED);
	return o->home ? 0 : -ENOMEM;
}

/**
 * te_obj_create() - make an object and install its file descriptor
 * @c: the request, checked here
 *
 * Return: the new fd, or a negative errno.
 */
int te_obj_create(const struct thp_encvm_create *c)
{
	struct inode *inode;
	struct te_obj *o;
	struct file *file;
	char name[16];
	int fd, ret;

	if (c->flags & ~THP_ENCVM_CREATE_FLAGS)
		return -EINVAL;
	if (c->node != NUMA_NO_NODE &&
	    (c->node < 0 || c->node >= MAX_NUMNODES || !node_online(c->node)))
		return -EINVAL;
	o = kzalloc(sizeof(*o), GFP_KERNEL_ACCOUNT);
	if (!o)
		return -ENOMEM;
	ret = te_layout_init(&o->l, c, (u64)READ_ONCE(te_max_object_mb) << 20);
	if (!ret)
		ret = simple_pin_fs(&te_fs_type, &te_mnt, &te_mnt_count);
	if (ret) {
		kfree(o);
		return ret;
	}
	/* From here on te_obj_free() releases the pin. */
	kref_init(&o->ref);
	mutex_init(&o->lock);
	mutex_init(&o->remap_lock);
	init_waitqueue_head(&o->idle);
	INIT_LIST_HEAD(&o->list);
	atomic_inc(&te_stats.objects);
	o->id = atomic_inc_return(&te_next_id);
	/* The object's pages are charged here; so are the new 2 MiB pages. */
	o->memcg = get_mem_cgroup_from_mm(current->mm);
	o->node = c->node == NUMA_NO_NODE ? numa_node_id() : c->node;
	ret = te_obj_arrays(o);
	if (ret)
		goto put;
	o->enc = te_fw_alloc(&o->l);
	if (IS_ERR(o->enc)) {
		o->enc = NULL;
		ret = -ENOMEM;
		goto put;
	}
	ret = te_obj_populate(o, c->flags & THP_ENCVM_CREATE_SCATTER);
	if (ret)
		goto put;
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		ret = fd;
		goto put;
	}
	inode = alloc_anon_inode(te_mnt->mnt_sb);
	if (IS_ERR(inode)) {
		put_unused_fd(fd);
		ret = PTR_ERR(inode);
		goto put;
	}
	/*
	 * Mode 0600, owned by the creator (alloc_anon_inode()), and no file
	 * type: truncate and fallocate fail, lseek and stat see the size.
	 * The inode's reference on @o is dropped when it is evicted.
	 */
	inode->i_private = o;
	inode->i_fop = &te_obj_fops;
	inode->i_op = &te_obj_iops;
	inode->i_size = o->l.nr_pages << PAGE_SHIFT;
	o->mapping = inode->i_mapping;
	snprintf(name, sizeof(name), "%u", o->id);
	/* The file's reference on its fops' module, which __fput() drops. */
	__module_get(THIS_MODULE);
	file = alloc_file_pseudo(inode, te_mnt, name, O_RDWR, &te_obj_fops);
	if (IS_ERR(file)) {
		module_put(THIS_MODULE);
		put_unused_fd(fd);
		iput(inode);	/* evicts it, and @o goes with it */
		return PTR_ERR(file);
	}
	file->private_data = o;
	fd_install(fd, file);
	return fd;
put:
	te_obj_put(o);
	return ret;
}

/*
 * What an attachment holds. It is taken out of the object under
 * @o->lock and dropped after: the last VM reference destroys the VM,
 * which takes KVM's locks, and those nest outside the object's (KVM
 * faults in the object with them held).
 */
struct te_attachment {
	struct kvm *kvm;
	struct eventfd_ctx *notify;
	struct te_bell *bell;
	struct mm_struct *mm;
	struct te_track *track;
};

/**
 * struct te_bell - the guest's completion doorbell, an eventfd
 * @wait: our entry on the eventfd's wait queue
 * @pt: how vfs_poll() hands us that queue
 * @ctx: the eventfd (a reference)
 * @o: the object whose daemon it wakes; the attachment that holds the
 *     doorbell holds a reference to it
 */
struct te_bell {
	wait_queue_entry_t wait;
	poll_table pt;
	struct eventfd_ctx *ctx;
	struct te_obj *o;
};

/*
 * An eventfd_signal(), from KVM's ioeventfd when the guest rings: called
 * with the eventfd's wait-queue lock held, as KVM's irqfd_wakeup() is.
 */
static int te_bell_wakeup(wait_queue_entry_t *wait, unsigned int mode,
			  int sync, void *key)
{
	struct te_bell *b = container_of(wait, struct te_bell, wait);
	u64 cnt;

	if (!(key_to_poll(key) & EPOLLIN))
		return 0;
	eventfd_ctx_do_read(b->ctx, &cnt);
	te_daemon_ring(b->o);
	return 0;
}

static void te_bell_queue(struct file *file, wait_queue_head_t *wqh,
			  poll_table *pt)
{
	struct te_bell *b = container_of(pt, struct te_bell, pt);

	add_wait_queue(wqh, &b->wait);
}

/* Wait on eventfd @fd for @o's daemon, as KVM's irqfd does. */
static struct te_bell *te_bell_get(struct te_obj *o, int fd)
{
	struct fd f = fdget(fd);
	struct te_bell *b;
	int ret;

	if (!fd_file(f))
		return ERR_PTR(-EBADF);
	b = kzalloc(sizeof(*b), GFP_KERNEL_ACCOUNT);
	if (!b) {
		fdput(f);
		return ERR_PTR(-ENOMEM);
	}
	b->ctx = eventfd_ctx_fileget(fd_file(f));
	if (IS_ERR(b->ctx)) {
		ret = PTR_ERR(b->ctx);
		fdput(f);
		kfree(b);
		return ERR_PTR(ret);
	}
	b->o = o;
	init_waitqueue_func_entry(&b->wait, te_bell_wakeup);
	init_poll_funcptr(&b->pt, te_bell_queue);
	vfs_poll(fd_file(f), &b->pt);
	fdput(f);
	return b;
}

/* Off the eventfd's queue: no wakeup runs after this returns. */
static void te_bell_put(struct te_bell *b)
{
	u64 cnt;

	if (!b)
		return;
	eventfd_ctx_remove_wait_queue(b->ctx, &b->wait, &cnt);
	eventfd_ctx_put(b->ctx);
	kfree(b);
}

/*
 * The attachment, and with it the reference the attachment holds on the
 * object and the object's place on te_objs, are taken under @o->lock by
 * exactly one caller: the one that finds @o->kvm set. It drops the
 * reference after te_attachment_put().
 */
static struct te_attachment te_obj_take(struct te_obj *o)
{
	struct te_attachment a = { o->kvm, o->notify, o->bell, o->mm, o->track };

	lockdep_assert_held(&o->lock);
	mutex_lock(&te_objs_lock);
	list_del_init(&o->list);
	mutex_unlock(&te_objs_lock);
	o->kvm = NULL;
	o->notify = NULL;
	o->bell = NULL;
	o->mm = NULL;
	o->track = NULL;
	return a;
}

/* Without the object's lock: KVM's page-track notifiers take it. */
static void te_attachment_put(struct te_attachment *a)
{
	if (a->notify)
		eventfd_ctx_put(a->notify);
	te_bell_put(a->bell);
	if (a->track)
		te_track_unregister(a->kvm, a->track);
	if (a->kvm)
		kvm_put_kvm(a->kvm);
	if (a->mm)
		mmdrop(a->mm);
}

/* The ring lives in the shared range: the host may write it. */
static struct thp_encvm_ring *te_ring(struct te_obj *o)
{
	return te_host_page(o, o->l.ring_page);
}

/**
 * te_obj_gmap() - where do @kvm's memslots map @o?
 * @o: the object
 * @kvm: the VM, in a kvm->srcu read section
 * @gpa: guest-physical address of the object's first page
 * @m: set to the map of every page
 * @hva: set to where the memslot at @gpa maps the first page
 * @gen: set to the memslots' generation
 *
 * The memslot at @gpa gives the object's host address; every memslot
 * that maps part of [@hva, @hva + object size) gives a run of pages:
 * one memslot, several at one offset, or several at unrelated guest-
 * physical addresses, as QEMU's RAM split around the PCI hole is.
 * Pages that no memslot maps (QEMU's legacy VGA and ROM range) are in
 * no run: the guest cannot reach them, and no window that holds one is
 * collapsed. A page mapped twice (an alias) is refused: KVM's write
 * tracking, and the MSR check of te_track_kvm_writes(), know one gfn
 * per page. A memslot update in progress counts as a mismatch.
 *
 * Return: 0; -ENOENT if page 0 is not at @gpa, some page is mapped
 * twice, or an update is in progress; -E2BIG for more than TE_MAX_SEGS
 * runs.
 */
int te_obj_gmap(struct te_obj *o, struct kvm *kvm, u64 gpa,
		struct te_gmap *m, unsigned long *hva, u64 *gen)
{
	struct kvm_memslots *slots = kvm_memslots(kvm);
	unsigned long size = o->l.nr_pages << PAGE_SHIFT, lo, hi, s_lo, s_hi;
	struct kvm_memory_slot *slot;
	int bkt;

	*gen = slots->generation;
	if (*gen & KVM_MEMSLOT_GEN_UPDATE_IN_PROGRESS)
		return -ENOENT;
	slot = __gfn_to_memslot(slots, gpa >> PAGE_SHIFT);
	if (!slot || slot->flags & KVM_MEMSLOT_INVALID)
		return -ENOENT;
	*hva = slot->userspace_addr + (((gpa >> PAGE_SHIFT) - slot->base_gfn) << PAGE_SHIFT);
	m->nr = 0;
	kvm_for_each_memslot(slot, bkt, slots) {
		s_lo = slot->userspace_addr;
		s_hi = s_lo + (slot->npages << PAGE_SHIFT);
		lo = max(s_lo, *hva);
		hi = min(s_hi, *hva + size);
		if (lo >= hi)
			continue;
		if (slot->flags & KVM_MEMSLOT_INVALID)
			return -ENOENT;
		if (te_gmap_add(m, (lo - *hva) >> PAGE_SHIFT, (hi - lo) >> PAGE_SHIFT,
				slot->base_gfn + ((lo - s_lo) >> PAGE_SHIFT)))
			return -E2BIG;
	}
	return te_gmap_finish(m, o->l.nr_pages, gpa >> PAGE_SHIFT);
}

/**
 * te_obj_slots_ok() - do the VM's memslots still map @o as at attach?
 * @o: the object, attached, in a kvm->srcu read section of its VM
 * @gen: set to the memslots' generation
 *
 * Return: true if so.
 */
bool te_obj_slots_ok(struct te_obj *o, u64 *gen)
{
	struct te_gmap m;
	unsigned long hva;

	return !te_obj_gmap(o, o->kvm, o->gpa, &m, &hva, gen) && hva == o->hva &&
	       m.nr == o->gmap.nr &&
	       !memcmp(m.seg, o->gmap.seg, m.nr * sizeof(m.seg[0]));
}

/**
 * te_obj_gpa() - guest-physical address of an object page
 * @o: the object, attached
 * @page: the page
 *
 * Return: the address, or 0 if no memslot mapped @page at attach (the
 * scan collapses no window that holds such a page).
 */
u64 te_obj_gpa(struct te_obj *o, u64 page)
{
	u64 gfn;

	return te_gmap_gfn(&o->gmap, page, &gfn) ? gfn << PAGE_SHIFT : 0;
}

/*
 * Is [@hva, @hva + object size) in @mm a mapping of @o, page i at
 * object offset i, through one VMA or several? Any file of the object
 * may back each VMA.
 */
static bool te_obj_mapped_at(struct te_obj *o, struct mm_struct *mm,
			     unsigned long hva)
{
	unsigned long addr = hva, end = hva + (o->l.nr_pages << PAGE_SHIFT);
	struct vm_area_struct *vma;

	mmap_assert_locked(mm);
	while (addr < end) {
		vma = vma_lookup(mm, addr);
		if (!vma || !vma->vm_file || vma->vm_file->f_mapping != o->mapping ||
		    vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT) !=
		    (addr - hva) >> PAGE_SHIFT)
			return false;
		addr = vma->vm_end;
	}
	return true;
}

/*
 * The object's guest-physical map in @kvm (te_obj_gmap()), and its host
 * address in @hva, if those memslots map it through mappings of @o in
 * the VM's own mm: the caller may be the VMM, or any process that holds
 * the VM fd. Any file of the object may back the mapping. Called
 * without @o->lock, which faults take under mmap_lock.
 */
static int te_obj_slot_map(struct te_obj *o, struct kvm *kvm, u64 gpa,
			   struct te_gmap *m, unsigned long *hva)
{
	struct mm_struct *mm = kvm->mm;
	int idx, ret;
	bool ok;
	u64 gen;

	idx = srcu_read_lock(&kvm->srcu);
	ret = te_obj_gmap(o, kvm, gpa, m, hva, &gen);
	srcu_read_unlock(&kvm->srcu, idx);
	if (ret)
		return ret;
	/*
	 * The runs a guest uses as one: the shared range, and the staging
	 * window, which the guest copies into a request at a time.
	 */
	if (!te_gmap_contig(m, o->l.shared_first, o->l.shared_count) ||
	    !te_gmap_contig(m, o->l.staging_first, TE_WIN_PAGES))
		return -ENOENT;
	/* A VMM that has exited has no memslot mapping left to check. */
	if (!mmget_not_zero(mm))
		return -ENOENT;
	mmap_read_lock(mm);
	ok = te_obj_mapped_at(o, mm, *hva);
	mmap_read_unlock(mm);
	mmput(mm);
	return ok ? 0 : -ENOENT;
}

/**
 * te_obj_attach() - tie an object to a KVM VM
 * @o: the object
 * @a: the request
 *
 * The VM's memslot at @a->gpa must be a mapping of the object, starting
 * at its first page, in the VM's mm (kvm->mm); the object's other pages
 * may be in that memslot or in others, at any guest-physical address,
 * or in none (te_obj_gmap()), but the shared range and the staging
 * window must each be mapped, at consecutive addresses. The caller need not be the VMM: a
 * process that holds the VM fd (pidfd_getfd()) may attach.
 *
 * With THP_ENCVM_ATTACH_KVM_WRITE_TRACK, the guest's writes to pages
 * being copied are tracked by KVM (track.c) rather than through the
 * host mapping. With THP_ENCVM_ATTACH_DOORBELL, the daemon waits on
 * the eventfd @a->doorbell while requests are out.
 *
 * Return: 0; -EBADF for a bad fd; -EINVAL for a fd that is not a KVM
 * VM, a doorbell that is not an eventfd, a misaligned or overflowing
 * @a->gpa, an object mapped at a host address that is not 2 MiB
 * aligned, an eventfd below -1, unknown flags, a doorbell without its
 * flag or non-zero reserved fields; -EOPNOTSUPP for KVM write tracking
 * on a kernel without it; -EBUSY if attached already, or being
 * attached; -ENOENT if the memslots do
 * not map page 0 at @a->gpa, map a page twice, leave part of the shared
 * range or of the staging window unmapped or split, map something else
 * than the object in its range, or the VMM has exited; -E2BIG
 * if they map it in more than TE_MAX_SEGS runs; -ENOMEM.
 */
int te_obj_attach(struct te_obj *o, const struct thp_encvm_attach *a)
{
	u64 size = o->l.nr_pages << PAGE_SHIFT;
	struct eventfd_ctx *ev = NULL;
	struct te_bell *bell = NULL;
	struct te_track *track = NULL;
	struct thp_encvm_ring *ring;
	struct te_gmap m;
	struct kvm *kvm;
	unsigned long hva;
	u64 excl_first, excl_count;
	struct fd f;
	bool mine;
	int ret;

	if (a->flags & ~THP_ENCVM_ATTACH_FLAGS || memchr_inv(a->reserved, 0, sizeof(a->reserved)) ||
	    (!(a->flags & THP_ENCVM_ATTACH_DOORBELL) && a->doorbell) ||
	    a->gpa & (THP_ENCVM_WINDOW_SIZE - 1) || a->gpa + size < a->gpa || a->eventfd < -1 ||
	    te_layout_excl(&o->l, a->excl_offset, a->excl_size, &excl_first, &excl_count))
		return -EINVAL;
	if (a->flags & THP_ENCVM_ATTACH_KVM_WRITE_TRACK &&
	    !IS_ENABLED(CONFIG_KVM_EXTERNAL_WRITE_TRACKING))
		return -EOPNOTSUPP;
	f = fdget(a->vm_fd);
	if (!fd_file(f))
		return -EBADF;
	if (!file_is_kvm(fd_file(f))) {
		fdput(f);
		return -EINVAL;
	}
	kvm = fd_file(f)->private_data;
	ret = kvm_get_kvm_safe(kvm) ? 0 : -ENOENT;
	fdput(f);
	if (ret)
		return ret;
	if (a->eventfd >= 0) {
		ev = eventfd_ctx_fdget(a->eventfd);
		if (IS_ERR(ev)) {
			kvm_put_kvm(kvm);
			return PTR_ERR(ev);
		}
	}
	if (a->flags & THP_ENCVM_ATTACH_DOORBELL) {
		bell = te_bell_get(o, a->doorbell);
		if (IS_ERR(bell)) {
			if (ev)
				eventfd_ctx_put(ev);
			kvm_put_kvm(kvm);
			return PTR_ERR(bell);
		}
	}
	/*
	 * One attach at a time, decided before anything is registered: a
	 * loser's page-track notifier would act on the object (and on the
	 * write tracking of the current attachment's collapse).
	 */
	mutex_lock(&o->lock);
	mine = !o->kvm && !o->attaching;
	if (mine)
		o->attaching = true;
	mutex_unlock(&o->lock);
	ret = mine ? te_obj_slot_map(o, kvm, a->gpa, &m, &hva) : -EBUSY;
	/*
	 * Mapped off a 2 MiB boundary, no window could ever be mapped huge
	 * by KVM: each collapse would cost a guest copy for nothing.
	 */
	if (!ret && hva & (THP_ENCVM_WINDOW_SIZE - 1))
		ret = -EINVAL;
	/* Registered before the lock: KVM's notifiers take it. */
	if (!ret && a->flags & THP_ENCVM_ATTACH_KVM_WRITE_TRACK) {
		track = te_track_register(o, kvm, &m);
		ret = PTR_ERR_OR_ZERO(track);
	}
	mutex_lock(&o->lock);
	if (mine)
		o->attaching = false;
	if (ret) {
		mutex_unlock(&o->lock);
		te_bell_put(bell);
		if (ev)
			eventfd_ctx_put(ev);
		kvm_put_kvm(kvm);
		return ret;
	}
	o->kvm = kvm;
	o->notify = ev;
	o->bell = bell;
	o->track = track;
	o->track_lost = false;
	o->gpa = a->gpa;
	o->gmap = m;
	o->hva = hva;
	mmgrab(kvm->mm);
	o->mm = kvm->mm;
	o->abort = false;
	/* The launch: the exclusion range register, then the firmware. */
	o->excl_first = excl_first;
	o->excl_count = excl_count;
	te_fw_launch(o);
	ring = te_ring(o);
	WRITE_ONCE(ring->epoch, ++o->epoch);
	/*
	 * The new epoch before the reset: a guest that reads the same epoch
	 * before and after the producer index read that epoch's index.
	 */
	smp_wmb();
	o->prod = 0;
	WRITE_ONCE(ring->prod, 0);
	WRITE_ONCE(ring->cons, 0);
	WRITE_ONCE(ring->nr_slots, THP_ENCVM_RING_SLOTS);
	/* The guest sees a ready ring only with the magic set. */
	smp_store_release(&ring->magic, THP_ENCVM_RING_MAGIC);
	/* The attachment's reference, dropped by whoever takes @o->kvm. */
	kref_get(&o->ref);
	mutex_lock(&te_objs_lock);
	list_add_tail(&o->list, &te_objs);
	mutex_unlock(&te_objs_lock);
	mutex_unlock(&o->lock);
	te_daemon_kick();
	return 0;
}

/**
 * te_obj_detach() - untie an object from its VM
 * @o: the object
 *
 * A collapse in progress is rolled back first, with guest data intact.
 *
 * Return: 0, or -ENOENT if not attached.
 */
int te_obj_detach(struct te_obj *o)
{
	struct te_attachment a;

	mutex_lock(&o->lock);
	/*
	 * The daemon sees @abort at its next step and rolls back; it claims
	 * no object with @abort set. An attach while this waits (after
	 * another detach took the attachment) clears @abort, so it is set
	 * again each time round.
	 */
	while (o->kvm && READ_ONCE(o->collapsing)) {
		o->abort = true;
		mutex_unlock(&o->lock);
		te_daemon_kick();
		wait_event(o->idle, !READ_ONCE(o->collapsing));
		mutex_lock(&o->lock);
	}
	if (!o->kvm) {
		mutex_unlock(&o->lock);
		return -ENOENT;
	}
	WRITE_ONCE(te_ring(o)->magic, 0);
	te_fw_wipe(o);
	a = te_obj_take(o);
	/* The VM is gone: no exclusion range until the next launch. */
	o->excl_first = 0;
	o->excl_count = 0;
	mutex_unlock(&o->lock);
	te_attachment_put(&a);
	te_obj_put(o);
	return 0;
}

/**
 * te_obj_xfer() - copy between a caller's buffer and the exclusion range
 * @o: the object
 * @x: the request
 *
 * The hypervisor's only way to the guest's data: the exclusion range
 * latched at ATTACH, by guest-physical address, through te_host_page(). The bytes
 * go through a bounce buffer, so that no user fault (which may be on
 * this very object) happens under the object's lock.
 *
 * Return: 0; -EINVAL for a bad length, @write or reserved field;
 * -ENOENT if not attached; -EACCES if any byte lies outside the
 * exclusion range; -EFAULT; -ENOMEM.
 */
int te_obj_xfer(struct te_obj *o, const struct thp_encvm_xfer *x)
{
	void __user *ubuf = u64_to_user_ptr(x->buf);
	u64 first, end, off, done, n;
	int ret = 0;
	u64 page = 0;
	char *buf;

	if (!x->len || x->len > THP_ENCVM_XFER_MAX || x->write > 1 || x->reserved)
		return -EINVAL;
	buf = kvmalloc(x->len, GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!buf)
		return -ENOMEM;
	if (x->write && copy_from_user(buf, ubuf, x->len)) {
		kvfree(buf);
		return -EFAULT;
	}
	mutex_lock(&o->lock);
	/*
	 * The latched exclusion range, inside the shared range, which is
	 * at consecutive gfns (te_obj_slot_map()).
	 */
	first = o->excl_first << PAGE_SHIFT;
	end = (o->excl_first + o->excl_count) << PAGE_SHIFT;
	if (!o->kvm)
		ret = -ENOENT;
	else if (!te_gmap_page(&o->gmap, x->gpa >> PAGE_SHIFT, &page))
		ret = -EACCES;
	off = (page << PAGE_SHIFT) + (x->gpa & ~PAGE_MASK);
	if (!ret && (off < first || off > end || x->len > end - off))
		ret = -EACCES;
	for (done = 0; !ret && done < x->len; done += n) {
		u64 in = (off + done) & ~PAGE_MASK;
		char *p = te_host_page(o, (off + done) >> PAGE_SHIFT);

		/* Checked above; te_host_page() has warned if not. */
		if (!p) {
			ret = -EACCES;
			break;
		}
		n = min_t(u64, PAGE_SIZE - in, x->len - done);
		if (x->write)
			memcpy(p + in, buf + done, n);
		else
			memcpy(buf + done, p + in, n);
	}
	mutex_unlock(&o->lock);
	if (!ret && !x->write && copy_to_user(ubuf, buf, x->len))
		ret = -EFAULT;
	kvfree(buf);
	return ret;
}

/* debugfs hold_ref_at_zap (see thp_encvm_internal.h) */
bool te_hold_ref_at_zap;

/**
 * te_obj_displace() - move one page out of its 2 MiB block
 * @o: the object
 * @d: the request
 *
 * A model of the events that do this to a guest page: a private ->
 * shared -> private conversion, a soft-offline, a NUMA migration. The
 * firmware model moves the contents to a new frame; the home frame
 * stays reserved for the page (not after a soft-offline), so that a
 * collapse can copy it back in place.
 *
 * The page is unmapped before its reference count is checked, as
 * khugepaged and migration do: a kvm_vcpu_map() user that took its
 * reference through the mapping did so before the zap, and is seen;
 * after it, a new reference needs a fault (te_fault() waits on
 * @o->lock; GUP-fast refuses pfnmap entries). A refused page faults
 * in again where it was; on an encrypted object the frame-tweak update
 * begun for it is ended, so @seq of the table is even again. The zap
 * costs a refused page's window its huge mappings: unmapping one page
 * of a window mapped with a PMD clears the whole PMD in the VMM's
 * mapping (a pfnmap PMD is not split into PTEs), and KVM drops its
 * 2 MiB entry through its mmu notifier. Both come back only as the
 * VMM and the guest fault the window in again.
 *
 * Return: 0; -EINVAL for a bad offset, event, node or reserved field,
 * a shared, staging or secret page, or a window without a block; -EBUSY
 * while the daemon works on the object, or while another reference on
 * the page (te_frame_held()) may still write it; -ENOMEM.
 */
int te_obj_displace(struct te_obj *o, const struct thp_encvm_displace *d)
{
	bool migrate = d->event == THP_ENCVM_DISPLACE_MIGRATE;
	u64 i = d->offset >> PAGE_SHIFT, old, to_free = 0;
	u32 hold = READ_ONCE(te_hold_ref);
	bool hold_late = READ_ONCE(te_hold_ref_at_zap);
	struct page *held = NULL;
	struct te_homes h = te_obj_homes(o);
	int node = migrate ? d->node : o->node, ret = 0;
	struct mem_cgroup *memcg;
	struct page *np;

	if (d->offset & ~PAGE_MASK || i >= o->l.nr_pages || d->reserved ||
	    d->event > THP_ENCVM_DISPLACE_MIGRATE || (!migrate && d->node != NUMA_NO_NODE) ||
	    node < 0 || node >= MAX_NUMNODES || !node_online(node))
		return -EINVAL;
	if (te_page_shared(&o->l, i) || i - o->l.staging_first < TE_WIN_PAGES ||
	    (o->enc && i == o->l.secret_page))
		return -EINVAL;
	memcg = set_active_memcg(o->memcg);
	np = alloc_pages_node(node, GFP_KERNEL_ACCOUNT | __GFP_THISNODE | __GFP_NOWARN, 0);
	set_active_memcg(memcg);
	if (!np)
		return -ENOMEM;
	atomic64_inc(&te_stats.frames);
	mutex_lock(&o->lock);
	/* @home changes under the lock (te_home_finish()). */
	if (!o->home[i / TE_WIN_PAGES]) {
		ret = -EINVAL;
		goto out;
	}
	if (READ_ONCE(o->collapsing)) {
		ret = -EBUSY;
		goto out;
	}
	old = o->pfn[i];
	/*
	 * debugfs hold_ref: a kvm_vcpu_map() user of the page, say, that
	 * took its reference before DISPLACE began, or (hold_ref_at_zap)
	 * through the mapping, right before the zap.
	 */
	if (hold == i % TE_WIN_PAGES + 1 && !hold_late) {
		held = pfn_to_page(old);
		get_page(held);
	}
	/* No mapping while the contents move: accesses wait in the fault. */
	te_fw_tweaks_begin(o);
	if (hold == i % TE_WIN_PAGES + 1 && hold_late) {
		held = pfn_to_page(old);
		get_page(held);
	}
	te_obj_zap(o, i, 1);
	/*
	 * Another holder may still write it: nothing moves, nothing is
	 * scrubbed; the page faults in again, in the same frame.
	 */
	if (te_frame_held(old)) {
		te_fw_tweaks_end(o);
		ret = -EBUSY;
		goto out;
	}
	te_fw_move(o, page_to_pfn(np), old);
	/* A home frame stays reserved; another frame goes. */
	to_free = te_home_displace(&h, i, page_to_pfn(np),
				   d->event == THP_ENCVM_DISPLACE_SOFT_OFFLINE);
	te_fw_tweaks_update(o, i, 1);
	te_fw_tweaks_end(o);
	np = NULL;
out:
	mutex_unlock(&o->lock);
	if (held)
		put_page(held);
	if (np)
		te_frame_free(page_to_pfn(np), NULL);
	if (to_free)
		te_frame_free(to_free, NULL);
	return ret;
}

/* A mapping of an object, as te_obj_remap() replaces it. */
struct te_obj_vma {
	unsigned long start, end, pgoff, prot;
	vm_flags_t keep;
	struct file *file;
};

/* What a mapping's replacement keeps of the VMM's madvise() calls. */
#define TE_REMAP_KEEP	(VM_DONTCOPY | VM_HUGEPAGE | VM_NOHUGEPAGE)

/*
 * The first mapping of @o in @mm from @start on: its range, offset,
 * protection, flags to keep, and file (a reference). Returns false if
 * there is none.
 */
static bool te_obj_next_vma(struct te_obj *o, struct mm_struct *mm,
			    unsigned long start, struct te_obj_vma *v)
{
	struct vm_area_struct *vma;

	mmap_assert_locked(mm);
	for (vma = find_vma(mm, start); vma; vma = find_vma(mm, vma->vm_end)) {
		if (!vma->vm_file || vma->vm_file->f_mapping != o->mapping)
			continue;
		v->start = vma->vm_start;
		v->end = vma->vm_end;
		v->pgoff = vma->vm_pgoff;
		v->prot = (vma->vm_flags & VM_READ ? PROT_READ : 0) |
			  (vma->vm_flags & VM_WRITE ? PROT_WRITE : 0) |
			  (vma->vm_flags & VM_EXEC ? PROT_EXEC : 0);
		v->keep = vma->vm_flags & TE_REMAP_KEEP;
		v->file = get_file(vma->vm_file);
		return true;
	}
	return false;
}

/**
 * te_obj_remap() - replace the caller's mappings of an object
 * @o: the object
 *
 * A collapsed window is unmapped, but its empty 4 KiB page table stays,
 * and a fault under a page table never takes the PMD path; only an
 * unmap frees it, and no exported helper does that within a VMA in
 * 6.12. So the VMM asks for it, in its own context, when the object's
 * remap_pending count says windows were collapsed: each VMA of the
 * object in its mm is replaced whole, by a fresh mapping of the same
 * file, offset and protection (MAP_FIXED), which keeps the VMM's
 * MADV_DONTFORK and MADV_[NO]HUGEPAGE (te_obj_mmap() sets them, so
 * the new VMA has them from the start), and the number of VMAs. The
 * daemon never changes an address space; like any mmap(MAP_FIXED) of
 * the VMM, this one must not race the VMM's own changes to the range.
 * The VMAs' memory policies are not kept (the object's node decides
 * where its pages are), nor mlock() (VM_LOCKED) or a userfaultfd
 * registration: the new VMA has neither.
 *
 * Return: the number of mappings replaced, or a negative errno (-EINTR
 * on a fatal signal, or vm_mmap()'s, e.g. -EPERM for a sealed mapping);
 * remap_pending drops only when the caller is the attached VMM (its mm
 * is the VM's), every mapping was replaced, and at least one was: a
 * caller with no mapping of the object, or another process, leaves it.
 */
int te_obj_remap(struct te_obj *o)
{
	struct mm_struct *mm = current->mm;
	unsigned long start = 0, addr;
	struct te_obj_vma v;
	u32 pending;
	bool found;
	int n = 0;

	mutex_lock(&o->remap_lock);
	mutex_lock(&o->lock);
	pending = o->remap_pending;
	mutex_unlock(&o->lock);
	while (pending && n >= 0) {
		if (mmap_read_lock_killable(mm)) {
			n = -EINTR;
			break;
		}
		found = te_obj_next_vma(o, mm, start, &v);
		mmap_read_unlock(mm);
		if (!found)
			break;
		mutex_lock(&o->lock);
		o->remap_mm = mm;
		o->remap_start = v.start;
		o->remap_keep = v.keep;
		mutex_unlock(&o->lock);
		addr = vm_mmap(v.file, v.start, v.end - v.start, v.prot,
			       MAP_SHARED | MAP_FIXED, v.pgoff << PAGE_SHIFT);
		mutex_lock(&o->lock);
		o->remap_mm = NULL;
		mutex_unlock(&o->lock);
		fput(v.file);
		if (IS_ERR_VALUE(addr))
			n = (int)addr;
		else
			n++;
		start = v.end;
	}
	/*
	 * The count is per object, the mappings per mm, and it is the
	 * VMM's memslot mapping that KVM maps huge through: only the
	 * attached VMM's call (the VM's mm) takes it down, and only when
	 * it replaced a mapping. Another process (a child, one that
	 * opened the object by path) replaces its own mappings and leaves
	 * the count for the VMM.
	 */
	if (pending && n > 0) {
		mutex_lock(&o->lock);
		if (mm == o->mm)
			o->remap_pending -= pending;
		mutex_unlock(&o->lock);
	}
	mutex_unlock(&o->remap_lock);
	return n;
}

/**
 * te_obj_info() - the state of an object, for THP_ENCVM_IOC_INFO
 * @o: the object
 * @info: filled in whole (zeroed first)
 *
 * A snapshot under @o->lock: size, attachment, windows (eligible ones
 * as the daemon's scan would see them), collapses and rollbacks,
 * displaced pages, remap_pending and the encryption state.
 */
void te_obj_info(struct te_obj *o, struct thp_encvm_info *info)
{
	u64 w, nr = o->l.nr_pages / TE_WIN_PAGES;
	enum te_window_kind kind;

	memset(info, 0, sizeof(*info));
	mutex_lock(&o->lock);
	info->size = o->l.nr_pages << PAGE_SHIFT;
	info->gpa = o->kvm ? o->gpa : 0;
	info->state = o->kvm ? THP_ENCVM_ATTACHED : THP_ENCVM_DETACHED;
	info->windows = nr;
	for (w = 0; w < nr; w++) {
		kind = te_window_classify(&o->l, o->pfn, o->touched, w, TE_WIN_PAGES);
		if (kind == TE_WIN_HUGE)
			info->huge++;
		if (kind == TE_WIN_STAGING || kind == TE_WIN_SHARED)
			continue;
		/*
		 * Attached, a window counts only if the memslots map it at
		 * consecutive guest-physical addresses, 2 MiB aligned:
		 * none with a page no memslot maps, none across a hole
		 * between memslots, none KVM could not map huge.
		 */
		if (!o->kvm ||
		    te_gmap_span(&o->gmap, w * TE_WIN_PAGES, TE_WIN_PAGES) == TE_SPAN_ONE)
			info->eligible++;
	}
	info->collapses = o->collapses;
	info->aborts = o->aborts;
	info->attach_flags = (o->track ? THP_ENCVM_ATTACH_KVM_WRITE_TRACK : 0) |
			     (o->bell ? THP_ENCVM_ATTACH_DOORBELL : 0);
	info->displaced = bitmap_weight(o->away, o->l.nr_pages);
	info->remap_pending = o->remap_pending;
	info->enc_state = (o->enc ? THP_ENCVM_ENC_ENCRYPTED : 0) |
			  (te_fw_loaded(o->enc) ? THP_ENCVM_ENC_KEY : 0);
	mutex_unlock(&o->lock);
}

/* ---- faults ------------------------------------------------------------ */

static struct te_obj *vma_obj(struct vm_area_struct *vma)
{
	return vma->vm_file->private_data;
}

/* debugfs fault_unmap: kernel faults left to unmap again (see te_fault()). */
u32 te_fault_unmap;

static bool te_fault_unmap_take(void)
{
	u32 n = READ_ONCE(te_fault_unmap), old;

	while (n) {
		old = cmpxchg(&te_fault_unmap, n, n - 1);
		if (old == n)
			return true;
		n = old;
	}
	return false;
}

/*
 * Is this fault KVM's, for a vCPU of @o's VM running the guest: made
 * inside KVM_RUN, where KVM marks the vCPU running on this CPU
 * (kvm_get_running_vcpu()) and wanting to run? x86 loads the vCPU for
 * every vCPU ioctl, so the running vCPU alone would also let a
 * KVM_GET_MSRS whose buffer is the secret fault it in for the VMM.
 * The caller holds @o->lock.
 */
static bool te_fault_for_guest(struct te_obj *o)
{
	struct kvm_vcpu *vcpu = kvm_get_running_vcpu();

	lockdep_assert_held(&o->lock);
	return vcpu && o->kvm && vcpu->kvm == o->kvm && READ_ONCE(vcpu->wants_to_run);
}

static vm_fault_t te_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct te_obj *o = vma_obj(vma);
	pgoff_t i = vmf->pgoff;
	pgprot_t prot;
	vm_fault_t ret;
	bool secret;

	if (i >= o->l.nr_pages)
		return VM_FAULT_SIGBUS;
	mutex_lock(&o->lock);
	/*
	 * The launch-secret page is for the guest while it holds a key:
	 * only KVM's faults on it for a vCPU of the object's VM map it
	 * (te_fault_for_guest()); the VMM's own do not, user-mode (a load)
	 * or kernel-mode (write(2) from it). Only the firmware writes it:
	 * it is mapped read-only, and ->pfn_mkwrite refuses every write,
	 * KVM's and the VMM's. GUP (process_vm_writev(), /proc/pid/mem)
	 * never reaches it: the mapping is VM_PFNMAP, with no ->access.
	 * (KVM's fault maps it in the VMM's page table, where the VMM can
	 * read it then: see the uapi header.)
	 */
	secret = i == o->l.secret_page && te_fw_loaded(o->enc);
	if (secret && (vmf->flags & FAULT_FLAG_USER || !te_fault_for_guest(o))) {
		mutex_unlock(&o->lock);
		return VM_FAULT_SIGBUS;
	}
	__set_bit(i, o->touched);
	if (i - o->l.staging_first < TE_WIN_PAGES)
		o->staging_mapped = true;
	if (test_bit(i, o->wp) || secret) {
		/* Read-only: a write comes back through ->pfn_mkwrite. */
		prot = vma->vm_page_prot;
	} else {
		prot = vm_get_page_prot(vma->vm_flags);
	}
	ret = vmf_insert_pfn_prot(vma, vmf->address, o->pfn[i], prot);
	mutex_unlock(&o->lock);
	/*
	 * debugfs fault_unmap: a kernel fault (KVM's fixup_user_fault())
	 * finds its page unmapped again right after, as when the daemon's
	 * zap comes between KVM's fault and its second look at the page
	 * table, which then fails KVM_RUN with EFAULT.
	 */
	if (ret == VM_FAULT_NOPAGE && !(vmf->flags & FAULT_FLAG_USER) &&
	    te_fault_unmap_take())
		zap_vma_ptes(vma, vmf->address & PAGE_MASK, PAGE_SIZE);
	return ret;
}

static vm_fault_t te_pfn_mkwrite(struct vm_fault *vmf)
{
	struct te_obj *o = vma_obj(vmf->vma);
	pgoff_t i = vmf->pgoff;
	vm_fault_t ret = 0;

	if (i >= o->l.nr_pages)
		return VM_FAULT_SIGBUS;
	mutex_lock(&o->lock);
	if (pte_pfn(vmf->orig_pte) != o->pfn[i])
		ret = VM_FAULT_NOPAGE;	/* switched under us: refault */
	else if (i == o->l.secret_page && te_fw_loaded(o->enc))
		ret = VM_FAULT_SIGBUS;	/* only the firmware writes it */
	else if (test_bit(i, o->wp))
		__set_bit(i, o->dirty);
	mutex_unlock(&o->lock);
	return ret;
}

/* A whole window that is one aligned host page is mapped with a PMD. */
static vm_fault_t te_huge_fault(struct vm_fault *vmf, unsigned int order)
{
	struct vm_area_struct *vma = vmf->vma;
	struct te_obj *o = vma_obj(vma);
	unsigned long addr = vmf->address & PMD_MASK;
	pgoff_t first;
	vm_fault_t ret = VM_FAULT_FALLBACK;

	if (order != PMD_ORDER || addr < vma->vm_start ||
	    addr + PMD_SIZE > vma->vm_end)
		return VM_FAULT_FALLBACK;
	first = vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT);
	if (first % TE_WIN_PAGES || first >= o->l.nr_pages)
		return VM_FAULT_FALLBACK;
	/* The secret page's window: its page is mapped alone, read-only. */
	if (o->enc && o->l.secret_page - first < TE_WIN_PAGES)
		return VM_FAULT_FALLBACK;
	mutex_lock(&o->lock);
	if (te_pfns_huge(o->pfn + first) &&
	    find_next_bit(o->wp, first + TE_WIN_PAGES, first) >= first + TE_WIN_PAGES) {
		bitmap_set(o->touched, first, TE_WIN_PAGES);
		if (first == o->l.staging_first)
			o->staging_mapped = true;
		ret = vmf_insert_pfn_pmd(vmf, __pfn_to_pfn_t(o->pfn[first], PFN_DEV),
					 true);
	}
	mutex_unlock(&o->lock);
	return ret;
}

static const struct vm_operations_struct te_vm_ops = {
	.fault = te_fault,
	.huge_fault = te_huge_fault,
	.pfn_mkwrite = te_pfn_mkwrite,
};

static int te_obj_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct te_obj *o = file->private_data;
	u64 pages = vma_pages(vma);

	/*
	 * A private pfnmap cannot be copied on write. A shared mapping of
	 * a read-only file is fine: it can never be made writable.
	 */
	if (is_cow_mapping(vma->vm_flags))
		return -EINVAL;
	if (vma->vm_pgoff >= o->l.nr_pages || pages > o->l.nr_pages - vma->vm_pgoff)
		return -EINVAL;
	vm_flags_set(vma, VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP);
	/* te_obj_remap()'s replacement keeps the old mapping's madvise(). */
	mutex_lock(&o->lock);
	if (o->remap_mm == current->mm && o->remap_start == vma->vm_start)
		vm_flags_set(vma, o->remap_keep);
	mutex_unlock(&o->lock);
	vma->vm_ops = &te_vm_ops;
	return 0;
}

static long te_obj_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	return te_obj_dev_ioctl(file->private_data, file->f_mode, cmd,
				(void __user *)arg);
}

/* lseek(SEEK_END) gives the size, as for a file (QEMU's mem-path). */
static loff_t te_obj_llseek(struct file *file, loff_t offset, int whence)
{
	return fixed_size_llseek(file, offset, whence,
				 i_size_read(file_inode(file)));
}

/*
 * Every file of an object, the first and those opened by path. An open
 * by path has passed may_open(): the inode's mode, 0600 and owned by
 * the object's creator, decides who may open it and how.
 */
static const struct file_operations te_obj_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.mmap = te_obj_mmap,
	.get_unmapped_area = thp_get_unmapped_area,
	.unlocked_ioctl = te_obj_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = te_obj_llseek,
};

/* The mode, owner and size of an object never change. */
static int te_obj_setattr(struct mnt_idmap *idmap, struct dentry *dentry,
			  struct iattr *attr)
{
	return -EOPNOTSUPP;
}

static const struct inode_operations te_obj_iops = {
	.setattr = te_obj_setattr,
};

/* ---- the objects' filesystem -------------------------------------------- */

/*
 * The last file and mapping of an object are gone: detach it, then
 * drop the inode's reference. The root inode has no object.
 */
static void te_evict_inode(struct inode *inode)
{
	struct te_obj *o = inode->i_private;

	if (o)
		te_obj_detach(o);
	truncate_inode_pages_final(&inode->i_data);
	clear_inode(inode);
	if (o)
		te_obj_put(o);
}

static const struct super_operations te_sops = {
	.statfs = simple_statfs,
	.drop_inode = generic_delete_inode,
	.evict_inode = te_evict_inode,
};

/* What /proc/<pid>/fd and /proc/<pid>/maps show: thp_encvm:[<id>]. */
static char *te_dname(struct dentry *dentry, char *buf, int len)
{
	char name[32];
	int n;

	/* The name is the object's id; d_dname fills the buffer's end. */
	n = snprintf(name, sizeof(name), "thp_encvm:[%s]", dentry->d_name.name) + 1;
	if (n > sizeof(name) || n > len)
		return ERR_PTR(-ENAMETOOLONG);
	return memcpy(buf + len - n, name, n);
}

static const struct dentry_operations te_dops = {
	.d_dname = te_dname,
};

static int te_init_fs_context(struct fs_context *fc)
{
	struct pseudo_fs_context *ctx = init_pseudo(fc, THP_ENCVM_MAGIC);

	if (!ctx)
		return -ENOMEM;
	ctx->ops = &te_sops;
	ctx->dops = &te_dops;
	return 0;
}

/* Never registered, so never mounted from user space. */
static struct file_system_type te_fs_type = {
	.owner = THIS_MODULE,
	.name = "thp_encvm",
	.init_fs_context = te_init_fs_context,
	.kill_sb = kill_anon_super,
};
