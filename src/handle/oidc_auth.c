/* GET|POST /oidc/auth: the OpenID Connect authorization endpoint (OIDC Core §3.1.2, RFC 6749
 * §4.1, RFC 7636, RFC 9700), with WeChat as the way people sign in. The client and its
 * redirect_uri are checked first, exactly: until both are known good, every error is a page
 * here, never a redirect (an open redirector otherwise). After that, errors go back to the
 * client per RFC 6749 §4.1.2.1. A live login session of the pool answers at once; otherwise
 * the WeChat login starts (start.c) carrying the request, and its callback ends here too
 * (oidc_flow.c). */
#include "ctx.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "../http/reply.h"
#include "../proto/oidc.h"
#include "../proto/redirect.h"
#include "../util/clock.h"
#include "../util/log.h"
#include "desktop.h"
#include "form.h"
#include "oidc_flow.h"
#include "reads.h"

/* One authorization request across its reads: the parameters copied (the form they came
 * from is gone after auth_run), the client's row, then the session's use. Freed with r. */
typedef struct {
    http_req_t *r;
    char client_id[STORE_ID_MAX];
    char *redirect_uri, *mode, *state, *nonce, *scope, *rt, *cc, *ccm, *max_age_s, *prompt;
    bool has_request, has_request_uri;
    store_app_t app;
    oidc_request_t q;
    char request[STORE_OIDC_REQ_MAX];
    bool none, login;
    int64_t max_age;
} auth_t;

static void
auth_free(void *p)
{
    auth_t *a = p;
    char **strs[] = {&a->redirect_uri, &a->mode, &a->state, &a->nonce,     &a->scope,
                     &a->rt,           &a->cc,   &a->ccm,   &a->max_age_s, &a->prompt};
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
        free(*strs[i]);
    OPENSSL_cleanse(&a->app, sizeof(a->app));
    free(a);
}

/* A refused request before its client is trusted: a page, with what to fix for the client's
 * developer on it and in the log. */
static void
auth_page(http_req_t *r, int status, const char *outcome, wx_msg_id_t id, const char *detail)
{
    r->outcome = outcome;
    wx_log(WX_LOG_INFO, "oidc_auth_refused", "rid", r->id, "reason", detail, NULL);
    http_reply_page(r, status, id, &(http_page_t){.detail = detail});
}

/* prompt: "none" alone, or words among which "login" forces WeChat again. Others are ignored
 * (OIDC Core §3.1.2.1 lets a provider do so for values it does not offer). */
static bool
prompt_parse(const char *prompt, bool *none, bool *login)
{
    *none = prompt && oidc_scope_has(prompt, "none");
    *login = prompt && oidc_scope_has(prompt, "login");
    if (*none && strcspn(prompt, " ") != strlen(prompt))
        return false; /* "none" with anything else */
    return true;
}

static bool
max_age_parse(const char *s, int64_t *out)
{
    int64_t v = 0;
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 9)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

/* Inside WeChat's browser the login goes straight to WeChat's consent; a desktop browser gets
 * the QR page of the desktop login (start.c, desktop.c). Elsewhere (desktop login off, or
 * not a browser) there is no WeChat to ask: say so, in Chinese first. */
static bool
in_wechat(http_req_t *r)
{
    const char *ua = http_req_header(r, "User-Agent");
    return ua && strstr(ua, "MicroMessenger");
}

static void auth_app_read(wx_status_t rc, const wx_err_t *err, void *arg);
static void auth_session(http_req_t *r, const store_oidc_session_t *sess, bool failed, void *arg);

static wx_status_t
auth_app_run(store_t *st, void *arg, wx_err_t *err)
{
    auth_t *a = arg;
    return store_app_get(st, a->client_id, &a->app, err);
}

/* Copy what the request says (the form goes with this call), then read the client off the
 * loop (handle/reads.h). */
static void
auth_run(http_req_t *r, const wx_query_t *p)
{
    const char *client_id = wx_query_get(p, "client_id");
    auth_t *a = calloc(1, sizeof(*a));
    if (!a) {
        http_reply_page(r, 503, WX_MSG_PAGE_BUSY, NULL);
        return;
    }
    a->r = r;
    r->data = a;
    r->data_free = auth_free;
    /* 1. The client and its redirect_uri: errors are pages. */
    if (!client_id || !handle_valid_id(client_id) ||
        !wx_strlcpy(a->client_id, client_id, sizeof(a->client_id))) {
        auth_page(r, 400, "invalid_client", WX_MSG_PAGE_OIDC_BAD_CLIENT,
                  "client_id is missing or has characters an application id never has: the "
                  "request needs the application id as client_id.");
        return;
    }
    struct {
        const char *name;
        char **dst;
    } params[] = {{"redirect_uri", &a->redirect_uri},
                  {"response_mode", &a->mode},
                  {"state", &a->state},
                  {"nonce", &a->nonce},
                  {"scope", &a->scope},
                  {"response_type", &a->rt},
                  {"code_challenge", &a->cc},
                  {"code_challenge_method", &a->ccm},
                  {"max_age", &a->max_age_s},
                  {"prompt", &a->prompt}};
    for (size_t i = 0; i < sizeof(params) / sizeof(params[0]); i++) {
        const char *v = wx_query_get(p, params[i].name);
        if (v && !(*params[i].dst = strdup(v))) {
            http_reply_page(r, 503, WX_MSG_PAGE_BUSY, NULL);
            return;
        }
    }
    a->has_request = wx_query_get(p, "request") != NULL;
    a->has_request_uri = wx_query_get(p, "request_uri") != NULL;
    handle_read(r->worker, auth_app_run, auth_app_read, a);
}

/* The client is read: check it, its redirect_uri and the rest of the request. */
static void
auth_app_read(wx_status_t rc, const wx_err_t *err, void *arg)
{
    auth_t *a = arg;
    http_req_t *r = a->r;
    worker_ctx_t *ctx = handle_ctx(r);
    const char *redirect_uri = a->redirect_uri;
    if (rc == WX_ENOENT) {
        char detail[512];
        wx_snprintf(detail, sizeof(detail),
                    "No application has the client_id \"%s\": create it with `wxauth app create "
                    "%s --pool POOL --redirect URL`, or fix the client's configuration.",
                    a->client_id, a->client_id);
        auth_page(r, 400, "unknown_client", WX_MSG_PAGE_OIDC_BAD_CLIENT, detail);
        return;
    } else if (rc != WX_OK) {
        wx_log(WX_LOG_WARN, "oidc_client_read_failed", "rid", r->id, "error", err->msg, NULL);
        r->outcome = "store_unavailable";
        http_reply_page(r, 503, WX_MSG_PAGE_START_UNAVAILABLE, NULL);
        return;
    }
    OPENSSL_cleanse(a->app.secret, sizeof(a->app.secret));
    if (!redirect_uri || !*redirect_uri) {
        char detail[512];
        wx_snprintf(detail, sizeof(detail),
                    "redirect_uri is missing: the request needs one of the redirect URLs "
                    "registered for application %s (`wxauth app update %s --redirect URL`).",
                    a->app.id, a->app.id);
        auth_page(r, 400, "no_redirect_uri", WX_MSG_PAGE_OIDC_BAD_REDIRECT, detail);
        return;
    }
    if (!oidc_redirect_registered(a->app.redirect_urls, redirect_uri) ||
        redirect_validate_url(redirect_uri, NULL) != WX_OK) {
        wx_buf_t d;
        wx_buf_init(&d, 16384);
        wx_buf_printf(&d,
                      "Refused redirect_uri: %s. It must equal one of the redirect URLs "
                      "registered for application %s (\"%s\") exactly (no patterns); "
                      "registered: %s. Fix: `wxauth app update %s --redirect URL`.",
                      redirect_uri, a->app.id, a->app.name,
                      a->app.redirect_urls[0] ? a->app.redirect_urls : "(none)", a->app.id);
        auth_page(r, 400, "redirect_not_allowed", WX_MSG_PAGE_OIDC_BAD_REDIRECT, wx_buf_str(&d));
        wx_buf_free(&d);
        return;
    }
    /* 2. The rest of the request: errors go back to the client. */
    oidc_request_t *q = &a->q;
    const char *mode = a->mode, *state = a->state, *nonce = a->nonce, *scope = a->scope;
    const char *rt = a->rt, *cc = a->cc, *ccm = a->ccm, *max_age_s = a->max_age_s;
    a->max_age = -1;
    q->form_post = mode && strcmp(mode, "form_post") == 0;
    q->web_message = mode && strcmp(mode, "web_message") == 0;
    if (state && !wx_strlcpy(q->state, state, sizeof(q->state))) {
        q->state[0] = '\0';
        oidc_reply_error(r, ctx, redirect_uri, q, "invalid_request", "state is too long");
        return;
    }
    const char *error = NULL, *why = NULL;
    if (mode && *mode && strcmp(mode, "query") != 0 && !q->form_post && !q->web_message)
        error = "invalid_request", why = "response_mode must be query, form_post or web_message";
    else if (a->has_request)
        error = "request_not_supported", why = "request objects are not supported";
    else if (a->has_request_uri)
        error = "request_uri_not_supported", why = "request_uri is not supported";
    else if (!rt || strcmp(rt, "code") != 0)
        error = "unsupported_response_type", why = "only response_type=code is supported";
    else if (!scope || !oidc_scope_has(scope, "openid"))
        error = "invalid_scope", why = "scope must include openid";
    else if (!wx_strlcpy(q->scope, scope, sizeof(q->scope)))
        error = "invalid_scope", why = "scope is too long";
    else if (nonce && !wx_strlcpy(q->nonce, nonce, sizeof(q->nonce)))
        error = "invalid_request", why = "nonce is too long";
    else if (ccm && strcmp(ccm, "S256") != 0)
        error = "invalid_request", why = "code_challenge_method must be S256";
    else if (cc && !oidc_challenge_valid(cc))
        error = "invalid_request", why = "code_challenge must be 43 base64url characters";
    else if (ccm && !cc)
        error = "invalid_request", why = "code_challenge_method without code_challenge";
    else if (a->app.public_client && !cc)
        error = "invalid_request", why = "PKCE (code_challenge, S256) is required for this client";
    else if (!prompt_parse(a->prompt, &a->none, &a->login))
        error = "invalid_request", why = "prompt=none cannot be combined with other values";
    else if (max_age_s && !max_age_parse(max_age_s, &a->max_age))
        error = "invalid_request", why = "max_age must be a number of seconds";
    if (error) {
        oidc_reply_error(r, ctx, redirect_uri, q, error, why);
        return;
    }
    /* A plain challenge method is never taken: without a method the challenge is S256 too
     * (RFC 9700 §2.1.1: no downgrade). */
    if (cc)
        wx_strlcpy(q->code_challenge, cc, sizeof(q->code_challenge));
    /* 3. A live session answers at once, unless the client wants a fresh login (its use is
     * a write: the store writer's, oidc_flow.c). */
    if (!a->login && a->max_age != 0)
        oidc_session_use(r, ctx, a->app.pool_id, auth_session, a);
    else
        auth_session(r, NULL, false, a);
}

/* The session, if any, is known: a code at once, or the WeChat login. */
static void
auth_session(http_req_t *r, const store_oidc_session_t *sess, bool failed, void *arg)
{
    auth_t *a = arg;
    worker_ctx_t *ctx = handle_ctx(r);
    oidc_request_t *q = &a->q;
    const char *redirect_uri = a->redirect_uri;
    if (failed) {
        oidc_reply_error(r, ctx, redirect_uri, q, "temporarily_unavailable",
                         "the login session cannot be read right now; try again");
        return;
    }
    if (sess && (a->max_age < 0 || wx_now() - sess->auth_time <= a->max_age)) {
        oidc_reply_code(r, ctx, a->app.pool_id, a->app.id, redirect_uri, q, sess->user_id,
                        sess->auth_time, sess->id);
        return;
    }
    if (a->none) {
        oidc_reply_error(r, ctx, redirect_uri, q, "login_required",
                         "no login session: the user must sign in with WeChat");
        return;
    }
    if (!in_wechat(r) && !desktop_wanted(r)) {
        r->outcome = "not_in_wechat";
        http_reply_page(r, 200, WX_MSG_PAGE_OPEN_IN_WECHAT, NULL);
        return;
    }
    if (!oidc_request_format(q, a->request, sizeof(a->request))) {
        oidc_reply_error(r, ctx, redirect_uri, q, "invalid_request", "the request is too long");
        return;
    }
    /* The login start keeps its own copies and its own r->data: this request's goes now. */
    char pool[STORE_ID_MAX], app[STORE_ID_MAX];
    char *ru = a->redirect_uri, *req = strdup(a->request);
    wx_strlcpy(pool, a->app.pool_id, sizeof(pool));
    wx_strlcpy(app, a->app.id, sizeof(app));
    a->redirect_uri = NULL;
    r->data = NULL;
    r->data_free = NULL;
    auth_free(a);
    if (!req)
        http_reply_page(r, 503, WX_MSG_PAGE_BUSY, NULL);
    else
        handle_start_oidc(r, pool, app, ru, req);
    free(ru);
    free(req);
}

void
handle_oidc_auth(http_req_t *r)
{
    http_add_header(r, "Cache-Control", "no-store");
    /* A HEAD (link checkers, previews) must not touch the session or mint a code as the GET
     * would: refused without reading anything. */
    if (strcmp(r->method, "HEAD") == 0) {
        r->outcome = "head_refused";
        http_add_header(r, "Allow", "GET, POST");
        http_reply_page(r, 405, WX_MSG_PAGE_OPEN_IN_BROWSER,
                        &(http_page_t){.detail = "This sign-in address opens with GET or POST "
                                                 "only."});
        return;
    }
    if (strcmp(r->method, "POST") == 0) {
        wx_query_t form;
        wx_err_t err = {0};
        if (handle_form_parse(r, &form, &err) != WX_OK)
            auth_page(r, 400, "bad_form", WX_MSG_PAGE_INVALID_REQUEST, err.msg);
        else
            auth_run(r, &form);
        wx_query_free(&form);
        return;
    }
    auth_run(r, &r->query);
}
