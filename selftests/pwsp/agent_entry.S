/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The pwsp guest agent's entry point and fault handling; linked first,
 * so that start is at 0x1000.
 *
 * Touching an address: a #PF in probe_read or probe_write resumes at
 * probe_fixup (returning -1) and counts in ctl.pf_count; a fault
 * anywhere else, or any other exception, fails the agent.
 */
#include "agent.h"

	.text
	.globl start
start:
	call agent_main			/* %rdi: the vCPU's index */
	outb %al, $PORT_DONE
1:	hlt
	jmp 1b

	.globl probe_read
probe_read:
probe_insn_r:
	movq (%rdi), %rax
	ret

	.globl probe_write
probe_write:
probe_insn_w:
	movq %rsi, (%rdi)
	xorl %eax, %eax
	ret

probe_fixup:
	movq $-1, %rax
	ret

	.globl pf_entry
pf_entry:
	addq $8, %rsp			/* the error code */
	lock incl CTL_GPA + CTL_PF_COUNT
	cmpq $probe_insn_r, (%rsp)
	je 2f
	cmpq $probe_insn_w, (%rsp)
	je 2f
	jmp bad_entry
2:	movq $probe_fixup, (%rsp)
	iretq

	.globl bad_entry
bad_entry:
	movl $0xdead, CTL_GPA + CTL_FAIL_LINE
	outb %al, $PORT_FAIL
3:	hlt
	jmp 3b
