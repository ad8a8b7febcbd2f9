/* The emulated account access-token APIs: GET /cgi-bin/token (client_credential; every call a
 * new token) and POST /cgi-bin/stable_token (JSON body; in normal mode the same token while it
 * is valid, force_refresh:true a new one). wxauthd uses stable_token to check that an App ID
 * and secret are accepted (`wxauth doctor`). Nothing in the emulator consumes these tokens;
 * they are kept in a bounded table so that repeated stable_token calls can give the same one
 * back, as WeChat does. Checks run in WeChat's order; errors are WeChat's codes. */
#include "state.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "../http/server.h"
#include "ids.h"

#define EMU_CLIENT_BODY_MAX 4096
#define EMU_STABLE_RENEW_S 300

static bool
empty(const char *s)
{
    return !s || !s[0];
}

/* The shared checks; returns the account or NULL after answering the error. */
static const emu_account_t *
check_client(emu_t *e, emu_resp_t *out, const char *grant_type, const char *appid,
             const char *secret)
{
    if (empty(appid)) {
        emu_resp_wxerr(e, out, 41002);
        return NULL;
    }
    emu_resp_set_appid(out, appid);
    if (!grant_type || strcmp(grant_type, "client_credential") != 0) {
        emu_resp_wxerr(e, out, 40002);
        return NULL;
    }
    if (empty(secret)) {
        emu_resp_wxerr(e, out, 41004);
        return NULL;
    }
    const emu_account_t *a = emu_model_account(&e->model, appid);
    if (!a) {
        emu_resp_wxerr(e, out, 40013);
        return NULL;
    }
    if (!wx_ct_equal(secret, strlen(secret), a->secret, strlen(a->secret))) {
        emu_resp_wxerr(e, out, 40125);
        return NULL;
    }
    return a;
}

static void
client_reply(emu_t *e, emu_resp_t *out, const emu_grant_t *g)
{
    json_t *o = json_object();
    json_object_set_new(o, "access_token", json_string(g->key));
    json_object_set_new(o, "expires_in", json_integer(g->expires - emu_now(e)));
    emu_resp_json(out, o);
}

static void
client_issue(emu_t *e, emu_resp_t *out, const char *appid, bool stable)
{
    wx_err_t err = {0};
    emu_grant_t t = {0}, *g = NULL;
    wx_strlcpy(t.appid, appid, sizeof(t.appid));
    t.stable = stable;
    t.expires = emu_now(e) + EMU_ACCESS_TTL;
    if (emu_token_new(t.key) != WX_OK ||
        emu_tab_add(&e->grants.client, emu_now(e), &t, &g, &err) != WX_OK) {
        out->outcome = "internal_error";
        emu_resp_wxerr(e, out, -1);
        return;
    }
    out->outcome = "issued";
    client_reply(e, out, g);
}

void
emu_cgi_token(emu_t *e, http_req_t *r, emu_resp_t *out)
{
    const wx_query_t *q = &r->query;
    const emu_account_t *a = check_client(e, out, wx_query_get(q, "grant_type"),
                                          wx_query_get(q, "appid"), wx_query_get(q, "secret"));
    if (a)
        client_issue(e, out, a->appid, false);
}

/* The newest stable token of appid with more than EMU_STABLE_RENEW_S left. Every client
 * token lives EMU_ACCESS_TTL, so the table is in issue order: walking back from the newest,
 * the first one past that ends the search. WeChat renews the stable token 5 minutes before it
 * expires: a call in its last 5 minutes gets a new one, the old one staying valid to its end. */
static emu_grant_t *
stable_current(const emu_t *e, const char *appid)
{
    int64_t now = emu_now(e);
    for (emu_grant_t *g = e->grants.client.tail; g && g->expires > now + EMU_STABLE_RENEW_S;
         g = g->prev)
        if (g->stable && strcmp(g->appid, appid) == 0)
            return g;
    return NULL;
}

void
emu_cgi_stable_token(emu_t *e, http_req_t *r, emu_resp_t *out)
{
    size_t len = 0;
    json_error_t je;
    char *body = http_req_body(r, &len);
    json_t *j = NULL;
    if (!body || len == 0) {
        emu_resp_wxerr(e, out, 44002);
        goto out;
    }
    j = len <= EMU_CLIENT_BODY_MAX ? json_loadb(body, len, 0, &je) : NULL;
    if (!json_is_object(j)) {
        emu_resp_wxerr(e, out, 47001);
        goto out;
    }
    json_t *fr = json_object_get(j, "force_refresh");
    if (fr && !json_is_boolean(fr)) {
        emu_resp_wxerr(e, out, 47001);
        goto out;
    }
    const emu_account_t *a =
        check_client(e, out, json_string_value(json_object_get(j, "grant_type")),
                     json_string_value(json_object_get(j, "appid")),
                     json_string_value(json_object_get(j, "secret")));
    if (!a)
        goto out;
    emu_grant_t *cur = json_is_true(fr) ? NULL : stable_current(e, a->appid);
    if (cur) {
        out->outcome = "same";
        client_reply(e, out, cur);
    } else {
        client_issue(e, out, a->appid, true);
    }
out:
    if (body) {
        OPENSSL_cleanse(body, len); /* holds the secret */
        free(body);
    }
    json_decref(j);
}
