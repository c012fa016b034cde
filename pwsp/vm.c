// SPDX-License-Identifier: GPL-2.0
/*
 * pwsp sessions: one /dev/pwsp file attached to one VM.
 *
 * In enforcement mode (KVM's shadow MMU) the session registers a KVM
 * page-track notifier and write-tracks every V page: KVM emulates each
 * guest write to one and then calls pwsp_track_write() in the vCPU's
 * context, within kvm->srcu and the notifier list's SRCU, with no
 * spinlock held. There the write is verified (sleeping on the session's
 * mutex, reading guest memory with kvm_read_guest()) and a refused entry
 * is repaired with a compare-and-exchange on the VMM's mapping of the
 * frame (pwsp_op_cmpxchg()) before the vCPU runs on; KVM then drops its
 * shadow entries for the written entry, as for any tracked write.
 *
 * In audit mode (two-dimensional paging) nothing is tracked: the VMM
 * asks for a verification (PWSP_IOC_VERIFY). A PWSP_ATTACH_TRACK_ONLY
 * session tracks in either mode and verifies no write: the benchmark's
 * baseline, and the probe of what tracking costs under NPT.
 *
 * The CR3 check runs on KVM's kvm_entry tracepoint, before each entry
 * into the guest, with interrupts off: it only compares the vCPU's CR3
 * with the protected roots under a spinlock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kvm_host.h>
#include <linux/kthread.h>
#include <linux/rculist.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/tracepoint.h>
#include <linux/workqueue.h>
#include <asm/kvm_page_track.h>

#include "pwsp_internal.h"
#include "trace.h"

#ifndef CONFIG_KVM_EXTERNAL_WRITE_TRACKING
#error "pwsp needs CONFIG_KVM_EXTERNAL_WRITE_TRACKING"
#endif

#define PWSP_CR3_ADDR	(((1ULL << 52) - 1) & ~0xfffULL)

/* struct pwsp_vm.unseen[] */
#define PWSP_UNSEEN_CPUID_OK	1	/* no SVM, VMX in the CPUID */
#define PWSP_UNSEEN_REPORTED	2	/* reported: not checked again */

/**
 * struct pwsp_vm - a session
 * @lock: serializes the core and the attachment
 * @kvm: the VM, referenced, or NULL before ATTACH
 * @core: the protected trees
 * @node: KVM page-track notifier (enforcement mode)
 * @tracking: @node is registered
 * @mode: PWSP_MODE_*
 * @flags: PWSP_ATTACH_*
 * @efd: eventfd signalled on violations, or NULL
 * @link: in pwsp_vms, for the CR3 check
 * @slock: @roots, @last_cr3, the log and @st; taken with interrupts off
 * @roots: the protected roots' gpas, for the CR3 check
 * @nr_roots: entries in @roots
 * @last_cr3: per vCPU, the CR3 seen at its last entry
 * @unseen: per vCPU, PWSP_UNSEEN_* (see pwsp_unseen_check())
 * @log: ring of @log_size violations
 * @log_size: its size
 * @log_head: oldest entry
 * @log_count: entries in it
 * @seq: last sequence number given
 * @lost: entries dropped since the last read
 * @st: the session's counters (pages_v and roots filled on read)
 * @rip: RIP of the vCPU whose write is being verified
 * @vcpu: its index, or -1
 * @nviol: violations of the write being verified
 * @recheck: the periodic verification (enforcement mode), see
 *	     pwsp_recheck_work()
 */
struct pwsp_vm {
	struct mutex lock;
	struct kvm *kvm;
	struct pwsp_core core;
	struct kvm_page_track_notifier_node node;
	bool tracking;
	int mode;
	u32 flags;
	struct eventfd_ctx *efd;
	struct list_head link;
	spinlock_t slock;
	u64 roots[PWSP_MAX_ROOTS];
	u32 nr_roots;
	u64 last_cr3[PWSP_CR3_SLOTS];
	u8 unseen[PWSP_CR3_SLOTS];
	struct pwsp_log_entry *log;
	u32 log_size, log_head, log_count;
	u64 seq, lost;
	struct pwsp_stats st;
	u64 rip;
	int vcpu;
	unsigned int nviol;
	struct delayed_work recheck;
};

static LIST_HEAD(pwsp_vms);
static DEFINE_MUTEX(pwsp_vms_lock);

/* Record a violation: counters, log, tracepoint, eventfd. */
static void pwsp_report(struct pwsp_vm *v, const struct pwsp_log_entry *e)
{
	unsigned long flags;
	struct pwsp_log_entry *slot;

	atomic64_inc(&pwsp_cnt.violations[e->reason]);
	spin_lock_irqsave(&v->slock, flags);
	v->st.violations++;
	v->st.by_reason[e->reason]++;
	if (v->log_count == v->log_size) {
		v->lost++;
	} else {
		slot = &v->log[(v->log_head + v->log_count++) % v->log_size];
		*slot = *e;
		slot->seq = ++v->seq;
	}
	spin_unlock_irqrestore(&v->slock, flags);
	trace_pwsp_violation(e->gpa, e->old_val, e->new_val, e->reason, e->rip,
			     e->flags & PWSP_LOG_REVERTED);
	if (v->efd)
		eventfd_signal(v->efd);
}

/* --- the core's host operations ------------------------------------- */

/* The memslots the operations use are kvm->srcu's. */
#define pwsp_assert_srcu(v)						\
	RCU_LOCKDEP_WARN(!srcu_read_lock_held(&(v)->kvm->srcu),		\
			 "pwsp: guest memory access outside kvm->srcu")

/* The core runs under the session's lock, within kvm->srcu. */
static int pwsp_op_read(void *priv, u64 gpa, void *buf, unsigned int len)
{
	struct pwsp_vm *v = priv;

	lockdep_assert_held(&v->lock);
	pwsp_assert_srcu(v);
	return kvm_read_guest(v->kvm, gpa, buf, len);
}

/*
 * As KVM's emulator does for a guest's CMPXCHG (emulator_cmpxchg_emulated()):
 * an atomic exchange on the VMM's mapping of the frame. The core writes
 * back only from the page-track notifier, which runs in a vCPU thread,
 * in the VMM's mm. The caller is in kvm->srcu (the memslots).
 */
static int pwsp_op_cmpxchg(void *priv, u64 gpa, u64 *old, u64 val)
{
	struct pwsp_vm *v = priv;
	u64 __user *uptr;
	unsigned long hva;
	int ret;

	lockdep_assert_held(&v->lock);
	pwsp_assert_srcu(v);
	if (current->mm != v->kvm->mm || !IS_ALIGNED(gpa, sizeof(u64)))
		return -EFAULT;
	hva = gfn_to_hva(v->kvm, gpa_to_gfn(gpa));
	if (kvm_is_error_hva(hva))
		return -EFAULT;
	uptr = (u64 __user *)(hva + offset_in_page(gpa));
	ret = __try_cmpxchg_user(uptr, old, val, efault);
	if (ret < 0)
		return ret;
	/* as KVM does, dirty either way: a failed CMPXCHG writes too */
	mark_page_dirty(v->kvm, gpa_to_gfn(gpa));
	return ret ? -EAGAIN : 0;
}

static int pwsp_op_track(void *priv, u64 gfn, bool on)
{
	struct pwsp_vm *v = priv;

	lockdep_assert_held(&v->lock);
	pwsp_assert_srcu(v);
	if (!v->tracking)
		return 0;
	return on ? kvm_write_track_add_gfn(v->kvm, gfn) :
		    kvm_write_track_remove_gfn(v->kvm, gfn);
}

static void pwsp_op_state(void *priv, u64 gfn, int level, int from, int to)
{
	if (to == PWSP_STATE_V) {
		atomic64_inc(&pwsp_cnt.pages_v);
		atomic64_inc(&pwsp_cnt.to_v);
	} else {
		atomic64_dec(&pwsp_cnt.pages_v);
		atomic64_inc(&pwsp_cnt.to_w);
	}
	trace_pwsp_state(gfn, level, from, to);
}

static void pwsp_op_violation(void *priv, const struct pwsp_violation *viol)
{
	struct pwsp_vm *v = priv;
	struct pwsp_log_entry e = {
		.gpa = viol->gpa, .old_val = viol->old_val, .new_val = viol->new_val,
		.rip = v->rip, .reason = viol->reason, .level = viol->level,
		.vcpu = v->vcpu, .flags = viol->reverted ? PWSP_LOG_REVERTED : 0,
	};

	v->nviol++;
	pwsp_report(v, &e);
	if (v->flags & PWSP_ATTACH_STOP_VM)
		kvm_vm_dead(v->kvm);
}

static void pwsp_op_count(void *priv, unsigned int what, u64 n)
{
	struct pwsp_vm *v = priv;
	unsigned long flags;

	spin_lock_irqsave(&v->slock, flags);
	switch (what) {
	case PWSP_CNT_WRITES:
		v->st.writes_verified += n;
		atomic64_add(n, &pwsp_cnt.writes_verified);
		break;
	case PWSP_CNT_LINKS:
		v->st.links_verified += n;
		atomic64_add(n, &pwsp_cnt.links_verified);
		break;
	case PWSP_CNT_REVERTS:
		v->st.reverts += n;
		atomic64_add(n, &pwsp_cnt.reverts);
		break;
	case PWSP_CNT_RACED:
		atomic64_add(n, &pwsp_cnt.repairs_raced);
		break;
	}
	spin_unlock_irqrestore(&v->slock, flags);
}

static const struct pwsp_core_ops pwsp_kvm_ops = {
	.read = pwsp_op_read,
	.write_if = pwsp_op_cmpxchg,
	.track = pwsp_op_track,
	.state = pwsp_op_state,
	.violation = pwsp_op_violation,
	.count = pwsp_op_count,
};

/* The knobs apply to each operation. */
static void pwsp_apply_knobs(struct pwsp_vm *v)
{
	v->core.max_link_pages = READ_ONCE(pwsp_max_link_pages);
	v->core.max_pages = READ_ONCE(pwsp_max_vm_pages);
}

/* --- the page-track notifier ------------------------------------------ */

static void pwsp_track_write(gpa_t gpa, const u8 *new, int bytes,
			     struct kvm_page_track_notifier_node *node)
{
	struct pwsp_vm *v = container_of(node, struct pwsp_vm, node);
	struct kvm_vcpu *vcpu = kvm_get_running_vcpu();
	u64 t0;

	if (bytes <= 0 || (v->flags & PWSP_ATTACH_TRACK_ONLY))
		return;
	mutex_lock(&v->lock);
	if (!pwsp_core_is_v(&v->core, gpa >> PAGE_SHIFT) &&
	    !pwsp_core_is_v(&v->core, (gpa + bytes - 1) >> PAGE_SHIFT)) {
		mutex_unlock(&v->lock);
		return;
	}
	t0 = ktime_get_ns();
	v->rip = vcpu ? vcpu->arch.regs[VCPU_REGS_RIP] : 0;
	v->vcpu = vcpu ? vcpu->vcpu_idx : -1;
	v->nviol = 0;
	pwsp_apply_knobs(v);
	pwsp_core_write(&v->core, gpa, bytes, true);
	trace_pwsp_verify(gpa, bytes, v->nviol, ktime_get_ns() - t0);
	v->rip = 0;
	v->vcpu = -1;
	mutex_unlock(&v->lock);
}

/* A memslot went, and KVM's tracking of its frames with it. */
static void pwsp_track_remove_region(gfn_t gfn, unsigned long nr_pages,
				     struct kvm_page_track_notifier_node *node)
{
	struct pwsp_vm *v = container_of(node, struct pwsp_vm, node);

	mutex_lock(&v->lock);
	atomic64_add(pwsp_core_forget_range(&v->core, gfn, nr_pages),
		     &pwsp_cnt.tracking_lost);
	mutex_unlock(&v->lock);
}

/* --- the periodic verification --------------------------------------------- */

static struct workqueue_struct *pwsp_wq;

/*
 * Stores that KVM emulates without calling the notifier (SGDT, SIDT,
 * FXSAVE, task switches: see the admin guide's Limits) change V pages
 * unseen. Every recheck_ms this verifies every V page against guest
 * memory, as PWSP_IOC_VERIFY does: refused entries are reported, not
 * reverted (KVM's shadow entries built from them would outlive a
 * revert), and with PWSP_ATTACH_STOP_VM the VM stops. Guest memory is
 * read through the VMM's mm, borrowed for the scan. With recheck_ms at
 * 0 the work does not re-arm itself; pwsp_recheck_kick() starts it
 * again when the knob is set.
 */
static void pwsp_recheck_work(struct work_struct *work)
{
	struct pwsp_vm *v = container_of(to_delayed_work(work), struct pwsp_vm,
					 recheck);
	unsigned int ms = READ_ONCE(pwsp_recheck_ms);
	struct mm_struct *mm = v->kvm->mm;
	int idx;

	if (ms && mmget_not_zero(mm)) {
		kthread_use_mm(mm);
		mutex_lock(&v->lock);
		if (v->core.nr_roots) {
			pwsp_apply_knobs(v);
			v->nviol = 0;
			idx = srcu_read_lock(&v->kvm->srcu);
			if (!pwsp_core_rescan(&v->core))
				atomic64_inc(&pwsp_cnt.rechecks);
			srcu_read_unlock(&v->kvm->srcu, idx);
		}
		mutex_unlock(&v->lock);
		kthread_unuse_mm(mm);
		mmput(mm);
	}
	if (ms)
		queue_delayed_work(pwsp_wq, &v->recheck, msecs_to_jiffies(ms));
}

/*
 * recheck_ms was written: each session in enforcement mode starts a
 * pass now and counts the new period from it. A session being released
 * is off the list before its work is cancelled, so none is re-armed
 * after that.
 */
void pwsp_recheck_kick(void)
{
	struct pwsp_vm *v;

	mutex_lock(&pwsp_vms_lock);
	list_for_each_entry(v, &pwsp_vms, link)
		if (v->mode == PWSP_MODE_ENFORCE &&
		    !(v->flags & PWSP_ATTACH_TRACK_ONLY))
			mod_delayed_work(pwsp_wq, &v->recheck, 0);
	mutex_unlock(&pwsp_vms_lock);
}

/* --- the CR3 check and the unseen-write check ---------------------------- */

/* CPUID 0x80000001 ECX bit 2: SVM; CPUID 1 ECX bit 5: VMX */
#define PWSP_CPUID_SVM_LEAF	0x80000001
#define PWSP_CPUID_SVM_BIT	BIT(2)
#define PWSP_CPUID_VMX_LEAF	0x1
#define PWSP_CPUID_VMX_BIT	BIT(5)

/*
 * Does @vcpu's CPUID give it SVM or VMX? Then it can run a nested
 * guest, and KVM writes guest memory through kvm_vcpu_map() or
 * kvm_vcpu_write_guest(), which no page-track notifier sees: with SVM,
 * VMSAVE, VMRUN and the nested exits; with VMX, VMCLEAR and a VMPTRLD
 * that switches VMCS (the cached 4 KiB VMCS is written back), VMREAD
 * to memory and VMPTRST. The caller holds vcpu->mutex: KVM_SET_CPUID2
 * swaps the entries under it, and KVM_RUN holds it too.
 */
static bool pwsp_vcpu_has_nested_virt(struct kvm_vcpu *vcpu)
{
	struct kvm_cpuid_entry2 *e;
	int i;

	lockdep_assert_held(&vcpu->mutex);
	for (i = 0; i < vcpu->arch.cpuid_nent; i++) {
		e = &vcpu->arch.cpuid_entries[i];
		if (e->function == PWSP_CPUID_SVM_LEAF && (e->ecx & PWSP_CPUID_SVM_BIT))
			return true;
		if (e->function == PWSP_CPUID_VMX_LEAF && (e->ecx & PWSP_CPUID_VMX_BIT))
			return true;
	}
	return false;
}

/* Is @vcpu in SMM? Never, in a KVM built without it. */
static bool pwsp_vcpu_in_smm(struct kvm_vcpu *vcpu)
{
#ifdef CONFIG_KVM_SMM
	return vcpu->arch.hflags & HF_SMM_MASK;
#else
	return false;
#endif
}

/*
 * Stop the whole VM from the kvm_entry probe, where interrupts are off:
 * kvm_vm_dead() would wait for IPIs. As it does, mark the VM dead (every
 * later KVM_RUN fails with EIO) and request the exit of each vCPU; the
 * kick's IPI is not waited for (KVM kicks vCPUs from hard interrupts
 * too). The current vCPU leaves the guest at its next exit.
 */
static void pwsp_stop_vm_atomic(struct kvm *kvm)
{
	struct kvm_vcpu *vcpu;
	unsigned long i;

	WRITE_ONCE(kvm->vm_dead, true);
	kvm_for_each_vcpu(i, vcpu, kvm) {
		kvm_make_request(KVM_REQ_VM_DEAD, vcpu);
		kvm_vcpu_kick(vcpu);
	}
}

/*
 * Enforcement relies on every guest write to a V page reaching the
 * notifier. A vCPU that can make KVM write guest memory past it (SVM or
 * VMX in its CPUID, or SMM: the state save goes through kvm_vcpu_write_guest())
 * is reported once per vCPU, while a root is protected. The CPUID cannot
 * change once the vCPU has run, so a clean result is remembered.
 * Called with @v->slock held; returns true to report.
 */
static bool pwsp_unseen_check(struct pwsp_vm *v, struct kvm_vcpu *vcpu)
{
	int idx = vcpu->vcpu_idx;
	u8 *st = idx < PWSP_CR3_SLOTS ? &v->unseen[idx] : NULL;
	bool bad;

	lockdep_assert_held(&v->slock);
	if (v->mode != PWSP_MODE_ENFORCE || (v->flags & PWSP_ATTACH_TRACK_ONLY) ||
	    !v->nr_roots || (st && *st == PWSP_UNSEEN_REPORTED))
		return false;
	bad = pwsp_vcpu_in_smm(vcpu);
	if (!bad && !(st && *st == PWSP_UNSEEN_CPUID_OK)) {
		bad = pwsp_vcpu_has_nested_virt(vcpu);
		if (!bad && st)
			*st = PWSP_UNSEEN_CPUID_OK;
	}
	if (bad && st)
		*st = PWSP_UNSEEN_REPORTED;
	return bad;
}

static void pwsp_cr3_check(struct pwsp_vm *v, struct kvm_vcpu *vcpu)
{
	u64 cr3 = vcpu->arch.cr3 & PWSP_CR3_ADDR;
	int idx = vcpu->vcpu_idx;
	struct pwsp_log_entry e = {
		.gpa = cr3, .reason = PWSP_R_CR3, .level = -1, .vcpu = idx,
		.rip = vcpu->arch.regs[VCPU_REGS_RIP],
	};
	struct pwsp_log_entry u = {
		.reason = PWSP_R_UNSEEN, .level = -1, .vcpu = idx, .rip = e.rip,
	};
	bool bad = false, unseen;
	unsigned long flags;
	u32 i;

	spin_lock_irqsave(&v->slock, flags);
	unseen = pwsp_unseen_check(v, vcpu);
	if (!(vcpu->arch.efer & EFER_LMA) || !(vcpu->arch.cr0 & X86_CR0_PG)) {
		/* not in 64-bit paging: no CR3 of a 4- or 5-level root */
	} else if (idx >= PWSP_CR3_SLOTS || v->last_cr3[idx] != cr3) {
		if (idx < PWSP_CR3_SLOTS)
			v->last_cr3[idx] = cr3;
		if (v->nr_roots) {
			v->st.cr3_checks++;
			atomic64_inc(&pwsp_cnt.cr3_checks);
			bad = true;
			for (i = 0; i < v->nr_roots; i++)
				if (v->roots[i] == cr3)
					bad = false;
		}
	}
	spin_unlock_irqrestore(&v->slock, flags);
	if (unseen)
		pwsp_report(v, &u);
	if (bad)
		pwsp_report(v, &e);
	if ((bad || unseen) && (v->flags & PWSP_ATTACH_STOP_VM))
		pwsp_stop_vm_atomic(vcpu->kvm);
}

/* kvm_entry's probe: TP_PROTO(struct kvm_vcpu *vcpu, bool force_immediate_exit) */
static void pwsp_kvm_entry(void *data, struct kvm_vcpu *vcpu, bool force)
{
	struct pwsp_vm *v;

	if (list_empty(&pwsp_vms))
		return;
	rcu_read_lock();
	list_for_each_entry_rcu(v, &pwsp_vms, link) {
		if (v->kvm == vcpu->kvm) {
			pwsp_cr3_check(v, vcpu);
			break;
		}
	}
	rcu_read_unlock();
}

/* Exported by kvm (EXPORT_TRACEPOINT_SYMBOL_GPL(kvm_entry) in x86.c). */
extern struct tracepoint __tracepoint_kvm_entry;

/**
 * pwsp_cr3_init() - hook the CR3 check on KVM's entry tracepoint
 *
 * Return: 0 or the error of tracepoint_probe_register().
 */
int pwsp_cr3_init(void)
{
	return tracepoint_probe_register(&__tracepoint_kvm_entry,
					 (void *)pwsp_kvm_entry, NULL);
}

/** pwsp_cr3_exit() - undo pwsp_cr3_init(), waiting for running probes */
void pwsp_cr3_exit(void)
{
	tracepoint_probe_unregister(&__tracepoint_kvm_entry,
				    (void *)pwsp_kvm_entry, NULL);
	tracepoint_synchronize_unregister();
}

/* --- sessions ------------------------------------------------------------- */

/*
 * The mode reads and the rechecks run on pwsp_wq: the module's own
 * queue, destroyed (after the last work) when the module goes, so that
 * no work of the module runs after its text is gone.
 */

/**
 * pwsp_wq_init() - create the module's workqueue
 *
 * Return: 0 or -ENOMEM.
 */
int pwsp_wq_init(void)
{
	pwsp_wq = alloc_workqueue("pwsp", WQ_UNBOUND, 0);
	return pwsp_wq ? 0 : -ENOMEM;
}

/** pwsp_wq_exit() - flush and destroy the module's workqueue */
void pwsp_wq_exit(void)
{
	destroy_workqueue(pwsp_wq);
}

struct pwsp_mode_read {
	struct work_struct work;
	struct completion done;
	int mode;
};

/* Read the vendor module's parameter; see pwsp_host_mode(). */
static void pwsp_mode_work(struct work_struct *work)
{
	static const char * const params[] = {
		"/sys/module/kvm_amd/parameters/npt",
		"/sys/module/kvm_intel/parameters/ept",
	};
	struct pwsp_mode_read *r = container_of(work, struct pwsp_mode_read, work);
	char buf[4] = "";
	struct file *f;
	loff_t pos;
	ssize_t n;
	int i;

	r->mode = PWSP_MODE_AUDIT;
	for (i = 0; i < ARRAY_SIZE(params); i++) {
		f = filp_open(params[i], O_RDONLY, 0);
		if (IS_ERR(f))
			continue;
		pos = 0;
		n = kernel_read(f, buf, sizeof(buf) - 1, &pos);
		filp_close(f, NULL);
		if (n > 0) {
			r->mode = buf[0] == 'N' || buf[0] == '0' ? PWSP_MODE_ENFORCE :
								   PWSP_MODE_AUDIT;
			break;
		}
	}
	complete(&r->done);
}

/**
 * pwsp_host_mode() - the mode KVM's MMU allows
 *
 * Enforcement needs KVM's shadow MMU: kvm_amd npt=0 or kvm_intel ept=0.
 * KVM keeps the choice to itself (tdp_enabled is not exported), so this
 * reads the vendor module's parameter file. A worker reads it: the
 * caller may be a sysfs show (effective_mode), which holds its own
 * file's seq_file lock, of the class the read takes again. The caller
 * waits on a completion, not with flush_work(): lockdep would tie the
 * work to that class too, though the two files' locks are distinct.
 *
 * Return: PWSP_MODE_ENFORCE or PWSP_MODE_AUDIT (also when neither
 * vendor module is loaded); -ENOMEM.
 */
int pwsp_host_mode(void)
{
	struct pwsp_mode_read *r = kzalloc(sizeof(*r), GFP_KERNEL);
	int mode;

	if (!r)
		return -ENOMEM;
	INIT_WORK(&r->work, pwsp_mode_work);
	init_completion(&r->done);
	queue_work(pwsp_wq, &r->work);
	wait_for_completion(&r->done);
	/* complete() was the worker's last access to @r */
	mode = r->mode;
	kfree(r);
	return mode;
}

/**
 * pwsp_vm_create() - a session, not attached
 *
 * Return: the session or NULL.
 */
struct pwsp_vm *pwsp_vm_create(void)
{
	struct pwsp_vm *v = kvzalloc(sizeof(*v), GFP_KERNEL_ACCOUNT);

	if (!v)
		return NULL;
	mutex_init(&v->lock);
	spin_lock_init(&v->slock);
	INIT_LIST_HEAD(&v->link);
	v->vcpu = -1;
	INIT_DELAYED_WORK(&v->recheck, pwsp_recheck_work);
	pwsp_core_init(&v->core, &pwsp_kvm_ops, v);
	return v;
}

/**
 * pwsp_vm_release() - the session's file is closed
 * @v: the session
 *
 * Unprotects everything: the VM's pages leave KVM's tracking.
 */
void pwsp_vm_release(struct pwsp_vm *v)
{
	int idx;

	if (v->kvm) {
		mutex_lock(&pwsp_vms_lock);
		list_del_rcu(&v->link);
		mutex_unlock(&pwsp_vms_lock);
		/* the CR3 probe runs under RCU with interrupts off */
		synchronize_rcu();
		/* it takes v->lock; it re-arms itself, which this stops */
		cancel_delayed_work_sync(&v->recheck);
		/* waits for running notifiers; they take v->lock */
		if (v->tracking)
			kvm_page_track_unregister_notifier(v->kvm, &v->node);
		mutex_lock(&v->lock);
		idx = srcu_read_lock(&v->kvm->srcu);
		pwsp_core_destroy(&v->core);
		srcu_read_unlock(&v->kvm->srcu, idx);
		mutex_unlock(&v->lock);
		kvm_put_kvm(v->kvm);
	}
	if (v->efd)
		eventfd_ctx_put(v->efd);
	kvfree(v->log);
	mutex_destroy(&v->lock);
	kvfree(v);
}

/* Has @kvm a session already? The caller holds pwsp_vms_lock. */
static bool pwsp_vm_attached(struct kvm *kvm)
{
	struct pwsp_vm *o;

	lockdep_assert_held(&pwsp_vms_lock);
	list_for_each_entry(o, &pwsp_vms, link)
		if (o->kvm == kvm)
			return true;
	return false;
}

static int pwsp_register(struct pwsp_vm *v, struct kvm *kvm)
{
	int idx, ret;

	v->node.track_write = pwsp_track_write;
	v->node.track_remove_region = pwsp_track_remove_region;
	/* The first registration walks the memslots (see thp_encvm/track.c). */
	idx = srcu_read_lock(&kvm->srcu);
	ret = kvm_page_track_register_notifier(kvm, &v->node);
	srcu_read_unlock(&kvm->srcu, idx);
	return ret;
}

/**
 * pwsp_vm_attach() - attach a session to a VM
 * @v: the session
 * @a: the request; @a->mode is set on success
 *
 * Return: 0; -EBUSY if attached already, or if the VM has a session
 * already; -EINVAL for bad flags, reserved
 * fields or an fd that is no VM; -EBADF for a bad fd; -EPERM if the
 * caller is not the VM's VMM; -ENOENT if the VM is going away; -ENOMEM;
 * or the error of the eventfd lookup.
 */
int pwsp_vm_attach(struct pwsp_vm *v, struct pwsp_attach *a)
{
	struct eventfd_ctx *efd = NULL;
	struct pwsp_log_entry *log;
	struct kvm *kvm;
	int mode, ret;
	u32 size;

	if ((a->flags & ~PWSP_ATTACH_FLAGS) || a->mode || a->reserved[0] ||
	    a->reserved[1] || a->eventfd < -1)
		return -EINVAL;
	CLASS(fd, f)(a->vm_fd);
	if (fd_empty(f))
		return -EBADF;
	if (!file_is_kvm(fd_file(f)))
		return -EINVAL;
	kvm = fd_file(f)->private_data;
	if (kvm->mm != current->mm)
		return -EPERM;
	if (a->eventfd >= 0) {
		efd = eventfd_ctx_fdget(a->eventfd);
		if (IS_ERR(efd))
			return PTR_ERR(efd);
	}
	size = READ_ONCE(pwsp_log_size);
	log = kvcalloc(size, sizeof(*log), GFP_KERNEL_ACCOUNT);
	if (!log) {
		ret = -ENOMEM;
		goto put_efd;
	}
	mode = (a->flags & PWSP_ATTACH_AUDIT) || READ_ONCE(pwsp_force_audit) ?
	       PWSP_MODE_AUDIT : pwsp_host_mode();
	if (mode < 0) {
		ret = mode;
		goto free_log;
	}

	/*
	 * One session per VM: the CR3 probe stops at the first one, and
	 * each session's tracking adds to KVM's per-gfn count (a u16
	 * that WARNs when it overflows). pwsp_vms_lock is held until the
	 * session is on the list, so two attaches cannot both pass.
	 */
	mutex_lock(&pwsp_vms_lock);
	ret = -EBUSY;
	if (pwsp_vm_attached(kvm))
		goto unlock_vms;
	mutex_lock(&v->lock);
	if (v->kvm)
		goto unlock;
	ret = -ENOENT;
	if (!kvm_get_kvm_safe(kvm))
		goto unlock;
	/* TRACK_ONLY tracks in either mode: it is a baseline and a probe */
	if (mode == PWSP_MODE_ENFORCE || (a->flags & PWSP_ATTACH_TRACK_ONLY)) {
		ret = pwsp_register(v, kvm);
		if (ret) {
			kvm_put_kvm(kvm);
			goto unlock;
		}
		v->tracking = true;
	}
	v->kvm = kvm;
	v->mode = mode;
	v->flags = a->flags;
	v->efd = efd;
	v->log = log;
	v->log_size = size;
	mutex_unlock(&v->lock);
	list_add_rcu(&v->link, &pwsp_vms);
	mutex_unlock(&pwsp_vms_lock);
	if (mode == PWSP_MODE_ENFORCE && !(a->flags & PWSP_ATTACH_TRACK_ONLY))
		queue_delayed_work(pwsp_wq, &v->recheck, 0);
	a->mode = mode;
	return 0;
unlock:
	mutex_unlock(&v->lock);
unlock_vms:
	mutex_unlock(&pwsp_vms_lock);
free_log:
	kvfree(log);
put_efd:
	if (efd)
		eventfd_ctx_put(efd);
	return ret;
}

/**
 * pwsp_vm_set_policy() - set the VM's policy, once
 * @v: the session, attached
 * @up: the policy header
 * @ranges: its ranges, copied in
 *
 * Return: 0; -EBADFD if not attached; -EINVAL for a bad policy; -EBUSY
 * if one is set.
 */
int pwsp_vm_set_policy(struct pwsp_vm *v, const struct pwsp_policy *up,
		       const struct pwsp_range *ranges)
{
	struct pwsp_kpolicy *pol;
	int ret;

	pol = kzalloc(sizeof(*pol), GFP_KERNEL_ACCOUNT);
	if (!pol)
		return -ENOMEM;
	ret = pwsp_policy_validate(up, ranges, pol);
	if (!ret) {
		mutex_lock(&v->lock);
		ret = v->kvm ? pwsp_core_set_policy(&v->core, pol) : -EBADFD;
		mutex_unlock(&v->lock);
	}
	kfree(pol);
	return ret;
}

/*
 * Has a vCPU of @kvm SVM or VMX in its CPUID? A vCPU in KVM_RUN holds its
 * mutex and is not waited for: pwsp_unseen_check() sees it at its next
 * entry instead. The caller holds no lock of the session (the notifier
 * takes the session's lock under vcpu->mutex).
 */
static bool pwsp_vm_has_nested_virt(struct kvm *kvm)
{
	struct kvm_vcpu *vcpu;
	unsigned long i;
	bool nested = false;

	kvm_for_each_vcpu(i, vcpu, kvm) {
		if (!mutex_trylock(&vcpu->mutex))
			continue;
		nested = pwsp_vcpu_has_nested_virt(vcpu);
		mutex_unlock(&vcpu->mutex);
		if (nested)
			break;
	}
	return nested;
}

/**
 * pwsp_vm_protect() - protect or unprotect a root
 * @v: the session
 * @gpa: the root
 * @on: protect
 *
 * Return: as pwsp_core_protect_root() or pwsp_core_unprotect_root();
 * -EBADFD if not attached; -EOPNOTSUPP to protect in enforcement mode
 * when a vCPU has SVM or VMX in its CPUID (nested virtualization
 * writes guest memory past the page-track notifier). A refused tree is logged as a
 * violation.
 */
int pwsp_vm_protect(struct pwsp_vm *v, u64 gpa, bool on)
{
	unsigned long flags;
	struct kvm *kvm;
	int idx, ret;
	u32 reason, i;
	bool enforce;

	/* v->kvm and v->mode do not change once attached */
	mutex_lock(&v->lock);
	kvm = v->kvm;
	enforce = v->mode == PWSP_MODE_ENFORCE && !(v->flags & PWSP_ATTACH_TRACK_ONLY);
	mutex_unlock(&v->lock);
	if (!kvm)
		return -EBADFD;
	if (on && enforce && pwsp_vm_has_nested_virt(kvm))
		return -EOPNOTSUPP;
	mutex_lock(&v->lock);
	pwsp_apply_knobs(v);
	idx = srcu_read_lock(&v->kvm->srcu);
	if (on)
		ret = pwsp_core_protect_root(&v->core, gpa, &reason);
	else
		ret = pwsp_core_unprotect_root(&v->core, gpa);
	srcu_read_unlock(&v->kvm->srcu, idx);
	if (ret == -EACCES) {
		struct pwsp_log_entry e = {
			.gpa = gpa, .reason = reason, .level = v->core.pol.env.levels - 1,
			.vcpu = -1,
		};

		pwsp_report(v, &e);
	}
	if (!ret) {
		spin_lock_irqsave(&v->slock, flags);
		if (on) {
			v->roots[v->nr_roots++] = gpa;
		} else {
			for (i = 0; i < v->nr_roots; i++)
				if (v->roots[i] == gpa)
					v->roots[i] = v->roots[--v->nr_roots];
		}
		/* every vCPU's CR3 is checked again at its next entry */
		memset(v->last_cr3, 0xff, sizeof(v->last_cr3));
		spin_unlock_irqrestore(&v->slock, flags);
	}
	mutex_unlock(&v->lock);
	return ret;
}

/**
 * pwsp_vm_read_log() - take the oldest violations
 * @v: the session
 * @out: room for @nr entries
 * @nr: 1 to PWSP_MAX_LOG_READ
 * @lost: out: entries dropped since the last read
 *
 * Return: entries taken.
 */
int pwsp_vm_read_log(struct pwsp_vm *v, struct pwsp_log_entry *out, u32 nr,
		     u64 *lost)
{
	unsigned long flags;
	u32 n = 0;

	spin_lock_irqsave(&v->slock, flags);
	while (n < nr && v->log_count) {
		out[n++] = v->log[v->log_head];
		v->log_head = (v->log_head + 1) % v->log_size;
		v->log_count--;
	}
	*lost = v->lost;
	v->lost = 0;
	spin_unlock_irqrestore(&v->slock, flags);
	return n;
}

/**
 * pwsp_vm_stats() - the session's counters
 * @v: the session
 * @st: out
 */
void pwsp_vm_stats(struct pwsp_vm *v, struct pwsp_stats *st)
{
	unsigned long flags;

	mutex_lock(&v->lock);
	spin_lock_irqsave(&v->slock, flags);
	*st = v->st;
	spin_unlock_irqrestore(&v->slock, flags);
	st->pages_v = v->core.nr_pages;
	st->roots = v->core.nr_roots;
	mutex_unlock(&v->lock);
}

/**
 * pwsp_vm_verify() - verify every protected tree against guest memory
 * @v: the session
 *
 * Return: 0; -EBADFD if not attached; -ENOMEM.
 */
int pwsp_vm_verify(struct pwsp_vm *v)
{
	int idx, ret = -EBADFD;
	u64 t0 = ktime_get_ns();

	mutex_lock(&v->lock);
	if (v->kvm) {
		pwsp_apply_knobs(v);
		v->nviol = 0;
		idx = srcu_read_lock(&v->kvm->srcu);
		ret = pwsp_core_rescan(&v->core);
		srcu_read_unlock(&v->kvm->srcu, idx);
		trace_pwsp_verify(0, 0, v->nviol, ktime_get_ns() - t0);
	}
	mutex_unlock(&v->lock);
	return ret;
}
