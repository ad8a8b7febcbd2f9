/* wxauth as an OpenID Connect provider (issue #13): the discovery document at every URL that
 * serves it has each field OIDC Discovery 1.0 §3 requires, one issuer, and nothing it does not
 * implement (each advertised endpoint answers); the code flow through the emulator, with its
 * tokens checked independently (at_hash recomputed here); and the attack cases: code replay,
 * a code for another client, redirect_uri mismatch, PKCE downgrade and wrong verifier,
 * refresh-token reuse, prompt=none without a session, errors before the client is known. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <libpq-fe.h>
#include <openssl/evp.h>
#include <sqlite3.h>

#include "harness.h"
#include "harness_tokens.h"
#include "util/url.h"

static wxt_env_t env;
static char web_secret[65], other_secret[65];

#define WEB_CB "http://127.0.0.1:9/oidc-cb"
#define SPA_CB "http://127.0.0.1:9/spa-cb"
/* RFC 7636 Appendix B */
#define VERIFIER "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
#define CHALLENGE "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"

static int
group_setup(void **state)
{
    wxt_setup(&env, NULL);
    wxtk_app_create(&env,
                    (const char *const[]){"app", "create", "oidc-web", "--pool", "demo",
                                          "--redirect", WEB_CB, "--redirect",
                                          "http://127.0.0.1:9/oidc-*", NULL},
                    web_secret);
    wxtk_app_create(&env,
                    (const char *const[]){"app", "create", "oidc-other", "--pool", "demo",
                                          "--redirect", WEB_CB, NULL},
                    other_secret);
    char unused[65];
    wxtk_app_create(&env,
                    (const char *const[]){"app", "create", "oidc-spa", "--pool", "demo", "--public",
                                          "--redirect", SPA_CB, NULL},
                    unused);
    wxtk_app_create(&env,
                    (const char *const[]){"app", "create", "oidc-spa2", "--pool", "demo",
                                          "--public", "--redirect", SPA_CB, NULL},
                    unused);
    wxtk_person_add(&env, "oidc-alice", "Alice");
    wxtk_person_add(&env, "oidc-bob", "Bob");
    return 0;
}

static int
group_teardown(void **state)
{
    wxt_teardown(&env);
    return 0;
}

static const char *const discovery_paths[] = {
    "/oidc/.well-known/openid-configuration",
    "/.well-known/openid-configuration",
    "/.well-known/openid-configuration/oidc",
    "/.well-known/oauth-authorization-server/oidc",
};

static json_t *
get_json(const char *path)
{
    char url[512];
    wxt_resp_t r = {0};
    snprintf(url, sizeof(url), "%s%s", env.auth, path);
    assert_int_equal(wxt_http("GET", url, NULL, &r), 0);
    if (r.status != 200)
        fail_msg("%s: want 200, got %ld %.200s", path, r.status, r.body);
    if (!r.content_type || !strstr(r.content_type, "application/json"))
        fail_msg("%s: content type %s", path, r.content_type ? r.content_type : "(none)");
    json_error_t je;
    json_t *doc = json_loads(r.body, 0, &je);
    if (!json_is_object(doc))
        fail_msg("%s: not a JSON object: %.200s", path, r.body);
    wxt_resp_free(&r);
    return doc;
}

static bool
list_has(json_t *doc, const char *key, const char *value)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(doc, key), i, v)
    {
        if (json_is_string(v) && strcmp(json_string_value(v), value) == 0)
            return true;
    }
    return false;
}

/* The keys this server implements; anything else advertised is a lie (or a shifted key). */
static const char *const known_keys[] = {
    "issuer",
    "authorization_endpoint",
    "token_endpoint",
    "userinfo_endpoint",
    "jwks_uri",
    "end_session_endpoint",
    "introspection_endpoint",
    "revocation_endpoint",
    "response_types_supported",
    "response_modes_supported",
    "grant_types_supported",
    "subject_types_supported",
    "scopes_supported",
    "id_token_signing_alg_values_supported",
    "token_endpoint_auth_methods_supported",
    "introspection_endpoint_auth_methods_supported",
    "revocation_endpoint_auth_methods_supported",
    "code_challenge_methods_supported",
    "claims_supported",
    "prompt_values_supported",
    "authorization_response_iss_parameter_supported",
    "request_parameter_supported",
    "request_uri_parameter_supported",
    "claims_parameter_supported",
};

/* Status of an endpoint hit with the method it serves and no parameters: anything but "no
 * such route" (404) or "wrong method" (405) shows it is implemented. */
static long
endpoint_status(const char *key, const char *url)
{
    bool post = strcmp(key, "token_endpoint") == 0 || strcmp(key, "introspection_endpoint") == 0 ||
                strcmp(key, "revocation_endpoint") == 0;
    wxt_resp_t r = {0};
    assert_int_equal(wxt_http_headers(post ? "POST" : "GET", url, NULL, post ? "" : NULL, &r), 0);
    long st = r.status;
    wxt_resp_free(&r);
    return st;
}

static void
check_document(const char *path, json_t *doc)
{
    char issuer[128];
    snprintf(issuer, sizeof(issuer), "%s/oidc", env.auth);
    const char *iss = json_string_value(json_object_get(doc, "issuer"));
    if (!iss || strcmp(iss, issuer) != 0)
        fail_msg("%s: issuer %s, want %s", path, iss ? iss : "(none)", issuer);
    /* OIDC Discovery §3: REQUIRED metadata. */
    const char *required_lists[] = {"response_types_supported", "subject_types_supported",
                                    "id_token_signing_alg_values_supported"};
    for (size_t i = 0; i < sizeof(required_lists) / sizeof(required_lists[0]); i++) {
        json_t *v = json_object_get(doc, required_lists[i]);
        if (!json_is_array(v) || json_array_size(v) == 0)
            fail_msg("%s: %s missing or empty", path, required_lists[i]);
        size_t j;
        json_t *s;
        json_array_foreach(v, j, s)
        {
            if (!json_is_string(s))
                fail_msg("%s: %s holds a non-string", path, required_lists[i]);
        }
    }
    if (!list_has(doc, "id_token_signing_alg_values_supported", "RS256"))
        fail_msg("%s: RS256 must be supported (§3)", path);
    if (!list_has(doc, "scopes_supported", "openid"))
        fail_msg("%s: scopes_supported must list openid", path);
    if (!json_is_string(json_object_get(doc, "authorization_endpoint")) ||
        !json_is_string(json_object_get(doc, "jwks_uri")))
        fail_msg("%s: authorization_endpoint and jwks_uri are required", path);
    if (list_has(doc, "response_types_supported", "code") &&
        !json_is_string(json_object_get(doc, "token_endpoint")))
        fail_msg("%s: the code flow needs a token_endpoint", path);
    /* Nothing unknown, and every URL answers on this server. */
    const char *key;
    json_t *v;
    json_object_foreach(doc, key, v)
    {
        bool known = false;
        for (size_t i = 0; i < sizeof(known_keys) / sizeof(known_keys[0]); i++)
            known = known || strcmp(key, known_keys[i]) == 0;
        if (!known)
            fail_msg("%s: advertises unknown key \"%s\"", path, key);
        size_t kl = strlen(key);
        bool is_url =
            strcmp(key, "jwks_uri") == 0 || (kl > 9 && strcmp(key + kl - 9, "_endpoint") == 0);
        if (!is_url)
            continue;
        const char *url = json_string_value(v);
        if (!url || strncmp(url, env.auth, strlen(env.auth)) != 0)
            fail_msg("%s: %s is not on this server: %s", path, key, url ? url : "(none)");
        long st = endpoint_status(key, url);
        if (st == 404 || st == 405 || st == 0)
            fail_msg("%s: %s (%s) is not implemented: %ld", path, key, url, st);
    }
}

static void
test_discovery_documents(void **state)
{
    json_t *first = NULL;
    for (size_t i = 0; i < sizeof(discovery_paths) / sizeof(discovery_paths[0]); i++) {
        json_t *doc = get_json(discovery_paths[i]);
        check_document(discovery_paths[i], doc);
        if (!first)
            first = doc;
        else {
            if (!json_equal(first, doc))
                fail_msg("%s differs from %s", discovery_paths[i], discovery_paths[0]);
            json_decref(doc);
        }
    }
    json_decref(first);
}

/* ---- the code flow ---- */

/* The value of parameter key in a URL's query (caller frees), or NULL. */
static char *
url_param(const char *url, const char *key)
{
    const char *q = url ? strchr(url, '?') : NULL;
    wx_query_t qs;
    char *v = NULL;
    if (!q || wx_query_parse(q + 1, &qs, NULL) != WX_OK)
        return NULL;
    const char *x = wx_query_get(&qs, key);
    v = x ? strdup(x) : NULL;
    wx_query_free(&qs);
    return v;
}

/* GET /oidc/auth?client_id=…&redirect_uri=…&<extra> in browser b; when it goes to WeChat, sign
 * person in there. Returns the final answer (a redirect to the client, or a page). */
static void
authorize(wxt_browser_t *b, const char *client, const char *redirect, const char *extra,
          wxt_resp_t *out)
{
    char url[2048];
    char *ru = wxtk_escape(redirect);
    snprintf(url, sizeof(url), "%s/oidc/auth?client_id=%s&redirect_uri=%s%s%s", env.auth, client,
             ru, extra && *extra ? "&" : "", extra ? extra : "");
    free(ru);
    /* wxt_login's steps, stopping at the first answer that is not a way to WeChat. */
    wxt_resp_t r1 = {0};
    assert_int_equal(wxt_get(b, url, &r1), 0);
    if (r1.status != 302 || !r1.location || strncmp(r1.location, env.emu, strlen(env.emu)) != 0) {
        *out = r1;
        return;
    }
    wxt_resp_free(&r1);
    wxt_login(b, url, "oidc-alice", "allow", out, NULL, 0);
}

/* A code for client at redirect (state "st-1"); asserts the answer is one. Caller frees. */
static char *
get_code(wxt_browser_t *b, const char *client, const char *redirect, const char *extra)
{
    wxt_resp_t r = {0};
    char want[256];
    authorize(b, client, redirect, extra, &r);
    if (r.status != 302 || !r.location || strncmp(r.location, redirect, strlen(redirect)) != 0)
        fail_msg("authorize %s: want a redirect to %s, got %ld %s %.300s", client, redirect,
                 r.status, r.location ? r.location : "", r.body ? r.body : "");
    char *code = url_param(r.location, "code");
    char *state = url_param(r.location, "state");
    char *iss = url_param(r.location, "iss");
    snprintf(want, sizeof(want), "%s/oidc", env.auth);
    if (!code || !state || strcmp(state, "st-1") != 0 || !iss || strcmp(iss, want) != 0)
        fail_msg("answer lacks code, state st-1 or iss %s: %s", want, r.location);
    free(state);
    free(iss);
    wxt_resp_free(&r);
    return code;
}

static char *
basic(const char *id, const char *secret)
{
    char plain[200], *out = malloc(400);
    int n = snprintf(plain, sizeof(plain), "%s:%s", id, secret);
    snprintf(out, 400, "Authorization: Basic ");
    EVP_EncodeBlock((unsigned char *)out + strlen(out), (const unsigned char *)plain, n);
    return out;
}

/* POST /oidc/token with body; client "id:secret" by Basic, or secret NULL: none. */
static json_t *
token_call(const char *id, const char *secret, const char *body, long want_status)
{
    char url[256];
    wxtk_resp_t r = {0};
    char *auth = secret ? basic(id, secret) : NULL;
    const char *h[] = {"Content-Type: application/x-www-form-urlencoded", auth, NULL};
    snprintf(url, sizeof(url), "%s/oidc/token", env.auth);
    assert_int_equal(wxtk_http("POST", url, h, body, &r), 0);
    if (r.status != want_status)
        fail_msg("token %s: want %ld, got %ld %s", body, want_status, r.status, r.body);
    json_t *j = wxtk_json(&r);
    wxtk_resp_free(&r);
    free(auth);
    return j;
}

static json_t *
redeem(const char *id, const char *secret, const char *code, const char *redirect,
       const char *extra, long want_status)
{
    char body[2048];
    char *ru = wxtk_escape(redirect);
    snprintf(body, sizeof(body), "grant_type=authorization_code&code=%s&redirect_uri=%s%s%s", code,
             ru, extra ? "&" : "", extra ? extra : "");
    free(ru);
    return token_call(id, secret, body, want_status);
}

static void
expect_error(json_t *j, const char *error)
{
    const char *e = json_string_value(json_object_get(j, "error"));
    if (!e || strcmp(e, error) != 0)
        fail_msg("want error %s, got %s", error, json_dumps(j, 0));
    assert_non_null(json_string_value(json_object_get(j, "error_description")));
    json_decref(j);
}

static long
me_status(const char *access_token)
{
    char url[256], hdr[4096];
    wxtk_resp_t r = {0};
    snprintf(url, sizeof(url), "%s/oidc/me", env.auth);
    snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s", access_token);
    const char *h[] = {hdr, NULL};
    assert_int_equal(wxtk_http("GET", url, h, NULL, &r), 0);
    long st = r.status;
    wxtk_resp_free(&r);
    return st;
}

/* at_hash recomputed here (OIDC Core §3.1.3.6), independently of the server's code. */
static void
check_at_hash(const char *alg, const char *access_token, const char *at_hash)
{
    unsigned char md[64];
    unsigned int n = 0;
    assert_string_equal(alg, "RS256");
    EVP_Digest(access_token, strlen(access_token), md, &n, EVP_sha256(), NULL);
    char *want = wxtk_b64(md, n / 2);
    assert_string_equal(at_hash, want);
    free(want);
}

static void
test_code_flow(void **state)
{
    wxt_browser_t *b = wxt_browser_new(WXT_WECHAT_UA);
    char *code = get_code(b, "oidc-web", WEB_CB,
                          "response_type=code&scope=openid%20profile&state=st-1&nonce=n-42&"
                          "code_challenge=" CHALLENGE "&code_challenge_method=S256");
    json_t *t = redeem("oidc-web", web_secret, code, WEB_CB, "code_verifier=" VERIFIER, 200);
    const char *at = json_string_value(json_object_get(t, "access_token"));
    const char *idt = json_string_value(json_object_get(t, "id_token"));
    const char *rt = json_string_value(json_object_get(t, "refresh_token"));
    assert_non_null(at);
    assert_non_null(idt);
    assert_non_null(rt);
    assert_string_equal(json_string_value(json_object_get(t, "token_type")), "Bearer");
    assert_true(json_integer_value(json_object_get(t, "expires_in")) > 0);
    json_t *h = wxtk_part(idt, 0), *c = wxtk_part(idt, 1);
    char iss[128];
    snprintf(iss, sizeof(iss), "%s/oidc", env.auth);
    assert_string_equal(json_string_value(json_object_get(c, "iss")), iss);
    assert_string_equal(json_string_value(json_object_get(c, "aud")), "oidc-web");
    assert_string_equal(json_string_value(json_object_get(c, "nonce")), "n-42");
    assert_non_null(json_string_value(json_object_get(c, "sub")));
    assert_non_null(json_string_value(json_object_get(c, "sid")));
    int64_t iat = json_integer_value(json_object_get(c, "iat"));
    int64_t auth_time = json_integer_value(json_object_get(c, "auth_time"));
    assert_true(auth_time > 0 && auth_time <= iat);
    assert_true(json_integer_value(json_object_get(c, "exp")) > iat);
    check_at_hash(json_string_value(json_object_get(h, "alg")), at,
                  json_string_value(json_object_get(c, "at_hash")));
    /* Both tokens pass the online checks; the access token reads the profile. */
    assert_int_equal(me_status(at), 200);
    assert_int_equal(me_status(idt), 200);
    /* Refresh: new tokens, same sid and auth_time, no nonce. */
    char body[512];
    snprintf(body, sizeof(body), "grant_type=refresh_token&refresh_token=%s", rt);
    json_t *t2 = token_call("oidc-web", web_secret, body, 200);
    json_t *c2 = wxtk_part(json_string_value(json_object_get(t2, "id_token")), 1);
    assert_string_equal(json_string_value(json_object_get(c2, "sid")),
                        json_string_value(json_object_get(c, "sid")));
    assert_int_equal(json_integer_value(json_object_get(c2, "auth_time")), auth_time);
    assert_null(json_object_get(c2, "nonce"));
    assert_string_not_equal(json_string_value(json_object_get(t2, "refresh_token")), rt);
    json_decref(c2);
    json_decref(t2);
    json_decref(h);
    json_decref(c);
    json_decref(t);
    free(code);
    wxt_browser_free(b);
}

/* One statement on the env's store, SQLite or PostgreSQL. */
/* One integer from the env's store, SQLite or PostgreSQL. */
static long long
store_count(const char *sql)
{
    long long v = -1;
    if (strncmp(env.store_url, "sqlite:", 7) == 0) {
        sqlite3 *db = NULL;
        sqlite3_stmt *st = NULL;
        assert_int_equal(sqlite3_open(env.store_url + 7, &db), SQLITE_OK);
        sqlite3_busy_timeout(db, 5000);
        assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        v = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        sqlite3_close(db);
    } else {
        PGconn *c = PQconnectdb(env.store_url);
        assert_int_equal(PQstatus(c), CONNECTION_OK);
        PGresult *r = PQexec(c, sql);
        assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
        v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        PQclear(r);
        PQfinish(c);
    }
    return v;
}

/* HEAD (a link checker, a chat app's preview) of the two GETs that write: /oidc/auth with a
 * session and the WeChat callback. Refused (405, Allow) with no effect: no code minted, the
 * session not touched, the state not claimed and WeChat's code not spent — the GET after
 * still logs in. */
static void
test_head_no_effects(void **state)
{
    (void)state;
    wxt_browser_t *b = wxt_browser_new(WXT_WECHAT_UA);
    char *code = get_code(b, "oidc-web", WEB_CB, "response_type=code&scope=openid&state=st-1");
    free(code);
    char url[1024], allow[64];
    wxt_resp_t r = {0};
    snprintf(url, sizeof(url),
             "%s/oidc/auth?client_id=oidc-web&redirect_uri=http%%3A%%2F%%2F127.0.0.1%%3A9%%2F"
             "oidc-cb&response_type=code&scope=openid&state=st-1&prompt=none",
             env.auth);
    long long codes = store_count("SELECT count(*) FROM oidc_codes");
    long long seen = store_count("SELECT coalesce(sum(seen_at), 0) FROM oidc_sessions");
    sleep(1); /* a touched session would show a later seen_at */
    assert_int_equal(wxt_head(b, url, &r), 0);
    if (r.status != 405)
        fail_msg("HEAD /oidc/auth: want 405, got %ld %s", r.status, r.location ? r.location : "");
    assert_true(wxt_resp_header(&r, "Allow", allow, sizeof(allow)));
    assert_non_null(strstr(allow, "GET"));
    wxt_resp_free(&r);
    assert_int_equal(store_count("SELECT count(*) FROM oidc_codes"), codes);
    assert_int_equal(store_count("SELECT coalesce(sum(seen_at), 0) FROM oidc_sessions"), seen);
    wxt_browser_free(b);

    /* The WeChat callback: HEAD first, then the browser's GET still logs in, once. */
    wxt_browser_t *w = wxt_browser_new(NULL);
    wxt_resp_t r1 = {0}, r2 = {0}, fin = {0};
    snprintf(url, sizeof(url), "%s/oauth/wechatmp/url/demo", env.auth);
    assert_int_equal(wxt_get(w, url, &r1), 0);
    assert_int_equal(r1.status, 302);
    snprintf(url, sizeof(url), "%.*s&emu_person=oidc-alice&emu_action=allow",
             (int)strcspn(r1.location, "#"), r1.location);
    assert_int_equal(wxt_get(w, url, &r2), 0);
    assert_int_equal(r2.status, 302);
    long before = wxt_emu_calls(&env, "access_token");
    assert_int_equal(wxt_head(w, r2.location, &r), 0);
    if (r.status != 405)
        fail_msg("HEAD callback: want 405, got %ld %s", r.status, r.location ? r.location : "");
    assert_true(wxt_resp_header(&r, "Allow", allow, sizeof(allow)));
    wxt_resp_free(&r);
    assert_int_equal(wxt_emu_calls(&env, "access_token"), before);
    assert_int_equal(wxt_get(w, r2.location, &fin), 0);
    wxt_result_t res;
    if (fin.status != 302 || !wxt_parse_result(&env, fin.location, &res))
        fail_msg("GET after HEAD: %ld %.300s", fin.status, fin.body ? fin.body : "");
    assert_int_equal(res.code, 200);
    assert_int_equal(wxt_emu_calls(&env, "access_token"), before + 1);
    wxt_result_free(&res);
    wxt_resp_free(&r1);
    wxt_resp_free(&r2);
    wxt_resp_free(&fin);
    wxt_browser_free(w);
}

/* A public client (client_id alone) while its row cannot be read: the store failed, not the
 * client, so 503 temporarily_unavailable (it may retry), never 401 invalid_client. */
static void
test_public_client_store_failure(void **state)
{
    (void)state;
    const char *body = "grant_type=authorization_code&code=nope&client_id=oidc-spa&"
                       "redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fspa-cb&code_verifier=" VERIFIER;
    wxt_store_exec(&env, "ALTER TABLE applications RENAME TO applications_away");
    char url[256];
    wxtk_resp_t r = {0};
    const char *h[] = {"Content-Type: application/x-www-form-urlencoded", NULL};
    snprintf(url, sizeof(url), "%s/oidc/token", env.auth);
    int got = wxtk_http("POST", url, h, body, &r);
    wxt_store_exec(&env, "ALTER TABLE applications_away RENAME TO applications");
    assert_int_equal(got, 0);
    if (r.status != 503)
        fail_msg("want 503, got %ld %s", r.status, r.body);
    json_t *j = wxtk_json(&r);
    expect_error(j, "temporarily_unavailable");
    wxtk_resp_free(&r);
    /* The store back: the code is simply unknown. */
    expect_error(token_call("oidc-spa", NULL, body, 400), "invalid_grant");
}

/* A code comes back: refused, and what it issued is taken back (RFC 6749 §4.1.2). */
static void
test_code_replay(void **state)
{
    wxt_browser_t *b = wxt_browser_new(WXT_WECHAT_UA);
    char *code = get_code(b, "oidc-web", WEB_CB, "response_type=code&scope=openid&state=st-1");
    json_t *t = redeem("oidc-web", web_secret, code, WEB_CB, NULL, 200);
    char *at = strdup(json_string_value(json_object_get(t, "access_token")));
    char *rt = strdup(json_string_value(json_object_get(t, "refresh_token")));
    json_decref(t);
    assert_int_equal(me_status(at), 200);
    expect_error(redeem("oidc-web", web_secret, code, WEB_CB, NULL, 400), "invalid_grant");
    assert_int_equal(me_status(at), 401);
    char body[512];
    snprintf(body, sizeof(body), "grant_type=refresh_token&refresh_token=%s", rt);
    expect_error(token_call("oidc-web", web_secret, body, 400), "invalid_grant");
    free(at);
    free(rt);
    free(code);
    wxt_browser_free(b);
}

static void
test_code_for_another_client(void **state)
{
    wxt_browser_t *b = wxt_browser_new(WXT_WECHAT_UA);
    char *code = get_code(b, "oidc-web", WEB_CB, "response_type=code&scope=openid&state=st-1");
    expect_error(redeem("oidc-other", other_secret, code, WEB_CB, NULL, 400), "invalid_grant");
    /* And wrong credentials are the client's fault (401), whatever the code. */
    expect_error(redeem("oidc-web", other_secret, code, WEB_CB, NULL, 401), "invalid_client");
    expect_error(redeem("oidc-web", NULL, code, WEB_CB, "client_id=oidc-web", 401),
                 "invalid_client");
    free(code);
    wxt_browser_free(b);
}

static void
test_redirect_uri_mismatch(void **state)
{
    wxt_browser_t *b = wxt_browser_new(WXT_WECHAT_UA);
    /* Unregistered, a prefix trick, a pattern's match (patterns serve only the Authing flow),
     * a case change: each an error page here, never a redirect. */
    const char *bad[] = {"http://evil.example/cb", WEB_CB "/x", WEB_CB "?a=1",
                         "http://127.0.0.1:9/oidc-x", "http://127.0.0.1:9/OIDC-cb"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        wxt_resp_t r = {0};
        authorize(b, "oidc-web", bad[i], "response_type=code&scope=openid&state=st-1", &r);
        if (r.status != 400 || r.location)
            fail_msg("%s: want a 400 page, got %ld %s", bad[i], r.status,
                     r.location ? r.location : "");
        wxt_resp_free(&r);
    }
    /* Unknown or missing client: a page too. */
    wxt_resp_t r = {0};
    authorize(b, "nobody", WEB_CB, "response_type=code&scope=openid", &r);
    assert_int_equal(r.status, 400);
    assert_null(r.location);
    wxt_resp_free(&r);
    /* At the token endpoint: the code's redirect_uri, exactly. */
    char *code = get_code(b, "oidc-web", WEB_CB, "response_type=code&scope=openid&state=st-1");
    expect_error(redeem("oidc-web", web_secret, code, WEB_CB "/", NULL, 400), "invalid_grant");
    free(code);
    wxt_browser_free(b);
}

/* Errors once the client is known go back to it, with the state. */
static void
expect_auth_error(wxt_browser_t *b, const char *client, const char *redirect, const char *extra,
                  const char *error)
{
    wxt_resp_t r = {0};
    authorize(b, client, redirect, extra, &r);
    char *e = url_param(r.location, "error");
    char *st = url_param(r.location, "state");
    if (r.status != 302 || !e || strcmp(e, error) != 0 || !st || strcmp(st, "st-1") != 0)
        fail_msg("%s: want error=%s&state=st-1 at %s, got %ld %s", extra, error, redirect, r.status,
                 r.location ? r.location : "(no redirect)");
    free(e);
    free(st);
    wxt_resp_free(&r);
}

static void
test_pkce(void **state)
{
    wxt_browser_t *b = wxt_browser_new(WXT_WECHAT_UA);
    const char *pkce = "response_type=code&scope=openid&state=st-1&code_challenge=" CHALLENGE
                       "&code_challenge_method=S256";
    /* Downgrade: a challenge, then no verifier. */
    char *code = get_code(b, "oidc-web", WEB_CB, pkce);
    expect_error(redeem("oidc-web", web_secret, code, WEB_CB, NULL, 400), "invalid_grant");
    free(code);
    /* A wrong verifier. */
    code = get_code(b, "oidc-web", WEB_CB, pkce);
    expect_error(redeem("oidc-web", web_secret, code, WEB_CB,
                        "code_verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXX", 400),
                 "invalid_grant");
    free(code);
    /* A verifier where no challenge was made (injected code). */
    code = get_code(b, "oidc-web", WEB_CB, "response_type=code&scope=openid&state=st-1");
    expect_error(redeem("oidc-web", web_secret, code, WEB_CB, "code_verifier=" VERIFIER, 400),
                 "invalid_grant");
    free(code);
    /* The plain method, and a public client without PKCE, are refused at the start. */
    expect_auth_error(b, "oidc-web", WEB_CB,
                      "response_type=code&scope=openid&state=st-1&code_challenge=" CHALLENGE
                      "&code_challenge_method=plain",
                      "invalid_request");
    expect_auth_error(b, "oidc-spa", SPA_CB, "response_type=code&scope=openid&state=st-1",
                      "invalid_request");
    expect_auth_error(b, "oidc-web", WEB_CB, "response_type=token&scope=openid&state=st-1",
                      "unsupported_response_type");
    expect_auth_error(b, "oidc-web", WEB_CB, "response_type=code&scope=profile&state=st-1",
                      "invalid_scope");
    /* The public client: none + PKCE. */
    code = get_code(b, "oidc-spa", SPA_CB,
                    "response_type=code&scope=openid&state=st-1&code_challenge=" CHALLENGE
                    "&code_challenge_method=S256");
    json_t *t =
        redeem("oidc-spa", NULL, code, SPA_CB, "client_id=oidc-spa&code_verifier=" VERIFIER, 200);
    assert_non_null(json_string_value(json_object_get(t, "id_token")));
    json_decref(t);
    free(code);
    wxt_browser_free(b);
}

/* A refresh token used twice: the family (its successor too) is revoked. */
static void
test_refresh_reuse(void **state)
{
    wxt_browser_t *b = wxt_browser_new(WXT_WECHAT_UA);
    char body[512];
    char *code = get_code(b, "oidc-web", WEB_CB, "response_type=code&scope=openid&state=st-1");
    json_t *t = redeem("oidc-web", web_secret, code, WEB_CB, NULL, 200);
    char *rt1 = strdup(json_string_value(json_object_get(t, "refresh_token")));
    json_decref(t);
    snprintf(body, sizeof(body), "grant_type=refresh_token&refresh_token=%s", rt1);
    t = token_call("oidc-web", web_secret, body, 200);
    char *rt2 = strdup(json_string_value(json_object_get(t, "refresh_token")));
    json_decref(t);
    /* Another client cannot use it... (and that use counts: rt2 is now rotated) */
    snprintf(body, sizeof(body), "grant_type=refresh_token&refresh_token=%s", rt1);
    expect_error(token_call("oidc-web", web_secret, body, 400), "invalid_grant");
    snprintf(body, sizeof(body), "grant_type=refresh_token&refresh_token=%s", rt2);
    expect_error(token_call("oidc-web", web_secret, body, 400), "invalid_grant");
    expect_error(token_call("oidc-web", web_secret, "grant_type=password&username=a", 400),
                 "unsupported_grant_type");
    free(rt1);
    free(rt2);
    free(code);
    wxt_browser_free(b);
}

/* POST /oidc/token/revocation with a refresh token (RFC 7009 §2.1): another client is told no;
 * its own client (or anyone holding it, without credentials) revokes the family, and the
 * token, and the one rotated from it, no longer refresh. An unknown token: 200, nothing. */
static long
revoke_call(const char *id, const char *secret, const char *token, char **body_out)
{
    char url[256], body[512];
    wxtk_resp_t r = {0};
    char *auth = secret ? basic(id, secret) : NULL;
    const char *h[] = {"Content-Type: application/x-www-form-urlencoded", auth, NULL};
    snprintf(url, sizeof(url), "%s/oidc/token/revocation", env.auth);
    snprintf(body, sizeof(body), "token=%s&token_type_hint=refresh_token", token);
    assert_int_equal(wxtk_http("POST", url, h, body, &r), 0);
    long st = r.status;
    if (body_out)
        *body_out = strdup(r.body ? r.body : "");
    wxtk_resp_free(&r);
    free(auth);
    return st;
}

static void
test_refresh_revocation(void **state)
{
    wxt_browser_t *b = wxt_browser_new(WXT_WECHAT_UA);
    char body[512], *said = NULL;
    char *code = get_code(b, "oidc-web", WEB_CB, "response_type=code&scope=openid&state=st-1");
    json_t *t = redeem("oidc-web", web_secret, code, WEB_CB, NULL, 200);
    char *rt1 = strdup(json_string_value(json_object_get(t, "refresh_token")));
    json_decref(t);
    snprintf(body, sizeof(body), "grant_type=refresh_token&refresh_token=%s", rt1);
    t = token_call("oidc-web", web_secret, body, 200);
    char *rt2 = strdup(json_string_value(json_object_get(t, "refresh_token")));
    json_decref(t);
    assert_int_equal(revoke_call("oidc-other", other_secret, rt2, &said), 400);
    assert_non_null(strstr(said, "unauthorized_client"));
    free(said);
    assert_int_equal(revoke_call("oidc-web", web_secret, rt2, NULL), 200);
    snprintf(body, sizeof(body), "grant_type=refresh_token&refresh_token=%s", rt2);
    expect_error(token_call("oidc-web", web_secret, body, 400), "invalid_grant");
    /* without credentials, the token itself is enough; a second revocation changes nothing */
    assert_int_equal(revoke_call(NULL, NULL, rt2, NULL), 200);
    assert_int_equal(revoke_call("oidc-web", web_secret, "AAAAunknownAAAArefreshAAAAtoken", NULL),
                     200);
    free(rt1);
    free(rt2);
    free(code);
    wxt_browser_free(b);
}

/* POST /oidc/token/revocation, body "token=…&client_id=…": a public client names itself
 * (token_endpoint_auth_method none, as authing-js-sdk's revokeToken and openid-client send it). */
static long
revoke_public(const char *client_id, const char *token, char **body_out)
{
    char url[256], body[512];
    wxtk_resp_t r = {0};
    const char *h[] = {"Content-Type: application/x-www-form-urlencoded", NULL};
    snprintf(url, sizeof(url), "%s/oidc/token/revocation", env.auth);
    snprintf(body, sizeof(body), "token=%s&token_type_hint=refresh_token&client_id=%s", token,
             client_id);
    assert_int_equal(wxtk_http("POST", url, h, body, &r), 0);
    long st = r.status;
    if (body_out)
        *body_out = strdup(r.body ? r.body : "");
    wxtk_resp_free(&r);
    return st;
}

/* A public client revokes its own refresh token with client_id alone (200, the token no longer
 * refreshes); another public client's id is told no, as a confidential client would be; a
 * confidential client's id without its secret is invalid_client. */
static void
test_public_client_revocation(void **state)
{
    wxt_browser_t *b = wxt_browser_new(WXT_WECHAT_UA);
    char body[512], *said = NULL;
    char *code = get_code(b, "oidc-spa", SPA_CB,
                          "response_type=code&scope=openid&state=st-1&code_challenge=" CHALLENGE
                          "&code_challenge_method=S256");
    json_t *t =
        redeem("oidc-spa", NULL, code, SPA_CB, "client_id=oidc-spa&code_verifier=" VERIFIER, 200);
    char *rt = strdup(json_string_value(json_object_get(t, "refresh_token")));
    json_decref(t);
    long st = revoke_public("oidc-spa2", rt, &said);
    if (st != 400 || !strstr(said, "unauthorized_client"))
        fail_msg("another public client's id: want 400 unauthorized_client, got %ld %s", st, said);
    free(said);
    st = revoke_public("oidc-web", rt, &said);
    if (st != 401 || !strstr(said, "invalid_client"))
        fail_msg("a confidential client's id alone: want 401 invalid_client, got %ld %s", st, said);
    free(said);
    /* the refused attempts left the token alone */
    snprintf(body, sizeof(body), "grant_type=refresh_token&refresh_token=%s&client_id=oidc-spa",
             rt);
    t = token_call("oidc-spa", NULL, body, 200);
    free(rt);
    rt = strdup(json_string_value(json_object_get(t, "refresh_token")));
    json_decref(t);
    st = revoke_public("oidc-spa", rt, &said);
    if (st != 200)
        fail_msg("the public client's own token: want 200, got %ld %s", st, said);
    free(said);
    snprintf(body, sizeof(body), "grant_type=refresh_token&refresh_token=%s&client_id=oidc-spa",
             rt);
    expect_error(token_call("oidc-spa", NULL, body, 400), "invalid_grant");
    free(rt);
    free(code);
    wxt_browser_free(b);
}

/* POST /graphql/v2 mutation refreshToken (authing-js-sdk refreshToken()) with token as Bearer;
 * the answer's JSON. */
static json_t *
gql_refresh(const char *token)
{
    char url[256], auth[4096]; /* an ID token is longer than wxt_http_auth's header */
    wxt_resp_t r = {0};
    snprintf(url, sizeof(url), "%s/graphql/v2", env.auth);
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
    const char *h[] = {"Content-Type: application/json", auth, NULL};
    assert_int_equal(
        wxt_http_headers("POST", url, h,
                         "{\"query\":\"mutation refreshToken { refreshToken { token iat exp } }\"}",
                         &r),
        0);
    if (r.status != 200)
        fail_msg("graphql: want 200, got %ld %s", r.status, r.body);
    json_error_t je;
    json_t *j = json_loads(r.body, 0, &je);
    if (!j)
        fail_msg("graphql: not JSON: %s", r.body);
    wxt_resp_free(&r);
    return j;
}

/* refreshToken renews Authing login tokens only: the provider's ID and access tokens renew
 * through /oidc/token (client authentication, rotation, reuse detection, code-replay
 * revocation), never into login tokens of the pool's full lifetime. */
static void
test_graphql_refresh_refuses_oidc_tokens(void **state)
{
    wxt_browser_t *b = wxt_browser_new(WXT_WECHAT_UA);
    char *code = get_code(b, "oidc-web", WEB_CB, "response_type=code&scope=openid&state=st-1");
    json_t *t = redeem("oidc-web", web_secret, code, WEB_CB, NULL, 200);
    const char *toks[] = {json_string_value(json_object_get(t, "id_token")),
                          json_string_value(json_object_get(t, "access_token"))};
    for (size_t i = 0; i < 2; i++) {
        json_t *g = gql_refresh(toks[i]);
        json_t *e = json_object_get(json_array_get(json_object_get(g, "errors"), 0), "message");
        if (!json_is_null(json_object_get(g, "data")) || !json_is_object(e) ||
            json_integer_value(json_object_get(e, "code")) != 2207)
            fail_msg("refreshToken with the %s token: want error 2207, got %s", i ? "access" : "ID",
                     json_dumps(g, 0));
        json_decref(g);
    }
    json_decref(t);
    free(code);
    wxt_browser_free(b);
    /* A login token (WeChat login through /connections/social) still renews. */
    char sub[64];
    char *lt = wxtk_login_token(&env,
                                "/connections/social/wechat:webpage-authorization?app_id=oidc-web"
                                "&redirect_url=http%3A%2F%2F127.0.0.1%3A9%2Foidc-cb",
                                "oidc-bob", sub, sizeof(sub));
    json_t *g = gql_refresh(lt);
    const char *nt = json_string_value(
        json_object_get(json_object_get(json_object_get(g, "data"), "refreshToken"), "token"));
    if (!nt || strcmp(nt, lt) == 0)
        fail_msg("refreshToken with a login token: want a new token, got %s", json_dumps(g, 0));
    json_decref(g);
    free(lt);
}

/* prompt=none: without a session, login_required to the client; with one (same browser, the
 * pool's other application), a code at once, without WeChat. */
static void
test_sessions(void **state)
{
    wxt_browser_t *fresh = wxt_browser_new(WXT_WECHAT_UA);
    expect_auth_error(fresh, "oidc-web", WEB_CB,
                      "response_type=code&scope=openid&state=st-1&prompt=none", "login_required");
    wxt_browser_free(fresh);

    wxt_browser_t *b = wxt_browser_new(WXT_WECHAT_UA);
    char *code = get_code(b, "oidc-web", WEB_CB, "response_type=code&scope=openid&state=st-1");
    free(code);
    long before = wxt_emu_calls(&env, "access_token");
    char url[1024];
    wxt_resp_t r = {0};
    snprintf(url, sizeof(url),
             "%s/oidc/auth?client_id=oidc-other&redirect_uri=http%%3A%%2F%%2F127.0.0.1%%3A9%%2F"
             "oidc-cb&response_type=code&scope=openid&state=st-1&prompt=none",
             env.auth);
    assert_int_equal(wxt_get(b, url, &r), 0);
    char *c2 = url_param(r.location, "code");
    if (r.status != 302 || !c2)
        fail_msg("prompt=none with a session: want a code, got %ld %s", r.status,
                 r.location ? r.location : "");
    assert_int_equal(wxt_emu_calls(&env, "access_token"), before);
    json_t *t = redeem("oidc-other", other_secret, c2, WEB_CB, NULL, 200);
    json_decref(t);
    free(c2);
    wxt_resp_free(&r);
    /* prompt=login goes to WeChat again. */
    snprintf(url, sizeof(url),
             "%s/oidc/auth?client_id=oidc-other&redirect_uri=http%%3A%%2F%%2F127.0.0.1%%3A9%%2F"
             "oidc-cb&response_type=code&scope=openid&state=st-1&prompt=login",
             env.auth);
    assert_int_equal(wxt_get(b, url, &r), 0);
    assert_int_equal(r.status, 302);
    assert_non_null(strstr(r.location, env.emu));
    wxt_resp_free(&r);
    wxt_browser_free(b);
}

/* authing-js-sdk's logout GETs (GET /logout, GET /api/v2/logout) end the browser's session only
 * for a request that shows it comes from the application (a valid Bearer token, or an Origin
 * registered for it): a bare link from another site (logout CSRF) still gets the SDK's
 * {code:200} but leaves the session alive. */
static void
test_logout_get_csrf(void **state)
{
    wxt_browser_t *b = wxt_browser_new(WXT_WECHAT_UA);
    char *code = get_code(b, "oidc-web", WEB_CB, "response_type=code&scope=openid&state=st-1");
    free(code);
    const char *paths[] = {"/logout?appId=oidc-web&deviceId=current",
                           "/api/v2/logout?app_id=oidc-web"};
    for (size_t i = 0; i < 2; i++) {
        char url[512];
        wxt_resp_t r = {0};
        snprintf(url, sizeof(url), "%s%s", env.auth, paths[i]);
        assert_int_equal(wxt_get(b, url, &r), 0);
        if (r.status != 200 || !r.body || !strstr(r.body, "\"code\":200"))
            fail_msg("%s: want 200 {code:200}, got %ld %s", paths[i], r.status, r.body);
        wxt_resp_free(&r);
        /* the session lives on: prompt=none still gives a code */
        char *c2 = get_code(b, "oidc-web", WEB_CB,
                            "response_type=code&scope=openid&state=st-1&prompt=none");
        free(c2);
    }
    wxt_browser_free(b);
}

/* /oidc/me takes the access token in the header, a form body or the query (RFC 6750 §2). */
static void
test_userinfo_forms(void **state)
{
    wxt_browser_t *b = wxt_browser_new(WXT_WECHAT_UA);
    char *code = get_code(b, "oidc-web", WEB_CB, "response_type=code&scope=openid&state=st-1");
    json_t *t = redeem("oidc-web", web_secret, code, WEB_CB, NULL, 200);
    const char *at = json_string_value(json_object_get(t, "access_token"));
    char url[4096], body[4096];
    wxtk_resp_t r = {0};
    snprintf(url, sizeof(url), "%s/oidc/me?access_token=%s", env.auth, at);
    assert_int_equal(wxtk_http("GET", url, NULL, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"nickname\":\"Alice\""));
    wxtk_resp_free(&r);
    snprintf(url, sizeof(url), "%s/oidc/me", env.auth);
    snprintf(body, sizeof(body), "access_token=%s", at);
    const char *form[] = {"Content-Type: application/x-www-form-urlencoded", NULL};
    assert_int_equal(wxtk_http("POST", url, form, body, &r), 0);
    assert_int_equal(r.status, 200);
    wxtk_resp_free(&r);
    assert_int_equal(wxtk_http("POST", url, form, "access_token=forged", &r), 0);
    assert_int_equal(r.status, 401);
    wxtk_resp_free(&r);
    assert_int_equal(wxtk_http("POST", url, NULL, NULL, &r), 0);
    assert_int_equal(r.status, 401);
    wxtk_resp_free(&r);
    json_decref(t);
    free(code);
    wxt_browser_free(b);
}

/* RP-initiated logout: only a registered post_logout_redirect_uri of the named client, and
 * the session is over (prompt=none then says login_required). */
static void
test_logout(void **state)
{
    wxt_browser_t *b = wxt_browser_new(WXT_WECHAT_UA);
    char url[4096];
    wxt_resp_t r = {0};
    assert_int_equal(
        wxt_cli(&env, NULL,
                (const char *const[]){"app", "update", "oidc-web", "--post-logout-redirect",
                                      "http://127.0.0.1:9/bye", NULL}),
        0);
    char *code = get_code(b, "oidc-web", WEB_CB, "response_type=code&scope=openid&state=st-1");
    json_t *t = redeem("oidc-web", web_secret, code, WEB_CB, NULL, 200);
    const char *idt = json_string_value(json_object_get(t, "id_token"));
    /* Open redirect attempts: unregistered, a prefix, no client named. Pages, and the session
     * lives on. */
    const char *bad[] = {"http%3A%2F%2Fevil.example%2F", "http%3A%2F%2F127.0.0.1%3A9%2Fbye%2Fx",
                         "http%3A%2F%2F127.0.0.1%3A9%2Fbye%3Fa%3D1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(url, sizeof(url),
                 "%s/oidc/session/end?id_token_hint=%s&post_logout_redirect_uri=%s", env.auth, idt,
                 bad[i]);
        assert_int_equal(wxt_get(b, url, &r), 0);
        if (r.status != 400 || r.location)
            fail_msg("%s: want a 400 page, got %ld %s", bad[i], r.status,
                     r.location ? r.location : "");
        wxt_resp_free(&r);
    }
    snprintf(url, sizeof(url),
             "%s/oidc/session/end?post_logout_redirect_uri=http%%3A%%2F%%2F127.0.0.1%%3A9%%2Fbye",
             env.auth);
    assert_int_equal(wxt_get(b, url, &r), 0);
    assert_int_equal(r.status, 400);
    wxt_resp_free(&r);
    snprintf(url, sizeof(url),
             "%s/oidc/session/end?client_id=oidc-other&id_token_hint=%s&post_logout_redirect_uri="
             "http%%3A%%2F%%2F127.0.0.1%%3A9%%2Fbye",
             env.auth, idt);
    assert_int_equal(wxt_get(b, url, &r), 0);
    assert_int_equal(r.status, 400);
    wxt_resp_free(&r);
    const char *silent = "response_type=code&scope=openid&state=st-1&prompt=none";
    char *c2 = get_code(b, "oidc-other", WEB_CB, silent); /* the session lives on */
    free(c2);
    snprintf(url, sizeof(url),
             "%s/oidc/session/end?id_token_hint=%s&post_logout_redirect_uri=http%%3A%%2F%%2F127.0."
             "0.1%%3A9%%2Fbye&state=s%%261",
             env.auth, idt);
    assert_int_equal(wxt_get(b, url, &r), 0);
    assert_int_equal(r.status, 302);
    assert_string_equal(r.location, "http://127.0.0.1:9/bye?state=s%261");
    wxt_resp_free(&r);
    expect_auth_error(b, "oidc-other", WEB_CB, silent, "login_required");
    /* Without a target: a page saying so. */
    snprintf(url, sizeof(url), "%s/oidc/session/end", env.auth);
    assert_int_equal(wxt_get(b, url, &r), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "已退出登录"));
    wxt_resp_free(&r);
    json_decref(t);
    free(code);
    wxt_browser_free(b);
}

/* The user declines on WeChat's consent page: the client hears access_denied with its state,
 * not Authing's code=1001 on a business callback. */
static void
test_declined(void **state)
{
    wxt_browser_t *b = wxt_browser_new(WXT_WECHAT_UA);
    char url[1024];
    wxt_resp_t r = {0};
    snprintf(url, sizeof(url),
             "%s/oidc/auth?client_id=oidc-web&redirect_uri=http%%3A%%2F%%2F127.0.0.1%%3A9%%2Foidc-"
             "cb&response_type=code&scope=openid&state=st-1",
             env.auth);
    wxt_login(b, url, "oidc-alice", "deny", &r, NULL, 0);
    char *e = url_param(r.location, "error"), *st = url_param(r.location, "state");
    if (r.status != 302 || strncmp(r.location, WEB_CB "?", strlen(WEB_CB) + 1) != 0 || !e ||
        strcmp(e, "access_denied") != 0 || !st || strcmp(st, "st-1") != 0)
        fail_msg("want %s?error=access_denied&state=st-1, got %ld %s", WEB_CB, r.status,
                 r.location ? r.location : "");
    assert_null(url_param(r.location, "code"));
    free(e);
    free(st);
    wxt_resp_free(&r);
    wxt_browser_free(b);
}

/* response_mode=form_post: a page that posts code, state and iss to the redirect_uri, with a
 * CSP that allows only its own submit handler. */
static void
test_form_post(void **state)
{
    wxt_browser_t *b = wxt_browser_new(WXT_WECHAT_UA);
    wxt_resp_t r = {0};
    authorize(b, "oidc-web", WEB_CB,
              "response_type=code&scope=openid&state=st%3C1&response_mode=form_post", &r);
    if (r.status != 200 || !r.body)
        fail_msg("want a 200 form, got %ld %s", r.status, r.location ? r.location : "");
    assert_non_null(strstr(r.body, "<form method=\"post\" action=\"" WEB_CB "\">"));
    assert_non_null(strstr(r.body, "name=\"code\" value=\""));
    assert_non_null(strstr(r.body, "name=\"state\" value=\"st&lt;1\""));
    assert_non_null(strstr(r.body, "name=\"iss\""));
    wxt_resp_free(&r);
    wxt_browser_free(b);
}

/* Outside WeChat: a desktop browser gets the QR page of the desktop login (issue #15; the
 * whole flow is tests/integration/test_desktop.c); a client that is not a browser gets a
 * clear page, Chinese first. No redirect anywhere. */
static void
test_outside_wechat(void **state)
{
    wxt_browser_t *b = wxt_browser_new("Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0");
    wxt_resp_t r = {0};
    authorize(b, "oidc-web", WEB_CB, "response_type=code&scope=openid&state=st-1", &r);
    assert_int_equal(r.status, 200);
    assert_null(r.location);
    assert_non_null(strstr(r.body, "data-ticket=\""));
    assert_non_null(strstr(r.body, "微信扫码登录"));
    /* The desktop login to its end: a phone scans and confirms; the desktop (not the phone)
     * comes back to the client with a code that redeems. */
    char ticket[64], url[256], csrf[64], cookie[256] = "Cookie: wxauth_bind=", body[256];
    const char *p = strstr(r.body, "data-ticket=\"") + 13;
    snprintf(ticket, sizeof(ticket), "%.*s", (int)strcspn(p, "\""), p);
    wxt_resp_free(&r);
    wxt_browser_t *phone = wxt_browser_new(WXT_WECHAT_UA);
    snprintf(url, sizeof(url), "%s/desktop/scan?t=%s", env.auth, ticket);
    wxt_login(phone, url, "oidc-alice", "allow", &r, NULL, 0);
    assert_int_equal(r.status, 200);
    static const char csrf_at[] = "name=\"csrf\" value=\"";
    p = strstr(r.body, csrf_at);
    assert_non_null(p);
    p += strlen(csrf_at);
    snprintf(csrf, sizeof(csrf), "%.*s", (int)strcspn(p, "\""), p);
    wxt_resp_free(&r);
    assert_true(wxt_browser_cookie_get(phone, "wxauth_bind", cookie + 20, sizeof(cookie) - 20));
    const char *hdr[] = {cookie, "Content-Type: application/x-www-form-urlencoded", NULL};
    snprintf(body, sizeof(body), "t=%s&csrf=%s&action=confirm", ticket, csrf);
    snprintf(url, sizeof(url), "%s/desktop/confirm", env.auth);
    assert_int_equal(wxt_http_headers("POST", url, hdr, body, &r), 0);
    assert_int_equal(r.status, 200);
    wxt_resp_free(&r);
    wxt_browser_free(phone);
    snprintf(url, sizeof(url), "%s/desktop/finish?t=%s", env.auth, ticket);
    assert_int_equal(wxt_get(b, url, &r), 0);
    if (r.status != 302 || strncmp(r.location, WEB_CB "?", strlen(WEB_CB) + 1) != 0)
        fail_msg("desktop finish: %ld %s", r.status, r.location ? r.location : "");
    char *state_back = url_param(r.location, "state"), *code = url_param(r.location, "code");
    assert_string_equal(state_back, "st-1");
    assert_non_null(code);
    json_t *t = redeem("oidc-web", web_secret, code, WEB_CB, NULL, 200);
    assert_non_null(json_string_value(json_object_get(t, "id_token")));
    json_decref(t);
    free(state_back);
    free(code);
    wxt_resp_free(&r);
    wxt_browser_free(b);
    b = wxt_browser_new("curl/8.5.0");
    authorize(b, "oidc-web", WEB_CB, "response_type=code&scope=openid&state=st-1", &r);
    assert_int_equal(r.status, 200);
    assert_null(r.location);
    assert_non_null(strstr(r.body, "请在微信中打开"));
    wxt_resp_free(&r);
    wxt_browser_free(b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_discovery_documents),
        cmocka_unit_test(test_code_flow),
        cmocka_unit_test(test_public_client_store_failure),
        cmocka_unit_test(test_head_no_effects),
        cmocka_unit_test(test_code_replay),
        cmocka_unit_test(test_code_for_another_client),
        cmocka_unit_test(test_redirect_uri_mismatch),
        cmocka_unit_test(test_pkce),
        cmocka_unit_test(test_refresh_reuse),
        cmocka_unit_test(test_refresh_revocation),
        cmocka_unit_test(test_public_client_revocation),
        cmocka_unit_test(test_graphql_refresh_refuses_oidc_tokens),
        cmocka_unit_test(test_logout_get_csrf),
        cmocka_unit_test(test_sessions),
        cmocka_unit_test(test_userinfo_forms),
        cmocka_unit_test(test_logout),
        cmocka_unit_test(test_declined),
        cmocka_unit_test(test_form_post),
        cmocka_unit_test(test_outside_wechat),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
