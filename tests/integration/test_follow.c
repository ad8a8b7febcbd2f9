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
    static const char *const people[] = {"f1", "f2", "f3", "f4", "f5", "f6", "f7",
                                         "f8", "f9", "g1", "g2", "g3", "g4", "g5"};
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

/* A plain-mode push URL of connection wechat-second signed with TOKEN: timestamp now + skew
 * (into ts), the given nonce. */
static void
plain_push_url(long skew, const char *nonce, char *ts, size_t tsn, char *url, size_t n)
{
    char sig[41];
    wx_err_t err = {0};
    snprintf(ts, tsn, "%lld", (long long)time(NULL) + skew);
    assert_int_equal(wxmsg_signature(TOKEN, ts, nonce, NULL, sig, &err), WX_OK);
    snprintf(url, n, "%s/wechat/push/demo/wechat-second?signature=%s&timestamp=%s&nonce=%s",
             env.auth, sig, ts, nonce);
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
    char url[512], ts[24], *reply = NULL;
    conn_push("wechat-second", WXT_APPID2, TOKEN, NULL);
    plain_push_url(-3600, "777", ts, sizeof(ts), url, sizeof(url));
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
    assert_non_null(strstr(r.body, "扫描二维码并关注公众号"));
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

/* The ticket's status as the desktop's long-poll tells it: it answers at once unless the
 * status is still seen (0 pending, 1 scanned: then it waits for a change). */
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

/* The phone scans the ticket's QR code as person (action NULL or "subscribe") in its WeChat
 * browser: the account's chat with its passive reply. The reply's link into link. */
static void
scan_reply(wxt_browser_t *phone, const char *url, const char *person, const char *action,
           char *link, size_t n)
{
    char u[700];
    wxt_resp_t r = {0};
    snprintf(u, sizeof(u), "%s?emu_person=%s%s%s", url, person, action ? "&emu_action=" : "",
             action ? action : "");
    assert_int_equal(wxt_get(phone, u, &r), 0);
    assert_int_equal(r.status, 200);
    if (!r.body || !strstr(r.body, "id=\"reply\"")) {
        dump_log("follow");
        fail_msg("no reply message on the phone: %.600s", r.body ? r.body : "");
    }
    assert_non_null(strstr(r.body, "确认登录"));
    attr(r.body, "id=\"reply-link\" href=\"", link, n);
    wxt_resp_free(&r);
}

/* The phone opens the reply's link as person (webpage authorization, snsapi_base); the
 * final page (the confirmation page for the follower). */
static void
open_link(wxt_browser_t *phone, const char *link, const char *person, wxt_resp_t *fin)
{
    wxt_login(phone, link, person, "allow", fin, NULL, 0);
}

/* The follower's sealed login record of the confirmation page (its hidden "r"), URL-encoded
 * for the form's body, into rec_form. */
static char rec_form[3200];

static void
keep_record(const char *page)
{
    char raw[1100];
    size_t o = 0;
    attr(page, "name=\"r\" value=\"", raw, sizeof(raw));
    for (const char *p = raw; *p && o + 4 < sizeof(rec_form); p++) {
        unsigned char c = (unsigned char)*p;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.')
            rec_form[o++] = (char)c;
        else
            o += (size_t)snprintf(rec_form + o, sizeof(rec_form) - o, "%%%02X", c);
    }
    rec_form[o] = '\0';
}

static long
phone_decide(wxt_browser_t *phone, const char *ticket, const char *csrf, const char *action,
             wxt_resp_t *out)
{
    char cookie[256] = "Cookie: ", val[128], url[256], body[4096];
    const char *hdr[3] = {NULL, NULL, NULL};
    int i = 0;
    if (wxt_browser_cookie_get(phone, "wxauth_bind", val, sizeof(val))) {
        snprintf(cookie + 8, sizeof(cookie) - 8, "wxauth_bind=%s", val);
        hdr[i++] = cookie;
    }
    hdr[i++] = "Content-Type: application/x-www-form-urlencoded";
    snprintf(url, sizeof(url), "%s/desktop/confirm", env.auth);
    snprintf(body, sizeof(body), "t=%s&csrf=%s&action=%s&r=%s", ticket, csrf, action, rec_form);
    assert_int_equal(wxt_http_headers("POST", url, hdr, body, out), 0);
    return out->status;
}

static void
assert_outcome(const wxt_resp_t *r, long status, const char *outcome)
{
    char want[128];
    snprintf(want, sizeof(want), "data-outcome=\"%s\"", outcome);
    if (r->status != status || !r->body || !strstr(r->body, want))
        fail_msg("want %ld %s, got %ld %.500s", status, outcome, r->status, r->body ? r->body : "");
}

/* The follower confirms on the phone: the link, the confirmation page, 确认登录. */
static void
follower_confirms(wxt_browser_t *phone, const char *ticket, const char *link, const char *person)
{
    char csrf[64];
    wxt_resp_t r = {0};
    open_link(phone, link, person, &r);
    if (r.status != 200 || !r.body || !strstr(r.body, "id=\"wx-confirm\""))
        fail_msg("no confirmation page: %ld %.600s", r.status, r.body ? r.body : "");
    attr(r.body, "name=\"csrf\" value=\"", csrf, sizeof(csrf));
    keep_record(r.body);
    wxt_resp_free(&r);
    assert_int_equal(phone_decide(phone, ticket, csrf, "confirm", &r), 200);
    assert_outcome(&r, 200, "desktop_confirmed");
    wxt_resp_free(&r);
}

/* A new follower (subscribe, EventKey qrscene_<ticket>) and a follower (SCAN, EventKey
 * <ticket>) each get the account's reply with the confirmation link; nothing completes
 * before the phone confirms (anti-phishing), then the desktop logs in. The account's access
 * token is asked of WeChat once and then shared, and asked again once it is within 5
 * minutes of its end. */
static void
test_follow_login(void **state)
{
    (void)state;
    char ticket[64], url[512], status[32], link[512], want[600], *page;
    wxt_resp_t r = {0};
    conn_push("wechat-second", WXT_APPID2, TOKEN, AES_KEY);
    emu_account_push(WXT_APPID2, "wechat-second", "safe");
    wxt_store_exec(&env, "DELETE FROM wechat_tokens");
    long tokens = wxt_emu_calls(&env, "stable_token");
    long codes = wxt_emu_calls(&env, "qrcode_create");

    /* subscribe */
    wxt_browser_t *desk = wxt_browser_new(DESKTOP_UA);
    wxt_browser_t *phone = wxt_browser_new(WXT_WECHAT_UA);
    desktop_open(desk, ticket, sizeof(ticket));
    desktop_status(desk, ticket, 1, status, sizeof(status));
    assert_string_equal(status, "pending");
    ticket_qr(ticket, url, sizeof(url));
    page = scan(url, "n1", NULL); /* sees the account, has not followed yet */
    assert_non_null(strstr(page, "id=\"follow\""));
    free(page);
    desktop_status(desk, ticket, 1, status, sizeof(status));
    assert_string_equal(status, "pending");
    /* The reply's link before anyone scanned: nothing to confirm yet. */
    snprintf(link, sizeof(link), "%s/desktop/scan?t=%s", env.auth, ticket);
    assert_int_equal(wxt_get(phone, link, &r), 0);
    assert_outcome(&r, 409, "follow_not_scanned");
    wxt_resp_free(&r);
    int completed = log_count("\"login_completed\"", 0);
    scan_reply(phone, url, "n1", "subscribe", link, sizeof(link));
    snprintf(want, sizeof(want), "%s/desktop/scan?t=%s", env.auth, ticket);
    assert_string_equal(link, want);
    assert_true(log_count("\"follower_scanned\"", 1) >= 1);
    /* Scanned, not logged in: the desktop waits for the phone's confirmation. */
    desktop_status(desk, ticket, 0, status, sizeof(status));
    assert_string_equal(status, "scanned");
    snprintf(url, sizeof(url), "%s/desktop/finish?t=%s", env.auth, ticket);
    assert_int_equal(wxt_get(desk, url, &r), 0);
    assert_outcome(&r, 409, "not_confirmed");
    wxt_resp_free(&r);
    assert_int_equal(log_count("\"login_completed\"", 0), completed);
    follower_confirms(phone, ticket, link, "n1");
    desktop_status(desk, ticket, 1, status, sizeof(status));
    assert_string_equal(status, "confirmed");
    desktop_finish_as(desk, ticket, "n1");
    wxt_browser_free(desk);
    wxt_browser_free(phone);

    /* SCAN by a follower; the access token comes from the store this time. */
    desk = wxt_browser_new(DESKTOP_UA);
    phone = wxt_browser_new(WXT_WECHAT_UA);
    desktop_open(desk, ticket, sizeof(ticket));
    ticket_qr(ticket, url, sizeof(url));
    scan_reply(phone, url, "f6", NULL, link, sizeof(link));
    desktop_status(desk, ticket, 0, status, sizeof(status));
    assert_string_equal(status, "scanned");
    follower_confirms(phone, ticket, link, "f6");
    desktop_status(desk, ticket, 1, status, sizeof(status));
    assert_string_equal(status, "confirmed");
    desktop_finish_as(desk, ticket, "f6");
    wxt_browser_free(desk);
    wxt_browser_free(phone);
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

/* Anti-phishing: the reply's link opened by another WeChat user (a forwarded link, or the
 * attacker's QR code sent to a victim) is refused; a second follower scanning a scanned code
 * changes nothing; the follower's 拒绝 refuses the login on both screens. */
static void
test_follow_other_user_and_refuse(void **state)
{
    (void)state;
    char ticket[64], url[512], status[32], link[512], csrf[64];
    wxt_resp_t r = {0};
    conn_push("wechat-second", WXT_APPID2, TOKEN, AES_KEY);
    emu_account_push(WXT_APPID2, "wechat-second", "safe");
    wxt_browser_t *desk = wxt_browser_new(DESKTOP_UA);
    wxt_browser_t *phone = wxt_browser_new(WXT_WECHAT_UA);
    wxt_browser_t *other = wxt_browser_new(WXT_WECHAT_UA);
    desktop_open(desk, ticket, sizeof(ticket));
    ticket_qr(ticket, url, sizeof(url));
    scan_reply(phone, url, "f8", NULL, link, sizeof(link));

    /* Another user opens the follower's link: refused, nothing changes, and nothing of theirs
     * is kept (the link's webpage authorization is silent: no user is made for them). */
    char f9[128], f9_union[128], q[300];
    wxt_emu_person_ids(&env, WXT_APPID2, "f9", f9, sizeof(f9), f9_union, sizeof(f9_union));
    int forwarded = log_count("follow_other_user", 0);
    open_link(other, link, "f9", &r);
    if (r.status != 302 || !r.location || !strstr(r.location, "/desktop/phone?t=") ||
        !strstr(r.location, "code=1008"))
        fail_msg("another user's link: %ld %s", r.status, r.location ? r.location : "-");
    snprintf(q, sizeof(q), "%s", r.location);
    wxt_resp_free(&r);
    assert_int_equal(wxt_get(other, q, &r), 0);
    assert_outcome(&r, 200, "desktop_phone_error");
    assert_non_null(strstr(r.body, "转发"));
    wxt_resp_free(&r);
    assert_true(log_count("follow_other_user", forwarded + 1) >= forwarded + 1);
    snprintf(q, sizeof(q), "/pools/demo/users?search=%s", f9);
    assert_int_equal(wxt_admin(&env, "GET", q, NULL, &r), 0);
    if (r.status != 200 || strstr(r.body, f9))
        fail_msg("another user's link made a user: %ld %.300s", r.status, r.body);
    wxt_resp_free(&r);
    desktop_status(desk, ticket, 0, status, sizeof(status));
    assert_string_equal(status, "scanned");

    /* A second follower scanning the scanned code: told it is used, the ticket stays the
     * first follower's. */
    char u[700];
    snprintf(u, sizeof(u), "%s?emu_person=g1", url);
    assert_int_equal(wxt_get(other, u, &r), 0);
    assert_non_null(strstr(r.body, "已被使用"));
    wxt_resp_free(&r);
    assert_true(log_count("\"scanned_by_other\"", 1) >= 1);

    /* The follower's confirmation page; its token is this phone's and this follower's: from
     * the other phone it is refused. */
    open_link(phone, link, "f8", &r);
    if (r.status != 200 || !strstr(r.body, "id=\"wx-confirm\""))
        fail_msg("no confirmation page: %ld %.600s", r.status, r.body ? r.body : "");
    assert_non_null(strstr(r.body, "id=\"desktop-browser\">Chrome · Windows<"));
    attr(r.body, "name=\"csrf\" value=\"", csrf, sizeof(csrf));
    keep_record(r.body);
    wxt_resp_free(&r);
    assert_int_equal(phone_decide(other, ticket, csrf, "confirm", &r), 403);
    assert_outcome(&r, 403, "bad_csrf");
    wxt_resp_free(&r);
    desktop_status(desk, ticket, 0, status, sizeof(status));
    assert_string_equal(status, "scanned");

    /* The right phone and token, but a login record that is not the follower's (here: not
     * one of ours at all): refused. */
    char kept[sizeof(rec_form)];
    snprintf(kept, sizeof(kept), "%s", rec_form);
    snprintf(rec_form, sizeof(rec_form), "wxs1.forged");
    assert_int_equal(phone_decide(phone, ticket, csrf, "confirm", &r), 403);
    wxt_resp_free(&r);
    snprintf(rec_form, sizeof(rec_form), "%s", kept);
    desktop_status(desk, ticket, 0, status, sizeof(status));
    assert_string_equal(status, "scanned");

    /* 拒绝: both screens say so. */
    assert_int_equal(phone_decide(phone, ticket, csrf, "refuse", &r), 200);
    assert_outcome(&r, 200, "desktop_refused");
    wxt_resp_free(&r);
    desktop_status(desk, ticket, 1, status, sizeof(status));
    assert_string_equal(status, "refused");
    snprintf(url, sizeof(url), "%s/desktop/finish?t=%s", env.auth, ticket);
    assert_int_equal(wxt_get(desk, url, &r), 0);
    assert_outcome(&r, 403, "desktop_refused");
    wxt_resp_free(&r);
    /* ... and a confirmation after it changes nothing. */
    assert_int_equal(phone_decide(phone, ticket, csrf, "confirm", &r), 409);
    wxt_resp_free(&r);
    wxt_browser_free(desk);
    wxt_browser_free(phone);
    wxt_browser_free(other);
}

/* The value of <name> (CDATA or text) in xml, malloc'd. */
static char *
xml_value(const char *xml, const char *name)
{
    char open[64], close[64];
    snprintf(open, sizeof(open), "<%s>", name);
    snprintf(close, sizeof(close), "</%s>", name);
    const char *p = strstr(xml, open);
    if (!p)
        return NULL;
    p += strlen(open);
    bool cdata = strncmp(p, "<![CDATA[", 9) == 0;
    if (cdata)
        p += 9;
    const char *e = strstr(p, cdata ? "]]>" : close);
    return e ? strndup(p, (size_t)(e - p)) : NULL;
}

/* A push posted by the test itself (as WeChat would, safe mode): the passive reply is a
 * text message sealed for the account's App ID, signed with the Token over its TimeStamp,
 * Nonce and Encrypt; opened, it is addressed to the follower and holds the link. */
/* A safe-mode push of a SCAN of ticket by from, made here as WeChat would: its URL and body. */
static void
safe_push(const char *ticket, const char *from, long long create_time, const char *nonce, char *url,
          size_t un, char *body, size_t bn)
{
    char xml[1024], ts[24], sig[41], msig[41], *enc = NULL;
    unsigned char key[32];
    wx_err_t err = {0};
    snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
    snprintf(xml, sizeof(xml),
             "<xml><ToUserName><![CDATA[gh_test]]></ToUserName><FromUserName><![CDATA[%s]]>"
             "</FromUserName><CreateTime>%lld</CreateTime><MsgType><![CDATA[event]]></MsgType>"
             "<Event><![CDATA[SCAN]]></Event><EventKey><![CDATA[%s]]></EventKey></xml>",
             from, create_time, ticket);
    assert_int_equal(wxmsg_aes_key(AES_KEY, key, &err), WX_OK);
    assert_int_equal(wxmsg_encrypt(key, xml, strlen(xml), WXT_APPID2, NULL, &enc, &err), WX_OK);
    assert_int_equal(wxmsg_signature(TOKEN, ts, nonce, NULL, sig, &err), WX_OK);
    assert_int_equal(wxmsg_signature(TOKEN, ts, nonce, enc, msig, &err), WX_OK);
    snprintf(url, un,
             "%s/wechat/push/demo/wechat-second?signature=%s&timestamp=%s&nonce=%s&openid=%s"
             "&encrypt_type=aes&msg_signature=%s",
             env.auth, sig, ts, nonce, from, msig);
    snprintf(body, bn,
             "<xml><ToUserName><![CDATA[gh_test]]></ToUserName><Encrypt><![CDATA[%s]]></Encrypt>"
             "</xml>",
             enc);
    free(enc);
}

/* The text of a safe-mode passive reply to `to`, checked as a WeChat client would (signature,
 * envelope, sender and receiver); malloc'd. */
static char *
safe_reply_content(const char *reply, const char *to_want)
{
    char *inner = NULL;
    size_t inner_len = 0;
    unsigned char key[32];
    wx_err_t err = {0};
    char *renc = xml_value(reply, "Encrypt"), *rsig = xml_value(reply, "MsgSignature");
    char *rts = xml_value(reply, "TimeStamp"), *rnonce = xml_value(reply, "Nonce");
    if (!renc || !rsig || !rts || !rnonce)
        fail_msg("not a safe-mode reply: %s", reply);
    assert_null(strstr(reply, "Content")); /* nothing in clear */
    assert_true(wxmsg_signature_ok(TOKEN, rts, rnonce, renc, rsig));
    assert_int_equal(wxmsg_aes_key(AES_KEY, key, &err), WX_OK);
    assert_int_equal(wxmsg_decrypt(key, renc, strlen(renc), WXT_APPID2, &inner, &inner_len, &err),
                     WX_OK);
    char *to = xml_value(inner, "ToUserName"), *from = xml_value(inner, "FromUserName");
    char *type = xml_value(inner, "MsgType"), *content = xml_value(inner, "Content");
    assert_string_equal(to, to_want);
    assert_string_equal(from, "gh_test");
    assert_string_equal(type, "text");
    assert_non_null(content);
    free(to);
    free(from);
    free(type);
    free(inner);
    free(renc);
    free(rsig);
    free(rts);
    free(rnonce);
    return content;
}

static void
test_follow_reply_safe_mode(void **state)
{
    (void)state;
    char ticket[64], url[1024], body[4096], want[600], sql[256], *reply = NULL, *content;
    long long now = (long long)time(NULL);
    conn_push("wechat-second", WXT_APPID2, TOKEN, AES_KEY);
    wxt_browser_t *desk = wxt_browser_new(DESKTOP_UA);
    desktop_open(desk, ticket, sizeof(ticket));
    safe_push(ticket, "oCrafted1", now, "4242", url, sizeof(url), body, sizeof(body));
    assert_int_equal(post_push(url, body, &reply), 200);
    content = safe_reply_content(reply, "oCrafted1");
    snprintf(want, sizeof(want), "<a href=\"%s/desktop/scan?t=%s\">确认登录</a>", env.auth, ticket);
    assert_non_null(strstr(content, want));
    assert_int_equal(strncmp(content, "你正在电脑上登录", strlen("你正在电脑上登录")), 0);
    free(content);
    free(reply);

    /* WeChat resends a push whose answer came late (after 5 s) and shows the answer to the
     * resend only: the same push again gets the same message, not a bare "success". */
    int replays = log_count("push_replay_ignored", 0);
    assert_int_equal(post_push(url, body, &reply), 200);
    content = safe_reply_content(reply, "oCrafted1");
    assert_non_null(strstr(content, want));
    free(content);
    free(reply);
    assert_true(log_count("push_replay_ignored", replays + 1) >= replays + 1);

    /* The same follower scans again after the code expired: the chat says so, no dead link. */
    snprintf(sql, sizeof(sql), "UPDATE desktop_tickets SET expires_at = %lld WHERE id = '%s'",
             now - 1, ticket);
    wxt_store_exec(&env, sql);
    safe_push(ticket, "oCrafted1", now + 1, "4243", url, sizeof(url), body, sizeof(body));
    assert_int_equal(post_push(url, body, &reply), 200);
    content = safe_reply_content(reply, "oCrafted1");
    assert_non_null(strstr(content, "二维码已过期"));
    assert_null(strstr(content, "/desktop/scan"));
    free(content);
    free(reply);
    wxt_browser_free(desk);
}

/* The push's "seen" rows and its ticket's change are one transaction: when the ticket cannot
 * be changed (a store fault, here a trigger), the push is not marked seen either, so WeChat's
 * retry of the very same push is taken and the login goes on. (Before, the push was marked
 * seen first and answered "success": the retry was ignored as a replay, the login lost.) */
static void
test_push_and_ticket_one_transaction(void **state)
{
    (void)state;
    char ticket[64], url[512], status[32], *page, *reply = NULL;
    bool sqlite = strncmp(env.store_url, "sqlite:", 7) == 0;
    conn_push("wechat-second", WXT_APPID2, TOKEN, AES_KEY);
    emu_account_push(WXT_APPID2, "wechat-second", "safe");
    wxt_browser_t *desk = wxt_browser_new(DESKTOP_UA);
    desktop_open(desk, ticket, sizeof(ticket));
    ticket_qr(ticket, url, sizeof(url));
    if (sqlite)
        wxt_store_exec(&env, "CREATE TRIGGER wxt_fault BEFORE UPDATE ON desktop_tickets BEGIN "
                             "SELECT RAISE(ABORT, 'test fault'); END");
    else
        wxt_store_exec(&env,
                       "CREATE FUNCTION wxt_fault() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION "
                       "'test fault'; END $$ LANGUAGE plpgsql; CREATE TRIGGER wxt_fault BEFORE "
                       "UPDATE ON desktop_tickets FOR EACH ROW EXECUTE FUNCTION wxt_fault()");
    page = scan(url, "g2", NULL);
    wxt_store_exec(&env, sqlite ? "DROP TRIGGER wxt_fault"
                                : "DROP TRIGGER wxt_fault ON desktop_tickets; DROP FUNCTION "
                                  "wxt_fault()");
    /* WeChat heard no "success": it says so, and will send the push again. */
    assert_non_null(strstr(page, "暂时无法提供服务"));
    free(page);
    desktop_status(desk, ticket, 1, status, sizeof(status));
    assert_string_equal(status, "pending");
    /* WeChat's retry: the same push, byte for byte. */
    json_t *p = last_push();
    assert_int_equal(post_push(json_string_value(json_object_get(p, "url")),
                               json_string_value(json_object_get(p, "body")), &reply),
                     200);
    json_decref(p);
    if (!strstr(reply, "<Encrypt>"))
        fail_msg("the retry was not taken: %s", reply);
    free(reply);
    desktop_status(desk, ticket, 0, status, sizeof(status));
    assert_string_equal(status, "scanned");
    wxt_browser_free(desk);
}

/* An authentic push with a field longer than wxauth keeps: a field it does not read (the
 * Ticket) is taken as usual; one it reads (EventKey) makes it ignore the message; either
 * way WeChat hears "success" (a 400 made it retry the message for ever). So does a long text
 * message. */
static void
test_push_long_fields(void **state)
{
    (void)state;
    char url[512], ts[24], *reply = NULL, big[401];
    static char body[16 * 1024];
    conn_push("wechat-second", WXT_APPID2, NULL, NULL); /* plain mode: no EncodingAESKey */
    conn_push("wechat-second", WXT_APPID2, TOKEN, NULL);
    memset(big, 'T', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    struct {
        const char *nonce, *from, *extra, *log;
        bool taken;
    } cases[] = {
        {"901", "oLong1", "<Event><![CDATA[SCAN]]></Event><EventKey><![CDATA[x]]></EventKey>",
         "\"push_field_too_long\"", true},
        {"902", "oLong2", "<Event><![CDATA[SCAN]]></Event>", "push_field_too_long_ignored", false},
    };
    for (size_t i = 0; i < 2; i++) {
        char extra[1024], xml[2048];
        plain_push_url(0, cases[i].nonce, ts, sizeof(ts), url, sizeof(url));
        if (i == 0)
            snprintf(extra, sizeof(extra), "%s<Ticket><![CDATA[%s]]></Ticket>", cases[i].extra,
                     big);
        else
            snprintf(extra, sizeof(extra), "%s<EventKey><![CDATA[%s]]></EventKey>", cases[i].extra,
                     big);
        snprintf(xml, sizeof(xml),
                 "<xml><ToUserName><![CDATA[gh_x]]></ToUserName><FromUserName><![CDATA[%s]]>"
                 "</FromUserName><CreateTime>%s</CreateTime><MsgType><![CDATA[event]]>"
                 "</MsgType>%s</xml>",
                 cases[i].from, ts, extra);
        int logged = log_count(cases[i].log, 0), taken = log_count("\"push_taken\"", 0);
        assert_int_equal(post_push(url, xml, &reply), 200);
        assert_string_equal(reply, "success");
        free(reply);
        assert_true(log_count(cases[i].log, logged + 1) >= logged + 1);
        assert_int_equal(log_count("\"push_taken\"", taken + (cases[i].taken ? 1 : 0)),
                         taken + (cases[i].taken ? 1 : 0));
    }
    /* A FromUserName longer than any openid (it fits the parser, not an openid). */
    char from[101];
    memset(from, 'o', 100);
    from[100] = '\0';
    plain_push_url(0, "904", ts, sizeof(ts), url, sizeof(url));
    snprintf(body, sizeof(body),
             "<xml><ToUserName><![CDATA[gh_x]]></ToUserName><FromUserName><![CDATA[%s]]>"
             "</FromUserName><CreateTime>%s</CreateTime><MsgType><![CDATA[event]]></MsgType>"
             "<Event><![CDATA[SCAN]]></Event><EventKey><![CDATA[x]]></EventKey></xml>",
             from, ts);
    assert_int_equal(post_push(url, body, &reply), 200);
    assert_string_equal(reply, "success");
    free(reply);
    /* A user's long text message (Content is not read). */
    plain_push_url(0, "903", ts, sizeof(ts), url, sizeof(url));
    int n =
        snprintf(body, sizeof(body),
                 "<xml><ToUserName><![CDATA[gh_x]]></ToUserName><FromUserName><![CDATA[oLong3]]>"
                 "</FromUserName><CreateTime>%s</CreateTime><MsgType><![CDATA[text]]></MsgType>"
                 "<Content><![CDATA[",
                 ts);
    memset(body + n, 'c', 6000);
    snprintf(body + n + 6000, sizeof(body) - (size_t)n - 6000,
             "]]></Content><MsgId>1234567890123456</MsgId></xml>");
    assert_int_equal(post_push(url, body, &reply), 200);
    assert_string_equal(reply, "success");
    free(reply);
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
    assert_non_null(strstr(page, "SCAN → reply"));
    assert_non_null(strstr(page, "二维码已过期")); /* the account's reply says so */
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

/* Under lost COMMITs (wxauthd's test hook WXAUTH_TEST_LOSE_COMMIT=1: every batch commits,
 * then says its COMMIT was lost, so every job runs again): the push's job finds its own "seen"
 * rows and ticket change (not a replay: the follower still gets the link), the confirmation
 * finds its own decision, and the desktop logs in once. */
static void
test_follow_lost_commit(void **state)
{
    (void)state;
    wxt_env_t saved = env;
    char ticket[64], url[512], status[32], link[512];
    setenv("WXAUTH_TEST_LOSE_COMMIT", "1", 1);
    int rc = wxt_setup(&env, NULL);
    unsetenv("WXAUTH_TEST_LOSE_COMMIT");
    assert_int_equal(rc, 0);
    wxt_emu_admin(&env, "POST", "/emu/admin/people", "{\"id\":\"l1\",\"follower\":\"yes\"}");
    conn_push("wechat-second", WXT_APPID2, TOKEN, AES_KEY);
    emu_account_push(WXT_APPID2, "wechat-second", "safe");
    wxt_browser_t *desk = wxt_browser_new(DESKTOP_UA);
    wxt_browser_t *phone = wxt_browser_new(WXT_WECHAT_UA);
    desktop_open(desk, ticket, sizeof(ticket));
    ticket_qr(ticket, url, sizeof(url));
    scan_reply(phone, url, "l1", NULL, link, sizeof(link));
    assert_true(log_count("test_fault_lose_commit", 1) >= 1);
    assert_int_equal(log_count("push_replay_ignored", 0), 0);
    desktop_status(desk, ticket, 0, status, sizeof(status));
    assert_string_equal(status, "scanned");
    follower_confirms(phone, ticket, link, "l1");
    desktop_status(desk, ticket, 1, status, sizeof(status));
    assert_string_equal(status, "confirmed");
    desktop_finish_as(desk, ticket, "l1");
    wxt_browser_free(desk);
    wxt_browser_free(phone);
    wxt_teardown(&env);
    env = saved;
}

/* A blocked follower: the link's login ends with 1006 on the phone, and the ticket is
 * refused at once (the desktop is not left on "scanned" until the code expires). */
static void
test_follow_blocked_follower(void **state)
{
    (void)state;
    char ticket[64], url[512], status[32], link[512], oid[128], uid[128], q[300];
    wxt_resp_t r = {0};
    conn_push("wechat-second", WXT_APPID2, TOKEN, AES_KEY);
    emu_account_push(WXT_APPID2, "wechat-second", "safe");
    wxt_emu_person_ids(&env, WXT_APPID2, "g5", oid, sizeof(oid), uid, sizeof(uid));
    wxt_browser_t *desk = wxt_browser_new(DESKTOP_UA);
    wxt_browser_t *phone = wxt_browser_new(WXT_WECHAT_UA);
    /* g5 logs in once (the link's login makes the user), then is blocked. */
    desktop_open(desk, ticket, sizeof(ticket));
    ticket_qr(ticket, url, sizeof(url));
    scan_reply(phone, url, "g5", NULL, link, sizeof(link));
    open_link(phone, link, "g5", &r);
    assert_int_equal(r.status, 200);
    wxt_resp_free(&r);
    snprintf(q, sizeof(q), "/pools/demo/users?search=%s", oid);
    assert_int_equal(wxt_admin(&env, "GET", q, NULL, &r), 0);
    json_t *j = json_loads(r.body, 0, NULL);
    wxt_resp_free(&r);
    const char *id =
        json_string_value(json_object_get(json_array_get(json_object_get(j, "users"), 0), "id"));
    assert_non_null(id);
    snprintf(q, sizeof(q), "/pools/demo/users/%s/block", id);
    json_decref(j);
    assert_int_equal(wxt_admin(&env, "POST", q, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    wxt_resp_free(&r);
    /* A new code: scanned by g5, whose link's login is refused as blocked. */
    desktop_open(desk, ticket, sizeof(ticket));
    ticket_qr(ticket, url, sizeof(url));
    scan_reply(phone, url, "g5", NULL, link, sizeof(link));
    open_link(phone, link, "g5", &r);
    if (r.status != 302 || !r.location || !strstr(r.location, "code=1006"))
        fail_msg("blocked follower: %ld %s", r.status, r.location ? r.location : "-");
    wxt_resp_free(&r);
    desktop_status(desk, ticket, 1, status, sizeof(status));
    assert_string_equal(status, "refused");
    wxt_browser_free(desk);
    wxt_browser_free(phone);
}

/* Plain mode: a signed query seen once (WeChat's genuine push; the query may leak, e.g. in a
 * proxy's log) replayed with a body of the attacker's choosing, a sender and the scene of a
 * pending follow ticket: it changes nothing and gets no reply (only "success"). */
static void
test_plain_replay_other_body(void **state)
{
    (void)state;
    char ticket[64], url[1024], xml[1024], ts[24], status[32], *reply = NULL;
    conn_push("wechat-second", WXT_APPID2, NULL, NULL);
    conn_push("wechat-second", WXT_APPID2, TOKEN, NULL);
    wxt_browser_t *desk = wxt_browser_new(DESKTOP_UA);
    desktop_open(desk, ticket, sizeof(ticket));
    plain_push_url(0, "777", ts, sizeof(ts), url, sizeof(url));
    /* WeChat's genuine push: some other message (a text). */
    snprintf(xml, sizeof(xml),
             "<xml><ToUserName><![CDATA[gh_test]]></ToUserName><FromUserName><![CDATA[oGenuine]]>"
             "</FromUserName><CreateTime>%s</CreateTime><MsgType><![CDATA[text]]></MsgType>"
             "<Content><![CDATA[hi]]></Content><MsgId>99887766</MsgId></xml>",
             ts);
    assert_int_equal(post_push(url, xml, &reply), 200);
    free(reply);
    desktop_status(desk, ticket, 1, status, sizeof(status));
    assert_string_equal(status, "pending");
    /* The attacker: the same query, a body naming the ticket and any sender. */
    snprintf(xml, sizeof(xml),
             "<xml><ToUserName><![CDATA[gh_test]]></ToUserName><FromUserName><![CDATA[oAttacker]]>"
             "</FromUserName><CreateTime>%s</CreateTime><MsgType><![CDATA[event]]></MsgType>"
             "<Event><![CDATA[SCAN]]></Event><EventKey><![CDATA[%s]]></EventKey></xml>",
             ts, ticket);
    assert_int_equal(post_push(url, xml, &reply), 200);
    assert_string_equal(reply, "success"); /* no reply: the ticket's details stay private */
    free(reply);
    desktop_status(desk, ticket, 0, status, sizeof(status));
    assert_string_equal(status, "pending");
    wxt_browser_free(desk);
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
        cmocka_unit_test(test_follow_other_user_and_refuse),
        cmocka_unit_test(test_follow_reply_safe_mode),
        cmocka_unit_test(test_push_and_ticket_one_transaction),
        cmocka_unit_test(test_push_long_fields),
        cmocka_unit_test(test_follow_expired_and_token_reset),
        cmocka_unit_test(test_follow_blocked_follower),
        cmocka_unit_test(test_plain_replay_other_body),
        cmocka_unit_test(test_follow_lost_commit), /* last: it starts a wxauthd of its own */
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
