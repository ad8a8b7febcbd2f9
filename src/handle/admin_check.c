/* Admin: POST /pools/{id}/connections/{identifier}/check — does WeChat accept this
 * connection's App ID and App Secret? wxauthd itself asks WeChat (or the emulator) for the
 * account's access token (proto/wechat.c, stable_token in normal mode: no side effect on the
 * token other services of the account hold), so the secret never leaves the server. The answer
 * says what happened in words a developer can act on; `wxauth doctor` and the console show it.
 * A continuation on the worker's loop, like the login callback. */
#include "admin.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "../http/reply.h"
#include "../util/clock.h"
#include "../util/log.h"

typedef struct {
    http_req_t *r;
    worker_ctx_t *ctx;
    char actor[96];
    char pool_id[STORE_ID_MAX];
    char identifier[STORE_IDENT_MAX];
    char appid[STORE_ID_MAX];
    int64_t start_ms;
} check_t;

static void
check_free(void *p)
{
    free(p);
}

static void
check_reply(check_t *k, bool ok, const char *reason, int errcode, const char *message,
            long expires_in)
{
    admin_req_t a = {.r = k->r, .ctx = k->ctx};
    char outcome[96];
    wx_strlcpy(a.actor, k->actor, sizeof(a.actor));
    wx_snprintf(outcome, sizeof(outcome), "%s%s", ok ? "ok" : "failed: ", ok ? "" : reason);
    admin_audit(&a, k->pool_id, "connection.check", k->identifier, outcome);
    json_t *o = json_pack("{s:b,s:s,s:s,s:s,s:s,s:I}", "ok", ok, "reason", reason, "message",
                          message, "appid", k->appid, "api_base", k->ctx->app->cfg->api_base,
                          "elapsed_ms", (json_int_t)(wx_mono_ms() - k->start_ms));
    if (o && errcode)
        json_object_set_new(o, "errcode", json_integer(errcode));
    if (o && ok)
        json_object_set_new(o, "expires_in", json_integer(expires_in));
    k->r->outcome = ok ? "ok" : "check_failed";
    admin_reply(&a, 200, o); /* frees k (r->data) */
}

static void
on_client_token(wx_status_t rc, const wechat_client_token_t *tok, const wx_err_t *err, void *arg)
{
    check_t *k = arg;
    char msg[400];
    if (rc == WX_OK && !tok) {
        check_reply(k, true, "accepted", 0, "WeChat accepted the App ID and App Secret", 0);
        return;
    }
    if (rc == WX_OK) {
        check_reply(k, true, "accepted", 0, "WeChat accepted the App ID and App Secret",
                    tok->expires_in);
        return;
    }
    if (rc == WX_ETIMEOUT) {
        wx_snprintf(msg, sizeof(msg), "WeChat (%s) did not answer in time",
                    k->ctx->app->cfg->api_base);
        check_reply(k, false, "timeout", 0, msg, 0);
        return;
    }
    if (rc == WX_ELOCAL) { /* no fd here: WeChat was not called, it is not to blame */
        wx_snprintf(msg, sizeof(msg), "%s: %s", err->msg, err->detail);
        check_reply(k, false, "local_resources", 0, msg, 0);
        return;
    }
    if (rc != WX_EUPSTREAM || err->code == 0) {
        wx_snprintf(msg, sizeof(msg), "cannot reach WeChat at %s: %s", k->ctx->app->cfg->api_base,
                    err->msg);
        check_reply(k, false, "unreachable", 0, msg, 0);
        return;
    }
    switch (err->code) {
    case 40029: /* a website app's probe code: refused after appid and secret passed */
    case 40163:
        check_reply(k, true, "accepted", 0,
                    "WeChat accepted the website app's App ID and App Secret (its probe code was "
                    "refused as expected)",
                    0);
        return;
    case 40013:
        check_reply(k, false, "unknown_appid", err->code,
                    "WeChat does not know this App ID (40013 invalid appid)", 0);
        return;
    case 40125:
    case 40001:
        check_reply(k, false, "wrong_secret", err->code,
                    "WeChat refused the App Secret: it is wrong or was reset (40125 invalid "
                    "appsecret)",
                    0);
        return;
    case 40164:
        check_reply(k, false, "ip_not_whitelisted", err->code,
                    "WeChat refused this server's IP address (40164): it is not on the official "
                    "account's IP whitelist, so the App Secret could not be checked",
                    0);
        return;
    default:
        wx_snprintf(msg, sizeof(msg), "%s", err->msg);
        check_reply(k, false, "wechat_error", err->code, msg, 0);
    }
}

static void
on_code_probe(wx_status_t rc, const wechat_token_t *tok, const wx_err_t *err, void *arg)
{
    (void)tok; /* a code nobody issued never yields a token; if it did, the pair works */
    on_client_token(rc, NULL, err, arg);
}

void
admin_conn_check(admin_req_t *a, const store_conn_t *c)
{
    wx_err_t err = {0};
    char secret[STORE_SECRET_PLAIN_MAX + 1] = "";
    check_t *k = calloc(1, sizeof(*k));
    if (!k) {
        admin_error(a, 500, "out of memory");
        return;
    }
    k->r = a->r;
    k->ctx = a->ctx;
    k->start_ms = wx_mono_ms();
    wx_strlcpy(k->actor, a->actor, sizeof(k->actor));
    wx_strlcpy(k->pool_id, c->pool_id, sizeof(k->pool_id));
    wx_strlcpy(k->identifier, c->identifier, sizeof(k->identifier));
    wx_strlcpy(k->appid, c->appid, sizeof(k->appid));
    a->r->data = k;
    a->r->data_free = check_free;
    if (!c->app_secret[0]) {
        check_reply(k, false, "no_secret", 0, "the connection has no App Secret", 0);
        return;
    }
    if (keys_conn_secret_open(&a->ctx->app->master, c, secret, sizeof(secret), &err) != WX_OK) {
        wx_log(WX_LOG_ERROR, "app_secret_unreadable", "rid", a->r->id, "error", err.msg, NULL);
        check_reply(k, false, "secret_unreadable", 0,
                    "the stored App Secret cannot be read with this master key: set it again", 0);
        return;
    }
    wx_status_t rc;
    if (strcmp(c->type, STORE_CONN_OPEN) == 0)
        /* A website app has no account token: exchange a code that cannot exist. WeChat
         * checks the App ID (40013) and the App Secret (40125) before the code (40029). */
        rc =
            wechat_code_exchange(a->r->worker->client, a->r->worker->base, &a->ctx->app->wechat,
                                 c->appid, secret, "wxauthConnectionCheck", on_code_probe, k, &err);
    else
        rc = wechat_client_token(a->r->worker->client, a->r->worker->base, &a->ctx->app->wechat,
                                 c->appid, secret, on_client_token, k, &err);
    OPENSSL_cleanse(secret, sizeof(secret));
    if (rc != WX_OK)
        check_reply(k, false, "unreachable", 0, err.msg, 0);
}
