/* A batch's COMMIT lost with its answer (issue #11): the writer cannot tell whether it
 * committed, so it runs the batch's jobs again one by one (store/writer.h). A job whose first
 * run did commit must then recognise its own write — the state it created, its claim, the end
 * of its login — instead of failing with "already used" for a login that was recorded. The
 * fault is injected with wxauthd's test hook WXAUTH_TEST_LOSE_COMMIT=1: every batch commits,
 * then reports its COMMIT as lost, so every write of a login takes the rerun path. Checked:
 * each login ends on the business callback with code 200, exactly once in the store (one
 * login count and one audit row per login), and a reload replays the same login. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"
#include "harness_tokens.h"

#define LOGINS 4

static void
test_logins_survive_lost_commits(void **state)
{
    wxt_env_t e;
    wxt_opts_t o = {0};
    (void)state;
    setenv("WXAUTH_TEST_LOSE_COMMIT", "1", 1); /* inherited by the wxauthd the env starts */
    wxt_setup(&e, &o);
    unsetenv("WXAUTH_TEST_LOSE_COMMIT");
    char start[256], cb[4096];
    snprintf(start, sizeof(start), "%s/oauth/wechatmp/url/demo", e.auth);
    char first_id[64] = "";
    for (int i = 0; i < LOGINS; i++) {
        wxt_browser_t *b = wxt_browser_new(NULL);
        wxt_resp_t fin = {0}, again = {0};
        wxt_result_t res, res2;
        assert_int_equal(wxt_login(b, start, "alice", "allow", &fin, cb, sizeof(cb)), 0);
        if (fin.status != 302 || !wxt_parse_result(&e, fin.location, &res))
            fail_msg("login %d: status %ld, %.300s", i, fin.status,
                     fin.body ? fin.body : "(no body)");
        if (res.code != 200)
            fail_msg("login %d ended with code %d: %s", i, res.code, res.message);
        const char *id = json_string_value(json_object_get(res.data, "id"));
        assert_non_null(id);
        if (!first_id[0])
            snprintf(first_id, sizeof(first_id), "%s", id);
        assert_string_equal(id, first_id); /* alice, one user */
        /* A reload of the callback replays this login from its record. */
        assert_int_equal(wxt_get(b, cb, &again), 0);
        assert_int_equal(again.status, 302);
        assert_true(wxt_parse_result(&e, again.location, &res2));
        assert_int_equal(res2.code, 200);
        wxt_result_free(&res2);
        wxt_result_free(&res);
        wxt_resp_free(&fin);
        wxt_resp_free(&again);
        wxt_browser_free(b);
    }
    /* Exactly once each: the reruns' writes were undone, not added. */
    store_t *st = wxtk_store(&e);
    wx_err_t err = {0};
    int64_t users = -1, audits = -1;
    store_user_t u;
    assert_int_equal(store_user_count(st, "demo", &users, &err), WX_OK);
    assert_int_equal(store_audit_count(st, "login", &audits, &err), WX_OK);
    assert_int_equal(store_user_get(st, "demo", first_id, &u, &err), WX_OK);
    store_close(st);
    printf("# %d logins, every COMMIT reported lost: %lld user, %lld login audit rows, "
           "logins_count %lld\n",
           LOGINS, (long long)users, (long long)audits, (long long)u.logins_count);
    assert_int_equal(users, 1);
    assert_int_equal(audits, LOGINS);
    assert_int_equal(u.logins_count, LOGINS);
    wxt_teardown(&e);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_logins_survive_lost_commits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
