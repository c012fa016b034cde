/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ptsel core: translation formats as pure data structures. Private to
 * ptsel and its tests.
 *
 * Nothing in the core allocates, sleeps, locks or traces on its own:
 * table memory comes from struct ptsel_table_ops, and callers serialize
 * updates. Lookups may run concurrently with updates (entries are
 * published with release semantics and read once), provided the caller
 * frees table memory only after a grace period. The same sources build
 * in userspace (tools/testing/userspace) for unit tests and fuzzing.
 */
#ifndef _PTSEL_CORE_H
#define _PTSEL_CORE_H

#include <linux/bits.h>
#include <linux/errno.h>
#include <linux/types.h>
#include <linux/ptsel.h>
#include <kunit/visibility.h>
#include <memvirt/ptsel.h>

/*
 * The core's entry points are internal to ptsel: consumers use the
 * partition and walker API of <memvirt/ptsel.h>. They are exported for
 * the KUnit suites (EXPORT_SYMBOL_IF_KUNIT) and, in a build that asks
 * for the test modules (make MEMVIRT_TEST_MODULES=m), for the
 * benchmark module too, in the same namespace.
 */
#ifdef PTSEL_TEST_EXPORTS
#define PTSEL_EXPORT_FOR_TESTS(sym)	\
	EXPORT_SYMBOL_NS_GPL(sym, EXPORTED_FOR_KUNIT_TESTING)
#else
#define PTSEL_EXPORT_FOR_TESTS(sym)	EXPORT_SYMBOL_IF_KUNIT(sym)
#endif

/*
 * Partition, walker and guest-walk calls that no consumer makes: the
 * ioctl ABI (dev.c), the sysfs counters and the tests use them. They
 * are exported for the KUnit suites only (PTSEL_EXPORT_FOR_TESTS).
 */
/**
 * struct ptsel_partition_stats - state of one partition
 * @mapped_pages: 4 KiB pages mapped
 * @table_bytes: table memory held (radix tables and hashed table)
 * @regions: regions declared
 * @conversions: completed region conversions
 * @hash_resizes: resizes of the hashed table
 * @generation: move generation (bumped by every ptsel_partition_remap())
 */
struct ptsel_partition_stats {
	u64 mapped_pages;
	u64 table_bytes;
	u64 regions;
	u64 conversions;
	u64 hash_resizes;
	u64 generation;
};

/**
 * struct ptsel_tlb_stats - counters of a TLB
 * @hits: lookups answered from the TLB
 * @misses: lookups that were not
 * @fills: entries written
 * @flushes_avoided: switches to an address space still in the list,
 *	whose entries were kept
 * @asid_evictions: switches that had to recycle a slot
 * @invalidations: invalidation requests of any kind
 */
struct ptsel_tlb_stats {
	u64 hits, misses, fills, flushes_avoided, asid_evictions, invalidations;
};

/**
 * struct ptsel_walker_stats - counters of one walker
 * @tlb: the TLB's counters
 * @wc_hits: walks that the walk cache let start below the root
 * @wc_misses: walks that started at the root
 * @wc_overrides: walk-cache fills that replaced the same walk's entry
 * @walks: translations that reached the tables
 * @walk_mem_refs: table cache lines those walks read
 */
struct ptsel_walker_stats {
	struct ptsel_tlb_stats tlb;
	u64 wc_hits, wc_misses, wc_overrides;
	u64 walks, walk_mem_refs;
};

int ptsel_guest_walk(const struct ptsel_gwalk_ops *ops, void *priv, u64 cr3,
		     unsigned int levels, u64 gva, struct ptsel_gwalk *out);

int ptsel_partition_set_region(struct ptsel_partition *p, u64 addr, u64 size,
			       u32 format, u32 *leaves);
int ptsel_partition_convert(struct ptsel_partition *p, u64 addr, u64 size,
			    u32 format, u32 *leaves);
int ptsel_partition_protect(struct ptsel_partition *p, u64 addr, u64 size,
			    u32 prot);
int ptsel_partition_remap(struct ptsel_partition *p, u64 addr, u64 size,
			  u64 target);
void ptsel_partition_stats(struct ptsel_partition *p,
			   struct ptsel_partition_stats *st);
void ptsel_walker_stats(struct ptsel_walker *w, struct ptsel_walker_stats *st);

/*
 * Called once per leaf by ptsel_partition_leaves(): the leaf's
 * first input address, its output address, its size (4K, 2M or 1G) and
 * its PTSEL_PROT_* and software bits. Non-zero stops the iteration.
 */
typedef int (*ptsel_part_leaf_fn)(void *priv, u64 addr, u64 target, u64 size,
				  u32 prot);

int ptsel_partition_leaves(struct ptsel_partition *p, u64 start, u64 end,
				  ptsel_part_leaf_fn fn, void *priv);

#define PTSEL_SHIFT		12
#define PTSEL_PAGE_SIZE		(1ULL << PTSEL_SHIFT)
#define PTSEL_LEVEL_BITS	9
#define PTSEL_ENTRIES		(1U << PTSEL_LEVEL_BITS)
#define PTSEL_MAX_LEAF_LEVEL	2	/* 4K, 2M, 1G */

/**
 * struct ptsel_table_ops - where table memory comes from
 * @alloc: return one zeroed, PTSEL_PAGE_SIZE-aligned table of
 *	   PTSEL_ENTRIES entries, or NULL. May enforce a limit.
 * @free: give back a table that is no longer reachable. Concurrent
 *	  lookups may still read it, so a kernel implementation defers the
 *	  release past an RCU grace period.
 */
struct ptsel_table_ops {
	u64 *(*alloc)(void *priv);
	void (*free)(void *priv, u64 *table);
};

/**
 * struct ptsel_radix - a hierarchical (x86-64 style) table
 * @root: top-level table, never NULL after init
 * @levels: 4 or 5
 * @nr_tables: tables currently allocated, root included
 * @ops: table memory provider
 * @priv: cookie for @ops
 */
struct ptsel_radix {
	u64 *root;
	unsigned int levels;
	unsigned long nr_tables;
	const struct ptsel_table_ops *ops;
	void *priv;
};

/**
 * struct ptsel_hpte - one entry of a hashed table
 * @v: valid bit, secondary-hash bit, leaf level and the leaf's input
 *     address; written last on insert (release), first on removal
 * @r: output address and PTSEL_PROT_* bits
 */
struct ptsel_hpte {
	u64 v;
	u64 r;
};

#define PTSEL_HPTEG_SLOTS	8
#define PTSEL_HLINE_BYTES	64	/* one cache line: half a group */
#define PTSEL_HLINE_SLOTS	(PTSEL_HLINE_BYTES / sizeof(struct ptsel_hpte))
#define PTSEL_HASH_MIN_ORDER	4
/*
 * 2^23 groups take 1 GiB + 64 bytes: one order more would be above
 * INT_MAX bytes, more than kvmalloc() hands out.
 */
#define PTSEL_HASH_MAX_ORDER	23

/**
 * struct ptsel_htab - one generation of a hashed table
 * @order: the table has 2^@order groups of PTSEL_HPTEG_SLOTS entries
 * @nr_level: valid entries of this generation per leaf level; an entry
 *	      is counted before it is inserted and uncounted after it is
 *	      removed. A lookup skips the levels whose count is zero, so
 *	      the counts live with the entries they count: a lookup that
 *	      loaded an older generation reads that generation's counts,
 *	      frozen when it was replaced. They may count one entry more
 *	      than it holds (one insert() counted, then placed in the next
 *	      generation), never fewer.
 * @header: fills the header to one line, so that with a table that
 *	    starts PTSEL_HLINE_BYTES aligned (the memory providers must see
 *	    to it) every half group is exactly one cache line
 * @e: the entries, group by group
 */
struct ptsel_htab {
	union {
		struct {
			unsigned int order;
			unsigned long nr_level[PTSEL_MAX_LEAF_LEVEL + 1];
		};
		u8 header[PTSEL_HLINE_BYTES];
	};
	struct ptsel_hpte e[];
};

/**
 * struct ptsel_hash_ops - where hashed-table memory comes from
 * @alloc: return @bytes of zeroed, PTSEL_HLINE_BYTES-aligned memory, or
 *	   NULL (a page-aligned allocator such as vzalloc() will do). May
 *	   enforce a limit.
 * @free: give back a table generation that is no longer published;
 *	  lookups may still read it (defer past an RCU grace period).
 */
struct ptsel_hash_ops {
	void *(*alloc)(void *priv, size_t bytes);
	void (*free)(void *priv, void *mem, size_t bytes);
};

/**
 * struct ptsel_hash - a hashed (POWER style) table
 * @tab: current generation; lookups load it with acquire semantics
 * @nr_entries: valid entries
 * @limit: first input address that cannot be mapped
 * @ops: memory provider
 * @priv: cookie for @ops
 */
struct ptsel_hash {
	struct ptsel_htab *tab;
	unsigned long nr_entries;
	u64 limit;
	const struct ptsel_hash_ops *ops;
	void *priv;
};

static inline u64 ptsel_level_size(unsigned int level)
{
	return 1ULL << (PTSEL_SHIFT + PTSEL_LEVEL_BITS * level);
}

int ptsel_radix_init(struct ptsel_radix *r, unsigned int levels,
		     const struct ptsel_table_ops *ops, void *priv);
void ptsel_radix_destroy(struct ptsel_radix *r);
u64 ptsel_radix_limit(const struct ptsel_radix *r);
int ptsel_radix_map(struct ptsel_radix *r, u64 addr, u64 target, u64 size,
		    u32 prot);
int ptsel_radix_unmap(struct ptsel_radix *r, u64 addr, u64 size);
int ptsel_radix_translate(const struct ptsel_radix *r, u64 addr,
			  struct ptsel_xlate *out);
int ptsel_radix_protect(struct ptsel_radix *r, u64 addr, u64 size, u32 prot);
int ptsel_radix_split(struct ptsel_radix *r, u64 addr);
int ptsel_radix_remap(struct ptsel_radix *r, u64 addr, u64 size, u64 target,
		      bool dry);

/**
 * struct ptsel_leaf - one leaf mapping
 * @addr: input address of the leaf's first byte
 * @target: output address of the leaf's first byte
 * @size: 4K, 2M or 1G
 * @prot: PTSEL_PROT_* of the leaf
 */
struct ptsel_leaf {
	u64 addr;
	u64 target;
	u64 size;
	u32 prot;
};

/* Called once per leaf by the leaf walks; non-zero stops them. */
typedef int (*ptsel_leaf_fn)(void *priv, const struct ptsel_leaf *leaf);

int ptsel_radix_walk_leaves(const struct ptsel_radix *r, u64 start, u64 end,
			      ptsel_leaf_fn fn, void *priv);

/* Is [addr, addr + size) a non-empty, 4K-aligned range below @limit? */
static inline bool ptsel_range_ok(u64 addr, u64 size, u64 limit)
{
	u64 end = addr + size;

	if (!size || (addr | size) & (PTSEL_PAGE_SIZE - 1))
		return false;
	return end > addr && end <= limit;
}

/* Every format accepts exactly these protections: READ and known bits. */
static inline bool ptsel_prot_ok(u32 prot)
{
	return (prot & PTSEL_PROT_READ) && !(prot & ~PTSEL_PROT_MASK);
}

/* Every format accepts exactly these map requests. */
static inline bool ptsel_map_ok(u64 addr, u64 target, u64 size, u32 prot,
				u64 limit)
{
	return ptsel_range_ok(addr, size, limit) &&
	       !(target & (PTSEL_PAGE_SIZE - 1)) && target + size >= target &&
	       ptsel_prot_ok(prot);
}

/* Is @addr a place where a split may put a leaf boundary? */
static inline bool ptsel_split_ok(u64 addr, u64 limit)
{
	return !(addr & (PTSEL_PAGE_SIZE - 1)) && addr <= limit;
}

/* Largest leaf level that the alignment of @a and @t and @left allow. */
static inline unsigned int ptsel_leaf_level(u64 a, u64 t, u64 left)
{
	unsigned int level = PTSEL_MAX_LEAF_LEVEL;

	while (level > 0 && (((a | t) & (ptsel_level_size(level) - 1)) ||
			     left < ptsel_level_size(level)))
		level--;
	return level;
}

#define PTSEL_MAX_REGIONS	64

/**
 * struct ptsel_region_ent - one declared region of a partition
 * @base: first input address, a multiple of @size
 * @size: a power of two, at least PTSEL_PAGE_SIZE
 * @format: PTSEL_FORMAT_RADIX or PTSEL_FORMAT_HASH
 */
struct ptsel_region_ent {
	u64 base;
	u64 size;
	u32 format;
};

/**
 * struct ptsel_region_set - how a partition routes input addresses
 * @dflt: format of every address outside the regions
 * @nr: regions in use
 * @r: the regions, sorted by @base, never overlapping
 *
 * Updated by copy: the updater edits a private copy and publishes it
 * whole, so a lookup sees one consistent set.
 */
struct ptsel_region_set {
	u32 dflt;
	unsigned int nr;
	struct ptsel_region_ent r[PTSEL_MAX_REGIONS];
};

/* A span of input addresses that one format translates. */
typedef int (*ptsel_span_fn)(void *priv, u64 start, u64 end, u32 format);

u32 ptsel_region_format(const struct ptsel_region_set *s, u64 addr);
int ptsel_region_find(const struct ptsel_region_set *s, u64 addr, u64 size,
		      u64 limit);
int ptsel_region_update(struct ptsel_region_set *s, u64 addr, u64 size,
			u32 format, u64 limit);
int ptsel_region_spans(const struct ptsel_region_set *s, u64 start, u64 end,
		       ptsel_span_fn fn, void *priv);

#define PTSEL_MOVE_LOG		64

/**
 * struct ptsel_move_log - recent moves of mappings, by generation
 * @gen: generation of the latest move (0: none yet)
 * @dropped: latest generation whose record was overwritten
 * @head: next record to write
 * @e: the records: a moved input range and its generation
 */
struct ptsel_move_log {
	u64 gen;
	u64 dropped;
	unsigned int head;
	struct {
		u64 addr, size, gen;
	} e[PTSEL_MOVE_LOG];
};

u64 ptsel_move_log_add(struct ptsel_move_log *log, u64 addr, u64 size);
bool ptsel_move_log_moved(const struct ptsel_move_log *log, u64 since,
			  u64 addr);

/**
 * struct ptsel_sampler - lets a cache bypass itself where it does not hit
 * @skip: uses left to bypass before the next sample
 * @win_uses: uses in the current window of PTSEL_SAMPLER_WINDOW
 * @win_misses: of those that probed, misses (the cache counts them,
 *		on its slower miss path)
 * @min_rate: a window with fewer than one hit in @min_rate uses that
 *	      probed makes the next one bypassed
 * @adaptive: bypass at all, and for a walk cache, fill on a second
 *	      miss only (ptsel_wc_admit()); true after init, a test that
 *	      counts every probe and fill turns it off
 * @bypass: this window uses the cache once in PTSEL_SAMPLER_SAMPLE <<
 *	    @backoff, to notice when hits come back
 * @backoff: bypassed windows in a row, up to PTSEL_SAMPLER_MAX_BACKOFF:
 *	     each is twice as long as the one before and samples half as
 *	     often, so the same number of uses decides it
 * @skipped: uses bypassed, counted when a run of skips is decided: the
 *	     next @skip are in it already
 * @win_free: hits in the current window that did not go through the
 *	      sampler (a walk cache's @last, see struct ptsel_wcache),
 *	      added by the cache before its next use: counted as uses
 *	      that hit, so that they keep the cache from being bypassed
 *
 * A cache must not slow down the lookups it cannot help: where nothing
 * is reused, probing and filling cost more than they save. A bypassed
 * use costs one decrement. A sampled use costs the whole probe, miss
 * and fill, hundreds of instructions where a bypassed walk takes a few
 * dozen, so a trace that stays without locality samples ever more
 * rarely: one use in PTSEL_SAMPLER_SAMPLE, then in twice that, up to
 * PTSEL_SAMPLER_SAMPLE << PTSEL_SAMPLER_MAX_BACKOFF. Locality that
 * comes back is then noticed within PTSEL_SAMPLER_WINDOW <<
 * PTSEL_SAMPLER_MAX_BACKOFF uses.
 */
struct ptsel_sampler {
	u32 skip, win_uses, win_misses;
	u8 min_rate, backoff;
	bool adaptive, bypass;
	u64 skipped, win_free;
};

#define PTSEL_SAMPLER_WINDOW	1024	/* uses per bypass decision */
#define PTSEL_SAMPLER_SAMPLE	64	/* a bypassed window uses 1 in 64... */
#define PTSEL_SAMPLER_MAX_BACKOFF 3	/* ...then 1 in 128, 256, 512 */

void ptsel_sampler_init(struct ptsel_sampler *s, u8 min_rate);
void ptsel_sampler_window_end(struct ptsel_sampler *s);

/* Should this use of the cache be bypassed? Once per use. */
static inline bool ptsel_sampler_skip(struct ptsel_sampler *s)
{
	if (s->skip) {
		s->skip--;
		return true;
	}
	if (!s->adaptive)
		return false;
	if (++s->win_uses >= PTSEL_SAMPLER_WINDOW << s->backoff)
		ptsel_sampler_window_end(s);
	if (s->bypass) {
		/* The next uses up to the next sample skip. */
		s->skip = (PTSEL_SAMPLER_SAMPLE << s->backoff) - 1;
		s->win_uses += s->skip;
		s->skipped += s->skip;
	}
	return false;
}

#define PTSEL_TLB_WAYS		4

/*
 * Fill masks: which parts of an address space a walker's TLB may hold
 * entries of, one bit per 2 MiB granule, the granules of every 128 MiB
 * sharing the 64 bits (granule g is bit g % 64). A leaf invalidation
 * need only visit the walkers whose mask has a bit of its range.
 */
#define PTSEL_FILL_SHIFT	21
#define PTSEL_FILL_ALL		(~0ULL)

/**
 * ptsel_fill_mask() - the fill-mask bits of a range
 * @addr: start of the range
 * @size: its length, not 0
 *
 * Return: the bits of the granules that [@addr, @addr + @size) touches;
 * every bit for a range of 64 granules or more.
 */
static inline u64 ptsel_fill_mask(u64 addr, u64 size)
{
	u64 first = addr >> PTSEL_FILL_SHIFT;
	u64 n = ((addr + size - 1) >> PTSEL_FILL_SHIFT) - first + 1;
	u64 run;

	if (n >= 64)
		return PTSEL_FILL_ALL;
	run = (1ULL << n) - 1;
	first &= 63;
	/* The run of @n bits from bit @first, wrapping past bit 63. */
	return run << first | (first ? run >> (64 - first) : 0);
}
#define PTSEL_TLB_MAX_ASIDS	64
#define PTSEL_TLB_FLUSH_CEILING	64	/* default; see ptsel_tlb_flush_range() */
#define PTSEL_TLB_MIN_HIT_RATE	8	/* bypass below 1 hit in 8 */

/**
 * struct ptsel_tlb_entry - one cached translation
 * @tag: input address of the leaf | leaf level | valid bit
 * @target: output address of the leaf
 * @prot: PTSEL_PROT_* of the leaf
 * @asid: slot of the address space it belongs to
 * @gen: that slot's generation when the entry was filled
 * @age: for LRU within the set (the low bits of the TLB's clock)
 *
 * 32 bytes: a set of PTSEL_TLB_WAYS entries spans two cache lines.
 */
struct ptsel_tlb_entry {
	u64 tag;
	u64 target;
	u32 prot;
	u16 asid;
	u32 gen;
	u32 age;
};

/**
 * struct ptsel_tlb_asid - one slot of the recently-active list
 * @ctx: address space it holds, if @used
 * @used: the slot holds an address space
 * @gen: bumped to drop every entry of the slot at once
 * @last: when it was last switched to, for LRU (0 while unused)
 */
struct ptsel_tlb_asid {
	u64 ctx;
	bool used;
	u32 gen;
	u64 last;
};

/**
 * struct ptsel_tlb - software TLB tagged by address-space slot
 * @entries: @nr_sets sets of PTSEL_TLB_WAYS entries
 * @nr_sets: a power of two
 * @asids: the recently-active list, @nr_asids slots
 * @nr_asids: 1 to PTSEL_TLB_MAX_ASIDS
 * @cur: slot of the current address space
 * @clock: ticks on every access, for the LRU decisions
 * @levels: bit n set once an entry of leaf level n was filled; lookups
 *	    probe the sets of those levels only
 * @flush_ceiling: most set probes a range flush makes before it drops
 *		   the whole address space instead (PTSEL_TLB_FLUSH_CEILING
 *		   after init; the owner may change it)
 * @sampler: bypasses the TLB in windows where it does not hit
 * @stats: counters
 *
 * Not thread safe: like a hardware TLB it belongs to one CPU or is used
 * under its owner's lock.
 */
struct ptsel_tlb {
	struct ptsel_tlb_entry *entries;
	unsigned int nr_sets;
	struct ptsel_tlb_asid asids[PTSEL_TLB_MAX_ASIDS];
	unsigned int nr_asids;
	unsigned int cur;
	u64 clock;
	unsigned int levels;
	u64 flush_ceiling;
	struct ptsel_sampler sampler;
	struct ptsel_tlb_stats stats;
};

int ptsel_tlb_init(struct ptsel_tlb *tlb, struct ptsel_tlb_entry *entries,
		   unsigned int nr_entries, unsigned int nr_asids);
bool ptsel_tlb_switch(struct ptsel_tlb *tlb, u64 ctx);
void ptsel_tlb_flush_range(struct ptsel_tlb *tlb, u64 ctx, u64 addr, u64 size);
void ptsel_tlb_flush_ctx(struct ptsel_tlb *tlb, u64 ctx);
bool ptsel_tlb_forget_ctx(struct ptsel_tlb *tlb, u64 ctx);
void ptsel_tlb_flush_all(struct ptsel_tlb *tlb);

/*
 * The TLB's lookup path, inline in the walkers: a hit, a miss and a
 * fill are each a few dozen instructions with no call.
 */
#define PTSEL_TLB_TAG_VALID	BIT_ULL(0)
#define PTSEL_TLB_TAG_LEVEL_SHIFT	1

static inline u64 ptsel_tlb_leaf_base(u64 addr, unsigned int level)
{
	return addr & ~(ptsel_level_size(level) - 1);
}

static inline u64 ptsel_tlb_tag(u64 addr, unsigned int level)
{
	return ptsel_tlb_leaf_base(addr, level) |
	       ((u64)level << PTSEL_TLB_TAG_LEVEL_SHIFT) | PTSEL_TLB_TAG_VALID;
}

/* The set of @addr's leaf of @level: each leaf size has its own sets. */
static inline struct ptsel_tlb_entry *ptsel_tlb_set(struct ptsel_tlb *tlb,
						    u64 addr, unsigned int level)
{
	u64 key = (ptsel_tlb_leaf_base(addr, level) >> PTSEL_SHIFT) ^ level;

	key *= 0x9e3779b97f4a7c15ULL;
	/* nr_sets is a power of two: a mask, not a division. */
	return &tlb->entries[((key >> 32) & (tlb->nr_sets - 1)) * PTSEL_TLB_WAYS];
}

/**
 * ptsel_tlb_lookup() - look up @addr in the current address space
 * @tlb: the TLB
 * @addr: input address
 * @out: translation on a hit (@out->mem_refs is 0)
 *
 * Return: true on a hit.
 */
static inline bool ptsel_tlb_lookup(struct ptsel_tlb *tlb, u64 addr,
				    struct ptsel_xlate *out)
{
	u32 gen = tlb->asids[tlb->cur].gen;
	int level;

	for (level = PTSEL_MAX_LEAF_LEVEL; level >= 0; level--) {
		struct ptsel_tlb_entry *e;
		u64 tag;
		unsigned int w;

		/* No entry of this size was ever filled: nothing to probe. */
		if (!(tlb->levels & (1U << level)))
			continue;
		e = ptsel_tlb_set(tlb, addr, level);
		tag = ptsel_tlb_tag(addr, level);
		for (w = 0; w < PTSEL_TLB_WAYS; w++, e++) {
			if (e->tag != tag || e->asid != tlb->cur || e->gen != gen)
				continue;
			e->age = ++tlb->clock;
			out->target = e->target +
				      (addr - ptsel_tlb_leaf_base(addr, level));
			out->prot = e->prot;
			out->level = level;
			out->mem_refs = 0;
			tlb->stats.hits++;
			return true;
		}
	}
	tlb->stats.misses++;
	tlb->sampler.win_misses++;
	return false;
}

/**
 * ptsel_tlb_fill() - cache the translation a walk found for @addr
 * @tlb: the TLB
 * @addr: input address that was translated
 * @x: the walk's result (its level decides the leaf size cached)
 *
 * Replaces a dead entry of the set if there is one, else the least
 * recently used.
 */
static inline void ptsel_tlb_fill(struct ptsel_tlb *tlb, u64 addr,
				  const struct ptsel_xlate *x)
{
	struct ptsel_tlb_entry *e = ptsel_tlb_set(tlb, addr, x->level), *victim = e;
	u64 sz = ptsel_level_size(x->level);
	unsigned int w;

	for (w = 0; w < PTSEL_TLB_WAYS; w++, e++) {
		/* Dead: never filled, or its slot's generation moved on. */
		if (!(e->tag & PTSEL_TLB_TAG_VALID) ||
		    e->gen != tlb->asids[e->asid].gen) {
			victim = e;
			break;
		}
		/* Ages are truncated: a wrap costs one poor choice, no more. */
		if ((s32)(e->age - victim->age) < 0)
			victim = e;
	}
	tlb->levels |= 1U << x->level;
	victim->tag = ptsel_tlb_tag(addr, x->level);
	victim->target = x->target - (addr & (sz - 1));
	victim->prot = x->prot;
	victim->asid = tlb->cur;
	victim->gen = tlb->asids[tlb->cur].gen;
	victim->age = ++tlb->clock;
	tlb->stats.fills++;
}

/**
 * ptsel_tlb_bypass() - should the next translation leave the TLB alone?
 * @tlb: the TLB
 *
 * Like a walk cache (ptsel_wc_bypass()), a TLB must not slow down the
 * lookups it cannot help: probing and filling cost more than they save
 * when almost nothing hits (addresses that are never reused, as an
 * IOMMU streaming through fresh buffers sees them). Every
 * PTSEL_SAMPLER_WINDOW lookups decide from the window's hit rate
 * whether the next window probes and fills only one lookup in
 * PTSEL_SAMPLER_SAMPLE, to notice when reuse comes back (struct
 * ptsel_sampler). Called once per translation by a
 * walker that would probe @tlb; a bypassed one counts as a miss and
 * walks, which is always correct.
 *
 * Return: true if the translation should neither probe nor fill @tlb.
 */
static inline bool ptsel_tlb_bypass(struct ptsel_tlb *tlb)
{
	if (!ptsel_sampler_skip(&tlb->sampler))
		return false;
	tlb->stats.misses++;
	return true;
}

static inline size_t ptsel_htab_bytes(unsigned int order)
{
	return sizeof(struct ptsel_htab) +
	       (sizeof(struct ptsel_hpte) * PTSEL_HPTEG_SLOTS << order);
}

int ptsel_hash_init(struct ptsel_hash *h, unsigned int order, u64 limit,
		    const struct ptsel_hash_ops *ops, void *priv);
void ptsel_hash_destroy(struct ptsel_hash *h);
int ptsel_hash_resize(struct ptsel_hash *h, unsigned int order);
int ptsel_hash_map(struct ptsel_hash *h, u64 addr, u64 target, u64 size,
		   u32 prot);
int ptsel_hash_unmap(struct ptsel_hash *h, u64 addr, u64 size);
int ptsel_hash_translate(const struct ptsel_hash *h, u64 addr,
			 struct ptsel_xlate *out);
int ptsel_hash_protect(struct ptsel_hash *h, u64 addr, u64 size, u32 prot);
int ptsel_hash_split(struct ptsel_hash *h, u64 addr);
int ptsel_hash_remap(struct ptsel_hash *h, u64 addr, u64 size, u64 target,
		     bool dry);
int ptsel_hash_walk_leaves(const struct ptsel_hash *h, u64 start, u64 end,
			     ptsel_leaf_fn fn, void *priv);

/*
 * Walk cache: intermediate radix tables keyed by (ASID, level, input
 * address prefix), so a walk can start below the root.
 *
 * The cache holds table pointers. Whoever frees radix tables (an unmap
 * that prunes, a map that fails and prunes, destroy) must first flush
 * the ASID from every walk cache that may hold its tables, and free
 * them only after readers are gone (the kernel user frees after an RCU
 * grace period, and translates under rcu_read_lock()). A caller that
 * looks up and inserts by itself must not insert a table found by a
 * walk that started before an invalidation: sample @gen before the
 * walk and insert only if it is unchanged. A walk cache is not thread
 * safe: like a TLB it belongs to one CPU or is used under its owner's
 * lock, and a flush that runs under that lock after the tables were
 * unlinked is then ordered after every walk that could have seen them.
 */
#define PTSEL_WC_WALKERS	8
#define PTSEL_WC_MAX_ENTRIES	65536
#define PTSEL_WC_LEVELS		4	/* levels 0-3: all but a 5-level root */
#define PTSEL_WC_BURST		4	/* walks that miss @last after a sample */
#define PTSEL_WC_MIN_HIT_RATE	4	/* bypass below 1 level-0 hit in 4 */

/**
 * enum ptsel_wc_policy - default replacement policy of a walk cache
 * @PTSEL_WC_LRU: evict the least recently used entry
 * @PTSEL_WC_CLOCK: second chance: a hand sweeps the entries, clearing
 *	reference bits, and evicts the first entry whose bit is clear
 */
enum ptsel_wc_policy { PTSEL_WC_LRU, PTSEL_WC_CLOCK };

/**
 * struct ptsel_wc_stats - counters of a walk cache
 * @hits: lookups that found a table
 * @misses: lookups that did not
 * @inserts: insert calls that stored a table (refreshes included)
 * @overrides: inserts that overwrote the entry their search inserted
 *	last, instead of applying the default policy
 * @evictions: inserts that replaced a valid entry by the default policy
 * @flushes: flush_asid and flush_all calls
 * @last_hits: walks that found their level-0 table in @last (struct
 *	       ptsel_wcache), without a probe
 * @root_walks: walks that used it, found no table and started at the
 *		root (ptsel_radix_translate_wc())
 * @refused: of those, walks that filled nothing: their level-0 table
 *	     had not been missed recently (ptsel_wc_admit())
 */
struct ptsel_wc_stats {
	u64 hits, misses, inserts, overrides, evictions, flushes, root_walks;
	u64 last_hits, refused;
};

/**
 * struct ptsel_wc_entry - one cached table
 * @asid: address-space tag
 * @tag: input address prefix above the table's reach, and its level
 * @table: the cached table; NULL while the entry is free
 * @hnext: next entry in the hash bucket, or in the free list
 * @prev: LRU neighbour towards the most recently used end
 * @next: LRU neighbour towards the least recently used end
 * @ref: CLOCK reference bit
 * @owner: 1 + the walker whose tracked entry this is, or 0
 */
struct ptsel_wc_entry {
	u64 asid;
	u64 tag;
	const u64 *table;
	u32 hnext, prev, next;
	u8 ref, owner;
};

/**
 * struct ptsel_wc_front - one slot of a walk cache's front index
 * @tag: key of the entry (PTSEL_WC_NO_TAG: the slot is empty)
 * @asid: address-space tag of the entry
 * @table: the entry's table
 * @ref: the entry's CLOCK reference bit
 *
 * A copy of an entry's key and table, so that a probe reads one line
 * and no chain: a slot is emptied or refreshed whenever its entry is
 * freed, replaced or refreshed, and so always agrees with the entry.
 * A hit in the front is a hit of the entry, for the policy and the
 * counters alike.
 */
struct ptsel_wc_front {
	u64 tag;
	u64 asid;
	const u64 *table;
	u8 *ref;
};

#define PTSEL_WC_FRONT_BITS	8
#define PTSEL_WC_FRONT		(1U << PTSEL_WC_FRONT_BITS)	/* slots per level */
#define PTSEL_WC_NO_TAG		(~0ULL)	/* no key is all ones */

/**
 * struct ptsel_wcache - fully associative walk cache with hashed lookup
 * @e: @nr_entries entries, in caller memory
 * @bucket: heads of the hash chains, @bucket_mask + 1 of them
 * @nr_entries: capacity
 * @bucket_mask: number of buckets - 1 (a power of two >= @nr_entries)
 * @policy: default replacement policy
 * @tracking: override the policy with each search's tracked entry
 * @free: head of the free-entry list
 * @mru: most recently used end of the LRU list
 * @lru: least recently used end of the LRU list
 * @hand: CLOCK hand
 * @track: per walker, the entry its current search inserted last
 * @front: per level, PTSEL_WC_FRONT slots in caller memory: a
 *	   direct-mapped index of entries in use, probed before the hash
 *	   chain (see struct ptsel_wc_front)
 * @recent: @bucket_mask + 1 hashed keys of level-0 tables recently
 *	    missed, in caller memory; keys only, never a table
 *	    (ptsel_wc_admit())
 * @sampler: bypasses the cache in windows without locality; its
 *	     misses are walks that found no level-0 table
 * @last: the level-0 table the last walk through the cache found or
 *	  filled, and its key (tag PTSEL_WC_NO_TAG: none); the next walk
 *	  in the same table takes it with one compare, before the front,
 *	  and is not a use of @sampler. A table, so emptied by every flush
 *	  like the entries, but not when its entry is evicted: a table
 *	  stays valid until a flush (see the rules above)
 * @last_credited: @stats.last_hits already added to @sampler's window
 * @fast: walks left in the sampler's window that may take the fast
 *	  path of ptsel_radix_translate_wc(), already counted as uses
 * @burst: walks that miss @last left before the skips resume: a
 *	   sampled walk of a bypassed window that admission refused put
 *	   its table there, and holds the window's @sampler.skip in
 *	   @held_skip meanwhile
 * @held_skip: @sampler.skip, while @burst lasts
 * @gen: bumped by every flush (see the rules above)
 * @stats: counters
 */
struct ptsel_wcache {
	struct ptsel_wc_entry *e;
	u32 *bucket;
	unsigned int nr_entries;
	unsigned int bucket_mask;
	enum ptsel_wc_policy policy;
	bool tracking;
	u32 free, mru, lru, hand;
	u32 track[PTSEL_WC_WALKERS];
	struct ptsel_wc_front *front;
	u64 *recent;
	struct ptsel_sampler sampler;
	struct {
		u64 tag, asid;
		const u64 *table;
	} last;
	u64 last_credited;
	u32 fast, burst, held_skip;
	u64 gen;
	struct ptsel_wc_stats stats;
};

size_t ptsel_wc_bytes(unsigned int nr_entries);
int ptsel_wc_init(struct ptsel_wcache *wc, void *mem, unsigned int nr_entries,
		  enum ptsel_wc_policy policy, bool tracking);
const u64 *ptsel_wc_lookup(struct ptsel_wcache *wc, u64 asid,
			   unsigned int level, u64 addr);
void ptsel_wc_insert(struct ptsel_wcache *wc, unsigned int walker, u64 asid,
		     unsigned int level, u64 addr, const u64 *table);
void ptsel_wc_insert_cold(struct ptsel_wcache *wc, u64 asid,
			  unsigned int level, u64 addr, const u64 *table);
const u64 *ptsel_wc_lookup_chain(struct ptsel_wcache *wc, u64 asid,
				 unsigned int level, u64 addr);
void ptsel_wc_insert_new(struct ptsel_wcache *wc, unsigned int walker,
			 u64 asid, unsigned int level, u64 addr,
			 const u64 *table);
void ptsel_wc_insert_cold_new(struct ptsel_wcache *wc, u64 asid,
			      unsigned int level, u64 addr, const u64 *table);
void ptsel_wc_touch(struct ptsel_wcache *wc, u8 *ref);
void ptsel_wc_flush_asid(struct ptsel_wcache *wc, u64 asid);
void ptsel_wc_flush_all(struct ptsel_wcache *wc);
/*
 * The walk cache's fast paths, inline in the walkers' lookup: a walk
 * that bypasses the cache or hits its front index costs a handful of
 * instructions, so the CPU still overlaps the misses of consecutive
 * walks as it does without a cache.
 */

/* The key of the table at @level covering @addr: prefix and level. */
static inline u64 ptsel_wc_tag(unsigned int level, u64 addr)
{
	return (addr >> (PTSEL_SHIFT + PTSEL_LEVEL_BITS * (level + 1))) << 2 |
	       level;
}

static inline struct ptsel_wc_front *ptsel_wc_front_of(struct ptsel_wcache *wc,
						       unsigned int level,
						       u64 tag)
{
	return &wc->front[level * PTSEL_WC_FRONT +
			  ((tag * 0x9e3779b97f4a7c15ULL) >> (64 - PTSEL_WC_FRONT_BITS))];
}

/*
 * Probe the front index for the table at @level (below
 * PTSEL_WC_LEVELS) covering @addr. A hit counts, and is a use for the
 * policy, as in ptsel_wc_lookup(); a miss counts nothing (the caller
 * goes on to ptsel_wc_lookup()).
 */
static inline const u64 *ptsel_wc_front_probe(struct ptsel_wcache *wc,
					      u64 asid, unsigned int level,
					      u64 addr)
{
	u64 tag = ptsel_wc_tag(level, addr);
	const struct ptsel_wc_front *f = ptsel_wc_front_of(wc, level, tag);

	if (f->tag != tag || f->asid != asid)
		return NULL;
	wc->stats.hits++;
	if (wc->policy == PTSEL_WC_CLOCK)
		*f->ref = 1;
	else
		ptsel_wc_touch(wc, f->ref);
	return f->table;
}

#define PTSEL_WC_NIL		0xffffffffU	/* no entry */

/* Hash of a key: its bucket, and its slot in @recent. */
static inline u64 ptsel_wc_key_hash(u64 asid, u64 tag)
{
	return (tag ^ (asid * 0x9e3779b97f4a7c15ULL)) * 0xff51afd7ed558ccdULL;
}

/**
 * ptsel_wc_admit() - may a walk that found no level-0 table fill?
 * @wc: the cache
 * @asid: address-space tag
 * @addr: the walk's input address
 *
 * Called by a walk whose level-0 table for @addr is not in @wc->last or
 * the front. A key missed for the first time since it last left
 * @wc->recent is recorded there and refused: the walk counts as a miss
 * and neither probes further nor fills. A key found there is admitted.
 * With @wc->sampler.adaptive off, every walk is admitted.
 *
 * Return: true if the walk should probe the hash chains and fill.
 */
static inline bool ptsel_wc_admit(struct ptsel_wcache *wc, u64 asid, u64 addr)
{
	/* Never 0, the value of an empty slot. */
	u64 h = ptsel_wc_key_hash(asid, ptsel_wc_tag(0, addr)) | 1;
	u64 *slot = &wc->recent[(h >> 32) & wc->bucket_mask];

	if (*slot == h || !wc->sampler.adaptive)
		return true;
	*slot = h;
	wc->stats.refused++;
	wc->stats.misses++;
	wc->sampler.win_misses++;
	return false;
}

/* The walk in @asid with level-0 key @tag found or filled @table. */
static inline void ptsel_wc_set_last(struct ptsel_wcache *wc, u64 asid,
				     u64 tag, const u64 *table)
{
	wc->last.tag = tag;
	wc->last.asid = asid;
	wc->last.table = table;
}

/**
 * ptsel_wc_walk_begin() - a new search starts on @walker
 * @wc: the cache
 * @walker: walker id, below PTSEL_WC_WALKERS
 *
 * The walker's next insert is placed by the default policy and becomes
 * the entry the new search tracks. The previous search's entries stay
 * cached. A caller that makes every translation its own search calls
 * this before each walk; one that follows a stream (a sequential scan)
 * calls it when the stream starts.
 */
static inline void ptsel_wc_walk_begin(struct ptsel_wcache *wc,
				       unsigned int walker)
{
	/*
	 * One store, no load: the entry keeps its stale owner, which
	 * untrack() ignores once the walker tracks another entry or none.
	 */
	if (walker < PTSEL_WC_WALKERS)
		wc->track[walker] = PTSEL_WC_NIL;
}

/*
 * Has the current search of @walker filled an entry it still tracks
 * (with tracking on)? Then its next table continues a stream.
 */
static inline bool ptsel_wc_tracks(const struct ptsel_wcache *wc,
				   unsigned int walker)
{
	return wc->tracking && walker < PTSEL_WC_WALKERS &&
	       wc->track[walker] != PTSEL_WC_NIL;
}

/**
 * ptsel_wc_bypass() - should the next walk leave the cache alone?
 * @wc: the cache
 *
 * Called once per walk by a walker that would probe @wc. Every
 * PTSEL_SAMPLER_WINDOW walks decide from the window's level-0 hit rate
 * whether the next window uses the cache (see wcache.c and struct
 * ptsel_sampler). A bypassed walk starts at the root and inserts
 * nothing, which is always correct.
 *
 * Return: true if the walk should not probe or fill @wc.
 */
static inline bool ptsel_wc_bypass(struct ptsel_wcache *wc)
{
	return ptsel_sampler_skip(&wc->sampler);
}

/*
 * Walks that did not use the cache (ptsel_wc_bypass()). Counted in
 * bulk when a run of them is decided, so that a bypassed walk keeps no
 * count of its own; the walks of a burst count one by one, and the
 * skips a burst holds count again when it ends.
 */
static inline u64 ptsel_wc_bypassed(const struct ptsel_wcache *wc)
{
	return wc->sampler.skipped - wc->sampler.skip;
}

int ptsel_radix_translate_wc(const struct ptsel_radix *r,
			     struct ptsel_wcache *wc, u64 asid,
			     unsigned int walker, u64 addr,
			     struct ptsel_xlate *out);

/**
 * struct ptsel_leaf_cx - one leaf compare-and-exchange, as the formats
 *			  carry it out
 * @addr: input address of the 4K page, 4K aligned
 * @old_target: output address the page must be mapped to
 * @new_target: output address it gets
 * @mask: bits of the leaf (PTSEL_LEAF_BITS) that are compared
 * @match: what they must be
 * @clear: bits the exchange clears...
 * @set: ...and those it sets (@set wins): the leaf gets
 *	 (bits & ~@clear) | @set
 * @seen: out: the leaf's bits as found (when @ret is not -ENOENT)
 * @ret: out: 0; -ENOENT if no leaf maps @addr; -EAGAIN if it does not
 *	 hold what the caller expects; -EBUSY if it does, but a huge leaf
 *	 maps @addr and would have to be split first (the caller splits, or
 *	 cannot); -EINVAL if the new bits are not valid bits of a leaf
 *
 * A leaf that would not change is left alone (0, nothing stored, huge
 * or not).
 */
struct ptsel_leaf_cx {
	u64 addr;
	u64 old_target, new_target;
	u32 mask, match, clear, set;
	u32 seen;
	int ret;
};

/*
 * One leaf compared and, if it is a 4K one, replaced in one store: a
 * concurrent lookup sees the old or the new leaf. The caller
 * serializes updates; @cx->ret is also returned.
 */
int ptsel_radix_leaf_update(struct ptsel_radix *r, struct ptsel_leaf_cx *cx);
int ptsel_hash_leaf_update(struct ptsel_hash *h, struct ptsel_leaf_cx *cx);

/* Protections plus software and A/D bits: what a leaf may hold. */
static inline bool ptsel_leaf_prot_ok(u32 prot)
{
	return ptsel_prot_ok(prot & ~PTSEL_STATE_MASK) && !(prot & ~PTSEL_LEAF_BITS);
}

/*
 * A leaf compare-and-exchange meets the leaf that maps @cx->addr, of
 * @level, whose page there maps @target with @bits: 1 to store
 * *@new_bits, 0 if nothing changes, or the @cx->ret error.
 */
static inline int ptsel_leaf_cx_check(struct ptsel_leaf_cx *cx, u64 target,
				      u32 bits, unsigned int level, u32 *new_bits)
{
	cx->seen = bits;
	if (target != cx->old_target || (bits & cx->mask) != cx->match)
		return -EAGAIN;
	*new_bits = (bits & ~cx->clear) | cx->set;
	if (!ptsel_leaf_prot_ok(*new_bits))
		return -EINVAL;
	if (cx->new_target == target && *new_bits == bits)
		return 0;
	return level ? -EBUSY : 1;
}

#endif /* _PTSEL_CORE_H */
