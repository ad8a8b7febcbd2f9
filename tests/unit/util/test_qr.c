/* Tests for src/util/qr.c. That a phone's camera reads the codes is checked end to end by the
 * sample app's browser test (the QR element screenshotted and decoded with zbarimg). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/qr.h"

static int
count(const char *s, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static void
test_svg_shape(void **state)
{
    (void)state;
    wx_buf_t b;
    wx_err_t err = {0};
    wx_buf_init(&b, 256 * 1024);
    assert_int_equal(wx_qr_svg("https://app.example.com/", 0, &b, &err), WX_OK);
    const char *s = wx_buf_str(&b);
    /* 24 bytes, level M: version 2, 25 modules + 2 x 4 quiet = 33; 4 px a module */
    assert_non_null(strstr(s, "viewBox=\"0 0 33 33\""));
    assert_non_null(strstr(s, "width=\"132\""));
    assert_true(strncmp(s, "<svg ", 5) == 0);
    assert_non_null(strstr(s, "</svg>"));
    /* The three finder patterns: their top rows are runs of 7 dark modules at (4,4), (22,4),
     * and the bottom-left one starts at row 22. */
    assert_non_null(strstr(s, "M4 4h7v1h-7z"));
    assert_non_null(strstr(s, "M22 4h7v1h-7z"));
    assert_non_null(strstr(s, "M4 22h7v1h-7z"));
    assert_int_equal(count(s, "<script"), 0);
    wx_buf_reset(&b);
    assert_int_equal(wx_qr_svg("x", 200, &b, &err), WX_OK);
    assert_non_null(strstr(wx_buf_str(&b), "width=\"200\" height=\"200\""));
    wx_buf_free(&b);
}

static void
test_limits(void **state)
{
    (void)state;
    wx_buf_t b;
    wx_err_t err = {0};
    char big[WX_QR_TEXT_MAX + 2];
    wx_buf_init(&b, 256 * 1024);
    assert_int_equal(wx_qr_svg("", 0, &b, &err), WX_EINVAL);
    assert_int_equal(wx_qr_svg(NULL, 0, &b, &err), WX_EINVAL);
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(wx_qr_svg(big, 0, &b, &err), WX_EINVAL);
    assert_non_null(strstr(err.msg, "1-1024 bytes"));
    big[WX_QR_TEXT_MAX] = '\0'; /* the longest accepted: fits the handler's buffer */
    assert_int_equal(wx_qr_svg(big, 0, &b, &err), WX_OK);
    assert_true(b.len < 256 * 1024);
    wx_buf_free(&b);
    /* A buffer too small is an error, never a cut picture. */
    wx_buf_init(&b, 64);
    assert_int_equal(wx_qr_svg("https://app.example.com/", 0, &b, &err), WX_ETOOBIG);
    wx_buf_free(&b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_svg_shape),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
