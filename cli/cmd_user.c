/* `wxauth user …`: looking after the users of a pool (/pools/{id}/users…): list and search,
 * import from Authing,
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

/* ---- import ---- */

#define IMPORT_BATCH_USERS 200
#define IMPORT_BATCH_BYTES (48 * 1024) /* under wxauthd's default max_body_size (64 KB) */

/* The users of an export file: a JSON array, {"users": […]}, Authing's list answer
 * {"data": {"list": […]}} or {"list": […]}, or one user object per line (JSON lines). */
static json_t *
import_read(const char *path, char *why, size_t n)
{
    json_error_t je;
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    json_t *all = NULL, *arr = NULL;
    if (!f) {
        wx_snprintf(why, n, "cannot read %s", path);
        return NULL;
    }
    all = json_loadf(f, JSON_DISABLE_EOF_CHECK, &je);
    if (all && json_is_object(all)) {
        /* maybe the first of several lines: read the rest as JSON lines */
        json_t *next;
        arr = json_array();
        json_array_append_new(arr, all);
        all = NULL;
        while ((next = json_loadf(f, JSON_DISABLE_EOF_CHECK, &je)) != NULL)
            json_array_append_new(arr, next);
        if (json_array_size(arr) == 1) { /* one object: a wrapper or a single user */
            json_t *o = json_array_get(arr, 0), *l = json_object_get(o, "users");
            if (!l)
                l = json_object_get(json_object_get(o, "data"), "list");
            if (!l)
                l = json_object_get(o, "list");
            if (json_is_array(l)) {
                json_incref(l);
                json_decref(arr);
                arr = l;
            }
        }
    } else if (all && json_is_array(all)) {
        arr = all;
        all = NULL;
    } else {
        wx_snprintf(why, n, "%s: line %d: %s", path, je.line,
                    all ? "not a list of users" : je.text);
    }
    json_decref(all);
    if (f != stdin)
        fclose(f);
    return arr;
}

static int
import_batch(cli_t *c, const char *path, const char *ident, json_t *batch, size_t first,
             json_int_t tot[3], size_t *nfailed)
{
    json_t *res = NULL, *f;
    size_t i;
    json_t *body = json_pack("{s:O}", "users", batch);
    if (ident)
        json_object_set_new(body, "identifier", json_string(ident));
    int rc = cli_api(c, "POST", path, body, &res);
    json_decref(body);
    if (rc != CLI_OK)
        return rc;
    tot[0] += json_integer_value(json_object_get(res, "created"));
    tot[1] += json_integer_value(json_object_get(res, "linked"));
    tot[2] += json_integer_value(json_object_get(res, "existing"));
    json_array_foreach(json_object_get(res, "failed"), i, f)
    {
        const char *id = json_string_value(json_object_get(f, "id"));
        fprintf(stderr, "user #%lld%s%s%s: %s\n",
                (long long)(first + (size_t)json_integer_value(json_object_get(f, "index")) + 1),
                id ? " (" : "", id ? id : "", id ? ")" : "",
                json_string_value(json_object_get(f, "message")));
        (*nfailed)++;
    }
    json_decref(res);
    return CLI_OK;
}

int
cli_user_import(cli_t *c)
{
    char path[300], why[300];
    json_t *users = NULL, *batch = NULL, *u;
    json_int_t tot[3] = {0};
    size_t nfailed = 0, first = 0, bytes = 0, i;
    int rc = CLI_OK;
    const char *pool = cli_need(c, "pool"), *ident = cli_opt(c, "identifier");
    if (!pool || !cli_pathf(path, sizeof(path), "/pools/%s/users/import", pool))
        return CLI_USAGE;
    if (!(users = import_read(c->pos[0], why, sizeof(why))))
        return cli_err(CLI_USAGE, "%s", why);
    if (json_array_size(users) == 0) {
        rc = cli_err(CLI_USAGE, "%s holds no users", c->pos[0]);
        goto out;
    }
    batch = json_array();
    json_array_foreach(users, i, u)
    {
        char *one = json_dumps(u, JSON_COMPACT);
        size_t len = one ? strlen(one) : 0;
        free(one);
        if (json_array_size(batch) &&
            (json_array_size(batch) >= IMPORT_BATCH_USERS || bytes + len > IMPORT_BATCH_BYTES)) {
            if ((rc = import_batch(c, path, ident, batch, first, tot, &nfailed)) != CLI_OK)
                goto out;
            first = i;
            bytes = 0;
            json_array_clear(batch);
        }
        json_array_append(batch, u);
        bytes += len + 1;
    }
    if ((rc = import_batch(c, path, ident, batch, first, tot, &nfailed)) != CLI_OK)
        goto out;
    if (c->json) {
        json_t *o = json_pack("{s:I,s:I,s:I,s:I}", "created", tot[0], "linked", tot[1], "existing",
                              tot[2], "failed", (json_int_t)nfailed);
        cli_print_json(o);
        json_decref(o);
    } else {
        printf("imported into pool %s: %lld created, %lld linked to an existing user, %lld "
               "already there, %zu failed\n",
               pool, (long long)tot[0], (long long)tot[1], (long long)tot[2], nfailed);
    }
    if (nfailed)
        rc = cli_err(CLI_FAIL,
                     "%zu users were not imported (above: which and why); fix them and "
                     "run the import again: users already imported are kept as they are",
                     nfailed);
out:
    json_decref(batch);
    json_decref(users);
    return rc;
}
