/* SPDX-License-Identifier: MIT */
/*
 * snpemu kds [--listen ADDR:PORT] [--product P] [--seed HEX] [--revoke WHAT]...: a local AMD Key Distribution Service
 * (include/snpemu/kds.h) for the platform `snpemu report` and `snpemu run` use with the same --product and --seed,
 * so verifiers pointed at it fetch the VCEK, chain and CRL of snpemu's reports as they would from kdsintf.amd.com.
 * Serves until SIGINT or SIGTERM, then closes every connection and exits 0.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <snpemu/fw.h>
#include <snpemu/kds.h>
#include <snpemu/vmm.h>

#include "cli/attest_io.h"
#include "cli/cli.h"

struct kds_args {
	char address[64];
	uint16_t port;
	unsigned max_connections;
	struct kds_service_config svc;
	struct vmm_config cfg; /* only product and seed: the platform's identity */
};

enum { OPT_LISTEN = 'l', OPT_REVOKE = 256, OPT_MAX_CONNECTIONS };

static const struct cli_option kds_options[] = {
    {"listen", OPT_LISTEN, "ADDR:PORT", "IPv4 address and port to serve on (port 0: any free port, printed)",
     "127.0.0.1:0"},
    CLI_OPTION_PRODUCT,
    CLI_OPTION_SEED,
    {"revoke", OPT_REVOKE, "WHAT",
     "list in the CRLs: ask, asvk, vcek (serial 0: every VCEK, as KDS numbers them) or a serial number; repeatable",
     "nothing revoked"},
    {"max-connections", OPT_MAX_CONNECTIONS, "N", "concurrent connections served, 1..1024", "32"},
    {NULL, 0, NULL, NULL, NULL},
};

static const struct cli_spec kds_spec = {
    .cmd = "kds",
    .synopsis = "[--listen ADDR:PORT] [--product P] [--seed HEX] [--revoke WHAT]...",
    .description =
	"Serve AMD's Key Distribution Service interface for the platform of --product and --seed (the one\n"
	"`snpemu report` and `snpemu run` use): /vcek/v1/{Milan|Genoa|Turin}/{hwid}?blSPL=&teeSPL=&snpSPL=&ucodeSPL=\n"
	"[&fmcSPL=] (DER VCEK of this chip at that TCB; another chip: 404), /vcek/v1/{p}/cert_chain (PEM ASK, ARK),\n"
	"/vcek/v1/{p}/crl (DER, signed by the ARK), /vlek/v1/{p}/cert_chain and /vlek/v1/{p}/crl.  A malformed\n"
	"hwid or SPL is 400, an unknown product or path 404.  Prints \"listening on http://ADDR:PORT\" and serves\n"
	"until SIGINT or SIGTERM.",
    .opts = kds_options,
    .epilog = "\nexit status: 0 stopped by a signal, 1 the platform or the server could not start, 2 usage error\n",
    .usage_status = CLI_EXIT_USAGE,
};

/* ADDR:PORT with a dotted IPv4 address and a port 0..65535. */
static int parse_listen(const char *s, struct kds_args *a)
{
	const char *colon = strrchr(s, ':');
	uint64_t port;
	if (!colon || colon == s || (size_t)(colon - s) >= sizeof(a->address) || cli_parse_u64(colon + 1, 65535, &port))
		return -1;
	memcpy(a->address, s, (size_t)(colon - s));
	a->address[colon - s] = '\0';
	a->port = (uint16_t)port;
	return 0;
}

static int kds_option(void *ctx, int key, const char *v)
{
	struct kds_args *a = ctx;
	uint64_t n;
	switch (key) {
	case OPT_LISTEN:
		if (parse_listen(v, a))
			return cli_usage_error(&kds_spec, v, "--listen wants ADDR:PORT (IPv4, port 0..65535)");
		return 0;
	case OPT_REVOKE:
		if (a->svc.n_revoked == KDS_REVOKED_MAX)
			return cli_usage_error(&kds_spec, v, "at most %u --revoke", KDS_REVOKED_MAX);
		if (kds_revoke_parse(v, &a->svc.revoked[a->svc.n_revoked]))
			return cli_usage_error(&kds_spec, v, "--revoke wants ask, asvk, vcek, vlek or a serial number");
		a->svc.n_revoked++;
		return 0;
	case OPT_MAX_CONNECTIONS:
		if (cli_parse_u64(v, 1024, &n) || n == 0)
			return cli_usage_error(&kds_spec, v, "invalid value for --max-connections");
		a->max_connections = (unsigned)n;
		return 0;
	default: {
		int rc = key == CLI_OPT_PRODUCT || key == CLI_OPT_SEED ? cli_vm_option(&kds_spec, &a->cfg, key, v)
								       : CLI_CONTINUE;
		return rc != CLI_CONTINUE ? rc : cli_usage_error(&kds_spec, NULL, "internal: unhandled option");
	}
	}
}

int cli_cmd_kds(int argc, char **argv)
{
	struct kds_args a = {.address = "127.0.0.1"};
	int operands;
	vmm_config_default(&a.cfg);
	int rc = cli_parse_options(&kds_spec, argc, argv, kds_option, &a, &operands);
	if (rc != CLI_CONTINUE)
		return rc;
	if (operands < argc)
		return cli_usage_error(&kds_spec, argv[operands], "unexpected argument");

	struct fw_platform_config pc;
	struct fw_platform *p = NULL;
	struct kds_service *svc = NULL;
	struct kds_server *srv = NULL;
	if ((rc = vmm_platform_config(&a.cfg, &pc))) {
		cli_error("kds", NULL, "cannot configure the platform: %s", strerror(-rc));
		return CLI_EXIT_FAILURE;
	}
	pc.vlek = true; /* the ASVK chain for /vlek/...; the VCEK, chip ID and ARK/ASK do not depend on it */
	/* Signals are taken with sigwait: block them before libmicrohttpd starts its thread, which inherits the mask.
	 */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	int status = CLI_EXIT_FAILURE;
	struct kds_server_config sc = {.address = a.address, .port = a.port, .max_connections = a.max_connections};
	if ((rc = fw_platform_create(&pc, &p)) || (rc = kds_service_new(p, &a.svc, &svc))) {
		cli_error("kds", NULL, "cannot create the platform: %s", strerror(-rc));
		goto out;
	}
	if ((rc = kds_server_start(svc, &sc, &srv))) {
		cli_error("kds", a.address, "cannot listen on port %u: %s", a.port,
			  rc == -EINVAL ? "not an IPv4 address" : strerror(-rc));
		goto out;
	}
	printf("snpemu kds: %s, chip ID ", fw_product_name(pc.product));
	for (int i = 0; i < 64; i++)
		printf("%02x", fw_platform_chip_id(p)[i]);
	printf("\nlistening on http://%s:%u\n", a.address, kds_server_port(srv));
	fflush(stdout);
	int sig;
	sigwait(&stop, &sig);
	status = CLI_EXIT_OK;
out:
	kds_server_stop(srv);
	kds_service_free(svc);
	fw_platform_destroy(p);
	pthread_sigmask(SIG_UNBLOCK, &stop, NULL);
	return status;
}
