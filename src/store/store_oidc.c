/* OpenID Connect state shared by every node (store.h): authorization codes and refresh tokens
 * (by hash only), and wxauthd's login sessions. Single use is decided by the database: an
 * UPDATE … WHERE used_at = 0 changes one row for exactly one redeemer, on any backend. */
#include "query.h"

#include <string.h>

static void
fill_code(sq_row_t *r, void *out)
{
    store_oidc_code_t *c = out;
    memset(c, 0, sizeof(*c));
    sq_text(r, 0, c->hash, sizeof(c->hash));
    sq_text(r, 1, c->pool_id, sizeof(c->pool_id));
    sq_text(r, 2, c->app_id, sizeof(c->app_id));
    sq_text(r, 3, c->user_id, sizeof(c->user_id));
    sq_text(r, 4, c->redirect_uri, sizeof(c->redirect_uri));
    sq_text(r, 5, c->code_challenge, sizeof(c->code_challenge));
    sq_text(r, 6, c->nonce, sizeof(c->nonce));
    sq_text(r, 7, c->scope, sizeof(c->scope));
    sq_text(r, 8, c->sid, sizeof(c->sid));
    c->auth_time = sq_i64(r, 9);
    c->created_at = sq_i64(r, 10);
    c->expires_at = sq_i64(r, 11);
    c->used_at = sq_i64(r, 12);
    sq_text(r, 13, c->access_jti, sizeof(c->access_jti));
    c->access_exp = sq_i64(r, 14);
    sq_text(r, 15, c->family, sizeof(c->family));
}

static void
fill_refresh(sq_row_t *r, void *out)
{
    store_oidc_refresh_t *t = out;
    memset(t, 0, sizeof(*t));
    sq_text(r, 0, t->hash, sizeof(t->hash));
    sq_text(r, 1, t->family, sizeof(t->family));
    sq_text(r, 2, t->pool_id, sizeof(t->pool_id));
    sq_text(r, 3, t->app_id, sizeof(t->app_id));
    sq_text(r, 4, t->user_id, sizeof(t->user_id));
    sq_text(r, 5, t->scope, sizeof(t->scope));
    sq_text(r, 6, t->sid, sizeof(t->sid));
    t->auth_time = sq_i64(r, 7);
    t->created_at = sq_i64(r, 8);
    t->expires_at = sq_i64(r, 9);
    t->rotated_at = sq_i64(r, 10);
    t->revoked_at = sq_i64(r, 11);
}

static void
fill_session(sq_row_t *r, void *out)
{
    store_oidc_session_t *s = out;
    memset(s, 0, sizeof(*s));
    sq_text(r, 0, s->id, sizeof(s->id));
    sq_text(r, 1, s->pool_id, sizeof(s->pool_id));
    sq_text(r, 2, s->user_id, sizeof(s->user_id));
    s->auth_time = sq_i64(r, 3);
    s->seen_at = sq_i64(r, 4);
    s->expires_at = sq_i64(r, 5);
    s->ended_at = sq_i64(r, 6);
}

wx_status_t
store_oidc_code_add(store_t *st, const store_oidc_code_t *c, wx_err_t *err)
{
    db_rc_t cls = DB_OK;
    const sq_field_t f[] = {
        {"code hash", c->hash, sizeof(c->hash)},
        {"code pool id", c->pool_id, sizeof(c->pool_id)},
        {"code client id", c->app_id, sizeof(c->app_id)},
        {"code user id", c->user_id, sizeof(c->user_id)},
        {"code redirect_uri", c->redirect_uri, sizeof(c->redirect_uri)},
        {"code challenge", c->code_challenge, sizeof(c->code_challenge)},
        {"code nonce", c->nonce, sizeof(c->nonce)},
        {"code scope", c->scope, sizeof(c->scope)},
        {"code sid", c->sid, sizeof(c->sid)},
    };
    wx_status_t rc = sq_check_fields(f, WX_ARRAY_LEN(f), err);
    if (rc != WX_OK || (rc = sq_require("code hash", c->hash, err)) != WX_OK ||
        (rc = sq_require("code client id", c->app_id, err)) != WX_OK)
        return rc;
    rc = sq_run(st, STMT_OIDC_CODE_ADD,
                SQ_ARGS(DB_TEXT(c->hash), DB_TEXT(c->pool_id), DB_TEXT(c->app_id),
                        DB_TEXT(c->user_id), DB_TEXT(c->redirect_uri), DB_TEXT(c->code_challenge),
                        DB_TEXT(c->nonce), DB_TEXT(c->scope), DB_TEXT(c->sid), DB_INT(c->auth_time),
                        DB_INT(c->created_at), DB_INT(c->expires_at)),
                &cls, NULL, err, "code add");
    if (cls == DB_EUNIQUE)
        rc = wx_err_set(err, WX_EEXIST, "authorization code exists");
    else if (cls == DB_EFOREIGN)
        rc = wx_err_set(err, WX_ENOENT, "no such pool '%.64s'", c->pool_id);
    return rc;
}

wx_status_t
store_oidc_code_redeem(store_t *st, const char *hash, int64_t now, store_oidc_code_t *out,
                       wx_err_t *err)
{
    bool found = false;
    int64_t changed = 0;
    memset(out, 0, sizeof(*out));
    if (!sq_key_ok(hash, STORE_HASH_MAX))
        return wx_err_set(err, WX_ENOENT, "unknown authorization code");
    wx_status_t rc = sq_begin(st, err);
    if (rc != WX_OK)
        return rc;
    rc = sq_one(st, STMT_OIDC_CODE_GET, SQ_ARGS(DB_TEXT(hash)), fill_code, out, &found, err);
    if (rc != WX_OK || !found || out->used_at != 0 || out->expires_at <= now)
        goto out;
    rc = sq_run(st, STMT_OIDC_CODE_USE, SQ_ARGS(DB_TEXT(hash), DB_INT(now)), NULL, &changed, err,
                "code use");
    if (rc == WX_OK && changed == 0) /* redeemed between our read and our write */
        rc = sq_one(st, STMT_OIDC_CODE_GET, SQ_ARGS(DB_TEXT(hash)), fill_code, out, &found, err);
    else if (rc == WX_OK)
        out->used_at = now;
out:
    rc = sq_end(st, true, rc, err);
    if (rc != WX_OK)
        memset(out, 0, sizeof(*out));
    else if (!found)
        rc = wx_err_set(err, WX_ENOENT, "unknown authorization code");
    else if (out->used_at != now || changed == 0)
        rc = out->used_at ? wx_err_set(err, WX_EUSED, "authorization code already used")
                          : wx_err_set(err, WX_EEXPIRED, "authorization code expired");
    return rc;
}

wx_status_t
store_oidc_code_issued(store_t *st, const char *hash, const char *access_jti, int64_t access_exp,
                       const char *family, wx_err_t *err)
{
    if (!sq_key_ok(access_jti, STORE_ID_MAX) || !family || strlen(family) >= STORE_ID_MAX)
        return wx_err_set(err, WX_ETOOBIG, "token id too long");
    return sq_run(st, STMT_OIDC_CODE_ISSUED,
                  SQ_ARGS(DB_TEXT(hash), DB_TEXT(access_jti), DB_INT(access_exp), DB_TEXT(family)),
                  NULL, NULL, err, "code issued");
}

wx_status_t
store_oidc_refresh_add(store_t *st, const store_oidc_refresh_t *t, wx_err_t *err)
{
    db_rc_t cls = DB_OK;
    const sq_field_t f[] = {
        {"refresh token hash", t->hash, sizeof(t->hash)},
        {"refresh token family", t->family, sizeof(t->family)},
        {"refresh token pool id", t->pool_id, sizeof(t->pool_id)},
        {"refresh token client id", t->app_id, sizeof(t->app_id)},
        {"refresh token user id", t->user_id, sizeof(t->user_id)},
        {"refresh token scope", t->scope, sizeof(t->scope)},
        {"refresh token sid", t->sid, sizeof(t->sid)},
    };
    wx_status_t rc = sq_check_fields(f, WX_ARRAY_LEN(f), err);
    if (rc != WX_OK || (rc = sq_require("refresh token hash", t->hash, err)) != WX_OK ||
        (rc = sq_require("refresh token family", t->family, err)) != WX_OK)
        return rc;
    rc = sq_run(st, STMT_OIDC_REFRESH_ADD,
                SQ_ARGS(DB_TEXT(t->hash), DB_TEXT(t->family), DB_TEXT(t->pool_id),
                        DB_TEXT(t->app_id), DB_TEXT(t->user_id), DB_TEXT(t->scope), DB_TEXT(t->sid),
                        DB_INT(t->auth_time), DB_INT(t->created_at), DB_INT(t->expires_at)),
                &cls, NULL, err, "refresh add");
    if (cls == DB_EUNIQUE)
        rc = wx_err_set(err, WX_EEXIST, "refresh token exists");
    else if (cls == DB_EFOREIGN)
        rc = wx_err_set(err, WX_ENOENT, "no such pool '%.64s'", t->pool_id);
    return rc;
}

wx_status_t
store_oidc_refresh_get(store_t *st, const char *hash, store_oidc_refresh_t *out, wx_err_t *err)
{
    bool found = false;
    memset(out, 0, sizeof(*out));
    if (!sq_key_ok(hash, STORE_HASH_MAX))
        return wx_err_set(err, WX_ENOENT, "unknown refresh token");
    wx_status_t rc =
        sq_one(st, STMT_OIDC_REFRESH_GET, SQ_ARGS(DB_TEXT(hash)), fill_refresh, out, &found, err);
    if (rc == WX_OK && !found)
        rc = wx_err_set(err, WX_ENOENT, "unknown refresh token");
    return rc;
}

wx_status_t
store_oidc_refresh_rotate(store_t *st, const char *hash, int64_t now, store_oidc_refresh_t *out,
                          wx_err_t *err)
{
    bool found = false, reused = false;
    int64_t changed = 0;
    memset(out, 0, sizeof(*out));
    if (!sq_key_ok(hash, STORE_HASH_MAX))
        return wx_err_set(err, WX_ENOENT, "unknown refresh token");
    wx_status_t rc = sq_begin(st, err);
    if (rc != WX_OK)
        return rc;
    rc = sq_one(st, STMT_OIDC_REFRESH_GET, SQ_ARGS(DB_TEXT(hash)), fill_refresh, out, &found, err);
    if (rc != WX_OK || !found || out->revoked_at != 0 || out->expires_at <= now)
        goto out;
    if (out->rotated_at == 0) {
        rc = sq_run(st, STMT_OIDC_REFRESH_ROTATE, SQ_ARGS(DB_TEXT(hash), DB_INT(now)), NULL,
                    &changed, err, "refresh rotate");
        if (rc == WX_OK && changed == 1) {
            out->rotated_at = now;
            goto out;
        }
    }
    /* Used before: whoever holds the family's tokens may be an attacker. The revocation is
     * committed; the caller only learns WX_EUSED. */
    reused = true;
    if (rc == WX_OK)
        rc = sq_run(st, STMT_OIDC_FAMILY_REVOKE, SQ_ARGS(DB_TEXT(out->family), DB_INT(now)), NULL,
                    NULL, err, "family revoke");
out:
    rc = sq_end(st, true, rc, err);
    if (rc != WX_OK)
        memset(out, 0, sizeof(*out));
    else if (!found)
        rc = wx_err_set(err, WX_ENOENT, "unknown refresh token");
    else if (reused)
        rc = wx_err_set(err, WX_EUSED, "refresh token used before: its family is revoked");
    else if (out->revoked_at != 0)
        rc = wx_err_set(err, WX_EDENIED, "refresh token revoked");
    else if (out->expires_at <= now)
        rc = wx_err_set(err, WX_EEXPIRED, "refresh token expired");
    return rc;
}

wx_status_t
store_oidc_family_revoke(store_t *st, const char *family, int64_t now, wx_err_t *err)
{
    if (!sq_key_ok(family, STORE_ID_MAX))
        return WX_OK; /* no such family: nothing to revoke */
    return sq_run(st, STMT_OIDC_FAMILY_REVOKE, SQ_ARGS(DB_TEXT(family), DB_INT(now)), NULL, NULL,
                  err, "family revoke");
}

wx_status_t
store_oidc_session_add(store_t *st, const store_oidc_session_t *s, wx_err_t *err)
{
    db_rc_t cls = DB_OK;
    const sq_field_t f[] = {
        {"session id", s->id, sizeof(s->id)},
        {"session pool id", s->pool_id, sizeof(s->pool_id)},
        {"session user id", s->user_id, sizeof(s->user_id)},
    };
    wx_status_t rc = sq_check_fields(f, WX_ARRAY_LEN(f), err);
    if (rc != WX_OK || (rc = sq_require("session id", s->id, err)) != WX_OK)
        return rc;
    rc = sq_run(st, STMT_OIDC_SESSION_ADD,
                SQ_ARGS(DB_TEXT(s->id), DB_TEXT(s->pool_id), DB_TEXT(s->user_id),
                        DB_INT(s->auth_time), DB_INT(s->seen_at), DB_INT(s->expires_at)),
                &cls, NULL, err, "session add");
    if (cls == DB_EUNIQUE)
        rc = wx_err_set(err, WX_EEXIST, "session exists");
    else if (cls == DB_EFOREIGN)
        rc = wx_err_set(err, WX_ENOENT, "no such pool '%.64s'", s->pool_id);
    return rc;
}

wx_status_t
store_oidc_session_use(store_t *st, const char *id, int64_t now, int64_t idle,
                       store_oidc_session_t *out, wx_err_t *err)
{
    bool found = false;
    wx_status_t rc = WX_OK;
    memset(out, 0, sizeof(*out));
    if (sq_key_ok(id, STORE_ID_MAX))
        rc =
            sq_one(st, STMT_OIDC_SESSION_GET, SQ_ARGS(DB_TEXT(id)), fill_session, out, &found, err);
    if (rc != WX_OK)
        goto out;
    if (!found || out->ended_at != 0 || out->expires_at <= now || out->seen_at + idle <= now) {
        rc = wx_err_set(err, WX_ENOENT, "no live session");
        goto out;
    }
    rc = sq_run(st, STMT_OIDC_SESSION_SEEN, SQ_ARGS(DB_TEXT(id), DB_INT(now)), NULL, NULL, err,
                "session seen");
    out->seen_at = now;
out:
    if (rc != WX_OK)
        memset(out, 0, sizeof(*out));
    return rc;
}

wx_status_t
store_oidc_session_end(store_t *st, const char *id, int64_t now, wx_err_t *err)
{
    if (!sq_key_ok(id, STORE_ID_MAX))
        return WX_OK;
    return sq_run(st, STMT_OIDC_SESSION_END, SQ_ARGS(DB_TEXT(id), DB_INT(now)), NULL, NULL, err,
                  "session end");
}

wx_status_t
store_oidc_prune(store_t *st, int64_t before, int64_t *deleted, wx_err_t *err)
{
    static const sql_stmt_t stmts[] = {STMT_OIDC_PRUNE_CODES, STMT_OIDC_PRUNE_REFRESH,
                                       STMT_OIDC_PRUNE_SESSIONS};
    wx_status_t rc = WX_OK;
    *deleted = 0;
    for (size_t i = 0; i < WX_ARRAY_LEN(stmts) && rc == WX_OK; i++) {
        int64_t n = 0;
        rc = sq_run(st, stmts[i], SQ_ARGS(DB_INT(before)), NULL, &n, err, "oidc prune");
        *deleted += n;
    }
    return rc;
}
