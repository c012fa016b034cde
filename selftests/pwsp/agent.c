// SPDX-License-Identifier: GPL-2.0
/*
 * The pwsp guest agent: freestanding 64-bit code, linked at 0x1000 and
 * entered in long mode with paging on (pwsp_kvm.c sets that up). It
 * writes its own page-table entries, legal and illegal, with mov,
 * cmpxchg and 4-byte halves, re-reads each, and touches the addresses
 * to see that the MMU agrees; its counts go to the control block.
 *
 * Everything the agent writes is in the control block, the IDT or page
 * tables: its own image is kernel text, mapped read-only.
 */
#include "agent.h"

typedef unsigned long long u64;
typedef unsigned int u32;
typedef unsigned short u16;

#define CTL	((struct agent_ctl *)CTL_GPA)
/* the guest-physical (and virtual: identity-mapped) address of an entry */
#define PTE(t, i)	((t) + (u64)(i) * 8)

_Static_assert(__builtin_offsetof(struct agent_ctl, pf_count) == CTL_PF_COUNT, "pf_count");
_Static_assert(__builtin_offsetof(struct agent_ctl, fail_line) == CTL_FAIL_LINE, "fail_line");

/*
 * Page-table entries change under the agent (reverts, the MMU's A/D
 * bits): every access is an instruction of its own.
 */
static u64 rd(u64 va)
{
	u64 v;

	__asm__ __volatile__("movq (%1), %0" : "=r"(v) : "r"(va) : "memory");
	return v;
}

static void wr(u64 va, u64 v)
{
	__asm__ __volatile__("movq %1, (%0)" : : "r"(va), "r"(v) : "memory");
}

static void wr32(u64 va, u32 v)
{
	__asm__ __volatile__("movl %1, (%0)" : : "r"(va), "r"(v) : "memory");
}

static u32 rd32(u64 va)
{
	u32 v;

	__asm__ __volatile__("movl (%1), %0" : "=r"(v) : "r"(va) : "memory");
	return v;
}

static void fail(unsigned int line)
{
	CTL->fail_line = line;
	__asm__ __volatile__("outb %%al, %0" : : "i"(PORT_FAIL) : "memory");
	for (;;)
		__asm__ __volatile__("hlt");
}

#define CHECK(c)	do { if (!(c)) fail(__LINE__); } while (0)

static void set_gate(int vec, void (*fn)(void))
{
	u64 g = IDT_GPA + vec * 16, a = (u64)fn;

	wr(g, (a & 0xffff) | (0x08ULL << 16) | (0x8eULL << 40) |
	      ((a >> 16) & 0xffff) << 48);
	wr(g + 8, a >> 32);
}

static void setup_idt(void)
{
	/* the IDTR: a 16-bit limit, then the 64-bit base */
	u16 idtr[5] = { 4095, IDT_GPA & 0xffff, (IDT_GPA >> 16) & 0xffff, 0, 0 };
	int v;

	for (v = 0; v < 256; v++)
		set_gate(v, v == 14 ? pf_entry : bad_entry);
	__asm__ __volatile__("lidt %0" : : "m"(idtr) : "memory");
}

static void flush_va(u64 va)
{
	__asm__ __volatile__("invlpg (%0)" : : "r"(va) : "memory");
}

static void w_cmpxchg(u64 e, u64 old, u64 v)
{
	__asm__ __volatile__("lock cmpxchgq %2, (%1)"
			     : "+a"(old) : "r"(e), "r"(v) : "memory");
}

/*
 * Write the half of @v that differs from the entry (low half if both):
 * an illegal write of one half.
 */
static void w_half(u64 e, u64 v)
{
	int hi = ((rd(e) ^ v) & 0xffffffffULL) == 0;

	wr32(e + 4 * hi, hi ? (u32)(v >> 32) : (u32)v);
}

static void do_write(u64 e, u64 v, int method)
{
	if (method == 0)
		wr(e, v);
	else if (method == 1)
		w_cmpxchg(e, rd(e), v);
	else
		w_half(e, v);
}

/* An illegal write: it must be gone when the agent reads the entry again. */
static void illegal(u64 e, u64 bad, int method, int which)
{
	u64 old = rd(e);

	/* with the A/D bits the MMU set, so that one half differs */
	bad |= old & X_AD;
	CHECK(old != bad);
	CTL->illegal++;
	do_write(e, bad, method);
	if (rd(e) == old)
		CTL->reverted++;
	else
		CTL->miss |= 1ULL << (method * 8 + which);
}

/*
 * A legal write. In halves, as a guest kernel would: a new entry's high
 * half first while it is not present, or the low half (P) first when
 * it goes; every intermediate entry is sound too.
 */
static void legal(u64 e, u64 v, int method)
{
	CTL->legal++;
	if (method < 2) {
		do_write(e, v, method);
	} else if (v & X_P) {
		wr32(e + 4, v >> 32);
		wr32(e, (u32)v);
	} else {
		wr32(e, (u32)v);
		wr32(e + 4, v >> 32);
	}
	if ((rd(e) & ~X_AD) == v)
		CTL->kept++;
}

/* Touch @va: it must fault (@fault) or read @want. */
static void touch(u64 va, int fault, u64 want)
{
	unsigned int pf = CTL->pf_count;
	u64 v;

	flush_va(va);
	v = probe_read(va);
	if (fault && CTL->pf_count == pf + 1)
		CTL->faults_ok++;
	else if (!fault && CTL->pf_count == pf && v == want)
		CTL->va_ok++;
	else
		CTL->faults_bad++;
}

static void touch_write(u64 va)
{
	unsigned int pf = CTL->pf_count;

	flush_va(va);
	probe_write(va, 0);
	if (CTL->pf_count == pf + 1)
		CTL->faults_ok++;
	else
		CTL->faults_bad++;
}

static void zero_page(u64 gpa)
{
	int i;

	for (i = 0; i < 512; i++)
		wr(PTE(gpa, i), 0);
}

static void scenario_enforce(void)
{
	u64 rsvd = 1ULL << CTL->maxphyaddr;
	int m;

	CHECK(CTL->maxphyaddr >= 32 && CTL->maxphyaddr < 52);
	wr(DATA_GPA, MAGIC);
	for (m = 0; m < 3; m++) {
		/* legal map, use, unmap */
		legal(PTE(PT0_GPA, SPARE_VA >> 12), DATA_GPA | X_P | X_RW | X_NX, m);
		touch(SPARE_VA, 0, MAGIC);
		legal(PTE(PT0_GPA, SPARE_VA >> 12), 0, m);
		touch(SPARE_VA, 1, 0);

		/* a leaf onto a host-protected frame */
		illegal(PTE(PT0_GPA, SPARE_VA >> 12), PROT_GPA | X_P, m, 0);
		touch(SPARE_VA, 1, 0);
		/* RW on kernel text */
		illegal(PTE(PT0_GPA, TEXT_SPARE >> 12), TEXT_SPARE | X_P | X_RW, m, 1);
		touch_write(TEXT_SPARE);
		/* U on a kernel-only page */
		illegal(PTE(PT0_GPA, KONLY_GPA >> 12),
			KONLY_GPA | X_P | X_RW | X_US | X_NX, m, 2);
		touch(KONLY_GPA, 0, rd(KONLY_GPA));
		/* a reserved bit */
		illegal(PTE(PT0_GPA, DATA_GPA >> 12), DATA_GPA | X_P | X_RW | X_NX | rsvd, m, 3);
		touch(DATA_GPA, 0, MAGIC);
		/* PS in a PML4E */
		illegal(PTE(PML4_GPA, 2), X_P | X_RW | X_PS, m, 4);
		touch(2ULL << 39, 1, 0);
		/* level confusion: a page table linked as a page directory */
		illegal(PTE(PDPT_GPA, 3), PT0_GPA | X_P | X_RW, m, 5);
		touch(3ULL << 30, 1, 0);
	}

	/* fill-before-link: a clean subtree is linked and works */
	zero_page(POOL_GPA);
	zero_page(POOL_GPA + 0x1000);
	wr(PTE(POOL_GPA + 0x1000, 0), DATA_GPA | X_P | X_RW | X_NX);
	wr(PTE(POOL_GPA, 0), (POOL_GPA + 0x1000) | X_P | X_RW);
	legal(PTE(PDPT_GPA, 1), POOL_GPA | X_P | X_RW, 0);
	touch(WIN_VA, 0, MAGIC);
	/* its PT is now protected too */
	illegal(PTE(POOL_GPA + 0x1000, 1), PROT_GPA | X_P, 0, 6);
	legal(PTE(PDPT_GPA, 1), 0, 0);
	touch(WIN_VA, 1, 0);
	/* ... and one with a single bad entry is refused as a whole */
	zero_page(POOL_GPA + 0x2000);
	zero_page(POOL_GPA + 0x3000);
	wr(PTE(POOL_GPA + 0x3000, 0), DATA_GPA | X_P | X_RW | X_NX);
	wr(PTE(POOL_GPA + 0x3000, 7), TEXT_SPARE | X_P | X_RW);
	wr(PTE(POOL_GPA + 0x2000, 0), (POOL_GPA + 0x3000) | X_P | X_RW);
	illegal(PTE(PDPT_GPA, 1), (POOL_GPA + 0x2000) | X_P | X_RW, 0, 7);
	touch(WIN_VA, 1, 0);
	/* after unlinking, the first subtree is W again: written untracked */
	wr(PTE(POOL_GPA + 0x1000, 1), PROT_GPA | X_P);
	CHECK(rd(PTE(POOL_GPA + 0x1000, 1)) == (PROT_GPA | X_P));

	/* a CR3 load of an unprotected root (a copy of the real one) */
	for (m = 0; m < 512; m++)
		wr(PTE(ALT_PML4_GPA, m), rd(PTE(PML4_GPA, m)));
	CTL->cr3_bad++;
	__asm__ __volatile__("mov %0, %%cr3" : : "r"(ALT_PML4_GPA) : "memory");
	CHECK(rd(DATA_GPA) == MAGIC);
	__asm__ __volatile__("mov %0, %%cr3" : : "r"(PML4_GPA) : "memory");
}

/* Audit: bad entries stay until the VMM verifies, then are undone here. */
static void scenario_audit(void)
{
	u64 text_old = rd(PTE(PT0_GPA, TEXT_SPARE >> 12));

	wr(PTE(PT0_GPA, SPARE_VA >> 12), DATA_GPA | X_P | X_RW | X_NX);	/* legal */
	wr(PTE(PT0_GPA, TEXT_SPARE >> 12), text_old | X_RW);
	CTL->audit_bad++;
	wr(PTE(PML4_GPA, 2), X_P | X_PS);
	CTL->audit_bad++;
	CHECK(rd(PTE(PT0_GPA, TEXT_SPARE >> 12)) == (text_old | X_RW));
	__asm__ __volatile__("outb %%al, %0" : : "i"(PORT_SYNC) : "memory");
	wr(PTE(PT0_GPA, TEXT_SPARE >> 12), text_old);
	wr(PTE(PML4_GPA, 2), 0);
}

/* make bench: map/unmap pairs of one PTE */
static void scenario_bench(void)
{
	unsigned int i;

	for (i = 0; i < CTL->rounds; i++) {
		wr(PTE(PT0_GPA, SPARE_VA >> 12), DATA_GPA | X_P | X_RW | X_NX);
		wr(PTE(PT0_GPA, SPARE_VA >> 12), 0);
	}
}

/*
 * The NPT probe: reads of one data word, each after INVLPG so that it
 * walks the tables; only reads, no page-table write. A sync before, one
 * between ctl.rounds and 3 * ctl.rounds reads, so that the VMM counts
 * each batch alone. va_ok counts the reads that saw the word.
 */
static void probe_reads(unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		flush_va(DATA_GPA);
		if (probe_read(DATA_GPA) == MAGIC)
			CTL->va_ok++;
	}
}

static void scenario_probe(void)
{
	wr(DATA_GPA, MAGIC);
	__asm__ __volatile__("outb %%al, %0" : : "i"(PORT_SYNC) : "memory");
	probe_reads(CTL->rounds);
	__asm__ __volatile__("outb %%al, %0" : : "i"(PORT_SYNC) : "memory");
	probe_reads(3 * CTL->rounds);
}

/*
 * Two vCPUs on one leaf (read-only kernel text): vCPU 0 sets RW in the
 * low half, illegal, ctl.rounds times, and must find each reverted;
 * vCPU 1 meanwhile writes a sequence number to the software bits 52-58
 * in the high half, legal, and must find each of its writes in place
 * when it makes the next: a revert of vCPU 0's half may not undo it.
 */
static void scenario_race(u32 cpu)
{
	u64 e = PTE(PT0_GPA, RACE_VA >> 12);
	u32 lo = (u32)rd(e), seq = 0, n;

	if (cpu == 0) {
		while (!rd32((u64)&CTL->b_ready))
			__asm__ __volatile__("pause");
		for (n = 0; n < CTL->rounds; n++) {
			CTL->illegal++;
			wr32(e, lo | X_RW);
			if (!(rd(e) & X_RW))
				CTL->reverted++;
		}
		wr32((u64)&CTL->a_done, 1);
		return;
	}
	wr32((u64)&CTL->b_ready, 1);
	do {
		if (((rd(e) >> 52) & 0x7f) != (seq & 0x7f))
			CTL->b_lost++;
		seq++;
		wr32(e + 4, (seq & 0x7f) << 20);
		CTL->b_writes++;
	} while (!rd32((u64)&CTL->a_done));
	if (((rd(e) >> 52) & 0x7f) != (seq & 0x7f))
		CTL->b_lost++;
}

/*
 * Stores KVM emulates without telling the page-track notifier: SGDT and
 * SIDT write a 2-byte limit and an 8-byte base, and the guest chooses
 * both with LGDT and LIDT. With the destination 2 bytes before an
 * entry, the base is the entry and the limit the previous entry's top
 * bytes, written unchanged. No exception may come while the tables
 * hold the chosen values: interrupts are off and nothing faults. The
 * operands are a 16-bit limit, then the 64-bit base (as in setup_idt()).
 */
static void store_table_reg_onto(u64 e, u64 val, int idt)
{
	u16 saved[5], bad[5] = { (u16)(rd(e - 8) >> 48), (u16)val, (u16)(val >> 16),
				 (u16)(val >> 32), (u16)(val >> 48) };

	if (idt) {
		__asm__ __volatile__("sidt %0" : "=m"(saved) : : "memory");
		__asm__ __volatile__("lidt %0" : : "m"(bad) : "memory");
		__asm__ __volatile__("sidt (%0)" : : "r"(e - 2) : "memory");
		__asm__ __volatile__("lidt %0" : : "m"(saved) : "memory");
	} else {
		__asm__ __volatile__("sgdt %0" : "=m"(saved) : : "memory");
		__asm__ __volatile__("lgdt %0" : : "m"(bad) : "memory");
		__asm__ __volatile__("sgdt (%0)" : : "r"(e - 2) : "memory");
		__asm__ __volatile__("lgdt %0" : : "m"(saved) : "memory");
	}
}

/*
 * SGDT puts a leaf onto the host-protected frame, SIDT makes kernel text
 * writable, both into the protected PT0. The agent reports the entries
 * and whether the MMU follows them, waits for the VMM's verification,
 * then undoes them with plain (legal) writes.
 */
static void scenario_unseen(void)
{
	unsigned int pf;

	CHECK(rd(UNSEEN_PTE0) == 0);
	store_table_reg_onto(UNSEEN_PTE0, PROT_GPA | X_P, 0);
	store_table_reg_onto(UNSEEN_PTE1, TEXT_SPARE | X_P | X_RW, 1);
	CTL->unseen_pte[0] = rd(UNSEEN_PTE0);
	CTL->unseen_pte[1] = rd(UNSEEN_PTE1);
	pf = CTL->pf_count;
	flush_va(SPARE_VA);
	if (probe_read(SPARE_VA) == PROT_MAGIC && CTL->pf_count == pf)
		CTL->unseen_mmu++;
	flush_va(TEXT_SPARE);
	probe_write(TEXT_SPARE, MAGIC);
	if (CTL->pf_count == pf && rd(TEXT_SPARE) == MAGIC)
		CTL->unseen_mmu++;
	__asm__ __volatile__("outb %%al, %0" : : "i"(PORT_SYNC) : "memory");
	wr(UNSEEN_PTE0, 0);
	wr(UNSEEN_PTE1, TEXT_SPARE | X_P);
}

/*
 * vCPU 1 spins until told to stop; vCPU 0 then loads an unprotected
 * root and spins too: a VM stopped on the CR3 check stops both.
 */
static void scenario_cr3_stop(u32 cpu)
{
	int i;

	if (cpu == 1) {
		wr32((u64)&CTL->b_ready, 1);
		while (!rd32((u64)&CTL->a_done))
			__asm__ __volatile__("pause");
		return;
	}
	while (!rd32((u64)&CTL->b_ready))
		__asm__ __volatile__("pause");
	for (i = 0; i < 512; i++)
		wr(PTE(ALT_PML4_GPA, i), rd(PTE(PML4_GPA, i)));
	CTL->cr3_bad++;
	__asm__ __volatile__("mov %0, %%cr3" : : "r"(ALT_PML4_GPA) : "memory");
	while (!rd32((u64)&CTL->a_done))
		__asm__ __volatile__("pause");
}

/* @cpu: the vCPU's index, in RDI from the VMM */
void agent_main(u64 cpu)
{
	u32 a, b, c, d;

	setup_idt();
	if (CTL->scenario == SC_RACE)
		return scenario_race(cpu);
	if (CTL->scenario == SC_CR3_STOP)
		return scenario_cr3_stop(cpu);
	__asm__ __volatile__("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0x80000008));
	CTL->maxphyaddr = a & 0xff;
	if (CTL->scenario == SC_ENFORCE)
		scenario_enforce();
	else if (CTL->scenario == SC_AUDIT)
		scenario_audit();
	else if (CTL->scenario == SC_BENCH)
		scenario_bench();
	else if (CTL->scenario == SC_PROBE)
		scenario_probe();
	else if (CTL->scenario == SC_UNSEEN)
		scenario_unseen();
	else
		fail(__LINE__);
}
