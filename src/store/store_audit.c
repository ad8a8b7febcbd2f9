/* The audit trail: who did what, when, with what outcome (store.h). */
#include "query.h"

#include <string.h>

#include "../util/clock.h"

wx_status_t
store_audit_add(store_t *st, const store_audit_t *a, wx_err_t *err)
{
    const sq_field_t f[] = {
        {"audit pool id", a->pool_id, STORE_ID_MAX},
        {"audit actor", a->actor, STORE_AUDIT_FIELD_MAX},
        {"audit action", a->action, STORE_AUDIT_FIELD_MAX},
        {"audit subject", a->subject, STORE_AUDIT_FIELD_MAX},
        {"audit outcome", a->outcome, STORE_AUDIT_FIELD_MAX},
    };
    wx_status_t rc = sq_check_fields(f, WX_ARRAY_LEN(f), err);
    if (rc != WX_OK || (rc = sq_require("audit action", a->action, err)) != WX_OK)
        return rc;
    return sq_run(st, STMT_AUDIT_ADD,
                  SQ_ARGS(DB_INT(a->at > 0 ? a->at : wx_now()), DB_TEXT(a->pool_id),
                          DB_TEXT(a->actor), DB_TEXT(a->action), DB_TEXT(a->subject),
                          DB_TEXT(a->outcome)),
                  NULL, NULL, err, "audit add");
}

wx_status_t
store_audit_count(store_t *st, const char *action, int64_t *out, wx_err_t *err)
{
    *out = 0;
    if (!action || !*action)
        return wx_err_set(err, WX_EINVAL, "audit action is required");
    if (strnlen(action, STORE_AUDIT_FIELD_MAX) >= STORE_AUDIT_FIELD_MAX)
        return WX_OK; /* longer than any stored action: none match */
    return sq_int(st, STMT_AUDIT_COUNT, SQ_ARGS(DB_TEXT(action)), out, NULL, err);
}

static void
audit_fill(sq_row_t *r, void *out)
{
    store_audit_row_t *a = out;
    memset(a, 0, sizeof(*a));
    a->id = sq_i64(r, 0);
    a->at = sq_i64(r, 1);
    sq_text(r, 2, a->pool_id, sizeof(a->pool_id));
    sq_text(r, 3, a->actor, sizeof(a->actor));
    sq_text(r, 4, a->action, sizeof(a->action));
    sq_text(r, 5, a->subject, sizeof(a->subject));
    sq_text(r, 6, a->outcome, sizeof(a->outcome));
}

typedef struct {
    bool (*fn)(const store_audit_row_t *, void *);
    void *arg;
} audit_emit_t;

static bool
audit_emit(void *item, void *ctx)
{
    const audit_emit_t *e = ctx;
    return e->fn(item, e->arg);
}

wx_status_t
store_audit_list(store_t *st, const store_audit_query_t *q,
                 bool (*fn)(const store_audit_row_t *, void *), void *arg, int64_t *total,
                 wx_err_t *err)
{
    audit_emit_t e = {fn, arg};
    *total = 0;
    if (q->limit < 1 || q->limit > 1000 || q->offset < 0)
        return wx_err_set(err, WX_EINVAL, "limit must be 1..1000 and offset >= 0");
    wx_status_t rc = sq_int(st, STMT_AUDIT_LIST_COUNT,
                            SQ_ARGS(DB_TEXT(q->pool_id), DB_TEXT(q->action), DB_TEXT(q->actor),
                                    DB_INT(q->since), DB_INT(q->until)),
                            total, NULL, err);
    if (rc == WX_OK)
        rc = sq_each(st, STMT_AUDIT_LIST,
                     SQ_ARGS(DB_TEXT(q->pool_id), DB_TEXT(q->action), DB_TEXT(q->actor),
                             DB_INT(q->since), DB_INT(q->until), DB_INT(q->limit),
                             DB_INT(q->offset)),
                     sizeof(store_audit_row_t), audit_fill, audit_emit, &e, err);
    return rc;
}

static void
stat_fill(sq_row_t *r, void *out)
{
    store_login_stat_t *s = out;
    memset(s, 0, sizeof(*s));
    s->hour = sq_i64(r, 0);
    sq_text(r, 1, s->outcome, sizeof(s->outcome));
    s->count = sq_i64(r, 2);
}

typedef struct {
    bool (*fn)(const store_login_stat_t *, void *);
    void *arg;
} stat_emit_t;

static bool
stat_emit(void *item, void *ctx)
{
    const stat_emit_t *e = ctx;
    return e->fn(item, e->arg);
}

wx_status_t
store_login_stats(store_t *st, const char *pool_id, int64_t since,
                  bool (*fn)(const store_login_stat_t *, void *), void *arg, wx_err_t *err)
{
    stat_emit_t e = {fn, arg};
    if (!sq_key_ok(pool_id, STORE_ID_MAX))
        return WX_OK;
    return sq_each(st, STMT_LOGIN_STATS, SQ_ARGS(DB_TEXT(pool_id), DB_INT(since)),
                   sizeof(store_login_stat_t), stat_fill, stat_emit, &e, err);
}
