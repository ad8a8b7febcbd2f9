/* Pools, applications, WeChat connections and the domain-verification files: admin writes,
 * server reads (store.h). */
#include "query.h"

#include <string.h>

#include "../util/clock.h"

/* A lookup by text keys (not run when they cannot match); *found says whether a row came. */
static wx_status_t
conf_get(store_t *st, sql_stmt_t id, const db_arg_t *args, size_t nargs, bool keys_ok,
         sq_fill_fn fill, void *out, bool *found, wx_err_t *err)
{
    *found = false;
    return keys_ok ? sq_one(st, id, args, nargs, fill, out, found, err) : WX_OK;
}

/* out is zeroed whenever the lookup did not succeed. */
static wx_status_t
conf_done(wx_status_t rc, void *out, size_t out_size)
{
    if (rc != WX_OK)
        memset(out, 0, out_size);
    return rc;
}

/* A write naming a pool: a foreign key failure means there is no such pool. */
static wx_status_t
conf_put(store_t *st, sql_stmt_t id, const db_arg_t *args, size_t nargs, const char *pool_id,
         wx_err_t *err, const char *what)
{
    db_rc_t cls = DB_OK;
    wx_status_t rc = sq_run(st, id, args, nargs, &cls, NULL, err, what);
    if (cls == DB_EFOREIGN)
        rc = wx_err_set(err, WX_ENOENT, "no such pool '%s'", pool_id);
    return rc;
}

/* A DELETE of exactly one row; WX_ENOENT (with what) when none matched. */
static wx_status_t
conf_delete_one(store_t *st, sql_stmt_t id, const db_arg_t *args, size_t nargs, const char *what,
                wx_err_t *err)
{
    int64_t changes = 0;
    wx_status_t rc = sq_run(st, id, args, nargs, NULL, &changes, err, what);
    if (rc == WX_OK && changes == 0)
        rc = wx_err_set(err, WX_ENOENT, "no such %s", what);
    return rc;
}

wx_status_t
store_pool_put(store_t *st, const store_pool_t *p, wx_err_t *err)
{
    int64_t now = wx_now();
    const sq_field_t f[] = {
        {"pool id", p->id, sizeof(p->id)},
        {"pool name", p->name, sizeof(p->name)},
        {"pool signing alg", p->alg, sizeof(p->alg)},
        {"pool redirect URLs", p->redirect_urls, sizeof(p->redirect_urls)},
        {"pool desktop login method", p->desktop_method, sizeof(p->desktop_method)},
    };
    wx_status_t rc = sq_check_fields(f, WX_ARRAY_LEN(f), err);
    if (rc != WX_OK || (rc = sq_require("pool id", p->id, err)) != WX_OK)
        return rc;
    if (p->token_ttl < 0)
        return wx_err_set(err, WX_EINVAL, "pool token TTL must not be negative");
    return sq_run(st, STMT_POOL_PUT,
                  SQ_ARGS(DB_TEXT(p->id), DB_TEXT(p->name), DB_INT(p->token_ttl), DB_TEXT(p->alg),
                          DB_TEXT(p->redirect_urls),
                          DB_INT(p->created_at > 0 ? p->created_at : now), DB_INT(now),
                          DB_TEXT(p->desktop_method)),
                  NULL, NULL, err, "pool put");
}

wx_status_t
store_pool_get(store_t *st, const char *id, store_pool_t *out, wx_err_t *err)
{
    bool found = false;
    wx_status_t rc = conf_get(st, STMT_POOL_GET, SQ_ARGS(DB_TEXT(id)), sq_key_ok(id, STORE_ID_MAX),
                              sq_fill_pool, out, &found, err);
    if (rc == WX_OK && !found)
        rc = wx_err_set(err, WX_ENOENT, "no such pool '%.64s'", id ? id : "");
    return conf_done(rc, out, sizeof(*out));
}

wx_status_t
store_pool_max_ttl(store_t *st, int64_t *out, wx_err_t *err)
{
    return sq_int(st, STMT_POOL_MAX_TTL, SQ_NO_ARGS, out, NULL, err);
}

wx_status_t
store_app_put(store_t *st, const store_app_t *a, wx_err_t *err)
{
    int64_t now = wx_now();
    const sq_field_t f[] = {
        {"application id", a->id, sizeof(a->id)},
        {"application pool id", a->pool_id, sizeof(a->pool_id)},
        {"application name", a->name, sizeof(a->name)},
        {"application redirect URLs", a->redirect_urls, sizeof(a->redirect_urls)},
        {"application secret", a->secret, sizeof(a->secret)},
        {"application token alg", a->token_alg, sizeof(a->token_alg)},
        {"application logout URLs", a->logout_urls, sizeof(a->logout_urls)},
        {"application web origins", a->web_origins, sizeof(a->web_origins)},
    };
    wx_status_t rc = sq_check_fields(f, WX_ARRAY_LEN(f), err);
    if (rc != WX_OK || (rc = sq_require("application id", a->id, err)) != WX_OK ||
        (rc = sq_require("application pool id", a->pool_id, err)) != WX_OK)
        return rc;
    return conf_put(
        st, STMT_APP_PUT,
        SQ_ARGS(DB_TEXT(a->id), DB_TEXT(a->pool_id), DB_TEXT(a->name), DB_TEXT(a->redirect_urls),
                DB_INT(a->created_at > 0 ? a->created_at : now), DB_INT(now), DB_TEXT(a->secret),
                DB_TEXT(a->token_alg), DB_INT(a->public_client ? 1 : 0), DB_TEXT(a->logout_urls),
                DB_TEXT(a->web_origins), DB_INT(a->access_ttl), DB_INT(a->id_ttl),
                DB_INT(a->refresh_ttl)),
        a->pool_id, err, "app put");
}

wx_status_t
store_app_get(store_t *st, const char *id, store_app_t *out, wx_err_t *err)
{
    bool found = false;
    wx_status_t rc = conf_get(st, STMT_APP_GET, SQ_ARGS(DB_TEXT(id)), sq_key_ok(id, STORE_ID_MAX),
                              sq_fill_app, out, &found, err);
    if (rc == WX_OK && !found)
        rc = wx_err_set(err, WX_ENOENT, "no such application '%.64s'", id ? id : "");
    return conf_done(rc, out, sizeof(*out));
}

wx_status_t
store_conn_put(store_t *st, const store_conn_t *c, wx_err_t *err)
{
    int64_t now = wx_now();
    const sq_field_t f[] = {
        {"connection pool id", c->pool_id, sizeof(c->pool_id)},
        {"connection identifier", c->identifier, sizeof(c->identifier)},
        {"connection display name", c->display_name, sizeof(c->display_name)},
        {"WeChat App ID", c->appid, sizeof(c->appid)},
        {"WeChat App Secret", c->app_secret, sizeof(c->app_secret)},
        {"connection scope", c->scope, sizeof(c->scope)},
        {"connection callback URL", c->callback_url, sizeof(c->callback_url)},
        {"txt file name", c->txt_filename, sizeof(c->txt_filename)},
        {"txt file content", c->txt_content, sizeof(c->txt_content)},
        {"connection type", c->type, sizeof(c->type)},
        {"message server Token", c->push_token, sizeof(c->push_token)},
        {"EncodingAESKey", c->push_aes_key, sizeof(c->push_aes_key)},
    };
    const char *type = c->type[0] ? c->type : STORE_CONN_MP;
    wx_status_t rc = sq_check_fields(f, WX_ARRAY_LEN(f), err);
    if (rc != WX_OK || (rc = sq_require("connection pool id", c->pool_id, err)) != WX_OK ||
        (rc = sq_require("connection identifier", c->identifier, err)) != WX_OK)
        return rc;
    if (strcmp(type, STORE_CONN_MP) != 0 && strcmp(type, STORE_CONN_OPEN) != 0)
        return wx_err_set(err, WX_EINVAL, "connection type must be %s or %s", STORE_CONN_MP,
                          STORE_CONN_OPEN);
    return conf_put(st, STMT_CONN_PUT,
                    SQ_ARGS(DB_TEXT(c->pool_id), DB_TEXT(c->identifier), DB_TEXT(c->display_name),
                            DB_TEXT(c->appid), DB_TEXT(c->app_secret), DB_TEXT(c->scope),
                            DB_TEXT(c->callback_url), DB_TEXT(c->txt_filename),
                            DB_TEXT(c->txt_content),
                            DB_INT(c->created_at > 0 ? c->created_at : now), DB_INT(now),
                            DB_TEXT(type), DB_TEXT(c->push_token), DB_TEXT(c->push_aes_key)),
                    c->pool_id, err, "connection put");
}

wx_status_t
store_conn_get(store_t *st, const char *pool_id, const char *identifier, store_conn_t *out,
               wx_err_t *err)
{
    bool found = false;
    wx_status_t rc =
        conf_get(st, STMT_CONN_GET, SQ_ARGS(DB_TEXT(pool_id), DB_TEXT(identifier)),
                 sq_key_ok(pool_id, STORE_ID_MAX) && sq_key_ok(identifier, STORE_IDENT_MAX),
                 sq_fill_conn, out, &found, err);
    if (rc == WX_OK && !found)
        rc = wx_err_set(err, WX_ENOENT, "no connection '%.64s' in pool '%.64s'",
                        identifier ? identifier : "", pool_id ? pool_id : "");
    return conf_done(rc, out, sizeof(*out));
}

wx_status_t
store_conn_default(store_t *st, const char *pool_id, store_conn_t *out, wx_err_t *err)
{
    bool found = false;
    wx_status_t rc =
        conf_get(st, STMT_CONN_DEFAULT, SQ_ARGS(DB_TEXT(pool_id), DB_TEXT(STORE_DEFAULT_CONN)),
                 sq_key_ok(pool_id, STORE_ID_MAX), sq_fill_conn, out, &found, err);
    if (rc == WX_OK && !found)
        rc = wx_err_set(err, WX_ENOENT, "pool '%.64s' has no WeChat connection",
                        pool_id ? pool_id : "");
    return conf_done(rc, out, sizeof(*out));
}

wx_status_t
store_conn_of_type(store_t *st, const char *pool_id, const char *type, store_conn_t *out,
                   wx_err_t *err)
{
    bool found = false;
    wx_status_t rc = conf_get(st, STMT_CONN_OF_TYPE, SQ_ARGS(DB_TEXT(pool_id), DB_TEXT(type)),
                              sq_key_ok(pool_id, STORE_ID_MAX) && sq_key_ok(type, 16), sq_fill_conn,
                              out, &found, err);
    if (rc == WX_OK && !found)
        rc = wx_err_set(err, WX_ENOENT, "pool '%.64s' has no %.16s connection",
                        pool_id ? pool_id : "", type ? type : "");
    return conf_done(rc, out, sizeof(*out));
}

wx_status_t
store_txt_get(store_t *st, const char *filename, char *content, size_t n, wx_err_t *err)
{
    sq_buf_t t = {content, n};
    bool found = false;
    wx_status_t rc = WX_OK;
    if (n == 0)
        return wx_err_set(err, WX_EINVAL, "no room for the txt content");
    if (sq_key_ok(filename, STORE_TXT_NAME_MAX))
        rc = sq_one(st, STMT_TXT_GET, SQ_ARGS(DB_TEXT(filename)), sq_fill_buf, &t, &found, err);
    if (rc == WX_OK && !found)
        rc = wx_err_set(err, WX_ENOENT, "no verification file '%.128s'", filename ? filename : "");
    if (rc != WX_OK)
        content[0] = '\0';
    return rc;
}

/* ---- listing and deleting ---- */

typedef struct {
    bool (*pool)(const store_pool_t *, void *);
    bool (*app)(const store_app_t *, void *);
    bool (*conn)(const store_conn_t *, void *);
    void *arg;
} conf_emit_t;

static bool
conf_emit_pool(void *item, void *ctx)
{
    const conf_emit_t *e = ctx;
    return e->pool(item, e->arg);
}

static bool
conf_emit_app(void *item, void *ctx)
{
    const conf_emit_t *e = ctx;
    store_app_t *a = item;
    memset(a->secret, 0, sizeof(a->secret)); /* listings never carry secrets */
    return e->app(a, e->arg);
}

static bool
conf_emit_conn(void *item, void *ctx)
{
    const conf_emit_t *e = ctx;
    store_conn_t *c = item;
    bool set = c->app_secret[0] != '\0';
    memset(c->app_secret, 0, sizeof(c->app_secret));
    if (set)
        c->app_secret[0] = '*'; /* "set", without the value */
    bool tok = c->push_token[0] != '\0', aes = c->push_aes_key[0] != '\0';
    memset(c->push_token, 0, sizeof(c->push_token));
    memset(c->push_aes_key, 0, sizeof(c->push_aes_key));
    c->push_token[0] = tok ? '*' : '\0';
    c->push_aes_key[0] = aes ? '*' : '\0';
    return e->conn(c, e->arg);
}

wx_status_t
store_pool_list(store_t *st, bool (*fn)(const store_pool_t *, void *), void *arg, wx_err_t *err)
{
    conf_emit_t e = {.pool = fn, .arg = arg};
    return sq_each(st, STMT_POOL_LIST, SQ_NO_ARGS, sizeof(store_pool_t), sq_fill_pool,
                   conf_emit_pool, &e, err);
}

wx_status_t
store_pool_delete(store_t *st, const char *id, wx_err_t *err)
{
    return conf_delete_one(st, STMT_POOL_DELETE, SQ_ARGS(DB_TEXT(id)), "pool", err);
}

wx_status_t
store_app_list(store_t *st, const char *pool_id, bool (*fn)(const store_app_t *, void *), void *arg,
               wx_err_t *err)
{
    conf_emit_t e = {.app = fn, .arg = arg};
    return sq_each(st, STMT_APP_LIST, SQ_ARGS(DB_TEXT(pool_id)), sizeof(store_app_t), sq_fill_app,
                   conf_emit_app, &e, err);
}

wx_status_t
store_app_delete(store_t *st, const char *id, wx_err_t *err)
{
    return conf_delete_one(st, STMT_APP_DELETE, SQ_ARGS(DB_TEXT(id)), "application", err);
}

wx_status_t
store_conn_list(store_t *st, const char *pool_id, bool (*fn)(const store_conn_t *, void *),
                void *arg, wx_err_t *err)
{
    conf_emit_t e = {.conn = fn, .arg = arg};
    return sq_each(st, STMT_CONN_LIST, SQ_ARGS(DB_TEXT(pool_id)), sizeof(store_conn_t),
                   sq_fill_conn, conf_emit_conn, &e, err);
}

wx_status_t
store_conn_delete(store_t *st, const char *pool_id, const char *identifier, wx_err_t *err)
{
    return conf_delete_one(st, STMT_CONN_DELETE, SQ_ARGS(DB_TEXT(pool_id), DB_TEXT(identifier)),
                           "connection", err);
}
