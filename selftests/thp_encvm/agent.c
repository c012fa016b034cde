// SPDX-License-Identifier: GPL-2.0
/*
 * Guest agent for the thp_encvm KVM test: a freestanding 32-bit program
 * loaded at AGENT_CODE and entered in flat protected mode. It fills its
 * private memory with versioned patterns, services the copy ring
 * (checking that every destination still holds the host's poison and
 * writing to some sources right after copying them, which must make
 * the host copy them again), keeps rewriting a few pages, and finally
 * verifies every byte.
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

/* String instructions: what a guest kernel's copy_page() would use. */
static inline void copy_page(unsigned int *d, const unsigned int *s)
{
	unsigned int n = WORDS;

	__asm__ __volatile__("rep movsl" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
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
static int private(unsigned int p);
static void fill(unsigned int p, unsigned int v);
static void rewrite(unsigned int p);
static void copy_req(struct agent_ctl *ctl, struct thp_encvm_copy_req *q);
static unsigned int *page_ptr(unsigned int p);

/* The entry point: first in the file, so first in the binary. */
void start(void)
{
	struct thp_encvm_ring *ring = (void *)(OBJ_GPA + OBJ_RING);
	struct agent_ctl *ctl = (void *)(OBJ_GPA + OBJ_CTL);
	unsigned int *ver = (unsigned int *)AGENT_VER;
	unsigned int p, k, tick = 0, hot = 0;

	for (p = 0; p < NPAGES; p++) {
		if (!private(p))
			continue;
		ver[p] = 1;
		fill(p, 1);
	}
	ctl->phase = 1;
	port_out(PORT_FILLED, 1);

	for (;;) {
		/* The VMM and the host write these: load them afresh. */
		barrier();
		if (ctl->stop)
			break;
		if (ctl->mode == MODE_SERVE && ring->magic == THP_ENCVM_RING_MAGIC &&
		    ring->cons != ring->prod) {
			unsigned long long t0 = rdtsc();
			struct thp_encvm_copy_req *q;

			q = &ring->req[ring->cons % THP_ENCVM_RING_SLOTS];
			copy_req(ctl, q);
			barrier();
			q->done = q->seq;
			barrier();
			ring->cons++;
			ctl->requests++;
			ctl->copy_tsc += rdtsc() - t0;
		}
		/* Now and then rewrite one of a few pages in each window. */
		if (++tick % (1 << 20) == 0) {
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


/* Tell the VMM: an I/O exit. */
static void port_out(unsigned short port, unsigned char v)
{
	barrier();
	__asm__ __volatile__("outb %0, %1" : : "a"(v), "Nd"(port));
}

static unsigned int *page_ptr(unsigned int p)
{
	return (unsigned int *)(OBJ_GPA + p * PAGE);
}

/* Private pages: not shared, not the staging window. */
static int private(unsigned int p)
{
	return p >= OBJ_SHARED / PAGE &&
	       (p < OBJ_STAGING / PAGE || p >= OBJ_STAGING / PAGE + 512);
}

static void fill(unsigned int p, unsigned int v)
{
	unsigned int *w = page_ptr(p);
	unsigned int k;

	for (k = 0; k < WORDS; k++)
		w[k] = agent_word(p, k, v);
}

static void rewrite(unsigned int p)
{
	unsigned int *ver = (unsigned int *)AGENT_VER;

	ver[p]++;
	fill(p, ver[p]);
}

static void copy_req(struct agent_ctl *ctl,
		     struct thp_encvm_copy_req *q)
{
	unsigned int n = q->nr_pages, i;
	unsigned int src = (unsigned int)q->src_gpa;
	unsigned int dst = (unsigned int)q->dst_gpa;

	if (n > 512)
		n = 512;
	for (i = 0; i < n; i++) {
		unsigned int *s = (unsigned int *)(src + i * PAGE);
		unsigned int *d = (unsigned int *)(dst + i * PAGE);
		unsigned int poisoned = 1;

		/*
		 * A window's first request copies into a fresh 2 MiB page:
		 * every destination must still hold the host's poison.
		 * Later requests re-copy into pages copied before.
		 */
		if (n == 512) {
			poisoned = all_words(d, THP_ENCVM_POISON);
			if (poisoned)
				ctl->poison_ok++;
			else
				ctl->poison_bad++;
		}
		copy_page(d, s);
		ctl->pages++;
	}
	/* A whole window's first copy: write two sources after the fact. */
	if (n == 512) {
		unsigned int p = (src - OBJ_GPA) / PAGE;

		rewrite(p + 5);
		rewrite(p + 300);
		ctl->dirty_writes += 2;
	}
}

