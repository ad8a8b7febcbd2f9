/* How many TCP connections this process holds open on its listening port: the gauge
 * wxauth_http_connections_open of /metrics. evhttp has no hook when it accepts or frees a
 * connection (libevent 2.1), so the kernel is asked at scrape time (Linux /proc): this
 * process's socket inodes (/proc/self/fd) matched against /proc/net/tcp and tcp6 entries
 * whose local port is ours and that are not the listener. Idle keep-alive connections and
 * ones that never sent a request count too; outbound ones (WeChat, PostgreSQL) do not. */
#ifndef WX_HTTP_SOCKETS_H
#define WX_HTTP_SOCKETS_H

#include "../util/wx.h"

wx_status_t http_sockets_open(int port, int64_t *out, wx_err_t *err);

#endif
