/* Tests for src/jose/b64url.c: RFC 4648 §10 vectors in the URL alphabet, the RFC 7515 A.1 header,
 * and strict decoding (every non-canonical spelling is refused). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "jose/b64url.h"

static void
check_pair(const char *plain, size_t n, const char *encoded)
{
    wx_buf_t b;
    unsigned char *dec = NULL;
    size_t declen = 0;
    wx_buf_init(&b, 4096);
    assert_int_equal(b64url_encode((const unsigned char *)plain, n, &b), WX_OK);
    assert_string_equal(wx_buf_str(&b), encoded);
    assert_int_equal(b64url_decode(encoded, strlen(encoded), &dec, &declen), WX_OK);
    assert_non_null(dec);
    assert_int_equal(declen, n);
    assert_memory_equal(dec, plain, n ? n : 1 /* empty: compare the spare NUL */);
    free(dec);
    wx_buf_free(&b);
}

static void
test_rfc4648_vectors(void **state)
{
    check_pair("", 0, "");
    check_pair("f", 1, "Zg");
    check_pair("fo", 2, "Zm8");
    check_pair("foo", 3, "Zm9v");
    check_pair("foob", 4, "Zm9vYg");
    check_pair("fooba", 5, "Zm9vYmE");
    check_pair("foobar", 6, "Zm9vYmFy");
}

static void
test_url_alphabet(void **state)
{
    /* 0xfb 0xff 0xbf is "+/+/" in standard base64. */
    check_pair("\xfb\xff\xbf", 3, "-_-_");
    check_pair("\xfb\xff", 2, "-_8");
    check_pair("\0\0\0", 3, "AAAA");
}

static void
test_rfc7515_header(void **state)
{
    /* RFC 7515 A.1.1: the header bytes, including CR LF, and their published encoding. */
    static const char hdr[] = "{\"typ\":\"JWT\",\r\n \"alg\":\"HS256\"}";
    check_pair(hdr, strlen(hdr), "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9");
}

static void
expect_reject(const char *s, size_t n)
{
    unsigned char *dec = (unsigned char *)"x";
    size_t declen = 99;
    assert_int_equal(b64url_decode(s, n, &dec, &declen), WX_EINVAL);
    assert_null(dec);
    assert_int_equal(declen, 0);
}

static void
test_strict_rejects(void **state)
{
    expect_reject("Zg==", 4);   /* padding */
    expect_reject("Zg=", 3);    /* padding */
    expect_reject("Zm9v+A", 6); /* standard alphabet */
    expect_reject("Zm9v/A", 6); /* standard alphabet */
    expect_reject("Zm 9v", 5);  /* whitespace */
    expect_reject("Zm9v\n", 5); /* newline */
    expect_reject("Zm9v\r\nYg", 8);
    expect_reject("Zm\0v", 4);       /* embedded NUL */
    expect_reject("Zm9\xc3\xa9", 5); /* non-ASCII */
    expect_reject("Z", 1);           /* n % 4 == 1 */
    expect_reject("Zm9vY", 5);       /* n % 4 == 1 */
    expect_reject("Zh", 2);          /* non-zero trailing bits ("Zg" is canonical) */
    expect_reject("Zm9", 3);         /* non-zero trailing bits ("Zm8" is canonical) */
    expect_reject("-_9", 3);         /* "-_8" is the canonical spelling of fb ff */
    expect_reject(".", 1);
    expect_reject("ab.c", 4);
}

static void
test_decode_uses_length_not_nul(void **state)
{
    unsigned char *dec = NULL;
    size_t declen = 0;
    /* Only the first 4 characters count; the rest (invalid) is past n. */
    assert_int_equal(b64url_decode("Zm9v!!!", 4, &dec, &declen), WX_OK);
    assert_int_equal(declen, 3);
    assert_memory_equal(dec, "foo", 3);
    free(dec);
}

static void
test_roundtrip_all_bytes(void **state)
{
    unsigned char in[300];
    for (size_t i = 0; i < sizeof(in); i++)
        in[i] = (unsigned char)(i * 7 + 3);
    for (size_t n = 0; n <= sizeof(in); n++) {
        wx_buf_t b;
        unsigned char *dec = NULL;
        size_t declen = 0;
        wx_buf_init(&b, 1024);
        assert_int_equal(b64url_encode(in, n, &b), WX_OK);
        assert_int_equal(b.len, (n * 4 + 2) / 3); /* unpadded length */
        assert_null(strpbrk(wx_buf_str(&b), "+/="));
        assert_int_equal(b64url_decode(b.data ? b.data : "", b.len, &dec, &declen), WX_OK);
        assert_int_equal(declen, n);
        if (n)
            assert_memory_equal(dec, in, n);
        free(dec);
        wx_buf_free(&b);
    }
}

static void
test_encode_limit_leaves_buffer(void **state)
{
    wx_buf_t b;
    unsigned char in[600] = {0};
    wx_buf_init(&b, 500);
    assert_int_equal(wx_buf_puts(&b, "keep"), WX_OK);
    assert_int_equal(b64url_encode(in, sizeof(in), &b), WX_ETOOBIG); /* 800 chars > 500 */
    assert_string_equal(wx_buf_str(&b), "keep");
    assert_int_equal(b.len, 4);
    wx_buf_free(&b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc4648_vectors),
        cmocka_unit_test(test_url_alphabet),
        cmocka_unit_test(test_rfc7515_header),
        cmocka_unit_test(test_strict_rejects),
        cmocka_unit_test(test_decode_uses_length_not_nul),
        cmocka_unit_test(test_roundtrip_all_bytes),
        cmocka_unit_test(test_encode_limit_leaves_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
