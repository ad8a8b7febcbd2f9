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
#include "reads.h"
#include "token.h"
#include "token_cache.h"

#define REFRESH_LEN 43
#define REFRESH_TTL_DEFAULT (30 * 86400)

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

/* What the store said about a grant, decided on the writer thread. */
typedef enum {
    TJ_OK,
    TJ_CODE_REPLAYED,     /* used before: what it issued is revoked */
    TJ_CODE_UNKNOWN,      /* unknown or expired */
    TJ_CODE_OTHER_CLIENT, /* issued to another client */
    TJ_REDIRECT_DIFFERS,
    TJ_VERIFIER_WRONG,  /* code_verifier does not match the challenge */
    TJ_VERIFIER_EXTRA,  /* a verifier without a challenge: a downgrade attempt */
    TJ_PKCE_REQUIRED,   /* a public client without PKCE */
    TJ_REFRESH_REUSED,  /* used before: its family is revoked */
    TJ_REFRESH_INVALID, /* unknown, expired or revoked */
    TJ_REFRESH_OTHER_CLIENT,
    TJ_NO_POOL,
    TJ_NO_USER, /* gone or blocked */
} tj_result_t;

/* One grant on its way through the store writer: a code's redemption or a refresh token's
 * rotation, the user and pool it names, and the new refresh token, in one transaction; the
 * event loop never waits on the database (store/writer.h). Signing follows on the loop. */
typedef struct {
    http_req_t *r;
    worker_ctx_t *ctx;
    store_app_t app; /* the authenticated client, secret wiped */
    bool code_grant;
    char hash[65]; /* of the code or of the refresh token presented */
    char redirect_uri[STORE_URL_MAX];
    bool has_redirect;
    char verifier[160];
    bool has_verifier;
    int64_t now, default_ttl;
    char jti[24], id_jti[24], refresh[REFRESH_LEN + 1];
    /* results */
    tj_result_t res;
    int64_t access_exp, id_exp;
    const char *nonce; /* into c, for a code */
    store_oidc_code_t c;
    store_oidc_refresh_t old; /* the token rotated */
    store_oidc_refresh_t rt;  /* its successor, or the code's first */
    store_pool_t pool;
    store_user_t user;
} tok_job_t;

static void
tok_job_free(tok_job_t *j)
{
    OPENSSL_cleanse(j, sizeof(*j));
    free(j);
}

/* The grant's pool and user, and its new refresh token, in the writer's transaction. */
static wx_status_t
tok_issue_run(store_t *st, tok_job_t *j, const char *pool_id, const char *user_id,
              const char *scope, const char *sid, int64_t auth_time, const char *family,
              bool recorded, wx_err_t *err)
{
    wx_status_t rc = store_pool_get(st, pool_id, &j->pool, err);
    if (rc == WX_ENOENT) {
        wx_err_clear(err);
        j->res = TJ_NO_POOL;
        return WX_OK;
    }
    if (rc != WX_OK)
        return rc;
    rc = store_user_get(st, pool_id, user_id, &j->user, err);
    if (rc == WX_ENOENT || (rc == WX_OK && j->user.blocked)) {
        wx_err_clear(err);
        j->res = TJ_NO_USER;
        return WX_OK;
    }
    if (rc != WX_OK)
        return rc;
    int64_t base = j->pool.token_ttl > 0 ? j->pool.token_ttl : j->default_ttl;
    j->access_exp = j->now + (j->app.access_ttl > 0 ? j->app.access_ttl : base);
    j->id_exp = j->now + (j->app.id_ttl > 0 ? j->app.id_ttl : base);
    if (family != j->rt.family)
        wx_strlcpy(j->rt.family, family, sizeof(j->rt.family));
    wx_strlcpy(j->rt.pool_id, pool_id, sizeof(j->rt.pool_id));
    wx_strlcpy(j->rt.app_id, j->app.id, sizeof(j->rt.app_id));
    wx_strlcpy(j->rt.user_id, user_id, sizeof(j->rt.user_id));
    wx_strlcpy(j->rt.scope, scope, sizeof(j->rt.scope));
    wx_strlcpy(j->rt.sid, sid, sizeof(j->rt.sid));
    j->rt.auth_time = auth_time;
    j->rt.created_at = j->now;
    j->rt.expires_at = j->now + (j->app.refresh_ttl > 0 ? j->app.refresh_ttl : REFRESH_TTL_DEFAULT);
    j->res = TJ_OK;
    if (recorded) /* a rerun found its first run's rows */
        return WX_OK;
    rc = store_oidc_refresh_add(st, &j->rt, err);
    if (rc == WX_OK && j->code_grant)
        rc = store_oidc_code_issued(st, j->hash, j->jti, j->access_exp, j->rt.family, err);
    return rc;
}

static wx_status_t
tok_code_run(store_t *st, tok_job_t *j, wx_err_t *err)
{
    store_oidc_code_t *c = &j->c;
    wx_status_t rc = store_oidc_code_redeem(st, j->hash, j->now, c, err);
    /* A rerun after a lost COMMIT (store/writer.h) finds the code used by its first run: the
     * access token id it recorded is this job's own (22 random characters). */
    bool ours = rc == WX_EUSED && store_writer_rerunning() && strcmp(c->access_jti, j->jti) == 0;
    if (rc == WX_EUSED && !ours) {
        /* RFC 6749 §4.1.2: a code used twice revokes what it issued. */
        wx_err_clear(err);
        j->res = TJ_CODE_REPLAYED;
        if (c->access_jti[0] &&
            (rc = store_revoke(st, c->access_jti, c->access_exp, j->now, err)) != WX_OK)
            return rc;
        return c->family[0] ? store_oidc_family_revoke(st, c->family, j->now, err) : WX_OK;
    }
    if (rc == WX_ENOENT || rc == WX_EEXPIRED) {
        wx_err_clear(err);
        j->res = TJ_CODE_UNKNOWN;
        return WX_OK;
    }
    if (rc != WX_OK && !ours)
        return rc;
    wx_err_clear(err);
    /* The checks come after the redemption, so a code shown to the wrong party is spent. */
    if (strcmp(c->app_id, j->app.id) != 0)
        j->res = TJ_CODE_OTHER_CLIENT;
    else if (!j->has_redirect || strcmp(j->redirect_uri, c->redirect_uri) != 0)
        j->res = TJ_REDIRECT_DIFFERS;
    else if (c->code_challenge[0] &&
             !oidc_pkce_s256_ok(j->has_verifier ? j->verifier : NULL, c->code_challenge))
        j->res = TJ_VERIFIER_WRONG;
    else if (!c->code_challenge[0] && j->has_verifier) /* RFC 9700 §4.8.2 */
        j->res = TJ_VERIFIER_EXTRA;
    else if (j->app.public_client && !c->code_challenge[0])
        j->res = TJ_PKCE_REQUIRED;
    if (j->res != TJ_OK)
        return WX_OK;
    j->nonce = c->nonce;
    return tok_issue_run(st, j, c->pool_id, c->user_id, c->scope, c->sid, c->auth_time,
                         ours ? c->family : j->rt.family, ours, err);
}

static wx_status_t
tok_refresh_run(store_t *st, tok_job_t *j, wx_err_t *err)
{
    store_oidc_refresh_t *t = &j->old;
    /* A rerun after a lost COMMIT: the successor this job added proves the rotation was its
     * own, which must not now count as a reuse and revoke the family. */
    if (store_writer_rerunning()) {
        store_oidc_refresh_t mine;
        wx_status_t rc = store_oidc_refresh_get(st, j->rt.hash, &mine, err);
        if (rc == WX_OK)
            return tok_issue_run(st, j, mine.pool_id, mine.user_id, mine.scope, mine.sid,
                                 mine.auth_time, mine.family, true, err);
        if (rc != WX_ENOENT)
            return rc;
        wx_err_clear(err);
    }
    wx_status_t rc = store_oidc_refresh_rotate(st, j->hash, j->now, t, err);
    /* A reuse revokes the family in this transaction; a rerun finds the family revoked at
     * this job's own time and gives the first run's answer. */
    if (rc == WX_EUSED ||
        (rc == WX_EDENIED && store_writer_rerunning() && t->revoked_at == j->now)) {
        wx_err_clear(err);
        j->res = TJ_REFRESH_REUSED;
        return WX_OK;
    }
    if (rc == WX_ENOENT || rc == WX_EEXPIRED || rc == WX_EDENIED) {
        wx_err_clear(err);
        j->res = TJ_REFRESH_INVALID;
        return WX_OK;
    }
    if (rc != WX_OK)
        return rc;
    if (strcmp(t->app_id, j->app.id) != 0) {
        j->res = TJ_REFRESH_OTHER_CLIENT;
        return WX_OK;
    }
    return tok_issue_run(st, j, t->pool_id, t->user_id, t->scope, t->sid, t->auth_time, t->family,
                         false, err);
}

static wx_status_t
tok_job_run(store_t *st, void *arg, wx_err_t *err)
{
    tok_job_t *j = arg;
    j->res = TJ_OK;
    return j->code_grant ? tok_code_run(st, j, err) : tok_refresh_run(st, j, err);
}

/* Sign claims for the client. */
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

/* The refusal for each store verdict: RFC 6749 §5.2 invalid_grant, with what went wrong. */
static const char *
tok_refusal(tj_result_t res)
{
    switch (res) {
    case TJ_CODE_REPLAYED:
        return "this code was already used: the tokens it issued are revoked";
    case TJ_CODE_UNKNOWN:
        return "the code is unknown or expired";
    case TJ_CODE_OTHER_CLIENT:
        return "the code was issued to another client";
    case TJ_REDIRECT_DIFFERS:
        return "redirect_uri differs from the authorization request";
    case TJ_VERIFIER_WRONG:
        return "code_verifier does not match the code_challenge";
    case TJ_VERIFIER_EXTRA:
        return "code_verifier given, but the request had no code_challenge";
    case TJ_PKCE_REQUIRED:
        return "a public client must use PKCE";
    case TJ_REFRESH_REUSED:
        return "this refresh token was already used: every token of this grant is revoked";
    case TJ_REFRESH_INVALID:
        return "the refresh token is unknown, expired or revoked";
    case TJ_REFRESH_OTHER_CLIENT:
        return "the refresh token was issued to another client";
    case TJ_NO_POOL:
        return "the user pool of this grant no longer exists";
    case TJ_NO_USER:
        return "the user no longer exists or is blocked";
    case TJ_OK:
        break;
    }
    return "the grant is invalid";
}

/* Back on the loop: the access token, ID token and refresh token of the grant, signed. */
static void
tok_job_done(wx_status_t rc, const wx_err_t *jerr, void *arg)
{
    tok_job_t *j = arg;
    http_req_t *r = j->r;
    worker_ctx_t *ctx = j->ctx;
    const store_app_t *app = &j->app;
    wx_err_t err = {0};
    json_t *ac = NULL, *ic = NULL;
    wx_buf_t at, it;
    char at_hash[100];
    wx_buf_init(&at, 16384);
    wx_buf_init(&it, 16384);
    if (j->res == TJ_CODE_REPLAYED) {
        if (rc != WX_OK)
            wx_log(WX_LOG_ERROR, "oidc_replay_revoke_failed", "rid", r->id, "error", jerr->msg,
                   NULL);
        else if (j->c.access_jti[0])
            token_cache_revocations_changed();
        wx_log(WX_LOG_WARN, "oidc_code_replayed", "rid", r->id, "client", app->id, NULL);
        token_error(r, 400, "invalid_grant", tok_refusal(j->res));
        goto out;
    }
    if (rc != WX_OK) {
        wx_log(WX_LOG_ERROR, "oidc_grant_store_failed", "rid", r->id, "error", jerr->msg, "detail",
               jerr->detail, NULL);
        token_error(r, 503, "temporarily_unavailable", "the store cannot be written; try again");
        goto out;
    }
    if (j->res == TJ_REFRESH_REUSED)
        wx_log(WX_LOG_WARN, "oidc_refresh_reused", "rid", r->id, "client", app->id, NULL);
    if (j->res != TJ_OK) {
        token_error(r, 400, "invalid_grant", tok_refusal(j->res));
        goto out;
    }
    const store_oidc_refresh_t *g = &j->rt;
    /* The access token keeps the shape every online endpoint checks (api.md). */
    ac = authing_token_claims(&j->user, ctx->app->issuer, app->id, j->now, j->access_exp, j->jti);
    if (!ac)
        goto internal;
    json_object_set_new(ac, "scope", json_string(g->scope));
    json_object_set_new(ac, "client_id", json_string(app->id));
    if (g->sid[0])
        json_object_set_new(ac, "sid", json_string(g->sid));
    if (sign_claims(ctx, &j->pool, app, ac, &at, &err) != WX_OK ||
        oidc_at_hash(alg_of(&j->pool, app), wx_buf_str(&at), at_hash, sizeof(at_hash)) != WX_OK)
        goto internal;
    /* OIDC Core §2 and §3.1.3.6: the ID token. */
    ic = authing_token_claims(&j->user, ctx->app->issuer, app->id, j->now, j->id_exp, j->id_jti);
    if (!ic)
        goto internal;
    json_object_set_new(ic, "auth_time", json_integer(g->auth_time));
    json_object_set_new(ic, "at_hash", json_string(at_hash));
    json_object_set_new(ic, "azp", json_string(app->id));
    if (j->nonce && j->nonce[0])
        json_object_set_new(ic, "nonce", json_string(j->nonce));
    if (g->sid[0])
        json_object_set_new(ic, "sid", json_string(g->sid));
    if (sign_claims(ctx, &j->pool, app, ic, &it, &err) != WX_OK)
        goto internal;
    r->outcome = j->code_grant ? "code_redeemed" : "refreshed";
    wx_snprintf(r->log_extra, sizeof(r->log_extra), "pool=%s app=%s", g->pool_id, app->id);
    http_add_header(r, "Cache-Control", "no-store");
    http_add_header(r, "Pragma", "no-cache");
    http_reply_json(r, 200,
                    json_pack("{s:s,s:s,s:I,s:s,s:s,s:s}", "access_token", wx_buf_str(&at),
                              "token_type", "Bearer", "expires_in",
                              (json_int_t)(j->access_exp - j->now), "id_token", wx_buf_str(&it),
                              "refresh_token", j->refresh, "scope", g->scope));
    goto out;
internal:
    wx_log(WX_LOG_ERROR, "oidc_token_failed", "rid", r->id, "error", err.msg, "detail", err.detail,
           NULL);
    token_error(r, 500, "server_error", "the tokens could not be issued; try again");
out:
    if (at.data)
        OPENSSL_cleanse(at.data, at.len);
    if (it.data)
        OPENSSL_cleanse(it.data, it.len);
    wx_buf_free(&at);
    wx_buf_free(&it);
    json_decref(ac);
    json_decref(ic);
    tok_job_free(j);
}

/* Check the form on the loop, make the new token's random parts, hand the rest to the
 * writer. */
static void
tok_submit(http_req_t *r, worker_ctx_t *ctx, const store_app_t *app, const wx_query_t *form,
           bool code_grant)
{
    const char *name = code_grant ? "code" : "refresh_token";
    const char *v = wx_query_get(form, name);
    wx_err_t err = {0};
    tok_job_t *j = NULL;
    if (!v || !*v || strlen(v) > 256) {
        token_error(r, 400, "invalid_request",
                    code_grant ? "code is required" : "refresh_token is required");
        return;
    }
    if (!(j = calloc(1, sizeof(*j)))) {
        token_error(r, 503, "temporarily_unavailable", "out of memory");
        return;
    }
    j->r = r;
    j->ctx = ctx;
    j->app = *app;
    OPENSSL_cleanse(j->app.secret, sizeof(j->app.secret));
    j->code_grant = code_grant;
    j->now = wx_now();
    j->default_ttl = ctx->app->cfg->token_ttl;
    const char *ru = wx_query_get(form, "redirect_uri");
    const char *ver = wx_query_get(form, "code_verifier");
    if (ru && !(j->has_redirect = wx_strlcpy(j->redirect_uri, ru, sizeof(j->redirect_uri)))) {
        tok_job_free(j);
        token_error(r, 400, "invalid_grant", "redirect_uri differs from the authorization request");
        return;
    }
    /* RFC 7636 §4.1: a verifier is at most 128 characters; a longer one cannot match. */
    if (ver && !(j->has_verifier = wx_strlcpy(j->verifier, ver, sizeof(j->verifier)))) {
        tok_job_free(j);
        token_error(r, 400, "invalid_grant", "code_verifier does not match the code_challenge");
        return;
    }
    if (wx_sha256_hex(v, strlen(v), j->hash) != WX_OK || wx_rand_alnum(j->jti, 22) != WX_OK ||
        wx_rand_alnum(j->id_jti, 22) != WX_OK || wx_rand_alnum(j->refresh, REFRESH_LEN) != WX_OK ||
        wx_sha256_hex(j->refresh, REFRESH_LEN, j->rt.hash) != WX_OK ||
        (code_grant && wx_rand_alnum(j->rt.family, 24) != WX_OK)) {
        tok_job_free(j);
        token_error(r, 500, "server_error", "the tokens could not be issued; try again");
        return;
    }
    if (store_writer_submit(ctx->app->writer, r->worker->base, tok_job_run, tok_job_done, j,
                            &err) != WX_OK) {
        wx_log(WX_LOG_WARN, "oidc_grant_not_queued", "rid", r->id, "error", err.msg, NULL);
        tok_job_free(j);
        token_error(r, 503, "temporarily_unavailable", "the server is stopping; try again");
    }
}

/* The request's form, kept while the client is authenticated (off the loop on PostgreSQL). */
typedef struct {
    wx_query_t form;
    http_req_t *r;
    char client_id[STORE_ID_MAX]; /* "none": the client that names itself */
    store_app_t app;
} token_req_t;

static void
token_req_free(void *p)
{
    token_req_t *q = p;
    wx_query_free_secret(&q->form);
    OPENSSL_cleanse(&q->app, sizeof(q->app));
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
        tok_submit(r, ctx, app, form, true);
    else if (strcmp(grant, "refresh_token") == 0)
        tok_submit(r, ctx, app, form, false);
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

static void
public_refused(http_req_t *r)
{
    token_error(r, 401, "invalid_client",
                "authenticate with the application id and secret (client_secret_basic or "
                "client_secret_post); only public clients may send client_id alone");
}

static wx_status_t
public_read_run(store_t *st, void *arg, wx_err_t *err)
{
    token_req_t *q = arg;
    return store_app_get(st, q->client_id, &q->app, err);
}

static void
public_read_done(wx_status_t rc, const wx_err_t *err, void *arg)
{
    token_req_t *q = arg;
    http_req_t *r = q->r;
    OPENSSL_cleanse(q->app.secret, sizeof(q->app.secret));
    if (rc != WX_OK && rc != WX_ENOENT) {
        /* The store failed, not the client: it may try again (RFC 6749 §5.2). */
        wx_log(WX_LOG_WARN, "oidc_client_read_failed", "rid", r->id, "error", err->msg, NULL);
        token_error(r, 503, "temporarily_unavailable", "the client could not be read; try again");
        return;
    }
    if (rc != WX_OK || !q->app.public_client) {
        public_refused(r);
        return;
    }
    /* q (the form) lives with the request; a reply frees both, and nothing runs after it. */
    token_grant(r, &q->app, &q->form);
}

void
handle_oidc_token(http_req_t *r)
{
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
    q->r = r;
    r->data = q;
    r->data_free = token_req_free;
    /* client_id alone, no secret anywhere: "none" (client_authenticate takes it for a
     * half-given secret). */
    bool none = !http_req_header(r, "Authorization") && !wx_query_get(&q->form, "client_secret");
    if (!none) {
        client_authenticate(r, &q->form, token_client_done, q);
        return;
    }
    /* "none": a public client names itself and proves itself with PKCE. Its row is read
     * off the loop (handle/reads.h). */
    const char *id = wx_query_get(&q->form, "client_id");
    if (!id || !handle_valid_id(id) || !wx_strlcpy(q->client_id, id, sizeof(q->client_id))) {
        public_refused(r);
        return;
    }
    handle_read(r->worker, public_read_run, public_read_done, q);
}
