// SPDX-License-Identifier: GPL-2.0
/*
 * thp_encvm as QEMU's guest RAM: QEMU opens a scattered object by path
 * (memory-backend-file, share=on, mem-path=/proc/self/fd/<n>) and
 * boots a real kernel on it under KVM (nested in the test VM), with a
 * static /init (l2_init.c) that fills a buffer and checks it later.
 *
 * The test finds the guest's buffer in the object, takes QEMU's VM fd
 * with pidfd_getfd() and attaches the object from here, a process
 * other than the VMM. The guest never answers the ring, so every
 * collapse times out and rolls back; the guest then finds its buffer
 * intact. Detach while QEMU runs, QEMU's exit while attached, and the
 * last close after it are all clean: no splat in the kernel log.
 *
 * The guest's console goes to a file (-serial file:), which the test
 * reads as it grows; the test tells the guest to go on through the
 * object itself (struct l2_page).
 *
 * boots_on_an_object is opt-in (MEMVIRT_QEMU_BOOT=1, which make check
 * passes into its VM): in the test VM's single-threaded TCG the nested
 * guest's boot stalls in about half of the tries, at no fixed point;
 * plain memory-backend-ram does the same
 * (see the admin guide for the measurements), so the stall is not
 * thp_encvm's. A stalled try is killed after SILENT_S of console
 * silence and started again, up to BOOT_TRIES times.
 *
 * paused_machine_on_an_object runs by default: the same machine,
 * stopped before its vCPU first runs, so it depends on no boot.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <sched.h>
#include <glob.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "l2.h"
#include "tvm.h"

/*
 * The object is the guest's RAM. Its staging and shared windows are its
 * last 4 MiB, which the guest kernel leaves alone (memmap=4M$252M, as a
 * guest that cooperates would declare them): ATTACH wants both mapped.
 */
#define RAM_MB		256
#define STAGING_MB	(RAM_MB - 4)
#define SHARED_MB	(RAM_MB - 2)
#define OBJ_MB		RAM_MB
#define OBJ_WINS	(OBJ_MB / 2)
#define BOOT_WAIT_S	120	/* boots in 10 to 30 s; the tier stops a suite at 1500s */
#define BOOT_TRIES	3
#define SILENT_S	12	/* a boot is stuck: below the soft-lockup watchdog's 20 s */
#define STEP_WAIT_S	120

/* One run of QEMU and what the test keeps of it. */
struct qrun {
	struct mv_knobs k;
	int obj, vm, out, serial, kmsg;
	char serial_path[64];
	pid_t pid;
	char *log;
	size_t len;
};

FIXTURE(qemu) {
	struct qrun r;
};

FIXTURE_SETUP(qemu)
{
	struct qrun *r = &self->r;

	r->k = (struct mv_knobs){ .dir = SYSFS };
	r->obj = r->vm = r->out = r->serial = r->kmsg = -1;
	r->serial_path[0] = 0;
	r->pid = 0;
	r->log = calloc(1, 1);
	r->len = 0;
	if (access("/dev/kvm", R_OK | W_OK))
		SKIP(return, "no /dev/kvm");
	if (access(DEV, R_OK | W_OK) && !getenv("MEMVIRT_REQUIRE"))
		SKIP(return, "thp_encvm not loaded");
	ASSERT_EQ(0, access(DEV, R_OK | W_OK));
	mv_knobs_save(&r->k, "enabled");
	mv_knobs_save(&r->k, "scan_sleep_millisecs");
	mv_knobs_save(&r->k, "copy_timeout_ms");
	mv_knobs_save(&r->k, "pages_to_scan");
	ASSERT_EQ(0, write_knob("enabled", "0"));
}

FIXTURE_TEARDOWN(qemu)
{
	struct qrun *r = &self->r;

	if (r->pid > 0) {
		kill(r->pid, SIGKILL);
		waitpid(r->pid, NULL, 0);
	}
	if (r->k.n)
		write_knob("enabled", "0");
	mv_knobs_restore(&r->k);
	if (r->vm >= 0)
		close(r->vm);
	if (r->obj >= 0)
		close(r->obj);
	if (r->out >= 0)
		close(r->out);
	if (r->serial >= 0)
		close(r->serial);
	if (r->serial_path[0])
		unlink(r->serial_path);
	if (r->kmsg >= 0)
		close(r->kmsg);
	free(r->log);
}

/* The guest kernel: the running one's image, else the newest 6.12. */
static int find_kernel(char *path, size_t len)
{
	struct utsname u;
	glob_t g;

	uname(&u);
	snprintf(path, len, "/boot/vmlinuz-%s", u.release);
	if (!access(path, R_OK))
		return 0;
	if (glob("/boot/vmlinuz-6.12.*", 0, NULL, &g) || !g.gl_pathc)
		return -1;
	/* glob() sorts; the highest version sorts last in practice. */
	snprintf(path, len, "%s", g.gl_pathv[g.gl_pathc - 1]);
	globfree(&g);
	return 0;
}

static void append(struct qrun *r, const char *buf, size_t n)
{
	r->log = realloc(r->log, r->len + n + 1);
	memcpy(r->log + r->len, buf, n);
	r->len += n;
	r->log[r->len] = 0;
}

/*
 * Append what QEMU and the guest's console printed since last time,
 * waiting up to @ms; false once QEMU has closed its output.
 */
static bool pump(struct __test_metadata *_metadata, struct qrun *r,
		 int ms)
{
	struct pollfd p = { .fd = r->out, .events = POLLIN };
	bool alive = true;
	char buf[4096];
	ssize_t n;

	if (poll(&p, 1, ms) > 0) {
		n = read(r->out, buf, sizeof(buf));
		if (n > 0)
			append(r, buf, n);
		else
			alive = n < 0 && errno == EAGAIN;
	}
	while ((n = read(r->serial, buf, sizeof(buf))) > 0)
		append(r, buf, n);
	return alive;
}

/* Wait until QEMU printed @what; returns where, or NULL. */
static const char *wait_for(struct __test_metadata *_metadata,
			    struct qrun *r, const char *what, double secs)
{
	double end = now_s() + secs;
	const char *at;

	while (!strstr(r->log, what) && now_s() < end)
		if (!pump(_metadata, r, 200))
			break;
	at = strstr(r->log, what);
	if (!at)
		TH_LOG("no \"%s\" after %.0fs; QEMU said:\n%s", what, secs,
		       r->len > 3000 ? r->log + r->len - 3000 : r->log);
	return at;
}

/* QEMU's VM fd, taken from it: the one whose link is anon_inode:kvm-vm. */
static int take_vm_fd(pid_t pid)
{
	char dir[64], path[600], link[64];
	int pidfd, vm = -1;
	struct dirent *d;
	ssize_t n;
	DIR *dp;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", pid);
	dp = opendir(dir);
	if (!dp)
		return -1;
	pidfd = syscall(SYS_pidfd_open, pid, 0);
	while (pidfd >= 0 && vm < 0 && (d = readdir(dp))) {
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = 0;
		if (!strcmp(link, "anon_inode:kvm-vm"))
			vm = syscall(SYS_pidfd_getfd, pidfd, atoi(d->d_name), 0);
	}
	closedir(dp);
	if (pidfd >= 0)
		close(pidfd);
	return vm;
}

/*
 * A statistic of QEMU's VM from debugfs (its VM ioctls, the stats fd
 * among them, are for QEMU's own mm only), or -1.
 */
static long kvm_debugfs_stat(pid_t pid, const char *name)
{
	char pat[96];
	long v = -1;
	glob_t g;
	FILE *f;

	snprintf(pat, sizeof(pat), "/sys/kernel/debug/kvm/%d-*/%s", pid, name);
	if (glob(pat, 0, NULL, &g))
		return -1;
	f = g.gl_pathc == 1 ? fopen(g.gl_pathv[0], "r") : NULL;
	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	globfree(&g);
	return v;
}

/*
 * Pages of the guest's buffer found in the object, each counted once;
 * @first is where its first page is.
 */
static unsigned int find_buffer(int obj, unsigned int nonce, off_t *first)
{
	static unsigned char seen[L2_PAGES];
	unsigned int i, found = 0;
	char *m;

	m = te_map(obj, RAM_MB * MB);
	if (m == MAP_FAILED)
		return 0;
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < RAM_MB * MB / 4096; i++) {
		const struct l2_page *p = (const void *)(m + i * 4096UL);

		if (!memcmp(p->magic, L2_PAGE_MAGIC, sizeof(p->magic)) &&
		    p->nonce == nonce && p->index < L2_PAGES && !seen[p->index]) {
			seen[p->index] = 1;
			found++;
			if (!p->index)
				*first = i * 4096UL;
		}
	}
	munmap(m, RAM_MB * MB);
	return found;
}

/* Tell the guest to go on: the nonce in its first page's header. */
static int tell_guest(int obj, off_t first, unsigned int nonce)
{
	struct l2_page *p;

	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, obj, first);
	if (p == MAP_FAILED)
		return -1;
	__atomic_store_n(&p->go, nonce, __ATOMIC_RELEASE);
	munmap(p, 4096);
	return 0;
}

/* Kernel log lines since @fd was opened that look like a splat. */
static int splats(struct __test_metadata *_metadata, int fd)
{
	char rec[2048];
	int found = 0;

	while (te_kmsg_next_splat(fd, rec, sizeof(rec))) {
		TH_LOG("kernel: %s", rec);
		found++;
	}
	return found;
}

/*
 * QEMU with object @obj as its RAM, booting @kernel with @initrd; with
 * @kernel NULL, stopped before its vCPU first runs (-S), with its QMP
 * monitor on the Unix socket at path @initrd, the machine otherwise set
 * up the same.
 */
static pid_t spawn_qemu(int obj, const char *kernel, const char *initrd,
			const char *console, unsigned int nonce, int *out)
{
	char mem[160], append[96], size[16], serial[80];
	int pout[2];
	pid_t pid;

	snprintf(size, sizeof(size), "%uM", RAM_MB);
	snprintf(mem, sizeof(mem),
		 "memory-backend-file,id=ram0,size=%uM,mem-path=/proc/self/fd/%d,share=on,align=2M",
		 RAM_MB, obj);
	snprintf(append, sizeof(append), "console=ttyS0 panic=-1 memmap=4M$%uM te_nonce=%#x",
		 STAGING_MB, nonce);
	snprintf(serial, sizeof(serial), "file:%s", console);
	if (pipe2(pout, O_CLOEXEC))
		return -1;
	pid = fork();
	if (!pid) {
		/*
		 * -cpu qemu64, not host: the test VM's TCG CPU reports XSAVE
		 * sizes that the guest kernel finds inconsistent, and it
		 * stops booting. Without kvmclock: with it, the guest on a
		 * scattered object stalled or restarted in the middle of
		 * its boot, every time, under the test VM's unstable TCG
		 * TSC; on an unscattered object, or with the TSC as its
		 * clock, it boots in about 17 s.
		 */
		char *const boot[] = {
			"qemu-system-x86_64", "-nodefaults", "-no-reboot",
			"-display", "none", "-accel", "kvm", "-cpu", "qemu64,-kvmclock",
			"-smp", "1", "-m", size,
			"-machine", "pc,memory-backend=ram0", "-object", mem,
			"-kernel", (char *)kernel, "-initrd", (char *)initrd,
			"-append", append, "-serial", serial, NULL,
		};
		char qmp[96];
		char *const paused[] = {
			"qemu-system-x86_64", "-nodefaults", "-no-reboot", "-S",
			"-display", "none", "-accel", "kvm", "-cpu", "qemu64",
			"-smp", "1", "-m", size,
			"-machine", "pc,memory-backend=ram0", "-object", mem,
			"-serial", serial, "-qmp", qmp, NULL,
		};
		char *const *argv = kernel ? boot : paused;

		snprintf(qmp, sizeof(qmp), "unix:%s,server=on,wait=off", initrd);
		int nul = open("/dev/null", O_RDONLY);
		cpu_set_t cpus;

		/*
		 * One CPU of the test VM for all of QEMU: a vCPU that moves
		 * between its CPUs sees its TSC offset rewritten (the TCG
		 * TSC is unstable), and the guest kernel may stall for good.
		 */
		CPU_ZERO(&cpus);
		CPU_SET(sched_getcpu() > 0 ? sched_getcpu() : 0, &cpus);
		sched_setaffinity(0, sizeof(cpus), &cpus);
		/* The object fd stays open across exec: QEMU opens its path. */
		if (nul < 0 || dup2(nul, 0) < 0 || dup2(pout[1], 1) < 0 ||
		    dup2(pout[1], 2) < 0 || fcntl(obj, F_SETFD, 0))
			_exit(126);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(pout[1]);
	if (pid < 0) {
		close(pout[0]);
		return -1;
	}
	*out = pout[0];
	return pid;
}

/* Wait up to @secs for QEMU to exit; its wait status, or -1. */
static int wait_exit(struct __test_metadata *_metadata, struct qrun *r,
		     double secs)
{
	double end = now_s() + secs;
	int status;

	while (now_s() < end) {
		pid_t w = waitpid(r->pid, &status, WNOHANG);

		if (w == r->pid) {
			r->pid = 0;
			return status;
		}
		pump(_metadata, r, 100);
	}
	return -1;
}

/*
 * Start QEMU and wait for the guest's init. Under the test VM's TCG a
 * nested guest now and then stops making progress in its boot, at no
 * fixed point: its console falls silent while its vCPU keeps the test
 * VM's CPU. A boot whose console stays silent for SILENT_S is killed
 * and started again, up to BOOT_TRIES times, before the test VM's
 * soft-lockup watchdog would fire. Returns the attempt that came up,
 * or 0.
 */
static int boot_guest(struct __test_metadata *_metadata, struct qrun *r,
		      const char *kernel, const char *initrd, unsigned int nonce)
{
	int attempt;

	for (attempt = 1; attempt <= BOOT_TRIES; attempt++) {
		double now, last = now_s(), end = last + BOOT_WAIT_S;
		size_t len = 0;

		r->len = 0;
		r->log[0] = 0;
		/* QEMU truncates the console file; read it from the start. */
		lseek(r->serial, 0, SEEK_SET);
		r->pid = spawn_qemu(r->obj, kernel, initrd, r->serial_path, nonce,
				    &r->out);
		if (r->pid <= 0)
			return 0;
		fcntl(r->out, F_SETFL, O_NONBLOCK);
		while (!strstr(r->log, L2_MARK " up") && (now = now_s()) < end) {
			if (!pump(_metadata, r, 200))
				break;
			if (r->len != len) {
				len = r->len;
				last = now;
			} else if (now - last > SILENT_S) {
				break;
			}
		}
		if (strstr(r->log, L2_MARK " up"))
			return attempt;
		TH_LOG("try %d: no \"%s up\", console silent for %.0fs; it said last:\n%s",
		       attempt, L2_MARK, now_s() - last,
		       r->len > 1500 ? r->log + r->len - 1500 : r->log);
		kill(r->pid, SIGKILL);
		waitpid(r->pid, NULL, 0);
		r->pid = 0;
		close(r->out);
		r->out = -1;
	}
	return 0;
}

/* The object QEMU takes as its RAM: scattered, its windows at its end. */
static struct thp_encvm_create qemu_create(void)
{
	return (struct thp_encvm_create){
		.size = OBJ_MB * MB,
		.shared_offset = SHARED_MB * MB,
		.shared_size = 64 * 1024,
		.ring_offset = SHARED_MB * MB,
		.staging_offset = STAGING_MB * MB,
		.flags = THP_ENCVM_CREATE_SCATTER,
		.node = -1,
	};
}

TEST_F_TIMEOUT(qemu, boots_on_an_object, 900)
{
	struct thp_encvm_create c = qemu_create();
	struct thp_encvm_attach a = { .eventfd = -1, .gpa = 0 };
	char kernel[256], initrd[PATH_MAX], exe[PATH_MAX];
	long objects0, timeouts0, pages4k;
	unsigned int nonce, found, bad = ~0u;
	struct thp_encvm_info info;
	double t0, t_up, end;
	off_t first = -1;
	struct qrun *r = &self->r;
	const char *at;
	int dev, status, got, tries;
	ssize_t n;

	if (!getenv("MEMVIRT_QEMU_BOOT") || strcmp(getenv("MEMVIRT_QEMU_BOOT"), "1"))
		SKIP(return, "opt-in: nested boots under TCG stall too often (MEMVIRT_QEMU_BOOT=1)");
	ASSERT_EQ(0, find_kernel(kernel, sizeof(kernel)));
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	ASSERT_LT(0, n);
	exe[n] = 0;
	snprintf(initrd, sizeof(initrd), "%s/l2/initramfs.cpio", dirname(exe));
	ASSERT_EQ(0, access(initrd, R_OK)) TH_LOG("no %s", initrd);
	r->kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ASSERT_LE(0, r->kmsg);
	lseek(r->kmsg, 0, SEEK_END);
	/* Objects of earlier tests may still be on their way out. */
	objects0 = wait_objects(0);
	timeouts0 = read_knob("collapse_failed/timeout");

	dev = open(DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, dev);
	r->obj = te_create(dev, &c);
	close(dev);
	ASSERT_LE(0, r->obj);
	nonce = (getpid() * 2654435761u) ^ (unsigned int)time(NULL);
	snprintf(r->serial_path, sizeof(r->serial_path), "/tmp/thp_encvm_qemu.XXXXXX");
	r->serial = mkstemp(r->serial_path);
	ASSERT_LE(0, r->serial);
	t0 = now_s();
	tries = boot_guest(_metadata, r, kernel, initrd, nonce);
	ASSERT_LT(0, tries);
	t_up = now_s() - t0;
	ASSERT_NE(NULL, wait_for(_metadata, r, L2_MARK " filled", STEP_WAIT_S));
	TH_LOG("%s: init up after %.1fs (boot %d), buffer filled after %.1fs", kernel,
	       t_up, tries, now_s() - t0);

	/* The guest's RAM is the object: its buffer is in there. */
	found = find_buffer(r->obj, nonce, &first);
	EXPECT_EQ(L2_PAGES, found);
	ASSERT_LE(0, first);

	/* Attach from here, with QEMU's VM fd; KVM maps the object. */
	r->vm = take_vm_fd(r->pid);
	ASSERT_LE(0, r->vm);
	/* KVM maps the guest's RAM 4 KiB at a time: the object is scattered. */
	pages4k = kvm_debugfs_stat(r->pid, "pages_4k");
	if (!access("/sys/kernel/debug/kvm", R_OK))
		EXPECT_LT(0, pages4k);
	a.vm_fd = r->vm;
	ASSERT_EQ(0, ioctl(r->obj, THP_ENCVM_IOC_ATTACH, &a));
	info = info_of(r->obj);
	EXPECT_EQ(THP_ENCVM_ATTACHED, info.state);
	EXPECT_EQ(0, info.gpa);

	/* The guest never answers: collapses time out and roll back. */
	ASSERT_EQ(0, write_knob("copy_timeout_ms", "50"));
	ASSERT_EQ(0, write_knob("scan_sleep_millisecs", "10"));
	ASSERT_EQ(0, write_knob("pages_to_scan", "4096"));
	ASSERT_EQ(0, write_knob("enabled", "1"));
	end = now_s() + STEP_WAIT_S;
	while ((info = info_of(r->obj)).aborts < 4 && now_s() < end &&
	       pump(_metadata, r, 50))
		;
	ASSERT_EQ(0, write_knob("enabled", "0"));
	EXPECT_LE(4, info.aborts);
	EXPECT_EQ(0, info.collapses);
	EXPECT_EQ(0, info.huge);
	EXPECT_LE(timeouts0 + 4, read_knob("collapse_failed/timeout"));
	TH_LOG("%llu collapses rolled back, KVM had %ld 4K mappings",
	       (unsigned long long)info.aborts, pages4k);

	/* Detach while QEMU runs; attach again, and QEMU exits attached. */
	ASSERT_EQ(0, ioctl(r->obj, THP_ENCVM_IOC_DETACH));
	EXPECT_EQ(THP_ENCVM_DETACHED, info_of(r->obj).state);
	ASSERT_EQ(0, ioctl(r->obj, THP_ENCVM_IOC_ATTACH, &a));

	/* The guest checks its buffer and powers off. */
	ASSERT_EQ(0, tell_guest(r->obj, first, nonce));
	at = wait_for(_metadata, r, L2_MARK " verified", STEP_WAIT_S);
	ASSERT_NE(NULL, at);
	got = sscanf(at, L2_MARK " verified %*u bad %u", &bad);
	EXPECT_EQ(1, got);
	EXPECT_EQ(0, bad);
	status = wait_exit(_metadata, r, STEP_WAIT_S);
	ASSERT_NE(-1, status) TH_LOG("QEMU did not exit");
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("QEMU said:\n%s", r->log);
	TH_LOG("QEMU exited %.1fs after it started", now_s() - t0);

	/* QEMU is gone; the object, still attached, holds its VM. */
	EXPECT_EQ(THP_ENCVM_ATTACHED, info_of(r->obj).state);
	close(r->vm);
	r->vm = -1;
	/* The last close detaches and frees the object, and the VM goes. */
	close(r->obj);
	r->obj = -1;
	EXPECT_EQ(objects0, read_knob("objects"));
	EXPECT_EQ(0, splats(_metadata, r->kmsg));
}

/*
 * Wait until QEMU's QMP monitor at @path greets: QEMU serves it only
 * once its machine is set up, memslots included. Returns 0 or -1.
 */
static int qmp_greeted(const char *path, double secs)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	double end = now_s() + secs;
	char buf[512];
	ssize_t n;
	int fd;

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	while (now_s() < end) {
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -1;
		if (!connect(fd, (struct sockaddr *)&a, sizeof(a))) {
			struct pollfd p = { .fd = fd, .events = POLLIN };

			n = poll(&p, 1, (int)((end - now_s()) * 1000)) > 0 ?
			    read(fd, buf, sizeof(buf) - 1) : -1;
			close(fd);
			if (n <= 0)
				return -1;
			buf[n] = 0;
			return strstr(buf, "\"QMP\"") ? 0 : -1;
		}
		close(fd);
		usleep(100000);
	}
	return -1;
}

/*
 * QEMU's flat view of guest-physical memory ("info mtree -f" through
 * QMP at @path) into @buf. QEMU updates KVM's memslots in the same step
 * as the flat view, on the thread that answers. Returns 0 or -1.
 */
static int qmp_flat_view(const char *path, char *buf, size_t len)
{
	static const char caps[] = "{\"execute\":\"qmp_capabilities\"}\n";
	static const char cmd[] =
		"{\"execute\":\"human-monitor-command\",\"arguments\":{\"command-line\":\"info mtree -f\"}}\n";
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	size_t got = 0;
	int fd, step;
	ssize_t n;

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return -1;
	}
	/* Greeting, then the capabilities' reply, then the view. */
	for (step = 0; step < 3; step++) {
		const char *want = step ? "\"return\"" : "\"QMP\"";

		got = 0;
		buf[0] = 0;
		do {
			struct pollfd p = { .fd = fd, .events = POLLIN };

			if (poll(&p, 1, 10000) <= 0)
				goto fail;
			n = read(fd, buf + got, len - 1 - got);
			if (n <= 0)
				goto fail;
			got += n;
			buf[got] = 0;
		} while (got < len - 1 && (!strstr(buf, want) || buf[got - 1] != '\n'));
		if (step < 2 && write(fd, step ? cmd : caps, step ? sizeof(cmd) - 1 :
				      sizeof(caps) - 1) <= 0)
			goto fail;
	}
	close(fd);
	return 0;
fail:
	close(fd);
	return -1;
}

/*
 * The machine of boots_on_an_object, stopped before its vCPU first runs
 * (-S): no guest boot, so nothing here depends on how a nested boot
 * fares under the test VM's TCG, and it runs by default. QEMU takes the
 * object as its RAM by path; the test takes QEMU's VM fd from another
 * process once QEMU's monitor says the machine is set up, and attaches.
 * QEMU's pc machine maps no memslot onto the object's pages at
 * 0xc0000-0xfffff (option ROM and BIOS until the firmware makes it RAM;
 * -nodefaults: no VGA window): ATTACH accepts them, and the window that
 * holds them (window 0) is not eligible, while every other window but
 * the staging and shared ones is. QEMU's exit (SIGTERM) with the object
 * attached, and the last close, free everything, with no splat.
 */
TEST_F_TIMEOUT(qemu, paused_machine_on_an_object, 300)
{
	struct thp_encvm_create c = qemu_create();
	struct thp_encvm_attach a = { .eventfd = -1, .gpa = 0 };
	struct thp_encvm_info info;
	static char view[65536];
	bool flat = false;
	double end;
	struct qrun *r = &self->r;
	char qmp[80];
	long objects0;
	int dev, status;

	r->kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ASSERT_LE(0, r->kmsg);
	lseek(r->kmsg, 0, SEEK_END);
	objects0 = wait_objects(0);
	dev = open(DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, dev);
	r->obj = te_create(dev, &c);
	close(dev);
	ASSERT_LE(0, r->obj);
	snprintf(r->serial_path, sizeof(r->serial_path), "/tmp/thp_encvm_qemu.XXXXXX");
	r->serial = mkstemp(r->serial_path);
	ASSERT_LE(0, r->serial);
	snprintf(qmp, sizeof(qmp), "%s.qmp", r->serial_path);
	r->pid = spawn_qemu(r->obj, NULL, qmp, r->serial_path, 0, &r->out);
	ASSERT_LT(0, r->pid);
	fcntl(r->out, F_SETFL, O_NONBLOCK);
	ASSERT_EQ(0, qmp_greeted(qmp, STEP_WAIT_S)) {
		pump(_metadata, r, 100);
		TH_LOG("no QMP greeting; QEMU said:\n%s", r->log);
	}
	/*
	 * QEMU may set up its legacy range after it greets: wait until its
	 * flat view (and its memslots with it) has the option and BIOS ROM
	 * at 0xc0000-0xfffff and its RAM, ram0, going on at 1 MiB.
	 */
	end = now_s() + STEP_WAIT_S;
	while (!(flat = !qmp_flat_view(qmp, view, sizeof(view)) &&
		 strstr(view, "ram0 @0000000000100000")) && now_s() < end)
		usleep(100000);
	ASSERT_TRUE(flat) TH_LOG("QEMU's flat view:\n%.2000s", view);
	unlink(qmp);
	r->vm = take_vm_fd(r->pid);
	ASSERT_LE(0, r->vm);
	a.vm_fd = r->vm;
	ASSERT_EQ(0, ioctl(r->obj, THP_ENCVM_IOC_ATTACH, &a)) TH_LOG("%s", strerror(errno));
	info = info_of(r->obj);
	EXPECT_EQ(THP_ENCVM_ATTACHED, info.state);
	EXPECT_EQ(0, info.gpa);
	EXPECT_EQ(OBJ_WINS, info.windows);
	/* All but window 0 (the legacy hole), staging and shared. */
	EXPECT_EQ(OBJ_WINS - 3, info.eligible);

	/* QEMU shuts down on SIGTERM, then raises it again to end. */
	ASSERT_EQ(0, kill(r->pid, SIGTERM));
	status = wait_exit(_metadata, r, STEP_WAIT_S);
	ASSERT_NE(-1, status) TH_LOG("QEMU did not exit");
	EXPECT_TRUE(WIFEXITED(status) ? !WEXITSTATUS(status) :
		    WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM)
		TH_LOG("QEMU ended with status %#x; it said:\n%s", status, r->log);
	close(r->vm);
	r->vm = -1;
	close(r->obj);
	r->obj = -1;
	EXPECT_EQ(objects0, wait_objects(objects0));
	EXPECT_EQ(0, splats(_metadata, r->kmsg));
}

TEST_HARNESS_MAIN
