/* The admin credential's hash: "pbkdf2-sha256$<iterations>$<salt>$<hash>" (base64url), so a
 * configuration file never holds the token itself. PBKDF2 is slow on purpose. Used by wxauthd
 * (handle/admin_auth.c checks requests against it) and by the CLI (`wxauth admin hash-token`). */
#include "admin_hash.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "../jose/b64url.h"
#include "../util/buf.h"
#include "../util/rand.h"

#define ADMIN_ITER_DEFAULT 100000

wx_status_t
admin_hash_parse(const char *text, admin_hash_t *out, wx_err_t *err)
{
    char buf[300];
    unsigned char *salt = NULL, *hash = NULL;
    size_t sl = 0, hl = 0;
    long iter = 0;
    wx_status_t rc = WX_OK;
    memset(out, 0, sizeof(*out));
    if (!wx_strlcpy(buf, text, sizeof(buf)) || strncmp(buf, "pbkdf2-sha256$", 14) != 0) {
        rc = wx_err_set(err, WX_ECONFIG,
                        "the admin token hash must look like pbkdf2-sha256$<iterations>$<salt>$"
                        "<hash> (make one with `wxauth admin hash-token`)");
        goto out;
    }
    char *p = buf + 14, *d1 = strchr(p, '$'), *d2 = d1 ? strchr(d1 + 1, '$') : NULL;
    if (!d1 || !d2) {
        rc = wx_err_set(err, WX_ECONFIG, "the admin token hash is incomplete");
        goto out;
    }
    *d1 = *d2 = '\0';
    if (!wx_parse_long(p, 1000, 10000000, &iter) ||
        b64url_decode(d1 + 1, strlen(d1 + 1), &salt, &sl) != WX_OK || sl < 8 || sl > 64 ||
        b64url_decode(d2 + 1, strlen(d2 + 1), &hash, &hl) != WX_OK || hl != ADMIN_HASH_LEN) {
        rc = wx_err_set(err, WX_ECONFIG, "the admin token hash is damaged");
        goto out;
    }
    out->iterations = (int)iter;
    memcpy(out->salt, salt, sl);
    out->salt_len = sl;
    memcpy(out->hash, hash, hl);
    out->set = true;
out:
    free(salt);
    free(hash);
    return rc;
}

bool
admin_hash_derive(const char *token, const unsigned char *salt, size_t sl, int iter,
                  unsigned char out[ADMIN_HASH_LEN])
{
    return PKCS5_PBKDF2_HMAC(token, (int)strlen(token), salt, (int)sl, iter, EVP_sha256(),
                             ADMIN_HASH_LEN, out) == 1;
}

wx_status_t
admin_hash_make(const char *token, char *out, size_t n, wx_err_t *err)
{
    unsigned char salt[16], hash[ADMIN_HASH_LEN];
    wx_buf_t b;
    wx_buf_init(&b, n > 0 ? n - 1 : 0);
    wx_status_t rc = WX_OK;
    if (strlen(token) < 16) {
        rc = wx_err_set(err, WX_EINVAL, "the admin token must be at least 16 characters");
        goto out;
    }
    if (wx_rand_bytes(salt, sizeof(salt)) != WX_OK ||
        !admin_hash_derive(token, salt, sizeof(salt), ADMIN_ITER_DEFAULT, hash)) {
        rc = wx_err_set(err, WX_ECRYPTO, "cannot hash the admin token");
        goto out;
    }
    if (wx_buf_printf(&b, "pbkdf2-sha256$%d$", ADMIN_ITER_DEFAULT) != WX_OK ||
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
