/* Admin resource: GET /pools/{id}/desktop — the pool's desktop (QR-code) login methods, for
 * the console's 电脑端扫码登录 section: which ones the pool can use (proto/desktop_methods.h,
 * the rules start.c follows), which one a computer gets when the login names none, why the
 * others cannot be used and what to set up, the store-side checks of each method's
 * connection (proto/conn_check.h, as POST …/check returns them), and a start URL that tests
 * each one (?desktop_method=). */
#include "admin.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "../proto/conn_check.h"
#include "../proto/desktop_methods.h"
#include "../store/query.h"
#include "../util/buf.h"

#define DESKTOP_CONNS_MAX 256 /* far more than a pool has; the rest are not considered */

typedef struct {
    desktop_conn_t conns[DESKTOP_CONNS_MAX];
    size_t n;
} conn_rows_t;

static bool
conn_row(const store_conn_t *c, void *arg)
{
    conn_rows_t *l = arg;
    desktop_conn_t *d = &l->conns[l->n++];
    wx_strlcpy(d->identifier, c->identifier, sizeof(d->identifier));
    d->open = strcmp(c->type, STORE_CONN_OPEN) == 0;
    d->push_token = c->push_token[0] != '\0';
    return l->n < DESKTOP_CONNS_MAX;
}

/* The first application with a plain registered callback: the test logins start with it. */
typedef struct {
    char id[STORE_ID_MAX];
} app_pick_t;

static bool
app_row(const store_app_t *app, void *arg)
{
    app_pick_t *p = arg;
    if (admin_has_plain_url(app->redirect_urls)) {
        wx_strlcpy(p->id, app->id, sizeof(p->id));
        return false;
    }
    return true;
}

/* The words of each method: Chinese first (the console), English. */
static const char *const names_zh[DMETHOD_COUNT] = {"", "服务号扫码确认", "网站应用扫码",
                                                    "关注公众号登录"};
static const char *const names_en[DMETHOD_COUNT] = {
    "", "Service account: scan, then confirm on the phone", "Open Platform website app",
    "Follow the service account"};

/* Why a method cannot be used, and what to set up: {reason, message(_zh), fix(_zh)}. */
static json_t *
why_json(desktop_method_t m, desktop_why_t why, const char *pool)
{
    char fix[700];
    const char *reason = "", *msg = "", *msg_zh = "", *fix_zh = "";
    fix[0] = '\0';
    switch (why) {
    case DMETHOD_WHY_SERVER_OFF:
        reason = "server_off";
        msg = "desktop logins are off on this server ([desktop] login = off)";
        msg_zh = "本服务器关闭了电脑端登录（[desktop] login = off）";
        wx_strlcpy(fix, "set [desktop] login = on in wxauthd's configuration and restart it",
                   sizeof(fix));
        fix_zh = "在 wxauthd 的配置中设置 [desktop] login = on 并重启";
        break;
    case DMETHOD_WHY_POOL_OFF:
        reason = "pool_off";
        msg = "the pool's desktop login is none: a computer gets the phone's login";
        msg_zh = "用户池的电脑端登录设为 none：电脑上的登录与手机相同（提示在微信中打开）";
        wx_snprintf(fix, sizeof(fix), "wxauth pool update %s --desktop auto", pool);
        fix_zh = "在用户池设置中把“Desktop login”改为 auto";
        break;
    case DMETHOD_WHY_POOL_QRCONNECT:
        reason = "pool_qrconnect_only";
        msg = "the pool's desktop login is qrconnect: its website app only";
        msg_zh = "用户池的电脑端登录设为 qrconnect：只用开放平台网站应用";
        wx_snprintf(fix, sizeof(fix), "wxauth pool update %s --desktop auto", pool);
        fix_zh = "在用户池设置中把“Desktop login”改为 auto";
        break;
    case DMETHOD_WHY_NO_MP:
    case DMETHOD_WHY_NAMED_OPEN:
        reason = "no_service_account";
        msg = "the pool has no service-account (wechat_mp) connection";
        msg_zh = "用户池没有服务号连接（wechat_mp）";
        wx_snprintf(fix, sizeof(fix),
                    "WX_SECRET=… wxauth connection set --pool %s --appid WXAPPID --secret-env "
                    "WX_SECRET --callback URL",
                    pool);
        fix_zh = "在“Connections”中新建服务号连接，填入 AppID、AppSecret 和 Callback URL";
        break;
    case DMETHOD_WHY_NO_OPEN:
        reason = "no_website_app";
        msg = "the pool has no Open Platform website app (connection type wechat_open)";
        msg_zh = "用户池没有开放平台网站应用（连接类型 wechat_open）";
        wx_snprintf(fix, sizeof(fix),
                    "register a website app on open.weixin.qq.com (微信登录 granted), then: "
                    "WX_WEB_SECRET=… wxauth connection set --pool %s --type wechat_open --appid "
                    "WXAPPID --secret-env WX_WEB_SECRET --callback '#'",
                    pool);
        fix_zh = "在微信开放平台（open.weixin.qq.com）创建网站应用并获得微信登录权限，然后在"
                 "“Connections”中新建类型为 wechat_open 的连接，填入它的 AppID 和 AppSecret；"
                 "授权回调域填写 public_url 的域名";
        break;
    case DMETHOD_WHY_NO_PUSH_TOKEN:
        reason = "no_push_token";
        msg = "no service-account connection has a message server Token (follow to log in)";
        msg_zh = "没有服务号连接设置了消息服务器 Token（关注公众号登录）";
        wx_snprintf(fix, sizeof(fix),
                    "on a verified service account whose messages may come to wxauthd: "
                    "WX_PUSH_TOKEN=… WX_AES_KEY=… wxauth connection set --pool %s --push-token-env "
                    "WX_PUSH_TOKEN --aes-key-env WX_AES_KEY, then enter the push_url it prints, "
                    "the Token and EncodingAESKey in 设置与开发 → 基本配置 → 服务器配置",
                    pool);
        fix_zh = "（需认证服务号，且其消息服务器可交给 wxauthd）给服务号连接填入 Token 和 "
                 "EncodingAESKey，再在 设置与开发 → 基本配置 → 服务器配置 填写连接显示的服务器"
                 "地址、相同的 Token 和 EncodingAESKey，选择安全模式并启用";
        break;
    case DMETHOD_WHY_NONE:
        return NULL;
    }
    (void)m;
    return json_pack("{s:s,s:s,s:s,s:s,s:s}", "reason", reason, "message", msg, "message_zh",
                     msg_zh, "fix", fix, "fix_zh", fix_zh);
}

/* A start URL that logs a computer in with method m through connection ident. */
static bool
test_url(char *out, size_t n, const char *public_url, const char *pool, const char *app,
         const char *ident, desktop_method_t m)
{
    const char *name = desktop_method_name(m);
    if (app[0])
        return wx_snprintf(out, n, "%s/connections/social/%s?app_id=%s&desktop_method=%s",
                           public_url, ident, app, name);
    if (strcmp(ident, STORE_DEFAULT_CONN) == 0 || m == DMETHOD_QRCONNECT)
        return wx_snprintf(out, n, "%s/oauth/wechatmp/url/%s?desktop_method=%s", public_url, pool,
                           name);
    return wx_snprintf(out, n, "%s/oauth/wechatmp/url/%s?connection=%s&desktop_method=%s",
                       public_url, pool, ident, name);
}

/* Remove conn_check_follow's entries from a connection's checks. */
static void
drop_follow_checks(json_t *checks)
{
    for (size_t i = json_array_size(checks); i-- > 0;) {
        const char *k = json_string_value(json_object_get(json_array_get(checks, i), "check"));
        if (k && (strcmp(k, "push-token") == 0 || strcmp(k, "aes-key") == 0 ||
                  strcmp(k, "push-url") == 0))
            json_array_remove(checks, i);
    }
}

/* One method: what start.c would do with ?desktop_method=, and its connection's readiness. */
static json_t *
method_json(admin_req_t *a, const store_pool_t *pool, const desktop_methods_t *dm,
            desktop_method_t m, const char *app)
{
    const desktop_method_info_t *info = &dm->m[m];
    const char *public_url = a->ctx->app->cfg->public_url;
    wx_err_t err = {0};
    store_conn_t *c = NULL;
    json_t *o = json_pack("{s:s,s:s,s:s,s:b,s:b}", "method", desktop_method_name(m), "name",
                          names_zh[m], "name_en", names_en[m], "available",
                          info->why == DMETHOD_WHY_NONE, "auto", dm->pick == m);
    if (!o)
        return NULL;
    json_object_set_new(o, "connection",
                        info->identifier[0] ? json_string(info->identifier) : json_null());
    if (info->why != DMETHOD_WHY_NONE)
        json_object_set_new(o, "unavailable", why_json(m, info->why, pool->id));
    if (!info->identifier[0])
        return o;
    c = malloc(sizeof(*c));
    if (!c || store_conn_get(a->st, pool->id, info->identifier, c, &err) != WX_OK) {
        json_object_set_new(o, "checks", json_array()); /* deleted meanwhile: nothing to say */
        goto out;
    }
    json_t *checks = admin_conn_static_checks(a, pool, c);
    if (checks && m != DMETHOD_FOLLOW)
        drop_follow_checks(checks); /* the account's pushes are follow's alone */
    conn_check_t x;
    conn_check_init(&x, c, public_url);
    /* The part of the set-up each method adds (the rest is POST …/check's network checks). */
    if (checks && m == DMETHOD_QRCONNECT)
        conn_check_website(checks, &x);
    else if (checks && m == DMETHOD_SCAN)
        conn_check_domain(checks, &x, a->ctx->app->cfg->api_base, NULL);
    int failed = 0, warned = 0;
    if (checks)
        conn_check_count(checks, &failed, &warned);
    json_object_set_new(o, "checks", checks ? checks : json_array());
    json_object_set_new(o, "failed", json_integer(failed));
    json_object_set_new(o, "warnings", json_integer(warned));
    json_object_set_new(o, "ready", json_boolean(info->why == DMETHOD_WHY_NONE && !failed));
    json_object_set_new(o, "connection_type", json_string(c->type[0] ? c->type : STORE_CONN_MP));
    if (m == DMETHOD_FOLLOW && x.push_url[0])
        json_object_set_new(o, "push_url", json_string(x.push_url));
    if (m != DMETHOD_FOLLOW && x.redirect_uri[0])
        json_object_set_new(o, "wechat_redirect_uri", json_string(x.redirect_uri));
    char url[1600];
    if (info->why == DMETHOD_WHY_NONE && public_url &&
        test_url(url, sizeof(url), public_url, pool->id, app, c->identifier, m))
        json_object_set_new(o, "test_url", json_string(url));
out:
    if (c)
        OPENSSL_cleanse(c, sizeof(*c)); /* its sealed secrets */
    free(c);
    return o;
}

bool
admin_desktop(admin_req_t *a)
{
    wx_err_t err = {0};
    store_pool_t pool;
    conn_rows_t *rows = NULL;
    app_pick_t app = {{0}};
    desktop_methods_t dm;
    if (strcmp(a->seg[0], "pools") != 0 || a->nseg != 3 || strcmp(a->seg[2], "desktop") != 0)
        return false;
    if (strcmp(a->r->method, "GET") != 0) {
        admin_error(a, 405, "use GET on /pools/{id}/desktop");
        return true;
    }
    if (store_pool_get(a->st, a->seg[1], &pool, &err) != WX_OK) {
        admin_store_error(a, &err);
        return true;
    }
    if (!(rows = calloc(1, sizeof(*rows)))) {
        admin_error(a, 500, "out of memory");
        return true;
    }
    if (store_conn_list(a->st, pool.id, conn_row, rows, &err) != WX_OK ||
        store_app_list(a->st, pool.id, app_row, &app, &err) != WX_OK) {
        admin_store_error(a, &err);
        goto out;
    }
    bool on = a->ctx->app->cfg->desktop_login;
    desktop_methods_of(&pool, on, rows->conns, rows->n, &dm);
    json_t *methods = json_array();
    for (int m = DMETHOD_SCAN; methods && m < DMETHOD_COUNT; m++)
        json_array_append_new(methods, method_json(a, &pool, &dm, (desktop_method_t)m, app.id));
    json_t *o = json_pack("{s:s,s:s,s:b,s:o*}", "pool_id", pool.id, "desktop_method",
                          pool.desktop_method[0] ? pool.desktop_method : "auto", "server_on", on,
                          "methods", methods);
    if (o)
        json_object_set_new(o, "auto",
                            dm.pick == DMETHOD_AUTO ? json_null()
                                                    : json_string(desktop_method_name(dm.pick)));
    if (o && app.id[0])
        json_object_set_new(o, "test_app", json_string(app.id));
    a->r->outcome = "ok";
    admin_reply(a, 200, o);
out:
    free(rows);
    return true;
}
