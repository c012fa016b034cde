// SPDX-License-Identifier: GPL-2.0
/*
 * maint_cmd user ABI with good and bad input: model creation, the
 * device's knobs and mem_repair0 files, the global knobs, the event
 * stream, root-only access, capability gating (nothing goes out that
 * the device did not advertise) and the documented sysfs files.
 */
#include <dirent.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "memvirt_ksft.h"
#include "mc_util.h"

/* All but Perform Maintenance (bit 8) and Inject Poison (bit 11). */
#define OPS_NO_REPAIR	"0xf6ff"

static void need_module(struct __test_metadata *_metadata)
{
	if (access(MC_DBG "create", W_OK) && !getenv("MEMVIRT_REQUIRE"))
		SKIP(return, "maint_cmd not loaded");
	ASSERT_EQ(0, access(MC_DBG "create", W_OK));
	if (access("/sys/devices/system/node/node1", F_OK))
		SKIP(return, "no NUMA node 1");
}

FIXTURE(mc) {
	char dev[16];
	char dev2[16];
	struct mv_knobs knobs;
};

FIXTURE_SETUP(mc)
{
	self->dev[0] = 0;
	self->dev2[0] = 0;
	self->knobs = (struct mv_knobs){ .dir = MC_MM };
	need_module(_metadata);
	ASSERT_EQ(0, mc_create("nid=1 pages=1024", self->dev, sizeof(self->dev)));
}

FIXTURE_TEARDOWN_PARENT(mc)
{
	mv_knobs_restore(&self->knobs);
	if (self->dev[0])
		mc_destroy(self->dev);
	if (self->dev2[0])
		mc_destroy(self->dev2);
}

TEST_F(mc, create_rejects_bad_input)
{
	char name[16], big[300];

	EXPECT_EQ(-EINVAL, mc_create("nid=99", name, sizeof(name)));
	EXPECT_EQ(-EINVAL, mc_create("nid=-1", name, sizeof(name)));
	EXPECT_EQ(-EINVAL, mc_create("pages=1", name, sizeof(name)));
	EXPECT_EQ(-EINVAL, mc_create("nid=1 bogus=1", name, sizeof(name)));
	EXPECT_EQ(-EINVAL, mc_create("nid=1 ops=0xffffffff", name, sizeof(name)));
	EXPECT_EQ(-EINVAL, mc_create("nid=1 feats=16", name, sizeof(name)));
	EXPECT_EQ(-EINVAL, mc_create("nid=1 offline_only=4", name, sizeof(name)));
	EXPECT_EQ(-ERANGE, mc_create("nid=1 first=0xffffffffffff", name, sizeof(name)));
	EXPECT_EQ(-ERANGE, mc_create("nid=1 pages=99999999999999999999999", name,
				     sizeof(name)));
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	EXPECT_EQ(-EINVAL, mc_create(big, name, sizeof(name)));
	/* A device without Identify cannot be discovered. */
	EXPECT_EQ(-EOPNOTSUPP, mc_create("nid=1 first=2048 pages=16 ops=0xfdff", name,
					 sizeof(name)));
	EXPECT_EQ(-ENOENT, mc_destroy("mc15"));
	EXPECT_EQ(-EINVAL, mc_destroy("zz"));
}

/* 0 or -errno: a device made from @spec, destroyed again. */
static int mc_create_gone(const char *spec)
{
	char name[16];
	int ret = mc_create(spec, name, sizeof(name));

	/* Made after all: not left behind for the next test. */
	if (!ret)
		mc_destroy(name);
	return ret;
}

/*
 * No two devices share a page: each page has one device's lock and
 * record of pages taken offline. A device whose media overlaps one
 * that exists is refused (EBUSY); one next to it is not, and the pages
 * of a removed device are free again.
 */
TEST_F(mc, overlapping_media_is_refused)
{
	EXPECT_EQ(-EBUSY, mc_create_gone("nid=1"));
	EXPECT_EQ(-EBUSY, mc_create_gone("nid=1 first=1023 pages=1"));
	EXPECT_EQ(-EBUSY, mc_create_gone("nid=1 first=512 pages=4096"));
	ASSERT_EQ(0, mc_create("nid=1 first=1024 pages=1024", self->dev2,
			       sizeof(self->dev2)));
	EXPECT_EQ(-EBUSY, mc_create_gone("nid=1 first=1000 pages=48"));
	ASSERT_EQ(0, mc_destroy(self->dev));
	self->dev[0] = 0;
	ASSERT_EQ(0, mc_create("nid=1 first=1023 pages=1", self->dev, sizeof(self->dev)));
	EXPECT_EQ(-EBUSY, mc_create_gone("nid=1 first=1023 pages=2"));
}

/*
 * Every allocation of a device's creation fails in turn (fail-nth,
 * slab and page allocator): each failure is a clean error, and the
 * tier's kmemleak and log checks see no leak and no splat.
 */
TEST_F_TIMEOUT(mc, create_survives_allocation_failures, 240)
{
	const char *fs = "/sys/kernel/debug/failslab/ignore-gfp-wait";
	const char *fp = "/sys/kernel/debug/fail_page_alloc/ignore-gfp-wait";
	const char *vs = "/sys/kernel/debug/failslab/verbose";
	const char *vp = "/sys/kernel/debug/fail_page_alloc/verbose";
	const char *spec = "nid=1 first=2048 pages=64";
	int nth, fd, nfd, ret, failed = 0, done = 0;
	char val[16], name[16], old_s[8] = "", old_p[8] = "";
	char old_vs[8] = "", old_vp[8] = "";

	nfd = open("/proc/thread-self/fail-nth", O_RDWR);
	if (nfd < 0 || access(fs, W_OK))
		SKIP(return, "no fault injection in this kernel");
	mc_read_file(fs, old_s, sizeof(old_s));
	mc_read_file(fp, old_p, sizeof(old_p));
	mc_read_file(vs, old_vs, sizeof(old_vs));
	mc_read_file(vp, old_vp, sizeof(old_vp));
	/* No stack dump per injected failure: the log must stay clean. */
	ASSERT_EQ(0, mc_write_file(vs, "0"));
	mc_write_file(vp, "0");
	ASSERT_EQ(0, mc_write_file(fs, "N"));
	mc_write_file(fp, "N");
	/* Each of the first 48, then every 5th: sysfs and debugfs files. */
	for (nth = 1; nth < 400 && !done; nth += nth < 48 ? 1 : 5) {
		fd = open(MC_DBG "create", O_RDWR);
		ASSERT_LE(0, fd);
		snprintf(val, sizeof(val), "%d", nth);
		ASSERT_LT(0, pwrite(nfd, val, strlen(val), 0));
		/* Beside the fixture's device: media never overlap. */
		ret = write(fd, spec, strlen(spec)) < 0 ? -errno : 0;
		/* Not consumed: creation makes fewer than nth allocations. */
		ASSERT_LT(0, pread(nfd, val, sizeof(val) - 1, 0));
		done = atoi(val) != 0;
		pwrite(nfd, "0", 1, 0);
		close(fd);
		if (ret) {
			EXPECT_EQ(-ENOMEM, ret) TH_LOG("allocation %d", nth);
			failed++;
		} else {
			ASSERT_EQ(0, mc_read_file(MC_DBG "create", name, sizeof(name)));
			name[strcspn(name, "\n")] = 0;
			EXPECT_EQ(0, mc_destroy(name));
		}
	}
	close(nfd);
	mc_write_file(fs, old_s[0] == 'Y' ? "Y" : "N");
	mc_write_file(fp, old_p[0] == 'Y' ? "Y" : "N");
	mc_write_file(vs, old_vs[0] ? old_vs : "2");
	mc_write_file(vp, old_vp[0] ? old_vp : "2");
	TH_LOG("up to allocation %d, %d failed cleanly", nth, failed);
	EXPECT_TRUE(done);
	EXPECT_LE(3, failed);
}

TEST_F(mc, device_reports_discovery)
{
	char path[256], buf[512];

	snprintf(path, sizeof(path), MC_CLASS "%s/capabilities", self->dev);
	ASSERT_EQ(0, mc_read_file(path, buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, "perform_maintenance"));
	EXPECT_NE(NULL, strstr(buf, "get_events"));
	snprintf(path, sizeof(path), MC_CLASS "%s/features", self->dev);
	ASSERT_EQ(0, mc_read_file(path, buf, sizeof(buf)));
	EXPECT_STREQ("soft_ppr hard_ppr host_caps row_sparing\n", buf);
	EXPECT_EQ(1024 * MC_PAGE, mc_dev_read(self->dev, "capacity"));
	EXPECT_EQ(1, mc_dev_read(self->dev, "media_node"));
	/* The host told the device what it handles. */
	EXPECT_EQ(31, mc_model_stat(self->dev, "host_caps"));
	EXPECT_EQ(0, mc_model_stat(self->dev, "unadvertised"));
}

TEST_F(mc, knobs_reject_bad_values)
{
	const char *d = self->dev;

	EXPECT_EQ(-EINVAL, mc_dev_write(d, "auto_repair", "2"));
	EXPECT_EQ(-EINVAL, mc_dev_write(d, "auto_repair", "-1"));
	EXPECT_EQ(-EINVAL, mc_dev_write(d, "auto_repair", "x"));
	EXPECT_EQ(-EINVAL, mc_dev_write(d, "repair_mode", "medium"));
	EXPECT_EQ(0, mc_dev_write(d, "repair_mode", "hard"));
	EXPECT_EQ(0, mc_dev_write(d, "repair_mode", "soft\n"));
	EXPECT_EQ(-EINVAL, mc_dev_write(d, "max_actions", "0"));
	EXPECT_EQ(-EINVAL, mc_dev_write(d, "max_actions", "65"));
	EXPECT_EQ(0, mc_dev_write(d, "max_actions", "8"));
	EXPECT_EQ(8, mc_dev_read(d, "max_actions"));
	EXPECT_EQ(-EINVAL, mc_dev_write(d, "use_irq", "3"));
	EXPECT_EQ(-EINVAL, mc_dev_write(d, "trigger_poison_list", "0"));
	EXPECT_EQ(-EINVAL, mc_dev_write(d, "scan_media", "maybe"));
	EXPECT_EQ(-EINVAL, mc_dev_write(d, "mem_repair0/persist_mode", "2"));
	EXPECT_EQ(-EINVAL, mc_dev_write(d, "mem_repair0/nibble_mask", "0x1000000"));
	EXPECT_EQ(-EINVAL, mc_dev_write_num(d, "mem_repair0/dpa", 1024 * MC_PAGE));
	EXPECT_EQ(-ERANGE, mc_dev_write(d, "mem_repair0/dpa", "0x10000000000000000"));
	EXPECT_EQ(-EINVAL, mc_dev_write_num(d, "mem_repair0/hpa",
					    mc_dev_read(d, "mem_repair0/min_hpa") - 1));
	EXPECT_EQ(-EINVAL, mc_dev_write_num(d, "mem_repair0/hpa",
					    mc_dev_read(d, "mem_repair0/max_hpa") + 1));
	EXPECT_EQ(0, mc_dev_write_num(d, "mem_repair0/hpa",
				      mc_dev_read(d, "mem_repair0/min_hpa") + 0x1234));
	EXPECT_EQ(0x1200, mc_dev_read(d, "mem_repair0/dpa"));
	EXPECT_EQ(-EINVAL, mc_dev_write(d, "mem_repair0/repair", "2"));
	/* Online memory the device never reported: the repair rule says no. */
	EXPECT_EQ(-EPERM, mc_dev_write(d, "mem_repair0/repair", "1"));
	/* Read-only files refuse writes. */
	EXPECT_EQ(-EACCES, mc_dev_write(d, "capacity", "1"));
	EXPECT_EQ(-EACCES, mc_dev_write(d, "mem_repair0/max_dpa", "1"));
	/* mem_repair1, row sparing: permanent only, its own address. */
	EXPECT_EQ(1, mc_dev_read(d, "mem_repair1/persist_mode"));
	EXPECT_EQ(-EINVAL, mc_dev_write(d, "mem_repair1/persist_mode", "0"));
	EXPECT_EQ(-EINVAL, mc_dev_write(d, "mem_repair1/persist_mode", "2"));
	EXPECT_EQ(-EINVAL, mc_dev_write_num(d, "mem_repair1/dpa", 1024 * MC_PAGE));
	EXPECT_EQ(-EINVAL, mc_dev_write_num(d, "mem_repair1/hpa",
					    mc_dev_read(d, "mem_repair1/max_hpa") + 1));
	EXPECT_EQ(-EINVAL, mc_dev_write(d, "mem_repair1/nibble_mask", "0x1000000"));
	EXPECT_EQ(0, mc_dev_write(d, "mem_repair1/dpa", "0x2047"));
	EXPECT_EQ(0x2040, mc_dev_read(d, "mem_repair1/dpa"));
	EXPECT_EQ(0x1200, mc_dev_read(d, "mem_repair0/dpa"));
	EXPECT_EQ(-EINVAL, mc_dev_write(d, "mem_repair1/repair", "0"));
	EXPECT_EQ(-EPERM, mc_dev_write(d, "mem_repair1/repair", "1"));
	EXPECT_EQ(0, mc_model_stat(d, "row_sparing"));
	EXPECT_EQ(-EACCES, mc_dev_write(d, "mem_repair1/repair_type", "ppr"));
}

TEST_F(mc, global_knobs_reject_bad_values)
{
	mv_knobs_save(&self->knobs, "cmd_timeout_ms");
	mv_knobs_save(&self->knobs, "max_pending");
	EXPECT_EQ(-EINVAL, mv_write_knob(MC_MM, "cmd_timeout_ms", "0"));
	EXPECT_EQ(-EINVAL, mv_write_knob(MC_MM, "cmd_timeout_ms", "60001"));
	EXPECT_EQ(-EINVAL, mv_write_knob(MC_MM, "bg_timeout_ms", "9"));
	EXPECT_EQ(-EINVAL, mv_write_knob(MC_MM, "offline_timeout_ms", "x"));
	EXPECT_EQ(-EINVAL, mv_write_knob(MC_MM, "max_pending", "0"));
	EXPECT_EQ(-EINVAL, mv_write_knob(MC_MM, "max_pending", "65537"));
	EXPECT_EQ(-EACCES, mv_write_knob(MC_MM, "devices", "3"));
	EXPECT_EQ(0, mv_write_knob(MC_MM, "max_pending", "64"));
	EXPECT_EQ(64, mv_read_knob(MC_MM, "max_pending"));
	EXPECT_LE(1, mv_read_knob(MC_MM, "devices"));
}

TEST_F(mc, debugfs_injection_rejects_bad_input)
{
	const char *d = self->dev;

	EXPECT_EQ(-EINVAL, mc_dbg_write(d, "inject_event", "gm"));
	EXPECT_EQ(-EINVAL, mc_dbg_write(d, "inject_event", "foo 0x40 1"));
	EXPECT_EQ(-EINVAL, mc_dbg_write(d, "inject_event", "gm 0x41 1"));
	EXPECT_EQ(-EINVAL, mc_dbg_write(d, "inject_event", "gm 0x400000 1"));
	EXPECT_EQ(-EINVAL, mc_dbg_write(d, "inject_event", "gm 0x40 4"));
	EXPECT_EQ(-EINVAL, mc_dbg_write(d, "inject_event", "dram 0x40 1 row=0x1000000"));
	EXPECT_EQ(-EINVAL, mc_dbg_write(d, "inject_event", "gm 0x40 1 sparkles"));
	EXPECT_EQ(-EINVAL, mc_dbg_write(d, "inject_poison", "0x41"));
	EXPECT_EQ(-EINVAL, mc_dbg_write(d, "inject_poison", "0x400000"));
	EXPECT_EQ(-EINVAL, mc_dbg_write(d, "clear_poison", "junk"));
}

TEST_F(mc, event_stream_bad_use)
{
	struct maint_cmd_event e;
	char small[8];
	void *bad;
	int fd, fd2;

	fd = mc_open_events(self->dev, O_RDONLY | O_NONBLOCK);
	ASSERT_LE(0, fd);
	fd2 = mc_open_events(self->dev, O_RDONLY);
	EXPECT_EQ(-EBUSY, fd2);
	EXPECT_EQ(-1, read(fd, small, sizeof(small)));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, read(fd, &e, sizeof(e)));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(-1, ioctl(fd, 0x1234, 0));
	EXPECT_EQ(ENOTTY, errno);
	/* An unmapped buffer: nothing to copy yet, so still EAGAIN. */
	bad = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, bad);
	munmap(bad, 4096);
	EXPECT_EQ(-1, read(fd, bad, sizeof(e) * 2));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0));
	close(fd);
	/* Closed: a new reader may come. */
	fd = mc_open_events(self->dev, O_RDONLY);
	EXPECT_LE(0, fd);
	close(fd);
}

/* Poison injected through the mailbox comes back from the poison list. */
TEST_F(mc, poison_list_round_trip)
{
	struct maint_cmd_event e;
	int fd = mc_open_events(self->dev, O_RDONLY);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, mc_dbg_write(self->dev, "inject_poison", "0x2040"));
	ASSERT_EQ(0, mc_dev_write(self->dev, "trigger_poison_list", "1"));
	ASSERT_EQ(0, mc_wait_event(fd, &e, MAINT_CMD_EV_POISON, 0x2040, 30000));
	EXPECT_TRUE(e.flags & MAINT_CMD_EVF_UNCORRECTABLE);
	EXPECT_EQ(mc_dev_read(self->dev, "mem_repair0/min_hpa") + 0x2040, e.hpa);
	ASSERT_EQ(0, mc_dev_write(self->dev, "scan_media", "1"));
	ASSERT_EQ(0, mc_wait_event(fd, &e, MAINT_CMD_EV_SCAN, 0x2040, 30000));
	ASSERT_EQ(0, mc_dbg_write(self->dev, "clear_poison", "0x2040"));
	EXPECT_EQ(1, mc_dev_read(self->dev, "poison_cleared"));
	ASSERT_EQ(0, mc_dev_write(self->dev, "trigger_poison_list", "1"));
	EXPECT_EQ(-ETIMEDOUT, mc_next_event(fd, &e, 300));
	close(fd);
}

/*
 * A poison list longer than one reply (62 records): the host pages on
 * after each reply's last record, and every entry arrives exactly once.
 */
#define MC_LONG_LIST	150

TEST_F(mc, poison_list_longer_than_a_page)
{
	static unsigned char seen[MC_LONG_LIST];
	struct maint_cmd_event e;
	int fd = mc_open_events(self->dev, O_RDONLY);
	unsigned int i, got = 0, dup = 0, stray = 0;
	char v[32];

	ASSERT_LE(0, fd);
	for (i = 0; i < MC_LONG_LIST; i++) {
		snprintf(v, sizeof(v), "0x%x", 0x1000 + i * 0x140);
		ASSERT_EQ(0, mc_dbg_write(self->dev, "inject_poison", v));
	}
	ASSERT_EQ(0, mc_dev_write(self->dev, "trigger_poison_list", "1"));
	while (!mc_next_event(fd, &e, 1000)) {
		if (e.kind != MAINT_CMD_EV_POISON)
			continue;
		i = (e.dpa - 0x1000) / 0x140;
		if (e.dpa < 0x1000 || i >= MC_LONG_LIST ||
		    e.dpa != 0x1000 + i * 0x140) {
			stray++;
			continue;
		}
		dup += seen[i]++ != 0;
		got++;
	}
	EXPECT_EQ(MC_LONG_LIST, got);
	EXPECT_EQ(0, dup);
	EXPECT_EQ(0, stray);
	close(fd);
}

/* Whether the device's sysfs folder has the subdirectory @name. */
static bool mc_has_dir(const char *dev, const char *name)
{
	char path[256];
	struct stat st;

	snprintf(path, sizeof(path), MC_CLASS "%s/%s", dev, name);
	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

/*
 * Each repair function's files exist only when the device advertises
 * it: the full device has both, a device with row sparing only has no
 * mem_repair0, and its mem_repair1 is row sparing.
 */
TEST_F(mc, repair_dirs_follow_the_advertised_features)
{
	EXPECT_TRUE(mc_has_dir(self->dev, "mem_repair0"));
	EXPECT_TRUE(mc_has_dir(self->dev, "mem_repair1"));
	ASSERT_EQ(0, mc_create("nid=1 first=1024 pages=1024 feats=0x8", self->dev2,
			       sizeof(self->dev2)));
	EXPECT_FALSE(mc_has_dir(self->dev2, "mem_repair0"));
	EXPECT_EQ(-ENOENT, mc_dev_write(self->dev2, "mem_repair0/dpa", "0x3000"));
	ASSERT_TRUE(mc_has_dir(self->dev2, "mem_repair1"));
	EXPECT_EQ(1, mc_dev_read(self->dev2, "mem_repair1/persist_mode"));
	EXPECT_EQ(0, mc_dev_write(self->dev2, "mem_repair1/dpa", "0x3000"));
	EXPECT_EQ(0x3000, mc_dev_read(self->dev2, "mem_repair1/dpa"));
}

/*
 * A device without Perform Maintenance and Inject Poison: the host
 * refuses both without sending them; the full device repairs an online
 * address it reported, and nothing else.
 */
TEST_F(mc, nothing_goes_out_that_the_device_did_not_advertise)
{
	struct maint_cmd_event e;
	char path[256], buf[512];
	int fd;

	ASSERT_EQ(0, mc_create("nid=1 first=1024 pages=1024 ops=" OPS_NO_REPAIR, self->dev2,
			       sizeof(self->dev2)));
	snprintf(path, sizeof(path), MC_CLASS "%s/capabilities", self->dev2);
	ASSERT_EQ(0, mc_read_file(path, buf, sizeof(buf)));
	EXPECT_EQ(NULL, strstr(buf, "perform_maintenance"));
	fd = mc_open_events(self->dev2, O_RDONLY);
	ASSERT_LE(0, fd);
	/* Reported, informational: logged, and now repairable... */
	ASSERT_EQ(0, mc_dbg_write(self->dev2, "inject_event", "gm 0x3000 0"));
	ASSERT_EQ(0, mc_wait_event(fd, &e, MAINT_CMD_EV_GENERAL_MEDIA, 0x3000, 30000));
	EXPECT_EQ(0, e.planned);
	EXPECT_EQ(0, e.result);
	close(fd);
	/* ... but not by this device: it shows no repair files at all. */
	EXPECT_FALSE(mc_has_dir(self->dev2, "mem_repair0"));
	EXPECT_FALSE(mc_has_dir(self->dev2, "mem_repair1"));
	EXPECT_EQ(-ENOENT, mc_dev_write(self->dev2, "mem_repair0/repair", "1"));
	EXPECT_EQ(-EOPNOTSUPP, mc_dbg_write(self->dev2, "inject_poison", "0x3000"));
	EXPECT_EQ(0, mc_model_stat(self->dev2, "unadvertised"));
	EXPECT_EQ(0, mc_model_stat(self->dev2, "soft_ppr"));
	EXPECT_LE(1, mc_dev_read(self->dev2, "unsupported"));

	/* The full device: unreported -> EPERM, reported -> repaired. */
	ASSERT_EQ(0, mc_dev_write(self->dev, "mem_repair0/dpa", "0x3000"));
	EXPECT_EQ(-EPERM, mc_dev_write(self->dev, "mem_repair0/repair", "1"));
	fd = mc_open_events(self->dev, O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, mc_dbg_write(self->dev, "inject_event", "dram 0x3000 0 row=5"));
	ASSERT_EQ(0, mc_wait_event(fd, &e, MAINT_CMD_EV_DRAM, 0x3000, 30000));
	EXPECT_EQ(0, mc_dev_write(self->dev, "mem_repair0/repair", "1"));
	ASSERT_EQ(0, mc_wait_event(fd, &e, MAINT_CMD_EV_REPAIR, 0x3000, 30000));
	EXPECT_EQ(MAINT_CMD_ACT_SOFT_PPR, e.actions);
	EXPECT_EQ(1, mc_model_stat(self->dev, "soft_ppr"));
	EXPECT_EQ(0, mc_dev_write(self->dev, "mem_repair0/persist_mode", "1"));
	EXPECT_EQ(0, mc_dev_write(self->dev, "mem_repair0/repair", "1"));
	EXPECT_EQ(1, mc_model_stat(self->dev, "hard_ppr"));
	EXPECT_EQ(0, mc_model_stat(self->dev, "unadvertised"));
	close(fd);
}

/* A device whose firmware stops answering: commands time out cleanly. */
TEST_F(mc, stalled_firmware_times_out)
{
	mv_knobs_save(&self->knobs, "cmd_timeout_ms");
	/* Idle first: the host drains the new device's logs when it binds. */
	mc_wait_idle(self->dev);
	ASSERT_EQ(0, mv_write_knob(MC_MM, "cmd_timeout_ms", "50"));
	ASSERT_EQ(0, mc_dbg_write(self->dev, "model_stall", "1"));
	EXPECT_EQ(-ETIMEDOUT, mc_dev_write(self->dev, "trigger_poison_list", "1"));
	/* The doorbell is still rung: the device is busy, the host says so. */
	EXPECT_EQ(-EBUSY, mc_dev_write(self->dev, "trigger_poison_list", "1"));
	EXPECT_LE(1, mc_dev_read(self->dev, "timeouts"));
	ASSERT_EQ(0, mc_dbg_write(self->dev, "model_stall", "0"));
	/* The next command waits the abandoned one out, as long as it takes. */
	ASSERT_EQ(0, mv_write_knob(MC_MM, "cmd_timeout_ms", "60000"));
	EXPECT_EQ(0, mc_dev_write(self->dev, "trigger_poison_list", "1"));
}

/*
 * A drain cut short by a stalled mailbox is tried again: no other
 * interrupt comes, and the record must still arrive, once.
 */
TEST_F(mc, cut_short_drain_is_retried)
{
	struct maint_cmd_event e;
	int fd;

	fd = mc_open_events(self->dev, O_RDONLY);
	ASSERT_LE(0, fd);
	mv_knobs_save(&self->knobs, "cmd_timeout_ms");
	mc_wait_idle(self->dev);
	ASSERT_EQ(0, mv_write_knob(MC_MM, "cmd_timeout_ms", "20"));
	ASSERT_EQ(0, mc_dbg_write(self->dev, "model_stall", "1"));
	ASSERT_EQ(0, mc_dbg_write(self->dev, "inject_event", "gm 0x6000 1"));
	/* The drain's Get Event Records times out. */
	while (mc_dev_read(self->dev, "timeouts") < 1)
		usleep(10 * 1000);
	ASSERT_EQ(0, mc_dbg_write(self->dev, "model_stall", "0"));
	ASSERT_EQ(0, mc_wait_event(fd, &e, MAINT_CMD_EV_GENERAL_MEDIA, 0x6000, 30000));
	EXPECT_EQ(-ETIMEDOUT, mc_next_event(fd, &e, 500));
	EXPECT_EQ(1, mc_dev_read(self->dev, "indications"));
	close(fd);
}

/* A background command that overruns is aborted. */
TEST_F(mc, overrunning_repair_is_aborted)
{
	struct maint_cmd_event e;
	int fd = mc_open_events(self->dev, O_RDONLY);

	ASSERT_LE(0, fd);
	mv_knobs_save(&self->knobs, "bg_timeout_ms");
	ASSERT_EQ(0, mv_write_knob(MC_MM, "bg_timeout_ms", "50"));
	ASSERT_EQ(0, mc_dbg_write(self->dev, "model_ppr_latency_ms", "2000"));
	ASSERT_EQ(0, mc_dbg_write(self->dev, "inject_event", "gm 0x5000 0"));
	ASSERT_EQ(0, mc_wait_event(fd, &e, MAINT_CMD_EV_GENERAL_MEDIA, 0x5000, 30000));
	ASSERT_EQ(0, mc_dev_write(self->dev, "mem_repair0/dpa", "0x5000"));
	EXPECT_EQ(-ETIMEDOUT, mc_dev_write(self->dev, "mem_repair0/repair", "1"));
	EXPECT_EQ(1, mc_dev_read(self->dev, "aborts"));
	EXPECT_EQ(0, mc_model_stat(self->dev, "soft_ppr"));
	ASSERT_EQ(0, mc_wait_event(fd, &e, MAINT_CMD_EV_REPAIR, 0x5000, 30000));
	EXPECT_EQ(-ETIMEDOUT, e.result);
	/* The next one runs: the abort left the device idle. */
	ASSERT_EQ(0, mc_dbg_write(self->dev, "model_ppr_latency_ms", "5"));
	EXPECT_EQ(0, mc_dev_write(self->dev, "mem_repair0/repair", "1"));
	EXPECT_EQ(1, mc_model_stat(self->dev, "soft_ppr"));
	close(fd);
}

TEST_F(mc, root_only)
{
	static const char * const knobs[] = {
		"auto_repair", "repair_mode", "max_actions", "use_irq",
		"mem_repair0/dpa", "mem_repair0/hpa", "mem_repair0/persist_mode",
	};
	char dir[64], dev[64];

	snprintf(dir, sizeof(dir), MC_CLASS "%s/", self->dev);
	snprintf(dev, sizeof(dev), "/dev/maint_cmd/%s", self->dev);
	EXPECT_ROOT_ONLY(dev, dir, knobs, 7, "1");
}

/* Every file of mcN and of /sys/kernel/mm/maint_cmd is documented. */
static int documented(const char *doc, const char *what)
{
	char line[512];
	FILE *f = fopen(doc, "r");
	int found = 0;

	if (!f)
		return -1;
	while (!found && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		found = !strncmp(line, "What:", 5) &&
			!strcmp(line + 5 + strspn(line + 5, " \t"), what);
	}
	fclose(f);
	return found;
}

/*
 * The regular files of @dir@sub not documented in @doc as @as@sub<name>
 * (@as: how the ABI file names @dir, with mcN for the device).
 */
static int count_undocumented_as(const char *dir, const char *sub, const char *doc,
				 const char *as)
{
	char path[512], what[512];
	struct dirent *de;
	int bad = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s%s", dir, sub);
	d = opendir(path);
	if (!d)
		return 1000;
	while ((de = readdir(d))) {
		struct stat st;

		if (de->d_name[0] == '.' || !strcmp(de->d_name, "uevent") ||
		    !strcmp(de->d_name, "dev") || !strcmp(de->d_name, "subsystem") ||
		    !strcmp(de->d_name, "power"))
			continue;
		snprintf(path, sizeof(path), "%s%s%s", dir, sub, de->d_name);
		if (lstat(path, &st) || !S_ISREG(st.st_mode))
			continue;
		snprintf(what, sizeof(what), "%s%s%s", as, sub, de->d_name);
		if (documented(doc, what) != 1) {
			fprintf(stderr, "# undocumented: %s\n", what);
			bad++;
		}
	}
	closedir(d);
	return bad;
}

static int count_undocumented(const char *dir, const char *sub, const char *doc)
{
	return count_undocumented_as(dir, sub, doc, MC_CLASS "mcN/");
}

TEST_F(mc, every_device_file_is_documented)
{
	const char *doc = MEMVIRT_TOP "/Documentation/ABI/testing/sysfs-class-maint_cmd";
	char dir[64];

	ASSERT_EQ(0, access(doc, R_OK));
	snprintf(dir, sizeof(dir), MC_CLASS "%s/", self->dev);
	EXPECT_EQ(0, count_undocumented(dir, "", doc));
	EXPECT_EQ(0, count_undocumented(dir, "mem_repair0/", doc));
	EXPECT_EQ(0, count_undocumented(dir, "mem_repair1/", doc));
}

/* ... and every debugfs file, the module's and the device's. */
TEST_F(mc, every_debugfs_file_is_documented)
{
	const char *doc = MEMVIRT_TOP "/Documentation/ABI/testing/debugfs-maint_cmd";
	char dir[64];

	ASSERT_EQ(0, access(doc, R_OK));
	EXPECT_EQ(0, count_undocumented_as(MC_DBG, "", doc, MC_DBG));
	snprintf(dir, sizeof(dir), MC_DBG "%s/", self->dev);
	EXPECT_EQ(0, count_undocumented_as(dir, "", doc, MC_DBG "mcN/"));
}

TEST_HARNESS_MAIN
