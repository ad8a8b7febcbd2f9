/* The JWKS (RFC 7517 §5) at /oidc/.well-known/jwks.json: the public halves of the current
 * signing keys and of retired keys whose tokens have not all expired. Cacheable, with an ETag,
 * so verifiers poll it cheaply; HS256 application secrets are never in it. */
#include "ctx.h"

#include <string.h>

#include "../http/reply.h"
#include "../util/log.h"

void
handle_jwks(http_req_t *r)
{
    worker_ctx_t *ctx = handle_ctx(r);
    json_t *doc = NULL;
    char etag[40], cc[64];
    wx_err_t err = {0};
    if (keys_jwks(ctx->keys, &doc, etag, sizeof(etag), &err) != WX_OK) {
        wx_log(WX_LOG_ERROR, "jwks_failed", "rid", r->id, "error", err.msg, NULL);
        r->outcome = "error";
        http_reply_error(r, 500, 500, "cannot build the key set");
        return;
    }
    wx_snprintf(cc, sizeof(cc), "public, max-age=%d", ctx->app->cfg->jwks_max_age);
    http_add_header(r, "Cache-Control", cc);
    http_add_header(r, "ETag", etag);
    http_add_header(r, "Access-Control-Allow-Origin", "*");
    const char *inm = http_req_header(r, "If-None-Match");
    if (inm && strstr(inm, etag)) {
        json_decref(doc);
        r->outcome = "not_modified";
        http_reply_raw(r, 304, NULL, NULL, 0);
        return;
    }
    r->outcome = "ok";
    http_reply_json(r, 200, doc);
}
