/* Per-worker context: a store connection each, and a key cache (keys.h) so that a login signs
 * and a token verifies without a store round-trip for the key. */
#include "ctx.h"

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <openssl/crypto.h>

#include "keys.h"
#include "../util/buf.h"
#include "../util/clock.h"
#include "../util/log.h"
#include "../util/rand.h"

#define PRUNE_EVERY_S 60

/* Old login states are deleted once expired and past the replay window, so the table holds
 * only the last few minutes of logins. One worker does it; with many nodes each prunes the
 * same rows, which is harmless. */
static void
prune_states(evutil_socket_t fd, short what, void *arg)
{
    worker_ctx_t *ctx = arg;
    wx_err_t err = {0};
    int64_t deleted = 0;
    if (store_state_prune(ctx->store, wx_now(), ctx->app->cfg->replay_window, &deleted, &err) !=
        WX_OK) {
        wx_log(WX_LOG_WARN, "state_prune_failed", "error", err.msg, "detail", err.detail, NULL);
        return;
    }
    int64_t revs = 0;
    if (store_revocation_prune(ctx->store, wx_now(), &revs, &err) != WX_OK)
        wx_log(WX_LOG_WARN, "revocation_prune_failed", "error", err.msg, NULL);
    if (deleted > 0) {
        char n[24];
        wx_snprintf(n, sizeof(n), "%lld", (long long)deleted);
        wx_log(WX_LOG_DEBUG, "states_pruned", "#count", n, NULL);
    }
}

wx_status_t
handle_worker_init(http_worker_t *w, void *arg, void **out, wx_err_t *err)
{
    const app_t *app = arg;
    worker_ctx_t *ctx = calloc(1, sizeof(*ctx));
    if (!ctx)
        return wx_err_set(err, WX_ENOMEM, "out of memory");
    ctx->app = app;
    ctx->admin_guard.fails = app->admin_fails;
    wx_status_t rc = store_open(app->cfg->store_url, &ctx->store, err);
    if (rc != WX_OK) {
        free(ctx);
        return rc;
    }
    ctx->keys = keys_cache_new(ctx->store, &app->master, app->keys_shared);
    ctx->verified = token_cache_new();
    if (!ctx->keys || !ctx->verified) {
        keys_cache_free(ctx->keys);
        token_cache_free(ctx->verified);
        store_close(ctx->store);
        free(ctx);
        return wx_err_set(err, WX_ENOMEM, "out of memory");
    }
    if (w->index == 0) {
        struct timeval tv = {PRUNE_EVERY_S, 0};
        ctx->prune_ev = event_new(w->base, -1, EV_PERSIST, prune_states, ctx);
        if (ctx->prune_ev)
            event_add(ctx->prune_ev, &tv);
    }
    *out = ctx;
    return WX_OK;
}

void
handle_worker_fini(http_worker_t *w, void *p)
{
    worker_ctx_t *ctx = p;
    if (!ctx)
        return;
    if (ctx->prune_ev)
        event_free(ctx->prune_ev);
    keys_cache_free(ctx->keys);
    token_cache_free(ctx->verified);
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
