/* UTF-8 checks and repair (utf8.h). */
#include "utf8.h"

/* Length of the well-formed sequence at s (n bytes left), or 0 when it is not one. */
static size_t
seq_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF; /* bounds of the second byte */
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0)
            lo = 0xA0; /* overlong */
        else if (c == 0xED)
            hi = 0x9F; /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0)
            lo = 0x90; /* overlong */
        else if (c == 0xF4)
            hi = 0x8F; /* past U+10FFFF */
    } else {
        return 0;
    }
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return len;
}

bool
wx_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        size_t l = seq_len(p + i, n - i);
        if (!l)
            return false;
        i += l;
    }
    return true;
}

wx_status_t
wx_utf8_repair(const char *s, size_t n, wx_buf_t *out)
{
    const unsigned char *p = (const unsigned char *)s;
    wx_status_t rc = WX_OK;
    for (size_t i = 0; i < n && rc == WX_OK;) {
        size_t l = seq_len(p + i, n - i);
        if (l) {
            rc = wx_buf_append(out, s + i, l);
            i += l;
        } else {
            rc = wx_buf_append(out, "\xEF\xBF\xBD", 3); /* U+FFFD */
            i++;
        }
    }
    return rc;
}
