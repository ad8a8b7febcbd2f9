/* POST /graphql/v2: the three operations authing-js-sdk 4.x (AuthenticationClient) sends for a
 * page whose user logged in with WeChat — `query checkLoginStatus`, `query user` (getCurrentUser)
 * and `mutation refreshToken` — answered in the shapes its dist parses (GraphqlClient reads
 * `data`, or `errors[].message` as an object {code, message, data}). This is no GraphQL engine:
 * the operation is recognised by its type and root field, and the answer always carries every
 * field the SDK's own document asks for. Any other operation gets a GraphQL error that says
 * wxauth does not support it (docs/spec/authing-compat.md §7). */
#include "ctx.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "../http/reply.h"
#include "../proto/authing.h"
#include "../proto/claims.h"
#include "../util/clock.h"
#include "../util/log.h"
#include "../util/rand.h"
#include "reads.h"
#include "token.h"

#define GQL_BODY_MAX 65536
#define GQL_NAME_MAX 64

/* Authing's codes for these answers. */
#define GQL_CODE_LOGIN_REQUIRED 2020 /* 尚未登录 */
#define GQL_CODE_EXPIRED 2206
#define GQL_CODE_INVALID 2207
#define GQL_CODE_BLOCKED 2057
#define GQL_CODE_UNSUPPORTED 400

typedef enum { GQL_CHECK_LOGIN_STATUS, GQL_USER, GQL_REFRESH_TOKEN } gql_op_t;

/* One request while its token is checked and its user read. */
typedef struct {
    http_req_t *r;
    gql_op_t op;
    char *token; /* the Bearer token (user, refreshToken), or checkLoginStatus's variable */
    char pool_id[STORE_ID_MAX], sub[STORE_ID_MAX], aud[STORE_ID_MAX];
    char openid[STORE_OPENID_MAX], unionid[STORE_OPENID_MAX];
    int64_t exp;
    wx_status_t user_rc, pool_rc;
    store_user_t user;
    store_pool_t pool;
} gql_t;

static void
gql_free(void *p)
{
    gql_t *g = p;
    if (g->token) {
        OPENSSL_cleanse(g->token, strlen(g->token));
        free(g->token);
    }
    free(g);
}

/* A GraphQL error in Authing's shape: message is an object, which GraphqlClient destructures. */
static void
gql_error(http_req_t *r, int status, int code, const char *message, const char *outcome)
{
    r->outcome = outcome;
    http_reply_json(r, status,
                    json_pack("{s:n,s:[{s:{s:i,s:s,s:n}}]}", "data", "errors", "message", "code",
                              code, "message", message, "data"));
}

static void
gql_data(http_req_t *r, const char *field, json_t *value, const char *outcome)
{
    r->outcome = outcome;
    http_reply_json(r, 200, json_pack("{s:{s:o}}", "data", field, value));
}

/* ---- recognising the operation ---- */

static const char *
skip_ignored(const char *p)
{
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == ',')
            p++;
        if (*p != '#')
            return p;
        while (*p && *p != '\n') /* a comment runs to the end of its line */
            p++;
    }
}

static const char *
read_name(const char *p, char *out, size_t n)
{
    size_t i = 0;
    while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
           *p == '_') {
        if (i + 1 >= n)
            return NULL;
        out[i++] = *p++;
    }
    out[i] = '\0';
    return i ? p : NULL;
}

/* The operation's type ("query", "mutation", …) and its first root field, from the document
 * text: `query name($v: T) { field(…) { … } }` or the shorthand `{ field … }`. */
static bool
gql_parse_op(const char *q, char *type, char *field)
{
    const char *p = skip_ignored(q);
    char name[GQL_NAME_MAX];
    if (*p == '{') {
        wx_strlcpy(type, "query", GQL_NAME_MAX);
    } else {
        if (!(p = read_name(p, type, GQL_NAME_MAX)))
            return false;
        p = skip_ignored(p);
        if (*p != '(' && *p != '{' && *p != '@') {
            if (!(p = read_name(p, name, sizeof(name))))
                return false;
        }
        /* variable definitions and directives: up to the selection set */
        while (*p && *p != '{')
            p++;
        if (*p != '{')
            return false;
    }
    p = skip_ignored(p + 1);
    const char *f = read_name(p, name, sizeof(name));
    if (!f)
        return false;
    f = skip_ignored(f);
    if (*f == ':') { /* an alias: the field follows it */
        if (!read_name(skip_ignored(f + 1), name, sizeof(name)))
            return false;
    }
    wx_strlcpy(field, name, GQL_NAME_MAX);
    return true;
}

/* ---- checkLoginStatus ---- */

static void
check_status_checked(http_req_t *r, token_result_t *rp, void *arg)
{
    const token_result_t res = *rp;
    (void)arg;
    if (res.status == TOKEN_ERROR) {
        gql_error(r, 503, 500, "服务暂时不可用，请重试 · temporarily unavailable, try again",
                  "store_unavailable");
        return;
    }
    if (res.status != TOKEN_OK) {
        token_log_refusal(r, "graphql", &res);
        bool expired = res.status == TOKEN_EXPIRED;
        gql_data(r, "checkLoginStatus",
                 json_pack("{s:i,s:s,s:b,s:n,s:n,s:n}", "code",
                           expired ? GQL_CODE_EXPIRED : GQL_CODE_INVALID, "message",
                           expired ? "登录信息已过期" : "登录状态校验失败", "status", 0, "exp",
                           "iat", "data"),
                 res.why);
        return;
    }
    const char *sub = json_string_value(json_object_get(res.payload, "sub"));
    const char *pool = json_string_value(json_object_get(res.payload, "userPoolId"));
    int64_t iat = 0;
    char arn[200];
    claims_int(res.payload, "iat", &iat);
    wx_snprintf(arn, sizeof(arn), "arn:cn:authing:%s:user:%s", pool ? pool : "", sub ? sub : "");
    gql_data(r, "checkLoginStatus",
             json_pack("{s:i,s:s,s:b,s:I,s:I,s:{s:s?,s:s?,s:s}}", "code", 200, "message", "已登录",
                       "status", 1, "exp", (json_int_t)res.exp, "iat", (json_int_t)iat, "data",
                       "id", sub, "userPoolId", pool, "arn", arn),
             "valid");
}

/* ---- user and refreshToken: the token's user (and pool), read off the loop ---- */

static wx_status_t
gql_read_run(store_t *st, void *arg, wx_err_t *err)
{
    gql_t *g = arg;
    g->user_rc = store_user_get(st, g->pool_id, g->sub, &g->user, err);
    if (g->user_rc != WX_OK)
        return g->user_rc == WX_ENOENT ? WX_OK : g->user_rc;
    if (g->op == GQL_REFRESH_TOKEN) {
        g->pool_rc = store_pool_get(st, g->pool_id, &g->pool, err);
        if (g->pool_rc != WX_OK && g->pool_rc != WX_ENOENT)
            return g->pool_rc;
    }
    return WX_OK;
}

/* The user object of `query user`: the login's `data` shape (authing-compat.md §3), whose
 * fields are the ones the SDK's UserDocument selects; `token` is the token the request came
 * with, because getCurrentUser() stores the user and takes its token from it. */
static void
reply_user(http_req_t *r, gql_t *g)
{
    store_user_t *u = &g->user;
    if (g->openid[0])
        wx_strlcpy(u->openid, g->openid, sizeof(u->openid));
    if (g->unionid[0])
        wx_strlcpy(u->unionid, g->unionid, sizeof(u->unionid));
    authing_user_args_t ua = {.user = u,
                              .provider = "wechat:webpage-authorization",
                              .raw_profile = NULL,
                              .token = g->token,
                              .token_exp = g->exp,
                              .with_identities = false,
                              .appid = NULL};
    json_t *o = authing_user_json(&ua);
    if (!o) {
        gql_error(r, 500, 500, "internal error", "internal_error");
        return;
    }
    json_object_set_new(o, "customData", json_null());
    gql_data(r, "user", o, "ok");
}

/* A new token for the same user and audience, with a fresh lifetime (the pool's): what
 * Authing's refreshToken mutation returns, {token, iat, exp}. The old token stays valid until
 * it expires, as with Authing. */
static void
reply_refreshed(http_req_t *r, gql_t *g)
{
    worker_ctx_t *ctx = handle_ctx(r);
    wx_err_t err = {0};
    wx_buf_t tok;
    char jti[23];
    char *payload = NULL;
    json_t *claims = NULL;
    int64_t iat = wx_now();
    int64_t ttl = g->pool.token_ttl > 0 ? g->pool.token_ttl : ctx->app->cfg->token_ttl;
    int64_t exp = iat + ttl;
    /* A pool-flow token (aud = the pool) is signed as the pool's; an application's with the
     * application's key choice (HS256 with its secret when it opted in). */
    const char *app_id = strcmp(g->aud, g->pool_id) == 0 ? "" : g->aud;
    wx_buf_init(&tok, 16384);
    if (g->openid[0])
        wx_strlcpy(g->user.openid, g->openid, sizeof(g->user.openid));
    if (g->unionid[0])
        wx_strlcpy(g->user.unionid, g->unionid, sizeof(g->user.unionid));
    if (wx_rand_alnum(jti, 22) != WX_OK ||
        !(claims = authing_token_claims(&g->user, ctx->app->issuer, g->aud, iat, exp, jti)) ||
        !(payload = json_dumps(claims, JSON_COMPACT)) ||
        token_sign(ctx, g->pool.alg, app_id, payload, &tok, &err) != WX_OK) {
        wx_log(WX_LOG_ERROR, "token_sign_failed", "rid", r->id, "error",
               err.msg[0] ? err.msg : "out of memory", NULL);
        gql_error(r, 500, 500, "签发失败，请重试 · the token could not be signed, try again",
                  "internal_error");
        goto out;
    }
    wx_log(WX_LOG_INFO, "token_refreshed", "rid", r->id, "pool", g->pool_id, "app", g->aud, "sub",
           g->sub, "jti", jti, NULL);
    gql_data(r, "refreshToken",
             json_pack("{s:s,s:I,s:I}", "token", wx_buf_str(&tok), "iat", (json_int_t)iat, "exp",
                       (json_int_t)exp),
             "refreshed");
out:
    if (tok.data)
        OPENSSL_cleanse(tok.data, tok.len);
    wx_buf_free(&tok);
    free(payload);
    json_decref(claims);
}

static void
gql_read_done(wx_status_t rc, const wx_err_t *err, void *arg)
{
    gql_t *g = arg;
    http_req_t *r = g->r;
    if (rc != WX_OK) {
        wx_log(WX_LOG_ERROR, "user_unreadable", "rid", r->id, "error", err->msg, "detail",
               err->detail, NULL);
        gql_error(r, 503, 500, "服务暂时不可用，请重试 · temporarily unavailable, try again",
                  "store_unavailable");
        return;
    }
    if (g->user_rc != WX_OK || (g->op == GQL_REFRESH_TOKEN && g->pool_rc != WX_OK)) {
        gql_error(r, 200, GQL_CODE_LOGIN_REQUIRED,
                  "用户不存在，请重新登录 · the token's user no longer exists", "no_user");
        return;
    }
    if (g->user.blocked) {
        gql_error(r, 200, GQL_CODE_BLOCKED, "此账号已被禁用 · this account is blocked", "blocked");
        return;
    }
    if (g->op == GQL_USER)
        reply_user(r, g);
    else
        reply_refreshed(r, g);
}

static void
gql_token_checked(http_req_t *r, token_result_t *rp, void *arg)
{
    gql_t *g = arg;
    const token_result_t res = *rp;
    if (res.status == TOKEN_ERROR) {
        gql_error(r, 503, 500, "服务暂时不可用，请重试 · temporarily unavailable, try again",
                  "store_unavailable");
        return;
    }
    if (res.status != TOKEN_OK) {
        if (res.status != TOKEN_MISSING)
            token_log_refusal(r, "graphql", &res);
        gql_error(r, 200, GQL_CODE_LOGIN_REQUIRED,
                  res.status == TOKEN_MISSING
                      ? "尚未登录，无访问权限 · not logged in: send the token as Authorization: "
                        "Bearer"
                      : "登录信息已失效，请重新登录 · the token is invalid, expired or revoked",
                  res.why);
        return;
    }
    /* refreshToken renews Authing login tokens only. The OpenID provider's tokens (access:
     * client_id and scope; ID: azp and at_hash, oidc_token.c) renew through /oidc/token, with
     * client authentication, rotation and reuse detection: renewed here they would outlive
     * the revocation of their grant forever. */
    if (g->op == GQL_REFRESH_TOKEN &&
        (json_object_get(res.payload, "client_id") || json_object_get(res.payload, "scope") ||
         json_object_get(res.payload, "azp") || json_object_get(res.payload, "at_hash"))) {
        wx_log(WX_LOG_INFO, "token_refused", "rid", r->id, "endpoint", "graphql", "why",
               "an OpenID Connect token, not a login token", NULL);
        gql_error(r, 200, GQL_CODE_INVALID,
                  "此令牌不能在此刷新，请通过 /oidc/token 刷新 · an OpenID Connect token cannot "
                  "be renewed by refreshToken: use the refresh_token grant of /oidc/token",
                  "oidc_token");
        return;
    }
    const char *pool = json_string_value(json_object_get(res.payload, "userPoolId"));
    const char *sub = json_string_value(json_object_get(res.payload, "sub"));
    const char *aud = json_string_value(json_object_get(res.payload, "aud"));
    const char *openid = json_string_value(json_object_get(res.payload, "openid"));
    const char *unionid = json_string_value(json_object_get(res.payload, "unionid"));
    if (!pool || !sub || !aud || !wx_strlcpy(g->pool_id, pool, sizeof(g->pool_id)) ||
        !wx_strlcpy(g->sub, sub, sizeof(g->sub)) || !wx_strlcpy(g->aud, aud, sizeof(g->aud))) {
        gql_error(r, 200, GQL_CODE_LOGIN_REQUIRED,
                  "此令牌没有用户 · the token names no user of a pool", "no_user");
        return;
    }
    wx_strlcpy(g->openid, openid ? openid : "", sizeof(g->openid));
    wx_strlcpy(g->unionid, unionid ? unionid : "", sizeof(g->unionid));
    g->exp = res.exp;
    handle_read(r->worker, gql_read_run, gql_read_done, g);
}

/* ---- entry ---- */

void
handle_graphql(http_req_t *r)
{
    size_t len = 0;
    json_error_t jerr;
    char type[GQL_NAME_MAX] = "", field[GQL_NAME_MAX] = "", msg[400];
    json_t *body = NULL;
    char *raw = http_req_body(r, &len);
    gql_t *g = NULL;
    if (!raw || len > GQL_BODY_MAX ||
        !(body = json_loadb(raw, len, JSON_REJECT_DUPLICATES, &jerr)) || !json_is_object(body)) {
        gql_error(r, 400, 400,
                  "请求格式错误 · the body must be JSON {\"query\": \"…\", \"variables\": {…}}",
                  "bad_request");
        goto out;
    }
    const char *q = json_string_value(json_object_get(body, "query"));
    json_t *vars = json_object_get(body, "variables");
    if (!q || !gql_parse_op(q, type, field)) {
        gql_error(r, 400, 400, "请求格式错误 · query is missing or is not a GraphQL operation",
                  "bad_request");
        goto out;
    }
    gql_op_t op;
    if (strcmp(type, "query") == 0 && strcmp(field, "checkLoginStatus") == 0)
        op = GQL_CHECK_LOGIN_STATUS;
    else if (strcmp(type, "query") == 0 && strcmp(field, "user") == 0)
        op = GQL_USER;
    else if (strcmp(type, "mutation") == 0 && strcmp(field, "refreshToken") == 0)
        op = GQL_REFRESH_TOKEN;
    else {
        wx_log(WX_LOG_INFO, "graphql_unsupported", "rid", r->id, "type", type, "field", field,
               NULL);
        wx_snprintf(msg, sizeof(msg),
                    "wxauth 不支持此操作 · wxauth does not support the GraphQL %s \"%s\": it "
                    "answers only checkLoginStatus, user (getCurrentUser) and refreshToken "
                    "(docs/spec/authing-compat.md §7)",
                    type, field);
        gql_error(r, 200, GQL_CODE_UNSUPPORTED, msg, "unsupported_operation");
        goto out;
    }
    /* `user(id:)` and `refreshToken(id:)` of another user are the management API's: refused. */
    const char *id = json_is_object(vars) ? json_string_value(json_object_get(vars, "id")) : NULL;
    const char *tok = token_from_bearer(r);
    if (op == GQL_CHECK_LOGIN_STATUS) {
        const char *vt =
            json_is_object(vars) ? json_string_value(json_object_get(vars, "token")) : NULL;
        if (vt && *vt)
            tok = vt;
    }
    if (!(g = calloc(1, sizeof(*g))) || (tok && !(g->token = strdup(tok)))) {
        gql_free(g);
        gql_error(r, 503, 500, "服务繁忙，请重试 · out of memory, try again", "internal_error");
        goto out;
    }
    g->r = r;
    g->op = op;
    r->data = g;
    r->data_free = gql_free;
    if (op == GQL_CHECK_LOGIN_STATUS) {
        token_check(r, g->token, NULL, check_status_checked, NULL);
        goto out;
    }
    if (id && *id) {
        /* Only the token's own user: compared once the token is checked. Simplest honest
         * answer: wxauth has no management API over GraphQL. */
        wx_snprintf(msg, sizeof(msg),
                    "wxauth 不支持此操作 · wxauth does not support %s with an id: only the "
                    "token's own user",
                    field);
        gql_error(r, 200, GQL_CODE_UNSUPPORTED, msg, "unsupported_operation");
        goto out;
    }
    /* refreshToken mints a new token: a revocation made a moment ago must stop it. */
    if (op == GQL_REFRESH_TOKEN)
        token_check_fresh(r, g->token, NULL, gql_token_checked, g);
    else
        token_check(r, g->token, NULL, gql_token_checked, g);
out:
    json_decref(body);
    free(raw);
}
