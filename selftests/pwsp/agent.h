/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The pwsp guest agent's world: a 64-bit guest that owns 4-level page
 * tables, started by the VMM (pwsp_kvm.c) in long mode with paging on.
 * Guest-physical memory is one 8 MiB slot at 0; the VMM builds the
 * first tables and protects the root, the agent then writes its own
 * page-table entries as a guest kernel would.
 */
#ifndef _PWSP_AGENT_H
#define _PWSP_AGENT_H

#define MEM_SIZE	(8ULL << 20)
#define AGENT_CODE	0x1000ULL	/* text: frames 1-15 */
#define TEXT_FIRST	1
#define TEXT_PAGES	15
#define TEXT_SPARE	0xf000ULL	/* a text page the code never uses */
#define CTL_GPA		0x10000ULL	/* the control block */
#define GDT_GPA		0x11000ULL
#define IDT_GPA		0x12000ULL
#define STACK_TOP	0x30000ULL
#define KONLY_GPA	0x40000ULL	/* kernel-only frame */
#define USER_GPA	0x41000ULL	/* a user page */
#define DATA_GPA	0x42000ULL	/* a plain data page */
#define PROT_GPA	0x50000ULL	/* host-protected: never mapped */
#define PROT_RO_GPA	0x51000ULL	/* host-protected: read-only only */
#define SPARE_VA	0x60000ULL	/* identity VA left unmapped */
#define PML4_GPA	0x100000ULL
#define PDPT_GPA	0x101000ULL
#define PD_GPA		0x102000ULL
#define ALT_PML4_GPA	0x103000ULL	/* an unprotected copy of the root */
#define PT0_GPA		0x200000ULL	/* maps 0-2M with 4K pages */
#define POOL_GPA	0x300000ULL	/* W pages the agent fills */
#define WIN_VA		0x40000000ULL	/* PDPT entry 1: the agent's window */

#define X_P	0x1ULL
#define X_RW	0x2ULL
#define X_US	0x4ULL
#define X_AD	0x60ULL		/* accessed, dirty: set by the MMU */
#define X_PS	0x80ULL
#define X_NX	(1ULL << 63)

#define PORT_DONE	0xf0
#define PORT_FAIL	0xf1
#define PORT_SYNC	0xf2		/* the agent waits for the VMM (audit) */

#define MAGIC		0x5a5a1234c0ffee00ULL

/* ctl.scenario */
#define SC_ENFORCE	1		/* everything, expecting reverts */
#define SC_AUDIT	2		/* bad entries left for PWSP_IOC_VERIFY */
#define SC_BENCH	3		/* ctl.rounds map/unmap pairs */
#define SC_PROBE	4		/* NPT probe: ctl.rounds, then 3x, reads */
#define SC_RACE		5		/* two vCPUs write halves of one entry */
#define SC_UNSEEN	6		/* SGDT/SIDT onto page-table entries */
#define SC_CR3_STOP	7		/* vCPU 0 loads a bad CR3, vCPU 1 spins */

/* SC_UNSEEN: what the host-protected frame holds */
#define PROT_MAGIC	0x0badf00d5eed0001ULL
/* SC_UNSEEN: the entries the stores land on */
#define UNSEEN_PTE0	(PT0_GPA + (SPARE_VA >> 12) * 8)
#define UNSEEN_PTE1	(PT0_GPA + (TEXT_SPARE >> 12) * 8)

/* SC_RACE: the entry, and vCPU 1's stack */
#define RACE_VA		TEXT_SPARE
#define STACK1_TOP	0x20000ULL

/* Offsets in struct agent_ctl for agent_entry.S (checked in agent.c) */
#define CTL_PF_COUNT	0x24
#define CTL_FAIL_LINE	0x28

#ifndef __ASSEMBLER__
/**
 * struct agent_ctl - shared by the VMM and the agent (at CTL_GPA)
 * @scenario: SC_* (VMM)
 * @rounds: SC_BENCH: map/unmap pairs (VMM)
 * @illegal: illegal page-table writes the agent made
 * @reverted: of them, the ones it found undone on re-reading
 * @legal: legal writes made
 * @kept: of them, the ones it found in place on re-reading
 * @va_ok: accesses through a newly mapped VA that read what they should
 * @faults_ok: touches of an unmapped or protected VA that faulted
 * @faults_bad: touches that should have faulted and did not, or the reverse
 * @pf_count: page faults taken
 * @fail_line: agent source line of an internal failure
 * @maxphyaddr: the guest's MAXPHYADDR, from CPUID
 * @cr3_bad: CR3 loads of an unprotected root made
 * @audit_bad: SC_AUDIT: bad entries left in place
 * @miss: bit 8 * method + case of each illegal write found in place
 *	  (cases in scenario_enforce() order), for the log
 * @b_ready: SC_RACE: vCPU 1 writes
 * @a_done: SC_RACE: vCPU 0 made its ctl.rounds illegal writes
 * @b_writes: SC_RACE: vCPU 1's legal writes
 * @b_lost: SC_RACE: of them, the ones not found in place at its next write
 * @unseen_pte: SC_UNSEEN: the two entries as the agent read them after
 *		the stores
 * @unseen_mmu: SC_UNSEEN: accesses the stored entries allowed (a read of
 *		the protected frame, a write to kernel text)
 */
struct agent_ctl {
	unsigned int scenario;
	unsigned int rounds;
	unsigned int illegal;
	unsigned int reverted;
	unsigned int legal;
	unsigned int kept;
	unsigned int va_ok;
	unsigned int faults_ok;
	unsigned int faults_bad;
	unsigned int pf_count;
	unsigned int fail_line;
	unsigned int maxphyaddr;
	unsigned int cr3_bad;
	unsigned int audit_bad;
	unsigned long long miss;
	unsigned int b_ready;
	unsigned int a_done;
	unsigned int b_writes;
	unsigned int b_lost;
	unsigned long long unseen_pte[2];
	unsigned int unseen_mmu;
};

/* agent_entry.S, for the agent */
unsigned long long probe_read(unsigned long long va);
unsigned long long probe_write(unsigned long long va, unsigned long long val);
void pf_entry(void);
void bad_entry(void);
void agent_main(unsigned long long cpu);
#endif /* __ASSEMBLER__ */

#endif /* _PWSP_AGENT_H */
