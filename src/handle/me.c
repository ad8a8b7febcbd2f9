/* GET and POST /oidc/me (OIDC Core §5.3): the profile of the token's user, read fresh from the
 * store, so a nickname changed since the token was signed shows its new value. The token comes
 * as RFC 6750 allows: the Authorization header (§2.1), a form body (§2.2, POST) or the
 * access_token query parameter (§2.3, which authing-js-sdk's getUserInfoByAccessToken sends). */
#include "ctx.h"

#include <stdlib.h>

#include <string.h>

#include "../http/reply.h"
#include "../util/log.h"
#include "form.h"
#include "reads.h"
#include "token.h"

/* The token's user, read off the loop. */
typedef struct {
    http_req_t *r;
    char pool[STORE_ID_MAX], sub[STORE_ID_MAX];
    store_user_t u;
} me_read_t;

static wx_status_t
me_run(store_t *st, void *arg, wx_err_t *err)
{
    me_read_t *m = arg;
    return store_user_get(st, m->pool, m->sub, &m->u, err);
}

static void
me_read(wx_status_t rc, const wx_err_t *err, void *arg)
{
    me_read_t *m = arg;
    http_req_t *r = m->r;
    const store_user_t *u = &m->u;
    if (rc != WX_OK && rc != WX_ENOENT) {
        wx_log(WX_LOG_ERROR, "user_unreadable", "rid", r->id, "error", err->msg, "detail",
               err->detail, NULL);
        r->outcome = "store_unavailable";
        http_reply_json(r, 503,
                        json_pack("{s:s,s:s}", "error", "temporarily_unavailable",
                                  "error_description", "cannot read the user right now"));
        goto out;
    }
    if (rc != WX_OK) {
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
    free(m);
}

static void
me_checked(http_req_t *r, token_result_t *res, void *arg)
{
    (void)arg;
    if (res->status != TOKEN_OK) {
        token_log_refusal(r, "me", res);
        r->outcome = res->why;
        http_add_header(r, "WWW-Authenticate",
                        res->status == TOKEN_MISSING
                            ? "Bearer"
                            : "Bearer error=\"invalid_token\", error_description=\"token is "
                              "invalid, expired or revoked\"");
        http_reply_json(
            r, res->status == TOKEN_ERROR ? 503 : 401,
            json_pack("{s:s,s:s}", "error",
                      res->status == TOKEN_MISSING ? "invalid_request" : "invalid_token",
                      "error_description", res->why));
        return;
    }
    const char *pool = json_string_value(json_object_get(res->payload, "userPoolId"));
    const char *sub = json_string_value(json_object_get(res->payload, "sub"));
    me_read_t *m = calloc(1, sizeof(*m));
    if (!m || !pool || !sub || !wx_strlcpy(m->pool, pool, sizeof(m->pool)) ||
        !wx_strlcpy(m->sub, sub, sizeof(m->sub))) {
        free(m);
        r->outcome = "no_user";
        http_add_header(r, "WWW-Authenticate", "Bearer error=\"invalid_token\"");
        http_reply_json(r, 401,
                        json_pack("{s:s,s:s}", "error", "invalid_token", "error_description",
                                  "the user no longer exists"));
        return;
    }
    m->r = r;
    handle_read(r->worker, me_run, me_read, m);
}

/* The token as OIDC Core §5.3.1 lets a client send it: the Bearer header, else a form body
 * of a POST, else the query (authing-js-sdk's getUserInfoByAccessToken). */
void
handle_me(http_req_t *r)
{
    wx_query_t form = {0};
    wx_err_t err = {0};
    const char *tok = token_from_bearer(r);
    if (!tok && strcmp(r->method, "POST") == 0 && http_req_header(r, "Content-Type") &&
        handle_form_parse(r, &form, &err) == WX_OK)
        tok = wx_query_get(&form, "access_token");
    if (!tok)
        tok = wx_query_get(&r->query, "access_token");
    token_check(r, tok, NULL, me_checked, NULL); /* keeps a copy of what it needs later */
    wx_query_free(&form);
}
