/* The wxauth CLI driving a running wxauthd over its admin API: tables and --json, the exit
 * codes scripts rely on (0 ok, 1 failure, 2 usage/invalid, 3 not found, 4 credential refused),
 * --help on every command, where the URL and the credential come from (flags, environment,
 * config file), secrets kept out of argv and output, `admin hash-token`, and a WeChat set-up
 * made with the CLI alone — fresh account, pool, application, connection with its verification
 * file — after which a login through the emulator works and the file is served. Then
 * `wxauth doctor`: all ok on that set-up, and FAIL with the plain fix for a wrong secret, a
 * verification file that another server answers for or that is missing, and an unreachable
 * WeChat. The broken set-ups are second wxauthd processes on the same store with another
 * public_url / api_base, as a misconfigured proxy or firewall would make them. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#define NEW_APPID "wx0a1b2c3d4e5f6071" /* the "service account" this test sets up */
#define NEW_TXT "MP_verify_N3wAcc0unt7.txt"
#define NEW_TXT_CONTENT "N3wAcc0unt7"

static wxt_env_t env;
static char new_secret[33];

static int
group_setup(void **state)
{
    return wxt_setup(&env, NULL);
}

static int
group_teardown(void **state)
{
    wxt_teardown(&env);
    return 0;
}

/* ---- running the CLI ---- */

/* Run wxauth with exactly the given words (NULL-terminated) and extra environment; asserts
 * the exit code; stdout/stderr returned when asked (caller frees). */
static void
run_env(int want, char **out, char **err, const char *const *envv, const char *const *argv)
{
    char *o = NULL, *e = NULL;
    int rc = wxt_cli_run(&env, argv, envv, &o, &e);
    if (rc != want) {
        char line[512] = "";
        for (int i = 0; argv[i]; i++) {
            size_t l = strlen(line);
            snprintf(line + l, sizeof(line) - l, "%s ", argv[i]);
        }
        fail_msg("wxauth %s-> %d (want %d)\nstdout: %.1500s\nstderr: %.1500s", line, rc, want, o,
                 e);
    }
    if (out)
        *out = o;
    else
        free(o);
    if (err)
        *err = e;
    else
        free(e);
}

/* The same, pointed at the env with --config, --url and --token-file. */
static void
run(int want, char **out, char **err, const char *const *words)
{
    char tok[700];
    const char *argv[48];
    int n = 0;
    snprintf(tok, sizeof(tok), "%s/admin.token", env.dir);
    argv[n++] = "--config";
    argv[n++] = env.config;
    argv[n++] = "--url";
    argv[n++] = env.admin;
    argv[n++] = "--token-file";
    argv[n++] = tok;
    for (int i = 0; words[i] && n < 47; i++)
        argv[n++] = words[i];
    argv[n] = NULL;
    run_env(want, out, err, NULL, argv);
}

#define W(...) ((const char *const[]){__VA_ARGS__, NULL})

static json_t *
run_json(const char *const *words)
{
    char *out = NULL;
    run(0, &out, NULL, words);
    json_t *j = json_loads(out, 0, NULL);
    if (!j)
        fail_msg("--json output is not JSON: %.500s", out);
    free(out);
    return j;
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

static void
has(const char *text, const char *needle)
{
    if (!text || !strstr(text, needle))
        fail_msg("expected \"%s\" in:\n%.2000s", needle, text ? text : "(null)");
}

static void
has_not(const char *text, const char *needle)
{
    if (text && strstr(text, needle))
        fail_msg("did not expect \"%s\" in:\n%.2000s", needle, text);
}

/* The doctor line of one check ("ok    wechat    …"), copied; "" when there is none. */
static void
doctor_line(const char *out, const char *status, const char *check, char *line, size_t n)
{
    char head[64];
    snprintf(head, sizeof(head), "%-4s  %-8s  ", status, check);
    line[0] = '\0';
    for (const char *p = out; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t l = nl ? (size_t)(nl - p) : strlen(p);
        if (strncmp(p, head, strlen(head)) == 0) {
            snprintf(line, n, "%.*s", (int)l, p);
            return;
        }
        p = nl ? nl + 1 : NULL;
    }
}

static void
expect_doctor(const char *out, const char *status, const char *check, const char *words)
{
    char line[2048];
    doctor_line(out, status, check, line, sizeof(line));
    if (!line[0])
        fail_msg("no \"%s %s\" line in:\n%s", status, check, out);
    if (words && !strstr(line, words))
        fail_msg("the %s line lacks \"%s\": %s", check, words, line);
}

/* ---- help and usage ---- */

static void
test_help_everywhere(void **state)
{
    char *out = NULL;
    run_env(0, &out, NULL, NULL, W("--help"));
    has(out, "commands:");
    has(out, "exit codes: 0 ok, 1 failure, 2 usage");
    /* Every command the overview lists answers --help and -h with its usage, exit 0. */
    int ncmds = 0;
    const char *p = strstr(out, "commands:\n");
    assert_non_null(p);
    p += strlen("commands:\n");
    while (*p == ' ' && ncmds < 100) {
        const char *nl = strchr(p, '\n');
        assert_non_null(nl);
        char words[3][32] = {{0}};
        int nw = 0;
        const char *q = p;
        while (q < nl && nw < 3) {
            while (q < nl && *q == ' ')
                q++;
            size_t l = strcspn(q, " \n");
            if (l == 0 || l >= 32 || (*q >= 'A' && *q <= 'Z') || strncmp(q, "…", 3) == 0)
                break;
            memcpy(words[nw++], q, l);
            q += l;
            if (*q == ' ' && q[1] == ' ')
                break; /* the summary column */
        }
        if (nw > 0 && strcmp(words[0], "token") != 0) {
            const char *argv[4] = {words[0], nw > 1 ? words[1] : "--help", nw > 1 ? "--help" : NULL,
                                   NULL};
            char *h = NULL, want[128];
            run_env(0, &h, NULL, NULL, argv);
            snprintf(want, sizeof(want), "usage: wxauth %s%s%s", words[0], nw > 1 ? " " : "",
                     nw > 1 ? words[1] : "");
            has(h, want);
            has(h, "exit codes");
            free(h);
            argv[nw > 1 ? 2 : 1] = "-h";
            run_env(0, &h, NULL, NULL, argv);
            has(h, want);
            free(h);
            ncmds++;
        }
        p = nl + 1;
    }
    assert_true(ncmds >= 30);
    has(out, "connection set");
    has(out, "user revoke-tokens");
    has(out, "admin hash-token");
    has(out, "doctor");
    free(out);
    /* Groups, `help`, and help after other options. */
    const char *groups[] = {"pool", "app", "connection", "user", "keys", "audit", "admin"};
    for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
        char *h = NULL;
        run_env(0, &h, NULL, NULL, W(groups[i], "--help"));
        has(h, "usage: wxauth ");
        free(h);
    }
    run_env(0, &out, NULL, NULL, W("help", "user", "list"));
    has(out, "--search TEXT");
    free(out);
    run(0, &out, NULL, W("connection", "set", "--pool", "demo", "--help"));
    has(out, "--secret-env VAR");
    free(out);
}

static void
test_usage_errors(void **state)
{
    char *err = NULL;
    run_env(2, NULL, &err, NULL, W("frobnicate"));
    has(err, "unknown command 'frobnicate'");
    free(err);
    run_env(2, NULL, &err, NULL, W("pool", "explode"));
    has(err, "unknown command 'pool explode'");
    free(err);
    run_env(2, NULL, NULL, NULL, W("pool"));
    run_env(2, NULL, NULL, NULL, (const char *const[]){NULL});
    run(2, NULL, &err, W("pool", "get"));
    has(err, "needs ID");
    free(err);
    run(2, NULL, &err, W("pool", "list", "--colour", "red"));
    has(err, "has no option --colour");
    free(err);
    run(2, NULL, &err, W("pool", "get", "demo", "extra"));
    free(err);
    run(2, NULL, &err, W("app", "list"));
    has(err, "needs --pool");
    free(err);
    run(2, NULL, &err, W("user", "list", "--pool", "demo", "--limit", "many"));
    has(err, "--limit must be a whole number");
    free(err);
    run(2, NULL, &err, W("audit", "list", "--since", "last tuesday"));
    has(err, "--since");
    free(err);
    run(2, NULL, &err, W("pool", "delete", "demo")); /* no terminal, no --yes */
    has(err, "add --yes");
    free(err);
    run(0, NULL, NULL, W("pool", "get", "demo")); /* still there */
}

/* ---- output ---- */

static void
test_tables_and_json(void **state)
{
    char *out = NULL;
    run(0, &out, NULL, W("pool", "list"));
    /* A header, then aligned rows: each column starts where its title does. */
    has(out, "ID");
    has(out, "NAME");
    const char *name_col = strstr(out, "NAME");
    size_t col = (size_t)(name_col - out);
    const char *row = strstr(out, "\ndemo ");
    assert_non_null(row);
    assert_string_equal(strncmp(row + 1 + col, "Demo", 4) == 0 ? "aligned" : row, "aligned");
    free(out);
    json_t *j = run_json(W("pool", "list", "--json"));
    assert_true(json_is_array(json_object_get(j, "pools")));
    assert_true(json_array_size(json_object_get(j, "pools")) >= 2);
    json_decref(j);
    j = run_json(W("--json", "pool", "get", "demo")); /* global options go anywhere */
    assert_string_equal(json_string_value(json_object_get(j, "id")), "demo");
    json_decref(j);
    run(0, &out, NULL, W("pool", "get", "demo"));
    has(out, "id:");
    has(out, "token_ttl:");
    has(out, "1296000");
    free(out);
    run(0, &out, NULL, W("keys", "list"));
    has(out, "current");
    has(out, "RS256");
    free(out);
    run(0, &out, NULL, W("connection", "get", "--pool", "demo"));
    has(out, "app_secret:");
    has(out, "set");
    has_not(out, env.secret); /* write-only */
    has(out, "MP_verify_T3stFile9.txt");
    free(out);
    j = run_json(W("connection", "list", "--pool", "demo", "--json"));
    assert_int_equal(json_array_size(json_object_get(j, "connections")), 2);
    char *text = json_dumps(j, 0);
    has_not(text, env.secret);
    free(text);
    json_decref(j);
    run(0, &out, NULL, W("version"));
    has(out, "wxauth ");
    free(out);
}

/* ---- exit codes and credentials ---- */

static void
test_exit_codes_and_credentials(void **state)
{
    char *out = NULL, *err = NULL, tok[700], cfg[700], url[128], envtok[128];
    snprintf(tok, sizeof(tok), "%s/admin.token", env.dir);
    snprintf(envtok, sizeof(envtok), "WXAUTH_ADMIN_TOKEN=%s", env.admin_token);

    run(3, NULL, &err, W("pool", "get", "nope"));
    has(err, "no such pool");
    free(err);
    run(3, NULL, NULL, W("user", "get", "--pool", "demo", "000000000000000000000000"));
    run(1, NULL, &err, W("pool", "create", "demo"));
    has(err, "exists");
    free(err);
    /* A validation error: one line per field, as the API names it. */
    run(2, NULL, &err, W("pool", "create", "bad id", "--alg", "HS999", "--token-ttl", "5"));
    has(err, "id: ");
    has(err, "alg: must be RS256, ES256 or EdDSA");
    has(err, "token_ttl: ");
    free(err);
    run(2, NULL, &err,
        W("connection", "set", "--pool", "demo", "--callback", "ftp://x/", "--txt-filename",
          "verify.txt", "--txt-content", "x"));
    has(err, "callback_url: ");
    has(err, "txt_filename: must look like MP_verify_");
    free(err);
    /* Nothing listens: 1. */
    snprintf(url, sizeof(url), "http://127.0.0.1:9");
    run_env(1, NULL, &err, NULL, W("--url", url, "--token-file", tok, "pool", "list"));
    has(err, "cannot reach the admin API at http://127.0.0.1:9");
    free(err);
    /* A wrong credential: 4 (three tries only: ten would shut this address out). */
    write_file(tok, env.admin_token, 0600);
    const char *wrong[] = {"WXAUTH_ADMIN_TOKEN=wrong-wrong-wrong-wrong", NULL};
    run_env(4, NULL, &err, wrong, W("--url", env.admin, "pool", "list"));
    has(err, "refused the credential");
    has(err, "WXAUTH_ADMIN_TOKEN");
    free(err);
    /* No credential anywhere: a usage error that says where to put one. */
    run_env(2, NULL, &err, NULL, W("--url", env.admin, "pool", "list"));
    has(err, "no admin token");
    free(err);

    /* The credential from the environment, the URL from the config's [server] listen. */
    const char *ok_env[] = {envtok, NULL};
    run_env(0, &out, NULL, ok_env, W("--config", env.config, "pool", "list"));
    has(out, "demo");
    free(out);
    /* Both from a config file's [cli] section (token_file relative to the file). */
    snprintf(cfg, sizeof(cfg), "%s/cli.ini", env.dir);
    char text[900];
    snprintf(text, sizeof(text), "[cli]\nurl = %s\ntoken_file = admin.token\n", env.admin);
    write_file(cfg, text, 0600);
    run_env(0, &out, NULL, NULL, W("--config", cfg, "pool", "get", "demo"));
    has(out, "demo");
    free(out);
    /* WXAUTH_URL and WXAUTH_ADMIN_TOKEN alone, no config file. */
    snprintf(url, sizeof(url), "WXAUTH_URL=%s", env.admin);
    const char *url_env[] = {url, envtok, NULL};
    run_env(0, &out, NULL, url_env, W("keys", "list"));
    free(out);
    /* No URL anywhere: wxauthd's own config file names the admin API's [admin] listen. */
    run_env(0, &out, NULL, NULL, W("--config", env.config, "--token-file", tok, "pool", "list"));
    has(out, "demo");
    free(out);
    /* --token works, with a warning about ps. */
    run_env(0, NULL, &err, NULL, W("--url", env.admin, "--token", env.admin_token, "pool", "list"));
    has(err, "warning: --token");
    has_not(err, env.admin_token);
    free(err);
    /* A token file others can read gets a warning. */
    chmod(tok, 0644);
    run_env(0, NULL, &err, NULL, W("--url", env.admin, "--token-file", tok, "pool", "list"));
    has(err, "chmod 600");
    free(err);
    chmod(tok, 0600);
}

static void
test_hash_token(void **state)
{
    char *out = NULL, *err = NULL, path[700], envv[128];
    snprintf(envv, sizeof(envv), "WXT_NEW_ADMIN=%s", "a-new-admin-token-0123456789");
    const char *e[] = {envv, NULL};
    run_env(0, &out, NULL, e, W("admin", "hash-token", "--token-env", "WXT_NEW_ADMIN"));
    assert_true(strncmp(out, "pbkdf2-sha256$100000$", 21) == 0); /* chosen: PBKDF2 */
    has_not(out, "a-new-admin-token");
    free(out);
    /* 64 hex characters look generated (256 bits): the fast keyed hash. */
    const char *hexv[] = {
        "WXT_HEX=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", NULL};
    run_env(0, &out, NULL, hexv, W("admin", "hash-token", "--token-env", "WXT_HEX"));
    assert_true(strncmp(out, "hmac-sha256$", 12) == 0);
    free(out);
    const char *shortv[] = {"WXT_SHORT=short", NULL};
    run_env(2, NULL, &err, shortv, W("admin", "hash-token", "--token-env", "WXT_SHORT"));
    has(err, "at least 16 characters");
    free(err);
    run_env(2, NULL, &err, NULL, W("admin", "hash-token")); /* stdin is empty */
    has(err, "no token on stdin");
    free(err);
    json_t *j = NULL;
    run_env(0, &out, NULL, NULL, W("admin", "hash-token", "--generate", "--json"));
    j = json_loads(out, 0, NULL);
    assert_non_null(j);
    assert_int_equal(strlen(json_string_value(json_object_get(j, "token"))), 43);
    assert_true(strncmp(json_string_value(json_object_get(j, "token_hash")), "hmac-sha256$", 12) ==
                0);
    json_decref(j);
    free(out);
    snprintf(path, sizeof(path), "%s/generated.token", env.dir);
    run_env(0, &out, NULL, NULL, W("admin", "hash-token", "--generate", "--out", path));
    has(out, "token_hash = hmac-sha256$"); /* a generated token: the fast keyed hash */
    has(out, "written to");
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(st.st_size, 44); /* 43 characters and a newline */
    free(out);
    run_env(2, NULL, &err, NULL, W("admin", "hash-token", "--generate", "--out", path));
    has(err, "never overwritten");
    free(err);
}

/* ---- a WeChat set-up with the CLI alone ---- */

/* The developer's new service account: the emulator learns it as WeChat would know it. */
static void
add_account(void)
{
    char body[512];
    unsigned char rnd[16];
    FILE *f = fopen("/dev/urandom", "r");
    assert_non_null(f);
    assert_int_equal(fread(rnd, 1, sizeof(rnd), f), sizeof(rnd));
    fclose(f);
    for (int i = 0; i < 16; i++)
        snprintf(new_secret + 2 * i, 3, "%02x", rnd[i]);
    snprintf(body, sizeof(body),
             "{\"appid\":\"" NEW_APPID "\",\"name\":\"New Service Account\",\"secret\":\"%s\","
             "\"domain\":\"127.0.0.1:%d\",\"open_platform\":\"op-new\"}",
             new_secret, env.auth_port);
    wxt_emu_admin(&env, "POST", "/emu/admin/accounts", body);
    wxt_emu_admin(&env, "POST", "/emu/admin/people", "{\"id\":\"carol\",\"nickname\":\"Carol\"}");
}

/* Issue 13: `wxauth app create|update` set an application's OpenID Connect settings, lists
 * repeatable, and a --clear-… flag empties one. */
static void
test_app_oidc_options(void **state)
{
    char *out = NULL, *err = NULL;
    run(0, NULL, NULL, W("pool", "create", "oidc-cli"));
    run(0, NULL, NULL,
        W("app", "create", "spa", "--pool", "oidc-cli", "--public", "--redirect",
          "http://127.0.0.1:9/spa-cb", "--post-logout-redirect", "http://127.0.0.1:9/bye",
          "--post-logout-redirect", "http://127.0.0.1:9/bye2", "--web-origin", "http://127.0.0.1:9",
          "--access-token-ttl", "900"));
    json_t *j = run_json(W("app", "get", "spa", "--json"));
    assert_true(json_is_true(json_object_get(j, "public_client")));
    assert_int_equal(json_array_size(json_object_get(j, "post_logout_redirect_uris")), 2);
    assert_string_equal(json_string_value(json_array_get(json_object_get(j, "web_origins"), 0)),
                        "http://127.0.0.1:9");
    assert_int_equal(json_integer_value(json_object_get(j, "access_token_ttl")), 900);
    json_decref(j);
    run(0, NULL, NULL,
        W("app", "update", "spa", "--confidential", "--clear-post-logout-redirects",
          "--refresh-token-ttl", "3600"));
    j = run_json(W("app", "get", "spa", "--json"));
    assert_false(json_is_true(json_object_get(j, "public_client")));
    assert_int_equal(json_array_size(json_object_get(j, "post_logout_redirect_uris")), 0);
    assert_int_equal(json_array_size(json_object_get(j, "web_origins")), 1);
    assert_int_equal(json_integer_value(json_object_get(j, "refresh_token_ttl")), 3600);
    json_decref(j);
    /* The server's message names the field; contradictory flags are usage errors. */
    run(2, NULL, &err, W("app", "update", "spa", "--web-origin", "https://a.example/path"));
    has(err, "web_origins");
    free(err);
    run(2, NULL, &err, W("app", "update", "spa", "--public", "--confidential"));
    has(err, "do not go together");
    free(err);
    run(0, &out, NULL, W("app", "get", "spa"));
    has(out, "post_logout_redirect_uris");
    free(out);
    run(0, NULL, NULL, W("pool", "delete", "oidc-cli", "--yes"));
}

static void
test_setup_with_cli_then_login(void **state)
{
    char *out = NULL, *err = NULL, txt[700], secret_file[700], url[512];
    add_account();
    run(0, &out, NULL, W("pool", "create", "shop", "--name", "Shop"));
    has(out, "pool shop created");
    free(out);
    run(0, &out, NULL,
        W("app", "create", "shop-web", "--pool", "shop", "--redirect",
          "http://127.0.0.1:9/shop-cb"));
    has(out, "app secret (shown once): ");
    free(out);
    /* The App Secret from a file, the verification file as downloaded from WeChat. */
    snprintf(secret_file, sizeof(secret_file), "%s/wx-secret", env.dir);
    write_file(secret_file, new_secret, 0600);
    snprintf(txt, sizeof(txt), "%s/" NEW_TXT, env.dir);
    write_file(txt, NEW_TXT_CONTENT, 0644);
    run(0, &out, &err,
        W("connection", "set", "--pool", "shop", "--appid", NEW_APPID, "--secret-file", secret_file,
          "--callback", "#", "--txt-file", txt));
    has(out, "created (App Secret set)");
    has(out, "/" NEW_TXT);
    has_not(out, new_secret);
    has_not(err, "warning");
    free(out);
    free(err);

    /* The verification file is served at the root, exactly. */
    wxt_resp_t r = {0};
    snprintf(url, sizeof(url), "%s/" NEW_TXT, env.auth);
    assert_int_equal(wxt_http("GET", url, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, NEW_TXT_CONTENT);
    assert_true(strncmp(r.content_type, "text/plain", 10) == 0);
    wxt_resp_free(&r);

    /* A login through the emulator, the application flow of @authing/wxmp 1.1+. */
    wxt_browser_t *b = wxt_browser_new(NULL);
    wxt_result_t res;
    snprintf(url, sizeof(url), "%s/connections/social/wechat:webpage-authorization?app_id=shop-web",
             env.auth);
    wxt_login(b, url, "carol", "allow", &r, NULL, 0);
    assert_int_equal(r.status, 302);
    assert_true(strncmp(r.location, "http://127.0.0.1:9/shop-cb?", 27) == 0);
    assert_true(wxt_parse_result(&env, r.location, &res));
    if (res.code != 200)
        fail_msg("login: %d %s", res.code, res.message);
    assert_string_equal(json_string_value(json_object_get(res.data, "userPoolId")), "shop");
    assert_string_equal(json_string_value(json_object_get(res.data, "nickname")), "Carol");
    char uid[64];
    snprintf(uid, sizeof(uid), "%s", json_string_value(json_object_get(res.data, "id")));
    wxt_result_free(&res);
    wxt_resp_free(&r);
    wxt_browser_free(b);

    /* Looking after the user from the CLI. */
    run(0, &out, NULL, W("user", "list", "--pool", "shop"));
    has(out, "NICKNAME");
    has(out, "Carol");
    has(out, "1-1 of 1");
    free(out);
    json_t *j = run_json(W("user", "list", "--pool", "shop", "--search", "Car", "--json"));
    assert_int_equal(json_integer_value(json_object_get(j, "total")), 1);
    json_decref(j);
    run(0, &out, NULL, W("user", "list", "--pool", "shop", "--search", "Nobody"));
    has(out, "(none)");
    free(out);
    run(0, &out, NULL, W("user", "count", "--pool", "shop"));
    assert_string_equal(out, "1\n");
    free(out);
    run(0, &out, NULL, W("user", "get", "--pool", "shop", uid));
    has(out, "identities:");
    has(out, NEW_APPID);
    free(out);
    run(0, &out, NULL, W("user", "block", "--pool", "shop", uid));
    has(out, "blocked");
    free(out);
    j = run_json(W("user", "get", "--pool", "shop", uid, "--json"));
    assert_true(json_is_true(json_object_get(j, "blocked")));
    json_decref(j);
    run(0, NULL, NULL, W("user", "unblock", "--pool", "shop", uid));
    run(0, &out, NULL, W("user", "revoke-tokens", "--pool", "shop", uid));
    has(out, "tokens revoked");
    free(out);
    run(0, &out, NULL, W("audit", "list", "--pool", "shop", "--action", "user."));
    has(out, "user.block");
    has(out, "user.unblock");
    has(out, "user.revoke_tokens");
    has_not(out, "pool.create");
    free(out);
    j = run_json(W("audit", "list", "--pool", "shop", "--since", "1h", "--json"));
    assert_true(json_integer_value(json_object_get(j, "total")) >= 6);
    json_decref(j);
    run(3, NULL, NULL, W("user", "delete", "--pool", "shop", "000000000000000000000000", "--yes"));
}

/* ---- import from Authing ---- */

/* `wxauth user import`: Authing's export (the ManagementClient's {"data":{"list":[…]}} shape,
 * v2 and v3 users) lands with its ids kept; a bad entry is named and loses nothing else; a
 * rerun changes nothing; the imported person's next WeChat login is that same user. */
static void
test_user_import(void **state)
{
    char *out = NULL, *err = NULL, path[700], text[2048], url[512], openid[128], unionid[128];
    wxt_emu_admin(&env, "POST", "/emu/admin/people", "{\"id\":\"dave\",\"nickname\":\"Dave\"}");
    wxt_emu_person_ids(&env, NEW_APPID, "dave", openid, sizeof(openid), unionid, sizeof(unionid));
    snprintf(text, sizeof(text),
             "{\"code\":200,\"data\":{\"totalCount\":3,\"list\":["
             "{\"_id\":\"5f0c1a2b3c4d5e6f7a8b9c0d\",\"id\":\"5f0c1a2b3c4d5e6f7a8b9c0d\","
             "\"username\":\"dave_old\",\"nickname\":\"Dave 老用户\",\"openid\":\"%s\","
             "\"unionid\":\"%s\",\"loginsCount\":41,\"createdAt\":\"2021-03-04T05:06:07.000Z\"},"
             "{\"userId\":\"62e7f0c91073aaba0db4d65b\",\"nickname\":\"Erin\",\"identities\":"
             "[{\"provider\":\"wechat\",\"userIdInIdp\":\"oErinImported\"}]},"
             "{\"id\":\"bad1\",\"nickname\":\"no openid\"}]}}",
             openid, unionid);
    snprintf(path, sizeof(path), "%s/authing-users.json", env.dir);
    write_file(path, text, 0600);

    run(1, &out, &err, W("user", "import", "--pool", "shop", path));
    has(out, "2 created");
    has(out, "1 failed");
    has(err, "user #3 (bad1): no WeChat openid");
    free(out);
    free(err);
    run(1, &out, NULL, W("user", "import", "--pool", "shop", path));
    has(out, "0 created");
    has(out, "2 already there");
    free(out);
    json_t *j = run_json(W("user", "get", "--pool", "shop", "62e7f0c91073aaba0db4d65b", "--json"));
    assert_string_equal(json_string_value(json_object_get(j, "nickname")), "Erin");
    json_decref(j);
    run(0, &out, NULL, W("audit", "list", "--pool", "shop", "--action", "user.import"));
    has(out, "2 created");
    free(out);

    /* Dave logs in with WeChat: the imported user, id and history kept. */
    wxt_browser_t *b = wxt_browser_new(NULL);
    wxt_resp_t r = {0};
    wxt_result_t res;
    snprintf(url, sizeof(url), "%s/connections/social/wechat:webpage-authorization?app_id=shop-web",
             env.auth);
    wxt_login(b, url, "dave", "allow", &r, NULL, 0);
    assert_true(wxt_parse_result(&env, r.location, &res));
    if (res.code != 200)
        fail_msg("login: %d %s", res.code, res.message);
    assert_string_equal(json_string_value(json_object_get(res.data, "id")),
                        "5f0c1a2b3c4d5e6f7a8b9c0d");
    assert_int_equal(json_integer_value(json_object_get(res.data, "loginsCount")), 42);
    wxt_result_free(&res);
    wxt_resp_free(&r);
    wxt_browser_free(b);

    /* Usage errors say what is wrong. */
    run(2, NULL, &err, W("user", "import", "--pool", "shop", "/nonexistent.json"));
    has(err, "cannot read /nonexistent.json");
    free(err);
    write_file(path, "[]", 0600);
    run(2, NULL, &err, W("user", "import", "--pool", "shop", path));
    has(err, "holds no users");
    free(err);
}

/* An application keeps the secret it had at Authing (--secret-env): HS256 tokens of a login
 * verify with it, so backends doing jwt.verify(token, appSecret) keep working. */
static void
test_app_secret_kept(void **state)
{
    char *out = NULL, *err = NULL, tok[700], url[512], iss[300];
    const char *kept = "0123456789abcdef0123456789abcdef"; /* Authing's shape: 32 hex */
    const char *e[] = {"APP_SECRET=0123456789abcdef0123456789abcdef", "SHORT=abc",
                       "NEW_SECRET=fedcba9876543210fedcba9876543210", NULL};
    snprintf(tok, sizeof(tok), "%s/admin.token", env.dir);
    run_env(0, &out, NULL, e,
            W("--url", env.admin, "--token-file", tok, "app", "create", "legacy", "--pool", "shop",
              "--redirect", "http://127.0.0.1:9/legacy-cb", "--token-alg", "HS256", "--secret-env",
              "APP_SECRET"));
    has(out, "application legacy created in pool shop with the secret given");
    has_not(out, kept);
    has_not(out, "shown once");
    free(out);
    run_env(2, NULL, &err, e,
            W("--url", env.admin, "--token-file", tok, "app", "create", "legacy2", "--pool", "shop",
              "--secret-env", "SHORT"));
    has(err, "16 to 128 characters");
    free(err);

    wxt_browser_t *b = wxt_browser_new(NULL);
    wxt_resp_t r = {0};
    wxt_result_t res;
    snprintf(url, sizeof(url), "%s/connections/social/wechat:webpage-authorization?app_id=legacy",
             env.auth);
    wxt_login(b, url, "carol", "allow", &r, NULL, 0);
    assert_true(wxt_parse_result(&env, r.location, &res));
    if (res.code != 200)
        fail_msg("login: %d %s", res.code, res.message);
    char token[4096];
    snprintf(token, sizeof(token), "%s", json_string_value(json_object_get(res.data, "token")));
    wxt_result_free(&res);
    wxt_resp_free(&r);
    wxt_browser_free(b);
    snprintf(iss, sizeof(iss), "%s/oidc", env.auth);
    run_env(0, &out, NULL, e,
            W("token", "verify", token, "--hs256-secret-env", "APP_SECRET", "--alg", "HS256",
              "--iss", iss, "--aud", "legacy"));
    has(out, "valid: sub=");
    free(out);

    /* Setting another known secret: the old one no longer signs. */
    run_env(0, &out, NULL, e,
            W("--url", env.admin, "--token-file", tok, "app", "reset-secret", "legacy",
              "--secret-env", "NEW_SECRET"));
    has(out, "the secret given is set");
    has_not(out, "fedcba");
    free(out);
    run(0, &out, NULL, W("audit", "list", "--pool", "shop", "--action", "app."));
    has(out, "app.secret_set");
    free(out);
    run(0, NULL, NULL, W("app", "delete", "legacy", "--yes"));
}

/* ---- doctor ---- */

static void
test_doctor_good(void **state)
{
    char *out = NULL;
    run(0, &out, NULL, W("doctor", "--pool", "shop"));
    expect_doctor(out, "ok", "server", env.admin);
    expect_doctor(out, "ok", "clock", "agree");
    expect_doctor(out, "ok", "keys", "RS256");
    expect_doctor(out, "ok", "callback", "first registered callback");
    expect_doctor(out, "ok", "txt-file", "serves the exact content");
    expect_doctor(out, "ok", "wechat", "accepted App ID " NEW_APPID);
    expect_doctor(out, "ok", "domain", "网页授权域名");
    has(out, "all good: 0 failed");
    has_not(out, new_secret);
    free(out);
    json_t *j = run_json(
        W("doctor", "--pool", "shop", "--identifier", "wechat:webpage-authorization", "--json"));
    assert_true(json_is_true(json_object_get(j, "ok")));
    assert_true(json_array_size(json_object_get(j, "checks")) >= 7);
    json_decref(j);
    run(3, NULL, NULL, W("doctor", "--pool", "nope"));
    run(3, NULL, NULL, W("doctor", "--pool", "shop", "--identifier", "nope"));
    /* Every pool when none is named (the env's own set-up is good too). */
    run(0, &out, NULL, W("doctor"));
    has(out, "demo/wechat:webpage-authorization");
    has(out, "shop/wechat:webpage-authorization");
    free(out);
}

/* Pool-flow pages (@authing/wxmp 1.0) with a Callback URL of '#' (admin.md step 7): the doctor
 * warns while they would have nowhere to return, and once the pool has a registered callback
 * the login starts and goes there. */
static void
test_doctor_pool_flow(void **state)
{
    char *out = NULL, url[512];
    wxt_resp_t r = {0};
    run(0, &out, NULL, W("doctor", "--pool", "shop"));
    expect_doctor(out, "warn", "pool-flow", "@authing/wxmp 1.0");
    expect_doctor(out, "warn", "pool-flow", "wxauth pool update shop --redirect");
    free(out);
    snprintf(url, sizeof(url), "%s/oauth/wechatmp/url/shop", env.auth);
    assert_int_equal(wxt_http("GET", url, NULL, &r), 0);
    assert_int_equal(r.status, 400);
    has(r.body, "未配置登录后返回的页面");
    has(r.body, "wxauth pool update shop --redirect URL");
    wxt_resp_free(&r);

    run(0, NULL, NULL,
        W("pool", "update", "shop", "--redirect", "https://shop.example.com/pool-callback"));
    run(0, &out, NULL, W("doctor", "--pool", "shop"));
    expect_doctor(out, "ok", "pool-flow", "pool's first registered callback");
    free(out);
    wxt_browser_t *b = wxt_browser_new(NULL);
    assert_int_equal(wxt_get(b, url, &r), 0);
    assert_int_equal(r.status, 302); /* to WeChat: the login has a page to return to */
    wxt_resp_free(&r);
    wxt_browser_free(b);
    run(0, NULL, NULL, W("pool", "update", "shop", "--clear-redirects"));
}

static void
test_doctor_wrong_secret(void **state)
{
    char *out = NULL;
    const char *e[] = {"WXT_BAD=00000000000000000000000000000000", NULL};
    char tok[700];
    snprintf(tok, sizeof(tok), "%s/admin.token", env.dir);
    run_env(0, NULL, NULL, e,
            W("--url", env.admin, "--token-file", tok, "connection", "set", "--pool", "shop",
              "--secret-env", "WXT_BAD"));
    run(1, &out, NULL, W("doctor", "--pool", "shop"));
    expect_doctor(out, "FAIL", "wechat", "WeChat refused the App Secret");
    expect_doctor(out, "FAIL", "wechat",
                  "Fix: copy the App Secret again from 设置与开发 → 基本配置");
    expect_doctor(out, "FAIL", "wechat", "wxauth connection set --pool shop --secret-env");
    expect_doctor(out, "ok", "txt-file", NULL); /* the rest is still fine */
    has(out, "problems found: 1 failed");
    free(out);
    run(1, &out, NULL, W("connection", "check", "--pool", "shop"));
    has(out, "FAIL: WeChat refused the App Secret");
    free(out);
    /* Put the right one back (prompt-free: from a file). */
    char sf[700];
    snprintf(sf, sizeof(sf), "%s/wx-secret", env.dir);
    run(0, NULL, NULL, W("connection", "set", "--pool", "shop", "--secret-file", sf));
    run(0, &out, NULL, W("connection", "check", "--pool", "shop"));
    has(out, "ok: WeChat accepted");
    free(out);
    /* No verification file is a warning, not a failure. */
    run(0, NULL, NULL, W("connection", "set", "--pool", "shop", "--clear-txt"));
    run(0, &out, NULL, W("doctor", "--pool", "shop"));
    expect_doctor(out, "warn", "txt-file", "no verification file");
    has(out, "--txt-file");
    free(out);
    char txt[700];
    snprintf(txt, sizeof(txt), "%s/" NEW_TXT, env.dir);
    run(0, NULL, NULL, W("connection", "set", "--pool", "shop", "--txt-file", txt));
}

/* A server that answers every request with 200 and other content: what WeChat sees when
 * another site answers for the domain. */
typedef struct {
    int fd;
    volatile int stop;
    pthread_t th;
} impostor_t;

static void *
impostor_main(void *arg)
{
    impostor_t *im = arg;
    static const char reply[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                                "Content-Length: 13\r\nConnection: close\r\n\r\nsomeone else\n";
    for (int i = 0; i < 6000 && !im->stop; i++) { /* at most 10 minutes */
        struct pollfd pfd = {.fd = im->fd, .events = POLLIN};
        if (poll(&pfd, 1, 100) <= 0)
            continue;
        int c = accept(im->fd, NULL, NULL);
        if (c < 0)
            continue;
        char buf[4096];
        struct pollfd cp = {.fd = c, .events = POLLIN};
        if (poll(&cp, 1, 2000) > 0 && read(c, buf, sizeof(buf)) > 0 &&
            write(c, reply, sizeof(reply) - 1) < 0) {
            /* the client went away: nothing to do */
        }
        close(c);
    }
    return NULL;
}

static int
impostor_start(impostor_t *im)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t l = sizeof(a);
    im->fd = socket(AF_INET, SOCK_STREAM, 0);
    im->stop = 0;
    assert_true(im->fd >= 0);
    assert_int_equal(bind(im->fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(im->fd, 16), 0);
    assert_int_equal(getsockname(im->fd, (struct sockaddr *)&a, &l), 0);
    assert_int_equal(pthread_create(&im->th, NULL, impostor_main, im), 0);
    return ntohs(a.sin_port);
}

static void
impostor_stop(impostor_t *im)
{
    im->stop = 1;
    pthread_join(im->th, NULL);
    close(im->fd);
}

/* A second wxauthd on the env's store with another public_url / api_base / admin section. */
typedef struct {
    pid_t pid;
    char url[64];
    char log[700];
} variant_t;

static void
variant_start(variant_t *v, const char *name, const char *public_url, const char *api_base,
              const char *admin_section, const char *admin_token_env)
{
    char cfg[700], text[2048], tokenv[128];
    int port = wxt_free_port();
    snprintf(v->url, sizeof(v->url), "http://127.0.0.1:%d", port);
    snprintf(cfg, sizeof(cfg), "%s/%s.ini", env.dir, name);
    snprintf(v->log, sizeof(v->log), "%s/%s.log", env.dir, name);
    snprintf(text, sizeof(text),
             "[server]\nlisten = 127.0.0.1:%d\npublic_url = %s\nworkers = 1\n"
             "shutdown_grace_ms = 2000\n\n[store]\nurl = %s\n\n"
             "[wechat]\nauthorize_url = %s/connect/oauth2/authorize\napi_base = %s\n"
             "timeout_ms = 1000\nretries = 0\n\n[keys]\nmaster_key_file = master.key\n\n"
             /* the admin API on the public listener, as it was before [admin] listen */
             "[admin]\nlisten = public\n\n%s",
             port, public_url ? public_url : v->url, env.store_url, env.emu, api_base,
             admin_section);
    write_file(cfg, text, 0600);
    snprintf(tokenv, sizeof(tokenv), "WXAUTH_ADMIN_TOKEN=%s",
             admin_token_env ? admin_token_env : "");
    v->pid = fork();
    assert_true(v->pid >= 0);
    if (v->pid == 0) {
        int fd = open(v->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        if (admin_token_env)
            putenv(tokenv);
        else
            unsetenv("WXAUTH_ADMIN_TOKEN");
        execl(getenv("WXAUTHD"), "wxauthd", "--config", cfg, (char *)NULL);
        _exit(127);
    }
    char health[128];
    snprintf(health, sizeof(health), "%s/healthz", v->url);
    for (int i = 0; i < 200; i++) {
        wxt_resp_t r = {0};
        if (wxt_http("GET", health, NULL, &r) == 0 && r.status == 200) {
            wxt_resp_free(&r);
            return;
        }
        wxt_resp_free(&r);
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    fail_msg("variant %s did not start; see %s", name, v->log);
}

static void
variant_stop(variant_t *v)
{
    int st = 0;
    kill(v->pid, SIGTERM);
    for (int i = 0; i < 300; i++) {
        if (waitpid(v->pid, &st, WNOHANG) == v->pid) {
            if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
                fail_msg("variant wxauthd exited badly (%d); see %s", st, v->log);
            return;
        }
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    kill(v->pid, SIGKILL);
    waitpid(v->pid, NULL, 0);
    fail_msg("variant wxauthd did not stop");
}

static void
test_doctor_txt_and_unreachable(void **state)
{
    char *out = NULL, dead[64], impostor_url[64];
    impostor_t im;
    variant_t v;
    snprintf(dead, sizeof(dead), "http://127.0.0.1:%d", wxt_free_port()); /* nothing listens */
    snprintf(impostor_url, sizeof(impostor_url), "http://127.0.0.1:%d", impostor_start(&im));
    variant_start(&v, "variant-proxy", impostor_url, dead, "", env.admin_token);
    char tok[700];
    snprintf(tok, sizeof(tok), "%s/admin.token", env.dir);
    char *err = NULL;
    run_env(1, &out, &err, NULL,
            W("--url", v.url, "--token-file", tok, "doctor", "--pool", "shop"));
    expect_doctor(out, "FAIL", "txt-file", "not with the exact Txt Content");
    expect_doctor(out, "FAIL", "txt-file", "Fix: another server may be answering for this host");
    expect_doctor(out, "FAIL", "txt-file", "--txt-file PATH/TO/" NEW_TXT);
    expect_doctor(out, "FAIL", "wechat", "cannot reach WeChat at ");
    expect_doctor(out, "FAIL", "wechat", "Fix: check [wechat] api_base");
    expect_doctor(out, "ok", "callback", NULL);
    /* This server's public_url is not the domain WeChat (the emulator) has for the account. */
    expect_doctor(out, "FAIL", "domain", "refused to return to ");
    expect_doctor(out, "FAIL", "domain", "10003");
    expect_doctor(out, "FAIL", "domain", "Fix: enter 127.0.0.1:");
    has(out, "problems found: 3 failed");
    /* The same from the admin API, as the console gets it: each failing check with its fix,
     * in Chinese too. */
    char url[300];
    wxt_resp_t ar = {0};
    snprintf(url, sizeof(url),
             "%s/api/admin/v1/pools/shop/connections/wechat:webpage-authorization/check", v.url);
    assert_int_equal(wxt_http_auth("POST", url, env.admin_token, NULL, &ar), 0);
    assert_int_equal(ar.status, 200);
    json_t *aj = json_loads(ar.body, 0, NULL), *ck;
    size_t ai;
    int seen = 0;
    json_array_foreach(json_object_get(aj, "checks"), ai, ck)
    {
        const char *name = json_string_value(json_object_get(ck, "check"));
        if (strcmp(name, "txt-file") != 0 && strcmp(name, "domain") != 0)
            continue;
        seen++;
        assert_string_equal(json_string_value(json_object_get(ck, "status")), "fail");
        assert_non_null(json_string_value(json_object_get(ck, "fix_zh")));
        assert_non_null(strstr(json_string_value(json_object_get(ck, "message_zh")),
                               strcmp(name, "domain") == 0 ? "10003" : "不一致"));
    }
    assert_int_equal(seen, 2);
    assert_int_equal(json_integer_value(json_object_get(aj, "failed")), 3);
    json_decref(aj);
    wxt_resp_free(&ar);
    free(out);
    free(err);
    variant_stop(&v);
    impostor_stop(&im);

    /* The verification file missing where WeChat looks (the host answers 404); this server
     * has its token as a hash in the config, made with `wxauth admin hash-token`. */
    char *hash = NULL, envv[128], section[400];
    const char *token2 = "second-server-admin-token-42";
    snprintf(envv, sizeof(envv), "WXT_TOKEN2=%s", token2);
    const char *e[] = {envv, NULL};
    run_env(0, &hash, NULL, e, W("admin", "hash-token", "--token-env", "WXT_TOKEN2"));
    hash[strcspn(hash, "\n")] = '\0';
    /* The [cli] section is the CLI's: wxauthd starts with it in its file. */
    snprintf(section, sizeof(section), "[admin]\ntoken_hash = %s\n\n[cli]\nurl = %s\n", hash,
             env.auth);
    free(hash);
    variant_start(&v, "variant-404", env.emu, env.emu, section, NULL);
    char tenv[128];
    snprintf(tenv, sizeof(tenv), "WXAUTH_ADMIN_TOKEN=%s", token2);
    const char *te[] = {tenv, NULL};
    run_env(1, &out, NULL, te, W("--url", v.url, "doctor", "--pool", "shop"));
    expect_doctor(out, "FAIL", "txt-file", "answered HTTP 404 instead of the file");
    expect_doctor(out, "FAIL", "txt-file", "Fix: make the web server or proxy for this host pass");
    expect_doctor(out, "ok", "wechat", NULL);
    free(out);
    /* The admin API's answer behind it: the file missing at the domain root fails, with the
     * fix in Chinese too. */
    snprintf(url, sizeof(url),
             "%s/api/admin/v1/pools/shop/connections/wechat:webpage-authorization/check", v.url);
    assert_int_equal(wxt_http_auth("POST", url, token2, NULL, &ar), 0);
    assert_int_equal(ar.status, 200);
    aj = json_loads(ar.body, 0, NULL);
    seen = 0;
    json_array_foreach(json_object_get(aj, "checks"), ai, ck)
    {
        if (strcmp(json_string_value(json_object_get(ck, "check")), "txt-file") != 0)
            continue;
        seen++;
        assert_string_equal(json_string_value(json_object_get(ck, "status")), "fail");
        assert_non_null(strstr(json_string_value(json_object_get(ck, "message")), "HTTP 404"));
        assert_non_null(strstr(json_string_value(json_object_get(ck, "fix_zh")), "MP_verify_"));
    }
    assert_int_equal(seen, 1);
    json_decref(aj);
    wxt_resp_free(&ar);
    /* The env's own token is not this server's. */
    run_env(4, NULL, NULL, NULL,
            W("--url", v.url, "--token-file", tok, "doctor", "--pool", "shop"));
    variant_stop(&v);
}

static void
test_init_local(void **state)
{
    char *out = NULL, store[700];
    snprintf(store, sizeof(store), "sqlite:%s/fresh.db", env.dir);
    run_env(0, &out, NULL, NULL, W("--config", env.config, "--store", store, "init"));
    has(out, "store ready (schema version ");
    free(out);
    /* Twice is fine: migrations and the first key are idempotent. */
    run_env(0, &out, NULL, NULL, W("--config", env.config, "--store", store, "init", "--json"));
    json_t *j = json_loads(out, 0, NULL);
    assert_true(json_is_true(json_object_get(j, "ok")));
    json_decref(j);
    free(out);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_help_everywhere),
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_tables_and_json),
        cmocka_unit_test(test_exit_codes_and_credentials),
        cmocka_unit_test(test_hash_token),
        cmocka_unit_test(test_app_oidc_options),
        cmocka_unit_test(test_setup_with_cli_then_login),
        cmocka_unit_test(test_user_import),
        cmocka_unit_test(test_app_secret_kept),
        cmocka_unit_test(test_doctor_good),
        cmocka_unit_test(test_doctor_pool_flow),
        cmocka_unit_test(test_doctor_wrong_secret),
        cmocka_unit_test(test_doctor_txt_and_unreachable),
        cmocka_unit_test(test_init_local),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
