// SPDX-License-Identifier: GPL-2.0
/*
 * thp_encvm on real KVM: a VMM whose guest RAM is a scattered
 * thp_encvm object runs the guest agent (agent.c). The daemon collapses
 * the object's windows with the agent's help; the test checks KVM's own
 * pages_2m statistic, the module's counters, the agent's byte-by-byte
 * verification and its poison checks, once with a polling agent, once
 * with one the module wakes through an irqfd, and once with the
 * guest's writes tracked by KVM (THP_ENCVM_ATTACH_KVM_WRITE_TRACK),
 * each while another VMM thread changes its address space, which the
 * daemon leaves alone (the VMM's THP_ENCVM_IOC_REMAP keeps its VMAs and
 * MADV_DONTFORK).
 * Then the failure paths: a guest that never answers, a detach and a
 * killed VMM in the middle of a collapse, a re-attach while the guest
 * is busy with a request, a guest that falls rings behind, a memslot
 * deleted under KVM write tracking (also right before a completion),
 * memslots split around a hole, or leaving pages unmapped,
 * an injected allocation failure (debug kernel), and teardown in any
 * order.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <linux/kvm_para.h>

#include "kselftest_harness.h"
#include "tvm.h"

#define PRIVATE_PAGES	(OBJ_SIZE / 4096 - OBJ_SHARED / 4096 - 512)

#define CG_ROOT	"/sys/fs/cgroup"
#define CG_TEST	CG_ROOT "/thp_encvm_kvm"

/*
 * Move this process (the test's own, forked by the harness) into a
 * memory cgroup of its own, mounting cgroup2 first if need be. The
 * fixture's teardown moves it back and removes the cgroup. Returns 0,
 * 1 if the kernel has no memory controller (the debug tier's), or -1.
 */
static int memcg_enter(void)
{
	char pid[32];
	int ret = te_memcg_ready();

	if (ret)
		return ret;
	if (mkdir(CG_TEST, 0755) && errno != EEXIST)
		return -1;
	snprintf(pid, sizeof(pid), "%d", getpid());
	return mv_write_path(CG_TEST "/cgroup.procs", pid) ? -1 : 0;
}

static void memcg_leave(void)
{
	char pid[32];

	if (access(CG_TEST, F_OK))
		return;
	snprintf(pid, sizeof(pid), "%d", getpid());
	mv_write_path(CG_ROOT "/cgroup.procs", pid);
	rmdir(CG_TEST);
}

/* Bytes charged to the test's memory cgroup, or -1. */
static long long memcg_current(void)
{
	long long v = -1;
	FILE *f = fopen(CG_TEST "/memory.current", "r");

	if (!f)
		return -1;
	if (fscanf(f, "%lld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

FIXTURE(kvm) {
	struct tvm t;
	struct mv_knobs k;
};

FIXTURE_SETUP(kvm)
{
	memset(&self->t, 0, sizeof(self->t));
	tvm_prefaults = true;
	self->k = (struct mv_knobs){ .dir = SYSFS };
	if (access("/dev/kvm", R_OK | W_OK) || access(DEV, R_OK | W_OK)) {
		if (!getenv("MEMVIRT_REQUIRE"))
			SKIP(return, "no /dev/kvm or thp_encvm not loaded");
		ASSERT_EQ(0, access(DEV, R_OK | W_OK));
		ASSERT_EQ(0, access("/dev/kvm", R_OK | W_OK));
	}
	/* Left by a test that failed before its vCPU took them all. */
	mv_write_path(DEBUGFS "fault_unmap", "0");
	mv_knobs_save(&self->k, "enabled");
	mv_knobs_save(&self->k, "scan_sleep_millisecs");
	mv_knobs_save(&self->k, "alloc_sleep_millisecs");
	mv_knobs_save(&self->k, "copy_timeout_ms");
	mv_knobs_save(&self->k, "max_copy_retries");
	mv_knobs_save(&self->k, "pages_to_scan");
	ASSERT_EQ(0, write_knob("enabled", "0"));
	ASSERT_EQ(0, write_knob("scan_sleep_millisecs", "50"));
	ASSERT_EQ(0, write_knob("max_copy_retries", "8"));
	ASSERT_EQ(0, write_knob("copy_timeout_ms", "120000"));
}

FIXTURE_TEARDOWN(kvm)
{
	write_knob("enabled", "0");
	tvm_destroy(&self->t);
	mv_knobs_restore(&self->k);
	mv_write_path("/sys/kernel/debug/thp_encvm/hold_ref", "0");
	mv_write_path("/sys/kernel/debug/thp_encvm/host_copy", "0");
	mv_write_path(DEBUGFS "hold_complete", "0");
	mv_write_path(DEBUGFS "fault_unmap", "0");
	te_fi_reset();
	memcg_leave();
}

/* Wait until the guest or the host sets *@p; returns its value. */
static unsigned int wait_set(const unsigned int *p, double secs)
{
	double end = now_s() + secs;
	unsigned int v;

	while (!(v = __atomic_load_n(p, __ATOMIC_ACQUIRE)) && now_s() < end)
		usleep(10000);
	return v;
}

/*
 * With the daemon running: wait until @n windows of @t were collapsed,
 * or its vCPU failed; returns the object's info.
 */
static struct thp_encvm_info collapse_n(struct tvm *t, uint64_t n)
{
	double end = now_s() + VM_WAIT_S;
	struct thp_encvm_info info;

	while ((info = info_of(t->obj)).collapses < n && now_s() < end &&
	       __atomic_load_n(&t->state, __ATOMIC_ACQUIRE) >= 0)
		usleep(50000);
	return info;
}

/* ... every eligible window. */
static struct thp_encvm_info collapse_all(struct tvm *t)
{
	return collapse_n(t, OBJ_ELIGIBLE);
}

/* Wait for counter @name to reach @want; returns its value. */
static long wait_counter(const char *name, long want, double secs)
{
	double end = now_s() + secs;
	long v;

	while ((v = read_knob(name)) < want && now_s() < end)
		usleep(20000);
	return v;
}

/*
 * Another thread of the VMM changing its address space while the daemon
 * collapses: anonymous mappings, and mappings of the object's first
 * window, each checked for its contents before it goes.
 */
struct mmap_racer {
	int obj;
	bool go, stop;
	unsigned long rounds, bad;
	pthread_t th;
};

static void *mmap_racer(void *arg)
{
	struct mmap_racer *r = arg;
	size_t len = 64 * 1024, i;

	while (!__atomic_load_n(&r->go, __ATOMIC_ACQUIRE))
		usleep(1000);
	do {
		unsigned long *a = mmap(NULL, len, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		struct thp_encvm_ring *o = mmap(NULL, 2 * MB, PROT_READ, MAP_SHARED, r->obj, 0);

		if (a == MAP_FAILED || o == MAP_FAILED) {
			r->bad++;
			break;
		}
		for (i = 0; i < len / sizeof(*a); i++)
			a[i] = r->rounds + i;
		mprotect(a, len, PROT_READ);
		for (i = 0; i < len / sizeof(*a); i++)
			r->bad += a[i] != r->rounds + i;
		r->bad += o->magic != THP_ENCVM_RING_MAGIC;
		munmap(a, len);
		munmap(o, 2 * MB);
		r->rounds++;
		/* Now and then: under TCG it takes CPU from the guest. */
		usleep(20000);
	} while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE));
	return NULL;
}

/*
 * The whole scenario: the agent fills its memory, the daemon collapses
 * every eligible window with its help, the agent verifies every byte.
 * With @irq the agent sleeps until the irqfd interrupts it; otherwise
 * it polls the ring. ATTACH gets @flags.
 */
static void guest_copies(struct __test_metadata *_metadata, struct tvm *t, bool irq,
			 unsigned int flags)
{
	bool kvm_wt = flags & THP_ENCVM_ATTACH_KVM_WRITE_TRACK;
	long collapsed0, copied0, retries0, wcopied0, p2m0, p2m, pf0, pf, hot;
	struct mmap_racer racer = { 0 };
	long long mem0 = -1, mem;
	struct thp_encvm_info info;
	int vstats = -1, vmas0, ovmas0, vmas, ovmas, status;
	pid_t child;

	/*
	 * The VMM runs in a memory cgroup of its own, which its object's
	 * pages are charged to: the new 2 MiB pages must be charged there
	 * too, as the old ones are uncharged.
	 */
	int memcg = irq || kvm_wt ? 1 : memcg_enter();

	ASSERT_LE(0, memcg) TH_LOG("no memory cgroup");
	if (memcg && !irq && !kvm_wt)
		TH_LOG("not checking memory cgroup charges: no memory controller");

	ASSERT_EQ(0, tvm_create_notify(t, MODE_SERVE, true, irq ? NOTIFY_IRQ : NOTIFY_POLL,
				       -1, flags));
	info = info_of(t->obj);
	EXPECT_EQ(THP_ENCVM_ATTACHED, info.state);
	EXPECT_EQ(flags & ~TVM_FLAGS, info.attach_flags);
	EXPECT_EQ(OBJ_WINDOWS, info.windows);
	EXPECT_EQ(OBJ_ELIGIBLE, info.eligible);
	EXPECT_EQ(0, info.huge);	/* scattered */
	/* Taken before KVM_RUN, which vCPU ioctls would wait for. */
	vstats = ioctl(t->vcpu, KVM_GET_STATS_FD, NULL);
	ASSERT_LE(0, vstats);
	ASSERT_EQ(0, tvm_start(t));
	ASSERT_EQ(1, tvm_wait(t, 1, VM_WAIT_S)) TH_LOG("%s", t->why);
	collapsed0 = read_knob("windows_collapsed");
	wcopied0 = read_knob("collapsed_pages_copied");
	copied0 = read_knob("pages_copied");
	retries0 = read_knob("dirty_retries");
	p2m0 = vm_stat(t->vm, "pages_2m");
	ASSERT_LE(0, p2m0);
	pf0 = stats_read(vstats, "pf_taken");
	ASSERT_LE(0, pf0);
	if (!memcg)
		mem0 = memcg_current();

	/*
	 * The VMM's own setting on its guest RAM, which the collapses must
	 * keep, and its VMAs, whose number they must not change, while
	 * another of its threads maps and unmaps memory.
	 */
	ASSERT_EQ(0, madvise(t->map, OBJ_SIZE, MADV_DONTFORK));
	racer.obj = t->obj;
	ASSERT_EQ(0, pthread_create(&racer.th, NULL, mmap_racer, &racer));
	/* With the racer's stack, which stays cached after the join. */
	vmas0 = count_vmas(&ovmas0);
	ASSERT_LT(0, vmas0);
	EXPECT_EQ(1, ovmas0);
	__atomic_store_n(&racer.go, true, __ATOMIC_RELEASE);

	ASSERT_EQ(0, write_knob("enabled", "1"));
	info = collapse_all(t);
	ASSERT_EQ(0, write_knob("enabled", "0"));
	__atomic_store_n(&racer.stop, true, __ATOMIC_RELEASE);
	pthread_join(racer.th, NULL);
	EXPECT_LT(0, racer.rounds);
	EXPECT_EQ(0, racer.bad);
	/* The daemon changed no mapping of the VMM's. */
	vmas = count_vmas(&ovmas);
	EXPECT_EQ(vmas0, vmas);
	EXPECT_EQ(1, ovmas);
	EXPECT_EQ(1, vma_has_flag(t->map, "dc"));
	/*
	 * The VMM replaces its mapping, one VMA, which frees the collapsed
	 * windows' page tables: the number of VMAs stays, and so does
	 * MADV_DONTFORK, which a child shows by having no mapping there.
	 */
	EXPECT_EQ(OBJ_ELIGIBLE, info.remap_pending);
	/*
	 * A process without a mapping of the object (MADV_DONTFORK) has
	 * nothing to replace: the count stays for the VMM's call.
	 */
	child = fork();
	ASSERT_LE(0, child);
	if (!child) {
		count_vmas(&ovmas);
		_exit(ovmas ? 100 : ioctl(t->obj, THP_ENCVM_IOC_REMAP) ? 101 : 0);
	}
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(OBJ_ELIGIBLE, info_of(t->obj).remap_pending);
	/*
	 * Nor does another process with a mapping of its own: it replaces
	 * that one, but the VMM's still has the empty page tables.
	 */
	child = fork();
	ASSERT_LE(0, child);
	if (!child) {
		if (mmap(NULL, OBJ_SIZE, PROT_READ, MAP_SHARED, t->obj, 0) == MAP_FAILED)
			_exit(102);
		_exit(ioctl(t->obj, THP_ENCVM_IOC_REMAP) == 1 ? 0 : 103);
	}
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(OBJ_ELIGIBLE, info_of(t->obj).remap_pending);
	EXPECT_EQ(1, ioctl(t->obj, THP_ENCVM_IOC_REMAP));
	EXPECT_EQ(0, info_of(t->obj).remap_pending);
	EXPECT_EQ(0, ioctl(t->obj, THP_ENCVM_IOC_REMAP));	/* nothing left */
	vmas = count_vmas(&ovmas);
	EXPECT_EQ(vmas0, vmas);
	EXPECT_EQ(1, ovmas);
	EXPECT_EQ(1, vma_has_flag(t->map, "dc"));
	child = fork();
	ASSERT_LE(0, child);
	if (!child) {
		count_vmas(&ovmas);
		_exit(ovmas);
	}
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	if (mem0 >= 0) {
		/* 12 MiB changed hands; the rest is noise of a few pages. */
		mem = memcg_current();
		EXPECT_LE(mem0 - (long long)(2 * MB), mem)
			TH_LOG("memory.current %lld before, %lld after", mem0, mem);
		EXPECT_GE(mem0 + (long long)(2 * MB), mem)
			TH_LOG("memory.current %lld before, %lld after", mem0, mem);
	}
	EXPECT_EQ(OBJ_ELIGIBLE, info.huge);
	EXPECT_EQ(OBJ_ELIGIBLE, info.collapses);
	EXPECT_EQ(0, info.aborts);
	/*
	 * KVM page faults while the windows were copied. Write-protected
	 * in the host mapping, every source page lost its NPT entry and
	 * the guest's read of it faulted. Write-tracked by KVM, the pages
	 * stayed readable: the faults left are the staging window's and
	 * the written pages'. A polling agent keeps rewriting a few pages
	 * of each window, which makes the daemon copy them again and
	 * again; a sleeping one rewrites one page a wakeup.
	 */
	pf = stats_read(vstats, "pf_taken") - pf0;
	hot = __atomic_load_n(&t->ctl->hot_writes, __ATOMIC_ACQUIRE);
	close(vstats);
	EXPECT_TRUE(kvm_wt || pf >= 512 * OBJ_ELIGIBLE) TH_LOG("%ld KVM page faults", pf);
	EXPECT_TRUE(!kvm_wt || pf < 256 * OBJ_ELIGIBLE) TH_LOG("%ld KVM page faults", pf);
	EXPECT_TRUE(!kvm_wt || !irq || pf < 64 * OBJ_ELIGIBLE + 4 * hot)
		TH_LOG("%ld KVM page faults, %ld pages rewritten", pf, hot);

	/* The agent verifies every byte, which also faults every window in. */
	ASSERT_EQ(2, tvm_finish(t)) TH_LOG("%s", t->why);
	EXPECT_EQ(0, t->ctl->bad_words);
	EXPECT_EQ(0, t->ctl->bad_bytes);
	EXPECT_EQ(PRIVATE_PAGES, t->ctl->checked);
	/*
	 * Every first-copy destination held the poison when the guest got
	 * there: the host had copied nothing into the new pages.
	 */
	EXPECT_EQ(0, t->ctl->poison_bad);
	EXPECT_EQ(512 * (info.collapses + info.aborts), t->ctl->poison_ok);
	/* The module counts what the guest did. */
	EXPECT_EQ(OBJ_ELIGIBLE, read_knob("windows_collapsed") - collapsed0);
	/* Scattered: every collapsed window had all 512 pages copied. */
	EXPECT_EQ(512 * OBJ_ELIGIBLE, read_knob("collapsed_pages_copied") - wcopied0);
	EXPECT_EQ(t->ctl->pages, read_knob("pages_copied") - copied0);
	/* Two sources written right after each window's first copy. */
	EXPECT_EQ(2 * (info.collapses + info.aborts), t->ctl->dirty_writes);
	EXPECT_LE(t->ctl->dirty_writes, read_knob("dirty_retries") - retries0);
	EXPECT_LE(512 * OBJ_ELIGIBLE + t->ctl->dirty_writes, t->ctl->pages);
	/* With TVM_AVX, every one of them an AVX store. */
	EXPECT_EQ(flags & TVM_AVX ? t->ctl->dirty_writes : 0, t->ctl->avx_writes);
	/*
	 * KVM's own statistic: one more 2 MiB entry for each collapsed
	 * window, no more (slot 0 is never huge, the staging window is
	 * unmapped again after each collapse), no fewer: the remap freed
	 * every window's page table.
	 */
	p2m = vm_stat(t->vm, "pages_2m");
	EXPECT_EQ(p2m0 + OBJ_ELIGIBLE, p2m)
		TH_LOG("pages_2m %ld before, %ld after", p2m0, p2m);
	/*
	 * Woken by the irqfd: once per posting at most, and the requests
	 * were all served. A polling agent takes no interrupt.
	 */
	if (irq) {
		EXPECT_LE(info.collapses + info.aborts, t->ctl->wakeups);
		EXPECT_GE(t->ctl->requests + 1, t->ctl->wakeups);
	} else {
		EXPECT_EQ(0, t->ctl->wakeups);
	}
	TH_LOG("pages_2m %ld -> %ld, %u pages copied, %u dirty writes, %u hot writes, %u interrupts, %ld KVM page faults",
	       p2m0, p2m, t->ctl->pages, t->ctl->dirty_writes, t->ctl->hot_writes,
	       t->ctl->wakeups, pf);
}

TEST_F_TIMEOUT(kvm, guest_copies_windows_into_huge_pages, 600)
{
	guest_copies(_metadata, &self->t, false, 0);
}

TEST_F_TIMEOUT(kvm, guest_woken_by_irqfd_copies_windows, 600)
{
	guest_copies(_metadata, &self->t, true, 0);
}

TEST_F_TIMEOUT(kvm, kvm_write_tracking_copies_windows, 600)
{
	guest_copies(_metadata, &self->t, false, THP_ENCVM_ATTACH_KVM_WRITE_TRACK);
}

TEST_F_TIMEOUT(kvm, kvm_write_tracking_woken_by_irqfd, 600)
{
	guest_copies(_metadata, &self->t, true, THP_ENCVM_ATTACH_KVM_WRITE_TRACK);
}

/*
 * The documented limit (C8): KVM emulates the guest's writes to a page
 * under copy, and its emulator cannot decode an AVX store. With KVM
 * write tracking the page is tracked; with the default tracking the
 * guest's read during the copy mapped it read-only in the host, and
 * KVM turns a write fault on a present read-only PFN-map entry
 * (KVM_PFN_ERR_RO_FAULT) into emulation too. Either way the agent's
 * first dirty write after the first window's copy, an AVX store, ends
 * KVM_RUN with KVM_EXIT_INTERNAL_ERROR (emulation failure) at that
 * store. Nothing was switched; when the VMM then tears the VM down, the
 * collapse rolls back as detached and the object goes, with nothing
 * left behind.
 */
static void avx_store_exits(struct __test_metadata *_metadata, struct tvm *t,
			    unsigned int flags)
{
	long detached0 = read_knob("collapse_failed/detached");
	long collapsed0 = read_knob("windows_collapsed");
	long objects0 = wait_objects(0);
	struct thp_encvm_info info;
	struct kvm_regs regs;

	ASSERT_EQ(0, tvm_create_notify(t, MODE_SERVE, true, NOTIFY_POLL, -1, flags | TVM_AVX));
	ASSERT_EQ(0, tvm_start(t));
	ASSERT_EQ(1, tvm_wait(t, 1, VM_WAIT_S)) TH_LOG("%s", t->why);
	ASSERT_EQ(0, write_knob("enabled", "1"));
	ASSERT_EQ(-1000, tvm_wait(t, 2, VM_WAIT_S)) TH_LOG("%s", t->why);
	pthread_join(t->th, NULL);
	t->th_started = false;
	TH_LOG("%s; %u AVX #UD retried", t->why, t->ctl->avx_ud);
	ASSERT_EQ(KVM_EXIT_INTERNAL_ERROR, t->run->exit_reason);
	EXPECT_EQ(KVM_INTERNAL_ERROR_EMULATION, t->run->internal.suberror);
	/* At the store: vmovdqu %ymm0, (mem) is c5 fe 7f. */
	ASSERT_EQ(0, ioctl(t->vcpu, KVM_GET_REGS, &regs));
	EXPECT_EQ(0, memcmp((char *)t->slot0 + regs.rip, "\xc5\xfe\x7f", 3))
		TH_LOG("rip %#llx", (unsigned long long)regs.rip);
	/* The window's one copy was done; its first AVX store never was. */
	EXPECT_EQ(512, t->ctl->pages);
	EXPECT_EQ(512, t->ctl->poison_ok);
	EXPECT_EQ(0, t->ctl->avx_writes);
	EXPECT_EQ(0, t->ctl->requests);
	info = info_of(t->obj);
	EXPECT_EQ(0, info.collapses);
	EXPECT_EQ(0, info.huge);
	/* The VMM gives up on the VM: everything goes, the collapse too. */
	tvm_destroy(t);
	memset(t, 0, sizeof(*t));
	EXPECT_LE(wait_objects(objects0), objects0);
	ASSERT_EQ(0, write_knob("enabled", "0"));
	EXPECT_EQ(detached0 + 1, read_knob("collapse_failed/detached"));
	EXPECT_EQ(collapsed0, read_knob("windows_collapsed"));
}

TEST_F_TIMEOUT(kvm, avx_store_to_page_under_copy_exits, 300)
{
	avx_store_exits(_metadata, &self->t, 0);
}

TEST_F_TIMEOUT(kvm, kvm_write_tracking_avx_store_exits, 300)
{
	avx_store_exits(_metadata, &self->t, THP_ENCVM_ATTACH_KVM_WRITE_TRACK);
}

/*
 * KVM's own writes into guest memory bypass its write tracking: the
 * areas registered with these MSRs (track.c, kvm_writes_gpa()), one
 * page of each in a window of its own, windows 2 to 6. The last three
 * need the in-kernel LAPIC (NOTIFY_IRQ). KVM writes the first two on
 * every vCPU entry and the wall clock at once; PV EOI and async page
 * faults only when it has an event to tell, but they are registered.
 */
static const struct kvm_write_area {
	const char *name;
	unsigned int msr, page;
	unsigned long long flags;
	bool written;	/* KVM surely wrote it (a nonzero version) */
	/*
	 * Where its version is: first in kvmclock's and the wall clock's
	 * records (Documentation/virt/kvm/x86/msr.rst), after the time
	 * stolen in steal time's, which stays 0 while the vCPU's thread
	 * never waited to run (often so in the first VM after a boot).
	 */
	unsigned int version;
} kvm_write_areas[KVM_PAGES] = {
	{ "steal time", MSR_KVM_STEAL_TIME, 2 * 512 + 100, KVM_MSR_ENABLED, true,
	  offsetof(struct kvm_steal_time, version) },
	{ "kvmclock", MSR_KVM_SYSTEM_TIME_NEW, 3 * 512 + 200, 1, true },
	{ "PV EOI", MSR_KVM_PV_EOI_EN, 4 * 512 + 300, KVM_MSR_ENABLED, false },
	/* Registered, not delivered (no DELIVERY_AS_INT): the guest takes none. */
	{ "async PF", MSR_KVM_ASYNC_PF_EN, 5 * 512 + 400, KVM_ASYNC_PF_ENABLED, false },
	{ "wall clock", MSR_KVM_WALL_CLOCK_NEW, 6 * 512 + 500, 0, true },
};

/*
 * Under KVM write tracking the daemon must leave each window holding
 * one of those areas alone, counting each pass over it
 * (collapse_failed/kvm_writes), and collapse the only other one
 * (window 1). One window a MSR: a check missing collapses its window.
 */
TEST_F_TIMEOUT(kvm, kvm_write_tracking_skips_pages_kvm_writes, 600)
{
	long kvm_writes0 = read_knob("collapse_failed/kvm_writes"), scans0;
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e[KVM_PAGES];
	} msrs = { .h.nmsrs = KVM_PAGES };
	const unsigned int others = OBJ_ELIGIBLE - KVM_PAGES;
	const struct kvm_write_area *k;
	struct tvm *t = &self->t;
	struct thp_encvm_info info;
	unsigned int i;
	int n;

	ASSERT_EQ(0, tvm_create_notify(t, MODE_SERVE, true, NOTIFY_IRQ, -1,
				       THP_ENCVM_ATTACH_KVM_WRITE_TRACK));
	for (i = 0; i < KVM_PAGES; i++) {
		k = &kvm_write_areas[i];
		t->ctl->kvm_page[i] = k->page;
		msrs.e[i].index = k->msr;
		msrs.e[i].data = OBJ_GPA + k->page * 4096ULL + k->flags;
	}
	/* KVM_SET_MSRS stops at the first MSR it refuses. */
	n = ioctl(t->vcpu, KVM_SET_MSRS, &msrs);
	ASSERT_EQ(KVM_PAGES, n) TH_LOG("KVM refused the MSR of %s",
				       n >= 0 && n < KVM_PAGES ? kvm_write_areas[n].name : "all");
	ASSERT_EQ(0, tvm_start(t));
	ASSERT_EQ(1, tvm_wait(t, 1, VM_WAIT_S)) TH_LOG("%s", t->why);
	ASSERT_EQ(0, write_knob("enabled", "1"));
	info = collapse_n(t, others);
	EXPECT_EQ(others, info.collapses);
	/* Two more full scans: every window was looked at again. */
	scans0 = read_knob("full_scans");
	EXPECT_LE(scans0 + 2, wait_counter("full_scans", scans0 + 2, VM_WAIT_S));
	ASSERT_EQ(0, write_knob("enabled", "0"));
	info = info_of(t->obj);
	EXPECT_EQ(others, info.huge);
	EXPECT_EQ(others, info.collapses);
	EXPECT_EQ(0, info.aborts) {
		static const char *const why[] = {
			"alloc", "timeout", "retries", "detached", "ring", "memslot",
			"pinned", "disabled", "kvm_writes",
		};
		char name[64];

		for (i = 0; i < ARRAY_SIZE(why); i++) {
			snprintf(name, sizeof(name), "collapse_failed/%s", why[i]);
			TH_LOG("%s %ld", name, read_knob(name));
		}
	}
	EXPECT_LE(kvm_writes0 + 2 * KVM_PAGES, read_knob("collapse_failed/kvm_writes"));
	for (i = 0; i < KVM_PAGES; i++) {
		k = &kvm_write_areas[i];
		/* KVM did write there: the version field. */
		if (k->written)
			EXPECT_NE(0, __atomic_load_n((unsigned int *)(t->map + k->page * 4096UL +
								  k->version),
						     __ATOMIC_RELAXED)) TH_LOG("%s", k->name);
	}
	ASSERT_EQ(2, tvm_finish(t)) TH_LOG("%s", t->why);
	EXPECT_EQ(0, t->ctl->bad_words);
	EXPECT_EQ(PRIVATE_PAGES - KVM_PAGES, t->ctl->checked);
}

/*
 * A VM, attached with @flags, whose agent never answers the ring: with
 * the daemon running, two collapses time out and roll back.
 */
static void unanswered(struct __test_metadata *_metadata, struct tvm *t,
		       unsigned int flags)
{
	long timeouts0 = read_knob("collapse_failed/timeout");

	ASSERT_EQ(0, write_knob("copy_timeout_ms", "300"));
	ASSERT_EQ(0, tvm_create_notify(t, MODE_IGNORE, true, NOTIFY_POLL, -1, flags));
	ASSERT_EQ(0, tvm_start(t));
	ASSERT_EQ(1, tvm_wait(t, 1, VM_WAIT_S)) TH_LOG("%s", t->why);
	ASSERT_EQ(0, write_knob("enabled", "1"));
	EXPECT_LE(timeouts0 + 2, wait_counter("collapse_failed/timeout",
					      timeouts0 + 2, VM_WAIT_S));
}

/*
 * Under KVM write tracking, an unanswered collapse times out and rolls
 * back. In the middle of the next collapse, with a long timeout, KVM
 * refuses to move the object's memslot; the VMM deletes it, which
 * takes KVM's tracking of its gfns with it: the collapse rolls back,
 * and every page still holds what the guest wrote, read through the
 * VMM's mapping.
 */
TEST_F_TIMEOUT(kvm, kvm_write_tracking_rolls_back, 600)
{
	struct kvm_userspace_memory_region slot = {
		.slot = 1, .guest_phys_addr = OBJ_GPA, .memory_size = 0,
	};
	struct kvm_userspace_memory_region move = {
		.slot = 1, .guest_phys_addr = 2ULL * OBJ_GPA, .memory_size = OBJ_SIZE,
	};
	long detached0 = read_knob("collapse_failed/detached");
	const unsigned int *ver;
	struct tvm *t = &self->t;
	unsigned int p, k, bad = 0, checked = 0;
	uint32_t prod;
	double end;

	unanswered(_metadata, t, THP_ENCVM_ATTACH_KVM_WRITE_TRACK);
	/*
	 * The next collapse waits until the memslot goes. The producer
	 * index is read before the long timeout is set: a collapse that
	 * posts after the read moves it, and if that one still read the
	 * short timeout, the one after it has the long one. (Read after
	 * the knob, the index could already hold the posts of the
	 * long collapse, and nothing would move it for ten minutes.)
	 */
	prod = __atomic_load_n(&t->ring->prod, __ATOMIC_ACQUIRE);
	ASSERT_EQ(0, write_knob("copy_timeout_ms", "600000"));
	end = now_s() + VM_WAIT_S;
	while (__atomic_load_n(&t->ring->prod, __ATOMIC_ACQUIRE) == prod && now_s() < end)
		usleep(10000);
	ASSERT_NE(prod, t->ring->prod);
	/*
	 * KVM refuses to move a memslot while a page-track notifier is
	 * registered, which would drop the tracking without a word. It
	 * refuses late: the memslot is briefly invalid, and a guest write
	 * KVM emulates meanwhile (any write to a tracked page) exits to
	 * the VMM as MMIO. This VMM takes no MMIO, so the agent is quiet
	 * while the move is tried.
	 */
	__atomic_store_n(&t->ctl->quiet, 1, __ATOMIC_RELEASE);
	ASSERT_EQ(1, wait_set(&t->ctl->quiet_ack, VM_WAIT_S));
	move.userspace_addr = (unsigned long)t->map;
	EXPECT_EQ(-1, ioctl(t->vm, KVM_SET_USER_MEMORY_REGION, &move));
	EXPECT_EQ(EINVAL, errno);
	__atomic_store_n(&t->ctl->quiet, 0, __ATOMIC_RELEASE);
	/* The agent verifies while it can still reach its memory. */
	ASSERT_EQ(2, tvm_finish(t)) TH_LOG("%s", t->why);
	EXPECT_EQ(0, t->ctl->bad_words);
	EXPECT_EQ(PRIVATE_PAGES, t->ctl->checked);
	ASSERT_EQ(0, ioctl(t->vm, KVM_SET_USER_MEMORY_REGION, &slot));
	/* Later collapses find no memslot to track and roll back too. */
	EXPECT_LE(detached0 + 1, wait_counter("collapse_failed/detached",
					      detached0 + 1, VM_WAIT_S));
	ASSERT_EQ(0, write_knob("enabled", "0"));
	EXPECT_EQ(0, info_of(t->obj).huge);
	/* Every private page holds its last version, in the VMM's view. */
	ver = (const unsigned int *)((char *)t->slot0 + AGENT_VER);
	for (p = OBJ_SHARED / 4096; p < OBJ_SIZE / 4096; p++) {
		const unsigned int *w = (const unsigned int *)(t->map + (size_t)p * 4096);

		if (p * 4096ULL - OBJ_STAGING < 2 << 20)
			continue;
		for (k = 0; k < 1024; k++)
			bad += w[k] != agent_word(p, k, ver[p]);
		checked++;
	}
	EXPECT_EQ(PRIVATE_PAGES, checked);
	EXPECT_EQ(0, bad);
	EXPECT_EQ(0, ioctl(t->obj, THP_ENCVM_IOC_DETACH));
	/* Detached, the notifier is gone: the same move goes through. */
	slot.memory_size = OBJ_SIZE;
	slot.userspace_addr = (unsigned long)t->map;
	ASSERT_EQ(0, ioctl(t->vm, KVM_SET_USER_MEMORY_REGION, &slot));
	EXPECT_EQ(0, ioctl(t->vm, KVM_SET_USER_MEMORY_REGION, &move));
}

/*
 * The VMM detaches the object while the guest is busy with a request,
 * and attaches it again, with KVM write tracking both times. The detach
 * rolls the collapse back and cancels the request. The guest is held
 * at @where (before its copy, just before it stores page HOLD_MID_PAGE,
 * or after its copy) with the request's sequence number in the ring's
 * busy field: until it lets go, the daemon must not stage another
 * window (collapse_failed/guest_busy). Released in the middle, the
 * guest makes its store, which would land in a new staging page and
 * show as a destination without poison; then it sees the cancellation
 * and stops, as one released before the copy does at once. Either way
 * it completes the old request, starts over at slot 0 of the new epoch,
 * and every window is collapsed with every byte intact, each fresh
 * destination still full of poison when the guest got there.
 */
static void reattach_busy(struct __test_metadata *_metadata, struct tvm *t,
			  unsigned int where)
{
	struct thp_encvm_attach a = {
		.eventfd = -1, .gpa = OBJ_GPA, .flags = THP_ENCVM_ATTACH_KVM_WRITE_TRACK,
	};
	long detached0 = read_knob("collapse_failed/detached");
	long timeouts0 = read_knob("collapse_failed/timeout");
	long busy0 = read_knob("collapse_failed/guest_busy");
	/* Poisoned destinations the held request found, its rewrites. */
	unsigned int checked = where == HOLD_AFTER ? 512 :
			       where == HOLD_MID ? HOLD_MID_PAGE + 1 : 0;
	unsigned int rewrites = where == HOLD_AFTER ? 2 : 0;
	struct thp_encvm_info info;
	uint32_t seq;

	ASSERT_EQ(0, tvm_create_notify(t, MODE_SERVE, true, NOTIFY_POLL, -1, a.flags));
	t->ctl->hold = where;
	ASSERT_EQ(0, tvm_start(t));
	ASSERT_EQ(1, tvm_wait(t, 1, VM_WAIT_S)) TH_LOG("%s", t->why);
	ASSERT_EQ(0, write_knob("enabled", "1"));
	/* The first request, in slot 0, is held. */
	ASSERT_EQ(1, wait_set(&t->ctl->held, VM_WAIT_S));
	seq = t->ring->req[0].seq;
	EXPECT_EQ(seq, t->ring->busy);
	EXPECT_EQ(0, t->ring->req[0].flags);
	ASSERT_EQ(0, ioctl(t->obj, THP_ENCVM_IOC_DETACH));
	EXPECT_EQ(detached0 + 1, read_knob("collapse_failed/detached"));
	EXPECT_EQ(THP_ENCVM_REQ_CANCELLED, t->ring->req[0].flags);
	a.vm_fd = t->vm;
	ASSERT_EQ(0, ioctl(t->obj, THP_ENCVM_IOC_ATTACH, &a));
	EXPECT_EQ(THP_ENCVM_ATTACH_KVM_WRITE_TRACK, info_of(t->obj).attach_flags);
	/* Twice refused while the guest is busy, and nothing posted. */
	EXPECT_LE(busy0 + 2, wait_counter("collapse_failed/guest_busy", busy0 + 2, 60));
	EXPECT_EQ(0, t->ring->prod);
	EXPECT_EQ(seq, t->ring->busy);
	EXPECT_EQ(0, info_of(t->obj).collapses);
	__atomic_store_n(&t->ctl->hold, 0, __ATOMIC_RELEASE);

	info = collapse_all(t);
	ASSERT_EQ(0, write_knob("enabled", "0"));
	EXPECT_EQ(OBJ_ELIGIBLE, info.huge);
	EXPECT_EQ(OBJ_ELIGIBLE, info.collapses);
	EXPECT_EQ(timeouts0, read_knob("collapse_failed/timeout"));
	EXPECT_EQ(0, t->ring->busy);
	ASSERT_EQ(2, tvm_finish(t)) TH_LOG("%s", t->why);
	EXPECT_EQ(0, t->ctl->bad_words);
	EXPECT_EQ(PRIVATE_PAGES, t->ctl->checked);
	EXPECT_EQ(where != HOLD_AFTER, t->ctl->cancelled);
	EXPECT_EQ(0, t->ctl->poison_bad);
	EXPECT_EQ(512 * info.collapses + checked, t->ctl->poison_ok);
	EXPECT_EQ(2 * info.collapses + rewrites, t->ctl->dirty_writes);
	TH_LOG("%ld refusals while busy",
	       read_knob("collapse_failed/guest_busy") - busy0);
}

/*
 * A second ATTACH with KVM write tracking while the attachment's
 * write-tracked collapse is in flight (the guest holds its request):
 * -EBUSY, decided before it registers a page-track notifier of its
 * own, which would have found the object's tracked pages and warned
 * (the tier's splat scan), and could have dropped them. The first
 * attachment's collapse then completes.
 */
TEST_F_TIMEOUT(kvm, second_write_tracked_attach_during_collapse_is_busy, 300)
{
	struct thp_encvm_attach a = {
		.eventfd = -1, .gpa = OBJ_GPA, .flags = THP_ENCVM_ATTACH_KVM_WRITE_TRACK,
	};
	struct tvm *t = &self->t;
	struct thp_encvm_info info;

	ASSERT_EQ(0, tvm_create_notify(t, MODE_SERVE, true, NOTIFY_POLL, -1, a.flags));
	t->ctl->hold = HOLD_BEFORE;
	ASSERT_EQ(0, tvm_start(t));
	ASSERT_EQ(1, tvm_wait(t, 1, VM_WAIT_S)) TH_LOG("%s", t->why);
	ASSERT_EQ(0, write_knob("enabled", "1"));
	/* The first request is posted, its pages tracked, and held. */
	ASSERT_EQ(1, wait_set(&t->ctl->held, VM_WAIT_S));
	a.vm_fd = t->vm;
	EXPECT_EQ(-1, ioctl(t->obj, THP_ENCVM_IOC_ATTACH, &a));
	EXPECT_EQ(EBUSY, errno);
	a.flags = 0;
	EXPECT_EQ(-1, ioctl(t->obj, THP_ENCVM_IOC_ATTACH, &a));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(THP_ENCVM_ATTACH_KVM_WRITE_TRACK, info_of(t->obj).attach_flags);
	__atomic_store_n(&t->ctl->hold, 0, __ATOMIC_RELEASE);
	info = collapse_n(t, 1);
	ASSERT_EQ(0, write_knob("enabled", "0"));
	EXPECT_LE(1, info.collapses);
	EXPECT_EQ(0, info.aborts);
	ASSERT_EQ(2, tvm_finish(t)) TH_LOG("%s", t->why);
	EXPECT_EQ(0, t->ctl->bad_words);
	EXPECT_EQ(PRIVATE_PAGES, t->ctl->checked);
	EXPECT_EQ(0, t->ctl->poison_bad);
}

TEST_F_TIMEOUT(kvm, reattached_while_guest_holds_copy, 600)
{
	reattach_busy(_metadata, &self->t, HOLD_AFTER);
}

TEST_F_TIMEOUT(kvm, reattached_before_guest_copies, 600)
{
	reattach_busy(_metadata, &self->t, HOLD_BEFORE);
}

TEST_F_TIMEOUT(kvm, reattached_in_the_middle_of_a_copy, 600)
{
	reattach_busy(_metadata, &self->t, HOLD_MID);
}

#define RACE_ROLLBACKS	100

/*
 * The guest keeps writing pages of the windows that the daemon arms,
 * unmaps and rolls back again and again (the guest never answers, and
 * each copy times out at once): each write fault of KVM's races with
 * the unmaps. KVM fails some of those faults with EFAULT (see
 * TVM_EFAULT_RETRIES); the VMM runs the vCPU again, and the guest must
 * survive every one of them with all its data.
 */
TEST_F_TIMEOUT(kvm, guest_writes_race_unmaps, 600)
{
	struct tvm *t = &self->t;
	double end;

	ASSERT_EQ(0, write_knob("copy_timeout_ms", "10"));
	ASSERT_EQ(0, tvm_create(t, MODE_IGNORE, true));
	t->ctl->hot_shift = 6;
	ASSERT_EQ(0, tvm_start(t));
	ASSERT_EQ(1, tvm_wait(t, 1, VM_WAIT_S)) TH_LOG("%s", t->why);
	/*
	 * Scans back to back only while enabled: a disabled daemon with
	 * no sleep spins (sleep_ms(0)), and took half the VM's one TCG
	 * thread from the guest's fill and verification.
	 */
	ASSERT_EQ(0, write_knob("scan_sleep_millisecs", "0"));
	ASSERT_EQ(0, write_knob("enabled", "1"));
	/*
	 * A hundred rollbacks, each racing the guest's writes, or 6 s (what
	 * the loop took before it counted), whichever comes first: each
	 * rollback is a race of its own, and the guest's data is checked
	 * whole at the end, so more of them prove no more.
	 */
	end = now_s() + 6;
	while (now_s() < end && __atomic_load_n(&t->state, __ATOMIC_ACQUIRE) >= 0 &&
	       info_of(t->obj).aborts < RACE_ROLLBACKS)
		usleep(20000);
	ASSERT_EQ(0, write_knob("enabled", "0"));
	ASSERT_EQ(0, write_knob("scan_sleep_millisecs", "50"));
	EXPECT_EQ(1, t->state) TH_LOG("%s", t->why);
	TH_LOG("%u rewrites, %llu rollbacks, %lu EFAULTs retried", t->ctl->hot_writes,
	       (unsigned long long)info_of(t->obj).aborts, t->efaults);
	EXPECT_EQ(0, info_of(t->obj).collapses);
	ASSERT_EQ(2, tvm_finish(t)) TH_LOG("%s", t->why);
	EXPECT_EQ(0, t->ctl->bad_words);
	EXPECT_EQ(PRIVATE_PAGES, t->ctl->checked);
}

/*
 * The same race, made to happen (debugfs fault_unmap): the first three
 * faults KVM takes on the object find their page unmapped again before
 * KVM's second look at the page table, so KVM_RUN fails with EFAULT
 * three times in a row. The guest's instruction did not run: the VMM
 * runs the vCPU again each time, and the guest fills and checks all its
 * memory.
 */
TEST_F_TIMEOUT(kvm, efault_from_a_racing_unmap_is_retried, 300)
{
	struct tvm *t = &self->t;

	ASSERT_EQ(0, tvm_create(t, MODE_SERVE, true));
	t->fault_in_guest = true;	/* KVM_RUN's faults, not tvm_prefault()'s */
	ASSERT_EQ(0, mv_write_path(DEBUGFS "fault_unmap", "3"));
	ASSERT_EQ(0, tvm_start(t));
	ASSERT_EQ(1, tvm_wait(t, 1, VM_WAIT_S)) TH_LOG("%s", t->why);
	EXPECT_EQ(0, mv_read_knob(DEBUGFS, "fault_unmap"));
	EXPECT_EQ(3, __atomic_load_n(&t->efaults, __ATOMIC_ACQUIRE));
	ASSERT_EQ(2, tvm_finish(t)) TH_LOG("%s", t->why);
	EXPECT_EQ(0, t->ctl->bad_words);
	EXPECT_EQ(PRIVATE_PAGES, t->ctl->checked);
}

/*
 * A guest that falls more than two rings behind: it ignores the ring
 * while collapse after collapse times out, then starts serving from its
 * old index. Its vCPU does not even run meanwhile (tvm_pause(): under
 * single-threaded TCG a spinning guest took the host thread from the
 * daemon); a guest that runs while it ignores the ring is left to
 * unanswered_collapse_times_out and its write-tracking twin. Each slot
 * holds a cancelled request, which it abandons (and completes) the
 * first time round and finds completed the next: it copies nothing,
 * and no fresh 2 MiB page of the collapses that follow finds anything
 * but poison, nor any page a byte the guest did not write. Sent back
 * to slot 0 after them, it finds every request completed and copies
 * none again.
 */
TEST_F_TIMEOUT(kvm, lagging_guest_skips_old_requests, 600)
{
	struct tvm *t = &self->t;
	struct thp_encvm_info info;
	unsigned int pages, repeats;
	uint32_t prod, last;
	uint64_t aborts;
	double end;

	ASSERT_EQ(0, write_knob("copy_timeout_ms", "10"));
	ASSERT_EQ(0, write_knob("scan_sleep_millisecs", "10"));
	ASSERT_EQ(0, tvm_create(t, MODE_IGNORE, true));
	ASSERT_EQ(0, tvm_start(t));
	ASSERT_EQ(1, tvm_wait(t, 1, VM_WAIT_S)) TH_LOG("%s", t->why);
	ASSERT_EQ(0, tvm_pause(t)) TH_LOG("%s", t->why);
	ASSERT_EQ(0, write_knob("enabled", "1"));
	end = now_s() + VM_WAIT_S;
	while (__atomic_load_n(&t->ring->prod, __ATOMIC_ACQUIRE) < 2 * THP_ENCVM_RING_SLOTS + 8 &&
	       now_s() < end)
		usleep(50000);
	/*
	 * Disabled, the daemon stops after the window it works on, which
	 * times out too (in 10 ms). Each collapse posted one request and
	 * rolled back: quiet when they match, and stay so for a quarter
	 * of a second.
	 */
	ASSERT_EQ(0, write_knob("enabled", "0"));
	end = now_s() + VM_WAIT_S;	/* each step waits on its own */
	do {
		prod = __atomic_load_n(&t->ring->prod, __ATOMIC_ACQUIRE);
		aborts = info_of(t->obj).aborts;
		usleep(250000);
	} while ((prod != aborts || prod != __atomic_load_n(&t->ring->prod, __ATOMIC_ACQUIRE) ||
		  aborts != info_of(t->obj).aborts) && now_s() < end);
	ASSERT_EQ(aborts, prod);
	ASSERT_LE(2 * THP_ENCVM_RING_SLOTS + 8, prod);
	last = (prod - 1) % THP_ENCVM_RING_SLOTS;
	ASSERT_EQ(THP_ENCVM_REQ_CANCELLED, t->ring->req[last].flags);
	EXPECT_EQ(0, info_of(t->obj).collapses);

	/* More than two laps of cancelled requests: all skipped. */
	__atomic_store_n(&t->ctl->mode, MODE_SERVE, __ATOMIC_RELEASE);
	tvm_resume(t);
	end = now_s() + VM_WAIT_S;
	while (__atomic_load_n(&t->ring->cons, __ATOMIC_ACQUIRE) != prod && now_s() < end &&
	       __atomic_load_n(&t->state, __ATOMIC_ACQUIRE) >= 0)
		usleep(10000);
	ASSERT_EQ(prod, t->ring->cons)
		TH_LOG("state %d (%s), cancelled %u, repeats %u, requests %u, mode %u",
		       t->state, t->why, t->ctl->cancelled, t->ctl->repeats,
		       t->ctl->requests, t->ctl->mode);
	EXPECT_EQ(THP_ENCVM_RING_SLOTS, t->ctl->cancelled);
	EXPECT_EQ(prod - THP_ENCVM_RING_SLOTS, t->ctl->repeats);
	EXPECT_EQ(0, t->ctl->pages);
	EXPECT_EQ(0, t->ring->busy);

	/* Then every window collapses as usual. */
	ASSERT_EQ(0, write_knob("copy_timeout_ms", "120000"));
	ASSERT_EQ(0, write_knob("enabled", "1"));
	info = collapse_all(t);
	ASSERT_EQ(0, write_knob("enabled", "0"));
	EXPECT_EQ(OBJ_ELIGIBLE, info.huge);
	EXPECT_EQ(OBJ_ELIGIBLE, info.collapses);
	EXPECT_EQ(THP_ENCVM_RING_SLOTS, t->ctl->cancelled);
	EXPECT_EQ(prod - THP_ENCVM_RING_SLOTS, t->ctl->repeats);
	EXPECT_EQ(512 * info.collapses, t->ctl->poison_ok);

	/*
	 * Back to slot 0, as a restarted driver: every request since the
	 * start is there, completed (copied, or abandoned), and none is
	 * copied again.
	 */
	pages = t->ctl->pages;
	repeats = t->ctl->repeats;
	prod = __atomic_load_n(&t->ring->prod, __ATOMIC_ACQUIRE);
	__atomic_store_n(&t->ctl->rewind, 1, __ATOMIC_RELEASE);
	end = now_s() + VM_WAIT_S;
	while (__atomic_load_n(&t->ctl->repeats, __ATOMIC_ACQUIRE) < repeats + prod &&
	       now_s() < end)
		usleep(10000);
	EXPECT_EQ(repeats + prod, t->ctl->repeats);
	EXPECT_EQ(pages, t->ctl->pages);
	EXPECT_EQ(0, t->ring->busy);

	ASSERT_EQ(2, tvm_finish(t)) TH_LOG("%s", t->why);
	EXPECT_EQ(0, t->ctl->bad_words);
	EXPECT_EQ(PRIVATE_PAGES, t->ctl->checked);
	EXPECT_EQ(THP_ENCVM_RING_SLOTS, t->ctl->cancelled);
	EXPECT_EQ(0, t->ctl->poison_bad);
}

/*
 * Stop the daemon; no window of @t was collapsed, at least @aborts
 * collapses rolled back, and the agent finds every byte it wrote.
 */
static void nothing_collapsed(struct __test_metadata *_metadata, struct tvm *t,
			      unsigned int aborts)
{
	struct thp_encvm_info info;

	ASSERT_EQ(0, write_knob("enabled", "0"));
	info = info_of(t->obj);
	EXPECT_EQ(0, info.huge);
	EXPECT_EQ(0, info.collapses);
	EXPECT_LE(aborts, info.aborts);
	ASSERT_EQ(2, tvm_finish(t)) TH_LOG("%s", t->why);
	EXPECT_EQ(0, t->ctl->bad_words);
	EXPECT_EQ(PRIVATE_PAGES, t->ctl->checked);
}

TEST_F_TIMEOUT(kvm, unanswered_collapse_times_out, 300)
{
	struct tvm *t = &self->t;

	unanswered(_metadata, t, 0);
	nothing_collapsed(_metadata, t, 2);
}

TEST_F_TIMEOUT(kvm, detach_during_collapse, 300)
{
	struct tvm *t = &self->t;
	long detached0 = read_knob("collapse_failed/detached");
	int ev = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	uint64_t kicks = 0;

	/* This VMM asks to be told of requests through an eventfd. */
	ASSERT_LE(0, ev);
	ASSERT_EQ(0, tvm_create_ev(t, MODE_IGNORE, true, ev));
	ASSERT_EQ(0, tvm_start(t));
	ASSERT_EQ(1, tvm_wait(t, 1, VM_WAIT_S)) TH_LOG("%s", t->why);
	ASSERT_EQ(0, write_knob("enabled", "1"));
	ASSERT_NE(0, wait_set(&t->ring->prod, VM_WAIT_S));
	/* Posting the requests signalled the eventfd (an irqfd's job). */
	ASSERT_EQ(sizeof(kicks), read(ev, &kicks, sizeof(kicks)));
	EXPECT_LE(1, kicks);
	close(ev);
	/* Requests are out and unanswered: detach rolls the collapse back. */
	ASSERT_EQ(0, ioctl(t->obj, THP_ENCVM_IOC_DETACH));
	EXPECT_EQ(detached0 + 1, read_knob("collapse_failed/detached"));
	EXPECT_EQ(THP_ENCVM_DETACHED, info_of(t->obj).state);
	EXPECT_EQ(0, info_of(t->obj).huge);
	EXPECT_EQ(-1, ioctl(t->obj, THP_ENCVM_IOC_DETACH));
	EXPECT_EQ(ENOENT, errno);
	ASSERT_EQ(2, tvm_finish(t)) TH_LOG("%s", t->why);
	EXPECT_EQ(0, t->ctl->bad_words);
	EXPECT_EQ(PRIVATE_PAGES, t->ctl->checked);
}

/*
 * The next 2 MiB allocation fails, once, without a stack dump; @path
 * is left naming the probability, which turns it off with "0".
 */
static int fail_alloc_once(char *path, size_t len)
{
	const char *fa = "/sys/kernel/debug/thp_encvm/fail_alloc/";

	snprintf(path, len, "%sverbose", fa);
	if (mv_write_path(path, "0"))
		return -1;
	snprintf(path, len, "%stimes", fa);
	if (mv_write_path(path, "1"))
		return -1;
	snprintf(path, len, "%sprobability", fa);
	return mv_write_path(path, "100");
}

/*
 * After the first collapse failed on an injected allocation failure and
 * the daemon was turned off once a later one went through: it was
 * rolled back, once, and so was at most the collapse that turning the
 * daemon off cut short (collapse_failed/disabled since @disabled0); the
 * windows collapsed are huge, with the guest's data intact.
 */
static void collapsed_after_one_failure(struct __test_metadata *_metadata, struct tvm *t,
					long disabled0)
{
	struct thp_encvm_info info = info_of(t->obj);

	EXPECT_LE(1, info.collapses);
	EXPECT_EQ(info.collapses, info.huge);
	EXPECT_EQ(1 + read_knob("collapse_failed/disabled") - disabled0, info.aborts);
	ASSERT_EQ(2, tvm_finish(t)) TH_LOG("%s", t->why);
	EXPECT_EQ(0, t->ctl->bad_words);
	EXPECT_EQ(PRIVATE_PAGES, t->ctl->checked);
	EXPECT_EQ(0, t->ctl->poison_bad);
}

TEST_F_TIMEOUT(kvm, injected_alloc_failure, 600)
{
	const char *fa = "/sys/kernel/debug/thp_encvm/fail_alloc/";
	long disabled0 = read_knob("collapse_failed/disabled");
	long alloc0 = read_knob("collapse_failed/alloc");
	struct tvm *t = &self->t;
	char path[128];

	snprintf(path, sizeof(path), "%sprobability", fa);
	if (access(path, W_OK))
		SKIP(return, "no fault injection in this kernel (debug tier only)");
	ASSERT_EQ(0, write_knob("alloc_sleep_millisecs", "100"));
	ASSERT_EQ(0, tvm_create(t, MODE_SERVE, true));
	ASSERT_EQ(0, tvm_start(t));
	ASSERT_EQ(1, tvm_wait(t, 1, VM_WAIT_S)) TH_LOG("%s", t->why);
	ASSERT_EQ(0, fail_alloc_once(path, sizeof(path)));
	ASSERT_EQ(0, write_knob("enabled", "1"));
	collapse_n(t, 1);
	ASSERT_EQ(0, write_knob("enabled", "0"));
	ASSERT_EQ(0, mv_write_path(path, "0"));
	EXPECT_EQ(alloc0 + 1, read_knob("collapse_failed/alloc"));
	collapsed_after_one_failure(_metadata, t, disabled0);
}


/* The pid of the daemon, thp_encvmd, or -1. */
static pid_t daemon_pid(void)
{
	char path[64], comm[32];
	struct dirent *e;
	pid_t pid = -1;
	DIR *d = opendir("/proc");
	FILE *f;

	while (d && pid < 0 && (e = readdir(d))) {
		if (atoi(e->d_name) <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/comm", atoi(e->d_name));
		f = fopen(path, "re");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) && !strcmp(comm, "thp_encvmd\n"))
			pid = atoi(e->d_name);
		fclose(f);
	}
	if (d)
		closedir(d);
	return pid;
}

/* [*start, *end) of thp_encvm's function @name, from /proc/kallsyms. */
static int sym_range(const char *name, unsigned long long *start,
		     unsigned long long *end)
{
	FILE *f = fopen("/proc/kallsyms", "re");
	static unsigned long long addr[8192];
	char line[512], sym[256], mod[64], type;
	unsigned int n = 0, i;
	unsigned long long a;

	if (!f)
		return -errno;
	*start = 0;
	*end = ~0ULL;
	/*
	 * One pass (the debug kernel's list is long): ours, and every
	 * address of the module, for the lowest one above it. Big reads,
	 * and no sscanf() of the kernel's own 60000 lines, which took the
	 * debug tier 10 s.
	 */
	setvbuf(f, NULL, _IOFBF, 1 << 20);
	while (fgets(line, sizeof(line), f)) {
		if (!strstr(line, "\t[thp_encvm]") ||
		    sscanf(line, "%llx %c %255s [%63[^]]]", &a, &type, sym, mod) != 4 ||
		    strcmp(mod, "thp_encvm"))
			continue;
		if (!strcmp(sym, name))
			*start = a;
		else if (n < ARRAY_SIZE(addr))
			addr[n++] = a;
	}
	fclose(f);
	for (i = 0; *start && i < n; i++)
		if (addr[i] > *start && addr[i] < *end)
			*end = addr[i];
	return *start && *end != ~0ULL && n < ARRAY_SIZE(addr) ? 0 : -ENOENT;
}

/*
 * The allocation of a collapse's own state fails (fail_page_alloc: it
 * is larger than a slab's, for the daemon only, under
 * collapse_window(), whose first allocation it is): counted in
 * collapse_failed/alloc as a failed 2 MiB allocation is; the window
 * collapses on the next try, the guest's data intact.
 */
TEST_F_TIMEOUT(kvm, injected_collapse_state_alloc_failure, 300)
{
	long disabled0 = read_knob("collapse_failed/disabled");
	long alloc0 = read_knob("collapse_failed/alloc");
	pid_t pid = daemon_pid();
	struct tvm *t = &self->t;
	unsigned long long start = 0, end = 0;
	char mif[64], v[32];

	if (access(FAILPAGE "require-start", W_OK))
		SKIP(return, "no fault injection in this kernel (debug tier only)");
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, sym_range("collapse_window", &start, &end));
	ASSERT_EQ(0, write_knob("alloc_sleep_millisecs", "100"));
	ASSERT_EQ(0, tvm_create(t, MODE_SERVE, true));
	ASSERT_EQ(0, tvm_start(t));
	ASSERT_EQ(1, tvm_wait(t, 1, VM_WAIT_S)) TH_LOG("%s", t->why);
	snprintf(mif, sizeof(mif), "/proc/%d/make-it-fail", pid);
	ASSERT_EQ(0, te_fi_quiet());
	snprintf(v, sizeof(v), "%#llx", start);
	ASSERT_EQ(0, mv_write_path(FAILPAGE "require-start", v));
	snprintf(v, sizeof(v), "%#llx", end);
	ASSERT_EQ(0, mv_write_path(FAILPAGE "require-end", v));
	ASSERT_EQ(0, mv_write_path(FAILPAGE "times", "1"));
	ASSERT_EQ(0, mv_write_path(FAILPAGE "probability", "100"));
	ASSERT_EQ(0, mv_write_path(mif, "1"));
	ASSERT_EQ(0, write_knob("enabled", "1"));
	collapse_n(t, 1);
	ASSERT_EQ(0, write_knob("enabled", "0"));
	mv_write_path(mif, "0");
	/* Injected, once. */
	EXPECT_EQ(0, mv_read_knob(FAILPAGE, "times"));
	te_fi_reset();
	EXPECT_EQ(alloc0 + 1, read_knob("collapse_failed/alloc"));
	collapsed_after_one_failure(_metadata, t, disabled0);
}

/* A VMM killed with requests in flight: nothing leaks, nothing splats. */
TEST_F_TIMEOUT(kvm, vmm_killed_during_collapse, 300)
{
	long detached0 = read_knob("collapse_failed/detached");
	long objects0 = wait_objects(0);
	int pipefd[2], status;
	char c = 0;
	pid_t pid;

	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct tvm t;
		char r = 'c';

		/*
		 * Tell the parent how far this got: c(reate), s(tart),
		 * w(ait), f(illed), then x (requests out) or t(imeout).
		 */
		if (!tvm_create(&t, MODE_IGNORE, true)) {
			r = 's';
			if (!tvm_start(&t))
				r = tvm_wait(&t, 1, VM_WAIT_S) == 1 ? 'f' : 'w';
		}
		if (write(pipefd[1], &r, 1) != 1 || r != 'f')
			_exit(1);
		r = wait_set(&t.ring->prod, VM_WAIT_S) ? 'x' : 't';
		if (write(pipefd[1], &r, 1) != 1)
			_exit(2);
		pause();
		_exit(0);
	}
	close(pipefd[1]);
	ASSERT_EQ(1, read(pipefd[0], &c, 1));
	ASSERT_EQ('f', c) TH_LOG("child VMM stopped at '%c'", c);
	ASSERT_EQ(0, write_knob("enabled", "1"));
	ASSERT_EQ(1, read(pipefd[0], &c, 1));
	EXPECT_EQ('x', c);
	kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	close(pipefd[0]);
	ASSERT_EQ(0, write_knob("enabled", "0"));
	/* The object went with the dead VMM's files and mm. */
	EXPECT_LE(wait_objects(objects0), objects0);
	EXPECT_EQ(detached0 + 1, read_knob("collapse_failed/detached"));
}

/* Detach, VM close, object close and munmap, in several orders. */
TEST_F(kvm, teardown_in_any_order)
{
	/* d: detach, v: close the VM, o: close the object, m: munmap it */
	static const char orders[][5] = {
		"dvom", "vdmo", "mdvo", "vmdo", "vmo", "ovm", "omv", "mov",
	};
	long objects0 = wait_objects(0);
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(orders); i++) {
		struct tvm t;

		ASSERT_EQ(0, tvm_create(&t, MODE_SERVE, true));
		for (j = 0; orders[i][j]; j++) {
			switch (orders[i][j]) {
			case 'd':
				EXPECT_EQ(0, ioctl(t.obj, THP_ENCVM_IOC_DETACH));
				break;
			case 'v':
				munmap(t.run, t.run_size);
				close(t.vcpu);
				close(t.vm);
				t.run = NULL;
				t.vcpu = t.vm = -1;
				break;
			case 'o':
				close(t.obj);
				t.obj = -1;
				break;
			case 'm':
				munmap(t.map, OBJ_SIZE);
				t.map = NULL;
				break;
			}
		}
		tvm_destroy(&t);
	}
	EXPECT_LE(wait_objects(objects0), objects0);
}

static void *detach_thread(void *arg)
{
	struct tvm *t = arg;
	long ret = ioctl(t->obj, THP_ENCVM_IOC_DETACH) ? -errno : 0;

	return (void *)ret;
}

/*
 * After a failed 2 MiB allocation the daemon sleeps alloc_sleep_millisecs
 * (here a day): not with the object claimed, so a detach meanwhile
 * returns at once instead of waiting out the sleep. (The bound below is
 * a hang check: a day against VM_WAIT_S.)
 */
TEST_F_TIMEOUT(kvm, detach_right_after_alloc_failure, 300)
{
	const char *fa = "/sys/kernel/debug/thp_encvm/fail_alloc/";
	long alloc0 = read_knob("collapse_failed/alloc");
	struct tvm *t = &self->t;
	char path[128];
	pthread_t th;
	void *ret = (void *)1L;
	double end;

	snprintf(path, sizeof(path), "%sprobability", fa);
	if (access(path, W_OK))
		SKIP(return, "no fault injection in this kernel (debug tier only)");
	ASSERT_EQ(0, write_knob("alloc_sleep_millisecs", "86400000"));
	ASSERT_EQ(0, tvm_create(t, MODE_SERVE, true));
	ASSERT_EQ(0, fail_alloc_once(path, sizeof(path)));
	ASSERT_EQ(0, tvm_start(t));
	ASSERT_EQ(1, tvm_wait(t, 1, VM_WAIT_S)) TH_LOG("%s", t->why);
	ASSERT_EQ(0, write_knob("enabled", "1"));
	EXPECT_EQ(alloc0 + 1, wait_counter("collapse_failed/alloc", alloc0 + 1, VM_WAIT_S));
	mv_write_path(path, "0");
	ASSERT_EQ(0, pthread_create(&th, NULL, detach_thread, t));
	end = now_s() + 30;
	while (info_of(t->obj).state == THP_ENCVM_ATTACHED && now_s() < end)
		usleep(20000);
	EXPECT_EQ(THP_ENCVM_DETACHED, info_of(t->obj).state);
	/* A knob write wakes the daemon: the detach returns either way. */
	ASSERT_EQ(0, write_knob("enabled", "0"));
	pthread_join(th, &ret);
	EXPECT_EQ(0, (long)ret);
	ASSERT_EQ(2, tvm_finish(t)) TH_LOG("%s", t->why);
	EXPECT_EQ(0, t->ctl->bad_words);
}

/*
 * A source page someone else still holds a reference on (debugfs
 * hold_ref, standing in for a kvm_vcpu_map() user) does not switch
 * away: it is copied again, and once out of retries the collapse rolls
 * back (collapse_failed/pinned). Without the reference, it collapses.
 */
TEST_F_TIMEOUT(kvm, referenced_page_is_not_switched, 300)
{
	const char *hold = "/sys/kernel/debug/thp_encvm/hold_ref";
	long pinned0 = read_knob("collapse_failed/pinned");
	long wcopied0 = read_knob("collapsed_pages_copied");
	long copied0 = read_knob("pages_copied");
	struct tvm *t = &self->t;

	ASSERT_EQ(0, write_knob("max_copy_retries", "2"));
	ASSERT_EQ(0, tvm_create(t, MODE_SERVE, true));
	ASSERT_EQ(0, tvm_start(t));
	ASSERT_EQ(1, tvm_wait(t, 1, VM_WAIT_S)) TH_LOG("%s", t->why);
	ASSERT_EQ(0, mv_write_path(hold, "42"));
	ASSERT_EQ(0, write_knob("enabled", "1"));
	EXPECT_LE(pinned0 + 1, wait_counter("collapse_failed/pinned", pinned0 + 1, 120));
	ASSERT_EQ(0, mv_write_path(hold, "0"));
	nothing_collapsed(_metadata, t, 1);
	/* The guest copied pages of the windows rolled back: no collapse's. */
	EXPECT_LT(copied0 + 511, read_knob("pages_copied"));
	EXPECT_EQ(wcopied0, read_knob("collapsed_pages_copied"));
}

/*
 * The VMM changes its memslots while the guest copies a window (here it
 * adds one elsewhere): the collapse rolls back before any page switches
 * (collapse_failed/memslot), since the guest may have copied through
 * the old ones. The next collapse of the window goes through.
 */
TEST_F_TIMEOUT(kvm, memslot_change_rolls_collapse_back, 300)
{
	struct kvm_userspace_memory_region extra = {
		.slot = 2, .guest_phys_addr = 2ULL * OBJ_GPA, .memory_size = 2 * MB,
	};
	long memslot0 = read_knob("collapse_failed/memslot");
	long disabled0 = read_knob("collapse_failed/disabled");
	struct tvm *t = &self->t;
	struct thp_encvm_info info;
	void *anon;

	anon = mmap(NULL, 2 * MB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, anon);
	extra.userspace_addr = (unsigned long)anon;
	ASSERT_EQ(0, tvm_create(t, MODE_SERVE, true));
	t->ctl->hold = HOLD_AFTER;
	ASSERT_EQ(0, tvm_start(t));
	ASSERT_EQ(1, tvm_wait(t, 1, VM_WAIT_S)) TH_LOG("%s", t->why);
	ASSERT_EQ(0, write_knob("enabled", "1"));
	ASSERT_EQ(1, wait_set(&t->ctl->held, VM_WAIT_S));
	ASSERT_EQ(0, ioctl(t->vm, KVM_SET_USER_MEMORY_REGION, &extra));
	__atomic_store_n(&t->ctl->hold, 0, __ATOMIC_RELEASE);
	EXPECT_EQ(memslot0 + 1, wait_counter("collapse_failed/memslot", memslot0 + 1, 60));
	/*
	 * The next collapse goes through; that is enough. Turning the
	 * daemon off rolls back the one after it, if it had started.
	 */
	info = collapse_n(t, 1);
	ASSERT_EQ(0, write_knob("enabled", "0"));
	info = info_of(t->obj);
	EXPECT_EQ(info.collapses, info.huge);
	EXPECT_LE(1, info.collapses);
	EXPECT_EQ(1 + read_knob("collapse_failed/disabled") - disabled0, info.aborts);
	EXPECT_EQ(memslot0 + 1, read_knob("collapse_failed/memslot"));
	ASSERT_EQ(2, tvm_finish(t)) TH_LOG("%s", t->why);
	EXPECT_EQ(0, t->ctl->bad_words);
	EXPECT_EQ(PRIVATE_PAGES, t->ctl->checked);
	EXPECT_EQ(0, t->ctl->poison_bad);
	munmap(anon, 2 * MB);
}

/*
 * Every eligible window but @left collapses with the guest's help
 * (ATTACH gets @flags), in one full scan of the object: one wakeup of
 * the daemon (scan_sleep_millisecs a day, pages_to_scan the whole
 * object) passes each window exactly once. Those the memslots do not
 * map at consecutive, 2 MiB aligned guest-physical addresses never
 * collapse: that pass skips them, counted in collapse_failed/@skipped,
 * which rises by exactly @skips, and collapse_failed/@other stays. The
 * guest cannot reach @unreachable of its pages, which it neither fills
 * nor checks.
 */
static void all_but_collapse(struct __test_metadata *_metadata, struct tvm *t,
			     unsigned int flags, unsigned int left, const char *skipped,
			     unsigned int skips, const char *other, unsigned int unreachable)
{
	char skip_name[64], other_name[64], pages[32];
	long skip0, other0, scans0, p2m0, p2m;
	struct thp_encvm_info info;

	snprintf(skip_name, sizeof(skip_name), "collapse_failed/%s", skipped);
	snprintf(other_name, sizeof(other_name), "collapse_failed/%s", other);
	snprintf(pages, sizeof(pages), "%d", OBJ_SIZE / 4096);
	ASSERT_EQ(0, write_knob("pages_to_scan", pages));
	ASSERT_EQ(0, write_knob("scan_sleep_millisecs", "86400000"));
	ASSERT_EQ(0, tvm_create_notify(t, MODE_SERVE, true, NOTIFY_POLL, -1, flags));
	info = info_of(t->obj);
	EXPECT_EQ(THP_ENCVM_ATTACHED, info.state);
	EXPECT_EQ(OBJ_WINDOWS, info.windows);
	EXPECT_EQ(OBJ_ELIGIBLE - left, info.eligible);
	ASSERT_EQ(0, tvm_start(t));
	ASSERT_EQ(1, tvm_wait(t, 1, VM_WAIT_S)) TH_LOG("%s", t->why);
	p2m0 = vm_stat(t->vm, "pages_2m");
	ASSERT_LE(0, p2m0);
	skip0 = read_knob(skip_name);
	other0 = read_knob(other_name);
	scans0 = read_knob("full_scans");
	ASSERT_LE(0, skip0);
	ASSERT_LE(0, other0);
	ASSERT_LE(0, scans0);
	/* The write wakes the daemon: its one scan, then a day's sleep. */
	ASSERT_EQ(0, write_knob("enabled", "1"));
	EXPECT_EQ(scans0 + 1, wait_counter("full_scans", scans0 + 1, VM_WAIT_S))
		TH_LOG("%s", t->why);
	ASSERT_EQ(0, write_knob("enabled", "0"));
	EXPECT_EQ(scans0 + 1, read_knob("full_scans"));
	EXPECT_EQ(skip0 + skips, read_knob(skip_name));
	EXPECT_EQ(other0, read_knob(other_name));
	info = info_of(t->obj);
	EXPECT_EQ(OBJ_ELIGIBLE - left, info.collapses);
	EXPECT_EQ(0, info.aborts);
	EXPECT_EQ(OBJ_ELIGIBLE - left, info.huge);
	EXPECT_EQ(1, ioctl(t->obj, THP_ENCVM_IOC_REMAP));
	ASSERT_EQ(2, tvm_finish(t)) TH_LOG("%s", t->why);
	EXPECT_EQ(0, t->ctl->bad_words);
	EXPECT_EQ(0, t->ctl->bad_bytes);
	EXPECT_EQ(PRIVATE_PAGES - unreachable, t->ctl->checked);
	EXPECT_EQ(0, t->ctl->poison_bad);
	EXPECT_EQ(512 * (OBJ_ELIGIBLE - left), t->ctl->poison_ok);
	EXPECT_EQ(2 * (OBJ_ELIGIBLE - left), t->ctl->dirty_writes);
	/* One 2 MiB entry for each collapsed window, wherever it is. */
	p2m = vm_stat(t->vm, "pages_2m");
	EXPECT_EQ(p2m0 + OBJ_ELIGIBLE - left, p2m)
		TH_LOG("pages_2m %ld before, %ld after", p2m0, p2m);
}

/* ... all but one, skipped once. */
static void all_but_one_collapse(struct __test_metadata *_metadata, struct tvm *t,
				 unsigned int flags, const char *skipped, const char *other,
				 unsigned int unreachable)
{
	all_but_collapse(_metadata, t, flags, 1, skipped, 1, other, unreachable);
}

/*
 * QEMU's layout: one object (one range of host addresses) mapped by two
 * memslots with a hole in guest-physical space between them, as QEMU
 * maps its RAM below the PCI hole and above 4 GiB (TVM_SPLIT: slot 2
 * maps the object from 9 MiB on, 64 MiB higher). Windows on both sides
 * collapse: the guest copies through the addresses of each side, KVM's
 * write tracking reports the guest's writes to pages above the hole
 * (the agent rewrites two sources of each window after copying them),
 * and the agent checks every word of every page. Window 4 straddles the
 * hole: KVM could not map it huge, so it is skipped, each time the scan
 * passes it (collapse_failed/gpa_split), and stays 4K.
 */
TEST_F_TIMEOUT(kvm, two_memslots_with_a_gpa_hole, 300)
{
	all_but_one_collapse(_metadata, &self->t, THP_ENCVM_ATTACH_KVM_WRITE_TRACK | TVM_SPLIT,
			     "gpa_split", "unmapped", 0);
}

/*
 * The same layout, the hole 64 KiB larger (TVM_SKEW): the second
 * memslot's windows (5 and 6) are at consecutive gfns, but off 2 MiB
 * alignment relative to the object, so KVM could never map them with a
 * 2 MiB entry: they are not eligible, and the scan skips them each
 * time it passes (collapse_failed/misaligned), as it skips window 4
 * across the hole (gpa_split); windows 1 to 3 collapse.
 */
TEST_F_TIMEOUT(kvm, second_memslot_off_2m_alignment_is_not_collapsed, 300)
{
	long split0 = read_knob("collapse_failed/gpa_split");

	all_but_collapse(_metadata, &self->t,
			 THP_ENCVM_ATTACH_KVM_WRITE_TRACK | TVM_SPLIT | TVM_SKEW, 3,
			 "misaligned", 2, "unmapped", 0);
	EXPECT_EQ(split0 + 1, read_knob("collapse_failed/gpa_split"));
}

/*
 * One memslot split in two at consecutive gfns (TVM_SPLIT | TVM_EDGE:
 * slot 2 goes on where slot 1 ends, SPLIT_PAGE, 1 MiB into window 4),
 * as a VMM that registers its RAM in pieces does. Every page is where
 * one memslot would put it, but KVM never maps a 2 MiB entry across a
 * memslot edge (its disallow_lpage for the two partial 2 MiB ranges),
 * so window 4 can never be huge: not eligible, skipped by the pass
 * (collapse_failed/misaligned, exactly once), never gpa_split; the
 * other five collapse, each one more 2 MiB entry in KVM (pages_2m).
 * Under KVM write tracking, whose collapses cost the debug tier less
 * than the host mapping's: the edge check is the same for both.
 */
TEST_F_TIMEOUT(kvm, memslot_edge_inside_a_window_is_not_collapsed, 300)
{
	all_but_one_collapse(_metadata, &self->t,
			     THP_ENCVM_ATTACH_KVM_WRITE_TRACK | TVM_SPLIT | TVM_EDGE,
			     "misaligned", "gpa_split", 0);
}

/*
 * Pages no memslot maps, as QEMU's pc machine leaves 0xc0000-0xfffff of
 * its RAM (TVM_GAP: two memslots around 16 pages of window 3), with the
 * default write tracking. ATTACH accepts them; the guest cannot reach
 * them, so the window that holds them is not eligible and is never
 * collapsed: the scan skips it each time it passes
 * (collapse_failed/unmapped), also after every other window is
 * collapsed, with the guest's help as usual.
 */
TEST_F_TIMEOUT(kvm, unmapped_pages_keep_their_window_4k, 300)
{
	all_but_one_collapse(_metadata, &self->t, TVM_GAP, "unmapped", "gpa_split", GAP_PAGES);
}

/*
 * KVM drops its write tracking of the object (its memslot is deleted,
 * and created again at the same place) after the daemon's lock-free
 * look at the ring found track_lost clear, and before it completes the
 * requests it found done: the check of track_lost again under the
 * object's lock in complete_req() rolls the collapse back, counted as
 * "detached", and no page switches. debugfs hold_complete stops the
 * daemon right there. The agent, woken only by the irqfd and quiet,
 * sleeps in HLT meanwhile, so it never reaches the memslot while it is
 * gone. (The memslot generation check after it would catch this case
 * too, as "memslot"; the counters tell which one did.)
 */
TEST_F_TIMEOUT(kvm, tracking_lost_before_completion_rolls_back, 300)
{
	struct kvm_userspace_memory_region slot = { .slot = 1, .guest_phys_addr = OBJ_GPA };
	long detached0 = read_knob("collapse_failed/detached");
	long memslot0 = read_knob("collapse_failed/memslot");
	struct tvm *t = &self->t;
	struct thp_encvm_info info;
	double end;
	int vstats;

	ASSERT_EQ(0, tvm_create_notify(t, MODE_SERVE, true, NOTIFY_IRQ, -1,
				       THP_ENCVM_ATTACH_KVM_WRITE_TRACK));
	t->ctl->quiet = 1;
	vstats = ioctl(t->vcpu, KVM_GET_STATS_FD, NULL);
	ASSERT_LE(0, vstats);
	ASSERT_EQ(0, tvm_start(t));
	ASSERT_EQ(1, tvm_wait(t, 1, VM_WAIT_S)) TH_LOG("%s", t->why);
	ASSERT_EQ(0, mv_write_path(DEBUGFS "hold_complete", "1"));
	ASSERT_EQ(0, write_knob("enabled", "1"));
	end = now_s() + VM_WAIT_S;
	while (mv_read_knob(DEBUGFS, "complete_held") != 1 && now_s() < end)
		usleep(10000);
	ASSERT_EQ(1, mv_read_knob(DEBUGFS, "complete_held"));
	/* The agent served the request and sleeps: KVM blocks its vCPU. */
	while (stats_read(vstats, "blocking") != 1 && now_s() < end)
		usleep(10000);
	ASSERT_EQ(1, stats_read(vstats, "blocking"));
	slot.userspace_addr = (unsigned long)t->map;
	ASSERT_EQ(0, ioctl(t->vm, KVM_SET_USER_MEMORY_REGION, &slot));
	slot.memory_size = OBJ_SIZE;
	ASSERT_EQ(0, ioctl(t->vm, KVM_SET_USER_MEMORY_REGION, &slot));
	ASSERT_EQ(0, mv_write_path(DEBUGFS "hold_complete", "0"));
	EXPECT_EQ(detached0 + 1, wait_counter("collapse_failed/detached", detached0 + 1, 60));
	ASSERT_EQ(0, write_knob("enabled", "0"));
	close(vstats);
	EXPECT_EQ(memslot0, read_knob("collapse_failed/memslot"));
	info = info_of(t->obj);
	EXPECT_LE(1, info.aborts);
	EXPECT_EQ(info.collapses, info.huge);
	__atomic_store_n(&t->ctl->quiet, 0, __ATOMIC_RELEASE);
	ASSERT_EQ(2, tvm_finish(t)) TH_LOG("%s", t->why);
	EXPECT_EQ(0, t->ctl->bad_words);
	EXPECT_EQ(PRIVATE_PAGES, t->ctl->checked);
	EXPECT_EQ(0, t->ctl->poison_bad);
}

/*
 * Read (or with @write, store) a byte at @p in a child, which inherits
 * the parent's page table entries of the object's (shared) mapping: 1
 * if that died of SIGBUS, 0 if it got through, -1 otherwise.
 */
static int sigbus_on(char *p, bool write)
{
	int status;
	pid_t pid = fork();

	if (!pid) {
		if (write)
			__atomic_store_n(p, (char)0x5a, __ATOMIC_RELAXED);
		else
			(void)__atomic_load_n(p, __ATOMIC_RELAXED);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS)
		return 1;
	return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -1;
}

static int sigbus_on_read(char *p)
{
	return sigbus_on(p, false);
}

static int sigbus_on_write(char *p)
{
	return sigbus_on(p, true);
}

/* The kernel stores 32 bytes at @p (read(2) into it): 0, or -errno. */
static int kernel_store_at(char *p)
{
	char junk[32];
	int fd[2], ret;

	memset(junk, 0x5a, sizeof(junk));
	if (pipe(fd))
		return -errno;
	ret = write(fd[1], junk, sizeof(junk)) == sizeof(junk) ? 0 : -EIO;
	if (!ret && read(fd[0], p, sizeof(junk)) != sizeof(junk))
		ret = -errno;
	close(fd[0]);
	close(fd[1]);
	return ret;
}

/* The kernel loads 32 bytes from @p (write(2) from it): 0, or -errno. */
static int kernel_load_at(char *p)
{
	int fd[2], ret = 0;

	if (pipe(fd))
		return -errno;
	if (write(fd[1], p, 32) != 32)
		ret = -errno;
	close(fd[0]);
	close(fd[1]);
	return ret;
}

/* process_vm_writev() of 32 bytes to @p in this process: 0, or -errno. */
static int vm_writev_at(char *p)
{
	char junk[32];
	struct iovec local = { junk, sizeof(junk) }, remote = { p, sizeof(junk) };

	memset(junk, 0x5a, sizeof(junk));
	return process_vm_writev(getpid(), &local, 1, &remote, 1, 0) == sizeof(junk) ? 0 : -errno;
}

/* pwrite() of 32 bytes to @p through /proc/self/mem: 0, or -errno. */
static int proc_mem_write_at(char *p)
{
	char junk[32];
	int fd = open("/proc/self/mem", O_RDWR | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	memset(junk, 0x5a, sizeof(junk));
	if (pwrite(fd, junk, sizeof(junk), (off_t)(unsigned long)p) != sizeof(junk))
		ret = -errno;
	close(fd);
	return ret;
}

/*
 * Before the guest runs, the VMM reaches the loaded secret neither
 * through a system call that reads it (write(2) from it: a kernel-mode
 * fault, not KVM's) nor one that writes it: read(2) into it, and GUP's
 * process_vm_writev() and /proc/self/mem (FOLL_FORCE), which never map
 * a VM_PFNMAP page.
 */
static void secret_is_out_of_reach(struct __test_metadata *_metadata, struct tvm *t)
{
	char *p = t->map + OBJ_SECRET;
	int ret;

	EXPECT_EQ(-EFAULT, kernel_load_at(p));
	EXPECT_EQ(-EFAULT, kernel_store_at(p));
	/* EFAULT; the debug kernel has no CROSS_MEMORY_ATTACH at all. */
	ret = vm_writev_at(p);
	EXPECT_GT(0, ret);
	if (ret != -EFAULT)
		TH_LOG("process_vm_writev: %s", strerror(-ret));
	EXPECT_GT(0, proc_mem_write_at(p));
	/* A vCPU ioctl loads the vCPU, but does not run the guest. */
	EXPECT_EQ(-1, ioctl(t->vcpu, KVM_GET_MSRS, p));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(1, sigbus_on_read(p));
}

/*
 * The launch secret, once the guest has its key (KVM mapped the page
 * for it): only the firmware writes it. The VMM's store and the
 * kernel's store for a system call both fail, and the object still
 * holds its key.
 */
static void secret_is_read_only(struct __test_metadata *_metadata, struct tvm *t)
{
	EXPECT_EQ(1, sigbus_on_write(t->map + OBJ_SECRET));
	EXPECT_EQ(-EFAULT, kernel_store_at(t->map + OBJ_SECRET));
	EXPECT_EQ(THP_ENCVM_ENC_ENCRYPTED | THP_ENCVM_ENC_KEY, info_of(t->obj).enc_state);
}

/*
 * Words of the guest's private pages that the VMM reads, through its
 * mapping, as the agent's plaintext; the OBJ_SECRET page, a data page
 * of a plaintext object, is left out.
 */
static unsigned long plaintext_words(struct tvm *t)
{
	const unsigned int *ver = (const unsigned int *)((char *)t->slot0 + AGENT_VER);
	unsigned long n = 0;
	unsigned int p, k;

	for (p = OBJ_SHARED / 4096; p < OBJ_SIZE / 4096; p++) {
		const unsigned int *w = (const unsigned int *)(t->map + (size_t)p * 4096);

		if (p == OBJ_SECRET / 4096 || p * 4096ULL - OBJ_STAGING < 2 << 20)
			continue;
		for (k = 0; k < 1024; k++)
			n += w[k] == agent_word(p, k, ver[p]);
	}
	return n;
}

/* Words of the launch image (TVM_LAUNCH) that the VMM reads as written. */
static unsigned long launch_words(struct tvm *t)
{
	unsigned long n = 0;
	unsigned int p, k;

	for (p = LAUNCH_PAGE; p < LAUNCH_PAGE + LAUNCH_PAGES; p++)
		for (k = 0; k < 1024; k++)
			n += ((const unsigned int *)(t->map + p * 4096UL))[k] ==
			     agent_word(p, k, 0);
	return n;
}

/*
 * The agent's port I/O (ctl.pio): from the private page, rep outsb
 * delivers ciphertext if @enc (no word of the plaintext), plaintext if
 * not; through the exclusion range it delivers the plaintext, which
 * THP_ENCVM_IOC_XFER reads there too, while it refuses the private
 * page; rep insb and the XFER reply reach the guest.
 */
static void check_pio(struct __test_metadata *_metadata, struct tvm *t, bool enc)
{
	unsigned int want[PIO_LEN / 4], k, same = 0;
	double end = now_s() + VM_WAIT_S;

	while (__atomic_load_n(&t->pio_ins, __ATOMIC_ACQUIRE) < PIO_LEN && now_s() < end)
		usleep(10000);
	ASSERT_EQ(PIO_LEN, t->pio_ins);
	ASSERT_EQ(2 * PIO_LEN, t->pio_outs);
	for (k = 0; k < PIO_LEN / 4; k++) {
		want[k] = agent_word(PIO_PAGE, k, 1);
		same += ((unsigned int *)t->pio_out[0])[k] == want[k];
	}
	EXPECT_EQ(enc ? 0 : PIO_LEN / 4, same);
	EXPECT_EQ(0, memcmp(t->pio_out[1], want, PIO_LEN));
	EXPECT_EQ(0, t->pio_xfer_err[0]);
	EXPECT_EQ(0, memcmp(t->pio_xfer, want, PIO_LEN));
	EXPECT_EQ(EACCES, t->pio_xfer_err[1]);
}

/*
 * An encrypted object: ATTACH launches it with a key the guest (its
 * agent) reads in the launch-secret page, which only the firmware
 * writes; the VMM's user fault on the secret page fails, and so do its
 * writes there once KVM has mapped it. ATTACH encrypts in place the
 * launch image the VMM wrote before: the VMM no longer reads it, the
 * guest decrypts it. No word of private memory the VMM reads is the
 * guest's plaintext, before or after the collapses. The guest's
 * copies decrypt with each source frame's tweak and encrypt with the
 * new frame's: windows collapse and every byte verifies; the daemon,
 * turned off in the middle of a collapse, leaves none uncounted. DETACH
 * wipes the key (the secret page reads zero, the state has no key),
 * and the next ATTACH loads another.
 */
TEST_F_TIMEOUT(kvm, encrypted_guest_copies_windows, 600)
{
	struct tvm *t = &self->t;
	struct thp_encvm_attach a = { .eventfd = -1, .gpa = OBJ_GPA };
	long disabled0 = read_knob("collapse_failed/disabled");
	long alloc0 = read_knob("collapse_failed/alloc"), unposted;
	const struct thp_encvm_secret *s;
	struct thp_encvm_info info;
	unsigned int k, nonzero = 0, held;
	double end;

	ASSERT_EQ(0, tvm_create_notify(t, MODE_SERVE, true, NOTIFY_POLL, -1,
				       TVM_ENCRYPTED | TVM_LAUNCH));
	EXPECT_EQ(THP_ENCVM_ENC_ENCRYPTED | THP_ENCVM_ENC_KEY, info_of(t->obj).enc_state);
	EXPECT_EQ(1, sigbus_on_read(t->map + OBJ_SECRET));
	secret_is_out_of_reach(_metadata, t);
	/* The launch image the VMM wrote is encrypted in place by ATTACH. */
	EXPECT_EQ(0, launch_words(t));
	t->ctl->pio = 1;
	ASSERT_EQ(0, tvm_start(t));
	ASSERT_EQ(1, tvm_wait(t, 1, VM_WAIT_S)) TH_LOG("%s", t->why);
	/* ... and the guest decrypts it with its key, word for word. */
	EXPECT_EQ(LAUNCH_PAGES, t->ctl->launch_ok);
	EXPECT_EQ(0, t->ctl->launch_bad);
	check_pio(_metadata, t, true);
	secret_is_read_only(_metadata, t);
	EXPECT_EQ(0, plaintext_words(t));
	/*
	 * Two windows tell as much as six, in a third of the time. Then
	 * the guest is held before its next request, which belongs to a
	 * collapse in progress, and the daemon is turned off: the write
	 * returns once that collapse rolled back (disabled). Every
	 * collapse the daemon started posted exactly one whole-window
	 * request, which the guest took (copied, or found cancelled), and
	 * counts exactly once: as collapsed or as rolled back.
	 */
	ASSERT_EQ(0, write_knob("enabled", "1"));
	collapse_n(t, 2);
	__atomic_store_n(&t->ctl->hold, HOLD_BEFORE, __ATOMIC_RELEASE);
	held = wait_set(&t->ctl->held, VM_WAIT_S);
	ASSERT_EQ(0, write_knob("enabled", "0"));
	info = info_of(t->obj);
	EXPECT_EQ(1, held);
	EXPECT_EQ(disabled0 + 1, read_knob("collapse_failed/disabled"));
	/* The guest goes on and takes every request posted. */
	__atomic_store_n(&t->ctl->hold, 0, __ATOMIC_RELEASE);
	end = now_s() + VM_WAIT_S;
	while (__atomic_load_n(&t->ring->cons, __ATOMIC_ACQUIRE) != t->ring->prod &&
	       now_s() < end)
		usleep(10000);
	EXPECT_EQ(t->ring->prod, t->ring->cons);
	ASSERT_EQ(2, tvm_finish(t)) TH_LOG("%s", t->why);
	unposted = read_knob("collapse_failed/alloc") - alloc0;
	EXPECT_LE(2, info.collapses);
	EXPECT_EQ(info.collapses, info.huge);
	EXPECT_EQ(1 + unposted, info.aborts);
	EXPECT_EQ(info.collapses + info.aborts, t->ctl->windows + unposted)
		TH_LOG("%llu collapsed, %llu rolled back, %u windows asked for",
		       (unsigned long long)info.collapses,
		       (unsigned long long)info.aborts, t->ctl->windows);
	EXPECT_EQ(info.collapses, info_of(t->obj).collapses);
	EXPECT_EQ(info.aborts, info_of(t->obj).aborts);
	EXPECT_LE(1, t->ctl->cancelled);
	EXPECT_EQ(0, plaintext_words(t));
	EXPECT_EQ(0, t->ctl->bad_words);
	EXPECT_EQ(PRIVATE_PAGES - 1, t->ctl->checked);
	EXPECT_EQ(0, t->ctl->poison_bad);
	/*
	 * Every window collapsed was copied whole: 512 verified pages and
	 * 2 dirty writes; the one rolled back, in part or not at all.
	 */
	EXPECT_LE(512 * info.collapses, t->ctl->poison_ok);
	EXPECT_GE(512 * t->ctl->windows, t->ctl->poison_ok);
	EXPECT_LE(2 * info.collapses, t->ctl->dirty_writes);
	EXPECT_GE(2 * t->ctl->windows, t->ctl->dirty_writes);
	EXPECT_EQ(1, t->ctl->pio_in_ok);
	TH_LOG("%u accesses redone for changed frames", t->ctl->tweak_retries);

	ASSERT_EQ(0, ioctl(t->obj, THP_ENCVM_IOC_DETACH));
	EXPECT_EQ(THP_ENCVM_ENC_ENCRYPTED, info_of(t->obj).enc_state);
	ASSERT_EQ(0, sigbus_on_read(t->map + OBJ_SECRET));
	s = (const struct thp_encvm_secret *)(t->map + OBJ_SECRET);
	for (k = 0; k < 4096; k++)
		nonzero += ((const unsigned char *)s)[k] != 0;
	EXPECT_EQ(0, nonzero);
	EXPECT_EQ(0, plaintext_words(t));
	/* A new launch: a key again, which the VMM cannot fault in. */
	a.vm_fd = t->vm;
	ASSERT_EQ(0, ioctl(t->obj, THP_ENCVM_IOC_ATTACH, &a));
	EXPECT_EQ(THP_ENCVM_ENC_ENCRYPTED | THP_ENCVM_ENC_KEY, info_of(t->obj).enc_state);
	EXPECT_EQ(1, sigbus_on_read(t->map + OBJ_SECRET));
}

/*
 * Fault injection (debugfs host_copy): the daemon copies windows itself,
 * frame to frame, and completes the requests for the guest, which copies
 * nothing. On a plaintext object nothing notices, and the VMM reads the
 * guest's data: the model without encryption has no teeth. On an
 * encrypted object the ciphertext, bound to the old frames, decrypts to
 * garbage in the new ones, and the agent's verification fails on every
 * page of every window so collapsed.
 */
static void host_copies(struct __test_metadata *_metadata, struct tvm *t,
			unsigned int flags)
{
	const char *hc = "/sys/kernel/debug/thp_encvm/host_copy";
	bool enc = flags & TVM_ENCRYPTED;
	struct thp_encvm_info info;
	double end;

	ASSERT_EQ(0, tvm_create_notify(t, MODE_SERVE, true, NOTIFY_POLL, -1, flags));
	t->ctl->pio = !enc;
	ASSERT_EQ(0, tvm_start(t));
	ASSERT_EQ(1, tvm_wait(t, 1, VM_WAIT_S)) TH_LOG("%s", t->why);
	if (!enc)
		check_pio(_metadata, t, false);
	ASSERT_EQ(0, mv_write_path(hc, "1"));
	ASSERT_EQ(0, write_knob("enabled", "1"));
	end = now_s() + VM_WAIT_S;
	while (info_of(t->obj).collapses < 1 && now_s() < end)
		usleep(20000);
	/*
	 * Disabled, the daemon stops after the window it works on, which
	 * the host copies too (host_copy stays set until the teardown).
	 */
	ASSERT_EQ(0, write_knob("enabled", "0"));
	do {
		info = info_of(t->obj);
		usleep(300000);
	} while (info.collapses + info.aborts !=
		 info_of(t->obj).collapses + info_of(t->obj).aborts);
	ASSERT_EQ(2, tvm_finish(t)) TH_LOG("%s", t->why);
	ASSERT_LE(1, info.collapses);
	EXPECT_EQ(info.collapses, info.huge);
	/* The agent is done: nothing changes the pages under the VMM's eyes. */
	if (enc)
		EXPECT_EQ(0, plaintext_words(t));
	if (!enc)
		EXPECT_EQ((PRIVATE_PAGES - 1) * 1024UL, plaintext_words(t));
	EXPECT_EQ(0, t->ctl->pages);	/* the guest copied nothing */
	EXPECT_LE(enc ? info.collapses * 512 * 1000 : 0, t->ctl->bad_words);
	EXPECT_TRUE(enc || !t->ctl->bad_words);
	TH_LOG("%llu windows copied by the host, %u words failed verification",
	       (unsigned long long)info.collapses, t->ctl->bad_words);
}

TEST_F_TIMEOUT(kvm, host_copy_goes_unnoticed_in_plaintext, 300)
{
	host_copies(_metadata, &self->t, 0);
}

TEST_F_TIMEOUT(kvm, host_copy_fails_encrypted_verification, 300)
{
	host_copies(_metadata, &self->t, TVM_ENCRYPTED);
}

static int displace(struct tvm *t, unsigned long long off, unsigned int event, int node)
{
	struct thp_encvm_displace d = { .offset = off, .event = event, .node = node };

	return ioctl(t->obj, THP_ENCVM_IOC_DISPLACE, &d) ? -errno : 0;
}

#define WIN(w)	((unsigned long long)(w) * 2 * MB)

/*
 * An object without SCATTER is one 2 MiB block a window, huge from the
 * start. Events move single pages out (models of a NUMA migration, a
 * private -> shared -> private conversion, a soft-offline), which the
 * firmware model re-encrypts for their new frames; their home frames
 * stay reserved. A collapse then has the guest copy only the displaced
 * pages back home (1 and 16 pages), or, where a home frame was lost,
 * the whole window into a fresh block (512): every window is huge
 * again, with every byte intact.
 */
TEST_F_TIMEOUT(kvm, displaced_pages_copied_back_in_place, 300)
{
	long inplace0 = read_knob("windows_in_place"), fresh0 = read_knob("windows_fresh");
	long frames0 = mv_read_knob(DEBUGFS, "frames"), objects0 = read_knob("objects");
	struct tvm *t = &self->t;
	struct thp_encvm_info info;
	long copied0, retries0, wcopied0;
	unsigned int i;
	double end;

	ASSERT_LE(0, frames0);
	ASSERT_EQ(0, tvm_create_notify(t, MODE_SERVE, true, NOTIFY_POLL, -1,
				       TVM_ENCRYPTED | TVM_BLOCKS));
	EXPECT_EQ(frames0 + OBJ_SIZE / 4096, mv_read_knob(DEBUGFS, "frames"));
	if (info_of(t->obj).huge != OBJ_ELIGIBLE)
		SKIP(return, "no free 2 MiB blocks for the object");
	ASSERT_EQ(0, tvm_start(t));
	ASSERT_EQ(1, tvm_wait(t, 1, VM_WAIT_S)) TH_LOG("%s", t->why);
	/* Its window is one 2 MiB block: still one read-only 4 KiB page. */
	secret_is_read_only(_metadata, t);
	EXPECT_EQ(0, displace(t, WIN(1) + 5 * 4096, THP_ENCVM_DISPLACE_MIGRATE, 0));
	for (i = 0; i < 16; i++)
		EXPECT_EQ(0, displace(t, WIN(2) + (100 + i) * 4096, THP_ENCVM_DISPLACE_CONVERT, -1));
	EXPECT_EQ(0, displace(t, WIN(3) + 7 * 4096, THP_ENCVM_DISPLACE_SOFT_OFFLINE, -1));
	/* Bad requests: shared, staging and secret pages, bad fields. */
	EXPECT_EQ(-EINVAL, displace(t, 4096, THP_ENCVM_DISPLACE_CONVERT, -1));
	EXPECT_EQ(-EINVAL, displace(t, OBJ_STAGING, THP_ENCVM_DISPLACE_CONVERT, -1));
	EXPECT_EQ(-EINVAL, displace(t, OBJ_SECRET, THP_ENCVM_DISPLACE_CONVERT, -1));
	EXPECT_EQ(-EINVAL, displace(t, OBJ_SIZE, THP_ENCVM_DISPLACE_CONVERT, -1));
	EXPECT_EQ(-EINVAL, displace(t, WIN(1) + 1, THP_ENCVM_DISPLACE_CONVERT, -1));
	EXPECT_EQ(-EINVAL, displace(t, WIN(1), 3, -1));
	EXPECT_EQ(-EINVAL, displace(t, WIN(1), THP_ENCVM_DISPLACE_MIGRATE, -1));
	EXPECT_EQ(-EINVAL, displace(t, WIN(1), THP_ENCVM_DISPLACE_MIGRATE, 4096));
	EXPECT_EQ(-EINVAL, displace(t, WIN(1), THP_ENCVM_DISPLACE_CONVERT, 0));
	info = info_of(t->obj);
	EXPECT_EQ(OBJ_ELIGIBLE - 3, info.huge);
	EXPECT_EQ(18, info.displaced);
	/* Each displaced page holds a new frame, and its home one. */
	EXPECT_EQ(frames0 + OBJ_SIZE / 4096 + 18, mv_read_knob(DEBUGFS, "frames"));

	wcopied0 = read_knob("collapsed_pages_copied");
	copied0 = read_knob("pages_copied");
	retries0 = read_knob("dirty_retries");
	ASSERT_EQ(0, write_knob("enabled", "1"));
	end = now_s() + VM_WAIT_S;
	while (info_of(t->obj).collapses < 3 && now_s() < end &&
	       __atomic_load_n(&t->state, __ATOMIC_ACQUIRE) >= 0)
		usleep(50000);
	ASSERT_EQ(0, write_knob("enabled", "0"));
	info = info_of(t->obj);
	EXPECT_EQ(OBJ_ELIGIBLE, info.huge);
	EXPECT_EQ(3, info.collapses);
	EXPECT_EQ(0, info.aborts);
	EXPECT_EQ(0, info.displaced);
	EXPECT_EQ(inplace0 + 2, read_knob("windows_in_place"));
	EXPECT_EQ(fresh0 + 1, read_knob("windows_fresh"));
	/* Copies that stuck: the displaced pages, and the fresh window's. */
	EXPECT_EQ(1 + 16 + 512, read_knob("pages_copied") - copied0 -
				(read_knob("dirty_retries") - retries0));
	EXPECT_EQ(1 + 16 + 512, read_knob("collapsed_pages_copied") - wcopied0);
	/*
	 * Home again, or in a new home: the fresh window's old block went
	 * whole, the soft-offlined page's reserved frame with it.
	 */
	EXPECT_EQ(frames0 + OBJ_SIZE / 4096, mv_read_knob(DEBUGFS, "frames"));
	ASSERT_EQ(2, tvm_finish(t)) TH_LOG("%s", t->why);
	EXPECT_EQ(0, t->ctl->bad_words);
	EXPECT_EQ(PRIVATE_PAGES - 1, t->ctl->checked);
	EXPECT_EQ(0, t->ctl->poison_bad);
	/* Every frame goes with the object. */
	tvm_destroy(t);
	memset(t, 0, sizeof(*t));
	EXPECT_EQ(objects0, wait_objects(objects0));
	EXPECT_EQ(frames0, mv_read_knob(DEBUGFS, "frames"));
}

/*
 * A conversion the guest makes itself: after filling its pages it turns
 * one private page shared and back (KVM_HC_MAP_GPA_RANGE, twice), as an
 * SEV guest does for a bounce buffer. KVM passes both to the VMM
 * (KVM_CAP_EXIT_HYPERCALL), which on the way back to private moves the
 * page out of its 2 MiB block (DISPLACE, CONVERT). The collapse then
 * copies that one page back in place, and the guest's data is intact.
 *
 * Nothing is prefaulted here (fault_in_guest): the guest's first touch
 * of each encrypted page, a store through its accessors, is a nested
 * page fault in KVM_RUN that KVM takes to the object's fault handler,
 * as a real guest's is. Window 0 holds the secret page, so it is
 * mapped page by page (te_fault()); the others, one 2 MiB block each,
 * with one PMD. So KVM_RUN takes at least one fault for each private
 * page of window 0 and one for each other window before the guest has
 * filled them (vCPU statistic pf_taken, which KVM_PRE_FAULT_MEMORY
 * does not count: prefaulted, the guest would take about none).
 */
TEST_F_TIMEOUT(kvm, guest_conversion_is_copied_back_in_place, 300)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_EXIT_HYPERCALL, .args = { 1ULL << KVM_HC_MAP_GPA_RANGE },
	};
	/* The private pages of window 0, the secret among them. */
	const long win0 = 512 - OBJ_SHARED / 4096;
	long inplace0 = read_knob("windows_in_place"), wcopied0, pf0, pf;
	const unsigned int page = 2 * 512 + 33;
	struct tvm *t = &self->t;
	struct thp_encvm_info info;
	int vstats;

	ASSERT_EQ(0, tvm_create_notify(t, MODE_SERVE, true, NOTIFY_POLL, -1,
				       TVM_ENCRYPTED | TVM_BLOCKS));
	if (info_of(t->obj).huge != OBJ_ELIGIBLE)
		SKIP(return, "no free 2 MiB blocks for the object");
	if (ioctl(t->vm, KVM_ENABLE_CAP, &cap))
		SKIP(return, "no KVM_CAP_EXIT_HYPERCALL for KVM_HC_MAP_GPA_RANGE: %s",
		     strerror(errno));
	t->ctl->convert_page = page;
	t->fault_in_guest = true;
	/* Taken before KVM_RUN, which vCPU ioctls would wait for. */
	vstats = ioctl(t->vcpu, KVM_GET_STATS_FD, NULL);
	ASSERT_LE(0, vstats);
	pf0 = stats_read(vstats, "pf_taken");
	ASSERT_LE(0, pf0);
	ASSERT_EQ(0, tvm_start(t));
	ASSERT_EQ(1, tvm_wait(t, 1, VM_WAIT_S)) TH_LOG("%s", t->why);
	pf = stats_read(vstats, "pf_taken") - pf0;
	close(vstats);
	TH_LOG("%ld KVM page faults while the guest filled its memory", pf);
	EXPECT_LE(win0 + OBJ_ELIGIBLE, pf);
	EXPECT_EQ(2, t->ctl->converted);
	EXPECT_EQ(1, __atomic_load_n(&t->displaced, __ATOMIC_RELAXED));
	info = info_of(t->obj);
	EXPECT_EQ(1, info.displaced);
	EXPECT_EQ(OBJ_ELIGIBLE - 1, info.huge);
	wcopied0 = read_knob("collapsed_pages_copied");
	ASSERT_EQ(0, write_knob("enabled", "1"));
	info = collapse_n(t, 1);
	ASSERT_EQ(0, write_knob("enabled", "0"));
	EXPECT_EQ(1, info.collapses);
	EXPECT_EQ(0, info.displaced);
	EXPECT_EQ(OBJ_ELIGIBLE, info.huge);
	EXPECT_EQ(inplace0 + 1, read_knob("windows_in_place"));
	EXPECT_EQ(1, read_knob("collapsed_pages_copied") - wcopied0);
	ASSERT_EQ(2, tvm_finish(t)) TH_LOG("%s", t->why);
	EXPECT_EQ(0, t->ctl->bad_words);
	EXPECT_EQ(0, t->ctl->poison_bad);
}

/*
 * The guest rings its doorbell (PORT_DOORBELL, a KVM_IOEVENTFD of the
 * eventfd ATTACH got) when it has completed the requests posted: the
 * daemon, which with a doorbell looks at the ring on its own only every
 * 10 ms, learns of each completion from it. Counted, not timed:
 * completions_doorbell counts the completions found in a look that the
 * doorbell brought, completions_looked those the daemon's own looks
 * found. One displaced page a window: one request each, as in the bench.
 */
TEST_F_TIMEOUT(kvm, doorbell_wakes_daemon_before_its_look, 300)
{
	long bell0 = read_knob("completions_doorbell"), look0 = read_knob("completions_looked");
	struct tvm *t = &self->t;
	struct thp_encvm_info info;
	long bell, look;
	unsigned int w;
	double end;

	ASSERT_EQ(0, tvm_create_notify(t, MODE_SERVE, true, NOTIFY_IRQ, -1,
				       TVM_BLOCKS | THP_ENCVM_ATTACH_DOORBELL));
	if (info_of(t->obj).huge != OBJ_ELIGIBLE)
		SKIP(return, "no free 2 MiB blocks for the object");
	EXPECT_EQ(THP_ENCVM_ATTACH_DOORBELL, info_of(t->obj).attach_flags);
	ASSERT_EQ(0, tvm_start(t));
	ASSERT_EQ(1, tvm_wait(t, 1, VM_WAIT_S)) TH_LOG("%s", t->why);
	/* Quiet: no background rewrite makes a copy go again. */
	t->ctl->quiet = 1;
	for (w = 1; w <= OBJ_ELIGIBLE; w++)
		ASSERT_EQ(0, displace(t, WIN(w) + 9 * 4096, THP_ENCVM_DISPLACE_CONVERT, -1));
	ASSERT_EQ(0, write_knob("enabled", "1"));
	end = now_s() + VM_WAIT_S;
	while (info_of(t->obj).collapses < OBJ_ELIGIBLE && now_s() < end &&
	       __atomic_load_n(&t->state, __ATOMIC_ACQUIRE) >= 0)
		usleep(50000);
	ASSERT_EQ(0, write_knob("enabled", "0"));
	info = info_of(t->obj);
	EXPECT_EQ(OBJ_ELIGIBLE, info.collapses);
	EXPECT_EQ(0, info.aborts);
	bell = read_knob("completions_doorbell") - bell0;
	look = read_knob("completions_looked") - look0;
	/* Every request completed was seen once, one way or the other. */
	EXPECT_EQ(t->ctl->requests, bell + look);
	EXPECT_LE(OBJ_ELIGIBLE, bell + look);
	EXPECT_LE(1, t->ctl->rings);
	/*
	 * The doorbell rings within a guest exit of the completion; a look
	 * of the daemon's own gets there first only if it falls in between,
	 * which a loaded host makes likelier (the vCPU thread preempted
	 * right there): most of them in quiet runs (5 and 6 of 6), at least
	 * one always. Without the doorbell's wakeup, none.
	 */
	EXPECT_LE(1, bell) TH_LOG("%ld completions seen through the doorbell, %ld by looking",
				  bell, look);
	ASSERT_EQ(2, tvm_finish(t)) TH_LOG("%s", t->why);
	EXPECT_EQ(0, t->ctl->bad_words);
	TH_LOG("%ld completions seen through the doorbell, %ld by looking, %u rings",
	       bell, look, t->ctl->rings);
}

/*
 * poll(2) on full_scans wakes up when the daemon completes a full scan
 * (make bench waits so, rather than polling the counter from the VM's
 * CPUs that the daemon and the guest need).
 */
TEST_F_TIMEOUT(kvm, full_scans_wakes_poll, 120)
{
	struct pollfd p = { .events = POLLPRI };
	char buf[32] = "";
	long before;

	ASSERT_EQ(0, tvm_create_notify(&self->t, MODE_SERVE, true, NOTIFY_POLL, -1,
				       TVM_BLOCKS));
	/* Nothing to collapse, so no scan waits for the guest. */
	if (info_of(self->t.obj).huge != OBJ_ELIGIBLE)
		SKIP(return, "no free 2 MiB blocks for the object");
	/* No scan but the one enabling starts. */
	ASSERT_EQ(0, write_knob("scan_sleep_millisecs", "600000"));
	p.fd = open(SYSFS "full_scans", O_RDONLY);
	ASSERT_LE(0, p.fd);
	/* Reading it arms the notification. */
	ASSERT_LT(0, read(p.fd, buf, sizeof(buf) - 1));
	before = atol(buf);
	EXPECT_EQ(0, poll(&p, 1, 0));
	ASSERT_EQ(0, write_knob("enabled", "1"));
	EXPECT_EQ(1, poll(&p, 1, 20000));
	EXPECT_TRUE(p.revents & POLLPRI);
	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(0, lseek(p.fd, 0, SEEK_SET));
	ASSERT_LT(0, read(p.fd, buf, sizeof(buf) - 1));
	EXPECT_LT(before, atol(buf));
	close(p.fd);
}

TEST_HARNESS_MAIN
