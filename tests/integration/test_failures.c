/* Every way a login can fail ends cleanly: a clear code and message on the business callback
 * when the callback is known and trusted, an error page otherwise, never a redirect to an
 * address that is not allowed, and nothing half-written in the store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <pthread.h>
#include <sys/wait.h>

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

static int
reset_faults(void **state)
{
    wxt_emu_clear_faults(&env);
    return 0;
}

static long
user_count(const char *pool)
{
    char *out = NULL;
    assert_int_equal(
        wxt_cli(&env, &out, (const char *const[]){"user", "count", "--pool", pool, NULL}), 0);
    long n = strtol(out, NULL, 10);
    free(out);
    return n;
}

/* Run a login of person with action; expect a 302 to the business callback with want_code. */
static void
expect_code(const char *person, const char *action, int want_code, const char *msg_part)
{
    char url[256];
    wxt_resp_t fin = {0};
    wxt_result_t res;
    wxt_browser_t *b = wxt_browser_new(NULL);
    snprintf(url, sizeof(url), "%s/oauth/wechatmp/url/demo", env.auth);
    wxt_login(b, url, person, action, &fin, NULL, 0);
    if (fin.status != 302)
        fail_msg("status %ld body %.300s", fin.status, fin.body ? fin.body : "");
    assert_true(strncmp(fin.location, env.callback, strlen(env.callback)) == 0);
    assert_true(wxt_parse_result(&env, fin.location, &res));
    if (res.code != want_code)
        fail_msg("want code %d, got %d (%s)", want_code, res.code, res.message);
    if (want_code != 200)
        assert_null(res.data); /* no user data on failure */
    assert_true(strlen(res.message) > 0);
    if (msg_part && !strstr(res.message, msg_part))
        fail_msg("message '%s' lacks '%s'", res.message, msg_part);
    wxt_result_free(&res);
    wxt_resp_free(&fin);
    wxt_browser_free(b);
}

/* An error page from wxauthd (no redirect at all). */
static void
expect_page(const char *url, long want_status, const char *text)
{
    wxt_resp_t r = {0};
    wxt_browser_t *b = wxt_browser_new(NULL);
    assert_int_equal(wxt_get(b, url, &r), 0);
    if (r.status != want_status)
        fail_msg("%s: want %ld got %ld %.200s", url, want_status, r.status, r.body);
    assert_null(r.location);
    assert_non_null(strstr(r.content_type, "text/html"));
    if (text && !strstr(r.body, text))
        fail_msg("page lacks '%s': %.300s", text, r.body);
    wxt_resp_free(&r);
    wxt_browser_free(b);
}

static void
test_user_denies(void **state)
{
    long before = user_count("demo");
    expect_code("alice", "deny", 1001, "用户取消了授权");
    assert_int_equal(user_count("demo"), before);
}

/* A WeChat errcode reaches the business callback as its code, with a plain Chinese sentence
 * (Authing's language) as the message: never WeChat's English errmsg. */
static void
test_wechat_errcodes_on_exchange(void **state)
{
    const struct {
        int code;
        const char *msg;
    } cases[] = {
        {40029, "微信登录凭证无效，请重新登录"},
        {40163, "微信登录凭证已被使用，请重新登录"},
        {40125, "网站的微信公众号配置有误（AppSecret 无效），请联系网站管理员"},
        {40013, "网站的微信公众号配置有误（AppID 无效），请联系网站管理员"},
        {45011, "微信接口调用过于频繁，请稍后重试"},
        {41008, "微信登录凭证无效，请重新登录"},
    };
    long before = user_count("demo");
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char json[200];
        snprintf(json, sizeof(json),
                 "{\"endpoint\":\"access_token\",\"errcode\":%d,\"errcode_rate\":1.0}",
                 cases[i].code);
        wxt_emu_fault(&env, json);
        expect_code("alice", "allow", cases[i].code, cases[i].msg);
    }
    assert_int_equal(user_count("demo"), before);
}

static void
test_wechat_errcodes_on_userinfo(void **state)
{
    const struct {
        int code;
        const char *msg;
    } cases[] = {
        {40001, "AppSecret 无效"},           {42001, "微信授权已过期"},
        {48001, "没有网页授权权限"},         {40003, "微信用户标识无效"},
        {61234, "微信登录失败，请重新登录"}, /* one we have no sentence of its own for */
    };
    long before = user_count("demo");
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char json[200];
        snprintf(json, sizeof(json),
                 "{\"endpoint\":\"userinfo\",\"errcode\":%d,\"errcode_rate\":1.0}", cases[i].code);
        wxt_emu_fault(&env, json);
        expect_code("alice", "allow", cases[i].code, cases[i].msg);
    }
    assert_int_equal(user_count("demo"), before);
}

static void
test_system_error_retried_once(void **state)
{
    /* errcode -1 once: the retry succeeds and the user never sees it. */
    wxt_emu_fault(&env,
                  "{\"endpoint\":\"userinfo\",\"errcode\":-1,\"errcode_rate\":1.0,\"count\":1}");
    expect_code("alice", "allow", 200, NULL);
}

static void
test_system_error_persistent(void **state)
{
    wxt_emu_fault(&env, "{\"endpoint\":\"userinfo\",\"errcode\":-1,\"errcode_rate\":1.0}");
    expect_code("alice", "allow", -1, "微信系统繁忙，请稍后重试");
}

static void
test_wechat_5xx(void **state)
{
    wxt_emu_fault(&env,
                  "{\"endpoint\":\"access_token\",\"http_status\":503,\"http_status_rate\":1.0}");
    expect_code("alice", "allow", 1004, "无法连接微信");
}

static void
test_wechat_reset(void **state)
{
    wxt_emu_fault(&env, "{\"endpoint\":\"access_token\",\"reset_rate\":1.0}");
    expect_code("alice", "allow", 1004, "无法连接微信");
}

static void
test_wechat_timeout(void **state)
{
    /* The harness sets wechat.timeout_ms = 2000; a hang must end in a clear outcome. */
    wxt_emu_fault(&env, "{\"endpoint\":\"userinfo\",\"hang_rate\":1.0}");
    expect_code("alice", "allow", 1004, "微信响应超时");
}

static void
test_snapshot_user(void **state)
{
    long before = user_count("demo");
    expect_code("snap", "allow", 1007, "快照");
    assert_int_equal(user_count("demo"), before);
}

static void
test_unknown_state(void **state)
{
    char url[512];
    snprintf(
        url, sizeof(url),
        "%s/connections/social/wechat:webpage-authorization/callback?code=abc&state=NoSuchState123",
        env.auth);
    expect_page(url, 400, "Unknown login link");
    snprintf(url, sizeof(url),
             "%s/connections/social/wechat:webpage-authorization/callback?code=abc", env.auth);
    expect_page(url, 400, NULL);
    snprintf(url, sizeof(url),
             "%s/connections/social/wechat:webpage-authorization/"
             "callback?code=abc&state=a%%27b%%3Cscript%%3E",
             env.auth);
    expect_page(url, 400, NULL);
}

static void
test_replayed_state_later(void **state)
{
    /* The same browser replays the callback: same outcome within the window (test_login);
     * a third browser is refused (403) and the login is never repeated. */
    char url[256], cb[4096];
    wxt_resp_t f = {0};
    wxt_browser_t *b = wxt_browser_new(NULL);
    snprintf(url, sizeof(url), "%s/oauth/wechatmp/url/demo", env.auth);
    long calls = wxt_emu_calls(&env, "access_token");
    wxt_login(b, url, "alice", "allow", &f, cb, sizeof(cb));
    assert_int_equal(f.status, 302);
    wxt_resp_free(&f);
    for (int i = 0; i < 3; i++)
        expect_page(cb, 403, "another browser");
    assert_int_equal(wxt_emu_calls(&env, "access_token"), calls + 1);
    wxt_browser_free(b);
}

static void
test_unknown_pool_identifier_app(void **state)
{
    char url[512];
    snprintf(url, sizeof(url), "%s/oauth/wechatmp/url/nosuchpool", env.auth);
    expect_page(url, 404, "Unknown user pool");
    snprintf(url, sizeof(url), "%s/connections/social/nosuch-connection?app_id=demo-app", env.auth);
    expect_page(url, 404, "Unknown WeChat connection");
    snprintf(url, sizeof(url),
             "%s/connections/social/wechat:webpage-authorization?app_id=nosuchapp", env.auth);
    expect_page(url, 404, "Unknown application");
    snprintf(url, sizeof(url), "%s/connections/social/wechat:webpage-authorization", env.auth);
    expect_page(url, 400, "app_id is required");
    snprintf(url, sizeof(url), "%s/oauth/wechatmp/url/bad%%20pool", env.auth);
    expect_page(url, 400, NULL);
}

static void
test_redirect_not_allowed(void **state)
{
    const char *bad[] = {
        "https%3A%2F%2Fevil.example.net%2Fcb",
        "http%3A%2F%2F127.0.0.1%3A9%2Fapp-cb%2Fextra",        /* not an exact match */
        "https%3A%2F%2Fa.b.example.com%2Fwx%2Fdone",          /* '*' is one label */
        "https%3A%2F%2Fshop.example.com%2Fwx%2Fa%2Fb",        /* '*' never crosses '/' */
        "https%3A%2F%2Fshop.example.com%40evil.net%2Fwx%2Fx", /* userinfo trick */
        "https%3A%2F%2Fevil.net%2F%3F.example.com%2Fwx%2Fx",
        "javascript%3Aalert(1)",
        "%2F%2Fevil.net%2Fcb",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char url[512];
        snprintf(
            url, sizeof(url),
            "%s/connections/social/wechat:webpage-authorization?app_id=demo-app&redirect_url=%s",
            env.auth, bad[i]);
        expect_page(url, 400, NULL);
    }
}

/* One statement on the env's store, SQLite or PostgreSQL. */
typedef struct {
    wxt_browser_t *b;
    const char *url;
    wxt_resp_t r;
} load_t;

static int64_t
mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *
load_thread(void *arg)
{
    load_t *x = arg;
    wxt_get(x->b, x->url, &x->r);
    return NULL;
}

/* The connection cannot be read for a moment at the callback (its table renamed away: a store
 * error, not a missing row), before the code goes to WeChat (after: 0) or while WeChat answers
 * (after: 1). A 503 saying so, Chinese first — not the login recorded for good as
 * "connection_gone"; the reload then ends it clearly as interrupted, at once. */
static void
conf_unreadable_at_callback(bool after_wechat)
{
    char start[256], url[4096];
    wxt_resp_t r1 = {0}, r2 = {0}, again = {0};
    wxt_browser_t *b = wxt_browser_new(NULL);
    snprintf(start, sizeof(start), "%s/oauth/wechatmp/url/demo", env.auth);
    assert_int_equal(wxt_get(b, start, &r1), 0);
    assert_int_equal(r1.status, 302);
    snprintf(url, sizeof(url), "%.*s&emu_person=alice&emu_action=allow",
             (int)strcspn(r1.location, "#"), r1.location);
    assert_int_equal(wxt_get(b, url, &r2), 0);
    assert_int_equal(r2.status, 302);
    long before = wxt_emu_calls(&env, "access_token");
    load_t x = {b, r2.location, {0}};
    if (after_wechat) {
        pthread_t t;
        wxt_emu_fault(&env, "{\"endpoint\":\"access_token\",\"latency_ms\":1300}");
        assert_int_equal(pthread_create(&t, NULL, load_thread, &x), 0);
        usleep(400 * 1000); /* read, and waiting for WeChat (the harness gives it 2 s) */
        wxt_store_exec(&env, "ALTER TABLE connections RENAME TO connections_away");
        pthread_join(t, NULL);
    } else {
        wxt_store_exec(&env, "ALTER TABLE connections RENAME TO connections_away");
        usleep(1200 * 1000); /* past the configuration cache (CONF_CACHE_TTL_MS) */
        load_thread(&x);
    }
    wxt_store_exec(&env, "ALTER TABLE connections_away RENAME TO connections");
    assert_int_equal(wxt_emu_calls(&env, "access_token"), before + (after_wechat ? 1 : 0));
    if (x.r.status != 503)
        fail_msg("want 503, got %ld %s %.300s", x.r.status, x.r.location ? x.r.location : "",
                 x.r.body ? x.r.body : "");
    const char *zh = strstr(x.r.body, "服务暂时不可用");
    assert_non_null(zh);
    assert_true(zh < strstr(x.r.body, "temporarily unavailable"));
    /* The reload: an error for the business, at once (not a 15 s wait for an end). */
    int64_t t0 = mono_ms();
    assert_int_equal(wxt_get(b, r2.location, &again), 0);
    wxt_result_t res;
    if (again.status != 302 || !wxt_parse_result(&env, again.location, &res))
        fail_msg("reload: %ld %.300s", again.status, again.body ? again.body : "");
    assert_true(res.code != 200);
    if (!strstr(res.message, "登录被中断"))
        fail_msg("reload: code %d %s", res.code, res.message);
    assert_true(mono_ms() - t0 < 5000);
    wxt_result_free(&res);
    wxt_resp_free(&x.r);
    wxt_resp_free(&again);
    wxt_resp_free(&r1);
    wxt_resp_free(&r2);
    wxt_browser_free(b);
}

static void
test_conf_unreadable_before_wechat(void **state)
{
    (void)state;
    conf_unreadable_at_callback(false);
}

static void
test_conf_unreadable_after_wechat(void **state)
{
    (void)state;
    conf_unreadable_at_callback(true);
}

static void
test_emulator_rejects_wrong_domain_page(void **state)
{
    /* The emulator enforces the webpage-authorization domain like WeChat (10003). */
    char url[512];
    wxt_resp_t r = {0};
    wxt_browser_t *b = wxt_browser_new(NULL);
    snprintf(url, sizeof(url),
             "%s/connect/oauth2/authorize?appid=" WXT_APPID
             "&redirect_uri=http%%3A%%2F%%2Fevil.example.net%%2Fcb&response_type=code"
             "&scope=snsapi_userinfo&state=abc&emu_person=alice&emu_action=allow",
             env.emu);
    assert_int_equal(wxt_get(b, url, &r), 0);
    assert_null(r.location);
    assert_non_null(strstr(r.body, "10003"));
    wxt_resp_free(&r);
    wxt_browser_free(b);
}

static void
test_expired_state(void **state)
{
    /* A separate server whose login links live one second. */
    wxt_env_t e2;
    wxt_opts_t o = {.state_ttl = 1, .retries = -1};
    char url[256], cb[4096];
    wxt_resp_t r1 = {0}, r2 = {0}, f = {0};
    wxt_result_t res;
    wxt_setup(&e2, &o);
    wxt_browser_t *b = wxt_browser_new(NULL);
    snprintf(url, sizeof(url), "%s/oauth/wechatmp/url/demo", e2.auth);
    assert_int_equal(wxt_get(b, url, &r1), 0);
    assert_int_equal(r1.status, 302);
    snprintf(cb, sizeof(cb), "%s", r1.location);
    *strchr(cb, '#') = '\0';
    strncat(cb, "&emu_person=alice&emu_action=allow", sizeof(cb) - strlen(cb) - 1);
    sleep(2);
    assert_int_equal(wxt_get(b, cb, &r2), 0);
    assert_int_equal(r2.status, 302);
    assert_int_equal(wxt_get(b, r2.location, &f), 0);
    assert_int_equal(f.status, 302);
    assert_true(wxt_parse_result(&e2, f.location, &res));
    assert_int_equal(res.code, 1002);
    assert_string_equal(res.message, "登录链接已过期，请重新登录");
    wxt_result_free(&res);
    wxt_resp_free(&r1);
    wxt_resp_free(&r2);
    wxt_resp_free(&f);
    wxt_browser_free(b);
    wxt_teardown(&e2);
}

/* A second wxauthd on a port the first already serves refuses to start (it would otherwise
 * share the port through SO_REUSEPORT and take part of the traffic), saying why. */
static void
test_second_server_on_same_port_refused(void **state)
{
    char cmd[1600], log[700], *text = NULL;
    snprintf(log, sizeof(log), "%s/second.log", env.dir);
    snprintf(cmd, sizeof(cmd), "timeout 20 '%s' --config '%s' 2>'%s' >/dev/null", getenv("WXAUTHD"),
             env.config, log);
    int st = system(cmd);
    assert_true(WIFEXITED(st));
    assert_int_not_equal(WEXITSTATUS(st), 0);
    assert_int_not_equal(WEXITSTATUS(st), 124); /* it did not run (timeout's code) */
    FILE *f = fopen(log, "r");
    assert_non_null(f);
    text = calloc(1, 8192);
    assert_non_null(text);
    assert_true(fread(text, 1, 8191, f) > 0);
    fclose(f);
    assert_non_null(strstr(text, "already in use by another process"));
    free(text);
    /* The first one still answers. */
    wxt_resp_t r;
    char url[128];
    snprintf(url, sizeof(url), "%s/healthz", env.auth);
    assert_int_equal(wxt_http("GET", url, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    wxt_resp_free(&r);
}

/* A node started with another master key than the one that sealed the store's keys (a
 * second node without a copy of master.key) refuses to start and says what to do. */
static void
test_other_master_key_refused(void **state)
{
    char cmd[1600], log[700], *text = NULL;
    snprintf(log, sizeof(log), "%s/otherkey.log", env.dir);
    snprintf(cmd, sizeof(cmd),
             "WXAUTH_MASTER_KEY=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA timeout 20 '%s' "
             "--config '%s' --check-config 2>'%s' >/dev/null",
             getenv("WXAUTHD"), env.config, log);
    int st = system(cmd);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 1);
    FILE *f = fopen(log, "r");
    assert_non_null(f);
    text = calloc(1, 8192);
    assert_non_null(text);
    assert_true(fread(text, 1, 8191, f) > 0);
    fclose(f);
    assert_non_null(strstr(text, "needs the same master key"));
    free(text);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_user_denies, reset_faults),
        cmocka_unit_test_setup(test_wechat_errcodes_on_exchange, reset_faults),
        cmocka_unit_test_setup(test_wechat_errcodes_on_userinfo, reset_faults),
        cmocka_unit_test_setup(test_system_error_retried_once, reset_faults),
        cmocka_unit_test_setup(test_system_error_persistent, reset_faults),
        cmocka_unit_test_setup(test_wechat_5xx, reset_faults),
        cmocka_unit_test_setup(test_wechat_reset, reset_faults),
        cmocka_unit_test_setup(test_wechat_timeout, reset_faults),
        cmocka_unit_test_setup(test_snapshot_user, reset_faults),
        cmocka_unit_test_setup(test_unknown_state, reset_faults),
        cmocka_unit_test_setup(test_replayed_state_later, reset_faults),
        cmocka_unit_test_setup(test_unknown_pool_identifier_app, reset_faults),
        cmocka_unit_test_setup(test_redirect_not_allowed, reset_faults),
        cmocka_unit_test_setup(test_emulator_rejects_wrong_domain_page, reset_faults),
        cmocka_unit_test_setup(test_conf_unreadable_before_wechat, reset_faults),
        cmocka_unit_test_setup(test_conf_unreadable_after_wechat, reset_faults),
        cmocka_unit_test_setup(test_expired_state, reset_faults),
        cmocka_unit_test(test_second_server_on_same_port_refused),
        cmocka_unit_test(test_other_master_key_refused),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
