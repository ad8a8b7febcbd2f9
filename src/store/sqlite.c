/* The SQLite backend of store.h. One store_t is one sqlite3 connection, opened NOMUTEX because
 * a worker thread never shares it. Statements are prepared on first use and cached for the
 * life of the connection; every use ends with reset + clear_bindings, so no statement holds a
 * read snapshot or a pointer to the caller's strings after an operation returns. Operations of
 * more than one statement run in BEGIN IMMEDIATE: the write lock is taken up front, so two
 * connections racing for the same row serialise on the busy handler instead of one failing
 * late. */
#include "store.h"

#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <sqlite3.h>

#include "../util/clock.h"
#include "../util/rand.h"
#include "sqlite_migrations.h"

#define SQLITE_BUSY_MS 5000
#define SQLITE_DEFAULT_CONN "wechat:webpage-authorization"
#define SQLITE_AUDIT_FIELD_MAX 1024 /* audit strings have no struct field; bound them anyway */
#define SQLITE_USERNAME_TRIES 8

typedef enum {
    STMT_BEGIN,
    STMT_COMMIT,
    STMT_SAVEPOINT,
    STMT_RELEASE,
    STMT_ROLLBACK_TO,
    STMT_ROLLBACK,
    STMT_MIGRATION_VERSION,
    STMT_MIGRATION_APPLIED,
    STMT_MIGRATION_RECORD,
    STMT_POOL_PUT,
    STMT_POOL_GET,
    STMT_POOL_EXISTS,
    STMT_APP_PUT,
    STMT_APP_GET,
    STMT_CONN_PUT,
    STMT_CONN_GET,
    STMT_CONN_DEFAULT,
    STMT_TXT_GET,
    STMT_IDENT_FIND,
    STMT_IDENT_PROFILE,
    STMT_IDENT_BY_UNIONID,
    STMT_IDENT_INSERT,
    STMT_IDENT_UPDATE,
    STMT_IDENT_TOUCH,
    STMT_USER_BLOCKED,
    STMT_USERNAME_TAKEN,
    STMT_USER_INSERT,
    STMT_USER_LOGIN,
    STMT_USER_GET,
    STMT_USER_SET_BLOCKED,
    STMT_USER_COUNT,
    STMT_STATE_CREATE,
    STMT_STATE_GET,
    STMT_STATE_STATUS,
    STMT_STATE_CLAIM,
    STMT_STATE_FINISH,
    STMT_STATE_PRUNE,
    STMT_KEY_ADD,
    STMT_KEY_CURRENT,
    STMT_KEY_EACH,
    STMT_KEY_RETIRE,
    STMT_POOL_MAX_TTL,
    STMT_REVOKE,
    STMT_IS_REVOKED,
    STMT_REVOCATION_PRUNE,
    STMT_POOL_LIST,
    STMT_POOL_DELETE,
    STMT_APP_LIST,
    STMT_APP_DELETE,
    STMT_CONN_LIST,
    STMT_CONN_DELETE,
    STMT_USER_LIST,
    STMT_USER_LIST_COUNT,
    STMT_USER_IDENTITIES,
    STMT_USER_DELETE,
    STMT_USER_REVOKE_TOKENS,
    STMT_TOKEN_REVOKED,
    STMT_AUDIT_LIST,
    STMT_AUDIT_LIST_COUNT,
    STMT_AUDIT_ADD,
    STMT_AUDIT_COUNT,
    STMT_COUNT
} sqlite_stmt_id_t;

#define POOL_COLS "id, name, token_ttl, alg, redirect_urls, created_at, updated_at"
#define APP_COLS "id, pool_id, name, redirect_urls, created_at, updated_at, secret, token_alg"
#define CONN_COLS                                                                                  \
    "pool_id, identifier, display_name, appid, app_secret, scope, callback_url, txt_filename, "    \
    "txt_content, created_at, updated_at"
#define USER_FILTER                                                                                \
    "WHERE pool_id = ?1 AND (?2 = '' OR nickname LIKE ?3 ESCAPE '\\' OR id = ?2 OR "               \
    "EXISTS (SELECT 1 FROM identities i WHERE i.user_id = users.id AND "                           \
    "(i.openid = ?2 OR i.unionid = ?2)))"
#define AUDIT_FILTER                                                                               \
    "WHERE (?1 = '' OR pool_id = ?1) AND (?2 = '' OR action = ?2 OR "                              \
    "(substr(?2, -1) = '.' AND substr(action, 1, length(?2)) = ?2)) AND "                          \
    "(?3 = '' OR actor = ?3) AND (?4 = 0 OR at >= ?4) AND (?5 = 0 OR at < ?5)"
/* The two sub-selects give store_user_get the openid/unionid of the latest identity used. */
#define USER_COLS                                                                                  \
    "id, pool_id, username, nickname, photo, gender, country, province, city, last_ip, "           \
    "logins_count, last_login, created_at, updated_at, blocked, "                                  \
    "(SELECT i.openid FROM identities i WHERE i.user_id = users.id "                               \
    " ORDER BY i.updated_at DESC, i.id DESC LIMIT 1), "                                            \
    "(SELECT i.unionid FROM identities i WHERE i.user_id = users.id "                              \
    " ORDER BY i.updated_at DESC, i.id DESC LIMIT 1)"
#define STATE_COLS                                                                                 \
    "id, pool_id, conn_identifier, app_id, redirect, browser, scope, options, created_at, "        \
    "expires_at, claimed_at, status, result"
#define KEY_COLS "kid, alg, private_pem, created_at, retired_at, publish_until"

static const char *const stmt_sql[STMT_COUNT] = {
    [STMT_BEGIN] = "BEGIN IMMEDIATE",
    [STMT_COMMIT] = "COMMIT",
    [STMT_ROLLBACK] = "ROLLBACK",
    [STMT_SAVEPOINT] = "SAVEPOINT wx",
    [STMT_RELEASE] = "RELEASE wx",
    [STMT_ROLLBACK_TO] = "ROLLBACK TO wx",
    [STMT_MIGRATION_VERSION] = "SELECT coalesce(max(version), 0) FROM schema_migrations",
    [STMT_MIGRATION_APPLIED] = "SELECT 1 FROM schema_migrations WHERE version = ?1",
    [STMT_MIGRATION_RECORD] =
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",

    [STMT_POOL_PUT] = "INSERT INTO pools (" POOL_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
                      "ON CONFLICT (id) DO UPDATE SET name = excluded.name, "
                      "token_ttl = excluded.token_ttl, alg = excluded.alg, "
                      "redirect_urls = excluded.redirect_urls, updated_at = excluded.updated_at",
    [STMT_POOL_GET] = "SELECT " POOL_COLS " FROM pools WHERE id = ?1",
    [STMT_POOL_EXISTS] = "SELECT 1 FROM pools WHERE id = ?1",

    [STMT_APP_PUT] = "INSERT INTO applications (" APP_COLS ") "
                     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
                     "ON CONFLICT (id) DO UPDATE SET pool_id = excluded.pool_id, "
                     "name = excluded.name, redirect_urls = excluded.redirect_urls, "
                     "updated_at = excluded.updated_at, token_alg = excluded.token_alg, "
                     "secret = CASE excluded.secret WHEN '' THEN applications.secret "
                     "ELSE excluded.secret END",
    [STMT_APP_GET] = "SELECT " APP_COLS " FROM applications WHERE id = ?1",

    [STMT_CONN_PUT] =
        "INSERT INTO connections (" CONN_COLS ") "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
        "ON CONFLICT (pool_id, identifier) DO UPDATE SET display_name = excluded.display_name, "
        "appid = excluded.appid, "
        "app_secret = CASE WHEN excluded.app_secret = '' THEN connections.app_secret "
        "ELSE excluded.app_secret END, "
        "scope = excluded.scope, callback_url = excluded.callback_url, "
        "txt_filename = excluded.txt_filename, txt_content = excluded.txt_content, "
        "updated_at = excluded.updated_at",
    [STMT_CONN_GET] =
        "SELECT " CONN_COLS " FROM connections WHERE pool_id = ?1 AND identifier = ?2",
    [STMT_CONN_DEFAULT] = "SELECT " CONN_COLS " FROM connections WHERE pool_id = ?1 "
                          "ORDER BY (identifier = ?2) DESC, created_at, id LIMIT 1",
    [STMT_TXT_GET] = "SELECT txt_content FROM connections WHERE txt_filename = ?1 "
                     "ORDER BY updated_at DESC, id DESC LIMIT 1",

    [STMT_IDENT_FIND] =
        "SELECT user_id, pool_id, unionid FROM identities WHERE appid = ?1 AND openid = ?2",
    [STMT_IDENT_PROFILE] = "SELECT raw_profile FROM identities WHERE appid = ?1 AND openid = ?2",
    [STMT_IDENT_BY_UNIONID] = "SELECT user_id FROM identities WHERE pool_id = ?1 "
                              "AND unionid = ?2 ORDER BY id LIMIT 1",
    [STMT_IDENT_INSERT] = "INSERT INTO identities (user_id, pool_id, provider, appid, openid, "
                          "unionid, raw_profile, created_at, updated_at) "
                          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
    [STMT_IDENT_UPDATE] =
        "UPDATE identities SET provider = CASE WHEN ?3 = '' THEN provider ELSE ?3 END, "
        "unionid = CASE WHEN ?4 = '' THEN unionid ELSE ?4 END, "
        "raw_profile = CASE WHEN ?5 = '' THEN raw_profile ELSE ?5 END, updated_at = ?6 "
        "WHERE appid = ?1 AND openid = ?2",
    /* The same without unionid, and only when something changed: an UPDATE rewrites the index
     * entries of every column it names, even to the same value, and any row it touches dirties a
     * page; a returning user's profile is usually what it was (issue #10: disk per login). So
     * the identity's updated_at is when its data last changed. */
    [STMT_IDENT_TOUCH] =
        "UPDATE identities SET provider = CASE WHEN ?3 = '' THEN provider ELSE ?3 END, "
        "raw_profile = CASE WHEN ?4 = '' THEN raw_profile ELSE ?4 END, updated_at = ?5 "
        "WHERE appid = ?1 AND openid = ?2 "
        "AND ((?3 != '' AND provider != ?3) OR (?4 != '' AND raw_profile != ?4))",

    [STMT_USER_BLOCKED] = "SELECT blocked FROM users WHERE id = ?1",
    [STMT_USERNAME_TAKEN] = "SELECT 1 FROM users WHERE pool_id = ?1 AND username = ?2",
    [STMT_USER_INSERT] = "INSERT INTO users (id, pool_id, username, created_at, updated_at) "
                         "VALUES (?1, ?2, ?3, ?4, ?4)",
    [STMT_USER_LOGIN] = "UPDATE users SET nickname = CASE WHEN ?2 = '' THEN nickname ELSE ?2 END, "
                        "photo = CASE WHEN ?3 = '' THEN photo ELSE ?3 END, "
                        "gender = CASE WHEN ?4 = '' THEN gender ELSE ?4 END, "
                        "country = CASE WHEN ?5 = '' THEN country ELSE ?5 END, "
                        "province = CASE WHEN ?6 = '' THEN province ELSE ?6 END, "
                        "city = CASE WHEN ?7 = '' THEN city ELSE ?7 END, "
                        "last_ip = CASE WHEN ?8 = '' THEN last_ip ELSE ?8 END, "
                        "logins_count = logins_count + 1, last_login = ?9, updated_at = ?9 "
                        "WHERE id = ?1",
    [STMT_USER_GET] = "SELECT " USER_COLS " FROM users WHERE pool_id = ?1 AND id = ?2",
    [STMT_USER_SET_BLOCKED] =
        "UPDATE users SET blocked = ?3, updated_at = ?4 WHERE pool_id = ?1 AND id = ?2",
    [STMT_USER_COUNT] = "SELECT count(*) FROM users WHERE pool_id = ?1",

    [STMT_STATE_CREATE] = "INSERT INTO login_states (" STATE_COLS ") "
                          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 0, 0, '')",
    [STMT_STATE_GET] = "SELECT " STATE_COLS " FROM login_states WHERE id = ?1",
    [STMT_STATE_STATUS] = "SELECT status FROM login_states WHERE id = ?1",
    [STMT_STATE_CLAIM] =
        "UPDATE login_states SET status = 1, claimed_at = ?2 WHERE id = ?1 AND status = 0",
    [STMT_STATE_FINISH] =
        "UPDATE login_states SET status = 2, result = ?2 WHERE id = ?1 AND status = 1",
    [STMT_STATE_PRUNE] = "DELETE FROM login_states WHERE expires_at < ?1 AND claimed_at + ?2 < ?1",

    [STMT_KEY_ADD] = "INSERT INTO signing_keys (" KEY_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [STMT_KEY_RETIRE] = "UPDATE signing_keys SET retired_at = ?2, publish_until = ?3 "
                        "WHERE alg = ?1 AND retired_at = 0",
    [STMT_POOL_MAX_TTL] = "SELECT COALESCE(MAX(token_ttl), 0) FROM pools",
    [STMT_REVOKE] = "INSERT INTO revocations (jti, expires_at, revoked_at) VALUES (?1, ?2, ?3) "
                    "ON CONFLICT (jti) DO NOTHING",
    [STMT_IS_REVOKED] = "SELECT 1 FROM revocations WHERE jti = ?1",
    [STMT_REVOCATION_PRUNE] = "DELETE FROM revocations WHERE expires_at < ?1",
    [STMT_KEY_CURRENT] = "SELECT " KEY_COLS " FROM signing_keys WHERE alg = ?1 "
                         "AND retired_at = 0 ORDER BY created_at DESC, id DESC LIMIT 1",
    [STMT_KEY_EACH] = "SELECT " KEY_COLS " FROM signing_keys ORDER BY created_at DESC, id DESC",

    [STMT_POOL_LIST] = "SELECT " POOL_COLS " FROM pools ORDER BY id",
    [STMT_POOL_DELETE] = "DELETE FROM pools WHERE id = ?1",
    [STMT_APP_LIST] = "SELECT " APP_COLS " FROM applications WHERE pool_id = ?1 ORDER BY id",
    [STMT_APP_DELETE] = "DELETE FROM applications WHERE id = ?1",
    [STMT_CONN_LIST] =
        "SELECT " CONN_COLS " FROM connections WHERE pool_id = ?1 ORDER BY created_at, id",
    [STMT_CONN_DELETE] = "DELETE FROM connections WHERE pool_id = ?1 AND identifier = ?2",
    [STMT_USER_LIST] = "SELECT " USER_COLS " FROM users " USER_FILTER
                       " ORDER BY created_at DESC, id DESC LIMIT ?4 OFFSET ?5",
    [STMT_USER_LIST_COUNT] = "SELECT count(*) FROM users " USER_FILTER,
    [STMT_USER_IDENTITIES] = "SELECT provider, appid, openid, unionid, created_at, updated_at "
                             "FROM identities WHERE user_id = ?1 ORDER BY created_at, id",
    [STMT_USER_DELETE] = "DELETE FROM users WHERE pool_id = ?1 AND id = ?2",
    [STMT_USER_REVOKE_TOKENS] =
        "UPDATE users SET tokens_valid_after = ?3 WHERE pool_id = ?1 AND id = ?2",
    /* Valid: jti not revoked, and the user still exists, is not blocked, and the token was
     * issued after the last revoke-all (same second counts as before: refuse when unsure). */
    [STMT_TOKEN_REVOKED] =
        "SELECT EXISTS (SELECT 1 FROM revocations WHERE jti = ?1) OR NOT EXISTS (SELECT 1 FROM "
        "users WHERE pool_id = ?2 AND id = ?3 AND blocked = 0 AND tokens_valid_after < ?4)",
    [STMT_AUDIT_LIST] = "SELECT id, at, pool_id, actor, action, subject, outcome FROM "
                        "audit_events " AUDIT_FILTER " ORDER BY id DESC LIMIT ?6 OFFSET ?7",
    [STMT_AUDIT_LIST_COUNT] = "SELECT count(*) FROM audit_events " AUDIT_FILTER,
    [STMT_AUDIT_ADD] = "INSERT INTO audit_events (at, pool_id, actor, action, subject, outcome) "
                       "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [STMT_AUDIT_COUNT] = "SELECT count(*) FROM audit_events WHERE action = ?1",
};

/* Where schema versions are recorded. Same shape as the PostgreSQL twin will use. */
static const char sqlite_migrations_table[] = "CREATE TABLE IF NOT EXISTS schema_migrations ("
                                              "  version INTEGER PRIMARY KEY,"
                                              "  name TEXT NOT NULL,"
                                              "  applied_at INTEGER NOT NULL"
                                              ")";

typedef struct {
    store_t base; /* first, so store.c finds the backend table */
    sqlite3 *db;
    int version;
    int depth;   /* open transactions: 1 = BEGIN IMMEDIATE, more = savepoints inside it */
    bool writer; /* the process's store writer (store_mark_writer) */
    sqlite3_stmt *stmts[STMT_COUNT];
} sqlite_store_t;

/* A string field checked before it goes into the database. */
typedef struct {
    const char *what;
    const char *value;
    size_t size; /* the struct field it must fit, NUL included */
} sqlite_field_t;

/* Reads the columns of one row into fixed fields, remembering the first that did not fit. */
typedef struct {
    sqlite3_stmt *s;
    int bad_col;
} sqlite_row_t;

static wx_status_t
sqlite_fail(sqlite_store_t *st, int src, wx_err_t *err, const char *what)
{
    int primary = src & 0xff;
    wx_status_t rc = WX_ESTORE;
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED)
        rc = wx_err_set(err, WX_EBUSY, "storage busy, please try again");
    else if (primary == SQLITE_NOMEM)
        rc = wx_err_set(err, WX_ENOMEM, "out of memory");
    else
        rc = wx_err_set(err, WX_ESTORE, "storage error");
    wx_err_detail(err, "sqlite %s: %s (%s)", what, st->db ? sqlite3_errmsg(st->db) : "no handle",
                  sqlite3_errstr(src));
    return rc;
}

static bool
sqlite_is_unique(int src)
{
    return src == SQLITE_CONSTRAINT_UNIQUE || src == SQLITE_CONSTRAINT_PRIMARYKEY;
}

/* ---- statements ---- */

static wx_status_t
stmt_get(sqlite_store_t *st, sqlite_stmt_id_t id, sqlite3_stmt **out, wx_err_t *err)
{
    *out = NULL;
    if (!st->stmts[id]) {
        int src = sqlite3_prepare_v3(st->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
                                     &st->stmts[id], NULL);
        if (src != SQLITE_OK)
            return sqlite_fail(st, src, err, "prepare");
    }
    *out = st->stmts[id];
    return WX_OK;
}

/* Return a cached statement to a clean state; safe to call twice or on NULL. */
static void
stmt_release(sqlite3_stmt **s)
{
    if (*s) {
        sqlite3_reset(*s);
        sqlite3_clear_bindings(*s);
        *s = NULL;
    }
}

/* Bind helpers keep the first failure in *src and do nothing after it. NULL binds as ''. */
static void
stmt_bind_text(sqlite3_stmt *s, int i, const char *v, int *src)
{
    if (*src == SQLITE_OK)
        *src = sqlite3_bind_text(s, i, v ? v : "", -1, SQLITE_STATIC);
}

static void
stmt_bind_int(sqlite3_stmt *s, int i, int64_t v, int *src)
{
    if (*src == SQLITE_OK)
        *src = sqlite3_bind_int64(s, i, v);
}

/* Step once: *found is true on a row, false when there is none. */
static wx_status_t
stmt_row(sqlite_store_t *st, sqlite3_stmt *s, bool *found, wx_err_t *err)
{
    int src = sqlite3_step(s);
    *found = src == SQLITE_ROW;
    if (src == SQLITE_ROW || src == SQLITE_DONE)
        return WX_OK;
    return sqlite_fail(st, src, err, "step");
}

/* Run a write to completion; returns the SQLite code so callers can map constraints. */
static int
stmt_exec(sqlite3_stmt *s)
{
    int src = sqlite3_step(s);
    return src == SQLITE_DONE || src == SQLITE_ROW ? SQLITE_OK : src;
}

/* Turn the first bind failure into an error. */
static wx_status_t
stmt_bound(sqlite_store_t *st, int bind_src, wx_err_t *err)
{
    return bind_src == SQLITE_OK ? WX_OK : sqlite_fail(st, bind_src, err, "bind");
}

/* ---- rows ---- */

static void
row_text(sqlite_row_t *r, int col, char *dst, size_t n)
{
    const unsigned char *t = sqlite3_column_text(r->s, col);
    int len = sqlite3_column_bytes(r->s, col);
    dst[0] = '\0';
    if (!t && sqlite3_column_type(r->s, col) == SQLITE_NULL)
        return;
    if (!t || len < 0 || (size_t)len >= n) {
        if (r->bad_col < 0)
            r->bad_col = col;
        return;
    }
    wx_strlcpy(dst, (const char *)t, n);
}

static int64_t
row_int(sqlite_row_t *r, int col)
{
    return sqlite3_column_int64(r->s, col);
}

/* A stored value longer than its field is refused, never cut. */
static wx_status_t
row_check(const sqlite_row_t *r, wx_err_t *err)
{
    if (r->bad_col < 0)
        return WX_OK;
    wx_err_set(err, WX_ETOOBIG, "a stored value is too long");
    wx_err_detail(err, "column '%s' does not fit its field", sqlite3_column_name(r->s, r->bad_col));
    return WX_ETOOBIG;
}

static void
row_pool(sqlite_row_t *r, store_pool_t *p)
{
    memset(p, 0, sizeof(*p));
    row_text(r, 0, p->id, sizeof(p->id));
    row_text(r, 1, p->name, sizeof(p->name));
    p->token_ttl = row_int(r, 2);
    row_text(r, 3, p->alg, sizeof(p->alg));
    row_text(r, 4, p->redirect_urls, sizeof(p->redirect_urls));
    p->created_at = row_int(r, 5);
    p->updated_at = row_int(r, 6);
}

static void
row_app(sqlite_row_t *r, store_app_t *a)
{
    memset(a, 0, sizeof(*a));
    row_text(r, 0, a->id, sizeof(a->id));
    row_text(r, 1, a->pool_id, sizeof(a->pool_id));
    row_text(r, 2, a->name, sizeof(a->name));
    row_text(r, 3, a->redirect_urls, sizeof(a->redirect_urls));
    a->created_at = row_int(r, 4);
    a->updated_at = row_int(r, 5);
    row_text(r, 6, a->secret, sizeof(a->secret));
    row_text(r, 7, a->token_alg, sizeof(a->token_alg));
}

static void
row_conn(sqlite_row_t *r, store_conn_t *c)
{
    memset(c, 0, sizeof(*c));
    row_text(r, 0, c->pool_id, sizeof(c->pool_id));
    row_text(r, 1, c->identifier, sizeof(c->identifier));
    row_text(r, 2, c->display_name, sizeof(c->display_name));
    row_text(r, 3, c->appid, sizeof(c->appid));
    row_text(r, 4, c->app_secret, sizeof(c->app_secret));
    row_text(r, 5, c->scope, sizeof(c->scope));
    row_text(r, 6, c->callback_url, sizeof(c->callback_url));
    row_text(r, 7, c->txt_filename, sizeof(c->txt_filename));
    row_text(r, 8, c->txt_content, sizeof(c->txt_content));
    c->created_at = row_int(r, 9);
    c->updated_at = row_int(r, 10);
}

static void
row_user(sqlite_row_t *r, store_user_t *u)
{
    memset(u, 0, sizeof(*u));
    row_text(r, 0, u->id, sizeof(u->id));
    row_text(r, 1, u->pool_id, sizeof(u->pool_id));
    row_text(r, 2, u->username, sizeof(u->username));
    row_text(r, 3, u->nickname, sizeof(u->nickname));
    row_text(r, 4, u->photo, sizeof(u->photo));
    row_text(r, 5, u->gender, sizeof(u->gender));
    row_text(r, 6, u->country, sizeof(u->country));
    row_text(r, 7, u->province, sizeof(u->province));
    row_text(r, 8, u->city, sizeof(u->city));
    row_text(r, 9, u->last_ip, sizeof(u->last_ip));
    u->logins_count = row_int(r, 10);
    u->last_login = row_int(r, 11);
    u->created_at = row_int(r, 12);
    u->updated_at = row_int(r, 13);
    u->blocked = row_int(r, 14) != 0;
    row_text(r, 15, u->openid, sizeof(u->openid));
    row_text(r, 16, u->unionid, sizeof(u->unionid));
}

static void
row_state(sqlite_row_t *r, store_state_t *s)
{
    memset(s, 0, sizeof(*s));
    row_text(r, 0, s->id, sizeof(s->id));
    row_text(r, 1, s->pool_id, sizeof(s->pool_id));
    row_text(r, 2, s->conn_identifier, sizeof(s->conn_identifier));
    row_text(r, 3, s->app_id, sizeof(s->app_id));
    row_text(r, 4, s->redirect, sizeof(s->redirect));
    row_text(r, 5, s->browser, sizeof(s->browser));
    row_text(r, 6, s->scope, sizeof(s->scope));
    row_text(r, 7, s->options, sizeof(s->options));
    s->created_at = row_int(r, 8);
    s->expires_at = row_int(r, 9);
    s->claimed_at = row_int(r, 10);
    s->status = (store_state_status_t)row_int(r, 11);
    row_text(r, 12, s->result, sizeof(s->result));
}

static void
row_key(sqlite_row_t *r, store_key_t *k)
{
    memset(k, 0, sizeof(*k));
    row_text(r, 0, k->kid, sizeof(k->kid));
    row_text(r, 1, k->alg, sizeof(k->alg));
    row_text(r, 2, k->private_pem, sizeof(k->private_pem));
    k->created_at = row_int(r, 3);
    k->retired_at = row_int(r, 4);
    k->publish_until = row_int(r, 5);
}

/* ---- input checks ---- */

/* WX_ETOOBIG for the first field that would not fit (an unterminated array counts). */
static wx_status_t
sqlite_check_fields(const sqlite_field_t *f, size_t count, wx_err_t *err)
{
    for (size_t i = 0; i < count; i++)
        if (f[i].value && strnlen(f[i].value, f[i].size) >= f[i].size)
            return wx_err_set(err, WX_ETOOBIG, "%s is too long (at most %zu bytes)", f[i].what,
                              f[i].size - 1);
    return WX_OK;
}

static wx_status_t
sqlite_require(const char *what, const char *value, wx_err_t *err)
{
    if (!value || !*value)
        return wx_err_set(err, WX_EINVAL, "%s is required", what);
    return WX_OK;
}

/* A lookup key that is missing or longer than any stored one cannot match a row. */
static bool
sqlite_key_ok(const char *key, size_t size)
{
    return key && *key && strnlen(key, size) < size;
}

/* ---- transactions ---- */

static wx_status_t
sqlite_simple(sqlite_store_t *st, sqlite_stmt_id_t id, wx_err_t *err, const char *what)
{
    sqlite3_stmt *s = NULL;
    wx_status_t rc = stmt_get(st, id, &s, err);
    if (rc == WX_OK) {
        int src = stmt_exec(s);
        if (src != SQLITE_OK)
            rc = sqlite_fail(st, src, err, what);
    }
    stmt_release(&s);
    return rc;
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
    sqlite_store_t *st = arg;
    /* Counted in steps: SQLite does not always start a new wait at count 0. */
    if (count >= SQLITE_BUSY_MS * 1000 / SQLITE_BUSY_STEP_US)
        return 0; /* SQLITE_BUSY: "storage busy, please try again" */
    if (!st->writer)
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

/* Transactions nest: the outermost is BEGIN IMMEDIATE (the write lock up front), the inner ones
 * savepoints, so an operation with its own transaction can run inside the writer's batch
 * (store/writer.c) and still be undone on its own. */
static wx_status_t
sqlite_begin(sqlite_store_t *st, wx_err_t *err)
{
    /* SQLite rolled the outer transaction back by itself (disk full, I/O error): nothing more
     * may run as part of it; its own commit or rollback resets the depth. */
    if (st->depth > 0 && sqlite3_get_autocommit(st->db))
        return wx_err_set(err, WX_ESTORE, "storage error: the transaction was rolled back");
    wx_status_t rc;
    if (st->depth > 0) {
        rc = sqlite_simple(st, STMT_SAVEPOINT, err, "savepoint");
    } else {
        if (st->writer)
            sqlite_writer_yield();
        rc = sqlite_simple(st, STMT_BEGIN, err, "begin");
    }
    if (rc == WX_OK)
        st->depth++;
    return rc;
}

static void
sqlite_mark_writer(store_t *base)
{
    ((sqlite_store_t *)base)->writer = true;
}

static wx_status_t
sqlite_commit(sqlite_store_t *st, wx_err_t *err)
{
    if (st->depth == 0 || sqlite3_get_autocommit(st->db)) {
        st->depth = 0;
        return wx_err_set(err, WX_ESTORE, "storage error: the transaction was rolled back");
    }
    wx_status_t rc = sqlite_simple(st, st->depth == 1 ? STMT_COMMIT : STMT_RELEASE, err, "commit");
    if (rc == WX_OK)
        st->depth--;
    return rc;
}

/* Undo the innermost open transaction, if SQLite has not already rolled it all back. */
static void
sqlite_rollback(sqlite_store_t *st)
{
    if (st->depth == 0 || sqlite3_get_autocommit(st->db)) {
        st->depth = 0;
        return;
    }
    if (st->depth == 1) {
        sqlite_simple(st, STMT_ROLLBACK, NULL, "rollback");
    } else {
        sqlite_simple(st, STMT_ROLLBACK_TO, NULL, "rollback to");
        sqlite_simple(st, STMT_RELEASE, NULL, "release");
    }
    st->depth--;
}

static wx_status_t
sqlite_tx_begin(store_t *base, wx_err_t *err)
{
    return sqlite_begin((sqlite_store_t *)base, err);
}

static wx_status_t
sqlite_tx_commit(store_t *base, wx_err_t *err)
{
    return sqlite_commit((sqlite_store_t *)base, err);
}

static void
sqlite_tx_rollback(store_t *base)
{
    sqlite_rollback((sqlite_store_t *)base);
}

/* Finish a transaction the way rc says. */
static wx_status_t
sqlite_end(sqlite_store_t *st, bool in_tx, wx_status_t rc, wx_err_t *err)
{
    if (in_tx && rc == WX_OK)
        rc = sqlite_commit(st, err);
    if (in_tx && rc != WX_OK)
        sqlite_rollback(st);
    return rc;
}

/* ---- lifecycle ---- */

static void sqlite_close(store_t *base);

static wx_status_t
sqlite_read_version(sqlite_store_t *st, int *version, wx_err_t *err)
{
    sqlite3_stmt *s = NULL;
    bool found = false;
    wx_status_t rc = stmt_get(st, STMT_MIGRATION_VERSION, &s, err);
    if (rc == WX_OK)
        rc = stmt_row(st, s, &found, err);
    *version = found ? sqlite3_column_int(s, 0) : 0;
    stmt_release(&s);
    return rc;
}

/* Apply one migration unless another connection got there first: the check and the apply
 * share one BEGIN IMMEDIATE, so concurrent opens of a fresh file run it exactly once. */
static wx_status_t
sqlite_migration_apply(sqlite_store_t *st, const sqlite_migration_t *m, wx_err_t *err)
{
    sqlite3_stmt *s = NULL;
    bool in_tx = false, applied = false;
    int bsrc = SQLITE_OK, src;
    wx_status_t rc = sqlite_begin(st, err);
    if (rc != WX_OK)
        goto out;
    in_tx = true;
    if ((rc = stmt_get(st, STMT_MIGRATION_APPLIED, &s, err)) != WX_OK)
        goto out;
    stmt_bind_int(s, 1, m->version, &bsrc);
    if ((rc = stmt_bound(st, bsrc, err)) != WX_OK || (rc = stmt_row(st, s, &applied, err)) != WX_OK)
        goto out;
    stmt_release(&s);
    if (applied)
        goto out;
    src = sqlite3_exec(st->db, m->sql, NULL, NULL, NULL);
    if (src != SQLITE_OK) {
        rc = sqlite_fail(st, src, err, "migration");
        wx_err_set(err, rc, "database migration %d (%s) failed", m->version, m->name);
        goto out;
    }
    if ((rc = stmt_get(st, STMT_MIGRATION_RECORD, &s, err)) != WX_OK)
        goto out;
    stmt_bind_int(s, 1, m->version, &bsrc);
    stmt_bind_text(s, 2, m->name, &bsrc);
    stmt_bind_int(s, 3, wx_now(), &bsrc);
    if ((rc = stmt_bound(st, bsrc, err)) != WX_OK)
        goto out;
    if ((src = stmt_exec(s)) != SQLITE_OK)
        rc = sqlite_fail(st, src, err, "record migration");
out:
    stmt_release(&s);
    return sqlite_end(st, in_tx, rc, err);
}

static wx_status_t
sqlite_migrate(sqlite_store_t *st, wx_err_t *err)
{
    wx_status_t rc = WX_OK;
    int latest = 0, version = 0, src;
    for (size_t i = 0; i < sqlite_migrations_count; i++) {
        if (sqlite_migrations[i].version <= latest) {
            rc = wx_err_set(err, WX_ECONFIG, "database migrations are out of order");
            goto out;
        }
        latest = sqlite_migrations[i].version;
    }
    /* A no-op read when the table exists, so an up-to-date database takes no write lock. */
    src = sqlite3_exec(st->db, sqlite_migrations_table, NULL, NULL, NULL);
    if (src != SQLITE_OK) {
        rc = sqlite_fail(st, src, err, "create schema_migrations");
        goto out;
    }
    if ((rc = sqlite_read_version(st, &version, err)) != WX_OK)
        goto out;
    if (version > latest) {
        /* Running old code on a newer schema could write rows the newer code misreads. */
        rc = wx_err_set(err, WX_ECONFIG,
                        "database schema version %d is newer than this program's (%d)", version,
                        latest);
        goto out;
    }
    for (size_t i = 0; version < latest && i < sqlite_migrations_count; i++)
        if ((rc = sqlite_migration_apply(st, &sqlite_migrations[i], err)) != WX_OK)
            goto out;
    if ((rc = sqlite_read_version(st, &version, err)) != WX_OK)
        goto out;
    st->version = version;
out:
    return rc;
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

static wx_status_t
sqlite_open(const char *target_url, store_t **out, wx_err_t *err)
{
    sqlite_store_t *st = NULL;
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
    wx_snprintf(pragmas, sizeof(pragmas),
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = %s;"
                "PRAGMA foreign_keys = ON;",
                sync);
    st = calloc(1, sizeof(*st));
    if (!st) {
        rc = wx_err_set(err, WX_ENOMEM, "out of memory");
        goto out;
    }
    st->base.backend = &store_sqlite_backend;
    sqlite_precreate(target);
    src = sqlite3_open_v2(target, &st->db,
                          SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (src != SQLITE_OK) {
        rc = sqlite_fail(st, src, err, "open");
        wx_err_set(err, rc, "cannot open database '%.200s'", target);
        goto out;
    }
    sqlite3_extended_result_codes(st->db, 1);
    /* Set before the pragmas too: switching a fresh file to WAL takes a lock other opens hold. */
    sqlite3_busy_handler(st->db, sqlite_busy, st);
    /* SQLite answers BUSY at once, without the busy handler, where waiting could deadlock
     * (several processes switching one fresh file to WAL): step back a random while, retry. */
    for (int64_t until = wx_mono_ms() + SQLITE_BUSY_MS;;) {
        src = sqlite3_exec(st->db, pragmas, NULL, NULL, NULL);
        if ((src & 0xff) != SQLITE_BUSY || wx_mono_ms() >= until)
            break;
        uint8_t r = 0;
        wx_rand_bytes(&r, 1);
        usleep(1000 + (useconds_t)r * 20);
    }
    if (src != SQLITE_OK) {
        rc = sqlite_fail(st, src, err, "pragmas");
        goto out;
    }
    rc = sqlite_migrate(st, err);
out:
    if (rc != WX_OK && st)
        sqlite_close(&st->base);
    else if (rc == WX_OK)
        *out = &st->base;
    return rc;
}

static void
sqlite_close(store_t *base)
{
    sqlite_store_t *st = (sqlite_store_t *)base;
    for (size_t i = 0; i < STMT_COUNT; i++)
        sqlite3_finalize(st->stmts[i]);
    sqlite3_close_v2(st->db);
    free(st);
}

static int
sqlite_schema_version(store_t *base)
{
    return ((sqlite_store_t *)base)->version;
}

/* ---- pools, applications, connections ---- */

static wx_status_t
sqlite_pool_put(store_t *base, const store_pool_t *p, wx_err_t *err)
{
    sqlite_store_t *st = (sqlite_store_t *)base;
    sqlite3_stmt *s = NULL;
    int bsrc = SQLITE_OK, src;
    int64_t now = wx_now();
    const sqlite_field_t f[] = {
        {"pool id", p->id, sizeof(p->id)},
        {"pool name", p->name, sizeof(p->name)},
        {"pool signing alg", p->alg, sizeof(p->alg)},
        {"pool redirect URLs", p->redirect_urls, sizeof(p->redirect_urls)},
    };
    wx_status_t rc = sqlite_check_fields(f, WX_ARRAY_LEN(f), err);
    if (rc != WX_OK || (rc = sqlite_require("pool id", p->id, err)) != WX_OK)
        goto out;
    if (p->token_ttl < 0) {
        rc = wx_err_set(err, WX_EINVAL, "pool token TTL must not be negative");
        goto out;
    }
    if ((rc = stmt_get(st, STMT_POOL_PUT, &s, err)) != WX_OK)
        goto out;
    stmt_bind_text(s, 1, p->id, &bsrc);
    stmt_bind_text(s, 2, p->name, &bsrc);
    stmt_bind_int(s, 3, p->token_ttl, &bsrc);
    stmt_bind_text(s, 4, p->alg, &bsrc);
    stmt_bind_text(s, 5, p->redirect_urls, &bsrc);
    stmt_bind_int(s, 6, p->created_at > 0 ? p->created_at : now, &bsrc);
    stmt_bind_int(s, 7, now, &bsrc);
    if ((rc = stmt_bound(st, bsrc, err)) != WX_OK)
        goto out;
    if ((src = stmt_exec(s)) != SQLITE_OK)
        rc = sqlite_fail(st, src, err, "pool put");
out:
    stmt_release(&s);
    return rc;
}

/* Fill one row's worth of a typed record; used by sqlite_get_one. */
typedef void (*sqlite_row_fn)(sqlite_row_t *r, void *out);

static void
row_pool_any(sqlite_row_t *r, void *out)
{
    row_pool(r, out);
}

static void
row_app_any(sqlite_row_t *r, void *out)
{
    row_app(r, out);
}

static void
row_conn_any(sqlite_row_t *r, void *out)
{
    row_conn(r, out);
}

/* Run a lookup statement with text keys and read at most one row into out. Sets *found. The
 * keys are already length-checked by the caller. */
static wx_status_t
sqlite_get_one(sqlite_store_t *st, sqlite_stmt_id_t stmt_id, const char *const *keys, size_t nkeys,
               sqlite_row_fn fill, void *out, bool *found, wx_err_t *err)
{
    sqlite3_stmt *s = NULL;
    int bsrc = SQLITE_OK;
    wx_status_t rc;
    *found = false;
    if ((rc = stmt_get(st, stmt_id, &s, err)) != WX_OK)
        goto out;
    for (size_t i = 0; i < nkeys; i++)
        stmt_bind_text(s, (int)i + 1, keys[i], &bsrc);
    if ((rc = stmt_bound(st, bsrc, err)) != WX_OK || (rc = stmt_row(st, s, found, err)) != WX_OK)
        goto out;
    if (*found) {
        sqlite_row_t r = {s, -1};
        fill(&r, out);
        rc = row_check(&r, err);
    }
out:
    stmt_release(&s);
    return rc;
}

static wx_status_t
sqlite_pool_get(store_t *base, const char *id, store_pool_t *out, wx_err_t *err)
{
    bool found = false;
    wx_status_t rc = WX_OK;
    if (sqlite_key_ok(id, STORE_ID_MAX))
        rc = sqlite_get_one((sqlite_store_t *)base, STMT_POOL_GET, &id, 1, row_pool_any, out,
                            &found, err);
    if (rc == WX_OK && !found)
        rc = wx_err_set(err, WX_ENOENT, "no such pool '%.64s'", id ? id : "");
    if (rc != WX_OK)
        memset(out, 0, sizeof(*out));
    return rc;
}

static wx_status_t
sqlite_app_put(store_t *base, const store_app_t *a, wx_err_t *err)
{
    sqlite_store_t *st = (sqlite_store_t *)base;
    sqlite3_stmt *s = NULL;
    int bsrc = SQLITE_OK, src;
    int64_t now = wx_now();
    const sqlite_field_t f[] = {
        {"application id", a->id, sizeof(a->id)},
        {"application pool id", a->pool_id, sizeof(a->pool_id)},
        {"application name", a->name, sizeof(a->name)},
        {"application redirect URLs", a->redirect_urls, sizeof(a->redirect_urls)},
        {"application secret", a->secret, sizeof(a->secret)},
        {"application token alg", a->token_alg, sizeof(a->token_alg)},
    };
    wx_status_t rc = sqlite_check_fields(f, WX_ARRAY_LEN(f), err);
    if (rc != WX_OK || (rc = sqlite_require("application id", a->id, err)) != WX_OK ||
        (rc = sqlite_require("application pool id", a->pool_id, err)) != WX_OK)
        goto out;
    if ((rc = stmt_get(st, STMT_APP_PUT, &s, err)) != WX_OK)
        goto out;
    stmt_bind_text(s, 1, a->id, &bsrc);
    stmt_bind_text(s, 2, a->pool_id, &bsrc);
    stmt_bind_text(s, 3, a->name, &bsrc);
    stmt_bind_text(s, 4, a->redirect_urls, &bsrc);
    stmt_bind_int(s, 5, a->created_at > 0 ? a->created_at : now, &bsrc);
    stmt_bind_int(s, 6, now, &bsrc);
    stmt_bind_text(s, 7, a->secret, &bsrc);
    stmt_bind_text(s, 8, a->token_alg, &bsrc);
    if ((rc = stmt_bound(st, bsrc, err)) != WX_OK)
        goto out;
    src = stmt_exec(s);
    if (src == SQLITE_CONSTRAINT_FOREIGNKEY)
        rc = wx_err_set(err, WX_ENOENT, "no such pool '%s'", a->pool_id);
    else if (src != SQLITE_OK)
        rc = sqlite_fail(st, src, err, "app put");
out:
    stmt_release(&s);
    return rc;
}

static wx_status_t
sqlite_app_get(store_t *base, const char *id, store_app_t *out, wx_err_t *err)
{
    bool found = false;
    wx_status_t rc = WX_OK;
    if (sqlite_key_ok(id, STORE_ID_MAX))
        rc = sqlite_get_one((sqlite_store_t *)base, STMT_APP_GET, &id, 1, row_app_any, out, &found,
                            err);
    if (rc == WX_OK && !found)
        rc = wx_err_set(err, WX_ENOENT, "no such application '%.64s'", id ? id : "");
    if (rc != WX_OK)
        memset(out, 0, sizeof(*out));
    return rc;
}

static wx_status_t
sqlite_conn_put(store_t *base, const store_conn_t *c, wx_err_t *err)
{
    sqlite_store_t *st = (sqlite_store_t *)base;
    sqlite3_stmt *s = NULL;
    int bsrc = SQLITE_OK, src;
    int64_t now = wx_now();
    const sqlite_field_t f[] = {
        {"connection pool id", c->pool_id, sizeof(c->pool_id)},
        {"connection identifier", c->identifier, sizeof(c->identifier)},
        {"connection display name", c->display_name, sizeof(c->display_name)},
        {"WeChat App ID", c->appid, sizeof(c->appid)},
        {"WeChat App Secret", c->app_secret, sizeof(c->app_secret)},
        {"connection scope", c->scope, sizeof(c->scope)},
        {"connection callback URL", c->callback_url, sizeof(c->callback_url)},
        {"txt file name", c->txt_filename, sizeof(c->txt_filename)},
        {"txt file content", c->txt_content, sizeof(c->txt_content)},
    };
    wx_status_t rc = sqlite_check_fields(f, WX_ARRAY_LEN(f), err);
    if (rc != WX_OK || (rc = sqlite_require("connection pool id", c->pool_id, err)) != WX_OK ||
        (rc = sqlite_require("connection identifier", c->identifier, err)) != WX_OK)
        goto out;
    if ((rc = stmt_get(st, STMT_CONN_PUT, &s, err)) != WX_OK)
        goto out;
    stmt_bind_text(s, 1, c->pool_id, &bsrc);
    stmt_bind_text(s, 2, c->identifier, &bsrc);
    stmt_bind_text(s, 3, c->display_name, &bsrc);
    stmt_bind_text(s, 4, c->appid, &bsrc);
    stmt_bind_text(s, 5, c->app_secret, &bsrc);
    stmt_bind_text(s, 6, c->scope, &bsrc);
    stmt_bind_text(s, 7, c->callback_url, &bsrc);
    stmt_bind_text(s, 8, c->txt_filename, &bsrc);
    stmt_bind_text(s, 9, c->txt_content, &bsrc);
    stmt_bind_int(s, 10, c->created_at > 0 ? c->created_at : now, &bsrc);
    stmt_bind_int(s, 11, now, &bsrc);
    if ((rc = stmt_bound(st, bsrc, err)) != WX_OK)
        goto out;
    src = stmt_exec(s);
    if (src == SQLITE_CONSTRAINT_FOREIGNKEY)
        rc = wx_err_set(err, WX_ENOENT, "no such pool '%s'", c->pool_id);
    else if (src != SQLITE_OK)
        rc = sqlite_fail(st, src, err, "connection put");
out:
    stmt_release(&s);
    return rc;
}

static wx_status_t
sqlite_conn_get(store_t *base, const char *pool_id, const char *identifier, store_conn_t *out,
                wx_err_t *err)
{
    bool found = false;
    wx_status_t rc = WX_OK;
    const char *keys[] = {pool_id, identifier};
    if (sqlite_key_ok(pool_id, STORE_ID_MAX) && sqlite_key_ok(identifier, STORE_IDENT_MAX))
        rc = sqlite_get_one((sqlite_store_t *)base, STMT_CONN_GET, keys, 2, row_conn_any, out,
                            &found, err);
    if (rc == WX_OK && !found)
        rc = wx_err_set(err, WX_ENOENT, "no connection '%.64s' in pool '%.64s'",
                        identifier ? identifier : "", pool_id ? pool_id : "");
    if (rc != WX_OK)
        memset(out, 0, sizeof(*out));
    return rc;
}

static wx_status_t
sqlite_conn_default(store_t *base, const char *pool_id, store_conn_t *out, wx_err_t *err)
{
    bool found = false;
    wx_status_t rc = WX_OK;
    const char *keys[] = {pool_id, SQLITE_DEFAULT_CONN};
    if (sqlite_key_ok(pool_id, STORE_ID_MAX))
        rc = sqlite_get_one((sqlite_store_t *)base, STMT_CONN_DEFAULT, keys, 2, row_conn_any, out,
                            &found, err);
    if (rc == WX_OK && !found)
        rc = wx_err_set(err, WX_ENOENT, "pool '%.64s' has no WeChat connection",
                        pool_id ? pool_id : "");
    if (rc != WX_OK)
        memset(out, 0, sizeof(*out));
    return rc;
}

static wx_status_t
sqlite_txt_get(store_t *base, const char *filename, char *content, size_t n, wx_err_t *err)
{
    sqlite_store_t *st = (sqlite_store_t *)base;
    sqlite3_stmt *s = NULL;
    bool found = false;
    int bsrc = SQLITE_OK;
    wx_status_t rc = WX_OK;
    if (n == 0) {
        rc = wx_err_set(err, WX_EINVAL, "no room for the txt content");
        goto out;
    }
    if (!sqlite_key_ok(filename, STORE_TXT_NAME_MAX))
        goto out;
    if ((rc = stmt_get(st, STMT_TXT_GET, &s, err)) != WX_OK)
        goto out;
    stmt_bind_text(s, 1, filename, &bsrc);
    if ((rc = stmt_bound(st, bsrc, err)) != WX_OK || (rc = stmt_row(st, s, &found, err)) != WX_OK)
        goto out;
    if (found) {
        sqlite_row_t r = {s, -1};
        row_text(&r, 0, content, n);
        rc = row_check(&r, err);
    }
out:
    stmt_release(&s);
    if (rc == WX_OK && !found)
        rc = wx_err_set(err, WX_ENOENT, "no verification file '%.128s'", filename ? filename : "");
    if (rc != WX_OK && n > 0)
        content[0] = '\0';
    return rc;
}

/* ---- users ---- */

/* Length of the longest prefix of s within max bytes that does not split a UTF-8 sequence. */
static size_t
sqlite_utf8_prefix(const char *s, size_t max)
{
    size_t len = strlen(s);
    if (len <= max)
        return len;
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
        max--;
    return max;
}

/* The nickname (or wx_ + 8 chars of the openid), with _xxxx appended while the pool already
 * has that username. Runs inside the upsert's write transaction, so the check holds. */
static wx_status_t
sqlite_username_pick(sqlite_store_t *st, const store_wechat_login_t *in, char *out, size_t n,
                     wx_err_t *err)
{
    char base_name[STORE_NAME_MAX], suffix[5];
    sqlite3_stmt *s = NULL;
    wx_status_t rc = WX_OK;
    bool taken = true;
    if (in->nickname && *in->nickname)
        wx_strlcpy(base_name, in->nickname, sizeof(base_name));
    else
        wx_snprintf(base_name, sizeof(base_name), "wx_%.8s", in->openid);
    for (int i = 0; taken && i < SQLITE_USERNAME_TRIES; i++) {
        int bsrc = SQLITE_OK;
        if (i == 0) {
            wx_strlcpy(out, base_name, n);
        } else {
            if ((rc = wx_rand_hex(suffix, 2)) != WX_OK) {
                rc = wx_err_set(err, rc, "could not draw a random username suffix");
                goto out;
            }
            size_t keep = sqlite_utf8_prefix(base_name, n - 1 - 5);
            wx_snprintf(out, n, "%.*s_%s", (int)keep, base_name, suffix);
        }
        if ((rc = stmt_get(st, STMT_USERNAME_TAKEN, &s, err)) != WX_OK)
            goto out;
        stmt_bind_text(s, 1, in->pool_id, &bsrc);
        stmt_bind_text(s, 2, out, &bsrc);
        if ((rc = stmt_bound(st, bsrc, err)) != WX_OK ||
            (rc = stmt_row(st, s, &taken, err)) != WX_OK)
            goto out;
        stmt_release(&s);
    }
    if (taken)
        rc = wx_err_set(err, WX_EEXIST, "could not find a free username");
out:
    stmt_release(&s);
    return rc;
}

static wx_status_t
sqlite_login_check(const store_wechat_login_t *in, wx_err_t *err)
{
    const sqlite_field_t f[] = {
        {"pool id", in->pool_id, STORE_ID_MAX},
        {"connection identifier", in->provider, STORE_IDENT_MAX},
        {"WeChat App ID", in->appid, STORE_ID_MAX},
        {"openid", in->openid, STORE_OPENID_MAX},
        {"unionid", in->unionid, STORE_OPENID_MAX},
        {"nickname", in->nickname, STORE_NAME_MAX},
        {"photo URL", in->photo, STORE_URL_MAX},
        {"gender", in->gender, sizeof(((store_user_t *)0)->gender)},
        {"country", in->country, STORE_NAME_MAX},
        {"province", in->province, STORE_NAME_MAX},
        {"city", in->city, STORE_NAME_MAX},
        {"raw profile", in->raw_profile, STORE_PROFILE_MAX},
        {"IP address", in->ip, sizeof(((store_user_t *)0)->last_ip)},
    };
    wx_status_t rc = sqlite_check_fields(f, WX_ARRAY_LEN(f), err);
    if (rc != WX_OK || (rc = sqlite_require("pool id", in->pool_id, err)) != WX_OK ||
        (rc = sqlite_require("WeChat App ID", in->appid, err)) != WX_OK ||
        (rc = sqlite_require("openid", in->openid, err)) != WX_OK)
        return rc;
    if (in->gender && *in->gender && strcmp(in->gender, "M") != 0 && strcmp(in->gender, "F") != 0 &&
        strcmp(in->gender, "U") != 0)
        return wx_err_set(err, WX_EINVAL, "gender must be M, F or U");
    return WX_OK;
}

/* Find whose login this is: the identity's user, else (with a unionid) the user of the same
 * pool holding that unionid. user_id stays "" when neither exists. */
static wx_status_t
sqlite_login_find(sqlite_store_t *st, const store_wechat_login_t *in, char *user_id,
                  bool *have_identity, char *unionid, wx_err_t *err)
{
    char pool_id[STORE_ID_MAX];
    sqlite3_stmt *s = NULL;
    int bsrc = SQLITE_OK;
    bool found = false;
    wx_status_t rc = stmt_get(st, STMT_IDENT_FIND, &s, err);
    user_id[0] = '\0';
    *have_identity = false;
    if (rc != WX_OK)
        goto out;
    stmt_bind_text(s, 1, in->appid, &bsrc);
    stmt_bind_text(s, 2, in->openid, &bsrc);
    if ((rc = stmt_bound(st, bsrc, err)) != WX_OK || (rc = stmt_row(st, s, &found, err)) != WX_OK)
        goto out;
    if (found) {
        sqlite_row_t r = {s, -1};
        row_text(&r, 0, user_id, STORE_ID_MAX);
        row_text(&r, 1, pool_id, sizeof(pool_id));
        row_text(&r, 2, unionid, STORE_OPENID_MAX);
        if ((rc = row_check(&r, err)) != WX_OK)
            goto out;
        /* (appid, openid) is unique across pools: never log into another pool's user. */
        if (strcmp(pool_id, in->pool_id) != 0) {
            rc = wx_err_set(err, WX_EEXIST,
                            "this WeChat account is already linked to another user pool");
            wx_err_detail(err, "appid %s openid belongs to pool %s", in->appid, pool_id);
            goto out;
        }
        *have_identity = true;
        goto out;
    }
    stmt_release(&s);
    if (!in->unionid || !*in->unionid)
        goto out;
    if ((rc = stmt_get(st, STMT_IDENT_BY_UNIONID, &s, err)) != WX_OK)
        goto out;
    stmt_bind_text(s, 1, in->pool_id, &bsrc);
    stmt_bind_text(s, 2, in->unionid, &bsrc);
    if ((rc = stmt_bound(st, bsrc, err)) != WX_OK || (rc = stmt_row(st, s, &found, err)) != WX_OK)
        goto out;
    if (found) {
        sqlite_row_t r = {s, -1};
        row_text(&r, 0, user_id, STORE_ID_MAX);
        rc = row_check(&r, err);
    }
out:
    stmt_release(&s);
    return rc;
}

static wx_status_t
sqlite_user_is_blocked(sqlite_store_t *st, const char *user_id, bool *blocked, wx_err_t *err)
{
    sqlite3_stmt *s = NULL;
    int bsrc = SQLITE_OK;
    bool found = false;
    wx_status_t rc = stmt_get(st, STMT_USER_BLOCKED, &s, err);
    *blocked = false;
    if (rc != WX_OK)
        goto out;
    stmt_bind_text(s, 1, user_id, &bsrc);
    if ((rc = stmt_bound(st, bsrc, err)) != WX_OK || (rc = stmt_row(st, s, &found, err)) != WX_OK)
        goto out;
    if (!found) {
        rc = wx_err_set(err, WX_ESTORE, "storage error");
        wx_err_detail(err, "identity points at missing user %s", user_id);
        goto out;
    }
    *blocked = sqlite3_column_int64(s, 0) != 0;
out:
    stmt_release(&s);
    return rc;
}

static wx_status_t
sqlite_user_create(sqlite_store_t *st, const store_wechat_login_t *in, char *user_id, wx_err_t *err)
{
    char username[STORE_NAME_MAX];
    sqlite3_stmt *s = NULL;
    int bsrc = SQLITE_OK, src;
    bool found = false;
    wx_status_t rc = stmt_get(st, STMT_POOL_EXISTS, &s, err);
    if (rc != WX_OK)
        goto out;
    stmt_bind_text(s, 1, in->pool_id, &bsrc);
    if ((rc = stmt_bound(st, bsrc, err)) != WX_OK || (rc = stmt_row(st, s, &found, err)) != WX_OK)
        goto out;
    stmt_release(&s);
    if (!found) {
        rc = wx_err_set(err, WX_ENOENT, "no such pool '%s'", in->pool_id);
        goto out;
    }
    if ((rc = wx_rand_hex(user_id, 12)) != WX_OK) {
        rc = wx_err_set(err, rc, "could not draw a user id");
        goto out;
    }
    if ((rc = sqlite_username_pick(st, in, username, sizeof(username), err)) != WX_OK)
        goto out;
    if ((rc = stmt_get(st, STMT_USER_INSERT, &s, err)) != WX_OK)
        goto out;
    stmt_bind_text(s, 1, user_id, &bsrc);
    stmt_bind_text(s, 2, in->pool_id, &bsrc);
    stmt_bind_text(s, 3, username, &bsrc);
    stmt_bind_int(s, 4, in->now, &bsrc);
    if ((rc = stmt_bound(st, bsrc, err)) != WX_OK)
        goto out;
    if ((src = stmt_exec(s)) != SQLITE_OK)
        rc = sqlite_fail(st, src, err, "user insert");
out:
    stmt_release(&s);
    return rc;
}

static wx_status_t
sqlite_identity_save(sqlite_store_t *st, const store_wechat_login_t *in, const char *user_id,
                     bool have_identity, const char *stored_unionid, wx_err_t *err)
{
    sqlite3_stmt *s = NULL;
    int bsrc = SQLITE_OK, src;
    wx_status_t rc;
    if (have_identity &&
        (!in->unionid || !*in->unionid || strcmp(in->unionid, stored_unionid) == 0)) {
        if ((rc = stmt_get(st, STMT_IDENT_TOUCH, &s, err)) != WX_OK)
            goto out;
        stmt_bind_text(s, 1, in->appid, &bsrc);
        stmt_bind_text(s, 2, in->openid, &bsrc);
        stmt_bind_text(s, 3, in->provider, &bsrc);
        stmt_bind_text(s, 4, in->raw_profile, &bsrc);
        stmt_bind_int(s, 5, in->now, &bsrc);
    } else if (have_identity) {
        if ((rc = stmt_get(st, STMT_IDENT_UPDATE, &s, err)) != WX_OK)
            goto out;
        stmt_bind_text(s, 1, in->appid, &bsrc);
        stmt_bind_text(s, 2, in->openid, &bsrc);
        stmt_bind_text(s, 3, in->provider, &bsrc);
        stmt_bind_text(s, 4, in->unionid, &bsrc);
        stmt_bind_text(s, 5, in->raw_profile, &bsrc);
        stmt_bind_int(s, 6, in->now, &bsrc);
    } else {
        if ((rc = stmt_get(st, STMT_IDENT_INSERT, &s, err)) != WX_OK)
            goto out;
        stmt_bind_text(s, 1, user_id, &bsrc);
        stmt_bind_text(s, 2, in->pool_id, &bsrc);
        stmt_bind_text(s, 3, in->provider, &bsrc);
        stmt_bind_text(s, 4, in->appid, &bsrc);
        stmt_bind_text(s, 5, in->openid, &bsrc);
        stmt_bind_text(s, 6, in->unionid, &bsrc);
        stmt_bind_text(s, 7, in->raw_profile, &bsrc);
        stmt_bind_int(s, 8, in->now, &bsrc);
    }
    if ((rc = stmt_bound(st, bsrc, err)) != WX_OK)
        goto out;
    if ((src = stmt_exec(s)) != SQLITE_OK)
        rc = sqlite_fail(st, src, err, "identity save");
out:
    stmt_release(&s);
    return rc;
}

static wx_status_t
sqlite_user_login(sqlite_store_t *st, const store_wechat_login_t *in, const char *user_id,
                  wx_err_t *err)
{
    sqlite3_stmt *s = NULL;
    int bsrc = SQLITE_OK, src;
    wx_status_t rc = stmt_get(st, STMT_USER_LOGIN, &s, err);
    if (rc != WX_OK)
        goto out;
    stmt_bind_text(s, 1, user_id, &bsrc);
    stmt_bind_text(s, 2, in->nickname, &bsrc);
    stmt_bind_text(s, 3, in->photo, &bsrc);
    stmt_bind_text(s, 4, in->gender, &bsrc);
    stmt_bind_text(s, 5, in->country, &bsrc);
    stmt_bind_text(s, 6, in->province, &bsrc);
    stmt_bind_text(s, 7, in->city, &bsrc);
    stmt_bind_text(s, 8, in->ip, &bsrc);
    stmt_bind_int(s, 9, in->now, &bsrc);
    if ((rc = stmt_bound(st, bsrc, err)) != WX_OK)
        goto out;
    if ((src = stmt_exec(s)) != SQLITE_OK)
        rc = sqlite_fail(st, src, err, "user login update");
out:
    stmt_release(&s);
    return rc;
}

/* One user row by (pool, id) into out; *found false when there is none. */
static wx_status_t
sqlite_user_read(sqlite_store_t *st, const char *pool_id, const char *id, store_user_t *out,
                 bool *found, wx_err_t *err)
{
    sqlite3_stmt *s = NULL;
    int bsrc = SQLITE_OK;
    wx_status_t rc = stmt_get(st, STMT_USER_GET, &s, err);
    *found = false;
    if (rc != WX_OK)
        goto out;
    stmt_bind_text(s, 1, pool_id, &bsrc);
    stmt_bind_text(s, 2, id, &bsrc);
    if ((rc = stmt_bound(st, bsrc, err)) != WX_OK || (rc = stmt_row(st, s, found, err)) != WX_OK)
        goto out;
    if (*found) {
        sqlite_row_t r = {s, -1};
        row_user(&r, out);
        rc = row_check(&r, err);
    }
out:
    stmt_release(&s);
    return rc;
}

static wx_status_t
sqlite_user_upsert_wechat(store_t *base, const store_wechat_login_t *in, store_user_t *out,
                          bool *created, wx_err_t *err)
{
    sqlite_store_t *st = (sqlite_store_t *)base;
    char user_id[STORE_ID_MAX], unionid[STORE_OPENID_MAX] = "";
    bool in_tx = false, have_identity = false, blocked = false, found = false, made = false;
    store_user_t row = {0}; /* not out: in's strings may point into it */
    wx_status_t rc;
    if ((rc = sqlite_login_check(in, err)) != WX_OK)
        goto out;
    if ((rc = sqlite_begin(st, err)) != WX_OK)
        goto out;
    in_tx = true;
    rc = sqlite_login_find(st, in, user_id, &have_identity, unionid, err);
    if (rc != WX_OK)
        goto out;
    if (user_id[0]) {
        if ((rc = sqlite_user_is_blocked(st, user_id, &blocked, err)) != WX_OK)
            goto out;
        if (blocked) {
            rc = wx_err_set(err, WX_EDENIED, "this account has been blocked");
            wx_err_detail(err, "user %s of pool %s is blocked", user_id, in->pool_id);
            goto out;
        }
    } else {
        if ((rc = sqlite_user_create(st, in, user_id, err)) != WX_OK)
            goto out;
        made = true;
    }
    if ((rc = sqlite_identity_save(st, in, user_id, have_identity, unionid, err)) != WX_OK ||
        (rc = sqlite_user_login(st, in, user_id, err)) != WX_OK ||
        (rc = sqlite_user_read(st, in->pool_id, user_id, &row, &found, err)) != WX_OK)
        goto out;
    if (!found) {
        rc = wx_err_set(err, WX_ESTORE, "storage error");
        wx_err_detail(err, "user %s vanished inside its own transaction", user_id);
        goto out;
    }
    /* Report the identity of this login, not whichever the user used last elsewhere. */
    wx_strlcpy(row.openid, in->openid, sizeof(row.openid));
    wx_strlcpy(row.unionid, in->unionid && *in->unionid ? in->unionid : unionid,
               sizeof(row.unionid));
out:
    rc = sqlite_end(st, in_tx, rc, err);
    if (rc == WX_OK)
        *out = row;
    else
        memset(out, 0, sizeof(*out));
    if (created)
        *created = rc == WX_OK && made;
    return rc;
}

static wx_status_t
sqlite_identity_profile(store_t *base, const char *appid, const char *openid, char *raw, size_t n,
                        wx_err_t *err)
{
    sqlite_store_t *st = (sqlite_store_t *)base;
    sqlite3_stmt *s = NULL;
    int bsrc = SQLITE_OK;
    bool found = false;
    wx_status_t rc = WX_OK;
    if (n > 0)
        raw[0] = '\0';
    if (!sqlite_key_ok(appid, STORE_ID_MAX) || !sqlite_key_ok(openid, STORE_OPENID_MAX))
        goto out;
    if ((rc = stmt_get(st, STMT_IDENT_PROFILE, &s, err)) != WX_OK)
        goto out;
    stmt_bind_text(s, 1, appid, &bsrc);
    stmt_bind_text(s, 2, openid, &bsrc);
    if ((rc = stmt_bound(st, bsrc, err)) != WX_OK || (rc = stmt_row(st, s, &found, err)) != WX_OK)
        goto out;
    if (found) {
        sqlite_row_t r = {s, -1};
        row_text(&r, 0, raw, n);
        rc = row_check(&r, err);
    }
out:
    stmt_release(&s);
    if (rc == WX_OK && !found)
        rc = wx_err_set(err, WX_ENOENT, "no identity for this openid");
    return rc;
}

static wx_status_t
sqlite_user_get(store_t *base, const char *pool_id, const char *id, store_user_t *out,
                wx_err_t *err)
{
    sqlite_store_t *st = (sqlite_store_t *)base;
    bool found = false;
    wx_status_t rc = WX_OK;
    if (sqlite_key_ok(pool_id, STORE_ID_MAX) && sqlite_key_ok(id, STORE_ID_MAX))
        rc = sqlite_user_read(st, pool_id, id, out, &found, err);
    if (rc == WX_OK && !found)
        rc = wx_err_set(err, WX_ENOENT, "no such user '%.64s' in pool '%.64s'", id ? id : "",
                        pool_id ? pool_id : "");
    if (rc != WX_OK)
        memset(out, 0, sizeof(*out));
    return rc;
}

static wx_status_t
sqlite_user_set_blocked(store_t *base, const char *pool_id, const char *id, bool blocked,
                        wx_err_t *err)
{
    sqlite_store_t *st = (sqlite_store_t *)base;
    sqlite3_stmt *s = NULL;
    int bsrc = SQLITE_OK, src;
    bool found = false;
    wx_status_t rc = WX_OK;
    if (!sqlite_key_ok(pool_id, STORE_ID_MAX) || !sqlite_key_ok(id, STORE_ID_MAX))
        goto out;
    if ((rc = stmt_get(st, STMT_USER_SET_BLOCKED, &s, err)) != WX_OK)
        goto out;
    stmt_bind_text(s, 1, pool_id, &bsrc);
    stmt_bind_text(s, 2, id, &bsrc);
    stmt_bind_int(s, 3, blocked ? 1 : 0, &bsrc);
    stmt_bind_int(s, 4, wx_now(), &bsrc);
    if ((rc = stmt_bound(st, bsrc, err)) != WX_OK)
        goto out;
    if ((src = stmt_exec(s)) != SQLITE_OK) {
        rc = sqlite_fail(st, src, err, "user set blocked");
        goto out;
    }
    found = sqlite3_changes(st->db) > 0;
out:
    stmt_release(&s);
    if (rc == WX_OK && !found)
        rc = wx_err_set(err, WX_ENOENT, "no such user '%.64s' in pool '%.64s'", id ? id : "",
                        pool_id ? pool_id : "");
    return rc;
}

/* count(*) of a statement with one text parameter. */
static wx_status_t
sqlite_count(sqlite_store_t *st, sqlite_stmt_id_t id, const char *arg, int64_t *out, wx_err_t *err)
{
    sqlite3_stmt *s = NULL;
    int bsrc = SQLITE_OK;
    bool found = false;
    wx_status_t rc = stmt_get(st, id, &s, err);
    *out = 0;
    if (rc != WX_OK)
        goto out;
    stmt_bind_text(s, 1, arg, &bsrc);
    if ((rc = stmt_bound(st, bsrc, err)) != WX_OK || (rc = stmt_row(st, s, &found, err)) != WX_OK)
        goto out;
    *out = found ? sqlite3_column_int64(s, 0) : 0;
out:
    stmt_release(&s);
    return rc;
}

static wx_status_t
sqlite_user_count(store_t *base, const char *pool_id, int64_t *out, wx_err_t *err)
{
    *out = 0;
    if (!sqlite_key_ok(pool_id, STORE_ID_MAX))
        return WX_OK;
    return sqlite_count((sqlite_store_t *)base, STMT_USER_COUNT, pool_id, out, err);
}

/* ---- login states ---- */

static bool
sqlite_state_id_ok(const char *id)
{
    if (!sqlite_key_ok(id, STORE_ID_MAX))
        return false;
    for (const char *p = id; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
            return false;
    return true;
}

static wx_status_t
sqlite_state_create(store_t *base, const store_state_t *s_in, wx_err_t *err)
{
    sqlite_store_t *st = (sqlite_store_t *)base;
    sqlite3_stmt *s = NULL;
    int bsrc = SQLITE_OK, src;
    const sqlite_field_t f[] = {
        {"state id", s_in->id, sizeof(s_in->id)},
        {"state pool id", s_in->pool_id, sizeof(s_in->pool_id)},
        {"state connection", s_in->conn_identifier, sizeof(s_in->conn_identifier)},
        {"state application id", s_in->app_id, sizeof(s_in->app_id)},
        {"state redirect", s_in->redirect, sizeof(s_in->redirect)},
        {"state browser binding", s_in->browser, sizeof(s_in->browser)},
        {"state scope", s_in->scope, sizeof(s_in->scope)},
        {"state options", s_in->options, sizeof(s_in->options)},
    };
    wx_status_t rc = sqlite_check_fields(f, WX_ARRAY_LEN(f), err);
    if (rc != WX_OK || (rc = sqlite_require("state pool id", s_in->pool_id, err)) != WX_OK ||
        (rc = sqlite_require("state connection", s_in->conn_identifier, err)) != WX_OK)
        goto out;
    if (!sqlite_state_id_ok(s_in->id)) {
        rc = wx_err_set(err, WX_EINVAL, "state id must be 1-63 letters and digits");
        goto out;
    }
    if ((rc = stmt_get(st, STMT_STATE_CREATE, &s, err)) != WX_OK)
        goto out;
    stmt_bind_text(s, 1, s_in->id, &bsrc);
    stmt_bind_text(s, 2, s_in->pool_id, &bsrc);
    stmt_bind_text(s, 3, s_in->conn_identifier, &bsrc);
    stmt_bind_text(s, 4, s_in->app_id, &bsrc);
    stmt_bind_text(s, 5, s_in->redirect, &bsrc);
    stmt_bind_text(s, 6, s_in->browser, &bsrc);
    stmt_bind_text(s, 7, s_in->scope, &bsrc);
    stmt_bind_text(s, 8, s_in->options, &bsrc);
    stmt_bind_int(s, 9, s_in->created_at, &bsrc);
    stmt_bind_int(s, 10, s_in->expires_at, &bsrc);
    if ((rc = stmt_bound(st, bsrc, err)) != WX_OK)
        goto out;
    src = stmt_exec(s);
    if (sqlite_is_unique(src))
        rc = wx_err_set(err, WX_EEXIST, "login state already exists");
    else if (src == SQLITE_CONSTRAINT_FOREIGNKEY)
        rc = wx_err_set(err, WX_ENOENT, "no such pool '%s'", s_in->pool_id);
    else if (src != SQLITE_OK)
        rc = sqlite_fail(st, src, err, "state create");
out:
    stmt_release(&s);
    return rc;
}

/* One state row into out inside the caller's transaction; *found false when there is none. */
static wx_status_t
sqlite_state_read(sqlite_store_t *st, const char *id, store_state_t *out, bool *found,
                  wx_err_t *err)
{
    sqlite3_stmt *s = NULL;
    int bsrc = SQLITE_OK;
    wx_status_t rc = stmt_get(st, STMT_STATE_GET, &s, err);
    *found = false;
    if (rc != WX_OK)
        goto out;
    stmt_bind_text(s, 1, id, &bsrc);
    if ((rc = stmt_bound(st, bsrc, err)) != WX_OK || (rc = stmt_row(st, s, found, err)) != WX_OK)
        goto out;
    if (*found) {
        sqlite_row_t r = {s, -1};
        row_state(&r, out);
        rc = row_check(&r, err);
    }
out:
    stmt_release(&s);
    return rc;
}

/* The read and the update share one BEGIN IMMEDIATE: a second connection claiming the same
 * state waits for the first to commit and then sees it CLAIMED. An expired state is claimed
 * too (and committed) so the error outcome finished on it is replayed like any other. id and
 * browser are copied first because a caller may pass pointers into out, which the read
 * overwrites. */
static wx_status_t
sqlite_state_claim(store_t *base, const char *state_id, const char *browser, int64_t now,
                   store_state_t *out, wx_err_t *err)
{
    sqlite_store_t *st = (sqlite_store_t *)base;
    sqlite3_stmt *s = NULL;
    int bsrc = SQLITE_OK, src;
    bool in_tx = false, found = false, expired = false;
    char id[STORE_ID_MAX], b[sizeof(out->browser)];
    wx_status_t rc = WX_OK;
    bool browser_fits = wx_strlcpy(b, browser ? browser : "", sizeof(b));
    if (!sqlite_key_ok(state_id, sizeof(id)))
        goto out;
    wx_strlcpy(id, state_id, sizeof(id));
    if ((rc = sqlite_begin(st, err)) != WX_OK)
        goto out;
    in_tx = true;
    if ((rc = sqlite_state_read(st, id, out, &found, err)) != WX_OK || !found)
        goto out;
    if (!browser_fits || !wx_ct_equal(out->browser, strlen(out->browser), b, strlen(b))) {
        memset(out, 0, sizeof(*out)); /* the other browser learns nothing about it */
        rc = wx_err_set(err, WX_EDENIED, "this login was started in another browser");
        goto out;
    }
    if (out->status != STORE_STATE_PENDING) {
        rc = wx_err_set(err, WX_EUSED, "this login link was already used");
        goto out;
    }
    expired = now >= out->expires_at;
    if ((rc = stmt_get(st, STMT_STATE_CLAIM, &s, err)) != WX_OK)
        goto out;
    stmt_bind_text(s, 1, id, &bsrc);
    stmt_bind_int(s, 2, now, &bsrc);
    if ((rc = stmt_bound(st, bsrc, err)) != WX_OK)
        goto out;
    if ((src = stmt_exec(s)) != SQLITE_OK) {
        rc = sqlite_fail(st, src, err, "state claim");
        goto out;
    }
    if (sqlite3_changes(st->db) != 1) {
        rc = wx_err_set(err, WX_ESTORE, "storage error");
        wx_err_detail(err, "state %s changed under a write lock", id);
        goto out;
    }
    out->status = STORE_STATE_CLAIMED;
    out->claimed_at = now;
out:
    stmt_release(&s);
    rc = sqlite_end(st, in_tx, rc, err);
    if (rc == WX_OK && !found)
        rc = wx_err_set(err, WX_ENOENT, "unknown login state");
    else if (rc == WX_OK && expired)
        rc = wx_err_set(err, WX_EEXPIRED, "login link expired, please start again");
    /* EUSED and EEXPIRED keep out: the caller needs the redirect and the earlier result. */
    if (rc != WX_OK && rc != WX_EUSED && rc != WX_EEXPIRED)
        memset(out, 0, sizeof(*out));
    return rc;
}

static wx_status_t
sqlite_state_finish(store_t *base, const char *id, const char *result, wx_err_t *err)
{
    sqlite_store_t *st = (sqlite_store_t *)base;
    sqlite3_stmt *s = NULL;
    int bsrc = SQLITE_OK, src;
    bool in_tx = false, found = false;
    int64_t status = 0;
    const sqlite_field_t f[] = {{"login result", result, STORE_RESULT_MAX}};
    wx_status_t rc = sqlite_check_fields(f, WX_ARRAY_LEN(f), err);
    if (rc != WX_OK)
        goto out;
    if (!sqlite_key_ok(id, STORE_ID_MAX))
        goto out;
    if ((rc = sqlite_begin(st, err)) != WX_OK)
        goto out;
    in_tx = true;
    if ((rc = stmt_get(st, STMT_STATE_STATUS, &s, err)) != WX_OK)
        goto out;
    stmt_bind_text(s, 1, id, &bsrc);
    if ((rc = stmt_bound(st, bsrc, err)) != WX_OK || (rc = stmt_row(st, s, &found, err)) != WX_OK ||
        !found)
        goto out;
    status = sqlite3_column_int64(s, 0);
    stmt_release(&s);
    if (status == STORE_STATE_DONE) {
        rc = wx_err_set(err, WX_EUSED, "login state already finished");
        goto out;
    }
    if (status != STORE_STATE_CLAIMED) {
        rc = wx_err_set(err, WX_EINVAL, "login state was never claimed");
        goto out;
    }
    if ((rc = stmt_get(st, STMT_STATE_FINISH, &s, err)) != WX_OK)
        goto out;
    stmt_bind_text(s, 1, id, &bsrc);
    stmt_bind_text(s, 2, result, &bsrc);
    if ((rc = stmt_bound(st, bsrc, err)) != WX_OK)
        goto out;
    if ((src = stmt_exec(s)) != SQLITE_OK)
        rc = sqlite_fail(st, src, err, "state finish");
out:
    stmt_release(&s);
    rc = sqlite_end(st, in_tx, rc, err);
    if (rc == WX_OK && !found)
        rc = wx_err_set(err, WX_ENOENT, "unknown login state");
    return rc;
}

static wx_status_t
sqlite_state_prune(store_t *base, int64_t now, int64_t keep, int64_t *deleted, wx_err_t *err)
{
    sqlite_store_t *st = (sqlite_store_t *)base;
    sqlite3_stmt *s = NULL;
    int bsrc = SQLITE_OK, src;
    wx_status_t rc = stmt_get(st, STMT_STATE_PRUNE, &s, err);
    if (deleted)
        *deleted = 0;
    if (rc != WX_OK)
        goto out;
    stmt_bind_int(s, 1, now, &bsrc);
    stmt_bind_int(s, 2, keep, &bsrc);
    if ((rc = stmt_bound(st, bsrc, err)) != WX_OK)
        goto out;
    if ((src = stmt_exec(s)) != SQLITE_OK) {
        rc = sqlite_fail(st, src, err, "state prune");
        goto out;
    }
    if (deleted)
        *deleted = sqlite3_changes(st->db);
out:
    stmt_release(&s);
    return rc;
}

/* ---- signing keys ---- */

static wx_status_t
sqlite_key_add(store_t *base, const store_key_t *k, wx_err_t *err)
{
    sqlite_store_t *st = (sqlite_store_t *)base;
    sqlite3_stmt *s = NULL;
    int bsrc = SQLITE_OK, src;
    const sqlite_field_t f[] = {
        {"key id", k->kid, sizeof(k->kid)},
        {"key alg", k->alg, sizeof(k->alg)},
        {"private key", k->private_pem, sizeof(k->private_pem)},
    };
    wx_status_t rc = sqlite_check_fields(f, WX_ARRAY_LEN(f), err);
    if (rc != WX_OK || (rc = sqlite_require("key id", k->kid, err)) != WX_OK ||
        (rc = sqlite_require("key alg", k->alg, err)) != WX_OK ||
        (rc = sqlite_require("private key", k->private_pem, err)) != WX_OK)
        goto out;
    if ((rc = stmt_get(st, STMT_KEY_ADD, &s, err)) != WX_OK)
        goto out;
    stmt_bind_text(s, 1, k->kid, &bsrc);
    stmt_bind_text(s, 2, k->alg, &bsrc);
    stmt_bind_text(s, 3, k->private_pem, &bsrc);
    stmt_bind_int(s, 4, k->created_at > 0 ? k->created_at : wx_now(), &bsrc);
    stmt_bind_int(s, 5, k->retired_at, &bsrc);
    stmt_bind_int(s, 6, k->publish_until, &bsrc);
    if ((rc = stmt_bound(st, bsrc, err)) != WX_OK)
        goto out;
    src = stmt_exec(s);
    if (sqlite_is_unique(src))
        rc = wx_err_set(err, WX_EEXIST, "signing key '%s' exists, or %s already has a current key",
                        k->kid, k->alg);
    else if (src != SQLITE_OK)
        rc = sqlite_fail(st, src, err, "key add");
out:
    stmt_release(&s);
    return rc;
}

static wx_status_t
sqlite_key_current(store_t *base, const char *alg, store_key_t *out, wx_err_t *err)
{
    sqlite_store_t *st = (sqlite_store_t *)base;
    sqlite3_stmt *s = NULL;
    int bsrc = SQLITE_OK;
    bool found = false;
    wx_status_t rc = WX_OK;
    if (!sqlite_key_ok(alg, sizeof(out->alg)))
        goto out;
    if ((rc = stmt_get(st, STMT_KEY_CURRENT, &s, err)) != WX_OK)
        goto out;
    stmt_bind_text(s, 1, alg, &bsrc);
    if ((rc = stmt_bound(st, bsrc, err)) != WX_OK || (rc = stmt_row(st, s, &found, err)) != WX_OK)
        goto out;
    if (found) {
        sqlite_row_t r = {s, -1};
        row_key(&r, out);
        rc = row_check(&r, err);
    }
out:
    stmt_release(&s);
    if (rc == WX_OK && !found)
        rc = wx_err_set(err, WX_ENOENT, "no current %.16s signing key", alg ? alg : "");
    if (rc != WX_OK)
        memset(out, 0, sizeof(*out));
    return rc;
}

/* Streams rows to fn, so fn must not call store_key_each on the same store. */
static wx_status_t
sqlite_key_each(store_t *base, bool (*fn)(const store_key_t *, void *), void *arg, wx_err_t *err)
{
    sqlite_store_t *st = (sqlite_store_t *)base;
    sqlite3_stmt *s = NULL;
    store_key_t *k = malloc(sizeof(*k)); /* 8 KB: keep it off worker stacks */
    bool found = true;
    wx_status_t rc = WX_OK;
    if (!k) {
        rc = wx_err_set(err, WX_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = stmt_get(st, STMT_KEY_EACH, &s, err)) != WX_OK)
        goto out;
    while ((rc = stmt_row(st, s, &found, err)) == WX_OK && found) {
        sqlite_row_t r = {s, -1};
        row_key(&r, k);
        if ((rc = row_check(&r, err)) != WX_OK || !fn(k, arg))
            break;
    }
out:
    stmt_release(&s);
    if (k) {
        OPENSSL_cleanse(k, sizeof(*k)); /* private key material */
        free(k);
    }
    return rc;
}

/* Retire the current key of k->alg and add k, atomically: readers never see zero or two
 * current keys of one alg. */
static wx_status_t
sqlite_key_rotate(store_t *base, const store_key_t *k, int64_t now, int64_t publish_until,
                  wx_err_t *err)
{
    sqlite_store_t *st = (sqlite_store_t *)base;
    sqlite3_stmt *s = NULL;
    int bsrc = SQLITE_OK, src;
    bool open_tx = false;
    wx_status_t rc = WX_OK;
    if (!sqlite_key_ok(k->alg, sizeof(k->alg))) {
        rc = wx_err_set(err, WX_EINVAL, "bad key alg");
        goto out;
    }
    if ((rc = sqlite_begin(st, err)) != WX_OK)
        goto out;
    open_tx = true;
    if ((rc = stmt_get(st, STMT_KEY_RETIRE, &s, err)) != WX_OK)
        goto out;
    stmt_bind_text(s, 1, k->alg, &bsrc);
    stmt_bind_int(s, 2, now, &bsrc);
    stmt_bind_int(s, 3, publish_until, &bsrc);
    if ((rc = stmt_bound(st, bsrc, err)) != WX_OK)
        goto out;
    if ((src = stmt_exec(s)) != SQLITE_OK) {
        rc = sqlite_fail(st, src, err, "key retire");
        goto out;
    }
    stmt_release(&s);
    if ((rc = sqlite_key_add(base, k, err)) != WX_OK)
        goto out;
    rc = sqlite_commit(st, err);
    open_tx = rc != WX_OK;
out:
    stmt_release(&s);
    if (open_tx)
        sqlite_rollback(st);
    return rc;
}

/* ---- revocations ---- */

static wx_status_t
sqlite_revoke(store_t *base, const char *jti, int64_t expires_at, int64_t now, wx_err_t *err)
{
    sqlite_store_t *st = (sqlite_store_t *)base;
    sqlite3_stmt *s = NULL;
    int bsrc = SQLITE_OK, src;
    wx_status_t rc = WX_OK;
    if (!jti || !jti[0] || strlen(jti) >= STORE_ID_MAX) {
        rc = wx_err_set(err, WX_EINVAL, "bad token id");
        goto out;
    }
    if ((rc = stmt_get(st, STMT_REVOKE, &s, err)) != WX_OK)
        goto out;
    stmt_bind_text(s, 1, jti, &bsrc);
    stmt_bind_int(s, 2, expires_at, &bsrc);
    stmt_bind_int(s, 3, now, &bsrc);
    if ((rc = stmt_bound(st, bsrc, err)) != WX_OK)
        goto out;
    if ((src = stmt_exec(s)) != SQLITE_OK)
        rc = sqlite_fail(st, src, err, "revoke");
out:
    stmt_release(&s);
    return rc;
}

static void
row_flag_any(sqlite_row_t *r, void *out)
{
    *(bool *)out = true;
}

static wx_status_t
sqlite_is_revoked(store_t *base, const char *jti, bool *out, wx_err_t *err)
{
    *out = false;
    if (!sqlite_key_ok(jti, STORE_ID_MAX))
        return WX_OK; /* no such jti can have been stored */
    bool found = false;
    return sqlite_get_one((sqlite_store_t *)base, STMT_IS_REVOKED, &jti, 1, row_flag_any, out,
                          &found, err);
}

static void
row_int_any(sqlite_row_t *r, void *out)
{
    *(int64_t *)out = row_int(r, 0);
}

static wx_status_t
sqlite_pool_max_ttl(store_t *base, int64_t *out, wx_err_t *err)
{
    bool found = false;
    *out = 0;
    return sqlite_get_one((sqlite_store_t *)base, STMT_POOL_MAX_TTL, NULL, 0, row_int_any, out,
                          &found, err);
}

static wx_status_t
sqlite_revocation_prune(store_t *base, int64_t now, int64_t *deleted, wx_err_t *err)
{
    sqlite_store_t *st = (sqlite_store_t *)base;
    sqlite3_stmt *s = NULL;
    int bsrc = SQLITE_OK, src;
    wx_status_t rc = stmt_get(st, STMT_REVOCATION_PRUNE, &s, err);
    if (deleted)
        *deleted = 0;
    if (rc != WX_OK)
        goto out;
    stmt_bind_int(s, 1, now, &bsrc);
    if ((rc = stmt_bound(st, bsrc, err)) != WX_OK)
        goto out;
    if ((src = stmt_exec(s)) != SQLITE_OK) {
        rc = sqlite_fail(st, src, err, "revocation prune");
        goto out;
    }
    if (deleted)
        *deleted = sqlite3_changes(st->db);
out:
    stmt_release(&s);
    return rc;
}

/* ---- listing (admin) ---- */

typedef struct {
    const char *text; /* NULL: the number */
    int64_t num;
} sqlite_arg_t;

/* Run a statement with args and hand each row, filled by fill into a scratch item of
 * item_size bytes, to emit; emit returns false to stop. */
static wx_status_t
sqlite_each(sqlite_store_t *st, sqlite_stmt_id_t id, const sqlite_arg_t *args, size_t nargs,
            size_t item_size, void (*fill)(sqlite_row_t *, void *),
            bool (*emit)(const void *item, void *ctx), void *ctx, wx_err_t *err)
{
    sqlite3_stmt *s = NULL;
    int bsrc = SQLITE_OK;
    bool found = true;
    void *item = malloc(item_size); /* rows are several KB: keep them off worker stacks */
    wx_status_t rc = WX_OK;
    if (!item) {
        rc = wx_err_set(err, WX_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = stmt_get(st, id, &s, err)) != WX_OK)
        goto out;
    for (size_t i = 0; i < nargs; i++) {
        if (args[i].text)
            stmt_bind_text(s, (int)i + 1, args[i].text, &bsrc);
        else
            stmt_bind_int(s, (int)i + 1, args[i].num, &bsrc);
    }
    if ((rc = stmt_bound(st, bsrc, err)) != WX_OK)
        goto out;
    while ((rc = stmt_row(st, s, &found, err)) == WX_OK && found) {
        sqlite_row_t r = {s, -1};
        fill(&r, item);
        if ((rc = row_check(&r, err)) != WX_OK || !emit(item, ctx))
            break;
    }
out:
    stmt_release(&s);
    free(item);
    return rc;
}

/* A DELETE or UPDATE of exactly one row; WX_ENOENT (with what) when none matched. */
static wx_status_t
sqlite_change_one(sqlite_store_t *st, sqlite_stmt_id_t id, const sqlite_arg_t *args, size_t nargs,
                  const char *what, wx_err_t *err)
{
    sqlite3_stmt *s = NULL;
    int bsrc = SQLITE_OK, src;
    wx_status_t rc = stmt_get(st, id, &s, err);
    if (rc != WX_OK)
        goto out;
    for (size_t i = 0; i < nargs; i++) {
        if (args[i].text)
            stmt_bind_text(s, (int)i + 1, args[i].text, &bsrc);
        else
            stmt_bind_int(s, (int)i + 1, args[i].num, &bsrc);
    }
    if ((rc = stmt_bound(st, bsrc, err)) != WX_OK)
        goto out;
    if ((src = stmt_exec(s)) != SQLITE_OK)
        rc = sqlite_fail(st, src, err, what);
    else if (sqlite3_changes(st->db) == 0)
        rc = wx_err_set(err, WX_ENOENT, "no such %s", what);
out:
    stmt_release(&s);
    return rc;
}

typedef struct {
    bool (*pool)(const store_pool_t *, void *);
    bool (*app)(const store_app_t *, void *);
    bool (*conn)(const store_conn_t *, void *);
    bool (*user)(const store_user_t *, void *);
    bool (*ident)(const store_identity_t *, void *);
    bool (*audit)(const store_audit_row_t *, void *);
    void *arg;
} sqlite_emit_t;

static bool
emit_pool(const void *item, void *ctx)
{
    const sqlite_emit_t *e = ctx;
    return e->pool(item, e->arg);
}

static bool
emit_app(const void *item, void *ctx)
{
    const sqlite_emit_t *e = ctx;
    store_app_t *a = (store_app_t *)item;
    memset(a->secret, 0, sizeof(a->secret)); /* listings never carry secrets */
    return e->app(a, e->arg);
}

static bool
emit_conn(const void *item, void *ctx)
{
    const sqlite_emit_t *e = ctx;
    store_conn_t *c = (store_conn_t *)item;
    bool set = c->app_secret[0] != '\0';
    memset(c->app_secret, 0, sizeof(c->app_secret));
    if (set)
        c->app_secret[0] = '*'; /* "set", without the value */
    return e->conn(c, e->arg);
}

static bool
emit_user(const void *item, void *ctx)
{
    const sqlite_emit_t *e = ctx;
    return e->user(item, e->arg);
}

static bool
emit_ident(const void *item, void *ctx)
{
    const sqlite_emit_t *e = ctx;
    return e->ident(item, e->arg);
}

static bool
emit_audit(const void *item, void *ctx)
{
    const sqlite_emit_t *e = ctx;
    return e->audit(item, e->arg);
}

static void
fill_pool(sqlite_row_t *r, void *out)
{
    row_pool(r, out);
}

static void
fill_user(sqlite_row_t *r, void *out)
{
    row_user(r, out);
}

static void
fill_ident(sqlite_row_t *r, void *out)
{
    store_identity_t *i = out;
    memset(i, 0, sizeof(*i));
    row_text(r, 0, i->provider, sizeof(i->provider));
    row_text(r, 1, i->appid, sizeof(i->appid));
    row_text(r, 2, i->openid, sizeof(i->openid));
    row_text(r, 3, i->unionid, sizeof(i->unionid));
    i->created_at = row_int(r, 4);
    i->updated_at = row_int(r, 5);
}

static void
fill_audit(sqlite_row_t *r, void *out)
{
    store_audit_row_t *a = out;
    memset(a, 0, sizeof(*a));
    a->id = row_int(r, 0);
    a->at = row_int(r, 1);
    row_text(r, 2, a->pool_id, sizeof(a->pool_id));
    row_text(r, 3, a->actor, sizeof(a->actor));
    row_text(r, 4, a->action, sizeof(a->action));
    row_text(r, 5, a->subject, sizeof(a->subject));
    row_text(r, 6, a->outcome, sizeof(a->outcome));
}

static wx_status_t
sqlite_pool_list(store_t *base, bool (*fn)(const store_pool_t *, void *), void *arg, wx_err_t *err)
{
    sqlite_emit_t e = {.pool = fn, .arg = arg};
    return sqlite_each((sqlite_store_t *)base, STMT_POOL_LIST, NULL, 0, sizeof(store_pool_t),
                       fill_pool, emit_pool, &e, err);
}

static wx_status_t
sqlite_pool_delete(store_t *base, const char *id, wx_err_t *err)
{
    const sqlite_arg_t a[] = {{id ? id : "", 0}};
    return sqlite_change_one((sqlite_store_t *)base, STMT_POOL_DELETE, a, 1, "pool", err);
}

static wx_status_t
sqlite_app_list(store_t *base, const char *pool_id, bool (*fn)(const store_app_t *, void *),
                void *arg, wx_err_t *err)
{
    sqlite_emit_t e = {.app = fn, .arg = arg};
    const sqlite_arg_t a[] = {{pool_id ? pool_id : "", 0}};
    return sqlite_each((sqlite_store_t *)base, STMT_APP_LIST, a, 1, sizeof(store_app_t),
                       row_app_any, emit_app, &e, err);
}

static wx_status_t
sqlite_app_delete(store_t *base, const char *id, wx_err_t *err)
{
    const sqlite_arg_t a[] = {{id ? id : "", 0}};
    return sqlite_change_one((sqlite_store_t *)base, STMT_APP_DELETE, a, 1, "application", err);
}

static wx_status_t
sqlite_conn_list(store_t *base, const char *pool_id, bool (*fn)(const store_conn_t *, void *),
                 void *arg, wx_err_t *err)
{
    sqlite_emit_t e = {.conn = fn, .arg = arg};
    const sqlite_arg_t a[] = {{pool_id ? pool_id : "", 0}};
    return sqlite_each((sqlite_store_t *)base, STMT_CONN_LIST, a, 1, sizeof(store_conn_t),
                       row_conn_any, emit_conn, &e, err);
}

static wx_status_t
sqlite_conn_delete(store_t *base, const char *pool_id, const char *identifier, wx_err_t *err)
{
    const sqlite_arg_t a[] = {{pool_id ? pool_id : "", 0}, {identifier ? identifier : "", 0}};
    return sqlite_change_one((sqlite_store_t *)base, STMT_CONN_DELETE, a, 2, "connection", err);
}

/* "%" + search with LIKE's wildcards escaped + "%". */
static bool
like_pattern(const char *search, char *out, size_t n)
{
    size_t j = 0;
    if (n < 3)
        return false;
    out[j++] = '%';
    for (const char *p = search; *p; p++) {
        if (j + 4 > n)
            return false;
        if (*p == '%' || *p == '_' || *p == '\\')
            out[j++] = '\\';
        out[j++] = *p;
    }
    out[j++] = '%';
    out[j] = '\0';
    return true;
}

static wx_status_t
sqlite_user_list(store_t *base, const store_user_query_t *q,
                 bool (*fn)(const store_user_t *, void *), void *arg, int64_t *total, wx_err_t *err)
{
    sqlite_store_t *st = (sqlite_store_t *)base;
    sqlite_emit_t e = {.user = fn, .arg = arg};
    char like[2 * STORE_NAME_MAX + 3];
    const char *search = q->search ? q->search : "";
    bool found = false;
    *total = 0;
    if (strlen(search) >= STORE_NAME_MAX || !like_pattern(search, like, sizeof(like)))
        return wx_err_set(err, WX_EINVAL, "search text is too long");
    if (q->limit < 1 || q->limit > 1000 || q->offset < 0)
        return wx_err_set(err, WX_EINVAL, "limit must be 1..1000 and offset >= 0");
    const sqlite_arg_t a[] = {{q->pool_id ? q->pool_id : "", 0},
                              {search, 0},
                              {like, 0},
                              {NULL, q->limit},
                              {NULL, q->offset}};
    wx_status_t rc =
        sqlite_get_one(st, STMT_USER_LIST_COUNT, (const char *const[]){a[0].text, search, like}, 3,
                       row_int_any, total, &found, err);
    if (rc == WX_OK)
        rc = sqlite_each(st, STMT_USER_LIST, a, 5, sizeof(store_user_t), fill_user, emit_user, &e,
                         err);
    return rc;
}

static wx_status_t
sqlite_user_identities(store_t *base, const char *user_id,
                       bool (*fn)(const store_identity_t *, void *), void *arg, wx_err_t *err)
{
    sqlite_emit_t e = {.ident = fn, .arg = arg};
    const sqlite_arg_t a[] = {{user_id ? user_id : "", 0}};
    return sqlite_each((sqlite_store_t *)base, STMT_USER_IDENTITIES, a, 1, sizeof(store_identity_t),
                       fill_ident, emit_ident, &e, err);
}

static wx_status_t
sqlite_user_delete(store_t *base, const char *pool_id, const char *id, wx_err_t *err)
{
    const sqlite_arg_t a[] = {{pool_id ? pool_id : "", 0}, {id ? id : "", 0}};
    return sqlite_change_one((sqlite_store_t *)base, STMT_USER_DELETE, a, 2, "user", err);
}

static wx_status_t
sqlite_user_revoke_tokens(store_t *base, const char *pool_id, const char *id, int64_t at,
                          wx_err_t *err)
{
    const sqlite_arg_t a[] = {{pool_id ? pool_id : "", 0}, {id ? id : "", 0}, {NULL, at}};
    return sqlite_change_one((sqlite_store_t *)base, STMT_USER_REVOKE_TOKENS, a, 3, "user", err);
}

static wx_status_t
sqlite_token_revoked(store_t *base, const char *jti, const char *pool_id, const char *sub,
                     int64_t iat, bool *out, wx_err_t *err)
{
    sqlite_store_t *st = (sqlite_store_t *)base;
    sqlite3_stmt *s = NULL;
    int bsrc = SQLITE_OK;
    bool found = false;
    *out = true; /* refuse unless the store says otherwise */
    wx_status_t rc = stmt_get(st, STMT_TOKEN_REVOKED, &s, err);
    if (rc != WX_OK)
        goto out;
    stmt_bind_text(s, 1, jti ? jti : "", &bsrc);
    stmt_bind_text(s, 2, pool_id ? pool_id : "", &bsrc);
    stmt_bind_text(s, 3, sub ? sub : "", &bsrc);
    stmt_bind_int(s, 4, iat, &bsrc);
    if ((rc = stmt_bound(st, bsrc, err)) != WX_OK || (rc = stmt_row(st, s, &found, err)) != WX_OK)
        goto out;
    if (found)
        *out = sqlite3_column_int64(s, 0) != 0;
out:
    stmt_release(&s);
    return rc;
}

static wx_status_t
sqlite_audit_list(store_t *base, const store_audit_query_t *q,
                  bool (*fn)(const store_audit_row_t *, void *), void *arg, int64_t *total,
                  wx_err_t *err)
{
    sqlite_store_t *st = (sqlite_store_t *)base;
    sqlite_emit_t e = {.audit = fn, .arg = arg};
    sqlite3_stmt *s = NULL;
    int bsrc = SQLITE_OK;
    bool found = false;
    *total = 0;
    if (q->limit < 1 || q->limit > 1000 || q->offset < 0)
        return wx_err_set(err, WX_EINVAL, "limit must be 1..1000 and offset >= 0");
    const sqlite_arg_t a[] = {{q->pool_id ? q->pool_id : "", 0},
                              {q->action ? q->action : "", 0},
                              {q->actor ? q->actor : "", 0},
                              {NULL, q->since},
                              {NULL, q->until},
                              {NULL, q->limit},
                              {NULL, q->offset}};
    wx_status_t rc = stmt_get(st, STMT_AUDIT_LIST_COUNT, &s, err);
    if (rc != WX_OK)
        goto out;
    for (int i = 0; i < 5; i++) {
        if (a[i].text)
            stmt_bind_text(s, i + 1, a[i].text, &bsrc);
        else
            stmt_bind_int(s, i + 1, a[i].num, &bsrc);
    }
    if ((rc = stmt_bound(st, bsrc, err)) != WX_OK || (rc = stmt_row(st, s, &found, err)) != WX_OK)
        goto out;
    if (found)
        *total = sqlite3_column_int64(s, 0);
    stmt_release(&s);
    rc = sqlite_each(st, STMT_AUDIT_LIST, a, 7, sizeof(store_audit_row_t), fill_audit, emit_audit,
                     &e, err);
out:
    stmt_release(&s);
    return rc;
}

/* ---- audit ---- */

static wx_status_t
sqlite_audit_add(store_t *base, const store_audit_t *a, wx_err_t *err)
{
    sqlite_store_t *st = (sqlite_store_t *)base;
    sqlite3_stmt *s = NULL;
    int bsrc = SQLITE_OK, src;
    const sqlite_field_t f[] = {
        {"audit pool id", a->pool_id, STORE_ID_MAX},
        {"audit actor", a->actor, SQLITE_AUDIT_FIELD_MAX},
        {"audit action", a->action, SQLITE_AUDIT_FIELD_MAX},
        {"audit subject", a->subject, SQLITE_AUDIT_FIELD_MAX},
        {"audit outcome", a->outcome, SQLITE_AUDIT_FIELD_MAX},
    };
    wx_status_t rc = sqlite_check_fields(f, WX_ARRAY_LEN(f), err);
    if (rc != WX_OK || (rc = sqlite_require("audit action", a->action, err)) != WX_OK)
        goto out;
    if ((rc = stmt_get(st, STMT_AUDIT_ADD, &s, err)) != WX_OK)
        goto out;
    stmt_bind_int(s, 1, a->at > 0 ? a->at : wx_now(), &bsrc);
    stmt_bind_text(s, 2, a->pool_id, &bsrc);
    stmt_bind_text(s, 3, a->actor, &bsrc);
    stmt_bind_text(s, 4, a->action, &bsrc);
    stmt_bind_text(s, 5, a->subject, &bsrc);
    stmt_bind_text(s, 6, a->outcome, &bsrc);
    if ((rc = stmt_bound(st, bsrc, err)) != WX_OK)
        goto out;
    if ((src = stmt_exec(s)) != SQLITE_OK)
        rc = sqlite_fail(st, src, err, "audit add");
out:
    stmt_release(&s);
    return rc;
}

static wx_status_t
sqlite_audit_count(store_t *base, const char *action, int64_t *out, wx_err_t *err)
{
    *out = 0;
    if (!action || !*action)
        return wx_err_set(err, WX_EINVAL, "audit action is required");
    if (strnlen(action, SQLITE_AUDIT_FIELD_MAX) >= SQLITE_AUDIT_FIELD_MAX)
        return WX_OK; /* longer than any stored action: none match */
    return sqlite_count((sqlite_store_t *)base, STMT_AUDIT_COUNT, action, out, err);
}

const store_backend_t store_sqlite_backend = {
    .name = "sqlite",
    .scheme = "sqlite:",
    .open = sqlite_open,
    .close = sqlite_close,
    .schema_version = sqlite_schema_version,
    .tx_begin = sqlite_tx_begin,
    .tx_commit = sqlite_tx_commit,
    .tx_rollback = sqlite_tx_rollback,
    .identity_profile = sqlite_identity_profile,
    .mark_writer = sqlite_mark_writer,
    .pool_put = sqlite_pool_put,
    .pool_get = sqlite_pool_get,
    .app_put = sqlite_app_put,
    .app_get = sqlite_app_get,
    .conn_put = sqlite_conn_put,
    .conn_get = sqlite_conn_get,
    .conn_default = sqlite_conn_default,
    .txt_get = sqlite_txt_get,
    .user_upsert_wechat = sqlite_user_upsert_wechat,
    .user_get = sqlite_user_get,
    .user_set_blocked = sqlite_user_set_blocked,
    .user_count = sqlite_user_count,
    .state_create = sqlite_state_create,
    .state_claim = sqlite_state_claim,
    .state_finish = sqlite_state_finish,
    .state_prune = sqlite_state_prune,
    .key_add = sqlite_key_add,
    .key_current = sqlite_key_current,
    .key_each = sqlite_key_each,
    .key_rotate = sqlite_key_rotate,
    .pool_list = sqlite_pool_list,
    .pool_delete = sqlite_pool_delete,
    .app_list = sqlite_app_list,
    .app_delete = sqlite_app_delete,
    .conn_list = sqlite_conn_list,
    .conn_delete = sqlite_conn_delete,
    .user_list = sqlite_user_list,
    .user_identities = sqlite_user_identities,
    .user_delete = sqlite_user_delete,
    .user_revoke_tokens = sqlite_user_revoke_tokens,
    .token_revoked = sqlite_token_revoked,
    .audit_list = sqlite_audit_list,
    .pool_max_ttl = sqlite_pool_max_ttl,
    .revoke = sqlite_revoke,
    .is_revoked = sqlite_is_revoked,
    .revocation_prune = sqlite_revocation_prune,
    .audit_add = sqlite_audit_add,
    .audit_count = sqlite_audit_count,
};
