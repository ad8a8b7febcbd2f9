/* GET /api/v2/users/login-status?token=… (or a Bearer token): Authing's checkLoginStatus shape,
 * {code:200, message, status:true, exp, iat, data:{id, userPoolId, arn}}; an invalid token gets
 * status:false with code 2206 (expired) or 2207 (anything else). HTTP 200 either way. */
#include "ctx.h"

#include "../http/reply.h"
#include "../proto/claims.h"
#include "token.h"

static void
login_status_checked(http_req_t *r, token_result_t *rp, void *arg)
{
    const token_result_t res = *rp;
    (void)arg;
    if (res.status != TOKEN_OK) {
        token_log_refusal(r, "login_status", &res);
        r->outcome = res.why;
        bool expired = res.status == TOKEN_EXPIRED;
        http_reply_json(r, res.status == TOKEN_ERROR ? 503 : 200,
                        json_pack("{s:i,s:s,s:b,s:n,s:n,s:n}", "code", expired ? 2206 : 2207,
                                  "message", expired ? "登录信息已过期" : "登录状态校验失败",
                                  "status", 0, "exp", "iat", "data"));
        return;
    }
    const char *sub = json_string_value(json_object_get(res.payload, "sub"));
    const char *pool = json_string_value(json_object_get(res.payload, "userPoolId"));
    int64_t iat = 0;
    claims_int(res.payload, "iat", &iat);
    char arn[200];
    wx_snprintf(arn, sizeof(arn), "arn:cn:authing:%s:user:%s", pool ? pool : "", sub ? sub : "");
    r->outcome = "valid";
    http_reply_json(r, 200,
                    json_pack("{s:i,s:s,s:b,s:I,s:I,s:{s:s?,s:s?,s:s}}", "code", 200, "message",
                              "已登录", "status", 1, "exp", (json_int_t)res.exp, "iat",
                              (json_int_t)iat, "data", "id", sub, "userPoolId", pool, "arn", arn));
}

void
handle_login_status(http_req_t *r)
{
    const char *tok = wx_query_get(&r->query, "token");
    token_check(r, tok ? tok : token_from_bearer(r), NULL, login_status_checked, NULL);
}
