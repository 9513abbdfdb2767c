/* SPDX-License-Identifier: MIT */
/*
 * AES-256 (FIPS 197) and GCM (NIST SP 800-38D) for guest messages, in portable C that a freestanding guest built
 * with -mgeneral-regs-only can run: no tables, no branch and no memory index that depends on a key, a counter
 * block or data, so the time taken depends on the lengths only (Linux keeps lib/crypto/aesgcm.c for the same
 * reason: a small constant-time GCM for code that cannot use the CPU's AES instructions).
 *
 * The S-box is computed, not looked up: the multiplicative inverse in GF(2^8) as x^254 (an addition chain of
 * multiplications) followed by the affine map, on eight bytes at once in the lanes of a 64-bit word.  GHASH is a
 * carry-less 64x64 multiply by masked shifts (Karatsuba for 128x128) and a reduction by x^128 + x^7 + x^2 + x + 1
 * in GCM's bit-reflected order.  Speed is a few MB/s, plenty for guest messages of at most a page
 * (bench/guest_aes_gcm prints it against OpenSSL).
 */
#include "internal.h"

#include <snpemu/abi/le.h>

/* ---- AES-256 ---------------------------------------------------------------------------------------------- */

#define LANES_01 0x0101010101010101ull /* one in every byte lane */
#define LANES_7F 0x7F7F7F7F7F7F7F7Full

/* Multiply each byte lane by x modulo the AES polynomial x^8 + x^4 + x^3 + x + 1 (FIPS 197 §4.2.1). */
static uint64_t gf8_xtime(uint64_t a)
{
	return ((a & LANES_7F) << 1) ^ (((a >> 7) & LANES_01) * 0x1B);
}

/* Lane-wise product in GF(2^8): shift-and-add over the 8 bits of b, selected by masks, not branches. */
static uint64_t gf8_mul(uint64_t a, uint64_t b)
{
	uint64_t r = 0;
	for (unsigned int i = 0; i < 8; i++) {
		r ^= a & (((b >> i) & LANES_01) * 0xFF);
		a = gf8_xtime(a);
	}
	return r;
}

/* Rotate every byte lane left by k (1..7). */
static uint64_t lanes_rotl(uint64_t b, unsigned int k)
{
	uint64_t hi = LANES_01 * ((0xFFu << k) & 0xFFu), lo = LANES_01 * (0xFFu >> (8 - k));
	return ((b << k) & hi) | ((b >> (8 - k)) & lo);
}

/* SubBytes on eight lanes (FIPS 197 §5.1.1): inverse (0 maps to 0) then the affine map with constant 0x63. */
static uint64_t aes_sbox8(uint64_t x)
{
	uint64_t x2 = gf8_mul(x, x), x3 = gf8_mul(x2, x);
	uint64_t x6 = gf8_mul(x3, x3), x12 = gf8_mul(x6, x6), x15 = gf8_mul(x12, x3);
	uint64_t t = gf8_mul(x15, x15); /* x^30 */
	t = gf8_mul(t, t);		/* x^60 */
	t = gf8_mul(t, t);		/* x^120 */
	t = gf8_mul(t, t);		/* x^240 */
	t = gf8_mul(t, x12);		/* x^252 */
	uint64_t inv = gf8_mul(t, x2);	/* x^254 = x^-1 */
	return inv ^ lanes_rotl(inv, 1) ^ lanes_rotl(inv, 2) ^ lanes_rotl(inv, 3) ^ lanes_rotl(inv, 4) ^
	       (LANES_01 * 0x63);
}

/* SubWord (FIPS 197 §5.2) of four bytes. */
static void aes_subword(uint8_t w[4])
{
	le32_store(w, (uint32_t)aes_sbox8(le32_load(w)));
}

void gst_aes256_init(struct gst_aes256 *k, const uint8_t key[GST_AES256_KEY_LEN])
{
	/* KeyExpansion (FIPS 197 §5.2) with Nk = 8, Nr = 14: 60 words, word i at rk[4i..4i+4). */
	uint8_t *w = &k->rk[0][0];
	uint8_t rcon = 0x01;
	gst_memcpy(w, key, GST_AES256_KEY_LEN);
	for (unsigned int i = 8; i < 60; i++) {
		uint8_t t[4];
		gst_memcpy(t, w + 4 * (i - 1), 4);
		if (i % 8 == 0) {
			uint8_t t0 = t[0]; /* RotWord */
			t[0] = t[1], t[1] = t[2], t[2] = t[3], t[3] = t0;
			aes_subword(t);
			t[0] ^= rcon;
			rcon = (uint8_t)(rcon << 1); /* 7 rounds of Rcon: never reaches 0x80 */
		} else if (i % 8 == 4) {
			aes_subword(t);
		}
		for (unsigned int j = 0; j < 4; j++)
			w[4 * i + j] = w[4 * (i - 8) + j] ^ t[j];
		gst_wipe(t, sizeof(t));
	}
}

static void aes_sub_bytes(uint8_t s[16])
{
	le64_store(s, aes_sbox8(le64_load(s)));
	le64_store(s + 8, aes_sbox8(le64_load(s + 8)));
}

/* ShiftRows (§5.1.2): row r of the column-major state rotates left by r. */
static void aes_shift_rows(uint8_t s[16])
{
	uint8_t t[16];
	for (unsigned int c = 0; c < 4; c++)
		for (unsigned int r = 0; r < 4; r++)
			t[4 * c + r] = s[4 * ((c + r) % 4) + r];
	gst_memcpy(s, t, 16);
}

static uint8_t gf8_xtime1(uint8_t a)
{
	return (uint8_t)((a << 1) ^ (((a >> 7) & 1) * 0x1B));
}

/* MixColumns (§5.1.3): b_i = a_i ^ (a_0 ^ a_1 ^ a_2 ^ a_3) ^ xtime(a_i ^ a_{i+1}). */
static void aes_mix_columns(uint8_t s[16])
{
	for (unsigned int c = 0; c < 4; c++) {
		uint8_t *a = s + 4 * c;
		uint8_t a0 = a[0], all = (uint8_t)(a[0] ^ a[1] ^ a[2] ^ a[3]);
		a[0] ^= (uint8_t)(all ^ gf8_xtime1((uint8_t)(a[0] ^ a[1])));
		a[1] ^= (uint8_t)(all ^ gf8_xtime1((uint8_t)(a[1] ^ a[2])));
		a[2] ^= (uint8_t)(all ^ gf8_xtime1((uint8_t)(a[2] ^ a[3])));
		a[3] ^= (uint8_t)(all ^ gf8_xtime1((uint8_t)(a[3] ^ a0)));
	}
}

static void aes_add_round_key(uint8_t s[16], const uint8_t rk[16])
{
	for (unsigned int i = 0; i < 16; i++)
		s[i] ^= rk[i];
}

void gst_aes256_encrypt(const struct gst_aes256 *k, const uint8_t in[16], uint8_t out[16])
{
	uint8_t s[16];
	gst_memcpy(s, in, 16);
	aes_add_round_key(s, k->rk[0]);
	for (unsigned int round = 1; round < 14; round++) {
		aes_sub_bytes(s);
		aes_shift_rows(s);
		aes_mix_columns(s);
		aes_add_round_key(s, k->rk[round]);
	}
	aes_sub_bytes(s);
	aes_shift_rows(s);
	aes_add_round_key(s, k->rk[14]);
	gst_memcpy(out, s, 16);
	gst_wipe(s, sizeof(s));
}

/* ---- GHASH ------------------------------------------------------------------------------------------------ */

/* A GF(2^128) element as GCM writes it, loaded big-endian: bit 127 of (hi:lo) is the coefficient of x^0. */
struct gf128 {
	uint64_t hi, lo;
};

static uint64_t be64_load(const uint8_t *p)
{
	uint64_t v = 0;
	for (unsigned int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static void be64_store(uint8_t *p, uint64_t v)
{
	for (unsigned int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

/* Carry-less a * b = (*hi:*lo), one masked shift per bit of b (the mask replaces a data-dependent branch). */
static void clmul64(uint64_t a, uint64_t b, uint64_t *hi, uint64_t *lo)
{
	uint64_t h = 0, l = 0;
	for (unsigned int i = 0; i < 64; i++) {
		uint64_t m = 0 - ((b >> i) & 1);
		l ^= (a << i) & m;
		h ^= ((a >> 1) >> (63 - i)) & m; /* a >> (64 - i), defined for i = 0 */
	}
	*hi = h, *lo = l;
}

/*
 * x * y in GCM's field.  The carry-less product of two bit-reflected operands is the reflection of the product
 * over 255 bits, so one left shift realigns it: then the high 128 bits hold x^0..x^127 and the low 128 bits
 * x^128..x^255 (both reflected).  Reduction folds the low half L with x^128 = x^7 + x^2 + x + 1; in reflected
 * order a multiplication by x^k is a right shift by k, and the bits pushed out (terms of degree 128..134) fold once
 * more, landing in the top word only.
 */
static struct gf128 gf128_mul(struct gf128 x, struct gf128 y)
{
	uint64_t z3, z2, z1, z0, m1, m0;
	clmul64(x.hi, y.hi, &z3, &z2);
	clmul64(x.lo, y.lo, &z1, &z0);
	clmul64(x.hi ^ x.lo, y.hi ^ y.lo, &m1, &m0); /* Karatsuba middle term */
	m1 ^= z3 ^ z1;
	m0 ^= z2 ^ z0;
	z2 ^= m1;
	z1 ^= m0;

	z3 = z3 << 1 | z2 >> 63;
	z2 = z2 << 1 | z1 >> 63;
	z1 = z1 << 1 | z0 >> 63;
	z0 <<= 1;

	uint64_t over = z0 << 63 ^ z0 << 62 ^ z0 << 57; /* L * (x^7 + x^2 + x + 1), terms of degree >= 128 */
	struct gf128 r;
	r.hi = z3 ^ z1 ^ z1 >> 1 ^ z1 >> 2 ^ z1 >> 7;
	r.lo = z2 ^ z0 ^ (z0 >> 1 | z1 << 63) ^ (z0 >> 2 | z1 << 62) ^ (z0 >> 7 | z1 << 57);
	r.hi ^= over ^ over >> 1 ^ over >> 2 ^ over >> 7;
	return r;
}

/* Y = (Y ^ X) * H over the data, the last partial block padded with zeros. */
static void ghash(struct gf128 *y, struct gf128 h, const uint8_t *p, size_t len)
{
	while (len) {
		uint8_t block[16] = {0};
		size_t n = len < 16 ? len : 16;
		gst_memcpy(block, p, n);
		y->hi ^= be64_load(block);
		y->lo ^= be64_load(block + 8);
		*y = gf128_mul(*y, h);
		p += n, len -= n;
	}
}

/* ---- GCM -------------------------------------------------------------------------------------------------- */

struct gcm {
	struct gst_aes256 aes;
	struct gf128 h, y;
	uint8_t j0[16];
};

static void gcm_start(struct gcm *g, const uint8_t key[GST_AES256_KEY_LEN], const uint8_t iv[GST_GCM_IV_LEN],
		      const uint8_t *aad, size_t aad_len)
{
	uint8_t zero[16] = {0}, hb[16];
	gst_aes256_init(&g->aes, key);
	gst_aes256_encrypt(&g->aes, zero, hb);
	g->h.hi = be64_load(hb);
	g->h.lo = be64_load(hb + 8);
	gst_wipe(hb, sizeof(hb));
	g->y.hi = g->y.lo = 0;
	/* SP 800-38D §7.1: a 96-bit IV gives J0 = IV || 0^31 || 1. */
	gst_memcpy(g->j0, iv, GST_GCM_IV_LEN);
	le32_store(g->j0 + 12, 0);
	g->j0[15] = 1;
	ghash(&g->y, g->h, aad, aad_len);
}

/* GCTR from inc32(J0) (§6.5), in place. */
static void gcm_ctr(const struct gcm *g, uint8_t *buf, size_t len)
{
	uint8_t ctr[16], ks[16];
	gst_memcpy(ctr, g->j0, 16);
	uint32_t n = 1;
	while (len) {
		n++;
		be64_store(ctr + 8, (be64_load(ctr + 8) & ~0xFFFFFFFFull) | n);
		gst_aes256_encrypt(&g->aes, ctr, ks);
		size_t m = len < 16 ? len : 16;
		for (size_t i = 0; i < m; i++)
			buf[i] ^= ks[i];
		buf += m, len -= m;
	}
	gst_wipe(ks, sizeof(ks));
}

/* The tag: E(K, J0) ^ GHASH(A || C || [len(A)]64 || [len(C)]64), lengths in bits (§7.1 steps 5-6). */
static void gcm_tag(struct gcm *g, const uint8_t *ct, size_t len, size_t aad_len, uint8_t tag[GST_GCM_TAG_LEN])
{
	uint8_t lens[16], ek[16];
	ghash(&g->y, g->h, ct, len);
	be64_store(lens, (uint64_t)aad_len * 8);
	be64_store(lens + 8, (uint64_t)len * 8);
	ghash(&g->y, g->h, lens, sizeof(lens));
	gst_aes256_encrypt(&g->aes, g->j0, ek);
	be64_store(tag, g->y.hi);
	be64_store(tag + 8, g->y.lo);
	for (unsigned int i = 0; i < GST_GCM_TAG_LEN; i++)
		tag[i] ^= ek[i];
	gst_wipe(ek, sizeof(ek));
}

void gst_aes256_gcm_seal(const uint8_t key[GST_AES256_KEY_LEN], const uint8_t iv[GST_GCM_IV_LEN], const uint8_t *aad,
			 size_t aad_len, uint8_t *buf, size_t len, uint8_t tag[GST_GCM_TAG_LEN])
{
	struct gcm g;
	gcm_start(&g, key, iv, aad, aad_len);
	gcm_ctr(&g, buf, len);
	gcm_tag(&g, buf, len, aad_len, tag);
	gst_wipe(&g, sizeof(g));
}

bool gst_aes256_gcm_open(const uint8_t key[GST_AES256_KEY_LEN], const uint8_t iv[GST_GCM_IV_LEN], const uint8_t *aad,
			 size_t aad_len, uint8_t *buf, size_t len, const uint8_t tag[GST_GCM_TAG_LEN])
{
	/* Authenticate the ciphertext first and decrypt only if the tag matches: a forged message yields no plaintext
	 * at all.  The two passes read buf twice, which is why it must be private memory (see internal.h). */
	struct gcm g;
	uint8_t want[GST_GCM_TAG_LEN];
	gcm_start(&g, key, iv, aad, aad_len);
	gcm_tag(&g, buf, len, aad_len, want);
	bool ok = gst_memeq_ct(want, tag, sizeof(want));
	if (ok)
		gcm_ctr(&g, buf, len);
	gst_wipe(want, sizeof(want));
	gst_wipe(&g, sizeof(g));
	return ok;
}
