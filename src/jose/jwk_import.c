/* JWK JSON to key objects (RFC 7517, RFC 7518 §6, RFC 8037 §2). Public keys arrive in JWKS
 * documents fetched over the network, so every member is bounded and every key is checked (RSA
 * size and exponent, EC point on the curve) before it can verify anything. Private JWKs are
 * read only for tests and tooling. */
#include "jwk_internal.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/param_build.h>

#include "b64url.h"

#define JWK_RSA_MAX_BYTES (JWK_RSA_MAX_BITS / 8)
#define JWK_RSA_E_MAX_BYTES 8 /* OpenSSL itself caps public exponents at 64 bits */

/* The key type, curve and alg a JWK claims, and whether we use that combination. */
static jwk_alg_t
jwk_json_alg(const json_t *j)
{
    const char *kty = json_string_value(json_object_get(j, "kty"));
    const char *crv = json_string_value(json_object_get(j, "crv"));
    if (!kty)
        return JWK_ALG_UNKNOWN;
    if (strcmp(kty, "RSA") == 0)
        return JWK_ALG_RS256;
    if (strcmp(kty, "EC") == 0 && crv && strcmp(crv, "P-256") == 0)
        return JWK_ALG_ES256;
    if (strcmp(kty, "OKP") == 0 && crv && strcmp(crv, "Ed25519") == 0)
        return JWK_ALG_EDDSA;
    if (strcmp(kty, "oct") == 0)
        return JWK_ALG_HS256;
    return JWK_ALG_UNKNOWN;
}

bool
jwk_json_usable(const json_t *j)
{
    const json_t *use = json_object_get(j, "use");
    const json_t *alg = json_object_get(j, "alg");
    jwk_alg_t a = jwk_json_alg(j);
    if (a == JWK_ALG_UNKNOWN || a == JWK_ALG_HS256)
        return false;
    if (use && (!json_is_string(use) || strcmp(json_string_value(use), "sig") != 0))
        return false;
    if (alg && (!json_is_string(alg) || jwk_alg_from_name(json_string_value(alg)) != a))
        return false;
    return true;
}

/* Decode member name: a base64url string of 1..max bytes (exactly max when exact is set). The
 * result is freed with jwk_bytes_free because it may be private key material. */
static wx_status_t
jwk_json_bytes(const json_t *j, const char *name, size_t max, bool exact, unsigned char **out,
               size_t *n, wx_err_t *err)
{
    wx_status_t rc = WX_OK;
    const json_t *v = json_object_get(j, name);
    const char *s = json_string_value(v);

    *out = NULL;
    *n = 0;
    if (!s) {
        rc = wx_err_set(err, WX_EINVAL, "JWK member %s is missing or not a string", name);
        goto out;
    }
    /* Reject by encoded length first so a huge member is never decoded. */
    if (json_string_length(v) > (max + 2) / 3 * 4) {
        rc = wx_err_set(err, WX_EINVAL, "JWK member %s is too long", name);
        goto out;
    }
    if (b64url_decode(s, json_string_length(v), out, n) != WX_OK) {
        rc = wx_err_set(err, WX_EINVAL, "JWK member %s is not base64url", name);
        goto out;
    }
    if (*n == 0 || *n > max || (exact && *n != max)) {
        rc = wx_err_set(err, WX_EINVAL, "JWK member %s has the wrong size", name);
        wx_err_detail(err, "%zu bytes", *n);
        goto out;
    }
out:
    if (rc != WX_OK && *out) {
        OPENSSL_cleanse(*out, *n);
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

static void
jwk_bytes_free(unsigned char *p, size_t n)
{
    if (p) {
        OPENSSL_cleanse(p, n);
        free(p);
    }
}

/* Build an EVP_PKEY of type name from params; selection says public or key pair. */
static wx_status_t
jwk_pkey_fromdata(const char *name, int selection, OSSL_PARAM_BLD *bld, EVP_PKEY **out,
                  wx_err_t *err)
{
    wx_status_t rc = WX_OK;
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, name, NULL);

    *out = NULL;
    if (!params || !ctx) {
        rc = jose_ossl_err(err, WX_ENOMEM, "out of memory");
        goto out;
    }
    if (EVP_PKEY_fromdata_init(ctx) != 1 || EVP_PKEY_fromdata(ctx, out, selection, params) != 1) {
        rc = jose_ossl_err(err, WX_EINVAL, "JWK does not describe a valid key");
        goto out;
    }
out:
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params); /* OSSL_PARAM_clear_free is 3.1+; the BIGNUMs are wiped below */
    return rc;
}

/* Run OpenSSL's key checks: for a public key that the point is on the curve (and not the point
 * at infinity), for a key pair also that both halves belong together. */
static wx_status_t
jwk_pkey_validate(EVP_PKEY *pkey, bool private, wx_err_t *err)
{
    wx_status_t rc = WX_OK;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    if (!ctx) {
        rc = jose_ossl_err(err, WX_ENOMEM, "out of memory");
        goto out;
    }
    if ((private ? EVP_PKEY_check(ctx) : EVP_PKEY_public_check(ctx)) != 1) {
        rc = jose_ossl_err(err, WX_EINVAL, "JWK does not describe a valid key");
        goto out;
    }
out:
    EVP_PKEY_CTX_free(ctx);
    return rc;
}

static wx_status_t
jwk_import_rsa(const json_t *j, bool private, EVP_PKEY **out, wx_err_t *err)
{
    /* Member names in JWK order and the OpenSSL parameter each one becomes. */
    static const char *const names[] = {"n", "e", "d", "p", "q", "dp", "dq", "qi"};
    static const char *const params[] = {
        OSSL_PKEY_PARAM_RSA_N,         OSSL_PKEY_PARAM_RSA_E,
        OSSL_PKEY_PARAM_RSA_D,         OSSL_PKEY_PARAM_RSA_FACTOR1,
        OSSL_PKEY_PARAM_RSA_FACTOR2,   OSSL_PKEY_PARAM_RSA_EXPONENT1,
        OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1};
    wx_status_t rc = WX_OK;
    BIGNUM *bn[8] = {0};
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    size_t count = private ? 8 : 2;
    unsigned char *bytes = NULL;
    size_t len = 0;

    *out = NULL;
    if (!bld) {
        rc = wx_err_set(err, WX_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < count; i++) {
        size_t max = i == 1 ? JWK_RSA_E_MAX_BYTES : JWK_RSA_MAX_BYTES;
        rc = jwk_json_bytes(j, names[i], max, false, &bytes, &len, err);
        if (rc != WX_OK)
            goto out;
        bn[i] = BN_bin2bn(bytes, (int)len, NULL);
        jwk_bytes_free(bytes, len);
        bytes = NULL;
        if (!bn[i] || !OSSL_PARAM_BLD_push_BN(bld, params[i], bn[i])) {
            rc = jose_ossl_err(err, WX_ENOMEM, "out of memory");
            goto out;
        }
    }
    /* Cheap sanity that OpenSSL's public check would do at far greater cost (it runs a
     * primality test on n): an RSA modulus and exponent are odd, and e > 1. */
    if (!BN_is_odd(bn[0]) || !BN_is_odd(bn[1]) || BN_is_one(bn[1])) {
        rc = wx_err_set(err, WX_EINVAL, "JWK does not describe a valid RSA key");
        goto out;
    }
    if (BN_num_bits(bn[0]) < JWK_RSA_MIN_BITS || BN_num_bits(bn[0]) > JWK_RSA_MAX_BITS) {
        rc = wx_err_set(err, WX_EINVAL, "RSA key must be %d to %d bits", JWK_RSA_MIN_BITS,
                        JWK_RSA_MAX_BITS);
        wx_err_detail(err, "key has %d bits", BN_num_bits(bn[0]));
        goto out;
    }
    rc = jwk_pkey_fromdata("RSA", private ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, bld, out, err);
    if (rc == WX_OK && private)
        rc = jwk_pkey_validate(*out, true, err);
out:
    if (rc != WX_OK) {
        EVP_PKEY_free(*out);
        *out = NULL;
    }
    for (size_t i = 0; i < WX_ARRAY_LEN(bn); i++)
        BN_clear_free(bn[i]);
    OSSL_PARAM_BLD_free(bld);
    return rc;
}

static wx_status_t
jwk_import_ec(const json_t *j, bool private, EVP_PKEY **out, wx_err_t *err)
{
    wx_status_t rc = WX_OK;
    unsigned char *x = NULL, *y = NULL, *d = NULL;
    size_t xlen = 0, ylen = 0, dlen = 0;
    unsigned char point[65];
    BIGNUM *priv = NULL;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();

    *out = NULL;
    if (!bld) {
        rc = wx_err_set(err, WX_ENOMEM, "out of memory");
        goto out;
    }
    /* RFC 7518 §6.2.1.2/3: coordinates and d are always the full 32 bytes for P-256. */
    rc = jwk_json_bytes(j, "x", 32, true, &x, &xlen, err);
    if (rc == WX_OK)
        rc = jwk_json_bytes(j, "y", 32, true, &y, &ylen, err);
    if (rc == WX_OK && private)
        rc = jwk_json_bytes(j, "d", 32, true, &d, &dlen, err);
    if (rc != WX_OK)
        goto out;
    point[0] = 0x04; /* uncompressed point: 04 || x || y */
    memcpy(point + 1, x, 32);
    memcpy(point + 33, y, 32);
    if (!OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) ||
        !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point))) {
        rc = jose_ossl_err(err, WX_ENOMEM, "out of memory");
        goto out;
    }
    if (private) {
        priv = BN_bin2bn(d, (int)dlen, NULL);
        if (!priv || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, priv)) {
            rc = jose_ossl_err(err, WX_ENOMEM, "out of memory");
            goto out;
        }
    }
    rc = jwk_pkey_fromdata("EC", private ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, bld, out, err);
    if (rc == WX_OK)
        rc = jwk_pkey_validate(*out, private, err);
out:
    if (rc != WX_OK) {
        EVP_PKEY_free(*out);
        *out = NULL;
    }
    jwk_bytes_free(x, xlen);
    jwk_bytes_free(y, ylen);
    jwk_bytes_free(d, dlen);
    BN_clear_free(priv);
    OSSL_PARAM_BLD_free(bld);
    return rc;
}

static wx_status_t
jwk_import_okp(const json_t *j, bool private, EVP_PKEY **out, wx_err_t *err)
{
    wx_status_t rc = WX_OK;
    unsigned char *x = NULL, *d = NULL;
    size_t xlen = 0, dlen = 0;
    unsigned char pub[32];
    size_t publen = sizeof(pub);

    *out = NULL;
    rc = jwk_json_bytes(j, "x", 32, true, &x, &xlen, err);
    if (rc == WX_OK && private)
        rc = jwk_json_bytes(j, "d", 32, true, &d, &dlen, err);
    if (rc != WX_OK)
        goto out;
    if (private)
        *out = EVP_PKEY_new_raw_private_key_ex(NULL, "ED25519", NULL, d, dlen);
    else
        *out = EVP_PKEY_new_raw_public_key_ex(NULL, "ED25519", NULL, x, xlen);
    if (!*out) {
        rc = jose_ossl_err(err, WX_EINVAL, "JWK does not describe a valid key");
        goto out;
    }
    /* The public key follows from d; an x that disagrees means a corrupt or spliced JWK. */
    if (private && (EVP_PKEY_get_raw_public_key(*out, pub, &publen) != 1 || publen != 32 ||
                    CRYPTO_memcmp(pub, x, 32) != 0)) {
        ERR_clear_error();
        rc = wx_err_set(err, WX_EINVAL, "JWK x does not match its d");
        goto out;
    }
out:
    if (rc != WX_OK) {
        EVP_PKEY_free(*out);
        *out = NULL;
    }
    jwk_bytes_free(x, xlen);
    jwk_bytes_free(d, dlen);
    return rc;
}

static wx_status_t
jwk_import_any(const json_t *j, bool private, jwk_t **out, wx_err_t *err)
{
    wx_status_t rc = WX_OK;
    jwk_t *k = NULL;
    const json_t *kty = NULL, *use = NULL, *alg = NULL, *kid = NULL;
    jwk_alg_t a = JWK_ALG_UNKNOWN;
    unsigned char *secret = NULL;
    size_t slen = 0;

    *out = NULL;
    if (!json_is_object(j)) {
        rc = wx_err_set(err, WX_EINVAL, "JWK is not a JSON object");
        goto out;
    }
    kty = json_object_get(j, "kty");
    use = json_object_get(j, "use");
    alg = json_object_get(j, "alg");
    kid = json_object_get(j, "kid");
    if (!json_is_string(kty)) {
        rc = wx_err_set(err, WX_EINVAL, "JWK has no kty");
        goto out;
    }
    a = jwk_json_alg(j);
    if (a == JWK_ALG_UNKNOWN) {
        rc = wx_err_set(err, WX_EINVAL, "unsupported JWK key type or curve");
        wx_err_detail(err, "kty=%.16s", json_string_value(kty));
        goto out;
    }
    if (use && (!json_is_string(use) || strcmp(json_string_value(use), "sig") != 0)) {
        rc = wx_err_set(err, WX_EINVAL, "JWK is not a signing key (use is not sig)");
        goto out;
    }
    /* The JWK's alg, when given, restricts the key: a key published for PS256 must not be
     * quietly used for RS256, so any mismatch is refused rather than corrected. */
    if (alg && (!json_is_string(alg) || jwk_alg_from_name(json_string_value(alg)) != a)) {
        rc = wx_err_set(err, WX_EINVAL, "JWK alg is unsupported or does not fit its key type");
        goto out;
    }
    if (kid && !json_is_string(kid)) {
        rc = wx_err_set(err, WX_EINVAL, "JWK kid is not a string");
        goto out;
    }
    rc = jwk_new(a, json_string_value(kid), &k, err);
    if (rc != WX_OK)
        goto out;
    switch (a) {
    case JWK_ALG_RS256:
        rc = jwk_import_rsa(j, private, &k->pkey, err);
        break;
    case JWK_ALG_ES256:
        rc = jwk_import_ec(j, private, &k->pkey, err);
        break;
    case JWK_ALG_EDDSA:
        rc = jwk_import_okp(j, private, &k->pkey, err);
        break;
    case JWK_ALG_HS256:
        rc = jwk_json_bytes(j, "k", JWK_HMAC_MAX, false, &secret, &slen, err);
        if (rc == WX_OK && slen < JWK_HMAC_MIN)
            rc = wx_err_set(err, WX_EINVAL, "HS256 secret must be at least %d bytes", JWK_HMAC_MIN);
        if (rc == WX_OK) {
            k->secret = secret;
            k->secret_len = slen;
            secret = NULL;
        }
        break;
    case JWK_ALG_UNKNOWN:
        break;
    }
    if (rc != WX_OK)
        goto out;
    k->has_private = private || a == JWK_ALG_HS256;
    *out = k;
    k = NULL;
out:
    jwk_bytes_free(secret, slen);
    jwk_free(k);
    return rc;
}

wx_status_t
jwk_import_json(const json_t *jwk, jwk_t **out, wx_err_t *err)
{
    return jwk_import_any(jwk, false, out, err);
}

wx_status_t
jwk_import_private_json(const json_t *jwk, jwk_t **out, wx_err_t *err)
{
    return jwk_import_any(jwk, true, out, err);
}
