// SPDX-License-Identifier: GPL-2.0
/*
 * ptsel sampler: lets a cache (the TLB, a walk cache) bypass itself in
 * windows where it does not hit, and sample one use in
 * PTSEL_SAMPLER_SAMPLE (more rarely as bypassed windows follow each
 * other) to notice when hits come back. The per-use part
 * is ptsel_sampler_skip(), inline in ptsel_core.h.
 */
#include <linux/build_bug.h>
#include <linux/export.h>
#include <linux/kernel.h>

#include "ptsel_core.h"

/**
 * ptsel_sampler_init() - start a cache's bypass sampler, not bypassing
 * @s: the sampler
 * @min_rate: bypass windows with fewer than one hit in @min_rate uses
 */
void ptsel_sampler_init(struct ptsel_sampler *s, u8 min_rate)
{
	/* A bypassed window's skips end on its last use. */
	BUILD_BUG_ON(PTSEL_SAMPLER_WINDOW % PTSEL_SAMPLER_SAMPLE);
	*s = (struct ptsel_sampler){ .min_rate = min_rate, .adaptive = true };
}
PTSEL_EXPORT_FOR_TESTS(ptsel_sampler_init);

/*
 * The last use of a window (ptsel_sampler_skip()): decide from its hit
 * rate whether the next window is bypassed.
 */
void ptsel_sampler_window_end(struct ptsel_sampler *s)
{
	/*
	 * A bypassed window, PTSEL_SAMPLER_WINDOW << backoff uses long,
	 * probed one use in PTSEL_SAMPLER_SAMPLE << backoff.
	 */
	u32 probed = s->bypass ? PTSEL_SAMPLER_WINDOW / PTSEL_SAMPLER_SAMPLE :
				 PTSEL_SAMPLER_WINDOW;
	u64 hits = probed - min(s->win_misses, probed) + s->win_free;
	bool was = s->bypass;

	s->bypass = hits * s->min_rate < probed + s->win_free;
	if (!s->bypass)
		s->backoff = 0;
	else if (was && s->backoff < PTSEL_SAMPLER_MAX_BACKOFF)
		s->backoff++;
	s->win_uses = 0;
	s->win_misses = 0;
	s->win_free = 0;
}
PTSEL_EXPORT_FOR_TESTS(ptsel_sampler_window_end);
