/* SPDX-License-Identifier: MIT */
/* Option values shared by the subcommands that run a VM or create a platform. */
#include <string.h>

#include <snpemu/fw.h>
#include <snpemu/vmm.h>

#include "cli/attest_io.h"
#include "cli/cli.h"

int cli_parse_backend(const char *s, enum vmm_backend_kind *out)
{
	static const struct {
		const char *name;
		enum vmm_backend_kind b;
	} names[] = {{"sim", VMM_BACKEND_SIM}, {"kvm", VMM_BACKEND_KVM}, {"auto", VMM_BACKEND_AUTO}};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(s, names[i].name)) {
			*out = names[i].b;
			return 0;
		}
	}
	return -1;
}

int cli_parse_seed(const char *s, uint8_t seed[FW_SEED_MAX], size_t *len)
{
	size_t digits = strlen(s) - (strncmp(s, "0x", 2) && strncmp(s, "0X", 2) ? 0 : 2);
	if (!digits || digits % 2 || digits / 2 > FW_SEED_MAX || cli_parse_hex(s, seed, digits / 2, 0))
		return -1;
	*len = digits / 2;
	return 0;
}
