/* Tests for src/util/html.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/html.h"

static void
test_escape(void **state)
{
    (void)state;
    wx_buf_t b;
    wx_buf_init(&b, 256);
    assert_int_equal(wx_html_escape(&b, "<img src=x onerror='a(1)'>&\"中"), WX_OK);
    assert_string_equal(wx_buf_str(&b), "&lt;img src=x onerror=&#39;a(1)&#39;&gt;&amp;&quot;中");
    wx_buf_free(&b);
    /* A bounded buffer: an error, never a cut escape. */
    wx_buf_init(&b, 4);
    assert_int_not_equal(wx_html_escape(&b, "<<<<"), WX_OK);
    wx_buf_free(&b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_escape)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
