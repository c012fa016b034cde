// SPDX-License-Identifier: GPL-2.0
/*
 * ptsel_guest_pte_check() on each side of each rule: the MAXPHYADDR
 * boundary at every width, NX with and without NXE, PS per level (with
 * and without 1 GiB pages), huge-page alignment, and the decoding of
 * sound entries. Prints TAP.
 */
#include <stdio.h>
#include <memvirt/ptsel_gverify.h>

static unsigned int tests, failed;

static void ok(int cond, const char *what)
{
	tests++;
	if (!cond)
		failed++;
	printf("%sok %u - %s\n", cond ? "" : "not ", tests, what);
}

#define P	1ULL
#define RW	2ULL
#define US	4ULL
#define PS	0x80ULL
#define NX	(1ULL << 63)

int main(void)
{
	struct ptsel_genv env = { .levels = 4, .maxphyaddr = 40, .nxe = true, .gbpages = true };
	struct ptsel_gpte g;
	unsigned int mp, bad = 0;

	printf("TAP version 13\n");
	for (mp = 32; mp <= 52; mp++) {
		env.maxphyaddr = mp;
		if (ptsel_guest_pte_check(&env, 0, P | ((1ULL << mp) - 4096), &g) ||
		    g.addr != (1ULL << mp) - 4096)
			bad++;
		if (mp < 52 && ptsel_guest_pte_check(&env, 0, P | (1ULL << mp), &g) !=
		    PTSEL_GPTE_RSVD)
			bad++;
	}
	ok(!bad, "an address bit below MAXPHYADDR is fine, the first one above is reserved (32-52)");
	env.maxphyaddr = 40;
	ok(ptsel_guest_pte_check(&env, 0, (1ULL << 45) | NX | PS, &g) == PTSEL_GPTE_OK &&
	   !g.present, "a non-present entry is never reserved");
	ok(ptsel_guest_pte_check(&env, 0, P | (0x7ffULL << 52), &g) == PTSEL_GPTE_OK,
	   "bits 52-62 are ignored");
	ok(ptsel_guest_pte_check(&env, 1, P | NX | 0x5000, &g) == PTSEL_GPTE_OK && g.nx,
	   "NX with NXE is allowed and decoded");
	env.nxe = false;
	ok(ptsel_guest_pte_check(&env, 1, P | NX | 0x5000, &g) == PTSEL_GPTE_RSVD,
	   "NX without NXE is reserved");
	env.nxe = true;
	ok(ptsel_guest_pte_check(&env, 3, P | PS, &g) == PTSEL_GPTE_PS_TOP,
	   "PS in a PML4E is refused");
	env.levels = 5;
	ok(ptsel_guest_pte_check(&env, 4, P | PS, &g) == PTSEL_GPTE_PS_TOP,
	   "PS in a PML5E is refused");
	env.levels = 4;
	ok(ptsel_guest_pte_check(&env, 2, P | PS | (1ULL << 30), &g) == PTSEL_GPTE_OK &&
	   g.leaf && g.size == 1ULL << 30 && g.addr == 1ULL << 30,
	   "an aligned 1G page with gbpages is a leaf");
	env.gbpages = false;
	ok(ptsel_guest_pte_check(&env, 2, P | PS | (1ULL << 30), &g) == PTSEL_GPTE_PS_TOP,
	   "a 1G page without gbpages is refused");
	env.gbpages = true;
	ok(ptsel_guest_pte_check(&env, 2, P | PS | (1ULL << 30) | (1ULL << 29), &g) ==
	   PTSEL_GPTE_ALIGN, "a 1G page off by 512M is misaligned");
	ok(ptsel_guest_pte_check(&env, 1, P | PS | (1ULL << 21) | (1ULL << 13), &g) ==
	   PTSEL_GPTE_ALIGN, "a 2M page off by 8K is misaligned");
	ok(ptsel_guest_pte_check(&env, 1, P | PS | (1ULL << 21) | (1ULL << 12), &g) ==
	   PTSEL_GPTE_OK && g.addr == 1ULL << 21,
	   "bit 12 of a 2M page is PAT, not address");
	ok(ptsel_guest_pte_check(&env, 1, P | RW | US | 0x7000, &g) == PTSEL_GPTE_OK &&
	   !g.leaf && g.addr == 0x7000 && g.writable && g.user,
	   "a table reference decodes as non-leaf with its rights");
	ok(ptsel_guest_pte_check(&env, 0, P | PS | 0x7000, &g) == PTSEL_GPTE_OK &&
	   g.leaf && g.size == 4096, "bit 7 of a PTE is PAT: a 4K leaf");
	printf("1..%u\n", tests);
	return failed ? 1 : 0;
}
