/* Admin resource: users of a pool (/pools/{id}/users[/{uid}[/block|unblock|revoke-tokens]],
 * and POST /pools/{id}/users/import: users exported from Authing).
 * Blocking refuses the user's next login with a clear message and their tokens online;
 * revoke-tokens refuses every token issued so far; delete removes user and identities. */
#include "admin.h"

#include "../util/utf8.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "../proto/admin_input.h"
#include "../proto/user_import.h"
#include "../util/clock.h"
#include "../util/log.h"

static bool
is(const char *m, const char *want)
{
    return strcmp(m, want) == 0;
}

static bool
user_row(const store_user_t *u, void *arg)
{
    json_array_append_new(arg, admin_user_json(u));
    return true;
}

static bool
ident_row(const store_identity_t *i, void *arg)
{
    json_array_append_new(arg, json_pack("{s:s,s:s,s:s,s:s,s:I,s:I}", "provider", i->provider,
                                         "appid", i->appid, "openid", i->openid, "unionid",
                                         i->unionid, "created_at", (json_int_t)i->created_at,
                                         "updated_at", (json_int_t)i->updated_at));
    return true;
}

static void
user_list(admin_req_t *a, const char *pool_id)
{
    wx_err_t err = {0};
    int64_t offset, limit, total = 0;
    if (!admin_query_int(a, "offset", 0, 1000000000, 0, &offset) ||
        !admin_query_int(a, "limit", 1, 1000, 50, &limit))
        return;
    const char *search = wx_query_get(&a->r->query, "search");
    if (search && strlen(search) >= STORE_NAME_MAX) {
        admin_error(a, 400, "search is too long");
        return;
    }
    if (search && !wx_utf8_valid(search, strlen(search))) {
        admin_error(a, 400, "search is not valid UTF-8 text (percent-encode UTF-8 bytes)");
        return;
    }
    store_user_query_t q = {.pool_id = pool_id, .search = search, .offset = offset, .limit = limit};
    json_t *arr = json_array();
    if (store_user_list(a->st, &q, user_row, arr, &total, &err) != WX_OK) {
        json_decref(arr);
        admin_store_error(a, &err);
        return;
    }
    a->r->outcome = "ok";
    admin_reply(a, 200,
                json_pack("{s:o,s:I,s:I,s:I}", "users", arr, "total", (json_int_t)total, "offset",
                          (json_int_t)offset, "limit", (json_int_t)limit));
}

#define IMPORT_MAX 1000 /* users per request; the CLI sends batches */

/* POST /pools/{id}/users/import {"identifier"?, "users":[Authing user…]}: each user in its own
 * transaction, so one bad entry loses none of the others, and a rerun changes nothing. */
static void
user_import(admin_req_t *a, const store_pool_t *pool)
{
    wx_err_t err = {0};
    store_conn_t *conn = NULL;
    json_t *body = admin_body(a), *users, *u, *failed = NULL;
    int64_t counts[4] = {0};
    size_t i;
    char why[300], id[STORE_ID_MAX], summary[160];
    if (!body)
        return;
    const char *ident = json_string_value(json_object_get(body, "identifier"));
    if (!ident)
        ident = "wechat:webpage-authorization";
    users = json_object_get(body, "users");
    if (!json_is_array(users) || json_array_size(users) == 0 ||
        json_array_size(users) > IMPORT_MAX) {
        admin_error(a, 400, "users must be an array of 1-1000 users (Authing's export shape)");
        goto out;
    }
    if (!(conn = calloc(1, sizeof(*conn)))) {
        admin_error(a, 500, "out of memory");
        goto out;
    }
    /* openids belong to one official account: the connection says which. */
    if (store_conn_get(a->st, pool->id, ident, conn, &err) != WX_OK) {
        if (err.status == WX_ENOENT)
            admin_error(a, 400,
                        "the pool has no WeChat connection with this identifier: create it "
                        "first (its App ID is the one the openids belong to)");
        else
            admin_store_error(a, &err);
        goto out;
    }
    failed = json_array();
    int64_t now = wx_now();
    json_array_foreach(users, i, u)
    {
        store_user_import_t in;
        store_import_outcome_t oc = 0;
        if (!user_import_from_authing(u, pool->id, conn->identifier, conn->appid, now, &in, why,
                                      sizeof(why))) {
            json_t *f = json_pack("{s:I,s:s}", "index", (json_int_t)i, "message", why);
            const char *keys[] = {"id", "_id", "userId"};
            for (size_t k = 0; k < WX_ARRAY_LEN(keys); k++) {
                const char *v = json_string_value(json_object_get(u, keys[k]));
                if (v && *v && strlen(v) < STORE_ID_MAX) {
                    json_object_set_new(f, "id", json_string(v));
                    break;
                }
            }
            json_array_append_new(failed, f);
            continue;
        }
        wx_err_t e = {0};
        if (store_user_import(a->st, &in, &oc, id, &e) != WX_OK) {
            json_t *f = json_pack("{s:I,s:s}", "index", (json_int_t)i, "message", e.msg);
            if (in.id)
                json_object_set_new(f, "id", json_string(in.id));
            json_array_append_new(failed, f);
            if (e.status == WX_ESTORE || e.status == WX_EIO)
                wx_log(WX_LOG_ERROR, "user_import_failed", "rid", a->r->id, "error", e.msg,
                       "detail", e.detail, NULL);
            continue;
        }
        counts[oc]++;
    }
    wx_snprintf(summary, sizeof(summary), "%lld created, %lld linked, %lld existing, %zu failed",
                (long long)counts[STORE_IMPORT_CREATED], (long long)counts[STORE_IMPORT_LINKED],
                (long long)counts[STORE_IMPORT_EXISTS], json_array_size(failed));
    admin_audit(a, pool->id, "user.import", summary, json_array_size(failed) ? "partial" : "ok");
    a->r->outcome = "ok";
    admin_reply(a, 200,
                json_pack("{s:I,s:I,s:I,s:O}", "created", (json_int_t)counts[STORE_IMPORT_CREATED],
                          "linked", (json_int_t)counts[STORE_IMPORT_LINKED], "existing",
                          (json_int_t)counts[STORE_IMPORT_EXISTS], "failed", failed));
out:
    json_decref(failed);
    json_decref(body);
    if (conn) /* its sealed App Secret */
        OPENSSL_cleanse(conn, sizeof(*conn));
    free(conn);
}

bool
admin_users(admin_req_t *a)
{
    wx_err_t err = {0};
    store_pool_t pool;
    store_user_t *u = NULL;
    const char *m = a->r->method;
    if (!is(a->seg[0], "pools") || a->nseg < 3 || a->nseg > 5 || !is(a->seg[2], "users"))
        return false;
    if (store_pool_get(a->st, a->seg[1], &pool, &err) != WX_OK) {
        admin_store_error(a, &err);
        return true;
    }
    if (a->nseg == 3) {
        if (is(m, "GET"))
            user_list(a, pool.id);
        else
            admin_error(a, 405, "use GET on /pools/{id}/users");
        return true;
    }
    if (a->nseg == 4 && is(a->seg[3], "import")) {
        if (is(m, "POST"))
            user_import(a, &pool);
        else
            admin_error(a, 405, "use POST on /pools/{id}/users/import");
        return true;
    }
    u = calloc(1, sizeof(*u));
    if (!u) {
        admin_error(a, 500, "out of memory");
        return true;
    }
    const char *uid = a->seg[3];
    if (store_user_get(a->st, pool.id, uid, u, &err) != WX_OK) {
        admin_store_error(a, &err);
        goto out;
    }
    if (a->nseg == 5) {
        const char *act = a->seg[4];
        if (!is(m, "POST")) {
            admin_error(a, 405, "use POST for block, unblock and revoke-tokens");
            goto out;
        }
        if (is(act, "block") || is(act, "unblock")) {
            bool block = is(act, "block");
            if (token_revocations_changed_after(
                    store_user_set_blocked(a->st, pool.id, uid, block, &err)) != WX_OK) {
                admin_store_error(a, &err);
                goto out;
            }
            admin_audit(a, pool.id, block ? "user.block" : "user.unblock", uid, "ok");
        } else if (is(act, "revoke-tokens")) {
            if (token_revocations_changed_after(
                    store_user_revoke_tokens(a->st, pool.id, uid, wx_now(), &err)) != WX_OK) {
                admin_store_error(a, &err);
                goto out;
            }
            admin_audit(a, pool.id, "user.revoke_tokens", uid, "ok");
        } else {
            admin_error(a, 404, "use block, unblock or revoke-tokens");
            goto out;
        }
        store_user_get(a->st, pool.id, uid, u, &err);
        a->r->outcome = "ok";
        admin_reply(a, 200, admin_user_json(u));
        goto out;
    }
    if (is(m, "GET")) {
        json_t *o = admin_user_json(u), *ids = json_array();
        if (store_user_identities(a->st, u->id, ident_row, ids, &err) != WX_OK) {
            json_decref(o);
            json_decref(ids);
            admin_store_error(a, &err);
            goto out;
        }
        json_object_set_new(o, "identities", ids);
        a->r->outcome = "ok";
        admin_reply(a, 200, o);
    } else if (is(m, "DELETE")) {
        if (token_revocations_changed_after(store_user_delete(a->st, pool.id, uid, &err)) !=
            WX_OK) {
            admin_store_error(a, &err);
            goto out;
        }
        admin_audit(a, pool.id, "user.delete", uid, "ok");
        a->r->outcome = "ok";
        admin_reply(a, 200, json_pack("{s:b}", "deleted", 1));
    } else {
        admin_error(a, 405, "use GET or DELETE on /pools/{id}/users/{uid}");
    }
out:
    free(u);
    return true;
}
