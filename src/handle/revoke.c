/* Token revocation: POST /oidc/token/revocation (RFC 7009, form "token") and the logout
 * endpoint POST /api/v2/logout (Bearer token); authing-js-sdk's logout() (GET /api/v2/logout
 * ?app_id=) and logoutCurrent() (GET /logout?appId=&deviceId=current) also end this browser's
 * login session at wxauthd (oidc_flow.h). Revoking needs a token that verifies — its jti
 * is only trusted once the signature is — and is then refused by every online endpoint until
 * it would have expired anyway. A refresh token of the OpenID Connect provider (an opaque
 * random string, looked up by its hash) revokes its whole family: every refresh token rotated
 * from the same code. Holding a token is enough to revoke it (it can only lose power);
 * application credentials, when given, must be right, and must be the token's client. */
#include "ctx.h"

#include <stdlib.h>
#include <string.h>

#include "../http/reply.h"
#include "../util/clock.h"
#include "../util/log.h"
#include "../util/rand.h"
#include "client_auth.h"
#include "form.h"
#include "oidc_flow.h"
#include "../store/writer.h"
#include "token.h"

/* A revocation in progress: the form (revocation endpoint) and what the store was told. */
typedef struct {
    http_req_t *r;
    wx_query_t form;
    bool logout;    /* the logout endpoint's replies */
    bool browser;   /* the SDK's GET logouts: the session ends too, the token is optional */
    bool origin_ok; /* browser: the page's Origin is registered for the named application */
    const char *endpoint;
    char jti[64];
    int64_t exp;
    /* a refresh token: its hash, the authenticated client ("" for none) and the verdict */
    char hash[65];
    char client[STORE_ID_MAX];
    bool found, other_client;
} revoke_t;

static void
revoke_free(void *p)
{
    revoke_t *v = p;
    wx_query_free_secret(&v->form);
    free(v);
}

static void
browser_logged_out(http_req_t *r, void *arg)
{
    (void)arg;
    if (!r->outcome)
        r->outcome = "logged_out";
    /* HttpClient of authing-js-sdk clears its token only on code 200. */
    http_reply_json(r, 200,
                    json_pack("{s:i,s:s,s:n}", "code", 200, "message", "已退出登录", "data"));
}

/* The end: ok false when the store failed; revoked when a valid token was revoked now. */
static void
revoke_reply(http_req_t *r, revoke_t *v, bool ok, bool revoked)
{
    if (v->browser && ok) {
        /* Logging out is idempotent: a token that no longer verifies has nothing to revoke,
         * and the SDK must still drop it. The login session ends only for a request that
         * shows it comes from the application: a valid token, or an Origin registered for it
         * (the SDK sends both). A bare link from any site (logout CSRF) ends nothing. */
        if (!revoked && !v->origin_ok) {
            r->outcome = "logged_out_not_session";
            browser_logged_out(r, NULL);
            return;
        }
        r->outcome = revoked ? "logged_out" : "logged_out_no_token";
        oidc_session_end_async(r, handle_ctx(r), browser_logged_out, NULL);
        return;
    }
    if (!v->logout) {
        if (!ok) {
            r->outcome = "error";
            http_reply_json(r, 503, json_pack("{s:s}", "error", "temporarily_unavailable"));
            return;
        }
        /* RFC 7009 §2.2: an invalid token is not an error. */
        r->outcome = revoked ? "revoked" : "ignored";
        http_reply_raw(r, 200, "application/json", "{}", 2);
        return;
    }
    if (!ok) {
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

static wx_status_t
revoke_run(store_t *st, void *arg, wx_err_t *err)
{
    revoke_t *v = arg;
    return store_revoke(st, v->jti, v->exp, wx_now(), err);
}

static void
revoke_done(wx_status_t rc, const wx_err_t *err, void *arg)
{
    revoke_t *v = arg;
    http_req_t *r = v->r;
    bool ok = token_revocations_changed_after(rc) == WX_OK;
    if (!ok)
        wx_log(WX_LOG_ERROR, "revoke_failed", "rid", r->id, "error", err->msg, NULL);
    else
        wx_log(WX_LOG_INFO, "token_revoked", "rid", r->id, "jti", v->jti, NULL);
    revoke_reply(r, v, ok, ok);
}

/* The token verified (or not): revoke it if it did. */
static void
revoke_checked(http_req_t *r, token_result_t *res, void *arg)
{
    revoke_t *v = arg;
    if (res->status == TOKEN_ERROR) {
        revoke_reply(r, v, false, false);
        return;
    }
    if (res->status != TOKEN_OK) {
        token_log_refusal(r, v->endpoint, res);
        revoke_reply(r, v, true, false);
        return;
    }
    wx_strlcpy(v->jti, res->jti, sizeof(v->jti));
    v->exp = res->exp;
    /* A write: by the store writer, off the loop (store/writer.h). */
    wx_err_t err = {0};
    v->r = r;
    if (store_writer_submit(handle_ctx(r)->app->writer, r->worker->base, revoke_run, revoke_done, v,
                            &err) != WX_OK)
        revoke_done(err.status ? err.status : WX_EBUSY, &err, v);
}

/* RFC 7009 §2.1 for a refresh token: its family goes, in the store writer. */
static wx_status_t
refresh_revoke_run(store_t *st, void *arg, wx_err_t *err)
{
    revoke_t *v = arg;
    store_oidc_refresh_t t;
    v->found = v->other_client = false;
    wx_status_t rc = store_oidc_refresh_get(st, v->hash, &t, err);
    if (rc == WX_ENOENT) {
        wx_err_clear(err);
        return WX_OK;
    }
    if (rc != WX_OK)
        return rc;
    v->found = true;
    if (v->client[0] && strcmp(v->client, t.app_id) != 0) {
        v->other_client = true;
        return WX_OK;
    }
    wx_strlcpy(v->jti, t.family, sizeof(v->jti)); /* for the log */
    return t.revoked_at ? WX_OK : store_oidc_family_revoke(st, t.family, wx_now(), err);
}

static void
refresh_revoke_done(wx_status_t rc, const wx_err_t *err, void *arg)
{
    revoke_t *v = arg;
    http_req_t *r = v->r;
    if (rc != WX_OK) {
        wx_log(WX_LOG_ERROR, "revoke_failed", "rid", r->id, "error", err->msg, NULL);
        revoke_reply(r, v, false, false);
        return;
    }
    if (v->other_client) {
        /* §2.1: the token was not issued to the client asking. */
        r->outcome = "other_client";
        wx_log(WX_LOG_WARN, "refresh_revoke_refused", "rid", r->id, "client", v->client, NULL);
        http_reply_json(r, 400,
                        json_pack("{s:s,s:s}", "error", "unauthorized_client", "error_description",
                                  "this refresh token was issued to another client"));
        return;
    }
    if (v->found)
        wx_log(WX_LOG_INFO, "refresh_family_revoked", "rid", r->id, "family", v->jti, NULL);
    revoke_reply(r, v, true, v->found);
}

/* Our refresh tokens are 43 letters and digits; every access or ID token is a JWS (dots). */
static bool
looks_like_refresh(const char *tok)
{
    size_t n = strlen(tok);
    return n > 0 && n <= 256 && !strchr(tok, '.');
}

static void
revocation_authenticated(http_req_t *r, client_auth_t res, const store_app_t *app, void *arg)
{
    revoke_t *v = arg;
    if (res == CLIENT_AUTH_ERROR) {
        revoke_reply(r, v, false, false);
        return;
    }
    if (res == CLIENT_AUTH_DENIED) {
        r->outcome = "invalid_client";
        http_add_header(r, "WWW-Authenticate", "Basic realm=\"wxauth\"");
        http_reply_json(r, 401, json_pack("{s:s}", "error", "invalid_client"));
        return;
    }
    const char *tok = wx_query_get(&v->form, "token");
    if (looks_like_refresh(tok)) {
        wx_err_t err = {0};
        /* A public client that named itself is bound like an authenticated one: it may
         * revoke only its own refresh tokens. */
        if ((res == CLIENT_AUTH_OK || res == CLIENT_AUTH_PUBLIC) && app)
            wx_strlcpy(v->client, app->id, sizeof(v->client));
        v->r = r;
        if (wx_sha256_hex(tok, strlen(tok), v->hash) != WX_OK ||
            store_writer_submit(handle_ctx(r)->app->writer, r->worker->base, refresh_revoke_run,
                                refresh_revoke_done, v, &err) != WX_OK)
            revoke_reply(r, v, false, false);
        return;
    }
    /* "already revoked" must be the store's answer: fresh */
    token_check_fresh(r, tok, NULL, revoke_checked, v);
}

void
handle_revocation(http_req_t *r)
{
    wx_err_t err = {0};
    revoke_t *v = calloc(1, sizeof(*v));
    if (!v) {
        http_reply_json(r, 503, json_pack("{s:s}", "error", "temporarily_unavailable"));
        return;
    }
    v->endpoint = "revocation";
    r->data = v;
    r->data_free = revoke_free;
    if (handle_form_parse(r, &v->form, &err) != WX_OK || !wx_query_get(&v->form, "token")) {
        r->outcome = "bad_request";
        http_reply_json(r, 400,
                        json_pack("{s:s,s:s}", "error", "invalid_request", "error_description",
                                  err.msg[0] ? err.msg : "token is required"));
        return;
    }
    /* client_id alone is how a public client revokes (authing-js-sdk revokeToken with
     * revocationEndPointAuthMethod 'none', openid-client): accepted as for introspection. */
    client_authenticate_public(r, &v->form, revocation_authenticated, v);
}

void
handle_logout(http_req_t *r)
{
    const char *tok = token_from_bearer(r);
    if (!tok) {
        r->outcome = "no_token";
        http_add_header(r, "WWW-Authenticate", "Bearer");
        http_reply_error(r, 401, 401, "send the token as Authorization: Bearer …");
        return;
    }
    revoke_t *v = calloc(1, sizeof(*v));
    if (!v) {
        http_reply_error(r, 503, 500, "cannot log out right now, please try again");
        return;
    }
    v->logout = true;
    v->endpoint = "logout";
    r->data = v;
    r->data_free = revoke_free;
    token_check_fresh(r, tok, NULL, revoke_checked, v);
}

/* GET /api/v2/logout?app_id= (authing-js-sdk logout()) and GET /logout?appId=&deviceId=current
 * (logoutCurrent()): the Bearer token, when one is sent, is revoked; this browser's login
 * session at wxauthd ends, so the next /oidc/auth asks WeChat again. */
void
handle_logout_browser(http_req_t *r)
{
    const char *tok = token_from_bearer(r);
    revoke_t *v = calloc(1, sizeof(*v));
    if (!v) {
        http_reply_error(r, 503, 500, "cannot log out right now, please try again");
        return;
    }
    v->logout = true;
    v->browser = true;
    /* handle_cors (which runs first) allows an origin only when it is registered for the
     * application the request names (cors.c). */
    v->origin_ok = http_resp_header(r, "Access-Control-Allow-Origin") != NULL;
    v->endpoint = "logout";
    r->data = v;
    r->data_free = revoke_free;
    if (!tok) {
        revoke_reply(r, v, true, false);
        return;
    }
    token_check_fresh(r, tok, NULL, revoke_checked, v);
}
