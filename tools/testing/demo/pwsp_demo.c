// SPDX-License-Identifier: GPL-2.0
/*
 * make demo, pwsp scenario: a 64-bit guest whose page tables pwsp
 * protects tries, among other things, to make its kernel text writable
 * (mov, cmpxchg, a 4-byte half). Each attempt is reverted before the
 * guest reads the entry again, and the violation is logged with the
 * writing instruction's address. kvm_amd is reloaded with npt=0 for the
 * shadow MMU, and put back. Prints "metric|before|after" rows for
 * demo.sh's table.
 */
#include "pvm.h"
#include "memvirt_ksft.h"

static void row(const char *what, long before, long after)
{
	printf("pwsp: %s|%ld|%ld\n", what, before, after);
}

int main(void)
{
	struct pwsp_log_entry log[64];
	struct pwsp_log_read lr = { .entries = (unsigned long)log, .nr = 64 };
	long tw0 = mv_read_knob(SYSFS, "violations/text_writable");
	long rv0 = mv_read_knob(SYSFS, "reverts");
	int npt0 = npt_enabled(), rc = 1;
	uint64_t pte0, pte1;
	unsigned int i;
	struct pvm p;

	if (npt_set(0)) {
		fprintf(stderr, "pwsp demo: cannot run kvm_amd with npt=0\n");
		return 1;
	}
	if (pvm_create(&p, SC_ENFORCE) || pvm_protect(&p, 0, -1, NULL)) {
		fprintf(stderr, "pwsp demo: VM setup failed\n");
		goto out;
	}
	pte0 = *pvm_pte(&p, PT0_GPA, TEXT_SPARE >> 12);
	if (pvm_run(&p) != PORT_DONE) {
		fprintf(stderr, "pwsp demo: guest failed: %s\n", p.why);
		goto out;
	}
	pte1 = *pvm_pte(&p, PT0_GPA, TEXT_SPARE >> 12);
	row("text PTE writable (RW bit)", !!(pte0 & X_RW), !!(pte1 & X_RW));
	row("guest's illegal page-table writes", 0, p.ctl->illegal);
	row("  found reverted by the guest", 0, p.ctl->reverted);
	row("violations/text_writable", tw0, mv_read_knob(SYSFS, "violations/text_writable"));
	row("reverts", rv0, mv_read_knob(SYSFS, "reverts"));
	if (!ioctl(p.dev, PWSP_IOC_READ_LOG, &lr)) {
		for (i = 0; i < lr.out_nr; i++)
			if (log[i].reason == PWSP_R_TEXT_WRITABLE && log[i].level == 0)
				fprintf(stderr, "pwsp demo: log #%llu: entry %#llx %#llx -> %#llx refused (text writable), rip %#llx, reverted\n",
					log[i].seq, log[i].gpa, log[i].old_val,
					log[i].new_val, log[i].rip);
	}
	rc = !(pte1 == pte0 && p.ctl->reverted == p.ctl->illegal);
out:
	pvm_destroy(&p);
	if (npt0 >= 0)
		npt_set(npt0);
	return rc;
}
