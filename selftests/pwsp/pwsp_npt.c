// SPDX-License-Identifier: GPL-2.0
/*
 * The probe behind pwsp's audit mode: under AMD NPT (kvm_amd npt=1) the
 * hardware walker needs nested write access to guest page-table pages,
 * so write-tracking the guest's live tables should send the guest into
 * KVM's emulator on every walk, even when the guest only reads data.
 *
 * The agent (SC_PROBE) reads one data word ctl.rounds times, then
 * 3 * ctl.rounds times, each read after INVLPG so that it walks, and
 * writes no page-table entry. The same run goes once with the tables
 * untracked (an audit session) and once with them write-tracked by a
 * PWSP_ATTACH_TRACK_ONLY session, which tracks in any mode and
 * verifies nothing. The vCPU's KVM statistics (insn_emulation, exits,
 * pf_emulate) are read at each of the agent's syncs: untracked, a batch
 * of reads emulates nothing. Tracked, what 6.12 does is worse than the
 * claim: every instruction's walk faults into the emulator and the
 * agent does not even get through its setup (see the test).
 */
#include <signal.h>
#include <sys/time.h>

#include "kselftest_harness.h"
#include "memvirt_ksft.h"
#include "pvm.h"

#define ROUNDS	32

PVM_TEST_FIXTURE(npt)

static const char *const stat_names[] = { "insn_emulation", "exits", "pf_emulate" };
#define S_EMUL	0
#define S_EXITS	1
#define S_PFEMU	2
#define NSTATS	3

/**
 * struct probe - one run of SC_PROBE
 * @batch: per statistic, its growth over the ROUNDS reads ([0]) and
 *	   over the 3 * ROUNDS reads ([1])
 * @va_ok: the reads that saw the agent's word
 * @pages_v: the session's tracked-or-verified pages
 * @mode: the session's mode
 * @stalled: the run stalled (see run_watched()); @at its statistics then
 * @rip: the vCPU's RIP then
 */
struct probe {
	long batch[NSTATS][2];
	bool stalled;
	long at[NSTATS];
	unsigned long long rip;
	unsigned int va_ok;
	unsigned long long pages_v;
	unsigned int mode;
};

static int snap(int sfd, long *v)
{
	int i;

	for (i = 0; i < NSTATS; i++) {
		v[i] = mv_kvm_stat(sfd, stat_names[i]);
		if (v[i] < 0)
			return -1;
	}
	return 0;
}

static void kick(int sig)
{
}

/*
 * Enter the vCPU until the agent's next port. A timer kicks the vCPU
 * out now and then, only to look at the counts: the run is a stall if
 * the vCPU exited STALL_EXITS times since the agent last completed a
 * read (a read is some ten instructions), or, before the first stop
 * (the agent's setup, no read), SETUP_EXITS times. Returns the port,
 * or -1 with p->why set.
 */
#define STALL_EXITS	20000
#define SETUP_EXITS	200000

static int run_watched(struct pvm *p, int sfd, unsigned int stop, struct probe *out)
{
	struct itimerval it = { { 1, 0 }, { 1, 0 } };
	long v[NSTATS], base = -1;
	unsigned int ok = p->ctl->va_ok;
	int ret = -1;

	struct sigaction sa = { .sa_handler = kick };	/* no SA_RESTART */

	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	for (;;) {
		if (!ioctl(p->vcpu, KVM_RUN, 0)) {
			if (p->run->exit_reason == KVM_EXIT_IO)
				ret = p->run->io.port;
			else
				snprintf(p->why, sizeof(p->why), "exit %u", p->run->exit_reason);
			break;
		}
		if (errno != EINTR) {
			snprintf(p->why, sizeof(p->why), "KVM_RUN: %s", strerror(errno));
			break;
		}
		if (snap(sfd, v))
			continue;
		if (base < 0 || p->ctl->va_ok != ok) {
			base = v[S_EXITS];
			ok = p->ctl->va_ok;
		} else if (v[S_EXITS] - base > (stop ? STALL_EXITS : SETUP_EXITS)) {
			struct kvm_regs regs = { 0 };

			ioctl(p->vcpu, KVM_GET_REGS, &regs);
			out->stalled = true;
			out->rip = regs.rip;
			memcpy(out->at, v, sizeof(v));
			snprintf(p->why, sizeof(p->why),
				 "stall before stop %u at rip %#llx: %ld exits, no read done; reads %u, insn_emulation %ld, pf_emulate %ld",
				 stop, (unsigned long long)regs.rip, v[S_EXITS] - base, ok,
				 v[S_EMUL], v[S_PFEMU]);
			break;
		}
	}
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
	return ret;
}

/* Run SC_PROBE with a session attached with @flags; 0 or why not in p->why. */
static int probe_run(struct pvm *p, unsigned int flags, struct probe *out)
{
	static const int ports[3] = { PORT_SYNC, PORT_SYNC, PORT_DONE };
	long s[4][NSTATS];
	struct pwsp_stats st;
	int sfd, r, i, k;

	memset(out, 0, sizeof(*out));
	r = pvm_create(p, SC_PROBE);
	if (r)
		return r;
	p->ctl->rounds = ROUNDS;
	/* taken before the vCPU first runs (see thp_encvm's tvm.h) */
	sfd = ioctl(p->vcpu, KVM_GET_STATS_FD, NULL);
	if (sfd < 0)
		return -errno;
	r = pvm_protect(p, flags, -1, &out->mode);
	if (r)
		goto out;
	for (i = 0; i < 3; i++) {
		r = run_watched(p, sfd, i, out);
		if (r != ports[i]) {
			snprintf(p->why + strlen(p->why), sizeof(p->why) - strlen(p->why),
				 " (stop %d: port %d; agent line %u)", i, r, p->ctl->fail_line);
			r = -1;
			goto out;
		}
		if (snap(sfd, s[i + 1])) {
			snprintf(p->why, sizeof(p->why), "no KVM statistic");
			r = -1;
			goto out;
		}
		fprintf(stderr, "# %s stop %d: reads %u, insn_emulation %ld, exits %ld, pf_emulate %ld\n",
			flags & PWSP_ATTACH_TRACK_ONLY ? "tracked" : "untracked", i,
			p->ctl->va_ok, s[i + 1][S_EMUL], s[i + 1][S_EXITS], s[i + 1][S_PFEMU]);
	}
	for (k = 0; k < NSTATS; k++) {
		out->batch[k][0] = s[2][k] - s[1][k];
		out->batch[k][1] = s[3][k] - s[2][k];
	}
	out->va_ok = p->ctl->va_ok;
	r = ioctl(p->dev, PWSP_IOC_STATS, &st) ? -errno : 0;
	out->pages_v = st.pages_v;
out:
	close(sfd);
	return r;
}

static void log_probe(struct __test_metadata *_metadata, const char *what,
		      const struct probe *pr)
{
	TH_LOG("%s, reads %d then %d: insn_emulation %ld, %ld; exits %ld, %ld; pf_emulate %ld, %ld",
	       what, ROUNDS, 3 * ROUNDS,
	       pr->batch[S_EMUL][0], pr->batch[S_EMUL][1],
	       pr->batch[S_EXITS][0], pr->batch[S_EXITS][1],
	       pr->batch[S_PFEMU][0], pr->batch[S_PFEMU][1]);
}

TEST_F_TIMEOUT(npt, tracked_tables_emulate_every_walk, 240)
{
	struct pvm *p = &self->p;
	struct probe off, on;
	int i;

	if (npt_set(1))
		SKIP(return, "kvm_amd npt=0 and cannot be reloaded (built in: the first boot has npt=1)");

	/* untracked: an audit session protects the root, tracks nothing */
	ASSERT_EQ(0, probe_run(p, PWSP_ATTACH_AUDIT, &off)) TH_LOG("%s", p->why);
	pvm_destroy(p);
	/* tracked: the same tables write-tracked, no write verified */
	probe_run(p, PWSP_ATTACH_TRACK_ONLY, &on);
	TH_LOG("tracked: %s", on.stalled ? p->why : "ran to the end");
	log_probe(_metadata, "untracked", &off);

	/* NPT keeps the session in audit mode, both times */
	EXPECT_EQ(PWSP_MODE_AUDIT, off.mode);
	EXPECT_EQ(PWSP_MODE_AUDIT, on.mode);
	/* untracked: every read saw the word, and none was emulated */
	EXPECT_EQ(4 * ROUNDS, off.va_ok);
	EXPECT_EQ(4, off.pages_v);	/* PML4, PDPT, PD, PT0 */
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(0, off.batch[S_EMUL][i]);
		EXPECT_EQ(0, off.batch[S_PFEMU][i]);
		/* the sync's port I/O, little else */
		EXPECT_GT(ROUNDS / 4, off.batch[S_EXITS][i]);
	}
	/*
	 * Tracked, as measured on 6.12: worse than "every walk emulated".
	 * The agent never finishes its setup (a few thousand instructions,
	 * before any read): SETUP_EXITS exits pass, each an NPT fault sent
	 * to the emulator (pf_emulate follows insn_emulation), with no
	 * progress to its first stop. Audit mode under NPT is a necessity.
	 */
	EXPECT_TRUE(on.stalled);
	EXPECT_EQ(0, on.va_ok);
	EXPECT_LE(SETUP_EXITS, on.at[S_EXITS]);
	EXPECT_LE(SETUP_EXITS, on.at[S_EMUL]);
	EXPECT_LE(on.at[S_EMUL] - 2, on.at[S_PFEMU]);
}

TEST_HARNESS_MAIN
