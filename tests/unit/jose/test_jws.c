/* Tests for src/jose/jws.c: RFC 7515 A.1 (HS256) and A.2 (RS256) and RFC 8037 A.4 (EdDSA)
 * reproduced byte for byte, RFC 7515 A.3 (ES256) verified, our header format, round trips, and
 * one refusal test per jws_verify rule, each with its reason code. */
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

static const char *const ALL_ALGS[] = {"RS256", "ES256", "EdDSA", "HS256", NULL};

static wx_status_t
verify(const char *tok, const char *const *algs, const jwk_t *key, wx_err_t *err)
{
    one_key_t o = {.key = key};
    return jws_verify(tok, strlen(tok), algs, lookup_one, &o, NULL, NULL, NULL, err);
}

/* Verify and check the status, the reason code (what callers decide on) and that the message
 * names the rule that fired (what people read). */
static void
expect_fail(const char *tok, const char *const *algs, const jwk_t *key, wx_status_t want,
            jws_reason_t want_reason, const char *msg_part)
{
    wx_err_t err = {0};
    one_key_t o = {.key = key};
    json_t *h = (json_t *)1, *p = (json_t *)1;
    jws_reason_t why = JWS_REASON_OK;
    wx_status_t rc = jws_verify(tok, strlen(tok), algs, lookup_one, &o, &h, &p, &why, &err);
    if (rc != want || !strstr(err.msg, msg_part) || why != want_reason)
        fail_msg("got %s %s \"%s\", want %s %s \"%s\"", wx_status_str(rc), jws_reason_str(why),
                 err.msg, wx_status_str(want), jws_reason_str(want_reason), msg_part);
    assert_null(h);
    assert_null(p);
}

static void
test_rfc7515_a1_hs256(void **state)
{
    jwk_t *k = import(RFC7515_A1_JWK, false);
    char *tok = sign_hdr(k, RFC7515_A1_HEADER, RFC7515_PAYLOAD);
    one_key_t o = {.key = k};
    json_t *h = NULL, *p = NULL;
    wx_err_t err = {0};
    assert_string_equal(tok, RFC7515_A1_TOKEN);
    assert_int_equal(jws_verify(RFC7515_A1_TOKEN, strlen(RFC7515_A1_TOKEN), ALL_ALGS, lookup_one,
                                &o, &h, &p, NULL, &err),
                     WX_OK);
    assert_string_equal(json_string_value(json_object_get(h, "typ")), "JWT");
    assert_string_equal(json_string_value(json_object_get(p, "iss")), "joe");
    assert_int_equal(json_integer_value(json_object_get(p, "exp")), 1300819380);
    assert_true(json_is_true(json_object_get(p, "http://example.com/is_root")));
    assert_string_equal(o.kid, "(null)");
    assert_string_equal(o.alg, "HS256");
    json_decref(h);
    json_decref(p);
    free(tok);
    jwk_free(k);
}

static void
test_rfc7515_a2_rs256(void **state)
{
    jwk_t *priv = import(RFC7515_A2_PRIVATE_JWK, true);
    jwk_t *pub = import(RFC7515_A2_PUBLIC_JWK, false);
    char *tok = sign_hdr(priv, RFC7515_A2_HEADER, RFC7515_PAYLOAD);
    wx_err_t err = {0};
    assert_string_equal(tok, RFC7515_A2_TOKEN); /* PKCS#1 v1.5 is deterministic */
    assert_int_equal(verify(RFC7515_A2_TOKEN, ALL_ALGS, pub, &err), WX_OK);
    free(tok);
    jwk_free(priv);
    jwk_free(pub);
}

static void
test_rfc7515_a3_es256(void **state)
{
    jwk_t *pub = import(RFC7515_A3_PUBLIC_JWK, false);
    jwk_t *priv = import(RFC7515_A3_PRIVATE_JWK, true);
    char bad[] = RFC7515_A3_TOKEN;
    char *tok = NULL;
    wx_err_t err = {0};
    assert_int_equal(verify(RFC7515_A3_TOKEN, ALL_ALGS, pub, &err), WX_OK);
    /* One signature character changed (still canonical base64url). */
    bad[strlen(bad) - 5] = bad[strlen(bad) - 5] == 'A' ? 'B' : 'A';
    expect_fail(bad, ALL_ALGS, pub, WX_EDENIED, JWS_REASON_SIGNATURE, "does not verify");
    /* Our own ES256 signature with the RFC key: raw R||S, 64 bytes = 86 characters. */
    tok = sign_hdr(priv, "{\"alg\":\"ES256\"}", RFC7515_PAYLOAD);
    assert_int_equal(strlen(strrchr(tok, '.') + 1), 86);
    assert_int_equal(verify(tok, ALL_ALGS, pub, &err), WX_OK);
    free(tok);
    jwk_free(pub);
    jwk_free(priv);
}

static void
test_rfc8037_eddsa(void **state)
{
    jwk_t *priv = import(RFC8037_PRIVATE_JWK, true);
    jwk_t *pub = import(RFC8037_PUBLIC_JWK, false);
    char *tok = sign_hdr(priv, RFC8037_HEADER, RFC8037_PAYLOAD);
    char bad[] = RFC8037_TOKEN;
    assert_string_equal(tok, RFC8037_TOKEN); /* Ed25519 is deterministic */
    /* The RFC's payload is not JSON: the signature verifies, then the payload rule refuses it.
     * Reaching that rule proves the signature was accepted. */
    expect_fail(RFC8037_TOKEN, ALL_ALGS, pub, WX_EINVAL, JWS_REASON_MALFORMED,
                "payload is not a JSON object");
    bad[strlen(bad) - 10] = bad[strlen(bad) - 10] == 'A' ? 'B' : 'A';
    expect_fail(bad, ALL_ALGS, pub, WX_EDENIED, JWS_REASON_SIGNATURE, "does not verify");
    free(tok);
    jwk_free(priv);
    jwk_free(pub);
}

/* The first part of a token, decoded, as a string. */
static char *
header_of(const char *tok)
{
    unsigned char *h = NULL;
    size_t n = 0;
    assert_int_equal(b64url_decode(tok, (size_t)(strchr(tok, '.') - tok), &h, &n), WX_OK);
    return (char *)h;
}

static void
test_sign_header_format(void **state)
{
    unsigned char secret[32] = {7};
    jwk_t *k = NULL, *nokid = NULL;
    wx_buf_t b;
    wx_err_t err = {0};
    char *h = NULL;
    one_key_t o = {0};
    json_t *hdr = NULL;

    wx_buf_init(&b, 16384);
    assert_int_equal(jwk_from_secret(secret, sizeof(secret), "k\"1\\", &k, &err), WX_OK);
    assert_int_equal(jwk_from_secret(secret, sizeof(secret), NULL, &nokid, &err), WX_OK);

    assert_int_equal(jws_sign(k, "{}", 2, &b, &err), WX_OK);
    h = header_of(wx_buf_str(&b));
    assert_string_equal(h, "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"k\\\"1\\\\\"}");
    free(h);
    o.key = k;
    assert_int_equal(jws_verify(b.data, b.len, ALL_ALGS, lookup_one, &o, &hdr, NULL, NULL, &err),
                     WX_OK);
    assert_string_equal(o.kid, "k\"1\\"); /* the escaped kid comes back intact */
    json_decref(hdr);

    wx_buf_reset(&b);
    assert_int_equal(jws_sign(nokid, "{}", 2, &b, &err), WX_OK);
    h = header_of(wx_buf_str(&b));
    assert_string_equal(h, "{\"alg\":\"HS256\",\"typ\":\"JWT\"}");
    free(h);

    /* Appends: what was in the buffer stays. */
    wx_buf_reset(&b);
    assert_int_equal(wx_buf_puts(&b, "Bearer "), WX_OK);
    assert_int_equal(jws_sign(nokid, "{}", 2, &b, &err), WX_OK);
    assert_memory_equal(b.data, "Bearer eyJ", 10);

    /* A header whose alg is not the key's is refused. */
    wx_buf_reset(&b);
    assert_int_equal(jws_sign_with_header(k, "{\"alg\":\"RS256\"}", "{}", 2, &b, &err), WX_EINVAL);
    assert_int_equal(jws_sign_with_header(k, "{\"alg\":\"none\"}", "{}", 2, &b, &err), WX_EINVAL);
    assert_int_equal(jws_sign_with_header(k, "[]", "{}", 2, &b, &err), WX_EINVAL);
    assert_int_equal(b.len, 0);

    wx_buf_free(&b);
    jwk_free(k);
    jwk_free(nokid);
}

static void
test_sign_refusals(void **state)
{
    jwk_t *pub = import(RFC8037_PUBLIC_JWK, false);
    jwk_t *k = generate("RS256", "big");
    wx_buf_t b;
    wx_err_t err = {0};
    wx_buf_init(&b, 100);
    assert_int_equal(jws_sign(pub, "{}", 2, &b, &err), WX_EINVAL); /* public keys cannot sign */
    assert_int_equal(b.len, 0);
    assert_int_equal(jws_sign(k, "{}", 2, &b, &err), WX_ETOOBIG); /* does not fit in 100 */
    assert_int_equal(b.len, 0);
    wx_buf_free(&b);
    jwk_free(pub);
    jwk_free(k);
}

static void
roundtrip(const char *alg)
{
    jwk_t *k = generate(alg, "rt-1");
    jwk_t *pub = NULL;
    json_t *pj = NULL, *h = NULL, *p = NULL;
    wx_buf_t b;
    wx_err_t err = {0};
    one_key_t o = {0};
    static const char claims[] = "{\"sub\":\"u1\",\"n\":1}";
    const char *const only[] = {alg, NULL};

    wx_buf_init(&b, 16384);
    assert_int_equal(jws_sign(k, claims, strlen(claims), &b, &err), WX_OK);
    /* Verify with the public half only, as a relying party would. */
    assert_int_equal(jwk_public_json(k, &pj, &err), WX_OK);
    assert_int_equal(jwk_import_json(pj, &pub, &err), WX_OK);
    o.key = pub;
    assert_int_equal(jws_verify(b.data, b.len, only, lookup_one, &o, &h, &p, NULL, &err), WX_OK);
    assert_string_equal(o.kid, "rt-1");
    assert_string_equal(json_string_value(json_object_get(h, "alg")), alg);
    assert_string_equal(json_string_value(json_object_get(h, "typ")), "JWT");
    assert_string_equal(json_string_value(json_object_get(p, "sub")), "u1");
    json_decref(h);
    json_decref(p);
    /* The private key verifies too. */
    o.key = k;
    assert_int_equal(jws_verify(b.data, b.len, only, lookup_one, &o, NULL, NULL, NULL, &err),
                     WX_OK);
    json_decref(pj);
    jwk_free(pub);
    jwk_free(k);
    wx_buf_free(&b);
}

static void
test_roundtrip_rs256(void **state)
{
    roundtrip("RS256");
}

static void
test_roundtrip_es256(void **state)
{
    roundtrip("ES256");
}

static void
test_roundtrip_eddsa(void **state)
{
    roundtrip("EdDSA");
}

static void
test_roundtrip_pem_reload(void **state)
{
    jwk_t *k = generate("ES256", "pem-1"), *back = NULL;
    wx_buf_t pem, tok;
    wx_err_t err = {0};
    wx_buf_init(&pem, 65536);
    wx_buf_init(&tok, 16384);
    assert_int_equal(jwk_to_pem(k, &pem, &err), WX_OK);
    assert_int_equal(jwk_from_pem(wx_buf_str(&pem), "pem-1", "ES256", &back, &err), WX_OK);
    assert_int_equal(jws_sign(back, "{}", 2, &tok, &err), WX_OK);
    assert_int_equal(verify(wx_buf_str(&tok), ALL_ALGS, k, &err), WX_OK);
    wx_buf_free(&pem);
    wx_buf_free(&tok);
    jwk_free(k);
    jwk_free(back);
}

/* --- one test per jws_verify rule --- */

static void
test_reject_alg_none(void **state)
{
    jwk_t *k = import(RFC7515_A1_JWK, false);
    const char *const with_none[] = {"none", "HS256", "NONE", NULL};
    /* RFC 7515 A.5's unsecured token, and variants. */
    expect_fail("eyJhbGciOiJub25lIn0." RFC7515_PAYLOAD_B64 ".", with_none, k, WX_EDENIED,
                JWS_REASON_ALG_NONE, "alg none");
    expect_fail("eyJhbGciOiJOT05FIn0." RFC7515_PAYLOAD_B64 ".", with_none, k, WX_EDENIED,
                JWS_REASON_ALG_NONE, "alg none"); /* {"alg":"NONE"} */
    /* alg none with an HS256 signature attached changes nothing. */
    expect_fail("eyJhbGciOiJub25lIn0." RFC7515_PAYLOAD_B64
                ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
                with_none, k, WX_EDENIED, JWS_REASON_ALG_NONE, "alg none");
    jwk_free(k);
}

static void
test_reject_alg_not_allowed(void **state)
{
    jwk_t *pub = import(RFC7515_A2_PUBLIC_JWK, false);
    const char *const es_only[] = {"ES256", NULL};
    const char *const empty[] = {NULL};
    one_key_t o = {.key = pub};
    wx_err_t err = {0};
    expect_fail(RFC7515_A2_TOKEN, es_only, pub, WX_EDENIED, JWS_REASON_ALG_NOT_ALLOWED,
                "alg is not allowed");
    expect_fail(RFC7515_A2_TOKEN, empty, pub, WX_EDENIED, JWS_REASON_ALG_NOT_ALLOWED,
                "alg is not allowed");
    expect_fail(RFC7515_A2_TOKEN, NULL, pub, WX_EDENIED, JWS_REASON_ALG_NOT_ALLOWED,
                "alg is not allowed");
    /* The key is never even looked up. */
    assert_int_equal(jws_verify(RFC7515_A2_TOKEN, strlen(RFC7515_A2_TOKEN), es_only, lookup_one, &o,
                                NULL, NULL, NULL, &err),
                     WX_EDENIED);
    assert_int_equal(o.calls, 0);
    jwk_free(pub);
}

static void
test_reject_alg_unsupported(void **state)
{
    jwk_t *k = import(RFC7515_A1_JWK, false);
    const char *const rs384[] = {"RS384", NULL};
    /* {"alg":"RS384"} listed by the caller but not implemented. */
    expect_fail("eyJhbGciOiJSUzM4NCJ9." RFC7515_PAYLOAD_B64 ".AAAA", rs384, k, WX_EDENIED,
                JWS_REASON_ALG_UNSUPPORTED, "alg is not supported");
    jwk_free(k);
}

static void
test_reject_rs256_hs256_confusion(void **state)
{
    /* The classic attack: take the server's RSA public key, use its bytes as an HMAC secret and
     * sign an HS256 token naming the RSA key. */
    jwk_t *rsa = generate("RS256", "rsa-1");
    json_t *pj = NULL;
    char *pubtext = NULL;
    jwk_t *forged_key = NULL;
    char *tok = NULL;
    wx_err_t err = {0};
    assert_int_equal(jwk_public_json(rsa, &pj, &err), WX_OK);
    pubtext = json_dumps(pj, JSON_COMPACT);
    assert_int_equal(
        jwk_from_secret((const unsigned char *)pubtext,
                        strlen(pubtext) > JWK_HMAC_MAX ? JWK_HMAC_MAX : strlen(pubtext), "rsa-1",
                        &forged_key, &err),
        WX_OK);
    tok = sign_hdr(forged_key, "{\"alg\":\"HS256\",\"kid\":\"rsa-1\"}", "{\"sub\":\"admin\"}");
    expect_fail(tok, ALL_ALGS, rsa, WX_EDENIED, JWS_REASON_KEY_ALG,
                "key is not for the token's alg");
    free(tok);
    free(pubtext);
    json_decref(pj);
    jwk_free(forged_key);
    jwk_free(rsa);
}

static void
test_reject_key_of_other_type(void **state)
{
    /* ES256 header, lookup hands back an Ed25519 key: refused before any crypto. */
    jwk_t *ed = import(RFC8037_PUBLIC_JWK, false);
    expect_fail(RFC7515_A3_TOKEN, ALL_ALGS, ed, WX_EDENIED, JWS_REASON_KEY_ALG,
                "key is not for the token's alg");
    jwk_free(ed);
}

static void
test_reject_crit(void **state)
{
    jwk_t *k = import(RFC7515_A1_JWK, false);
    char *tok = sign_hdr(k, "{\"alg\":\"HS256\",\"crit\":[\"exp\"],\"exp\":1363284000}", "{}");
    char *tok2 = sign_hdr(k, "{\"alg\":\"HS256\",\"b64\":false,\"crit\":[\"b64\"]}", "{}");
    char *tok3 = sign_hdr(k, "{\"alg\":\"HS256\",\"crit\":[]}", "{}");
    expect_fail(tok, ALL_ALGS, k, WX_EDENIED, JWS_REASON_CRIT, "crit");
    expect_fail(tok2, ALL_ALGS, k, WX_EDENIED, JWS_REASON_CRIT, "crit");
    expect_fail(tok3, ALL_ALGS, k, WX_EDENIED, JWS_REASON_CRIT, "crit");
    free(tok);
    free(tok2);
    free(tok3);
    jwk_free(k);
}

static void
test_reject_bad_base64(void **state)
{
    jwk_t *k = import(RFC7515_A1_JWK, false);
    /* Padding on the header, standard alphabet in the payload and signature. */
    expect_fail("eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9=." RFC7515_PAYLOAD_B64
                ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
                ALL_ALGS, k, WX_EINVAL, JWS_REASON_MALFORMED, "header is not valid base64url");
    expect_fail("eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3Mi+" RFC7515_PAYLOAD_B64
                ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
                ALL_ALGS, k, WX_EINVAL, JWS_REASON_MALFORMED, "payload is not valid base64url");
    expect_fail("eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9." RFC7515_PAYLOAD_B64
                ".dBjftJeZ4CVP+mB92K27uhbUJU1p1r/wW1gFWFOEjXk",
                ALL_ALGS, k, WX_EINVAL, JWS_REASON_MALFORMED, "signature is not valid base64url");
    /* Same signature with non-zero trailing bits: a second spelling, refused. */
    expect_fail("eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9." RFC7515_PAYLOAD_B64
                ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXl",
                ALL_ALGS, k, WX_EINVAL, JWS_REASON_MALFORMED, "signature is not valid base64url");
    expect_fail("eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9." RFC7515_PAYLOAD_B64
                ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk\n",
                ALL_ALGS, k, WX_EINVAL, JWS_REASON_MALFORMED, "signature is not valid base64url");
    jwk_free(k);
}

static void
test_reject_part_count(void **state)
{
    jwk_t *k = import(RFC7515_A1_JWK, false);
    expect_fail("", ALL_ALGS, k, WX_EINVAL, JWS_REASON_MALFORMED, "exactly three parts");
    expect_fail("eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9", ALL_ALGS, k, WX_EINVAL,
                JWS_REASON_MALFORMED, "exactly three parts");
    expect_fail("eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9." RFC7515_PAYLOAD_B64, ALL_ALGS, k,
                WX_EINVAL, JWS_REASON_MALFORMED, "exactly three parts");
    expect_fail(RFC7515_A1_TOKEN ".", ALL_ALGS, k, WX_EINVAL, JWS_REASON_MALFORMED,
                "exactly three parts");
    expect_fail(RFC7515_A1_TOKEN ".AAAA", ALL_ALGS, k, WX_EINVAL, JWS_REASON_MALFORMED,
                "exactly three parts");
    expect_fail("a.b.c.d.e", ALL_ALGS, k, WX_EINVAL, JWS_REASON_MALFORMED, "exactly three parts");
    jwk_free(k);
}

static void
test_reject_too_big(void **state)
{
    jwk_t *k = import(RFC7515_A1_JWK, false);
    wx_buf_t payload;
    char *tok = NULL;
    size_t under = 0, over = 0;
    one_key_t o = {.key = k};
    wx_err_t err = {0};
    wx_buf_init(&payload, 16384);
    /* Grow a valid token past the limit: the last one at or under 8192 bytes verifies, the
     * first one over does not, and it is refused before anything is decoded or looked up. */
    for (size_t pad = 6000; pad < 6300 && !over; pad++) {
        wx_buf_reset(&payload);
        assert_int_equal(wx_buf_puts(&payload, "{\"p\":\""), WX_OK);
        for (size_t i = 0; i < pad; i++)
            assert_int_equal(wx_buf_puts(&payload, "x"), WX_OK);
        assert_int_equal(wx_buf_puts(&payload, "\"}"), WX_OK);
        tok = sign_hdr(k, "{\"alg\":\"HS256\"}", wx_buf_str(&payload));
        o.calls = 0;
        if (strlen(tok) <= JWS_MAX_TOKEN) {
            assert_int_equal(verify(tok, ALL_ALGS, k, &err), WX_OK);
            under = strlen(tok);
        } else {
            assert_int_equal(
                jws_verify(tok, strlen(tok), ALL_ALGS, lookup_one, &o, NULL, NULL, NULL, &err),
                WX_ETOOBIG);
            assert_non_null(strstr(err.msg, "larger than 8192"));
            assert_int_equal(o.calls, 0);
            over = strlen(tok);
        }
        free(tok);
    }
    assert_true(under > 8180 && under <= 8192);
    assert_true(over > 8192);
    /* Junk over the limit gets the size error, not a parse error. */
    tok = calloc(1, 9001);
    memset(tok, '!', 9000);
    expect_fail(tok, ALL_ALGS, k, WX_ETOOBIG, JWS_REASON_TOO_BIG, "larger than");
    free(tok);
    wx_buf_free(&payload);
    jwk_free(k);
}

static void
test_reject_tampered_payload(void **state)
{
    jwk_t *pub = import(RFC7515_A2_PUBLIC_JWK, false);
    char tok[] = RFC7515_A2_TOKEN;
    /* "eyJpc3MiOiJqb2Ui" ... change "joe" to another name, keep valid base64url. */
    char *p = strstr(tok, "qb2Ui");
    assert_non_null(p);
    p[1] = 'c';
    expect_fail(tok, ALL_ALGS, pub, WX_EDENIED, JWS_REASON_SIGNATURE, "does not verify");
    jwk_free(pub);
}

static void
test_reject_signature_of_other_key(void **state)
{
    static const char *const algs[] = {"RS256", "ES256", "EdDSA", "HS256"};
    for (size_t i = 0; i < 4; i++) {
        jwk_t *a = NULL, *b = NULL;
        wx_buf_t tok;
        wx_err_t err = {0};
        wx_buf_init(&tok, 16384);
        if (i < 3) {
            a = generate(algs[i], "same-kid");
            b = generate(algs[i], "same-kid");
        } else {
            unsigned char s1[32] = {1}, s2[32] = {2};
            assert_int_equal(jwk_from_secret(s1, 32, "same-kid", &a, &err), WX_OK);
            assert_int_equal(jwk_from_secret(s2, 32, "same-kid", &b, &err), WX_OK);
        }
        assert_int_equal(jws_sign(a, "{}", 2, &tok, &err), WX_OK);
        assert_int_equal(verify(wx_buf_str(&tok), ALL_ALGS, a, &err), WX_OK);
        expect_fail(wx_buf_str(&tok), ALL_ALGS, b, WX_EDENIED, JWS_REASON_SIGNATURE,
                    "does not verify");
        wx_buf_free(&tok);
        jwk_free(a);
        jwk_free(b);
    }
}

static void
test_reject_unknown_kid(void **state)
{
    static const char doc[] = "{\"keys\":[{\"kty\":\"OKP\",\"kid\":\"known\",\"crv\":\"Ed25519\","
                              "\"x\":\"" RFC8037_X "\"}]}";
    jwk_t *k = generate("EdDSA", "stranger");
    jwks_t *set = NULL;
    wx_buf_t tok;
    wx_err_t err = {0};
    wx_buf_init(&tok, 16384);
    assert_int_equal(jwks_parse(doc, strlen(doc), &set, &err), WX_OK);
    assert_int_equal(jws_sign(k, "{}", 2, &tok, &err), WX_OK);
    assert_int_equal(
        jws_verify(tok.data, tok.len, ALL_ALGS, jwks_lookup, set, NULL, NULL, NULL, &err),
        WX_ENOENT);
    assert_string_equal(err.msg, "unknown key");
    expect_fail(wx_buf_str(&tok), ALL_ALGS, NULL, WX_ENOENT, JWS_REASON_UNKNOWN_KEY, "unknown key");
    wx_buf_free(&tok);
    jwks_free(set);
    jwk_free(k);
}

static void
test_reject_bad_header(void **state)
{
    jwk_t *k = import(RFC7515_A1_JWK, false);
    char *t1 = NULL;
    /* Header "[]", "{}", {"alg":1}, not JSON, duplicate alg. */
    expect_fail("W10." RFC7515_PAYLOAD_B64 ".AAAA", ALL_ALGS, k, WX_EINVAL, JWS_REASON_MALFORMED,
                "header is not a JSON object");
    expect_fail("e30." RFC7515_PAYLOAD_B64 ".AAAA", ALL_ALGS, k, WX_EINVAL, JWS_REASON_MALFORMED,
                "has no alg");
    expect_fail("eyJhbGciOjF9." RFC7515_PAYLOAD_B64 ".AAAA", ALL_ALGS, k, WX_EINVAL,
                JWS_REASON_MALFORMED, "has no alg");
    expect_fail("bm90IGpzb24." RFC7515_PAYLOAD_B64 ".AAAA", ALL_ALGS, k, WX_EINVAL,
                JWS_REASON_MALFORMED, "header is not a JSON object");
    /* {"alg":"HS256","alg":"none"} */
    expect_fail("eyJhbGciOiJIUzI1NiIsImFsZyI6Im5vbmUifQ." RFC7515_PAYLOAD_B64 ".AAAA", ALL_ALGS, k,
                WX_EINVAL, JWS_REASON_MALFORMED, "header is not a JSON object");
    t1 = sign_hdr(k, "{\"alg\":\"HS256\",\"kid\":5}", "{}");
    expect_fail(t1, ALL_ALGS, k, WX_EINVAL, JWS_REASON_MALFORMED, "kid is not a string");
    free(t1);
    jwk_free(k);
}

static void
test_reject_payload_not_object(void **state)
{
    jwk_t *k = import(RFC7515_A1_JWK, false);
    char *t1 = sign_hdr(k, "{\"alg\":\"HS256\"}", "[1,2]");
    char *t2 = sign_hdr(k, "{\"alg\":\"HS256\"}", "{\"sub\":\"a\",\"sub\":\"b\"}");
    expect_fail(t1, ALL_ALGS, k, WX_EINVAL, JWS_REASON_MALFORMED, "payload is not a JSON object");
    expect_fail(t2, ALL_ALGS, k, WX_EINVAL, JWS_REASON_MALFORMED,
                "payload is not a JSON object"); /* duplicate */
    free(t1);
    free(t2);
    jwk_free(k);
}

static void
test_embedded_keys_ignored(void **state)
{
    /* An attacker signs with their own key and embeds it (jwk), points at it (jku, x5u) or
     * ships a chain (x5c): verification still uses only the looked-up key. */
    jwk_t *real = generate("ES256", "real");
    jwk_t *evil = generate("ES256", "real");
    json_t *ej = NULL;
    char *ejs = NULL, *hdr = NULL, *tok = NULL;
    wx_buf_t h;
    wx_err_t err = {0};
    one_key_t o = {.key = real};
    wx_buf_init(&h, 4096);
    assert_int_equal(jwk_public_json(evil, &ej, &err), WX_OK);
    ejs = json_dumps(ej, JSON_COMPACT);
    assert_int_equal(wx_buf_printf(&h,
                                   "{\"alg\":\"ES256\",\"kid\":\"real\",\"jwk\":%s,"
                                   "\"jku\":\"https://evil.example/jwks\","
                                   "\"x5u\":\"https://evil.example/x5u\",\"x5c\":[\"AAAA\"]}",
                                   ejs),
                     WX_OK);
    hdr = wx_buf_steal(&h);
    tok = sign_hdr(evil, hdr, "{\"sub\":\"admin\"}");
    expect_fail(tok, ALL_ALGS, real, WX_EDENIED, JWS_REASON_SIGNATURE, "does not verify");
    free(tok);
    /* The same headers on a token the real key signed are harmless and ignored. */
    tok = sign_hdr(real, hdr, "{\"sub\":\"u\"}");
    assert_int_equal(jws_verify(tok, strlen(tok), ALL_ALGS, lookup_one, &o, NULL, NULL, NULL, &err),
                     WX_OK);
    assert_int_equal(o.calls, 1);
    free(tok);
    free(hdr);
    free(ejs);
    json_decref(ej);
    jwk_free(real);
    jwk_free(evil);
}

/* signing_input . BASE64URL(sig[0..n)) as a fresh string. */
static char *
with_sig(const char *token, const unsigned char *sig, size_t n)
{
    wx_buf_t b;
    wx_buf_init(&b, 16384);
    assert_int_equal(wx_buf_append(&b, token, (size_t)(strrchr(token, '.') + 1 - token)), WX_OK);
    assert_int_equal(b64url_encode(sig, n, &b), WX_OK);
    return wx_buf_steal(&b);
}

static unsigned char *
sig_of(const char *token, size_t *n)
{
    const char *s = strrchr(token, '.') + 1;
    unsigned char *sig = NULL;
    assert_int_equal(b64url_decode(s, strlen(s), &sig, n), WX_OK);
    return sig;
}

static void
test_reject_bad_signature_sizes(void **state)
{
    jwk_t *ec = import(RFC7515_A3_PUBLIC_JWK, false);
    jwk_t *rsa = import(RFC7515_A2_PUBLIC_JWK, false);
    jwk_t *hs = import(RFC7515_A1_JWK, false);
    size_t n = 0;
    unsigned char *sig = sig_of(RFC7515_A3_TOKEN, &n);
    unsigned char der[72], zero[64] = {0};
    char *t = NULL;

    assert_int_equal(n, 64);
    /* ES256: empty, 63 bytes, 65 bytes, r = s = 0. */
    t = with_sig(RFC7515_A3_TOKEN, sig, 0);
    expect_fail(t, ALL_ALGS, ec, WX_EDENIED, JWS_REASON_SIGNATURE, "does not verify");
    free(t);
    t = with_sig(RFC7515_A3_TOKEN, sig, 63);
    expect_fail(t, ALL_ALGS, ec, WX_EDENIED, JWS_REASON_SIGNATURE, "does not verify");
    free(t);
    t = with_sig(RFC7515_A3_TOKEN, zero, 64);
    expect_fail(t, ALL_ALGS, ec, WX_EDENIED, JWS_REASON_SIGNATURE, "does not verify");
    free(t);
    /* ES256 with the very same r and s in DER, as OpenSSL would emit them: not JWS form.
     * r starts 0x0e (no sign byte), s starts 0xc5 (needs a 00 sign byte). */
    assert_int_equal(sig[0], 0x0e);
    assert_int_equal(sig[32], 0xc5);
    der[0] = 0x30, der[1] = 69, der[2] = 0x02, der[3] = 32;
    memcpy(der + 4, sig, 32);
    der[36] = 0x02, der[37] = 33, der[38] = 0;
    memcpy(der + 39, sig + 32, 32);
    t = with_sig(RFC7515_A3_TOKEN, der, 71);
    expect_fail(t, ALL_ALGS, ec, WX_EDENIED, JWS_REASON_SIGNATURE, "does not verify");
    free(t);
    free(sig);

    /* RS256: one byte short, one byte long. */
    sig = sig_of(RFC7515_A2_TOKEN, &n);
    assert_int_equal(n, 256);
    t = with_sig(RFC7515_A2_TOKEN, sig, 255);
    expect_fail(t, ALL_ALGS, rsa, WX_EDENIED, JWS_REASON_SIGNATURE, "does not verify");
    free(t);
    sig = realloc(sig, 257);
    assert_non_null(sig);
    sig[256] = 0;
    t = with_sig(RFC7515_A2_TOKEN, sig, 257);
    expect_fail(t, ALL_ALGS, rsa, WX_EDENIED, JWS_REASON_SIGNATURE, "does not verify");
    free(t);
    free(sig);

    /* HS256: a prefix of the right MAC, and the MAC with a byte appended. */
    sig = sig_of(RFC7515_A1_TOKEN, &n);
    assert_int_equal(n, 32);
    t = with_sig(RFC7515_A1_TOKEN, sig, 16);
    expect_fail(t, ALL_ALGS, hs, WX_EDENIED, JWS_REASON_SIGNATURE, "does not verify");
    free(t);
    sig = realloc(sig, 33);
    assert_non_null(sig);
    sig[32] = 0;
    t = with_sig(RFC7515_A1_TOKEN, sig, 33);
    expect_fail(t, ALL_ALGS, hs, WX_EDENIED, JWS_REASON_SIGNATURE, "does not verify");
    free(t);
    free(sig);
    jwk_free(ec);
    jwk_free(rsa);
    jwk_free(hs);
}

/* Every refusal cause gives its own reason code, whatever the message says: the value that
 * handle/token.c and libwxauth switch on. One case per cause, and the reason's name. */
static void
test_reasons(void **state)
{
    jwk_t *es = generate("ES256", "es"), *rs = generate("RS256", "rs");
    char *good = sign_hdr(es, "{\"alg\":\"ES256\",\"kid\":\"es\"}", "{\"sub\":\"u\"}");
    char *crit = sign_hdr(es, "{\"alg\":\"ES256\",\"crit\":[\"exp\"],\"exp\":1}", "{}");
    char *b64 = sign_hdr(es, "{\"alg\":\"ES256\",\"b64\":false}", "{}");
    char *rs_tok = sign_hdr(rs, "{\"alg\":\"RS256\"}", "{}");
    char *not_obj = sign_hdr(es, "{\"alg\":\"ES256\"}", "[1]");
    char *bad_sig = strdup(good);
    assert_non_null(bad_sig);
    char *last = strrchr(bad_sig, '.') + 5;
    *last = *last == 'A' ? 'B' : 'A';
    char *big = malloc(JWS_MAX_TOKEN + 2);
    assert_non_null(big);
    memset(big, 'a', JWS_MAX_TOKEN + 1);
    big[JWS_MAX_TOKEN + 1] = '\0';
    static const char *const es_only[] = {"ES256", NULL};
    static const char *const with_x[] = {"ES256", "XS999", NULL};
    const struct {
        const char *tok;
        const char *const *algs;
        const jwk_t *key;
        jws_reason_t want;
        const char *name;
    } cases[] = {
        {good, ALL_ALGS, es, JWS_REASON_OK, "ok"},
        {big, ALL_ALGS, es, JWS_REASON_TOO_BIG, "too_big"},
        {"a.b", ALL_ALGS, es, JWS_REASON_MALFORMED, "malformed"},
        {"e30.e30.", ALL_ALGS, es, JWS_REASON_MALFORMED, "malformed"}, /* no alg */
        {"eyJhbGciOiJub25lIn0.e30.", ALL_ALGS, es, JWS_REASON_ALG_NONE, "alg_none"},
        {"eyJhbGciOiJOb05lIn0.e30.", ALL_ALGS, es, JWS_REASON_ALG_NONE, "alg_none"}, /* NoNe */
        {rs_tok, es_only, rs, JWS_REASON_ALG_NOT_ALLOWED, "alg_not_allowed"},
        /* {"alg":"XS999"}: listed, but not an alg we implement */
        {"eyJhbGciOiJYUzk5OSJ9.e30.AA", with_x, es, JWS_REASON_ALG_UNSUPPORTED, "alg_unsupported"},
        {crit, ALL_ALGS, es, JWS_REASON_CRIT, "crit"},
        {b64, ALL_ALGS, es, JWS_REASON_B64, "b64"},
        {good, ALL_ALGS, NULL, JWS_REASON_UNKNOWN_KEY, "unknown_key"},
        {good, ALL_ALGS, rs, JWS_REASON_KEY_ALG, "key_alg"},
        {bad_sig, ALL_ALGS, es, JWS_REASON_SIGNATURE, "signature"},
        {not_obj, ALL_ALGS, es, JWS_REASON_MALFORMED, "malformed"}, /* after the signature */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        one_key_t o = {.key = cases[i].key};
        wx_err_t err = {0};
        jws_reason_t why = JWS_REASON_INTERNAL;
        wx_status_t rc = jws_verify(cases[i].tok, strlen(cases[i].tok), cases[i].algs, lookup_one,
                                    &o, NULL, NULL, &why, &err);
        if (why != cases[i].want)
            fail_msg("case %zu: reason %s, want %s (%s)", i, jws_reason_str(why),
                     jws_reason_str(cases[i].want), err.msg);
        assert_int_equal(rc == WX_OK, cases[i].want == JWS_REASON_OK);
        assert_string_equal(jws_reason_str(why), cases[i].name);
    }
    /* No token: a caller's bug, told apart from a bad token. */
    one_key_t o = {.key = es};
    jws_reason_t why = JWS_REASON_OK;
    assert_int_equal(jws_verify(NULL, 0, ALL_ALGS, lookup_one, &o, NULL, NULL, &why, NULL),
                     WX_EINVAL);
    assert_int_equal(why, JWS_REASON_ARG);
    assert_string_equal(jws_reason_str(JWS_REASON_INTERNAL), "internal");
    assert_string_equal(jws_reason_str((jws_reason_t)999), "unknown");
    free(good), free(crit), free(b64), free(rs_tok), free(not_obj), free(bad_sig), free(big);
    jwk_free(es);
    jwk_free(rs);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc7515_a1_hs256),
        cmocka_unit_test(test_rfc7515_a2_rs256),
        cmocka_unit_test(test_rfc7515_a3_es256),
        cmocka_unit_test(test_rfc8037_eddsa),
        cmocka_unit_test(test_sign_header_format),
        cmocka_unit_test(test_sign_refusals),
        cmocka_unit_test(test_roundtrip_rs256),
        cmocka_unit_test(test_roundtrip_es256),
        cmocka_unit_test(test_roundtrip_eddsa),
        cmocka_unit_test(test_roundtrip_pem_reload),
        cmocka_unit_test(test_reject_alg_none),
        cmocka_unit_test(test_reject_alg_not_allowed),
        cmocka_unit_test(test_reject_alg_unsupported),
        cmocka_unit_test(test_reject_rs256_hs256_confusion),
        cmocka_unit_test(test_reject_key_of_other_type),
        cmocka_unit_test(test_reject_crit),
        cmocka_unit_test(test_reject_bad_base64),
        cmocka_unit_test(test_reject_part_count),
        cmocka_unit_test(test_reject_too_big),
        cmocka_unit_test(test_reject_tampered_payload),
        cmocka_unit_test(test_reject_signature_of_other_key),
        cmocka_unit_test(test_reject_unknown_kid),
        cmocka_unit_test(test_reject_bad_header),
        cmocka_unit_test(test_reject_payload_not_object),
        cmocka_unit_test(test_embedded_keys_ignored),
        cmocka_unit_test(test_reject_bad_signature_sizes),
        cmocka_unit_test(test_reasons),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
