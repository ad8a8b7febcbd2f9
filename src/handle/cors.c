/* CORS for the endpoints authing-js-sdk calls from a page (docs/spec/authing-compat.md §7): the
 * SDK sends every request withCredentials and with x-authing-* headers, so a page on another
 * origin needs a preflight answered and credentialed responses. Both are given only to an
 * origin registered for the application (its web_origins; `wxauth app update --web-origin`):
 * the origin is echoed, never `*`, with Access-Control-Allow-Credentials and Vary: Origin.
 *
 * Which application: the x-authing-app-id header (every SDK request carries it), else the
 * app_id / appId query parameter (logout(), logoutCurrent()); a real request that names none
 * gets no CORS headers. A preflight carries no header values, so it is answered for an origin
 * that some application registered — of the pool in the query when named, else of any pool —
 * from a per-worker set of the registered origins, read again at most once a second (or after
 * an admin change through this process): a flood of preflights costs no scan each. The request
 * that follows is checked against its own application. The store is read off the loop
 * (reads.h). */
#include "ctx.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../http/reply.h"
#include "../proto/redirect.h"
#include "../util/clock.h"
#include "../util/log.h"
#include "reads.h"

#define CORS_ORIGIN_MAX 256
#define CORS_POOLS_MAX 4096  /* pools read for the origin set */
#define CORS_KEYS_MAX 100000 /* entries of the origin set */
#define CORS_SET_TTL_MS                                                                            \
    1000 /* the set is read again at most this often (or on an admin change)                       \
          */
#define CORS_ALLOW_HEADERS                                                                         \
    "Authorization, Content-Type, x-authing-app-id, x-authing-userpool-id, "                       \
    "x-authing-request-from, x-authing-sdk-version, x-authing-app-tenant-id, x-authing-lang"
#define CORS_MAX_AGE "600"

/* One request: a real one whose application is read, or a preflight waiting for the set. */
typedef struct cors {
    http_req_t *r;
    http_handler_fn next; /* NULL: a preflight */
    char origin[CORS_ORIGIN_MAX];
    char app_id[STORE_ID_MAX];
    char pool_id[STORE_ID_MAX];
    bool allowed;
    struct cors *wait_next; /* preflights waiting for the set being read */
    /* A QR code's origin (handle_qr_origin_check) instead of a preflight: told here. */
    void (*qr_done)(http_req_t *r, int verdict);
} cors_t;

/* The registered origins of every application, sorted for bsearch: "origin" (some
 * application has it) and "pool\x01origin" (an application of that pool has it). Also the
 * origins a QR code may point at (qrcode.c): "\x02origin" for each origin of a registered
 * URL — web origins, redirect allow-lists of pools and applications, connections' Callback
 * URLs — and "\x03origin" for those with a '*' in the host (matched as patterns). They sort
 * first. */
typedef struct {
    char **keys;
    size_t n, cap;
} cors_set_t;

/* Per worker (worker_ctx_t.cors): the set, when it was read, and the preflights waiting for
 * the one read in flight, so a burst of preflights costs one scan of the store, not one each. */
struct cors_cache {
    cors_set_t set;
    bool have, building;
    uint64_t gen;
    int64_t at_ms;
    cors_t *waiters;
};

/* The read of the set, off the loop: it touches only what it holds. */
typedef struct {
    worker_ctx_t *ctx;
    char (*pools)[STORE_ID_MAX];
    size_t npools, cap;
    size_t pool_i; /* the pool whose applications are being read */
    cors_set_t set;
    bool truncated, nomem;
    uint64_t gen;
    int64_t at_ms;
} cors_build_t;

static void
set_free(cors_set_t *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->keys[i]);
    free(s->keys);
    memset(s, 0, sizeof(*s));
}

static int
key_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool
set_has(const cors_set_t *s, const char *pool, const char *origin)
{
    char key[STORE_ID_MAX + CORS_ORIGIN_MAX + 2];
    if (pool && *pool)
        wx_snprintf(key, sizeof(key), "%s\x01%s", pool, origin);
    else
        wx_strlcpy(key, origin, sizeof(key));
    const char *k = key;
    return s->n && bsearch(&k, s->keys, s->n, sizeof(*s->keys), key_cmp) != NULL;
}

/* A QR code's origin: registered as such, or matching a registered pattern's origin. */
static bool
set_has_qr(const cors_set_t *s, const char *origin)
{
    char key[CORS_ORIGIN_MAX + 2], u[CORS_ORIGIN_MAX + 2], pat[CORS_ORIGIN_MAX + 2];
    const char *k = key;
    if (!wx_snprintf(key, sizeof(key), "\x02%s", origin) ||
        !wx_snprintf(u, sizeof(u), "%s/", origin))
        return false;
    if (s->n && bsearch(&k, s->keys, s->n, sizeof(*s->keys), key_cmp))
        return true;
    for (size_t i = 0; i < s->n && s->keys[i][0] <= '\x03'; i++)
        if (s->keys[i][0] == '\x03' && wx_snprintf(pat, sizeof(pat), "%s/", s->keys[i] + 1) &&
            redirect_match(pat, u))
            return true;
    return false;
}

static bool
build_add(cors_build_t *b, const char *pool, const char *origin, size_t n)
{
    if (b->set.n >= CORS_KEYS_MAX) {
        b->truncated = true;
        return false;
    }
    if (b->set.n == b->set.cap) {
        size_t cap = b->set.cap ? b->set.cap * 2 : 64;
        char **grown = realloc(b->set.keys, cap * sizeof(*grown));
        if (!grown) {
            b->nomem = true;
            return false;
        }
        b->set.keys = grown;
        b->set.cap = cap;
    }
    size_t pl = pool ? strlen(pool) + 1 : 0;
    char *k = malloc(pl + n + 1);
    if (!k) {
        b->nomem = true;
        return false;
    }
    if (pool) {
        memcpy(k, pool, pl - 1);
        k[pl - 1] = '\x01';
    }
    memcpy(k + pl, origin, n);
    k[pl + n] = '\0';
    b->set.keys[b->set.n++] = k;
    return true;
}

/* scheme://host[:port] of an http(s) URL or pattern, lowercased, the scheme's default port
 * dropped: how a browser writes an origin. False for anything else (userinfo included). */
bool
handle_url_origin(const char *url, char *out, size_t n)
{
    size_t skip = strncasecmp(url, "http://", 7) == 0    ? 7
                  : strncasecmp(url, "https://", 8) == 0 ? 8
                                                         : 0;
    size_t hl;
    if (!skip)
        return false;
    hl = strcspn(url + skip, "/?#");
    if (hl == 0 || memchr(url + skip, '@', hl) || skip + hl >= n)
        return false;
    for (size_t i = 0; i < skip + hl; i++)
        out[i] = (url[i] >= 'A' && url[i] <= 'Z') ? (char)(url[i] + 32) : url[i];
    out[skip + hl] = '\0';
    size_t len = skip + hl;
    const char *dflt = skip == 7 ? ":80" : ":443";
    size_t dl = strlen(dflt);
    if (len > dl && strcmp(out + len - dl, dflt) == 0)
        out[len - dl] = '\0';
    return true;
}

/* Each line of a newline-separated list of URLs (or patterns, or origins): its origin as a
 * QR-code key. */
static bool
build_add_qr(cors_build_t *b, const char *list)
{
    char line[CORS_ORIGIN_MAX * 2], origin[CORS_ORIGIN_MAX + 1];
    const char *p = list;
    while (p && *p) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len < sizeof(line)) {
            memcpy(line, p, len);
            line[len] = '\0';
            if (handle_url_origin(line, origin + 1, sizeof(origin) - 1)) {
                origin[0] = strchr(origin + 1, '*') ? '\x03' : '\x02';
                if (!build_add(b, NULL, origin, strlen(origin)))
                    return false;
            }
        }
        p = e ? e + 1 : NULL;
    }
    return true;
}

static bool
conn_collect(const store_conn_t *c, void *arg)
{
    return build_add_qr(arg, c->callback_url);
}

static bool
pool_collect(const store_pool_t *p, void *arg)
{
    cors_build_t *b = arg;
    if (!build_add_qr(b, p->redirect_urls))
        return false;
    if (b->npools >= CORS_POOLS_MAX) {
        b->truncated = true;
        return false;
    }
    if (b->npools == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 16;
        char(*grown)[STORE_ID_MAX] = realloc(b->pools, cap * sizeof(*b->pools));
        if (!grown) {
            b->nomem = true;
            return false;
        }
        b->pools = grown;
        b->cap = cap;
    }
    wx_strlcpy(b->pools[b->npools++], p->id, STORE_ID_MAX);
    return true;
}

/* Each line of an application's web_origins (stored normalised, proto/admin_input.c), alone
 * and with its pool. */
static bool
app_collect(const store_app_t *a, void *arg)
{
    cors_build_t *b = arg;
    const char *p = a->web_origins;
    while (p && *p) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len > 0 && len < CORS_ORIGIN_MAX &&
            (!build_add(b, NULL, p, len) || !build_add(b, b->pools[b->pool_i], p, len)))
            return false;
        p = e ? e + 1 : NULL;
    }
    return build_add_qr(b, a->web_origins) && build_add_qr(b, a->redirect_urls);
}

static wx_status_t
build_run(store_t *st, void *arg, wx_err_t *err)
{
    cors_build_t *b = arg;
    wx_status_t rc = store_pool_list(st, pool_collect, b, err);
    for (b->pool_i = 0; rc == WX_OK && !b->nomem && !b->truncated && b->pool_i < b->npools;
         b->pool_i++)
        if ((rc = store_app_list(st, b->pools[b->pool_i], app_collect, b, err)) == WX_OK &&
            !b->nomem && !b->truncated)
            rc = store_conn_list(st, b->pools[b->pool_i], conn_collect, b, err);
    if (rc == WX_OK && b->nomem)
        rc = wx_err_set(err, WX_ENOMEM, "out of memory");
    if (rc == WX_OK && b->set.n)
        qsort(b->set.keys, b->set.n, sizeof(*b->set.keys), key_cmp);
    return rc;
}

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

/* A real request's application, named by the request. */
static wx_status_t
cors_run(store_t *st, void *arg, wx_err_t *err)
{
    cors_t *c = arg;
    store_app_t a;
    wx_status_t rc = store_app_get(st, c->app_id, &a, err);
    if (rc == WX_OK)
        c->allowed = origin_listed(a.web_origins, c->origin);
    memset(a.secret, 0, sizeof(a.secret));
    return rc == WX_ENOENT ? WX_OK : rc;
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
    if (!c->allowed)
        wx_log(WX_LOG_INFO, "cors_origin_refused", "rid", r->id, "origin", c->origin, "app",
               c->app_id, NULL);
    if (c->allowed)
        cors_allow(r, c->origin);
    free(c);
    next(r); /* a refused origin is answered too: the browser keeps the answer from the page */
}

static bool
set_lookup(const cors_set_t *s, const cors_t *c)
{
    return c->qr_done ? set_has_qr(s, c->origin) : set_has(s, c->pool_id, c->origin);
}

/* A preflight's answer; known false: the origin set could not be read. */
static void
preflight_answer(cors_t *c, bool known, bool allowed)
{
    http_req_t *r = c->r;
    char msg[CORS_ORIGIN_MAX + 200];
    if (c->qr_done) {
        void (*qr_done)(http_req_t *, int) = c->qr_done;
        free(c);
        qr_done(r, known ? allowed : -1);
        return;
    }
    if (!known) {
        free(c);
        r->outcome = "store_unavailable";
        http_reply_error(r, 503, 503, "cannot check the origin right now, please try again");
        return;
    }
    if (!allowed) {
        wx_log(WX_LOG_INFO, "cors_origin_refused", "rid", r->id, "origin", c->origin, NULL);
        wx_snprintf(msg, sizeof(msg),
                    "origin %s is not a registered web origin of any application: add it with "
                    "`wxauth app update APP --web-origin %s`",
                    c->origin, c->origin);
        free(c);
        r->outcome = "origin_refused";
        http_reply_error(r, 403, 403, msg);
        return;
    }
    cors_allow(r, c->origin);
    free(c);
    http_add_header(r, "Access-Control-Allow-Methods", "GET, POST");
    http_add_header(r, "Access-Control-Allow-Headers", CORS_ALLOW_HEADERS);
    http_add_header(r, "Access-Control-Max-Age", CORS_MAX_AGE);
    r->outcome = "preflight";
    http_reply_raw(r, 204, NULL, NULL, 0);
}

/* The set read: kept (when whole enough to use), and every waiting preflight answered. */
static void
build_done(wx_status_t rc, const wx_err_t *err, void *arg)
{
    cors_build_t *b = arg;
    struct cors_cache *cc = b->ctx->cors;
    if (rc != WX_OK) {
        wx_log(WX_LOG_WARN, "cors_origins_unreadable", "error", err->msg, NULL);
    } else {
        if (b->truncated)
            wx_log(WX_LOG_WARN, "cors_origins_truncated", NULL);
        set_free(&cc->set);
        cc->set = b->set;
        memset(&b->set, 0, sizeof(b->set));
        cc->have = true;
        cc->gen = b->gen;
        cc->at_ms = b->at_ms;
    }
    cc->building = false;
    cors_t *w = cc->waiters;
    cc->waiters = NULL;
    while (w) {
        cors_t *nx = w->wait_next;
        preflight_answer(w, cc->have, cc->have && set_lookup(&cc->set, w));
        w = nx;
    }
    set_free(&b->set);
    free(b->pools);
    free(b);
}

/* A preflight: answered from the worker's origin set, read again when older than
 * CORS_SET_TTL_MS or an admin change came through this process (conf_cache.h). */
static void
preflight_start(http_req_t *r, cors_t *c)
{
    worker_ctx_t *ctx = handle_ctx(r);
    struct cors_cache *cc = ctx->cors;
    if (!cc && !(cc = ctx->cors = calloc(1, sizeof(*cc)))) {
        preflight_answer(c, false, false);
        return;
    }
    uint64_t gen = conf_cache_gen();
    int64_t now = wx_mono_ms();
    if (cc->have && cc->gen == gen && now - cc->at_ms < CORS_SET_TTL_MS) {
        preflight_answer(c, true, set_lookup(&cc->set, c));
        return;
    }
    c->wait_next = cc->waiters;
    cc->waiters = c;
    if (cc->building)
        return;
    cors_build_t *b = calloc(1, sizeof(*b));
    if (!b) {
        cc->waiters = c->wait_next;
        preflight_answer(c, cc->have, cc->have && set_lookup(&cc->set, c));
        return;
    }
    b->ctx = ctx;
    b->gen = gen; /* taken before the read: a change meanwhile makes the set stale */
    b->at_ms = now;
    cc->building = true;
    handle_read(r->worker, build_run, build_done, b);
}

void
handle_cors_cache_free(struct cors_cache *cc)
{
    if (!cc)
        return;
    set_free(&cc->set);
    free(cc);
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
    /* A real request is checked against the application it names, and only that: without
     * one it gets no CORS headers (its page cannot read the answer). */
    if (!origin || strlen(origin) >= CORS_ORIGIN_MAX || strcmp(origin, "null") == 0 ||
        (next && !app) || (app && !handle_valid_id(app)) ||
        (pool && *pool && !handle_valid_id(pool)) || !(c = calloc(1, sizeof(*c)))) {
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
    if (!next)
        preflight_start(r, c);
    else
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

void
handle_qr_origin_check(http_req_t *r, const char *origin, void (*done)(http_req_t *r, int verdict))
{
    cors_t *c = strlen(origin) < CORS_ORIGIN_MAX ? calloc(1, sizeof(*c)) : NULL;
    if (!c) {
        done(r, 0);
        return;
    }
    c->r = r;
    c->qr_done = done;
    wx_strlcpy(c->origin, origin, sizeof(c->origin));
    preflight_start(r, c);
}
