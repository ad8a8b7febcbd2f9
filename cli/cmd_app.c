/* `wxauth app …`: applications (GET/POST /pools/{id}/apps, GET/PATCH/DELETE /apps/{id},
 * POST /apps/{id}/secret). The secret is printed once, when made. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define APP_SECRET_MAX 128 /* the server takes 16-128 characters */

static const cli_col_t app_cols[] = {
    {"ID", "id"},
    {"POOL", "pool_id"},
    {"NAME", "name"},
    {"TOKEN ALG", "token_alg"},
    {"CALLBACKS", "redirect_urls"},
    {"CREATED", "created_at"},
};
static const char *const app_keys[] = {"id",
                                       "pool_id",
                                       "name",
                                       "redirect_urls",
                                       "token_alg",
                                       "public_client",
                                       "post_logout_redirect_uris",
                                       "web_origins",
                                       "access_token_ttl",
                                       "id_token_ttl",
                                       "refresh_token_ttl",
                                       "secret",
                                       "created_at",
                                       "updated_at",
                                       NULL};

/* A list option, or its --clear-… flag (an empty list); not both. */
static int
app_list_opt(const cli_t *c, json_t *body, const char *opt, const char *clear, const char *field)
{
    if (clear && cli_flag(c, clear)) {
        if (cli_opts(c, opt))
            return cli_err(CLI_USAGE, "--%s and --%s do not go together", clear, opt);
        json_object_set_new(body, field, json_array());
    }
    cli_body_list(c, body, opt, field);
    return CLI_OK;
}

static int
app_oidc_body(const cli_t *c, json_t *body)
{
    static const char *const ttls[][2] = {{"access-token-ttl", "access_token_ttl"},
                                          {"id-token-ttl", "id_token_ttl"},
                                          {"refresh-token-ttl", "refresh_token_ttl"}};
    int rc = CLI_OK;
    if (cli_flag(c, "public") && cli_flag(c, "confidential"))
        return cli_err(CLI_USAGE, "--public and --confidential do not go together");
    if (cli_flag(c, "public"))
        json_object_set_new(body, "public_client", json_true());
    if (cli_flag(c, "confidential"))
        json_object_set_new(body, "public_client", json_false());
    for (size_t i = 0; i < WX_ARRAY_LEN(ttls) && rc == CLI_OK; i++) {
        long v = 0;
        if (!cli_opt(c, ttls[i][0]))
            continue;
        /* The server says which range; the CLI only needs a number. */
        if ((rc = cli_opt_long(c, ttls[i][0], 0, 365L * 86400, &v)) == CLI_OK)
            json_object_set_new(body, ttls[i][1], json_integer(v));
    }
    if (rc == CLI_OK)
        rc = app_list_opt(c, body, "post-logout-redirect", "clear-post-logout-redirects",
                          "post_logout_redirect_uris");
    if (rc == CLI_OK)
        rc = app_list_opt(c, body, "web-origin", "clear-web-origins", "web_origins");
    return rc;
}

int
cli_app_list(cli_t *c)
{
    char path[256];
    const char *pool = cli_need(c, "pool");
    if (!pool || !cli_pathf(path, sizeof(path), "/pools/%s/apps", pool))
        return CLI_USAGE;
    return cli_list(c, path, app_cols, WX_ARRAY_LEN(app_cols), "apps");
}

int
cli_app_get(cli_t *c)
{
    char path[256];
    if (!cli_pathf(path, sizeof(path), "/apps/%s", c->pos[0]))
        return CLI_USAGE;
    return cli_get_show(c, path, app_keys);
}

static int
app_body(const cli_t *c, json_t *body)
{
    const cli_val_t *redirects = cli_opts(c, "redirect");
    cli_body_str(c, body, "name", "name");
    cli_body_str(c, body, "token-alg", "token_alg");
    if (cli_flag(c, "clear-redirects")) {
        if (redirects)
            return cli_err(CLI_USAGE, "--clear-redirects and --redirect do not go together");
        json_object_set_new(body, "redirect_urls", json_array());
    }
    cli_body_list(c, body, "redirect", "redirect_urls");
    return app_oidc_body(c, body);
}

/* The secret of an answer, printed once, then wiped from the JSON text jansson holds. */
static void
print_secret(const cli_t *c, json_t *res, const char *intro)
{
    const char *secret = json_string_value(json_object_get(res, "secret"));
    if (c->json)
        cli_print_json(res);
    else if (secret)
        printf("%s%s\n", intro, secret);
    if (secret)
        cli_wipe((char *)secret, strlen(secret));
}

int
cli_app_create(cli_t *c)
{
    char path[256];
    json_t *res = NULL, *body = json_object();
    const char *pool = cli_need(c, "pool");
    int rc = pool ? app_body(c, body) : CLI_USAGE;
    if (rc != CLI_OK)
        goto out;
    if (!cli_pathf(path, sizeof(path), "/pools/%s/apps", pool)) {
        rc = CLI_USAGE;
        goto out;
    }
    json_object_set_new(body, "id", json_string(c->pos[0]));
    char given[APP_SECRET_MAX + 1];
    bool have = false;
    if ((rc = cli_secret_read(c, "secret", NULL, given, sizeof(given), &have)) != CLI_OK)
        goto out;
    if (have)
        json_object_set_new(body, "secret", json_string(given));
    cli_wipe(given, sizeof(given));
    rc = cli_api(c, "POST", path, body, &res);
    if (rc != CLI_OK)
        goto out;
    if (!c->json)
        printf("application %s created in pool %s%s\n", c->pos[0], pool,
               have ? " with the secret given" : "");
    /* Tests and scripts read this line; keep its words. */
    if (!have)
        print_secret(c, res, "app secret (shown once): ");
out:
    json_decref(body);
    json_decref(res);
    return rc;
}

int
cli_app_update(cli_t *c)
{
    char path[256];
    json_t *body = json_object();
    int rc = app_body(c, body);
    if (rc != CLI_OK)
        goto out;
    if (json_object_size(body) == 0)
        rc = cli_err(CLI_USAGE, "nothing to change: give --name, --redirect, --token-alg or an "
                                "OIDC setting (--public, --post-logout-redirect, …)");
    else if (!cli_pathf(path, sizeof(path), "/apps/%s", c->pos[0]))
        rc = CLI_USAGE;
    else
        rc = cli_api_done(c, "PATCH", path, body, "application %s updated", c->pos[0]);
out:
    json_decref(body);
    return rc;
}

int
cli_app_reset_secret(cli_t *c)
{
    char path[256], given[APP_SECRET_MAX + 1];
    json_t *res = NULL, *body = NULL;
    bool have = false;
    if (!cli_pathf(path, sizeof(path), "/apps/%s/secret", c->pos[0]))
        return CLI_USAGE;
    int rc = cli_secret_read(c, "secret", NULL, given, sizeof(given), &have);
    if (rc != CLI_OK)
        return rc;
    if (have)
        body = json_pack("{s:s}", "secret", given);
    cli_wipe(given, sizeof(given));
    rc = cli_api(c, "POST", path, body, &res);
    if (rc == CLI_OK && have)
        printf("application %s: the secret given is set; the old one no longer works\n", c->pos[0]);
    else if (rc == CLI_OK)
        print_secret(c, res, ""); /* alone on its line, for $(wxauth app reset-secret ID) */
    json_decref(body);
    json_decref(res);
    return rc;
}

int
cli_app_delete(cli_t *c)
{
    char path[256];
    if (!cli_pathf(path, sizeof(path), "/apps/%s", c->pos[0]) ||
        !cli_confirm(c, "application", c->pos[0]))
        return CLI_USAGE;
    return cli_api_done(c, "DELETE", path, NULL, "application %s deleted", c->pos[0]);
}
