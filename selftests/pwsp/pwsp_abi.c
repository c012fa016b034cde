// SPDX-License-Identifier: GPL-2.0
/*
 * pwsp's user ABI against bad input: every ioctl with bad sizes,
 * pointers, fds, reserved fields, limits and orders; the sysfs knobs
 * out of range; root-only access. A VM with one memslot and no vCPU is
 * enough: nothing here runs a guest.
 */
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "memvirt_ksft.h"
#include "pvm.h"

static const char *const knobs[] = {
	"mode", "max_link_pages", "log_size", "max_vm_pages", "recheck_ms",
};

FIXTURE(abi) {
	struct pvm p;
	struct mv_knobs k;
};

FIXTURE_SETUP(abi)
{
	struct kvm_userspace_memory_region slot = { .slot = 0, .memory_size = MEM_SIZE };

	memset(&self->p, 0, sizeof(self->p));
	self->p.vm = self->p.vcpu = self->p.dev = -1;
	self->k = (struct mv_knobs){ .dir = SYSFS };
	if (access("/dev/kvm", R_OK | W_OK) || access(DEV, R_OK | W_OK)) {
		if (!getenv("MEMVIRT_REQUIRE"))
			SKIP(return, "no /dev/kvm or pwsp not loaded");
		ASSERT_EQ(0, access(DEV, R_OK | W_OK));
	}
	self->p.kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->p.kvm);
	self->p.vm = ioctl(self->p.kvm, KVM_CREATE_VM, 0);
	ASSERT_LE(0, self->p.vm);
	self->p.mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->p.mem);
	slot.userspace_addr = (unsigned long)self->p.mem;
	ASSERT_EQ(0, ioctl(self->p.vm, KVM_SET_USER_MEMORY_REGION, &slot));
	self->p.maxphyaddr = 40;
	self->p.dev = open(DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->p.dev);
}

FIXTURE_TEARDOWN(abi)
{
	mv_knobs_restore(&self->k);
	pvm_destroy(&self->p);
}

static int attach(struct pvm *p, struct pwsp_attach *a)
{
	return ioctl(p->dev, PWSP_IOC_ATTACH, a) ? -errno : 0;
}

static int root(struct pvm *p, unsigned long cmd, uint64_t gpa, uint64_t rsvd)
{
	struct pwsp_root r = { .gpa = gpa, .reserved = rsvd };

	return ioctl(p->dev, cmd, &r) ? -errno : 0;
}

TEST_F(abi, attach_bad_input)
{
	struct pwsp_attach a = { .vm_fd = self->p.vm, .eventfd = -1 };
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	pid_t pid;
	int st;

	EXPECT_EQ(-ENOTTY, ioctl(self->p.dev, _IO('W', 99)) ? -errno : 0);
	EXPECT_EQ(-EFAULT, ioctl(self->p.dev, PWSP_IOC_ATTACH, NULL) ? -errno : 0);
	a.vm_fd = -1;
	EXPECT_EQ(-EBADF, attach(&self->p, &a));
	a.vm_fd = 12345;
	EXPECT_EQ(-EBADF, attach(&self->p, &a));
	a.vm_fd = null;
	EXPECT_EQ(-EINVAL, attach(&self->p, &a));
	a.vm_fd = self->p.kvm;		/* /dev/kvm is no VM */
	EXPECT_EQ(-EINVAL, attach(&self->p, &a));
	a.vm_fd = self->p.vm;
	a.flags = 1U << 7;
	EXPECT_EQ(-EINVAL, attach(&self->p, &a));
	a.flags = 0;
	a.reserved[1] = 1;
	EXPECT_EQ(-EINVAL, attach(&self->p, &a));
	a.reserved[1] = 0;
	a.mode = 1;
	EXPECT_EQ(-EINVAL, attach(&self->p, &a));
	a.mode = 0;
	a.eventfd = -2;
	EXPECT_EQ(-EINVAL, attach(&self->p, &a));
	a.eventfd = null;		/* not an eventfd */
	EXPECT_EQ(-EINVAL, attach(&self->p, &a));
	a.eventfd = 12345;
	EXPECT_EQ(-EBADF, attach(&self->p, &a));
	a.eventfd = -1;
	/* only the VM's own VMM may attach */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(attach(&self->p, &a) == -EPERM ? 0 : 1);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_EQ(0, st);
	EXPECT_EQ(0, attach(&self->p, &a));
	EXPECT_TRUE(a.mode == PWSP_MODE_ENFORCE || a.mode == PWSP_MODE_AUDIT);
	a.mode = 0;
	EXPECT_EQ(-EBUSY, attach(&self->p, &a));
	close(null);
}

/* One session per VM: a second one is refused until the first goes. */
TEST_F(abi, one_session_per_vm)
{
	struct pwsp_attach a = { .vm_fd = self->p.vm, .eventfd = -1 };
	int second = open(DEV, O_RDWR | O_CLOEXEC);

	ASSERT_LE(0, second);
	EXPECT_EQ(0, attach(&self->p, &a));
	a.mode = 0;
	EXPECT_EQ(-EBUSY, ioctl(second, PWSP_IOC_ATTACH, &a) ? -errno : 0);
	a.flags = PWSP_ATTACH_AUDIT;
	EXPECT_EQ(-EBUSY, ioctl(second, PWSP_IOC_ATTACH, &a) ? -errno : 0);
	close(self->p.dev);
	self->p.dev = second;
	a.flags = 0;
	EXPECT_EQ(0, attach(&self->p, &a));
}

TEST_F(abi, order_and_policy)
{
	struct pwsp_attach a = { .vm_fd = self->p.vm, .eventfd = -1 };
	struct pwsp_range r[PWSP_MAX_RANGES + 1];
	struct pwsp_policy pol = {
		.maxphyaddr = 40, .nxe = 1, .levels = 4, .nr_ranges = 1,
		.ranges = (unsigned long)r,
	};
	int i;

	for (i = 0; i <= PWSP_MAX_RANGES; i++)
		r[i] = (struct pwsp_range){ .gfn = 0, .nr_pages = 2048, .type = PWSP_RANGE_RAM };
	/* nothing works before ATTACH */
	EXPECT_EQ(-EBADFD, ioctl(self->p.dev, PWSP_IOC_SET_POLICY, &pol) ? -errno : 0);
	EXPECT_EQ(-EBADFD, root(&self->p, PWSP_IOC_PROTECT_ROOT, PML4_GPA, 0));
	EXPECT_EQ(-EBADFD, ioctl(self->p.dev, PWSP_IOC_VERIFY) ? -errno : 0);
	ASSERT_EQ(0, attach(&self->p, &a));
	/* and no root before a policy */
	EXPECT_EQ(-EINVAL, root(&self->p, PWSP_IOC_PROTECT_ROOT, PML4_GPA, 0));
	pol.nr_ranges = 0;
	EXPECT_EQ(-EINVAL, ioctl(self->p.dev, PWSP_IOC_SET_POLICY, &pol) ? -errno : 0);
	pol.nr_ranges = PWSP_MAX_RANGES + 1;
	EXPECT_EQ(-EINVAL, ioctl(self->p.dev, PWSP_IOC_SET_POLICY, &pol) ? -errno : 0);
	pol.nr_ranges = 0x7fffffff;
	EXPECT_EQ(-EINVAL, ioctl(self->p.dev, PWSP_IOC_SET_POLICY, &pol) ? -errno : 0);
	pol.nr_ranges = 1;
	pol.ranges = 8;
	EXPECT_EQ(-EFAULT, ioctl(self->p.dev, PWSP_IOC_SET_POLICY, &pol) ? -errno : 0);
	pol.ranges = (unsigned long)r;
	pol.maxphyaddr = 31;
	EXPECT_EQ(-EINVAL, ioctl(self->p.dev, PWSP_IOC_SET_POLICY, &pol) ? -errno : 0);
	pol.maxphyaddr = 40;
	pol.reserved0 = 1;
	EXPECT_EQ(-EINVAL, ioctl(self->p.dev, PWSP_IOC_SET_POLICY, &pol) ? -errno : 0);
	pol.reserved0 = 0;
	r[0].nr_pages = 1ULL << 40;		/* past MAXPHYADDR */
	EXPECT_EQ(-EINVAL, ioctl(self->p.dev, PWSP_IOC_SET_POLICY, &pol) ? -errno : 0);
	r[0].nr_pages = 2048;
	pol.nr_ranges = PWSP_MAX_RANGES;
	EXPECT_EQ(0, ioctl(self->p.dev, PWSP_IOC_SET_POLICY, &pol) ? -errno : 0);
	EXPECT_EQ(-EBUSY, ioctl(self->p.dev, PWSP_IOC_SET_POLICY, &pol) ? -errno : 0);
	/* roots */
	EXPECT_EQ(-EINVAL, root(&self->p, PWSP_IOC_PROTECT_ROOT, PML4_GPA + 8, 0));
	EXPECT_EQ(-EINVAL, root(&self->p, PWSP_IOC_PROTECT_ROOT, PML4_GPA, 1));
	EXPECT_EQ(-EINVAL, root(&self->p, PWSP_IOC_PROTECT_ROOT, 1ULL << 40, 0));
	EXPECT_EQ(-ENOENT, root(&self->p, PWSP_IOC_UNPROTECT_ROOT, PML4_GPA, 0));
	EXPECT_EQ(-EFAULT, ioctl(self->p.dev, PWSP_IOC_PROTECT_ROOT, NULL) ? -errno : 0);
	/* empty tables are sound roots: up to PWSP_MAX_ROOTS of them */
	for (i = 0; i < PWSP_MAX_ROOTS; i++)
		ASSERT_EQ(0, root(&self->p, PWSP_IOC_PROTECT_ROOT, 0x400000 + i * 4096ULL, 0));
	EXPECT_EQ(-ENOSPC, root(&self->p, PWSP_IOC_PROTECT_ROOT, 0x600000, 0));
	EXPECT_EQ(-EEXIST, root(&self->p, PWSP_IOC_PROTECT_ROOT, 0x400000, 0));
	for (i = 0; i < PWSP_MAX_ROOTS; i++)
		ASSERT_EQ(0, root(&self->p, PWSP_IOC_UNPROTECT_ROOT, 0x400000 + i * 4096ULL, 0));
	/* a root whose tree breaks the policy is refused and logged */
	*(uint64_t *)(self->p.mem + 0x700000) = X_P | X_PS;
	EXPECT_EQ(-EACCES, root(&self->p, PWSP_IOC_PROTECT_ROOT, 0x700000, 0));
	/* a table outside every memslot */
	*(uint64_t *)(self->p.mem + 0x701000) = X_P | X_RW | (0x7ff000ULL + MEM_SIZE);
	EXPECT_EQ(-EACCES, root(&self->p, PWSP_IOC_PROTECT_ROOT, 0x701000, 0));
}

TEST_F(abi, log_and_stats)
{
	struct pwsp_attach a = { .vm_fd = self->p.vm, .eventfd = -1 };
	struct pwsp_log_entry e[4];
	struct pwsp_log_read lr = { .entries = (unsigned long)e, .nr = 4 };
	struct pwsp_stats st;

	ASSERT_EQ(0, attach(&self->p, &a));
	ASSERT_EQ(0, pvm_policy(&self->p));
	*(uint64_t *)(self->p.mem + 0x700000) = X_P | X_PS;
	EXPECT_EQ(-EACCES, root(&self->p, PWSP_IOC_PROTECT_ROOT, 0x700000, 0));
	EXPECT_EQ(-EFAULT, ioctl(self->p.dev, PWSP_IOC_STATS, NULL) ? -errno : 0);
	lr.nr = 0;
	EXPECT_EQ(-EINVAL, ioctl(self->p.dev, PWSP_IOC_READ_LOG, &lr) ? -errno : 0);
	lr.nr = PWSP_MAX_LOG_READ + 1;
	EXPECT_EQ(-EINVAL, ioctl(self->p.dev, PWSP_IOC_READ_LOG, &lr) ? -errno : 0);
	lr.nr = 4;
	lr.reserved = 1;
	EXPECT_EQ(-EINVAL, ioctl(self->p.dev, PWSP_IOC_READ_LOG, &lr) ? -errno : 0);
	lr.reserved = 0;
	EXPECT_EQ(-EFAULT, ioctl(self->p.dev, PWSP_IOC_READ_LOG, NULL) ? -errno : 0);
	ASSERT_EQ(0, ioctl(self->p.dev, PWSP_IOC_READ_LOG, &lr));
	ASSERT_EQ(1, lr.out_nr);
	EXPECT_EQ(1, e[0].seq);
	EXPECT_EQ(PWSP_R_PS_TOP, e[0].reason);
	EXPECT_EQ(0x700000, e[0].gpa);
	EXPECT_EQ(0, e[0].flags);
	lr.out_nr = 0;
	ASSERT_EQ(0, ioctl(self->p.dev, PWSP_IOC_READ_LOG, &lr));
	EXPECT_EQ(0, lr.out_nr);
	ASSERT_EQ(0, ioctl(self->p.dev, PWSP_IOC_STATS, &st));
	EXPECT_EQ(1, st.violations);
	EXPECT_EQ(1, st.by_reason[PWSP_R_PS_TOP]);
	EXPECT_EQ(0, st.pages_v);
}

/* The root's own frame obeys the rules of every table frame. */
TEST_F(abi, root_frame_checked)
{
	struct pwsp_attach a = { .vm_fd = self->p.vm, .eventfd = -1,
				 .flags = PWSP_ATTACH_AUDIT };
	struct pwsp_log_entry e[4];
	struct pwsp_log_read lr = { .entries = (unsigned long)e, .nr = 4 };
	struct pwsp_stats st;

	ASSERT_EQ(0, attach(&self->p, &a));
	ASSERT_EQ(0, pvm_policy(&self->p));
	/* empty tables: only the frame can be wrong */
	EXPECT_EQ(-EACCES, root(&self->p, PWSP_IOC_PROTECT_ROOT, PROT_GPA, 0));
	EXPECT_EQ(-EACCES, root(&self->p, PWSP_IOC_PROTECT_ROOT, PROT_RO_GPA, 0));
	EXPECT_EQ(-EACCES, root(&self->p, PWSP_IOC_PROTECT_ROOT, MEM_SIZE, 0));
	ASSERT_EQ(0, ioctl(self->p.dev, PWSP_IOC_READ_LOG, &lr));
	ASSERT_EQ(3, lr.out_nr);
	EXPECT_EQ(PWSP_R_PROTECTED, e[0].reason);
	EXPECT_EQ(PROT_GPA, e[0].gpa);
	EXPECT_EQ(PWSP_R_PROTECTED, e[1].reason);
	EXPECT_EQ(PWSP_R_NOT_RAM, e[2].reason);
	EXPECT_EQ(MEM_SIZE, e[2].gpa);
	ASSERT_EQ(0, ioctl(self->p.dev, PWSP_IOC_STATS, &st));
	EXPECT_EQ(0, st.pages_v);
	EXPECT_EQ(0, st.roots);
	/* the frames next to them are RAM */
	EXPECT_EQ(0, root(&self->p, PWSP_IOC_PROTECT_ROOT, PROT_RO_GPA + 4096, 0));
	EXPECT_EQ(0, root(&self->p, PWSP_IOC_PROTECT_ROOT, MEM_SIZE - 4096, 0));
}

/* --- every ioctl of a session, and sessions coming and going, at once --- */

#define RACE_ITERS	400

struct race {
	struct pvm *p;		/* the shared session's VM */
	int shared;		/* its /dev/pwsp file, used by every thread */
	int vm2;		/* a second VM, for sessions of their own */
	unsigned int seed;
	unsigned int bad;	/* results outside the documented ones */
	char what[96];
};

static void race_bad(struct race *r, const char *op, int ret)
{
	if (!r->bad++)
		snprintf(r->what, sizeof(r->what), "%s: %d", op, ret);
}

static int race_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

/* One ioctl on the shared session; each may fail only as documented. */
static void race_op(struct race *r, int op)
{
	struct pwsp_attach a = { .vm_fd = r->p->vm, .eventfd = -1 };
	struct pwsp_root rt = { .gpa = PML4_GPA };
	struct pwsp_log_entry e[8];
	struct pwsp_log_read lr = { .entries = (unsigned long)e, .nr = 8 };
	struct pwsp_stats st;
	struct pvm q = *r->p;
	int ret;

	q.dev = r->shared;
	switch (op) {
	case 0:
		ret = race_ioctl(r->shared, PWSP_IOC_ATTACH, &a);
		if (ret && ret != -EBUSY)
			race_bad(r, "attach", ret);
		break;
	case 1:
		ret = pvm_policy(&q);
		if (ret && ret != -EBUSY && ret != -EBADFD)
			race_bad(r, "set_policy", ret);
		break;
	case 2:
		ret = race_ioctl(r->shared, PWSP_IOC_PROTECT_ROOT, &rt);
		if (ret && ret != -EEXIST && ret != -EBADFD && ret != -EINVAL)
			race_bad(r, "protect", ret);
		break;
	case 3:
		ret = race_ioctl(r->shared, PWSP_IOC_UNPROTECT_ROOT, &rt);
		if (ret && ret != -ENOENT && ret != -EBADFD)
			race_bad(r, "unprotect", ret);
		break;
	case 4:
		ret = race_ioctl(r->shared, PWSP_IOC_READ_LOG, &lr);
		if (ret || lr.out_nr > 8)
			race_bad(r, "read_log", ret);
		break;
	case 5:
		ret = race_ioctl(r->shared, PWSP_IOC_STATS, &st);
		/* a tree is all of its four pages or none */
		if (ret || st.roots > 1 || st.pages_v != 4 * st.roots)
			race_bad(r, "stats", ret ? ret : (int)st.pages_v);
		break;
	default:
		ret = race_ioctl(r->shared, PWSP_IOC_VERIFY, NULL);
		if (ret && ret != -EBADFD)
			race_bad(r, "verify", ret);
		break;
	}
}

static void *race_shared(void *arg)
{
	struct race *r = arg;
	int i;

	for (i = 0; i < RACE_ITERS; i++)
		race_op(r, rand_r(&r->seed) % 7);
	return NULL;
}

/*
 * Sessions opened, attached, used and closed: on the shared session's
 * VM (EBUSY once the shared one is attached) and on a second VM of
 * their own (attach succeeds each time: the last close detached).
 */
static void *race_sessions(void *arg)
{
	struct race *r = arg;
	struct pwsp_attach a = { .eventfd = -1 };
	struct pwsp_root rt = { .gpa = PML4_GPA };
	struct pvm q = *r->p;
	int i, fd, ret;

	for (i = 0; i < RACE_ITERS / 4; i++) {
		fd = open(DEV, O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			race_bad(r, "open", -errno);
			continue;
		}
		a.vm_fd = i % 2 ? r->p->vm : r->vm2;
		a.mode = 0;
		ret = race_ioctl(fd, PWSP_IOC_ATTACH, &a);
		if (ret && (ret != -EBUSY || a.vm_fd == r->vm2))
			race_bad(r, "session attach", ret);
		q.dev = fd;
		if (!ret && a.vm_fd == r->vm2) {
			if (pvm_policy(&q))
				race_bad(r, "session policy", -errno);
			ret = race_ioctl(fd, PWSP_IOC_PROTECT_ROOT, &rt);
			if (ret)
				race_bad(r, "session protect", ret);
			if (i % 3)
				race_ioctl(fd, PWSP_IOC_UNPROTECT_ROOT, &rt);
		}
		close(fd);
	}
	return NULL;
}

/*
 * Two threads issue every ioctl at random on one session while a third
 * opens and closes sessions: each call ends as documented, the shared
 * session's tree is whole or absent, and once every file is closed the
 * module's V pages are back where they were. The tier's log check sees
 * no splat (lockdep, KASAN on the debug tier).
 */
TEST_F(abi, threaded_ioctls)
{
	struct race r[3];
	struct kvm_userspace_memory_region slot = { .slot = 0, .memory_size = MEM_SIZE };
	long v0 = mv_read_knob(SYSFS, "pages_v");
	pthread_t th[3];
	char *mem2;
	int vm2, i;

	pvm_tables(&self->p);
	vm2 = ioctl(self->p.kvm, KVM_CREATE_VM, 0);
	ASSERT_LE(0, vm2);
	mem2 = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, mem2);
	memcpy(mem2, self->p.mem, MEM_SIZE);
	slot.userspace_addr = (unsigned long)mem2;
	ASSERT_EQ(0, ioctl(vm2, KVM_SET_USER_MEMORY_REGION, &slot));
	for (i = 0; i < 3; i++) {
		r[i] = (struct race){ .p = &self->p, .shared = self->p.dev, .vm2 = vm2,
				      .seed = 15 + i };
		ASSERT_EQ(0, pthread_create(&th[i], NULL, i < 2 ? race_shared : race_sessions,
					    &r[i]));
	}
	for (i = 0; i < 3; i++) {
		pthread_join(th[i], NULL);
		EXPECT_EQ(0, r[i].bad) TH_LOG("thread %d: %s", i, r[i].what);
	}
	race_op(&r[0], 5);
	EXPECT_EQ(0, r[0].bad) TH_LOG("%s", r[0].what);
	close(self->p.dev);
	self->p.dev = -1;
	EXPECT_EQ(v0, mv_read_knob(SYSFS, "pages_v"));
	close(vm2);
	munmap(mem2, MEM_SIZE);
}

TEST_F(abi, knobs)
{
	char buf[32] = "";
	int fd;

	mv_knobs_save(&self->k, "max_link_pages");
	mv_knobs_save(&self->k, "log_size");
	mv_knobs_save(&self->k, "max_vm_pages");
	EXPECT_EQ(-EINVAL, mv_write_knob(SYSFS, "max_link_pages", "0"));
	EXPECT_EQ(0, mv_write_knob(SYSFS, "max_link_pages", "1"));
	EXPECT_EQ(-EINVAL, mv_write_knob(SYSFS, "max_link_pages", "1048577"));
	EXPECT_EQ(-EINVAL, mv_write_knob(SYSFS, "log_size", "15"));
	EXPECT_EQ(-EINVAL, mv_write_knob(SYSFS, "log_size", "65537"));
	EXPECT_EQ(0, mv_write_knob(SYSFS, "log_size", "65536"));
	EXPECT_EQ(-EINVAL, mv_write_knob(SYSFS, "max_vm_pages", "-1"));
	EXPECT_GT(0, mv_write_knob(SYSFS, "max_vm_pages", "99999999999999999999"));
	mv_knobs_save(&self->k, "recheck_ms");
	EXPECT_EQ(-EINVAL, mv_write_knob(SYSFS, "recheck_ms", "60001"));
	EXPECT_EQ(-EINVAL, mv_write_knob(SYSFS, "recheck_ms", "-1"));
	EXPECT_EQ(-EINVAL, mv_write_knob(SYSFS, "recheck_ms", "1"));
	EXPECT_EQ(-EINVAL, mv_write_knob(SYSFS, "recheck_ms", "9"));
	EXPECT_EQ(0, mv_write_knob(SYSFS, "recheck_ms", "10"));
	EXPECT_EQ(0, mv_write_knob(SYSFS, "recheck_ms", "60000"));
	EXPECT_EQ(0, mv_write_knob(SYSFS, "recheck_ms", "0"));
	EXPECT_EQ(-EINVAL, mv_write_knob(SYSFS, "mode", "enforce"));
	EXPECT_EQ(-EINVAL, mv_write_knob(SYSFS, "mode", "x"));
	EXPECT_EQ(0, mv_write_knob(SYSFS, "mode", "audit"));
	fd = open(SYSFS "effective_mode", O_RDONLY);
	ASSERT_LE(0, fd);
	EXPECT_LT(0, read(fd, buf, sizeof(buf) - 1));
	close(fd);
	EXPECT_STREQ("audit\n", buf);
	EXPECT_EQ(0, mv_write_knob(SYSFS, "mode", "auto"));
}

TEST(root_only)
{
	pid_t pid;
	int st;

	if (access(DEV, F_OK))
		SKIP(return, "pwsp not loaded");
	pid = mv_root_only_fork(DEV, SYSFS, knobs, 4, "1");
	ASSERT_LE(0, pid);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_EQ(0, WEXITSTATUS(st));
}

TEST_HARNESS_MAIN
