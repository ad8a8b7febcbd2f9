/* Users and their WeChat identities: the login's upsert, admin reads and changes, and the
 * online revocation check (store.h). */
#include "query.h"

#include <string.h>

#include "../util/clock.h"

#include "../util/rand.h"

#define USERS_USERNAME_TRIES 8
#define USERS_UPSERT_TRIES 3

/* Length of the longest prefix of s within max bytes that does not split a UTF-8 sequence. */
static size_t
users_utf8_prefix(const char *s, size_t max)
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
users_username_pick(store_t *st, const store_wechat_login_t *in, char *out, size_t n, wx_err_t *err)
{
    char base_name[STORE_NAME_MAX], suffix[5];
    wx_status_t rc = WX_OK;
    bool taken = true;
    int64_t one = 0;
    if (in->nickname && *in->nickname)
        wx_strlcpy(base_name, in->nickname, sizeof(base_name));
    else
        wx_snprintf(base_name, sizeof(base_name), "wx_%.8s", in->openid);
    for (int i = 0; taken && i < USERS_USERNAME_TRIES; i++) {
        if (i == 0) {
            wx_strlcpy(out, base_name, n);
        } else {
            if ((rc = wx_rand_hex(suffix, 2)) != WX_OK)
                return wx_err_set(err, rc, "could not draw a random username suffix");
            size_t keep = users_utf8_prefix(base_name, n - 1 - 5);
            wx_snprintf(out, n, "%.*s_%s", (int)keep, base_name, suffix);
        }
        rc = sq_int(st, STMT_USERNAME_TAKEN, SQ_ARGS(DB_TEXT(in->pool_id), DB_TEXT(out)), &one,
                    &taken, err);
        if (rc != WX_OK)
            return rc;
    }
    return taken ? wx_err_set(err, WX_EEXIST, "could not find a free username") : WX_OK;
}

static wx_status_t
users_login_check(const store_wechat_login_t *in, wx_err_t *err)
{
    const sq_field_t f[] = {
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
    wx_status_t rc = sq_check_fields(f, WX_ARRAY_LEN(f), err);
    if (rc != WX_OK || (rc = sq_require("pool id", in->pool_id, err)) != WX_OK ||
        (rc = sq_require("WeChat App ID", in->appid, err)) != WX_OK ||
        (rc = sq_require("openid", in->openid, err)) != WX_OK)
        return rc;
    if (in->gender && *in->gender && strcmp(in->gender, "M") != 0 && strcmp(in->gender, "F") != 0 &&
        strcmp(in->gender, "U") != 0)
        return wx_err_set(err, WX_EINVAL, "gender must be M, F or U");
    return WX_OK;
}

/* The identity found by (appid, openid): its user, pool and stored unionid. */
typedef struct {
    char user_id[STORE_ID_MAX];
    char pool_id[STORE_ID_MAX];
    char unionid[STORE_OPENID_MAX];
} users_ident_t;

static void
users_fill_ident(sq_row_t *r, void *out)
{
    users_ident_t *i = out;
    sq_text(r, 0, i->user_id, sizeof(i->user_id));
    sq_text(r, 1, i->pool_id, sizeof(i->pool_id));
    sq_text(r, 2, i->unionid, sizeof(i->unionid));
}

static void
users_fill_user_id(sq_row_t *r, void *out)
{
    users_ident_t *i = out;
    sq_text(r, 0, i->user_id, sizeof(i->user_id));
}

/* Find whose login this is: the identity's user, else (with a unionid) the user of the same
 * pool holding that unionid. id->user_id stays "" when neither exists. */
static wx_status_t
users_login_find(store_t *st, const store_wechat_login_t *in, users_ident_t *id,
                 bool *have_identity, wx_err_t *err)
{
    bool found = false;
    memset(id, 0, sizeof(*id));
    *have_identity = false;
    wx_status_t rc = sq_one(st, STMT_IDENT_FIND, SQ_ARGS(DB_TEXT(in->appid), DB_TEXT(in->openid)),
                            users_fill_ident, id, &found, err);
    if (rc != WX_OK)
        return rc;
    if (found) {
        /* (appid, openid) is unique across pools: never log into another pool's user. */
        if (strcmp(id->pool_id, in->pool_id) != 0) {
            rc = wx_err_set(err, WX_EEXIST,
                            "this WeChat account is already linked to another user pool");
            wx_err_detail(err, "appid %s openid belongs to pool %s", in->appid, id->pool_id);
            return rc;
        }
        *have_identity = true;
        return WX_OK;
    }
    if (!in->unionid || !*in->unionid)
        return WX_OK;
    memset(id, 0, sizeof(*id));
    return sq_one(st, STMT_IDENT_BY_UNIONID, SQ_ARGS(DB_TEXT(in->pool_id), DB_TEXT(in->unionid)),
                  users_fill_user_id, id, &found, err);
}

static wx_status_t
users_create(store_t *st, const store_wechat_login_t *in, char *user_id, wx_err_t *err)
{
    char username[STORE_NAME_MAX];
    bool found = false;
    int64_t one = 0;
    wx_status_t rc = sq_int(st, STMT_POOL_EXISTS, SQ_ARGS(DB_TEXT(in->pool_id)), &one, &found, err);
    if (rc != WX_OK)
        return rc;
    if (!found)
        return wx_err_set(err, WX_ENOENT, "no such pool '%s'", in->pool_id);
    if ((rc = wx_rand_hex(user_id, 12)) != WX_OK)
        return wx_err_set(err, rc, "could not draw a user id");
    if ((rc = users_username_pick(st, in, username, sizeof(username), err)) != WX_OK)
        return rc;
    return sq_run(
        st, STMT_USER_INSERT,
        SQ_ARGS(DB_TEXT(user_id), DB_TEXT(in->pool_id), DB_TEXT(username), DB_INT(in->now)), NULL,
        NULL, err, "user insert");
}

static wx_status_t
users_identity_save(store_t *st, const store_wechat_login_t *in, const char *user_id,
                    bool have_identity, const char *stored_unionid, wx_err_t *err)
{
    if (have_identity &&
        (!in->unionid || !*in->unionid || strcmp(in->unionid, stored_unionid) == 0))
        return sq_run(st, STMT_IDENT_TOUCH,
                      SQ_ARGS(DB_TEXT(in->appid), DB_TEXT(in->openid), DB_TEXT(in->provider),
                              DB_TEXT(in->raw_profile), DB_INT(in->now)),
                      NULL, NULL, err, "identity save");
    if (have_identity)
        return sq_run(st, STMT_IDENT_UPDATE,
                      SQ_ARGS(DB_TEXT(in->appid), DB_TEXT(in->openid), DB_TEXT(in->provider),
                              DB_TEXT(in->unionid), DB_TEXT(in->raw_profile), DB_INT(in->now)),
                      NULL, NULL, err, "identity save");
    return sq_run(st, STMT_IDENT_INSERT,
                  SQ_ARGS(DB_TEXT(user_id), DB_TEXT(in->pool_id), DB_TEXT(in->provider),
                          DB_TEXT(in->appid), DB_TEXT(in->openid), DB_TEXT(in->unionid),
                          DB_TEXT(in->raw_profile), DB_INT(in->now)),
                  NULL, NULL, err, "identity save");
}

static wx_status_t
users_read(store_t *st, const char *pool_id, const char *id, store_user_t *out, bool *found,
           wx_err_t *err)
{
    return sq_one(st, STMT_USER_GET, SQ_ARGS(DB_TEXT(pool_id), DB_TEXT(id)), sq_fill_user, out,
                  found, err);
}

static wx_status_t
users_upsert_once(store_t *st, const store_wechat_login_t *in, store_user_t *out, bool *created,
                  wx_err_t *err)
{
    users_ident_t id;
    bool in_tx = false, have_identity = false, found = false, made = false;
    int64_t blocked = 0;
    store_user_t row = {0}; /* not out: in's strings may point into it */
    wx_status_t rc;
    if ((rc = users_login_check(in, err)) != WX_OK)
        goto out;
    if ((rc = sq_begin(st, err)) != WX_OK)
        goto out;
    in_tx = true;
    if ((rc = users_login_find(st, in, &id, &have_identity, err)) != WX_OK)
        goto out;
    if (id.user_id[0]) {
        rc = sq_int(st, STMT_USER_BLOCKED, SQ_ARGS(DB_TEXT(id.user_id)), &blocked, &found, err);
        if (rc != WX_OK)
            goto out;
        if (!found) {
            rc = wx_err_set(err, WX_ESTORE, "storage error");
            wx_err_detail(err, "identity points at missing user %s", id.user_id);
            goto out;
        }
        if (blocked) {
            rc = wx_err_set(err, WX_EDENIED, "this account has been blocked");
            wx_err_detail(err, "user %s of pool %s is blocked", id.user_id, in->pool_id);
            goto out;
        }
    } else {
        if ((rc = users_create(st, in, id.user_id, err)) != WX_OK)
            goto out;
        made = true;
    }
    if ((rc = users_identity_save(st, in, id.user_id, have_identity, id.unionid, err)) != WX_OK)
        goto out;
    rc = sq_run(st, STMT_USER_LOGIN,
                SQ_ARGS(DB_TEXT(id.user_id), DB_TEXT(in->nickname), DB_TEXT(in->photo),
                        DB_TEXT(in->gender), DB_TEXT(in->country), DB_TEXT(in->province),
                        DB_TEXT(in->city), DB_TEXT(in->ip), DB_INT(in->now)),
                NULL, NULL, err, "user login update");
    if (rc != WX_OK || (rc = users_read(st, in->pool_id, id.user_id, &row, &found, err)) != WX_OK)
        goto out;
    if (!found) {
        rc = wx_err_set(err, WX_ESTORE, "storage error");
        wx_err_detail(err, "user %s vanished inside its own transaction", id.user_id);
        goto out;
    }
    /* Report the identity of this login, not whichever the user used last elsewhere. */
    wx_strlcpy(row.openid, in->openid, sizeof(row.openid));
    wx_strlcpy(row.unionid, in->unionid && *in->unionid ? in->unionid : id.unionid,
               sizeof(row.unionid));
out:
    rc = sq_end(st, in_tx, rc, err);
    if (rc == WX_OK)
        *out = row;
    else
        memset(out, 0, sizeof(*out));
    if (created)
        *created = rc == WX_OK && made;
    return rc;
}

/* Where a database lets two transactions read before either writes (PostgreSQL; several
 * nodes), the first login of one person on two nodes at once, or two new users picking the same
 * username, makes one insert fail on a unique key. Its transaction is undone, and a second try
 * finds what the other committed. */
wx_status_t
store_user_upsert_wechat(store_t *st, const store_wechat_login_t *in, store_user_t *out,
                         bool *created, wx_err_t *err)
{
    wx_status_t rc = WX_OK;
    for (int attempt = 0; attempt < USERS_UPSERT_TRIES; attempt++) {
        st->last_db = DB_OK;
        rc = users_upsert_once(st, in, out, created, err);
        if (rc == WX_OK || (st->last_db != DB_EUNIQUE && st->last_db != DB_ERETRY))
            break;
    }
    return rc;
}

static wx_status_t
users_import_check(const store_user_import_t *in, wx_err_t *err)
{
    const sq_field_t f[] = {
        {"pool id", in->pool_id, STORE_ID_MAX},
        {"user id", in->id, STORE_ID_MAX},
        {"username", in->username, STORE_NAME_MAX},
        {"nickname", in->nickname, STORE_NAME_MAX},
        {"photo URL", in->photo, STORE_URL_MAX},
        {"gender", in->gender, sizeof(((store_user_t *)0)->gender)},
        {"country", in->country, STORE_NAME_MAX},
        {"province", in->province, STORE_NAME_MAX},
        {"city", in->city, STORE_NAME_MAX},
        {"connection identifier", in->provider, STORE_IDENT_MAX},
        {"WeChat App ID", in->appid, STORE_ID_MAX},
        {"openid", in->openid, STORE_OPENID_MAX},
        {"unionid", in->unionid, STORE_OPENID_MAX},
    };
    wx_status_t rc = sq_check_fields(f, WX_ARRAY_LEN(f), err);
    if (rc != WX_OK || (rc = sq_require("pool id", in->pool_id, err)) != WX_OK ||
        (rc = sq_require("WeChat App ID", in->appid, err)) != WX_OK ||
        (rc = sq_require("openid", in->openid, err)) != WX_OK)
        return rc;
    if (in->gender && *in->gender && strcmp(in->gender, "M") != 0 && strcmp(in->gender, "F") != 0 &&
        strcmp(in->gender, "U") != 0)
        return wx_err_set(err, WX_EINVAL, "gender must be M, F or U");
    return WX_OK;
}

static void
users_fill_pool(sq_row_t *r, void *out)
{
    users_ident_t *i = out;
    sq_text(r, 0, i->pool_id, sizeof(i->pool_id));
}

/* The user the import names, or a new one. */
static wx_status_t
users_import_insert(store_t *st, const store_user_import_t *in, const char *id, wx_err_t *err)
{
    char username[STORE_NAME_MAX];
    const char *nick = in->nickname ? in->nickname : "";
    store_wechat_login_t pick = {.pool_id = in->pool_id,
                                 .openid = in->openid,
                                 .nickname = in->username && *in->username ? in->username : nick};
    bool found = false;
    int64_t one = 0;
    wx_status_t rc = sq_int(st, STMT_POOL_EXISTS, SQ_ARGS(DB_TEXT(in->pool_id)), &one, &found, err);
    if (rc != WX_OK)
        return rc;
    if (!found)
        return wx_err_set(err, WX_ENOENT, "no such pool '%s'", in->pool_id);
    if ((rc = users_username_pick(st, &pick, username, sizeof(username), err)) != WX_OK)
        return rc;
    int64_t created = in->created_at > 0 ? in->created_at : in->now;
    return sq_run(st, STMT_USER_IMPORT,
                  SQ_ARGS(DB_TEXT(id), DB_TEXT(in->pool_id), DB_TEXT(username), DB_TEXT(nick),
                          DB_TEXT(in->photo), DB_TEXT(in->gender && *in->gender ? in->gender : "U"),
                          DB_TEXT(in->country), DB_TEXT(in->province), DB_TEXT(in->city),
                          DB_INT(in->logins_count), DB_INT(in->last_login), DB_INT(created),
                          DB_INT(in->now), DB_INT(in->blocked ? 1 : 0)),
                  NULL, NULL, err, "user import");
}

wx_status_t
store_user_import(store_t *st, const store_user_import_t *in, store_import_outcome_t *outcome,
                  char *id_out, wx_err_t *err)
{
    users_ident_t ident, owner;
    char id[STORE_ID_MAX] = "";
    bool in_tx = false, found = false;
    wx_status_t rc;
    *outcome = 0;
    if ((rc = users_import_check(in, err)) != WX_OK)
        goto out;
    if ((rc = sq_begin(st, err)) != WX_OK)
        goto out;
    in_tx = true;
    memset(&ident, 0, sizeof(ident));
    rc = sq_one(st, STMT_IDENT_FIND, SQ_ARGS(DB_TEXT(in->appid), DB_TEXT(in->openid)),
                users_fill_ident, &ident, &found, err);
    if (rc != WX_OK)
        goto out;
    if (found) { /* already here: the same user (a rerun) or a conflict */
        if (strcmp(ident.pool_id, in->pool_id) != 0 ||
            (in->id && *in->id && strcmp(ident.user_id, in->id) != 0)) {
            rc = wx_err_set(err, WX_EEXIST, "this openid already belongs to user %s of pool %s",
                            ident.user_id, ident.pool_id);
            goto out;
        }
        wx_strlcpy(id, ident.user_id, sizeof(id));
        *outcome = STORE_IMPORT_EXISTS;
        goto out;
    }
    if (in->id && *in->id) {
        wx_strlcpy(id, in->id, sizeof(id));
        memset(&owner, 0, sizeof(owner));
        rc = sq_one(st, STMT_USER_POOL_OF, SQ_ARGS(DB_TEXT(id)), users_fill_pool, &owner, &found,
                    err);
        if (rc != WX_OK)
            goto out;
        if (found && strcmp(owner.pool_id, in->pool_id) != 0) {
            rc = wx_err_set(err, WX_EEXIST, "user id %s already belongs to pool %s", id,
                            owner.pool_id);
            goto out;
        }
    } else {
        found = false;
        if ((rc = wx_rand_hex(id, 12)) != WX_OK) {
            rc = wx_err_set(err, rc, "could not draw a user id");
            goto out;
        }
    }
    if (!found && (rc = users_import_insert(st, in, id, err)) != WX_OK)
        goto out;
    rc =
        sq_run(st, STMT_IDENT_INSERT,
               SQ_ARGS(DB_TEXT(id), DB_TEXT(in->pool_id), DB_TEXT(in->provider), DB_TEXT(in->appid),
                       DB_TEXT(in->openid), DB_TEXT(in->unionid), DB_TEXT(""), DB_INT(in->now)),
               NULL, NULL, err, "identity import");
    if (rc == WX_OK)
        *outcome = found ? STORE_IMPORT_LINKED : STORE_IMPORT_CREATED;
out:
    rc = sq_end(st, in_tx, rc, err);
    if (rc != WX_OK)
        *outcome = 0;
    if (id_out)
        wx_strlcpy(id_out, rc == WX_OK ? id : "", STORE_ID_MAX);
    return rc;
}

wx_status_t
store_identity_profile(store_t *st, const char *appid, const char *openid, char *raw, size_t n,
                       wx_err_t *err)
{
    sq_buf_t b = {raw, n};
    bool found = false;
    wx_status_t rc = WX_OK;
    if (n == 0)
        return wx_err_set(err, WX_EINVAL, "no room for the profile");
    raw[0] = '\0';
    if (sq_key_ok(appid, STORE_ID_MAX) && sq_key_ok(openid, STORE_OPENID_MAX))
        rc = sq_one(st, STMT_IDENT_PROFILE, SQ_ARGS(DB_TEXT(appid), DB_TEXT(openid)), sq_fill_buf,
                    &b, &found, err);
    if (rc == WX_OK && !found)
        rc = wx_err_set(err, WX_ENOENT, "no identity for this openid");
    return rc;
}

wx_status_t
store_user_get(store_t *st, const char *pool_id, const char *id, store_user_t *out, wx_err_t *err)
{
    bool found = false;
    wx_status_t rc = WX_OK;
    if (sq_key_ok(pool_id, STORE_ID_MAX) && sq_key_ok(id, STORE_ID_MAX))
        rc = users_read(st, pool_id, id, out, &found, err);
    if (rc == WX_OK && !found)
        rc = wx_err_set(err, WX_ENOENT, "no such user '%.64s' in pool '%.64s'", id ? id : "",
                        pool_id ? pool_id : "");
    if (rc != WX_OK)
        memset(out, 0, sizeof(*out));
    return rc;
}

/* An UPDATE or DELETE of one user; WX_ENOENT when there is no such user in the pool. */
static wx_status_t
users_change(store_t *st, sql_stmt_t stmt, const db_arg_t *args, size_t nargs, const char *pool_id,
             const char *id, wx_err_t *err, const char *what)
{
    int64_t changes = 0;
    wx_status_t rc = WX_OK;
    if (sq_key_ok(pool_id, STORE_ID_MAX) && sq_key_ok(id, STORE_ID_MAX))
        rc = sq_run(st, stmt, args, nargs, NULL, &changes, err, what);
    if (rc == WX_OK && changes == 0)
        rc = wx_err_set(err, WX_ENOENT, "no such user '%.64s' in pool '%.64s'", id ? id : "",
                        pool_id ? pool_id : "");
    return rc;
}

wx_status_t
store_user_set_blocked(store_t *st, const char *pool_id, const char *id, bool blocked,
                       wx_err_t *err)
{
    return users_change(
        st, STMT_USER_SET_BLOCKED,
        SQ_ARGS(DB_TEXT(pool_id), DB_TEXT(id), DB_INT(blocked ? 1 : 0), DB_INT(wx_now())), pool_id,
        id, err, "user set blocked");
}

wx_status_t
store_user_delete(store_t *st, const char *pool_id, const char *id, wx_err_t *err)
{
    return users_change(st, STMT_USER_DELETE, SQ_ARGS(DB_TEXT(pool_id), DB_TEXT(id)), pool_id, id,
                        err, "user delete");
}

wx_status_t
store_user_revoke_tokens(store_t *st, const char *pool_id, const char *id, int64_t at,
                         wx_err_t *err)
{
    return users_change(st, STMT_USER_REVOKE_TOKENS,
                        SQ_ARGS(DB_TEXT(pool_id), DB_TEXT(id), DB_INT(at)), pool_id, id, err,
                        "user revoke tokens");
}

wx_status_t
store_user_count(store_t *st, const char *pool_id, int64_t *out, wx_err_t *err)
{
    *out = 0;
    if (!sq_key_ok(pool_id, STORE_ID_MAX))
        return WX_OK;
    return sq_int(st, STMT_USER_COUNT, SQ_ARGS(DB_TEXT(pool_id)), out, NULL, err);
}

/* "%" + search with LIKE's wildcards escaped + "%". */
static bool
users_like_pattern(const char *search, char *out, size_t n)
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

typedef struct {
    bool (*user)(const store_user_t *, void *);
    bool (*ident)(const store_identity_t *, void *);
    void *arg;
} users_emit_t;

static bool
users_emit_user(void *item, void *ctx)
{
    const users_emit_t *e = ctx;
    return e->user(item, e->arg);
}

static bool
users_emit_ident(void *item, void *ctx)
{
    const users_emit_t *e = ctx;
    return e->ident(item, e->arg);
}

static void
users_fill_identity(sq_row_t *r, void *out)
{
    store_identity_t *i = out;
    memset(i, 0, sizeof(*i));
    sq_text(r, 0, i->provider, sizeof(i->provider));
    sq_text(r, 1, i->appid, sizeof(i->appid));
    sq_text(r, 2, i->openid, sizeof(i->openid));
    sq_text(r, 3, i->unionid, sizeof(i->unionid));
    i->created_at = sq_i64(r, 4);
    i->updated_at = sq_i64(r, 5);
}

wx_status_t
store_user_list(store_t *st, const store_user_query_t *q, bool (*fn)(const store_user_t *, void *),
                void *arg, int64_t *total, wx_err_t *err)
{
    users_emit_t e = {.user = fn, .arg = arg};
    char like[2 * STORE_NAME_MAX + 3];
    const char *search = q->search ? q->search : "";
    *total = 0;
    if (strlen(search) >= STORE_NAME_MAX || !users_like_pattern(search, like, sizeof(like)))
        return wx_err_set(err, WX_EINVAL, "search text is too long");
    if (q->limit < 1 || q->limit > 1000 || q->offset < 0)
        return wx_err_set(err, WX_EINVAL, "limit must be 1..1000 and offset >= 0");
    wx_status_t rc =
        sq_int(st, STMT_USER_LIST_COUNT,
               SQ_ARGS(DB_TEXT(q->pool_id), DB_TEXT(search), DB_TEXT(like)), total, NULL, err);
    if (rc == WX_OK)
        rc = sq_each(st, STMT_USER_LIST,
                     SQ_ARGS(DB_TEXT(q->pool_id), DB_TEXT(search), DB_TEXT(like), DB_INT(q->limit),
                             DB_INT(q->offset)),
                     sizeof(store_user_t), sq_fill_user, users_emit_user, &e, err);
    return rc;
}

wx_status_t
store_user_identities(store_t *st, const char *user_id,
                      bool (*fn)(const store_identity_t *, void *), void *arg, wx_err_t *err)
{
    users_emit_t e = {.ident = fn, .arg = arg};
    return sq_each(st, STMT_USER_IDENTITIES, SQ_ARGS(DB_TEXT(user_id)), sizeof(store_identity_t),
                   users_fill_identity, users_emit_ident, &e, err);
}

wx_status_t
store_token_revoked(store_t *st, const char *jti, const char *pool_id, const char *sub, int64_t iat,
                    bool *out, wx_err_t *err)
{
    int64_t v = 1;
    bool found = false;
    *out = true; /* refuse unless the store says otherwise */
    wx_status_t rc =
        sq_int(st, STMT_TOKEN_REVOKED,
               SQ_ARGS(DB_TEXT(jti), DB_TEXT(pool_id), DB_TEXT(sub), DB_INT(iat)), &v, &found, err);
    if (rc == WX_OK && found)
        *out = v != 0;
    return rc;
}
