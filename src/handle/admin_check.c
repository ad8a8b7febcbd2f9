/* Admin: POST /pools/{id}/connections/{identifier}/check — is this connection set up so that
 * WeChat logins work? Besides the checks made with the store (admin_conns.c), three run here at
 * once, as continuations on the worker's loop, each bounded in time and size:
 *   wechat    wxauthd asks WeChat (or the emulator) for the account's access token
 *             (proto/wechat.c, stable_token in normal mode: no side effect on the token other
 *             services of the account hold), so the secret never leaves the server;
 *   txt-file  GET {public_url}/{Txt Filename}: 200 and exactly the Txt Content, as WeChat
 *             fetches it when the domain is saved;
 *   domain    the authorize page asked about this redirect_uri (the emulator, or any WeChat
 *             stand-in: real WeChat lets only its app in), else the rules of real WeChat.
 * The words are proto/conn_check.c's: `wxauth doctor` and the console show this answer. */
#include "admin.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "../http/client.h"
#include "../http/reply.h"
#include "../proto/conn_check.h"
#include "../util/buf.h"
#include "../util/clock.h"
#include "../util/log.h"

/* What WeChat's own app sends: the emulator (like WeChat) shows others "open in WeChat". */
#define PROBE_UA                                                                                   \
    "Mozilla/5.0 (Linux; Android 13) AppleWebKit/537.36 (KHTML, like Gecko) "                      \
    "Mobile Safari/537.36 MicroMessenger/8.0.40 wxauth-check"

typedef struct {
    http_req_t *r;
    worker_ctx_t *ctx;
    char actor[96];
    store_conn_t conn; /* without its sealed secret */
    conn_check_t x;
    int64_t start_ms;
    int pending; /* calls under way, plus one while they are being started */
    json_t *statics, *txt, *domain, *wechat;
    /* WeChat's answer to the token call */
    bool ok;
    char reason[32];
    char message[400];
    int errcode;
    long expires_in;
} check_t;

static void
check_free(void *p)
{
    check_t *k = p;
    json_decref(k->statics);
    json_decref(k->txt);
    json_decref(k->domain);
    json_decref(k->wechat);
    free(k);
}

static void
check_finish(check_t *k)
{
    if (--k->pending > 0)
        return;
    admin_req_t a = {.r = k->r, .ctx = k->ctx};
    char outcome[96];
    const char *api_base = k->ctx->app->cfg->api_base;
    int failed = 0, warned = 0;
    json_t *checks = json_array();
    wx_strlcpy(a.actor, k->actor, sizeof(a.actor));
    wx_snprintf(outcome, sizeof(outcome), "%s%s",
                k->ok ? "ok" : "failed: ", k->ok ? "" : k->reason);
    admin_audit(&a, k->conn.pool_id, "connection.check", k->conn.identifier, outcome);
    if (checks) {
        json_array_extend(checks, k->statics);
        if (k->txt) /* none for a website app */
            json_array_append(checks, k->txt);
        json_array_append(checks, k->wechat);
        json_array_append(checks, k->domain);
        conn_check_count(checks, &failed, &warned);
    }
    json_t *o = json_pack("{s:b,s:s,s:s,s:s,s:s,s:I,s:o*,s:i,s:i}", "ok", k->ok, "reason",
                          k->reason, "message", k->message, "appid", k->conn.appid, "api_base",
                          api_base, "elapsed_ms", (json_int_t)(wx_mono_ms() - k->start_ms),
                          "checks", checks, "failed", failed, "warnings", warned);
    if (o && k->errcode)
        json_object_set_new(o, "errcode", json_integer(k->errcode));
    if (o && k->ok)
        json_object_set_new(o, "expires_in", json_integer(k->expires_in));
    k->r->outcome = k->ok ? (failed ? "check_failed" : "ok") : "check_failed";
    admin_reply(&a, 200, o); /* frees k (r->data) */
}

/* WeChat's answer, in the words of the API's reason/message (docs/admin.md). */
static void
wechat_done(check_t *k, bool ok, const char *reason, int errcode, const char *message,
            long expires_in)
{
    k->ok = ok;
    wx_strlcpy(k->reason, reason, sizeof(k->reason));
    wx_strlcpy(k->message, message, sizeof(k->message));
    k->errcode = errcode;
    k->expires_in = expires_in;
    k->wechat = json_array();
    if (k->wechat) {
        conn_check_wechat(k->wechat, &k->x, k->ctx->app->cfg->api_base, reason, message);
        json_t *one = json_incref(json_array_get(k->wechat, 0));
        json_decref(k->wechat);
        k->wechat = one;
    }
    check_finish(k);
}

static void
on_client_token(wx_status_t rc, const wechat_client_token_t *tok, const wx_err_t *err, void *arg)
{
    check_t *k = arg;
    char msg[400];
    if (rc == WX_OK && !tok) {
        wechat_done(k, true, "accepted", 0, "WeChat accepted the App ID and App Secret", 0);
        return;
    }
    if (rc == WX_OK) {
        wechat_done(k, true, "accepted", 0, "WeChat accepted the App ID and App Secret",
                    tok->expires_in);
        return;
    }
    if (rc == WX_ETIMEOUT) {
        wx_snprintf(msg, sizeof(msg), "WeChat (%s) did not answer in time",
                    k->ctx->app->cfg->api_base);
        wechat_done(k, false, "timeout", 0, msg, 0);
        return;
    }
    if (rc == WX_ELOCAL) { /* no fd here: WeChat was not called, it is not to blame */
        wx_snprintf(msg, sizeof(msg), "%s: %s", err->msg, err->detail);
        wechat_done(k, false, "local_resources", 0, msg, 0);
        return;
    }
    if (rc != WX_EUPSTREAM || err->code == 0) {
        wx_snprintf(msg, sizeof(msg), "cannot reach WeChat at %s: %s", k->ctx->app->cfg->api_base,
                    err->msg);
        wechat_done(k, false, "unreachable", 0, msg, 0);
        return;
    }
    switch (err->code) {
    case 40029: /* a website app's probe code refused: the App ID is known */
    case 40163:
        /* Whether WeChat checks the secret before the code is not documented (the emulator
         * does; docs/spec/wechat-oauth.md §9): say only what the answer proves. */
        wechat_done(k, true, "accepted", 0,
                    "WeChat knows the website app's App ID (its probe code was refused as "
                    "expected; a wrong App Secret may only show at the first real login)",
                    0);
        return;
    case 40013:
        wechat_done(k, false, "unknown_appid", err->code,
                    "WeChat does not know this App ID (40013 invalid appid)", 0);
        return;
    case 40125:
    case 40001:
        wechat_done(k, false, "wrong_secret", err->code,
                    "WeChat refused the App Secret: it is wrong or was reset (40125 invalid "
                    "appsecret)",
                    0);
        return;
    case 40164:
        wechat_done(k, false, "ip_not_whitelisted", err->code,
                    "WeChat refused this server's IP address (40164): it is not on the official "
                    "account's IP whitelist, so the App Secret could not be checked",
                    0);
        return;
    default:
        wx_snprintf(msg, sizeof(msg), "%s", err->msg);
        wechat_done(k, false, "wechat_error", err->code, msg, 0);
    }
}

/* An HTTP answer for proto/conn_check.c. */
static conn_check_http_t
http_of(const http_client_result_t *res)
{
    conn_check_http_t h = {.answered = res->outcome == HTTP_CLIENT_OK,
                           .timeout = res->outcome == HTTP_CLIENT_TIMEOUT,
                           .too_big = res->outcome == HTTP_CLIENT_TOO_BIG,
                           .status = res->status,
                           .body = res->body,
                           .body_len = res->body_len,
                           .error = res->error};
    return h;
}

static void
on_txt(const http_client_result_t *res, void *arg)
{
    check_t *k = arg;
    conn_check_http_t h = http_of(res);
    json_t *arr = json_array();
    conn_check_txt(arr, &k->x, &h);
    k->txt = json_incref(json_array_get(arr, 0));
    json_decref(arr);
    check_finish(k);
}

static void
on_probe(const http_client_result_t *res, void *arg)
{
    check_t *k = arg;
    conn_check_http_t h = http_of(res);
    json_t *arr = json_array();
    conn_check_domain(arr, &k->x, k->ctx->app->cfg->api_base, &h);
    k->domain = json_incref(json_array_get(arr, 0));
    json_decref(arr);
    check_finish(k);
}

/* Start the GET of the verification file, or say why there is none to get. */
static void
start_txt(check_t *k, http_client_t *client)
{
    wx_err_t err = {0};
    conn_check_http_t h = {0};
    json_t *arr = json_array();
    if (k->x.txt_url[0]) {
        k->pending++;
        if (http_client_get(client, k->x.txt_url, CONN_CHECK_HTTP_TIMEOUT_MS,
                            CONN_CHECK_TXT_MAX_BODY, on_txt, k, &err) == WX_OK) {
            json_decref(arr);
            return;
        }
        k->pending--;
        h.error = err.msg;
        conn_check_txt(arr, &k->x, &h);
    } else {
        conn_check_txt(arr, &k->x, NULL);
    }
    k->txt = json_incref(json_array_get(arr, 0));
    json_decref(arr);
}

/* Ask the authorize page about our redirect_uri when it is not real WeChat's; else the rules. */
static void
start_domain(check_t *k, http_client_t *client)
{
    wx_err_t err = {0};
    wx_buf_t url;
    conn_check_http_t h = {0};
    const conn_check_http_t *hp = NULL;
    json_t *arr = json_array();
    const wechat_cfg_t *wc = &k->ctx->app->wechat;
    wx_buf_init(&url, CONN_CHECK_URL_MAX * 4);
    if (conn_check_probe_wanted(wc->authorize_url) && k->x.redirect_uri[0]) {
        if (wechat_authorize_url(&url, wc, k->conn.appid, k->x.redirect_uri, k->conn.scope,
                                 CONN_CHECK_PROBE_STATE) == WX_OK) {
            k->pending++;
            if (http_client_get_as(client, wx_buf_str(&url), PROBE_UA, CONN_CHECK_HTTP_TIMEOUT_MS,
                                   CONN_CHECK_PROBE_MAX_BODY, on_probe, k, &err) == WX_OK)
                goto out;
            k->pending--;
            h.error = err.msg;
        } else {
            h.error = "the authorize URL is too long";
        }
        hp = &h;
    }
    conn_check_domain(arr, &k->x, k->ctx->app->cfg->api_base, hp);
    k->domain = json_incref(json_array_get(arr, 0));
out:
    json_decref(arr);
    wx_buf_free(&url);
}

static void
on_code_probe(wx_status_t rc, const wechat_token_t *tok, const wx_err_t *err, void *arg)
{
    (void)tok; /* a code nobody issued never yields a token; if it did, the pair works */
    on_client_token(rc, NULL, err, arg);
}

void
admin_conn_check(admin_req_t *a, const store_conn_t *c, json_t *checks)
{
    wx_err_t err = {0};
    char secret[STORE_SECRET_PLAIN_MAX + 1] = "";
    check_t *k = calloc(1, sizeof(*k));
    if (!k) {
        json_decref(checks);
        admin_error(a, 500, "out of memory");
        return;
    }
    k->r = a->r;
    k->ctx = a->ctx;
    k->start_ms = wx_mono_ms();
    k->statics = checks ? checks : json_array();
    k->pending = 1; /* until every call is started */
    wx_strlcpy(k->actor, a->actor, sizeof(k->actor));
    k->conn = *c;
    OPENSSL_cleanse(k->conn.app_secret, sizeof(k->conn.app_secret));
    conn_check_init(&k->x, &k->conn, a->ctx->app->cfg->public_url);
    a->r->data = k;
    a->r->data_free = check_free;
    http_client_t *client = a->r->worker->client;
    if (strcmp(c->type, STORE_CONN_OPEN) == 0) {
        /* A website app: no verification file, and the service account's authorize page
         * refuses its appid (10016); its domain is the Open Platform's 授权回调域. */
        json_t *arr = json_array();
        conn_check_website(arr, &k->x);
        k->domain = json_incref(json_array_get(arr, 0));
        json_decref(arr);
    } else {
        start_txt(k, client);
        start_domain(k, client);
    }
    k->pending++;
    if (!c->app_secret[0]) {
        wechat_done(k, false, "no_secret", 0, "the connection has no App Secret", 0);
    } else if (keys_conn_secret_open(&a->ctx->app->master, c, secret, sizeof(secret), &err) !=
               WX_OK) {
        wx_log(WX_LOG_ERROR, "app_secret_unreadable", "rid", a->r->id, "error", err.msg, NULL);
        wechat_done(k, false, "secret_unreadable", 0,
                    "the stored App Secret cannot be read with this master key: set it again", 0);
    } else {
        wx_status_t rc;
        if (strcmp(c->type, STORE_CONN_OPEN) == 0)
            /* A website app has no account token: exchange a code that cannot exist. WeChat
             * checks the App ID (40013) and the App Secret (40125) before the code (40029). */
            rc = wechat_code_exchange(client, a->r->worker->base, &a->ctx->app->wechat, c->appid,
                                      secret, "wxauthConnectionCheck", on_code_probe, k, &err);
        else
            rc = wechat_client_token(client, a->r->worker->base, &a->ctx->app->wechat, c->appid,
                                     secret, on_client_token, k, &err);
        OPENSSL_cleanse(secret, sizeof(secret));
        if (rc != WX_OK)
            wechat_done(k, false, "unreachable", 0, err.msg, 0);
    }
    check_finish(k); /* the start's own count */
}
