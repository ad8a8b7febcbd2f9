/* Validation of admin input (see admin_input.h). Messages say what is expected, in words a
 * developer setting up a WeChat account recognises. */
#include "admin_input.h"

#include <string.h>

#include "redirect.h"

static bool
id_chars(const char *s, size_t max, const char *extra)
{
    size_t n = 0;
    for (; s[n]; n++) {
        char c = s[n];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || (extra && strchr(extra, c))))
            return false;
    }
    return n >= 1 && n <= max;
}

bool
admin_valid_id(const char *s)
{
    return s && id_chars(s, 63, NULL);
}

bool
admin_valid_identifier(const char *s)
{
    return s && id_chars(s, 64, ":.");
}

bool
admin_valid_appid(const char *s)
{
    if (!s || strlen(s) != 18 || s[0] != 'w' || s[1] != 'x')
        return false;
    for (int i = 2; i < 18; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

bool
admin_valid_txt_name(const char *s)
{
    static const char prefix[] = "MP_verify_", suffix[] = ".txt";
    size_t n = s ? strlen(s) : 0, pl = sizeof(prefix) - 1, sl = sizeof(suffix) - 1;
    if (n <= pl + sl || n > 100 || strncmp(s, prefix, pl) != 0 || strcmp(s + n - sl, suffix) != 0)
        return false;
    for (size_t i = pl; i < n - sl; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
            return false;
    }
    return true;
}

static void
bad(json_t *errors, const char *field, const char *msg)
{
    if (!json_object_get(errors, field))
        json_object_set_new(errors, field, json_string(msg));
}

/* The string value of member v, or NULL (with an error) when it is not a string. */
static const char *
str_of(json_t *errors, const char *field, const json_t *v)
{
    if (!json_is_string(v)) {
        bad(errors, field, "must be a string");
        return NULL;
    }
    return json_string_value(v);
}

static void
copy(json_t *errors, const char *field, const char *v, char *dst, size_t n)
{
    if (!wx_strlcpy(dst, v, n)) {
        char msg[64];
        wx_snprintf(msg, sizeof(msg), "must be at most %zu bytes", n - 1);
        bad(errors, field, msg);
    }
}

typedef enum { URLS_PATTERN, URLS_EXACT, URLS_ORIGIN } urls_kind_t;

/* A web origin (RFC 6454): http(s)://host[:port], nothing after it, as a browser sends it in
 * an Origin header (lower case). */
static bool
origin_ok(const char *s)
{
    const char *h = strncmp(s, "https://", 8) == 0  ? s + 8
                    : strncmp(s, "http://", 7) == 0 ? s + 7
                                                    : NULL;
    if (!h || !*h || strlen(s) > 255)
        return false;
    const char *colon = NULL;
    for (const char *p = h; *p; p++) {
        char c = *p;
        if (c == ':' && !colon && p > h)
            colon = p;
        else if (colon
                     ? !(c >= '0' && c <= '9')
                     : !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-'))
            return false;
    }
    return !colon || (colon[1] != '\0' && strlen(colon + 1) <= 5);
}

/* An array of URLs (patterns, exact URLs or origins), stored newline-separated. */
static void
urls_apply_kind(json_t *errors, const char *field, const json_t *v, char *dst, size_t n,
                urls_kind_t kind)
{
    size_t i, len = 0;
    const json_t *u;
    char msg[300];
    if (!json_is_array(v)) {
        bad(errors, field, "must be an array of URLs");
        return;
    }
    dst[0] = '\0';
    json_array_foreach(v, i, u)
    {
        wx_err_t err = {0};
        if (!json_is_string(u)) {
            bad(errors, field, "must be an array of URLs");
            return;
        }
        const char *s = json_string_value(u);
        if (kind == URLS_ORIGIN ? !origin_ok(s) : redirect_validate_pattern(s, &err) != WX_OK) {
            wx_snprintf(msg, sizeof(msg), "%.100s: %.180s", s,
                        kind == URLS_ORIGIN
                            ? "not an origin: http(s)://host[:port] in lower case, no path"
                            : err.msg);
            bad(errors, field, msg);
            return;
        }
        if (kind == URLS_EXACT && strchr(s, '*')) {
            wx_snprintf(msg, sizeof(msg), "%.100s: an exact URL, without *", s);
            bad(errors, field, msg);
            return;
        }
        size_t l = strlen(s);
        if (len + l + 2 > n) {
            bad(errors, field, "too many URLs");
            return;
        }
        if (len)
            dst[len++] = '\n';
        memcpy(dst + len, s, l + 1);
        len += l;
    }
}

static void
urls_apply(json_t *errors, const char *field, const json_t *v, char *dst, size_t n)
{
    urls_apply_kind(errors, field, v, dst, n, URLS_PATTERN);
}

/* A token lifetime: 0 (the default) or min..max seconds. */
static void
ttl_apply(json_t *errors, const char *field, const json_t *v, int64_t min, int64_t max,
          int64_t *dst)
{
    char msg[96];
    json_int_t x = json_is_integer(v) ? json_integer_value(v) : -1;
    if (x != 0 && (x < min || x > max)) {
        wx_snprintf(msg, sizeof(msg), "must be 0 (the default) or %lld to %lld seconds",
                    (long long)min, (long long)max);
        bad(errors, field, msg);
        return;
    }
    *dst = x;
}

static json_t *
urls_json(const char *list)
{
    json_t *arr = json_array();
    const char *p = list;
    while (arr && p && *p) {
        const char *nl = strchr(p, '\n');
        size_t l = nl ? (size_t)(nl - p) : strlen(p);
        json_array_append_new(arr, json_stringn(p, l));
        p = nl ? nl + 1 : NULL;
    }
    return arr;
}

bool
admin_pool_apply(const json_t *in, store_pool_t *p, json_t *errors)
{
    const char *key;
    json_t *v;
    const char *s;
    json_object_foreach((json_t *)in, key, v)
    {
        if (strcmp(key, "id") == 0) {
            if ((s = str_of(errors, key, v)) && !p->id[0]) {
                if (!admin_valid_id(s) || strcmp(s, "callback") == 0)
                    bad(errors, key, "1 to 63 letters, digits, _ or - (and not 'callback')");
                else
                    copy(errors, key, s, p->id, sizeof(p->id));
            } else if (s && strcmp(s, p->id) != 0) {
                bad(errors, key, "cannot be changed");
            }
        } else if (strcmp(key, "name") == 0) {
            if ((s = str_of(errors, key, v)))
                copy(errors, key, s, p->name, sizeof(p->name));
        } else if (strcmp(key, "token_ttl") == 0) {
            if (!json_is_integer(v) || json_integer_value(v) < 60 ||
                json_integer_value(v) > 31536000)
                bad(errors, key, "must be a whole number of seconds from 60 to 31536000");
            else
                p->token_ttl = json_integer_value(v);
        } else if (strcmp(key, "alg") == 0) {
            if ((s = str_of(errors, key, v))) {
                if (strcmp(s, "RS256") && strcmp(s, "ES256") && strcmp(s, "EdDSA"))
                    bad(errors, key, "must be RS256, ES256 or EdDSA");
                else
                    copy(errors, key, s, p->alg, sizeof(p->alg));
            }
        } else if (strcmp(key, "redirect_urls") == 0) {
            urls_apply(errors, key, v, p->redirect_urls, sizeof(p->redirect_urls));
        } else if (strcmp(key, "desktop_method") == 0) {
            /* docs/desktop-login.md; "auto" is stored as "" (the default). */
            if ((s = str_of(errors, key, v))) {
                if (strcmp(s, "auto") && strcmp(s, "qrconnect") && strcmp(s, "none"))
                    bad(errors, key, "must be auto, qrconnect or none");
                else
                    copy(errors, key, strcmp(s, "auto") == 0 ? "" : s, p->desktop_method,
                         sizeof(p->desktop_method));
            }
        } else {
            bad(errors, key, "unknown field");
        }
    }
    if (!p->id[0])
        bad(errors, "id", "is required");
    else if (!p->name[0])
        wx_strlcpy(p->name, p->id, sizeof(p->name));
    return json_object_size(errors) == 0;
}

bool
admin_app_apply(const json_t *in, store_app_t *a, json_t *errors)
{
    const char *key;
    json_t *v;
    const char *s;
    json_object_foreach((json_t *)in, key, v)
    {
        if (strcmp(key, "id") == 0) {
            if ((s = str_of(errors, key, v)) && !a->id[0]) {
                if (!admin_valid_id(s))
                    bad(errors, key, "1 to 63 letters, digits, _ or -");
                else
                    copy(errors, key, s, a->id, sizeof(a->id));
            } else if (s && strcmp(s, a->id) != 0) {
                bad(errors, key, "cannot be changed");
            }
        } else if (strcmp(key, "name") == 0) {
            if ((s = str_of(errors, key, v)))
                copy(errors, key, s, a->name, sizeof(a->name));
        } else if (strcmp(key, "redirect_urls") == 0) {
            urls_apply(errors, key, v, a->redirect_urls, sizeof(a->redirect_urls));
        } else if (strcmp(key, "public_client") == 0) {
            if (!json_is_boolean(v))
                bad(errors, key, "must be true or false");
            else
                a->public_client = json_is_true(v);
        } else if (strcmp(key, "post_logout_redirect_uris") == 0) {
            urls_apply_kind(errors, key, v, a->logout_urls, sizeof(a->logout_urls), URLS_EXACT);
        } else if (strcmp(key, "web_origins") == 0) {
            urls_apply_kind(errors, key, v, a->web_origins, sizeof(a->web_origins), URLS_ORIGIN);
        } else if (strcmp(key, "access_token_ttl") == 0) {
            ttl_apply(errors, key, v, 60, 30 * 86400, &a->access_ttl);
        } else if (strcmp(key, "id_token_ttl") == 0) {
            ttl_apply(errors, key, v, 60, 30 * 86400, &a->id_ttl);
        } else if (strcmp(key, "refresh_token_ttl") == 0) {
            ttl_apply(errors, key, v, 60, 365 * 86400, &a->refresh_ttl);
        } else if (strcmp(key, "token_alg") == 0) {
            if ((s = str_of(errors, key, v))) {
                if (strcmp(s, "HS256") != 0 && strcmp(s, "pool") != 0)
                    bad(errors, key, "must be HS256 (Authing compatibility) or pool");
                else
                    wx_strlcpy(a->token_alg, strcmp(s, "pool") == 0 ? "" : s, sizeof(a->token_alg));
            }
        } else {
            bad(errors, key, "unknown field");
        }
    }
    if (!a->id[0])
        bad(errors, "id", "is required");
    else if (!a->name[0])
        wx_strlcpy(a->name, a->id, sizeof(a->name));
    return json_object_size(errors) == 0;
}

/* WeChat secrets are 32 hex digits; accept any printable ASCII without spaces up to 128. */
static bool
secret_ok(const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i++)
        if (s[i] <= ' ' || s[i] > '~')
            return false;
    return n >= 1 && n <= STORE_SECRET_PLAIN_MAX;
}

bool
admin_conn_apply(const json_t *in, store_conn_t *c, bool creating, char *secret, size_t n,
                 json_t *errors)
{
    const char *key;
    json_t *v;
    const char *s;
    secret[0] = '\0';
    /* The type first: the scope's rules depend on it. It is chosen once, at creation. */
    json_t *tv = json_object_get(in, "type");
    if (tv && (s = str_of(errors, "type", tv))) {
        if (strcmp(s, STORE_CONN_MP) != 0 && strcmp(s, STORE_CONN_OPEN) != 0)
            bad(errors, "type",
                "must be wechat_mp (a service account's webpage authorization) or wechat_open "
                "(an Open Platform website app's QR-code login)");
        else if (creating)
            copy(errors, "type", s, c->type, sizeof(c->type));
        else if (strcmp(s, c->type[0] ? c->type : STORE_CONN_MP) != 0)
            bad(errors, "type", "cannot be changed once the connection exists");
    }
    bool open = strcmp(c->type, STORE_CONN_OPEN) == 0;
    json_object_foreach((json_t *)in, key, v)
    {
        if (strcmp(key, "type") == 0) {
            continue;
        } else if (strcmp(key, "identifier") == 0) {
            if ((s = str_of(errors, key, v)) && creating) {
                if (!admin_valid_identifier(s))
                    bad(errors, key, "1 to 64 letters, digits and : _ . -");
                else
                    copy(errors, key, s, c->identifier, sizeof(c->identifier));
            } else if (s && strcmp(s, c->identifier) != 0) {
                bad(errors, key, "cannot be changed once the connection exists");
            }
        } else if (strcmp(key, "display_name") == 0) {
            if ((s = str_of(errors, key, v)))
                copy(errors, key, s, c->display_name, sizeof(c->display_name));
        } else if (strcmp(key, "appid") == 0) {
            if ((s = str_of(errors, key, v))) {
                if (!admin_valid_appid(s))
                    bad(errors, key, "a WeChat App ID is wx followed by 16 lowercase hex digits");
                else
                    copy(errors, key, s, c->appid, sizeof(c->appid));
            }
        } else if (strcmp(key, "app_secret") == 0) {
            if ((s = str_of(errors, key, v))) {
                if (!secret_ok(s))
                    bad(errors, key, "1 to 128 printable characters without spaces");
                else
                    wx_strlcpy(secret, s, n);
            }
        } else if (strcmp(key, "scope") == 0) {
            if ((s = str_of(errors, key, v))) {
                if (open && strcmp(s, "snsapi_login") != 0)
                    bad(errors, key, "a website app (wechat_open) logs in with snsapi_login only");
                else if (!open && strcmp(s, "snsapi_userinfo") && strcmp(s, "snsapi_base"))
                    bad(errors, key,
                        "must be snsapi_userinfo or snsapi_base (snsapi_login is a website "
                        "app's: create a connection of type wechat_open)");
                else
                    copy(errors, key, s, c->scope, sizeof(c->scope));
            }
        } else if (strcmp(key, "callback_url") == 0) {
            wx_err_t err = {0};
            if ((s = str_of(errors, key, v))) {
                if (redirect_validate_pattern(s, &err) != WX_OK)
                    bad(errors, key, err.msg);
                else
                    copy(errors, key, s, c->callback_url, sizeof(c->callback_url));
            }
        } else if (strcmp(key, "txt_filename") == 0) {
            if ((s = str_of(errors, key, v))) {
                if (s[0] && !admin_valid_txt_name(s))
                    bad(errors, key,
                        "must look like MP_verify_<letters and digits>.txt, as WeChat gives it");
                else
                    copy(errors, key, s, c->txt_filename, sizeof(c->txt_filename));
            }
        } else if (strcmp(key, "txt_content") == 0) {
            if ((s = str_of(errors, key, v))) {
                bool ok = true;
                for (const char *p = s; *p; p++)
                    ok &= *p >= ' ' && *p <= '~';
                if (!ok)
                    bad(errors, key, "must be printable text on one line");
                else
                    copy(errors, key, s, c->txt_content, sizeof(c->txt_content));
            }
        } else if (strcmp(key, "push_token") == 0 || strcmp(key, "encoding_aes_key") == 0) {
            /* checked and taken by admin_conn_push_apply */
        } else {
            bad(errors, key, "unknown field");
        }
    }
    if (creating && !c->identifier[0])
        wx_strlcpy(c->identifier, open ? "wechat:qrconnect" : "wechat:webpage-authorization",
                   sizeof(c->identifier));
    if (!c->type[0])
        wx_strlcpy(c->type, STORE_CONN_MP, sizeof(c->type));
    if (open)
        wx_strlcpy(c->scope, "snsapi_login", sizeof(c->scope));
    if (!c->appid[0])
        bad(errors, "appid", "is required");
    if (creating && !secret[0])
        bad(errors, "app_secret", "is required");
    if (!c->callback_url[0])
        bad(errors, "callback_url", "is required (a URL, a pattern, or #)");
    if (c->txt_filename[0] && !c->txt_content[0])
        bad(errors, "txt_content", "is required with txt_filename");
    if (!c->scope[0])
        wx_strlcpy(c->scope, "snsapi_userinfo", sizeof(c->scope));
    if (!c->display_name[0])
        wx_strlcpy(c->display_name, "WeChat", sizeof(c->display_name));
    return json_object_size(errors) == 0;
}

/* The MP admin's rules: a Token is 3 to 32 letters and digits, an EncodingAESKey exactly 43.
 * "" clears the setting. */
static bool
alnum_len(const char *s, size_t min, size_t max)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9')))
            return false;
    return n >= min && n <= max;
}

bool
admin_conn_push_apply(const json_t *in, char *token, size_t tn, bool *token_given, char *aes,
                      size_t an, bool *aes_given, json_t *errors)
{
    const char *s;
    json_t *v;
    size_t before = json_object_size(errors);
    token[0] = aes[0] = '\0';
    *token_given = *aes_given = false;
    if ((v = json_object_get(in, "push_token")) && (s = str_of(errors, "push_token", v))) {
        if (s[0] && !alnum_len(s, 3, 32))
            bad(errors, "push_token",
                "3 to 32 letters and digits, as the MP admin's Token (or "
                "\"\" to turn the message server off)");
        else if (wx_strlcpy(token, s, tn))
            *token_given = true;
    }
    if ((v = json_object_get(in, "encoding_aes_key")) &&
        (s = str_of(errors, "encoding_aes_key", v))) {
        if (s[0] && !alnum_len(s, 43, 43))
            bad(errors, "encoding_aes_key",
                "43 letters and digits, as the MP admin's EncodingAESKey (or \"\" for plain mode)");
        else if (wx_strlcpy(aes, s, an))
            *aes_given = true;
    }
    return json_object_size(errors) == before;
}

json_t *
admin_pool_json(const store_pool_t *p)
{
    return json_pack("{s:s,s:s,s:I,s:s,s:o,s:I,s:I,s:s}", "id", p->id, "name", p->name, "token_ttl",
                     (json_int_t)(p->token_ttl > 0 ? p->token_ttl : 1296000), "alg",
                     p->alg[0] ? p->alg : "RS256", "redirect_urls", urls_json(p->redirect_urls),
                     "created_at", (json_int_t)p->created_at, "updated_at",
                     (json_int_t)p->updated_at, "desktop_method",
                     p->desktop_method[0] ? p->desktop_method : "auto");
}

json_t *
admin_app_json(const store_app_t *a)
{
    json_t *o = json_pack("{s:s,s:s,s:s,s:o,s:s,s:s,s:I,s:I}", "id", a->id, "pool_id", a->pool_id,
                          "name", a->name, "redirect_urls", urls_json(a->redirect_urls),
                          "token_alg", a->token_alg[0] ? a->token_alg : "pool", "secret",
                          a->secret[0] ? "set" : "not set", "created_at", (json_int_t)a->created_at,
                          "updated_at", (json_int_t)a->updated_at);
    /* OpenID Connect settings, one by one (a json_pack format this long shifts easily). */
    json_object_set_new(o, "public_client", json_boolean(a->public_client));
    json_object_set_new(o, "post_logout_redirect_uris", urls_json(a->logout_urls));
    json_object_set_new(o, "web_origins", urls_json(a->web_origins));
    json_object_set_new(o, "access_token_ttl", json_integer(a->access_ttl));
    json_object_set_new(o, "id_token_ttl", json_integer(a->id_ttl));
    json_object_set_new(o, "refresh_token_ttl", json_integer(a->refresh_ttl));
    return o;
}

json_t *
admin_conn_json(const store_conn_t *c, const char *public_url)
{
    json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:I}", "pool_id", c->pool_id,
                          "identifier", c->identifier, "display_name", c->display_name, "appid",
                          c->appid, "app_secret", c->app_secret[0] ? "set" : "not set", "scope",
                          c->scope, "callback_url", c->callback_url, "txt_filename",
                          c->txt_filename, "txt_content", c->txt_content, "created_at",
                          (json_int_t)c->created_at, "updated_at", (json_int_t)c->updated_at);
    if (o)
        json_object_set_new(o, "type", json_string(c->type[0] ? c->type : STORE_CONN_MP));
    char url[1200];
    if (o && c->txt_filename[0] && public_url &&
        wx_snprintf(url, sizeof(url), "%s/%s", public_url, c->txt_filename))
        json_object_set_new(o, "txt_url", json_string(url));
    /* The redirect_uri WeChat sends the browser back to: its host is the webpage-authorization
     * domain to register with WeChat. */
    if (o && public_url &&
        wx_snprintf(url, sizeof(url), "%s/connections/social/%s/callback", public_url,
                    c->identifier))
        json_object_set_new(o, "wechat_redirect_uri", json_string(url));
    /* Follow to log in: the message server settings, and the URL to enter in the MP admin. */
    if (o) {
        json_object_set_new(o, "push_token", json_string(c->push_token[0] ? "set" : "not set"));
        json_object_set_new(o, "encoding_aes_key",
                            json_string(c->push_aes_key[0] ? "set" : "not set"));
        json_object_set_new(o, "follow_login", json_boolean(c->push_token[0] != '\0'));
    }
    if (o && public_url &&
        wx_snprintf(url, sizeof(url), "%s/wechat/push/%s/%s", public_url, c->pool_id,
                    c->identifier))
        json_object_set_new(o, "push_url", json_string(url));
    return o;
}

json_t *
admin_user_json(const store_user_t *u)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:b}", "id",
                     u->id, "pool_id", u->pool_id, "username", u->username, "nickname", u->nickname,
                     "photo", u->photo, "gender", u->gender, "country", u->country, "province",
                     u->province, "city", u->city, "openid", u->openid, "unionid", u->unionid,
                     "logins_count", (json_int_t)u->logins_count, "last_login",
                     (json_int_t)u->last_login, "created_at", (json_int_t)u->created_at,
                     "updated_at", (json_int_t)u->updated_at, "blocked", u->blocked);
}
