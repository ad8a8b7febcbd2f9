/* Compact JWS signing and verification for RS256, ES256, EdDSA and HS256. jws_verify is the gate
 * every token we accept passes through, so each rule fails on its own with its own message, and
 * nothing inside the token (its alg, jku, x5u, an embedded jwk or x5c) can choose the key or
 * weaken a check: the key comes only from the caller's lookup and must be made for the alg. */
#include "jws.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/rsa.h>

#include "b64url.h"
#include "jwk_internal.h"

#define JWS_SIG_MAX (JWK_RSA_MAX_BITS / 8) /* largest signature: an 8192-bit RSA one */
#define JWS_HEADER_MAX 2048
#define JWS_ES256_LEN 64 /* R || S, 32 bytes each (RFC 7518 §3.4) */

/* OpenSSL signs ECDSA as DER SEQUENCE{r, s}; JWS wants the fixed-width R || S. */
static wx_status_t
jws_ecdsa_from_der(const unsigned char *der, size_t n, unsigned char raw[JWS_ES256_LEN],
                   wx_err_t *err)
{
    wx_status_t rc = WX_OK;
    const unsigned char *p = der;
    ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)n);
    const BIGNUM *r = NULL, *s = NULL;

    if (!sig) {
        rc = jose_ossl_err(err, WX_ECRYPTO, "could not decode the ECDSA signature");
        goto out;
    }
    ECDSA_SIG_get0(sig, &r, &s);
    if (BN_bn2binpad(r, raw, 32) != 32 || BN_bn2binpad(s, raw + 32, 32) != 32) {
        rc = jose_ossl_err(err, WX_ECRYPTO, "ECDSA signature out of range");
        goto out;
    }
out:
    ECDSA_SIG_free(sig);
    return rc;
}

/* The other way for verification; *der is OPENSSL_free()d by the caller. */
static wx_status_t
jws_ecdsa_to_der(const unsigned char raw[JWS_ES256_LEN], unsigned char **der, size_t *n,
                 wx_err_t *err)
{
    wx_status_t rc = WX_OK;
    ECDSA_SIG *sig = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(raw, 32, NULL);
    BIGNUM *s = BN_bin2bn(raw + 32, 32, NULL);
    int len = 0;

    *der = NULL;
    if (!sig || !r || !s || ECDSA_SIG_set0(sig, r, s) != 1) {
        rc = jose_ossl_err(err, WX_ENOMEM, "out of memory");
        goto out;
    }
    r = s = NULL; /* sig owns them now */
    len = i2d_ECDSA_SIG(sig, der);
    if (len <= 0) {
        rc = jose_ossl_err(err, WX_ECRYPTO, "could not encode the ECDSA signature");
        goto out;
    }
    *n = (size_t)len;
out:
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    return rc;
}

/* A digest-sign or digest-verify context for the key: SHA-256 for RS256 (with PKCS#1 v1.5
 * padding stated rather than assumed) and ES256, none for Ed25519, which hashes internally. */
static wx_status_t
jws_md_init(const jwk_t *k, bool sign, EVP_MD_CTX **out, wx_err_t *err)
{
    wx_status_t rc = WX_OK;
    EVP_MD_CTX *mctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    const EVP_MD *md = k->alg == JWK_ALG_EDDSA ? NULL : EVP_sha256();
    int ok = 0;

    *out = NULL;
    if (!mctx) {
        rc = wx_err_set(err, WX_ENOMEM, "out of memory");
        goto out;
    }
    if (sign)
        ok = EVP_DigestSignInit(mctx, &pctx, md, NULL, k->pkey);
    else
        ok = EVP_DigestVerifyInit(mctx, &pctx, md, NULL, k->pkey);
    if (ok == 1 && k->alg == JWK_ALG_RS256)
        ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) > 0;
    if (ok != 1) {
        rc = jose_ossl_err(err, WX_ECRYPTO, "could not set up the signature");
        goto out;
    }
    *out = mctx;
    mctx = NULL;
out:
    EVP_MD_CTX_free(mctx);
    return rc;
}

/* Sign in[0..n) into sig (JWS_SIG_MAX bytes) in the form JWS carries. */
static wx_status_t
jws_sig_make(const jwk_t *k, const unsigned char *in, size_t n, unsigned char *sig, size_t *siglen,
             wx_err_t *err)
{
    wx_status_t rc = WX_OK;
    EVP_MD_CTX *mctx = NULL;
    unsigned char der[128]; /* a P-256 DER signature is at most 72 bytes */
    size_t len = 0;

    *siglen = 0;
    if (!k->has_private) {
        rc = wx_err_set(err, WX_EINVAL, "a public key cannot sign");
        goto out;
    }
    if (k->alg == JWK_ALG_HS256) {
        if (!EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, k->secret, k->secret_len, in, n, sig,
                       JWS_SIG_MAX, siglen)) {
            rc = jose_ossl_err(err, WX_ECRYPTO, "HMAC failed");
            goto out;
        }
        goto out;
    }
    rc = jws_md_init(k, true, &mctx, err);
    if (rc != WX_OK)
        goto out;
    len = k->alg == JWK_ALG_ES256 ? sizeof(der) : JWS_SIG_MAX;
    if (EVP_DigestSign(mctx, k->alg == JWK_ALG_ES256 ? der : sig, &len, in, n) != 1) {
        rc = jose_ossl_err(err, WX_ECRYPTO, "signing failed");
        goto out;
    }
    if (k->alg == JWK_ALG_ES256) {
        rc = jws_ecdsa_from_der(der, len, sig, err);
        len = JWS_ES256_LEN;
    }
    if (rc == WX_OK)
        *siglen = len;
out:
    EVP_MD_CTX_free(mctx);
    return rc;
}

/* Check sig over in[0..n): WX_EDENIED when it does not verify. Lengths are checked first
 * because each algorithm has exactly one valid signature size. */
static wx_status_t
jws_sig_check(const jwk_t *k, const unsigned char *in, size_t n, const unsigned char *sig,
              size_t siglen, wx_err_t *err)
{
    wx_status_t rc = WX_OK;
    EVP_MD_CTX *mctx = NULL;
    unsigned char mac[32];
    size_t maclen = 0;
    unsigned char *der = NULL;
    size_t derlen = 0;
    bool ok = false;

    switch (k->alg) {
    case JWK_ALG_HS256:
        if (!EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, k->secret, k->secret_len, in, n, mac,
                       sizeof(mac), &maclen)) {
            rc = jose_ossl_err(err, WX_ECRYPTO, "HMAC failed");
            goto out;
        }
        ok = wx_ct_equal(mac, maclen, sig, siglen); /* constant time: no byte-by-byte oracle */
        goto done;
    case JWK_ALG_RS256:
        if (siglen != (size_t)EVP_PKEY_get_size(k->pkey))
            goto done;
        break;
    case JWK_ALG_ES256:
        if (siglen != JWS_ES256_LEN)
            goto done;
        rc = jws_ecdsa_to_der(sig, &der, &derlen, err);
        if (rc != WX_OK)
            goto out;
        sig = der;
        siglen = derlen;
        break;
    case JWK_ALG_EDDSA:
        if (siglen != 64)
            goto done;
        break;
    case JWK_ALG_UNKNOWN:
        rc = wx_err_set(err, WX_EINVAL, "unsupported key algorithm");
        goto out;
    }
    rc = jws_md_init(k, false, &mctx, err);
    if (rc != WX_OK)
        goto out;
    ok = EVP_DigestVerify(mctx, sig, siglen, in, n) == 1;
    ERR_clear_error(); /* a bad signature leaves errors on the queue */
done:
    if (!ok)
        rc = wx_err_set(err, WX_EDENIED, "token signature does not verify");
out:
    OPENSSL_cleanse(mac, sizeof(mac));
    OPENSSL_free(der);
    EVP_MD_CTX_free(mctx);
    return rc;
}

/* Append BASE64URL(header) . BASE64URL(payload) . BASE64URL(signature) to out; out is left as
 * it was on failure. */
static wx_status_t
jws_compact(const jwk_t *k, const char *header, size_t hlen, const char *payload, size_t plen,
            wx_buf_t *out, wx_err_t *err)
{
    wx_status_t rc = WX_OK;
    size_t start = out->len;
    unsigned char sig[JWS_SIG_MAX];
    size_t siglen = 0;

    rc = b64url_encode((const unsigned char *)header, hlen, out);
    if (rc == WX_OK)
        rc = wx_buf_append(out, ".", 1);
    if (rc == WX_OK)
        rc = b64url_encode((const unsigned char *)payload, plen, out);
    if (rc != WX_OK) {
        wx_err_set(err, rc, "token does not fit");
        goto out;
    }
    /* The signing input is what we just wrote: ASCII(header64 . payload64). */
    rc = jws_sig_make(k, (const unsigned char *)out->data + start, out->len - start, sig, &siglen,
                      err);
    if (rc != WX_OK)
        goto out;
    rc = wx_buf_append(out, ".", 1);
    if (rc == WX_OK)
        rc = b64url_encode(sig, siglen, out);
    if (rc != WX_OK)
        wx_err_set(err, rc, "token does not fit");
out:
    if (rc != WX_OK && out->data) {
        out->len = start;
        out->data[start] = '\0';
    }
    return rc;
}

wx_status_t
jws_sign(const jwk_t *key, const char *payload, size_t len, wx_buf_t *out, wx_err_t *err)
{
    wx_status_t rc = WX_OK;
    json_t *kid = NULL;
    char *kidjson = NULL;
    wx_buf_t h;

    wx_buf_init(&h, JWS_HEADER_MAX);
    if (!key || (!payload && len)) {
        rc = wx_err_set(err, WX_EINVAL, "nothing to sign");
        goto out;
    }
    /* The kid is JSON-escaped by jansson: kids come from configuration and imported JWKs and
     * may hold quotes or backslashes. */
    if (key->kid) {
        kid = json_string(key->kid);
        kidjson = kid ? json_dumps(kid, JSON_ENCODE_ANY) : NULL;
        if (!kidjson) {
            rc = wx_err_set(err, WX_EINVAL, "key id is not valid UTF-8");
            goto out;
        }
    }
    rc = wx_buf_printf(&h, "{\"alg\":\"%s\",\"typ\":\"JWT\"%s%s}", jwk_alg_name(key->alg),
                       kidjson ? ",\"kid\":" : "", kidjson ? kidjson : "");
    if (rc != WX_OK) {
        wx_err_set(err, rc, "token header does not fit");
        goto out;
    }
    rc = jws_compact(key, h.data, h.len, payload, len, out, err);
out:
    free(kidjson);
    json_decref(kid);
    wx_buf_free(&h);
    return rc;
}

wx_status_t
jws_sign_with_header(const jwk_t *key, const char *header_json, const char *payload, size_t len,
                     wx_buf_t *out, wx_err_t *err)
{
    wx_status_t rc = WX_OK;
    json_t *h = NULL;
    json_error_t jerr;
    const char *alg = NULL;

    if (!key || !header_json || (!payload && len)) {
        rc = wx_err_set(err, WX_EINVAL, "nothing to sign");
        goto out;
    }
    /* Parsed only to check it; the exact bytes are what gets signed. */
    h = json_loads(header_json, JSON_REJECT_DUPLICATES, &jerr);
    alg = json_string_value(json_object_get(h, "alg"));
    if (!json_is_object(h) || !alg || strcmp(alg, jwk_alg_name(key->alg)) != 0) {
        rc = wx_err_set(err, WX_EINVAL, "header must be a JSON object with the key's alg");
        goto out;
    }
    rc = jws_compact(key, header_json, strlen(header_json), payload, len, out, err);
out:
    json_decref(h);
    return rc;
}

const char *
jws_reason_str(jws_reason_t r)
{
    static const char *const names[] = {
        [JWS_REASON_OK] = "ok",
        [JWS_REASON_ARG] = "bad_argument",
        [JWS_REASON_TOO_BIG] = "too_big",
        [JWS_REASON_MALFORMED] = "malformed",
        [JWS_REASON_ALG_NONE] = "alg_none",
        [JWS_REASON_ALG_NOT_ALLOWED] = "alg_not_allowed",
        [JWS_REASON_ALG_UNSUPPORTED] = "alg_unsupported",
        [JWS_REASON_CRIT] = "crit",
        [JWS_REASON_B64] = "b64",
        [JWS_REASON_UNKNOWN_KEY] = "unknown_key",
        [JWS_REASON_KEY_ALG] = "key_alg",
        [JWS_REASON_SIGNATURE] = "signature",
        [JWS_REASON_INTERNAL] = "internal",
    };
    return (unsigned)r < WX_ARRAY_LEN(names) && names[r] ? names[r] : "unknown";
}

static bool
jws_alg_allowed(const char *alg, const char *const *allowed)
{
    for (; allowed && *allowed; allowed++)
        if (strcmp(*allowed, alg) == 0)
            return true;
    return false;
}

wx_status_t
jws_verify(const char *token, size_t len, const char *const *allowed_algs, jws_key_lookup_fn lookup,
           void *arg, json_t **header_out, json_t **payload_out, jws_reason_t *reason,
           wx_err_t *err)
{
    wx_status_t rc = WX_OK;
    jws_reason_t why = JWS_REASON_INTERNAL; /* each refusal below says which it is */
    const char *dot1 = NULL, *dot2 = NULL;
    unsigned char *hdr = NULL, *pay = NULL, *sig = NULL;
    size_t hlen = 0, plen = 0, slen = 0;
    json_t *header = NULL, *payload = NULL;
    json_error_t jerr;
    const json_t *kid = NULL;
    const char *alg = NULL;
    const jwk_t *key = NULL;

    if (header_out)
        *header_out = NULL;
    if (payload_out)
        *payload_out = NULL;
    if (!token || !lookup) {
        why = JWS_REASON_ARG;
        rc = wx_err_set(err, WX_EINVAL, "no token or key lookup given");
        goto out;
    }
    if (len > JWS_MAX_TOKEN) {
        why = JWS_REASON_TOO_BIG;
        rc = wx_err_set(err, WX_ETOOBIG, "token is larger than %d bytes", JWS_MAX_TOKEN);
        goto out;
    }
    /* Exactly two dots: a third part would be JWE or garbage, and must not be ignored. */
    dot1 = memchr(token, '.', len);
    dot2 = dot1 ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token)) : NULL;
    if (!dot2 || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token))) {
        why = JWS_REASON_MALFORMED;
        rc = wx_err_set(err, WX_EINVAL, "token must have exactly three parts");
        goto out;
    }
    if (b64url_decode(token, (size_t)(dot1 - token), &hdr, &hlen) != WX_OK) {
        why = JWS_REASON_MALFORMED;
        rc = wx_err_set(err, WX_EINVAL, "token header is not valid base64url");
        goto out;
    }
    if (b64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), &pay, &plen) != WX_OK) {
        why = JWS_REASON_MALFORMED;
        rc = wx_err_set(err, WX_EINVAL, "token payload is not valid base64url");
        goto out;
    }
    if (b64url_decode(dot2 + 1, len - (size_t)(dot2 + 1 - token), &sig, &slen) != WX_OK) {
        why = JWS_REASON_MALFORMED;
        rc = wx_err_set(err, WX_EINVAL, "token signature is not valid base64url");
        goto out;
    }
    /* Duplicate members are refused: two "alg"s could be read differently by another parser. */
    header = json_loadb((const char *)hdr, hlen, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(header)) {
        why = JWS_REASON_MALFORMED;
        rc = wx_err_set(err, WX_EINVAL, "token header is not a JSON object");
        goto out;
    }
    alg = json_string_value(json_object_get(header, "alg"));
    if (!alg) {
        why = JWS_REASON_MALFORMED;
        rc = wx_err_set(err, WX_EINVAL, "token header has no alg");
        goto out;
    }
    /* Checked before the allowed list so a careless list cannot let unsigned tokens in; any
     * spelling, since some libraries compare case-insensitively. */
    if (strcasecmp(alg, "none") == 0) {
        why = JWS_REASON_ALG_NONE;
        rc = wx_err_set(err, WX_EDENIED, "unsigned tokens (alg none) are never accepted");
        goto out;
    }
    if (!jws_alg_allowed(alg, allowed_algs)) {
        why = JWS_REASON_ALG_NOT_ALLOWED;
        rc = wx_err_set(err, WX_EDENIED, "token alg is not allowed");
        wx_err_detail(err, "alg=%.32s", alg);
        goto out;
    }
    if (jwk_alg_from_name(alg) == JWK_ALG_UNKNOWN) {
        why = JWS_REASON_ALG_UNSUPPORTED;
        rc = wx_err_set(err, WX_EDENIED, "token alg is not supported");
        wx_err_detail(err, "alg=%.32s", alg);
        goto out;
    }
    /* RFC 7515 §4.1.11: a recipient must refuse extensions it does not understand, and we
     * understand none. */
    if (json_object_get(header, "crit")) {
        why = JWS_REASON_CRIT;
        rc = wx_err_set(err, WX_EDENIED, "token has critical header extensions (crit)");
        goto out;
    }
    /* RFC 7797 unencoded payloads: never ours, and a b64 member without crit would let one
     * token be read two ways by different libraries. */
    if (json_object_get(header, "b64")) {
        why = JWS_REASON_B64;
        rc = wx_err_set(err, WX_EDENIED, "token has a b64 header (RFC 7797 is not accepted)");
        goto out;
    }
    kid = json_object_get(header, "kid");
    if (kid && !json_is_string(kid)) {
        why = JWS_REASON_MALFORMED;
        rc = wx_err_set(err, WX_EINVAL, "token kid is not a string");
        goto out;
    }
    /* jku, x5u, jwk and x5c are never read: a token must not choose the key that verifies it. */
    key = lookup(json_string_value(kid), alg, arg);
    if (!key) {
        why = JWS_REASON_UNKNOWN_KEY;
        rc = wx_err_set(err, WX_ENOENT, "unknown key");
        wx_err_detail(err, "kid=%.64s", kid ? json_string_value(kid) : "(none)");
        goto out;
    }
    /* The key decides the algorithm, not the token: an RSA public key is never an HMAC secret. */
    if (key->alg != jwk_alg_from_name(alg)) {
        why = JWS_REASON_KEY_ALG;
        rc = wx_err_set(err, WX_EDENIED, "key is not for the token's alg");
        wx_err_detail(err, "token alg=%.32s key alg=%s", alg, jwk_alg_name(key->alg));
        goto out;
    }
    rc = jws_sig_check(key, (const unsigned char *)token, (size_t)(dot2 - token), sig, slen, err);
    if (rc != WX_OK) {
        why = rc == WX_EDENIED ? JWS_REASON_SIGNATURE : JWS_REASON_INTERNAL;
        goto out;
    }
    payload = json_loadb((const char *)pay, plen, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(payload)) {
        why = JWS_REASON_MALFORMED;
        rc = wx_err_set(err, WX_EINVAL, "token payload is not a JSON object");
        goto out;
    }
    if (header_out) {
        *header_out = header;
        header = NULL;
    }
    if (payload_out) {
        *payload_out = payload;
        payload = NULL;
    }
    why = JWS_REASON_OK;
out:
    if (reason)
        *reason = why;
    json_decref(header);
    json_decref(payload);
    free(hdr);
    free(pay);
    free(sig);
    return rc;
}
