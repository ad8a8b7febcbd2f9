/* `wxauth pool …`: user pools (GET/POST /pools, GET/PATCH/DELETE /pools/{id}). */
#include <string.h>

#include "cli.h"

static const cli_col_t pool_cols[] = {
    {"ID", "id"},
    {"NAME", "name"},
    {"ALG", "alg"},
    {"TOKEN TTL", "token_ttl"},
    {"REDIRECTS", "redirect_urls"},
    {"DESKTOP", "desktop_method"},
    {"CREATED", "created_at"},
};
static const char *const pool_keys[] = {"id",         "name",          "alg",
                                        "token_ttl",  "redirect_urls", "desktop_method",
                                        "created_at", "updated_at",    NULL};

int
cli_pool_list(cli_t *c)
{
    return cli_list(c, "/pools", pool_cols, WX_ARRAY_LEN(pool_cols), "pools");
}

int
cli_pool_get(cli_t *c)
{
    char path[256];
    if (!cli_pathf(path, sizeof(path), "/pools/%s", c->pos[0]))
        return CLI_USAGE;
    return cli_get_show(c, path, pool_keys);
}

/* The body of create and update from the options. */
static int
pool_body(const cli_t *c, json_t *body, bool creating)
{
    const cli_val_t *redirects = cli_opts(c, "redirect");
    long ttl = 0;
    int rc = cli_opt_long(c, "token-ttl", 1, 31536000L * 10, &ttl);
    if (rc != CLI_OK)
        return rc;
    cli_body_str(c, body, "name", "name");
    cli_body_str(c, body, "alg", "alg");
    cli_body_str(c, body, "desktop", "desktop_method");
    if (cli_opt(c, "token-ttl"))
        json_object_set_new(body, "token_ttl", json_integer(ttl));
    if (cli_flag(c, "clear-redirects")) {
        if (creating || redirects)
            return cli_err(CLI_USAGE, "--clear-redirects goes alone, with pool update");
        json_object_set_new(body, "redirect_urls", json_array());
    }
    cli_body_list(c, body, "redirect", "redirect_urls");
    return CLI_OK;
}

static int
pool_write(cli_t *c, bool creating)
{
    char path[256];
    json_t *body = json_object();
    int rc = pool_body(c, body, creating);
    if (rc != CLI_OK)
        goto out;
    if (creating) {
        json_object_set_new(body, "id", json_string(c->pos[0]));
        rc = cli_api_done(c, "POST", "/pools", body, "pool %s created", c->pos[0]);
    } else if (json_object_size(body) == 0) {
        rc = cli_err(CLI_USAGE, "nothing to change: give --name, --alg, --token-ttl or --redirect");
    } else if (!cli_pathf(path, sizeof(path), "/pools/%s", c->pos[0])) {
        rc = CLI_USAGE;
    } else {
        rc = cli_api_done(c, "PATCH", path, body, "pool %s updated", c->pos[0]);
    }
out:
    json_decref(body);
    return rc;
}

int
cli_pool_create(cli_t *c)
{
    return pool_write(c, true);
}

int
cli_pool_update(cli_t *c)
{
    return pool_write(c, false);
}

int
cli_pool_delete(cli_t *c)
{
    char path[256];
    if (!cli_pathf(path, sizeof(path), "/pools/%s", c->pos[0]) ||
        !cli_confirm(c, "pool", c->pos[0]))
        return CLI_USAGE;
    return cli_api_done(c, "DELETE", path, NULL, "pool %s deleted", c->pos[0]);
}
