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
    wxt_emu_admin(&env, "POST", "/emu/admin/people", "{\"id\":\"n1\"}");
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
    const char *argv[20] = {"connection",   "set",        "--pool",     "demo",
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
    /* The same signed query with another body (another sender, another second): the body
     * is not signed in plain mode, so a signed query is taken once, whatever it carries. */
    char *other = strdup(body);
    char *from = strstr(other, "<FromUserName><![CDATA[");
    assert_non_null(from);
    from += strlen("<FromUserName><![CDATA[");
    from[0] = from[0] == 'x' ? 'y' : 'x'; /* another openid */
    char *ct = strstr(other, "<CreateTime>");
    assert_non_null(ct);
    ct += strlen("<CreateTime>");
    ct[0] = ct[0] == '1' ? '2' : '1'; /* another second */
    ignored = log_count("push_replay_ignored", 0);
    assert_int_equal(post_push(purl, other, &reply), 200);
    assert_string_equal(reply, "success");
    free(reply);
    free(other);
    assert_true(log_count("push_replay_ignored", ignored + 1) >= ignored + 1);
    assert_int_equal(log_count("\"push_taken\"", 0), taken + 1);
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

/* ---- follow to log in, end to end ---- */

#define DESKTOP_UA                                                                                 \
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "            \
    "Chrome/120.0.0.0 Safari/537.36"

/* The value of attr="..." in body into out. */
static void
attr(const char *body, const char *attr_eq, char *out, size_t n)
{
    const char *p = body ? strstr(body, attr_eq) : NULL;
    if (!p)
        fail_msg("no %s in %.400s", attr_eq, body ? body : "(none)");
    p += strlen(attr_eq);
    size_t len = strcspn(p, "\"");
    assert_true(len < n);
    memcpy(out, p, len);
    out[len] = '\0';
}

/* A desktop browser opens the login of the follow connection: the QR page of a "follow"
 * ticket; its id. */
static void
desktop_open(wxt_browser_t *desk, char *ticket, size_t n)
{
    char url[512];
    wxt_resp_t r = {0};
    snprintf(url, sizeof(url), "%s/connections/social/wechat-second/demo", env.auth);
    assert_int_equal(wxt_get(desk, url, &r), 0);
    if (r.status != 200)
        fail_msg("desktop start: %ld %.300s", r.status, r.body ? r.body : "");
    assert_non_null(strstr(r.body, "<svg"));
    assert_non_null(strstr(r.body, "关注公众号即可登录"));
    attr(r.body, "data-ticket=\"", ticket, n);
    wxt_resp_free(&r);
}

/* The emulator's QR code whose scene is the ticket (what the desktop page shows). */
static void
ticket_qr(const char *ticket, char *url, size_t n)
{
    char u[512];
    wxt_resp_t r = {0};
    snprintf(u, sizeof(u), "%s/emu/admin/qrcodes?scene=%s", env.emu, ticket);
    assert_int_equal(wxt_http("GET", u, NULL, &r), 0);
    json_t *j = json_loads(r.body, 0, NULL);
    json_t *q = json_array_get(json_object_get(j, "qrcodes"), 0);
    if (!q)
        fail_msg("no QR code of scene %s: %s", ticket, r.body);
    assert_string_equal(json_string_value(json_object_get(q, "appid")), WXT_APPID2);
    snprintf(url, n, "%s", json_string_value(json_object_get(q, "url")));
    json_decref(j);
    wxt_resp_free(&r);
}

/* The ticket's status as the desktop's long-poll tells it: seen = 1 ("scanned", which a follow
 * ticket never is) answers at once; seen = 0 waits while it is pending. */
static void
desktop_status(wxt_browser_t *desk, const char *ticket, int seen, char *status, size_t n)
{
    char url[512];
    wxt_resp_t r = {0};
    snprintf(url, sizeof(url), "%s/desktop/wait?t=%s&seen=%d", env.auth, ticket, seen);
    assert_int_equal(wxt_get(desk, url, &r), 0);
    assert_int_equal(r.status, 200);
    json_t *j = json_loads(r.body, 0, NULL);
    assert_non_null(j);
    snprintf(status, n, "%s", json_string_value(json_object_get(j, "status")));
    json_decref(j);
    wxt_resp_free(&r);
}

/* The desktop takes the login: the business callback with the user whose openid is person's
 * for the account. */
static void
desktop_finish_as(wxt_browser_t *desk, const char *ticket, const char *person)
{
    char url[512], openid[64], unionid[64];
    wxt_resp_t r = {0};
    wxt_result_t res = {0};
    snprintf(url, sizeof(url), "%s/desktop/finish?t=%s", env.auth, ticket);
    assert_int_equal(wxt_get(desk, url, &r), 0);
    if (r.status != 302 || !r.location)
        fail_msg("finish: %ld %.400s", r.status, r.body ? r.body : "");
    assert_true(wxt_parse_result(&env, r.location, &res));
    assert_int_equal(res.code, 200);
    wxt_emu_person_ids(&env, WXT_APPID2, person, openid, sizeof(openid), unionid, sizeof(unionid));
    const char *got = json_string_value(json_object_get(res.data, "openid"));
    if (!got || strcmp(got, openid) != 0) {
        char *d = json_dumps(res.data, JSON_COMPACT);
        fail_msg("want openid %s, got %s", openid, d);
    }
    assert_non_null(json_string_value(json_object_get(res.data, "token")));
    wxt_result_free(&res);
    wxt_resp_free(&r);
    /* Once: a second finish is refused. */
    assert_int_equal(wxt_get(desk, url, &r), 0);
    assert_int_not_equal(r.status, 302);
    wxt_resp_free(&r);
}

/* A new follower (subscribe, EventKey qrscene_<ticket>) and a follower (SCAN, EventKey
 * <ticket>) each log the desktop in; the account's access token is asked of WeChat once and
 * then shared, and asked again once it is within 5 minutes of its end. */
static void
test_follow_login(void **state)
{
    (void)state;
    char ticket[64], url[512], status[32], *page;
    conn_push("wechat-second", WXT_APPID2, TOKEN, AES_KEY);
    emu_account_push(WXT_APPID2, "wechat-second", "safe");
    wxt_store_exec(&env, "DELETE FROM wechat_tokens");
    long tokens = wxt_emu_calls(&env, "stable_token");
    long codes = wxt_emu_calls(&env, "qrcode_create");

    /* subscribe */
    wxt_browser_t *desk = wxt_browser_new(DESKTOP_UA);
    desktop_open(desk, ticket, sizeof(ticket));
    desktop_status(desk, ticket, 1, status, sizeof(status));
    assert_string_equal(status, "pending");
    ticket_qr(ticket, url, sizeof(url));
    page = scan(url, "n1", NULL); /* sees the account, has not followed yet */
    assert_non_null(strstr(page, "id=\"follow\""));
    free(page);
    desktop_status(desk, ticket, 1, status, sizeof(status));
    assert_string_equal(status, "pending");
    page = scan(url, "n1", "subscribe");
    if (!strstr(page, "subscribe → success")) {
        dump_log("follow");
        fail_msg("emulator page: %s", strstr(page, "<h1") ? strstr(page, "<h1") : page);
    }
    free(page);
    assert_true(log_count("\"login_completed\"", 1) >= 1);
    desktop_status(desk, ticket, 0, status, sizeof(status));
    assert_string_equal(status, "confirmed");
    desktop_finish_as(desk, ticket, "n1");
    wxt_browser_free(desk);

    /* SCAN by a follower; the access token comes from the store this time. */
    desk = wxt_browser_new(DESKTOP_UA);
    desktop_open(desk, ticket, sizeof(ticket));
    ticket_qr(ticket, url, sizeof(url));
    page = scan(url, "f6", NULL);
    assert_non_null(strstr(page, "SCAN → success"));
    free(page);
    desktop_status(desk, ticket, 0, status, sizeof(status));
    assert_string_equal(status, "confirmed");
    desktop_finish_as(desk, ticket, "f6");
    wxt_browser_free(desk);
    assert_int_equal(wxt_emu_calls(&env, "stable_token"), tokens + 1);
    assert_int_equal(wxt_emu_calls(&env, "qrcode_create"), codes + 2);

    /* Within 5 minutes of its end, the shared token is renewed before it is used. */
    char sql[256];
    snprintf(sql, sizeof(sql), "UPDATE wechat_tokens SET expires_at = %lld",
             (long long)time(NULL) + 100);
    wxt_store_exec(&env, sql);
    desk = wxt_browser_new(DESKTOP_UA);
    desktop_open(desk, ticket, sizeof(ticket));
    wxt_browser_free(desk);
    assert_int_equal(wxt_emu_calls(&env, "stable_token"), tokens + 2);
}

/* An expired ticket is not completed by a late scan: WeChat still hears "success", the
 * desktop hears "expired". A token WeChat no longer takes is replaced once. */
static void
test_follow_expired_and_token_reset(void **state)
{
    (void)state;
    char ticket[64], url[512], status[32], sql[256], *page;
    conn_push("wechat-second", WXT_APPID2, TOKEN, AES_KEY);
    emu_account_push(WXT_APPID2, "wechat-second", "safe");
    wxt_browser_t *desk = wxt_browser_new(DESKTOP_UA);
    desktop_open(desk, ticket, sizeof(ticket));
    ticket_qr(ticket, url, sizeof(url));
    snprintf(sql, sizeof(sql), "UPDATE desktop_tickets SET expires_at = %lld WHERE id = '%s'",
             (long long)time(NULL) - 1, ticket);
    wxt_store_exec(&env, sql);
    int expired = log_count("\"ticket_expired\"", 0);
    page = scan(url, "f7", NULL);
    assert_non_null(strstr(page, "SCAN → success"));
    free(page);
    assert_true(log_count("\"ticket_expired\"", expired + 1) >= expired + 1);
    desktop_status(desk, ticket, 0, status, sizeof(status));
    assert_string_equal(status, "expired");
    wxt_browser_free(desk);

    /* The stored token is not WeChat's any more (another service forced a new one): the QR
     * code call gets 40001, and a new token is fetched once (force_refresh). */
    wxt_store_exec(&env, "UPDATE wechat_tokens SET token = token");
    long tokens = wxt_emu_calls(&env, "stable_token");
    wxt_emu_fault(&env, "{\"endpoint\":\"qrcode_create\",\"errcode\":40001,\"count\":1}");
    desk = wxt_browser_new(DESKTOP_UA);
    desktop_open(desk, ticket, sizeof(ticket));
    wxt_browser_free(desk);
    assert_int_equal(wxt_emu_calls(&env, "stable_token"), tokens + 1);
    wxt_emu_clear_faults(&env);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_verification),
        cmocka_unit_test(test_plain_forged_replayed),
        cmocka_unit_test(test_stale),
        cmocka_unit_test(test_aes_modes),
        cmocka_unit_test(test_follow_login),
        cmocka_unit_test(test_follow_expired_and_token_reset),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
