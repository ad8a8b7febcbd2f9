/* POST /oidc/token/introspection (RFC 7662): an application, authenticated with its id and
 * secret (or a public client naming itself: "none", then only about its own tokens), asks
 * whether a token is active. Tokens of other pools read as inactive, so one
 * tenant's application learns nothing about another's users. */
#include "ctx.h"

#include <stdlib.h>
#include <string.h>

#include "../http/reply.h"
#include "../proto/claims.h"
#include "client_auth.h"
#include "form.h"
#include "token.h"

/* The request's form, kept while the application and the token are read. */
typedef struct {
    wx_query_t form;
    char pool_id[STORE_ID_MAX];   /* the authenticated application's */
    char public_id[STORE_ID_MAX]; /* a public client ("none"): only its own tokens are active */
} intro_t;

static void
intro_free(void *p)
{
    intro_t *in = p;
    wx_query_free_secret(&in->form);
    free(in);
}

static void
intro_checked(http_req_t *r, token_result_t *rp, void *arg)
{
    worker_ctx_t *ctx = handle_ctx(r);
    intro_t *in = arg;
    const token_result_t res = *rp;
    const char *pool =
        res.payload ? json_string_value(json_object_get(res.payload, "userPoolId")) : NULL;
    if (res.status == TOKEN_ERROR) {
        r->outcome = res.why;
        http_reply_json(r, 503, json_pack("{s:s}", "error", "temporarily_unavailable"));
        return;
    }
    const char *aud = res.payload ? json_string_value(json_object_get(res.payload, "aud")) : NULL;
    /* A public client proves nothing but its name: it learns only about tokens issued to it
     * (RFC 7662 §4, no token scanning across a pool's applications). */
    bool foreign = in->public_id[0] && (!aud || strcmp(aud, in->public_id) != 0);
    if (res.status != TOKEN_OK || !pool || strcmp(pool, in->pool_id) != 0 || foreign) {
        if (res.status != TOKEN_OK)
            token_log_refusal(r, "introspection", &res);
        r->outcome = "inactive";
        http_reply_json(r, 200, json_pack("{s:b}", "active", 0));
        return;
    }
    int64_t iat = 0;
    claims_int(res.payload, "iat", &iat);
    json_t *audj = json_object_get(res.payload, "aud");
    json_t *o = json_pack("{s:b,s:O?,s:O?,s:I,s:I,s:s,s:s,s:s,s:s,s:O?,s:O?}", "active", 1, "sub",
                          json_object_get(res.payload, "sub"), "client_id",
                          json_is_string(audj) ? audj : NULL, "exp", (json_int_t)res.exp, "iat",
                          (json_int_t)iat, "iss", ctx->app->issuer, "jti", res.jti, "scope",
                          "openid profile", "token_type", "Bearer", "aud", audj, "userPoolId",
                          json_object_get(res.payload, "userPoolId"));
    r->outcome = "active";
    http_reply_json(r, 200, o);
}

static void
intro_authenticated(http_req_t *r, client_auth_t res, const store_app_t *app, void *arg)
{
    intro_t *in = arg;
    if (res == CLIENT_AUTH_ERROR) {
        r->outcome = "store_unavailable";
        http_reply_json(r, 503, json_pack("{s:s}", "error", "temporarily_unavailable"));
        return;
    }
    if (res != CLIENT_AUTH_OK && res != CLIENT_AUTH_PUBLIC) {
        r->outcome = "invalid_client";
        http_add_header(r, "WWW-Authenticate", "Basic realm=\"wxauth\"");
        http_reply_json(r, 401,
                        json_pack("{s:s,s:s}", "error", "invalid_client", "error_description",
                                  "authenticate with the application id and secret "
                                  "(client_secret_basic or client_secret_post); only a public "
                                  "client may send its client_id alone (none)"));
        return;
    }
    wx_strlcpy(in->pool_id, app->pool_id, sizeof(in->pool_id));
    if (res == CLIENT_AUTH_PUBLIC)
        wx_strlcpy(in->public_id, app->id, sizeof(in->public_id));
    const char *tok = wx_query_get(&in->form, "token");
    if (!tok) {
        r->outcome = "bad_request";
        http_reply_json(r, 400,
                        json_pack("{s:s,s:s}", "error", "invalid_request", "error_description",
                                  "token is required"));
        return;
    }
    token_check(r, tok, NULL, intro_checked, in);
}

void
handle_introspection(http_req_t *r)
{
    wx_err_t err = {0};
    intro_t *in = calloc(1, sizeof(*in));
    if (!in) {
        http_reply_json(r, 503, json_pack("{s:s}", "error", "temporarily_unavailable"));
        return;
    }
    if (handle_form_parse(r, &in->form, &err) != WX_OK) {
        intro_free(in);
        r->outcome = "bad_request";
        http_reply_json(
            r, 400,
            json_pack("{s:s,s:s}", "error", "invalid_request", "error_description", err.msg));
        return;
    }
    r->data = in;
    r->data_free = intro_free;
    client_authenticate_public(r, &in->form, intro_authenticated, in);
}
