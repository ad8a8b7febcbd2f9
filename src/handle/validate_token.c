/* GET /api/v2/oidc/validate_token?id_token=… or ?access_token=… (authing-compat.md §4): the
 * decoded payload of a valid token, else {"code":400,"message":"id_token 不合法"}. Like
 * Authing, the HTTP status is 200 either way and the body's code says which; existing backends
 * read the body. */
#include "ctx.h"

#include "../http/reply.h"
#include "token.h"

static void
validate_checked(http_req_t *r, token_result_t *res, void *arg)
{
    const char *kind = arg;
    char msg[64];
    if (res->status != TOKEN_OK) {
        token_log_refusal(r, "validate_token", res);
        r->outcome = res->why;
        if (res->status == TOKEN_ERROR) {
            http_reply_error(r, 503, 500, "cannot validate tokens right now");
            return;
        }
        wx_snprintf(msg, sizeof(msg), "%s 不合法", kind);
        http_reply_json(
            r, 200, json_pack("{s:i,s:s,s:s}", "code", 400, "message", msg, "reason", res->why));
        return;
    }
    r->outcome = "valid";
    http_reply_json(r, 200, json_incref(res->payload));
}

void
handle_validate_token(http_req_t *r)
{
    const char *id_token = wx_query_get(&r->query, "id_token");
    const char *access_token = wx_query_get(&r->query, "access_token");
    /* static text: the request may be gone by the time a caller would free it */
    token_check(r, id_token ? id_token : access_token, NULL, validate_checked,
                id_token ? "id_token" : "access_token");
}
