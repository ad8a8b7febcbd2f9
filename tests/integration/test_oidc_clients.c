/* Real OpenID Connect clients against wxauthd (issue #13 item 3): openid-client from npm
 * (tests/js/oidc/openid_client.mjs: discovery, code + PKCE through the emulator, refresh,
 * userinfo, a public client signed in from the session, logout, prompt=none after it), then
 * Debian's python3-authlib (tests/interop/oidc_authlib.py) validating the discovery document
 * and the ID token of that login, at_hash and nonce included; Apache httpd with Debian's
 * mod_auth_openidc protecting a page (tests/interop/oidc_apache.py). Each script exits non-zero on
 * any failed check, and the authlib one also makes sure a wrong nonce or access token fails. */
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "harness_tokens.h"

#define PYTHON "/usr/bin/python3" /* the interpreter that has python3-authlib */
#define RUN_TIMEOUT_S 90
#define RP_CB "http://127.0.0.1:9/rp-cb"
#define RP_BYE "http://127.0.0.1:9/rp-bye"

static wxt_env_t env;
static char web_secret[65], apache_secret[65];

static int
group_setup(void **state)
{
    char unused[65];
    wxt_setup(&env, NULL);
    wxtk_app_create(&env,
                    (const char *const[]){"app", "create", "rp-web", "--pool", "demo", "--redirect",
                                          RP_CB, "--post-logout-redirect", RP_BYE, NULL},
                    web_secret);
    wxtk_app_create(&env,
                    (const char *const[]){"app", "create", "rp-spa", "--pool", "demo", "--public",
                                          "--redirect", RP_CB, NULL},
                    unused);
    /* Its redirect_uri is registered by oidc_apache.py once Apache's port is known. */
    wxtk_app_create(&env,
                    (const char *const[]){"app", "create", "rp-apache", "--pool", "demo", NULL},
                    apache_secret);
    wxtk_person_add(&env, "rp-bob", "Bob");
    wxtk_person_add(&env, "rp-carol", "Carol");
    return 0;
}

static int
group_teardown(void **state)
{
    wxt_teardown(&env);
    return 0;
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

/* Run argv with a deadline; stdout into *out (caller frees), stderr shown when it fails.
 * Returns the exit code. */
static int
run(const char *const *argv, char **out)
{
    static int seq;
    char out_path[700], err_path[700];
    snprintf(out_path, sizeof(out_path), "%s/client-%d.out", env.dir, ++seq);
    snprintf(err_path, sizeof(err_path), "%s/client-%d.err", env.dir, seq);
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
        if (waitpid(pid, &st, WNOHANG) == pid) {
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
    if (code != 0)
        fprintf(stderr, "[%s %s -> %d]\n%s\n", argv[0], argv[1], code, e);
    free(e);
    return code;
}

static void
test_openid_client_then_authlib(void **state)
{
    const char *src = getenv("WX_SRC_DIR");
    char js[600], py[600];
    char *out = NULL, *out2 = NULL;
    if (!src || !src[0])
        fail_msg("WX_SRC_DIR is not set (run through ctest)");
    snprintf(js, sizeof(js), "%s/tests/js/oidc/openid_client.mjs", src);
    snprintf(py, sizeof(py), "%s/tests/interop/oidc_authlib.py", src);
    assert_int_equal(run((const char *const[]){"node", js, env.auth, "rp-web", web_secret, "rp-spa",
                                               RP_CB, RP_BYE, "rp-bob", NULL},
                         &out),
                     0);
    json_t *tokens = json_loads(out, 0, NULL);
    if (!json_is_object(tokens) || !json_object_get(tokens, "id_token"))
        fail_msg("openid-client printed no tokens: %.500s", out);
    json_decref(tokens);
    assert_int_equal(run((const char *const[]){PYTHON, py, env.auth, out, NULL}, &out2), 0);
    if (strncmp(out2, "ok ", 3) != 0)
        fail_msg("authlib: %.300s", out2);
    free(out);
    free(out2);
}

/* Apache httpd with Debian's mod_auth_openidc protecting a page (tests/interop/oidc_apache.py). */
static void
test_mod_auth_openidc(void **state)
{
    const char *src = getenv("WX_SRC_DIR");
    char py[600];
    char *out = NULL;
    if (!src || !src[0])
        fail_msg("WX_SRC_DIR is not set (run through ctest)");
    snprintf(py, sizeof(py), "%s/tests/interop/oidc_apache.py", src);
    setenv("WXT_ADMIN_TOKEN", env.admin_token, 1);
    setenv("WXT_ADMIN_URL", env.admin, 1); /* [admin] listen: the admin API's own listener */
    assert_int_equal(run((const char *const[]){PYTHON, py, env.auth, "rp-apache", apache_secret,
                                               "rp-carol", env.dir, NULL},
                         &out),
                     0);
    if (strncmp(out, "ok ", 3) != 0)
        fail_msg("mod_auth_openidc: %.300s", out);
    free(out);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_openid_client_then_authlib),
        cmocka_unit_test(test_mod_auth_openidc),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
