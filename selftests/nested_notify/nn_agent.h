/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the nested_notify tests' VMM (nn_vmm.h) and their L1 agent
 * (agent.c) share: the L1 guest-physical layout, the ports, and the
 * control block. L1 runs in 64-bit long mode with paging from its first
 * instruction (the VMM sets it up): identity-mapped 0..2 GiB with 2 MiB
 * pages, plus the ring window at RING_VA mapped with 4 KiB pages.
 *
 * vCPU 0 is the L1 hypervisor: it runs L2 with VMRUN under a 4-level
 * nested page table (identity, so L2's guest-physical addresses are
 * L1's) and counts its exit handler calls. vCPU 1 is L1's ring
 * consumer: it drains the ring, arms it and sleeps in HLT until the
 * device's MSI (x2APIC, vector AG_VEC) wakes it.
 */
#ifndef _NN_AGENT_H
#define _NN_AGENT_H

#define AG_CODE		0x10000ULL	/* agent code (entry: start) */
#define AG_GDT		0x2000ULL
#define AG_PML4		0x3000ULL	/* L1's page tables */
#define AG_PDPT		0x4000ULL
#define AG_PD		0x5000ULL	/* two: 0..1G, 1..2G */
#define AG_RING_PDPT	0x7000ULL
#define AG_RING_PD	0x8000ULL
#define AG_RING_PT	0x9000ULL
#define AG_CTL		0x100000ULL	/* struct ag_ctl */
#define AG_IDT		0x101000ULL
#define AG_VMCB		0x110000ULL
#define AG_HSAVE	0x111000ULL
#define AG_IOPM		0x112000ULL	/* 12K: all zero, no port intercepted */
#define AG_MSRPM	0x116000ULL	/* 8K */
#define AG_NPT		0x120000ULL	/* PML4, PDPT, 2 PDs */
#define AG_TABLE	0x180000ULL	/* the I/O translation table */
#define AG_L2_STACK	0x300000ULL
#define AG_STACK0	0x3f0000ULL
#define AG_STACK1	0x3e0000ULL
#define AG_RING_GPA	0x500000ULL	/* ring pages, first mapping */
#define AG_RING_GPA2	0x600000ULL	/* after the remap */
#define AG_TSC		0x700000ULL	/* L2's TSC at each doorbell, AG_TSC_N of them */
#define AG_TSC_N	4096
#define AG_RT		0x780000ULL	/* paced: L2's round trip of each doorbell, AG_TSC_N */
#define AG_MEM		0x800000ULL	/* slot 0 size */

#define RING_VA		0x8000000000ULL	/* PML4 slot 1 */
#define RING_PAGES	16

#define AG_MMIO_DB	0x40000000ULL	/* L1 GPA with no memslot */

#define PORT_TABLE	0x510	/* outl: the table's base (the VMM's SET_TABLE) */
#define PORT_DONE	0x511	/* outl: vCPU 0 finished a run */
#define PORT_DB		0x520	/* the doorbell port (a KVM_IOEVENTFD) */
#define PORT_FAIL	0x51f	/* outl: something unexpected; ctl->why says what */

#define AG_VEC		0x40	/* the device's MSI vector */
#define AG_VEC_IPI	0x41	/* vCPU 0 wakes vCPU 1 */
#define AG_ENTRY	2	/* the device's table entry */

/* ctl.mode */
#define MODE_VMMCALL	1	/* (a) L2 does VMMCALL at once */
#define MODE_PORT	2	/* L2 rings @n doorbells on PORT_DB */
#define MODE_MMIO	3	/* ... by writes to AG_MMIO_DB */
#define MODE_IDLE	4	/* vCPU 0: no L2, no exits (B2's relay rings) */

struct ag_ctl {
	/* VMM -> agent */
	unsigned int mode;
	unsigned int n;			/* doorbells L2 rings */
	unsigned int slots;		/* ring slots */
	unsigned int remap_at;		/* L2 pauses after this many doorbells for a remap (0: never) */
	unsigned int l1_intercept;	/* B1: L1 intercepts PORT_DB, writes the record */
	unsigned int hold;		/* consumer waits while set (ring fills) */
	unsigned int stop;		/* MODE_IDLE: stop */
	unsigned int paced;		/* L2 rings once L1's consumer saw the last doorbell */
	unsigned int remap_req;		/* vCPU 0 -> 1: L2 paused, move the ring */
	/* agent -> VMM */
	unsigned int phase0, phase1;	/* 1 up, 2 done */
	unsigned long long l2_rung;	/* doorbells L2 rang */
	unsigned long long l1_exits;	/* L1's exit handler calls */
	unsigned long long l1_exits_other;	/* of which for doorbells or interrupts */
	unsigned int last_exit;		/* last exit code */
	unsigned int first_exit;	/* first exit code */
	unsigned long long consumed;	/* doorbells the records stood for */
	unsigned long long records;
	unsigned long long coalesced_records;	/* records with count > 1 */
	unsigned long long bad_seq, bad_check, bad_entry;
	unsigned long long overflows_seen;
	unsigned long long flushes;	/* doorbells L1 rang itself (after an overflow) */
	unsigned long long irqs;	/* MSIs vCPU 1's APIC delivered (AG_VEC in service) */
	unsigned long long irqs_unacked;	/* handler runs with AG_VEC not in service */
	unsigned long long irqs_unacked_other;	/* of which not returning right after L1's HLT */
	unsigned long long irqs_nested;	/* runs with AG_VEC in service that interrupted the handler */
	unsigned long long disarms;	/* armed cleared by L0: interrupts it raised */
	unsigned long long unacked_ip;	/* last of irqs_unacked_other: the interrupted rip */
	unsigned long long unacked_irr;	/* ... and IRR bits 64..95 then */
	unsigned long long ipis;	/* wakeups from vCPU 0 */
	unsigned long long sleeps;	/* HLTs of vCPU 1 */
	unsigned long long remaps;
	unsigned long long l2_tsc;	/* TSC cycles L2 spent ringing */
	unsigned long long lat_tsc;	/* sum over doorbells: TSC from ringing to L1 seeing it */
	unsigned long long lat_n;	/* doorbells in lat_tsc */
	/*
	 * lat_tsc compares vCPU 0's TSC (L2) with vCPU 1's (L1's consumer):
	 * on a host whose TSC KVM finds unstable the two drift apart. Deltas
	 * that are not positive are counted here, never summed.
	 */
	unsigned long long lat_bad;
	unsigned long long rt_tsc;	/* paced: TSC from ringing to L2 seeing it consumed */
	unsigned long long rt_n;	/* doorbells in rt_tsc (one clock: vCPU 0's) */
	unsigned int why;		/* PORT_FAIL reason */
	unsigned int why_val;
	/* VMM -> agent */
	unsigned int nudge;		/* L2 done: L1 rings again while records are missing */
	/*
	 * The consumer polls the ring this many TSC cycles (its own clock)
	 * before it arms it and sleeps in HLT, as a driver with adaptive
	 * polling would (0: never polls). Whatever fills the ring, the
	 * consumer is the same.
	 */
	unsigned long long poll_tsc;
	/* agent -> VMM */
	unsigned long long polled;	/* records found while polling, not woken for */
	unsigned long long irqs_in_shadow;	/* interrupts taken between STI and HLT */
	unsigned long long irqs_unacked_halt;	/* of irqs_unacked: returning right after L1's HLT */
	unsigned long long nested_ip;	/* last of irqs_nested: the interrupted rip */
	/* VMM -> agent */
	unsigned int isr_spin;		/* MSI handler: loop this often before its ISR read */
	unsigned int ring_first;	/* the consumer rings once itself before it consumes */
	unsigned int gate;		/* L2 waits before its first doorbell while this is 1 */
};

#endif /* _NN_AGENT_H */
