/* Redirect allow-list matching. Matching is a small DP over (pattern, url) so wildcards with
 * restricted character classes are exact and never backtrack exponentially. */
#include "redirect.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "../util/url.h"

static size_t
authority_end(const char *u)
{
    const char *p = strstr(u, "://");
    if (!p)
        return 0;
    p += 3;
    while (*p && *p != '/' && *p != '?' && *p != '#')
        p++;
    return (size_t)(p - u);
}

/* One round of percent-decoding in place; a malformed escape stays as it is. True when
 * something was decoded. */
static bool
decode_round(char *s)
{
    bool changed = false;
    size_t j = 0;
    for (size_t i = 0; s[i]; i++) {
        int h, l;
        if (s[i] == '%' && (h = wx_hex_value(s[i + 1])) >= 0 && (l = wx_hex_value(s[i + 2])) >= 0 &&
            (h || l)) {
            s[j++] = (char)(h * 16 + l);
            i += 2;
            changed = true;
        } else {
            s[j++] = s[i];
        }
    }
    s[j] = '\0';
    return changed;
}

/* Does the path of an absolute URL hold a "." or ".." segment as any server or browser might
 * see it? Browsers resolve them before sending (so "https://app/cb/.." lands on the site root),
 * and servers may decode "%2e", "%2f" or "%5c" (also twice) before resolving. So the path is
 * decoded until nothing changes, split at '/' and '\\', and each piece up to its first ';'
 * (Tomcat's path parameters) compared with "." and "..". */
static bool
path_has_dot_segment(const char *url)
{
    char path[REDIRECT_URL_MAX + 1];
    size_t a = authority_end(url);
    size_t n = strcspn(url + a, "?#");
    if (n > REDIRECT_URL_MAX)
        return true; /* cannot happen after the length check: refuse rather than guess */
    memcpy(path, url + a, n);
    path[n] = '\0';
    for (int round = 0; round < 4 && decode_round(path); round++)
        ;
    for (const char *p = path; *p;) {
        size_t len = strcspn(p, "/\\");
        size_t seg = strcspn(p, ";");
        if (seg < len)
            len = seg;
        if ((len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
            return true;
        p += strcspn(p, "/\\");
        if (*p)
            p++;
    }
    return false;
}

static wx_status_t
check_shape(const char *s, bool pattern, wx_err_t *err)
{
    size_t n = strlen(s);
    if (n == 0)
        return wx_err_set(err, WX_EINVAL, "URL is empty");
    if (n > REDIRECT_URL_MAX)
        return wx_err_set(err, WX_ETOOBIG, "URL is longer than %d characters", REDIRECT_URL_MAX);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= 0x20 || *p == 0x7f || *p == '\\')
            return wx_err_set(err, WX_EINVAL, "URL contains a space, control character or '\\'");
    const char *rest;
    if (strncasecmp(s, "https://", 8) == 0)
        rest = s + 8;
    else if (strncasecmp(s, "http://", 7) == 0)
        rest = s + 7;
    else
        return wx_err_set(err, WX_EINVAL, "URL must start with http:// or https://");
    size_t alen = strcspn(rest, "/?#");
    if (alen == 0)
        return wx_err_set(err, WX_EINVAL, "URL has no host");
    if (memchr(rest, '@', alen))
        return wx_err_set(err, WX_EINVAL, "URL may not contain user information ('@')");
    const char *colon = memchr(rest, ':', alen);
    if (rest[0] == '[') /* IPv6 literal: the port colon comes after ']' */
        colon = memchr(rest, ']', alen) ? strchr(memchr(rest, ']', alen), ':') : NULL;
    if (colon && colon < rest + alen) {
        size_t plen = alen - (size_t)(colon + 1 - rest);
        if (plen == 0 || plen > 5)
            return wx_err_set(err, WX_EINVAL, "URL has a malformed port");
        long port = 0;
        for (size_t i = 0; i < plen; i++) {
            if (!isdigit((unsigned char)colon[1 + i]))
                return wx_err_set(err, WX_EINVAL, "URL has a malformed port");
            port = port * 10 + (colon[1 + i] - '0');
        }
        if (port < 1 || port > 65535)
            return wx_err_set(err, WX_EINVAL, "URL port must be 1 to 65535");
    }
    if (path_has_dot_segment(s))
        return wx_err_set(err, WX_EINVAL,
                          "URL path has a '.' or '..' segment (also when percent-encoded, e.g. "
                          "%%2e%%2e, or after %%2f or %%5c): use the final address without it");
    if (pattern) {
        if (colon && colon < rest + alen && memchr(colon, '*', alen - (size_t)(colon - rest)))
            return wx_err_set(err, WX_EINVAL, "'*' is not allowed in the port");
    } else if (memchr(s, '*', n) && strchr(s, '*') < rest + alen) {
        return wx_err_set(err, WX_EINVAL, "URL host may not contain '*'");
    }
    return WX_OK;
}

wx_status_t
redirect_validate_url(const char *url, wx_err_t *err)
{
    return check_shape(url, false, err);
}

wx_status_t
redirect_validate_pattern(const char *pattern, wx_err_t *err)
{
    if (strcmp(pattern, "#") == 0)
        return WX_OK;
    return check_shape(pattern, true, err);
}

/* Can '*' absorb character c? In the authority a star is one DNS label. */
static bool
star_takes(char c, bool in_authority)
{
    if (c == '/' || c == '?' || c == '#' || c == '@')
        return false;
    if (in_authority && (c == '.' || c == ':'))
        return false;
    return true;
}

static bool
lower_eq(char a, char b, bool fold)
{
    return fold ? tolower((unsigned char)a) == tolower((unsigned char)b) : a == b;
}

bool
redirect_match(const char *pattern, const char *url)
{
    if (check_shape(url, false, NULL) != WX_OK || check_shape(pattern, true, NULL) != WX_OK)
        return false;
    size_t pn = strlen(pattern), un = strlen(url);
    size_t pa = authority_end(pattern), ua = authority_end(url);
    /* The authority of each must line up with the other's: match them separately. */
    bool ok = false;
    bool *prev = calloc(un + 1, sizeof(bool)), *cur = calloc(un + 1, sizeof(bool));
    if (!prev || !cur)
        goto out;
    /* dp over pattern chars i (rows) and url chars j (cols); authority boundary enforced by
     * forbidding matches that pair an authority char with a path char. */
    prev[0] = true;
    for (size_t i = 1; i <= pn; i++) {
        char pc = pattern[i - 1];
        bool p_auth = i <= pa;
        memset(cur, 0, (un + 1) * sizeof(bool));
        if (pc == '*') {
            /* A path star may match nothing; a host star takes at least one character. */
            cur[0] = !p_auth && prev[0];
            for (size_t j = 1; j <= un; j++) {
                bool takes = (j <= ua) == p_auth && star_takes(url[j - 1], p_auth);
                if (p_auth)
                    cur[j] = takes && (prev[j - 1] || cur[j - 1]);
                else
                    cur[j] = prev[j] || (takes && cur[j - 1]);
            }
        } else {
            for (size_t j = 1; j <= un; j++) {
                bool u_auth = j <= ua;
                if (u_auth != p_auth)
                    continue;
                cur[j] = prev[j - 1] && lower_eq(pc, url[j - 1], p_auth);
            }
        }
        bool *t = prev;
        prev = cur;
        cur = t;
    }
    ok = prev[un];
out:
    free(prev);
    free(cur);
    return ok;
}

bool
redirect_list_match(const char *patterns, const char *url)
{
    char one[REDIRECT_URL_MAX + 1];
    const char *p = patterns;
    while (p && *p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        while (len > 0 && (p[len - 1] == '\r' || p[len - 1] == ' '))
            len--;
        if (len > 0 && len <= REDIRECT_URL_MAX) {
            memcpy(one, p, len);
            one[len] = '\0';
            if (redirect_match(one, url))
                return true;
        }
        p = nl ? nl + 1 : NULL;
    }
    return false;
}

bool
redirect_list_first_plain(const char *patterns, char *out, size_t n)
{
    const char *p = patterns;
    while (p && *p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        while (len > 0 && (p[len - 1] == '\r' || p[len - 1] == ' '))
            len--;
        if (len > 0 && len < n && !memchr(p, '*', len)) {
            memcpy(out, p, len);
            out[len] = '\0';
            if (redirect_validate_url(out, NULL) == WX_OK)
                return true;
        }
        p = nl ? nl + 1 : NULL;
    }
    return false;
}
