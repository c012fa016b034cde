// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the iommu_migrate core against its reference model
 * (iommu_migrate/core_model.h), one operation per 10 input bytes. Any
 * disagreement aborts.
 */
#include <stdint.h>
#include <stdlib.h>

#include "core_model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imm_model m;

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
