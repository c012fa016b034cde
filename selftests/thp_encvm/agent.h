/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest agent's view of the test VM (32-bit flat protected mode,
 * no paging: guest-physical addresses are pointers) and the control
 * block it shares with the VMM in the object's shared range.
 */
#ifndef _THP_ENCVM_AGENT_H
#define _THP_ENCVM_AGENT_H

#define AGENT_CODE	0x1000		/* slot 0: code ... */
#define AGENT_VER	0x100000	/* ... the pages' versions ... */
#define AGENT_STACK	0x1ff000	/* ... and the stack */
#define SLOT0_SIZE	0x200000

#define OBJ_GPA		0x40000000	/* slot 1: the object */
#define OBJ_SIZE	(16 << 20)
#define OBJ_SHARED	0x10000		/* shared range: the first 64K */
#define OBJ_RING	0		/* page 0: the ring */
#define OBJ_CTL		0x1000		/* page 1: the control block */
#define OBJ_TWEAKS	0x2000		/* pages 2-10: the tweak table (encrypted) */
#define OBJ_PIO		0xc000		/* page 12: port I/O buffers */
#define OBJ_SECRET	OBJ_SHARED	/* the launch-secret page (encrypted) */
#define PIO_PAGE	17		/* the private page port I/O sends */
#define PIO_LEN		256
#define OBJ_STAGING	(14 << 20)	/* the 8th window */
#define OBJ_WINDOWS	8
#define OBJ_ELIGIBLE	6		/* all but the shared and staging ones */
/*
 * With TVM_SPLIT (tvm.h), a second memslot maps the object from 9 MiB
 * on, 64 MiB higher in guest-physical space: window 4 straddles the
 * hole, windows 1-3 are below it, 5 and 6 (and staging) above it.
 */
#define SPLIT_PAGE	(9 << 8)
#define SPLIT_HOLE	(64 << 20)
/* With TVM_SKEW as well, the hole is 64 KiB larger: off 2 MiB alignment. */
#define SKEW_HOLE	(SPLIT_HOLE + (64 << 10))
/*
 * With TVM_GAP (tvm.h), no memslot maps GAP_PAGES pages of window 3
 * from GAP_PAGE on (as QEMU leaves its legacy VGA and ROM range): two
 * memslots map the object around them, at its own guest-physical
 * addresses.
 */
#define GAP_PAGE	(3 * 512 + 256)
#define GAP_PAGES	16

/*
 * ctl.launch: the VMM's launch image, private pages [LAUNCH_PAGE,
 * LAUNCH_PAGE + LAUNCH_PAGES) at version 0 (agent_word(p, k, 0)),
 * written before ATTACH, as SEV's LAUNCH_UPDATE_DATA measures it in.
 */
#define LAUNCH_PAGE	(512 + 40)
#define LAUNCH_PAGES	4

#define PORT_FILLED	0x10
#define PORT_VERIFIED	0x11
#define PORT_PIO	0x12		/* rep outsb / rep insb (ctl.pio) */
#define PORT_EXC	0x13		/* an exception: ctl.exc, then HLT */
/* KVM_HC_MAP_GPA_RANGE (linux/kvm_para.h) and its attributes. */
#define AGENT_HC_MAP_GPA_RANGE	12
#define AGENT_MAP_DECRYPTED	0
#define AGENT_MAP_ENCRYPTED	(1 << 4)
#define PORT_DOORBELL	0x14		/* requests completed (ctl.doorbell) */

/* Byte @i the VMM hands the guest's rep insb, and writes after it. */
static inline unsigned char pio_byte(unsigned int i, unsigned int xfer)
{
	return (unsigned char)(i * 7 + 3 + xfer * 0x55);
}

/*
 * With NOTIFY_IRQ the VMM creates KVM's in-kernel irqchip and wires the
 * module's eventfd as an irqfd to AGENT_GSI, a pin of the 8259 PIC that
 * the agent maps to vector AGENT_VEC_BASE + AGENT_GSI; the agent sleeps
 * in HLT while the ring is empty.
 */
#define AGENT_GSI	5
#define AGENT_VEC_BASE	0x20

/* ctl.notify */
#define NOTIFY_POLL	0		/* spin on the ring */
#define NOTIFY_IRQ	1		/* HLT until the irqfd's interrupt */

/* ctl.hold: where the agent waits, busy with a request */
#define HOLD_BEFORE	1		/* before copying it */
#define HOLD_AFTER	2		/* after copying it, before completing it */
#define HOLD_MID	3		/* before copying its page HOLD_MID_PAGE */
#define HOLD_MID_PAGE	100

/* ctl.mode */
#define MODE_SERVE	0		/* service the ring */
#define MODE_IGNORE	1		/* never answer */

/* Pages KVM writes itself (agent_ctl.kvm_page): one per MSR. */
#define KVM_PAGES	5

/**
 * struct agent_ctl - the control block
 * @mode: MODE_* (VMM)
 * @stop: VMM: stop serving, verify and halt
 * @phase: agent: 1 once memory is filled, 2 once verified
 * @requests: agent: copy requests completed
 * @pages: agent: pages copied
 * @poison_ok: agent: first-copy destinations found full of THP_ENCVM_POISON
 * @poison_bad: agent: first-copy destinations holding anything else
 * @dirty_writes: agent: writes to a source page right after copying it
 * @hot_writes: agent: background rewrites of pages
 * @bad_words: agent: 32-bit words that failed verification
 * @bad_bytes: agent: bytes that failed verification
 * @checked: agent: pages verified
 * @copy_tsc: agent: TSC cycles spent serving copy requests
 * @notify: NOTIFY_* (VMM)
 * @wakeups: agent: interrupts taken (NOTIFY_IRQ)
 * @no_poison_check: VMM: copy as a guest kernel would, without looking
 *		     at the destinations first (make bench)
 * @hold: VMM: HOLD_BEFORE or HOLD_AFTER: requests wait there (busy)
 * @held: agent: times a request started waiting at @hold
 * @cancelled: agent: requests abandoned: cancelled, or their slot reused
 * @repeats: agent: requests found already completed, and not copied again
 * @rewind: VMM: go back to slot 0 of the ring (as a restarted driver would)
 * @quiet: VMM: while set, no background rewrites of private pages
 * @quiet_ack: agent: @quiet as last seen before a background rewrite
 * @enc: VMM: the object is encrypted: every access to private memory
 *	 goes through the agent's encrypt/decrypt accessors, with the key
 *	 from the launch-secret page (OBJ_SECRET, not a data page then)
 * @tweak_retries: agent: accesses redone because frames changed meanwhile
 * @pio: VMM: after filling, do port I/O: rep outsb of PIO_LEN bytes of
 *	 page PIO_PAGE straight from private memory, then of the same
 *	 bytes (decrypted) from OBJ_PIO in the exclusion range, then rep
 *	 insb of PIO_LEN bytes into OBJ_PIO + PIO_LEN
 * @pio_in_ok: agent: the rep insb bytes, and the ones the VMM wrote with
 *	       THP_ENCVM_IOC_XFER at OBJ_PIO + 2 * PIO_LEN, were pio_byte()
 * @avx: VMM: the dirty writes after a window's first copy are AVX stores
 *	 (vmovdqu from %ymm0), which KVM's emulator cannot handle; the
 *	 agent enables AVX (CR4.OSXSAVE, XCR0 = x87|SSE|AVX) at start,
 *	 which needs a vCPU with XSAVE and AVX in its CPUID
 * @avx_writes: agent: pages rewritten with AVX stores
 * @avx_ud: agent: #UD taken on AVX instructions and retried with XCR0
 *	    loaded again (nested TCG loses it across exits)
 * @windows: agent: requests of a whole window (512 pages, a fresh
 *	     collapse's first request) taken, cancelled or not
 * @kvm_page: VMM: pages the agent leaves alone (neither fills nor
 *	      verifies), since KVM writes them: the VMM registered them
 *	      with one of the MSRs of KVM's own writes; 0 for none
 * @convert_page: VMM: 0, or a private page the agent converts to shared
 *		  and back (KVM_HC_MAP_GPA_RANGE, twice) once it has filled
 *		  its pages, as an SEV guest does for a bounce buffer
 * @converted: agent: those hypercalls that returned 0
 * @exc: agent: the vector of an exception the agent took, and the two
 *	 words above it on the stack (EIP, or the error code and EIP)
 * @split_page: VMM: 0, or the first object page that a second memslot
 *		maps, @split_hole bytes above where the first one would
 *		(a hole in guest-physical space, like QEMU's PCI hole)
 * @split_hole: VMM: the hole's size
 * @poll_tsc: VMM: with NOTIFY_IRQ, look at the ring for up to this many
 *	      TSC cycles after the last request before sleeping in HLT
 *	      (0: sleep at once), as a guest driver's bounded busy poll
 * @polled: agent: requests found by that poll, without an interrupt
 * @hot_shift: VMM: a background rewrite every 2^@hot_shift turns of the
 *	       polling loop (0: every 2^20)
 * @gap_first: VMM: with @gap_pages, the first object page no memslot
 *	       maps; the agent neither fills nor verifies those
 * @gap_pages: VMM: how many (0: none)
 * @launch: VMM: the object holds the launch image (LAUNCH_PAGE), which
 *	    the agent reads, decrypted if encrypted, before it fills
 * @launch_ok: agent: launch pages that read as the image, word for word
 * @launch_bad: agent: words of launch pages that did not
 * @doorbell: VMM: after completing requests, with no more in the ring,
 *	      write PORT_DOORBELL (the VMM's ioeventfd for the module's
 *	      THP_ENCVM_ATTACH_DOORBELL)
 * @rings: agent: doorbell writes
 */
struct agent_ctl {
	unsigned int mode;
	unsigned int stop;
	unsigned int phase;
	unsigned int requests;
	unsigned int pages;
	unsigned int poison_ok;
	unsigned int poison_bad;
	unsigned int dirty_writes;
	unsigned int hot_writes;
	unsigned int bad_words;
	unsigned int bad_bytes;
	unsigned int checked;
	unsigned long long copy_tsc;
	unsigned int notify;
	unsigned int wakeups;
	unsigned int no_poison_check;
	unsigned int hold;
	unsigned int held;
	unsigned int cancelled;
	unsigned int repeats;
	unsigned int rewind;
	unsigned int quiet;
	unsigned int quiet_ack;
	unsigned int enc;
	unsigned int tweak_retries;
	unsigned int pio;
	unsigned int pio_in_ok;
	unsigned int avx;
	unsigned int avx_writes;
	unsigned int avx_ud;
	unsigned int windows;
	unsigned int kvm_page[KVM_PAGES];
	unsigned int exc[3];
	unsigned int split_page;
	unsigned int split_hole;
	unsigned int poll_tsc;
	unsigned int polled;
	unsigned int hot_shift;
	unsigned int gap_first;
	unsigned int gap_pages;
	unsigned int launch;
	unsigned int launch_ok;
	unsigned int launch_bad;
	unsigned int doorbell;
	unsigned int rings;
	unsigned int convert_page;
	unsigned int converted;
};

/* Guest-physical address of object page @p. */
static inline unsigned int agent_gpa(const struct agent_ctl *ctl, unsigned int p)
{
	unsigned int hole = ctl->split_page && p >= ctl->split_page ? ctl->split_hole : 0;

	return OBJ_GPA + p * 4096u + hole;
}

/* The object page at guest-physical address @gpa. */
static inline unsigned int agent_page(const struct agent_ctl *ctl, unsigned int gpa)
{
	if (ctl->split_page && gpa >= OBJ_GPA + ctl->split_page * 4096u + ctl->split_hole)
		gpa -= ctl->split_hole;
	return (gpa - OBJ_GPA) / 4096u;
}

/* Word @k of page @p at version @v: any lost or torn write shows. */
static inline unsigned int agent_word(unsigned int p, unsigned int k,
				      unsigned int v)
{
	return (p * 2654435761u) ^ (k * 40503u) ^ (v * 0x9e3779b9u) ^ 0x13579bdfu;
}

#endif /* _THP_ENCVM_AGENT_H */
