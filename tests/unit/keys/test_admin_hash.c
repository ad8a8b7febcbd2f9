/* Tests for src/keys/admin_hash.c: generated-looking tokens get the fast keyed hash
 * ("hmac-sha256$…"), chosen ones PBKDF2; both parse back and check the right token only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "keys/admin_hash.h"

#define GEN43 "q3JkN0x9bV2mT8sW1yH4cF6dL5pR7gZ0aE3uI9oK2nB" /* 43 base64url characters */
#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void
test_strong(void **state)
{
    assert_true(admin_hash_token_strong(GEN43));
    assert_true(admin_hash_token_strong(HEX64));
    assert_false(admin_hash_token_strong("correct horse battery staple")); /* short, spaces */
    assert_false(admin_hash_token_strong("q3JkN0x9bV2mT8sW1yH4cF6dL5pR7gZ0aE3uI9oK2n")); /* 42 */
    assert_false(admin_hash_token_strong("q3JkN0x9bV2mT8sW1yH4cF6dL5pR7gZ0aE3uI9oK2n!"));
}

static void
roundtrip(const char *token, const char *prefix, bool slow)
{
    char text[256];
    admin_hash_t h;
    wx_err_t err = {0};
    assert_int_equal(admin_hash_make(token, text, sizeof(text), &err), WX_OK);
    assert_int_equal(strncmp(text, prefix, strlen(prefix)), 0);
    assert_null(strstr(text, token));
    assert_int_equal(admin_hash_parse(text, &h, &err), WX_OK);
    assert_true(h.set);
    assert_int_equal(admin_hash_is_slow(&h), slow);
    assert_true(admin_hash_check(&h, token));
    assert_false(admin_hash_check(&h, "q3JkN0x9bV2mT8sW1yH4cF6dL5pR7gZ0aE3uI9oK2nC"));
    assert_false(admin_hash_check(&h, ""));
}

static void
test_make_parse_check(void **state)
{
    roundtrip(GEN43, "hmac-sha256$", false);
    roundtrip(HEX64, "hmac-sha256$", false);
    roundtrip("an operator's chosen passphrase", "pbkdf2-sha256$100000$", true);
}

static void
test_parse_damaged(void **state)
{
    admin_hash_t h;
    wx_err_t err = {0};
    assert_int_equal(admin_hash_parse("hmac-sha256$", &h, &err), WX_ECONFIG);
    assert_int_equal(admin_hash_parse("hmac-sha256$AAAAAAAAAAAAAAAAAAAAAA$short", &h, &err),
                     WX_ECONFIG);
    assert_false(h.set);
    assert_int_equal(admin_hash_parse("sha1$x$y", &h, &err), WX_ECONFIG);
    assert_int_equal(admin_hash_parse("pbkdf2-sha256$10$AAAAAAAAAAA$AAAA", &h, &err), WX_ECONFIG);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strong),
        cmocka_unit_test(test_make_parse_check),
        cmocka_unit_test(test_parse_damaged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
