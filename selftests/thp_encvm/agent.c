// SPDX-License-Identifier: GPL-2.0
/*
 * Guest agent for the thp_encvm KVM test: a freestanding 32-bit program
 * loaded at AGENT_CODE and entered in flat protected mode. It fills its
 * private memory with versioned patterns, services the copy ring
 * (checking that every destination still holds the host's poison and
 * writing to some sources right after copying them, which must make
 * the host copy them again), keeps rewriting a few pages, and finally
 * verifies every byte. It either spins on the ring or, with
 * NOTIFY_IRQ, sleeps in HLT until the module's eventfd, wired by the
 * VMM as an irqfd, raises an interrupt.
 *
 * On an encrypted object (ctl->enc) every load and store of private
 * memory goes through the accessors below, the stand-in for SEV's
 * memory controller: keyed BLAKE2s in counter mode with the key from the
 * launch-secret page and, for each page, the tweak (host frame) the
 * module publishes in the exclusion range. A copy decrypts with the
 * source's tweak and encrypts with the destination's.
 */
#include <linux/thp_encvm.h>

#include "agent.h"


#define PAGE	4096u
#define WORDS	(PAGE / 4)
#define NPAGES	(OBJ_SIZE / PAGE)

/* A compiler barrier: shared fields are loaded again after it. */
static inline void barrier(void)
{
	__asm__ __volatile__("" : : : "memory");
}

static inline unsigned long long rdtsc(void)
{
	unsigned int lo, hi;

	__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
	return ((unsigned long long)hi << 32) | lo;
}

/*
 * What a 64-bit guest kernel's copy_page() does on this CPU, which has
 * no fast string instructions (copy_page_regs): eight 8-byte loads,
 * then eight stores, 64 bytes a turn. Without 64-bit registers in
 * protected mode, the agent moves through the MMX registers.
 */
static inline void copy_page(unsigned int *d, const unsigned int *s)
{
	unsigned int n = PAGE / 64;

	__asm__ __volatile__("1:\n\t"
			     "movq 0(%1), %%mm0\n\t"
			     "movq 8(%1), %%mm1\n\t"
			     "movq 16(%1), %%mm2\n\t"
			     "movq 24(%1), %%mm3\n\t"
			     "movq 32(%1), %%mm4\n\t"
			     "movq 40(%1), %%mm5\n\t"
			     "movq 48(%1), %%mm6\n\t"
			     "movq 56(%1), %%mm7\n\t"
			     "movq %%mm0, 0(%0)\n\t"
			     "movq %%mm1, 8(%0)\n\t"
			     "movq %%mm2, 16(%0)\n\t"
			     "movq %%mm3, 24(%0)\n\t"
			     "movq %%mm4, 32(%0)\n\t"
			     "movq %%mm5, 40(%0)\n\t"
			     "movq %%mm6, 48(%0)\n\t"
			     "movq %%mm7, 56(%0)\n\t"
			     "addl $64, %1\n\t"
			     "addl $64, %0\n\t"
			     "decl %2\n\t"
			     "jnz 1b\n\t"
			     "emms"
			     : "+r"(d), "+r"(s), "+r"(n) : : "memory", "cc");
}

/* Does page @p hold @v in every word? */
static inline int all_words(const unsigned int *p, unsigned int v)
{
	unsigned int n = WORDS;
	unsigned char eq;

	__asm__ __volatile__("repe scasl; sete %0"
			     : "=q"(eq), "+D"(p), "+c"(n) : "a"(v) : "memory", "cc");
	return eq;
}

static void port_out(unsigned short port, unsigned char v);
static unsigned int map_gpa(unsigned int gpa, unsigned int attrs);
static void enc_setup(void);
static void pio(struct agent_ctl *ctl);
static void enc_read(unsigned int p, unsigned int *buf);
static int private(unsigned int p);
static void fill(unsigned int p, unsigned int v);
static void rewrite(unsigned int p);
static void rewrite_avx(unsigned int p);
static void avx_setup(void);
static void copy_req(struct agent_ctl *ctl, struct thp_encvm_copy_req *q,
		     unsigned int seq);
static unsigned int *page_ptr(unsigned int p);
static void exc_setup(void);
static void irq_setup(void);
static int ring_busy(struct agent_ctl *ctl, struct thp_encvm_ring *ring);
static int poll_ring(struct agent_ctl *ctl, struct thp_encvm_ring *ring);
static void hold(struct agent_ctl *ctl, unsigned int where);
static void serve(struct agent_ctl *ctl, struct thp_encvm_ring *ring);

/* Interrupts taken, counted by irq_entry; the loop reports it in ctl. */
unsigned int wakeups;

/* Encrypted: a page decrypted for verification (the key is below). */
static int enc;
static unsigned int plain[WORDS];

/*
 * The agent's own consumer index and the ring epoch it belongs to. The
 * ring's copy of the index is only reported: a re-attach resets it, and
 * an increment racing with that would leave it past the producer.
 */
static unsigned int cons, epoch;

/* ctl->kvm_page: pages KVM writes, which are not the agent's. */
static unsigned int kvm_page[KVM_PAGES];
/* ctl->gap_*: pages no memslot maps, which the agent cannot reach. */
static unsigned int gap_first, gap_pages;

/* The entry point: first in the file, so first in the binary. */
void start(void)
{
	struct thp_encvm_ring *ring = (void *)(OBJ_GPA + OBJ_RING);
	struct agent_ctl *ctl = (void *)(OBJ_GPA + OBJ_CTL);
	unsigned int *ver = (unsigned int *)AGENT_VER;
	unsigned int p, k, tick = 0, hot = 0;

	/* A driver starting up copies nothing. */
	ring->busy = 0;
	for (p = 0; p < KVM_PAGES; p++)
		kvm_page[p] = ctl->kvm_page[p];
	gap_first = ctl->gap_first;
	gap_pages = ctl->gap_pages;
	if (ctl->enc)
		enc_setup();
	exc_setup();
	if (ctl->avx)
		avx_setup();
	if (ctl->notify == NOTIFY_IRQ)
		irq_setup();
	/* The launch image, through the accessors: before anything else. */
	for (p = LAUNCH_PAGE; ctl->launch && p < LAUNCH_PAGE + LAUNCH_PAGES; p++) {
		unsigned int *w = page_ptr(p), bad = 0;

		if (enc) {
			enc_read(p, plain);
			w = plain;
		}
		for (k = 0; k < WORDS; k++)
			bad += w[k] != agent_word(p, k, 0);
		ctl->launch_bad += bad;
		ctl->launch_ok += !bad;
	}
	for (p = 0; p < NPAGES; p++) {
		if (!private(p))
			continue;
		ver[p] = 1;
		fill(p, 1);
	}
	/* Private -> shared -> private: the VMM hears of it (KVM_EXIT_HYPERCALL). */
	if (ctl->convert_page) {
		unsigned int gpa = agent_gpa(ctl, ctl->convert_page);

		ctl->converted = !map_gpa(gpa, AGENT_MAP_DECRYPTED) +
				 !map_gpa(gpa, AGENT_MAP_ENCRYPTED);
	}
	ctl->phase = 1;
	port_out(PORT_FILLED, 1);
	if (ctl->pio)
		pio(ctl);

	for (;;) {
		/* The VMM and the host write these: load them afresh. */
		barrier();
		if (ctl->stop)
			break;
		if (ring_busy(ctl, ring)) {
			unsigned long long t0 = rdtsc();

			serve(ctl, ring);
			ctl->copy_tsc += rdtsc() - t0;
			/* Done with what was posted: tell the host. */
			if (ctl->doorbell && !ring_busy(ctl, ring)) {
				ctl->rings++;
				port_out(PORT_DOORBELL, 1);
			}
			continue;
		}
		if (ctl->notify == NOTIFY_IRQ && poll_ring(ctl, ring))
			continue;
		if (ctl->notify == NOTIFY_IRQ) {
			/*
			 * Sleep unless there is work: STI takes effect after
			 * HLT starts, so an interrupt raised after the checks
			 * still wakes it. The handler returns with IF set.
			 */
			__asm__ __volatile__("cli" : : : "memory");
			if (!ctl->stop && !ring_busy(ctl, ring))
				__asm__ __volatile__("sti; hlt" : : : "memory");
			else
				__asm__ __volatile__("sti" : : : "memory");
			ctl->wakeups = wakeups;
		}
		/* Now and then rewrite one of a few pages in each window. */
		ctl->quiet_ack = ctl->quiet;
		barrier();
		if (ctl->quiet)
			continue;
		if (ctl->notify == NOTIFY_IRQ ||
		    ++tick % (1u << (ctl->hot_shift ? ctl->hot_shift : 20)) == 0) {
			p = 512 * (1 + hot % (OBJ_ELIGIBLE)) + 17 + hot % 3;
			rewrite(p);
			ctl->hot_writes++;
			hot++;
		}
	}

	for (p = 0; p < NPAGES; p++) {
		unsigned int *w = page_ptr(p);

		if (!private(p))
			continue;
		if (enc) {
			enc_read(p, plain);
			w = plain;
		}
		for (k = 0; k < WORDS; k++) {
			unsigned int want = agent_word(p, k, ver[p]), got = w[k];

			if (got == want)
				continue;
			ctl->bad_words++;
			ctl->bad_bytes += ((got ^ want) & 0xff ? 1 : 0) +
					  ((got ^ want) & 0xff00 ? 1 : 0) +
					  ((got ^ want) & 0xff0000 ? 1 : 0) +
					  ((got ^ want) & 0xff000000 ? 1 : 0);
		}
		ctl->checked++;
	}
	ctl->phase = 2;
	port_out(PORT_VERIFIED, 1);
	for (;;)
		__asm__ __volatile__("hlt");
}


/*
 * Interrupts: a flat GDT (the gates and IRET load CS from it), an IDT
 * whose PIC vectors all go to irq_entry, and the master 8259 with only
 * AGENT_GSI unmasked. Nothing else raises interrupts: there is no PIT.
 */
/* An interrupt gate: naturally aligned, 8 bytes. */
struct gate {
	unsigned short off_lo, sel;
	unsigned char zero, type;
	unsigned short off_hi;
};

/* LGDT/LIDT operand: limit, then base, unaligned: as three halves. */
static void load_dtr(int idt, const void *base, unsigned int size)
{
	unsigned short d[3] = { size - 1, (unsigned int)base & 0xffff,
				(unsigned int)base >> 16 };

	if (idt)
		__asm__ __volatile__("lidt %0" : : "m"(d) : "memory");
	else
		__asm__ __volatile__("lgdt %0" : : "m"(d) : "memory");
}

static unsigned long long gdt[3] = {
	0,
	0x00cf9b000000ffffULL,	/* 0x08: code, flat */
	0x00cf93000000ffffULL,	/* 0x10: data, flat */
};
static struct gate idt[AGENT_VEC_BASE + 16];

/*
 * The master PIC is in auto-EOI mode: no EOI to write, each of which
 * would be an exit to KVM (its PIC is in-kernel, but the exit is not).
 */
static void __attribute__((naked)) irq_entry(void)
{
	__asm__ __volatile__("incl wakeups\n"
			     "iret\n");
}


/*
 * Exceptions 0-31: a stub each, 8 bytes apart, pushes its vector; the
 * common part passes it and the two words above it (EIP, or the error
 * code and EIP) to exc_report(), and halts.
 */
__asm__(".text\n"
	".balign 8\n"
	"exc_stubs:\n"
	".irp v,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
	".balign 8\n"
	"pushl $\\v\n"
	"jmp exc_common\n"
	".endr\n"
	"exc_common:\n"
	"pushl %eax\n"
	"pushl %ecx\n"
	"pushl %edx\n"
	"pushl 20(%esp)\n"
	"pushl 20(%esp)\n"
	"pushl 20(%esp)\n"
	"call exc_report\n"
	"addl $12, %esp\n"
	"testl %eax, %eax\n"
	"popl %edx\n"
	"popl %ecx\n"
	"popl %eax\n"
	"jz 1f\n"
	"leal 4(%esp), %esp\n"
	"iret\n"
	"1: hlt\n"
	"jmp 1b\n");

/*
 * Called by exc_common (cdecl: global, so it is emitted) with the
 * vector and the two words above it. Nested TCG loses the vCPU's AVX
 * state across some exits to KVM, and the next AVX instruction raises
 * #UD: with ctl->avx, XCR0 is loaded again (XSETBV exits to KVM, which
 * restores it) and the instruction retried, a few times at most.
 * Returns 1 to retry, 0 to halt.
 */
int exc_report(unsigned int vec, unsigned int w1, unsigned int w2)
{
	struct agent_ctl *ctl = (void *)(OBJ_GPA + OBJ_CTL);

	if (vec == 6 && ctl->avx && ctl->avx_ud < 16) {
		ctl->avx_ud++;
		avx_setup();
		return 1;
	}
	ctl->exc[0] = vec;
	ctl->exc[1] = w1;
	ctl->exc[2] = w2;
	port_out(PORT_EXC, 1);
	return 0;
}

extern const char exc_stubs[];

/* A flat GDT, and the exception vectors in the IDT. */
static void exc_setup(void)
{
	unsigned int v, h;

	load_dtr(0, gdt, sizeof(gdt));
	__asm__ __volatile__("ljmp $0x08, $1f\n"
			     "1: movl $0x10, %%eax\n"
			     "movl %%eax, %%ds\n movl %%eax, %%es\n movl %%eax, %%ss\n"
			     : : : "eax", "memory");
	for (v = 0; v < 32; v++) {
		h = (unsigned int)exc_stubs + 8 * v;
		idt[v] = (struct gate){ h & 0xffff, 0x08, 0, 0x8e, h >> 16 };
	}
	load_dtr(1, idt, sizeof(idt));
}

static void irq_setup(void)
{
	unsigned int v, h = (unsigned int)irq_entry;

	for (v = AGENT_VEC_BASE; v < AGENT_VEC_BASE + 16; v++)
		idt[v] = (struct gate){ h & 0xffff, 0x08, 0, 0x8e, h >> 16 };
	load_dtr(1, idt, sizeof(idt));
	port_out(0x20, 0x11);		/* ICW1: edge, cascade, ICW4 */
	port_out(0x21, AGENT_VEC_BASE);	/* ICW2: vectors */
	port_out(0x21, 0x04);		/* ICW3: slave on IR2 */
	port_out(0x21, 0x03);		/* ICW4: 8086 mode, auto-EOI */
	port_out(0xa0, 0x11);
	port_out(0xa1, AGENT_VEC_BASE + 8);
	port_out(0xa1, 0x02);
	port_out(0xa1, 0x01);
	port_out(0x21, (unsigned char)~(1u << AGENT_GSI));
	port_out(0xa1, 0xff);
}

/*
 * Is there a request to serve? The host bumps the epoch before it
 * resets the producer index, so a producer index read between two equal
 * epochs belongs to that epoch. A new epoch starts over at slot 0, and
 * so does a rewind the VMM asks for.
 */
static int ring_busy(struct agent_ctl *ctl, struct thp_encvm_ring *ring)
{
	unsigned int e, prod;

	for (;;) {
		barrier();
		if (ctl->mode != MODE_SERVE)
			return 0;
		e = ring->epoch;
		barrier();
		if (ring->magic != THP_ENCVM_RING_MAGIC)
			return 0;
		prod = ring->prod;
		barrier();
		if (ring->epoch == e)
			break;
	}
	if (e != epoch || ctl->rewind) {
		epoch = e;
		cons = 0;
		ctl->rewind = 0;
	}
	return cons != prod;
}

/*
 * Before sleeping: look at the ring for up to ctl->poll_tsc TSC cycles
 * (RDTSC does not exit). Returns 1 if a request came meanwhile.
 */
static int poll_ring(struct agent_ctl *ctl, struct thp_encvm_ring *ring)
{
	unsigned long long t0 = rdtsc();

	while (rdtsc() - t0 < ctl->poll_tsc && !ctl->stop) {
		if (ring_busy(ctl, ring)) {
			ctl->polled++;
			return 1;
		}
	}
	return 0;
}

/* Tell the VMM: an I/O exit. */
static void port_out(unsigned short port, unsigned char v)
{
	barrier();
	__asm__ __volatile__("outb %0, %1" : : "a"(v), "Nd"(port));
}

/* Where page @p of the object is: see agent_gpa(). */
static unsigned int *page_ptr(unsigned int p)
{
	const struct agent_ctl *ctl = (void *)(OBJ_GPA + OBJ_CTL);

	return (unsigned int *)agent_gpa(ctl, p);
}

/* Is page @p one KVM writes itself? */
static int kvm_writes(unsigned int p)
{
	unsigned int k;

	for (k = 0; k < KVM_PAGES; k++)
		if (p == kvm_page[k])
			return 1;
	return 0;
}

/*
 * Private pages: not shared, not the staging window, not the secret,
 * not written by KVM, mapped by a memslot.
 */
static int private(unsigned int p)
{
	return p >= OBJ_SHARED / PAGE && !(enc && p == OBJ_SECRET / PAGE) &&
	       !kvm_writes(p) && p - gap_first >= gap_pages &&
	       (p < OBJ_STAGING / PAGE || p >= OBJ_STAGING / PAGE + 512);
}

/* ---- the memory controller's stand-in (encrypted objects) ---- */

/*
 * Here, not at the top: with -fno-toplevel-reorder, a function of the
 * header the compiler does not inline would come before start().
 */
#include "agent_blake2s.h"

static struct b2s_key key;

static struct thp_encvm_tweaks *tweaks(void)
{
	return (struct thp_encvm_tweaks *)(OBJ_GPA + OBJ_TWEAKS);
}

/* The key, which only the firmware writes, in the launch-secret page. */
static void enc_setup(void)
{
	struct thp_encvm_secret *s = (void *)(OBJ_GPA + OBJ_SECRET);

	do
		barrier();
	while (s->magic != THP_ENCVM_SECRET_MAGIC);
	barrier();
	b2s_setup(&key, (const unsigned int *)s->key);
	enc = 1;
}

/* Wait while the frames change; returns the table's sequence number. */
static unsigned int tweak_begin(void)
{
	unsigned int seq;

	for (;;) {
		barrier();
		seq = __atomic_load_n(&tweaks()->seq, __ATOMIC_ACQUIRE);
		if (!(seq & 1))
			return seq;
	}
}

/* Did the frames change since tweak_begin() returned @seq? */
static int tweak_retry(unsigned int seq)
{
	barrier();
	if (__atomic_load_n(&tweaks()->seq, __ATOMIC_ACQUIRE) == seq)
		return 0;
	((struct agent_ctl *)(OBJ_GPA + OBJ_CTL))->tweak_retries++;
	return 1;
}

static unsigned long long tweak(unsigned int p)
{
	const unsigned int *t = (const unsigned int *)&tweaks()->tweak[p];

	return __atomic_load_n(&t[0], __ATOMIC_RELAXED) |
	       (unsigned long long)__atomic_load_n(&t[1], __ATOMIC_RELAXED) << 32;
}

/*
 * @dst = @src XOR the key stream of page @p's frame: @src is page @p
 * (decrypt into @dst) or @dst is (encrypt @src into it).
 */
static void enc_xor(unsigned int *dst, const unsigned int *src, unsigned int p)
{
	unsigned int b, j, ks[8], seq;
	unsigned long long t;

	do {
		seq = tweak_begin();
		t = tweak(p);
		for (b = 0; b < WORDS / 8; b++) {
			b2s_ctr_words(&key, t, b, ks);
			for (j = 0; j < 8; j++)
				dst[8 * b + j] = src[8 * b + j] ^ ks[j];
		}
	} while (tweak_retry(seq));
}

/* Store page @p at version @v, encrypted for its frame. */
static void enc_fill(unsigned int p, unsigned int v)
{
	unsigned int k;

	for (k = 0; k < WORDS; k++)
		plain[k] = agent_word(p, k, v);
	enc_xor(page_ptr(p), plain, p);
}

/* Load page @p, decrypted, into @buf. */
static void enc_read(unsigned int p, unsigned int *buf)
{
	enc_xor(buf, page_ptr(p), p);
}

/* Copy page @sp to page @dp: decrypt for one frame, encrypt for the other. */
static void enc_copy(unsigned int dp, unsigned int sp)
{
	const unsigned int *s = page_ptr(sp);
	unsigned int *d = page_ptr(dp);
	unsigned int b, j, ks[8], kd[8], seq;
	unsigned long long ts, td;

	do {
		seq = tweak_begin();
		ts = tweak(sp);
		td = tweak(dp);
		for (b = 0; b < WORDS / 8; b++) {
			b2s_ctr_words(&key, ts, b, ks);
			b2s_ctr_words(&key, td, b, kd);
			for (j = 0; j < 8; j++)
				d[8 * b + j] = s[8 * b + j] ^ ks[j] ^ kd[j];
		}
	} while (tweak_retry(seq));
}

static void fill(unsigned int p, unsigned int v)
{
	unsigned int *w = page_ptr(p);
	unsigned int k;

	if (enc) {
		enc_fill(p, v);
		return;
	}
	for (k = 0; k < WORDS; k++)
		w[k] = agent_word(p, k, v);
}

static void rewrite(unsigned int p)
{
	unsigned int *ver = (unsigned int *)AGENT_VER;

	ver[p]++;
	fill(p, ver[p]);
}

/*
 * Copy a page with 32-byte AVX loads and stores: VEX-encoded, which
 * KVM's instruction emulator does not decode. Needs avx_setup().
 */
static void avx_copy_page(unsigned int *d, const unsigned int *s)
{
	unsigned int n = PAGE / 32;

	__asm__ __volatile__("1:\n\t"
			     "vmovdqu (%1), %%ymm0\n\t"
			     "vmovdqu %%ymm0, (%0)\n\t"
			     "addl $32, %1\n\t"
			     "addl $32, %0\n\t"
			     "decl %2\n\t"
			     "jnz 1b\n\t"
			     "vzeroupper"
			     : "+r"(d), "+r"(s), "+r"(n) : : "memory", "cc");
}

/*
 * Enable AVX: CR4.OSFXSR and CR4.OSXSAVE (the vCPU's CPUID must have
 * XSAVE, or KVM refuses the bit), then XCR0 = x87 | SSE | AVX.
 */
static void avx_setup(void)
{
	unsigned int cr4;

	__asm__ __volatile__("mov %%cr4, %0" : "=r"(cr4));
	cr4 |= (1u << 9) | (1u << 18);
	__asm__ __volatile__("mov %0, %%cr4" : : "r"(cr4) : "memory");
	__asm__ __volatile__("xsetbv" : : "a"(7), "d"(0), "c"(0) : "memory");
	__asm__ __volatile__("vmovdqa %%ymm0, %%ymm1\n\tvzeroupper" : : : "memory");
}

/* Encrypted page contents, staged for rewrite_avx(). */
static unsigned int cipher[WORDS];

/*
 * rewrite(), with the page's stores all AVX: the new contents are made
 * in a buffer of slot 0 (encrypted for the page's frame, if the object
 * is), then copied into the page with avx_copy_page().
 */
static void rewrite_avx(unsigned int p)
{
	unsigned int *ver = (unsigned int *)AGENT_VER;
	unsigned int k, seq = 0;

	ver[p]++;
	for (k = 0; k < WORDS; k++)
		plain[k] = agent_word(p, k, ver[p]);
	do {
		if (enc) {
			seq = tweak_begin();
			enc_xor(cipher, plain, p);
		}
		avx_copy_page(page_ptr(p), enc ? cipher : plain);
	} while (enc && tweak_retry(seq));
	((struct agent_ctl *)(OBJ_GPA + OBJ_CTL))->avx_writes++;
}

/* Wait while the VMM holds requests at point @where. */
static void hold(struct agent_ctl *ctl, unsigned int where)
{
	barrier();
	if (ctl->hold != where)
		return;
	ctl->held++;
	do
		barrier();
	while (ctl->hold == where && !ctl->stop);
}

/*
 * Is request @q, taken as @seq, still wanted: not cancelled, and its
 * slot not taken by another? The flags first: the host clears them
 * only after it has cleared the sequence number.
 */
static int live(struct thp_encvm_copy_req *q, unsigned int seq)
{
	unsigned int flags;

	barrier();
	flags = q->flags;
	barrier();
	return !(flags & THP_ENCVM_REQ_CANCELLED) && q->seq == seq;
}

/*
 * Serve the request at the agent's consumer index. Its sequence number
 * is read first and published as busy before anything else of it is
 * read (with a full barrier between): the host stages no new page while
 * busy is set, and every request it is not waiting for is either
 * cancelled or completed by then, which the guest sees. A completed
 * request is never copied again: a slot the agent comes back to (after
 * a restart, a re-attach, or falling a ring behind) holds either that
 * or a new request. Busy is cleared before the completion, so that the
 * host never finds it set once it saw the last request of a collapse
 * completed.
 */
static void serve(struct agent_ctl *ctl, struct thp_encvm_ring *ring)
{
	struct thp_encvm_copy_req *q = &ring->req[cons % THP_ENCVM_RING_SLOTS];
	/* One load, kept: the host may rewrite the slot at any time. */
	unsigned int seq = __atomic_load_n(&q->seq, __ATOMIC_RELAXED), e = epoch;

	cons++;
	if (!seq)	/* the host is writing the slot again */
		goto out;
	ring->busy = seq;
	__asm__ __volatile__("mfence" : : : "memory");
	hold(ctl, HOLD_BEFORE);
	if (q->done != seq) {
		copy_req(ctl, q, seq);
		hold(ctl, HOLD_AFTER);
	} else {
		ctl->repeats++;
	}
	ring->busy = 0;
	barrier();
	if (q->seq == seq)
		q->done = seq;
	ctl->requests++;
out:
	barrier();
	if (ring->epoch == e)
		ring->cons = cons;
}

static void copy_req(struct agent_ctl *ctl, struct thp_encvm_copy_req *q,
		     unsigned int seq)
{
	unsigned int n = q->nr_pages, i;
	unsigned int src = (unsigned int)q->src_gpa;
	unsigned int dst = (unsigned int)q->dst_gpa;

	/* The fields are the request's if its sequence number still is. */
	if (!live(q, seq)) {
		barrier();
		if (q->seq == seq && n == 512)
			ctl->windows++;
		ctl->cancelled++;
		return;
	}
	if (n == 512)
		ctl->windows++;
	if (n > 512)
		n = 512;
	for (i = 0; i < n; i++) {
		unsigned int *s = (unsigned int *)(src + i * PAGE);
		unsigned int *d = (unsigned int *)(dst + i * PAGE);
		unsigned int poisoned = 1;

		/* A cancelled request stops here: the host reuses @dst. */
		if (!live(q, seq)) {
			ctl->cancelled++;
			return;
		}
		/*
		 * A window's first request copies into a fresh 2 MiB page:
		 * every destination must still hold the host's poison.
		 * Later requests re-copy into pages copied before.
		 */
		if (n == 512 && !ctl->no_poison_check) {
			poisoned = all_words(d, THP_ENCVM_POISON);
			/*
			 * A rollback cancels the request before it puts the
			 * window's own pages back: a page found without the
			 * poison of a request cancelled since then is one of
			 * those, not a fresh page.
			 */
			if (!poisoned && !live(q, seq)) {
				ctl->cancelled++;
				return;
			}
			if (poisoned)
				ctl->poison_ok++;
			else
				ctl->poison_bad++;
		}
		/* The store that a cancellation may come too late for. */
		if (i == HOLD_MID_PAGE)
			hold(ctl, HOLD_MID);
		if (enc)
			enc_copy(agent_page(ctl, dst) + i, agent_page(ctl, src) + i);
		else
			copy_page(d, s);
		ctl->pages++;
	}
	/* A whole window's first copy: write two sources after the fact. */
	if (n == 512) {
		unsigned int p = agent_page(ctl, src);

		if (ctl->avx) {
			rewrite_avx(p + 5);
			rewrite_avx(p + 300);
		} else {
			rewrite(p + 5);
			rewrite(p + 300);
		}
		ctl->dirty_writes += 2;
	}
}


/*
 * Intercepted string I/O: from private memory the VMM gets what is
 * there (ciphertext, if encrypted); through the exclusion range it gets
 * the plaintext, and hands data back the same way.
 */
static void pio(struct agent_ctl *ctl)
{
	unsigned char *out = (unsigned char *)(OBJ_GPA + OBJ_PIO);
	unsigned char *in = out + PIO_LEN, *reply = out + 2 * PIO_LEN;
	const unsigned char *src = (const unsigned char *)page_ptr(PIO_PAGE);
	unsigned int n = PIO_LEN, i, ok = 1;

	__asm__ __volatile__("rep outsb" : "+S"(src), "+c"(n) : "d"(PORT_PIO) : "memory");
	if (enc)
		enc_read(PIO_PAGE, plain);
	else
		for (i = 0; i < PIO_LEN / 4; i++)
			plain[i] = page_ptr(PIO_PAGE)[i];
	for (i = 0; i < PIO_LEN; i++)
		out[i] = ((unsigned char *)plain)[i];
	src = out;
	n = PIO_LEN;
	__asm__ __volatile__("rep outsb" : "+S"(src), "+c"(n) : "d"(PORT_PIO) : "memory");
	n = PIO_LEN;
	__asm__ __volatile__("rep insb" : "+D"(in), "+c"(n) : "d"(PORT_PIO) : "memory");
	in = out + PIO_LEN;
	for (i = 0; i < PIO_LEN; i++)
		ok &= in[i] == pio_byte(i, 0) && reply[i] == pio_byte(i, 1);
	ctl->pio_in_ok = ok;
}

/*
 * KVM_HC_MAP_GPA_RANGE of the page at @gpa to @attrs: KVM passes it to
 * the VMM (KVM_CAP_EXIT_HYPERCALL), whose answer comes back in eax.
 * VMCALL: KVM takes the #UD on AMD and emulates it.
 */
static unsigned int map_gpa(unsigned int gpa, unsigned int attrs)
{
	unsigned int ret = AGENT_HC_MAP_GPA_RANGE;

	__asm__ __volatile__("vmcall"
			     : "+a"(ret)
			     : "b"(gpa), "c"(1), "d"(attrs), "S"(0)
			     : "memory");
	return ret;
}
