/* Configuration loading and validation. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "util/addr.h"
#include "util/ini.h"
#include "util/log.h"

void
config_defaults(wx_config_t *c)
{
    memset(c, 0, sizeof(*c));
    wx_strlcpy(c->listen, "127.0.0.1:8080", sizeof(c->listen));
    wx_strlcpy(c->public_url, "http://127.0.0.1:8080", sizeof(c->public_url));
    c->workers = 0;
    c->max_headers_size = 16384;
    c->max_body_size = 65536;
    c->timeout_s = 30;
    c->request_timeout_ms = 10000;
    c->shutdown_grace_ms = 10000;
    wx_strlcpy(c->store_url, "sqlite:wxauth.db", sizeof(c->store_url));
    c->store_readers = -1;
    wx_strlcpy(c->authorize_url, "https://open.weixin.qq.com/connect/oauth2/authorize",
               sizeof(c->authorize_url));
    wx_strlcpy(c->api_base, "https://api.weixin.qq.com", sizeof(c->api_base));
    c->wechat_timeout_ms = 5000;
    c->wechat_retries = 1;
    c->wechat_max_connections = 256;
    wx_strlcpy(c->wechat_lang, "zh_CN", sizeof(c->wechat_lang));
    c->state_ttl = 600;
    c->replay_window = 60;
    c->max_inflight = 10000;
    c->start_per_minute = 60;
    c->callback_per_minute = 120;
    c->pending_per_address = 300;
    c->pending_total = 100000;
    c->limit_addresses = 16384;
    c->desktop_login = true;
    c->desktop_ticket_ttl = 120;
    c->desktop_confirm_ttl = 60;
    c->desktop_wait_s = 25;
    c->desktop_poll_ms = 1000;
    c->desktop_max_waits = 10000;
    c->token_ttl = 1296000;
    c->token_leeway = 30;
    c->jwks_max_age = 300;
    c->oidc_code_ttl = 60;
    c->oidc_session_idle = 86400;
    c->oidc_session_max = 7 * 86400;
    wx_strlcpy(c->metrics_access, "token", sizeof(c->metrics_access));
    wx_strlcpy(c->log_level, "info", sizeof(c->log_level));
}

typedef enum { K_STR, K_INT, K_BOOL, K_I64 } kind_t;

typedef struct {
    const char *section, *key, *env;
    kind_t kind;
    size_t off, size;
    long min, max;
} key_t_;

#define S(sec, k, env, field)                                                                      \
    {                                                                                              \
        sec, k, env, K_STR, offsetof(wx_config_t, field), sizeof(((wx_config_t *)0)->field), 0, 0  \
    }
#define I(sec, k, env, field, lo, hi)                                                              \
    {                                                                                              \
        sec, k, env, K_INT, offsetof(wx_config_t, field), sizeof(int), lo, hi                      \
    }
#define B(sec, k, env, field)                                                                      \
    {                                                                                              \
        sec, k, env, K_BOOL, offsetof(wx_config_t, field), sizeof(bool), 0, 1                      \
    }
#define L(sec, k, env, field, lo, hi)                                                              \
    {                                                                                              \
        sec, k, env, K_I64, offsetof(wx_config_t, field), sizeof(int64_t), lo, hi                  \
    }

static const key_t_ keys[] = {
    S("server", "listen", "WXAUTH_LISTEN", listen),
    S("server", "public_url", "WXAUTH_PUBLIC_URL", public_url),
    I("server", "workers", "WXAUTH_WORKERS", workers, 0, 64),
    I("server", "max_headers_size", NULL, max_headers_size, 1024, 1048576),
    I("server", "max_body_size", NULL, max_body_size, 1024, 16777216),
    I("server", "timeout_s", NULL, timeout_s, 1, 3600),
    I("server", "request_timeout_ms", NULL, request_timeout_ms, 0, 3600000),
    I("server", "max_connections", NULL, max_connections, 0, 100000000),
    I("server", "max_connections_per_addr", NULL, max_connections_per_addr, 0, 100000000),
    I("server", "shutdown_grace_ms", NULL, shutdown_grace_ms, 0, 600000),
    B("server", "cookie_secure", NULL, cookie_secure),
    S("server", "trusted_proxies", "WXAUTH_TRUSTED_PROXIES", trusted_proxies),
    S("store", "url", "WXAUTH_STORE_URL", store_url),
    I("store", "readers", NULL, store_readers, -1, 64),
    S("wechat", "authorize_url", "WXAUTH_WECHAT_AUTHORIZE_URL", authorize_url),
    S("wechat", "qrconnect_url", "WXAUTH_WECHAT_QRCONNECT_URL", qrconnect_url),
    S("wechat", "api_base", "WXAUTH_WECHAT_API_BASE", api_base),
    I("wechat", "timeout_ms", NULL, wechat_timeout_ms, 100, 120000),
    I("wechat", "retries", NULL, wechat_retries, 0, 3),
    I("wechat", "max_connections", NULL, wechat_max_connections, 1, 65536),
    S("wechat", "lang", NULL, wechat_lang),
    I("login", "state_ttl", NULL, state_ttl, 1, 86400),
    I("login", "replay_window", NULL, replay_window, 0, 600),
    I("login", "max_inflight", NULL, max_inflight, 1, 1000000),
    I("limits", "start_per_minute", NULL, start_per_minute, 0, 1000000),
    I("limits", "callback_per_minute", NULL, callback_per_minute, 0, 1000000),
    I("limits", "pending_per_address", NULL, pending_per_address, 0, 10000000),
    I("limits", "pending_total", NULL, pending_total, 0, 100000000),
    I("limits", "addresses", NULL, limit_addresses, 64, 4194304),
    B("desktop", "login", "WXAUTH_DESKTOP_LOGIN", desktop_login),
    I("desktop", "ticket_ttl", NULL, desktop_ticket_ttl, 5, 3600),
    I("desktop", "confirm_ttl", NULL, desktop_confirm_ttl, 5, 600),
    I("desktop", "wait_s", NULL, desktop_wait_s, 1, 120),
    I("desktop", "poll_ms", NULL, desktop_poll_ms, 50, 10000),
    I("desktop", "max_waits", NULL, desktop_max_waits, 1, 1000000),
    B("desktop", "scan_outside_wechat", NULL, desktop_scan_outside_wechat),
    L("token", "ttl", NULL, token_ttl, 60, 31536000),
    I("token", "leeway", NULL, token_leeway, 0, 600),
    I("token", "jwks_max_age", NULL, jwks_max_age, 0, 86400),
    I("oidc", "code_ttl", NULL, oidc_code_ttl, 10, 600),
    L("oidc", "session_idle", NULL, oidc_session_idle, 60, 31536000),
    L("oidc", "session_max", NULL, oidc_session_max, 60, 31536000),
    S("keys", "master_key_file", "WXAUTH_MASTER_KEY_FILE", master_key_file),
    S("admin", "listen", "WXAUTH_ADMIN_LISTEN", admin_listen),
    S("admin", "trusted_proxies", NULL, admin_trusted_proxies),
    S("admin", "token_hash", "WXAUTH_ADMIN_TOKEN_HASH", admin_token_hash),
    S("metrics", "access", NULL, metrics_access),
    S("metrics", "token_hash", "WXAUTH_METRICS_TOKEN_HASH", metrics_token_hash),
    S("gate", "cookie", NULL, gate_cookie),
    S("gate", "audience", NULL, gate_audience),
    S("log", "level", "WXAUTH_LOG_LEVEL", log_level),
};

static wx_status_t
set_value(wx_config_t *c, const key_t_ *k, const char *v, const char *origin, wx_err_t *err)
{
    char *field = (char *)c + k->off;
    long n;
    switch (k->kind) {
    case K_STR:
        if (!wx_strlcpy(field, v, k->size))
            return wx_err_set(err, WX_ECONFIG, "%s: %s.%s is too long (max %zu bytes)", origin,
                              k->section, k->key, k->size - 1);
        return WX_OK;
    case K_BOOL:
        if (!strcmp(v, "on") || !strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "1"))
            *(bool *)field = true;
        else if (!strcmp(v, "off") || !strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "0"))
            *(bool *)field = false;
        else
            return wx_err_set(err, WX_ECONFIG, "%s: %s.%s must be on or off, not '%s'", origin,
                              k->section, k->key, v);
        return WX_OK;
    case K_INT:
    case K_I64:
        if (!wx_parse_long(v, k->min, k->max, &n))
            return wx_err_set(err, WX_ECONFIG, "%s: %s.%s must be a whole number from %ld to %ld",
                              origin, k->section, k->key, k->min, k->max);
        if (k->kind == K_INT)
            *(int *)field = (int)n;
        else
            *(int64_t *)field = n;
        return WX_OK;
    }
    return WX_EINVAL;
}

/* An http(s) URL with a host and nothing a browser or WeChat would cut or reject: no
 * whitespace or control character (a value pasted with a comment or a stray word). */
static bool
is_http_url(const char *s)
{
    size_t skip = strncmp(s, "http://", 7) == 0 ? 7 : strncmp(s, "https://", 8) == 0 ? 8 : 0;
    if (!skip || !s[skip] || s[skip] == '/')
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= ' ' || *p == 0x7f)
            return false;
    return true;
}

/* Whether an http(s) URL's host is a loopback address: 127.0.0.0/8, ::1 or localhost (any
 * case, a trailing dot allowed). Userinfo is skipped ("http://127.0.0.1@evil.example/" is
 * evil.example); anything unparsable is not loopback. */
static bool
url_is_loopback(const char *s)
{
    const char *h = strstr(s, "://");
    char host[256];
    size_t n = 0;
    h = h ? h + 3 : s;
    while (h[n] && h[n] != '/' && h[n] != '?' && h[n] != '#')
        n++;
    for (size_t i = n; i > 0; i--) /* the authority's last '@' ends its userinfo */
        if (h[i - 1] == '@') {
            h += i;
            n -= i;
            break;
        }
    if (n > 0 && h[0] == '[') { /* [IPv6]:port */
        const char *close = memchr(h, ']', n);
        if (!close || close - h - 1 >= (long)sizeof(host))
            return false;
        memcpy(host, h + 1, (size_t)(close - h - 1));
        host[close - h - 1] = '\0';
        struct in6_addr a6;
        return inet_pton(AF_INET6, host, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
    }
    const char *colon = memchr(h, ':', n);
    if (colon)
        n = (size_t)(colon - h);
    while (n > 0 && h[n - 1] == '.') /* "localhost." is the same host */
        n--;
    if (n == 0 || n >= sizeof(host))
        return false;
    memcpy(host, h, n);
    host[n] = '\0';
    if (strcasecmp(host, "localhost") == 0)
        return true;
    struct in_addr a4;
    return inet_pton(AF_INET, host, &a4) == 1 && (ntohl(a4.s_addr) >> 24) == 127;
}

/* [admin] listen: "public", a host:port, or (unset) loopback on the port after the server's,
 * so the admin API is never on the public listener unless asked for. */
static wx_status_t
admin_listen_resolve(wx_config_t *c, wx_err_t *err)
{
    const char *colon = strrchr(c->listen, ':');
    long port = 0;
    if (strcmp(c->admin_listen, "public") == 0)
        return WX_OK;
    if (c->admin_listen[0]) {
        const char *ac = strrchr(c->admin_listen, ':');
        if (!ac || ac == c->admin_listen || !wx_parse_long(ac + 1, 0, 65535, &port))
            return wx_err_set(err, WX_ECONFIG,
                              "admin.listen must be host:port (e.g. 127.0.0.1:8081) or public, "
                              "not '%s'",
                              c->admin_listen);
        if (strcmp(c->admin_listen, c->listen) == 0)
            return wx_err_set(err, WX_ECONFIG,
                              "admin.listen is server.listen: write admin.listen = public to "
                              "serve the admin API on the public listener");
        return WX_OK;
    }
    if (!colon || !wx_parse_long(colon + 1, 0, 65535, &port) || port == 65535)
        return wx_err_set(err, WX_ECONFIG,
                          "cannot derive admin.listen from server.listen = %s: set admin.listen",
                          c->listen);
    wx_snprintf(c->admin_listen, sizeof(c->admin_listen), "127.0.0.1:%ld", port ? port + 1 : 0);
    return WX_OK;
}

wx_status_t
config_load(const char *path, wx_config_t *c, wx_err_t *err)
{
    wx_status_t rc = WX_OK;
    wx_ini_t ini = {0};
    config_defaults(c);
    if (path) {
        rc = wx_ini_load(path, &ini, err);
        if (rc != WX_OK)
            return rc;
        for (size_t i = 0; i < ini.count; i++) {
            const wx_ini_entry_t *e = &ini.entries[i];
            const key_t_ *k = NULL;
            if (!strcmp(e->section, "cli"))
                continue; /* the wxauth CLI's settings (docs/cli.md): one file serves both */
            for (size_t j = 0; j < WX_ARRAY_LEN(keys); j++)
                if (!strcmp(keys[j].section, e->section) && !strcmp(keys[j].key, e->key))
                    k = &keys[j];
            if (!k) {
                rc = wx_err_set(err, WX_ECONFIG, "%s line %d: unknown setting [%s] %s", path,
                                e->line, e->section, e->key);
                goto out;
            }
            rc = set_value(c, k, e->value, path, err);
            if (rc != WX_OK)
                goto out;
        }
    }
    for (size_t j = 0; j < WX_ARRAY_LEN(keys); j++) {
        const char *v = keys[j].env ? getenv(keys[j].env) : NULL;
        if (v && *v) {
            rc = set_value(c, &keys[j], v, keys[j].env, err);
            if (rc != WX_OK)
                goto out;
        }
    }
    /* A relative key file is next to the config file, wherever wxauthd is started from. */
    if (path && c->master_key_file[0] && c->master_key_file[0] != '/' && strchr(path, '/')) {
        char joined[sizeof(c->master_key_file)];
        int dl = (int)(strrchr(path, '/') - path);
        if (!wx_snprintf(joined, sizeof(joined), "%.*s/%s", dl, path, c->master_key_file) ||
            !wx_strlcpy(c->master_key_file, joined, sizeof(c->master_key_file))) {
            rc = wx_err_set(err, WX_ECONFIG, "keys.master_key_file: path too long");
            goto out;
        }
    }
    wx_err_t aerr = {0};
    if (wx_addr_parse_listen(c->listen, NULL, NULL, &aerr) != WX_OK) {
        rc = wx_err_set(err, WX_ECONFIG, "server.listen: %s", aerr.msg);
        goto out;
    }
    size_t n = strlen(c->public_url);
    while (n > 0 && c->public_url[n - 1] == '/')
        c->public_url[--n] = '\0';
    if (!is_http_url(c->public_url) || strpbrk(c->public_url, "?#")) {
        rc = wx_err_set(err, WX_ECONFIG,
                        "server.public_url must be an http:// or https:// URL with a host, "
                        "without spaces, query or fragment, not '%s'",
                        c->public_url);
        goto out;
    }
    if (!is_http_url(c->authorize_url) || !is_http_url(c->api_base)) {
        rc = wx_err_set(err, WX_ECONFIG,
                        "wechat.authorize_url and wechat.api_base must be http(s) URLs with a "
                        "host and without spaces");
        goto out;
    }
    n = strlen(c->api_base);
    while (n > 0 && c->api_base[n - 1] == '/')
        c->api_base[--n] = '\0';
    /* The website apps' page lives beside the authorize page (open.weixin.qq.com, or the
     * emulator): unset, it follows authorize_url, so one setting moves both. */
    if (!c->qrconnect_url[0]) {
        static const char tail[] = "/connect/oauth2/authorize";
        size_t an = strlen(c->authorize_url), tn = sizeof(tail) - 1;
        if (an > tn && strcmp(c->authorize_url + an - tn, tail) == 0)
            wx_snprintf(c->qrconnect_url, sizeof(c->qrconnect_url), "%.*s/connect/qrconnect",
                        (int)(an - tn), c->authorize_url);
        else
            wx_strlcpy(c->qrconnect_url, "https://open.weixin.qq.com/connect/qrconnect",
                       sizeof(c->qrconnect_url));
    }
    if (!is_http_url(c->qrconnect_url)) {
        rc = wx_err_set(err, WX_ECONFIG,
                        "wechat.qrconnect_url must be an http(s) URL with a host and without "
                        "spaces");
        goto out;
    }
    /* A demo setting: a QR code's link completing a login outside WeChat would let anyone who
     * got the link log in as themselves on the desktop. Accepted only when every WeChat URL is
     * on this machine (the emulator of make demo): a deny-list of WeChat's hosts would let a
     * proxy in front of WeChat, or a new WeChat domain, through. */
    if (c->desktop_scan_outside_wechat) {
        const struct {
            const char *key, *url;
        } wx_urls[] = {{"authorize_url", c->authorize_url},
                       {"qrconnect_url", c->qrconnect_url},
                       {"api_base", c->api_base}};
        for (size_t i = 0; i < WX_ARRAY_LEN(wx_urls); i++)
            if (!url_is_loopback(wx_urls[i].url)) {
                rc = wx_err_set(err, WX_ECONFIG,
                                "wechat.%s is not on loopback, but desktop.scan_outside_wechat "
                                "= on (demo only) needs every [wechat] URL on 127.0.0.0/8, ::1 "
                                "or localhost: remove scan_outside_wechat, or point [wechat] at "
                                "the emulator on this machine",
                                wx_urls[i].key);
                goto out;
            }
    }
    if (strncmp(c->public_url, "https://", 8) == 0)
        c->cookie_secure = true;
    if (strcmp(c->metrics_access, "token") != 0 && strcmp(c->metrics_access, "public") != 0 &&
        strcmp(c->metrics_access, "off") != 0) {
        rc = wx_err_set(err, WX_ECONFIG, "metrics.access must be token, public or off, not '%s'",
                        c->metrics_access);
        goto out;
    }
    if ((rc = admin_listen_resolve(c, err)) != WX_OK)
        goto out;
    rc = wx_cidr_list_parse(c->trusted_proxies, &c->trusted, err);
    if (rc != WX_OK)
        goto out;
    aerr = (wx_err_t){0};
    if (wx_cidr_list_parse(c->admin_trusted_proxies, &c->admin_trusted, &aerr) != WX_OK) {
        rc = wx_err_set(err, WX_ECONFIG, "admin.%s", aerr.msg);
        goto out;
    }
    wx_log_level_t lvl;
    if (!wx_log_parse_level(c->log_level, &lvl)) {
        rc = wx_err_set(err, WX_ECONFIG, "log.level must be debug, info, warn or error");
        goto out;
    }
out:
    wx_ini_free(&ini);
    return rc;
}
