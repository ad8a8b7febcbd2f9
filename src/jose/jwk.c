/* Key objects: generating, loading and saving PEM, shared secrets, the public JWK we publish and
 * RFC 7638 thumbprints. JSON import lives in jwk_import.c, key sets in jwks.c. */
#include "jwk_internal.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "b64url.h"

#define JWK_MEMBER_MAX 2048 /* base64url of the largest member: an 8192-bit modulus */

jwk_alg_t
jwk_alg_from_name(const char *name)
{
    if (!name)
        return JWK_ALG_UNKNOWN;
    if (strcmp(name, "RS256") == 0)
        return JWK_ALG_RS256;
    if (strcmp(name, "ES256") == 0)
        return JWK_ALG_ES256;
    if (strcmp(name, "EdDSA") == 0)
        return JWK_ALG_EDDSA;
    if (strcmp(name, "HS256") == 0)
        return JWK_ALG_HS256;
    return JWK_ALG_UNKNOWN;
}

const char *
jwk_alg_name(jwk_alg_t alg)
{
    switch (alg) {
    case JWK_ALG_RS256:
        return "RS256";
    case JWK_ALG_ES256:
        return "ES256";
    case JWK_ALG_EDDSA:
        return "EdDSA";
    case JWK_ALG_HS256:
        return "HS256";
    case JWK_ALG_UNKNOWN:
        break;
    }
    return "";
}

wx_status_t
jose_ossl_err(wx_err_t *err, wx_status_t st, const char *msg)
{
    unsigned long e = ERR_peek_last_error();
    char buf[256] = "";
    if (e)
        ERR_error_string_n(e, buf, sizeof(buf));
    ERR_clear_error();
    wx_err_set(err, st, "%s", msg);
    if (buf[0])
        wx_err_detail(err, "openssl: %s", buf);
    return st;
}

wx_status_t
jwk_new(jwk_alg_t alg, const char *kid, jwk_t **out, wx_err_t *err)
{
    wx_status_t rc = WX_OK;
    jwk_t *k = NULL;

    *out = NULL;
    if (kid) {
        size_t len = strnlen(kid, JWK_KID_MAX + 1);
        if (len == 0 || len > JWK_KID_MAX) {
            rc = wx_err_set(err, WX_EINVAL, "key id must be 1 to %d bytes", JWK_KID_MAX);
            goto out;
        }
    }
    k = calloc(1, sizeof(*k));
    if (!k || (kid && !(k->kid = strdup(kid)))) {
        rc = wx_err_set(err, WX_ENOMEM, "out of memory");
        goto out;
    }
    k->alg = alg;
    *out = k;
    k = NULL;
out:
    jwk_free(k);
    return rc;
}

wx_status_t
jwk_pkey_check(const EVP_PKEY *pkey, jwk_alg_t alg, wx_err_t *err)
{
    wx_status_t rc = WX_OK;
    char group[64] = "";
    size_t glen = 0;
    int bits = 0;

    switch (alg) {
    case JWK_ALG_RS256:
        /* "RSA" only: an RSA-PSS-restricted key is a different type and is refused here. */
        if (!EVP_PKEY_is_a(pkey, "RSA")) {
            rc = wx_err_set(err, WX_EINVAL, "RS256 needs an RSA key");
            goto out;
        }
        bits = EVP_PKEY_get_bits(pkey);
        if (bits < JWK_RSA_MIN_BITS || bits > JWK_RSA_MAX_BITS) {
            rc = wx_err_set(err, WX_EINVAL, "RSA key must be %d to %d bits", JWK_RSA_MIN_BITS,
                            JWK_RSA_MAX_BITS);
            wx_err_detail(err, "key has %d bits", bits);
            goto out;
        }
        break;
    case JWK_ALG_ES256:
        /* A named group only: keys with explicit curve parameters have no group name. */
        if (!EVP_PKEY_is_a(pkey, "EC") ||
            EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
                                           &glen) != 1 ||
            strcmp(group, "prime256v1") != 0) {
            ERR_clear_error();
            rc = wx_err_set(err, WX_EINVAL, "ES256 needs a P-256 key");
            goto out;
        }
        break;
    case JWK_ALG_EDDSA:
        if (!EVP_PKEY_is_a(pkey, "ED25519")) {
            rc = wx_err_set(err, WX_EINVAL, "EdDSA needs an Ed25519 key");
            goto out;
        }
        break;
    case JWK_ALG_HS256:
    case JWK_ALG_UNKNOWN:
        rc = wx_err_set(err, WX_EINVAL, "unsupported key algorithm");
        goto out;
    }
out:
    return rc;
}

/* The algorithm a key pair serves, from its type. */
static jwk_alg_t
jwk_alg_of_pkey(const EVP_PKEY *pkey)
{
    if (EVP_PKEY_is_a(pkey, "RSA"))
        return JWK_ALG_RS256;
    if (EVP_PKEY_is_a(pkey, "EC"))
        return JWK_ALG_ES256;
    if (EVP_PKEY_is_a(pkey, "ED25519"))
        return JWK_ALG_EDDSA;
    return JWK_ALG_UNKNOWN;
}

/* Give a key without a kid its thumbprint as kid, so every key we sign with is findable. */
static wx_status_t
jwk_kid_default(jwk_t *k, wx_err_t *err)
{
    char tp[JWK_THUMBPRINT_LEN];
    wx_status_t rc = jwk_thumbprint(k, tp, sizeof(tp), err);
    if (rc != WX_OK)
        return rc;
    k->kid = strdup(tp);
    if (!k->kid)
        return wx_err_set(err, WX_ENOMEM, "out of memory");
    return WX_OK;
}

wx_status_t
jwk_generate(const char *alg, const char *kid, jwk_t **out, wx_err_t *err)
{
    wx_status_t rc = WX_OK;
    jwk_t *k = NULL;
    jwk_alg_t a = jwk_alg_from_name(alg);

    *out = NULL;
    if (a == JWK_ALG_UNKNOWN || a == JWK_ALG_HS256) {
        rc = wx_err_set(err, WX_EINVAL, "cannot generate keys for this alg");
        wx_err_detail(err, "alg=%.32s", alg ? alg : "(null)");
        goto out;
    }
    rc = jwk_new(a, kid, &k, err);
    if (rc != WX_OK)
        goto out;
    if (a == JWK_ALG_RS256)
        k->pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)JWK_RSA_MIN_BITS);
    else if (a == JWK_ALG_ES256)
        k->pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    else
        k->pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    if (!k->pkey) {
        rc = jose_ossl_err(err, WX_ECRYPTO, "key generation failed");
        goto out;
    }
    k->has_private = true;
    if (!kid && (rc = jwk_kid_default(k, err)) != WX_OK)
        goto out;
    *out = k;
    k = NULL;
out:
    jwk_free(k);
    return rc;
}

/* Refuse encrypted PEM instead of letting OpenSSL prompt on the terminal for a passphrase. */
static int
jwk_pem_no_passphrase(char *buf, int size, int rwflag, void *u)
{
    return -1;
}

wx_status_t
jwk_from_pem(const char *pem, const char *kid, const char *alg, jwk_t **out, wx_err_t *err)
{
    wx_status_t rc = WX_OK;
    jwk_t *k = NULL;
    BIO *bio = NULL;
    EVP_PKEY *pkey = NULL;
    jwk_alg_t a = JWK_ALG_UNKNOWN;
    size_t len = 0;

    *out = NULL;
    if (!pem) {
        rc = wx_err_set(err, WX_EINVAL, "no private key given");
        goto out;
    }
    len = strnlen(pem, JWK_PEM_MAX + 1);
    if (len > JWK_PEM_MAX) {
        rc = wx_err_set(err, WX_ETOOBIG, "private key PEM is too large");
        goto out;
    }
    bio = BIO_new_mem_buf(pem, (int)len);
    if (!bio) {
        rc = wx_err_set(err, WX_ENOMEM, "out of memory");
        goto out;
    }
    pkey = PEM_read_bio_PrivateKey(bio, NULL, jwk_pem_no_passphrase, NULL);
    if (!pkey) {
        rc = jose_ossl_err(err, WX_EINVAL, "not an unencrypted private key PEM");
        goto out;
    }
    a = alg ? jwk_alg_from_name(alg) : jwk_alg_of_pkey(pkey);
    if (a == JWK_ALG_UNKNOWN || a == JWK_ALG_HS256) {
        rc = wx_err_set(err, WX_EINVAL, "unsupported key algorithm");
        wx_err_detail(err, "alg=%.32s", alg ? alg : "(inferred)");
        goto out;
    }
    rc = jwk_pkey_check(pkey, a, err);
    if (rc == WX_OK)
        rc = jwk_new(a, kid, &k, err);
    if (rc != WX_OK)
        goto out;
    k->pkey = pkey;
    pkey = NULL;
    k->has_private = true;
    if (!kid && (rc = jwk_kid_default(k, err)) != WX_OK)
        goto out;
    *out = k;
    k = NULL;
out:
    EVP_PKEY_free(pkey);
    BIO_free(bio);
    jwk_free(k);
    return rc;
}

wx_status_t
jwk_to_pem(const jwk_t *k, wx_buf_t *out, wx_err_t *err)
{
    wx_status_t rc = WX_OK;
    BIO *bio = NULL;
    char *p = NULL;
    long len = 0;

    if (!k->pkey || !k->has_private) {
        rc = wx_err_set(err, WX_EINVAL, "only private key pairs can be saved as PEM");
        goto out;
    }
    /* Secure-heap memory BIO: the PEM is private key material and is wiped when freed. */
    bio = BIO_new(BIO_s_secmem());
    if (!bio) {
        rc = wx_err_set(err, WX_ENOMEM, "out of memory");
        goto out;
    }
    /* PEM_write_bio_PrivateKey writes PKCS#8 ("BEGIN PRIVATE KEY") for every key type. */
    if (PEM_write_bio_PrivateKey(bio, k->pkey, NULL, NULL, 0, NULL, NULL) != 1) {
        rc = jose_ossl_err(err, WX_ECRYPTO, "could not write private key PEM");
        goto out;
    }
    len = BIO_get_mem_data(bio, &p);
    if (len <= 0 || !p) {
        rc = jose_ossl_err(err, WX_ECRYPTO, "could not write private key PEM");
        goto out;
    }
    rc = wx_buf_append(out, p, (size_t)len);
    if (rc != WX_OK)
        wx_err_set(err, rc, "private key PEM does not fit");
out:
    BIO_free(bio);
    return rc;
}

wx_status_t
jwk_from_secret(const unsigned char *secret, size_t n, const char *kid, jwk_t **out, wx_err_t *err)
{
    wx_status_t rc = WX_OK;
    jwk_t *k = NULL;

    *out = NULL;
    if (!secret || n < JWK_HMAC_MIN || n > JWK_HMAC_MAX) {
        rc = wx_err_set(err, WX_EINVAL, "HS256 secret must be %d to %d bytes", JWK_HMAC_MIN,
                        JWK_HMAC_MAX);
        goto out;
    }
    rc = jwk_new(JWK_ALG_HS256, kid, &k, err);
    if (rc != WX_OK)
        goto out;
    k->secret = malloc(n);
    if (!k->secret) {
        rc = wx_err_set(err, WX_ENOMEM, "out of memory");
        goto out;
    }
    memcpy(k->secret, secret, n);
    k->secret_len = n;
    k->has_private = true;
    *out = k;
    k = NULL;
out:
    jwk_free(k);
    return rc;
}

/* Append a BIGNUM key parameter as base64url: minimal big-endian bytes, or exactly width bytes
 * (EC coordinates are always full size, RFC 7518 §6.2.1.2). */
static wx_status_t
jwk_bn_b64(const EVP_PKEY *pkey, const char *param, int width, wx_buf_t *out, wx_err_t *err)
{
    wx_status_t rc = WX_OK;
    BIGNUM *bn = NULL;
    unsigned char bytes[JWK_RSA_MAX_BITS / 8];
    int len = 0;

    if (EVP_PKEY_get_bn_param(pkey, param, &bn) != 1) {
        rc = jose_ossl_err(err, WX_ECRYPTO, "could not read key parameter");
        goto out;
    }
    len = width ? width : BN_num_bytes(bn);
    if (len <= 0 || (size_t)len > sizeof(bytes) || BN_bn2binpad(bn, bytes, len) != len) {
        rc = jose_ossl_err(err, WX_ECRYPTO, "key parameter out of range");
        goto out;
    }
    rc = b64url_encode(bytes, (size_t)len, out);
    if (rc != WX_OK)
        wx_err_set(err, rc, "key parameter does not fit");
out:
    BN_free(bn);
    return rc;
}

/* The members that identify a key, base64url: RSA n (a) and e (b); EC x (a) and y (b); OKP x
 * (a); oct k (a; thumbprints only, never published). */
static wx_status_t
jwk_members(const jwk_t *k, wx_buf_t *a, wx_buf_t *b, wx_err_t *err)
{
    wx_status_t rc = WX_OK;
    unsigned char raw[32];
    size_t rawlen = sizeof(raw);

    switch (k->alg) {
    case JWK_ALG_RS256:
        rc = jwk_bn_b64(k->pkey, OSSL_PKEY_PARAM_RSA_N, 0, a, err);
        if (rc == WX_OK)
            rc = jwk_bn_b64(k->pkey, OSSL_PKEY_PARAM_RSA_E, 0, b, err);
        break;
    case JWK_ALG_ES256:
        rc = jwk_bn_b64(k->pkey, OSSL_PKEY_PARAM_EC_PUB_X, 32, a, err);
        if (rc == WX_OK)
            rc = jwk_bn_b64(k->pkey, OSSL_PKEY_PARAM_EC_PUB_Y, 32, b, err);
        break;
    case JWK_ALG_EDDSA:
        if (EVP_PKEY_get_raw_public_key(k->pkey, raw, &rawlen) != 1 || rawlen != 32) {
            rc = jose_ossl_err(err, WX_ECRYPTO, "could not read Ed25519 public key");
            break;
        }
        rc = b64url_encode(raw, rawlen, a);
        if (rc != WX_OK)
            wx_err_set(err, rc, "key parameter does not fit");
        break;
    case JWK_ALG_HS256:
        rc = b64url_encode(k->secret, k->secret_len, a);
        if (rc != WX_OK)
            wx_err_set(err, rc, "key parameter does not fit");
        break;
    case JWK_ALG_UNKNOWN:
        rc = wx_err_set(err, WX_EINVAL, "unsupported key algorithm");
        break;
    }
    return rc;
}

static bool
jwk_json_put(json_t *o, const char *key, const char *value)
{
    return json_object_set_new(o, key, json_string(value)) == 0;
}

wx_status_t
jwk_public_json(const jwk_t *k, json_t **out, wx_err_t *err)
{
    wx_status_t rc = WX_OK;
    json_t *o = NULL;
    wx_buf_t a, b;
    bool ok = true;

    wx_buf_init(&a, JWK_MEMBER_MAX);
    wx_buf_init(&b, JWK_MEMBER_MAX);
    *out = NULL;
    if (k->alg == JWK_ALG_HS256 || !k->pkey) {
        rc = wx_err_set(err, WX_EINVAL, "secret keys are never published");
        goto out;
    }
    rc = jwk_members(k, &a, &b, err);
    if (rc != WX_OK)
        goto out;
    o = json_object();
    if (!o) {
        rc = wx_err_set(err, WX_ENOMEM, "out of memory");
        goto out;
    }
    if (k->alg == JWK_ALG_RS256)
        ok = jwk_json_put(o, "kty", "RSA");
    else if (k->alg == JWK_ALG_ES256)
        ok = jwk_json_put(o, "kty", "EC");
    else
        ok = jwk_json_put(o, "kty", "OKP");
    ok = ok && jwk_json_put(o, "use", "sig") && jwk_json_put(o, "alg", jwk_alg_name(k->alg));
    if (ok && k->kid)
        ok = jwk_json_put(o, "kid", k->kid); /* NULL (fails) if the kid is not UTF-8 */
    if (k->alg == JWK_ALG_RS256) {
        ok = ok && jwk_json_put(o, "n", wx_buf_str(&a)) && jwk_json_put(o, "e", wx_buf_str(&b));
    } else if (k->alg == JWK_ALG_ES256) {
        ok = ok && jwk_json_put(o, "crv", "P-256") && jwk_json_put(o, "x", wx_buf_str(&a)) &&
             jwk_json_put(o, "y", wx_buf_str(&b));
    } else {
        ok = ok && jwk_json_put(o, "crv", "Ed25519") && jwk_json_put(o, "x", wx_buf_str(&a));
    }
    if (!ok) {
        rc = wx_err_set(err, WX_ENOMEM, "could not build the public JWK");
        goto out;
    }
    *out = o;
    o = NULL;
out:
    json_decref(o);
    wx_buf_free(&a);
    wx_buf_free(&b);
    return rc;
}

wx_status_t
jwk_thumbprint(const jwk_t *k, char *out, size_t n, wx_err_t *err)
{
    wx_status_t rc = WX_OK;
    wx_buf_t a, b, canon, enc;
    unsigned char md[32];
    unsigned int mdlen = 0;

    wx_buf_init(&a, JWK_MEMBER_MAX);
    wx_buf_init(&b, JWK_MEMBER_MAX);
    wx_buf_init(&canon, 3 * JWK_MEMBER_MAX);
    wx_buf_init(&enc, 64);
    if (n < JWK_THUMBPRINT_LEN) {
        rc = wx_err_set(err, WX_ETOOBIG, "thumbprint buffer too small");
        goto out;
    }
    rc = jwk_members(k, &a, &b, err);
    if (rc != WX_OK)
        goto out;
    /* RFC 7638 §3.2: only the required members, sorted by name, no whitespace. Every value is
     * base64url or a fixed name, so nothing needs JSON escaping. */
    switch (k->alg) {
    case JWK_ALG_RS256:
        rc = wx_buf_printf(&canon, "{\"e\":\"%s\",\"kty\":\"RSA\",\"n\":\"%s\"}", wx_buf_str(&b),
                           wx_buf_str(&a));
        break;
    case JWK_ALG_ES256:
        rc = wx_buf_printf(&canon, "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}",
                           wx_buf_str(&a), wx_buf_str(&b));
        break;
    case JWK_ALG_EDDSA:
        rc = wx_buf_printf(&canon, "{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"%s\"}",
                           wx_buf_str(&a));
        break;
    default:
        rc = wx_buf_printf(&canon, "{\"k\":\"%s\",\"kty\":\"oct\"}", wx_buf_str(&a));
        break;
    }
    if (rc != WX_OK) {
        wx_err_set(err, rc, "could not build the thumbprint input");
        goto out;
    }
    if (EVP_Digest(canon.data, canon.len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32) {
        rc = jose_ossl_err(err, WX_ECRYPTO, "SHA-256 failed");
        goto out;
    }
    rc = b64url_encode(md, sizeof(md), &enc);
    if (rc != WX_OK) {
        wx_err_set(err, rc, "could not encode the thumbprint");
        goto out;
    }
    wx_strlcpy(out, wx_buf_str(&enc), n);
out:
    /* For oct keys a and canon hold the secret. */
    if (a.data)
        OPENSSL_cleanse(a.data, a.len);
    if (canon.data)
        OPENSSL_cleanse(canon.data, canon.len);
    wx_buf_free(&a);
    wx_buf_free(&b);
    wx_buf_free(&canon);
    wx_buf_free(&enc);
    return rc;
}

const char *
jwk_kid(const jwk_t *k)
{
    return k && k->kid ? k->kid : "";
}

const char *
jwk_alg(const jwk_t *k)
{
    return k ? jwk_alg_name(k->alg) : "";
}

void
jwk_free(jwk_t *k)
{
    if (!k)
        return;
    EVP_PKEY_free(k->pkey);
    if (k->secret) {
        OPENSSL_cleanse(k->secret, k->secret_len);
        free(k->secret);
    }
    free(k->kid);
    free(k);
}
