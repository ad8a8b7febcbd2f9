/* IP addresses and CIDR ranges, for [server] trusted_proxies: which peers may tell us the client
 * address (http/server.c http_req_ip). IPv4-mapped IPv6 addresses count as IPv4, since a
 * dual-stack listener reports IPv4 peers that way. */
#include "cidr.h"

#include <arpa/inet.h>
#include <string.h>

bool
wx_ip_parse(const char *ip, wx_cidr_t *out)
{
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    memset(out, 0, sizeof(*out));
    if (inet_pton(AF_INET, ip, out->addr) == 1) {
        out->bits = 32;
        return true;
    }
    if (inet_pton(AF_INET6, ip, out->addr) != 1)
        return false;
    if (memcmp(out->addr, mapped, sizeof(mapped)) == 0) {
        memmove(out->addr, out->addr + 12, 4);
        memset(out->addr + 4, 0, 12);
        out->bits = 32;
        return true;
    }
    out->v6 = true;
    out->bits = 128;
    return true;
}

wx_status_t
wx_cidr_list_parse(const char *text, wx_cidr_list_t *out, wx_err_t *err)
{
    char item[64];
    memset(out, 0, sizeof(*out));
    for (const char *p = text; *p;) {
        size_t len = strcspn(p, ", \t");
        if (len == 0) {
            p++;
            continue;
        }
        if (len >= sizeof(item))
            return wx_err_set(err, WX_ECONFIG, "trusted_proxies: '%.*s…' is not an address", 40, p);
        memcpy(item, p, len);
        item[len] = '\0';
        p += len;
        if (out->n == WX_CIDR_MAX)
            return wx_err_set(err, WX_ECONFIG, "trusted_proxies: more than %d entries",
                              WX_CIDR_MAX);
        wx_cidr_t *c = &out->e[out->n];
        char *slash = strchr(item, '/');
        long bits = -1;
        if (slash)
            *slash = '\0';
        if (!wx_ip_parse(item, c) ||
            (slash && !wx_parse_long(slash + 1, 0, c->v6 ? 128 : 32, &bits)))
            return wx_err_set(err, WX_ECONFIG,
                              "trusted_proxies: '%s%s%s' is not an address or address/bits", item,
                              slash ? "/" : "", slash ? slash + 1 : "");
        if (bits >= 0)
            c->bits = (int)bits;
        out->n++;
    }
    return WX_OK;
}

static bool
cidr_match(const wx_cidr_t *c, const wx_cidr_t *a)
{
    if (c->v6 != a->v6)
        return false;
    int full = c->bits / 8, rest = c->bits % 8;
    if (memcmp(c->addr, a->addr, (size_t)full) != 0)
        return false;
    if (rest == 0)
        return true;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return (c->addr[full] & mask) == (a->addr[full] & mask);
}

bool
wx_cidr_list_has(const wx_cidr_list_t *l, const char *ip)
{
    wx_cidr_t a;
    if (!l || l->n == 0 || !wx_ip_parse(ip, &a))
        return false;
    for (size_t i = 0; i < l->n; i++)
        if (cidr_match(&l->e[i], &a))
            return true;
    return false;
}

void
wx_ip_client_key(const char *ip, char *out, size_t n)
{
    wx_cidr_t a;
    char txt[INET6_ADDRSTRLEN];
    if (!wx_ip_parse(ip, &a)) {
        wx_strlcpy(out, ip, n);
        return;
    }
    if (!a.v6) {
        if (inet_ntop(AF_INET, a.addr, txt, sizeof(txt)))
            wx_strlcpy(out, txt, n);
        else
            wx_strlcpy(out, ip, n);
        return;
    }
    memset(a.addr + 8, 0, 8);
    if (inet_ntop(AF_INET6, a.addr, txt, sizeof(txt)))
        wx_snprintf(out, n, "%s/64", txt);
    else
        wx_strlcpy(out, ip, n);
}
