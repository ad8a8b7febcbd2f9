/* Tests for src/proto/redirect.c: exact allow-lists and safe wildcards. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

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
        cmocka_unit_test(test_lists),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
