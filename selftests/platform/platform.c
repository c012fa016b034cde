// SPDX-License-Identifier: GPL-2.0
/*
 * What the test VM promises the rest of the suite: two online CPUs on
 * two NUMA nodes, and a working /dev/kvm on which a real (here nested)
 * guest runs code and exits to us.
 */
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "kselftest_harness.h"

TEST(two_cpus_two_nodes)
{
	EXPECT_EQ(2, sysconf(_SC_NPROCESSORS_ONLN));
	EXPECT_EQ(0, access("/sys/devices/system/node/node0", F_OK));
	EXPECT_EQ(0, access("/sys/devices/system/node/node1", F_OK));
}

/* Real-mode guest: out 0x42 to port 0x10, then hlt. */
static const uint8_t guest_code[] = {
	0xb0, 0x42,		/* mov $0x42, %al */
	0xe6, 0x10,		/* out %al, $0x10 */
	0xf4,			/* hlt */
};

TEST(guest_runs)
{
	struct kvm_userspace_memory_region region = {
		.slot = 0, .guest_phys_addr = 0, .memory_size = 0x10000,
	};
	struct kvm_sregs sregs;
	struct kvm_regs regs = { .rip = 0x1000, .rflags = 2 };
	struct kvm_run *run;
	int kvm, vm, vcpu, sz;
	uint8_t *mem;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, kvm) TH_LOG("no /dev/kvm: is kvm_amd loaded?");
	ASSERT_EQ(KVM_API_VERSION, ioctl(kvm, KVM_GET_API_VERSION, 0));
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	ASSERT_LE(0, vm);

	mem = mmap(NULL, region.memory_size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	memcpy(mem + 0x1000, guest_code, sizeof(guest_code));
	region.userspace_addr = (uintptr_t)mem;
	ASSERT_EQ(0, ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region));

	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	ASSERT_LE(0, vcpu);
	sz = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	ASSERT_LT(0, sz);
	run = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	ASSERT_NE(MAP_FAILED, run);

	ASSERT_EQ(0, ioctl(vcpu, KVM_GET_SREGS, &sregs));
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	ASSERT_EQ(0, ioctl(vcpu, KVM_SET_SREGS, &sregs));
	ASSERT_EQ(0, ioctl(vcpu, KVM_SET_REGS, &regs));

	ASSERT_EQ(0, ioctl(vcpu, KVM_RUN, 0));
	ASSERT_EQ(KVM_EXIT_IO, run->exit_reason);
	EXPECT_EQ(KVM_EXIT_IO_OUT, run->io.direction);
	EXPECT_EQ(0x10, run->io.port);
	EXPECT_EQ(1, run->io.size);
	EXPECT_EQ(0x42, *((uint8_t *)run + run->io.data_offset));

	ASSERT_EQ(0, ioctl(vcpu, KVM_RUN, 0));
	EXPECT_EQ(KVM_EXIT_HLT, run->exit_reason);
	ASSERT_EQ(0, ioctl(vcpu, KVM_GET_REGS, &regs));
	EXPECT_EQ(0x1000 + sizeof(guest_code), regs.rip);

	munmap(run, sz);
	munmap(mem, region.memory_size);
	close(vcpu);
	close(vm);
	close(kvm);
}

TEST_HARNESS_MAIN
