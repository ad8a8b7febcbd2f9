/* Login states: created at the start of a login, claimed once by its callback, finished with
 * how the login ended, pruned after (store.h). */
#include "query.h"

#include <string.h>

wx_status_t
store_state_create(store_t *st, const store_state_t *s, wx_err_t *err)
{
    db_rc_t cls = DB_OK;
    const sq_field_t f[] = {
        {"state id", s->id, sizeof(s->id)},
        {"state pool id", s->pool_id, sizeof(s->pool_id)},
        {"state connection", s->conn_identifier, sizeof(s->conn_identifier)},
        {"state application id", s->app_id, sizeof(s->app_id)},
        {"state redirect", s->redirect, sizeof(s->redirect)},
        {"state browser binding", s->browser, sizeof(s->browser)},
        {"state scope", s->scope, sizeof(s->scope)},
        {"state options", s->options, sizeof(s->options)},
        {"state OIDC request", s->oidc, sizeof(s->oidc)},
        {"state client address", s->client_ip, sizeof(s->client_ip)},
    };
    wx_status_t rc = sq_check_fields(f, WX_ARRAY_LEN(f), err);
    if (rc != WX_OK || (rc = sq_require("state pool id", s->pool_id, err)) != WX_OK ||
        (rc = sq_require("state connection", s->conn_identifier, err)) != WX_OK)
        return rc;
    if (!sq_random_id_ok(s->id))
        return wx_err_set(err, WX_EINVAL, "state id must be 1-63 letters and digits");
    rc = sq_run(st, STMT_STATE_CREATE,
                SQ_ARGS(DB_TEXT(s->id), DB_TEXT(s->pool_id), DB_TEXT(s->conn_identifier),
                        DB_TEXT(s->app_id), DB_TEXT(s->redirect), DB_TEXT(s->browser),
                        DB_TEXT(s->scope), DB_TEXT(s->options), DB_INT(s->created_at),
                        DB_INT(s->expires_at), DB_TEXT(s->oidc), DB_TEXT(s->client_ip)),
                &cls, NULL, err, "state create");
    if (cls == DB_EUNIQUE)
        rc = wx_err_set(err, WX_EEXIST, "login state already exists");
    else if (cls == DB_EFOREIGN)
        rc = wx_err_set(err, WX_ENOENT, "no such pool '%s'", s->pool_id);
    return rc;
}

wx_status_t
store_state_get(store_t *st, const char *id, store_state_t *out, wx_err_t *err)
{
    bool found = false;
    if (!sq_key_ok(id, STORE_ID_MAX))
        return wx_err_set(err, WX_ENOENT, "unknown login state");
    wx_status_t rc =
        sq_one(st, STMT_STATE_GET, SQ_ARGS(DB_TEXT(id)), sq_fill_state, out, &found, err);
    if (rc == WX_OK && !found)
        rc = wx_err_set(err, WX_ENOENT, "unknown login state");
    return rc;
}

/* The read and the update share one write transaction: a second connection claiming the same
 * state waits for the first to commit and then sees it CLAIMED (and where a database lets both
 * read, the update's "AND status = 0" lets only one change it). An expired state is claimed
 * too (and committed) so the error outcome finished on it is replayed like any other. id and
 * browser are copied first because a caller may pass pointers into out, which the read
 * overwrites. */
wx_status_t
store_state_claim(store_t *st, const char *state_id, const char *browser, int64_t now,
                  store_state_t *out, wx_err_t *err)
{
    return store_state_claim_as(st, state_id, browser, now, "", out, err);
}

wx_status_t
store_state_claim_as(store_t *st, const char *state_id, const char *browser, int64_t now,
                     const char *owner, store_state_t *out, wx_err_t *err)
{
    bool in_tx = false, found = false, expired = false;
    char id[STORE_ID_MAX], b[sizeof(out->browser)], who[sizeof(out->claim_owner)];
    int64_t changes = 0;
    wx_status_t rc = WX_OK;
    bool browser_fits = wx_strlcpy(b, browser ? browser : "", sizeof(b));
    if (!wx_strlcpy(who, owner ? owner : "", sizeof(who))) {
        rc = wx_err_set(err, WX_ETOOBIG, "claim owner is too long");
        goto out;
    }
    if (!sq_key_ok(state_id, sizeof(id)))
        goto out;
    wx_strlcpy(id, state_id, sizeof(id));
    if ((rc = sq_begin(st, err)) != WX_OK)
        goto out;
    in_tx = true;
    rc = sq_one(st, STMT_STATE_GET, SQ_ARGS(DB_TEXT(id)), sq_fill_state, out, &found, err);
    if (rc != WX_OK || !found)
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
    rc = sq_run(st, STMT_STATE_CLAIM, SQ_ARGS(DB_TEXT(id), DB_INT(now), DB_TEXT(who)), NULL,
                &changes, err, "state claim");
    if (rc != WX_OK)
        goto out;
    if (changes != 1) {
        /* Another connection claimed it between the read and the update (a database that lets
         * both read, e.g. PostgreSQL): read the winner's claim, which has committed by now. */
        rc = sq_one(st, STMT_STATE_GET, SQ_ARGS(DB_TEXT(id)), sq_fill_state, out, &found, err);
        if (rc == WX_OK && found)
            rc = wx_err_set(err, WX_EUSED, "this login link was already used");
        expired = false;
        goto out;
    }
    out->status = STORE_STATE_CLAIMED;
    out->claimed_at = now;
    wx_strlcpy(out->claim_owner, who, sizeof(out->claim_owner));
out:
    rc = sq_end(st, in_tx, rc, err);
    if (rc == WX_OK && !found)
        rc = wx_err_set(err, WX_ENOENT, "unknown login state");
    else if (rc == WX_OK && expired)
        rc = wx_err_set(err, WX_EEXPIRED, "login link expired, please start again");
    /* EUSED and EEXPIRED keep out: the caller needs the redirect and the earlier result. */
    if (rc != WX_OK && rc != WX_EUSED && rc != WX_EEXPIRED)
        memset(out, 0, sizeof(*out));
    return rc;
}

wx_status_t
store_state_finish(store_t *st, const char *id, const char *result, wx_err_t *err)
{
    bool in_tx = false, found = false;
    int64_t status = 0, changes = 0;
    const sq_field_t f[] = {{"login result", result, STORE_RESULT_MAX}};
    wx_status_t rc = sq_check_fields(f, WX_ARRAY_LEN(f), err);
    if (rc != WX_OK || !sq_key_ok(id, STORE_ID_MAX))
        goto out;
    if ((rc = sq_begin(st, err)) != WX_OK)
        goto out;
    in_tx = true;
    rc = sq_int(st, STMT_STATE_STATUS, SQ_ARGS(DB_TEXT(id)), &status, &found, err);
    if (rc != WX_OK || !found)
        goto out;
    if (status == STORE_STATE_DONE) {
        rc = wx_err_set(err, WX_EUSED, "login state already finished");
        goto out;
    }
    if (status != STORE_STATE_CLAIMED) {
        rc = wx_err_set(err, WX_EINVAL, "login state was never claimed");
        goto out;
    }
    rc = sq_run(st, STMT_STATE_FINISH, SQ_ARGS(DB_TEXT(id), DB_TEXT(result)), NULL, &changes, err,
                "state finish");
    if (rc == WX_OK && changes != 1)
        rc = wx_err_set(err, WX_EUSED, "login state already finished");
out:
    rc = sq_end(st, in_tx, rc, err);
    if (rc == WX_OK && !found)
        rc = wx_err_set(err, WX_ENOENT, "unknown login state");
    return rc;
}

wx_status_t
store_state_prune(store_t *st, int64_t now, int64_t keep, int64_t *deleted, wx_err_t *err)
{
    int64_t n = 0;
    wx_status_t rc = sq_run(st, STMT_STATE_PRUNE, SQ_ARGS(DB_INT(now), DB_INT(keep)), NULL, &n, err,
                            "state prune");
    if (deleted)
        *deleted = rc == WX_OK ? n : 0;
    return rc;
}

wx_status_t
store_state_pending_count(store_t *st, const char *client_ip, int64_t now, int64_t limit,
                          int64_t *count, wx_err_t *err)
{
    return sq_pending_count(st, STMT_STATE_PENDING_IP, STMT_STATE_PENDING_ALL,
                            sizeof(((store_state_t *)0)->client_ip), client_ip, now, limit, count,
                            err);
}

wx_status_t
store_state_results_clear(store_t *st, int64_t cutoff, int64_t *cleared, wx_err_t *err)
{
    int64_t n = 0;
    wx_status_t rc = sq_run(st, STMT_STATE_RESULTS_CLEAR, SQ_ARGS(DB_INT(cutoff)), NULL, &n, err,
                            "state results clear");
    if (cleared)
        *cleared = rc == WX_OK ? n : 0;
    return rc;
}
