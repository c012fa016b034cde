// SPDX-License-Identifier: GPL-2.0
/*
 * L1 agent of the nested_notify tests: a freestanding 64-bit program
 * that the VMM enters in long mode with paging (nn_agent.h).
 *
 * vCPU 0 is a minimal SVM hypervisor: it sets EFER.SVME, builds a VMCB
 * (intercepting VMRUN, VMMCALL, INTR, HLT and shutdown), a 4-level
 * nested page table and runs L2 with VMRUN; no VMLOAD or VMSAVE. Its
 * exit handler counts every call. L2 rings the doorbell (a port L1's
 * IOPM leaves alone, or an MMIO page that the nested page table maps to
 * an L1 address with no memslot) and ends with VMMCALL. In the B1 mode
 * L1 intercepts the port and writes the record itself.
 *
 * vCPU 1 consumes the ring through its L1-virtual mapping, checks
 * every record, arms the ring and sleeps in HLT until the MSI comes;
 * its handler ends with an x2APIC EOI. After an overflow it rings the
 * doorbell once itself so that what waited is delivered.
 */
#include <linux/nested_notify.h>

#include "nn_agent.h"

typedef unsigned long long u64;
typedef unsigned int u32;
typedef unsigned short u16;
typedef unsigned char u8;

#define CTL	((struct ag_ctl *)AG_CTL)
#define RING	((struct nested_notify_ring *)RING_VA)
#define REC(i)	((struct nested_notify_record *)(RING_VA + 64 + (u64)(i) * 32))
#define ENTRY	((struct nested_notify_entry *)(AG_TABLE + AG_ENTRY * 64))

/* What the CPU pushes for an interrupt (no error code). */
struct iframe {
	u64 ip, cs, flags, sp, ss;
};

static void hypervisor(void);
static void consumer(void);

/* The entry: first in the image (-fno-toplevel-reorder). */
void start(long cpu)
{
	if (cpu)
		consumer();
	else
		hypervisor();
	for (;;)
		__asm__ __volatile__("cli; hlt");
}

static inline void out32(u16 port, u32 v)
{
	__asm__ __volatile__("outl %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

static inline void wrmsr(u32 msr, u64 v)
{
	__asm__ __volatile__("wrmsr" : : "c"(msr), "a"((u32)v), "d"((u32)(v >> 32)) : "memory");
}

static inline u64 rdmsr(u32 msr)
{
	u32 lo, hi;

	__asm__ __volatile__("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (u64)hi << 32 | lo;
}

static inline u64 rdtsc(void)
{
	u32 lo, hi;

	__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
	return (u64)hi << 32 | lo;
}

static inline void mfence(void)
{
	__asm__ __volatile__("mfence" : : : "memory");
}

/* Shared memory is read again after it (the agent uses no volatile). */
static inline void barrier(void)
{
	__asm__ __volatile__("" : : : "memory");
}

static inline void pause(void)
{
	__asm__ __volatile__("pause" : : : "memory");
}

static void fail(u32 why, u32 val)
{
	CTL->why = why;
	CTL->why_val = val;
	out32(PORT_FAIL, why);
	for (;;)
		__asm__ __volatile__("cli; hlt");
}

__attribute__((interrupt)) static void isr_fault(struct iframe *f)
{
	fail(0xe0, 0);
}

__attribute__((interrupt)) static void isr_msi(struct iframe *f);

/*
 * Sleep until an interrupt: STI, then HLT in its interrupt shadow, so
 * that an interrupt is taken only once HLT has begun and returns past
 * it. Each copy notes its HLT's address (halt_ip) first. An interrupt
 * whose frame returns to the HLT itself was
 * delivered inside the shadow, before HLT ran, and would return to a
 * HLT that nothing wakes any more. The handlers count that
 * (irqs_in_shadow) and return past the HLT, so a run never hangs on it
 * (see the admin guide).
 */
static u64 halt_ip;

static void halt(void)
{
	__asm__ __volatile__("leaq 1f(%%rip), %%rax\n\t"
			     "movq %%rax, %0\n\t"
			     "sti\n"
			     "1:\thlt\n\t"
			     "cli" : "=m"(halt_ip) : : "rax", "memory");
}

#define X86_EFLAGS_IF	(1ULL << 9)

static void past_halt(struct iframe *f)
{
	if (f->ip == halt_ip) {
		CTL->irqs_in_shadow++;
		f->ip++;	/* HLT is one byte */
	}
}

/*
 * The device's MSI. A delivery the local APIC made has AG_VEC in
 * service (x2APIC ISR bits 64..95: MSR 0x812, bit 0): count it (irqs)
 * and end it with an EOI. A run with AG_VEC not in service was not
 * accepted by the APIC: count it apart (irqs_unacked), with no EOI,
 * which would end some other interrupt.
 *
 * Under QEMU TCG the emulated CPU can deliver an interrupt that KVM
 * injected twice (see the admin guide): QEMU's VMRUN delivers it and
 * leaves it pending as an exception, which the CPU loop raises again
 * at its next stop between translated blocks, unless an intercept
 * (this handler's ISR read is the first) comes first. The second
 * delivery therefore always interrupts this handler before its ISR
 * read, with interrupts disabled (an interrupt gate), and runs with
 * AG_VEC still in service: it counts in irqs and ends the interrupt;
 * the first then runs with it ended. So each run is classified by
 * where it interrupted:
 *  - irqs_nested: AG_VEC in service, interrupted code with IF clear
 *    (no APIC delivery can: the consumer sets IF only for its HLT),
 *    anywhere in this handler (nested_ip: the last);
 *  - irqs_unacked_halt: AG_VEC not in service, returning right after
 *    L1's HLT: the first delivery, whose interrupt a nested run ended;
 *  - irqs_unacked_other: AG_VEC not in service, anywhere else
 *    (unacked_ip: the last); nothing makes one.
 * The test checks irqs_unacked_halt == irqs_nested and
 * irqs_unacked_other == 0. ctl->isr_spin widens the window before
 * the ISR read, to make second deliveries frequent.
 */
__attribute__((interrupt)) static void isr_msi(struct iframe *f)
{
	unsigned int i;

	past_halt(f);
	for (i = 0; i < CTL->isr_spin; i++)
		barrier();	/* no intercept: the window stays open */
	if (rdmsr(0x812) & 1) {
		CTL->irqs++;
		if (!(f->flags & X86_EFLAGS_IF)) {
			CTL->irqs_nested++;
			CTL->nested_ip = f->ip;
		}
		wrmsr(0x80b, 0);	/* x2APIC EOI */
		return;
	}
	CTL->irqs_unacked++;
	CTL->unacked_irr = rdmsr(0x822);
	if (f->ip == halt_ip + 1) {
		CTL->irqs_unacked_halt++;
	} else {
		CTL->irqs_unacked_other++;
		CTL->unacked_ip = f->ip;
	}
}

/*
 * Arm the ring (or disarm it, @v 0, at the end). L0 clears armed
 * exactly when it raises the MSI, and only this vCPU sets it, with an
 * exchange: each clear by L0 is seen, so @disarms counts L0's
 * interrupts exactly. A clear seen before arming again is waited for
 * (its MSI taken) first: an MSI raised while another still sits in the
 * IRR would merge with it in the APIC, and irqs == disarms would not
 * hold. (Only a clear between the read and the exchange is waited for
 * with the ring armed again: a window of a few instructions.)
 */
static u32 armed_by_me;

static void disarmed(void)
{
	CTL->disarms++;
	/* B1's wakeup is vCPU 0's IPI (ipis also counts its other ones). */
	while ((CTL->l1_intercept ? CTL->ipis : CTL->irqs) < CTL->disarms)
		halt();
}

static void arm(u32 v)
{
	u32 old;

	barrier();
	if (armed_by_me && !RING->armed) {
		armed_by_me = 0;
		disarmed();
	}
	old = __atomic_exchange_n(&RING->armed, v, __ATOMIC_SEQ_CST);
	if (armed_by_me && !old)
		disarmed();
	armed_by_me = v;
}

__attribute__((interrupt)) static void isr_ipi(struct iframe *f)
{
	past_halt(f);
	CTL->ipis++;
	wrmsr(0x80b, 0);
}

static void cpu_setup(void)
{
	u64 *idt = (u64 *)AG_IDT;
	/* limit, then the 64-bit base, unaligned */
	u16 idtr[5] = { 4095, AG_IDT & 0xffff, AG_IDT >> 16 & 0xffff, 0, 0 };
	unsigned int v;

	for (v = 0; v < 256; v++) {
		u64 h = v == AG_VEC ? (u64)isr_msi :
			v == AG_VEC_IPI ? (u64)isr_ipi : (u64)isr_fault;

		idt[2 * v] = (h & 0xffff) | (8ULL << 16) | (0x8eULL << 40) |
			     ((h >> 16 & 0xffff) << 48);
		idt[2 * v + 1] = h >> 32;
	}
	__asm__ __volatile__("lidt %0" : : "m"(idtr) : "memory");
	/* x2APIC on, software-enabled, spurious vector 0xff. */
	wrmsr(0x1b, rdmsr(0x1b) | (1 << 11) | (1 << 10));
	wrmsr(0x80f, 0x1ff);
}

static void ipi_consumer(void)
{
	wrmsr(0x830, (1ULL << 32) | AG_VEC_IPI);	/* fixed, physical, APIC ID 1 */
}

/* ---- L2 ---- */

static inline void vmmcall(u64 what)
{
	__asm__ __volatile__("vmmcall" : : "a"(what) : "memory");
}

static void l2_main(void)
{
	u32 i, n = CTL->n, mode = CTL->mode;
	u64 t0 = rdtsc();

	if (mode == MODE_VMMCALL)
		vmmcall(0);
	while (CTL->gate == 1)		/* the VMM opens it */
		pause();
	for (i = 0; i < n; i++) {
		((u64 *)AG_TSC)[i % AG_TSC_N] = rdtsc();
		if (mode == MODE_MMIO)
			__asm__ __volatile__("movl %0, (%1)" : : "r"(i), "r"(AG_MMIO_DB) : "memory");
		else
			out32(PORT_DB, i);
		CTL->l2_rung = i + 1;
		/* Latency runs: one doorbell in flight at a time, no queue. */
		while (CTL->paced && CTL->consumed < i + 1)
			pause();
		if (CTL->paced) {	/* the round trip, on this vCPU's clock */
			u64 rt = rdtsc() - ((u64 *)AG_TSC)[i % AG_TSC_N];

			((u64 *)AG_RT)[i % AG_TSC_N] = rt;
			CTL->rt_tsc += rt;
			CTL->rt_n++;
		}
		if (CTL->remap_at && i + 1 == CTL->remap_at)
			vmmcall(1);
	}
	CTL->l2_tsc = rdtsc() - t0;
	for (;;)
		vmmcall(0);
}

/* ---- vCPU 1: the consumer ---- */

static u64 expected = 1;

/* L1 rings the device's doorbell itself: a flush, counted as one. */
static void l1_ring(void)
{
	__atomic_add_fetch(&CTL->flushes, 1, __ATOMIC_SEQ_CST);
	if (CTL->mode == MODE_MMIO)	/* the doorbell the VMM registered */
		__asm__ __volatile__("movl %0, (%1)" : : "r"(0), "r"(AG_MMIO_DB) : "memory");
	else
		out32(PORT_DB, 0);
}

static void drain(void)
{
	u32 slots = CTL->slots;

	for (;;) {
		struct nested_notify_record *r;
		u64 seq;

		barrier();	/* L0 moves prod behind the compiler's back */
		if (RING->cons == RING->prod)
			break;
		r = REC(RING->cons & (slots - 1));
		seq = r->seq;
		u32 count = r->count;

		if (seq != expected)
			CTL->bad_seq++;
		if (r->check != nested_notify_record_check(seq, count, r->entry, r->time_ns))
			CTL->bad_check++;
		if (r->entry != AG_ENTRY)
			CTL->bad_entry++;
		if (count > 1)
			CTL->coalesced_records++;
		if (seq + count - 1 <= CTL->l2_rung + 1) {	/* not a flush */
			u64 now = rdtsc(), k;

			for (k = seq; k < seq + count && k - 1 < CTL->n; k++) {
				long long d = now - ((u64 *)AG_TSC)[(k - 1) % AG_TSC_N];

				if (d <= 0) {	/* the two vCPUs' TSCs disagree */
					CTL->lat_bad++;
					continue;
				}
				CTL->lat_tsc += d;
				CTL->lat_n++;
			}
		}
		expected = seq + count;
		CTL->consumed += count;
		CTL->records++;
		RING->cons = RING->cons + 1;
	}
	if (RING->flags & NESTED_NOTIFY_RING_OVERFLOW) {
		RING->flags = RING->flags & ~NESTED_NOTIFY_RING_OVERFLOW;
		CTL->overflows_seen++;
		/* What waited for room comes with the next doorbell: ring it. */
		l1_ring();
	}
}

/* Move the ring to AG_RING_GPA2 and bump the generation (L2 is paused). */
static void remap(void)
{
	u64 *pt = (u64 *)AG_RING_PT;
	u32 i, k;

	for (i = 0; i < RING_PAGES; i++) {
		u64 *from = (u64 *)(AG_RING_GPA + i * 4096ULL);
		u64 *to = (u64 *)(AG_RING_GPA2 + i * 4096ULL);

		for (k = 0; k < 512; k++) {
			to[k] = from[k];
			from[k] = 0xaaaaaaaaaaaaaaaaULL;
		}
		pt[i] = (AG_RING_GPA2 + i * 4096ULL) | 3;
		__asm__ __volatile__("invlpg (%0)" : : "r"(RING_VA + i * 4096ULL) : "memory");
	}
	ENTRY->generation = ENTRY->generation + 1;
	CTL->remaps++;
}

/*
 * Poll the ring up to ctl->poll_tsc cycles for a record (or the end of
 * the run); true if there is one. A driver with adaptive polling
 * (haltpoll, NAPI) does the same before it sleeps: no interrupt is
 * needed for what comes meanwhile.
 */
static int poll_ring(void)
{
	u64 t0, bound = CTL->poll_tsc;

	if (!bound)
		return 0;
	t0 = rdtsc();
	do {
		barrier();
		if (RING->cons != RING->prod) {
			CTL->polled++;
			return 1;
		}
		if ((CTL->phase0 == 2 && CTL->consumed == CTL->l2_rung + CTL->flushes) ||
		    CTL->hold || (CTL->remap_req && !CTL->remaps))
			return 1;
		pause();
	} while (rdtsc() - t0 < bound);
	return 0;
}

static void consumer(void)
{
	cpu_setup();
	CTL->phase1 = 1;
	if (!CTL->slots) {		/* no ring: nothing to consume */
		CTL->phase1 = 2;
		out32(PORT_DONE, 1);
		return;
	}
	while (!ENTRY->flags)
		pause();
	if (CTL->ring_first)	/* counted as a flush: consumed, like L2's */
		l1_ring();
	for (;;) {
		while (CTL->hold && !CTL->stop)
			pause();
		drain();
		if (CTL->remap_req && !CTL->remaps) {
			do {
				drain();
				barrier();
			} while (RING->cons != RING->prod ||
				 (RING->flags & NESTED_NOTIFY_RING_OVERFLOW));
			remap();
			continue;
		}
		if (CTL->phase0 == 2 && CTL->consumed == CTL->l2_rung + CTL->flushes)
			break;
		if (poll_ring())
			continue;
		arm(1);
		if (RING->cons != RING->prod)
			continue;
		if (CTL->phase0 == 2 && CTL->consumed == CTL->l2_rung + CTL->flushes)
			break;
		CTL->sleeps++;
		halt();
	}
	arm(0);
	CTL->phase1 = 2;
	out32(PORT_DONE, 1);
}

/* ---- vCPU 0: the hypervisor ---- */

#define VMCB(off, type)	(*(type *)(AG_VMCB + (off)))

static void seg(u32 off, u16 sel, u16 attr)
{
	VMCB(off, u16) = sel;
	VMCB(off + 2, u16) = attr;
	VMCB(off + 4, u32) = 0xffffffff;
	VMCB(off + 8, u64) = 0;
}

static void vmcb_setup(void)
{
	u64 *npt = (u64 *)AG_NPT;
	u64 cr0, cr4;
	u32 i;

	/* Nested page table: identity 0..2G, 2M pages, user bit set. */
	npt[0] = (AG_NPT + 0x1000) | 7;
	npt[512] = (AG_NPT + 0x2000) | 7;
	npt[513] = (AG_NPT + 0x3000) | 7;
	for (i = 0; i < 1024; i++)
		npt[1024 + i] = ((u64)i << 21) | 0x87;

	if (CTL->l1_intercept) {	/* B1: the doorbell port exits to L1 */
		u8 *iopm = (u8 *)AG_IOPM;

		iopm[PORT_DB / 8] |= 0xf << (PORT_DB % 8);
	}
	VMCB(0x0c, u32) = 1 | (1U << 24) | (1U << 31) |		/* INTR, HLT, SHUTDOWN */
			  (CTL->l1_intercept ? 1U << 27 : 0);	/* IOIO */
	VMCB(0x10, u32) = 3;				/* VMRUN, VMMCALL */
	VMCB(0x40, u64) = AG_IOPM;
	VMCB(0x48, u64) = AG_MSRPM;
	VMCB(0x58, u32) = 1;				/* ASID */
	VMCB(0x60, u32) = 1U << 24;			/* V_INTR_MASKING */
	VMCB(0x90, u64) = 1;				/* nested paging */
	VMCB(0xb0, u64) = AG_NPT;

	__asm__ __volatile__("mov %%cr0, %0; mov %%cr4, %1" : "=r"(cr0), "=r"(cr4));
	seg(0x400, 16, 0xc93);		/* es */
	seg(0x410, 8, 0xa9b);		/* cs */
	seg(0x420, 16, 0xc93);		/* ss */
	seg(0x430, 16, 0xc93);		/* ds */
	VMCB(0x460, u32) = 0;		/* gdtr */
	VMCB(0x464, u32) = 23;
	VMCB(0x468, u64) = AG_GDT;
	VMCB(0x484, u32) = 4095;	/* idtr */
	VMCB(0x488, u64) = AG_IDT;
	VMCB(0x4d0, u64) = 0x1500;	/* efer: SVME, LMA, LME */
	VMCB(0x548, u64) = cr4;
	VMCB(0x550, u64) = AG_PML4;
	VMCB(0x558, u64) = cr0;
	VMCB(0x560, u64) = 0x400;	/* dr7 */
	VMCB(0x568, u64) = 0xffff0ff0;	/* dr6 */
	VMCB(0x570, u64) = 2;		/* rflags */
	VMCB(0x578, u64) = (u64)l2_main;
	VMCB(0x5d8, u64) = AG_L2_STACK - 8;
	VMCB(0x668, u64) = 0x0007040600070406ULL;	/* g_pat */
}

/* L2's general-purpose registers while L1 runs: rbx rcx rdx rsi rdi rbp r8-r15. */
static u64 l2_gpr[14];

/*
 * VMRUN restores only rsp, rip and rax of L1 on #VMEXIT: swap the other
 * registers with L2's by hand, as a hypervisor does.
 */
static void run_l2(void)
{
	__asm__ __volatile__(
		"push %%rbp; push %%rbx; push %%r12; push %%r13; push %%r14; push %%r15\n\t"
		"push %%rax; push %%rdi\n\t"
		"mov 0(%%rdi), %%rbx; mov 8(%%rdi), %%rcx; mov 16(%%rdi), %%rdx\n\t"
		"mov 24(%%rdi), %%rsi; mov 40(%%rdi), %%rbp; mov 48(%%rdi), %%r8\n\t"
		"mov 56(%%rdi), %%r9; mov 64(%%rdi), %%r10; mov 72(%%rdi), %%r11\n\t"
		"mov 80(%%rdi), %%r12; mov 88(%%rdi), %%r13; mov 96(%%rdi), %%r14\n\t"
		"mov 104(%%rdi), %%r15; mov 32(%%rdi), %%rdi\n\t"
		"vmrun %%rax\n\t"
		"push %%rdi; mov 8(%%rsp), %%rdi; popq 32(%%rdi)\n\t"
		"mov %%rbx, 0(%%rdi); mov %%rcx, 8(%%rdi); mov %%rdx, 16(%%rdi)\n\t"
		"mov %%rsi, 24(%%rdi); mov %%rbp, 40(%%rdi); mov %%r8, 48(%%rdi)\n\t"
		"mov %%r9, 56(%%rdi); mov %%r10, 64(%%rdi); mov %%r11, 72(%%rdi)\n\t"
		"mov %%r12, 80(%%rdi); mov %%r13, 88(%%rdi); mov %%r14, 96(%%rdi)\n\t"
		"mov %%r15, 104(%%rdi)\n\t"
		"pop %%rdi; pop %%rax\n\t"
		"pop %%r15; pop %%r14; pop %%r13; pop %%r12; pop %%rbx; pop %%rbp"
		: : "a"(AG_VMCB), "D"(l2_gpr)
		: "rcx", "rdx", "rsi", "r8", "r9", "r10", "r11", "memory", "cc");
}

/* B1: L1 writes the record of an intercepted doorbell itself. */
static u64 b1_seq = 1;

static void b1_record(void)
{
	u32 slots = CTL->slots, prod = RING->prod;
	struct nested_notify_record *r = REC(prod & (slots - 1));

	while (prod - RING->cons >= slots)
		pause();		/* B1 waits for room: it owns the ring */
	r->count = 1;
	r->entry = AG_ENTRY;
	r->time_ns = 0;
	r->check = nested_notify_record_check(b1_seq, 1, AG_ENTRY, 0);
	r->seq = b1_seq++;
	RING->prod = prod + 1;
	mfence();		/* the arming handshake, as L0 does it */
	if (RING->armed) {
		RING->armed = 0;
		ipi_consumer();
	}
}

/*
 * Injected faults leave doorbells pending for the next doorbell. Once L2
 * is done, L1 rings the device itself (from vCPU 0, completed by L0
 * like L2's) while records are missing and none came for a while.
 */
#define NUDGE_SPINS	2000000

static void nudge(void)
{
	u64 seen = CTL->consumed;
	u32 spins = 0;

	while (CTL->consumed != CTL->l2_rung + CTL->flushes) {
		pause();
		if (CTL->consumed != seen) {
			seen = CTL->consumed;
			spins = 0;
		} else if (++spins == NUDGE_SPINS) {
			l1_ring();
			spins = 0;
		}
	}
}

static void hypervisor(void)
{
	struct nested_notify_entry *e = ENTRY;
	u64 exits = 0;

	cpu_setup();
	e->cr3 = AG_PML4;
	e->ring_gva = RING_VA;
	e->slots = CTL->slots;
	e->generation = 1;
	e->flags = CTL->slots ? NESTED_NOTIFY_ENTRY_VALID : 0;
	out32(PORT_TABLE, AG_TABLE);	/* the VMM passes it on (SET_TABLE) */
	CTL->phase0 = 1;
	if (CTL->mode == MODE_IDLE) {
		while (!CTL->stop)
			pause();
		CTL->phase0 = 2;
		ipi_consumer();
		out32(PORT_DONE, 0);
		return;
	}
	wrmsr(0xc0000080, rdmsr(0xc0000080) | (1 << 12));	/* EFER.SVME */
	wrmsr(0xc0010117, AG_HSAVE);				/* VM_HSAVE_PA */
	vmcb_setup();
	for (;;) {
		u32 code;

		run_l2();
		CTL->l1_exits = ++exits;
		code = VMCB(0x70, u32);
		if (exits == 1)
			CTL->first_exit = code;
		CTL->last_exit = code;
		if (code == 0x81) {			/* VMMCALL */
			u64 what = VMCB(0x5f8, u64);

			VMCB(0x578, u64) = VMCB(0x578, u64) + 3;
			if (!what)
				break;
			/* L2 paused: let the consumer drain and move the ring. */
			CTL->remap_req = 1;
			ipi_consumer();
			while (!CTL->remaps)
				pause();
		} else if (code == 0x7b && CTL->l1_intercept) {	/* IOIO */
			CTL->l1_exits_other++;
			b1_record();
			VMCB(0x578, u64) = VMCB(0x80, u64);	/* exit_info_2: next rip */
		} else if (code == 0x60) {		/* INTR: take it */
			CTL->l1_exits_other++;
			__asm__ __volatile__("stgi; sti; nop; cli" : : : "memory");
		} else {
			fail(code, (u32)VMCB(0x78, u64));
		}
	}
	if (CTL->nudge)
		nudge();
	CTL->phase0 = 2;
	ipi_consumer();
	out32(PORT_DONE, 0);
}
