/* Authing's user export into store_user_import_t (user_import.h). */
#include "user_import.h"

#include <string.h>
#include <time.h>

#include "admin_input.h"

static const char *
str(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static const char *
first_str(const json_t *o, const char *const *keys)
{
    for (; *keys; keys++) {
        const char *s = str(o, *keys);
        if (s && *s)
            return s;
    }
    return NULL;
}

/* n decimal digits at *p into *out, advancing *p; false when they are not there. */
static bool
digits(const char **p, int n, int *out)
{
    *out = 0;
    for (int i = 0; i < n; i++, (*p)++) {
        if (**p < '0' || **p > '9')
            return false;
        *out = *out * 10 + (**p - '0');
    }
    return true;
}

static bool
expect(const char **p, char c)
{
    return **p == c ? ((*p)++, true) : false;
}

bool
user_import_time(const json_t *v, int64_t *out)
{
    *out = 0;
    if (json_is_integer(v) || json_is_real(v)) {
        double d = json_number_value(v);
        if (d < 0 || d > 1e14)
            return false;
        *out = (int64_t)(d > 1e11 ? d / 1000 : d); /* milliseconds, as JavaScript dates */
        return true;
    }
    if (!json_is_string(v))
        return false;
    const char *p = json_string_value(v);
    struct tm tm = {0};
    int oh = 0, om = 0;
    char sign = 0;
    if (!digits(&p, 4, &tm.tm_year) || !expect(&p, '-') || !digits(&p, 2, &tm.tm_mon) ||
        !expect(&p, '-') || !digits(&p, 2, &tm.tm_mday) || !expect(&p, 'T') ||
        !digits(&p, 2, &tm.tm_hour) || !expect(&p, ':') || !digits(&p, 2, &tm.tm_min) ||
        !expect(&p, ':') || !digits(&p, 2, &tm.tm_sec))
        return false;
    if (*p == '.') /* fractions of a second: dropped */
        for (p++; *p >= '0' && *p <= '9'; p++)
            ;
    if (*p == 'Z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        sign = *p++;
        if (!digits(&p, 2, &oh) || !expect(&p, ':') || !digits(&p, 2, &om))
            return false;
    } else {
        return false; /* no zone: the time would depend on the machine's */
    }
    if (*p || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
        tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60 || oh > 23 || om > 59)
        return false;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    time_t t = timegm(&tm);
    if (t == (time_t)-1)
        return false;
    int64_t off = (int64_t)oh * 3600 + om * 60;
    *out = (int64_t)t - (sign == '+' ? off : sign == '-' ? -off : 0);
    return true;
}

/* The first WeChat identity's openid in identities[] (provider names wechat). */
static const char *
identity_openid(const json_t *u, const char **unionid)
{
    size_t i;
    json_t *id;
    json_array_foreach(json_object_get(u, "identities"), i, id)
    {
        const char *prov = str(id, "provider");
        if (!prov || !strstr(prov, "wechat"))
            continue;
        const char *keys[] = {"userIdInIdp", "openid", NULL};
        const char *o = first_str(id, keys);
        if (o) {
            if (!*unionid)
                *unionid = str(id, "unionid");
            return o;
        }
    }
    return NULL;
}

bool
user_import_from_authing(const json_t *u, const char *pool_id, const char *provider,
                         const char *appid, int64_t now, store_user_import_t *out, char *why,
                         size_t n)
{
    static const char *const id_keys[] = {"id", "_id", "userId", NULL};
    const char *g, *status;
    const json_t *v;
    memset(out, 0, sizeof(*out));
    if (!json_is_object(u)) {
        wx_snprintf(why, n, "each user must be a JSON object");
        return false;
    }
    out->pool_id = pool_id;
    out->provider = provider;
    out->appid = appid;
    out->now = now;
    out->id = first_str(u, id_keys);
    if (out->id && !admin_valid_id(out->id)) {
        wx_snprintf(why, n, "id must be 1-63 characters of [A-Za-z0-9_-] (Authing's ids are)");
        return false;
    }
    out->unionid = str(u, "unionid");
    out->openid = str(u, "openid");
    if (!out->openid || !*out->openid)
        out->openid = identity_openid(u, &out->unionid);
    if (!out->openid || !*out->openid) {
        wx_snprintf(why, n,
                    "no WeChat openid: give openid, or identities[] with a wechat provider and "
                    "userIdInIdp");
        return false;
    }
    /* Authing puts the openid where WeChat gave no unionid. */
    if (out->unionid && strcmp(out->unionid, out->openid) == 0)
        out->unionid = NULL;
    out->username = str(u, "username");
    out->nickname = str(u, "nickname");
    out->photo = str(u, "photo");
    out->country = str(u, "country");
    out->province = str(u, "province");
    out->city = str(u, "city");
    g = str(u, "gender");
    out->gender = g && !strcmp(g, "M") ? "M" : g && !strcmp(g, "F") ? "F" : "U";
    v = json_object_get(u, "loginsCount");
    if (json_is_integer(v) && json_integer_value(v) >= 0)
        out->logins_count = json_integer_value(v);
    if ((v = json_object_get(u, "lastLogin")) && !json_is_null(v) &&
        !user_import_time(v, &out->last_login)) {
        wx_snprintf(why, n, "lastLogin must be an ISO 8601 time with a zone, or a number");
        return false;
    }
    v = json_object_get(u, "createdAt");
    if (!v || json_is_null(v))
        v = json_object_get(u, "signedUp");
    if (v && !json_is_null(v) && !user_import_time(v, &out->created_at)) {
        wx_snprintf(why, n, "createdAt must be an ISO 8601 time with a zone, or a number");
        return false;
    }
    status = str(u, "status");
    out->blocked = json_is_true(json_object_get(u, "blocked")) ||
                   (status && (!strcmp(status, "Suspended") || !strcmp(status, "Deactivated")));
    return true;
}
