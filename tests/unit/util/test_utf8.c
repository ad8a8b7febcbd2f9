/* util/utf8.c: what counts as UTF-8 (RFC 3629) and how the rest is repaired. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../../src/util/utf8.h"

static bool
valid(const char *s)
{
    return wx_utf8_valid(s, strlen(s));
}

static void
test_valid(void **state)
{
    assert_true(valid(""));
    assert_true(valid("ascii"));
    assert_true(valid("\xE7\x88\xB1\xE4\xB8\xBD\xE4\xB8\x9D")); /* 爱丽丝 */
    assert_true(valid("\xF0\x9F\x98\x80"));                     /* an emoji, 4 bytes */
    assert_true(valid("\xF4\x8F\xBF\xBF"));                     /* U+10FFFF */
    assert_false(valid("\xFF"));
    assert_false(valid("\x80"));                /* a continuation byte alone */
    assert_false(valid("\xE4\xB8"));            /* cut inside a character */
    assert_false(valid("\xC0\xAF"));            /* overlong '/' */
    assert_false(valid("\xE0\x80\xAF"));        /* overlong, 3 bytes */
    assert_false(valid("\xED\xA0\x80"));        /* a surrogate */
    assert_false(valid("\xF4\x90\x80\x80"));    /* past U+10FFFF */
    assert_false(valid("\xF0\x9F\x98"));        /* emoji cut */
    assert_false(valid("ok\xE7\x88\xB1\xE4z")); /* a bad one after good ones */
}

static void
test_repair(void **state)
{
    wx_buf_t b;
    wx_buf_init(&b, 1024);
    const char in[] = "a\xE4\xB8z\xFF\xE7\x88\xB1";
    assert_int_equal(wx_utf8_repair(in, strlen(in), &b), WX_OK);
    assert_string_equal(wx_buf_str(&b), "a\xEF\xBF\xBD\xEF\xBF\xBDz\xEF\xBF\xBD\xE7\x88\xB1");
    assert_true(wx_utf8_valid(b.data, b.len));
    wx_buf_free(&b);
    /* Bounded: a repair that would not fit fails. */
    wx_buf_init(&b, 4);
    assert_int_not_equal(wx_utf8_repair("\xFF\xFF", 2, &b), WX_OK);
    wx_buf_free(&b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_repair),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
