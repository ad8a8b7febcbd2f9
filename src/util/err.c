/* Error values and a few string helpers everything uses. */
#include "wx.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

wx_status_t
wx_err_set(wx_err_t *err, wx_status_t st, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        err->status = st;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        va_end(ap);
    }
    return st;
}

void
wx_err_detail(wx_err_t *err, const char *fmt, ...)
{
    if (!err)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
    va_end(ap);
}

void
wx_err_clear(wx_err_t *err)
{
    if (err)
        memset(err, 0, sizeof(*err));
}

const char *
wx_status_str(wx_status_t st)
{
    static const char *names[] = {
        "ok",       "out of memory", "invalid", "not found", "exists",   "expired",
        "used",     "too big",       "denied",  "io",        "store",    "crypto",
        "upstream", "timeout",       "config",  "busy",      "shutdown",
    };
    if ((size_t)st < WX_ARRAY_LEN(names))
        return names[st];
    return "unknown";
}

bool
wx_strlcpy(char *dst, const char *src, size_t n)
{
    if (n == 0)
        return false;
    size_t len = src ? strlen(src) : 0;
    bool fits = len < n;
    size_t c = fits ? len : n - 1;
    if (c)
        memcpy(dst, src, c);
    dst[c] = '\0';
    return fits;
}

bool
wx_snprintf(char *dst, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vsnprintf(dst, n, fmt, ap);
    va_end(ap);
    return r >= 0 && (size_t)r < n;
}

bool
wx_parse_long(const char *s, long min, long max, long *out)
{
    if (!s || !*s)
        return false;
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end != '\0' || v < min || v > max)
        return false;
    *out = v;
    return true;
}

bool
wx_ct_equal(const void *a, size_t alen, const void *b, size_t blen)
{
    if (alen != blen)
        return false;
    return CRYPTO_memcmp(a, b, alen) == 0;
}
