/* Accounts and people: field parsing, validation, and the two lists. */
#include "model.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rules.h"

static bool
id_chars(const char *s, size_t max, const char *extra)
{
    size_t n = 0;
    for (; s[n]; n++) {
        char c = s[n];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  strchr(extra, c) != NULL;
        if (!ok || n >= max)
            return false;
    }
    return n > 0;
}

bool
emu_appid_valid(const char *s)
{
    return id_chars(s, EMU_APPID_MAX, "_-");
}

bool
emu_person_id_valid(const char *s)
{
    return id_chars(s, EMU_PERSON_ID_MAX, "_.-");
}

bool
emu_utf8_valid(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned c = *p;
        size_t n;
        unsigned min;
        if (c < 0x80) {
            p++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            n = 1, c &= 0x1F, min = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
            n = 2, c &= 0x0F, min = 0x800;
        } else if ((c & 0xF8) == 0xF0) {
            n = 3, c &= 0x07, min = 0x10000;
        } else {
            return false;
        }
        for (size_t i = 1; i <= n; i++) {
            if ((p[i] & 0xC0) != 0x80)
                return false;
            c = (c << 6) | (p[i] & 0x3F);
        }
        if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
            return false;
        p += n + 1;
    }
    return true;
}

bool
emu_parse_bool(const char *s, bool *out)
{
    static const char *yes[] = {"yes", "on", "true", "1"};
    static const char *no[] = {"no", "off", "false", "0"};
    for (size_t i = 0; i < WX_ARRAY_LEN(yes); i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = true;
            return true;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = false;
            return true;
        }
    }
    return false;
}

/* Copy a UTF-8 text field with its limit; control characters are refused so that nothing
 * odd reaches a page or a JSON reply. */
static wx_status_t
set_text(char *dst, size_t n, const char *what, const char *value, wx_err_t *err)
{
    if (!emu_utf8_valid(value))
        return wx_err_set(err, WX_EINVAL, "%s is not valid UTF-8", what);
    for (const unsigned char *p = (const unsigned char *)value; *p; p++)
        if (*p < 0x20 || *p == 0x7F)
            return wx_err_set(err, WX_EINVAL, "%s may not contain control characters", what);
    if (!wx_strlcpy(dst, value, n))
        return wx_err_set(err, WX_EINVAL, "%s is longer than %zu bytes", what, n - 1);
    return WX_OK;
}

static wx_status_t
set_bool(bool *dst, const char *what, const char *value, wx_err_t *err)
{
    if (!emu_parse_bool(value, dst))
        return wx_err_set(err, WX_EINVAL, "%s must be yes or no, not '%.40s'", what, value);
    return WX_OK;
}

static wx_status_t
set_domains(emu_account_t *a, const char *value, wx_err_t *err)
{
    size_t nd = 0;
    const char *p = value;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        if (!*p)
            break;
        size_t len = strcspn(p, ", ");
        char host[EMU_HOST_MAX];
        long port;
        if (len > EMU_DOMAIN_MAX || !emu_hostport_parse(p, len, host, sizeof(host), &port))
            return wx_err_set(err, WX_EINVAL,
                              "domain '%.*s' is not host[:port] (no scheme, no path)",
                              (int)(len > 80 ? 80 : len), p);
        if (nd == EMU_DOMAINS_MAX)
            return wx_err_set(err, WX_EINVAL, "at most %d domains per account", EMU_DOMAINS_MAX);
        memcpy(a->domains[nd], p, len);
        a->domains[nd][len] = '\0';
        nd++;
        p += len;
    }
    a->ndomains = nd;
    return WX_OK;
}

static wx_status_t
set_scopes(emu_account_t *a, const char *value, wx_err_t *err)
{
    unsigned scopes = 0;
    const char *p = value;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        if (!*p)
            break;
        size_t len = strcspn(p, ", ");
        char one[32];
        unsigned s = 0;
        if (len < sizeof(one)) {
            memcpy(one, p, len);
            one[len] = '\0';
            s = emu_scope_parse(one);
        }
        if (!s)
            return wx_err_set(err, WX_EINVAL,
                              "scope '%.*s' is not snsapi_base, snsapi_userinfo or snsapi_login",
                              (int)(len > 40 ? 40 : len), p);
        scopes |= s;
        p += len;
    }
    a->scopes = scopes;
    return WX_OK;
}

wx_status_t
emu_account_init(emu_account_t *a, const char *appid, wx_err_t *err)
{
    memset(a, 0, sizeof(*a));
    if (!emu_appid_valid(appid))
        return wx_err_set(err, WX_EINVAL, "appid must be 1-%d characters of [A-Za-z0-9_-]",
                          EMU_APPID_MAX);
    wx_strlcpy(a->appid, appid, sizeof(a->appid));
    wx_strlcpy(a->name, appid, sizeof(a->name));
    a->scopes = EMU_SCOPE_BASE | EMU_SCOPE_USERINFO;
    return WX_OK;
}

wx_status_t
emu_account_set(emu_account_t *a, const char *key, const char *value, wx_err_t *err)
{
    if (strcmp(key, "name") == 0)
        return set_text(a->name, sizeof(a->name), "name", value, err);
    if (strcmp(key, "secret") == 0)
        return set_text(a->secret, sizeof(a->secret), "secret", value, err);
    if (strcmp(key, "domain") == 0)
        return set_domains(a, value, err);
    if (strcmp(key, "scopes") == 0)
        return set_scopes(a, value, err);
    if (strcmp(key, "open_platform") == 0) {
        if (value[0] && !id_chars(value, EMU_PLATFORM_MAX, "_.-"))
            return wx_err_set(err, WX_EINVAL,
                              "open_platform must be 1-%d characters of [A-Za-z0-9_.-]",
                              EMU_PLATFORM_MAX);
        wx_strlcpy(a->open_platform, value, sizeof(a->open_platform));
        return WX_OK;
    }
    if (strcmp(key, "banned") == 0)
        return set_bool(&a->banned, "banned", value, err);
    if (strcmp(key, "type") == 0) {
        bool was = a->website;
        if (strcmp(value, "website") == 0)
            a->website = true;
        else if (strcmp(value, "mp") == 0)
            a->website = false;
        else
            return wx_err_set(err, WX_EINVAL,
                              "type must be mp (a service account) or website (an Open Platform "
                              "website app)");
        /* The scopes follow the type unless set after it. */
        if (was != a->website)
            a->scopes = a->website ? EMU_SCOPE_LOGIN : EMU_SCOPE_BASE | EMU_SCOPE_USERINFO;
        return WX_OK;
    }
    if (strcmp(key, "push_url") == 0) {
        if (value[0] && strncmp(value, "http://", 7) != 0 && strncmp(value, "https://", 8) != 0)
            return wx_err_set(err, WX_EINVAL, "push_url must be an http(s) URL or empty");
        return set_text(a->push_url, sizeof(a->push_url), "push_url", value, err);
    }
    if (strcmp(key, "push_token") == 0) {
        size_t n = strlen(value);
        if (n && (n < 3 || !id_chars(value, EMU_PUSH_TOKEN_MAX, "")))
            return wx_err_set(err, WX_EINVAL, "push_token must be 3-32 letters and digits");
        return set_text(a->push_token, sizeof(a->push_token), "push_token", value, err);
    }
    if (strcmp(key, "push_aes_key") == 0) {
        if (value[0] && (strlen(value) != EMU_AES_KEY_LEN || !id_chars(value, EMU_AES_KEY_LEN, "")))
            return wx_err_set(err, WX_EINVAL, "push_aes_key must be 43 letters and digits");
        return set_text(a->push_aes_key, sizeof(a->push_aes_key), "push_aes_key", value, err);
    }
    if (strcmp(key, "push_mode") == 0) {
        if (strcmp(value, "plain") == 0)
            a->push_mode = EMU_PUSH_PLAIN;
        else if (strcmp(value, "compat") == 0)
            a->push_mode = EMU_PUSH_COMPAT;
        else if (strcmp(value, "safe") == 0)
            a->push_mode = EMU_PUSH_SAFE;
        else
            return wx_err_set(err, WX_EINVAL, "push_mode must be plain, compat or safe");
        return WX_OK;
    }
    if (strcmp(key, "original_id") == 0) {
        if (!id_chars(value, EMU_ORIGINAL_ID_MAX, "_"))
            return wx_err_set(err, WX_EINVAL, "original_id must be 1-32 of [A-Za-z0-9_]");
        return set_text(a->original_id, sizeof(a->original_id), "original_id", value, err);
    }
    return wx_err_set(err, WX_EINVAL, "unknown account key '%.40s'", key);
}

wx_status_t
emu_account_check(const emu_account_t *a, wx_err_t *err)
{
    if (!a->secret[0])
        return wx_err_set(err, WX_EINVAL, "account %s: secret is required", a->appid);
    if (a->ndomains == 0)
        return wx_err_set(err, WX_EINVAL, "account %s: domain is required", a->appid);
    if (a->scopes == 0)
        return wx_err_set(err, WX_EINVAL, "account %s: scopes may not be empty", a->appid);
    /* snsapi_login belongs to website apps, and only it does (WeChat's two registrations). */
    if (a->website && a->scopes != EMU_SCOPE_LOGIN)
        return wx_err_set(err, WX_EINVAL, "account %s: a website app's only scope is snsapi_login",
                          a->appid);
    if (!a->website && (a->scopes & EMU_SCOPE_LOGIN))
        return wx_err_set(err, WX_EINVAL,
                          "account %s: snsapi_login is a website app's scope (set type = website)",
                          a->appid);
    /* A website app is made on an Open Platform account, so it always has unionids. */
    if (a->website && !a->open_platform[0])
        return wx_err_set(err, WX_EINVAL,
                          "account %s: a website app needs open_platform (the Open Platform "
                          "account it belongs to)",
                          a->appid);
    /* The MP admin refuses a server configuration without a Token, and an encrypted mode
     * without an EncodingAESKey. */
    if (a->push_url[0] && !a->push_token[0])
        return wx_err_set(err, WX_EINVAL, "account %s: push_url needs push_token", a->appid);
    if (a->push_url[0] && a->push_mode != EMU_PUSH_PLAIN && !a->push_aes_key[0])
        return wx_err_set(err, WX_EINVAL, "account %s: push_mode %s needs push_aes_key", a->appid,
                          a->push_mode == EMU_PUSH_SAFE ? "safe" : "compat");
    return WX_OK;
}

wx_status_t
emu_person_init(emu_person_t *p, const char *id, wx_err_t *err)
{
    memset(p, 0, sizeof(*p));
    if (!emu_person_id_valid(id))
        return wx_err_set(err, WX_EINVAL, "person id must be 1-%d characters of [A-Za-z0-9_.-]",
                          EMU_PERSON_ID_MAX);
    wx_strlcpy(p->id, id, sizeof(p->id));
    wx_strlcpy(p->nickname, id, sizeof(p->nickname));
    wx_snprintf(p->avatar, sizeof(p->avatar), EMU_AVATAR_DRAWN, id);
    return WX_OK;
}

wx_status_t
emu_person_set(emu_person_t *p, const char *key, const char *value, wx_err_t *err)
{
    if (strcmp(key, "nickname") == 0)
        return set_text(p->nickname, sizeof(p->nickname), "nickname", value, err);
    if (strcmp(key, "avatar") == 0) {
        if (strcmp(value, "drawn") == 0) {
            wx_snprintf(p->avatar, sizeof(p->avatar), EMU_AVATAR_DRAWN, p->id);
            return WX_OK;
        }
        if (value[0] && strncmp(value, "https://", 8) != 0 && strncmp(value, "http://", 7) != 0)
            return wx_err_set(err, WX_EINVAL, "avatar must be drawn, empty or an http(s) URL");
        return set_text(p->avatar, sizeof(p->avatar), "avatar", value, err);
    }
    if (strcmp(key, "follower") == 0)
        return set_bool(&p->follower, "follower", value, err);
    if (strcmp(key, "snapshot") == 0)
        return set_bool(&p->snapshot, "snapshot", value, err);
    if (strcmp(key, "sex") == 0) {
        long v;
        if (!wx_parse_long(value, 0, 2, &v))
            return wx_err_set(err, WX_EINVAL, "sex must be 0, 1 or 2");
        p->sex = (int)v;
        return WX_OK;
    }
    if (strcmp(key, "country") == 0)
        return set_text(p->country, sizeof(p->country), "country", value, err);
    if (strcmp(key, "province") == 0)
        return set_text(p->province, sizeof(p->province), "province", value, err);
    if (strcmp(key, "city") == 0)
        return set_text(p->city, sizeof(p->city), "city", value, err);
    return wx_err_set(err, WX_EINVAL, "unknown person key '%.40s'", key);
}

emu_account_t *
emu_model_account(const emu_model_t *m, const char *appid)
{
    for (size_t i = 0; i < m->naccounts; i++)
        if (strcmp(m->accounts[i].appid, appid) == 0)
            return &m->accounts[i];
    return NULL;
}

/* crowd-K with K a plain decimal below the crowd's size. */
static emu_person_t *
crowd_member(const emu_model_t *m, const char *id)
{
    static _Thread_local emu_person_t slot;
    const char *num = id + strlen(EMU_CROWD_PREFIX);
    size_t k = 0;
    if (m->crowd == 0 || strncmp(id, EMU_CROWD_PREFIX, strlen(EMU_CROWD_PREFIX)) != 0 || !*num ||
        (num[0] == '0' && num[1]) || strlen(num) > 9)
        return NULL;
    for (const char *c = num; *c; c++) {
        if (*c < '0' || *c > '9')
            return NULL;
        k = k * 10 + (size_t)(*c - '0');
    }
    if (k >= m->crowd)
        return NULL;
    memset(&slot, 0, sizeof(slot));
    wx_strlcpy(slot.id, id, sizeof(slot.id));
    wx_snprintf(slot.nickname, sizeof(slot.nickname), "用户 %zu", k);
    wx_snprintf(slot.avatar, sizeof(slot.avatar), EMU_AVATAR_DRAWN, id);
    return &slot;
}

emu_person_t *
emu_model_person(const emu_model_t *m, const char *id)
{
    for (size_t i = 0; i < m->npeople; i++)
        if (strcmp(m->people[i].id, id) == 0)
            return &m->people[i];
    return crowd_member(m, id);
}

/* Room for one more of count elements of size sz in arr (capacity *cap, at most max); the
 * (maybe moved) array goes to *out. */
static wx_status_t
grow(void *arr, size_t *cap, size_t count, size_t sz, size_t max, const char *what, void **out,
     wx_err_t *err)
{
    *out = arr;
    if (count < *cap)
        return WX_OK;
    if (count >= max)
        return wx_err_set(err, WX_ETOOBIG, "too many %s (max %zu)", what, max);
    size_t ncap = *cap ? *cap * 2 : 8;
    if (ncap > max)
        ncap = max;
    void *n = realloc(arr, ncap * sz);
    if (!n)
        return wx_err_set(err, WX_ENOMEM, "out of memory");
    *cap = ncap;
    *out = n;
    return WX_OK;
}

wx_status_t
emu_model_put_account(emu_model_t *m, const emu_account_t *a, wx_err_t *err)
{
    emu_account_t *old = emu_model_account(m, a->appid);
    void *arr;
    if (old) {
        *old = *a;
        return WX_OK;
    }
    wx_status_t rc = grow(m->accounts, &m->acap, m->naccounts, sizeof(*a), EMU_ACCOUNTS_MAX,
                          "accounts", &arr, err);
    m->accounts = arr;
    if (rc == WX_OK)
        m->accounts[m->naccounts++] = *a;
    return rc;
}

wx_status_t
emu_model_put_person(emu_model_t *m, const emu_person_t *p, wx_err_t *err)
{
    emu_person_t *old = emu_model_person(m, p->id);
    void *arr;
    if (old) {
        *old = *p;
        return WX_OK;
    }
    wx_status_t rc =
        grow(m->people, &m->pcap, m->npeople, sizeof(*p), EMU_PEOPLE_MAX, "people", &arr, err);
    m->people = arr;
    if (rc == WX_OK)
        m->people[m->npeople++] = *p;
    return rc;
}

void
emu_model_free(emu_model_t *m)
{
    free(m->accounts);
    free(m->people);
    memset(m, 0, sizeof(*m));
}
