/* The login, end to end, against the real emulator and a real wxauthd over loopback: every
 * Authing client generation's start URL, the data handed to the business callback, repeat
 * logins, unionid linking, snsapi_base, double-loaded callbacks and the verification file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libpq-fe.h>
#include <sqlite3.h>

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

static const char *
jstr(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    if (!s)
        fail_msg("data.%s missing or not a string", k);
    return s;
}

/* Log alice in through start_url; return the parsed result (code 200 asserted). */
static void
login_ok(wxt_browser_t *b, const char *start_url, const char *person, wxt_result_t *res,
         const char *want_prefix)
{
    wxt_resp_t fin = {0};
    wxt_login(b, start_url, person, "allow", &fin, NULL, 0);
    if (fin.status != 302)
        fail_msg("final status %ld body %.300s", fin.status, fin.body ? fin.body : "");
    assert_non_null(fin.location);
    assert_true(strncmp(fin.location, want_prefix, strlen(want_prefix)) == 0);
    assert_true(wxt_parse_result(&env, fin.location, res));
    if (res->code != 200)
        fail_msg("code %d message %s", res->code, res->message);
    assert_non_null(res->data);
    wxt_resp_free(&fin);
}

static void
check_user_data(json_t *d, const char *appid, const char *person, const char *nickname)
{
    char openid[64], unionid[64];
    wxt_emu_person_ids(&env, appid, person, openid, sizeof(openid), unionid, sizeof(unionid));
    assert_string_equal(jstr(d, "openid"), openid);
    assert_string_equal(jstr(d, "unionid"), unionid[0] ? unionid : openid);
    assert_string_equal(jstr(d, "id"), jstr(d, "_id"));
    assert_int_equal(strlen(jstr(d, "id")), 24);
    assert_string_equal(jstr(d, "userPoolId"), "demo");
    if (nickname)
        assert_string_equal(jstr(d, "nickname"), nickname);
    assert_string_equal(jstr(d, "registerMethod"), "oauth:wxmp");
    const char *tok = jstr(d, "token");
    assert_true(strncmp(tok, "eyJ", 3) == 0);
    assert_non_null(strchr(strchr(tok, '.') + 1, '.')); /* three parts */
    assert_true(json_is_string(json_object_get(d, "tokenExpiredAt")));
    assert_true(json_is_false(json_object_get(d, "blocked")));
    /* oauth: the raw WeChat profile, as a string */
    const char *oauth = jstr(d, "oauth");
    json_t *raw = json_loads(oauth, 0, NULL);
    assert_non_null(raw);
    assert_string_equal(json_string_value(json_object_get(raw, "openid")), openid);
    json_decref(raw);
}

static void
test_pool_flow_double_slash(void **state)
{
    char url[256];
    wxt_result_t res;
    wxt_browser_t *b = wxt_browser_new(NULL);
    /* @authing/wxmp 1.0 builds ${host.oauth}/oauth/... with host.oauth ending in '/'. */
    snprintf(url, sizeof(url), "%s//oauth/wechatmp/url/demo", env.auth);
    login_ok(b, url, "alice", &res, env.callback);
    check_user_data(res.data, WXT_APPID, "alice", "Alice 爱丽丝");
    /* The emulator draws its people's avatars itself: nothing comes from the internet. */
    char photo[256];
    snprintf(photo, sizeof(photo), "%s/mmopen/vi_32/alice/132", env.emu);
    assert_string_equal(jstr(res.data, "photo"), photo);
    wxt_resp_t img = {0};
    assert_int_equal(wxt_http("GET", photo, NULL, &img), 0);
    assert_int_equal(img.status, 200);
    assert_string_equal(img.content_type, "image/svg+xml");
    assert_non_null(strstr(img.body, ">A</text>")); /* "Alice 爱丽丝" */
    wxt_resp_free(&img);
    assert_string_equal(res.message, "登录成功");
    wxt_result_free(&res);
    wxt_browser_free(b);
}

static void
test_authorize_url_shape(void **state)
{
    char url[256], want[512];
    wxt_resp_t r = {0};
    wxt_browser_t *b = wxt_browser_new(NULL);
    snprintf(url, sizeof(url), "%s/oauth/wechatmp/url/demo", env.auth);
    assert_int_equal(wxt_get(b, url, &r), 0);
    assert_int_equal(r.status, 302);
    /* Exact parameter order, encoded redirect_uri, 32-char state, #wechat_redirect. */
    snprintf(want, sizeof(want),
             "%s/connect/oauth2/authorize?appid=" WXT_APPID
             "&redirect_uri=http%%3A%%2F%%2F127.0.0.1%%3A%d"
             "%%2Fconnections%%2Fsocial%%2Fwechat%%3Awebpage-authorization%%2Fcallback"
             "&response_type=code&scope=snsapi_userinfo&state=",
             env.emu, env.auth_port);
    assert_true(strncmp(r.location, want, strlen(want)) == 0);
    const char *st = r.location + strlen(want);
    const char *hash = strchr(st, '#');
    assert_non_null(hash);
    assert_int_equal(hash - st, 32);
    assert_string_equal(hash, "#wechat_redirect");
    wxt_resp_free(&r);
    wxt_browser_free(b);
}

static void
test_app_flow_with_redirect_url(void **state)
{
    char url[512];
    wxt_result_t res;
    wxt_browser_t *b = wxt_browser_new(NULL);
    snprintf(url, sizeof(url),
             "%s/connections/social/wechat:webpage-authorization?app_id=demo-app&redirect_url="
             "http%%3A%%2F%%2F127.0.0.1%%3A9%%2Fapp-cb&from_guard=1&unknown_param=x",
             env.auth);
    login_ok(b, url, "alice", &res, "http://127.0.0.1:9/app-cb?code=200");
    check_user_data(res.data, WXT_APPID, "alice", NULL);
    wxt_result_free(&res);
    /* A wildcard callback of the application: one label in the host, one path segment. */
    snprintf(url, sizeof(url),
             "%s/connections/social/wechat:webpage-authorization?app_id=demo-app&redirect_url="
             "https%%3A%%2F%%2Fshop.example.com%%2Fwx%%2Fdone",
             env.auth);
    login_ok(b, url, "alice", &res, "https://shop.example.com/wx/done?code=200");
    wxt_result_free(&res);
    wxt_browser_free(b);
}

static void
test_old_sdk_form_with_pool_in_path(void **state)
{
    char url[256];
    wxt_result_t res;
    wxt_browser_t *b = wxt_browser_new(NULL);
    snprintf(url, sizeof(url),
             "%s/connections/social/wechat:webpage-authorization/demo?from_guard=1", env.auth);
    login_ok(b, url, "bob", &res, env.callback);
    check_user_data(res.data, WXT_APPID, "bob", "Bob");
    wxt_result_free(&res);
    wxt_browser_free(b);
}

static void
test_second_login_updates_user(void **state)
{
    char url[256], id[64];
    wxt_result_t r1, r2;
    char out_before[32] = "", *out = NULL;
    wxt_browser_t *b = wxt_browser_new(NULL);
    snprintf(url, sizeof(url), "%s/oauth/wechatmp/url/demo", env.auth);
    login_ok(b, url, "alice", &r1, env.callback);
    snprintf(id, sizeof(id), "%s", jstr(r1.data, "id"));
    long n1 = (long)json_integer_value(json_object_get(r1.data, "loginsCount"));
    assert_int_equal(
        wxt_cli(&env, &out, (const char *const[]){"user", "count", "--pool", "demo", NULL}), 0);
    snprintf(out_before, sizeof(out_before), "%s", out);
    free(out);
    login_ok(b, url, "alice", &r2, env.callback);
    assert_string_equal(jstr(r2.data, "id"), id);
    assert_int_equal(json_integer_value(json_object_get(r2.data, "loginsCount")), n1 + 1);
    assert_int_equal(
        wxt_cli(&env, &out, (const char *const[]){"user", "count", "--pool", "demo", NULL}), 0);
    assert_string_equal(out, out_before); /* no duplicate user */
    free(out);
    wxt_result_free(&r1);
    wxt_result_free(&r2);
    wxt_browser_free(b);
}

static void
test_unionid_links_accounts(void **state)
{
    char url[256];
    wxt_result_t r1, r2;
    wxt_browser_t *b = wxt_browser_new(NULL);
    snprintf(url, sizeof(url), "%s/connections/social/wechat:webpage-authorization/demo", env.auth);
    login_ok(b, url, "alice", &r1, env.callback);
    snprintf(url, sizeof(url), "%s/connections/social/wechat-second/demo", env.auth);
    login_ok(b, url, "alice", &r2, env.callback);
    /* Different official account: different openid, same unionid, so the same user. */
    assert_string_not_equal(jstr(r1.data, "openid"), jstr(r2.data, "openid"));
    assert_string_equal(jstr(r1.data, "unionid"), jstr(r2.data, "unionid"));
    assert_string_equal(jstr(r1.data, "id"), jstr(r2.data, "id"));
    wxt_result_free(&r1);
    wxt_result_free(&r2);
    wxt_browser_free(b);
}

static void
test_snsapi_base_no_profile(void **state)
{
    char url[256], openid[64];
    wxt_result_t res;
    wxt_browser_t *b = wxt_browser_new(NULL);
    long before = wxt_emu_calls(&env, "userinfo");
    snprintf(url, sizeof(url), "%s/oauth/wechatmp/url/basepool", env.auth);
    wxt_resp_t fin = {0};
    wxt_login(b, url, "alice", "allow", &fin, NULL, 0);
    assert_int_equal(fin.status, 302);
    assert_true(wxt_parse_result(&env, fin.location, &res));
    assert_int_equal(res.code, 200);
    wxt_emu_person_ids(&env, WXT_APPID_BASE, "alice", openid, sizeof(openid), NULL, 0);
    assert_string_equal(jstr(res.data, "openid"), openid);
    /* No Open Platform binding: Authing puts the openid in unionid. */
    assert_string_equal(jstr(res.data, "unionid"), openid);
    assert_string_equal(jstr(res.data, "oauth"), "");
    assert_int_equal(wxt_emu_calls(&env, "userinfo"), before); /* base scope: no profile call */
    wxt_result_free(&res);
    wxt_resp_free(&fin);
    wxt_browser_free(b);
}

static void
test_double_load_same_browser(void **state)
{
    char url[256], cb[4096];
    wxt_resp_t f1 = {0}, f2 = {0};
    wxt_browser_t *b = wxt_browser_new(NULL);
    snprintf(url, sizeof(url), "%s/oauth/wechatmp/url/demo", env.auth);
    long before = wxt_emu_calls(&env, "access_token");
    wxt_login(b, url, "alice", "allow", &f1, cb, sizeof(cb));
    assert_int_equal(f1.status, 302);
    /* The WebView loads the callback again: same outcome, and the code is not exchanged twice. */
    assert_int_equal(wxt_get(b, cb, &f2), 0);
    assert_int_equal(f2.status, 302);
    assert_string_equal(f1.location, f2.location);
    assert_int_equal(wxt_emu_calls(&env, "access_token"), before + 1);
    wxt_resp_free(&f1);
    wxt_resp_free(&f2);
    wxt_browser_free(b);
}

/* The same official account connected to two pools: a person who logged in through one gets a
 * clear message from the other (an openid never belongs to two pools), and nothing is written. */
static void
test_openid_in_other_pool(void **state)
{
    char url[256], body[1024];
    wxt_resp_t r = {0}, fin = {0};
    wxt_result_t res = {0};
    assert_int_equal(wxt_admin(&env, "POST", "/pools", "{\"id\":\"twin\"}", &r), 0);
    assert_int_equal(r.status, 201);
    wxt_resp_free(&r);
    snprintf(body, sizeof(body),
             "{\"identifier\":\"wechat:webpage-authorization\",\"appid\":\"" WXT_APPID
             "\",\"app_secret\":\"%s\",\"callback_url\":\"%s\"}",
             env.secret, env.callback);
    assert_int_equal(wxt_admin(&env, "POST", "/pools/twin/connections", body, &r), 0);
    assert_int_equal(r.status, 201);
    wxt_resp_free(&r);

    wxt_browser_t *b = wxt_browser_new(NULL);
    snprintf(url, sizeof(url), "%s/oauth/wechatmp/url/demo", env.auth);
    login_ok(b, url, "alice", &res, env.callback);
    wxt_result_free(&res);
    long before = wxt_emu_calls(&env, "access_token");
    snprintf(url, sizeof(url), "%s/oauth/wechatmp/url/twin", env.auth);
    wxt_login(b, url, "alice", "allow", &fin, NULL, 0);
    assert_int_equal(fin.status, 302);
    assert_true(wxt_parse_result(&env, fin.location, &res));
    assert_int_equal(res.code, 500);
    assert_non_null(strstr(res.message, "另一个用户池"));
    assert_null(res.data);
    assert_int_equal(wxt_emu_calls(&env, "access_token"), before + 1);
    wxt_result_free(&res);
    wxt_resp_free(&fin);
    assert_int_equal(wxt_admin(&env, "GET", "/pools/twin/users", NULL, &r), 0);
    assert_int_equal(r.status, 200);
    json_t *j = json_loads(r.body, 0, NULL);
    assert_int_equal(json_integer_value(json_object_get(j, "total")), 0);
    json_decref(j);
    wxt_resp_free(&r);
    wxt_browser_free(b);
}

static void
test_replay_from_other_browser_refused(void **state)
{
    char url[256], cb[4096];
    wxt_resp_t f1 = {0}, f2 = {0};
    wxt_browser_t *b = wxt_browser_new(NULL), *other = wxt_browser_new(NULL);
    snprintf(url, sizeof(url), "%s/oauth/wechatmp/url/demo", env.auth);
    wxt_login(b, url, "alice", "allow", &f1, cb, sizeof(cb));
    assert_int_equal(f1.status, 302);
    assert_int_equal(wxt_get(other, cb, &f2), 0);
    assert_int_equal(f2.status, 403);
    assert_null(f2.location);
    assert_non_null(strstr(f2.body, "another browser"));
    assert_non_null(strstr(f2.content_type, "text/html"));
    wxt_resp_free(&f1);
    wxt_resp_free(&f2);
    wxt_browser_free(b);
    wxt_browser_free(other);
}

static void
test_verification_file(void **state)
{
    char url[256];
    wxt_resp_t r = {0};
    snprintf(url, sizeof(url), "%s/MP_verify_T3stFile9.txt", env.auth);
    assert_int_equal(wxt_http("GET", url, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "T3stContent9");
    assert_non_null(strstr(r.content_type, "text/plain"));
    assert_null(r.location);
    wxt_resp_free(&r);
    /* Another host name for the same server: still served. */
    snprintf(url, sizeof(url), "http://localhost:%d/MP_verify_T3stFile9.txt", env.auth_port);
    assert_int_equal(wxt_http("GET", url, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    wxt_resp_free(&r);
    /* Unknown or non-WeChat names are not served. */
    const char *bad[] = {"/MP_verify_nope.txt", "/MP_verify_.txt", "/MP_verify_a-b.txt",
                         "/wxauth.db",          "/etc/passwd",     "/MP_verify_T3stFile9.txt.bak"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(url, sizeof(url), "%s%s", env.auth, bad[i]);
        assert_int_equal(wxt_http("GET", url, NULL, &r), 0);
        assert_int_equal(r.status, 404);
        wxt_resp_free(&r);
    }
}

static void
test_healthz_and_headers(void **state)
{
    char url[256];
    wxt_resp_t r = {0};
    snprintf(url, sizeof(url), "%s/healthz", env.auth);
    assert_int_equal(wxt_http("GET", url, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "{\"status\":\"ok\"}");
    wxt_resp_free(&r);
    snprintf(url, sizeof(url), "%s/readyz", env.auth);
    assert_int_equal(wxt_http("GET", url, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    wxt_resp_free(&r);
}

/* /readyz answers 503 while the store cannot be written (here: another connection holds the
 * write lock longer than the store waits), and 200 again once it can. */
static void
test_readyz_needs_a_writable_store(void **state)
{
    char url[256];
    wxt_resp_t r = {0};
    snprintf(url, sizeof(url), "%s/readyz", env.auth);
    void *pg = NULL;
    sqlite3 *db = NULL;
    if (strncmp(env.store_url, "sqlite:", 7) == 0) {
        assert_int_equal(sqlite3_open(env.store_url + 7, &db), SQLITE_OK);
        sqlite3_busy_timeout(db, 5000);
        assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    } else {
        PGconn *c = PQconnectdb(env.store_url);
        assert_int_equal(PQstatus(c), CONNECTION_OK);
        PGresult *res = PQexec(c, "BEGIN; LOCK TABLE nodes IN EXCLUSIVE MODE");
        assert_int_equal(PQresultStatus(res), PGRES_COMMAND_OK);
        PQclear(res);
        pg = c;
    }
    assert_int_equal(wxt_http("GET", url, NULL, &r), 0);
    assert_int_equal(r.status, 503);
    assert_non_null(strstr(r.body, "store not writable"));
    wxt_resp_free(&r);
    if (db) {
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        sqlite3_close(db);
    } else {
        PQclear(PQexec(pg, "ROLLBACK"));
        PQfinish(pg);
    }
    assert_int_equal(wxt_http("GET", url, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    wxt_resp_free(&r);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_readyz_needs_a_writable_store),
        cmocka_unit_test(test_pool_flow_double_slash),
        cmocka_unit_test(test_authorize_url_shape),
        cmocka_unit_test(test_app_flow_with_redirect_url),
        cmocka_unit_test(test_old_sdk_form_with_pool_in_path),
        cmocka_unit_test(test_second_login_updates_user),
        cmocka_unit_test(test_unionid_links_accounts),
        cmocka_unit_test(test_snsapi_base_no_profile),
        cmocka_unit_test(test_double_load_same_browser),
        cmocka_unit_test(test_replay_from_other_browser_refused),
        cmocka_unit_test(test_openid_in_other_pool),
        cmocka_unit_test(test_verification_file),
        cmocka_unit_test(test_healthz_and_headers),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
