/* A pool's desktop login methods (issue #15 item 4): what the admin API's
 * GET /pools/{id}/desktop and the public GET /desktop/methods say as the pool gains a follow
 * connection and a website app and turns desktop logins off, and what a computer gets at the
 * start URL with ?desktop_method=scan|qrconnect|follow: that method's page, or, for a method
 * the pool has not set up, the Chinese-first page saying which one and how to set it up. The
 * tests run in order, each adding to the pool. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

#define DESKTOP_UA                                                                                 \
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "            \
    "Chrome/120.0.0.0 Safari/537.36"
#define PHONE_UA                                                                                   \
    "Mozilla/5.0 (Linux; Android 13) AppleWebKit/537.36 (KHTML, like Gecko) Mobile Safari/537.36 " \
    "MicroMessenger/8.0.40"
/* A phone's browser outside WeChat: not a computer, it keeps the phone's login. */
#define MOBILE_UA                                                                                  \
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "    \
    "Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
#define WEB_APPID "wxa1b2c3d4e5f60718"
#define PUSH_TOKEN "methodsToken42"

static wxt_env_t env;

static int
group_setup(void **state)
{
    (void)state;
    return wxt_setup(&env, NULL);
}

static int
group_teardown(void **state)
{
    (void)state;
    wxt_teardown(&env);
    return 0;
}

static void
cli_ok(const char *const *argv)
{
    char *out = NULL;
    int rc = wxt_cli(&env, &out, argv);
    if (rc != 0)
        fail_msg("wxauth %s %s: exit %d: %s", argv[0], argv[1], rc, out ? out : "");
    free(out);
}

/* GET /pools/demo/desktop. */
static json_t *
desktop_api(void)
{
    wxt_resp_t r = {0};
    assert_int_equal(wxt_admin(&env, "GET", "/pools/demo/desktop", NULL, &r), 0);
    if (r.status != 200)
        fail_msg("GET /pools/demo/desktop: %ld %s", r.status, r.body ? r.body : "");
    json_t *j = json_loads(r.body, 0, NULL);
    assert_non_null(j);
    wxt_resp_free(&r);
    return j;
}

static json_t *
method(json_t *j, const char *name)
{
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(j, "methods"), i, m)
    {
        if (strcmp(json_string_value(json_object_get(m, "method")), name) == 0)
            return m;
    }
    fail_msg("no method %s", name);
    return NULL;
}

static const char *
str(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

/* The check named name of a method's checks, or NULL. */
static json_t *
check(json_t *m, const char *name)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(m, "checks"), i, c)
    {
        if (strcmp(str(c, "check"), name) == 0)
            return c;
    }
    return NULL;
}

/* The public list: the methods' keywords, comma-separated, the auto pick first. */
static void
public_methods(const char *query, char *out, size_t n)
{
    char url[256];
    wxt_resp_t r = {0};
    snprintf(url, sizeof(url), "%s/desktop/methods?%s", env.auth, query);
    assert_int_equal(wxt_http("GET", url, NULL, &r), 0);
    if (r.status != 200)
        fail_msg("GET /desktop/methods?%s: %ld %s", query, r.status, r.body ? r.body : "");
    char acao[64];
    assert_true(wxt_resp_header(&r, "Access-Control-Allow-Origin", acao, sizeof(acao)));
    assert_string_equal(acao, "*");
    json_t *j = json_loads(r.body, 0, NULL);
    assert_non_null(j);
    out[0] = '\0';
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(j, "methods"), i, m)
    {
        size_t l = strlen(out);
        snprintf(out + l, n - l, "%s%s", l ? "," : "", str(m, "method"));
    }
    json_decref(j);
    wxt_resp_free(&r);
}

/* A computer opens url: the response. */
static void
desktop_get(const char *url, wxt_resp_t *r)
{
    wxt_browser_t *b = wxt_browser_new(DESKTOP_UA);
    assert_int_equal(wxt_get(b, url, r), 0);
    wxt_browser_free(b);
}

/* The start URL of the application flow with a method. */
static void
start_url(char *out, size_t n, const char *identifier, const char *m)
{
    snprintf(out, n, "%s/connections/social/%s?app_id=demo-app&desktop_method=%s", env.auth,
             identifier, m);
}

/* The ticket page of the scan method (desktop.c). */
static void
assert_scan_page(const char *url)
{
    wxt_resp_t r = {0};
    desktop_get(url, &r);
    if (r.status != 200 || !strstr(r.body, "/sdk/desktop-login.js") ||
        !strstr(r.body, "然后在手机上确认登录"))
        fail_msg("%s: wanted the scan QR page, got %ld %.400s", url, r.status,
                 r.body ? r.body : "");
    assert_null(strstr(r.body, "扫描二维码并关注公众号"));
    wxt_resp_free(&r);
}

/* The refusal page of a method the pool has not set up: Chinese first, which method, the fix
 * in the developer's box. */
static void
assert_refused(const char *url, const char *name, const char *fix)
{
    wxt_resp_t r = {0};
    desktop_get(url, &r);
    if (r.status != 404 || !r.body)
        fail_msg("%s: wanted 404, got %ld %.300s", url, r.status, r.body ? r.body : "");
    const char *zh = strstr(r.body, "此电脑端登录方式未配置");
    const char *en = strstr(r.body, "This desktop login method is not set up");
    assert_non_null(zh);
    assert_non_null(en);
    assert_true(zh < en);
    char want[64];
    snprintf(want, sizeof(want), "（%s）", name);
    if (!strstr(r.body, want) || !strstr(r.body, fix))
        fail_msg("%s: page lacks %s or %s: %.2000s", url, want, fix, r.body);
    assert_null(r.location);
    wxt_resp_free(&r);
}

/* A pool with service accounts only: scan, nothing else; the other methods refused with how
 * to set them up. */
static void
test_service_account_only(void **state)
{
    (void)state;
    json_t *j = desktop_api();
    assert_string_equal(str(j, "auto"), "scan");
    assert_string_equal(str(j, "desktop_method"), "auto");
    json_t *scan = method(j, "scan");
    assert_true(json_is_true(json_object_get(scan, "available")));
    assert_true(json_is_true(json_object_get(scan, "auto")));
    assert_string_equal(str(scan, "connection"), "wechat:webpage-authorization");
    assert_non_null(check(scan, "secret") == NULL ? check(scan, "callback") : NULL);
    assert_non_null(check(scan, "domain"));
    char want[256];
    start_url(want, sizeof(want), "wechat:webpage-authorization", "scan");
    assert_string_equal(str(scan, "test_url"), want);
    json_t *web = method(j, "qrconnect");
    assert_false(json_is_true(json_object_get(web, "available")));
    assert_string_equal(str(json_object_get(web, "unavailable"), "reason"), "no_website_app");
    assert_non_null(strstr(str(json_object_get(web, "unavailable"), "fix"), "--type wechat_open"));
    assert_null(json_object_get(web, "test_url"));
    json_t *follow = method(j, "follow");
    assert_string_equal(str(json_object_get(follow, "unavailable"), "reason"), "no_push_token");
    json_decref(j);

    char list[128];
    public_methods("app_id=demo-app", list, sizeof(list));
    assert_string_equal(list, "scan");

    assert_scan_page(want);
    char url[256];
    start_url(url, sizeof(url), "wechat:webpage-authorization", "qrconnect");
    assert_refused(url, "qrconnect", "wxauth connection set --pool demo --type wechat_open");
    start_url(url, sizeof(url), "wechat:webpage-authorization", "follow");
    assert_refused(url, "follow", "/wechat/push/demo/wechat:webpage-authorization");
    /* Not a method at all: an invalid link. */
    start_url(url, sizeof(url), "wechat:webpage-authorization", "sms");
    wxt_resp_t r = {0};
    desktop_get(url, &r);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "desktop_method may be scan, qrconnect or follow"));
    wxt_resp_free(&r);
    /* A phone ignores the method: it logs in directly. */
    wxt_browser_t *phone = wxt_browser_new(PHONE_UA);
    start_url(url, sizeof(url), "wechat:webpage-authorization", "qrconnect");
    assert_int_equal(wxt_get(phone, url, &r), 0);
    assert_int_equal(r.status, 302);
    assert_non_null(strstr(r.location, "/connect/oauth2/authorize?appid=" WXT_APPID));
    wxt_resp_free(&r);
    wxt_browser_free(phone);
}

/* The second connection gets a message server Token: follow through it (named in the test
 * URL), scan still the pick; scan on that connection still gives the scan page. */
static void
test_follow_connection(void **state)
{
    (void)state;
    setenv("WXT_PUSH_TOKEN", PUSH_TOKEN, 1);
    cli_ok((const char *const[]){"connection", "set", "--pool", "demo", "--identifier",
                                 "wechat-second", "--push-token-env", "WXT_PUSH_TOKEN", NULL});
    json_t *j = desktop_api();
    assert_string_equal(str(j, "auto"), "scan");
    json_t *follow = method(j, "follow");
    assert_true(json_is_true(json_object_get(follow, "available")));
    assert_string_equal(str(follow, "connection"), "wechat-second");
    char want[256];
    snprintf(want, sizeof(want), "%s/wechat/push/demo/wechat-second", env.auth);
    assert_string_equal(str(follow, "push_url"), want);
    assert_string_equal(str(check(follow, "push-token"), "status"), "ok");
    /* Without an EncodingAESKey plain pushes are accepted: a warning, with the fix. */
    json_t *aes = check(follow, "aes-key");
    assert_string_equal(str(aes, "status"), "warn");
    assert_non_null(strstr(str(aes, "fix"), "--aes-key-env"));
    assert_non_null(strstr(str(check(follow, "push-url"), "message_zh"), want));
    start_url(want, sizeof(want), "wechat-second", "follow");
    assert_string_equal(str(follow, "test_url"), want);
    /* scan goes through the default connection: none of follow's entries there. */
    assert_null(check(method(j, "scan"), "push-token"));
    json_decref(j);
    /* The connection's own check (its page, wxauth doctor) lists them too. */
    wxt_resp_t cr = {0};
    assert_int_equal(
        wxt_admin(&env, "POST", "/pools/demo/connections/wechat-second/check", NULL, &cr), 0);
    assert_int_equal(cr.status, 200);
    assert_non_null(strstr(cr.body, "\"check\":\"aes-key\""));
    assert_non_null(strstr(cr.body, "/wechat/push/demo/wechat-second"));
    wxt_resp_free(&cr);

    char list[128];
    public_methods("pool=demo", list, sizeof(list));
    assert_string_equal(list, "scan,follow");

    /* The test URL shows the account's QR code to follow. */
    wxt_resp_t r = {0};
    desktop_get(want, &r);
    if (r.status != 200 || !strstr(r.body, "扫描二维码并关注公众号"))
        fail_msg("follow test URL: %ld %.400s", r.status, r.body ? r.body : "");
    wxt_resp_free(&r);
    /* The same connection asked for the scan method: the ticket's page. */
    start_url(want, sizeof(want), "wechat-second", "scan");
    assert_scan_page(want);
    /* Follow asked for through the default connection (no Token; the SDK's start URL names
     * it), or through the pool flow naming none: the pool's follow connection, as
     * /desktop/methods offers it. */
    const char *follow_urls[] = {"/connections/social/wechat:webpage-authorization?app_id=demo-app"
                                 "&desktop_method=follow",
                                 "/oauth/wechatmp/url/demo?desktop_method=follow"};
    for (size_t i = 0; i < 2; i++) {
        snprintf(want, sizeof(want), "%s%s", env.auth, follow_urls[i]);
        desktop_get(want, &r);
        if (r.status != 200 || !strstr(r.body, "扫描二维码并关注公众号"))
            fail_msg("%s: %ld %.400s", follow_urls[i], r.status, r.body ? r.body : "");
        wxt_resp_free(&r);
    }
    /* Not when the login would land on another page: the follow connection's Callback URL
     * differs from the named one's (the target is the connection's). */
    cli_ok((const char *const[]){"connection", "set", "--pool", "demo", "--identifier",
                                 "wechat-second", "--callback", "http://127.0.0.1:9/app-cb", NULL});
    snprintf(want, sizeof(want), "%s%s", env.auth, follow_urls[0]);
    assert_refused(want, "follow", "--push-token-env");
    cli_ok((const char *const[]){"connection", "set", "--pool", "demo", "--identifier",
                                 "wechat-second", "--callback", env.callback, NULL});
}

/* A website app joins: it becomes the pick; scan and follow still work when asked for. */
static void
test_website_app(void **state)
{
    (void)state;
    char json[512];
    snprintf(json, sizeof(json),
             "{\"appid\":\"" WEB_APPID "\",\"type\":\"website\",\"name\":\"Methods Web\","
             "\"secret\":\"%s\",\"domain\":\"127.0.0.1:%d\",\"open_platform\":\"op-test\"}",
             env.secret, env.auth_port);
    wxt_emu_admin(&env, "POST", "/emu/admin/accounts", json);
    cli_ok((const char *const[]){"connection", "set", "--pool", "demo", "--type", "wechat_open",
                                 "--appid", WEB_APPID, "--secret-env", "WXT_SECRET", "--callback",
                                 "#", NULL});
    json_t *j = desktop_api();
    assert_string_equal(str(j, "auto"), "qrconnect");
    json_t *web = method(j, "qrconnect");
    assert_true(json_is_true(json_object_get(web, "available")));
    assert_true(json_is_true(json_object_get(web, "auto")));
    assert_string_equal(str(web, "connection"), "wechat:qrconnect");
    assert_non_null(strstr(str(check(web, "domain"), "message_zh"), "授权回调域"));
    char url[256];
    snprintf(url, sizeof(url), "%s", str(web, "test_url"));
    json_decref(j);

    char list[128];
    public_methods("app_id=demo-app", list, sizeof(list));
    assert_string_equal(list, "qrconnect,scan,follow");

    /* The website app's test URL: WeChat's QR page for it. */
    wxt_resp_t r = {0};
    desktop_get(url, &r);
    assert_int_equal(r.status, 302);
    assert_non_null(strstr(r.location, "/connect/qrconnect?appid=" WEB_APPID));
    wxt_resp_free(&r);
    /* No method named: the website app, as before. */
    snprintf(url, sizeof(url), "%s/connections/social/wechat:webpage-authorization?app_id=demo-app",
             env.auth);
    desktop_get(url, &r);
    assert_int_equal(r.status, 302);
    assert_non_null(strstr(r.location, "/connect/qrconnect?appid=" WEB_APPID));
    wxt_resp_free(&r);
    /* scan asked for: the ticket's page, not the website app (the pool flow too). */
    start_url(url, sizeof(url), "wechat:webpage-authorization", "scan");
    assert_scan_page(url);
    snprintf(url, sizeof(url), "%s/oauth/wechatmp/url/demo?desktop_method=scan", env.auth);
    assert_scan_page(url);
    /* The website app named with scan: refused, it has no such page. */
    start_url(url, sizeof(url), "wechat:qrconnect", "scan");
    assert_refused(url, "scan", "is an Open Platform website app");

    /* desktop_method qrconnect: the website app only, the others not even when asked for. */
    cli_ok((const char *const[]){"pool", "update", "demo", "--desktop", "qrconnect", NULL});
    j = desktop_api();
    assert_string_equal(str(j, "auto"), "qrconnect");
    assert_string_equal(str(json_object_get(method(j, "scan"), "unavailable"), "reason"),
                        "pool_qrconnect_only");
    json_decref(j);
    public_methods("app_id=demo-app", list, sizeof(list));
    assert_string_equal(list, "qrconnect");
    start_url(url, sizeof(url), "wechat:webpage-authorization", "scan");
    assert_refused(url, "scan", "website app only");
    snprintf(url, sizeof(url), "%s/connections/social/wechat:webpage-authorization?app_id=demo-app",
             env.auth);
    desktop_get(url, &r);
    assert_int_equal(r.status, 302);
    assert_non_null(strstr(r.location, "/connect/qrconnect?appid=" WEB_APPID));
    wxt_resp_free(&r);
    cli_ok((const char *const[]){"pool", "update", "demo", "--desktop", "auto", NULL});
}

/* Before the pool has a website app: its desktop_method "qrconnect" means the website app or
 * nothing (no silent fall back to scan); a phone's browser outside WeChat is no computer. */
static void
test_qrconnect_without_website_app(void **state)
{
    (void)state;
    char url[256];
    wxt_resp_t r = {0};
    snprintf(url, sizeof(url), "%s/connections/social/wechat:webpage-authorization?app_id=demo-app",
             env.auth);
    wxt_browser_t *mobile = wxt_browser_new(MOBILE_UA);
    assert_int_equal(wxt_get(mobile, url, &r), 0);
    assert_int_equal(r.status, 302); /* WeChat's page, not a QR code it cannot scan itself */
    assert_non_null(strstr(r.location, "/connect/oauth2/authorize?appid=" WXT_APPID));
    wxt_resp_free(&r);
    wxt_browser_free(mobile);

    cli_ok((const char *const[]){"pool", "update", "demo", "--desktop", "qrconnect", NULL});
    json_t *j = desktop_api();
    assert_true(json_is_null(json_object_get(j, "auto")));
    json_decref(j);
    assert_refused(url, "qrconnect", "wxauth connection set --pool demo --type wechat_open");
    cli_ok((const char *const[]){"pool", "update", "demo", "--desktop", "auto", NULL});
    assert_scan_page(url);
}

/* desktop_method none: nothing to test, every method refused with the setting to change. */
static void
test_pool_off(void **state)
{
    (void)state;
    cli_ok((const char *const[]){"pool", "update", "demo", "--desktop", "none", NULL});
    json_t *j = desktop_api();
    assert_true(json_is_null(json_object_get(j, "auto")));
    const char *names[] = {"scan", "qrconnect", "follow"};
    for (size_t i = 0; i < 3; i++) {
        json_t *m = method(j, names[i]);
        assert_false(json_is_true(json_object_get(m, "available")));
        assert_string_equal(str(json_object_get(m, "unavailable"), "reason"), "pool_off");
        assert_null(json_object_get(m, "test_url"));
    }
    json_decref(j);
    char list[128];
    public_methods("app_id=demo-app", list, sizeof(list));
    assert_string_equal(list, "");
    char url[256];
    start_url(url, sizeof(url), "wechat:webpage-authorization", "scan");
    assert_refused(url, "scan", "wxauth pool update demo --desktop auto");
    cli_ok((const char *const[]){"pool", "update", "demo", "--desktop", "auto", NULL});
}

/* Unknown ids: 404 from both. */
static void
test_unknown(void **state)
{
    (void)state;
    wxt_resp_t r = {0};
    assert_int_equal(wxt_admin(&env, "GET", "/pools/nopool/desktop", NULL, &r), 0);
    assert_int_equal(r.status, 404);
    wxt_resp_free(&r);
    char url[256];
    snprintf(url, sizeof(url), "%s/desktop/methods?app_id=no-such-app", env.auth);
    assert_int_equal(wxt_http("GET", url, NULL, &r), 0);
    assert_int_equal(r.status, 404);
    wxt_resp_free(&r);
    snprintf(url, sizeof(url), "%s/desktop/methods?pool=a%%20b", env.auth);
    assert_int_equal(wxt_http("GET", url, NULL, &r), 0);
    assert_int_equal(r.status, 400);
    wxt_resp_free(&r);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_service_account_only),
        cmocka_unit_test(test_follow_connection),
        cmocka_unit_test(test_qrconnect_without_website_app),
        cmocka_unit_test(test_website_app),
        cmocka_unit_test(test_pool_off),
        cmocka_unit_test(test_unknown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
