/* wxsample: command line, the HTTP listener (libevent evhttp, one thread) and request routing.
 * See README.md beside this file; `make demo` runs it on 127.0.0.1:8000. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "sample.h"

static const char usage[] =
    "usage: wxsample --wxauth URL (--app APP_ID | --pool POOL_ID) [options]\n"
    "  --listen HOST:PORT   where to serve the pages and the API (default 127.0.0.1:8000)\n"
    "  --wxauth URL         wxauthd's public URL: the pages load URL/sdk/wxmp.js, tokens are\n"
    "                       checked against URL/oidc/.well-known/jwks.json, issuer URL/oidc\n"
    "  --app APP_ID         log in through this application (@authing/wxmp 1.1+ form)\n"
    "  --pool POOL_ID       log in through this pool (@authing/wxmp 1.0 form) when no --app\n"
    "  --identifier ID      the connection (default wechat:webpage-authorization)\n"
    "  --audience AUD       the token's required audience (default the app id, else the pool)\n"
    "  --public DIR         the pages (default " WXSAMPLE_PUBLIC_DIR ")\n"
    "  --desktop-login      let browsers outside WeChat log in (for an emulator with\n"
    "                       ua_check = off; real WeChat only logs in inside its app)\n";

void
sample_log(struct evhttp_request *req, int status, const char *note)
{
    const char *m = "?";
    switch (evhttp_request_get_command(req)) {
    case EVHTTP_REQ_GET:
        m = "GET";
        break;
    case EVHTTP_REQ_HEAD:
        m = "HEAD";
        break;
    case EVHTTP_REQ_POST:
        m = "POST";
        break;
    default:
        break;
    }
    const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
    /* Never the query: a business callback's query carries the token. */
    fprintf(stderr, "wxsample: %s %s -> %d%s%s\n", m, path ? path : "?", status, note ? ": " : "",
            note ? note : "");
}

void
sample_reply(struct evhttp_request *req, int status, const char *ctype, const char *body,
             size_t len)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    struct evbuffer *buf = evbuffer_new();
    if (ctype)
        evhttp_add_header(h, "Content-Type", ctype);
    evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
    /* The callback page's address holds the token: never send it on in a Referer. */
    evhttp_add_header(h, "Referrer-Policy", "no-referrer");
    if (buf && body && len)
        evbuffer_add(buf, body, len);
    const char *reason = status == 200   ? "OK"
                         : status == 401 ? "Unauthorized"
                         : status == 404 ? "Not Found"
                         : status == 405 ? "Method Not Allowed"
                         : status == 503 ? "Service Unavailable"
                                         : "Error";
    evhttp_send_reply(req, status, reason, buf);
    if (buf)
        evbuffer_free(buf);
}

static void
on_request(struct evhttp_request *req, void *arg)
{
    sample_app_t *app = arg;
    const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
    enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
    if (!path || !*path)
        path = "/";
    if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
        static const char body[] = "{\"code\":405,\"message\":\"use GET\"}";
        evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, HEAD");
        sample_reply(req, 405, "application/json", body, sizeof(body) - 1);
        sample_log(req, 405, NULL);
        return;
    }
    if (strcmp(path, "/api/profile") == 0) {
        sample_profile_serve(app, req);
        return;
    }
    if (strcmp(path, "/healthz") == 0) {
        static const char body[] = "{\"status\":\"ok\"}";
        sample_reply(req, 200, "application/json", body, sizeof(body) - 1);
        return;
    }
    if (sample_pages_serve(app, req, path))
        return;
    static const char body[] = "{\"code\":404,\"message\":\"not found\"}";
    sample_reply(req, 404, "application/json", body, sizeof(body) - 1);
    sample_log(req, 404, NULL);
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)sig;
    (void)what;
    event_base_loopexit(arg, NULL);
}

/* A URL the pages put in a <script src> and the CSP: http(s), printable, nothing that could
 * end an attribute or a CSP source list. */
static bool
url_ok(const char *u)
{
    if (strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0)
        return false;
    if (strlen(u) >= SAMPLE_URL_MAX - 64)
        return false;
    for (const char *p = u; *p; p++)
        if (*p <= ' ' || *p >= 0x7f || strchr("\"'<>;,\\`", *p))
            return false;
    return true;
}

static bool
id_ok(const char *s)
{
    if (!*s || strlen(s) >= SAMPLE_ID_MAX)
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              strchr(":_.-", *p)))
            return false;
    return true;
}

/* Parse argv into cfg; false and a message in err on a usage error. */
static bool
parse_args(int argc, char **argv, sample_config_t *cfg, char *err, size_t errlen)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **dst = NULL;
        if (strcmp(a, "--desktop-login") == 0) {
            cfg->desktop_login = true;
            continue;
        }
        if (strcmp(a, "--listen") == 0)
            dst = &cfg->listen;
        else if (strcmp(a, "--wxauth") == 0)
            dst = &cfg->wxauth;
        else if (strcmp(a, "--app") == 0)
            dst = &cfg->app_id;
        else if (strcmp(a, "--pool") == 0)
            dst = &cfg->pool_id;
        else if (strcmp(a, "--identifier") == 0)
            dst = &cfg->identifier;
        else if (strcmp(a, "--audience") == 0)
            dst = &cfg->audience;
        else if (strcmp(a, "--public") == 0)
            dst = &cfg->public_dir;
        if (!dst) {
            snprintf(err, errlen, "unknown argument '%s'", a);
            return false;
        }
        if (i + 1 >= argc) {
            snprintf(err, errlen, "%s needs a value", a);
            return false;
        }
        *dst = argv[++i];
    }
    if (!cfg->wxauth || !url_ok(cfg->wxauth)) {
        snprintf(err, errlen, "--wxauth must be an http(s) URL such as http://127.0.0.1:8080");
        return false;
    }
    if (!cfg->app_id && !cfg->pool_id) {
        snprintf(err, errlen, "give --app APP_ID (application flow) or --pool POOL_ID");
        return false;
    }
    const char *ids[] = {cfg->app_id, cfg->pool_id, cfg->identifier, cfg->audience};
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
        if (ids[i] && !id_ok(ids[i])) {
            snprintf(err, errlen, "'%s' is not an id (letters, digits, ':', '_', '.', '-')",
                     ids[i]);
            return false;
        }
    if (!cfg->audience)
        cfg->audience = cfg->app_id ? cfg->app_id : cfg->pool_id;
    return true;
}

/* "host:port" -> evhttp bind; IPv6 as [addr]:port. */
static bool
bind_listen(struct evhttp *http, const char *listen, char *err, size_t errlen)
{
    char host[128];
    const char *colon = strrchr(listen, ':');
    char *end = NULL;
    long port = colon ? strtol(colon + 1, &end, 10) : -1;
    if (!colon || colon == listen || (size_t)(colon - listen) >= sizeof(host) || !end || *end ||
        port < 0 || port > 65535) {
        snprintf(err, errlen, "--listen '%s' is not HOST:PORT", listen);
        return false;
    }
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    char *h = host;
    size_t n = strlen(h);
    if (h[0] == '[' && n > 2 && h[n - 1] == ']') {
        h[n - 1] = '\0';
        h++;
    }
    if (!evhttp_bind_socket_with_handle(http, h, (ev_uint16_t)port)) {
        snprintf(err, errlen, "cannot listen on %s: %s", listen, strerror(errno));
        return false;
    }
    return true;
}

int
main(int argc, char **argv)
{
    int rc = 1;
    char err[512] = "";
    sample_app_t app = {.cfg = {.listen = "127.0.0.1:8000",
                                .identifier = "wechat:webpage-authorization",
                                .public_dir = WXSAMPLE_PUBLIC_DIR}};
    struct event_base *base = NULL;
    struct evhttp *http = NULL;
    struct event *sigterm = NULL, *sigint = NULL;

    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(usage, stdout);
        return 0;
    }
    if (!parse_args(argc, argv, &app.cfg, err, sizeof(err))) {
        fprintf(stderr, "wxsample: %s\n%s", err, usage);
        return 2;
    }
    snprintf(app.wxauth, sizeof(app.wxauth), "%s", app.cfg.wxauth);
    for (size_t n = strlen(app.wxauth); n > 0 && app.wxauth[n - 1] == '/'; n--)
        app.wxauth[n - 1] = '\0';
    snprintf(app.jwks_url, sizeof(app.jwks_url), "%s/oidc/.well-known/jwks.json", app.wxauth);
    snprintf(app.issuer, sizeof(app.issuer), "%s/oidc", app.wxauth);
    /* The pages run only their own scripts and the SDK from wxauthd, and call only this
     * origin and wxauthd (its public /desktop/methods: the entry page's "其他方式"). */
    snprintf(app.csp, sizeof(app.csp),
             "default-src 'none'; script-src 'self' %s; style-src 'self'; "
             "img-src 'self' data: http: https:; connect-src 'self' %s; base-uri 'none'; "
             "form-action 'none'; frame-ancestors 'none'",
             app.wxauth, app.wxauth);
    signal(SIGPIPE, SIG_IGN);

    if (!sample_pages_load(&app, err, sizeof(err))) {
        fprintf(stderr, "wxsample: %s\n", err);
        goto out;
    }
    base = event_base_new();
    http = base ? evhttp_new(base) : NULL;
    if (!http) {
        fprintf(stderr, "wxsample: out of memory\n");
        goto out;
    }
    evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST |
                                         EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS |
                                         EVHTTP_REQ_PATCH);
    evhttp_set_max_headers_size(http, 16384); /* a token is at most WXAUTH_TOKEN_MAX bytes */
    evhttp_set_max_body_size(http, 4096);
    evhttp_set_timeout(http, 30);
    evhttp_set_gencb(http, on_request, &app);
    if (!bind_listen(http, app.cfg.listen, err, sizeof(err))) {
        fprintf(stderr, "wxsample: %s\n", err);
        goto out;
    }
    sigterm = evsignal_new(base, SIGTERM, on_signal, base);
    sigint = evsignal_new(base, SIGINT, on_signal, base);
    if (!sigterm || !sigint || evsignal_add(sigterm, NULL) || evsignal_add(sigint, NULL)) {
        fprintf(stderr, "wxsample: cannot handle signals\n");
        goto out;
    }
    /* wxauthd may still be starting: if the JWKS cannot be had now, the first API call that
     * needs it tries again. */
    if (!sample_verifier_ensure(&app, err, sizeof(err)))
        fprintf(stderr, "wxsample: JWKS not loaded yet (%s); will retry on demand\n", err);
    fprintf(stderr, "wxsample: listening on http://%s/ (wxauthd %s, %s %s, audience %s)\n",
            app.cfg.listen, app.wxauth, app.cfg.app_id ? "app" : "pool",
            app.cfg.app_id ? app.cfg.app_id : app.cfg.pool_id, app.cfg.audience);
    if (event_base_dispatch(base) < 0) {
        fprintf(stderr, "wxsample: event loop failed\n");
        goto out;
    }
    fprintf(stderr, "wxsample: stopped\n");
    rc = 0;
out:
    if (sigterm)
        event_free(sigterm);
    if (sigint)
        event_free(sigint);
    if (http)
        evhttp_free(http);
    if (base)
        event_base_free(base);
    if (app.verifier)
        wxauth_verifier_free(app.verifier);
    sample_pages_free(&app);
    return rc;
}
