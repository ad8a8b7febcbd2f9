/* A batch's COMMIT lost with its answer (issue #11): the writer cannot tell whether it
 * committed, so it runs the batch's jobs again one by one (store/writer.h). A job whose first
 * run did commit must then recognise its own write — the state it created, its claim, the end
 * of its login — instead of failing with "already used" for a login that was recorded. The
 * fault is injected with wxauthd's test hook WXAUTH_TEST_LOSE_COMMIT=1: every batch commits,
 * then reports its COMMIT as lost, so every write of a login takes the rerun path. Checked:
 * each login ends on the business callback with code 200, exactly once in the store (one
 * login count and one audit row per login), and a reload replays the same login. The cases
 * after that one check the other writes of the login path under the same fault. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <pthread.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "harness_tokens.h"
#include "util/url.h"

#define LOGINS 4
#define OIDC_CB "http://127.0.0.1:9/oidc-cb"
#define CAP_ADDR "127.0.0.41"

/* One wxauthd for every case, started with the hook; the pending cap per address is 2. */
static wxt_env_t e;
static char oidc_secret[65];

static int
group_setup(void **state)
{
    (void)state;
    wxt_opts_t o = {.limits = true,
                    .extra_config = "[limits]\nstart_per_minute = 0\ncallback_per_minute = 0\n"
                                    "pending_per_address = 2\npending_total = 0\n"};
    setenv("WXAUTH_TEST_LOSE_COMMIT", "1", 1); /* inherited by the wxauthd the env starts */
    wxt_setup(&e, &o);
    unsetenv("WXAUTH_TEST_LOSE_COMMIT");
    wxtk_app_create(&e,
                    (const char *const[]){"app", "create", "oidc-web", "--pool", "demo",
                                          "--redirect", OIDC_CB, NULL},
                    oidc_secret);
    wxtk_person_add(&e, "oidc-bob", "Bob");
    return 0;
}

static int
group_teardown(void **state)
{
    (void)state;
    wxt_teardown(&e);
    return 0;
}

static void
test_logins_survive_lost_commits(void **state)
{
    (void)state;
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
}

static char *
url_param(const char *url, const char *key)
{
    const char *q = url ? strchr(url, '?') : NULL;
    wx_query_t qs;
    char *v = NULL;
    if (!q || wx_query_parse(q + 1, &qs, NULL) != WX_OK)
        return NULL;
    const char *x = wx_query_get(&qs, key);
    v = x ? strdup(x) : NULL;
    wx_query_free(&qs);
    return v;
}

/* Refresh tokens rotated by batches whose COMMIT is lost: each rerun recognises the successor
 * its first run added, so the rotation is not taken for a reuse (which would revoke the whole
 * family); the first token, used again, still is one. */
static void
refresh_twice(const char *turl, const char *first)
{
    char cur[128], body[512];
    const char *h[] = {"Content-Type: application/x-www-form-urlencoded", NULL};
    assert_non_null(first);
    snprintf(cur, sizeof(cur), "%s", first);
    for (int k = 0; k < 3; k++) {
        wxtk_resp_t t = {0};
        snprintf(body, sizeof(body),
                 "grant_type=refresh_token&refresh_token=%s&client_id=oidc-web&client_secret=%s",
                 k < 2 ? cur : first, oidc_secret);
        assert_int_equal(wxtk_http("POST", turl, h, body, &t), 0);
        if (k < 2) {
            if (t.status != 200)
                fail_msg("refresh %d: want 200, got %ld %s", k, t.status, t.body);
            json_t *j = wxtk_json(&t);
            const char *next = json_string_value(json_object_get(j, "refresh_token"));
            assert_non_null(next);
            assert_string_not_equal(next, cur);
            snprintf(cur, sizeof(cur), "%s", next);
            json_decref(j);
        } else if (t.status != 400 || !strstr(t.body, "already used")) {
            fail_msg("the first refresh token again: want 400 already used, got %ld %s", t.status,
                     t.body);
        }
        wxtk_resp_free(&t);
    }
}

/* An OpenID Connect code (and the session of the WeChat login) written by a batch whose
 * COMMIT is lost: the rerun finds its own rows and the client still gets its code, which
 * redeems; the session then gives a second code without WeChat. */
static void
test_oidc_code_survives_lost_commits(void **state)
{
    (void)state;
    char url[1024], body[1024];
    wxt_browser_t *b = wxt_browser_new(WXT_WECHAT_UA);
    snprintf(url, sizeof(url),
             "%s/oidc/auth?client_id=oidc-web&redirect_uri=http%%3A%%2F%%2F127.0.0.1%%3A9%%2F"
             "oidc-cb&response_type=code&scope=openid&state=st-1",
             e.auth);
    for (int i = 0; i < 2; i++) {
        wxt_resp_t r = {0};
        if (i == 0) {
            assert_int_equal(wxt_login(b, url, "oidc-bob", "allow", &r, NULL, 0), 0);
        } else {
            long before = wxt_emu_calls(&e, "access_token");
            char none[1100];
            snprintf(none, sizeof(none), "%s&prompt=none", url);
            assert_int_equal(wxt_get(b, none, &r), 0);
            assert_int_equal(wxt_emu_calls(&e, "access_token"), before); /* the session's */
        }
        char *code = url_param(r.location, "code");
        if (r.status != 302 || !code)
            fail_msg("authorize %d: want a code, got %ld %s %.300s", i, r.status,
                     r.location ? r.location : "", r.body ? r.body : "");
        snprintf(body, sizeof(body),
                 "grant_type=authorization_code&code=%s&redirect_uri=http%%3A%%2F%%2F127.0.0.1"
                 "%%3A9%%2Foidc-cb&client_id=oidc-web&client_secret=%s",
                 code, oidc_secret);
        char turl[256];
        wxtk_resp_t t = {0};
        const char *h[] = {"Content-Type: application/x-www-form-urlencoded", NULL};
        snprintf(turl, sizeof(turl), "%s/oidc/token", e.auth);
        assert_int_equal(wxtk_http("POST", turl, h, body, &t), 0);
        if (t.status != 200)
            fail_msg("redeem %d: want 200, got %ld %s", i, t.status, t.body);
        json_t *j = wxtk_json(&t);
        assert_non_null(json_string_value(json_object_get(j, "id_token")));
        if (i == 0)
            refresh_twice(turl, json_string_value(json_object_get(j, "refresh_token")));
        json_decref(j);
        wxtk_resp_free(&t);
        free(code);
        wxt_resp_free(&r);
    }
    wxt_browser_free(b);
}

/* The pending-login cap per address (2) holds when every COMMIT is lost: the rerun of a start
 * the cap refused refuses it again instead of sending it to WeChat. */
static void
test_pending_cap_survives_lost_commits(void **state)
{
    (void)state;
    char url[256];
    snprintf(url, sizeof(url), "%s/oauth/wechatmp/url/demo", e.auth);
    wxt_browser_t *b = wxt_browser_new(NULL);
    wxt_browser_source(b, CAP_ADDR);
    for (int i = 0; i < 4; i++) {
        wxt_resp_t r = {0};
        assert_int_equal(wxt_get(b, url, &r), 0);
        long want = i < 2 ? 302 : 429;
        if (r.status != want)
            fail_msg("start %d from " CAP_ADDR ": want %ld, got %ld %s", i, want, r.status,
                     r.location ? r.location : "");
        wxt_resp_free(&r);
    }
    wxt_browser_free(b);
}

typedef struct {
    wxt_browser_t *b;
    const char *url;
    wxt_resp_t r;
} load_t;

static void *
load_thread(void *arg)
{
    load_t *x = arg;
    wxt_get(x->b, x->url, &x->r);
    return NULL;
}

static int64_t
wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The callback loaded twice by the same browser in the same second while WeChat is slow, with
 * every COMMIT lost: the second load's rerun must not take the first one's claim as its own
 * (both would then exchange the one WeChat code). One exchange per login; both loads end with
 * the same login. Three tries, so that one falling across a second boundary cannot hide it. */
static void
test_reload_same_second_not_own_claim(void **state)
{
    (void)state;
    char start[256], url[4096];
    snprintf(start, sizeof(start), "%s/oauth/wechatmp/url/demo", e.auth);
    wxt_emu_fault(&e, "{\"endpoint\":\"access_token\",\"latency_ms\":1500}");
    for (int i = 0; i < 3; i++) {
        wxt_browser_t *b = wxt_browser_new(NULL), *b2 = wxt_browser_new(NULL);
        wxt_resp_t r1 = {0}, r2 = {0};
        char bind[256];
        assert_int_equal(wxt_get(b, start, &r1), 0);
        assert_int_equal(r1.status, 302);
        snprintf(url, sizeof(url), "%.*s&emu_person=alice&emu_action=allow",
                 (int)strcspn(r1.location, "#"), r1.location);
        assert_int_equal(wxt_get(b, url, &r2), 0);
        assert_int_equal(r2.status, 302);
        /* The same browser, loading twice at once: its binding cookie in a second handle. */
        assert_true(wxt_browser_cookie_get(b, "wxauth_bind", bind, sizeof(bind)));
        wxt_browser_cookie_set(b2, "127.0.0.1", "wxauth_bind", bind);
        long before = wxt_emu_calls(&e, "access_token");
        while (wall_ms() % 1000 > 300) /* early in a second: both claims in the same one */
            usleep(20 * 1000);
        load_t x1 = {b, r2.location, {0}}, x2 = {b2, r2.location, {0}};
        pthread_t t1, t2;
        assert_int_equal(pthread_create(&t1, NULL, load_thread, &x1), 0);
        usleep(200 * 1000); /* the first load has claimed and waits for WeChat */
        assert_int_equal(pthread_create(&t2, NULL, load_thread, &x2), 0);
        pthread_join(t1, NULL);
        pthread_join(t2, NULL);
        long exchanges = wxt_emu_calls(&e, "access_token") - before;
        wxt_result_t a, c;
        if (x1.r.status != 302 || !wxt_parse_result(&e, x1.r.location, &a))
            fail_msg("try %d, first load: %ld %.300s", i, x1.r.status, x1.r.body ? x1.r.body : "");
        if (x2.r.status != 302 || !wxt_parse_result(&e, x2.r.location, &c))
            fail_msg("try %d, second load: %ld %.300s", i, x2.r.status, x2.r.body ? x2.r.body : "");
        printf("# try %d: %ld code exchanges, codes %d and %d\n", i, exchanges, a.code, c.code);
        assert_int_equal(exchanges, 1);
        assert_int_equal(a.code, 200);
        assert_int_equal(c.code, 200);
        wxt_result_free(&a);
        wxt_result_free(&c);
        wxt_resp_free(&x1.r);
        wxt_resp_free(&x2.r);
        wxt_resp_free(&r1);
        wxt_resp_free(&r2);
        wxt_browser_free(b);
        wxt_browser_free(b2);
    }
    wxt_emu_clear_faults(&e);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_logins_survive_lost_commits),
        cmocka_unit_test(test_oidc_code_survives_lost_commits),
        cmocka_unit_test(test_pending_cap_survives_lost_commits),
        cmocka_unit_test(test_reload_same_second_not_own_claim),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
