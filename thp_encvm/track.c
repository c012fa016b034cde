// SPDX-License-Identifier: GPL-2.0
/*
 * thp_encvm write tracking through KVM (THP_ENCVM_ATTACH_KVM_WRITE_TRACK).
 *
 * By default a page being copied is write-protected in the host
 * mapping: every writer, the guest, KVM or the VMM, reaches
 * ->pfn_mkwrite. The price is that KVM's mmu notifier drops the NPT
 * entries, read access included, so the guest's copy faults once per
 * source page. When only the guest writes the object's private memory,
 * as with an encrypted guest, the pages can instead be write-tracked by
 * KVM itself (its external write tracking, as KVMGT uses for GPU page
 * tables): KVM makes the NPT entries read-only in place, a guest write
 * is emulated and reported to te_track_write() once it is done, and
 * the copy reads the source pages without exits.
 *
 * Because the report comes after the write, a page is switched only
 * after a fence (collapse.c): its host mapping is zapped, so that later
 * writes fault into ->pfn_mkwrite first, and kvm->srcu is synchronized,
 * so that every write emulated before the zap has been reported.
 *
 * The object's @ktrack bitmap records the gfns it added to KVM's
 * tracking, under the object's lock, like KVMGT's table: a memslot
 * deletion (te_track_remove_region()) drops them, and the collapse in
 * progress rolls back. KVM refuses KVM_MR_MOVE while an external
 * notifier is registered, so a memslot cannot take the tracking
 * elsewhere silently. A page written during its copy leaves the
 * tracking until its next copy is requested.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kvm_host.h>
#include <linux/kthread.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include <asm/kvm_para.h>
#include <asm/pvclock-abi.h>

#include "thp_encvm_internal.h"

#ifdef CONFIG_KVM_EXTERNAL_WRITE_TRACKING

/**
 * struct te_track - an object's KVM page-track notifier
 * @node: registered with KVM while the object is attached
 * @o: the object (outlives the registration)
 * @map: where the memslots map the object's pages, as at attach
 */
struct te_track {
	struct kvm_page_track_notifier_node node;
	struct te_obj *o;
	struct te_gmap map;
};

static struct te_track *to_track(struct kvm_page_track_notifier_node *node)
{
	return container_of(node, struct te_track, node);
}

static void te_track_drop(struct te_obj *o, u64 page);

/*
 * A guest write to a tracked page was emulated: mark it dirty if it is
 * being copied. Either way its tracking goes: a dirty page until it is
 * copied again, a switched one for good. KVM emulates every write to a
 * tracked page, and a guest filling the page word by word would
 * otherwise exit on each word.
 */
static void te_track_write(gpa_t gpa, const u8 *new, int bytes,
			   struct kvm_page_track_notifier_node *node)
{
	struct te_track *t = to_track(node);
	struct te_obj *o = t->o;
	u64 gfn, page;

	if (bytes <= 0)
		return;
	mutex_lock(&o->lock);
	for (gfn = gpa >> PAGE_SHIFT; gfn <= (gpa + bytes - 1) >> PAGE_SHIFT; gfn++) {
		if (!te_gmap_page(&t->map, gfn, &page))
			continue;
		if (test_bit(page, o->wp))
			__set_bit(page, o->dirty);
		te_track_drop(o, page);
	}
	mutex_unlock(&o->lock);
}

/* A memslot went, and KVM's tracking of its gfns with it. */
static void te_track_remove_region(gfn_t gfn, unsigned long nr_pages,
				   struct kvm_page_track_notifier_node *node)
{
	struct te_track *t = to_track(node);
	struct te_obj *o = t->o;
	const struct te_seg *sg;
	u64 lo, hi, first;
	unsigned int i;

	mutex_lock(&o->lock);
	for (i = 0; i < t->map.nr; i++) {
		sg = &t->map.seg[i];
		lo = max_t(u64, gfn, sg->gfn);
		hi = min_t(u64, gfn + nr_pages, sg->gfn + sg->n);
		if (lo >= hi)
			continue;
		first = sg->first + (lo - sg->gfn);
		if (find_next_bit(o->ktrack, first + (hi - lo), first) < first + (hi - lo)) {
			bitmap_clear(o->ktrack, first, hi - lo);
			o->track_lost = true;
		}
	}
	mutex_unlock(&o->lock);
}

struct te_track_reg {
	struct work_struct work;
	struct kvm *kvm;
	struct te_track *t;
	int ret;
};

/*
 * The first registration on a VM walks its memslots, which takes
 * kvm->srcu or slots_lock; KVM takes neither there. Its memslot updates
 * drop slots_arch_lock before synchronizing kvm->srcu, so that lock may
 * be taken within it.
 */
static int te_track_register_notifier(struct kvm *kvm, struct te_track *t)
{
	int idx, ret;

	idx = srcu_read_lock(&kvm->srcu);
	ret = kvm_page_track_register_notifier(kvm, &t->node);
	srcu_read_unlock(&kvm->srcu, idx);
	return ret;
}

/* KVM registers page-track notifiers only from the VM's own mm. */
static void te_track_reg_work(struct work_struct *work)
{
	struct te_track_reg *r = container_of(work, struct te_track_reg, work);
	struct mm_struct *mm = r->kvm->mm;

	r->ret = -ENOENT;	/* the VMM has exited */
	if (!mmget_not_zero(mm))
		return;
	kthread_use_mm(mm);
	r->ret = te_track_register_notifier(r->kvm, r->t);
	kthread_unuse_mm(mm);
	mmput(mm);
}

/**
 * te_track_register() - track an object's guest writes through KVM
 * @o: the object, not attached yet
 * @kvm: the VM it is being attached to, referenced by the caller
 * @m: where the VM's memslots map the object's pages (te_obj_gmap())
 *
 * The caller need not be the VMM: from another process the notifier
 * is registered by a worker that borrows the VM's mm.
 *
 * Return: the registration, or an ERR_PTR: -ENOMEM, or -ENOENT if the
 * VMM has exited.
 */
struct te_track *te_track_register(struct te_obj *o, struct kvm *kvm,
				   const struct te_gmap *m)
{
	struct te_track_reg r = { .kvm = kvm };
	struct te_track *t;

	t = kzalloc(sizeof(*t), GFP_KERNEL_ACCOUNT);
	if (!t)
		return ERR_PTR(-ENOMEM);
	t->o = o;
	t->map = *m;
	t->node.track_write = te_track_write;
	t->node.track_remove_region = te_track_remove_region;
	r.t = t;
	if (current->mm == kvm->mm) {
		r.ret = te_track_register_notifier(kvm, t);
	} else {
		INIT_WORK_ONSTACK(&r.work, te_track_reg_work);
		schedule_work(&r.work);
		flush_work(&r.work);
		destroy_work_on_stack(&r.work);
	}
	if (r.ret) {
		kfree(t);
		return ERR_PTR(r.ret);
	}
	return t;
}

/**
 * te_track_unregister() - undo te_track_register()
 * @kvm: the VM
 * @t: the registration
 *
 * Called without the object's lock: this waits for the notifiers that
 * are running, and they take it. Only a detach unregisters (an attach
 * that loses never registered: te_obj_attach()), after the daemon's
 * collapse rolled back or completed, which released every gfn it had
 * tracked: none may be tracked any more.
 */
void te_track_unregister(struct kvm *kvm, struct te_track *t)
{
	WARN_ON_ONCE(find_first_bit(t->o->ktrack, t->o->l.nr_pages) < t->o->l.nr_pages);
	kvm_page_track_unregister_notifier(kvm, &t->node);
	kfree(t);
}

/*
 * Add or remove KVM's write tracking of page @page, if the memslot at
 * its gfn is still the object's mapping: under kvm->srcu, a memslot
 * cannot change between that check and KVM's own lookup.
 */
static int te_track_gfn(struct te_obj *o, u64 page, bool add)
{
	int idx, ret = -ENOENT;
	u64 gfn;

	lockdep_assert_held(&o->lock);
	if (!te_gmap_gfn(&o->track->map, page, &gfn))
		return ret;
	idx = srcu_read_lock(&o->kvm->srcu);
	if (gfn_to_hva(o->kvm, gfn) == o->hva + (page << PAGE_SHIFT))
		ret = add ? kvm_write_track_add_gfn(o->kvm, gfn) :
			    kvm_write_track_remove_gfn(o->kvm, gfn);
	srcu_read_unlock(&o->kvm->srcu, idx);
	return ret;
}

/**
 * te_track_page() - have KVM report the guest's writes to a page
 * @o: the object, attached with KVM write tracking, locked
 * @page: the page
 *
 * Return: 0, or -ENOENT if the object's memslot is gone, or was recreated
 * at another address.
 */
int te_track_page(struct te_obj *o, u64 page)
{
	int ret;

	lockdep_assert_held(&o->lock);
	if (test_bit(page, o->ktrack))
		return 0;
	ret = te_track_gfn(o, page, true);
	if (ret) {
		o->track_lost = true;
		return ret;
	}
	__set_bit(page, o->ktrack);
	return 0;
}

/**
 * te_track_sync() - wait for the reports of writes KVM emulated so far
 * @o: the object, attached with KVM write tracking
 *
 * KVM emulates a write and reports it within kvm->srcu; after a grace
 * period, every write emulated before the call has marked its page.
 */
void te_track_sync(struct te_obj *o)
{
	synchronize_srcu_expedited(&o->kvm->srcu);
}

/* Stop KVM's tracking of @page, if the object tracks it; locked. */
static void te_track_drop(struct te_obj *o, u64 page)
{
	lockdep_assert_held(&o->lock);
	if (!o->kvm || !test_bit(page, o->ktrack))
		return;
	__clear_bit(page, o->ktrack);
	/*
	 * KVM refuses to move a memslot while the notifier is registered,
	 * and a deleted one cleared its bits in te_track_remove_region():
	 * the check in te_track_gfn() is only a guard.
	 */
	te_track_gfn(o, page, false);
}

/**
 * te_track_release() - stop KVM's tracking of an object's pages
 * @o: the object, attached with KVM write tracking
 * @first: first page
 * @n: number of pages
 *
 * Pages KVM dropped with a memslot are skipped. Untracked pages may
 * be mapped huge by KVM again.
 */
void te_track_release(struct te_obj *o, u64 first, u64 n)
{
	u64 i = first, end = first + n;

	mutex_lock(&o->lock);
	for_each_set_bit_from(i, o->ktrack, end)
		te_track_drop(o, i);
	mutex_unlock(&o->lock);
}

/* Does [@gpa, @gpa + @len) overlap [@lo, @hi)? */
static bool gpa_overlaps(u64 gpa, u64 len, u64 lo, u64 hi)
{
	return gpa < hi && gpa + len > lo;
}

/* Does KVM itself write into [@lo, @hi) of @kvm's guest memory? */
static bool kvm_writes_gpa(struct kvm *kvm, u64 lo, u64 hi)
{
	struct kvm_vcpu *vcpu;
	unsigned long i;
	u64 v;

	v = READ_ONCE(kvm->arch.wall_clock);
	if (v && gpa_overlaps(v, sizeof(struct pvclock_wall_clock), lo, hi))
		return true;
	kvm_for_each_vcpu(i, vcpu, kvm) {
		v = READ_ONCE(vcpu->arch.st.msr_val);
		if ((v & KVM_MSR_ENABLED) &&
		    gpa_overlaps(v & KVM_STEAL_VALID_BITS,
				 sizeof(struct kvm_steal_time), lo, hi))
			return true;
		v = READ_ONCE(vcpu->arch.time);
		if ((v & 1) && gpa_overlaps(v & ~1ULL,
					    sizeof(struct pvclock_vcpu_time_info),
					    lo, hi))
			return true;
		v = READ_ONCE(vcpu->arch.pv_eoi.msr_val);
		if ((v & KVM_MSR_ENABLED) &&
		    gpa_overlaps(v & ~(u64)KVM_MSR_ENABLED, sizeof(u32), lo, hi))
			return true;
		v = READ_ONCE(vcpu->arch.apf.msr_en_val);
		if ((v & KVM_ASYNC_PF_ENABLED) &&
		    gpa_overlaps(v & ~0x3fULL,
				 sizeof(struct kvm_vcpu_pv_apf_data), lo, hi))
			return true;
	}
	return false;
}

/**
 * te_track_kvm_writes() - does KVM itself write some of these pages?
 * @o: the object, attached with KVM write tracking, claimed by the
 *     daemon (so @o->kvm stays)
 * @first: first page
 * @n: number of pages
 *
 * KVM writes some guest memory itself, at addresses the guest (or the
 * VMM) registered with an MSR: each vCPU's steal time, kvmclock
 * (pvclock), PV EOI flag and async page fault data, and the VM's wall
 * clock. These writes bypass KVM's write tracking, so a page holding
 * one must not be copied in this mode. The MSR values are read without
 * KVM's locks: each is one aligned word, written by its vCPU's thread,
 * and the caller checks again before any page switches.
 *
 * Return: true if a registered area overlaps the pages.
 */
bool te_track_kvm_writes(struct te_obj *o, u64 first, u64 n)
{
	const struct te_seg *sg;
	unsigned int i;
	u64 lo, hi;

	for (i = 0; i < o->gmap.nr; i++) {
		sg = &o->gmap.seg[i];
		lo = max(first, sg->first);
		hi = min(first + n, sg->first + sg->n);
		if (lo < hi &&
		    kvm_writes_gpa(o->kvm, (sg->gfn + lo - sg->first) << PAGE_SHIFT,
				   (sg->gfn + hi - sg->first) << PAGE_SHIFT))
			return true;
	}
	return false;
}

#endif /* CONFIG_KVM_EXTERNAL_WRITE_TRACKING */
