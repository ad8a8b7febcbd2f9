/* Dispatch from the store interface to the backend chosen by the URL's scheme. */
#include "store.h"

#include <string.h>

static const store_backend_t *const backends[] = {&store_sqlite_backend};

wx_status_t
store_open(const char *url, store_t **out, wx_err_t *err)
{
    *out = NULL;
    if (!url || !*url)
        return wx_err_set(err, WX_ECONFIG, "no store URL configured");
    for (size_t i = 0; i < WX_ARRAY_LEN(backends); i++) {
        size_t n = strlen(backends[i]->scheme);
        if (strncmp(url, backends[i]->scheme, n) == 0)
            return backends[i]->open(url + n, out, err);
    }
    if (strstr(url, "://"))
        return wx_err_set(err, WX_ECONFIG, "unsupported store URL scheme in '%.64s'", url);
    return store_sqlite_backend.open(url, out, err); /* a plain path is a SQLite file */
}

void
store_close(store_t *st)
{
    if (st)
        st->backend->close(st);
}

int
store_schema_version(store_t *st)
{
    return st->backend->schema_version(st);
}

#define DISPATCH(name, ...) return st->backend->name(st, __VA_ARGS__)

wx_status_t
store_tx_begin(store_t *st, wx_err_t *err)
{
    DISPATCH(tx_begin, err);
}
wx_status_t
store_tx_commit(store_t *st, wx_err_t *err)
{
    DISPATCH(tx_commit, err);
}
wx_status_t
store_identity_profile(store_t *st, const char *appid, const char *openid, char *raw, size_t n,
                       wx_err_t *err)
{
    DISPATCH(identity_profile, appid, openid, raw, n, err);
}
void
store_mark_writer(store_t *st)
{
    if (st->backend->mark_writer)
        st->backend->mark_writer(st);
}
void
store_tx_rollback(store_t *st)
{
    st->backend->tx_rollback(st);
}

wx_status_t
store_pool_put(store_t *st, const store_pool_t *p, wx_err_t *err)
{
    DISPATCH(pool_put, p, err);
}
wx_status_t
store_pool_get(store_t *st, const char *id, store_pool_t *out, wx_err_t *err)
{
    DISPATCH(pool_get, id, out, err);
}
wx_status_t
store_app_put(store_t *st, const store_app_t *a, wx_err_t *err)
{
    DISPATCH(app_put, a, err);
}
wx_status_t
store_app_get(store_t *st, const char *id, store_app_t *out, wx_err_t *err)
{
    DISPATCH(app_get, id, out, err);
}
wx_status_t
store_conn_put(store_t *st, const store_conn_t *c, wx_err_t *err)
{
    DISPATCH(conn_put, c, err);
}
wx_status_t
store_conn_get(store_t *st, const char *pool_id, const char *identifier, store_conn_t *out,
               wx_err_t *err)
{
    DISPATCH(conn_get, pool_id, identifier, out, err);
}
wx_status_t
store_conn_default(store_t *st, const char *pool_id, store_conn_t *out, wx_err_t *err)
{
    DISPATCH(conn_default, pool_id, out, err);
}
wx_status_t
store_txt_get(store_t *st, const char *filename, char *content, size_t n, wx_err_t *err)
{
    DISPATCH(txt_get, filename, content, n, err);
}
wx_status_t
store_user_upsert_wechat(store_t *st, const store_wechat_login_t *in, store_user_t *out,
                         bool *created, wx_err_t *err)
{
    DISPATCH(user_upsert_wechat, in, out, created, err);
}
wx_status_t
store_user_get(store_t *st, const char *pool_id, const char *id, store_user_t *out, wx_err_t *err)
{
    DISPATCH(user_get, pool_id, id, out, err);
}
wx_status_t
store_user_set_blocked(store_t *st, const char *pool_id, const char *id, bool blocked,
                       wx_err_t *err)
{
    DISPATCH(user_set_blocked, pool_id, id, blocked, err);
}
wx_status_t
store_user_count(store_t *st, const char *pool_id, int64_t *out, wx_err_t *err)
{
    DISPATCH(user_count, pool_id, out, err);
}
wx_status_t
store_state_create(store_t *st, const store_state_t *s, wx_err_t *err)
{
    DISPATCH(state_create, s, err);
}
wx_status_t
store_state_claim(store_t *st, const char *id, const char *browser, int64_t now, store_state_t *out,
                  wx_err_t *err)
{
    DISPATCH(state_claim, id, browser, now, out, err);
}
wx_status_t
store_state_finish(store_t *st, const char *id, const char *result, wx_err_t *err)
{
    DISPATCH(state_finish, id, result, err);
}
wx_status_t
store_state_prune(store_t *st, int64_t now, int64_t keep, int64_t *deleted, wx_err_t *err)
{
    DISPATCH(state_prune, now, keep, deleted, err);
}
wx_status_t
store_key_add(store_t *st, const store_key_t *k, wx_err_t *err)
{
    DISPATCH(key_add, k, err);
}
wx_status_t
store_key_current(store_t *st, const char *alg, store_key_t *out, wx_err_t *err)
{
    DISPATCH(key_current, alg, out, err);
}
wx_status_t
store_key_each(store_t *st, bool (*fn)(const store_key_t *k, void *arg), void *arg, wx_err_t *err)
{
    DISPATCH(key_each, fn, arg, err);
}
wx_status_t
store_pool_max_ttl(store_t *st, int64_t *out, wx_err_t *err)
{
    DISPATCH(pool_max_ttl, out, err);
}
wx_status_t
store_key_rotate(store_t *st, const store_key_t *k, int64_t now, int64_t publish_until,
                 wx_err_t *err)
{
    DISPATCH(key_rotate, k, now, publish_until, err);
}
wx_status_t
store_revoke(store_t *st, const char *jti, int64_t expires_at, int64_t now, wx_err_t *err)
{
    DISPATCH(revoke, jti, expires_at, now, err);
}
wx_status_t
store_is_revoked(store_t *st, const char *jti, bool *out, wx_err_t *err)
{
    DISPATCH(is_revoked, jti, out, err);
}
wx_status_t
store_revocation_prune(store_t *st, int64_t now, int64_t *deleted, wx_err_t *err)
{
    DISPATCH(revocation_prune, now, deleted, err);
}
wx_status_t
store_pool_list(store_t *st, bool (*fn)(const store_pool_t *, void *), void *arg, wx_err_t *err)
{
    DISPATCH(pool_list, fn, arg, err);
}
wx_status_t
store_pool_delete(store_t *st, const char *id, wx_err_t *err)
{
    DISPATCH(pool_delete, id, err);
}
wx_status_t
store_app_list(store_t *st, const char *pool_id, bool (*fn)(const store_app_t *, void *), void *arg,
               wx_err_t *err)
{
    DISPATCH(app_list, pool_id, fn, arg, err);
}
wx_status_t
store_app_delete(store_t *st, const char *id, wx_err_t *err)
{
    DISPATCH(app_delete, id, err);
}
wx_status_t
store_conn_list(store_t *st, const char *pool_id, bool (*fn)(const store_conn_t *, void *),
                void *arg, wx_err_t *err)
{
    DISPATCH(conn_list, pool_id, fn, arg, err);
}
wx_status_t
store_conn_delete(store_t *st, const char *pool_id, const char *identifier, wx_err_t *err)
{
    DISPATCH(conn_delete, pool_id, identifier, err);
}
wx_status_t
store_user_list(store_t *st, const store_user_query_t *q, bool (*fn)(const store_user_t *, void *),
                void *arg, int64_t *total, wx_err_t *err)
{
    DISPATCH(user_list, q, fn, arg, total, err);
}
wx_status_t
store_user_identities(store_t *st, const char *user_id,
                      bool (*fn)(const store_identity_t *, void *), void *arg, wx_err_t *err)
{
    DISPATCH(user_identities, user_id, fn, arg, err);
}
wx_status_t
store_user_delete(store_t *st, const char *pool_id, const char *id, wx_err_t *err)
{
    DISPATCH(user_delete, pool_id, id, err);
}
wx_status_t
store_user_revoke_tokens(store_t *st, const char *pool_id, const char *id, int64_t at,
                         wx_err_t *err)
{
    DISPATCH(user_revoke_tokens, pool_id, id, at, err);
}
wx_status_t
store_token_revoked(store_t *st, const char *jti, const char *pool_id, const char *sub, int64_t iat,
                    bool *out, wx_err_t *err)
{
    DISPATCH(token_revoked, jti, pool_id, sub, iat, out, err);
}
wx_status_t
store_audit_list(store_t *st, const store_audit_query_t *q,
                 bool (*fn)(const store_audit_row_t *, void *), void *arg, int64_t *total,
                 wx_err_t *err)
{
    DISPATCH(audit_list, q, fn, arg, total, err);
}
wx_status_t
store_audit_add(store_t *st, const store_audit_t *a, wx_err_t *err)
{
    DISPATCH(audit_add, a, err);
}
wx_status_t
store_audit_count(store_t *st, const char *action, int64_t *out, wx_err_t *err)
{
    DISPATCH(audit_count, action, out, err);
}
