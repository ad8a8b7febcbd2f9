/* The WeChat callback (DESIGN.md §1): claim the state once, exchange the code, fetch the
 * profile (snsapi_userinfo), upsert the user, sign the token and send the browser to the
 * business callback. Written as continuations on the worker's loop:
 *   handle_callback -> on_token -> on_userinfo -> finish
 * so a login waiting on WeChat holds no thread. Every outcome, success or failure, is recorded
 * on the state, so a WebView that loads the callback twice gets the same answer twice. */
#include "ctx.h"

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <openssl/crypto.h>

#include "../http/reply.h"
#include "../jose/jwk.h"
#include "../jose/jws.h"
#include "../proto/authing.h"
#include "token.h"
#include "../util/clock.h"
#include "../util/log.h"
#include "../util/rand.h"

#define POLL_INTERVAL_MS 100
#define POLL_MAX_MS 15000

typedef struct {
    http_req_t *r;
    worker_ctx_t *ctx;
    char browser[65];
    char identifier[STORE_IDENT_MAX];
    char code[256];
    char ip[64];
    int64_t poll_until_ms;
    bool counted; /* holds a slot of ctx->logins_inflight */
    store_state_t state;
    store_conn_t conn;
    store_pool_t pool;
    wechat_token_t tok;
    wechat_userinfo_t ui;
    bool have_ui;
} login_t;

static void
login_free(void *p)
{
    login_t *l = p;
    if (l->counted)
        l->ctx->logins_inflight--;
    OPENSSL_cleanse(&l->tok, sizeof(l->tok)); /* WeChat access and refresh tokens */
    OPENSSL_cleanse(l->code, sizeof(l->code));
    free(l);
}

static void
audit(login_t *l, const char *actor, const char *outcome)
{
    wx_err_t err = {0};
    store_audit_t a = {.at = wx_now(),
                       .pool_id = l->state.pool_id,
                       .actor = actor,
                       .action = "login",
                       .subject = l->tok.openid[0] ? l->tok.openid : NULL,
                       .outcome = outcome};
    if (store_audit_add(l->ctx->store, &a, &err) != WX_OK)
        wx_log(WX_LOG_WARN, "audit_failed", "rid", l->r->id, "error", err.msg, NULL);
}

/* Record the final redirect on the state, then send the browser there. */
static void
finish_redirect(login_t *l, const char *location, const char *outcome)
{
    wx_err_t err = {0};
    http_req_t *r = l->r;
    if (store_state_finish(l->ctx->store, l->state.id, location, &err) != WX_OK)
        wx_log(WX_LOG_WARN, "state_finish_failed", "rid", r->id, "error", err.msg, "detail",
               err.detail, NULL);
    r->outcome = outcome;
    wx_snprintf(r->log_extra, sizeof(r->log_extra), "pool=%s conn=%s app=%s", l->state.pool_id,
                l->state.conn_identifier, l->state.app_id);
    http_reply_redirect(r, location); /* frees l */
}

/* End the login with an error on the business callback (code != 200, readable message). */
static void
finish_error(login_t *l, int code, const char *message, const char *outcome)
{
    wx_buf_t url;
    wx_buf_init(&url, STORE_RESULT_MAX - 1);
    audit(l, "system", outcome);
    if (authing_result_url(&url, l->state.redirect, code, message, NULL) != WX_OK) {
        wx_buf_free(&url);
        l->r->outcome = outcome;
        http_reply_error_page(l->r, 500, "Login failed", message);
        return;
    }
    finish_redirect(l, wx_buf_str(&url), outcome);
    wx_buf_free(&url);
}

/* Map an error of a WeChat call to the business callback's code and message. */
static void
finish_wechat_error(login_t *l, wx_status_t rc, const wx_err_t *err)
{
    if (rc == WX_EUPSTREAM && err->code != 0) {
        finish_error(l, err->code, err->msg, "wechat_error");
        return;
    }
    finish_error(l, AUTHING_CODE_WECHAT_DOWN,
                 rc == WX_ETIMEOUT ? "WeChat did not answer in time, please try again"
                                   : "WeChat could not be reached, please try again",
                 rc == WX_ETIMEOUT ? "wechat_timeout" : "wechat_unavailable");
}

static const char *
gender_of(int sex)
{
    return sex == 1 ? "M" : sex == 2 ? "F" : "U";
}

static void
finish_success(login_t *l)
{
    worker_ctx_t *ctx = l->ctx;
    const wx_config_t *cfg = ctx->app->cfg;
    wx_err_t err = {0};
    wx_status_t rc;
    bool created = false;
    store_user_t *u = calloc(1, sizeof(*u));
    json_t *claims = NULL, *data = NULL;
    wx_buf_t tok, url, payload_buf;
    char *payload = NULL;
    wx_buf_init(&tok, 16384);
    wx_buf_init(&url, STORE_RESULT_MAX - 1);
    wx_buf_init(&payload_buf, 1);
    if (!u)
        goto internal;

    store_wechat_login_t in = {
        .pool_id = l->state.pool_id,
        .provider = l->state.conn_identifier,
        .appid = l->conn.appid,
        .openid = l->tok.openid,
        .unionid = l->tok.unionid[0] ? l->tok.unionid : (l->have_ui ? l->ui.unionid : NULL),
        .nickname = l->have_ui ? l->ui.nickname : NULL,
        .photo = l->have_ui ? l->ui.headimgurl : NULL,
        .gender = l->have_ui ? gender_of(l->ui.sex) : NULL,
        .country = l->have_ui ? l->ui.country : NULL,
        .province = l->have_ui ? l->ui.province : NULL,
        .city = l->have_ui ? l->ui.city : NULL,
        .raw_profile = l->have_ui ? l->ui.raw : NULL,
        .ip = l->ip,
        .now = wx_now(),
    };
    rc = store_user_upsert_wechat(ctx->store, &in, u, &created, &err);
    if (rc == WX_EDENIED) {
        finish_error(l, AUTHING_CODE_BLOCKED, "This account has been blocked", "blocked");
        goto out;
    }
    if (rc != WX_OK) {
        wx_log(WX_LOG_ERROR, "user_upsert_failed", "rid", l->r->id, "error", err.msg, "detail",
               err.detail, NULL);
        goto internal;
    }

    int64_t ttl = l->pool.token_ttl > 0 ? l->pool.token_ttl : cfg->token_ttl;
    int64_t iat = wx_now(), exp = iat + ttl;
    char jti[23];
    if (wx_rand_alnum(jti, 22) != WX_OK)
        goto internal;
    const char *aud = l->state.app_id[0] ? l->state.app_id : l->state.pool_id;
    claims = authing_token_claims(u, ctx->app->issuer, aud, iat, exp, jti);
    payload = claims ? json_dumps(claims, JSON_COMPACT) : NULL;
    if (!payload)
        goto internal;
    rc = token_sign(ctx, &l->pool, l->state.app_id, payload, &tok, &err);
    if (rc != WX_OK) {
        wx_log(WX_LOG_ERROR, "token_sign_failed", "rid", l->r->id, "error", err.msg, NULL);
        goto internal;
    }
    authing_user_args_t ua = {.user = u,
                              .provider = l->state.conn_identifier,
                              .raw_profile = l->have_ui ? l->ui.raw : NULL,
                              .token = wx_buf_str(&tok),
                              .token_exp = exp,
                              .with_identities = strstr(l->state.options, "with_identities=1"),
                              .appid = l->conn.appid};
    data = authing_user_json(&ua);
    if (!data ||
        authing_result_url(&url, l->state.redirect, AUTHING_CODE_OK, "登录成功", data) != WX_OK)
        goto internal;
    audit(l, u->id, created ? "ok:new_user" : "ok");
    finish_redirect(l, wx_buf_str(&url), created ? "ok_new_user" : "ok");
    goto out;
internal:
    finish_error(l, AUTHING_CODE_INTERNAL, "Login failed on the server, please try again",
                 "internal_error");
out:
    if (tok.data)
        OPENSSL_cleanse(tok.data, tok.len);
    wx_buf_free(&tok);
    wx_buf_free(&url);
    wx_buf_free(&payload_buf);
    free(payload);
    json_decref(claims);
    json_decref(data);
    free(u);
}

static void
on_userinfo(wx_status_t rc, const wechat_userinfo_t *ui, const wx_err_t *err, void *arg)
{
    login_t *l = arg;
    if (rc != WX_OK) {
        finish_wechat_error(l, rc, err);
        return;
    }
    if (strcmp(ui->openid, l->tok.openid) != 0) {
        finish_error(l, AUTHING_CODE_WECHAT_DOWN, "WeChat returned the profile of another user",
                     "wechat_mismatch");
        return;
    }
    l->ui = *ui;
    l->have_ui = true;
    finish_success(l);
}

static void
on_token(wx_status_t rc, const wechat_token_t *tok, const wx_err_t *err, void *arg)
{
    login_t *l = arg;
    worker_ctx_t *ctx = l->ctx;
    wx_err_t e2 = {0};
    if (rc != WX_OK) {
        finish_wechat_error(l, rc, err);
        return;
    }
    l->tok = *tok;
    const char *scope = tok->scope[0] ? tok->scope : l->state.scope;
    /* A snapshot-page user (WeChat's preview of a shared page) has a virtual openid and no
     * profile: making a user of it would only create a ghost, so ask for the full page. */
    if (tok->is_snapshotuser) {
        finish_error(
            l, AUTHING_CODE_SNAPSHOT,
            "请在完整页面中登录 (this is a snapshot preview: open the full page to log in)",
            "snapshot_user");
        return;
    }
    if (!strstr(scope, "snsapi_userinfo")) {
        finish_success(l);
        return;
    }
    if (wechat_userinfo(l->r->worker->client, l->r->worker->base, &ctx->app->wechat,
                        tok->access_token, tok->openid, on_userinfo, l, &e2) != WX_OK)
        finish_wechat_error(l, WX_EIO, &e2);
}

static void poll_state(evutil_socket_t fd, short what, void *arg);

/* The state was claimed before: same browser within the replay window gets the same outcome
 * (waiting for it if the first request is still talking to WeChat); anything else is refused. */
static void
handle_replay(login_t *l)
{
    http_req_t *r = l->r;
    const wx_config_t *cfg = l->ctx->app->cfg;
    int64_t now = wx_now();
    if (now - l->state.claimed_at > cfg->replay_window) {
        r->outcome = "replay_late";
        http_reply_error_page(r, 400, "This login link was already used",
                              "Please go back to the page and log in again.");
        return;
    }
    if (l->state.status == STORE_STATE_DONE) {
        r->outcome = "replay_same";
        http_reply_redirect(r, l->state.result);
        return;
    }
    if (l->poll_until_ms == 0)
        l->poll_until_ms = wx_mono_ms() + POLL_MAX_MS;
    if (wx_mono_ms() >= l->poll_until_ms) {
        r->outcome = "replay_timeout";
        http_reply_error_page(r, 503, "Login still in progress",
                              "WeChat is slow to answer. Please wait a moment and reload.");
        return;
    }
    struct timeval tv = {0, POLL_INTERVAL_MS * 1000};
    if (event_base_once(r->worker->base, -1, EV_TIMEOUT, poll_state, l, &tv) != 0)
        http_reply_error_page(r, 500, "Login failed", "Please try again.");
}

static void
claim_and_go(login_t *l)
{
    http_req_t *r = l->r;
    worker_ctx_t *ctx = l->ctx;
    wx_err_t err = {0};
    wx_status_t rc = store_state_claim(ctx->store, wx_query_get(&r->query, "state"), l->browser,
                                       wx_now(), &l->state, &err);
    switch (rc) {
    case WX_OK:
        break;
    case WX_EUSED:
        handle_replay(l);
        return;
    case WX_ENOENT:
        r->outcome = "unknown_state";
        http_reply_error_page(r, 400, "Unknown login link",
                              "This login link is unknown or too old. Please go back to the page "
                              "and log in again.");
        return;
    case WX_EDENIED:
        r->outcome = "other_browser";
        http_reply_error_page(r, 403, "Login started in another browser",
                              "This login link belongs to another browser. Please log in again "
                              "from the page you are on.");
        return;
    case WX_EEXPIRED:
        r->outcome = "state_expired";
        finish_error(l, AUTHING_CODE_EXPIRED, "The login link expired, please try again",
                     "state_expired");
        return;
    default:
        wx_log(WX_LOG_ERROR, "state_claim_failed", "rid", r->id, "error", err.msg, "detail",
               err.detail, NULL);
        http_reply_error_page(r, 500, "Login failed", "Please try again.");
        return;
    }
    if (strcmp(l->state.conn_identifier, l->identifier) != 0) {
        finish_error(l, AUTHING_CODE_INTERNAL, "The login came back to the wrong connection",
                     "wrong_connection");
        return;
    }
    if (store_pool_get(ctx->store, l->state.pool_id, &l->pool, &err) != WX_OK ||
        store_conn_get(ctx->store, l->state.pool_id, l->state.conn_identifier, &l->conn, &err) !=
            WX_OK) {
        finish_error(l, AUTHING_CODE_INTERNAL, "The WeChat connection is no longer configured",
                     "connection_gone");
        return;
    }
    if (!l->code[0]) { /* WeChat sends no code when the user taps Deny */
        finish_error(l, AUTHING_CODE_DENIED, "用户取消了授权 (the user declined authorization)",
                     "denied");
        return;
    }
    char secret[STORE_SECRET_PLAIN_MAX + 1];
    if (keys_conn_secret_open(&ctx->app->master, &l->conn, secret, sizeof(secret), &err) != WX_OK) {
        wx_log(WX_LOG_ERROR, "app_secret_unreadable", "rid", r->id, "error", err.msg, NULL);
        finish_error(l, AUTHING_CODE_INTERNAL, "The WeChat connection's App Secret cannot be read",
                     "secret_unreadable");
        return;
    }
    rc = wechat_code_exchange(r->worker->client, r->worker->base, &ctx->app->wechat, l->conn.appid,
                              secret, l->code, on_token, l, &err);
    OPENSSL_cleanse(secret, sizeof(secret));
    if (rc != WX_OK)
        finish_wechat_error(l, WX_EIO, &err);
}

static void
poll_state(evutil_socket_t fd, short what, void *arg)
{
    claim_and_go(arg);
}

void
handle_callback(http_req_t *r, const char *identifier)
{
    worker_ctx_t *ctx = handle_ctx(r);
    const char *state = wx_query_get(&r->query, "state");
    const char *code = wx_query_get(&r->query, "code");
    char bind[BIND_COOKIE_LEN + 1] = "";
    if (!state || !*state || strlen(state) >= STORE_ID_MAX) {
        r->outcome = "no_state";
        http_reply_error_page(r, 400, "Invalid login link",
                              "The link has no valid state. Please log in again from the page.");
        return;
    }
    if (code && strlen(code) >= 256) {
        http_reply_error_page(r, 400, "Invalid login link", "The code is too long.");
        return;
    }
    if (ctx->logins_inflight >= ctx->app->cfg->max_inflight) {
        r->outcome = "busy";
        http_reply_error_page(r, 503, "Server busy",
                              "Too many logins are in progress. Please reload in a moment.");
        return;
    }
    login_t *l = calloc(1, sizeof(*l));
    if (!l) {
        http_reply_error_page(r, 503, "Server busy", "Please reload in a moment.");
        return;
    }
    l->r = r;
    l->ctx = ctx;
    r->data = l;
    r->data_free = login_free;
    ctx->logins_inflight++;
    l->counted = true;
    wx_strlcpy(l->identifier, identifier, sizeof(l->identifier));
    wx_strlcpy(l->code, code ? code : "", sizeof(l->code));
    http_req_ip(r, l->ip, sizeof(l->ip));
    /* No cookie: hash of "" never equals a stored binding, so the claim is refused. */
    http_req_cookie(r, BIND_COOKIE, bind, sizeof(bind));
    if (wx_sha256_hex(bind, strlen(bind), l->browser) != WX_OK) {
        http_reply_error_page(r, 500, "Login failed", "Please try again.");
        return;
    }
    claim_and_go(l);
}
