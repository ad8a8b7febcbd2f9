/* `wxauth doctor`: what usually goes wrong when a WeChat official account is set up, checked
 * against the running server, each with the fix in plain words:
 *   server    the admin API answers and takes the credential
 *   clock     the server's clock agrees with this machine's (token times)
 *   keys      a current signing key exists
 * and for each connection:
 *   secret    an App Secret is stored
 *   callback  the Callback URL is well-formed and usable as a login's target
 *   pool-flow pool-flow pages (@authing/wxmp 1.0, no app) have a page to return to
 *   domain    the host WeChat must have as 网页授权域名 (no port, no IP for real WeChat)
 *   txt-file  GET <public_url>/<Txt Filename> gives 200 and the exact Txt Content
 *   wechat    WeChat (or the emulator) accepts the App ID and App Secret (the server asks it,
 *             POST …/check: the secret never leaves the server)
 * Exit 0 when nothing FAILed (warnings allowed), 1 otherwise; 3/4 when the pool or connection
 * does not exist or the credential is refused. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "proto/redirect.h"

#define CLOCK_OK_S 5
#define CLOCK_WARN_S 30
#define TXT_TIMEOUT_MS 10000
#define REAL_WECHAT_API "https://api.weixin.qq.com"

typedef struct {
    cli_t *c;
    json_t *checks;
    int failed, warned;
} doctor_t;

typedef enum { ST_OK, ST_WARN, ST_FAIL } status_t;

static void report(doctor_t *d, status_t st, const char *check, const char *subject,
                   const char *fix, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void
report(doctor_t *d, status_t st, const char *check, const char *subject, const char *fix,
       const char *fmt, ...)
{
    static const char *const names[] = {"ok", "warn", "FAIL"};
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    d->failed += st == ST_FAIL;
    d->warned += st == ST_WARN;
    json_t *o = json_pack("{s:s,s:s,s:s}", "status", st == ST_OK ? "ok" : names[st], "check", check,
                          "message", msg);
    if (subject)
        json_object_set_new(o, "subject", json_string(subject));
    if (fix && st != ST_OK)
        json_object_set_new(o, "fix", json_string(fix));
    json_array_append_new(d->checks, o);
    if (d->c->json)
        return;
    printf("%-4s  %-8s  %s%s%s%s%s\n", names[st], check, subject ? subject : "",
           subject ? ": " : "", msg, fix && st != ST_OK ? " Fix: " : "",
           fix && st != ST_OK ? fix : "");
    fflush(stdout);
}

static const char *
jstr(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* ---- server-wide checks ---- */

static void
check_clock(doctor_t *d, const cli_resp_t *r)
{
    long skew = r->date_skew < 0 ? -r->date_skew : r->date_skew;
    const char *fix = "set both clocks from NTP (timedatectl set-ntp true, or chrony); tokens "
                      "carry times that backends compare with their own clock";
    if (!r->have_date)
        report(d, ST_WARN, "clock", NULL, "check that nothing in front of wxauthd strips Date",
               "the server sent no Date header, so its clock could not be compared");
    else if (skew <= CLOCK_OK_S)
        report(d, ST_OK, "clock", NULL, NULL,
               "the server's clock and this machine's agree (%ld s "
               "apart)",
               skew);
    else
        report(d, skew <= CLOCK_WARN_S ? ST_WARN : ST_FAIL, "clock", NULL, fix,
               "the server's clock is %ld s %s this machine's", skew,
               r->date_skew > 0 ? "ahead of" : "behind");
}

static void
check_keys(doctor_t *d)
{
    json_t *res = NULL;
    cli_resp_t r;
    if (cli_api_call(d->c, "GET", "/keys", NULL, &r) != CLI_OK) {
        report(d, ST_FAIL, "keys", NULL, "see the error above", "cannot list signing keys");
        return;
    }
    res = r.body;
    json_t *keys = json_object_get(res, "keys"), *k;
    size_t i;
    char current[300] = "";
    json_array_foreach(keys, i, k)
    {
        if (strcmp(jstr(k, "state"), "current") != 0)
            continue;
        size_t len = strlen(current);
        wx_snprintf(current + len, sizeof(current) - len, "%s%s %.12s", len ? ", " : "",
                    jstr(k, "alg"), jstr(k, "kid"));
    }
    if (r.status != 200)
        report(d, ST_FAIL, "keys", NULL, "see the server's log",
               "the server answered HTTP %ld to GET /keys", r.status);
    else if (!current[0])
        report(d, ST_FAIL, "keys", NULL,
               "run `wxauth keys rotate` (or `wxauth init` with the server's config)",
               "there is no current signing key: logins cannot sign tokens");
    else
        report(d, ST_OK, "keys", NULL, NULL, "current signing key: %s", current);
    cli_resp_free(&r);
}

/* ---- per connection ---- */

static bool
plain_url_in(const json_t *urls)
{
    size_t j;
    json_t *u;
    json_array_foreach(urls, j, u)
    {
        if (json_string_value(u) && !strchr(json_string_value(u), '*'))
            return true;
    }
    return false;
}

static bool
any_plain_callback(const json_t *apps)
{
    size_t i;
    json_t *a;
    json_array_foreach(apps, i, a)
    {
        if (plain_url_in(json_object_get(a, "redirect_urls")))
            return true;
    }
    return false;
}

/* Pool-flow pages (@authing/wxmp 1.0) send no application and no redirect_url: with a
 * Callback URL of '#' or a pattern they return to the pool's first plain registered callback,
 * and without one they have nowhere to go (start.c pick_target). */
static void
check_pool_flow(doctor_t *d, const char *subj, const char *pool, const json_t *conn,
                const json_t *pool_json)
{
    const char *cb = jstr(conn, "callback_url");
    char fix[400];
    if (strcmp(jstr(conn, "identifier"), "wechat:webpage-authorization") != 0)
        return; /* the pool flow uses the default connection only */
    if (cb[0] && strcmp(cb, "#") != 0 && !strchr(cb, '*'))
        return; /* a plain Callback URL: the pool flow returns there */
    if (plain_url_in(json_object_get(pool_json, "redirect_urls"))) {
        report(d, ST_OK, "pool-flow", subj, NULL,
               "pool-flow logins (@authing/wxmp 1.0) return to the pool's first registered "
               "callback");
        return;
    }
    wx_snprintf(fix, sizeof(fix),
                "wxauth pool update %s --redirect https://your.site/wechat/callback (or a plain "
                "connection --callback URL)",
                pool);
    report(d, ST_WARN, "pool-flow", subj, fix,
           "pages built for @authing/wxmp 1.0 (pool flow: no app_id, no redirect_url) would "
           "have no callback page: the Callback URL is %s and the pool has no plain registered "
           "callback",
           cb[0] ? cb : "empty");
}

static void
check_callback(doctor_t *d, const char *subj, const json_t *conn, const json_t *apps,
               const char *set_cmd)
{
    const char *cb = jstr(conn, "callback_url");
    char fix[600];
    wx_err_t err = {0};
    wx_snprintf(fix, sizeof(fix), "%s --callback https://your.site/wechat/callback", set_cmd);
    if (!cb[0]) {
        report(d, ST_FAIL, "callback", subj, fix, "there is no Callback URL");
    } else if (strcmp(cb, "#") == 0) {
        if (any_plain_callback(apps))
            report(d, ST_OK, "callback", subj, NULL,
                   "Callback URL is #: logins through an application return to its first "
                   "registered callback");
        else
            report(d, ST_FAIL, "callback", subj,
                   "register the page with `wxauth app update APP --redirect URL`, or give the "
                   "connection a Callback URL",
                   "Callback URL is # but no application of the pool has a registered callback, "
                   "so a login has nowhere to return");
    } else if (redirect_validate_pattern(cb, &err) != WX_OK) {
        report(d, ST_FAIL, "callback", subj, fix, "Callback URL %s is not valid: %s", cb, err.msg);
    } else if (strchr(cb, '*')) {
        report(d, ST_WARN, "callback", subj, "give a plain URL if some pages send no redirect_url",
               "Callback URL %s is a pattern: only pages that send a matching redirect_url can "
               "log in (@authing/wxmp 1.0 pool logins send none)",
               cb);
    } else if (strncmp(cb, "http://", 7) == 0 && !strstr(cb, "://127.0.0.1") &&
               !strstr(cb, "://localhost") && !strstr(cb, "://[::1]")) {
        report(d, ST_WARN, "callback", subj, "serve the callback page over https",
               "Callback URL %s is plain http: the token travels in its query string", cb);
    } else {
        report(d, ST_OK, "callback", subj, NULL, "Callback URL %s is well-formed", cb);
    }
}

/* host[:port] of an http(s) URL into out. */
static bool
url_host(const char *url, char *out, size_t n)
{
    const char *p = strstr(url, "://");
    if (!p)
        return false;
    p += 3;
    size_t l = strcspn(p, "/?#");
    if (l == 0 || l >= n)
        return false;
    memcpy(out, p, l);
    out[l] = '\0';
    return true;
}

static bool
host_is_ip(const char *host)
{
    if (host[0] == '[')
        return true;
    for (const char *p = host; *p && *p != ':'; p++)
        if (!((*p >= '0' && *p <= '9') || *p == '.'))
            return false;
    return true;
}

static void
check_domain(doctor_t *d, const char *subj, const json_t *conn, const char *api_base)
{
    char host[300];
    const char *redirect = jstr(conn, "wechat_redirect_uri");
    bool real = api_base && strncmp(api_base, REAL_WECHAT_API, strlen(REAL_WECHAT_API)) == 0;
    if (!url_host(redirect, host, sizeof(host))) {
        report(d, ST_WARN, "domain", subj, "upgrade wxauthd",
               "the server did not say where WeChat returns to");
        return;
    }
    const char *type = jstr(conn, "type");
    /* A website app's domain is set on the Open Platform (docs/desktop-login.md). */
    const char *where = type && strcmp(type, "wechat_open") == 0
                            ? "the website app's 授权回调域 (open.weixin.qq.com → 管理中心 → "
                              "网站应用 → 开发信息)"
                            : "设置与开发 → 公众号设置 → 功能设置 → 网页授权域名";
    char fix[600];
    if (real && strchr(host[0] == '[' ? strchr(host, ']') : host, ':')) {
        wx_snprintf(fix, sizeof(fix),
                    "serve wxauthd on port 443 (or 80) behind a proxy and set [server] "
                    "public_url without a port");
        report(d, ST_FAIL, "domain", subj, fix,
               "WeChat returns to %s, but a webpage-authorization domain cannot have a port",
               redirect);
    } else if (real && (host_is_ip(host) || strncmp(host, "localhost", 9) == 0)) {
        report(d, ST_FAIL, "domain", subj,
               "give wxauthd a registered domain name and set [server] public_url to it",
               "WeChat returns to %s, but a webpage-authorization domain must be a domain name, "
               "not an IP address",
               redirect);
    } else if (real) {
        report(d, ST_OK, "domain", subj, NULL, "WeChat returns to %s: enter %s as %s", redirect,
               host, where);
    } else {
        report(d, ST_OK, "domain", subj, NULL,
               "WeChat (here %s) returns to %s; with real WeChat, %s must be %s",
               api_base ? api_base : "unknown", redirect, where, host);
    }
}

static void
check_txt(doctor_t *d, const char *subj, const json_t *conn, const char *set_cmd)
{
    const char *name = jstr(conn, "txt_filename"), *want = jstr(conn, "txt_content");
    const char *url = jstr(conn, "txt_url");
    char fix[700], err[300] = "";
    cli_resp_t r;
    wx_snprintf(fix, sizeof(fix),
                "download the MP_verify_….txt that WeChat offers next to 网页授权域名 and run: "
                "%s --txt-file PATH/TO/MP_verify_….txt",
                set_cmd);
    if (!name[0]) {
        report(d, ST_WARN, "txt-file", subj, fix,
               "no verification file: WeChat asks for one when you save the "
               "webpage-authorization domain");
        return;
    }
    if (!url[0]) {
        report(d, ST_WARN, "txt-file", subj, "upgrade wxauthd",
               "the server did not say where it serves %s", name);
        return;
    }
    if (cli_http_get(url, TXT_TIMEOUT_MS, 64 * 1024, &r, err, sizeof(err)) != CLI_OK) {
        report(d, ST_FAIL, "txt-file", subj,
               "WeChat fetches this exact URL: make [server] public_url's host reach wxauthd "
               "(DNS, firewall, proxy)",
               "cannot fetch %s: %s", url, err);
        return;
    }
    if (r.status >= 300 && r.status < 400) {
        report(d, ST_FAIL, "txt-file", subj,
               "WeChat does not follow redirects: pass /MP_verify_*.txt straight to wxauthd at "
               "this host's root",
               "%s answered HTTP %ld (redirect to %s)", url, r.status,
               r.location[0] ? r.location : "?");
    } else if (r.status != 200) {
        report(d, ST_FAIL, "txt-file", subj,
               "make the web server or proxy for this host pass /MP_verify_*.txt to wxauthd, "
               "and check that [server] public_url is the address WeChat uses",
               "%s answered HTTP %ld instead of the file", url, r.status);
    } else if (strcmp(r.raw ? r.raw : "", want) != 0) {
        wx_snprintf(fix, sizeof(fix),
                    "another server may be answering for this host, or the Txt Content is not "
                    "the file's: %s --txt-file PATH/TO/%s",
                    set_cmd, name);
        report(d, ST_FAIL, "txt-file", subj, fix,
               "%s answered, but not with the exact Txt Content (%zu bytes, expected %zu)", url,
               strlen(r.raw ? r.raw : ""), strlen(want));
    } else {
        report(d, ST_OK, "txt-file", subj, NULL, "%s serves the exact content", url);
    }
    cli_resp_free(&r);
}

/* The server asks WeChat; returns its api_base (for the domain check) in api_base. */
static void
check_wechat(doctor_t *d, const char *subj, const char *pool, const json_t *conn,
             const char *set_cmd, char *api_base, size_t n)
{
    char path[512], fix[700];
    cli_resp_t r;
    const char *appid = jstr(conn, "appid");
    api_base[0] = '\0';
    if (!cli_pathf(path, sizeof(path), "/pools/%s/connections/%s/check", pool,
                   jstr(conn, "identifier")))
        return;
    if (cli_api_call(d->c, "POST", path, NULL, &r) != CLI_OK) {
        report(d, ST_FAIL, "wechat", subj, "see the error above", "the check did not run");
        return;
    }
    if (r.status != 200) {
        report(d, ST_FAIL, "wechat", subj, "upgrade wxauthd or see its log",
               "the server answered HTTP %ld to the check", r.status);
        cli_resp_free(&r);
        return;
    }
    const char *reason = jstr(r.body, "reason"), *msg = jstr(r.body, "message");
    wx_strlcpy(api_base, jstr(r.body, "api_base"), n);
    if (json_is_true(json_object_get(r.body, "ok"))) {
        report(d, ST_OK, "wechat", subj, NULL, "%s accepted App ID %s and its App Secret", api_base,
               appid);
    } else if (strcmp(reason, "wrong_secret") == 0 || strcmp(reason, "no_secret") == 0 ||
               strcmp(reason, "secret_unreadable") == 0) {
        wx_snprintf(fix, sizeof(fix),
                    "copy the App Secret again from 设置与开发 → 基本配置 (reset it there if "
                    "nobody has it) and run: WX_SECRET=… %s --secret-env WX_SECRET",
                    set_cmd);
        report(d, ST_FAIL, "wechat", subj, fix, "%s", msg);
    } else if (strcmp(reason, "unknown_appid") == 0) {
        wx_snprintf(fix, sizeof(fix),
                    "copy the AppID (开发者ID) from 设置与开发 → 基本配置 and run: %s --appid wx…",
                    set_cmd);
        report(d, ST_FAIL, "wechat", subj, fix, "%s (the connection has %s)", msg, appid);
    } else if (strcmp(reason, "ip_not_whitelisted") == 0) {
        report(d, ST_WARN, "wechat", subj,
               "logins do not need it; to let doctor check the secret, add the server's public "
               "IP under 设置与开发 → 基本配置 → IP白名单",
               "%s", msg);
    } else if (strcmp(reason, "unreachable") == 0 || strcmp(reason, "timeout") == 0) {
        report(d, ST_FAIL, "wechat", subj,
               "check [wechat] api_base, and that the server can reach it (DNS, firewall, "
               "outbound proxy); with the emulator, that it is running",
               "%s", msg);
    } else {
        report(d, ST_FAIL, "wechat", subj,
               "look the error code up in WeChat's global return codes (全局返回码)", "%s", msg);
    }
    cli_resp_free(&r);
}

static void
check_conn(doctor_t *d, const char *pool, const json_t *pool_json, const json_t *conn,
           const json_t *apps)
{
    char subj[200], set_cmd[300];
    const char *ident = jstr(conn, "identifier");
    wx_snprintf(subj, sizeof(subj), "%s/%s", pool, ident);
    wx_snprintf(set_cmd, sizeof(set_cmd), "wxauth connection set --pool %s%s%s", pool,
                strcmp(ident, "wechat:webpage-authorization") ? " --identifier " : "",
                strcmp(ident, "wechat:webpage-authorization") ? ident : "");
    if (strcmp(jstr(conn, "app_secret"), "set") != 0) {
        char fix[400];
        wx_snprintf(fix, sizeof(fix), "WX_SECRET=… %s --secret-env WX_SECRET", set_cmd);
        report(d, ST_FAIL, "secret", subj, fix, "no App Secret is stored");
    }
    check_callback(d, subj, conn, apps, set_cmd);
    check_pool_flow(d, subj, pool, conn, pool_json);
    const char *type = jstr(conn, "type");
    if (!type || strcmp(type, "wechat_open") != 0) /* website apps have no verification file */
        check_txt(d, subj, conn, set_cmd);
    char api_base[512];
    check_wechat(d, subj, pool, conn, set_cmd, api_base, sizeof(api_base));
    check_domain(d, subj, conn, api_base[0] ? api_base : NULL);
}

/* Connections of one pool (all, or the one asked for). Returns an exit code for 3/4. */
static int
check_pool(doctor_t *d, const char *pool)
{
    char path[300];
    json_t *conns = NULL, *apps = NULL, *pool_json = NULL, *conn;
    size_t i;
    int rc;
    const char *want = cli_opt(d->c, "identifier");
    if (!cli_pathf(path, sizeof(path), "/pools/%s/connections", pool))
        return CLI_USAGE;
    if ((rc = cli_api(d->c, "GET", path, NULL, &conns)) != CLI_OK)
        return rc;
    if (!cli_pathf(path, sizeof(path), "/pools/%s/apps", pool) ||
        (rc = cli_api(d->c, "GET", path, NULL, &apps)) != CLI_OK)
        goto out;
    if (!cli_pathf(path, sizeof(path), "/pools/%s", pool) ||
        (rc = cli_api(d->c, "GET", path, NULL, &pool_json)) != CLI_OK)
        goto out;
    json_t *list = json_object_get(conns, "connections");
    bool found = false;
    json_array_foreach(list, i, conn)
    {
        if (want && strcmp(jstr(conn, "identifier"), want) != 0)
            continue;
        found = true;
        check_conn(d, pool, pool_json, conn, json_object_get(apps, "apps"));
    }
    if (want && !found) {
        rc = cli_err(CLI_NOT_FOUND, "pool %s has no connection %s", pool, want);
    } else if (!found) {
        char fix[300];
        wx_snprintf(fix, sizeof(fix),
                    "wxauth connection set --pool %s --appid wx… --secret-env WX_SECRET "
                    "--callback URL",
                    pool);
        report(d, ST_WARN, "pool", pool, fix, "has no WeChat connection: nobody can log in");
    }
out:
    json_decref(conns);
    json_decref(apps);
    json_decref(pool_json);
    return rc;
}

int
cli_doctor(cli_t *c)
{
    doctor_t d = {.c = c, .checks = json_array()};
    cli_resp_t r = {0};
    char path[300];
    const char *pool = cli_opt(c, "pool");
    int rc = CLI_OK;
    if (cli_opt(c, "identifier") && !pool) {
        rc = cli_err(CLI_USAGE, "--identifier goes with --pool");
        goto out;
    }
    if (pool ? !cli_pathf(path, sizeof(path), "/pools/%s", pool)
             : !wx_strlcpy(path, "/pools", sizeof(path))) {
        rc = CLI_USAGE;
        goto out;
    }
    if (cli_api_call(c, "GET", path, NULL, &r) != CLI_OK) {
        report(&d, ST_FAIL, "server", NULL,
               "start wxauthd, or point the CLI at it with --url, WXAUTH_URL or [cli] url",
               "no admin API answers at %s", c->target.url);
        goto done;
    }
    if (r.status != 200) {
        rc = cli_api_status_exit(&r);
        if (rc == CLI_AUTH || rc == CLI_NOT_FOUND) {
            report(&d, ST_FAIL, "server", NULL,
                   rc == CLI_AUTH ? "give the admin token wxauthd was started with "
                                    "(--token-file, WXAUTH_ADMIN_TOKEN or [cli] token_file)"
                                  : "check the pool id (wxauth pool list)",
                   "%s", rc == CLI_AUTH ? "the admin API refused the credential" : "no such pool");
            goto done;
        }
        report(&d, ST_FAIL, "server", NULL, "see the server's log",
               "the admin API answered HTTP %ld", r.status);
        goto done;
    }
    report(&d, ST_OK, "server", NULL, NULL, "the admin API at %s answers", c->target.url);
    check_clock(&d, &r);
    check_keys(&d);
    if (pool) {
        rc = check_pool(&d, pool);
    } else {
        json_t *p;
        size_t i;
        json_array_foreach(json_object_get(r.body, "pools"), i, p)
        {
            int prc = check_pool(&d, jstr(p, "id"));
            if (prc != CLI_OK)
                rc = prc;
        }
        if (json_array_size(json_object_get(r.body, "pools")) == 0)
            report(&d, ST_WARN, "pool", NULL, "wxauth pool create ID --name NAME",
                   "there is no user pool yet");
    }
done:
    if (c->json) {
        json_t *o = json_pack("{s:b,s:i,s:i,s:O}", "ok", d.failed == 0, "failed", d.failed,
                              "warnings", d.warned, "checks", d.checks);
        cli_print_json(o);
        json_decref(o);
    } else {
        printf("%s: %d failed, %d warning%s\n", d.failed ? "problems found" : "all good", d.failed,
               d.warned, d.warned == 1 ? "" : "s");
    }
    if (rc == CLI_OK && d.failed)
        rc = CLI_FAIL;
out:
    cli_resp_free(&r);
    json_decref(d.checks);
    return rc;
}
