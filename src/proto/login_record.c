/* The login record kept on a finished state (login_record.h). */
#include "login_record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool
login_record_is(const char *s)
{
    return s && strncmp(s, LOGIN_RECORD_PREFIX, strlen(LOGIN_RECORD_PREFIX)) == 0;
}

static bool
token_ok(const char *s)
{
    return !strchr(s, ' ') && !strchr(s, '=');
}

bool
login_record_format(const login_record_t *rec, char *out, size_t n)
{
    if (!rec->user_id[0] || !rec->openid[0] || !rec->jti[0] || !token_ok(rec->user_id) ||
        !token_ok(rec->openid) || !token_ok(rec->unionid) || !token_ok(rec->jti))
        return false;
    return wx_snprintf(out, n,
                       LOGIN_RECORD_PREFIX "user=%s openid=%s unionid=%s jti=%s iat=%lld "
                                           "exp=%lld new=%d",
                       rec->user_id, rec->openid, rec->unionid, rec->jti, (long long)rec->iat,
                       (long long)rec->exp, rec->created ? 1 : 0);
}

/* Copy the value of "key=" at *p (up to the next space) into dst. */
static bool
field(const char **p, const char *key, char *dst, size_t n)
{
    size_t kl = strlen(key);
    if (strncmp(*p, key, kl) != 0 || (*p)[kl] != '=')
        return false;
    const char *v = *p + kl + 1;
    size_t vl = strcspn(v, " ");
    if (vl >= n)
        return false;
    memcpy(dst, v, vl);
    dst[vl] = '\0';
    *p = v + vl + (v[vl] == ' ' ? 1 : 0);
    return true;
}

static bool
field_int(const char **p, const char *key, int64_t *out)
{
    char buf[24], *end = NULL;
    if (!field(p, key, buf, sizeof(buf)) || !buf[0])
        return false;
    long long v = strtoll(buf, &end, 10);
    if (*end || v < 0)
        return false;
    *out = v;
    return true;
}

bool
login_record_parse(const char *s, login_record_t *out)
{
    memset(out, 0, sizeof(*out));
    if (!login_record_is(s))
        return false;
    const char *p = s + strlen(LOGIN_RECORD_PREFIX);
    int64_t created = 0;
    bool ok = field(&p, "user", out->user_id, sizeof(out->user_id)) &&
              field(&p, "openid", out->openid, sizeof(out->openid)) &&
              field(&p, "unionid", out->unionid, sizeof(out->unionid)) &&
              field(&p, "jti", out->jti, sizeof(out->jti)) && field_int(&p, "iat", &out->iat) &&
              field_int(&p, "exp", &out->exp) && field_int(&p, "new", &created) && !*p &&
              out->user_id[0] && out->openid[0] && out->jti[0] && created <= 1;
    out->created = created == 1;
    if (!ok)
        memset(out, 0, sizeof(*out));
    return ok;
}
