/* The emulator's account access-token APIs (src/emu/cgi.c), as WeChat answers them:
 * GET /cgi-bin/token?grant_type=client_credential&appid=&secret= and POST /cgi-bin/stable_token
 * — success shape, WeChat's error codes in WeChat's order, the rid suffix, text/plain, the
 * same stable token until force_refresh, faults, and the call log. */
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

/* GET the emulator path; the JSON answer (HTTP 200 and text/plain asserted). */
static json_t *
emu_get(const char *path_and_query)
{
    char url[1024];
    wxt_resp_t r = {0};
    snprintf(url, sizeof(url), "%s%s", env.emu, path_and_query);
    assert_int_equal(wxt_http("GET", url, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(r.content_type);
    assert_true(strncmp(r.content_type, "text/plain", 10) == 0);
    json_t *j = json_loads(r.body, 0, NULL);
    assert_non_null(j);
    wxt_resp_free(&r);
    return j;
}

static json_t *
emu_post(const char *path, const char *body)
{
    char url[1024];
    wxt_resp_t r = {0};
    snprintf(url, sizeof(url), "%s%s", env.emu, path);
    assert_int_equal(wxt_http("POST", url, body, &r), 0);
    assert_int_equal(r.status, 200);
    json_t *j = json_loads(r.body, 0, NULL);
    if (!j)
        fail_msg("not JSON: %s", r.body);
    wxt_resp_free(&r);
    return j;
}

static void
expect_errcode(json_t *j, int code)
{
    if (json_integer_value(json_object_get(j, "errcode")) != code)
        fail_msg("want errcode %d, got %s", code, json_dumps(j, JSON_COMPACT));
    const char *msg = json_string_value(json_object_get(j, "errmsg"));
    assert_non_null(msg);
    assert_non_null(strstr(msg, ", rid: ")); /* like WeChat: never match errmsg exactly */
    assert_null(json_object_get(j, "access_token"));
    json_decref(j);
}

static void
test_token(void **state)
{
    char q[512];
    snprintf(q, sizeof(q), "/cgi-bin/token?grant_type=client_credential&appid=%s&secret=%s",
             WXT_APPID, env.secret);
    json_t *a = emu_get(q), *b = emu_get(q);
    const char *ta = json_string_value(json_object_get(a, "access_token"));
    const char *tb = json_string_value(json_object_get(b, "access_token"));
    assert_non_null(ta);
    assert_non_null(tb);
    assert_true(strlen(ta) >= 64);
    assert_int_equal(json_integer_value(json_object_get(a, "expires_in")), 7200);
    assert_string_not_equal(ta, tb); /* every call a new token */
    assert_int_equal(json_object_size(a), 2);
    json_decref(a);
    json_decref(b);

    /* The errors, in WeChat's order. */
    expect_errcode(emu_get("/cgi-bin/token?grant_type=client_credential&secret=x"), 41002);
    snprintf(q, sizeof(q), "/cgi-bin/token?grant_type=authorization_code&appid=%s&secret=%s",
             WXT_APPID, env.secret);
    expect_errcode(emu_get(q), 40002);
    snprintf(q, sizeof(q), "/cgi-bin/token?appid=%s&secret=%s", WXT_APPID, env.secret);
    expect_errcode(emu_get(q), 40002);
    expect_errcode(emu_get("/cgi-bin/token?grant_type=client_credential&appid=" WXT_APPID), 41004);
    snprintf(q, sizeof(q),
             "/cgi-bin/token?grant_type=client_credential&appid=wx00000000000000ff&secret=%s",
             env.secret);
    expect_errcode(emu_get(q), 40013);
    expect_errcode(
        emu_get("/cgi-bin/token?grant_type=client_credential&appid=" WXT_APPID "&secret=wrong"),
        40125);
    expect_errcode(emu_get("/cgi-bin/no_such_api?access_token=x"), 40066);
}

static void
test_stable_token(void **state)
{
    char body[512];
    snprintf(body, sizeof(body),
             "{\"grant_type\":\"client_credential\",\"appid\":\"%s\",\"secret\":\"%s\"}",
             WXT_APPID2, env.secret);
    json_t *a = emu_post("/cgi-bin/stable_token", body);
    json_t *b = emu_post("/cgi-bin/stable_token", body);
    const char *ta = json_string_value(json_object_get(a, "access_token"));
    assert_non_null(ta);
    /* Normal mode: the same token while it is valid, with what is left of its life. */
    assert_string_equal(ta, json_string_value(json_object_get(b, "access_token")));
    json_int_t left = json_integer_value(json_object_get(b, "expires_in"));
    assert_true(left > 7000 && left <= 7200);
    snprintf(body, sizeof(body),
             "{\"grant_type\":\"client_credential\",\"appid\":\"%s\",\"secret\":\"%s\","
             "\"force_refresh\":true}",
             WXT_APPID2, env.secret);
    json_t *c = emu_post("/cgi-bin/stable_token", body);
    assert_string_not_equal(ta, json_string_value(json_object_get(c, "access_token")));
    json_decref(a);
    json_decref(b);
    /* The new one is now the current one. */
    snprintf(body, sizeof(body),
             "{\"grant_type\":\"client_credential\",\"appid\":\"%s\",\"secret\":\"%s\"}",
             WXT_APPID2, env.secret);
    json_t *d = emu_post("/cgi-bin/stable_token", body);
    assert_string_equal(json_string_value(json_object_get(c, "access_token")),
                        json_string_value(json_object_get(d, "access_token")));
    json_decref(c);
    json_decref(d);

    expect_errcode(emu_post("/cgi-bin/stable_token", "not json"), 47001);
    expect_errcode(emu_post("/cgi-bin/stable_token",
                            "{\"grant_type\":\"client_credential\",\"appid\":\"" WXT_APPID
                            "\",\"secret\":\"x\",\"force_refresh\":\"yes\"}"),
                   47001);
    expect_errcode(emu_post("/cgi-bin/stable_token", "{\"grant_type\":\"client_credential\"}"),
                   41002);
    expect_errcode(emu_post("/cgi-bin/stable_token",
                            "{\"grant_type\":\"client_credential\",\"appid\":\"" WXT_APPID "\"}"),
                   41004);
    expect_errcode(emu_post("/cgi-bin/stable_token",
                            "{\"grant_type\":\"client_credential\",\"appid\":\"" WXT_APPID
                            "\",\"secret\":\"wrong\"}"),
                   40125);
    expect_errcode(emu_post("/cgi-bin/stable_token",
                            "{\"grant_type\":\"client_credential\",\"appid\":"
                            "\"wx00000000000000ff\",\"secret\":\"x\"}"),
                   40013);
    char url[256];
    wxt_resp_t r = {0};
    snprintf(url, sizeof(url), "%s/cgi-bin/stable_token", env.emu);
    assert_int_equal(wxt_http("POST", url, NULL, &r), 0); /* no body */
    json_t *j = json_loads(r.body, 0, NULL);
    wxt_resp_free(&r);
    expect_errcode(j, 44002);
}

static void
test_faults_and_calls(void **state)
{
    char q[512];
    wxt_emu_admin(&env, "DELETE", "/emu/admin/calls", NULL);
    wxt_emu_fault(&env, "{\"endpoint\":\"token\",\"errcode\":-1,\"count\":1}");
    snprintf(q, sizeof(q), "/cgi-bin/token?grant_type=client_credential&appid=%s&secret=%s",
             WXT_APPID, env.secret);
    expect_errcode(emu_get(q), -1);
    json_t *ok = emu_get(q); /* the fault was for one call */
    assert_non_null(json_object_get(ok, "access_token"));
    json_decref(ok);
    assert_int_equal(wxt_emu_calls(&env, "token"), 2);
    assert_int_equal(wxt_emu_calls(&env, "stable_token"), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_token),
        cmocka_unit_test(test_stable_token),
        cmocka_unit_test(test_faults_and_calls),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
