/* The pages a WeChat user meets when a login goes wrong (issue #14 items 1 and 2), reached
 * through the real error paths of a running wxauthd: Chinese first (English after, or first
 * by Accept-Language), a button that does something (a fresh login where one can be made),
 * the request id small for support, and for the site's developer what to fix — on the page,
 * escaped, and in the log. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "util/msg.h"

static wxt_env_t env;

static int
group_setup(void **state)
{
    /* replay_window = 0: a reload of a finished login a second later is "already used". */
    wxt_opts_t o = {.retries = -1, .extra_config = "[login]\nreplay_window = 0\n"};
    wxt_setup(&env, &o);
    /* A pool whose pool-flow pages have nowhere to return to ('#', no pool callback). */
    assert_int_equal(wxt_cli(&env, NULL, (const char *const[]){"pool", "create", "nocb", NULL}), 0);
    assert_int_equal(wxt_cli(&env, NULL,
                             (const char *const[]){"connection", "set", "--pool", "nocb", "--appid",
                                                   "wx00112233445566ff", "--secret-env",
                                                   "WXT_SECRET", "--callback", "#", NULL}),
                     0);
    return 0;
}

static int
group_teardown(void **state)
{
    wxt_teardown(&env);
    return 0;
}

/* The page's checks common to all: Chinese first with the given titles, the button with its
 * label, the request id of the response, the CSP that lets the back button work. Returns the
 * button's href (static). */
static const char *
check_page(const wxt_resp_t *r, long status, const char *title_zh, const char *title_en,
           const char *button)
{
    static char href[2048];
    char rid[128], csp[1024];
    if (r->status != status)
        fail_msg("want %ld, got %ld: %.400s", status, r->status, r->body ? r->body : "");
    assert_null(r->location);
    assert_non_null(strstr(r->content_type, "text/html"));
    assert_non_null(strstr(r->body, "<html lang=\"zh-CN\">"));
    assert_non_null(strstr(r->body, "<h1 data-outcome=\"")); /* the log's outcome */
    const char *zh = strstr(r->body, title_zh), *en = strstr(r->body, title_en);
    if (!zh || !en || zh > en)
        fail_msg("want '%s' before '%s': %.600s", title_zh, title_en, r->body);
    const char *btn = strstr(r->body, "<a class=\"wx-btn\"");
    if (!btn || !strstr(btn, button))
        fail_msg("want the button '%s': %.600s", button, btn ? btn : r->body);
    const char *h = strstr(btn, "href=\"");
    assert_non_null(h);
    h += 6;
    snprintf(href, sizeof(href), "%.*s", (int)strcspn(h, "\""), h);
    assert_true(wxt_resp_header(r, "X-Request-Id", rid, sizeof(rid)));
    char want[200];
    snprintf(want, sizeof(want), "请求编号 Request ID %s", rid);
    assert_non_null(strstr(r->body, want));
    assert_true(wxt_resp_header(r, "Content-Security-Policy", csp, sizeof(csp)));
    assert_non_null(strstr(csp, WX_MSG_SCRIPT_SHA256));
    return href;
}

static void
get(const char *url, wxt_resp_t *r)
{
    wxt_browser_t *b = wxt_browser_new(NULL);
    assert_int_equal(wxt_get(b, url, r), 0);
    wxt_browser_free(b);
}

/* Does wxauthd's log get a line with every one of the given parts (within 3 s: lines are
 * written once per loop turn)? */
static bool
log_has(const char *const *parts)
{
    char path[700];
    snprintf(path, sizeof(path), "%s/wxauthd.log", env.dir);
    for (int tries = 0; tries < 30; tries++) {
        FILE *f = fopen(path, "r");
        char line[16384];
        bool found = false;
        while (f && !found && fgets(line, sizeof(line), f)) {
            found = true;
            for (const char *const *p = parts; *p && found; p++)
                found = strstr(line, *p) != NULL;
        }
        if (f)
            fclose(f);
        if (found)
            return true;
        usleep(100 * 1000);
    }
    return false;
}

static void
test_unknown_pool_app_identifier(void **state)
{
    char url[512];
    wxt_resp_t r = {0};
    snprintf(url, sizeof(url), "%s/oauth/wechatmp/url/nosuchpool", env.auth);
    get(url, &r);
    const char *href = check_page(&r, 404, "用户池不存在", "Unknown user pool", "返回 · Back");
    assert_string_equal(href, "#"); /* nothing better known: the page before (the script) */
    assert_non_null(strstr(r.body, "id=\"wx-back\""));
    /* Which id, and where to look. */
    assert_non_null(strstr(r.body, "No user pool has the id &quot;nosuchpool&quot;"));
    assert_non_null(strstr(r.body, "wxauth pool list"));
    assert_true(log_has((const char *const[]){"\"unknown_pool\"", "nosuchpool", NULL}));
    wxt_resp_free(&r);

    snprintf(url, sizeof(url),
             "%s/connections/social/wechat:webpage-authorization?app_id=nosuchapp", env.auth);
    get(url, &r);
    check_page(&r, 404, "应用不存在", "Unknown application", "返回 · Back");
    assert_non_null(strstr(r.body, "No application has the app_id &quot;nosuchapp&quot;"));
    assert_non_null(strstr(r.body, "wxauth app create nosuchapp"));
    wxt_resp_free(&r);

    snprintf(url, sizeof(url), "%s/connections/social/no-such-conn?app_id=demo-app", env.auth);
    get(url, &r);
    check_page(&r, 404, "微信登录未配置", "Unknown WeChat connection", "返回 · Back");
    assert_non_null(strstr(r.body, "User pool demo has no WeChat connection with the identifier "
                                   "&quot;no-such-conn&quot;"));
    assert_non_null(strstr(r.body, "wxauth connection set --pool demo --identifier no-such-conn"));
    wxt_resp_free(&r);
}

static void
test_redirect_not_allowed(void **state)
{
    char url[512];
    wxt_resp_t r = {0};
    snprintf(url, sizeof(url),
             "%s/connections/social/wechat:webpage-authorization?app_id=demo-app&redirect_url="
             "https%%3A%%2F%%2Fevil.example.net%%2Fcb%%3Fa%%3D%%3Cb%%3E",
             env.auth);
    get(url, &r);
    check_page(&r, 400, "回调地址不被允许", "This redirect_url is not allowed", "返回 · Back");
    /* The refused URL (escaped), the application and pool, the allowed patterns, the fix. */
    assert_non_null(
        strstr(r.body, "Refused redirect_url: https://evil.example.net/cb?a=&lt;b&gt;"));
    assert_non_null(strstr(r.body, "Application: demo-app"));
    assert_non_null(strstr(r.body, "of user pool demo"));
    assert_non_null(strstr(r.body, "http://127.0.0.1:9/app-cb , https://*.example.com/wx/*"));
    assert_non_null(strstr(r.body, "wxauth app update demo-app --redirect URL"));
    assert_null(strstr(r.body, "<b>"));
    assert_null(strstr(r.body, env.secret)); /* no secret anywhere near */
    /* The same in the log, as fields. */
    assert_true(log_has((const char *const[]){"\"redirect_refused\"",
                                              "\"url\":\"https://evil.example.net/cb?a=<b>\"",
                                              "\"app\":\"demo-app\"", "\"pool\":\"demo\"",
                                              "https://*.example.com/wx/*", "\"fix\"", NULL}));
    wxt_resp_free(&r);
}

static void
test_no_callback_configured(void **state)
{
    char url[512];
    wxt_resp_t r = {0};
    snprintf(url, sizeof(url), "%s/oauth/wechatmp/url/nocb", env.auth);
    get(url, &r);
    check_page(&r, 400, "未配置登录后返回的页面", "No callback page configured", "返回 · Back");
    assert_non_null(strstr(r.body, "connection wechat:webpage-authorization of user pool nocb has "
                                   "the Callback URL &quot;#&quot;"));
    assert_non_null(strstr(r.body, "wxauth pool update nocb --redirect URL"));
    assert_true(log_has((const char *const[]){"\"no_callback\"", "\"pool\":\"nocb\"",
                                              "wxauth pool update nocb", NULL}));
    wxt_resp_free(&r);
}

static void
test_other_browser(void **state)
{
    char url[256], cb[4096];
    wxt_resp_t f = {0}, r = {0};
    wxt_browser_t *b = wxt_browser_new(NULL);
    snprintf(url, sizeof(url), "%s/oauth/wechatmp/url/demo", env.auth);
    wxt_login(b, url, "alice", "allow", &f, cb, sizeof(cb));
    assert_int_equal(f.status, 302);
    get(cb, &r); /* the same callback URL in a browser that did not start the login */
    const char *href = check_page(&r, 403, "请在原浏览器中登录", "Login started in another browser",
                                  "返回 · Back");
    assert_string_equal(href, "#"); /* nothing about the login is told to another browser */
    assert_null(strstr(r.body, "app-cb"));
    wxt_resp_free(&f);
    wxt_resp_free(&r);
    wxt_browser_free(b);
}

/* A reload past the replay window: "already used", and its button starts the same login afresh
 * in this browser, which then succeeds. */
static void
test_link_used_relogin(void **state)
{
    char url[256], cb[4096], next[4096];
    wxt_resp_t f = {0}, r = {0}, fin = {0};
    wxt_browser_t *b = wxt_browser_new(WXT_WECHAT_UA);
    snprintf(url, sizeof(url), "%s/connections/social/wechat:webpage-authorization?app_id=demo-app",
             env.auth);
    wxt_login(b, url, "alice", "allow", &f, cb, sizeof(cb));
    assert_int_equal(f.status, 302);
    sleep(2);
    assert_int_equal(wxt_get(b, cb, &r), 0);
    const char *href =
        check_page(&r, 400, "登录链接已使用", "This login link was already used", "重新登录");
    /* The restart: same connection, application and callback (the connection's Callback
     * URL, as the first login had no redirect_url), as HTML (&amp;). */
    char want[512];
    snprintf(want, sizeof(want),
             "%s/connections/social/wechat:webpage-authorization?app_id=demo-app&amp;redirect_url=",
             env.auth);
    if (strncmp(href, want, strlen(want)) != 0)
        fail_msg("restart link %s, want %s…", href, want);
    snprintf(next, sizeof(next), "%s", href);
    char *amp = strstr(next, "&amp;");
    memmove(amp + 1, amp + 5, strlen(amp + 5) + 1);
    wxt_login(b, next, "alice", "allow", &fin, NULL, 0);
    assert_int_equal(fin.status, 302);
    wxt_result_t res;
    assert_true(wxt_parse_result(&env, fin.location, &res));
    assert_int_equal(res.code, 200);
    assert_string_equal(res.message, "登录成功");
    wxt_result_free(&res);
    wxt_resp_free(&f);
    wxt_resp_free(&r);
    wxt_resp_free(&fin);
    wxt_browser_free(b);
}

static void
test_unknown_state_and_english_first(void **state)
{
    char url[512];
    wxt_resp_t r = {0};
    snprintf(url, sizeof(url),
             "%s/connections/social/wechat:webpage-authorization/callback?code=abc&state=Nope1",
             env.auth);
    get(url, &r);
    check_page(&r, 400, "登录链接无效或已过期", "Unknown login link", "返回 · Back");
    wxt_resp_free(&r);
    /* A browser that asks for English first gets it first; the Chinese stays on the page. */
    const char *hdr[] = {"Accept-Language: en-US,en;q=0.9", NULL};
    assert_int_equal(wxt_http_headers("GET", url, hdr, NULL, &r), 0);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "<html lang=\"en\">"));
    const char *en = strstr(r.body, ">Unknown login link</h1>");
    const char *zh = strstr(r.body, "<h2>登录链接无效或已过期");
    assert_non_null(en);
    assert_non_null(zh);
    assert_true(en < zh);
    wxt_resp_free(&r);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unknown_pool_app_identifier),
        cmocka_unit_test(test_redirect_not_allowed),
        cmocka_unit_test(test_no_callback_configured),
        cmocka_unit_test(test_other_browser),
        cmocka_unit_test(test_link_used_relogin),
        cmocka_unit_test(test_unknown_state_and_english_first),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
