// SPDX-License-Identifier: GPL-2.0
/*
 * make bench, pwsp: the guest agent maps and unmaps one PTE N times
 * (SC_BENCH) on untracked tables, on tables KVM write-tracks for a
 * session that verifies nothing (PWSP_ATTACH_TRACK_ONLY: plain page
 * tracking and a notifier that returns at once), and under pwsp. All
 * in one run, under the shadow MMU (kvm_amd npt=0, put back after).
 * Reports ratios: pwsp against plain tracking (target <= 1.3) and plain
 * tracking against untracked tables.
 */
#include <time.h>

#include "pvm.h"

#define ROUNDS	4000
#define REPEATS	3

/* Seconds for ROUNDS map/unmap pairs; @flags < 0: no session at all. */
static double run(int flags)
{
	struct timespec a, b;
	struct pvm p;
	double s = -1;

	if (pvm_create(&p, SC_BENCH))
		goto out;
	p.ctl->rounds = ROUNDS;
	if (flags >= 0 && pvm_protect(&p, flags, -1, NULL))
		goto out;
	clock_gettime(CLOCK_MONOTONIC, &a);
	if (pvm_run(&p) != PORT_DONE)
		goto out;
	clock_gettime(CLOCK_MONOTONIC, &b);
	s = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
out:
	if (s < 0)
		fprintf(stderr, "pwsp_bench: a measurement failed (flags %d): %s\n", flags, p.why);
	pvm_destroy(&p);
	return s;
}

int main(void)
{
	double none = 1e9, track = 1e9, pwsp = 1e9, t;
	int npt0 = npt_enabled(), i;

	if (npt_set(0)) {
		fprintf(stderr, "pwsp_bench: cannot run kvm_amd with npt=0\n");
		return 1;
	}
	/* interleaved, best of REPEATS each */
	for (i = 0; i < REPEATS; i++) {
		t = run(-1);
		none = t >= 0 && t < none ? t : none;
		t = run(PWSP_ATTACH_TRACK_ONLY);
		track = t >= 0 && t < track ? t : track;
		t = run(0);
		pwsp = t >= 0 && t < pwsp ? t : pwsp;
	}
	if (npt0 >= 0)
		npt_set(npt0);
	if (none >= 1e9 || track >= 1e9 || pwsp >= 1e9)
		return 1;
	printf("pwsp_bench: %d map/unmap pairs: untracked %.1f us/pair, plain page tracking %.1f us/pair, pwsp %.1f us/pair\n",
	       ROUNDS, none * 1e6 / ROUNDS, track * 1e6 / ROUNDS, pwsp * 1e6 / ROUNDS);
	printf("pwsp_bench: pwsp / plain page tracking: %.2f (target <= 1.3)\n", pwsp / track);
	printf("pwsp_bench: plain page tracking / untracked: %.2f\n", track / none);
	return 0;
}
