/* base64url encoding and strict decoding for JOSE. Decoding is strict because a token must have
 * exactly one valid spelling: accepting padding, the standard alphabet or stray low bits would
 * let anyone mint many different strings for one signed token (and defeat replay caches keyed on
 * the token text). */
#include "b64url.h"

#include <stdlib.h>

static const char b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Value of one base64url character, or -1. Ranges rather than a table indexed by the character
 * so that no input byte (NUL, bytes >= 0x80) can index outside anything. */
static int
b64url_value(char ch)
{
    unsigned char c = (unsigned char)ch;
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

wx_status_t
b64url_encode(const unsigned char *in, size_t n, wx_buf_t *out)
{
    wx_status_t rc = WX_OK;
    size_t start = out->len;
    char chunk[256]; /* encode in chunks: one wx_buf_append per 192 input bytes */
    size_t used = 0;
    size_t i = 0;

    while (i < n) {
        size_t rem = n - i;
        uint32_t v = (uint32_t)in[i] << 16;
        if (rem > 1)
            v |= (uint32_t)in[i + 1] << 8;
        if (rem > 2)
            v |= in[i + 2];
        chunk[used++] = b64url_alphabet[(v >> 18) & 63];
        chunk[used++] = b64url_alphabet[(v >> 12) & 63];
        if (rem > 1)
            chunk[used++] = b64url_alphabet[(v >> 6) & 63];
        if (rem > 2)
            chunk[used++] = b64url_alphabet[v & 63];
        i += rem > 3 ? 3 : rem;
        if (used + 4 > sizeof(chunk) || i >= n) {
            rc = wx_buf_append(out, chunk, used);
            if (rc != WX_OK)
                goto out;
            used = 0;
        }
    }
out:
    if (rc != WX_OK && out->data) {
        out->len = start;
        out->data[start] = '\0';
    }
    return rc;
}

wx_status_t
b64url_decode(const char *in, size_t n, unsigned char **out, size_t *outlen)
{
    wx_status_t rc = WX_OK;
    unsigned char *buf = NULL;
    size_t len = 0;
    size_t i = 0;

    *out = NULL;
    *outlen = 0;
    if (n % 4 == 1) {
        rc = WX_EINVAL; /* one leftover character carries only 6 bits: never a whole byte */
        goto out;
    }
    buf = malloc(n / 4 * 3 + 3); /* +3 covers a 2- or 3-character tail and the spare NUL */
    if (!buf) {
        rc = WX_ENOMEM;
        goto out;
    }
    while (i < n) {
        size_t rem = n - i > 4 ? 4 : n - i;
        uint32_t v = 0;
        for (size_t k = 0; k < rem; k++) {
            int c = b64url_value(in[i + k]);
            if (c < 0) {
                rc = WX_EINVAL;
                goto out;
            }
            v = v << 6 | (uint32_t)c;
        }
        if (rem == 4) {
            buf[len++] = (unsigned char)(v >> 16);
            buf[len++] = (unsigned char)(v >> 8);
            buf[len++] = (unsigned char)v;
        } else if (rem == 3) { /* 18 bits: 2 bytes and 2 bits that must be zero */
            if (v & 3) {
                rc = WX_EINVAL;
                goto out;
            }
            buf[len++] = (unsigned char)(v >> 10);
            buf[len++] = (unsigned char)(v >> 2);
        } else { /* rem == 2: 12 bits: 1 byte and 4 bits that must be zero */
            if (v & 15) {
                rc = WX_EINVAL;
                goto out;
            }
            buf[len++] = (unsigned char)(v >> 4);
        }
        i += rem;
    }
    buf[len] = '\0';
    *out = buf;
    *outlen = len;
    buf = NULL;
out:
    free(buf);
    return rc;
}
