// SPDX-License-Identifier: GPL-2.0
/*
 * The weak-memory model of shim_weakmem.h: a log of the stores and
 * store barriers of an update, location by location, and a reader
 * whose loads of those locations each pick, at random, a store that
 * its own barriers and the updater's let it see.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <shim_weakmem.h>

/* One store of the update: its place in the update, and its value. */
struct wm_store {
	unsigned long idx;	/* position among stores and barriers */
	unsigned long bar;	/* the last store barrier before it */
	unsigned char val[8];
};

struct wm_loc {
	const void *addr;
	unsigned int size;	/* 0: not logged (or the reader wrote it) */
	unsigned int epoch;	/* of the reader that set @seen */
	long seen;		/* the store it read, -1 for @old */
	unsigned long nr, cap;
	unsigned char old[8];
	struct wm_store *st;
};

#define WM_SLOTS	(1u << 17)

static struct wm_loc *wm_log;
static bool wm_recording, wm_reading;
static unsigned long wm_idx, wm_bar;
static unsigned int wm_epoch;
/* The reader: stores before these barrier positions are visible. */
static unsigned long wm_forced, wm_pending;
static uint64_t wm_rng;
unsigned long shim_wm_stale, shim_wm_logged;

static struct wm_loc *wm_find(const void *p, bool add)
{
	uintptr_t h = ((uintptr_t)p >> 3) * 0x9e3779b97f4a7c15ull;
	unsigned int i = h >> 47;

	if (!wm_log)
		return NULL;
	for (;; i = (i + 1) & (WM_SLOTS - 1)) {
		struct wm_loc *l = &wm_log[i];

		if (l->addr == p)
			return l;
		if (l->addr)
			continue;
		if (!add || shim_wm_logged >= WM_SLOTS / 2)
			return NULL;
		l->addr = p;
		shim_wm_logged++;
		return l;
	}
}

void shim_wm_record(bool on)
{
	unsigned int i;

	if (on) {
		for (i = 0; wm_log && i < WM_SLOTS; i++)
			free(wm_log[i].st);
		free(wm_log);
		wm_log = calloc(WM_SLOTS, sizeof(*wm_log));
		shim_wm_logged = 0;
		wm_idx = 0;
		wm_bar = 0;
	}
	wm_recording = on;
}

void shim_wm_store(void *p, const void *val, size_t size, bool release)
{
	struct wm_loc *l;

	if (wm_reading) {
		/* The reader's own store: it reads it back, never older. */
		l = wm_find(p, false);
		if (l)
			l->size = 0;
		return;
	}
	if (!wm_recording || size > sizeof(l->old))
		return;
	l = wm_find(p, true);
	if (!l)
		return;
	if (!l->size) {
		l->size = size;
		memcpy(l->old, p, size);
	}
	if (l->nr == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 4;
		l->st = realloc(l->st, l->cap * sizeof(*l->st));
		if (!l->st)
			abort();
	}
	/*
	 * A release store orders every earlier store before itself, but
	 * not before the stores after it: its barrier is its own.
	 */
	l->st[l->nr].bar = release ? ++wm_idx : wm_bar;
	l->st[l->nr].idx = ++wm_idx;
	memcpy(l->st[l->nr].val, val, size);
	l->nr++;
}

static uint64_t wm_next(void)
{
	wm_rng ^= wm_rng << 13;
	wm_rng ^= wm_rng >> 7;
	wm_rng ^= wm_rng << 17;
	return wm_rng;
}

void shim_wm_load(const void *p, void *val, size_t size, bool acquire)
{
	struct wm_loc *l;
	long lo, pick, i;
	uint64_t r;

	if (!wm_reading)
		return;
	l = wm_find(p, false);
	if (!l || l->size != size || !l->nr)
		return;
	/* The newest store it must see: before a barrier it has seen past. */
	lo = -1;
	for (i = 0; i < (long)l->nr && l->st[i].idx < wm_forced; i++)
		lo = i;
	if (l->epoch == wm_epoch && l->seen > lo)
		lo = l->seen;
	r = wm_next();
	/* Half the time the oldest it may see, else any up to the newest. */
	pick = r & 1 ? lo : lo + (long)((r >> 1) % (l->nr - lo));
	l->epoch = wm_epoch;
	l->seen = pick;
	if (pick < 0) {
		memcpy(val, l->old, size);
	} else {
		memcpy(val, l->st[pick].val, size);
		if (acquire && l->st[pick].bar > wm_forced)
			wm_forced = l->st[pick].bar;
		else if (l->st[pick].bar > wm_pending)
			wm_pending = l->st[pick].bar;
	}
	if (pick + 1 < (long)l->nr)
		shim_wm_stale++;
}

void shim_wm_fence(int order, bool loads, bool stores)
{
	__atomic_thread_fence(order);
	if (wm_reading) {
		if (loads && wm_pending > wm_forced)
			wm_forced = wm_pending;
	} else if (wm_recording && stores) {
		wm_bar = ++wm_idx;
	}
}

void shim_wm_read_begin(unsigned long long seed)
{
	wm_rng = seed * 0x2545f4914f6cdd1dull | 1;
	wm_epoch++;
	wm_pending = 0;
	wm_forced = 0;
	wm_reading = true;
}

void shim_wm_read_end(void)
{
	wm_reading = false;
}
