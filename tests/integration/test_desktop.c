/* Desktop login with the service account (issue #15 item 1), end to end over loopback: a
 * desktop "browser" (no WeChat in its User-Agent) gets the QR page of a ticket, a phone (the
 * WeChat UA) opens the ticket URL, logs in through the emulator and confirms or refuses, the
 * desktop long-polls and takes the login. Success, refusal, expiry, another desktop, single
 * use, CSRF and the caps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <signal.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <time.h>
#include <sys/wait.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#define DESKTOP_UA                                                                                 \
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "            \
    "Chrome/120.0.0.0 Safari/537.36"

static wxt_env_t env;

static int
group_setup(void **state)
{
    (void)state;
    /* A slow store poll: a change made by this process must wake its long-polls at once, not
     * at the next poll (the poll is for changes made on other nodes: test_multinode.py). */
    wxt_opts_t o = {.retries = -1, .extra_config = "[desktop]\npoll_ms = 5000\n"};
    return wxt_setup(&env, &o);
}

static int
group_teardown(void **state)
{
    (void)state;
    wxt_teardown(&env);
    return 0;
}

static int64_t
mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

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

/* A desktop opens the pool-flow start URL: the QR page; its ticket id. */
static void
desktop_open(wxt_browser_t *desk, char *ticket, size_t n)
{
    char url[512];
    wxt_resp_t r = {0};
    snprintf(url, sizeof(url), "%s/oauth/wechatmp/url/demo", env.auth);
    assert_int_equal(wxt_get(desk, url, &r), 0);
    if (r.status != 200)
        fail_msg("desktop start: %ld %.300s", r.status, r.body ? r.body : "");
    assert_null(r.location);
    assert_non_null(strstr(r.body, "<svg"));
    assert_non_null(strstr(r.body, "微信扫码登录"));
    assert_non_null(strstr(r.body, "/sdk/desktop-login.js"));
    attr(r.body, "data-ticket=\"", ticket, n);
    char csp[512];
    assert_true(wxt_resp_header(&r, "Content-Security-Policy", csp, sizeof(csp)));
    assert_non_null(strstr(csp, "script-src 'self'"));
    wxt_resp_free(&r);
}

/* The phone logs in through the ticket URL; returns the final response (the confirmation
 * page on success). */
static void
phone_scan(wxt_browser_t *phone, const char *ticket, const char *person, wxt_resp_t *fin)
{
    char url[512];
    snprintf(url, sizeof(url), "%s/desktop/scan?t=%s", env.auth, ticket);
    wxt_login(phone, url, person, "allow", fin, NULL, 0);
}

static long
phone_decide(wxt_browser_t *phone, const char *ticket, const char *csrf, const char *action,
             const char *origin, wxt_resp_t *out)
{
    char cookie[256] = "Cookie: ", val[128], url[256], body[512], org[128];
    const char *hdr[4] = {NULL, NULL, NULL, NULL};
    int i = 0;
    if (wxt_browser_cookie_get(phone, "wxauth_bind", val, sizeof(val))) {
        snprintf(cookie + 8, sizeof(cookie) - 8, "wxauth_bind=%s", val);
        hdr[i++] = cookie;
    }
    hdr[i++] = "Content-Type: application/x-www-form-urlencoded";
    if (origin) {
        snprintf(org, sizeof(org), "Origin: %s", origin);
        hdr[i++] = org;
    }
    snprintf(url, sizeof(url), "%s/desktop/confirm", env.auth);
    snprintf(body, sizeof(body), "t=%s&csrf=%s&action=%s", ticket, csrf, action);
    assert_int_equal(wxt_http_headers("POST", url, hdr, body, out), 0);
    return out->status;
}

/* GET /desktop/wait as this desktop; the status word (status 200), or "" with *code set. */
static void
desktop_wait(wxt_browser_t *desk, const char *ticket, int seen, char *status, size_t n, long *code)
{
    char url[512];
    wxt_resp_t r = {0};
    snprintf(url, sizeof(url), "%s/desktop/wait?t=%s&seen=%d", env.auth, ticket, seen);
    assert_int_equal(wxt_get(desk, url, &r), 0);
    *code = r.status;
    status[0] = '\0';
    json_t *j = r.body ? json_loads(r.body, 0, NULL) : NULL;
    assert_non_null(j);
    if (r.status == 200)
        snprintf(status, n, "%s", json_string_value(json_object_get(j, "status")));
    else
        assert_non_null(json_string_value(json_object_get(j, "message")));
    json_decref(j);
    wxt_resp_free(&r);
}

static void
desktop_finish(wxt_browser_t *desk, const char *ticket, wxt_resp_t *r)
{
    char url[512];
    snprintf(url, sizeof(url), "%s/desktop/finish?t=%s", env.auth, ticket);
    assert_int_equal(wxt_get(desk, url, r), 0);
}

static void
assert_outcome(const wxt_resp_t *r, long status, const char *outcome)
{
    char want[128];
    snprintf(want, sizeof(want), "data-outcome=\"%s\"", outcome);
    if (r->status != status || !r->body || !strstr(r->body, want))
        fail_msg("want %ld %s, got %ld %.400s", status, outcome, r->status, r->body ? r->body : "");
}

typedef struct {
    wxt_browser_t *desk;
    const char *ticket;
    char status[32];
    long code;
    int64_t ms, end_ms;
} waiter_t;

static void *
waiter_run(void *arg)
{
    waiter_t *w = arg;
    int64_t t0 = mono_ms();
    desktop_wait(w->desk, w->ticket, 1, w->status, sizeof(w->status), &w->code);
    w->end_ms = mono_ms();
    w->ms = w->end_ms - t0;
    return NULL;
}

/* The whole login: QR page, scan, confirmation page, confirm; the desktop's long-poll wakes
 * on the confirmation (not at its deadline) and the desktop ends on the business callback
 * with alice's token, once. */
static void
test_desktop_success(void **state)
{
    (void)state;
    wxt_browser_t *desk = wxt_browser_new(DESKTOP_UA), *phone = wxt_browser_new(WXT_WECHAT_UA);
    char ticket[64], csrf[64], status[32], openid[64], unionid[64];
    wxt_resp_t fin = {0}, r = {0};
    long code = 0;
    desktop_open(desk, ticket, sizeof(ticket));
    /* seen=1 ("scanned") while it is pending: answered at once. */
    desktop_wait(desk, ticket, 1, status, sizeof(status), &code);
    assert_int_equal(code, 200);
    assert_string_equal(status, "pending");

    phone_scan(phone, ticket, "alice", &fin);
    if (fin.status != 200 || !strstr(fin.body, "确认登录"))
        fail_msg("confirmation page: %ld %.400s", fin.status, fin.body ? fin.body : "");
    /* It names the site, where the login goes, and the desktop (address, browser, time). */
    assert_non_null(strstr(fin.body, "id=\"desktop-ip\">127.0.0.1<"));
    assert_non_null(strstr(fin.body, "Chrome · Windows"));
    assert_non_null(strstr(fin.body, "id=\"host\">127.0.0.1:9<"));
    assert_non_null(strstr(fin.body, "北京时间"));
    attr(fin.body, "name=\"csrf\" value=\"", csrf, sizeof(csrf));
    wxt_resp_free(&fin);

    desktop_wait(desk, ticket, 0, status, sizeof(status), &code);
    assert_int_equal(code, 200);
    assert_string_equal(status, "scanned");
    /* Nothing completes before the confirmation. */
    desktop_finish(desk, ticket, &r);
    assert_outcome(&r, 409, "not_confirmed");
    wxt_resp_free(&r);

    /* A long-poll open while the phone confirms answers within a poll interval. */
    waiter_t w = {.desk = desk, .ticket = ticket};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, waiter_run, &w), 0);
    struct timespec ts = {0, 300 * 1000000};
    nanosleep(&ts, NULL);
    assert_int_equal(phone_decide(phone, ticket, csrf, "confirm", env.auth, &r), 200);
    int64_t confirmed_ms = mono_ms();
    assert_non_null(strstr(r.body, "已确认"));
    wxt_resp_free(&r);
    pthread_join(th, NULL);
    print_message("# the desktop's long-poll answered %lld ms after the confirmation "
                  "([desktop] poll_ms 5000)\n",
                  (long long)(w.end_ms - confirmed_ms));
    if (w.end_ms - confirmed_ms > 2500)
        fail_msg("the long-poll was not woken by the confirmation: %lld ms after it",
                 (long long)(w.end_ms - confirmed_ms));
    assert_int_equal(w.code, 200);
    assert_string_equal(w.status, "confirmed");
    /* [desktop] wait_s is 25: woken by the change, far before the deadline (generous bound
     * for a loaded machine). */
    if (w.ms > 10000)
        fail_msg("long-poll answered after %lld ms", (long long)w.ms);

    /* The same confirm again is harmless; a change of mind is refused. */
    assert_int_equal(phone_decide(phone, ticket, csrf, "confirm", NULL, &r), 200);
    wxt_resp_free(&r);
    assert_int_equal(phone_decide(phone, ticket, csrf, "refuse", NULL, &r), 409);
    wxt_resp_free(&r);

    desktop_finish(desk, ticket, &r);
    if (r.status != 302)
        fail_msg("finish: %ld %.400s", r.status, r.body ? r.body : "");
    wxt_result_t res;
    assert_true(wxt_parse_result(&env, r.location, &res));
    assert_int_equal(res.code, 200);
    assert_true(strncmp(r.location, env.callback, strlen(env.callback)) == 0);
    wxt_emu_person_ids(&env, WXT_APPID, "alice", openid, sizeof(openid), unionid, sizeof(unionid));
    assert_string_equal(json_string_value(json_object_get(res.data, "openid")), openid);
    assert_true(strncmp(json_string_value(json_object_get(res.data, "token")), "eyJ", 3) == 0);
    wxt_result_free(&res);
    wxt_resp_free(&r);

    /* Single use: the desktop cannot take it twice. */
    desktop_finish(desk, ticket, &r);
    assert_outcome(&r, 400, "ticket_used");
    wxt_resp_free(&r);
    desktop_wait(desk, ticket, 2, status, sizeof(status), &code);
    assert_string_equal(status, "used");
    wxt_browser_free(desk);
    wxt_browser_free(phone);
}

/* Refused on the phone: both screens say so, and nothing logs the desktop in. */
static void
test_desktop_refused(void **state)
{
    (void)state;
    wxt_browser_t *desk = wxt_browser_new(DESKTOP_UA), *phone = wxt_browser_new(WXT_WECHAT_UA);
    char ticket[64], csrf[64], status[32];
    wxt_resp_t fin = {0}, r = {0};
    long code = 0;
    desktop_open(desk, ticket, sizeof(ticket));
    phone_scan(phone, ticket, "bob", &fin);
    assert_int_equal(fin.status, 200);
    attr(fin.body, "name=\"csrf\" value=\"", csrf, sizeof(csrf));
    wxt_resp_free(&fin);
    assert_int_equal(phone_decide(phone, ticket, csrf, "refuse", NULL, &r), 200);
    assert_outcome(&r, 200, "desktop_refused");
    assert_non_null(strstr(r.body, "已拒绝"));
    wxt_resp_free(&r);
    desktop_wait(desk, ticket, 1, status, sizeof(status), &code);
    assert_int_equal(code, 200);
    assert_string_equal(status, "refused");
    desktop_finish(desk, ticket, &r);
    assert_outcome(&r, 403, "desktop_refused");
    assert_non_null(strstr(r.body, "已在手机上被拒绝"));
    assert_null(r.location);
    wxt_resp_free(&r);
    assert_int_equal(phone_decide(phone, ticket, csrf, "confirm", NULL, &r), 409);
    wxt_resp_free(&r);
    wxt_browser_free(desk);
    wxt_browser_free(phone);
}

/* The phone declines WeChat's consent (拒绝 on the authorize page: WeChat sends no code): the
 * phone gets the "declined" page, and the ticket stays pending. A callback without a code
 * proves nothing (anyone who saw the QR code can open /desktop/scan and come back without
 * one), so it must not refuse someone else's login: the same phone, or another, can still
 * scan and log in. */
static void
test_desktop_phone_declines(void **state)
{
    (void)state;
    wxt_browser_t *desk = wxt_browser_new(DESKTOP_UA), *phone = wxt_browser_new(WXT_WECHAT_UA);
    char ticket[64], status[32], url[512];
    wxt_resp_t fin = {0}, r = {0};
    long code = 0;
    desktop_open(desk, ticket, sizeof(ticket));
    snprintf(url, sizeof(url), "%s/desktop/scan?t=%s", env.auth, ticket);
    wxt_login(phone, url, "alice", "deny", &fin, NULL, 0);
    if (fin.status != 302 || !fin.location || !strstr(fin.location, "/desktop/phone?t="))
        fail_msg("declined: %ld %s %.300s", fin.status, fin.location ? fin.location : "-",
                 fin.body ? fin.body : "");
    assert_int_equal(wxt_get(phone, fin.location, &r), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "你取消了微信授权"));
    wxt_resp_free(&r);
    wxt_resp_free(&fin);
    desktop_wait(desk, ticket, 1, status, sizeof(status), &code);
    assert_int_equal(code, 200);
    assert_string_equal(status, "pending");
    /* Another phone (or the same one, changing its mind) scans and logs in. */
    wxt_browser_t *other = wxt_browser_new(WXT_WECHAT_UA);
    phone_scan(other, ticket, "bob", &fin);
    assert_int_equal(fin.status, 200);
    wxt_resp_free(&fin);
    desktop_wait(desk, ticket, 0, status, sizeof(status), &code);
    assert_int_equal(code, 200);
    assert_string_equal(status, "scanned");
    wxt_browser_free(other);
    wxt_browser_free(desk);
    wxt_browser_free(phone);
}

/* Expired tickets: the phone and the desktop both say so, before and after a scan. */
static void
test_desktop_expiry(void **state)
{
    (void)state;
    wxt_browser_t *desk = wxt_browser_new(DESKTOP_UA), *phone = wxt_browser_new(WXT_WECHAT_UA);
    char ticket[64], csrf[64], status[32], sql[256];
    wxt_resp_t fin = {0}, r = {0};
    long code = 0;
    /* Never scanned: past its time, as if 120 s went by. */
    desktop_open(desk, ticket, sizeof(ticket));
    snprintf(sql, sizeof(sql), "UPDATE desktop_tickets SET expires_at = 1 WHERE id = '%s'", ticket);
    wxt_store_exec(&env, sql);
    desktop_wait(desk, ticket, 0, status, sizeof(status), &code);
    assert_string_equal(status, "expired");
    snprintf(sql, sizeof(sql), "%s/desktop/scan?t=%s", env.auth, ticket);
    assert_int_equal(wxt_get(phone, sql, &r), 0);
    assert_outcome(&r, 410, "ticket_expired");
    assert_non_null(strstr(r.body, "二维码已过期"));
    wxt_resp_free(&r);
    desktop_finish(desk, ticket, &r);
    assert_outcome(&r, 410, "ticket_expired");
    wxt_resp_free(&r);

    /* Scanned, then the confirmation came too late. */
    desktop_open(desk, ticket, sizeof(ticket));
    phone_scan(phone, ticket, "alice", &fin);
    assert_int_equal(fin.status, 200);
    attr(fin.body, "name=\"csrf\" value=\"", csrf, sizeof(csrf));
    wxt_resp_free(&fin);
    snprintf(sql, sizeof(sql), "UPDATE desktop_tickets SET expires_at = 1 WHERE id = '%s'", ticket);
    wxt_store_exec(&env, sql);
    assert_int_equal(phone_decide(phone, ticket, csrf, "confirm", NULL, &r), 410);
    assert_non_null(strstr(r.body, "二维码已过期"));
    wxt_resp_free(&r);
    desktop_wait(desk, ticket, 1, status, sizeof(status), &code);
    assert_string_equal(status, "expired");
    desktop_finish(desk, ticket, &r);
    assert_outcome(&r, 410, "ticket_expired");
    wxt_resp_free(&r);
    wxt_browser_free(desk);
    wxt_browser_free(phone);
}

/* A leaked ticket URL: another desktop can neither wait on it, nor take it, nor use the scan
 * URL itself; another phone cannot scan or confirm it; the real desktop still logs in. */
static void
test_desktop_other_browsers(void **state)
{
    (void)state;
    wxt_browser_t *desk = wxt_browser_new(DESKTOP_UA), *phone = wxt_browser_new(WXT_WECHAT_UA);
    wxt_browser_t *desk2 = wxt_browser_new(DESKTOP_UA), *phone2 = wxt_browser_new(WXT_WECHAT_UA);
    char ticket[64], other[64], csrf[64], status[32], url[512];
    wxt_resp_t fin = {0}, r = {0};
    long code = 0;
    desktop_open(desk, ticket, sizeof(ticket));
    desktop_open(desk2, other, sizeof(other)); /* desk2 has a binding cookie of its own */

    int64_t t0 = mono_ms();
    desktop_wait(desk2, ticket, 0, status, sizeof(status), &code);
    assert_int_equal(code, 403);
    if (mono_ms() - t0 > 10000) /* refused at once, not after the long-poll's deadline */
        fail_msg("another browser's wait was refused after %lld ms", (long long)(mono_ms() - t0));
    snprintf(url, sizeof(url), "%s/desktop/scan?t=%s", env.auth, ticket);
    assert_int_equal(wxt_get(desk2, url, &r), 0);
    assert_outcome(&r, 403, "not_in_wechat");
    wxt_resp_free(&r);

    phone_scan(phone, ticket, "alice", &fin);
    assert_int_equal(fin.status, 200);
    attr(fin.body, "name=\"csrf\" value=\"", csrf, sizeof(csrf));
    wxt_resp_free(&fin);
    /* A second phone: the ticket is taken; with the first phone's form it is refused. */
    phone_scan(phone2, ticket, "bob", &fin);
    assert_outcome(&fin, 409, "ticket_used");
    wxt_resp_free(&fin);
    assert_int_equal(phone_decide(phone2, ticket, csrf, "confirm", NULL, &r), 403);
    wxt_resp_free(&r);
    /* The right phone's form posted from another site's page: refused (CSRF). */
    assert_int_equal(phone_decide(phone, ticket, csrf, "confirm", "https://evil.example", &r), 403);
    wxt_resp_free(&r);
    assert_int_equal(
        phone_decide(phone, ticket, "0123456789abcdef0123456789abcdef", "confirm", NULL, &r), 403);
    wxt_resp_free(&r);
    assert_int_equal(phone_decide(phone, ticket, csrf, "confirm", NULL, &r), 200);
    wxt_resp_free(&r);

    /* Confirmed: still not the other desktop's. */
    desktop_finish(desk2, ticket, &r);
    assert_outcome(&r, 403, "other_browser");
    assert_null(r.location);
    wxt_resp_free(&r);
    desktop_finish(desk, ticket, &r);
    assert_int_equal(r.status, 302);
    wxt_resp_free(&r);
    wxt_browser_free(desk);
    wxt_browser_free(desk2);
    wxt_browser_free(phone);
    wxt_browser_free(phone2);
}

/* Inside WeChat, and for clients that are not browsers, the start still redirects to WeChat;
 * the phone's WeChat errors end on its own page, Chinese first. */
static void
test_desktop_not_for_others(void **state)
{
    (void)state;
    char url[512], ticket[64];
    wxt_resp_t r = {0}, fin = {0};
    snprintf(url, sizeof(url), "%s/oauth/wechatmp/url/demo", env.auth);
    wxt_browser_t *b = wxt_browser_new("curl/8.5.0");
    assert_int_equal(wxt_get(b, url, &r), 0);
    assert_int_equal(r.status, 302);
    wxt_resp_free(&r);
    wxt_browser_free(b);
    b = wxt_browser_new(WXT_WECHAT_UA);
    assert_int_equal(wxt_get(b, url, &r), 0);
    assert_int_equal(r.status, 302);
    wxt_resp_free(&r);

    /* The phone declines WeChat's consent: its page says so, the ticket stays pending. */
    wxt_browser_t *desk = wxt_browser_new(DESKTOP_UA);
    /* A HEAD from a desktop: the GET's status, no ticket, no cookie. */
    snprintf(url, sizeof(url), "%s/oauth/wechatmp/url/demo", env.auth);
    assert_int_equal(wxt_head(desk, url, &r), 0);
    assert_int_equal(r.status, 200);
    assert_false(wxt_browser_cookie_get(desk, "wxauth_bind", url, sizeof(url)));
    wxt_resp_free(&r);
    desktop_open(desk, ticket, sizeof(ticket));
    snprintf(url, sizeof(url), "%s/desktop/scan?t=%s", env.auth, ticket);
    wxt_login(b, url, "alice", "deny", &fin, NULL, 0);
    assert_int_equal(fin.status, 302);
    assert_non_null(strstr(fin.location, "/desktop/phone?t="));
    assert_int_equal(wxt_get(b, fin.location, &r), 0);
    assert_outcome(&r, 200, "desktop_phone_error");
    assert_non_null(strstr(r.body, "你取消了微信授权"));
    wxt_resp_free(&r);
    /* Text of a crafted link's choosing never reaches the page. */
    snprintf(url, sizeof(url), "%s/desktop/phone?t=%s&code=1&message=%%E8%%BD%%AC%%E8%%B4%%A6",
             env.auth, ticket);
    assert_int_equal(wxt_get(b, url, &r), 0);
    assert_outcome(&r, 200, "desktop_phone_error");
    assert_null(strstr(r.body, "转账"));
    assert_non_null(strstr(r.body, "登录未完成"));
    wxt_resp_free(&r);
    wxt_resp_free(&fin);
    wxt_browser_free(desk);
    wxt_browser_free(b);
}

/* The caps on unfinished logins count tickets too: a flood of QR pages from one address is
 * refused with 429 (Retry-After), and the start endpoint's rate limit applies first. */
static void
test_desktop_caps(void **state)
{
    (void)state;
    wxt_env_t e2;
    wxt_opts_t o = {.retries = -1,
                    .limits = true,
                    .extra_config = "[limits]\npending_per_address = 3\nstart_per_minute = 0\n"};
    char url[512];
    wxt_resp_t r = {0};
    wxt_setup(&e2, &o);
    snprintf(url, sizeof(url), "%s/oauth/wechatmp/url/demo", e2.auth);
    for (int i = 0; i < 3; i++) {
        wxt_browser_t *b = wxt_browser_new(DESKTOP_UA);
        assert_int_equal(wxt_get(b, url, &r), 0);
        assert_int_equal(r.status, 200);
        wxt_resp_free(&r);
        wxt_browser_free(b);
    }
    wxt_browser_t *b = wxt_browser_new(DESKTOP_UA);
    assert_int_equal(wxt_get(b, url, &r), 0);
    assert_int_equal(r.status, 429);
    char ra[16];
    assert_true(wxt_resp_header(&r, "Retry-After", ra, sizeof(ra)));
    assert_non_null(strstr(r.body, "登录请求过于频繁"));
    wxt_resp_free(&r);
    wxt_browser_free(b);
    wxt_teardown(&e2);
}

/* A second wxauthd with settings of its own (one at a time), stopped by demo_env_teardown. */
static wxt_env_t demo_env;
static bool demo_env_up;

/* [desktop] scan_outside_wechat: off (this file's server, the default), the QR page has no demo
 * link and a desktop's /desktop/scan is refused (test_desktop_other_browsers); on (the demo's,
 * accepted since wechat.* points at the emulator), the page shows its code's link and the same
 * desktop browser opening it starts the phone's WeChat login instead of a 403. */

/* Its second server is stopped here, so a failed assertion does not leave it running. */
static int
demo_env_teardown(void **state)
{
    (void)state;
    if (demo_env_up)
        wxt_teardown(&demo_env);
    demo_env_up = false;
    return 0;
}

static void
test_desktop_scan_outside_wechat(void **state)
{
    (void)state;
    wxt_env_t *e2 = &demo_env;
    wxt_opts_t o = {.retries = -1, .extra_config = "[desktop]\nscan_outside_wechat = on\n"};
    char url[1280], want[1280], href[1280];
    wxt_resp_t r = {0};
    wxt_browser_t *b = wxt_browser_new(DESKTOP_UA);

    snprintf(url, sizeof(url), "%s/oauth/wechatmp/url/demo", env.auth);
    assert_int_equal(wxt_get(b, url, &r), 0);
    assert_int_equal(r.status, 200);
    assert_null(strstr(r.body, "demo-phone"));
    assert_null(strstr(r.body, "演示模式"));
    wxt_resp_free(&r);
    wxt_browser_free(b);

    wxt_setup(e2, &o);
    demo_env_up = true;
    b = wxt_browser_new(DESKTOP_UA);
    snprintf(url, sizeof(url), "%s/oauth/wechatmp/url/demo", e2->auth);
    assert_int_equal(wxt_get(b, url, &r), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "演示模式：模拟手机扫码"));
    attr(r.body, "id=\"demo-phone-link\" target=\"_blank\" rel=\"noopener\" href=\"", href,
         sizeof(href));
    char ticket[64];
    attr(r.body, "data-ticket=\"", ticket, sizeof(ticket));
    snprintf(want, sizeof(want), "%s/desktop/scan?t=%s", e2->auth, ticket);
    assert_string_equal(href, want);
    wxt_resp_free(&r);
    /* The same desktop browser plays the phone: on to WeChat's (the emulator's) authorize. */
    assert_int_equal(wxt_get(b, href, &r), 0);
    if (r.status != 302 || !r.location || !strstr(r.location, "/connect/oauth2/authorize"))
        fail_msg("scan outside WeChat: %ld %s %.300s", r.status, r.location ? r.location : "-",
                 r.body ? r.body : "");
    wxt_resp_free(&r);
    wxt_browser_free(b);
}

/* wxauthd --check-config with [desktop] scan_outside_wechat = on: accepted only when every
 * [wechat] URL is on loopback; WeChat itself, a proxy in front of it or any other host is
 * refused (exit 2) with a message naming the setting and the fix. */
static int
check_config(const char *wechat, char *out, size_t n)
{
    char ini[700], cfgp[600], log[600], cmd[2000];
    snprintf(ini, sizeof(ini),
             "[store]\nurl = sqlite:%s/cc.db\n[desktop]\nscan_outside_wechat = on\n%s", env.dir,
             wechat);
    snprintf(cfgp, sizeof(cfgp), "%s/cc.ini", env.dir);
    snprintf(log, sizeof(log), "%s/cc.log", env.dir);
    FILE *f = fopen(cfgp, "w");
    assert_non_null(f);
    fputs(ini, f);
    fclose(f);
    snprintf(cmd, sizeof(cmd),
             "env -u WXAUTH_WECHAT_AUTHORIZE_URL -u WXAUTH_WECHAT_API_BASE "
             "-u WXAUTH_WECHAT_QRCONNECT_URL timeout 20 '%s' --config '%s' --check-config "
             "2>'%s' >/dev/null",
             getenv("WXAUTHD"), cfgp, log);
    int st = system(cmd);
    assert_true(WIFEXITED(st));
    out[0] = '\0';
    f = fopen(log, "r");
    if (f) {
        size_t got = fread(out, 1, n - 1, f);
        out[got] = '\0';
        fclose(f);
    }
    return WEXITSTATUS(st);
}

static void
test_desktop_scan_outside_wechat_config(void **state)
{
    (void)state;
    char out[4096];
    const char *refused[][2] = {
        {"", "wechat.authorize_url"}, /* the defaults: WeChat itself */
        {"[wechat]\nauthorize_url = https://wx-proxy.example.com/connect/oauth2/authorize\n"
         "api_base = http://127.0.0.1:8090\n",
         "wechat.authorize_url"},
        {"[wechat]\nauthorize_url = http://127.0.0.1:8090/connect/oauth2/authorize\n"
         "api_base = https://wx-proxy.example.com\n",
         "wechat.api_base"},
        {"[wechat]\nauthorize_url = http://127.0.0.1:8090/connect/oauth2/authorize\n"
         "qrconnect_url = https://open.weixin.qq.com/connect/qrconnect\n"
         "api_base = http://localhost:8090\n",
         "wechat.qrconnect_url"},
    };
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        int code = check_config(refused[i][0], out, sizeof(out));
        if (code != 2 || !strstr(out, refused[i][1]) || !strstr(out, "loopback") ||
            !strstr(out, "remove scan_outside_wechat"))
            fail_msg("case %zu: exit %d: %s", i, code, out);
    }
    int code =
        check_config("[wechat]\nauthorize_url = http://127.0.0.1:8090/connect/oauth2/authorize\n"
                     "api_base = http://[::1]:8090\n",
                     out, sizeof(out));
    /* Past the config (whatever the rest of the check says: not what is tested here). */
    if (strstr(out, "not on loopback"))
        fail_msg("loopback refused: exit %d: %s", code, out);
}

/* A metric's value on e's /metrics (-1 when absent). */
static double
metric(wxt_env_t *e, const char *name)
{
    char url[256], auth[128];
    const char *hdr[] = {auth, NULL};
    wxt_resp_t r = {0};
    double v = -1;
    snprintf(url, sizeof(url), "%s/metrics", e->admin);
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", e->admin_token);
    assert_int_equal(wxt_http_headers("GET", url, hdr, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    size_t n = strlen(name);
    for (const char *p = r.body; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (strncmp(p, name, n) == 0 && p[n] == ' ') {
            v = strtod(p + n + 1, NULL);
            break;
        }
    wxt_resp_free(&r);
    return v;
}

/* Wait (bounded) until the metric is want. */
static void
metric_becomes(wxt_env_t *e, const char *name, double want, int within_ms)
{
    int64_t until = mono_ms() + within_ms;
    double v = metric(e, name);
    while (v != want && mono_ms() < until) {
        struct timespec ts = {0, 20 * 1000000};
        nanosleep(&ts, NULL);
        v = metric(e, name);
    }
    if (v != want)
        fail_msg("%s is %g, want %g (within %d ms)", name, v, want, within_ms);
}

/* A raw connection to e's public port sending one GET with the desktop's cookie; the caller
 * closes it. With keepalive, a /healthz is sent (and its answer read) first. */
static int
raw_wait(wxt_env_t *e, wxt_browser_t *desk, const char *ticket, bool keepalive)
{
    char req[1024], bind[128] = "", buf[4096];
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)e->auth_port)};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    if (keepalive) {
        const char *h = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
        assert_true(write(fd, h, strlen(h)) == (ssize_t)strlen(h));
        ssize_t got = read(fd, buf, sizeof(buf) - 1); /* one small answer */
        assert_true(got > 0);
        buf[got] = '\0';
        assert_non_null(strstr(buf, "200"));
    }
    wxt_browser_cookie_get(desk, "wxauth_bind", bind, sizeof(bind));
    int n = snprintf(req, sizeof(req),
                     "GET /desktop/wait?t=%s&seen=0 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     "User-Agent: " DESKTOP_UA "\r\nCookie: wxauth_bind=%s\r\n\r\n",
                     ticket, bind);
    assert_true(write(fd, req, (size_t)n) == n);
    return fd;
}

/* Start the second server with extra_config, and a desktop there with a ticket. */
static wxt_env_t *
second_with_ticket(const char *extra_config, wxt_browser_t **desk, char ticket[64])
{
    wxt_opts_t o = {.retries = -1, .extra_config = extra_config};
    char url[1400];
    wxt_resp_t r = {0};
    wxt_setup(&demo_env, &o);
    demo_env_up = true;
    *desk = wxt_browser_new(DESKTOP_UA);
    snprintf(url, sizeof(url), "%s/oauth/wechatmp/url/demo", demo_env.auth);
    assert_int_equal(wxt_get(*desk, url, &r), 0);
    assert_int_equal(r.status, 200);
    attr(r.body, "data-ticket=\"", ticket, 64);
    wxt_resp_free(&r);
    return &demo_env;
}

/* /desktop/wait and its client leaving: a desktop whose connection closes mid-wait (the tab
 * closed) leaves no wait behind — wxauth_desktop_waits back to 0 and no more store reads of
 * it (wxauth_desktop_wait_reads_total stops) — also on a keep-alive connection that carried a
 * request before, and with the reads on reader threads ([store] readers). [desktop] max_waits
 * refuses more with a 503 JSON and Retry-After (the per-ticket cap: handle/test_desktop_ticket). */
/* Under ThreadSanitizer this case is skipped: its clients close sockets while /metrics lists
 * the process's sockets (/proc/self/fd), and TSan's own report of the fd numbers reused across
 * threads crashes it ("CHECK failed: sanitizer_common.h:494", in ScopedReportBase::AddLocation;
 * fresh-clone CI). It runs in the plain and ASan builds. */
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define WXT_TSAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define WXT_TSAN 1
#endif

static void
test_desktop_wait_client_gone_and_caps(void **state)
{
    (void)state;
#ifdef WXT_TSAN
    skip();
#endif
    wxt_browser_t *desk = NULL;
    char url[1400], ticket[64];
    wxt_resp_t r = {0};
    /* poll_ms 100: an abandoned wait would read the store 10 times a second. */
    wxt_env_t *e = second_with_ticket("[desktop]\npoll_ms = 100\nmax_waits = 2\n"
                                      "[store]\nreaders = 2\n",
                                      &desk, ticket);
    assert_true(metric(e, "wxauth_desktop_waits") == 0);

    for (int keepalive = 0; keepalive < 2; keepalive++) {
        int fd = raw_wait(e, desk, ticket, keepalive);
        metric_becomes(e, "wxauth_desktop_waits", 1, 5000);
        struct timespec ts = {0, 300 * 1000000};
        nanosleep(&ts, NULL);
        double reads0 = metric(e, "wxauth_desktop_wait_reads_total");
        close(fd); /* the tab is closed */
        int64_t closed = mono_ms();
        metric_becomes(e, "wxauth_desktop_waits", 0, 3000);
        print_message("# a wait whose client left was gone %lld ms after the close%s\n",
                      (long long)(mono_ms() - closed), keepalive ? " (keep-alive)" : "");
        double reads1 = metric(e, "wxauth_desktop_wait_reads_total");
        nanosleep(&ts, NULL); /* 3 poll intervals: no read of a wait that is gone */
        double reads2 = metric(e, "wxauth_desktop_wait_reads_total");
        assert_true(reads1 >= reads0);
        if (reads2 != reads1)
            fail_msg("store reads went on after the client left: %g then %g", reads1, reads2);
    }

    /* max_waits = 2: two held, the third gets 503 JSON with Retry-After, Chinese first. */
    int f1 = raw_wait(e, desk, ticket, false), f2 = raw_wait(e, desk, ticket, false);
    metric_becomes(e, "wxauth_desktop_waits", 2, 5000);
    snprintf(url, sizeof(url), "%s/desktop/wait?t=%s&seen=0", e->auth, ticket);
    assert_int_equal(wxt_get(desk, url, &r), 0);
    assert_int_equal(r.status, 503);
    char ra[16];
    assert_true(wxt_resp_header(&r, "Retry-After", ra, sizeof(ra)));
    json_t *j = json_loads(r.body, 0, NULL);
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(j, "code")), 503);
    const char *msg = json_string_value(json_object_get(j, "message"));
    assert_non_null(msg);
    assert_true(strncmp(msg, "服务繁忙", strlen("服务繁忙")) == 0);
    json_decref(j);
    wxt_resp_free(&r);
    close(f1);
    close(f2);
    metric_becomes(e, "wxauth_desktop_waits", 0, 3000);
    wxt_browser_free(desk);
}

/* A stop whose grace ends before the next poll: the open long-polls are answered (their
 * status as last read), not cut off with nothing (the page then asks another node). */
static void
test_desktop_wait_answered_at_stop(void **state)
{
    (void)state;
    wxt_browser_t *desk = NULL;
    char ticket[64], buf[4096];
    wxt_env_t *e = second_with_ticket("[server]\nshutdown_grace_ms = 500\n"
                                      "[desktop]\npoll_ms = 10000\n",
                                      &desk, ticket);
    int fd = raw_wait(e, desk, ticket, false);
    metric_becomes(e, "wxauth_desktop_waits", 1, 5000);
    assert_int_equal(kill(e->auth_pid, SIGTERM), 0);
    struct pollfd pf = {.fd = fd, .events = POLLIN};
    size_t got = 0;
    while (got < sizeof(buf) - 1 && poll(&pf, 1, 5000) == 1) { /* bounded: 5 s per read */
        ssize_t n = read(fd, buf + got, sizeof(buf) - 1 - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    buf[got] = '\0';
    close(fd);
    if (!strstr(buf, "HTTP/1.1 200") || !strstr(buf, "\"status\":\"pending\""))
        fail_msg("the wait open at the stop got: %.300s", got ? buf : "(nothing)");
    wxt_browser_free(desk);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_desktop_success),
        cmocka_unit_test(test_desktop_refused),
        cmocka_unit_test(test_desktop_phone_declines),
        cmocka_unit_test(test_desktop_expiry),
        cmocka_unit_test(test_desktop_other_browsers),
        cmocka_unit_test(test_desktop_not_for_others),
        cmocka_unit_test(test_desktop_caps),
        cmocka_unit_test_teardown(test_desktop_scan_outside_wechat, demo_env_teardown),
        cmocka_unit_test(test_desktop_scan_outside_wechat_config),
        cmocka_unit_test_teardown(test_desktop_wait_client_gone_and_caps, demo_env_teardown),
        cmocka_unit_test_teardown(test_desktop_wait_answered_at_stop, demo_env_teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
