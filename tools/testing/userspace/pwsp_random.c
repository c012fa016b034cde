// SPDX-License-Identifier: GPL-2.0
/*
 * pwsp core against the reference verifier (pwsp_model.h) on random
 * page-table trees: protecting a root is accepted exactly when the
 * reference finds the tree sound; then random guest writes (whole
 * entries and 4-byte halves: leaves, links of freshly filled tables,
 * shared tables, right changes, unlinks, garbage) are kept exactly when
 * the reference accepts the tree they leave, and otherwise reverted to
 * the old entry. After every step the V pages are exactly the reachable
 * tables, tracked, with shadows equal to memory. Prints TAP.
 */
#include <linux/slab.h>

#include "pwsp_model.h"

static unsigned int tests, failed;
static u64 next_table;
static bool was_v[M_FRAMES];


static void ok(int cond, const char *what)
{
	tests++;
	if (!cond)
		failed++;
	printf("%sok %u - %s\n", cond ? "" : "not ", tests, what);
}

static u64 rnd64(void)
{
	return ((u64)random() << 33) ^ ((u64)random() << 11) ^ (u64)random();
}

static u64 new_table(struct model *m)
{
	u64 t = next_table++;

	/*
	 * Never reuse a frame within a trial, nor take one that a random
	 * entry already links: the guest fills W pages only.
	 */
	while (pwsp_core_is_v(&m->core, t))
		t = next_table++;
	if (t >= M_PROT)
		abort();
	memset(&m->mem[t * 512], 0, 4096);
	return t;
}

/* A random data frame: mostly plain RAM, sometimes a sensitive one. */
static u64 rnd_frame(void)
{
	switch (random() % 10) {
	case 0: return M_TEXT + random() % 16;
	case 1: return M_KONLY + random() % 100;
	case 2: return M_PROT + random() % 20;
	case 3: return M_FRAMES + random() % 1000;
	default: return 400 + random() % 500;
	}
}

/* A random leaf at @level; @bad_pct percent of them may break a rule. */
static u64 rnd_leaf(int level, int bad_pct)
{
	bool bad = random() % 100 < bad_pct;
	u64 flags = M_P | (random() % 2 ? M_RW : 0) | (random() % 4 ? 0 : M_US) |
		    (random() % 3 ? M_NX : 0);
	u64 f = bad ? rnd_frame() : 400 + random() % 500;

	if (!bad) {
		flags |= M_NX;
		flags &= ~M_US;
	}
	if (level > 0) {
		u64 n = level == 1 ? 512 : 512 * 512;

		/* sound huge pages: 2M in 1536-2559, 1G above RAM */
		if (!bad)
			f = level == 1 ? 1536 + 512 * (random() % 2) : n;
		f = f / n * n;
		if (bad && random() % 4 == 0)
			f += 1 + random() % 3;
		flags |= M_PS;
	}
	if (bad && random() % 6 == 0)
		flags |= 1ULL << (36 + random() % 16);
	return flags | (f << 12);
}

/* Fill a table at @level (depth-first), with @bad_pct percent bad entries. */
static void fill(struct model *m, u64 t, int level, int bad_pct, int fan)
{
	int k, n = 1 + random() % fan;

	for (k = 0; k < n; k++) {
		int i = random() % 512;
		u64 e;

		if (level > 0 && random() % 3) {
			u64 c = new_table(m);

			fill(m, c, level - 1, bad_pct, fan);
			e = M_P | M_RW | (c << 12) | (random() % 4 ? 0 : M_US) |
			    (random() % 5 ? 0 : M_NX);
		} else {
			e = rnd_leaf(level > 2 ? 0 : level, bad_pct);
			if (level == 3)
				e &= ~M_PS;
		}
		m->mem[t * 512 + i] = e;
	}
}

/* A V page to write to, found by walking down from the root. */
static u64 pick_table(struct model *m, u64 root, int *level)
{
	u64 t = root;
	int l = 3;

	while (l > 0 && random() % 3) {
		u64 cands[512];
		int n = 0, i;

		for (i = 0; i < 512; i++) {
			u64 e = m->mem[t * 512 + i];

			if ((e & M_P) && !(e & M_PS))
				cands[n++] = (e >> 12) & 0xffffffffffULL;
		}
		if (!n)
			break;
		t = cands[random() % n];
		l--;
	}
	*level = l;
	return t;
}

static u64 rnd_write(struct model *m, u64 t, int level, int i, u64 root)
{
	u64 old = m->mem[t * 512 + i];

	switch (random() % 8) {
	case 0:
		return 0;
	case 1:
		return level > 2 ? rnd_leaf(0, 30) & ~M_PS : rnd_leaf(level, 30);
	case 2:
	case 3: {
		u64 c;

		if (!level || next_table + 64 >= M_PROT)
			return rnd_leaf(0, 30);
		c = new_table(m);
		fill(m, c, level - 1, random() % 2 ? 0 : 20, 2);
		return M_P | M_RW | (c << 12) | (random() % 6 ? 0 : M_US);
	}
	case 4: {
		/* share a table of the right level, or a wrong one */
		int l2;
		u64 s = pick_table(m, root, &l2);

		return M_P | (s << 12) | (random() % 2 ? M_RW : 0);
	}
	case 5:
		return old ^ (random() % 2 ? M_RW : random() % 2 ? M_US : M_NX);
	case 6:
		return old ^ (1ULL << (random() % 64));
	default:
		return rnd64();
	}
}

/* PWSP_DEBUG=1: the frames where the core and the reference disagree. */
static void dump_frames(struct model *m)
{
	for (u64 f = 0; f < M_FRAMES; f++) {
		struct pwsp_page *p = pwsp_core_find(&m->core, f);

		if (!!p != (m->ref_level[f] >= 0))
			printf("#  frame %llu (was V %d): core %d ref %d refs %u\n",
			       f, was_v[f], p ? p->st.level : -1, m->ref_level[f],
			       p ? p->st.refs : 0);
	}
}

/* --- racing vCPUs -------------------------------------------------------- */

static u64 race_val, race_mask;

/* vCPU B's write lands between the core's read of the entry and its repair. */
static void race_write(struct model *m, u64 gpa)
{
	u64 *e = &m->mem[gpa / 8];

	*e = (*e & ~race_mask) | (race_val & race_mask);
}

/*
 * vCPU A writes an illegal value to one 4-byte half of a leaf (RW on
 * kernel text) while vCPU B writes a legal one to the other half
 * (software bits 52-58 as a sequence number, or NX) or to the whole
 * entry (a data page), in four orders: B's write between A's read and
 * A's repair, both writes before either check (A's or B's checked
 * first), or B's whole entry in the window. After both checks B's
 * write is in memory, A's is undone, there is one violation, and the
 * tree is sound with shadows equal to memory. Returns the rounds where
 * B's write was lost; *bad counts any other mismatch.
 */
static unsigned int race_rounds(struct model *m, unsigned int rounds,
				unsigned int *bad)
{
	u64 root = M_TABLES, pt = M_TABLES + 3, lo = 0xffffffffULL, hi = ~lo;
	unsigned int k, lost = 0;
	u32 reason;

	model_init(m, 40, true);
	m->mem[root * 512] = M_P | M_RW | M_US | ((root + 1) << 12);
	m->mem[(root + 1) * 512] = M_P | M_RW | M_US | ((root + 2) << 12);
	m->mem[(root + 2) * 512] = M_P | M_RW | M_US | (pt << 12);
	for (k = 0; k < 16; k++)
		m->mem[pt * 512 + k] = M_P | ((u64)(M_TEXT + k) << 12);
	if (pwsp_core_protect_root(&m->core, root << 12, &reason)) {
		(*bad)++;
		return 0;
	}
	for (k = 0; k < rounds; k++) {
		unsigned int i = random() % 16, order = random() % 4;
		u64 gpa = pt * 4096 + i * 8, *e = &m->mem[pt * 512 + i];
		u64 pre = *e, a_val = pre | M_RW, want;
		unsigned int v0 = m->violations;

		race_mask = order == 3 ? ~0ULL : hi;
		race_val = order == 3 ? M_P | M_NX | M_RW | ((400ULL + k % 400) << 12) :
			   ((u64)(k % 128) << 52) | (k & 128 ? M_NX : 0);
		want = (pre & ~race_mask) | (race_val & race_mask);
		*e = (pre & hi) | (a_val & lo);		/* A's write */
		if (order == 0 || order == 3) {
			m->race = race_write;
			pwsp_core_write(&m->core, gpa, 4, true);
			m->race = NULL;
			pwsp_core_write(&m->core, gpa + (order == 3 ? 0 : 4),
					order == 3 ? 8 : 4, true);
		} else {
			race_write(m, gpa);
			if (order == 2)
				pwsp_core_write(&m->core, gpa + 4, 4, true);
			pwsp_core_write(&m->core, gpa, 4, true);
			if (order == 1)
				pwsp_core_write(&m->core, gpa + 4, 4, true);
		}
		if ((*e & race_mask) != (race_val & race_mask))
			lost++;
		else if (*e != want && !m->plain_write)
			(*bad)++;
		/* B's whole entry in the window: A's value is gone unseen */
		if (m->violations != v0 + (order != 3) || ref_verify(m, root) ||
		    model_invariants(m, true)) {
			if (getenv("PWSP_DEBUG"))
				printf("# order %u pre %#llx now %#llx viol %u\n", order, pre, *e,
				       m->violations - v0);
			(*bad)++;
		}
		/* back to a text leaf, for the next round */
		*e = pre & ~M_NX;
		pwsp_core_write(&m->core, gpa, 8, true);
	}
	pwsp_core_destroy(&m->core);
	return lost;
}

int main(int argc, char **argv)
{
	static struct model m;
	unsigned int trial, accept_mismatch = 0, write_mismatch = 0;
	unsigned int inv_bad = 0, accepted = 0, refused = 0, skipped = 0;
	unsigned int w_kept = 0, w_reverted = 0, halves = 0, rev_count_bad = 0;
	unsigned int root_bad = 0;
	unsigned int trials = argc > 1 ? atoi(argv[1]) : 150;
	const char *why = NULL;

	printf("TAP version 13\n");
	m.mem = calloc(M_FRAMES, 4096);
	srandom(15);
	for (trial = 0; trial < trials; trial++) {
		bool nxe = random() % 10;
		/* one tree in eight has its root on a host-protected frame */
		u64 root = trial % 8 == 7 ? M_PROT + random() % 20 : M_TABLES;
		int step, rv, r;
		u32 reason;

		model_init(&m, 36 + random() % 10, nxe);
		next_table = M_TABLES + 1;
		fill(&m, root, 3, trial % 3 ? 0 : 3, 4);
		r = ref_verify(&m, root);
		if (r < 0) {
			skipped++;
			continue;
		}
		rv = pwsp_core_protect_root(&m.core, root << 12, &reason);
		if ((rv == 0) != (r == 0))
			accept_mismatch++;
		if (root != M_TABLES)
			root_bad += rv == -EACCES && reason == PWSP_R_PROTECTED ? 0 : 1;
		if (rv) {
			refused++;
			if (model_invariants(&m, false))
				inv_bad++;
			pwsp_core_destroy(&m.core);
			continue;
		}
		accepted++;
		why = model_invariants(&m, true);
		if (why)
			inv_bad++;
		for (step = 0; step < 150 && !why; step++) {
			int level, i;
			u64 t = pick_table(&m, root, &level), old, val, gpa;
			unsigned int rev0 = m.reverts, bytes = 8;

			i = random() % 4 ? random() % 8 : random() % 512;
			gpa = t * 4096 + i * 8;
			old = m.mem[t * 512 + i];
			if (ref_snapshot(&m, root)) {
				skipped++;
				break;
			}
			val = rnd_write(&m, t, level, i, root);
			if (random() % 4 == 0) {
				/* one 4-byte half of the entry */
				halves++;
				bytes = 4;
				if (random() % 2) {
					gpa += 4;
					val = (old & 0xffffffffULL) | (val & ~0xffffffffULL);
				} else {
					val = (old & ~0xffffffffULL) | (val & 0xffffffffULL);
				}
			}
			if (getenv("PWSP_DEBUG")) {
				for (u64 f = 0; f < M_FRAMES; f++)
					was_v[f] = pwsp_core_is_v(&m.core, f);
				if (ref_verify(&m, root) == 0 && model_invariants(&m, true))
					printf("# trial %u step %u: broken before the write: %s\n",
					       trial, step, model_invariants(&m, true));
			}
			m.mem[t * 512 + i] = val;
			r = ref_verify(&m, root);
			if (r < 0) {
				m.mem[t * 512 + i] = old;
				continue;
			}
			pwsp_core_write(&m.core, gpa, bytes, true);
			if (r == 0) {
				w_kept++;
				if (m.mem[t * 512 + i] != val || m.reverts != rev0) {
					if (!write_mismatch++)
						printf("# kept? old %#llx val %#llx now %#llx reason %u\n",
						       old, val, m.mem[t * 512 + i], m.last_reason);
				}
			} else {
				w_reverted++;
				if (m.mem[t * 512 + i] != revert_value(old, val)) {
					if (!write_mismatch++)
						printf("# reverted? old %#llx val %#llx now %#llx\n",
						       old, val, m.mem[t * 512 + i]);
				}
				if (m.reverts != rev0 + 1)
					rev_count_bad++;
				ref_verify(&m, root);
			}
			why = model_invariants(&m, true);
			if (why) {
				inv_bad++;
				printf("# trial %u step %u: %s (t %llu level %d i %d old %#llx val %#llx bytes %u r %d reason %u)\n",
				       trial, step, why, t, level, i, old, val, bytes, r, m.last_reason);
				if (getenv("PWSP_DEBUG"))
					dump_frames(&m);
			}
		}
		memset(m.prev_level, -1, sizeof(m.prev_level));
		if (pwsp_core_unprotect_root(&m.core, root << 12) ||
		    model_invariants(&m, false))
			inv_bad++;
		pwsp_core_destroy(&m.core);
	}
	/*
	 * Allocation failures (the shim's fault injection) during protect
	 * and link verification: protect fails with -ENOMEM and reports no
	 * violation, a link is refused as PWSP_R_FAULT and reverted, the
	 * pages stay W, and nothing leaks.
	 */
	{
		unsigned int nomem = 0, nomem_bad = 0, leaks = 0, k;
		unsigned long live0 = shim_live_allocs;

		for (k = 0; k < 300; k++) {
			u64 root = M_TABLES, gpa, old;
			u32 reason;
			int rv;

			model_init(&m, 40, true);
			next_table = M_TABLES + 1;
			fill(&m, root, 3, 0, 3);
			if (ref_verify(&m, root))
				continue;
			shim_fail_after = k % 2 ? -1 : random() % 8;
			rv = pwsp_core_protect_root(&m.core, root << 12, &reason);
			if (rv) {
				/* ENOMEM, not a refused tree: no violation */
				nomem++;
				if (rv != -ENOMEM || reason || m.violations ||
				    model_invariants(&m, false))
					nomem_bad++;
			} else if (k % 2) {
				/* link a fresh subtree while allocations fail */
				u64 c = new_table(&m);

				fill(&m, c, 2, 0, 3);
				gpa = root * 4096 + 511 * 8;
				old = m.mem[root * 512 + 511];
				m.mem[root * 512 + 511] = M_P | M_RW | (c << 12);
				shim_fail_after = random() % 4;
				pwsp_core_write(&m.core, gpa, 8, true);
				shim_fail_after = -1;
				if (m.mem[root * 512 + 511] != old) {
					/* it had enough allocations: kept */
					ref_verify(&m, root);
				} else {
					nomem++;
					if (m.last_reason != PWSP_R_FAULT)
						nomem_bad++;
					ref_verify(&m, root);
				}
				if (model_invariants(&m, true))
					nomem_bad++;
			}
			shim_fail_after = -1;
			pwsp_core_destroy(&m.core);
			if (shim_live_allocs != live0)
				leaks++;
		}
		printf("# %u operations refused for want of memory\n", nomem);
		ok(nomem > 50 && !nomem_bad,
		   "allocation failures: protect gives ENOMEM, a link is refused as fault, pages stay W");
		ok(!leaks, "no allocation leaks across failures and teardown");
	}
	{
		unsigned int bad = 0, bad2 = 0, lost;

		lost = race_rounds(&m, 4000, &bad);
		printf("# racing writes: %u legal writes lost, %u other mismatches\n", lost, bad);
		ok(!lost && !bad,
		   "a repair keeps a racing vCPU's legal write to the entry or its other half");
		/* the harness can tell: a plain write-back loses them */
		m.plain_write = true;
		lost = race_rounds(&m, 400, &bad2);
		m.plain_write = false;
		ok(lost > 50, "a plain write-back would lose racing writes (the test sees it)");
	}
	printf("# %u trees accepted, %u refused, %u skipped; writes kept %u, reverted %u, %u halves\n",
	       accepted, refused, skipped, w_kept, w_reverted, halves);
	ok(accept_mismatch == 0, "protect_root accepts exactly the trees the reference accepts");
	ok(root_bad == 0, "a root on a host-protected frame is refused as protected");
	ok(accepted > trials / 4 && refused > trials / 20,
	   "the random trees include both sound and unsound ones");
	ok(write_mismatch == 0, "a write is kept exactly when the reference accepts the result, else reverted");
	ok(rev_count_bad == 0, "each refused write counts one revert");
	ok(w_kept > 1000 && w_reverted > 500 && halves > 500,
	   "both kept and reverted writes, whole and half, were exercised");
	ok(inv_bad == 0, "V pages are exactly the reachable tables, tracked, shadows equal memory");
	printf("1..%u\n", tests);
	free(m.mem);
	return failed ? 1 : 0;
}
