// SPDX-License-Identifier: GPL-2.0
/*
 * ptsel partition core: which format translates which address (the
 * region set), and the log of moved mappings behind the updatable
 * lookup. Pure data structures; the kernel glue in part.c publishes
 * region sets under RCU and serializes updates.
 */
#include <linux/errno.h>
#include <linux/export.h>
#include <linux/ptsel.h>

#include "ptsel_core.h"

/* Index of the first region that ends after @addr (nr if none). */
static unsigned int first_after(const struct ptsel_region_set *s, u64 addr)
{
	unsigned int lo = 0, hi = s->nr;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (s->r[mid].base + s->r[mid].size <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/**
 * ptsel_region_format() - the format that translates @addr
 * @s: region set
 * @addr: input address
 *
 * Return: PTSEL_FORMAT_RADIX or PTSEL_FORMAT_HASH.
 */
u32 ptsel_region_format(const struct ptsel_region_set *s, u64 addr)
{
	unsigned int i = first_after(s, addr);

	if (i < s->nr && s->r[i].base <= addr)
		return s->r[i].format;
	return s->dflt;
}
PTSEL_EXPORT_FOR_TESTS(ptsel_region_format);

static bool region_shape_ok(u64 addr, u64 size, u64 limit)
{
	return size >= PTSEL_PAGE_SIZE && !(size & (size - 1)) &&
	       !(addr & (size - 1)) && size <= limit && addr <= limit - size;
}

/**
 * ptsel_region_find() - look for the region [@addr, @addr + @size)
 * @s: region set
 * @addr: first address, a multiple of @size
 * @size: a power of two, at least PTSEL_PAGE_SIZE
 * @limit: end of the input address space
 *
 * Return: the index of the region if it is declared exactly so;
 * -ENOENT if no region overlaps the range; -EBUSY if a region overlaps
 * it without being it; -EINVAL for a bad shape.
 */
int ptsel_region_find(const struct ptsel_region_set *s, u64 addr, u64 size,
		      u64 limit)
{
	unsigned int i;

	if (!region_shape_ok(addr, size, limit))
		return -EINVAL;
	i = first_after(s, addr);
	if (i == s->nr || s->r[i].base >= addr + size)
		return -ENOENT;
	if (s->r[i].base == addr && s->r[i].size == size)
		return i;
	return -EBUSY;
}
PTSEL_EXPORT_FOR_TESTS(ptsel_region_find);

/**
 * ptsel_region_update() - declare, change or drop a region
 * @s: region set, a private copy of the caller
 * @addr: first address, a multiple of @size
 * @size: a power of two, at least PTSEL_PAGE_SIZE
 * @format: PTSEL_FORMAT_RADIX or _HASH; PTSEL_FORMAT_DEFAULT drops the
 *	    region
 * @limit: end of the input address space
 *
 * Return: 0; -EINVAL for a bad shape or format; -EBUSY if another
 * region overlaps the range; -ENOENT to drop a region that is not
 * declared; -ENOSPC if PTSEL_MAX_REGIONS are declared already.
 */
int ptsel_region_update(struct ptsel_region_set *s, u64 addr, u64 size,
			u32 format, u64 limit)
{
	int i = ptsel_region_find(s, addr, size, limit);
	unsigned int j;

	if (format > PTSEL_FORMAT_HASH)
		return -EINVAL;
	if (i == -ENOENT && format != PTSEL_FORMAT_DEFAULT) {
		if (s->nr == PTSEL_MAX_REGIONS)
			return -ENOSPC;
		i = first_after(s, addr);
		for (j = s->nr; j > i; j--)
			s->r[j] = s->r[j - 1];
		s->r[i].base = addr;
		s->r[i].size = size;
		s->r[i].format = format;
		s->nr++;
		return 0;
	}
	if (i < 0)
		return i;
	if (format != PTSEL_FORMAT_DEFAULT) {
		s->r[i].format = format;
		return 0;
	}
	for (j = i; j + 1 < s->nr; j++)
		s->r[j] = s->r[j + 1];
	s->nr--;
	return 0;
}
PTSEL_EXPORT_FOR_TESTS(ptsel_region_update);

/**
 * ptsel_region_spans() - cut a range into single-format spans
 * @s: region set
 * @start: first address of the range
 * @end: end of the range, above @start
 * @fn: called for each span in address order; a non-zero return stops
 * @priv: cookie for @fn
 *
 * Every region inside the range and every gap between them is a span
 * of its own, even where neighbours share a format, so that no span
 * crosses a region boundary.
 *
 * Return: 0 or the first non-zero return of @fn.
 */
int ptsel_region_spans(const struct ptsel_region_set *s, u64 start, u64 end,
		       ptsel_span_fn fn, void *priv)
{
	unsigned int i = first_after(s, start);
	u64 a = start;
	int ret;

	while (a < end) {
		u64 b = end;
		u32 format = s->dflt;

		if (i < s->nr && s->r[i].base <= a) {
			format = s->r[i].format;
			b = s->r[i].base + s->r[i].size;
			if (b > end)
				b = end;
			i++;
		} else if (i < s->nr && s->r[i].base < end) {
			b = s->r[i].base;
		}
		ret = fn(priv, a, b, format);
		if (ret)
			return ret;
		a = b;
	}
	return 0;
}
PTSEL_EXPORT_FOR_TESTS(ptsel_region_spans);

/**
 * ptsel_move_log_add() - record that the mappings of a range moved
 * @log: the log; the caller serializes writers and readers
 * @addr: first input address of the range
 * @size: length of the range
 *
 * Return: the generation of this move.
 */
u64 ptsel_move_log_add(struct ptsel_move_log *log, u64 addr, u64 size)
{
	unsigned int i = log->head;

	if (log->e[i].gen)
		log->dropped = log->e[i].gen;
	log->e[i].addr = addr;
	log->e[i].size = size;
	log->e[i].gen = ++log->gen;
	log->head = (i + 1) % PTSEL_MOVE_LOG;
	return log->gen;
}
PTSEL_EXPORT_FOR_TESTS(ptsel_move_log_add);

/**
 * ptsel_move_log_moved() - did a move after generation @since cover @addr
 * @log: the log
 * @since: generation the caller's view of @addr is from
 * @addr: input address
 *
 * When the records after @since are no longer all in the log, the
 * answer is yes: a holder of a stale address then refreshes once more
 * than needed, but never keeps a stale address.
 *
 * Return: true if the caller must refresh its view of @addr.
 */
bool ptsel_move_log_moved(const struct ptsel_move_log *log, u64 since,
			  u64 addr)
{
	unsigned int i;

	if (since >= log->gen)
		return false;
	if (since < log->dropped)
		return true;
	for (i = 0; i < PTSEL_MOVE_LOG; i++)
		if (log->e[i].gen > since && addr >= log->e[i].addr &&
		    addr - log->e[i].addr < log->e[i].size)
			return true;
	return false;
}
PTSEL_EXPORT_FOR_TESTS(ptsel_move_log_moved);
