// SPDX-License-Identifier: GPL-2.0
/*
 * ptsel walk cache: a fully associative cache of intermediate radix
 * tables, keyed by (ASID, level, input-address prefix), with replacement
 * based on traversal tracking.
 *
 * Entries live in one array. A lookup hashes its key to a bucket and
 * follows the bucket's index chain; there are at least as many buckets
 * as entries, so chains stay short. The default replacement policy is
 * LRU (an index-linked list, most recently used first) or CLOCK (a hand
 * over the array and one reference bit per entry).
 *
 * Traversal tracking overrides the default policy: a tracking table
 * remembers, per walker (a search in progress), the entry that search
 * inserted last. The next insert of the same search overwrites that
 * entry instead of evicting someone else's, so one search never holds
 * more than one entry: a walk that fills levels 2, 1 and 0 keeps only
 * the deepest table, and a walker streaming through memory recycles
 * its own entry rather than flushing the cache.
 *
 * Lookups probe a front index first: per level, a direct-mapped array
 * of copies of entries' keys and tables (struct ptsel_wc_front), so a
 * hit reads one line and follows no chain. It holds nothing of its
 * own: a slot names an entry, and is emptied or refreshed with it.
 *
 * A cache must not slow down the walks it cannot help. Probing and
 * filling cost more than reading upper tables that the CPU caches
 * anyway, so a walk cache that finds the level-0 table in fewer than
 * one probed walk in PTSEL_WC_MIN_HIT_RATE over a window of
 * PTSEL_SAMPLER_WINDOW walks (a trace without locality) is bypassed
 * for the next window: only one walk in PTSEL_SAMPLER_SAMPLE probes
 * it, and ever fewer while the trace stays without locality, to notice
 * when locality comes back (struct ptsel_sampler). A bypassed walk
 * keeps no count of its own and probes neither the front nor the
 * chains; only @last, below, is still compared once the window's
 * sampled walks have begun.
 *
 * A stream whose walks each read one level-0 table fewer times than a
 * bypassed window's walks between two samples (a sequential scan of a
 * sparsely mapped range) gives every sample a table of its own, which
 * admission (below) refuses as a first miss, so no sample would ever
 * hit and the cache would stay bypassed. So a refused sample keeps its
 * table in @last and starts a burst: the next PTSEL_WC_BURST walks
 * that miss @last are bypassed one at a time, each counted and
 * comparing @last, before the window's skips resume; a stream hits
 * @last meanwhile, and those hits end the bypass.
 *
 * A walk that finds no level-0 table fills the cache only on a second
 * miss: the cache keeps the hashed keys of the level-0 tables missed
 * recently (@recent, direct-mapped, as many as there are buckets), and
 * a walk whose key is not there records it, walks from the root and
 * inserts nothing (ptsel_wc_admit()). A table used once, by a jump
 * into memory that is not reused, then costs one store instead of an
 * eviction and a fill of every level, and does not push out the tables
 * of the streams that do reuse theirs; a stream pays one more full
 * walk at its start. Admission looks at @last and the front only: a
 * cached table whose front slot a colliding entry took is found on no
 * chain here, so its walk counts as refused and goes from the root.
 * With tracking, a search that goes on into its next table (it still
 * tracks the entry it filled) pays no extra walk, as it will read that
 * table again. That applies to callers that make one search of a
 * stream of walks; ptsel's walkers make each translation a search of
 * its own (ptsel_partition_walk()), so for them every table is
 * admitted on its second miss. @recent holds keys, never a table: a
 * stale or colliding key only lets a fill in early, so flushes leave
 * it alone.
 *
 * The cache also keeps the level-0 table of the last walk through it
 * (@last): a stream of walks in one table takes it with one compare,
 * before the front, and its hits are credited to the sampler's window.
 * It holds a table, so every flush empties it.
 */
#include <linux/build_bug.h>
#include <linux/errno.h>
#include <linux/export.h>
#include <linux/kernel.h>

#include "ptsel_core.h"

#define WC_NIL		PTSEL_WC_NIL
#define TAG_LEVEL_BITS	2

static inline u64 wc_tag(unsigned int level, u64 addr)
{
	return ptsel_wc_tag(level, addr);
}

static inline unsigned int tag_level(u64 tag)
{
	return tag & ((1U << TAG_LEVEL_BITS) - 1);
}

static inline u32 *bucket_of(const struct ptsel_wcache *wc, u64 asid, u64 tag)
{
	return &wc->bucket[(ptsel_wc_key_hash(asid, tag) >> 32) & wc->bucket_mask];
}

static unsigned int nr_buckets(unsigned int nr_entries)
{
	unsigned int n = 1;

	while (n < nr_entries)
		n <<= 1;
	return n;
}

static bool size_ok(unsigned int nr_entries)
{
	return nr_entries >= 1 && nr_entries <= PTSEL_WC_MAX_ENTRIES;
}

/**
 * ptsel_wc_bytes() - memory a walk cache of @nr_entries needs
 * @nr_entries: capacity, 1 to PTSEL_WC_MAX_ENTRIES (any number)
 *
 * The caller provides this much memory, aligned for u64, to
 * ptsel_wc_init() and frees it after the cache's last use.
 *
 * Return: bytes, or 0 for a capacity out of range.
 */
size_t ptsel_wc_bytes(unsigned int nr_entries)
{
	if (!size_ok(nr_entries))
		return 0;
	return PTSEL_WC_LEVELS * PTSEL_WC_FRONT * sizeof(struct ptsel_wc_front) +
	       nr_buckets(nr_entries) * sizeof(u64) +
	       nr_entries * sizeof(struct ptsel_wc_entry) +
	       nr_buckets(nr_entries) * sizeof(u32);
}
PTSEL_EXPORT_FOR_TESTS(ptsel_wc_bytes);

/*
 * Empty every entry and bucket, forget every tracked entry, and end a
 * burst: the cache starts afresh. (A burst's walks read no entry, so
 * ptsel_wc_flush_asid() lets one go on.)
 */
static void wc_reset(struct ptsel_wcache *wc)
{
	unsigned int i;

	for (i = 0; i < wc->nr_entries; i++) {
		wc->e[i] = (struct ptsel_wc_entry){ 0 };
		wc->e[i].hnext = i + 1 < wc->nr_entries ? i + 1 : WC_NIL;
		wc->e[i].prev = WC_NIL;
		wc->e[i].next = WC_NIL;
	}
	for (i = 0; i <= wc->bucket_mask; i++) {
		wc->bucket[i] = WC_NIL;
		wc->recent[i] = 0;
	}
	for (i = 0; i < PTSEL_WC_WALKERS; i++)
		wc->track[i] = WC_NIL;
	for (i = 0; i < PTSEL_WC_LEVELS * PTSEL_WC_FRONT; i++)
		wc->front[i].tag = PTSEL_WC_NO_TAG;
	wc->last.tag = PTSEL_WC_NO_TAG;
	if (wc->burst) {
		wc->sampler.skip = wc->held_skip;
		wc->sampler.skipped += wc->held_skip;
	}
	wc->burst = 0;
	wc->free = 0;
	wc->mru = WC_NIL;
	wc->lru = WC_NIL;
	wc->hand = 0;
}

/**
 * ptsel_wc_init() - set up an empty walk cache
 * @wc: the cache
 * @mem: ptsel_wc_bytes(@nr_entries) bytes, aligned for u64
 * @nr_entries: capacity, 1 to PTSEL_WC_MAX_ENTRIES (any number)
 * @policy: default replacement policy
 * @tracking: let each search overwrite the entry it inserted last
 *
 * Return: 0, or -EINVAL for a bad capacity or policy.
 */
int ptsel_wc_init(struct ptsel_wcache *wc, void *mem, unsigned int nr_entries,
		  enum ptsel_wc_policy policy, bool tracking)
{
	BUILD_BUG_ON(PTSEL_WC_LEVELS > 1 << TAG_LEVEL_BITS);
	if (!size_ok(nr_entries) ||
	    (policy != PTSEL_WC_LRU && policy != PTSEL_WC_CLOCK))
		return -EINVAL;
	wc->nr_entries = nr_entries;
	wc->bucket_mask = nr_buckets(nr_entries) - 1;
	wc->front = mem;
	wc->recent = (u64 *)(wc->front + PTSEL_WC_LEVELS * PTSEL_WC_FRONT);
	wc->e = (struct ptsel_wc_entry *)(wc->recent + wc->bucket_mask + 1);
	wc->bucket = (u32 *)(wc->e + nr_entries);
	wc->policy = policy;
	wc->tracking = tracking;
	wc->gen = 0;
	wc->stats = (struct ptsel_wc_stats){ 0 };
	wc->burst = 0;
	wc->last_credited = 0;
	ptsel_sampler_init(&wc->sampler, PTSEL_WC_MIN_HIT_RATE);
	wc->fast = 0;
	wc_reset(wc);
	return 0;
}
PTSEL_EXPORT_FOR_TESTS(ptsel_wc_init);

static void lru_unlink(struct ptsel_wcache *wc, u32 i)
{
	struct ptsel_wc_entry *e = &wc->e[i];

	if (e->prev != WC_NIL)
		wc->e[e->prev].next = e->next;
	else
		wc->mru = e->next;
	if (e->next != WC_NIL)
		wc->e[e->next].prev = e->prev;
	else
		wc->lru = e->prev;
}

static void lru_push(struct ptsel_wcache *wc, u32 i)
{
	struct ptsel_wc_entry *e = &wc->e[i];

	e->prev = WC_NIL;
	e->next = wc->mru;
	if (wc->mru != WC_NIL)
		wc->e[wc->mru].prev = i;
	else
		wc->lru = i;
	wc->mru = i;
}

/* A valid entry was used: make it most recent, or give it a chance. */
static void touch(struct ptsel_wcache *wc, u32 i)
{
	if (wc->policy == PTSEL_WC_CLOCK) {
		wc->e[i].ref = 1;
	} else if (wc->mru != i) {
		lru_unlink(wc, i);
		lru_push(wc, i);
	}
}

/* A front hit under LRU of the entry with reference bit @ref. */
void ptsel_wc_touch(struct ptsel_wcache *wc, u8 *ref)
{
	touch(wc, container_of(ref, struct ptsel_wc_entry, ref) - wc->e);
}
PTSEL_EXPORT_FOR_TESTS(ptsel_wc_touch);

/* Point the front slot of entry @i's key at it: it holds its table. */
static void front_set(struct ptsel_wcache *wc, u32 i)
{
	const struct ptsel_wc_entry *e = &wc->e[i];
	struct ptsel_wc_front *f = ptsel_wc_front_of(wc, tag_level(e->tag), e->tag);

	f->tag = e->tag;
	f->asid = e->asid;
	f->table = e->table;
	f->ref = &wc->e[i].ref;
}

/* Entry @i is being freed or replaced: its front slot forgets it. */
static void front_drop(struct ptsel_wcache *wc, u32 i)
{
	const struct ptsel_wc_entry *e = &wc->e[i];
	struct ptsel_wc_front *f = ptsel_wc_front_of(wc, tag_level(e->tag), e->tag);

	if (f->tag != PTSEL_WC_NO_TAG && f->ref == &e->ref)
		f->tag = PTSEL_WC_NO_TAG;
}

/* Take entry @i out of its hash chain and out of the front. */
static void unhash(struct ptsel_wcache *wc, u32 i)
{
	struct ptsel_wc_entry *e = &wc->e[i];
	u32 *p = bucket_of(wc, e->asid, e->tag);

	front_drop(wc, i);

	while (*p != i)
		p = &wc->e[*p].hnext;
	*p = e->hnext;
}

/*
 * The entry stops being its walker's tracked entry. An owner whose
 * walker has begun another search (ptsel_wc_walk_begin()) since is
 * stale: the walker tracks another entry or none, and nothing changes.
 */
static void untrack(struct ptsel_wcache *wc, u32 i)
{
	struct ptsel_wc_entry *e = &wc->e[i];

	if (e->owner && wc->track[e->owner - 1] == i)
		wc->track[e->owner - 1] = WC_NIL;
	e->owner = 0;
}

/* The default policy's victim; every entry is valid. */
static u32 victim(struct ptsel_wcache *wc)
{
	u32 i;

	if (wc->policy == PTSEL_WC_LRU)
		return wc->lru;
	for (;;) {
		i = wc->hand;
		wc->hand = i + 1 < wc->nr_entries ? i + 1 : 0;
		if (!wc->e[i].ref)
			return i;
		wc->e[i].ref = 0;
	}
}

static u32 wc_find(const struct ptsel_wcache *wc, u64 asid, u64 tag)
{
	u32 i = *bucket_of(wc, asid, tag);

	while (i != WC_NIL && (wc->e[i].tag != tag || wc->e[i].asid != asid))
		i = wc->e[i].hnext;
	return i;
}

/**
 * ptsel_wc_lookup() - find the cached table for @addr at @level
 * @wc: the cache
 * @asid: address-space tag
 * @level: level of the table, 0 (the table that holds 4K leaves) to
 *	   PTSEL_WC_LEVELS - 1
 * @addr: input address the table must cover
 *
 * O(1) expected. A hit counts as a use for the replacement policy.
 *
 * Return: the table, or NULL (always for a level out of range).
 */
const u64 *ptsel_wc_lookup(struct ptsel_wcache *wc, u64 asid,
			   unsigned int level, u64 addr)
{
	const u64 *t;

	if (level >= PTSEL_WC_LEVELS) {
		wc->stats.misses++;
		return NULL;
	}
	t = ptsel_wc_front_probe(wc, asid, level, addr);
	return t ? t : ptsel_wc_lookup_chain(wc, asid, level, addr);
}
PTSEL_EXPORT_FOR_TESTS(ptsel_wc_lookup);

/*
 * ptsel_wc_lookup() after a front miss: the hash chain alone, for a
 * caller that has probed the front itself (the walkers' miss path).
 * @level is below PTSEL_WC_LEVELS.
 */
const u64 *ptsel_wc_lookup_chain(struct ptsel_wcache *wc, u64 asid,
				 unsigned int level, u64 addr)
{
	u32 i = wc_find(wc, asid, wc_tag(level, addr));

	if (i == WC_NIL) {
		wc->stats.misses++;
		if (!level)
			wc->sampler.win_misses++;
		return NULL;
	}
	front_set(wc, i);
	wc->stats.hits++;
	touch(wc, i);
	return wc->e[i].table;
}
PTSEL_EXPORT_FOR_TESTS(ptsel_wc_lookup_chain);

/* Take an entry for a new key: tracked, free, or the policy's victim. */
static u32 wc_place(struct ptsel_wcache *wc, unsigned int walker)
{
	bool tracked = wc->tracking && walker < PTSEL_WC_WALKERS;
	u32 i;

	if (tracked && wc->track[walker] != WC_NIL) {
		i = wc->track[walker];
		wc->stats.overrides++;
		unhash(wc, i);
		touch(wc, i);
		return i;
	}
	if (wc->free != WC_NIL) {
		i = wc->free;
		wc->free = wc->e[i].hnext;
		if (wc->policy == PTSEL_WC_LRU)
			lru_push(wc, i);
	} else {
		i = victim(wc);
		wc->stats.evictions++;
		untrack(wc, i);
		unhash(wc, i);
		touch(wc, i);
	}
	if (tracked) {
		wc->track[walker] = i;
		wc->e[i].owner = walker + 1;
	}
	return i;
}

/* Give entry @i, just placed, its key and table, and hash it in. */
static struct ptsel_wc_entry *wc_fill(struct ptsel_wcache *wc, u32 i, u64 asid,
				      u64 tag, const u64 *table, u8 ref)
{
	struct ptsel_wc_entry *e = &wc->e[i];
	u32 *b = bucket_of(wc, asid, tag);

	e->asid = asid;
	e->tag = tag;
	e->table = table;
	e->ref = ref;
	e->hnext = *b;
	*b = i;
	front_set(wc, i);
	return e;
}

/**
 * ptsel_wc_insert() - cache the table at @level that covers @addr
 * @wc: the cache
 * @walker: id of the search inserting it; ids from PTSEL_WC_WALKERS up
 *	    are never tracked
 * @asid: address-space tag
 * @level: level of the table, 0 to PTSEL_WC_LEVELS - 1 (others are
 *	   ignored)
 * @addr: any input address the table covers
 * @table: the table, read by a walk that started after the last flush
 *	   (compare @wc->gen); NULL is ignored
 *
 * A key already cached is refreshed in place. A new key overwrites the
 * entry the walker's search inserted last when tracking is on and there
 * is one; otherwise it takes a free entry or the default policy's
 * victim, and becomes the search's tracked entry.
 */
void ptsel_wc_insert(struct ptsel_wcache *wc, unsigned int walker, u64 asid,
		     unsigned int level, u64 addr, const u64 *table)
{
	u64 tag = wc_tag(level, addr);
	u32 i;

	if (level >= PTSEL_WC_LEVELS || !table)
		return;
	i = wc_find(wc, asid, tag);
	if (i != WC_NIL) {
		wc->stats.inserts++;
		wc->e[i].table = table;
		front_set(wc, i);
		touch(wc, i);
		return;
	}
	ptsel_wc_insert_new(wc, walker, asid, level, addr, table);
}
PTSEL_EXPORT_FOR_TESTS(ptsel_wc_insert);

/*
 * ptsel_wc_insert() of a key the caller knows is not cached: it has
 * just looked it up and missed, and inserted nothing since. No search
 * of the hash chain. @level is below PTSEL_WC_LEVELS, @table not NULL.
 */
void ptsel_wc_insert_new(struct ptsel_wcache *wc, unsigned int walker,
			 u64 asid, unsigned int level, u64 addr,
			 const u64 *table)
{
	wc->stats.inserts++;
	wc_fill(wc, wc_place(wc, walker), asid, wc_tag(level, addr), table, 1);
}
PTSEL_EXPORT_FOR_TESTS(ptsel_wc_insert_new);

/**
 * ptsel_wc_insert_cold() - cache a table at the lowest priority
 * @wc: the cache
 * @asid: address-space tag
 * @level: level of the table, 0 to PTSEL_WC_LEVELS - 1 (others are
 *	   ignored)
 * @addr: any input address the table covers
 * @table: as for ptsel_wc_insert(); NULL is ignored
 *
 * For the upper tables a search passed through on its way to the one it
 * tracks: they are worth keeping only if other searches share them. A
 * new key takes a free entry or the default policy's victim, like an
 * untracked insert, but enters as the next victim itself: at the least
 * recently used end, or with its reference bit clear. A lookup that
 * hits it before it is evicted promotes it as usual. A key already
 * cached only gets its table refreshed.
 */
void ptsel_wc_insert_cold(struct ptsel_wcache *wc, u64 asid,
			  unsigned int level, u64 addr, const u64 *table)
{
	u64 tag = wc_tag(level, addr);
	u32 i;

	if (level >= PTSEL_WC_LEVELS || !table)
		return;
	i = wc_find(wc, asid, tag);
	if (i != WC_NIL) {
		wc->stats.inserts++;
		wc->e[i].table = table;
		front_set(wc, i);
		return;
	}
	ptsel_wc_insert_cold_new(wc, asid, level, addr, table);
}
PTSEL_EXPORT_FOR_TESTS(ptsel_wc_insert_cold);

/* ptsel_wc_insert_cold() of a key known not cached (ptsel_wc_insert_new()). */
void ptsel_wc_insert_cold_new(struct ptsel_wcache *wc, u64 asid,
			      unsigned int level, u64 addr, const u64 *table)
{
	struct ptsel_wc_entry *e;
	u32 i;

	wc->stats.inserts++;
	i = wc_place(wc, PTSEL_WC_WALKERS);
	e = wc_fill(wc, i, asid, wc_tag(level, addr), table, 0);
	if (wc->policy == PTSEL_WC_LRU && wc->lru != i) {
		lru_unlink(wc, i);
		e->next = WC_NIL;
		e->prev = wc->lru;
		wc->e[wc->lru].next = i;
		wc->lru = i;
	}
}
PTSEL_EXPORT_FOR_TESTS(ptsel_wc_insert_cold_new);


/**
 * ptsel_wc_flush_asid() - drop every entry of one address space
 * @wc: the cache
 * @asid: address-space tag
 *
 * O(capacity). Run it before any table of the address space is freed.
 */
void ptsel_wc_flush_asid(struct ptsel_wcache *wc, u64 asid)
{
	u32 i;

	wc->stats.flushes++;
	wc->gen++;
	/* A burst goes on: its walks start at the root and read no entry. */
	if (wc->last.asid == asid)
		wc->last.tag = PTSEL_WC_NO_TAG;
	for (i = 0; i < wc->nr_entries; i++) {
		struct ptsel_wc_entry *e = &wc->e[i];

		if (!e->table || e->asid != asid)
			continue;
		untrack(wc, i);
		unhash(wc, i);
		if (wc->policy == PTSEL_WC_LRU)
			lru_unlink(wc, i);
		e->table = NULL;
		e->ref = 0;
		e->hnext = wc->free;
		wc->free = i;
	}
}
PTSEL_EXPORT_FOR_TESTS(ptsel_wc_flush_asid);

/**
 * ptsel_wc_flush_all() - drop every entry
 * @wc: the cache
 */
void ptsel_wc_flush_all(struct ptsel_wcache *wc)
{
	wc->stats.flushes++;
	wc->gen++;
	wc_reset(wc);
}
PTSEL_EXPORT_FOR_TESTS(ptsel_wc_flush_all);
