/* CORS for the endpoints authing-js-sdk calls from a page (docs/spec/authing-compat.md §7): the
 * SDK sends every request withCredentials and with x-authing-* headers, so a page on another
 * origin needs a preflight answered and credentialed responses. Both are given only to an
 * origin registered for the application (its web_origins; `wxauth app update --web-origin`):
 * the origin is echoed, never `*`, with Access-Control-Allow-Credentials and Vary: Origin.
 *
 * Which application: the x-authing-app-id header (every SDK request carries it), else the
 * app_id / appId query parameter (logout(), logoutCurrent()). A preflight carries no header
 * values, so it is answered for an origin that some application registered — of the pool in
 * the query when named, else of any pool; the request that follows is checked against its own
 * application. The store is read off the loop (reads.h). */
#include "ctx.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../http/reply.h"
#include "../util/log.h"
#include "reads.h"

#define CORS_ORIGIN_MAX 256
#define CORS_POOLS_MAX 4096 /* pools scanned for a preflight's origin */
#define CORS_ALLOW_HEADERS                                                                         \
    "Authorization, Content-Type, x-authing-app-id, x-authing-userpool-id, "                       \
    "x-authing-request-from, x-authing-sdk-version, x-authing-app-tenant-id, x-authing-lang"
#define CORS_MAX_AGE "600"

typedef struct {
    http_req_t *r;
    http_handler_fn next; /* NULL: a preflight */
    char origin[CORS_ORIGIN_MAX];
    char app_id[STORE_ID_MAX];
    char pool_id[STORE_ID_MAX];
    bool allowed;
    /* the scan of a preflight */
    char (*pools)[STORE_ID_MAX];
    size_t npools, cap;
    bool truncated, nomem;
} cors_t;

/* Is origin one line of the newline-separated list? Exact: origins are stored normalised
 * (proto/admin_input.c) and browsers send them so. */
static bool
origin_listed(const char *list, const char *origin)
{
    size_t n = strlen(origin);
    const char *p = list;
    while (p && *p) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && memcmp(p, origin, n) == 0)
            return true;
        p = e ? e + 1 : NULL;
    }
    return false;
}

static bool
pool_collect(const store_pool_t *p, void *arg)
{
    cors_t *c = arg;
    if (c->npools >= CORS_POOLS_MAX) {
        c->truncated = true;
        return false;
    }
    if (c->npools == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        char(*grown)[STORE_ID_MAX] = realloc(c->pools, cap * sizeof(*c->pools));
        if (!grown) {
            c->nomem = true;
            return false;
        }
        c->pools = grown;
        c->cap = cap;
    }
    wx_strlcpy(c->pools[c->npools++], p->id, STORE_ID_MAX);
    return true;
}

static bool
app_match(const store_app_t *a, void *arg)
{
    cors_t *c = arg;
    if (origin_listed(a->web_origins, c->origin))
        c->allowed = true;
    return !c->allowed;
}

static wx_status_t
cors_run(store_t *st, void *arg, wx_err_t *err)
{
    cors_t *c = arg;
    wx_status_t rc;
    if (c->app_id[0]) {
        store_app_t a;
        rc = store_app_get(st, c->app_id, &a, err);
        if (rc == WX_OK)
            c->allowed = origin_listed(a.web_origins, c->origin);
        memset(a.secret, 0, sizeof(a.secret));
        return rc == WX_ENOENT ? WX_OK : rc;
    }
    if (c->pool_id[0])
        return store_app_list(st, c->pool_id, app_match, c, err);
    if ((rc = store_pool_list(st, pool_collect, c, err)) != WX_OK)
        return rc;
    if (c->nomem)
        return wx_err_set(err, WX_ENOMEM, "out of memory");
    for (size_t i = 0; i < c->npools && !c->allowed; i++)
        if ((rc = store_app_list(st, c->pools[i], app_match, c, err)) != WX_OK)
            return rc;
    return WX_OK;
}

static void
cors_free(cors_t *c)
{
    free(c->pools);
    free(c);
}

static void
cors_allow(http_req_t *r, const char *origin)
{
    http_add_header(r, "Access-Control-Allow-Origin", origin);
    http_add_header(r, "Access-Control-Allow-Credentials", "true");
}

static void
cors_done(wx_status_t rc, const wx_err_t *err, void *arg)
{
    cors_t *c = arg;
    http_req_t *r = c->r;
    http_handler_fn next = c->next;
    if (rc != WX_OK)
        wx_log(WX_LOG_WARN, "cors_origin_unreadable", "rid", r->id, "origin", c->origin, "error",
               err->msg, NULL);
    if (c->truncated)
        wx_log(WX_LOG_WARN, "cors_scan_truncated", "rid", r->id, "origin", c->origin, NULL);
    if (!c->allowed)
        wx_log(WX_LOG_INFO, "cors_origin_refused", "rid", r->id, "origin", c->origin, "app",
               c->app_id[0] ? c->app_id : NULL, NULL);
    if (next) {
        if (c->allowed)
            cors_allow(r, c->origin);
        cors_free(c);
        next(r); /* a refused origin is answered too: the browser keeps the answer from the page */
        return;
    }
    if (rc != WX_OK) {
        cors_free(c);
        r->outcome = "store_unavailable";
        http_reply_error(r, 503, 503, "cannot check the origin right now, please try again");
        return;
    }
    if (!c->allowed) {
        char msg[CORS_ORIGIN_MAX + 200];
        wx_snprintf(msg, sizeof(msg),
                    "origin %s is not a registered web origin of any application: add it with "
                    "`wxauth app update APP --web-origin %s`",
                    c->origin, c->origin);
        cors_free(c);
        r->outcome = "origin_refused";
        http_reply_error(r, 403, 403, msg);
        return;
    }
    cors_allow(r, c->origin);
    cors_free(c);
    http_add_header(r, "Access-Control-Allow-Methods", "GET, POST");
    http_add_header(r, "Access-Control-Allow-Headers", CORS_ALLOW_HEADERS);
    http_add_header(r, "Access-Control-Max-Age", CORS_MAX_AGE);
    r->outcome = "preflight";
    http_reply_raw(r, 204, NULL, NULL, 0);
}

/* The origin of our own public_url: requests from it need no CORS headers. */
static bool
same_origin(const http_req_t *r, const char *origin)
{
    const char *pub = handle_ctx((http_req_t *)r)->app->cfg->public_url;
    const char *host = strstr(pub, "//");
    size_t n = host ? strcspn(host + 2, "/") + (size_t)(host + 2 - pub) : strlen(pub);
    return strlen(origin) == n && strncasecmp(origin, pub, n) == 0;
}

static const char *
app_hint(http_req_t *r)
{
    const char *h = http_req_header(r, "x-authing-app-id");
    if (!h || !*h)
        h = wx_query_get(&r->query, "app_id");
    if (!h || !*h)
        h = wx_query_get(&r->query, "appId");
    return h && *h ? h : NULL;
}

static void
cors_start(http_req_t *r, http_handler_fn next)
{
    const char *origin = http_req_header(r, "Origin");
    const char *app = next ? app_hint(r) : NULL;
    const char *pool = next ? http_req_header(r, "x-authing-userpool-id") : NULL;
    cors_t *c = NULL;
    http_add_header(r, "Vary", "Origin");
    if (!origin || same_origin(r, origin)) {
        if (next) {
            next(r);
            return;
        }
    }
    if (!pool || !*pool)
        pool = wx_query_get(&r->query, "userpool_id");
    if (!origin || strlen(origin) >= CORS_ORIGIN_MAX || strcmp(origin, "null") == 0 ||
        (app && !handle_valid_id(app)) || (pool && *pool && !handle_valid_id(pool)) ||
        !(c = calloc(1, sizeof(*c)))) {
        if (next) {
            next(r);
            return;
        }
        r->outcome = "origin_refused";
        http_reply_error(r, 403, 403,
                         origin ? "this origin may not call wxauth from a page"
                                : "a CORS preflight needs an Origin header");
        return;
    }
    c->r = r;
    c->next = next;
    wx_strlcpy(c->origin, origin, sizeof(c->origin));
    wx_strlcpy(c->app_id, app ? app : "", sizeof(c->app_id));
    wx_strlcpy(c->pool_id, pool ? pool : "", sizeof(c->pool_id));
    handle_read(r->worker, cors_run, cors_done, c);
}

void
handle_cors(http_req_t *r, http_handler_fn next)
{
    cors_start(r, next);
}

void
handle_cors_preflight(http_req_t *r)
{
    cors_start(r, NULL);
}
