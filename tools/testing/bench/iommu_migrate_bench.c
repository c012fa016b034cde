// SPDX-License-Identifier: GPL-2.0
/*
 * make bench, iommu_migrate (run in the VM), each figure as a ratio to
 * a baseline measured in this run:
 *  1. migration throughput of a 16 MiB buffer between node 0 and node
 *     1 while four DMA engines write to it, against move_pages() of
 *     16 MiB of unpinned anonymous memory, timed right after each
 *     case so that both see the same host load (target >= 0.5x); also with
 *     IOMMU_MIGRATE_MIGRATE_KEEP_COPY, where a page that no device
 *     wrote since its last hop switches back onto its old frame without
 *     a copy (the engines write everywhere, at their rate);
 *  2. DMA stall per migrated page, p50 and p99, against the time of
 *     one 4 KiB copy measured here (target p99 <= 3x): the module's
 *     copy_highpage() of cold page pairs, node to node, as the PME
 *     copies (debugfs iommu_migrate/copy_ns); the userspace memcpy()
 *     of one hot 4 KiB buffer in a loop, the baseline before, is shown
 *     beside it (it flatters the copy: same two pages, cached, in
 *     QEMU's soft TLB). Since the PME copies a page before its window
 *     and again inside only if a device wrote it meanwhile, the window
 *     holds no copy in the common case. Exact ns from
 *     two tracepoints: iommu_migrate_blocked, each moved page's window
 *     (PTE migrating, from the mark to the release), and
 *     iommu_migrate_dma_wait, what a device access that met a
 *     migrating page waited until the release (the headline: what a
 *     device experiences). A second pass of each run records
 *     iommu_migrate_window, which splits the window into its steps
 *     (mark, drain, copy, switch, release) but adds four clock reads
 *     to it; the engines' own log2 stall histograms (which add their
 *     kthread's wake-up) are reported too;
 *  3. what plain Linux does with DMA-pinned pages: move_pages() of
 *     anonymous memory pinned with FOLL_LONGTERM (io_uring registered
 *     buffers pin that way), fraction moved, beside ours.
 *
 * A device meets a migrating page only if its engine runs while the
 * PME's window (about 3 us) is open on another CPU. Under QEMU's
 * single-threaded TCG (what make bench boots without KVM) only one vCPU
 * runs at a time: QEMU switches vCPUs only when one halts or an
 * interrupt or its 100 ms kick timer makes it leave its loop
 * (accel/tcg/tcg-accel-ops-rr.c), and the PME does not sleep in its
 * window, so an engine on the other vCPU almost never runs inside it,
 * nor can an engine on the PME's vCPU (it is SCHED_IDLE and the window
 * is not preempted). The bench measures how much of the time the two
 * vCPUs run at the same time (vcpu_overlap()) and prints it with the
 * headline: with no overlap, "no events" is the emulator, not the
 * protocol, and the window is the bound that stands. The hot-page run
 * pins the PME to CPU 0 and its engines, unthrottled, to CPU 1, so
 * that with overlapping vCPUs (multi-threaded TCG, KVM) their device
 * accesses do meet the windows.
 *
 * Before the runs the bench prints the clocksource (clock_print())
 * and measures how often each vCPU stops for 4 us or more
 * (gap_probe()); each case then prints the share of its windows that
 * such a gap lengthened next to a model's estimate from the probe.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <linux/mempolicy.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <linux/iommu_migrate.h>

#include "memvirt_ksft.h"

#define BYTES	(16ULL << 20)
#define PAGES	(BYTES / 4096)
#define ENGINES	4
#define ROUNDS	4
/* Paced engines, unthrottled, no DMA, paced with kept copies. */
#define RUNS	4
/*
 * Emulated engines are kthreads: unlike real DMA they take CPU time,
 * on the two vCPUs the PME runs on. They run as SCHED_IDLE, so they
 * take what the PME leaves. The main figures run them at a fixed rate
 * (64 bytes per operation); the unthrottled run is also reported.
 */
#define RATE	20000
#define RATE_S	"20000"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * How much of the time the two vCPUs run at the same time: a thread on
 * each CPU bumps its own counter and samples the other's; a sample
 * that finds the other's counter moved since its last sample saw both
 * vCPUs run in between. Returns that fraction of samples (about 1
 * where the vCPUs run in parallel, near 0 under single-threaded TCG,
 * where the other's counter moves only across QEMU's vCPU switches),
 * or -1 if the threads could not be pinned.
 */
struct overlap_arg {
	int cpu;
	unsigned long *mine, *other;	/* relaxed atomics */
	int *stop;
	unsigned long samples, moved;
	int ok;
};

/* Pin the calling thread to @cpu: 1, or 0 if it could not be. */
static int pin_self(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return !sched_setaffinity(0, sizeof(set), &set);
}

static void *overlap_fn(void *p)
{
	struct overlap_arg *a = p;
	unsigned long last;

	a->ok = pin_self(a->cpu);
	last = __atomic_load_n(a->other, __ATOMIC_RELAXED);
	while (!__atomic_load_n(a->stop, __ATOMIC_RELAXED)) {
		unsigned long v, m = *a->mine;
		int i;

		for (i = 0; i < 64; i++)
			__atomic_store_n(a->mine, ++m, __ATOMIC_RELAXED);
		v = __atomic_load_n(a->other, __ATOMIC_RELAXED);
		a->samples++;
		a->moved += v != last;
		last = v;
	}
	return NULL;
}

static double vcpu_overlap(void)
{
	static unsigned long cnt[2][16];
	static int stop;
	struct overlap_arg a[2];
	pthread_t t[2];
	int i;

	stop = 0;
	for (i = 0; i < 2; i++) {
		a[i] = (struct overlap_arg){ .cpu = i, .mine = cnt[i],
					     .other = cnt[!i], .stop = &stop };
		if (pthread_create(&t[i], NULL, overlap_fn, &a[i]))
			return -1;
	}
	usleep(300000);
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	if (!a[0].ok || !a[1].ok || !a[0].samples || !a[1].samples)
		return -1;
	return ((double)a[0].moved / a[0].samples +
		(double)a[1].moved / a[1].samples) / 2;
}

/*
 * How often a vCPU stops for a while, seen from inside: a thread pinned
 * to each CPU reads the clock in a loop for GAP_SECS and counts the
 * gaps between two reads of at least GAP_NS. Nothing in the guest
 * sleeps there, so a gap is an interrupt, QEMU running the other vCPU
 * (single-threaded TCG), QEMU's own work, or the host taking the QEMU
 * thread off its CPU. The PME does not sleep inside a window either,
 * so a model: a window of w ns starts such a gap with a probability of
 * about rate * w, and is then longer by the gap; where that share
 * passes 1% the gaps make the p99. It is a model (the probe runs
 * before the cases, and the gaps need not be independent of them):
 * the bench prints it beside the share it measured.
 */
#define GAP_NS		4000
#define GAP_SECS	0.5
static double gap_rate[2], gap_mean_ns[2];

struct gap_arg {
	int cpu, ok;
	unsigned long gaps;
	double gap_ns, secs;
};

static void *gap_fn(void *p)
{
	struct gap_arg *a = p;
	struct timespec ts;
	double t0, last, t;

	a->ok = pin_self(a->cpu);
	t0 = last = now();
	do {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		t = ts.tv_sec + ts.tv_nsec / 1e9;
		if (t - last >= GAP_NS / 1e9) {
			a->gaps++;
			a->gap_ns += (t - last) * 1e9;
		}
		last = t;
	} while (t - t0 < GAP_SECS);
	a->secs = t - t0;
	return NULL;
}

/* One CPU at a time, so that the probe does not take the other vCPU. */
static void gap_probe(void)
{
	int i;

	for (i = 0; i < 2; i++) {
		struct gap_arg a = { .cpu = i };
		pthread_t t;

		gap_rate[i] = -1;
		if (pthread_create(&t, NULL, gap_fn, &a))
			continue;
		pthread_join(t, NULL);
		if (!a.ok || a.secs <= 0)
			continue;
		gap_rate[i] = a.gaps / a.secs;
		gap_mean_ns[i] = a.gaps ? a.gap_ns / a.gaps : 0;
	}
	if (gap_rate[0] < 0 || gap_rate[1] < 0) {
		printf("iommu_migrate_bench: vCPU gap probe: threads could not be pinned to CPUs 0 and 1\n");
		return;
	}
	printf("iommu_migrate_bench: vCPU gap probe (a thread per CPU reading the clock for %.1f s): gaps of at least %d us %.0f/s on CPU 0 (mean %.1f us), %.0f/s on CPU 1 (mean %.1f us): interrupts, QEMU's own work, the other vCPU under single-threaded TCG, or the host descheduling QEMU\n",
	       GAP_SECS, GAP_NS / 1000, gap_rate[0], gap_mean_ns[0] / 1000,
	       gap_rate[1], gap_mean_ns[1] / 1000);
}

/*
 * The windows are timed with the kernel's clock, which the PME also
 * reads once inside each (pme_release()'s stamp). QEMU's -cpu max has
 * no constant-TSC flag and is not Intel, so under TCG the kernel
 * distrusts its TSC by rule and keeps the HPET, each of whose reads is
 * an emulated MMIO access (about 0.15 us more than the TSC's in the
 * window, more for the clocks of the steps pass). On a real host the
 * clocksource is the TSC (kvm-clock in a KVM guest). Under TCG every
 * vCPU reads the host's TSC, so make bench boots this bench's VMs with
 * tsc=reliable; the bench says which clocksource it ran on.
 */
#define CLOCKSOURCE	"/sys/devices/system/clocksource/clocksource0/"

static void clock_print(void)
{
	char cur[64] = "";
	FILE *f;

	f = fopen(CLOCKSOURCE "current_clocksource", "r");
	if (f) {
		if (fscanf(f, "%63s", cur) != 1)
			cur[0] = 0;
		fclose(f);
	}
	printf("iommu_migrate_bench: clocksource %s%s\n", cur[0] ? cur : "unknown",
	       !strcmp(cur, "hpet") || !strcmp(cur, "acpi_pm") ?
	       " (emulated by QEMU: each window holds one read; under TCG boot with tsc=reliable)" : "");
}

/* Pin the kthread called @comm to @cpu (-1: every CPU); 0 or -1. */
static int pin_kthread(const char *comm, int cpu)
{
	int pid = mv_kthread_pid(comm), i;
	cpu_set_t set;

	CPU_ZERO(&set);
	for (i = 0; i < 2; i++)
		if (cpu < 0 || cpu == i)
			CPU_SET(i, &set);
	return pid < 0 ? -1 : sched_setaffinity(pid, sizeof(set), &set);
}

/* move_pages() of @n pages at @p to @node; pages that moved. */
static long move_all(char *p, unsigned long n, int node)
{
	void **pages = calloc(n, sizeof(*pages));
	int *nodes = calloc(n, sizeof(int)), *status = calloc(n, sizeof(int));
	unsigned long i, moved = 0;

	for (i = 0; i < n; i++) {
		pages[i] = p + i * 4096;
		nodes[i] = node;
	}
	syscall(SYS_move_pages, 0, n, pages, nodes, status, 0);
	for (i = 0; i < n; i++)
		moved += status[i] == node;
	free(pages);
	free(nodes);
	free(status);
	return moved;
}

/* Seconds per page of move_pages() of unpinned anonymous memory. */
static double anon_baseline(void)
{
	char *p = mmap(NULL, BYTES, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned long moved = 0;
	double t;
	int r;

	memset(p, 1, BYTES);
	move_all(p, PAGES, 0);
	t = now();
	for (r = 0; r < ROUNDS; r++)
		moved += move_all(p, PAGES, !(r & 1));
	t = now() - t;
	munmap(p, BYTES);
	return moved ? t / moved : 0;
}

/* Fraction of FOLL_LONGTERM-pinned anonymous pages move_pages() moves. */
static double pinned_fraction(void)
{
	struct io_uring_params prm = { 0 };
	char *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct iovec iov = { p, 1 << 20 };
	unsigned long n = (1 << 20) / 4096;
	unsigned long node0 = 1;
	int ring, to = 1;
	int *status = calloc(n, sizeof(int));
	void **pages = calloc(n, sizeof(*pages));
	unsigned long i;
	double frac;

	/* All on node 0 first, so that "moved" can only mean moved. */
	if (syscall(SYS_mbind, p, 1 << 20, MPOL_BIND, &node0, 8 * sizeof(node0), 0))
		return -1;
	memset(p, 1, 1 << 20);
	for (i = 0; i < n; i++)
		pages[i] = p + i * 4096;
	syscall(SYS_move_pages, 0, n, pages, NULL, status, 0);
	for (i = 0; i < n; i++)
		if (status[i] != 0) {
			fprintf(stderr, "iommu_migrate_bench: page %lu on %d, not node 0\n",
				i, status[i]);
			return -1;
		}
	ring = syscall(__NR_io_uring_setup, 4, &prm);
	if (ring < 0 ||
	    syscall(__NR_io_uring_register, ring, IORING_REGISTER_BUFFERS, &iov, 1)) {
		fprintf(stderr, "iommu_migrate_bench: io_uring pin: %s\n", strerror(errno));
		return -1;
	}
	frac = move_all(p, n, to) / (double)n;
	close(ring);
	munmap(p, 1 << 20);
	free(status);
	free(pages);
	return frac;
}

/* ns of one hot userspace 4 KiB copy, the median of many. */
static double copy_4k_ns(void)
{
	static char a[4096], b[4096];
	double t[101], x;
	int i, j, k;

	for (i = 0; i < 101; i++) {
		double t0 = now();

		for (k = 0; k < 1000; k++) {
			memcpy(a, b, sizeof(a));
			__asm__ __volatile__("" : : "r"(a) : "memory");
		}
		t[i] = (now() - t0) * 1e9 / 1000;
	}
	for (i = 0; i < 101; i++)
		for (j = i + 1; j < 101; j++)
			if (t[j] < t[i]) {
				x = t[i];
				t[i] = t[j];
				t[j] = x;
			}
	return t[50];
}

static double percentile(const unsigned long long *hist, double q)
{
	unsigned long long total = 0, seen = 0;
	int i;

	for (i = 0; i < IOMMU_MIGRATE_STALL_BUCKETS; i++)
		total += hist[i];
	for (i = 0; i < IOMMU_MIGRATE_STALL_BUCKETS; i++) {
		seen += hist[i];
		if (total && seen >= q * total)
			return (double)(2ULL << i);
	}
	return 0;
}

/* The steps of the iommu_migrate_window tracepoint, and the whole. */
#define NSTEPS	6
static const char *const step_name[NSTEPS] = {
	"mark", "drain", "copy", "switch", "release", "window",
};
#define TRACING	"/sys/kernel/tracing/"
#define EVENTS	TRACING "events/iommu_migrate/"
#define WIN_EVENT	EVENTS "iommu_migrate_window/enable"
#define BLOCKED_EVENT	EVENTS "iommu_migrate_blocked/enable"
#define WAIT_EVENT	EVENTS "iommu_migrate_dma_wait/enable"
#define MAX_WIN	(2 * ROUNDS * PAGES)
#define MAX_WAIT	(1 << 18)

static int put_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_TRUNC), ok;

	if (fd < 0)
		return -1;
	ok = write(fd, val, strlen(val)) == (ssize_t)strlen(val);
	close(fd);
	return ok ? 0 : -1;
}

/* A number read from @path, or -1. */
static long read_number(const char *path)
{
	char val[32];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, val, sizeof(val) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	val[n] = 0;
	return atol(val);
}

/* A counter of /sys/kernel/mm/iommu_migrate, or -1. */
static long read_counter(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/kernel/mm/iommu_migrate/%s", name);
	return read_number(path);
}

/* ns of one cold 4 KiB copy_highpage() in the module, or -1. */
static double kernel_copy_ns(void)
{
	if (access("/sys/kernel/debug/iommu_migrate", F_OK))
		system("mount -t debugfs none /sys/kernel/debug 2>/dev/null");
	return read_number("/sys/kernel/debug/iommu_migrate/copy_ns");
}

/*
 * Record from now on the window tracepoint with its steps (@steps), or
 * the two without step clocks; 0 or -1 if tracefs is not there.
 */
static int windows_start(int steps)
{
	if (put_file(TRACING "buffer_size_kb", "16384") ||
	    put_file(TRACING "trace", ""))
		return -1;
	if (steps)
		return put_file(WIN_EVENT, "1");
	if (put_file(BLOCKED_EVENT, "1") || put_file(WAIT_EVENT, "1"))
		return -1;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	unsigned long long x = *(const unsigned long long *)a;
	unsigned long long y = *(const unsigned long long *)b;

	return x < y ? -1 : x > y;
}

/*
 * Stop recording and read the windows: @w[step][i], sorted per step.
 * Returns how many pages were seen.
 */
static unsigned long windows_read(unsigned long long (*w)[MAX_WIN])
{
	FILE *f;
	char line[512];
	unsigned long n = 0;
	int k;

	put_file(WIN_EVENT, "0");
	f = fopen(TRACING "trace", "r");
	if (!f)
		return 0;
	while (n < MAX_WIN && fgets(line, sizeof(line), f)) {
		const char *p = strstr(line, "iommu_migrate_window:");
		unsigned long long iova;

		if (p && sscanf(p, "iommu_migrate_window: iova=%llx mark_ns=%llu drain_ns=%llu copy_ns=%llu switch_ns=%llu release_ns=%llu window_ns=%llu",
				&iova, &w[0][n], &w[1][n], &w[2][n], &w[3][n],
				&w[4][n], &w[5][n]) == 7)
			n++;
	}
	fclose(f);
	put_file(TRACING "trace", "");
	for (k = 0; k < NSTEPS; k++)
		qsort(w[k], n, sizeof(w[k][0]), cmp_u64);
	return n;
}

/*
 * Stop the step-less events and read the values of @event (a "ns="
 * field) into @v, sorted; returns how many.
 */
static unsigned long trace_ns(const char *event, unsigned long long *v,
			      unsigned long max)
{
	FILE *f;
	char line[512];
	unsigned long n = 0;

	put_file(BLOCKED_EVENT, "0");
	put_file(WAIT_EVENT, "0");
	f = fopen(TRACING "trace", "r");
	if (!f)
		return 0;
	while (n < max && fgets(line, sizeof(line), f)) {
		const char *p = strstr(line, event);
		const char *q = p ? strstr(p, " ns=") : NULL;

		if (q && sscanf(q, " ns=%llu", &v[n]) == 1)
			n++;
	}
	fclose(f);
	qsort(v, n, sizeof(v[0]), cmp_u64);
	return n;
}

/*
 * With IMM_BENCH_KEEP_TRACE=PREFIX, the trace of run @k is copied to
 * PREFIX.@k, with whatever other events the caller enabled (the tail
 * analysis enables scheduler and interrupt events beside ours).
 */
static void keep_trace(int k)
{
	const char *prefix = getenv("IMM_BENCH_KEEP_TRACE");
	char cmd[512];

	if (!prefix)
		return;
	snprintf(cmd, sizeof(cmd), "cp " TRACING "trace '%s.%d'", prefix, k);
	if (system(cmd))
		fprintf(stderr, "iommu_migrate_bench: %s failed\n", cmd);
}

/*
 * The vCPU overlap of this run: the highest of vcpu_overlap()'s probes
 * (the host's load makes it vary), -1 if they could not run.
 */
static double overlap;
/* Below this the vCPUs do not run at the same time in any useful sense. */
#define OVERLAP_NONE	0.01

/*
 * The share of @v (sorted) longer than its p50 by a gap, beside what
 * the gap probe predicts for windows of that p50 on the worse CPU.
 */
#define WINDOWS	"migrating window per moved page, mark to release (iommu_migrate_blocked)"
static void gap_print(const char *what, const char *name,
		      const unsigned long long *v, unsigned long n)
{
	unsigned long long lim = v[n / 2] + GAP_NS;
	double rate = gap_rate[0] > gap_rate[1] ? gap_rate[0] : gap_rate[1];
	unsigned long i = n;

	if (rate < 0 || !n)
		return;
	while (i && v[i - 1] >= lim)
		i--;
	printf("iommu_migrate_bench: %s: %s: %.2f%% longer than p50 + %d us; a model (the probe's gap rate times the p50) estimates %.2f%%; above 1%% such gaps would set the p99\n",
	       what, name, (n - i) * 100.0 / n, GAP_NS / 1000,
	       rate * v[n / 2] / 1e9 * 100);
}

static void exact_print(const char *what, const char *name,
			const unsigned long long *v, unsigned long n, double copy)
{
	if (!n) {
		printf("iommu_migrate_bench: %s: %s: no events\n", what, name);
		return;
	}
	printf("iommu_migrate_bench: %s: %s, %lu events, p50 %llu ns, p99 %llu ns; one 4 KiB copy %.0f ns: p50 ratio %.1f, p99 ratio %.1f (target <= 3)\n",
	       what, name, n, v[n / 2], v[n * 99 / 100], copy, v[n / 2] / copy,
	       v[n * 99 / 100] / copy);
	/* Where the tail starts. */
	printf("iommu_migrate_bench: %s: %s, tail ns: p90 %llu, p95 %llu, p98 %llu, p99 %llu, p99.5 %llu, p99.9 %llu, max %llu\n",
	       what, name, v[n * 90 / 100], v[n * 95 / 100], v[n * 98 / 100],
	       v[n * 99 / 100], v[n * 995 / 1000], v[n * 999 / 1000], v[n - 1]);
}

/*
 * The headline, what devices waited: @n events of @v, from @stalls
 * stalled accesses of the engines, while @windows pages were in their
 * window (@tracing: tracefs recorded them). Where there is no event
 * it says why, rather than a figure it does not have.
 */
static void headline_print(const char *what, const unsigned long long *v,
			   unsigned long n, unsigned long long stalls,
			   unsigned long windows, int tracing, double copy)
{
	static const char name[] = "HEADLINE: DMA wait per stalled device access, met migrating to release (iommu_migrate_dma_wait)";

	if (!tracing) {
		printf("iommu_migrate_bench: %s: %s: not measured (no tracefs at " TRACING ")\n",
		       what, name);
		return;
	}
	if (n) {
		exact_print(what, name, v, n, copy);
		printf("iommu_migrate_bench: %s: %lu of %lu windows met by a device access (%llu stalled accesses); the vCPUs ran at the same time %.2f%% of the probe%s\n",
		       what, n, windows, stalls, overlap * 100,
		       overlap >= 0 && overlap < OVERLAP_NONE ?
		       ": with vCPUs that do not run at the same time an access meets a window only when the PME's vCPU was switched out inside it (QEMU's round robin, or the host), and waits until it runs again, so these few figures measure that switch, not the protocol" : "");
		return;
	}
	printf("iommu_migrate_bench: %s: %s: no events: no device access met a migrating page (%llu engine stalls, %lu windows traced)",
	       what, name, stalls, windows);
	if (overlap >= 0 && overlap < OVERLAP_NONE)
		printf(", as the vCPUs ran at the same time %.2f%% of the probe (single-threaded TCG runs one vCPU at a time; a loaded host may too): a device cannot meet a window on another vCPU, so no device-wait figure; the window is what a device could wait\n",
		       overlap * 100);
	else
		printf("; the vCPUs ran at the same time %.1f%% of the probe\n",
		       overlap * 100);
}

static void windows_print(const char *what, unsigned long long (*w)[MAX_WIN],
			  unsigned long n, double copy)
{
	char row[512];
	int k, len = 0;

	if (!n) {
		printf("iommu_migrate_bench: %s: no iommu_migrate_window events (tracefs?)\n",
		       what);
		return;
	}
	for (k = 0; k < NSTEPS; k++)
		len += snprintf(row + len, sizeof(row) - len, "%s%s %llu/%llu",
				k ? ", " : "", step_name[k], w[k][n / 2],
				w[k][n * 99 / 100]);
	printf("iommu_migrate_bench: %s: migrating window per page, tracepoint, %lu pages, p50/p99 ns: %s; one 4 KiB copy %.0f ns: window p50 ratio %.1f, p99 ratio %.1f (target <= 3)\n",
	       what, n, row, copy, w[5][n / 2] / copy, w[5][n * 99 / 100] / copy);
}

/*
 * One run: @rate operations per second per engine (0: as fast as the
 * CPU lets them) while the buffer hops nodes ROUNDS times. Seconds per
 * migrated page; the engines' stall histograms are added to @hist.
 */
static double run(int dev, int buf, unsigned int dom, int engines,
		  unsigned int rate, unsigned int flags, unsigned long long *hist,
		  unsigned long long *blocked, unsigned long long *moved,
		  unsigned long long *stalls)
{
	struct iommu_migrate_stats s0, s1;
	int ids[ENGINES], i, r;
	double t;

	*moved = 0;
	for (i = 0; i < engines; i++) {
		struct iommu_migrate_engine e = {
			.domain = dom, .iova = i * (BYTES / ENGINES),
			.size = BYTES / ENGINES, .rate = rate,
		};

		if (ioctl(dev, IOMMU_MIGRATE_IOC_ENGINE_START, &e))
			return perror("iommu_migrate_bench: engine"), -1;
		ids[i] = e.id;
	}
	if (ioctl(dev, IOMMU_MIGRATE_IOC_STATS, &s0))
		return -1;
	t = now();
	for (r = 0; r < ROUNDS; r++) {
		struct iommu_migrate_migrate m = {
			.buf_fd = buf, .node = !(r & 1), .size = BYTES,
			.flags = flags,
		};

		if (ioctl(dev, IOMMU_MIGRATE_IOC_MIGRATE, &m))
			return perror("iommu_migrate_bench: migrate"), -1;
		*moved += m.moved;
	}
	t = now() - t;
	if (ioctl(dev, IOMMU_MIGRATE_IOC_STATS, &s1))
		return -1;
	for (i = 0; i < IOMMU_MIGRATE_STALL_BUCKETS; i++)
		blocked[i] += s1.blocked_hist[i] - s0.blocked_hist[i];
	for (i = 0; i < engines; i++) {
		struct iommu_migrate_engine_stats st = { .id = ids[i] };
		int k;

		if (ioctl(dev, IOMMU_MIGRATE_IOC_ENGINE_STOP, &st))
			return perror("iommu_migrate_bench: stop"), -1;
		for (k = 0; k < IOMMU_MIGRATE_STALL_BUCKETS; k++)
			hist[k] += st.stall_hist[k];
		*stalls += st.stalls;
	}
	return *moved ? t / *moved : -1;
}

/*
 * Devices that do meet migrating pages: each engine writes one page of
 * the first HOT_PAGES, unthrottled, while those pages hop nodes
 * HOT_HOPS times. The PME runs on CPU 0 and the engines on CPU 1, so
 * that an engine runs while a window is open whenever the vCPUs run at
 * the same time (not under single-threaded TCG: see the top). A device
 * that meets a window polls for the release, as a device retrying in
 * hardware does, for up to @hp->us (dma_retry_poll_us, set for the run
 * and put back after), then sleeps: its wait is then the protocol's,
 * not the engine kthread's wake-up. Records the two step-less
 * tracepoints into @blk and @wait, the wait rounds that ended polling
 * and that slept into @hp; @pinned says whether the pinning worked.
 */
#define HOT_PAGES	4
#define HOT_HOPS	500
#define POLL_KNOB	"/sys/kernel/mm/iommu_migrate/dma_retry_poll_us"
/*
 * The hot-page run's poll, in us: the knob's largest value. A device
 * retrying in hardware retries as long as the page migrates; the
 * bound only ends the poll of a window the host stretched (the QEMU
 * thread descheduled), which a sleep then waits out.
 */
#define HOT_POLL_US	1000

struct hot_polls {
	long us, polls, sleeps, was;
};

static int hot_run(int dev, int buf, unsigned int dom,
		   unsigned long long *blk, unsigned long *nblk,
		   unsigned long long *wait, unsigned long *nwait,
		   unsigned long long *stalls, int *pinned, struct hot_polls *hp)
{
	struct iommu_migrate_engine_stats st;
	long old = read_number(POLL_KNOB), p0, s0;
	int ids[HOT_PAGES], i, r, ret = -1;
	char comm[32], us[24];

	hp->was = old;
	*stalls = 0;
	snprintf(us, sizeof(us), "%ld", hp->us);
	if (old < 0 || put_file(POLL_KNOB, us)) {
		fprintf(stderr, "iommu_migrate_bench: cannot set dma_retry_poll_us to %s\n",
			us);
		return -1;
	}
	p0 = read_counter("dma_stall_polls");
	s0 = read_counter("dma_stall_sleeps");
	if (windows_start(0))
		goto out;
	*pinned = !pin_kthread("imm_pme", 0);
	for (i = 0; i < HOT_PAGES; i++) {
		struct iommu_migrate_engine e = {
			.domain = dom, .iova = i * 4096ULL, .size = 4096,
		};

		if (ioctl(dev, IOMMU_MIGRATE_IOC_ENGINE_START, &e)) {
			perror("iommu_migrate_bench: engine");
			goto out;
		}
		ids[i] = e.id;
		snprintf(comm, sizeof(comm), "imm_dma/%u", e.id);
		*pinned &= !pin_kthread(comm, 1);
	}
	for (r = 0; r < HOT_HOPS; r++) {
		struct iommu_migrate_migrate m = {
			.buf_fd = buf, .node = !(r & 1), .size = HOT_PAGES * 4096,
		};

		if (ioctl(dev, IOMMU_MIGRATE_IOC_MIGRATE, &m)) {
			perror("iommu_migrate_bench: migrate");
			goto out;
		}
	}
	for (i = 0; i < HOT_PAGES; i++) {
		memset(&st, 0, sizeof(st));
		st.id = ids[i];
		if (ioctl(dev, IOMMU_MIGRATE_IOC_ENGINE_STOP, &st)) {
			perror("iommu_migrate_bench: stop");
			goto out;
		}
		*stalls += st.stalls;
	}
	pin_kthread("imm_pme", -1);
	*nblk = trace_ns("iommu_migrate_blocked:", blk, MAX_WIN);
	*nwait = trace_ns("iommu_migrate_dma_wait:", wait, MAX_WAIT);
	hp->polls = read_counter("dma_stall_polls") - p0;
	hp->sleeps = read_counter("dma_stall_sleeps") - s0;
	ret = 0;
out:
	snprintf(us, sizeof(us), "%ld", old);
	if (put_file(POLL_KNOB, us)) {
		fprintf(stderr, "iommu_migrate_bench: dma_retry_poll_us not set back to %s\n",
			us);
		ret = -1;
	}
	return ret;
}

/*
 * Open the device, create the domain @d and the buffer @b, and map it
 * whole into @d: 0, or -1 with the error printed.
 */
static int setup(int *dev, struct iommu_migrate_domain *d,
		 struct iommu_migrate_buf *b, int *buf)
{
	struct iommu_migrate_map m = {
		.prot = IOMMU_MIGRATE_PROT_READ | IOMMU_MIGRATE_PROT_WRITE,
	};

	*dev = open("/dev/iommu_migrate", O_RDWR);
	if (*dev < 0 || ioctl(*dev, IOMMU_MIGRATE_IOC_DOMAIN_CREATE, d))
		return perror("iommu_migrate_bench"), -1;
	*buf = ioctl(*dev, IOMMU_MIGRATE_IOC_BUF_CREATE, b);
	m.buf_fd = *buf;
	m.domain = d->id;
	if (*buf < 0 || ioctl(*dev, IOMMU_MIGRATE_IOC_MAP, &m))
		return perror("iommu_migrate_bench: buffer"), -1;
	return 0;
}

/* The probes' figures, and the highest into @overlap. */
static void overlap_print(const double *ov)
{
	int i;

	overlap = ov[0];
	for (i = 1; i < 3; i++)
		overlap = ov[i] < 0 || overlap < 0 ? -1 :
			  ov[i] > overlap ? ov[i] : overlap;
	if (overlap < 0) {
		printf("iommu_migrate_bench: vCPU overlap probe: threads could not be pinned to CPUs 0 and 1\n");
		return;
	}
	printf("iommu_migrate_bench: vCPU overlap probe (a thread per CPU for 0.3 s, before the runs, before and after the hot-page run): the two vCPUs ran at the same time %.2f%%, %.2f%%, %.2f%% of the time (single-threaded TCG: about 0; multi-threaded TCG or KVM: up to 100, less when the host is loaded)\n",
	       ov[0] * 100, ov[1] * 100, ov[2] * 100);
}

static void hot_print(const unsigned long long *hwait, unsigned long nhwait,
		      unsigned long long hstalls, const unsigned long long *hblk,
		      unsigned long nhblk, int hpinned, const struct hot_polls *hp,
		      double copy)
{
	printf("iommu_migrate_bench: hot pages: %d unthrottled engines, one page each, %s, %d hops of those pages: %llu engine stalls\n",
	       HOT_PAGES, hpinned ? "on CPU 1, the PME on CPU 0" :
	       "not pinned (the PME or an engine could not be)",
	       HOT_HOPS, hstalls);
	printf("iommu_migrate_bench: hot pages: a device that meets a window polls for the release up to %ld us (dma_retry_poll_us, set for this run; it was %ld), then sleeps: %ld wait rounds ended polling, %ld slept\n",
	       hp->us, hp->was, hp->polls, hp->sleeps);
	headline_print("hot pages", hwait, nhwait, hstalls, nhblk, 1, copy);
	exact_print("hot pages", WINDOWS, hblk, nhblk, copy);
	gap_print("hot pages", WINDOWS, hblk, nhblk);
}

/*
 * "iommu_migrate_bench hot [US...]": the hot-page run alone, with its
 * probes and its baseline, for a VM whose vCPUs run in parallel (make
 * bench boots one with multi-threaded TCG for it); once per poll bound
 * US given (dma_retry_poll_us; 0: devices sleep at once), in that order
 * in one boot, else once with HOT_POLL_US.
 */
static int hot_only(int argc, char **argv)
{
	struct iommu_migrate_domain d = { .format = IOMMU_MIGRATE_FORMAT_RADIX };
	struct iommu_migrate_buf b = { .size = HOT_PAGES * 4096, .node = 0 };
	static unsigned long long hblk[MAX_WIN], hwait[MAX_WAIT];
	unsigned long nhblk = 0, nhwait = 0;
	unsigned long long hstalls = 0;
	struct hot_polls hp = { .us = HOT_POLL_US };
	int dev, buf, hpinned = 0, k = 2;
	double ov[3], copy;

	clock_print();
	gap_probe();
	ov[0] = vcpu_overlap();
	if (setup(&dev, &d, &b, &buf))
		return 1;
	do {
		if (k < argc)
			hp.us = strtol(argv[k], NULL, 0);
		ov[1] = vcpu_overlap();
		if (hot_run(dev, buf, d.id, hblk, &nhblk, hwait, &nhwait,
			    &hstalls, &hpinned, &hp))
			return 1;
		ov[2] = vcpu_overlap();
		overlap_print(ov);
		copy = kernel_copy_ns();
		printf("iommu_migrate_bench: hot pages alone: one 4 KiB copy, the PME's copy_highpage() of cold page pairs (debugfs copy_ns, the baseline) %.0f ns\n",
		       copy);
		if (copy <= 0)
			copy = copy_4k_ns();
		hot_print(hwait, nhwait, hstalls, hblk, nhblk, hpinned, &hp,
			  copy);
		ov[0] = ov[2];
	} while (++k < argc);
	return 0;
}

int main(int argc, char **argv)
{
	struct iommu_migrate_domain d = { .format = IOMMU_MIGRATE_FORMAT_RADIX };
	struct iommu_migrate_buf b = { .size = BYTES, .node = 0 };
	unsigned long long hist[RUNS][IOMMU_MIGRATE_STALL_BUCKETS] = { { 0 } };
	unsigned long long blocked[RUNS][IOMMU_MIGRATE_STALL_BUCKETS] = { { 0 } };
	static unsigned long long win[RUNS][NSTEPS][MAX_WIN];
	static unsigned long long blk[RUNS][MAX_WIN], wait[RUNS][MAX_WAIT];
	unsigned long nwin[RUNS] = { 0 }, nblk[RUNS] = { 0 }, nwait[RUNS] = { 0 };
	unsigned long long moved[RUNS], h2[IOMMU_MIGRATE_STALL_BUCKETS];
	unsigned long long b2[IOMMU_MIGRATE_STALL_BUCKETS], m2;
	static unsigned long long hblk[MAX_WIN], hwait[MAX_WAIT];
	unsigned long nhblk = 0, nhwait = 0;
	unsigned long long stalls[RUNS] = { 0 }, hstalls = 0, s2;
	struct hot_polls hp = { .us = HOT_POLL_US };
	int hot, hpinned = 0, traced[RUNS] = { 0 };
	double ov[3];
	long skipped[RUNS], redone[RUNS];
	double ours[RUNS], anon[RUNS], copy, ucopy, pinned;
	int dev, buf, k, tracing;

	if (argc > 1 && !strcmp(argv[1], "hot"))
		return hot_only(argc, argv);
	clock_print();
	gap_probe();
	ov[0] = vcpu_overlap();
	if (setup(&dev, &d, &b, &buf))
		return 1;
	/*
	 * Paced engines, unthrottled engines, no DMA at all, then paced
	 * engines again with kept copies. Each twice: the figures, then
	 * the steps of the window (their clocks lengthen it).
	 */
	for (k = 0; k < RUNS; k++) {
		int engines = k == 2 ? 0 : ENGINES;
		unsigned int rate = k == 0 || k == 3 ? RATE : 0;
		unsigned int flags = k == 3 ? IOMMU_MIGRATE_MIGRATE_KEEP_COPY : 0;
		long s0 = read_counter("copies_skipped");
		long r0 = read_counter("precopies_redone");

		tracing = !windows_start(0);
		traced[k] = tracing;
		ours[k] = run(dev, buf, d.id, engines, rate, flags, hist[k],
			      blocked[k], &moved[k], &stalls[k]);
		if (ours[k] < 0)
			return 1;
		skipped[k] = read_counter("copies_skipped") - s0;
		redone[k] = read_counter("precopies_redone") - r0;
		/* Its baseline next to it: TCG runs drift with the host's load. */
		anon[k] = anon_baseline();
		if (tracing) {
			nblk[k] = trace_ns("iommu_migrate_blocked:", blk[k], MAX_WIN);
			nwait[k] = trace_ns("iommu_migrate_dma_wait:", wait[k], MAX_WAIT);
			keep_trace(k);
		}
		if (windows_start(1))
			continue;
		if (run(dev, buf, d.id, engines, rate, flags, h2, b2, &m2, &s2) < 0)
			return 1;
		nwin[k] = windows_read(win[k]);
	}
	ov[1] = vcpu_overlap();
	hot = hot_run(dev, buf, d.id, hblk, &nhblk, hwait, &nhwait, &hstalls,
		      &hpinned, &hp);
	ov[2] = vcpu_overlap();
	overlap_print(ov);
	ucopy = copy_4k_ns();
	copy = kernel_copy_ns();
	printf("iommu_migrate_bench: one 4 KiB copy: the PME's copy_highpage() of cold page pairs, node to node (debugfs copy_ns, the baseline of every ratio below) %.0f ns; userspace memcpy() of one hot 4 KiB buffer in a loop (the baseline before) %.0f ns\n",
	       copy, ucopy);
	if (copy <= 0)
		copy = ucopy;
	pinned = pinned_fraction();
	for (k = 0; k < RUNS; k++) {
		static const char *const whats[] = {
			"engines at " RATE_S " ops/s each",
			"engines unthrottled (SCHED_IDLE: the CPU the PME leaves)",
			"no DMA running (the protocol alone)",
			"engines at " RATE_S " ops/s each, kept copies",
		};
		const char *what = whats[k];
		double b50 = percentile(blocked[k], 0.5), b99 = percentile(blocked[k], 0.99);

		printf("iommu_migrate_bench: %s: migration under DMA %.1f us/page, move_pages() of unpinned anon %.1f us/page: throughput ratio %.2f (target >= 0.5); %ld of %llu pages switched without a copy; %ld pre-copies redone in the window (a device wrote the page)\n",
		       what, ours[k] * 1e6, anon[k] * 1e6, anon[k] / ours[k],
		       skipped[k], moved[k], redone[k]);
		printf("iommu_migrate_bench: %s: DMA stall per migrated page (PTE migrating, mark to release) p50 <= %.0f ns, p99 <= %.0f ns; one 4 KiB copy %.0f ns: p99 ratio %.1f (target <= 3)\n",
		       what, b50, b99, copy, copy ? b99 / copy : 0);
		printf("iommu_migrate_bench: %s: stall seen by the emulated engines p50 <= %.0f ns, p99 <= %.0f ns (adds the engine kthread's wake-up, across vCPUs under single-threaded TCG)\n",
		       what, percentile(hist[k], 0.5), percentile(hist[k], 0.99));
		headline_print(what, wait[k], nwait[k], stalls[k], nblk[k],
			       traced[k], copy);
		exact_print(what, WINDOWS, blk[k], nblk[k], copy);
		gap_print(what, WINDOWS, blk[k], nblk[k]);
		windows_print(what, win[k], nwin[k], copy);
	}
	if (!hot)
		hot_print(hwait, nhwait, hstalls, hblk, nhblk, hpinned, &hp,
			  copy);
	printf("iommu_migrate_bench: FOLL_LONGTERM-pinned pages moved by move_pages(): %.0f%%; device-mapped pages moved here: %.0f%%\n",
	       pinned * 100, (moved[0] + moved[1] + moved[3]) * 100.0 /
	       (3 * ROUNDS * PAGES));
	return 0;
}
