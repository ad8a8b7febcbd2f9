/* Tests for src/proto/redirect.c: exact allow-lists and safe wildcards. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "proto/redirect.h"

static void
test_exact(void **state)
{
    assert_true(redirect_match("https://a.com/cb", "https://a.com/cb"));
    assert_true(redirect_match("https://A.com/cb", "https://a.COM/cb"));  /* host case folds */
    assert_false(redirect_match("https://a.com/cb", "https://a.com/CB")); /* path does not */
    assert_false(redirect_match("https://a.com/cb", "https://a.com/cb/"));
    assert_false(redirect_match("https://a.com/cb", "https://a.com/cb?x=1"));
    assert_false(redirect_match("https://a.com/cb", "http://a.com/cb"));
    assert_false(redirect_match("https://a.com/cb", "https://a.com:444/cb"));
    assert_false(redirect_match("https://a.com/cb", "https://a.com.evil.net/cb"));
}

static void
test_path_wildcard(void **state)
{
    assert_true(redirect_match("https://a.com/*", "https://a.com/cb"));
    assert_true(redirect_match("https://a.com/*", "https://a.com/"));
    assert_false(redirect_match("https://a.com/*", "https://a.com/x/y")); /* never crosses '/' */
    assert_false(redirect_match("https://a.com/*", "https://a.com/x?y")); /* nor '?' */
    assert_false(redirect_match("https://a.com/*", "https://a.com/x#y")); /* nor '#' */
    assert_true(redirect_match("https://a.com/wx/*/done", "https://a.com/wx/42/done"));
    assert_true(redirect_match("https://a.com/cb?from=*", "https://a.com/cb?from=menu"));
}

static void
test_host_wildcard(void **state)
{
    assert_true(redirect_match("https://*.example.com/cb", "https://shop.example.com/cb"));
    assert_false(redirect_match("https://*.example.com/cb", "https://a.b.example.com/cb"));
    assert_false(redirect_match("https://*.example.com/cb", "https://.example.com/cb"));
    assert_false(redirect_match("https://*.example.com/cb", "https://example.com/cb"));
    assert_false(redirect_match("https://*.example.com/cb", "https://evil.net/.example.com/cb"));
    assert_false(redirect_match("https://*.example.com/cb", "https://evil.net?.example.com/cb"));
    assert_false(redirect_match("https://*.example.com/cb", "https://x.example.com@evil.net/cb"));
    assert_false(redirect_match("https://*.example.com/cb", "https://x:1.example.com/cb"));
}

static void
test_validate(void **state)
{
    assert_int_equal(redirect_validate_url("https://a.com/cb", NULL), WX_OK);
    assert_int_equal(redirect_validate_url("http://127.0.0.1:8000/callback", NULL), WX_OK);
    assert_int_equal(redirect_validate_url("javascript:alert(1)", NULL), WX_EINVAL);
    assert_int_equal(redirect_validate_url("//evil.net/", NULL), WX_EINVAL);
    assert_int_equal(redirect_validate_url("https://u:p@a.com/", NULL), WX_EINVAL);
    assert_int_equal(redirect_validate_url("https://a.com\\@evil.net/", NULL), WX_EINVAL);
    assert_int_equal(redirect_validate_url("https://a.com/a b", NULL), WX_EINVAL);
    assert_int_equal(redirect_validate_url("https://a.com/\r\nSet-Cookie:x", NULL), WX_EINVAL);
    assert_int_equal(redirect_validate_url("https://a.com:99999/", NULL), WX_EINVAL);
    assert_int_equal(redirect_validate_url("https:///path", NULL), WX_EINVAL);
    assert_int_equal(redirect_validate_url("https://*.a.com/", NULL), WX_EINVAL);
    assert_int_equal(redirect_validate_pattern("https://*.a.com/*", NULL), WX_OK);
    assert_int_equal(redirect_validate_pattern("#", NULL), WX_OK);
    assert_int_equal(redirect_validate_pattern("https://a.com:*/", NULL), WX_EINVAL);
}

/* Issue #12 item 8: the pattern https://app/cb/(star) accepted "https://app/cb/..", which the
 * browser resolves to the site root, and the token went there. */
static void
test_dot_segments(void **state)
{
    const char *pat = "https://app.example.com/cb/*";
    const char *bad[] = {
        "https://app.example.com/cb/..",
        "https://app.example.com/cb/.",
        "https://app.example.com/cb/%2e%2e",
        "https://app.example.com/cb/%2E%2E",
        "https://app.example.com/cb/%2E.",
        "https://app.example.com/cb/.%2e",
        "https://app.example.com/cb/%2e",
        "https://app.example.com/cb/%252e%252e", /* decoded twice by some servers */
        "https://app.example.com/cb/..;x",       /* Tomcat path parameter */
        "https://app.example.com/cb/x%2f..",     /* one segment for us, two for the server */
        "https://app.example.com/cb/%2F..",
        "https://app.example.com/cb/..%2f",
        "https://app.example.com/cb/..%5c",
        "https://app.example.com/cb/%5c..",
        "https://app.example.com/cb/..?x=1",
        "https://app.example.com/cb/..#x",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (redirect_match(pat, bad[i]))
            fail_msg("'%s' matched '%s'", bad[i], pat);
        assert_int_equal(redirect_validate_url(bad[i], NULL), WX_EINVAL);
    }
    /* Dot segments anywhere in the path: before a star, or in a plain pattern. */
    assert_false(redirect_match("https://a.com/*/cb", "https://a.com/../cb"));
    assert_false(redirect_match("https://a.com/cb/../x", "https://a.com/cb/../x"));
    assert_false(redirect_match("https://a.com/*", "https://a.com/%2e%2e"));
    assert_int_equal(redirect_validate_pattern("https://a.com/cb/../*", NULL), WX_EINVAL);
    wx_err_t err = {0};
    assert_int_equal(redirect_validate_url("https://a.com/cb/%2e%2e", &err), WX_EINVAL);
    assert_non_null(strstr(err.msg, "'..'"));
    /* Still fine: dots inside a segment, in the query, in the fragment, in the host. */
    assert_true(redirect_match(pat, "https://app.example.com/cb/..."));
    assert_true(redirect_match(pat, "https://app.example.com/cb/a.b"));
    assert_true(redirect_match(pat, "https://app.example.com/cb/.well"));
    assert_true(redirect_match(pat, "https://app.example.com/cb/"));
    assert_true(redirect_match("https://a.com/cb?next=*", "https://a.com/cb?next=.."));
    assert_true(redirect_match("https://a.com/cb#*", "https://a.com/cb#.."));
    assert_true(redirect_match("https://*.a.com/cb", "https://x.a.com/cb"));
}

static void
test_lists(void **state)
{
    char out[128];
    const char *list = "https://*.a.com/cb\nhttp://127.0.0.1:8000/callback\r\n";
    assert_true(redirect_list_match(list, "https://x.a.com/cb"));
    assert_true(redirect_list_match(list, "http://127.0.0.1:8000/callback"));
    assert_false(redirect_list_match(list, "http://127.0.0.1:8000/other"));
    assert_false(redirect_list_match("", "https://a.com/"));
    assert_true(redirect_list_first_plain(list, out, sizeof(out)));
    assert_string_equal(out, "http://127.0.0.1:8000/callback");
    assert_false(redirect_list_first_plain("https://*.a.com/cb", out, sizeof(out)));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact),         cmocka_unit_test(test_path_wildcard),
        cmocka_unit_test(test_host_wildcard), cmocka_unit_test(test_validate),
        cmocka_unit_test(test_lists),         cmocka_unit_test(test_dot_segments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
