/* Token verification is hard to fool: a real wxauthd and emulator, real logins, and an attack
 * suite in which every forged, damaged, expired, revoked or misdirected token is refused by every
 * online endpoint (validate_token, introspection, /oidc/me, login-status, /auth/check) with the
 * exact reason, and by libwxauth through `wxauth token verify` (offline, against the JWKS), while
 * the genuine tokens next to it keep working.
 *
 * Where it matters the forged token is validly signed with the server's own key (opened from the
 * env's store with its master key), and a control token made the same way but without the flaw
 * is accepted, so each refusal can only come from the rule under test. Then key rotation, the
 * HS256 application mode and the ES256 and EdDSA pools. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/encoder.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "harness.h"
#include "harness_tokens.h"
#include "jose/jws.h"
#include "util/buf.h"
#include "util/clock.h"

#define DEMO_START "/oauth/wechatmp/url/demo"
#define HS_START                                                                                   \
    "/connections/social/wechat:webpage-authorization?app_id=hsapp&redirect_url="                  \
    "http%3A%2F%2F127.0.0.1%3A9%2Fhs-cb"

static const char R_ALG[] = "algorithm or key not accepted";
static const char R_KID[] = "unknown signing key";
static const char R_SIG[] = "bad signature";
static const char R_MALFORMED[] = "malformed token";
static const char R_EXPIRED[] = "token expired";
static const char R_REVOKED[] = "token revoked, or its user blocked or deleted";
static const char R_ISS[] = "wrong issuer";
static const char R_AUD[] = "wrong audience";
static const char R_TOO_LONG[] = "token too long";

static wxt_env_t env;
static char demo_secret[65], hs_secret[65], es_secret[65], ed_secret[65];
static wxtk_client_t demo_client = {"tok-app", demo_secret, "demo"};
static wxtk_client_t hs_client = {"hsapp", hs_secret, "demo"};
static wxtk_client_t es_client = {"es-app", es_secret, "espool"};
static wxtk_client_t ed_client = {"ed-app", ed_secret, "edpool"};

static int
group_setup(void **state)
{
    wxt_setup(&env, NULL);
    wxtk_app_create(&env,
                    (const char *const[]){"app", "create", "tok-app", "--pool", "demo",
                                          "--redirect", "http://127.0.0.1:9/tok-cb", NULL},
                    demo_secret);
    wxtk_app_create(&env,
                    (const char *const[]){"app", "create", "hsapp", "--pool", "demo", "--token-alg",
                                          "HS256", "--redirect", "http://127.0.0.1:9/hs-cb", NULL},
                    hs_secret);
    wxtk_pool_with_connection(&env, "espool", "ES256");
    wxtk_app_create(&env,
                    (const char *const[]){"app", "create", "es-app", "--pool", "espool", NULL},
                    es_secret);
    wxtk_pool_with_connection(&env, "edpool", "EdDSA");
    wxtk_app_create(&env,
                    (const char *const[]){"app", "create", "ed-app", "--pool", "edpool", NULL},
                    ed_secret);
    return 0;
}

static int
group_teardown(void **state)
{
    wxt_teardown(&env);
    return 0;
}

/* ---- helpers ---- */

/* A fresh person logged in to the demo pool; returns the token, the user id in sub. */
static char *
login_demo(const char *person, char *sub, size_t subn)
{
    wxtk_person_add(&env, person, person);
    return wxtk_login_token(&env, DEMO_START, person, sub, subn);
}

static char *
header_str(const char *token, const char *name)
{
    json_t *h = wxtk_part(token, 0);
    const char *v = json_string_value(json_object_get(h, name));
    char *out = v ? strdup(v) : NULL;
    json_decref(h);
    return out;
}

/* The claims of token, re-issued now: new jti, iat now, exp in an hour. */
static json_t *
fresh_claims(const char *token)
{
    static unsigned counter;
    char jti[64];
    json_t *c = wxtk_part(token, 1);
    int64_t now = (int64_t)time(NULL);
    snprintf(jti, sizeof(jti), "forged%ld%u", (long)now, ++counter);
    json_object_set_new(c, "jti", json_string(jti));
    json_object_set_new(c, "iat", json_integer(now));
    json_object_set_new(c, "exp", json_integer(now + 3600));
    return c;
}

/* Sign claims with the server's key kid (header as jws_sign makes it when header is NULL). */
static char *
forge(const char *kid, const char *header, const json_t *claims)
{
    jwk_t *k = wxtk_key(&env, kid);
    char *t = wxtk_sign(k, header, claims);
    jwk_free(k);
    return t;
}

static char *
replace_part(const char *token, int index, const char *with)
{
    wx_buf_t b;
    const char *start = token;
    wx_buf_init(&b, 65536);
    for (int i = 0; i < 3; i++) {
        const char *end = strchr(start, '.');
        size_t len = end ? (size_t)(end - start) : strlen(start);
        if (i)
            assert_int_equal(wx_buf_puts(&b, "."), WX_OK);
        assert_int_equal(i == index ? wx_buf_puts(&b, with) : wx_buf_append(&b, start, len), WX_OK);
        assert_true(end || i == 2);
        start = end ? end + 1 : start + len;
    }
    return wx_buf_steal(&b);
}

/* Header JSON {"alg":alg,"typ":"JWT","kid":kid} (no kid when NULL) plus one extra member
 * (taken, may be NULL). Caller frees. */
static char *
header_with(const char *alg, const char *kid, const char *name, json_t *value)
{
    json_t *h = json_pack("{s:s,s:s}", "alg", alg, "typ", "JWT");
    if (kid)
        json_object_set_new(h, "kid", json_string(kid));
    if (name)
        json_object_set_new(h, name, value);
    char *text = json_dumps(h, JSON_COMPACT);
    json_decref(h);
    return text;
}

/* Does token's signature equal HMAC-SHA256(secret, header64.payload64)? */
static bool
hmac_matches(const char *token, const char *secret)
{
    const char *dot2 = strrchr(token, '.');
    unsigned char mac[32];
    size_t maclen = 0;
    assert_non_null(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, secret, strlen(secret),
                              (const unsigned char *)token, (size_t)(dot2 - token), mac,
                              sizeof(mac), &maclen));
    char *sig = wxtk_b64(mac, maclen);
    bool same = strcmp(sig, dot2 + 1) == 0;
    free(sig);
    return same;
}

static char *
dup_part(const char *token, int index)
{
    const char *start = token;
    for (int i = 0; i < index; i++)
        start = strchr(start, '.') + 1;
    const char *end = strchr(start, '.');
    return strndup(start, end ? (size_t)(end - start) : strlen(start));
}

static json_t *
get_json(const char *path, long want_status)
{
    char url[256];
    wxtk_resp_t r;
    snprintf(url, sizeof(url), "%s%s", env.auth, path);
    assert_int_equal(wxtk_http("GET", url, NULL, NULL, &r), 0);
    if (r.status != want_status)
        fail_msg("GET %s: %ld %.300s", path, r.status, r.body);
    json_t *j = wxtk_json(&r);
    wxtk_resp_free(&r);
    return j;
}

/* The public JWK of kid in our JWKS, or NULL (caller json_decref()s). */
static json_t *
jwks_key(const char *kid)
{
    json_t *doc = get_json("/oidc/.well-known/jwks.json", 200), *k, *found = NULL;
    size_t i;
    json_array_foreach(json_object_get(doc, "keys"), i, k)
    {
        const char *kk = json_string_value(json_object_get(k, "kid"));
        if (kk && strcmp(kk, kid) == 0)
            found = json_incref(k);
    }
    json_decref(doc);
    return found;
}

/* A loopback TCP listener that nothing should ever connect to. */
static int
listener_open(int *port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t l = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(fd, 16), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &l), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

/* Connections waiting on the listener after a grace period (the kernel completes the
 * handshake and queues them whether or not we accept). */
static int
listener_hits(int fd, int wait_ms)
{
    int hits = 0;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    fcntl(fd, F_SETFL, O_NONBLOCK);
    if (poll(&p, 1, wait_ms) <= 0)
        return 0;
    for (int i = 0; i < 64; i++) {
        int c = accept(fd, NULL, NULL);
        if (c < 0)
            break;
        close(c);
        hits++;
    }
    return hits;
}

/* POST token to introspection as client c (form credentials); the HTTP status, and the answer's
 * "active" in *active. */
static long
introspect(const wxtk_client_t *c, const char *token, bool *active)
{
    char url[256];
    wxtk_resp_t r;
    char *esc = wxtk_escape(token);
    size_t fl = strlen(esc) + 256;
    char *form = malloc(fl);
    assert_non_null(form);
    snprintf(form, fl, "token=%s&client_id=%s&client_secret=%s", esc, c->id, c->secret);
    snprintf(url, sizeof(url), "%s/oidc/token/introspection", env.auth);
    assert_int_equal(
        wxtk_http("POST", url,
                  (const char *const[]){"Content-Type: application/x-www-form-urlencoded", NULL},
                  form, &r),
        0);
    json_t *j = wxtk_json(&r);
    *active = json_is_true(json_object_get(j, "active"));
    if (r.status == 200 && !*active && json_object_size(j) != 1)
        fail_msg("an inactive token's introspection says more than active:false: %s", r.body);
    long st = r.status;
    json_decref(j);
    wxtk_resp_free(&r);
    free(form);
    free(esc);
    return st;
}

static bool
introspect_active(const wxtk_client_t *c, const char *token)
{
    bool active = false;
    assert_int_equal(introspect(c, token, &active), 200);
    return active;
}

/* ---- the genuine article ---- */

static void
test_login_token_accepted(void **state)
{
    char sub[64];
    char *tok = login_demo("t-good", sub, sizeof(sub));
    json_t *h = wxtk_part(tok, 0), *p = wxtk_part(tok, 1);
    assert_string_equal(json_string_value(json_object_get(h, "alg")), "RS256");
    assert_string_equal(json_string_value(json_object_get(h, "typ")), "JWT");
    assert_true(strncmp(json_string_value(json_object_get(h, "kid")), "rs256-", 6) == 0);
    char iss[128];
    snprintf(iss, sizeof(iss), "%s/oidc", env.auth);
    assert_string_equal(json_string_value(json_object_get(p, "iss")), iss);
    assert_string_equal(json_string_value(json_object_get(p, "aud")), "demo");
    assert_string_equal(json_string_value(json_object_get(p, "sub")), sub);
    wxtk_expect_valid(&env, &demo_client, "login token", tok, sub);
    /* The JWKS publishes the key, and only its public half. */
    json_t *k = jwks_key(json_string_value(json_object_get(h, "kid")));
    assert_non_null(k);
    assert_string_equal(json_string_value(json_object_get(k, "kty")), "RSA");
    assert_string_equal(json_string_value(json_object_get(k, "use")), "sig");
    assert_null(json_object_get(k, "d"));
    /* An application of another pool learns nothing about this token... */
    assert_false(introspect_active(&es_client, tok));
    /* ...and an application with a wrong secret is no client at all. */
    char wrong[65];
    memcpy(wrong, demo_secret, sizeof(wrong));
    wrong[0] = wrong[0] == 'a' ? 'b' : 'a';
    wxtk_client_t impostor = {demo_client.id, wrong, demo_client.pool};
    bool active = true;
    assert_int_equal(introspect(&impostor, tok, &active), 401);
    assert_false(active);
    json_decref(k);
    json_decref(h);
    json_decref(p);
    free(tok);
}

/* ---- signature and key attacks ---- */

static void
test_alg_none(void **state)
{
    char sub[64], hdr[256];
    char *tok = login_demo("t-none", sub, sizeof(sub));
    char *kid = header_str(tok, "kid");
    char *payload64 = dup_part(tok, 1), *sig64 = dup_part(tok, 2);
    static const char *const nones[] = {"none", "None", "NONE", "nOnE"};
    for (size_t i = 0; i < 4; i++) {
        /* Unsigned, with and without the genuine signature left on, with and without our kid. */
        snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\",\"typ\":\"JWT\"}", nones[i]);
        char *h64 = wxtk_b64(hdr, strlen(hdr));
        size_t n = strlen(h64) + strlen(payload64) + strlen(sig64) + 4;
        char *t1 = malloc(n), *t2 = malloc(n);
        snprintf(t1, n, "%s.%s.", h64, payload64);
        snprintf(t2, n, "%s.%s.%s", h64, payload64, sig64);
        wxtk_expect_refused(&env, &demo_client, "alg none, empty signature", t1, R_ALG);
        wxtk_expect_refused(&env, &demo_client, "alg none, genuine signature", t2, R_ALG);
        free(t1);
        free(t2);
        free(h64);
        snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\",\"kid\":\"%s\"}", nones[i], kid);
        h64 = wxtk_b64(hdr, strlen(hdr));
        n = strlen(h64) + strlen(payload64) + 4;
        t1 = malloc(n);
        snprintf(t1, n, "%s.%s.", h64, payload64);
        wxtk_expect_refused(&env, &demo_client, "alg none with our kid", t1, R_ALG);
        free(t1);
        free(h64);
    }
    /* Algs we never accept, even signed by something, with our kid. */
    static const char *const others[] = {"HS512", "RS512", "PS256", "ES384", "rs256", "EdDSA "};
    for (size_t i = 0; i < 6; i++) {
        snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\",\"kid\":\"%s\"}", others[i], kid);
        char *h64 = wxtk_b64(hdr, strlen(hdr));
        char *t = replace_part(tok, 0, h64);
        wxtk_expect_refused(&env, &demo_client, others[i], t, R_ALG);
        free(t);
        free(h64);
    }
    /* No alg at all. */
    snprintf(hdr, sizeof(hdr), "{\"typ\":\"JWT\",\"kid\":\"%s\"}", kid);
    char *h64 = wxtk_b64(hdr, strlen(hdr));
    char *t = replace_part(tok, 0, h64);
    wxtk_expect_refused(&env, &demo_client, "no alg", t, R_MALFORMED);
    free(t);
    free(h64);
    wxtk_expect_valid(&env, &demo_client, "the genuine token", tok, sub);
    free(payload64);
    free(sig64);
    free(kid);
    free(tok);
}

/* The public key of an RSA private PEM in the forms an attacker might feed HMAC. */
typedef struct {
    char *spki_pem;
    char *pkcs1_pem;
    unsigned char *spki_der;
    size_t spki_der_len;
    unsigned char modulus[1024];
    size_t modulus_len;
} pubforms_t;

static void
pubforms(const char *private_pem, pubforms_t *f)
{
    BIO *in = BIO_new_mem_buf(private_pem, -1), *m1 = BIO_new(BIO_s_mem()),
        *m2 = BIO_new(BIO_s_mem());
    EVP_PKEY *pk = PEM_read_bio_PrivateKey(in, NULL, NULL, NULL);
    BIGNUM *n = NULL;
    char *data = NULL;
    long len;
    memset(f, 0, sizeof(*f));
    assert_non_null(pk);
    assert_int_equal(PEM_write_bio_PUBKEY(m1, pk), 1);
    len = BIO_get_mem_data(m1, &data);
    f->spki_pem = strndup(data, (size_t)len);
    OSSL_ENCODER_CTX *ec =
        OSSL_ENCODER_CTX_new_for_pkey(pk, EVP_PKEY_PUBLIC_KEY, "PEM", "type-specific", NULL);
    assert_non_null(ec);
    assert_int_equal(OSSL_ENCODER_to_bio(ec, m2), 1);
    len = BIO_get_mem_data(m2, &data);
    f->pkcs1_pem = strndup(data, (size_t)len);
    assert_non_null(strstr(f->pkcs1_pem, "BEGIN RSA PUBLIC KEY"));
    int dl = i2d_PUBKEY(pk, &f->spki_der);
    assert_true(dl > 0);
    f->spki_der_len = (size_t)dl;
    assert_int_equal(EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_N, &n), 1);
    f->modulus_len = (size_t)BN_bn2bin(n, f->modulus);
    BN_free(n);
    OSSL_ENCODER_CTX_free(ec);
    EVP_PKEY_free(pk);
    BIO_free(in);
    BIO_free(m1);
    BIO_free(m2);
}

static void
pubforms_free(pubforms_t *f)
{
    free(f->spki_pem);
    free(f->pkcs1_pem);
    OPENSSL_free(f->spki_der);
}

static void
test_rs256_to_hs256_confusion(void **state)
{
    char sub[64], hdr[256];
    char *tok = login_demo("t-confuse", sub, sizeof(sub));
    char *kid = header_str(tok, "kid");
    json_t *claims = fresh_claims(tok);
    pubforms_t f;
    char *pem = wxtk_key_pem(&env, kid);
    pubforms(pem, &f);
    free(pem);
    /* What an attacker has is the JWKS: check the modulus we feed HMAC is the published one. */
    json_t *pub = jwks_key(kid);
    assert_non_null(pub);
    char *n64 = wxtk_b64(f.modulus, f.modulus_len);
    assert_string_equal(n64, json_string_value(json_object_get(pub, "n")));
    char *jwk_text = json_dumps(pub, JSON_COMPACT);
    struct {
        const char *name;
        const void *p;
        size_t n;
    } secrets[] = {
        {"SPKI PEM", f.spki_pem, strlen(f.spki_pem)},
        {"SPKI PEM without the final newline", f.spki_pem, strlen(f.spki_pem) - 1},
        {"PKCS#1 PEM", f.pkcs1_pem, strlen(f.pkcs1_pem)},
        {"SPKI DER", f.spki_der, f.spki_der_len},
        {"raw modulus", f.modulus, f.modulus_len},
        {"modulus as base64url text", n64, strlen(n64)},
        {"the JWK as JSON", jwk_text, strlen(jwk_text)},
    };
    /* kids: ours (the RSA key), none, and applications that do not use HS256. */
    char kid_hdr[3][256];
    snprintf(kid_hdr[0], sizeof(kid_hdr[0]), "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"%s\"}",
             kid);
    snprintf(kid_hdr[1], sizeof(kid_hdr[1]), "{\"alg\":\"HS256\",\"typ\":\"JWT\"}");
    snprintf(kid_hdr[2], sizeof(kid_hdr[2]), "{\"alg\":\"HS256\",\"kid\":\"app.tok-app\"}");
    for (size_t i = 0; i < WX_ARRAY_LEN(secrets); i++) {
        for (int h = 0; h < 3; h++) {
            char what[128];
            snprintf(what, sizeof(what), "HS256 with the %s, header %d", secrets[i].name, h);
            char *t = wxtk_sign_hmac(kid_hdr[h], claims, secrets[i].p, secrets[i].n);
            wxtk_expect_refused(&env, &demo_client, what, t, R_KID);
            free(t);
        }
        /* An HS256 application's kid finds a real secret, which the public key is not. */
        snprintf(hdr, sizeof(hdr), "{\"alg\":\"HS256\",\"kid\":\"app.hsapp\"}");
        char *t = wxtk_sign_hmac(hdr, claims, secrets[i].p, secrets[i].n);
        wxtk_expect_refused(&env, &demo_client, "HS256 app kid, public key as secret", t, R_SIG);
        free(t);
    }
    /* Control: the same claims signed with the real key pass. */
    char *ok = forge(kid, NULL, claims);
    wxtk_expect_valid(&env, &demo_client, "control", ok, sub);
    free(ok);
    free(jwk_text);
    free(n64);
    json_decref(pub);
    pubforms_free(&f);
    json_decref(claims);
    free(kid);
    free(tok);
}

static void
test_unknown_and_hostile_kid(void **state)
{
    char sub[64], hdr[2048];
    char *tok = login_demo("t-kid", sub, sizeof(sub));
    char *kid = header_str(tok, "kid");
    json_t *claims = fresh_claims(tok);
    jwk_t *ours = wxtk_key(&env, kid);
    char longkid[1001];
    memset(longkid, 'a', 1000);
    longkid[1000] = '\0';
    static const char *const kids[] = {
        "rs256-0000000000000000",
        "",
        "../../etc/passwd",
        "../../../../../../etc/passwd",
        "/etc/passwd",
        "' OR '1'='1",
        "rs256-x' OR '1'='1' --",
        "\\\" OR 1=1; DROP TABLE signing_keys; --",
        "app.' OR '1'='1",
        "app.../../etc/passwd",
        "app.demo-app",
        "app.no-such-app",
        "%00",
        "rs256-",
        NULL,
    };
    for (int i = 0; kids[i]; i++) {
        /* Signed with our real key: only the kid is wrong. */
        snprintf(hdr, sizeof(hdr), "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"%s\"}", kids[i]);
        char *t = wxtk_sign(ours, hdr, claims);
        wxtk_expect_refused(&env, &demo_client, kids[i], t, R_KID);
        free(t);
        /* And as HS256 names, with a made-up secret. */
        snprintf(hdr, sizeof(hdr), "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"%s\"}", kids[i]);
        t = wxtk_sign_hmac(hdr, claims, "0123456789abcdef0123456789abcdef", 32);
        wxtk_expect_refused(&env, &demo_client, kids[i], t, R_KID);
        free(t);
    }
    snprintf(hdr, sizeof(hdr), "{\"alg\":\"RS256\",\"kid\":\"%s\"}", longkid);
    char *t = wxtk_sign(ours, hdr, claims);
    wxtk_expect_refused(&env, &demo_client, "1000-character kid", t, R_KID);
    free(t);
    /* No kid: we always set one, so a token without is not ours. */
    t = wxtk_sign(ours, "{\"alg\":\"RS256\",\"typ\":\"JWT\"}", claims);
    wxtk_expect_refused(&env, &demo_client, "no kid", t, R_KID);
    free(t);
    /* A kid that is not a string. */
    t = wxtk_sign(ours, "{\"alg\":\"RS256\",\"kid\":5}", claims);
    wxtk_expect_refused(&env, &demo_client, "numeric kid", t, R_MALFORMED);
    free(t);
    t = wxtk_sign(ours, "{\"alg\":\"RS256\",\"kid\":null}", claims);
    wxtk_expect_refused(&env, &demo_client, "null kid", t, R_MALFORMED);
    free(t);
    /* The store is intact and the server still answers: the control passes. */
    t = wxtk_sign(ours, NULL, claims);
    wxtk_expect_valid(&env, &demo_client, "control", t, sub);
    free(t);
    jwk_free(ours);
    json_decref(claims);
    free(kid);
    free(tok);
}

static void
test_keys_carried_in_the_token(void **state)
{
    char sub[64], url[64];
    int port = 0;
    int lfd = listener_open(&port);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/jwks.json", port);
    char *tok = login_demo("t-jku", sub, sizeof(sub));
    char *kid = header_str(tok, "kid");
    json_t *claims = fresh_claims(tok);
    jwk_t *attacker = NULL, *ours = wxtk_key(&env, kid);
    wx_err_t err = {0};
    assert_int_equal(jwk_generate("RS256", "attacker", &attacker, &err), WX_OK);
    json_t *ajwk = NULL;
    assert_int_equal(jwk_public_json(attacker, &ajwk, &err), WX_OK);
    json_t *ajwk_ourkid = json_deep_copy(ajwk);
    json_object_set_new(ajwk_ourkid, "kid", json_string(kid));
    struct {
        const char *what;
        const char *kid; /* NULL: none */
        const char *name;
        json_t *value;
        const char *reason;
    } cases[] = {
        {"jku, attacker kid", "attacker", "jku", json_string(url), R_KID},
        {"jku, our kid", kid, "jku", json_string(url), R_SIG},
        {"x5u, attacker kid", "attacker", "x5u", json_string(url), R_KID},
        {"x5u, our kid", kid, "x5u", json_string(url), R_SIG},
        {"embedded jwk, no kid", NULL, "jwk", json_deep_copy(ajwk), R_KID},
        {"embedded jwk, attacker kid", "attacker", "jwk", json_deep_copy(ajwk), R_KID},
        {"embedded jwk claiming our kid", kid, "jwk", json_deep_copy(ajwk_ourkid), R_SIG},
        {"x5c, attacker kid", "attacker", "x5c", json_pack("[s]", "MIIBIjANBgkqhkiG"), R_KID},
        {"x5c, our kid", kid, "x5c", json_pack("[s]", "MIIBIjANBgkqhkiG"), R_SIG},
    };
    for (size_t i = 0; i < WX_ARRAY_LEN(cases); i++) {
        char *hdr = header_with("RS256", cases[i].kid, cases[i].name, cases[i].value);
        char *t = wxtk_sign(attacker, hdr, claims);
        wxtk_expect_refused(&env, &demo_client, cases[i].what, t, cases[i].reason);
        free(t);
        free(hdr);
    }
    /* Signed by our key with all of them added: they are ignored (src/jose/jws.h), so the token
     * verifies, with our key only. */
    json_t *all = json_pack("{s:s,s:s,s:s,s:s,s:s,s:O}", "alg", "RS256", "typ", "JWT", "kid", kid,
                            "jku", url, "x5u", url, "jwk", ajwk_ourkid);
    char *hdr = json_dumps(all, JSON_COMPACT);
    json_decref(all);
    char *t = wxtk_sign(ours, hdr, claims);
    free(hdr);
    wxtk_expect_valid(&env, &demo_client, "our signature with jku/x5u/jwk", t, sub);
    free(t);
    /* Nothing ever fetched anything from the URLs in those headers. */
    assert_int_equal(listener_hits(lfd, 500), 0);
    close(lfd);
    json_decref(ajwk_ourkid);
    json_decref(ajwk);
    jwk_free(attacker);
    jwk_free(ours);
    json_decref(claims);
    free(kid);
    free(tok);
}

static void
test_crit_and_b64(void **state)
{
    char sub[64];
    char *tok = login_demo("t-crit", sub, sizeof(sub));
    char *kid = header_str(tok, "kid");
    json_t *claims = fresh_claims(tok);
    /* Signed with our key; only the extension is wrong. */
    json_t *hdrs[] = {
        json_pack("{s:s,s:s,s:[s],s:i}", "alg", "RS256", "kid", kid, "crit", "x-wx", "x-wx", 1),
        json_pack("{s:s,s:s,s:[s],s:i}", "alg", "RS256", "kid", kid, "crit", "exp", "exp", 1),
        json_pack("{s:s,s:s,s:[]}", "alg", "RS256", "kid", kid, "crit"),
        json_pack("{s:s,s:s,s:s}", "alg", "RS256", "kid", kid, "crit", "x-wx"),
        json_pack("{s:s,s:s,s:[s],s:b}", "alg", "RS256", "kid", kid, "crit", "b64", "b64", 0),
        json_pack("{s:s,s:s,s:b}", "alg", "RS256", "kid", kid, "b64", 1),
    };
    for (size_t i = 0; i < WX_ARRAY_LEN(hdrs); i++) {
        char *hdr = json_dumps(hdrs[i], JSON_COMPACT);
        char *t = forge(kid, hdr, claims);
        wxtk_expect_refused(&env, &demo_client, hdr, t, R_ALG);
        free(t);
        free(hdr);
        json_decref(hdrs[i]);
    }
    /* Control. */
    char *hdr = header_with("RS256", kid, "x-wx", json_integer(1));
    char *t = forge(kid, hdr, claims);
    wxtk_expect_valid(&env, &demo_client, "unknown header that is not crit", t, sub);
    free(t);
    free(hdr);
    json_decref(claims);
    free(kid);
    free(tok);
}

static void
test_signature_of_another_key(void **state)
{
    char sub[64], hdr[256];
    char *tok = login_demo("t-otherkey", sub, sizeof(sub));
    char *kid = header_str(tok, "kid");
    json_t *claims = fresh_claims(tok);
    static const char *const algs[] = {"RS256", "ES256", "EdDSA"};
    for (size_t i = 0; i < 3; i++) {
        jwk_t *k = NULL;
        wx_err_t err = {0};
        assert_int_equal(jwk_generate(algs[i], NULL, &k, &err), WX_OK);
        /* Our RSA kid: RS256 fails the signature, the others do not fit the key. */
        snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\",\"typ\":\"JWT\",\"kid\":\"%s\"}", algs[i], kid);
        char *t = wxtk_sign(k, hdr, claims);
        wxtk_expect_refused(&env, &demo_client, algs[i], t, i == 0 ? R_SIG : R_KID);
        free(t);
        jwk_free(k);
    }
    /* A genuine signature of another of our tokens. */
    char sub2[64];
    char *tok2 = login_demo("t-otherkey2", sub2, sizeof(sub2));
    char *sig2 = dup_part(tok2, 2);
    char *t = replace_part(tok, 2, sig2);
    wxtk_expect_refused(&env, &demo_client, "transplanted signature", t, R_SIG);
    free(t);
    free(sig2);
    free(tok2);
    json_decref(claims);
    free(kid);
    free(tok);
}

static void
test_payload_changed_after_signing(void **state)
{
    char sub[64], other_sub[64];
    char *tok = login_demo("t-tamper", sub, sizeof(sub));
    char *other = login_demo("t-tamper-victim", other_sub, sizeof(other_sub));
    json_t *p = wxtk_part(tok, 1);
    struct {
        const char *what;
        const char *key;
        json_t *value;
    } edits[] = {
        {"sub of another user", "sub", json_string(other_sub)},
        {"later exp", "exp", json_integer((json_int_t)time(NULL) + 10 * 365 * 86400)},
        {"other pool", "userPoolId", json_string("espool")},
        {"extra claim", "admin", json_true()},
        {"other aud", "aud", json_string("hsapp")},
    };
    for (size_t i = 0; i < WX_ARRAY_LEN(edits); i++) {
        json_t *c = json_deep_copy(p);
        json_object_set_new(c, edits[i].key, edits[i].value);
        char *text = json_dumps(c, JSON_COMPACT);
        char *p64 = wxtk_b64(text, strlen(text));
        char *t = replace_part(tok, 1, p64);
        wxtk_expect_refused(&env, &demo_client, edits[i].what, t, R_SIG);
        free(t);
        free(p64);
        free(text);
        json_decref(c);
    }
    /* Same claims, another serialisation (white space): the signature covers the bytes. */
    char *text = json_dumps(p, JSON_INDENT(1));
    char *p64 = wxtk_b64(text, strlen(text));
    char *t = replace_part(tok, 1, p64);
    wxtk_expect_refused(&env, &demo_client, "re-serialised payload", t, R_SIG);
    free(t);
    free(p64);
    free(text);
    /* The header's bytes are signed too. */
    char *kid = header_str(tok, "kid"), hdr[256];
    snprintf(hdr, sizeof(hdr), "{\"alg\":\"RS256\",\"kid\":\"%s\"}", kid);
    char *h64 = wxtk_b64(hdr, strlen(hdr));
    t = replace_part(tok, 0, h64);
    wxtk_expect_refused(&env, &demo_client, "header re-written", t, R_SIG);
    free(t);
    free(h64);
    free(kid);
    wxtk_expect_valid(&env, &demo_client, "the genuine token", tok, sub);
    wxtk_expect_valid(&env, &demo_client, "the victim's genuine token", other, other_sub);
    json_decref(p);
    free(other);
    free(tok);
}

static void
test_truncated_and_not_base64url(void **state)
{
    char sub[64];
    char *tok = login_demo("t-garbage", sub, sizeof(sub));
    size_t n = strlen(tok);
    char *h = dup_part(tok, 0), *p = dup_part(tok, 1), *s = dup_part(tok, 2);
    char *buf = malloc(2 * n + 64);
    assert_non_null(buf);
    snprintf(buf, 2 * n + 64, "%s.%s", h, p);
    wxtk_expect_refused(&env, &demo_client, "two parts", buf, R_MALFORMED);
    snprintf(buf, 2 * n + 64, "%s", h);
    wxtk_expect_refused(&env, &demo_client, "one part", buf, R_MALFORMED);
    snprintf(buf, 2 * n + 64, "%s.%s.%s.%s", h, p, s, s);
    wxtk_expect_refused(&env, &demo_client, "four parts (JWE-like)", buf, R_MALFORMED);
    snprintf(buf, 2 * n + 64, "..");
    wxtk_expect_refused(&env, &demo_client, "only dots", buf, R_MALFORMED);
    snprintf(buf, 2 * n + 64, "%s.%s.", h, p);
    wxtk_expect_refused(&env, &demo_client, "empty signature", buf, R_SIG);
    snprintf(buf, 2 * n + 64, "%s.%s.%s==", h, p, s);
    wxtk_expect_refused(&env, &demo_client, "padding on the signature", buf, R_MALFORMED);
    snprintf(buf, 2 * n + 64, "%s.%s.%s AAAA", h, p, s);
    wxtk_expect_refused(&env, &demo_client, "space in the signature", buf, R_MALFORMED);
    /* Cut: the signature to 4 characters (3 bytes, a valid encoding), the payload by 4
     * characters (still base64url, no longer what was signed), the header by 4 (no longer
     * JSON). */
    snprintf(buf, 2 * n + 64, "%s.%s.%.4s", h, p, s);
    wxtk_expect_refused(&env, &demo_client, "signature cut", buf, R_SIG);
    snprintf(buf, 2 * n + 64, "%s.%.*s.%s", h, (int)(strlen(p) - 4), p, s);
    wxtk_expect_refused(&env, &demo_client, "payload cut", buf, R_SIG);
    snprintf(buf, 2 * n + 64, "%.*s.%s.%s", (int)(strlen(h) - 4), h, p, s);
    wxtk_expect_refused(&env, &demo_client, "header cut", buf, R_MALFORMED);
    snprintf(buf, 2 * n + 64, "%s.%s.%.*s", h, p, (int)(strlen(s) - 1), s);
    wxtk_expect_refused(&env, &demo_client, "signature one short (impossible length)", buf,
                        R_MALFORMED);
    /* base64 (not url) alphabet, and bytes outside any alphabet, in each part. */
    static const char bad[] = {'+', '/', '=', '!', '%', '*'};
    for (int part = 0; part < 3; part++) {
        for (size_t b = 0; b < sizeof(bad); b++) {
            snprintf(buf, 2 * n + 64, "%s", tok);
            char *start = buf;
            for (int i = 0; i < part; i++)
                start = strchr(start, '.') + 1;
            start[2] = bad[b];
            char what[64];
            snprintf(what, sizeof(what), "'%c' in part %d", bad[b], part);
            wxtk_expect_refused(&env, &demo_client, what, buf, R_MALFORMED);
        }
    }
    /* Non-ASCII bytes. */
    snprintf(buf, 2 * n + 64, "%s.%s.%s\xc3\xa9", h, p, s);
    wxtk_expect_refused(&env, &demo_client, "UTF-8 in the signature", buf, R_MALFORMED);
    /* A header that is JSON but not an object, and a payload that is not JSON. */
    char *arr = wxtk_b64("[\"RS256\"]", 9);
    snprintf(buf, 2 * n + 64, "%s.%s.%s", arr, p, s);
    wxtk_expect_refused(&env, &demo_client, "array header", buf, R_MALFORMED);
    free(arr);
    wxtk_expect_valid(&env, &demo_client, "the genuine token", tok, sub);
    free(buf);
    free(h);
    free(p);
    free(s);
    free(tok);
}

/* ---- claims, each on a token validly signed with our key ---- */

static void
test_claims(void **state)
{
    char sub[64], iss[128], wrong[160];
    char *tok = login_demo("t-claims", sub, sizeof(sub));
    char *kid = header_str(tok, "kid");
    int64_t now = (int64_t)time(NULL);
    snprintf(iss, sizeof(iss), "%s/oidc", env.auth);
    struct {
        const char *what;
        const char *key;
        json_t *value; /* NULL: remove the claim */
        const char *reason;
    } cases[] = {
        {"expired an hour ago", "exp", json_integer(now - 3600), R_EXPIRED},
        {"expired past the leeway", "exp", json_integer(now - 120), R_EXPIRED},
        {"nbf in the future", "nbf", json_integer(now + 3600), "token not valid yet (nbf)"},
        {"iat in the future", "iat", json_integer(now + 3600), "token issued in the future (iat)"},
        {"no exp", "exp", NULL, "no exp claim"},
        {"exp not a number", "exp", json_string("9999999999"), "no exp claim"},
        {"no jti", "jti", NULL, "no usable jti claim"},
        {"no iss", "iss", NULL, R_ISS},
        {"foreign iss", "iss", json_string("https://evil.example/oidc"), R_ISS},
        {"our host without /oidc", "iss", json_string(env.auth), R_ISS},
        {"iss with a trailing slash", "iss", NULL, R_ISS}, /* filled below */
        {"aud of nobody", "aud", json_string("evil-app"), R_AUD},
        {"aud of another pool's application", "aud", json_string("es-app"), R_AUD},
        {"aud of another pool", "aud", json_string("espool"), R_AUD},
        {"no aud", "aud", NULL, R_AUD},
        {"aud as an array", "aud", json_pack("[s,s]", "demo", "evil-app"), R_AUD},
    };
    snprintf(wrong, sizeof(wrong), "%s/", iss);
    cases[10].value = json_string(wrong);
    for (size_t i = 0; i < WX_ARRAY_LEN(cases); i++) {
        json_t *c = fresh_claims(tok);
        if (cases[i].value)
            json_object_set_new(c, cases[i].key, cases[i].value);
        else
            json_object_del(c, cases[i].key);
        char *t = forge(kid, NULL, c);
        wxtk_expect_refused(&env, &demo_client, cases[i].what, t, cases[i].reason);
        free(t);
        json_decref(c);
    }
    /* Controls, made the same way: within the leeway, nbf now, and each audience we issue for
     * in this pool (the pool itself, its applications). */
    const char *auds[] = {"demo", "tok-app", "demo-app"};
    for (size_t i = 0; i < 3; i++) {
        json_t *c = fresh_claims(tok);
        json_object_set_new(c, "exp", json_integer(now - 5));
        json_object_set_new(c, "nbf", json_integer(now));
        json_object_set_new(c, "aud", json_string(auds[i]));
        char *t = forge(kid, NULL, c);
        wxtk_expect_valid(&env, &demo_client, auds[i], t, sub);
        free(t);
        json_decref(c);
    }
    free(kid);
    free(tok);
}

static void
test_token_over_8k(void **state)
{
    char sub[64];
    char *tok = login_demo("t-big", sub, sizeof(sub));
    char *kid = header_str(tok, "kid");
    json_t *c = fresh_claims(tok);
    /* Grow a padding claim until the signed token has the length we want. */
    long want[] = {8100, JWS_MAX_TOKEN + 1, 12000};
    char *toks[3];
    jwk_t *k = wxtk_key(&env, kid);
    for (int i = 0; i < 3; i++) {
        long pad = 0, len = 0;
        toks[i] = NULL;
        /* 3 bytes of claim are 4 characters of token: aim, then step to the first length at or
         * just past the target (base64url skips some lengths). */
        for (int tries = 0; tries < 64; tries++) {
            char *padding = malloc((size_t)pad + 1);
            memset(padding, 'x', (size_t)pad);
            padding[pad] = '\0';
            json_object_set_new(c, "pad", json_string(padding));
            free(padding);
            free(toks[i]);
            toks[i] = wxtk_sign(k, NULL, c);
            len = (long)strlen(toks[i]);
            if (len >= want[i] && len <= want[i] + 3)
                break;
            long step = (want[i] - len) * 3 / 4;
            pad += step ? step : (want[i] > len ? 1 : -1);
        }
        if (len < want[i] || len > want[i] + 3)
            fail_msg("could not make a %ld-byte token (got %ld)", want[i], len);
    }
    jwk_free(k);
    /* A large token under the limit is fine... */
    wxtk_expect_valid(&env, &demo_client, "8100-byte token", toks[0], sub);
    /* ...one over it is refused everywhere, at once, before any verification. */
    for (int i = 1; i < 3; i++) {
        char *esc = wxtk_escape(toks[i]);
        size_t bl = strlen(toks[i]) + 32, ul = strlen(esc) + 256;
        char *bearer = malloc(bl), *u = malloc(ul), *form = malloc(ul);
        snprintf(bearer, bl, "Authorization: Bearer %s", toks[i]);
        wxtk_resp_t r;
        /* In a query string or form it is over the server's 8 KB query limit. */
        snprintf(u, ul, "%s/api/v2/oidc/validate_token?id_token=%s", env.auth, esc);
        assert_int_equal(wxtk_http("GET", u, NULL, NULL, &r), 0);
        assert_int_equal(r.status, 414);
        assert_true(r.ms < 2000);
        wxtk_resp_free(&r);
        snprintf(u, ul, "%s/api/v2/users/login-status?token=%s", env.auth, esc);
        assert_int_equal(wxtk_http("GET", u, NULL, NULL, &r), 0);
        assert_int_equal(r.status, 414);
        wxtk_resp_free(&r);
        snprintf(u, ul, "%s/oidc/token/introspection", env.auth);
        snprintf(form, ul, "token=%s&client_id=tok-app&client_secret=%s", esc, demo_secret);
        assert_int_equal(wxtk_http("POST", u,
                                   (const char *const[]){
                                       "Content-Type: application/x-www-form-urlencoded", NULL},
                                   form, &r),
                         0);
        assert_int_equal(r.status, 400);
        assert_non_null(strstr(r.body, "invalid_request"));
        wxtk_resp_free(&r);
        /* As a Bearer token it reaches the handlers, which refuse it on its length alone. */
        const char *paths[] = {"/oidc/me", "/auth/check", "/api/v2/users/login-status"};
        for (int j = 0; j < 3; j++) {
            snprintf(u, ul, "%s%s", env.auth, paths[j]);
            assert_int_equal(wxtk_http("GET", u, (const char *const[]){bearer, NULL}, NULL, &r), 0);
            if (j < 2) {
                assert_int_equal(r.status, 401);
                assert_non_null(r.www_authenticate);
                assert_non_null(strstr(r.www_authenticate, "error=\"invalid_token\""));
            } else {
                assert_int_equal(r.status, 200);
                assert_non_null(strstr(r.body, "\"status\":false"));
            }
            assert_true(r.ms < 2000);
            assert_non_null(r.request_id);
            char rid[64];
            snprintf(rid, sizeof(rid), "\"rid\":\"%s\"", r.request_id);
            bool logged = false;
            for (int w = 0; w < 50 && !logged; w++) { /* the log line may trail the answer */
                logged = wxtk_log_has(
                    &env, (const char *const[]){rid, "token_refused", R_TOO_LONG, NULL});
                if (!logged)
                    usleep(20 * 1000);
            }
            if (!logged)
                fail_msg("%s: no token_refused/%s log line for %s", paths[j], R_TOO_LONG, rid);
            wxtk_resp_free(&r);
        }
        free(bearer);
        free(u);
        free(form);
        free(esc);
    }
    for (int i = 0; i < 3; i++)
        free(toks[i]);
    json_decref(c);
    free(kid);
    free(tok);
}

/* ---- revocation, logout, blocked and deleted users ---- */

static long
post_form(const char *path, const char *const *headers, const char *form, char **body)
{
    char url[256];
    wxtk_resp_t r;
    snprintf(url, sizeof(url), "%s%s", env.auth, path);
    assert_int_equal(wxtk_http("POST", url, headers, form, &r), 0);
    long st = r.status;
    if (body)
        *body = strdup(r.body ? r.body : "");
    wxtk_resp_free(&r);
    return st;
}

static long
revoke_token(const char *token, const char *client_id, const char *client_secret, char **body)
{
    char *esc = wxtk_escape(token);
    size_t n = strlen(esc) + 256;
    char *form = malloc(n);
    if (client_id)
        snprintf(form, n, "token=%s&client_id=%s&client_secret=%s", esc, client_id, client_secret);
    else
        snprintf(form, n, "token=%s", esc);
    long st = post_form(
        "/oidc/token/revocation",
        (const char *const[]){"Content-Type: application/x-www-form-urlencoded", NULL}, form, body);
    free(form);
    free(esc);
    return st;
}

static long
logout(const char *token, char **body)
{
    size_t n = strlen(token) + 32;
    char *h = malloc(n);
    snprintf(h, n, "Authorization: Bearer %s", token);
    long st = post_form("/api/v2/logout", (const char *const[]){h, NULL}, NULL, body);
    free(h);
    return st;
}

static void
test_revocation_and_logout(void **state)
{
    char sub[64], sub2[64], sub3[64], *body = NULL;
    char *t1 = login_demo("t-revoke", sub, sizeof(sub));
    char *t2 = wxtk_login_token(&env, DEMO_START, "t-revoke", sub2, sizeof(sub2));
    assert_string_equal(sub, sub2); /* two tokens of one user */
    wxtk_expect_valid(&env, &demo_client, "t1", t1, sub);
    wxtk_expect_valid(&env, &demo_client, "t2", t2, sub);
    /* Wrong client credentials: refused, and nothing is revoked. */
    assert_int_equal(revoke_token(t1, "tok-app", "0000", &body), 401);
    free(body);
    wxtk_expect_valid(&env, &demo_client, "t1 after a refused revocation", t1, sub);
    /* RFC 7009 revocation, by the token's holder. */
    assert_int_equal(revoke_token(t1, NULL, NULL, &body), 200);
    assert_string_equal(body, "{}");
    free(body);
    wxtk_expect_refused(&env, &demo_client, "revoked via /oidc/token/revocation", t1, R_REVOKED);
    wxtk_expect_valid(&env, &demo_client, "t2 after t1's revocation", t2, sub);
    /* Revoking again, or revoking garbage, is not an error (RFC 7009 §2.2). */
    assert_int_equal(revoke_token(t1, "tok-app", demo_secret, &body), 200);
    assert_string_equal(body, "{}");
    free(body);
    assert_int_equal(revoke_token("not.a.token", NULL, NULL, &body), 200);
    free(body);
    /* Logout revokes the Bearer token, once. */
    assert_int_equal(logout(t2, &body), 200);
    json_t *j = json_loads(body, 0, NULL);
    assert_int_equal(json_integer_value(json_object_get(j, "code")), 200);
    assert_string_equal(json_string_value(json_object_get(j, "message")), "已退出登录");
    json_decref(j);
    free(body);
    wxtk_expect_refused(&env, &demo_client, "revoked via /api/v2/logout", t2, R_REVOKED);
    assert_int_equal(logout(t2, &body), 401);
    free(body);
    assert_int_equal(logout(t1, &body), 401);
    free(body);
    /* The user is not locked out: a new login works. */
    char *t3 = wxtk_login_token(&env, DEMO_START, "t-revoke", sub3, sizeof(sub3));
    wxtk_expect_valid(&env, &demo_client, "a new login after logout", t3, sub);
    wxtk_expect_refused(&env, &demo_client, "t1 still", t1, R_REVOKED);
    free(t1);
    free(t2);
    free(t3);
}

/* Request ids (X-Request-Id, in logs and error pages) are 16 hex digits and never repeat, also
 * across the batches in which a worker draws them from the CSPRNG. */
static void
test_request_ids(void **state)
{
    enum { N = 300 };
    char(*ids)[17] = calloc(N, sizeof(*ids));
    char url[256];
    assert_non_null(ids);
    snprintf(url, sizeof(url), "%s/auth/check", env.auth);
    for (int i = 0; i < N; i++) {
        wxtk_resp_t r;
        assert_int_equal(wxtk_http("GET", url, NULL, NULL, &r), 0);
        assert_int_equal(r.status, 401);
        assert_non_null(r.request_id);
        assert_int_equal(strlen(r.request_id), 16);
        assert_int_equal(strspn(r.request_id, "0123456789abcdef"), 16);
        memcpy(ids[i], r.request_id, 17);
        for (int j = 0; j < i; j++)
            assert_string_not_equal(ids[j], ids[i]);
        wxtk_resp_free(&r);
    }
    free(ids);
}

static void
test_blocked_deleted_and_revoked_users(void **state)
{
    char sub[64], sub_other[64];
    wx_err_t err = {0};
    char *other = login_demo("t-bystander", sub_other, sizeof(sub_other));
    store_t *st = wxtk_store(&env);

    /* Blocked: every token refused, and no new login. */
    char *t = login_demo("t-blocked", sub, sizeof(sub));
    wxtk_expect_valid(&env, &demo_client, "before the block", t, sub);
    assert_int_equal(store_user_set_blocked(st, "demo", sub, true, &err), WX_OK);
    int64_t at = wx_mono_ms();
    wxtk_expect_refused_within_bound(&env, &demo_client, "user blocked", t, R_REVOKED, at);
    char url[256];
    wxt_resp_t fin = {0};
    wxt_result_t res;
    wxt_browser_t *b = wxt_browser_new(NULL);
    snprintf(url, sizeof(url), "%s%s", env.auth, DEMO_START);
    wxt_login(b, url, "t-blocked", "allow", &fin, NULL, 0);
    assert_int_equal(fin.status, 302);
    assert_true(wxt_parse_result(&env, fin.location, &res));
    assert_int_equal(res.code, 1006);
    assert_null(res.data);
    wxt_result_free(&res);
    wxt_resp_free(&fin);
    wxt_browser_free(b);
    free(t);

    /* Deleted: refused. */
    t = login_demo("t-deleted", sub, sizeof(sub));
    wxtk_expect_valid(&env, &demo_client, "before the delete", t, sub);
    assert_int_equal(store_user_delete(st, "demo", sub, &err), WX_OK);
    at = wx_mono_ms();
    wxtk_expect_refused_within_bound(&env, &demo_client, "user deleted", t, R_REVOKED, at);
    free(t);

    /* All of one user's tokens revoked at once: those issued up to that second are refused;
     * a login after it works. */
    t = login_demo("t-revoke-all", sub, sizeof(sub));
    wxtk_expect_valid(&env, &demo_client, "before the revoke-all", t, sub);
    assert_int_equal(store_user_revoke_tokens(st, "demo", sub, (int64_t)time(NULL), &err), WX_OK);
    at = wx_mono_ms();
    wxtk_expect_refused_within_bound(&env, &demo_client, "user's tokens revoked", t, R_REVOKED, at);
    sleep(1);
    char sub2[64];
    char *t2 = wxtk_login_token(&env, DEMO_START, "t-revoke-all", sub2, sizeof(sub2));
    wxtk_expect_valid(&env, &demo_client, "login after revoke-all", t2, sub);
    free(t2);
    free(t);

    /* Nobody else was touched. */
    wxtk_expect_valid(&env, &demo_client, "another user", other, sub_other);
    store_close(st);
    free(other);
}

/* ---- HS256 application mode ---- */

static void
test_hs256_application(void **state)
{
    char sub[64], sub_demo[64];
    wxtk_person_add(&env, "t-hs", "HS");
    char *tok = wxtk_login_token(&env, HS_START, "t-hs", sub, sizeof(sub));
    json_t *h = wxtk_part(tok, 0), *p = wxtk_part(tok, 1);
    assert_string_equal(json_string_value(json_object_get(h, "alg")), "HS256");
    assert_string_equal(json_string_value(json_object_get(h, "kid")), "app.hsapp");
    assert_string_equal(json_string_value(json_object_get(p, "aud")), "hsapp");
    /* HMAC-SHA256 under the application secret's bytes, as Authing's backends check it with
     * jwt.verify(token, appSecret). */
    const char hdr[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"app.hsapp\"}";
    assert_true(hmac_matches(tok, hs_secret));
    wxtk_expect_valid(&env, &hs_client, "HS256 login token", tok, sub);
    /* Never in the JWKS. */
    assert_null(jwks_key("app.hsapp"));

    /* Holding the secret lets an application's backend sign for its own application; it must
     * not let it mint tokens for other applications or pools. */
    char *demo_tok = login_demo("t-hs-victim", sub_demo, sizeof(sub_demo));
    json_t *c = fresh_claims(tok);
    char *t = wxtk_sign_hmac(hdr, c, hs_secret, strlen(hs_secret));
    wxtk_expect_valid(&env, &hs_client, "minted for its own application", t, sub);
    free(t);
    json_object_set_new(c, "aud", json_string("demo-app"));
    json_object_set_new(c, "sub", json_string(sub_demo));
    t = wxtk_sign_hmac(hdr, c, hs_secret, strlen(hs_secret));
    wxtk_expect_refused(&env, &demo_client, "HS256 minted for another application", t, R_AUD);
    free(t);
    json_object_set_new(c, "aud", json_string("demo"));
    t = wxtk_sign_hmac(hdr, c, hs_secret, strlen(hs_secret));
    wxtk_expect_refused(&env, &demo_client, "HS256 minted for the pool flow", t, R_AUD);
    free(t);
    json_object_set_new(c, "aud", json_string("hsapp"));
    json_object_set_new(c, "userPoolId", json_string("espool"));
    t = wxtk_sign_hmac(hdr, c, hs_secret, strlen(hs_secret));
    wxtk_expect_refused(&env, &es_client, "HS256 minted for another pool", t, R_AUD);
    free(t);
    json_decref(c);
    free(demo_tok);

    /* A new secret: the old tokens stop verifying at once; new logins use the new one. */
    char *out = wxtk_cli_ok(&env, (const char *const[]){"app", "reset-secret", "hsapp", NULL});
    char old_secret[65];
    memcpy(old_secret, hs_secret, sizeof(old_secret));
    assert_true(wxtk_find_secret(out, hs_secret));
    assert_string_not_equal(old_secret, hs_secret);
    free(out);
    wxtk_expect_refused(&env, &hs_client, "HS256 token after reset-secret", tok, R_SIG);
    char sub2[64];
    char *tok2 = wxtk_login_token(&env, HS_START, "t-hs", sub2, sizeof(sub2));
    wxtk_expect_valid(&env, &hs_client, "HS256 token with the new secret", tok2, sub);
    assert_true(hmac_matches(tok2, hs_secret));
    assert_false(hmac_matches(tok2, old_secret));
    free(tok2);
    json_decref(h);
    json_decref(p);
    free(tok);
}

/* ---- ES256 and EdDSA pools ---- */

static void
check_pool_alg(const char *pool, const char *alg, const char *kid_prefix, const char *kty,
               const char *crv, const wxtk_client_t *client, const char *person)
{
    char sub[64], start[128], hdr[256];
    snprintf(start, sizeof(start), "/oauth/wechatmp/url/%s", pool);
    wxtk_person_add(&env, person, person);
    char *tok = wxtk_login_token(&env, start, person, sub, sizeof(sub));
    json_t *h = wxtk_part(tok, 0), *p = wxtk_part(tok, 1);
    const char *kid = json_string_value(json_object_get(h, "kid"));
    assert_string_equal(json_string_value(json_object_get(h, "alg")), alg);
    assert_true(strncmp(kid, kid_prefix, strlen(kid_prefix)) == 0);
    assert_string_equal(json_string_value(json_object_get(p, "aud")), pool);
    wxtk_expect_valid(&env, client, alg, tok, sub);
    json_t *k = jwks_key(kid);
    if (!k)
        fail_msg("%s key %s is not in the JWKS", alg, kid);
    assert_string_equal(json_string_value(json_object_get(k, "kty")), kty);
    assert_string_equal(json_string_value(json_object_get(k, "crv")), crv);
    assert_string_equal(json_string_value(json_object_get(k, "alg")), alg);
    assert_string_equal(json_string_value(json_object_get(k, "use")), "sig");
    assert_null(json_object_get(k, "d"));
    /* The tokens of this pool are its own: an application of the demo pool sees them inactive. */
    assert_false(introspect_active(&demo_client, tok));
    assert_true(introspect_active(client, tok));
    json_t *c = fresh_claims(tok);
    char *forged = forge(kid, NULL, c);
    wxtk_expect_valid(&env, client, "re-signed with the pool's key", forged, sub);
    free(forged);
    /* Another key of the same alg, claiming this kid. */
    jwk_t *attacker = NULL;
    wx_err_t err = {0};
    assert_int_equal(jwk_generate(alg, NULL, &attacker, &err), WX_OK);
    snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\",\"typ\":\"JWT\",\"kid\":\"%s\"}", alg, kid);
    forged = wxtk_sign(attacker, hdr, c);
    wxtk_expect_refused(&env, client, "another key with this pool's kid", forged, R_SIG);
    free(forged);
    jwk_free(attacker);
    /* This kid with another alg. */
    assert_int_equal(jwk_generate("RS256", NULL, &attacker, &err), WX_OK);
    snprintf(hdr, sizeof(hdr), "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"%s\"}", kid);
    forged = wxtk_sign(attacker, hdr, c);
    wxtk_expect_refused(&env, client, "RS256 with this pool's kid", forged, R_KID);
    free(forged);
    jwk_free(attacker);
    json_decref(c);
    json_decref(k);
    json_decref(h);
    json_decref(p);
    free(tok);
}

static void
test_es256_pool(void **state)
{
    check_pool_alg("espool", "ES256", "es256-", "EC", "P-256", &es_client, "t-es");
}

static void
test_eddsa_pool(void **state)
{
    check_pool_alg("edpool", "EdDSA", "eddsa-", "OKP", "Ed25519", &ed_client, "t-ed");
}

/* ---- key rotation ---- */

static void
test_key_rotation(void **state)
{
    char sub[64], sub_new[64];
    char *old_tok = login_demo("t-rotate", sub, sizeof(sub));
    char *old_kid = header_str(old_tok, "kid");
    char *out = wxtk_cli_ok(&env, (const char *const[]){"keys", "rotate", "--alg", "RS256", NULL});
    const char *p = strstr(out, "rs256-");
    assert_non_null(p);
    char new_kid[64];
    size_t kl = strspn(p, "rs256-0123456789abcdef");
    snprintf(new_kid, sizeof(new_kid), "%.*s", (int)kl, p);
    assert_string_not_equal(new_kid, old_kid);
    free(out);
    /* Old tokens keep working on every endpoint. */
    wxtk_expect_valid(&env, &demo_client, "token of the retired key", old_tok, sub);
    /* The rotation went through this server's admin API, so every worker signs with the new
     * key from the next login on (other nodes would take up to a minute, docs/admin.md): try
     * as many logins as there are workers, so each worker is likely to sign one. */
    char *new_tok = NULL;
    for (int i = 0; i < 4; i++) {
        char *t = wxtk_login_token(&env, DEMO_START, "t-rotate", sub_new, sizeof(sub_new));
        char *kid = header_str(t, "kid");
        assert_string_equal(kid, new_kid);
        free(kid);
        free(new_tok);
        new_tok = t;
    }
    wxtk_expect_valid(&env, &demo_client, "token of the new key", new_tok, sub);
    wxtk_expect_valid(&env, &demo_client, "token of the retired key, later", old_tok, sub);
    /* Every answer of the JWKS lists both (several requests: each worker keeps its own copy). */
    for (int i = 0; i < 4; i++) {
        json_t *a = jwks_key(old_kid), *b = jwks_key(new_kid);
        if (!a || !b)
            fail_msg("JWKS lists %s: %s, %s: %s", old_kid, a ? "yes" : "no", new_kid,
                     b ? "yes" : "no");
        json_decref(a);
        json_decref(b);
    }
    /* A forged token of the retired key is still a forgery. */
    char *kid_hdr = dup_part(old_tok, 0), *pl = dup_part(new_tok, 1), *sig = dup_part(new_tok, 2);
    size_t n = strlen(kid_hdr) + strlen(pl) + strlen(sig) + 3;
    char *mixed = malloc(n);
    snprintf(mixed, n, "%s.%s.%s", kid_hdr, pl, sig);
    wxtk_expect_refused(&env, &demo_client, "new signature under the old kid", mixed, R_SIG);
    free(mixed);
    free(kid_hdr);
    free(pl);
    free(sig);
    free(new_tok);
    free(old_kid);
    free(old_tok);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_login_token_accepted),
        cmocka_unit_test(test_es256_pool),
        cmocka_unit_test(test_eddsa_pool),
        cmocka_unit_test(test_alg_none),
        cmocka_unit_test(test_rs256_to_hs256_confusion),
        cmocka_unit_test(test_unknown_and_hostile_kid),
        cmocka_unit_test(test_keys_carried_in_the_token),
        cmocka_unit_test(test_crit_and_b64),
        cmocka_unit_test(test_signature_of_another_key),
        cmocka_unit_test(test_payload_changed_after_signing),
        cmocka_unit_test(test_truncated_and_not_base64url),
        cmocka_unit_test(test_claims),
        cmocka_unit_test(test_token_over_8k),
        cmocka_unit_test(test_request_ids),
        cmocka_unit_test(test_revocation_and_logout),
        cmocka_unit_test(test_blocked_deleted_and_revoked_users),
        cmocka_unit_test(test_hs256_application),
        cmocka_unit_test(test_key_rotation),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
