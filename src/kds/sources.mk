# Local AMD Key Distribution Service (kds): the request target parser, the answers over a firmware-model platform,
# the libmicrohttpd server.  Only server.c needs libmicrohttpd; binaries that use it add $(NET_LIBS).
LIB_SRCS += src/kds/url.c src/kds/service.c src/kds/server.c
