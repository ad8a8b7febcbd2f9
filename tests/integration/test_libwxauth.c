/* libwxauth and `wxauth token verify` against a real wxauthd: tokens from real logins verify
 * through the server's JWKS URL; after `wxauth keys rotate` the new kid is found by one refetch,
 * and a second new kid within refetch_min is not fetched for (the server's request log is the
 * witness, and a fresh verifier shows the key really was published). HS256 application tokens
 * verify with the application secret. Then the CLI's exit codes and reasons. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "harness.h"
#include "harness_tokens.h"
#include "wxauth.h"

#define DEMO_START "/oauth/wechatmp/url/demo"
#define HS_START                                                                                   \
    "/connections/social/wechat:webpage-authorization?app_id=lib-hs&redirect_url="                 \
    "http%3A%2F%2F127.0.0.1%3A9%2Flib-hs-cb"
#define JWKS_PATH "/oidc/.well-known/jwks.json"

static wxt_env_t env;
static char jwks_url[160], issuer[128], hs_secret[65];

static int
group_setup(void **state)
{
    wxt_setup(&env, NULL);
    snprintf(jwks_url, sizeof(jwks_url), "%s" JWKS_PATH, env.auth);
    snprintf(issuer, sizeof(issuer), "%s/oidc", env.auth);
    char *out = wxtk_cli_ok(&env, (const char *const[]){"app", "create", "lib-hs", "--pool", "demo",
                                                        "--token-alg", "HS256", "--redirect",
                                                        "http://127.0.0.1:9/lib-hs-cb", NULL});
    if (!wxtk_find_secret(out, hs_secret))
        fail_msg("no application secret in: %s", out);
    free(out);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return 0;
}

static int
group_teardown(void **state)
{
    curl_global_cleanup();
    wxt_teardown(&env);
    return 0;
}

/* Requests for the JWKS in wxauthd's log so far. The log line is written as the answer goes
 * out; a short pause first lets a request we just made reach it. */
static int
jwks_requests(void)
{
    char path[700], line[16384];
    int n = 0;
    usleep(200 * 1000);
    snprintf(path, sizeof(path), "%s/wxauthd.log", env.dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    while (fgets(line, sizeof(line), f))
        if (strstr(line, "\"request\"") && strstr(line, "\"" JWKS_PATH "\""))
            n++;
    fclose(f);
    return n;
}

static char *
header_kid(const char *token)
{
    json_t *h = wxtk_part(token, 0);
    const char *kid = json_string_value(json_object_get(h, "kid"));
    assert_non_null(kid);
    char *out = strdup(kid);
    json_decref(h);
    return out;
}

static wxauth_verifier *
verifier(long refetch_min)
{
    wxauth_options o = {.jwks_url = jwks_url,
                        .issuer = issuer,
                        .audience = "demo",
                        .leeway = -1,
                        .refetch_min = refetch_min,
                        .cache_ttl = 3600, /* only unknown kids make it fetch again */
                        .timeout_ms = 5000};
    wxauth_verifier *v = NULL;
    char err[256];
    if (wxauth_verifier_new(&o, &v, err, sizeof(err)) != WXAUTH_OK)
        fail_msg("verifier: %s", err);
    return v;
}

static wxauth_status
verify(wxauth_verifier *v, const char *token, const char *want_sub, char *err, size_t n)
{
    wxauth_claims *c = NULL;
    wxauth_status st = wxauth_verify(v, token, &c, err, n);
    if (st == WXAUTH_OK) {
        assert_string_equal(wxauth_claims_string(c, "sub"), want_sub);
        assert_string_equal(wxauth_claims_string(c, "iss"), issuer);
        long long exp = 0;
        assert_int_equal(wxauth_claims_int(c, "exp", &exp), 0);
        assert_true(exp > (long long)time(NULL));
    }
    wxauth_claims_free(c);
    return st;
}

/* Rotate the RS256 key and log person in: the rotation goes through this server's admin API,
 * so every worker signs with the new key from the next login on. Returns that token. */
static char *
rotate_and_login(const char *person, char *sub, size_t subn)
{
    char *out = wxtk_cli_ok(
        &env, (const char *const[]){"keys", "rotate", "--alg", "RS256", "--json", NULL});
    json_t *j = json_loads(out, 0, NULL);
    const char *kid = json_string_value(json_object_get(j, "kid"));
    if (!kid)
        fail_msg("no kid in the output of keys rotate: %s", out);
    char new_kid[128];
    snprintf(new_kid, sizeof(new_kid), "%s", kid);
    json_decref(j);
    free(out);
    char *t = wxtk_login_token(&env, DEMO_START, person, sub, subn);
    char *tkid = header_kid(t);
    if (strcmp(tkid, new_kid) != 0)
        fail_msg("the first login after the rotation carries %s, not %s", tkid, new_kid);
    free(tkid);
    return t;
}

static void
test_jwks_url_rotation_and_rate_limit(void **state)
{
    char sub[64], sub2[64], sub3[64], err[256];
    wxtk_person_add(&env, "lib-rot", "Rotating");
    int r0 = jwks_requests();
    wxauth_verifier *v = verifier(3600);
    assert_int_equal(jwks_requests(), r0 + 1);

    char *t1 = wxtk_login_token(&env, DEMO_START, "lib-rot", sub, sizeof(sub));
    wxauth_status st = verify(v, t1, sub, err, sizeof(err));
    if (st != WXAUTH_OK)
        fail_msg("login token: %s (%s)", wxauth_status_str(st), err);
    assert_int_equal(jwks_requests(), r0 + 1); /* served from the cache */

    /* First rotation: the new kid is unknown to the verifier, which refetches once. */
    char *t2 = rotate_and_login("lib-rot", sub2, sizeof(sub2));
    assert_string_equal(sub2, sub);
    int r1 = jwks_requests();
    st = verify(v, t2, sub, err, sizeof(err));
    if (st != WXAUTH_OK)
        fail_msg("token of the rotated key: %s (%s)", wxauth_status_str(st), err);
    assert_int_equal(jwks_requests(), r1 + 1);
    /* The old key is still published and still cached. */
    assert_int_equal(verify(v, t1, sub, err, sizeof(err)), WXAUTH_OK);
    assert_int_equal(verify(v, t2, sub, err, sizeof(err)), WXAUTH_OK);
    assert_int_equal(jwks_requests(), r1 + 1);

    /* Second rotation within refetch_min: no request, the kid stays unknown. */
    char *t3 = rotate_and_login("lib-rot", sub3, sizeof(sub3));
    int r2 = jwks_requests();
    assert_int_equal(verify(v, t3, sub, err, sizeof(err)), WXAUTH_ERR_KID);
    assert_non_null(strstr(err, "unknown signing key"));
    assert_int_equal(verify(v, t3, sub, err, sizeof(err)), WXAUTH_ERR_KID);
    assert_int_equal(jwks_requests(), r2);
    /* It was published: a new verifier (one fetch) takes it. */
    wxauth_verifier *fresh = verifier(3600);
    assert_int_equal(verify(fresh, t3, sub, err, sizeof(err)), WXAUTH_OK);
    assert_int_equal(jwks_requests(), r2 + 1);

    wxauth_verifier_free(fresh);
    free(t1);
    free(t2);
    free(t3);
    wxauth_verifier_free(v);
}

/* An application that opted into Authing's HS256: its secret verifies its tokens, and the
 * JWKS-only verifier refuses them by alg. */
static void
test_hs256_application(void **state)
{
    char sub[64], err[256];
    wxtk_person_add(&env, "lib-hs", "Hmac");
    char *t = wxtk_login_token(&env, HS_START, "lib-hs", sub, sizeof(sub));
    wxauth_options o = {.jwks_url = jwks_url,
                        .hs256_secret = hs_secret,
                        .issuer = issuer,
                        .audience = "lib-hs",
                        .leeway = -1};
    wxauth_verifier *v = NULL;
    assert_int_equal(wxauth_verifier_new(&o, &v, err, sizeof(err)), WXAUTH_OK);
    wxauth_claims *c = NULL;
    wxauth_status st = wxauth_verify(v, t, &c, err, sizeof(err));
    if (st != WXAUTH_OK)
        fail_msg("HS256 application token: %s (%s)", wxauth_status_str(st), err);
    assert_string_equal(wxauth_claims_string(c, "sub"), sub);
    wxauth_claims_free(c);
    wxauth_verifier_free(v);

    o.hs256_secret = NULL;
    assert_int_equal(wxauth_verifier_new(&o, &v, err, sizeof(err)), WXAUTH_OK);
    assert_int_equal(wxauth_verify(v, t, &c, err, sizeof(err)), WXAUTH_ERR_ALG);
    wxauth_verifier_free(v);
    free(t);
}

/* ---- wxauth token verify ---- */

static int
cli(const char *const *argv, const char *const *envv, char **out, char **err)
{
    return wxt_cli_run(&env, argv, envv, out, err);
}

static void
test_cli_verify(void **state)
{
    char sub[64];
    char *out = NULL, *err = NULL;
    wxtk_person_add(&env, "lib-cli", "Cli");
    char *t = wxtk_login_token(&env, DEMO_START, "lib-cli", sub, sizeof(sub));

    /* Valid: the claims, exit 0. */
    int rc = cli((const char *const[]){"token", "verify", t, "--jwks", jwks_url, "--iss", issuer,
                                       "--aud", "demo", NULL},
                 NULL, &out, &err);
    if (rc != 0)
        fail_msg("exit %d: %s", rc, err);
    char want[128];
    snprintf(want, sizeof(want), "valid: sub=%s aud=demo exp=20", sub);
    if (strncmp(out, want, strlen(want)) != 0)
        fail_msg("stdout: %s", out);
    assert_non_null(strstr(out, "\nnickname: Cli\n"));
    free(out);
    free(err);

    rc = cli((const char *const[]){"token", "verify", t, "--jwks", jwks_url, "--json", NULL}, NULL,
             &out, &err);
    assert_int_equal(rc, 0);
    json_t *j = json_loads(out, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "sub")), sub);
    json_decref(j);
    free(out);
    free(err);

    /* Invalid: exit 1 and the reason. */
    rc =
        cli((const char *const[]){"token", "verify", t, "--jwks", jwks_url, "--aud", "other", NULL},
            NULL, &out, &err);
    assert_int_equal(rc, 1);
    assert_string_equal(err, "invalid token: wrong audience\n");
    assert_string_equal(out, "");
    free(out);
    free(err);

    rc = cli((const char *const[]){"token", "verify", t, "--jwks", jwks_url, "--iss",
                                   "https://evil.test/oidc", NULL},
             NULL, &out, &err);
    assert_int_equal(rc, 1);
    assert_string_equal(err, "invalid token: wrong issuer\n");
    free(out);
    free(err);

    char *bad = strdup(t);
    char *sig = strrchr(bad, '.') + 1;
    sig[3] = sig[3] == 'A' ? 'B' : 'A';
    rc = cli((const char *const[]){"token", "verify", bad, "--jwks", jwks_url, NULL}, NULL, &out,
             &err);
    assert_int_equal(rc, 1);
    assert_string_equal(err, "invalid token: token signature does not verify\n");
    free(out);
    free(err);
    free(bad);

    rc =
        cli((const char *const[]){"token", "verify", t, "--jwks", jwks_url, "--alg", "ES256", NULL},
            NULL, &out, &err);
    assert_int_equal(rc, 1);
    assert_string_equal(err, "invalid token: token alg is not allowed\n");
    free(out);
    free(err);

    /* HS256 with the application secret from the environment. */
    wxtk_person_add(&env, "lib-cli-hs", "CliHs");
    char hsub[64], envvar[100];
    char *ht = wxtk_login_token(&env, HS_START, "lib-cli-hs", hsub, sizeof(hsub));
    snprintf(envvar, sizeof(envvar), "LIB_HS_SECRET=%s", hs_secret);
    rc = cli((const char *const[]){"token", "verify", ht, "--hs256-secret-env", "LIB_HS_SECRET",
                                   "--aud", "lib-hs", NULL},
             (const char *const[]){envvar, NULL}, &out, &err);
    if (rc != 0)
        fail_msg("HS256 via the CLI: exit %d: %s", rc, err);
    assert_non_null(strstr(out, hsub));
    free(out);
    free(err);
    free(ht);

    /* JWKS unreachable: exit 1, said plainly. */
    int port = 0;
    {
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t al = sizeof(a);
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
        assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
        port = ntohs(a.sin_port);
        close(fd); /* nothing listens there now */
    }
    char dead[96];
    snprintf(dead, sizeof(dead), "http://127.0.0.1:%d/jwks.json", port);
    rc = cli((const char *const[]){"token", "verify", t, "--jwks", dead, NULL}, NULL, &out, &err);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(err, "cannot load the JWKS"));
    free(out);
    free(err);

    /* Usage errors: exit 2. */
    const char *const *usage[] = {
        (const char *const[]){"token", "verify", t, NULL},
        (const char *const[]){"token", "verify", "--jwks", jwks_url, NULL},
        (const char *const[]){"token", "verify", t, "--jwks", jwks_url, "--leeway", "soon", NULL},
        (const char *const[]){"token", "verify", t, "--jwks", jwks_url, "--alg", "none", NULL},
        (const char *const[]){"token", "verify", t, "--jwks", "ftp://127.0.0.1/j", NULL},
        (const char *const[]){"token", "verify", t, "--jwks", jwks_url, "--hs256-secret-env",
                              "LIB_UNSET_VAR", NULL},
        (const char *const[]){"token", "verify", t, "--jwks", jwks_url, "--frobnicate", NULL},
        (const char *const[]){"token", "check", t, NULL},
        (const char *const[]){"token", NULL},
    };
    for (size_t i = 0; i < WX_ARRAY_LEN(usage); i++) {
        rc = cli(usage[i], NULL, &out, &err);
        if (rc != 2)
            fail_msg("usage case %zu: exit %d, stderr %s", i, rc, err);
        assert_true(err[0] != '\0');
        free(out);
        free(err);
    }
    rc = cli((const char *const[]){"token", "verify", "--help", NULL}, NULL, &out, &err);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "usage: wxauth token verify"));
    free(out);
    free(err);

    /* "-" reads the token from standard input, so it stays out of ps. */
    char cmd[1024];
    setenv("LIB_TOKEN", t, 1);
    snprintf(cmd, sizeof(cmd),
             "printf '%%s\\n' \"$LIB_TOKEN\" | \"$WXAUTH_CLI\" token verify - --jwks '%s' "
             "--aud demo 2>&1",
             jwks_url);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char line[512] = "";
    assert_non_null(fgets(line, sizeof(line), p));
    int st = pclose(p);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    assert_true(strncmp(line, "valid: sub=", 11) == 0);
    unsetenv("LIB_TOKEN");
    free(t);
}

/* docs/verify.md's example program, as built, against the real server. */
static void
test_doc_example(void **state)
{
    char sub[64], cmd[1024], line[512];
    const char *bin = getenv("WXAUTH_VERIFY_EXAMPLE");
    if (!bin)
        fail_msg("WXAUTH_VERIFY_EXAMPLE is not set (ctest sets it)");
    wxtk_person_add(&env, "lib-ex", "Example");
    char *t = wxtk_login_token(&env, DEMO_START, "lib-ex", sub, sizeof(sub));
    char *bad = strdup(t);
    char *sig = strrchr(bad, '.') + 1;
    sig[5] = sig[5] == 'A' ? 'B' : 'A';
    setenv("LIB_GOOD", t, 1);
    setenv("LIB_BAD", bad, 1);
    snprintf(cmd, sizeof(cmd),
             "printf '%%s\\n%%s\\n' \"$LIB_GOOD\" \"$LIB_BAD\" | \"$WXAUTH_VERIFY_EXAMPLE\" '%s' "
             "'%s' demo",
             jwks_url, issuer);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char want[128];
    snprintf(want, sizeof(want), "200 user=%s nickname=Example exp=", sub);
    assert_non_null(fgets(line, sizeof(line), p));
    if (strncmp(line, want, strlen(want)) != 0)
        fail_msg("first line: %s", line);
    assert_non_null(fgets(line, sizeof(line), p));
    assert_string_equal(line, "401 bad signature: token signature does not verify\n");
    int st = pclose(p);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 1); /* one token was bad */
    unsetenv("LIB_GOOD");
    unsetenv("LIB_BAD");
    free(bad);
    free(t);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hs256_application),
        cmocka_unit_test(test_cli_verify),
        cmocka_unit_test(test_doc_example),
        cmocka_unit_test(test_jwks_url_rotation_and_rate_limit),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
