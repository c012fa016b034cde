/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal VMM for the nested_notify tests, bench and demo: one KVM VM
 * with an in-kernel irqchip and two vCPUs entered in 64-bit long mode
 * with paging, running the L1 agent (agent.c, embedded as
 * _binary_agent_bin_*). It registers the doorbell as a KVM_IOEVENTFD
 * (port PORT_DB, or the MMIO address AG_MMIO_DB), routes GSI 1 as an
 * MSI to vCPU 1 (vector AG_VEC) and wires an irqfd to it, and passes
 * L1's table base on to the module when L1 writes it to PORT_TABLE.
 */
#ifndef _NN_VMM_H
#define _NN_VMM_H

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/kvm.h>
#include <linux/nested_notify.h>

#include "nn_agent.h"

#define NN_DEV		"/dev/nested_notify"
#define NN_SYSFS	"/sys/kernel/mm/nested_notify/"
#define VM_WAIT_S	240
/* No progress at all for this long is a stall (vmm_wait()). */
#define VM_STALL_S	60

extern const char _binary_agent_bin_start[], _binary_agent_bin_end[];

/* VMM_* flags of vmm_create() */
#define VMM_MODULE	(1 << 0)	/* attach nested_notify (else no consumer) */
#define VMM_MMIO_DB	(1 << 1)	/* the doorbell is MMIO, not a port */
#define VMM_NO_IRQ	(1 << 2)	/* the device gets no irqfd */

struct vmm {
	int kvm, vm, vcpu[2], dev, ctx;
	int db, irq;			/* doorbell and irqfd eventfds */
	struct kvm_run *run[2];
	size_t run_size;
	unsigned char *mem;
	struct ag_ctl *ctl;
	pthread_t th[2];
	bool started[2];
	int state[2];			/* 1 done, <0 failed */
	int set_table_err;		/* SET_TABLE's errno, or 0 */
	int stopping;			/* vmm_destroy() stops the vCPUs */
	char why[2][160];
};

static inline double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct vmm_arg {
	struct vmm *v;
	int i;
};

static struct vmm_arg vmm_args[2];

static inline void *vmm_vcpu_thread(void *arg)
{
	struct vmm_arg *a = arg;
	struct vmm *v = a->v;
	int i = a->i;
	struct kvm_run *r = v->run[i];

	for (;;) {
		int ret = ioctl(v->vcpu[i], KVM_RUN, 0);

		if (ret < 0 && errno == EINTR) {
			if (__atomic_load_n(&v->stopping, __ATOMIC_ACQUIRE))
				return NULL;
			continue;
		}
		if (ret < 0) {
			snprintf(v->why[i], sizeof(v->why[i]), "KVM_RUN: %s", strerror(errno));
			__atomic_store_n(&v->state[i], -errno, __ATOMIC_RELEASE);
			return NULL;
		}
		if (r->exit_reason == KVM_EXIT_IO && r->io.direction == KVM_EXIT_IO_OUT) {
			uint32_t val = *(uint32_t *)((char *)r + r->io.data_offset);

			if (r->io.port == PORT_TABLE) {
				struct nested_notify_table t = { .gpa = val, .nr_entries = 4 };

				if (v->ctx >= 0 && ioctl(v->ctx, NESTED_NOTIFY_IOC_SET_TABLE, &t))
					v->set_table_err = errno;
				continue;
			}
			if (r->io.port == PORT_DONE) {
				__atomic_store_n(&v->state[i], 1, __ATOMIC_RELEASE);
				return NULL;
			}
			if (r->io.port == PORT_FAIL) {
				snprintf(v->why[i], sizeof(v->why[i]),
					 "agent failed: why %#x val %#x", v->ctl->why, v->ctl->why_val);
				__atomic_store_n(&v->state[i], -1000, __ATOMIC_RELEASE);
				return NULL;
			}
		}
		snprintf(v->why[i], sizeof(v->why[i]), "vcpu %d: exit %u port %#x gpa %#llx", i,
			 r->exit_reason, r->io.port, (unsigned long long)r->mmio.phys_addr);
		__atomic_store_n(&v->state[i], -1002, __ATOMIC_RELEASE);
		return NULL;
	}
}

static inline void vmm_seg(struct kvm_segment *s, unsigned int type, unsigned int sel, int l)
{
	*s = (struct kvm_segment){
		.base = 0, .limit = 0xffffffff, .selector = sel, .type = type,
		.present = 1, .dpl = 0, .db = !l, .s = 1, .l = l, .g = 1,
	};
}

/* L1's GDT and page tables (nn_agent.h's layout). */
static inline void vmm_build_l1(struct vmm *v)
{
	uint64_t *gdt = (uint64_t *)(v->mem + AG_GDT);
	uint64_t *pml4 = (uint64_t *)(v->mem + AG_PML4);
	uint64_t *pdpt = (uint64_t *)(v->mem + AG_PDPT);
	uint64_t *pd = (uint64_t *)(v->mem + AG_PD);
	int i;

	gdt[1] = 0x00af9b000000ffffULL;		/* 64-bit code */
	gdt[2] = 0x00cf93000000ffffULL;		/* data */
	pml4[0] = AG_PDPT | 3;
	pdpt[0] = AG_PD | 3;
	pdpt[1] = (AG_PD + 0x1000) | 3;
	for (i = 0; i < 1024; i++)
		pd[i] = ((uint64_t)i << 21) | 0x83;
	pml4[1] = AG_RING_PDPT | 3;
	((uint64_t *)(v->mem + AG_RING_PDPT))[0] = AG_RING_PD | 3;
	((uint64_t *)(v->mem + AG_RING_PD))[0] = AG_RING_PT | 3;
	for (i = 0; i < RING_PAGES; i++)
		((uint64_t *)(v->mem + AG_RING_PT))[i] = (AG_RING_GPA + i * 4096ULL) | 3;
}

static inline int vmm_cpuid(struct vmm *v, int vcpu)
{
	struct { struct kvm_cpuid2 c; struct kvm_cpuid_entry2 e[100]; } cp = {
		.c.nent = 100,
	};

	if (ioctl(v->kvm, KVM_GET_SUPPORTED_CPUID, &cp))
		return -errno;
	return ioctl(v->vcpu[vcpu], KVM_SET_CPUID2, &cp) ? -errno : 0;
}

/* The MSI route to vCPU 1 and its irqfd. */
static inline int vmm_irq(struct vmm *v)
{
	struct { struct kvm_irq_routing r; struct kvm_irq_routing_entry e[1]; } rt = {
		.r.nr = 1,
		.e[0] = { .gsi = 1, .type = KVM_IRQ_ROUTING_MSI,
			  .u.msi = { .address_lo = 0xfee00000 | (1 << 12), .data = AG_VEC } },
	};
	struct kvm_irqfd irqfd = { .gsi = 1 };

	if (ioctl(v->vm, KVM_SET_GSI_ROUTING, &rt))
		return -errno;
	v->irq = eventfd(0, EFD_CLOEXEC);
	irqfd.fd = v->irq;
	return ioctl(v->vm, KVM_IRQFD, &irqfd) ? -errno : 0;
}

static inline int vmm_doorbell(struct vmm *v, bool mmio)
{
	struct kvm_ioeventfd io = {
		.addr = mmio ? AG_MMIO_DB : PORT_DB, .len = 4,
		.flags = mmio ? 0 : KVM_IOEVENTFD_FLAG_PIO,
	};

	v->db = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	io.fd = v->db;
	return ioctl(v->vm, KVM_IOEVENTFD, &io) ? -errno : 0;
}

/* Tie the doorbell to the module's entry AG_ENTRY. */
static inline int vmm_attach(struct vmm *v, bool irq)
{
	struct nested_notify_create c = { .vm_fd = v->vm };
	struct nested_notify_device d = {
		.doorbell_fd = v->db, .irq_fd = irq ? v->irq : -1, .entry = AG_ENTRY,
	};

	v->dev = open(NN_DEV, O_RDWR | O_CLOEXEC);
	if (v->dev < 0)
		return -errno;
	v->ctx = ioctl(v->dev, NESTED_NOTIFY_IOC_CREATE, &c);
	if (v->ctx < 0)
		return -errno;
	return ioctl(v->ctx, NESTED_NOTIFY_IOC_ADD_DEVICE, &d) ? -errno : 0;
}

/* The VM, stopped before its first run; @ctl_init fills the control block. */
static inline int vmm_create(struct vmm *v, unsigned int flags, const struct ag_ctl *ctl_init)
{
	struct kvm_userspace_memory_region slot = { 0 };
	struct kvm_mp_state mp = { KVM_MP_STATE_RUNNABLE };
	int i, ret;

	memset(v, 0, sizeof(*v));
	v->dev = v->ctx = v->db = v->irq = v->vcpu[0] = v->vcpu[1] = v->vm = -1;
	v->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (v->kvm < 0)
		return -ENODEV;
	v->vm = ioctl(v->kvm, KVM_CREATE_VM, 0);
	if (v->vm < 0)
		return -errno;
	v->mem = mmap(NULL, AG_MEM, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (v->mem == MAP_FAILED)
		return -ENOMEM;
	memcpy(v->mem + AG_CODE, _binary_agent_bin_start,
	       _binary_agent_bin_end - _binary_agent_bin_start);
	v->ctl = (struct ag_ctl *)(v->mem + AG_CTL);
	*v->ctl = *ctl_init;
	vmm_build_l1(v);
	slot.memory_size = AG_MEM;
	slot.userspace_addr = (unsigned long)v->mem;
	if (ioctl(v->vm, KVM_SET_USER_MEMORY_REGION, &slot))
		return -errno;
	if (ioctl(v->vm, KVM_CREATE_IRQCHIP, 0))
		return -errno;
	ret = vmm_irq(v);
	if (!ret)
		ret = vmm_doorbell(v, flags & VMM_MMIO_DB);
	if (!ret && (flags & VMM_MODULE))
		ret = vmm_attach(v, !(flags & VMM_NO_IRQ));
	if (ret)
		return ret;
	v->run_size = ioctl(v->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	for (i = 0; i < 2; i++) {
		struct kvm_sregs sregs;
		struct kvm_regs regs = {
			.rip = AG_CODE, .rsp = (i ? AG_STACK1 : AG_STACK0) - 8,
			.rflags = 2, .rdi = i,
		};

		v->vcpu[i] = ioctl(v->vm, KVM_CREATE_VCPU, i);
		if (v->vcpu[i] < 0)
			return -errno;
		v->run[i] = mmap(NULL, v->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
				 v->vcpu[i], 0);
		if (v->run[i] == MAP_FAILED)
			return -errno;
		ret = vmm_cpuid(v, i);
		if (ret)
			return ret;
		if (ioctl(v->vcpu[i], KVM_GET_SREGS, &sregs))
			return -errno;
		vmm_seg(&sregs.cs, 11, 8, 1);
		vmm_seg(&sregs.ds, 3, 16, 0);
		sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
		sregs.gdt.base = AG_GDT;
		sregs.gdt.limit = 23;
		sregs.cr0 = 0x80050033;		/* PG, AM, WP, NE, ET, MP, PE */
		sregs.cr3 = AG_PML4;
		sregs.cr4 = 0x20;		/* PAE */
		sregs.efer = 0x500;		/* LMA, LME */
		if (ioctl(v->vcpu[i], KVM_SET_SREGS, &sregs) ||
		    ioctl(v->vcpu[i], KVM_SET_REGS, &regs))
			return -errno;
		/* vCPU 1 starts running too, with no INIT-SIPI-SIPI. */
		if (i && ioctl(v->vcpu[i], KVM_SET_MP_STATE, &mp))
			return -errno;
	}
	return 0;
}

static inline void vmm_sig(int sig)
{
}

static inline int vmm_start(struct vmm *v)
{
	struct sigaction sa = { .sa_handler = vmm_sig };
	int i;

	sigaction(SIGUSR1, &sa, NULL);
	for (i = 0; i < 2; i++) {
		vmm_args[i] = (struct vmm_arg){ v, i };
		if (pthread_create(&v->th[i], NULL, vmm_vcpu_thread, &vmm_args[i]))
			return -1;
		v->started[i] = true;
	}
	return 0;
}

/* Wake vCPU 1 (as the device's interrupt would). */
static inline void vmm_kick(struct vmm *v)
{
	uint64_t one = 1;

	if (v->irq >= 0 && write(v->irq, &one, sizeof(one)) != sizeof(one))
		perror("irqfd");
}

static inline struct nested_notify_info vmm_info(struct vmm *v)
{
	struct nested_notify_info info = { 0 };

	if (v->ctx >= 0)
		ioctl(v->ctx, NESTED_NOTIFY_IOC_INFO, &info);
	return info;
}

/* Everything the agent counts as it goes: unchanged means no progress. */
static inline unsigned long long vmm_progress(const struct ag_ctl *c)
{
	return c->l2_rung + c->consumed + c->records + c->irqs + c->irqs_unacked +
	       c->disarms + c->sleeps + c->flushes + c->ipis + c->polled + c->remaps;
}

/* What a stalled run was doing, on stderr: the agent's, the ring's and L0's side. */
static inline void vmm_report_stall(struct vmm *v, int i, double secs)
{
	const struct ag_ctl *c = v->ctl;
	const struct nested_notify_ring *r = (const void *)(v->mem +
		(c->remaps ? AG_RING_GPA2 : AG_RING_GPA));
	struct nested_notify_info info = vmm_info(v);

	snprintf(v->why[i], sizeof(v->why[i]), "vcpu %d: no progress for %.0f s", i, secs);
	fprintf(stderr,
		"# stalled: vcpu %d, no progress for %.0f s: L2 rang %llu, L1 consumed %llu in %llu records, irqs %llu (unacked %llu), disarms %llu, sleeps %llu, flushes %llu; ring prod %u cons %u armed %u flags %#x; module doorbells %llu pending %llu interrupts %llu\n",
		i, secs, c->l2_rung, c->consumed, c->records, c->irqs, c->irqs_unacked,
		c->disarms, c->sleeps, c->flushes, r->prod, r->cons, r->armed, r->flags,
		(unsigned long long)info.doorbells, (unsigned long long)info.pending,
		(unsigned long long)info.interrupts);
}

/*
 * Wait until vCPU @i is done or failed: its state; 0 when it is not
 * done after @secs, or when the agent made no progress at all for
 * VM_STALL_S (a stall, reported on stderr), so that a wakeup lost under
 * the emulator fails the run within a bounded time instead of hanging.
 */
static inline int vmm_wait(struct vmm *v, int i, double secs)
{
	double now = now_s(), end = now + secs, moved = now;
	unsigned long long seen = vmm_progress(v->ctl);
	int s;

	while (!(s = __atomic_load_n(&v->state[i], __ATOMIC_ACQUIRE)) && now < end) {
		unsigned long long p;

		usleep(2000);
		now = now_s();
		p = vmm_progress(v->ctl);
		if (p != seen) {
			seen = p;
			moved = now;
		} else if (now - moved > VM_STALL_S) {
			vmm_report_stall(v, i, now - moved);
			return 0;
		}
	}
	return s;
}

static inline void vmm_destroy(struct vmm *v)
{
	int i;

	__atomic_store_n(&v->stopping, 1, __ATOMIC_RELEASE);
	for (i = 0; i < 2; i++)
		if (v->started[i]) {
			pthread_kill(v->th[i], SIGUSR1);
			pthread_join(v->th[i], NULL);
		}
	for (i = 0; i < 2; i++) {
		if (v->run[i] && v->run[i] != MAP_FAILED)
			munmap(v->run[i], v->run_size);
		if (v->vcpu[i] >= 0)
			close(v->vcpu[i]);
	}
	if (v->ctx >= 0)
		close(v->ctx);
	if (v->dev >= 0)
		close(v->dev);
	if (v->db >= 0)
		close(v->db);
	if (v->irq >= 0)
		close(v->irq);
	if (v->vm >= 0)
		close(v->vm);
	if (v->mem && v->mem != MAP_FAILED)
		munmap(v->mem, AG_MEM);
	if (v->kvm >= 0)
		close(v->kvm);
}

#endif /* _NN_VMM_H */
