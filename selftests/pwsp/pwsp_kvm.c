// SPDX-License-Identifier: GPL-2.0
/*
 * pwsp on real KVM: a 64-bit guest agent (agent.c) owns 4-level page
 * tables that the VMM protected. Under KVM's shadow MMU (kvm_amd
 * npt=0, which these tests switch to by reloading kvm_amd while no VM
 * exists, and switch back at the end) legal maps and unmaps land and
 * work; illegal writes (a leaf onto a protected frame, RW on kernel
 * text, U on a kernel-only page, a reserved bit, PS in a PML4E, level
 * confusion), each with mov, cmpxchg and a 4-byte half, are reverted
 * before the agent reads the entry again, and the MMU faults as the
 * reverted entry says; a filled subtree links only when every entry is
 * sound; a CR3 load of an unprotected root is caught; the module's
 * counters, log and eventfd equal the agent's counts. Audit mode
 * verifies on request and reverts nothing.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* pthread_timedjoin_np() */
#endif
#include <pthread.h>
#include <time.h>
#include <sys/eventfd.h>

#include "kselftest_harness.h"
#include "memvirt_ksft.h"
#include "pvm.h"

PVM_TEST_FIXTURE(kvm)

static long knob(const char *name)
{
	return mv_read_knob(SYSFS, name);
}

/* The agent's expected counts in SC_ENFORCE (see scenario_enforce()). */
#define N_ILLEGAL	(6 * 3 + 2)
#define N_LEGAL		(2 * 3 + 2)
#define N_VA_OK		(3 * 3 + 1)
#define N_FAULTS	(5 * 3 + 2)

static const char *const reasons[PWSP_R_MAX + 1] = {
	[PWSP_R_RSVD] = "violations/rsvd", [PWSP_R_PS_TOP] = "violations/ps_top",
	[PWSP_R_ALIGN] = "violations/align", [PWSP_R_NOT_RAM] = "violations/not_ram",
	[PWSP_R_SELF_MAP] = "violations/self_map", [PWSP_R_LEVEL] = "violations/level",
	[PWSP_R_PROTECTED] = "violations/protected",
	[PWSP_R_TEXT_WRITABLE] = "violations/text_writable",
	[PWSP_R_EXEC_NONTEXT] = "violations/exec_nontext",
	[PWSP_R_USER_KERNEL] = "violations/user_kernel",
	[PWSP_R_TOO_LARGE] = "violations/too_large", [PWSP_R_CR3] = "violations/cr3",
	[PWSP_R_FAULT] = "violations/fault", [PWSP_R_UNSEEN] = "violations/unseen",
};

/* Enforcement needs the shadow MMU: reload kvm_amd with npt=0. */
#define NO_SHADOW_MMU "kvm_amd npt=1 and cannot be reloaded (built in: boot with kvm_amd.npt=0)"

TEST_F_TIMEOUT(kvm, enforce, 300)
{
	struct pvm *p = &self->p;
	long before[PWSP_R_MAX + 1], reverts0 = knob("reverts");
	struct pwsp_log_entry log[64];
	struct pwsp_log_read lr = { .entries = (unsigned long)log, .nr = 64 };
	struct pwsp_stats st;
	unsigned int mode, i, by_log[PWSP_R_MAX + 1] = { 0 };
	uint64_t n = 0;
	int efd, r;

	if (npt_set(0))
		SKIP(return, NO_SHADOW_MMU);
	for (i = 1; i <= PWSP_R_MAX; i++)
		before[i] = knob(reasons[i]);
	ASSERT_EQ(0, pvm_create(p, SC_ENFORCE));
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, pvm_protect(p, 0, efd, &mode));
	ASSERT_EQ(PWSP_MODE_ENFORCE, mode);
	ASSERT_EQ(0, ioctl(p->dev, PWSP_IOC_STATS, &st));
	/* PML4, PDPT, PD, PT0 */
	EXPECT_EQ(4, st.pages_v);
	r = pvm_run(p);
	ASSERT_EQ(PORT_DONE, r) TH_LOG("%s; agent line %u", p->why, p->ctl->fail_line);
	EXPECT_EQ(0, p->ctl->fail_line);

	/* the agent's view */
	EXPECT_EQ(N_ILLEGAL, p->ctl->illegal);
	EXPECT_EQ(p->ctl->illegal, p->ctl->reverted) TH_LOG("kept: %#llx", p->ctl->miss);
	EXPECT_EQ(N_LEGAL, p->ctl->legal);
	EXPECT_EQ(p->ctl->legal, p->ctl->kept);
	EXPECT_EQ(N_VA_OK, p->ctl->va_ok);
	EXPECT_EQ(N_FAULTS, p->ctl->faults_ok);
	EXPECT_EQ(0, p->ctl->faults_bad);
	EXPECT_EQ(1, p->ctl->cr3_bad);

	/* the module's: one violation per illegal write and CR3 load */
	ASSERT_EQ(0, ioctl(p->dev, PWSP_IOC_STATS, &st));
	EXPECT_EQ(p->ctl->illegal + p->ctl->cr3_bad, st.violations);
	EXPECT_EQ(p->ctl->illegal, st.reverts);
	EXPECT_EQ(3 + 1, st.by_reason[PWSP_R_PROTECTED]);
	EXPECT_EQ(3 + 1, st.by_reason[PWSP_R_TEXT_WRITABLE]);
	EXPECT_EQ(3, st.by_reason[PWSP_R_USER_KERNEL]);
	EXPECT_EQ(3, st.by_reason[PWSP_R_RSVD]);
	EXPECT_EQ(3, st.by_reason[PWSP_R_PS_TOP]);
	EXPECT_EQ(3, st.by_reason[PWSP_R_LEVEL]);
	EXPECT_EQ(1, st.by_reason[PWSP_R_CR3]);
	EXPECT_EQ(2, st.links_verified);	/* PML4 tree, the clean pool subtree */
	EXPECT_EQ(4, st.pages_v);		/* the pool pages went back to W */
	EXPECT_EQ(0, st.roots - 1);

	/* the log: every violation, in order, with where and what */
	ASSERT_EQ(0, ioctl(p->dev, PWSP_IOC_READ_LOG, &lr));
	EXPECT_EQ(st.violations, lr.out_nr);
	EXPECT_EQ(0, lr.lost);
	for (i = 0; i < lr.out_nr; i++) {
		TH_LOG("log %u: gpa %#llx %#llx -> %#llx reason %u level %d rip %#llx",
		       i, log[i].gpa, log[i].old_val, log[i].new_val, log[i].reason,
		       log[i].level, log[i].rip);
		EXPECT_EQ(i + 1, log[i].seq);
		ASSERT_LE(log[i].reason, PWSP_R_MAX);
		by_log[log[i].reason]++;
		if (log[i].reason == PWSP_R_CR3) {
			EXPECT_EQ(ALT_PML4_GPA, log[i].gpa);
			EXPECT_EQ(-1, log[i].level);
		} else {
			EXPECT_EQ(PWSP_LOG_REVERTED, log[i].flags);
			/* the writing instruction is in the agent's text */
			EXPECT_LE(AGENT_CODE, log[i].rip);
			EXPECT_GT(AGENT_CODE + 0x4000, log[i].rip);
			EXPECT_EQ(0, log[i].vcpu);
		}
		if (log[i].reason == PWSP_R_TEXT_WRITABLE && log[i].level == 0)
			EXPECT_EQ(TEXT_SPARE | X_P, log[i].old_val & ~X_AD);
	}
	for (i = 1; i <= PWSP_R_MAX; i++) {
		EXPECT_EQ(st.by_reason[i], by_log[i]);
		/* and the global counters moved by as much */
		EXPECT_EQ(st.by_reason[i], knob(reasons[i]) - before[i]) TH_LOG("%s", reasons[i]);
	}
	EXPECT_EQ(st.reverts, knob("reverts") - reverts0);
	/* one eventfd signal per violation */
	EXPECT_EQ(8, read(efd, &n, 8));
	EXPECT_EQ(st.violations, n);
	close(efd);
}

TEST_F_TIMEOUT(kvm, audit_on_request, 300)
{
	struct pvm *p = &self->p;
	struct pwsp_stats st;
	unsigned int mode;

	ASSERT_EQ(0, pvm_create(p, SC_AUDIT));
	ASSERT_EQ(0, pvm_protect(p, PWSP_ATTACH_AUDIT, -1, &mode));
	ASSERT_EQ(PWSP_MODE_AUDIT, mode);
	ASSERT_EQ(PORT_SYNC, pvm_run(p)) TH_LOG("%s; agent line %u", p->why,
						 p->ctl->fail_line);
	ASSERT_EQ(0, ioctl(p->dev, PWSP_IOC_STATS, &st));
	EXPECT_EQ(0, st.violations);		/* nothing is tracked */
	ASSERT_EQ(0, ioctl(p->dev, PWSP_IOC_VERIFY));
	ASSERT_EQ(0, ioctl(p->dev, PWSP_IOC_STATS, &st));
	EXPECT_EQ(p->ctl->audit_bad, st.violations);
	EXPECT_EQ(1, st.by_reason[PWSP_R_TEXT_WRITABLE]);
	EXPECT_EQ(1, st.by_reason[PWSP_R_PS_TOP]);
	EXPECT_EQ(0, st.reverts);
	/* reported, not reverted */
	EXPECT_EQ(TEXT_SPARE | X_P | X_RW, *pvm_pte(p, PT0_GPA, TEXT_SPARE >> 12) & ~X_AD);
	ASSERT_EQ(PORT_DONE, pvm_run(p)) TH_LOG("%s", p->why);
	/* the agent undid them: a second audit finds nothing new */
	ASSERT_EQ(0, ioctl(p->dev, PWSP_IOC_VERIFY));
	ASSERT_EQ(0, ioctl(p->dev, PWSP_IOC_STATS, &st));
	EXPECT_EQ(p->ctl->audit_bad, st.violations);
}

TEST_F_TIMEOUT(kvm, violation_stops_vm, 300)
{
	struct pvm *p = &self->p;
	struct pwsp_stats st;

	if (npt_set(0))
		SKIP(return, NO_SHADOW_MMU);
	ASSERT_EQ(0, pvm_create(p, SC_ENFORCE));
	ASSERT_EQ(0, pvm_protect(p, PWSP_ATTACH_STOP_VM, -1, NULL));
	EXPECT_EQ(-EIO, pvm_run(p)) TH_LOG("%s", p->why);
	ASSERT_EQ(0, ioctl(p->dev, PWSP_IOC_STATS, &st));
	EXPECT_EQ(1, st.violations);
	EXPECT_EQ(1, st.reverts);
	/* the VM died in the middle of its first illegal write, reverted */
	EXPECT_EQ(1, p->ctl->illegal);
	EXPECT_EQ(0, p->ctl->reverted);
	EXPECT_EQ(0, *pvm_pte(p, PT0_GPA, SPARE_VA >> 12));
}

TEST_F_TIMEOUT(kvm, teardown_any_order, 300)
{
	struct pvm *p = &self->p;
	long v0 = knob("pages_v");

	if (npt_set(0))
		SKIP(return, NO_SHADOW_MMU);
	/* the VM goes first: the session keeps it until closed */
	ASSERT_EQ(0, pvm_create(p, SC_ENFORCE));
	ASSERT_EQ(0, pvm_protect(p, 0, -1, NULL));
	EXPECT_EQ(v0 + 4, knob("pages_v"));
	close(p->vcpu);
	close(p->vm);
	p->vcpu = p->vm = -1;
	close(p->dev);
	p->dev = -1;
	EXPECT_EQ(v0, knob("pages_v"));
	/* the session goes first */
	pvm_destroy(p);
	ASSERT_EQ(0, pvm_create(p, SC_ENFORCE));
	ASSERT_EQ(0, pvm_protect(p, 0, -1, NULL));
	close(p->dev);
	p->dev = -1;
	EXPECT_EQ(v0, knob("pages_v"));
	/* unprotected: the illegal writes stay (the agent then trips on them) */
	pvm_run(p);
	EXPECT_LT(0, p->ctl->illegal);
	EXPECT_EQ(1, p->ctl->miss & 1);
	EXPECT_EQ(TEXT_SPARE | X_P | X_RW, *pvm_pte(p, PT0_GPA, TEXT_SPARE >> 12) & ~X_AD);
}

/* --- two vCPUs on one entry ---------------------------------------------- */

struct vcpu_thread {
	int fd;
	struct kvm_run *run;
	int port;		/* the agent's, or -errno, or -1000 - exit reason */
};

static void *vcpu_loop(void *arg)
{
	struct vcpu_thread *t = arg;

	for (;;) {
		if (ioctl(t->fd, KVM_RUN, 0)) {
			if (errno == EINTR)
				continue;
			t->port = -errno;
			break;
		}
		t->port = t->run->exit_reason == KVM_EXIT_IO ? t->run->io.port :
			  -1000 - (int)t->run->exit_reason;
		break;
	}
	return NULL;
}

/* vCPU @id as vCPU 0 is now (not run yet), on its own stack, RDI = @id */
static int add_vcpu(struct pvm *p, int id, struct vcpu_thread *t, size_t *run_size)
{
	struct kvm_regs regs = { .rip = AGENT_CODE, .rsp = STACK1_TOP, .rdi = id, .rflags = 2 };
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + 200 * sizeof(c->entries[0]));
	struct kvm_sregs sregs;
	int ret = -1;

	if (!c)
		return -1;
	c->nent = 200;
	t->fd = ioctl(p->vm, KVM_CREATE_VCPU, id);
	*run_size = p->run_size;
	if (t->fd >= 0 && !ioctl(p->vcpu, KVM_GET_CPUID2, c) &&
	    !ioctl(t->fd, KVM_SET_CPUID2, c) && !ioctl(p->vcpu, KVM_GET_SREGS, &sregs) &&
	    !ioctl(t->fd, KVM_SET_SREGS, &sregs) && !ioctl(t->fd, KVM_SET_REGS, &regs)) {
		t->run = mmap(NULL, *run_size, PROT_READ | PROT_WRITE, MAP_SHARED, t->fd, 0);
		ret = t->run == MAP_FAILED ? -1 : 0;
	}
	free(c);
	return ret;
}

#define RACE_ROUNDS	8000

/*
 * vCPU 0 writes RW into the low half of a read-only text leaf, illegal,
 * while vCPU 1 writes a sequence number into the software bits of its
 * high half, legal (see scenario_race()). Every illegal write is
 * reverted, once, and no legal write is lost: a revert does not
 * overwrite what the other vCPU wrote since the entry was read.
 */
TEST_F_TIMEOUT(kvm, two_vcpus_one_entry, 300)
{
	struct pvm *p = &self->p;
	long raced0 = knob("repairs_raced");
	struct vcpu_thread t[2] = { { .fd = -1 }, { .fd = -1 } };
	pthread_t th[2];
	struct pwsp_stats st;
	size_t run_size = 0;
	uint64_t e;
	int i;

	if (npt_set(0))
		SKIP(return, NO_SHADOW_MMU);
	ASSERT_EQ(0, pvm_create(p, SC_RACE));
	p->ctl->rounds = RACE_ROUNDS;
	ASSERT_EQ(0, add_vcpu(p, 1, &t[1], &run_size));
	ASSERT_EQ(0, pvm_protect(p, 0, -1, NULL));
	t[0].fd = p->vcpu;
	t[0].run = p->run;
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_create(&th[i], NULL, vcpu_loop, &t[i]));
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	EXPECT_EQ(PORT_DONE, t[0].port);
	EXPECT_EQ(PORT_DONE, t[1].port);
	EXPECT_EQ(0, p->ctl->fail_line);
	TH_LOG("vCPU 1: %u legal writes; repairs that met a racing write: %ld",
	       p->ctl->b_writes, knob("repairs_raced") - raced0);
	EXPECT_EQ(RACE_ROUNDS, p->ctl->illegal);
	EXPECT_EQ(p->ctl->illegal, p->ctl->reverted);
	/* the sequence check: each legal write still there at the next */
	EXPECT_EQ(0, p->ctl->b_lost);
	EXPECT_LT(100, p->ctl->b_writes);
	ASSERT_EQ(0, ioctl(p->dev, PWSP_IOC_STATS, &st));
	EXPECT_EQ(p->ctl->illegal, st.violations);
	EXPECT_EQ(p->ctl->illegal, st.by_reason[PWSP_R_TEXT_WRITABLE]);
	EXPECT_EQ(p->ctl->illegal, st.reverts);
	e = *pvm_pte(p, PT0_GPA, RACE_VA >> 12);
	EXPECT_EQ(RACE_VA | X_P, e & 0xffffffffULL & ~X_AD);
	EXPECT_EQ(p->ctl->b_writes & 0x7f, (e >> 52) & 0x7f);
	munmap(t[1].run, run_size);
	close(t[1].fd);
}

/* --- writes KVM makes past the page-track notifier ------------------------- */

/*
 * SGDT and SIDT onto a V page: KVM emulates them (the write faults on
 * the tracked frame; unprotect-and-retry re-executes once, then KVM
 * emulates) and stores through kvm_write_guest_virt_helper(), which
 * calls no page-track notifier. On 6.12 the chosen entries land and the
 * MMU uses them; whether pwsp saw the stores is KVM's behaviour, logged,
 * not asserted. PWSP_IOC_VERIFY must find both.
 */
TEST_F_TIMEOUT(kvm, emulated_store_skips_notifier, 300)
{
	struct pvm *p = &self->p;
	struct pwsp_log_entry log[8];
	struct pwsp_log_read lr = { .entries = (unsigned long)log, .nr = 8 };
	struct pwsp_stats st;
	unsigned int mode, i;
	uint64_t n;

	if (npt_set(0))
		SKIP(return, NO_SHADOW_MMU);
	ASSERT_EQ(0, pvm_create(p, SC_UNSEEN));
	*(uint64_t *)(p->mem + PROT_GPA) = PROT_MAGIC;
	ASSERT_EQ(0, pvm_protect(p, 0, -1, &mode));
	ASSERT_EQ(PWSP_MODE_ENFORCE, mode);
	ASSERT_EQ(PORT_SYNC, pvm_run(p)) TH_LOG("%s; agent line %u", p->why,
						 p->ctl->fail_line);

	/* the stores landed, unverified, and the MMU walks them */
	EXPECT_EQ(PROT_GPA | X_P, p->ctl->unseen_pte[0] & ~X_AD);
	EXPECT_EQ(TEXT_SPARE | X_P | X_RW, p->ctl->unseen_pte[1] & ~X_AD);
	EXPECT_EQ(PROT_GPA | X_P, *(uint64_t *)(p->mem + UNSEEN_PTE0) & ~X_AD);
	EXPECT_EQ(2, p->ctl->unseen_mmu);
	ASSERT_EQ(0, ioctl(p->dev, PWSP_IOC_STATS, &st));
	TH_LOG("seen by the notifier: %llu writes, %llu violations (6.12: 0, 0)",
	       (unsigned long long)st.writes_verified,
	       (unsigned long long)st.violations);

	/* the verification on request finds both */
	ASSERT_EQ(0, ioctl(p->dev, PWSP_IOC_VERIFY));
	ASSERT_EQ(0, ioctl(p->dev, PWSP_IOC_STATS, &st));
	EXPECT_EQ(2, st.violations);
	EXPECT_EQ(1, st.by_reason[PWSP_R_PROTECTED]);
	EXPECT_EQ(1, st.by_reason[PWSP_R_TEXT_WRITABLE]);
	EXPECT_EQ(0, st.reverts);
	ASSERT_EQ(0, ioctl(p->dev, PWSP_IOC_READ_LOG, &lr));
	ASSERT_EQ(2, lr.out_nr);
	for (i = 0; i < lr.out_nr; i++) {
		if (log[i].reason == PWSP_R_PROTECTED) {
			EXPECT_EQ(UNSEEN_PTE0, log[i].gpa);
			EXPECT_EQ(PROT_GPA | X_P, log[i].new_val & ~X_AD);
			EXPECT_EQ(0, log[i].old_val);
		} else {
			EXPECT_EQ(PWSP_R_TEXT_WRITABLE, log[i].reason);
			EXPECT_EQ(UNSEEN_PTE1, log[i].gpa);
		}
		EXPECT_EQ(0, log[i].level);
		EXPECT_EQ(0, log[i].flags);	/* reported, not reverted */
	}
	/* the agent undoes them with plain writes: legal, verified */
	n = st.writes_verified;
	ASSERT_EQ(PORT_DONE, pvm_run(p)) TH_LOG("%s", p->why);
	ASSERT_EQ(0, ioctl(p->dev, PWSP_IOC_STATS, &st));
	EXPECT_EQ(2, st.violations);
	EXPECT_EQ(n + 2, st.writes_verified);
}

/*
 * The same stores, found without the VMM's request: with recheck_ms
 * set, the periodic verification reports both while the agent waits,
 * at each pass while they stay (a report is not a repair).
 */
TEST_F_TIMEOUT(kvm, recheck_finds_unseen_store, 300)
{
	struct pvm *p = &self->p;
	long rechecks0 = knob("rechecks"), period = knob("recheck_ms"), rechecks1;
	struct pwsp_stats st = { 0 };
	int i;

	if (npt_set(0))
		SKIP(return, NO_SHADOW_MMU);
	ASSERT_EQ(0, pvm_create(p, SC_UNSEEN));
	*(uint64_t *)(p->mem + PROT_GPA) = PROT_MAGIC;
	ASSERT_EQ(0, pvm_protect(p, 0, -1, NULL));
	ASSERT_EQ(PORT_SYNC, pvm_run(p)) TH_LOG("%s; agent line %u", p->why,
						 p->ctl->fail_line);
	EXPECT_EQ(2, p->ctl->unseen_mmu);
	/*
	 * Off since the attach, the work is not armed: the knob's write
	 * starts a pass (nothing else would).
	 */
	ASSERT_EQ(0, mv_write_knob(SYSFS, "recheck_ms", "20"));
	for (i = 0; i < 600 && st.violations < 2; i++) {
		usleep(50 * 1000);
		ASSERT_EQ(0, ioctl(p->dev, PWSP_IOC_STATS, &st));
	}
	ASSERT_LE(2, st.violations);
	ASSERT_EQ(0, mv_write_knob(SYSFS, "recheck_ms", "0"));
	/* a pass under way ends; then none starts for a second */
	for (i = 0, rechecks1 = -1; i < 20 && rechecks1 != knob("rechecks"); i++) {
		rechecks1 = knob("rechecks");
		usleep(1000 * 1000);
	}
	EXPECT_EQ(rechecks1, knob("rechecks"));
	ASSERT_EQ(0, ioctl(p->dev, PWSP_IOC_STATS, &st));
	EXPECT_EQ(0, mv_write_knob_num(SYSFS, "recheck_ms", period));
	TH_LOG("%llu reports of the 2 entries", (unsigned long long)st.violations);
	EXPECT_LE(2, st.violations);
	/* each pass reports both entries, and nothing else */
	EXPECT_EQ(st.violations, 2 * st.by_reason[PWSP_R_PROTECTED]);
	EXPECT_EQ(st.violations, 2 * st.by_reason[PWSP_R_TEXT_WRITABLE]);
	EXPECT_EQ(0, st.reverts);
	EXPECT_LT(rechecks0, knob("rechecks"));
	ASSERT_EQ(PORT_DONE, pvm_run(p)) TH_LOG("%s", p->why);
}

/* Does KVM offer SVM to its guests (kvm_amd nested=1)? */
static bool kvm_offers_svm(struct pvm *p)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + 200 * sizeof(c->entries[0]));
	bool svm = false;
	unsigned int i;

	if (!c)
		return false;
	c->nent = 200;
	if (!ioctl(p->kvm, KVM_GET_SUPPORTED_CPUID, c))
		for (i = 0; i < c->nent; i++)
			if (c->entries[i].function == CPUID_SVM_LEAF)
				svm = c->entries[i].ecx & CPUID_SVM_ECX;
	free(c);
	return svm;
}

/*
 * A guest with SVM or VMX in its CPUID can make KVM write guest memory
 * past the notifier: enforcement refuses to protect its roots; audit and
 * track-only sessions may. Without either, enforcement protects.
 */
static void nested_refused(struct __test_metadata *_metadata, struct pvm *p,
			   unsigned int nested)
{
	long v0 = knob("pages_v");
	unsigned int mode;

	ASSERT_EQ(0, pvm_cpuid_fd(p, p->vcpu, nested));
	EXPECT_EQ(-EOPNOTSUPP, pvm_protect(p, 0, -1, &mode));
	EXPECT_EQ(PWSP_MODE_ENFORCE, mode);
	EXPECT_EQ(v0, knob("pages_v"));
	close(p->dev);
	p->dev = -1;
	EXPECT_EQ(0, pvm_protect(p, PWSP_ATTACH_AUDIT, -1, &mode));
	EXPECT_EQ(PWSP_MODE_AUDIT, mode);
	close(p->dev);
	p->dev = -1;
	EXPECT_EQ(0, pvm_protect(p, PWSP_ATTACH_TRACK_ONLY, -1, &mode));
	close(p->dev);
	p->dev = -1;
	ASSERT_EQ(0, pvm_cpuid_fd(p, p->vcpu, 0));
	EXPECT_EQ(0, pvm_protect(p, 0, -1, &mode));
}

/* SVM, from VMSAVE and the nested state saves */
TEST_F_TIMEOUT(kvm, nested_svm_refused, 300)
{
	struct pvm *p = &self->p;

	if (npt_set(0))
		SKIP(return, NO_SHADOW_MMU);
	ASSERT_EQ(0, pvm_create(p, SC_ENFORCE));
	if (!kvm_offers_svm(p))
		SKIP(return, "KVM offers no nested SVM");
	nested_refused(_metadata, p, NESTED_SVM);
}

/*
 * VMX, set by the VMM (KVM accepts it on AMD too): under kvm_intel
 * ept=0 VMCLEAR, VMPTRLD, VMREAD to memory and VMPTRST write guest
 * memory past the notifier.
 */
TEST_F_TIMEOUT(kvm, nested_vmx_refused, 300)
{
	struct pvm *p = &self->p;

	if (npt_set(0))
		SKIP(return, NO_SHADOW_MMU);
	ASSERT_EQ(0, pvm_create(p, SC_ENFORCE));
	nested_refused(_metadata, p, NESTED_VMX);
}

/*
 * SVM or VMX given to the vCPU after the root was protected (KVM allows
 * KVM_SET_CPUID2 until the first KVM_RUN): the check at the vCPU's
 * entry reports it, once; with PWSP_ATTACH_STOP_VM the VM stops. VMX
 * always; SVM when KVM offers it.
 */
TEST_F_TIMEOUT(kvm, svm_after_protect_reported, 300)
{
	static const unsigned int kinds[] = { NESTED_VMX, NESTED_SVM };
	struct pvm *p = &self->p;
	struct pwsp_log_entry log[4];
	struct pwsp_log_read lr;
	struct pwsp_stats st;
	unsigned int k;
	long unseen0;
	int r;

	if (npt_set(0))
		SKIP(return, NO_SHADOW_MMU);
	for (k = 0; k < 2; k++) {
		unseen0 = knob("violations/unseen");
		ASSERT_EQ(0, pvm_create(p, SC_BENCH));
		if (kinds[k] == NESTED_SVM && !kvm_offers_svm(p)) {
			TH_LOG("KVM offers no nested SVM: VMX case only");
			break;
		}
		TH_LOG("case %s", kinds[k] == NESTED_VMX ? "VMX" : "SVM");
		p->ctl->rounds = 200;
		ASSERT_EQ(0, pvm_protect(p, 0, -1, NULL));
		ASSERT_EQ(0, pvm_cpuid_fd(p, p->vcpu, kinds[k]));
		ASSERT_EQ(PORT_DONE, pvm_run(p)) TH_LOG("%s", p->why);
		ASSERT_EQ(0, ioctl(p->dev, PWSP_IOC_STATS, &st));
		/* READ_LOG fills out_nr: a fresh request per case */
		lr = (struct pwsp_log_read){ .entries = (unsigned long)log, .nr = 4 };
		/* 400 verified writes and many entries, one report */
		EXPECT_EQ(400, st.writes_verified);
		EXPECT_EQ(1, st.violations);
		EXPECT_EQ(1, st.by_reason[PWSP_R_UNSEEN]);
		EXPECT_EQ(unseen0 + 1, knob("violations/unseen"));
		ASSERT_EQ(0, ioctl(p->dev, PWSP_IOC_READ_LOG, &lr));
		ASSERT_EQ(1, lr.out_nr);
		EXPECT_EQ(PWSP_R_UNSEEN, log[0].reason);
		EXPECT_EQ(0, log[0].vcpu);
		EXPECT_EQ(-1, log[0].level);

		/* and stopped, when asked */
		pvm_destroy(p);
		ASSERT_EQ(0, pvm_create(p, SC_BENCH));
		p->ctl->rounds = 200;
		ASSERT_EQ(0, pvm_protect(p, PWSP_ATTACH_STOP_VM, -1, NULL));
		ASSERT_EQ(0, pvm_cpuid_fd(p, p->vcpu, kinds[k]));
		r = pvm_run(p);
		/* the vCPU entered once: it stops at its next exit */
		if (r == PORT_DONE)
			r = pvm_run(p);
		EXPECT_EQ(-EIO, r) TH_LOG("%s", p->why);
		ASSERT_EQ(0, ioctl(p->dev, PWSP_IOC_STATS, &st));
		EXPECT_EQ(1, st.by_reason[PWSP_R_UNSEEN]);
		pvm_destroy(p);
	}
}

#define SMBASE		0x30000ULL	/* the reset value */

/*
 * An SMI: KVM saves the vCPU's state at SMBASE + 0xfe00 with
 * kvm_vcpu_write_guest(), past the notifier, and the vCPU runs in SMM.
 * The entry check reports it. The SMM handler is a HLT (no in-kernel
 * irqchip: an exit to the VMM). SMM sees address space 1: the same
 * memory is slotted there too, as a VMM with SMM does (with no memslot
 * there, KVM's state save fails and KVM kills the VM).
 */
TEST_F_TIMEOUT(kvm, smm_entry_reported, 300)
{
	struct kvm_userspace_memory_region smram = {
		.slot = 1U << 16, .memory_size = MEM_SIZE,	/* address space 1 */
	};
	struct pvm *p = &self->p;
	struct kvm_regs regs;
	struct pwsp_stats st;
	int r;

	if (npt_set(0))
		SKIP(return, NO_SHADOW_MMU);
	ASSERT_EQ(0, pvm_create(p, SC_BENCH));
	if (ioctl(p->kvm, KVM_CHECK_EXTENSION, KVM_CAP_X86_SMM) <= 0)
		SKIP(return, "KVM without SMM");
	p->ctl->rounds = 10;
	p->mem[SMBASE + 0x8000] = (char)0xf4;	/* hlt */
	smram.userspace_addr = (unsigned long)p->mem;
	ASSERT_EQ(0, ioctl(p->vm, KVM_SET_USER_MEMORY_REGION, &smram));
	ASSERT_EQ(0, pvm_protect(p, 0, -1, NULL));
	ASSERT_EQ(PORT_DONE, pvm_run(p)) TH_LOG("%s", p->why);
	ASSERT_EQ(0, ioctl(p->dev, PWSP_IOC_STATS, &st));
	EXPECT_EQ(0, st.violations);
	ASSERT_EQ(0, ioctl(p->vcpu, KVM_SMI));
	r = pvm_run(p);
	EXPECT_EQ(-1000, r);
	EXPECT_EQ(KVM_EXIT_HLT, p->run->exit_reason) TH_LOG("%s", p->why);
	/* the HLT of the SMM handler, at SMBASE + 0x8000 */
	ASSERT_EQ(0, ioctl(p->vcpu, KVM_GET_REGS, &regs));
	EXPECT_EQ(0x8001, regs.rip);
	ASSERT_EQ(0, ioctl(p->dev, PWSP_IOC_STATS, &st));
	EXPECT_EQ(1, st.violations);
	EXPECT_EQ(1, st.by_reason[PWSP_R_UNSEEN]);
}

/* --- a violation on the CR3 check stops every vCPU ------------------------- */

/* Join @th within @secs seconds; false if it is still running. */
static bool join_within(pthread_t th, int secs)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += secs;
	return pthread_timedjoin_np(th, NULL, &ts) == 0;
}

/*
 * vCPU 0 loads an unprotected root while vCPU 1 spins in the guest with
 * no exit of its own to wait for: with PWSP_ATTACH_STOP_VM both KVM_RUNs
 * end with EIO. (If vCPU 1 is still running after a minute, the test
 * releases it and fails.)
 */
TEST_F_TIMEOUT(kvm, cr3_violation_stops_all_vcpus, 300)
{
	struct pvm *p = &self->p;
	struct vcpu_thread t[2] = { { .fd = -1 }, { .fd = -1 } };
	struct pwsp_stats st;
	size_t run_size = 0;
	pthread_t th[2];
	bool stopped;
	int i;

	if (npt_set(0))
		SKIP(return, NO_SHADOW_MMU);
	ASSERT_EQ(0, pvm_create(p, SC_CR3_STOP));
	ASSERT_EQ(0, add_vcpu(p, 1, &t[1], &run_size));
	ASSERT_EQ(0, pvm_protect(p, PWSP_ATTACH_STOP_VM, -1, NULL));
	t[0].fd = p->vcpu;
	t[0].run = p->run;
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_create(&th[i], NULL, vcpu_loop, &t[i]));
	stopped = join_within(th[0], 60) && join_within(th[1], 60);
	if (!stopped) {
		__atomic_store_n(&p->ctl->a_done, 1, __ATOMIC_SEQ_CST);
		for (i = 0; i < 2; i++)
			pthread_join(th[i], NULL);
	}
	EXPECT_TRUE(stopped);
	EXPECT_EQ(-EIO, t[0].port);
	EXPECT_EQ(-EIO, t[1].port);
	EXPECT_EQ(0, p->ctl->fail_line);
	EXPECT_EQ(1, p->ctl->cr3_bad);
	ASSERT_EQ(0, ioctl(p->dev, PWSP_IOC_STATS, &st));
	EXPECT_EQ(1, st.violations);
	EXPECT_EQ(1, st.by_reason[PWSP_R_CR3]);
	munmap(t[1].run, run_size);
	close(t[1].fd);
}

/* --- memslot deletion ------------------------------------------------------ */

#define SLOT1_GPA	MEM_SIZE		/* a second memslot, after the first */
#define SLOT1_SIZE	(1ULL << 20)

static long taint_flags(void)
{
	long t = -1;
	FILE *f = fopen("/proc/sys/kernel/tainted", "r");

	if (f) {
		if (fscanf(f, "%ld", &t) != 1)
			t = -1;
		fclose(f);
	}
	return t;
}

/*
 * A page table in a second memslot, linked into the protected tree,
 * loses KVM's tracking when the memslot is deleted: pwsp counts it
 * (tracking_lost) and keeps the page, and never drops a tracking it
 * no longer holds, even when a new memslot takes the same frames
 * (dropping it there would underflow KVM's count for the new slot,
 * which WARNs and taints the kernel).
 */
TEST_F_TIMEOUT(kvm, memslot_deleted_under_tracked_tables, 300)
{
	struct pvm *p = &self->p;
	struct kvm_userspace_memory_region slot1 = {
		.slot = 1, .guest_phys_addr = SLOT1_GPA, .memory_size = SLOT1_SIZE,
	};
	struct pwsp_range r[] = {
		{ .gfn = 0, .nr_pages = (MEM_SIZE + SLOT1_SIZE) >> 12, .type = PWSP_RANGE_RAM },
		{ .gfn = TEXT_FIRST, .nr_pages = TEXT_PAGES, .type = PWSP_RANGE_TEXT },
	};
	struct pwsp_attach a = { .eventfd = -1 };
	struct pwsp_root root = { .gpa = PML4_GPA };
	long lost0 = knob("tracking_lost"), v0 = knob("pages_v"), taint0 = taint_flags();
	struct pwsp_policy pol = { .nxe = 1, .levels = 4, .gbpages = 1, .nr_ranges = 2,
				   .ranges = (unsigned long)r };
	bool check_w = taint0 >= 0 && !(taint0 & (1L << 9));
	struct pwsp_stats st;
	uint64_t *pt;
	char *mem1;
	int i;

	if (npt_set(0))
		SKIP(return, NO_SHADOW_MMU);
	ASSERT_EQ(0, pvm_create(p, SC_ENFORCE));
	a.vm_fd = p->vm;
	mem1 = mmap(NULL, SLOT1_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0);
	ASSERT_NE(MAP_FAILED, mem1);
	/* a page table at the slot's start: 4-6M mapped as data */
	pt = (uint64_t *)mem1;
	for (i = 0; i < 512; i++)
		pt[i] = ((4ULL << 20) + ((uint64_t)i << 12)) | X_P | X_RW | X_NX;
	*pvm_pte(p, PD_GPA, 2) = SLOT1_GPA | X_P | X_RW;
	slot1.userspace_addr = (unsigned long)mem1;
	ASSERT_EQ(0, ioctl(p->vm, KVM_SET_USER_MEMORY_REGION, &slot1));
	p->dev = open(DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, p->dev);
	ASSERT_EQ(0, ioctl(p->dev, PWSP_IOC_ATTACH, &a));
	ASSERT_EQ(PWSP_MODE_ENFORCE, a.mode);
	pol.maxphyaddr = p->maxphyaddr;
	ASSERT_EQ(0, ioctl(p->dev, PWSP_IOC_SET_POLICY, &pol));
	ASSERT_EQ(0, ioctl(p->dev, PWSP_IOC_PROTECT_ROOT, &root));
	ASSERT_EQ(0, ioctl(p->dev, PWSP_IOC_STATS, &st));
	/* PML4, PDPT, PD, PT0 and the table in slot 1 */
	EXPECT_EQ(5, st.pages_v);

	/* the memslot goes: its one V page loses KVM's tracking */
	slot1.memory_size = 0;
	ASSERT_EQ(0, ioctl(p->vm, KVM_SET_USER_MEMORY_REGION, &slot1));
	EXPECT_EQ(lost0 + 1, knob("tracking_lost"));
	ASSERT_EQ(0, ioctl(p->dev, PWSP_IOC_STATS, &st));
	EXPECT_EQ(5, st.pages_v);
	EXPECT_EQ(0, st.violations);
	/* audit of the tree: the page is not readable, nothing breaks */
	EXPECT_EQ(0, ioctl(p->dev, PWSP_IOC_VERIFY));

	/* a new memslot on the same frames, then the session goes */
	slot1.memory_size = SLOT1_SIZE;
	ASSERT_EQ(0, ioctl(p->vm, KVM_SET_USER_MEMORY_REGION, &slot1));
	EXPECT_EQ(lost0 + 1, knob("tracking_lost"));
	close(p->dev);
	p->dev = -1;
	EXPECT_EQ(v0, knob("pages_v"));
	/* the new slot's frames are tracked and untracked by a new session */
	p->dev = open(DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, p->dev);
	a.mode = 0;
	ASSERT_EQ(0, ioctl(p->dev, PWSP_IOC_ATTACH, &a));
	ASSERT_EQ(0, ioctl(p->dev, PWSP_IOC_SET_POLICY, &pol));
	ASSERT_EQ(0, ioctl(p->dev, PWSP_IOC_PROTECT_ROOT, &root));
	EXPECT_EQ(v0 + 5, knob("pages_v"));
	close(p->dev);
	p->dev = -1;
	EXPECT_EQ(v0, knob("pages_v"));
	/* no WARN (taint bit 9) from KVM's write-track counts */
	EXPECT_EQ(0, check_w ? taint_flags() & (1L << 9) : 0);
	if (!check_w)
		TH_LOG("kernel tainted with W before the test (%ld): not checked", taint0);
	slot1.memory_size = 0;
	ASSERT_EQ(0, ioctl(p->vm, KVM_SET_USER_MEMORY_REGION, &slot1));
	munmap(mem1, SLOT1_SIZE);
}

/* --- allocation failures (fail-nth: the debug kernel's fault injection) --- */

#define FI_SLAB	"/sys/kernel/debug/failslab/"
#define FI_PAGE	"/sys/kernel/debug/fail_page_alloc/"

/* The session's steps, in order; a test fails allocations in one. */
enum { ST_OPEN, ST_ATTACH, ST_POLICY, ST_PROTECT, ST_VERIFY, ST_LOG, ST_NR };

static const char *const st_name[ST_NR] = {
	"open", "attach", "set_policy", "protect", "verify", "read_log",
};

/* Step @st of a session on @p's VM: 0 or -errno. */
static int session_step(struct pvm *p, int st)
{
	struct pwsp_attach a = { .vm_fd = p->vm, .eventfd = -1 };
	struct pwsp_root root = { .gpa = PML4_GPA };
	struct pwsp_log_entry log[16];
	struct pwsp_log_read lr = { .entries = (unsigned long)log, .nr = 16 };

	switch (st) {
	case ST_OPEN:
		p->dev = open(DEV, O_RDWR | O_CLOEXEC);
		return p->dev < 0 ? -errno : 0;
	case ST_ATTACH:
		if (ioctl(p->dev, PWSP_IOC_ATTACH, &a))
			return -errno;
		return a.mode == PWSP_MODE_ENFORCE ? 0 : -EPROTO;
	case ST_POLICY:
		return pvm_policy(p);
	case ST_PROTECT:
		return ioctl(p->dev, PWSP_IOC_PROTECT_ROOT, &root) ? -errno : 0;
	case ST_VERIFY:
		return ioctl(p->dev, PWSP_IOC_VERIFY) ? -errno : 0;
	default:
		return ioctl(p->dev, PWSP_IOC_READ_LOG, &lr) ? -errno : 0;
	}
}

/* Fail this thread's @nth next allocation (0: none); -1 on error. */
static int fail_nth(int nfd, int nth)
{
	char val[16];

	snprintf(val, sizeof(val), "%d", nth);
	return pwrite(nfd, val, strlen(val), 0) > 0 ? 0 : -1;
}

/* Was the armed failure spent? Disarms it. */
static bool fail_spent(int nfd)
{
	char val[16] = "";
	bool spent = pread(nfd, val, sizeof(val) - 1, 0) > 0 && atoi(val) == 0;

	fail_nth(nfd, 0);
	return spent;
}

struct fi_saved {
	char v[4][8];
};

static const char *const fi_files[4] = {
	FI_SLAB "ignore-gfp-wait", FI_PAGE "ignore-gfp-wait",
	FI_SLAB "verbose", FI_PAGE "verbose",
};

/* Sleeping allocations may fail, without a stack dump per failure. */
static int fi_setup(struct fi_saved *s)
{
	static const char *const want[4] = { "N", "N", "0", "0" };
	int i, fd;
	ssize_t n;

	for (i = 0; i < 4; i++) {
		fd = open(fi_files[i], O_RDONLY);
		if (fd < 0)
			return -1;
		n = read(fd, s->v[i], sizeof(s->v[i]) - 1);
		close(fd);
		s->v[i][n > 0 ? n : 0] = 0;
		if (mv_write_path(fi_files[i], want[i]))
			return -1;
	}
	return 0;
}

static void fi_restore(struct fi_saved *s)
{
	int i;

	for (i = 0; i < 4; i++)
		if (s->v[i][0])
			mv_write_path(fi_files[i], s->v[i]);
}

/*
 * Each allocation of each session step fails in turn (fail-nth, slab
 * and page allocator): the step fails with ENOMEM, or succeeds when
 * the allocation had a fallback; a failed step leaves no state (no V
 * page, no root, no violation) and succeeds when retried; and a session
 * built after all of it enforces as before. The tier's kmemleak scan
 * and log check see no leak and no splat.
 */
TEST_F_TIMEOUT(kvm, alloc_failures_leave_no_state, 300)
{
	struct pvm *p = &self->p;
	long v0 = knob("pages_v"), log_size = knob("log_size");
	int nfd, st, step, nth, ret, failed[ST_NR] = { 0 };
	struct pwsp_stats stats;
	struct fi_saved saved;
	bool spent, retried;

	nfd = open("/proc/thread-self/fail-nth", O_RDWR);
	if (nfd < 0 || access(FI_SLAB "ignore-gfp-wait", W_OK))
		SKIP(return, "no fault injection in this kernel (debug tier only)");
	if (npt_set(0))
		SKIP(return, NO_SHADOW_MMU);
	ASSERT_EQ(0, pvm_create(p, SC_ENFORCE));
	ASSERT_EQ(0, fi_setup(&saved));
	/* a log of one page or less: kvcalloc() then has no vmalloc fallback */
	ASSERT_EQ(0, mv_write_knob(SYSFS, "log_size", "16"));
	for (st = 0; st < ST_NR; st++) {
		spent = true;
		for (nth = 1; spent && nth < 100; nth++) {
			ret = 0;
			for (step = 0; step < st && !ret; step++)
				ret = session_step(p, step);
			ASSERT_EQ(0, ret) TH_LOG("%s, no injection", st_name[step - 1]);
			ASSERT_EQ(0, fail_nth(nfd, nth));
			ret = session_step(p, st);
			spent = fail_spent(nfd);
			retried = ret;
			if (ret) {
				ASSERT_EQ(-ENOMEM, ret) TH_LOG("%s, allocation %d", st_name[st], nth);
				ASSERT_TRUE(spent);
				failed[st]++;
				/* nothing changed: no V page, no root, nothing logged */
				if (p->dev >= 0) {
					ASSERT_EQ(0, ioctl(p->dev, PWSP_IOC_STATS, &stats));
					EXPECT_EQ(st > ST_PROTECT ? 4 : 0, stats.pages_v);
					EXPECT_EQ(st > ST_PROTECT ? 1 : 0, stats.roots);
					EXPECT_EQ(0, stats.violations);
				}
				/* the same step again, without injection, and the rest */
				ret = 0;
				for (step = st; step < ST_NR && !ret; step++)
					ret = session_step(p, step) == 0 ? 0 : step + 1;
				EXPECT_EQ(0, ret) TH_LOG("%s failed on retry", st_name[ret - 1]);
			}
			if (p->dev >= 0) {
				ASSERT_EQ(0, ioctl(p->dev, PWSP_IOC_STATS, &stats));
				EXPECT_EQ(st >= ST_PROTECT || retried ? 4 : 0, stats.pages_v);
				close(p->dev);
				p->dev = -1;
			}
			EXPECT_EQ(v0, knob("pages_v"));
		}
		TH_LOG("%s: %d allocations, %d failed with ENOMEM", st_name[st], nth - 2,
		       failed[st]);
		EXPECT_FALSE(spent) TH_LOG("%s makes 100 allocations or more", st_name[st]);
		/* each step was driven into at least one ENOMEM */
		EXPECT_LE(1, failed[st]) TH_LOG("%s", st_name[st]);
	}
	close(nfd);
	fi_restore(&saved);
	ASSERT_EQ(0, mv_write_knob_num(SYSFS, "log_size", log_size));

	/* enforcement is whole after every failure */
	for (step = 0; step < ST_VERIFY; step++)
		ASSERT_EQ(0, session_step(p, step));
	ASSERT_EQ(PORT_DONE, pvm_run(p)) TH_LOG("%s; agent line %u", p->why, p->ctl->fail_line);
	EXPECT_EQ(N_ILLEGAL, p->ctl->illegal);
	EXPECT_EQ(p->ctl->illegal, p->ctl->reverted);
	EXPECT_EQ(N_LEGAL, p->ctl->kept);
	ASSERT_EQ(0, ioctl(p->dev, PWSP_IOC_STATS, &stats));
	EXPECT_EQ(p->ctl->illegal + p->ctl->cr3_bad, stats.violations);
	EXPECT_EQ(p->ctl->illegal, stats.reverts);
}

TEST_HARNESS_MAIN
