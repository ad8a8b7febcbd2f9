/* Tests for src/util/url.c: encoding, ordered query parsing, request targets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/url.h"

static void
test_encode(void **state)
{
    wx_buf_t b;
    wx_buf_init(&b, 1024);
    assert_int_equal(wx_url_encode(&b, "http://a.b/c?d=e&f=g h~_.-爱"), WX_OK);
    assert_string_equal(wx_buf_str(&b), "http%3A%2F%2Fa.b%2Fc%3Fd%3De%26f%3Dg%20h~_.-%E7%88%B1");
    wx_buf_free(&b);
    /* Runs and single bytes at either end; the buffer's cap still holds. */
    static const char *const cases[][2] = {{"", ""},
                                           {"abcXYZ019-._~", "abcXYZ019-._~"},
                                           {"{\"a\":1}", "%7B%22a%22%3A1%7D"},
                                           {" x ", "%20x%20"}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        wx_buf_init(&b, 64);
        assert_int_equal(wx_url_encode(&b, cases[i][0]), WX_OK);
        assert_string_equal(wx_buf_str(&b), cases[i][1]);
        wx_buf_free(&b);
    }
    wx_buf_init(&b, 8);
    assert_int_not_equal(wx_url_encode(&b, "abcdefghij"), WX_OK);
    wx_buf_free(&b);
    wx_buf_init(&b, 8);
    assert_int_not_equal(wx_url_encode(&b, "abcdef&"), WX_OK);
    wx_buf_free(&b);
}

static void
test_decode(void **state)
{
    char *s = NULL;
    assert_int_equal(wx_url_decode("a%20b+c%e7%88%b1", 16, true, &s), WX_OK);
    assert_string_equal(s, "a b c爱");
    free(s);
    assert_int_equal(wx_url_decode("a+b", 3, false, &s), WX_OK);
    assert_string_equal(s, "a+b");
    free(s);
    assert_int_equal(wx_url_decode("%zz", 3, true, &s), WX_EINVAL);
    assert_int_equal(wx_url_decode("%2", 2, true, &s), WX_EINVAL);
    assert_int_equal(wx_url_decode("a%00b", 5, true, &s), WX_EINVAL); /* embedded NUL */
}

static void
test_query_order_and_values(void **state)
{
    wx_query_t q;
    assert_int_equal(
        wx_query_parse("appid=wx1&redirect_uri=http%3A%2F%2Fx&flag&empty=&a=1&a=2", &q, NULL),
        WX_OK);
    assert_int_equal(q.count, 6);
    assert_string_equal(q.params[0].key, "appid");
    assert_string_equal(q.params[1].value, "http://x");
    assert_string_equal(q.params[2].key, "flag");
    assert_string_equal(q.params[2].value, "");
    assert_string_equal(wx_query_get(&q, "a"), "1"); /* first wins */
    assert_null(wx_query_get(&q, "nope"));
    wx_query_free(&q);
}

static void
test_query_limits(void **state)
{
    wx_query_t q;
    wx_err_t err = {0};
    char big[WX_QUERY_MAX_LEN + 10];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(wx_query_parse(big, &q, &err), WX_ETOOBIG);
    char many[1024] = "";
    for (int i = 0; i < WX_QUERY_MAX_PARAMS + 1; i++)
        memcpy(many + 4 * i, "k=v&", 5);
    assert_int_equal(wx_query_parse(many, &q, &err), WX_ETOOBIG);
    assert_int_equal(wx_query_parse("a=%G0", &q, &err), WX_EINVAL);
}

static void
test_target_split(void **state)
{
    char *p = NULL, *q = NULL;
    assert_int_equal(wx_target_split("//oauth/wechatmp/url/demo?x=1", &p, &q, NULL), WX_OK);
    assert_string_equal(p, "/oauth/wechatmp/url/demo");
    assert_string_equal(q, "x=1");
    free(p);
    free(q);
    assert_int_equal(
        wx_target_split("/connections/social/wechat%3Awebpage-authorization", &p, &q, NULL), WX_OK);
    assert_string_equal(p, "/connections/social/wechat:webpage-authorization");
    assert_null(q);
    free(p);
    assert_int_equal(wx_target_split("/a/../etc/passwd", &p, &q, NULL), WX_EINVAL);
    assert_int_equal(wx_target_split("/a/%2e%2e/b", &p, &q, NULL), WX_EINVAL);
    assert_int_equal(wx_target_split("/a%00b", &p, &q, NULL), WX_EINVAL);
    assert_int_equal(wx_target_split("http://x/", &p, &q, NULL), WX_EINVAL);
}

/* Issue #12 item 9: the whole path was decoded before routing, so "/api%2Fadmin%2Fv1%2Fpools"
 * reached the admin API. Segments are split on the raw path, then decoded. */
static void
test_target_split_segments(void **state)
{
    char *p = NULL, *q = NULL;
    wx_err_t err = {0};
    const char *bad[] = {
        "/api%2Fadmin%2Fv1%2Fpools",
        "/api%2fadmin/v1/pools",
        "/api/admin/v1%2Fpools",
        "/oauth%2Fwechatmp/url/demo",
        "/%2F",
        "/a/%2e",
        "/a/./b",
        "/a/%2E%2e/b",
        "/a/..",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (wx_target_split(bad[i], &p, &q, NULL) != WX_EINVAL)
            fail_msg("'%s' was accepted as '%s'", bad[i], p);
    }
    assert_int_equal(wx_target_split("/api/admin/v1%2Fpools?x=1", &p, &q, &err), WX_EINVAL);
    assert_non_null(strstr(err.msg, "%2F"));
    assert_null(p);
    assert_null(q);
    /* Folding of '/' runs and per-segment decoding are unchanged. */
    assert_int_equal(wx_target_split("//api//admin/v1/pools/", &p, &q, NULL), WX_OK);
    assert_string_equal(p, "/api/admin/v1/pools/");
    free(p);
    assert_int_equal(wx_target_split("/", &p, &q, NULL), WX_OK);
    assert_string_equal(p, "/");
    free(p);
    assert_int_equal(wx_target_split("/a%20b/c%3Ad/...?q=%2F", &p, &q, NULL), WX_OK);
    assert_string_equal(p, "/a b/c:d/...");
    assert_string_equal(q, "q=%2F"); /* the query is left raw */
    free(p);
    free(q);
}

static void
test_add_param_keeps_fragment(void **state)
{
    wx_buf_t b;
    wx_buf_init(&b, 1024);
    wx_buf_puts(&b, "https://x.com/#/cb");
    assert_int_equal(wx_url_add_param(&b, "code", "200"), WX_OK);
    assert_int_equal(wx_url_add_param(&b, "message", "a b&c"), WX_OK);
    assert_string_equal(wx_buf_str(&b), "https://x.com/?code=200&message=a%20b%26c#/cb");
    wx_buf_reset(&b);
    wx_buf_puts(&b, "https://x.com/cb?from=wx");
    assert_int_equal(wx_url_add_param(&b, "code", "1"), WX_OK);
    assert_string_equal(wx_buf_str(&b), "https://x.com/cb?from=wx&code=1");
    wx_buf_free(&b);
}

static void
test_buf_bounded(void **state)
{
    wx_buf_t b;
    wx_buf_init(&b, 8);
    assert_int_equal(wx_buf_puts(&b, "12345678"), WX_OK);
    assert_int_equal(wx_buf_puts(&b, "9"), WX_ETOOBIG);
    assert_string_equal(wx_buf_str(&b), "12345678"); /* nothing lost on failure */
    assert_int_equal(wx_buf_printf(&b, "%d", 1), WX_ETOOBIG);
    wx_buf_free(&b);
}

static void
test_parse_long_and_ct_equal(void **state)
{
    long v;
    assert_true(wx_parse_long("42", 0, 100, &v));
    assert_int_equal(v, 42);
    assert_false(wx_parse_long("42x", 0, 100, &v));
    assert_false(wx_parse_long("", 0, 100, &v));
    assert_false(wx_parse_long("101", 0, 100, &v));
    assert_false(wx_parse_long("99999999999999999999", 0, 100, &v));
    assert_true(wx_ct_equal("abc", 3, "abc", 3));
    assert_false(wx_ct_equal("abc", 3, "abd", 3));
    assert_false(wx_ct_equal("abc", 3, "ab", 2));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode),
        cmocka_unit_test(test_decode),
        cmocka_unit_test(test_query_order_and_values),
        cmocka_unit_test(test_query_limits),
        cmocka_unit_test(test_target_split),
        cmocka_unit_test(test_target_split_segments),
        cmocka_unit_test(test_add_param_keeps_fragment),
        cmocka_unit_test(test_buf_bounded),
        cmocka_unit_test(test_parse_long_and_ct_equal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
