/* The sample app's pages: public/ is read once at start-up and the HTML files get the
 * settings filled in ({{wxauth}}, {{app_id}}, {{pool_id}}, {{identifier}}, {{desktop_login}}),
 * so the pages need no inline script and no request to learn where wxauthd is. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "sample.h"

static const struct {
    const char *name, *ctype;
} public_files[SAMPLE_NFILES] = {
    {"index.html", "text/html; charset=utf-8"},
    {"callback.html", "text/html; charset=utf-8"},
    {"app.js", "application/javascript; charset=utf-8"},
    {"style.css", "text/css; charset=utf-8"},
};

/* URL paths -> files; the callback is also reachable as /callback (the demo's Callback URL). */
static const struct {
    const char *path;
    size_t file;
} routes[] = {
    {"/", 0},       {"/index.html", 0}, {"/callback", 1}, {"/callback.html", 1},
    {"/app.js", 2}, {"/style.css", 3},
};

/* A growing buffer with a hard maximum. */
typedef struct {
    char *p;
    size_t len, cap;
    bool full;
} sbuf_t;

static void
sbuf_add(sbuf_t *b, const char *s, size_t n)
{
    if (b->full || b->len + n + 1 > SAMPLE_FILE_MAX) {
        b->full = true;
        return;
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *q = realloc(b->p, cap);
        if (!q) {
            b->full = true;
            return;
        }
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void
sbuf_add_escaped(sbuf_t *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&':
            sbuf_add(b, "&amp;", 5);
            break;
        case '<':
            sbuf_add(b, "&lt;", 4);
            break;
        case '>':
            sbuf_add(b, "&gt;", 4);
            break;
        case '"':
            sbuf_add(b, "&quot;", 6);
            break;
        case '\'':
            sbuf_add(b, "&#39;", 5);
            break;
        default:
            sbuf_add(b, s, 1);
        }
    }
}

static bool
read_file(const char *path, sbuf_t *out, char *err, size_t errlen)
{
    bool ok = false;
    char chunk[8192];
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return false;
    }
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        sbuf_add(out, chunk, n);
    if (ferror(f)) {
        snprintf(err, errlen, "cannot read %s", path);
        goto out;
    }
    if (out->full) {
        snprintf(err, errlen, "%s is over %d bytes", path, SAMPLE_FILE_MAX);
        goto out;
    }
    ok = true;
out:
    fclose(f);
    return ok;
}

/* The value of {{name}}, or NULL for a name the pages may not use. */
static const char *
setting(const sample_app_t *app, const char *name, size_t n)
{
#define IS(lit) (n == sizeof(lit) - 1 && memcmp(name, lit, n) == 0)
    if (IS("wxauth"))
        return app->wxauth;
    if (IS("app_id"))
        return app->cfg.app_id ? app->cfg.app_id : "";
    if (IS("pool_id"))
        return app->cfg.pool_id ? app->cfg.pool_id : "";
    if (IS("identifier"))
        return app->cfg.identifier;
    if (IS("desktop_login"))
        return app->cfg.desktop_login ? "on" : "off";
    return NULL;
#undef IS
}

/* Replace every {{name}} of src with its HTML-escaped setting; an unknown name is an error so
 * a typo in a page shows at start-up, not in a browser. */
static bool
fill_in(const sample_app_t *app, const char *file, const sbuf_t *src, sbuf_t *out, char *err,
        size_t errlen)
{
    const char *p = src->p, *end = src->p + src->len;
    while (p < end) {
        const char *open = strstr(p, "{{");
        if (!open) {
            sbuf_add(out, p, (size_t)(end - p));
            break;
        }
        const char *close = strstr(open + 2, "}}");
        if (!close) {
            snprintf(err, errlen, "%s: '{{' without '}}'", file);
            return false;
        }
        const char *v = setting(app, open + 2, (size_t)(close - open - 2));
        if (!v) {
            snprintf(err, errlen, "%s: unknown setting {{%.*s}}", file,
                     (int)(close - open - 2 > 40 ? 40 : close - open - 2), open + 2);
            return false;
        }
        sbuf_add(out, p, (size_t)(open - p));
        sbuf_add_escaped(out, v);
        p = close + 2;
    }
    if (out->full) {
        snprintf(err, errlen, "%s is over %d bytes once filled in", file, SAMPLE_FILE_MAX);
        return false;
    }
    return true;
}

bool
sample_pages_load(sample_app_t *app, char *err, size_t errlen)
{
    for (size_t i = 0; i < SAMPLE_NFILES; i++) {
        char path[1024];
        sbuf_t raw = {0}, out = {0};
        sample_file_t *f = &app->files[i];
        f->name = public_files[i].name;
        f->ctype = public_files[i].ctype;
        if ((size_t)snprintf(path, sizeof(path), "%s/%s", app->cfg.public_dir, f->name) >=
            sizeof(path)) {
            snprintf(err, errlen, "--public path is too long");
            return false;
        }
        bool html = strstr(f->name, ".html") != NULL;
        bool ok = read_file(path, &raw, err, errlen) &&
                  (!html || fill_in(app, f->name, &raw, &out, err, errlen));
        if (!ok) {
            free(raw.p);
            free(out.p);
            return false;
        }
        if (html) {
            free(raw.p);
            raw = out;
        }
        f->body = raw.p;
        f->len = raw.len;
    }
    return true;
}

void
sample_pages_free(sample_app_t *app)
{
    for (size_t i = 0; i < SAMPLE_NFILES; i++) {
        free(app->files[i].body);
        app->files[i].body = NULL;
    }
}

bool
sample_pages_serve(sample_app_t *app, struct evhttp_request *req, const char *path)
{
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        if (strcmp(path, routes[i].path) != 0)
            continue;
        const sample_file_t *f = &app->files[routes[i].file];
        struct evkeyvalq *h = evhttp_request_get_output_headers(req);
        /* Pages change when the app is restarted with other settings: always revalidate. */
        evhttp_add_header(h, "Cache-Control", "no-cache");
        if (strstr(f->ctype, "text/html")) {
            evhttp_add_header(h, "Content-Security-Policy", app->csp);
            evhttp_add_header(h, "X-Frame-Options", "DENY");
        }
        sample_reply(req, 200, f->ctype, f->body, f->len);
        return true;
    }
    return false;
}
