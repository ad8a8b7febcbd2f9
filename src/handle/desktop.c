/* Desktop login with the service account alone (issue #15 item 1, docs/desktop-login.md).
 *
 *   desktop  start endpoint (not in WeChat) -> ticket (bound to its binding cookie) -> QR page
 *            -> GET /desktop/wait (long-poll) ... -> GET /desktop/finish -> business callback
 *   phone    GET /desktop/scan?t= (in WeChat) -> start.c: state with "ticket=<id>" -> WeChat
 *            -> callback.c -> desktop_phone_scanned: ticket SCANNED, confirmation page
 *            -> POST /desktop/confirm (CSRF token bound to the phone's cookie) -> done page
 *
 * Nothing completes without the phone's confirmation, which names the site and the desktop
 * asking (anti-phishing); only the desktop holding the ticket's cookie takes the login, once.
 * The ticket core (store rows, waits) is desktop_ticket.c. */
#include "desktop.h"
#include "reads.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "../http/reply.h"
#include "../proto/authing.h"
#include "../util/clock.h"
#include "../proto/wxmsg.h"
#include "../util/log.h"
#include "../util/qr.h"
#include "../util/rand.h"
#include "form.h"

/* ---- small helpers ---- */

static bool
ci_contains(const char *s, const char *needle)
{
    size_t n = strlen(needle);
    for (; s && *s; s++) {
        size_t i = 0;
        while (i < n && s[i] && (s[i] | 0x20) == (needle[i] | 0x20))
            i++;
        if (i == n)
            return true;
    }
    return false;
}

static bool
in_wechat(http_req_t *r)
{
    const char *ua = http_req_header(r, "User-Agent");
    return ua && ci_contains(ua, "MicroMessenger");
}

bool
desktop_wanted(http_req_t *r)
{
    /* Phones and tablets outside WeChat could not scan a code on their own screen: they keep
     * the phone's login (WeChat's page asks to open the link in WeChat). */
    static const char *const mobile[] = {"Mobile", "Android", "iPhone", "iPad", "HarmonyOS"};
    const char *ua = http_req_header(r, "User-Agent");
    /* Browsers only ("Mozilla/" opens every browser's User-Agent): link checkers and scripts
     * keep the plain redirect they always got. */
    if (!handle_ctx(r)->app->cfg->desktop_login || !ua || strncmp(ua, "Mozilla/", 8) != 0 ||
        in_wechat(r))
        return false;
    for (size_t i = 0; i < WX_ARRAY_LEN(mobile); i++)
        if (strstr(ua, mobile[i]))
            return false;
    return true;
}

static bool
ticket_id_valid(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    if (n == 0 || n >= STORE_ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((id[i] >= 'a' && id[i] <= 'z') || (id[i] >= 'A' && id[i] <= 'Z') ||
              (id[i] >= '0' && id[i] <= '9')))
            return false;
    return true;
}

/* The hash of this browser's binding cookie ("" hashed when it has none: matches nothing). */
static bool
browser_hash(http_req_t *r, char out[65])
{
    char bind[BIND_COOKIE_LEN + 1] = "";
    if (!http_req_cookie(r, handle_bind_cookie_name(handle_ctx(r)->app->cfg), bind, sizeof(bind)))
        bind[0] = '\0';
    return wx_sha256_hex(bind, strlen(bind), out) == WX_OK;
}

static bool
same_hash(const char *a, const char *b)
{
    return a[0] && wx_ct_equal(a, strlen(a), b, strlen(b));
}

/* The CSRF token of the confirmation form: a MAC of the ticket and the phone's binding hash
 * under the binding key, so only the page served to that phone can post it. A follow
 * ticket's phone is "<binding hash>|<follower hash>": its page was served to that browser
 * after it logged in as the follower (follow_phone below). */
static bool
confirm_token(const app_t *app, const char *ticket_id, const char *phone, char out[33])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    char msg[STORE_ID_MAX + 200];
    if (!wx_snprintf(msg, sizeof(msg), "desktop-confirm:%s:%s", ticket_id, phone) ||
        !HMAC(EVP_sha256(), app->bind_key, sizeof(app->bind_key), (const unsigned char *)msg,
              strlen(msg), md, &n) ||
        n < 16)
        return false;
    wx_hex_encode(md, 16, out);
    return true;
}

/* The host of a URL, for the phone to see where the login goes. */
static void
url_host(const char *url, char *out, size_t n)
{
    const char *p = strstr(url, "://");
    p = p ? p + 3 : url;
    size_t len = strcspn(p, "/?#");
    const char *at = memchr(p, '@', len); /* userinfo is never part of what we show */
    if (at) {
        len -= (size_t)(at + 1 - p);
        p = at + 1;
    }
    if (len >= n)
        len = n - 1;
    memcpy(out, p, len);
    out[len] = '\0';
}

/* "Chrome · Windows": enough for a person to recognise their own computer. */
static void
ua_summary(const char *ua, char *out, size_t n)
{
    const char *b = ci_contains(ua, "Edg/")       ? "Edge"
                    : ci_contains(ua, "OPR/")     ? "Opera"
                    : ci_contains(ua, "Firefox/") ? "Firefox"
                    : ci_contains(ua, "Chrome/")  ? "Chrome"
                    : ci_contains(ua, "Safari/")  ? "Safari"
                                                  : "未知浏览器 unknown browser";
    const char *os = ci_contains(ua, "Windows")    ? "Windows"
                     : ci_contains(ua, "Android")  ? "Android"
                     : ci_contains(ua, "iPhone")   ? "iPhone"
                     : ci_contains(ua, "iPad")     ? "iPad"
                     : ci_contains(ua, "Mac OS X") ? "macOS"
                     : ci_contains(ua, "CrOS")     ? "ChromeOS"
                     : ci_contains(ua, "Linux")    ? "Linux"
                                                   : "未知系统 unknown system";
    wx_snprintf(out, n, "%s · %s", b, os);
}

/* A User-Agent or address as stored: printable ASCII only, cut to fit (never a broken
 * character: the store refuses text that is not UTF-8). */
static void
ascii_copy(char *dst, size_t n, const char *src)
{
    size_t i = 0;
    for (; src && src[i] && i + 1 < n; i++)
        dst[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? src[i] : '?';
    dst[i] = '\0';
}

void
desktop_ticket_describe(http_req_t *r, store_ticket_t *t)
{
    char ip[64];
    http_req_ip(r, ip, sizeof(ip));
    ascii_copy(t->desktop_ip, sizeof(t->desktop_ip), ip);
    ascii_copy(t->desktop_ua, sizeof(t->desktop_ua), http_req_header(r, "User-Agent"));
}

/* A name of the site's for the reply: no '<' or '>' (no markup of its own in WeChat's
 * text), no control characters. */
static void
reply_safe(char *dst, size_t n, const char *src)
{
    size_t i = 0;
    for (; src && src[i] && i + 1 < n; i++) {
        unsigned char c = (unsigned char)src[i];
        dst[i] = (c == '<' || c == '>' || c < 0x20 || c == 0x7f) ? ' ' : (char)c;
    }
    dst[i] = '\0';
}

bool
desktop_follow_reply(const wx_config_t *cfg, const store_ticket_t *t, char *out, size_t n)
{
    char host[256], site[STORE_NAME_MAX], ua[128], ip[64];
    url_host(t->redirect, host, sizeof(host));
    reply_safe(site, sizeof(site), t->site[0] ? t->site : host);
    reply_safe(host, sizeof(host), host);
    reply_safe(ip, sizeof(ip), t->desktop_ip);
    ua_summary(t->desktop_ua, ua, sizeof(ua));
    /* The catalogue's sentences; the values and the link's label around them. */
    const wx_msg_t *m = wx_msg(WX_MSG_CHAT_FOLLOW_CONFIRM);
    char named[STORE_NAME_MAX + 320], zh[1024], en[1024];
    if (!wx_snprintf(named, sizeof(named), "%s（%s）", site, host) ||
        !wx_msg_fill(m->zh, named, zh, sizeof(zh)) || !wx_msg_fill(m->en, site, en, sizeof(en)))
        return false;
    return wx_snprintf(out, n,
                       "%s\n电脑 Computer：IP %s，%s\n\n<a href=\"%s/desktop/scan?t=%s\">确认登录"
                       "</a>\n\n%s",
                       zh, ip, ua, cfg->public_url, t->id, en) &&
           strlen(out) <= WXMSG_CONTENT_MAX;
}

/* ---- pages ---- */

static const char page_style[] =
    "<style>body{font-family:-apple-system,'PingFang SC','Microsoft YaHei',sans-serif;"
    "max-width:30em;margin:2em auto;padding:0 1em;color:#222;text-align:center}"
    "h1{font-size:1.4em}small,.en{color:#777}#qr svg,#qr img{width:240px;height:240px}"
    "#qr.faded{opacity:.15}.box{text-align:left;background:#f6f6f6;border-radius:8px;"
    "padding:.8em 1em;margin:1em 0}.warn{color:#b00}button{font-size:1.1em;padding:.6em 1.6em;"
    "margin:.4em;border-radius:6px;border:1px solid #ccc}button.ok{background:#07c160;"
    "color:#fff;border-color:#07c160}</style>";

/* The head of a page of its own layout, titled by its catalogue entry m. */
static void
page_head(wx_buf_t *b, const wx_msg_t *m)
{
    wx_buf_puts(b, "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
                   "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
                   "<title>");
    http_html_escape(b, m->title_zh);
    wx_buf_puts(b, " &middot; ");
    http_html_escape(b, m->title_en);
    wx_buf_puts(b, "</title>");
    wx_buf_puts(b, page_style);
    wx_buf_puts(b, "</head><body>");
}

/* A page of ours: scripts only from ourselves (/sdk/desktop-login.js), forms only to
 * ourselves. */
static void
page_reply(http_req_t *r, int status, wx_buf_t *b)
{
    wx_buf_puts(b, "</body></html>\n");
    http_add_header(r, "Content-Security-Policy",
                    "default-src 'none'; script-src 'self'; connect-src 'self'; img-src 'self' "
                    "data: https:; style-src 'unsafe-inline'; base-uri 'none'; form-action "
                    "'self'; frame-ancestors 'none'");
    http_add_header(r, "Cache-Control", "no-store");
    http_reply_raw(r, status, "text/html; charset=utf-8", wx_buf_str(b), b->len);
}

/* A page of the catalogue (util/msg.c); outcome is the log's and the metrics' (and the
 * heading's data-outcome, which the tests read). */
static void
reply_page(http_req_t *r, int status, const char *outcome, wx_msg_id_t id, const http_page_t *o)
{
    r->outcome = outcome;
    http_reply_page(r, status, id, o);
}

void
desktop_page_reply(http_req_t *r, const store_ticket_t *t, const char *qr_text, const char *img_url)
{
    wx_buf_t b, svg;
    wx_err_t err = {0};
    char host[256];
    int64_t left = desktop_ticket_left(t, wx_now());
    /* The follow method's code is the account's own (follow.c): scan, follow, then 确认登录. */
    const wx_msg_t *m =
        wx_msg(strcmp(t->method, DESKTOP_METHOD_FOLLOW) == 0 ? WX_MSG_PAGE_DESKTOP_QR_FOLLOW
                                                             : WX_MSG_PAGE_DESKTOP_QR_SCAN);
    wx_buf_init(&b, 512 * 1024);
    wx_buf_init(&svg, 256 * 1024);
    if (!img_url && wx_qr_svg(qr_text, 240, &svg, &err) != WX_OK) {
        wx_log(WX_LOG_ERROR, "desktop_qr_failed", "rid", r->id, "error", err.msg, NULL);
        http_reply_page(r, 500, WX_MSG_PAGE_START_FAILED,
                        &(http_page_t){.detail = "The QR code could not be drawn."});
        goto out;
    }
    url_host(t->redirect, host, sizeof(host));
    page_head(&b, m);
    wx_buf_printf(&b,
                  "<main id=\"wx-desktop\" data-ticket=\"%s\" data-expires-in=\"%lld\" "
                  "data-state=\"pending\">",
                  t->id, (long long)left);
    wx_buf_puts(&b, "<h1>");
    http_html_escape(&b, m->title_zh);
    wx_buf_puts(&b, "</h1><p class=\"en\">");
    http_html_escape(&b, m->title_en);
    wx_buf_puts(&b, "</p><p>登录 <b>");
    http_html_escape(&b, t->site[0] ? t->site : host);
    wx_buf_puts(&b, "</b> <small>(");
    http_html_escape(&b, host);
    wx_buf_puts(&b, ")</small></p><div id=\"qr\">");
    if (img_url) {
        wx_buf_puts(&b, "<img alt=\"QR\" src=\"");
        http_html_escape(&b, img_url);
        wx_buf_puts(&b, "\">");
    } else {
        /* The SVG holds only the ticket URL's modules: no user text. */
        const char *s = wx_buf_str(&svg);
        const char *open = strstr(s, "<svg");
        wx_buf_puts(&b, open ? open : s);
    }
    wx_buf_puts(&b, "</div><p id=\"msg-zh\">");
    http_html_escape(&b, m->zh);
    wx_buf_puts(&b, "</p><p id=\"msg-en\" class=\"en\">");
    http_html_escape(&b, m->en);
    wx_buf_puts(&b, "</p>");
    if (handle_ctx(r)->app->cfg->desktop_scan_outside_wechat) {
        /* Demo only (config.c refuses it with real WeChat): the code's own link, to open in
         * another tab instead of scanning: the ticket's /desktop/scan, or the emulator's
         * follow page (/q/CODE). */
        const wx_msg_t *demo = wx_msg(WX_MSG_PAGE_DEMO_PHONE_LINK);
        wx_buf_puts(&b, "<div id=\"demo-phone\" class=\"warn\"><p><b>");
        http_html_escape(&b, demo->title_zh);
        wx_buf_puts(&b, "</b> ");
        http_html_escape(&b, demo->zh);
        wx_buf_puts(&b, "</p><p class=\"en\">");
        http_html_escape(&b, demo->title_en);
        wx_buf_puts(&b, ": ");
        http_html_escape(&b, demo->en);
        wx_buf_puts(&b, "</p><p><a id=\"demo-phone-link\" target=\"_blank\" rel=\"noopener\" "
                        "href=\"");
        http_html_escape(&b, img_url ? img_url : qr_text);
        wx_buf_puts(&b, "\">");
        http_html_escape(&b, img_url ? img_url : qr_text);
        wx_buf_puts(&b, "</a></p></div>");
    }
    wx_buf_printf(&b,
                  "<p id=\"countdown\">二维码将在 <b id=\"left\">%lld</b> 秒后过期 "
                  "<small>(expires in <span id=\"left-en\">%lld</span> s)</small></p>",
                  (long long)left, (long long)left);
    wx_buf_puts(&b, "<p><a id=\"refresh\" href=\"\">刷新二维码 · New QR code</a></p>"
                    "<noscript><p class=\"warn\">此页面需要 JavaScript。This page needs "
                    "JavaScript.</p></noscript>");
    /* The script's texts, from the catalogue (it has none of its own). */
    static const struct {
        const char *state;
        wx_msg_id_t id;
    } texts[] = {
        {"scanned", WX_MSG_TEXT_DESKTOP_SCANNED}, {"confirmed", WX_MSG_TEXT_DESKTOP_CONFIRMED},
        {"refused", WX_MSG_TEXT_DESKTOP_REFUSED}, {"used", WX_MSG_TEXT_DESKTOP_USED},
        {"expired", WX_MSG_TEXT_DESKTOP_EXPIRED}, {"error", WX_MSG_TEXT_DESKTOP_NETWORK}};
    wx_buf_puts(&b, "<div id=\"wx-texts\" hidden>");
    for (size_t i = 0; i < WX_ARRAY_LEN(texts); i++) {
        const wx_msg_t *tm = wx_msg(texts[i].id);
        wx_buf_printf(&b, "<span data-state=\"%s\" data-zh=\"", texts[i].state);
        http_html_escape(&b, tm->zh);
        wx_buf_puts(&b, "\" data-en=\"");
        http_html_escape(&b, tm->en);
        wx_buf_puts(&b, "\"></span>");
    }
    wx_buf_puts(&b, "</div></main><script src=\"/sdk/desktop-login.js\"></script>");
    r->outcome = "desktop_page";
    wx_snprintf(r->log_extra, sizeof(r->log_extra), "pool=%s conn=%s app=%s method=%s", t->pool_id,
                t->conn_identifier, t->app_id, t->method);
    page_reply(r, 200, &b);
out:
    wx_buf_free(&b);
    wx_buf_free(&svg);
}

/* ---- the desktop's start ---- */

typedef struct {
    http_req_t *r;
    store_ticket_t t;
    int capped;
} dstart_t;

bool
desktop_phone_target_ok(const wx_config_t *cfg, const char *ticket_id, const char *redirect)
{
    char want[STORE_URL_MAX];
    return wx_snprintf(want, sizeof(want), "%s/desktop/phone?t=%s", cfg->public_url, ticket_id) &&
           strcmp(want, redirect) == 0;
}

static void
on_ticket_created(wx_status_t rc, const wx_err_t *err, const store_ticket_t *t, void *arg)
{
    dstart_t *d = arg;
    http_req_t *r = d->r;
    const wx_config_t *cfg = handle_ctx(r)->app->cfg;
    char url[STORE_URL_MAX];
    (void)t;
    if (rc == WX_EDENIED && d->capped) {
        wx_log(WX_LOG_WARN, d->capped == 2 ? "desktop_pending_total_cap" : "desktop_address_cap",
               "rid", r->id, "ip", d->t.client_ip, NULL);
        handle_reply_limited(r, 60, d->capped == 2 ? "pending_total_cap" : "pending_address_cap");
        return;
    }
    if (rc != WX_OK) {
        wx_log(WX_LOG_ERROR, "desktop_ticket_create_failed", "rid", r->id, "error", err->msg,
               "detail", err->detail, NULL);
        reply_page(r, 503, "store_unavailable", WX_MSG_PAGE_START_UNAVAILABLE, NULL);
        return;
    }
    wx_snprintf(url, sizeof(url), "%s/desktop/scan?t=%s", cfg->public_url, d->t.id);
    desktop_page_reply(r, &d->t, url, NULL); /* frees d */
}

void
desktop_start(http_req_t *r, const store_ticket_t *t)
{
    const wx_config_t *cfg = handle_ctx(r)->app->cfg;
    wx_err_t err = {0};
    dstart_t *d = calloc(1, sizeof(*d));
    if (!d || desktop_ticket_id_make(d->t.id) != WX_OK) {
        free(d);
        http_reply_page(r, 503, WX_MSG_PAGE_BUSY, NULL);
        return;
    }
    char id[STORE_ID_MAX];
    wx_strlcpy(id, d->t.id, sizeof(id));
    d->t = *t;
    wx_strlcpy(d->t.id, id, sizeof(d->t.id));
    d->r = r;
    wx_strlcpy(d->t.method, DESKTOP_METHOD_SCAN, sizeof(d->t.method));
    desktop_ticket_describe(r, &d->t);
    d->t.created_at = wx_now();
    d->t.expires_at = d->t.created_at + cfg->desktop_ticket_ttl;
    r->data = d;
    r->data_free = free;
    if (desktop_ticket_create(r->worker, &d->t, &d->capped, on_ticket_created, d, &err) != WX_OK)
        on_ticket_created(err.status ? err.status : WX_EBUSY, &err, NULL, d);
}

/* ---- the desktop's wait ---- */

typedef struct {
    http_req_t *r;
    char browser[65];
    ticket_wait_t *wait; /* until on_waited */
} dwait_t;

/* The desktop's connection closed mid-wait (tab closed, network gone): the wait stops, so an
 * abandoned page costs no more store reads. */
static void
dwait_gone(http_req_t *r)
{
    dwait_t *d = r->data;
    desktop_ticket_wait_cancel(d->wait);
    d->wait = NULL;
}

static void
dwait_free(void *p)
{
    dwait_t *d = p;
    handle_ctx(d->r)->desktop_waits--;
    free(d);
}

static void
wait_json(http_req_t *r, int status, const char *outcome, const char *message)
{
    r->outcome = outcome;
    http_add_header(r, "Cache-Control", "no-store");
    http_reply_error(r, status, status, message);
}

static void
on_waited(wx_status_t rc, const wx_err_t *err, const store_ticket_t *t, void *arg)
{
    dwait_t *d = arg;
    http_req_t *r = d->r;
    int64_t now = wx_now();
    d->wait = NULL;
    if (rc == WX_ETOOBIG) { /* [desktop] max_waits: the page backs off and tries again */
        wx_log(WX_LOG_WARN, "desktop_waits_cap", "rid", r->id, "error", err ? err->msg : "", NULL);
        http_add_header(r, "Retry-After", "5");
        wait_json(r, 503, "waits_cap",
                  "服务繁忙，请稍后重试。Too many pages are waiting for a QR-code login on this "
                  "server; retry in a few seconds.");
        return;
    }
    if (rc == WX_ENOENT) {
        wait_json(r, 404, "unknown_ticket",
                  "二维码无效或已过期，请刷新页面。Unknown or old QR code: reload the page.");
        return;
    }
    if (rc != WX_OK || !t) {
        wx_log(WX_LOG_WARN, "desktop_wait_failed", "rid", r->id, "error", err ? err->msg : "",
               NULL);
        wait_json(r, 503, "store_unavailable",
                  "服务暂时不可用，请稍后重试。The service is temporarily unavailable.");
        return;
    }
    if (!same_hash(t->browser, d->browser)) {
        wait_json(r, 403, "other_browser",
                  "此二维码属于另一个浏览器，请在本浏览器中重新打开登录页。This QR code belongs "
                  "to another browser: open the login page again in this one.");
        return;
    }
    const char *name = desktop_ticket_status_name(t, now);
    r->outcome = name;
    http_add_header(r, "Cache-Control", "no-store");
    http_reply_json(r, 200,
                    json_pack("{s:i,s:s,s:I}", "code", 200, "status", name, "expires_in",
                              (json_int_t)desktop_ticket_left(t, now)));
}

void
handle_desktop_wait(http_req_t *r)
{
    worker_ctx_t *ctx = handle_ctx(r);
    const wx_config_t *cfg = ctx->app->cfg;
    const char *id = wx_query_get(&r->query, "t");
    const char *seen_s = wx_query_get(&r->query, "seen");
    long seen = 0;
    wx_err_t err = {0};
    char client[64];
    /* A page asks about twice a minute (each wait is held up to wait_s): the callback's
     * per-address limit leaves room for many tabs, not for a flood of store reads. */
    if (!handle_rate_allow(r, LOGIN_RATE_CALLBACK, client, sizeof(client)))
        return;
    if (!ticket_id_valid(id)) {
        wait_json(r, 400, "bad_ticket", "t must be a ticket id (letters and digits).");
        return;
    }
    if (seen_s && !wx_parse_long(seen_s, 0, 4, &seen)) {
        wait_json(r, 400, "bad_request", "seen must be a ticket status 0-4.");
        return;
    }
    /* Each open wait holds a timer and a few hundred bytes; bounded like logins in flight. */
    if (ctx->desktop_waits >= cfg->max_inflight) {
        http_add_header(r, "Retry-After", "5");
        wait_json(r, 503, "busy", "服务繁忙，请稍后重试。Too many waiting pages; retry soon.");
        return;
    }
    dwait_t *d = calloc(1, sizeof(*d));
    if (!d || !browser_hash(r, d->browser)) {
        free(d);
        wait_json(r, 503, "internal_error", "服务繁忙 · Server busy");
        return;
    }
    d->r = r;
    ctx->desktop_waits++;
    r->data = d;
    r->data_free = dwait_free;
    /* Under the connection's own timeout, so the answer always comes from us. */
    int wait_s = cfg->desktop_wait_s;
    if (wait_s > cfg->timeout_s - 5)
        wait_s = cfg->timeout_s > 6 ? cfg->timeout_s - 5 : 1;
    /* Watched before the wait starts: with SQLite its first read (and maybe its answer) runs
     * within desktop_ticket_wait, after which r is gone. */
    http_req_watch_close(r, dwait_gone);
    if (desktop_ticket_wait(r->worker, id, (int)seen, d->browser,
                            wx_mono_ms() + (int64_t)wait_s * 1000, &d->wait, on_waited, d,
                            &err) != WX_OK)
        on_waited(err.status ? err.status : WX_ENOMEM, &err, NULL, d);
}

/* ---- the desktop takes the login ---- */

typedef struct {
    http_req_t *r;
    char id[STORE_ID_MAX];
    char browser[65];
    bool taken_once; /* the take's first run took it (a rerun after a lost COMMIT sees USED) */
    store_ticket_t t;
    conf_fetch_t f;
    login_record_t rec;
    store_user_t user;
    wx_status_t profile_rc;
    char raw[STORE_PROFILE_MAX];
} dfinish_t;

static void
dfinish_free(void *p)
{
    dfinish_t *d = p;
    conf_fetch_clear(&d->f);
    OPENSSL_cleanse(&d->t, sizeof(d->t));
    OPENSSL_cleanse(&d->rec, sizeof(d->rec));
    free(d);
}

static wx_status_t
take_run(store_t *st, void *arg, wx_err_t *err)
{
    dfinish_t *d = arg;
    wx_status_t rc =
        store_ticket_take(st, d->id, d->browser, wx_now(), DESKTOP_TAKE_WITHIN_S, &d->t, err);
    bool rerun = store_writer_rerunning();
    if (rc == WX_OK && !rerun)
        d->taken_once = true;
    if (rc == WX_EUSED && rerun && d->taken_once) { /* our own take, committed after all */
        wx_err_clear(err);
        rc = store_ticket_get(st, d->id, &d->t, err);
    }
    return rc;
}

static void
finish_user_done(wx_status_t rc, const wx_err_t *err, void *arg)
{
    dfinish_t *d = arg;
    http_req_t *r = d->r;
    const conf_fetch_t *f = &d->f;
    if (rc != WX_OK) {
        wx_log(WX_LOG_WARN, "desktop_user_read_failed", "rid", r->id, "error", err->msg, NULL);
        reply_page(r, rc == WX_ENOENT ? 410 : 503, "user_unreadable",
                   WX_MSG_PAGE_DESKTOP_FINISH_FAILED, NULL);
        return;
    }
    handle_login_t lg = {.pool_id = d->t.pool_id,
                         .app_id = d->t.app_id,
                         .conn_identifier = d->t.conn_identifier,
                         .redirect = d->t.redirect,
                         .options = d->t.options,
                         .oidc = d->t.oidc[0] ? d->t.oidc : NULL,
                         .pool_alg = f->pool.alg,
                         .appid = f->conn.appid,
                         .outcome = d->rec.created ? "desktop_ok_new_user" : "desktop_ok"};
    handle_login_reply(r, handle_ctx(r), &lg, &d->user, &d->rec,
                       d->profile_rc == WX_OK && d->raw[0] ? d->raw : NULL);
}

static wx_status_t
finish_user_run(store_t *st, void *arg, wx_err_t *err)
{
    dfinish_t *d = arg;
    wx_err_t e2 = {0};
    wx_status_t rc = store_user_get(st, d->t.pool_id, d->rec.user_id, &d->user, err);
    if (rc != WX_OK)
        return rc;
    d->profile_rc =
        store_identity_profile(st, d->f.conn.appid, d->rec.openid, d->raw, sizeof(d->raw), &e2);
    return WX_OK;
}

/* Pool, connection and application as they are now: the target is checked again (an
 * application deleted or a callback removed while the phone confirmed gets no token). */
static void
finish_conf_read(void *arg)
{
    dfinish_t *d = arg;
    http_req_t *r = d->r;
    worker_ctx_t *ctx = handle_ctx(r);
    conf_fetch_t *f = &d->f;
    const store_app_t *app = NULL;
    if (f->pool_rc != WX_OK || f->conn_rc != WX_OK || (d->t.app_id[0] && f->app_rc != WX_OK)) {
        bool gone = f->pool_rc == WX_ENOENT || f->conn_rc == WX_ENOENT || f->app_rc == WX_ENOENT;
        reply_page(r, gone ? 410 : 503, gone ? "connection_gone" : "store_unavailable",
                   gone ? WX_MSG_PAGE_DESKTOP_CONFIG_CHANGED : WX_MSG_PAGE_FINISH_UNAVAILABLE,
                   NULL);
        return;
    }
    if (d->t.app_id[0]) {
        app = &f->app;
        if (strcmp(app->pool_id, d->t.pool_id) != 0)
            app = NULL;
    }
    if ((d->t.app_id[0] && !app) ||
        !handle_redirect_allowed(&f->conn, app, &f->pool, d->t.redirect)) {
        wx_log(WX_LOG_WARN, "redirect_no_longer_allowed", "rid", r->id, "url", d->t.redirect, "app",
               d->t.app_id, "reason", "changed during a desktop login", NULL);
        reply_page(r, 403, "redirect_not_allowed", WX_MSG_PAGE_TARGET_REVOKED, NULL);
        return;
    }
    if (!desktop_record_open(ctx->app, d->t.id, d->t.record, &d->rec)) {
        wx_log(WX_LOG_ERROR, "desktop_record_unreadable", "rid", r->id, NULL);
        reply_page(r, 500, "record_unreadable", WX_MSG_PAGE_DESKTOP_FINISH_FAILED, NULL);
        return;
    }
    /* The token is this desktop's own: issued now, with an id of its own. */
    d->rec.iat = wx_now();
    d->rec.exp =
        d->rec.iat + (f->pool.token_ttl > 0 ? f->pool.token_ttl : ctx->app->cfg->token_ttl);
    if (wx_rand_alnum(d->rec.jti, 22) != WX_OK) {
        reply_page(r, 500, "internal_error", WX_MSG_PAGE_FINISH_UNAVAILABLE, NULL);
        return;
    }
    handle_read(r->worker, finish_user_run, finish_user_done, d);
}

static void
on_taken(wx_status_t rc, const wx_err_t *err, void *arg)
{
    dfinish_t *d = arg;
    http_req_t *r = d->r;
    switch (rc) {
    case WX_OK:
        break;
    case WX_ENOENT:
        reply_page(r, 404, "unknown_ticket", WX_MSG_PAGE_DESKTOP_UNKNOWN_TICKET, NULL);
        return;
    case WX_EDENIED:
        if (d->t.status == STORE_TICKET_REFUSED)
            reply_page(r, 403, "desktop_refused", WX_MSG_PAGE_DESKTOP_REFUSED_ON_PHONE, NULL);
        else
            reply_page(r, 403, "other_browser", WX_MSG_PAGE_DESKTOP_OTHER_BROWSER, NULL);
        return;
    case WX_EUSED:
        reply_page(r, 400, "ticket_used", WX_MSG_PAGE_DESKTOP_ALREADY_USED, NULL);
        return;
    case WX_EEXPIRED:
        reply_page(r, 410, "ticket_expired", WX_MSG_PAGE_DESKTOP_EXPIRED, NULL);
        return;
    case WX_EBUSY:
        reply_page(r, 409, "not_confirmed", WX_MSG_PAGE_DESKTOP_NOT_CONFIRMED, NULL);
        return;
    default:
        wx_log(WX_LOG_ERROR, "desktop_take_failed", "rid", r->id, "error", err->msg, "detail",
               err->detail, NULL);
        reply_page(r, 503, "store_unavailable", WX_MSG_PAGE_FINISH_UNAVAILABLE, NULL);
        return;
    }
    wx_strlcpy(d->f.pool_id, d->t.pool_id, sizeof(d->f.pool_id));
    wx_strlcpy(d->f.identifier, d->t.conn_identifier, sizeof(d->f.identifier));
    wx_strlcpy(d->f.app_id, d->t.app_id, sizeof(d->f.app_id));
    conf_fetch(r->worker, &d->f, finish_conf_read, d);
}

void
handle_desktop_finish(http_req_t *r)
{
    worker_ctx_t *ctx = handle_ctx(r);
    const char *id = wx_query_get(&r->query, "t");
    char client[64];
    wx_err_t err = {0};
    if (strcmp(r->method, "HEAD") == 0) { /* a link checker must not take the login */
        http_add_header(r, "Allow", "GET");
        reply_page(r, 405, "head_refused", WX_MSG_PAGE_OPEN_IN_BROWSER, NULL);
        return;
    }
    if (!handle_rate_allow(r, LOGIN_RATE_CALLBACK, client, sizeof(client)))
        return;
    if (!ticket_id_valid(id)) {
        reply_page(r, 400, "bad_ticket", WX_MSG_PAGE_INVALID_LINK,
                   &(http_page_t){.detail = "The link has no valid ticket (t)."});
        return;
    }
    dfinish_t *d = calloc(1, sizeof(*d));
    if (!d || !browser_hash(r, d->browser)) {
        free(d);
        reply_page(r, 503, "internal_error", WX_MSG_PAGE_BUSY, NULL);
        return;
    }
    d->r = r;
    wx_strlcpy(d->id, id, sizeof(d->id));
    r->data = d;
    r->data_free = dfinish_free;
    if (store_writer_submit(ctx->app->writer, r->worker->base, take_run, on_taken, d, &err) !=
        WX_OK)
        on_taken(err.status ? err.status : WX_EBUSY, &err, d);
}

/* ---- the phone ---- */

typedef struct {
    http_req_t *r;
    char id[STORE_ID_MAX];
    store_ticket_t t;
} dscan_t;

static wx_status_t
scan_read_run(store_t *st, void *arg, wx_err_t *err)
{
    dscan_t *d = arg;
    return store_ticket_get(st, d->id, &d->t, err);
}

static void
reply_expired_phone(http_req_t *r)
{
    reply_page(r, 410, "ticket_expired", WX_MSG_PAGE_DESKTOP_PHONE_EXPIRED, NULL);
}

static void
on_scan_read(wx_status_t rc, const wx_err_t *err, void *arg)
{
    dscan_t *d = arg;
    http_req_t *r = d->r;
    const wx_config_t *cfg = handle_ctx(r)->app->cfg;
    if (rc == WX_ENOENT) {
        reply_page(r, 404, "unknown_ticket", WX_MSG_PAGE_DESKTOP_PHONE_UNKNOWN_TICKET, NULL);
        return;
    }
    if (rc != WX_OK) {
        wx_log(WX_LOG_WARN, "desktop_scan_read_failed", "rid", r->id, "error", err->msg, NULL);
        reply_page(r, 503, "store_unavailable", WX_MSG_PAGE_START_UNAVAILABLE, NULL);
        return;
    }
    bool follow = strcmp(d->t.method, DESKTOP_METHOD_FOLLOW) == 0;
    /* A scan ticket is scanned here; a follow ticket's link comes in the account's reply to
     * the follower, so it opens only once a follower is recorded (SCANNED). */
    store_ticket_status_t open_at = follow ? STORE_TICKET_SCANNED : STORE_TICKET_PENDING;
    if ((d->t.status == STORE_TICKET_PENDING || d->t.status == STORE_TICKET_SCANNED) &&
        wx_now() >= d->t.expires_at) {
        reply_expired_phone(r);
        return;
    }
    if (follow && d->t.status == STORE_TICKET_PENDING) {
        reply_page(r, 409, "follow_not_scanned", WX_MSG_PAGE_DESKTOP_FOLLOW_NOT_SCANNED, NULL);
        return;
    }
    if (d->t.status != open_at) {
        reply_page(r, 409, "ticket_used", WX_MSG_PAGE_DESKTOP_PHONE_USED, NULL);
        return;
    }
    /* The phone's own WeChat login (start.c); r's data is the start's from here. */
    store_ticket_t *t = malloc(sizeof(*t));
    char landing[STORE_URL_MAX];
    if (!t ||
        !wx_snprintf(landing, sizeof(landing), "%s/desktop/phone?t=%s", cfg->public_url, d->t.id)) {
        free(t);
        reply_page(r, 503, "internal_error", WX_MSG_PAGE_BUSY, NULL);
        return;
    }
    *t = d->t;
    r->data = NULL;
    r->data_free = NULL;
    free(d);
    r->outcome = "desktop_scan";
    handle_start_ticket(r, t, landing);
    OPENSSL_cleanse(t, sizeof(*t));
    free(t);
}

void
handle_desktop_scan(http_req_t *r)
{
    const char *id = wx_query_get(&r->query, "t");
    char client[64];
    if (strcmp(r->method, "HEAD") == 0) {
        http_add_header(r, "Allow", "GET");
        reply_page(r, 405, "head_refused", WX_MSG_PAGE_DESKTOP_NOT_IN_WECHAT, NULL);
        return;
    }
    if (!ticket_id_valid(id)) {
        reply_page(r, 400, "bad_ticket", WX_MSG_PAGE_DESKTOP_BAD_QR, NULL);
        return;
    }
    /* Every scan reads the store; a pending ticket's scan then starts a login (start.c, under
     * the start's own limit). */
    if (!handle_rate_allow(r, LOGIN_RATE_CALLBACK, client, sizeof(client)))
        return;
    if (!in_wechat(r) && !handle_ctx(r)->app->cfg->desktop_scan_outside_wechat) {
        /* Another desktop (or a plain browser) that got the link: nothing is touched. (The demo's
         * scan_outside_wechat lets the emulator's desktop tab play the phone.) */
        reply_page(r, 403, "not_in_wechat", WX_MSG_PAGE_DESKTOP_NOT_IN_WECHAT, NULL);
        return;
    }
    dscan_t *d = calloc(1, sizeof(*d));
    if (!d) {
        reply_page(r, 503, "internal_error", WX_MSG_PAGE_BUSY, NULL);
        return;
    }
    d->r = r;
    wx_strlcpy(d->id, id, sizeof(d->id));
    r->data = d;
    r->data_free = free;
    handle_read(r->worker, scan_read_run, on_scan_read, d);
}

/* Where a ticket's phone login ends on an error (its state's target). Only the code is read:
 * the page says what it means in our own words, so a crafted link cannot put text of its
 * choosing on this site's page. */
void
handle_desktop_phone(http_req_t *r)
{
    const char *code_s = wx_query_get(&r->query, "code");
    long code = 0;
    wx_msg_id_t id = WX_MSG_PAGE_DESKTOP_PHONE_FAILED;
    if (!code_s || !wx_parse_long(code_s, -1000000, 1000000, &code))
        code = 0;
    switch (code) {
    case AUTHING_CODE_DENIED:
        id = WX_MSG_PAGE_DESKTOP_PHONE_DENIED;
        break;
    case AUTHING_CODE_BLOCKED:
        id = WX_MSG_PAGE_DESKTOP_PHONE_BLOCKED;
        break;
    case AUTHING_CODE_SNAPSHOT:
        id = WX_MSG_PAGE_DESKTOP_PHONE_SNAPSHOT;
        break;
    case AUTHING_CODE_WECHAT_DOWN:
        id = WX_MSG_PAGE_DESKTOP_PHONE_WECHAT_DOWN;
        break;
    case AUTHING_CODE_NOT_FOLLOWER: /* callback.c: nobody's login was recorded */
        id = WX_MSG_PAGE_DESKTOP_FOLLOW_OTHER_USER;
        break;
    default:
        break;
    }
    reply_page(r, 200, "desktop_phone_error", id, &(http_page_t){.code = code});
}

/* After the phone's WeChat login: the ticket is bound to it, then the confirmation. */
typedef struct {
    http_req_t *r;
    const app_t *app;
    char id[STORE_ID_MAX];
    char state_id[STORE_ID_MAX];
    char phone[65];
    char follower[65]; /* desktop_follower_hash of the phone's openid */
    char sealed[STORE_TICKET_RECORD_MAX];
    bool follow; /* a follow ticket: read, not changed (its follower is bound already) */
    store_ticket_t t;
} dscanned_t;

static wx_status_t
scanned_run(store_t *st, void *arg, wx_err_t *err)
{
    dscanned_t *d = arg;
    int64_t now = wx_now();
    wx_status_t rc = store_ticket_get(st, d->id, &d->t, err);
    if (rc != WX_OK)
        return rc;
    d->follow = strcmp(d->t.method, DESKTOP_METHOD_FOLLOW) == 0;
    if (d->follow)
        return WX_OK;
    return store_ticket_scan(st, d->id, d->state_id, d->phone, d->sealed, now,
                             now + d->app->cfg->desktop_confirm_ttl, &d->t, err);
}

/* The confirmation form's phone for ticket t: its binding hash, and for a follow ticket
 * the follower's hash after it. */
static bool
form_phone(const char *phone, const store_ticket_t *t, char *out, size_t n)
{
    if (strcmp(t->method, DESKTOP_METHOD_FOLLOW) == 0)
        return wx_snprintf(out, n, "%s|%s", phone, t->phone_browser);
    return wx_strlcpy(out, phone, n);
}

static void
confirm_page(http_req_t *r, const dscanned_t *d)
{
    const store_ticket_t *t = &d->t;
    const wx_msg_t *m = wx_msg(WX_MSG_PAGE_DESKTOP_CONFIRM);
    wx_buf_t b;
    char host[256], ua[128], when[64], csrf[33], phone[140];
    time_t bj = (time_t)(t->created_at + 8 * 3600); /* China Standard Time, no DST */
    struct tm tm;
    int64_t ago = wx_now() - t->created_at;
    if (!form_phone(d->phone, t, phone, sizeof(phone)) ||
        !confirm_token(d->app, t->id, phone, csrf)) {
        reply_page(r, 500, "internal_error", WX_MSG_PAGE_BUSY, NULL);
        return;
    }
    url_host(t->redirect, host, sizeof(host));
    ua_summary(t->desktop_ua, ua, sizeof(ua));
    gmtime_r(&bj, &tm);
    strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
    wx_buf_init(&b, 65536);
    page_head(&b, m);
    wx_buf_puts(&b, "<main id=\"wx-confirm\"><h1>");
    http_html_escape(&b, m->title_zh);
    wx_buf_puts(&b, "</h1><p class=\"en\">");
    http_html_escape(&b, m->title_en);
    wx_buf_puts(&b, "</p><div class=\"box\"><p>网站 Site：<b id=\"site\">");
    http_html_escape(&b, t->site[0] ? t->site : host);
    wx_buf_puts(&b, "</b><br>登录后返回 Returns to：<b id=\"host\">");
    http_html_escape(&b, host);
    wx_buf_puts(&b, "</b></p><p>电脑 Computer：IP <b id=\"desktop-ip\">");
    http_html_escape(&b, t->desktop_ip);
    wx_buf_puts(&b, "</b><br>浏览器 Browser：<b id=\"desktop-browser\">");
    http_html_escape(&b, ua);
    wx_buf_printf(&b,
                  "</b><br>时间 Time：<b id=\"desktop-time\">%s</b> 北京时间 (Beijing time)，约 "
                  "%lld 秒前 (%lld s ago)</p></div>",
                  when, (long long)(ago > 0 ? ago : 0), (long long)(ago > 0 ? ago : 0));
    wx_buf_puts(&b, "<p class=\"warn\">");
    http_html_escape(&b, m->zh);
    wx_buf_puts(&b, "<br><small>");
    http_html_escape(&b, m->en);
    wx_buf_puts(&b, "</small></p><form method=\"post\" action=\"/desktop/confirm\">");
    wx_buf_printf(&b,
                  "<input type=\"hidden\" name=\"t\" value=\"%s\"><input type=\"hidden\" "
                  "name=\"csrf\" value=\"%s\">",
                  t->id, csrf);
    if (strcmp(t->method, DESKTOP_METHOD_FOLLOW) == 0) {
        /* The follower's login record, sealed for this ticket (the follow ticket is not
         * rebound to this phone: the decision checks it is the follower's). */
        wx_buf_puts(&b, "<input type=\"hidden\" name=\"r\" value=\"");
        http_html_escape(&b, d->sealed);
        wx_buf_puts(&b, "\">");
    }
    wx_buf_puts(&b, "<button class=\"ok\" id=\"confirm\" name=\"action\" value=\"confirm\" "
                    "type=\"submit\">确认登录 · Confirm</button><button id=\"refuse\" "
                    "name=\"action\" value=\"refuse\" type=\"submit\">拒绝 · Refuse</button>"
                    "</form></main>");
    r->outcome = "desktop_confirm_page";
    page_reply(r, 200, &b);
    wx_buf_free(&b);
}

static void
decided_page(http_req_t *r, store_ticket_status_t status)
{
    if (status == STORE_TICKET_CONFIRMED || status == STORE_TICKET_USED)
        reply_page(r, 200, "desktop_confirmed", WX_MSG_PAGE_DESKTOP_CONFIRMED, NULL);
    else
        reply_page(r, 200, "desktop_refused", WX_MSG_PAGE_DESKTOP_REFUSED, NULL);
}

/* A follow ticket's phone, logged in by webpage authorization: the follower itself, or a
 * link forwarded to someone else. */
static void
follow_phone(http_req_t *r, dscanned_t *d)
{
    const store_ticket_t *t = &d->t;
    if (t->status == STORE_TICKET_PENDING) {
        reply_page(r, 409, "follow_not_scanned", WX_MSG_PAGE_DESKTOP_FOLLOW_NOT_SCANNED, NULL);
        return;
    }
    if (!t->phone_browser[0] || !d->follower[0] ||
        !wx_ct_equal(t->phone_browser, strlen(t->phone_browser), d->follower,
                     strlen(d->follower))) {
        wx_log(WX_LOG_WARN, "follow_link_other_user", "rid", r->id, "pool", t->pool_id,
               "connection", t->conn_identifier, NULL);
        reply_page(r, 403, "follow_other_user", WX_MSG_PAGE_DESKTOP_FOLLOW_OTHER_USER, NULL);
        return;
    }
    if (t->status == STORE_TICKET_SCANNED && wx_now() >= t->expires_at) {
        reply_expired_phone(r);
        return;
    }
    if (t->status == STORE_TICKET_SCANNED)
        confirm_page(r, d);
    else
        decided_page(r, t->status);
}

static void
on_scanned(wx_status_t rc, const wx_err_t *err, void *arg)
{
    dscanned_t *d = arg;
    http_req_t *r = d->r;
    if (rc == WX_OK && d->follow) {
        follow_phone(r, d);
        OPENSSL_cleanse(d, sizeof(*d));
        free(d);
        return;
    }
    switch (rc) {
    case WX_OK:
        desktop_ticket_changed(d->id);
        if (d->t.status == STORE_TICKET_SCANNED)
            confirm_page(r, d);
        else
            decided_page(r, d->t.status);
        break;
    case WX_EUSED:
        reply_page(r, 409, "ticket_used", WX_MSG_PAGE_DESKTOP_PHONE_USED, NULL);
        break;
    case WX_EEXPIRED:
        reply_expired_phone(r);
        break;
    case WX_ENOENT:
        reply_page(r, 404, "unknown_ticket", WX_MSG_PAGE_DESKTOP_PHONE_UNKNOWN_TICKET, NULL);
        break;
    default:
        wx_log(WX_LOG_ERROR, "desktop_scan_failed", "rid", r->id, "error", err->msg, "detail",
               err->detail, NULL);
        reply_page(r, 503, "store_unavailable", WX_MSG_PAGE_FINISH_UNAVAILABLE, NULL);
        break;
    }
    OPENSSL_cleanse(d, sizeof(*d));
    free(d);
}

void
desktop_phone_scanned(http_req_t *r, worker_ctx_t *ctx, const char *ticket_id, const char *state_id,
                      const char *phone_browser, const login_record_t *rec)
{
    wx_err_t err = {0};
    dscanned_t *d = calloc(1, sizeof(*d));
    if (!d || !wx_strlcpy(d->id, ticket_id, sizeof(d->id)) ||
        !wx_strlcpy(d->state_id, state_id, sizeof(d->state_id)) ||
        !wx_strlcpy(d->phone, phone_browser, sizeof(d->phone)) ||
        desktop_follower_hash(rec->openid, d->follower) != WX_OK ||
        desktop_record_seal(ctx->app, ticket_id, rec, d->sealed, &err) != WX_OK) {
        free(d);
        reply_page(r, 503, "internal_error", WX_MSG_PAGE_BUSY, NULL);
        return;
    }
    d->r = r;
    d->app = ctx->app;
    wx_snprintf(r->log_extra, sizeof(r->log_extra), "ticket_scan=1");
    if (store_writer_submit(ctx->app->writer, r->worker->base, scanned_run, on_scanned, d, &err) !=
        WX_OK)
        on_scanned(err.status ? err.status : WX_EBUSY, &err, d);
}

static void
reply_bad_csrf(http_req_t *r)
{
    reply_page(r, 403, "bad_csrf", WX_MSG_PAGE_DESKTOP_CONFIRM_STALE, NULL);
}

/* POST /desktop/confirm: t, csrf, action=confirm|refuse, from the confirmation page. */
typedef struct {
    http_req_t *r;
    const app_t *app;
    char id[STORE_ID_MAX];
    char phone[65];
    char csrf[33];
    char record[STORE_TICKET_RECORD_MAX]; /* follow: the phone's sealed login record (form) */
    bool confirm;
    bool follow; /* the form's token is not a scan ticket's: a follow ticket's? */
    store_ticket_t t;
} ddecide_t;

static void
ddecide_free(void *p)
{
    ddecide_t *d = p;
    OPENSSL_cleanse(d, sizeof(*d));
    free(d);
}

/* A follow ticket's confirmation, in one transaction: the form's token checked against the
 * ticket's follower, the login record the phone's webpage authorization made (sealed for the
 * ticket, carried by the form: its user was upserted then, as in any login) must be the
 * follower's, and the ticket becomes CONFIRMED with it (or REFUSED). */
static wx_status_t
decide_follow_run(store_t *st, ddecide_t *d, wx_err_t *err)
{
    char phone[140], want[33], fh[65];
    login_record_t rec = {0};
    int64_t now = wx_now();
    wx_status_t rc = store_ticket_get(st, d->id, &d->t, err);
    if (rc != WX_OK)
        return rc;
    if (strcmp(d->t.method, DESKTOP_METHOD_FOLLOW) != 0 || !d->t.phone_browser[0] ||
        !form_phone(d->phone, &d->t, phone, sizeof(phone)) ||
        !confirm_token(d->app, d->id, phone, want) ||
        !wx_ct_equal(want, strlen(want), d->csrf, strlen(d->csrf))) {
        memset(&d->t, 0, sizeof(d->t));
        return wx_err_set(err, WX_EDENIED, "not this ticket's confirmation page");
    }
    store_ticket_status_t to = d->confirm ? STORE_TICKET_CONFIRMED : STORE_TICKET_REFUSED;
    if (d->t.status == to || (d->confirm && d->t.status == STORE_TICKET_USED))
        return WX_OK; /* a repeated POST, or our own decision committed before a lost COMMIT */
    if (d->t.status != STORE_TICKET_SCANNED)
        return wx_err_set(err, WX_EUSED, "this login was already decided");
    if (now >= d->t.expires_at)
        return wx_err_set(err, WX_EEXPIRED, "this QR code expired");
    if (!d->confirm)
        return store_ticket_refuse(st, d->id, now, &d->t, err);
    bool mine = desktop_record_open(d->app, d->id, d->record, &rec) &&
                desktop_follower_hash(rec.openid, fh) == WX_OK &&
                wx_ct_equal(fh, strlen(fh), d->t.phone_browser, strlen(d->t.phone_browser));
    OPENSSL_cleanse(&rec, sizeof(rec));
    if (!mine) {
        memset(&d->t, 0, sizeof(d->t));
        return wx_err_set(err, WX_EDENIED, "the form's login is not the follower's");
    }
    return store_ticket_complete(st, d->id, d->record, now, &d->t, err);
}

static wx_status_t
decide_run(store_t *st, void *arg, wx_err_t *err)
{
    ddecide_t *d = arg;
    if (d->follow)
        return decide_follow_run(st, d, err);
    return store_ticket_decide(st, d->id, d->phone, d->confirm, wx_now(), &d->t, err);
}

static void
on_decided(wx_status_t rc, const wx_err_t *err, void *arg)
{
    ddecide_t *d = arg;
    http_req_t *r = d->r;
    if (rc == WX_OK && d->follow)
        wx_log(WX_LOG_INFO, "follow_login", "rid", r->id, "pool", d->t.pool_id, "connection",
               d->t.conn_identifier, "outcome",
               d->t.status == STORE_TICKET_REFUSED ? "refused_on_phone" : "login_completed", NULL);
    switch (rc) {
    case WX_OK:
        desktop_ticket_changed(d->id);
        decided_page(r, d->t.status);
        return;
    case WX_EUSED:
        reply_page(r, 409, "ticket_used", WX_MSG_PAGE_DESKTOP_ALREADY_DECIDED, NULL);
        return;
    case WX_EEXPIRED:
        reply_expired_phone(r);
        return;
    case WX_EDENIED:
    case WX_ENOENT:
        if (d->follow) {
            reply_bad_csrf(r);
            return;
        }
        reply_page(r, 403, "other_phone", WX_MSG_PAGE_DESKTOP_OTHER_PHONE, NULL);
        return;
    default:
        wx_log(WX_LOG_ERROR, "desktop_decide_failed", "rid", r->id, "error", err->msg, "detail",
               err->detail, NULL);
        reply_page(r, 503, "store_unavailable", WX_MSG_PAGE_DESKTOP_CONFIRM_UNAVAILABLE, NULL);
        return;
    }
}

void
handle_desktop_confirm(http_req_t *r)
{
    worker_ctx_t *ctx = handle_ctx(r);
    const wx_config_t *cfg = ctx->app->cfg;
    wx_query_t form = {0};
    wx_err_t err = {0};
    char client[64], want[33];
    const char *origin = http_req_header(r, "Origin");
    ddecide_t *d = NULL;
    if (!handle_rate_allow(r, LOGIN_RATE_CALLBACK, client, sizeof(client)))
        return;
    /* A form posted from another site's page never counts (CSRF), whatever it carries. */
    if (origin && strcmp(origin, "null") != 0 && strcmp(origin, cfg->public_url) != 0) {
        reply_page(r, 403, "bad_origin", WX_MSG_PAGE_INVALID_REQUEST,
                   &(http_page_t){.detail = "The form was posted from another site (Origin); it "
                                            "must come from this site's confirmation page."});
        return;
    }
    if (handle_form_parse(r, &form, &err) != WX_OK) {
        reply_page(r, 400, "bad_form", WX_MSG_PAGE_INVALID_REQUEST,
                   &(http_page_t){.detail = "The form could not be read."});
        goto out;
    }
    const char *id = wx_query_get(&form, "t");
    const char *csrf = wx_query_get(&form, "csrf");
    const char *action = wx_query_get(&form, "action");
    if (!ticket_id_valid(id) || !csrf || !action ||
        (strcmp(action, "confirm") != 0 && strcmp(action, "refuse") != 0)) {
        reply_page(r, 400, "bad_form", WX_MSG_PAGE_INVALID_REQUEST,
                   &(http_page_t){.detail = "The form needs t, csrf and action=confirm|refuse."});
        goto out;
    }
    d = calloc(1, sizeof(*d));
    if (!d || !browser_hash(r, d->phone) || !confirm_token(ctx->app, id, d->phone, want)) {
        free(d);
        reply_page(r, 503, "internal_error", WX_MSG_PAGE_BUSY, NULL);
        goto out;
    }
    /* Not a scan ticket's token: a follow ticket's, which names the ticket's follower too
     * (checked against the row in the decision's own transaction), or nothing. */
    d->follow = !wx_ct_equal(want, strlen(want), csrf, strlen(csrf));
    const char *record = wx_query_get(&form, "r");
    if (d->follow && (strlen(csrf) != 32 || !wx_strlcpy(d->csrf, csrf, sizeof(d->csrf)) ||
                      !wx_strlcpy(d->record, record ? record : "", sizeof(d->record)))) {
        free(d);
        reply_bad_csrf(r);
        goto out;
    }
    d->r = r;
    d->app = ctx->app;
    d->confirm = strcmp(action, "confirm") == 0;
    wx_strlcpy(d->id, id, sizeof(d->id));
    r->data = d;
    r->data_free = ddecide_free;
    if (store_writer_submit(ctx->app->writer, r->worker->base, decide_run, on_decided, d, &err) !=
        WX_OK)
        on_decided(err.status ? err.status : WX_EBUSY, &err, d);
out:
    wx_query_free(&form);
}
