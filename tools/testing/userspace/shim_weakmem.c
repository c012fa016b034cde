// SPDX-License-Identifier: GPL-2.0
/*
 * The weak-memory model of shim_weakmem.h: a log of the locations an
 * update stored to, with their old values, and a reader whose loads of
 * those locations each pick the old or the new value at random, within
 * what its barriers allow.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <shim_weakmem.h>

enum { SEEN_NONE, SEEN_OLD, SEEN_NEW };

struct wm_loc {
	const void *addr;
	unsigned int size;
	unsigned int epoch;	/* of the reader that set @seen */
	unsigned int seen;
	unsigned char old[8];
};

#define WM_SLOTS	(1u << 17)

static struct wm_loc *wm_log;
static bool wm_recording, wm_reading;
static unsigned int wm_epoch;
static bool wm_pending_new, wm_ordered_new;
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
	if (on) {
		free(wm_log);
		wm_log = calloc(WM_SLOTS, sizeof(*wm_log));
		shim_wm_logged = 0;
	}
	wm_recording = on;
}

void shim_wm_store(void *p, size_t size)
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
	if (l && !l->size) {
		l->size = size;
		memcpy(l->old, (const void *)p, size);
	}
}

static bool wm_coin(void)
{
	wm_rng ^= wm_rng << 13;
	wm_rng ^= wm_rng >> 7;
	wm_rng ^= wm_rng << 17;
	return wm_rng & 1;
}

void shim_wm_load(const void *p, void *val, size_t size,
		  bool acquire)
{
	struct wm_loc *l;
	unsigned int seen;

	if (!wm_reading)
		return;
	l = wm_find(p, false);
	if (!l || l->size != size || !memcmp(l->old, val, size))
		return;
	seen = l->epoch == wm_epoch ? l->seen : SEEN_NONE;
	l->epoch = wm_epoch;
	if (!wm_ordered_new && seen != SEEN_NEW && wm_coin()) {
		memcpy(val, l->old, size);
		l->seen = SEEN_OLD;
		shim_wm_stale++;
		return;
	}
	l->seen = SEEN_NEW;
	if (acquire)
		wm_ordered_new = true;
	else
		wm_pending_new = true;
}

void shim_wm_fence(int order)
{
	__atomic_thread_fence(order);
	if (wm_reading && wm_pending_new)
		wm_ordered_new = true;
}

void shim_wm_read_begin(unsigned long long seed)
{
	wm_rng = seed * 0x2545f4914f6cdd1dull | 1;
	wm_epoch++;
	wm_pending_new = false;
	wm_ordered_new = false;
	wm_reading = true;
}

void shim_wm_read_end(void)
{
	wm_reading = false;
}
