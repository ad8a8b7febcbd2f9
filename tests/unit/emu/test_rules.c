/* Tests for src/emu/rules.c: parameter order, domain match (host and port), state, scope. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "emu/rules.h"

static bool
in_order(const char *qs)
{
    wx_query_t q;
    char why[128];
    assert_int_equal(wx_query_parse(qs, &q, NULL), WX_OK);
    bool ok = emu_params_in_order(&q, why, sizeof(why));
    wx_query_free(&q);
    return ok;
}

static void
test_param_order(void **state)
{
    assert_true(in_order("appid=a&redirect_uri=b&response_type=code&scope=s&state=x"));
    assert_true(in_order("appid=a&redirect_uri=b&response_type=code&scope=s&state=x"
                         "&forcePopup=true&emu_person=p&emu_action=allow"));
    assert_true(in_order("appid=a&redirect_uri=b&response_type=code&scope=s&state=x"
                         "&connect_redirect=1"));
    /* missing ones are left to their own error codes */
    assert_true(in_order("redirect_uri=b&response_type=code&scope=s&state=x"));
    assert_true(in_order("appid=a&redirect_uri=b&response_type=code&scope=s"));
    assert_true(in_order(""));
    /* wrong order, repeats, or something before the five */
    assert_false(in_order("redirect_uri=b&appid=a&response_type=code&scope=s&state=x"));
    assert_false(in_order("appid=a&redirect_uri=b&response_type=code&state=x&scope=s"));
    assert_false(in_order("appid=a&redirect_uri=b&response_type=code&scope=s&state=x&state=y"));
    assert_false(in_order("appid=a&appid=a&redirect_uri=b&response_type=code&scope=s&state=x"));
    assert_false(in_order("x=1&appid=a&redirect_uri=b&response_type=code&scope=s&state=x"));
    assert_false(in_order("appid=a&redirect_uri=b&forcePopup=true&response_type=code&scope=s"
                          "&state=x"));

    wx_query_t q;
    char why[128];
    wx_query_parse("scope=s&appid=a", &q, NULL);
    assert_false(emu_params_in_order(&q, why, sizeof(why)));
    assert_non_null(strstr(why, "'appid' must come before 'scope'"));
    wx_query_free(&q);
}

static void
test_hostport(void **state)
{
    char host[EMU_HOST_MAX];
    long port;
    assert_true(emu_hostport_parse("Example.COM", 11, host, sizeof(host), &port));
    assert_string_equal(host, "example.com");
    assert_int_equal(port, 0);
    assert_true(emu_hostport_parse("127.0.0.1:8080", 14, host, sizeof(host), &port));
    assert_string_equal(host, "127.0.0.1");
    assert_int_equal(port, 8080);
    assert_true(emu_hostport_parse("[::1]:443", 9, host, sizeof(host), &port));
    assert_string_equal(host, "[::1]");
    assert_int_equal(port, 443);
    assert_false(emu_hostport_parse("", 0, host, sizeof(host), &port));
    assert_false(emu_hostport_parse("a.com:", 6, host, sizeof(host), &port));
    assert_false(emu_hostport_parse("a.com:0", 7, host, sizeof(host), &port));
    assert_false(emu_hostport_parse("a.com:65536", 11, host, sizeof(host), &port));
    assert_false(emu_hostport_parse("a.com:8x", 8, host, sizeof(host), &port));
    assert_false(emu_hostport_parse("u@a.com", 7, host, sizeof(host), &port));
    assert_false(emu_hostport_parse("a.com/x", 7, host, sizeof(host), &port));
    assert_false(emu_hostport_parse("a.com\\.b", 8, host, sizeof(host), &port));
    assert_false(emu_hostport_parse("http://a.com", 12, host, sizeof(host), &port));
    assert_false(emu_hostport_parse("[::g]", 5, host, sizeof(host), &port));
}

static void
test_domain_match(void **state)
{
    /* no port configured: the scheme's default port */
    assert_true(emu_domain_match("example.com", "https://example.com/cb?x=1"));
    assert_true(emu_domain_match("example.com", "http://example.com"));
    assert_true(emu_domain_match("example.com", "HTTPS://EXAMPLE.com:443/cb"));
    assert_true(emu_domain_match("example.com", "http://example.com:80#x"));
    assert_false(emu_domain_match("example.com", "https://example.com:8443/cb"));
    assert_false(emu_domain_match("example.com", "http://example.com:443/cb"));
    /* exact host: no sub-domain, no suffix trick */
    assert_false(emu_domain_match("example.com", "https://a.example.com/cb"));
    assert_false(emu_domain_match("example.com", "https://badexample.com/cb"));
    assert_false(emu_domain_match("a.example.com", "https://example.com/cb"));
    assert_false(emu_domain_match("example.com", "https://example.com.evil.net/cb"));
    /* host and port */
    assert_true(emu_domain_match("127.0.0.1:8080", "http://127.0.0.1:8080/callback"));
    assert_false(emu_domain_match("127.0.0.1:8080", "http://127.0.0.1:8081/callback"));
    assert_false(emu_domain_match("127.0.0.1:8080", "http://127.0.0.1/callback"));
    assert_true(emu_domain_match("example.com:443", "https://example.com/cb"));
    /* not absolute http(s), or tricks in the authority */
    assert_false(emu_domain_match("example.com", "//example.com/cb"));
    assert_false(emu_domain_match("example.com", "/cb"));
    assert_false(emu_domain_match("example.com", "javascript:alert(1)"));
    assert_false(emu_domain_match("example.com", "ftp://example.com/"));
    assert_false(emu_domain_match("example.com", "https://example.com@evil.net/"));
    assert_false(emu_domain_match("example.com", "https://evil.net@example.com/"));
    assert_false(emu_domain_match("example.com", "https://example.com\\@evil.net/"));
    assert_false(emu_domain_match("example.com", "https:///example.com/"));
    assert_true(emu_domain_match("[::1]:9000", "http://[::1]:9000/cb"));

    emu_account_t a = {.ndomains = 2};
    wx_strlcpy(a.domains[0], "a.test", sizeof(a.domains[0]));
    wx_strlcpy(a.domains[1], "127.0.0.1:9", sizeof(a.domains[1]));
    assert_true(emu_redirect_allowed(&a, "https://a.test/x"));
    assert_true(emu_redirect_allowed(&a, "http://127.0.0.1:9/x"));
    assert_false(emu_redirect_allowed(&a, "http://127.0.0.1:10/x"));
}

static void
test_state_and_scope(void **state)
{
    char s[200];
    assert_true(emu_state_valid("abc123XYZ"));
    assert_false(emu_state_valid(""));
    assert_false(emu_state_valid("a-b"));
    assert_false(emu_state_valid("a b"));
    assert_false(emu_state_valid("\xe4\xbd\xa0"));
    memset(s, 'a', 128);
    s[128] = '\0';
    assert_true(emu_state_valid(s));
    s[128] = 'a';
    s[129] = '\0';
    assert_false(emu_state_valid(s));

    assert_int_equal(emu_scope_parse("snsapi_base"), EMU_SCOPE_BASE);
    assert_int_equal(emu_scope_parse("snsapi_userinfo"), EMU_SCOPE_USERINFO);
    assert_int_equal(emu_scope_parse("snsapi_login"), EMU_SCOPE_LOGIN); /* website apps' */
    assert_int_equal(emu_scope_parse("snsapi_login,snsapi_userinfo"), 0);
    assert_string_equal(emu_scope_name(EMU_SCOPE_LOGIN), "snsapi_login");
    assert_int_equal(emu_scope_parse("snsapi_base,snsapi_userinfo"), 0);
    assert_string_equal(emu_scope_name(EMU_SCOPE_USERINFO), "snsapi_userinfo");
    assert_string_equal(emu_scope_name(EMU_SCOPE_BASE), "snsapi_base");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_param_order),
        cmocka_unit_test(test_hostport),
        cmocka_unit_test(test_domain_match),
        cmocka_unit_test(test_state_and_scope),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
