/* Tests for src/handle/admin_auth.c (admin_auth_check): no credential is not a guess; the right
 * token passes even while its address is limited; a limited address's wrong tokens are refused
 * without a slow hash; new addresses cannot push a limited one out of the table; IPv6 counts
 * per /64; a global budget of PBKDF2 checks per second; audit reports at most one per address
 * per minute; the metrics credential's memory never passes the admin one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "handle/admin_auth.h"

#define GOOD "q3JkN0x9bV2mT8sW1yH4cF6dL5pR7gZ0aE3uI9oK2nB"
#define WRONG "wrong-token-wrong-token"
#define T0 1700000000 /* a minute boundary plus 20 s */

static admin_hash_t fast, slow;

static int
setup(void **state)
{
    char text[256];
    wx_err_t err = {0};
    assert_int_equal(admin_hash_make(GOOD, text, sizeof(text), &err), WX_OK);
    assert_int_equal(admin_hash_parse(text, &fast, &err), WX_OK);
    assert_false(admin_hash_is_slow(&fast));
    /* A PBKDF2 credential with few iterations, so the tests are quick. */
    slow =
        (admin_hash_t){.set = true, .kind = ADMIN_HASH_PBKDF2, .iterations = 1000, .salt_len = 16};
    memset(slow.salt, 7, 16);
    assert_true(admin_hash_derive(GOOD, slow.salt, 16, 1000, slow.hash));
    return 0;
}

static admin_guard_t *
guard_new(admin_fails_t *shared)
{
    admin_guard_t *g = calloc(1, sizeof(*g));
    assert_non_null(g);
    pthread_mutex_init(&g->local.lock, NULL);
    g->fails = shared;
    return g;
}

static admin_auth_result_t
check(admin_guard_t *g, const admin_hash_t *h, const char *ip, const char *tok, int64_t now)
{
    admin_auth_info_t info;
    return admin_auth_check(g, h, ip, tok, now, &info);
}

static void
test_missing_is_not_a_guess(void **state)
{
    admin_guard_t *g = guard_new(NULL);
    for (int i = 0; i < 50; i++)
        assert_int_equal(check(g, &fast, "192.0.2.1", NULL, T0), ADMIN_AUTH_MISSING);
    assert_int_equal(check(g, &fast, "192.0.2.1", WRONG, T0), ADMIN_AUTH_DENIED);
    assert_int_equal(check(g, &fast, "192.0.2.1", GOOD, T0), ADMIN_AUTH_OK);
    free(g);
}

static void
limit_then_right_token(const admin_hash_t *h)
{
    admin_fails_t *shared = calloc(1, sizeof(*shared));
    pthread_mutex_init(&shared->lock, NULL);
    admin_guard_t *w1 = guard_new(shared), *w2 = guard_new(shared);
    /* The admin signs in on worker 1 before the attack (slow credential: remembered). */
    assert_int_equal(check(w1, h, "192.0.2.9", GOOD, T0), ADMIN_AUTH_OK);
    for (int i = 0; i < ADMIN_FAIL_LIMIT; i++)
        assert_int_equal(check(w2, h, "192.0.2.1", WRONG, T0 + i), ADMIN_AUTH_DENIED);
    uint64_t slow_before = w2->slow_checks;
    for (int i = 0; i < 20; i++)
        assert_int_equal(check(w2, h, "192.0.2.1", WRONG, T0 + 20), ADMIN_AUTH_LIMITED);
    assert_int_equal(w2->slow_checks, slow_before); /* no slow hash while limited */
    /* The right token from the limited address, on the other worker, passes. */
    assert_int_equal(check(w2, h, "192.0.2.1", GOOD, T0 + 21), ADMIN_AUTH_OK);
    assert_int_equal(check(w2, h, "192.0.2.1", WRONG, T0 + 22), ADMIN_AUTH_LIMITED);
    /* Other addresses are not limited. */
    assert_int_equal(check(w2, h, "192.0.2.2", WRONG, T0 + 23), ADMIN_AUTH_DENIED);
    /* The window ends. */
    assert_int_equal(check(w2, h, "192.0.2.1", WRONG, T0 + ADMIN_FAIL_WINDOW + 10),
                     ADMIN_AUTH_DENIED);
    free(w1);
    free(w2);
    free(shared);
}

static void
test_right_token_never_refused(void **state)
{
    limit_then_right_token(&fast);
    limit_then_right_token(&slow);
    /* A fast credential needs no memory: the right token passes a limited address anyway. */
    admin_guard_t *g = guard_new(NULL);
    for (int i = 0; i < ADMIN_FAIL_LIMIT; i++)
        check(g, &fast, "192.0.2.1", WRONG, T0);
    assert_int_equal(check(g, &fast, "192.0.2.1", WRONG, T0), ADMIN_AUTH_LIMITED);
    assert_int_equal(check(g, &fast, "192.0.2.1", GOOD, T0), ADMIN_AUTH_OK);
    free(g);
}

static void
test_rotation_does_not_reset(void **state)
{
    admin_guard_t *g = guard_new(NULL);
    char ip[64];
    for (int i = 0; i < ADMIN_FAIL_LIMIT; i++)
        check(g, &fast, "198.51.100.7", WRONG, T0);
    /* Far more other addresses than the table has slots, one wrong token each. */
    for (int i = 0; i < 4 * ADMIN_FAIL_SLOTS; i++) {
        snprintf(ip, sizeof(ip), "10.%d.%d.1", i / 250, i % 250);
        assert_int_equal(check(g, &fast, ip, WRONG, T0 + 1), ADMIN_AUTH_DENIED);
    }
    assert_int_equal(check(g, &fast, "198.51.100.7", WRONG, T0 + 2), ADMIN_AUTH_LIMITED);
    /* Even a table full of limited addresses keeps them all (newcomers go untracked). */
    for (int i = 0; i < ADMIN_FAIL_SLOTS; i++) {
        snprintf(ip, sizeof(ip), "172.16.%d.%d", i / 250, i % 250);
        for (int k = 0; k < ADMIN_FAIL_LIMIT; k++)
            check(g, &fast, ip, WRONG, T0 + 3);
    }
    assert_int_equal(check(g, &fast, "198.51.100.7", WRONG, T0 + 4), ADMIN_AUTH_LIMITED);
    free(g);
}

static void
test_ipv6_per_64(void **state)
{
    admin_guard_t *g = guard_new(NULL);
    char ip[64];
    for (int i = 0; i < ADMIN_FAIL_LIMIT; i++) {
        snprintf(ip, sizeof(ip), "2001:db8:1:2::%x", i + 1);
        assert_int_equal(check(g, &fast, ip, WRONG, T0), ADMIN_AUTH_DENIED);
    }
    assert_int_equal(check(g, &fast, "2001:db8:1:2:ffff::1", WRONG, T0), ADMIN_AUTH_LIMITED);
    assert_int_equal(check(g, &fast, "2001:db8:1:3::1", WRONG, T0), ADMIN_AUTH_DENIED);
    for (int i = 0; i < ADMIN_FAIL_LIMIT; i++)
        check(g, &fast, "192.0.2.44", WRONG, T0);
    assert_int_equal(check(g, &fast, "::ffff:192.0.2.44", WRONG, T0), ADMIN_AUTH_LIMITED);
    free(g);
}

static void
test_global_slow_budget(void **state)
{
    admin_guard_t *g = guard_new(NULL);
    char ip[64];
    int denied = 0, busy = 0;
    for (int i = 0; i < 40; i++) { /* 40 addresses, one guess each, in the same second */
        snprintf(ip, sizeof(ip), "203.0.113.%d", i + 1);
        admin_auth_result_t r = check(g, &slow, ip, WRONG, T0);
        denied += r == ADMIN_AUTH_DENIED;
        busy += r == ADMIN_AUTH_BUSY;
    }
    assert_int_equal(denied, ADMIN_SLOW_PER_SEC);
    assert_int_equal(busy, 40 - ADMIN_SLOW_PER_SEC);
    assert_int_equal(g->slow_checks, ADMIN_SLOW_PER_SEC);
    /* The next second has a new budget. */
    assert_int_equal(check(g, &slow, "203.0.113.200", GOOD, T0 + 1), ADMIN_AUTH_OK);
    free(g);
}

static void
test_audit_aggregated(void **state)
{
    admin_guard_t *g = guard_new(NULL);
    admin_auth_info_t info;
    int rows = 0, reported = 0;
    /* 30 wrong tokens within one minute (and past the limit): one row. */
    for (int i = 0; i < 30; i++) {
        admin_auth_check(g, &fast, "192.0.2.1", WRONG, T0 + i, &info);
        rows += info.report > 0;
        reported += info.report;
    }
    assert_int_equal(rows, 1);
    assert_int_equal(reported, 1);
    /* The next minute's first failure reports the rest. */
    admin_auth_check(g, &fast, "192.0.2.1", WRONG, T0 + 60, &info);
    assert_int_equal(info.report, 30);
    /* Missing credentials and right tokens report nothing. */
    admin_auth_check(g, &fast, "192.0.2.1", NULL, T0 + 200, &info);
    assert_int_equal(info.report, 0);
    admin_auth_check(g, &fast, "192.0.2.1", GOOD, T0 + 200, &info);
    assert_int_equal(info.report, 0);
    free(g);
}

static void
test_credentials_kept_apart(void **state)
{
    admin_fails_t *shared = calloc(1, sizeof(*shared));
    pthread_mutex_init(&shared->lock, NULL);
    admin_guard_t *metrics = guard_new(shared), *admin = guard_new(shared);
    admin_hash_t other = slow;
    memset(other.salt, 9, 16);
    assert_true(admin_hash_derive("the-admin-token-itself", other.salt, 16, 1000, other.hash));
    assert_int_equal(check(metrics, &slow, "192.0.2.1", GOOD, T0), ADMIN_AUTH_OK);
    assert_int_equal(check(admin, &other, "192.0.2.1", GOOD, T0 + 1), ADMIN_AUTH_DENIED);
    assert_int_equal(check(admin, &other, "192.0.2.1", "the-admin-token-itself", T0 + 2),
                     ADMIN_AUTH_OK);
    assert_int_equal(check(metrics, &slow, "192.0.2.1", GOOD, T0 + 3), ADMIN_AUTH_OK);
    free(metrics);
    free(admin);
    free(shared);
}

/* /metrics and admin sign-in share the failure table but not the slow budget: a flood of
 * guesses at /metrics spends only its own. */
static void
test_metrics_budget_apart(void **state)
{
    admin_fails_t *shared = calloc(1, sizeof(*shared)), *mbudget = calloc(1, sizeof(*mbudget));
    pthread_mutex_init(&shared->lock, NULL);
    pthread_mutex_init(&mbudget->lock, NULL);
    admin_guard_t *metrics = guard_new(shared), *admin = guard_new(shared);
    metrics->budget = mbudget;
    char ip[64];
    int busy = 0;
    for (int i = 0; i < 20; i++) {
        snprintf(ip, sizeof(ip), "203.0.113.%d", i + 1);
        busy += check(metrics, &slow, ip, WRONG, T0) == ADMIN_AUTH_BUSY;
    }
    assert_int_equal(busy, 20 - ADMIN_SLOW_PER_SEC);
    /* Same second: admin sign-in still has its whole budget. */
    assert_int_equal(check(admin, &slow, "192.0.2.9", GOOD, T0), ADMIN_AUTH_OK);
    assert_int_equal(admin->slow_checks, 1);
    free(metrics);
    free(admin);
    free(mbudget);
    free(shared);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_missing_is_not_a_guess),
        cmocka_unit_test(test_right_token_never_refused),
        cmocka_unit_test(test_rotation_does_not_reset),
        cmocka_unit_test(test_ipv6_per_64),
        cmocka_unit_test(test_global_slow_budget),
        cmocka_unit_test(test_audit_aggregated),
        cmocka_unit_test(test_credentials_kept_apart),
        cmocka_unit_test(test_metrics_budget_apart),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
