/* Tests for src/proto/claims.c: each registered-claim rule, with the leeway at its edges. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/claims.h"

#define ISS "https://id.example.com/oidc"

static claims_result_t
check(const char *json, const char *aud, int64_t now)
{
    json_error_t je;
    json_t *p = json_loads(json, 0, &je);
    assert_non_null(p);
    claims_rules_t r = {
        .issuer = ISS, .audience = aud, .now = now, .leeway = 30, .require_jti = true};
    const char *why = NULL;
    claims_result_t res = claims_check(p, &r, &why);
    assert_non_null(why);
    json_decref(p);
    return res;
}

#define TOK(extra) "{\"iss\":\"" ISS "\",\"aud\":\"app1\",\"jti\":\"j1\"," extra "}"

static void
test_exp(void **state)
{
    assert_int_equal(check(TOK("\"exp\":1000"), NULL, 900), CLAIMS_OK);
    assert_int_equal(check(TOK("\"exp\":1000"), NULL, 1029), CLAIMS_OK); /* within leeway */
    assert_int_equal(check(TOK("\"exp\":1000"), NULL, 1030), CLAIMS_EXPIRED);
    assert_int_equal(check(TOK("\"exp\":1000.5"), NULL, 900), CLAIMS_OK);
    assert_int_equal(check(TOK("\"exp\":\"1000\""), NULL, 900), CLAIMS_MALFORMED);
    assert_int_equal(check(TOK("\"x\":1"), NULL, 900), CLAIMS_MALFORMED); /* no exp */
    assert_int_equal(check(TOK("\"exp\":1e300"), NULL, 900), CLAIMS_MALFORMED);
}

static void
test_nbf_iat(void **state)
{
    assert_int_equal(check(TOK("\"exp\":2000,\"nbf\":1030"), NULL, 1000), CLAIMS_OK);
    assert_int_equal(check(TOK("\"exp\":2000,\"nbf\":1031"), NULL, 1000), CLAIMS_NOT_YET);
    assert_int_equal(check(TOK("\"exp\":2000,\"iat\":1100"), NULL, 1000), CLAIMS_NOT_YET);
    assert_int_equal(check(TOK("\"exp\":2000,\"nbf\":null"), NULL, 1000), CLAIMS_MALFORMED);
}

static void
test_iss_aud_jti(void **state)
{
    assert_int_equal(check("{\"iss\":\"" ISS "/\",\"jti\":\"j\",\"exp\":2000}", NULL, 1000),
                     CLAIMS_ISSUER);
    assert_int_equal(check("{\"jti\":\"j\",\"exp\":2000}", NULL, 1000), CLAIMS_ISSUER);
    assert_int_equal(check(TOK("\"exp\":2000"), "app1", 1000), CLAIMS_OK);
    assert_int_equal(check(TOK("\"exp\":2000"), "app2", 1000), CLAIMS_AUDIENCE);
    assert_int_equal(check("{\"iss\":\"" ISS
                           "\",\"aud\":[\"x\",\"app2\"],\"jti\":\"j\",\"exp\":2000}",
                           "app2", 1000),
                     CLAIMS_OK);
    assert_int_equal(
        check("{\"iss\":\"" ISS "\",\"aud\":[\"x\"],\"jti\":\"j\",\"exp\":2000}", "app2", 1000),
        CLAIMS_AUDIENCE);
    assert_int_equal(check("{\"iss\":\"" ISS "\",\"exp\":2000}", NULL, 1000), CLAIMS_MALFORMED);
    assert_int_equal(check("{\"iss\":\"" ISS "\",\"jti\":7,\"exp\":2000}", NULL, 1000),
                     CLAIMS_MALFORMED);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exp),
        cmocka_unit_test(test_nbf_iat),
        cmocka_unit_test(test_iss_aud_jti),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
