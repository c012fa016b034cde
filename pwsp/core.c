// SPDX-License-Identifier: GPL-2.0
/*
 * pwsp core: policy, page states and walk-based verification.
 *
 * A guest page-table page is W (not linked from any protected root:
 * untracked, the guest fills it freely) or V (linked through verified
 * entries only: write-tracked, with a shadow of its verified contents).
 * A write to a V page is re-read from guest memory entry by entry and
 * each changed entry is verified with the rights of every path that
 * reaches the page. An entry that links a table verifies the whole
 * subtree below it first (phase 1, nothing changes), then moves its W
 * pages to V (phase 2). The MMU can only reach a page through a
 * verified link.
 *
 * Rights are tracked per combination (writable, user, executable):
 * each page counts, per combination, the parent (entry, combination)
 * pairs that give it. Adding a combination to a page verifies its
 * subtree under it; removing one only relaxes checks. The counts make
 * the rights exact when a page loses one of several parents.
 */
#include <linux/errno.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "pwsp_core.h"

#define ENTRY_BYTES	8
/* Accessed and dirty: the guest's MMU (KVM's walker) sets them in place. */
#define PTE_AD		0x60ULL

static const u32 gpte_reason[] = {
	[PTSEL_GPTE_OK] = 0,
	[PTSEL_GPTE_RSVD] = PWSP_R_RSVD,
	[PTSEL_GPTE_PS_TOP] = PWSP_R_PS_TOP,
	[PTSEL_GPTE_ALIGN] = PWSP_R_ALIGN,
};

/**
 * pwsp_policy_validate() - check a policy from user space
 * @up: the header
 * @ranges: its @up->nr_ranges ranges, copied in
 * @out: the validated policy
 *
 * Return: 0, or -EINVAL for any field out of its range, a reserved
 * field set, a range that wraps or lies beyond MAXPHYADDR, or no RAM.
 */
int pwsp_policy_validate(const struct pwsp_policy *up,
			 const struct pwsp_range *ranges,
			 struct pwsp_kpolicy *out)
{
	bool ram = false;
	u64 limit;
	u32 i;

	if (up->maxphyaddr < 32 || up->maxphyaddr > 52 || up->nxe > 1 ||
	    (up->levels != 4 && up->levels != 5) || up->gbpages > 1 ||
	    !up->nr_ranges || up->nr_ranges > PWSP_MAX_RANGES ||
	    up->reserved0 || up->reserved[0] || up->reserved[1])
		return -EINVAL;
	limit = 1ULL << (up->maxphyaddr - PWSP_PAGE_SHIFT);
	for (i = 0; i < up->nr_ranges; i++) {
		const struct pwsp_range *r = &ranges[i];

		if (!r->nr_pages || r->gfn >= limit ||
		    r->nr_pages > limit - r->gfn || r->reserved ||
		    r->type < PWSP_RANGE_RAM || r->type > PWSP_RANGE_KERNEL_ONLY)
			return -EINVAL;
		ram |= r->type == PWSP_RANGE_RAM;
		out->r[i] = *r;
	}
	if (!ram)
		return -EINVAL;
	out->nr = up->nr_ranges;
	out->env.levels = up->levels;
	out->env.maxphyaddr = up->maxphyaddr;
	out->env.nxe = up->nxe;
	out->env.gbpages = up->gbpages;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(pwsp_policy_validate);

static bool overlaps(const struct pwsp_range *r, u64 gfn, u64 n)
{
	return gfn < r->gfn + r->nr_pages && r->gfn < gfn + n;
}

static bool inside(const struct pwsp_range *r, u64 gfn, u64 n)
{
	return gfn >= r->gfn && gfn + n <= r->gfn + r->nr_pages;
}

/* Does a range of @type overlap (or, with @whole, hold) frames [gfn, gfn + n)? */
static bool any_range(const struct pwsp_kpolicy *pol, u32 type, u64 gfn, u64 n,
		      bool whole)
{
	u32 i;

	for (i = 0; i < pol->nr; i++)
		if (pol->r[i].type == type &&
		    (whole ? inside(&pol->r[i], gfn, n) : overlaps(&pol->r[i], gfn, n)))
			return true;
	return false;
}

#define any_overlap(pol, type, gfn, n)	any_range(pol, type, gfn, n, false)
#define any_inside(pol, type, gfn, n)	any_range(pol, type, gfn, n, true)

static int child_combo(int combo, const struct ptsel_gpte *g)
{
	return combo & ((g->writable ? PWSP_RIGHT_W : 0) |
			(g->user ? PWSP_RIGHT_U : 0) | (g->nx ? 0 : PWSP_RIGHT_X));
}

/**
 * pwsp_child_mask() - rights combinations below an entry
 * @mask: combinations that reach the entry's table
 * @g: the entry, decoded and present
 *
 * Return: the combinations of the page or table the entry points at.
 */
u8 pwsp_child_mask(u8 mask, const struct ptsel_gpte *g)
{
	u8 out = 0;
	int c;

	for (c = 0; c < 8; c++)
		if (mask & (1U << c))
			out |= 1U << child_combo(c, g);
	return out;
}
EXPORT_SYMBOL_IF_KUNIT(pwsp_child_mask);

/* A page-table page at @gfn: RAM, and no host-protected frame. */
static u32 check_table_frame(const struct pwsp_kpolicy *pol, u64 gfn)
{
	if (any_overlap(pol, PWSP_RANGE_PROTECTED, gfn, 1) ||
	    any_overlap(pol, PWSP_RANGE_PROTECTED_RO, gfn, 1))
		return PWSP_R_PROTECTED;
	if (!any_inside(pol, PWSP_RANGE_RAM, gfn, 1))
		return PWSP_R_NOT_RAM;
	return 0;
}

/* The leaf rules for one rights combination. */
static u32 check_leaf(const struct pwsp_kpolicy *pol, u64 gfn, u64 n, int c)
{
	bool w = c & PWSP_RIGHT_W, u = c & PWSP_RIGHT_U, x = c & PWSP_RIGHT_X;

	if (any_overlap(pol, PWSP_RANGE_PROTECTED, gfn, n) ||
	    (w && any_overlap(pol, PWSP_RANGE_PROTECTED_RO, gfn, n)))
		return PWSP_R_PROTECTED;
	if (w && any_overlap(pol, PWSP_RANGE_TEXT, gfn, n))
		return PWSP_R_TEXT_WRITABLE;
	if (x && !u && !any_inside(pol, PWSP_RANGE_TEXT, gfn, n))
		return PWSP_R_EXEC_NONTEXT;
	if (u && (any_overlap(pol, PWSP_RANGE_KERNEL_ONLY, gfn, n) ||
		  any_overlap(pol, PWSP_RANGE_TEXT, gfn, n)))
		return PWSP_R_USER_KERNEL;
	return 0;
}

/**
 * pwsp_check_entry() - verify one entry of a page-table page
 * @pol: the policy
 * @level: the table's level (0 = PTEs)
 * @table_gfn: the table's frame
 * @pte: the entry
 * @mask: rights combinations that reach the table
 * @g: the entry, decoded (valid on 0)
 *
 * The level and size rules of the whole subtree are the caller's
 * (link verification); this checks what one entry alone can break.
 *
 * Return: 0 or the PWSP_R_* reason.
 */
u32 pwsp_check_entry(const struct pwsp_kpolicy *pol, unsigned int level,
		     u64 table_gfn, u64 pte, u8 mask, struct ptsel_gpte *g)
{
	enum ptsel_gpte_err err = ptsel_guest_pte_check(&pol->env, level, pte, g);
	u64 gfn, n;
	u8 cm;
	int c;
	u32 r;

	if (err)
		return gpte_reason[err];
	if (!g->present)
		return 0;
	gfn = g->addr >> PWSP_PAGE_SHIFT;
	n = g->size >> PWSP_PAGE_SHIFT;
	if (table_gfn >= gfn && table_gfn < gfn + n)
		return PWSP_R_SELF_MAP;
	if (!g->leaf)
		return check_table_frame(pol, gfn);
	cm = pwsp_child_mask(mask, g);
	for (c = 0; c < 8; c++) {
		if (!(cm & (1U << c)))
			continue;
		r = check_leaf(pol, gfn, n, c);
		if (r)
			return r;
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(pwsp_check_entry);

/**
 * pwsp_transition() - the page state machine
 * @s: the page's state, updated on success
 * @ev: what happens to it
 * @level: the level it is linked at (PWSP_EV_LINK, PWSP_EV_ROOT)
 * @levels: the guest's paging levels
 *
 * W -LINK-> V at @level; V -LINK-> V at the same level (one more
 * reference); V -UNLINK-> V or, at the last reference, W; W or V at the
 * top level -ROOT-> V root; V root -UNROOT-> V or W.
 *
 * Return: 0; -EINVAL for a transition that does not exist: linking a
 * page at a second level, unlinking a W page or a root's own
 * reference, protecting a lower-level table or a root twice,
 * unprotecting what is not a root.
 */
int pwsp_transition(struct pwsp_pstate *s, enum pwsp_event ev, int level,
		    unsigned int levels)
{
	switch (ev) {
	case PWSP_EV_LINK:
		if (level < 0 || level >= (int)levels - 1 ||
		    (s->state == PWSP_STATE_V && s->level != level))
			return -EINVAL;
		break;
	case PWSP_EV_ROOT:
		if (level != (int)levels - 1 || s->root ||
		    (s->state == PWSP_STATE_V && s->level != level))
			return -EINVAL;
		s->root = true;
		break;
	case PWSP_EV_UNLINK:
		if (s->state != PWSP_STATE_V || s->refs <= (s->root ? 1U : 0U))
			return -EINVAL;
		if (!--s->refs) {
			s->state = PWSP_STATE_W;
			s->level = -1;
		}
		return 0;
	case PWSP_EV_UNROOT:
		if (s->state != PWSP_STATE_V || !s->root)
			return -EINVAL;
		s->root = false;
		if (!--s->refs) {
			s->state = PWSP_STATE_W;
			s->level = -1;
		}
		return 0;
	default:
		return -EINVAL;
	}
	s->state = PWSP_STATE_V;
	s->level = level;
	s->refs++;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(pwsp_transition);

static u32 hash_of(u64 gfn)
{
	return (u32)((gfn * 0x9e3779b97f4a7c15ULL) >> (64 - PWSP_HASH_BITS));
}

/**
 * pwsp_core_find() - the V page at a frame
 * @c: the core
 * @gfn: the frame
 *
 * Return: the page, or NULL if @gfn is W.
 */
struct pwsp_page *pwsp_core_find(struct pwsp_core *c, u64 gfn)
{
	struct pwsp_page *p;

	for (p = c->hash[hash_of(gfn)]; p; p = p->next)
		if (p->gfn == gfn)
			return p;
	return NULL;
}
EXPORT_SYMBOL_IF_KUNIT(pwsp_core_find);

/**
 * pwsp_core_is_v() - is a frame a verified page-table page?
 * @c: the core
 * @gfn: the frame
 *
 * Return: true if @gfn is in state V.
 */
bool pwsp_core_is_v(struct pwsp_core *c, u64 gfn)
{
	return pwsp_core_find(c, gfn);
}
EXPORT_SYMBOL_IF_KUNIT(pwsp_core_is_v);

/* Phase 1's record of one page it looked at. */
struct pend {
	struct pend *next;
	u64 gfn;
	int level;
	u8 add;			/* combinations being added */
	bool tracked;		/* a W page phase 1 started tracking */
	struct pwsp_page *v;	/* the V page, or NULL for a W page */
	struct pwsp_page *page;	/* W page: its V page to be, shadow read */
};

struct linkv {
	struct pwsp_core *c;
	struct pend *list;
	u64 new_pages;
	u64 limit;
	bool nomem;		/* an allocation failed */
	/* where it failed */
	u64 bad_gpa;
	u64 bad_val;
};

static struct pend *pend_find(struct linkv *lv, u64 gfn)
{
	struct pend *p;

	for (p = lv->list; p; p = p->next)
		if (p->gfn == gfn)
			return p;
	return NULL;
}

static void pend_free(struct linkv *lv, bool untrack)
{
	struct pend *p, *n;

	for (p = lv->list; p; p = n) {
		n = p->next;
		if (p->tracked && untrack)
			lv->c->ops->track(lv->c->priv, p->gfn, false);
		if (p->page && untrack) {
			kfree(p->page->shadow);
			kfree(p->page);
		}
		kfree(p);
	}
	lv->list = NULL;
}

static u8 page_mask(const struct pwsp_page *p)
{
	u8 m = 0;
	int i;

	for (i = 0; i < 8; i++)
		if (p->combo[i])
			m |= 1U << i;
	return m;
}

/*
 * Phase 1: verify the table at @gfn, used at @level, under the rights
 * combinations @mask, and everything below it that @mask adds rights to.
 * Nothing is linked yet; W pages met are tracked (so that no write after
 * the read goes unseen) and read. Recursion depth is the paging levels.
 */
static u32 verify_table(struct linkv *lv, u64 gfn, int level, u8 mask)
{
	struct pwsp_core *c = lv->c;
	struct pwsp_page *v = pwsp_core_find(c, gfn);
	struct pend *p = pend_find(lv, gfn);
	const u64 *e;
	u8 add;
	u32 r;
	int i;

	if (level < 0)
		return PWSP_R_LEVEL;
	if ((v && v->st.level != level) || (p && p->level != level))
		return PWSP_R_LEVEL;
	add = mask & ~(v ? page_mask(v) : 0) & ~(p ? p->add : 0);
	if (!add)
		return 0;
	if (!p) {
		if (!v && lv->new_pages >= lv->limit)
			return PWSP_R_TOO_LARGE;
		p = kzalloc(sizeof(*p), GFP_KERNEL_ACCOUNT);
		if (!p)
			goto nomem;
		p->gfn = gfn;
		p->level = level;
		p->v = v;
		p->next = lv->list;
		lv->list = p;
		if (!v) {
			lv->new_pages++;
			p->page = kzalloc(sizeof(*p->page), GFP_KERNEL_ACCOUNT);
			if (!p->page)
				goto nomem;
			p->page->shadow = kmalloc(PWSP_ENTRIES * ENTRY_BYTES,
						  GFP_KERNEL_ACCOUNT);
			if (!p->page->shadow)
				goto nomem;
			/* Tracked before it is read: no write goes unseen. */
			if (c->ops->track(c->priv, gfn, true))
				return PWSP_R_NOT_RAM;
			p->tracked = true;
			if (c->ops->read(c->priv, gfn << PWSP_PAGE_SHIFT,
					 p->page->shadow, PWSP_ENTRIES * ENTRY_BYTES))
				return PWSP_R_FAULT;
		}
	}
	p->add |= add;
	e = v ? v->shadow : p->page->shadow;
	for (i = 0; i < PWSP_ENTRIES; i++) {
		struct ptsel_gpte g;

		r = pwsp_check_entry(&c->pol, level, gfn, e[i], add, &g);
		if (!r && g.present && !g.leaf)
			r = verify_table(lv, g.addr >> PWSP_PAGE_SHIFT, level - 1,
					 pwsp_child_mask(add, &g));
		if (r) {
			if (!lv->bad_gpa) {
				lv->bad_gpa = (gfn << PWSP_PAGE_SHIFT) + i * ENTRY_BYTES;
				lv->bad_val = e[i];
			}
			return r;
		}
	}
	return 0;
nomem:
	lv->nomem = true;
	return PWSP_R_FAULT;
}

static void set_combo(struct pwsp_core *c, struct pwsp_page *p, int combo, int d);

/* Entry @pte of V page @p gains (@d = 1) or loses (-1) combination @combo. */
static void entry_combo(struct pwsp_core *c, struct pwsp_page *p, u64 pte,
			int combo, int d)
{
	struct ptsel_gpte g;
	struct pwsp_page *t;

	if (ptsel_guest_pte_check(&c->pol.env, p->st.level, pte, &g) ||
	    !g.present || g.leaf)
		return;
	t = pwsp_core_find(c, g.addr >> PWSP_PAGE_SHIFT);
	if (t)
		set_combo(c, t, child_combo(combo, &g), d);
}

/*
 * Count one more (or one less) parent pair giving @combo to @p; when
 * the combination appears or disappears, so it does below @p.
 */
static void set_combo(struct pwsp_core *c, struct pwsp_page *p, int combo, int d)
{
	bool edge;
	int i;

	if (d > 0)
		edge = !p->combo[combo]++;
	else
		edge = p->combo[combo] && !--p->combo[combo];
	if (!edge || !p->st.level)
		return;
	for (i = 0; i < PWSP_ENTRIES; i++)
		entry_combo(c, p, p->shadow[i], combo, d);
}

static void page_free(struct pwsp_core *c, struct pwsp_page *p)
{
	struct pwsp_page **pp = &c->hash[hash_of(p->gfn)];

	while (*pp != p)
		pp = &(*pp)->next;
	*pp = p->next;
	if (!p->lost)
		c->ops->track(c->priv, p->gfn, false);
	c->nr_pages--;
	kfree(p->shadow);
	kfree(p);
}

static void unref_page(struct pwsp_core *c, struct pwsp_page *p, bool root);

/* The reference of entry @pte (of a table at @level) goes. */
static void unref_entry(struct pwsp_core *c, unsigned int level, u64 pte)
{
	struct ptsel_gpte g;
	struct pwsp_page *t;

	if (ptsel_guest_pte_check(&c->pol.env, level, pte, &g) ||
	    !g.present || g.leaf)
		return;
	t = pwsp_core_find(c, g.addr >> PWSP_PAGE_SHIFT);
	if (t)
		unref_page(c, t, false);
}

/* Drop one reference of @p; at the last, it goes back to W. */
static void unref_page(struct pwsp_core *c, struct pwsp_page *p, bool root)
{
	int level = p->st.level, i;

	if (pwsp_transition(&p->st, root ? PWSP_EV_UNROOT : PWSP_EV_UNLINK,
			    level, c->pol.env.levels))
		return;
	if (p->st.state == PWSP_STATE_V)
		return;
	c->ops->state(c->priv, p->gfn, level, PWSP_STATE_V, PWSP_STATE_W);
	if (level > 0)
		for (i = 0; i < PWSP_ENTRIES; i++)
			unref_entry(c, level, p->shadow[i]);
	page_free(c, p);
}

/*
 * Phase 2: phase 1 found the subtree sound. Its W pages become V with
 * what phase 1 read as their shadow, and their entries reference the
 * tables below. Their rights come with the link (link_entry_refs() or
 * the root's combination). Cannot fail.
 */
static void commit_pages(struct linkv *lv)
{
	struct pwsp_core *c = lv->c;
	struct pwsp_page *v;
	struct pend *p;
	int i;

	for (p = lv->list; p; p = p->next) {
		if (p->v)
			continue;
		v = p->page;
		v->gfn = p->gfn;
		v->st = (struct pwsp_pstate){ .state = PWSP_STATE_V, .level = p->level };
		v->next = c->hash[hash_of(v->gfn)];
		c->hash[hash_of(v->gfn)] = v;
		c->nr_pages++;
		c->ops->state(c->priv, v->gfn, p->level, PWSP_STATE_W, PWSP_STATE_V);
	}
	for (p = lv->list; p; p = p->next) {
		struct ptsel_gpte g;
		struct pwsp_page *t;

		if (p->v || !p->level)
			continue;
		for (i = 0; i < PWSP_ENTRIES; i++) {
			if (ptsel_guest_pte_check(&c->pol.env, p->level,
						  p->page->shadow[i], &g) ||
			    !g.present || g.leaf)
				continue;
			t = pwsp_core_find(c, g.addr >> PWSP_PAGE_SHIFT);
			if (t)
				pwsp_transition(&t->st, PWSP_EV_LINK, p->level - 1,
						c->pol.env.levels);
		}
	}
	for (p = lv->list; p; p = p->next)
		p->page = NULL;		/* owned by the hash now */
	c->ops->count(c->priv, PWSP_CNT_LINKS, 1);
}

/*
 * Link: verify what entry @pte of a table at @level (reached with
 * @mask, in frame @table_gfn) brings in, and commit it. The entry's own
 * reference and combinations are added by the caller's
 * link_entry_refs(). Returns 0 or the reason.
 */
static u32 link_verify(struct pwsp_core *c, struct linkv *lv, int level,
		       u64 pte, u8 mask, u64 limit)
{
	struct ptsel_gpte g;

	memset(lv, 0, sizeof(*lv));
	lv->c = c;
	lv->limit = limit;
	if (ptsel_guest_pte_check(&c->pol.env, level, pte, &g) ||
	    !g.present || g.leaf)
		return 0;
	return verify_table(lv, g.addr >> PWSP_PAGE_SHIFT, level - 1,
			    pwsp_child_mask(mask, &g));
}

/* The reference and rights entry @pte of V page @p gives its table. */
static void link_entry_refs(struct pwsp_core *c, struct pwsp_page *p, u64 pte)
{
	struct ptsel_gpte g;
	struct pwsp_page *t;
	u8 mask = page_mask(p);
	int combo;

	if (ptsel_guest_pte_check(&c->pol.env, p->st.level, pte, &g) ||
	    !g.present || g.leaf)
		return;
	t = pwsp_core_find(c, g.addr >> PWSP_PAGE_SHIFT);
	if (!t)
		return;
	pwsp_transition(&t->st, PWSP_EV_LINK, p->st.level - 1, c->pol.env.levels);
	for (combo = 0; combo < 8; combo++)
		if (mask & (1U << combo))
			entry_combo(c, p, pte, combo, 1);
}

static void unlink_entry_refs(struct pwsp_core *c, struct pwsp_page *p, u64 pte)
{
	u8 mask = page_mask(p);
	int combo;

	for (combo = 0; combo < 8; combo++)
		if (mask & (1U << combo))
			entry_combo(c, p, pte, combo, -1);
	unref_entry(c, p->st.level, pte);
}

/**
 * pwsp_core_init() - an empty core
 * @c: the core
 * @ops: its host
 * @priv: cookie for @ops
 */
void pwsp_core_init(struct pwsp_core *c, const struct pwsp_core_ops *ops,
		    void *priv)
{
	memset(c, 0, sizeof(*c));
	c->ops = ops;
	c->priv = priv;
	c->max_pages = 65536;
	c->max_link_pages = 512;
}
EXPORT_SYMBOL_IF_KUNIT(pwsp_core_init);

/**
 * pwsp_core_set_policy() - set the policy, once
 * @c: the core
 * @pol: a policy from pwsp_policy_validate()
 *
 * Return: 0, or -EBUSY if a policy is set already.
 */
int pwsp_core_set_policy(struct pwsp_core *c, const struct pwsp_kpolicy *pol)
{
	if (c->policy_set)
		return -EBUSY;
	c->pol = *pol;
	c->policy_set = true;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(pwsp_core_set_policy);

/*
 * The new pages' entries were linked with no rights yet: now give the
 * root its combination, which flows down through every entry.
 */
static void root_combo(struct pwsp_core *c, struct pwsp_page *root)
{
	set_combo(c, root, PWSP_ROOT_COMBO, 1);
}

/**
 * pwsp_core_protect_root() - verify a tree and protect it
 * @c: the core, with a policy
 * @gpa: the root table (CR3's address bits)
 * @reason: out: the PWSP_R_* reason when the tree is refused
 *
 * Return: 0; -EINVAL without a policy, for an unaligned @gpa, or when
 * the page is a lower-level table already; -EEXIST if it is a root;
 * -ENOSPC beyond PWSP_MAX_ROOTS; -ENOMEM, nothing changed; -EACCES
 * when the tree breaks the policy (*@reason says how).
 */
int pwsp_core_protect_root(struct pwsp_core *c, u64 gpa, u32 *reason)
{
	int top = c->pol.env.levels - 1;
	struct pwsp_pstate probe = { .level = -1 };
	struct pwsp_page *p;
	struct linkv lv;
	u64 gfn = gpa >> PWSP_PAGE_SHIFT;
	u32 r;

	*reason = 0;
	if (!c->policy_set || (gpa & ((1ULL << PWSP_PAGE_SHIFT) - 1)) ||
	    gpa >> c->pol.env.maxphyaddr)
		return -EINVAL;
	p = pwsp_core_find(c, gfn);
	if (p)
		probe = p->st;
	if (pwsp_transition(&probe, PWSP_EV_ROOT, top, c->pol.env.levels))
		return p && p->st.root ? -EEXIST : -EINVAL;
	if (c->nr_roots >= PWSP_MAX_ROOTS)
		return -ENOSPC;
	/* the root table obeys the rules of every other table's frame */
	r = check_table_frame(&c->pol, gfn);
	if (r) {
		*reason = r;
		return -EACCES;
	}
	memset(&lv, 0, sizeof(lv));
	lv.c = c;
	lv.limit = c->max_pages > c->nr_pages ? c->max_pages - c->nr_pages : 0;
	r = verify_table(&lv, gfn, top, 1U << PWSP_ROOT_COMBO);
	if (r) {
		pend_free(&lv, true);
		if (lv.nomem)
			return -ENOMEM;
		*reason = r;
		return -EACCES;
	}
	if (lv.list)
		commit_pages(&lv);
	pend_free(&lv, false);
	p = pwsp_core_find(c, gfn);
	pwsp_transition(&p->st, PWSP_EV_ROOT, top, c->pol.env.levels);
	c->nr_roots++;
	root_combo(c, p);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(pwsp_core_protect_root);

/**
 * pwsp_core_unprotect_root() - stop protecting a root
 * @c: the core
 * @gpa: the root
 *
 * Pages no other root reaches go back to W and leave the tracking.
 *
 * Return: 0, or -ENOENT if @gpa is no protected root.
 */
int pwsp_core_unprotect_root(struct pwsp_core *c, u64 gpa)
{
	struct pwsp_page *p = pwsp_core_find(c, gpa >> PWSP_PAGE_SHIFT);

	if (!p || !p->st.root || (gpa & ((1ULL << PWSP_PAGE_SHIFT) - 1)))
		return -ENOENT;
	set_combo(c, p, PWSP_ROOT_COMBO, -1);
	c->nr_roots--;
	unref_page(c, p, true);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(pwsp_core_unprotect_root);

/* Report a refused entry: @old verified, @val refused. */
static void report(struct pwsp_core *c, u64 gpa, int level, u64 old, u64 val,
		   u32 reason, bool reverted)
{
	struct pwsp_violation v = {
		.gpa = gpa, .old_val = old, .new_val = val, .reason = reason,
		.level = level, .reverted = reverted,
	};

	if (reverted)
		c->ops->count(c->priv, PWSP_CNT_REVERTS, 1);
	c->ops->violation(c->priv, &v);
}

/*
 * The walker sets A/D in guest memory without a write KVM reports, so
 * a value the core writes back keeps the ones @cur has, if present.
 */
static u64 keep_ad(u64 val, u64 cur)
{
	return val & 1 ? val | (cur & PTE_AD) : val;
}

static bool same_but_ad(u64 a, u64 b)
{
	return !((a ^ b) & ~PTE_AD);
}

/*
 * Is @val sound as entry of V page @p? 0 with the subtree it links
 * verified and pending in @lv (for entry_commit()), or the reason.
 */
static u32 entry_verify(struct pwsp_core *c, struct pwsp_page *p, u64 val,
			struct linkv *lv)
{
	u8 mask = page_mask(p);
	struct ptsel_gpte g;
	u32 r;

	memset(lv, 0, sizeof(*lv));
	lv->c = c;
	r = pwsp_check_entry(&c->pol, p->st.level, p->gfn, val, mask, &g);
	if (r)
		return r;
	r = link_verify(c, lv, p->st.level, val, mask, c->max_link_pages);
	if (!r && c->nr_pages + lv->new_pages > c->max_pages)
		r = PWSP_R_TOO_LARGE;
	if (r)
		pend_free(lv, true);
	return r;
}

/* Entry @i of @p is now @val, which entry_verify() passed with @lv. */
static void entry_commit(struct pwsp_core *c, struct pwsp_page *p, int i,
			 u64 val, struct linkv *lv)
{
	u64 old = p->shadow[i];

	if (lv->list)
		commit_pages(lv);
	pend_free(lv, false);
	/* Link the new target before the old one goes: it may be the same. */
	p->shadow[i] = val;
	link_entry_refs(c, p, val);
	unlink_entry_refs(c, p, old);
}

/*
 * What to write over a refused entry @cur: the bits of this write
 * (@mine) undone, keeping what other writes put in the rest since the
 * last verification, if that is sound; else only this write's bits
 * kept, if sound (the other writes broke the entry); else the last
 * verified value. A candidate other than the last verified value comes
 * back verified, its subtree pending in @lv.
 */
static u64 repair(struct pwsp_core *c, struct pwsp_page *p, int i, u64 cur,
		  u64 mine, struct linkv *lv, bool *verified)
{
	u64 s = p->shadow[i], cand;

	*verified = true;
	cand = keep_ad((cur & ~mine) | (s & mine), cur);
	if (!same_but_ad(cand, s) && !entry_verify(c, p, cand, lv))
		return cand;
	cand = keep_ad((s & ~mine) | (cur & mine), cur);
	if (!same_but_ad(cand, s) && !same_but_ad(cand, cur) &&
	    !entry_verify(c, p, cand, lv))
		return cand;
	*verified = false;
	memset(lv, 0, sizeof(*lv));
	return keep_ad(s, cur);
}

/* Another vCPU keeps changing the entry: each change brings a check of its own. */
#define PWSP_REVERT_TRIES	16

/*
 * Entry @i of V page @p may have changed in guest memory (@mine: the
 * bits the write covered): verify it. A refused entry is repaired with
 * a compare-and-exchange, so that a write another vCPU made to the
 * entry between the read and the repair is not overwritten: when the
 * exchange finds another value, that value is verified in turn.
 */
static void verify_entry(struct pwsp_core *c, struct pwsp_page *p, int i,
			 bool revert, u64 mine)
{
	u64 gpa = (p->gfn << PWSP_PAGE_SHIFT) + i * ENTRY_BYTES;
	int level = p->st.level, tries, ret;
	u64 cur, want, seen, s;
	bool verified;
	struct linkv lv;
	u32 r = 0;

	c->ops->count(c->priv, PWSP_CNT_WRITES, 1);
	if (c->ops->read(c->priv, gpa, &cur, ENTRY_BYTES)) {
		report(c, gpa, level, p->shadow[i], 0, PWSP_R_FAULT, false);
		return;
	}
	for (tries = 0; tries < PWSP_REVERT_TRIES; tries++) {
		s = p->shadow[i];
		if (same_but_ad(cur, s)) {
			/* nothing but A/D changed: no rights change either */
			p->shadow[i] = cur;
			return;
		}
		r = entry_verify(c, p, cur, &lv);
		if (!r) {
			entry_commit(c, p, i, cur, &lv);
			return;
		}
		if (!revert) {
			report(c, gpa, level, s, cur, r, false);
			return;
		}
		want = repair(c, p, i, cur, mine, &lv, &verified);
		seen = cur;
		ret = c->ops->write_if(c->priv, gpa, &seen, want);
		if (!ret) {
			if (verified)
				entry_commit(c, p, i, want, &lv);
			else
				p->shadow[i] = want;
			report(c, gpa, level, s, cur, r, true);
			return;
		}
		pend_free(&lv, true);
		if (ret != -EAGAIN)
			break;
		c->ops->count(c->priv, PWSP_CNT_RACED, 1);
		/* a racing write, or the MMU's A/D: verify what is there now */
		cur = seen;
	}
	report(c, gpa, level, p->shadow[i], cur, r, false);
}

/**
 * pwsp_core_write() - the guest wrote to guest-physical memory
 * @c: the core
 * @gpa: where
 * @bytes: how much (KVM reports at most 16 bytes per write)
 * @revert: write refused entries back (enforcement) or only report them
 *
 * Every entry the write touched, of every V page, is re-read from guest
 * memory and verified; the notifier's bytes are not trusted, so a write
 * of half an entry is verified as the whole entry it leaves. A refused
 * entry is repaired with ops->write_if(): see verify_entry().
 */
void pwsp_core_write(struct pwsp_core *c, u64 gpa, unsigned int bytes,
		     bool revert)
{
	u64 a, first = gpa & ~(u64)(ENTRY_BYTES - 1), lo, hi, mine;
	struct pwsp_page *p;

	if (!bytes || !c->nr_pages)
		return;
	for (a = first; a < gpa + bytes; a += ENTRY_BYTES) {
		p = pwsp_core_find(c, a >> PWSP_PAGE_SHIFT);
		if (!p)
			continue;
		/* the bits of this entry the write covered */
		lo = gpa > a ? gpa - a : 0;
		hi = gpa + bytes - a;
		if (hi > ENTRY_BYTES)
			hi = ENTRY_BYTES;
		mine = (hi == ENTRY_BYTES ? ~0ULL : (1ULL << (hi * 8)) - 1) &
		       ~((1ULL << (lo * 8)) - 1);
		verify_entry(c, p, (a & ((1ULL << PWSP_PAGE_SHIFT) - 1)) / ENTRY_BYTES,
			     revert, mine);
	}
}
EXPORT_SYMBOL_IF_KUNIT(pwsp_core_write);

/**
 * pwsp_core_rescan() - verify every V page against guest memory now
 * @c: the core
 *
 * Audit mode: pages are not tracked, so changes are found here. Each
 * changed entry is verified as a write would be; refused ones are
 * reported and left in place.
 *
 * Return: 0, or -ENOMEM.
 */
int pwsp_core_rescan(struct pwsp_core *c)
{
	u64 *gfns, *buf, n = 0, k;
	struct pwsp_page *p;
	u32 b;
	int i;

	if (!c->nr_pages)
		return 0;
	gfns = kvcalloc(c->nr_pages, sizeof(*gfns), GFP_KERNEL_ACCOUNT);
	buf = kmalloc(PWSP_ENTRIES * ENTRY_BYTES, GFP_KERNEL_ACCOUNT);
	if (!gfns || !buf) {
		kvfree(gfns);
		kfree(buf);
		return -ENOMEM;
	}
	for (b = 0; b < (1U << PWSP_HASH_BITS); b++)
		for (p = c->hash[b]; p; p = p->next)
			gfns[n++] = p->gfn;
	for (k = 0; k < n; k++) {
		/* up to max_vm_pages pages, each read from guest memory */
		cond_resched();
		p = pwsp_core_find(c, gfns[k]);
		if (!p || c->ops->read(c->priv, p->gfn << PWSP_PAGE_SHIFT, buf,
				       PWSP_ENTRIES * ENTRY_BYTES))
			continue;
		for (i = 0; i < PWSP_ENTRIES; i++) {
			if (buf[i] == p->shadow[i])
				continue;
			verify_entry(c, p, i, false, ~0ULL);
			/* The entry may have unlinked its own page. */
			p = pwsp_core_find(c, gfns[k]);
			if (!p)
				break;
		}
	}
	kvfree(gfns);
	kfree(buf);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(pwsp_core_rescan);

/**
 * pwsp_core_forget_range() - KVM dropped the tracking of some frames
 * @c: the core
 * @gfn: first frame (a deleted memslot)
 * @nr: frames
 *
 * The protected trees keep their pages, but a write to them can no
 * longer be seen, and their tracking must not be dropped a second time.
 *
 * Return: the V pages in the range.
 */
u64 pwsp_core_forget_range(struct pwsp_core *c, u64 gfn, u64 nr)
{
	struct pwsp_page *p;
	u64 n = 0;
	u32 b;

	for (b = 0; b < (1U << PWSP_HASH_BITS); b++)
		for (p = c->hash[b]; p; p = p->next)
			if (p->gfn >= gfn && p->gfn - gfn < nr && !p->lost) {
				p->lost = true;
				n++;
			}
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(pwsp_core_forget_range);

/**
 * pwsp_core_destroy() - unprotect everything
 * @c: the core
 */
void pwsp_core_destroy(struct pwsp_core *c)
{
	struct pwsp_page *p;
	u32 b;

	for (b = 0; b < (1U << PWSP_HASH_BITS); b++) {
		while ((p = c->hash[b])) {
			c->ops->state(c->priv, p->gfn, p->st.level,
				      PWSP_STATE_V, PWSP_STATE_W);
			c->hash[b] = p->next;
			if (!p->lost)
				c->ops->track(c->priv, p->gfn, false);
			kfree(p->shadow);
			kfree(p);
		}
	}
	c->nr_pages = 0;
	c->nr_roots = 0;
}
EXPORT_SYMBOL_IF_KUNIT(pwsp_core_destroy);
