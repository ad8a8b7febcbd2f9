/* The SQLite driver of the store (db.h). One db_t is one sqlite3 connection, opened NOMUTEX
 * because a thread never shares it. Statements are prepared on first use and cached for the
 * life of the connection; every use ends with reset + clear_bindings, so no statement holds a
 * read snapshot or a pointer to the caller's strings after an operation returns. The outer
 * transaction is BEGIN IMMEDIATE: the write lock is taken up front, so two connections racing
 * for the same row serialise on the busy handler instead of one failing late. */
#include "db.h"

#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "../util/clock.h"
#include "../util/rand.h"
#include "sqlite_migrations.h"

#define SQLITE_BUSY_MS 5000
#define SQLITE_SQL_MAX 4096

enum { TX_STMTS = DB_TX_ROLLBACK_TO + 1 };

static const char *const sqlite_tx_sql[TX_STMTS] = {
    [DB_TX_BEGIN] = "BEGIN IMMEDIATE", [DB_TX_COMMIT] = "COMMIT",
    [DB_TX_ROLLBACK] = "ROLLBACK",     [DB_TX_SAVEPOINT] = "SAVEPOINT wx",
    [DB_TX_RELEASE] = "RELEASE wx",    [DB_TX_ROLLBACK_TO] = "ROLLBACK TO wx",
};

struct db {
    sqlite3 *db;
    bool writer;       /* the process's store writer (store_mark_writer) */
    sqlite3_stmt *cur; /* the statement being stepped, if any */
    sqlite3_stmt *stmts[DB_STMT_MAX];
    sqlite3_stmt *tx[TX_STMTS];
};

static db_rc_t
sqlite_class(int src)
{
    switch (src) {
    case SQLITE_OK:
        return DB_OK;
    case SQLITE_ROW:
        return DB_ROW;
    case SQLITE_DONE:
        return DB_DONE;
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
        return DB_EUNIQUE;
    case SQLITE_CONSTRAINT_FOREIGNKEY:
        return DB_EFOREIGN;
    default:
        break;
    }
    switch (src & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return DB_EBUSY;
    case SQLITE_NOMEM:
        return DB_ENOMEM;
    default:
        return DB_EFAIL;
    }
}

/* $1, $2 ... (the store's placeholders) as SQLite's numbered ?1, ?2 ...: same number, same
 * length. The store's SQL has no '$' inside string literals, but skip them anyway. */
static bool
sqlite_placeholders(const char *sql, char *out, size_t n)
{
    size_t len = strlen(sql);
    bool quoted = false;
    if (len >= n)
        return false;
    for (size_t i = 0; i <= len; i++) {
        char c = sql[i];
        if (c == '\'')
            quoted = !quoted;
        out[i] = (!quoted && c == '$' && sql[i + 1] >= '0' && sql[i + 1] <= '9') ? '?' : c;
    }
    return true;
}

static int
sqlite_prepare(db_t *d, const char *sql, sqlite3_stmt **out)
{
    char text[SQLITE_SQL_MAX];
    if (!sqlite_placeholders(sql, text, sizeof(text)))
        return SQLITE_TOOBIG;
    return sqlite3_prepare_v3(d->db, text, -1, SQLITE_PREPARE_PERSISTENT, out, NULL);
}

static void
sqlite_reset(db_t *d)
{
    if (d->cur) {
        sqlite3_reset(d->cur);
        sqlite3_clear_bindings(d->cur);
        d->cur = NULL;
    }
}

static db_rc_t
sqlite_query(db_t *d, int id, const char *sql, const db_arg_t *args, size_t nargs, bool guard)
{
    int src = SQLITE_OK;
    sqlite_reset(d);
    if (id < 0 || id >= DB_STMT_MAX)
        return DB_EFAIL;
    if (!d->stmts[id] && (src = sqlite_prepare(d, sql, &d->stmts[id])) != SQLITE_OK)
        return sqlite_class(src);
    d->cur = d->stmts[id];
    for (size_t i = 0; src == SQLITE_OK && i < nargs; i++)
        src = args[i].is_text
                  ? sqlite3_bind_text(d->cur, (int)i + 1, args[i].text, -1, SQLITE_STATIC)
                  : sqlite3_bind_int64(d->cur, (int)i + 1, args[i].num);
    if (src != SQLITE_OK)
        sqlite_reset(d);
    return sqlite_class(src);
}

static db_rc_t
sqlite_step(db_t *d)
{
    return d->cur ? sqlite_class(sqlite3_step(d->cur)) : DB_EFAIL;
}

static const char *
sqlite_col_text(db_t *d, int col, size_t *len)
{
    const unsigned char *t = sqlite3_column_text(d->cur, col);
    int n = sqlite3_column_bytes(d->cur, col);
    *len = n > 0 ? (size_t)n : 0;
    if (!t && sqlite3_column_type(d->cur, col) != SQLITE_NULL) {
        *len = SIZE_MAX; /* out of memory: never fits */
        return "";
    }
    return (const char *)t;
}

static int64_t
sqlite_col_int(db_t *d, int col)
{
    return sqlite3_column_int64(d->cur, col);
}

static const char *
sqlite_col_name(db_t *d, int col)
{
    const char *n = d->cur ? sqlite3_column_name(d->cur, col) : NULL;
    return n ? n : "?";
}

static int64_t
sqlite_changes(db_t *d)
{
    return sqlite3_changes64(d->db);
}

static db_rc_t
sqlite_exec(db_t *d, const char *script)
{
    sqlite_reset(d);
    return sqlite_class(sqlite3_exec(d->db, script, NULL, NULL, NULL));
}

/* When a connection of this process other than the writer's last found the database locked
 * (ms, monotonic). Under load the writer (store/writer.c) takes the write lock again right
 * after each commit, so another connection's write (an admin change, a first signing key)
 * would find it free only by luck and could run into the busy timeout. So the others wait in
 * short steps, saying so here, and the writer lets them go first: before each batch it waits,
 * bounded, until nobody has said so for a few ms. */
static _Atomic int64_t sqlite_other_waiting_ms;

#define SQLITE_BUSY_STEP_US 1000
#define SQLITE_WRITER_YIELD_MAX_MS 200
#define SQLITE_WRITER_YIELD_QUIET_MS 5

static int
sqlite_busy(void *arg, int count)
{
    db_t *d = arg;
    /* Counted in steps: SQLite does not always start a new wait at count 0. */
    if (count >= SQLITE_BUSY_MS * 1000 / SQLITE_BUSY_STEP_US)
        return 0; /* SQLITE_BUSY: "storage busy, please try again" */
    if (!d->writer)
        atomic_store(&sqlite_other_waiting_ms, wx_mono_ms());
    usleep(SQLITE_BUSY_STEP_US);
    return 1;
}

static void
sqlite_writer_yield(void)
{
    int64_t start = wx_mono_ms(), now = start;
    while (now - atomic_load(&sqlite_other_waiting_ms) < SQLITE_WRITER_YIELD_QUIET_MS &&
           now - start < SQLITE_WRITER_YIELD_MAX_MS) {
        usleep(SQLITE_BUSY_STEP_US);
        now = wx_mono_ms();
    }
}

static db_rc_t
sqlite_tx(db_t *d, db_tx_t op)
{
    int src = SQLITE_OK;
    sqlite_reset(d);
    if ((int)op < 0 || (int)op >= TX_STMTS)
        return DB_EFAIL;
    if (op == DB_TX_BEGIN && d->writer)
        sqlite_writer_yield();
    if (!d->tx[op] && (src = sqlite_prepare(d, sqlite_tx_sql[op], &d->tx[op])) != SQLITE_OK)
        return sqlite_class(src);
    src = sqlite3_step(d->tx[op]);
    sqlite3_reset(d->tx[op]);
    return src == SQLITE_DONE ? DB_OK : sqlite_class(src);
}

static bool
sqlite_in_tx(db_t *d)
{
    return !sqlite3_get_autocommit(d->db);
}

static const char *
sqlite_errmsg(db_t *d)
{
    return d && d->db ? sqlite3_errmsg(d->db) : "no database handle";
}

static void
sqlite_mark_writer(db_t *d)
{
    d->writer = true;
}

/* Create a missing database file as 0600 before SQLite does (it would use the umask): the file
 * holds App Secrets and signing keys, and SQLite gives -wal and -shm the same mode. */
static void
sqlite_precreate(const char *path)
{
    if (strcmp(path, ":memory:") == 0)
        return;
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0)
        close(fd);
    /* Any failure (it exists, a bad directory) is left for sqlite3_open_v2 to report. */
}

/* "path[?synchronous=off|normal|full]" into the path and the PRAGMA's value
 * (docs/performance.md says what each one keeps after a crash or a power cut). */
static wx_status_t
sqlite_parse_target(const char *target, char *path, size_t n, const char **sync, wx_err_t *err)
{
    const char *q = strchr(target, '?');
    size_t len = q ? (size_t)(q - target) : strlen(target);
    *sync = "NORMAL";
    if (len == 0)
        return wx_err_set(err, WX_ECONFIG, "no SQLite database path given");
    if (len >= n)
        return wx_err_set(err, WX_ECONFIG, "the SQLite database path is too long");
    memcpy(path, target, len);
    path[len] = '\0';
    if (!q)
        return WX_OK;
    static const char *const values[][2] = {{"off", "OFF"}, {"normal", "NORMAL"}, {"full", "FULL"}};
    const char *opt = q + 1;
    if (strncmp(opt, "synchronous=", 12) == 0)
        for (size_t i = 0; i < WX_ARRAY_LEN(values); i++)
            if (strcmp(opt + 12, values[i][0]) == 0) {
                *sync = values[i][1];
                return WX_OK;
            }
    return wx_err_set(err, WX_ECONFIG,
                      "unknown SQLite store option '%.64s': the only one is "
                      "synchronous=off|normal|full",
                      opt);
}

static void
sqlite_disconnect(db_t *d)
{
    if (!d)
        return;
    sqlite_reset(d);
    for (size_t i = 0; i < DB_STMT_MAX; i++)
        sqlite3_finalize(d->stmts[i]);
    for (size_t i = 0; i < TX_STMTS; i++)
        sqlite3_finalize(d->tx[i]);
    sqlite3_close_v2(d->db);
    free(d);
}

static wx_status_t
sqlite_fail_open(db_t *d, int src, wx_err_t *err, const char *what)
{
    wx_status_t rc = (src & 0xff) == SQLITE_BUSY || (src & 0xff) == SQLITE_LOCKED ? WX_EBUSY
                     : (src & 0xff) == SQLITE_NOMEM                               ? WX_ENOMEM
                                                                                  : WX_ESTORE;
    wx_err_set(err, rc, rc == WX_EBUSY ? "storage busy, please try again" : "storage error");
    wx_err_detail(err, "sqlite %s: %s (%s)", what, sqlite_errmsg(d), sqlite3_errstr(src));
    return rc;
}

static wx_status_t
sqlite_connect(const char *target_url, db_t **out, wx_err_t *err)
{
    db_t *d = NULL;
    wx_status_t rc = WX_OK;
    int src;
    char target[1024], pragmas[256];
    const char *sync = NULL;
    *out = NULL;
    if (!target_url || !*target_url) {
        rc = wx_err_set(err, WX_ECONFIG, "no SQLite database path given");
        goto out;
    }
    if ((rc = sqlite_parse_target(target_url, target, sizeof(target), &sync, err)) != WX_OK)
        goto out;
    /* secure_delete: deleted rows and replaced values (pruned login states, their records) are
     * overwritten with zeros, not left readable in free pages of the file (issue #12). */
    wx_snprintf(pragmas, sizeof(pragmas),
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = %s;"
                "PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON;",
                sync);
    if (!(d = calloc(1, sizeof(*d)))) {
        rc = wx_err_set(err, WX_ENOMEM, "out of memory");
        goto out;
    }
    sqlite_precreate(target);
    src = sqlite3_open_v2(target, &d->db,
                          SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (src != SQLITE_OK) {
        rc = sqlite_fail_open(d, src, err, "open");
        wx_err_set(err, rc, "cannot open database '%.200s'", target);
        goto out;
    }
    sqlite3_extended_result_codes(d->db, 1);
    /* Set before the pragmas too: switching a fresh file to WAL takes a lock other opens hold. */
    sqlite3_busy_handler(d->db, sqlite_busy, d);
    /* SQLite answers BUSY at once, without the busy handler, where waiting could deadlock
     * (several processes switching one fresh file to WAL): step back a random while, retry. */
    for (int64_t until = wx_mono_ms() + SQLITE_BUSY_MS;;) {
        src = sqlite3_exec(d->db, pragmas, NULL, NULL, NULL);
        if ((src & 0xff) != SQLITE_BUSY || wx_mono_ms() >= until)
            break;
        uint8_t r = 0;
        wx_rand_bytes(&r, 1);
        usleep(1000 + (useconds_t)r * 20);
    }
    if (src != SQLITE_OK)
        rc = sqlite_fail_open(d, src, err, "pragmas");
out:
    if (rc != WX_OK)
        sqlite_disconnect(d);
    else
        *out = d;
    return rc;
}

const db_driver_t db_sqlite_driver = {
    .name = "sqlite",
    .schemes = {"sqlite:"},
    .connect = sqlite_connect,
    .disconnect = sqlite_disconnect,
    .query = sqlite_query,
    .step = sqlite_step,
    .col_text = sqlite_col_text,
    .col_int = sqlite_col_int,
    .col_name = sqlite_col_name,
    .changes = sqlite_changes,
    .reset = sqlite_reset,
    .exec = sqlite_exec,
    .tx = sqlite_tx,
    .in_tx = sqlite_in_tx,
    .errmsg = sqlite_errmsg,
    .mark_writer = sqlite_mark_writer,
    .migrations = sqlite_migrations,
    .migrations_table = "CREATE TABLE IF NOT EXISTS schema_migrations ("
                        "  version INTEGER PRIMARY KEY,"
                        "  name TEXT NOT NULL,"
                        "  applied_at INTEGER NOT NULL"
                        ")",
};
