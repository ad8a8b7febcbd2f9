/* Desktop login tickets (issue #15, store.h): created for a desktop browser, bound to one phone
 * when it logs in (scanned), decided by that phone (or completed by a push event), taken once
 * by the desktop that holds the ticket's binding cookie. Each change is one transaction whose
 * UPDATE names the status it expects, so two nodes racing on one ticket never both win. */
#include "query.h"

#include <stdlib.h>
#include <string.h>

wx_status_t
store_ticket_create(store_t *st, const store_ticket_t *t, wx_err_t *err)
{
    db_rc_t cls = DB_OK;
    const sq_field_t f[] = {
        {"ticket id", t->id, sizeof(t->id)},
        {"ticket pool id", t->pool_id, sizeof(t->pool_id)},
        {"ticket connection", t->conn_identifier, sizeof(t->conn_identifier)},
        {"ticket application id", t->app_id, sizeof(t->app_id)},
        {"ticket redirect", t->redirect, sizeof(t->redirect)},
        {"ticket scope", t->scope, sizeof(t->scope)},
        {"ticket options", t->options, sizeof(t->options)},
        {"ticket OIDC request", t->oidc, sizeof(t->oidc)},
        {"ticket method", t->method, sizeof(t->method)},
        {"ticket site name", t->site, sizeof(t->site)},
        {"ticket browser binding", t->browser, sizeof(t->browser)},
        {"ticket client address", t->client_ip, sizeof(t->client_ip)},
        {"ticket desktop address", t->desktop_ip, sizeof(t->desktop_ip)},
        {"ticket desktop browser", t->desktop_ua, sizeof(t->desktop_ua)},
    };
    wx_status_t rc = sq_check_fields(f, WX_ARRAY_LEN(f), err);
    if (rc != WX_OK || (rc = sq_require("ticket pool id", t->pool_id, err)) != WX_OK ||
        (rc = sq_require("ticket connection", t->conn_identifier, err)) != WX_OK ||
        (rc = sq_require("ticket browser binding", t->browser, err)) != WX_OK)
        return rc;
    if (!sq_random_id_ok(t->id))
        return wx_err_set(err, WX_EINVAL, "ticket id must be 1-63 letters and digits");
    rc = sq_run(st, STMT_TICKET_CREATE,
                SQ_ARGS(DB_TEXT(t->id), DB_TEXT(t->pool_id), DB_TEXT(t->conn_identifier),
                        DB_TEXT(t->app_id), DB_TEXT(t->redirect), DB_TEXT(t->scope),
                        DB_TEXT(t->options), DB_TEXT(t->oidc), DB_TEXT(t->method), DB_TEXT(t->site),
                        DB_TEXT(t->browser), DB_TEXT(t->client_ip), DB_TEXT(t->desktop_ip),
                        DB_TEXT(t->desktop_ua), DB_INT(t->created_at), DB_INT(t->expires_at)),
                &cls, NULL, err, "ticket create");
    if (cls == DB_EUNIQUE)
        rc = wx_err_set(err, WX_EEXIST, "desktop ticket already exists");
    else if (cls == DB_EFOREIGN)
        rc = wx_err_set(err, WX_ENOENT, "no such pool '%s'", t->pool_id);
    return rc;
}

static wx_status_t
ticket_read(store_t *st, const char *id, store_ticket_t *out, bool *found, wx_err_t *err)
{
    return sq_one(st, STMT_TICKET_GET, SQ_ARGS(DB_TEXT(id)), sq_fill_ticket, out, found, err);
}

wx_status_t
store_ticket_get(store_t *st, const char *id, store_ticket_t *out, wx_err_t *err)
{
    bool found = false;
    if (!sq_random_id_ok(id))
        return wx_err_set(err, WX_ENOENT, "unknown desktop ticket");
    wx_status_t rc = ticket_read(st, id, out, &found, err);
    if (rc == WX_OK && !found)
        rc = wx_err_set(err, WX_ENOENT, "unknown desktop ticket");
    return rc;
}

/* The common frame of a change: read the row in a write transaction, let decide() pick the
 * statement (or an outcome), run it, and read the row back when another connection changed
 * it first. Callers' pointers may point into out: they are copied before the read. */
typedef struct {
    sql_stmt_t stmt;
    db_arg_t args[6];
    size_t nargs;
} ticket_change_t;

typedef wx_status_t (*ticket_decide_fn)(const store_ticket_t *t, void *arg, ticket_change_t *c,
                                        wx_err_t *err);

static wx_status_t
ticket_change(store_t *st, const char *ticket_id, ticket_decide_fn decide, void *arg,
              store_ticket_t *out, wx_err_t *err)
{
    char id[STORE_ID_MAX];
    bool in_tx = false, found = false;
    int64_t changes = 0;
    ticket_change_t c = {.nargs = 0};
    wx_status_t rc = WX_OK;
    if (!sq_random_id_ok(ticket_id))
        goto out;
    wx_strlcpy(id, ticket_id, sizeof(id));
    if ((rc = sq_begin(st, err)) != WX_OK)
        goto out;
    in_tx = true;
    if ((rc = ticket_read(st, id, out, &found, err)) != WX_OK || !found)
        goto out;
    if ((rc = decide(out, arg, &c, err)) != WX_OK || c.nargs == 0)
        goto out; /* an outcome decided on the row as read (nargs 0: nothing to change) */
    rc = sq_run(st, c.stmt, c.args, c.nargs, NULL, &changes, err, "ticket change");
    if (rc != WX_OK)
        goto out;
    if (changes != 1) {
        /* Another connection changed it between the read and the update: judge again on the
         * row it committed (it cannot pass the same check twice). */
        if ((rc = ticket_read(st, id, out, &found, err)) != WX_OK || !found)
            goto out;
        c.nargs = 0;
        rc = decide(out, arg, &c, err);
        if (rc == WX_OK && c.nargs != 0)
            rc = wx_err_set(err, WX_EBUSY, "desktop ticket changed meanwhile, try again");
        goto out;
    }
    rc = ticket_read(st, id, out, &found, err);
out:
    rc = sq_end(st, in_tx, rc, err);
    if (rc == WX_OK && !found)
        rc = wx_err_set(err, WX_ENOENT, "unknown desktop ticket");
    return rc;
}

typedef struct {
    const char *phone_state, *phone_browser, *record;
    int64_t now, confirm_until;
    bool confirm;
    const char *browser;
    int64_t take_within;
} ticket_args_t;

static wx_status_t
scan_decide(const store_ticket_t *t, void *arg, ticket_change_t *c, wx_err_t *err)
{
    ticket_args_t *a = arg;
    if (t->status == STORE_TICKET_SCANNED && t->phone_state[0] &&
        strcmp(t->phone_state, a->phone_state) == 0)
        return WX_OK;
    if (t->status != STORE_TICKET_PENDING)
        return wx_err_set(err, WX_EUSED, "this QR code was already scanned");
    if (a->now >= t->expires_at)
        return wx_err_set(err, WX_EEXPIRED, "this QR code expired");
    int64_t until = t->expires_at > a->confirm_until ? t->expires_at : a->confirm_until;
    *c = (ticket_change_t){STMT_TICKET_SCAN,
                           {DB_TEXT(t->id), DB_TEXT(a->phone_state), DB_TEXT(a->phone_browser),
                            DB_TEXT(a->record), DB_INT(a->now), DB_INT(until)},
                           6};
    return WX_OK;
}

wx_status_t
store_ticket_scan(store_t *st, const char *id, const char *phone_state, const char *phone_browser,
                  const char *record, int64_t now, int64_t confirm_until, store_ticket_t *out,
                  wx_err_t *err)
{
    store_ticket_t *t = out ? out : malloc(sizeof(*t));
    char ps[STORE_ID_MAX], pb[65], rec[STORE_TICKET_RECORD_MAX];
    wx_status_t rc;
    if (!t)
        return wx_err_set(err, WX_ENOMEM, "out of memory");
    if (!wx_strlcpy(ps, phone_state ? phone_state : "", sizeof(ps)) || !ps[0] ||
        !wx_strlcpy(pb, phone_browser ? phone_browser : "", sizeof(pb)) ||
        !wx_strlcpy(rec, record ? record : "", sizeof(rec))) {
        rc = wx_err_set(err, WX_ETOOBIG, "ticket scan: phone state, binding or record too long");
        goto out;
    }
    ticket_args_t a = {.phone_state = ps,
                       .phone_browser = pb,
                       .record = rec,
                       .now = now,
                       .confirm_until = confirm_until};
    rc = ticket_change(st, id, scan_decide, &a, t, err);
out:
    if (t != out)
        free(t);
    return rc;
}

static wx_status_t
decide_decide(const store_ticket_t *t, void *arg, ticket_change_t *c, wx_err_t *err)
{
    ticket_args_t *a = arg;
    store_ticket_status_t to = a->confirm ? STORE_TICKET_CONFIRMED : STORE_TICKET_REFUSED;
    if (t->status == STORE_TICKET_PENDING || !t->phone_browser[0] ||
        !wx_ct_equal(t->phone_browser, strlen(t->phone_browser), a->phone_browser,
                     strlen(a->phone_browser)))
        return wx_err_set(err, WX_EDENIED, "this QR code was scanned by another phone");
    if (t->status == to)
        return WX_OK;
    if (t->status != STORE_TICKET_SCANNED)
        return wx_err_set(err, WX_EUSED, "this login was already decided");
    if (a->now >= t->expires_at)
        return wx_err_set(err, WX_EEXPIRED, "this QR code expired");
    *c = (ticket_change_t){
        STMT_TICKET_DECIDE, {DB_TEXT(t->id), DB_INT((int64_t)to), DB_INT(a->now)}, 3};
    return WX_OK;
}

wx_status_t
store_ticket_decide(store_t *st, const char *id, const char *phone_browser, bool confirm,
                    int64_t now, store_ticket_t *out, wx_err_t *err)
{
    store_ticket_t *t = out ? out : malloc(sizeof(*t));
    char pb[65];
    wx_status_t rc;
    if (!t)
        return wx_err_set(err, WX_ENOMEM, "out of memory");
    if (!wx_strlcpy(pb, phone_browser ? phone_browser : "", sizeof(pb)) || !pb[0]) {
        rc = wx_err_set(err, WX_EDENIED, "this QR code was scanned by another phone");
        goto out;
    }
    ticket_args_t a = {.phone_browser = pb, .now = now, .confirm = confirm};
    rc = ticket_change(st, id, decide_decide, &a, t, err);
    if (rc == WX_EDENIED)
        memset(t, 0, sizeof(*t)); /* another phone learns nothing about it */
out:
    if (t != out)
        free(t);
    return rc;
}

static wx_status_t
complete_decide(const store_ticket_t *t, void *arg, ticket_change_t *c, wx_err_t *err)
{
    ticket_args_t *a = arg;
    if (t->status != STORE_TICKET_PENDING && t->status != STORE_TICKET_SCANNED)
        return wx_err_set(err, WX_EUSED, "this login was already decided");
    if (a->now >= t->expires_at)
        return wx_err_set(err, WX_EEXPIRED, "this QR code expired");
    store_ticket_status_t to = a->confirm ? STORE_TICKET_CONFIRMED : STORE_TICKET_REFUSED;
    if (a->confirm)
        *c = (ticket_change_t){
            STMT_TICKET_COMPLETE,
            {DB_TEXT(t->id), DB_INT((int64_t)to), DB_TEXT(a->record), DB_INT(a->now)},
            4};
    else
        *c = (ticket_change_t){
            STMT_TICKET_COMPLETE,
            {DB_TEXT(t->id), DB_INT((int64_t)to), DB_TEXT(t->record), DB_INT(a->now)},
            4};
    return WX_OK;
}

static wx_status_t
ticket_end(store_t *st, const char *id, bool confirm, const char *record, int64_t now,
           store_ticket_t *out, wx_err_t *err)
{
    store_ticket_t *t = out ? out : malloc(sizeof(*t));
    char rec[STORE_TICKET_RECORD_MAX];
    wx_status_t rc;
    if (!t)
        return wx_err_set(err, WX_ENOMEM, "out of memory");
    if (!wx_strlcpy(rec, record ? record : "", sizeof(rec))) {
        rc = wx_err_set(err, WX_ETOOBIG, "ticket record too long");
        goto out;
    }
    if (confirm && !rec[0]) {
        rc = wx_err_set(err, WX_EINVAL, "a completed ticket needs the user's record");
        goto out;
    }
    ticket_args_t a = {.record = rec, .now = now, .confirm = confirm};
    rc = ticket_change(st, id, complete_decide, &a, t, err);
out:
    if (t != out)
        free(t);
    return rc;
}

wx_status_t
store_ticket_complete(store_t *st, const char *id, const char *record, int64_t now,
                      store_ticket_t *out, wx_err_t *err)
{
    return ticket_end(st, id, true, record, now, out, err);
}

wx_status_t
store_ticket_refuse(store_t *st, const char *id, int64_t now, store_ticket_t *out, wx_err_t *err)
{
    return ticket_end(st, id, false, NULL, now, out, err);
}

static wx_status_t
take_decide(const store_ticket_t *t, void *arg, ticket_change_t *c, wx_err_t *err)
{
    ticket_args_t *a = arg;
    if (!wx_ct_equal(t->browser, strlen(t->browser), a->browser, strlen(a->browser)))
        return wx_err_set(err, WX_EDENIED, "this login belongs to another browser");
    switch (t->status) {
    case STORE_TICKET_USED:
        return wx_err_set(err, WX_EUSED, "this login was already used");
    case STORE_TICKET_REFUSED:
        return wx_err_set(err, WX_EDENIED, "the login was refused on the phone");
    case STORE_TICKET_PENDING:
    case STORE_TICKET_SCANNED:
        if (a->now >= t->expires_at)
            return wx_err_set(err, WX_EEXPIRED, "this QR code expired");
        return wx_err_set(err, WX_EBUSY, "the login is not confirmed yet");
    case STORE_TICKET_CONFIRMED:
        break;
    }
    if (a->now - t->decided_at > a->take_within)
        return wx_err_set(err, WX_EEXPIRED, "the confirmed login was not picked up in time");
    *c = (ticket_change_t){STMT_TICKET_TAKE, {DB_TEXT(t->id)}, 1};
    return WX_OK;
}

wx_status_t
store_ticket_take(store_t *st, const char *id, const char *browser, int64_t now,
                  int64_t take_within, store_ticket_t *out, wx_err_t *err)
{
    char b[65];
    wx_status_t rc;
    if (!wx_strlcpy(b, browser ? browser : "", sizeof(b)) || !b[0]) {
        memset(out, 0, sizeof(*out));
        return wx_err_set(err, WX_EDENIED, "this login belongs to another browser");
    }
    ticket_args_t a = {.browser = b, .now = now, .take_within = take_within};
    rc = ticket_change(st, id, take_decide, &a, out, err);
    /* The other browser learns nothing; a refusal keeps its status for the page. */
    if (rc == WX_EDENIED && out->status != STORE_TICKET_REFUSED)
        memset(out, 0, sizeof(*out));
    else if (rc == WX_EDENIED && !wx_ct_equal(out->browser, strlen(out->browser), b, strlen(b)))
        memset(out, 0, sizeof(*out));
    return rc;
}

wx_status_t
store_ticket_pending_count(store_t *st, const char *client_ip, int64_t now, int64_t limit,
                           int64_t *count, wx_err_t *err)
{
    return sq_pending_count(st, STMT_TICKET_PENDING_IP, STMT_TICKET_PENDING_ALL,
                            sizeof(((store_ticket_t *)0)->client_ip), client_ip, now, limit, count,
                            err);
}

wx_status_t
store_ticket_prune(store_t *st, int64_t before, int64_t *deleted, wx_err_t *err)
{
    int64_t n = 0;
    wx_status_t rc =
        sq_run(st, STMT_TICKET_PRUNE, SQ_ARGS(DB_INT(before)), NULL, &n, err, "ticket prune");
    if (deleted)
        *deleted = rc == WX_OK ? n : 0;
    return rc;
}
