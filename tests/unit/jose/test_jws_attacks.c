/* Attacks on src/jose/jws.c's jws_verify, one test per family: alg none, RS256 to HS256 key
 * confusion, kid tricks, keys carried in the token (jwk, jku, x5u, x5c), crit and b64, tampered
 * and transplanted parts, malformed encodings and JSON, duplicate members, oversized tokens, and
 * algs that do not fit the key.
 *
 * Wherever it matters the attacker's token is made valid in every other respect (a genuine
 * signature, often from the real key, computed here with OpenSSL directly when jws_sign would
 * refuse the header), so the refusal can only come from the rule under test; and each test
 * checks which rule fired, not only that verification failed. The server's keys are RFC 7520's
 * (rfc_vectors.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/encoder.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "jose/b64url.h"
#include "jose/jwk.h"
#include "jose/jws.h"
#include "jose_helpers.h"
#include "rfc_vectors.h"

static const char *const ALL_ALGS[] = {"RS256", "ES256", "EdDSA", "HS256", NULL};
static const char *const RS_ONLY[] = {"RS256", NULL};
static const char ALPHABET[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* A lookup that returns key, or searches set when one is given, and records what it was asked:
 * the kid verbatim (a token's kid can be long), whether it was NULL, and the alg. */
typedef struct {
    const jwk_t *key;
    const jwks_t *set;
    int calls;
    bool kid_null;
    char kid[JWS_MAX_TOKEN + 1];
    char alg[32];
} rec_t;

static const jwk_t *
lookup_rec(const char *kid, const char *alg, void *arg)
{
    rec_t *r = arg;
    r->calls++;
    r->kid_null = kid == NULL;
    snprintf(r->kid, sizeof(r->kid), "%s", kid ? kid : "");
    snprintf(r->alg, sizeof(r->alg), "%s", alg);
    return r->set ? jwks_lookup(kid, alg, (void *)r->set) : r->key;
}

static char *
b64(const void *in, size_t n)
{
    wx_buf_t b;
    wx_buf_init(&b, 16384);
    assert_int_equal(b64url_encode(in, n, &b), WX_OK);
    return wx_buf_steal(&b);
}

static unsigned char *
unb64(const char *s, size_t *n)
{
    unsigned char *out = NULL;
    assert_int_equal(b64url_decode(s, strlen(s), &out, n), WX_OK);
    return out;
}

/* BASE64URL(header) . BASE64URL(payload) . sig64, with any bytes at all in header and payload. */
static char *
craft(const char *header, size_t hlen, const char *payload, size_t plen, const char *sig64)
{
    wx_buf_t b;
    wx_buf_init(&b, 65536);
    assert_int_equal(b64url_encode((const unsigned char *)header, hlen, &b), WX_OK);
    assert_int_equal(wx_buf_puts(&b, "."), WX_OK);
    assert_int_equal(b64url_encode((const unsigned char *)payload, plen, &b), WX_OK);
    assert_int_equal(wx_buf_puts(&b, "."), WX_OK);
    assert_int_equal(wx_buf_puts(&b, sig64), WX_OK);
    return wx_buf_steal(&b);
}

/* The RFC 7520 §3.5 HS256 secret (32 bytes). */
static unsigned char *
hmac_secret(size_t *n)
{
    return unb64(RFC7520_HMAC_K, n);
}

/* A genuine HS256 token over any header and payload bytes, MACed here with OpenSSL rather than
 * by jws.c, which refuses to sign headers that are not JSON objects. */
static char *
hs256_raw(const char *header, size_t hlen, const char *payload, size_t plen)
{
    size_t klen = 0;
    unsigned char *key = hmac_secret(&klen);
    unsigned char mac[32];
    size_t maclen = 0;
    char *input = craft(header, hlen, payload, plen, "");
    char *sig64 = NULL, *tok = NULL;
    size_t ilen = strlen(input) - 1; /* without the trailing '.' */
    assert_non_null(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, klen, (unsigned char *)input,
                              ilen, mac, sizeof(mac), &maclen));
    assert_int_equal(maclen, 32);
    sig64 = b64(mac, maclen);
    tok = craft(header, hlen, payload, plen, sig64);
    free(sig64);
    free(input);
    free(key);
    return tok;
}

static char *
hs256_str(const char *header, const char *payload)
{
    return hs256_raw(header, strlen(header), payload, strlen(payload));
}

/* Verify tok[0..len) with a lookup over r, and check the status, that the message names the rule
 * that fired, and (when want_calls >= 0) how often the key was looked up. On failure nothing may
 * come back in the out-params. */
static void
expect_len(const char *tok, size_t len, const char *const *algs, rec_t *r, wx_status_t want,
           const char *msg, int want_calls)
{
    wx_err_t err = {0};
    json_t *h = (json_t *)1, *p = (json_t *)1;
    wx_status_t rc;
    r->calls = 0;
    rc = jws_verify(tok, len, algs, lookup_rec, r, &h, &p, NULL, &err);
    if (rc != want || (msg && !strstr(err.msg, msg)))
        fail_msg("got %s \"%s\", want %s \"%s\" for %.120s", wx_status_str(rc), err.msg,
                 wx_status_str(want), msg ? msg : "", tok);
    if (want_calls >= 0 && r->calls != want_calls)
        fail_msg("key looked up %d times, want %d, for %.120s", r->calls, want_calls, tok);
    if (rc != WX_OK) {
        assert_null(h);
        assert_null(p);
    } else {
        json_decref(h);
        json_decref(p);
    }
}

static void
expect_key(const char *tok, const char *const *algs, const jwk_t *key, wx_status_t want,
           const char *msg, int want_calls)
{
    rec_t *r = calloc(1, sizeof(*r));
    assert_non_null(r);
    r->key = key;
    expect_len(tok, strlen(tok), algs, r, want, msg, want_calls);
    free(r);
}

static void
expect_ok(const char *tok, const char *const *algs, const jwk_t *key)
{
    expect_key(tok, algs, key, WX_OK, NULL, 1);
}

/* --- alg none --- */

static void
test_alg_none(void **state)
{
    static const char *const spellings[] = {"none", "None", "NONE", "nOnE", "NoNe"};
    static const char *const with_none[] = {"none", "None", "NONE", "nOnE", "NoNe", "HS256", NULL};
    static const char *const only_none[] = {"none", NULL};
    static const char payload[] = "{\"sub\":\"admin\"}";
    jwk_t *k = import(RFC7520_HMAC_JWK, false);
    char hdr[128];
    char *tok = NULL;

    for (size_t i = 0; i < WX_ARRAY_LEN(spellings); i++) {
        /* Unsigned, as RFC 7515 A.5 writes it: an empty third part. Refused before any lookup,
         * even when the caller lists that very spelling. */
        snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\"}", spellings[i]);
        tok = craft(hdr, strlen(hdr), payload, strlen(payload), "");
        expect_key(tok, with_none, k, WX_EDENIED, "alg none", 0);
        expect_key(tok, only_none, k, WX_EDENIED, "alg none", 0);
        expect_key(tok, ALL_ALGS, k, WX_EDENIED, "alg none", 0);
        /* With no signature part at all. */
        tok[strlen(tok) - 1] = '\0';
        expect_key(tok, with_none, k, WX_EINVAL, "exactly three parts", 0);
        free(tok);
        /* With a genuine MAC by the real key and its kid: alg none still wins nothing. */
        snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\",\"kid\":\"%s\"}", spellings[i],
                 RFC7520_HMAC_KID);
        tok = hs256_str(hdr, payload);
        expect_key(tok, with_none, k, WX_EDENIED, "alg none", 0);
        free(tok);
    }
    /* Near misses are not none but are not allowed either. */
    static const char *const near[] = {"", " none", "none ", "none\\t", "nonE\\n", "n0ne"};
    for (size_t i = 0; i < WX_ARRAY_LEN(near); i++) {
        snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\"}", near[i]);
        tok = hs256_str(hdr, payload);
        expect_key(tok, with_none, k, WX_EDENIED, "alg is not allowed", 0);
        free(tok);
    }
    /* An alg that is not a string is no alg. */
    static const char *const not_string[] = {"null", "[\"none\"]", "{}", "false", "0"};
    for (size_t i = 0; i < WX_ARRAY_LEN(not_string); i++) {
        snprintf(hdr, sizeof(hdr), "{\"alg\":%s}", not_string[i]);
        tok = hs256_str(hdr, payload);
        expect_key(tok, with_none, k, WX_EINVAL, "has no alg", 0);
        free(tok);
    }
    /* A NUL inside alg would make C see "none" or "HS256" in a longer string; jansson refuses
     * \u0000 in strings, so the header is not JSON to us. */
    tok = hs256_str("{\"alg\":\"HS256\\u0000none\"}", payload);
    expect_key(tok, with_none, k, WX_EINVAL, "header is not a JSON object", 0);
    free(tok);
    tok = hs256_str("{\"alg\":\"none\\u0000\"}", payload);
    expect_key(tok, with_none, k, WX_EINVAL, "header is not a JSON object", 0);
    free(tok);
    jwk_free(k);
}

static void
test_alg_spellings(void **state)
{
    /* alg is compared exactly: other spellings of a real alg are not that alg. Genuine MACs. */
    static const char *const algs[] = {"hs256",  "Hs256", "HS256 ",      " HS256",      "HS-256",
                                       "HS2560", "HS25",  "HMAC-SHA256", "HS256\\u0020"};
    jwk_t *k = import(RFC7520_HMAC_JWK, false);
    for (size_t i = 0; i < WX_ARRAY_LEN(algs); i++) {
        char hdr[64];
        char *tok = NULL;
        snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\"}", algs[i]);
        tok = hs256_str(hdr, "{}");
        expect_key(tok, ALL_ALGS, k, WX_EDENIED, "alg is not allowed", 0);
        free(tok);
    }
    jwk_free(k);
}

/* --- RS256 to HS256: the RSA public key used as an HMAC secret --- */

/* The forms an attacker might take the server's RSA public key in, each as HMAC secret bytes. */
typedef struct {
    const char *what;
    unsigned char *bytes;
    size_t n;
} secret_form_t;

static size_t
rsa_public_forms(const jwk_t *priv, secret_form_t *out, size_t max)
{
    wx_buf_t pem;
    wx_err_t err = {0};
    BIO *in = NULL, *mem = NULL;
    EVP_PKEY *pkey = NULL;
    OSSL_ENCODER_CTX *ectx = NULL;
    unsigned char *der = NULL, *p = NULL;
    char *text = NULL;
    long tn = 0;
    int dn = 0;
    size_t n = 0, count = 0;
    json_t *pj = NULL;

    assert_true(max >= 7);
    wx_buf_init(&pem, 65536);
    assert_int_equal(jwk_to_pem(priv, &pem, &err), WX_OK);
    in = BIO_new_mem_buf(pem.data, (int)pem.len);
    assert_non_null(in);
    pkey = PEM_read_bio_PrivateKey(in, NULL, NULL, NULL);
    assert_non_null(pkey);

    /* SubjectPublicKeyInfo PEM ("BEGIN PUBLIC KEY"), as served at many JWKS-less endpoints. */
    mem = BIO_new(BIO_s_mem());
    assert_int_equal(PEM_write_bio_PUBKEY(mem, pkey), 1);
    tn = BIO_get_mem_data(mem, &text);
    out[count++] =
        (secret_form_t){"SPKI PEM", (unsigned char *)strndup(text, (size_t)tn), (size_t)tn};
    out[count++] = (secret_form_t){"SPKI PEM without final newline",
                                   (unsigned char *)strndup(text, (size_t)tn - 1), (size_t)tn - 1};
    BIO_free(mem);
    /* PKCS#1 PEM ("BEGIN RSA PUBLIC KEY"). */
    mem = BIO_new(BIO_s_mem());
    ectx = OSSL_ENCODER_CTX_new_for_pkey(pkey, EVP_PKEY_PUBLIC_KEY, "PEM", "type-specific", NULL);
    assert_non_null(ectx);
    assert_int_equal(OSSL_ENCODER_to_bio(ectx, mem), 1);
    tn = BIO_get_mem_data(mem, &text);
    out[count++] =
        (secret_form_t){"PKCS#1 PEM", (unsigned char *)strndup(text, (size_t)tn), (size_t)tn};
    assert_non_null(strstr((const char *)out[count - 1].bytes, "BEGIN RSA PUBLIC KEY"));
    OSSL_ENCODER_CTX_free(ectx);
    BIO_free(mem);
    /* SPKI DER. */
    dn = i2d_PUBKEY(pkey, NULL);
    assert_true(dn > 0);
    der = malloc((size_t)dn);
    assert_non_null(der);
    p = der;
    assert_int_equal(i2d_PUBKEY(pkey, &p), dn);
    out[count++] = (secret_form_t){"SPKI DER", der, (size_t)dn};
    /* The raw modulus bytes, and n as the JWK spells it. */
    out[count++] = (secret_form_t){"modulus bytes", unb64(RFC7520_RSA_N, &n), 0};
    out[count - 1].n = n;
    out[count++] = (secret_form_t){"modulus base64url", (unsigned char *)strdup(RFC7520_RSA_N),
                                   strlen(RFC7520_RSA_N)};
    /* The public JWK as we would publish it. */
    assert_int_equal(jwk_public_json(priv, &pj, &err), WX_OK);
    text = json_dumps(pj, JSON_COMPACT);
    out[count++] = (secret_form_t){"public JWK", (unsigned char *)text, strlen(text)};
    json_decref(pj);
    for (size_t i = 0; i < count; i++)
        assert_non_null(out[i].bytes);
    EVP_PKEY_free(pkey);
    BIO_free(in);
    wx_buf_free(&pem);
    return count;
}

static void
test_rs256_to_hs256_confusion(void **state)
{
    static const char header[] = "{\"alg\":\"HS256\",\"kid\":\"" RFC7520_BILBO_KID "\"}";
    static const char doc[] = "{\"keys\":[" RFC7520_RSA_PUBLIC_JWK "]}";
    jwk_t *priv = import(RFC7520_RSA_PRIVATE_JWK, true);
    jwk_t *pub = import(RFC7520_RSA_PUBLIC_JWK, false);
    jwks_t *set = NULL;
    secret_form_t forms[8];
    size_t count = rsa_public_forms(priv, forms, WX_ARRAY_LEN(forms));
    rec_t *r = calloc(1, sizeof(*r));
    wx_err_t err = {0};

    assert_non_null(r);
    assert_int_equal(jwks_parse(doc, strlen(doc), &set, &err), WX_OK);
    for (size_t i = 0; i < count; i++) {
        jwk_t *forged = NULL;
        char *tok = NULL;
        print_message("secret: %s (%zu bytes)\n", forms[i].what, forms[i].n);
        assert_true(forms[i].n >= JWK_HMAC_MIN && forms[i].n <= JWK_HMAC_MAX);
        assert_int_equal(
            jwk_from_secret(forms[i].bytes, forms[i].n, RFC7520_BILBO_KID, &forged, &err), WX_OK);
        tok = sign_hdr(forged, header, "{\"sub\":\"admin\"}");
        /* The forgery is a well-made HS256 token: anyone who took those bytes as the HMAC key
         * would accept it. */
        expect_ok(tok, ALL_ALGS, forged);
        /* A lookup that ignores alg hands back the RSA key: refused for its type. */
        expect_key(tok, ALL_ALGS, pub, WX_EDENIED, "key is not for the token's alg", 1);
        expect_key(tok, ALL_ALGS, priv, WX_EDENIED, "key is not for the token's alg", 1);
        /* jwks_lookup does not even return it for HS256. */
        memset(r, 0, sizeof(*r));
        r->set = set;
        expect_len(tok, strlen(tok), ALL_ALGS, r, WX_ENOENT, "unknown key", 1);
        assert_string_equal(r->alg, "HS256");
        /* A caller that allows only RS256 never gets that far. */
        expect_key(tok, RS_ONLY, pub, WX_EDENIED, "alg is not allowed", 0);
        free(tok);
        jwk_free(forged);
        free(forms[i].bytes);
    }
    free(r);
    jwks_free(set);
    jwk_free(priv);
    jwk_free(pub);
}

/* --- kid --- */

static void
test_kid_tricks(void **state)
{
    /* The real key signs, so only the kid stands between each token and acceptance; the kid
     * reaches the lookup verbatim (no path or SQL meaning) and names no key. */
    static const char doc[] =
        "{\"keys\":[" RFC7520_RSA_PUBLIC_JWK ",{\"kty\":\"OKP\",\"kid\":\"ed\","
        "\"crv\":\"Ed25519\",\"x\":\"" RFC8037_X "\"}]}";
    static const char *const kids[] = {
        "../../../../etc/passwd",
        "/dev/null",
        RFC7520_BILBO_KID "/../" RFC7520_BILBO_KID,
        "./" RFC7520_BILBO_KID,
        "..\\" RFC7520_BILBO_KID,
        "' OR '1'='1",
        RFC7520_BILBO_KID "' --",
        "x\"; DROP TABLE signing_keys; --",
        "%",
        "*",
        "",
        "BILBO.BAGGINS@HOBBITON.EXAMPLE",
        RFC7520_BILBO_KID " ",
        " " RFC7520_BILBO_KID,
        RFC7520_BILBO_KID "\n",
        "bilbo.baggins",
        "ed\xc3\xa9",
        "ed", /* a real kid, but of an Ed25519 key: jwks_lookup wants the alg to match too */
        "unknown",
    };
    jwk_t *priv = import(RFC7520_RSA_PRIVATE_JWK, true);
    jwks_t *set = NULL;
    rec_t *r = calloc(1, sizeof(*r));
    wx_err_t err = {0};
    json_t *h = NULL;
    char *hjson = NULL, *tok = NULL;
    wx_buf_t longkid;

    assert_non_null(r);
    wx_buf_init(&longkid, 8192);
    for (int n = 0; n < 400; n++)
        assert_int_equal(wx_buf_puts(&longkid, "../"), WX_OK);
    assert_int_equal(jwks_parse(doc, strlen(doc), &set, &err), WX_OK);
    r->set = set;
    /* The baseline: the right kid verifies. */
    tok = sign_hdr(priv, RFC7520_4_1_HEADER, "{\"sub\":\"u\"}");
    expect_len(tok, strlen(tok), ALL_ALGS, r, WX_OK, NULL, 1);
    free(tok);
    for (size_t i = 0; i < WX_ARRAY_LEN(kids) + 1; i++) {
        /* The last round uses a kid far longer than any we hold. */
        const char *kid = i < WX_ARRAY_LEN(kids) ? kids[i] : wx_buf_str(&longkid);
        h = json_pack("{s:s,s:s}", "alg", "RS256", "kid", kid);
        assert_non_null(h);
        hjson = json_dumps(h, JSON_COMPACT);
        tok = sign_hdr(priv, hjson, "{\"sub\":\"admin\"}");
        expect_len(tok, strlen(tok), ALL_ALGS, r, WX_ENOENT, "unknown key", 1);
        assert_false(r->kid_null);
        assert_string_equal(r->kid, kid);
        free(tok);
        free(hjson);
        json_decref(h);
    }
    wx_buf_free(&longkid);

    /* A NUL in the kid would read as the real kid in C; jansson refuses it outright. The HS256
     * key signs so the MAC is genuine. */
    memset(r, 0, sizeof(*r));
    r->key = import(RFC7520_HMAC_JWK, false);
    tok = hs256_str("{\"alg\":\"HS256\",\"kid\":\"" RFC7520_HMAC_KID "\\u0000../x\"}", "{}");
    expect_len(tok, strlen(tok), ALL_ALGS, r, WX_EINVAL, "header is not a JSON object", 0);
    free(tok);
    /* A kid that is not a string. */
    static const char *const bad[] = {"5", "null", "[\"a\"]", "{\"k\":\"a\"}", "true"};
    for (size_t i = 0; i < WX_ARRAY_LEN(bad); i++) {
        char hdr[96];
        snprintf(hdr, sizeof(hdr), "{\"alg\":\"HS256\",\"kid\":%s}", bad[i]);
        tok = hs256_str(hdr, "{}");
        expect_len(tok, strlen(tok), ALL_ALGS, r, WX_EINVAL, "kid is not a string", 0);
        free(tok);
    }
    jwk_free((jwk_t *)r->key);
    free(r);
    jwks_free(set);
    jwk_free(priv);
}

/* --- keys named or carried by the token --- */

static char *
header_with(const char *alg, const char *kid, const char *member, json_t *value)
{
    json_t *h = json_pack("{s:s}", "alg", alg);
    char *s = NULL;
    assert_non_null(h);
    if (kid)
        assert_int_equal(json_object_set_new(h, "kid", json_string(kid)), 0);
    if (member)
        assert_int_equal(json_object_set(h, member, value), 0);
    s = json_dumps(h, JSON_COMPACT);
    json_decref(h);
    return s;
}

static void
test_embedded_jwk_never_used(void **state)
{
    static const char doc[] =
        "{\"keys\":[" RFC7520_RSA_PUBLIC_JWK
        ",{\"kty\":\"OKP\",\"kid\":\"ed\",\"crv\":\"Ed25519\",\"x\":\"" RFC8037_X "\"}]}";
    jwk_t *real = import(RFC7520_RSA_PUBLIC_JWK, false);
    jwk_t *evil = generate("RS256", "attacker");
    jwk_t *embedded = NULL;
    jwks_t *set = NULL, *empty = NULL;
    json_t *ej = NULL, *hdr = NULL;
    rec_t *r = calloc(1, sizeof(*r));
    wx_err_t err = {0};
    char *h = NULL, *tok = NULL, *part = NULL;
    unsigned char *hb = NULL;
    size_t hn = 0;

    assert_non_null(r);
    assert_int_equal(jwks_parse(doc, strlen(doc), &set, &err), WX_OK);
    assert_int_equal(jwks_parse("{\"keys\":[]}", 11, &empty, &err), WX_OK);
    assert_int_equal(jwk_public_json(evil, &ej, &err), WX_OK);

    /* Signed by the attacker, who embeds the matching public key and names the real kid. */
    h = header_with("RS256", RFC7520_BILBO_KID, "jwk", ej);
    tok = sign_hdr(evil, h, "{\"sub\":\"admin\"}");
    /* A verifier that trusted the header's jwk would accept: take it out and check. */
    part = strndup(tok, (size_t)(strchr(tok, '.') - tok));
    hb = unb64(part, &hn);
    free(part);
    hdr = json_loadb((const char *)hb, hn, 0, NULL);
    assert_int_equal(jwk_import_json(json_object_get(hdr, "jwk"), &embedded, &err), WX_OK);
    expect_ok(tok, ALL_ALGS, embedded);
    /* We use the looked-up key only. */
    expect_key(tok, ALL_ALGS, real, WX_EDENIED, "does not verify", 1);
    r->set = set;
    expect_len(tok, strlen(tok), ALL_ALGS, r, WX_EDENIED, "does not verify", 1);
    assert_string_equal(r->kid, RFC7520_BILBO_KID);
    free(tok);
    free(h);

    /* No kid in the header, the attacker's kid inside the jwk: the lookup is asked for no kid,
     * not the embedded one, and with no single key to fall back on there is no key at all. */
    h = header_with("RS256", NULL, "jwk", ej);
    tok = sign_hdr(evil, h, "{\"sub\":\"admin\"}");
    memset(r, 0, sizeof(*r));
    r->set = set;
    expect_len(tok, strlen(tok), ALL_ALGS, r, WX_ENOENT, "unknown key", 1);
    assert_true(r->kid_null);
    r->set = empty;
    expect_len(tok, strlen(tok), ALL_ALGS, r, WX_ENOENT, "unknown key", 1);
    free(tok);
    free(h);

    /* The same for an HS256 token carrying its own oct key. */
    {
        unsigned char s[32];
        jwk_t *evil_hs = NULL, *real_hs = import(RFC7520_HMAC_JWK, false);
        char *k64 = NULL;
        json_t *oct = NULL;
        memset(s, 0x5a, sizeof(s));
        k64 = b64(s, sizeof(s));
        oct = json_pack("{s:s,s:s}", "kty", "oct", "k", k64);
        assert_int_equal(jwk_from_secret(s, sizeof(s), RFC7520_HMAC_KID, &evil_hs, &err), WX_OK);
        h = header_with("HS256", RFC7520_HMAC_KID, "jwk", oct);
        tok = sign_hdr(evil_hs, h, "{\"sub\":\"admin\"}");
        expect_ok(tok, ALL_ALGS, evil_hs);
        expect_key(tok, ALL_ALGS, real_hs, WX_EDENIED, "does not verify", 1);
        free(tok);
        free(h);
        free(k64);
        json_decref(oct);
        jwk_free(evil_hs);
        jwk_free(real_hs);
    }
    free(hb);
    json_decref(hdr);
    json_decref(ej);
    jwk_free(embedded);
    jwks_free(set);
    jwks_free(empty);
    jwk_free(real);
    jwk_free(evil);
    free(r);
}

static void
test_key_urls_and_chains_ignored(void **state)
{
    /* jku, x5u, x5c, x5t and x5t#S256 pointing at the attacker: nothing is fetched or parsed,
     * the attacker's signature fails against the real key, and on a token the real key signed
     * the same members are harmless. */
    jwk_t *priv = import(RFC7520_RSA_PRIVATE_JWK, true);
    jwk_t *pub = import(RFC7520_RSA_PUBLIC_JWK, false);
    jwk_t *evil = generate("RS256", RFC7520_BILBO_KID);
    json_t *values[5];
    static const char *const names[] = {"jku", "x5u", "x5c", "x5t", "x5t#S256"};
    char *h = NULL, *tok = NULL;

    values[0] = json_string("https://attacker.example/jwks.json");
    values[1] = json_string("https://attacker.example/cert.pem");
    values[2] = json_pack("[s]", "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA");
    values[3] = json_string("dGhpcyBpcyBub3QgYSB0aHVtYnByaW50");
    values[4] = json_string("dGhpcyBpcyBub3QgYSB0aHVtYnByaW50IGVpdGhlcg");
    for (size_t i = 0; i < WX_ARRAY_LEN(names); i++) {
        h = header_with("RS256", RFC7520_BILBO_KID, names[i], values[i]);
        tok = sign_hdr(evil, h, "{\"sub\":\"admin\"}");
        expect_key(tok, ALL_ALGS, pub, WX_EDENIED, "does not verify", 1);
        free(tok);
        tok = sign_hdr(priv, h, "{\"sub\":\"u\"}");
        expect_ok(tok, ALL_ALGS, pub);
        free(tok);
        free(h);
        json_decref(values[i]);
    }
    jwk_free(priv);
    jwk_free(pub);
    jwk_free(evil);
}

/* --- crit and b64 --- */

static void
test_crit_refused(void **state)
{
    static const char *const headers[] = {
        "{\"alg\":\"HS256\",\"crit\":[\"x-unknown\"],\"x-unknown\":1}",
        "{\"alg\":\"HS256\",\"b64\":false,\"crit\":[\"b64\"]}",
        "{\"alg\":\"HS256\",\"b64\":true,\"crit\":[\"b64\"]}",
        "{\"alg\":\"HS256\",\"b64\":false,\"crit\":\"b64\"}",
        "{\"alg\":\"HS256\",\"crit\":[\"b64\"]}",
        "{\"alg\":\"HS256\",\"crit\":[\"alg\"]}",
        "{\"alg\":\"HS256\",\"crit\":[\"exp\"],\"exp\":1363284000}",
        "{\"alg\":\"HS256\",\"crit\":[]}",
        "{\"alg\":\"HS256\",\"crit\":null}",
        "{\"alg\":\"HS256\",\"crit\":{}}",
    };
    jwk_t *k = import(RFC7520_HMAC_JWK, false);
    for (size_t i = 0; i < WX_ARRAY_LEN(headers); i++) {
        char *tok = sign_hdr(k, headers[i], "{\"sub\":\"u\"}");
        expect_key(tok, ALL_ALGS, k, WX_EDENIED, "crit", 0);
        free(tok);
    }
    jwk_free(k);
}

static void
test_b64_false(void **state)
{
    /* RFC 7797 "b64":false means the payload is signed as is, unencoded. RFC 7797 §6 requires a
     * producer to list b64 in crit, and any crit is refused (above). A b64 member without crit
     * is refused too: a producer that broke §6 and signed, unencoded, a text that happens to be
     * valid base64url would otherwise have that text read two ways. Our signers never set b64. */
    static const char payload[] = "{\"sub\":\"admin\"}";
    jwk_t *k = import(RFC7520_HMAC_JWK, false);
    size_t klen = 0;
    unsigned char *key = hmac_secret(&klen);
    unsigned char mac[32];
    size_t maclen = 0;
    char *tok = sign_hdr(k, "{\"alg\":\"HS256\",\"b64\":false}", "{\"sub\":\"u\"}");
    char *h64 = NULL, *sig64 = NULL;
    wx_buf_t in, t;
    rec_t *r = calloc(1, sizeof(*r));
    json_t *p = NULL;
    wx_err_t err = {0};

    assert_non_null(r);
    r->key = k;
    assert_int_equal(jws_verify(tok, strlen(tok), ALL_ALGS, lookup_rec, r, NULL, &p, NULL, &err),
                     WX_EDENIED);
    assert_non_null(strstr(err.msg, "b64"));
    assert_null(p);
    free(tok);

    /* Signed the RFC 7797 way, over the raw payload, with the real key: the raw JSON is not a
     * base64url part, so the token is malformed to us, with or without crit. */
    static const char *const hdrs[] = {"{\"alg\":\"HS256\",\"b64\":false}",
                                       "{\"alg\":\"HS256\",\"b64\":false,\"crit\":[\"b64\"]}"};
    for (size_t i = 0; i < WX_ARRAY_LEN(hdrs); i++) {
        h64 = b64(hdrs[i], strlen(hdrs[i]));
        wx_buf_init(&in, 4096);
        assert_int_equal(wx_buf_printf(&in, "%s.%s", h64, payload), WX_OK);
        assert_non_null(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, klen,
                                  (unsigned char *)in.data, in.len, mac, sizeof(mac), &maclen));
        sig64 = b64(mac, maclen);
        wx_buf_init(&t, 4096);
        assert_int_equal(wx_buf_printf(&t, "%s.%s", in.data, sig64), WX_OK);
        expect_len(t.data, t.len, ALL_ALGS, r, WX_EINVAL, "payload is not valid base64url", 0);
        wx_buf_free(&in);
        wx_buf_free(&t);
        free(sig64);
        free(h64);
    }
    free(r);
    free(key);
    jwk_free(k);
}

/* --- changed, transplanted and missing parts --- */

/* tok with part (0, 1, 2) replaced by repl. */
static char *
replace_part(const char *tok, int part, const char *repl)
{
    const char *d1 = strchr(tok, '.'), *d2 = strrchr(tok, '.');
    wx_buf_t b;
    wx_buf_init(&b, 65536);
    if (part == 0) {
        assert_int_equal(wx_buf_puts(&b, repl), WX_OK);
        assert_int_equal(wx_buf_puts(&b, d1), WX_OK);
    } else if (part == 1) {
        assert_int_equal(wx_buf_append(&b, tok, (size_t)(d1 + 1 - tok)), WX_OK);
        assert_int_equal(wx_buf_puts(&b, repl), WX_OK);
        assert_int_equal(wx_buf_puts(&b, d2), WX_OK);
    } else {
        assert_int_equal(wx_buf_append(&b, tok, (size_t)(d2 + 1 - tok)), WX_OK);
        assert_int_equal(wx_buf_puts(&b, repl), WX_OK);
    }
    return wx_buf_steal(&b);
}

/* Part (0, 1, 2) of tok as a fresh string. */
static char *
part_of(const char *tok, int part)
{
    const char *d1 = strchr(tok, '.'), *d2 = strrchr(tok, '.');
    if (part == 0)
        return strndup(tok, (size_t)(d1 - tok));
    if (part == 1)
        return strndup(d1 + 1, (size_t)(d2 - d1 - 1));
    return strdup(d2 + 1);
}

static void
test_tampered_and_transplanted(void **state)
{
    jwk_t *priv = import(RFC7520_RSA_PRIVATE_JWK, true);
    jwk_t *pub = import(RFC7520_RSA_PUBLIC_JWK, false);
    jwk_t *same_kid = generate("RS256", RFC7520_BILBO_KID);
    jwk_t *a2 = import(RFC7515_A2_PRIVATE_JWK, true);
    static const char pa[] = "{\"sub\":\"user\",\"admin\":false}";
    static const char pb[] = "{\"sub\":\"admin\",\"admin\":true}";
    char *ta = sign_hdr(priv, RFC7520_4_1_HEADER, pa);
    char *tb = sign_hdr(priv, RFC7520_4_1_HEADER, pb);
    char *x = NULL, *part = NULL, *p64 = NULL;

    expect_ok(ta, ALL_ALGS, pub);
    expect_ok(tb, ALL_ALGS, pub);
    /* The payload changed after signing. */
    p64 = b64("{\"sub\":\"user\",\"admin\":true}", strlen("{\"sub\":\"user\",\"admin\":true}"));
    x = replace_part(ta, 1, p64);
    expect_key(x, ALL_ALGS, pub, WX_EDENIED, "does not verify", 1);
    free(x);
    free(p64);
    /* B's payload under A's header and signature; B's signature on A. */
    part = part_of(tb, 1);
    x = replace_part(ta, 1, part);
    expect_key(x, ALL_ALGS, pub, WX_EDENIED, "does not verify", 1);
    free(x);
    free(part);
    part = part_of(tb, 2);
    x = replace_part(ta, 2, part);
    expect_key(x, ALL_ALGS, pub, WX_EDENIED, "does not verify", 1);
    free(x);
    free(part);
    /* The header changed (a member added, the kid kept). */
    p64 = b64("{\"alg\":\"RS256\",\"kid\":\"" RFC7520_BILBO_KID "\",\"typ\":\"JWT\"}",
              strlen("{\"alg\":\"RS256\",\"kid\":\"" RFC7520_BILBO_KID "\",\"typ\":\"JWT\"}"));
    x = replace_part(ta, 0, p64);
    expect_key(x, ALL_ALGS, pub, WX_EDENIED, "does not verify", 1);
    free(x);
    free(p64);
    /* A signature from another key: one with the same kid, and RFC 7515's RSA key. */
    x = sign_hdr(same_kid, RFC7520_4_1_HEADER, pb);
    expect_key(x, ALL_ALGS, pub, WX_EDENIED, "does not verify", 1);
    free(x);
    x = sign_hdr(a2, RFC7520_4_1_HEADER, pb);
    expect_key(x, ALL_ALGS, pub, WX_EDENIED, "does not verify", 1);
    free(x);
    free(ta);
    free(tb);
    jwk_free(priv);
    jwk_free(pub);
    jwk_free(same_kid);
    jwk_free(a2);
}

/* One signer and verifier per algorithm, all from published vectors. */
typedef struct {
    const char *alg;
    jwk_t *priv;
    jwk_t *pub;
} pair_t;

static void
pairs_load(pair_t p[4])
{
    p[0] = (pair_t){"RS256", import(RFC7520_RSA_PRIVATE_JWK, true),
                    import(RFC7520_RSA_PUBLIC_JWK, false)};
    p[1] = (pair_t){"ES256", import(RFC7515_A3_PRIVATE_JWK, true),
                    import(RFC7515_A3_PUBLIC_JWK, false)};
    p[2] = (pair_t){"EdDSA", import(RFC8037_PRIVATE_JWK, true), import(RFC8037_PUBLIC_JWK, false)};
    p[3] = (pair_t){"HS256", import(RFC7520_HMAC_JWK, false), import(RFC7520_HMAC_JWK, false)};
}

static void
pairs_free(pair_t p[4])
{
    for (int i = 0; i < 4; i++) {
        jwk_free(p[i].priv);
        jwk_free(p[i].pub);
    }
}

static char *
sign_alg(const pair_t *p, const char *payload)
{
    char hdr[64];
    snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\"}", p->alg);
    return sign_hdr(p->priv, hdr, payload);
}

static void
test_empty_signature(void **state)
{
    pair_t p[4];
    pairs_load(p);
    for (int i = 0; i < 4; i++) {
        char *tok = sign_alg(&p[i], "{\"sub\":\"u\"}");
        char *x = replace_part(tok, 2, "");
        expect_ok(tok, ALL_ALGS, p[i].pub);
        expect_key(x, ALL_ALGS, p[i].pub, WX_EDENIED, "does not verify", 1);
        free(x);
        free(tok);
    }
    pairs_free(p);
}

static void
test_truncated_and_shortened(void **state)
{
    /* Every prefix of a valid token, and the token with any one character taken out (which
     * shortens one part or joins two), is refused, for each algorithm. */
    pair_t p[4];
    pairs_load(p);
    for (int i = 0; i < 4; i++) {
        char *tok = sign_alg(&p[i], "{\"sub\":\"u\",\"n\":1}");
        size_t len = strlen(tok);
        char *x = malloc(len + 1);
        rec_t *r = calloc(1, sizeof(*r));
        wx_err_t err = {0};
        assert_non_null(x);
        assert_non_null(r);
        r->key = p[i].pub;
        expect_ok(tok, ALL_ALGS, p[i].pub);
        for (size_t n = 0; n < len; n++)
            if (jws_verify(tok, n, ALL_ALGS, lookup_rec, r, NULL, NULL, NULL, &err) == WX_OK)
                fail_msg("%s: prefix of %zu bytes accepted", p[i].alg, n);
        for (size_t n = 0; n < len; n++) {
            memcpy(x, tok, n);
            memcpy(x + n, tok + n + 1, len - n); /* NUL included */
            if (jws_verify(x, len - 1, ALL_ALGS, lookup_rec, r, NULL, NULL, NULL, &err) == WX_OK)
                fail_msg("%s: character %zu removed and accepted", p[i].alg, n);
        }
        free(r);
        free(x);
        free(tok);
    }
    pairs_free(p);
}

/* --- other spellings of a valid signature --- */

/* tok with its signature replaced by the big-endian number v, written in width bytes. */
static char *
with_sig_bn(const char *tok, const BIGNUM *v, int width, const unsigned char *rest, int restlen)
{
    unsigned char buf[512];
    char *s64 = NULL, *x = NULL;
    assert_true(width + restlen <= (int)sizeof(buf));
    assert_int_equal(BN_bn2binpad(v, buf, width), width);
    if (restlen)
        memcpy(buf + width, rest, (size_t)restlen);
    s64 = b64(buf, (size_t)(width + restlen));
    x = replace_part(tok, 2, s64);
    free(s64);
    return x;
}

static void
test_signature_malleability(void **state)
{
    jwk_t *ec = import(RFC7515_A3_PRIVATE_JWK, true);
    jwk_t *ed = import(RFC8037_PRIVATE_JWK, true);
    jwk_t *rsa = import(RFC7520_RSA_PRIVATE_JWK, true);
    BIGNUM *n = NULL, *r = NULL, *s = NULL, *v = NULL;
    unsigned char *sig = NULL;
    size_t slen = 0;
    char *tok = NULL, *x = NULL, *part = NULL;

    /* ES256: (r, n - s) is the other valid signature for the same input, as for any ECDSA.
     * jws_verify accepts it, since other issuers' libraries emit either form and refusing one
     * would refuse half their tokens; so an ES256 token has two spellings, and nothing may key
     * on the token text (token_check keys revocation on jti). r or s out of range is refused. */
    assert_non_null(
        BN_hex2bn(&n, "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551"));
    tok = sign_hdr(ec, "{\"alg\":\"ES256\"}", "{\"sub\":\"u\"}");
    expect_ok(tok, ALL_ALGS, ec);
    part = part_of(tok, 2);
    sig = unb64(part, &slen);
    assert_int_equal(slen, 64);
    r = BN_bin2bn(sig, 32, NULL);
    s = BN_bin2bn(sig + 32, 32, NULL);
    v = BN_new();
    assert_true(r && s && v);
    assert_int_equal(BN_sub(v, n, s), 1);
    {
        unsigned char rs[64];
        char *s64 = NULL;
        assert_int_equal(BN_bn2binpad(r, rs, 32), 32);
        assert_int_equal(BN_bn2binpad(v, rs + 32, 32), 32);
        s64 = b64(rs, 64);
        x = replace_part(tok, 2, s64);
        assert_string_not_equal(x, tok);
        expect_ok(x, ALL_ALGS, ec);
        free(s64);
        free(x);
    }
    x = with_sig_bn(tok, n, 32, sig + 32, 32); /* r = n */
    expect_key(x, ALL_ALGS, ec, WX_EDENIED, "does not verify", 1);
    free(x);
    {
        unsigned char rs[64];
        char *s64 = NULL;
        memcpy(rs, sig, 32);
        assert_int_equal(BN_bn2binpad(n, rs + 32, 32), 32); /* s = n */
        s64 = b64(rs, 64);
        x = replace_part(tok, 2, s64);
        expect_key(x, ALL_ALGS, ec, WX_EDENIED, "does not verify", 1);
        free(s64);
        free(x);
    }
    free(sig);
    free(part);
    free(tok);

    /* EdDSA: S + L is the same signature spelt with a non-canonical S, and must be refused
     * (RFC 8032 §5.1.7); OpenSSL checks S < L. S is little-endian in the second 32 bytes. */
    BN_free(n);
    n = NULL;
    assert_non_null(
        BN_hex2bn(&n, "1000000000000000000000000000000014DEF9DEA2F79CD65812631A5CF5D3ED"));
    tok = sign_hdr(ed, "{\"alg\":\"EdDSA\"}", "{\"sub\":\"u\"}");
    expect_ok(tok, ALL_ALGS, ed);
    part = part_of(tok, 2);
    sig = unb64(part, &slen);
    assert_int_equal(slen, 64);
    BN_free(s);
    s = BN_lebin2bn(sig + 32, 32, NULL);
    assert_non_null(s);
    assert_int_equal(BN_add(v, s, n), 1);
    assert_int_equal(BN_bn2lebinpad(v, sig + 32, 32), 32);
    {
        char *s64 = b64(sig, 64);
        x = replace_part(tok, 2, s64);
        expect_key(x, ALL_ALGS, ed, WX_EDENIED, "does not verify", 1);
        free(s64);
        free(x);
    }
    free(sig);
    free(part);
    free(tok);

    /* RS256: s + n (which still fits in the modulus size), n itself and all-ones are out of
     * range. */
    BN_free(n);
    n = NULL;
    sig = unb64(RFC7520_RSA_N, &slen);
    n = BN_bin2bn(sig, (int)slen, NULL);
    free(sig);
    tok = sign_hdr(rsa, RFC7520_4_1_HEADER, "{\"sub\":\"u\"}");
    expect_ok(tok, ALL_ALGS, rsa);
    part = part_of(tok, 2);
    sig = unb64(part, &slen);
    assert_int_equal(slen, 256);
    BN_free(s);
    s = BN_bin2bn(sig, 256, NULL);
    assert_int_equal(BN_add(v, s, n), 1);
    assert_true(BN_num_bytes(v) <= 256); /* it does for this key and payload */
    x = with_sig_bn(tok, v, 256, NULL, 0);
    expect_key(x, ALL_ALGS, rsa, WX_EDENIED, "does not verify", 1);
    free(x);
    x = with_sig_bn(tok, n, 256, NULL, 0); /* s = n */
    expect_key(x, ALL_ALGS, rsa, WX_EDENIED, "does not verify", 1);
    free(x);
    memset(sig, 0xff, 256);
    {
        char *s64 = b64(sig, 256);
        x = replace_part(tok, 2, s64);
        expect_key(x, ALL_ALGS, rsa, WX_EDENIED, "does not verify", 1);
        free(s64);
        free(x);
    }
    free(sig);
    free(part);
    free(tok);
    BN_free(n);
    BN_free(r);
    BN_free(s);
    BN_free(v);
    jwk_free(ec);
    jwk_free(ed);
    jwk_free(rsa);
}

/* --- encoding --- */

static void
test_not_base64url(void **state)
{
    static const char *const part_msg[] = {"header is not valid base64url",
                                           "payload is not valid base64url",
                                           "signature is not valid base64url"};
    /* Standard-alphabet, padding, white space, escapes, quotes, bytes >= 0x80 and NUL. */
    static const char bad[] = "+/= \t\n\r%*\\\"'\x80\xff";
    jwk_t *k = import(RFC7520_HMAC_JWK, false);
    char *tok = sign_hdr(k, "{\"alg\":\"HS256\",\"kid\":\"" RFC7520_HMAC_KID "\"}",
                         "{\"sub\":\"u\",\"x\":\"~~~>>>\?\?\?\"}");
    size_t len = strlen(tok);
    const char *d1 = strchr(tok, '.'), *d2 = strrchr(tok, '.');
    size_t starts[3] = {0, (size_t)(d1 + 1 - tok), (size_t)(d2 + 1 - tok)};
    size_t ends[3] = {(size_t)(d1 - tok), (size_t)(d2 - tok), len};
    char *x = malloc(len + 2);
    rec_t *r = calloc(1, sizeof(*r));

    assert_non_null(x);
    assert_non_null(r);
    r->key = k;
    expect_len(tok, len, ALL_ALGS, r, WX_OK, NULL, 1);
    for (int part = 0; part < 3; part++) {
        for (size_t c = 0; c < sizeof(bad); c++) { /* the last one is the NUL */
            /* Replacing the part's second character ... */
            memcpy(x, tok, len + 1);
            x[starts[part] + 1] = bad[c];
            expect_len(x, len, ALL_ALGS, r, WX_EINVAL, part_msg[part], 0);
            /* ... and appended to the part. */
            memcpy(x, tok, ends[part]);
            x[ends[part]] = bad[c];
            memcpy(x + ends[part] + 1, tok + ends[part], len - ends[part] + 1);
            expect_len(x, len + 1, ALL_ALGS, r, WX_EINVAL, part_msg[part], 0);
        }
    }
    /* The whole token in the standard alphabet. The HS256 signature and this payload hold
     * '-' or '_' somewhere, so at least one part changes. */
    memcpy(x, tok, len + 1);
    for (size_t i = 0; i < len; i++)
        x[i] = x[i] == '-' ? '+' : x[i] == '_' ? '/' : x[i];
    assert_string_not_equal(x, tok);
    expect_len(x, len, ALL_ALGS, r, WX_EINVAL, "not valid base64url", 0);
    /* White space around the whole token, as a careless Authorization parser might leave it. */
    static const char *const wrap[][2] = {
        {" ", ""}, {"", " "}, {"", "\n"}, {"", "\r\n"}, {"\t", ""}};
    for (size_t i = 0; i < WX_ARRAY_LEN(wrap); i++) {
        wx_buf_t b;
        wx_buf_init(&b, 16384);
        assert_int_equal(wx_buf_printf(&b, "%s%s%s", wrap[i][0], tok, wrap[i][1]), WX_OK);
        expect_len(b.data, b.len, ALL_ALGS, r, WX_EINVAL, "not valid base64url", 0);
        wx_buf_free(&b);
    }
    free(r);
    free(x);
    free(tok);
    jwk_free(k);
}

static void
test_padding_and_stray_bits(void **state)
{
    static const char *const part_msg[] = {"header is not valid base64url",
                                           "payload is not valid base64url",
                                           "signature is not valid base64url"};
    static const char *const pads[] = {"=", "==", "===", "===="};
    pair_t p[4];
    rec_t *r = calloc(1, sizeof(*r));
    assert_non_null(r);
    pairs_load(p);
    for (int i = 0; i < 4; i++) {
        char *tok = sign_alg(&p[i], "{\"sub\":\"u\"}");
        r->key = p[i].pub;
        for (int part = 0; part < 3; part++) {
            char *orig = part_of(tok, part);
            size_t n = strlen(orig);
            for (size_t k = 0; k < WX_ARRAY_LEN(pads); k++) {
                wx_buf_t b;
                char *x = NULL;
                wx_buf_init(&b, 16384);
                assert_int_equal(wx_buf_printf(&b, "%s%s", orig, pads[k]), WX_OK);
                x = replace_part(tok, part, b.data);
                expect_len(x, strlen(x), ALL_ALGS, r, WX_EINVAL, part_msg[part], 0);
                free(x);
                wx_buf_free(&b);
            }
            /* The last character with a low bit set that the byte string does not use: the same
             * bytes spelt another way. Only when the part ends in a partial group. */
            if (n % 4 == 2 || n % 4 == 3) {
                char *x = NULL;
                orig[n - 1] = ALPHABET[(strchr(ALPHABET, orig[n - 1]) - ALPHABET) | 1];
                x = replace_part(tok, part, orig);
                expect_len(x, strlen(x), ALL_ALGS, r, WX_EINVAL, part_msg[part], 0);
                free(x);
            }
            free(orig);
        }
        free(tok);
    }
    free(r);
    pairs_free(p);
}

/* The n strings in parts joined with dots. */
static char *
join(size_t n, const char *const *parts)
{
    wx_buf_t b;
    wx_buf_init(&b, 65536);
    for (size_t i = 0; i < n; i++) {
        if (i)
            assert_int_equal(wx_buf_puts(&b, "."), WX_OK);
        assert_int_equal(wx_buf_puts(&b, parts[i]), WX_OK);
    }
    return wx_buf_steal(&b);
}

static void
test_part_count(void **state)
{
    jwk_t *k = import(RFC7520_HMAC_JWK, false);
    char *tok = sign_hdr(k, "{\"alg\":\"HS256\"}", "{\"sub\":\"u\"}");
    char *h = part_of(tok, 0), *p = part_of(tok, 1), *s = part_of(tok, 2);
    const char *const one[] = {h};
    const char *const two[] = {h, p};           /* no signature part */
    const char *const trailing[] = {tok, ""};   /* a fourth, empty part */
    const char *const leading[] = {"", tok};    /* an empty first part */
    const char *const four[] = {h, p, s, s};    /* a signature twice */
    const char *const extra[] = {h, "", p, s};  /* an empty part in the middle */
    const char *const jwe[] = {h, p, "", s, s}; /* five parts, shaped like a JWE */
    const struct {
        size_t n;
        const char *const *parts;
    } cases[] = {{1, one}, {2, two}, {2, trailing}, {2, leading}, {4, four}, {4, extra}, {5, jwe}};
    for (size_t i = 0; i < WX_ARRAY_LEN(cases); i++) {
        char *x = join(cases[i].n, cases[i].parts);
        expect_key(x, ALL_ALGS, k, WX_EINVAL, "exactly three parts", 0);
        free(x);
    }
    static const char *const dots[] = {"", ".", "....", "....."};
    for (size_t i = 0; i < WX_ARRAY_LEN(dots); i++)
        expect_key(dots[i], ALL_ALGS, k, WX_EINVAL, "exactly three parts", 0);
    /* Two dots and nothing else is three empty parts: well formed, and the header is empty. */
    expect_key("..", ALL_ALGS, k, WX_EINVAL, "header is not a JSON object", 0);
    free(h);
    free(p);
    free(s);
    free(tok);
    jwk_free(k);
}

/* --- JSON --- */

static void
test_header_not_object(void **state)
{
    /* Each with a genuine MAC by the real key over exactly these bytes. */
    static const struct {
        const char *s;
        size_t n;
    } headers[] = {
#define H(lit) {lit, sizeof(lit) - 1}
        H(""),
        H(" "),
        H("[]"),
        H("[{\"alg\":\"HS256\"}]"),
        H("\"HS256\""),
        H("1"),
        H("null"),
        H("true"),
        H("{"),
        H("{\"alg\":\"HS256\""),
        H("{\"alg\":\"HS256\"}x"),
        H("{\"alg\":\"HS256\"}{}"),
        H("{\"alg\":\"HS256\"}{\"alg\":\"none\"}"),
        H("\xef\xbb\xbf{\"alg\":\"HS256\"}"),
        H("{'alg':'HS256'}"),
        H("{alg:\"HS256\"}"),
        H("{\"alg\":\"HS256\",}"),
        H("{\"alg\":\"HS256\"}\0"),
        H("{\"alg\":\"HS256\",\"x\":\"\xff\"}"),
        H("{\"alg\":\"HS256\",\"x\":\"\xc0\xaf\"}"),
        H("{\"alg\":\"HS256\",\"x\":NaN}"),
#undef H
    };
    jwk_t *k = import(RFC7520_HMAC_JWK, false);
    wx_buf_t deep;
    char *tok = NULL;
    for (size_t i = 0; i < WX_ARRAY_LEN(headers); i++) {
        tok = hs256_raw(headers[i].s, headers[i].n, "{}", 2);
        expect_key(tok, ALL_ALGS, k, WX_EINVAL, "header is not a JSON object", 0);
        free(tok);
    }
    /* Nesting past jansson's depth limit is refused, not a stack overflow; under it, it is
     * only an ignored member. */
    for (int depth = 2000; depth <= 2100; depth += 100) {
        wx_buf_init(&deep, 16384);
        assert_int_equal(wx_buf_puts(&deep, "{\"alg\":\"HS256\",\"x\":"), WX_OK);
        for (int i = 0; i < depth; i++)
            assert_int_equal(wx_buf_puts(&deep, "["), WX_OK);
        for (int i = 0; i < depth; i++)
            assert_int_equal(wx_buf_puts(&deep, "]"), WX_OK);
        assert_int_equal(wx_buf_puts(&deep, "}"), WX_OK);
        tok = hs256_raw(deep.data, deep.len, "{}", 2);
        if (depth < JSON_PARSER_MAX_DEPTH)
            expect_ok(tok, ALL_ALGS, k);
        else
            expect_key(tok, ALL_ALGS, k, WX_EINVAL, "header is not a JSON object", 0);
        free(tok);
        wx_buf_free(&deep);
    }
    jwk_free(k);
}

static void
test_payload_not_object(void **state)
{
    /* Genuine signatures by the real key: the payload rule runs after the signature, and a
     * signed non-object still does not pass. */
    static const struct {
        const char *s;
        size_t n;
    } payloads[] = {
#define P(lit) {lit, sizeof(lit) - 1}
        P(""),
        P(" "),
        P("[]"),
        P("[{\"sub\":\"admin\"}]"),
        P("\"admin\""),
        P("1"),
        P("null"),
        P("{"),
        P("{}x"),
        P("{\"sub\":\"a\"}{\"sub\":\"b\"}"),
        P("{\"sub\":\"\xff\"}"),
        P("{\"sub\":\"admin\\u0000user\"}"),
        P("{\"sub\":\"a\"}\0"),
#undef P
    };
    jwk_t *k = import(RFC7520_HMAC_JWK, false);
    for (size_t i = 0; i < WX_ARRAY_LEN(payloads); i++) {
        char *tok = hs256_raw("{\"alg\":\"HS256\"}", 15, payloads[i].s, payloads[i].n);
        expect_key(tok, ALL_ALGS, k, WX_EINVAL, "payload is not a JSON object", 1);
        free(tok);
    }
    jwk_free(k);
}

static void
test_duplicate_members(void **state)
{
    /* What happens: jws_verify parses with JSON_REJECT_DUPLICATES, so a header or payload with
     * a member twice, at any depth and however spelt (escapes are decoded first), is not JSON
     * to us and is refused. No first-wins or last-wins reading exists that another parser could
     * disagree with. The tokens carry genuine MACs by the real key. */
    static const char *const headers[] = {
        "{\"alg\":\"HS256\",\"alg\":\"none\"}",
        "{\"alg\":\"none\",\"alg\":\"HS256\"}",
        "{\"alg\":\"HS256\",\"alg\":\"HS256\"}",
        "{\"alg\":\"HS256\",\"alg\":\"RS256\"}",
        "{\"alg\":\"HS256\",\"\\u0061lg\":\"none\"}",
        "{\"alg\":\"HS256\",\"kid\":\"" RFC7520_HMAC_KID "\",\"kid\":\"other\"}",
        "{\"alg\":\"HS256\",\"crit\":[\"x\"],\"crit\":null}",
        "{\"alg\":\"HS256\",\"x\":{\"a\":1,\"a\":2}}",
    };
    static const char *const payloads[] = {
        "{\"sub\":\"user\",\"sub\":\"admin\"}",
        "{\"sub\":\"user\",\"\\u0073ub\":\"admin\"}",
        "{\"sub\":\"user\",\"roles\":{\"admin\":false,\"admin\":true}}",
    };
    jwk_t *k = import(RFC7520_HMAC_JWK, false);
    rec_t *r = calloc(1, sizeof(*r));
    json_t *h = NULL;
    wx_err_t err = {0};
    char *tok = NULL;

    assert_non_null(r);
    r->key = k;
    for (size_t i = 0; i < WX_ARRAY_LEN(headers); i++) {
        tok = hs256_str(headers[i], "{\"sub\":\"u\"}");
        expect_key(tok, ALL_ALGS, k, WX_EINVAL, "header is not a JSON object", 0);
        free(tok);
    }
    for (size_t i = 0; i < WX_ARRAY_LEN(payloads); i++) {
        tok = hs256_str("{\"alg\":\"HS256\"}", payloads[i]);
        expect_key(tok, ALL_ALGS, k, WX_EINVAL, "payload is not a JSON object", 1);
        free(tok);
    }
    /* Names are case-sensitive: "ALG" is just another (ignored) member, and only "alg" counts. */
    tok = hs256_str("{\"ALG\":\"none\",\"Alg\":\"none\",\"alg\":\"HS256\"}", "{\"sub\":\"u\"}");
    assert_int_equal(jws_verify(tok, strlen(tok), ALL_ALGS, lookup_rec, r, &h, NULL, NULL, &err),
                     WX_OK);
    assert_string_equal(json_string_value(json_object_get(h, "alg")), "HS256");
    assert_string_equal(r->alg, "HS256");
    json_decref(h);
    free(tok);
    free(r);
    jwk_free(k);
}

/* --- size --- */

/* A genuine HS256 token of exactly len bytes: {"alg":"HS256"} (20 characters encoded), a 43
 * character MAC and a {"p":"xxx..."} payload sized to fit. */
static char *
hs256_of_len(size_t len)
{
    size_t p64 = len - 20 - 43 - 2;
    size_t plen = p64 / 4 * 3 + (p64 % 4 ? p64 % 4 - 1 : 0);
    char *payload = malloc(plen + 1);
    char *tok = NULL;
    assert_true(p64 % 4 != 1);
    assert_non_null(payload);
    memset(payload, 'x', plen);
    memcpy(payload, "{\"p\":\"", 6);
    memcpy(payload + plen - 2, "\"}", 2);
    payload[plen] = '\0';
    tok = hs256_str("{\"alg\":\"HS256\"}", payload);
    assert_int_equal(strlen(tok), len);
    free(payload);
    return tok;
}

static void
test_too_big_before_anything(void **state)
{
    jwk_t *k = import(RFC7520_HMAC_JWK, false);
    char *at = hs256_of_len(JWS_MAX_TOKEN);
    char *over = hs256_of_len(JWS_MAX_TOKEN + 1);
    char *junk = malloc(JWS_MAX_TOKEN + 2);
    char *tiny = malloc(16);
    rec_t *r = calloc(1, sizeof(*r));

    assert_non_null(junk);
    assert_non_null(tiny);
    assert_non_null(r);
    r->key = k;
    /* The largest token taken verifies; one byte more, valid in every other way, is refused
     * before the key is looked up (so before any crypto). */
    expect_len(at, JWS_MAX_TOKEN, ALL_ALGS, r, WX_OK, NULL, 1);
    expect_len(over, JWS_MAX_TOKEN + 1, ALL_ALGS, r, WX_ETOOBIG, "larger than", 0);
    /* Garbage of that size gets the size error, not a parse error. */
    memset(junk, '.', JWS_MAX_TOKEN + 1);
    junk[JWS_MAX_TOKEN + 1] = '\0';
    expect_len(junk, JWS_MAX_TOKEN + 1, ALL_ALGS, r, WX_ETOOBIG, "larger than", 0);
    /* And nothing is read: a 16-byte buffer claimed to be longer is refused on its length
     * alone (under AddressSanitizer any read past byte 16 would abort the test). */
    memcpy(tiny, "eyJhbGciOiJIUzI1", 16);
    expect_len(tiny, JWS_MAX_TOKEN + 1, ALL_ALGS, r, WX_ETOOBIG, "larger than", 0);
    expect_len(tiny, SIZE_MAX, ALL_ALGS, r, WX_ETOOBIG, "larger than", 0);
    free(r);
    free(tiny);
    free(junk);
    free(at);
    free(over);
    jwk_free(k);
}

/* --- alg against key type --- */

static void
test_alg_key_type_mismatch(void **state)
{
    /* Every token alg against every other key type: each token is genuinely signed for its
     * alg, the lookup hands back a key of another type, and the key-type rule refuses it before
     * any signature check. */
    pair_t p[4];
    pairs_load(p);
    for (int t = 0; t < 4; t++) {
        char *tok = sign_alg(&p[t], "{\"sub\":\"admin\"}");
        for (int k = 0; k < 4; k++) {
            if (k == t)
                expect_ok(tok, ALL_ALGS, p[k].pub);
            else
                expect_key(tok, ALL_ALGS, p[k].pub, WX_EDENIED, "key is not for the token's alg",
                           1);
        }
        free(tok);
    }
    /* The case named in the brief: an ES256 header for the server's RSA key, with an RSA
     * signature relabelled, and with a real ES256 signature from the attacker. */
    {
        char *rs = sign_alg(&p[0], "{\"sub\":\"admin\"}");
        char *h64 = b64("{\"alg\":\"ES256\",\"kid\":\"" RFC7520_BILBO_KID "\"}",
                        strlen("{\"alg\":\"ES256\",\"kid\":\"" RFC7520_BILBO_KID "\"}"));
        char *x = replace_part(rs, 0, h64);
        jwk_t *evil = generate("ES256", RFC7520_BILBO_KID);
        char *es = sign_hdr(evil, "{\"alg\":\"ES256\",\"kid\":\"" RFC7520_BILBO_KID "\"}",
                            "{\"sub\":\"admin\"}");
        expect_key(x, ALL_ALGS, p[0].pub, WX_EDENIED, "key is not for the token's alg", 1);
        expect_key(es, ALL_ALGS, p[0].pub, WX_EDENIED, "key is not for the token's alg", 1);
        free(es);
        jwk_free(evil);
        free(x);
        free(h64);
        free(rs);
    }
    pairs_free(p);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alg_none),
        cmocka_unit_test(test_alg_spellings),
        cmocka_unit_test(test_rs256_to_hs256_confusion),
        cmocka_unit_test(test_kid_tricks),
        cmocka_unit_test(test_embedded_jwk_never_used),
        cmocka_unit_test(test_key_urls_and_chains_ignored),
        cmocka_unit_test(test_crit_refused),
        cmocka_unit_test(test_b64_false),
        cmocka_unit_test(test_tampered_and_transplanted),
        cmocka_unit_test(test_empty_signature),
        cmocka_unit_test(test_truncated_and_shortened),
        cmocka_unit_test(test_signature_malleability),
        cmocka_unit_test(test_not_base64url),
        cmocka_unit_test(test_padding_and_stray_bits),
        cmocka_unit_test(test_part_count),
        cmocka_unit_test(test_header_not_object),
        cmocka_unit_test(test_payload_not_object),
        cmocka_unit_test(test_duplicate_members),
        cmocka_unit_test(test_too_big_before_anything),
        cmocka_unit_test(test_alg_key_type_mismatch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
