/* The redirect target of a login (issue #12 item 8): a '*' in a registered pattern never stands
 * for a '.' or '..' path segment, refusals say what was refused and what is allowed, and the
 * target is checked again at the callback, so an application deleted (or a callback removed)
 * while the user is at WeChat never gets a token. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

static wxt_env_t env;

static int
group_setup(void **state)
{
    return wxt_setup(&env, NULL);
}

static int
group_teardown(void **state)
{
    wxt_teardown(&env);
    return 0;
}

static void
get_page(const char *url, wxt_resp_t *r)
{
    wxt_browser_t *b = wxt_browser_new(NULL);
    assert_int_equal(wxt_get(b, url, r), 0);
    wxt_browser_free(b);
}

static void
test_dot_segments_refused(void **state)
{
    /* demo-app allows any page directly under https://(label).example.com/wx/ : each of these
     * would land above /wx/. */
    const char *bad[] = {
        "https%3A%2F%2Fshop.example.com%2Fwx%2F..",
        "https%3A%2F%2Fshop.example.com%2Fwx%2F.",
        "https%3A%2F%2Fshop.example.com%2Fwx%2F%252e%252e", /* %2e%2e after our decoding */
        "https%3A%2F%2Fshop.example.com%2Fwx%2F%252E.",
        "https%3A%2F%2Fshop.example.com%2Fwx%2Fx%252f..", /* x%2f.. : one segment to us */
        "https%3A%2F%2Fshop.example.com%2Fwx%2F..%255c",
        "https%3A%2F%2Fshop.example.com%2Fwx%2F..%3Fx%3D1",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char url[512];
        wxt_resp_t r = {0};
        snprintf(
            url, sizeof(url),
            "%s/connections/social/wechat:webpage-authorization?app_id=demo-app&redirect_url=%s",
            env.auth, bad[i]);
        get_page(url, &r);
        if (r.status != 400 || r.location)
            fail_msg("%s: want a 400 page, got %ld to %s", bad[i], r.status,
                     r.location ? r.location : "(no Location)");
        /* Says what to fix: the refused address, why, and the allowed patterns. */
        assert_non_null(strstr(r.body, "回调地址不被允许"));
        assert_non_null(strstr(r.body, "Refused redirect_url: https://shop.example.com/wx/"));
        assert_non_null(strstr(r.body, "&#39;..&#39; segment"));
        assert_non_null(strstr(r.body, "https://*.example.com/wx/*"));
        assert_non_null(strstr(r.body, "Request ID"));
        wxt_resp_free(&r);
    }
    /* The same pattern still takes an ordinary page under /wx/. */
    char url[512];
    wxt_resp_t r = {0};
    snprintf(url, sizeof(url),
             "%s/connections/social/wechat:webpage-authorization?app_id=demo-app&redirect_url="
             "https%%3A%%2F%%2Fshop.example.com%%2Fwx%%2Fdone...",
             env.auth);
    get_page(url, &r);
    assert_int_equal(r.status, 302);
    wxt_resp_free(&r);
}

static void
test_refusal_is_escaped(void **state)
{
    char url[512];
    wxt_resp_t r = {0};
    snprintf(url, sizeof(url),
             "%s/connections/social/wechat:webpage-authorization?app_id=demo-app&redirect_url="
             "https%%3A%%2F%%2Fevil.example.net%%2F%%3Cscript%%3Ex%%22",
             env.auth);
    get_page(url, &r);
    assert_int_equal(r.status, 400);
    assert_null(strstr(r.body, "<script>x"));
    assert_non_null(strstr(r.body, "https://evil.example.net/&lt;script&gt;x&quot;"));
    assert_non_null(strstr(r.body, "http://127.0.0.1:9/app-cb"));
    wxt_resp_free(&r);
}

/* Start a login of app (redirect_url already encoded, or NULL) in browser b; returns the
 * emulator URL with alice's Allow appended. */
static void
start_login(wxt_browser_t *b, const char *app, const char *redirect, char *emu, size_t n)
{
    char url[512];
    wxt_resp_t r = {0};
    snprintf(url, sizeof(url), "%s/connections/social/wechat:webpage-authorization?app_id=%s%s%s",
             env.auth, app, redirect ? "&redirect_url=" : "", redirect ? redirect : "");
    assert_int_equal(wxt_get(b, url, &r), 0);
    if (r.status != 302)
        fail_msg("start of %s: %ld %.300s", app, r.status, r.body);
    snprintf(emu, n, "%s", r.location);
    *strchr(emu, '#') = '\0';
    strncat(emu, "&emu_person=alice&emu_action=allow", n - strlen(emu) - 1);
    wxt_resp_free(&r);
}

/* Finish the login at WeChat and at wxauthd's callback: the target is no longer allowed, so
 * an error page (also on a reload), no redirect, and WeChat is not even asked for a token. */
static void
expect_refused_at_callback(wxt_browser_t *b, const char *emu, const char *target)
{
    wxt_resp_t w = {0};
    char cb[4096];
    assert_int_equal(wxt_get(b, emu, &w), 0);
    assert_int_equal(w.status, 302);
    snprintf(cb, sizeof(cb), "%s", w.location);
    wxt_resp_free(&w);
    long calls = wxt_emu_calls(&env, "access_token");
    for (int i = 0; i < 2; i++) { /* the WebView's double load gets the same page */
        wxt_resp_t f = {0};
        assert_int_equal(wxt_get(b, cb, &f), 0);
        if (f.status != 403 || f.location)
            fail_msg("callback: want a 403 page, got %ld to %s", f.status,
                     f.location ? f.location : "(no Location)");
        assert_non_null(strstr(f.body, "该应用已不允许此回调地址"));
        assert_non_null(strstr(f.body, "This application no longer allows this callback address"));
        assert_non_null(strstr(f.body, "Request ID"));
        if (!strstr(f.body, target))
            fail_msg("load %d: page lacks %s: %.600s", i, target, f.body);
        wxt_resp_free(&f);
    }
    assert_int_equal(wxt_emu_calls(&env, "access_token"), calls);
}

static void
test_app_deleted_during_login(void **state)
{
    char emu[4096];
    wxt_resp_t r = {0};
    assert_int_equal(wxt_admin(&env, "POST", "/pools/demo/apps",
                               "{\"id\":\"gone-app\",\"name\":\"Gone\","
                               "\"redirect_urls\":[\"http://127.0.0.1:9/gone-cb\"]}",
                               &r),
                     0);
    if (r.status != 200 && r.status != 201)
        fail_msg("app create: %ld %s", r.status, r.body);
    wxt_resp_free(&r);
    wxt_browser_t *b = wxt_browser_new(WXT_WECHAT_UA);
    start_login(b, "gone-app", "http%3A%2F%2F127.0.0.1%3A9%2Fgone-cb", emu, sizeof(emu));
    assert_int_equal(wxt_admin(&env, "DELETE", "/apps/gone-app", NULL, &r), 0);
    assert_int_equal(r.status, 200);
    wxt_resp_free(&r);
    expect_refused_at_callback(b, emu, "http://127.0.0.1:9/gone-cb");
    wxt_browser_free(b);
}

static void
test_callback_removed_during_login(void **state)
{
    char emu[4096], emu_kept[4096];
    wxt_resp_t r = {0};
    assert_int_equal(
        wxt_admin(&env, "POST", "/pools/demo/apps",
                  "{\"id\":\"shrink-app\",\"name\":\"Shrink\","
                  "\"redirect_urls\":[\"http://127.0.0.1:9/kept\",\"http://127.0.0.1:9/old/*\"]}",
                  &r),
        0);
    if (r.status != 200 && r.status != 201)
        fail_msg("app create: %ld %s", r.status, r.body);
    wxt_resp_free(&r);
    wxt_browser_t *b = wxt_browser_new(WXT_WECHAT_UA), *b2 = wxt_browser_new(WXT_WECHAT_UA);
    start_login(b, "shrink-app", "http%3A%2F%2F127.0.0.1%3A9%2Fold%2Fcb", emu, sizeof(emu));
    start_login(b2, "shrink-app", "http%3A%2F%2F127.0.0.1%3A9%2Fkept", emu_kept, sizeof(emu_kept));
    assert_int_equal(wxt_admin(&env, "PATCH", "/apps/shrink-app",
                               "{\"redirect_urls\":[\"http://127.0.0.1:9/kept\"]}", &r),
                     0);
    assert_int_equal(r.status, 200);
    wxt_resp_free(&r);
    expect_refused_at_callback(b, emu, "http://127.0.0.1:9/old/cb");

    /* A login to the address still allowed ends as usual. */
    wxt_resp_t w = {0}, f = {0};
    wxt_result_t res;
    assert_int_equal(wxt_get(b2, emu_kept, &w), 0);
    assert_int_equal(w.status, 302);
    assert_int_equal(wxt_get(b2, w.location, &f), 0);
    assert_int_equal(f.status, 302);
    assert_non_null(f.location);
    assert_int_equal(strncmp(f.location, "http://127.0.0.1:9/kept?", 24), 0);
    assert_true(wxt_parse_result(&env, f.location, &res));
    assert_int_equal(res.code, 200);
    wxt_result_free(&res);
    wxt_resp_free(&w);
    wxt_resp_free(&f);
    wxt_browser_free(b);
    wxt_browser_free(b2);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dot_segments_refused),
        cmocka_unit_test(test_refusal_is_escaped),
        cmocka_unit_test(test_app_deleted_during_login),
        cmocka_unit_test(test_callback_removed_during_login),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
