/* Schema migrations at open, for any driver: its numbered list (db_driver_t.migrations) is
 * applied in order, each in its own write transaction that first re-checks
 * schema_migrations, so many processes opening a fresh database at once apply each exactly
 * once. Numbers may leave gaps (branches developed at once reserve theirs), and one filled in
 * later is still applied: what decides is which migrations are recorded, not the highest one.
 * A database newer than the program is refused rather than written by older code. */
#include "query.h"

#include <string.h>

#include "../util/clock.h"

static wx_status_t
migrate_read_version(store_t *st, int *version, wx_err_t *err)
{
    int64_t v = 0;
    wx_status_t rc = sq_int(st, STMT_MIGRATION_VERSION, SQ_NO_ARGS, &v, NULL, err);
    *version = (int)v;
    return rc;
}

/* Is migration m recorded? A row of its number under another name (a development branch's
 * migration, say) is refused: skipping ours would leave the schema unlike what the code
 * expects, and nothing would say why. */
static wx_status_t
migrate_recorded(store_t *st, const db_migration_t *m, bool *applied, wx_err_t *err)
{
    char name[256] = "";
    sq_buf_t b = {name, sizeof(name)};
    wx_status_t rc = sq_one(st, STMT_MIGRATION_APPLIED, SQ_ARGS(DB_INT(m->version)), sq_fill_buf,
                            &b, applied, err);
    if (rc == WX_OK && *applied && strcmp(name, m->name) != 0)
        rc = wx_err_set(err, WX_ECONFIG,
                        "database migration %d is recorded as '%.64s' but this program's "
                        "migration %d is '%s': the database was migrated by another build; "
                        "restore it from a backup made before, or use the build that made it",
                        m->version, name, m->version, m->name);
    return rc;
}

static wx_status_t
migrate_apply(store_t *st, const db_migration_t *m, wx_err_t *err)
{
    bool applied = false;
    db_rc_t drc;
    wx_status_t rc = sq_begin(st, err);
    if (rc != WX_OK)
        return rc;
    rc = migrate_recorded(st, m, &applied, err);
    if (rc != WX_OK || applied)
        goto out;
    if ((drc = st->drv->exec(st->db, m->sql)) != DB_OK) {
        rc = sq_fail(st, drc, err, "migration");
        wx_err_set(err, rc, "database migration %d (%s) failed", m->version, m->name);
        goto out;
    }
    rc = sq_run(st, STMT_MIGRATION_RECORD,
                SQ_ARGS(DB_INT(m->version), DB_TEXT(m->name), DB_INT(wx_now())), NULL, NULL, err,
                "record migration");
out:
    return sq_end(st, true, rc, err);
}

static wx_status_t
migrate_all(store_t *st, wx_err_t *err)
{
    const db_driver_t *drv = st->drv;
    wx_status_t rc = WX_OK;
    int latest = 0, version = 0;
    int64_t known = 0, applied = 0;
    db_rc_t drc;
    for (size_t i = 0; drv->migrations[i].version != 0; i++, known++) {
        if (drv->migrations[i].version <= latest)
            return wx_err_set(err, WX_ECONFIG, "database migrations are out of order");
        latest = drv->migrations[i].version;
    }
    /* A no-op read when the table exists, so an up-to-date database takes no write lock. */
    if ((drc = drv->exec(st->db, drv->migrations_table)) != DB_OK)
        return sq_fail(st, drc, err, "create schema_migrations");
    if ((rc = migrate_read_version(st, &version, err)) != WX_OK)
        return rc;
    if (version > latest)
        /* Running old code on a newer schema could write rows the newer code misreads. */
        return wx_err_set(err, WX_ECONFIG,
                          "database schema version %d is newer than this program's (%d)", version,
                          latest);
    /* A no-op count when up to date, so an up-to-date database takes no write lock. */
    if ((rc = sq_int(st, STMT_MIGRATION_COUNT, SQ_ARGS(DB_INT(latest)), &applied, NULL, err)) !=
        WX_OK)
        return rc;
    /* Every recorded migration is ours by name too (reads only: no write lock). */
    for (size_t i = 0; drv->migrations[i].version != 0; i++) {
        bool recorded = false;
        if ((rc = migrate_recorded(st, &drv->migrations[i], &recorded, err)) != WX_OK)
            return rc;
    }
    for (size_t i = 0; applied < known && drv->migrations[i].version != 0; i++)
        if ((rc = migrate_apply(st, &drv->migrations[i], err)) != WX_OK)
            return rc;
    if ((rc = migrate_read_version(st, &version, err)) != WX_OK)
        return rc;
    st->version = version;
    return WX_OK;
}

wx_status_t
sq_migrate(store_t *st, wx_err_t *err)
{
    db_rc_t drc;
    if (st->drv->lock_schema && (drc = st->drv->lock_schema(st->db, true)) != DB_OK)
        return sq_fail(st, drc, err, "lock schema");
    wx_status_t rc = migrate_all(st, err);
    if (st->drv->lock_schema)
        st->drv->lock_schema(st->db, false);
    return rc;
}
