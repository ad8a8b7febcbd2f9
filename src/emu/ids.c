/* Identifiers: keyed-hash openids/unionids, random codes and tokens, rids. */
#include "ids.h"

#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "../util/rand.h"

size_t
emu_b64url(const unsigned char *in, size_t n, char *out)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t j = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        size_t left = n - i;
        if (left > 1)
            v |= (uint32_t)in[i + 1] << 8;
        if (left > 2)
            v |= in[i + 2];
        out[j++] = tab[(v >> 18) & 63];
        out[j++] = tab[(v >> 12) & 63];
        if (left > 1)
            out[j++] = tab[(v >> 6) & 63];
        if (left > 2)
            out[j++] = tab[v & 63];
    }
    out[j] = '\0';
    return j;
}

wx_status_t
emu_id_derive(const char *seed, const char *kind, const char *a, const char *b,
              char out[EMU_OPENID_LEN + 1])
{
    char msg[512];
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    char enc[64];
    out[0] = '\0';
    if (!wx_snprintf(msg, sizeof(msg), "%s|%s|%s", kind, a, b))
        return WX_EINVAL;
    if (!HMAC(EVP_sha256(), seed, (int)strlen(seed), (const unsigned char *)msg, strlen(msg), md,
              &mdlen) ||
        mdlen != 32)
        return WX_ECRYPTO;
    emu_b64url(md, 32, enc); /* 43 characters */
    out[0] = 'o';
    memcpy(out + 1, enc, EMU_OPENID_LEN - 1);
    out[EMU_OPENID_LEN] = '\0';
    return WX_OK;
}

wx_status_t
emu_code_new(char out[EMU_CODE_LEN + 1])
{
    return wx_rand_alnum(out, EMU_CODE_LEN);
}

wx_status_t
emu_token_new(char out[EMU_TOKEN_LEN + 1])
{
    unsigned char r[EMU_TOKEN_LEN / 4 * 3]; /* 72 bytes -> 96 characters */
    if (wx_rand_bytes(r, sizeof(r)) != WX_OK)
        return WX_ECRYPTO;
    emu_b64url(r, sizeof(r), out);
    return WX_OK;
}

void
emu_rid_format(uint32_t t, uint32_t r1, uint32_t r2, char out[EMU_RID_LEN + 1])
{
    wx_snprintf(out, EMU_RID_LEN + 1, "%08x-%08x-%08x", t, r1, r2);
}

void
emu_rid_new(int64_t now, char out[EMU_RID_LEN + 1])
{
    uint32_t r[2] = {0, 0};
    (void)wx_rand_bytes(r, sizeof(r)); /* a rid needs no secrecy: zeros are fine on failure */
    emu_rid_format((uint32_t)now, r[0], r[1], out);
}
