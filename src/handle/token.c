/* Token issue and the one online check (see token.h). */
#include "token.h"
#include "reads.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "../jose/jws.h"
#include "../proto/claims.h"
#include "../util/clock.h"
#include "../util/log.h"

/* Every alg we may have signed with; "none" is refused by jws_verify whatever the list. */
static const char *const token_algs[] = {"RS256", "ES256", "EdDSA", "HS256", NULL};

wx_status_t
token_sign(worker_ctx_t *ctx, const char *pool_alg, const char *app_id, const char *payload,
           wx_buf_t *out, wx_err_t *err)
{
    const jwk_t *key = NULL;
    wx_status_t rc = WX_ENOENT;
    if (app_id && app_id[0]) {
        rc = keys_app_hmac(ctx->keys, app_id, &key, err);
        if (rc == WX_OK) {
            /* The HS256 key carries no kid of its own; name the app so verifiers find it. */
            char hdr[STORE_ID_MAX + 64];
            wx_snprintf(hdr, sizeof(hdr), "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"%s%s\"}",
                        KEYS_HS256_KID_PREFIX, app_id);
            return jws_sign_with_header(key, hdr, payload, strlen(payload), out, err);
        }
        if (rc != WX_ENOENT)
            return rc;
        wx_err_clear(err);
    }
    rc = keys_signing(ctx->keys, pool_alg, &key, err);
    if (rc == WX_OK)
        rc = jws_sign(key, payload, strlen(payload), out, err);
    return rc;
}

static void
set(token_result_t *out, token_status_t st, const char *why)
{
    out->status = st;
    out->why = why;
}

/* What the check still needs the store for, read off the loop (handle/reads.h). */
typedef struct {
    http_req_t *r;
    token_check_cb cb;
    void *arg;
    token_result_t res;
    json_t *header, *payload;
    char *token; /* for the verified-token cache */
    size_t len;
    /* inputs of the job */
    bool need_app, need_revoked;
    char aud[STORE_ID_MAX], pool[STORE_ID_MAX], sub[STORE_ID_MAX];
    int64_t iat;
    uint64_t gen;
    int64_t at_ms;
    /* what it read */
    wx_status_t app_rc, rev_rc;
    wx_err_t app_err, rev_err;
    char app_pool[STORE_ID_MAX];
    bool revoked;
} token_job_t;

static void
token_job_free(token_job_t *j)
{
    json_decref(j->header);
    json_decref(j->payload);
    free(j->token);
    free(j);
}

static wx_status_t
token_job_run(store_t *st, void *arg, wx_err_t *err)
{
    token_job_t *j = arg;
    (void)err;
    if (j->need_app) {
        store_app_t *app = calloc(1, sizeof(*app));
        j->app_rc = app ? store_app_get(st, j->aud, app, &j->app_err)
                        : wx_err_set(&j->app_err, WX_ENOMEM, "out of memory");
        if (j->app_rc == WX_OK)
            wx_strlcpy(j->app_pool, app->pool_id, sizeof(j->app_pool));
        if (app)
            OPENSSL_cleanse(app->secret, sizeof(app->secret));
        free(app);
        if (j->app_rc != WX_OK)
            return WX_OK; /* no revocation read for a token refused anyway */
    }
    if (j->need_revoked)
        j->rev_rc =
            store_token_revoked(st, j->res.jti, j->pool, j->sub, j->iat, &j->revoked, &j->rev_err);
    return WX_OK;
}

/* Back on the loop: the audience and revocation answers decide. */
static void
token_job_done(wx_status_t rc, const wx_err_t *err, void *arg)
{
    token_job_t *j = arg;
    token_result_t *out = &j->res;
    worker_ctx_t *ctx = handle_ctx(j->r);
    if (rc != WX_OK) { /* the job never ran */
        j->app_rc = j->need_app ? rc : WX_OK;
        j->rev_rc = rc;
        j->app_err = j->rev_err = *err;
    }
    if (j->need_app) {
        if (j->app_rc == WX_ENOENT || (j->app_rc == WX_OK && strcmp(j->app_pool, j->pool) != 0)) {
            set(out, TOKEN_BAD_CLAIMS, "wrong audience");
            goto done;
        }
        if (j->app_rc != WX_OK) {
            wx_log(WX_LOG_ERROR, "audience_check_failed", "error", j->app_err.msg, "detail",
                   j->app_err.detail, NULL);
            set(out, TOKEN_ERROR, "cannot check the audience");
            goto done;
        }
    }
    if (j->need_revoked) {
        if (j->rev_rc != WX_OK) {
            wx_log(WX_LOG_ERROR, "revocation_check_failed", "error", j->rev_err.msg, "detail",
                   j->rev_err.detail, NULL);
            set(out, TOKEN_ERROR, "cannot check revocation");
            goto done;
        }
        if (j->revoked) {
            set(out, TOKEN_REVOKED, "token revoked, or its user blocked or deleted");
            goto done;
        }
        token_cache_set_unrevoked(ctx->verified, j->token, j->len, j->gen, j->at_ms);
    }
    set(out, TOKEN_OK, "ok");
    out->payload = j->payload;
    j->payload = NULL;
done:
    j->cb(j->r, out, j->arg);
    token_result_free(out);
    token_job_free(j);
}

/* The one check; fresh: ask the store about revocation even when a recent "not revoked" answer
 * is remembered (token_cache.h). Signature and claims are checked on the loop; the audience
 * (an application's pool) and revocation are read off it. */
static void
token_check_run(http_req_t *r, const char *token, const char *audience, bool fresh,
                token_check_cb cb, void *arg)
{
    worker_ctx_t *ctx = handle_ctx(r);
    wx_err_t err = {0};
    json_t *header = NULL, *payload = NULL;
    const char *why = NULL;
    bool unrevoked = false;
    token_result_t res = {0}, *out = &res;
    token_job_t *j = NULL;
    if (!token || !token[0]) {
        set(out, TOKEN_MISSING, "no token");
        goto fail;
    }
    size_t len = strnlen(token, JWS_MAX_TOKEN + 1);
    if (len > JWS_MAX_TOKEN) {
        set(out, TOKEN_TOO_BIG, "token too long");
        goto fail;
    }
    wx_status_t rc = WX_OK;
    jws_reason_t reason = JWS_REASON_OK;
    if (token_cache_get(ctx->verified, token, len, wx_mono_ms(), &header, &payload, &unrevoked)) {
        /* Verified before; the key must still be published (a retired key that left the JWKS
         * stops its tokens here as it would in jws_verify). */
        if (!keys_lookup(json_string_value(json_object_get(header, "kid")),
                         json_string_value(json_object_get(header, "alg")), ctx->keys))
            reason = JWS_REASON_UNKNOWN_KEY;
    } else {
        rc = jws_verify(token, len, token_algs, keys_lookup, ctx->keys, &header, &payload, &reason,
                        &err);
        if (reason == JWS_REASON_UNKNOWN_KEY && keys_reload_for_unknown_kid(ctx->keys)) {
            wx_err_clear(&err); /* a key rotated on another node since our last read */
            rc = jws_verify(token, len, token_algs, keys_lookup, ctx->keys, &header, &payload,
                            &reason, &err);
        }
        /* Never HS256: the application's secret can be reset under the same kid. */
        if (rc == WX_OK && strcmp(json_string_value(json_object_get(header, "alg")), "HS256") != 0)
            token_cache_put(ctx->verified, token, len, header, payload);
    }
    /* Decided on the reason, never on err's wording: rewording a message changes nothing. */
    switch (reason) {
    case JWS_REASON_OK:
        break;
    case JWS_REASON_TOO_BIG:
        set(out, TOKEN_TOO_BIG, "token too long");
        goto fail;
    case JWS_REASON_UNKNOWN_KEY:
        set(out, TOKEN_BAD_KEY, "unknown signing key");
        goto fail;
    case JWS_REASON_SIGNATURE:
        set(out, TOKEN_BAD_SIG, "bad signature");
        goto fail;
    case JWS_REASON_ALG_NONE:
    case JWS_REASON_ALG_NOT_ALLOWED:
    case JWS_REASON_ALG_UNSUPPORTED:
    case JWS_REASON_CRIT:
    case JWS_REASON_B64:
    case JWS_REASON_KEY_ALG:
        set(out, TOKEN_BAD_KEY, "algorithm or key not accepted");
        goto fail;
    case JWS_REASON_INTERNAL:
        /* our failure (memory, crypto library), not the token's: logged as such */
        wx_log(WX_LOG_ERROR, "token_verify_failed", "error", err.msg, "detail", err.detail, NULL);
        set(out, TOKEN_ERROR, "could not verify the token");
        goto fail;
    case JWS_REASON_ARG:
    case JWS_REASON_MALFORMED:
    default:
        set(out, TOKEN_MALFORMED, "malformed token");
        goto fail;
    }
    claims_rules_t rules = {.issuer = ctx->app->issuer,
                            .audience = audience,
                            .now = wx_now(),
                            .leeway = ctx->app->cfg->token_leeway,
                            .require_jti = true};
    switch (claims_check(payload, &rules, &why)) {
    case CLAIMS_OK:
        break;
    case CLAIMS_EXPIRED:
        set(out, TOKEN_EXPIRED, why);
        goto fail;
    case CLAIMS_NOT_YET:
        set(out, TOKEN_NOT_YET, why);
        goto fail;
    default:
        set(out, TOKEN_BAD_CLAIMS, why);
        goto fail;
    }
    /* Is aud one we issue for in the token's pool: the pool itself (pool flow) or one of its
     * applications (application flow)? Only we sign with our keys, but an application's HS256
     * secret is also held by that application's backend: a token signed with it must be for
     * that application and its pool, or the secret would mint tokens for every other
     * application and pool. */
    const char *aud = json_string_value(json_object_get(payload, "aud"));
    const char *pool = json_string_value(json_object_get(payload, "userPoolId"));
    const char *sub = json_string_value(json_object_get(payload, "sub"));
    const char *alg = json_string_value(json_object_get(header, "alg"));
    const char *kid = json_string_value(json_object_get(header, "kid"));
    size_t pl = strlen(KEYS_HS256_KID_PREFIX);
    bool hmac = alg && strcmp(alg, "HS256") == 0;
    if (!aud || !pool ||
        (hmac && (!kid || strncmp(kid, KEYS_HS256_KID_PREFIX, pl) != 0 || strcmp(kid + pl, aud)))) {
        set(out, TOKEN_BAD_CLAIMS, "wrong audience");
        goto fail;
    }
    wx_strlcpy(out->jti, json_string_value(json_object_get(payload, "jti")), sizeof(out->jti));
    claims_int(payload, "exp", &out->exp);
    bool need_app = hmac || strcmp(aud, pool) != 0;
    bool need_revoked = fresh || !unrevoked;
    if (!need_app && !need_revoked) {
        set(out, TOKEN_OK, "ok");
        out->payload = payload;
        json_decref(header);
        cb(r, out, arg);
        token_result_free(out);
        return;
    }
    if (!(j = calloc(1, sizeof(*j))) || !(j->token = strndup(token, len)) ||
        !wx_strlcpy(j->aud, aud, sizeof(j->aud)) || !wx_strlcpy(j->pool, pool, sizeof(j->pool)) ||
        !wx_strlcpy(j->sub, sub ? sub : "", sizeof(j->sub))) {
        /* an id too long for the store is none of ours */
        set(out, j && j->token ? TOKEN_BAD_CLAIMS : TOKEN_ERROR,
            j && j->token ? "wrong audience" : "out of memory");
        if (j)
            token_job_free(j);
        goto fail;
    }
    j->r = r;
    j->cb = cb;
    j->arg = arg;
    j->res = *out;
    j->header = header;
    j->payload = payload;
    j->len = len;
    j->need_app = need_app;
    j->need_revoked = need_revoked;
    claims_int(payload, "iat", &j->iat);
    /* Generation and time are taken before the read: a revocation committed meanwhile makes
     * the answer stale, and its age is never under-counted. */
    j->gen = token_cache_revocation_gen();
    j->at_ms = wx_mono_ms();
    handle_read(r->worker, token_job_run, token_job_done, j);
    return;
fail:
    json_decref(header);
    json_decref(payload);
    cb(r, out, arg);
}

void
token_check(http_req_t *r, const char *token, const char *audience, token_check_cb cb, void *arg)
{
    token_check_run(r, token, audience, false, cb, arg);
}

void
token_check_fresh(http_req_t *r, const char *token, const char *audience, token_check_cb cb,
                  void *arg)
{
    token_check_run(r, token, audience, true, cb, arg);
}

void
token_result_free(token_result_t *r)
{
    json_decref(r->payload);
    r->payload = NULL;
}

const char *
token_from_bearer(http_req_t *r)
{
    const char *h = http_req_header(r, "Authorization");
    if (!h || strncasecmp(h, "Bearer ", 7) != 0)
        return NULL;
    h += 7;
    while (*h == ' ')
        h++;
    return *h ? h : NULL;
}

void
token_log_refusal(http_req_t *r, const char *endpoint, const token_result_t *res)
{
    wx_log(res->status == TOKEN_ERROR ? WX_LOG_ERROR : WX_LOG_INFO, "token_refused", "rid", r->id,
           "endpoint", endpoint, "reason", res->why, NULL);
}
