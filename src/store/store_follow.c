/* Follow the service account to log in (issue 15): the account access token the nodes share,
 * the pushes already taken (replay protection decided by the database's unique key). A QR code's
 * scene is its desktop ticket's id (store_ticket_*), so scenes need no table of their own. */
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

wx_status_t
store_push_prune(store_t *st, int64_t now, wx_err_t *err)
{
    return sq_run(st, STMT_PUSH_PRUNE, SQ_ARGS(DB_INT(now)), NULL, NULL, err, "push seen prune");
}
