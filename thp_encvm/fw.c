// SPDX-License-Identifier: GPL-2.0
/*
 * thp_encvm firmware model: what SEV firmware and the memory controller
 * do for an encrypted object (THP_ENCVM_CREATE_ENCRYPTED), in software.
 *
 * At each ATTACH (the VM's launch) the firmware takes a fresh key from
 * get_random_bytes() and encrypts the object's private pages in place:
 * every 32-byte block of a page is XORed with keyed BLAKE2s (the kernel
 * library's, a PRF: a stream cipher in counter mode) of a counter block
 * that holds the page's host frame number and the block's index, so
 * ciphertext is bound to the host frame, as SEV binds it to the system
 * physical address. (AES, as in SEV, is not in every kernel this builds
 * for; BLAKE2s is, since the random driver uses it.) The exclusion
 * range, a register that each ATTACH latches (the shared range CREATE
 * declared, or a part of it that the VMM names), is left in plaintext,
 * and holds the ring and the tweak table, where the firmware publishes
 * the frame of every page. The key goes into the
 * launch-secret page for the guest's accessors (the stand-in for the
 * memory controller). DETACH (the VM going) wipes the key with
 * memzero_explicit() and zeroes the secret page; the private pages keep
 * ciphertext nobody can decrypt any more.
 *
 * These are the only accesses to private memory: the module's own go
 * through te_host_page() and te_host_fresh() (obj.c).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <crypto/blake2s.h>
#include <crypto/internal/blake2s.h>
#include <crypto/utils.h>
#include <linux/unaligned.h>
#include <linux/mm.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "thp_encvm_internal.h"

/**
 * struct te_enc - an encrypted object's firmware state
 * @keyed: BLAKE2s keyed with the VM's key, its key block compressed,
 *	   while loaded
 * @loaded: a VM is launched: @keyed holds its key
 *
 * The exclusion range register is the object's (@o->excl_first,
 * @o->excl_count), latched at each launch.
 */
struct te_enc {
	struct blake2s_state keyed;
	bool loaded;
};

/**
 * te_fw_alloc() - the firmware's state of a new object
 * @l: the object's layout
 *
 * An encrypted object gets its state, with the exclusion range register
 * set to the shared range and no key loaded (te_fw_launch() loads one).
 *
 * Return: the state; NULL for a plaintext object, which has none;
 * ERR_PTR(-ENOMEM).
 */
struct te_enc *te_fw_alloc(const struct te_layout *l)
{
	struct te_enc *e;

	if (!l->encrypted)
		return NULL;
	e = kzalloc(sizeof(*e), GFP_KERNEL_ACCOUNT);
	if (!e)
		return ERR_PTR(-ENOMEM);
	return e;
}

/**
 * te_fw_free() - free what te_fw_alloc() returned
 * @e: the state, or NULL
 *
 * Wiped as it is freed: it may still hold a key.
 */
void te_fw_free(struct te_enc *e)
{
	if (e)
		kfree_sensitive(e);
}

/**
 * te_fw_loaded() - does the object's firmware state hold a key?
 * @e: the state, or NULL (a plaintext object)
 *
 * Return: true from te_fw_launch() to te_fw_wipe().
 */
bool te_fw_loaded(const struct te_enc *e)
{
	return e && e->loaded;
}

/*
 * XOR page @kaddr, whose frame is @pfn, with the key stream of @e:
 * block b (32 bytes) with BLAKE2s(key; pfn, le64; b, le32; 0, le32).
 */
static void te_fw_crypt(const struct te_enc *e, void *kaddr, u64 pfn)
{
	u8 ctr[16] = { 0 }, ks[BLAKE2S_HASH_SIZE];
	struct blake2s_state st;
	u8 *p = kaddr;
	u32 b;

	put_unaligned_le64(pfn, ctr);
	for (b = 0; b < PAGE_SIZE / BLAKE2S_HASH_SIZE; b++) {
		put_unaligned_le32(b, ctr + 8);
		st = e->keyed;
		blake2s_update(&st, ctr, sizeof(ctr));
		blake2s_final(&st, ks);		/* wipes @st */
		crypto_xor(p + b * BLAKE2S_HASH_SIZE, ks, BLAKE2S_HASH_SIZE);
	}
	memzero_explicit(ks, sizeof(ks));
}

/**
 * te_fw_move() - move a page's contents to another frame
 * @o: the object, locked
 * @to: the new frame, which nothing maps
 * @from: the old frame, unmapped
 *
 * On an encrypted object with a key, decrypted for @from and encrypted
 * for @to, as SNP firmware's page move does; the old frame is scrubbed.
 */
void te_fw_move(struct te_obj *o, u64 to, u64 from)
{
	void *dst = page_address(pfn_to_page(to)), *src = page_address(pfn_to_page(from));

	lockdep_assert_held(&o->lock);
	copy_page(dst, src);
	if (te_fw_loaded(o->enc)) {
		te_fw_crypt(o->enc, dst, from);
		te_fw_crypt(o->enc, dst, to);
	}
	memzero_explicit(src, PAGE_SIZE);
}

static struct thp_encvm_tweaks *te_fw_tweaks(struct te_obj *o)
{
	return te_host_page(o, o->l.tweak_first);
}

/* Tweak of page @i: its frame, or 0 for a page of the exclusion range. */
static void te_fw_set_tweak(struct te_obj *o, u64 i)
{
	u64 off = sizeof(struct thp_encvm_tweaks) + i * sizeof(u64);
	u64 *t = te_host_page(o, o->l.tweak_first + (off >> PAGE_SHIFT));

	t += (off & ~PAGE_MASK) / sizeof(u64);
	WRITE_ONCE(*t, i - o->excl_first < o->excl_count ? 0 : o->pfn[i]);
}

/**
 * te_fw_tweaks_begin() - frames of an encrypted object's pages change
 * @o: the object, locked; nothing happens if it is not encrypted
 *
 * The table's sequence number goes odd: a guest access that overlaps
 * te_fw_tweaks_end() is redone.
 */
void te_fw_tweaks_begin(struct te_obj *o)
{
	struct thp_encvm_tweaks *t;

	lockdep_assert_held(&o->lock);
	if (!te_fw_loaded(o->enc) || o->tweaks_busy++)
		return;
	t = te_fw_tweaks(o);
	WRITE_ONCE(t->seq, READ_ONCE(t->seq) + 1);
	/* Odd before any frame changes; the guest reads the tweak after. */
	smp_mb();
}

/**
 * te_fw_tweaks_update() - publish the frames of pages [@first, @first + @n)
 * @o: the object, locked, between te_fw_tweaks_begin() and _end()
 * @first: first page
 * @n: pages
 */
void te_fw_tweaks_update(struct te_obj *o, u64 first, u64 n)
{
	u64 i;

	lockdep_assert_held(&o->lock);
	if (!te_fw_loaded(o->enc))
		return;
	for (i = first; i < first + n; i++)
		te_fw_set_tweak(o, i);
}

/**
 * te_fw_tweaks_end() - the frames and the mappings agree again
 * @o: the object, locked
 *
 * Called after the pages whose frames changed were unmapped, so that
 * no access goes to an old frame with a new tweak.
 */
void te_fw_tweaks_end(struct te_obj *o)
{
	struct thp_encvm_tweaks *t;

	lockdep_assert_held(&o->lock);
	if (!te_fw_loaded(o->enc) || !o->tweaks_busy || --o->tweaks_busy)
		return;
	t = te_fw_tweaks(o);
	/* The new tweaks before the even number that says they are stable. */
	smp_mb();
	WRITE_ONCE(t->seq, READ_ONCE(t->seq) + 1);
}

/**
 * te_fw_launch() - launch an encrypted object for a VM
 * @o: the object, locked, being attached
 *
 * A fresh key; every page outside the exclusion range register (just
 * latched, te_layout_excl()) encrypted in place with it; every page's
 * frame published; the key in the launch-secret page.
 */
void te_fw_launch(struct te_obj *o)
{
	struct te_enc *e = o->enc;
	struct thp_encvm_secret *s;
	struct thp_encvm_tweaks *t;
	u8 key[BLAKE2S_KEY_SIZE];
	u64 i;

	lockdep_assert_held(&o->lock);
	if (!e)
		return;
	/*
	 * Loaded first, so that the VMM's faults on the secret page fail;
	 * then no mapping of it is left from before.
	 */
	e->loaded = true;
	te_obj_zap(o, o->l.secret_page, 1);
	get_random_bytes(key, sizeof(key));
	/* The key block once: each block of key stream is one compression. */
	blake2s_init_key(&e->keyed, BLAKE2S_HASH_SIZE, key, sizeof(key));
	blake2s_compress_generic(&e->keyed, e->keyed.buf, 1, BLAKE2S_BLOCK_SIZE);
	e->keyed.buflen = 0;
	for (i = 0; i < o->l.nr_pages; i++) {
		if (i - o->excl_first < o->excl_count)
			continue;
		te_fw_crypt(e, page_address(pfn_to_page(o->pfn[i])), o->pfn[i]);
		cond_resched();
	}
	t = te_fw_tweaks(o);
	WRITE_ONCE(t->seq, 0);
	WRITE_ONCE(t->nr_pages, o->l.nr_pages);
	o->tweaks_busy = 0;
	te_fw_tweaks_update(o, 0, o->l.nr_pages);
	/* The secret page is firmware memory: the host helper refuses it. */
	s = page_address(pfn_to_page(o->pfn[o->l.secret_page]));
	memset(s, 0, PAGE_SIZE);
	s->key_len = sizeof(key);
	memcpy(s->key, key, sizeof(key));
	memzero_explicit(key, sizeof(key));
	/* The key before the magic that says it is there. */
	smp_store_release(&s->magic, THP_ENCVM_SECRET_MAGIC);
}

/**
 * te_fw_wipe() - the VM goes: forget its key
 * @o: the object, locked, being detached
 */
void te_fw_wipe(struct te_obj *o)
{
	struct te_enc *e = o->enc;

	lockdep_assert_held(&o->lock);
	if (!te_fw_loaded(e))
		return;
	memzero_explicit(&e->keyed, sizeof(e->keyed));
	memzero_explicit(page_address(pfn_to_page(o->pfn[o->l.secret_page])), PAGE_SIZE);
	e->loaded = false;
}
