/* Authing-compatible user object, token claims and callback URL. */
#include "authing.h"

#include <stdlib.h>
#include <string.h>

#include "../util/clock.h"
#include "../util/url.h"

static json_t *
str_or_null(const char *s)
{
    return s && *s ? json_string(s) : json_null();
}

json_t *
authing_user_json(const authing_user_args_t *a)
{
    const store_user_t *u = a->user;
    char created[32], updated[32], last[32], exp[32];
    wx_time_iso(u->created_at, created, sizeof(created));
    wx_time_iso(u->updated_at, updated, sizeof(updated));
    wx_time_iso(u->last_login, last, sizeof(last));
    wx_time_iso(a->token_exp, exp, sizeof(exp));
    /* Authing puts the openid in unionid when WeChat gives none: existing apps rely on it. */
    const char *unionid = u->unionid[0] ? u->unionid : u->openid;
    char source[160];
    wx_snprintf(source, sizeof(source), "social:%s", a->provider);
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, "_id", json_string(u->id));
    json_object_set_new(o, "id", json_string(u->id));
    json_object_set_new(o, "userPoolId", json_string(u->pool_id));
    json_object_set_new(o, "username", json_string(u->username));
    json_object_set_new(o, "nickname", json_string(u->nickname));
    json_object_set_new(o, "photo", json_string(u->photo));
    json_object_set_new(o, "openid", json_string(u->openid));
    json_object_set_new(o, "unionid", json_string(unionid));
    json_object_set_new(o, "oauth", json_string(a->raw_profile ? a->raw_profile : ""));
    json_object_set_new(o, "gender", json_string(u->gender[0] ? u->gender : "U"));
    json_object_set_new(o, "country", json_string(u->country));
    json_object_set_new(o, "province", json_string(u->province));
    json_object_set_new(o, "city", json_string(u->city));
    json_object_set_new(o, "registerMethod", json_string("oauth:wxmp"));
    json_t *rs = json_array();
    json_array_append_new(rs, json_string(source));
    json_object_set_new(o, "registerSource", rs);
    json_object_set_new(o, "token", json_string(a->token));
    json_object_set_new(o, "tokenExpiredAt", json_string(exp));
    json_object_set_new(o, "loginsCount", json_integer(u->logins_count));
    json_object_set_new(o, "lastLogin", json_string(last));
    json_object_set_new(o, "lastIP", str_or_null(u->last_ip));
    json_object_set_new(o, "signedUp", json_string(created));
    json_object_set_new(o, "createdAt", json_string(created));
    json_object_set_new(o, "updatedAt", json_string(updated));
    json_object_set_new(o, "blocked", json_false());
    json_object_set_new(o, "isDeleted", json_false());
    json_object_set_new(o, "email", json_null());
    json_object_set_new(o, "emailVerified", json_false());
    json_object_set_new(o, "phone", json_null());
    json_object_set_new(o, "phoneVerified", json_false());
    json_object_set_new(o, "company", json_string(""));
    if (a->with_identities) {
        json_t *ids = json_array();
        json_array_append_new(ids, json_pack("{s:s,s:s,s:s,s:s,s:s,s:b,s:s}", "provider", "wechat",
                                             "openid", u->openid, "userIdInIdp", u->openid,
                                             "connectionId", a->provider, "appid",
                                             a->appid ? a->appid : "", "isSocial", 1, "userPoolId",
                                             u->pool_id));
        json_object_set_new(o, "identities", ids);
    }
    return o;
}

json_t *
authing_token_claims(const store_user_t *u, const char *issuer, const char *audience, int64_t iat,
                     int64_t exp, const char *jti)
{
    json_t *c = json_object();
    if (!c)
        return NULL;
    json_object_set_new(c, "iss", json_string(issuer));
    json_object_set_new(c, "sub", json_string(u->id));
    json_object_set_new(c, "aud", json_string(audience));
    json_object_set_new(c, "iat", json_integer(iat));
    json_object_set_new(c, "exp", json_integer(exp));
    json_object_set_new(c, "jti", json_string(jti));
    json_object_set_new(c, "userPoolId", json_string(u->pool_id));
    json_object_set_new(c, "nickname", json_string(u->nickname));
    json_object_set_new(c, "picture", str_or_null(u->photo));
    json_object_set_new(c, "openid", json_string(u->openid));
    json_object_set_new(c, "unionid", json_string(u->unionid[0] ? u->unionid : u->openid));
    json_object_set_new(c, "gender", json_string(u->gender[0] ? u->gender : "U"));
    /* Authing sends the standard OIDC profile claims with null values rather than omitting them. */
    static const char *nulls[] = {"name",
                                  "given_name",
                                  "family_name",
                                  "middle_name",
                                  "preferred_username",
                                  "profile",
                                  "website",
                                  "birthdate",
                                  "zoneinfo",
                                  "locale",
                                  "email",
                                  "email_verified",
                                  "phone_number",
                                  "phone_number_verified",
                                  "address"};
    for (size_t i = 0; i < WX_ARRAY_LEN(nulls); i++)
        json_object_set_new(c, nulls[i], json_null());
    json_object_set_new(c, "updated_at", json_integer(u->updated_at));
    return c;
}

wx_status_t
authing_result_url(wx_buf_t *out, const char *callback, int code, const char *message,
                   const json_t *data)
{
    char cs[16];
    wx_status_t rc = wx_buf_puts(out, callback);
    wx_snprintf(cs, sizeof(cs), "%d", code);
    if (rc == WX_OK)
        rc = wx_url_add_param(out, "code", cs);
    if (rc == WX_OK)
        rc = wx_url_add_param(out, "message", message);
    if (rc == WX_OK && data) {
        char *s = json_dumps(data, JSON_COMPACT);
        rc = s ? wx_url_add_param(out, "data", s) : WX_ENOMEM;
        free(s);
    }
    return rc;
}
