// SPDX-License-Identifier: GPL-2.0
/*
 * make bench for nested_notify, in the stock VM (TCG): L2 rings N
 * doorbells on a port; L1's consumer checks every record. Three ways of
 * getting a doorbell into L1's ring, each run three times, medians:
 *   nested_notify: L0's module writes the record (task work before L2
 *                  re-enters), zero L1 exits;
 *   B1: L1's hypervisor intercepts the port and writes the record;
 *   B2: a VMM relay thread reads the doorbell eventfd, writes the
 *       record into guest memory and signals the irqfd.
 * Reported: L2's stall per doorbell (L2's TSC around its doorbell
 * loop), time from doorbell to L1's consumer seeing the record (TSC)
 * with one doorbell in flight (a paced run of N_PACED doorbells: L2
 * rings once the consumer saw the last one, and times the round trip
 * on its own clock) and within the burst, where it is mostly the wait
 * in the ring; the burst figure compares L2's TSC on vCPU 0 with the
 * consumer's on vCPU 1, which a host with an unstable TSC lets drift
 * apart: samples that are not positive are counted, and then the
 * figure is reported as not measured,
 * burst throughput, and exits per doorbell at each level; targets are
 * checked as ratios in the same run.
 */
#include <poll.h>

#include "memvirt_ksft.h"
#include "nn_vmm.h"

#define N	4000
#define N_PACED	50
#define RUNS	3

/*
 * latency: one doorbell in flight (paced run); burst_latency: in the
 * burst; bad of samples: burst deltas across vCPUs that were not positive.
 */
struct result {
	double stall, latency, burst_latency, rate, l1_exits, l0_exits, vmm_exits;
	unsigned long long bad, samples;
};

/* B2: the relay writes records as the module does, from user space. */
struct relay {
	struct vmm *v;
	int stop;
	uint64_t seq, pending, wakeups;
};

static void *relay_thread(void *arg)
{
	struct relay *r = arg;
	struct vmm *v = r->v;
	struct nested_notify_ring *h = (void *)(v->mem + AG_RING_GPA);
	struct nested_notify_record *recs = (void *)(h + 1);
	uint32_t slots = v->ctl->slots;

	r->seq = 1;
	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		uint64_t n = 0, one = 1;
		struct nested_notify_record *rec;
		uint32_t prod;

		struct pollfd pfd = { .fd = v->db, .events = POLLIN };

		/* Sleep until the doorbell, as a relay thread would. */
		if (poll(&pfd, 1, 100) != 1 || read(v->db, &n, sizeof(n)) != sizeof(n))
			continue;
		r->wakeups++;
		r->pending += n;
		prod = __atomic_load_n(&h->prod, __ATOMIC_RELAXED);
		if (prod - __atomic_load_n(&h->cons, __ATOMIC_ACQUIRE) >= slots) {
			__atomic_or_fetch(&h->flags, NESTED_NOTIFY_RING_OVERFLOW, __ATOMIC_RELEASE);
			continue;
		}
		rec = &recs[prod & (slots - 1)];
		rec->count = r->pending;
		rec->entry = AG_ENTRY;
		rec->time_ns = 0;
		rec->check = nested_notify_record_check(r->seq, r->pending, AG_ENTRY, 0);
		__atomic_store_n(&rec->seq, r->seq, __ATOMIC_RELEASE);
		__atomic_store_n(&h->prod, prod + 1, __ATOMIC_RELEASE);
		r->seq += r->pending;
		r->pending = 0;
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (__atomic_load_n(&h->armed, __ATOMIC_ACQUIRE)) {
			__atomic_store_n(&h->armed, 0, __ATOMIC_RELEASE);
			if (write(v->irq, &one, sizeof(one)) != sizeof(one))
				perror("irqfd");
		}
	}
	return NULL;
}

/*
 * One run: a burst of N doorbells, or N_PACED doorbells with one in
 * flight at a time (@paced: L2 waits until L1's consumer saw each).
 */
static int one_run(const char *name, bool paced, struct result *res)
{
	bool nn = !strcmp(name, "nested_notify"), b1 = !strcmp(name, "B1");
	unsigned int n = paced ? N_PACED : N;
	struct ag_ctl c = { .mode = MODE_PORT, .n = n, .slots = 1024, .l1_intercept = b1,
			    .paced = paced };
	struct relay r = { 0 };
	pthread_t rt;
	long x0;
	struct vmm v;
	int sfd, ret;

	ret = vmm_create(&v, nn ? VMM_MODULE : 0, &c);
	if (ret) {
		fprintf(stderr, "nested_notify_bench: %s: setup failed (%d)\n", name, ret);
		vmm_destroy(&v);
		return -1;
	}
	sfd = ioctl(v.vcpu[0], KVM_GET_STATS_FD, NULL);
	x0 = mv_kvm_stat(sfd, "exits");
	r.v = &v;
	if (!nn && !b1)
		pthread_create(&rt, NULL, relay_thread, &r);
	ret = vmm_start(&v) || vmm_wait(&v, 0, VM_WAIT_S) != 1 || vmm_wait(&v, 1, VM_WAIT_S) != 1;
	if (!nn && !b1) {
		__atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
		pthread_join(rt, NULL);
	}
	if (ret || v.ctl->bad_seq || v.ctl->bad_check || v.ctl->l2_rung != n) {
		fprintf(stderr, "nested_notify_bench: %s: run failed: %s %s bad %llu\n", name,
			v.why[0], v.why[1], v.ctl->bad_seq + v.ctl->bad_check);
		close(sfd);
		vmm_destroy(&v);
		return -1;
	}
	res->stall = (double)v.ctl->l2_tsc / n;
	if (paced)
		res->latency = v.ctl->rt_n ? (double)v.ctl->rt_tsc / v.ctl->rt_n : 0;
	else
		res->latency = v.ctl->lat_n ? (double)v.ctl->lat_tsc / v.ctl->lat_n : 0;
	res->bad = v.ctl->lat_bad;
	res->samples = v.ctl->lat_bad + v.ctl->lat_n;
	res->rate = 1e6 * n / (double)v.ctl->l2_tsc;	/* doorbells per million TSC */
	res->l1_exits = (double)v.ctl->l1_exits_other / n;
	/* L0 exits while L2 ran, per doorbell (L1's own exits included). */
	res->l0_exits = (double)(mv_kvm_stat(sfd, "exits") - x0) / n;
	/* Exits to the VMM: ioeventfd doorbells never leave the kernel. */
	res->vmm_exits = nn || b1 ? 0 : (double)r.wakeups / n;
	close(sfd);
	vmm_destroy(&v);
	return 0;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v)
{
	qsort(v, RUNS, sizeof(*v), cmp);
	return v[RUNS / 2];
}

static int measure(const char *name, struct result *med)
{
	double s[RUNS], l[RUNS], bl[RUNS], r[RUNS], x1[RUNS], x0[RUNS], xv[RUNS];
	struct result res, paced;
	int i;

	med->bad = 0;
	med->samples = 0;
	for (i = 0; i < RUNS; i++) {
		if (one_run(name, false, &res) || one_run(name, true, &paced))
			return -1;
		s[i] = res.stall;
		l[i] = paced.latency;
		bl[i] = res.latency;
		r[i] = res.rate;
		x1[i] = res.l1_exits;
		x0[i] = res.l0_exits;
		xv[i] = res.vmm_exits;
		med->bad += res.bad;
		med->samples += res.samples;
	}
	med->stall = median(s);
	med->latency = median(l);
	med->burst_latency = median(bl);
	med->rate = median(r);
	med->l1_exits = median(x1);
	med->l0_exits = median(x0);
	med->vmm_exits = median(xv);
	printf("nested_notify_bench: %s, %d doorbells, medians of %d: L2 stall %.0f TSC/doorbell, doorbell to L1 consumer %.0f TSC (one in flight, %d doorbells, round trip on L2's clock; %.0f in the burst, across vCPUs), burst %.1f doorbells/Mcycle; exits per doorbell: L1 %.2f, L0 %.2f, VMM %.2f\n",
	       name, N, RUNS, med->stall, med->latency, N_PACED, med->burst_latency, med->rate,
	       med->l1_exits, med->l0_exits, med->vmm_exits);
	if (med->bad)
		printf("nested_notify_bench: %s: %llu of %llu burst latency samples not positive: the vCPUs' TSCs disagree (host TSC unstable?), burst latency not measured\n",
		       name, med->bad, med->samples);
	return 0;
}

int main(void)
{
	struct result nn, b1, b2;

	if (access(NN_DEV, R_OK | W_OK)) {
		fprintf(stderr, "nested_notify_bench: nested_notify is not loaded\n");
		return 1;
	}
	if (measure("B1", &b1) || measure("B2", &b2) || measure("nested_notify", &nn))
		return 1;
	printf("nested_notify_bench: end-to-end latency against B2, one doorbell in flight: ratio %.2f (target <= 0.5)\n",
	       nn.latency / b2.latency);
	if (nn.bad || b2.bad)
		printf("nested_notify_bench: end-to-end latency against B2 in the burst: not measured (%llu of %llu samples not positive)\n",
		       nn.bad + b2.bad, nn.samples + b2.samples);
	else
		printf("nested_notify_bench: end-to-end latency against B2 in the burst: ratio %.2f\n",
		       nn.burst_latency / b2.burst_latency);
	printf("nested_notify_bench: L2 stall against B1: ratio %.2f (target <= 0.5)\n",
	       nn.stall / b1.stall);
	printf("nested_notify_bench: L1 exits per doorbell: %.2f (target 0; B1 %.2f)\n",
	       nn.l1_exits, b1.l1_exits);
	return 0;
}
