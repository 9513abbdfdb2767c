/* SPDX-License-Identifier: MIT */
/* The backend chooser: the one place that knows which backends are built and in which order `auto` tries them. */
#include <errno.h>

#include "vmm/backend.h"

/* Preference order for `auto`: real hardware virtualisation first. */
static const struct vmm_backend *const backends[] = {
    &vmm_backend_kvm,
    &vmm_backend_sim,
};
#define NBACKENDS (sizeof(backends) / sizeof(backends[0]))

const struct vmm_backend *vmm_backend_find(enum vmm_backend_kind kind)
{
	for (size_t i = 0; i < NBACKENDS; i++)
		if (backends[i]->kind == kind)
			return backends[i];
	return NULL;
}

const char *vmm_backend_name(enum vmm_backend_kind kind)
{
	const struct vmm_backend *b = vmm_backend_find(kind);
	return b ? b->name : kind == VMM_BACKEND_AUTO ? "auto" : "?";
}

static int probe(const struct vmm_backend *b, char *reason, size_t len)
{
	if (len)
		reason[0] = '\0';
	return b->probe ? b->probe(reason, len) : 0;
}

int vmm_backend_choose(enum vmm_backend_kind kind, FILE *note, FILE *err, const struct vmm_backend **out)
{
	char reason[256];
	if (kind != VMM_BACKEND_AUTO) {
		const struct vmm_backend *b = vmm_backend_find(kind);
		if (!b)
			return -EINVAL;
		int rc = probe(b, reason, sizeof(reason));
		if (rc) {
			fprintf(err, "snpemu: the %s backend cannot run here: %s\n", b->name, reason);
			return rc;
		}
		*out = b;
		return 0;
	}
	/* auto: the first that runs here; the note says why (the reason the preferred one could not). */
	char why[256] = "";
	for (size_t i = 0; i < NBACKENDS; i++) {
		if (!backends[i]->in_auto)
			continue;
		if (probe(backends[i], reason, sizeof(reason))) {
			if (!why[0])
				snprintf(why, sizeof(why), "%s", reason);
			continue;
		}
		if (note)
			fprintf(note, "snpemu: backend auto: %s (%s)\n", backends[i]->name,
				why[0] ? why : backends[i]->auto_reason);
		*out = backends[i];
		return 0;
	}
	fprintf(err, "snpemu: no backend can run here: %s\n", why);
	return -ENODEV;
}
