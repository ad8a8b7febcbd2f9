/* Signing keys (sealed private keys, rotation) and revoked token ids (store.h). */
#include "query.h"

#include <string.h>

#include "../util/clock.h"

wx_status_t
store_key_add(store_t *st, const store_key_t *k, wx_err_t *err)
{
    db_rc_t cls = DB_OK;
    const sq_field_t f[] = {
        {"key id", k->kid, sizeof(k->kid)},
        {"key alg", k->alg, sizeof(k->alg)},
        {"private key", k->private_pem, sizeof(k->private_pem)},
    };
    wx_status_t rc = sq_check_fields(f, WX_ARRAY_LEN(f), err);
    if (rc != WX_OK || (rc = sq_require("key id", k->kid, err)) != WX_OK ||
        (rc = sq_require("key alg", k->alg, err)) != WX_OK ||
        (rc = sq_require("private key", k->private_pem, err)) != WX_OK)
        return rc;
    rc = sq_run(st, STMT_KEY_ADD,
                SQ_ARGS(DB_TEXT(k->kid), DB_TEXT(k->alg), DB_TEXT(k->private_pem),
                        DB_INT(k->created_at > 0 ? k->created_at : wx_now()), DB_INT(k->retired_at),
                        DB_INT(k->publish_until)),
                &cls, NULL, err, "key add");
    if (cls == DB_EUNIQUE)
        rc = wx_err_set(err, WX_EEXIST, "signing key '%s' exists, or %s already has a current key",
                        k->kid, k->alg);
    return rc;
}

wx_status_t
store_key_current(store_t *st, const char *alg, store_key_t *out, wx_err_t *err)
{
    bool found = false;
    wx_status_t rc = WX_OK;
    if (sq_key_ok(alg, sizeof(out->alg)))
        rc = sq_one(st, STMT_KEY_CURRENT, SQ_ARGS(DB_TEXT(alg)), sq_fill_key, out, &found, err);
    if (rc == WX_OK && !found)
        rc = wx_err_set(err, WX_ENOENT, "no current %.16s signing key", alg ? alg : "");
    if (rc != WX_OK)
        memset(out, 0, sizeof(*out));
    return rc;
}

typedef struct {
    bool (*fn)(const store_key_t *, void *);
    void *arg;
} keys_emit_t;

static bool
keys_emit(void *item, void *ctx)
{
    const keys_emit_t *e = ctx;
    return e->fn(item, e->arg);
}

wx_status_t
store_key_each(store_t *st, bool (*fn)(const store_key_t *, void *), void *arg, wx_err_t *err)
{
    keys_emit_t e = {fn, arg};
    return sq_each(st, STMT_KEY_EACH, SQ_NO_ARGS, sizeof(store_key_t), sq_fill_key, keys_emit, &e,
                   err);
}

/* Retire the current key of k->alg and add k, atomically: readers never see zero or two
 * current keys of one alg. */
wx_status_t
store_key_rotate(store_t *st, const store_key_t *k, int64_t now, int64_t publish_until,
                 wx_err_t *err)
{
    if (!sq_key_ok(k->alg, sizeof(k->alg)))
        return wx_err_set(err, WX_EINVAL, "bad key alg");
    wx_status_t rc = sq_begin(st, err);
    if (rc != WX_OK)
        return rc;
    rc = sq_run(st, STMT_KEY_RETIRE, SQ_ARGS(DB_TEXT(k->alg), DB_INT(now), DB_INT(publish_until)),
                NULL, NULL, err, "key retire");
    if (rc == WX_OK)
        rc = store_key_add(st, k, err);
    return sq_end(st, true, rc, err);
}

/* ---- revocations ---- */

wx_status_t
store_revoke(store_t *st, const char *jti, int64_t expires_at, int64_t now, wx_err_t *err)
{
    if (!jti || !jti[0] || strlen(jti) >= STORE_ID_MAX)
        return wx_err_set(err, WX_EINVAL, "bad token id");
    return sq_run(st, STMT_REVOKE, SQ_ARGS(DB_TEXT(jti), DB_INT(expires_at), DB_INT(now)), NULL,
                  NULL, err, "revoke");
}

wx_status_t
store_is_revoked(store_t *st, const char *jti, bool *out, wx_err_t *err)
{
    int64_t one = 0;
    *out = false;
    if (!sq_key_ok(jti, STORE_ID_MAX))
        return WX_OK; /* no such jti can have been stored */
    return sq_int(st, STMT_IS_REVOKED, SQ_ARGS(DB_TEXT(jti)), &one, out, err);
}

wx_status_t
store_revocation_prune(store_t *st, int64_t now, int64_t *deleted, wx_err_t *err)
{
    int64_t n = 0;
    wx_status_t rc =
        sq_run(st, STMT_REVOCATION_PRUNE, SQ_ARGS(DB_INT(now)), NULL, &n, err, "revocation prune");
    if (deleted)
        *deleted = rc == WX_OK ? n : 0;
    return rc;
}
