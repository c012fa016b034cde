// SPDX-License-Identifier: GPL-2.0
/*
 * nested_notify on real KVM with three levels: L0 is KVM with the
 * module, L1 the agent's bare-metal SVM hypervisor (agent.c), L2 its
 * doorbell loop. Step by step:
 *   (a) L1 in long mode with paging sets EFER.SVME and runs an L2 that
 *       VMMCALLs back;
 *   (b) L2's port and MMIO doorbells, registered as KVM_IOEVENTFD on the
 *       L1 VM, are completed by L0 with no exit reflected to L1;
 *   (c) with the module, every doorbell lands in L1's ring, in order,
 *       none lost or duplicated, with no L1 exit; the interrupt reaches
 *       L1's handler; a full ring overflows and coalesces without loss;
 *       a new generation is walked again; killing the VMM leaks nothing.
 * Counts only, no timing.
 */
#define _GNU_SOURCE		/* CPU_SET(), pthread_setaffinity_np() */
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "memvirt_ksft.h"
#include "nn_vmm.h"

/* The count; under TCG a run takes about a minute (see settings). */
#define N_DOORBELLS	10000
/* Paced doorbells (one in flight at a time) of the signal and polling tests. */
#define N_PACED		300
/*
 * c_second_deliveries_pair_up: paced doorbells (one interrupt each), and
 * the handler's loop before its ISR read. On the stock tier of
 * 2026-12-04 they gave 9 to 58 second deliveries a run.
 */
#define N_SPIN		300
#define ISR_SPIN	400000

static void require(struct __test_metadata *_metadata, bool module)
{
	if (access("/dev/kvm", R_OK | W_OK))
		SKIP(return, "no /dev/kvm");
	if (module && access(NN_DEV, R_OK | W_OK))
		SKIP(return, "nested_notify not loaded");
}

/* Each test's VM is its own; the fixture only sets timeouts. */
FIXTURE(nn) {
	int unused;
};

FIXTURE_SETUP(nn)
{
}

FIXTURE_TEARDOWN(nn)
{
}

/*
 * Run the agent to the end of both vCPUs; 0 or the failing state. With
 * @spread, vCPU i's thread runs on CPU i only (where there are two), so
 * that the two vCPUs never share a CPU.
 */
static int run_spread(struct vmm *v, bool spread)
{
	int s0, s1, i;

	if (vmm_start(v))
		return -1;
	for (i = 0; spread && i < 2 && sysconf(_SC_NPROCESSORS_ONLN) > 1; i++) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(i, &set);
		pthread_setaffinity_np(v->th[i], sizeof(set), &set);
	}
	s0 = vmm_wait(v, 0, VM_WAIT_S);
	if (s0 == 1 && v->ctl->hold)
		__atomic_store_n(&v->ctl->hold, 0, __ATOMIC_RELEASE);
	s1 = vmm_wait(v, 1, VM_WAIT_S);
	if (s0 != 1 || s1 != 1) {
		fprintf(stderr, "# vcpu0 %d (%s) vcpu1 %d (%s) rung %llu consumed %llu\n",
			s0, v->why[0], s1, v->why[1], v->ctl->l2_rung, v->ctl->consumed);
		return s0 != 1 ? s0 : s1;
	}
	return 0;
}

static int run(struct vmm *v)
{
	return run_spread(v, false);
}

static uint64_t eventfd_count(int fd)
{
	uint64_t n = 0;

	if (read(fd, &n, sizeof(n)) != sizeof(n))
		return 0;
	return n;
}

TEST_F_TIMEOUT(nn, a_l1_runs_l2_with_vmrun, 120)
{
	struct ag_ctl c = { .mode = MODE_VMMCALL };
	struct vmm v;

	require(_metadata, false);
	ASSERT_EQ(0, vmm_create(&v, 0, &c));
	ASSERT_EQ(0, run(&v));
	EXPECT_EQ(1, v.ctl->l1_exits);
	EXPECT_EQ(0x81, v.ctl->first_exit);	/* VMMCALL */
	vmm_destroy(&v);
}

static void l0_completes(struct __test_metadata *_metadata, unsigned int flags,
			 unsigned int mode)
{
	struct ag_ctl c = { .mode = mode, .n = 200 };
	struct vmm v;

	require(_metadata, false);
	ASSERT_EQ(0, vmm_create(&v, flags, &c));
	ASSERT_EQ(0, run(&v));
	EXPECT_EQ(200, v.ctl->l2_rung);
	EXPECT_EQ(200, eventfd_count(v.db));
	/* L1's handler ran once, for the final VMMCALL: no doorbell reached it. */
	EXPECT_EQ(1, v.ctl->l1_exits);
	EXPECT_EQ(0x81, v.ctl->last_exit);
	vmm_destroy(&v);
}

TEST_F_TIMEOUT(nn, b_l2_port_doorbell_completed_by_l0, 120)
{
	l0_completes(_metadata, 0, MODE_PORT);
}

TEST_F_TIMEOUT(nn, b_l2_mmio_doorbell_completed_by_l0, 120)
{
	l0_completes(_metadata, VMM_MMIO_DB, MODE_MMIO);
}

/*
 * B1, the bench's and the demo's baseline: L1 intercepts the port and
 * writes each record itself, one L1 exit per doorbell, no module.
 */
TEST_F_TIMEOUT(nn, b_l1_intercept_baseline_writes_every_record, 120)
{
	struct ag_ctl c = { .mode = MODE_PORT, .n = 200, .slots = 64, .l1_intercept = 1 };
	struct vmm v;

	require(_metadata, false);
	ASSERT_EQ(0, vmm_create(&v, 0, &c));
	ASSERT_EQ(0, run(&v));
	EXPECT_EQ(200, v.ctl->l2_rung);
	EXPECT_EQ(200, v.ctl->consumed);
	EXPECT_EQ(200, v.ctl->records);
	EXPECT_EQ(0, v.ctl->bad_seq);
	EXPECT_EQ(0, v.ctl->bad_check);
	EXPECT_EQ(200, v.ctl->l1_exits_other);
	EXPECT_EQ(0, eventfd_count(v.db));
	vmm_destroy(&v);
}

/* Every record checked by L1, all doorbells accounted for, both ways. */
static void check_delivery(struct __test_metadata *_metadata, struct vmm *v,
			   unsigned int n)
{
	struct nested_notify_info info = vmm_info(v);
	struct ag_ctl *c = v->ctl;

	EXPECT_EQ(n, c->l2_rung);
	EXPECT_EQ(c->l2_rung + c->flushes, c->consumed);
	EXPECT_EQ(0, c->bad_seq);
	EXPECT_EQ(0, c->bad_check);
	EXPECT_EQ(0, c->bad_entry);
	EXPECT_EQ(c->consumed, info.doorbells);
	EXPECT_EQ(info.doorbells, info.delivered + info.pending);
	EXPECT_EQ(0, info.pending);
	EXPECT_EQ(c->records, info.records);
	EXPECT_EQ(0, info.faults);
	EXPECT_EQ(0, v->set_table_err);
	/*
	 * Every interrupt raised reaches L1's handler, delivered once by its
	 * APIC: L1 saw exactly as many arms consumed (disarms), and its
	 * handler ran with AG_VEC in service exactly that often. Under QEMU
	 * TCG a delivery KVM injected can come a second time, as an
	 * exception, before the handler's first intercepted instruction
	 * (agent.c, isr_msi()): that second run interrupts the first inside
	 * the handler, with IF clear, while AG_VEC is in service
	 * (irqs_nested) and ends it; the first then runs without it,
	 * returning right after L1's HLT (irqs_unacked_halt). One for one.
	 * A run without AG_VEC anywhere else has no cause (irqs_unacked_other).
	 */
	EXPECT_EQ(info.interrupts, c->disarms);
	EXPECT_EQ(info.interrupts, c->irqs);
	EXPECT_EQ(c->irqs_unacked_halt, c->irqs_nested);
	EXPECT_EQ(0, c->irqs_unacked_other);
	EXPECT_EQ(c->irqs_unacked, c->irqs_unacked_halt + c->irqs_unacked_other);
	TH_LOG("interrupts raised %llu, disarms seen %llu, APIC-delivered %llu (second deliveries %llu, last ip %llx), unacked runs after HLT %llu, elsewhere %llu (last ip %llx irr %llx), taken in the STI shadow %llu",
	       (unsigned long long)info.interrupts, c->disarms, c->irqs, c->irqs_nested,
	       c->nested_ip, c->irqs_unacked_halt, c->irqs_unacked_other, c->unacked_ip,
	       c->unacked_irr, c->irqs_in_shadow);
}

/* As check_delivery(), when some deliveries faulted. */
static void check_delivery_faulted(struct __test_metadata *_metadata, struct vmm *v,
				   unsigned int n)
{
	struct nested_notify_info info = vmm_info(v);
	struct ag_ctl *c = v->ctl;

	EXPECT_EQ(n, c->l2_rung);
	EXPECT_EQ(c->l2_rung + c->flushes, c->consumed);
	EXPECT_EQ(0, c->bad_seq);
	EXPECT_EQ(0, c->bad_check);
	EXPECT_EQ(c->consumed, info.doorbells);
	EXPECT_EQ(0, info.pending);
	EXPECT_EQ(info.doorbells, info.delivered);
}

static void zero_exits(struct __test_metadata *_metadata, unsigned int flags,
		       unsigned int mode, unsigned int n)
{
	struct ag_ctl c = { .mode = mode, .n = n, .slots = 1024 };
	long unowned, stranded, merged;
	struct nested_notify_info info;
	struct vmm v;

	require(_metadata, true);
	unowned = mv_read_knob(NN_SYSFS, "unowned_doorbells");
	stranded = mv_read_knob(NN_SYSFS, "stranded_deliveries");
	merged = mv_read_knob(NN_SYSFS, "merged_doorbells");
	ASSERT_EQ(0, vmm_create(&v, VMM_MODULE | flags, &c));
	ASSERT_EQ(0, run(&v));
	check_delivery(_metadata, &v, n);
	/* Zero L1 exits for the doorbells: only the final VMMCALL. */
	EXPECT_EQ(1, v.ctl->l1_exits);
	EXPECT_EQ(0x81, v.ctl->last_exit);
	EXPECT_EQ(0, v.ctl->l1_exits_other);
	/* The consumer slept and its interrupt woke it. */
	EXPECT_LT(0, v.ctl->irqs);
	/*
	 * Both vCPU threads are back in user space: every delivery queued
	 * on them has run, so these counters are final. Every doorbell was
	 * rung by a vCPU of the VM (none unowned), and every delivery
	 * queued ran (none stranded). Each doorbell queued one delivery in
	 * the thread that rang it, or found one of the device queued
	 * already and went with it (merged_doorbells). Only L1's flushes
	 * after an overflow ring from another vCPU than L2's, whose
	 * delivery runs before L2 rings again: without a flush, none is
	 * merged and there is one delivery per doorbell. With one, L2's
	 * doorbells rung while the flush's delivery is queued on vCPU 1's
	 * thread go with it (c_doorbells_merge_into_a_queued_delivery).
	 */
	info = vmm_info(&v);
	unowned = mv_read_knob(NN_SYSFS, "unowned_doorbells") - unowned;
	stranded = mv_read_knob(NN_SYSFS, "stranded_deliveries") - stranded;
	merged = mv_read_knob(NN_SYSFS, "merged_doorbells") - merged;
	EXPECT_EQ(0, unowned);
	EXPECT_EQ(0, stranded);
	EXPECT_EQ(v.ctl->l2_rung + v.ctl->flushes, info.deferred + merged);
	if (!v.ctl->flushes)
		EXPECT_EQ(0, merged);
	TH_LOG("doorbells %u records %llu irqs %llu sleeps %llu walk hits %llu deferred %llu loaded %llu merged %ld unowned %ld stranded %ld overflows %llu (seen %llu) flushes %llu coalesced %llu",
	       n, v.ctl->records, v.ctl->irqs, v.ctl->sleeps,
	       (unsigned long long)info.walk_hits, (unsigned long long)info.deferred,
	       (unsigned long long)info.loaded, merged, unowned, stranded,
	       (unsigned long long)info.overflows, v.ctl->overflows_seen, v.ctl->flushes,
	       (unsigned long long)info.coalesced);
	vmm_destroy(&v);
}

TEST_F_TIMEOUT(nn, c_port_doorbells_in_order_zero_l1_exits, 300)
{
	zero_exits(_metadata, 0, MODE_PORT, N_DOORBELLS);
}

TEST_F_TIMEOUT(nn, c_mmio_doorbells_in_order_zero_l1_exits, 300)
{
	zero_exits(_metadata, VMM_MMIO_DB, MODE_MMIO, N_DOORBELLS);
}

/*
 * The emulator's second deliveries made frequent: L1's handler loops
 * before its ISR read, so the window in which QEMU TCG raises an
 * injected interrupt again stays open much longer than the few
 * instructions it lasts otherwise, and most second deliveries land
 * inside the loop rather than at the handler's entry. The vCPU threads
 * run on separate CPUs: QEMU stops the CPU loop (and raises the
 * interrupt again) when, for one, the other CPU gets an interrupt, which
 * it does only while busy. Every one must be paired with the run it
 * interrupted (check_delivery()). With
 * hardware virtualization there are none: the pairing holds as 0 == 0,
 * so their number is logged, not asserted.
 */
TEST_F_TIMEOUT(nn, c_second_deliveries_pair_up, 300)
{
	struct ag_ctl c = { .mode = MODE_PORT, .n = N_SPIN, .slots = 64, .paced = 1,
			    .isr_spin = ISR_SPIN };
	struct vmm v;

	require(_metadata, true);
	ASSERT_EQ(0, vmm_create(&v, VMM_MODULE, &c));
	ASSERT_EQ(0, run_spread(&v, true));
	check_delivery(_metadata, &v, c.n);
	EXPECT_EQ(1, v.ctl->l1_exits);
	EXPECT_LT(0, v.ctl->irqs);
	vmm_destroy(&v);
}

/*
 * The bench's polled runs: L1's consumer polls the ring before it arms
 * it and sleeps. One doorbell in flight at a time, every record checked
 * in order, none lost; most are found by polling, with no interrupt.
 */
TEST_F_TIMEOUT(nn, c_polling_consumer_loses_nothing, 300)
{
	struct ag_ctl c = { .mode = MODE_PORT, .n = N_PACED, .slots = 64, .paced = 1,
			    .poll_tsc = 1ULL << 32 };
	struct vmm v;

	require(_metadata, true);
	ASSERT_EQ(0, vmm_create(&v, VMM_MODULE, &c));
	ASSERT_EQ(0, run(&v));
	check_delivery(_metadata, &v, N_PACED);
	EXPECT_EQ(1, v.ctl->l1_exits);
	EXPECT_LT(0, v.ctl->polled);
	EXPECT_GE(v.ctl->records, v.ctl->polled);
	TH_LOG("records %llu, found by polling %llu, interrupts %llu",
	       v.ctl->records, v.ctl->polled, v.ctl->irqs);
	vmm_destroy(&v);
}

TEST_F_TIMEOUT(nn, c_full_ring_overflows_and_loses_nothing, 300)
{
	struct ag_ctl c = { .mode = MODE_PORT, .n = 300, .slots = 8, .hold = 1 };
	struct nested_notify_info info;
	struct vmm v;

	require(_metadata, true);
	ASSERT_EQ(0, vmm_create(&v, VMM_MODULE, &c));
	ASSERT_EQ(0, run(&v));
	check_delivery(_metadata, &v, 300);
	info = vmm_info(&v);
	EXPECT_LT(0, info.overflows);
	EXPECT_LT(0, v.ctl->overflows_seen);
	/* The burst that waited for room came as one coalesced record. */
	EXPECT_LT(0, v.ctl->coalesced_records);
	EXPECT_EQ(info.doorbells - info.records, info.coalesced);
	EXPECT_EQ(1, v.ctl->l1_exits);
	vmm_destroy(&v);
}

/*
 * Removed while the ring is full: what waits in the device (in the core,
 * past a full ring) is dropped and counted, and the accounting holds.
 */
TEST_F_TIMEOUT(nn, c_removed_device_counts_what_it_drops, 300)
{
	struct ag_ctl c = { .mode = MODE_PORT, .n = 300, .slots = 8, .hold = 1 };
	long before = mv_read_knob(NN_SYSFS, "dropped_doorbells");
	struct nested_notify_device d = { .entry = AG_ENTRY };
	struct nested_notify_info info;
	struct vmm v;

	require(_metadata, true);
	ASSERT_EQ(0, vmm_create(&v, VMM_MODULE, &c));
	ASSERT_EQ(0, vmm_start(&v));
	/* L1's consumer holds: the ring fills and the rest stays pending. */
	ASSERT_EQ(1, vmm_wait(&v, 0, VM_WAIT_S));
	info = vmm_info(&v);
	EXPECT_EQ(300, info.doorbells);
	EXPECT_LT(0, info.pending);
	EXPECT_EQ(info.doorbells, info.delivered + info.pending);
	ASSERT_EQ(0, ioctl(v.ctx, NESTED_NOTIFY_IOC_REMOVE_DEVICE, &d));
	info = vmm_info(&v);
	EXPECT_EQ(0, info.devices);
	EXPECT_EQ(0, info.pending);
	EXPECT_LT(0, info.dropped);
	EXPECT_EQ(300, info.doorbells);
	EXPECT_EQ(info.doorbells, info.delivered + info.pending + info.dropped);
	EXPECT_EQ(before + (long)info.dropped, mv_read_knob(NN_SYSFS, "dropped_doorbells"));
	vmm_destroy(&v);
}

TEST_F_TIMEOUT(nn, c_new_generation_is_walked_again, 300)
{
	struct ag_ctl c = { .mode = MODE_PORT, .n = 400, .slots = 256, .remap_at = 200 };
	struct nested_notify_info info;
	unsigned int i, bad = 0;
	struct vmm v;

	require(_metadata, true);
	ASSERT_EQ(0, vmm_create(&v, VMM_MODULE, &c));
	ASSERT_EQ(0, run(&v));
	check_delivery(_metadata, &v, 400);
	info = vmm_info(&v);
	EXPECT_EQ(1, v.ctl->remaps);
	EXPECT_EQ(2, info.walks);
	/* Nothing written to the old pages after L1 poisoned them. */
	for (i = 0; i < RING_PAGES * 4096; i++)
		bad += v.mem[AG_RING_GPA + i] != 0xaa;
	EXPECT_EQ(0, bad);
	/* The pause for the remap is the one other exit. */
	EXPECT_EQ(2, v.ctl->l1_exits);
	vmm_destroy(&v);
}

TEST_F_TIMEOUT(nn, c_killed_vmm_leaks_nothing, 300)
{
	long before = mv_read_knob(NN_SYSFS, "contexts");
	pid_t pid;
	int i, status;

	require(_metadata, true);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct ag_ctl c = { .mode = MODE_PORT, .n = 1000000, .slots = 64 };
		struct vmm v;

		if (vmm_create(&v, VMM_MODULE, &c) || vmm_start(&v))
			_exit(2);
		/* Mid-stream: killed while L2 rings. */
		while (v.ctl->l2_rung < 100)
			usleep(1000);
		kill(getppid(), SIGUSR2);
		pause();
		_exit(0);
	}
	{
		sigset_t set;
		int sig;

		sigemptyset(&set);
		sigaddset(&set, SIGUSR2);
		sigprocmask(SIG_BLOCK, &set, NULL);
		ASSERT_EQ(0, sigwait(&set, &sig));
	}
	EXPECT_EQ(before + 1, mv_read_knob(NN_SYSFS, "contexts"));
	kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	/* The context, its devices and the VM go with the process. */
	for (i = 0; i < 3000 && mv_read_knob(NN_SYSFS, "contexts") != before; i++)
		usleep(10000);
	EXPECT_EQ(before, mv_read_knob(NN_SYSFS, "contexts"));
}

#define NN_DEBUGFS	"/sys/kernel/debug/nested_notify/"

/* A doorbell pending with no delivery for this long is stuck. */
#define STUCK_S		30

/*
 * Run a paced stream (L2 rings once L1 saw the last doorbell) while this
 * thread sends SIGUSR1 to vCPU 0's thread, the one that rings, over and
 * over. A doorbell left pending in the module with no delivery running
 * for it is a stall: L2 would wait for it forever, since nothing rings
 * again. (The guest clock here is unsteady under TCG, so a slow record
 * alone is no stall: the module must hold the doorbell pending with no
 * delivery all that time.) A stall is counted, and the rest of the
 * stream goes unpaced so that the run ends. Return: the stalls, or -1 if
 * the run failed.
 */
static int run_signalled(struct vmm *v, unsigned int *stalled_at)
{
	unsigned long long deferred = 0;
	double since = now_s();
	int stalls = 0, s1;

	if (vmm_start(v))
		return -1;
	while (!__atomic_load_n(&v->state[0], __ATOMIC_ACQUIRE)) {
		struct nested_notify_info info;

		pthread_kill(v->th[0], SIGUSR1);
		usleep(500);
		info = vmm_info(v);
		if (!info.pending || info.deferred != deferred) {
			deferred = info.deferred;
			since = now_s();
		} else if (v->ctl->paced && now_s() - since > STUCK_S) {
			stalls++;
			*stalled_at = v->ctl->consumed + 1;
			__atomic_store_n(&v->ctl->paced, 0, __ATOMIC_RELEASE);
		}
	}
	s1 = vmm_wait(v, 1, VM_WAIT_S);
	if (v->state[0] != 1 || s1 != 1) {
		fprintf(stderr, "# vcpu0 %d (%s) vcpu1 %d (%s)\n", v->state[0], v->why[0],
			s1, v->why[1]);
		return -1;
	}
	return stalls;
}

/*
 * A doorbell rung while the vCPU thread has a signal pending: KVM_RUN
 * returns -EINTR before the queued delivery runs, which then runs after
 * vcpu_put(). It must deliver there and then: every paced doorbell gets
 * its record with no further doorbell. The VMM signals vCPU 0's thread
 * all along; with debugfs signal_doorbell, the module also signals the
 * thread as every doorbell is queued, so each delivery takes that path
 * (counted in loaded).
 */
TEST_F_TIMEOUT(nn, c_signalled_vcpu_thread_delivers_every_doorbell, 300)
{
	struct ag_ctl c = { .mode = MODE_PORT, .n = N_PACED, .slots = 64, .paced = 1 };
	bool hook = !access(NN_DEBUGFS "signal_doorbell", W_OK);
	struct nested_notify_info info;
	unsigned int stalled_at = 0;
	struct vmm v;

	require(_metadata, true);
	ASSERT_EQ(0, vmm_create(&v, VMM_MODULE, &c));
	if (hook)
		ASSERT_EQ(0, mv_write_knob(NN_DEBUGFS, "signal_doorbell", "1"));
	EXPECT_EQ(0, run_signalled(&v, &stalled_at));
	if (hook)
		mv_write_knob(NN_DEBUGFS, "signal_doorbell", "0");
	EXPECT_EQ(0, stalled_at);
	check_delivery(_metadata, &v, N_PACED);
	info = vmm_info(&v);
	/* Paced: one delivery per doorbell, each at once. */
	EXPECT_EQ(N_PACED, info.records);
	EXPECT_EQ(0, info.coalesced);
	if (hook)
		EXPECT_EQ(N_PACED, info.loaded);
	TH_LOG("deliveries %llu, of which loaded the vCPU %llu (hook %d)",
	       (unsigned long long)info.deferred, (unsigned long long)info.loaded, hook);
	vmm_destroy(&v);
}

#define FAIL_READ	NN_DEBUGFS "fail_read/"

/* Debug kernel: reads of L1 memory fail for a while; nothing is lost. */
TEST_F_TIMEOUT(nn, c_injected_read_faults_lose_nothing, 300)
{
	struct ag_ctl c = { .mode = MODE_PORT, .n = 300, .slots = 64 };
	struct nested_notify_info info;
	struct vmm v;

	require(_metadata, true);
	if (access(FAIL_READ "probability", W_OK))
		SKIP(return, "no fault injection (stock kernel)");
	ASSERT_EQ(0, vmm_create(&v, VMM_MODULE, &c));
	ASSERT_EQ(0, mv_write_knob(FAIL_READ, "probability", "100"));
	ASSERT_EQ(0, mv_write_knob(FAIL_READ, "interval", "1"));
	mv_write_knob(FAIL_READ, "verbose", "0");
	ASSERT_EQ(0, mv_write_knob(FAIL_READ, "times", "50"));
	ASSERT_EQ(0, run(&v));
	mv_write_knob(FAIL_READ, "probability", "0");
	info = vmm_info(&v);
	EXPECT_EQ(50, info.faults);
	check_delivery_faulted(_metadata, &v, 300);
	EXPECT_LT(0, info.coalesced);
	vmm_destroy(&v);
}

#define FAIL_WALK	NN_DEBUGFS "fail_walk/"
#define FAIL_TIMES	1000000

/* rmmod tried over and over while a test runs. */
struct rmmod_loop {
	pthread_t th;
	int stop;
	unsigned int tries, refused, unloaded;
};

static void *rmmod_loop_fn(void *arg)
{
	struct rmmod_loop *r = arg;

	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		r->tries++;
		if (!syscall(__NR_delete_module, "nested_notify", O_NONBLOCK))
			r->unloaded++;
		else if (errno == EWOULDBLOCK || errno == EBUSY)
			r->refused++;
		usleep(20000);
	}
	return NULL;
}

/* Arm @dir: @percent of its calls fail, counted down from FAIL_TIMES. */
static int fail_arm(const char *dir, const char *percent)
{
	mv_write_knob(dir, "verbose", "0");
	if (mv_write_knob(dir, "interval", "1") ||
	    mv_write_knob_num(dir, "times", FAIL_TIMES))
		return -1;
	return mv_write_knob(dir, "probability", percent);
}

/* Faults @dir injected since fail_arm(); disarms it. */
static long fail_count(const char *dir)
{
	mv_write_knob(dir, "probability", "0");
	return FAIL_TIMES - mv_read_knob(dir, "times");
}

/*
 * Debug kernel: the 10,000-doorbell stream with faults injected in the
 * translation itself (fail_walk, the reads of L1's page tables) and in
 * the other reads (fail_read: the entry, the ring header; each such
 * fault drops the cached walk, so the ring is walked again and again
 * through the stream), with rmmod tried throughout. Every doorbell
 * arrives once, in order (L1 rings again at the end for what the last
 * faults left pending); records + pending + dropped == doorbells;
 * rmmod is refused while the VM's context lives and succeeds after.
 */
TEST_F_TIMEOUT(nn, c_walk_faults_on_the_stream_lose_nothing, 300)
{
	struct ag_ctl c = { .mode = MODE_PORT, .n = N_DOORBELLS, .slots = 1024, .nudge = 1 };
	long sys_faults = mv_read_knob(NN_SYSFS, "translation_faults");
	const char *build = getenv("MEMVIRT_BUILD");
	struct rmmod_loop rl = { 0 };
	struct nested_notify_info info;
	long walk_faults, read_faults;
	char ko[512];
	int i, fd, ret;
	struct vmm v;

	require(_metadata, true);
	if (access(FAIL_WALK "probability", W_OK))
		SKIP(return, "no fault injection (stock kernel)");
	/* The module is loaded again from the build after the unload. */
	ASSERT_NE(NULL, build);
	snprintf(ko, sizeof(ko), "%s/mod/nested_notify/nested_notify.ko", build);
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, vmm_create(&v, VMM_MODULE, &c));
	ASSERT_EQ(0, fail_arm(FAIL_READ, "1"));
	ASSERT_EQ(0, fail_arm(FAIL_WALK, "2"));
	ASSERT_EQ(0, pthread_create(&rl.th, NULL, rmmod_loop_fn, &rl));
	ret = run(&v);
	__atomic_store_n(&rl.stop, 1, __ATOMIC_RELEASE);
	pthread_join(rl.th, NULL);
	walk_faults = fail_count(FAIL_WALK);
	read_faults = fail_count(FAIL_READ);
	ASSERT_EQ(0, ret);
	info = vmm_info(&v);
	TH_LOG("walk faults %ld, read faults %ld, deliveries faulted %llu, walks %llu, flushes %llu, rmmod refused %u/%u",
	       walk_faults, read_faults, (unsigned long long)info.faults,
	       (unsigned long long)info.walks, v.ctl->flushes, rl.refused, rl.tries);
	EXPECT_LT(0, walk_faults);
	EXPECT_LT(0, read_faults);
	/* Each injected fault stops one delivery (an armed read only interrupts anyway). */
	EXPECT_LE(walk_faults, info.faults);
	EXPECT_GE(walk_faults + read_faults, info.faults);
	EXPECT_EQ(sys_faults + (long)info.faults, mv_read_knob(NN_SYSFS, "translation_faults"));
	check_delivery_faulted(_metadata, &v, N_DOORBELLS);
	EXPECT_EQ(0, v.ctl->bad_entry);
	EXPECT_EQ(info.doorbells, info.delivered + info.pending + info.dropped);
	EXPECT_EQ(0, info.dropped);
	EXPECT_EQ(v.ctl->records, info.records);
	EXPECT_LT(0, rl.tries);
	EXPECT_EQ(rl.tries, rl.refused);
	vmm_destroy(&v);

	/* Unused now: it unloads (its last file goes in a deferred fput). */
	for (i = 0; i < 500; i++) {
		if (!syscall(__NR_delete_module, "nested_notify", O_NONBLOCK))
			break;
		ASSERT_TRUE(errno == EWOULDBLOCK || errno == EBUSY);
		usleep(10000);
	}
	ASSERT_GT(500, i);
	EXPECT_NE(0, access(NN_DEV, F_OK));
	/* Loaded again for the tests after this one. */
	EXPECT_EQ(0, syscall(__NR_finit_module, fd, "", 0));
	close(fd);
	EXPECT_EQ(0, access(NN_DEV, F_OK));
}

/* The module stays while a context holds it; it unloads once all are gone. */
TEST_F_TIMEOUT(nn, c_rmmod_refused_while_in_use, 120)
{
	struct ag_ctl c = { .mode = MODE_PORT, .n = 10, .slots = 64 };
	struct vmm v;

	require(_metadata, true);
	ASSERT_EQ(0, vmm_create(&v, VMM_MODULE, &c));
	ASSERT_EQ(0, run(&v));
	EXPECT_NE(0, syscall(__NR_delete_module, "nested_notify", O_NONBLOCK));
	EXPECT_TRUE(errno == EWOULDBLOCK || errno == EBUSY);
	EXPECT_EQ(0, access(NN_DEV, F_OK));
	vmm_destroy(&v);
}

/* Wait until the held delivery reads @stage in hold_delivery: true if so. */
static bool held_at(long stage)
{
	int i;

	for (i = 0; i < 6000; i++) {
		if (mv_read_knob(NN_DEBUGFS, "hold_delivery") == stage)
			return true;
		usleep(10000);
	}
	return false;
}

/*
 * The unload race: a delivery in a vCPU thread's task work can drop the
 * context's last reference after the VMM closed every fd of the module.
 * Held there (debugfs hold_delivery), after it dropped its references
 * and before it returns, the module must still refuse rmmod: its code is
 * still running. Then the context goes once the delivery returned.
 */
TEST_F_TIMEOUT(nn, c_rmmod_waits_for_a_held_delivery, 300)
{
	struct ag_ctl c = { .mode = MODE_PORT, .n = 50, .slots = 64 };
	long before = mv_read_knob(NN_SYSFS, "contexts");
	unsigned int i, refused = 0;
	struct vmm v;

	require(_metadata, true);
	if (access(NN_DEBUGFS "hold_delivery", W_OK))
		SKIP(return, "no debugfs hold_delivery");
	ASSERT_EQ(0, vmm_create(&v, VMM_MODULE, &c));
	ASSERT_EQ(0, mv_write_knob(NN_DEBUGFS, "hold_delivery", "1"));
	ASSERT_EQ(0, vmm_start(&v));
	/* A delivery holds its device and the context's file. */
	ASSERT_TRUE(held_at(1));
	close(v.ctx);
	close(v.dev);
	v.ctx = v.dev = -1;
	EXPECT_EQ(before + 1, mv_read_knob(NN_SYSFS, "contexts"));
	/* It dropped them, the last ones; its code has not returned yet. */
	ASSERT_EQ(0, mv_write_knob(NN_DEBUGFS, "hold_delivery", "2"));
	ASSERT_TRUE(held_at(2));
	for (i = 0; i < 50; i++) {
		if (syscall(__NR_delete_module, "nested_notify", O_NONBLOCK) &&
		    (errno == EWOULDBLOCK || errno == EBUSY))
			refused++;
		usleep(10000);
	}
	EXPECT_EQ(50, refused);
	EXPECT_EQ(0, access(NN_DEV, F_OK));
	ASSERT_EQ(0, mv_write_knob(NN_DEBUGFS, "hold_delivery", "0"));
	/* Returned: the context goes with its file; nothing is left. */
	for (i = 0; i < 3000 && mv_read_knob(NN_SYSFS, "contexts") != before; i++)
		usleep(10000);
	EXPECT_EQ(before, mv_read_knob(NN_SYSFS, "contexts"));
	EXPECT_EQ(0, mv_read_knob(NN_DEBUGFS, "hold_delivery"));
	vmm_destroy(&v);
}

/* TAINT_BAD_PAGE (a KASAN report) and TAINT_WARN: a splat since @before. */
#define SPLAT_TAINTS	((1L << 5) | (1L << 9))

static long new_splat(long before)
{
	return mv_read_knob("/proc/sys/kernel/", "tainted") & ~before & SPLAT_TAINTS;
}

/* Extra doorbells user space writes while the delivery is held. */
#define N_USER_DB	5

/*
 * REMOVE_DEVICE while a delivery is queued on the vCPU thread that rang
 * (debugfs hold_delivery 3 holds it there, before it delivers). What
 * the device had not delivered, the queued doorbell and those user space
 * rang meanwhile, is dropped and counted: doorbells == delivered +
 * pending + dropped, with nothing pending. The queued delivery then runs
 * on a removed device: it writes nothing (the ring's producer index and
 * the records stay), it is no stranded delivery, and what L2 rings
 * after the removal stays in the eventfd, so every doorbell is in the
 * accounting or the eventfd. L1 saw every record delivered in order.
 * The context goes with the VM, with no WARN or KASAN report.
 */
TEST_F_TIMEOUT(nn, c_remove_while_a_delivery_is_queued, 300)
{
	struct ag_ctl c = { .mode = MODE_PORT, .n = 1000, .slots = 1024 };
	long contexts = mv_read_knob(NN_SYSFS, "contexts");
	long stranded = mv_read_knob(NN_SYSFS, "stranded_deliveries");
	long taint = mv_read_knob("/proc/sys/kernel/", "tainted");
	struct nested_notify_device d = { .entry = AG_ENTRY };
	const struct nested_notify_ring *ring;
	struct nested_notify_info held, gone, after;
	uint64_t user = N_USER_DB;
	unsigned int i, prod;
	struct vmm v;

	require(_metadata, true);
	if (access(NN_DEBUGFS "hold_delivery", W_OK))
		SKIP(return, "no debugfs hold_delivery");
	ASSERT_EQ(0, vmm_create(&v, VMM_MODULE, &c));
	ring = (const void *)(v.mem + AG_RING_GPA);
	ASSERT_EQ(0, vmm_start(&v));
	for (i = 0; i < 6000 && v.ctl->l2_rung < 50; i++)
		usleep(10000);
	ASSERT_LE(50, v.ctl->l2_rung);
	/* The next doorbell's delivery waits, queued; L2 waits behind it. */
	ASSERT_EQ(0, mv_write_knob(NN_DEBUGFS, "hold_delivery", "3"));
	ASSERT_TRUE(held_at(3));
	ASSERT_EQ(sizeof(user), write(v.db, &user, sizeof(user)));
	held = vmm_info(&v);
	EXPECT_EQ(1, held.devices);
	EXPECT_LE(1 + N_USER_DB, held.pending);
	EXPECT_EQ(held.doorbells, held.delivered + held.pending + held.dropped);
	/* L2 counts a doorbell once it returns from it: the held one is not yet. */
	EXPECT_EQ(v.ctl->l2_rung + 1 + N_USER_DB, held.doorbells);

	ASSERT_EQ(0, ioctl(v.ctx, NESTED_NOTIFY_IOC_REMOVE_DEVICE, &d));
	gone = vmm_info(&v);
	EXPECT_EQ(0, gone.devices);
	EXPECT_EQ(0, gone.pending);
	EXPECT_EQ(held.dropped + held.pending, gone.dropped);
	EXPECT_EQ(held.doorbells, gone.doorbells);
	EXPECT_EQ(gone.doorbells, gone.delivered + gone.dropped);
	prod = __atomic_load_n(&ring->prod, __ATOMIC_ACQUIRE);
	EXPECT_EQ(gone.records, prod);

	/* Let the queued delivery run on the removed device, and L2 go on. */
	ASSERT_EQ(0, mv_write_knob(NN_DEBUGFS, "hold_delivery", "0"));
	EXPECT_EQ(1, vmm_wait(&v, 0, VM_WAIT_S));
	EXPECT_EQ(1000, v.ctl->l2_rung);
	after = vmm_info(&v);
	EXPECT_EQ(0, memcmp(&gone, &after, sizeof(after)));
	EXPECT_EQ(prod, __atomic_load_n(&ring->prod, __ATOMIC_ACQUIRE));
	EXPECT_EQ(stranded, mv_read_knob(NN_SYSFS, "stranded_deliveries"));
	/* L2's doorbells since the removal wait in the eventfd: none lost. */
	EXPECT_EQ(1000 + N_USER_DB, after.doorbells + eventfd_count(v.db));
	/* L1's consumer took every record written, in order. */
	for (i = 0; i < 3000 && v.ctl->records < after.records; i++)
		usleep(10000);
	EXPECT_EQ(after.records, v.ctl->records);
	EXPECT_EQ(after.delivered, v.ctl->consumed);
	EXPECT_EQ(0, v.ctl->bad_seq);
	EXPECT_EQ(0, v.ctl->bad_check);
	EXPECT_EQ(0, v.ctl->l1_exits_other);
	TH_LOG("rung %llu before the hold; delivered %llu, dropped %llu (queued + user %u)",
	       (unsigned long long)held.doorbells - N_USER_DB,
	       (unsigned long long)after.delivered, (unsigned long long)after.dropped,
	       N_USER_DB);
	vmm_destroy(&v);
	for (i = 0; i < 3000 && mv_read_knob(NN_SYSFS, "contexts") != contexts; i++)
		usleep(10000);
	EXPECT_EQ(contexts, mv_read_knob(NN_SYSFS, "contexts"));
	EXPECT_EQ(0, new_splat(taint));
}

/* L2's doorbells while L1's own is held queued (debugfs hold_delivery 3). */
#define N_MERGED	100

/*
 * How c_port_doorbells_in_order_zero_l1_exits once counted 9963
 * deliveries for 10,000 doorbells with none lost: a doorbell that finds
 * a delivery of its device queued (NN_QUEUED), on any vCPU's thread,
 * queues none of its own; that delivery carries it. In the stream that
 * is L1's flush after an overflow, rung from the consumer's vCPU 1:
 * L2's doorbells rung on vCPU 0 before vCPU 1's thread runs the
 * flush's delivery go with it. Here the window is held open: L1's
 * consumer rings first, its delivery is held queued on vCPU 1's thread
 * (hold_delivery 3), and only then does L2 ring. Every one of L2's
 * doorbells is merged (merged_doorbells), none is lost, the one
 * delivery writes one record for all, and deliveries + merged
 * doorbells = doorbells rung, the accounting the stream tests check.
 */
TEST_F_TIMEOUT(nn, c_doorbells_merge_into_a_queued_delivery, 300)
{
	struct ag_ctl c = { .mode = MODE_PORT, .n = N_MERGED, .slots = 64,
			    .ring_first = 1, .gate = 1 };
	long unowned = mv_read_knob(NN_SYSFS, "unowned_doorbells");
	long stranded = mv_read_knob(NN_SYSFS, "stranded_deliveries");
	long merged = mv_read_knob(NN_SYSFS, "merged_doorbells");
	struct nested_notify_info held, info;
	struct vmm v;

	require(_metadata, true);
	if (access(NN_DEBUGFS "hold_delivery", W_OK))
		SKIP(return, "no debugfs hold_delivery");
	ASSERT_EQ(0, vmm_create(&v, VMM_MODULE, &c));
	/* The first delivery is L1's: L2 waits at its gate. */
	ASSERT_EQ(0, mv_write_knob(NN_DEBUGFS, "hold_delivery", "3"));
	ASSERT_EQ(0, vmm_start(&v));
	ASSERT_TRUE(held_at(3));
	held = vmm_info(&v);
	EXPECT_EQ(1, v.ctl->flushes);
	EXPECT_EQ(0, v.ctl->l2_rung);
	EXPECT_EQ(1, held.doorbells);
	EXPECT_EQ(1, held.pending);
	EXPECT_EQ(0, held.deferred);
	EXPECT_EQ(merged, mv_read_knob(NN_SYSFS, "merged_doorbells"));

	/* L2 rings all of its doorbells while that delivery is queued. */
	__atomic_store_n(&v.ctl->gate, 2, __ATOMIC_RELEASE);
	EXPECT_EQ(1, vmm_wait(&v, 0, VM_WAIT_S));
	held = vmm_info(&v);
	EXPECT_EQ(N_MERGED, v.ctl->l2_rung);
	EXPECT_EQ(N_MERGED + 1, held.doorbells);
	EXPECT_EQ(N_MERGED + 1, held.pending);
	EXPECT_EQ(0, held.deferred);
	EXPECT_EQ(merged + N_MERGED, mv_read_knob(NN_SYSFS, "merged_doorbells"));
	EXPECT_EQ(3, mv_read_knob(NN_DEBUGFS, "hold_delivery"));

	/* Let it run: one delivery, one record, for all of them. */
	ASSERT_EQ(0, mv_write_knob(NN_DEBUGFS, "hold_delivery", "0"));
	EXPECT_EQ(1, vmm_wait(&v, 1, VM_WAIT_S));
	check_delivery(_metadata, &v, N_MERGED);
	info = vmm_info(&v);
	merged = mv_read_knob(NN_SYSFS, "merged_doorbells") - merged;
	EXPECT_EQ(1, info.deferred);
	EXPECT_EQ(1, info.records);
	EXPECT_EQ(N_MERGED, info.coalesced);
	EXPECT_EQ(N_MERGED, merged);
	/* Fewer deliveries than L2's doorbells, none lost: the stream's case. */
	EXPECT_GT(N_MERGED, info.deferred);
	EXPECT_EQ(v.ctl->l2_rung + v.ctl->flushes, info.deferred + merged);
	EXPECT_EQ(unowned, mv_read_knob(NN_SYSFS, "unowned_doorbells"));
	EXPECT_EQ(stranded, mv_read_knob(NN_SYSFS, "stranded_deliveries"));
	EXPECT_EQ(0, v.ctl->l1_exits_other);
	TH_LOG("L2 rang %llu, L1 %llu: deliveries %llu, merged %ld, records %llu",
	       v.ctl->l2_rung, v.ctl->flushes, (unsigned long long)info.deferred, merged,
	       (unsigned long long)info.records);
	vmm_destroy(&v);
}

TEST_HARNESS_MAIN
