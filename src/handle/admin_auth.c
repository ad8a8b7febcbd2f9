/* The admin API's check of a request: its bearer token against the credential's hash
 * (keys/admin_hash.h). Rules, in order:
 * - no Bearer token is not a guess: 401, nothing counted;
 * - the token that last passed (its SHA-256, per worker and process-wide) passes at once, so
 *   the console's requests do not each pay for a hash and a limit never shuts the admin out;
 * - a fast (HMAC) credential is checked every time: a right token passes even while its
 *   address is limited; a wrong one is counted, or answered 429 when limited;
 * - a slow (PBKDF2) credential is not checked at all while the address is limited (429), and
 *   otherwise only within a process-wide budget of ADMIN_SLOW_PER_SEC derivations per second,
 *   one at a time, so guessers on rotating addresses cannot hold the event loops (the admin
 *   API and /metrics have a budget each: guesses at one never make the other wait).
 * Failures are counted per client address (IPv6 per /64) in a table that keeps the worst
 * offenders, and reported for the audit trail at most once per address per minute. */
#include "admin_auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/event.h>
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

/* Where g's slow checks are counted: its own budget, else its failure table's. */
static admin_fails_t *
budget_of(admin_guard_t *g)
{
    return g->budget ? g->budget : g->fails ? g->fails : &g->local;
}

typedef struct auth_pending auth_pending_t;
static admin_auth_result_t auth_finish(admin_guard_t *g, const admin_hash_t *h, auth_pending_t *p,
                                       bool good, bool slow, int64_t now, admin_auth_info_t *info);

/* What the first half of a check hands the second when a slow derivation runs between them. */
struct auth_pending {
    char key[64];
    unsigned char digest[SHA256_DIGEST_LENGTH];
    bool limited;
};

/* The part of a check that needs no derivation: the cached and remembered good tokens, the
 * limit, and for a fast credential the whole check. ADMIN_AUTH_PENDING: a slow derivation is
 * due and its budget taken; run admin_hash_check, then auth_finish. */
static admin_auth_result_t
auth_begin(admin_guard_t *g, const admin_hash_t *h, const char *ip, const char *token, int64_t now,
           admin_auth_info_t *info, auth_pending_t *p)
{
    admin_fails_t *t = g->fails ? g->fails : &g->local;
    admin_auth_result_t res = ADMIN_AUTH_DENIED;
    bool good = false, slow = false;
    memset(info, 0, sizeof(*info));
    memset(p, 0, sizeof(*p));
    wx_strlcpy(info->ip, ip, sizeof(info->ip));
    if (!h->set)
        return ADMIN_AUTH_DISABLED;
    if (!token || !token[0])
        return ADMIN_AUTH_MISSING;
    wx_ip_client_key(ip, p->key, sizeof(p->key)); /* IPv6: its /64 */
    SHA256((const unsigned char *)token, strlen(token), p->digest);
    if (g->cached && CRYPTO_memcmp(p->digest, g->cached_digest, sizeof(p->digest)) == 0)
        return ADMIN_AUTH_OK;
    pthread_mutex_lock(&t->lock);
    int gi = good_index(t, h);
    good = gi >= 0 && CRYPTO_memcmp(p->digest, t->good[gi].digest, sizeof(p->digest)) == 0;
    admin_fail_t *f = good ? NULL : fail_slot(t, p->key, now, false);
    p->limited = f && f->count >= ADMIN_FAIL_LIMIT;
    pthread_mutex_unlock(&t->lock);
    if (!good && admin_hash_is_slow(h) && !p->limited) {
        admin_fails_t *b = budget_of(g);
        pthread_mutex_lock(&b->lock);
        if (b->slow_second != now) {
            b->slow_second = now;
            b->slow_used = 0;
        }
        if (b->slow_busy || b->slow_used >= ADMIN_SLOW_PER_SEC) {
            res = ADMIN_AUTH_BUSY;
        } else {
            b->slow_busy = true;
            b->slow_used++;
            slow = true;
        }
        pthread_mutex_unlock(&b->lock);
    }
    if (good) {
        memcpy(g->cached_digest, p->digest, sizeof(p->digest));
        g->cached = true;
        return ADMIN_AUTH_OK;
    }
    if (res == ADMIN_AUTH_BUSY)
        return res;
    if (slow)
        return ADMIN_AUTH_PENDING;
    /* A slow credential while limited is not derived at all (denied); a fast one always is. */
    good = !admin_hash_is_slow(h) && admin_hash_check(h, token);
    return auth_finish(g, h, p, good, false, now, info);
}

/* The second half: free the slow budget's slot, remember a good token or count a wrong one. */
static admin_auth_result_t
auth_finish(admin_guard_t *g, const admin_hash_t *h, auth_pending_t *p, bool good, bool slow,
            int64_t now, admin_auth_info_t *info)
{
    admin_fails_t *t = g->fails ? g->fails : &g->local;
    admin_auth_result_t res;
    if (slow) {
        admin_fails_t *b = budget_of(g);
        g->slow_checks++;
        pthread_mutex_lock(&b->lock);
        b->slow_busy = false;
        pthread_mutex_unlock(&b->lock);
    }
    if (good) {
        remember_good(g, t, h, p->digest);
        res = ADMIN_AUTH_OK;
    } else {
        res = p->limited ? ADMIN_AUTH_LIMITED : ADMIN_AUTH_DENIED;
        pthread_mutex_lock(&t->lock);
        fail_record(t, p->key, now, !p->limited, info);
        pthread_mutex_unlock(&t->lock);
    }
    OPENSSL_cleanse(p->digest, sizeof(p->digest));
    return res;
}

admin_auth_result_t
admin_auth_check(admin_guard_t *g, const admin_hash_t *h, const char *ip, const char *token,
                 int64_t now, admin_auth_info_t *info)
{
    auth_pending_t p;
    admin_auth_result_t res = auth_begin(g, h, ip, token, now, info, &p);
    if (res == ADMIN_AUTH_PENDING)
        res = auth_finish(g, h, &p, admin_hash_check(h, token), true, now, info);
    OPENSSL_cleanse(&p, sizeof(p));
    return res;
}

static void
log_failure(http_req_t *r, admin_auth_result_t res, const admin_auth_info_t *info)
{
    if (res == ADMIN_AUTH_DENIED || res == ADMIN_AUTH_LIMITED)
        wx_log(WX_LOG_WARN, "admin_auth_failed", "rid", r->id, "ip", info->ip, "reason",
               res == ADMIN_AUTH_LIMITED ? "wrong token, address limited" : "wrong token", NULL);
}

/* A slow (PBKDF2) derivation on a thread of its own, its result back on the request's loop:
 * ~75 ms of hashing must never stall a worker's event loop. At most one runs at a time in the
 * process (the slow budget), so a thread per derivation is cheap. */
typedef struct {
    admin_guard_t *g;
    const admin_hash_t *h;
    http_req_t *r;
    admin_auth_done_fn done;
    auth_pending_t p;
    int64_t now;
    bool good;
    /* Made on the loop before the thread starts and fired with event_active, which allocates
     * nothing and cannot fail: the answer always comes back. The loop waits for it (the
     * worker's background count), so the base is alive when the thread fires. */
    struct event *ev;
    char token[ADMIN_TOKEN_MAX + 1];
} slow_job_t;

static void
slow_done(evutil_socket_t fd, short what, void *arg)
{
    slow_job_t *j = arg;
    admin_auth_info_t info;
    memset(&info, 0, sizeof(info));
    http_req_ip(j->r, info.ip, sizeof(info.ip));
    admin_auth_result_t res = auth_finish(j->g, j->h, &j->p, j->good, true, j->now, &info);
    http_req_t *r = j->r;
    admin_auth_done_fn done = j->done;
    event_free(j->ev);
    atomic_fetch_sub(&r->worker->background, 1);
    OPENSSL_cleanse(j, sizeof(*j));
    free(j);
    log_failure(r, res, &info);
    done(r, res, &info);
}

static void *
slow_thread(void *arg)
{
    slow_job_t *j = arg;
    j->good = admin_hash_check(j->h, j->token);
    OPENSSL_cleanse(j->token, sizeof(j->token));
    event_active(j->ev, EV_TIMEOUT, 1); /* j belongs to the loop from here on */
    return NULL;
}

void
admin_authenticate_async(admin_guard_t *g, const admin_hash_t *h, http_req_t *r,
                         admin_auth_done_fn done)
{
    char token[ADMIN_TOKEN_MAX + 1];
    admin_auth_info_t info;
    auth_pending_t p;
    const char *a = http_req_header(r, "Authorization");
    bool have = a && strncasecmp(a, "Bearer ", 7) == 0 && wx_strlcpy(token, a + 7, sizeof(token));
    char ip[64];
    int64_t now = wx_now();
    http_req_ip(r, ip, sizeof(ip));
    admin_auth_result_t res = auth_begin(g, h, ip, have ? token : NULL, now, &info, &p);
    if (res == ADMIN_AUTH_PENDING) {
        slow_job_t *j = calloc(1, sizeof(*j));
        pthread_t th;
        pthread_attr_t attr;
        bool started = false;
        if (j)
            j->ev = event_new(r->worker->base, -1, 0, slow_done, j);
        if (j && j->ev) {
            struct event *ev = j->ev;
            *j = (slow_job_t){.g = g, .h = h, .r = r, .done = done, .p = p, .now = now, .ev = ev};
            wx_strlcpy(j->token, token, sizeof(j->token));
            atomic_fetch_add(&r->worker->background, 1); /* a stop waits for its answer */
            pthread_attr_init(&attr);
            pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
            started = pthread_create(&th, &attr, slow_thread, j) == 0;
            pthread_attr_destroy(&attr);
            if (!started)
                atomic_fetch_sub(&r->worker->background, 1);
        }
        if (j && !started) {
            if (j->ev)
                event_free(j->ev);
            OPENSSL_cleanse(j, sizeof(*j));
            free(j);
        }
        OPENSSL_cleanse(token, sizeof(token));
        OPENSSL_cleanse(&p, sizeof(p));
        if (started)
            return;
        /* No thread or event to be had: "retry in a second" rather than hash on the loop. */
        admin_fails_t *b = budget_of(g);
        pthread_mutex_lock(&b->lock);
        b->slow_busy = false;
        pthread_mutex_unlock(&b->lock);
        res = ADMIN_AUTH_BUSY;
    }
    OPENSSL_cleanse(token, sizeof(token));
    OPENSSL_cleanse(&p, sizeof(p));
    log_failure(r, res, &info);
    done(r, res, &info);
}
