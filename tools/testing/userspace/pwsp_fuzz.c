// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the input is a sequence of 11-byte guest writes
 * (table, entry, 8-byte value, half flag) over eight table frames, the
 * first four a protected 4-level tree. Writes to W frames fill them
 * untracked, as a guest would before linking. After every write the
 * core must keep it exactly when the reference verifier accepts the
 * tree it leaves, revert it otherwise, and its V pages must be the
 * reachable tables; any difference aborts.
 */
#include "pwsp_model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct model m;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	u64 root = M_TABLES;
	u32 reason;
	size_t k;

	if (!m.mem)
		m.mem = calloc(M_FRAMES, 4096);
	model_init(&m, 40, true);
	m.mem[root * 512] = M_P | M_RW | ((root + 1) << 12);
	m.mem[(root + 1) * 512] = M_P | M_RW | ((root + 2) << 12);
	m.mem[(root + 2) * 512] = M_P | M_RW | ((root + 3) << 12);
	m.mem[(root + 3) * 512] = M_P | M_RW | M_NX | (500ULL << 12);
	if (ref_verify(&m, root) || pwsp_core_protect_root(&m.core, root << 12, &reason))
		abort();
	for (k = 0; k + 11 <= size; k += 11) {
		u64 t = root + data[k] % 8, val, old, gpa;
		unsigned int i = data[k + 1] % 16, bytes = 8;
		bool tracked = pwsp_core_is_v(&m.core, t);
		int r;

		memcpy(&val, &data[k + 2], 8);
		old = m.mem[t * 512 + i];
		gpa = t * 4096 + i * 8;
		if (data[k + 10] & 1) {
			bytes = 4;
			if (data[k + 10] & 2) {
				gpa += 4;
				val = (old & 0xffffffffULL) | (val & ~0xffffffffULL);
			} else {
				val = (old & ~0xffffffffULL) | (val & 0xffffffffULL);
			}
		}
		if (tracked && ref_snapshot(&m, root))
			abort();
		m.mem[t * 512 + i] = val;
		if (!tracked)
			continue;
		r = ref_verify(&m, root);
		if (r < 0)
			abort();
		pwsp_core_write(&m.core, gpa, bytes, true);
		if (m.mem[t * 512 + i] != (r ? revert_value(old, val) : val))
			abort();
		if (r)
			ref_verify(&m, root);
		if (model_invariants(&m, true))
			abort();
	}
	pwsp_core_destroy(&m.core);
	return 0;
}
