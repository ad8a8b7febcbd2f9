/* POST /oidc/token: the OpenID Connect token endpoint (RFC 6749 §3.2, §4.1.3, §6; OIDC Core
 * §3.1.3; RFC 7636; RFC 9700 §4.14). Grants: authorization_code (single use: a replayed code
 * takes back what it issued) and refresh_token (rotated at each use; a used one coming back
 * revokes its family). Clients: client_secret_basic, client_secret_post, or none for public
 * clients, which must have used PKCE. Errors are RFC 6749 §5.2 JSON. */
#include "ctx.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "../http/reply.h"
#include "../proto/authing.h"
#include "../proto/oidc.h"
#include "../util/clock.h"
#include "../util/log.h"
#include "../util/rand.h"
#include "client_auth.h"
#include "form.h"
#include "token.h"
#include "token_cache.h"

#define REFRESH_LEN 43
#define REFRESH_TTL_DEFAULT (30 * 86400)

/* What one grant hands out. */
typedef struct {
    const char *pool_id, *user_id, *scope, *sid, *nonce, *family;
    int64_t auth_time;
} grant_t;

static void
token_error(http_req_t *r, int status, const char *error, const char *description)
{
    r->outcome = error;
    wx_log(WX_LOG_INFO, "oidc_token_refused", "rid", r->id, "error", error, "description",
           description, NULL);
    if (status == 401)
        http_add_header(r, "WWW-Authenticate", "Basic realm=\"wxauth\"");
    http_add_header(r, "Cache-Control", "no-store");
    http_reply_json(r, status,
                    json_pack("{s:s,s:s}", "error", error, "error_description", description));
}

/* Sign claims for the client; *alg gets the JWS alg used (for at_hash). */
static wx_status_t
sign_claims(worker_ctx_t *ctx, const store_pool_t *pool, const store_app_t *app, json_t *claims,
            wx_buf_t *out, wx_err_t *err)
{
    char *payload = json_dumps(claims, JSON_COMPACT);
    if (!payload)
        return wx_err_set(err, WX_ENOMEM, "out of memory");
    wx_status_t rc = token_sign(ctx, pool->alg, app->id, payload, out, err);
    free(payload);
    return rc;
}

static const char *
alg_of(const store_pool_t *pool, const store_app_t *app)
{
    if (strcmp(app->token_alg, "HS256") == 0)
        return "HS256";
    return pool->alg[0] ? pool->alg : "RS256";
}

/* Access token, ID token and a refresh token of the grant's family: the JSON answer. */
static void
issue(http_req_t *r, worker_ctx_t *ctx, const store_app_t *app, const grant_t *g,
      const char *code_hash)
{
    const wx_config_t *cfg = ctx->app->cfg;
    store_pool_t pool;
    store_user_t *u = calloc(1, sizeof(*u));
    store_oidc_refresh_t rt = {0};
    wx_err_t err = {0};
    json_t *ac = NULL, *ic = NULL;
    wx_buf_t at, it;
    char jti[24], id_jti[24], refresh[REFRESH_LEN + 1] = "", at_hash[100];
    wx_buf_init(&at, 16384);
    wx_buf_init(&it, 16384);
    if (!u || conf_pool_get(ctx->conf, ctx->store, g->pool_id, &pool, &err) != WX_OK) {
        token_error(r, 400, "invalid_grant", "the user pool of this grant no longer exists");
        goto out;
    }
    wx_status_t rc = store_user_get(ctx->store, g->pool_id, g->user_id, u, &err);
    if (rc == WX_ENOENT || (rc == WX_OK && u->blocked)) {
        token_error(r, 400, "invalid_grant", "the user no longer exists or is blocked");
        goto out;
    } else if (rc != WX_OK) {
        token_error(r, 503, "temporarily_unavailable", "the store cannot be read; try again");
        goto out;
    }
    int64_t now = wx_now();
    int64_t base_ttl = pool.token_ttl > 0 ? pool.token_ttl : cfg->token_ttl;
    int64_t access_exp = now + (app->access_ttl > 0 ? app->access_ttl : base_ttl);
    int64_t id_exp = now + (app->id_ttl > 0 ? app->id_ttl : base_ttl);
    if (wx_rand_alnum(jti, 22) != WX_OK || wx_rand_alnum(id_jti, 22) != WX_OK ||
        wx_rand_alnum(refresh, REFRESH_LEN) != WX_OK)
        goto internal;
    /* The access token keeps the shape every online endpoint checks (api.md). */
    ac = authing_token_claims(u, ctx->app->issuer, app->id, now, access_exp, jti);
    if (!ac)
        goto internal;
    json_object_set_new(ac, "scope", json_string(g->scope));
    json_object_set_new(ac, "client_id", json_string(app->id));
    if (g->sid[0])
        json_object_set_new(ac, "sid", json_string(g->sid));
    if (sign_claims(ctx, &pool, app, ac, &at, &err) != WX_OK ||
        oidc_at_hash(alg_of(&pool, app), wx_buf_str(&at), at_hash, sizeof(at_hash)) != WX_OK)
        goto internal;
    /* OIDC Core §2 and §3.1.3.6: the ID token. */
    ic = authing_token_claims(u, ctx->app->issuer, app->id, now, id_exp, id_jti);
    if (!ic)
        goto internal;
    json_object_set_new(ic, "auth_time", json_integer(g->auth_time));
    json_object_set_new(ic, "at_hash", json_string(at_hash));
    json_object_set_new(ic, "azp", json_string(app->id));
    if (g->nonce && g->nonce[0])
        json_object_set_new(ic, "nonce", json_string(g->nonce));
    if (g->sid[0])
        json_object_set_new(ic, "sid", json_string(g->sid));
    if (sign_claims(ctx, &pool, app, ic, &it, &err) != WX_OK)
        goto internal;
    /* The refresh token: its hash only, in the family of the grant. */
    if (wx_sha256_hex(refresh, REFRESH_LEN, rt.hash) != WX_OK)
        goto internal;
    if (g->family[0])
        wx_strlcpy(rt.family, g->family, sizeof(rt.family));
    else if (wx_rand_alnum(rt.family, 24) != WX_OK)
        goto internal;
    wx_strlcpy(rt.pool_id, g->pool_id, sizeof(rt.pool_id));
    wx_strlcpy(rt.app_id, app->id, sizeof(rt.app_id));
    wx_strlcpy(rt.user_id, g->user_id, sizeof(rt.user_id));
    wx_strlcpy(rt.scope, g->scope, sizeof(rt.scope));
    wx_strlcpy(rt.sid, g->sid, sizeof(rt.sid));
    rt.auth_time = g->auth_time;
    rt.created_at = now;
    rt.expires_at = now + (app->refresh_ttl > 0 ? app->refresh_ttl : REFRESH_TTL_DEFAULT);
    if (store_oidc_refresh_add(ctx->store, &rt, &err) != WX_OK ||
        (code_hash &&
         store_oidc_code_issued(ctx->store, code_hash, jti, access_exp, rt.family, &err) != WX_OK))
        goto internal;
    r->outcome = code_hash ? "code_redeemed" : "refreshed";
    wx_snprintf(r->log_extra, sizeof(r->log_extra), "pool=%s app=%s", g->pool_id, app->id);
    http_add_header(r, "Cache-Control", "no-store");
    http_add_header(r, "Pragma", "no-cache");
    http_reply_json(r, 200,
                    json_pack("{s:s,s:s,s:I,s:s,s:s,s:s}", "access_token", wx_buf_str(&at),
                              "token_type", "Bearer", "expires_in", (json_int_t)(access_exp - now),
                              "id_token", wx_buf_str(&it), "refresh_token", refresh, "scope",
                              g->scope));
    goto out;
internal:
    wx_log(WX_LOG_ERROR, "oidc_token_failed", "rid", r->id, "error", err.msg, "detail", err.detail,
           NULL);
    token_error(r, 500, "server_error", "the tokens could not be issued; try again");
out:
    OPENSSL_cleanse(refresh, sizeof(refresh));
    if (at.data)
        OPENSSL_cleanse(at.data, at.len);
    if (it.data)
        OPENSSL_cleanse(it.data, it.len);
    wx_buf_free(&at);
    wx_buf_free(&it);
    json_decref(ac);
    json_decref(ic);
    free(u);
}

static void
grant_code(http_req_t *r, worker_ctx_t *ctx, const store_app_t *app, const wx_query_t *form)
{
    const char *code = wx_query_get(form, "code");
    const char *redirect_uri = wx_query_get(form, "redirect_uri");
    const char *verifier = wx_query_get(form, "code_verifier");
    store_oidc_code_t *c = calloc(1, sizeof(*c));
    char hash[65];
    wx_err_t err = {0};
    int64_t now = wx_now();
    if (!c) {
        token_error(r, 503, "temporarily_unavailable", "out of memory");
        return;
    }
    if (!code || !*code || strlen(code) > 256 || wx_sha256_hex(code, strlen(code), hash) != WX_OK) {
        token_error(r, 400, "invalid_request", "code is required");
        goto out;
    }
    wx_status_t rc = store_oidc_code_redeem(ctx->store, hash, now, c, &err);
    if (rc == WX_EUSED) {
        /* RFC 6749 §4.1.2: a code used twice revokes what it issued. */
        wx_err_t e2 = {0};
        if ((c->access_jti[0] &&
             token_revocations_changed_after(
                 store_revoke(ctx->store, c->access_jti, c->access_exp, now, &e2)) != WX_OK) ||
            store_oidc_family_revoke(ctx->store, c->family, now, &e2) != WX_OK)
            wx_log(WX_LOG_ERROR, "oidc_replay_revoke_failed", "rid", r->id, "error", e2.msg, NULL);
        wx_log(WX_LOG_WARN, "oidc_code_replayed", "rid", r->id, "client", app->id, NULL);
        token_error(r, 400, "invalid_grant",
                    "this code was already used: the tokens it issued are revoked");
        goto out;
    }
    if (rc == WX_ENOENT || rc == WX_EEXPIRED) {
        token_error(r, 400, "invalid_grant", "the code is unknown or expired");
        goto out;
    }
    if (rc != WX_OK) {
        token_error(r, 503, "temporarily_unavailable", "the store cannot be read; try again");
        goto out;
    }
    if (strcmp(c->app_id, app->id) != 0) {
        token_error(r, 400, "invalid_grant", "the code was issued to another client");
        goto out;
    }
    if (!redirect_uri || strcmp(redirect_uri, c->redirect_uri) != 0) {
        token_error(r, 400, "invalid_grant", "redirect_uri differs from the authorization request");
        goto out;
    }
    /* PKCE: a challenge needs its verifier; a verifier without a challenge is a downgrade
     * attempt (RFC 9700 §4.8.2). */
    if (c->code_challenge[0] ? !oidc_pkce_s256_ok(verifier, c->code_challenge) : verifier != NULL) {
        token_error(r, 400, "invalid_grant",
                    c->code_challenge[0] ? "code_verifier does not match the code_challenge"
                                         : "code_verifier given, but the request had no "
                                           "code_challenge");
        goto out;
    }
    if (app->public_client && !c->code_challenge[0]) {
        token_error(r, 400, "invalid_grant", "a public client must use PKCE");
        goto out;
    }
    grant_t g = {.pool_id = c->pool_id,
                 .user_id = c->user_id,
                 .scope = c->scope,
                 .sid = c->sid,
                 .nonce = c->nonce,
                 .family = "",
                 .auth_time = c->auth_time};
    issue(r, ctx, app, &g, hash);
out:
    free(c);
}

static void
grant_refresh(http_req_t *r, worker_ctx_t *ctx, const store_app_t *app, const wx_query_t *form)
{
    const char *tok = wx_query_get(form, "refresh_token");
    store_oidc_refresh_t t;
    char hash[65];
    wx_err_t err = {0};
    if (!tok || !*tok || strlen(tok) > 256 || wx_sha256_hex(tok, strlen(tok), hash) != WX_OK) {
        token_error(r, 400, "invalid_request", "refresh_token is required");
        return;
    }
    wx_status_t rc = store_oidc_refresh_rotate(ctx->store, hash, wx_now(), &t, &err);
    if (rc == WX_EUSED) {
        wx_log(WX_LOG_WARN, "oidc_refresh_reused", "rid", r->id, "client", app->id, NULL);
        token_error(r, 400, "invalid_grant",
                    "this refresh token was already used: every token of this grant is revoked");
        return;
    }
    if (rc == WX_ENOENT || rc == WX_EEXPIRED || rc == WX_EDENIED) {
        token_error(r, 400, "invalid_grant", "the refresh token is unknown, expired or revoked");
        return;
    }
    if (rc != WX_OK) {
        token_error(r, 503, "temporarily_unavailable", "the store cannot be read; try again");
        return;
    }
    if (strcmp(t.app_id, app->id) != 0) {
        token_error(r, 400, "invalid_grant", "the refresh token was issued to another client");
        return;
    }
    grant_t g = {.pool_id = t.pool_id,
                 .user_id = t.user_id,
                 .scope = t.scope,
                 .sid = t.sid,
                 .nonce = NULL,
                 .family = t.family,
                 .auth_time = t.auth_time};
    issue(r, ctx, app, &g, NULL);
}

/* The request's form, kept while the client is authenticated (off the loop on PostgreSQL). */
typedef struct {
    wx_query_t form;
} token_req_t;

static void
token_req_free(void *p)
{
    token_req_t *q = p;
    wx_query_free(&q->form);
    free(q);
}

/* The client is known (app): run the grant. */
static void
token_grant(http_req_t *r, store_app_t *app, const wx_query_t *form)
{
    worker_ctx_t *ctx = handle_ctx(r);
    const char *grant = wx_query_get(form, "grant_type");
    if (!grant)
        token_error(r, 400, "invalid_request", "grant_type is required");
    else if (strcmp(grant, "authorization_code") == 0)
        grant_code(r, ctx, app, form);
    else if (strcmp(grant, "refresh_token") == 0)
        grant_refresh(r, ctx, app, form);
    else
        /* authing-js-sdk's getAccessTokenByIdToken sends Authing's token-exchange grant
         * (http://authing.cn/oidc/grant_type/authing_token) with no client secret and no
         * PKCE: wxauth's login token is already accepted as an access token, so the exchange
         * would only let whoever holds an ID token mint more tokens. */
        token_error(r, 400, "unsupported_grant_type",
                    strcmp(grant, "http://authing.cn/oidc/grant_type/authing_token") == 0
                        ? "wxauth does not support Authing's token-exchange grant "
                          "(getAccessTokenByIdToken): the login token itself is accepted as "
                          "the access token at /oidc/me, introspection and validate_token"
                        : "grant_type must be authorization_code or refresh_token");
}

static void
token_client_done(http_req_t *r, client_auth_t res, const store_app_t *app, void *arg)
{
    token_req_t *q = arg;
    if (res == CLIENT_AUTH_ERROR) {
        token_error(r, 503, "temporarily_unavailable", "cannot read the client right now");
        return;
    }
    if (res != CLIENT_AUTH_OK || !app) {
        token_error(r, 401, "invalid_client", "unknown client or wrong secret");
        return;
    }
    store_app_t *a = malloc(sizeof(*a));
    if (!a) {
        token_error(r, 503, "temporarily_unavailable", "out of memory");
        return;
    }
    *a = *app;
    /* q (the form) lives with the request; a reply frees both, and nothing runs after it. */
    token_grant(r, a, &q->form);
    OPENSSL_cleanse(a->secret, sizeof(a->secret));
    free(a);
}

void
handle_oidc_token(http_req_t *r)
{
    worker_ctx_t *ctx = handle_ctx(r);
    wx_err_t err = {0};
    token_req_t *q = calloc(1, sizeof(*q));
    if (!q) {
        token_error(r, 503, "temporarily_unavailable", "out of memory");
        return;
    }
    if (handle_form_parse(r, &q->form, &err) != WX_OK) {
        token_req_free(q);
        token_error(r, 400, "invalid_request", err.msg);
        return;
    }
    r->data = q;
    r->data_free = token_req_free;
    /* client_id alone, no secret anywhere: "none" (client_authenticate takes it for a
     * half-given secret). */
    bool none = !http_req_header(r, "Authorization") && !wx_query_get(&q->form, "client_secret");
    if (!none) {
        client_authenticate(r, &q->form, token_client_done, q);
        return;
    }
    /* "none": a public client names itself and proves itself with PKCE. */
    store_app_t *app = calloc(1, sizeof(*app));
    const char *id = wx_query_get(&q->form, "client_id");
    wx_status_t rc = WX_ENOENT;
    if (app && id && handle_valid_id(id))
        rc = store_app_get(ctx->store, id, app, &err);
    if (!app || (rc != WX_OK && rc != WX_ENOENT)) {
        /* The store (or memory) failed, not the client: it may try again (RFC 6749 §5.2). */
        wx_log(WX_LOG_WARN, "oidc_client_read_failed", "rid", r->id, "error",
               app ? err.msg : "out of memory", NULL);
        if (app)
            OPENSSL_cleanse(app->secret, sizeof(app->secret));
        free(app);
        token_error(r, 503, "temporarily_unavailable", "the client could not be read; try again");
        return;
    }
    if (rc != WX_OK || !app->public_client) {
        OPENSSL_cleanse(app->secret, sizeof(app->secret));
        free(app);
        token_error(r, 401, "invalid_client",
                    "authenticate with the application id and secret (client_secret_basic "
                    "or client_secret_post); only public clients may send client_id alone");
        return;
    }
    OPENSSL_cleanse(app->secret, sizeof(app->secret));
    token_grant(r, app, &q->form);
    free(app);
}
