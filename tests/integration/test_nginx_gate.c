/* The nginx gate of examples/nginx/ in front of a protected app: a real nginx runs the example
 * file users copy (its placeholders filled in), asks a real wxauthd's /auth/check about each
 * request, and proxies only authenticated ones, with the user in X-Wxauth-* headers, to a
 * small loopback app in this test that records exactly what it received. Tokens come from
 * real emulator logins; refused ones are garbage, forged, expired, logged out or revoked. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
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

#include "harness.h"
#include "harness_tokens.h"

#define DEMO_START "/oauth/wechatmp/url/demo"
#define GATE_COOKIE "wxauth_token"
#define APP_REQ_MAX 16384
#define APP_BODY "app says ok"

/* ---- the protected app: one request per connection, recorded ---- */

typedef struct {
    int fd; /* listening socket */
    int port;
    pthread_t thread;
    bool running;
    atomic_bool stop;
    pthread_mutex_t mu;
    long hits;              /* requests answered */
    char last[APP_REQ_MAX]; /* request line, headers and body of the last one */
} app_t;

static void
sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Read one request (headers, then a Content-Length body) into buf; its length, or -1. */
static ssize_t
app_read_request(int c, char *buf, size_t cap)
{
    size_t n = 0, head = 0;
    long body = 0;
    while (n < cap - 1) {
        ssize_t r = recv(c, buf + n, cap - 1 - n, 0);
        if (r <= 0)
            return -1;
        n += (size_t)r;
        buf[n] = '\0';
        const char *end = head ? NULL : strstr(buf, "\r\n\r\n");
        if (end) {
            head = (size_t)(end - buf) + 4;
            for (const char *p = strstr(buf, "\r\n"); p && p < end; p = strstr(p + 2, "\r\n"))
                if (strncasecmp(p + 2, "Content-Length:", 15) == 0)
                    body = strtol(p + 17, NULL, 10);
            if (body < 0 || (size_t)body > cap - 1 - head)
                return -1;
        }
        if (head && n >= head + (size_t)body)
            return (ssize_t)n;
    }
    return -1;
}

static void *
app_main(void *arg)
{
    app_t *a = arg;
    static const char reply[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                                "Content-Length: 11\r\nConnection: close\r\n\r\n" APP_BODY;
    char *buf = malloc(APP_REQ_MAX);
    while (buf && !atomic_load(&a->stop)) {
        struct pollfd p = {.fd = a->fd, .events = POLLIN};
        if (poll(&p, 1, 100) <= 0)
            continue;
        int c = accept(a->fd, NULL, NULL);
        if (c < 0)
            continue;
        struct timeval tv = {5, 0};
        setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        ssize_t n = app_read_request(c, buf, APP_REQ_MAX);
        if (n > 0) {
            pthread_mutex_lock(&a->mu);
            memcpy(a->last, buf, (size_t)n + 1);
            a->hits++;
            pthread_mutex_unlock(&a->mu);
            if (send(c, reply, sizeof(reply) - 1, MSG_NOSIGNAL) < 0)
                fprintf(stderr, "app: send: %s\n", strerror(errno));
        }
        close(c);
    }
    free(buf);
    return NULL;
}

static int
app_start(app_t *a)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t l = sizeof(sa);
    a->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (a->fd < 0 || bind(a->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
        listen(a->fd, 64) != 0 || getsockname(a->fd, (struct sockaddr *)&sa, &l) != 0)
        return -1;
    a->port = ntohs(sa.sin_port);
    a->running = pthread_create(&a->thread, NULL, app_main, a) == 0;
    return a->running ? 0 : -1;
}

static void
app_stop(app_t *a)
{
    if (a->running) {
        atomic_store(&a->stop, true);
        pthread_join(a->thread, NULL);
        a->running = false;
    }
    if (a->fd >= 0)
        close(a->fd);
    a->fd = -1;
}

static long
app_hits(app_t *a)
{
    pthread_mutex_lock(&a->mu);
    long n = a->hits;
    pthread_mutex_unlock(&a->mu);
    return n;
}

/* ---- nginx ---- */

typedef struct {
    char dir[700]; /* nginx's prefix: config, logs, temp files */
    int port;
    pid_t pid;
    char base[64]; /* http://127.0.0.1:PORT */
} ngx_t;

static wxt_env_t env;
static app_t app = {.fd = -1, .mu = PTHREAD_MUTEX_INITIALIZER};
static ngx_t ngx;

static char *
read_text(const char *path)
{
    FILE *f = fopen(path, "r");
    char *buf = f ? calloc(1, 65536) : NULL;
    if (buf && fread(buf, 1, 65535, f) == 0) {
        free(buf);
        buf = NULL;
    }
    if (f)
        fclose(f);
    return buf;
}

/* Replace every occurrence of each key (keys[i]) by its value (vals[i]); caller frees. */
static char *
fill(const char *text, const char *const *keys, const char *const *vals)
{
    size_t cap = strlen(text) * 2 + 4096, n = 0;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    for (const char *p = text; *p;) {
        bool hit = false;
        for (int i = 0; keys[i] && !hit; i++) {
            size_t kl = strlen(keys[i]), vl = strlen(vals[i]);
            if (strncmp(p, keys[i], kl) == 0 && n + vl < cap) {
                memcpy(out + n, vals[i], vl);
                n += vl;
                p += kl;
                hit = true;
            }
        }
        if (!hit && n + 1 < cap)
            out[n++] = *p++;
        else if (!hit)
            break;
    }
    out[n] = '\0';
    return out;
}

static bool
write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    bool ok = f && fputs(text, f) >= 0;
    if (f && fclose(f) != 0)
        ok = false;
    return ok;
}

static void
ngx_show_log(void)
{
    char path[800];
    snprintf(path, sizeof(path), "%s/error.log", ngx.dir);
    char *t = read_text(path);
    fprintf(stderr, "--- nginx error.log:\n%s\n", t ? t : "(empty)");
    free(t);
}

/* The example config with this run's addresses, inside the main context it is documented to
 * be included in. Workers run as root when the test does (nginx would otherwise switch them
 * to nobody, who cannot enter the 0700 test directory). */
static int
ngx_write_config(void)
{
    const char *src = getenv("WX_SRC_DIR");
    char path[800], listen[32], wxauth[32], upstream[32], conf[8192];
    if (!src) {
        fprintf(stderr, "WX_SRC_DIR is not set (run through ctest)\n");
        return -1;
    }
    snprintf(path, sizeof(path), "%s/examples/nginx/wxauth-gate.conf", src);
    char *tmpl = read_text(path);
    if (!tmpl) {
        fprintf(stderr, "cannot read %s\n", path);
        return -1;
    }
    snprintf(listen, sizeof(listen), "127.0.0.1:%d", ngx.port);
    snprintf(wxauth, sizeof(wxauth), "127.0.0.1:%d", env.auth_port);
    snprintf(upstream, sizeof(upstream), "127.0.0.1:%d", app.port);
    char *gate = fill(tmpl, (const char *const[]){"@LISTEN@", "@WXAUTH@", "@UPSTREAM@", NULL},
                      (const char *const[]){listen, wxauth, upstream, NULL});
    free(tmpl);
    /* Every placeholder is documented and filled: none may be left. */
    if (!gate || strstr(gate, "@LISTEN@") || strstr(gate, "@WXAUTH@") ||
        strstr(gate, "@UPSTREAM@")) {
        free(gate);
        return -1;
    }
    snprintf(path, sizeof(path), "%s/wxauth-gate.conf", ngx.dir);
    bool ok = write_text(path, gate);
    free(gate);
    snprintf(conf, sizeof(conf),
             "%s"
             "worker_processes 1;\n"
             "events { worker_connections 256; }\n"
             "http {\n"
             "    default_type text/plain;\n"
             "    access_log %s/access.log;\n"
             "    client_body_temp_path %s/tmp/body;\n"
             "    proxy_temp_path %s/tmp/proxy;\n"
             "    fastcgi_temp_path %s/tmp/fastcgi;\n"
             "    uwsgi_temp_path %s/tmp/uwsgi;\n"
             "    scgi_temp_path %s/tmp/scgi;\n"
             "    include %s/wxauth-gate.conf;\n"
             "}\n",
             geteuid() == 0 ? "user root;\n" : "", ngx.dir, ngx.dir, ngx.dir, ngx.dir, ngx.dir,
             ngx.dir, ngx.dir);
    snprintf(path, sizeof(path), "%s/nginx.conf", ngx.dir);
    return ok && write_text(path, conf) ? 0 : -1;
}

/* SIGQUIT (graceful), then SIGTERM, then SIGKILL; nginx's exit code, or -1 if it had to be
 * killed. */
static int
ngx_stop(void)
{
    static const int sigs[] = {SIGQUIT, SIGTERM};
    if (ngx.pid <= 0)
        return 0;
    for (int s = 0; s < 2; s++) {
        kill(ngx.pid, sigs[s]);
        for (int i = 0; i < 100; i++) { /* 10 s each */
            int st = 0;
            if (waitpid(ngx.pid, &st, WNOHANG) == ngx.pid) {
                ngx.pid = 0;
                return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
            }
            sleep_ms(100);
        }
    }
    kill(ngx.pid, SIGKILL);
    waitpid(ngx.pid, NULL, 0);
    ngx.pid = 0;
    return -1;
}

static int
ngx_start(void)
{
    const char *bin = getenv("WX_NGINX") ? getenv("WX_NGINX") : "/usr/sbin/nginx";
    char conf[800], tmp[800], glob[2600], log[800];
    if (access(bin, X_OK) != 0) {
        fprintf(stderr, "%s not found: scripts/install-deps.sh installs nginx-light\n", bin);
        return -1;
    }
    snprintf(ngx.dir, sizeof(ngx.dir), "%s/nginx", env.dir);
    snprintf(tmp, sizeof(tmp), "%s/tmp", ngx.dir);
    if (mkdir(ngx.dir, 0700) != 0 || mkdir(tmp, 0700) != 0)
        return -1;
    if ((ngx.port = wxt_free_port()) <= 0)
        return -1;
    snprintf(ngx.base, sizeof(ngx.base), "http://127.0.0.1:%d", ngx.port);
    if (ngx_write_config() != 0) {
        fprintf(stderr, "cannot write the nginx config from the example\n");
        return -1;
    }
    snprintf(conf, sizeof(conf), "%s/nginx.conf", ngx.dir);
    snprintf(log, sizeof(log), "%s/error.log", ngx.dir);
    snprintf(glob, sizeof(glob),
             "daemon off; master_process on; pid %s/nginx.pid; error_log %s info;", ngx.dir, log);
    ngx.pid = fork();
    if (ngx.pid < 0)
        return -1;
    if (ngx.pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        execl(bin, bin, "-p", ngx.dir, "-c", conf, "-e", log, "-g", glob, (char *)NULL);
        _exit(127);
    }
    /* Up when it answers on its port: the check location is internal, so a 404 from nginx. */
    char url[128];
    snprintf(url, sizeof(url), "%s/_wxauth/check", ngx.base);
    for (int i = 0; i < 100; i++) { /* 10 s */
        wxtk_resp_t r;
        int st = 0;
        if (waitpid(ngx.pid, &st, WNOHANG) == ngx.pid) {
            ngx.pid = 0;
            ngx_show_log();
            return -1;
        }
        if (wxtk_http("GET", url, NULL, NULL, &r) == 0) {
            long code = r.status;
            wxtk_resp_free(&r);
            if (code == 404)
                return 0;
            fprintf(stderr, "nginx answered %ld for its internal location\n", code);
            break;
        }
        sleep_ms(100);
    }
    ngx_show_log();
    ngx_stop();
    return -1;
}

/* On failure cmocka still runs group_teardown, which stops whatever did start. */
static int
group_setup(void **state)
{
    static const wxt_opts_t opts = {.retries = -1,
                                    .extra_config = "[gate]\ncookie = " GATE_COOKIE "\n"};
    wxt_setup(&env, &opts);
    if (app_start(&app) != 0) {
        fprintf(stderr, "cannot start the protected app: %s\n", strerror(errno));
        return -1;
    }
    return ngx_start();
}

static int
group_teardown(void **state)
{
    int rc = ngx_stop();
    if (rc != 0) {
        ngx_show_log();
        fprintf(stderr, "nginx exited %d (want 0: a clean graceful stop)\n", rc);
    }
    app_stop(&app);
    wxt_teardown(&env);
    return rc == 0 ? 0 : -1;
}

/* ---- helpers ---- */

typedef struct {
    long status;
    char *body;
    char *www_authenticate;
    char app[APP_REQ_MAX]; /* what the app received, when it was reached */
    bool reached;
} gate_resp_t;

/* One request through nginx with headers (NULL-terminated, may be NULL) and body (may be
 * NULL); records whether the app was reached and what it got. */
static void
gate(const char *method, const char *path, const char *const *headers, const char *body,
     gate_resp_t *out)
{
    char url[512];
    wxtk_resp_t r;
    memset(out, 0, sizeof(*out));
    snprintf(url, sizeof(url), "%s%s", ngx.base, path);
    long before = app_hits(&app);
    if (wxtk_http(method, url, headers, body, &r) != 0)
        fail_msg("no answer from nginx for %s %s", method, path);
    out->status = r.status;
    out->body = r.body;
    out->www_authenticate = r.www_authenticate;
    r.body = r.www_authenticate = NULL;
    wxtk_resp_free(&r);
    long after = app_hits(&app);
    out->reached = after != before;
    if (after - before > 1)
        fail_msg("the app got %ld requests for one", after - before);
    if (out->reached) {
        pthread_mutex_lock(&app.mu);
        memcpy(out->app, app.last, sizeof(out->app));
        pthread_mutex_unlock(&app.mu);
    }
}

static void
gate_free(gate_resp_t *g)
{
    free(g->body);
    free(g->www_authenticate);
}

static void
gate_bearer(const char *token, gate_resp_t *out)
{
    size_t n = strlen(token) + 32;
    char *h = malloc(n);
    assert_non_null(h);
    snprintf(h, n, "Authorization: Bearer %s", token);
    gate("GET", "/app/page?x=1", (const char *const[]){h, NULL}, NULL, out);
    free(h);
}

/* Every header line of the app's request named name (case-insensitive); count returned, the
 * value of the last one copied to val. */
static int
app_header(const char *req, const char *name, char *val, size_t n)
{
    int count = 0;
    size_t nl = strlen(name);
    const char *end = strstr(req, "\r\n\r\n");
    for (const char *p = strstr(req, "\r\n"); p && end && p < end; p = strstr(p, "\r\n")) {
        p += 2;
        if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
            const char *v = p + nl + 1, *e = strstr(v, "\r\n");
            while (*v == ' ')
                v++;
            snprintf(val, n, "%.*s", (int)(e - v), v);
            count++;
        }
    }
    return count;
}

/* The app must have received exactly one of each X-Wxauth-* header, with these values. */
static void
expect_user(const gate_resp_t *g, const char *sub, const char *openid, const char *unionid)
{
    static const char *const names[] = {"X-Wxauth-User-Id", "X-Wxauth-Openid", "X-Wxauth-Unionid",
                                        "X-Wxauth-Pool"};
    const char *want[] = {sub, openid, unionid, "demo"};
    char got[256];
    if (g->status != 200 || !g->reached)
        fail_msg("want 200 from the app, got %ld (app reached: %d) %.200s", g->status, g->reached,
                 g->body ? g->body : "");
    assert_string_equal(g->body, APP_BODY);
    for (int i = 0; i < 4; i++) {
        int c = app_header(g->app, names[i], got, sizeof(got));
        if (c != 1)
            fail_msg("the app got %d %s headers, want 1:\n%s", c, names[i], g->app);
        if (strcmp(got, want[i]) != 0)
            fail_msg("%s: the app got '%s', want '%s'", names[i], got, want[i]);
    }
}

static void
expect_refused(const gate_resp_t *g, bool token_sent, const char *what)
{
    if (g->status != 401)
        fail_msg("%s: want 401, got %ld", what, g->status);
    if (g->reached)
        fail_msg("%s: the app was reached:\n%s", what, g->app);
    if (!g->www_authenticate || strncmp(g->www_authenticate, "Bearer realm=\"wxauth\"", 21) != 0)
        fail_msg("%s: WWW-Authenticate is '%s'", what,
                 g->www_authenticate ? g->www_authenticate : "(none)");
    bool invalid = strstr(g->www_authenticate, "error=\"invalid_token\"") != NULL;
    if (invalid != token_sent)
        fail_msg("%s: WWW-Authenticate '%s'", what, g->www_authenticate);
}

/* A fresh emulated person logs in; their token, user id, openid and unionid. */
static char *
login(const char *person, char *sub, char *openid, char *unionid)
{
    wxtk_person_add(&env, person, person);
    char *tok = wxtk_login_token(&env, DEMO_START, person, sub, 64);
    wxt_emu_person_ids(&env, WXT_APPID, person, openid, 64, unionid, 64);
    assert_true(openid[0] && unionid[0]);
    return tok;
}

static void
expect_token_ok(const char *tok, const char *sub, const char *openid, const char *unionid)
{
    gate_resp_t g;
    gate_bearer(tok, &g);
    expect_user(&g, sub, openid, unionid);
    gate_free(&g);
}

static void
expect_token_refused(const char *tok, const char *what)
{
    gate_resp_t g;
    gate_bearer(tok, &g);
    expect_refused(&g, true, what);
    gate_free(&g);
}

/* ---- the cases ---- */

static void
test_no_token(void **state)
{
    gate_resp_t g;
    gate("GET", "/app/page", NULL, NULL, &g);
    expect_refused(&g, false, "no token");
    gate_free(&g);
    /* Headers that claim a user are no credential. */
    gate("GET", "/app/page",
         (const char *const[]){"X-Wxauth-User-Id: 000000000000000000000001", "X-Wxauth-Pool: demo",
                               NULL},
         NULL, &g);
    expect_refused(&g, false, "no token, spoofed X-Wxauth headers");
    gate_free(&g);
    /* A POST with a body: refused before the body matters. */
    gate("POST", "/app/form", (const char *const[]){"Content-Type: text/plain", NULL}, "data", &g);
    expect_refused(&g, false, "POST without a token");
    gate_free(&g);
}

static void
test_valid_token(void **state)
{
    char sub[64], openid[64], unionid[64];
    char *tok = login("gate-valid", sub, openid, unionid);
    expect_token_ok(tok, sub, openid, unionid);
    /* The app gets the request as the client sent it, body included (only the check goes
     * without it), and the token is not what identifies the user to it. */
    size_t n = strlen(tok) + 32;
    char *h = malloc(n), got[64];
    assert_non_null(h);
    snprintf(h, n, "Authorization: Bearer %s", tok);
    gate_resp_t g;
    gate("POST", "/app/form?y=2", (const char *const[]){h, "Content-Type: text/plain", NULL},
         "hello body", &g);
    expect_user(&g, sub, openid, unionid);
    assert_true(strncmp(g.app, "POST /app/form?y=2 HTTP/1.1\r\n", 29) == 0);
    assert_int_equal(app_header(g.app, "Content-Length", got, sizeof(got)), 1);
    assert_string_equal(got, "10");
    assert_string_equal(strstr(g.app, "\r\n\r\n") + 4, "hello body");
    gate_free(&g);
    free(h);
    free(tok);
}

static void
test_spoofed_headers_overwritten(void **state)
{
    char sub[64], openid[64], unionid[64];
    char *tok = login("gate-spoof", sub, openid, unionid);
    size_t n = strlen(tok) + 32;
    char *h = malloc(n);
    assert_non_null(h);
    snprintf(h, n, "Authorization: Bearer %s", tok);
    gate_resp_t g;
    gate("GET", "/app/page",
         (const char *const[]){"X-Wxauth-User-Id: spoofed-user", "x-wxauth-openid: spoofed-openid",
                               h, "X-WXAUTH-UNIONID: spoofed-unionid",
                               "X-Wxauth-Pool: spoofed-pool",
                               "X-Wxauth_User_Id: spoofed-underscore", NULL},
         NULL, &g);
    expect_user(&g, sub, openid, unionid); /* exactly one of each, the real value */
    if (strstr(g.app, "spoofed"))
        fail_msg("a client-sent header reached the app:\n%s", g.app);
    gate_free(&g);
    free(h);
    free(tok);
}

static void
test_garbage_and_forged_tokens(void **state)
{
    char sub[64], openid[64], unionid[64];
    char *tok = login("gate-forged", sub, openid, unionid);
    expect_token_refused("garbage", "garbage token");
    expect_token_refused("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", "alg none");
    /* The payload of a genuine token changed to another user, signature kept. */
    json_t *hdr = wxtk_part(tok, 0), *pl = wxtk_part(tok, 1);
    json_object_set_new(pl, "sub", json_string("000000000000000000000001"));
    char *htext = json_dumps(hdr, JSON_COMPACT), *ptext = json_dumps(pl, JSON_COMPACT);
    char *forged = wxtk_craft(htext, ptext, strrchr(tok, '.') + 1);
    expect_token_refused(forged, "payload changed");
    /* Signature damaged. */
    char *damaged = strdup(tok);
    char *last = damaged + strlen(damaged) - 2;
    *last = *last == 'A' ? 'B' : 'A';
    expect_token_refused(damaged, "signature changed");
    /* The genuine token still passes. */
    expect_token_ok(tok, sub, openid, unionid);
    free(damaged);
    free(forged);
    free(htext);
    free(ptext);
    json_decref(hdr);
    json_decref(pl);
    free(tok);
}

static void
test_expired_token(void **state)
{
    char sub[64], openid[64], unionid[64];
    char *tok = login("gate-expired", sub, openid, unionid);
    json_t *hdr = wxtk_part(tok, 0), *pl = wxtk_part(tok, 1);
    const char *kid = json_string_value(json_object_get(hdr, "kid"));
    assert_non_null(kid);
    /* Signed with the server's own key, so only exp can refuse it; the control token made the
     * same way but still valid passes. */
    jwk_t *key = wxtk_key(&env, kid);
    int64_t now = (int64_t)time(NULL);
    json_object_set_new(pl, "iat", json_integer(now - 7200));
    json_object_set_new(pl, "exp", json_integer(now - 3600));
    json_object_set_new(pl, "jti", json_string("gate-expired-jti-1"));
    char *expired = wxtk_sign(key, NULL, pl);
    json_object_set_new(pl, "iat", json_integer(now - 60));
    json_object_set_new(pl, "exp", json_integer(now + 600));
    json_object_set_new(pl, "jti", json_string("gate-expired-jti-2"));
    char *control = wxtk_sign(key, NULL, pl);
    expect_token_refused(expired, "expired an hour ago");
    expect_token_ok(control, sub, openid, unionid);
    free(expired);
    free(control);
    jwk_free(key);
    json_decref(hdr);
    json_decref(pl);
    free(tok);
}

static long
post(const char *path, const char *const *headers, const char *body)
{
    char url[256];
    wxtk_resp_t r;
    snprintf(url, sizeof(url), "%s%s", env.auth, path);
    assert_int_equal(wxtk_http("POST", url, headers, body, &r), 0);
    long st = r.status;
    wxtk_resp_free(&r);
    return st;
}

static void
test_revoked_tokens(void **state)
{
    char sub[64], openid[64], unionid[64], sub2[64];
    /* Logout revokes the Bearer token. */
    char *t1 = login("gate-logout", sub, openid, unionid);
    expect_token_ok(t1, sub, openid, unionid);
    size_t n = strlen(t1) + 32;
    char *h = malloc(n);
    assert_non_null(h);
    snprintf(h, n, "Authorization: Bearer %s", t1);
    assert_int_equal(post("/api/v2/logout", (const char *const[]){h, NULL}, NULL), 200);
    expect_token_refused(t1, "after logout");
    free(h);
    /* RFC 7009 revocation by the token's holder; a second token of the same user stays good. */
    char *t2 = login("gate-revoke", sub, openid, unionid);
    char *t3 = wxtk_login_token(&env, DEMO_START, "gate-revoke", sub2, sizeof(sub2));
    assert_string_equal(sub, sub2);
    expect_token_ok(t2, sub, openid, unionid);
    char *esc = wxtk_escape(t2);
    n = strlen(esc) + 8;
    char *form = malloc(n);
    assert_non_null(form);
    snprintf(form, n, "token=%s", esc);
    assert_int_equal(
        post("/oidc/token/revocation",
             (const char *const[]){"Content-Type: application/x-www-form-urlencoded", NULL}, form),
        200);
    expect_token_refused(t2, "after /oidc/token/revocation");
    expect_token_ok(t3, sub, openid, unionid);
    free(form);
    free(esc);
    free(t1);
    free(t2);
    free(t3);
}

static void
cookie_request(const char *cookie, gate_resp_t *g)
{
    size_t n = strlen(cookie) + 16;
    char *h = malloc(n);
    assert_non_null(h);
    snprintf(h, n, "Cookie: %s", cookie);
    gate("GET", "/app/page", (const char *const[]){h, NULL}, NULL, g);
    free(h);
}

static void
test_cookie(void **state)
{
    char sub[64], openid[64], unionid[64];
    char *tok = login("gate-cookie", sub, openid, unionid);
    size_t n = strlen(tok) + 64;
    char *c = malloc(n);
    assert_non_null(c);
    gate_resp_t g;
    /* The [gate] cookie, among others. */
    snprintf(c, n, "theme=dark; " GATE_COOKIE "=%s; lang=zh", tok);
    cookie_request(c, &g);
    expect_user(&g, sub, openid, unionid);
    gate_free(&g);
    /* A cookie of another name is no token. */
    snprintf(c, n, "other_token=%s", tok);
    cookie_request(c, &g);
    expect_refused(&g, false, "token in another cookie");
    gate_free(&g);
    cookie_request(GATE_COOKIE "=garbage", &g);
    expect_refused(&g, true, "garbage cookie");
    gate_free(&g);
    free(c);
    free(tok);
}

static void
test_check_location_is_internal(void **state)
{
    char sub[64], openid[64], unionid[64];
    char *tok = login("gate-internal", sub, openid, unionid);
    size_t n = strlen(tok) + 32;
    char *h = malloc(n);
    assert_non_null(h);
    snprintf(h, n, "Authorization: Bearer %s", tok);
    gate_resp_t g;
    gate("GET", "/_wxauth/check", (const char *const[]){h, NULL}, NULL, &g);
    assert_int_equal(g.status, 404);
    assert_false(g.reached);
    gate_free(&g);
    free(h);
    free(tok);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_token),
        cmocka_unit_test(test_valid_token),
        cmocka_unit_test(test_spoofed_headers_overwritten),
        cmocka_unit_test(test_garbage_and_forged_tokens),
        cmocka_unit_test(test_expired_token),
        cmocka_unit_test(test_revoked_tokens),
        cmocka_unit_test(test_cookie),
        cmocka_unit_test(test_check_location_is_internal),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
