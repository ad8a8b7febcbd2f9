/* The admin API's check of a request: its bearer token against the credential's hash
 * (keys/admin_hash.h). PBKDF2 is slow on purpose; a worker remembers the SHA-256 of the last
 * token that passed so the console's requests do not each pay for it. Failures are counted per
 * client address and answered 429 past a limit. */
#include "admin_auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "../util/clock.h"
#include "../util/log.h"

#define ADMIN_TOKEN_MAX 256
#define ADMIN_FAIL_LIMIT 10   /* failures per address ... */
#define ADMIN_FAIL_WINDOW 300 /* ... within this many seconds */

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
    if (admin_hash_derive(token, h->salt, h->salt_len, h->iterations, derived) &&
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
