/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Keyed BLAKE2s for the guest agent (freestanding, no SSE): the key
 * stream of an encrypted thp_encvm object is BLAKE2s-256, keyed with the
 * VM's 32-byte key, of 16-byte counter blocks (see struct
 * thp_encvm_tweaks). The key block is compressed once, at setup.
 */
#ifndef _THP_ENCVM_AGENT_BLAKE2S_H
#define _THP_ENCVM_AGENT_BLAKE2S_H

static const unsigned int b2s_iv[8] = {
	0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A,
	0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19,
};

static const unsigned char b2s_sigma[10][16] = {
	{ 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 },
	{ 14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3 },
	{ 11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4 },
	{ 7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8 },
	{ 9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13 },
	{ 2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9 },
	{ 12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11 },
	{ 13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10 },
	{ 6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5 },
	{ 10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0 },
};

/* The chaining value after the key block. */
struct b2s_key {
	unsigned int h[8];
};

static inline unsigned int b2s_ror(unsigned int x, unsigned int n)
{
	return (x >> n) | (x << (32 - n));
}

#define B2S_G(r, i, a, b, c, d) do {				\
	a += b + m[b2s_sigma[r][2 * (i)]];			\
	d = b2s_ror(d ^ a, 16);					\
	c += d;							\
	b = b2s_ror(b ^ c, 12);					\
	a += b + m[b2s_sigma[r][2 * (i) + 1]];			\
	d = b2s_ror(d ^ a, 8);					\
	c += d;							\
	b = b2s_ror(b ^ c, 7);					\
} while (0)

/* Compress block @m into @h; @t bytes so far, @last for the final block. */
static inline void b2s_compress(unsigned int *h, const unsigned int *m,
				unsigned int t, int last)
{
	unsigned int v[16], i, r;

	for (i = 0; i < 8; i++) {
		v[i] = h[i];
		v[i + 8] = b2s_iv[i];
	}
	v[12] ^= t;
	if (last)
		v[14] = ~v[14];
	/*
	 * Unrolled, the message schedule is constants and the counter
	 * block's zero words fold away: about a third fewer instructions
	 * and half the memory accesses, which is what the agent's time
	 * under TCG goes by.
	 */
#pragma GCC unroll 10
	for (r = 0; r < 10; r++) {
		B2S_G(r, 0, v[0], v[4], v[8], v[12]);
		B2S_G(r, 1, v[1], v[5], v[9], v[13]);
		B2S_G(r, 2, v[2], v[6], v[10], v[14]);
		B2S_G(r, 3, v[3], v[7], v[11], v[15]);
		B2S_G(r, 4, v[0], v[5], v[10], v[15]);
		B2S_G(r, 5, v[1], v[6], v[11], v[12]);
		B2S_G(r, 6, v[2], v[7], v[8], v[13]);
		B2S_G(r, 7, v[3], v[4], v[9], v[14]);
	}
	for (i = 0; i < 8; i++)
		h[i] ^= v[i] ^ v[i + 8];
}

/* Keyed BLAKE2s-256 with a 32-byte @key (little-endian words). */
static inline void b2s_setup(struct b2s_key *k, const unsigned int *key)
{
	unsigned int m[16] = { 0 }, i;

	for (i = 0; i < 8; i++) {
		k->h[i] = b2s_iv[i];
		m[i] = key[i];
	}
	k->h[0] ^= 0x01010000 | 32 << 8 | 32;
	b2s_compress(k->h, m, 64, 0);
}

/*
 * The eight little-endian key-stream words of block @b (32 bytes) of the
 * page whose frame is @pfn: BLAKE2s(key; pfn, le64; b, le32; 0, le32).
 */
static inline void b2s_ctr_words(const struct b2s_key *k, unsigned long long pfn,
				 unsigned int b, unsigned int *ks)
{
	unsigned int m[16] = { (unsigned int)pfn, (unsigned int)(pfn >> 32), b }, i;

	for (i = 0; i < 8; i++)
		ks[i] = k->h[i];
	b2s_compress(ks, m, 64 + 16, 1);
}

#endif /* _THP_ENCVM_AGENT_BLAKE2S_H */
