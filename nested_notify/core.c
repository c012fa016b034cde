// SPDX-License-Identifier: GPL-2.0
/*
 * nested_notify core: delivery of doorbells into an L1 ring (see
 * nn_core.h). Everything it reads from L1 memory is hostile: the entry
 * is checked field by field, every page of the ring is translated by
 * ptsel's guest walker and must be writable, and a ring whose indices
 * disagree is left alone. Whatever stops a delivery leaves its
 * doorbells pending, so none is lost; the work a delivery does is
 * bounded by NN_RING_MAX_PAGES walks whatever L1 writes.
 */
#include <linux/errno.h>
#include <linux/export.h>
#include <linux/kernel.h>
#include <linux/string.h>
#include <asm/barrier.h>
#include <memvirt/ptsel.h>

#include "nn_core.h"

/**
 * nn_dev_init() - a device with nothing delivered yet
 * @d: the device
 * @index: its table entry
 */
void nn_dev_init(struct nn_dev *d, u32 index)
{
	*d = (struct nn_dev){ .index = index, .next_seq = 1 };
	ptsel_gwalk_cache_init(&d->walk, d->page_gpa, NN_RING_MAX_PAGES);
}
EXPORT_SYMBOL_IF_KUNIT(nn_dev_init);

/**
 * nn_entry_check() - may a delivery use this entry?
 * @e: the entry, as read from L1 memory
 *
 * Return: 0; -EINVAL for an entry not valid, with unknown flags, a
 * non-zero reserved field, a misaligned ring or a slot count that is no
 * power of two; -E2BIG for more than NESTED_NOTIFY_MAX_SLOTS slots;
 * -EOPNOTSUPP for a 5-level CR3.
 */
int nn_entry_check(const struct nested_notify_entry *e)
{
	unsigned int i;

	if (!(e->flags & NESTED_NOTIFY_ENTRY_VALID) ||
	    (e->flags & ~NESTED_NOTIFY_ENTRY_FLAGS))
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(e->reserved); i++)
		if (e->reserved[i])
			return -EINVAL;
	if (e->flags & NESTED_NOTIFY_ENTRY_LA57)
		return -EOPNOTSUPP;
	if (e->slots > NESTED_NOTIFY_MAX_SLOTS)
		return -E2BIG;
	if (!e->slots || (e->slots & (e->slots - 1)) || (e->ring_gva & 63))
		return -EINVAL;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(nn_entry_check);

static int nn_walk_read(void *priv, u64 gpa, u64 *val)
{
	const struct nn_env *env = priv;

	if (env->walk_read)
		return env->walk_read(env->priv, gpa, val, sizeof(*val));
	return env->read(env->priv, gpa, val, sizeof(*val));
}

static const struct ptsel_gwalk_ops nn_gwalk_ops = { .read = nn_walk_read };

/* The walk of @e's ring, from the cache when @e's key did not change. */
static int nn_walk_ring(struct nn_dev *d, const struct nested_notify_entry *e,
			const struct nn_env *env, struct nn_stats *st)
{
	struct ptsel_gwalk_key key = {
		.cr3 = e->cr3,
		.generation = e->generation,
		.gva = e->ring_gva,
		.len = NN_RING_HDR + (u64)e->slots * NN_REC_SIZE,
		.levels = 4,
		.prot = PTSEL_PROT_WRITE,
	};
	u64 walks = d->walk.walks;
	int ret;

	ret = ptsel_gwalk_cache_get(&d->walk, &nn_gwalk_ops, (void *)env, &key);
	st->walks += d->walk.walks - walks;
	if (ret == 1)
		st->walk_hits++;
	return ret < 0 ? ret : 0;
}

/* L1 guest-physical address of @len bytes at @off in the ring (one page). */
static int nn_ring_gpa(const struct nn_dev *d, u64 off, u32 len, u64 *gpa)
{
	return ptsel_gwalk_cache_gpa(&d->walk, d->walk.key.gva + off, len, gpa);
}

static int nn_put32(const struct nn_env *env, u64 gpa, u32 v)
{
	return env->write(env->priv, gpa, &v, sizeof(v));
}

/*
 * Append one record for everything pending to the ring of the cached
 * walk. Returns NN_* bits or -errno.
 */
static int nn_append(struct nn_dev *d, u32 slots, const struct nn_env *env,
		     u64 now_ns, struct nn_stats *st)
{
	struct nested_notify_ring hdr;
	struct nested_notify_record rec;
	u64 hdr_gpa, rec_gpa;
	u32 used, armed;
	int ret;

	ret = nn_ring_gpa(d, 0, NN_RING_HDR, &hdr_gpa);
	if (ret)
		return ret;
	ret = env->read(env->priv, hdr_gpa, &hdr, offsetof(struct nested_notify_ring, reserved));
	if (ret)
		return ret;
	used = hdr.prod - hdr.cons;
	if (used > slots)
		return -EPROTO;
	if (used == slots) {
		st->overflows++;
		if (!(hdr.flags & NESTED_NOTIFY_RING_OVERFLOW)) {
			ret = nn_put32(env, hdr_gpa + offsetof(struct nested_notify_ring, flags),
				       hdr.flags | NESTED_NOTIFY_RING_OVERFLOW);
			if (ret)
				return ret;
		}
		return NN_FULL;
	}

	rec.seq = d->next_seq;
	rec.count = d->pending > (u32)~0U ? (u32)~0U : d->pending;
	rec.entry = d->index;
	rec.time_ns = now_ns;
	rec.check = nested_notify_record_check(rec.seq, rec.count, rec.entry, rec.time_ns);
	ret = nn_ring_gpa(d, NN_RING_HDR + (u64)(hdr.prod & (slots - 1)) * NN_REC_SIZE,
			  NN_REC_SIZE, &rec_gpa);
	if (ret)
		return ret;
	/*
	 * The body, then the sequence number, then the producer index. L1
	 * reads them on another vCPU in the opposite order; each write is
	 * an ordinary store (or a string of them) to the same physical
	 * pages L1 maps, so smp_wmb() between them orders them as L1 sees
	 * them. (On x86 it only keeps the compiler from merging: stores
	 * are seen in program order, and those of one string operation
	 * all before those of a later one.) L1 pairs it with a read
	 * barrier between prod and the record (smp_rmb(): none on x86).
	 */
	ret = env->write(env->priv, rec_gpa + offsetof(struct nested_notify_record, count),
			 &rec.count, sizeof(rec) - offsetof(struct nested_notify_record, count));
	smp_wmb();	/* body before seq: pairs with L1's read of seq */
	if (!ret)
		ret = env->write(env->priv, rec_gpa, &rec.seq, sizeof(rec.seq));
	smp_wmb();	/* seq before prod: pairs with L1's read of prod */
	if (!ret)
		ret = nn_put32(env, hdr_gpa + offsetof(struct nested_notify_ring, prod),
			       hdr.prod + 1);
	if (ret)
		return ret;

	st->records++;
	st->delivered += rec.count;
	st->coalesced += rec.count - 1;
	d->next_seq += rec.count;
	d->pending -= rec.count;

	/*
	 * Arming handshake: L1 writes armed, then reads prod; L0 wrote
	 * prod above, then reads armed. With a full barrier on both sides
	 * one of them sees the other's write: no wakeup is lost. When
	 * armed cannot be read or cleared, interrupt anyway: a spurious
	 * interrupt costs L1 a look at its ring, a lost one a stall.
	 */
	smp_mb();
	ret = env->read(env->priv, hdr_gpa + offsetof(struct nested_notify_ring, armed),
			&armed, sizeof(armed));
	if (ret)
		return NN_WROTE | NN_IRQ;
	if (!armed)
		return NN_WROTE;
	nn_put32(env, hdr_gpa + offsetof(struct nested_notify_ring, armed), 0);
	return NN_WROTE | NN_IRQ;
}

/**
 * nn_deliver() - account new doorbells and deliver what is pending
 * @d: the device
 * @t: L1's table
 * @env: access to L1 memory
 * @new_doorbells: doorbells rung since the last call
 * @now_ns: timestamp for the record
 * @st: counters to update
 *
 * Re-reads the device's entry; a changed entry (new generation, CR3,
 * ring or size) drops the cached walk. Doorbells that are not written
 * (full ring, a fault) stay pending for the next call: afterwards
 * @d->pending plus the doorbells of all records written equals all the
 * doorbells ever passed in. A record stands for at most U32_MAX of
 * them; the rest waits for the next call.
 *
 * Return: NN_* bits (0 when nothing was pending), or -errno of what
 * stopped the delivery (see nn_entry_check(), ptsel_gwalk_cache_get();
 * -ENXIO: no table or the entry is past its end; -EACCES: a ring page
 * is read-only; -EPROTO: the ring's indices say more records than
 * slots; or @env's error).
 */
int nn_deliver(struct nn_dev *d, const struct nn_table *t, const struct nn_env *env,
	       u64 new_doorbells, u64 now_ns, struct nn_stats *st)
{
	struct nested_notify_entry e;
	int ret;

	d->pending += new_doorbells;
	st->doorbells += new_doorbells;
	if (!d->pending)
		return 0;
	if (!t->gpa || d->index >= t->nr_entries) {
		ret = -ENXIO;
		goto fault;
	}
	ret = env->read(env->priv, t->gpa + (u64)d->index * NN_ENTRY_SIZE, &e, sizeof(e));
	if (!ret)
		ret = nn_entry_check(&e);
	if (ret)
		goto fault;
	ret = nn_walk_ring(d, &e, env, st);
	if (ret)
		goto fault;
	ret = nn_append(d, e.slots, env, now_ns, st);
	if (ret >= 0)
		return ret;
fault:
	/* The next delivery walks again: the fault may be L1 remapping. */
	ptsel_gwalk_cache_invalidate(&d->walk);
	st->faults++;
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(nn_deliver);
