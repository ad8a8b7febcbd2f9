/* Tests for src/handle/login_limits.c: a minute's allowance passes at once, then requests are
 * refused with a Retry-After until the bucket refills; start and callback count apart; 0 is no
 * limit; the table stays bounded, and new addresses cannot push out an address being limited. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "handle/login_limits.h"

static void
limits_new(login_limits_t *l, int start, int callback, int addresses)
{
    wx_config_t cfg;
    wx_err_t err = {0};
    config_defaults(&cfg);
    cfg.start_per_minute = start;
    cfg.callback_per_minute = callback;
    cfg.limit_addresses = addresses;
    assert_int_equal(login_limits_init(l, &cfg, &err), WX_OK);
}

static int
take(login_limits_t *l, login_rate_kind_t k, const char *key, int64_t ms, int *retry, bool *first)
{
    int r = 0;
    bool f = false;
    bool ok = login_rate_take(l, k, key, ms, retry ? retry : &r, first ? first : &f);
    return ok ? 1 : 0;
}

static void
test_burst_then_refill(void **state)
{
    login_limits_t l;
    int retry = 0, passed = 0;
    bool first = false;
    limits_new(&l, 10, 20, 64);
    for (int i = 0; i < 10; i++)
        passed += take(&l, LOGIN_RATE_START, "192.0.2.1", 1000, NULL, NULL);
    assert_int_equal(passed, 10);
    assert_int_equal(take(&l, LOGIN_RATE_START, "192.0.2.1", 1000, &retry, &first), 0);
    assert_true(first);                    /* the first refusal is the one logged */
    assert_true(retry >= 1 && retry <= 7); /* one token every 6 s */
    assert_int_equal(take(&l, LOGIN_RATE_START, "192.0.2.1", 1500, &retry, &first), 0);
    assert_false(first);
    /* 6 s later one more passes, and only one. */
    assert_int_equal(take(&l, LOGIN_RATE_START, "192.0.2.1", 7100, NULL, NULL), 1);
    assert_int_equal(take(&l, LOGIN_RATE_START, "192.0.2.1", 7100, NULL, &first), 0);
    assert_true(first); /* a new bout after it was allowed again */
    /* The callback has its own allowance; another address its own. */
    assert_int_equal(take(&l, LOGIN_RATE_CALLBACK, "192.0.2.1", 7100, NULL, NULL), 1);
    assert_int_equal(take(&l, LOGIN_RATE_START, "192.0.2.2", 7100, NULL, NULL), 1);
    /* A minute later the whole allowance is back. */
    passed = 0;
    for (int i = 0; i < 12; i++)
        passed += take(&l, LOGIN_RATE_START, "192.0.2.1", 70000, NULL, NULL);
    assert_int_equal(passed, 10);
    login_limits_free(&l);
}

static void
test_zero_is_no_limit(void **state)
{
    login_limits_t l;
    limits_new(&l, 0, 5, 64);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(take(&l, LOGIN_RATE_START, "192.0.2.9", 0, NULL, NULL), 1);
    login_limits_free(&l);
}

/* 64 slots, 5000 other addresses each taking one start: the limited address stays limited
 * (newcomers, nearly full, push out one another first). */
static void
test_rotation_does_not_reset_a_limited_address(void **state)
{
    login_limits_t l;
    char key[64];
    limits_new(&l, 10, 20, 64);
    for (int i = 0; i < 10; i++)
        assert_int_equal(take(&l, LOGIN_RATE_START, "198.51.100.7", 0, NULL, NULL), 1);
    assert_int_equal(take(&l, LOGIN_RATE_START, "198.51.100.7", 0, NULL, NULL), 0);
    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof(key), "10.%d.%d.%d", i >> 16, (i >> 8) & 255, i & 255);
        assert_int_equal(take(&l, LOGIN_RATE_START, key, 10, NULL, NULL), 1);
    }
    assert_int_equal(take(&l, LOGIN_RATE_START, "198.51.100.7", 20, NULL, NULL), 0);
    login_limits_free(&l);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_burst_then_refill),
        cmocka_unit_test(test_zero_is_no_limit),
        cmocka_unit_test(test_rotation_does_not_reset_a_limited_address),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
