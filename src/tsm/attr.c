/* SPDX-License-Identifier: MIT */
/*
 * The attributes of a configfs-tsm report entry as data (include/snpemu/tsm.h), and the checks of what is written
 * to them: configfs's size limits (fs/configfs/file.c: binary attributes refuse writes past cb_max_size with EFBIG,
 * text attributes keep one page), report.c's rules (an empty inblob is no report request: EINVAL;
 * tsm_report_privlevel_store: kstrtouint, then floor <= value <= TSM_PRIVLEVEL_MAX else EINVAL) and its
 * generation counter (try_advance_write_generation).  Pure: no allocation, no state.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include <snpemu/tsm.h>

#include "common/hex.h"

const struct tsm_attr_rule tsm_attr_rules[TSM_ATTR_COUNT] = {
    [TSM_ATTR_INBLOB] = {.name = "inblob",
			 .writable = true,
			 .binary = true,
			 .max_len = TSM_INBLOB_MAX,
			 .too_long = -EFBIG,
			 .empty = -EINVAL},
    [TSM_ATTR_OUTBLOB] = {.name = "outblob", .readable = true, .binary = true},
    [TSM_ATTR_AUXBLOB] = {.name = "auxblob", .readable = true, .binary = true},
    [TSM_ATTR_PROVIDER] = {.name = "provider", .readable = true},
    [TSM_ATTR_GENERATION] = {.name = "generation", .readable = true},
    [TSM_ATTR_PRIVLEVEL] = {.name = "privlevel",
			    .writable = true,
			    .max_len = TSM_TEXT_MAX,
			    .too_long = -EFBIG,
			    .empty = -EINVAL,
			    .number = true,
			    .max_value = TSM_PRIVLEVEL_MAX},
    [TSM_ATTR_PRIVLEVEL_FLOOR] = {.name = "privlevel_floor", .readable = true},
};

int tsm_attr_lookup(const char *name)
{
	for (int a = 0; a < TSM_ATTR_COUNT; a++)
		if (!strcmp(name, tsm_attr_rules[a].name))
			return a;
	return -ENOENT;
}

int tsm_attr_write_check(enum tsm_attr attr, uint64_t offset, size_t len)
{
	if ((unsigned)attr >= TSM_ATTR_COUNT || !tsm_attr_rules[attr].writable)
		return -EACCES;
	const struct tsm_attr_rule *r = &tsm_attr_rules[attr];
	if (offset > r->max_len || len > r->max_len - offset)
		return r->too_long;
	return 0;
}

int tsm_parse_uint(const char *buf, size_t len, uint32_t *out)
{
	size_t i = 0;
	unsigned int base = 10;
	if (len && buf[len - 1] == '\n') /* kstrtoull accepts one trailing newline */
		len--;
	if (i < len && buf[i] == '+')
		i++;
	if (i + 1 < len && buf[i] == '0' && (buf[i + 1] == 'x' || buf[i + 1] == 'X')) {
		base = 16;
		i += 2;
	} else if (i < len && buf[i] == '0') {
		base = 8; /* "0" alone is octal zero */
	}
	if (i == len)
		return -EINVAL;
	uint64_t v = 0;
	for (; i < len; i++) {
		int d = snpemu_hex_digit(buf[i]);
		if (d < 0 || d >= (int)base)
			return -EINVAL;
		v = v * base + (unsigned)d;
		if (v > UINT_MAX)
			return -ERANGE; /* kstrtouint: the value does not fit */
	}
	*out = (uint32_t)v;
	return 0;
}

int tsm_attr_commit_check(enum tsm_attr attr, const uint8_t *buf, size_t len, uint32_t floor, uint32_t *value)
{
	int rc = tsm_attr_write_check(attr, 0, len);
	if (rc)
		return rc;
	const struct tsm_attr_rule *r = &tsm_attr_rules[attr];
	if (len == 0)
		return r->empty;
	if (!r->number)
		return 0;
	uint32_t v;
	if ((rc = tsm_parse_uint((const char *)buf, len, &v)))
		return rc;
	if (v < floor || v > r->max_value)
		return -EINVAL;
	*value = v;
	return 0;
}

int tsm_generation_advance(unsigned long *write_gen, unsigned long read_gen)
{
	/* Enough writes without a read make write_gen == read_gen by modular arithmetic: refuse the one that would. */
	if (*write_gen == read_gen - 1)
		return -EBUSY;
	(*write_gen)++;
	return 0;
}
