/* GET /connect/qrconnect: an Open Platform website app's QR-code login page (spec §9,
 * docs/spec/wechat-oauth.md). Opened on a desktop: it shows the app's name and a QR code; a
 * phone scans it and confirms, and the desktop is sent to redirect_uri?code&state. Here the
 * scan is scripted like the authorize page's consent: emu_person=ID is who scanned (the page
 * then waits for the phone's answer), emu_action=confirm|deny is the answer. A refusal leaves
 * the desktop on the page, as WeChat does today (no redirect). The code obeys the rules of
 * sns/oauth2/access_token (once, 10 minutes, only for this appid and secret). */
#include "state.h"

#include <string.h>

#include "../util/log.h"
#include "ids.h"
#include "rules.h"

#define URL_MAX 16384

static bool
empty(const char *s)
{
    return !s || !s[0];
}

/* WeChat's QR page answers every bad link with the same "该链接无法访问" page and one line
 * naming the parameter; the code (the authorize page's) is shown for tests and developers. */
static const char *
qr_headline(int code)
{
    switch (code) {
    case 10012:
    case 40013:
        return "AppID 参数错误";
    case 10011:
    case 10003:
        return "redirect_uri 参数错误";
    case 10010:
    case 10005:
        return "Scope 参数错误或没有 Scope 权限";
    case 10002:
        return "response_type 参数错误";
    case 10014:
        return "state 参数错误";
    default:
        return NULL;
    }
}

static void
qr_error(emu_t *e, http_req_t *r, emu_resp_t *out, int code, const char *detail)
{
    emu_page_qr_error(e, r, out, code, qr_headline(code), detail);
}

void
emu_qrconnect(emu_t *e, http_req_t *r, emu_resp_t *out)
{
    const wx_query_t *q = &r->query;
    char why[128];
    wx_buf_t self, abs;
    wx_err_t err = {0};

    wx_buf_init(&self, URL_MAX);
    wx_buf_init(&abs, URL_MAX);
    if (!emu_params_in_order(q, why, sizeof(why))) {
        qr_error(e, r, out, 10001, why);
        goto out;
    }
    const char *appid = wx_query_get(q, "appid");
    if (empty(appid)) {
        qr_error(e, r, out, 10012, NULL);
        goto out;
    }
    const emu_account_t *a = emu_model_account(&e->model, appid);
    if (!a) {
        qr_error(e, r, out, 40013, "no website app has this appid");
        goto out;
    }
    if (a->banned) {
        qr_error(e, r, out, 10004, NULL);
        goto out;
    }
    const char *redirect_uri = wx_query_get(q, "redirect_uri");
    if (empty(redirect_uri)) {
        qr_error(e, r, out, 10011, NULL);
        goto out;
    }
    /* A service account's appid has no snsapi_login: WeChat names the scope, not the appid. */
    const char *scope_s = wx_query_get(q, "scope");
    unsigned scope = empty(scope_s) ? 0 : emu_scope_parse(scope_s);
    if (a->website && !emu_redirect_allowed(a, redirect_uri)) {
        qr_error(e, r, out, 10003,
                 "the host and port of redirect_uri must be the website app's "
                 "authorization callback domain (授权回调域)");
        goto out;
    }
    const char *rt = wx_query_get(q, "response_type");
    if (!rt || strcmp(rt, "code") != 0) {
        qr_error(e, r, out, 10002, "response_type must be code");
        goto out;
    }
    if (empty(scope_s)) {
        qr_error(e, r, out, 10010, NULL);
        goto out;
    }
    if (scope != EMU_SCOPE_LOGIN || !(a->scopes & EMU_SCOPE_LOGIN)) {
        qr_error(e, r, out, 10005,
                 a->website ? "a website app's scope is snsapi_login"
                            : "this appid is a service account's: the QR-code login needs an Open "
                              "Platform website app's appid and scope snsapi_login");
        goto out;
    }
    /* state is optional here (WeChat's docs); when given it must be plain. */
    const char *state = wx_query_get(q, "state");
    if (!empty(state) && !emu_state_valid(state)) {
        qr_error(e, r, out, 10014, "state must be 1-128 characters of a-z, A-Z, 0-9");
        goto out;
    }
    if (emu_self_url(r, "/connect/qrconnect", &self) != WX_OK ||
        wx_buf_printf(&abs, "%s%s", e->cfg.public_url, wx_buf_str(&self)) != WX_OK) {
        qr_error(e, r, out, -1, "qrconnect URL too long");
        goto out;
    }

    /* The scan: who scanned (emu_person), then the phone's answer (emu_action). */
    const char *who = wx_query_get(q, "emu_person");
    const char *action = wx_query_get(q, "emu_action");
    const emu_person_t *p = NULL;
    if (!empty(who) && !(p = emu_model_person(&e->model, who))) {
        qr_error(e, r, out, 10017, "emu_person names no configured person");
        goto out;
    }
    if (!p || empty(action)) {
        out->outcome = p ? "scanned" : "qr_page";
        emu_page_qr(e, r, out, wx_buf_str(&self), wx_buf_str(&abs), a, p);
        goto out;
    }
    if (strcmp(action, "deny") == 0) {
        out->outcome = "denied";
        emu_page_qr_cancelled(e, r, out, wx_buf_str(&self), a);
        goto out;
    }
    if (strcmp(action, "confirm") != 0 && strcmp(action, "allow") != 0) {
        qr_error(e, r, out, 10018, "emu_action must be confirm (or allow) or deny");
        goto out;
    }
    char code[EMU_CODE_LEN + 1];
    if (emu_code_issue(e, a, p, EMU_SCOPE_LOGIN, code, &err) != WX_OK) {
        wx_log(WX_LOG_ERROR, "code_failed", "error", err.msg, NULL);
        qr_error(e, r, out, -1, NULL);
        goto out;
    }
    out->outcome = "code_confirmed";
    emu_redirect_back(r, out, redirect_uri, code, state ? state : "");
out:
    wx_buf_free(&self);
    wx_buf_free(&abs);
}
