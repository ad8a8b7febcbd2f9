/* GET and POST /oidc/me (OIDC Core §5.3): the profile of the token's user, read fresh from the
 * store, so a nickname changed since the token was signed shows its new value. The token comes
 * as RFC 6750 allows: the Authorization header (§2.1), a form body (§2.2, POST) or the
 * access_token query parameter (§2.3, which authing-js-sdk's getUserInfoByAccessToken sends). */
#include "ctx.h"

#include <stdlib.h>

#include <string.h>

#include "../http/reply.h"
#include "form.h"
#include "token.h"

void
handle_me(http_req_t *r)
{
    worker_ctx_t *ctx = handle_ctx(r);
    token_result_t res;
    wx_err_t err = {0};
    store_user_t *u = NULL;
    wx_query_t form = {0};
    const char *tok = token_from_bearer(r);
    if (!tok && strcmp(r->method, "POST") == 0 && http_req_header(r, "Content-Type") &&
        handle_form_parse(r, &form, &err) == WX_OK)
        tok = wx_query_get(&form, "access_token");
    if (!tok)
        tok = wx_query_get(&r->query, "access_token");
    token_check(ctx, tok, NULL, &res);
    if (res.status != TOKEN_OK) {
        token_log_refusal(r, "me", &res);
        r->outcome = res.why;
        http_add_header(r, "WWW-Authenticate",
                        res.status == TOKEN_MISSING
                            ? "Bearer"
                            : "Bearer error=\"invalid_token\", error_description=\"token is "
                              "invalid, expired or revoked\"");
        http_reply_json(r, res.status == TOKEN_ERROR ? 503 : 401,
                        json_pack("{s:s,s:s}", "error",
                                  res.status == TOKEN_MISSING ? "invalid_request" : "invalid_token",
                                  "error_description", res.why));
        goto out;
    }
    const char *pool = json_string_value(json_object_get(res.payload, "userPoolId"));
    const char *sub = json_string_value(json_object_get(res.payload, "sub"));
    u = calloc(1, sizeof(*u));
    if (!u || !pool || !sub || store_user_get(ctx->store, pool, sub, u, &err) != WX_OK) {
        r->outcome = "no_user";
        http_add_header(r, "WWW-Authenticate", "Bearer error=\"invalid_token\"");
        http_reply_json(r, 401,
                        json_pack("{s:s,s:s}", "error", "invalid_token", "error_description",
                                  "the user no longer exists"));
        goto out;
    }
    json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:I}", "sub", u->id, "nickname",
                          u->nickname, "picture", u->photo, "gender", u->gender, "openid",
                          u->openid, "userPoolId", u->pool_id, "preferred_username", u->username,
                          "updated_at", (json_int_t)u->updated_at);
    if (o)
        json_object_set_new(o, "unionid", u->unionid[0] ? json_string(u->unionid) : json_null());
    r->outcome = "ok";
    http_reply_json(r, 200, o);
out:
    free(u);
    token_result_free(&res);
    wx_query_free(&form);
}
