// SPDX-License-Identifier: GPL-2.0
/*
 * iommu_migrate glue: emulated DMA engines. Each is a kthread that
 * reads and writes through the IOMMU as a device would: IOVA -> IOTLB
 * (a ptsel walker) or I/O page table -> RMT check -> page. A PTE or
 * RMT entry in the migrating state makes it stall and translate again:
 * it polls for the PME's release, as a device retrying in hardware
 * does, for up to dma_retry_poll_us, then sleeps until it; after a
 * move it refreshes its translation with ptsel's lookup_update. It
 * never touches a page whose RMT entry it has not checked, and holds
 * the entry's in-flight count for the access so that the PME can
 * drain it. A real device's DMA takes no CPU time, so the kthreads run
 * as SCHED_IDLE: they take only the CPU that nothing else wants (see
 * engine_sched_idle()).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/err.h>
#include <linux/highmem.h>
#include <linux/kthread.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/prandom.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include <linux/slab.h>
#include <uapi/linux/sched/types.h>

#include "imm_internal.h"
#include "trace.h"

DECLARE_WAIT_QUEUE_HEAD(imm_release_wq);
DECLARE_WAIT_QUEUE_HEAD(imm_drain_wq);
atomic64_t imm_release_seq = ATOMIC64_INIT(0);
atomic64_t imm_move_seq = ATOMIC64_INIT(0);
atomic_t imm_hold_access = ATOMIC_INIT(IMM_HOLD_OFF);

/* The longest the hold_access test hook keeps an access in flight. */
#define IMM_HOLD_MAX_MS	5000

/*
 * The hold_access test hook: when armed, the next access of a slow
 * engine stays in flight, its RMT entry's count held, until the hook
 * is written 0, the engine stops or IMM_HOLD_MAX_MS pass. It sleeps:
 * the in-flight count, not RCU, keeps the entry (see dev_access()).
 */
static void hold_point(void)
{
	unsigned int ms;

	might_sleep();
	if (atomic_cmpxchg(&imm_hold_access, IMM_HOLD_ARMED,
			   IMM_HOLD_HELD) != IMM_HOLD_ARMED)
		return;
	for (ms = 0; ms < IMM_HOLD_MAX_MS && !kthread_should_stop() &&
	     atomic_read(&imm_hold_access) == IMM_HOLD_HELD; ms++)
		usleep_range(1000, 1100);
	atomic_cmpxchg(&imm_hold_access, IMM_HOLD_HELD, IMM_HOLD_OFF);
}

/**
 * imm_rmt_retire() - say that RMT entries are about to go or change owner
 *
 * Called after the PTEs of the entries changed (a switch, an unmap) and
 * before the entries lose their owner. A device reads the count before
 * it translates; a retired entry whose retirement is newer than what
 * the device read excuses its access as stale (imm_rmt_check_retired()).
 *
 * Return: the retirement's sequence number, for imm_rmt_set_retired().
 */
u64 imm_rmt_retire(void)
{
	/* Fully ordered: after the PTE change, before the entries change. */
	return atomic64_inc_return(&imm_move_seq);
}

/**
 * imm_rmt_set_retired() - record what a retiring RMT entry mapped
 * @e: the entry, about to be published without owner
 * @was: its fields while owned
 * @seq: from imm_rmt_retire()
 *
 * Before the publication of the unowned fields, whose release orders
 * it for the devices that read the state with acquire.
 */
void imm_rmt_set_retired(struct imm_rmt_ent *e, const struct imm_rmt *was,
			 u64 seq)
{
	struct imm_retired ret;

	imm_retired_set(&ret, was, seq);
	WRITE_ONCE(e->ret.domain, ret.domain);
	WRITE_ONCE(e->ret.iova, ret.iova);
	WRITE_ONCE(e->ret.seq, ret.seq);
}

/**
 * imm_rmt_wait_idle() - wait until no device access holds an entry
 * @e: the entry, unreachable for new accesses (erased from the RMT, or
 *     unowned and a grace period past its publication)
 *
 * An access that passed its check holds the entry by its in-flight
 * count, outside RCU; the entry may be freed once this returns.
 */
void imm_rmt_wait_idle(struct imm_rmt_ent *e)
{
	while (atomic_read(&e->inflight))
		usleep_range(100, 200);
}

/*
 * The entry a lookup found, or none: the RMT verdict, with a retired
 * entry telling a stale translation (of its page, from before its
 * retirement) from a violation.
 */
static enum imm_verdict rmt_verdict(struct imm_engine *e,
				    struct imm_rmt_ent *ent, u64 page_iova,
				    u64 since)
{
	struct imm_retired ret = { };
	struct imm_rmt r;

	if (!ent)
		return imm_rmt_check_retired(NULL, &ret, e->dom->id, page_iova,
					     e->gen, since);
	imm_rmt_snapshot(ent, &r);
	/* After the acquire of the state: pairs with imm_rmt_publish(). */
	ret.domain = READ_ONCE(ent->ret.domain);
	ret.iova = READ_ONCE(ent->ret.iova);
	ret.seq = READ_ONCE(ent->ret.seq);
	return imm_rmt_check_retired(&r, &ret, e->dom->id, page_iova, e->gen,
				     since);
}

/* Replace a stale translation (ptsel's updatable lookup). */
static void refresh(struct imm_engine *e, u64 iova)
{
	struct ptsel_xlate x;

	ptsel_partition_lookup_update(e->dom->part, iova, &e->gen, &x);
	e->st.refreshes++;
}

/**
 * struct dev_wait - how a device access waits for migrating pages
 * @met: when it first met its page migrating (ktime ns), 0 until then
 * @waited: its wait rounds' time so far (ns)
 * @poll_end: until when (local_clock() ns) it polls for the release
 *	      before it sleeps, from @met; 0 once spent (or never set:
 *	      dma_retry_poll_us 0), U64_MAX with the retry_poll_unbounded
 *	      test hook
 */
struct dev_wait {
	u64 met;
	u64 waited;
	u64 poll_end;
};

/*
 * The poll reads the clock once every IMM_POLL_CLOCK_EVERY spins. The
 * clock is local_clock(): the TSC where there is one, never the
 * clocksource (under QEMU that may be the emulated HPET, whose
 * ktime_get() takes about 1 us, longer than the release it would
 * delay). Read on each spin, even the cheap clock would be most of a
 * spin's cost; one read in 8 spins keeps the loop to two loads and a
 * PAUSE, and overshoots the bound by at most 8 spins while the engine
 * runs: 0.1-1 us on hardware (a PAUSE is 10-140 cycles). Under an
 * emulator a spin can last much longer: single-threaded TCG leaves the
 * vCPU at a PAUSE and runs the other one, for milliseconds at times,
 * and a round that then sees the release counts as polled.
 * local_clock() of two CPUs may differ slightly if the engine moves:
 * the bound is approximate, a sleep follows anyway.
 */
#define IMM_POLL_CLOCK_EVERY	8

/*
 * Poll for the release as a device retrying in hardware does: spin on
 * the release count, not the clock, until it moves from @seq, the
 * engine stops, or the access's poll time (@w->poll_end) is spent.
 * Outside RCU and preemptible: the caller holds no entry; a task
 * woken on this CPU (the PME) runs at once (cond_resched(); the engine
 * is SCHED_IDLE). Engines are not freezable (no set_freezable()): the
 * poll needs no try_to_freeze(), as the sleep has none.
 *
 * Return: true if the release (or the stop) came while it polled;
 * false if it must sleep.
 */
static bool dev_poll(struct dev_wait *w, u64 seq)
{
	unsigned int i;

	if (!w->poll_end)
		return false;
	for (i = 0; ; i++) {
		/*
		 * Acquire: the release's stamp in the entry (pme_release())
		 * before what the access reads after the count.
		 */
		if (atomic64_read_acquire(&imm_release_seq) != seq ||
		    kthread_should_stop())
			return true;
		if (!(i % IMM_POLL_CLOCK_EVERY) && local_clock() >= w->poll_end) {
			/* Spent for this access: its later rounds sleep. */
			w->poll_end = 0;
			return false;
		}
		cond_resched();
		cpu_relax();
	}
}

/*
 * Wait for the PME to release a migrating page, then refresh. The
 * first round of an access sets @w->met and counts the access as
 * stalled, once however many rounds it waits. A round polls for the
 * release while the access's poll time lasts (dma_retry_poll_us from
 * @w->met), then sleeps until the release, at most 10 ms. Its time
 * adds to the stall time and to @w->waited. Called outside RCU and
 * with preemption on (see __dev_access()).
 */
static void dev_stall(struct imm_engine *e, u64 iova, u64 seq,
		      struct dev_wait *w)
{
	ktime_t t0 = ktime_get();
	struct ptsel_xlate x;
	u64 ns;

	might_sleep();
	if (!w->met) {
		unsigned int us = READ_ONCE(imm_dma_retry_poll_us);

		w->met = ktime_to_ns(t0);
		w->poll_end = READ_ONCE(imm_retry_poll_unbounded) ? U64_MAX :
			      us ? local_clock() + (u64)us * NSEC_PER_USEC : 0;
		e->st.stalls++;
		atomic64_inc(&imm_stats.dma_stalls);
	}
	if (dev_poll(w, seq)) {
		atomic64_inc(&imm_stats.dma_stall_polls);
	} else {
		atomic64_inc(&imm_stats.dma_stall_sleeps);
		wait_event_interruptible_timeout(imm_release_wq,
						 atomic64_read(&imm_release_seq) != seq ||
						 kthread_should_stop(),
						 msecs_to_jiffies(10));
	}
	ns = ktime_to_ns(ktime_sub(ktime_get(), t0));
	w->waited += ns;
	e->st.stall_ns += ns;
	atomic64_add(ns, &imm_stats.dma_stall_ns);
	trace_iommu_migrate_dma_stall(e->st.id, e->dom->id, iova, ns);
	/* The IOTLB was invalidated; refresh what the device holds. */
	if (ptsel_partition_lookup_update(e->dom->part, iova, &e->gen, &x) > 0)
		e->st.refreshes++;
}

/* A stalled access is over: its whole wait goes to the histogram. */
static void dev_stall_hist(struct imm_engine *e, u64 waited)
{
	e->st.stall_hist[min_t(unsigned int, waited ? ilog2(waited) : 0,
			       IOMMU_MIGRATE_STALL_BUCKETS - 1)]++;
}

/*
 * An access that stalled goes through: trace how long it waited, from
 * @met, when it first met the page migrating, to the release of the
 * entry it now uses (@released). The time since the release is the
 * engine kthread's wake-up, which a device that retries in hardware
 * does not have. If the PME has not stamped the entry yet, or the
 * stamp is an older move's: up to now, an upper bound.
 */
static void dev_waited(struct imm_engine *e, u64 iova, u64 met, u64 released)
{
	u64 now = ktime_get_ns();

	trace_iommu_migrate_dma_wait(e->st.id, iova,
		(released > met && released < now ? released : now) - met);
}

/* Outcomes of an access; one cut short by the engine's stop is no fault. */
enum { DEV_OK, DEV_FAULT, DEV_VIOLATION, DEV_STOPPED };

/*
 * The access is over. The decrement is a full barrier: either the PME,
 * which marks the entry migrating before it looks at the count, sees
 * zero, or this sees the mark and wakes it. The caller is inside an
 * RCU read side: once the count is zero the entry may be freed, after
 * a grace period (kfree_rcu()).
 */
static void access_done(struct imm_rmt_ent *ent)
{
	RCU_LOCKDEP_WARN(!rcu_read_lock_held(), "an access ends outside RCU");
	if (!atomic_dec_and_test(&ent->inflight))
		return;
	/* Pairs with the release in imm_rmt_publish() of the mark. */
	if (smp_load_acquire(&ent->r.state) == IMM_MIGRATING)
		wake_up(&imm_drain_wq);
}

/*
 * One device access of @len bytes (inside one page) at @iova: copy
 * @buf to the page (@write) or the page to @buf. Each try runs under
 * RCU from before its translation to its RMT check, so that an entry
 * retired after the translation is still there, retired, when the
 * check looks (pme_retire_old(), rmt_drop()); the access itself holds
 * the entry by its in-flight count.
 *
 * A device's access, once in flight, ends in bounded time. The engine
 * is a SCHED_IDLE kthread: preempted while it holds the count, it could
 * wait for the CPU as long as busy tasks keep it (about a second at a
 * weight of 3 against 1024), and the PME would wait in its drain for
 * it. So the count is held with preemption off, from its increment to
 * its decrement, except by a slow device (@e->hold_us), whose access
 * sleeps in flight on purpose (and whose wake-up may then be late).
 */
static int __dev_access(struct imm_engine *e, u64 iova, void *buf,
			size_t len, bool write, struct dev_wait *w)
{
	u64 page_iova = iova & PAGE_MASK;
	bool slow = e->hold_us;

	for (;;) {
		u64 seq = atomic64_read(&imm_release_seq);
		struct imm_rmt_ent *ent;
		struct ptsel_xlate x;
		enum imm_verdict v;
		u64 since;
		u32 want;
		void *va;
		int ret;

		if (kthread_should_stop())
			return DEV_STOPPED;
		rcu_read_lock();
		/* Before the translation: pairs with imm_rmt_retire(). */
		since = atomic64_read_acquire(&imm_move_seq);
		if (ptsel_walker_translate(e->walker, iova, &x)) {
			rcu_read_unlock();
			return DEV_FAULT;
		}
		if (ptsel_sw(x.prot) == IMM_MIGRATING) {
			rcu_read_unlock();
			dev_stall(e, page_iova, seq, w);
			continue;
		}
		if (ptsel_sw(x.prot) != IMM_NORMAL ||
		    (write && !(x.prot & PTSEL_PROT_WRITE))) {
			rcu_read_unlock();
			return DEV_FAULT;
		}
		/*
		 * A translation without the accessed (or, for a write, the
		 * dirty) bit: set it in the PTE, as an IOMMU with A/D
		 * tracking does, and translate again.
		 */
		want = PTSEL_LEAF_ACCESSED | (write ? PTSEL_LEAF_DIRTY : 0);
		if ((x.prot & want) != want) {
			rcu_read_unlock();
			ret = ptsel_partition_leaf_ad(e->dom->part, page_iova,
						      x.target & PAGE_MASK,
						      want, 0, NULL);
			if (ret == -EAGAIN)
				refresh(e, iova);
			else if (ret)
				return DEV_FAULT;
			continue;
		}

		if (!slow)
			preempt_disable();
		ent = xa_load(&imm_rmt_xa, x.target >> PAGE_SHIFT);
		if (ent) {
			atomic_inc(&ent->inflight);
			/* Pairs with the PME's barrier between marking and draining. */
			smp_mb__after_atomic();
		}
		v = rmt_verdict(e, ent, page_iova, since);
		if (v != IMM_ACCESS_OK) {
			if (ent)
				access_done(ent);
			rcu_read_unlock();
			if (!slow)
				preempt_enable();
			if (v == IMM_ACCESS_STALL) {
				dev_stall(e, page_iova, seq, w);
				continue;
			}
			if (v == IMM_ACCESS_STALE) {
				refresh(e, iova);
				continue;
			}
			if (v == IMM_ACCESS_BLOCKED)
				return DEV_FAULT;
			trace_iommu_migrate_rmt_violation(e->dom->id, iova,
							  x.target >> PAGE_SHIFT,
							  v);
			return DEV_VIOLATION;
		}
		/*
		 * Checked: the in-flight count keeps @ent and its page (the
		 * PME drains it before a switch, rmt_drop() waits for it).
		 */
		rcu_read_unlock();
		va = kmap_local_pfn(x.target >> PAGE_SHIFT);
		if (write)
			memcpy(va + offset_in_page(x.target), buf, len);
		else
			memcpy(buf, va + offset_in_page(x.target), len);
		kunmap_local(va);
		/*
		 * The RMT's write count, after the data: the PME that reads
		 * it unchanged across its pre-copy and drain knows the
		 * pre-copy holds every write (see pme_precopy()).
		 */
		if (write) {
			/* The data before the count: pairs with pme_precopy(). */
			smp_mb__before_atomic();
			atomic_inc(&ent->writes);
		}
		if (w->met && trace_iommu_migrate_dma_wait_enabled())
			dev_waited(e, page_iova, w->met, READ_ONCE(ent->released_ns));
		/* A slow device: the access stays in flight a while, asleep. */
		if (slow) {
			fsleep(e->hold_us);
			hold_point();
		}
		rcu_read_lock();
		access_done(ent);
		rcu_read_unlock();
		if (!slow)
			preempt_enable();
		return DEV_OK;
	}
}

static int dev_access(struct imm_engine *e, u64 iova, void *buf, size_t len,
		      bool write)
{
	struct dev_wait w = { };
	int ret = __dev_access(e, iova, buf, len, write, &w);

	if (w.met)
		dev_stall_hist(e, w.waited);
	return ret;
}

static void count_outcome(struct imm_engine *e, int ret)
{
	if (ret == DEV_FAULT) {
		e->st.faults++;
	} else if (ret == DEV_VIOLATION) {
		e->st.rmt_violations++;
		atomic64_inc(&imm_stats.rmt_violations);
	}
}

/* Write the next record, with sequence number e->st.writes. */
static void op_write(struct imm_engine *e)
{
	u64 seq = e->st.writes, iova = e->base + (seq % e->slots) * IMM_REC_SIZE;
	struct iommu_migrate_record rec;
	int ret;

	imm_rec_fill(&rec, e->st.id, seq, iova);
	ret = dev_access(e, iova, &rec, sizeof(rec), true);
	if (ret == DEV_OK)
		e->st.writes++;
	count_outcome(e, ret);
}

/*
 * Read a random slot and check it. A read-verify engine checks records
 * any engine wrote; a mixed one, only its own, among the slots written,
 * and each must be the last it wrote there (not stale).
 */
static void op_check(struct imm_engine *e, struct rnd_state *rs)
{
	u64 range = e->slots, slot, iova;
	u32 owner = U32_MAX;
	struct iommu_migrate_record rec;
	enum imm_rec_verdict v;
	int ret;

	if (e->pattern == IOMMU_MIGRATE_PATTERN_MIXED) {
		owner = e->st.id;
		range = min(e->st.writes, e->slots);
		if (!range)
			return;
	}
	slot = ((u64)prandom_u32_state(rs) << 32 | prandom_u32_state(rs)) % range;
	iova = e->base + slot * IMM_REC_SIZE;
	ret = dev_access(e, iova, &rec, sizeof(rec), false);
	count_outcome(e, ret);
	if (ret != DEV_OK)
		return;
	e->st.checks++;
	/* Its own records: the engine knows the last one in each slot. */
	if (owner != U32_MAX)
		v = imm_rec_check_own(&rec, owner, e->base, slot, e->slots,
				      e->st.writes);
	else
		v = imm_rec_check(&rec, rec.engine, e->base, slot, e->slots);
	if (v == IMM_REC_TORN || v == IMM_REC_MISPLACED ||
	    v == IMM_REC_STALE || (v == IMM_REC_EMPTY && owner != U32_MAX))
		e->st.check_errors++;
}

/* Keep to @e->rate operations per second. */
static void pace(struct imm_engine *e, ktime_t start)
{
	ktime_t due, now;

	if (!e->rate) {
		cond_resched();
		return;
	}
	due = ktime_add_ns(start, div_u64(e->st.ops * NSEC_PER_SEC, e->rate));
	now = ktime_get();
	if (ktime_after(due, now))
		schedule_timeout_interruptible(nsecs_to_jiffies(ktime_to_ns(ktime_sub(due, now))) + 1);
}

static int engine_fn(void *arg)
{
	struct imm_engine *e = arg;
	ktime_t start = ktime_get();
	struct rnd_state rs;

	prandom_seed_state(&rs, e->st.id);
	while (!kthread_should_stop() && (!e->count || e->st.ops < e->count)) {
		switch (e->pattern) {
		case IOMMU_MIGRATE_PATTERN_SEQ_WRITE:
			op_write(e);
			break;
		case IOMMU_MIGRATE_PATTERN_READ_VERIFY:
			op_check(e, &rs);
			break;
		default:
			if (e->st.ops & 1)
				op_check(e, &rs);
			else
				op_write(e);
			break;
		}
		e->st.ops++;
		pace(e, start);
	}
	WRITE_ONCE(e->st.running, 0);
	/* Idle until stopped: the file reads the counters until then. */
	while (!kthread_should_stop()) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (!kthread_should_stop())
			schedule();
		__set_current_state(TASK_RUNNING);
	}
	return 0;
}

/*
 * An emulated engine models a device whose DMA uses no CPU. As a kthread
 * of the default policy it would take an equal share of the CPUs from
 * the PME and every other task: with four unthrottled engines on two
 * CPUs the PME ran 37-40% of the time and waited on the runqueue the
 * rest, 1.6-3.7 times slower per page. SCHED_IDLE gives the engine the
 * CPU no other task wants (its weight is 3 against 1024 for nice 0,
 * and a waking task preempts it at once), and still some CPU under any
 * load, so it always makes progress. Of a fair policy, with no permission
 * check, the change cannot fail; if it did, the engine would run at the
 * default policy, correct but costlier for the PME.
 */
static void engine_sched_idle(struct task_struct *t)
{
	struct sched_attr attr = {
		.size = sizeof(attr),
		.sched_policy = SCHED_IDLE,
	};
	int ret = sched_setattr_nocheck(t, &attr);

	if (ret)
		pr_warn_once("an engine keeps the default policy: %d\n", ret);
}

/**
 * imm_engine_start() - start an emulated DMA engine
 * @d: its domain; the engine takes a reference
 * @req: pattern, window, count and rate
 * @id: its id (in its file; also the @engine of its records)
 *
 * Return: the engine, or ERR_PTR(-EINVAL for a bad request, -ENOMEM).
 */
struct imm_engine *imm_engine_start(struct imm_domain *d,
				    const struct iommu_migrate_engine *req,
				    u32 id)
{
	struct imm_engine *e;
	int ret;

	if (req->pattern >= IOMMU_MIGRATE_NR_PATTERNS || req->reserved ||
	    !req->size || req->size % IMM_REC_SIZE || req->iova % IMM_REC_SIZE ||
	    req->iova + req->size < req->iova ||
	    req->rate > READ_ONCE(imm_max_engine_rate) ||
	    req->hold_us > IOMMU_MIGRATE_MAX_HOLD_US)
		return ERR_PTR(-EINVAL);
	e = kzalloc(sizeof(*e), GFP_KERNEL_ACCOUNT);
	if (!e)
		return ERR_PTR(-ENOMEM);
	e->walker = ptsel_walker_create();
	if (IS_ERR(e->walker)) {
		ret = PTR_ERR(e->walker);
		goto free;
	}
	ptsel_walker_switch(e->walker, d->part);
	kref_get(&d->ref);
	e->dom = d;
	e->pattern = req->pattern;
	e->rate = req->rate;
	e->hold_us = req->hold_us;
	e->base = req->iova;
	e->slots = req->size / IMM_REC_SIZE;
	e->count = req->count;
	e->st.id = id;
	e->st.running = 1;
	e->task = kthread_create(engine_fn, e, "imm_dma/%u", id);
	if (IS_ERR(e->task)) {
		ret = PTR_ERR(e->task);
		goto put;
	}
	engine_sched_idle(e->task);
	get_task_struct(e->task);
	wake_up_process(e->task);
	return e;
put:
	imm_domain_put(d);
	ptsel_walker_destroy(e->walker);
free:
	kfree(e);
	return ERR_PTR(ret);
}

/**
 * imm_engine_stop() - stop an engine and free it
 * @e: the engine
 * @st: if not NULL, its final counters
 */
void imm_engine_stop(struct imm_engine *e,
		     struct iommu_migrate_engine_stats *st)
{
	kthread_stop(e->task);
	if (st) {
		*st = e->st;
		st->running = 0;
	}
	put_task_struct(e->task);
	ptsel_walker_destroy(e->walker);
	imm_domain_put(e->dom);
	kfree(e);
}

/**
 * imm_engine_stats() - read an engine's counters
 * @e: the engine
 * @st: filled in (a racy copy while it runs; exact once it idles)
 */
void imm_engine_stats(struct imm_engine *e,
		      struct iommu_migrate_engine_stats *st)
{
	*st = e->st;
	st->running = READ_ONCE(e->st.running);
}
