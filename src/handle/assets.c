/* GET/HEAD of the built-in static files: /sdk/wxmp.js (+ .min.js) and /console/. Every file has
 * a strong ETag (its content hash) so browsers revalidate cheaply; the console also gets a strict
 * Content-Security-Policy, since it handles the admin credential. */
#include "assets.h"

#include <string.h>

#include "../http/reply.h"
#include "ctx.h"

/* The console loads only its own files and talks only to its own origin; no inline script or
 * style, no framing, no plugins. img-src allows https: for WeChat avatar URLs, and http: for
 * the emulator's drawn ones in a demo on http: (an https: console never loads http: images). */
#define CONSOLE_CSP                                                                                \
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: https: http:; " \
    "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; "                   \
    "frame-ancestors 'none'"

const asset_t *
assets_find(const char *path)
{
    for (size_t i = 0; i < assets_count; i++)
        if (strcmp(assets_table[i].path, path) == 0)
            return &assets_table[i];
    return NULL;
}

static bool
ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

const char *
assets_content_type(const char *path)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".js", "application/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".html", "text/html; charset=utf-8"},
        {".json", "application/json"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".ico", "image/x-icon"},
        {".txt", "text/plain; charset=utf-8"},
    };
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        if (ends_with(path, types[i].ext))
            return types[i].type;
    return "application/octet-stream";
}

void
handle_assets(http_req_t *r)
{
    bool head = strcmp(r->method, "HEAD") == 0;
    if (!head && strcmp(r->method, "GET") != 0) {
        http_add_header(r, "Allow", "GET, HEAD");
        http_reply_error(r, 405, 405, "method not allowed");
        return;
    }
    if (strcmp(r->path, "/console") == 0) {
        r->outcome = "redirect";
        http_reply_redirect(r, "/console/");
        return;
    }
    bool console = strncmp(r->path, "/console/", 9) == 0;
    const asset_t *a =
        assets_find(strcmp(r->path, "/console/") == 0 ? "/console/index.html" : r->path);
    if (console)
        http_add_header(r, "Content-Security-Policy", CONSOLE_CSP);
    if (!a) {
        r->outcome = "not_found";
        http_reply_error(r, 404, 404, "not found");
        return;
    }
    /* The SDK is loaded by business pages on other origins; the console is revalidated on each
     * load so an upgrade of wxauthd shows at once. */
    http_add_header(r, "Cache-Control", console ? "no-cache" : "public, max-age=3600");
    if (!console)
        http_add_header(r, "Access-Control-Allow-Origin", "*");
    else
        http_add_header(r, "X-Frame-Options", "DENY");
    http_add_header(r, "ETag", a->etag);
    const char *inm = http_req_header(r, "If-None-Match");
    if (inm && strstr(inm, a->etag)) {
        r->outcome = "not_modified";
        http_reply_raw(r, 304, NULL, NULL, 0);
        return;
    }
    r->outcome = "ok";
    /* evhttp leaves the body out of a HEAD response but keeps Content-Length. */
    http_reply_raw(r, 200, assets_content_type(a->path), a->data, a->len);
}
