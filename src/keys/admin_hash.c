/* The admin credential's hash, so a configuration file never holds the token itself:
 * "hmac-sha256$<salt>$<hash>" for generated 256-bit tokens (fast: guessing 2^256 values is
 * hopeless however fast each check is) and "pbkdf2-sha256$<iterations>$<salt>$<hash>" for
 * operator-chosen ones (slow on purpose), base64url. Used by wxauthd (handle/admin_auth.c checks
 * requests against it) and by the CLI (`wxauth admin hash-token`). */
#include "admin_hash.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "../jose/b64url.h"
#include "../util/buf.h"
#include "../util/rand.h"

#define ADMIN_ITER_DEFAULT 100000
#define ADMIN_STRONG_MIN 43 /* base64url characters of 256 random bits */

/* "<salt>$<hash>" (base64url) into out's salt and hash. */
static bool
parse_salt_hash(char *p, admin_hash_t *out)
{
    unsigned char *salt = NULL, *hash = NULL;
    size_t sl = 0, hl = 0;
    bool ok = false;
    char *d = strchr(p, '$');
    if (!d)
        goto out;
    *d = '\0';
    if (b64url_decode(p, strlen(p), &salt, &sl) != WX_OK || sl < 8 || sl > 64 ||
        b64url_decode(d + 1, strlen(d + 1), &hash, &hl) != WX_OK || hl != ADMIN_HASH_LEN)
        goto out;
    memcpy(out->salt, salt, sl);
    out->salt_len = sl;
    memcpy(out->hash, hash, hl);
    ok = true;
out:
    free(salt);
    free(hash);
    return ok;
}

wx_status_t
admin_hash_parse(const char *text, admin_hash_t *out, wx_err_t *err)
{
    char buf[300];
    long iter = 0;
    wx_status_t rc = WX_OK;
    memset(out, 0, sizeof(*out));
    bool fits = wx_strlcpy(buf, text, sizeof(buf));
    if (fits && strncmp(buf, "hmac-sha256$", 12) == 0) {
        out->kind = ADMIN_HASH_HMAC;
        if (!parse_salt_hash(buf + 12, out)) {
            rc = wx_err_set(err, WX_ECONFIG, "the admin token hash is damaged");
            goto out;
        }
        out->set = true;
        goto out;
    }
    if (!fits || strncmp(buf, "pbkdf2-sha256$", 14) != 0) {
        rc = wx_err_set(err, WX_ECONFIG,
                        "the admin token hash must look like hmac-sha256$<salt>$<hash> or "
                        "pbkdf2-sha256$<iterations>$<salt>$<hash> (make one with `wxauth admin "
                        "hash-token`)");
        goto out;
    }
    char *p = buf + 14, *d1 = strchr(p, '$');
    if (!d1 || !strchr(d1 + 1, '$')) {
        rc = wx_err_set(err, WX_ECONFIG, "the admin token hash is incomplete");
        goto out;
    }
    *d1 = '\0';
    out->kind = ADMIN_HASH_PBKDF2;
    if (!wx_parse_long(p, 1000, 10000000, &iter) || !parse_salt_hash(d1 + 1, out)) {
        rc = wx_err_set(err, WX_ECONFIG, "the admin token hash is damaged");
        goto out;
    }
    out->iterations = (int)iter;
    out->set = true;
out:
    if (rc != WX_OK)
        memset(out, 0, sizeof(*out));
    OPENSSL_cleanse(buf, sizeof(buf));
    return rc;
}

bool
admin_hash_derive(const char *token, const unsigned char *salt, size_t sl, int iter,
                  unsigned char out[ADMIN_HASH_LEN])
{
    return PKCS5_PBKDF2_HMAC(token, (int)strlen(token), salt, (int)sl, iter, EVP_sha256(),
                             ADMIN_HASH_LEN, out) == 1;
}

static bool
hmac_derive(const char *token, const unsigned char *salt, size_t sl,
            unsigned char out[ADMIN_HASH_LEN])
{
    unsigned int len = 0;
    return HMAC(EVP_sha256(), salt, (int)sl, (const unsigned char *)token, strlen(token), out,
                &len) != NULL &&
           len == ADMIN_HASH_LEN;
}

bool
admin_hash_token_strong(const char *token)
{
    size_t n = strlen(token);
    if (n < ADMIN_STRONG_MIN)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = token[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return false;
    }
    return true;
}

bool
admin_hash_is_slow(const admin_hash_t *h)
{
    return h->kind == ADMIN_HASH_PBKDF2;
}

bool
admin_hash_check(const admin_hash_t *h, const char *token)
{
    unsigned char d[ADMIN_HASH_LEN];
    bool ok = h->set &&
              (h->kind == ADMIN_HASH_HMAC
                   ? hmac_derive(token, h->salt, h->salt_len, d)
                   : admin_hash_derive(token, h->salt, h->salt_len, h->iterations, d)) &&
              CRYPTO_memcmp(d, h->hash, ADMIN_HASH_LEN) == 0;
    OPENSSL_cleanse(d, sizeof(d));
    return ok;
}

wx_status_t
admin_hash_make(const char *token, char *out, size_t n, wx_err_t *err)
{
    unsigned char salt[16], hash[ADMIN_HASH_LEN];
    wx_buf_t b;
    wx_buf_init(&b, n > 0 ? n - 1 : 0);
    wx_status_t rc = WX_OK;
    bool strong = admin_hash_token_strong(token);
    if (strlen(token) < 16) {
        rc = wx_err_set(err, WX_EINVAL, "the admin token must be at least 16 characters");
        goto out;
    }
    if (wx_rand_bytes(salt, sizeof(salt)) != WX_OK ||
        !(strong ? hmac_derive(token, salt, sizeof(salt), hash)
                 : admin_hash_derive(token, salt, sizeof(salt), ADMIN_ITER_DEFAULT, hash))) {
        rc = wx_err_set(err, WX_ECRYPTO, "cannot hash the admin token");
        goto out;
    }
    if ((strong ? wx_buf_puts(&b, "hmac-sha256$")
                : wx_buf_printf(&b, "pbkdf2-sha256$%d$", ADMIN_ITER_DEFAULT)) != WX_OK ||
        b64url_encode(salt, sizeof(salt), &b) != WX_OK || wx_buf_puts(&b, "$") != WX_OK ||
        b64url_encode(hash, sizeof(hash), &b) != WX_OK) {
        rc = wx_err_set(err, WX_ETOOBIG, "no room for the hash");
        goto out;
    }
    memcpy(out, b.data, b.len + 1);
out:
    OPENSSL_cleanse(hash, sizeof(hash));
    wx_buf_free(&b);
    return rc;
}
