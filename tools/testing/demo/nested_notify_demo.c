// SPDX-License-Identifier: GPL-2.0
/*
 * make demo scenario for nested_notify: L2 rings 1,000 doorbells. Before:
 * B1, L1's hypervisor intercepts the doorbell port and writes each
 * record itself. After: the module writes them into L1's ring from L0.
 * L1 checks every record either way; the rows compare L1's exits.
 */
#include "nn_vmm.h"

#define N	1000

static void row(const char *what, long before, long after)
{
	printf("nested_notify: %s|%ld|%ld\n", what, before, after);
}

static int scenario(bool module, struct ag_ctl *out, long *records)
{
	struct ag_ctl c = { .mode = MODE_PORT, .n = N, .slots = 1024,
			    .l1_intercept = !module };
	struct vmm v;
	int ret = vmm_create(&v, module ? VMM_MODULE : 0, &c);

	if (!ret)
		ret = vmm_start(&v);
	if (!ret && (vmm_wait(&v, 0, VM_WAIT_S) != 1 || vmm_wait(&v, 1, VM_WAIT_S) != 1))
		ret = -1;
	if (ret) {
		fprintf(stderr, "nested_notify demo: %s failed (%d) %s %s\n",
			module ? "nested_notify" : "B1", ret, v.why[0], v.why[1]);
	} else {
		*out = *v.ctl;
		*records = module ? (long)vmm_info(&v).records : (long)v.ctl->records;
	}
	vmm_destroy(&v);
	return ret;
}

int main(void)
{
	struct ag_ctl b1, nn;
	long r1 = 0, r2 = 0;

	if (scenario(false, &b1, &r1) || scenario(true, &nn, &r2))
		return 1;
	row("doorbells rung by L2 (B1 | nested_notify)", b1.l2_rung, nn.l2_rung);
	row("records L1 consumed, in order", b1.records, nn.records);
	row("records written (by L1 | by L0's module)", r1, r2);
	row("L1 exits for the doorbells", b1.l1_exits_other, nn.l1_exits_other);
	row("L1 exits in all (incl. L2's final VMMCALL)", b1.l1_exits, nn.l1_exits);
	row("records out of order, torn or duplicated", b1.bad_seq + b1.bad_check,
	    nn.bad_seq + nn.bad_check);
	row("L1 consumer wakeups by interrupt", b1.ipis, nn.irqs);
	return b1.bad_seq || nn.bad_seq || nn.l1_exits_other || b1.l2_rung != N ||
	       nn.l2_rung != N;
}
