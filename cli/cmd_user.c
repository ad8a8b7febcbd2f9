/* `wxauth user …`: looking after the users of a pool (/pools/{id}/users…): list and search,
 * show with identities, count, block/unblock, revoke their tokens, delete. */
#include <string.h>

#include "cli.h"

static const cli_col_t user_cols[] = {
    {"ID", "id"},           {"NICKNAME", "nickname"},   {"OPENID", "openid"},
    {"UNIONID", "unionid"}, {"LOGINS", "logins_count"}, {"LAST LOGIN", "last_login"},
    {"BLOCKED", "blocked"},
};
static const char *const user_keys[] = {
    "id",      "pool_id",      "nickname",   "username",   "gender",  "photo", "openid",
    "unionid", "logins_count", "last_login", "created_at", "blocked", NULL};
static const cli_col_t ident_cols[] = {
    {"PROVIDER", "provider"}, {"APP ID", "appid"},     {"OPENID", "openid"},
    {"UNIONID", "unionid"},   {"SINCE", "created_at"},
};

int
cli_user_list(cli_t *c)
{
    char path[512], query[400] = "";
    long offset = 0, limit = 50;
    const char *pool = cli_need(c, "pool");
    if (!pool)
        return CLI_USAGE;
    int rc = cli_opt_long(c, "offset", 0, 1000000000, &offset);
    if (rc == CLI_OK)
        rc = cli_opt_long(c, "limit", 1, 1000, &limit);
    if (rc != CLI_OK)
        return rc;
    const char *search = cli_opt(c, "search");
    if (search) {
        char enc[300];
        /* cli_path_seg encodes everything a query value needs (': ' stays, harmless) */
        if (!cli_path_seg(search, enc, sizeof(enc)))
            return cli_err(CLI_USAGE, "--search must be 1 to 100 characters");
        wx_snprintf(query, sizeof(query), "&search=%s", enc);
    }
    char base[300];
    if (!cli_pathf(base, sizeof(base), "/pools/%s/users", pool))
        return CLI_USAGE;
    wx_snprintf(path, sizeof(path), "%s?offset=%ld&limit=%ld%s", base, offset, limit, query);
    return cli_list_page(c, path, user_cols, WX_ARRAY_LEN(user_cols), "users", offset);
}

static bool
user_path(const cli_t *c, const char *suffix, char *out, size_t n)
{
    const char *pool = cli_need(c, "pool");
    char fmt[64];
    if (!pool)
        return false;
    wx_snprintf(fmt, sizeof(fmt), "/pools/%%s/users/%%s%s", suffix);
    return cli_pathf(out, n, fmt, pool, c->pos[0]);
}

int
cli_user_get(cli_t *c)
{
    char path[512];
    json_t *res = NULL;
    if (!user_path(c, "", path, sizeof(path)))
        return CLI_USAGE;
    int rc = cli_api(c, "GET", path, NULL, &res);
    if (rc != CLI_OK)
        return rc;
    if (c->json) {
        cli_print_json(res);
    } else {
        cli_kv(res, user_keys);
        printf("\nidentities:\n");
        cli_table(ident_cols, WX_ARRAY_LEN(ident_cols), json_object_get(res, "identities"));
    }
    json_decref(res);
    return CLI_OK;
}

int
cli_user_count(cli_t *c)
{
    char path[300];
    json_t *res = NULL;
    const char *pool = cli_need(c, "pool");
    if (!pool || !cli_pathf(path, sizeof(path), "/pools/%s/users", pool))
        return CLI_USAGE;
    wx_strlcpy(path + strlen(path), "?limit=1", sizeof(path) - strlen(path));
    int rc = cli_api(c, "GET", path, NULL, &res);
    if (rc != CLI_OK)
        return rc;
    json_int_t total = json_integer_value(json_object_get(res, "total"));
    if (c->json) {
        json_t *o = json_pack("{s:s,s:I}", "pool_id", pool, "count", total);
        cli_print_json(o);
        json_decref(o);
    } else {
        printf("%lld\n", (long long)total);
    }
    json_decref(res);
    return CLI_OK;
}

/* POST /pools/{id}/users/{uid}/{action}, then the user's new state. */
static int
user_action(cli_t *c, const char *action, const char *done)
{
    char path[512], suffix[32];
    wx_snprintf(suffix, sizeof(suffix), "/%s", action);
    if (!user_path(c, suffix, path, sizeof(path)))
        return CLI_USAGE;
    return cli_api_done(c, "POST", path, NULL, "user %s %s", c->pos[0], done);
}

int
cli_user_block(cli_t *c)
{
    return user_action(c, "block",
                       "blocked: their next login ends with \"This account has been blocked\", "
                       "and their tokens are refused");
}

int
cli_user_unblock(cli_t *c)
{
    return user_action(c, "unblock", "unblocked: they can log in again");
}

int
cli_user_revoke(cli_t *c)
{
    return user_action(c, "revoke-tokens",
                       "tokens revoked: every token issued until now is refused online");
}

int
cli_user_delete(cli_t *c)
{
    char path[512];
    if (!user_path(c, "", path, sizeof(path)) || !cli_confirm(c, "user", c->pos[0]))
        return CLI_USAGE;
    return cli_api_done(c, "DELETE", path, NULL, "user %s deleted", c->pos[0]);
}
