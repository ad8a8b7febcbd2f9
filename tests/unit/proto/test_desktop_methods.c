/* Tests for src/proto/desktop_methods.c: which desktop login methods a pool has and which one a
 * computer gets when its login names none. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "proto/desktop_methods.h"

static store_pool_t
pool(const char *method)
{
    store_pool_t p;
    memset(&p, 0, sizeof(p));
    snprintf(p.id, sizeof(p.id), "p");
    snprintf(p.desktop_method, sizeof(p.desktop_method), "%s", method);
    return p;
}

static desktop_conn_t
conn(const char *identifier, bool open, bool push)
{
    desktop_conn_t c;
    memset(&c, 0, sizeof(c));
    snprintf(c.identifier, sizeof(c.identifier), "%s", identifier);
    c.open = open;
    c.push_token = push;
    return c;
}

static void
test_parse(void **state)
{
    (void)state;
    desktop_method_t m = DMETHOD_FOLLOW;
    assert_true(desktop_method_parse(NULL, &m));
    assert_int_equal(m, DMETHOD_AUTO);
    assert_true(desktop_method_parse("", &m));
    assert_int_equal(m, DMETHOD_AUTO);
    assert_true(desktop_method_parse("qrconnect", &m));
    assert_int_equal(m, DMETHOD_QRCONNECT);
    assert_true(desktop_method_parse("follow", &m));
    assert_int_equal(m, DMETHOD_FOLLOW);
    assert_true(desktop_method_parse("scan", &m));
    assert_int_equal(m, DMETHOD_SCAN);
    assert_false(desktop_method_parse("Scan", &m));
    assert_false(desktop_method_parse("scan ", &m));
    assert_false(desktop_method_parse("sms", &m));
    assert_string_equal(desktop_method_name(DMETHOD_QRCONNECT), "qrconnect");
    assert_string_equal(desktop_method_name(DMETHOD_AUTO), "auto");
}

static void
test_service_account_only(void **state)
{
    (void)state;
    store_pool_t p = pool("");
    desktop_conn_t c[] = {conn("wechat:webpage-authorization", false, false)};
    desktop_methods_t dm;
    desktop_methods_of(&p, true, c, 1, &dm);
    assert_int_equal(dm.pick, DMETHOD_SCAN);
    assert_int_equal(dm.m[DMETHOD_SCAN].why, DMETHOD_WHY_NONE);
    assert_string_equal(dm.m[DMETHOD_SCAN].identifier, "wechat:webpage-authorization");
    assert_int_equal(dm.m[DMETHOD_QRCONNECT].why, DMETHOD_WHY_NO_OPEN);
    assert_int_equal(dm.m[DMETHOD_FOLLOW].why, DMETHOD_WHY_NO_PUSH_TOKEN);
}

/* Follow through a second connection is available, but the default pick stays the scan: a
 * login naming none uses the default connection, which has no Token. */
static void
test_follow_on_second(void **state)
{
    (void)state;
    store_pool_t p = pool("");
    desktop_conn_t c[] = {conn("wechat-second", false, true),
                          conn("wechat:webpage-authorization", false, false)};
    desktop_methods_t dm;
    desktop_methods_of(&p, true, c, 2, &dm);
    assert_int_equal(dm.pick, DMETHOD_SCAN);
    assert_string_equal(dm.m[DMETHOD_SCAN].identifier, "wechat:webpage-authorization");
    assert_int_equal(dm.m[DMETHOD_FOLLOW].why, DMETHOD_WHY_NONE);
    assert_string_equal(dm.m[DMETHOD_FOLLOW].identifier, "wechat-second");
    /* The default connection with a Token: follow is the pick, through it. */
    c[1].push_token = true;
    desktop_methods_of(&p, true, c, 2, &dm);
    assert_int_equal(dm.pick, DMETHOD_FOLLOW);
    assert_string_equal(dm.m[DMETHOD_FOLLOW].identifier, "wechat:webpage-authorization");
}

static void
test_website_app(void **state)
{
    (void)state;
    store_pool_t p = pool("qrconnect");
    desktop_conn_t c[] = {conn("wechat:qrconnect", true, false), conn("mp", false, true)};
    desktop_methods_t dm;
    desktop_methods_of(&p, true, c, 2, &dm);
    assert_int_equal(dm.pick, DMETHOD_QRCONNECT);
    assert_string_equal(dm.m[DMETHOD_QRCONNECT].identifier, "wechat:qrconnect");
    /* The default is the oldest service account, not the website app. */
    assert_string_equal(dm.m[DMETHOD_SCAN].identifier, "mp");
    /* qrconnect is the website app alone: scan and follow are not offered. */
    assert_int_equal(dm.m[DMETHOD_SCAN].why, DMETHOD_WHY_POOL_QRCONNECT);
    assert_int_equal(dm.m[DMETHOD_FOLLOW].why, DMETHOD_WHY_POOL_QRCONNECT);
    /* auto offers them too. */
    store_pool_t pa = pool("auto");
    desktop_methods_of(&pa, true, c, 2, &dm);
    assert_int_equal(dm.pick, DMETHOD_QRCONNECT);
    assert_int_equal(dm.m[DMETHOD_SCAN].why, DMETHOD_WHY_NONE);
    assert_int_equal(dm.m[DMETHOD_FOLLOW].why, DMETHOD_WHY_NONE);
    /* A website app alone: no scan, no follow. */
    desktop_methods_of(&p, true, c, 1, &dm);
    assert_int_equal(dm.pick, DMETHOD_QRCONNECT);
    assert_int_equal(dm.m[DMETHOD_SCAN].why, DMETHOD_WHY_NO_MP);
    assert_int_equal(dm.m[DMETHOD_FOLLOW].why, DMETHOD_WHY_NO_MP);
}

static void
test_off(void **state)
{
    (void)state;
    store_pool_t p = pool("none");
    desktop_conn_t c[] = {conn("wechat:qrconnect", true, false),
                          conn("wechat:webpage-authorization", false, true)};
    desktop_methods_t dm;
    desktop_methods_of(&p, true, c, 2, &dm);
    assert_int_equal(dm.pick, DMETHOD_AUTO);
    for (int m = DMETHOD_SCAN; m < DMETHOD_COUNT; m++)
        assert_int_equal(dm.m[m].why, DMETHOD_WHY_POOL_OFF);
    p = pool("");
    desktop_methods_of(&p, false, c, 2, &dm);
    assert_int_equal(dm.pick, DMETHOD_AUTO);
    for (int m = DMETHOD_SCAN; m < DMETHOD_COUNT; m++)
        assert_int_equal(dm.m[m].why, DMETHOD_WHY_SERVER_OFF);
    /* No connection at all. */
    desktop_methods_of(&p, true, c, 0, &dm);
    assert_int_equal(dm.pick, DMETHOD_AUTO);
    assert_int_equal(dm.m[DMETHOD_SCAN].why, DMETHOD_WHY_NO_MP);
    assert_int_equal(dm.m[DMETHOD_QRCONNECT].why, DMETHOD_WHY_NO_OPEN);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_service_account_only),
        cmocka_unit_test(test_follow_on_second),
        cmocka_unit_test(test_website_app),
        cmocka_unit_test(test_off),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
