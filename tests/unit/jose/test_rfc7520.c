/* RFC 7520 §4 signature examples against src/jose/jws.c: §4.1 (RS256) and §4.4 (HS256)
 * reproduced byte for byte and verified; §4.2 (PS384) and §4.3 (ES512 on P-521), which we do not
 * support, refused cleanly. The vectors live in rfc_vectors.h.
 *
 * The §4 payload is prose, not a JSON object, so jws_verify never returns WX_OK for these tokens:
 * it checks the signature and then refuses the payload. Reaching that payload rule is the proof
 * that the signature verified, so every check below that a signature is accepted or refused looks
 * at which rule fired, not only at the status. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "jose/b64url.h"
#include "jose/jwk.h"
#include "jose/jws.h"
#include "jose_helpers.h"
#include "rfc_vectors.h"

#define SIG_ACCEPTED_MSG "token payload is not a JSON object"

static const char *const ALL_ALGS[] = {"RS256", "ES256", "EdDSA", "HS256", NULL};

static char *
b64(const void *in, size_t n)
{
    wx_buf_t b;
    wx_buf_init(&b, 16384);
    assert_int_equal(b64url_encode(in, n, &b), WX_OK);
    return wx_buf_steal(&b);
}

/* Verify tok[0..len) against key and return the message of the rule that decided. */
static wx_status_t
verify_len(const char *tok, size_t len, const char *const *algs, const jwk_t *key, one_key_t *seen,
           wx_err_t *err)
{
    one_key_t o = {.key = key};
    json_t *h = (json_t *)1, *p = (json_t *)1;
    wx_status_t rc = jws_verify(tok, len, algs, lookup_one, &o, &h, &p, NULL, err);
    if (rc != WX_OK) {
        assert_null(h);
        assert_null(p);
    } else {
        json_decref(h);
        json_decref(p);
    }
    if (seen)
        *seen = o;
    return rc;
}

/* Whether key accepts the signature on tok: jws_verify got past the signature to the payload. */
static bool
sig_accepted(const char *tok, size_t len, const jwk_t *key)
{
    wx_err_t err = {0};
    wx_status_t rc = verify_len(tok, len, ALL_ALGS, key, NULL, &err);
    assert_int_not_equal(rc, WX_OK); /* the RFC payload is never a JSON object */
    return rc == WX_EINVAL && strcmp(err.msg, SIG_ACCEPTED_MSG) == 0;
}

static void
expect_fail(const char *tok, const char *const *algs, const jwk_t *key, wx_status_t want,
            const char *msg, int want_calls)
{
    wx_err_t err = {0};
    one_key_t seen;
    wx_status_t rc = verify_len(tok, strlen(tok), algs, key, &seen, &err);
    if (rc != want || strstr(err.msg, msg) == NULL)
        fail_msg("got %s \"%s\", want %s \"%s\"", wx_status_str(rc), err.msg, wx_status_str(want),
                 msg);
    if (want_calls >= 0)
        assert_int_equal(seen.calls, want_calls);
}

/* Token with its header part replaced by BASE64URL(header), payload and signature kept. */
static char *
relabel(const char *tok, const char *header)
{
    char *h64 = b64(header, strlen(header));
    wx_buf_t b;
    wx_buf_init(&b, 16384);
    assert_int_equal(wx_buf_puts(&b, h64), WX_OK);
    assert_int_equal(wx_buf_puts(&b, strchr(tok, '.')), WX_OK);
    free(h64);
    return wx_buf_steal(&b);
}

/* Token rebuilt from its parts with the decoded part (0 header, 1 payload, 2 signature) changed
 * by XOR-ing byte i with 0x01: a one-bit change in the bytes, re-encoded canonically. */
static char *
flip_byte(const char *tok, int part, size_t i)
{
    const char *start[3], *end[3];
    unsigned char *raw = NULL;
    size_t n = 0;
    wx_buf_t b;
    char *enc = NULL;

    start[0] = tok;
    end[0] = strchr(tok, '.');
    start[1] = end[0] + 1;
    end[1] = strchr(start[1], '.');
    start[2] = end[1] + 1;
    end[2] = tok + strlen(tok);
    assert_int_equal(b64url_decode(start[part], (size_t)(end[part] - start[part]), &raw, &n),
                     WX_OK);
    assert_true(i < n);
    raw[i] ^= 0x01;
    enc = b64(raw, n);
    wx_buf_init(&b, 16384);
    for (int k = 0; k < 3; k++) {
        if (k)
            assert_int_equal(wx_buf_puts(&b, "."), WX_OK);
        if (k == part)
            assert_int_equal(wx_buf_puts(&b, enc), WX_OK);
        else
            assert_int_equal(wx_buf_append(&b, start[k], (size_t)(end[k] - start[k])), WX_OK);
    }
    free(enc);
    free(raw);
    return wx_buf_steal(&b);
}

/* A base64url character other than c. */
static char
other_char(char c)
{
    return c == 'A' ? 'B' : 'A';
}

/* Every one-bit change to the payload or signature bytes, every changed character and every
 * truncation of tok must stop key from accepting it. */
static void
check_any_change_refused(const char *tok, const jwk_t *key, size_t payload_len, size_t sig_len)
{
    size_t len = strlen(tok);
    char *t = NULL;
    wx_err_t err = {0};

    for (size_t i = 0; i < payload_len; i++) {
        t = flip_byte(tok, 1, i);
        if (verify_len(t, strlen(t), ALL_ALGS, key, NULL, &err) != WX_EDENIED)
            fail_msg("payload byte %zu flipped: %s", i, err.msg);
        free(t);
    }
    for (size_t i = 0; i < sig_len; i++) {
        t = flip_byte(tok, 2, i);
        if (verify_len(t, strlen(t), ALL_ALGS, key, NULL, &err) != WX_EDENIED)
            fail_msg("signature byte %zu flipped: %s", i, err.msg);
        free(t);
    }
    t = strdup(tok);
    assert_non_null(t);
    for (size_t i = 0; i < len; i++) {
        if (tok[i] == '.')
            continue;
        t[i] = other_char(tok[i]);
        if (sig_accepted(t, len, key))
            fail_msg("character %zu changed and still accepted", i);
        t[i] = tok[i];
    }
    for (size_t n = 0; n < len; n++)
        if (sig_accepted(tok, n, key))
            fail_msg("truncated to %zu bytes and still accepted", n);
    free(t);
}

static void
test_vectors_consistent(void **state)
{
    /* The parts agree with each other: the payload bytes encode to Figure 8 and each token is
     * header . payload . signature as the RFC lists them separately. */
    static const char payload[] = RFC7520_PAYLOAD;
    char *s = b64(payload, strlen(payload));
    assert_int_equal(strlen(payload), 167);
    assert_memory_equal(payload, "It\xe2\x80\x99s a", 8);
    assert_non_null(strstr(payload, "there\xe2\x80\x99s no"));
    assert_null(strchr(payload, '\n'));
    assert_string_equal(s, RFC7520_PAYLOAD_B64);
    free(s);
    s = b64(RFC7520_4_1_HEADER, strlen(RFC7520_4_1_HEADER));
    assert_string_equal(s, RFC7520_4_1_HEADER_B64);
    free(s);
    s = b64(RFC7520_4_4_HEADER, strlen(RFC7520_4_4_HEADER));
    assert_string_equal(s, RFC7520_4_4_HEADER_B64);
    free(s);
    assert_string_equal(RFC7520_4_1_TOKEN,
                        RFC7520_4_1_HEADER_B64 "." RFC7520_PAYLOAD_B64 "." RFC7520_4_1_SIG);
    assert_string_equal(RFC7520_4_4_TOKEN,
                        RFC7520_4_4_HEADER_B64 "." RFC7520_PAYLOAD_B64 "." RFC7520_4_4_SIG);
    assert_non_null(strstr(RFC7520_4_2_TOKEN, "." RFC7520_PAYLOAD_B64 "."));
    assert_non_null(strstr(RFC7520_4_3_TOKEN, "." RFC7520_PAYLOAD_B64 "."));
}

static void
test_4_1_rs256_sign(void **state)
{
    jwk_t *priv = import(RFC7520_RSA_PRIVATE_JWK, true);
    jwk_t *pub = import(RFC7520_RSA_PUBLIC_JWK, false);
    char *tok = NULL;
    wx_buf_t b;
    wx_err_t err = {0};

    assert_string_equal(jwk_kid(priv), RFC7520_BILBO_KID);
    assert_string_equal(jwk_alg(priv), "RS256");
    /* PKCS#1 v1.5 is deterministic: the whole token, signature included, comes out as in the
     * RFC (Figure 13). */
    tok = sign_hdr(priv, RFC7520_4_1_HEADER, RFC7520_PAYLOAD);
    assert_string_equal(tok, RFC7520_4_1_TOKEN);
    free(tok);
    /* The public half cannot sign. */
    wx_buf_init(&b, 16384);
    assert_int_equal(jws_sign_with_header(pub, RFC7520_4_1_HEADER, RFC7520_PAYLOAD,
                                          strlen(RFC7520_PAYLOAD), &b, &err),
                     WX_EINVAL);
    assert_int_equal(b.len, 0);
    wx_buf_free(&b);
    jwk_free(priv);
    jwk_free(pub);
}

static void
test_4_1_rs256_verify(void **state)
{
    static const char doc[] = "{\"keys\":[" RFC7520_RSA_PUBLIC_JWK "]}";
    static const char *const rs_only[] = {"RS256", NULL};
    jwk_t *priv = import(RFC7520_RSA_PRIVATE_JWK, true);
    jwk_t *other = import(RFC7515_A2_PUBLIC_JWK, false);
    jwks_t *set = NULL;
    json_t *h = NULL, *p = NULL;
    one_key_t seen;
    wx_err_t err = {0};
    char *tok = NULL;

    /* As a relying party would: the Figure 3 key in a JWKS, found by the token's kid. */
    assert_int_equal(jwks_parse(doc, strlen(doc), &set, &err), WX_OK);
    assert_int_equal(jwks_count(set), 1);
    assert_int_equal(jws_verify(RFC7520_4_1_TOKEN, strlen(RFC7520_4_1_TOKEN), rs_only, jwks_lookup,
                                set, &h, &p, NULL, &err),
                     WX_EINVAL);
    assert_string_equal(err.msg, SIG_ACCEPTED_MSG);
    assert_null(h);
    assert_null(p);
    /* The lookup saw the RFC's kid and alg; the private key verifies as well. */
    assert_int_equal(
        verify_len(RFC7520_4_1_TOKEN, strlen(RFC7520_4_1_TOKEN), rs_only, priv, &seen, &err),
        WX_EINVAL);
    assert_string_equal(err.msg, SIG_ACCEPTED_MSG);
    assert_int_equal(seen.calls, 1);
    assert_string_equal(seen.kid, RFC7520_BILBO_KID);
    assert_string_equal(seen.alg, "RS256");
    /* Another 2048-bit RSA key does not. */
    expect_fail(RFC7520_4_1_TOKEN, ALL_ALGS, other, WX_EDENIED, "does not verify", 1);

    /* The same key and header over a JSON payload go all the way through. */
    tok = sign_hdr(priv, RFC7520_4_1_HEADER, "{\"sub\":\"bilbo\"}");
    assert_int_equal(jws_verify(tok, strlen(tok), rs_only, jwks_lookup, set, &h, &p, NULL, &err),
                     WX_OK);
    assert_string_equal(json_string_value(json_object_get(h, "kid")), RFC7520_BILBO_KID);
    assert_string_equal(json_string_value(json_object_get(p, "sub")), "bilbo");
    json_decref(h);
    json_decref(p);
    free(tok);
    jwks_free(set);
    jwk_free(priv);
    jwk_free(other);
}

static void
test_4_1_rs256_any_change_refused(void **state)
{
    jwk_t *pub = import(RFC7520_RSA_PUBLIC_JWK, false);
    char tok[] = RFC7520_4_1_TOKEN;
    char *p = NULL;

    assert_true(sig_accepted(tok, strlen(tok), pub));
    /* One named example of each: "Frodo" made "Grodo" (payload byte 29), and the first signature
     * byte changed. */
    p = flip_byte(tok, 1, 29);
    expect_fail(p, ALL_ALGS, pub, WX_EDENIED, "does not verify", 1);
    free(p);
    p = flip_byte(tok, 2, 0);
    expect_fail(p, ALL_ALGS, pub, WX_EDENIED, "does not verify", 1);
    free(p);
    /* Then all of them. */
    check_any_change_refused(tok, pub, 167, 256);
    jwk_free(pub);
}

static void
test_4_4_hs256_sign(void **state)
{
    jwk_t *k = import(RFC7520_HMAC_JWK, false);
    jwk_t *same = NULL;
    unsigned char *secret = NULL;
    size_t n = 0;
    char *tok = NULL;
    wx_err_t err = {0};

    assert_string_equal(jwk_kid(k), RFC7520_HMAC_KID);
    assert_string_equal(jwk_alg(k), "HS256");
    tok = sign_hdr(k, RFC7520_4_4_HEADER, RFC7520_PAYLOAD);
    assert_string_equal(tok, RFC7520_4_4_TOKEN);
    free(tok);
    /* The same 32 bytes given as a raw secret make the same key. */
    assert_int_equal(b64url_decode(RFC7520_HMAC_K, strlen(RFC7520_HMAC_K), &secret, &n), WX_OK);
    assert_int_equal(n, 32);
    assert_int_equal(jwk_from_secret(secret, n, RFC7520_HMAC_KID, &same, &err), WX_OK);
    tok = sign_hdr(same, RFC7520_4_4_HEADER, RFC7520_PAYLOAD);
    assert_string_equal(tok, RFC7520_4_4_TOKEN);
    free(tok);
    free(secret);
    jwk_free(same);
    jwk_free(k);
}

static void
test_4_4_hs256_verify(void **state)
{
    jwk_t *k = import(RFC7520_HMAC_JWK, false);
    jwk_t *other = import(RFC7515_A1_JWK, false);
    static const char *const hs_only[] = {"HS256", NULL};
    static const char *const rs_only[] = {"RS256", NULL};
    one_key_t seen;
    wx_err_t err = {0};
    char *p = NULL;

    assert_int_equal(
        verify_len(RFC7520_4_4_TOKEN, strlen(RFC7520_4_4_TOKEN), hs_only, k, &seen, &err),
        WX_EINVAL);
    assert_string_equal(err.msg, SIG_ACCEPTED_MSG);
    assert_string_equal(seen.kid, RFC7520_HMAC_KID);
    assert_string_equal(seen.alg, "HS256");
    expect_fail(RFC7520_4_4_TOKEN, ALL_ALGS, other, WX_EDENIED, "does not verify", 1);
    expect_fail(RFC7520_4_4_TOKEN, rs_only, k, WX_EDENIED, "alg is not allowed", 0);
    p = flip_byte(RFC7520_4_4_TOKEN, 1, 0); /* "It" becomes "Ht" */
    expect_fail(p, ALL_ALGS, k, WX_EDENIED, "does not verify", 1);
    free(p);
    p = flip_byte(RFC7520_4_4_TOKEN, 2, 31);
    expect_fail(p, ALL_ALGS, k, WX_EDENIED, "does not verify", 1);
    free(p);
    check_any_change_refused(RFC7520_4_4_TOKEN, k, 167, 32);
    jwk_free(k);
    jwk_free(other);
}

static void
test_4_2_ps384_refused(void **state)
{
    /* RSASSA-PSS is not one of our algorithms, even with an RSA key that is ours for RS256 and
     * a signature that is genuine (the RFC's). */
    static const char *const lists_ps[] = {"PS384", "PS256", "RS256", NULL};
    static const char ps384_jwk[] =
        "{\"kty\":\"RSA\",\"alg\":\"PS384\",\"n\":\"" RFC7520_RSA_N "\",\"e\":\"AQAB\"}";
    static const char ps_doc[] = "{\"keys\":[{\"kty\":\"RSA\",\"alg\":\"PS384\",\"kid\":\"ps\","
                                 "\"n\":\"" RFC7520_RSA_N "\",\"e\":\"AQAB\"}]}";
    jwk_t *pub = import(RFC7520_RSA_PUBLIC_JWK, false);
    jwk_t *k = NULL;
    jwks_t *set = NULL;
    json_t *j = json_loads(ps384_jwk, 0, NULL);
    wx_err_t err = {0};
    char *tok = NULL;

    expect_fail(RFC7520_4_2_TOKEN, ALL_ALGS, pub, WX_EDENIED, "alg is not allowed", 0);
    expect_fail(RFC7520_4_2_TOKEN, lists_ps, pub, WX_EDENIED, "alg is not supported", 0);
    /* Relabelled PS256: refused the same way, before any lookup. */
    tok = relabel(RFC7520_4_2_TOKEN, "{\"alg\":\"PS256\",\"kid\":\"" RFC7520_BILBO_KID "\"}");
    expect_fail(tok, lists_ps, pub, WX_EDENIED, "alg is not supported", 0);
    free(tok);
    /* A PSS signature is not a PKCS#1 v1.5 one: relabelled RS256 it does not verify. */
    tok = relabel(RFC7520_4_2_TOKEN, RFC7520_4_1_HEADER);
    expect_fail(tok, ALL_ALGS, pub, WX_EDENIED, "does not verify", 1);
    free(tok);
    /* A JWK marked for PS384 is not imported, and a JWKS skips it. */
    assert_non_null(j);
    assert_int_equal(jwk_import_json(j, &k, &err), WX_EINVAL);
    assert_null(k);
    assert_int_equal(jwks_parse(ps_doc, strlen(ps_doc), &set, &err), WX_OK);
    assert_int_equal(jwks_count(set), 0);
    assert_null(jwks_lookup("ps", "RS256", set));
    jwks_free(set);
    json_decref(j);
    jwk_free(pub);
}

static void
test_4_3_es512_refused(void **state)
{
    /* P-521 is not one of our curves: the key is not imported, a JWKS skips it, and the RFC's
     * ES512 token is refused before any key is looked up, even next to a P-256 key. */
    static const char *const lists_es512[] = {"ES512", "ES256", NULL};
    static const char doc[] = "{\"keys\":[" RFC7520_EC_PUBLIC_JWK "]}";
    jwk_t *p256 = import(RFC7515_A3_PUBLIC_JWK, false);
    jwk_t *k = NULL;
    jwks_t *set = NULL;
    json_t *pub = json_loads(RFC7520_EC_PUBLIC_JWK, 0, NULL);
    json_t *priv = json_loads(RFC7520_EC_PRIVATE_JWK, 0, NULL);
    wx_err_t err = {0};
    char *tok = NULL;
    unsigned char *sig = NULL;
    size_t n = 0;
    const char *s = strrchr(RFC7520_4_3_TOKEN, '.') + 1;

    assert_non_null(pub);
    assert_non_null(priv);
    assert_int_equal(jwk_import_json(pub, &k, &err), WX_EINVAL);
    assert_non_null(strstr(err.msg, "unsupported"));
    assert_null(k);
    assert_int_equal(jwk_import_private_json(priv, &k, &err), WX_EINVAL);
    assert_null(k);
    assert_int_equal(jwks_parse(doc, strlen(doc), &set, &err), WX_OK);
    assert_int_equal(jwks_count(set), 0);
    assert_int_equal(jws_verify(RFC7520_4_3_TOKEN, strlen(RFC7520_4_3_TOKEN), lists_es512,
                                jwks_lookup, set, NULL, NULL, NULL, &err),
                     WX_EDENIED);
    assert_string_equal(err.msg, "token alg is not supported");
    expect_fail(RFC7520_4_3_TOKEN, ALL_ALGS, p256, WX_EDENIED, "alg is not allowed", 0);
    expect_fail(RFC7520_4_3_TOKEN, lists_es512, p256, WX_EDENIED, "alg is not supported", 0);
    /* The 132-byte P-521 signature relabelled ES256 fails the 64-byte P-256 length rule. */
    assert_int_equal(b64url_decode(s, strlen(s), &sig, &n), WX_OK);
    assert_int_equal(n, 132);
    tok = relabel(RFC7520_4_3_TOKEN, "{\"alg\":\"ES256\"}");
    expect_fail(tok, ALL_ALGS, p256, WX_EDENIED, "does not verify", 1);
    free(tok);
    free(sig);
    jwks_free(set);
    json_decref(pub);
    json_decref(priv);
    jwk_free(p256);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors_consistent),
        cmocka_unit_test(test_4_1_rs256_sign),
        cmocka_unit_test(test_4_1_rs256_verify),
        cmocka_unit_test(test_4_1_rs256_any_change_refused),
        cmocka_unit_test(test_4_4_hs256_sign),
        cmocka_unit_test(test_4_4_hs256_verify),
        cmocka_unit_test(test_4_2_ps384_refused),
        cmocka_unit_test(test_4_3_es512_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
