/* Opening a store (the URL's scheme picks the driver), closing it, and its nested
 * transactions. The operations themselves are in store_conf.c, store_users.c,
 * store_states.c, store_keys.c and store_audit.c, written once over the driver seam (db.h). */
#include "query.h"

#include <stdlib.h>
#include <string.h>

static const db_driver_t *const drivers[] = {&db_sqlite_driver, &db_pg_driver};

wx_status_t
store_open(const char *url, store_t **out, wx_err_t *err)
{
    const db_driver_t *drv = NULL;
    const char *target = url;
    store_t *st = NULL;
    wx_status_t rc = WX_OK;
    *out = NULL;
    if (!url || !*url)
        return wx_err_set(err, WX_ECONFIG, "no store URL configured");
    for (size_t i = 0; !drv && i < WX_ARRAY_LEN(drivers); i++) {
        for (size_t j = 0; !drv && j < WX_ARRAY_LEN(drivers[i]->schemes); j++) {
            const char *scheme = drivers[i]->schemes[j];
            size_t n = scheme ? strlen(scheme) : 0;
            if (n > 0 && strncmp(url, scheme, n) == 0) {
                drv = drivers[i];
                target = drv->keeps_scheme ? url : url + n;
            }
        }
    }
    const char *sep = strstr(url, "://");
    if (!drv && sep) /* only the scheme: the rest may hold a password */
        return wx_err_set(err, WX_ECONFIG,
                          "unsupported store URL scheme '%.*s' (use sqlite:/path/to/file.db or "
                          "postgresql://user@host/db)",
                          (int)(sep - url < 32 ? sep - url : 32), url);
    if (!drv)
        drv = &db_sqlite_driver; /* a plain path is a SQLite file */
    st = calloc(1, sizeof(*st));
    if (!st)
        return wx_err_set(err, WX_ENOMEM, "out of memory");
    st->drv = drv;
    if ((rc = drv->connect(target, &st->db, err)) != WX_OK)
        goto out;
    rc = sq_migrate(st, err);
out:
    if (rc != WX_OK)
        store_close(st);
    else
        *out = st;
    return rc;
}

void
store_close(store_t *st)
{
    if (!st)
        return;
    if (st->db)
        st->drv->disconnect(st->db);
    free(st);
}

int
store_schema_version(store_t *st)
{
    return st->version;
}

void
store_mark_writer(store_t *st)
{
    if (st->drv->mark_writer)
        st->drv->mark_writer(st->db);
}

static wx_status_t
sq_tx(store_t *st, db_tx_t op, wx_err_t *err, const char *what)
{
    db_rc_t rc = st->drv->tx(st->db, op);
    return rc == DB_OK ? WX_OK : sq_fail(st, rc, err, what);
}

/* Transactions nest: the outermost is the driver's write transaction, the inner ones
 * savepoints, so an operation with its own transaction can run inside the writer's batch
 * (store/writer.c) and still be undone on its own. */
wx_status_t
sq_begin(store_t *st, wx_err_t *err)
{
    /* The database rolled the outer transaction back by itself (disk full, I/O error): nothing
     * more may run as part of it; its own commit or rollback resets the depth. */
    if (st->depth > 0 && !st->drv->in_tx(st->db))
        return wx_err_set(err, WX_ESTORE, "storage error: the transaction was rolled back");
    wx_status_t rc = st->depth > 0 ? sq_tx(st, DB_TX_SAVEPOINT, err, "savepoint")
                                   : sq_tx(st, DB_TX_BEGIN, err, "begin");
    if (rc == WX_OK)
        st->depth++;
    return rc;
}

static wx_status_t
sq_commit(store_t *st, wx_err_t *err)
{
    if (st->depth == 0 || !st->drv->in_tx(st->db)) {
        st->depth = 0;
        return wx_err_set(err, WX_ESTORE, "storage error: the transaction was rolled back");
    }
    wx_status_t rc = st->depth == 1 ? sq_tx(st, DB_TX_COMMIT, err, "commit")
                                    : sq_tx(st, DB_TX_RELEASE, err, "release");
    if (rc == WX_OK)
        st->depth--;
    return rc;
}

/* Undo the innermost open transaction, unless the database already rolled it all back. */
static void
sq_rollback(store_t *st)
{
    if (st->depth == 0 || !st->drv->in_tx(st->db)) {
        st->depth = 0;
        return;
    }
    if (st->depth == 1) {
        st->drv->tx(st->db, DB_TX_ROLLBACK);
    } else {
        st->drv->tx(st->db, DB_TX_ROLLBACK_TO);
        st->drv->tx(st->db, DB_TX_RELEASE);
    }
    st->depth--;
}

wx_status_t
sq_end(store_t *st, bool in_tx, wx_status_t rc, wx_err_t *err)
{
    if (in_tx && rc == WX_OK)
        rc = sq_commit(st, err);
    if (in_tx && rc != WX_OK)
        sq_rollback(st);
    return rc;
}

wx_status_t
store_tx_begin(store_t *st, wx_err_t *err)
{
    return sq_begin(st, err);
}

wx_status_t
store_tx_commit(store_t *st, wx_err_t *err)
{
    return sq_commit(st, err);
}

void
store_tx_rollback(store_t *st)
{
    sq_rollback(st);
}

int
store_tx_abandon(store_t *st)
{
    int open = st->depth;
    while (st->depth > 0)
        sq_rollback(st);
    if (st->drv->in_tx(st->db)) {
        st->drv->tx(st->db, DB_TX_ROLLBACK);
        if (open == 0)
            open = 1;
    }
    return open;
}

bool
store_is_network(const char *url)
{
    for (size_t j = 0; j < WX_ARRAY_LEN(db_pg_driver.schemes); j++) {
        const char *scheme = db_pg_driver.schemes[j];
        if (scheme && url && strncmp(url, scheme, strlen(scheme)) == 0)
            return true;
    }
    return false;
}
