/* The PostgreSQL driver of the store (db.h), on libpq. One db_t is one connection. Each
 * statement is prepared once per connection (named "s<id>", argument types from the first
 * use: text or int8) and run with PQexecPrepared; its rows are read from the PGresult. Lock
 * waits are bounded (lock_timeout) so a stuck row answers "busy" like SQLite's busy timeout.
 * A connection found broken outside a transaction is re-established before the next
 * statement, so a restarted database is used again without restarting wxauthd. */
#include "db.h"

#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "../util/clock.h"
#include "pg_migrations.h"

#define PG_ARGS_MAX 16
/* While the database is unreachable, each attempt to reconnect blocks its thread up to the
 * connect timeout: try at most this often, and fail fast in between. */
#define PG_RESET_EVERY_MS 1000
#define PG_TEXT_OID 25
#define PG_INT8_OID 20
/* Serialises schema migrations of every process on this database (any constant will do). */
#define PG_MIGRATION_LOCK "7741625113"

/* Bounded waits: a lock held elsewhere answers "busy" after 5 s (like SQLite's busy timeout);
 * a statement that runs longer than 10 s is cancelled by the server. */
#define PG_SESSION_SETTINGS "SET lock_timeout = '5s'; SET statement_timeout = '10s'"

enum { PG_TX_STMTS = DB_TX_ROLLBACK_TO + 1 };

static const char *const pg_tx_sql[PG_TX_STMTS] = {
    [DB_TX_BEGIN] = "BEGIN",        [DB_TX_COMMIT] = "COMMIT",
    [DB_TX_ROLLBACK] = "ROLLBACK",  [DB_TX_SAVEPOINT] = "SAVEPOINT wx",
    [DB_TX_RELEASE] = "RELEASE wx", [DB_TX_ROLLBACK_TO] = "ROLLBACK TO wx",
};

struct db {
    PGconn *conn;
    PGresult *res; /* of the current statement */
    int row;       /* the current row of res; -1 before the first step */
    bool prepared[DB_STMT_MAX];
    bool tx_open;        /* BEGIN sent, COMMIT or ROLLBACK not yet: never reconnect under it */
    bool broken;         /* the connection is in a state we cannot use (a pipeline not drained) */
    int64_t reset_at_ms; /* the last reconnection attempt: at most one per PG_RESET_EVERY_MS */
    char err[256];       /* the last error, for logs */
};

static void
pg_note_error(db_t *d, const char *msg)
{
    size_t n = strlen(msg ? msg : "");
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
        n--; /* libpq's messages end with a newline */
    wx_snprintf(d->err, sizeof(d->err), "%.*s", (int)n, msg ? msg : "");
}

/* The class of a failed result, from its SQLSTATE (PostgreSQL appendix A). */
static db_rc_t
pg_class(db_t *d, const PGresult *res)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    pg_note_error(d, res ? PQresultErrorMessage(res) : PQerrorMessage(d->conn));
    if (PQstatus(d->conn) == CONNECTION_BAD || !state)
        return DB_ECONN;
    if (strcmp(state, "23505") == 0)
        return DB_EUNIQUE;
    if (strcmp(state, "23503") == 0)
        return DB_EFOREIGN;
    if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0)
        return DB_ERETRY; /* serialization failure, deadlock */
    if (strcmp(state, "55P03") == 0 || strncmp(state, "53", 2) == 0)
        return DB_EBUSY; /* lock_timeout, insufficient resources */
    if (strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0)
        return DB_ECONN; /* connection exception, server shutting down */
    return DB_EFAIL;
}

static void
pg_reset(db_t *d)
{
    if (d->res) {
        PQclear(d->res);
        d->res = NULL;
    }
    d->row = -1;
}

/* A broken connection is re-established, unless a transaction was open on it: then the
 * transaction is lost, its caller must see the error (and roll back), and a statement must not
 * run on a fresh connection as if it were still part of it. Prepared statements died with it. */
static bool
pg_alive(db_t *d)
{
    if (PQstatus(d->conn) == CONNECTION_OK && !d->broken)
        return true;
    if (d->tx_open) {
        pg_note_error(d, "the connection to PostgreSQL was lost during a transaction");
        return false;
    }
    int64_t now = wx_mono_ms();
    if (d->reset_at_ms && now - d->reset_at_ms < PG_RESET_EVERY_MS) {
        pg_note_error(d, "PostgreSQL is unreachable (next attempt within a second)");
        return false;
    }
    d->reset_at_ms = now;
    d->broken = false;
    PQreset(d->conn);
    memset(d->prepared, 0, sizeof(d->prepared));
    if (PQstatus(d->conn) != CONNECTION_OK) {
        pg_note_error(d, PQerrorMessage(d->conn));
        return false;
    }
    PQsetErrorVerbosity(d->conn, PQERRORS_TERSE);
    PGresult *r = PQexec(d->conn, PG_SESSION_SETTINGS);
    PQclear(r);
    return true;
}

static db_rc_t pg_command(db_t *d, const char *sql, bool is_commit);

/* SAVEPOINT, the statement, RELEASE in one round trip (libpq's pipeline mode): if the
 * statement fails, only it is undone (ROLLBACK TO) and the transaction goes on. */
static db_rc_t
pg_exec_guarded(db_t *d, const char *name, int nargs, const char *const *values)
{
    db_rc_t rc = DB_OK;
    bool synced = false;
    if (PQenterPipelineMode(d->conn) != 1) {
        pg_note_error(d, PQerrorMessage(d->conn));
        return DB_ECONN;
    }
    if (!PQsendQueryParams(d->conn, "SAVEPOINT wxq", 0, NULL, NULL, NULL, NULL, 0) ||
        !PQsendQueryPrepared(d->conn, name, nargs, values, NULL, NULL, 0) ||
        !PQsendQueryParams(d->conn, "RELEASE wxq", 0, NULL, NULL, NULL, NULL, 0) ||
        !PQpipelineSync(d->conn)) {
        pg_note_error(d, PQerrorMessage(d->conn));
        rc = DB_ECONN;
    }
    /* Each query's results end with a NULL; the sync point ends the pipeline. The loop is
     * bounded: a broken connection gives NULLs without ever reaching the sync. */
    for (int nulls = 0; rc != DB_ECONN && !synced && nulls < 8;) {
        PGresult *r = PQgetResult(d->conn);
        if (!r) {
            nulls++;
            continue;
        }
        ExecStatusType s = PQresultStatus(r);
        if (s == PGRES_PIPELINE_SYNC) {
            synced = true;
        } else if (nulls == 1 && !d->res && (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK)) {
            d->res = r; /* the statement's own result */
            continue;
        } else if (s == PGRES_FATAL_ERROR && rc == DB_OK) {
            rc = pg_class(d, r);
        }
        PQclear(r);
    }
    if (!synced && rc == DB_OK) {
        pg_note_error(d, "the pipeline did not complete");
        rc = DB_ECONN;
    }
    if (PQexitPipelineMode(d->conn) != 1) {
        /* Results left behind: this connection cannot be used as it is; the next use outside a
         * transaction reconnects. */
        d->broken = true;
        if (rc == DB_OK) {
            pg_note_error(d, "the pipeline could not be ended");
            rc = DB_ECONN;
        }
        pg_reset(d);
        return rc;
    }
    if (rc != DB_OK) {
        pg_reset(d);
        if (PQtransactionStatus(d->conn) == PQTRANS_INERROR) {
            char keep[sizeof(d->err)];
            memcpy(keep, d->err, sizeof(keep)); /* report the statement's error, not these */
            pg_command(d, "ROLLBACK TO SAVEPOINT wxq", false);
            pg_command(d, "RELEASE wxq", false);
            memcpy(d->err, keep, sizeof(keep));
        }
    }
    return rc;
}

static db_rc_t
pg_query(db_t *d, int id, const char *sql, const db_arg_t *args, size_t nargs, bool guard)
{
    char nums[PG_ARGS_MAX][24], name[16];
    const char *values[PG_ARGS_MAX];
    db_rc_t rc = DB_OK;
    pg_reset(d);
    if (id < 0 || id >= DB_STMT_MAX || nargs > PG_ARGS_MAX) {
        pg_note_error(d, "bad statement id or too many arguments");
        return DB_EFAIL;
    }
    if (!pg_alive(d))
        return DB_ECONN;
    wx_snprintf(name, sizeof(name), "s%d", id);
    if (!d->prepared[id]) {
        Oid types[PG_ARGS_MAX];
        for (size_t i = 0; i < nargs; i++)
            types[i] = args[i].is_text ? PG_TEXT_OID : PG_INT8_OID;
        PGresult *p = PQprepare(d->conn, name, sql, (int)nargs, types);
        if (PQresultStatus(p) != PGRES_COMMAND_OK)
            rc = pg_class(d, p);
        PQclear(p);
        if (rc != DB_OK)
            return rc;
        d->prepared[id] = true;
    }
    for (size_t i = 0; i < nargs; i++) {
        if (args[i].is_text) {
            values[i] = args[i].text;
        } else {
            wx_snprintf(nums[i], sizeof(nums[i]), "%lld", (long long)args[i].num);
            values[i] = nums[i];
        }
    }
    if (guard && PQtransactionStatus(d->conn) == PQTRANS_INTRANS)
        return pg_exec_guarded(d, name, (int)nargs, values);
    d->res = PQexecPrepared(d->conn, name, (int)nargs, values, NULL, NULL, 0);
    ExecStatusType s = PQresultStatus(d->res);
    if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
        rc = pg_class(d, d->res);
        pg_reset(d);
    }
    return rc;
}

static db_rc_t
pg_step(db_t *d)
{
    if (!d->res)
        return DB_EFAIL;
    return ++d->row < PQntuples(d->res) ? DB_ROW : DB_DONE;
}

static const char *
pg_col_text(db_t *d, int col, size_t *len)
{
    *len = 0;
    if (!d->res || d->row < 0 || col >= PQnfields(d->res) || PQgetisnull(d->res, d->row, col))
        return NULL;
    *len = (size_t)PQgetlength(d->res, d->row, col);
    return PQgetvalue(d->res, d->row, col);
}

static int64_t
pg_col_int(db_t *d, int col)
{
    size_t len = 0;
    const char *v = pg_col_text(d, col, &len);
    if (!v)
        return 0;
    if (strcmp(v, "t") == 0) /* booleans: EXISTS (...) */
        return 1;
    if (strcmp(v, "f") == 0)
        return 0;
    return strtoll(v, NULL, 10);
}

static const char *
pg_col_name(db_t *d, int col)
{
    const char *n = d->res ? PQfname(d->res, col) : NULL;
    return n ? n : "?";
}

static int64_t
pg_changes(db_t *d)
{
    const char *n = d->res ? PQcmdTuples(d->res) : "";
    return *n ? strtoll(n, NULL, 10) : 0;
}

/* Runs a command without arguments; COMMIT of a failed transaction "succeeds" as ROLLBACK,
 * which the caller must see as the failure it is. */
static db_rc_t
pg_command(db_t *d, const char *sql, bool is_commit)
{
    db_rc_t rc = DB_OK;
    PGresult *r = PQexec(d->conn, sql);
    ExecStatusType s = PQresultStatus(r);
    if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
        rc = pg_class(d, r);
    } else if (is_commit && strcmp(PQcmdStatus(r), "ROLLBACK") == 0) {
        pg_note_error(d, "the transaction had failed and was rolled back");
        rc = DB_EFAIL;
    }
    PQclear(r);
    return rc;
}

static db_rc_t
pg_exec(db_t *d, const char *script)
{
    pg_reset(d);
    if (!pg_alive(d))
        return DB_ECONN;
    return pg_command(d, script, false);
}

static db_rc_t
pg_tx(db_t *d, db_tx_t op)
{
    pg_reset(d);
    if ((int)op < 0 || (int)op >= PG_TX_STMTS)
        return DB_EFAIL;
    if (op == DB_TX_COMMIT || op == DB_TX_ROLLBACK) {
        /* Over either way: the transaction ended, or died with its connection. */
        bool alive = PQstatus(d->conn) == CONNECTION_OK && !d->broken;
        db_rc_t rc = alive ? pg_command(d, pg_tx_sql[op], op == DB_TX_COMMIT) : DB_ECONN;
        d->tx_open = false;
        return rc;
    }
    if (!pg_alive(d))
        return DB_ECONN;
    db_rc_t rc = pg_command(d, pg_tx_sql[op], false);
    if (op == DB_TX_BEGIN && rc == DB_OK)
        d->tx_open = true;
    return rc;
}

static bool
pg_in_tx(db_t *d)
{
    if (PQstatus(d->conn) != CONNECTION_OK || d->broken) {
        /* Whatever was open is gone, and the store now takes it as ended: the next BEGIN may
         * reconnect. */
        d->tx_open = false;
        return false;
    }
    PGTransactionStatusType s = PQtransactionStatus(d->conn);
    return s == PQTRANS_INTRANS || s == PQTRANS_INERROR || s == PQTRANS_ACTIVE;
}

static const char *
pg_errmsg(db_t *d)
{
    return d ? d->err : "no connection";
}

/* Migrations of several processes starting at once on a fresh database run one at a time. */
static db_rc_t
pg_lock_schema(db_t *d, bool lock)
{
    return pg_command(d,
                      lock ? "SELECT pg_advisory_lock(" PG_MIGRATION_LOCK ")"
                           : "SELECT pg_advisory_unlock(" PG_MIGRATION_LOCK ")",
                      false);
}

/* libpq prints NOTICEs ("relation already exists, skipping") on stderr by default. */
static void
pg_quiet(void *arg, const char *message)
{
}

static void
pg_disconnect(db_t *d)
{
    if (!d)
        return;
    pg_reset(d);
    PQfinish(d->conn);
    free(d);
}

static wx_status_t
pg_connect(const char *url, db_t **out, wx_err_t *err)
{
    db_t *d = calloc(1, sizeof(*d));
    wx_status_t rc = WX_OK;
    *out = NULL;
    if (!d)
        return wx_err_set(err, WX_ENOMEM, "out of memory");
    d->row = -1;
    /* A database that does not answer must not hang a start or a reconnect: 5 s unless the
     * URL says otherwise (its own connect_timeout comes later, so it wins). */
    /* Also: a peer that vanished (network cut, host down) is noticed within seconds, not when
     * the kernel gives up on TCP minutes later. */
    const char *const keys[] = {
        "connect_timeout",  "keepalives",       "keepalives_idle", "keepalives_interval",
        "keepalives_count", "tcp_user_timeout", "dbname",          NULL};
    const char *const vals[] = {"5", "1", "10", "2", "3", "10000", url, NULL};
    d->conn = PQconnectdbParams(keys, vals, 1);
    if (!d->conn) {
        rc = wx_err_set(err, WX_ENOMEM, "out of memory");
        goto out;
    }
    if (PQstatus(d->conn) != CONNECTION_OK) {
        /* The URL may hold a password: name the host only, through libpq's own parse. */
        rc = wx_err_set(err, WX_ESTORE, "cannot connect to PostgreSQL at %.64s:%.8s",
                        PQhost(d->conn) ? PQhost(d->conn) : "?",
                        PQport(d->conn) ? PQport(d->conn) : "?");
        wx_err_detail(err, "postgresql connect: %s", PQerrorMessage(d->conn));
        goto out;
    }
    PQsetNoticeProcessor(d->conn, pg_quiet, NULL);
    /* Errors without DETAIL: it quotes row values (openids, profiles) into our logs. */
    PQsetErrorVerbosity(d->conn, PQERRORS_TERSE);
    if (pg_command(d, PG_SESSION_SETTINGS, false) != DB_OK) {
        rc = wx_err_set(err, WX_ESTORE, "storage error");
        wx_err_detail(err, "postgresql session settings: %s", d->err);
    }
out:
    if (rc != WX_OK)
        pg_disconnect(d);
    else
        *out = d;
    return rc;
}

const db_driver_t db_pg_driver = {
    .name = "postgresql",
    .schemes = {"postgresql://", "postgres://"},
    .keeps_scheme = true,
    .connect = pg_connect,
    .disconnect = pg_disconnect,
    .query = pg_query,
    .step = pg_step,
    .col_text = pg_col_text,
    .col_int = pg_col_int,
    .col_name = pg_col_name,
    .changes = pg_changes,
    .reset = pg_reset,
    .exec = pg_exec,
    .tx = pg_tx,
    .in_tx = pg_in_tx,
    .errmsg = pg_errmsg,
    .lock_schema = pg_lock_schema,
    .migrations = pg_migrations,
    .migrations_table = "CREATE TABLE IF NOT EXISTS schema_migrations ("
                        "  version BIGINT PRIMARY KEY,"
                        "  name TEXT NOT NULL,"
                        "  applied_at BIGINT NOT NULL"
                        ")",
};
