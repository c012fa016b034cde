// SPDX-License-Identifier: GPL-2.0
/*
 * make bench, thp_encvm (run in the VM): collapse time per 2 MiB
 * window against MADV_COLLAPSE of an equally fragmented anonymous
 * region in the same VM, the fraction of eligible windows collapsed
 * after 1, 2 and 3 full scans, and the guest-visible cost per window
 * (the agent's time serving copy requests), once with the pages being
 * copied write-protected in the host mapping and once with them
 * write-tracked by KVM. Ratios only compare
 * numbers measured in this run; each mode runs three times, and the
 * verdict is on the median ratio. To tell where the time goes it also
 * reports the daemon's CPU time and the guest's exits per window: in
 * nested virtualization under TCG each exit costs far more, relative
 * to the host's own work, than on hardware.
 *
 * "displaced" (also run by default) measures the seed's method: an
 * object allocated in 2 MiB blocks, 1, 16 or 512 pages of each window
 * moved out (THP_ENCVM_IOC_DISPLACE), and the collapse that copies only
 * those back into their home frames, against MADV_COLLAPSE of equally
 * fragmented anonymous memory, which copies all 512 (target for one
 * displaced page: <= 0.2).
 */
#include <dirent.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "tvm.h"

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE	25
#endif

static unsigned long long rdtsc(void)
{
	unsigned int lo, hi;

	__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
	return ((unsigned long long)hi << 32) | lo;
}

/* The TSC rate, which the guest's TSC shares under KVM without scaling. */
static double tsc_hz(void)
{
	unsigned long long t0 = rdtsc();
	double s0 = now_s();

	usleep(200000);
	return (rdtsc() - t0) / (now_s() - s0);
}

/*
 * ms per window of MADV_COLLAPSE over @windows windows of anonymous
 * memory faulted in 4K pages in shuffled order, interleaved with a
 * decoy that is then freed, so no window is physically contiguous.
 */
static double madv_collapse_ms(unsigned int windows)
{
	size_t len = (size_t)windows * 2 * MB, n = len / 4096, i;
	char *r = mmap(NULL, len + 2 * MB, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *decoy = mmap(NULL, len, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned int *order = malloc(n * sizeof(*order));
	char *a;
	double t;

	if (r == MAP_FAILED || decoy == MAP_FAILED || !order)
		return -1;
	a = (char *)(((unsigned long)r + 2 * MB - 1) & ~(2 * MB - 1));
	madvise(a, len, MADV_NOHUGEPAGE);
	madvise(decoy, len, MADV_NOHUGEPAGE);
	for (i = 0; i < n; i++)
		order[i] = i;
	srandom(5);
	for (i = n - 1; i > 0; i--) {
		size_t j = random() % (i + 1);
		unsigned int x = order[i];

		order[i] = order[j];
		order[j] = x;
	}
	for (i = 0; i < n; i++) {
		a[(size_t)order[i] * 4096] = 1;
		decoy[(size_t)order[i] * 4096] = 1;
	}
	munmap(decoy, len);
	madvise(a, len, MADV_HUGEPAGE);
	t = now_s();
	if (madvise(a, len, MADV_COLLAPSE))
		return -1;
	t = (now_s() - t) * 1000 / windows;
	munmap(r, len + 2 * MB);
	free(order);
	return t;
}

/* CPU time of the thp_encvmd kthread so far, in ns (schedstat), or -1. */
static long long daemon_ns(void)
{
	long long ns = -1;
	struct dirent *e;
	char path[300], comm[32];
	DIR *d = opendir("/proc");
	FILE *f;

	while (d && ns < 0 && (e = readdir(d))) {
		snprintf(path, sizeof(path), "/proc/%s/comm", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) && !strcmp(comm, "thp_encvmd\n")) {
			fclose(f);
			snprintf(path, sizeof(path), "/proc/%s/schedstat", e->d_name);
			f = fopen(path, "r");
			if (f && fscanf(f, "%lld", &ns) != 1)
				ns = -1;
		}
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
	return ns;
}

/*
 * One VM whose guest sleeps until the irqfd wakes it, attached with
 * @flags: three full scans, each window's cost against @base (ms per
 * window of MADV_COLLAPSE), stored in *@ratio. Returns 0, or 1 if the
 * guest's check failed.
 */
static int run(const char *name, unsigned int flags, double base, double hz,
	       double *ratio)
{
	double t0, t1 = 0, frac[3] = { 0 };
	long scans0, exits0, exits1 = 0, pf0, pf1 = 0;
	long long cpu0, cpu1 = 0;
	int vstats = -1;
	struct thp_encvm_info info;
	struct tvm t;
	int s;

	*ratio = -1;
	/* One wakeup scans the whole object: a full scan per wakeup. */
	write_knob("enabled", "0");
	write_knob("pages_to_scan", "4096");
	write_knob("scan_sleep_millisecs", "2000");
	write_knob("copy_timeout_ms", "120000");
	/* The vCPU's stats fd, taken while its ioctls do not wait. */
	if (!tvm_create_notify(&t, MODE_SERVE, true, NOTIFY_IRQ, -1, flags)) {
		vstats = ioctl(t.vcpu, KVM_GET_STATS_FD, NULL);
		/* Copy as a guest kernel would; the tests check the poison. */
		t.ctl->no_poison_check = 1;
	}
	if (vstats < 0 || tvm_start(&t) || tvm_wait(&t, 1, VM_WAIT_S) != 1) {
		fprintf(stderr, "thp_encvm_bench: VM setup failed (%s) %s\n", name, t.why);
		return 1;
	}
	scans0 = read_knob("full_scans");
	exits0 = stats_read(vstats, "exits");
	pf0 = stats_read(vstats, "pf_taken");
	cpu0 = daemon_ns();
	t0 = now_s();
	write_knob("enabled", "1");
	for (s = 0; s < 3; s++) {
		while (read_knob("full_scans") < scans0 + s + 1 && now_s() < t0 + VM_WAIT_S)
			usleep(2000);
		info = info_of(t.obj);
		frac[s] = (double)info.collapses / OBJ_ELIGIBLE;
		if (!s) {
			t1 = now_s();
			cpu1 = daemon_ns();
			exits1 = stats_read(vstats, "exits");
			pf1 = stats_read(vstats, "pf_taken");
		}
	}
	write_knob("enabled", "0");
	if (tvm_finish(&t) != 2 || t.ctl->bad_bytes) {
		fprintf(stderr, "thp_encvm_bench: the guest failed its check (%s) %s\n",
			name, t.why);
		return 1;
	}
	info = info_of(t.obj);
	if (frac[0] > 0) {
		double per = (t1 - t0) * 1000 / (frac[0] * OBJ_ELIGIBLE);

		*ratio = base > 0 ? per / base : 0;
		printf("thp_encvm_bench: %s, first full scan: %.1f ms/window, ratio to MADV_COLLAPSE %.2f\n",
		       name, per, *ratio);
		per = frac[0] * OBJ_ELIGIBLE;
		if (cpu0 >= 0 && cpu1 >= cpu0)
			printf("thp_encvm_bench: %s, daemon CPU time: %.1f ms/window, ratio to MADV_COLLAPSE %.2f\n",
			       name, (cpu1 - cpu0) / 1e6 / per,
			       base > 0 ? (cpu1 - cpu0) / 1e6 / per / base : 0);
		if (exits0 >= 0 && exits1 >= exits0)
			printf("thp_encvm_bench: %s, guest exits: %.0f/window, of which KVM page faults %.0f\n",
			       name, (exits1 - exits0) / per, (pf1 - pf0) / per);
	}
	printf("thp_encvm_bench: %s, eligible windows collapsed after 1, 2, 3 full scans: %.0f%% %.0f%% %.0f%% (target >= 95%% after 3)\n",
	       name, frac[0] * 100, frac[1] * 100, frac[2] * 100);
	if (info.collapses + info.aborts)
		printf("thp_encvm_bench: %s, guest time serving copies: %.2f ms/window (%u requests, %u pages)\n",
		       name, t.ctl->copy_tsc / hz * 1000 / (info.collapses + info.aborts),
		       t.ctl->requests, t.ctl->pages);
	close(vstats);
	tvm_destroy(&t);
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The baseline right before a run: the median of three, in ms/window. */
static double madv_collapse_median(void)
{
	double b[3];
	int i;

	for (i = 0; i < 3; i++)
		b[i] = madv_collapse_ms(OBJ_ELIGIBLE);
	qsort(b, 3, sizeof(b[0]), cmp_double);
	printf("thp_encvm_bench: MADV_COLLAPSE, %d fragmented anonymous windows: %.1f ms/window (baseline, median of %.1f %.1f %.1f)\n",
	       OBJ_ELIGIBLE, b[1], b[0], b[1], b[2]);
	return b[0] < 0 ? -1 : b[1];
}

/*
 * REPS runs of one mode, each against a baseline measured right
 * before it; the verdict is on the median ratio, since a run's few
 * windows are at the mercy of the emulator's host.
 */
#define REPS	3

static int mode(const char *name, unsigned int flags, double hz)
{
	double ratio[REPS];
	int i, ret = 0;

	for (i = 0; i < REPS; i++) {
		ret |= run(name, flags, madv_collapse_median(), hz, &ratio[i]);
		/* No window collapsed, or no baseline: no ratio at all. */
		if (ratio[i] <= 0)
			ret = 1;
	}
	qsort(ratio, REPS, sizeof(ratio[0]), cmp_double);
	if (ret)
		printf("thp_encvm_bench: %s, collapse time per window against MADV_COLLAPSE: no median, a run failed\n",
		       name);
	else
		printf("thp_encvm_bench: %s, collapse time per window against MADV_COLLAPSE: median ratio of %d runs %.2f (target <= 1.5)\n",
		       name, REPS, ratio[REPS / 2]);
	return ret;
}

/*
 * Rounds of the displaced case, as MADV_COLLAPSE's baseline is the
 * median of three runs: the first round of a VM pays for the first
 * execution of its code paths, which under TCG (translation) costs
 * milliseconds, and the baseline's median leaves its own cold run out.
 */
#define ROUNDS	3

/* Displace @n pages of each eligible window of @t's object. */
static int displace_all(struct tvm *t, unsigned int n)
{
	unsigned int w, i;

	for (w = 1; w <= OBJ_ELIGIBLE; w++)
		for (i = 0; i < n; i++) {
			struct thp_encvm_displace d = {
				.offset = (w * 512ULL + (i * 509 + 3) % 512) * 4096,
				.event = THP_ENCVM_DISPLACE_CONVERT, .node = -1,
			};

			if (ioctl(t->obj, THP_ENCVM_IOC_DISPLACE, &d))
				return -1;
		}
	return 0;
}

/*
 * After a displacement, let the guest run as one that lives on between
 * the fragmentation and the collapse would: a wakeup for each window,
 * each of which rewrites that window's hot page (the agent's background
 * work). A displacement unmaps its window's 2 MiB entry, so the guest's
 * first touch of the window afterwards is a KVM page fault; without
 * this it came after t0, because the guest slept through the
 * displacement, and was timed as part of the collapse. MADV_COLLAPSE's
 * fragmented memory has all its mappings in place when it is timed.
 */
static int settle(struct tvm *t)
{
	unsigned int h0 = __atomic_load_n(&t->ctl->hot_writes, __ATOMIC_ACQUIRE), h;
	unsigned int kicks = 0;
	double end;

	while ((h = __atomic_load_n(&t->ctl->hot_writes, __ATOMIC_ACQUIRE)) - h0 <
	       OBJ_ELIGIBLE) {
		/* A guest that polls the ring takes the kick there, and no hot write. */
		if (++kicks > 100 * OBJ_ELIGIBLE || eventfd_write(t->efd, 1))
			return -1;
		end = now_s() + 0.05;
		while (__atomic_load_n(&t->ctl->hot_writes, __ATOMIC_ACQUIRE) == h &&
		       now_s() < end)
			usleep(200);
	}
	return 0;
}

/* Arm poll(2) on full_scans (@fd): read it from the start. */
static void full_scans_arm(int fd)
{
	char buf[32];

	if (lseek(fd, 0, SEEK_SET) || read(fd, buf, sizeof(buf)) < 0)
		perror("thp_encvm_bench: full_scans");
}

/*
 * One VM whose object is in blocks, attached with @flags (host-mapping
 * write protection, the default, or KVM write tracking): ROUNDS times,
 * @n pages of each eligible window displaced, then the time to collapse
 * them all, in ms per window, against @base; after each round the VMM
 * replaces its mapping (THP_ENCVM_IOC_REMAP), so that every round starts
 * as the first, from windows the guest reaches through 2 MiB entries.
 * The bench waits in poll(2) on full_scans, which the daemon's scan
 * wakes, rather than polling the counter: under TCG each look costs
 * about 0.1 ms of the VM's CPU time, which it takes from the daemon and
 * the guest (7-12% of a round in a traced run), and a look every
 * millisecond also added half a millisecond on average to a round.
 * Returns the median round's ratio, or -1.
 */
static double run_displaced(unsigned int n, double base, unsigned int flags,
			    unsigned int poll_tsc)
{
	const char *mode = flags ? (poll_tsc ? "KVM write tracking, guest polls" :
				    "KVM write tracking") :
			   (poll_tsc ? "host-mapping write protection, guest polls" :
			    "host-mapping write protection");
	/*
	 * The guest rings the doorbell after its copies, unless
	 * THP_ENCVM_BENCH_LOOK_US is set: then the daemon finds them by
	 * looking at the ring every so many microseconds (debugfs look_us),
	 * the other way measured for the admin guide.
	 */
	const char *look_us = getenv("THP_ENCVM_BENCH_LOOK_US");
	unsigned int bell = look_us ? 0 : THP_ENCVM_ATTACH_DOORBELL;
	long bell0 = read_knob("completions_doorbell"), look0 = read_knob("completions_looked");
	long exits = 0, pf = 0, e0, p0;
	struct pollfd pfd = { .events = POLLPRI };
	struct thp_encvm_info info;
	double t0, t1, per[ROUNDS], med;
	unsigned int r, want = 0, polled = 0, requests = 0;
	int vstats = -1;
	struct tvm t;

	write_knob("enabled", "0");
	write_knob("pages_to_scan", "4096");
	write_knob("scan_sleep_millisecs", "10");
	write_knob("copy_timeout_ms", "120000");
	pfd.fd = open(SYSFS "full_scans", O_RDONLY);
	if (look_us) {
		FILE *f = fopen("/sys/kernel/debug/thp_encvm/look_us", "w");

		if (!f || fprintf(f, "%s\n", look_us) < 0 || fclose(f)) {
			fprintf(stderr, "thp_encvm_bench: cannot set look_us\n");
			return -1;
		}
	}
	if (!tvm_create_notify(&t, MODE_SERVE, true, NOTIFY_IRQ, -1, flags | TVM_BLOCKS | bell))
		vstats = ioctl(t.vcpu, KVM_GET_STATS_FD, NULL);
	if (pfd.fd < 0 || vstats < 0 || info_of(t.obj).huge != OBJ_ELIGIBLE || tvm_start(&t) ||
	    tvm_wait(&t, 1, VM_WAIT_S) != 1) {
		fprintf(stderr, "thp_encvm_bench: VM setup failed (displaced) %s\n", t.why);
		if (pfd.fd >= 0)
			close(pfd.fd);
		if (vstats >= 0)
			close(vstats);
		tvm_destroy(&t);
		return -1;
	}
	t.ctl->no_poison_check = 1;
	t.ctl->poll_tsc = poll_tsc;
	for (r = 0; r < ROUNDS; r++) {
		if (displace_all(&t, n) || settle(&t))
			break;
		want += OBJ_ELIGIBLE;
		polled -= t.ctl->polled;
		requests -= t.ctl->requests;
		e0 = stats_read(vstats, "exits");
		p0 = stats_read(vstats, "pf_taken");
		full_scans_arm(pfd.fd);
		t0 = now_s();
		write_knob("enabled", "1");
		do {
			poll(&pfd, 1, 1000);
			t1 = now_s();
			full_scans_arm(pfd.fd);
		} while ((info = info_of(t.obj)).collapses < want && t1 < t0 + VM_WAIT_S);
		per[r] = (t1 - t0) * 1000 / OBJ_ELIGIBLE;
		exits += stats_read(vstats, "exits") - e0;
		pf += stats_read(vstats, "pf_taken") - p0;
		polled += t.ctl->polled;
		requests += t.ctl->requests;
		write_knob("enabled", "0");
		if (info.collapses < want || ioctl(t.obj, THP_ENCVM_IOC_REMAP) != 1)
			break;
	}
	close(vstats);
	close(pfd.fd);
	if (tvm_finish(&t) != 2 || t.ctl->bad_bytes || r < ROUNDS) {
		fprintf(stderr, "thp_encvm_bench: displaced %u: failed in round %u %s\n",
			n, r + 1, t.why);
		tvm_destroy(&t);
		return -1;
	}
	printf("thp_encvm_bench: %s, %u displaced pages a window, copied back in place: rounds %.1f %.1f %.1f ms/window\n",
	       mode, n, per[0], per[1], per[2]);
	qsort(per, ROUNDS, sizeof(per[0]), cmp_double);
	med = per[ROUNDS / 2];
	printf("thp_encvm_bench: %s, %u displaced pages a window, copied back in place: %.1f ms/window (median of %d rounds), ratio to MADV_COLLAPSE %.2f%s\n",
	       mode, n, med, ROUNDS, base > 0 ? med / base : 0,
	       n == 1 ? " (target <= 0.2)" : "");
	/*
	 * Each exit of the nested guest costs a good fraction of a ms
	 * under TCG: the guest's faults on the displaced pages and on the
	 * staging window, which MADV_COLLAPSE does not take, are what the
	 * 512-page case spends its time on.
	 */
	printf("thp_encvm_bench: %s, %u displaced pages a window: guest exits %.1f/window, of which KVM page faults %.1f; %u of %u requests found by polling\n",
	       mode, n, (double)exits / (ROUNDS * OBJ_ELIGIBLE),
	       (double)pf / (ROUNDS * OBJ_ELIGIBLE), polled, requests);
	printf("thp_encvm_bench: %s, %u displaced pages a window: %s; completions seen through it %ld, by looking %ld\n",
	       mode, n, bell ? "the guest rings the doorbell" : "no doorbell, look_us",
	       read_knob("completions_doorbell") - bell0, read_knob("completions_looked") - look0);
	if (look_us)
		printf("thp_encvm_bench: look_us %s\n", look_us);
	tvm_destroy(&t);
	return base > 0 ? med / base : -1;
}

/*
 * 1, 16 and 512 displaced pages a window, with each write-tracking
 * mode, the guest sleeping in HLT between requests; then with the
 * default mode, the guest polling the ring for up to POLL_MS after each
 * request before it sleeps (a bounded busy poll, which MADV_COLLAPSE,
 * the baseline, does not need).
 */
#define POLL_MS	2

static int displaced(double hz, unsigned int only_n, int only_f)
{
	static const unsigned int n[] = { 1, 16, 512 };
	/* THP_ENCVM_BENCH_POLL_US: another poll, to see what it costs. */
	const char *env = getenv("THP_ENCVM_BENCH_POLL_US");
	double poll_us = env ? atof(env) : POLL_MS * 1000.0;
	unsigned int f, poll;
	int i, ret = 0;

	for (f = 0; f < 3; f++)
		for (i = 0; i < 3; i++) {
			if ((only_n && n[i] != only_n) || (only_f >= 0 && f != (unsigned int)only_f))
				continue;
			poll = f == 2 ? (unsigned int)(hz * poll_us / 1e6) : 0;
			ret |= run_displaced(n[i], madv_collapse_median(),
					     f == 1 ? THP_ENCVM_ATTACH_KVM_WRITE_TRACK : 0,
					     poll) < 0;
		}
	return ret;
}

/*
 * Every mode, or the one named by the argument: "host", "kvm",
 * "displaced"; "displaced" may be followed by a number of displaced
 * pages (1, 16 or 512) and a mode ("host", "kvm" or "poll"), to run
 * that case only (for profiling).
 */
int main(int argc, char **argv)
{
	const char *only = argc > 1 ? argv[1] : "";
	unsigned int only_n = argc > 2 ? atoi(argv[2]) : 0;
	const char *fm = argc > 3 ? argv[3] : "";
	int only_f = !strcmp(fm, "host") ? 0 : !strcmp(fm, "kvm") ? 1 :
		     !strcmp(fm, "poll") ? 2 : -1;
	double hz;
	int ret = 0;

	if ((*only && strcmp(only, "host") && strcmp(only, "kvm") && strcmp(only, "displaced")) ||
	    (argc > 2 && strcmp(only, "displaced")) ||
	    (argc > 2 && only_n != 1 && only_n != 16 && only_n != 512) ||
	    (argc > 3 && only_f < 0) || argc > 4) {
		fprintf(stderr, "usage: %s [host|kvm|displaced [1|16|512 [host|kvm|poll]]]\n",
			argv[0]);
		return 2;
	}
	hz = tsc_hz();
	if (!*only || !strcmp(only, "host"))
		ret |= mode("host-mapping write protection", 0, hz);
	if (!*only || !strcmp(only, "kvm"))
		ret |= mode("KVM write tracking", THP_ENCVM_ATTACH_KVM_WRITE_TRACK, hz);
	if (!*only || !strcmp(only, "displaced"))
		ret |= displaced(hz, only_n, only_f);
	return ret;
}
