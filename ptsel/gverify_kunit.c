// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for ptsel's guest-entry check (gverify.c): each rule on
 * each side of its boundary, as tools/testing/userspace/ptsel_gverify.c
 * does in userspace.
 */
#include <kunit/test.h>
#include <linux/module.h>
#include <memvirt/ptsel_gverify.h>

#define P	1ULL
#define RW	2ULL
#define PS	0x80ULL
#define NX	(1ULL << 63)

static void gverify_maxphyaddr(struct kunit *test)
{
	struct ptsel_genv env = { .levels = 4, .nxe = true, .gbpages = true };
	struct ptsel_gpte g;
	unsigned int mp;

	for (mp = 32; mp <= 52; mp++) {
		env.maxphyaddr = mp;
		KUNIT_EXPECT_EQ(test, ptsel_guest_pte_check(&env, 0, P | ((1ULL << mp) - 4096), &g),
				PTSEL_GPTE_OK);
		KUNIT_EXPECT_EQ(test, g.addr, (1ULL << mp) - 4096);
		if (mp < 52)
			KUNIT_EXPECT_EQ(test, ptsel_guest_pte_check(&env, 0, P | (1ULL << mp), &g),
					PTSEL_GPTE_RSVD);
	}
	env.maxphyaddr = 40;
	/* not present: nothing is reserved */
	KUNIT_EXPECT_EQ(test, ptsel_guest_pte_check(&env, 3, PS | NX | (1ULL << 45), &g),
			PTSEL_GPTE_OK);
	KUNIT_EXPECT_FALSE(test, g.present);
	/* 52-62 are ignored */
	KUNIT_EXPECT_EQ(test, ptsel_guest_pte_check(&env, 0, P | (0x7ffULL << 52), &g),
			PTSEL_GPTE_OK);
}

static void gverify_nx_ps_align(struct kunit *test)
{
	struct ptsel_genv env = { .levels = 4, .maxphyaddr = 40, .nxe = true, .gbpages = true };
	struct ptsel_gpte g;

	KUNIT_EXPECT_EQ(test, ptsel_guest_pte_check(&env, 1, P | NX | 0x5000, &g), PTSEL_GPTE_OK);
	KUNIT_EXPECT_TRUE(test, g.nx);
	env.nxe = false;
	KUNIT_EXPECT_EQ(test, ptsel_guest_pte_check(&env, 1, P | NX | 0x5000, &g), PTSEL_GPTE_RSVD);
	env.nxe = true;
	KUNIT_EXPECT_EQ(test, ptsel_guest_pte_check(&env, 3, P | PS, &g), PTSEL_GPTE_PS_TOP);
	KUNIT_EXPECT_EQ(test, ptsel_guest_pte_check(&env, 3, P | RW | 0x5000, &g), PTSEL_GPTE_OK);
	env.levels = 5;
	KUNIT_EXPECT_EQ(test, ptsel_guest_pte_check(&env, 4, P | PS, &g), PTSEL_GPTE_PS_TOP);
	env.levels = 4;
	KUNIT_EXPECT_EQ(test, ptsel_guest_pte_check(&env, 2, P | PS | (1ULL << 30), &g),
			PTSEL_GPTE_OK);
	KUNIT_EXPECT_TRUE(test, g.leaf);
	KUNIT_EXPECT_EQ(test, g.size, 1ULL << 30);
	env.gbpages = false;
	KUNIT_EXPECT_EQ(test, ptsel_guest_pte_check(&env, 2, P | PS | (1ULL << 30), &g),
			PTSEL_GPTE_PS_TOP);
	env.gbpages = true;
	KUNIT_EXPECT_EQ(test, ptsel_guest_pte_check(&env, 2, P | PS | (3ULL << 29), &g),
			PTSEL_GPTE_ALIGN);
	KUNIT_EXPECT_EQ(test, ptsel_guest_pte_check(&env, 1, P | PS | (1ULL << 21) | (1ULL << 13), &g),
			PTSEL_GPTE_ALIGN);
	/* bit 12 of a huge page is PAT */
	KUNIT_EXPECT_EQ(test, ptsel_guest_pte_check(&env, 1, P | PS | (1ULL << 21) | (1ULL << 12), &g),
			PTSEL_GPTE_OK);
	KUNIT_EXPECT_EQ(test, g.addr, 1ULL << 21);
	/* bit 7 of a PTE is PAT: a 4K leaf */
	KUNIT_EXPECT_EQ(test, ptsel_guest_pte_check(&env, 0, P | PS | 0x7000, &g), PTSEL_GPTE_OK);
	KUNIT_EXPECT_EQ(test, g.size, 4096ULL);
}

static struct kunit_case ptsel_gverify_cases[] = {
	KUNIT_CASE(gverify_maxphyaddr),
	KUNIT_CASE(gverify_nx_ps_align),
	{}
};

static struct kunit_suite ptsel_gverify_suite = {
	.name = "ptsel_gverify",
	.test_cases = ptsel_gverify_cases,
};

kunit_test_suites(&ptsel_gverify_suite);

MODULE_DESCRIPTION("KUnit tests for ptsel's guest-entry check");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(PTSEL);
