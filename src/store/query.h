/* Inside the store: the connection behind a store_t, and the few helpers every operation is
 * written with (run a statement, read one row, stream rows, read columns into fixed fields,
 * check input sizes). Only the store_*.c files include it; the rest of wxauth sees store.h. */
#ifndef WX_STORE_QUERY_H
#define WX_STORE_QUERY_H

#include "db.h"
#include "sql.h"
#include "store.h"

#define STORE_DEFAULT_CONN "wechat:webpage-authorization"
#define STORE_AUDIT_FIELD_MAX 1024 /* audit strings have no struct field; bound them anyway */

struct store {
    const db_driver_t *drv;
    db_t *db;
    int version;
    int depth;       /* open transactions: 1 = the outer one, more = savepoints inside it */
    db_rc_t last_db; /* the class of the last database error (sq_fail) */
};

/* Statement arguments as a compound literal and its length. */
#define SQ_ARGS(...)                                                                               \
    (const db_arg_t[]){__VA_ARGS__}, WX_ARRAY_LEN(((const db_arg_t[]){__VA_ARGS__}))
#define SQ_NO_ARGS NULL, 0

/* Reads the columns of one row into fixed fields, remembering the first that did not fit. */
typedef struct {
    store_t *st;
    int bad_col;
} sq_row_t;

typedef void (*sq_fill_fn)(sq_row_t *r, void *out);

/* A string field checked before it goes into the database. */
typedef struct {
    const char *what;
    const char *value;
    size_t size; /* the struct field it must fit, NUL included */
} sq_field_t;

/* A database error as a store status ("storage busy", "storage error") with the driver's
 * message as detail. */
wx_status_t sq_fail(store_t *st, db_rc_t rc, wx_err_t *err, const char *what);

/* Run a statement that returns no rows. WX_OK, or the error; *cls (optional) gets the
 * driver's class so a caller can name a constraint (DB_EUNIQUE, DB_EFOREIGN), and *changes
 * (optional) the number of rows changed. */
wx_status_t sq_run(store_t *st, sql_stmt_t id, const db_arg_t *args, size_t nargs, db_rc_t *cls,
                   int64_t *changes, wx_err_t *err, const char *what);
/* Read at most one row into out with fill; *found says whether there was one. */
wx_status_t sq_one(store_t *st, sql_stmt_t id, const db_arg_t *args, size_t nargs, sq_fill_fn fill,
                   void *out, bool *found, wx_err_t *err);
/* The first column of the first row as an integer (0 when there is no row). */
wx_status_t sq_int(store_t *st, sql_stmt_t id, const db_arg_t *args, size_t nargs, int64_t *out,
                   bool *found, wx_err_t *err);
/* How many unfinished logins (states or desktop tickets) an address — or, with client_ip
 * NULL, everyone — has at now, counting up to limit: by_ip or all, bound ($1 address,) now,
 * limit. */
wx_status_t sq_pending_count(store_t *st, sql_stmt_t by_ip, sql_stmt_t all, size_t ip_max,
                             const char *client_ip, int64_t now, int64_t limit, int64_t *count,
                             wx_err_t *err);
/* Every row: fill an item of item_size (on the heap: rows are KBs) and give it to emit, which
 * returns false to stop. */
wx_status_t sq_each(store_t *st, sql_stmt_t id, const db_arg_t *args, size_t nargs,
                    size_t item_size, sq_fill_fn fill, bool (*emit)(void *item, void *ctx),
                    void *ctx, wx_err_t *err);

void sq_text(sq_row_t *r, int col, char *dst, size_t n);
/* Column 0 into a caller's buffer: out is an sq_buf_t. */
typedef struct {
    char *dst;
    size_t n;
} sq_buf_t;
void sq_fill_buf(sq_row_t *r, void *out);
int64_t sq_i64(sq_row_t *r, int col);

/* The row readers of the store's records (column order as in sql.c's *_COLS). */
void sq_fill_pool(sq_row_t *r, void *out);
void sq_fill_app(sq_row_t *r, void *out);
void sq_fill_conn(sq_row_t *r, void *out);
void sq_fill_user(sq_row_t *r, void *out);
void sq_fill_state(sq_row_t *r, void *out);
void sq_fill_key(sq_row_t *r, void *out);
void sq_fill_ticket(sq_row_t *r, void *out);

/* WX_ETOOBIG for the first field that would not fit (an unterminated array counts). */
wx_status_t sq_check_fields(const sq_field_t *f, size_t count, wx_err_t *err);
wx_status_t sq_require(const char *what, const char *value, wx_err_t *err);
/* A lookup key that is missing or longer than any stored one cannot match a row. */
bool sq_key_ok(const char *key, size_t size);
/* A random id this server makes (login states, desktop tickets): letters and digits only. */
bool sq_random_id_ok(const char *id);

/* Open (or nest) a transaction; sq_end commits it when rc is WX_OK, else rolls it back, and
 * returns the final status. */
wx_status_t sq_begin(store_t *st, wx_err_t *err);
wx_status_t sq_end(store_t *st, bool in_tx, wx_status_t rc, wx_err_t *err);

/* Schema migrations at open (store_migrate.c). */
wx_status_t sq_migrate(store_t *st, wx_err_t *err);

#endif
