/* Token-test helpers (see harness_tokens.h). */
#include "harness_tokens.h"

#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "handle/token_cache.h"
#include "jose/b64url.h"
#include "jose/jws.h"
#include "jose/seal.h"
#include "util/buf.h"
#include "util/clock.h"

/* ---- HTTP ---- */

typedef struct {
    wx_buf_t body;
    wxtk_resp_t *out;
} tk_sink_t;

static size_t
tk_on_body(char *p, size_t s, size_t n, void *arg)
{
    tk_sink_t *k = arg;
    return wx_buf_append(&k->body, p, s * n) == WX_OK ? s * n : 0;
}

/* Keep the value of header name when line is that header. */
static void
tk_header_value(const char *line, size_t len, const char *name, char **dst)
{
    size_t nl = strlen(name);
    if (len <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
        return;
    const char *v = line + nl + 1;
    while (*v == ' ')
        v++;
    size_t vl = len - (size_t)(v - line);
    while (vl > 0 && (v[vl - 1] == '\r' || v[vl - 1] == '\n'))
        vl--;
    free(*dst);
    *dst = strndup(v, vl);
}

static size_t
tk_on_header(char *p, size_t s, size_t n, void *arg)
{
    tk_sink_t *k = arg;
    tk_header_value(p, s * n, "WWW-Authenticate", &k->out->www_authenticate);
    tk_header_value(p, s * n, "X-Request-Id", &k->out->request_id);
    tk_header_value(p, s * n, "X-Wxauth-User-Id", &k->out->user_id);
    return s * n;
}

static long
tk_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
wxtk_http(const char *method, const char *url, const char *const *headers, const char *body,
          wxtk_resp_t *out)
{
    tk_sink_t k = {.out = out};
    struct curl_slist *hl = NULL;
    CURL *h = curl_easy_init();
    int rc = -1;
    memset(out, 0, sizeof(*out));
    wx_buf_init(&k.body, 4 * 1024 * 1024);
    assert_non_null(h);
    for (int i = 0; headers && headers[i]; i++)
        hl = curl_slist_append(hl, headers[i]);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, tk_on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &k);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, tk_on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &k);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    if (body || strcmp(method, "POST") == 0) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body ? body : "");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, body ? (long)strlen(body) : 0L);
    }
    if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0)
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    long t0 = tk_now_ms();
    if (curl_easy_perform(h) == CURLE_OK) {
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
        out->body = wx_buf_steal(&k.body);
        if (!out->body)
            out->body = strdup("");
        rc = 0;
    }
    out->ms = tk_now_ms() - t0;
    wx_buf_free(&k.body);
    curl_slist_free_all(hl);
    curl_easy_cleanup(h);
    return rc;
}

void
wxtk_resp_free(wxtk_resp_t *r)
{
    free(r->body);
    free(r->www_authenticate);
    free(r->request_id);
    free(r->user_id);
    memset(r, 0, sizeof(*r));
}

char *
wxtk_escape(const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(s);
    char *out = malloc(3 * n + 1), *p = out;
    assert_non_null(out);
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (isalnum(*c) || *c == '-' || *c == '_' || *c == '.' || *c == '~') {
            *p++ = (char)*c;
        } else {
            *p++ = '%';
            *p++ = hex[*c >> 4];
            *p++ = hex[*c & 15];
        }
    }
    *p = '\0';
    return out;
}

json_t *
wxtk_json(const wxtk_resp_t *r)
{
    json_error_t jerr;
    json_t *j = r->body ? json_loads(r->body, 0, &jerr) : NULL;
    if (!j)
        fail_msg("status %ld: body is not JSON: %.300s", r->status, r->body ? r->body : "(none)");
    return j;
}

/* ---- logins and the CLI ---- */

void
wxtk_person_add(wxt_env_t *e, const char *id, const char *nickname)
{
    json_t *j = json_pack("{s:s,s:s}", "id", id, "nickname", nickname);
    char *text = json_dumps(j, JSON_COMPACT);
    wxt_emu_admin(e, "POST", "/emu/admin/people", text);
    free(text);
    json_decref(j);
}

json_t *
wxtk_login(wxt_env_t *e, const char *start_path, const char *person)
{
    char url[2048];
    wxt_resp_t fin = {0};
    wxt_result_t res;
    wxt_browser_t *b = wxt_browser_new(NULL);
    snprintf(url, sizeof(url), "%s%s", e->auth, start_path);
    wxt_login(b, url, person, "allow", &fin, NULL, 0);
    if (fin.status != 302 || !fin.location)
        fail_msg("login of %s via %s: status %ld body %.300s", person, start_path, fin.status,
                 fin.body ? fin.body : "");
    if (!wxt_parse_result(e, fin.location, &res))
        fail_msg("login of %s: not a business callback: %s", person, fin.location);
    if (res.code != 200 || !res.data)
        fail_msg("login of %s: code %d message %s", person, res.code, res.message);
    json_t *data = res.data;
    res.data = NULL;
    wxt_result_free(&res);
    wxt_resp_free(&fin);
    wxt_browser_free(b);
    return data;
}

char *
wxtk_login_token(wxt_env_t *e, const char *start_path, const char *person, char *sub, size_t subn)
{
    json_t *d = wxtk_login(e, start_path, person);
    const char *tok = json_string_value(json_object_get(d, "token"));
    const char *id = json_string_value(json_object_get(d, "id"));
    assert_non_null(tok);
    assert_non_null(id);
    if (sub)
        snprintf(sub, subn, "%s", id);
    char *out = strdup(tok);
    json_decref(d);
    return out;
}

char *
wxtk_cli_ok(wxt_env_t *e, const char *const *argv)
{
    char *out = NULL;
    int rc = wxt_cli(e, &out, argv);
    if (rc != 0)
        fail_msg("wxauth %s %s exited %d: %.300s", argv[0], argv[1] ? argv[1] : "", rc,
                 out ? out : "");
    assert_non_null(out);
    return out;
}

bool
wxtk_find_secret(const char *text, char out[65])
{
    bool found = false;
    for (const char *p = text; *p;) {
        size_t n = 0;
        while (isxdigit((unsigned char)p[n]))
            n++;
        if (n == 64) {
            memcpy(out, p, 64);
            out[64] = '\0';
            found = true;
        }
        p += n ? n : 1;
    }
    return found;
}

/* ---- tokens ---- */

json_t *
wxtk_part(const char *token, int index)
{
    const char *start = token;
    for (int i = 0; i < index; i++) {
        start = strchr(start, '.');
        assert_non_null(start);
        start++;
    }
    const char *end = strchr(start, '.');
    size_t n = end ? (size_t)(end - start) : strlen(start);
    unsigned char *raw = NULL;
    size_t rn = 0;
    assert_int_equal(b64url_decode(start, n, &raw, &rn), WX_OK);
    json_error_t jerr;
    json_t *j = json_loadb((const char *)raw, rn, 0, &jerr);
    free(raw);
    if (!json_is_object(j))
        fail_msg("token part %d is not a JSON object", index);
    return j;
}

char *
wxtk_b64(const void *p, size_t n)
{
    wx_buf_t b;
    wx_buf_init(&b, 65536);
    assert_int_equal(b64url_encode(p, n, &b), WX_OK);
    char *s = wx_buf_steal(&b);
    return s ? s : strdup("");
}

char *
wxtk_craft(const char *header, const char *payload, const char *sig64)
{
    wx_buf_t b;
    wx_buf_init(&b, 65536);
    assert_int_equal(b64url_encode((const unsigned char *)header, strlen(header), &b), WX_OK);
    assert_int_equal(wx_buf_puts(&b, "."), WX_OK);
    assert_int_equal(b64url_encode((const unsigned char *)payload, strlen(payload), &b), WX_OK);
    assert_int_equal(wx_buf_puts(&b, "."), WX_OK);
    assert_int_equal(wx_buf_puts(&b, sig64), WX_OK);
    return wx_buf_steal(&b);
}

char *
wxtk_sign(const jwk_t *k, const char *header, const json_t *payload)
{
    wx_buf_t b;
    wx_err_t err = {0};
    char *text = json_dumps(payload, JSON_COMPACT);
    assert_non_null(text);
    wx_buf_init(&b, 65536);
    wx_status_t rc = header ? jws_sign_with_header(k, header, text, strlen(text), &b, &err)
                            : jws_sign(k, text, strlen(text), &b, &err);
    if (rc != WX_OK)
        fail_msg("signing failed: %s", err.msg);
    free(text);
    return wx_buf_steal(&b);
}

char *
wxtk_sign_hmac(const char *header, const json_t *payload, const void *secret, size_t n)
{
    char *text = json_dumps(payload, JSON_COMPACT);
    char *unsigned_tok = wxtk_craft(header, text, "");
    unsigned char mac[32];
    size_t maclen = 0;
    size_t in_len = strlen(unsigned_tok) - 1; /* without the trailing '.' */
    assert_non_null(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, secret, n,
                              (const unsigned char *)unsigned_tok, in_len, mac, sizeof(mac),
                              &maclen));
    char *sig = wxtk_b64(mac, maclen);
    size_t total = strlen(unsigned_tok) + strlen(sig) + 1;
    char *out = malloc(total);
    assert_non_null(out);
    snprintf(out, total, "%s%s", unsigned_tok, sig);
    free(sig);
    free(unsigned_tok);
    free(text);
    return out;
}

/* ---- the env's store and keys ---- */

store_t *
wxtk_store(wxt_env_t *e)
{
    store_t *st = NULL;
    wx_err_t err = {0};
    if (store_open(e->store_url, &st, &err) != WX_OK)
        fail_msg("cannot open the env's store: %s", err.msg);
    return st;
}

typedef struct {
    const char *kid;
    store_key_t *found;
} tk_key_walk_t;

static bool
tk_key_find(const store_key_t *k, void *arg)
{
    tk_key_walk_t *w = arg;
    if (strcmp(k->kid, w->kid) != 0)
        return true;
    *w->found = *k;
    w->kid = NULL;
    return false;
}

char *
wxtk_key_pem(wxt_env_t *e, const char *kid)
{
    char path[700], aad[STORE_ID_MAX + 16];
    seal_key_t mk = {0};
    wx_err_t err = {0};
    store_key_t *k = calloc(1, sizeof(*k));
    char *pem = calloc(1, STORE_PEM_MAX);
    assert_non_null(k);
    assert_non_null(pem);
    tk_key_walk_t w = {.kid = kid, .found = k};
    store_t *st = wxtk_store(e);
    if (store_key_each(st, tk_key_find, &w, &err) != WX_OK)
        fail_msg("cannot list keys: %s", err.msg);
    store_close(st);
    if (w.kid)
        fail_msg("no signing key %s in the store", kid);
    snprintf(path, sizeof(path), "%s/master.key", e->dir);
    if (seal_key_load(NULL, path, &mk, &err) != WX_OK)
        fail_msg("cannot load %s: %s", path, err.msg);
    /* The associated data keys.c binds a sealed signing key to. */
    snprintf(aad, sizeof(aad), "signing_key:%s", kid);
    if (seal_open(&mk, aad, k->private_pem, pem, STORE_PEM_MAX, &err) != WX_OK)
        fail_msg("cannot open signing key %s: %s", kid, err.msg);
    seal_key_wipe(&mk);
    OPENSSL_cleanse(k, sizeof(*k));
    free(k);
    return pem;
}

jwk_t *
wxtk_key(wxt_env_t *e, const char *kid)
{
    char *pem = wxtk_key_pem(e, kid);
    jwk_t *k = NULL;
    wx_err_t err = {0};
    if (jwk_from_pem(pem, kid, NULL, &k, &err) != WX_OK)
        fail_msg("cannot read signing key %s: %s", kid, err.msg);
    OPENSSL_cleanse(pem, strlen(pem));
    free(pem);
    return k;
}

bool
wxtk_log_has(wxt_env_t *e, const char *const *needles)
{
    char path[700], line[16384];
    bool found = false;
    snprintf(path, sizeof(path), "%s/wxauthd.log", e->dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    while (!found && fgets(line, sizeof(line), f)) {
        found = true;
        for (int i = 0; needles[i] && found; i++)
            found = strstr(line, needles[i]) != NULL;
    }
    fclose(f);
    return found;
}

/* ---- the online checks ---- */

typedef enum {
    EP_VALIDATE,
    EP_INTROSPECT,
    EP_ME,
    EP_LOGIN_STATUS,
    EP_AUTH_CHECK,
    EP_COUNT
} tk_endpoint_t;

static const char *const tk_ep_names[EP_COUNT] = {"validate_token", "introspection", "/oidc/me",
                                                  "login-status", "/auth/check"};

static void
tk_call(wxt_env_t *e, const wxtk_client_t *c, tk_endpoint_t ep, const char *token, wxtk_resp_t *out)
{
    char *esc = wxtk_escape(token);
    size_t tl = strlen(token), el = strlen(esc);
    char *url = malloc(el + 256), *bearer = malloc(tl + 32), *form = malloc(el + 16);
    char basic[600] = "", pair[300];
    assert_true(url && bearer && form);
    snprintf(bearer, tl + 32, "Authorization: Bearer %s", token);
    const char *hb[] = {bearer, NULL};
    int rc = -1;
    switch (ep) {
    case EP_VALIDATE:
        snprintf(url, el + 256, "%s/api/v2/oidc/validate_token?id_token=%s", e->auth, esc);
        rc = wxtk_http("GET", url, NULL, NULL, out);
        break;
    case EP_INTROSPECT: {
        unsigned char b64[512];
        snprintf(pair, sizeof(pair), "%s:%s", c->id, c->secret);
        EVP_EncodeBlock(b64, (const unsigned char *)pair, (int)strlen(pair));
        snprintf(basic, sizeof(basic), "Authorization: Basic %s", b64);
        const char *hi[] = {basic, "Content-Type: application/x-www-form-urlencoded", NULL};
        snprintf(url, el + 256, "%s/oidc/token/introspection", e->auth);
        snprintf(form, el + 16, "token=%s", esc);
        rc = wxtk_http("POST", url, hi, form, out);
        break;
    }
    case EP_ME:
        snprintf(url, el + 256, "%s/oidc/me", e->auth);
        rc = wxtk_http("GET", url, hb, NULL, out);
        break;
    case EP_LOGIN_STATUS:
        snprintf(url, el + 256, "%s/api/v2/users/login-status?token=%s", e->auth, esc);
        rc = wxtk_http("GET", url, NULL, NULL, out);
        break;
    case EP_AUTH_CHECK:
        snprintf(url, el + 256, "%s/auth/check", e->auth);
        rc = wxtk_http("GET", url, hb, NULL, out);
        break;
    case EP_COUNT:
        break;
    }
    if (rc != 0)
        fail_msg("%s: no answer from wxauthd", tk_ep_names[ep]);
    free(url);
    free(bearer);
    free(form);
    free(esc);
}

static const char *
tk_str(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "(missing)";
}

/* libwxauth's verdict, through `wxauth token verify` with wxauthd's JWKS and issuer: the CLI's
 * exit code (0 valid, 1 invalid); its stderr into *why (caller frees). */
static int
tk_offline(wxt_env_t *e, const char *token, const char *aud, char **why)
{
    char jwks[160], iss[160];
    snprintf(jwks, sizeof(jwks), "%s/oidc/.well-known/jwks.json", e->auth);
    snprintf(iss, sizeof(iss), "%s/oidc", e->auth);
    const char *argv[] = {"token", "verify", token,   "--jwks", jwks,
                          "--iss", iss,      "--aud", aud,      NULL};
    return wxt_cli_run(e, argv, NULL, NULL, why);
}

/* Rules only the server applies (see wxtk_expect_refused). */
static bool
tk_online_only(const char *token, const char *reason)
{
    if (strcmp(reason, "token revoked, or its user blocked or deleted") == 0 ||
        strcmp(reason, "no usable jti claim") == 0)
        return true;
    if (strcmp(reason, "wrong audience") != 0)
        return false;
    json_t *p = wxtk_part(token, 1);
    bool array = json_is_array(json_object_get(p, "aud"));
    json_decref(p);
    return array;
}

void
wxtk_expect_valid(wxt_env_t *e, const wxtk_client_t *c, const char *what, const char *token,
                  const char *sub)
{
    for (int ep = 0; ep < EP_COUNT; ep++) {
        wxtk_resp_t r;
        json_t *j = NULL;
        const char *name = tk_ep_names[ep];
        bool ok = false;
        tk_call(e, c, (tk_endpoint_t)ep, token, &r);
        switch ((tk_endpoint_t)ep) {
        case EP_VALIDATE:
            j = r.status == 200 ? wxtk_json(&r) : NULL;
            ok = j && !json_object_get(j, "code") && strcmp(tk_str(j, "sub"), sub) == 0 &&
                 json_is_string(json_object_get(j, "jti"));
            break;
        case EP_INTROSPECT:
            j = r.status == 200 ? wxtk_json(&r) : NULL;
            ok = j && json_is_true(json_object_get(j, "active")) &&
                 strcmp(tk_str(j, "sub"), sub) == 0;
            break;
        case EP_ME:
            j = r.status == 200 ? wxtk_json(&r) : NULL;
            ok = j && strcmp(tk_str(j, "sub"), sub) == 0;
            break;
        case EP_LOGIN_STATUS:
            j = r.status == 200 ? wxtk_json(&r) : NULL;
            ok = j && json_integer_value(json_object_get(j, "code")) == 200 &&
                 json_is_true(json_object_get(j, "status")) &&
                 strcmp(tk_str(json_object_get(j, "data"), "id"), sub) == 0;
            break;
        case EP_AUTH_CHECK:
            ok = r.status == 204 && r.user_id && strcmp(r.user_id, sub) == 0;
            break;
        case EP_COUNT:
            break;
        }
        if (!ok)
            fail_msg("%s: %s should accept the token of %s, answered %ld %.400s", what, name, sub,
                     r.status, r.body ? r.body : "");
        json_decref(j);
        wxtk_resp_free(&r);
    }
    json_t *h = wxtk_part(token, 0), *p = wxtk_part(token, 1);
    const char *aud = json_string_value(json_object_get(p, "aud"));
    if (strcmp(tk_str(h, "alg"), "HS256") != 0 && aud) {
        char *why = NULL;
        if (tk_offline(e, token, aud, &why) != 0)
            fail_msg("%s: libwxauth should accept the token of %s: %s", what, sub, why);
        free(why);
    }
    json_decref(h);
    json_decref(p);
}

void
wxtk_expect_refused(wxt_env_t *e, const wxtk_client_t *c, const char *what, const char *token,
                    const char *reason)
{
    bool expired = strcmp(reason, "token expired") == 0;
    for (int ep = 0; ep < EP_COUNT; ep++) {
        wxtk_resp_t r;
        json_t *j = NULL;
        const char *name = tk_ep_names[ep];
        bool ok = false;
        tk_call(e, c, (tk_endpoint_t)ep, token, &r);
        switch ((tk_endpoint_t)ep) {
        case EP_VALIDATE:
            /* HTTP 200 like Authing; the body says why (docs/api.md). */
            j = r.status == 200 ? wxtk_json(&r) : NULL;
            ok = j && json_object_size(j) == 3 &&
                 json_integer_value(json_object_get(j, "code")) == 400 &&
                 strcmp(tk_str(j, "message"), "id_token 不合法") == 0 &&
                 strcmp(tk_str(j, "reason"), reason) == 0;
            break;
        case EP_INTROSPECT:
            j = r.status == 200 ? wxtk_json(&r) : NULL;
            ok = j && json_object_size(j) == 1 && json_is_false(json_object_get(j, "active"));
            break;
        case EP_ME:
            j = r.status == 401 ? wxtk_json(&r) : NULL;
            ok = j && r.www_authenticate &&
                 strstr(r.www_authenticate, "Bearer error=\"invalid_token\"") ==
                     r.www_authenticate &&
                 strcmp(tk_str(j, "error"), "invalid_token") == 0 &&
                 strcmp(tk_str(j, "error_description"), reason) == 0;
            break;
        case EP_LOGIN_STATUS:
            j = r.status == 200 ? wxtk_json(&r) : NULL;
            ok = j && json_integer_value(json_object_get(j, "code")) == (expired ? 2206 : 2207) &&
                 json_is_false(json_object_get(j, "status")) &&
                 json_is_null(json_object_get(j, "data")) &&
                 json_is_null(json_object_get(j, "exp")) && json_is_null(json_object_get(j, "iat"));
            break;
        case EP_AUTH_CHECK:
            ok =
                r.status == 401 && !r.user_id && r.www_authenticate &&
                strcmp(r.www_authenticate, "Bearer realm=\"wxauth\", error=\"invalid_token\"") == 0;
            break;
        case EP_COUNT:
            break;
        }
        if (!ok)
            fail_msg("%s: %s should refuse the token (%s), answered %ld [%s] %.400s", what, name,
                     reason, r.status, r.www_authenticate ? r.www_authenticate : "",
                     r.body ? r.body : "");
        json_decref(j);
        wxtk_resp_free(&r);
    }
    if (!c->pool)
        fail_msg("%s: the client has no pool to verify offline against", what);
    if (!tk_online_only(token, reason)) {
        char *why = NULL;
        int rc = tk_offline(e, token, c->pool, &why);
        if (rc != 1 || !strstr(why, "invalid token: "))
            fail_msg("%s: libwxauth should refuse the token (%s), exit %d: %s", what, reason, rc,
                     why);
        free(why);
    }
}

void
wxtk_expect_refused_within_bound(wxt_env_t *e, const wxtk_client_t *c, const char *what,
                                 const char *token, const char *reason, int64_t written_ms)
{
    /* A worker's answer was read before the write returned, so a request sent once the bound
     * has passed since then must be refused, however long it then takes to be answered. */
    int64_t bound = written_ms + TOKEN_REVOCATION_TTL_MS;
    for (;;) {
        wxtk_resp_t r;
        int64_t sent = wx_mono_ms();
        tk_call(e, c, EP_AUTH_CHECK, token, &r);
        long st = r.status;
        wxtk_resp_free(&r);
        if (st == 401)
            break;
        if (st != 204)
            fail_msg("%s: /auth/check answered %ld", what, st);
        if (sent >= bound)
            fail_msg(
                "%s: /auth/check still accepts the token %lld ms after the change (bound %d ms)",
                what, (long long)(sent - written_ms), TOKEN_REVOCATION_TTL_MS);
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    /* Another worker may have read its answer later, but still before the change. */
    int64_t left = bound - wx_mono_ms();
    if (left > 0) {
        struct timespec ts = {left / 1000, (left % 1000) * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    wxtk_expect_refused(e, c, what, token, reason);
}

void
wxtk_app_create(wxt_env_t *e, const char *const *argv, char secret[65])
{
    char *out = wxtk_cli_ok(e, argv);
    if (!wxtk_find_secret(out, secret))
        fail_msg("no application secret in: %s", out);
    free(out);
}

void
wxtk_pool_with_connection(wxt_env_t *e, const char *pool, const char *alg)
{
    free(wxtk_cli_ok(e, (const char *const[]){"pool", "create", pool, "--alg", alg, NULL}));
    free(wxtk_cli_ok(e, (const char *const[]){"connection", "set", "--pool", pool, "--appid",
                                              WXT_APPID, "--secret-env", "WXT_SECRET", "--callback",
                                              e->callback, NULL}));
}
