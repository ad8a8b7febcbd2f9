/* Routing on the raw path (issue #12 item 9): the path is split at '/' before any segment is
 * decoded, so an encoded '/' (%2F) never becomes a separator and cannot reach a route such as
 * the admin API; every route clients use today still answers. The admin API and the console
 * answer on their own listener ([admin] listen, issue #12 item 3) and nowhere else. */
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

static long
status_at(const char *base, const char *path, const char *token, wxt_resp_t *r)
{
    char url[2048];
    snprintf(url, sizeof(url), "%s%s", base, path);
    assert_int_equal(wxt_http_auth("GET", url, token, NULL, r), 0);
    return r->status;
}

static long
status_of(const char *path, const char *token, wxt_resp_t *r)
{
    return status_at(env.auth, path, token, r);
}

static void
test_encoded_slash_refused(void **state)
{
    const char *bad[] = {
        "/api%2Fadmin%2Fv1%2Fpools",      "/api%2fadmin%2fv1%2fpools",
        "/api/admin/v1%2Fpools",          "/api%2Fadmin/v1/pools",
        "/oauth%2Fwechatmp%2Furl%2Fdemo", "//oauth%2Fwechatmp/url/demo",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        wxt_resp_t r = {0};
        long st = status_of(bad[i], env.admin_token, &r);
        if (st != 400)
            fail_msg("%s: want 400, got %ld %.200s", bad[i], st, r.body);
        if (!strstr(r.body, "%2F"))
            fail_msg("%s: the message does not say what is wrong: %.200s", bad[i], r.body);
        wxt_resp_free(&r);
    }
}

static void
test_routes_still_answer(void **state)
{
    wxt_resp_t r = {0};
    assert_int_equal(status_at(env.admin, "/api/admin/v1/pools", env.admin_token, &r), 200);
    wxt_resp_free(&r);
    assert_int_equal(status_at(env.admin, "//api//admin/v1/pools", env.admin_token, &r), 200);
    wxt_resp_free(&r);
    /* The double slash of the Authing SDKs, and an encoded ':' inside one segment. */
    assert_int_equal(status_of("//oauth/wechatmp/url/demo", NULL, &r), 302);
    wxt_resp_free(&r);
    assert_int_equal(
        status_of("/connections/social/wechat%3Awebpage-authorization?app_id=demo-app", NULL, &r),
        302);
    wxt_resp_free(&r);
    assert_int_equal(status_of("/healthz", NULL, &r), 200);
    wxt_resp_free(&r);
}

/* GET /qrcode.svg (handle/qrcode.c): an SVG for an http(s) URL of wxauthd itself or of an
 * origin registered here (an application's web origins or redirect allow-list, a pool's, a
 * connection's Callback URL, '*' host patterns included); any other URL, however well formed,
 * a 400 that names the allowed origins and how to register one. A 400 that says what to send
 * otherwise. That the picture scans is checked by the sample app's browser test. */
static void
qr_want(const char *url, long want, const char *body_has)
{
    char path[1400], enc[1200];
    wxt_resp_t r = {0};
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)url; *p && o + 4 < sizeof(enc); p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            *p == '.' || *p == '-' || *p == '_')
            enc[o++] = (char)*p;
        else
            o += (size_t)snprintf(enc + o, sizeof(enc) - o, "%%%02X", *p);
    }
    enc[o] = '\0';
    snprintf(path, sizeof(path), "/qrcode.svg?url=%s", enc);
    long st = status_of(path, NULL, &r);
    if (st != want || (body_has && (!r.body || !strstr(r.body, body_has))))
        fail_msg("%s: want %ld (%s), got %ld %.300s", url, want, body_has ? body_has : "-", st,
                 r.body ? r.body : "");
    if (want == 200) {
        assert_string_equal(r.content_type, "image/svg+xml");
        assert_true(strncmp(r.body, "<svg ", 5) == 0);
        assert_null(strstr(r.body, "example")); /* the URL is drawn, never written */
    }
    wxt_resp_free(&r);
}

static void
test_qrcode(void **state)
{
    wxt_resp_t r = {0};
    char url[1400];
    /* wxauthd's own origin, and the env's registered callback's (the app's redirect list). */
    snprintf(url, sizeof(url), "%s/connections/social/wechat:webpage-authorization?app_id=demo-app",
             env.auth);
    qr_want(url, 200, NULL);
    snprintf(url, sizeof(url), "%s?from=qr", env.callback);
    qr_want(url, 200, NULL);
    /* Anything else is refused, naming what is allowed and how to register it. */
    qr_want("https://phish.example.net/p?a=1", 400,
            "wxauth app update APP --web-origin https://phish.example.net");
    qr_want("https://phish.example.net/p?a=1", 400, env.auth);
    /* The app's list has a '*' host pattern of example.com: any one-label host of it. */
    qr_want("https://app.example.com/p?a=1", 200, NULL);
    qr_want("https://example.com/p", 400, NULL);
    qr_want("https://web.example/page", 400, "不能为此网址生成二维码");
    qr_want("https://a.shop.example/page", 400, NULL);
    /* Registered: a web origin of the application, a '*' host pattern of the pool's list. */
    assert_int_equal(wxt_admin(&env, "PATCH", "/apps/demo-app",
                               "{\"web_origins\":[\"https://web.example\"]}", &r),
                     0);
    assert_int_equal(r.status, 200);
    wxt_resp_free(&r);
    assert_int_equal(wxt_admin(&env, "PATCH", "/pools/demo",
                               "{\"redirect_urls\":[\"https://*.shop.example/cb\"]}", &r),
                     0);
    assert_int_equal(r.status, 200);
    wxt_resp_free(&r);
    qr_want("https://web.example/page", 200, NULL);
    qr_want("https://WEB.Example:443/other?x=1", 200, NULL);
    qr_want("https://a.shop.example/page", 200, NULL);
    qr_want("https://a.b.shop.example/page", 400, NULL); /* '*' is one label */
    /* A percent-escape in the host ("evil.com/" in one label) never matches a pattern. */
    qr_want("https://evil%2ecom%2f.shop.example/page", 400, "percent-escapes");
    qr_want("http://web.example/page", 400, NULL); /* another scheme: another origin */
    qr_want("https://user@web.example/page", 400, "no user name");
    const char *bad[] = {"/qrcode.svg", "/qrcode.svg?url=", "/qrcode.svg?url=javascript%3Aalert(1)",
                         "/qrcode.svg?url=https%3A%2F%2Fa%0A"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        long st = status_of(bad[i], NULL, &r);
        if (st != 400 || !strstr(r.body, "url"))
            fail_msg("%s: want a 400 naming url, got %ld %.200s", bad[i], st, r.body);
        wxt_resp_free(&r);
    }
    char big[1400];
    int n = snprintf(big, sizeof(big), "%s/qrcode.svg?url=https://a/", env.auth);
    memset(big + n, 'x', 1050);
    big[n + 1050] = '\0';
    assert_int_equal(wxt_http_auth("GET", big, NULL, NULL, &r), 0);
    assert_int_equal(r.status, 400);
    wxt_resp_free(&r);
}

/* [admin] listen: the admin API and the console answer on their own listener only; the
 * public one says 404 (even to the right token), and the admin one serves nothing public. */
static void
test_admin_on_its_own_listener(void **state)
{
    const char *admin_paths[] = {"/api/admin/v1/pools", "/api/admin/v1/session", "/console/",
                                 "/console/app.js", "/console"};
    for (size_t i = 0; i < sizeof(admin_paths) / sizeof(admin_paths[0]); i++) {
        wxt_resp_t r = {0};
        long st = status_of(admin_paths[i], env.admin_token, &r);
        if (st != 404)
            fail_msg("public listener %s: want 404, got %ld", admin_paths[i], st);
        wxt_resp_free(&r);
    }
    wxt_resp_t r = {0};
    assert_int_equal(status_at(env.admin, "/console/", NULL, &r), 200);
    assert_non_null(strstr(r.body, "wxauth console"));
    wxt_resp_free(&r);
    assert_int_equal(status_at(env.admin, "/api/admin/v1/pools", NULL, &r), 401);
    wxt_resp_free(&r);
    /* (/metrics is on both: test_metrics.c) */
    const char *public_paths[] = {"/oauth/wechatmp/url/demo", "/oidc/.well-known/jwks.json",
                                  "/sdk/wxmp.js"};
    for (size_t i = 0; i < sizeof(public_paths) / sizeof(public_paths[0]); i++) {
        long st = status_at(env.admin, public_paths[i], env.admin_token, &r);
        if (st != 404)
            fail_msg("admin listener %s: want 404, got %ld", public_paths[i], st);
        wxt_resp_free(&r);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encoded_slash_refused),
        cmocka_unit_test(test_routes_still_answer),
        cmocka_unit_test(test_qrcode),
        cmocka_unit_test(test_admin_on_its_own_listener),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
