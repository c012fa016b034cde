// SPDX-License-Identifier: GPL-2.0
/*
 * nested_notify's user ABI: every ioctl with bad fds, bad sizes,
 * overflows and limits gets its errno and changes nothing; one consumer
 * per doorbell; the device is root-only and the counters read-only; a
 * doorbell rung from user space (not by a vCPU) is counted and left
 * pending; closing things in any order frees the context.
 */
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "memvirt_ksft.h"
#include "nn_vmm.h"

static const char * const counters[] = {
	"doorbells", "records", "events_delivered", "events_coalesced", "overflows",
	"translation_faults", "walk_cache_hits", "deferred_deliveries", "interrupts",
	"unowned_doorbells", "loaded_deliveries", "dropped_doorbells", "stranded_deliveries",
	"merged_doorbells", "contexts",
};

FIXTURE(abi) {
	int kvm, vm, dev, ctx;
};

FIXTURE_SETUP(abi)
{
	struct nested_notify_create c = { 0 };

	if (access("/dev/kvm", R_OK | W_OK) || access(NN_DEV, R_OK | W_OK))
		SKIP(return, "no /dev/kvm or nested_notify not loaded");
	self->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->kvm);
	self->vm = ioctl(self->kvm, KVM_CREATE_VM, 0);
	ASSERT_LE(0, self->vm);
	self->dev = open(NN_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->dev);
	c.vm_fd = self->vm;
	self->ctx = ioctl(self->dev, NESTED_NOTIFY_IOC_CREATE, &c);
	ASSERT_LE(0, self->ctx);
}

FIXTURE_TEARDOWN(abi)
{
	close(self->ctx);
	close(self->dev);
	close(self->vm);
	close(self->kvm);
}

static int ioc(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

TEST_F(abi, create_rejects_bad_vm_fds)
{
	struct nested_notify_create c = { .vm_fd = -1 };
	int efd = eventfd(0, 0);

	EXPECT_EQ(-EBADF, ioc(self->dev, NESTED_NOTIFY_IOC_CREATE, &c));
	c.vm_fd = 1000000;
	EXPECT_EQ(-EBADF, ioc(self->dev, NESTED_NOTIFY_IOC_CREATE, &c));
	c.vm_fd = efd;				/* not a VM */
	EXPECT_EQ(-EINVAL, ioc(self->dev, NESTED_NOTIFY_IOC_CREATE, &c));
	c.vm_fd = self->kvm;			/* /dev/kvm itself */
	EXPECT_EQ(-EINVAL, ioc(self->dev, NESTED_NOTIFY_IOC_CREATE, &c));
	c.vm_fd = self->vm;
	c.flags = 1;
	EXPECT_EQ(-EINVAL, ioc(self->dev, NESTED_NOTIFY_IOC_CREATE, &c));
	EXPECT_EQ(-EFAULT, ioc(self->dev, NESTED_NOTIFY_IOC_CREATE, NULL));
	EXPECT_EQ(-ENOTTY, ioc(self->dev, NESTED_NOTIFY_IOC_INFO, &c));
	EXPECT_EQ(-ENOTTY, ioc(self->dev, _IOW(NESTED_NOTIFY_IOC_MAGIC, 0, __u32), &c));
	close(efd);
}

TEST_F(abi, set_table_is_validated)
{
	struct nested_notify_table t = { .gpa = 0x1000, .nr_entries = 4 };
	struct nested_notify_info info;

	EXPECT_EQ(0, ioc(self->ctx, NESTED_NOTIFY_IOC_SET_TABLE, &t));
	t.gpa = 0;
	EXPECT_EQ(-EINVAL, ioc(self->ctx, NESTED_NOTIFY_IOC_SET_TABLE, &t));
	t.gpa = 0x1008;
	EXPECT_EQ(-EINVAL, ioc(self->ctx, NESTED_NOTIFY_IOC_SET_TABLE, &t));
	t.gpa = 0x2000;
	t.nr_entries = 0;
	EXPECT_EQ(-EINVAL, ioc(self->ctx, NESTED_NOTIFY_IOC_SET_TABLE, &t));
	t.nr_entries = NESTED_NOTIFY_MAX_ENTRIES + 1;
	EXPECT_EQ(-EINVAL, ioc(self->ctx, NESTED_NOTIFY_IOC_SET_TABLE, &t));
	t.nr_entries = 2;
	t.gpa = ~0ULL & ~63ULL;			/* wraps */
	EXPECT_EQ(-EINVAL, ioc(self->ctx, NESTED_NOTIFY_IOC_SET_TABLE, &t));
	t.gpa = 0x2000;
	t.flags = 1;
	EXPECT_EQ(-EINVAL, ioc(self->ctx, NESTED_NOTIFY_IOC_SET_TABLE, &t));
	EXPECT_EQ(-EFAULT, ioc(self->ctx, NESTED_NOTIFY_IOC_SET_TABLE, (void *)8));
	ASSERT_EQ(0, ioc(self->ctx, NESTED_NOTIFY_IOC_INFO, &info));
	EXPECT_EQ(0x1000, info.table_gpa);	/* the failures changed nothing */
	EXPECT_EQ(4, info.nr_entries);
	EXPECT_EQ(-EFAULT, ioc(self->ctx, NESTED_NOTIFY_IOC_INFO, (void *)8));
	EXPECT_EQ(-ENOTTY, ioc(self->ctx, NESTED_NOTIFY_IOC_CREATE, &t));
}

TEST_F(abi, add_and_remove_devices)
{
	struct nested_notify_device d = { .irq_fd = -1, .entry = 1 };
	struct nested_notify_create c = { .vm_fd = self->vm };
	struct nested_notify_info info;
	int db = eventfd(0, 0), irq = eventfd(0, 0), ctx2, i;
	int many[NESTED_NOTIFY_MAX_DEVICES + 1];

	d.doorbell_fd = -1;
	EXPECT_EQ(-EBADF, ioc(self->ctx, NESTED_NOTIFY_IOC_ADD_DEVICE, &d));
	d.doorbell_fd = self->vm;		/* not an eventfd */
	EXPECT_EQ(-EINVAL, ioc(self->ctx, NESTED_NOTIFY_IOC_ADD_DEVICE, &d));
	d.doorbell_fd = db;
	d.irq_fd = self->vm;
	EXPECT_EQ(-EINVAL, ioc(self->ctx, NESTED_NOTIFY_IOC_ADD_DEVICE, &d));
	d.irq_fd = -2;
	EXPECT_EQ(-EBADF, ioc(self->ctx, NESTED_NOTIFY_IOC_ADD_DEVICE, &d));
	d.irq_fd = db;				/* its own interrupt: a loop */
	EXPECT_EQ(-ELOOP, ioc(self->ctx, NESTED_NOTIFY_IOC_ADD_DEVICE, &d));
	d.irq_fd = irq;
	d.entry = NESTED_NOTIFY_MAX_ENTRIES;
	EXPECT_EQ(-EINVAL, ioc(self->ctx, NESTED_NOTIFY_IOC_ADD_DEVICE, &d));
	d.entry = 1;
	d.flags = 1;
	EXPECT_EQ(-EINVAL, ioc(self->ctx, NESTED_NOTIFY_IOC_ADD_DEVICE, &d));
	d.flags = 0;
	EXPECT_EQ(-EFAULT, ioc(self->ctx, NESTED_NOTIFY_IOC_ADD_DEVICE, NULL));
	ASSERT_EQ(0, ioc(self->ctx, NESTED_NOTIFY_IOC_ADD_DEVICE, &d));
	/* One device per entry; one consumer per doorbell, across contexts. */
	EXPECT_EQ(-EEXIST, ioc(self->ctx, NESTED_NOTIFY_IOC_ADD_DEVICE, &d));
	d.entry = 2;
	EXPECT_EQ(-EBUSY, ioc(self->ctx, NESTED_NOTIFY_IOC_ADD_DEVICE, &d));
	ctx2 = ioctl(self->dev, NESTED_NOTIFY_IOC_CREATE, &c);
	ASSERT_LE(0, ctx2);
	EXPECT_EQ(-EBUSY, ioc(ctx2, NESTED_NOTIFY_IOC_ADD_DEVICE, &d));
	close(ctx2);
	/* At most NESTED_NOTIFY_MAX_DEVICES. */
	for (i = 0; i <= NESTED_NOTIFY_MAX_DEVICES; i++) {
		struct nested_notify_device m = { .irq_fd = -1, .entry = 10 + i };

		many[i] = m.doorbell_fd = eventfd(0, 0);
		EXPECT_EQ(i < NESTED_NOTIFY_MAX_DEVICES - 1 ? 0 : -ENOSPC,
			  ioc(self->ctx, NESTED_NOTIFY_IOC_ADD_DEVICE, &m));
	}
	ASSERT_EQ(0, ioc(self->ctx, NESTED_NOTIFY_IOC_INFO, &info));
	EXPECT_EQ(NESTED_NOTIFY_MAX_DEVICES, info.devices);
	d.entry = 99;
	EXPECT_EQ(-ENOENT, ioc(self->ctx, NESTED_NOTIFY_IOC_REMOVE_DEVICE, &d));
	d.entry = 1;
	d.flags = 1;
	EXPECT_EQ(-EINVAL, ioc(self->ctx, NESTED_NOTIFY_IOC_REMOVE_DEVICE, &d));
	d.flags = 0;
	EXPECT_EQ(0, ioc(self->ctx, NESTED_NOTIFY_IOC_REMOVE_DEVICE, &d));
	EXPECT_EQ(-ENOENT, ioc(self->ctx, NESTED_NOTIFY_IOC_REMOVE_DEVICE, &d));
	/* Removed, the doorbell can be consumed again. */
	d.entry = 2;
	EXPECT_EQ(0, ioc(self->ctx, NESTED_NOTIFY_IOC_ADD_DEVICE, &d));
	for (i = 0; i <= NESTED_NOTIFY_MAX_DEVICES; i++)
		close(many[i]);
	close(db);
	close(irq);
}

TEST_F(abi, user_space_doorbell_is_counted_and_pending)
{
	struct nested_notify_device d = { .irq_fd = -1, .entry = 0 };
	struct nested_notify_info info;
	uint64_t three = 3, one = 1, got;
	long unowned = mv_read_knob(NN_SYSFS, "unowned_doorbells");
	long dropped = mv_read_knob(NN_SYSFS, "dropped_doorbells");
	int db = eventfd(0, EFD_NONBLOCK);

	/* Rung before the device exists: taken over when it is added. */
	ASSERT_EQ(sizeof(one), write(db, &one, sizeof(one)));
	d.doorbell_fd = db;
	ASSERT_EQ(0, ioc(self->ctx, NESTED_NOTIFY_IOC_ADD_DEVICE, &d));
	ASSERT_EQ(sizeof(three), write(db, &three, sizeof(three)));
	/* The module consumed it: nothing left for a reader. */
	EXPECT_EQ(-1, read(db, &got, sizeof(got)));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, ioc(self->ctx, NESTED_NOTIFY_IOC_INFO, &info));
	EXPECT_EQ(4, info.doorbells);
	EXPECT_EQ(4, info.pending);
	EXPECT_EQ(0, info.records);
	EXPECT_EQ(unowned + 4, mv_read_knob(NN_SYSFS, "unowned_doorbells"));
	/* Removed with them pending: dropped, and counted so. */
	ASSERT_EQ(0, ioc(self->ctx, NESTED_NOTIFY_IOC_REMOVE_DEVICE, &d));
	ASSERT_EQ(0, ioc(self->ctx, NESTED_NOTIFY_IOC_INFO, &info));
	EXPECT_EQ(4, info.doorbells);
	EXPECT_EQ(0, info.pending);
	EXPECT_EQ(4, info.dropped);
	EXPECT_EQ(info.doorbells, info.delivered + info.pending + info.dropped);
	EXPECT_EQ(dropped + 4, mv_read_knob(NN_SYSFS, "dropped_doorbells"));
	close(db);
}

TEST_F(abi, closing_in_any_order_frees_the_context)
{
	struct nested_notify_device d = { .irq_fd = -1, .entry = 0 };
	struct nested_notify_create c = { .vm_fd = self->vm };
	long before = mv_read_knob(NN_SYSFS, "contexts");
	int db = eventfd(0, 0), ctx = ioctl(self->dev, NESTED_NOTIFY_IOC_CREATE, &c);

	ASSERT_LE(0, ctx);
	EXPECT_EQ(before + 1, mv_read_knob(NN_SYSFS, "contexts"));
	d.doorbell_fd = db;
	ASSERT_EQ(0, ioc(ctx, NESTED_NOTIFY_IOC_ADD_DEVICE, &d));
	close(db);				/* the device keeps its eventfd */
	close(self->vm);			/* the context keeps the VM */
	self->vm = ioctl(self->kvm, KVM_CREATE_VM, 0);
	close(ctx);
	EXPECT_EQ(before, mv_read_knob(NN_SYSFS, "contexts"));
}

static int add(int ctx, int db, int irq, unsigned int entry)
{
	struct nested_notify_device d = { .doorbell_fd = db, .irq_fd = irq, .entry = entry };

	return ioc(ctx, NESTED_NOTIFY_IOC_ADD_DEVICE, &d);
}

static int del(int ctx, unsigned int entry)
{
	struct nested_notify_device d = { .entry = entry };

	return ioc(ctx, NESTED_NOTIFY_IOC_REMOVE_DEVICE, &d);
}

/*
 * A device whose interrupt rings a device, or whose doorbell is a
 * device's interrupt, would loop: refused, across contexts too. A
 * doorbell that a KVM irqfd (another exclusive priority waiter) already
 * consumes is refused; once the irqfd is gone it can be added.
 */
TEST_F(abi, loops_and_a_second_priority_waiter_are_refused)
{
	struct nested_notify_create c = { .vm_fd = self->vm };
	int db1 = eventfd(0, 0), irq1 = eventfd(0, 0), db2 = eventfd(0, 0);
	int kfd = eventfd(0, EFD_NONBLOCK), ctx2;
	struct kvm_irqfd irqfd = { .gsi = 5 };
	struct nested_notify_info info;
	uint64_t one = 1, got = 0;

	ASSERT_EQ(0, add(self->ctx, db1, irq1, 1));
	EXPECT_EQ(-ELOOP, add(self->ctx, irq1, -1, 2));	/* doorbell = A's interrupt */
	EXPECT_EQ(-ELOOP, add(self->ctx, db2, db1, 2));	/* interrupt = A's doorbell */
	ctx2 = ioctl(self->dev, NESTED_NOTIFY_IOC_CREATE, &c);
	ASSERT_LE(0, ctx2);
	EXPECT_EQ(-ELOOP, add(ctx2, irq1, -1, 2));
	EXPECT_EQ(-ELOOP, add(ctx2, db2, db1, 2));
	close(ctx2);
	EXPECT_EQ(0, add(self->ctx, db2, -1, 2));

	ASSERT_EQ(0, ioctl(self->vm, KVM_CREATE_IRQCHIP, 0));
	irqfd.fd = kfd;
	ASSERT_EQ(0, ioctl(self->vm, KVM_IRQFD, &irqfd));
	EXPECT_EQ(-EBUSY, add(self->ctx, kfd, -1, 3));
	ASSERT_EQ(0, ioc(self->ctx, NESTED_NOTIFY_IOC_INFO, &info));
	EXPECT_EQ(2, info.devices);
	/* Refused, it left no waiter behind: the irqfd still gets the doorbell. */
	ASSERT_EQ(sizeof(one), write(kfd, &one, sizeof(one)));
	EXPECT_EQ(-1, read(kfd, &got, sizeof(got)));
	ASSERT_EQ(0, ioc(self->ctx, NESTED_NOTIFY_IOC_INFO, &info));
	EXPECT_EQ(0, info.doorbells);
	irqfd.flags = KVM_IRQFD_FLAG_DEASSIGN;
	ASSERT_EQ(0, ioctl(self->vm, KVM_IRQFD, &irqfd));
	EXPECT_EQ(0, add(self->ctx, kfd, -1, 3));
	close(db1);
	close(irq1);
	close(db2);
	close(kfd);
}

/*
 * fail-nth: make the @n-th fault point of this thread fail. The file is
 * opened first, so that its opening is no fault point counted; it is
 * not seekable, so each round opens it again.
 */
static int nth_fd = -1;

static int fail_nth(unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	nth_fd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	if (nth_fd < 0)
		return -1;
	return write(nth_fd, buf, len) == len ? 0 : -1;
}

/* Whether the fault set up with fail_nth() was injected; clears it. */
static bool fail_nth_hit(void)
{
	char buf[16] = "";
	bool hit;

	hit = read(nth_fd, buf, sizeof(buf) - 1) > 0 && atoi(buf) == 0;
	if (write(nth_fd, "0", 1) != 1)
		hit = false;
	close(nth_fd);
	nth_fd = -1;
	return hit;
}

#define FAILSLAB	"/sys/kernel/debug/failslab/"

/*
 * Debug kernel: every fault point of CREATE, SET_TABLE and ADD_DEVICE
 * failed in turn (fail-nth, with failslab on sleeping allocations). An
 * injected failure gives a clean ENOMEM (or EFAULT for the copy of the
 * argument), changes nothing and leaks nothing (contexts, devices, the
 * doorbell's consumer); the same call retried succeeds.
 */
TEST_F(abi, allocation_failures_are_clean_and_retry_works)
{
	struct nested_notify_create c = { .vm_fd = self->vm };
	struct nested_notify_table t = { .gpa = 0x1000, .nr_entries = 4 };
	long contexts = mv_read_knob(NN_SYSFS, "contexts");
	unsigned int n, enomem = 0;
	struct nested_notify_info info;
	int db = eventfd(0, EFD_NONBLOCK), ret, fd;
	uint64_t one = 1, got;

	if (access("/proc/thread-self/fail-nth", W_OK) || access(FAILSLAB "ignore-gfp-wait", W_OK))
		SKIP(return, "no fail-nth or failslab (stock kernel)");
	ASSERT_EQ(0, mv_write_knob(FAILSLAB, "ignore-gfp-wait", "N"));
	ASSERT_EQ(0, mv_write_knob(FAILSLAB, "verbose", "0"));

	for (n = 1; n < 200; n++) {
		ASSERT_EQ(0, fail_nth(n));
		fd = ioctl(self->dev, NESTED_NOTIFY_IOC_CREATE, &c);
		ret = fd < 0 ? -errno : 0;
		if (!fail_nth_hit()) {
			ASSERT_LE(0, fd);	/* past the last fault point */
			break;
		}
		if (fd >= 0) {		/* a fault point that may fail silently */
			close(fd);
			continue;
		}
		EXPECT_TRUE(ret == -ENOMEM || ret == -EFAULT) TH_LOG("CREATE n=%u: %d", n, ret);
		enomem += ret == -ENOMEM;
		EXPECT_EQ(contexts, mv_read_knob(NN_SYSFS, "contexts"));
	}
	EXPECT_EQ(contexts + 1, mv_read_knob(NN_SYSFS, "contexts"));
	close(fd);
	EXPECT_LT(0, enomem);

	/* SET_TABLE allocates nothing: its only fault point is the copy. */
	for (n = 1; n < 200; n++) {
		ASSERT_EQ(0, fail_nth(n));
		ret = ioc(self->ctx, NESTED_NOTIFY_IOC_SET_TABLE, &t);
		if (!fail_nth_hit()) {
			ASSERT_EQ(0, ret);
			break;
		}
		EXPECT_TRUE(ret == -ENOMEM || ret == -EFAULT || !ret) TH_LOG("SET_TABLE: %d", ret);
		ASSERT_EQ(0, ioc(self->ctx, NESTED_NOTIFY_IOC_INFO, &info));
		EXPECT_EQ(ret ? 0 : 0x1000, info.table_gpa);
	}

	enomem = 0;
	for (n = 1; n < 200; n++) {
		ASSERT_EQ(0, fail_nth(n));
		ret = add(self->ctx, db, -1, 1);
		if (!fail_nth_hit()) {
			ASSERT_EQ(0, ret);
			break;
		}
		if (!ret) {
			ASSERT_EQ(0, del(self->ctx, 1));
			continue;
		}
		EXPECT_TRUE(ret == -ENOMEM || ret == -EFAULT) TH_LOG("ADD n=%u: %d", n, ret);
		enomem += ret == -ENOMEM;
		ASSERT_EQ(0, ioc(self->ctx, NESTED_NOTIFY_IOC_INFO, &info));
		EXPECT_EQ(0, info.devices);
		/* No waiter left behind: the doorbell stays in its eventfd. */
		ASSERT_EQ(sizeof(one), write(db, &one, sizeof(one)));
		EXPECT_EQ(sizeof(got), read(db, &got, sizeof(got)));
	}
	EXPECT_LT(0, enomem);
	ASSERT_EQ(0, ioc(self->ctx, NESTED_NOTIFY_IOC_INFO, &info));
	EXPECT_EQ(1, info.devices);
	EXPECT_EQ(0, info.doorbells);
	mv_write_knob(FAILSLAB, "ignore-gfp-wait", "Y");
	close(db);
}

#define RACE_THREADS	4
#define RACE_ROUNDS	1000
#define RACE_ENTRIES	3

struct race {
	int ctx, db;
	unsigned int seed;
	unsigned long adds, removes, writes, bad;
};

static int race_stop;

/* ADD or REMOVE a random entry, or ring the doorbell from user space. */
static void *race_fn(void *arg)
{
	struct race *r = arg;
	uint64_t one = 1;
	int i, ret;

	for (i = 0; i < RACE_ROUNDS; i++) {
		unsigned int entry = rand_r(&r->seed) % RACE_ENTRIES;

		switch (rand_r(&r->seed) % 3) {
		case 0:
			ret = add(r->ctx, r->db, -1, entry);
			r->adds += !ret;
			r->bad += ret && ret != -EEXIST && ret != -EBUSY;
			break;
		case 1:
			ret = del(r->ctx, entry);
			r->removes += !ret;
			r->bad += ret && ret != -ENOENT;
			break;
		default:
			r->writes += write(r->db, &one, sizeof(one)) == sizeof(one);
		}
	}
	__atomic_add_fetch(&race_stop, 1, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * Threads ADD and REMOVE devices of one context, on shared entries,
 * while they ring their doorbells from user space and a reader takes
 * INFO. Only the expected errnos; the devices are the adds minus the
 * removes; every doorbell written is in the accounting (doorbells ==
 * delivered + pending + dropped) or still in its eventfd.
 */
TEST_F(abi, add_remove_races_keep_the_accounting)
{
	struct race r[RACE_THREADS] = { 0 };
	pthread_t th[RACE_THREADS];
	unsigned long adds = 0, removes = 0, writes = 0, left = 0;
	struct nested_notify_info info;
	unsigned int i, infos = 0;

	race_stop = 0;
	for (i = 0; i < RACE_THREADS; i++) {
		r[i] = (struct race){ .ctx = self->ctx, .db = eventfd(0, EFD_NONBLOCK), .seed = i + 1 };
		ASSERT_EQ(0, pthread_create(&th[i], NULL, race_fn, &r[i]));
	}
	while (__atomic_load_n(&race_stop, __ATOMIC_ACQUIRE) < RACE_THREADS) {
		ASSERT_EQ(0, ioc(self->ctx, NESTED_NOTIFY_IOC_INFO, &info));
		EXPECT_GE(RACE_ENTRIES, info.devices);
		EXPECT_EQ(info.doorbells, info.delivered + info.pending + info.dropped);
		infos++;
	}
	for (i = 0; i < RACE_THREADS; i++) {
		uint64_t got = 0;

		pthread_join(th[i], NULL);
		EXPECT_EQ(0, r[i].bad);
		adds += r[i].adds;
		removes += r[i].removes;
		writes += r[i].writes;
		if (read(r[i].db, &got, sizeof(got)) == sizeof(got))
			left += got;
	}
	ASSERT_EQ(0, ioc(self->ctx, NESTED_NOTIFY_IOC_INFO, &info));
	EXPECT_EQ(adds - removes, info.devices);
	EXPECT_EQ(writes, info.doorbells + left);
	EXPECT_EQ(info.doorbells, info.delivered + info.pending + info.dropped);
	EXPECT_EQ(0, info.delivered);		/* no vCPU rang */
	for (i = 0; i < RACE_ENTRIES; i++)
		del(self->ctx, i);
	ASSERT_EQ(0, ioc(self->ctx, NESTED_NOTIFY_IOC_INFO, &info));
	EXPECT_EQ(0, info.devices);
	EXPECT_EQ(info.doorbells, info.dropped);
	TH_LOG("adds %lu removes %lu doorbells %lu (left in eventfds %lu) infos %u",
	       adds, removes, writes, left, infos);
	for (i = 0; i < RACE_THREADS; i++)
		close(r[i].db);
}

TEST(root_only_device_read_only_counters)
{
	unsigned int i;

	if (access(NN_DEV, F_OK))
		SKIP(return, "nested_notify not loaded");
	EXPECT_ROOT_ONLY(NN_DEV, NN_SYSFS, counters, 0, "1");
	for (i = 0; i < ARRAY_SIZE(counters); i++) {
		EXPECT_LE(0, mv_read_knob(NN_SYSFS, counters[i]));
		EXPECT_GT(0, mv_write_knob(NN_SYSFS, counters[i], "0"));
	}
}

TEST_HARNESS_MAIN
