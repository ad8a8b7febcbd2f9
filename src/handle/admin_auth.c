/* The admin API's check of a request: its bearer token against the credential's hash
 * (keys/admin_hash.h). Rules, in order:
 * - no Bearer token is not a guess: 401, nothing counted;
 * - the token that last passed (its SHA-256, per worker and process-wide) passes at once, so
 *   the console's requests do not each pay for a hash and a limit never shuts the admin out;
 * - a fast (HMAC) credential is checked every time: a right token passes even while its
 *   address is limited; a wrong one is counted, or answered 429 when limited;
 * - a slow (PBKDF2) credential is not checked at all while the address is limited (429), and
 *   otherwise only within a process-wide budget of ADMIN_SLOW_PER_SEC derivations per second,
 *   one at a time, so guessers on rotating addresses cannot hold the event loops.
 * Failures are counted per client address (IPv6 per /64) in a table that keeps the worst
 * offenders, and reported for the audit trail at most once per address per minute. */
#include "admin_auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "../util/cidr.h"
#include "../util/clock.h"
#include "../util/log.h"

#define ADMIN_TOKEN_MAX 256

/* The counters of key; with create, a slot is made for it: a free or expired one, else the one
 * with fewest failures as long as it is under the limit, so new addresses can never push out
 * an address that is being limited. NULL when there is no room. The caller holds the lock. */
static admin_fail_t *
fail_slot(admin_fails_t *t, const char *key, int64_t now, bool create)
{
    admin_fail_t *spare = NULL, *least = NULL;
    int least_count = 0;
    for (size_t i = 0; i < ADMIN_FAIL_SLOTS; i++) {
        admin_fail_t *f = &t->slots[i];
        bool expired = now - f->window_start >= ADMIN_FAIL_WINDOW;
        if (f->ip[0] && strcmp(f->ip, key) == 0) {
            if (expired) {
                f->window_start = now;
                f->count = 0;
            }
            return f;
        }
        int count = expired ? 0 : f->count;
        if (!f->ip[0] || (expired && f->unreported == 0)) {
            if (!spare)
                spare = f;
        } else if (!least || count < least_count) {
            least = f;
            least_count = count;
        }
    }
    admin_fail_t *victim = spare ? spare : least_count < ADMIN_FAIL_LIMIT ? least : NULL;
    if (!create || !victim)
        return NULL;
    memset(victim, 0, sizeof(*victim));
    wx_strlcpy(victim->ip, key, sizeof(victim->ip));
    victim->window_start = now;
    victim->audit_minute = -1;
    return victim;
}

/* Count one wrong token from key (counted toward the limit unless already limited) and say in
 * info->report whether an audit row is due. The caller holds the lock. */
static void
fail_record(admin_fails_t *t, const char *key, int64_t now, bool counts, admin_auth_info_t *info)
{
    admin_fail_t *f = fail_slot(t, key, now, true);
    int *unreported = f ? &f->unreported : &t->other_unreported;
    int64_t *minute = f ? &f->audit_minute : &t->other_minute;
    if (f && counts)
        f->count++;
    (*unreported)++;
    if (*minute != now / 60) {
        info->report = *unreported;
        *unreported = 0;
        *minute = now / 60;
    }
}

/* The process-wide memory of the token that last passed h (one per credential, so the
 * metrics token never passes as the admin one). The caller holds the lock. */
static int
good_index(const admin_fails_t *t, const admin_hash_t *h)
{
    for (int i = 0; i < 2; i++)
        if (t->good[i].set && memcmp(t->good[i].owner, h->hash, ADMIN_HASH_LEN) == 0)
            return i;
    return -1;
}

static void
remember_good(admin_guard_t *g, admin_fails_t *t, const admin_hash_t *h,
              const unsigned char digest[32])
{
    memcpy(g->cached_digest, digest, 32);
    g->cached = true;
    pthread_mutex_lock(&t->lock);
    int i = good_index(t, h);
    if (i < 0)
        i = t->good[0].set ? 1 : 0;
    memcpy(t->good[i].owner, h->hash, ADMIN_HASH_LEN);
    memcpy(t->good[i].digest, digest, 32);
    t->good[i].set = true;
    pthread_mutex_unlock(&t->lock);
}

admin_auth_result_t
admin_auth_check(admin_guard_t *g, const admin_hash_t *h, const char *ip, const char *token,
                 int64_t now, admin_auth_info_t *info)
{
    unsigned char digest[SHA256_DIGEST_LENGTH];
    char key[64];
    admin_fails_t *t = g->fails ? g->fails : &g->local;
    admin_auth_result_t res = ADMIN_AUTH_DENIED;
    bool good = false, limited = false, slow = false;
    memset(info, 0, sizeof(*info));
    wx_strlcpy(info->ip, ip, sizeof(info->ip));
    if (!h->set)
        return ADMIN_AUTH_DISABLED;
    if (!token || !token[0])
        return ADMIN_AUTH_MISSING;
    wx_ip_client_key(ip, key, sizeof(key)); /* IPv6: its /64 */
    SHA256((const unsigned char *)token, strlen(token), digest);
    if (g->cached && CRYPTO_memcmp(digest, g->cached_digest, sizeof(digest)) == 0)
        return ADMIN_AUTH_OK;
    pthread_mutex_lock(&t->lock);
    int gi = good_index(t, h);
    good = gi >= 0 && CRYPTO_memcmp(digest, t->good[gi].digest, sizeof(digest)) == 0;
    admin_fail_t *f = good ? NULL : fail_slot(t, key, now, false);
    limited = f && f->count >= ADMIN_FAIL_LIMIT;
    if (!good && admin_hash_is_slow(h) && !limited) {
        if (t->slow_second != now) {
            t->slow_second = now;
            t->slow_used = 0;
        }
        if (t->slow_busy || t->slow_used >= ADMIN_SLOW_PER_SEC) {
            res = ADMIN_AUTH_BUSY;
        } else {
            t->slow_busy = true;
            t->slow_used++;
            slow = true;
        }
    }
    pthread_mutex_unlock(&t->lock);
    if (good) {
        memcpy(g->cached_digest, digest, sizeof(digest));
        g->cached = true;
        return ADMIN_AUTH_OK;
    }
    if (res == ADMIN_AUTH_BUSY)
        goto out;
    if (!admin_hash_is_slow(h) || slow) {
        good = admin_hash_check(h, token);
        if (slow) {
            g->slow_checks++;
            pthread_mutex_lock(&t->lock);
            t->slow_busy = false;
            pthread_mutex_unlock(&t->lock);
        }
    }
    if (good) {
        remember_good(g, t, h, digest);
        res = ADMIN_AUTH_OK;
        goto out;
    }
    res = limited ? ADMIN_AUTH_LIMITED : ADMIN_AUTH_DENIED;
    pthread_mutex_lock(&t->lock);
    fail_record(t, key, now, !limited, info);
    pthread_mutex_unlock(&t->lock);
out:
    OPENSSL_cleanse(digest, sizeof(digest));
    return res;
}

admin_auth_result_t
admin_authenticate(admin_guard_t *g, const admin_hash_t *h, http_req_t *r, admin_auth_info_t *info)
{
    char ip[64], token[ADMIN_TOKEN_MAX + 1];
    const char *a = http_req_header(r, "Authorization");
    bool have = a && strncasecmp(a, "Bearer ", 7) == 0 && wx_strlcpy(token, a + 7, sizeof(token));
    http_req_ip(r, ip, sizeof(ip));
    admin_auth_result_t res = admin_auth_check(g, h, ip, have ? token : NULL, wx_now(), info);
    if (res == ADMIN_AUTH_DENIED || res == ADMIN_AUTH_LIMITED)
        wx_log(WX_LOG_WARN, "admin_auth_failed", "rid", r->id, "ip", ip, "reason",
               res == ADMIN_AUTH_LIMITED ? "wrong token, address limited" : "wrong token", NULL);
    OPENSSL_cleanse(token, sizeof(token));
    return res;
}
