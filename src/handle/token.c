/* Token issue and the one online check (see token.h). */
#include "token.h"

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

/* Is aud one we issue for in the token's pool: the pool itself (pool flow) or one of its
 * applications (application flow)? Only we sign with our keys, but an application's HS256
 * secret is also held by that application's backend: a token signed with it must be for that
 * application and its pool, or the secret would mint tokens for every other application and
 * pool. WX_EDENIED when it is not; another status when the store failed. */
static wx_status_t
token_audience_check(worker_ctx_t *ctx, const json_t *header, const json_t *payload, wx_err_t *err)
{
    const char *aud = json_string_value(json_object_get(payload, "aud"));
    const char *pool = json_string_value(json_object_get(payload, "userPoolId"));
    const char *alg = json_string_value(json_object_get(header, "alg"));
    const char *kid = json_string_value(json_object_get(header, "kid"));
    size_t pl = strlen(KEYS_HS256_KID_PREFIX);
    bool hmac = alg && strcmp(alg, "HS256") == 0;
    if (!aud || !pool)
        return WX_EDENIED;
    if (hmac && (!kid || strncmp(kid, KEYS_HS256_KID_PREFIX, pl) != 0 || strcmp(kid + pl, aud)))
        return WX_EDENIED;
    if (!hmac && strcmp(aud, pool) == 0)
        return WX_OK;
    store_app_t *app = calloc(1, sizeof(*app));
    if (!app)
        return wx_err_set(err, WX_ENOMEM, "out of memory");
    wx_status_t rc = store_app_get(ctx->store, aud, app, err);
    if (rc == WX_ENOENT || (rc == WX_OK && strcmp(app->pool_id, pool) != 0))
        rc = WX_EDENIED;
    OPENSSL_cleanse(app->secret, sizeof(app->secret));
    free(app);
    return rc;
}

/* The one check; fresh: ask the store about revocation even when a recent "not revoked" answer
 * is remembered (token_cache.h). */
static void
token_check_run(worker_ctx_t *ctx, const char *token, const char *audience, bool fresh,
                token_result_t *out)
{
    wx_err_t err = {0};
    json_t *header = NULL, *payload = NULL;
    const char *why = NULL;
    bool unrevoked = false;
    memset(out, 0, sizeof(*out));
    if (!token || !token[0]) {
        set(out, TOKEN_MISSING, "no token");
        return;
    }
    size_t len = strnlen(token, JWS_MAX_TOKEN + 1);
    if (len > JWS_MAX_TOKEN) {
        set(out, TOKEN_TOO_BIG, "token too long");
        return;
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
    rc = token_audience_check(ctx, header, payload, &err);
    if (rc == WX_EDENIED) {
        set(out, TOKEN_BAD_CLAIMS, "wrong audience");
        goto fail;
    }
    if (rc != WX_OK) {
        wx_log(WX_LOG_ERROR, "audience_check_failed", "error", err.msg, "detail", err.detail, NULL);
        set(out, TOKEN_ERROR, "cannot check the audience");
        goto fail;
    }
    wx_strlcpy(out->jti, json_string_value(json_object_get(payload, "jti")), sizeof(out->jti));
    claims_int(payload, "exp", &out->exp);
    if (fresh || !unrevoked) {
        /* Generation and time are taken before the read: a revocation committed meanwhile
         * makes the answer stale, and its age is never under-counted. */
        uint64_t gen = token_cache_revocation_gen();
        int64_t at_ms = wx_mono_ms();
        bool revoked = true;
        int64_t iat = 0;
        claims_int(payload, "iat", &iat);
        if (store_token_revoked(
                ctx->store, out->jti, json_string_value(json_object_get(payload, "userPoolId")),
                json_string_value(json_object_get(payload, "sub")), iat, &revoked, &err) != WX_OK) {
            wx_log(WX_LOG_ERROR, "revocation_check_failed", "error", err.msg, "detail", err.detail,
                   NULL);
            set(out, TOKEN_ERROR, "cannot check revocation");
            goto fail;
        }
        if (revoked) {
            set(out, TOKEN_REVOKED, "token revoked, or its user blocked or deleted");
            goto fail;
        }
        token_cache_set_unrevoked(ctx->verified, token, len, gen, at_ms);
    }
    set(out, TOKEN_OK, "ok");
    out->payload = payload;
    json_decref(header);
    return;
fail:
    json_decref(header);
    json_decref(payload);
}

void
token_check(worker_ctx_t *ctx, const char *token, const char *audience, token_result_t *out)
{
    token_check_run(ctx, token, audience, false, out);
}

void
token_check_fresh(worker_ctx_t *ctx, const char *token, const char *audience, token_result_t *out)
{
    token_check_run(ctx, token, audience, true, out);
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
