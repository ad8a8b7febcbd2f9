/* Percent-encoding, query strings and request targets. */
#include "url.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

static bool
is_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

wx_status_t
wx_url_encode(wx_buf_t *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *p = (const unsigned char *)s;
    wx_status_t rc = WX_OK;
    /* Runs of unreserved bytes go in one append (a login's redirect encodes ~3 KB of JSON). */
    while (*p && rc == WX_OK) {
        const unsigned char *run = p;
        while (*p && is_unreserved(*p))
            p++;
        if (p > run)
            rc = wx_buf_append(b, run, (size_t)(p - run));
        if (*p && rc == WX_OK) {
            char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            rc = wx_buf_append(b, e, 3);
            p++;
        }
    }
    return rc;
}

int
wx_hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

wx_status_t
wx_url_decode(const char *s, size_t n, bool plus_space, char **out)
{
    char *r = malloc(n + 1);
    if (!r)
        return WX_ENOMEM;
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '%') {
            int h, l;
            if (i + 2 >= n || (h = wx_hex_value(s[i + 1])) < 0 ||
                (l = wx_hex_value(s[i + 2])) < 0) {
                free(r);
                return WX_EINVAL;
            }
            c = (char)(h * 16 + l);
            if (c == '\0') {
                free(r);
                return WX_EINVAL;
            }
            i += 2;
        } else if (c == '+' && plus_space) {
            c = ' ';
        }
        r[j++] = c;
    }
    r[j] = '\0';
    *out = r;
    return WX_OK;
}

wx_status_t
wx_query_parse(const char *qs, wx_query_t *q, wx_err_t *err)
{
    wx_status_t rc = WX_OK;
    memset(q, 0, sizeof(*q));
    if (!qs)
        return WX_OK;
    size_t total = strlen(qs);
    if (total > WX_QUERY_MAX_LEN)
        return wx_err_set(err, WX_ETOOBIG, "query string too long (max %d bytes)",
                          WX_QUERY_MAX_LEN);
    const char *p = qs;
    while (*p) {
        const char *amp = strchr(p, '&');
        size_t len = amp ? (size_t)(amp - p) : strlen(p);
        if (len > 0) {
            if (q->count == WX_QUERY_MAX_PARAMS) {
                rc = wx_err_set(err, WX_ETOOBIG, "too many query parameters (max %d)",
                                WX_QUERY_MAX_PARAMS);
                goto out;
            }
            const char *eq = memchr(p, '=', len);
            size_t klen = eq ? (size_t)(eq - p) : len;
            wx_param_t *pa = &q->params[q->count];
            if (wx_url_decode(p, klen, true, &pa->key) != WX_OK) {
                rc = wx_err_set(err, WX_EINVAL, "malformed query string");
                goto out;
            }
            if (eq) {
                if (wx_url_decode(eq + 1, len - klen - 1, true, &pa->value) != WX_OK) {
                    free(pa->key);
                    pa->key = NULL;
                    rc = wx_err_set(err, WX_EINVAL, "malformed query string");
                    goto out;
                }
            } else {
                pa->value = calloc(1, 1);
            }
            if (!pa->key || !pa->value) {
                free(pa->key);
                free(pa->value);
                pa->key = pa->value = NULL;
                rc = wx_err_set(err, WX_ENOMEM, "out of memory");
                goto out;
            }
            q->count++;
        }
        if (!amp)
            break;
        p = amp + 1;
    }
out:
    if (rc != WX_OK)
        wx_query_free(q);
    return rc;
}

void
wx_query_free(wx_query_t *q)
{
    for (size_t i = 0; i < q->count; i++) {
        free(q->params[i].key);
        free(q->params[i].value);
    }
    q->count = 0;
}

void
wx_query_free_secret(wx_query_t *q)
{
    for (size_t i = 0; i < q->count; i++)
        if (q->params[i].value)
            OPENSSL_cleanse(q->params[i].value, strlen(q->params[i].value));
    wx_query_free(q);
}

const char *
wx_query_get(const wx_query_t *q, const char *key)
{
    for (size_t i = 0; i < q->count; i++)
        if (strcmp(q->params[i].key, key) == 0)
            return q->params[i].value;
    return NULL;
}

wx_status_t
wx_target_split(const char *target, char **path, char **query, wx_err_t *err)
{
    wx_status_t rc = WX_OK;
    char *out = NULL, *seg = NULL;
    *path = *query = NULL;
    if (!target || target[0] != '/')
        return wx_err_set(err, WX_EINVAL, "request target must start with '/'");
    const char *qm = strchr(target, '?');
    size_t plen = qm ? (size_t)(qm - target) : strlen(target);
    /* Decoding never makes a segment longer, so the raw length bounds the result. */
    out = malloc(plen + 1);
    if (!out) {
        rc = wx_err_set(err, WX_ENOMEM, "out of memory");
        goto out;
    }
    /* Split the raw path at '/' first (runs folded, so the "//oauth/..." of old SDKs routes),
     * then decode each segment on its own: an encoded '/' can never become a separator. */
    size_t j = 0;
    for (size_t i = 0; i < plen;) {
        if (target[i] == '/') {
            if (j == 0 || out[j - 1] != '/')
                out[j++] = '/';
            i++;
            continue;
        }
        size_t n = strcspn(target + i, "/?");
        if (i + n > plen)
            n = plen - i;
        if (wx_url_decode(target + i, n, false, &seg) != WX_OK) {
            rc = wx_err_set(err, WX_EINVAL, "malformed path: a bad %%-escape or an encoded NUL");
            goto out;
        }
        if (strchr(seg, '/')) {
            rc = wx_err_set(err, WX_EINVAL,
                            "path segment contains an encoded '/' (%%2F): send '/' unencoded "
                            "between segments; an encoded one is not accepted in a path");
            goto out;
        }
        if (strcmp(seg, "..") == 0 || strcmp(seg, ".") == 0) {
            rc = wx_err_set(err, WX_EINVAL,
                            "path may not contain '.' or '..' segments (also %%2e-encoded)");
            goto out;
        }
        size_t sl = strlen(seg);
        memcpy(out + j, seg, sl);
        j += sl;
        free(seg);
        seg = NULL;
        i += n;
    }
    out[j] = '\0';
    if (qm) {
        *query = strdup(qm + 1);
        if (!*query) {
            rc = wx_err_set(err, WX_ENOMEM, "out of memory");
            goto out;
        }
    }
    *path = out;
    out = NULL;
out:
    free(out);
    free(seg);
    return rc;
}

wx_status_t
wx_url_add_param(wx_buf_t *url, const char *key, const char *value)
{
    /* Parameters go into the query, before any fragment: SPA callbacks such as
     * "https://x.com/#/cb" read location.search, and the fragment is kept as it was. */
    wx_status_t rc = WX_OK;
    char *frag = NULL;
    const char *s = wx_buf_str(url);
    const char *hash = strchr(s, '#');
    if (hash) {
        frag = strdup(hash);
        if (!frag)
            return WX_ENOMEM;
        url->len = (size_t)(hash - s);
        url->data[url->len] = '\0';
    }
    s = wx_buf_str(url);
    const char *qm = strchr(s, '?');
    if (!qm)
        rc = wx_buf_puts(url, "?");
    else if (s[url->len - 1] != '?' && s[url->len - 1] != '&')
        rc = wx_buf_puts(url, "&");
    if (rc == WX_OK)
        rc = wx_url_encode(url, key);
    if (rc == WX_OK)
        rc = wx_buf_puts(url, "=");
    if (rc == WX_OK)
        rc = wx_url_encode(url, value);
    if (rc == WX_OK && frag)
        rc = wx_buf_puts(url, frag);
    free(frag);
    return rc;
}
