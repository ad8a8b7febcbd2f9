/* GET /connect/oauth2/authorize: the emulated WeChat authorize page (spec §1). Checks run
 * in WeChat's order (UA, parameter order, appid, ban, redirect_uri and its domain,
 * response_type, scope, state); then the current WeChat user is taken from emu_person or
 * the wxemu_person cookie (or picked), and the page either redirects with a code at once
 * (snsapi_base, followers, snapshot users), asks for consent, or follows emu_action. */
#include "state.h"

#include <string.h>

#include "../http/reply.h"
#include "../util/log.h"
#include "ids.h"
#include "rules.h"

#define PERSON_COOKIE "wxemu_person"
#define PERSON_COOKIE_AGE (30L * 86400)
#define URL_MAX 16384

/* The request's URL (path, then its parameters) without the emulator's own parameters, to
 * link back to. */
wx_status_t
emu_self_url(const http_req_t *r, const char *path, wx_buf_t *u)
{
    wx_status_t rc = wx_buf_puts(u, path);
    if (rc == WX_OK)
        rc = wx_buf_puts(u, "?");
    bool first = true;
    for (size_t i = 0; rc == WX_OK && i < r->query.count; i++) {
        const wx_param_t *p = &r->query.params[i];
        if (strcmp(p->key, "emu_person") == 0 || strcmp(p->key, "emu_action") == 0)
            continue;
        if (!first)
            rc = wx_buf_puts(u, "&");
        first = false;
        if (rc == WX_OK)
            rc = wx_url_encode(u, p->key);
        if (rc == WX_OK)
            rc = wx_buf_puts(u, "=");
        if (rc == WX_OK)
            rc = wx_url_encode(u, p->value);
    }
    return rc;
}

/* Copy a URL for a Location header: bytes a header may not carry (controls, space,
 * non-ASCII) are percent-encoded, the rest is kept as the app sent it. */
static wx_status_t
location_copy(wx_buf_t *b, const char *url)
{
    static const char hex[] = "0123456789ABCDEF";
    wx_status_t rc = WX_OK;
    for (const unsigned char *p = (const unsigned char *)url; *p && rc == WX_OK; p++) {
        if (*p <= 0x20 || *p >= 0x7F) {
            char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            rc = wx_buf_append(b, e, 3);
        } else {
            rc = wx_buf_append(b, p, 1);
        }
    }
    return rc;
}

void
emu_redirect_back(http_req_t *r, emu_resp_t *out, const char *redirect_uri, const char *code,
                  const char *state)
{
    wx_buf_t u;
    wx_buf_init(&u, URL_MAX);
    wx_status_t rc = location_copy(&u, redirect_uri);
    if (rc == WX_OK && code)
        rc = wx_url_add_param(&u, "code", code);
    if (rc == WX_OK)
        rc = wx_url_add_param(&u, "state", state);
    if (rc != WX_OK) {
        wx_buf_free(&u);
        emu_page_error(r->worker->ctx, r, out, 10003, "redirect_uri is too long");
        return;
    }
    http_add_header(r, "Location", wx_buf_str(&u));
    wx_buf_free(&u);
    wx_buf_reset(&out->body);
    out->status = 302;
    out->ctype = "text/plain; charset=utf-8";
}

static bool
empty(const char *s)
{
    return !s || !s[0];
}

wx_status_t
emu_code_issue(emu_t *e, const emu_account_t *a, const emu_person_t *p, unsigned scope,
               char code[EMU_CODE_LEN + 1], wx_err_t *err)
{
    emu_grant_t g;
    char unionid[EMU_OPENID_LEN + 1];
    memset(&g, 0, sizeof(g));
    wx_status_t rc = emu_code_new(code);
    if (rc != WX_OK)
        return wx_err_set(err, rc, "cannot make a code");
    wx_strlcpy(g.key, code, sizeof(g.key));
    wx_strlcpy(g.appid, a->appid, sizeof(g.appid));
    wx_strlcpy(g.person, p->id, sizeof(g.person));
    g.scope = scope;
    g.snapshot = p->snapshot && !a->website; /* snapshot pages are inside WeChat */
    /* A website app's code lives 10 minutes (Open Platform docs), a service account's 5. */
    g.expires = emu_now(e) + (a->website ? EMU_CODE_TTL_WEBSITE : EMU_CODE_TTL);
    rc = emu_person_ids(e, a, p, g.openid, unionid);
    if (rc != WX_OK)
        return wx_err_set(err, rc, "cannot derive the openid");
    return emu_tab_add(&e->grants.codes, emu_now(e), &g, NULL, err);
}

void
emu_authorize(emu_t *e, http_req_t *r, emu_resp_t *out)
{
    const wx_query_t *q = &r->query;
    const char *ua = http_req_header(r, "User-Agent");
    char why[128], cookie[EMU_PERSON_ID_MAX + 1];
    wx_buf_t self;
    wx_err_t err = {0};
    const emu_person_t *p = NULL;

    wx_buf_init(&self, URL_MAX);
    if (e->cfg.ua_check && (!ua || !strstr(ua, "MicroMessenger"))) {
        emu_page_ua(e, r, out);
        goto out;
    }
    if (!emu_params_in_order(q, why, sizeof(why))) {
        emu_page_error(e, r, out, 10001, why);
        goto out;
    }
    const char *appid = wx_query_get(q, "appid");
    if (empty(appid)) {
        emu_page_error(e, r, out, 10012, NULL);
        goto out;
    }
    const emu_account_t *a = emu_model_account(&e->model, appid);
    if (!a) {
        emu_page_error(e, r, out, 40013, "no official account has this appid");
        goto out;
    }
    if (a->website) { /* a website app logs in on its QR page (qrconnect.c), not here */
        emu_page_error(e, r, out, 10016, "this appid is an Open Platform website app's");
        goto out;
    }
    if (a->banned) {
        emu_page_error(e, r, out, 10004, NULL);
        goto out;
    }
    const char *redirect_uri = wx_query_get(q, "redirect_uri");
    if (empty(redirect_uri)) {
        emu_page_error(e, r, out, 10011, NULL);
        goto out;
    }
    if (!emu_redirect_allowed(a, redirect_uri)) {
        emu_page_error(e, r, out, 10003,
                       "the host and port of redirect_uri must be one of "
                       "the account's webpage-authorization domains");
        goto out;
    }
    const char *rt = wx_query_get(q, "response_type");
    if (!rt || strcmp(rt, "code") != 0) {
        emu_page_error(e, r, out, 10002, "response_type must be code");
        goto out;
    }
    const char *scope_s = wx_query_get(q, "scope");
    if (empty(scope_s)) {
        emu_page_error(e, r, out, 10010, NULL);
        goto out;
    }
    unsigned scope = emu_scope_parse(scope_s);
    if (!scope || !(a->scopes & scope)) {
        emu_page_error(e, r, out, 10005, NULL);
        goto out;
    }
    const char *state = wx_query_get(q, "state");
    if (empty(state)) {
        emu_page_error(e, r, out, 10013, NULL);
        goto out;
    }
    if (!emu_state_valid(state)) {
        emu_page_error(e, r, out, 10014, "state must be 1-128 characters of a-z, A-Z, 0-9");
        goto out;
    }
    if (emu_self_url(r, "/connect/oauth2/authorize", &self) != WX_OK) {
        emu_page_error(e, r, out, -1, "authorize URL too long");
        goto out;
    }

    /* Who is the current WeChat user? emu_person= (empty) asks to switch. */
    const char *chosen = wx_query_get(q, "emu_person");
    if (chosen && chosen[0]) {
        p = emu_model_person(&e->model, chosen);
        if (!p) {
            emu_page_error(e, r, out, 10017, "emu_person names no configured person");
            goto out;
        }
        http_set_cookie(r, PERSON_COOKIE, p->id, PERSON_COOKIE_AGE, false);
    } else if (!chosen && http_req_cookie(r, PERSON_COOKIE, cookie, sizeof(cookie))) {
        p = emu_model_person(&e->model, cookie); /* a stale cookie just asks again */
    }
    if (!p) {
        emu_page_picker(e, r, out, wx_buf_str(&self));
        goto out;
    }

    const char *force = wx_query_get(q, "forcePopup");
    bool popup = force && strcmp(force, "true") == 0;
    bool silent = scope == EMU_SCOPE_BASE || p->snapshot || (p->follower && !popup);
    const char *action = wx_query_get(q, "emu_action");
    if (!silent) {
        if (action && strcmp(action, "deny") == 0) {
            out->outcome = "denied";
            emu_redirect_back(r, out, redirect_uri, NULL, state);
            goto out;
        }
        if (!action || strcmp(action, "allow") != 0) {
            emu_page_consent(e, r, out, wx_buf_str(&self), a, p, scope);
            goto out;
        }
    }
    char code[EMU_CODE_LEN + 1];
    if (emu_code_issue(e, a, p, scope, code, &err) != WX_OK) {
        wx_log(WX_LOG_ERROR, "code_failed", "error", err.msg, NULL);
        emu_page_error(e, r, out, -1, NULL);
        goto out;
    }
    out->outcome = silent ? "code_silent" : "code_allowed";
    emu_redirect_back(r, out, redirect_uri, code, state);
out:
    wx_buf_free(&self);
}
