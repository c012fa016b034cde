// SPDX-License-Identifier: GPL-2.0
/*
 * thp_encvm user ABI: object creation, mapping, attach and detach, and
 * the sysfs knobs, with bad input of every kind.
 */
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <linux/kvm.h>

#include "kselftest_harness.h"
#include "te_util.h"

FIXTURE(te) {
	int dev;
	long objects0;
};

FIXTURE_SETUP(te)
{
	self->dev = open(DEV, O_RDWR | O_CLOEXEC);
	if (self->dev < 0 && errno == ENOENT && !getenv("MEMVIRT_REQUIRE"))
		SKIP(return, "thp_encvm not loaded");
	ASSERT_LE(0, self->dev);
	self->objects0 = read_knob("objects");
}

FIXTURE_TEARDOWN(te)
{
	if (self->dev >= 0)
		close(self->dev);
	/* Every object of the test is gone with its fds and mappings. */
	if (self->dev >= 0)
		EXPECT_EQ(self->objects0, read_knob("objects"));
}

TEST_F(te, create_bad_input)
{
	struct thp_encvm_create c;

	c = te_default_create();
	c.size = 0;
	EXPECT_EQ(-EINVAL, te_create(self->dev, &c));
	c.size = 3 * MB;
	EXPECT_EQ(-EINVAL, te_create(self->dev, &c));
	c.size = 1ULL << 62;
	EXPECT_EQ(-E2BIG, te_create(self->dev, &c));
	c.size = -2 * MB;
	EXPECT_EQ(-E2BIG, te_create(self->dev, &c));
	c = te_default_create();
	c.flags = 2;
	EXPECT_EQ(-EINVAL, te_create(self->dev, &c));
	c = te_default_create();
	c.reserved[1] = 1;
	EXPECT_EQ(-EINVAL, te_create(self->dev, &c));
	c = te_default_create();
	c.node = 4096;
	EXPECT_EQ(-EINVAL, te_create(self->dev, &c));
	c.node = -2;
	EXPECT_EQ(-EINVAL, te_create(self->dev, &c));
	c = te_default_create();
	c.shared_size = 0;
	EXPECT_EQ(-EINVAL, te_create(self->dev, &c));
	c = te_default_create();
	c.shared_offset = 100;
	EXPECT_EQ(-EINVAL, te_create(self->dev, &c));
	c = te_default_create();
	c.shared_offset = -4096ULL;
	c.shared_size = 8192;
	EXPECT_EQ(-EINVAL, te_create(self->dev, &c));
	c = te_default_create();
	c.ring_offset = 64 * 1024;
	EXPECT_EQ(-EINVAL, te_create(self->dev, &c));
	c = te_default_create();
	c.staging_offset = MB;
	EXPECT_EQ(-EINVAL, te_create(self->dev, &c));
	c.staging_offset = 0;
	EXPECT_EQ(-EINVAL, te_create(self->dev, &c));
	c.staging_offset = 16 * MB;
	EXPECT_EQ(-EINVAL, te_create(self->dev, &c));
	EXPECT_EQ(-1, ioctl(self->dev, THP_ENCVM_IOC_CREATE, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->dev, THP_ENCVM_IOC_INFO, &c));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->dev, _IOW(THP_ENCVM_IOC_MAGIC, 0x01, __u64), &c));
	EXPECT_EQ(ENOTTY, errno);
}

TEST_F(te, object_mapping_and_info)
{
	struct thp_encvm_create c = te_default_create();
	struct thp_encvm_info info;
	unsigned int i;
	char *m;
	int obj;

	obj = te_create(self->dev, &c);
	ASSERT_LE(0, obj);
	/* Private mappings and mappings past the end are refused. */
	EXPECT_EQ(MAP_FAILED, mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, obj, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, 8192, PROT_READ, MAP_SHARED, obj,
				   16 * MB - 4096));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, 4096, PROT_READ, MAP_SHARED, obj, 16 * MB));
	EXPECT_EQ(EINVAL, errno);
	m = te_map(obj, 16 * MB);
	ASSERT_NE(MAP_FAILED, m);
	/* Zeroed, and it keeps what is written, page by page. */
	for (i = 0; i < 4096; i++)
		ASSERT_EQ(0, m[i * 4096 + (i % 4096)]);
	for (i = 0; i < 4096; i++)
		*(unsigned int *)(m + i * 4096 + 8) = i * 2654435761u;
	for (i = 0; i < 4096; i++)
		ASSERT_EQ(i * 2654435761u, *(unsigned int *)(m + i * 4096 + 8));
	ASSERT_EQ(0, ioctl(obj, THP_ENCVM_IOC_INFO, &info));
	EXPECT_EQ(16 * MB, info.size);
	EXPECT_EQ(THP_ENCVM_DETACHED, info.state);
	EXPECT_EQ(8, info.windows);
	EXPECT_EQ(6, info.eligible);
	EXPECT_EQ(0, info.huge);	/* SCATTER: no window is contiguous */
	EXPECT_EQ(-1, ioctl(obj, THP_ENCVM_IOC_INFO, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(obj, THP_ENCVM_IOC_CREATE, &c));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(obj, THP_ENCVM_IOC_DETACH));
	EXPECT_EQ(ENOENT, errno);
	/* The mapping outlives the fd. */
	close(obj);
	EXPECT_EQ(4095 * 2654435761u, *(unsigned int *)(m + 4095 * 4096 + 8));
	munmap(m, 16 * MB);
}

TEST_F(te, attach_bad_input)
{
	struct thp_encvm_create c = te_default_create();
	struct kvm_userspace_memory_region slot = {
		.slot = 0, .guest_phys_addr = 1ULL << 30, .memory_size = 16 * MB,
	};
	struct thp_encvm_attach a = { .eventfd = -1, .gpa = 1ULL << 30 };
	int kvm, vm, obj, nul, ev;
	char *m;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		SKIP(return, "no /dev/kvm");
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	ASSERT_LE(0, vm);
	obj = te_create(self->dev, &c);
	ASSERT_LE(0, obj);
	nul = open("/dev/null", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, nul);

	a.vm_fd = -1;
	EXPECT_EQ(-1, ioctl(obj, THP_ENCVM_IOC_ATTACH, &a));
	EXPECT_EQ(EBADF, errno);
	a.vm_fd = nul;			/* not a VM */
	EXPECT_EQ(-1, ioctl(obj, THP_ENCVM_IOC_ATTACH, &a));
	EXPECT_EQ(EINVAL, errno);
	a.vm_fd = kvm;			/* KVM, but not a VM */
	EXPECT_EQ(-1, ioctl(obj, THP_ENCVM_IOC_ATTACH, &a));
	EXPECT_EQ(EINVAL, errno);
	a.vm_fd = vm;			/* no memslot there yet */
	EXPECT_EQ(-1, ioctl(obj, THP_ENCVM_IOC_ATTACH, &a));
	EXPECT_EQ(ENOENT, errno);
	a.gpa = (1ULL << 30) + 4096;	/* misaligned */
	EXPECT_EQ(-1, ioctl(obj, THP_ENCVM_IOC_ATTACH, &a));
	EXPECT_EQ(EINVAL, errno);
	a.gpa = -2 * MB;		/* overflows */
	EXPECT_EQ(-1, ioctl(obj, THP_ENCVM_IOC_ATTACH, &a));
	EXPECT_EQ(EINVAL, errno);
	a.gpa = 1ULL << 30;
	a.reserved[0] = 1;
	EXPECT_EQ(-1, ioctl(obj, THP_ENCVM_IOC_ATTACH, &a));
	EXPECT_EQ(EINVAL, errno);
	a.reserved[0] = 0;
	EXPECT_EQ(-1, ioctl(obj, THP_ENCVM_IOC_ATTACH, NULL));
	EXPECT_EQ(EFAULT, errno);

	/* A memslot of anonymous memory is not this object. */
	m = mmap(NULL, 16 * MB, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, m);
	slot.userspace_addr = (unsigned long)m;
	ASSERT_EQ(0, ioctl(vm, KVM_SET_USER_MEMORY_REGION, &slot));
	EXPECT_EQ(-1, ioctl(obj, THP_ENCVM_IOC_ATTACH, &a));
	EXPECT_EQ(ENOENT, errno);
	slot.memory_size = 0;
	ASSERT_EQ(0, ioctl(vm, KVM_SET_USER_MEMORY_REGION, &slot));
	munmap(m, 16 * MB);

	m = te_map(obj, 16 * MB);
	ASSERT_NE(MAP_FAILED, m);
	slot.memory_size = 16 * MB;
	slot.userspace_addr = (unsigned long)m;
	ASSERT_EQ(0, ioctl(vm, KVM_SET_USER_MEMORY_REGION, &slot));
	a.eventfd = nul;		/* not an eventfd */
	EXPECT_EQ(-1, ioctl(obj, THP_ENCVM_IOC_ATTACH, &a));
	EXPECT_EQ(EINVAL, errno);
	ev = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, ev);
	a.eventfd = ev;
	ASSERT_EQ(0, ioctl(obj, THP_ENCVM_IOC_ATTACH, &a));
	EXPECT_EQ(-1, ioctl(obj, THP_ENCVM_IOC_ATTACH, &a));
	EXPECT_EQ(EBUSY, errno);
	/* The ring is ready for the guest. */
	EXPECT_EQ(THP_ENCVM_RING_MAGIC, ((struct thp_encvm_ring *)m)->magic);
	EXPECT_EQ(THP_ENCVM_RING_SLOTS, ((struct thp_encvm_ring *)m)->nr_slots);
	ASSERT_EQ(0, ioctl(obj, THP_ENCVM_IOC_DETACH));
	EXPECT_EQ(0, ((struct thp_encvm_ring *)m)->magic);
	EXPECT_EQ(-1, ioctl(obj, THP_ENCVM_IOC_DETACH));
	EXPECT_EQ(ENOENT, errno);
	/* Attached again, then everything closed while attached. */
	ASSERT_EQ(0, ioctl(obj, THP_ENCVM_IOC_ATTACH, &a));
	close(ev);
	close(vm);
	close(kvm);
	close(nul);
	close(obj);
	munmap(m, 16 * MB);
}

TEST(sysfs_bad_writes_and_root_only)
{
	static const struct { const char *knob, *val; } bad[] = {
		{ "enabled", "2" }, { "enabled", "-1" }, { "enabled", "yes" },
		{ "pages_to_scan", "0" }, { "pages_to_scan", "511" },
		{ "pages_to_scan", "99999999999999999999" },
		{ "scan_sleep_millisecs", "86400001" },
		{ "alloc_sleep_millisecs", "86400001" },
		{ "max_ptes_none", "512" }, { "max_copy_retries", "256" },
		{ "copy_timeout_ms", "9" }, { "copy_timeout_ms", "600001" },
		{ "max_object_mb", "1" }, { "max_object_mb", "1048577" },
	};
	static const char * const knobs[] = {
		"enabled", "pages_to_scan", "scan_sleep_millisecs",
		"alloc_sleep_millisecs", "max_ptes_none", "max_copy_retries",
		"copy_timeout_ms", "max_object_mb",
	};
	long saved[ARRAY_SIZE(knobs)];
	unsigned int k;
	int ret;

	if (read_knob("enabled") < 0 && !getenv("MEMVIRT_REQUIRE"))
		SKIP(return, "thp_encvm not loaded");
	for (k = 0; k < ARRAY_SIZE(knobs); k++)
		saved[k] = read_knob(knobs[k]);
	for (k = 0; k < ARRAY_SIZE(bad); k++) {
		ret = write_knob(bad[k].knob, bad[k].val);
		EXPECT_TRUE(ret == -EINVAL || ret == -ERANGE);
	}
	for (k = 0; k < ARRAY_SIZE(knobs); k++)
		EXPECT_EQ(saved[k], read_knob(knobs[k]));
	EXPECT_EQ(-EACCES, write_knob("windows_collapsed", "0"));
	EXPECT_EQ(-EACCES, write_knob("collapse_failed/timeout", "0"));

	EXPECT_ROOT_ONLY(DEV, SYSFS, knobs, ARRAY_SIZE(knobs), "1");
}

TEST_HARNESS_MAIN
