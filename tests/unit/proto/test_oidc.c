/* Tests for src/proto/oidc.c: PKCE S256 (RFC 7636 Appendix B), exact redirect_uri matching,
 * at_hash (values computed with Python's hashlib), the request carried on a login state, and
 * the authorization response in both modes (escaped). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "proto/oidc.h"

#define VERIFIER "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
#define CHALLENGE "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"

static void
test_pkce(void **state)
{
    assert_true(oidc_challenge_valid(CHALLENGE));
    assert_false(oidc_challenge_valid("short"));
    assert_false(
        oidc_challenge_valid("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw+cM")); /* not b64url */
    assert_false(oidc_challenge_valid(NULL));
    assert_true(oidc_pkce_s256_ok(VERIFIER, CHALLENGE));
    assert_false(oidc_pkce_s256_ok("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXx", CHALLENGE));
    assert_false(oidc_pkce_s256_ok(CHALLENGE, CHALLENGE)); /* "plain" never passes */
    assert_false(oidc_pkce_s256_ok(NULL, CHALLENGE));
    assert_false(oidc_pkce_s256_ok("too-short", CHALLENGE));
    assert_false(oidc_pkce_s256_ok(VERIFIER " ", CHALLENGE)); /* outside the alphabet */
}

static void
test_redirect_exact(void **state)
{
    const char *list = "https://a.example/cb\nhttps://*.example/cb\nhttps://b.example/x \n";
    assert_true(oidc_redirect_registered(list, "https://a.example/cb"));
    assert_true(oidc_redirect_registered(list, "https://b.example/x")); /* trailing space */
    assert_false(oidc_redirect_registered(list, "https://a.example/cb/"));
    assert_false(oidc_redirect_registered(list, "https://a.example/c"));
    assert_false(oidc_redirect_registered(list, "https://A.example/cb"));
    assert_false(oidc_redirect_registered(list, "https://c.example/cb")); /* pattern: no */
    assert_false(oidc_redirect_registered(list, "https://*.example/cb")); /* nor literally */
    assert_false(oidc_redirect_registered(list, ""));
    assert_false(oidc_redirect_registered("", "https://a.example/cb"));
}

static void
test_at_hash(void **state)
{
    char out[100];
    const char *at = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.access";
    assert_int_equal(oidc_at_hash("RS256", at, out, sizeof(out)), WX_OK);
    assert_string_equal(out, "0TqUvD6JdgpeNAAxlWHOGw");
    assert_int_equal(oidc_at_hash("ES256", at, out, sizeof(out)), WX_OK);
    assert_string_equal(out, "0TqUvD6JdgpeNAAxlWHOGw");
    assert_int_equal(oidc_at_hash("EdDSA", at, out, sizeof(out)), WX_OK);
    assert_string_equal(out, "P0dyyjej251p-MVCZKEjybUCqkmhjV_dB1vSSIii_2g");
    assert_int_equal(oidc_at_hash("RS256", at, out, 10), WX_ETOOBIG);
}

static void
test_scope(void **state)
{
    assert_true(oidc_scope_has("openid profile", "openid"));
    assert_true(oidc_scope_has("profile  openid", "openid"));
    assert_false(oidc_scope_has("openidx profile", "openid"));
    assert_false(oidc_scope_has("", "openid"));
    assert_false(oidc_scope_has(NULL, "openid"));
}

static void
test_request_roundtrip(void **state)
{
    oidc_request_t q = {.form_post = true}, got;
    char s[STORE_OIDC_REQ_MAX];
    snprintf(q.state, sizeof(q.state), "%s", "a b&c=d%");
    snprintf(q.nonce, sizeof(q.nonce), "%s", "n\xe4\xb8\xad");
    snprintf(q.code_challenge, sizeof(q.code_challenge), "%s", CHALLENGE);
    snprintf(q.scope, sizeof(q.scope), "%s", "openid profile");
    assert_true(oidc_request_format(&q, s, sizeof(s)));
    assert_true(oidc_request_is(s));
    assert_true(oidc_request_parse(s, &got));
    assert_true(got.form_post);
    assert_string_equal(got.state, q.state);
    assert_string_equal(got.nonce, q.nonce);
    assert_string_equal(got.code_challenge, CHALLENGE);
    assert_string_equal(got.scope, "openid profile");
    assert_false(oidc_request_format(&q, s, 20)); /* does not fit: refused, not cut */
    assert_false(oidc_request_parse("with_identities=1", &got));
    assert_false(oidc_request_parse("oidc:1 m=query", &got));
    assert_false(oidc_request_is(NULL));
    oidc_request_t w = {.web_message = true};
    assert_true(oidc_request_format(&w, s, sizeof(s)));
    assert_true(oidc_request_parse(s, &got));
    assert_true(got.web_message);
    assert_false(got.form_post);
}

/* web_message: the page posts only to redirect_uri's origin, and its data cannot end the
 * script element. */
static void
test_web_message(void **state)
{
    char o[128];
    assert_true(oidc_origin_of("https://a.example.com:8443/cb?x=1", o, sizeof(o)));
    assert_string_equal(o, "https://a.example.com:8443");
    assert_true(oidc_origin_of("http://127.0.0.1:9/cb", o, sizeof(o)));
    assert_string_equal(o, "http://127.0.0.1:9");
    assert_false(oidc_origin_of("javascript:alert(1)//x", o, sizeof(o)));
    assert_false(oidc_origin_of("https://user@evil.example/cb", o, sizeof(o)));
    assert_false(oidc_origin_of("https:///cb", o, sizeof(o)));
    wx_buf_t b;
    wx_buf_init(&b, 1 << 16);
    assert_int_equal(oidc_response_message(&b, "https://a.example.com/cb", "C0DE", NULL, NULL,
                                           "</script><script>alert(1)</script>",
                                           "https://id.example.com/oidc"),
                     WX_OK);
    const char *page = wx_buf_str(&b);
    assert_non_null(strstr(page, "\"origin\":\"https://a.example.com\""));
    assert_non_null(strstr(page, "\\u003c/script\\u003e"));
    assert_null(strstr(page, "</script><script>alert"));
    assert_non_null(strstr(page, OIDC_WEB_MESSAGE_SCRIPT));
    wx_buf_free(&b);
}

static void
test_response(void **state)
{
    wx_buf_t b;
    wx_buf_init(&b, 4096);
    assert_int_equal(
        oidc_response_url(&b, "https://rp/cb?x=1", "C0DE", NULL, NULL, "s&1", "https://id/oidc"),
        WX_OK);
    assert_string_equal(wx_buf_str(&b),
                        "https://rp/cb?x=1&code=C0DE&state=s%261&iss=https%3A%2F%2Fid%2Foidc");
    wx_buf_reset(&b);
    assert_int_equal(oidc_response_url(&b, "https://rp/cb", NULL, "access_denied", "no way", "",
                                       "https://id/oidc"),
                     WX_OK);
    assert_string_equal(wx_buf_str(&b), "https://rp/cb?error=access_denied&error_description=no%"
                                        "20way&iss=https%3A%2F%2Fid%2Foidc");
    wx_buf_reset(&b);
    assert_int_equal(oidc_response_form(&b, "https://rp/cb?a=\"1\"", "C0DE", NULL, NULL, "<script>",
                                        "https://id/oidc"),
                     WX_OK);
    assert_non_null(strstr(wx_buf_str(&b), "action=\"https://rp/cb?a=&quot;1&quot;\""));
    assert_non_null(strstr(wx_buf_str(&b), "name=\"state\" value=\"&lt;script&gt;\""));
    assert_null(strstr(wx_buf_str(&b), "<script>"));
    wx_buf_free(&b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pkce),
        cmocka_unit_test(test_redirect_exact),
        cmocka_unit_test(test_at_hash),
        cmocka_unit_test(test_scope),
        cmocka_unit_test(test_request_roundtrip),
        cmocka_unit_test(test_web_message),
        cmocka_unit_test(test_response),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
