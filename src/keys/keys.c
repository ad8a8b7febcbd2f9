/* Key management for wxauthd and the CLI (see keys.h). */
#include "keys.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "../util/buf.h"
#include "../util/clock.h"
#include "../util/log.h"
#include "../util/rand.h"

/* Re-read the store this often: a key rotated on another node sharing the store is used here
 * within this many seconds (issue #11). One indexed read per alg; a key is unsealed again
 * only when its kid changed. */
#define KEYS_RECHECK_S 5
#define KEYS_UNKNOWN_KID_S 5 /* at most one extra reload per this many seconds */

static const char *const keys_algs[KEYS_ALG_COUNT] = {"RS256", "ES256", "EdDSA"};

typedef struct {
    char app_id[STORE_ID_MAX];
    char sealed[STORE_SECRET_MAX]; /* the sealed secret key was opened from */
    jwk_t *key;
} app_key_t;

struct keys_cache {
    store_t *st;
    const seal_key_t *mk;
    keys_shared_t *shared;       /* NULL: no other cache to tell */
    uint_fast64_t published_gen; /* shared->generation when published[] was read */
    jwk_t *signing[KEYS_ALG_COUNT];
    int64_t signing_at[KEYS_ALG_COUNT];
    uint_fast64_t signing_gen[KEYS_ALG_COUNT]; /* shared->generation when signing[] was read */
    jwk_t *published[KEYS_PUBLISHED_MAX];      /* private keys; only their public halves go out */
    size_t npublished;
    int64_t published_at;
    int64_t unknown_kid_at;
    app_key_t apps[KEYS_APP_CACHE];
    size_t next_app; /* round-robin eviction */
};

static int
alg_index(const char *alg)
{
    if (!alg || !alg[0])
        return 0;
    for (int i = 0; i < KEYS_ALG_COUNT; i++)
        if (strcmp(alg, keys_algs[i]) == 0)
            return i;
    return -1;
}

bool
keys_alg_valid(const char *alg)
{
    return alg_index(alg) >= 0;
}

static void
key_aad(const char *kid, char *aad, size_t n)
{
    wx_snprintf(aad, n, "signing_key:%s", kid);
}

/* Fill k with a fresh sealed key of alg. */
static wx_status_t
key_make(const seal_key_t *mk, const char *alg, store_key_t *k, wx_err_t *err)
{
    jwk_t *jwk = NULL;
    wx_buf_t pem;
    char rnd[17], prefix[8], aad[STORE_ID_MAX + 16];
    wx_buf_init(&pem, STORE_PEM_MAX - 1);
    wx_status_t rc = wx_rand_hex(rnd, 8);
    if (rc != WX_OK) {
        rc = wx_err_set(err, rc, "no randomness for a key id");
        goto out;
    }
    size_t i = 0;
    for (; alg[i] && i < sizeof(prefix) - 1; i++)
        prefix[i] = (char)(alg[i] >= 'A' && alg[i] <= 'Z' ? alg[i] - 'A' + 'a' : alg[i]);
    prefix[i] = '\0';
    memset(k, 0, sizeof(*k));
    wx_snprintf(k->kid, sizeof(k->kid), "%s-%s", prefix, rnd);
    wx_strlcpy(k->alg, alg, sizeof(k->alg));
    k->created_at = wx_now();
    if ((rc = jwk_generate(alg, k->kid, &jwk, err)) != WX_OK ||
        (rc = jwk_to_pem(jwk, &pem, err)) != WX_OK)
        goto out;
    key_aad(k->kid, aad, sizeof(aad));
    rc = seal_text(mk, aad, wx_buf_str(&pem), k->private_pem, sizeof(k->private_pem), err);
out:
    if (pem.data)
        OPENSSL_cleanse(pem.data, pem.len);
    wx_buf_free(&pem);
    jwk_free(jwk);
    return rc;
}

/* Open a stored key into a jwk. */
static wx_status_t
key_open(const seal_key_t *mk, const store_key_t *k, jwk_t **out, wx_err_t *err)
{
    char aad[STORE_ID_MAX + 16];
    char *pem = malloc(STORE_PEM_MAX);
    wx_status_t rc;
    if (!pem)
        return wx_err_set(err, WX_ENOMEM, "out of memory");
    key_aad(k->kid, aad, sizeof(aad));
    rc = seal_open(mk, aad, k->private_pem, pem, STORE_PEM_MAX, err);
    if (rc == WX_OK)
        rc = jwk_from_pem(pem, k->kid, k->alg, out, err);
    else
        wx_err_detail(err, "signing key %.64s", k->kid);
    OPENSSL_cleanse(pem, STORE_PEM_MAX);
    free(pem);
    return rc;
}

wx_status_t
keys_ensure(store_t *st, const seal_key_t *mk, const char *alg, wx_err_t *err)
{
    store_key_t *k = calloc(1, sizeof(*k));
    wx_status_t rc;
    if (!k)
        return wx_err_set(err, WX_ENOMEM, "out of memory");
    if (!alg || !alg[0])
        alg = "RS256";
    rc = store_key_current(st, alg, k, err);
    if (rc != WX_ENOENT)
        goto out; /* WX_OK: there is one; anything else is a real error */
    wx_err_clear(err);
    if ((rc = key_make(mk, alg, k, err)) != WX_OK)
        goto out;
    rc = store_key_add(st, k, err);
    if (rc == WX_OK) {
        wx_log(WX_LOG_INFO, "signing_key_created", "kid", k->kid, "alg", alg, NULL);
    } else if (rc == WX_EEXIST) {
        wx_err_clear(err); /* another process made the first key at the same moment */
        rc = WX_OK;
    }
out:
    OPENSSL_cleanse(k, sizeof(*k));
    free(k);
    return rc;
}

wx_status_t
keys_check_master(store_t *st, const seal_key_t *mk, const char *alg, wx_err_t *err)
{
    store_key_t *k = calloc(1, sizeof(*k));
    jwk_t *j = NULL;
    wx_status_t rc;
    if (!k)
        return wx_err_set(err, WX_ENOMEM, "out of memory");
    if ((rc = store_key_current(st, alg && alg[0] ? alg : "RS256", k, err)) != WX_OK)
        goto out;
    if ((rc = key_open(mk, k, &j, err)) != WX_OK)
        rc = wx_err_set(err, WX_ECRYPTO,
                        "the master key does not open the store's signing key %.64s: every "
                        "node sharing a store needs the same master key (copy master.key from "
                        "the node that ran `wxauth init`)",
                        k->kid);
    jwk_free(j);
out:
    OPENSSL_cleanse(k, sizeof(*k));
    free(k);
    return rc;
}

wx_status_t
keys_rotate(store_t *st, const seal_key_t *mk, const char *alg, int64_t publish_until,
            char *kid_out, size_t n, wx_err_t *err)
{
    store_key_t *k = calloc(1, sizeof(*k));
    wx_status_t rc;
    if (!k)
        return wx_err_set(err, WX_ENOMEM, "out of memory");
    if (!keys_alg_valid(alg)) {
        rc = wx_err_set(err, WX_EINVAL, "alg must be RS256, ES256 or EdDSA");
        goto out;
    }
    if (!alg[0])
        alg = "RS256";
    if ((rc = key_make(mk, alg, k, err)) != WX_OK)
        goto out;
    /* Other nodes notice the new key within KEYS_RECHECK_S and sign with the old one until
     * then: keep it published that much longer, or their last tokens would outlive it. */
    rc = store_key_rotate(st, k, k->created_at, publish_until + KEYS_RECHECK_S, err);
    if (rc == WX_OK) {
        wx_strlcpy(kid_out, k->kid, n);
        wx_log(WX_LOG_INFO, "signing_key_rotated", "kid", k->kid, "alg", alg, NULL);
    }
out:
    OPENSSL_cleanse(k, sizeof(*k));
    free(k);
    return rc;
}

wx_status_t
keys_app_secret_new(const seal_key_t *mk, const char *app_id, char *plain, size_t plain_n,
                    char *sealed, size_t sealed_n, wx_err_t *err)
{
    char aad[STORE_ID_MAX + 16];
    if (plain_n < 65)
        return wx_err_set(err, WX_EINVAL, "no room for the secret");
    if (wx_rand_hex(plain, 32) != WX_OK)
        return wx_err_set(err, WX_ECRYPTO, "no randomness for the application secret");
    wx_snprintf(aad, sizeof(aad), "app_secret:%s", app_id);
    return seal_text(mk, aad, plain, sealed, sealed_n, err);
}

wx_status_t
keys_app_secret_set(const seal_key_t *mk, const char *app_id, const char *given, char *sealed,
                    size_t sealed_n, wx_err_t *err)
{
    char aad[STORE_ID_MAX + 16];
    size_t n = given ? strlen(given) : 0;
    /* Authing's secrets are 32 hex digits; anything a backend can hold as one word will do. */
    if (n < 16 || n > 128)
        return wx_err_set(err, WX_EINVAL, "an application secret must be 16 to 128 characters");
    for (size_t i = 0; i < n; i++)
        if (given[i] <= ' ' || given[i] > '~')
            return wx_err_set(err, WX_EINVAL,
                              "an application secret must be printable ASCII without spaces");
    wx_snprintf(aad, sizeof(aad), "app_secret:%s", app_id);
    return seal_text(mk, aad, given, sealed, sealed_n, err);
}

static void
conn_aad(const store_conn_t *c, char *aad, size_t n)
{
    wx_snprintf(aad, n, "conn_secret:%s/%s", c->pool_id, c->identifier);
}

wx_status_t
keys_conn_secret_seal(const seal_key_t *mk, const store_conn_t *c, const char *plain, char *out,
                      size_t n, wx_err_t *err)
{
    char aad[2 * STORE_ID_MAX + 16];
    conn_aad(c, aad, sizeof(aad));
    return seal_text(mk, aad, plain, out, n, err);
}

wx_status_t
keys_conn_secret_open(const seal_key_t *mk, const store_conn_t *c, char *out, size_t n,
                      wx_err_t *err)
{
    char aad[2 * STORE_ID_MAX + 16];
    conn_aad(c, aad, sizeof(aad));
    return seal_open(mk, aad, c->app_secret, out, n, err);
}

wx_status_t
keys_conn_field_seal(const seal_key_t *mk, const store_conn_t *c, const char *field,
                     const char *plain, char *out, size_t n, wx_err_t *err)
{
    char aad[2 * STORE_ID_MAX + 48];
    wx_snprintf(aad, sizeof(aad), "conn_%s:%s/%s", field, c->pool_id, c->identifier);
    return seal_text(mk, aad, plain, out, n, err);
}

wx_status_t
keys_conn_field_open(const seal_key_t *mk, const store_conn_t *c, const char *field,
                     const char *sealed, char *out, size_t n, wx_err_t *err)
{
    char aad[2 * STORE_ID_MAX + 48];
    wx_snprintf(aad, sizeof(aad), "conn_%s:%s/%s", field, c->pool_id, c->identifier);
    return seal_open(mk, aad, sealed, out, n, err);
}

wx_status_t
keys_wxtoken_seal(const seal_key_t *mk, const char *appid, const char *plain, char *out, size_t n,
                  wx_err_t *err)
{
    char aad[STORE_ID_MAX + 32];
    wx_snprintf(aad, sizeof(aad), "wx_access_token:%s", appid);
    return seal_text(mk, aad, plain, out, n, err);
}

wx_status_t
keys_wxtoken_open(const seal_key_t *mk, const char *appid, const char *sealed, char *out, size_t n,
                  wx_err_t *err)
{
    char aad[STORE_ID_MAX + 32];
    wx_snprintf(aad, sizeof(aad), "wx_access_token:%s", appid);
    return seal_open(mk, aad, sealed, out, n, err);
}

/* ---- per-worker cache ---- */

keys_cache_t *
keys_cache_new(store_t *st, const seal_key_t *mk, keys_shared_t *shared)
{
    keys_cache_t *kc = calloc(1, sizeof(*kc));
    if (kc) {
        kc->st = st;
        kc->mk = mk;
        kc->shared = shared;
    }
    return kc;
}

static void
published_clear(keys_cache_t *kc)
{
    for (size_t i = 0; i < kc->npublished; i++)
        jwk_free(kc->published[i]);
    kc->npublished = 0;
}

void
keys_cache_free(keys_cache_t *kc)
{
    if (!kc)
        return;
    for (int i = 0; i < KEYS_ALG_COUNT; i++)
        jwk_free(kc->signing[i]);
    published_clear(kc);
    for (size_t i = 0; i < KEYS_APP_CACHE; i++)
        jwk_free(kc->apps[i].key);
    free(kc);
}

static uint_fast64_t shared_gen(const keys_cache_t *kc);

void
keys_cache_changed(keys_cache_t *kc)
{
    if (kc->shared)
        atomic_fetch_add(&kc->shared->generation, 1);
}

wx_status_t
keys_signing(keys_cache_t *kc, const char *alg, const jwk_t **out, wx_err_t *err)
{
    int i = alg_index(alg);
    int64_t now = wx_now();
    uint_fast64_t gen = shared_gen(kc); /* read first: a later bump means another re-read */
    store_key_t *k = NULL;
    wx_status_t rc = WX_OK;
    if (i < 0)
        return wx_err_set(err, WX_ECONFIG, "the pool's signing alg is not RS256, ES256 or EdDSA");
    if (kc->signing[i] && now - kc->signing_at[i] < KEYS_RECHECK_S && kc->signing_gen[i] == gen)
        goto out;
    if (!(k = calloc(1, sizeof(*k))))
        return wx_err_set(err, WX_ENOMEM, "out of memory");
    rc = store_key_current(kc->st, keys_algs[i], k, err);
    if (rc == WX_ENOENT) { /* first token of this alg */
        wx_err_clear(err);
        rc = keys_ensure(kc->st, kc->mk, keys_algs[i], err);
        if (rc == WX_OK)
            rc = store_key_current(kc->st, keys_algs[i], k, err);
    }
    if (rc == WX_OK && (!kc->signing[i] || strcmp(jwk_kid(kc->signing[i]), k->kid) != 0)) {
        jwk_t *nk = NULL;
        rc = key_open(kc->mk, k, &nk, err);
        if (rc == WX_OK) {
            jwk_free(kc->signing[i]);
            kc->signing[i] = nk;
            /* A key new to this worker (just made, or rotated in) may be unknown to the
             * published sets of every worker, ours included: have them all re-read before
             * they verify or publish again, or the token about to be signed would be refused
             * as "unknown signing key" and missing from the JWKS until their next re-read. */
            keys_cache_changed(kc);
        }
    }
    if (rc != WX_OK && kc->signing[i]) {
        /* Keep signing with the key we have; the store may be back next time. */
        wx_log(WX_LOG_WARN, "signing_key_reload_failed", "error", err->msg, "detail", err->detail,
               NULL);
        wx_err_clear(err);
        rc = WX_OK;
    }
    if (rc == WX_OK) {
        kc->signing_at[i] = now;
        kc->signing_gen[i] = gen;
    }
out:
    if (k) {
        OPENSSL_cleanse(k, sizeof(*k));
        free(k);
    }
    *out = rc == WX_OK ? kc->signing[i] : NULL;
    return rc;
}

typedef struct {
    keys_cache_t *kc;
    jwk_t *keys[KEYS_PUBLISHED_MAX];
    size_t n;
    int64_t now;
    wx_err_t *err;
    wx_status_t rc;
} load_walk_t;

static bool
load_one(const store_key_t *k, void *arg)
{
    load_walk_t *w = arg;
    if (k->retired_at != 0 && k->publish_until <= w->now)
        return true; /* every token it signed has expired */
    if (w->n == KEYS_PUBLISHED_MAX)
        return false; /* newest first, so the oldest are the ones left out */
    if (alg_index(k->alg) < 0)
        return true;
    jwk_t *j = NULL;
    wx_err_t e = {0};
    if (key_open(w->kc->mk, k, &j, &e) != WX_OK) {
        wx_log(WX_LOG_ERROR, "signing_key_unreadable", "kid", k->kid, "error", e.msg, NULL);
        return true;
    }
    w->keys[w->n++] = j;
    return true;
}

static uint_fast64_t
shared_gen(const keys_cache_t *kc)
{
    return kc->shared ? atomic_load(&kc->shared->generation) : 0;
}

static wx_status_t
published_load(keys_cache_t *kc, wx_err_t *err)
{
    uint_fast64_t gen = shared_gen(kc); /* read first: a later bump means another re-read */
    load_walk_t *w = calloc(1, sizeof(*w));
    if (!w)
        return wx_err_set(err, WX_ENOMEM, "out of memory");
    w->kc = kc;
    w->now = wx_now();
    w->err = err;
    wx_status_t rc = store_key_each(kc->st, load_one, w, err);
    if (rc == WX_OK) {
        published_clear(kc);
        memcpy(kc->published, w->keys, w->n * sizeof(w->keys[0]));
        kc->npublished = w->n;
        kc->published_at = w->now;
        kc->published_gen = gen;
    } else {
        for (size_t i = 0; i < w->n; i++)
            jwk_free(w->keys[i]);
    }
    free(w);
    return rc;
}

static void
published_fresh(keys_cache_t *kc)
{
    wx_err_t err = {0};
    if (kc->published_at && kc->published_gen == shared_gen(kc) &&
        wx_now() - kc->published_at < KEYS_RECHECK_S)
        return;
    if (published_load(kc, &err) != WX_OK)
        wx_log(WX_LOG_WARN, "keys_reload_failed", "error", err.msg, "detail", err.detail, NULL);
}

bool
keys_reload_for_unknown_kid(keys_cache_t *kc)
{
    int64_t now = wx_now();
    wx_err_t err = {0};
    if (now - kc->unknown_kid_at < KEYS_UNKNOWN_KID_S)
        return false;
    kc->unknown_kid_at = now;
    if (published_load(kc, &err) != WX_OK) {
        wx_log(WX_LOG_WARN, "keys_reload_failed", "error", err.msg, "detail", err.detail, NULL);
        return false;
    }
    return true;
}

wx_status_t
keys_app_hmac(keys_cache_t *kc, const char *app_id, const jwk_t **out, wx_err_t *err)
{
    store_app_t *app = NULL;
    char plain[STORE_SECRET_PLAIN_MAX + 1], aad[STORE_ID_MAX + 16];
    jwk_t *k = NULL;
    wx_status_t rc = WX_OK;
    *out = NULL;
    if (!(app = calloc(1, sizeof(*app))))
        return wx_err_set(err, WX_ENOMEM, "out of memory");
    /* The row is read every time (one lookup by primary key, like the revocation check every
     * token gets): an operator who resets a leaked secret must not wait for a cache to expire
     * while tokens signed with the old one still pass. Only the opened key is cached, keyed by
     * the sealed value it came from. */
    if ((rc = store_app_get(kc->st, app_id, app, err)) != WX_OK)
        goto out;
    if (strcmp(app->token_alg, "HS256") != 0 || !app->secret[0]) {
        rc = wx_err_set(err, WX_ENOENT, "application %.64s does not use HS256 tokens", app_id);
        goto out;
    }
    for (size_t i = 0; i < KEYS_APP_CACHE; i++) {
        app_key_t *a = &kc->apps[i];
        if (a->key && strcmp(a->app_id, app_id) == 0 && strcmp(a->sealed, app->secret) == 0) {
            *out = a->key;
            goto out;
        }
    }
    wx_snprintf(aad, sizeof(aad), "app_secret:%s", app->id);
    if ((rc = seal_open(kc->mk, aad, app->secret, plain, sizeof(plain), err)) != WX_OK)
        goto out;
    rc = jwk_from_secret((const unsigned char *)plain, strlen(plain), NULL, &k, err);
    if (rc != WX_OK)
        goto out;
    /* Replace this app's old entry, else the next slot round-robin. */
    size_t slot = kc->next_app;
    for (size_t i = 0; i < KEYS_APP_CACHE; i++)
        if (kc->apps[i].key && strcmp(kc->apps[i].app_id, app_id) == 0)
            slot = i;
    if (slot == kc->next_app)
        kc->next_app = (kc->next_app + 1) % KEYS_APP_CACHE;
    jwk_free(kc->apps[slot].key);
    kc->apps[slot].key = k;
    wx_strlcpy(kc->apps[slot].sealed, app->secret, sizeof(kc->apps[slot].sealed));
    wx_strlcpy(kc->apps[slot].app_id, app_id, sizeof(kc->apps[slot].app_id));
    *out = k;
out:
    OPENSSL_cleanse(plain, sizeof(plain));
    OPENSSL_cleanse(app->secret, sizeof(app->secret));
    free(app);
    return rc;
}

const jwk_t *
keys_lookup(const char *kid, const char *alg, void *arg)
{
    keys_cache_t *kc = arg;
    if (!kid || !kid[0])
        return NULL; /* we always set a kid; a token without one is not ours */
    if (strcmp(alg, "HS256") == 0) {
        size_t pl = strlen(KEYS_HS256_KID_PREFIX);
        const jwk_t *k = NULL;
        wx_err_t err = {0};
        if (strncmp(kid, KEYS_HS256_KID_PREFIX, pl) != 0 || strlen(kid + pl) >= STORE_ID_MAX)
            return NULL;
        if (keys_app_hmac(kc, kid + pl, &k, &err) != WX_OK)
            return NULL;
        return k;
    }
    published_fresh(kc);
    for (size_t i = 0; i < kc->npublished; i++) {
        const jwk_t *k = kc->published[i];
        if (strcmp(jwk_kid(k), kid) == 0)
            return strcmp(jwk_alg(k), alg) == 0 ? k : NULL;
    }
    return NULL;
}

wx_status_t
keys_jwks(keys_cache_t *kc, json_t **out, char *etag, size_t etag_n, wx_err_t *err)
{
    json_t *doc = NULL, *arr = json_array();
    char *text = NULL, hex[65];
    wx_status_t rc = WX_OK;
    *out = NULL;
    published_fresh(kc);
    if (!arr) {
        rc = wx_err_set(err, WX_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < kc->npublished; i++) {
        json_t *j = NULL;
        if ((rc = jwk_public_json(kc->published[i], &j, err)) != WX_OK)
            goto out;
        json_array_append_new(arr, j);
    }
    doc = json_pack("{s:O}", "keys", arr);
    text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    if (!text) {
        rc = wx_err_set(err, WX_ENOMEM, "out of memory");
        goto out;
    }
    wx_sha256_hex(text, strlen(text), hex);
    wx_snprintf(etag, etag_n, "\"%.32s\"", hex);
    *out = doc;
    doc = NULL;
out:
    free(text);
    json_decref(arr);
    json_decref(doc);
    return rc;
}
