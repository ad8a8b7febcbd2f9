/* Random identifiers. */
#include "rand.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

wx_status_t
wx_rand_bytes(void *p, size_t n)
{
    if (n > (size_t)INT32_MAX || RAND_bytes(p, (int)n) != 1)
        return WX_ECRYPTO;
    return WX_OK;
}

wx_status_t
wx_rand_alnum(char *out, size_t len)
{
    static const char set[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    size_t i = 0;
    while (i < len) {
        unsigned char r[64];
        if (wx_rand_bytes(r, sizeof(r)) != WX_OK)
            return WX_ECRYPTO;
        for (size_t k = 0; k < sizeof(r) && i < len; k++)
            if (r[k] < 248) /* 248 = 62*4: reject to keep the draw uniform */
                out[i++] = set[r[k] % 62];
    }
    out[len] = '\0';
    return WX_OK;
}

void
wx_hex_encode(const unsigned char *in, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[in[i] >> 4];
        out[2 * i + 1] = hex[in[i] & 15];
    }
    out[2 * n] = '\0';
}

wx_status_t
wx_rand_hex(char *out, size_t nbytes)
{
    unsigned char r[64];
    if (nbytes > sizeof(r) || wx_rand_bytes(r, nbytes) != WX_OK)
        return WX_ECRYPTO;
    wx_hex_encode(r, nbytes, out);
    return WX_OK;
}

wx_status_t
wx_sha256_hex(const char *s, size_t n, char out[65])
{
    unsigned char md[32];
    unsigned int len = 0;
    if (EVP_Digest(s, n, md, &len, EVP_sha256(), NULL) != 1 || len != 32)
        return WX_ECRYPTO;
    wx_hex_encode(md, 32, out);
    return WX_OK;
}
