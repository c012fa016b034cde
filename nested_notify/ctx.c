// SPDX-License-Identifier: GPL-2.0
/*
 * nested_notify kernel glue: contexts (one per VM), their devices, and
 * the path from a doorbell to a record in L1 memory.
 *
 * A device consumes its doorbell eventfd the way KVM's irqfd does: an
 * exclusive priority waiter on the eventfd's wait queue (vfs_poll()
 * registers it), which reads the count in the wakeup itself, so no one
 * else sees the doorbell. The wakeup runs inside eventfd_signal(), under
 * the eventfd's lock and with current->in_eventfd set: it may neither
 * sleep (kvm_write_guest() faults pages in) nor signal the irqfd
 * (eventfd_signal_mask() WARNs on nesting). When a vCPU of the VM rang
 * (kvm_io_bus_write() from an L2 exit that L0 completed), the wakeup
 * runs in that vCPU's thread with the vCPU loaded; it queues the
 * delivery there with task_work_add(TWA_RESUME), which KVM runs from
 * xfer_to_guest_mode_handle_work() before the vCPU re-enters L2. The
 * delivery thus writes guest memory with a running vCPU, in the VM's
 * mm, as mark_page_dirty_in_slot() wants (it WARNs when there is no
 * running vCPU and dirty tracking is on), and signals the irqfd from
 * plain task context.
 *
 * A doorbell signalled from anywhere else (another VM's vCPU, a write
 * to the eventfd from user space) is counted but left pending: stock
 * 6.12 gives a module no way to write guest memory there without the
 * dirty-tracking WARN. The next doorbell rung by a vCPU delivers it.
 *
 * A signal pending in the vCPU thread ends KVM_RUN before the task work
 * runs; the delivery then loads the vCPU that rang itself, as a vCPU
 * ioctl would (nn_device_deliver_loaded()).
 *
 * Lifetime: a context lives as long as its file; the file's module
 * reference (its fops owner) keeps the module. A queued delivery holds
 * a reference to the file, not only to its device: the task work may
 * drop the file's last reference, and then fput() defers the release
 * (nn_ctx_release()) and the module reference to a task work of its
 * own, run after this one has returned. So no module code runs after
 * the module's last reference is gone, and rmmod waits for a delivery
 * until it has returned (the kselftest holds one there through the
 * debugfs file hold_delivery).
 *
 * Locking: ctx->lock (a mutex) serializes a context's table, devices,
 * counters and every delivery into it. nn_consumers_lock guards the
 * set of eventfds consumed, one consumer per eventfd.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/kvm_host.h>
#include <linux/lockdep.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/task_work.h>

#include "nn_ctx.h"
#include "trace.h"

DECLARE_FAULT_ATTR(nn_fail_read);
DECLARE_FAULT_ATTR(nn_fail_walk);

static DEFINE_MUTEX(nn_consumers_lock);
static LIST_HEAD(nn_consumers);
static atomic_t nn_ctx_ids = ATOMIC_INIT(0);

#define NN_QUEUED	0	/* nn_device.flags: a task work is queued */

/**
 * struct nn_device - one device: a doorbell tied to a table entry
 * @ctx: its context (holds a reference)
 * @core: delivery state (ctx->lock)
 * @db: the doorbell eventfd
 * @irq: the interrupt eventfd, or NULL
 * @wait: the waiter on @db's wait queue
 * @wqh: that wait queue
 * @pt: the poll table that registers @wait
 * @signalled: doorbells consumed from @db, not yet given to the core
 * @flags: NN_QUEUED
 * @twork: the delivery queued on a vCPU thread
 * @rang: the vCPU whose thread @twork is queued on (NN_QUEUED's owner)
 * @ref: references: the context's list, a queued @twork (which also
 *	 holds the context's file)
 * @node: in ctx->devs (ctx->lock)
 * @consumer: in nn_consumers (nn_consumers_lock)
 * @dead: removed from the context (ctx->lock)
 * @contended: vfs_poll() found another exclusive priority waiter on @db
 *	       and did not register @wait
 */
struct nn_device {
	struct nn_ctx *ctx;
	struct nn_dev core;
	struct eventfd_ctx *db;
	struct eventfd_ctx *irq;
	wait_queue_entry_t wait;
	wait_queue_head_t *wqh;
	poll_table pt;
	atomic64_t signalled;
	unsigned long flags;
	struct callback_head twork;
	struct kvm_vcpu *rang;
	struct kref ref;
	struct list_head node;
	struct list_head consumer;
	bool dead;
	bool contended;
};

/*
 * Runs from the file's release (or the failed creation of the file): a
 * delivery still queued holds the file, so none is left.
 */
static void nn_ctx_free(struct kref *ref)
{
	struct nn_ctx *ctx = container_of(ref, struct nn_ctx, ref);

	kvm_put_kvm(ctx->kvm);
	atomic_dec(&nn_stats.contexts);
	kfree(ctx);
}

static void nn_ctx_put(struct nn_ctx *ctx)
{
	kref_put(&ctx->ref, nn_ctx_free);
}

static void nn_device_free(struct kref *ref)
{
	struct nn_device *nd = container_of(ref, struct nn_device, ref);

	eventfd_ctx_put(nd->db);
	if (nd->irq)
		eventfd_ctx_put(nd->irq);
	nn_ctx_put(nd->ctx);
	kfree(nd);
}

static void nn_device_put(struct nn_device *nd)
{
	kref_put(&nd->ref, nn_device_free);
}

static int nn_kvm_read(void *priv, u64 gpa, void *buf, unsigned int len)
{
	struct kvm *kvm = priv;

	if (should_fail(&nn_fail_read, len))
		return -EFAULT;
	return kvm_read_guest(kvm, gpa, buf, len);
}

/* The reads of the ring's translation: fail_walk injects faults there. */
static int nn_kvm_walk_read(void *priv, u64 gpa, void *buf, unsigned int len)
{
	if (should_fail(&nn_fail_walk, len))
		return -EFAULT;
	return kvm_read_guest(priv, gpa, buf, len);
}

static int nn_kvm_write(void *priv, u64 gpa, const void *buf, unsigned int len)
{
	return kvm_write_guest(priv, gpa, buf, len);
}

/* Add what one delivery did to the module's counters. */
static void nn_account(const struct nn_stats *a, const struct nn_stats *b)
{
	atomic64_add(b->records - a->records, &nn_stats.records);
	atomic64_add(b->delivered - a->delivered, &nn_stats.delivered);
	atomic64_add(b->coalesced - a->coalesced, &nn_stats.coalesced);
	atomic64_add(b->overflows - a->overflows, &nn_stats.overflowed);
	atomic64_add(b->faults - a->faults, &nn_stats.faults);
	atomic64_add(b->walk_hits - a->walk_hits, &nn_stats.walk_hits);
}

/*
 * Deliver what @nd has pending. Runs in a vCPU thread of the context's
 * VM, with a vCPU of that VM loaded (nn_device_deliver_loaded()), so
 * that kvm_write_guest() dirties pages through it.
 */
static void nn_device_deliver(struct nn_device *nd, bool loaded)
{
	struct nn_ctx *ctx = nd->ctx;
	struct kvm *kvm = ctx->kvm;
	struct nn_env env = { nn_kvm_read, nn_kvm_write, kvm, nn_kvm_walk_read };
	struct nn_stats before;
	u64 seq, n, count, pending;
	int ret, idx;

	mutex_lock(&ctx->lock);
	if (nd->dead) {
		mutex_unlock(&ctx->lock);
		return;
	}
	n = atomic64_xchg(&nd->signalled, 0);
	before = ctx->st;
	seq = nd->core.next_seq;
	idx = srcu_read_lock(&kvm->srcu);
	ret = nn_deliver(&nd->core, &ctx->table, &env, n, ktime_get_ns(), &ctx->st);
	srcu_read_unlock(&kvm->srcu, idx);
	nn_account(&before, &ctx->st);
	ctx->deferred++;
	ctx->loaded += loaded;
	if (ret > 0 && (ret & NN_IRQ) && nd->irq)
		ctx->interrupts++;
	else
		ret &= ~NN_IRQ;
	/* For the tracepoints: the device is ctx->lock's once unlocked. */
	count = nd->core.next_seq - seq;
	pending = nd->core.pending;
	mutex_unlock(&ctx->lock);

	atomic64_inc(&nn_stats.deferred);
	if (loaded)
		atomic64_inc(&nn_stats.loaded);
	if (ret < 0) {
		trace_nn_fault(ctx->id, nd->core.index, ret, pending);
		return;
	}
	if (ret & NN_WROTE)
		trace_nn_deliver(ctx->id, nd->core.index, seq, count, ret);
	/* Plain task context: signalling the irqfd cannot nest. */
	if (ret & NN_IRQ) {
		eventfd_signal(nd->irq);
		atomic64_inc(&nn_stats.interrupts);
	}
}

/*
 * A queued delivery that cannot run (@err: -ESRCH, no VM or thread to
 * run it in; -EINTR, a fatal signal cut the wait for the vCPU short):
 * its doorbells stay pending in the device, counted and traced here.
 */
static void nn_device_strand(struct nn_device *nd, int err)
{
	struct nn_ctx *ctx = nd->ctx;
	u64 pending;

	mutex_lock(&ctx->lock);
	pending = nd->core.pending + atomic64_read(&nd->signalled);
	mutex_unlock(&ctx->lock);
	atomic64_inc(&nn_stats.stranded);
	trace_nn_fault(ctx->id, nd->core.index, err, pending);
}

/*
 * The delivery needs a loaded vCPU of the context's VM. Usually the task
 * work runs from xfer_to_guest_mode_handle_work(), inside KVM_RUN, with
 * the vCPU that rang still loaded. But a signal pending then makes
 * KVM_RUN return -EINTR first: the task work runs on the way back to
 * user space, after vcpu_put(). Then load the vCPU that rang the way a
 * vCPU ioctl does (kvm_vcpu_ioctl(): not for a dead VM, under the
 * vCPU's mutex, which this thread does not hold outside an ioctl). The
 * thread is that vCPU's, so its mm is the VM's. Only a fatal signal
 * leaves the doorbell pending, and then the VM goes with the process.
 */
static void nn_device_deliver_loaded(struct nn_device *nd, struct kvm_vcpu *rang)
{
	struct kvm_vcpu *vcpu = kvm_get_running_vcpu();

	if (vcpu) {
		/*
		 * A task work runs inside the KVM_RUN that queued it or after
		 * it returned: never under another VM's vCPU.
		 */
		if (vcpu->kvm == nd->ctx->kvm)
			nn_device_deliver(nd, false);
		return;
	}
	if (READ_ONCE(rang->kvm->vm_dead) || rang->kvm->mm != current->mm) {
		nn_device_strand(nd, -ESRCH);
		return;
	}
	/*
	 * This may wait, on the way back to user space, for another of the
	 * VMM's threads to finish an ioctl on this vCPU; the wait is
	 * killable, and the doorbell stays pending if it is cut short.
	 */
	if (mutex_lock_killable(&rang->mutex)) {
		nn_device_strand(nd, -EINTR);
		return;
	}
	vcpu_load(rang);
	nn_device_deliver(nd, true);
	vcpu_put(rang);
	mutex_unlock(&rang->mutex);
}

/*
 * Test hook, debugfs hold_delivery (root only): writing 1 makes the
 * next delivery wait before it drops its references (reads 1 then);
 * writing 2 lets it drop them and wait again, just before it returns
 * (reads 2); writing 0 lets it return. Writing 3 makes the next
 * delivery wait while it is still queued, before it delivers anything
 * (reads 3), so that its device can be removed under it. A held
 * delivery waits at most NN_HOLD_MAX, and not for a fatal signal.
 */
#define NN_HOLD_MAX	(60 * HZ)
static DECLARE_WAIT_QUEUE_HEAD(nn_hold_wq);
static unsigned int nn_hold_mode;	/* what user space wrote */
static unsigned int nn_held;		/* where a delivery waits, or 0 */
static bool nn_hold_armed;		/* the next delivery is held */

static void nn_hold_at(unsigned int stage)
{
	if (READ_ONCE(nn_hold_mode) != stage)
		return;
	WRITE_ONCE(nn_held, stage);
	wait_event_killable_timeout(nn_hold_wq, READ_ONCE(nn_hold_mode) != stage,
				    NN_HOLD_MAX);
	WRITE_ONCE(nn_held, 0);
}

static ssize_t nn_hold_write(struct file *file, const char __user *buf,
			     size_t len, loff_t *ppos)
{
	unsigned int v;
	int ret;

	ret = kstrtouint_from_user(buf, len, 0, &v);
	if (ret)
		return ret;
	if (v > 3)
		return -EINVAL;
	WRITE_ONCE(nn_hold_armed, v == 1 || v == 3);
	WRITE_ONCE(nn_hold_mode, v);
	wake_up_all(&nn_hold_wq);
	return len;
}

static ssize_t nn_hold_read(struct file *file, char __user *buf, size_t len,
			    loff_t *ppos)
{
	char s[4];

	return simple_read_from_buffer(buf, len, ppos, s,
				       scnprintf(s, sizeof(s), "%u\n", READ_ONCE(nn_held)));
}

static const struct file_operations nn_hold_fops = {
	.owner = THIS_MODULE,
	.read = nn_hold_read,
	.write = nn_hold_write,
	.llseek = default_llseek,
};

/*
 * Test hook, debugfs signal_doorbell (root only): while set, the thread
 * that rings a doorbell gets SIGUSR1 as the delivery is queued, as if
 * the VMM had signalled it then; its KVM_RUN returns -EINTR before the
 * delivery runs (see nn_device_deliver_loaded()). The VMM must handle
 * SIGUSR1.
 */
static bool nn_signal_doorbell;

/**
 * nn_ctx_debugfs() - the contexts' debugfs files
 * @dir: the module's debugfs directory
 */
void nn_ctx_debugfs(struct dentry *dir)
{
	debugfs_create_file("hold_delivery", 0600, dir, NULL, &nn_hold_fops);
	debugfs_create_bool("signal_doorbell", 0600, dir, &nn_signal_doorbell);
}

/*
 * The delivery, in the vCPU thread that rang. It holds @nd and the
 * context's file; when its fput() is the last, the release and the
 * module reference wait for a task work queued behind this one.
 */
static void nn_twork_fn(struct callback_head *cb)
{
	struct nn_device *nd = container_of(cb, struct nn_device, twork);
	struct file *file = nd->ctx->file;
	struct kvm_vcpu *rang = nd->rang;
	/* The test hook costs a read, not an atomic, when it is off. */
	bool hold = READ_ONCE(nn_hold_armed) && xchg(&nn_hold_armed, false);

	if (hold)
		nn_hold_at(3);
	clear_bit(NN_QUEUED, &nd->flags);
	/* A doorbell after the clear queues again; one before is ours. */
	smp_mb__after_atomic();
	if (!(current->flags & PF_EXITING))
		nn_device_deliver_loaded(nd, rang);
	else
		nn_device_strand(nd, -ESRCH);
	if (hold)
		nn_hold_at(1);
	nn_device_put(nd);
	fput(file);
	if (hold)
		nn_hold_at(2);
}

/*
 * The doorbell's wakeup: under the eventfd's wait-queue lock. Consume
 * the count; when a vCPU of the VM rang, queue the delivery on its
 * thread. Returning 1 ends the wakeup here (exclusive waiter).
 */
static int nn_wake(wait_queue_entry_t *wait, unsigned int mode, int sync, void *key)
{
	struct nn_device *nd = container_of(wait, struct nn_device, wait);
	struct kvm_vcpu *vcpu;
	struct file *file;
	bool own;
	u64 cnt;

	if (!(key_to_poll(key) & EPOLLIN))
		return 0;
	eventfd_ctx_do_read(nd->db, &cnt);
	atomic64_add(cnt, &nd->signalled);
	atomic64_add(cnt, &nn_stats.doorbells);
	vcpu = kvm_get_running_vcpu();
	own = vcpu && vcpu->kvm == nd->ctx->kvm && !(current->flags & PF_EXITING);
	trace_nn_doorbell(nd->ctx->id, nd->core.index, cnt, own);
	if (!own) {
		atomic64_add(cnt, &nn_stats.unowned);
		return 1;
	}
	/*
	 * A delivery of this device is queued already, on this thread or on
	 * another vCPU's (an L1 vCPU that rang too): it has not taken
	 * @signalled yet (nn_twork_fn() clears NN_QUEUED first), so it
	 * carries this doorbell, in its own thread, and none is queued here.
	 */
	if (test_and_set_bit(NN_QUEUED, &nd->flags)) {
		atomic64_add(cnt, &nn_stats.merged);
		return 1;
	}
	/*
	 * The file is not freed before its release has taken @nd off this
	 * wait queue; with no reference left it is being released, and the
	 * doorbells go with the device.
	 */
	file = get_file_active(&nd->ctx->file);
	if (!file) {
		clear_bit(NN_QUEUED, &nd->flags);
		return 1;
	}
	/* The list's reference outlives this wakeup: never the last here. */
	kref_get(&nd->ref);
	nd->rang = vcpu;
	init_task_work(&nd->twork, nn_twork_fn);
	if (task_work_add(current, &nd->twork, TWA_RESUME)) {
		clear_bit(NN_QUEUED, &nd->flags);
		kref_put(&nd->ref, nn_device_free);
		/* A last reference is released from a work item: no sleep here. */
		fput(file);
	} else if (READ_ONCE(nn_signal_doorbell)) {
		send_sig(SIGUSR1, current, 0);
	}
	return 1;
}

/*
 * Register @nd as the doorbell's exclusive priority waiter, as
 * add_wait_queue_priority() does, unless another one is there already:
 * a KVM irqfd on the same eventfd, say. Priority waiters go first, and
 * the first exclusive one takes every wakeup, so the two would steal
 * doorbells from each other (whichever came last wins). 6.12 does not
 * refuse the second one itself.
 */
static void nn_queue_proc(struct file *file, wait_queue_head_t *wqh, poll_table *pt)
{
	struct nn_device *nd = container_of(pt, struct nn_device, pt);
	wait_queue_entry_t *w;
	unsigned long flags;

	nd->wqh = wqh;
	nd->wait.flags |= WQ_FLAG_EXCLUSIVE | WQ_FLAG_PRIORITY;
	spin_lock_irqsave(&wqh->lock, flags);
	list_for_each_entry(w, &wqh->head, entry) {
		if (w->flags & WQ_FLAG_PRIORITY) {
			nd->contended = true;
			break;
		}
	}
	if (!nd->contended)
		__add_wait_queue(wqh, &nd->wait);
	spin_unlock_irqrestore(&wqh->lock, flags);
}

/*
 * Would @nd close a loop of devices? An interrupt eventfd that is a
 * doorbell (its own or another device's), or a doorbell that is another
 * device's interrupt eventfd: a delivery would ring a device again from
 * its task work, and a cycle of them would never end.
 */
static bool nn_device_loops(const struct nn_device *nd)
{
	const struct nn_device *other;

	lockdep_assert_held(&nn_consumers_lock);
	if (nd->irq == nd->db)
		return true;
	list_for_each_entry(other, &nn_consumers, consumer)
		if ((nd->irq && other->db == nd->irq) || other->irq == nd->db)
			return true;
	return false;
}

/**
 * nn_ctx_alloc() - a context for a VM
 * @c: what user space asked for
 *
 * Return: the context, holding a reference to the VM, or ERR_PTR:
 * -EINVAL for flags or a file that is no VM, -EBADF for a bad fd,
 * -ENOENT for a VM being destroyed, -ENOMEM.
 */
struct nn_ctx *nn_ctx_alloc(const struct nested_notify_create *c)
{
	struct nn_ctx *ctx;
	struct kvm *kvm;

	if (c->flags)
		return ERR_PTR(-EINVAL);
	CLASS(fd, f)(c->vm_fd);
	if (fd_empty(f))
		return ERR_PTR(-EBADF);
	if (!file_is_kvm(fd_file(f)))
		return ERR_PTR(-EINVAL);
	kvm = fd_file(f)->private_data;
	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL_ACCOUNT);
	if (!ctx)
		return ERR_PTR(-ENOMEM);
	if (!kvm_get_kvm_safe(kvm)) {
		kfree(ctx);
		return ERR_PTR(-ENOENT);
	}
	ctx->kvm = kvm;
	ctx->id = atomic_inc_return(&nn_ctx_ids);
	mutex_init(&ctx->lock);
	INIT_LIST_HEAD(&ctx->devs);
	kref_init(&ctx->ref);
	atomic_inc(&nn_stats.contexts);
	return ctx;
}

/**
 * nn_ctx_set_table() - where L1's I/O translation table is
 * @ctx: the context
 * @t: its base and size
 *
 * Return: 0, or -EINVAL for flags, a misaligned base, a size out of
 * 1..NESTED_NOTIFY_MAX_ENTRIES or a table that wraps.
 */
int nn_ctx_set_table(struct nn_ctx *ctx, const struct nested_notify_table *t)
{
	if (t->flags || (t->gpa & 63) || !t->gpa || !t->nr_entries ||
	    t->nr_entries > NESTED_NOTIFY_MAX_ENTRIES ||
	    t->gpa + (u64)t->nr_entries * NN_ENTRY_SIZE < t->gpa)
		return -EINVAL;
	mutex_lock(&ctx->lock);
	ctx->table.gpa = t->gpa;
	ctx->table.nr_entries = t->nr_entries;
	mutex_unlock(&ctx->lock);
	return 0;
}

static struct nn_device *nn_ctx_find(struct nn_ctx *ctx, u32 entry)
{
	struct nn_device *nd;

	lockdep_assert_held(&ctx->lock);
	list_for_each_entry(nd, &ctx->devs, node)
		if (nd->core.index == entry)
			return nd;
	return NULL;
}

/*
 * Take @nd off its eventfd and its context; drops the list's reference.
 * What it still has pending is dropped, and counted so: a context's
 * delivered + pending + dropped stays its doorbells.
 */
static void nn_device_unlink(struct nn_ctx *ctx, struct nn_device *nd)
{
	u64 cnt = 0, sig;

	lockdep_assert_held(&ctx->lock);
	/* After this no wakeup runs: a queued task work finds @dead. */
	eventfd_ctx_remove_wait_queue(nd->db, &nd->wait, &cnt);
	nd->dead = true;
	/* What the eventfd held was consumed here: a doorbell too. */
	sig = atomic64_xchg(&nd->signalled, 0) + cnt;
	ctx->st.doorbells += sig;
	ctx->dropped += sig + nd->core.pending;
	atomic64_add(cnt, &nn_stats.doorbells);
	atomic64_add(sig + nd->core.pending, &nn_stats.dropped);
	nd->core.pending = 0;
	list_del(&nd->node);
	ctx->nr_devs--;
	mutex_lock(&nn_consumers_lock);
	list_del(&nd->consumer);
	mutex_unlock(&nn_consumers_lock);
	nn_device_put(nd);
}

/**
 * nn_ctx_add_device() - tie a doorbell eventfd to a table entry
 * @ctx: the context
 * @a: the device
 *
 * Return: 0; -EINVAL for flags or an entry out of range; -EBADF or
 * -EINVAL for an fd that is no eventfd; -EEXIST for an entry that has a
 * device; -EBUSY for a doorbell that has a consumer already (a device,
 * or another exclusive priority waiter such as a KVM irqfd); -ELOOP for
 * an interrupt eventfd that is a doorbell of this or another device, or
 * a doorbell that is another device's interrupt eventfd; -ENOSPC past
 * NESTED_NOTIFY_MAX_DEVICES; -ENOMEM.
 */
int nn_ctx_add_device(struct nn_ctx *ctx, const struct nested_notify_device *a)
{
	struct nn_device *nd, *other;
	struct file *file;
	__poll_t events;
	int ret;

	if (a->flags || a->entry >= NESTED_NOTIFY_MAX_ENTRIES)
		return -EINVAL;
	nd = kzalloc(sizeof(*nd), GFP_KERNEL_ACCOUNT);
	if (!nd)
		return -ENOMEM;
	file = eventfd_fget(a->doorbell_fd);
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
		goto free;
	}
	nd->db = eventfd_ctx_fileget(file);
	if (IS_ERR(nd->db)) {
		ret = PTR_ERR(nd->db);
		goto fput;
	}
	if (a->irq_fd != -1) {
		nd->irq = eventfd_ctx_fdget(a->irq_fd);
		if (IS_ERR(nd->irq)) {
			ret = PTR_ERR(nd->irq);
			nd->irq = NULL;
			goto put_db;
		}
	}
	nd->ctx = ctx;
	nn_dev_init(&nd->core, a->entry);
	kref_init(&nd->ref);
	init_waitqueue_func_entry(&nd->wait, nn_wake);
	init_poll_funcptr(&nd->pt, nn_queue_proc);

	mutex_lock(&ctx->lock);
	ret = -ENOSPC;
	if (ctx->nr_devs >= NESTED_NOTIFY_MAX_DEVICES)
		goto unlock;
	ret = -EEXIST;
	if (nn_ctx_find(ctx, a->entry))
		goto unlock;
	mutex_lock(&nn_consumers_lock);
	ret = -EBUSY;
	list_for_each_entry(other, &nn_consumers, consumer)
		if (other->db == nd->db)
			goto unlock_consumers;
	ret = -ELOOP;
	if (nn_device_loops(nd))
		goto unlock_consumers;
	/* Registered under the lock: no other ADD takes this doorbell meanwhile. */
	events = vfs_poll(file, &nd->pt);
	ret = -EBUSY;
	if (nd->contended)
		goto unlock_consumers;
	list_add(&nd->consumer, &nn_consumers);
	mutex_unlock(&nn_consumers_lock);
	kref_get(&ctx->ref);
	list_add(&nd->node, &ctx->devs);
	ctx->nr_devs++;
	if (events & EPOLLIN) {
		u64 cnt = 0;

		/* Rung before we listened: pending, as any unowned doorbell. */
		spin_lock_irq(&nd->wqh->lock);
		eventfd_ctx_do_read(nd->db, &cnt);
		spin_unlock_irq(&nd->wqh->lock);
		atomic64_add(cnt, &nd->signalled);
		atomic64_add(cnt, &nn_stats.doorbells);
		atomic64_add(cnt, &nn_stats.unowned);
	}
	mutex_unlock(&ctx->lock);
	fput(file);
	return 0;
unlock_consumers:
	mutex_unlock(&nn_consumers_lock);
unlock:
	mutex_unlock(&ctx->lock);
	if (nd->irq)
		eventfd_ctx_put(nd->irq);
put_db:
	eventfd_ctx_put(nd->db);
fput:
	fput(file);
free:
	kfree(nd);
	return ret;
}

/**
 * nn_ctx_remove_device() - remove the device of a table entry
 * @ctx: the context
 * @a: names the entry (other fields ignored but for @flags)
 *
 * Doorbells still pending in it are dropped with it: no one consumes
 * them any more.
 *
 * Return: 0, -EINVAL for flags, -ENOENT for an entry with no device.
 */
int nn_ctx_remove_device(struct nn_ctx *ctx, const struct nested_notify_device *a)
{
	struct nn_device *nd;

	if (a->flags)
		return -EINVAL;
	mutex_lock(&ctx->lock);
	nd = nn_ctx_find(ctx, a->entry);
	if (nd)
		nn_device_unlink(ctx, nd);
	mutex_unlock(&ctx->lock);
	return nd ? 0 : -ENOENT;
}

/**
 * nn_ctx_info() - a context's counters
 * @ctx: the context
 * @info: filled in
 */
void nn_ctx_info(struct nn_ctx *ctx, struct nested_notify_info *info)
{
	struct nn_device *nd;

	memset(info, 0, sizeof(*info));
	mutex_lock(&ctx->lock);
	info->doorbells = ctx->st.doorbells;
	info->records = ctx->st.records;
	info->delivered = ctx->st.delivered;
	info->coalesced = ctx->st.coalesced;
	info->overflows = ctx->st.overflows;
	info->faults = ctx->st.faults;
	info->walk_hits = ctx->st.walk_hits;
	info->walks = ctx->st.walks;
	info->deferred = ctx->deferred;
	info->loaded = ctx->loaded;
	info->dropped = ctx->dropped;
	info->interrupts = ctx->interrupts;
	info->devices = ctx->nr_devs;
	info->table_gpa = ctx->table.gpa;
	info->nr_entries = ctx->table.nr_entries;
	/* Consumed from the eventfds but not yet given to the core, too. */
	list_for_each_entry(nd, &ctx->devs, node) {
		u64 sig = atomic64_read(&nd->signalled);

		info->pending += nd->core.pending + sig;
		info->doorbells += sig;
	}
	mutex_unlock(&ctx->lock);
}

/**
 * nn_ctx_release() - the context's file is released
 * @ctx: the context
 *
 * Removes every device and frees the context: a delivery queued on a
 * vCPU thread holds the file, so none is left by now.
 */
void nn_ctx_release(struct nn_ctx *ctx)
{
	struct nn_device *nd, *tmp;

	mutex_lock(&ctx->lock);
	list_for_each_entry_safe(nd, tmp, &ctx->devs, node)
		nn_device_unlink(ctx, nd);
	mutex_unlock(&ctx->lock);
	nn_ctx_put(ctx);
}
