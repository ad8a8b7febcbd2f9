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

typedef struct {
    store_app_t app;
    oidc_request_t q;
    char request[STORE_OIDC_REQ_MAX];
} auth_t;

static void
auth_page(http_req_t *r, int status, const char *outcome, const char *title, const char *msg)
{
    r->outcome = outcome;
    wx_log(WX_LOG_INFO, "oidc_auth_refused", "rid", r->id, "reason", msg, NULL);
    http_reply_error_page(r, status, title, msg);
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

static void
auth_run(http_req_t *r, const wx_query_t *p)
{
    worker_ctx_t *ctx = handle_ctx(r);
    wx_err_t err = {0};
    wx_status_t rc;
    auth_t *a = calloc(1, sizeof(*a));
    if (!a) {
        http_reply_error_page(r, 503, "服务繁忙 · Server busy", "请稍后重试。Please try again.");
        return;
    }
    const char *client_id = wx_query_get(p, "client_id");
    const char *redirect_uri = wx_query_get(p, "redirect_uri");
    /* 1. The client and its redirect_uri: errors are pages. */
    if (!client_id || !handle_valid_id(client_id)) {
        auth_page(r, 400, "invalid_client", "缺少 client_id · client_id is missing or invalid",
                  "请求缺少有效的 client_id（应用 ID）。The request needs the application id as "
                  "client_id.");
        goto out;
    }
    rc = store_app_get(ctx->store, client_id, &a->app, &err);
    if (rc == WX_ENOENT) {
        auth_page(r, 400, "unknown_client", "未知的应用 · Unknown client_id",
                  "没有 ID 为此 client_id 的应用。No application has this client_id: create it "
                  "with wxauth app create, or check the client's configuration.");
        goto out;
    } else if (rc != WX_OK) {
        auth_page(r, 503, "store_unavailable", "暂时无法登录 · Login could not start",
                  "服务暂时不可用，请稍后重试。The service is temporarily unavailable; please "
                  "try again in a moment.");
        goto out;
    }
    OPENSSL_cleanse(a->app.secret, sizeof(a->app.secret));
    if (!redirect_uri || !*redirect_uri) {
        auth_page(r, 400, "no_redirect_uri", "缺少 redirect_uri · redirect_uri is missing",
                  "请求缺少 redirect_uri。The request needs the redirect_uri registered for this "
                  "application (wxauth app update ID --redirect URL).");
        goto out;
    }
    if (!oidc_redirect_registered(a->app.redirect_urls, redirect_uri) ||
        redirect_validate_url(redirect_uri, NULL) != WX_OK) {
        auth_page(r, 400, "redirect_not_allowed",
                  "redirect_uri 未注册 · This redirect_uri is not registered",
                  "此 redirect_uri 与应用注册的地址不完全一致，无法返回应用。The redirect_uri "
                  "must equal one of the application's registered redirect URLs exactly (no "
                  "patterns): add it with wxauth app update ID --redirect URL.");
        goto out;
    }
    /* 2. The rest of the request: errors go back to the client. */
    oidc_request_t *q = &a->q;
    const char *mode = wx_query_get(p, "response_mode");
    const char *state = wx_query_get(p, "state");
    const char *nonce = wx_query_get(p, "nonce");
    const char *scope = wx_query_get(p, "scope");
    const char *rt = wx_query_get(p, "response_type");
    const char *cc = wx_query_get(p, "code_challenge");
    const char *ccm = wx_query_get(p, "code_challenge_method");
    const char *max_age_s = wx_query_get(p, "max_age");
    bool none = false, login = false;
    int64_t max_age = -1;
    q->form_post = mode && strcmp(mode, "form_post") == 0;
    if (state && !wx_strlcpy(q->state, state, sizeof(q->state))) {
        q->state[0] = '\0';
        oidc_reply_error(r, ctx, redirect_uri, q, "invalid_request", "state is too long");
        goto out;
    }
    const char *error = NULL, *why = NULL;
    if (mode && *mode && strcmp(mode, "query") != 0 && strcmp(mode, "form_post") != 0)
        error = "invalid_request", why = "response_mode must be query or form_post";
    else if (wx_query_get(p, "request"))
        error = "request_not_supported", why = "request objects are not supported";
    else if (wx_query_get(p, "request_uri"))
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
    else if (!prompt_parse(wx_query_get(p, "prompt"), &none, &login))
        error = "invalid_request", why = "prompt=none cannot be combined with other values";
    else if (max_age_s && !max_age_parse(max_age_s, &max_age))
        error = "invalid_request", why = "max_age must be a number of seconds";
    if (error) {
        oidc_reply_error(r, ctx, redirect_uri, q, error, why);
        goto out;
    }
    /* A plain challenge method is never taken: without a method the challenge is S256 too
     * (RFC 9700 §2.1.1: no downgrade). */
    if (cc)
        wx_strlcpy(q->code_challenge, cc, sizeof(q->code_challenge));
    /* 3. A live session answers at once, unless the client wants a fresh login. */
    store_oidc_session_t sess;
    if (!login && max_age != 0 && oidc_session_current(r, ctx, a->app.pool_id, &sess) &&
        (max_age < 0 || wx_now() - sess.auth_time <= max_age)) {
        oidc_reply_code(r, ctx, a->app.pool_id, a->app.id, redirect_uri, q, sess.user_id,
                        sess.auth_time, sess.id);
        goto out;
    }
    if (none) {
        oidc_reply_error(r, ctx, redirect_uri, q, "login_required",
                         "no login session: the user must sign in with WeChat");
        goto out;
    }
    if (!in_wechat(r) && !desktop_wanted(r)) {
        r->outcome = "not_in_wechat";
        http_reply_error_page(r, 200, "请在微信中打开 · Please open this page in WeChat",
                              "此应用使用微信登录：请在微信中打开此链接（例如发送给自己或文件传输"
                              "助手后点击）。This application signs you in with WeChat: open "
                              "this link inside WeChat (send it to yourself or to File "
                              "Transfer, then tap it).");
        goto out;
    }
    if (!oidc_request_format(q, a->request, sizeof(a->request))) {
        oidc_reply_error(r, ctx, redirect_uri, q, "invalid_request", "the request is too long");
        goto out;
    }
    handle_start_oidc(r, a->app.pool_id, a->app.id, redirect_uri, a->request);
out:
    free(a);
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
        http_reply_error_page(r, 405, "请用浏览器打开 · Open in a browser",
                              "此登录地址只能用 GET 或 POST 打开。This sign-in address opens "
                              "with GET or POST only.");
        return;
    }
    if (strcmp(r->method, "POST") == 0) {
        wx_query_t form;
        wx_err_t err = {0};
        if (handle_form_parse(r, &form, &err) != WX_OK)
            auth_page(r, 400, "bad_form", "请求无效 · Invalid request", err.msg);
        else
            auth_run(r, &form);
        wx_query_free(&form);
        return;
    }
    auth_run(r, &r->query);
}
