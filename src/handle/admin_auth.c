/* The admin credential: a bearer token checked against a PBKDF2-SHA256 hash from the
 * configuration ("pbkdf2-sha256$<iterations>$<salt>$<hash>", base64url), so the config file
 * never holds the token itself. PBKDF2 is slow on purpose; a worker remembers the SHA-256 of
 * the last token that passed so the console's requests do not each pay for it. Failures are
 * counted per client address and answered 429 past a limit. */
#include "admin_auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "../jose/b64url.h"
#include "../util/clock.h"
#include "../util/log.h"
#include "../util/rand.h"

#define ADMIN_HASH_LEN 32
#define ADMIN_ITER_DEFAULT 100000
#define ADMIN_TOKEN_MAX 256
#define ADMIN_FAIL_LIMIT 10   /* failures per address ... */
#define ADMIN_FAIL_WINDOW 300 /* ... within this many seconds */

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

static bool
derive(const char *token, const unsigned char *salt, size_t sl, int iter,
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
        !derive(token, salt, sizeof(salt), ADMIN_ITER_DEFAULT, hash)) {
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

/* Failure counters: a small table, oldest entry reused. The caller holds the lock. */
static admin_fail_t *
fail_slot(admin_fail_t *table, const char *ip, int64_t now, bool create)
{
    admin_fail_t *oldest = &table[0];
    for (size_t i = 0; i < ADMIN_FAIL_SLOTS; i++) {
        admin_fail_t *f = &table[i];
        if (f->ip[0] && strcmp(f->ip, ip) == 0) {
            if (now - f->window_start >= ADMIN_FAIL_WINDOW) {
                f->window_start = now;
                f->count = 0;
            }
            return f;
        }
        if (f->window_start < oldest->window_start)
            oldest = f;
    }
    if (!create)
        return NULL;
    memset(oldest, 0, sizeof(*oldest));
    wx_strlcpy(oldest->ip, ip, sizeof(oldest->ip));
    oldest->window_start = now;
    return oldest;
}

static admin_fail_t *
fails_lock(admin_guard_t *g)
{
    if (!g->fails)
        return g->local;
    pthread_mutex_lock(&g->fails->lock);
    return g->fails->slots;
}

static void
fails_unlock(admin_guard_t *g)
{
    if (g->fails)
        pthread_mutex_unlock(&g->fails->lock);
}

admin_auth_result_t
admin_authenticate(admin_guard_t *g, const admin_hash_t *h, http_req_t *r)
{
    char ip[64], token[ADMIN_TOKEN_MAX + 1];
    unsigned char digest[SHA256_DIGEST_LENGTH], derived[ADMIN_HASH_LEN];
    int64_t now = wx_now();
    admin_auth_result_t res = ADMIN_AUTH_DENIED;
    http_req_ip(r, ip, sizeof(ip));
    admin_fail_t *f = fail_slot(fails_lock(g), ip, now, false);
    bool limited = f && f->count >= ADMIN_FAIL_LIMIT;
    fails_unlock(g);
    if (limited)
        return ADMIN_AUTH_LIMITED; /* not even checked: no oracle while limited */
    if (!h->set)
        return ADMIN_AUTH_DISABLED;
    const char *a = http_req_header(r, "Authorization");
    if (!a || strncasecmp(a, "Bearer ", 7) != 0 || !wx_strlcpy(token, a + 7, sizeof(token))) {
        res = ADMIN_AUTH_MISSING;
        goto out;
    }
    SHA256((const unsigned char *)token, strlen(token), digest);
    if (g->cached && CRYPTO_memcmp(digest, g->cached_digest, sizeof(digest)) == 0) {
        res = ADMIN_AUTH_OK;
        goto out;
    }
    if (derive(token, h->salt, h->salt_len, h->iterations, derived) &&
        CRYPTO_memcmp(derived, h->hash, ADMIN_HASH_LEN) == 0) {
        memcpy(g->cached_digest, digest, sizeof(digest));
        g->cached = true;
        res = ADMIN_AUTH_OK;
    }
out:
    if (res == ADMIN_AUTH_DENIED || res == ADMIN_AUTH_MISSING) {
        f = fail_slot(fails_lock(g), ip, now, true);
        f->count++;
        fails_unlock(g);
        wx_log(WX_LOG_WARN, "admin_auth_failed", "rid", r->id, "ip", ip, "reason",
               res == ADMIN_AUTH_MISSING ? "no bearer token" : "wrong token", NULL);
    }
    OPENSSL_cleanse(token, sizeof(token));
    OPENSSL_cleanse(derived, sizeof(derived));
    return res;
}
