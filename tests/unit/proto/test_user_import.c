/* Tests for src/proto/user_import.c: Authing's exported users (v2 and v3 shapes). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/user_import.h"

#define APPID "wx5d1e4a0b9c3f7e21"
#define PROV "wechat:webpage-authorization"

static json_t *
j(const char *text)
{
    json_error_t e;
    json_t *v = json_loads(text, 0, &e);
    if (!v)
        fail_msg("bad test JSON: %s", e.text);
    return v;
}

static void
test_v2_user(void **state)
{
    (void)state;
    store_user_import_t u;
    char why[200];
    json_t *in =
        j("{\"_id\":\"5f0c1a2b3c4d5e6f7a8b9c0d\",\"id\":\"5f0c1a2b3c4d5e6f7a8b9c0d\","
          "\"username\":\"小明\",\"nickname\":\"小明\",\"photo\":\"https://x/p.png\","
          "\"openid\":\"oAbc\",\"unionid\":\"oAbc\",\"gender\":\"M\",\"loginsCount\":12,"
          "\"lastLogin\":\"2022-05-31T08:11:26.000Z\",\"signedUp\":\"2021-01-02T03:04:05Z\","
          "\"createdAt\":null,\"blocked\":false,\"email\":null}");
    assert_true(user_import_from_authing(in, "shop", PROV, APPID, 1000, &u, why, sizeof(why)));
    assert_string_equal(u.id, "5f0c1a2b3c4d5e6f7a8b9c0d");
    assert_string_equal(u.openid, "oAbc");
    assert_null(u.unionid); /* Authing's "unionid = openid when none" */
    assert_string_equal(u.nickname, "小明");
    assert_string_equal(u.gender, "M");
    assert_int_equal(u.logins_count, 12);
    assert_int_equal(u.last_login, 1653984686);
    assert_int_equal(u.created_at, 1609556645);
    assert_false(u.blocked);
    assert_string_equal(u.appid, APPID);
    assert_string_equal(u.pool_id, "shop");
    assert_int_equal(u.now, 1000);
    json_decref(in);
}

static void
test_v3_user_identities(void **state)
{
    (void)state;
    store_user_import_t u;
    char why[200];
    json_t *in = j("{\"userId\":\"62e7f0c91073aaba0db4d65b\",\"status\":\"Suspended\","
                   "\"gender\":\"X\",\"createdAt\":1653984686123,"
                   "\"identities\":[{\"provider\":\"github\",\"userIdInIdp\":\"gh1\"},"
                   "{\"provider\":\"wechat\",\"userIdInIdp\":\"oXyz\",\"unionid\":\"uXyz\"}]}");
    assert_true(user_import_from_authing(in, "shop", PROV, APPID, 1000, &u, why, sizeof(why)));
    assert_string_equal(u.id, "62e7f0c91073aaba0db4d65b");
    assert_string_equal(u.openid, "oXyz");
    assert_string_equal(u.unionid, "uXyz");
    assert_string_equal(u.gender, "U");
    assert_true(u.blocked);
    assert_int_equal(u.created_at, 1653984686); /* milliseconds */
    json_decref(in);
}

static void
test_refusals(void **state)
{
    (void)state;
    store_user_import_t u;
    char why[200];
    const char *bad[][2] = {
        {"[1]", "JSON object"},
        {"{\"id\":\"a\"}", "no WeChat openid"},
        {"{\"id\":\"a b\",\"openid\":\"o\"}", "id must be"},
        {"{\"openid\":\"o\",\"lastLogin\":\"yesterday\"}", "lastLogin"},
        {"{\"openid\":\"o\",\"createdAt\":\"2022-05-31T08:11:26\"}", "createdAt"}, /* no zone */
        {"{\"identities\":[{\"provider\":\"github\",\"userIdInIdp\":\"g\"}]}", "no WeChat openid"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        json_t *in = j(bad[i][0]);
        why[0] = '\0';
        if (user_import_from_authing(in, "shop", PROV, APPID, 1, &u, why, sizeof(why)) ||
            !strstr(why, bad[i][1]))
            fail_msg("%s: want a refusal naming '%s', got '%s'", bad[i][0], bad[i][1], why);
        json_decref(in);
    }
}

static void
test_times(void **state)
{
    (void)state;
    int64_t t;
    json_t *v = json_string("2022-05-31T16:11:26+08:00");
    assert_true(user_import_time(v, &t));
    assert_int_equal(t, 1653984686);
    json_decref(v);
    v = json_integer(1653984686);
    assert_true(user_import_time(v, &t));
    assert_int_equal(t, 1653984686);
    json_decref(v);
    v = json_string("2022-13-01T00:00:00Z");
    assert_false(user_import_time(v, &t));
    json_decref(v);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v2_user),
        cmocka_unit_test(test_v3_user_identities),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_times),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
