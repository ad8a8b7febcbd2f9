/* Admin resources: pools (/pools, /pools/{id}) and applications (/pools/{id}/apps,
 * /apps/{id}, /apps/{id}/secret). An application's secret is made on creation and shown in
 * that one answer (and again only by resetting it). */
#include "admin.h"
#include "conf_cache.h"

#include <string.h>

#include <openssl/crypto.h>

#include "../proto/admin_input.h"

static bool
is(const char *m, const char *want)
{
    return strcmp(m, want) == 0;
}

static bool
pool_row(const store_pool_t *p, void *arg)
{
    json_array_append_new(arg, admin_pool_json(p));
    return true;
}

static void
pool_write(admin_req_t *a, store_pool_t *p, bool creating)
{
    wx_err_t err = {0};
    json_t *body = admin_body(a), *errors = json_object();
    if (!body)
        goto out;
    if (!admin_pool_apply(body, p, errors)) {
        admin_invalid(a, errors);
        errors = NULL;
        goto out;
    }
    store_pool_t old;
    if (creating && store_pool_get(a->st, p->id, &old, &err) == WX_OK) {
        admin_conflict(a, "id", "a pool with this id exists");
        goto out;
    }
    if (conf_changed_after(store_pool_put(a->st, p, &err)) != WX_OK) {
        admin_audit(a, p->id, creating ? "pool.create" : "pool.update", p->id, "failed");
        admin_store_error(a, &err);
        goto out;
    }
    admin_audit(a, p->id, creating ? "pool.create" : "pool.update", p->id, "ok");
    store_pool_get(a->st, p->id, p, &err);
    a->r->outcome = "ok";
    admin_reply(a, creating ? 201 : 200, admin_pool_json(p));
out:
    json_decref(body);
    json_decref(errors);
}

bool
admin_pools(admin_req_t *a)
{
    wx_err_t err = {0};
    store_pool_t p = {0};
    const char *m = a->r->method;
    if (!is(a->seg[0], "pools") || a->nseg > 2)
        return false;
    if (a->nseg == 1) {
        if (is(m, "GET")) {
            json_t *arr = json_array();
            if (store_pool_list(a->st, pool_row, arr, &err) != WX_OK) {
                json_decref(arr);
                admin_store_error(a, &err);
            } else {
                a->r->outcome = "ok";
                admin_reply(a, 200, json_pack("{s:o}", "pools", arr));
            }
        } else if (is(m, "POST")) {
            pool_write(a, &p, true);
        } else {
            admin_error(a, 405, "use GET or POST on /pools");
        }
        return true;
    }
    const char *id = a->seg[1];
    if (store_pool_get(a->st, id, &p, &err) != WX_OK) {
        admin_store_error(a, &err);
        return true;
    }
    if (is(m, "GET")) {
        a->r->outcome = "ok";
        admin_reply(a, 200, admin_pool_json(&p));
    } else if (is(m, "PUT") || is(m, "PATCH")) {
        pool_write(a, &p, false);
    } else if (is(m, "DELETE")) {
        if (token_revocations_changed_after(
                conf_changed_after(store_pool_delete(a->st, id, &err))) != WX_OK) {
            admin_store_error(a, &err);
            return true;
        }
        admin_audit(a, id, "pool.delete", id, "ok");
        a->r->outcome = "ok";
        admin_reply(a, 200, json_pack("{s:b}", "deleted", 1));
    } else {
        admin_error(a, 405, "use GET, PUT or DELETE on /pools/{id}");
    }
    return true;
}

static bool
app_row(const store_app_t *x, void *arg)
{
    json_array_append_new(arg, admin_app_json(x));
    return true;
}

/* Seal a secret into app — the one given (an existing secret kept when moving from Authing),
 * else a new one — and return it for the answer (caller cleanses). */
static bool
app_new_secret(admin_req_t *a, store_app_t *app, const char *given, char *plain, size_t n)
{
    wx_err_t err = {0};
    wx_status_t rc = given ? keys_app_secret_set(&a->ctx->app->master, app->id, given, app->secret,
                                                 sizeof(app->secret), &err)
                           : keys_app_secret_new(&a->ctx->app->master, app->id, plain, n,
                                                 app->secret, sizeof(app->secret), &err);
    if (rc == WX_OK && given && !wx_strlcpy(plain, given, n))
        rc = wx_err_set(&err, WX_EINVAL, "an application secret must be 16 to 128 characters");
    if (rc != WX_OK) {
        if (rc == WX_EINVAL) {
            json_t *errors = json_object();
            json_object_set_new(errors, "secret", json_string(err.msg));
            admin_invalid(a, errors);
        } else {
            admin_store_error(a, &err);
        }
        return false;
    }
    return true;
}

/* The write-only "secret" member of a body, taken out so the field rules never see it. */
static char *
take_secret(json_t *body)
{
    const char *s = json_string_value(json_object_get(body, "secret"));
    char *copy = s ? strdup(s) : NULL;
    if (s) {
        OPENSSL_cleanse((char *)s, strlen(s)); /* jansson's copy */
        json_object_del(body, "secret");
    }
    return copy;
}

static void
app_write(admin_req_t *a, store_app_t *app, bool creating)
{
    wx_err_t err = {0};
    char plain[STORE_SECRET_PLAIN_MAX + 1] = "";
    json_t *body = admin_body(a), *errors = json_object();
    char *given = NULL;
    if (!body)
        goto out;
    if (creating) /* an update never changes the secret: POST /apps/{id}/secret does */
        given = take_secret(body);
    if (!admin_app_apply(body, app, errors)) {
        admin_invalid(a, errors);
        errors = NULL;
        goto out;
    }
    store_app_t old;
    if (creating && store_app_get(a->st, app->id, &old, &err) == WX_OK) {
        OPENSSL_cleanse(old.secret, sizeof(old.secret));
        admin_conflict(a, "id", "an application with this id exists");
        goto out;
    }
    if (creating && !app_new_secret(a, app, given, plain, sizeof(plain)))
        goto out;
    if (!creating)
        app->secret[0] = '\0'; /* an update keeps the stored secret */
    if (conf_changed_after(store_app_put(a->st, app, &err)) != WX_OK) {
        admin_audit(a, app->pool_id, creating ? "app.create" : "app.update", app->id, "failed");
        admin_store_error(a, &err);
        goto out;
    }
    admin_audit(a, app->pool_id, creating ? "app.create" : "app.update", app->id, "ok");
    store_app_get(a->st, app->id, app, &err);
    json_t *o = admin_app_json(app);
    if (o && creating) /* shown once */
        json_object_set_new(o, "secret", json_string(plain));
    a->r->outcome = "ok";
    admin_reply(a, creating ? 201 : 200, o);
out:
    OPENSSL_cleanse(plain, sizeof(plain));
    OPENSSL_cleanse(app->secret, sizeof(app->secret));
    if (given) {
        OPENSSL_cleanse(given, strlen(given));
        free(given);
    }
    json_decref(body);
    json_decref(errors);
}

bool
admin_apps(admin_req_t *a)
{
    wx_err_t err = {0};
    store_app_t app = {0};
    store_pool_t pool;
    const char *m = a->r->method;
    /* /pools/{id}/apps */
    if (is(a->seg[0], "pools") && a->nseg == 3 && is(a->seg[2], "apps")) {
        if (store_pool_get(a->st, a->seg[1], &pool, &err) != WX_OK) {
            admin_store_error(a, &err);
        } else if (is(m, "GET")) {
            json_t *arr = json_array();
            if (store_app_list(a->st, pool.id, app_row, arr, &err) != WX_OK) {
                json_decref(arr);
                admin_store_error(a, &err);
            } else {
                a->r->outcome = "ok";
                admin_reply(a, 200, json_pack("{s:o}", "apps", arr));
            }
        } else if (is(m, "POST")) {
            wx_strlcpy(app.pool_id, pool.id, sizeof(app.pool_id));
            app_write(a, &app, true);
        } else {
            admin_error(a, 405, "use GET or POST on /pools/{id}/apps");
        }
        return true;
    }
    if (!is(a->seg[0], "apps") || a->nseg < 2 || a->nseg > 3)
        return false;
    if (store_app_get(a->st, a->seg[1], &app, &err) != WX_OK) {
        admin_store_error(a, &err);
        return true;
    }
    if (a->nseg == 3) {
        char plain[STORE_SECRET_PLAIN_MAX + 1] = "", *given = NULL;
        json_t *body = NULL;
        const char *ct = a->content_type; /* read on the loop (handle_admin) */
        /* A JSON body {"secret": "…"} sets that secret; no body makes a new one. */
        if (!is(a->seg[2], "secret") || !is(m, "POST")) {
            admin_error(a, 404, "use POST /apps/{id}/secret to make a new secret");
        } else if (ct && strncmp(ct, "application/json", 16) == 0 &&
                   (body = admin_body(a)) == NULL) {
            /* admin_body replied */
        } else if (app_new_secret(a, &app, (given = body ? take_secret(body) : NULL), plain,
                                  sizeof(plain))) {
            if (conf_changed_after(store_app_put(a->st, &app, &err)) != WX_OK) {
                admin_store_error(a, &err);
            } else {
                admin_audit(a, app.pool_id, given ? "app.secret_set" : "app.secret_reset", app.id,
                            "ok");
                a->r->outcome = "ok";
                admin_reply(a, 200, json_pack("{s:s,s:s}", "id", app.id, "secret", plain));
            }
        }
        OPENSSL_cleanse(plain, sizeof(plain));
        OPENSSL_cleanse(app.secret, sizeof(app.secret));
        if (given) {
            OPENSSL_cleanse(given, strlen(given));
            free(given);
        }
        json_decref(body);
        return true;
    }
    if (is(m, "GET")) {
        a->r->outcome = "ok";
        admin_reply(a, 200, admin_app_json(&app));
    } else if (is(m, "PUT") || is(m, "PATCH")) {
        app_write(a, &app, false);
    } else if (is(m, "DELETE")) {
        if (conf_changed_after(store_app_delete(a->st, app.id, &err)) != WX_OK) {
            admin_store_error(a, &err);
        } else {
            admin_audit(a, app.pool_id, "app.delete", app.id, "ok");
            a->r->outcome = "ok";
            admin_reply(a, 200, json_pack("{s:b}", "deleted", 1));
        }
    } else {
        admin_error(a, 405, "use GET, PUT or DELETE on /apps/{id}");
    }
    OPENSSL_cleanse(app.secret, sizeof(app.secret));
    return true;
}
