/* GET /auth/check, for nginx auth_request: 204 with the user in X-Wxauth-* headers for a valid
 * token (Bearer, or the [gate] cookie), else 401 with WWW-Authenticate (RFC 6750 §3). No body:
 * nginx discards it, and this endpoint's speed is the gate's. */
#include "ctx.h"

#include <string.h>

#include "../http/reply.h"
#include "../jose/jws.h"
#include "token.h"

/* Claim values go into headers: only plain id characters, so nothing can split a header. */
static void
add_id_header(http_req_t *r, const char *name, const json_t *v)
{
    const char *s = json_string_value(v);
    if (!s || !s[0] || strlen(s) > 128)
        return;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_' || *p == '.'))
            return;
    http_add_header(r, name, s);
}

static void auth_checked(http_req_t *r, token_result_t *rp, void *arg);

void
handle_auth_check(http_req_t *r)
{
    worker_ctx_t *ctx = handle_ctx(r);
    const wx_config_t *cfg = ctx->app->cfg;
    char cookie[8193]; /* JWS_MAX_TOKEN + 1: a longer cookie is refused unread */
    const char *tok = token_from_bearer(r);
    if (!tok && cfg->gate_cookie[0] && http_req_cookie(r, cfg->gate_cookie, cookie, sizeof(cookie)))
        tok = cookie;
    token_check(r, tok, cfg->gate_audience[0] ? cfg->gate_audience : NULL, auth_checked, NULL);
}

static void
auth_checked(http_req_t *r, token_result_t *rp, void *arg)
{
    const token_result_t res = *rp;
    (void)arg;
    if (res.status != TOKEN_OK) {
        token_log_refusal(r, "auth_check", &res);
        r->outcome = res.why;
        if (res.status == TOKEN_ERROR) {
            http_reply_raw(r, 503, NULL, NULL, 0);
            return;
        }
        http_add_header(r, "WWW-Authenticate",
                        res.status == TOKEN_MISSING ? "Bearer realm=\"wxauth\""
                                                    : "Bearer realm=\"wxauth\", "
                                                      "error=\"invalid_token\"");
        http_reply_raw(r, 401, NULL, NULL, 0);
        return;
    }
    add_id_header(r, "X-Wxauth-User-Id", json_object_get(res.payload, "sub"));
    add_id_header(r, "X-Wxauth-Openid", json_object_get(res.payload, "openid"));
    add_id_header(r, "X-Wxauth-Unionid", json_object_get(res.payload, "unionid"));
    add_id_header(r, "X-Wxauth-Pool", json_object_get(res.payload, "userPoolId"));
    r->outcome = "ok";
    http_reply_raw(r, 204, NULL, NULL, 0);
}
