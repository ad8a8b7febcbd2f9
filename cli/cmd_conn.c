/* `wxauth connection …`: the WeChat webpage-authorization connections of a pool
 * (/pools/{id}/connections[/{identifier}[/check]]). `set` creates or changes one; the App
 * Secret goes to the server once and is never shown again (the API says "set"/"not set"). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "store/store.h"

#define DEFAULT_IDENT "wechat:webpage-authorization"

static const cli_col_t conn_cols[] = {
    {"IDENTIFIER", "identifier"}, {"TYPE", "type"},   {"APP ID", "appid"},
    {"SECRET", "app_secret"},     {"SCOPE", "scope"}, {"CALLBACK URL", "callback_url"},
    {"TXT FILE", "txt_filename"},
};
static const char *const conn_keys[] = {"pool_id",
                                        "identifier",
                                        "type",
                                        "display_name",
                                        "appid",
                                        "app_secret",
                                        "scope",
                                        "callback_url",
                                        "txt_filename",
                                        "txt_content",
                                        "txt_url",
                                        "push_token",
                                        "encoding_aes_key",
                                        "push_url",
                                        "created_at",
                                        "updated_at",
                                        NULL};

static const char *
ident_of(const cli_t *c)
{
    const char *i = cli_opt(c, "identifier"), *t = cli_opt(c, "type");
    if (i && i[0])
        return i;
    /* A website app's default identifier, as the admin API gives it. */
    return t && strcmp(t, STORE_CONN_OPEN) == 0 ? "wechat:qrconnect" : DEFAULT_IDENT;
}

static bool
conn_path(const cli_t *c, const char *suffix, char *out, size_t n)
{
    const char *pool = cli_need(c, "pool");
    char tail[64];
    if (!pool)
        return false;
    wx_snprintf(tail, sizeof(tail), "/pools/%%s/connections/%%s%s", suffix);
    return cli_pathf(out, n, tail, pool, ident_of(c));
}

int
cli_conn_list(cli_t *c)
{
    char path[256];
    const char *pool = cli_need(c, "pool");
    if (!pool || !cli_pathf(path, sizeof(path), "/pools/%s/connections", pool))
        return CLI_USAGE;
    return cli_list(c, path, conn_cols, WX_ARRAY_LEN(conn_cols), "connections");
}

int
cli_conn_get(cli_t *c)
{
    char path[512];
    if (!conn_path(c, "", path, sizeof(path)))
        return CLI_USAGE;
    return cli_get_show(c, path, conn_keys);
}

/* --txt-file: the file WeChat's console lets you download; its name and exact content. */
static int
txt_from_file(const char *path, json_t *body)
{
    char content[STORE_TXT_CONTENT_MAX + 2];
    FILE *f = fopen(path, "rb");
    if (!f)
        return cli_err(CLI_USAGE, "cannot read %s: %s", path, strerror(errno));
    size_t n = fread(content, 1, sizeof(content) - 1, f);
    bool more = fgetc(f) != EOF;
    fclose(f);
    content[n] = '\0';
    if (more || n > STORE_TXT_CONTENT_MAX - 1)
        return cli_err(CLI_USAGE, "%s is larger than a WeChat verification file can be (%d bytes)",
                       path, STORE_TXT_CONTENT_MAX - 1);
    while (n > 0 && (content[n - 1] == '\n' || content[n - 1] == '\r'))
        content[--n] = '\0';
    const char *slash = strrchr(path, '/');
    json_object_set_new(body, "txt_filename", json_string(slash ? slash + 1 : path));
    json_object_set_new(body, "txt_content", json_string(content));
    return CLI_OK;
}

static int
conn_body(const cli_t *c, json_t *body)
{
    static const struct {
        const char *opt, *field;
    } plain[] = {{"type", "type"},
                 {"appid", "appid"},
                 {"name", "display_name"},
                 {"scope", "scope"},
                 {"callback", "callback_url"},
                 {"txt-filename", "txt_filename"},
                 {"txt-content", "txt_content"}};
    int txt_ways = (cli_opt(c, "txt-file") != NULL) + cli_flag(c, "clear-txt") +
                   (cli_opt(c, "txt-filename") || cli_opt(c, "txt-content"));
    if (txt_ways > 1)
        return cli_err(CLI_USAGE, "use one of --txt-file, --txt-filename/--txt-content and "
                                  "--clear-txt");
    for (size_t i = 0; i < WX_ARRAY_LEN(plain); i++)
        cli_body_str(c, body, plain[i].opt, plain[i].field);
    if (cli_flag(c, "clear-txt")) {
        json_object_set_new(body, "txt_filename", json_string(""));
        json_object_set_new(body, "txt_content", json_string(""));
    }
    return cli_opt(c, "txt-file") ? txt_from_file(cli_opt(c, "txt-file"), body) : CLI_OK;
}

int
cli_conn_set(cli_t *c)
{
    char path[512], secret[STORE_SECRET_PLAIN_MAX + 2] = "";
    bool got_secret = false, creating = false;
    json_t *res = NULL, *body = json_object();
    cli_resp_t probe = {0};
    const char *pool = cli_need(c, "pool");
    int rc = pool ? conn_body(c, body) : CLI_USAGE;
    if (rc != CLI_OK || !conn_path(c, "", path, sizeof(path))) {
        rc = rc != CLI_OK ? rc : CLI_USAGE;
        goto out;
    }
    /* Create or change: the answer to GET says which. */
    if ((rc = cli_api_call(c, "GET", path, NULL, &probe)) != CLI_OK)
        goto out;
    if (probe.status == 404) {
        creating = true;
    } else if (probe.status != 200) {
        rc = cli_api_status_exit(&probe);
        goto out;
    }
    rc = cli_secret_read(c, "secret", creating ? "App Secret (not shown): " : NULL, secret,
                         sizeof(secret), &got_secret);
    if (rc != CLI_OK)
        goto out;
    if (got_secret)
        json_object_set_new(body, "app_secret", json_string(secret));
    /* The message server's Token and EncodingAESKey are secrets too: never on the screen. */
    {
        char tok[64] = "", aes[64] = "";
        bool got_tok = false, got_aes = false;
        rc = cli_secret_read(c, "push-token", NULL, tok, sizeof(tok), &got_tok);
        if (rc == CLI_OK)
            rc = cli_secret_read(c, "aes-key", NULL, aes, sizeof(aes), &got_aes);
        if (rc == CLI_OK && cli_flag(c, "clear-push") && (got_tok || got_aes))
            rc = cli_err(CLI_USAGE, "--clear-push goes without --push-token and --aes-key");
        if (rc == CLI_OK && cli_flag(c, "clear-push")) {
            json_object_set_new(body, "push_token", json_string(""));
            json_object_set_new(body, "encoding_aes_key", json_string(""));
        }
        if (rc == CLI_OK && got_tok)
            json_object_set_new(body, "push_token", json_string(tok));
        if (rc == CLI_OK && got_aes)
            json_object_set_new(body, "encoding_aes_key", json_string(aes));
        cli_wipe(tok, sizeof(tok));
        cli_wipe(aes, sizeof(aes));
        if (rc != CLI_OK)
            goto out;
    }
    if (creating) {
        json_object_set_new(body, "identifier", json_string(ident_of(c)));
        char list[256];
        if (!cli_pathf(list, sizeof(list), "/pools/%s/connections", pool)) {
            rc = CLI_USAGE;
            goto out;
        }
        rc = cli_api(c, "POST", list, body, &res);
    } else if (json_object_size(body) == 0) {
        rc = cli_err(CLI_USAGE, "nothing to change (see wxauth connection set --help)");
    } else {
        rc = cli_api(c, "PATCH", path, body, &res);
    }
    if (rc != CLI_OK)
        goto out;
    if (c->json) {
        cli_print_json(res);
    } else {
        printf("connection %s of pool %s %s (App Secret %s)\n", ident_of(c), pool,
               creating ? "created" : "updated",
               got_secret ? "set"
               : creating ? "not set"
                          : "unchanged");
        const char *txt_url = json_string_value(json_object_get(res, "txt_url"));
        if (txt_url)
            printf("verification file served at %s\n", txt_url);
        const char *push_url = json_string_value(json_object_get(res, "push_url"));
        if (push_url && json_is_true(json_object_get(res, "follow_login")))
            printf("message server URL for the MP admin (服务器地址): %s\n", push_url);
    }
out:
    cli_wipe(secret, sizeof(secret));
    static const char *const wipe[] = {"app_secret", "push_token", "encoding_aes_key"};
    for (size_t i = 0; i < WX_ARRAY_LEN(wipe); i++) {
        json_t *sv = json_object_get(body, wipe[i]);
        if (sv && json_string_value(sv))
            cli_wipe((char *)json_string_value(sv), strlen(json_string_value(sv)));
    }
    cli_resp_free(&probe);
    json_decref(body);
    json_decref(res);
    return rc;
}

int
cli_conn_check(cli_t *c)
{
    char path[512];
    json_t *res = NULL;
    if (!conn_path(c, "/check", path, sizeof(path)))
        return CLI_USAGE;
    int rc = cli_api(c, "POST", path, NULL, &res);
    if (rc != CLI_OK)
        return rc;
    bool ok = json_is_true(json_object_get(res, "ok"));
    if (c->json)
        cli_print_json(res);
    else
        printf("%s: %s\n", ok ? "ok" : "FAIL",
               json_string_value(json_object_get(res, "message"))
                   ? json_string_value(json_object_get(res, "message"))
                   : "?");
    json_decref(res);
    return ok ? CLI_OK : CLI_FAIL;
}

int
cli_conn_delete(cli_t *c)
{
    char path[512];
    if (!conn_path(c, "", path, sizeof(path)) || !cli_confirm(c, "connection", ident_of(c)))
        return CLI_USAGE;
    return cli_api_done(c, "DELETE", path, NULL, "connection %s of pool %s deleted", ident_of(c),
                        cli_opt(c, "pool"));
}
