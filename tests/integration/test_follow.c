/* Follow the service account to log in (issue #15 item 3): the account's message push
 * endpoint of wxauthd (/wechat/push/{pool}/{identifier}) fed by the emulator, which scans
 * and follows as a phone does and pushes the events signed (and encrypted) as WeChat does:
 * URL verification, plain / compat / safe mode, a forged signature (refused and logged), a
 * replayed push (ignored, answered "success"), a stale one, another App ID inside the
 * envelope (refused); the shared access token (stable_token once, refreshed near expiry). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "proto/wxmsg.h"

#define TOKEN "Tok3nForPush"
#define AES_KEY "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
#define SCENE "scene42"

static wxt_env_t env;

static int
group_setup(void **state)
{
    (void)state;
    int rc = wxt_setup(&env, NULL);
    /* Followers of their own: events are unique per sender and second, so each scan here
     * has its sender. */
    static const char *const people[] = {"f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8"};
    for (size_t i = 0; rc == 0 && i < sizeof(people) / sizeof(people[0]); i++) {
        char body[128];
        snprintf(body, sizeof(body), "{\"id\":\"%s\",\"follower\":\"yes\"}", people[i]);
        wxt_emu_admin(&env, "POST", "/emu/admin/people", body);
    }
    return rc;
}

static int
group_teardown(void **state)
{
    (void)state;
    wxt_teardown(&env);
    return 0;
}

/* Lines of wxauthd's log holding needle (its lines are written once a loop turn: waited for
 * up to 3 s until at least min are there). */
static int
log_count(const char *needle, int min)
{
    char path[700], line[16384];
    int n = 0;
    snprintf(path, sizeof(path), "%s/wxauthd.log", env.dir);
    for (int tries = 0; tries < 30; tries++) {
        n = 0;
        FILE *f = fopen(path, "r");
        assert_non_null(f);
        while (fgets(line, sizeof(line), f))
            n += strstr(line, needle) != NULL;
        fclose(f);
        if (n >= min)
            break;
        usleep(100 * 1000);
    }
    return n;
}

/* On a failure: wxauthd's log lines about pushes, to say why. */
static void
dump_log(const char *needle)
{
    char path[700], line[16384];
    snprintf(path, sizeof(path), "%s/wxauthd.log", env.dir);
    FILE *f = fopen(path, "r");
    while (f && fgets(line, sizeof(line), f))
        if (strstr(line, needle))
            fprintf(stderr, "wxauthd: %s", line);
    if (f)
        fclose(f);
}

/* The connection's message server settings through the CLI, as an operator sets them. */
static void
conn_push(const char *identifier, const char *appid, const char *token, const char *aes)
{
    char *out = NULL;
    setenv("WXT_PUSH_TOKEN", token ? token : "", 1);
    setenv("WXT_AES_KEY", aes ? aes : "", 1);
    const char *argv[16] = {"connection",   "set",        "--pool",     "demo",
                            "--identifier", identifier,   "--appid",    appid,
                            "--secret-env", "WXT_SECRET", "--callback", env.callback};
    int n = 12;
    if (token)
        argv[n++] = "--push-token-env", argv[n++] = "WXT_PUSH_TOKEN";
    if (aes)
        argv[n++] = "--aes-key-env", argv[n++] = "WXT_AES_KEY";
    if (!token && !aes)
        argv[n++] = "--clear-push";
    argv[n] = NULL;
    int rc = wxt_cli(&env, &out, argv);
    if (rc != 0)
        fail_msg("wxauth connection set failed (%d): %s", rc, out ? out : "");
    free(out);
}

/* The emulator's account pushes to identifier's URL with token, key and mode. */
static void
emu_account_push(const char *appid, const char *identifier, const char *mode)
{
    char body[1024];
    snprintf(body, sizeof(body),
             "{\"appid\":\"%s\",\"push_url\":\"%s/wechat/push/demo/%s\",\"push_token\":\"" TOKEN
             "\",\"push_aes_key\":\"" AES_KEY "\",\"push_mode\":\"%s\"}",
             appid, env.auth, identifier, mode);
    wxt_emu_admin(&env, "POST", "/emu/admin/accounts", body);
}

/* A fresh QR code of appid's account from the emulator (with its own access token). */
static void
emu_qrcode(const char *appid, const char *scene, char *url, size_t n)
{
    char u[512], body[512];
    wxt_resp_t r = {0};
    snprintf(u, sizeof(u), "%s/cgi-bin/stable_token", env.emu);
    snprintf(body, sizeof(body),
             "{\"grant_type\":\"client_credential\",\"appid\":\"%s\",\"secret\":\"%s\"}", appid,
             env.secret);
    assert_int_equal(wxt_http("POST", u, body, &r), 0);
    json_t *j = json_loads(r.body, 0, NULL);
    assert_non_null(j);
    snprintf(u, sizeof(u), "%s/cgi-bin/qrcode/create?access_token=%s", env.emu,
             json_string_value(json_object_get(j, "access_token")));
    json_decref(j);
    wxt_resp_free(&r);
    snprintf(body, sizeof(body),
             "{\"expire_seconds\":300,\"action_name\":\"QR_STR_SCENE\",\"action_info\":"
             "{\"scene\":{\"scene_str\":\"%s\"}}}",
             scene);
    assert_int_equal(wxt_http("POST", u, body, &r), 0);
    j = json_loads(r.body, 0, NULL);
    if (!j || !json_string_value(json_object_get(j, "url")))
        fail_msg("qrcode/create: %s", r.body);
    snprintf(url, n, "%s", json_string_value(json_object_get(j, "url")));
    json_decref(j);
    wxt_resp_free(&r);
}

/* The phone scans url as person (action: NULL or "subscribe"); the emulator page's verdict. */
static char *
scan(const char *url, const char *person, const char *action)
{
    char u[700];
    wxt_resp_t r = {0};
    wxt_browser_t *b = wxt_browser_new(WXT_WECHAT_UA);
    snprintf(u, sizeof(u), "%s?emu_person=%s%s%s", url, person, action ? "&emu_action=" : "",
             action ? action : "");
    assert_int_equal(wxt_get(b, u, &r), 0);
    assert_int_equal(r.status, 200);
    char *body = strdup(r.body);
    wxt_resp_free(&r);
    wxt_browser_free(b);
    return body;
}

/* The emulator's last push: its URL (with the signed query) and body. */
static json_t *
last_push(void)
{
    char u[256];
    wxt_resp_t r = {0};
    snprintf(u, sizeof(u), "%s/emu/admin/pushes", env.emu);
    assert_int_equal(wxt_http("GET", u, NULL, &r), 0);
    json_t *j = json_loads(r.body, 0, NULL);
    wxt_resp_free(&r);
    json_t *arr = json_object_get(j, "pushes");
    assert_true(json_array_size(arr) > 0);
    json_t *p = json_incref(json_array_get(arr, json_array_size(arr) - 1));
    json_decref(j);
    return p;
}

static long
post_push(const char *url, const char *body, char **reply)
{
    wxt_resp_t r = {0};
    const char *h[] = {"Content-Type: text/xml", NULL};
    assert_int_equal(wxt_http_headers("POST", url, h, body, &r), 0);
    long st = r.status;
    if (reply)
        *reply = strdup(r.body ? r.body : "");
    wxt_resp_free(&r);
    return st;
}

/* url with the value of query parameter name replaced by value. */
static void
with_param(const char *url, const char *name, const char *value, char *out, size_t n)
{
    char key[64];
    snprintf(key, sizeof(key), "%s=", name);
    const char *p = strstr(url, key);
    assert_non_null(p);
    const char *end = strchr(p, '&');
    snprintf(out, n, "%.*s%s%s%s", (int)(p - url), url, key, value, end ? end : "");
}

static void
test_url_verification(void **state)
{
    (void)state;
    char url[512], sig[41], ts[24];
    wxt_resp_t r = {0};
    wx_err_t err = {0};
    conn_push("wechat-second", WXT_APPID2, TOKEN, NULL);
    snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
    assert_int_equal(wxmsg_signature(TOKEN, ts, "12345", NULL, sig, &err), WX_OK);
    snprintf(url, sizeof(url),
             "%s/wechat/push/demo/wechat-second?signature=%s&timestamp=%s&nonce=12345&echostr="
             "8237469283746",
             env.auth, sig, ts);
    assert_int_equal(wxt_http("GET", url, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "8237469283746");
    wxt_resp_free(&r);
    /* Signed with another Token: refused, and the operator can see why. */
    int before = log_count("push_signature_bad", 0);
    assert_int_equal(wxmsg_signature("OtherToken", ts, "12345", NULL, sig, &err), WX_OK);
    snprintf(url, sizeof(url),
             "%s/wechat/push/demo/wechat-second?signature=%s&timestamp=%s&nonce=12345&echostr="
             "8237469283746",
             env.auth, sig, ts);
    assert_int_equal(wxt_http("GET", url, NULL, &r), 0);
    assert_int_equal(r.status, 403);
    assert_null(strstr(r.body, "8237469283746"));
    wxt_resp_free(&r);
    assert_true(log_count("push_signature_bad", before + 1) >= before + 1);
    /* A connection without a Token has no message server. */
    snprintf(url, sizeof(url),
             "%s/wechat/push/demo/wechat:webpage-authorization?signature=%s&timestamp=%s&nonce=1"
             "&echostr=1",
             env.auth, sig, ts);
    assert_int_equal(wxt_http("GET", url, NULL, &r), 0);
    assert_int_equal(r.status, 404);
    wxt_resp_free(&r);
}

/* Plain mode: the emulator's subscribe reaches wxauthd and is answered "success"; the same
 * push again (WeChat's retry, or an attacker's replay) is ignored and answered "success";
 * a forged signature is refused and logged. */
static void
test_plain_forged_replayed(void **state)
{
    (void)state;
    char url[512], *page, *reply = NULL, forged[2048];
    conn_push("wechat-second", WXT_APPID2, TOKEN, NULL);
    emu_account_push(WXT_APPID2, "wechat-second", "plain");
    emu_qrcode(WXT_APPID2, SCENE, url, sizeof(url));
    int taken = log_count("\"push_taken\"", 0);
    page = scan(url, "alice", NULL); /* not a follower: the account's page, nothing pushed */
    assert_non_null(strstr(page, "id=\"follow\""));
    free(page);
    page = scan(url, "alice", "subscribe");
    if (!strstr(page, "subscribe → success")) {
        dump_log("push");
        fail_msg("emulator page: %s", strstr(page, "<h1") ? strstr(page, "<h1") : page);
    }
    free(page);
    assert_true(log_count("\"push_taken\"", taken + 1) >= taken + 1);

    json_t *p = last_push();
    const char *purl = json_string_value(json_object_get(p, "url"));
    const char *body = json_string_value(json_object_get(p, "body"));
    assert_non_null(strstr(body, "<Event><![CDATA[subscribe]]></Event>"));
    assert_non_null(strstr(body, "qrscene_" SCENE));
    assert_null(strstr(purl, "encrypt_type"));

    int ignored = log_count("push_replay_ignored", 0);
    assert_int_equal(post_push(purl, body, &reply), 200);
    assert_string_equal(reply, "success");
    free(reply);
    assert_true(log_count("push_replay_ignored", ignored + 1) >= ignored + 1);
    assert_int_equal(log_count("\"push_taken\"", 0), taken + 1);

    int bad = log_count("push_signature_bad", 0);
    with_param(purl, "signature", "0000000000000000000000000000000000000000", forged,
               sizeof(forged));
    assert_int_equal(post_push(forged, body, &reply), 403);
    assert_string_not_equal(reply, "success");
    free(reply);
    assert_true(log_count("push_signature_bad", bad + 1) >= bad + 1);
    /* The same push with another body under the same signature: the body is not signed in
     * plain mode, but it is the same sender and second: taken once already. */
    json_decref(p);

    /* A follower scanning: SCAN with the bare scene. */
    page = scan(url, "f1", NULL);
    assert_non_null(strstr(page, "SCAN → success"));
    free(page);
    p = last_push();
    assert_non_null(strstr(json_string_value(json_object_get(p, "body")),
                           "<EventKey><![CDATA[" SCENE "]]></EventKey>"));
    json_decref(p);
}

/* A push whose timestamp is far from our clock is ignored (answered "success"). */
static void
test_stale(void **state)
{
    (void)state;
    char url[512], sig[41], ts[24], *reply = NULL;
    wx_err_t err = {0};
    conn_push("wechat-second", WXT_APPID2, TOKEN, NULL);
    snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL) - 3600);
    assert_int_equal(wxmsg_signature(TOKEN, ts, "777", NULL, sig, &err), WX_OK);
    snprintf(url, sizeof(url),
             "%s/wechat/push/demo/wechat-second?signature=%s&timestamp=%s&nonce=777", env.auth, sig,
             ts);
    int stale = log_count("push_stale_ignored", 0);
    assert_int_equal(post_push(url,
                               "<xml><ToUserName><![CDATA[gh_x]]></ToUserName><FromUserName><!"
                               "[CDATA[oStale]]></FromUserName><CreateTime>1</CreateTime>"
                               "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[SCAN]]>"
                               "</Event><EventKey><![CDATA[x]]></EventKey></xml>",
                               &reply),
                     200);
    assert_string_equal(reply, "success");
    free(reply);
    assert_true(log_count("push_stale_ignored", stale + 1) >= stale + 1);
}

/* Safe and compat mode: encrypted pushes taken; a plain one refused once the connection has an
 * EncodingAESKey; an envelope of another App ID refused. */
static void
test_aes_modes(void **state)
{
    (void)state;
    char url[512], *page, *reply = NULL;
    conn_push("wechat-second", WXT_APPID2, TOKEN, AES_KEY);
    static const char *const modes[] = {"safe", "compat"};
    for (int i = 0; i < 2; i++) {
        emu_account_push(WXT_APPID2, "wechat-second", modes[i]);
        emu_qrcode(WXT_APPID2, SCENE, url, sizeof(url));
        int taken = log_count("\"push_taken\"", 0);
        page = scan(url, i == 0 ? "f2" : "f3", NULL);
        if (!strstr(page, "SCAN → success")) {
            dump_log("push");
            fail_msg("%s mode: %s", modes[i], strstr(page, "<h1") ? strstr(page, "<h1") : page);
        }
        free(page);
        assert_true(log_count("\"push_taken\"", taken + 1) >= taken + 1);
        json_t *p = last_push();
        const char *purl = json_string_value(json_object_get(p, "url"));
        const char *body = json_string_value(json_object_get(p, "body"));
        assert_non_null(strstr(purl, "encrypt_type=aes"));
        assert_non_null(strstr(body, "<Encrypt>"));
        if (i == 0)
            assert_null(strstr(body, "FromUserName"));
        json_decref(p);
    }
    /* Plain pushes to a connection with an EncodingAESKey: refused. */
    emu_account_push(WXT_APPID2, "wechat-second", "plain");
    emu_qrcode(WXT_APPID2, SCENE, url, sizeof(url));
    int refused = log_count("push_plain_refused", 0);
    page = scan(url, "f4", NULL);
    assert_non_null(strstr(page, "暂时无法提供服务"));
    free(page);
    assert_true(log_count("push_plain_refused", refused + 1) >= refused + 1);

    /* The first account's encrypted push (same Token and key) sent to the second's URL: the
     * signature holds, the envelope names another App ID. */
    conn_push("wechat:webpage-authorization", WXT_APPID, TOKEN, AES_KEY);
    emu_account_push(WXT_APPID, "wechat:webpage-authorization", "safe");
    emu_qrcode(WXT_APPID, SCENE, url, sizeof(url));
    page = scan(url, "f5", NULL);
    assert_non_null(strstr(page, "SCAN → success"));
    free(page);
    json_t *p = last_push();
    const char *purl = json_string_value(json_object_get(p, "url"));
    const char *q = strchr(purl, '?');
    char other[2048];
    snprintf(other, sizeof(other), "%s/wechat/push/demo/wechat-second%s", env.auth, q);
    int wrong = log_count("push_wrong_appid", 0);
    assert_int_equal(post_push(other, json_string_value(json_object_get(p, "body")), &reply), 403);
    free(reply);
    assert_true(log_count("push_wrong_appid", wrong + 1) >= wrong + 1);
    json_decref(p);
    conn_push("wechat:webpage-authorization", WXT_APPID, NULL, NULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_verification),
        cmocka_unit_test(test_plain_forged_replayed),
        cmocka_unit_test(test_stale),
        cmocka_unit_test(test_aes_modes),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
