// SPDX-License-Identifier: GPL-2.0
/*
 * The nested_notify core against a model of L1: random rounds of
 * doorbells, consumption by L1, arming, ring remaps with a new
 * generation, and hostile entries and rings. Checks that records arrive
 * in order with none lost or duplicated, that records plus pending
 * equal doorbells, that an observer reading the ring after every single
 * write never sees a producer index ahead of a complete record, that a
 * remapped ring is re-walked (the old pages stay untouched), that
 * hostile entries are refused with their errno and no write, and that
 * an armed ring gets exactly one interrupt. Prints TAP.
 */
#include <stdio.h>
#include <stdlib.h>

#include "nn_mem.h"

#define MEM_SIZE	(16ULL << 20)
#define TABLE_GPA	0x10000ULL
#define POOL_GPA	0x400000ULL
#define RING_VA		0x7fff00000000ULL
#define POISON		0xaa

static unsigned int tests, failed;

static void ok(int cond, const char *what)
{
	tests++;
	if (!cond)
		failed++;
	printf("%sok %u - %s\n", cond ? "" : "not ", tests, what);
}

static struct nn_mem m;
static struct nn_env env = { nnm_read, nnm_write, &m, nnm_walk_read };
static u64 cr3, next_pool;
static struct nested_notify_entry *ent;
static u64 ring_gva, ring_pages[NN_RING_MAX_PAGES], old_pages[4096];
static unsigned int nr_ring_pages, nr_old;

/* Byte @off of the ring, through the model's own mapping. */
static void *ring_ptr(u64 off)
{
	u64 va = ring_gva + off;
	u64 page = (va - (ring_gva & ~4095ULL)) / 4096;

	return m.mem + ring_pages[page] + (va & 4095);
}

static struct nested_notify_ring *hdr(void)
{
	return ring_ptr(0);
}

static struct nested_notify_record *rec(u32 i)
{
	return ring_ptr(NN_RING_HDR + (u64)(i & (ent->slots - 1)) * NN_REC_SIZE);
}

static bool rec_ok(const struct nested_notify_record *r, u64 seq)
{
	return r->seq == seq && r->count &&
	       r->check == nested_notify_record_check(r->seq, r->count, r->entry, r->time_ns);
}

/* The observer: L1 reading the ring between any two writes of L0. */
static u32 obs_prod;
static u64 obs_seq, bad_order;

static void observe(struct nn_mem *mm, u64 gpa, unsigned int len)
{
	while (obs_prod != hdr()->prod) {
		struct nested_notify_record *r = rec(obs_prod);

		if (!rec_ok(r, obs_seq)) {
			bad_order++;
			obs_seq = r->seq;
		}
		obs_seq += r->count;
		obs_prod++;
	}
}

/* Map the ring at fresh pool pages; the old ones are poisoned. */
static void map_ring(bool copy)
{
	u64 first = ring_gva & ~4095ULL;
	u64 last = (ring_gva + NN_RING_HDR + (u64)ent->slots * NN_REC_SIZE - 1) & ~4095ULL;
	unsigned int i, n = (last - first) / 4096 + 1;

	for (i = 0; i < n; i++) {
		u64 p = next_pool;

		next_pool += 4096;
		if (copy)
			memcpy(m.mem + p, m.mem + ring_pages[i], 4096);
		else
			memset(m.mem + p, 0, 4096);
		if (copy && nr_old < 4096) {
			memset(m.mem + ring_pages[i], POISON, 4096);
			old_pages[nr_old++] = ring_pages[i];
		}
		ring_pages[i] = p;
		nnm_map(&m, cr3, first + i * 4096, p, NNM_P | NNM_RW);
	}
	nr_ring_pages = n;
}

static bool old_pages_clean(void)
{
	unsigned int i, k;

	for (i = 0; i < nr_old; i++)
		for (k = 0; k < 4096; k++)
			if (m.mem[old_pages[i] + k] != POISON)
				return false;
	return true;
}

static struct {
	u64 rung, consumed, seq, bad_seq, bad_acct, irqs, lost_irq, spurious_irq;
	u64 hostile, bad_hostile, full, coalesced_recs, stale_writes;
} s;

static void consume(unsigned int max)
{
	struct nested_notify_ring *h = hdr();

	while (max-- && h->cons != h->prod) {
		struct nested_notify_record *r = rec(h->cons);

		if (!rec_ok(r, s.seq))
			s.bad_seq++;
		if (r->count > 1)
			s.coalesced_recs++;
		s.seq = r->seq + r->count;
		s.consumed += r->count;
		h->cons++;
	}
	if (h->cons == h->prod)
		h->flags &= ~NESTED_NOTIFY_RING_OVERFLOW;
}

static int deliver(struct nn_dev *d, struct nn_table *t, struct nn_stats *st, u64 n)
{
	u32 armed = hdr()->armed;
	int ret;

	s.rung += n;
	ret = nn_deliver(d, t, &env, n, s.rung, st);
	if (ret > 0 && (ret & NN_WROTE)) {
		if (armed && (!(ret & NN_IRQ) || hdr()->armed))
			s.lost_irq++;
		if (!armed && (ret & NN_IRQ))
			s.spurious_irq++;
		if (ret & NN_IRQ)
			s.irqs++;
	}
	if (ret > 0 && (ret & NN_FULL))
		s.full++;
	if (st->delivered + d->pending != st->doorbells || st->doorbells != s.rung)
		s.bad_acct++;
	return ret;
}

/* One hostile change; the delivery must fail with @want and write nothing. */
static void hostile(struct nn_dev *d, struct nn_table *t, struct nn_stats *st)
{
	struct nested_notify_entry save = *ent;
	struct nn_table tt = *t;
	unsigned int k = random() % 9;
	unsigned long writes = m.writes;
	u64 pending = d->pending, *pte = NULL, saved_pte = 0;
	u32 cons = hdr()->cons;
	int want, ret;

	ent->generation++;
	switch (k) {
	case 0:
		ent->flags = 0;
		want = -EINVAL;
		break;
	case 1:
		ent->flags |= NESTED_NOTIFY_ENTRY_LA57;
		want = -EOPNOTSUPP;
		break;
	case 2:
		ent->slots = NESTED_NOTIFY_MAX_SLOTS * 2;
		want = -E2BIG;
		break;
	case 3:
		ent->slots = 3;
		want = -EINVAL;
		break;
	case 4:
		ent->ring_gva = 0x0000800000000000ULL;
		want = -EINVAL;
		break;
	case 5:	/* unmapped */
		ent->ring_gva = 0x100000000ULL;
		want = -ENOENT;
		break;
	case 6:	/* one ring page read-only */
		k = random() % nr_ring_pages;
		pte = nnm_map(&m, cr3, (ring_gva & ~4095ULL) + k * 4096ULL,
			      ring_pages[k], NNM_P);
		saved_pte = *pte | NNM_RW;
		k = 6;
		want = -EACCES;
		break;
	case 7:
		hdr()->cons = hdr()->prod + 5;
		want = -EPROTO;
		break;
	default:
		tt.nr_entries = d->index;
		want = -ENXIO;
		break;
	}
	ret = deliver(d, &tt, st, 1);
	s.hostile++;
	if (ret != want || m.writes != writes || d->pending != pending + 1)
		s.bad_hostile++;
	*ent = save;
	ent->generation += 2;
	if (pte)
		*pte = saved_pte;
	if (k == 7)
		hdr()->cons = cons;
}

int main(void)
{
	unsigned int trial;

	printf("TAP version 13\n");
	m.mem = malloc(MEM_SIZE);
	m.size = MEM_SIZE;
	m.after_write = observe;
	srandom(16);
	for (trial = 0; trial < 300; trial++) {
		struct nn_table t = { TABLE_GPA, 4 };
		struct nn_stats st = { 0 };
		struct nn_dev d;
		unsigned int step, idx = random() % 4;

		memset(m.mem, 0, MEM_SIZE);
		m.next_table = 0x100000;
		cr3 = nnm_new_table(&m);
		next_pool = POOL_GPA;
		nr_old = 0;
		ent = (void *)(m.mem + TABLE_GPA + idx * NN_ENTRY_SIZE);
		ent->flags = NESTED_NOTIFY_ENTRY_VALID;
		ent->generation = random();
		ent->cr3 = cr3;
		ent->slots = 1U << (random() % 11);
		ring_gva = RING_VA + (random() % 64) * 64;
		ent->ring_gva = ring_gva;
		map_ring(false);
		nn_dev_init(&d, idx);
		obs_prod = 0;
		obs_seq = 1;
		s.seq = 1;
		s.rung = s.consumed = 0;
		for (step = 0; step < 400; step++) {
			unsigned int r = random() % 100;

			if (r < 50)
				deliver(&d, &t, &st, 1 + (random() % 4 ? 0 : random() % 8));
			else if (r < 75)
				consume(random() % (ent->slots + 2));
			else if (r < 82)
				hdr()->armed = 1;
			else if (r < 86) {
				map_ring(true);
				ent->generation++;
			} else if (r < 92)
				hostile(&d, &t, &st);
			else
				deliver(&d, &t, &st, 0);
		}
		/* Drain: everything rung reaches L1, once. */
		for (step = 0; d.pending && step < 1000; step++) {
			consume(~0U);
			deliver(&d, &t, &st, 0);
		}
		consume(~0U);
		if (s.consumed != s.rung || !old_pages_clean())
			s.stale_writes += s.consumed != s.rung ? 1000000 : 1;
	}
	ok(!s.bad_seq, "records arrive in order, none lost or duplicated");
	ok(!s.stale_writes, "all doorbells reach L1 after a drain; remapped rings re-walked");
	ok(!s.bad_acct, "records plus pending equal doorbells after every delivery");
	ok(!bad_order, "no producer index ahead of a complete record, at any write");
	ok(!s.bad_hostile && s.hostile > 100, "hostile entries and rings: errno, no write, pending kept");
	ok(!s.lost_irq && !s.spurious_irq && s.irqs > 100, "an armed ring gets exactly one interrupt");
	ok(s.full > 100 && s.coalesced_recs > 100, "full rings coalesce their pending doorbells");
	ok(m.walk_reads > 0 && m.walk_reads < m.reads,
	   "the translation reads through walk_read, the rest through read");
	printf("# last trial: rung %llu; all: hostile %llu irqs %llu full %llu coalesced records %llu\n",
	       (unsigned long long)s.rung, (unsigned long long)s.hostile,
	       (unsigned long long)s.irqs, (unsigned long long)s.full,
	       (unsigned long long)s.coalesced_recs);
	printf("1..%u\n", tests);
	free(m.mem);
	return failed != 0;
}
