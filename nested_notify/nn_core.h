/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nested_notify core: the delivery of doorbells into an L1 ring, as
 * pure code. It reads the device's table entry, checks it, translates
 * the ring through L1's page tables with ptsel's guest walker (its
 * guest-walk cache keeps the walk per entry generation), and appends one record for all the
 * doorbells still pending. It neither allocates, locks, sleeps nor
 * traces: guest memory is read and written through struct nn_env, and
 * the caller serializes the deliveries of one device. The same source
 * builds in userspace (tools/testing/userspace) for model tests and
 * fuzzing, and in the KUnit module.
 */
#ifndef _NN_CORE_H
#define _NN_CORE_H

#include <linux/types.h>
#include <linux/nested_notify.h>
#include <kunit/visibility.h>
#include <memvirt/ptsel.h>

#define NN_PAGE_SIZE		4096ULL
#define NN_RING_HDR		sizeof(struct nested_notify_ring)
#define NN_REC_SIZE		sizeof(struct nested_notify_record)
#define NN_ENTRY_SIZE		sizeof(struct nested_notify_entry)
/* Pages a ring of NESTED_NOTIFY_MAX_SLOTS records can touch. */
#define NN_RING_MAX_PAGES	\
	((NN_RING_HDR + NESTED_NOTIFY_MAX_SLOTS * NN_REC_SIZE) / NN_PAGE_SIZE + 2)

/**
 * struct nn_env - how the core reaches L1 memory
 * @read: copy @len bytes at L1 guest-physical @gpa into @buf; 0 or -errno
 * @write: copy @len bytes from @buf to L1 guest-physical @gpa; 0 or -errno
 * @priv: cookie for all three
 * @walk_read: as @read, for the reads of the ring's translation (L1's
 *	       page tables); NULL: @read
 */
struct nn_env {
	int (*read)(void *priv, u64 gpa, void *buf, unsigned int len);
	int (*write)(void *priv, u64 gpa, const void *buf, unsigned int len);
	void *priv;
	int (*walk_read)(void *priv, u64 gpa, void *buf, unsigned int len);
};

/**
 * struct nn_table - where L1's I/O translation table is
 * @gpa: its L1 guest-physical base (0: no table yet)
 * @nr_entries: its entries
 */
struct nn_table {
	u64 gpa;
	u32 nr_entries;
};

/**
 * struct nn_stats - what deliveries did (see struct nested_notify_info)
 */
struct nn_stats {
	u64 doorbells;
	u64 records;
	u64 delivered;
	u64 coalesced;
	u64 overflows;
	u64 faults;
	u64 walk_hits;
	u64 walks;
};

/**
 * struct nn_dev - delivery state of one device
 * @index: its table entry
 * @pending: doorbells not in a record yet
 * @next_seq: number of the first pending doorbell
 * @walk: ptsel's guest-walk cache of the ring, keyed by the entry's CR3,
 *	  generation, ring address and size
 * @page_gpa: @walk's storage: L1 guest-physical address of each page
 *	      the ring touches
 */
struct nn_dev {
	u32 index;
	u64 pending;
	u64 next_seq;
	struct ptsel_gwalk_cache walk;
	u64 page_gpa[NN_RING_MAX_PAGES];
};

/* nn_deliver()'s result, on success: bits */
#define NN_WROTE	(1U << 0)	/* a record was written */
#define NN_FULL		(1U << 1)	/* the ring was full: still pending */
#define NN_IRQ		(1U << 2)	/* the ring was armed: raise the interrupt */

void nn_dev_init(struct nn_dev *d, u32 index);
int nn_entry_check(const struct nested_notify_entry *e);
int nn_deliver(struct nn_dev *d, const struct nn_table *t, const struct nn_env *env,
	       u64 new_doorbells, u64 now_ns, struct nn_stats *st);

#endif /* _NN_CORE_H */
