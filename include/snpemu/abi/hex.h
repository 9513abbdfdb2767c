/* SPDX-License-Identifier: MIT */
/*
 * One hex digit's value: the decoder every parser of hex text shares (the CLI's hex options, the KDS hwid, the
 * configfs-tsm numbers).  Freestanding and dual-use.
 */
#ifndef SNPEMU_ABI_HEX_H
#define SNPEMU_ABI_HEX_H

/* 0..15 for 0-9, a-f, A-F; -1 for anything else. */
static inline int snpemu_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif
