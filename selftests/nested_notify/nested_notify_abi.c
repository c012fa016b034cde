// SPDX-License-Identifier: GPL-2.0
/*
 * nested_notify's user ABI: every ioctl with bad fds, bad sizes,
 * overflows and limits gets its errno and changes nothing; one consumer
 * per doorbell; the device is root-only and the counters read-only; a
 * doorbell rung from user space (not by a vCPU) is counted and left
 * pending; closing things in any order frees the context.
 */
#include <sys/eventfd.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "memvirt_ksft.h"
#include "nn_vmm.h"

static const char * const counters[] = {
	"doorbells", "records", "events_delivered", "events_coalesced", "overflows",
	"translation_faults", "walk_cache_hits", "deferred_deliveries", "interrupts",
	"unowned_doorbells", "loaded_deliveries", "dropped_doorbells", "contexts",
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
	EXPECT_EQ(-EINVAL, ioc(self->ctx, NESTED_NOTIFY_IOC_ADD_DEVICE, &d));
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
