// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit for pwsp's core: every policy rule on each side of its
 * boundary, the state machine with every illegal transition refused,
 * and link verification with its depth and size limits, on a small
 * guest memory held here.
 */
#include <kunit/test.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "pwsp_core.h"

#define K_FRAMES	64
#define P	1ULL
#define RW	2ULL
#define US	4ULL
#define PS	0x80ULL
#define NX	(1ULL << 63)
#define TEXT	8	/* frames 8-9 */
#define KONLY	12	/* frame 12 */
#define PROT	14	/* 14 protected, 15 protected read-only */

struct kmem {
	u64 *mem;
	unsigned long tracked[BITS_TO_LONGS(K_FRAMES)];
	unsigned int violations, reverts, last_reason;
	u64 race_gpa, race_val;
};

static int k_read(void *priv, u64 gpa, void *buf, unsigned int len)
{
	struct kmem *k = priv;

	if (gpa + len > K_FRAMES * 4096ULL)
		return -EFAULT;
	memcpy(buf, (char *)k->mem + gpa, len);
	return 0;
}

static int k_cmpxchg(void *priv, u64 gpa, u64 *old, u64 val)
{
	struct kmem *k = priv;
	u64 *e = (u64 *)((char *)k->mem + gpa);

	if (k->race_gpa == gpa) {
		/* another vCPU's write lands between the read and the write-back */
		*e = k->race_val;
		k->race_gpa = 0;
	}
	if (*e != *old) {
		*old = *e;
		return -EAGAIN;
	}
	*e = val;
	return 0;
}

static int k_track(void *priv, u64 gfn, bool on)
{
	struct kmem *k = priv;

	if (gfn >= K_FRAMES)
		return -EINVAL;
	if (on)
		__set_bit(gfn, k->tracked);
	else
		__clear_bit(gfn, k->tracked);
	return 0;
}

static void k_state(void *priv, u64 gfn, int level, int from, int to)
{
}

static void k_violation(void *priv, const struct pwsp_violation *v)
{
	struct kmem *k = priv;

	k->violations++;
	k->last_reason = v->reason;
}

static void k_count(void *priv, unsigned int what, u64 n)
{
	struct kmem *k = priv;

	if (what == PWSP_CNT_REVERTS)
		k->reverts += n;
}

static const struct pwsp_core_ops k_ops = {
	.read = k_read, .write_if = k_cmpxchg, .track = k_track, .state = k_state,
	.violation = k_violation, .count = k_count,
};

static const struct pwsp_range k_ranges[] = {
	{ .gfn = 0, .nr_pages = 48, .type = PWSP_RANGE_RAM },
	{ .gfn = TEXT, .nr_pages = 2, .type = PWSP_RANGE_TEXT },
	{ .gfn = KONLY, .nr_pages = 1, .type = PWSP_RANGE_KERNEL_ONLY },
	{ .gfn = PROT, .nr_pages = 1, .type = PWSP_RANGE_PROTECTED },
	{ .gfn = PROT + 1, .nr_pages = 1, .type = PWSP_RANGE_PROTECTED_RO },
};

static struct pwsp_policy k_up(void)
{
	return (struct pwsp_policy){
		.maxphyaddr = 40, .nxe = 1, .levels = 4, .gbpages = 1,
		.nr_ranges = ARRAY_SIZE(k_ranges),
	};
}

static void policy_validation(struct kunit *test)
{
	struct pwsp_kpolicy *pol = kunit_kzalloc(test, sizeof(*pol), GFP_KERNEL);
	struct pwsp_range r[PWSP_MAX_RANGES + 1];
	struct pwsp_policy up;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, pol);
	for (i = 0; i <= PWSP_MAX_RANGES; i++)
		r[i] = (struct pwsp_range){ .gfn = i, .nr_pages = 1, .type = PWSP_RANGE_RAM };
	up = k_up();
	up.nr_ranges = 1;
	KUNIT_EXPECT_EQ(test, pwsp_policy_validate(&up, r, pol), 0);
	up.maxphyaddr = 31;
	KUNIT_EXPECT_EQ(test, pwsp_policy_validate(&up, r, pol), -EINVAL);
	up.maxphyaddr = 32;
	KUNIT_EXPECT_EQ(test, pwsp_policy_validate(&up, r, pol), 0);
	up.maxphyaddr = 52;
	KUNIT_EXPECT_EQ(test, pwsp_policy_validate(&up, r, pol), 0);
	up.maxphyaddr = 53;
	KUNIT_EXPECT_EQ(test, pwsp_policy_validate(&up, r, pol), -EINVAL);
	up = k_up();
	up.nr_ranges = 1;
	up.levels = 3;
	KUNIT_EXPECT_EQ(test, pwsp_policy_validate(&up, r, pol), -EINVAL);
	up.levels = 5;
	KUNIT_EXPECT_EQ(test, pwsp_policy_validate(&up, r, pol), 0);
	up.levels = 6;
	KUNIT_EXPECT_EQ(test, pwsp_policy_validate(&up, r, pol), -EINVAL);
	up = k_up();
	up.nr_ranges = 0;
	KUNIT_EXPECT_EQ(test, pwsp_policy_validate(&up, r, pol), -EINVAL);
	up.nr_ranges = PWSP_MAX_RANGES;
	KUNIT_EXPECT_EQ(test, pwsp_policy_validate(&up, r, pol), 0);
	up.nr_ranges = PWSP_MAX_RANGES + 1;
	KUNIT_EXPECT_EQ(test, pwsp_policy_validate(&up, r, pol), -EINVAL);
	up = k_up();
	up.nr_ranges = 1;
	up.nxe = 2;
	KUNIT_EXPECT_EQ(test, pwsp_policy_validate(&up, r, pol), -EINVAL);
	up = k_up();
	up.nr_ranges = 1;
	up.reserved[1] = 1;
	KUNIT_EXPECT_EQ(test, pwsp_policy_validate(&up, r, pol), -EINVAL);
	up = k_up();
	up.nr_ranges = 1;
	/* the last frame below MAXPHYADDR fits, one more does not */
	r[0] = (struct pwsp_range){ .gfn = (1ULL << 28) - 1, .nr_pages = 1,
				    .type = PWSP_RANGE_RAM };
	KUNIT_EXPECT_EQ(test, pwsp_policy_validate(&up, r, pol), 0);
	r[0].nr_pages = 2;
	KUNIT_EXPECT_EQ(test, pwsp_policy_validate(&up, r, pol), -EINVAL);
	r[0] = (struct pwsp_range){ .gfn = 1, .nr_pages = ~0ULL, .type = PWSP_RANGE_RAM };
	KUNIT_EXPECT_EQ(test, pwsp_policy_validate(&up, r, pol), -EINVAL);
	r[0] = (struct pwsp_range){ .gfn = 1, .nr_pages = 0, .type = PWSP_RANGE_RAM };
	KUNIT_EXPECT_EQ(test, pwsp_policy_validate(&up, r, pol), -EINVAL);
	r[0] = (struct pwsp_range){ .gfn = 1, .nr_pages = 1, .type = 0 };
	KUNIT_EXPECT_EQ(test, pwsp_policy_validate(&up, r, pol), -EINVAL);
	r[0].type = PWSP_RANGE_KERNEL_ONLY + 1;
	KUNIT_EXPECT_EQ(test, pwsp_policy_validate(&up, r, pol), -EINVAL);
	r[0].type = PWSP_RANGE_TEXT;	/* no RAM at all */
	KUNIT_EXPECT_EQ(test, pwsp_policy_validate(&up, r, pol), -EINVAL);
	r[0] = (struct pwsp_range){ .gfn = 1, .nr_pages = 1, .type = PWSP_RANGE_RAM,
				    .reserved = 1 };
	KUNIT_EXPECT_EQ(test, pwsp_policy_validate(&up, r, pol), -EINVAL);
}

static struct pwsp_kpolicy *k_pol(struct kunit *test)
{
	struct pwsp_kpolicy *pol = kunit_kzalloc(test, sizeof(*pol), GFP_KERNEL);
	struct pwsp_policy up = k_up();

	KUNIT_ASSERT_NOT_NULL(test, pol);
	KUNIT_ASSERT_EQ(test, pwsp_policy_validate(&up, k_ranges, pol), 0);
	return pol;
}

#define ALL	(1U << PWSP_ROOT_COMBO)
#define CHECK(level, pte, mask) \
	pwsp_check_entry(pol, level, 40, pte, mask, &g)

static void entry_rules(struct kunit *test)
{
	struct pwsp_kpolicy *pol = k_pol(test);
	u8 kern_rw = 1U << (PWSP_RIGHT_W | PWSP_RIGHT_X);	/* supervisor path */
	u8 kern_ro = 1U << PWSP_RIGHT_X;
	struct ptsel_gpte g;

	/* reserved bits: MAXPHYADDR 40 */
	KUNIT_EXPECT_EQ(test, CHECK(0, P | NX | (20ULL << 12) | (1ULL << 39), kern_rw), 0);
	KUNIT_EXPECT_EQ(test, CHECK(0, P | NX | (20ULL << 12) | (1ULL << 40), kern_rw),
			(u32)PWSP_R_RSVD);
	pol->env.nxe = false;
	KUNIT_EXPECT_EQ(test, CHECK(0, P | NX | (20ULL << 12), kern_rw), (u32)PWSP_R_RSVD);
	KUNIT_EXPECT_EQ(test, CHECK(0, P | (TEXT << 12), kern_ro), 0);
	pol->env.nxe = true;
	/* PS: refused in a PML4E, a 1G page in a PDPTE */
	KUNIT_EXPECT_EQ(test, CHECK(3, P | PS | NX, kern_ro), (u32)PWSP_R_PS_TOP);
	KUNIT_EXPECT_EQ(test, CHECK(2, P | PS | NX | (1ULL << 30), kern_ro), 0);
	/* alignment */
	KUNIT_EXPECT_EQ(test, CHECK(1, P | PS | NX | (2ULL << 21), kern_ro), 0);
	KUNIT_EXPECT_EQ(test, CHECK(1, P | PS | NX | (2ULL << 21) | (1ULL << 13), kern_ro),
			(u32)PWSP_R_ALIGN);
	/* tables in RAM only */
	KUNIT_EXPECT_EQ(test, CHECK(1, P | RW | (47ULL << 12), kern_rw), 0);
	KUNIT_EXPECT_EQ(test, CHECK(1, P | RW | (48ULL << 12), kern_rw), (u32)PWSP_R_NOT_RAM);
	/* self-maps: a table pointing at itself, a leaf mapping its table */
	KUNIT_EXPECT_EQ(test, CHECK(1, P | RW | (40ULL << 12), kern_rw), (u32)PWSP_R_SELF_MAP);
	KUNIT_EXPECT_EQ(test, CHECK(0, P | NX | (40ULL << 12), kern_rw), (u32)PWSP_R_SELF_MAP);
	KUNIT_EXPECT_EQ(test, CHECK(0, P | NX | (41ULL << 12), kern_rw), 0);
	/* a 2M leaf over its own table is a self-map; elsewhere, over PROT */
	KUNIT_EXPECT_EQ(test, CHECK(1, P | PS | NX, kern_ro), (u32)PWSP_R_SELF_MAP);
	KUNIT_EXPECT_EQ(test, pwsp_check_entry(pol, 1, 600, P | PS | NX, kern_ro, &g),
			(u32)PWSP_R_PROTECTED);
	/* protected frames, and the read-only one */
	KUNIT_EXPECT_EQ(test, CHECK(0, P | NX | (PROT << 12), kern_ro), (u32)PWSP_R_PROTECTED);
	KUNIT_EXPECT_EQ(test, CHECK(0, P | NX | ((PROT - 1) << 12), kern_rw), 0);
	KUNIT_EXPECT_EQ(test, CHECK(0, P | NX | ((PROT + 1) << 12), kern_rw), 0);
	KUNIT_EXPECT_EQ(test, CHECK(0, P | RW | NX | ((PROT + 1) << 12), kern_rw),
			(u32)PWSP_R_PROTECTED);
	KUNIT_EXPECT_EQ(test, CHECK(1, P | RW | ((PROT + 1) << 12), kern_rw),
			(u32)PWSP_R_PROTECTED);
	/* W^X text: RW only where a level above already took W away */
	KUNIT_EXPECT_EQ(test, CHECK(0, P | (TEXT << 12), kern_rw), 0);
	KUNIT_EXPECT_EQ(test, CHECK(0, P | RW | (TEXT << 12), kern_rw),
			(u32)PWSP_R_TEXT_WRITABLE);
	KUNIT_EXPECT_EQ(test, CHECK(0, P | RW | (TEXT << 12), kern_ro), 0);
	/* executable kernel leaves: text only */
	KUNIT_EXPECT_EQ(test, CHECK(0, P | ((TEXT + 1) << 12), kern_ro), 0);
	KUNIT_EXPECT_EQ(test, CHECK(0, P | ((TEXT + 2) << 12), kern_ro),
			(u32)PWSP_R_EXEC_NONTEXT);
	KUNIT_EXPECT_EQ(test, CHECK(0, P | NX | ((TEXT + 2) << 12), kern_ro), 0);
	/* a 2M leaf over the text and beyond it */
	KUNIT_EXPECT_EQ(test, CHECK(1, P | PS | (2ULL << 21), kern_ro),
			(u32)PWSP_R_EXEC_NONTEXT);
	/* kernel-only frames and text never on a user path */
	KUNIT_EXPECT_EQ(test, CHECK(0, P | US | NX | (KONLY << 12), ALL),
			(u32)PWSP_R_USER_KERNEL);
	KUNIT_EXPECT_EQ(test, CHECK(0, P | US | NX | ((KONLY + 1) << 12), ALL), 0);
	KUNIT_EXPECT_EQ(test, CHECK(0, P | US | ((TEXT + 1) << 12), 1U << PWSP_RIGHT_U | kern_ro),
			(u32)PWSP_R_USER_KERNEL);
	KUNIT_EXPECT_EQ(test, CHECK(0, P | US | NX | (KONLY << 12), kern_rw), 0);
	/* a user executable leaf may map any RAM */
	KUNIT_EXPECT_EQ(test, CHECK(0, P | US | (20ULL << 12), ALL & ~0U), 0);
	/* non-present entries are never checked */
	KUNIT_EXPECT_EQ(test, CHECK(3, PS | (1ULL << 50), ALL), 0);
}

static void state_machine(struct kunit *test)
{
	struct pwsp_pstate s = { .level = -1 };

	/* illegal from W */
	KUNIT_EXPECT_EQ(test, pwsp_transition(&s, PWSP_EV_UNLINK, 0, 4), -EINVAL);
	KUNIT_EXPECT_EQ(test, pwsp_transition(&s, PWSP_EV_UNROOT, 3, 4), -EINVAL);
	KUNIT_EXPECT_EQ(test, pwsp_transition(&s, PWSP_EV_LINK, 3, 4), -EINVAL);
	KUNIT_EXPECT_EQ(test, pwsp_transition(&s, PWSP_EV_LINK, -1, 4), -EINVAL);
	KUNIT_EXPECT_EQ(test, pwsp_transition(&s, PWSP_EV_ROOT, 2, 4), -EINVAL);
	KUNIT_EXPECT_EQ(test, pwsp_transition(&s, 99, 0, 4), -EINVAL);
	KUNIT_EXPECT_EQ(test, s.state, (u8)PWSP_STATE_W);
	/* W -> V at level 1, a second reference */
	KUNIT_EXPECT_EQ(test, pwsp_transition(&s, PWSP_EV_LINK, 1, 4), 0);
	KUNIT_EXPECT_EQ(test, s.state, (u8)PWSP_STATE_V);
	KUNIT_EXPECT_EQ(test, pwsp_transition(&s, PWSP_EV_LINK, 1, 4), 0);
	KUNIT_EXPECT_EQ(test, s.refs, 2U);
	/* level confusion, a lower-level table as root, unroot a non-root */
	KUNIT_EXPECT_EQ(test, pwsp_transition(&s, PWSP_EV_LINK, 0, 4), -EINVAL);
	KUNIT_EXPECT_EQ(test, pwsp_transition(&s, PWSP_EV_LINK, 2, 4), -EINVAL);
	KUNIT_EXPECT_EQ(test, pwsp_transition(&s, PWSP_EV_ROOT, 3, 4), -EINVAL);
	KUNIT_EXPECT_EQ(test, pwsp_transition(&s, PWSP_EV_UNROOT, 1, 4), -EINVAL);
	KUNIT_EXPECT_EQ(test, s.refs, 2U);
	/* back to W at the last reference, then no more unlinks */
	KUNIT_EXPECT_EQ(test, pwsp_transition(&s, PWSP_EV_UNLINK, 1, 4), 0);
	KUNIT_EXPECT_EQ(test, s.state, (u8)PWSP_STATE_V);
	KUNIT_EXPECT_EQ(test, pwsp_transition(&s, PWSP_EV_UNLINK, 1, 4), 0);
	KUNIT_EXPECT_EQ(test, s.state, (u8)PWSP_STATE_W);
	KUNIT_EXPECT_EQ(test, s.level, -1);
	KUNIT_EXPECT_EQ(test, pwsp_transition(&s, PWSP_EV_UNLINK, 1, 4), -EINVAL);
	/* a root: once only, its own reference is not an entry's */
	KUNIT_EXPECT_EQ(test, pwsp_transition(&s, PWSP_EV_ROOT, 3, 4), 0);
	KUNIT_EXPECT_EQ(test, pwsp_transition(&s, PWSP_EV_ROOT, 3, 4), -EINVAL);
	KUNIT_EXPECT_EQ(test, pwsp_transition(&s, PWSP_EV_UNLINK, 3, 4), -EINVAL);
	KUNIT_EXPECT_EQ(test, pwsp_transition(&s, PWSP_EV_UNROOT, 3, 4), 0);
	KUNIT_EXPECT_EQ(test, s.state, (u8)PWSP_STATE_W);
	/* five levels: the top is 4 */
	KUNIT_EXPECT_EQ(test, pwsp_transition(&s, PWSP_EV_ROOT, 3, 5), -EINVAL);
	KUNIT_EXPECT_EQ(test, pwsp_transition(&s, PWSP_EV_LINK, 3, 5), 0);
}

static struct kmem *k_mem(struct kunit *test, struct pwsp_core *c)
{
	struct kmem *k = kunit_kzalloc(test, sizeof(*k), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, k);
	k->mem = kunit_kzalloc(test, K_FRAMES * 4096, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, k->mem);
	pwsp_core_init(c, &k_ops, k);
	KUNIT_ASSERT_EQ(test, pwsp_core_set_policy(c, k_pol(test)), 0);
	return k;
}

#define E(f, i)		(k->mem[(f) * 512 + (i)])

/* Guest memory with root 20 -> 21 -> 22 -> PT 23, entry @i of 23 @leaf, protected. */
static struct kmem *k_chain(struct kunit *test, struct pwsp_core *c, int i, u64 leaf)
{
	struct kmem *k;
	u32 reason;

	KUNIT_ASSERT_NOT_NULL(test, c);
	k = k_mem(test, c);
	E(20, 0) = P | RW | (21 << 12);
	E(21, 0) = P | RW | (22 << 12);
	E(22, 0) = P | RW | (23 << 12);
	E(23, i) = leaf;
	KUNIT_ASSERT_EQ(test, pwsp_core_protect_root(c, 20 << 12, &reason), 0);
	return k;
}

static void link_verification(struct kunit *test)
{
	struct pwsp_core *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	struct kmem *k;
	u32 reason;
	int i;

	/* root 20 -> 21 -> 22 -> 23 -> a data page */
	k = k_chain(test, c, 0, P | RW | NX | (30 << 12));
	KUNIT_EXPECT_EQ(test, c->nr_pages, 4ULL);
	KUNIT_EXPECT_TRUE(test, test_bit(23, k->tracked));
	KUNIT_EXPECT_EQ(test, pwsp_core_protect_root(c, 20 << 12, &reason), -EEXIST);
	KUNIT_EXPECT_EQ(test, pwsp_core_protect_root(c, 21 << 12, &reason), -EINVAL);
	/* a root's own frame: RAM, not host-protected (each side) */
	KUNIT_EXPECT_EQ(test, pwsp_core_protect_root(c, (u64)PROT << 12, &reason), -EACCES);
	KUNIT_EXPECT_EQ(test, reason, (u32)PWSP_R_PROTECTED);
	KUNIT_EXPECT_EQ(test, pwsp_core_protect_root(c, (u64)(PROT + 1) << 12, &reason),
			-EACCES);
	KUNIT_EXPECT_EQ(test, reason, (u32)PWSP_R_PROTECTED);
	KUNIT_EXPECT_EQ(test, pwsp_core_protect_root(c, 48ULL << 12, &reason), -EACCES);
	KUNIT_EXPECT_EQ(test, reason, (u32)PWSP_R_NOT_RAM);
	KUNIT_EXPECT_FALSE(test, test_bit(48, k->tracked));
	KUNIT_EXPECT_EQ(test, pwsp_core_protect_root(c, 47ULL << 12, &reason), 0);
	KUNIT_EXPECT_EQ(test, pwsp_core_unprotect_root(c, 47ULL << 12), 0);
	KUNIT_EXPECT_EQ(test, c->nr_pages, 4ULL);

	/* size limit: a subtree of exactly max_link_pages links */
	c->max_link_pages = 2;
	E(24, 0) = P | RW | (25 << 12);		/* PD 24 -> PT 25 */
	E(21, 1) = P | RW | (24 << 12);
	pwsp_core_write(c, (21 << 12) + 8, 8, true);
	KUNIT_EXPECT_EQ(test, E(21, 1), P | RW | (24ULL << 12));
	KUNIT_EXPECT_EQ(test, c->nr_pages, 6ULL);
	/* ... one more page does not, and is reverted */
	E(26, 0) = P | RW | (27 << 12);		/* PD 26 -> PTs 27 and 28 */
	E(26, 1) = P | RW | (28 << 12);
	E(21, 2) = P | RW | (26 << 12);
	pwsp_core_write(c, (21 << 12) + 16, 8, true);
	KUNIT_EXPECT_EQ(test, E(21, 2), 0ULL);
	KUNIT_EXPECT_EQ(test, k->last_reason, (u32)PWSP_R_TOO_LARGE);
	KUNIT_EXPECT_FALSE(test, test_bit(26, k->tracked));
	KUNIT_EXPECT_FALSE(test, test_bit(27, k->tracked));

	/* depth: a PTE never links a table, a 4th level below a PT is a leaf */
	c->max_link_pages = 512;
	E(23, 1) = P | RW | NX | (31 << 12);	/* maps 31 as data: fine */
	E(31, 0) = P | RW | (30 << 12);
	pwsp_core_write(c, (23 << 12) + 8, 8, true);
	KUNIT_EXPECT_EQ(test, E(23, 1), P | RW | NX | (31ULL << 12));
	KUNIT_EXPECT_FALSE(test, pwsp_core_is_v(c, 31));
	/* level confusion: PT 23 linked as a PD */
	E(21, 3) = P | RW | (23 << 12);
	pwsp_core_write(c, (21 << 12) + 24, 8, true);
	KUNIT_EXPECT_EQ(test, E(21, 3), 0ULL);
	KUNIT_EXPECT_EQ(test, k->last_reason, (u32)PWSP_R_LEVEL);

	/* fill-before-link: one bad entry deep down refuses the whole link */
	E(32, 0) = P | RW | (33 << 12);
	for (i = 0; i < 8; i++)
		E(33, i) = P | RW | NX | ((34 + i) << 12);
	E(33, 8) = P | RW | (TEXT << 12);	/* writable text */
	E(21, 4) = P | RW | (32 << 12);
	pwsp_core_write(c, (21 << 12) + 32, 8, true);
	KUNIT_EXPECT_EQ(test, E(21, 4), 0ULL);
	KUNIT_EXPECT_EQ(test, k->last_reason, (u32)PWSP_R_TEXT_WRITABLE);
	E(33, 8) = P | (TEXT << 12);		/* read-only text: clean */
	E(21, 4) = P | RW | (32 << 12);
	pwsp_core_write(c, (21 << 12) + 32, 8, true);
	KUNIT_EXPECT_EQ(test, E(21, 4), P | RW | (32ULL << 12));
	KUNIT_EXPECT_TRUE(test, pwsp_core_is_v(c, 33));

	/* a half write is verified as the whole entry it leaves */
	k->mem[23 * 512 + 2] = P | NX | (30ULL << 12);
	pwsp_core_write(c, (23 << 12) + 16, 8, true);
	((u32 *)&E(23, 2))[1] = 0x00000100;	/* bit 40: reserved */
	pwsp_core_write(c, (23 << 12) + 20, 4, true);
	KUNIT_EXPECT_EQ(test, E(23, 2), P | NX | (30ULL << 12));
	KUNIT_EXPECT_EQ(test, k->last_reason, (u32)PWSP_R_RSVD);

	/* unlinking the last reference returns the subtree to W */
	E(21, 4) = 0;
	pwsp_core_write(c, (21 << 12) + 32, 8, true);
	KUNIT_EXPECT_FALSE(test, pwsp_core_is_v(c, 32));
	KUNIT_EXPECT_FALSE(test, pwsp_core_is_v(c, 33));
	KUNIT_EXPECT_FALSE(test, test_bit(33, k->tracked));

	/* a rights change on a non-leaf re-verifies the subtree */
	E(20, 0) |= US;
	pwsp_core_write(c, 20 << 12, 8, true);
	E(21, 0) |= US;
	pwsp_core_write(c, 21 << 12, 8, true);
	/* PD 22 keeps U off: a "user" leaf below it is kernel-only in effect */
	E(23, 0) = P | RW | US | NX | (KONLY << 12);
	pwsp_core_write(c, 23 << 12, 8, true);
	KUNIT_EXPECT_EQ(test, E(23, 0), P | RW | US | NX | ((u64)KONLY << 12));
	/* U on the PD entry would open it to user mode: refused */
	E(22, 0) |= US;
	pwsp_core_write(c, 22 << 12, 8, true);
	KUNIT_EXPECT_EQ(test, E(22, 0), P | RW | (23ULL << 12));
	KUNIT_EXPECT_EQ(test, k->last_reason, (u32)PWSP_R_USER_KERNEL);
	/* with the leaf on ordinary RAM, the same change is kept */
	E(23, 0) = P | RW | US | NX | (30ULL << 12);
	pwsp_core_write(c, 23 << 12, 8, true);
	E(22, 0) |= US;
	pwsp_core_write(c, 22 << 12, 8, true);
	KUNIT_EXPECT_EQ(test, E(22, 0), P | RW | US | (23ULL << 12));
	/* and now the leaf itself may not turn to the kernel-only frame */
	E(23, 0) = P | RW | US | NX | (KONLY << 12);
	pwsp_core_write(c, 23 << 12, 8, true);
	KUNIT_EXPECT_EQ(test, E(23, 0), P | RW | US | NX | (30ULL << 12));

	pwsp_core_destroy(c);
	KUNIT_EXPECT_EQ(test, c->nr_pages, 0ULL);
	KUNIT_EXPECT_EQ(test, find_first_bit(k->tracked, K_FRAMES), (unsigned long)K_FRAMES);
}

/*
 * A refused entry is repaired with a compare-and-exchange: a legal
 * write another vCPU makes between the read and the repair stays, to
 * the same entry or to its other half, and its own check finds nothing.
 */
static void racing_repair(struct kunit *test)
{
	struct pwsp_core *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	const u64 text = P | ((u64)TEXT << 12), seq = 0x5ULL << 52;
	u64 gpa = (23 << 12) + 3 * 8;
	struct kmem *k = k_chain(test, c, 3, text);

	/* A: RW on text (low half); B: the whole entry, to a data page */
	E(23, 3) |= RW;
	k->race_gpa = gpa;
	k->race_val = P | NX | (30ULL << 12);
	pwsp_core_write(c, gpa, 4, true);
	KUNIT_EXPECT_EQ(test, E(23, 3), P | NX | (30ULL << 12));
	KUNIT_EXPECT_EQ(test, pwsp_core_find(c, 23)->shadow[3], E(23, 3));
	/* nothing of A's write was left to undo: no violation */
	KUNIT_EXPECT_EQ(test, k->violations, 0U);
	KUNIT_EXPECT_EQ(test, k->reverts, 0U);
	/* B's own check: nothing to do */
	pwsp_core_write(c, gpa, 8, true);
	KUNIT_EXPECT_EQ(test, E(23, 3), P | NX | (30ULL << 12));
	KUNIT_EXPECT_EQ(test, k->violations, 0U);

	/* A: RW on text (low half); B: software bits in the high half */
	E(23, 3) = text;
	pwsp_core_write(c, gpa, 8, true);
	E(23, 3) |= RW;
	k->race_gpa = gpa;
	k->race_val = E(23, 3) | seq;
	pwsp_core_write(c, gpa, 4, true);
	KUNIT_EXPECT_EQ(test, E(23, 3), text | seq);
	KUNIT_EXPECT_EQ(test, pwsp_core_find(c, 23)->shadow[3], text | seq);
	KUNIT_EXPECT_EQ(test, k->violations, 1U);
	KUNIT_EXPECT_EQ(test, k->reverts, 1U);
	pwsp_core_write(c, gpa + 4, 4, true);
	KUNIT_EXPECT_EQ(test, k->violations, 1U);

	/* both halves in memory, B's check first: B's half stays, A's goes */
	E(23, 3) = text | RW | (seq << 1);
	pwsp_core_write(c, gpa + 4, 4, true);
	KUNIT_EXPECT_EQ(test, E(23, 3), text | (seq << 1));
	KUNIT_EXPECT_EQ(test, k->violations, 2U);
	pwsp_core_write(c, gpa, 4, true);
	KUNIT_EXPECT_EQ(test, E(23, 3), text | (seq << 1));
	KUNIT_EXPECT_EQ(test, k->violations, 2U);

	/* the racing write is illegal too (a protected frame): the last verified value */
	k->race_gpa = gpa;
	k->race_val = P | ((u64)PROT << 12) | (seq << 1);
	E(23, 3) = text | RW | (seq << 1);
	pwsp_core_write(c, gpa, 4, true);
	KUNIT_EXPECT_EQ(test, E(23, 3), text | (seq << 1));
	KUNIT_EXPECT_EQ(test, k->violations, 3U);
	pwsp_core_destroy(c);
}

static struct kunit_case pwsp_core_cases[] = {
	KUNIT_CASE(policy_validation),
	KUNIT_CASE(entry_rules),
	KUNIT_CASE(state_machine),
	KUNIT_CASE(link_verification),
	KUNIT_CASE(racing_repair),
	{}
};

static struct kunit_suite pwsp_core_suite = {
	.name = "pwsp_core",
	.test_cases = pwsp_core_cases,
};

kunit_test_suite(pwsp_core_suite);

MODULE_DESCRIPTION("KUnit tests for pwsp's core");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
