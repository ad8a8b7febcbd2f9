/* libwxauth (lib/, include/wxauth.h) against forged, damaged and misdirected tokens.
 *
 * Keys are made with src/jose, the JWKS is written to a file or served by a tiny HTTP server on
 * loopback run by this test (so it can count requests and change the document mid-test), and
 * every attack is made valid in every other respect: signed by the real key where possible, so
 * the refusal can only come from the rule under test. Each case checks the exact status, not
 * just "not OK". Then the JWKS life cycle (cache, refetch on unknown kid, rate limit, failures)
 * and eight threads sharing one verifier while the key set changes under them. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "jose/b64url.h"
#include "jose/jwk.h"
#include "jose/jws.h"
#include "util/buf.h"
#include "wxauth.h"

#define ISS "https://id.test/oidc"
#define AUD "shop-web"
#define HS_SECRET "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* ---- a tiny HTTP server on loopback ---- */

typedef struct {
    int fd;
    int port;
    pthread_t thread;
    atomic_bool stop;
    pthread_mutex_t mu;
    char *jwks;             /* served at /jwks.json */
    char cache_control[64]; /* "" for none */
    int status;             /* for /jwks.json */
    size_t big;             /* >0: serve this many bytes of padding instead */
    int delay_ms;           /* before answering /jwks.json */
    int jwks_hits;
    int other_hits; /* any other path: a verifier must never ask for one */
    char last_other[256];
} srv_t;

static srv_t srv;

static void
srv_set(const char *jwks, const char *cache_control)
{
    pthread_mutex_lock(&srv.mu);
    free(srv.jwks);
    srv.jwks = strdup(jwks);
    snprintf(srv.cache_control, sizeof(srv.cache_control), "%s", cache_control);
    srv.status = 200;
    srv.big = 0;
    srv.delay_ms = 0;
    pthread_mutex_unlock(&srv.mu);
}

static int
srv_hits(void)
{
    pthread_mutex_lock(&srv.mu);
    int n = srv.jwks_hits;
    pthread_mutex_unlock(&srv.mu);
    return n;
}

static void
send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

/* One request per connection, read with a time limit; the answer depends on the path. */
static void
srv_serve(int c)
{
    /* Empty at first: the previous request's bytes on this stack would otherwise end the read
     * loop at once, and closing with the new request unread resets the client's connection. */
    char req[4096] = "";
    size_t got = 0;
    struct pollfd p = {.fd = c, .events = POLLIN};
    while (got < sizeof(req) - 1 && !strstr(req, "\r\n\r\n")) {
        if (poll(&p, 1, 2000) <= 0)
            return;
        ssize_t r = recv(c, req + got, sizeof(req) - 1 - got, 0);
        if (r <= 0)
            return;
        got += (size_t)r;
        req[got] = '\0';
    }
    char path[256] = "";
    if (sscanf(req, "GET %255s ", path) != 1)
        return;
    pthread_mutex_lock(&srv.mu);
    bool is_jwks = strcmp(path, "/jwks.json") == 0;
    int delay = srv.delay_ms;
    if (is_jwks) {
        srv.jwks_hits++;
    } else {
        srv.other_hits++;
        snprintf(srv.last_other, sizeof(srv.last_other), "%s", path);
    }
    int status = is_jwks ? srv.status : 404;
    char *body = NULL;
    if (is_jwks && srv.big) {
        body = malloc(srv.big + 1);
        memset(body, ' ', srv.big);
        memcpy(body, "{\"keys\":[]}", 11);
        body[srv.big] = '\0';
    } else {
        body = strdup(is_jwks && srv.jwks ? srv.jwks : "{\"keys\":[]}");
    }
    char head[512];
    int hl = snprintf(head, sizeof(head),
                      "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                      "%s%s%sConnection: close\r\n\r\n",
                      status, strlen(body), srv.cache_control[0] ? "Cache-Control: " : "",
                      srv.cache_control, srv.cache_control[0] ? "\r\n" : "");
    pthread_mutex_unlock(&srv.mu);
    if (delay)
        usleep((useconds_t)delay * 1000);
    send_all(c, head, (size_t)hl);
    send_all(c, body, strlen(body));
    free(body);
}

static void *
srv_main(void *arg)
{
    struct pollfd p = {.fd = srv.fd, .events = POLLIN};
    while (!atomic_load(&srv.stop)) {
        if (poll(&p, 1, 100) <= 0)
            continue;
        int c = accept(srv.fd, NULL, NULL);
        if (c < 0)
            continue;
        srv_serve(c);
        close(c);
    }
    return NULL;
}

static int
listen_loopback(int *port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    assert_true(fd >= 0);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(fd, 64), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

/* ---- keys, documents and tokens ---- */

static jwk_t *rs, *es, *ed, *rs2, *evil, *evil_rs1;
static char jwks_path[600], tmpdir[512];
static char url[128], evil_url[128];
static char *doc_main, *doc_rotated, *doc_evil;

static jwk_t *
gen(const char *alg, const char *kid)
{
    jwk_t *k = NULL;
    wx_err_t err = {0};
    if (jwk_generate(alg, kid, &k, &err) != WX_OK)
        fail_msg("jwk_generate %s: %s", alg, err.msg);
    return k;
}

/* {"keys":[...]} of the public halves (caller frees). */
static char *
doc_of(jwk_t *const *keys, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *j = NULL;
        wx_err_t err = {0};
        assert_int_equal(jwk_public_json(keys[i], &j, &err), WX_OK);
        json_array_append_new(arr, j);
    }
    json_t *doc = json_pack("{s:o}", "keys", arr);
    char *s = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    return s;
}

static char *
b64(const void *p, size_t n)
{
    wx_buf_t b;
    wx_buf_init(&b, 65536);
    assert_int_equal(b64url_encode(p, n, &b), WX_OK);
    return wx_buf_steal(&b);
}

/* Standard claims valid now; the caller changes what the case is about. */
static json_t *
claims(void)
{
    int64_t now = (int64_t)time(NULL);
    return json_pack("{s:s,s:s,s:s,s:I,s:I,s:s,s:s}", "iss", ISS, "aud", AUD, "sub",
                     "64f0c0ffee0000000000beef", "iat", (json_int_t)now, "exp",
                     (json_int_t)(now + 3600), "jti", "jti-1", "nickname", "Alice");
}

/* Sign payload (taken over) with k: jws_sign's own header, or header verbatim. */
static char *
sign(const jwk_t *k, const char *header, json_t *payload)
{
    char *p = json_dumps(payload, JSON_COMPACT);
    wx_buf_t out;
    wx_err_t err = {0};
    wx_buf_init(&out, 65536);
    wx_status_t rc = header ? jws_sign_with_header(k, header, p, strlen(p), &out, &err)
                            : jws_sign(k, p, strlen(p), &out, &err);
    if (rc != WX_OK)
        fail_msg("sign: %s", err.msg);
    free(p);
    json_decref(payload);
    return wx_buf_steal(&out);
}

/* An HS256 token keyed with any bytes at all (a public key's PEM, its modulus, ...). */
static char *
sign_hmac_with(const void *secret, size_t n, const char *header, json_t *payload)
{
    jwk_t *k = NULL;
    wx_err_t err = {0};
    if (jwk_from_secret(secret, n, NULL, &k, &err) != WX_OK)
        fail_msg("secret of %zu bytes: %s", n, err.msg);
    char *t = sign(k, header, payload);
    jwk_free(k);
    return t;
}

/* header64.payload64.sig64 from raw header and payload text. */
static char *
craft(const char *header, const char *payload, const char *sig64)
{
    char *h = b64(header, strlen(header)), *p = b64(payload, strlen(payload));
    size_t n = strlen(h) + strlen(p) + strlen(sig64) + 3;
    char *t = malloc(n);
    snprintf(t, n, "%s.%s.%s", h, p, sig64);
    free(h);
    free(p);
    return t;
}

static char *
part(const char *token, int i)
{
    const char *s = token;
    for (int k = 0; k < i; k++)
        s = strchr(s, '.') + 1;
    size_t n = strcspn(s, ".");
    char *out = malloc(n + 1);
    memcpy(out, s, n);
    out[n] = '\0';
    return out;
}

static wxauth_verifier *
verifier(wxauth_options o)
{
    wxauth_verifier *v = NULL;
    char err[256] = "";
    wxauth_status st = wxauth_verifier_new(&o, &v, err, sizeof(err));
    if (st != WXAUTH_OK)
        fail_msg("verifier_new: %s (%s)", wxauth_status_str(st), err);
    return v;
}

static wxauth_options
file_opts(void)
{
    return (wxauth_options){.jwks_file = jwks_path, .issuer = ISS, .audience = AUD, .leeway = -1};
}

static wxauth_options
url_opts(void)
{
    return (wxauth_options){.jwks_url = url,
                            .issuer = ISS,
                            .audience = AUD,
                            .leeway = -1,
                            .refetch_min = 3600,
                            .cache_ttl = 3600,
                            .timeout_ms = 2000};
}

/* Verify and demand exactly want; the reason must be one non-empty line. */
static void
expect(wxauth_verifier *v, const char *token, wxauth_status want, const char *what)
{
    wxauth_claims *c = NULL;
    char err[256] = "";
    wxauth_status st = wxauth_verify(v, token, &c, err, sizeof(err));
    if (st != want)
        fail_msg("%s: got %s (%s), want %s", what, wxauth_status_str(st), err,
                 wxauth_status_str(want));
    if (st == WXAUTH_OK) {
        assert_non_null(c);
        assert_string_equal(wxauth_claims_string(c, "sub"), "64f0c0ffee0000000000beef");
    } else {
        assert_null(c);
        assert_true(err[0] != '\0');
        assert_null(strchr(err, '\n'));
    }
    wxauth_claims_free(c);
}

/* expect() for a token made on the spot, which it frees. */
static void
expect_free(wxauth_verifier *v, char *token, wxauth_status want, const char *what)
{
    expect(v, token, want, what);
    free(token);
}

static void
write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int
group_setup(void **state)
{
    const char *base = getenv("WX_TEST_TMP") ? getenv("WX_TEST_TMP") : "/tmp";
    mkdir(base, 0700);
    snprintf(tmpdir, sizeof(tmpdir), "%s/libwxauth-XXXXXX", base);
    assert_non_null(mkdtemp(tmpdir));
    curl_global_init(CURL_GLOBAL_DEFAULT);

    rs = gen("RS256", "rs-1");
    es = gen("ES256", "es-1");
    ed = gen("EdDSA", "ed-1");
    rs2 = gen("RS256", "rs-2");
    evil = gen("RS256", "evil-1");
    evil_rs1 = gen("RS256", "rs-1"); /* the attacker's key under the real key's kid */
    doc_main = doc_of((jwk_t *const[]){rs, es, ed}, 3);
    doc_rotated = doc_of((jwk_t *const[]){rs, es, ed, rs2}, 4);
    doc_evil = doc_of((jwk_t *const[]){evil}, 1);
    snprintf(jwks_path, sizeof(jwks_path), "%s/jwks.json", tmpdir);
    write_file(jwks_path, doc_main);

    pthread_mutex_init(&srv.mu, NULL);
    srv.fd = listen_loopback(&srv.port);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/jwks.json", srv.port);
    snprintf(evil_url, sizeof(evil_url), "http://127.0.0.1:%d/evil.json", srv.port);
    srv_set(doc_main, "");
    assert_int_equal(pthread_create(&srv.thread, NULL, srv_main, NULL), 0);
    return 0;
}

static int
group_teardown(void **state)
{
    atomic_store(&srv.stop, true);
    pthread_join(srv.thread, NULL);
    close(srv.fd);
    /* Nothing in any test may have made a verifier ask for anything but its JWKS. */
    if (srv.other_hits)
        fail_msg("a verifier requested %s (%d requests off the JWKS URL)", srv.last_other,
                 srv.other_hits);
    free(srv.jwks);
    pthread_mutex_destroy(&srv.mu);
    jwk_free(rs);
    jwk_free(es);
    jwk_free(ed);
    jwk_free(rs2);
    jwk_free(evil);
    jwk_free(evil_rs1);
    free(doc_main);
    free(doc_rotated);
    free(doc_evil);
    unlink(jwks_path);
    rmdir(tmpdir);
    curl_global_cleanup();
    return 0;
}

/* ---- the tokens we issue verify, with every alg, and the claims come back ---- */

static void
test_good_tokens(void **state)
{
    wxauth_verifier *v = verifier(file_opts());
    expect_free(v, sign(rs, NULL, claims()), WXAUTH_OK, "RS256");
    expect_free(v, sign(es, NULL, claims()), WXAUTH_OK, "ES256");
    expect_free(v, sign(ed, NULL, claims()), WXAUTH_OK, "EdDSA");

    char *tok = sign(rs, NULL, claims());
    wxauth_claims *c = NULL;
    long long n = 0;
    char err[128];
    assert_int_equal(wxauth_verify(v, tok, &c, err, sizeof(err)), WXAUTH_OK);
    assert_string_equal(wxauth_claims_string(c, "nickname"), "Alice");
    assert_null(wxauth_claims_string(c, "exp")); /* a number, not a string */
    assert_null(wxauth_claims_string(c, "missing"));
    assert_int_equal(wxauth_claims_int(c, "exp", &n), 0);
    assert_true(n > (long long)time(NULL));
    assert_int_equal(wxauth_claims_int(c, "nickname", &n), -1);
    assert_int_equal(n, 0);
    assert_int_equal(wxauth_claims_int(c, "missing", &n), -1);
    json_t *j = json_loads(wxauth_claims_json(c), 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "jti")), "jti-1");
    json_decref(j);
    wxauth_claims_free(c);
    free(tok);

    /* The allow-list narrows what the JWKS offers. */
    wxauth_options o = file_opts();
    o.algs = "ES256";
    wxauth_verifier *only_es = verifier(o);
    char *t = sign(rs, NULL, claims());
    expect(only_es, t, WXAUTH_ERR_ALG, "RS256 outside the list");
    free(t);
    t = sign(es, NULL, claims());
    expect(only_es, t, WXAUTH_OK, "ES256 inside the list");
    free(t);
    wxauth_verifier_free(only_es);
    wxauth_verifier_free(v);
}

/* Authing's HS256 with the application secret: only with the configured secret. */
static void
test_hs256(void **state)
{
    wxauth_options o = file_opts();
    o.hs256_secret = HS_SECRET;
    wxauth_verifier *v = verifier(o);
    wxauth_verifier *plain = verifier(file_opts());
    const char *hdr = "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"app.shop-web\"}";
    char *good = sign_hmac_with(HS_SECRET, strlen(HS_SECRET), hdr, claims());
    expect(v, good, WXAUTH_OK, "HS256 with the app secret");
    expect(plain, good, WXAUTH_ERR_ALG, "HS256 when no secret is configured");
    const char other[] = "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";
    char *bad = sign_hmac_with(other, strlen(other), hdr, claims());
    expect(v, bad, WXAUTH_ERR_SIGNATURE, "HS256 with another secret");
    /* An HS256-only verifier needs no JWKS at all. */
    wxauth_verifier *hs_only = verifier(
        (wxauth_options){.hs256_secret = HS_SECRET, .issuer = ISS, .audience = AUD, .leeway = -1});
    expect(hs_only, good, WXAUTH_OK, "HS256-only verifier");
    char *r = sign(rs, NULL, claims());
    expect(hs_only, r, WXAUTH_ERR_KID, "RS256 token, no JWKS");
    free(r);
    free(good);
    free(bad);
    wxauth_verifier_free(hs_only);
    wxauth_verifier_free(plain);
    wxauth_verifier_free(v);
}

/* ---- attacks ---- */

static void
test_alg_none(void **state)
{
    wxauth_verifier *v = verifier(file_opts());
    json_t *c = claims();
    char *p = json_dumps(c, JSON_COMPACT);
    json_decref(c);
    const char *headers[] = {
        "{\"alg\":\"none\",\"typ\":\"JWT\"}",
        "{\"alg\":\"None\",\"kid\":\"rs-1\"}",
        "{\"alg\":\"NONE\",\"kid\":\"rs-1\"}",
    };
    for (size_t i = 0; i < 3; i++) {
        char *t = craft(headers[i], p, "");
        expect(v, t, WXAUTH_ERR_ALG, headers[i]);
        free(t);
        /* With the real signature of the same bytes under RS256 pasted on. */
        char *real = sign(rs, NULL, json_loads(p, 0, NULL));
        char *sig = part(real, 2);
        t = craft(headers[i], p, sig);
        expect(v, t, WXAUTH_ERR_ALG, "alg none with a signature");
        free(t);
        free(sig);
        free(real);
    }
    /* Not even when the caller lists it. */
    wxauth_options o = file_opts();
    wxauth_verifier *nv = NULL;
    char err[128];
    o.algs = "RS256,none";
    assert_int_equal(wxauth_verifier_new(&o, &nv, err, sizeof(err)), WXAUTH_ERR_ARG);
    assert_null(nv);
    free(p);
    wxauth_verifier_free(v);
}

/* RS256 -> HS256: the attacker HMACs with what is public about the RSA key. */
static void
test_alg_confusion(void **state)
{
    wxauth_options o = file_opts();
    o.hs256_secret = HS_SECRET;
    wxauth_verifier *with_secret = verifier(o);
    wxauth_verifier *plain = verifier(file_opts());

    /* The public key as PEM (SubjectPublicKeyInfo), with and without the final newline. */
    wx_buf_t pem;
    wx_err_t err = {0};
    wx_buf_init(&pem, 65536);
    assert_int_equal(jwk_to_pem(rs, &pem, &err), WX_OK);
    BIO *in = BIO_new_mem_buf(pem.data, (int)pem.len);
    EVP_PKEY *pk = PEM_read_bio_PrivateKey(in, NULL, NULL, NULL);
    assert_non_null(pk);
    BIO *out = BIO_new(BIO_s_mem());
    assert_int_equal(PEM_write_bio_PUBKEY(out, pk), 1);
    char *pub = NULL;
    long publen = BIO_get_mem_data(out, &pub);
    assert_true(publen > 100);

    /* The modulus bytes and the JWK text, as other confusion attacks use. */
    json_t *pj = NULL;
    assert_int_equal(jwk_public_json(rs, &pj, &err), WX_OK);
    const char *n64 = json_string_value(json_object_get(pj, "n"));
    unsigned char *nbytes = NULL;
    size_t nlen = 0;
    assert_int_equal(b64url_decode(n64, strlen(n64), &nbytes, &nlen), WX_OK);
    char *jwk_text = json_dumps(pj, JSON_COMPACT);

    struct {
        const void *secret;
        size_t len;
        const char *what;
    } secrets[] = {
        {pub, (size_t)publen, "PEM public key"},
        {pub, (size_t)publen - 1, "PEM public key without newline"},
        {nbytes, nlen, "modulus bytes"},
        {jwk_text, strlen(jwk_text), "JWK text"},
    };
    const char *hdrs[] = {"{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"rs-1\"}",
                          "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"};
    for (size_t i = 0; i < WX_ARRAY_LEN(secrets); i++) {
        for (size_t h = 0; h < 2; h++) {
            char *t = sign_hmac_with(secrets[i].secret, secrets[i].len, hdrs[h], claims());
            expect(plain, t, WXAUTH_ERR_ALG, secrets[i].what);
            expect(with_secret, t, WXAUTH_ERR_SIGNATURE, secrets[i].what);
            free(t);
        }
    }
    /* And the other way: a token that says RS256 but names nothing but an EC key. */
    char *es_named = sign(rs, "{\"alg\":\"RS256\",\"kid\":\"es-1\"}", claims());
    expect(plain, es_named, WXAUTH_ERR_ALG, "RS256 token naming the ES256 key");
    free(es_named);

    free(jwk_text);
    free(nbytes);
    json_decref(pj);
    BIO_free(out);
    BIO_free(in);
    EVP_PKEY_free(pk);
    wx_buf_free(&pem);
    wxauth_verifier_free(plain);
    wxauth_verifier_free(with_secret);
}

static void
test_kid_tricks(void **state)
{
    wxauth_verifier *v = verifier(file_opts());
    wxauth_verifier *u = verifier(url_opts());
    int hits = srv_hits();
    const char *kids[] = {"nope",
                          "../../../../etc/passwd",
                          "../jwks.json",
                          "' OR 1=1 --",
                          "rs-1\" OR \"1\"=\"1",
                          "rs-1/../rs-1",
                          "RS-1",
                          "rs-1 ",
                          ""};
    for (size_t i = 0; i < WX_ARRAY_LEN(kids); i++) {
        json_t *h = json_pack("{s:s,s:s}", "alg", "RS256", "kid", kids[i]);
        char *hs = json_dumps(h, JSON_COMPACT);
        /* Signed by the real key: only the kid is wrong. */
        char *t = sign(rs, hs, claims());
        expect(v, t, WXAUTH_ERR_KID, kids[i]);
        expect(u, t, WXAUTH_ERR_KID, kids[i]);
        free(t);
        free(hs);
        json_decref(h);
    }
    /* The URL verifier refetched once for all of them (the rate limit), and never asked for
     * any path built from a kid (checked for every test in group_teardown). */
    assert_int_equal(srv_hits() - hits, 1);
    /* No kid and several keys: no guessing. */
    char *t = sign(rs, "{\"alg\":\"RS256\"}", claims());
    expect(v, t, WXAUTH_ERR_KID, "no kid");
    free(t);
    /* A kid that is not a string. */
    t = sign(rs, "{\"alg\":\"RS256\",\"kid\":1}", claims());
    expect(v, t, WXAUTH_ERR_MALFORMED, "numeric kid");
    free(t);
    wxauth_verifier_free(u);
    wxauth_verifier_free(v);
}

/* jku, x5u, jwk and x5c never choose the key, and jku/x5u are never fetched. */
static void
test_keys_carried_in_the_token(void **state)
{
    wxauth_verifier *u = verifier(url_opts());
    pthread_mutex_lock(&srv.mu);
    int other_before = srv.other_hits;
    pthread_mutex_unlock(&srv.mu);

    json_t *evil_jwk = NULL;
    wx_err_t err = {0};
    assert_int_equal(jwk_public_json(evil, &evil_jwk, &err), WX_OK);
    const char *fields[] = {"jku", "x5u"};
    for (size_t i = 0; i < 2; i++) {
        /* The evil JWKS really is at that URL on our server: fetching it would verify. */
        json_t *h =
            json_pack("{s:s,s:s,s:s}", "alg", "RS256", "kid", "evil-1", fields[i], evil_url);
        char *hs = json_dumps(h, JSON_COMPACT);
        char *t = sign(evil, hs, claims());
        expect(u, t, WXAUTH_ERR_KID, fields[i]);
        free(t);
        free(hs);
        json_decref(h);
        /* Under the real kid the attacker's signature does not verify with the real key. */
        h = json_pack("{s:s,s:s,s:s}", "alg", "RS256", "kid", "rs-1", fields[i], evil_url);
        hs = json_dumps(h, JSON_COMPACT);
        t = sign(evil_rs1, hs, claims());
        expect(u, t, WXAUTH_ERR_SIGNATURE, fields[i]);
        free(t);
        free(hs);
        json_decref(h);
    }
    /* An embedded jwk, with the attacker's kid, the real kid, and none. */
    const char *kids[] = {"evil-1", "rs-1", NULL};
    wxauth_status want[] = {WXAUTH_ERR_KID, WXAUTH_ERR_SIGNATURE, WXAUTH_ERR_KID};
    for (size_t i = 0; i < 3; i++) {
        json_t *h = json_pack("{s:s,s:O}", "alg", "RS256", "jwk", evil_jwk);
        if (kids[i])
            json_object_set_new(h, "kid", json_string(kids[i]));
        char *hs = json_dumps(h, JSON_COMPACT);
        char *t = sign(evil, hs, claims());
        expect(u, t, want[i], "embedded jwk");
        free(t);
        free(hs);
        json_decref(h);
    }
    /* x5c with junk is ignored: the real key's token still verifies. */
    char *t = sign(rs, "{\"alg\":\"RS256\",\"kid\":\"rs-1\",\"x5c\":[\"MIIB\"]}", claims());
    expect(u, t, WXAUTH_OK, "x5c ignored");
    free(t);

    pthread_mutex_lock(&srv.mu);
    int other_after = srv.other_hits;
    pthread_mutex_unlock(&srv.mu);
    assert_int_equal(other_after, other_before);
    json_decref(evil_jwk);
    wxauth_verifier_free(u);
}

static void
test_crit(void **state)
{
    wxauth_verifier *v = verifier(file_opts());
    const char *hdrs[] = {
        "{\"alg\":\"RS256\",\"kid\":\"rs-1\",\"crit\":[\"exp\"],\"exp\":1}",
        "{\"alg\":\"RS256\",\"kid\":\"rs-1\",\"crit\":[\"b64\"],\"b64\":false}",
        "{\"alg\":\"RS256\",\"kid\":\"rs-1\",\"crit\":[]}",
    };
    for (size_t i = 0; i < 3; i++) {
        char *t = sign(rs, hdrs[i], claims());
        expect(v, t, WXAUTH_ERR_CRIT, hdrs[i]);
        free(t);
    }
    wxauth_verifier_free(v);
}

static void
test_time_claims(void **state)
{
    wxauth_verifier *v = verifier(file_opts()); /* leeway 30 */
    wxauth_options o = file_opts();
    o.leeway = 0;
    wxauth_verifier *strict = verifier(o);
    int64_t now = (int64_t)time(NULL);
    json_t *c;
    char *t;

    c = claims();
    json_object_set_new(c, "exp", json_integer(now - 120));
    t = sign(rs, NULL, c);
    expect(v, t, WXAUTH_ERR_EXPIRED, "expired 2 minutes ago");
    free(t);

    /* Leeway, both ways: 10 s past exp passes with 30 s of leeway, not with none. */
    c = claims();
    json_object_set_new(c, "exp", json_integer(now - 10));
    t = sign(rs, NULL, c);
    expect(v, t, WXAUTH_OK, "expired 10 s ago, leeway 30");
    expect(strict, t, WXAUTH_ERR_EXPIRED, "expired 10 s ago, leeway 0");
    free(t);

    c = claims();
    json_object_set_new(c, "nbf", json_integer(now + 120));
    t = sign(rs, NULL, c);
    expect(v, t, WXAUTH_ERR_NOT_YET_VALID, "nbf in 2 minutes");
    free(t);

    c = claims();
    json_object_set_new(c, "nbf", json_integer(now + 10));
    t = sign(rs, NULL, c);
    expect(v, t, WXAUTH_OK, "nbf in 10 s, leeway 30");
    expect(strict, t, WXAUTH_ERR_NOT_YET_VALID, "nbf in 10 s, leeway 0");
    free(t);

    c = claims();
    json_object_set_new(c, "iat", json_integer(now + 120));
    t = sign(rs, NULL, c);
    expect(v, t, WXAUTH_ERR_NOT_YET_VALID, "issued in 2 minutes");
    free(t);

    c = claims();
    json_object_del(c, "exp");
    t = sign(rs, NULL, c);
    expect(v, t, WXAUTH_ERR_CLAIMS, "no exp");
    free(t);

    c = claims();
    json_object_set_new(c, "exp", json_string("tomorrow"));
    t = sign(rs, NULL, c);
    expect(v, t, WXAUTH_ERR_CLAIMS, "exp not a number");
    free(t);
    wxauth_verifier_free(strict);
    wxauth_verifier_free(v);
}

static void
test_iss_aud(void **state)
{
    wxauth_verifier *v = verifier(file_opts());
    json_t *c;
    char *t;

    c = claims();
    json_object_set_new(c, "iss", json_string("https://evil.test/oidc"));
    t = sign(rs, NULL, c);
    expect(v, t, WXAUTH_ERR_ISSUER, "wrong iss");
    /* Without a configured issuer the check is skipped. */
    wxauth_options o = file_opts();
    o.issuer = NULL;
    wxauth_verifier *any_iss = verifier(o);
    expect(any_iss, t, WXAUTH_OK, "no issuer configured");
    wxauth_verifier_free(any_iss);
    free(t);

    c = claims();
    json_object_del(c, "iss");
    t = sign(rs, NULL, c);
    expect(v, t, WXAUTH_ERR_ISSUER, "no iss");
    free(t);

    c = claims();
    json_object_set_new(c, "iss", json_string(ISS "/"));
    t = sign(rs, NULL, c);
    expect(v, t, WXAUTH_ERR_ISSUER, "iss with a trailing slash");
    free(t);

    c = claims();
    json_object_set_new(c, "aud", json_string("other-app"));
    t = sign(rs, NULL, c);
    expect(v, t, WXAUTH_ERR_AUDIENCE, "wrong aud");
    free(t);

    c = claims();
    json_object_set_new(c, "aud", json_pack("[s,s]", "other-app", AUD));
    t = sign(rs, NULL, c);
    expect(v, t, WXAUTH_OK, "aud array holding ours");
    free(t);

    c = claims();
    json_object_set_new(c, "aud", json_pack("[s,s]", "other-app", "shop-web2"));
    t = sign(rs, NULL, c);
    expect(v, t, WXAUTH_ERR_AUDIENCE, "aud array without ours");
    free(t);

    c = claims();
    json_object_del(c, "aud");
    t = sign(rs, NULL, c);
    expect(v, t, WXAUTH_ERR_AUDIENCE, "no aud");
    free(t);
    wxauth_verifier_free(v);
}

static void
test_tampering(void **state)
{
    wxauth_verifier *v = verifier(file_opts());
    char *good = sign(rs, NULL, claims());
    char *h = part(good, 0), *s = part(good, 2);

    /* The payload changed after signing: a different sub, signature kept. */
    json_t *c = claims();
    json_object_set_new(c, "sub", json_string("admin"));
    char *p = json_dumps(c, JSON_COMPACT);
    json_decref(c);
    char *p64 = b64(p, strlen(p));
    char t[16384];
    snprintf(t, sizeof(t), "%s.%s.%s", h, p64, s);
    expect(v, t, WXAUTH_ERR_SIGNATURE, "payload changed");

    /* Another key's signature under the real kid. */
    char *other = sign(evil_rs1, NULL, claims());
    expect(v, other, WXAUTH_ERR_SIGNATURE, "signed by another key with the same kid");
    /* The ES256 key's signature over an RS256-labelled token does not fit either. */
    char *es_tok = sign(es, NULL, claims());
    char *es_sig = part(es_tok, 2), *gp = part(good, 1);
    snprintf(t, sizeof(t), "%s.%s.%s", h, gp, es_sig);
    expect(v, t, WXAUTH_ERR_SIGNATURE, "signature from another token");

    /* Truncated and damaged encodings. */
    size_t len = strlen(good);
    /* Six characters fewer: 336 of 342, a whole number of base64 quanta, so still valid
     * base64url and only the signature's length is wrong. */
    snprintf(t, sizeof(t), "%.*s", (int)(len - 6), good);
    expect(v, t, WXAUTH_ERR_SIGNATURE, "signature cut short");
    snprintf(t, sizeof(t), "%s.%s", h, gp);
    expect(v, t, WXAUTH_ERR_MALFORMED, "two parts");
    snprintf(t, sizeof(t), "%s.%s.", h, gp);
    expect(v, t, WXAUTH_ERR_SIGNATURE, "empty signature");
    snprintf(t, sizeof(t), "%s.%s.%s.%s", h, gp, s, s);
    expect(v, t, WXAUTH_ERR_MALFORMED, "four parts");
    snprintf(t, sizeof(t), "%s", h);
    expect(v, t, WXAUTH_ERR_MALFORMED, "header only");
    expect(v, "", WXAUTH_ERR_MALFORMED, "empty token");
    expect(v, "..", WXAUTH_ERR_MALFORMED, "only dots");
    snprintf(t, sizeof(t), "%s=.%s.%s", h, gp, s);
    expect(v, t, WXAUTH_ERR_MALFORMED, "padding in the header");
    snprintf(t, sizeof(t), "%s.%s.%s==", h, gp, s);
    expect(v, t, WXAUTH_ERR_MALFORMED, "padding on the signature");
    snprintf(t, sizeof(t), "%s.%s+.%s", h, gp, s);
    expect(v, t, WXAUTH_ERR_MALFORMED, "'+' in the payload");
    snprintf(t, sizeof(t), "%s.%s.%s", h, gp, s);
    t[strlen(h) + 3] = '/';
    expect(v, t, WXAUTH_ERR_MALFORMED, "'/' in the payload");
    snprintf(t, sizeof(t), " %s", good);
    expect(v, t, WXAUTH_ERR_MALFORMED, "leading space");
    snprintf(t, sizeof(t), "%.*s.%s.%s", (int)(strlen(h) - 1), h, gp, s);
    expect(v, t, WXAUTH_ERR_MALFORMED, "header cut by one character");
    /* Header and payload that are not JSON objects. */
    char *junk = craft("[\"RS256\"]", p, s);
    expect(v, junk, WXAUTH_ERR_MALFORMED, "header is an array");
    free(junk);
    junk = sign(rs, NULL, json_pack("[s]", "x"));
    expect(v, junk, WXAUTH_ERR_MALFORMED, "payload is an array");
    free(junk);
    junk = craft("{\"alg\":\"RS256\",\"alg\":\"none\",\"kid\":\"rs-1\"}", p, s);
    expect(v, junk, WXAUTH_ERR_MALFORMED, "duplicate alg");
    free(junk);

    free(gp);
    free(es_sig);
    free(es_tok);
    free(other);
    free(p64);
    free(p);
    free(h);
    free(s);
    free(good);
    wxauth_verifier_free(v);
}

/* The 8192-byte limit, on both sides of it, with validly signed tokens. */
static void
test_size_limit(void **state)
{
    wxauth_verifier *v = verifier(file_opts());
    char *big = malloc(WXAUTH_TOKEN_MAX + 2);
    memset(big, 'A', WXAUTH_TOKEN_MAX + 1);
    big[WXAUTH_TOKEN_MAX + 1] = '\0';
    expect(v, big, WXAUTH_ERR_TOO_LARGE, "8193 bytes of junk");
    /* A huge token is refused by length alone: a megabyte that is not even a token. */
    char *huge = malloc(1 << 20);
    memset(huge, '.', (1 << 20) - 1);
    huge[(1 << 20) - 1] = '\0';
    expect(v, huge, WXAUTH_ERR_TOO_LARGE, "1 MB");
    free(huge);

    /* Grow a padding claim until the signed token passes the limit; the last one under it
     * verifies and the first one over it is refused. */
    char *last_ok = NULL, *first_over = NULL;
    for (size_t pad = 5500; pad < 5500 + 1500 && !first_over; pad++) {
        char *fill = malloc(pad + 1);
        memset(fill, 'x', pad);
        fill[pad] = '\0';
        json_t *c = claims();
        json_object_set_new(c, "pad", json_string(fill));
        free(fill);
        char *t = sign(es, NULL, c);
        if (strlen(t) <= WXAUTH_TOKEN_MAX) {
            free(last_ok);
            last_ok = t;
        } else {
            first_over = t;
        }
    }
    assert_non_null(last_ok);
    assert_non_null(first_over);
    assert_true(strlen(last_ok) >= WXAUTH_TOKEN_MAX - 3);
    expect(v, last_ok, WXAUTH_OK, "largest token under the limit");
    expect(v, first_over, WXAUTH_ERR_TOO_LARGE, "smallest token over the limit");
    free(last_ok);
    free(first_over);
    free(big);
    wxauth_verifier_free(v);
}

/* ---- options and JWKS failures ---- */

static void
expect_new(wxauth_options o, wxauth_status want, const char *what)
{
    wxauth_verifier *v = (wxauth_verifier *)&o; /* must be reset to NULL on failure */
    char err[256] = "";
    wxauth_status st = wxauth_verifier_new(&o, &v, err, sizeof(err));
    if (st != want)
        fail_msg("%s: got %s (%s), want %s", what, wxauth_status_str(st), err,
                 wxauth_status_str(want));
    if (st == WXAUTH_OK) {
        wxauth_verifier_free(v);
        return;
    }
    assert_null(v);
    assert_true(err[0] != '\0');
}

static void
test_options(void **state)
{
    wxauth_options o;
    o = file_opts();
    o.jwks_url = url;
    expect_new(o, WXAUTH_ERR_ARG, "both url and file");
    expect_new((wxauth_options){.issuer = ISS}, WXAUTH_ERR_ARG, "neither url nor file");
    expect_new((wxauth_options){.jwks_url = "ftp://127.0.0.1/jwks.json"}, WXAUTH_ERR_ARG, "ftp");
    expect_new((wxauth_options){.jwks_url = "file:///etc/passwd"}, WXAUTH_ERR_ARG, "file URL");
    o = file_opts();
    o.algs = "RS256,HS256";
    expect_new(o, WXAUTH_ERR_ARG, "HS256 without a secret");
    o.algs = "RS512";
    expect_new(o, WXAUTH_ERR_ARG, "unknown alg");
    o.algs = " , ";
    expect_new(o, WXAUTH_ERR_ARG, "empty alg list");
    o.algs = " ES256 , RS256 ";
    expect_new(o, WXAUTH_OK, "spaces in the alg list");
    o = file_opts();
    o.hs256_secret = "short";
    expect_new(o, WXAUTH_ERR_ARG, "HS256 secret under 32 bytes");
    o = file_opts();
    o.leeway = 100000;
    expect_new(o, WXAUTH_ERR_ARG, "leeway over a day");

    char err[64];
    wxauth_claims *c = (wxauth_claims *)err;
    wxauth_verifier *v = verifier(file_opts());
    assert_int_equal(wxauth_verify(v, NULL, &c, err, sizeof(err)), WXAUTH_ERR_ARG);
    assert_null(c);
    assert_int_equal(wxauth_verify(NULL, "a.b.c", &c, err, sizeof(err)), WXAUTH_ERR_ARG);
    /* err may be absent, or tiny: the reason is cut, never overflowed. */
    assert_int_equal(wxauth_verify(v, "a.b", &c, NULL, 0), WXAUTH_ERR_MALFORMED);
    char tiny[4] = "xxx";
    assert_int_equal(wxauth_verify(v, "a.b", &c, tiny, sizeof(tiny)), WXAUTH_ERR_MALFORMED);
    assert_int_equal(strlen(tiny), 3);
    wxauth_verifier_free(v);
    wxauth_verifier_free(NULL);
    wxauth_claims_free(NULL);
    assert_null(wxauth_claims_string(NULL, "sub"));
    assert_string_equal(wxauth_status_str(WXAUTH_ERR_EXPIRED), "expired");
    assert_string_equal(wxauth_status_str((wxauth_status)999), "unknown status");
}

static void
test_jwks_failures(void **state)
{
    char path[600];
    wxauth_options o = file_opts();

    snprintf(path, sizeof(path), "%s/missing.json", tmpdir);
    o.jwks_file = path;
    expect_new(o, WXAUTH_ERR_JWKS, "missing file");
    snprintf(path, sizeof(path), "%s/bad.json", tmpdir);
    write_file(path, "{\"keys\": [");
    expect_new(o, WXAUTH_ERR_JWKS, "truncated JSON");
    write_file(path, "{\"keys\": {}}");
    expect_new(o, WXAUTH_ERR_JWKS, "keys not an array");
    o.jwks_file = tmpdir;
    expect_new(o, WXAUTH_ERR_JWKS, "a directory");
    unlink(path);

    o = url_opts();
    srv_set(doc_main, "");
    pthread_mutex_lock(&srv.mu);
    srv.status = 500;
    pthread_mutex_unlock(&srv.mu);
    expect_new(o, WXAUTH_ERR_JWKS, "HTTP 500");
    pthread_mutex_lock(&srv.mu);
    srv.status = 200;
    srv.big = 2 * 1024 * 1024;
    pthread_mutex_unlock(&srv.mu);
    expect_new(o, WXAUTH_ERR_JWKS, "2 MB document");
    srv_set("not json", "");
    expect_new(o, WXAUTH_ERR_JWKS, "not JSON");
    /* Too slow: the timeout holds. */
    srv_set(doc_main, "");
    pthread_mutex_lock(&srv.mu);
    srv.delay_ms = 1500;
    pthread_mutex_unlock(&srv.mu);
    o.timeout_ms = 300;
    expect_new(o, WXAUTH_ERR_JWKS, "slow server");
    srv_set(doc_main, "");

    /* Nothing listening. */
    int port = 0, fd = listen_loopback(&port);
    close(fd);
    char closed[96];
    snprintf(closed, sizeof(closed), "http://127.0.0.1:%d/jwks.json", port);
    o = url_opts();
    o.jwks_url = closed;
    expect_new(o, WXAUTH_ERR_JWKS, "connection refused");
}

/* ---- the JWKS life cycle over HTTP ---- */

/* An unknown kid refetches once; a second unknown kid within refetch_min does not. */
static void
test_refetch_rate_limit(void **state)
{
    srv_set(doc_main, "");
    wxauth_options o = url_opts(); /* refetch_min and cache_ttl an hour */
    int h0 = srv_hits();
    wxauth_verifier *v = verifier(o);
    assert_int_equal(srv_hits(), h0 + 1);

    char *t2 = sign(rs2, NULL, claims());
    srv_set(doc_rotated, "");
    expect(v, t2, WXAUTH_OK, "rotated key, found by a refetch");
    assert_int_equal(srv_hits(), h0 + 2);
    expect(v, t2, WXAUTH_OK, "rotated key, now cached");
    assert_int_equal(srv_hits(), h0 + 2);

    /* A key published after that refetch stays unknown until refetch_min has passed. */
    jwk_t *rs3 = gen("RS256", "rs-3");
    char *doc3 = doc_of((jwk_t *const[]){rs, rs2, rs3}, 3);
    srv_set(doc3, "");
    char *t3 = sign(rs3, NULL, claims());
    expect(v, t3, WXAUTH_ERR_KID, "second new kid within refetch_min");
    expect(v, t3, WXAUTH_ERR_KID, "and again");
    assert_int_equal(srv_hits(), h0 + 2);
    /* A fresh verifier sees it at once: the key is there, only the rate limit said no. */
    wxauth_verifier *fresh = verifier(o);
    expect(fresh, t3, WXAUTH_OK, "fresh verifier");
    wxauth_verifier_free(fresh);

    /* With a one-second limit the next refetch comes after a second. */
    o.refetch_min = 1;
    wxauth_verifier *quick = verifier(o);
    char *tn = sign(evil, NULL, claims());
    int h1 = srv_hits();
    expect(quick, tn, WXAUTH_ERR_KID, "unknown kid, first refetch");
    expect(quick, tn, WXAUTH_ERR_KID, "unknown kid, rate-limited");
    assert_int_equal(srv_hits(), h1 + 1);
    usleep(1100 * 1000);
    expect(quick, tn, WXAUTH_ERR_KID, "unknown kid, a second later");
    assert_int_equal(srv_hits(), h1 + 2);
    /* A failed refetch is a JWKS problem, not a verdict on the token. */
    usleep(1100 * 1000);
    pthread_mutex_lock(&srv.mu);
    srv.status = 503;
    pthread_mutex_unlock(&srv.mu);
    expect(quick, tn, WXAUTH_ERR_JWKS, "refetch failed");
    /* and the keys already held keep working */
    char *t1 = sign(rs, NULL, claims());
    expect(quick, t1, WXAUTH_OK, "cached key while the server is down");
    srv_set(doc_main, "");

    free(t1);
    free(tn);
    wxauth_verifier_free(quick);
    free(t3);
    free(doc3);
    jwk_free(rs3);
    free(t2);
    wxauth_verifier_free(v);
}

/* max-age from the server decides freshness unless cache_ttl is set. */
static void
test_cache_control(void **state)
{
    char *t = sign(rs, NULL, claims());
    srv_set(doc_main, "public, max-age=1");
    wxauth_options o = url_opts();
    o.cache_ttl = 0;
    o.refetch_min = 1;
    int h0 = srv_hits();
    wxauth_verifier *follows = verifier(o);
    o.cache_ttl = 3600;
    wxauth_verifier *fixed = verifier(o);
    assert_int_equal(srv_hits(), h0 + 2);
    expect(follows, t, WXAUTH_OK, "fresh");
    expect(fixed, t, WXAUTH_OK, "fresh");
    assert_int_equal(srv_hits(), h0 + 2);
    usleep(1200 * 1000);
    expect(follows, t, WXAUTH_OK, "stale after max-age: refreshed");
    assert_int_equal(srv_hits(), h0 + 3);
    expect(fixed, t, WXAUTH_OK, "cache_ttl overrides max-age");
    assert_int_equal(srv_hits(), h0 + 3);
    /* A refresh that fails keeps the old set. */
    usleep(1200 * 1000);
    pthread_mutex_lock(&srv.mu);
    srv.status = 500;
    pthread_mutex_unlock(&srv.mu);
    expect(follows, t, WXAUTH_OK, "refresh failed: old keys still used");
    assert_int_equal(srv_hits(), h0 + 4);
    expect(follows, t, WXAUTH_OK, "and no retry at once");
    assert_int_equal(srv_hits(), h0 + 4);
    srv_set(doc_main, "");
    wxauth_verifier_free(follows);
    wxauth_verifier_free(fixed);
    free(t);
}

/* ---- eight threads, one verifier, keys changing underneath ---- */

#define THREADS 8

typedef struct {
    wxauth_verifier *v;
    const char *good, *rotated, *forged;
    atomic_bool *stop;
    int ok, rotated_ok, wrong; /* wrong: any result outside what the case allows */
    char why[320];
} worker_t;

static void *
worker(void *arg)
{
    worker_t *w = arg;
    for (int i = 0; i < 100000 && !atomic_load(w->stop); i++) {
        wxauth_claims *c = NULL;
        char err[256];
        wxauth_status st = wxauth_verify(w->v, w->good, &c, err, sizeof(err));
        if (st == WXAUTH_OK && strcmp(wxauth_claims_string(c, "sub"), "64f0c0ffee0000000000beef"))
            st = WXAUTH_ERR_CLAIMS;
        wxauth_claims_free(c);
        if (st != WXAUTH_OK) {
            snprintf(w->why, sizeof(w->why), "good token: %s", err);
            w->wrong++;
        } else {
            w->ok++;
        }
        st = wxauth_verify(w->v, w->rotated, &c, err, sizeof(err));
        wxauth_claims_free(c);
        if (st == WXAUTH_OK)
            w->rotated_ok++;
        else if (st != WXAUTH_ERR_KID) {
            snprintf(w->why, sizeof(w->why), "rotated token: %s", err);
            w->wrong++;
        }
        st = wxauth_verify(w->v, w->forged, &c, err, sizeof(err));
        wxauth_claims_free(c);
        if (st != WXAUTH_ERR_SIGNATURE) {
            snprintf(w->why, sizeof(w->why), "forged token: %s", wxauth_status_str(st));
            w->wrong++;
        }
    }
    return NULL;
}

static void
test_threads(void **state)
{
    /* Short freshness (max-age 1, refetch_min 1) so that stale-set refreshes and unknown-kid
     * refetches both happen while the threads run; the server answers slowly so fetches
     * overlap verifications. */
    srv_set(doc_main, "max-age=1");
    pthread_mutex_lock(&srv.mu);
    srv.delay_ms = 50;
    pthread_mutex_unlock(&srv.mu);
    wxauth_options o = url_opts();
    o.cache_ttl = 0;
    o.refetch_min = 1;
    wxauth_verifier *v = verifier(o);
    char *good = sign(rs, NULL, claims()), *rotated = sign(rs2, NULL, claims());
    char *forged = sign(evil_rs1, NULL, claims());
    atomic_bool stop = false;
    worker_t w[THREADS];
    pthread_t th[THREADS];
    int h0 = srv_hits();
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < THREADS; i++) {
        w[i] =
            (worker_t){.v = v, .good = good, .rotated = rotated, .forged = forged, .stop = &stop};
        assert_int_equal(pthread_create(&th[i], NULL, worker, &w[i]), 0);
    }
    usleep(700 * 1000);
    srv_set(doc_rotated, "max-age=1"); /* the rotation, mid-run */
    pthread_mutex_lock(&srv.mu);
    srv.delay_ms = 50;
    pthread_mutex_unlock(&srv.mu);
    usleep(2500 * 1000);
    atomic_store(&stop, true);
    int ok = 0, rotated_ok = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        if (w[i].wrong)
            fail_msg("thread %d: %d wrong results, last: %s", i, w[i].wrong, w[i].why);
        ok += w[i].ok;
        rotated_ok += w[i].rotated_ok;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    int fetches = srv_hits() - h0;
    print_message("threads: %d good verified, %d rotated verified, %d JWKS fetches in %.1f s\n", ok,
                  rotated_ok, fetches, secs);
    assert_true(ok > THREADS);
    /* The rotation was picked up while the threads were running... */
    assert_true(rotated_ok > 0);
    /* ...by a bounded number of fetches: at most one refresh and one refetch per second (plus
     * the one in flight at each end), however many threads asked. */
    assert_true(fetches >= 1);
    assert_true(fetches <= 2 * (int)(secs + 1.0) + 2);
    expect(v, rotated, WXAUTH_OK, "rotated key after the run");
    srv_set(doc_main, "");
    free(good);
    free(rotated);
    free(forged);
    wxauth_verifier_free(v);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_tokens),   cmocka_unit_test(test_hs256),
        cmocka_unit_test(test_alg_none),      cmocka_unit_test(test_alg_confusion),
        cmocka_unit_test(test_kid_tricks),    cmocka_unit_test(test_keys_carried_in_the_token),
        cmocka_unit_test(test_crit),          cmocka_unit_test(test_time_claims),
        cmocka_unit_test(test_iss_aud),       cmocka_unit_test(test_tampering),
        cmocka_unit_test(test_size_limit),    cmocka_unit_test(test_options),
        cmocka_unit_test(test_jwks_failures), cmocka_unit_test(test_refetch_rate_limit),
        cmocka_unit_test(test_cache_control), cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
