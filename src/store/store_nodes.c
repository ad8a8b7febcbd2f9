/* The wxauthd processes sharing a store, and when each last said it was alive (store.h). A
 * claimed login names its process; a reload of it asks here whether that process still runs. */
#include "query.h"

#include <string.h>

wx_status_t
store_node_seen(store_t *st, const char *id, const char *host, int64_t pid, int64_t now,
                wx_err_t *err)
{
    const sq_field_t f[] = {{"node id", id, STORE_ID_MAX}, {"node host", host, STORE_NAME_MAX}};
    wx_status_t rc = sq_check_fields(f, WX_ARRAY_LEN(f), err);
    if (rc != WX_OK || (rc = sq_require("node id", id, err)) != WX_OK)
        return rc;
    return sq_run(st, STMT_NODE_SEEN, SQ_ARGS(DB_TEXT(id), DB_TEXT(host), DB_INT(pid), DB_INT(now)),
                  NULL, NULL, err, "node seen");
}

static void
nodes_fill(sq_row_t *r, void *out)
{
    store_node_t *n = out;
    memset(n, 0, sizeof(*n));
    sq_text(r, 0, n->id, sizeof(n->id));
    sq_text(r, 1, n->host, sizeof(n->host));
    n->pid = sq_i64(r, 2);
    n->started_at = sq_i64(r, 3);
    n->seen_at = sq_i64(r, 4);
}

wx_status_t
store_node_get(store_t *st, const char *id, store_node_t *out, wx_err_t *err)
{
    bool found = false;
    wx_status_t rc = WX_OK;
    if (sq_key_ok(id, STORE_ID_MAX))
        rc = sq_one(st, STMT_NODE_GET, SQ_ARGS(DB_TEXT(id)), nodes_fill, out, &found, err);
    if (rc == WX_OK && !found)
        rc = wx_err_set(err, WX_ENOENT, "no such node '%.64s'", id ? id : "");
    if (rc != WX_OK)
        memset(out, 0, sizeof(*out));
    return rc;
}

wx_status_t
store_node_prune(store_t *st, int64_t before, int64_t *deleted, wx_err_t *err)
{
    int64_t n = 0;
    wx_status_t rc =
        sq_run(st, STMT_NODE_PRUNE, SQ_ARGS(DB_INT(before)), NULL, &n, err, "node prune");
    if (deleted)
        *deleted = rc == WX_OK ? n : 0;
    return rc;
}
