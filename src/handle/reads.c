/* Store reads of the event loops (reads.h). */
#include "reads.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "../store/readers.h"
#include "../util/clock.h"

/* A job handed to the readers: its done also tells the worker's stop that it came back. */
typedef struct {
    http_worker_t *w;
    store_job_run_fn run;
    store_job_done_fn done;
    void *arg;
} read_job_t;

static wx_status_t
read_run(store_t *st, void *arg, wx_err_t *err)
{
    read_job_t *j = arg;
    return j->run(st, j->arg, err);
}

static void
read_done(wx_status_t rc, const wx_err_t *err, void *arg)
{
    read_job_t j = *(read_job_t *)arg;
    free(arg);
    j.done(rc, err, j.arg);
    atomic_fetch_sub(&j.w->background, 1);
}

void
handle_read(http_worker_t *w, store_job_run_fn run, store_job_done_fn done, void *arg)
{
    worker_ctx_t *ctx = w->ctx;
    wx_err_t err = {0};
    store_readers_t *readers = ctx->app->readers;
    if (readers) {
        read_job_t *j = malloc(sizeof(*j));
        if (!j) {
            wx_err_set(&err, WX_ENOMEM, "out of memory");
            done(WX_ENOMEM, &err, arg);
            return;
        }
        *j = (read_job_t){w, run, done, arg};
        atomic_fetch_add(&w->background, 1);
        if (store_readers_submit(readers, w->base, read_run, read_done, j, &err) == WX_OK)
            return;
        atomic_fetch_sub(&w->background, 1);
        free(j);
        done(err.status ? err.status : WX_EBUSY, &err, arg);
        return;
    }
    wx_status_t rc = run(ctx->store, arg, &err);
    done(rc, &err, arg);
}

/* ---- the login path's configuration ---- */

/* The connection of a login: the one the link names, else the pool's default. A desktop
 * browser, which cannot finish a service account's page, gets the pool's Open Platform website
 * app (QR-code login) instead, unless the link names a website app itself or the pool's
 * desktop_method is "none" (or a method of another kind). So pages that name the service
 * account's connection (every Authing SDK does) get the QR code on a computer unchanged. A
 * computer's login that names its method (?desktop_method=) gets that method's connection, or
 * method_missing. The one place where a login's connection is chosen
 * (docs/desktop-login.md). */
/* The first (oldest) service-account connection with a message server Token. */
static bool
follow_conn_row(const store_conn_t *c, void *arg)
{
    char *ident = arg;
    if (strcmp(c->type, STORE_CONN_OPEN) == 0 || !c->push_token[0])
        return true;
    wx_strlcpy(ident, c->identifier, STORE_IDENT_MAX);
    return false;
}

/* Follow asked for through a service-account connection without a message server Token:
 * the pool's connection that has one (proto/desktop_methods.c offers follow through it, and
 * GET /desktop/methods lists it), as a computer is sent to the website app from a page naming
 * the service account. None: f->conn stays, refused by the caller. */
static wx_status_t
follow_conn_pick(store_t *st, conf_fetch_t *f)
{
    char ident[STORE_IDENT_MAX] = "";
    wx_status_t rc = store_conn_list(st, f->pool_id, follow_conn_row, ident, &f->err);
    if (rc != WX_OK || !ident[0])
        return rc;
    store_conn_t *b = malloc(sizeof(*b));
    if (!b)
        return wx_err_set(&f->err, WX_ENOMEM, "out of memory");
    rc = store_conn_get(st, f->pool_id, ident, b, &f->err);
    /* Only when the login would come back to the same page: the target and its allow-list
     * are the connection's, and a page naming one connection must not land on another's
     * callback. Else it stays, and follow is refused (name the connection with the Token). */
    const char *a_cb = f->conn.callback_url;
    bool same = !a_cb[0] || strcmp(a_cb, "#") == 0 || strcmp(a_cb, b->callback_url) == 0;
    if (rc == WX_OK && same)
        f->conn = *b;
    OPENSSL_cleanse(b, sizeof(*b)); /* its sealed secrets */
    free(b);
    return rc;
}

static wx_status_t
conf_conn_pick(store_t *st, conf_fetch_t *f)
{
    const char *m = f->pool.desktop_method;
    bool named = f->identifier[0] != '\0';
    desktop_method_t want = f->desktop ? f->method : DMETHOD_AUTO;
    wx_status_t rc;
    f->method_missing = false;
    if (named) {
        rc = store_conn_get(st, f->pool_id, f->identifier, &f->conn, &f->err);
        if (rc != WX_OK || !f->desktop)
            return rc;
        bool open = strcmp(f->conn.type, STORE_CONN_OPEN) == 0;
        if (want == DMETHOD_FOLLOW && !open && !f->conn.push_token[0] &&
            (rc = follow_conn_pick(st, f)) != WX_OK)
            return rc;
        if (want == DMETHOD_SCAN || want == DMETHOD_FOLLOW) {
            /* a website app has neither a ticket's phone page nor an account's pushes */
            f->method_missing = open || (want == DMETHOD_FOLLOW && !f->conn.push_token[0]);
            return rc;
        }
        if (open)
            return rc;
    }
    if (want == DMETHOD_QRCONNECT ||
        (want == DMETHOD_AUTO && f->desktop && (!m[0] || strcmp(m, "qrconnect") == 0))) {
        store_conn_t *web = malloc(sizeof(*web));
        if (!web)
            return wx_err_set(&f->err, WX_ENOMEM, "out of memory");
        rc = store_conn_of_type(st, f->pool_id, STORE_CONN_OPEN, web, &f->err);
        if (rc == WX_OK)
            f->conn = *web;
        OPENSSL_cleanse(web, sizeof(*web)); /* its sealed App Secret */
        free(web);
        if (rc != WX_ENOENT)
            return rc;
        wx_err_clear(&f->err);
        /* The pool's desktop_method "qrconnect" means its website app, never a fallback. */
        f->method_missing = want == DMETHOD_QRCONNECT || strcmp(m, "qrconnect") == 0;
        if (f->method_missing)
            f->method = DMETHOD_QRCONNECT; /* start.c's refusal names it */
    }
    if (named)
        return WX_OK;
    rc = store_conn_default(st, f->pool_id, &f->conn, &f->err);
    if (rc == WX_OK && want == DMETHOD_FOLLOW && !f->conn.push_token[0] &&
        strcmp(f->conn.type, STORE_CONN_OPEN) != 0)
        rc = follow_conn_pick(st, f);
    if (rc == WX_OK && (want == DMETHOD_SCAN || want == DMETHOD_FOLLOW))
        f->method_missing = strcmp(f->conn.type, STORE_CONN_OPEN) == 0 ||
                            (want == DMETHOD_FOLLOW && !f->conn.push_token[0]);
    return rc;
}

static wx_status_t
conf_fetch_run(store_t *st, void *arg, wx_err_t *err)
{
    conf_fetch_t *f = arg;
    (void)err;
    f->ran = true;
    if (f->app_id[0]) {
        f->app_rc = store_app_get(st, f->app_id, &f->app, &f->err);
        /* Without its pool nothing else can be read; with it, a deleted application still
         * lets the callback say which target is refused. */
        if (f->app_rc != WX_OK && (f->app_rc != WX_ENOENT || !f->pool_id[0]))
            return f->app_rc;
        if (!f->pool_id[0])
            wx_strlcpy(f->pool_id, f->app.pool_id, sizeof(f->pool_id));
    }
    if (f->need_pool && (f->pool_rc = store_pool_get(st, f->pool_id, &f->pool, &f->err)) != WX_OK)
        return f->pool_rc;
    if (f->need_conn && (f->conn_rc = conf_conn_pick(st, f)) != WX_OK)
        return f->conn_rc;
    return f->app_rc;
}

static void
conf_fetch_done(wx_status_t rc, const wx_err_t *err, void *arg)
{
    conf_fetch_t *f = arg;
    conf_cache_t *cache = f->ctx->conf;
    if (!f->ran) { /* never ran (stopping, out of memory): what it should have read failed */
        f->err = *err;
        if (f->app_id[0])
            f->app_rc = rc;
        if (f->need_pool)
            f->pool_rc = rc;
        if (f->need_conn)
            f->conn_rc = rc;
        f->done(f->arg);
        return;
    }
    if (f->pool_rc == WX_OK && f->need_pool && f->pool_id[0])
        conf_pool_remember(cache, &f->pool, f->gen, f->at_ms);
    /* A desktop's pick may not be the connection asked for: it is read each time (few). */
    if (f->conn_rc == WX_OK && f->need_conn && f->pool_rc == WX_OK && f->pool_id[0] && !f->desktop)
        conf_conn_remember(cache, f->pool_id, f->identifier[0] ? f->identifier : NULL, &f->conn,
                           f->gen, f->at_ms);
    f->done(f->arg);
}

void
conf_fetch(http_worker_t *w, conf_fetch_t *f, void (*done)(void *arg), void *arg)
{
    worker_ctx_t *ctx = w->ctx;
    f->ctx = ctx;
    f->done = done;
    f->arg = arg;
    f->app_rc = f->pool_rc = f->conn_rc = WX_OK;
    f->ran = false;
    memset(&f->err, 0, sizeof(f->err));
    f->gen = conf_cache_gen(); /* before the store: a change meanwhile makes the entry stale */
    f->at_ms = wx_mono_ms();
    const char *ident = f->identifier[0] ? f->identifier : NULL;
    /* What the cache has needs no store read (the pool may still be unknown: the
     * application's then). */
    f->need_pool = !f->pool_id[0] || !conf_pool_cached(ctx->conf, f->pool_id, &f->pool);
    f->need_conn =
        !f->pool_id[0] || f->desktop || !conf_conn_cached(ctx->conf, f->pool_id, ident, &f->conn);
    if (!f->app_id[0] && !f->need_pool && !f->need_conn) {
        done(arg);
        return;
    }
    handle_read(w, conf_fetch_run, conf_fetch_done, f);
}

void
conf_fetch_clear(conf_fetch_t *f)
{
    OPENSSL_cleanse(&f->conn, sizeof(f->conn)); /* the sealed App Secret */
    OPENSSL_cleanse(f->app.secret, sizeof(f->app.secret));
}
