/* Tests for src/util/cidr.c: lists of addresses and ranges, IPv4 and IPv6, IPv4-mapped
 * addresses as IPv4, bad entries named. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/cidr.h"

static void
test_match(void **state)
{
    wx_cidr_list_t l;
    wx_err_t err = {0};
    assert_int_equal(wx_cidr_list_parse("10.0.0.0/8, 192.0.2.7 fd00::/8,::1", &l, &err), WX_OK);
    assert_int_equal(l.n, 4);
    assert_true(wx_cidr_list_has(&l, "10.200.3.4"));
    assert_false(wx_cidr_list_has(&l, "11.0.0.1"));
    assert_true(wx_cidr_list_has(&l, "192.0.2.7"));
    assert_false(wx_cidr_list_has(&l, "192.0.2.8"));
    assert_true(wx_cidr_list_has(&l, "::ffff:10.1.1.1")); /* a dual-stack listener's IPv4 peer */
    assert_true(wx_cidr_list_has(&l, "fd12:3456::1"));
    assert_false(wx_cidr_list_has(&l, "fe80::1"));
    assert_true(wx_cidr_list_has(&l, "::1"));
    assert_false(wx_cidr_list_has(&l, "not an address"));
    assert_false(wx_cidr_list_has(&l, ""));
    assert_int_equal(wx_cidr_list_parse("172.16.0.0/12", &l, &err), WX_OK);
    assert_true(wx_cidr_list_has(&l, "172.31.255.255"));
    assert_false(wx_cidr_list_has(&l, "172.32.0.0"));
}

static void
test_empty_and_bad(void **state)
{
    wx_cidr_list_t l;
    wx_err_t err = {0};
    assert_int_equal(wx_cidr_list_parse("", &l, &err), WX_OK);
    assert_int_equal(l.n, 0);
    assert_false(wx_cidr_list_has(&l, "127.0.0.1"));
    assert_int_equal(wx_cidr_list_parse("10.0.0.0/33", &l, &err), WX_ECONFIG);
    assert_non_null(strstr(err.msg, "10.0.0.0/33"));
    assert_int_equal(wx_cidr_list_parse("proxy.example.com", &l, &err), WX_ECONFIG);
    assert_int_equal(wx_cidr_list_parse("10.0.0.1/", &l, &err), WX_ECONFIG);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_match),
        cmocka_unit_test(test_empty_and_bad),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
