/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal VMM for the thp_encvm tests and demo: one vCPU in 32-bit
 * flat protected mode running the guest agent (agent.c, embedded as
 * _binary_agent_bin_*), slot 0 for its code and data, slot 1 a
 * scattered thp_encvm object. The agent either polls the ring or, as a
 * guest kernel would, sleeps until the module's eventfd, wired as an
 * irqfd into KVM's in-kernel PIC, interrupts it.
 */
#ifndef _TE_TVM_H
#define _TE_TVM_H

#include <pthread.h>
#include <stdbool.h>
#include <signal.h>
#include <stdint.h>
#include <sys/eventfd.h>

#include <linux/kvm.h>

#include "agent.h"
#include "te_util.h"

extern const char _binary_agent_bin_start[], _binary_agent_bin_end[];

/*
 * The longest one wait for the guest may take. Limits nest: a wait
 * (240 s) < a test (TEST_F_TIMEOUT, 300-600 s) < the binary (settings,
 * 1200 s) < the VM (tier-host.sh) < CI.
 */
#define VM_WAIT_S	240

struct tvm {
	int kvm, vm, vcpu, dev, obj;
	int efd;		/* the irqfd, or -1 (0: never created) */
	int dfd;		/* the doorbell's ioeventfd, or -1 (0: never created) */
	struct kvm_run *run;
	size_t run_size;
	void *slot0;
	char *map;
	struct agent_ctl *ctl;
	struct thp_encvm_ring *ring;
	pthread_t th;
	bool th_started;
	int state;		/* 1 filled, 2 verified, 3 halted, <0 error */
	unsigned char pio_out[2][PIO_LEN];	/* the guest's rep outsb */
	unsigned int pio_outs, pio_ins;		/* bytes so far */
	unsigned char pio_xfer[PIO_LEN];	/* OBJ_PIO, read with IOC_XFER */
	int pio_xfer_err[2];	/* errno of IOC_XFER: exclusion range, private */
	char why[128];		/* what ended the vCPU, for the log */
	unsigned long efaults;	/* KVM_RUN's EFAULTs retried (see vcpu_thread) */
	unsigned int displaced;	/* pages the guest's conversions displaced */
	bool fault_in_guest;	/* no tvm_prefault(): the guest's own accesses fault */
	bool pause, paused;	/* tvm_pause(): the vCPU stays out of KVM_RUN */
};

/*
 * KVM_RUN fails with EFAULT when the module unmaps a page of the object
 * right while KVM faults it in: KVM's hva_to_pfn_remapped() faults the
 * page into the VMM's mapping, then looks it up again, and that second
 * lookup finds it gone; KVM (6.12) reports the error instead of trying
 * again. The guest's instruction did not run, so the VMM runs the vCPU
 * again. Only so many times in a row: an address that really is bad
 * fails every time.
 */
#define TVM_EFAULT_RETRIES	1000

/* Say what the vCPU's last exit was, and where. */
static inline void tvm_explain(struct tvm *t)
{
	struct kvm_run *r = t->run;
	struct kvm_regs regs = { 0 };
	int n;

	ioctl(t->vcpu, KVM_GET_REGS, &regs);
	n = snprintf(t->why, sizeof(t->why), "exit %u at rip %#llx", r->exit_reason,
		     (unsigned long long)regs.rip);
	if (r->exit_reason == KVM_EXIT_INTERNAL_ERROR)
		snprintf(t->why + n, sizeof(t->why) - n, ", suberror %u, data %#llx %#llx",
			 r->internal.suberror,
			 r->internal.ndata > 0 ? (unsigned long long)r->internal.data[0] : 0ULL,
			 r->internal.ndata > 1 ? (unsigned long long)r->internal.data[1] : 0ULL);
	else if (r->exit_reason == KVM_EXIT_IO)
		snprintf(t->why + n, sizeof(t->why) - n, ", port %#x", r->io.port);
	else if (r->exit_reason == KVM_EXIT_MMIO)
		snprintf(t->why + n, sizeof(t->why) - n, ", gpa %#llx",
			 (unsigned long long)r->mmio.phys_addr);
}

static inline int tvm_xfer(struct tvm *t, unsigned long long gpa, void *buf,
			   unsigned int len, unsigned int write)
{
	struct thp_encvm_xfer x = {
		.gpa = gpa, .len = len, .buf = (unsigned long)buf, .write = write,
	};

	return ioctl(t->obj, THP_ENCVM_IOC_XFER, &x) ? errno : 0;
}

/*
 * The guest's KVM_HC_MAP_GPA_RANGE (KVM_CAP_EXIT_HYPERCALL): a page that
 * goes back to private is one the conversion moved out of its 2 MiB
 * block (THP_ENCVM_IOC_DISPLACE, CONVERT), as SEV's host moves a page
 * it had shared; going shared changes nothing in this model. The
 * hypercall returns DISPLACE's errno, or 0.
 */
static inline void tvm_map_gpa(struct tvm *t)
{
	unsigned long long gpa = t->run->hypercall.args[0];
	struct thp_encvm_displace d = { .event = THP_ENCVM_DISPLACE_CONVERT, .node = -1 };
	unsigned long long i;
	long ret = 0;

	for (i = 0; i < t->run->hypercall.args[1] && !ret; i++) {
		if (!(t->run->hypercall.args[2] & AGENT_MAP_ENCRYPTED))
			break;
		d.offset = agent_page(t->ctl, gpa + i * 4096) * 4096ULL;
		if (ioctl(t->obj, THP_ENCVM_IOC_DISPLACE, &d))
			ret = errno;
		else
			__atomic_fetch_add(&t->displaced, 1, __ATOMIC_RELAXED);
	}
	t->run->hypercall.ret = ret;
}

/*
 * The guest's string I/O on PORT_PIO: keep what it sends (KVM read it
 * from the guest's buffer), and read the exclusion range's copy with
 * THP_ENCVM_IOC_XFER, as a VMM of an encrypted guest must; a private
 * page is refused. For rep insb, hand over pio_byte() and write the
 * reply after the guest's buffer, again through the exclusion range.
 */
static inline void tvm_pio(struct tvm *t)
{
	unsigned char *data = (unsigned char *)t->run + t->run->io.data_offset;
	unsigned int n = t->run->io.size * t->run->io.count, i;
	unsigned char reply[PIO_LEN];

	/* KVM may split the string into several exits (one a byte, out). */
	if (t->run->io.direction == KVM_EXIT_IO_OUT) {
		for (i = 0; i < n && t->pio_outs < 2 * PIO_LEN; i++, t->pio_outs++)
			t->pio_out[t->pio_outs / PIO_LEN][t->pio_outs % PIO_LEN] = data[i];
		if (t->pio_outs == 2 * PIO_LEN) {
			t->pio_xfer_err[0] = tvm_xfer(t, OBJ_GPA + OBJ_PIO, t->pio_xfer,
						      PIO_LEN, 0);
			t->pio_xfer_err[1] = tvm_xfer(t, OBJ_GPA + PIO_PAGE * 4096ULL,
						      reply, PIO_LEN, 0);
		}
		return;
	}
	if (!t->pio_ins) {
		for (i = 0; i < PIO_LEN; i++)
			reply[i] = pio_byte(i, 1);
		tvm_xfer(t, OBJ_GPA + OBJ_PIO + 2 * PIO_LEN, reply, PIO_LEN, 1);
	}
	for (i = 0; i < n; i++)
		data[i] = pio_byte(t->pio_ins + i, 0);
	__atomic_store_n(&t->pio_ins, t->pio_ins + n, __ATOMIC_RELEASE);
}

static inline void *vcpu_thread(void *arg)
{
	struct tvm *t = arg;
	unsigned int efaults = 0;

	for (;;) {
		int ret;

		if (__atomic_load_n(&t->pause, __ATOMIC_ACQUIRE)) {
			__atomic_store_n(&t->paused, true, __ATOMIC_RELEASE);
			while (__atomic_load_n(&t->pause, __ATOMIC_ACQUIRE))
				usleep(1000);
			__atomic_store_n(&t->paused, false, __ATOMIC_RELEASE);
		}
		ret = ioctl(t->vcpu, KVM_RUN, 0);
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret < 0 && errno == EFAULT && ++efaults <= TVM_EFAULT_RETRIES) {
			__atomic_fetch_add(&t->efaults, 1, __ATOMIC_RELAXED);
			continue;
		}
		if (!ret)
			efaults = 0;
		if (ret < 0) {
			snprintf(t->why, sizeof(t->why), "KVM_RUN: %s", strerror(errno));
			__atomic_store_n(&t->state, -errno, __ATOMIC_RELEASE);
			return NULL;
		}
		if (t->run->exit_reason == KVM_EXIT_IO &&
		    t->run->io.port == PORT_PIO) {
			tvm_pio(t);
			continue;
		}
		if (t->run->exit_reason == KVM_EXIT_IO &&
		    t->run->io.port == PORT_EXC) {
			snprintf(t->why, sizeof(t->why),
				 "guest exception %u, stack %#x %#x",
				 t->ctl->exc[0], t->ctl->exc[1], t->ctl->exc[2]);
			__atomic_store_n(&t->state, -1001, __ATOMIC_RELEASE);
			return NULL;
		}
		if (t->run->exit_reason == KVM_EXIT_HYPERCALL &&
		    t->run->hypercall.nr == AGENT_HC_MAP_GPA_RANGE) {
			tvm_map_gpa(t);
			continue;
		}
		if (t->run->exit_reason == KVM_EXIT_IO &&
		    t->run->io.port == PORT_FILLED) {
			__atomic_store_n(&t->state, 1, __ATOMIC_RELEASE);
			continue;
		}
		if (t->run->exit_reason == KVM_EXIT_IO &&
		    t->run->io.port == PORT_VERIFIED) {
			/* Done: with an in-kernel irqchip, HLT never exits. */
			__atomic_store_n(&t->state, 2, __ATOMIC_RELEASE);
			return NULL;
		}
		/* HLT ends the agent; anything else is a failure. */
		if (t->run->exit_reason != KVM_EXIT_HLT) {
			tvm_explain(t);
			__atomic_store_n(&t->state, -1000, __ATOMIC_RELEASE);
		}
		return NULL;
	}
}

static inline void flat_seg(struct kvm_segment *s, unsigned int type, unsigned int sel)
{
	*s = (struct kvm_segment){
		.base = 0, .limit = 0xffffffff, .selector = sel, .type = type,
		.present = 1, .dpl = 0, .db = 1, .s = 1, .l = 0, .g = 1,
	};
}

/*
 * In tvm_create_notify()'s @flags: an encrypted object; one in blocks;
 * a vCPU with KVM's supported CPUID (XSAVE, AVX, KVM's PV features)
 * whose agent makes its dirty writes with AVX stores.
 */
#define TVM_ENCRYPTED	(1U << 31)
#define TVM_BLOCKS	(1U << 30)
#define TVM_AVX		(1U << 29)
/* Two memslots map the object, with a hole between them (SPLIT_PAGE). */
#define TVM_SPLIT	(1U << 28)
/* No memslot maps the object's pages [GAP_PAGE, GAP_PAGE + GAP_PAGES). */
#define TVM_GAP		(1U << 27)
/* The VMM writes the launch image (LAUNCH_PAGE) before ATTACH. */
#define TVM_LAUNCH	(1U << 26)
/* With TVM_SPLIT: the hole is SKEW_HOLE, not a multiple of 2 MiB. */
#define TVM_SKEW	(1U << 25)
/*
 * With TVM_SPLIT: no hole. Slot 2 continues slot 1 at consecutive gfns,
 * its edge at SPLIT_PAGE, 1 MiB into window 4: one memslot split in two.
 */
#define TVM_EDGE	(1U << 24)
#define TVM_FLAGS	(TVM_ENCRYPTED | TVM_BLOCKS | TVM_AVX | TVM_SPLIT | TVM_GAP | \
			 TVM_LAUNCH | TVM_SKEW | TVM_EDGE)

/* Give the vCPU every CPUID feature KVM supports. */
static inline int tvm_set_cpuid(struct tvm *t)
{
	struct kvm_cpuid2 *c = NULL;
	unsigned int n = 64;
	int ret;

	for (;;) {
		free(c);
		c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));
		if (!c)
			return -ENOMEM;
		c->nent = n;
		if (!ioctl(t->kvm, KVM_GET_SUPPORTED_CPUID, c))
			break;
		ret = -errno;
		if (ret != -E2BIG || n >= 4096) {
			free(c);
			return ret;
		}
		n *= 2;
	}
	ret = ioctl(t->vcpu, KVM_SET_CPUID2, c) ? -errno : 0;
	free(c);
	return ret;
}

/*
 * The VM, its object and the agent, stopped before its first run. With
 * NOTIFY_IRQ the VM gets an in-kernel irqchip and an irqfd, which is
 * the eventfd given to ATTACH; otherwise ATTACH gets @notify_fd.
 * ATTACH gets @flags (THP_ENCVM_ATTACH_*); with TVM_ENCRYPTED in them
 * the object is THP_ENCVM_CREATE_ENCRYPTED, and its agent uses its
 * accessors; with TVM_SPLIT, slot 2 maps the object from SPLIT_PAGE on,
 * SPLIT_HOLE bytes higher than slot 1 would (SKEW_HOLE with TVM_SKEW,
 * none with TVM_EDGE); with TVM_GAP, slot 1 maps
 * it up to GAP_PAGE and slot 2 from GAP_PAGE + GAP_PAGES on, each at
 * the object's own guest-physical addresses, and nothing the pages in
 * between. With THP_ENCVM_ATTACH_DOORBELL in them, the agent writes
 * PORT_DOORBELL when it has completed requests, which a KVM_IOEVENTFD
 * turns into a signal of the eventfd ATTACH gets as its doorbell.
 */
static inline int tvm_create_notify(struct tvm *t, unsigned int mode, bool attach,
				    unsigned int notify, int notify_fd,
				    unsigned int flags)
{
	struct thp_encvm_create c = te_default_create();
	struct kvm_userspace_memory_region slot = { 0 };
	struct thp_encvm_attach a = {
		.eventfd = notify_fd, .gpa = OBJ_GPA,
		.flags = flags & ~TVM_FLAGS,
	};
	struct kvm_sregs sregs;
	struct kvm_regs regs = { .rip = AGENT_CODE, .rsp = AGENT_STACK, .rflags = 2 };

	memset(t, 0, sizeof(*t));
	t->efd = -1;
	t->dfd = -1;
	t->dev = open(DEV, O_RDWR | O_CLOEXEC);
	t->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (t->dev < 0 || t->kvm < 0)
		return -ENODEV;
	if (flags & TVM_BLOCKS)
		c.flags &= ~THP_ENCVM_CREATE_SCATTER;
	if (flags & TVM_ENCRYPTED) {
		c.flags |= THP_ENCVM_CREATE_ENCRYPTED;
		c.tweak_offset = OBJ_TWEAKS;
		c.secret_offset = OBJ_SECRET;
	}
	t->obj = te_create(t->dev, &c);
	if (t->obj < 0)
		return t->obj;
	t->map = te_map(t->obj, OBJ_SIZE);
	if (t->map == MAP_FAILED)
		return -ENOMEM;
	t->ring = (void *)(t->map + OBJ_RING);
	t->ctl = (void *)(t->map + OBJ_CTL);
	t->ctl->mode = mode;
	t->ctl->enc = !!(flags & TVM_ENCRYPTED);
	t->vm = ioctl(t->kvm, KVM_CREATE_VM, 0);
	if (t->vm < 0)
		return -errno;
	t->slot0 = mmap(NULL, SLOT0_SIZE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (t->slot0 == MAP_FAILED)
		return -ENOMEM;
	/* Never huge: KVM's pages_2m counts only the object's windows. */
	madvise(t->slot0, SLOT0_SIZE, MADV_NOHUGEPAGE);
	memcpy((char *)t->slot0 + AGENT_CODE, _binary_agent_bin_start,
	       _binary_agent_bin_end - _binary_agent_bin_start);
	slot.slot = 0;
	slot.memory_size = SLOT0_SIZE;
	slot.userspace_addr = (unsigned long)t->slot0;
	if (ioctl(t->vm, KVM_SET_USER_MEMORY_REGION, &slot))
		return -errno;
	slot.slot = 1;
	slot.guest_phys_addr = OBJ_GPA;
	slot.memory_size = flags & TVM_SPLIT ? SPLIT_PAGE * 4096ULL :
			   flags & TVM_GAP ? GAP_PAGE * 4096ULL : OBJ_SIZE;
	slot.userspace_addr = (unsigned long)t->map;
	if (ioctl(t->vm, KVM_SET_USER_MEMORY_REGION, &slot))
		return -errno;
	if (flags & TVM_GAP) {
		unsigned long long off = (GAP_PAGE + GAP_PAGES) * 4096ULL;

		slot.slot = 2;
		slot.guest_phys_addr = OBJ_GPA + off;
		slot.memory_size = OBJ_SIZE - off;
		slot.userspace_addr = (unsigned long)t->map + off;
		if (ioctl(t->vm, KVM_SET_USER_MEMORY_REGION, &slot))
			return -errno;
		t->ctl->gap_first = GAP_PAGE;
		t->ctl->gap_pages = GAP_PAGES;
	}
	if (flags & TVM_SPLIT) {
		unsigned int hole = flags & TVM_EDGE ? 0 :
				    flags & TVM_SKEW ? SKEW_HOLE : SPLIT_HOLE;

		slot.slot = 2;
		slot.guest_phys_addr = OBJ_GPA + SPLIT_PAGE * 4096ULL + hole;
		slot.memory_size = OBJ_SIZE - SPLIT_PAGE * 4096ULL;
		slot.userspace_addr = (unsigned long)t->map + SPLIT_PAGE * 4096ULL;
		if (ioctl(t->vm, KVM_SET_USER_MEMORY_REGION, &slot))
			return -errno;
		t->ctl->split_page = SPLIT_PAGE;
		t->ctl->split_hole = hole;
	}
	if (notify == NOTIFY_IRQ) {
		struct kvm_irqfd irqfd = { .gsi = AGENT_GSI };

		/* The PIC, IOAPIC and LAPICs; vCPUs come after. */
		if (ioctl(t->vm, KVM_CREATE_IRQCHIP, 0))
			return -errno;
		t->efd = eventfd(0, EFD_CLOEXEC);
		if (t->efd < 0)
			return -errno;
		irqfd.fd = t->efd;
		if (ioctl(t->vm, KVM_IRQFD, &irqfd))
			return -errno;
		notify_fd = t->efd;
		t->ctl->notify = NOTIFY_IRQ;
	}
	if (flags & TVM_LAUNCH) {
		unsigned int p, k;

		for (p = LAUNCH_PAGE; p < LAUNCH_PAGE + LAUNCH_PAGES; p++)
			for (k = 0; k < 1024; k++)
				((unsigned int *)(t->map + p * 4096UL))[k] = agent_word(p, k, 0);
		t->ctl->launch = 1;
	}
	if (flags & THP_ENCVM_ATTACH_DOORBELL) {
		struct kvm_ioeventfd io = {
			.addr = PORT_DOORBELL, .len = 1, .flags = KVM_IOEVENTFD_FLAG_PIO,
		};

		t->dfd = eventfd(0, EFD_CLOEXEC);
		if (t->dfd < 0)
			return -errno;
		io.fd = t->dfd;
		if (ioctl(t->vm, KVM_IOEVENTFD, &io))
			return -errno;
		a.doorbell = t->dfd;
		t->ctl->doorbell = 1;
	}
	if (attach) {
		a.eventfd = notify_fd;
		a.vm_fd = t->vm;
		if (ioctl(t->obj, THP_ENCVM_IOC_ATTACH, &a))
			return -errno;
	}
	t->vcpu = ioctl(t->vm, KVM_CREATE_VCPU, 0);
	if (t->vcpu < 0)
		return -errno;
	if (flags & TVM_AVX) {
		int ret = tvm_set_cpuid(t);

		if (ret)
			return ret;
		t->ctl->avx = 1;
	}
	t->run_size = ioctl(t->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	t->run = mmap(NULL, t->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, t->vcpu, 0);
	if (t->run == MAP_FAILED || ioctl(t->vcpu, KVM_GET_SREGS, &sregs))
		return -errno;
	flat_seg(&sregs.cs, 11, 8);
	flat_seg(&sregs.ds, 3, 16);
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	sregs.cr0 |= 1;		/* protected mode, no paging */
	if (ioctl(t->vcpu, KVM_SET_SREGS, &sregs) || ioctl(t->vcpu, KVM_SET_REGS, &regs))
		return -errno;
	return 0;
}

/* The guest polls the ring; ATTACH is given @eventfd. */
static inline int tvm_create_ev(struct tvm *t, unsigned int mode, bool attach,
				int eventfd)
{
	return tvm_create_notify(t, mode, attach, NOTIFY_POLL, eventfd, 0);
}

/* The guest polls the ring (no eventfd). */
static inline int tvm_create(struct tvm *t, unsigned int mode, bool attach)
{
	return tvm_create_ev(t, mode, attach, -1);
}

/* The guest sleeps until the module's eventfd interrupts it. */
static inline int tvm_create_irq(struct tvm *t, unsigned int mode)
{
	return tvm_create_notify(t, mode, true, NOTIFY_IRQ, -1, 0);
}

/* Wake a sleeping agent, as the module does when it posts requests. */
static inline void tvm_kick(struct tvm *t)
{
	uint64_t one = 1;

	if (t->efd > 0 && write(t->efd, &one, sizeof(one)) != sizeof(one))
		perror("eventfd");
}

#ifndef KVM_PRE_FAULT_MEMORY
struct kvm_pre_fault_memory {
	__u64 gpa;
	__u64 size;
	__u64 flags;
	__u64 padding[5];
};
#define KVM_PRE_FAULT_MEMORY	_IOWR(KVMIO, 0xd5, struct kvm_pre_fault_memory)
#endif

/* Pre-fault @size bytes at @gpa; false if KVM cannot (then stop trying). */
static inline bool tvm_prefault_run(struct tvm *t, unsigned long long gpa,
				    unsigned long long size)
{
	struct kvm_pre_fault_memory r = { .gpa = gpa, .size = size };
	unsigned long long end = gpa + size;

	while (r.gpa < end) {
		r.size = end - r.gpa;
		if (!ioctl(t->vcpu, KVM_PRE_FAULT_MEMORY, &r) || errno == EINTR ||
		    errno == EAGAIN)
			continue;
		if (errno == ENOTTY || errno == EOPNOTSUPP || errno == EINVAL)
			return false;
		r.gpa += 4096;	/* KVM stopped at this page: the guest's fault */
	}
	return true;
}

/*
 * Map the pages the agent fills into KVM's nested page table before the
 * guest runs (KVM_PRE_FAULT_MEMORY): KVM faults each one in as it would
 * for the guest's first access, through the object's fault handler,
 * without the guest exit, which under TCG costs more than the fault.
 * Skipped: the staging window, which the daemon maps itself; the
 * secret page, which only KVM_RUN's faults map; and what no memslot
 * maps. A page that fails is left to the guest's fault. Faults taken
 * later, while the daemon collapses, are the guest's as before.
 *
 * What it changes: the object's fault handler marks each prefaulted
 * page touched (te_fault() sets its bit in the object's touched
 * bitmap), so every window but the staging one is fully touched before
 * the guest runs, and te_window_classify()'s max_ptes_none check only
 * ever sees fully touched windows; and the guest's first access to a
 * page takes no nested page fault. A test about untouched pages or
 * about KVM's first-touch faults must set fault_in_guest (as
 * efault_from_a_racing_unmap_is_retried does, and, on an encrypted
 * object, guest_conversion_is_copied_back_in_place, whose agent's first
 * touches go through its accessors, KVM's NPF and te_fault()).
 */
static inline void tvm_prefault(struct tvm *t)
{
	unsigned long long gpa = 0, size = 0;
	unsigned int p;

	for (p = OBJ_SHARED / 4096; p < OBJ_SIZE / 4096; p++) {
		if (p * 4096ULL - OBJ_STAGING < 2 << 20 ||
		    (t->ctl->enc && p == OBJ_SECRET / 4096) ||
		    p - t->ctl->gap_first < t->ctl->gap_pages)
			continue;
		/* Runs of consecutive gfns: one call each. */
		if (size && agent_gpa(t->ctl, p) == gpa + size) {
			size += 4096;
			continue;
		}
		if (size && !tvm_prefault_run(t, gpa, size))
			return;
		gpa = agent_gpa(t->ctl, p);
		size = 4096;
	}
	if (size)
		tvm_prefault_run(t, gpa, size);
}

/* Set by the kselftests: tvm_start() pre-faults (the bench and demo do not). */
static bool tvm_prefaults;

static inline int tvm_start(struct tvm *t)
{
	if (tvm_prefaults && !t->fault_in_guest)
		tvm_prefault(t);
	if (pthread_create(&t->th, NULL, vcpu_thread, t))
		return -1;
	t->th_started = true;
	return 0;
}

static inline void tvm_sigusr1(int sig)
{
}

/*
 * Take the vCPU out of KVM_RUN and keep it out, as a host that does not
 * schedule it would: the guest runs no instruction until tvm_resume().
 * Under single-threaded TCG a polling guest otherwise takes the CPU
 * from the host's work half the time. A signal ends KVM_RUN (EINTR);
 * one that comes before the vCPU thread enters it is lost, so it is
 * sent again until the thread says it stopped. 0, or -1.
 */
static inline int tvm_pause(struct tvm *t)
{
	struct sigaction sa = { .sa_handler = tvm_sigusr1 };
	double end = now_s() + VM_WAIT_S;

	if (sigaction(SIGUSR1, &sa, NULL))
		return -1;
	__atomic_store_n(&t->pause, true, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&t->paused, __ATOMIC_ACQUIRE) &&
	       __atomic_load_n(&t->state, __ATOMIC_ACQUIRE) >= 0 && now_s() < end) {
		pthread_kill(t->th, SIGUSR1);
		usleep(1000);
	}
	if (__atomic_load_n(&t->paused, __ATOMIC_ACQUIRE))
		return 0;
	/* Not paused in time: let it run rather than park it later. */
	__atomic_store_n(&t->pause, false, __ATOMIC_RELEASE);
	return -1;
}

/* Also before any join: a paused vCPU thread would never end. */
static inline void tvm_resume(struct tvm *t)
{
	__atomic_store_n(&t->pause, false, __ATOMIC_RELEASE);
}

/* Wait until the agent reached @state (or failed); returns the state. */
static inline int tvm_wait(struct tvm *t, int state, double secs)
{
	double end = now_s() + secs;
	int s;

	while ((s = __atomic_load_n(&t->state, __ATOMIC_ACQUIRE)) < state && s >= 0 &&
	       now_s() < end)
		usleep(10000);
	return s;
}

/* Stop the agent, let it verify, and join its vCPU. */
static inline int tvm_finish(struct tvm *t)
{
	int s;

	__atomic_store_n(&t->ctl->stop, 1, __ATOMIC_RELEASE);
	tvm_resume(t);
	tvm_kick(t);
	s = tvm_wait(t, 2, VM_WAIT_S);
	if (t->th_started)
		pthread_join(t->th, NULL);
	t->th_started = false;
	return s;
}

static inline void tvm_destroy(struct tvm *t)
{
	if (t->th_started) {
		__atomic_store_n(&t->ctl->stop, 1, __ATOMIC_RELEASE);
		tvm_resume(t);
		tvm_kick(t);
		pthread_join(t->th, NULL);
	}
	if (t->run && t->run != MAP_FAILED)
		munmap(t->run, t->run_size);
	if (t->vcpu > 0)
		close(t->vcpu);
	if (t->vm > 0)
		close(t->vm);
	if (t->map && t->map != MAP_FAILED)
		munmap(t->map, OBJ_SIZE);
	if (t->slot0 && t->slot0 != MAP_FAILED)
		munmap(t->slot0, SLOT0_SIZE);
	if (t->obj > 0)
		close(t->obj);
	if (t->dev > 0)
		close(t->dev);
	if (t->kvm > 0)
		close(t->kvm);
	if (t->efd > 0)
		close(t->efd);
	if (t->dfd > 0)
		close(t->dfd);
}

/* Statistic @name from a KVM binary stats fd, or -1. */
static inline long stats_read(int fd, const char *name)
{
	return mv_kvm_stat(fd, name);
}

/*
 * A VM-wide KVM statistic. (A vCPU's stats fd must be taken before the
 * vCPU runs: vCPU ioctls wait for KVM_RUN, which an agent sleeping in
 * HLT does not leave.)
 */
static inline long vm_stat(int vm, const char *name)
{
	int fd = ioctl(vm, KVM_GET_STATS_FD, NULL);
	long val;

	if (fd < 0)
		return -1;
	val = stats_read(fd, name);
	close(fd);
	return val;
}

static inline struct thp_encvm_info info_of(int obj)
{
	struct thp_encvm_info info = { 0 };

	ioctl(obj, THP_ENCVM_IOC_INFO, &info);
	return info;
}

#endif /* _TE_TVM_H */
