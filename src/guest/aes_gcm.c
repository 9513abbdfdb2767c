/* SPDX-License-Identifier: MIT */
/*
 * AES-256 (FIPS 197) and GCM (NIST SP 800-38D) for guest messages, in portable C that a freestanding guest built
 * with -mgeneral-regs-only can run: no tables, no branch and no memory index that depends on a key, a counter
 * block or data, so the time taken depends on the lengths only (Linux keeps lib/crypto/aesgcm.c for the same
 * reason: a small constant-time GCM for code that cannot use the CPU's AES instructions).
 *
 * The S-box is computed, not looked up: the multiplicative inverse in GF(2^8) as x^254 (an addition chain of
 * multiplications) followed by the affine map, on a bitsliced state of four blocks.  GHASH is a
 * carry-less 64x64 multiply by masked shifts (Karatsuba for 128x128) and a reduction by x^128 + x^7 + x^2 + x + 1
 * in GCM's bit-reflected order.  Speed is a few MB/s, plenty for guest messages of at most a page
 * (bench/guest_aes_gcm prints it against OpenSSL).
 */
#include "internal.h"

#include <snpemu/abi/le.h>

/* ---- AES-256 ---------------------------------------------------------------------------------------------- */

/*
 * AES runs on four blocks at once (64 bytes) in bitsliced form: plane i holds bit i of all 64 bytes, byte
 * k = 16 * block + 4 * column + row at bit k, so one 64-bit AND or XOR is that gate for 64 bytes.  The S-box is the
 * GF(2^8) inverse (x^254: 4 multiplications, 7 squarings) then the affine map (FIPS 197 §5.1.1), both derived from
 * the field's definition rather than from a hand-optimised circuit: fewer gates would be faster, this is checkable
 * line by line.  ShiftRows and MixColumns are shifts within each plane; the state is transposed in and out once
 * per batch.
 */
#define AES_LANES 64 /* bytes per batch: four blocks */

/* Transpose the 8x8 bit matrix in x (byte r = row r, bit c = column c); an involution (Hacker's Delight 7-3). */
static uint64_t bit_transpose8(uint64_t x)
{
	uint64_t t;
	t = (x ^ (x >> 7)) & 0x00AA00AA00AA00AAull;
	x ^= t ^ (t << 7);
	t = (x ^ (x >> 14)) & 0x0000CCCC0000CCCCull;
	x ^= t ^ (t << 14);
	t = (x ^ (x >> 28)) & 0x00000000F0F0F0F0ull;
	x ^= t ^ (t << 28);
	return x;
}

/* Transpose the 8x8 byte matrix w[0..8) (byte j of w[i] <-> byte i of w[j]); an involution. */
static void byte_transpose8(uint64_t w[8])
{
	for (unsigned int i = 0; i < 8; i++)
		for (unsigned int j = i + 1; j < 8; j++) {
			uint64_t a = (w[i] >> (8 * j)) & 0xFF, b = (w[j] >> (8 * i)) & 0xFF;
			w[i] ^= (a ^ b) << (8 * j);
			w[j] ^= (a ^ b) << (8 * i);
		}
}

/* 64 bytes -> 8 planes (bit k of plane i = bit i of byte k), and back: the same two involutions in turn. */
static void bs_load(uint64_t q[8], const uint8_t s[AES_LANES])
{
	for (unsigned int j = 0; j < 8; j++)
		q[j] = bit_transpose8(le64_load(s + 8 * j));
	byte_transpose8(q);
}

static void bs_store(uint8_t s[AES_LANES], uint64_t q[8])
{
	byte_transpose8(q);
	for (unsigned int j = 0; j < 8; j++)
		le64_store(s + 8 * j, bit_transpose8(q[j]));
}

/* p[0..15) holds a polynomial of degree <= 14; reduce it modulo x^8 + x^4 + x^3 + x + 1 (FIPS 197 §4.2) into r. */
static inline void bs_reduce(uint64_t r[8], uint64_t p[15])
{
	for (unsigned int k = 14; k >= 8; k--) { /* x^k = x^(k-8) * (x^4 + x^3 + x + 1) */
		p[k - 4] ^= p[k];
		p[k - 5] ^= p[k];
		p[k - 7] ^= p[k];
		p[k - 8] ^= p[k];
	}
	for (unsigned int i = 0; i < 8; i++)
		r[i] = p[i];
}

static inline void bs_mul(uint64_t r[8], const uint64_t a[8], const uint64_t b[8])
{
	uint64_t p[15] = {0};
	for (unsigned int i = 0; i < 8; i++)
		for (unsigned int j = 0; j < 8; j++)
			p[i + j] ^= a[i] & b[j];
	bs_reduce(r, p);
}

/* Squaring is linear in characteristic 2: sum a_i x^2i. */
static inline void bs_square(uint64_t r[8], const uint64_t a[8])
{
	uint64_t p[15] = {0};
	for (unsigned int i = 0; i < 8; i++)
		p[2 * i] = a[i];
	bs_reduce(r, p);
}

/* SubBytes on the planes, in place. */
static void aes_sub_bytes(uint64_t q[8])
{
	uint64_t x2[8], x3[8], x12[8], t[8], u[8];
	bs_square(x2, q);
	bs_mul(x3, x2, q);
	bs_square(t, x3);   /* x^6 */
	bs_square(x12, t);  /* x^12 */
	bs_mul(t, x12, x3); /* x^15 */
	bs_square(u, t);    /* x^30 */
	bs_square(t, u);    /* x^60 */
	bs_square(u, t);    /* x^120 */
	bs_square(t, u);    /* x^240 */
	bs_mul(u, t, x12);  /* x^252 */
	bs_mul(t, u, x2);   /* x^254 = x^-1, and 0 -> 0 */
	/* Affine map: s_i = b_i ^ b_(i+4) ^ b_(i+5) ^ b_(i+6) ^ b_(i+7) ^ c_i, c = 0x63. */
	for (unsigned int i = 0; i < 8; i++)
		q[i] = t[i] ^ t[(i + 4) % 8] ^ t[(i + 5) % 8] ^ t[(i + 6) % 8] ^ t[(i + 7) % 8] ^
		       (0 - (uint64_t)((0x63u >> i) & 1));
}

#define ROW_MASK(r) (0x1111111111111111ull << (r)) /* the bits of row r in every column of every block */

/* Rotate each 16-bit lane (one block's row bits) right by n, 0 < n < 16. */
static uint64_t block_rotr(uint64_t x, unsigned int n)
{
	uint64_t keep = 0x0001000100010001ull * (0xFFFFu >> n),
		 wrap = 0x0001000100010001ull * ((0xFFFFu << (16 - n)) & 0xFFFFu);
	return ((x >> n) & keep) | ((x << (16 - n)) & wrap);
}

/* ShiftRows (§5.1.2): s'[r][c] = s[r][c + r]: row r's bits move down by 4r within their block. */
static void aes_shift_rows(uint64_t q[8])
{
	for (unsigned int i = 0; i < 8; i++)
		q[i] = (q[i] & ROW_MASK(0)) | block_rotr(q[i] & ROW_MASK(1), 4) | block_rotr(q[i] & ROW_MASK(2), 8) |
		       block_rotr(q[i] & ROW_MASK(3), 12);
}

/* Row r <- row r + 1 (mod 4) within every column. */
static uint64_t row_next(uint64_t x)
{
	return ((x >> 1) & (ROW_MASK(0) | ROW_MASK(1) | ROW_MASK(2))) | ((x << 3) & ROW_MASK(3));
}

/* MixColumns (§5.1.3): b_r = a_r ^ (a_0 ^ a_1 ^ a_2 ^ a_3) ^ xtime(a_r ^ a_(r+1)); xtime on planes is a shift
 * of plane indices with the reduction bits of 0x1B (bits 0, 1, 3, 4) fed by plane 7. */
static void aes_mix_columns(uint64_t q[8])
{
	uint64_t d[8], all[8];
	for (unsigned int i = 0; i < 8; i++)
		d[i] = q[i] ^ row_next(q[i]);
	for (unsigned int i = 0; i < 8; i++)
		all[i] = d[i] ^ row_next(row_next(d[i]));
	uint64_t xt[8] = {d[7], d[0] ^ d[7], d[1], d[2] ^ d[7], d[3] ^ d[7], d[4], d[5], d[6]};
	for (unsigned int i = 0; i < 8; i++)
		q[i] ^= all[i] ^ xt[i];
}

static void aes_add_round_key(uint64_t q[8], const uint64_t rk[8])
{
	for (unsigned int i = 0; i < 8; i++)
		q[i] ^= rk[i];
}

void gst_aes256_init(struct gst_aes256 *k, const uint8_t key[GST_AES256_KEY_LEN])
{
	/* KeyExpansion (FIPS 197 §5.2) with Nk = 8, Nr = 14: 60 words, word i at w[4i..4i+4); each round key is then
	 * bitsliced once, repeated over the four blocks of a batch. */
	uint8_t w[240], t[AES_LANES] = {0};
	uint64_t q[8];
	uint8_t rcon = 0x01;
	gst_memcpy(w, key, GST_AES256_KEY_LEN);
	for (unsigned int i = 8; i < 60; i++) {
		gst_memcpy(t, w + 4 * (i - 1), 4);
		if (i % 8 == 0 || i % 8 == 4) {
			if (i % 8 == 0) { /* RotWord */
				uint8_t t0 = t[0];
				t[0] = t[1], t[1] = t[2], t[2] = t[3], t[3] = t0;
			}
			bs_load(q, t); /* SubWord: the first four of the 64 lanes */
			aes_sub_bytes(q);
			bs_store(t, q);
			if (i % 8 == 0) {
				t[0] ^= rcon;
				rcon = (uint8_t)(rcon << 1); /* 7 rounds of Rcon: never reaches 0x80 */
			}
		}
		for (unsigned int j = 0; j < 4; j++)
			w[4 * i + j] = w[4 * (i - 8) + j] ^ t[j];
	}
	for (unsigned int r = 0; r < 15; r++) {
		for (unsigned int b = 0; b < AES_LANES; b += 16)
			gst_memcpy(t + b, w + 16 * r, 16);
		bs_load(k->rk[r], t);
	}
	gst_wipe(w, sizeof(w)), gst_wipe(t, sizeof(t)), gst_wipe(q, sizeof(q));
}

/* Encrypt the four blocks of s in place. */
static void aes256_encrypt4(const struct gst_aes256 *k, uint8_t s[AES_LANES])
{
	uint64_t q[8];
	bs_load(q, s);
	aes_add_round_key(q, k->rk[0]);
	for (unsigned int round = 1; round < 14; round++) {
		aes_sub_bytes(q);
		aes_shift_rows(q);
		aes_mix_columns(q);
		aes_add_round_key(q, k->rk[round]);
	}
	aes_sub_bytes(q);
	aes_shift_rows(q);
	aes_add_round_key(q, k->rk[14]);
	bs_store(s, q);
}

void gst_aes256_encrypt(const struct gst_aes256 *k, const uint8_t in[16], uint8_t out[16])
{
	uint8_t s[AES_LANES] = {0};
	gst_memcpy(s, in, 16);
	aes256_encrypt4(k, s);
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

static void be32_store(uint8_t *p, uint32_t v)
{
	for (unsigned int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (24 - 8 * i));
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
	uint8_t j0[16], ek_j0[16];
};

static void gcm_start(struct gcm *g, const uint8_t key[GST_AES256_KEY_LEN], const uint8_t iv[GST_GCM_IV_LEN],
		      const uint8_t *aad, size_t aad_len)
{
	uint8_t s[AES_LANES] = {0};
	gst_aes256_init(&g->aes, key);
	/* SP 800-38D §7.1: a 96-bit IV gives J0 = IV || 0^31 || 1.  H = E(K, 0^128) and E(K, J0) in one batch. */
	gst_memcpy(g->j0, iv, GST_GCM_IV_LEN);
	le32_store(g->j0 + 12, 0);
	g->j0[15] = 1;
	gst_memcpy(s + 16, g->j0, 16);
	aes256_encrypt4(&g->aes, s);
	g->h.hi = be64_load(s);
	g->h.lo = be64_load(s + 8);
	gst_memcpy(g->ek_j0, s + 16, 16);
	gst_wipe(s, sizeof(s));
	g->y.hi = g->y.lo = 0;
	ghash(&g->y, g->h, aad, aad_len);
}

/* GCTR from inc32(J0) (§6.5), in place, four counter blocks per batch. */
static void gcm_ctr(const struct gcm *g, uint8_t *buf, size_t len)
{
	uint8_t ks[AES_LANES];
	uint32_t n = 1; /* J0's counter; inc32 wraps modulo 2^32 */
	while (len) {
		for (unsigned int b = 0; b < AES_LANES; b += 16) {
			gst_memcpy(ks + b, g->j0, 12);
			be32_store(ks + b + 12, ++n);
		}
		aes256_encrypt4(&g->aes, ks);
		size_t m = len < AES_LANES ? len : AES_LANES;
		for (size_t i = 0; i < m; i++)
			buf[i] ^= ks[i];
		buf += m, len -= m;
	}
	gst_wipe(ks, sizeof(ks));
}

/* The tag: E(K, J0) ^ GHASH(A || C || [len(A)]64 || [len(C)]64), lengths in bits (§7.1 steps 5-6). */
static void gcm_tag(struct gcm *g, const uint8_t *ct, size_t len, size_t aad_len, uint8_t tag[GST_GCM_TAG_LEN])
{
	uint8_t lens[16];
	ghash(&g->y, g->h, ct, len);
	be64_store(lens, (uint64_t)aad_len * 8);
	be64_store(lens + 8, (uint64_t)len * 8);
	ghash(&g->y, g->h, lens, sizeof(lens));
	be64_store(tag, g->y.hi);
	be64_store(tag + 8, g->y.lo);
	for (unsigned int i = 0; i < GST_GCM_TAG_LEN; i++)
		tag[i] ^= g->ek_j0[i];
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
