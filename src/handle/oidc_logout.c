/* GET|POST /oidc/session/end: RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0).
 * The browser's login session at wxauthd ends (row and cookie), so the pool's applications no
 * longer sign it in without WeChat. The browser goes back only to a post_logout_redirect_uri
 * registered for the client exactly, the client known from a valid id_token_hint (its aud) or
 * client_id; anything else ends on a page here, never on an unchecked address. */
#include "ctx.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "../http/reply.h"
#include "../proto/oidc.h"
#include "../util/log.h"
#include "../util/url.h"
#include "form.h"
#include "oidc_flow.h"
#include "reads.h"
#include "token.h"

/* A logout's parameters, copied: the id_token_hint is checked as a continuation (token.h). */
typedef struct {
    char *client_id, *target, *state;
    http_req_t *r;
    char client[STORE_ID_MAX]; /* the client whose addresses are read */
    store_app_t app;
} logout_t;

static void
logout_free(void *p)
{
    logout_t *q = p;
    free(q->client_id);
    free(q->target);
    free(q->state);
    OPENSSL_cleanse(&q->app, sizeof(q->app));
    free(q);
}

/* A post_logout_redirect_uri not registered for the client (or no client named). */
static void
logout_refused(http_req_t *r, const char *target, const char *client)
{
    r->outcome = "logout_redirect_not_allowed";
    wx_log(WX_LOG_INFO, "logout_redirect_refused", "rid", r->id, "url", target, "client",
           client ? client : "", NULL);
    wx_buf_t d;
    wx_buf_init(&d, 8192);
    wx_buf_printf(&d,
                  "Refused post_logout_redirect_uri: %s. It must equal one registered "
                  "for the client (`wxauth app update %s --post-logout-redirect URL`), "
                  "and the client must be named by id_token_hint or client_id.",
                  target, client && handle_valid_id(client) ? client : "APP");
    http_reply_page(r, 400, WX_MSG_PAGE_LOGOUT_REFUSED, &(http_page_t){.detail = wx_buf_str(&d)});
    wx_buf_free(&d);
}

/* The session is ended: go back to the checked address, or say so here. */
static void
logout_ended(http_req_t *r, void *arg)
{
    logout_t *q = arg;
    const char *target = q->target, *state = q->state;
    if (target && *target) {
        wx_buf_t b;
        wx_buf_init(&b, 4096);
        if (wx_buf_puts(&b, target) == WX_OK &&
            (!state || !*state || wx_url_add_param(&b, "state", state) == WX_OK)) {
            r->outcome = "ok";
            http_reply_redirect(r, wx_buf_str(&b));
        } else {
            http_reply_page(r, 400, WX_MSG_PAGE_INVALID_REQUEST,
                            &(http_page_t){.detail = "state is too long."});
        }
        wx_buf_free(&b);
        return;
    }
    r->outcome = "ok";
    http_reply_page(r, 200, WX_MSG_PAGE_SIGNED_OUT, NULL);
}

static wx_status_t
logout_app_run(store_t *st, void *arg, wx_err_t *err)
{
    logout_t *q = arg;
    return store_app_get(st, q->client, &q->app, err);
}

/* The client's row (read off the loop, handle/reads.h): is the address registered for it? */
static void
logout_app_done(wx_status_t rc, const wx_err_t *err, void *arg)
{
    logout_t *q = arg;
    http_req_t *r = q->r;
    OPENSSL_cleanse(q->app.secret, sizeof(q->app.secret));
    if (rc != WX_OK && rc != WX_ENOENT) {
        wx_log(WX_LOG_WARN, "logout_client_unreadable", "rid", r->id, "client", q->client, "error",
               err->msg, NULL);
        http_reply_page(r, 503, WX_MSG_PAGE_BUSY, NULL);
        return;
    }
    if (rc != WX_OK || !oidc_redirect_registered(q->app.logout_urls, q->target)) {
        logout_refused(r, q->target, q->client);
        return;
    }
    oidc_session_end_async(r, handle_ctx(r), logout_ended, q);
}

/* The hint checked (aud: its audience, NULL without a hint): check the address, end the
 * session, then go back. */
static void
logout_finish(http_req_t *r, logout_t *q, const char *aud)
{
    const char *client_id = q->client_id, *target = q->target;
    if (client_id && aud && strcmp(client_id, aud) != 0) {
        r->outcome = "client_mismatch";
        http_reply_page(r, 400, WX_MSG_PAGE_LOGOUT_REFUSED,
                        &(http_page_t){.detail = "client_id differs from the id_token_hint's "
                                                 "audience."});
        return;
    }
    const char *client = aud ? aud : client_id;
    if (target && *target) {
        if (!client || !handle_valid_id(client) ||
            !wx_strlcpy(q->client, client, sizeof(q->client))) {
            logout_refused(r, target, client);
            return;
        }
        q->r = r;
        handle_read(r->worker, logout_app_run, logout_app_done, q);
        return;
    }
    oidc_session_end_async(r, handle_ctx(r), logout_ended, q);
}

static void
logout_hint_checked(http_req_t *r, token_result_t *res, void *arg)
{
    logout_t *q = arg;
    if (res->status != TOKEN_OK) {
        r->outcome = "bad_hint";
        http_reply_page(r, 400, WX_MSG_PAGE_LOGOUT_REFUSED,
                        &(http_page_t){.detail = "The id_token_hint is not a valid ID token of "
                                                 "this server (expired, revoked or forged)."});
        return;
    }
    logout_finish(r, q, json_string_value(json_object_get(res->payload, "aud")));
}

static char *
dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static void
logout_run(http_req_t *r, const wx_query_t *p)
{
    const char *hint = wx_query_get(p, "id_token_hint");
    logout_t *q = calloc(1, sizeof(*q));
    if (!q) {
        http_reply_page(r, 503, WX_MSG_PAGE_BUSY, NULL);
        return;
    }
    const char *client_id = wx_query_get(p, "client_id");
    const char *target = wx_query_get(p, "post_logout_redirect_uri");
    const char *state = wx_query_get(p, "state");
    q->client_id = dup_or_null(client_id);
    q->target = dup_or_null(target);
    q->state = dup_or_null(state);
    r->data = q; /* freed with the request, whenever the check answers */
    r->data_free = logout_free;
    /* A parameter lost to a failed copy would send the browser elsewhere than asked. */
    if ((client_id && !q->client_id) || (target && !q->target) || (state && !q->state)) {
        http_reply_page(r, 503, WX_MSG_PAGE_BUSY, NULL);
        return;
    }
    if (hint && *hint)
        token_check(r, hint, NULL, logout_hint_checked, q); /* copies the hint */
    else
        logout_finish(r, q, NULL);
}

void
handle_oidc_session_end(http_req_t *r)
{
    http_add_header(r, "Cache-Control", "no-store");
    if (strcmp(r->method, "POST") == 0) {
        wx_query_t form;
        wx_err_t err = {0};
        if (handle_form_parse(r, &form, &err) != WX_OK)
            http_reply_page(r, 400, WX_MSG_PAGE_INVALID_REQUEST, &(http_page_t){.detail = err.msg});
        else
            logout_run(r, &form);
        wx_query_free(&form);
        return;
    }
    logout_run(r, &r->query);
}
