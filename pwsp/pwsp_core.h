/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pwsp core: the policy over guest paging entries, the W/V page state
 * machine and walk-based link verification. Pure logic: it reads and
 * writes guest memory, tracks pages and reports events only through
 * struct pwsp_core_ops, and the caller serializes every call. The same
 * code builds in userspace (tools/testing/userspace) and runs in KUnit.
 */
#ifndef _PWSP_CORE_H
#define _PWSP_CORE_H

#include <linux/types.h>
#include <linux/pwsp.h>
#include <kunit/visibility.h>
#include <memvirt/ptsel_gverify.h>

#define PWSP_PAGE_SHIFT		12
#define PWSP_ENTRIES		512
#define PWSP_HASH_BITS		10

/*
 * Rights along a path, as one of 8 combinations: bit 0 writable, bit 1
 * user, bit 2 executable. A page's rights are the set of combinations
 * of the paths that reach it, as a mask of 8 bits.
 */
#define PWSP_RIGHT_W		1
#define PWSP_RIGHT_U		2
#define PWSP_RIGHT_X		4
#define PWSP_ROOT_COMBO		(PWSP_RIGHT_W | PWSP_RIGHT_U | PWSP_RIGHT_X)

/**
 * struct pwsp_kpolicy - a validated policy
 * @env: the guest's paging mode, for ptsel_guest_pte_check()
 * @nr: ranges at @r
 * @r: the ranges
 */
struct pwsp_kpolicy {
	struct ptsel_genv env;
	u32 nr;
	struct pwsp_range r[PWSP_MAX_RANGES];
};

/* Page states of the seed's stage 2, see the admin guide. */
enum pwsp_state {
	PWSP_STATE_W = 0,	/* not linked: guest fills it, untracked */
	PWSP_STATE_V = 1,	/* linked, verified, write-tracked, shadowed */
};

enum pwsp_event {
	PWSP_EV_LINK,		/* a verified entry now points at the page */
	PWSP_EV_UNLINK,		/* such an entry went */
	PWSP_EV_ROOT,		/* the VMM protects the page as a root */
	PWSP_EV_UNROOT,		/* the VMM unprotects it */
};

/**
 * struct pwsp_pstate - what the state machine knows of a page
 * @state: enum pwsp_state
 * @level: level of the page's entries while V (0 = PTEs), -1 while W
 * @root: the page is a protected root (one of @refs)
 * @refs: verified entries pointing at it, plus one as a root
 */
struct pwsp_pstate {
	u8 state;
	int level;
	bool root;
	u32 refs;
};

int pwsp_transition(struct pwsp_pstate *s, enum pwsp_event ev, int level,
		    unsigned int levels);

/**
 * struct pwsp_violation - a refused entry, for pwsp_core_ops.violation
 * @gpa: where the entry is (for a root: the root's gpa)
 * @old_val: last verified value
 * @new_val: the value refused
 * @reason: PWSP_R_*
 * @level: the entry's level
 * @reverted: @old_val was written back
 */
struct pwsp_violation {
	u64 gpa;
	u64 old_val;
	u64 new_val;
	u32 reason;
	int level;
	bool reverted;
};

/* pwsp_core_ops.count */
enum pwsp_count {
	PWSP_CNT_WRITES,	/* entries re-read and verified after a write */
	PWSP_CNT_LINKS,		/* subtrees verified and linked */
	PWSP_CNT_REVERTS,	/* entries written back */
	PWSP_CNT_RACED,		/* repairs that found the entry changed again */
};

/**
 * struct pwsp_core_ops - what the core needs from its host
 * @read: read @len bytes of guest memory at @gpa (8 or 4096, aligned)
 * @write_if: replace the 8-byte entry at @gpa with @val if it still
 *	     holds *@old: 0, or -EAGAIN with *@old set to what it holds,
 *	     or another -errno
 * @track: start (@on) or stop write tracking of @gfn
 * @state: page @gfn went from state @from to @to (at @level)
 * @violation: an entry was refused
 * @count: add @n to counter @what (enum pwsp_count)
 */
struct pwsp_core_ops {
	int (*read)(void *priv, u64 gpa, void *buf, unsigned int len);
	int (*write_if)(void *priv, u64 gpa, u64 *old, u64 val);
	int (*track)(void *priv, u64 gfn, bool on);
	void (*state)(void *priv, u64 gfn, int level, int from, int to);
	void (*violation)(void *priv, const struct pwsp_violation *v);
	void (*count)(void *priv, unsigned int what, u64 n);
};

/**
 * struct pwsp_page - a page in state V
 * @next: hash chain
 * @gfn: its frame
 * @st: its state machine
 * @combo: per rights combination, the (entry, combination) pairs of
 *	   its parents that give it; the page's rights are the non-zero ones
 * @shadow: its last verified contents
 * @lost: KVM dropped its tracking with its memslot; never untrack it
 */
struct pwsp_page {
	struct pwsp_page *next;
	u64 gfn;
	struct pwsp_pstate st;
	bool lost;
	u32 combo[8];
	u64 *shadow;
};

/**
 * struct pwsp_core - one VM's protected trees
 * @ops: host operations
 * @priv: their cookie
 * @pol: the policy (valid once @policy_set)
 * @policy_set: pwsp_core_set_policy() succeeded
 * @nr_pages: pages in state V
 * @nr_roots: protected roots
 * @max_pages: most pages in state V at once
 * @max_link_pages: most new pages one link (or root) may bring in
 * @hash: the V pages by gfn
 */
struct pwsp_core {
	const struct pwsp_core_ops *ops;
	void *priv;
	struct pwsp_kpolicy pol;
	bool policy_set;
	u64 nr_pages;
	u32 nr_roots;
	u64 max_pages;
	u64 max_link_pages;
	struct pwsp_page *hash[1U << PWSP_HASH_BITS];
};

int pwsp_policy_validate(const struct pwsp_policy *up,
			 const struct pwsp_range *ranges,
			 struct pwsp_kpolicy *out);
u32 pwsp_check_entry(const struct pwsp_kpolicy *pol, unsigned int level,
		     u64 table_gfn, u64 pte, u8 mask, struct ptsel_gpte *g);
u8 pwsp_child_mask(u8 mask, const struct ptsel_gpte *g);

void pwsp_core_init(struct pwsp_core *c, const struct pwsp_core_ops *ops,
		    void *priv);
int pwsp_core_set_policy(struct pwsp_core *c, const struct pwsp_kpolicy *pol);
int pwsp_core_protect_root(struct pwsp_core *c, u64 gpa, u32 *reason);
int pwsp_core_unprotect_root(struct pwsp_core *c, u64 gpa);
void pwsp_core_write(struct pwsp_core *c, u64 gpa, unsigned int bytes,
		     bool revert);
int pwsp_core_rescan(struct pwsp_core *c);
bool pwsp_core_is_v(struct pwsp_core *c, u64 gfn);
struct pwsp_page *pwsp_core_find(struct pwsp_core *c, u64 gfn);
u64 pwsp_core_forget_range(struct pwsp_core *c, u64 gfn, u64 nr);
void pwsp_core_destroy(struct pwsp_core *c);

#endif /* _PWSP_CORE_H */
