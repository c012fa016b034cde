// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: te_layout_init() (thp_encvm core) on arbitrary
 * create requests, against the model in thp_encvm_layout_model.h.
 * The input is the request's bytes, then up to 8 of max_bytes; with 16
 * more, an exclusion range for a launch of the object (offset, size),
 * checked with te_layout_excl() against its model when the request is
 * accepted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "thp_encvm_layout_model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct thp_encvm_create c = { 0 };
	u64 max = 1ULL << 32, excl[2] = { 0, 0 };
	struct te_layout l;
	const char *why;

	if (size < sizeof(c))
		return 0;
	memcpy(&c, data, sizeof(c));
	if (size >= sizeof(c) + sizeof(max))
		memcpy(&max, data + sizeof(c), sizeof(max));
	if (size >= sizeof(c) + sizeof(max) + sizeof(excl))
		memcpy(excl, data + sizeof(c) + sizeof(max), sizeof(excl));
	/*
	 * te_layout_check() visits every tweak page of an accepted
	 * layout: objects past 64 GiB would make one input take seconds
	 * and starve the run. The checks themselves do not depend on the
	 * magnitude.
	 */
	max %= 64ULL << 30;
	/* Small values matter: fold the words into a few windows' worth. */
	if (data[0] & 1) {
		c.size %= 64ULL << 20;
		c.shared_offset %= 64ULL << 20;
		c.shared_size %= 8ULL << 20;
		c.ring_offset %= 64ULL << 20;
		c.staging_offset %= 64ULL << 20;
		c.tweak_offset %= 64ULL << 20;
		c.secret_offset %= 64ULL << 20;
		excl[0] %= 64ULL << 20;
		excl[1] %= 8ULL << 20;
	}
	why = te_layout_check(&c, max);
	if (!why && !te_layout_init(&l, &c, max))
		why = te_excl_check(&c, &l, excl[0], excl[1]);
	if (why) {
		fprintf(stderr, "thp_encvm layout: %s\n", why);
		abort();
	}
	return 0;
}
