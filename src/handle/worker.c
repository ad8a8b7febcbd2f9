/* Per-worker context: a store connection each, and the signing key cached per worker so that
 * a login signs without a store round-trip; re-read once a minute to pick up rotations. */
#include "ctx.h"

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <openssl/crypto.h>

#include "../jose/jwk.h"
#include "../util/buf.h"
#include "../util/clock.h"
#include "../util/log.h"
#include "../util/rand.h"

#define KEY_RECHECK_S 60
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
    wx_status_t rc = store_open(app->cfg->store_url, &ctx->store, err);
    if (rc != WX_OK) {
        free(ctx);
        return rc;
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
    jwk_free(ctx->key);
    store_close(ctx->store);
    free(ctx);
}

wx_status_t
handle_ensure_signing_key(store_t *st, wx_err_t *err)
{
    store_key_t *k = calloc(1, sizeof(*k));
    jwk_t *jwk = NULL;
    wx_buf_t pem;
    wx_buf_init(&pem, STORE_PEM_MAX - 1);
    wx_status_t rc;
    if (!k)
        return wx_err_set(err, WX_ENOMEM, "out of memory");
    rc = store_key_current(st, "RS256", k, err);
    if (rc != WX_ENOENT)
        goto out; /* WX_OK: there is one; anything else is a real error */
    wx_err_clear(err);
    char rnd[17];
    rc = wx_rand_hex(rnd, 8);
    if (rc != WX_OK)
        goto out;
    memset(k, 0, sizeof(*k));
    wx_snprintf(k->kid, sizeof(k->kid), "rs256-%s", rnd);
    wx_strlcpy(k->alg, "RS256", sizeof(k->alg));
    rc = jwk_generate("RS256", k->kid, &jwk, err);
    if (rc == WX_OK)
        rc = jwk_to_pem(jwk, &pem, err);
    if (rc != WX_OK)
        goto out;
    wx_strlcpy(k->private_pem, wx_buf_str(&pem), sizeof(k->private_pem));
    k->created_at = wx_now();
    rc = store_key_add(st, k, err);
    if (rc == WX_OK)
        wx_log(WX_LOG_INFO, "signing_key_created", "kid", k->kid, "alg", "RS256", NULL);
out:
    if (pem.data)
        OPENSSL_cleanse(pem.data, pem.len); /* private key material */
    wx_buf_free(&pem);
    jwk_free(jwk);
    OPENSSL_cleanse(k->private_pem, sizeof(k->private_pem));
    free(k);
    return rc;
}

wx_status_t
handle_signing_key(worker_ctx_t *ctx, jwk_t **out, wx_err_t *err)
{
    int64_t now = wx_now();
    if (ctx->key && now - ctx->key_checked_at < KEY_RECHECK_S) {
        *out = ctx->key;
        return WX_OK;
    }
    store_key_t *k = calloc(1, sizeof(*k));
    if (!k)
        return wx_err_set(err, WX_ENOMEM, "out of memory");
    wx_status_t rc = store_key_current(ctx->store, "RS256", k, err);
    if (rc == WX_OK && (!ctx->key || strcmp(jwk_kid(ctx->key), k->kid) != 0)) {
        jwk_t *nk = NULL;
        rc = jwk_from_pem(k->private_pem, k->kid, k->alg, &nk, err);
        if (rc == WX_OK) {
            jwk_free(ctx->key);
            ctx->key = nk;
        }
    }
    OPENSSL_cleanse(k->private_pem, sizeof(k->private_pem));
    free(k);
    if (rc != WX_OK) {
        if (ctx->key) { /* keep signing with the key we have; say so once per check */
            wx_log(WX_LOG_WARN, "signing_key_reload_failed", "error", err ? err->msg : "", NULL);
            wx_err_clear(err);
            rc = WX_OK;
        } else {
            return rc;
        }
    }
    ctx->key_checked_at = now;
    *out = ctx->key;
    return rc;
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
