/* WeChat client: URL building, reply parsing, and async calls with bounded retries. */
#include "wechat.h"

#include "../util/utf8.h"

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <jansson.h>
#include <openssl/crypto.h>

#include "../util/log.h"
#include "../util/url.h"

#define WECHAT_BODY_MAX 65536
#define WECHAT_RETRY_DELAY_MS 200

static wx_status_t
wechat_oauth_url(wx_buf_t *out, const char *base, const char *appid, const char *redirect_uri,
                 const char *scope, const char *state)
{
    /* Order matters on real WeChat: appid, redirect_uri, response_type, scope, state. */
    wx_status_t rc = wx_buf_puts(out, base);
    if (rc == WX_OK)
        rc = wx_buf_puts(out, "?appid=");
    if (rc == WX_OK)
        rc = wx_url_encode(out, appid);
    if (rc == WX_OK)
        rc = wx_buf_puts(out, "&redirect_uri=");
    if (rc == WX_OK)
        rc = wx_url_encode(out, redirect_uri);
    if (rc == WX_OK)
        rc = wx_buf_puts(out, "&response_type=code&scope=");
    if (rc == WX_OK)
        rc = wx_url_encode(out, scope);
    if (rc == WX_OK)
        rc = wx_buf_puts(out, "&state=");
    if (rc == WX_OK)
        rc = wx_url_encode(out, state);
    if (rc == WX_OK)
        rc = wx_buf_puts(out, "#wechat_redirect");
    return rc;
}

wx_status_t
wechat_authorize_url(wx_buf_t *out, const wechat_cfg_t *cfg, const char *appid,
                     const char *redirect_uri, const char *scope, const char *state)
{
    return wechat_oauth_url(out, cfg->authorize_url, appid, redirect_uri, scope, state);
}

wx_status_t
wechat_qrconnect_url(wx_buf_t *out, const wechat_cfg_t *cfg, const char *appid,
                     const char *redirect_uri, const char *state)
{
    const char *base = cfg->qrconnect_url && cfg->qrconnect_url[0]
                           ? cfg->qrconnect_url
                           : "https://open.weixin.qq.com/connect/qrconnect";
    return wechat_oauth_url(out, base, appid, redirect_uri, "snsapi_login", state);
}

void
wechat_errmsg_clean(const char *errmsg, char *out, size_t n)
{
    wx_strlcpy(out, errmsg ? errmsg : "", n);
    char *cut = strstr(out, ", rid:");
    if (!cut)
        cut = strstr(out, " rid:");
    if (!cut)
        cut = strstr(out, ", hints:");
    if (!cut)
        cut = strstr(out, " hints:");
    if (cut)
        *cut = '\0';
}

/* Parse body as a JSON object; a non-zero errcode becomes WX_EUPSTREAM. */
static wx_status_t
parse_object(const char *body, size_t len, json_t **out, wx_err_t *err)
{
    json_error_t je;
    json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    *out = NULL;
    if (!j || !json_is_object(j)) {
        json_decref(j);
        wx_err_set(err, WX_EIO, "WeChat sent an answer that is not JSON");
        err ? wx_err_detail(err, "json: %s", je.text) : (void)0;
        return WX_EIO;
    }
    json_t *ec = json_object_get(j, "errcode");
    if (ec && json_is_integer(ec) && json_integer_value(ec) != 0) {
        char clean[200];
        const char *em = json_string_value(json_object_get(j, "errmsg"));
        wechat_errmsg_clean(em, clean, sizeof(clean));
        wx_err_set(err, WX_EUPSTREAM, "WeChat error %lld: %s", (long long)json_integer_value(ec),
                   clean);
        if (err) {
            err->code = (int)json_integer_value(ec);
            wx_err_detail(err, "errmsg=%.200s", em ? em : "");
        }
        json_decref(j);
        return WX_EUPSTREAM;
    }
    *out = j;
    return WX_OK;
}

static bool
copy_str(json_t *o, const char *key, char *dst, size_t n, bool required, wx_err_t *err,
         wx_status_t *rc)
{
    json_t *v = json_object_get(o, key);
    if (!v || json_is_null(v)) {
        dst[0] = '\0';
        if (required) {
            *rc = wx_err_set(err, WX_EIO, "WeChat's answer lacks '%s'", key);
            return false;
        }
        return true;
    }
    if (!json_is_string(v) || !wx_strlcpy(dst, json_string_value(v), n)) {
        *rc = wx_err_set(err, WX_EIO, "WeChat's '%s' is not a string of at most %zu bytes", key,
                         n - 1);
        return false;
    }
    return true;
}

wx_status_t
wechat_parse_token(const char *body, size_t len, wechat_token_t *out, wx_err_t *err)
{
    json_t *j = NULL;
    wx_status_t rc = parse_object(body, len, &j, err);
    memset(out, 0, sizeof(*out));
    if (rc != WX_OK)
        return rc;
    if (!copy_str(j, "access_token", out->access_token, sizeof(out->access_token), true, err,
                  &rc) ||
        !copy_str(j, "refresh_token", out->refresh_token, sizeof(out->refresh_token), false, err,
                  &rc) ||
        !copy_str(j, "openid", out->openid, sizeof(out->openid), true, err, &rc) ||
        !copy_str(j, "scope", out->scope, sizeof(out->scope), false, err, &rc) ||
        !copy_str(j, "unionid", out->unionid, sizeof(out->unionid), false, err, &rc))
        goto out;
    out->expires_in = (long)json_integer_value(json_object_get(j, "expires_in"));
    json_t *snap = json_object_get(j, "is_snapshotuser");
    out->is_snapshotuser = snap && json_is_integer(snap) && json_integer_value(snap) == 1;
out:
    json_decref(j);
    return rc;
}

wx_status_t
wechat_parse_userinfo(const char *body, size_t len, wechat_userinfo_t *out, wx_err_t *err)
{
    json_t *j = NULL;
    wx_buf_t fixed;
    wx_buf_init(&fixed, 4 * sizeof(out->raw)); /* each bad byte may become 3 */
    memset(out, 0, sizeof(*out));
    /* A profile that is not UTF-8 (a nickname cut inside a character, an odd emoji) would
     * fail the JSON parse or the store: the bad bytes become U+FFFD and the login goes on. */
    if (!wx_utf8_valid(body, len)) {
        if (wx_utf8_repair(body, len, &fixed) != WX_OK) {
            wx_buf_free(&fixed);
            return wx_err_set(err, WX_EIO, "WeChat's profile is larger than %zu bytes",
                              sizeof(out->raw) - 1);
        }
        body = wx_buf_str(&fixed);
        len = fixed.len;
    }
    wx_status_t rc = parse_object(body, len, &j, err);
    if (rc != WX_OK) {
        wx_buf_free(&fixed);
        return rc;
    }
    if (len >= sizeof(out->raw)) {
        rc = wx_err_set(err, WX_EIO, "WeChat's profile is larger than %zu bytes",
                        sizeof(out->raw) - 1);
        goto out;
    }
    memcpy(out->raw, body, len);
    out->raw[len] = '\0';
    /* Since 2021 sex, country, province and city are blank for everyone: all optional. */
    if (!copy_str(j, "openid", out->openid, sizeof(out->openid), true, err, &rc) ||
        !copy_str(j, "nickname", out->nickname, sizeof(out->nickname), false, err, &rc) ||
        !copy_str(j, "country", out->country, sizeof(out->country), false, err, &rc) ||
        !copy_str(j, "province", out->province, sizeof(out->province), false, err, &rc) ||
        !copy_str(j, "city", out->city, sizeof(out->city), false, err, &rc) ||
        !copy_str(j, "headimgurl", out->headimgurl, sizeof(out->headimgurl), false, err, &rc) ||
        !copy_str(j, "unionid", out->unionid, sizeof(out->unionid), false, err, &rc))
        goto out;
    json_t *sex = json_object_get(j, "sex");
    out->sex = sex && json_is_integer(sex) ? (int)json_integer_value(sex) : 0;
out:
    json_decref(j);
    wx_buf_free(&fixed);
    return rc;
}

wx_status_t
wechat_parse_qrcode(const char *body, size_t len, wechat_qrcode_t *out, wx_err_t *err)
{
    json_t *j = NULL;
    wx_status_t rc = parse_object(body, len, &j, err);
    memset(out, 0, sizeof(*out));
    if (rc != WX_OK)
        return rc;
    if (copy_str(j, "ticket", out->ticket, sizeof(out->ticket), true, err, &rc) &&
        copy_str(j, "url", out->url, sizeof(out->url), true, err, &rc))
        out->expire_seconds = (long)json_integer_value(json_object_get(j, "expire_seconds"));
    json_decref(j);
    return rc;
}

wx_status_t
wechat_parse_client_token(const char *body, size_t len, wechat_client_token_t *out, wx_err_t *err)
{
    json_t *j = NULL;
    wx_status_t rc = parse_object(body, len, &j, err);
    memset(out, 0, sizeof(*out));
    if (rc != WX_OK)
        return rc;
    if (copy_str(j, "access_token", out->access_token, sizeof(out->access_token), true, err, &rc))
        out->expires_in = (long)json_integer_value(json_object_get(j, "expires_in"));
    json_decref(j);
    return rc;
}

/* ---- async calls ---- */

typedef enum { CALL_TOKEN, CALL_USERINFO, CALL_CLIENT, CALL_QRCODE } call_kind_t;

typedef struct {
    call_kind_t kind;
    http_client_t *client;
    struct event_base *base;
    const wechat_cfg_t *cfg;
    char *url;
    char *body; /* POST body (CALL_CLIENT: holds the secret), or NULL for a GET */
    int attempt;
    /* The error of the first attempt that may have reached WeChat, reported if a retry says
     * 40163 (its code consumed by that attempt). */
    wx_err_t first_err;
    wx_status_t first_rc;
    bool first_set;
    wechat_token_cb token_cb;
    wechat_userinfo_cb userinfo_cb;
    wechat_client_token_cb client_cb;
    wechat_qrcode_cb qrcode_cb;
    void *arg;
} call_t;

static void
call_free(call_t *c)
{
    if (c->body) {
        OPENSSL_cleanse(c->body, strlen(c->body));
        free(c->body);
    }
    if (c->url) /* a code exchange's URL carries the App Secret */
        OPENSSL_cleanse(c->url, strlen(c->url));
    free(c->url);
    free(c);
}

static void on_reply(const http_client_result_t *res, void *arg);

static void
call_start(evutil_socket_t fd, short what, void *arg)
{
    call_t *c = arg;
    wx_err_t err = {0};
    wx_status_t rc = c->body
                         ? http_client_post(c->client, c->url, "application/json", c->body,
                                            c->cfg->timeout_ms, WECHAT_BODY_MAX, on_reply, c, &err)
                         : http_client_get(c->client, c->url, c->cfg->timeout_ms, WECHAT_BODY_MAX,
                                           on_reply, c, &err);
    if (rc != WX_OK) {
        http_client_result_t res = {.outcome = HTTP_CLIENT_OTHER, .error = err.msg};
        on_reply(&res, c);
    }
}

static void
call_done(call_t *c, wx_status_t rc, const void *result, wx_err_t *err)
{
    if (c->kind == CALL_TOKEN)
        c->token_cb(rc, result, err, c->arg);
    else if (c->kind == CALL_CLIENT)
        c->client_cb(rc, result, err, c->arg);
    else if (c->kind == CALL_QRCODE)
        c->qrcode_cb(rc, result, err, c->arg);
    else
        c->userinfo_cb(rc, result, err, c->arg);
    call_free(c);
}

static const char *
call_name(const call_t *c)
{
    return c->kind == CALL_TOKEN    ? "sns/oauth2/access_token"
           : c->kind == CALL_CLIENT ? "cgi-bin/stable_token"
           : c->kind == CALL_QRCODE ? "cgi-bin/qrcode/create"
                                    : "sns/userinfo";
}

/* The `call` label of wxauth_wechat_call_seconds. */
static const char *
call_label(const call_t *c)
{
    return c->kind == CALL_TOKEN    ? "access_token"
           : c->kind == CALL_CLIENT ? "stable_token"
           : c->kind == CALL_QRCODE ? "qrcode_create"
                                    : "userinfo";
}

static void
on_reply(const http_client_result_t *res, void *arg)
{
    call_t *c = arg;
    wx_err_t err = {0};
    wx_status_t rc;
    union {
        wechat_token_t tok;
        wechat_userinfo_t ui;
        wechat_client_token_t ct;
        wechat_qrcode_t qr;
    } *u = calloc(1, sizeof(*u));
    char ms[24], st[12];
    wx_snprintf(ms, sizeof(ms), "%lld", (long long)res->elapsed_ms);
    wx_snprintf(st, sizeof(st), "%ld", res->status);
    http_metrics_t *m = http_client_metrics(c->client);
    if (m) /* each attempt, its time in our queue included */
        prom_family_observe(&m->wechat, call_label(c), (uint64_t)res->elapsed_us);

    if (!u) {
        rc = wx_err_set(&err, WX_ENOMEM, "out of memory");
        call_done(c, rc, NULL, &err);
        return;
    }
    if (res->outcome == HTTP_CLIENT_TIMEOUT) {
        rc = wx_err_set(&err, WX_ETIMEOUT, "WeChat did not answer in time");
    } else if (res->outcome == HTTP_CLIENT_BUSY) {
        /* Never sent: the code is still good, and retrying would only queue again. */
        rc = wx_err_set(&err, WX_EBUSY, "too many logins are waiting for WeChat");
        wx_err_detail(&err, "%s", res->error ? res->error : "");
    } else if (res->outcome == HTTP_CLIENT_CANCELLED) {
        rc = wx_err_set(&err, WX_ESHUTDOWN, "the server is shutting down");
    } else if (res->outcome == HTTP_CLIENT_LOCAL) {
        /* Never sent: the cause is ours (no fd), and WeChat must not be blamed for it. */
        rc = wx_err_set(&err, WX_ELOCAL, "this server is out of resources, WeChat not called");
        wx_err_detail(&err, "%s", res->error ? res->error : "");
    } else if (res->outcome != HTTP_CLIENT_OK) {
        rc = wx_err_set(&err, WX_EIO, "could not reach WeChat (%s)",
                        http_client_outcome_str(res->outcome));
        wx_err_detail(&err, "%s", res->error ? res->error : "");
    } else if (res->status != 200) {
        rc = wx_err_set(&err, WX_EUPSTREAM, "WeChat is unavailable (HTTP %ld)", res->status);
    } else if (c->kind == CALL_TOKEN) {
        rc = wechat_parse_token(res->body, res->body_len, &u->tok, &err);
    } else if (c->kind == CALL_CLIENT) {
        rc = wechat_parse_client_token(res->body, res->body_len, &u->ct, &err);
    } else if (c->kind == CALL_QRCODE) {
        rc = wechat_parse_qrcode(res->body, res->body_len, &u->qr, &err);
    } else {
        rc = wechat_parse_userinfo(res->body, res->body_len, &u->ui, &err);
    }
    char ec[16];
    wx_snprintf(ec, sizeof(ec), "%d", err.code);
    wx_log(rc == WX_OK ? WX_LOG_DEBUG : WX_LOG_WARN, "wechat_call", "api", call_name(c), "#ms", ms,
           "#http", st, "#errcode", rc == WX_EUPSTREAM ? ec : NULL, "error",
           rc == WX_OK ? NULL : err.msg, "detail", err.detail[0] ? err.detail : NULL, NULL);

    /* No fd on our side is transient too (and safe: nothing was sent). */
    bool transient = (rc == WX_EUPSTREAM && (err.code == -1 || err.code == 0)) || rc == WX_EIO ||
                     rc == WX_ELOCAL;
    if (rc != WX_OK && transient && res->outcome != HTTP_CLIENT_CANCELLED &&
        c->attempt < c->cfg->retries) {
        if (!c->first_set && rc != WX_ELOCAL) {
            c->first_err = err;
            c->first_rc = rc;
            c->first_set = true;
        }
        c->attempt++;
        struct timeval tv = {0, WECHAT_RETRY_DELAY_MS * 1000};
        free(u);
        if (event_base_once(c->base, -1, EV_TIMEOUT, call_start, c, &tv) == 0)
            return;
        call_done(c, rc, NULL, &err);
        return;
    }
    /* A retried exchange can find its code consumed by the attempt that "failed": report the
     * original failure, not a confusing "code been used". */
    if (rc == WX_EUPSTREAM && err.code == 40163 && c->first_set) {
        err = c->first_err;
        rc = c->first_rc;
    }
    call_done(c, rc, rc == WX_OK ? (void *)u : NULL, &err);
    OPENSSL_cleanse(u, sizeof(*u)); /* WeChat access tokens */
    free(u);
}

static wx_status_t
call_new(call_kind_t kind, http_client_t *client, struct event_base *base, const wechat_cfg_t *cfg,
         wx_buf_t *url, void *arg, call_t **out, wx_err_t *err)
{
    call_t *c = calloc(1, sizeof(*c));
    if (!c)
        return wx_err_set(err, WX_ENOMEM, "out of memory");
    c->kind = kind;
    c->client = client;
    c->base = base;
    c->cfg = cfg;
    c->arg = arg;
    c->url = wx_buf_steal(url);
    *out = c;
    return WX_OK;
}

wx_status_t
wechat_code_exchange(http_client_t *client, struct event_base *base, const wechat_cfg_t *cfg,
                     const char *appid, const char *secret, const char *code, wechat_token_cb cb,
                     void *arg, wx_err_t *err)
{
    wx_buf_t url;
    call_t *c = NULL;
    wx_buf_init(&url, 4096);
    wx_status_t rc = wx_buf_printf(&url, "%s/sns/oauth2/access_token?appid=", cfg->api_base);
    if (rc == WX_OK)
        rc = wx_url_encode(&url, appid);
    if (rc == WX_OK)
        rc = wx_buf_puts(&url, "&secret=");
    if (rc == WX_OK)
        rc = wx_url_encode(&url, secret);
    if (rc == WX_OK)
        rc = wx_buf_puts(&url, "&code=");
    if (rc == WX_OK)
        rc = wx_url_encode(&url, code);
    if (rc == WX_OK)
        rc = wx_buf_puts(&url, "&grant_type=authorization_code");
    if (rc != WX_OK) {
        wx_buf_free(&url);
        return wx_err_set(err, rc, "cannot build the WeChat request");
    }
    rc = call_new(CALL_TOKEN, client, base, cfg, &url, arg, &c, err);
    wx_buf_free(&url);
    if (rc != WX_OK)
        return rc;
    c->token_cb = cb;
    call_start(-1, 0, c);
    return WX_OK;
}

wx_status_t
wechat_userinfo(http_client_t *client, struct event_base *base, const wechat_cfg_t *cfg,
                const char *access_token, const char *openid, wechat_userinfo_cb cb, void *arg,
                wx_err_t *err)
{
    wx_buf_t url;
    call_t *c = NULL;
    wx_buf_init(&url, 4096);
    wx_status_t rc = wx_buf_printf(&url, "%s/sns/userinfo?access_token=", cfg->api_base);
    if (rc == WX_OK)
        rc = wx_url_encode(&url, access_token);
    if (rc == WX_OK)
        rc = wx_buf_puts(&url, "&openid=");
    if (rc == WX_OK)
        rc = wx_url_encode(&url, openid);
    if (rc == WX_OK)
        rc = wx_buf_puts(&url, "&lang=");
    if (rc == WX_OK)
        rc = wx_url_encode(&url, cfg->lang ? cfg->lang : "zh_CN");
    if (rc != WX_OK) {
        wx_buf_free(&url);
        return wx_err_set(err, rc, "cannot build the WeChat request");
    }
    rc = call_new(CALL_USERINFO, client, base, cfg, &url, arg, &c, err);
    wx_buf_free(&url);
    if (rc != WX_OK)
        return rc;
    c->userinfo_cb = cb;
    call_start(-1, 0, c);
    return WX_OK;
}

/* The stable_token API in normal mode: while the account's stable token is valid WeChat hands
 * the same one back, so a check never cuts short the token another service of the business
 * holds (GET cgi-bin/token would replace it), and the secret travels in the body, not in a URL
 * that proxies log. */
wx_status_t
wechat_client_token(http_client_t *client, struct event_base *base, const wechat_cfg_t *cfg,
                    const char *appid, const char *secret, wechat_client_token_cb cb, void *arg,
                    wx_err_t *err)
{
    return wechat_stable_token(client, base, cfg, appid, secret, false, cb, arg, err);
}

wx_status_t
wechat_stable_token(http_client_t *client, struct event_base *base, const wechat_cfg_t *cfg,
                    const char *appid, const char *secret, bool force_refresh,
                    wechat_client_token_cb cb, void *arg, wx_err_t *err)
{
    wx_buf_t url;
    call_t *c = NULL;
    json_t *j = json_pack("{s:s,s:s,s:s,s:b}", "grant_type", "client_credential", "appid", appid,
                          "secret", secret, "force_refresh", force_refresh);
    char *body = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j); /* jansson keeps its own copy of the secret: freed here, not cleansed */
    wx_buf_init(&url, 1024);
    wx_status_t rc =
        body ? wx_buf_printf(&url, "%s/cgi-bin/stable_token", cfg->api_base) : WX_ENOMEM;
    if (rc != WX_OK) {
        wx_buf_free(&url);
        if (body) {
            OPENSSL_cleanse(body, strlen(body));
            free(body);
        }
        return wx_err_set(err, rc, "cannot build the WeChat request");
    }
    rc = call_new(CALL_CLIENT, client, base, cfg, &url, arg, &c, err);
    wx_buf_free(&url);
    if (rc != WX_OK) {
        OPENSSL_cleanse(body, strlen(body));
        free(body);
        return rc;
    }
    c->body = body;
    c->client_cb = cb;
    call_start(-1, 0, c);
    return WX_OK;
}

/* POST cgi-bin/qrcode/create?access_token=…: a temporary code with a string scene. */
wx_status_t
wechat_qrcode_create(http_client_t *client, struct event_base *base, const wechat_cfg_t *cfg,
                     const char *access_token, const char *scene, long expire_seconds,
                     wechat_qrcode_cb cb, void *arg, wx_err_t *err)
{
    wx_buf_t url;
    call_t *c = NULL;
    json_t *j =
        json_pack("{s:I,s:s,s:{s:{s:s}}}", "expire_seconds", (json_int_t)expire_seconds,
                  "action_name", "QR_STR_SCENE", "action_info", "scene", "scene_str", scene);
    char *body = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    wx_buf_init(&url, 2048);
    wx_status_t rc =
        body ? wx_buf_printf(&url, "%s/cgi-bin/qrcode/create?access_token=", cfg->api_base)
             : WX_ENOMEM;
    if (rc == WX_OK)
        rc = wx_url_encode(&url, access_token);
    if (rc != WX_OK) {
        wx_buf_free(&url);
        free(body);
        return wx_err_set(err, rc, "cannot build the WeChat request");
    }
    rc = call_new(CALL_QRCODE, client, base, cfg, &url, arg, &c, err);
    wx_buf_free(&url);
    if (rc != WX_OK) {
        free(body);
        return rc;
    }
    c->body = body;
    c->qrcode_cb = cb;
    call_start(-1, 0, c);
    return WX_OK;
}
