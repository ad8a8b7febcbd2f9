/* Start of a login (DESIGN.md §1): resolve pool, application and connection for every Authing
 * client generation, check the redirect target against the allow-lists, create a single-use
 * state bound to this browser, and send the browser to WeChat's authorize page. The state is
 * written by the process's store writer (store/writer.h); the redirect leaves once it is
 * committed, so the callback finds it on any worker or node. */
#include "ctx.h"
#include "desktop.h"
#include "follow.h"
#include "reads.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "../http/reply.h"
#include "../proto/redirect.h"
#include "../util/cidr.h"
#include "../util/clock.h"
#include "../util/log.h"
#include "../util/rand.h"

#define DEFAULT_IDENTIFIER "wechat:webpage-authorization"

typedef struct {
    store_pool_t pool;
    store_app_t app;
    store_conn_t conn;
    store_state_t state;
} start_t;

/* Why the store refused a new state (the caps on pending logins). */
typedef enum {
    START_CAP_NONE = 0,
    START_CAP_ADDRESS, /* [limits] pending_per_address */
    START_CAP_TOTAL,   /* [limits] pending_total */
} start_cap_t;

/* What the redirect needs once the state is committed. */
typedef struct {
    http_req_t *r;
    const app_t *app;
    store_state_t state;
    char *authorize_url;
    start_cap_t capped; /* set by the writer thread */
    bool caps_passed;   /* the writer's first run passed the caps (a rerun need not again) */
    bool counted;       /* the state is in limits->total_added */
} start_pending_t;

static void
pending_free(void *p)
{
    start_pending_t *sp = p;
    free(sp->authorize_url);
    free(sp);
}

/* How long the total of pending states read from the store is trusted: it is counted at most
 * once a second per process (the states this process adds meanwhile are added to it), so a
 * flood at the cap does not count up to pending_total rows on every start. */
#define TOTAL_READ_EVERY_MS 1000

/* On the writer thread: the caps on unfinished logins, then the new state. The counts are read
 * in the transaction that inserts, so one process never goes past a cap; processes on one
 * PostgreSQL may together pass it by the few states they insert at the same moment. */
static wx_status_t
state_create_run(store_t *st, void *arg, wx_err_t *err)
{
    start_pending_t *sp = arg;
    const wx_config_t *cfg = sp->app->cfg;
    login_limits_t *lim = sp->app->limits;
    int64_t now = sp->state.created_at, n = 0;
    wx_status_t rc;
    /* Run again after a lost COMMIT: the state may already be there (its id is ours: 142
     * random bits). Only a job whose first run passed the caps skips them: one the first run
     * refused is checked again, so a rerun never lets a capped login through. */
    bool rerun = store_writer_rerunning();
    bool check = !(rerun && sp->caps_passed);
    sp->capped = START_CAP_NONE; /* a refusal of an earlier run never turns an error into 429 */
    if (check && cfg->pending_per_address > 0 && sp->state.client_ip[0]) {
        rc = store_state_pending_count(st, sp->state.client_ip, now, cfg->pending_per_address, &n,
                                       err);
        if (rc != WX_OK)
            return rc;
        if (n >= cfg->pending_per_address) {
            sp->capped = START_CAP_ADDRESS;
            return wx_err_set(err, WX_EDENIED, "too many unfinished logins from this address");
        }
    }
    if (check && cfg->pending_total > 0) {
        int64_t ms = wx_mono_ms(), cap = cfg->pending_total;
        /* Read again when the count is old, or when only this process's own new states put
         * the estimate at the cap (then confirm before refusing); a cap the store confirmed
         * is not read again for a second, so a flood at it costs no counting. */
        bool stale = lim->total_read_ms == 0 || ms - lim->total_read_ms >= TOTAL_READ_EVERY_MS;
        bool grown = lim->total_added > 0 && lim->total_seen < cap &&
                     lim->total_seen + lim->total_added >= cap;
        if (stale || grown) {
            rc = store_state_pending_count(st, NULL, now, cfg->pending_total, &n, err);
            if (rc != WX_OK)
                return rc;
            lim->total_seen = n;
            lim->total_added = 0;
            lim->total_read_ms = ms;
        }
        if (lim->total_seen + lim->total_added >= cap) {
            sp->capped = START_CAP_TOTAL;
            return wx_err_set(err, WX_EDENIED, "too many unfinished logins in all");
        }
    }
    sp->caps_passed = true;
    rc = store_state_create(st, &sp->state, err);
    if (rc == WX_EEXIST && rerun) {
        wx_err_clear(err);
        rc = WX_OK;
    } else if (rc == WX_OK && !sp->counted) {
        lim->total_added++; /* once per state, however many runs inserted it */
        sp->counted = true;
    }
    return rc;
}

/* The 429 of the login endpoints: Chinese first, when to come back (Retry-After), logged by
 * the caller. */
void
handle_reply_limited(http_req_t *r, int retry_after_s, const char *outcome)
{
    char ra[16];
    wx_snprintf(ra, sizeof(ra), "%d", retry_after_s > 0 ? retry_after_s : 1);
    r->outcome = outcome;
    http_add_header(r, "Retry-After", ra);
    http_reply_page(r, 429, WX_MSG_PAGE_RATE_LIMITED, &(http_page_t){.arg = ra});
}

bool
handle_rate_allow(http_req_t *r, login_rate_kind_t kind, char *key, size_t n)
{
    worker_ctx_t *ctx = handle_ctx(r);
    char ip[64];
    int retry = 0;
    bool first = false;
    http_req_ip(r, ip, sizeof(ip));
    wx_ip_client_key(ip, key, n);
    if (login_rate_take(ctx->app->limits, kind, key, wx_mono_ms(), &retry, &first))
        return true;
    if (first) /* once per address and bout: the access log has every refusal */
        wx_log(WX_LOG_WARN, "login_rate_limited", "rid", r->id, "ip", ip, "endpoint",
               kind == LOGIN_RATE_START ? "start" : "callback", NULL);
    handle_reply_limited(r, retry, "rate_limited");
    return false;
}

/* The store could not be read or written (down, restarting, full): nothing was sent to WeChat,
 * so trying again in a moment is all the user has to do. */
static void
start_store_unavailable(http_req_t *r)
{
    r->outcome = "store_unavailable";
    http_reply_page(r, 503, WX_MSG_PAGE_START_UNAVAILABLE, NULL);
}

/* A link that cannot be a login link; detail says which part, for the developer. */
static void
start_invalid(http_req_t *r, const char *detail)
{
    http_reply_page(r, 400, WX_MSG_PAGE_INVALID_LINK, &(http_page_t){.detail = detail});
}

/* Out of memory: nothing was stored, trying again is all there is to do. */
static void
start_busy(http_req_t *r)
{
    http_reply_page(r, 503, WX_MSG_PAGE_BUSY, NULL);
}

static void
on_state_created(wx_status_t rc, const wx_err_t *err, void *arg)
{
    start_pending_t *sp = arg;
    http_req_t *r = sp->r;
    if (rc != WX_OK && sp->capped != START_CAP_NONE) {
        const app_t *app = sp->app;
        bool total = sp->capped == START_CAP_TOTAL;
        char cap[24];
        wx_snprintf(cap, sizeof(cap), "%d",
                    total ? app->cfg->pending_total : app->cfg->pending_per_address);
        wx_log(WX_LOG_WARN, total ? "login_pending_total_cap" : "login_pending_address_cap", "rid",
               r->id, "ip", sp->state.client_ip, "#cap", cap, NULL);
        /* Unfinished logins end within state_ttl; most come back from WeChat far sooner. */
        handle_reply_limited(r, 60, total ? "pending_total_cap" : "pending_address_cap");
        return;
    }
    if (rc != WX_OK) {
        wx_log(WX_LOG_ERROR, "state_create_failed", "rid", r->id, "error", err->msg, "detail",
               err->detail, NULL);
        if (rc == WX_ESTORE || rc == WX_EBUSY || rc == WX_ENOMEM)
            start_store_unavailable(r);
        else if (rc == WX_EINVAL || rc == WX_ETOOBIG) /* the link's own values (redirect_url) */
            http_reply_page(r, 400, WX_MSG_PAGE_INVALID_LINK, &(http_page_t){.detail = err->msg});
        else
            http_reply_page(r, 500, WX_MSG_PAGE_START_FAILED, NULL);
        return;
    }
    r->outcome = "to_wechat";
    wx_snprintf(r->log_extra, sizeof(r->log_extra), "pool=%s conn=%s app=%s", sp->state.pool_id,
                sp->state.conn_identifier, sp->state.app_id);
    http_reply_redirect(r, sp->authorize_url); /* frees sp */
}

/* A state id: 8 base62 digits of the time in ms, then 24 random letters and digits (142 bits,
 * so still unguessable). Ids made one after the other sort together, so the store's index on
 * them grows at its end instead of dirtying a random page per login (issue #10: disk written
 * per login). */
static wx_status_t
state_id_make(char out[STORE_ID_MAX])
{
    static const char digits[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    uint64_t ms = (uint64_t)wx_now_ms();
    for (int i = 7; i >= 0; i--) {
        out[i] = digits[ms % 62];
        ms /= 62;
    }
    return wx_rand_alnum(out + 8, 24);
}

const char *
handle_bind_cookie_name(const wx_config_t *cfg)
{
    return strncmp(cfg->public_url, "https://", 8) == 0 ? BIND_COOKIE_HOST : BIND_COOKIE;
}

wx_status_t
handle_bind_key_derive(const seal_key_t *master, unsigned char out[32], wx_err_t *err)
{
    static const char label[] = "wxauth browser-binding cookie v1";
    unsigned int n = 0;
    if (!HMAC(EVP_sha256(), master->k, sizeof(master->k), (const unsigned char *)label,
              sizeof(label) - 1, out, &n) ||
        n != 32)
        return wx_err_set(err, WX_ECRYPTO, "cannot derive the browser-binding key");
    return WX_OK;
}

/* The MAC part of a binding value whose first BIND_RANDOM_LEN characters are v. */
static bool
bind_mac(const app_t *app, const char *v, char out[33])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (!HMAC(EVP_sha256(), app->bind_key, sizeof(app->bind_key), (const unsigned char *)v,
              BIND_RANDOM_LEN, md, &n) ||
        n < 16)
        return false;
    wx_hex_encode(md, 16, out);
    return true;
}

/* Was v issued by this server (any node)? Anything else — a value a page, a sibling site or
 * an attacker chose, or one of the old unsigned values — is ignored and replaced. */
static bool
bind_valid(const app_t *app, const char *v)
{
    char mac[33];
    if (strlen(v) != BIND_COOKIE_LEN)
        return false;
    for (size_t i = 0; i < BIND_RANDOM_LEN; i++)
        if (!((v[i] >= 'a' && v[i] <= 'z') || (v[i] >= 'A' && v[i] <= 'Z') ||
              (v[i] >= '0' && v[i] <= '9')))
            return false;
    return bind_mac(app, v, mac) && CRYPTO_memcmp(mac, v + BIND_RANDOM_LEN, 32) == 0;
}

static bool
bind_new(const app_t *app, char out[BIND_COOKIE_LEN + 1])
{
    char mac[33];
    if (wx_rand_alnum(out, BIND_RANDOM_LEN) != WX_OK || !bind_mac(app, out, mac))
        return false;
    memcpy(out + BIND_RANDOM_LEN, mac, 33);
    return true;
}

static bool
flag_set(const char *v)
{
    return v && (strcmp(v, "1") == 0 || strcmp(v, "true") == 0);
}

bool
handle_redirect_allowed(const store_conn_t *conn, const store_app_t *app, const store_pool_t *pool,
                        const char *url)
{
    const char *cb = conn->callback_url;
    return (cb[0] && strcmp(cb, "#") != 0 && redirect_match(cb, url)) ||
           (app && redirect_list_match(app->redirect_urls, url)) ||
           redirect_list_match(pool->redirect_urls, url);
}

/* Is the pattern p (n bytes) already one of the " , "-separated items of b? The same address
 * is often the connection's, the application's and the pool's: listed once. */
static bool
pattern_listed(const wx_buf_t *b, const char *p, size_t n)
{
    const char *s = wx_buf_str(b);
    while (*s) {
        const char *end = strstr(s, " , ");
        size_t len = end ? (size_t)(end - s) : strlen(s);
        if (len == n && memcmp(s, p, n) == 0)
            return true;
        s += len;
        if (end)
            s += 3;
    }
    return false;
}

static void
patterns_add(wx_buf_t *b, const char *list)
{
    for (const char *p = list; p && *p;) {
        size_t len = strcspn(p, "\n");
        size_t keep = len;
        while (keep > 0 && (p[keep - 1] == '\r' || p[keep - 1] == ' '))
            keep--;
        if (keep > 0 && !(keep == 1 && p[0] == '#') && !pattern_listed(b, p, keep)) {
            if (b->len > 0)
                wx_buf_puts(b, " , ");
            wx_buf_append(b, p, keep);
        }
        p += len;
        if (*p)
            p++;
    }
}

void
handle_redirect_patterns(wx_buf_t *b, const store_conn_t *conn, const store_app_t *app,
                         const store_pool_t *pool)
{
    patterns_add(b, conn->callback_url);
    if (app)
        patterns_add(b, app->redirect_urls);
    patterns_add(b, pool->redirect_urls);
    if (b->len == 0)
        wx_buf_puts(b, "(none)");
}

/* A redirect_url we will not send the browser to: say which address was refused, why, for
 * which application and pool, and what is allowed — on the page (for the developer who tries
 * the link; escaped) and in the log — so the developer sees what to fix. */
static void
refuse_target(http_req_t *r, start_t *s, bool have_app, const char *url, const char *why)
{
    wx_buf_t allowed, detail, fix;
    wx_buf_init(&allowed, 8192);
    wx_buf_init(&detail, 16384);
    wx_buf_init(&fix, 4096);
    handle_redirect_patterns(&allowed, &s->conn, have_app ? &s->app : NULL, &s->pool);
    r->outcome = "redirect_not_allowed";
    if (have_app)
        wx_buf_printf(&fix,
                      "register it with `wxauth app update %s --redirect URL` (or in the console: "
                      "Applications > %s > Callback URLs)",
                      s->app.id, s->app.id);
    else
        wx_buf_printf(&fix,
                      "register it with `wxauth pool update %s --redirect URL` (pool-flow pages "
                      "send no app_id)",
                      s->pool.id);
    wx_log(WX_LOG_WARN, "redirect_refused", "rid", r->id, "url", url, "reason", why, "app",
           have_app ? s->app.id : NULL, "app_name", have_app ? s->app.name : NULL, "pool",
           s->pool.id, "identifier", s->conn.identifier, "allowed", wx_buf_str(&allowed), "fix",
           wx_buf_str(&fix), NULL);
    wx_buf_printf(&detail, "Refused redirect_url: %s — %s", url, why);
    if (have_app)
        wx_buf_printf(&detail, " Application: %s (\"%s\") of user pool %s.", s->app.id, s->app.name,
                      s->pool.id);
    else
        wx_buf_printf(&detail, " User pool: %s (pool flow, no app_id).", s->pool.id);
    wx_buf_printf(&detail,
                  " Allowed patterns (connection %s's Callback URL, then the application's and "
                  "the pool's registered callbacks): %s. Fix: send a redirect_url matching one "
                  "of them, or %s.",
                  s->conn.identifier, wx_buf_str(&allowed), wx_buf_str(&fix));
    http_reply_page(r, 400, WX_MSG_PAGE_REDIRECT_NOT_ALLOWED,
                    &(http_page_t){.detail = detail.len ? wx_buf_str(&detail) : why});
    wx_buf_free(&allowed);
    wx_buf_free(&detail);
    wx_buf_free(&fix);
}

/* authing-js-sdk's social.authorize inside WeChat appends redirect_url=<appHost>/interaction/
 * oidc/<uuid>/login (Authing's hosted login page, which then goes to the application's
 * callback). wxauthd has no such page: exactly that path on our own public_url, with the
 * request's own uuid, means "the default callback". Any other URL is checked as usual. */
static bool
hosted_guard_target(http_req_t *r, const char *want)
{
    const char *pub = handle_ctx(r)->app->cfg->public_url;
    static const char mid[] = "/interaction/oidc/", tail[] = "/login";
    char seg[STORE_ID_MAX];
    size_t np = strlen(pub);
    if (strncmp(want, pub, np) != 0 || strncmp(want + np, mid, sizeof(mid) - 1) != 0)
        return false;
    const char *p = want + np + sizeof(mid) - 1;
    size_t m = strcspn(p, "/");
    if (m == 0 || m >= sizeof(seg) || strcmp(p + m, tail) != 0)
        return false;
    memcpy(seg, p, m);
    seg[m] = '\0';
    const char *uuid = wx_query_get(&r->query, "uuid");
    return handle_valid_id(seg) && (!uuid || strcmp(uuid, seg) == 0);
}

/* Where the browser goes after WeChat: redirect_url when the allow-lists permit it, else the
 * connection's Callback URL, else ("#") the application's first registered callback — or, for
 * a pool-flow login (@authing/wxmp 1.0, no application), the pool's first one. */
static bool
pick_target(http_req_t *r, start_t *s, bool have_app, char *out, size_t n)
{
    const char *want = wx_query_get(&r->query, "redirect_url");
    wx_err_t err = {0};
    const char *cb = s->conn.callback_url;
    if (want && *want && hosted_guard_target(r, want)) {
        wx_log(WX_LOG_INFO, "hosted_guard_target", "rid", r->id, "app", have_app ? s->app.id : NULL,
               NULL);
        want = NULL;
    }
    if (want && *want) {
        if (redirect_validate_url(want, &err) != WX_OK) {
            refuse_target(r, s, have_app, want, err.msg);
            return false;
        }
        if (!handle_redirect_allowed(&s->conn, have_app ? &s->app : NULL, &s->pool, want)) {
            refuse_target(r, s, have_app, want,
                          "It matches no registered Callback URL of this application, "
                          "connection or user pool.");
            return false;
        }
        wx_strlcpy(out, want, n);
        return true;
    }
    if (cb[0] && strcmp(cb, "#") != 0 && !strchr(cb, '*') &&
        redirect_validate_url(cb, NULL) == WX_OK) {
        wx_strlcpy(out, cb, n);
        return true;
    }
    if (have_app && redirect_list_first_plain(s->app.redirect_urls, out, n))
        return true;
    if (!have_app && redirect_list_first_plain(s->pool.redirect_urls, out, n))
        return true;
    r->outcome = "no_callback";
    char detail[2048], set_cmd[512];
    bool dflt = strcmp(s->conn.identifier, DEFAULT_IDENTIFIER) == 0;
    wx_snprintf(set_cmd, sizeof(set_cmd), "wxauth connection set --pool %s%s%s --callback URL",
                s->pool.id, dflt ? "" : " --identifier ", dflt ? "" : s->conn.identifier);
    if (have_app)
        wx_snprintf(detail, sizeof(detail),
                    "The page sent no redirect_url, and there is no plain address to return to: "
                    "connection %s of user pool %s has the Callback URL \"%s\" (empty, '#' or a "
                    "pattern) and application %s (\"%s\") has no plain registered callback. "
                    "Fix: `%s`, or `wxauth app update %s --redirect URL`, or send redirect_url.",
                    s->conn.identifier, s->pool.id, cb, s->app.id, s->app.name, set_cmd, s->app.id);
    else
        wx_snprintf(detail, sizeof(detail),
                    "A pool-flow page (@authing/wxmp 1.0: no app_id, no redirect_url) has no "
                    "address to return to: connection %s of user pool %s has the Callback URL "
                    "\"%s\" (empty, '#' or a pattern) and the pool has no plain registered "
                    "callback ('#' means the application's callback, and this flow has no "
                    "application). Fix: `wxauth pool update %s --redirect URL`, or `%s` with a "
                    "plain URL.",
                    s->conn.identifier, s->pool.id, cb, s->pool.id, set_cmd);
    wx_log(WX_LOG_WARN, "no_callback", "rid", r->id, "pool", s->pool.id, "app",
           have_app ? s->app.id : NULL, "identifier", s->conn.identifier, "callback_url",
           cb[0] ? cb : NULL, "fix", detail, NULL);
    http_reply_page(r, 400, WX_MSG_PAGE_NO_CALLBACK, &(http_page_t){.detail = detail});
    return false;
}

/* A computer's login that names its method (?desktop_method=): refused, with what to set up,
 * when the server, the pool or its connections do not offer that method
 * (proto/desktop_methods.h; the console's 电脑端扫码登录 section shows the same). */
static bool
start_method_ok(http_req_t *r, const start_t *s, const conf_fetch_t *f)
{
    const wx_config_t *cfg = handle_ctx(r)->app->cfg;
    const char *name = desktop_method_name(f->method), *pool = s->pool.id;
    const char *ident = s->conn.identifier, *why;
    bool open = strcmp(s->conn.type, STORE_CONN_OPEN) == 0;
    bool dflt = strcmp(ident, DEFAULT_IDENTIFIER) == 0;
    char detail[1400];
    if (!cfg->desktop_login) {
        why = "server_off";
        wx_snprintf(detail, sizeof(detail),
                    "desktop_method=%s: desktop logins are off on this server ([desktop] login = "
                    "off), so a computer gets the phone's login. Fix: set [desktop] login = on "
                    "in wxauthd's configuration and restart it.",
                    name);
    } else if (strcmp(s->pool.desktop_method, "none") == 0) {
        why = "pool_off";
        wx_snprintf(detail, sizeof(detail),
                    "desktop_method=%s: user pool %s has desktop logins turned off (its "
                    "desktop_method is none). Fix: `wxauth pool update %s --desktop auto` (or "
                    "the console: the pool's Settings → Desktop login).",
                    name, pool, pool);
    } else if (strcmp(s->pool.desktop_method, "qrconnect") == 0 && f->method != DMETHOD_QRCONNECT) {
        why = "pool_qrconnect_only";
        wx_snprintf(detail, sizeof(detail),
                    "desktop_method=%s: user pool %s logs computers in with its Open Platform "
                    "website app only (its desktop_method is qrconnect). Fix: `wxauth pool "
                    "update %s --desktop auto` (or the console: the pool's Settings → Desktop "
                    "login) to offer the other methods too.",
                    name, pool, pool);
    } else if (!f->method_missing) {
        return true;
    } else if (f->method == DMETHOD_QRCONNECT) {
        why = "no_website_app";
        wx_snprintf(detail, sizeof(detail),
                    "desktop_method=qrconnect: user pool %s has no Open Platform website app "
                    "(connection type wechat_open). Fix: register a website app on "
                    "open.weixin.qq.com, then `WX_WEB_SECRET=… wxauth connection set --pool %s "
                    "--type wechat_open --appid WXAPPID --secret-env WX_WEB_SECRET --callback "
                    "'#'` (or the console: Connections → New connection → Type wechat_open); its "
                    "授权回调域 is public_url's host (docs/desktop-login.md).",
                    pool, pool);
    } else if (open && f->identifier[0]) {
        why = "website_app_named";
        wx_snprintf(detail, sizeof(detail),
                    "desktop_method=%s: connection %s of user pool %s is an Open Platform "
                    "website app, which logs computers in with its own QR page only. Fix: name "
                    "a service-account connection in the link (or none: the pool's default), or "
                    "use desktop_method=qrconnect.",
                    name, ident, pool);
    } else if (open) {
        why = "no_service_account";
        wx_snprintf(detail, sizeof(detail),
                    "desktop_method=%s: user pool %s has no service-account connection "
                    "(wechat_mp), which this method logs in through. Fix: `WX_SECRET=… wxauth "
                    "connection set --pool %s --appid WXAPPID --secret-env WX_SECRET --callback "
                    "URL` (or the console: Connections → New connection).",
                    name, pool, pool);
    } else {
        why = "no_push_token";
        wx_snprintf(detail, sizeof(detail),
                    "desktop_method=follow: connection %s of user pool %s has no message server "
                    "Token, so it cannot log computers in by following the account. Fix: "
                    "`WX_PUSH_TOKEN=… WX_AES_KEY=… wxauth connection set --pool %s%s%s "
                    "--push-token-env WX_PUSH_TOKEN --aes-key-env WX_AES_KEY`, then in the MP "
                    "admin (设置与开发 → 基本配置 → 服务器配置) enter the URL "
                    "%s/wechat/push/%s/%s, the same Token and EncodingAESKey, safe mode, and "
                    "enable it (docs/desktop-login.md).",
                    ident, pool, pool, dflt ? "" : " --identifier ", dflt ? "" : ident,
                    cfg->public_url, pool, ident);
    }
    r->outcome = "desktop_method_off";
    wx_log(WX_LOG_WARN, "desktop_method_off", "rid", r->id, "pool", pool, "method", name, "reason",
           why, "fix", detail, NULL);
    http_reply_page(r, 404, WX_MSG_PAGE_DESKTOP_METHOD_OFF,
                    &(http_page_t){.arg = name, .detail = detail});
    return false;
}

/* A browser on a computer (desktop.c's desktop_wanted: the one rule for every desktop
 * decision). Such a browser cannot finish the service account's page, so it is offered the
 * pool's QR-code login (reads.c: conf_conn_pick). */
static bool
start_desktop_browser(http_req_t *r)
{
    return desktop_wanted(r);
}

/* Where the browser goes at WeChat: an Open Platform website app's QR-code page, or the
 * service account's authorize page. */
static wx_status_t
start_wechat_url(wx_buf_t *url, const app_t *app, const store_conn_t *conn, const char *cb,
                 const char *scope, const char *state)
{
    if (strcmp(conn->type, STORE_CONN_OPEN) == 0)
        return wechat_qrconnect_url(url, &app->wechat, conn->appid, cb, state);
    return wechat_authorize_url(url, &app->wechat, conn->appid, cb, scope, state);
}

/* The scope a login of conn asks for. */
static const char *
start_scope(const store_conn_t *conn)
{
    if (strcmp(conn->type, STORE_CONN_OPEN) == 0)
        return "snsapi_login";
    return conn->scope[0] ? conn->scope : "snsapi_userinfo";
}

/* An /oidc/auth login: its checked redirect_uri and the client's request (NULL otherwise).
 * A desktop ticket's phone: the phone's landing page as redirect_uri, "" as request, and the
 * ticket id (its state carries "ticket=<id>" to the callback, desktop.c). */
typedef struct {
    const char *redirect_uri;
    const char *request;
    const char *ticket;
    bool base_only; /* a follow ticket's phone: snsapi_base (its openid is all we check) */
} start_oidc_t;

/* A start while its pool, connection and application are read (reads.h). */
typedef struct {
    http_req_t *r;
    conf_fetch_t f;
    bool pool_given; /* the path named the pool too: it must be the application's */
    char client[64]; /* the client's address key (wx_ip_client_key), for the caps */
    /* An /oidc/auth login: its checked redirect_uri and the client's request (else NULL). */
    char *oidc_redirect, *oidc_request;
    char ticket[STORE_ID_MAX]; /* a desktop ticket's phone (else "") */
    bool base_only;            /* ... of a follow ticket: snsapi_base, silent */
} start_fetch_t;

static void
start_fetch_free(void *p)
{
    start_fetch_t *sf = p;
    conf_fetch_clear(&sf->f);
    free(sf->oidc_redirect);
    free(sf->oidc_request);
    free(sf);
}

static void start_login_read(void *arg);

static void
start_login(http_req_t *r, const char *pool_id, const char *identifier, const char *app_id,
            const start_oidc_t *oidc)
{
    bool have_app = app_id && *app_id;
    if (have_app && !handle_valid_id(app_id)) {
        start_invalid(r, "app_id has characters an application id never has (letters, digits, "
                         "_ and - only): check the appId the page passes to the SDK.");
        return;
    }
    if (!have_app && (!pool_id || !*pool_id)) {
        start_invalid(r, "app_id is required: pass app_id (the SDK's appId), or use "
                         "/oauth/wechatmp/url/{userPoolId} for a pool-flow login.");
        return;
    }
    if (pool_id && *pool_id && !handle_valid_id(pool_id)) {
        start_invalid(r, "The user pool id has characters a pool id never has (letters, digits, "
                         "_ and - only): check the userPoolId the page passes to the SDK.");
        return;
    }
    char client[64];
    /* Limited before anything is read: a flood costs no store work. */
    if (!handle_rate_allow(r, LOGIN_RATE_START, client, sizeof(client)))
        return;
    start_fetch_t *sf = calloc(1, sizeof(*sf));
    if (!sf) {
        start_busy(r);
        return;
    }
    sf->r = r;
    wx_strlcpy(sf->client, client, sizeof(sf->client));
    if (oidc && ((!(sf->oidc_redirect = strdup(oidc->redirect_uri)) ||
                  !(sf->oidc_request = strdup(oidc->request))) ||
                 !wx_strlcpy(sf->ticket, oidc->ticket ? oidc->ticket : "", sizeof(sf->ticket)))) {
        start_fetch_free(sf);
        start_busy(r);
        return;
    }
    sf->base_only = oidc && oidc->base_only;
    sf->pool_given = pool_id && *pool_id;
    /* A ticket's phone logs in through the ticket's own connection, whatever browser plays
     * the phone (the demo's second tab is a computer's). */
    sf->f.desktop = !sf->ticket[0] && start_desktop_browser(r);
    /* A computer's login may name its method (the console's 测试 buttons, a site's "other
     * ways" links); a phone ignores it: it logs in directly. */
    if (!desktop_method_parse(wx_query_get(&r->query, "desktop_method"), &sf->f.method)) {
        start_fetch_free(sf);
        start_invalid(r, "desktop_method may be scan, qrconnect or follow (or left out: the "
                         "pool's desktop_method decides).");
        return;
    }
    if (!wx_strlcpy(sf->f.pool_id, pool_id ? pool_id : "", sizeof(sf->f.pool_id)) ||
        !wx_strlcpy(sf->f.identifier, identifier ? identifier : "", sizeof(sf->f.identifier)) ||
        !wx_strlcpy(sf->f.app_id, have_app ? app_id : "", sizeof(sf->f.app_id))) {
        start_fetch_free(sf);
        start_invalid(r, "An id in the link (user pool, connection identifier or app_id) is "
                         "longer than any id wxauth makes.");
        return;
    }
    r->data = sf;
    r->data_free = start_fetch_free;
    conf_fetch(r->worker, &sf->f, start_login_read, sf);
}

/* Pool, connection and application are read: check them, then write the state. */
static void
start_login_read(void *arg)
{
    start_fetch_t *sf = arg;
    http_req_t *r = sf->r;
    conf_fetch_t *f = &sf->f;
    worker_ctx_t *ctx = handle_ctx(r);
    const wx_config_t *cfg = ctx->app->cfg;
    wx_err_t err = {0};
    wx_status_t rc;
    bool have_app = f->app_id[0] != '\0';
    /* A HEAD (link checkers, previews) is answered as the GET would be, without its effects:
     * no state in the store, no cookie. */
    bool head = strcmp(r->method, "HEAD") == 0;
    char bind[BIND_COOKIE_LEN + 1];
    wx_buf_t url;
    wx_buf_init(&url, 4096);
    start_t *s = calloc(1, sizeof(*s));
    char detail[1024];
    if (!s) {
        start_busy(r);
        return;
    }
    const char *pool_id = f->pool_id;
    if ((f->app_rc != WX_OK && f->app_rc != WX_ENOENT) ||
        (f->pool_rc != WX_OK && f->pool_rc != WX_ENOENT) ||
        (f->conn_rc != WX_OK && f->conn_rc != WX_ENOENT))
        wx_log(WX_LOG_WARN, "login_conf_read_failed", "rid", r->id, "error", f->err.msg, "detail",
               f->err.detail, NULL);
    if (have_app) {
        if (f->app_rc != WX_OK) {
            r->outcome = "unknown_app";
            if (f->app_rc == WX_ENOENT) {
                wx_snprintf(detail, sizeof(detail),
                            "No application has the app_id \"%s\". Fix the appId the page "
                            "passes to the SDK, or create the application: `wxauth app create %s "
                            "--pool POOL --redirect URL` (or in the console: Applications). "
                            "`wxauth app list --pool POOL` lists the ids.",
                            f->app_id, f->app_id);
                wx_log(WX_LOG_WARN, "unknown_app", "rid", r->id, "app", f->app_id, NULL);
                http_reply_page(r, 404, WX_MSG_PAGE_UNKNOWN_APP, &(http_page_t){.detail = detail});
            } else
                start_store_unavailable(r);
            goto out;
        }
        if (sf->pool_given && strcmp(pool_id, f->app.pool_id) != 0) {
            wx_snprintf(detail, sizeof(detail),
                        "Application %s belongs to user pool %s, but the link names user pool "
                        "%s (/connections/social/{identifier}/{userPoolId}). Fix the "
                        "userPoolId or the appId the page passes to the SDK.",
                        f->app.id, f->app.pool_id, pool_id);
            wx_log(WX_LOG_WARN, "app_pool_mismatch", "rid", r->id, "app", f->app.id, "app_pool",
                   f->app.pool_id, "pool", pool_id, NULL);
            http_reply_page(r, 400, WX_MSG_PAGE_APP_POOL_MISMATCH,
                            &(http_page_t){.detail = detail});
            goto out;
        }
        s->app = f->app;
    }
    if (f->pool_rc != WX_OK) {
        r->outcome = "unknown_pool";
        if (f->pool_rc == WX_ENOENT) {
            wx_snprintf(detail, sizeof(detail),
                        "No user pool has the id \"%s\". Fix the userPoolId the page passes to "
                        "the SDK (the path /oauth/wechatmp/url/{userPoolId}); `wxauth pool list` "
                        "lists the pools, `wxauth pool create` makes one.",
                        pool_id);
            wx_log(WX_LOG_WARN, "unknown_pool", "rid", r->id, "pool", pool_id, NULL);
            http_reply_page(r, 404, WX_MSG_PAGE_UNKNOWN_POOL, &(http_page_t){.detail = detail});
        } else
            start_store_unavailable(r);
        goto out;
    }
    s->pool = f->pool;
    if (f->conn_rc != WX_OK) {
        r->outcome = "unknown_connection";
        if (f->conn_rc == WX_ENOENT) {
            const char *ident = f->identifier[0] ? f->identifier : DEFAULT_IDENTIFIER;
            wx_snprintf(detail, sizeof(detail),
                        "User pool %s has no WeChat connection with the identifier \"%s\". Fix "
                        "the identifier the page passes to the SDK, or create the connection: "
                        "`wxauth connection set --pool %s --identifier %s --appid WXAPPID "
                        "--callback URL` (or in the console: Connections). `wxauth connection "
                        "list --pool %s` lists them.",
                        pool_id, ident, pool_id, ident, pool_id);
            wx_log(WX_LOG_WARN, "unknown_connection", "rid", r->id, "pool", pool_id, "identifier",
                   ident, NULL);
            http_reply_page(r, 404, WX_MSG_PAGE_UNKNOWN_CONNECTION,
                            &(http_page_t){.detail = detail});
        } else
            start_store_unavailable(r);
        goto out;
    }
    s->conn = f->conn;
    if (f->desktop && f->method != DMETHOD_AUTO && !start_method_ok(r, s, f))
        goto out;
    if (!s->conn.appid[0] || !s->conn.app_secret[0]) {
        r->outcome = "connection_incomplete";
        wx_snprintf(detail, sizeof(detail),
                    "Connection %s of user pool %s has no %s yet: `wxauth connection set --pool "
                    "%s%s%s --appid WXAPPID --secret-env VAR` (or in the console: Connections).",
                    s->conn.identifier, pool_id, !s->conn.appid[0] ? "App ID" : "App Secret",
                    pool_id, strcmp(s->conn.identifier, DEFAULT_IDENTIFIER) ? " --identifier " : "",
                    strcmp(s->conn.identifier, DEFAULT_IDENTIFIER) ? s->conn.identifier : "");
        wx_log(WX_LOG_WARN, "connection_incomplete", "rid", r->id, "pool", pool_id, "identifier",
               s->conn.identifier, NULL);
        http_reply_page(r, 503, WX_MSG_PAGE_CONNECTION_INCOMPLETE,
                        &(http_page_t){.detail = detail});
        goto out;
    }
    if (sf->oidc_redirect) {
        wx_strlcpy(s->state.redirect, sf->oidc_redirect, sizeof(s->state.redirect));
        wx_strlcpy(s->state.oidc, sf->oidc_request, sizeof(s->state.oidc));
    } else if (!pick_target(r, s, have_app, s->state.redirect, sizeof(s->state.redirect))) {
        goto out;
    }

    store_state_t *st = &s->state;
    /* authing-js-sdk's popup (social.authorize on a desktop: from_guard=1, no redirect_url, not
     * redirected): the login ends on a page that posts the result to the opener, which needs
     * an origin to address it to: the application's registered web origins (callback.c). It
     * may go through a desktop ticket first: the ticket carries the flag to its end. */
    const char *rurl = wx_query_get(&r->query, "redirect_url");
    bool popup = !sf->oidc_redirect && have_app && s->app.web_origins[0] &&
                 flag_set(wx_query_get(&r->query, "from_guard")) &&
                 !flag_set(wx_query_get(&r->query, "redirected")) && (!rurl || !*rurl);
    /* A computer's login by ticket (desktop.c): not when the pool sent it to its website app
     * (a QR-code login of its own) or turned desktop logins off. */
    bool ticket = !sf->ticket[0] && desktop_wanted(r) &&
                  strcmp(s->conn.type, STORE_CONN_OPEN) != 0 &&
                  strcmp(s->pool.desktop_method, "none") != 0;
    if (head && ticket) {
        /* A desktop browser's GET gets the QR page: the same 200, without a ticket. */
        r->outcome = "head";
        http_reply_raw(r, 200, "text/html; charset=utf-8", NULL, 0);
        goto out;
    }
    if (head) {
        /* The redirect a GET would get, with a state that exists nowhere. */
        char cb[1024];
        if (state_id_make(st->id) != WX_OK ||
            !wx_snprintf(cb, sizeof(cb), "%s/connections/social/%s/callback", cfg->public_url,
                         s->conn.identifier) ||
            start_wechat_url(&url, ctx->app, &s->conn, cb, start_scope(&s->conn), st->id) != WX_OK)
            goto fail;
        r->outcome = "head";
        http_reply_redirect(r, wx_buf_str(&url));
        goto out;
    }
    /* Bind the state to this browser, so a leaked callback URL is useless elsewhere. A value
     * this server issued is kept (logins in two tabs both work); any other is replaced. */
    const char *bname = handle_bind_cookie_name(cfg);
    if (!http_req_cookie(r, bname, bind, sizeof(bind)) || !bind_valid(ctx->app, bind)) {
        if (!bind_new(ctx->app, bind))
            goto fail;
        http_set_cookie(r, bname, bind, -1, cfg->cookie_secure); /* on with https */
    }
    if (ticket) {
        /* A desktop browser: no WeChat here. The login waits on a ticket its QR code shows,
         * bound to this browser's cookie as a state would be (desktop.c). */
        store_ticket_t *t = calloc(1, sizeof(*t));
        if (!t || wx_sha256_hex(bind, strlen(bind), t->browser) != WX_OK) {
            free(t);
            goto fail;
        }
        wx_strlcpy(t->pool_id, pool_id, sizeof(t->pool_id));
        wx_strlcpy(t->conn_identifier, s->conn.identifier, sizeof(t->conn_identifier));
        wx_strlcpy(t->app_id, f->app_id, sizeof(t->app_id));
        wx_strlcpy(t->redirect, st->redirect, sizeof(t->redirect));
        wx_strlcpy(t->oidc, st->oidc, sizeof(t->oidc));
        wx_strlcpy(t->client_ip, sf->client, sizeof(t->client_ip));
        wx_strlcpy(t->scope, start_scope(&s->conn), sizeof(t->scope));
        wx_strlcpy(t->site, have_app && s->app.name[0] ? s->app.name : s->pool.name,
                   sizeof(t->site));
        if (flag_set(wx_query_get(&r->query, "with_identities")))
            wx_strlcpy(t->options, "with_identities=1", sizeof(t->options));
        if (popup)
            wx_strlcpy(t->options + strlen(t->options), t->options[0] ? "&popup=1" : "popup=1",
                       sizeof(t->options) - strlen(t->options));
        desktop_method_t method = f->method;
        start_fetch_free(sf); /* its part is done */
        r->data = NULL;
        r->data_free = NULL;
        /* A connection whose account pushes its events here logs desktops in by following
         * (follow.c); ?desktop_method=scan asks for the service-account scan anyway. */
        if (s->conn.push_token[0] && method != DMETHOD_SCAN)
            follow_desktop_start(r, t, &s->conn);
        else
            desktop_start(r, t);
        free(t);
        goto out;
    }
    if (state_id_make(st->id) != WX_OK || wx_sha256_hex(bind, strlen(bind), st->browser))
        goto fail;
    wx_strlcpy(st->pool_id, pool_id, sizeof(st->pool_id));
    wx_strlcpy(st->conn_identifier, s->conn.identifier, sizeof(st->conn_identifier));
    wx_strlcpy(st->app_id, f->app_id, sizeof(st->app_id));
    wx_strlcpy(st->client_ip, sf->client, sizeof(st->client_ip));
    wx_strlcpy(st->scope, sf->base_only ? "snsapi_base" : start_scope(&s->conn), sizeof(st->scope));
    if (sf->ticket[0])
        wx_snprintf(st->options, sizeof(st->options), "ticket=%s", sf->ticket);
    else if (flag_set(wx_query_get(&r->query, "with_identities")))
        wx_strlcpy(st->options, "with_identities=1", sizeof(st->options));
    if (popup)
        wx_strlcpy(st->options + strlen(st->options), st->options[0] ? "&popup=1" : "popup=1",
                   sizeof(st->options) - strlen(st->options));
    st->created_at = wx_now();
    st->expires_at = st->created_at + cfg->state_ttl;
    char cb[1024];
    if (!wx_snprintf(cb, sizeof(cb), "%s/connections/social/%s/callback", cfg->public_url,
                     s->conn.identifier) ||
        start_wechat_url(&url, ctx->app, &s->conn, cb, st->scope, st->id) != WX_OK)
        goto fail;
    start_pending_t *sp = calloc(1, sizeof(*sp));
    if (!sp)
        goto fail;
    sp->r = r;
    sp->app = ctx->app;
    sp->state = *st;
    sp->authorize_url = wx_buf_steal(&url);
    start_fetch_free(sf); /* its part is done; f and pool_id are not used from here */
    r->data = sp;
    r->data_free = pending_free;
    if (!sp->authorize_url)
        goto fail;
    rc = store_writer_submit(ctx->app->writer, r->worker->base, state_create_run, on_state_created,
                             sp, &err);
    if (rc != WX_OK)
        on_state_created(rc, &err, sp);
    goto out;
fail:
    http_reply_page(r, 500, WX_MSG_PAGE_START_FAILED, NULL);
out:
    wx_buf_free(&url);
    free(s);
}

void
handle_start_pool(http_req_t *r)
{
    char pool[STORE_ID_MAX + 1];
    const char *rest = r->path + strlen("/oauth/wechatmp/url/");
    size_t n = strcspn(rest, "/");
    if (n == 0 || n >= sizeof(pool) || (rest[n] == '/' && rest[n + 1] != '\0')) {
        http_reply_page(r, 404, WX_MSG_PAGE_NOT_FOUND,
                        &(http_page_t){.detail = "Expected /oauth/wechatmp/url/{userPoolId}."});
        return;
    }
    memcpy(pool, rest, n);
    pool[n] = '\0';
    /* connection=IDENTIFIER names the pool's connection (e.g. its website app) explicitly. */
    const char *conn = wx_query_get(&r->query, "connection");
    if (conn && *conn && !handle_valid_identifier(conn)) {
        http_reply_page(r, 400, WX_MSG_PAGE_INVALID_LINK,
                        &(http_page_t){.detail = "The connection= identifier may use letters, "
                                                 "digits and : _ . - only."});
        return;
    }
    start_login(r, pool, conn && *conn ? conn : NULL, NULL, NULL);
}

void
handle_start_oidc(http_req_t *r, const char *pool_id, const char *app_id, const char *redirect_uri,
                  const char *request)
{
    start_oidc_t oidc = {redirect_uri, request, NULL, false};
    start_login(r, pool_id, NULL, app_id, &oidc);
}

void
handle_start_ticket(http_req_t *r, const store_ticket_t *t, const char *landing)
{
    start_oidc_t phone = {landing, "", t->id, strcmp(t->method, DESKTOP_METHOD_FOLLOW) == 0};
    start_login(r, t->pool_id, t->conn_identifier, t->app_id, &phone);
}

void
handle_social(http_req_t *r)
{
    char ident[STORE_IDENT_MAX + 1], second[STORE_ID_MAX + 1] = "";
    const char *rest = r->path + strlen("/connections/social/");
    size_t n = strcspn(rest, "/");
    if (n == 0 || n >= sizeof(ident)) {
        http_reply_page(r, 404, WX_MSG_PAGE_NOT_FOUND,
                        &(http_page_t){.detail = "Expected /connections/social/{identifier}."});
        return;
    }
    memcpy(ident, rest, n);
    ident[n] = '\0';
    rest += n;
    if (*rest == '/') {
        rest++;
        size_t m = strcspn(rest, "/");
        if (m >= sizeof(second) || (rest[m] == '/' && rest[m + 1] != '\0')) {
            http_reply_page(r, 404, WX_MSG_PAGE_NOT_FOUND,
                            &(http_page_t){.detail = "Expected /connections/social/{identifier}, "
                                                     "/connections/social/{identifier}/callback "
                                                     "or /connections/social/{identifier}/"
                                                     "{userPoolId}."});
            return;
        }
        memcpy(second, rest, m);
        second[m] = '\0';
    }
    if (!handle_valid_identifier(ident)) {
        start_invalid(r, "Invalid connection identifier: it may use letters, digits and : _ . - "
                         "only.");
        return;
    }
    if (strcmp(second, "callback") == 0) {
        handle_callback(r, ident);
        return;
    }
    /* Old authing-js-sdk form: /connections/social/{identifier}/{userPoolId}. */
    start_login(r, second[0] ? second : NULL, ident, wx_query_get(&r->query, "app_id"), NULL);
}
