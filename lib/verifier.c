/* libwxauth's verifier: a JWKS kept fresh behind a lock, src/jose's jws_verify for the signature
 * and src/proto's claims_check for exp/nbf/iat/iss/aud.
 *
 * Locking: the mutex guards only which key set is current and the fetch bookkeeping. A
 * verification takes a reference to the current set and lets go of the lock, so no thread
 * verifies or waits on the network while holding it. At most one thread fetches at a time; on an
 * unknown kid the others wait for that fetch (bounded by the fetch timeout) and retry with its
 * result, while a merely stale set keeps serving until its replacement is in. */
#include "internal.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "jose/jws.h"
#include "proto/claims.h"
#include "util/clock.h"

#define ALG_MAX 4 /* RS256, ES256, EdDSA, HS256 */

struct wxauth_verifier {
    char *jwks_url; /* exactly one of url and file, or neither when only HS256 is used */
    char *jwks_file;
    char *issuer;
    char *audience;
    const char *algs[ALG_MAX + 1]; /* NULL-terminated allow-list, static strings */
    jwk_t *hs_key;                 /* HS256 secret, or NULL */
    long leeway, refetch_min, cache_ttl, timeout_ms;

    pthread_mutex_t mu;
    pthread_cond_t cv;       /* signalled when a fetch ends */
    wxauth_keyset_t *ks;     /* current set; NULL only when there is no JWKS */
    uint64_t gen;            /* bumped on every swap of ks */
    bool fetching;           /* a thread is fetching now */
    int64_t stale_at_ms;     /* monotonic: refresh the set from then on (URL only) */
    int64_t last_refetch_ms; /* monotonic time of the last unknown-kid refetch */
    bool refetched;          /* whether there was one */
    bool sync_init;          /* mu and cv are initialised */
};

struct wxauth_claims {
    json_t *payload;
    char *json; /* compact form, made once so the pointer we hand out stays valid */
};

wxauth_status
wxauth_fail(char *err, size_t errlen, wxauth_status st, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
        /* One line, whatever a message quoted: it goes into logs and 401 bodies. */
        for (char *p = err; *p; p++)
            if (*p == '\n' || *p == '\r')
                *p = ' ';
    }
    return st;
}

wxauth_keyset_t *
wxauth_keyset_new(jwks_t *jwks)
{
    wxauth_keyset_t *ks = calloc(1, sizeof(*ks));
    if (!ks) {
        jwks_free(jwks);
        return NULL;
    }
    ks->jwks = jwks;
    atomic_init(&ks->refs, 1);
    return ks;
}

void
wxauth_keyset_release(wxauth_keyset_t *ks)
{
    if (ks && atomic_fetch_sub(&ks->refs, 1) == 1) {
        jwks_free(ks->jwks);
        free(ks);
    }
}

/* Parse the comma-separated allow-list into v->algs. "none" is an error rather than silently
 * dropped, so a configuration that asks for it is noticed; HS256 needs the secret. */
static wxauth_status
algs_parse(wxauth_verifier *v, const char *list, char *err, size_t errlen)
{
    static const char *const known[] = {"RS256", "ES256", "EdDSA", "HS256"};
    size_t n = 0;
    const char *p = list;

    if (!list) {
        v->algs[n++] = "RS256";
        v->algs[n++] = "ES256";
        v->algs[n++] = "EdDSA";
        if (v->hs_key)
            v->algs[n++] = "HS256";
        v->algs[n] = NULL;
        return WXAUTH_OK;
    }
    while (*p) {
        size_t len = strcspn(p, ",");
        const char *w = p;
        size_t wl = len;
        const char *found = NULL;
        while (wl && (*w == ' ' || *w == '\t'))
            w++, wl--;
        while (wl && (w[wl - 1] == ' ' || w[wl - 1] == '\t'))
            wl--;
        if (wl == 4 && strncasecmp(w, "none", 4) == 0)
            return wxauth_fail(err, errlen, WXAUTH_ERR_ARG, "alg none is never allowed");
        for (size_t i = 0; i < WX_ARRAY_LEN(known); i++)
            if (strlen(known[i]) == wl && strncmp(known[i], w, wl) == 0)
                found = known[i];
        if (!found)
            return wxauth_fail(err, errlen, WXAUTH_ERR_ARG,
                               "unknown alg '%.*s' (RS256, ES256, EdDSA or HS256)", (int)(wl % 64),
                               w);
        if (found == known[3] && !v->hs_key)
            return wxauth_fail(err, errlen, WXAUTH_ERR_ARG, "HS256 needs hs256_secret");
        bool dup = false;
        for (size_t i = 0; i < n; i++)
            dup = dup || v->algs[i] == found;
        if (!dup)
            v->algs[n++] = found;
        p += len;
        if (*p == ',')
            p++;
    }
    v->algs[n] = NULL;
    if (n == 0)
        return wxauth_fail(err, errlen, WXAUTH_ERR_ARG, "the alg list is empty");
    return WXAUTH_OK;
}

static char *
dup_opt(const char *s, bool *oom)
{
    char *d = NULL;
    if (s && !(d = strdup(s)))
        *oom = true;
    return d;
}

/* Monotonic-time expiry of a set fetched now: the configured ttl, else the server's max-age
 * kept between refetch_min and a day, else the default. */
static int64_t
stale_time(const wxauth_verifier *v, int64_t now_ms, long max_age)
{
    long ttl = v->cache_ttl > 0 ? v->cache_ttl : max_age >= 0 ? max_age : WXAUTH_TTL_DEFAULT;
    if (ttl < v->refetch_min)
        ttl = v->refetch_min;
    if (ttl > WXAUTH_TTL_MAX)
        ttl = WXAUTH_TTL_MAX;
    return now_ms + (int64_t)ttl * 1000;
}

/* Load the JWKS from wherever it is; *max_age -1 for files. */
static wx_status_t
jwks_load(const wxauth_verifier *v, jwks_t **out, long *max_age, wx_err_t *err)
{
    *max_age = -1;
    if (v->jwks_url)
        return wxauth_jwks_fetch(v->jwks_url, v->timeout_ms, out, max_age, err);
    return wxauth_jwks_read(v->jwks_file, out, err);
}

/* Fetch a new set and make it current. Called with the lock held and v->fetching set by the
 * caller; drops the lock for the network and takes it again. On failure the old set stays. */
static wx_status_t
refresh_locked(wxauth_verifier *v, wx_err_t *err)
{
    jwks_t *jwks = NULL;
    wxauth_keyset_t *ks = NULL, *old = NULL;
    long max_age = -1;
    wx_status_t rc = WX_OK;

    pthread_mutex_unlock(&v->mu);
    rc = jwks_load(v, &jwks, &max_age, err);
    if (rc == WX_OK && !(ks = wxauth_keyset_new(jwks)))
        rc = wx_err_set(err, WX_ENOMEM, "out of memory");
    pthread_mutex_lock(&v->mu);
    int64_t now = wx_mono_ms();
    if (rc == WX_OK) {
        old = v->ks;
        v->ks = ks;
        v->gen++;
        v->stale_at_ms = stale_time(v, now, max_age);
    } else if (v->stale_at_ms < now + (int64_t)v->refetch_min * 1000) {
        /* Keep serving the old set, and do not try again for refetch_min. */
        v->stale_at_ms = now + (int64_t)v->refetch_min * 1000;
    }
    v->fetching = false;
    pthread_cond_broadcast(&v->cv);
    pthread_mutex_unlock(&v->mu);
    wxauth_keyset_release(old); /* outside the lock: freeing keys is not quick */
    pthread_mutex_lock(&v->mu);
    return rc;
}

/* Wait (lock held) until no fetch is running, at most a little longer than one fetch may take,
 * so a stuck fetch can never stall verifications for good. */
static void
wait_fetch_locked(wxauth_verifier *v)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    long ms = v->timeout_ms + 1000;
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    while (v->fetching)
        if (pthread_cond_timedwait(&v->cv, &v->mu, &ts) != 0)
            break;
}

/* The current set with a reference for the caller (NULL when there is none), and its
 * generation. A stale URL set is refreshed first by this thread if no other is fetching; if one
 * is, the stale set is still good enough to use meanwhile. */
static wxauth_keyset_t *
keyset_get(wxauth_verifier *v, uint64_t *gen)
{
    wxauth_keyset_t *ks = NULL;
    wx_err_t err = {0};

    pthread_mutex_lock(&v->mu);
    if (v->jwks_url && !v->fetching && wx_mono_ms() >= v->stale_at_ms) {
        v->fetching = true;
        refresh_locked(v, &err); /* failure: the old set stays and we use it */
    }
    ks = v->ks;
    if (ks)
        atomic_fetch_add(&ks->refs, 1);
    *gen = v->gen;
    pthread_mutex_unlock(&v->mu);
    return ks;
}

/* After an unknown kid with set generation gen: a newer set if one is (or becomes) current,
 * fetching it ourselves when refetch_min allows. NULL when there is nothing newer to try;
 * *fetch_err is set when our own refetch failed. */
static wxauth_keyset_t *
keyset_refetch(wxauth_verifier *v, uint64_t gen, uint64_t *new_gen, wx_err_t *fetch_err,
               bool *fetch_failed)
{
    wxauth_keyset_t *ks = NULL;

    *fetch_failed = false;
    if (!v->jwks_url)
        return NULL;
    pthread_mutex_lock(&v->mu);
    if (v->fetching)
        wait_fetch_locked(v);
    if (v->gen == gen && !v->fetching) {
        int64_t now = wx_mono_ms();
        /* The limit is what keeps a stream of made-up kids from turning into a stream of
         * requests to the identity server. */
        if (!v->refetched || now - v->last_refetch_ms >= (int64_t)v->refetch_min * 1000) {
            v->refetched = true;
            v->last_refetch_ms = now;
            v->fetching = true;
            *fetch_failed = refresh_locked(v, fetch_err) != WX_OK;
        }
    }
    if (v->gen != gen && v->ks) {
        ks = v->ks;
        atomic_fetch_add(&ks->refs, 1);
    }
    *new_gen = v->gen;
    pthread_mutex_unlock(&v->mu);
    return ks;
}

typedef struct {
    const wxauth_verifier *v;
    const wxauth_keyset_t *ks;
} lookup_ctx_t;

/* The key for a token. HS256 means the configured secret and nothing else: keys from the JWKS
 * are never HMAC secrets (and jwks_parse drops oct keys anyway). For the others the kid picks
 * the key; its alg is checked by jws_verify, which refuses a mismatch. */
static const jwk_t *
lookup(const char *kid, const char *alg, void *arg)
{
    lookup_ctx_t *c = arg;
    if (strcmp(alg, "HS256") == 0)
        return c->v->hs_key;
    return c->ks ? jwks_find(c->ks->jwks, kid) : NULL;
}

/* jws_verify's refusal as a wxauth status: decided on its reason code alone. */
static wxauth_status
jws_status(jws_reason_t reason, wx_status_t rc)
{
    switch (reason) {
    case JWS_REASON_OK:
        return WXAUTH_OK;
    case JWS_REASON_TOO_BIG:
        return WXAUTH_ERR_TOO_LARGE;
    case JWS_REASON_UNKNOWN_KEY:
        return WXAUTH_ERR_KID;
    case JWS_REASON_SIGNATURE:
        return WXAUTH_ERR_SIGNATURE;
    case JWS_REASON_ALG_NONE:
    case JWS_REASON_ALG_NOT_ALLOWED:
    case JWS_REASON_ALG_UNSUPPORTED:
    case JWS_REASON_KEY_ALG: /* a kid naming a key made for another alg */
        return WXAUTH_ERR_ALG;
    case JWS_REASON_CRIT:
        return WXAUTH_ERR_CRIT;
    case JWS_REASON_INTERNAL:
        return rc == WX_ENOMEM ? WXAUTH_ERR_NOMEM : WXAUTH_ERR_MALFORMED;
    case JWS_REASON_ARG:
    case JWS_REASON_MALFORMED:
    case JWS_REASON_B64:
    default:
        return WXAUTH_ERR_MALFORMED;
    }
}

wxauth_status
wxauth_verifier_new(const wxauth_options *opt, wxauth_verifier **out, char *err, size_t errlen)
{
    wxauth_status st = WXAUTH_OK;
    wxauth_verifier *v = NULL;
    wx_err_t werr = {0};
    jwks_t *jwks = NULL;
    long max_age = -1;
    bool oom = false;
    pthread_condattr_t ca;

    if (err && errlen)
        err[0] = '\0';
    if (!out || !opt) {
        st = wxauth_fail(err, errlen, WXAUTH_ERR_ARG, "no options or no place for the verifier");
        goto out;
    }
    *out = NULL;
    if ((opt->jwks_url && opt->jwks_file) ||
        (!opt->jwks_url && !opt->jwks_file && !opt->hs256_secret)) {
        st = wxauth_fail(err, errlen, WXAUTH_ERR_ARG,
                         "give exactly one of jwks_url and jwks_file (or only hs256_secret)");
        goto out;
    }
    if (opt->jwks_url && (strlen(opt->jwks_url) > WXAUTH_URL_MAX ||
                          (strncasecmp(opt->jwks_url, "http://", 7) != 0 &&
                           strncasecmp(opt->jwks_url, "https://", 8) != 0))) {
        st =
            wxauth_fail(err, errlen, WXAUTH_ERR_ARG, "jwks_url must be an http:// or https:// URL");
        goto out;
    }
    if (opt->leeway > WXAUTH_LEEWAY_MAX || opt->timeout_ms > WXAUTH_TIMEOUT_MAX ||
        opt->refetch_min > WXAUTH_TTL_MAX || opt->cache_ttl > WXAUTH_TTL_MAX) {
        st = wxauth_fail(
            err, errlen, WXAUTH_ERR_ARG,
            "leeway, refetch_min or cache_ttl over a day, or timeout_ms over 2 minutes");
        goto out;
    }
    v = calloc(1, sizeof(*v));
    if (!v) {
        st = wxauth_fail(err, errlen, WXAUTH_ERR_NOMEM, "out of memory");
        goto out;
    }
    v->jwks_url = dup_opt(opt->jwks_url, &oom);
    v->jwks_file = dup_opt(opt->jwks_file, &oom);
    v->issuer = dup_opt(opt->issuer, &oom);
    v->audience = dup_opt(opt->audience, &oom);
    if (oom) {
        st = wxauth_fail(err, errlen, WXAUTH_ERR_NOMEM, "out of memory");
        goto out;
    }
    v->leeway = opt->leeway < 0 ? WXAUTH_LEEWAY_DEFAULT : opt->leeway;
    v->refetch_min = opt->refetch_min > 0 ? opt->refetch_min : WXAUTH_REFETCH_DEFAULT;
    v->cache_ttl = opt->cache_ttl > 0 ? opt->cache_ttl : 0;
    v->timeout_ms = opt->timeout_ms > 0 ? opt->timeout_ms : WXAUTH_TIMEOUT_DEFAULT;
    if (opt->hs256_secret &&
        jwk_from_secret((const unsigned char *)opt->hs256_secret, strlen(opt->hs256_secret), NULL,
                        &v->hs_key, &werr) != WX_OK) {
        st = wxauth_fail(err, errlen, WXAUTH_ERR_ARG, "hs256_secret: %s", werr.msg);
        goto out;
    }
    st = algs_parse(v, opt->algs, err, errlen);
    if (st != WXAUTH_OK)
        goto out;
    /* The condition variable runs on the monotonic clock, so waits for a fetch are not
     * stretched by a wall-clock jump. */
    if (pthread_condattr_init(&ca) != 0) {
        st = wxauth_fail(err, errlen, WXAUTH_ERR_NOMEM, "cannot make a condition variable");
        goto out;
    }
    if (pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0 &&
        pthread_cond_init(&v->cv, &ca) == 0) {
        if (pthread_mutex_init(&v->mu, NULL) == 0)
            v->sync_init = true;
        else
            pthread_cond_destroy(&v->cv);
    }
    pthread_condattr_destroy(&ca);
    if (!v->sync_init) {
        st = wxauth_fail(err, errlen, WXAUTH_ERR_NOMEM, "cannot make a mutex");
        goto out;
    }
    if (v->jwks_url || v->jwks_file) {
        if (jwks_load(v, &jwks, &max_age, &werr) != WX_OK) {
            st = wxauth_fail(err, errlen,
                             werr.status == WX_ENOMEM ? WXAUTH_ERR_NOMEM : WXAUTH_ERR_JWKS,
                             "cannot load the JWKS: %s", werr.msg);
            goto out;
        }
        v->ks = wxauth_keyset_new(jwks);
        if (!v->ks) {
            st = wxauth_fail(err, errlen, WXAUTH_ERR_NOMEM, "out of memory");
            goto out;
        }
        v->gen = 1;
        v->stale_at_ms = stale_time(v, wx_mono_ms(), max_age);
    }
    *out = v;
    v = NULL;
out:
    wxauth_verifier_free(v);
    return st;
}

void
wxauth_verifier_free(wxauth_verifier *v)
{
    if (!v)
        return;
    if (v->sync_init) {
        pthread_cond_destroy(&v->cv);
        pthread_mutex_destroy(&v->mu);
    }
    wxauth_keyset_release(v->ks);
    jwk_free(v->hs_key);
    free(v->jwks_url);
    free(v->jwks_file);
    free(v->issuer);
    free(v->audience);
    free(v);
}

/* claims_check's verdict as a status. */
static wxauth_status
claims_status(claims_result_t r)
{
    switch (r) {
    case CLAIMS_OK:
        return WXAUTH_OK;
    case CLAIMS_EXPIRED:
        return WXAUTH_ERR_EXPIRED;
    case CLAIMS_NOT_YET:
        return WXAUTH_ERR_NOT_YET_VALID;
    case CLAIMS_ISSUER:
        return WXAUTH_ERR_ISSUER;
    case CLAIMS_AUDIENCE:
        return WXAUTH_ERR_AUDIENCE;
    case CLAIMS_MALFORMED:
        break;
    }
    return WXAUTH_ERR_CLAIMS;
}

wxauth_status
wxauth_verify(wxauth_verifier *v, const char *token, wxauth_claims **claims, char *err,
              size_t errlen)
{
    wxauth_status st = WXAUTH_OK;
    wx_status_t rc = WX_OK;
    jws_reason_t reason = JWS_REASON_OK;
    wx_err_t werr = {0}, ferr = {0};
    wxauth_keyset_t *ks = NULL, *nks = NULL;
    uint64_t gen = 0;
    size_t len = 0;
    json_t *payload = NULL;
    wxauth_claims *c = NULL;
    const char *why = NULL;
    bool fetch_failed = false;
    lookup_ctx_t lc = {.v = v};
    claims_rules_t rules = {.require_jti = false};

    if (err && errlen)
        err[0] = '\0';
    if (claims)
        *claims = NULL;
    if (!v || !token || !claims) {
        st = wxauth_fail(err, errlen, WXAUTH_ERR_ARG, "no verifier, token or claims pointer");
        goto out;
    }
    /* Bounded before anything else looks at it: an oversized token costs one strnlen. */
    len = strnlen(token, WXAUTH_TOKEN_MAX + 1);
    if (len > WXAUTH_TOKEN_MAX) {
        st = wxauth_fail(err, errlen, WXAUTH_ERR_TOO_LARGE, "token is longer than %d bytes",
                         WXAUTH_TOKEN_MAX);
        goto out;
    }
    ks = keyset_get(v, &gen);
    lc.ks = ks;
    rc = jws_verify(token, len, v->algs, lookup, &lc, NULL, &payload, &reason, &werr);
    if (reason == JWS_REASON_UNKNOWN_KEY) {
        /* A kid we do not know may be a key the server has just rotated in. */
        nks = keyset_refetch(v, gen, &gen, &ferr, &fetch_failed);
        if (nks) {
            wxauth_keyset_release(ks);
            ks = nks;
            lc = (lookup_ctx_t){.v = v, .ks = ks};
            wx_err_clear(&werr);
            rc = jws_verify(token, len, v->algs, lookup, &lc, NULL, &payload, &reason, &werr);
        } else if (fetch_failed) {
            st = wxauth_fail(err, errlen, WXAUTH_ERR_JWKS,
                             "unknown signing key, and the JWKS could not be refetched: %s",
                             ferr.msg);
            goto out;
        }
    }
    st = jws_status(reason, rc);
    if (st == WXAUTH_ERR_KID) {
        st = wxauth_fail(err, errlen, st, "unknown signing key (kid not in the JWKS)");
        goto out;
    }
    if (st != WXAUTH_OK) {
        st = wxauth_fail(err, errlen, st, "%s", werr.msg[0] ? werr.msg : wxauth_status_str(st));
        goto out;
    }
    /* Signature first, claims second: nothing in an unverified payload is looked at. */
    rules.issuer = v->issuer;
    rules.audience = v->audience;
    rules.now = wx_now();
    rules.leeway = v->leeway;
    st = claims_status(claims_check(payload, &rules, &why));
    if (st != WXAUTH_OK) {
        st = wxauth_fail(err, errlen, st, "%s", why);
        goto out;
    }
    c = calloc(1, sizeof(*c));
    if (!c || !(c->json = json_dumps(payload, JSON_COMPACT))) {
        st = wxauth_fail(err, errlen, WXAUTH_ERR_NOMEM, "out of memory");
        goto out;
    }
    c->payload = payload;
    payload = NULL;
    *claims = c;
    c = NULL;
out:
    wxauth_claims_free(c);
    json_decref(payload);
    wxauth_keyset_release(ks);
    return st;
}

const char *
wxauth_claims_string(const wxauth_claims *c, const char *name)
{
    if (!c || !name)
        return NULL;
    return json_string_value(json_object_get(c->payload, name));
}

int
wxauth_claims_int(const wxauth_claims *c, const char *name, long long *out)
{
    int64_t v = 0;
    bool ok = c && name && claims_int(c->payload, name, &v);
    if (out)
        *out = ok ? (long long)v : 0;
    return ok ? 0 : -1;
}

const char *
wxauth_claims_json(const wxauth_claims *c)
{
    return c ? c->json : NULL;
}

void
wxauth_claims_free(wxauth_claims *c)
{
    if (!c)
        return;
    json_decref(c->payload);
    free(c->json);
    free(c);
}

const char *
wxauth_status_str(wxauth_status s)
{
    switch (s) {
    case WXAUTH_OK:
        return "ok";
    case WXAUTH_ERR_ARG:
        return "bad argument";
    case WXAUTH_ERR_TOO_LARGE:
        return "token too large";
    case WXAUTH_ERR_MALFORMED:
        return "malformed token";
    case WXAUTH_ERR_ALG:
        return "algorithm not accepted";
    case WXAUTH_ERR_CRIT:
        return "unknown critical header";
    case WXAUTH_ERR_KID:
        return "unknown signing key";
    case WXAUTH_ERR_SIGNATURE:
        return "bad signature";
    case WXAUTH_ERR_EXPIRED:
        return "expired";
    case WXAUTH_ERR_NOT_YET_VALID:
        return "not yet valid";
    case WXAUTH_ERR_ISSUER:
        return "wrong issuer";
    case WXAUTH_ERR_AUDIENCE:
        return "wrong audience";
    case WXAUTH_ERR_CLAIMS:
        return "bad claims";
    case WXAUTH_ERR_JWKS:
        return "JWKS unavailable";
    case WXAUTH_ERR_NOMEM:
        return "out of memory";
    }
    return "unknown status";
}
