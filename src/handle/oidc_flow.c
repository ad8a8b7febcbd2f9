/* OpenID Connect: login sessions and authorization responses (oidc_flow.h). */
#include "oidc_flow.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "../http/reply.h"
#include "../jose/seal.h"
#include "../proto/authing.h"
#include "../util/clock.h"
#include "../util/log.h"
#include "../util/rand.h"

#define SESSION_AAD "oidc_session"
#define CODE_LEN 43 /* random base64url-ish letters and digits: 256 bits */

/* The cookie's key: derived from the master key, so the master key itself seals nothing that
 * leaves the server, and a cookie cannot be replayed as any stored secret. */
static bool
session_key(const worker_ctx_t *ctx, seal_key_t *out)
{
    static const char label[] = "wxauth oidc session cookie v1";
    unsigned int n = 0;
    memset(out, 0, sizeof(*out));
    if (!ctx->app->master.set ||
        !HMAC(EVP_sha256(), ctx->app->master.k, SEAL_KEY_LEN, (const unsigned char *)label,
              sizeof(label) - 1, out->k, &n) ||
        n != SEAL_KEY_LEN)
        return false;
    out->set = true;
    return true;
}

bool
oidc_session_current(http_req_t *r, worker_ctx_t *ctx, const char *pool_id,
                     store_oidc_session_t *out)
{
    char sealed[512], plain[256], sid[STORE_ID_MAX], pool[STORE_ID_MAX];
    seal_key_t k;
    wx_err_t err = {0};
    bool ok = false;
    if (!http_req_cookie(r, OIDC_SESSION_COOKIE, sealed, sizeof(sealed)) || !session_key(ctx, &k))
        return false;
    if (seal_open(&k, SESSION_AAD, sealed, plain, sizeof(plain), &err) != WX_OK ||
        sscanf(plain, "%63s %63s", sid, pool) != 2 || strcmp(pool, pool_id) != 0)
        goto out;
    if (store_oidc_session_use(ctx->store, sid, wx_now(), ctx->app->cfg->oidc_session_idle, out,
                               &err) != WX_OK)
        goto out;
    ok = strcmp(out->pool_id, pool_id) == 0;
out:
    seal_key_wipe(&k);
    OPENSSL_cleanse(plain, sizeof(plain));
    return ok;
}

wx_status_t
oidc_session_start(http_req_t *r, worker_ctx_t *ctx, const char *pool_id, const char *user_id,
                   int64_t auth_time, char sid[STORE_ID_MAX], wx_err_t *err)
{
    const wx_config_t *cfg = ctx->app->cfg;
    store_oidc_session_t s = {0};
    char plain[256], sealed[512];
    seal_key_t k;
    wx_status_t rc;
    if (!session_key(ctx, &k))
        return wx_err_set(err, WX_ECONFIG, "no master key to seal the session cookie");
    if ((rc = wx_rand_alnum(s.id, 32)) != WX_OK)
        goto out;
    wx_strlcpy(s.pool_id, pool_id, sizeof(s.pool_id));
    wx_strlcpy(s.user_id, user_id, sizeof(s.user_id));
    s.auth_time = auth_time;
    s.seen_at = wx_now();
    s.expires_at = auth_time + cfg->oidc_session_max;
    if ((rc = store_oidc_session_add(ctx->store, &s, err)) != WX_OK)
        goto out;
    wx_snprintf(plain, sizeof(plain), "%s %s", s.id, pool_id);
    if ((rc = seal_text(&k, SESSION_AAD, plain, sealed, sizeof(sealed), err)) != WX_OK)
        goto out;
    http_set_cookie(r, OIDC_SESSION_COOKIE, sealed, (long)cfg->oidc_session_max,
                    cfg->cookie_secure);
    wx_strlcpy(sid, s.id, STORE_ID_MAX);
out:
    seal_key_wipe(&k);
    return rc;
}

void
oidc_session_end(http_req_t *r, worker_ctx_t *ctx)
{
    char sealed[512], plain[256], sid[STORE_ID_MAX];
    seal_key_t k;
    wx_err_t err = {0};
    if (http_req_cookie(r, OIDC_SESSION_COOKIE, sealed, sizeof(sealed)) && session_key(ctx, &k)) {
        if (seal_open(&k, SESSION_AAD, sealed, plain, sizeof(plain), &err) == WX_OK &&
            sscanf(plain, "%63s", sid) == 1 &&
            store_oidc_session_end(ctx->store, sid, wx_now(), &err) != WX_OK)
            wx_log(WX_LOG_WARN, "oidc_session_end_failed", "rid", r->id, "error", err.msg, NULL);
        seal_key_wipe(&k);
    }
    http_set_cookie(r, OIDC_SESSION_COOKIE, "", 0, ctx->app->cfg->cookie_secure);
}

/* form_post: the page submits itself with one inline handler, allowed by its hash. */
#define FORM_POST_CSP                                                                              \
    "default-src 'none'; script-src 'unsafe-hashes' "                                              \
    "'sha256-ePniVEkSivX/c7XWBGafqh8tSpiRrKiqYeqbG7N1TOE='; base-uri 'none'; "                     \
    "frame-ancestors 'none'"

static void
reply_response(http_req_t *r, worker_ctx_t *ctx, const char *redirect_uri, bool form_post,
               const char *code, const char *error, const char *description, const char *state)
{
    wx_buf_t b;
    wx_status_t rc;
    wx_buf_init(&b, 16384);
    if (form_post) {
        rc =
            oidc_response_form(&b, redirect_uri, code, error, description, state, ctx->app->issuer);
        if (rc == WX_OK) {
            http_add_header(r, "Content-Security-Policy", FORM_POST_CSP);
            http_add_header(r, "Cache-Control", "no-store");
            http_reply_raw(r, 200, "text/html; charset=utf-8", wx_buf_str(&b), b.len);
        }
    } else {
        rc = oidc_response_url(&b, redirect_uri, code, error, description, state, ctx->app->issuer);
        if (rc == WX_OK)
            http_reply_redirect(r, wx_buf_str(&b));
    }
    if (rc != WX_OK)
        http_reply_error_page(r, 500, "登录失败 · Login failed",
                              "无法返回应用，请重试。The answer to the application could not be "
                              "built; please try again.");
    if (b.data)
        OPENSSL_cleanse(b.data, b.len);
    wx_buf_free(&b);
}

void
oidc_reply_error(http_req_t *r, worker_ctx_t *ctx, const char *redirect_uri,
                 const oidc_request_t *q, const char *error, const char *description)
{
    if (!r->outcome || strcmp(r->outcome, "ok") == 0)
        r->outcome = error;
    wx_log(WX_LOG_INFO, "oidc_auth_error", "rid", r->id, "error", error, "description", description,
           NULL);
    reply_response(r, ctx, redirect_uri, q->form_post, NULL, error, description, q->state);
}

void
oidc_reply_code(http_req_t *r, worker_ctx_t *ctx, const char *pool_id, const char *app_id,
                const char *redirect_uri, const oidc_request_t *q, const char *user_id,
                int64_t auth_time, const char *sid)
{
    store_oidc_code_t c = {0};
    char code[CODE_LEN + 1];
    wx_err_t err = {0};
    if (wx_rand_alnum(code, CODE_LEN) != WX_OK || wx_sha256_hex(code, CODE_LEN, c.hash) != WX_OK)
        goto fail;
    wx_strlcpy(c.pool_id, pool_id, sizeof(c.pool_id));
    wx_strlcpy(c.app_id, app_id, sizeof(c.app_id));
    wx_strlcpy(c.user_id, user_id, sizeof(c.user_id));
    wx_strlcpy(c.redirect_uri, redirect_uri, sizeof(c.redirect_uri));
    wx_strlcpy(c.code_challenge, q->code_challenge, sizeof(c.code_challenge));
    wx_strlcpy(c.nonce, q->nonce, sizeof(c.nonce));
    wx_strlcpy(c.scope, q->scope, sizeof(c.scope));
    wx_strlcpy(c.sid, sid, sizeof(c.sid));
    c.auth_time = auth_time;
    c.created_at = wx_now();
    c.expires_at = c.created_at + ctx->app->cfg->oidc_code_ttl;
    if (store_oidc_code_add(ctx->store, &c, &err) != WX_OK) {
        wx_log(WX_LOG_ERROR, "oidc_code_failed", "rid", r->id, "error", err.msg, "detail",
               err.detail, NULL);
        goto fail;
    }
    r->outcome = "ok";
    wx_snprintf(r->log_extra, sizeof(r->log_extra), "pool=%s app=%s", pool_id, app_id);
    reply_response(r, ctx, redirect_uri, q->form_post, code, NULL, NULL, q->state);
    OPENSSL_cleanse(code, sizeof(code));
    return;
fail:
    OPENSSL_cleanse(code, sizeof(code));
    r->outcome = "internal_error";
    oidc_reply_error(r, ctx, redirect_uri, q, "server_error",
                     "the authorization code could not be stored; try again");
}

void
oidc_login_done(http_req_t *r, worker_ctx_t *ctx, const char *pool_id, const char *app_id,
                const char *redirect_uri, const char *request, const char *user_id,
                int64_t auth_time)
{
    oidc_request_t q;
    char sid[STORE_ID_MAX] = "";
    wx_err_t err = {0};
    if (!oidc_request_parse(request, &q)) {
        http_reply_error_page(r, 500, "登录失败 · Login failed",
                              "登录请求已损坏，请从应用重新登录。The login request could not be "
                              "read; please sign in again from the application.");
        return;
    }
    /* A session lets the pool's other applications sign this user in without WeChat. Without
     * one the login still ends well: the code does not depend on it. */
    if (oidc_session_start(r, ctx, pool_id, user_id, auth_time, sid, &err) != WX_OK)
        wx_log(WX_LOG_WARN, "oidc_session_failed", "rid", r->id, "error", err.msg, NULL);
    oidc_reply_code(r, ctx, pool_id, app_id, redirect_uri, &q, user_id, auth_time, sid);
}

wx_status_t
oidc_login_error_url(wx_buf_t *out, const app_t *app, const char *redirect_uri, const char *request,
                     int authing_code, const char *message)
{
    oidc_request_t q;
    const char *error = authing_code == AUTHING_CODE_DENIED        ? "access_denied"
                        : authing_code == AUTHING_CODE_BLOCKED     ? "access_denied"
                        : authing_code == AUTHING_CODE_WECHAT_DOWN ? "temporarily_unavailable"
                        : authing_code == AUTHING_CODE_EXPIRED     ? "login_required"
                                                                   : "server_error";
    if (!oidc_request_parse(request, &q))
        memset(&q, 0, sizeof(q));
    /* Errors after WeChat are recorded on the login state as a URL, so they use the query
     * response mode whatever the client asked (a reload replays the same URL). */
    return oidc_response_url(out, redirect_uri, NULL, error, message, q.state, app->issuer);
}
