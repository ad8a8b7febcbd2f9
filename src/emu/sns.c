/* The emulated WeChat APIs (spec §2-§6): code exchange, refresh, userinfo, auth. Checks run
 * in the order real WeChat applies them; lifetimes are on the emulated clock; the JSON keys
 * come in WeChat's order. */
#include "state.h"

#include <string.h>

#include "../util/log.h"
#include "ids.h"
#include "rules.h"

static bool
empty(const char *s)
{
    return !s || !s[0];
}

/* The token reply of access_token and refresh_token. */
static void
token_reply(const emu_t *e, emu_resp_t *out, const emu_grant_t *access, const emu_grant_t *refresh,
            bool with_unionid)
{
    json_t *o = json_object();
    json_object_set_new(o, "access_token", json_string(access->key));
    json_object_set_new(o, "expires_in", json_integer(EMU_ACCESS_TTL));
    json_object_set_new(o, "refresh_token", json_string(refresh->key));
    json_object_set_new(o, "openid", json_string(access->openid));
    json_object_set_new(o, "scope", json_string(emu_scope_name(access->scope)));
    if (access->snapshot)
        json_object_set_new(o, "is_snapshotuser", json_integer(1));
    if (with_unionid && access->scope != EMU_SCOPE_BASE && !access->snapshot) {
        const emu_account_t *a = emu_model_account(&e->model, access->appid);
        char unionid[EMU_OPENID_LEN + 1];
        if (a && a->open_platform[0] &&
            emu_id_derive(e->cfg.id_seed, "unionid", a->open_platform, access->person, unionid) ==
                WX_OK)
            json_object_set_new(o, "unionid", json_string(unionid));
    }
    emu_resp_json(out, o);
}

static void
internal_error(const emu_t *e, emu_resp_t *out, const wx_err_t *err)
{
    wx_log(WX_LOG_ERROR, "emu_internal_error", "error", err->msg, NULL);
    out->outcome = "internal_error";
    emu_resp_wxerr(e, out, -1);
}

/* A new access token for the subject of g, expiring EMU_ACCESS_TTL from now. */
static wx_status_t
new_access(emu_t *e, const emu_grant_t *g, emu_grant_t **out, wx_err_t *err)
{
    emu_grant_t t = *g;
    t.used = false;
    t.access[0] = '\0';
    t.expires = emu_now(e) + EMU_ACCESS_TTL;
    if (emu_token_new(t.key) != WX_OK)
        return wx_err_set(err, WX_ECRYPTO, "cannot make a token");
    return emu_tab_add(&e->grants.access, emu_now(e), &t, out, err);
}

void
emu_sns_access_token(emu_t *e, http_req_t *r, emu_resp_t *out)
{
    const wx_query_t *q = &r->query;
    const char *appid = wx_query_get(q, "appid");
    const char *secret = wx_query_get(q, "secret");
    const char *code = wx_query_get(q, "code");
    const char *gt = wx_query_get(q, "grant_type");
    int64_t now = emu_now(e);
    wx_err_t err = {0};

    if (empty(appid)) {
        emu_resp_wxerr(e, out, 41002);
        return;
    }
    if (empty(secret)) {
        emu_resp_wxerr(e, out, 41004);
        return;
    }
    if (empty(code)) {
        emu_resp_wxerr(e, out, 41008);
        return;
    }
    if (!gt || strcmp(gt, "authorization_code") != 0) {
        emu_resp_wxerr(e, out, 40002);
        return;
    }
    const emu_account_t *a = emu_model_account(&e->model, appid);
    if (!a) {
        emu_resp_wxerr(e, out, 40013);
        return;
    }
    if (!wx_ct_equal(secret, strlen(secret), a->secret, strlen(a->secret))) {
        emu_resp_wxerr(e, out, 40125);
        return;
    }
    emu_grant_t *c = emu_tab_find(&e->grants.codes, code);
    if (!c || strcmp(c->appid, appid) != 0 || c->expires <= now) {
        emu_resp_wxerr(e, out, 40029);
        return;
    }
    if (c->used) {
        emu_resp_wxerr(e, out, 40163);
        return;
    }
    c->used = true;

    emu_grant_t *access = NULL, *refresh = NULL;
    emu_grant_t rt = *c;
    rt.used = false;
    if (new_access(e, c, &access, &err) != WX_OK) {
        internal_error(e, out, &err);
        return;
    }
    wx_strlcpy(rt.access, access->key, sizeof(rt.access));
    rt.expires = now + EMU_REFRESH_TTL;
    if (emu_token_new(rt.key) != WX_OK ||
        emu_tab_add(&e->grants.refresh, now, &rt, &refresh, &err) != WX_OK) {
        internal_error(e, out, &err);
        return;
    }
    out->outcome = "exchanged";
    token_reply(e, out, access, refresh, true);
}

void
emu_sns_refresh_token(emu_t *e, http_req_t *r, emu_resp_t *out)
{
    const wx_query_t *q = &r->query;
    const char *appid = wx_query_get(q, "appid");
    const char *token = wx_query_get(q, "refresh_token");
    const char *gt = wx_query_get(q, "grant_type");
    int64_t now = emu_now(e);
    wx_err_t err = {0};

    if (empty(appid)) {
        emu_resp_wxerr(e, out, 41002);
        return;
    }
    if (empty(token)) {
        emu_resp_wxerr(e, out, 41003);
        return;
    }
    if (!gt || strcmp(gt, "refresh_token") != 0) {
        emu_resp_wxerr(e, out, 40002);
        return;
    }
    if (!emu_model_account(&e->model, appid)) {
        emu_resp_wxerr(e, out, 40013);
        return;
    }
    emu_grant_t *rt = emu_tab_find(&e->grants.refresh, token);
    if (!rt || strcmp(rt->appid, appid) != 0) {
        emu_resp_wxerr(e, out, 40030);
        return;
    }
    if (rt->expires <= now) /* 30 days from the first issue, never extended */
    {
        emu_resp_wxerr(e, out, 42002);
        return;
    }

    /* Still valid: the same access token, good for another 2 hours. Else a new one. */
    emu_grant_t *access = emu_tab_find(&e->grants.access, rt->access);
    if (access && access->expires > now) {
        access->expires = now + EMU_ACCESS_TTL;
        emu_tab_touch(&e->grants.access, access);
    } else {
        if (new_access(e, rt, &access, &err) != WX_OK) {
            internal_error(e, out, &err);
            return;
        }
        /* emu_tab_add may have evicted entries, but never from the refresh table */
        wx_strlcpy(rt->access, access->key, sizeof(rt->access));
    }
    out->outcome = "refreshed";
    token_reply(e, out, access, rt, false);
}

/* Shared checks of userinfo and auth: the token exists, is live, and matches openid. */
static emu_grant_t *
check_access(emu_t *e, http_req_t *r, emu_resp_t *out)
{
    const char *token = wx_query_get(&r->query, "access_token");
    const char *openid = wx_query_get(&r->query, "openid");
    if (empty(token)) {
        emu_resp_wxerr(e, out, 41001);
        return NULL;
    }
    if (empty(openid)) {
        emu_resp_wxerr(e, out, 41009);
        return NULL;
    }
    emu_grant_t *g = emu_tab_find(&e->grants.access, token);
    if (!g) {
        emu_resp_wxerr(e, out, 40001);
        return NULL;
    }
    emu_resp_set_appid(out, g->appid);
    if (g->expires <= emu_now(e)) {
        emu_resp_wxerr(e, out, 42001);
        return NULL;
    }
    if (strcmp(g->openid, openid) != 0) {
        emu_resp_wxerr(e, out, 40003);
        return NULL;
    }
    return g;
}

void
emu_sns_userinfo(emu_t *e, http_req_t *r, emu_resp_t *out)
{
    emu_grant_t *g = check_access(e, r, out);
    if (!g)
        return;
    if (g->scope == EMU_SCOPE_BASE || g->snapshot) {
        emu_resp_wxerr(e, out, 48001);
        return;
    }
    const emu_person_t *p = emu_model_person(&e->model, g->person);
    const emu_account_t *a = emu_model_account(&e->model, g->appid);
    if (!p || !a) {
        emu_resp_wxerr(e, out, 40003);
        return;
    }
    const char *lang = wx_query_get(&r->query, "lang");
    if (!lang || (strcmp(lang, "zh_TW") != 0 && strcmp(lang, "en") != 0))
        lang = "zh_CN";
    bool legacy = e->cfg.legacy_profile; /* before 2021-10-20: real sex and location */

    json_t *o = json_object();
    json_object_set_new(o, "openid", json_string(g->openid));
    json_object_set_new(o, "nickname", json_string(p->nickname));
    json_object_set_new(o, "sex", json_integer(legacy ? p->sex : 0));
    json_object_set_new(o, "language", json_string(legacy ? lang : ""));
    json_object_set_new(o, "city", json_string(legacy ? p->city : ""));
    json_object_set_new(o, "province", json_string(legacy ? p->province : ""));
    json_object_set_new(o, "country", json_string(legacy ? p->country : ""));
    char avatar[EMU_AVATAR_MAX + 200];
    emu_avatar_url(e, p, avatar, sizeof(avatar));
    json_object_set_new(o, "headimgurl", json_string(avatar));
    json_object_set_new(o, "privilege", json_array());
    char unionid[EMU_OPENID_LEN + 1];
    if (a->open_platform[0] &&
        emu_id_derive(e->cfg.id_seed, "unionid", a->open_platform, p->id, unionid) == WX_OK)
        json_object_set_new(o, "unionid", json_string(unionid));
    out->outcome = "userinfo";
    emu_resp_json(out, o);
}

void
emu_sns_auth(emu_t *e, http_req_t *r, emu_resp_t *out)
{
    if (!check_access(e, r, out))
        return;
    out->outcome = "valid";
    emu_resp_json(out, json_pack("{s:i,s:s}", "errcode", 0, "errmsg", "ok"));
}

void
emu_sns_unknown(emu_t *e, http_req_t *r, emu_resp_t *out)
{
    emu_resp_wxerr(e, out, 40066);
}
