/* Authorize-page rules: parameter order, domain match, state and scope syntax. */
#include "rules.h"

#include <string.h>
#include <strings.h>

static const char *const ordered[] = {"appid", "redirect_uri", "response_type", "scope", "state"};

static int
ordered_index(const char *key)
{
    for (size_t i = 0; i < WX_ARRAY_LEN(ordered); i++)
        if (strcmp(key, ordered[i]) == 0)
            return (int)i;
    return -1;
}

bool
emu_params_in_order(const wx_query_t *q, char *why, size_t n)
{
    int last = -1;
    bool tail = false; /* past the five: only other parameters may follow */
    for (size_t i = 0; i < q->count; i++) {
        int k = ordered_index(q->params[i].key);
        if (k < 0) {
            tail = true;
            continue;
        }
        if (tail) {
            wx_snprintf(why, n, "'%s' must come before any other parameter", ordered[k]);
            return false;
        }
        if (k == last) {
            wx_snprintf(why, n, "'%s' is given twice", ordered[k]);
            return false;
        }
        if (k < last) {
            wx_snprintf(why, n, "'%s' must come before '%s'", ordered[k], ordered[last]);
            return false;
        }
        last = k;
    }
    return true;
}

/* ASCII only, whatever the locale. */
static bool
ascii_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool
ascii_hex(char c)
{
    return (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || (c >= '0' && c <= '9');
}

static bool
host_char(char c)
{
    return ascii_alnum(c) || c == '.' || c == '-';
}

bool
emu_hostport_parse(const char *s, size_t n, char *host, size_t hn, long *port)
{
    size_t hlen;
    const char *rest;
    *port = 0;
    if (n == 0)
        return false;
    if (s[0] == '[') { /* [IPv6] */
        const char *close = memchr(s, ']', n);
        if (!close || close == s + 1)
            return false;
        for (const char *p = s + 1; p < close; p++)
            if (!ascii_hex(*p) && *p != ':' && *p != '.')
                return false;
        hlen = (size_t)(close - s) + 1;
    } else {
        hlen = 0;
        while (hlen < n && s[hlen] != ':') {
            if (!host_char(s[hlen]))
                return false;
            hlen++;
        }
        if (hlen == 0 || s[0] == '.' || s[0] == '-')
            return false;
    }
    if (hlen >= hn || hlen > 253 + 2)
        return false;
    for (size_t i = 0; i < hlen; i++)
        host[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] - 'A' + 'a') : s[i];
    host[hlen] = '\0';
    rest = s + hlen;
    if (rest == s + n)
        return true;
    if (*rest != ':' || rest + 1 == s + n || (size_t)(s + n - rest - 1) > 5)
        return false;
    long p = 0;
    for (const char *d = rest + 1; d < s + n; d++) {
        if (*d < '0' || *d > '9')
            return false;
        p = p * 10 + (*d - '0');
    }
    if (p < 1 || p > 65535)
        return false;
    *port = p;
    return true;
}

bool
emu_redirect_hostport(const char *uri, char *host, size_t hn, long *port)
{
    long defport;
    const char *a;
    if (strncasecmp(uri, "https://", 8) == 0) {
        a = uri + 8;
        defport = 443;
    } else if (strncasecmp(uri, "http://", 7) == 0) {
        a = uri + 7;
        defport = 80;
    } else {
        return false;
    }
    size_t alen = strcspn(a, "/?#");
    /* '@' (userinfo) and '\\' (browsers read it as '/') fail in emu_hostport_parse. */
    if (!emu_hostport_parse(a, alen, host, hn, port))
        return false;
    if (*port == 0)
        *port = defport;
    return true;
}

bool
emu_domain_match(const char *domain, const char *redirect_uri)
{
    char dhost[EMU_HOST_MAX], rhost[EMU_HOST_MAX];
    long dport, rport;
    if (!emu_hostport_parse(domain, strlen(domain), dhost, sizeof(dhost), &dport))
        return false;
    if (!emu_redirect_hostport(redirect_uri, rhost, sizeof(rhost), &rport))
        return false;
    if (dport == 0) /* no port configured: the scheme's default */
        dport = strncasecmp(redirect_uri, "https:", 6) == 0 ? 443 : 80;
    return strcmp(dhost, rhost) == 0 && dport == rport;
}

bool
emu_redirect_allowed(const emu_account_t *a, const char *redirect_uri)
{
    for (size_t i = 0; i < a->ndomains; i++)
        if (emu_domain_match(a->domains[i], redirect_uri))
            return true;
    return false;
}

bool
emu_state_valid(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (!ascii_alnum(s[n]) || n >= EMU_STATE_MAX)
            return false;
    return n > 0;
}

unsigned
emu_scope_parse(const char *s)
{
    if (strcmp(s, "snsapi_base") == 0)
        return EMU_SCOPE_BASE;
    if (strcmp(s, "snsapi_userinfo") == 0)
        return EMU_SCOPE_USERINFO;
    if (strcmp(s, "snsapi_login") == 0)
        return EMU_SCOPE_LOGIN;
    return 0;
}

const char *
emu_scope_name(unsigned scope)
{
    return scope == EMU_SCOPE_USERINFO ? "snsapi_userinfo"
           : scope == EMU_SCOPE_LOGIN  ? "snsapi_login"
                                       : "snsapi_base";
}
