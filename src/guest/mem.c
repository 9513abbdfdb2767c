/* SPDX-License-Identifier: MIT */
/*
 * Byte helpers for a library that may not call libc (it is linked into freestanding guests), the error names and
 * the fault record.  The loops are written so that a compiler given -ffreestanding -fno-builtin does not turn them
 * back into memcpy/memset calls.
 */
#include "internal.h"

void gst_memcpy(void *dst, const void *src, size_t n)
{
	uint8_t *d = (uint8_t *)dst;
	const uint8_t *s = (const uint8_t *)src;
	for (size_t i = 0; i < n; i++)
		d[i] = s[i];
}

void gst_memset(void *dst, int v, size_t n)
{
	uint8_t *d = (uint8_t *)dst;
	for (size_t i = 0; i < n; i++)
		d[i] = (uint8_t)v;
}

int gst_memcmp(const void *a, const void *b, size_t n)
{
	const uint8_t *x = (const uint8_t *)a, *y = (const uint8_t *)b;
	for (size_t i = 0; i < n; i++)
		if (x[i] != y[i])
			return x[i] < y[i] ? -1 : 1;
	return 0;
}

bool gst_memeq_ct(const void *a, const void *b, size_t n)
{
	/* No early exit: the time depends on n only, so a forged tag learns nothing from timing. */
	const volatile uint8_t *x = (const volatile uint8_t *)a, *y = (const volatile uint8_t *)b;
	uint8_t acc = 0;
	for (size_t i = 0; i < n; i++)
		acc = (uint8_t)(acc | (x[i] ^ y[i]));
	return acc == 0;
}

void gst_wipe(void *p, size_t n)
{
	/* Volatile stores: the compiler may not drop them even if the memory is dead afterwards. */
	volatile uint8_t *d = (volatile uint8_t *)p;
	for (size_t i = 0; i < n; i++)
		d[i] = 0;
}

size_t gst_strlen(const char *s)
{
	size_t n = 0;
	while (s[n] != '\0')
		n++;
	return n;
}

const char *gst_strerror(int err)
{
	static const char *const names[] = {
	    "GST_OK",	   "GST_EINVAL",  "GST_EPROTO",	     "GST_EEXCEPTION", "GST_EMALFORMED", "GST_EHVRESP",
	    "GST_ESTATUS", "GST_ENOTSUP", "GST_ENOPROGRESS", "GST_EPVALIDATE", "GST_EFAULT",	 "GST_EBUSY",
	    "GST_ENOSPC",  "GST_EKEY",	  "GST_EBADMSG",     "GST_ESEQ",       "GST_ETERM",
	};
	if (err > 0 || (size_t)-err >= sizeof(names) / sizeof(names[0]))
		return "GST_E?";
	return names[-err];
}

int gst_fail(struct gst_ctx *c, int err, uint64_t event, uint64_t info2)
{
	gst_memset(&c->fault, 0, sizeof(c->fault));
	c->fault.err = err;
	c->fault.event = event;
	c->fault.info2 = info2;
	return err;
}

void gst_log(struct gst_ctx *c, const char *msg)
{
	if (c->plat.ops->log)
		c->plat.ops->log(c->plat.ctx, msg, gst_strlen(msg));
}
