// SPDX-License-Identifier: GPL-2.0
/*
 * make demo, thp_encvm scenario: a VM whose RAM is a scattered
 * thp_encvm object runs the guest agent; the collapse daemon re-forms
 * its windows into 2 MiB pages with the guest copying. Shows KVM's
 * pages_2m and the module's counters before and after, and what the
 * guest found: corrupted bytes, and copy destinations that still held
 * the host's poison (all of them: the host copied nothing). Prints
 * "metric|before|after" rows for demo.sh's table.
 */
#include "tvm.h"

static void row(const char *what, long before, long after)
{
	printf("thp_encvm: %s|%ld|%ld\n", what, before, after);
}

int main(void)
{
	static const char * const counters[] = {
		"windows_collapsed", "pages_copied", "dirty_retries", "full_scans",
	};
	long before[4], after[4], p2m0, p2m1;
	struct thp_encvm_info i0, i1;
	struct tvm t;
	unsigned int k;
	double end;
	int rc;

	write_knob("enabled", "0");
	write_knob("scan_sleep_millisecs", "50");
	write_knob("copy_timeout_ms", "120000");
	if (tvm_create_irq(&t, MODE_SERVE) || tvm_start(&t) ||
	    tvm_wait(&t, 1, VM_WAIT_S) != 1) {
		fprintf(stderr, "thp_encvm demo: VM setup failed\n");
		return 1;
	}
	i0 = info_of(t.obj);
	p2m0 = vm_stat(t.vm, "pages_2m");
	for (k = 0; k < 4; k++)
		before[k] = read_knob(counters[k]);
	write_knob("enabled", "1");
	end = now_s() + VM_WAIT_S;
	while ((i1 = info_of(t.obj)).collapses < OBJ_ELIGIBLE && now_s() < end)
		usleep(50000);
	write_knob("enabled", "0");
	if (tvm_finish(&t) != 2) {
		fprintf(stderr, "thp_encvm demo: the guest did not finish\n");
		return 1;
	}
	p2m1 = vm_stat(t.vm, "pages_2m");
	for (k = 0; k < 4; k++)
		after[k] = read_knob(counters[k]);
	row("KVM pages_2m of the VM", p2m0, p2m1);
	row("object windows backed by one 2 MiB page", i0.huge, i1.huge);
	for (k = 0; k < 4; k++) {
		char what[64];

		snprintf(what, sizeof(what), "counter %s", counters[k]);
		row(what, before[k], after[k]);
	}
	row("guest: corrupted bytes after collapse", 0, t.ctl->bad_bytes);
	row("guest: copy destinations still poisoned", 0, t.ctl->poison_ok);
	row("guest: copy destinations not poisoned", 0, t.ctl->poison_bad);
	row("guest: woken by the irqfd", 0, t.ctl->wakeups);
	rc = t.ctl->bad_bytes || t.ctl->poison_bad || i1.huge < OBJ_ELIGIBLE;
	tvm_destroy(&t);
	return rc;
}
