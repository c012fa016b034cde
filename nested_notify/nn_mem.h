/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A fake L1 for the nested_notify core tests (KUnit and userspace): flat guest-physical
 * memory, 4-level page tables built in it, the table and one ring, and
 * an nn_env that bounds every access to the memory.
 */
#ifndef _NN_MEM_H
#define _NN_MEM_H

#include <linux/errno.h>
#include <linux/string.h>

#include "nn_core.h"

#define NNM_P		(1ULL << 0)
#define NNM_RW		(1ULL << 1)
#define NNM_US		(1ULL << 2)

struct nn_mem {
	unsigned char *mem;
	u64 size;
	u64 next_table;		/* bump allocator for page tables */
	unsigned long reads, writes;
	unsigned long walk_reads;	/* of @reads, those of a translation */
	/* called after every write, for observers */
	void (*after_write)(struct nn_mem *m, u64 gpa, unsigned int len);
};

static inline int nnm_read(void *priv, u64 gpa, void *buf, unsigned int len)
{
	struct nn_mem *m = priv;

	if (gpa >= m->size || len > m->size - gpa)
		return -EFAULT;
	m->reads++;
	memcpy(buf, m->mem + gpa, len);
	return 0;
}

/* nn_env.walk_read: the reads of L1's page tables, counted apart. */
static inline int nnm_walk_read(void *priv, u64 gpa, void *buf, unsigned int len)
{
	struct nn_mem *m = priv;

	m->walk_reads++;
	return nnm_read(priv, gpa, buf, len);
}

static inline int nnm_write(void *priv, u64 gpa, const void *buf, unsigned int len)
{
	struct nn_mem *m = priv;

	if (gpa >= m->size || len > m->size - gpa)
		return -EFAULT;
	m->writes++;
	memcpy(m->mem + gpa, buf, len);
	if (m->after_write)
		m->after_write(m, gpa, len);
	return 0;
}

static inline u64 *nnm_pte(struct nn_mem *m, u64 gpa)
{
	return (u64 *)(m->mem + gpa);
}

static inline u64 nnm_new_table(struct nn_mem *m)
{
	u64 t = m->next_table;

	m->next_table += 4096;
	memset(m->mem + t, 0, 4096);
	return t;
}

/* Map 4K page @gva to @gpa (flags at the leaf; P|RW|US above), or unmap (gpa ~0). */
static inline u64 *nnm_map(struct nn_mem *m, u64 cr3, u64 gva, u64 gpa, u64 flags)
{
	u64 table = cr3;
	int l;

	for (l = 3; l > 0; l--) {
		u64 *e = nnm_pte(m, table + ((gva >> (12 + 9 * l)) & 511) * 8);

		if (!(*e & NNM_P))
			*e = nnm_new_table(m) | NNM_P | NNM_RW | NNM_US;
		table = *e & 0x000ffffffffff000ULL;
	}
	table += ((gva >> 12) & 511) * 8;
	*nnm_pte(m, table) = gpa == ~0ULL ? 0 : gpa | flags;
	return nnm_pte(m, table);
}

#endif /* _NN_MEM_H */
