/* The helpers every store operation is written with (query.h): one way to run a statement,
 * read rows, map columns into fixed fields and check input sizes, whatever the driver. */
#include "query.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "../util/utf8.h"

wx_status_t
sq_fail(store_t *st, db_rc_t rc, wx_err_t *err, const char *what)
{
    wx_status_t s;
    st->last_db = rc;
    if (rc == DB_EBUSY || rc == DB_ERETRY)
        s = wx_err_set(err, WX_EBUSY, "storage busy, please try again");
    else if (rc == DB_ENOMEM)
        s = wx_err_set(err, WX_ENOMEM, "out of memory");
    else
        s = wx_err_set(err, WX_ESTORE, "storage error");
    wx_err_detail(err, "%s %s: %s", st->drv->name, what, st->drv->errmsg(st->db));
    return s;
}

static wx_status_t
sq_start(store_t *st, sql_stmt_t id, const db_arg_t *args, size_t nargs, bool guard, db_rc_t *cls,
         wx_err_t *err, const char *what)
{
    /* Text the backends would treat differently (PostgreSQL refuses it, SQLite keeps it) is
     * refused here, the same for both; fields with a name are checked before, with it. */
    for (size_t i = 0; i < nargs; i++)
        if (args[i].is_text && !wx_utf8_valid(args[i].text, strlen(args[i].text))) {
            if (cls)
                *cls = DB_EFAIL;
            return wx_err_set(err, WX_EINVAL, "text is not valid UTF-8 (%s)", what);
        }
    db_rc_t rc = st->drv->query(st->db, (int)id, sql_text[id], args, nargs, guard);
    if (cls)
        *cls = rc;
    return rc == DB_OK ? WX_OK : sq_fail(st, rc, err, what);
}

/* Step once: *found is true on a row. */
static wx_status_t
sq_step(store_t *st, bool *found, db_rc_t *cls, wx_err_t *err, const char *what)
{
    db_rc_t rc = st->drv->step(st->db);
    *found = rc == DB_ROW;
    if (cls)
        *cls = rc == DB_ROW || rc == DB_DONE ? DB_OK : rc;
    if (rc == DB_ROW || rc == DB_DONE)
        return WX_OK;
    return sq_fail(st, rc, err, what);
}

wx_status_t
sq_run(store_t *st, sql_stmt_t id, const db_arg_t *args, size_t nargs, db_rc_t *cls,
       int64_t *changes, wx_err_t *err, const char *what)
{
    bool row = false;
    /* A write that fails (a constraint) must leave the caller's open transaction usable. Only
     * a statement run directly in the outermost transaction needs its own guard: deeper, the
     * operation or the writer's job already has a savepoint that undoes it (on PostgreSQL each
     * guard is a subtransaction, and a backend caches only 64 of them). A read that fails means
     * the connection is in trouble anyway. */
    wx_status_t rc = sq_start(st, id, args, nargs, st->depth == 1, cls, err, what);
    if (changes)
        *changes = 0;
    if (rc == WX_OK)
        rc = sq_step(st, &row, cls, err, what);
    if (rc == WX_OK && changes)
        *changes = st->drv->changes(st->db);
    st->drv->reset(st->db);
    return rc;
}

/* A stored value longer than its field is refused, never cut. */
static wx_status_t
sq_row_check(const sq_row_t *r, wx_err_t *err)
{
    if (r->bad_col < 0)
        return WX_OK;
    wx_err_set(err, WX_ETOOBIG, "a stored value is too long");
    wx_err_detail(err, "column '%s' does not fit its field",
                  r->st->drv->col_name(r->st->db, r->bad_col));
    return WX_ETOOBIG;
}

wx_status_t
sq_one(store_t *st, sql_stmt_t id, const db_arg_t *args, size_t nargs, sq_fill_fn fill, void *out,
       bool *found, wx_err_t *err)
{
    wx_status_t rc = sq_start(st, id, args, nargs, false, NULL, err, "query");
    *found = false;
    if (rc == WX_OK)
        rc = sq_step(st, found, NULL, err, "step");
    if (rc == WX_OK && *found) {
        sq_row_t r = {st, -1};
        fill(&r, out);
        rc = sq_row_check(&r, err);
    }
    st->drv->reset(st->db);
    return rc;
}

static void
sq_fill_int(sq_row_t *r, void *out)
{
    *(int64_t *)out = sq_i64(r, 0);
}

wx_status_t
sq_int(store_t *st, sql_stmt_t id, const db_arg_t *args, size_t nargs, int64_t *out, bool *found,
       wx_err_t *err)
{
    bool any = false;
    *out = 0;
    wx_status_t rc = sq_one(st, id, args, nargs, sq_fill_int, out, &any, err);
    if (found)
        *found = any;
    return rc;
}

wx_status_t
sq_pending_count(store_t *st, sql_stmt_t by_ip, sql_stmt_t all, size_t ip_max,
                 const char *client_ip, int64_t now, int64_t limit, int64_t *count, wx_err_t *err)
{
    bool found = false;
    wx_status_t rc;
    *count = 0;
    if (client_ip && !sq_key_ok(client_ip, ip_max))
        return wx_err_set(err, WX_ETOOBIG, "client address is too long");
    if (client_ip)
        rc = sq_int(st, by_ip, SQ_ARGS(DB_TEXT(client_ip), DB_INT(now), DB_INT(limit)), count,
                    &found, err);
    else
        rc = sq_int(st, all, SQ_ARGS(DB_INT(now), DB_INT(limit)), count, &found, err);
    if (rc == WX_OK && !found)
        *count = 0;
    return rc;
}

wx_status_t
sq_each(store_t *st, sql_stmt_t id, const db_arg_t *args, size_t nargs, size_t item_size,
        sq_fill_fn fill, bool (*emit)(void *item, void *ctx), void *ctx, wx_err_t *err)
{
    bool found = true;
    void *item = malloc(item_size);
    wx_status_t rc = WX_OK;
    if (!item) {
        rc = wx_err_set(err, WX_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = sq_start(st, id, args, nargs, false, NULL, err, "query")) != WX_OK)
        goto out;
    while ((rc = sq_step(st, &found, NULL, err, "step")) == WX_OK && found) {
        sq_row_t r = {st, -1};
        fill(&r, item);
        if ((rc = sq_row_check(&r, err)) != WX_OK || !emit(item, ctx))
            break;
    }
out:
    st->drv->reset(st->db);
    if (item) {
        OPENSSL_cleanse(item, item_size); /* rows may hold secrets (keys, connections) */
        free(item);
    }
    return rc;
}

void
sq_text(sq_row_t *r, int col, char *dst, size_t n)
{
    size_t len = 0;
    const char *t = r->st->drv->col_text(r->st->db, col, &len);
    dst[0] = '\0';
    if (!t)
        return; /* SQL NULL: "" */
    if (len >= n) {
        if (r->bad_col < 0)
            r->bad_col = col;
        return;
    }
    memcpy(dst, t, len);
    dst[len] = '\0';
}

void
sq_fill_buf(sq_row_t *r, void *out)
{
    sq_buf_t *b = out;
    sq_text(r, 0, b->dst, b->n);
}

int64_t
sq_i64(sq_row_t *r, int col)
{
    return r->st->drv->col_int(r->st->db, col);
}

void
sq_fill_pool(sq_row_t *r, void *out)
{
    store_pool_t *p = out;
    memset(p, 0, sizeof(*p));
    sq_text(r, 0, p->id, sizeof(p->id));
    sq_text(r, 1, p->name, sizeof(p->name));
    p->token_ttl = sq_i64(r, 2);
    sq_text(r, 3, p->alg, sizeof(p->alg));
    sq_text(r, 4, p->redirect_urls, sizeof(p->redirect_urls));
    p->created_at = sq_i64(r, 5);
    p->updated_at = sq_i64(r, 6);
    sq_text(r, 7, p->desktop_method, sizeof(p->desktop_method));
}

void
sq_fill_app(sq_row_t *r, void *out)
{
    store_app_t *a = out;
    memset(a, 0, sizeof(*a));
    sq_text(r, 0, a->id, sizeof(a->id));
    sq_text(r, 1, a->pool_id, sizeof(a->pool_id));
    sq_text(r, 2, a->name, sizeof(a->name));
    sq_text(r, 3, a->redirect_urls, sizeof(a->redirect_urls));
    a->created_at = sq_i64(r, 4);
    a->updated_at = sq_i64(r, 5);
    sq_text(r, 6, a->secret, sizeof(a->secret));
    sq_text(r, 7, a->token_alg, sizeof(a->token_alg));
    a->public_client = sq_i64(r, 8) != 0;
    sq_text(r, 9, a->logout_urls, sizeof(a->logout_urls));
    sq_text(r, 10, a->web_origins, sizeof(a->web_origins));
    a->access_ttl = sq_i64(r, 11);
    a->id_ttl = sq_i64(r, 12);
    a->refresh_ttl = sq_i64(r, 13);
}

void
sq_fill_conn(sq_row_t *r, void *out)
{
    store_conn_t *c = out;
    memset(c, 0, sizeof(*c));
    sq_text(r, 0, c->pool_id, sizeof(c->pool_id));
    sq_text(r, 1, c->identifier, sizeof(c->identifier));
    sq_text(r, 2, c->display_name, sizeof(c->display_name));
    sq_text(r, 3, c->appid, sizeof(c->appid));
    sq_text(r, 4, c->app_secret, sizeof(c->app_secret));
    sq_text(r, 5, c->scope, sizeof(c->scope));
    sq_text(r, 6, c->callback_url, sizeof(c->callback_url));
    sq_text(r, 7, c->txt_filename, sizeof(c->txt_filename));
    sq_text(r, 8, c->txt_content, sizeof(c->txt_content));
    c->created_at = sq_i64(r, 9);
    c->updated_at = sq_i64(r, 10);
    sq_text(r, 11, c->type, sizeof(c->type));
    sq_text(r, 12, c->push_token, sizeof(c->push_token));
    sq_text(r, 13, c->push_aes_key, sizeof(c->push_aes_key));
}

void
sq_fill_user(sq_row_t *r, void *out)
{
    store_user_t *u = out;
    memset(u, 0, sizeof(*u));
    sq_text(r, 0, u->id, sizeof(u->id));
    sq_text(r, 1, u->pool_id, sizeof(u->pool_id));
    sq_text(r, 2, u->username, sizeof(u->username));
    sq_text(r, 3, u->nickname, sizeof(u->nickname));
    sq_text(r, 4, u->photo, sizeof(u->photo));
    sq_text(r, 5, u->gender, sizeof(u->gender));
    sq_text(r, 6, u->country, sizeof(u->country));
    sq_text(r, 7, u->province, sizeof(u->province));
    sq_text(r, 8, u->city, sizeof(u->city));
    sq_text(r, 9, u->last_ip, sizeof(u->last_ip));
    u->logins_count = sq_i64(r, 10);
    u->last_login = sq_i64(r, 11);
    u->created_at = sq_i64(r, 12);
    u->updated_at = sq_i64(r, 13);
    u->blocked = sq_i64(r, 14) != 0;
    sq_text(r, 15, u->openid, sizeof(u->openid));
    sq_text(r, 16, u->unionid, sizeof(u->unionid));
}

void
sq_fill_state(sq_row_t *r, void *out)
{
    store_state_t *s = out;
    memset(s, 0, sizeof(*s));
    sq_text(r, 0, s->id, sizeof(s->id));
    sq_text(r, 1, s->pool_id, sizeof(s->pool_id));
    sq_text(r, 2, s->conn_identifier, sizeof(s->conn_identifier));
    sq_text(r, 3, s->app_id, sizeof(s->app_id));
    sq_text(r, 4, s->redirect, sizeof(s->redirect));
    sq_text(r, 5, s->browser, sizeof(s->browser));
    sq_text(r, 6, s->scope, sizeof(s->scope));
    sq_text(r, 7, s->options, sizeof(s->options));
    s->created_at = sq_i64(r, 8);
    s->expires_at = sq_i64(r, 9);
    s->claimed_at = sq_i64(r, 10);
    s->status = (store_state_status_t)sq_i64(r, 11);
    sq_text(r, 12, s->result, sizeof(s->result));
    sq_text(r, 13, s->claim_owner, sizeof(s->claim_owner));
    sq_text(r, 14, s->oidc, sizeof(s->oidc));
    sq_text(r, 15, s->client_ip, sizeof(s->client_ip));
}

void
sq_fill_ticket(sq_row_t *r, void *out)
{
    store_ticket_t *t = out;
    memset(t, 0, sizeof(*t));
    sq_text(r, 0, t->id, sizeof(t->id));
    sq_text(r, 1, t->pool_id, sizeof(t->pool_id));
    sq_text(r, 2, t->conn_identifier, sizeof(t->conn_identifier));
    sq_text(r, 3, t->app_id, sizeof(t->app_id));
    sq_text(r, 4, t->redirect, sizeof(t->redirect));
    sq_text(r, 5, t->scope, sizeof(t->scope));
    sq_text(r, 6, t->options, sizeof(t->options));
    sq_text(r, 7, t->oidc, sizeof(t->oidc));
    sq_text(r, 8, t->method, sizeof(t->method));
    sq_text(r, 9, t->site, sizeof(t->site));
    sq_text(r, 10, t->browser, sizeof(t->browser));
    sq_text(r, 11, t->client_ip, sizeof(t->client_ip));
    sq_text(r, 12, t->desktop_ip, sizeof(t->desktop_ip));
    sq_text(r, 13, t->desktop_ua, sizeof(t->desktop_ua));
    t->created_at = sq_i64(r, 14);
    t->expires_at = sq_i64(r, 15);
    t->status = (store_ticket_status_t)sq_i64(r, 16);
    sq_text(r, 17, t->phone_state, sizeof(t->phone_state));
    sq_text(r, 18, t->phone_browser, sizeof(t->phone_browser));
    sq_text(r, 19, t->record, sizeof(t->record));
    t->scanned_at = sq_i64(r, 20);
    t->decided_at = sq_i64(r, 21);
}

void
sq_fill_key(sq_row_t *r, void *out)
{
    store_key_t *k = out;
    memset(k, 0, sizeof(*k));
    sq_text(r, 0, k->kid, sizeof(k->kid));
    sq_text(r, 1, k->alg, sizeof(k->alg));
    sq_text(r, 2, k->private_pem, sizeof(k->private_pem));
    k->created_at = sq_i64(r, 3);
    k->retired_at = sq_i64(r, 4);
    k->publish_until = sq_i64(r, 5);
}

wx_status_t
sq_check_fields(const sq_field_t *f, size_t count, wx_err_t *err)
{
    for (size_t i = 0; i < count; i++) {
        size_t n = f[i].value ? strnlen(f[i].value, f[i].size) : 0;
        if (n >= f[i].size)
            return wx_err_set(err, WX_ETOOBIG, "%s is too long (at most %zu bytes)", f[i].what,
                              f[i].size - 1);
        if (!wx_utf8_valid(f[i].value, n))
            return wx_err_set(err, WX_EINVAL, "%s is not valid UTF-8 text", f[i].what);
    }
    return WX_OK;
}

wx_status_t
sq_require(const char *what, const char *value, wx_err_t *err)
{
    if (!value || !*value)
        return wx_err_set(err, WX_EINVAL, "%s is required", what);
    return WX_OK;
}

bool
sq_key_ok(const char *key, size_t size)
{
    return key && *key && strnlen(key, size) < size;
}

bool
sq_random_id_ok(const char *id)
{
    if (!sq_key_ok(id, STORE_ID_MAX))
        return false;
    for (const char *p = id; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
            return false;
    return true;
}
