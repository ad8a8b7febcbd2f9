/* POST /oidc/token/introspection (RFC 7662): an application, authenticated with its id and
 * secret, asks whether a token is active. Tokens of other pools read as inactive, so one
 * tenant's application learns nothing about another's users. */
#include "ctx.h"

#include <string.h>

#include "../http/reply.h"
#include "../proto/claims.h"
#include "client_auth.h"
#include "form.h"
#include "token.h"

void
handle_introspection(http_req_t *r)
{
    worker_ctx_t *ctx = handle_ctx(r);
    wx_query_t form;
    wx_err_t err = {0};
    store_app_t app;
    token_result_t res = {0};
    if (handle_form_parse(r, &form, &err) != WX_OK) {
        r->outcome = "bad_request";
        http_reply_json(
            r, 400,
            json_pack("{s:s,s:s}", "error", "invalid_request", "error_description", err.msg));
        goto out;
    }
    if (client_authenticate(ctx, r, &form, &app) != CLIENT_AUTH_OK) {
        r->outcome = "invalid_client";
        http_add_header(r, "WWW-Authenticate", "Basic realm=\"wxauth\"");
        http_reply_json(r, 401,
                        json_pack("{s:s,s:s}", "error", "invalid_client", "error_description",
                                  "authenticate with the application id and secret"));
        goto out;
    }
    const char *tok = wx_query_get(&form, "token");
    if (!tok) {
        r->outcome = "bad_request";
        http_reply_json(r, 400,
                        json_pack("{s:s,s:s}", "error", "invalid_request", "error_description",
                                  "token is required"));
        goto out;
    }
    token_check(ctx, tok, NULL, &res);
    const char *pool =
        res.payload ? json_string_value(json_object_get(res.payload, "userPoolId")) : NULL;
    if (res.status == TOKEN_ERROR) {
        r->outcome = res.why;
        http_reply_json(r, 503, json_pack("{s:s}", "error", "temporarily_unavailable"));
        goto out;
    }
    if (res.status != TOKEN_OK || !pool || strcmp(pool, app.pool_id) != 0) {
        if (res.status != TOKEN_OK)
            token_log_refusal(r, "introspection", &res);
        r->outcome = "inactive";
        http_reply_json(r, 200, json_pack("{s:b}", "active", 0));
        goto out;
    }
    int64_t iat = 0;
    claims_int(res.payload, "iat", &iat);
    json_t *aud = json_object_get(res.payload, "aud");
    json_t *o = json_pack("{s:b,s:O?,s:O?,s:I,s:I,s:s,s:s,s:s,s:s,s:O?,s:O?}", "active", 1, "sub",
                          json_object_get(res.payload, "sub"), "client_id",
                          json_is_string(aud) ? aud : NULL, "exp", (json_int_t)res.exp, "iat",
                          (json_int_t)iat, "iss", ctx->app->issuer, "jti", res.jti, "scope",
                          "openid profile", "token_type", "Bearer", "aud", aud, "userPoolId",
                          json_object_get(res.payload, "userPoolId"));
    r->outcome = "active";
    http_reply_json(r, 200, o);
out:
    token_result_free(&res);
    wx_query_free(&form);
}
