/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pwsp's userspace harness: a flat guest memory, the core's host
 * operations on it, and a reference verifier written apart from the
 * core: it enumerates every path from the root, with the rights of
 * each, and applies the policy's rules to every entry on the way. The
 * random test and the fuzz target drive the core and compare.
 */
#ifndef _PWSP_MODEL_H
#define _PWSP_MODEL_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pwsp_core.h"

#define M_FRAMES	4096
#define M_TABLES	1000	/* tables are built from frame 1000 up */
#define M_TEXT		100	/* text: 100-115 */
#define M_KONLY		200	/* kernel-only: 200-299 */
#define M_PROT		3000	/* protected: 3000-3009, read-only: 3010-3019 */
#define M_P		1ULL
#define M_RW		2ULL
#define M_US		4ULL
#define M_PS		0x80ULL
#define M_NX		(1ULL << 63)

struct model {
	u64 *mem;			/* M_FRAMES * 512 entries */
	unsigned char tracked[M_FRAMES];
	unsigned int bad_track;		/* track on twice, or off untracked */
	unsigned int violations, reverts;
	u32 last_reason;
	struct pwsp_core core;
	struct pwsp_kpolicy pol;
	/* the reference's view */
	signed char ref_level[M_FRAMES];
	signed char prev_level[M_FRAMES];	/* tables before the write */
	unsigned long ref_paths;
	/* an interleaved write for m_cmpxchg(), and its break-proof switch */
	void (*race)(struct model *m, u64 gpa);
	bool plain_write;
};

static int m_read(void *priv, u64 gpa, void *buf, unsigned int len)
{
	struct model *m = priv;

	if (gpa + len > (u64)M_FRAMES * 4096)
		return -EFAULT;
	memcpy(buf, (char *)m->mem + gpa, len);
	return 0;
}

/*
 * With m->race set, another vCPU's write lands first: between the
 * core's read of the entry and its write-back (once, then cleared).
 */
static int m_cmpxchg(void *priv, u64 gpa, u64 *old, u64 val)
{
	struct model *m = priv;
	u64 cur;

	if (gpa + 8 > (u64)M_FRAMES * 4096)
		return -EFAULT;
	if (m->race) {
		m->race(m, gpa);
		m->race = NULL;
	}
	memcpy(&cur, (char *)m->mem + gpa, 8);
	if (cur != *old && !m->plain_write) {
		*old = cur;
		return -EAGAIN;
	}
	memcpy((char *)m->mem + gpa, &val, 8);
	return 0;
}

static int m_track(void *priv, u64 gfn, bool on)
{
	struct model *m = priv;

	if (gfn >= M_FRAMES)
		return -ENOENT;
	if (m->tracked[gfn] == on)
		m->bad_track++;
	m->tracked[gfn] = on;
	return 0;
}

static void m_state(void *priv, u64 gfn, int level, int from, int to)
{
}

static void m_violation(void *priv, const struct pwsp_violation *v)
{
	struct model *m = priv;

	m->violations++;
	m->last_reason = v->reason;
}

static void m_count(void *priv, unsigned int what, u64 n)
{
	struct model *m = priv;

	if (what == PWSP_CNT_REVERTS)
		m->reverts += n;
}

static const struct pwsp_core_ops m_ops = {
	.read = m_read, .write_if = m_cmpxchg, .track = m_track, .state = m_state,
	.violation = m_violation, .count = m_count,
};

static void model_init(struct model *m, unsigned int maxphyaddr, bool nxe)
{
	struct pwsp_range r[] = {
		{ .gfn = 0, .nr_pages = M_FRAMES, .type = PWSP_RANGE_RAM },
		{ .gfn = M_PROT, .nr_pages = 10, .type = PWSP_RANGE_PROTECTED },
		{ .gfn = M_PROT + 10, .nr_pages = 10, .type = PWSP_RANGE_PROTECTED_RO },
		{ .gfn = M_TEXT, .nr_pages = 16, .type = PWSP_RANGE_TEXT },
		{ .gfn = M_KONLY, .nr_pages = 100, .type = PWSP_RANGE_KERNEL_ONLY },
	};
	struct pwsp_policy up = {
		.maxphyaddr = maxphyaddr, .nxe = nxe, .levels = 4, .gbpages = 1,
		.nr_ranges = 5,
	};

	memset(m->tracked, 0, sizeof(m->tracked));
	m->race = NULL;
	memset(m->prev_level, -1, sizeof(m->prev_level));
	m->bad_track = m->violations = m->reverts = 0;
	memset(m->mem, 0, (size_t)M_FRAMES * 4096);
	if (pwsp_policy_validate(&up, r, &m->pol))
		abort();
	pwsp_core_init(&m->core, &m_ops, m);
	m->core.max_pages = 100000;
	m->core.max_link_pages = 100000;
	pwsp_core_set_policy(&m->core, &m->pol);
}

/* What a refused write leaves: the old entry, with A/D the MMU may have set. */
static inline u64 revert_value(u64 old, u64 val)
{
	return (old & M_P) ? old | (val & 0x60) : old;
}

/* --- the reference verifier ------------------------------------------ */

static bool r_in(u64 a, u64 n, u64 first, u64 count)
{
	return a < first + count && first < a + n;
}

static bool r_within(u64 a, u64 n, u64 first, u64 count)
{
	return a >= first && a + n <= first + count;
}

/* 0 if entry @e of table @t at @level, reached with @w @u @x, is sound. */
static int ref_entry(struct model *m, u64 t, int level, u64 e, bool w, bool u,
		     bool x, u64 *next, bool *leaf, bool *cw, bool *cu, bool *cx)
{
	unsigned int mp = m->pol.env.maxphyaddr;
	u64 addr, size, f, n;
	int bit;

	*next = 0;
	*leaf = false;
	if (!(e & M_P))
		return 0;
	for (bit = mp; bit < 52; bit++)
		if (e & (1ULL << bit))
			return PWSP_R_RSVD;
	if ((e & M_NX) && !m->pol.env.nxe)
		return PWSP_R_RSVD;
	size = 4096;
	addr = e & 0x000ffffffffff000ULL;
	if (level > 0 && (e & M_PS)) {
		if (level == 3)
			return PWSP_R_PS_TOP;
		size = level == 1 ? 2ULL << 20 : 1ULL << 30;
		addr &= ~0x1000ULL;
		if (addr % size)
			return PWSP_R_ALIGN;
		*leaf = true;
	}
	if (level == 0)
		*leaf = true;
	f = addr / 4096;
	n = size / 4096;
	if (t >= f && t < f + n)
		return PWSP_R_SELF_MAP;
	*cw = w && (e & M_RW);
	*cu = u && (e & M_US);
	*cx = x && !(e & M_NX);
	if (!*leaf) {
		if (r_in(f, 1, M_PROT, 20))
			return PWSP_R_PROTECTED;
		if (f >= M_FRAMES)
			return PWSP_R_NOT_RAM;
		*next = f;
		return 0;
	}
	if (r_in(f, n, M_PROT, 10) || (*cw && r_in(f, n, M_PROT + 10, 10)))
		return PWSP_R_PROTECTED;
	if (*cw && r_in(f, n, M_TEXT, 16))
		return PWSP_R_TEXT_WRITABLE;
	if (*cx && !*cu && !r_within(f, n, M_TEXT, 16))
		return PWSP_R_EXEC_NONTEXT;
	if (*cu && (r_in(f, n, M_KONLY, 100) || r_in(f, n, M_TEXT, 16)))
		return PWSP_R_USER_KERNEL;
	return 0;
}

static int ref_table(struct model *m, u64 t, int level, bool w, bool u, bool x)
{
	int i, r;

	if ((m->ref_level[t] >= 0 && m->ref_level[t] != level) ||
	    (m->prev_level[t] >= 0 && m->prev_level[t] != level))
		return PWSP_R_LEVEL;
	m->ref_level[t] = level;
	if (++m->ref_paths > 200000)
		return -1;	/* too many paths to enumerate: skip the case */
	for (i = 0; i < 512; i++) {
		u64 e = m->mem[t * 512 + i], next;
		bool leaf, cw, cu, cx;

		r = ref_entry(m, t, level, e, w, u, x, &next, &leaf, &cw, &cu, &cx);
		if (!r && (e & M_P) && !leaf)
			r = ref_table(m, next, level - 1, cw, cu, cx);
		if (r)
			return r;
	}
	return 0;
}

/*
 * 0 if the tree at @root is sound; ref_level[] then has its tables.
 * A table of the tree before the write (prev_level[], see
 * ref_snapshot()) keeps its level within the write that unlinks it: the
 * guest's TLBs may still hold walks through it until it flushes them.
 */
static int ref_verify(struct model *m, u64 root)
{
	memset(m->ref_level, -1, sizeof(m->ref_level));
	m->ref_paths = 0;
	/* the root's frame, as any table's */
	if (r_in(root, 1, M_PROT, 20))
		return PWSP_R_PROTECTED;
	if (root >= M_FRAMES)
		return PWSP_R_NOT_RAM;
	return ref_table(m, root, 3, true, true, true);
}

/* The tree as it is now, as the constraint for the next write. */
static int ref_snapshot(struct model *m, u64 root)
{
	int r;

	memset(m->prev_level, -1, sizeof(m->prev_level));
	r = ref_verify(m, root);
	memcpy(m->prev_level, m->ref_level, sizeof(m->prev_level));
	return r;
}

/*
 * After every step: the V pages are exactly the tables the reference
 * reaches, at its levels, tracked, with shadows equal to memory. 0 or
 * what differs.
 */
static const char *model_invariants(struct model *m, bool protected)
{
	u64 f;

	if (m->bad_track)
		return "tracking switched on twice or off while off";
	for (f = 0; f < M_FRAMES; f++) {
		struct pwsp_page *p = pwsp_core_find(&m->core, f);
		bool want = protected && m->ref_level[f] >= 0;

		if (!!p != want)
			return want ? "a reachable table is not V" : "an unreachable page is V";
		if (m->tracked[f] != want)
			return "tracking differs from the V pages";
		if (!p)
			continue;
		if (p->st.level != m->ref_level[f])
			return "a V page at the wrong level";
		if (memcmp(p->shadow, &m->mem[f * 512], 4096))
			return "a shadow differs from memory";
	}
	return NULL;
}

#endif /* _PWSP_MODEL_H */
