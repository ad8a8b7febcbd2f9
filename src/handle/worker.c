/* Per-worker context: a store connection each, and a key cache (keys.h) so that a login signs
 * and a token verifies without a store round-trip for the key. */
#include "ctx.h"
#include "desktop_ticket.h"

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <openssl/crypto.h>

#include "../http/client.h"
#include "../keys/keys.h"
#include "../util/buf.h"
#include "../util/clock.h"
#include "../util/log.h"
#include "../util/rand.h"

/* The prune also empties finished logins' results once the replay window is over, so it runs
 * every half window (at most a minute, at least a second): a record outlives its window by
 * at most that. */
static int
prune_every_s(const wx_config_t *cfg)
{
    int s = cfg->replay_window / 2;
    return s < 1 ? 1 : s > 60 ? 60 : s;
}

typedef struct {
    http_worker_t *w; /* its loop waits for the job when stopping (background) */
    int64_t now, keep;
    int64_t states, revocations;
    bool revocations_failed;
    wx_err_t rev_err;
} prune_t;

/* On the writer thread, so the prune never waits on the write lock in an event loop. */
static wx_status_t
prune_run(store_t *st, void *arg, wx_err_t *err)
{
    prune_t *p = arg;
    int64_t oidc = 0;
    wx_status_t rc = store_state_results_clear(st, p->now - p->keep, NULL, err);
    if (rc != WX_OK)
        return rc;
    rc = store_state_prune(st, p->now, p->keep, &p->states, err);
    if (rc != WX_OK)
        return rc;
    /* In a transaction of its own, so that its failure undoes only itself (on PostgreSQL a
     * failed statement would otherwise spoil the states' prune too). Processes gone for a day
     * are no longer needed to explain a claim. */
    if (store_tx_begin(st, &p->rev_err) != WX_OK) {
        p->revocations_failed = true;
        return WX_OK;
    }
    p->revocations_failed =
        store_revocation_prune(st, p->now, &p->revocations, &p->rev_err) != WX_OK ||
        store_node_prune(st, p->now - 86400, NULL, &p->rev_err) != WX_OK ||
        /* OIDC codes stay a day past expiry so a late replay is still known as one. */
        store_oidc_prune(st, p->now - 86400, &oidc, &p->rev_err) != WX_OK ||
        /* Desktop tickets stay an hour past their end: a late page still hears "expired". */
        store_ticket_prune(st, p->now - 3600, NULL, &p->rev_err) != WX_OK ||
        /* Pushes seen: kept as long as a replay could pass the timestamp check. */
        store_push_prune(st, p->now, &p->rev_err) != WX_OK ||
        store_tx_commit(st, &p->rev_err) != WX_OK;
    if (p->revocations_failed)
        store_tx_rollback(st);
    return WX_OK;
}

static void
prune_done(wx_status_t rc, const wx_err_t *err, void *arg)
{
    prune_t *p = arg;
    if (rc != WX_OK)
        wx_log(WX_LOG_WARN, "state_prune_failed", "error", err->msg, "detail", err->detail, NULL);
    if (p->revocations_failed)
        wx_log(WX_LOG_WARN, "revocation_prune_failed", "error", p->rev_err.msg, NULL);
    if (p->states > 0) {
        char n[24];
        wx_snprintf(n, sizeof(n), "%lld", (long long)p->states);
        wx_log(WX_LOG_DEBUG, "states_pruned", "#count", n, NULL);
    }
    atomic_fetch_sub(&p->w->background, 1);
    free(p);
}

/* Old login states are deleted once expired and past the replay window, so the table holds
 * only the last few minutes of logins; their results are emptied at the end of the window. One
 * worker does it; with many nodes each prunes the same rows, which is harmless. */
static void
prune_states(evutil_socket_t fd, short what, void *arg)
{
    http_worker_t *w = arg;
    worker_ctx_t *ctx = w->ctx;
    wx_err_t err = {0};
    prune_t *p = w->draining ? NULL : calloc(1, sizeof(*p));
    if (!p)
        return;
    p->w = w;
    p->now = wx_now();
    p->keep = ctx->app->cfg->replay_window;
    atomic_fetch_add(&w->background, 1);
    if (store_writer_submit(ctx->app->writer, w->base, prune_run, prune_done, p, &err) != WX_OK) {
        atomic_fetch_sub(&w->background, 1);
        free(p);
    }
}

/* The heartbeat job: the writer thread reads only `app` (immutable). */
typedef struct {
    const app_t *app;
    http_worker_t *w;
} beat_t;

static wx_status_t
beat_run(store_t *st, void *arg, wx_err_t *err)
{
    const app_t *app = ((beat_t *)arg)->app;
    return store_node_seen(st, app->node_id, app->host, app->pid, wx_now(), err);
}

static void
beat_done(wx_status_t rc, const wx_err_t *err, void *arg)
{
    beat_t *b = arg;
    if (rc != WX_OK)
        wx_log(WX_LOG_WARN, "node_heartbeat_failed", "error", err->msg, "detail", err->detail,
               NULL);
    atomic_fetch_sub(&b->w->background, 1);
    free(b);
}

/* This process is alive: a reload of a login it claimed waits for it rather than giving up. */
static void
beat(evutil_socket_t fd, short what, void *arg)
{
    http_worker_t *w = arg;
    worker_ctx_t *ctx = w->ctx;
    wx_err_t err = {0};
    beat_t *b = w->draining ? NULL : malloc(sizeof(*b));
    if (!b)
        return;
    *b = (beat_t){ctx->app, w};
    atomic_fetch_add(&w->background, 1);
    if (store_writer_submit(ctx->app->writer, w->base, beat_run, beat_done, b, &err) != WX_OK) {
        atomic_fetch_sub(&w->background, 1);
        free(b);
    }
}

static wx_status_t
worker_init(http_worker_t *w, const app_t *app, bool timers, void **out, wx_err_t *err)
{
    worker_ctx_t *ctx = calloc(1, sizeof(*ctx));
    if (!ctx)
        return wx_err_set(err, WX_ENOMEM, "out of memory");
    ctx->app = app;
    http_client_set_max_active(w->client, app->cfg->wechat_max_connections);
    ctx->admin_guard.fails = app->admin_fails;
    ctx->metrics_guard.fails = app->admin_fails; /* one limit on guessing either token */
    ctx->metrics_guard.budget = app->metrics_budget;
    ctx->admin_listener = !timers; /* only the admin listener's workers run without them */
    wx_status_t rc = store_open(app->cfg->store_url, &ctx->store, err);
    if (rc != WX_OK) {
        free(ctx);
        return rc;
    }
    ctx->keys = keys_cache_new(ctx->store, &app->master, app->keys_shared);
    ctx->verified = token_cache_new();
    ctx->conf = conf_cache_new();
    if (!ctx->keys || !ctx->verified || !ctx->conf) {
        conf_cache_free(ctx->conf);
        keys_cache_free(ctx->keys);
        token_cache_free(ctx->verified);
        store_close(ctx->store);
        free(ctx);
        return wx_err_set(err, WX_ENOMEM, "out of memory");
    }
    if (timers && w->index == 0) {
        struct timeval tv = {prune_every_s(app->cfg), 0};
        ctx->prune_ev = event_new(w->base, -1, EV_PERSIST, prune_states, w);
        if (ctx->prune_ev)
            event_add(ctx->prune_ev, &tv);
        struct timeval bt = {NODE_BEAT_S, 0};
        ctx->beat_ev = event_new(w->base, -1, EV_PERSIST, beat, w);
        if (ctx->beat_ev)
            event_add(ctx->beat_ev, &bt);
    }
    *out = ctx;
    return WX_OK;
}

wx_status_t
handle_worker_init(http_worker_t *w, void *arg, void **out, wx_err_t *err)
{
    return worker_init(w, arg, true, out, err);
}

/* The admin listener's worker: the same context, without the process's timers (the public
 * listener's first worker runs the prune and the heartbeat). */
wx_status_t
handle_admin_worker_init(http_worker_t *w, void *arg, void **out, wx_err_t *err)
{
    return worker_init(w, arg, false, out, err);
}

void
handle_worker_drain(http_worker_t *w, void *ctx)
{
    (void)ctx;
    desktop_ticket_waits_wake(w);
}

void
handle_worker_fini(http_worker_t *w, void *p)
{
    worker_ctx_t *ctx = p;
    if (!ctx)
        return;
    if (ctx->prune_ev)
        event_free(ctx->prune_ev);
    if (ctx->beat_ev)
        event_free(ctx->beat_ev);
    keys_cache_free(ctx->keys);
    token_cache_free(ctx->verified);
    conf_cache_free(ctx->conf);
    handle_cors_cache_free(ctx->cors);
    store_close(ctx->store);
    free(ctx);
}

bool
handle_valid_id(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++) {
        char c = s[n];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return false;
    }
    return n >= 1 && n <= 63;
}

bool
handle_valid_identifier(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++) {
        char c = s[n];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == ':' || c == '.'))
            return false;
    }
    return n >= 1 && n <= 64;
}
