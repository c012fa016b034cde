// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the iommu_migrate core against its reference model
 * (iommu_migrate/core_model.h), one operation per 10 input bytes, and
 * the edu hold and drain against its memory model, one step per 2. Any
 * disagreement aborts.
 */
#include <stdint.h>
#include <stdlib.h>

#include "core_model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imm_hold_model hm;
	struct imm_model m;
	size_t i;

	/* The same bytes drive the edu hold model, two per step. */
	imm_hold_model_init(&hm);
	for (i = 0; i + 2 <= size; i += 2)
		if (!imm_hold_model_step(&hm, data[i], data[i + 1])) {
			fprintf(stderr, "%s\n", hm.why);
			abort();
		}
	imm_model_init(&m);
	for (; size >= 10; data += 10, size -= 10) {
		u64 b;

		memcpy(&b, data + 2, sizeof(b));
		if (!imm_model_step(&m, data[0], data[1], b)) {
			fprintf(stderr, "%s\n", m.why);
			abort();
		}
	}
	return 0;
}
