// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the nested_notify core: the input is L1's
 * memory (page tables, table entry, ring header, all hostile) and a
 * list of operations (doorbells, L1 writes into its memory), taken
 * from the same bytes. Whatever
 * L1 wrote, a delivery must stay within memory (nn_mem bounds every
 * access, ASan watches the rest), keep records plus pending equal to
 * doorbells, advance the producer index by exactly one per record
 * written, and bound its reads.
 */
#include <stdlib.h>

#include "nn_mem.h"

#define MEM_SIZE	(64 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char mem[MEM_SIZE];
	struct nn_mem m = { .mem = mem, .size = MEM_SIZE };
	struct nn_env env = { nnm_read, nnm_write, &m, nnm_walk_read };
	struct nn_table t = { 0x1000, 4 };
	struct nn_stats st = { 0 };
	struct nn_dev d;
	u64 rung = 0;
	size_t n = size < MEM_SIZE ? size : MEM_SIZE, i;

	memset(mem, 0, MEM_SIZE);
	memcpy(mem, data, n);
	if (size < 2)
		return 0;
	nn_dev_init(&d, data[0] & 3);
	/* The same bytes are also the operations, 4 bytes each. */
	for (i = 0; i + 4 <= size && i < 4096; i += 4) {
		const uint8_t *op = data + i;
		unsigned long reads = m.reads;
		struct nested_notify_ring after;
		u64 hdr_gpa;
		int ret;

		if (op[0] & 1) {	/* L1 writes a byte of its memory */
			mem[(op[1] << 8 | op[2]) % MEM_SIZE] = op[3];
			continue;
		}
		rung += op[1] & 7;
		ret = nn_deliver(&d, &t, &env, op[1] & 7, i, &st);
		if (st.delivered + d.pending != st.doorbells || st.doorbells != rung)
			abort();
		if (m.reads - reads > 8 * NN_RING_MAX_PAGES + 8)
			abort();
		if (ret > 0 && (ret & NN_WROTE)) {
			hdr_gpa = d.page_gpa[0] + (d.walk.key.gva & 4095);
			if (nnm_read(&m, hdr_gpa, &after, 8) ||
			    after.prod - after.cons >
			    (d.walk.key.len - NN_RING_HDR) / NN_REC_SIZE)
				abort();
		}
	}
	return 0;
}
