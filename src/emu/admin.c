/* The emulator's admin API under /emu/admin/ (JSON in and out): faults, the emulated clock,
 * accounts and people, and the log of calls. Guarded by a Bearer token when admin_token is
 * set; meant for loopback use by tests, the CLI and the demo. Secrets are never returned. */
#include "state.h"

#include <stdlib.h>
#include <string.h>

#include "../http/reply.h"
#include "../util/log.h"
#include "ids.h"

#define ADMIN_PREFIX "/emu/admin/"
#define FIELD_MAX 4096
#define CLOCK_ADVANCE_MAX (10LL * 366 * 86400)

static bool
authorized(const emu_t *e, http_req_t *r)
{
    const char *tok = e->cfg.admin_token;
    if (!tok[0])
        return true;
    const char *h = http_req_header(r, "Authorization");
    if (!h || strncmp(h, "Bearer ", 7) != 0)
        return false;
    return wx_ct_equal(h + 7, strlen(h + 7), tok, strlen(tok));
}

/* The request body as a JSON object, or NULL after replying 400. */
static json_t *
body_object(http_req_t *r)
{
    size_t len = 0;
    json_error_t jerr;
    char *body = http_req_body(r, &len);
    json_t *j = body ? json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr) : NULL;
    free(body);
    if (!json_is_object(j)) {
        json_decref(j);
        http_reply_error(r, 400, 400, "body must be a JSON object");
        return NULL;
    }
    return j;
}

/* A JSON value as the text the config file would hold: strings as they are, booleans as
 * yes/no, integers in decimal, arrays of strings joined with commas, null as "". */
static bool
field_text(const json_t *v, char *out, size_t n)
{
    out[0] = '\0';
    if (json_is_string(v))
        return wx_strlcpy(out, json_string_value(v), n);
    if (json_is_boolean(v))
        return wx_strlcpy(out, json_is_true(v) ? "yes" : "no", n);
    if (json_is_integer(v))
        return wx_snprintf(out, n, "%lld", (long long)json_integer_value(v));
    if (json_is_null(v))
        return true;
    if (json_is_array(v)) {
        size_t i, len = 0;
        const json_t *x;
        json_array_foreach(v, i, x)
        {
            const char *s = json_string_value(x);
            if (!s || !wx_snprintf(out + len, n - len, "%s%s", i ? "," : "", s))
                return false;
            len += strlen(out + len);
        }
        return true;
    }
    return false;
}

static json_t *
account_json(const emu_account_t *a)
{
    json_t *domains = json_array(), *scopes = json_array();
    for (size_t i = 0; i < a->ndomains; i++)
        json_array_append_new(domains, json_string(a->domains[i]));
    if (a->scopes & EMU_SCOPE_BASE)
        json_array_append_new(scopes, json_string("snsapi_base"));
    if (a->scopes & EMU_SCOPE_USERINFO)
        json_array_append_new(scopes, json_string("snsapi_userinfo"));
    if (a->scopes & EMU_SCOPE_LOGIN)
        json_array_append_new(scopes, json_string("snsapi_login"));
    static const char *const modes[] = {"plain", "compat", "safe"};
    char gh[EMU_ORIGINAL_ID_MAX + 1];
    emu_original_id(a, gh);
    /* The push token and key are secrets of the account: said set or not, never shown. */
    return json_pack("{s:s,s:s,s:o*,s:o*,s:s,s:b,s:s,s:s,s:s,s:b,s:b,s:s}", "appid", a->appid,
                     "name", a->name, "domain", domains, "scopes", scopes, "open_platform",
                     a->open_platform, "banned", a->banned, "type", a->website ? "website" : "mp",
                     "push_url", a->push_url, "push_mode", modes[a->push_mode], "push_token_set",
                     a->push_token[0] != '\0', "push_aes_key_set", a->push_aes_key[0] != '\0',
                     "original_id", gh);
}

static json_t *
person_json(const emu_t *e, const emu_person_t *p, const emu_account_t *a)
{
    char avatar[EMU_AVATAR_MAX + 200];
    emu_avatar_url(e, p, avatar, sizeof(avatar));
    json_t *o =
        json_pack("{s:s,s:s,s:s,s:b,s:b,s:i,s:s,s:s,s:s}", "id", p->id, "nickname", p->nickname,
                  "avatar", avatar, "follower", p->follower, "snapshot", p->snapshot, "sex", p->sex,
                  "country", p->country, "province", p->province, "city", p->city);
    char openid[EMU_OPENID_LEN + 1], unionid[EMU_OPENID_LEN + 1];
    if (o && a && emu_person_ids(e, a, p, openid, unionid) == WX_OK) {
        json_object_set_new(o, "openid", json_string(openid));
        if (unionid[0])
            json_object_set_new(o, "unionid", json_string(unionid));
    }
    return o;
}

static void
faults_get(emu_t *e, http_req_t *r)
{
    http_reply_json(r, 200, emu_faults_to_json(&e->faults));
}

static void
faults_post(emu_t *e, http_req_t *r)
{
    wx_err_t err = {0};
    emu_fault_t f;
    int idx;
    json_t *j = body_object(r);
    if (!j)
        return;
    if (emu_fault_parse(j, &idx, &f, &err) != WX_OK) {
        json_decref(j);
        http_reply_error(r, 400, 400, err.msg);
        return;
    }
    json_decref(j);
    e->faults.f[idx] = f;
    wx_log(WX_LOG_INFO, "fault_set", "endpoint",
           idx == EMU_FAULT_STAR ? "*" : emu_endpoint_name((emu_endpoint_t)idx), NULL);
    http_reply_json(r, 200, json_pack("{s:b,s:o*}", "ok", 1, "fault", emu_fault_to_json(idx, &f)));
}

static void
faults_delete(emu_t *e, http_req_t *r)
{
    const char *which = wx_query_get(&r->query, "endpoint");
    emu_endpoint_t ep;
    if (!which) {
        memset(&e->faults, 0, sizeof(e->faults));
    } else if (strcmp(which, "*") == 0) {
        memset(&e->faults.f[EMU_FAULT_STAR], 0, sizeof(e->faults.f[0]));
    } else if (emu_endpoint_parse(which, &ep)) {
        memset(&e->faults.f[ep], 0, sizeof(e->faults.f[0]));
    } else {
        http_reply_error(r, 400, 400, "unknown endpoint");
        return;
    }
    wx_log(WX_LOG_INFO, "faults_cleared", "endpoint", which ? which : "all", NULL);
    http_reply_json(r, 200, json_pack("{s:b}", "ok", 1));
}

static void
clock_reply(emu_t *e, http_req_t *r)
{
    http_reply_json(r, 200,
                    json_pack("{s:I,s:I}", "now", (json_int_t)emu_now(e), "offset",
                              (json_int_t)e->clock_offset));
}

static void
clock_get(emu_t *e, http_req_t *r)
{
    clock_reply(e, r);
}

/* {"advance": seconds} moves the emulated clock forward; {"reset": true} back to the wall
 * clock (for test isolation). */
static void
clock_post(emu_t *e, http_req_t *r)
{
    json_t *j = body_object(r);
    if (!j)
        return;
    json_t *adv = json_object_get(j, "advance"), *reset = json_object_get(j, "reset");
    if (json_is_true(reset)) {
        e->clock_offset = 0;
    } else if (json_is_integer(adv) && json_integer_value(adv) >= 0 &&
               json_integer_value(adv) <= CLOCK_ADVANCE_MAX) {
        e->clock_offset += (int64_t)json_integer_value(adv);
    } else {
        json_decref(j);
        http_reply_error(r, 400, 400, "want {\"advance\": seconds >= 0} or {\"reset\": true}");
        return;
    }
    json_decref(j);
    char off[32];
    wx_snprintf(off, sizeof(off), "%lld", (long long)e->clock_offset);
    wx_log(WX_LOG_INFO, "clock_set", "offset", off, NULL);
    clock_reply(e, r);
}

static void
accounts_get(emu_t *e, http_req_t *r)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < e->model.naccounts; i++)
        json_array_append_new(arr, account_json(&e->model.accounts[i]));
    http_reply_json(r, 200, json_pack("{s:o*}", "accounts", arr));
}

/* Apply every member of j except idkey through set(); stops at the first bad one. */
static wx_status_t
apply_fields(json_t *j, const char *idkey,
             wx_status_t (*set)(void *obj, const char *k, const char *v, wx_err_t *err), void *obj,
             wx_err_t *err)
{
    const char *key;
    json_t *v;
    char text[FIELD_MAX];
    json_object_foreach(j, key, v)
    {
        if (strcmp(key, idkey) == 0)
            continue;
        if (!field_text(v, text, sizeof(text)))
            return wx_err_set(err, WX_EINVAL, "%.40s: unsupported value", key);
        wx_status_t rc = set(obj, key, text, err);
        if (rc != WX_OK)
            return rc;
    }
    return WX_OK;
}

static wx_status_t
account_set_any(void *obj, const char *k, const char *v, wx_err_t *err)
{
    return emu_account_set(obj, k, v, err);
}

static wx_status_t
person_set_any(void *obj, const char *k, const char *v, wx_err_t *err)
{
    return emu_person_set(obj, k, v, err);
}

static void
accounts_post(emu_t *e, http_req_t *r)
{
    wx_err_t err = {0};
    emu_account_t a;
    json_t *j = body_object(r);
    if (!j)
        return;
    const char *appid = json_string_value(json_object_get(j, "appid"));
    const emu_account_t *old = appid ? emu_model_account(&e->model, appid) : NULL;
    wx_status_t rc = WX_OK;
    if (old)
        a = *old; /* fields not given keep their value */
    else
        rc = emu_account_init(&a, appid ? appid : "", &err);
    if (rc == WX_OK)
        rc = apply_fields(j, "appid", account_set_any, &a, &err);
    if (rc == WX_OK)
        rc = emu_account_check(&a, &err);
    if (rc == WX_OK)
        rc = emu_model_put_account(&e->model, &a, &err);
    json_decref(j);
    if (rc != WX_OK) {
        http_reply_error(r, 400, 400, err.msg);
        return;
    }
    wx_log(WX_LOG_INFO, "account_put", "appid", a.appid, NULL);
    http_reply_json(r, 200, json_pack("{s:b,s:o*}", "ok", 1, "account", account_json(&a)));
}

static void
people_get(emu_t *e, http_req_t *r)
{
    const char *appid = wx_query_get(&r->query, "appid");
    const emu_account_t *a = NULL;
    if (appid) {
        a = emu_model_account(&e->model, appid);
        if (!a) {
            http_reply_error(r, 404, 404, "unknown appid");
            return;
        }
    }
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < e->model.npeople; i++)
        json_array_append_new(arr, person_json(e, &e->model.people[i], a));
    json_t *o = json_pack("{s:o*}", "people", arr);
    if (o && a)
        json_object_set_new(o, "appid", json_string(a->appid));
    http_reply_json(r, 200, o);
}

static void
people_post(emu_t *e, http_req_t *r)
{
    wx_err_t err = {0};
    emu_person_t p;
    json_t *j = body_object(r);
    if (!j)
        return;
    const char *id = json_string_value(json_object_get(j, "id"));
    const emu_person_t *old = id ? emu_model_person(&e->model, id) : NULL;
    wx_status_t rc = WX_OK;
    if (old)
        p = *old;
    else
        rc = emu_person_init(&p, id ? id : "", &err);
    if (rc == WX_OK)
        rc = apply_fields(j, "id", person_set_any, &p, &err);
    if (rc == WX_OK)
        rc = emu_model_put_person(&e->model, &p, &err);
    json_decref(j);
    if (rc != WX_OK) {
        http_reply_error(r, 400, 400, err.msg);
        return;
    }
    wx_log(WX_LOG_INFO, "person_put", "person", p.id, NULL);
    http_reply_json(r, 200, json_pack("{s:b,s:o*}", "ok", 1, "person", person_json(e, &p, NULL)));
}

static void
calls_get(emu_t *e, http_req_t *r)
{
    http_reply_json(r, 200, emu_calls_to_json(&e->calls));
}

static void
pushes_get(emu_t *e, http_req_t *r)
{
    http_reply_json(r, 200, emu_pushes_to_json(e));
}

static void
qrcodes_get(emu_t *e, http_req_t *r)
{
    http_reply_json(r, 200, emu_qrcodes_to_json(e, wx_query_get(&r->query, "scene")));
}

static void
calls_delete(emu_t *e, http_req_t *r)
{
    emu_calls_clear(&e->calls);
    http_reply_json(r, 200, json_pack("{s:b}", "ok", 1));
}

typedef struct {
    const char *method;
    const char *name;
    void (*fn)(emu_t *e, http_req_t *r);
} admin_route_t;

static const admin_route_t admin_routes[] = {
    {"GET", "faults", faults_get},       {"POST", "faults", faults_post},
    {"DELETE", "faults", faults_delete}, {"GET", "clock", clock_get},
    {"POST", "clock", clock_post},       {"GET", "accounts", accounts_get},
    {"POST", "accounts", accounts_post}, {"GET", "people", people_get},
    {"POST", "people", people_post},     {"GET", "calls", calls_get},
    {"DELETE", "calls", calls_delete},   {"GET", "pushes", pushes_get},
    {"GET", "qrcodes", qrcodes_get},
};

void
emu_route_admin(http_req_t *r)
{
    emu_t *e = r->worker->ctx;
    const char *name = r->path + strlen(ADMIN_PREFIX);
    bool seen = false;
    if (!authorized(e, r)) {
        http_add_header(r, "WWW-Authenticate", "Bearer realm=\"wxemu-admin\"");
        http_reply_error(r, 401, 401, "admin token required (Authorization: Bearer ...)");
        return;
    }
    const char *method = strcmp(r->method, "HEAD") == 0 ? "GET" : r->method;
    for (size_t i = 0; i < WX_ARRAY_LEN(admin_routes); i++) {
        if (strcmp(admin_routes[i].name, name) != 0)
            continue;
        seen = true;
        if (strcmp(admin_routes[i].method, method) == 0) {
            admin_routes[i].fn(e, r);
            return;
        }
    }
    if (seen)
        http_reply_error(r, 405, 405, "method not allowed");
    else
        http_reply_error(r, 404, 404, "unknown admin resource");
}
