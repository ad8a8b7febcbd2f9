/* The login record kept on a finished state (src/proto/login_record.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "proto/login_record.h"

static void
test_round_trip(void **state)
{
    (void)state;
    login_record_t in = {.user_id = "65a1b2c3d4e5f60718293a4b",
                         .openid = "oAbCdEfGhIjKlMnOpQrStUvWxYz1",
                         .unionid = "",
                         .jti = "Jti0123456789abcdefghi",
                         .iat = 1700000000,
                         .exp = 1701296000,
                         .created = true},
                   out;
    char buf[512];
    assert_true(login_record_format(&in, buf, sizeof(buf)));
    assert_true(login_record_is(buf));
    assert_true(login_record_parse(buf, &out));
    assert_memory_equal(&in, &out, sizeof(in));
    snprintf(in.unionid, sizeof(in.unionid), "uUnion");
    in.created = false;
    assert_true(login_record_format(&in, buf, sizeof(buf)));
    assert_true(login_record_parse(buf, &out));
    assert_string_equal(out.unionid, "uUnion");
    assert_false(out.created);
    assert_false(login_record_format(&in, buf, 40)); /* does not fit */
}

static void
test_refused(void **state)
{
    (void)state;
    login_record_t out;
    static const char *bad[] = {
        "https://example.com/cb?code=200",
        "",
        LOGIN_RECORD_PREFIX,
        LOGIN_RECORD_PREFIX "user=u openid=o unionid= jti=j iat=1 exp=2",           /* no new */
        LOGIN_RECORD_PREFIX "user=u openid=o unionid= jti=j iat=1 exp=2 new=2",     /* new */
        LOGIN_RECORD_PREFIX "user=u openid=o unionid= jti=j iat=x exp=2 new=0",     /* iat */
        LOGIN_RECORD_PREFIX "user= openid=o unionid= jti=j iat=1 exp=2 new=0",      /* user */
        LOGIN_RECORD_PREFIX "openid=o user=u unionid= jti=j iat=1 exp=2 new=0",     /* order */
        LOGIN_RECORD_PREFIX "user=u openid=o unionid= jti=j iat=1 exp=2 new=0 x=1", /* extra */
        LOGIN_RECORD_PREFIX "user=u openid=o unionid= jti=j iat=-1 exp=2 new=0",    /* negative */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_false(login_record_parse(bad[i], &out));
        assert_string_equal(out.user_id, "");
    }
    assert_true(login_record_parse(
        LOGIN_RECORD_PREFIX "user=u openid=o unionid= jti=j iat=1 exp=2 new=0", &out));
    login_record_t spaced = {.user_id = "a b", .openid = "o", .jti = "j"};
    char buf[256];
    assert_false(login_record_format(&spaced, buf, sizeof(buf)));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
