/* Tests for src/jose/jwk.c, jwk_import.c and jwks.c: RFC 7638 and RFC 8037 thumbprints, public
 * JWK export (byte-exact members, never private ones), PEM round trips, import validation and
 * JWKS parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "jose/b64url.h"
#include "jose/jwk.h"
#include "rfc_vectors.h"

static json_t *
parse(const char *s)
{
    json_error_t jerr;
    json_t *j = json_loads(s, 0, &jerr);
    assert_non_null(j);
    return j;
}

static jwk_t *
import(const char *s, bool private)
{
    json_t *j = parse(s);
    jwk_t *k = NULL;
    wx_err_t err = {0};
    wx_status_t rc = private ? jwk_import_private_json(j, &k, &err) : jwk_import_json(j, &k, &err);
    if (rc != WX_OK)
        fail_msg("import failed: %s (%s)", err.msg, err.detail);
    json_decref(j);
    return k;
}

static wx_status_t
import_rc(const char *s, bool private)
{
    json_t *j = parse(s);
    jwk_t *k = (jwk_t *)1;
    wx_err_t err = {0};
    wx_status_t rc = private ? jwk_import_private_json(j, &k, &err) : jwk_import_json(j, &k, &err);
    if (rc == WX_OK)
        jwk_free(k);
    else
        assert_null(k);
    json_decref(j);
    return rc;
}

static void
assert_thumbprint(const jwk_t *k, const char *want)
{
    char tp[JWK_THUMBPRINT_LEN];
    wx_err_t err = {0};
    assert_int_equal(jwk_thumbprint(k, tp, sizeof(tp), &err), WX_OK);
    assert_string_equal(tp, want);
}

static void
test_rfc7638_thumbprint(void **state)
{
    jwk_t *k = import(RFC7638_JWK, false);
    char small[JWK_THUMBPRINT_LEN - 1];
    assert_thumbprint(k, RFC7638_THUMBPRINT);
    assert_string_equal(jwk_kid(k), "2011-04-29");
    assert_string_equal(jwk_alg(k), "RS256");
    assert_int_equal(jwk_thumbprint(k, small, sizeof(small), NULL), WX_ETOOBIG);
    jwk_free(k);
}

static void
test_rfc8037_thumbprint(void **state)
{
    jwk_t *pub = import(RFC8037_PUBLIC_JWK, false);
    jwk_t *priv = import(RFC8037_PRIVATE_JWK, true);
    assert_thumbprint(pub, RFC8037_THUMBPRINT);
    assert_thumbprint(priv, RFC8037_THUMBPRINT);
    assert_string_equal(jwk_alg(pub), "EdDSA");
    assert_string_equal(jwk_kid(pub), ""); /* no kid in the JWK: "" not NULL */
    jwk_free(pub);
    jwk_free(priv);
}

static void
assert_no_private_members(const json_t *j)
{
    static const char *const priv[] = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"};
    for (size_t i = 0; i < sizeof(priv) / sizeof(priv[0]); i++)
        assert_null(json_object_get(j, priv[i]));
}

static const char *
member(const json_t *j, const char *name)
{
    const char *s = json_string_value(json_object_get(j, name));
    assert_non_null(s);
    return s;
}

static void
test_public_json_rsa(void **state)
{
    jwk_t *k = import(RFC7515_A2_PRIVATE_JWK, true);
    json_t *j = NULL;
    wx_err_t err = {0};
    assert_int_equal(jwk_public_json(k, &j, &err), WX_OK);
    assert_string_equal(member(j, "kty"), "RSA");
    assert_string_equal(member(j, "use"), "sig");
    assert_string_equal(member(j, "alg"), "RS256");
    assert_string_equal(member(j, "n"), RFC7515_A2_N); /* byte-exact re-encoding */
    assert_string_equal(member(j, "e"), "AQAB");
    assert_null(json_object_get(j, "kid"));
    assert_no_private_members(j);
    assert_int_equal(json_object_size(j), 5);
    json_decref(j);
    jwk_free(k);
}

static void
test_public_json_ec_and_okp(void **state)
{
    jwk_t *ec = import(RFC7515_A3_PRIVATE_JWK, true);
    jwk_t *ed = import(RFC8037_PRIVATE_JWK, true);
    json_t *j = NULL;
    wx_err_t err = {0};
    assert_int_equal(jwk_public_json(ec, &j, &err), WX_OK);
    assert_string_equal(member(j, "kty"), "EC");
    assert_string_equal(member(j, "crv"), "P-256");
    assert_string_equal(member(j, "alg"), "ES256");
    assert_string_equal(member(j, "x"), RFC7515_A3_X);
    assert_string_equal(member(j, "y"), RFC7515_A3_Y);
    assert_no_private_members(j);
    json_decref(j);
    assert_int_equal(jwk_public_json(ed, &j, &err), WX_OK);
    assert_string_equal(member(j, "kty"), "OKP");
    assert_string_equal(member(j, "crv"), "Ed25519");
    assert_string_equal(member(j, "alg"), "EdDSA");
    assert_string_equal(member(j, "x"), RFC8037_X);
    assert_no_private_members(j);
    json_decref(j);
    jwk_free(ec);
    jwk_free(ed);
}

static void
test_oct_never_published(void **state)
{
    jwk_t *k = import(RFC7515_A1_JWK, false);
    json_t *j = (json_t *)1;
    wx_buf_t pem;
    wx_err_t err = {0};
    wx_buf_init(&pem, 65536);
    assert_string_equal(jwk_alg(k), "HS256");
    assert_int_equal(jwk_public_json(k, &j, &err), WX_EINVAL);
    assert_null(j);
    assert_int_equal(jwk_to_pem(k, &pem, &err), WX_EINVAL);
    assert_int_equal(pem.len, 0);
    wx_buf_free(&pem);
    jwk_free(k);
}

static void
test_from_secret(void **state)
{
    unsigned char s[64] = {1, 2, 3};
    jwk_t *k = NULL;
    wx_err_t err = {0};
    assert_int_equal(jwk_from_secret(s, 31, "short", &k, &err), WX_EINVAL);
    assert_null(k);
    assert_int_equal(jwk_from_secret(s, 32, NULL, &k, &err), WX_OK);
    assert_string_equal(jwk_alg(k), "HS256");
    assert_string_equal(jwk_kid(k), "");
    jwk_free(k);
    assert_int_equal(jwk_from_secret(s, sizeof(s), "hs1", &k, &err), WX_OK);
    assert_string_equal(jwk_kid(k), "hs1");
    jwk_free(k);
}

static void
generate_and_roundtrip(const char *alg, size_t member_len)
{
    jwk_t *k = NULL, *back = NULL, *inferred = NULL;
    json_t *j1 = NULL, *j2 = NULL;
    wx_buf_t pem;
    wx_err_t err = {0};
    char tp[JWK_THUMBPRINT_LEN];

    wx_buf_init(&pem, 65536);
    assert_int_equal(jwk_generate(alg, NULL, &k, &err), WX_OK);
    assert_string_equal(jwk_alg(k), alg);
    /* No kid given: the thumbprint is the kid. */
    assert_int_equal(jwk_thumbprint(k, tp, sizeof(tp), &err), WX_OK);
    assert_string_equal(jwk_kid(k), tp);
    assert_int_equal(strlen(tp), 43);

    assert_int_equal(jwk_public_json(k, &j1, &err), WX_OK);
    assert_int_equal(strlen(member(j1, strcmp(alg, "RS256") == 0 ? "n" : "x")), member_len);
    assert_no_private_members(j1);

    assert_int_equal(jwk_to_pem(k, &pem, &err), WX_OK);
    assert_non_null(strstr(wx_buf_str(&pem), "-----BEGIN PRIVATE KEY-----\n")); /* PKCS#8 */
    assert_int_equal(jwk_from_pem(wx_buf_str(&pem), jwk_kid(k), alg, &back, &err), WX_OK);
    assert_int_equal(jwk_public_json(back, &j2, &err), WX_OK);
    assert_true(json_equal(j1, j2));
    assert_thumbprint(back, tp);
    /* alg NULL: inferred from the key type. */
    assert_int_equal(jwk_from_pem(wx_buf_str(&pem), "other", NULL, &inferred, &err), WX_OK);
    assert_string_equal(jwk_alg(inferred), alg);
    assert_string_equal(jwk_kid(inferred), "other");

    json_decref(j1);
    json_decref(j2);
    OPENSSL_cleanse(pem.data, pem.len);
    wx_buf_free(&pem);
    jwk_free(k);
    jwk_free(back);
    jwk_free(inferred);
}

static void
test_generate_rs256(void **state)
{
    generate_and_roundtrip("RS256", 342); /* 256 bytes: a 2048-bit modulus */
}

static void
test_generate_es256(void **state)
{
    generate_and_roundtrip("ES256", 43);
}

static void
test_generate_eddsa(void **state)
{
    generate_and_roundtrip("EdDSA", 43);
}

static void
test_generate_refuses(void **state)
{
    jwk_t *k = NULL;
    wx_err_t err = {0};
    char longkid[JWK_KID_MAX + 2];
    assert_int_equal(jwk_generate("HS256", "x", &k, &err), WX_EINVAL);
    assert_int_equal(jwk_generate("none", "x", &k, &err), WX_EINVAL);
    assert_int_equal(jwk_generate("RS512", "x", &k, &err), WX_EINVAL);
    assert_int_equal(jwk_generate(NULL, "x", &k, &err), WX_EINVAL);
    assert_int_equal(jwk_generate("EdDSA", "", &k, &err), WX_EINVAL);
    memset(longkid, 'k', sizeof(longkid) - 1);
    longkid[sizeof(longkid) - 1] = '\0';
    assert_int_equal(jwk_generate("EdDSA", longkid, &k, &err), WX_EINVAL);
    assert_null(k);
}

/* PEM of a fresh OpenSSL key, optionally encrypted or public-only, for the refusal tests. */
static char *
ossl_pem(EVP_PKEY *pkey, bool encrypted, bool public_only)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *p = NULL, *copy = NULL;
    long len;
    assert_non_null(bio);
    if (public_only)
        assert_int_equal(PEM_write_bio_PUBKEY(bio, pkey), 1);
    else if (encrypted)
        assert_int_equal(PEM_write_bio_PKCS8PrivateKey(bio, pkey, EVP_aes_256_cbc(), NULL, 0, NULL,
                                                       (void *)"passphrase"),
                         1);
    else
        assert_int_equal(PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL), 1);
    len = BIO_get_mem_data(bio, &p);
    copy = strndup(p, (size_t)len);
    assert_non_null(copy);
    BIO_free(bio);
    return copy;
}

static void
test_from_pem_refuses(void **state)
{
    EVP_PKEY *small = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
    EVP_PKEY *p384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
    EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    char *pem = NULL;
    jwk_t *k = NULL;
    wx_err_t err = {0};

    assert_non_null(small);
    assert_non_null(p384);
    assert_non_null(ed);
    pem = ossl_pem(small, false, false);
    assert_int_equal(jwk_from_pem(pem, "k", "RS256", &k, &err), WX_EINVAL); /* 1024 bits */
    assert_non_null(strstr(err.msg, "2048"));
    free(pem);
    pem = ossl_pem(p384, false, false);
    assert_int_equal(jwk_from_pem(pem, "k", "ES256", &k, &err), WX_EINVAL);
    assert_int_equal(jwk_from_pem(pem, "k", NULL, &k, &err), WX_EINVAL); /* inferred ES256 */
    free(pem);
    pem = ossl_pem(ed, false, false);
    assert_int_equal(jwk_from_pem(pem, "k", "RS256", &k, &err), WX_EINVAL); /* type mismatch */
    assert_int_equal(jwk_from_pem(pem, "k", "HS256", &k, &err), WX_EINVAL);
    free(pem);
    pem = ossl_pem(ed, true, false); /* encrypted: refused, never prompted for */
    assert_int_equal(jwk_from_pem(pem, "k", "EdDSA", &k, &err), WX_EINVAL);
    free(pem);
    pem = ossl_pem(ed, false, true); /* public key only */
    assert_int_equal(jwk_from_pem(pem, "k", "EdDSA", &k, &err), WX_EINVAL);
    free(pem);
    assert_int_equal(jwk_from_pem("not a pem", "k", NULL, &k, &err), WX_EINVAL);
    assert_int_equal(jwk_from_pem(NULL, "k", NULL, &k, &err), WX_EINVAL);
    assert_null(k);
    EVP_PKEY_free(small);
    EVP_PKEY_free(p384);
    EVP_PKEY_free(ed);
}

static void
test_public_key_cannot_be_saved(void **state)
{
    jwk_t *k = import(RFC7515_A3_PUBLIC_JWK, false);
    wx_buf_t pem;
    wx_err_t err = {0};
    wx_buf_init(&pem, 65536);
    assert_int_equal(jwk_to_pem(k, &pem, &err), WX_EINVAL);
    wx_buf_free(&pem);
    jwk_free(k);
}

/* An RSA public JWK with the modulus of a freshly generated key of the given size. */
static char *
rsa_jwk_of_bits(size_t bits)
{
    EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", bits);
    BIGNUM *n = NULL;
    unsigned char buf[1024];
    wx_buf_t b64, out;
    int len;
    assert_non_null(pkey);
    assert_int_equal(EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n), 1);
    len = BN_bn2bin(n, buf);
    wx_buf_init(&b64, 4096);
    wx_buf_init(&out, 8192);
    assert_int_equal(b64url_encode(buf, (size_t)len, &b64), WX_OK);
    assert_int_equal(
        wx_buf_printf(&out, "{\"kty\":\"RSA\",\"e\":\"AQAB\",\"n\":\"%s\"}", wx_buf_str(&b64)),
        WX_OK);
    BN_free(n);
    EVP_PKEY_free(pkey);
    wx_buf_free(&b64);
    return wx_buf_steal(&out);
}

static void
test_import_refuses(void **state)
{
    char *small = rsa_jwk_of_bits(1024);
    assert_int_equal(import_rc(small, false), WX_EINVAL);
    free(small);

    /* Structure and type. */
    assert_int_equal(import_rc("[]", false), WX_EINVAL);
    assert_int_equal(import_rc("{}", false), WX_EINVAL);
    assert_int_equal(import_rc("{\"kty\":1}", false), WX_EINVAL);
    assert_int_equal(import_rc("{\"kty\":\"XYZ\"}", false), WX_EINVAL);
    assert_int_equal(import_rc("{\"kty\":\"EC\",\"crv\":\"P-384\",\"x\":\"" RFC7515_A3_X
                               "\",\"y\":\"" RFC7515_A3_Y "\"}",
                               false),
                     WX_EINVAL);
    assert_int_equal(
        import_rc("{\"kty\":\"OKP\",\"crv\":\"X25519\",\"x\":\"" RFC8037_X "\"}", false),
        WX_EINVAL);
    /* use and alg. */
    assert_int_equal(import_rc("{\"kty\":\"RSA\",\"use\":\"enc\",\"n\":\"" RFC7515_A2_N
                               "\",\"e\":\"AQAB\"}",
                               false),
                     WX_EINVAL);
    assert_int_equal(import_rc("{\"kty\":\"RSA\",\"alg\":\"PS256\",\"n\":\"" RFC7515_A2_N
                               "\",\"e\":\"AQAB\"}",
                               false),
                     WX_EINVAL);
    assert_int_equal(import_rc("{\"kty\":\"RSA\",\"alg\":\"HS256\",\"n\":\"" RFC7515_A2_N
                               "\",\"e\":\"AQAB\"}",
                               false),
                     WX_EINVAL);
    assert_int_equal(
        import_rc("{\"kty\":\"RSA\",\"kid\":7,\"n\":\"" RFC7515_A2_N "\",\"e\":\"AQAB\"}", false),
        WX_EINVAL);
    /* RSA members: bad base64, even exponent, e = 1, missing e. */
    assert_int_equal(
        import_rc("{\"kty\":\"RSA\",\"n\":\"" RFC7515_A2_N "=\",\"e\":\"AQAB\"}", false),
        WX_EINVAL);
    assert_int_equal(
        import_rc("{\"kty\":\"RSA\",\"n\":\"" RFC7515_A2_N "\",\"e\":\"AQAC\"}", false), WX_EINVAL);
    assert_int_equal(import_rc("{\"kty\":\"RSA\",\"n\":\"" RFC7515_A2_N "\",\"e\":\"AQ\"}", false),
                     WX_EINVAL);
    assert_int_equal(import_rc("{\"kty\":\"RSA\",\"n\":\"" RFC7515_A2_N "\"}", false), WX_EINVAL);
    /* EC: a point off the curve (last byte of y changed), short coordinates. */
    assert_int_equal(import_rc("{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" RFC7515_A3_X
                               "\",\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a4\"}",
                               false),
                     WX_EINVAL);
    assert_int_equal(import_rc("{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" RFC7515_A3_X
                               "\",\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5Q\"}",
                               false),
                     WX_EINVAL);
    /* OKP: wrong length. */
    assert_int_equal(import_rc("{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"AAAA\"}", false),
                     WX_EINVAL);
    /* oct: secret under 32 bytes. */
    assert_int_equal(import_rc("{\"kty\":\"oct\",\"k\":\"c2hvcnQ\"}", false), WX_EINVAL);
}

static void
test_import_private_refuses(void **state)
{
    /* d from another key than x (x of RFC 8037, d all zero-ish). */
    assert_int_equal(import_rc("{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" RFC8037_X
                               "\",\"d\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}",
                               true),
                     WX_EINVAL);
    /* EC d that does not belong to x,y (RFC 8037's d borrowed). */
    assert_int_equal(import_rc("{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" RFC7515_A3_X
                               "\",\"y\":\"" RFC7515_A3_Y "\",\"d\":\"" RFC8037_D "\"}",
                               true),
                     WX_EINVAL);
    /* Public JWKs are not private ones. */
    assert_int_equal(import_rc(RFC7515_A3_PUBLIC_JWK, true), WX_EINVAL);
    assert_int_equal(import_rc(RFC7515_A2_PUBLIC_JWK, true), WX_EINVAL);
    /* The private import of a public-looking key still works for the public import. */
    assert_int_equal(import_rc(RFC7515_A2_PRIVATE_JWK, false), WX_OK);
    assert_int_equal(import_rc(RFC7515_A2_PRIVATE_JWK, true), WX_OK);
}

/* A JWKS with the three usable RFC keys (kids a, b, c) and five that must be skipped. */
#define JWKS_DOC                                                                                   \
    "{\"keys\":["                                                                                  \
    "{\"kty\":\"RSA\",\"kid\":\"a\",\"use\":\"sig\",\"n\":\"" RFC7638_N "\",\"e\":\"AQAB\"},"      \
    "{\"kty\":\"EC\",\"kid\":\"b\",\"crv\":\"P-256\",\"alg\":\"ES256\",\"x\":\"" RFC7515_A3_X      \
    "\",\"y\":\"" RFC7515_A3_Y "\"},"                                                              \
    "{\"kty\":\"OKP\",\"kid\":\"c\",\"crv\":\"Ed25519\",\"x\":\"" RFC8037_X "\"},"                 \
    "{\"kty\":\"RSA\",\"kid\":\"enc\",\"use\":\"enc\",\"n\":\"" RFC7638_N "\",\"e\":\"AQAB\"},"    \
    "{\"kty\":\"RSA\",\"kid\":\"ps\",\"alg\":\"PS256\",\"n\":\"" RFC7638_N "\",\"e\":\"AQAB\"},"   \
    "{\"kty\":\"EC\",\"kid\":\"p384\",\"crv\":\"P-384\",\"x\":\"AA\",\"y\":\"AA\"},"               \
    "{\"kty\":\"oct\",\"kid\":\"secret\",\"k\":\"" RFC8037_D "\"},"                                \
    "{\"kty\":\"unknown\",\"kid\":\"u\"}"                                                          \
    "]}"

static void
test_jwks_parse(void **state)
{
    jwks_t *s = NULL;
    wx_err_t err = {0};
    assert_int_equal(jwks_parse(JWKS_DOC, strlen(JWKS_DOC), &s, &err), WX_OK);
    assert_int_equal(jwks_count(s), 3);
    assert_string_equal(jwk_alg(jwks_find(s, "a")), "RS256");
    assert_string_equal(jwk_alg(jwks_find(s, "b")), "ES256");
    assert_string_equal(jwk_alg(jwks_find(s, "c")), "EdDSA");
    assert_thumbprint(jwks_find(s, "a"), RFC7638_THUMBPRINT);
    assert_null(jwks_find(s, "enc"));
    assert_null(jwks_find(s, "ps"));
    assert_null(jwks_find(s, "secret"));
    assert_null(jwks_find(s, "nope"));
    assert_null(jwks_find(s, NULL)); /* ambiguous without a kid */
    assert_non_null(jwks_lookup("a", "RS256", s));
    assert_null(jwks_lookup("a", "HS256", s)); /* alg must match the key */
    assert_null(jwks_lookup("a", NULL, s));
    jwks_free(s);
}

static void
test_jwks_single_key_without_kid(void **state)
{
    static const char doc[] = "{\"keys\":[" RFC8037_PUBLIC_JWK "]}";
    jwks_t *s = NULL;
    assert_int_equal(jwks_parse(doc, strlen(doc), &s, NULL), WX_OK);
    assert_int_equal(jwks_count(s), 1);
    assert_non_null(jwks_find(s, NULL));
    assert_null(jwks_find(s, "x"));
    jwks_free(s);
}

static wx_status_t
jwks_rc(const char *doc)
{
    jwks_t *s = (jwks_t *)1;
    wx_err_t err = {0};
    wx_status_t rc = jwks_parse(doc, strlen(doc), &s, &err);
    if (rc == WX_OK)
        jwks_free(s);
    else
        assert_null(s);
    return rc;
}

static void
test_jwks_refuses(void **state)
{
    wx_buf_t b;
    assert_int_equal(jwks_rc("not json"), WX_EINVAL);
    assert_int_equal(jwks_rc("{}"), WX_EINVAL);
    assert_int_equal(jwks_rc("{\"keys\":{}}"), WX_EINVAL);
    assert_int_equal(jwks_rc("{\"keys\":[1]}"), WX_EINVAL);
    assert_int_equal(jwks_rc("{\"keys\":[],\"keys\":[]}"), WX_EINVAL); /* duplicate member */
    /* Two keys, one kid. */
    assert_int_equal(jwks_rc("{\"keys\":[{\"kty\":\"OKP\",\"kid\":\"k\",\"crv\":\"Ed25519\",\"x\":"
                             "\"" RFC8037_X "\"},{\"kty\":\"EC\",\"kid\":\"k\",\"crv\":\"P-256\","
                             "\"x\":\"" RFC7515_A3_X "\",\"y\":\"" RFC7515_A3_Y "\"}]}"),
                     WX_EINVAL);
    /* A usable type with a broken member fails the document. */
    assert_int_equal(jwks_rc("{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"A+A\"}]}"),
                     WX_EINVAL);
    /* Empty is fine. */
    assert_int_equal(jwks_rc("{\"keys\":[]}"), WX_OK);

    /* 64 keys pass, 65 are too many. */
    wx_buf_init(&b, 2 * JWKS_MAX_BYTES);
    assert_int_equal(wx_buf_puts(&b, "{\"keys\":["), WX_OK);
    for (int i = 0; i < JWKS_MAX_KEYS; i++)
        assert_int_equal(wx_buf_printf(&b, "%s{\"kty\":\"x%d\"}", i ? "," : "", i), WX_OK);
    assert_int_equal(wx_buf_puts(&b, "]}"), WX_OK);
    assert_int_equal(jwks_rc(wx_buf_str(&b)), WX_OK);
    b.len -= 2;
    assert_int_equal(wx_buf_puts(&b, ",{\"kty\":\"x\"}]}"), WX_OK);
    assert_int_equal(jwks_rc(wx_buf_str(&b)), WX_ETOOBIG);

    /* Over 64 KiB, even if valid JSON. */
    wx_buf_reset(&b);
    assert_int_equal(wx_buf_puts(&b, "{\"keys\":[],\"pad\":\""), WX_OK);
    while (b.len < JWKS_MAX_BYTES)
        assert_int_equal(wx_buf_puts(&b, "xxxxxxxxxxxxxxxx"), WX_OK);
    assert_int_equal(wx_buf_puts(&b, "\"}"), WX_OK);
    assert_int_equal(jwks_rc(wx_buf_str(&b)), WX_ETOOBIG);
    wx_buf_free(&b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc7638_thumbprint),
        cmocka_unit_test(test_rfc8037_thumbprint),
        cmocka_unit_test(test_public_json_rsa),
        cmocka_unit_test(test_public_json_ec_and_okp),
        cmocka_unit_test(test_oct_never_published),
        cmocka_unit_test(test_from_secret),
        cmocka_unit_test(test_generate_rs256),
        cmocka_unit_test(test_generate_es256),
        cmocka_unit_test(test_generate_eddsa),
        cmocka_unit_test(test_generate_refuses),
        cmocka_unit_test(test_from_pem_refuses),
        cmocka_unit_test(test_public_key_cannot_be_saved),
        cmocka_unit_test(test_import_refuses),
        cmocka_unit_test(test_import_private_refuses),
        cmocka_unit_test(test_jwks_parse),
        cmocka_unit_test(test_jwks_single_key_without_kid),
        cmocka_unit_test(test_jwks_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
