/* wxauth as an OpenID Connect provider (issue #13): the discovery document at every URL that
 * serves it has each field OIDC Discovery 1.0 §3 requires, one issuer, and nothing it does not
 * implement (each advertised endpoint answers). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

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

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_discovery_documents),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
