/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal VMM for the pwsp tests, bench and demo: one vCPU in 64-bit
 * long mode running the guest agent (agent.c, embedded as
 * _binary_agent_bin_*) on page tables built here (see agent.h), and a
 * /dev/pwsp session protecting them.
 */
#ifndef _PWSP_PVM_H
#define _PWSP_PVM_H

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/kvm.h>
#include <linux/pwsp.h>

#include "agent.h"

#define DEV	"/dev/pwsp"
#define SYSFS	"/sys/kernel/mm/pwsp/"
#define NPT	"/sys/module/kvm_amd/parameters/npt"

extern const char _binary_agent_bin_start[], _binary_agent_bin_end[];

struct pvm {
	int kvm, vm, vcpu, dev;
	struct kvm_run *run;
	size_t run_size;
	char *mem;
	struct agent_ctl *ctl;
	unsigned int maxphyaddr;
	char why[128];
};

static inline uint64_t *pvm_pte(struct pvm *p, uint64_t table, unsigned int i)
{
	return (uint64_t *)(p->mem + table) + i;
}

/* The guest's first tables: identity map of 0-4M (see agent.h). */
static inline void pvm_tables(struct pvm *p)
{
	uint64_t i, f;

	*pvm_pte(p, PML4_GPA, 0) = PDPT_GPA | X_P | X_RW | X_US;
	*pvm_pte(p, PDPT_GPA, 0) = PD_GPA | X_P | X_RW | X_US;
	*pvm_pte(p, PD_GPA, 0) = PT0_GPA | X_P | X_RW | X_US;
	*pvm_pte(p, PD_GPA, 1) = (2ULL << 20) | X_P | X_RW | X_PS | X_NX;
	for (i = 1; i < 512; i++) {
		f = i << 12;
		if (i >= TEXT_FIRST && i < TEXT_FIRST + TEXT_PAGES)
			*pvm_pte(p, PT0_GPA, i) = f | X_P;
		else if (f == PROT_GPA || f == SPARE_VA)
			*pvm_pte(p, PT0_GPA, i) = 0;
		else if (f == PROT_RO_GPA)
			*pvm_pte(p, PT0_GPA, i) = f | X_P | X_NX;
		else if (f == USER_GPA)
			*pvm_pte(p, PT0_GPA, i) = f | X_P | X_RW | X_US | X_NX;
		else
			*pvm_pte(p, PT0_GPA, i) = f | X_P | X_RW | X_NX;
	}
}

#define CPUID_SVM_LEAF	0x80000001
#define CPUID_SVM_ECX	(1U << 2)
#define CPUID_VMX_LEAF	0x1
#define CPUID_VMX_ECX	(1U << 5)

/* pvm_cpuid_fd()'s @nested */
#define NESTED_SVM	(1U << 0)	/* keep SVM, if KVM offers it */
#define NESTED_VMX	(1U << 1)	/* set VMX (KVM accepts it on AMD) */

/*
 * KVM's supported CPUID on vCPU @fd, with SVM or VMX (nested
 * virtualization) only as @nested asks: pwsp refuses to enforce for a
 * guest that has either.
 */
static inline int pvm_cpuid_fd(struct pvm *p, int fd, unsigned int nested)
{
	struct kvm_cpuid2 *c;
	unsigned int i;
	int ret = 0;

	c = calloc(1, sizeof(*c) + 200 * sizeof(c->entries[0]));
	if (!c)
		return -ENOMEM;
	c->nent = 200;
	if (ioctl(p->kvm, KVM_GET_SUPPORTED_CPUID, c)) {
		free(c);
		return -errno;
	}
	for (i = 0; i < c->nent; i++) {
		if (c->entries[i].function == 0x80000008)
			p->maxphyaddr = c->entries[i].eax & 0xff;
		if (c->entries[i].function == CPUID_SVM_LEAF && !(nested & NESTED_SVM))
			c->entries[i].ecx &= ~CPUID_SVM_ECX;
		if (c->entries[i].function == CPUID_VMX_LEAF) {
			c->entries[i].ecx &= ~CPUID_VMX_ECX;
			if (nested & NESTED_VMX)
				c->entries[i].ecx |= CPUID_VMX_ECX;
		}
	}
	if (ioctl(fd, KVM_SET_CPUID2, c))
		ret = -errno;
	free(c);
	return ret;
}

static inline int pvm_cpuid(struct pvm *p)
{
	return pvm_cpuid_fd(p, p->vcpu, 0);
}

static inline void seg64(struct kvm_segment *s, unsigned int type, unsigned int sel,
			 int code)
{
	*s = (struct kvm_segment){
		.base = 0, .limit = 0xffffffff, .selector = sel, .type = type,
		.present = 1, .dpl = 0, .db = !code, .s = 1, .l = code, .g = 1,
	};
}

/* The VM with the agent, stopped before its first instruction. */
static inline int pvm_create(struct pvm *p, unsigned int scenario)
{
	struct kvm_userspace_memory_region slot = {
		.slot = 0, .memory_size = MEM_SIZE,
	};
	struct kvm_regs regs = { .rip = AGENT_CODE, .rsp = STACK_TOP, .rflags = 2 };
	struct kvm_sregs sregs;
	uint64_t *gdt;

	memset(p, 0, sizeof(*p));
	p->vm = p->vcpu = p->dev = -1;
	p->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (p->kvm < 0)
		return -errno;
	p->vm = ioctl(p->kvm, KVM_CREATE_VM, 0);
	if (p->vm < 0)
		return -errno;
	p->mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p->mem == MAP_FAILED)
		return -ENOMEM;
	memcpy(p->mem + AGENT_CODE, _binary_agent_bin_start,
	       _binary_agent_bin_end - _binary_agent_bin_start);
	p->ctl = (struct agent_ctl *)(p->mem + CTL_GPA);
	p->ctl->scenario = scenario;
	gdt = (uint64_t *)(p->mem + GDT_GPA);
	gdt[1] = 0x00af9b000000ffffULL;		/* 0x08: 64-bit code */
	gdt[2] = 0x00cf93000000ffffULL;		/* 0x10: data */
	pvm_tables(p);
	slot.userspace_addr = (unsigned long)p->mem;
	if (ioctl(p->vm, KVM_SET_USER_MEMORY_REGION, &slot))
		return -errno;
	p->vcpu = ioctl(p->vm, KVM_CREATE_VCPU, 0);
	if (p->vcpu < 0)
		return -errno;
	if (pvm_cpuid(p))
		return -errno;
	p->run_size = ioctl(p->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	p->run = mmap(NULL, p->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, p->vcpu, 0);
	if (p->run == MAP_FAILED || ioctl(p->vcpu, KVM_GET_SREGS, &sregs))
		return -errno;
	seg64(&sregs.cs, 11, 0x08, 1);
	seg64(&sregs.ds, 3, 0x10, 0);
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	sregs.gdt.base = GDT_GPA;
	sregs.gdt.limit = 23;
	sregs.cr0 = 0x80050033;		/* PG WP NE ET MP PE */
	sregs.cr4 = 0x20;		/* PAE */
	sregs.cr3 = PML4_GPA;
	sregs.efer = 0xd00;		/* NXE LMA LME */
	if (ioctl(p->vcpu, KVM_SET_SREGS, &sregs) || ioctl(p->vcpu, KVM_SET_REGS, &regs))
		return -errno;
	return 0;
}

/* The policy matching agent.h's layout. */
static inline int pvm_policy(struct pvm *p)
{
	struct pwsp_range r[] = {
		{ .gfn = 0, .nr_pages = MEM_SIZE >> 12, .type = PWSP_RANGE_RAM },
		{ .gfn = TEXT_FIRST, .nr_pages = TEXT_PAGES, .type = PWSP_RANGE_TEXT },
		{ .gfn = KONLY_GPA >> 12, .nr_pages = 1, .type = PWSP_RANGE_KERNEL_ONLY },
		{ .gfn = PROT_GPA >> 12, .nr_pages = 1, .type = PWSP_RANGE_PROTECTED },
		{ .gfn = PROT_RO_GPA >> 12, .nr_pages = 1, .type = PWSP_RANGE_PROTECTED_RO },
	};
	struct pwsp_policy pol = {
		.maxphyaddr = p->maxphyaddr, .nxe = 1, .levels = 4, .gbpages = 1,
		.nr_ranges = 5, .ranges = (unsigned long)r,
	};

	return ioctl(p->dev, PWSP_IOC_SET_POLICY, &pol) ? -errno : 0;
}

/* Open a session, attach it, set the policy and protect the root. */
static inline int pvm_protect(struct pvm *p, unsigned int flags, int efd,
			      unsigned int *mode)
{
	struct pwsp_attach a = { .vm_fd = p->vm, .eventfd = efd, .flags = flags };
	struct pwsp_root root = { .gpa = PML4_GPA };

	p->dev = open(DEV, O_RDWR | O_CLOEXEC);
	if (p->dev < 0)
		return -errno;
	if (ioctl(p->dev, PWSP_IOC_ATTACH, &a))
		return -errno;
	if (mode)
		*mode = a.mode;
	if (pvm_policy(p))
		return -errno;
	return ioctl(p->dev, PWSP_IOC_PROTECT_ROOT, &root) ? -errno : 0;
}

/* Run until the agent reports: its port, or -errno of KVM_RUN, or -1000. */
static inline int pvm_run(struct pvm *p)
{
	struct kvm_regs regs;

	for (;;) {
		if (ioctl(p->vcpu, KVM_RUN, 0)) {
			if (errno == EINTR)
				continue;
			snprintf(p->why, sizeof(p->why), "KVM_RUN: %s", strerror(errno));
			return -errno;
		}
		if (p->run->exit_reason == KVM_EXIT_IO)
			return p->run->io.port;
		ioctl(p->vcpu, KVM_GET_REGS, &regs);
		snprintf(p->why, sizeof(p->why), "exit %u at rip %#llx",
			 p->run->exit_reason, (unsigned long long)regs.rip);
		return -1000;
	}
}

static inline void pvm_destroy(struct pvm *p)
{
	if (p->dev >= 0)
		close(p->dev);
	if (p->run && p->run != MAP_FAILED)
		munmap(p->run, p->run_size);
	if (p->vcpu >= 0)
		close(p->vcpu);
	if (p->vm >= 0)
		close(p->vm);
	if (p->mem && p->mem != MAP_FAILED)
		munmap(p->mem, MEM_SIZE);
	if (p->kvm >= 0)
		close(p->kvm);
	memset(p, 0, sizeof(*p));
	p->kvm = p->vm = p->vcpu = p->dev = -1;
}

static inline int npt_enabled(void)
{
	char c = 0;
	int fd = open(NPT, O_RDONLY);

	if (fd < 0)
		return -1;
	if (read(fd, &c, 1) != 1)
		c = 0;
	close(fd);
	return c == 'Y' || c == '1';
}

/*
 * Reload kvm_amd with npt=@on, if it is a module and no VM holds it.
 * The suite's modules use kvm, not kvm_amd, so they stay loaded.
 * Returns 0 once npt is as asked, -1 if it cannot be.
 */
static inline int npt_set(int on)
{
	char cmd[128];

	if (npt_enabled() == on)
		return 0;
	if (access("/sys/module/kvm_amd/refcnt", F_OK))
		return -1;	/* built in: kvm_amd.npt= on the command line */
	snprintf(cmd, sizeof(cmd), "modprobe -r kvm_amd && modprobe kvm_amd npt=%d", on);
	if (system(cmd))
		return -1;
	return npt_enabled() == on ? 0 : -1;
}

/*
 * For the kselftests (after kselftest_harness.h): the fixture @name with
 * a struct pvm, skipping without /dev/kvm or pwsp (failing under
 * MEMVIRT_REQUIRE), and kvm_amd's npt put back as found once every test
 * is done (the harness ends with exit(), in the parent).
 */
#define PVM_TEST_FIXTURE(name)						\
static int npt_at_start = -1;						\
static pid_t main_pid;							\
__attribute__((constructor)) static void remember_npt(void)		\
{									\
	npt_at_start = npt_enabled();					\
	main_pid = getpid();						\
}									\
__attribute__((destructor)) static void restore_npt(void)		\
{									\
	if (getpid() == main_pid && npt_at_start >= 0 && npt_set(npt_at_start)) \
		fprintf(stderr, "# could not set kvm_amd npt back to %d\n", npt_at_start); \
}									\
FIXTURE(name) {								\
	struct pvm p;							\
};									\
FIXTURE_SETUP(name)							\
{									\
	self->p.kvm = self->p.vm = self->p.vcpu = self->p.dev = -1;	\
	/* A skip ends the setup: the harness stops at its exit code. */ \
	if (access("/dev/kvm", R_OK | W_OK) || access(DEV, R_OK | W_OK)) { \
		if (!getenv("MEMVIRT_REQUIRE")) {			\
			SKIP(, "no /dev/kvm or pwsp not loaded");	\
		} else {						\
			EXPECT_EQ(0, access(DEV, R_OK | W_OK));		\
			EXPECT_EQ(0, access("/dev/kvm", R_OK | W_OK));	\
		}							\
	}								\
}									\
FIXTURE_TEARDOWN(name)							\
{									\
	pvm_destroy(&self->p);						\
}

#endif /* _PWSP_PVM_H */
