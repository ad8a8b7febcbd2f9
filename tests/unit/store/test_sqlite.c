/* Tests for what only the SQLite backend (src/store/db_sqlite.c) promises: the schema_migrations
 * record, WAL mode, a private database file, refusing a newer schema, concurrent opens from
 * several processes, and refusing (not cutting) a stored value too long for its field. The
 * backend-neutral behaviour is in test_store.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "store/sqlite_migrations.h"
#include "store/store.h"
#include "util/rand.h"

#define PROCS 6

typedef struct {
    char path[1024];
    char url[1100];
} tdb_t;

static void
db_fresh(tdb_t *d)
{
    const char *tmp = getenv("WX_TEST_TMP");
    char base[800], dir[900], rnd[9];
    snprintf(base, sizeof(base), "%s", tmp && *tmp ? tmp : "/tmp");
    assert_true(mkdir(base, 0700) == 0 || errno == EEXIST);
    snprintf(dir, sizeof(dir), "%s/store", base);
    assert_true(mkdir(dir, 0700) == 0 || errno == EEXIST);
    assert_int_equal(wx_rand_hex(rnd, 4), WX_OK);
    snprintf(d->path, sizeof(d->path), "%s/sqlite-%ld-%s.db", dir, (long)getpid(), rnd);
    snprintf(d->url, sizeof(d->url), "sqlite:%s", d->path);
}

static void
db_remove(const tdb_t *d)
{
    char p[1100];
    remove(d->path);
    snprintf(p, sizeof(p), "%s-wal", d->path);
    remove(p);
    snprintf(p, sizeof(p), "%s-shm", d->path);
    remove(p);
}

static void
db_exec(const tdb_t *d, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(d->path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    sqlite3_close(db);
}

static int64_t
db_int(const tdb_t *d, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    int64_t v;
    assert_int_equal(sqlite3_open(d->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return v;
}

static void
test_schema_record(void **state)
{
    (void)state;
    tdb_t d;
    store_t *st = NULL;
    wx_err_t err = {0};
    struct stat sb;
    db_fresh(&d);
    assert_int_equal(store_open(d.path, &st, &err), WX_OK); /* a plain path works too */
    int v = store_schema_version(st);
    int64_t n = 0;
    while (sqlite_migrations[n].version != 0)
        n++;
    assert_int_equal(v, sqlite_migrations[n - 1].version);
    assert_int_equal(db_int(&d, "SELECT count(*) FROM schema_migrations"), n);
    assert_int_equal(db_int(&d, "SELECT count(*) FROM schema_migrations "
                                "WHERE version = 1 AND name = 'init' AND applied_at > 0"),
                     1);
    assert_int_equal(db_int(&d, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
                                "name IN ('pools', 'applications', 'connections', 'users', "
                                "'identities', 'login_states', 'signing_keys', 'revocations', "
                                "'audit_events')"),
                     9);
    store_close(st);
    /* Re-opening applies nothing twice. */
    assert_int_equal(store_open(d.url, &st, &err), WX_OK);
    store_close(st);
    assert_int_equal(db_int(&d, "SELECT count(*) FROM schema_migrations"), n);
    /* WAL mode is stored in the file; the file holds secrets, so only its owner reads it. */
    assert_int_equal(db_int(&d, "SELECT journal_mode = 'wal' FROM pragma_journal_mode"), 1);
    assert_int_equal(stat(d.path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    db_remove(&d);
}

/* A migration whose number is below the highest applied one (numbers reserved by branches
 * developed at once and merged in any order) is still applied at the next open. Simulated by
 * undoing migration 4 on a database that has every later one. */
static void
test_gap_filled_later(void **state)
{
    (void)state;
    tdb_t d;
    store_t *st = NULL;
    wx_err_t err = {0};
    db_fresh(&d);
    assert_int_equal(store_open(d.url, &st, &err), WX_OK);
    int v = store_schema_version(st);
    store_close(st);
    assert_true(v > 4);
    db_exec(&d, "DROP TABLE nodes; ALTER TABLE login_states DROP COLUMN claim_owner; "
                "DELETE FROM schema_migrations WHERE version = 4");
    assert_int_equal(store_open(d.url, &st, &err), WX_OK);
    assert_int_equal(store_schema_version(st), v);
    store_close(st);
    assert_int_equal(db_int(&d, "SELECT count(*) FROM schema_migrations WHERE version = 4"), 1);
    assert_int_equal(db_int(&d, "SELECT count(*) FROM sqlite_master WHERE name = 'nodes'"), 1);
    assert_int_equal(db_int(&d, "SELECT count(*) FROM pragma_table_info('login_states') "
                                "WHERE name = 'claim_owner'"),
                     1);
    db_remove(&d);
}

/* A migration recorded under our number but another name (another build's) is refused with
 * a message that says so, not skipped. */
static void
test_migration_name_mismatch_refused(void **state)
{
    (void)state;
    tdb_t d;
    store_t *st = NULL;
    wx_err_t err = {0};
    db_fresh(&d);
    assert_int_equal(store_open(d.url, &st, &err), WX_OK);
    store_close(st);
    db_exec(&d, "UPDATE schema_migrations SET name = 'dev_branch_thing' WHERE version = 4");
    assert_int_equal(store_open(d.url, &st, &err), WX_ECONFIG);
    assert_null(st);
    if (!strstr(err.msg, "migration 4 is recorded as 'dev_branch_thing'"))
        fail_msg("message: %s", err.msg);
    /* And when it is missing from the list too: still refused before anything is applied. */
    db_exec(&d, "DELETE FROM schema_migrations WHERE version = 3");
    assert_int_equal(store_open(d.url, &st, &err), WX_ECONFIG);
    assert_null(st);
    assert_int_equal(db_int(&d, "SELECT count(*) FROM schema_migrations WHERE version = 3"), 0);
    db_remove(&d);
}

static void
test_newer_schema_refused(void **state)
{
    (void)state;
    tdb_t d;
    store_t *st = NULL;
    wx_err_t err = {0};
    db_fresh(&d);
    assert_int_equal(store_open(d.url, &st, &err), WX_OK);
    store_close(st);
    db_exec(&d, "INSERT INTO schema_migrations VALUES (99999, 'from the future', 1)");
    assert_int_equal(store_open(d.url, &st, &err), WX_ECONFIG);
    assert_null(st);
    assert_non_null(strstr(err.msg, "newer"));
    db_remove(&d);
}

static void
test_open_bad_path(void **state)
{
    (void)state;
    store_t *st = NULL;
    wx_err_t err = {0};
    assert_int_equal(store_open("sqlite:/nonexistent-dir-wxauth/x.db", &st, &err), WX_ESTORE);
    assert_null(st);
    assert_non_null(strstr(err.msg, "cannot open"));
    assert_true(err.detail[0] != '\0');
}

/* ?synchronous= picks the durability of a commit; anything else after '?' is refused. */
static void
test_open_synchronous(void **state)
{
    (void)state;
    static const char *const opts[] = {"", "?synchronous=normal", "?synchronous=full",
                                       "?synchronous=off"};
    for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
        tdb_t d;
        char url[1200];
        store_t *st = NULL;
        wx_err_t err = {0};
        db_fresh(&d);
        snprintf(url, sizeof(url), "%s%s", d.url, opts[i]);
        assert_int_equal(store_open(url, &st, &err), WX_OK);
        store_pool_t p = {.id = "p", .name = "p"};
        assert_int_equal(store_pool_put(st, &p, &err), WX_OK);
        assert_int_equal(store_pool_get(st, "p", &p, &err), WX_OK);
        store_close(st);
        db_remove(&d);
    }
    tdb_t d;
    char url[1200];
    store_t *st = NULL;
    wx_err_t err = {0};
    db_fresh(&d);
    snprintf(url, sizeof(url), "%s?synchronous=extra", d.url);
    assert_int_equal(store_open(url, &st, &err), WX_ECONFIG);
    assert_non_null(strstr(err.msg, "synchronous=off|normal|full"));
    snprintf(url, sizeof(url), "%s?journal=delete", d.url);
    assert_int_equal(store_open(url, &st, &err), WX_ECONFIG);
    assert_null(st);
    assert_int_equal(store_open("sqlite:?synchronous=full", &st, &err), WX_ECONFIG);
    db_remove(&d);
}

/* A value written behind the store's back that does not fit the struct is an error. */
static void
test_stored_value_too_long(void **state)
{
    (void)state;
    tdb_t d;
    store_t *st = NULL;
    wx_err_t err = {0};
    store_pool_t p = {.id = "p1", .name = "ok"};
    store_conn_t c = {.pool_id = "p1", .identifier = "wechat:webpage-authorization"}, got;
    char content[8];
    db_fresh(&d);
    assert_int_equal(store_open(d.url, &st, &err), WX_OK);
    assert_int_equal(store_pool_put(st, &p, &err), WX_OK);
    snprintf(c.txt_filename, sizeof(c.txt_filename), "MP_verify_a.txt");
    snprintf(c.txt_content, sizeof(c.txt_content), "abc");
    assert_int_equal(store_conn_put(st, &c, &err), WX_OK);
    db_exec(&d, "UPDATE pools SET name = printf('%.200c', 'n') WHERE id = 'p1'");
    assert_int_equal(store_pool_get(st, "p1", &p, &err), WX_ETOOBIG);
    assert_non_null(strstr(err.detail, "name"));
    assert_string_equal(p.name, "");
    db_exec(&d, "UPDATE connections SET scope = printf('%.40c', 's')");
    assert_int_equal(store_conn_get(st, "p1", c.identifier, &got, &err), WX_ETOOBIG);
    assert_int_equal(store_conn_default(st, "p1", &got, &err), WX_ETOOBIG);
    assert_int_equal(store_txt_get(st, "MP_verify_a.txt", content, sizeof(content), &err), WX_OK);
    assert_string_equal(content, "abc");
    store_close(st);
    db_remove(&d);
}

/* Several processes opening one fresh file at once: all succeed, migrations run once. */
static void
test_open_many_processes(void **state)
{
    (void)state;
    tdb_t d;
    pid_t pids[PROCS];
    db_fresh(&d);
    for (int i = 0; i < PROCS; i++) {
        pids[i] = fork();
        assert_true(pids[i] >= 0);
        if (pids[i] == 0) {
            store_t *st = NULL;
            wx_err_t err = {0};
            wx_status_t rc = store_open(d.url, &st, &err);
            if (rc != WX_OK)
                fprintf(stderr, "child %d: %s / %s\n", i, err.msg, err.detail);
            store_close(st);
            _exit(rc == WX_OK ? 0 : 1);
        }
    }
    for (int i = 0; i < PROCS; i++) {
        int status = 0;
        assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    assert_int_equal(db_int(&d, "SELECT count(*) FROM schema_migrations WHERE version = 1"), 1);
    db_remove(&d);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gap_filled_later),
        cmocka_unit_test(test_schema_record),
        cmocka_unit_test(test_newer_schema_refused),
        cmocka_unit_test(test_open_bad_path),
        cmocka_unit_test(test_migration_name_mismatch_refused),
        cmocka_unit_test(test_stored_value_too_long),
        cmocka_unit_test(test_open_many_processes),
        cmocka_unit_test(test_open_synchronous),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
