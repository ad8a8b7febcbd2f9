/* Desktop login through an Open Platform website app (issue #15 item 2), end to end against
 * the real emulator and a real wxauthd: the website app registered in the emulator, its
 * connection made with the CLI, a desktop browser sent to the QR-code page, the scripted scan
 * (confirm, deny), the code's rules (single use, its own appid and secret, 10 minutes), wrong
 * App ID or App Secret, and the same person through the service account and the website app
 * ending as one user with one sub. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

#include "../../src/jose/b64url.h"

#define WEB_APPID "wxa1b2c3d4e5f60718"
#define WEB_NAME "示例网站 Example Web"
#define WEB_IDENT "wechat:qrconnect"
#define DESKTOP_UA                                                                                 \
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 "     \
    "Safari/537.36"

static wxt_env_t env;
static char start_url[256];

static int
group_setup(void **state)
{
    char json[512];
    wxt_setup(&env, NULL);
    /* The website app, on the same Open Platform account as the harness's service account. */
    snprintf(json, sizeof(json),
             "{\"appid\":\"" WEB_APPID "\",\"type\":\"website\",\"name\":\"" WEB_NAME "\","
             "\"secret\":\"%s\",\"domain\":\"127.0.0.1:%d\",\"open_platform\":\"op-test\"}",
             env.secret, env.auth_port);
    wxt_emu_admin(&env, "POST", "/emu/admin/accounts", json);
    char *out = NULL;
    int rc = wxt_cli(&env, &out,
                     (const char *const[]){"connection", "set", "--pool", "demo", "--type",
                                           "wechat_open", "--appid", WEB_APPID, "--secret-env",
                                           "WXT_SECRET", "--callback", env.callback, NULL});
    if (rc != 0)
        fail_msg("connection set --type wechat_open: exit %d: %s", rc, out ? out : "");
    assert_non_null(strstr(out, "connection " WEB_IDENT " of pool demo created"));
    free(out);
    snprintf(start_url, sizeof(start_url), "%s/oauth/wechatmp/url/demo", env.auth);
    return 0;
}

static int
group_teardown(void **state)
{
    wxt_teardown(&env);
    return 0;
}

static const char *
jstr(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    if (!s)
        fail_msg("data.%s missing or not a string", k);
    return s;
}

/* A login that must succeed; res->data is the user. */
static void
login_ok(wxt_browser_t *b, const char *url, const char *person, const char *action,
         wxt_result_t *res)
{
    wxt_resp_t fin = {0};
    wxt_login(b, url, person, action, &fin, NULL, 0);
    if (fin.status != 302 || !fin.location)
        fail_msg("final status %ld body %.300s", fin.status, fin.body ? fin.body : "");
    assert_true(wxt_parse_result(&env, fin.location, res));
    if (res->code != 200)
        fail_msg("code %d message %s", res->code, res->message);
    assert_non_null(res->data);
    wxt_resp_free(&fin);
}

/* The sub claim of a token (its payload, base64url JSON). */
static void
token_claim(const char *token, const char *name, char *out, size_t n)
{
    const char *p = strchr(token, '.'), *q = p ? strchr(p + 1, '.') : NULL;
    unsigned char *raw = NULL;
    size_t len = 0;
    assert_non_null(q);
    assert_int_equal(b64url_decode(p + 1, (size_t)(q - p - 1), &raw, &len), WX_OK);
    json_t *j = json_loadb((const char *)raw, len, 0, NULL);
    free(raw);
    assert_non_null(j);
    const char *v = json_string_value(json_object_get(j, name));
    snprintf(out, n, "%s", v ? v : "");
    json_decref(j);
}

static void
token_sub(const char *token, char *out, size_t n)
{
    token_claim(token, "sub", out, n);
}

/* The desktop's start goes to the website app's QR page, in WeChat's exact form. */
static void
test_desktop_start_to_qrconnect(void **state)
{
    wxt_browser_t *b = wxt_browser_new(DESKTOP_UA);
    wxt_resp_t r = {0}, page = {0};
    char want[512], url[4096];
    assert_int_equal(wxt_get(b, start_url, &r), 0);
    assert_int_equal(r.status, 302);
    snprintf(want, sizeof(want),
             "%s/connect/qrconnect?appid=" WEB_APPID "&redirect_uri=http%%3A%%2F%%2F127.0.0.1%%3A"
             "%d%%2Fconnections%%2Fsocial%%2Fwechat%%3Aqrconnect%%2Fcallback"
             "&response_type=code&scope=snsapi_login&state=",
             env.emu, env.auth_port);
    if (strncmp(r.location, want, strlen(want)) != 0)
        fail_msg("Location %s\nwanted %s...", r.location, want);
    size_t n = strlen(r.location);
    assert_true(n > 16 && strcmp(r.location + n - 16, "#wechat_redirect") == 0);

    /* The QR page: the app's name, a QR image, Chinese first, and the emulated scan. */
    snprintf(url, sizeof(url), "%.*s", (int)(n - 16), r.location);
    assert_int_equal(wxt_get(b, url, &page), 0);
    assert_int_equal(page.status, 200);
    assert_non_null(strstr(page.body, "示例网站 Example Web"));
    assert_non_null(strstr(page.body, "请使用微信扫描二维码登录"));
    assert_non_null(strstr(page.body, "data:image/svg+xml;base64,"));
    assert_non_null(strstr(page.body, "emu_person=alice"));
    wxt_resp_free(&page);
    /* Scanned, not yet confirmed: the desktop waits, naming who scanned. */
    size_t len = strlen(url);
    snprintf(url + len, sizeof(url) - len, "&emu_person=alice");
    assert_int_equal(wxt_get(b, url, &page), 0);
    assert_int_equal(page.status, 200);
    assert_null(page.location);
    assert_non_null(strstr(page.body, "扫描成功"));
    assert_non_null(strstr(page.body, "Alice"));
    assert_non_null(strstr(page.body, "emu_action=confirm"));
    wxt_resp_free(&page);
    wxt_resp_free(&r);

    /* A phone (WeChat) still gets the service account's page. */
    wxt_browser_t *phone = wxt_browser_new(WXT_WECHAT_UA);
    assert_int_equal(wxt_get(phone, start_url, &r), 0);
    assert_int_equal(r.status, 302);
    assert_non_null(strstr(r.location, "/connect/oauth2/authorize?appid=" WXT_APPID "&"));
    wxt_resp_free(&r);
    wxt_browser_free(phone);
    wxt_browser_free(b);
}

/* Desktop (website app) and phone (service account) logins of one person: one user, one sub,
 * each connection its own openid, the unionid shared. */
static void
test_same_person_one_user(void **state)
{
    wxt_browser_t *desk = wxt_browser_new(DESKTOP_UA), *phone = wxt_browser_new(WXT_WECHAT_UA);
    wxt_result_t r1, r2, r3;
    char web_openid[64], web_unionid[64], mp_openid[64], mp_unionid[64], sub1[64], sub2[64],
        sub3[64];
    wxt_emu_person_ids(&env, WEB_APPID, "alice", web_openid, sizeof(web_openid), web_unionid,
                       sizeof(web_unionid));
    wxt_emu_person_ids(&env, WXT_APPID, "alice", mp_openid, sizeof(mp_openid), mp_unionid,
                       sizeof(mp_unionid));
    assert_string_not_equal(web_openid, mp_openid);
    assert_string_equal(web_unionid, mp_unionid); /* one Open Platform account */

    login_ok(desk, start_url, "alice", "confirm", &r1);
    assert_string_equal(jstr(r1.data, "openid"), web_openid);
    assert_string_equal(jstr(r1.data, "unionid"), web_unionid);
    assert_string_equal(jstr(r1.data, "nickname"), "Alice 爱丽丝"); /* sns/userinfo was read */
    token_sub(jstr(r1.data, "token"), sub1, sizeof(sub1));
    assert_string_equal(sub1, jstr(r1.data, "id"));
    /* Whose openid it is, in data and in the token. */
    char oa[64];
    assert_string_equal(jstr(r1.data, "openid_appid"), WEB_APPID);
    token_claim(jstr(r1.data, "token"), "openid_appid", oa, sizeof(oa));
    assert_string_equal(oa, WEB_APPID);

    login_ok(phone, start_url, "alice", "allow", &r2);
    assert_string_equal(jstr(r2.data, "openid"), mp_openid);
    assert_string_equal(jstr(r2.data, "openid_appid"), WXT_APPID);
    token_claim(jstr(r2.data, "token"), "openid_appid", oa, sizeof(oa));
    assert_string_equal(oa, WXT_APPID);
    assert_string_equal(jstr(r2.data, "id"), jstr(r1.data, "id"));
    token_sub(jstr(r2.data, "token"), sub2, sizeof(sub2));
    assert_string_equal(sub2, sub1);

    login_ok(desk, start_url, "alice", "confirm", &r3);
    assert_string_equal(jstr(r3.data, "id"), jstr(r1.data, "id"));
    token_sub(jstr(r3.data, "token"), sub3, sizeof(sub3));
    assert_string_equal(sub3, sub1);

    /* The admin API lists both identities of that one user, each with its connection. */
    wxt_resp_t u = {0};
    char path[128];
    snprintf(path, sizeof(path), "/pools/demo/users/%s", jstr(r1.data, "id"));
    assert_int_equal(wxt_admin(&env, "GET", path, NULL, &u), 0);
    assert_int_equal(u.status, 200);
    assert_non_null(strstr(u.body, WEB_IDENT));
    assert_non_null(strstr(u.body, web_openid));
    assert_non_null(strstr(u.body, mp_openid));
    wxt_resp_free(&u);
    wxt_result_free(&r1);
    wxt_result_free(&r2);
    wxt_result_free(&r3);
    wxt_browser_free(desk);
    wxt_browser_free(phone);
}

/* The phone refuses: the desktop stays on WeChat's page (no redirect, as WeChat does now), and
 * nothing reaches wxauthd. */
static void
test_user_denies(void **state)
{
    wxt_browser_t *b = wxt_browser_new(DESKTOP_UA);
    wxt_resp_t fin = {0};
    long before = wxt_emu_calls(&env, "access_token");
    wxt_login(b, start_url, "bob", "deny", &fin, NULL, 0);
    assert_int_equal(fin.status, 200);
    assert_null(fin.location);
    assert_non_null(strstr(fin.body, "你已取消此次登录"));
    assert_non_null(strstr(fin.body, "重新扫描"));
    assert_int_equal(wxt_emu_calls(&env, "access_token"), before);
    wxt_resp_free(&fin);
    wxt_browser_free(b);
}

/* The code WeChat sends back is the website app's: once, and only with its appid and secret. */
static void
test_code_rules(void **state)
{
    wxt_browser_t *b = wxt_browser_new(DESKTOP_UA);
    wxt_resp_t fin = {0}, r = {0};
    wxt_result_t res;
    char cb[2048], url[4096];
    wxt_login(b, start_url, "alice", "confirm", &fin, cb, sizeof(cb));
    assert_int_equal(fin.status, 302);
    assert_true(wxt_parse_result(&env, fin.location, &res));
    assert_int_equal(res.code, 200);
    wxt_result_free(&res);
    wxt_resp_free(&fin);
    const char *c = strstr(cb, "code=");
    assert_non_null(c);
    char code[64];
    snprintf(code, sizeof(code), "%.*s", (int)strcspn(c + 5, "&"), c + 5);

    /* wxauthd exchanged it: a second exchange is 40163, as WeChat answers. */
    snprintf(url, sizeof(url),
             "%s/sns/oauth2/access_token?appid=" WEB_APPID
             "&secret=%s&code=%s&grant_type=authorization_code",
             env.emu, env.secret, code);
    assert_int_equal(wxt_http("GET", url, NULL, &r), 0);
    assert_non_null(strstr(r.body, "\"errcode\":40163"));
    wxt_resp_free(&r);
    /* Another app's appid (the service account's) never redeems it. */
    snprintf(url, sizeof(url),
             "%s/sns/oauth2/access_token?appid=" WXT_APPID
             "&secret=%s&code=%s&grant_type=authorization_code",
             env.emu, env.secret, code);
    assert_int_equal(wxt_http("GET", url, NULL, &r), 0);
    assert_non_null(strstr(r.body, "\"errcode\":40029"));
    wxt_resp_free(&r);
    /* The same browser loading the callback again gets the same login (the WebView double
     * load of the service-account flow); another browser is refused. */
    assert_int_equal(wxt_get(b, cb, &r), 0);
    assert_int_equal(r.status, 302);
    assert_true(wxt_parse_result(&env, r.location, &res));
    assert_int_equal(res.code, 200);
    wxt_result_free(&res);
    wxt_resp_free(&r);
    wxt_browser_t *other = wxt_browser_new(DESKTOP_UA);
    assert_int_equal(wxt_get(other, cb, &r), 0);
    assert_int_equal(r.status, 403);
    wxt_resp_free(&r);
    wxt_browser_free(other);
    wxt_browser_free(b);
}

/* A wrong App Secret ends on the business callback with WeChat's 40125; an App ID WeChat does
 * not know stops on WeChat's QR page ("AppID 参数错误"). */
static void
test_wrong_secret_and_appid(void **state)
{
    wxt_browser_t *b = wxt_browser_new(DESKTOP_UA);
    wxt_resp_t fin = {0};
    wxt_result_t res;
    setenv("WXT_WRONG", "not-the-secret", 1);
    assert_int_equal(
        wxt_cli(&env, NULL,
                (const char *const[]){"connection", "set", "--pool", "demo", "--identifier",
                                      WEB_IDENT, "--secret-env", "WXT_WRONG", NULL}),
        0);
    wxt_login(b, start_url, "alice", "confirm", &fin, NULL, 0);
    assert_int_equal(fin.status, 302);
    assert_true(wxt_parse_result(&env, fin.location, &res));
    assert_int_equal(res.code, 40125);
    /* The connection check says so too (a probe code: website apps have no account token). */
    wxt_resp_t chk = {0};
    assert_int_equal(
        wxt_admin(&env, "POST", "/pools/demo/connections/" WEB_IDENT "/check", NULL, &chk), 0);
    assert_int_equal(chk.status, 200);
    assert_non_null(strstr(chk.body, "\"reason\":\"wrong_secret\""));
    wxt_resp_free(&chk);
    wxt_result_free(&res);
    wxt_resp_free(&fin);

    assert_int_equal(
        wxt_cli(&env, NULL,
                (const char *const[]){"connection", "set", "--pool", "demo", "--identifier",
                                      WEB_IDENT, "--appid", "wx1111111111111111", "--secret-env",
                                      "WXT_SECRET", NULL}),
        0);
    wxt_login(b, start_url, "alice", "confirm", &fin, NULL, 0);
    assert_int_equal(fin.status, 200);
    assert_non_null(strstr(fin.body, "AppID 参数错误"));
    wxt_resp_free(&fin);

    /* Put it right again: the login works. */
    assert_int_equal(
        wxt_cli(&env, NULL,
                (const char *const[]){"connection", "set", "--pool", "demo", "--identifier",
                                      WEB_IDENT, "--appid", WEB_APPID, NULL}),
        0);
    login_ok(b, start_url, "alice", "confirm", &res);
    wxt_result_free(&res);
    char *out = NULL;
    assert_int_equal(wxt_cli(&env, &out,
                             (const char *const[]){"connection", "check", "--pool", "demo",
                                                   "--identifier", WEB_IDENT, NULL}),
                     0);
    assert_non_null(strstr(out, "ok: WeChat knows the website app's App ID"));
    free(out);
    wxt_browser_free(b);
}

/* The pool's desktop_method, and connection= naming the website app explicitly. */
static void
test_desktop_method(void **state)
{
    wxt_browser_t *b = wxt_browser_new(DESKTOP_UA);
    wxt_resp_t r = {0};
    char url[512], *out = NULL;
    /* The Authing SDKs name the service account's connection: a computer still gets the QR
     * code (it could not finish the service account's page), a phone the service account. */
    snprintf(url, sizeof(url), "%s/connections/social/wechat:webpage-authorization?app_id=demo-app",
             env.auth);
    assert_int_equal(wxt_get(b, url, &r), 0);
    assert_int_equal(r.status, 302);
    assert_non_null(strstr(r.location, "/connect/qrconnect?appid=" WEB_APPID "&"));
    wxt_resp_free(&r);
    wxt_browser_t *phone = wxt_browser_new(WXT_WECHAT_UA);
    assert_int_equal(wxt_get(phone, url, &r), 0);
    assert_non_null(strstr(r.location, "/connect/oauth2/authorize?appid=" WXT_APPID "&"));
    wxt_resp_free(&r);
    wxt_browser_free(phone);
    assert_int_equal(
        wxt_cli(&env, NULL,
                (const char *const[]){"pool", "update", "demo", "--desktop", "none", NULL}),
        0);
    assert_int_equal(wxt_get(b, url, &r), 0); /* none: the named connection, as before */
    assert_non_null(strstr(r.location, "/connect/oauth2/authorize?appid=" WXT_APPID "&"));
    wxt_resp_free(&r);
    assert_int_equal(wxt_get(b, start_url, &r), 0);
    assert_int_equal(r.status, 302);
    assert_non_null(strstr(r.location, "/connect/oauth2/authorize?appid=" WXT_APPID "&"));
    wxt_resp_free(&r);
    snprintf(url, sizeof(url), "%s?connection=" WEB_IDENT, start_url);
    assert_int_equal(wxt_get(b, url, &r), 0);
    assert_int_equal(r.status, 302);
    assert_non_null(strstr(r.location, "/connect/qrconnect?appid=" WEB_APPID "&"));
    wxt_resp_free(&r);
    /* The v1.1+ form names the connection in its path. */
    snprintf(url, sizeof(url), "%s/connections/social/" WEB_IDENT "?app_id=demo-app", env.auth);
    assert_int_equal(wxt_get(b, url, &r), 0);
    assert_int_equal(r.status, 302);
    assert_non_null(strstr(r.location, "/connect/qrconnect?appid=" WEB_APPID "&"));
    wxt_resp_free(&r);

    assert_int_equal(wxt_cli(&env, &out,
                             (const char *const[]){"pool", "update", "demo", "--desktop",
                                                   "qrconnect", "--json", NULL}),
                     0);
    assert_non_null(strstr(out, "\"desktop_method\": \"qrconnect\""));
    free(out);
    assert_int_equal(wxt_get(b, start_url, &r), 0);
    assert_non_null(strstr(r.location, "/connect/qrconnect?appid=" WEB_APPID "&"));
    wxt_resp_free(&r);
    assert_int_equal(
        wxt_cli(&env, NULL,
                (const char *const[]){"pool", "update", "demo", "--desktop", "auto", NULL}),
        0);
    /* A bad method is refused with what is allowed. */
    assert_int_equal(wxt_admin(&env, "PATCH", "/pools/demo", "{\"desktop_method\":\"scan\"}", &r),
                     0);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "auto, qrconnect or none"));
    wxt_resp_free(&r);
    wxt_browser_free(b);
}

/* The connection as the admin API and the CLI show it: its type, never its secret; the
 * secret is in no log line either. The emulator's authorize page refuses a website appid. */
static void
test_shown_never_secret(void **state)
{
    wxt_resp_t r = {0};
    char *out = NULL, path[700];
    assert_int_equal(wxt_admin(&env, "GET", "/pools/demo/connections/" WEB_IDENT, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"type\":\"wechat_open\""));
    assert_non_null(strstr(r.body, "\"scope\":\"snsapi_login\""));
    assert_null(strstr(r.body, env.secret));
    wxt_resp_free(&r);
    /* Its type is chosen once. */
    assert_int_equal(wxt_admin(&env, "PATCH", "/pools/demo/connections/" WEB_IDENT,
                               "{\"type\":\"wechat_mp\"}", &r),
                     0);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "cannot be changed"));
    wxt_resp_free(&r);
    assert_int_equal(
        wxt_cli(&env, &out, (const char *const[]){"connection", "list", "--pool", "demo", NULL}),
        0);
    assert_non_null(strstr(out, "TYPE"));
    assert_non_null(strstr(out, "wechat_open"));
    assert_null(strstr(out, env.secret));
    free(out);

    /* doctor names the website app's 授权回调域 and looks for no verification file. */
    wxt_cli(&env, &out, (const char *const[]){"doctor", "--pool", "demo", NULL});
    assert_non_null(out);
    const char *dom = strstr(out, "demo/" WEB_IDENT ": WeChat");
    if (!dom || !strstr(dom, "授权回调域"))
        fail_msg("doctor: %s", out);
    assert_null(strstr(out, "txt-file  demo/" WEB_IDENT));
    free(out);

    snprintf(path, sizeof(path), "%s/wxauthd.log", env.dir);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *log = calloc(1, 16 << 20);
    size_t n = fread(log, 1, (16 << 20) - 1, f);
    fclose(f);
    assert_true(n > 0);
    assert_null(strstr(log, env.secret));
    assert_null(strstr(log, "not-the-secret"));
    free(log);

    wxt_browser_t *phone = wxt_browser_new(WXT_WECHAT_UA);
    snprintf(path, sizeof(path),
             "%s/connect/oauth2/authorize?appid=" WEB_APPID "&redirect_uri=http%%3A%%2F%%2F"
             "127.0.0.1%%3A%d%%2Fcb&response_type=code&scope=snsapi_userinfo&state=S",
             env.emu, env.auth_port);
    assert_int_equal(wxt_get(phone, path, &r), 0);
    assert_non_null(strstr(r.body, "10016"));
    wxt_resp_free(&r);
    wxt_browser_free(phone);
}

/* The emulator's QR page refuses what WeChat's refuses, on a "该链接无法访问" page naming the
 * parameter: another host or port than the 授权回调域, a service account's appid (it has no
 * snsapi_login), another scope; state is optional. */
static void
test_qr_page_rules(void **state)
{
    static const struct {
        const char *appid, *host, *scope, *state, *want, *code;
    } cases[] = {
        {WEB_APPID, "127.0.0.1:1", "snsapi_login", "S1", "redirect_uri 参数错误", "10003"},
        {WXT_APPID, NULL, "snsapi_login", "S1", "Scope 参数错误或没有 Scope 权限", "10005"},
        {WEB_APPID, NULL, "snsapi_userinfo", "S1", "Scope 参数错误或没有 Scope 权限", "10005"},
        {"wx2222222222222222", NULL, "snsapi_login", "S1", "AppID 参数错误", "40013"},
        {WEB_APPID, NULL, "snsapi_login", "bad-state!", "state 参数错误", "10014"},
        {WEB_APPID, NULL, "snsapi_login", NULL, "请使用微信扫描二维码登录", NULL},
    };
    wxt_browser_t *b = wxt_browser_new(DESKTOP_UA);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char url[1024], host[64];
        wxt_resp_t r = {0};
        snprintf(host, sizeof(host), "127.0.0.1:%d", env.auth_port);
        int n =
            snprintf(url, sizeof(url),
                     "%s/connect/qrconnect?appid=%s&redirect_uri=http%%3A%%2F%%2F%s%%2Fcb"
                     "&response_type=code&scope=%s",
                     env.emu, cases[i].appid, cases[i].host ? cases[i].host : host, cases[i].scope);
        if (cases[i].state)
            snprintf(url + n, sizeof(url) - (size_t)n, "&state=%s", cases[i].state);
        assert_int_equal(wxt_get(b, url, &r), 0);
        assert_int_equal(r.status, 200);
        if (!strstr(r.body, cases[i].want) ||
            (cases[i].code &&
             (!strstr(r.body, "该链接无法访问") || !strstr(r.body, cases[i].code))))
            fail_msg("case %zu: %s\n%.600s", i, url, r.body);
        wxt_resp_free(&r);
    }
    wxt_browser_free(b);
}

/* A website app's code lives 10 minutes (a service account's 5): valid after 6, gone after 11. */
static void
test_code_lifetime(void **state)
{
    wxt_browser_t *b = wxt_browser_new(DESKTOP_UA);
    wxt_resp_t r1 = {0}, r2 = {0}, fin = {0};
    wxt_result_t res;
    char url[4096];
    for (int round = 0; round < 2; round++) {
        assert_int_equal(wxt_get(b, start_url, &r1), 0);
        assert_int_equal(r1.status, 302);
        snprintf(url, sizeof(url), "%.*s&emu_person=alice&emu_action=confirm",
                 (int)strcspn(r1.location, "#"), r1.location);
        assert_int_equal(wxt_get(b, url, &r2), 0);
        assert_int_equal(r2.status, 302);
        wxt_emu_admin(&env, "POST", "/emu/admin/clock",
                      round == 0 ? "{\"advance\":360}" : "{\"advance\":660}");
        assert_int_equal(wxt_get(b, r2.location, &fin), 0);
        assert_int_equal(fin.status, 302);
        assert_true(wxt_parse_result(&env, fin.location, &res));
        assert_int_equal(res.code, round == 0 ? 200 : 40029);
        wxt_result_free(&res);
        wxt_resp_free(&r1);
        wxt_resp_free(&r2);
        wxt_resp_free(&fin);
    }
    wxt_emu_admin(&env, "POST", "/emu/admin/clock", "{\"reset\":true}");
    wxt_browser_free(b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_desktop_start_to_qrconnect),
        cmocka_unit_test(test_same_person_one_user),
        cmocka_unit_test(test_user_denies),
        cmocka_unit_test(test_code_rules),
        cmocka_unit_test(test_wrong_secret_and_appid),
        cmocka_unit_test(test_desktop_method),
        cmocka_unit_test(test_shown_never_secret),
        cmocka_unit_test(test_qr_page_rules),
        cmocka_unit_test(test_code_lifetime),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
