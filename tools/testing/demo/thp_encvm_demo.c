// SPDX-License-Identifier: GPL-2.0
/*
 * make demo, thp_encvm scenario: a VM whose RAM is a scattered
 * thp_encvm object runs the guest agent; the collapse daemon re-forms
 * its windows into 2 MiB pages with the guest copying. Shows KVM's
 * pages_2m and the module's counters before and after, and what the
 * guest found: corrupted bytes, and copy destinations that still held
 * the host's poison (all of them: the host copied nothing). Then the
 * same with the guest's writes tracked by KVM instead of the host
 * mapping: the guest's KVM page faults while its windows are copied
 * show the difference. Prints "metric|before|after" rows for demo.sh's
 * table.
 */
#include "tvm.h"

static void trow(const char *tag, const char *what, long before, long after)
{
	printf("thp_encvm: %s: %s|%ld|%ld\n", tag, what, before, after);
}

/*
 * The scenario, attached with @flags; @tag names it in the rows, and
 * @all prints the module's counters too. Returns 0 if every window
 * collapsed and the guest found its data intact.
 */
static int scenario(const char *tag, unsigned int flags, bool all)
{
	static const char * const counters[] = {
		"windows_collapsed", "pages_copied", "dirty_retries", "full_scans",
	};
	long before[4], after[4], p2m0, p2m1, pf0, pf1;
	struct thp_encvm_info i0, i1;
	char what[64];
	struct tvm t;
	unsigned int k;
	int vstats = -1, rc;
	double end;

	if (!tvm_create_notify(&t, MODE_SERVE, true, NOTIFY_IRQ, -1, flags))
		vstats = ioctl(t.vcpu, KVM_GET_STATS_FD, NULL);
	if (vstats < 0 || tvm_start(&t) || tvm_wait(&t, 1, VM_WAIT_S) != 1) {
		fprintf(stderr, "thp_encvm demo: VM setup failed (%s) %s\n", tag, t.why);
		return 1;
	}
	i0 = info_of(t.obj);
	p2m0 = vm_stat(t.vm, "pages_2m");
	pf0 = stats_read(vstats, "pf_taken");
	for (k = 0; k < 4; k++)
		before[k] = read_knob(counters[k]);
	write_knob("enabled", "1");
	end = now_s() + VM_WAIT_S;
	while ((i1 = info_of(t.obj)).collapses < OBJ_ELIGIBLE && now_s() < end)
		usleep(50000);
	write_knob("enabled", "0");
	/* As a VMM does: replace the mapping, so the windows map with PMDs. */
	ioctl(t.obj, THP_ENCVM_IOC_REMAP);
	pf1 = stats_read(vstats, "pf_taken");
	close(vstats);
	if (tvm_finish(&t) != 2) {
		fprintf(stderr, "thp_encvm demo: the guest did not finish (%s) %s\n", tag, t.why);
		return 1;
	}
	p2m1 = vm_stat(t.vm, "pages_2m");
	for (k = 0; k < 4; k++)
		after[k] = read_knob(counters[k]);
	trow(tag, "KVM pages_2m of the VM", p2m0, p2m1);
	trow(tag, "windows backed by one 2 MiB page", i0.huge, i1.huge);
	trow(tag, "guest's KVM page faults", 0, pf1 - pf0);
	for (k = 0; all && k < 4; k++) {
		snprintf(what, sizeof(what), "counter %s", counters[k]);
		trow(tag, what, before[k], after[k]);
	}
	trow(tag, "guest: corrupted bytes after collapse", 0, t.ctl->bad_bytes);
	trow(tag, "guest: copy destinations still poisoned", 0, t.ctl->poison_ok);
	trow(tag, "guest: copy destinations not poisoned", 0, t.ctl->poison_bad);
	if (all)
		trow(tag, "guest: woken by the irqfd", 0, t.ctl->wakeups);
	rc = t.ctl->bad_bytes || t.ctl->poison_bad || i1.huge < OBJ_ELIGIBLE;
	tvm_destroy(&t);
	return rc;
}

int main(void)
{
	int rc;

	write_knob("enabled", "0");
	write_knob("scan_sleep_millisecs", "50");
	write_knob("copy_timeout_ms", "120000");
	rc = scenario("host mapping", 0, true);
	rc |= scenario("KVM write tracking", THP_ENCVM_ATTACH_KVM_WRITE_TRACK, false);
	return rc;
}
