/* wxauth: the command-line tool. The command table below says every command's words,
 * arguments and options (help and parsing come from it, args.c); main finds the command,
 * resolves the admin API for the remote ones (target.c) and runs it. Management commands go
 * through wxauthd's admin API (/api/admin/v1); `init` and `admin hash-token` work locally,
 * before any server runs. `token …` is cli/token.c's (libwxauth). Exit codes: cli.h. */
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "cli.h"
#include "version.h"
#include "token.h"

#define OPT_END                                                                                    \
    {                                                                                              \
        NULL, NULL, NULL, false                                                                    \
    }
#define POOL_OPT                                                                                   \
    {                                                                                              \
        "pool", "POOL", "the user pool (required)", false                                          \
    }
#define IDENT_OPT                                                                                  \
    {                                                                                              \
        "identifier", "IDENT", "connection identifier (default wechat:webpage-authorization)",     \
            false                                                                                  \
    }

static const cli_opt_t no_opts[] = {OPT_END};
static const cli_opt_t pool_only[] = {POOL_OPT, OPT_END};
static const cli_opt_t pool_write_opts[] = {
    {"name", "NAME", "display name (default: the id)", false},
    {"alg", "ALG", "token signing alg: RS256 (default), ES256 or EdDSA", false},
    {"token-ttl", "SECONDS", "token lifetime, 60..31536000 (default 1296000 = 15 days)", false},
    {"redirect", "URL", "allowed redirect_url pattern for pool-level logins", true},
    {"clear-redirects", NULL, "remove every allowed redirect_url (update only)", false},
    {"desktop", "METHOD",
     "how desktop browsers log in: auto (the website app when the pool has one), qrconnect or "
     "none",
     false},
    OPT_END};
/* An application's OpenID Connect settings (docs/oidc.md). */
#define APP_OIDC_OPTS                                                                              \
    {"post-logout-redirect", "URL", "OIDC post_logout_redirect_uri (exact URL)", true},            \
        {"web-origin", "ORIGIN", "origin its pages call from (http(s)://host[:port])", true},      \
        {"access-token-ttl", "SECONDS", "OIDC access token lifetime (0: the pool's)", false},      \
        {"id-token-ttl", "SECONDS", "OIDC ID token lifetime (0: the pool's)", false},              \
    {                                                                                              \
        "refresh-token-ttl", "SECONDS", "OIDC refresh token lifetime (0: 30 days)", false          \
    }
static const cli_opt_t app_create_opts[] = {
    POOL_OPT,
    {"name", "NAME", "display name (default: the id)", false},
    {"redirect", "URL", "registered callback (URL, or pattern with *)", true},
    {"token-alg", "pool|HS256", "HS256: sign with the app secret, as Authing does", false},
    {"secret-env", "VAR", "keep an existing app secret (e.g. Authing's), read from VAR", false},
    {"secret-file", "FILE", "the same, from the first line of FILE", false},
    {"public", NULL, "a public OIDC client (browser or app: no secret, PKCE required)", false},
    APP_OIDC_OPTS,
    OPT_END};
static const cli_opt_t app_secret_opts[] = {
    {"secret-env", "VAR", "set this secret (e.g. Authing's), read from VAR, instead of a new one",
     false},
    {"secret-file", "FILE", "the same, from the first line of FILE", false},
    OPT_END};
static const cli_opt_t app_update_opts[] = {
    {"name", "NAME", "display name", false},
    {"redirect", "URL", "registered callback; replaces the list", true},
    {"clear-redirects", NULL, "remove every registered callback", false},
    {"token-alg", "pool|HS256", "HS256: sign with the app secret, as Authing does", false},
    {"public", NULL, "make it a public OIDC client (no secret, PKCE required)", false},
    {"confidential", NULL, "make it a confidential OIDC client (secret required)", false},
    APP_OIDC_OPTS,
    {"clear-post-logout-redirects", NULL, "remove every post_logout_redirect_uri", false},
    {"clear-web-origins", NULL, "remove every web origin", false},
    OPT_END};
static const cli_opt_t conn_opts[] = {POOL_OPT, IDENT_OPT, OPT_END};
static const cli_opt_t conn_set_opts[] = {
    POOL_OPT,
    IDENT_OPT,
    {"appid", "WXID", "WeChat App ID (wx + 16 hex digits)", false},
    {"secret-env", "VAR", "read the App Secret from this environment variable", false},
    {"secret-file", "FILE", "read the App Secret from the first line of this file", false},
    {"secret", "SECRET", "the App Secret itself (visible in ps: prefer the two above)", false},
    {"callback", "URL", "business Callback URL: a URL, a pattern with *, or #", false},
    {"type", "TYPE",
     "wechat_mp (a service account: default) or wechat_open (an Open Platform website app: "
     "QR-code login on desktops; identifier default wechat:qrconnect); set when creating",
     false},
    {"scope", "SCOPE", "snsapi_userinfo (default) or snsapi_base; website apps: snsapi_login",
     false},
    {"name", "NAME", "display name (default WeChat)", false},
    {"txt-filename", "NAME", "verification file name WeChat gave you (MP_verify_….txt)", false},
    {"txt-content", "TEXT", "its exact content", false},
    {"txt-file", "PATH", "the downloaded MP_verify_….txt: sets both of the above", false},
    {"clear-txt", NULL, "stop serving a verification file", false},
    /* Follow to log in (docs/desktop-login.md): the MP admin's message server settings. */
    {"push-token-env", "VAR", "read the message server's Token from this variable", false},
    {"push-token-file", "FILE", "read the message server's Token from this file", false},
    {"push-token", "TOKEN", "the Token itself (visible in ps: prefer the two above)", false},
    {"aes-key-env", "VAR", "read the EncodingAESKey (safe mode) from this variable", false},
    {"aes-key-file", "FILE", "read the EncodingAESKey from this file", false},
    {"aes-key", "KEY", "the EncodingAESKey itself (visible in ps)", false},
    {"clear-push", NULL, "turn the message server (follow to log in) off", false},
    OPT_END};
static const cli_opt_t user_list_opts[] = {
    POOL_OPT,
    {"search", "TEXT", "part of a nickname, or a whole openid or unionid", false},
    {"offset", "N", "skip the first N users (paging)", false},
    {"limit", "N", "at most N users, 1..1000 (default 50)", false},
    OPT_END};
static const cli_opt_t user_import_opts[] = {POOL_OPT, IDENT_OPT, OPT_END};
static const cli_opt_t delete_opts[] = {{"yes", NULL, "do not ask for confirmation", false},
                                        OPT_END};
static const cli_opt_t conn_delete_opts[] = {
    POOL_OPT, IDENT_OPT, {"yes", NULL, "do not ask for confirmation", false}, OPT_END};
static const cli_opt_t user_delete_opts[] = {
    POOL_OPT, {"yes", NULL, "do not ask for confirmation", false}, OPT_END};
static const cli_opt_t keys_rotate_opts[] = {
    {"alg", "ALG", "RS256 (default), ES256 or EdDSA", false}, OPT_END};
static const cli_opt_t audit_opts[] = {
    {"pool", "POOL", "only events of this pool", false},
    {"action", "ACTION",
     "only this action (pool.create, user.block, admin.sign_in, login…); 'user.' = all user.*",
     false},
    {"actor", "ACTOR", "only this actor (admin@127.0.0.1, unknown@…, a user id)", false},
    {"since", "TIME", "from this time: Unix seconds, 2026-01-31[T10:00:00Z], or 30m/12h/7d ago",
     false},
    {"until", "TIME", "up to this time (same forms)", false},
    {"offset", "N", "skip the newest N events (paging)", false},
    {"limit", "N", "at most N events, 1..1000 (default 100)", false},
    OPT_END};
static const cli_opt_t doctor_opts[] = {
    {"pool", "POOL", "check this pool only (default: every pool)", false},
    {"identifier", "IDENT", "check this connection only (with --pool)", false},
    OPT_END};
static const cli_opt_t hash_opts[] = {
    {"token-env", "VAR", "hash the token in this environment variable (else read stdin)", false},
    {"generate", NULL, "make a new random token and print it with its hash", false},
    {"out", "FILE", "with --generate: write the token to FILE (mode 0600) instead of printing it",
     false},
    OPT_END};

const cli_cmd_t cli_cmds[] = {
    {"init", NULL, NULL, 0, 0,
     "create or migrate the store, make the master key file and the first signing key",
     "Works on the store directly (give wxauthd's --config), before any server runs.", no_opts,
     false, cli_init},
    {"admin", "hash-token", NULL, 0, 0, "print the [admin] token_hash value of an admin token",
     "The token comes from stdin (typed without echo on a terminal) or --token-env; "
     "--generate makes a new one. Put the printed value in [admin] token_hash (or "
     "WXAUTH_ADMIN_TOKEN_HASH); wxauthd never needs the token itself.",
     hash_opts, false, cli_admin_hash_token},
    {"pool", "list", NULL, 0, 0, "list user pools", NULL, no_opts, true, cli_pool_list},
    {"pool", "get", "ID", 1, 1, "show a user pool", NULL, no_opts, true, cli_pool_get},
    {"pool", "create", "ID", 1, 1, "create a user pool",
     "ID: 1-63 letters, digits, _ or - (not 'callback'). Fails if the pool exists "
     "(use pool update).",
     pool_write_opts, true, cli_pool_create},
    {"pool", "update", "ID", 1, 1, "change a user pool's name, alg, token lifetime or redirects",
     NULL, pool_write_opts, true, cli_pool_update},
    {"pool", "delete", "ID", 1, 1,
     "delete a user pool with its applications, connections and users", NULL, delete_opts, true,
     cli_pool_delete},
    {"app", "list", NULL, 0, 0, "list the applications of a pool", NULL, pool_only, true,
     cli_app_list},
    {"app", "get", "ID", 1, 1, "show an application (never its secret)", NULL, no_opts, true,
     cli_app_get},
    {"app", "create", "ID", 1, 1, "create an application; prints its secret once",
     "ID is the app_id the SDK sends (1-63 letters, digits, _ or -). The application secret "
     "(for introspection and HS256 tokens) is shown only in this answer; --secret-env or "
     "--secret-file keeps one you already have (Authing's: backends that verify HS256 tokens "
     "with it keep working) and prints nothing.",
     app_create_opts, true, cli_app_create},
    {"app", "update", "ID", 1, 1,
     "change an application's name, callbacks, token alg or OIDC settings", NULL, app_update_opts,
     true, cli_app_update},
    {"app", "reset-secret", "ID", 1, 1, "make and print a new application secret",
     "The old secret stops working at once (HS256 tokens signed with it stop verifying). With "
     "--secret-env/--secret-file the given secret is set instead (moving from Authing) and "
     "nothing is printed.",
     app_secret_opts, true, cli_app_reset_secret},
    {"app", "delete", "ID", 1, 1, "delete an application", NULL, delete_opts, true, cli_app_delete},
    {"connection", "list", NULL, 0, 0, "list the WeChat connections of a pool", NULL, pool_only,
     true, cli_conn_list},
    {"connection", "get", NULL, 0, 0, "show a WeChat connection (the App Secret as set/not set)",
     NULL, conn_opts, true, cli_conn_get},
    {"connection", "set", NULL, 0, 0, "create or change a WeChat webpage-authorization connection",
     "Creates the connection when the pool has none with this identifier (then --appid, an App "
     "Secret and --callback are required), else changes only the given fields; the identifier "
     "never changes. Without --secret-env/--secret-file the App Secret is asked for on a "
     "terminal when creating, and kept as it is when changing.",
     conn_set_opts, true, cli_conn_set},
    {"connection", "check", NULL, 0, 0,
     "ask WeChat whether it accepts the connection's App ID and App Secret",
     "wxauthd asks WeChat (its [wechat] api_base) for the account's access token; the secret "
     "never leaves the server.",
     conn_opts, true, cli_conn_check},
    {"connection", "delete", NULL, 0, 0, "delete a WeChat connection", NULL, conn_delete_opts, true,
     cli_conn_delete},
    {"user", "list", NULL, 0, 0, "list or search the users of a pool", NULL, user_list_opts, true,
     cli_user_list},
    {"user", "get", "USER_ID", 1, 1, "show a user and their WeChat identities", NULL, pool_only,
     true, cli_user_get},
    {"user", "count", NULL, 0, 0, "print the number of users of a pool", NULL, pool_only, true,
     cli_user_count},
    {"user", "block", "USER_ID", 1, 1, "block a user: their next login fails, tokens are refused",
     NULL, pool_only, true, cli_user_block},
    {"user", "unblock", "USER_ID", 1, 1, "let a blocked user log in again", NULL, pool_only, true,
     cli_user_unblock},
    {"user", "revoke-tokens", "USER_ID", 1, 1, "refuse every token the user holds now", NULL,
     pool_only, true, cli_user_revoke},
    {"user", "delete", "USER_ID", 1, 1, "delete a user and their identities", NULL,
     user_delete_opts, true, cli_user_delete},
    {"user", "import", "FILE", 1, 1, "import users exported from Authing (FILE, or - for stdin)",
     "FILE holds Authing's users: a JSON array, {\"users\": [...]}, the ManagementClient's "
     "{\"data\": {\"list\": [...]}}, or one user per line. Each keeps its id (so tokens' sub "
     "stays the same) and gets the WeChat identity (openid, unionid) of the pool's connection "
     "(--identifier). Running it again changes nothing; a user that cannot be imported is named "
     "with the reason and the others are kept.",
     user_import_opts, true, cli_user_import},
    {"keys", "list", NULL, 0, 0, "list signing keys (never the private part)", NULL, no_opts, true,
     cli_keys_list},
    {"keys", "rotate", NULL, 0, 0, "make a new signing key; the old one stays published",
     "The previous key stays in the JWKS until the longest-lived token it may have signed has "
     "expired.",
     keys_rotate_opts, true, cli_keys_rotate},
    {"audit", "list", NULL, 0, 0, "show the audit log, newest first", NULL, audit_opts, true,
     cli_audit_list},
    {"doctor", NULL, NULL, 0, 0, "check a WeChat set-up and say what to fix",
     "Checks: the admin API answers, clocks agree, signing keys exist, each connection's "
     "Callback URL is well-formed and usable, its verification file is served at the root "
     "with the exact content, and WeChat accepts its App ID and App Secret. One line per "
     "check: ok, warn or FAIL with the fix. Exit 0 when nothing failed, 1 otherwise.",
     doctor_opts, true, cli_doctor},
    {"version", NULL, NULL, 0, 0, "print the version", NULL, no_opts, false, cli_version},
};
const size_t cli_ncmds = sizeof(cli_cmds) / sizeof(cli_cmds[0]);

int
cli_version(cli_t *c)
{
    printf("wxauth %s\n", WXAUTH_VERSION);
    return CLI_OK;
}

static bool
group_exists(const char *g)
{
    for (size_t i = 0; i < cli_ncmds; i++)
        if (strcmp(cli_cmds[i].group, g) == 0)
            return true;
    return false;
}

static const cli_cmd_t *
find_cmd(const char *group, const char *name)
{
    for (size_t i = 0; i < cli_ncmds; i++) {
        const cli_cmd_t *cmd = &cli_cmds[i];
        if (strcmp(cmd->group, group) == 0 &&
            (cmd->name == NULL || (name && strcmp(cmd->name, name) == 0)))
            return cmd;
    }
    return NULL;
}

static bool
is_help(const char *s)
{
    return strcmp(s, "-h") == 0 || strcmp(s, "--help") == 0;
}

/* The command words and where its own arguments start; global options before the words are
 * applied on the way. Returns CLI_OK with *cmd set, or an exit code (CLI_DONE: help shown). */
static int
find_command(cli_t *c, int argc, char **argv, int *next)
{
    int i = 1;
    for (; i < argc; i++) {
        const char *s = argv[i];
        bool takes = false;
        if (is_help(s)) {
            cli_help_all(stdout);
            return CLI_DONE;
        }
        if (!cli_global_opt(s, &takes))
            break;
        const char *eq = strchr(s, '=');
        char name[32];
        wx_snprintf(name, sizeof(name), "%.*s", (int)(eq ? eq - s - 2 : (long)strlen(s) - 2),
                    s + 2);
        const char *value = eq ? eq + 1 : NULL;
        if (takes && !value) {
            if (i + 1 >= argc)
                return cli_err(CLI_USAGE, "--%s needs a value", name);
            value = argv[++i];
        }
        cli_global_set(c, name, value);
    }
    if (i >= argc) {
        cli_help_all(stderr);
        return CLI_USAGE;
    }
    const char *group = argv[i];
    if (strncmp(group, "-", 1) == 0)
        return cli_err(CLI_USAGE,
                       "unknown option %s (command options go after the command; "
                       "see wxauth --help)",
                       group);
    if (strcmp(group, "help") == 0) {
        const cli_cmd_t *cmd =
            i + 1 < argc ? find_cmd(argv[i + 1], i + 2 < argc ? argv[i + 2] : NULL) : NULL;
        if (cmd && (cmd->name || i + 2 >= argc))
            cli_help_cmd(stdout, cmd);
        else if (i + 1 < argc && group_exists(argv[i + 1]))
            cli_help_group(stdout, argv[i + 1]);
        else
            cli_help_all(stdout);
        return CLI_DONE;
    }
    if (!group_exists(group))
        return cli_err(CLI_USAGE, "unknown command '%s' (see wxauth --help)", group);
    const cli_cmd_t *one = find_cmd(group, NULL);
    if (one && one->name == NULL) {
        c->cmd = one;
        *next = i + 1;
        return CLI_OK;
    }
    if (i + 1 >= argc || is_help(argv[i + 1]) || argv[i + 1][0] == '-') {
        bool asked = i + 1 < argc && is_help(argv[i + 1]);
        cli_help_group(asked ? stdout : stderr, group);
        return asked ? CLI_DONE : CLI_USAGE;
    }
    c->cmd = find_cmd(group, argv[i + 1]);
    if (!c->cmd) {
        cli_err(CLI_USAGE, "unknown command '%s %s'", group, argv[i + 1]);
        cli_help_group(stderr, group);
        return CLI_USAGE;
    }
    *next = i + 2;
    return CLI_OK;
}

/* `wxauth [global options] token …` goes to cli/token.c as it is. */
static int
token_index(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        bool takes = false;
        if (!cli_global_opt(argv[i], &takes))
            return strcmp(argv[i], "token") == 0 ? i : 0;
        if (takes && !strchr(argv[i], '='))
            i++;
    }
    return 0;
}

int
main(int argc, char **argv)
{
    static cli_t c;
    int next = 0, rc, ti = token_index(argc, argv);
    if (ti > 0) /* token.c parses its own words and needs no server */
        return cli_token_main(argc - ti, argv + ti);
    c.config_path = getenv("WXAUTH_CONFIG");
    rc = find_command(&c, argc, argv, &next);
    if (rc == CLI_OK)
        rc = cli_parse(&c, argc, argv, next);
    if (rc == CLI_DONE)
        return CLI_OK;
    if (rc != CLI_OK)
        return rc;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (c.cmd->remote)
        rc = cli_target_resolve(&c);
    if (rc == CLI_OK)
        rc = c.cmd->run(&c);
    cli_target_wipe(&c);
    curl_global_cleanup();
    return rc;
}
