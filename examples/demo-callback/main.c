/* wxdemo-callback: the minimal business site of `make demo`. "/" links to the login;
 * "/callback" is the business Callback URL: it reads code, message and data from the query the
 * way Authing's SDK does and shows the outcome. Rendered on the server so it needs no script;
 * the full sample app with the browser SDK lives in examples/ (issue 5). */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "http/reply.h"
#include "http/server.h"
#include "util/log.h"

static const char *login_url = "http://127.0.0.1:8080//oauth/wechatmp/url/demo";
static const char *app_login_url = NULL;

static void
page_start(wx_buf_t *b, const char *title)
{
    wx_buf_puts(b,
                "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>");
    http_html_escape(b, title);
    wx_buf_puts(b, "</title><style>body{font-family:sans-serif;max-width:40em;margin:2em auto;"
                   "padding:0 1em;color:#222}a.btn{display:inline-block;background:#07c160;"
                   "color:#fff;padding:.7em 1.4em;border-radius:6px;text-decoration:none;"
                   "margin:.3em 0}img{border-radius:8px;vertical-align:middle}"
                   "dt{font-weight:bold;margin-top:.5em}dd{margin-left:1em;word-break:break-all}"
                   ".err{color:#b00}code{background:#f4f4f4;padding:0 .2em}</style></head><body>");
}

static void
reply_page(http_req_t *r, wx_buf_t *b)
{
    wx_buf_puts(b, "</body></html>\n");
    http_add_header(r, "Content-Security-Policy",
                    "default-src 'none'; style-src 'unsafe-inline'; img-src https: http: data:");
    http_reply_raw(r, 200, "text/html; charset=utf-8", wx_buf_str(b), b->len);
    wx_buf_free(b);
}

static void
on_index(http_req_t *r)
{
    wx_buf_t b;
    wx_buf_init(&b, 65536);
    page_start(&b, "wxauth demo");
    wx_buf_puts(&b, "<h1>wxauth demo business site</h1><p>Log in with WeChat (emulated):</p>"
                    "<p><a class=\"btn\" href=\"");
    http_html_escape(&b, login_url);
    wx_buf_puts(&b, "\">Log in (pool flow, @authing/wxmp 1.0)</a></p>");
    if (app_login_url) {
        wx_buf_puts(&b, "<p><a class=\"btn\" href=\"");
        http_html_escape(&b, app_login_url);
        wx_buf_puts(&b, "\">Log in (application flow, 1.1+)</a></p>");
    }
    reply_page(r, &b);
}

static void
field(wx_buf_t *b, const char *name, json_t *data, const char *key)
{
    json_t *v = json_object_get(data, key);
    wx_buf_puts(b, "<dt>");
    http_html_escape(b, name);
    wx_buf_puts(b, "</dt><dd>");
    if (json_is_string(v))
        http_html_escape(b, json_string_value(v));
    else if (json_is_integer(v))
        wx_buf_printf(b, "%lld", (long long)json_integer_value(v));
    wx_buf_puts(b, "</dd>");
}

static void
on_callback(http_req_t *r)
{
    const char *code = wx_query_get(&r->query, "code");
    const char *message = wx_query_get(&r->query, "message");
    const char *data = wx_query_get(&r->query, "data");
    wx_buf_t b;
    wx_buf_init(&b, 262144);
    page_start(&b, "Login result");
    if (code && strcmp(code, "200") == 0 && data) {
        json_error_t je;
        json_t *d = json_loads(data, 0, &je);
        wx_buf_puts(&b, "<h1>Logged in</h1>");
        const char *photo = json_string_value(json_object_get(d, "photo"));
        if (photo && *photo) {
            wx_buf_puts(&b, "<p><img width=\"64\" height=\"64\" alt=\"avatar\" src=\"");
            http_html_escape(&b, photo);
            wx_buf_puts(&b, "\"></p>");
        }
        wx_buf_puts(&b, "<dl>");
        field(&b, "nickname", d, "nickname");
        field(&b, "id", d, "id");
        field(&b, "openid", d, "openid");
        field(&b, "unionid", d, "unionid");
        field(&b, "loginsCount", d, "loginsCount");
        field(&b, "token (send as Authorization: Bearer …)", d, "token");
        wx_buf_puts(&b, "</dl>");
        json_decref(d);
    } else {
        wx_buf_puts(&b, "<h1 class=\"err\">Login failed</h1><p>code <code>");
        http_html_escape(&b, code ? code : "(none)");
        wx_buf_puts(&b, "</code>: ");
        http_html_escape(&b, message ? message : "");
        wx_buf_puts(&b, "</p>");
    }
    wx_buf_puts(&b, "<p><a href=\"/\">Back</a></p>");
    reply_page(r, &b);
}

static const http_route_t routes[] = {
    {"GET", "/", on_index, "index"},
    {"GET", "/callback", on_callback, "callback"},
};

int
main(int argc, char **argv)
{
    const char *listen = "127.0.0.1:8000";
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--listen") == 0)
            listen = argv[i + 1];
        else if (strcmp(argv[i], "--login-url") == 0)
            login_url = argv[i + 1];
        else if (strcmp(argv[i], "--app-login-url") == 0)
            app_login_url = argv[i + 1];
    }
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    wx_log_set_service("demo-app");
    http_server_config_t hc = {.service = "demo-app",
                               .listen = listen,
                               .workers = 1,
                               .routes = routes,
                               .nroutes = sizeof(routes) / sizeof(routes[0])};
    http_server_t *srv = NULL;
    wx_err_t err = {0};
    if (http_server_start(&hc, &srv, &err) != WX_OK) {
        fprintf(stderr, "wxdemo-callback: %s\n", err.msg);
        return 1;
    }
    http_server_run_until_signal(srv, 1000);
    http_server_free(srv);
    return 0;
}
