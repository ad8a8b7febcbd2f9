/* Token revocation: POST /oidc/token/revocation (RFC 7009, form "token") and the logout
 * endpoint POST /api/v2/logout (Bearer token). Revoking needs a token that verifies — its jti
 * is only trusted once the signature is — and is then refused by every online endpoint until
 * it would have expired anyway. Holding a token is enough to revoke it (it can only lose
 * power); application credentials, when given, must be right. */
#include "ctx.h"

#include "../http/reply.h"
#include "../util/clock.h"
#include "../util/log.h"
#include "client_auth.h"
#include "form.h"
#include "token.h"

/* Revoke tok if it verifies. Returns false only when the store failed. */
static bool
revoke_token(worker_ctx_t *ctx, http_req_t *r, const char *tok, const char *endpoint, bool *revoked)
{
    token_result_t res;
    wx_err_t err = {0};
    *revoked = false;
    token_check_fresh(ctx, tok, NULL, &res); /* "already revoked" must be the store's answer */
    if (res.status == TOKEN_ERROR)
        return false;
    if (res.status != TOKEN_OK) {
        token_log_refusal(r, endpoint, &res);
        return true;
    }
    bool ok = token_revocations_changed_after(
                  store_revoke(ctx->store, res.jti, res.exp, wx_now(), &err)) == WX_OK;
    if (!ok)
        wx_log(WX_LOG_ERROR, "revoke_failed", "rid", r->id, "error", err.msg, NULL);
    else
        wx_log(WX_LOG_INFO, "token_revoked", "rid", r->id, "jti", res.jti, "sub",
               json_string_value(json_object_get(res.payload, "sub")), NULL);
    *revoked = ok;
    token_result_free(&res);
    return ok;
}

void
handle_revocation(http_req_t *r)
{
    worker_ctx_t *ctx = handle_ctx(r);
    wx_query_t form;
    wx_err_t err = {0};
    store_app_t app;
    bool revoked;
    if (handle_form_parse(r, &form, &err) != WX_OK || !wx_query_get(&form, "token")) {
        r->outcome = "bad_request";
        http_reply_json(r, 400,
                        json_pack("{s:s,s:s}", "error", "invalid_request", "error_description",
                                  err.msg[0] ? err.msg : "token is required"));
        goto out;
    }
    if (client_authenticate(ctx, r, &form, &app) == CLIENT_AUTH_DENIED) {
        r->outcome = "invalid_client";
        http_add_header(r, "WWW-Authenticate", "Basic realm=\"wxauth\"");
        http_reply_json(r, 401, json_pack("{s:s}", "error", "invalid_client"));
        goto out;
    }
    if (!revoke_token(ctx, r, wx_query_get(&form, "token"), "revocation", &revoked)) {
        r->outcome = "error";
        http_reply_json(r, 503, json_pack("{s:s}", "error", "temporarily_unavailable"));
        goto out;
    }
    /* RFC 7009 §2.2: an invalid token is not an error. */
    r->outcome = revoked ? "revoked" : "ignored";
    http_reply_raw(r, 200, "application/json", "{}", 2);
out:
    wx_query_free(&form);
}

void
handle_logout(http_req_t *r)
{
    worker_ctx_t *ctx = handle_ctx(r);
    bool revoked;
    const char *tok = token_from_bearer(r);
    if (!tok) {
        r->outcome = "no_token";
        http_add_header(r, "WWW-Authenticate", "Bearer");
        http_reply_error(r, 401, 401, "send the token as Authorization: Bearer …");
        return;
    }
    if (!revoke_token(ctx, r, tok, "logout", &revoked)) {
        r->outcome = "error";
        http_reply_error(r, 503, 500, "cannot log out right now, please try again");
        return;
    }
    if (!revoked) {
        r->outcome = "invalid_token";
        http_add_header(r, "WWW-Authenticate", "Bearer error=\"invalid_token\"");
        http_reply_error(r, 401, 401, "token is invalid, expired or already revoked");
        return;
    }
    r->outcome = "logged_out";
    http_reply_json(r, 200, json_pack("{s:i,s:s}", "code", 200, "message", "已退出登录"));
}
