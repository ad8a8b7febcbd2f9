/* Listen addresses ("127.0.0.1:8080", "[::1]:8080", "localhost:8080"): one parser for the
 * server, the emulator and the config check, so --check-config refuses what start-up would. */
#ifndef WX_UTIL_ADDR_H
#define WX_UTIL_ADDR_H

#include <sys/socket.h>

#include "wx.h"

/* host:port with host an IPv4 or IPv6 address (IPv6 in brackets) or "localhost"; port 0-65535.
 * WX_ECONFIG naming the value otherwise. ss/len may be NULL (check only). */
wx_status_t wx_addr_parse_listen(const char *listen, struct sockaddr_storage *ss, socklen_t *len,
                                 wx_err_t *err);

#endif
