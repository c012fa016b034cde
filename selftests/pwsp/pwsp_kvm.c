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
	[PWSP_R_FAULT] = "violations/fault",
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

TEST_HARNESS_MAIN
