/* Follow the service account to log in (issue 15): the account access token the nodes share,
 * the pushes already taken (replay protection decided by the database's unique key), and the
 * scenes of the follow-to-login QR codes. */
#include <string.h>

#include "query.h"
#include "sql.h"
#include "store.h"

typedef struct {
    char *sealed;
    size_t n;
    int64_t expires_at;
} wxtoken_row_t;

static void
fill_wxtoken(sq_row_t *r, void *out)
{
    wxtoken_row_t *t = out;
    sq_text(r, 0, t->sealed, t->n);
    t->expires_at = sq_i64(r, 1);
}

wx_status_t
store_wxtoken_get(store_t *st, const char *appid, char *sealed, size_t n, int64_t *expires_at,
                  wx_err_t *err)
{
    bool found = false;
    wxtoken_row_t t = {sealed, n, 0};
    sealed[0] = '\0';
    *expires_at = 0;
    if (!sq_key_ok(appid, STORE_ID_MAX))
        return wx_err_set(err, WX_ENOENT, "no access token stored");
    wx_status_t rc =
        sq_one(st, STMT_WXTOKEN_GET, SQ_ARGS(DB_TEXT(appid)), fill_wxtoken, &t, &found, err);
    if (rc == WX_OK && !found)
        rc = wx_err_set(err, WX_ENOENT, "no access token stored");
    if (rc == WX_OK)
        *expires_at = t.expires_at;
    return rc;
}

wx_status_t
store_wxtoken_put(store_t *st, const char *appid, const char *sealed, int64_t expires_at,
                  int64_t now, wx_err_t *err)
{
    const sq_field_t f[] = {
        {"App ID", appid, STORE_ID_MAX},
        {"access token", sealed, STORE_SECRET_MAX + 512},
    };
    wx_status_t rc = sq_check_fields(f, WX_ARRAY_LEN(f), err);
    if (rc != WX_OK || (rc = sq_require("App ID", appid, err)) != WX_OK)
        return rc;
    return sq_run(st, STMT_WXTOKEN_PUT,
                  SQ_ARGS(DB_TEXT(appid), DB_TEXT(sealed), DB_INT(expires_at), DB_INT(now)), NULL,
                  NULL, err, "access token put");
}

wx_status_t
store_push_seen(store_t *st, const char *key, int64_t expires_at, bool *first, wx_err_t *err)
{
    int64_t changed = 0;
    *first = false;
    if (!sq_key_ok(key, STORE_ID_MAX + 32))
        return wx_err_set(err, WX_EINVAL, "bad push key");
    wx_status_t rc = sq_run(st, STMT_PUSH_SEEN, SQ_ARGS(DB_TEXT(key), DB_INT(expires_at)), NULL,
                            &changed, err, "push seen");
    if (rc == WX_OK)
        *first = changed == 1;
    return rc;
}

static void
fill_follow(sq_row_t *r, void *out)
{
    store_follow_t *f = out;
    memset(f, 0, sizeof(*f));
    sq_text(r, 0, f->scene, sizeof(f->scene));
    sq_text(r, 1, f->pool_id, sizeof(f->pool_id));
    sq_text(r, 2, f->conn_identifier, sizeof(f->conn_identifier));
    sq_text(r, 3, f->ticket, sizeof(f->ticket));
    sq_text(r, 4, f->browser, sizeof(f->browser));
    sq_text(r, 5, f->redirect, sizeof(f->redirect));
    sq_text(r, 6, f->app_id, sizeof(f->app_id));
    f->created_at = sq_i64(r, 7);
    f->expires_at = sq_i64(r, 8);
    sq_text(r, 9, f->openid, sizeof(f->openid));
    f->done_at = sq_i64(r, 10);
    sq_text(r, 11, f->result, sizeof(f->result));
}

wx_status_t
store_follow_add(store_t *st, const store_follow_t *f, wx_err_t *err)
{
    const sq_field_t fl[] = {
        {"scene", f->scene, sizeof(f->scene)},
        {"pool id", f->pool_id, sizeof(f->pool_id)},
        {"connection identifier", f->conn_identifier, sizeof(f->conn_identifier)},
        {"ticket", f->ticket, sizeof(f->ticket)},
        {"browser", f->browser, sizeof(f->browser)},
        {"redirect", f->redirect, sizeof(f->redirect)},
        {"application id", f->app_id, sizeof(f->app_id)},
    };
    wx_status_t rc = sq_check_fields(fl, WX_ARRAY_LEN(fl), err);
    if (rc != WX_OK || (rc = sq_require("scene", f->scene, err)) != WX_OK)
        return rc;
    return sq_run(st, STMT_FOLLOW_ADD,
                  SQ_ARGS(DB_TEXT(f->scene), DB_TEXT(f->pool_id), DB_TEXT(f->conn_identifier),
                          DB_TEXT(f->ticket), DB_TEXT(f->browser), DB_TEXT(f->redirect),
                          DB_TEXT(f->app_id), DB_INT(f->created_at), DB_INT(f->expires_at)),
                  NULL, NULL, err, "follow scene add");
}

wx_status_t
store_follow_get(store_t *st, const char *scene, store_follow_t *out, wx_err_t *err)
{
    bool found = false;
    if (!sq_key_ok(scene, STORE_ID_MAX))
        return wx_err_set(err, WX_ENOENT, "unknown scene");
    wx_status_t rc =
        sq_one(st, STMT_FOLLOW_GET, SQ_ARGS(DB_TEXT(scene)), fill_follow, out, &found, err);
    if (rc == WX_OK && !found)
        rc = wx_err_set(err, WX_ENOENT, "unknown scene");
    return rc;
}

wx_status_t
store_follow_done(store_t *st, const char *scene, const char *openid, const char *result,
                  int64_t now, bool *won, wx_err_t *err)
{
    int64_t changed = 0;
    *won = false;
    const sq_field_t fl[] = {
        {"openid", openid, STORE_OPENID_MAX},
        {"result", result, STORE_RESULT_MAX},
    };
    wx_status_t rc = sq_check_fields(fl, WX_ARRAY_LEN(fl), err);
    if (rc != WX_OK)
        return rc;
    if (!sq_key_ok(scene, STORE_ID_MAX))
        return WX_OK;
    rc = sq_run(st, STMT_FOLLOW_DONE,
                SQ_ARGS(DB_TEXT(scene), DB_TEXT(openid), DB_INT(now), DB_TEXT(result)), NULL,
                &changed, err, "follow scene done");
    if (rc == WX_OK)
        *won = changed == 1;
    return rc;
}

wx_status_t
store_follow_prune(store_t *st, int64_t now, int64_t keep, wx_err_t *err)
{
    wx_status_t rc =
        sq_run(st, STMT_PUSH_PRUNE, SQ_ARGS(DB_INT(now)), NULL, NULL, err, "push seen prune");
    if (rc == WX_OK)
        rc = sq_run(st, STMT_FOLLOW_PRUNE, SQ_ARGS(DB_INT(now - keep)), NULL, NULL, err,
                    "follow scene prune");
    return rc;
}
