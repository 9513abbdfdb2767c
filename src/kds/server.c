/* SPDX-License-Identifier: MIT */
/*
 * The KDS over HTTP with libmicrohttpd: one polling thread of the library's, GET only.  The request target is taken
 * raw from MHD's URI callback (MHD would unescape the path and split the query into a table; KDS's forms need
 * neither, and kds_url_parse reads the target as sent).  Bounds: the target (KDS_URL_MAX), the memory of a
 * connection (headers), the number of connections, an idle timeout.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <snpemu/kds.h>

#define CONNECTION_MEMORY (16u * 1024u) /* headers of one request: KDS clients send a few hundred bytes */

struct kds_server {
	struct MHD_Daemon *daemon;
	struct kds_service *svc;
	uint16_t port;
};

/* The raw request target of one request (req_cls), or its truncation flag. */
struct request_target {
	size_t len;
	bool too_long;
	char buf[KDS_URL_MAX];
};

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *con)
{
	struct request_target *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL; /* answered 500 by on_request */
	size_t n = strlen(uri);
	t->too_long = n > sizeof(t->buf);
	t->len = t->too_long ? 0 : n;
	memcpy(t->buf, uri, t->len);
	return t;
}

static void on_completed(void *cls, struct MHD_Connection *con, void **req_cls, enum MHD_RequestTerminationCode toe)
{
	free(*req_cls);
	*req_cls = NULL;
}

static enum MHD_Result queue(struct MHD_Connection *con, unsigned status, const char *type, const void *body,
			     size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO; /* MHD closes the connection */
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	enum MHD_Result ret = MHD_queue_response(con, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *con, const char *url, const char *method,
				  const char *version, const char *upload_data, size_t *upload_data_size,
				  void **req_cls)
{
	struct kds_server *srv = cls;
	const struct request_target *t = *req_cls;
	static const char bad_method[] = "Method Not Allowed\n", too_long[] = "Bad Request\n",
			  no_memory[] = "Internal Server Error\n";
	if (*upload_data_size) /* KDS takes no request bodies */
		return MHD_NO;
	if (strcmp(method, MHD_HTTP_METHOD_GET))
		return queue(con, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", bad_method, sizeof(bad_method) - 1);
	if (!t)
		return queue(con, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain", no_memory, sizeof(no_memory) - 1);
	if (t->too_long)
		return queue(con, MHD_HTTP_BAD_REQUEST, "text/plain", too_long, sizeof(too_long) - 1);
	struct kds_response rsp;
	kds_service_answer(srv->svc, t->buf, t->len, &rsp); /* a host failure is already a 500 answer */
	enum MHD_Result ret = queue(con, rsp.status, rsp.content_type, rsp.body, rsp.len);
	kds_response_release(&rsp);
	return ret;
}

int kds_server_start(struct kds_service *svc, const struct kds_server_config *cfg, struct kds_server **out)
{
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(cfg->port)};
	if (inet_pton(AF_INET, cfg->address ? cfg->address : "127.0.0.1", &addr.sin_addr) != 1)
		return -EINVAL;
	struct kds_server *srv = calloc(1, sizeof(*srv));
	if (!srv)
		return -ENOMEM;
	srv->svc = svc;
	unsigned max_conn = cfg->max_connections ? cfg->max_connections : 32;
	unsigned timeout = cfg->timeout_s ? cfg->timeout_s : 10;
	errno = 0;
	srv->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL, 0, NULL, NULL, on_request, srv,
				       MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr, MHD_OPTION_CONNECTION_LIMIT,
				       max_conn, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY,
				       MHD_OPTION_CONNECTION_TIMEOUT, timeout, MHD_OPTION_URI_LOG_CALLBACK, on_uri,
				       NULL, MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_END);
	if (!srv->daemon) {
		int err = errno == EADDRINUSE || errno == EACCES || errno == ENOMEM ? errno : EIO;
		free(srv);
		return -err;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
	srv->port = info ? info->port : cfg->port;
	*out = srv;
	return 0;
}

uint16_t kds_server_port(const struct kds_server *srv)
{
	return srv->port;
}

void kds_server_stop(struct kds_server *srv)
{
	if (!srv)
		return;
	MHD_stop_daemon(srv->daemon);
	free(srv);
}
