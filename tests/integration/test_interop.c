/* Our tokens and other JOSE implementations agree, both ways, against a real wxauthd:
 *  (a) tokens of RS256, ES256 and EdDSA pools verify with npm `jose` (createRemoteJWKSet on our
 *      JWKS URL + jwtVerify with issuer and audience) and with PyJWT (PyJWKClient);
 *  (b) tokens that npm `jose` and PyJWT sign with our own private keys verify on every online
 *      endpoint and with libwxauth through `wxauth token verify`;
 *  (c) the HS256 compatibility token verifies with npm `jsonwebtoken`'s jwt.verify(token,
 *      appSecret), as existing Authing backends call it.
 * Each script also gets a wrong issuer, audience, secret or signature and must refuse it, so a
 * script that accepted anything would fail here. The scripts live in tests/js/interop/ (node,
 * resolving tests/js/node_modules) and tests/interop/ (/usr/bin/python3, Debian's python3-jwt). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "harness_tokens.h"

#define PYTHON "/usr/bin/python3" /* the interpreter that has python3-jwt */
#define RUN_TIMEOUT_S 60

static wxt_env_t env;
static char demo_secret[65], hs_secret[65], es_secret[65], ed_secret[65];
static wxtk_client_t demo_client = {"tok-app", demo_secret, "demo"};
static wxtk_client_t es_client = {"es-app", es_secret, "espool"};
static wxtk_client_t ed_client = {"ed-app", ed_secret, "edpool"};
static char jwks_url[128], issuer[128];

static const char *
src_dir(void)
{
    const char *d = getenv("WX_SRC_DIR");
    if (!d || !d[0])
        fail_msg("WX_SRC_DIR is not set (run through ctest)");
    return d;
}

static char *
slurp(const char *path)
{
    char *buf = calloc(1, 65536);
    FILE *f = fopen(path, "r");
    assert_non_null(buf);
    if (f) {
        buf[fread(buf, 1, 65535, f)] = '\0';
        fclose(f);
    }
    return buf;
}

/* Run argv (argv[0] looked up in PATH) with a deadline; stdout into *out and stderr into *err
 * (caller frees; err may be NULL, then stderr is shown). Returns the exit code. */
static int
run2(const char *const *argv, char **out, char **err)
{
    static int seq;
    char out_path[700], err_path[700];
    snprintf(out_path, sizeof(out_path), "%s/run-%d.out", env.dir, ++seq);
    snprintf(err_path, sizeof(err_path), "%s/run-%d.err", env.dir, seq);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fo = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int fe = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fo < 0 || fe < 0)
            _exit(126);
        dup2(fo, 1);
        dup2(fe, 2);
        close(fo);
        close(fe);
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    int st = 0, code = -1;
    for (int i = 0; i < RUN_TIMEOUT_S * 10; i++) {
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid) {
            code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
            break;
        }
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    if (code < 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        fail_msg("%s %s did not finish within %d s", argv[0], argv[1], RUN_TIMEOUT_S);
    }
    *out = slurp(out_path);
    char *e = slurp(err_path);
    if (err)
        *err = e;
    else if (e[0])
        fprintf(stderr, "[%s %s -> %d] %s", argv[0], argv[1], code, e);
    if (!err)
        free(e);
    return code;
}

static int
run(const char *const *argv, char **out)
{
    return run2(argv, out, NULL);
}

static void
script(char *path, size_t n, const char *rel)
{
    snprintf(path, n, "%s/%s", src_dir(), rel);
}

/* The "sub" of the JSON a script printed (the payload, or {header, payload}). */
static void
expect_sub(const char *out, const char *sub)
{
    json_error_t jerr;
    json_t *j = json_loads(out, JSON_DISABLE_EOF_CHECK, &jerr);
    if (!j)
        fail_msg("script output is not JSON: %.300s", out);
    json_t *p = json_object_get(j, "payload") ? json_object_get(j, "payload") : j;
    const char *got = json_string_value(json_object_get(p, "sub"));
    if (!got || strcmp(got, sub) != 0)
        fail_msg("script verified sub %s, want %s", got ? got : "(none)", sub);
    json_decref(j);
}

static int
group_setup(void **state)
{
    wxt_setup(&env, NULL);
    snprintf(jwks_url, sizeof(jwks_url), "%s/oidc/.well-known/jwks.json", env.auth);
    snprintf(issuer, sizeof(issuer), "%s/oidc", env.auth);
    wxtk_app_create(&env, (const char *const[]){"app", "create", "tok-app", "--pool", "demo", NULL},
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

typedef struct {
    const char *pool;
    const char *alg;
    const wxtk_client_t *client;
    const char *person;
} pool_case_t;

static const pool_case_t pools[] = {
    {"demo", "RS256", &demo_client, "i-rsa"},
    {"espool", "ES256", &es_client, "i-ec"},
    {"edpool", "EdDSA", &ed_client, "i-ed"},
};

static char *
login(const pool_case_t *pc, char *sub, size_t subn)
{
    char start[128];
    snprintf(start, sizeof(start), "/oauth/wechatmp/url/%s", pc->pool);
    wxtk_person_add(&env, pc->person, pc->person);
    char *tok = wxtk_login_token(&env, start, pc->person, sub, subn);
    json_t *h = wxtk_part(tok, 0);
    assert_string_equal(json_string_value(json_object_get(h, "alg")), pc->alg);
    json_decref(h);
    return tok;
}

/* A copy of token with one signature character changed. */
static char *
tampered(const char *token)
{
    char *t = strdup(token);
    char *c = strrchr(t, '.') + 5;
    *c = *c == 'A' ? 'B' : 'A';
    return t;
}

/* ---- (a) our tokens, verified by npm jose and PyJWT from the JWKS URL ---- */

static void
remote_verify(const pool_case_t *pc)
{
    char sub[64], js[700], py[700];
    char *tok = login(pc, sub, sizeof(sub)), *out = NULL;
    char *bad = tampered(tok);
    script(js, sizeof(js), "tests/js/interop/verify_remote.js");
    script(py, sizeof(py), "tests/interop/verify_jwks.py");
    for (int which = 0; which < 2; which++) {
        const char *prog = which ? PYTHON : "node", *file = which ? py : js;
        if (run((const char *const[]){prog, file, tok, jwks_url, issuer, pc->pool, NULL}, &out) !=
            0)
            fail_msg("%s: %s refused a %s token", file, prog, pc->alg);
        expect_sub(out, sub);
        free(out);
        /* It can fail: a wrong audience, a wrong issuer, a bad signature. */
        assert_int_equal(
            run((const char *const[]){prog, file, tok, jwks_url, issuer, "other-aud", NULL}, &out),
            1);
        free(out);
        assert_int_equal(run((const char *const[]){prog, file, tok, jwks_url,
                                                   "https://evil.example/oidc", pc->pool, NULL},
                             &out),
                         1);
        free(out);
        assert_int_equal(
            run((const char *const[]){prog, file, bad, jwks_url, issuer, pc->pool, NULL}, &out), 1);
        free(out);
    }
    free(bad);
    free(tok);
}

static void
test_remote_rs256(void **state)
{
    remote_verify(&pools[0]);
}

static void
test_remote_es256(void **state)
{
    remote_verify(&pools[1]);
}

static void
test_remote_eddsa(void **state)
{
    remote_verify(&pools[2]);
}

/* ---- (b) tokens other libraries sign with our keys, verified by wxauthd and libwxauth ---- */

/* Is libwxauth's CLI command there? Its help must exit 0 and be its own (mention --jwks): an
 * older CLI answers any --help with its general usage, and exit 0. */
static bool
cli_token_verify_available(void)
{
    char *out = NULL, *err = NULL;
    const char *cli = getenv("WXAUTH_CLI");
    assert_non_null(cli);
    int rc = run2((const char *const[]){cli, "token", "verify", "--help", NULL}, &out, &err);
    bool own = strstr(out, "--jwks") || strstr(err, "--jwks");
    free(out);
    free(err);
    return rc == 0 && own;
}

static int
cli_verify(const char *token, const char *aud)
{
    char *out = NULL;
    int rc = run((const char *const[]){getenv("WXAUTH_CLI"), "token", "verify", token, "--jwks",
                                       jwks_url, "--iss", issuer, "--aud", aud, NULL},
                 &out);
    free(out);
    return rc;
}

static void
foreign_signers(const pool_case_t *pc)
{
    char sub[64], key_path[700], js[700], py[700];
    char *tok = login(pc, sub, sizeof(sub));
    json_t *h = wxtk_part(tok, 0), *claims = wxtk_part(tok, 1);
    const char *kid = json_string_value(json_object_get(h, "kid"));
    /* Our private key, as only the server holds it, for the other libraries to sign with. */
    char *pem = wxtk_key_pem(&env, kid);
    snprintf(key_path, sizeof(key_path), "%s/key-%s.pem", env.dir, pc->alg);
    int fd = open(key_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, pem, strlen(pem)), (ssize_t)strlen(pem));
    close(fd);
    free(pem);
    script(js, sizeof(js), "tests/js/interop/sign.js");
    script(py, sizeof(py), "tests/interop/sign.py");
    bool have_cli = cli_token_verify_available();
    for (int which = 0; which < 2; which++) {
        char jti[64], *out = NULL;
        int64_t now = (int64_t)time(NULL);
        snprintf(jti, sizeof(jti), "%s-%s-%ld", which ? "pyjwt" : "jose", pc->alg, (long)now);
        json_object_set_new(claims, "jti", json_string(jti));
        json_object_set_new(claims, "iat", json_integer(now));
        json_object_set_new(claims, "exp", json_integer(now + 600));
        char *payload = json_dumps(claims, JSON_COMPACT);
        const char *prog = which ? PYTHON : "node", *file = which ? py : js;
        if (run((const char *const[]){prog, file, key_path, pc->alg, kid, payload, NULL}, &out) !=
            0)
            fail_msg("%s could not sign with our %s key", file, pc->alg);
        out[strcspn(out, "\r\n")] = '\0';
        char what[128];
        snprintf(what, sizeof(what), "%s token signed by %s", pc->alg, which ? "PyJWT" : "jose");
        json_t *oh = wxtk_part(out, 0);
        assert_string_equal(json_string_value(json_object_get(oh, "kid")), kid);
        json_decref(oh);
        wxtk_expect_valid(&env, pc->client, what, out, sub);
        char *bad = tampered(out);
        wxtk_expect_refused(&env, pc->client, "tampered", bad, "bad signature");
        /* libwxauth, offline against the JWKS URL, through the CLI. */
        if (have_cli && cli_verify(out, pc->pool) != 0)
            fail_msg("%s: wxauth token verify refused it", what);
        if (have_cli && cli_verify(out, "other-aud") == 0)
            fail_msg("%s: wxauth token verify accepted a wrong audience", what);
        if (have_cli && cli_verify(bad, pc->pool) == 0)
            fail_msg("%s: wxauth token verify accepted a bad signature", what);
        free(bad);
        free(out);
        free(payload);
    }
    json_decref(claims);
    json_decref(h);
    free(tok);
    if (!have_cli)
        fail_msg("`wxauth token verify --help` is not libwxauth's (no exit 0 with --jwks in its "
                 "help): its CLI command (lib/, "
                 "cli/token.c) is not there yet, so the %s tokens signed by jose and PyJWT were "
                 "checked with wxauthd only, not with libwxauth",
                 pc->alg);
}

static void
test_foreign_signers_rs256(void **state)
{
    foreign_signers(&pools[0]);
}

static void
test_foreign_signers_es256(void **state)
{
    foreign_signers(&pools[1]);
}

static void
test_foreign_signers_eddsa(void **state)
{
    foreign_signers(&pools[2]);
}

/* ---- (c) the HS256 compatibility token and jsonwebtoken ---- */

static void
test_hs256_jsonwebtoken(void **state)
{
    char sub[64], js[700], *out = NULL;
    wxtk_person_add(&env, "i-hs", "i-hs");
    char *tok = wxtk_login_token(&env,
                                 "/connections/social/wechat:webpage-authorization?app_id=hsapp"
                                 "&redirect_url=http%3A%2F%2F127.0.0.1%3A9%2Fhs-cb",
                                 "i-hs", sub, sizeof(sub));
    script(js, sizeof(js), "tests/js/interop/verify_hs256.js");
    if (run((const char *const[]){"node", js, tok, hs_secret, issuer, "hsapp", NULL}, &out) != 0)
        fail_msg("jsonwebtoken refused the HS256 token with the application secret");
    expect_sub(out, sub);
    free(out);
    /* A wrong secret, and the right secret with a wrong audience, are refused. */
    char wrong[65];
    memcpy(wrong, hs_secret, sizeof(wrong));
    wrong[0] = wrong[0] == 'a' ? 'b' : 'a';
    assert_int_equal(
        run((const char *const[]){"node", js, tok, wrong, issuer, "hsapp", NULL}, &out), 1);
    free(out);
    assert_int_equal(
        run((const char *const[]){"node", js, tok, hs_secret, issuer, "demo-app", NULL}, &out), 1);
    free(out);
    free(tok);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_remote_rs256),          cmocka_unit_test(test_remote_es256),
        cmocka_unit_test(test_remote_eddsa),          cmocka_unit_test(test_hs256_jsonwebtoken),
        cmocka_unit_test(test_foreign_signers_rs256), cmocka_unit_test(test_foreign_signers_es256),
        cmocka_unit_test(test_foreign_signers_eddsa),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
