/* Listen address parsing (addr.h). */
#include "addr.h"

#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

wx_status_t
wx_addr_parse_listen(const char *listen, struct sockaddr_storage *ss, socklen_t *len, wx_err_t *err)
{
    char host[128];
    const char *colon = strrchr(listen, ':');
    long port;
    if (!colon || (size_t)(colon - listen) >= sizeof(host) ||
        !wx_parse_long(colon + 1, 0, 65535, &port))
        return wx_err_set(err, WX_ECONFIG,
                          "'%s' is not host:port (e.g. 127.0.0.1:8080 or [::1]:8080)", listen);
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    char *h = host;
    if (h[0] == '[') { /* [::1]:8080 */
        h++;
        size_t n = strlen(h);
        if (n && h[n - 1] == ']')
            h[n - 1] = '\0';
    }
    struct sockaddr_storage tmp;
    socklen_t tmplen;
    if (!ss)
        ss = &tmp;
    if (!len)
        len = &tmplen;
    memset(ss, 0, sizeof(*ss));
    struct sockaddr_in *sin = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, strcmp(h, "localhost") == 0 ? "127.0.0.1" : h, &sin->sin_addr) == 1) {
        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t)port);
        *len = sizeof(*sin);
    } else if (inet_pton(AF_INET6, h, &sin6->sin6_addr) == 1) {
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((uint16_t)port);
        *len = sizeof(*sin6);
    } else {
        return wx_err_set(err, WX_ECONFIG, "the host of '%s' must be an IP address or localhost",
                          listen);
    }
    return WX_OK;
}
