/* Liveness and readiness. /healthz: the process serves requests. /readyz: it can also reach
 * its store, so a load balancer only sends logins to nodes that can finish them. */
#include "ctx.h"

#include <stdlib.h>

#include <openssl/crypto.h>

#include "../http/reply.h"

void
handle_healthz(http_req_t *r)
{
    r->outcome = "ok";
    http_reply_json(r, 200, json_pack("{s:s}", "status", "ok"));
}

void
handle_readyz(http_req_t *r)
{
    worker_ctx_t *ctx = handle_ctx(r);
    store_key_t *k = calloc(1, sizeof(*k));
    wx_err_t err = {0};
    wx_status_t rc = k ? store_key_current(ctx->store, "RS256", k, &err) : WX_ENOMEM;
    if (k)
        OPENSSL_cleanse(k->private_pem, sizeof(k->private_pem));
    free(k);
    if (rc != WX_OK) {
        r->outcome = "not_ready";
        http_reply_json(r, 503,
                        json_pack("{s:s,s:s}", "status", "unavailable", "reason",
                                  rc == WX_ENOENT ? "no signing key" : "store error"));
        return;
    }
    r->outcome = "ok";
    http_reply_json(r, 200, json_pack("{s:s}", "status", "ready"));
}
