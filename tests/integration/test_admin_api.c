/* The admin API (/api/admin/v1) over raw HTTP against a real wxauthd and the emulator: every
 * resource and method, status codes (404/405/409/415), one message per bad field, the App
 * Secret write-only (in no answer, in no log line), immutable identifiers, sign-in failures
 * audited and rate-limited, changes live without a restart, users (paging, search, identities,
 * block, revoke, delete) with their effect on logins and tokens, signing keys, the connection
 * check against WeChat, and the audit trail of each change with its filters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "harness.h"
#include "store/store.h"

static wxt_env_t env;

static int
group_setup(void **state)
{
    return wxt_setup(&env, NULL);
}

static int
group_teardown(void **state)
{
    wxt_teardown(&env);
    return 0;
}

/* ---- helpers ---- */

/* method path body → the JSON answer, asserting the status. */
static json_t *
api(const char *method, const char *path, const char *body, long want)
{
    wxt_resp_t r = {0};
    assert_int_equal(wxt_admin(&env, method, path, body, &r), 0);
    if (r.status != want)
        fail_msg("%s %s -> %ld (want %ld): %.400s", method, path, r.status, want,
                 r.body ? r.body : "");
    json_t *j = r.body && r.body[0] ? json_loads(r.body, 0, NULL) : NULL;
    if (!j)
        fail_msg("%s %s: answer is not JSON: %.200s", method, path, r.body ? r.body : "");
    wxt_resp_free(&r);
    return j;
}

static void
api_ok(const char *method, const char *path, const char *body, long want)
{
    json_decref(api(method, path, body, want));
}

/* 400 with errors.<field> (a non-empty message); returns nothing, fails otherwise. */
static void
expect_invalid(const char *method, const char *path, const char *body, const char *field)
{
    json_t *j = api(method, path, body, 400);
    const char *msg = json_string_value(json_object_get(json_object_get(j, "errors"), field));
    if (!msg || !msg[0])
        fail_msg("%s %s %s: no errors.%s in %s", method, path, body, field,
                 json_dumps(j, JSON_COMPACT));
    assert_int_equal(json_integer_value(json_object_get(j, "code")), 400);
    json_decref(j);
}

static const char *
jstr(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    if (!s)
        fail_msg("'%s' missing or not a string", k);
    return s;
}

/* Is there an audit event of action with these values (NULL: any)? Changes are always by
 * admin@127.0.0.1 (this test's address); logins by the user or "system". */
static bool
audit_has(const char *action, const char *subject, const char *outcome_prefix, const char *pool)
{
    char path[256];
    const char *actor = strcmp(action, "login") == 0 ? NULL : "admin@127.0.0.1";
    snprintf(path, sizeof(path), "/audit?action=%s&limit=1000", action);
    json_t *j = api("GET", path, NULL, 200), *e;
    size_t i;
    bool found = false;
    json_array_foreach(json_object_get(j, "events"), i, e)
    {
        if (strcmp(jstr(e, "action"), action) != 0)
            fail_msg("audit filter action=%s let %s through", action, jstr(e, "action"));
        if ((!subject || strcmp(jstr(e, "subject"), subject) == 0) &&
            (!outcome_prefix ||
             strncmp(jstr(e, "outcome"), outcome_prefix, strlen(outcome_prefix)) == 0) &&
            (!pool || strcmp(jstr(e, "pool_id"), pool) == 0) &&
            (!actor || strcmp(jstr(e, "actor"), actor) == 0) &&
            json_integer_value(json_object_get(e, "at")) > 0)
            found = true;
    }
    json_decref(j);
    return found;
}

static void
person_add(const char *id, const char *nickname)
{
    char body[256];
    snprintf(body, sizeof(body), "{\"id\":\"%s\",\"nickname\":\"%s\"}", id, nickname);
    wxt_emu_admin(&env, "POST", "/emu/admin/people", body);
}

/* Log person in through path (on env.auth); the business-callback result, or code -1 with the
 * status in message when the login ended elsewhere. */
static void
login(const char *path, const char *person, wxt_result_t *res)
{
    char url[512];
    wxt_resp_t fin = {0};
    wxt_browser_t *b = wxt_browser_new(NULL);
    snprintf(url, sizeof(url), "%s%s", env.auth, path);
    wxt_login(b, url, person, "allow", &fin, NULL, 0);
    if (!wxt_parse_result(&env, fin.location, res)) {
        memset(res, 0, sizeof(*res));
        res->code = -1;
        snprintf(res->message, sizeof(res->message), "HTTP %ld %.300s", fin.status,
                 fin.body ? fin.body : "");
    }
    wxt_resp_free(&fin);
    wxt_browser_free(b);
}

/* A successful login's token (caller frees) and user id. */
static char *
login_token(const char *person, char *uid, size_t n)
{
    wxt_result_t res;
    login("/oauth/wechatmp/url/demo", person, &res);
    if (res.code != 200)
        fail_msg("login of %s: code %d %s", person, res.code, res.message);
    char *tok = strdup(jstr(res.data, "token"));
    snprintf(uid, n, "%s", jstr(res.data, "id"));
    wxt_result_free(&res);
    return tok;
}

/* Does /api/v2/oidc/validate_token accept the token? */
static bool
token_valid(const char *token)
{
    char url[4096];
    wxt_resp_t r = {0};
    snprintf(url, sizeof(url), "%s/api/v2/oidc/validate_token?id_token=%s", env.auth, token);
    assert_int_equal(wxt_http("GET", url, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    json_t *j = json_loads(r.body, 0, NULL);
    assert_non_null(j);
    bool ok = json_object_get(j, "sub") != NULL;
    if (!ok)
        assert_int_equal(json_integer_value(json_object_get(j, "code")), 400);
    json_decref(j);
    wxt_resp_free(&r);
    return ok;
}

/* Does wxauthd's log contain s? */
static bool
log_has(const char *s)
{
    char path[700];
    snprintf(path, sizeof(path), "%s/wxauthd.log", env.dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[8192];
    bool found = false;
    while (!found && fgets(line, sizeof(line), f))
        found = strstr(line, s) != NULL;
    fclose(f);
    return found;
}

/* Print wxauthd's log lines containing s (diagnostics of a failed check). */
static void
log_print_matching(const char *s)
{
    char path[700];
    snprintf(path, sizeof(path), "%s/wxauthd.log", env.dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char line[8192];
    while (fgets(line, sizeof(line), f))
        if (strstr(line, s))
            fprintf(stderr, "log: %s", line);
    fclose(f);
}

/* ---- sign-in ---- */

static void
test_auth(void **state)
{
    char url[256];
    wxt_resp_t r = {0};
    snprintf(url, sizeof(url), "%s/api/admin/v1/pools", env.admin);
    assert_int_equal(wxt_http("GET", url, NULL, &r), 0); /* no credential */
    assert_int_equal(r.status, 401);
    wxt_resp_free(&r);
    assert_int_equal(wxt_http_auth("GET", url, "not-the-admin-token-at-all", NULL, &r), 0);
    assert_int_equal(r.status, 401);
    assert_non_null(strstr(r.body, "Bearer"));
    wxt_resp_free(&r);
    const char *const basic[] = {"Authorization: Basic YWRtaW46YWRtaW4=", NULL};
    assert_int_equal(wxt_http_headers("GET", url, basic, NULL, &r), 0);
    assert_int_equal(r.status, 401);
    wxt_resp_free(&r);
    /* The right token, as the console signs in. */
    json_t *j = api("POST", "/session", NULL, 200);
    assert_true(json_is_true(json_object_get(j, "ok")));
    assert_string_equal(jstr(j, "actor"), "admin@127.0.0.1");
    json_decref(j);
    api_ok("GET", "/session", NULL, 405);
    /* Both kinds of sign-in are in the trail; only the wrong Bearer token was a failed one
     * (no credential and Basic are not guesses). */
    j = api("GET", "/audit?action=admin.sign_in&limit=100", NULL, 200);
    int denied = 0, ok = 0;
    json_t *e;
    size_t i;
    json_array_foreach(json_object_get(j, "events"), i, e)
    {
        if (strcmp(jstr(e, "outcome"), "denied") == 0 &&
            strcmp(jstr(e, "actor"), "unknown@127.0.0.1") == 0) {
            denied++;
            assert_string_equal(jstr(e, "subject"), "1 failed");
        }
        if (strcmp(jstr(e, "outcome"), "ok") == 0 &&
            strcmp(jstr(e, "actor"), "admin@127.0.0.1") == 0)
            ok++;
    }
    if (ok == 0) {
        /* Seen once in CI (never here): say what the trail and the log held, to find why. */
        char *dump = json_dumps(j, JSON_INDENT(1));
        fprintf(stderr, "audit trail without the sign-in:\n%s\n", dump ? dump : "?");
        free(dump);
        log_print_matching("audit");
    }
    assert_int_equal(denied, 1);
    assert_true(ok >= 1);
    json_decref(j);
}

/* ---- pools ---- */

static void
test_pools(void **state)
{
    json_t *j = api("GET", "/pools", NULL, 200);
    bool demo = false;
    json_t *p;
    size_t i;
    json_array_foreach(json_object_get(j, "pools"), i, p) demo |=
        strcmp(jstr(p, "id"), "demo") == 0;
    assert_true(demo);
    json_decref(j);

    j = api("POST", "/pools",
            "{\"id\":\"shop\",\"name\":\"Shop\",\"token_ttl\":3600,\"alg\":\"ES256\","
            "\"redirect_urls\":[\"https://shop.example.com/cb\"]}",
            201);
    assert_string_equal(jstr(j, "id"), "shop");
    assert_string_equal(jstr(j, "alg"), "ES256");
    assert_int_equal(json_integer_value(json_object_get(j, "token_ttl")), 3600);
    assert_true(json_integer_value(json_object_get(j, "created_at")) > 0);
    json_decref(j);
    j = api("GET", "/pools/shop", NULL, 200);
    assert_string_equal(jstr(j, "name"), "Shop");
    assert_string_equal(json_string_value(json_array_get(json_object_get(j, "redirect_urls"), 0)),
                        "https://shop.example.com/cb");
    json_decref(j);
    j = api("PATCH", "/pools/shop", "{\"name\":\"Shop 2\",\"redirect_urls\":[]}", 200);
    assert_string_equal(jstr(j, "name"), "Shop 2");
    assert_int_equal(json_array_size(json_object_get(j, "redirect_urls")), 0);
    assert_string_equal(jstr(j, "alg"), "ES256"); /* untouched */
    json_decref(j);
    api_ok("PUT", "/pools/shop", "{\"token_ttl\":7200}", 200);

    /* Errors: conflict, not found, wrong method, wrong media type, not an object, bad JSON. */
    api_ok("POST", "/pools", "{\"id\":\"shop\"}", 409);
    api_ok("GET", "/pools/nope", NULL, 404);
    api_ok("PATCH", "/pools/nope", "{\"name\":\"x\"}", 404);
    api_ok("DELETE", "/pools", NULL, 405);
    api_ok("PUT", "/pools", "{}", 405);
    api_ok("POST", "/pools/shop", "{}", 405);
    wxt_resp_t r = {0};
    char url[256];
    snprintf(url, sizeof(url), "%s/api/admin/v1/pools", env.admin);
    char auth[128];
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", env.admin_token);
    const char *const form[] = {auth, "Content-Type: application/x-www-form-urlencoded", NULL};
    assert_int_equal(wxt_http_headers("POST", url, form, "id=x", &r), 0);
    assert_int_equal(r.status, 415);
    wxt_resp_free(&r);
    api_ok("POST", "/pools", "[\"id\",\"x\"]", 400);
    api_ok("POST", "/pools", "{\"id\":", 400);
    api_ok("POST", "/pools", "{\"id\":\"dup\",\"id\":\"dup2\"}", 400);

    /* One message per bad field. */
    expect_invalid("POST", "/pools", "{\"id\":\"bad id\"}", "id");
    expect_invalid("POST", "/pools", "{\"id\":\"callback\"}", "id");
    expect_invalid("POST", "/pools", "{\"name\":\"no id\"}", "id");
    expect_invalid("POST", "/pools", "{\"id\":\"p1\",\"token_ttl\":59}", "token_ttl");
    expect_invalid("POST", "/pools", "{\"id\":\"p1\",\"alg\":\"HS256\"}", "alg");
    expect_invalid("POST", "/pools", "{\"id\":\"p1\",\"redirect_urls\":[\"http://a.com:*/\"]}",
                   "redirect_urls");
    expect_invalid("POST", "/pools", "{\"id\":\"p1\",\"redirect_urls\":\"https://a.com/\"}",
                   "redirect_urls");
    expect_invalid("POST", "/pools", "{\"id\":\"p1\",\"owner\":\"me\"}", "owner");
    expect_invalid("PATCH", "/pools/shop", "{\"id\":\"renamed\"}", "id");
    api_ok("GET", "/pools/p1", NULL, 404); /* nothing half-made */

    api_ok("DELETE", "/pools/shop", NULL, 200);
    api_ok("GET", "/pools/shop", NULL, 404);
    api_ok("DELETE", "/pools/shop", NULL, 404);

    assert_true(audit_has("pool.create", "shop", "ok", "shop"));
    assert_true(audit_has("pool.update", "shop", "ok", "shop"));
    assert_true(audit_has("pool.delete", "shop", "ok", "shop"));
}

/* ---- applications ---- */

/* Issue 13: an application's OpenID Connect settings, set and read back, checked field by
 * field; a PATCH changes only what it names. */
static void
test_app_oidc_settings(void **state)
{
    api_ok("POST", "/pools", "{\"id\":\"oidcp\"}", 201);
    json_t *j = api("POST", "/pools/oidcp/apps", "{\"id\":\"spa\"}", 201);
    assert_false(json_is_true(json_object_get(j, "public_client")));
    assert_int_equal(json_array_size(json_object_get(j, "post_logout_redirect_uris")), 0);
    assert_int_equal(json_integer_value(json_object_get(j, "access_token_ttl")), 0);
    json_decref(j);
    j = api("PATCH", "/apps/spa",
            "{\"public_client\":true,\"post_logout_redirect_uris\":[\"https://spa.example/bye\"],"
            "\"web_origins\":[\"https://spa.example\",\"http://127.0.0.1:5173\"],"
            "\"access_token_ttl\":600,\"id_token_ttl\":300,\"refresh_token_ttl\":86400}",
            200);
    assert_true(json_is_true(json_object_get(j, "public_client")));
    assert_string_equal(
        json_string_value(json_array_get(json_object_get(j, "post_logout_redirect_uris"), 0)),
        "https://spa.example/bye");
    assert_int_equal(json_array_size(json_object_get(j, "web_origins")), 2);
    assert_int_equal(json_integer_value(json_object_get(j, "access_token_ttl")), 600);
    assert_int_equal(json_integer_value(json_object_get(j, "id_token_ttl")), 300);
    assert_int_equal(json_integer_value(json_object_get(j, "refresh_token_ttl")), 86400);
    json_decref(j);
    j = api("PATCH", "/apps/spa", "{\"name\":\"SPA\"}", 200);
    assert_true(json_is_true(json_object_get(j, "public_client")));
    assert_int_equal(json_array_size(json_object_get(j, "web_origins")), 2);
    json_decref(j);
    j = api("GET", "/apps/spa", NULL, 200);
    assert_int_equal(json_integer_value(json_object_get(j, "refresh_token_ttl")), 86400);
    json_decref(j);
    /* Exact URLs only for logout (RFC 9700: no patterns), real origins, sane lifetimes. */
    expect_invalid("PATCH", "/apps/spa",
                   "{\"post_logout_redirect_uris\":[\"https://*.example.com/bye\"]}",
                   "post_logout_redirect_uris");
    expect_invalid("PATCH", "/apps/spa", "{\"post_logout_redirect_uris\":[\"javascript:x\"]}",
                   "post_logout_redirect_uris");
    expect_invalid("PATCH", "/apps/spa", "{\"web_origins\":[\"https://spa.example/\"]}",
                   "web_origins");
    expect_invalid("PATCH", "/apps/spa", "{\"web_origins\":[\"*\"]}", "web_origins");
    expect_invalid("PATCH", "/apps/spa", "{\"web_origins\":[\"https://SPA.example\"]}",
                   "web_origins");
    expect_invalid("PATCH", "/apps/spa", "{\"public_client\":\"yes\"}", "public_client");
    expect_invalid("PATCH", "/apps/spa", "{\"access_token_ttl\":5}", "access_token_ttl");
    expect_invalid("PATCH", "/apps/spa", "{\"refresh_token_ttl\":-1}", "refresh_token_ttl");
    api_ok("DELETE", "/pools/oidcp", NULL, 200);
}

static void
test_apps(void **state)
{
    api_ok("POST", "/pools", "{\"id\":\"apps\"}", 201);
    json_t *j = api("POST", "/pools/apps/apps",
                    "{\"id\":\"web\",\"name\":\"Web\",\"redirect_urls\":"
                    "[\"http://127.0.0.1:9/web-cb\",\"https://*.example.com/cb\"]}",
                    201);
    char secret[80];
    snprintf(secret, sizeof(secret), "%s", jstr(j, "secret"));
    assert_int_equal(strlen(secret), 64); /* shown once, on creation */
    assert_string_equal(jstr(j, "pool_id"), "apps");
    json_decref(j);
    j = api("GET", "/apps/web", NULL, 200);
    assert_string_equal(jstr(j, "secret"), "set"); /* never again */
    assert_string_equal(jstr(j, "token_alg"), "pool");
    json_decref(j);
    j = api("GET", "/pools/apps/apps", NULL, 200);
    assert_int_equal(json_array_size(json_object_get(j, "apps")), 1);
    char *apps = json_dumps(json_object_get(j, "apps"), 0);
    assert_null(strstr(apps, secret));
    free(apps);
    json_decref(j);
    j = api("PATCH", "/apps/web", "{\"token_alg\":\"HS256\",\"redirect_urls\":[]}", 200);
    assert_string_equal(jstr(j, "token_alg"), "HS256");
    assert_string_equal(jstr(j, "secret"), "set");
    json_decref(j);

    j = api("POST", "/apps/web/secret", NULL, 200);
    assert_int_equal(strlen(jstr(j, "secret")), 64);
    assert_string_not_equal(jstr(j, "secret"), secret);
    json_decref(j);
    api_ok("GET", "/apps/web/secret", NULL, 404);

    api_ok("POST", "/pools/apps/apps", "{\"id\":\"web\"}", 409);
    api_ok("POST", "/pools/nope/apps", "{\"id\":\"x\"}", 404);
    api_ok("GET", "/apps/nope", NULL, 404);
    api_ok("DELETE", "/pools/apps/apps", NULL, 405);
    expect_invalid("POST", "/pools/apps/apps", "{\"id\":\"a b\"}", "id");
    expect_invalid("POST", "/pools/apps/apps",
                   "{\"id\":\"x\",\"redirect_urls\":[\"javascript:alert(1)\"]}", "redirect_urls");
    expect_invalid("POST", "/pools/apps/apps",
                   "{\"id\":\"x\",\"redirect_urls\":[\"https://evil.com/a*b/../\",7]}",
                   "redirect_urls");
    expect_invalid("POST", "/pools/apps/apps", "{\"id\":\"x\",\"token_alg\":\"none\"}",
                   "token_alg");
    expect_invalid("POST", "/pools/apps/apps", "{\"id\":\"x\",\"secret\":\"mine\"}", "secret");
    expect_invalid("PATCH", "/apps/web", "{\"id\":\"web2\"}", "id");

    api_ok("DELETE", "/apps/web", NULL, 200);
    api_ok("GET", "/apps/web", NULL, 404);
    assert_true(audit_has("app.create", "web", "ok", "apps"));
    assert_true(audit_has("app.update", "web", "ok", "apps"));
    assert_true(audit_has("app.secret_reset", "web", "ok", "apps"));
    assert_true(audit_has("app.delete", "web", "ok", "apps"));
    assert_false(log_has(secret));
}

/* ---- connections ---- */

static void
test_connections(void **state)
{
    const char *secret = "c0ffee00c0ffee00c0ffee00c0ffee00";
    char body[1024];
    api_ok("POST", "/pools", "{\"id\":\"conns\"}", 201);
    snprintf(body, sizeof(body),
             "{\"identifier\":\"wx-main\",\"display_name\":\"Main\",\"appid\":\"" WXT_APPID2
             "\",\"app_secret\":\"%s\",\"callback_url\":\"https://shop.example.com/cb\","
             "\"txt_filename\":\"MP_verify_Conns1.txt\",\"txt_content\":\"Conns1\"}",
             secret);
    wxt_resp_t r = {0};
    assert_int_equal(wxt_admin(&env, "POST", "/pools/conns/connections", body, &r), 0);
    assert_int_equal(r.status, 201);
    assert_null(strstr(r.body, secret)); /* write-only */
    json_t *j = json_loads(r.body, 0, NULL);
    assert_string_equal(jstr(j, "app_secret"), "set");
    assert_string_equal(jstr(j, "scope"), "snsapi_userinfo");
    char want[256];
    snprintf(want, sizeof(want), "%s/MP_verify_Conns1.txt", env.auth);
    assert_string_equal(jstr(j, "txt_url"), want);
    snprintf(want, sizeof(want), "%s/connections/social/wx-main/callback", env.auth);
    assert_string_equal(jstr(j, "wechat_redirect_uri"), want);
    json_decref(j);
    wxt_resp_free(&r);

    /* No answer ever carries the secret: get, list, update. */
    const char *reads[][3] = {
        {"GET", "/pools/conns/connections/wx-main", NULL},
        {"GET", "/pools/conns/connections", NULL},
        {"PATCH", "/pools/conns/connections/wx-main", "{\"scope\":\"snsapi_base\"}"}};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(wxt_admin(&env, reads[i][0], reads[i][1], reads[i][2], &r), 0);
        assert_int_equal(r.status, 200);
        assert_null(strstr(r.body, secret));
        assert_non_null(strstr(r.body, "\"app_secret\":\"set\""));
        wxt_resp_free(&r);
    }
    /* A new secret on update: still write-only, and audited as such. */
    j = api("PATCH", "/pools/conns/connections/wx-main",
            "{\"app_secret\":\"0123456789abcdef0123456789abcdef\"}", 200);
    assert_string_equal(jstr(j, "app_secret"), "set");
    assert_string_equal(jstr(j, "scope"), "snsapi_base"); /* kept */
    json_decref(j);

    /* The identifier never changes; the conflict, not-found and method errors. */
    expect_invalid("PATCH", "/pools/conns/connections/wx-main", "{\"identifier\":\"other\"}",
                   "identifier");
    api_ok("PATCH", "/pools/conns/connections/wx-main", "{\"identifier\":\"wx-main\"}", 200);
    api_ok("POST", "/pools/conns/connections", body, 409);
    api_ok("GET", "/pools/conns/connections/nope", NULL, 404);
    api_ok("GET", "/pools/nope/connections", NULL, 404);
    api_ok("PUT", "/pools/conns/connections", "{}", 405);
    api_ok("POST", "/pools/conns/connections/wx-main", "{}", 405);
    api_ok("GET", "/pools/conns/connections/wx-main/check", NULL, 405);
    api_ok("POST", "/pools/conns/connections/wx-main/other", NULL, 404);

    /* Validation: one message per field. */
    const char *P = "/pools/conns/connections/wx-main";
    expect_invalid("PATCH", P, "{\"callback_url\":\"ftp://a.com/cb\"}", "callback_url");
    expect_invalid("PATCH", P, "{\"callback_url\":\"https://a.com:*/cb\"}", "callback_url");
    expect_invalid("PATCH", P, "{\"callback_url\":\"https://u:p@a.com/cb\"}", "callback_url");
    expect_invalid("PATCH", P, "{\"txt_filename\":\"verify.txt\",\"txt_content\":\"x\"}",
                   "txt_filename");
    expect_invalid("PATCH", P, "{\"txt_filename\":\"MP_verify_a/b.txt\",\"txt_content\":\"x\"}",
                   "txt_filename");
    char big[600];
    memset(big, 'x', 256);
    big[256] = '\0';
    snprintf(body, sizeof(body), "{\"txt_content\":\"%s\"}", big);
    expect_invalid("PATCH", P, body, "txt_content");
    big[255] = '\0'; /* 255 bytes: the most there is room for */
    snprintf(body, sizeof(body), "{\"txt_content\":\"%s\"}", big);
    api_ok("PATCH", P, body, 200);
    expect_invalid("PATCH", P, "{\"txt_content\":\"line\\nbreak\"}", "txt_content");
    expect_invalid("PATCH", P, "{\"scope\":\"snsapi_login\"}", "scope");
    expect_invalid("PATCH", P, "{\"appid\":\"wx123\"}", "appid");
    expect_invalid("PATCH", P, "{\"app_secret\":\"with space\"}", "app_secret");
    expect_invalid("PATCH", P, "{\"app_id\":\"" WXT_APPID "\"}", "app_id");
    expect_invalid("POST", "/pools/conns/connections", "{\"identifier\":\"second\"}", "appid");
    expect_invalid("POST", "/pools/conns/connections", "{\"identifier\":\"second\"}", "app_secret");
    expect_invalid("POST", "/pools/conns/connections", "{\"identifier\":\"second\"}",
                   "callback_url");
    expect_invalid("POST", "/pools/conns/connections",
                   "{\"identifier\":\"bad id\",\"appid\":\"" WXT_APPID
                   "\",\"app_secret\":\"x\",\"callback_url\":\"#\"}",
                   "identifier");
    /* Another connection may not shadow a verification file with other content. */
    expect_invalid("POST", "/pools/conns/connections",
                   "{\"identifier\":\"second\",\"appid\":\"" WXT_APPID
                   "\",\"app_secret\":\"x\",\"callback_url\":\"#\",\"txt_filename\":"
                   "\"MP_verify_T3stFile9.txt\",\"txt_content\":\"Different\"}",
                   "txt_filename");

    api_ok("DELETE", P, NULL, 200);
    api_ok("GET", P, NULL, 404);
    api_ok("DELETE", P, NULL, 404);
    assert_true(audit_has("connection.create", "wx-main", "ok (app secret set)", "conns"));
    assert_true(audit_has("connection.update", "wx-main", "ok (app secret set)", "conns"));
    assert_true(audit_has("connection.update", "wx-main", "ok", "conns"));
    assert_true(audit_has("connection.delete", "wx-main", "ok", "conns"));
    /* Never in the log, in any form the server saw it. */
    assert_false(log_has(secret));
    assert_false(log_has("0123456789abcdef0123456789abcdef"));
    assert_false(log_has(env.secret));
}

/* ---- changes reach the running server ---- */

static void
test_live_changes(void **state)
{
    char url[256], body[512];
    wxt_resp_t r = {0};
    wxt_result_t res;
    api_ok("POST", "/pools", "{\"id\":\"live\"}", 201);
    snprintf(body, sizeof(body),
             "{\"appid\":\"" WXT_APPID_BASE "\",\"app_secret\":\"%s\",\"callback_url\":"
             "\"http://127.0.0.1:9/live-1\",\"txt_filename\":\"MP_verify_Live1.txt\","
             "\"txt_content\":\"Live1\",\"scope\":\"snsapi_base\"}",
             env.secret);
    api_ok("POST", "/pools/live/connections", body, 201);
    snprintf(url, sizeof(url), "%s/MP_verify_Live1.txt", env.auth);
    assert_int_equal(wxt_http("GET", url, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "Live1");
    wxt_resp_free(&r);
    person_add("liv", "Liv");
    login("/oauth/wechatmp/url/live", "liv", &res);
    assert_int_equal(res.code, 200);
    wxt_result_free(&res);

    /* Change the callback and the verification file: the next requests see it at once. */
    api_ok("PATCH", "/pools/live/connections/wechat:webpage-authorization",
           "{\"callback_url\":\"http://127.0.0.1:9/live-2\",\"txt_filename\":"
           "\"MP_verify_Live2.txt\",\"txt_content\":\"Live2\"}",
           200);
    assert_int_equal(wxt_http("GET", url, NULL, &r), 0);
    assert_int_equal(r.status, 404);
    wxt_resp_free(&r);
    snprintf(url, sizeof(url), "%s/MP_verify_Live2.txt", env.auth);
    assert_int_equal(wxt_http("GET", url, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "Live2");
    wxt_resp_free(&r);
    wxt_browser_t *b = wxt_browser_new(NULL);
    snprintf(url, sizeof(url), "%s/oauth/wechatmp/url/live", env.auth);
    wxt_login(b, url, "liv", "allow", &r, NULL, 0);
    assert_int_equal(r.status, 302);
    assert_true(strncmp(r.location, "http://127.0.0.1:9/live-2?code=200", 34) == 0);
    wxt_resp_free(&r);
    wxt_browser_free(b);

    /* An application's callbacks too. */
    api_ok("POST", "/pools/live/apps", "{\"id\":\"live-app\"}", 201);
    snprintf(url, sizeof(url),
             "%s/connections/social/wechat:webpage-authorization?app_id=live-app&redirect_url="
             "http%%3A%%2F%%2F127.0.0.1%%3A9%%2Fapp-3",
             env.auth);
    assert_int_equal(wxt_http("GET", url, NULL, &r), 0);
    assert_int_equal(r.status, 400); /* not registered yet */
    wxt_resp_free(&r);
    api_ok("PATCH", "/apps/live-app", "{\"redirect_urls\":[\"http://127.0.0.1:9/app-3\"]}", 200);
    assert_int_equal(wxt_http("GET", url, NULL, &r), 0);
    assert_int_equal(r.status, 302);
    wxt_resp_free(&r);
}

/* ---- users ---- */

static json_int_t
jint(const json_t *o, const char *k)
{
    return json_integer_value(json_object_get(o, k));
}

/* GET /pools/{id}/stats: the console dashboard's numbers follow the logins that happen. */
static void
test_stats(void **state)
{
    wxt_result_t res;
    json_t *before = api("GET", "/pools/demo/stats", NULL, 200);
    assert_int_equal(json_array_size(json_object_get(before, "hours")), 24);
    assert_int_equal(jint(before, "window_hours"), 24);
    person_add("stat1", "Stat One");
    login("/oauth/wechatmp/url/demo", "stat1", &res);
    assert_int_equal(res.code, 200);
    wxt_result_free(&res);
    login("/oauth/wechatmp/url/demo", "stat1", &res);
    assert_int_equal(res.code, 200);
    wxt_result_free(&res);
    /* one declined on WeChat's consent page */
    char url[300];
    wxt_resp_t fin = {0};
    wxt_browser_t *b = wxt_browser_new(NULL);
    snprintf(url, sizeof(url), "%s/oauth/wechatmp/url/demo", env.auth);
    wxt_login(b, url, "stat1", "deny", &fin, NULL, 0);
    wxt_resp_free(&fin);
    wxt_browser_free(b);

    json_t *after = api("GET", "/pools/demo/stats?hours=2", NULL, 200);
    json_t *all = api("GET", "/pools/demo/stats", NULL, 200);
    assert_int_equal(jint(all, "logins"), jint(before, "logins") + 2);
    assert_int_equal(jint(all, "new_users"), jint(before, "new_users") + 1);
    assert_int_equal(jint(all, "failed"), jint(before, "failed") + 1);
    assert_int_equal(jint(all, "users_total"), jint(before, "users_total") + 1);
    assert_int_equal(json_array_size(json_object_get(after, "hours")), 2);
    json_int_t sum = 0;
    size_t i;
    json_t *h;
    json_array_foreach(json_object_get(all, "hours"), i, h) sum += jint(h, "ok");
    assert_int_equal(sum, jint(all, "logins"));
    bool seen = false;
    json_array_foreach(json_object_get(all, "top_failures"), i, h) seen |=
        strcmp(json_string_value(json_object_get(h, "outcome")), "denied") == 0;
    assert_true(seen);
    json_decref(before);
    json_decref(after);
    json_decref(all);
    json_t *srv = api("GET", "/server", NULL, 200);
    assert_string_equal(json_string_value(json_object_get(srv, "public_url")), env.auth);
    char iss[300];
    snprintf(iss, sizeof(iss), "%s/oidc", env.auth);
    assert_string_equal(json_string_value(json_object_get(srv, "issuer")), iss);
    json_decref(srv);
    json_decref(api("GET", "/pools/demo/stats?hours=0", NULL, 400));
    json_decref(api("GET", "/pools/nope/stats", NULL, 404));
    json_decref(api("POST", "/pools/demo/stats", "{}", 405));
}

static void
test_users(void **state)
{
    char openid[64], unionid[64], path[300], uid_alice[64], uid_bob[64];
    free(login_token("alice", uid_alice, sizeof(uid_alice)));
    free(login_token("bob", uid_bob, sizeof(uid_bob)));
    json_t *j = api("GET", "/pools/demo/users", NULL, 200);
    long long total = json_integer_value(json_object_get(j, "total"));
    assert_true(total >= 2);
    assert_int_equal(json_integer_value(json_object_get(j, "limit")), 50);
    json_decref(j);
    /* Paging: one at a time, no repeats. */
    j = api("GET", "/pools/demo/users?limit=1&offset=0", NULL, 200);
    json_t *k = api("GET", "/pools/demo/users?limit=1&offset=1", NULL, 200);
    assert_int_equal(json_array_size(json_object_get(j, "users")), 1);
    assert_int_equal(json_array_size(json_object_get(k, "users")), 1);
    assert_string_not_equal(jstr(json_array_get(json_object_get(j, "users"), 0), "id"),
                            jstr(json_array_get(json_object_get(k, "users"), 0), "id"));
    assert_int_equal(json_integer_value(json_object_get(k, "total")), total);
    json_decref(j);
    json_decref(k);
    snprintf(path, sizeof(path), "/pools/demo/users?offset=%lld", total);
    j = api("GET", path, NULL, 200);
    assert_int_equal(json_array_size(json_object_get(j, "users")), 0);
    json_decref(j);

    /* Search by part of the nickname, by openid, by unionid. */
    /* A search that is not UTF-8 (a cut character, a Latin-1 byte): a clear 400, the same on
     * both stores (PostgreSQL used to answer "storage error"). */
    j = api("GET", "/pools/demo/users?search=%E7%88", NULL, 400);
    assert_non_null(strstr(jstr(j, "message"), "UTF-8"));
    json_decref(j);
    api_ok("GET", "/pools/demo/users?search=%FF", NULL, 400);
    j = api("GET", "/audit?actor=%FF", NULL, 400);
    assert_non_null(strstr(jstr(j, "message"), "UTF-8"));
    json_decref(j);
    j = api("GET", "/pools/demo/users?search=%E7%88%B1%E4%B8%BD", NULL, 200); /* 爱丽 */
    assert_int_equal(json_integer_value(json_object_get(j, "total")), 1);
    assert_string_equal(jstr(json_array_get(json_object_get(j, "users"), 0), "id"), uid_alice);
    json_decref(j);
    wxt_emu_person_ids(&env, WXT_APPID, "bob", openid, sizeof(openid), unionid, sizeof(unionid));
    snprintf(path, sizeof(path), "/pools/demo/users?search=%s", openid);
    j = api("GET", path, NULL, 200);
    assert_int_equal(json_integer_value(json_object_get(j, "total")), 1);
    assert_string_equal(jstr(json_array_get(json_object_get(j, "users"), 0), "id"), uid_bob);
    json_decref(j);
    snprintf(path, sizeof(path), "/pools/demo/users?search=%s", unionid);
    j = api("GET", path, NULL, 200);
    assert_int_equal(json_integer_value(json_object_get(j, "total")), 1);
    assert_string_equal(jstr(json_array_get(json_object_get(j, "users"), 0), "id"), uid_bob);
    json_decref(j);
    j = api("GET", "/pools/demo/users?search=nobody-has-this", NULL, 200);
    assert_int_equal(json_integer_value(json_object_get(j, "total")), 0);
    json_decref(j);
    api_ok("GET", "/pools/demo/users?limit=0", NULL, 400);
    api_ok("GET", "/pools/demo/users?limit=abc", NULL, 400);
    api_ok("GET", "/pools/demo/users?offset=-1", NULL, 400);
    api_ok("GET", "/pools/nope/users", NULL, 404);
    api_ok("POST", "/pools/demo/users", "{}", 405);

    /* One user, with their identities. */
    snprintf(path, sizeof(path), "/pools/demo/users/%s", uid_bob);
    j = api("GET", path, NULL, 200);
    assert_string_equal(jstr(j, "nickname"), "Bob");
    json_t *ids = json_object_get(j, "identities");
    assert_int_equal(json_array_size(ids), 1);
    assert_string_equal(jstr(json_array_get(ids, 0), "openid"), openid);
    assert_string_equal(jstr(json_array_get(ids, 0), "unionid"), unionid);
    assert_string_equal(jstr(json_array_get(ids, 0), "appid"), WXT_APPID);
    assert_false(json_is_true(json_object_get(j, "blocked")));
    json_decref(j);
    api_ok("GET", "/pools/demo/users/000000000000000000000000", NULL, 404);
    snprintf(path, sizeof(path), "/pools/basepool/users/%s", uid_bob);
    api_ok("GET", path, NULL, 404); /* another pool's user */
    snprintf(path, sizeof(path), "/pools/demo/users/%s/promote", uid_bob);
    api_ok("POST", path, NULL, 404);
    snprintf(path, sizeof(path), "/pools/demo/users/%s/block", uid_bob);
    api_ok("GET", path, NULL, 405);
}

static void
test_block_unblock(void **state)
{
    char uid[64], path[300];
    wxt_result_t res;
    person_add("blockee", "Blockee");
    char *tok = login_token("blockee", uid, sizeof(uid));
    assert_true(token_valid(tok));
    snprintf(path, sizeof(path), "/pools/demo/users/%s/block", uid);
    json_t *j = api("POST", path, NULL, 200);
    assert_true(json_is_true(json_object_get(j, "blocked")));
    json_decref(j);
    assert_false(token_valid(tok)); /* refused online at once */
    /* The next login ends on the business callback with a clear message. */
    login("/oauth/wechatmp/url/demo", "blockee", &res);
    assert_int_equal(res.code, 1006);
    assert_string_equal(res.message, "该账号已被禁用，请联系网站管理员"); /* Authing's language */
    assert_null(res.data);
    wxt_result_free(&res);
    assert_true(audit_has("user.block", uid, "ok", "demo"));
    assert_true(audit_has("login", NULL, "blocked", "demo"));

    snprintf(path, sizeof(path), "/pools/demo/users/%s/unblock", uid);
    j = api("POST", path, NULL, 200);
    assert_false(json_is_true(json_object_get(j, "blocked")));
    json_decref(j);
    char uid2[64];
    char *tok2 = login_token("blockee", uid2, sizeof(uid2));
    assert_string_equal(uid, uid2);
    assert_true(token_valid(tok2));
    assert_true(audit_has("user.unblock", uid, "ok", "demo"));
    free(tok);
    free(tok2);
}

static void
test_revoke_and_delete(void **state)
{
    char uid[64], uid2[64], path[300];
    person_add("revokee", "Revokee");
    char *tok = login_token("revokee", uid, sizeof(uid));
    assert_true(token_valid(tok));
    snprintf(path, sizeof(path), "/pools/demo/users/%s/revoke-tokens", uid);
    time_t at = time(NULL);
    api_ok("POST", path, NULL, 200);
    assert_false(token_valid(tok));
    assert_true(audit_has("user.revoke_tokens", uid, "ok", "demo"));
    /* A token issued in the revoking second counts as before it: log in a second later. */
    for (int i = 0; i < 30 && time(NULL) <= at; i++) {
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    char *tok2 = login_token("revokee", uid2, sizeof(uid2));
    assert_string_equal(uid, uid2);
    assert_true(token_valid(tok2));

    snprintf(path, sizeof(path), "/pools/demo/users/%s", uid);
    api_ok("DELETE", path, NULL, 200);
    api_ok("GET", path, NULL, 404);
    api_ok("DELETE", path, NULL, 404);
    assert_false(token_valid(tok2)); /* a deleted user's tokens are refused */
    assert_true(audit_has("user.delete", uid, "ok", "demo"));
    /* Logging in again makes a new user. */
    char *tok3 = login_token("revokee", uid2, sizeof(uid2));
    assert_string_not_equal(uid, uid2);
    free(tok);
    free(tok2);
    free(tok3);
}

/* ---- signing keys ---- */

static void
test_keys(void **state)
{
    json_t *j = api("GET", "/keys", NULL, 200), *k;
    size_t i;
    int current = 0;
    json_array_foreach(json_object_get(j, "keys"), i, k)
    {
        current += strcmp(jstr(k, "state"), "current") == 0;
        assert_null(json_object_get(k, "private_pem"));
        assert_null(json_object_get(k, "d"));
    }
    assert_true(current >= 1);
    json_decref(j);
    j = api("POST", "/keys/rotate", "{\"alg\":\"ES256\"}", 200);
    char kid[128];
    snprintf(kid, sizeof(kid), "%s", jstr(j, "kid"));
    assert_string_equal(jstr(j, "alg"), "ES256");
    json_decref(j);
    j = api("GET", "/keys", NULL, 200);
    bool found = false;
    json_array_foreach(json_object_get(j, "keys"), i, k) found |=
        strcmp(jstr(k, "kid"), kid) == 0 && strcmp(jstr(k, "state"), "current") == 0;
    assert_true(found);
    json_decref(j);
    expect_invalid("POST", "/keys/rotate", "{\"alg\":\"none\"}", "alg");
    expect_invalid("POST", "/keys/rotate", "{\"alg\":\"HS256\"}", "alg");
    api_ok("GET", "/keys/rotate", NULL, 405);
    api_ok("DELETE", "/keys", NULL, 405);
    assert_true(audit_has("keys.rotate", kid, "ok", NULL));
}

/* ---- the connection check asks WeChat ---- */

/* The check entry named name in a check answer (fails when absent). */
static const json_t *
check_entry(const json_t *j, const char *name)
{
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(j, "checks"), i, o)
    {
        const char *c = json_string_value(json_object_get(o, "check"));
        if (c && strcmp(c, name) == 0)
            return o;
    }
    fail_msg("no check '%s' in %s", name, json_dumps(j, JSON_COMPACT));
    return NULL;
}

/* status and words of one check; a failing or warned one says what to fix, in both languages */
static void
want_check(const json_t *j, const char *name, const char *status, const char *words)
{
    const json_t *o = check_entry(j, name);
    if (strcmp(jstr(o, "status"), status) != 0 ||
        (words && !strstr(jstr(o, "message"), words) &&
         !strstr((json_string_value(json_object_get(o, "fix"))
                      ? json_string_value(json_object_get(o, "fix"))
                      : ""),
                 words)))
        fail_msg("check %s: want %s with \"%s\", got %s", name, status, words ? words : "",
                 json_dumps(o, JSON_COMPACT));
    assert_true(jstr(o, "message_zh")[0] != '\0');
    if (strcmp(status, "ok") != 0) {
        assert_true(jstr(o, "fix")[0] != '\0');
        assert_true(jstr(o, "fix_zh")[0] != '\0');
    }
}

/* The whole set-up check (what doctor and the console show): the verification file fetched
 * from public_url, WeChat's token call, the authorize page asked about the redirect_uri's
 * domain; a good set-up, then a missing file and a domain the account does not have. */
static void
test_connection_setup_checks(void **state)
{
    (void)state;
    const char *order[] = {"callback", "txt-file", "wechat", "domain"};
    json_t *j =
        api("POST", "/pools/demo/connections/wechat:webpage-authorization/check", NULL, 200);
    size_t at = 0, i;
    json_t *o;
    json_array_foreach(json_object_get(j, "checks"), i, o)
    {
        if (at < 4 && strcmp(jstr(o, "check"), order[at]) == 0)
            at++;
    }
    if (at != 4 || json_integer_value(json_object_get(j, "failed")) != 0)
        fail_msg("good set-up: %s", json_dumps(j, JSON_COMPACT));
    want_check(j, "txt-file", "ok", "MP_verify_T3stFile9.txt serves the exact content");
    want_check(j, "wechat", "ok", "accepted App ID " WXT_APPID);
    want_check(j, "domain", "ok", "accepts 127.0.0.1:");
    json_decref(j);
    long probes = wxt_emu_calls(&env, "authorize");
    assert_true(probes >= 1);

    /* No verification file: a warning saying where to get one. */
    char body[512];
    api_ok("POST", "/pools", "{\"id\":\"setup\",\"redirect_urls\":[\"https://a.example/cb\"]}",
           201);
    snprintf(body, sizeof(body),
             "{\"appid\":\"" WXT_APPID "\",\"app_secret\":\"%s\",\"callback_url\":\"#\"}",
             env.secret);
    api_ok("POST", "/pools/setup/connections", body, 201);
    j = api("POST", "/pools/setup/connections/wechat:webpage-authorization/check", NULL, 200);
    want_check(j, "txt-file", "warn", "no verification file");
    want_check(j, "txt-file", "warn", "--txt-file");
    want_check(j, "callback", "fail", "nowhere to return"); /* '#' and no application */
    want_check(j, "pool-flow", "ok", NULL);
    want_check(j, "wechat", "ok", NULL);
    json_decref(j);

    /* An account whose 网页授权域名 is another host: WeChat (the emulator) says 10003. */
    snprintf(body, sizeof(body),
             "{\"appid\":\"wx00000000000000d1\",\"secret\":\"%s\",\"domain\":\"id.example.com\","
             "\"scopes\":\"snsapi_base,snsapi_userinfo\"}",
             env.secret);
    wxt_emu_admin(&env, "POST", "/emu/admin/accounts", body);
    api_ok("PATCH", "/pools/setup/connections/wechat:webpage-authorization",
           "{\"appid\":\"wx00000000000000d1\",\"txt_filename\":\"MP_verify_Setup1.txt\","
           "\"txt_content\":\"setup1\"}",
           200);
    j = api("POST", "/pools/setup/connections/wechat:webpage-authorization/check", NULL, 200);
    want_check(j, "domain", "fail", "10003");
    want_check(j, "domain", "fail", "enter 127.0.0.1:");
    want_check(j, "txt-file", "ok", NULL);
    want_check(j, "wechat", "ok", NULL);
    assert_true(json_integer_value(json_object_get(j, "failed")) >= 2);
    json_decref(j);
    api_ok("DELETE", "/pools/setup", NULL, 200);
}

static void
test_connection_check(void **state)
{
    json_t *j =
        api("POST", "/pools/demo/connections/wechat:webpage-authorization/check", NULL, 200);
    assert_true(json_is_true(json_object_get(j, "ok")));
    assert_string_equal(jstr(j, "reason"), "accepted");
    assert_string_equal(jstr(j, "api_base"), env.emu);
    json_decref(j);
    long calls = wxt_emu_calls(&env, "stable_token");
    assert_true(calls >= 1);

    /* A wrong secret, an App ID WeChat does not know, WeChat unreachable. */
    char body[256];
    api_ok("POST", "/pools", "{\"id\":\"chk\"}", 201);
    snprintf(body, sizeof(body),
             "{\"appid\":\"" WXT_APPID "\",\"app_secret\":\"wrong-secret-0000\","
             "\"callback_url\":\"#\"}");
    api_ok("POST", "/pools/chk/connections", body, 201);
    j = api("POST", "/pools/chk/connections/wechat:webpage-authorization/check", NULL, 200);
    assert_false(json_is_true(json_object_get(j, "ok")));
    assert_string_equal(jstr(j, "reason"), "wrong_secret");
    assert_int_equal(json_integer_value(json_object_get(j, "errcode")), 40125);
    assert_non_null(strstr(jstr(j, "message"), "App Secret"));
    json_decref(j);
    api_ok("PATCH", "/pools/chk/connections/wechat:webpage-authorization",
           "{\"appid\":\"wx00000000000000ff\"}", 200);
    j = api("POST", "/pools/chk/connections/wechat:webpage-authorization/check", NULL, 200);
    assert_string_equal(jstr(j, "reason"), "unknown_appid");
    assert_int_equal(json_integer_value(json_object_get(j, "errcode")), 40013);
    json_decref(j);
    wxt_emu_fault(&env, "{\"endpoint\":\"stable_token\",\"reset_rate\":1}");
    j = api("POST", "/pools/demo/connections/wechat:webpage-authorization/check", NULL, 200);
    assert_false(json_is_true(json_object_get(j, "ok")));
    assert_string_equal(jstr(j, "reason"), "unreachable");
    json_decref(j);
    wxt_emu_clear_faults(&env);
    assert_true(audit_has("connection.check", "wechat:webpage-authorization", "ok", "demo"));
    assert_true(audit_has("connection.check", "wechat:webpage-authorization",
                          "failed: wrong_secret", "chk"));
    api_ok("POST", "/pools/demo/connections/nope/check", NULL, 404);
    assert_false(log_has("wrong-secret-0000"));
    assert_false(log_has(env.secret));
}

/* ---- the audit log ---- */

static void
test_audit_filters(void **state)
{
    api_ok("POST", "/pools", "{\"id\":\"aud\"}", 201);
    api_ok("PATCH", "/pools/aud", "{\"name\":\"Audited\"}", 200);
    json_t *j = api("GET", "/audit?pool=aud", NULL, 200), *e;
    size_t i;
    assert_int_equal(json_integer_value(json_object_get(j, "total")), 2);
    /* Newest first. */
    assert_string_equal(jstr(json_array_get(json_object_get(j, "events"), 0), "action"),
                        "pool.update");
    assert_string_equal(jstr(json_array_get(json_object_get(j, "events"), 1), "action"),
                        "pool.create");
    json_array_foreach(json_object_get(j, "events"), i, e)
    {
        assert_string_equal(jstr(e, "pool_id"), "aud");
        assert_string_equal(jstr(e, "actor"), "admin@127.0.0.1");
        assert_string_equal(jstr(e, "subject"), "aud");
        assert_string_equal(jstr(e, "outcome"), "ok");
    }
    int64_t at =
        json_integer_value(json_object_get(json_array_get(json_object_get(j, "events"), 1), "at"));
    json_decref(j);
    /* A prefix of actions, an actor, a time window, paging. */
    j = api("GET", "/audit?action=pool.&limit=1000", NULL, 200);
    json_array_foreach(json_object_get(j, "events"), i, e)
    {
        assert_true(strncmp(jstr(e, "action"), "pool.", 5) == 0);
    }
    assert_true(json_array_size(json_object_get(j, "events")) >= 2);
    json_decref(j);
    j = api("GET", "/audit?actor=unknown@127.0.0.1&limit=1000", NULL, 200);
    json_array_foreach(json_object_get(j, "events"), i, e)
    {
        assert_string_equal(jstr(e, "action"), "admin.sign_in");
        assert_string_equal(jstr(e, "outcome"), "denied");
    }
    /* test_auth's wrong token (one row: failures are aggregated per address and minute) */
    assert_true(json_array_size(json_object_get(j, "events")) >= 1);
    json_decref(j);
    char path[256];
    snprintf(path, sizeof(path), "/audit?pool=aud&since=%lld&until=%lld", (long long)at,
             (long long)at + 3600);
    j = api("GET", path, NULL, 200);
    assert_int_equal(json_integer_value(json_object_get(j, "total")), 2);
    json_decref(j);
    snprintf(path, sizeof(path), "/audit?pool=aud&until=%lld", (long long)at);
    j = api("GET", path, NULL, 200);
    assert_int_equal(json_integer_value(json_object_get(j, "total")), 0);
    json_decref(j);
    j = api("GET", "/audit?pool=aud&limit=1&offset=1", NULL, 200);
    assert_int_equal(json_array_size(json_object_get(j, "events")), 1);
    assert_string_equal(jstr(json_array_get(json_object_get(j, "events"), 0), "action"),
                        "pool.create");
    json_decref(j);
    api_ok("GET", "/audit?limit=0", NULL, 400);
    api_ok("GET", "/audit?since=yesterday", NULL, 400);
    api_ok("POST", "/audit", "{}", 405);
    api_ok("GET", "/nothing-here", NULL, 404);
    api_ok("GET", "/", NULL, 404);
}

/* ---- failed sign-ins: a fresh server, since the limit bites this address ---- */

static void
test_rate_limit(void **state)
{
    wxt_env_t e2;
    wxt_setup(&e2, NULL);
    char url[256], health[256];
    wxt_resp_t r = {0};
    snprintf(url, sizeof(url), "%s/api/admin/v1/pools", e2.admin);
    snprintf(health, sizeof(health), "%s/healthz", e2.auth);
    /* Requests without a credential (an <img> on some page, a crawler) are not guesses. */
    for (int i = 0; i < 15; i++) {
        assert_int_equal(wxt_http("GET", url, NULL, &r), 0);
        if (r.status != 401)
            fail_msg("credential-less request %d answered %ld", i + 1, r.status);
        wxt_resp_free(&r);
    }
    for (int i = 0; i < 10; i++) {
        assert_int_equal(wxt_http_auth("GET", url, "wrong-token-wrong-token", NULL, &r), 0);
        if (r.status != 401)
            fail_msg("failure %d answered %ld", i + 1, r.status);
        wxt_resp_free(&r);
    }
    /* The 11th wrong token is refused without being checked... */
    assert_int_equal(wxt_http_auth("GET", url, "wrong-token-wrong-token", NULL, &r), 0);
    assert_int_equal(r.status, 429);
    assert_non_null(strstr(r.body, "wait"));
    wxt_resp_free(&r);
    /* ...but the right token is never refused, and other clients are served meanwhile. */
    assert_int_equal(wxt_http_auth("GET", url, e2.admin_token, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    wxt_resp_free(&r);
    assert_int_equal(wxt_http("GET", health, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    wxt_resp_free(&r);
    assert_int_equal(wxt_http_auth("GET", url, "wrong-token-wrong-token", NULL, &r), 0);
    assert_int_equal(r.status, 429);
    wxt_resp_free(&r);
    /* The failures are in the trail aggregated: one row per address per minute, not 11. */
    store_t *st = NULL;
    wx_err_t err = {0};
    assert_int_equal(store_open(e2.store_url, &st, &err), WX_OK);
    int64_t n = 0;
    assert_int_equal(store_audit_count(st, "admin.sign_in", &n, &err), WX_OK);
    assert_true(n >= 1 && n <= 2); /* 2 only if the test straddles a minute */
    store_close(st);
    wxt_teardown(&e2);
}

/* ---- [admin] trusted_proxies: the client address behind a proxy ---- */

/* GET url with the token and one extra header; the status. */
static long
get_via(const char *url, const char *token, const char *header)
{
    char auth[160];
    wxt_resp_t r = {0};
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
    const char *const hs[] = {auth, header, NULL};
    assert_int_equal(wxt_http_headers("GET", url, hs, NULL, &r), 0);
    long st = r.status;
    wxt_resp_free(&r);
    return st;
}

static void
test_trusted_proxies(void **state)
{
    wxt_env_t e3;
    wxt_opts_t o = {.extra_config = "[admin]\ntrusted_proxies = 10.9.9.9, 127.0.0.0/8\n"};
    wxt_setup(&e3, &o);
    char url[256];
    const char *bad = "wrong-token-wrong-token";
    snprintf(url, sizeof(url), "%s/api/admin/v1/pools", e3.admin);
    /* A client behind the proxy is limited by its own address... */
    for (int i = 0; i < 10; i++)
        assert_int_equal(get_via(url, bad, "X-Forwarded-For: 203.0.113.5"), 401);
    assert_int_equal(get_via(url, bad, "X-Forwarded-For: 203.0.113.5"), 429);
    /* ...(trusted hops on its right are skipped; Forwarded: for= is read too)... */
    assert_int_equal(get_via(url, bad, "X-Forwarded-For: 203.0.113.5, 10.9.9.9"), 429);
    assert_int_equal(get_via(url, bad, "Forwarded: for=\"203.0.113.5:4711\";proto=https"), 429);
    /* ...and neither the proxy's other clients nor a forged left part are shut out with it. */
    assert_int_equal(get_via(url, bad, "X-Forwarded-For: 203.0.113.6"), 401);
    assert_int_equal(get_via(url, bad, "X-Forwarded-For: 203.0.113.5, 198.51.100.1"), 401);
    assert_int_equal(get_via(url, bad, "Forwarded: for=\"[2001:db8::1]\""), 401);
    assert_int_equal(get_via(url, bad, "X-Forwarded-For: ::ffff:203.0.113.5"), 429);
    assert_int_equal(get_via(url, bad, "X-Forwarded-For: [2001:db8::5]:4711, 127.0.0.1"), 401);
    /* The actor in the trail is the client, not the proxy. */
    wxt_resp_t r = {0};
    char auth[160];
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", e3.admin_token);
    const char *const hs[] = {auth, "X-Forwarded-For: 198.51.100.23", NULL};
    snprintf(url, sizeof(url), "%s/api/admin/v1/session", e3.admin);
    assert_int_equal(wxt_http_headers("POST", url, hs, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "admin@198.51.100.23"));
    wxt_resp_free(&r);
    wxt_teardown(&e3);
    /* [server] trusted_proxies is the public listener's only: the admin listener does not
     * believe a loopback client's header for it. */
    wxt_opts_t o4 = {.extra_config = "[server]\ntrusted_proxies = 127.0.0.0/8\n"};
    wxt_setup(&e3, &o4);
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", e3.admin_token);
    snprintf(url, sizeof(url), "%s/api/admin/v1/session", e3.admin);
    assert_int_equal(wxt_http_headers("POST", url, hs, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "admin@127.0.0.1"));
    wxt_resp_free(&r);
    wxt_teardown(&e3);
    /* Without trusted_proxies the header is not believed (env: the default config). */
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", env.admin_token);
    snprintf(url, sizeof(url), "%s/api/admin/v1/session", env.admin);
    assert_int_equal(wxt_http_headers("POST", url, hs, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "admin@127.0.0.1"));
    wxt_resp_free(&r);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_auth),
        cmocka_unit_test(test_pools),
        cmocka_unit_test(test_apps),
        cmocka_unit_test(test_app_oidc_settings),
        cmocka_unit_test(test_connections),
        cmocka_unit_test(test_live_changes),
        cmocka_unit_test(test_stats),
        cmocka_unit_test(test_users),
        cmocka_unit_test(test_block_unblock),
        cmocka_unit_test(test_revoke_and_delete),
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_connection_check),
        cmocka_unit_test(test_connection_setup_checks),
        cmocka_unit_test(test_audit_filters),
        cmocka_unit_test(test_rate_limit),
        cmocka_unit_test(test_trusted_proxies),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
