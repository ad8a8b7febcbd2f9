/* The driver seam under the store: what a database backend must do, and nothing more. The
 * SQL, the row mapping and the rules of every store operation live once above it
 * (store/sql.c and the store_*.c files); a driver (db_sqlite.c, db_pg.c) only connects, runs
 * a statement with arguments, steps through its rows, reads columns, runs transaction
 * commands, and says which class of error it met. One db_t is one connection, used by one
 * thread at a time, with at most one statement open at a time. */
#ifndef WX_STORE_DB_H
#define WX_STORE_DB_H

#include "../util/wx.h"

typedef struct db db_t;

/* What a driver call returns. The error classes are what the store must tell apart. */
typedef enum {
    DB_OK = 0,
    DB_ROW,      /* step: a row is ready */
    DB_DONE,     /* step: no more rows */
    DB_EBUSY,    /* locked or overloaded: the caller may try again later */
    DB_ERETRY,   /* the transaction lost a race (serialization, deadlock): rerun it */
    DB_EUNIQUE,  /* a unique or primary key constraint */
    DB_EFOREIGN, /* a foreign key constraint */
    DB_ENOMEM,   /* out of memory */
    DB_ECONN,    /* the connection is gone */
    DB_EFAIL,    /* anything else */
} db_rc_t;

/* One statement argument: text (NULL binds as '') or a 64-bit integer. */
typedef struct {
    const char *text;
    int64_t num;
    bool is_text;
} db_arg_t;

static inline db_arg_t
db_text(const char *s)
{
    return (db_arg_t){.text = s ? s : "", .is_text = true};
}
#define DB_TEXT(s) db_text(s)
#define DB_INT(n) ((db_arg_t){.num = (int64_t)(n)})

typedef enum {
    DB_TX_BEGIN, /* the outermost transaction, which will write */
    DB_TX_COMMIT,
    DB_TX_ROLLBACK,
    DB_TX_SAVEPOINT, /* a nested one */
    DB_TX_RELEASE,
    DB_TX_ROLLBACK_TO,
} db_tx_t;

/* One numbered schema change, in the driver's dialect (DDL differs between databases). */
typedef struct {
    int version;
    const char *name;
    const char *sql; /* one or more statements separated by ';' */
} db_migration_t;

typedef struct db_driver {
    const char *name;       /* "sqlite", "postgresql" */
    const char *schemes[2]; /* the store URL prefixes it answers: "sqlite:" */
    bool keeps_scheme;      /* connect gets the whole URL ("postgresql://..."), not what follows */
    wx_status_t (*connect)(const char *target, db_t **out, wx_err_t *err);
    void (*disconnect)(db_t *db);
    /* Start statement `id` (0 <= id < DB_STMT_MAX; sql is the same text for the same id, so a
     * driver may prepare it once per connection). Placeholders are $1, $2 ... in the text.
     * guard: the statement runs inside an open transaction, which must stay usable if it fails
     * (SQLite undoes only the failed statement; PostgreSQL would abort the whole transaction,
     * so its driver wraps the statement in a savepoint). */
    db_rc_t (*query)(db_t *db, int id, const char *sql, const db_arg_t *args, size_t nargs,
                     bool guard);
    db_rc_t (*step)(db_t *db); /* DB_ROW, DB_DONE or an error class */
    /* Columns of the current row. text is NULL for SQL NULL; *len is its length in bytes.
     * Integers read booleans as 0/1. */
    const char *(*col_text)(db_t *db, int col, size_t *len);
    int64_t (*col_int)(db_t *db, int col);
    const char *(*col_name)(db_t *db, int col);
    int64_t (*changes)(db_t *db); /* rows changed by the last statement */
    void (*reset)(db_t *db);      /* end the current statement; safe to call twice */
    db_rc_t (*exec)(db_t *db, const char *script); /* DDL, migrations: no arguments, no rows */
    db_rc_t (*tx)(db_t *db, db_tx_t op);
    /* Is a transaction still open at the database? (false after the database rolled it back by
     * itself, e.g. SQLite on disk full) */
    bool (*in_tx)(db_t *db);
    const char *(*errmsg)(db_t *db); /* the last error, for logs */
    void (*mark_writer)(db_t *db);   /* optional: this connection is the process's writer */
    /* optional: hold (lock) or let go of a database-wide lock around schema migrations, for
     * databases whose transactions do not serialise them by themselves */
    db_rc_t (*lock_schema)(db_t *db, bool lock);
    const db_migration_t *migrations; /* in order; ends with a {0} entry */
    const char *migrations_table;     /* CREATE TABLE IF NOT EXISTS schema_migrations ... */
} db_driver_t;

#define DB_STMT_MAX 96

extern const db_driver_t db_sqlite_driver;
extern const db_driver_t db_pg_driver;

#endif
