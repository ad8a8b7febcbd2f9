/* Integration-test harness (see harness.h). */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include "location_header.h"
#include "util/url.h"

struct wxt_browser {
    CURL *h;
};

/* Can a server bind port on loopback now? */
static bool
port_bindable(int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
                            .sin_port = htons((uint16_t)port)};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    bool ok = fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

/* A free loopback port for a server, below the kernel's ephemeral range. A port bind(0) picks
 * comes from that range, where the outgoing connections of the tests running side by side
 * take theirs too: one took a server's port between the pick and the server's bind (seen in
 * CI: "already in use"). Random in [20000, the range's start), checked free; bind(0) else. */
int
wxt_free_port(void)
{
    int low = 32768, port = 0;
    FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
    if (f) {
        if (fscanf(f, "%d", &low) != 1)
            low = 32768;
        fclose(f);
    }
    FILE *ur = fopen("/dev/urandom", "r");
    for (int i = 0; ur && low > 20100 && i < 200; i++) {
        unsigned char b[2];
        if (fread(b, 1, 2, ur) != 2)
            break;
        int p = 20000 + (int)(((unsigned)b[0] << 8 | b[1]) % (unsigned)(low - 20000));
        if (port_bindable(p)) {
            port = p;
            break;
        }
    }
    if (ur)
        fclose(ur);
    if (port)
        return port;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t l = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &l), 0);
    close(fd);
    return ntohs(a.sin_port);
}

static void
write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static const char *
need_env(const char *name)
{
    const char *v = getenv(name);
    if (!v || !*v) {
        fprintf(stderr, "harness: %s is not set (run through ctest)\n", name);
        fail();
    }
    return v;
}

static void
print_tail(const char *path)
{
    char cmd[2200];
    snprintf(cmd, sizeof(cmd), "echo '--- tail of %s'; tail -n 40 '%s' 1>&2", path, path);
    if (system(cmd) != 0)
        fprintf(stderr, "(could not show %s)\n", path);
}

static pid_t
spawn(const char *log, char *const argv[], char *const extra_env[])
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (fd >= 0) {
            dup2(fd, 2);
            dup2(fd, 1);
            close(fd);
        }
        for (int i = 0; extra_env && extra_env[i]; i++)
            putenv(extra_env[i]);
        execv(argv[0], argv);
        _exit(127);
    }
    return pid;
}

static bool
wait_healthy(const char *base)
{
    char url[128];
    snprintf(url, sizeof(url), "%s/healthz", base);
    for (int i = 0; i < 200; i++) { /* up to 20 s: ASan builds start slowly */
        wxt_resp_t r = {0};
        if (wxt_http("GET", url, NULL, &r) == 0 && r.status == 200) {
            wxt_resp_free(&r);
            return true;
        }
        wxt_resp_free(&r);
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return false;
}

static char *
slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    char *buf = calloc(1, 65536);
    if (f && buf) {
        size_t r = fread(buf, 1, 65535, f);
        buf[r] = '\0';
    }
    if (f)
        fclose(f);
    return buf;
}

/* Fork and exec the CLI with args; stdout/stderr to files when the paths are not NULL. */
static int
run_cli(const char *cli, char *const *args, const char *const *env, const char *outpath,
        const char *errpath, bool null_stdin)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fd;
        if (outpath && (fd = open(outpath, O_WRONLY | O_CREAT | O_TRUNC, 0600)) >= 0) {
            dup2(fd, 1);
            close(fd);
        }
        if (errpath && (fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600)) >= 0) {
            dup2(fd, 2);
            close(fd);
        }
        if (null_stdin && (fd = open("/dev/null", O_RDONLY)) >= 0) {
            dup2(fd, 0);
            close(fd);
        }
        for (int i = 0; env && env[i]; i++)
            putenv((char *)env[i]);
        execv(cli, args);
        _exit(127);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

int
wxt_cli(wxt_env_t *e, char **out, const char *const *argv)
{
    const char *cli = need_env("WXAUTH_CLI");
    char outpath[700], tokpath[700];
    snprintf(outpath, sizeof(outpath), "%s/cli.out", e->dir);
    snprintf(tokpath, sizeof(tokpath), "%s/admin.token", e->dir);
    char *args[44];
    int n = 0;
    args[n++] = (char *)cli;
    args[n++] = "--config";
    args[n++] = e->config;
    /* Management commands go through the admin API; init ignores these two. */
    args[n++] = "--url";
    args[n++] = e->admin;
    args[n++] = "--token-file";
    args[n++] = tokpath;
    for (int i = 0; argv[i] && n < 42; i++)
        args[n++] = (char *)argv[i];
    args[n] = NULL;
    int rc = run_cli(cli, args, NULL, outpath, NULL, false);
    if (out)
        *out = slurp(outpath);
    return rc;
}

int
wxt_cli_run(wxt_env_t *e, const char *const *argv, const char *const *env, char **out, char **err)
{
    const char *cli = need_env("WXAUTH_CLI");
    char outpath[700], errpath[700];
    snprintf(outpath, sizeof(outpath), "%s/cli-run.out", e->dir);
    snprintf(errpath, sizeof(errpath), "%s/cli-run.err", e->dir);
    char *args[64];
    int n = 0;
    args[n++] = (char *)cli;
    for (int i = 0; argv[i] && n < 62; i++)
        args[n++] = (char *)argv[i];
    args[n] = NULL;
    int rc = run_cli(cli, args, env, outpath, errpath, true);
    if (out)
        *out = slurp(outpath);
    if (err)
        *err = slurp(errpath);
    return rc;
}

static void
cli_ok(wxt_env_t *e, const char *const *argv)
{
    int rc = wxt_cli(e, NULL, argv);
    if (rc != 0)
        fprintf(stderr, "harness: wxauth %s %s failed with %d\n", argv[0], argv[1], rc);
    assert_int_equal(rc, 0);
}

/* The env's store: a SQLite file in its directory, or, when the run has a PostgreSQL server
 * (WX_TEST_STORE_URL=postgresql://user:password@host:port/db), a database of its own on it. */
static void
store_url_for_env(wxt_env_t *e)
{
    const char *base = getenv("WX_TEST_STORE_URL");
    if (!base || strncmp(base, "postgresql://", 13) != 0) {
        snprintf(e->store_url, sizeof(e->store_url), "sqlite:%s/wxauth.db", e->dir);
        return;
    }
    unsigned char rnd[4];
    char name[32], sql[80];
    FILE *ur = fopen("/dev/urandom", "r");
    assert_non_null(ur);
    assert_int_equal(fread(rnd, 1, sizeof(rnd), ur), sizeof(rnd));
    fclose(ur);
    snprintf(name, sizeof(name), "wxt_%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2], rnd[3]);
    PGconn *c = PQconnectdb(base);
    if (PQstatus(c) != CONNECTION_OK)
        fail_msg("cannot connect to the test PostgreSQL: %s", PQerrorMessage(c));
    snprintf(sql, sizeof(sql), "CREATE DATABASE %s", name);
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        fail_msg("%s: %s", sql, PQresultErrorMessage(r));
    PQclear(r);
    PQfinish(c);
    const char *slash = strrchr(base, '/');
    assert_true(slash && slash > base + 13);
    assert_true((size_t)snprintf(e->store_url, sizeof(e->store_url), "%.*s/%s", (int)(slash - base),
                                 base, name) < sizeof(e->store_url));
}

int
wxt_setup(wxt_env_t *e, const wxt_opts_t *o)
{
    static const wxt_opts_t defaults = {.retries = -1};
    char path[700], text[8192];
    if (!o)
        o = &defaults;
    memset(e, 0, sizeof(*e));
    const char *tmp = getenv("WX_TEST_TMP") ? getenv("WX_TEST_TMP") : "/tmp";
    mkdir(tmp, 0700);
    snprintf(e->dir, sizeof(e->dir), "%s/integ-XXXXXX", tmp);
    assert_non_null(mkdtemp(e->dir));
    e->auth_port = wxt_free_port();
    e->emu_port = wxt_free_port();
    while (e->emu_port == e->auth_port)
        e->emu_port = wxt_free_port();
    e->admin_port = wxt_free_port();
    while (e->admin_port == e->auth_port || e->admin_port == e->emu_port)
        e->admin_port = wxt_free_port();
    snprintf(e->auth, sizeof(e->auth), "http://127.0.0.1:%d", e->auth_port);
    snprintf(e->admin, sizeof(e->admin), "http://127.0.0.1:%d", e->admin_port);
    snprintf(e->emu, sizeof(e->emu), "http://127.0.0.1:%d", e->emu_port);
    snprintf(e->callback, sizeof(e->callback), "http://127.0.0.1:9/callback");
    unsigned char rnd[16];
    FILE *ur = fopen("/dev/urandom", "r");
    assert_non_null(ur);
    assert_int_equal(fread(rnd, 1, sizeof(rnd), ur), sizeof(rnd));
    fclose(ur);
    for (int i = 0; i < 16; i++)
        snprintf(e->secret + 2 * i, 3, "%02x", rnd[i]);
    /* The admin credential of this env: wxauthd gets it in WXAUTH_ADMIN_TOKEN (and keeps only
     * its hash); the CLI reads it from a 0600 file, as docs/admin.md recommends. */
    unsigned char tok[32];
    ur = fopen("/dev/urandom", "r");
    assert_non_null(ur);
    assert_int_equal(fread(tok, 1, sizeof(tok), ur), sizeof(tok));
    fclose(ur);
    for (int i = 0; i < 32; i++)
        snprintf(e->admin_token + 2 * i, 3, "%02x", tok[i]);
    snprintf(path, sizeof(path), "%s/admin.token", e->dir);
    int tfd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(tfd >= 0);
    assert_int_equal(write(tfd, e->admin_token, 64), 64);
    close(tfd);

    snprintf(path, sizeof(path), "%s/emulator.ini", e->dir);
    snprintf(text, sizeof(text),
             "[emulator]\nlisten = 127.0.0.1:%d\nua_check = on\n\n"
             "[account " WXT_APPID "]\nname = Test Service Account\nsecret = %s\n"
             "domain = 127.0.0.1:%d\nscopes = snsapi_base,snsapi_userinfo\n"
             "open_platform = op-test\n\n"
             "[account " WXT_APPID2 "]\nname = Second Account\nsecret = %s\n"
             "domain = 127.0.0.1:%d\nscopes = snsapi_base,snsapi_userinfo\n"
             "open_platform = op-test\n\n"
             "[account " WXT_APPID_BASE "]\nname = Base Only\nsecret = %s\n"
             "domain = 127.0.0.1:%d\nscopes = snsapi_base\n\n"
             "[person alice]\nnickname = Alice 爱丽丝\n\n"
             "[person bob]\nnickname = Bob\nfollower = yes\n\n"
             "[person snap]\nnickname = Snapshot\nsnapshot = yes\n",
             e->emu_port, e->secret, e->auth_port, e->secret, e->auth_port, e->secret,
             e->auth_port);
    write_file(path, text);

    snprintf(e->config, sizeof(e->config), "%s/wxauthd.ini", e->dir);
    store_url_for_env(e);
    char public_url[80];
    snprintf(public_url, sizeof(public_url), "%s://127.0.0.1:%d",
             o->public_https ? "https" : "http", e->auth_port);
    snprintf(text, sizeof(text),
             "[server]\nlisten = 127.0.0.1:%d\npublic_url = %s\nworkers = %d\n"
             "shutdown_grace_ms = %d\n"
             /* every client of these tests is loopback: the per-address cap (256) would
              * refuse the concurrency tests' connections */
             "max_connections_per_addr = 100000\n\n[admin]\nlisten = 127.0.0.1:%d\n\n"
             "[store]\nurl = %s\n\n"
             "[wechat]\nauthorize_url = %s/connect/oauth2/authorize\napi_base = %s\n"
             "timeout_ms = %d\nretries = %d\n\n"
             "[login]\nstate_ttl = %d\n\n[keys]\nmaster_key_file = master.key\n\n"
             "[log]\nlevel = debug\n%s",
             e->auth_port, public_url, o->workers ? o->workers : 2,
             o->shutdown_grace_ms ? o->shutdown_grace_ms : 3000, e->admin_port, e->store_url,
             e->emu, e->emu, o->wechat_timeout_ms ? o->wechat_timeout_ms : 2000,
             o->retries >= 0 ? o->retries : 1, o->state_ttl ? o->state_ttl : 600,
             o->limits ? ""
                       : "\n[limits]\nstart_per_minute = 0\ncallback_per_minute = 0\n"
                         "pending_per_address = 0\npending_total = 0\n");
    if (o->extra_config) {
        size_t used = strlen(text);
        assert_true(strlen(o->extra_config) < sizeof(text) - used);
        snprintf(text + used, sizeof(text) - used, "\n%s", o->extra_config);
    }
    write_file(e->config, text);

    /* Prepare the store as an operator would before the first start. */
    setenv("WXT_SECRET", e->secret, 1);
    cli_ok(e, (const char *const[]){"init", NULL});

    const char *bin = need_env("WXAUTHD");
    char emu_log[700], auth_log[700], lat[64], tokenv[100];
    snprintf(emu_log, sizeof(emu_log), "%s/emulator.log", e->dir);
    snprintf(auth_log, sizeof(auth_log), "%s/wxauthd.log", e->dir);
    snprintf(lat, sizeof(lat), "WXEMU_LATENCY_MS=%d", o->latency_ms);
    snprintf(tokenv, sizeof(tokenv), "WXAUTH_ADMIN_TOKEN=%s", e->admin_token);
    char *emu_env[] = {lat, NULL}, *auth_env[] = {tokenv, NULL};
    e->emu_pid =
        spawn(emu_log, (char *const[]){(char *)bin, "--emulator", "--config", path, NULL}, emu_env);
    e->auth_pid =
        spawn(auth_log, (char *const[]){(char *)bin, "--config", e->config, NULL}, auth_env);
    if (!wait_healthy(e->emu) || !wait_healthy(e->auth) || !wait_healthy(e->admin)) {
        print_tail(emu_log);
        print_tail(auth_log);
        fail_msg("servers did not become healthy");
    }

    /* Seed through the CLI over the admin API, as an operator would. */
    cli_ok(e, (const char *const[]){"pool", "create", "demo", "--name", "Demo", NULL});
    cli_ok(e, (const char *const[]){"app", "create", "demo-app", "--pool", "demo", "--redirect",
                                    "http://127.0.0.1:9/app-cb", "--redirect",
                                    "https://*.example.com/wx/*", NULL});
    cli_ok(e, (const char *const[]){"connection", "set", "--pool", "demo", "--appid", WXT_APPID,
                                    "--secret-env", "WXT_SECRET", "--callback", e->callback,
                                    "--txt-filename", "MP_verify_T3stFile9.txt", "--txt-content",
                                    "T3stContent9", NULL});
    cli_ok(e, (const char *const[]){"connection", "set", "--pool", "demo", "--identifier",
                                    "wechat-second", "--appid", WXT_APPID2, "--secret-env",
                                    "WXT_SECRET", "--callback", e->callback, NULL});
    cli_ok(e, (const char *const[]){"pool", "create", "basepool", NULL});
    cli_ok(e, (const char *const[]){"connection", "set", "--pool", "basepool", "--appid",
                                    WXT_APPID_BASE, "--secret-env", "WXT_SECRET", "--callback",
                                    e->callback, "--scope", "snsapi_base", NULL});
    return 0;
}

static int
stop(pid_t pid)
{
    if (pid <= 0)
        return 0;
    kill(pid, SIGTERM);
    for (int i = 0; i < 300; i++) { /* 30 s */
        int st = 0;
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid)
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return 255;
}

void
wxt_auth_kill9(wxt_env_t *e)
{
    kill(e->auth_pid, SIGKILL);
    waitpid(e->auth_pid, NULL, 0);
    e->auth_pid = -1;
}

void
wxt_auth_restart(wxt_env_t *e)
{
    char auth_log[700], tokenv[100];
    snprintf(auth_log, sizeof(auth_log), "%s/wxauthd.log", e->dir);
    snprintf(tokenv, sizeof(tokenv), "WXAUTH_ADMIN_TOKEN=%s", e->admin_token);
    char *auth_env[] = {tokenv, NULL};
    e->auth_pid =
        spawn(auth_log, (char *const[]){(char *)need_env("WXAUTHD"), "--config", e->config, NULL},
              auth_env);
    if (!wait_healthy(e->auth) || !wait_healthy(e->admin)) {
        print_tail(auth_log);
        fail_msg("wxauthd did not come back after a restart");
    }
}

void
wxt_teardown(wxt_env_t *e)
{
    char emu_log[700], auth_log[700];
    snprintf(emu_log, sizeof(emu_log), "%s/emulator.log", e->dir);
    snprintf(auth_log, sizeof(auth_log), "%s/wxauthd.log", e->dir);
    int a = stop(e->auth_pid), m = stop(e->emu_pid);
    if (a != 0 || m != 0) {
        print_tail(auth_log);
        print_tail(emu_log);
        fail_msg("wxauthd exited %d, emulator exited %d (want 0: clean shutdown, no leaks)", a, m);
    }
    char cmd[700];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", e->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "harness: could not remove %s\n", e->dir);
}

/* ---- HTTP ---- */

typedef struct {
    wx_buf_t body;
    wx_buf_t headers;
    char *location;
} sink_t;

static size_t
on_body(char *p, size_t s, size_t n, void *arg)
{
    sink_t *k = arg;
    return wx_buf_append(&k->body, p, s * n) == WX_OK ? s * n : 0;
}

static size_t
on_header(char *p, size_t s, size_t n, void *arg)
{
    sink_t *k = arg;
    size_t len = s * n, vl;
    const char *v;
    if (len > 5 && strncmp(p, "HTTP/", 5) == 0)
        k->headers.len = 0; /* a new response (after a 100 Continue): its headers only */
    else
        wx_buf_append(&k->headers, p, len);
    if (wxt_location_header(p, len, &v, &vl)) {
        free(k->location);
        k->location = strndup(v, vl);
    }
    return len;
}

/* One request; extra headers ("Name: value") are added to the JSON Content-Type, if any. */
static int
perform_ex(CURL *h, const char *method, const char *url, const char *const *headers,
           const char *body, bool json_ct, wxt_resp_t *out)
{
    sink_t k = {0};
    struct curl_slist *hdrs = NULL;
    const char *json = body;
    wx_buf_init(&k.body, 4 * 1024 * 1024);
    wx_buf_init(&k.headers, 256 * 1024);
    memset(out, 0, sizeof(*out));
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &k);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &k);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, strcmp(method, "GET") ? method : NULL);
    for (int i = 0; headers && headers[i]; i++)
        hdrs = curl_slist_append(hdrs, headers[i]);
    if (json) {
        if (json_ct)
            hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
        curl_easy_setopt(h, CURLOPT_NOBODY, 0L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, json);
    } else {
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, strcmp(method, "GET") ? method : NULL);
        if (strcmp(method, "HEAD") == 0) /* after HTTPGET, which turns it off */
            curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    }
    CURLcode rc = curl_easy_perform(h);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, NULL);
    curl_slist_free_all(hdrs);
    if (rc != CURLE_OK) {
        wx_buf_free(&k.body);
        wx_buf_free(&k.headers);
        free(k.location);
        return -1;
    }
    char *ct = NULL;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
    curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct);
    out->content_type = ct ? strdup(ct) : NULL;
    out->body = wx_buf_steal(&k.body);
    out->headers = wx_buf_steal(&k.headers);
    out->location = k.location;
    return 0;
}

static int
perform(CURL *h, const char *method, const char *url, const char *json, wxt_resp_t *out)
{
    return perform_ex(h, method, url, NULL, json, true, out);
}

wxt_browser_t *
wxt_browser_new(const char *ua)
{
    wxt_browser_t *b = calloc(1, sizeof(*b));
    b->h = curl_easy_init();
    curl_easy_setopt(b->h, CURLOPT_COOKIEFILE, ""); /* in-memory cookie jar */
    curl_easy_setopt(b->h, CURLOPT_USERAGENT, ua ? ua : WXT_WECHAT_UA);
    return b;
}

void
wxt_browser_free(wxt_browser_t *b)
{
    if (!b)
        return;
    curl_easy_cleanup(b->h);
    free(b);
}

int
wxt_get(wxt_browser_t *b, const char *url, wxt_resp_t *out)
{
    return perform(b->h, "GET", url, NULL, out);
}

int
wxt_head(wxt_browser_t *b, const char *url, wxt_resp_t *out)
{
    return perform(b->h, "HEAD", url, NULL, out);
}

void
wxt_browser_source(wxt_browser_t *b, const char *ip)
{
    char v[80];
    snprintf(v, sizeof(v), "host!%s", ip);
    assert_int_equal(curl_easy_setopt(b->h, CURLOPT_INTERFACE, v), CURLE_OK);
}

void
wxt_browser_cookie_set(wxt_browser_t *b, const char *host, const char *name, const char *value)
{
    char line[1024];
    snprintf(line, sizeof(line), "%s\tFALSE\t/\tFALSE\t0\t%s\t%s", host, name, value);
    assert_int_equal(curl_easy_setopt(b->h, CURLOPT_COOKIELIST, line), CURLE_OK);
}

bool
wxt_browser_cookie_get(wxt_browser_t *b, const char *name, char *out, size_t n)
{
    struct curl_slist *list = NULL;
    bool found = false;
    assert_int_equal(curl_easy_getinfo(b->h, CURLINFO_COOKIELIST, &list), CURLE_OK);
    for (struct curl_slist *c = list; c && !found; c = c->next) {
        /* domain, subdomains, path, secure, expiry, name, value (tab-separated) */
        const char *f = c->data;
        for (int i = 0; i < 5 && f; i++) {
            f = strchr(f, '\t');
            if (f)
                f++;
        }
        const char *tab = f ? strchr(f, '\t') : NULL;
        if (tab && (size_t)(tab - f) == strlen(name) && strncmp(f, name, strlen(name)) == 0) {
            snprintf(out, n, "%s", tab + 1);
            found = true;
        }
    }
    curl_slist_free_all(list);
    return found;
}

bool
wxt_resp_header(const wxt_resp_t *r, const char *name, char *out, size_t n)
{
    size_t nl = strlen(name);
    for (const char *p = r->headers; p && *p;) {
        const char *eol = strstr(p, "\r\n");
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        if (len > nl && p[nl] == ':' && strncasecmp(p, name, nl) == 0) {
            const char *v = p + nl + 1;
            while (*v == ' ')
                v++;
            snprintf(out, n, "%.*s", (int)(len - (size_t)(v - p)), v);
            return true;
        }
        p = eol ? eol + 2 : p + len;
    }
    return false;
}

int
wxt_http(const char *method, const char *url, const char *json, wxt_resp_t *out)
{
    CURL *h = curl_easy_init();
    int rc = perform(h, method, url, json, out);
    curl_easy_cleanup(h);
    return rc;
}

int
wxt_http_auth(const char *method, const char *url, const char *token, const char *json,
              wxt_resp_t *out)
{
    char auth[400];
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token ? token : "");
    const char *const hdrs[] = {token ? auth : NULL, NULL};
    CURL *h = curl_easy_init();
    int rc = perform_ex(h, method, url, hdrs, json, true, out);
    curl_easy_cleanup(h);
    return rc;
}

int
wxt_http_headers(const char *method, const char *url, const char *const *headers, const char *body,
                 wxt_resp_t *out)
{
    CURL *h = curl_easy_init();
    int rc = perform_ex(h, method, url, headers, body, false, out);
    curl_easy_cleanup(h);
    return rc;
}

int
wxt_admin(wxt_env_t *e, const char *method, const char *path, const char *json, wxt_resp_t *out)
{
    char url[1024];
    snprintf(url, sizeof(url), "%s/api/admin/v1%s", e->admin, path);
    return wxt_http_auth(method, url, e->admin_token, json, out);
}

void
wxt_resp_free(wxt_resp_t *r)
{
    free(r->location);
    free(r->body);
    free(r->content_type);
    free(r->headers);
    memset(r, 0, sizeof(*r));
}

void
wxt_emu_admin(wxt_env_t *e, const char *method, const char *path, const char *json)
{
    char url[512];
    wxt_resp_t r = {0};
    snprintf(url, sizeof(url), "%s%s", e->emu, path);
    assert_int_equal(wxt_http(method, url, json, &r), 0);
    if (r.status < 200 || r.status > 299)
        fail_msg("emulator admin %s %s -> %ld %s", method, path, r.status, r.body);
    wxt_resp_free(&r);
}

void
wxt_emu_fault(wxt_env_t *e, const char *json)
{
    wxt_emu_admin(e, "POST", "/emu/admin/faults", json);
}

void
wxt_emu_clear_faults(wxt_env_t *e)
{
    wxt_emu_admin(e, "DELETE", "/emu/admin/faults", NULL);
}

static json_t *
emu_get_json(wxt_env_t *e, const char *path)
{
    char url[512];
    wxt_resp_t r = {0};
    snprintf(url, sizeof(url), "%s%s", e->emu, path);
    assert_int_equal(wxt_http("GET", url, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    json_t *j = json_loads(r.body, 0, NULL);
    wxt_resp_free(&r);
    assert_non_null(j);
    return j;
}

long
wxt_emu_calls(wxt_env_t *e, const char *endpoint)
{
    json_t *j = emu_get_json(e, "/emu/admin/calls");
    long n = 0;
    json_t *calls = json_object_get(j, "calls"), *c;
    size_t i;
    json_array_foreach(calls, i, c)
    {
        const char *ep = json_string_value(json_object_get(c, "endpoint"));
        if (ep && strcmp(ep, endpoint) == 0)
            n++;
    }
    json_decref(j);
    return n;
}

void
wxt_emu_person_ids(wxt_env_t *e, const char *appid, const char *person, char *openid, size_t on,
                   char *unionid, size_t un)
{
    char path[256];
    snprintf(path, sizeof(path), "/emu/admin/people?appid=%s", appid);
    json_t *j = emu_get_json(e, path);
    json_t *people = json_object_get(j, "people"), *p;
    size_t i;
    bool found = false;
    json_array_foreach(people, i, p)
    {
        const char *id = json_string_value(json_object_get(p, "id"));
        if (id && strcmp(id, person) == 0) {
            const char *o = json_string_value(json_object_get(p, "openid"));
            const char *u = json_string_value(json_object_get(p, "unionid"));
            snprintf(openid, on, "%s", o ? o : "");
            if (unionid)
                snprintf(unionid, un, "%s", u ? u : "");
            found = true;
        }
    }
    json_decref(j);
    assert_true(found);
}

int
wxt_login(wxt_browser_t *b, const char *start_url, const char *person, const char *action,
          wxt_resp_t *final, char *callback_url, size_t n)
{
    wxt_resp_t r1 = {0}, r2 = {0};
    char url[4096];
    assert_int_equal(wxt_get(b, start_url, &r1), 0);
    if (r1.status != 302 || !r1.location) {
        *final = r1;
        return 0;
    }
    /* The authorize URL ends in #wechat_redirect: the emulator-only parameters go before it. */
    snprintf(url, sizeof(url), "%s", r1.location);
    char *hash = strchr(url, '#');
    if (hash)
        *hash = '\0';
    size_t len = strlen(url);
    snprintf(url + len, sizeof(url) - len, "&emu_person=%s&emu_action=%s", person, action);
    wxt_resp_free(&r1);
    assert_int_equal(wxt_get(b, url, &r2), 0);
    if (r2.status != 302 || !r2.location) {
        *final = r2;
        return 0;
    }
    if (callback_url)
        snprintf(callback_url, n, "%s", r2.location);
    snprintf(url, sizeof(url), "%s", r2.location);
    wxt_resp_free(&r2);
    assert_int_equal(wxt_get(b, url, final), 0);
    return 0;
}

bool
wxt_parse_result(const wxt_env_t *e, const char *location, wxt_result_t *out)
{
    memset(out, 0, sizeof(*out));
    if (!location)
        return false;
    const char *q = strchr(location, '?');
    if (!q)
        return false;
    wx_query_t qs;
    if (wx_query_parse(q + 1, &qs, NULL) != WX_OK)
        return false;
    const char *code = wx_query_get(&qs, "code");
    const char *msg = wx_query_get(&qs, "message");
    const char *data = wx_query_get(&qs, "data");
    bool ok = code != NULL;
    if (ok) {
        out->code = (int)strtol(code, NULL, 10);
        snprintf(out->message, sizeof(out->message), "%s", msg ? msg : "");
        if (data)
            out->data = json_loads(data, 0, NULL);
    }
    wx_query_free(&qs);
    return ok;
}

void
wxt_result_free(wxt_result_t *r)
{
    json_decref(r->data);
    r->data = NULL;
}

void
wxt_store_exec(wxt_env_t *e, const char *sql)
{
    if (strncmp(e->store_url, "sqlite:", 7) == 0) {
        sqlite3 *db = NULL;
        assert_int_equal(sqlite3_open(e->store_url + 7, &db), SQLITE_OK);
        sqlite3_busy_timeout(db, 5000);
        if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
            fail_msg("%s: %s", sql, sqlite3_errmsg(db));
        sqlite3_close(db);
    } else {
        PGconn *c = PQconnectdb(e->store_url);
        assert_int_equal(PQstatus(c), CONNECTION_OK);
        PGresult *r = PQexec(c, sql);
        if (PQresultStatus(r) != PGRES_COMMAND_OK)
            fail_msg("%s: %s", sql, PQerrorMessage(c));
        PQclear(r);
        PQfinish(c);
    }
}
