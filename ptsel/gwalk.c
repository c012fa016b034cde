// SPDX-License-Identifier: GPL-2.0
/*
 * ptsel guest walker: translate a guest-virtual address through x86-64
 * format page tables (4 or 5 levels, 4K/2M/1G pages) that live in guest
 * memory, read through a caller-provided reader. pwsp and nested_notify
 * walk KVM guests' tables with it, so nothing here may trust what it
 * reads: every entry is checked for reserved bits before it is used.
 * Also the guest-walk cache: a range's walk kept per generation.
 */
#include <linux/bits.h>
#include <linux/errno.h>
#include <linux/export.h>
#include <linux/ptsel.h>

#include "gpte_rules.h"
#include "ptsel_core.h"

/* Physical address bits 12-51 (MAXPHYADDR 52). */
#define X86_ADDR_MASK	(((1ULL << 52) - 1) & ~((1ULL << PTSEL_SHIFT) - 1))

static bool canonical(u64 gva, unsigned int levels)
{
	unsigned int bits = PTSEL_SHIFT + PTSEL_LEVEL_BITS * levels;
	s64 top = (s64)gva >> (bits - 1);

	return top == 0 || top == -1;
}

/**
 * ptsel_guest_walk() - walk x86-64 guest page tables
 * @ops: reader for guest-physical memory
 * @priv: cookie for @ops
 * @cr3: guest CR3; bits 12-51 locate the top-level table
 * @levels: 4 or 5 (CR4.LA57)
 * @gva: guest-virtual address to translate
 * @out: walk record, filled as far as the walk got
 *
 * Permissions accumulate the way the MMU does it: writable and user
 * only if every level says so, executable unless some level sets NX.
 * Accessed and dirty bits are neither checked nor set. Each entry is
 * decoded by the rules of ptsel_guest_pte_check() (gpte_rules.h), in
 * the most permissive paging mode: MAXPHYADDR 52, NXE, 1 GiB pages.
 * The caller does not say the guest's.
 *
 * Return: 0; -EINVAL for bad @levels or a non-canonical @gva; -ENOENT
 * at a non-present entry; -EIO at an entry with reserved bits (PS at
 * the top levels, a huge page whose address is not aligned); or the
 * reader's error.
 */
int ptsel_guest_walk(const struct ptsel_gwalk_ops *ops, void *priv, u64 cr3,
		     unsigned int levels, u64 gva, struct ptsel_gwalk *out)
{
	const struct ptsel_genv env = {
		.levels = levels, .maxphyaddr = 52, .nxe = true, .gbpages = true,
	};
	u64 table = cr3 & X86_ADDR_MASK;
	enum ptsel_gpte_err err;
	struct ptsel_gpte g;
	int level, ret;

	out->nr_ptes = 0;
	out->prot = PTSEL_PROT_READ | PTSEL_PROT_WRITE | PTSEL_PROT_EXEC;
	out->user = true;
	if ((levels != 4 && levels != 5) || !canonical(gva, levels))
		return -EINVAL;

	for (level = levels - 1; level >= 0; level--) {
		unsigned int shift = PTSEL_SHIFT + PTSEL_LEVEL_BITS * level;
		u64 gpa = table + ((gva >> shift) & (PTSEL_ENTRIES - 1)) * 8;
		u64 pte;

		out->level = level;
		ret = ops->read(priv, gpa, &pte);
		if (ret)
			return ret;
		out->pte[out->nr_ptes] = pte;
		out->pte_gpa[out->nr_ptes++] = gpa;
		err = ptsel_gpte_decode(&env, level, pte, &g);
		if (!g.present)
			return -ENOENT;
		if (!g.writable)
			out->prot &= ~PTSEL_PROT_WRITE;
		if (g.nx)
			out->prot &= ~PTSEL_PROT_EXEC;
		if (!g.user)
			out->user = false;
		/* in the permissive mode: PS at the top levels, misalignment */
		if (err)
			return -EIO;

		if (level > 0 && g.leaf) {
			out->gpa = g.addr + (gva & (g.size - 1));
			return 0;
		}
		table = g.addr;
	}
	out->level = 0;
	out->gpa = table + (gva & (PTSEL_PAGE_SIZE - 1));
	return 0;
}
PTSEL_EXPORT_FOR_TESTS(ptsel_guest_walk);

/*
 * The guest-walk cache: the translations of one guest-virtual range,
 * kept as long as the caller's key (CR3, generation, range, levels,
 * permissions) stays the same. A consumer that translates the same
 * guest structure over and over (a ring L1 keeps resident, say) walks
 * it once per generation instead of once per access.
 */

/**
 * ptsel_gwalk_cache_init() - an empty guest-walk cache
 * @c: the cache
 * @page_gpa: storage for the translations, @max_pages entries
 * @max_pages: the most pages a cached range may span
 */
void ptsel_gwalk_cache_init(struct ptsel_gwalk_cache *c, u64 *page_gpa,
			    u32 max_pages)
{
	*c = (struct ptsel_gwalk_cache){ .page_gpa = page_gpa,
					 .max_pages = max_pages };
}
EXPORT_SYMBOL_NS_GPL(ptsel_gwalk_cache_init, PTSEL);

/**
 * ptsel_gwalk_cache_invalidate() - drop the cached walk
 * @c: the cache
 *
 * The next ptsel_gwalk_cache_get() walks whatever its key: for a
 * consumer that saw the guest's mapping fail, which may be the guest
 * remapping.
 */
void ptsel_gwalk_cache_invalidate(struct ptsel_gwalk_cache *c)
{
	c->valid = false;
}
EXPORT_SYMBOL_NS_GPL(ptsel_gwalk_cache_invalidate, PTSEL);

static bool gwalk_key_eq(const struct ptsel_gwalk_key *a,
			 const struct ptsel_gwalk_key *b)
{
	return a->cr3 == b->cr3 && a->generation == b->generation &&
	       a->gva == b->gva && a->len == b->len &&
	       a->levels == b->levels && a->prot == b->prot;
}

/**
 * ptsel_gwalk_cache_get() - make sure @c holds the walk of @key
 * @c: the cache
 * @ops: reader for guest-physical memory
 * @priv: cookie for @ops
 * @key: the range, its CR3 and generation, and the permissions wanted
 *
 * When @c holds a walk made for the same key, nothing is read: that is
 * a hit. Otherwise every 4 KiB page of the range is walked with
 * ptsel_guest_walk() and must allow @key->prot (PTSEL_PROT_WRITE: every
 * level writable; PTSEL_PROT_EXEC: no level NX). A failed walk leaves
 * @c empty. The work is bounded by @c->max_pages walks whatever the
 * guest's tables hold.
 *
 * Return: 1 for a hit; 0 after a walk; -EINVAL for an empty or wrapping
 * range or a @key->prot outside PTSEL_PROT_MASK; -E2BIG for a range of
 * more than @c->max_pages pages; -EACCES for a page without @key->prot;
 * or ptsel_guest_walk()'s error.
 */
int ptsel_gwalk_cache_get(struct ptsel_gwalk_cache *c,
			  const struct ptsel_gwalk_ops *ops, void *priv,
			  const struct ptsel_gwalk_key *key)
{
	u64 first = key->gva & ~(PTSEL_PAGE_SIZE - 1), last;
	u64 i, n;

	if (c->valid && gwalk_key_eq(&c->key, key)) {
		c->hits++;
		return 1;
	}
	c->valid = false;
	last = key->gva + key->len - 1;
	if (!key->len || last < key->gva || (key->prot & ~PTSEL_PROT_MASK))
		return -EINVAL;
	n = ((last & ~(PTSEL_PAGE_SIZE - 1)) - first) / PTSEL_PAGE_SIZE + 1;
	if (n > c->max_pages)
		return -E2BIG;
	c->walks++;
	for (i = 0; i < n; i++) {
		struct ptsel_gwalk w;
		int ret;

		ret = ptsel_guest_walk(ops, priv, key->cr3, key->levels,
				       first + i * PTSEL_PAGE_SIZE, &w);
		if (ret)
			return ret;
		if ((w.prot & key->prot) != key->prot)
			return -EACCES;
		c->page_gpa[i] = w.gpa & ~(PTSEL_PAGE_SIZE - 1);
	}
	c->key = *key;
	c->valid = true;
	return 0;
}
EXPORT_SYMBOL_NS_GPL(ptsel_gwalk_cache_get, PTSEL);

/**
 * ptsel_gwalk_cache_gpa() - translate through the cached walk
 * @c: the cache
 * @gva: first byte to translate
 * @len: bytes, all within the page of @gva
 * @gpa: the guest-physical address of @gva
 *
 * Return: 0; -ENOENT when @c holds no walk; -ERANGE for bytes outside
 * the cached range or crossing a page boundary.
 */
int ptsel_gwalk_cache_gpa(const struct ptsel_gwalk_cache *c, u64 gva, u32 len,
			  u64 *gpa)
{
	u64 off = gva - c->key.gva, base = c->key.gva & ~(PTSEL_PAGE_SIZE - 1);

	if (!c->valid)
		return -ENOENT;
	if (gva < c->key.gva || !len || off >= c->key.len ||
	    len > c->key.len - off ||
	    (gva & (PTSEL_PAGE_SIZE - 1)) + len > PTSEL_PAGE_SIZE)
		return -ERANGE;
	*gpa = c->page_gpa[(gva - base) / PTSEL_PAGE_SIZE] +
	       (gva & (PTSEL_PAGE_SIZE - 1));
	return 0;
}
EXPORT_SYMBOL_NS_GPL(ptsel_gwalk_cache_gpa, PTSEL);
