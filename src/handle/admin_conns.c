/* Admin resource: the WeChat webpage connections of a pool
 * (/pools/{id}/connections[/{identifier}[/check]]; check is admin_check.c). The App Secret is
 * write-only: sealed on the way in, shown as "set"/"not set", never returned or logged. The
 * identifier cannot change. */
#include "admin.h"
#include "conf_cache.h"

#include <string.h>

#include <openssl/crypto.h>

#include "../proto/admin_input.h"
#include "../proto/conn_check.h"

static bool
is(const char *m, const char *want)
{
    return strcmp(m, want) == 0;
}

typedef struct {
    json_t *arr;
    const char *public_url;
} conn_list_t;

static bool
conn_row(const store_conn_t *c, void *arg)
{
    conn_list_t *l = arg;
    json_array_append_new(l->arr, admin_conn_json(c, l->public_url));
    return true;
}

static void
conn_write(admin_req_t *a, store_conn_t *c, bool creating)
{
    wx_err_t err = {0};
    char secret[STORE_SECRET_PLAIN_MAX + 1], ptoken[64] = "", paes[64] = "";
    bool ptoken_given = false, paes_given = false;
    json_t *body = admin_body(a), *errors = json_object();
    const char *public_url = a->ctx->app->cfg->public_url;
    char prev_txt[STORE_TXT_NAME_MAX];
    wx_strlcpy(prev_txt, c->txt_filename, sizeof(prev_txt));
    if (!body)
        goto out;
    bool push_ok = admin_conn_push_apply(body, ptoken, sizeof(ptoken), &ptoken_given, paes,
                                         sizeof(paes), &paes_given, errors);
    if (!admin_conn_apply(body, c, creating, secret, sizeof(secret), errors) || !push_ok) {
        admin_invalid(a, errors);
        errors = NULL;
        goto out;
    }
    store_conn_t old;
    if (creating && store_conn_get(a->st, c->pool_id, c->identifier, &old, &err) == WX_OK) {
        OPENSSL_cleanse(old.app_secret, sizeof(old.app_secret));
        admin_conflict(a, "identifier", "this pool already has a connection with this identifier");
        goto out;
    }
    /* Another connection's verification file of the same name would shadow this one. */
    if (c->txt_filename[0]) {
        char content[STORE_TXT_CONTENT_MAX];
        if (store_txt_get(a->st, c->txt_filename, content, sizeof(content), &err) == WX_OK &&
            strcmp(prev_txt, c->txt_filename) != 0 && strcmp(content, c->txt_content) != 0) {
            admin_invalid(a, json_pack("{s:s}", "txt_filename",
                                       "another connection already serves a file with this "
                                       "name and different content"));
            goto out;
        }
        wx_err_clear(&err);
    }
    c->app_secret[0] = '\0'; /* empty keeps the stored one */
    if (secret[0] && keys_conn_secret_seal(&a->ctx->app->master, c, secret, c->app_secret,
                                           sizeof(c->app_secret), &err) != WX_OK) {
        admin_store_error(a, &err);
        goto out;
    }
    /* The message server's settings: given ones sealed (or cleared), others kept. */
    const seal_key_t *mk = &a->ctx->app->master;
    if (ptoken_given) {
        c->push_token[0] = '\0';
        if (ptoken[0] && keys_conn_field_seal(mk, c, "push_token", ptoken, c->push_token,
                                              sizeof(c->push_token), &err) != WX_OK) {
            admin_store_error(a, &err);
            goto out;
        }
    }
    if (paes_given) {
        c->push_aes_key[0] = '\0';
        if (paes[0] && keys_conn_field_seal(mk, c, "push_aes_key", paes, c->push_aes_key,
                                            sizeof(c->push_aes_key), &err) != WX_OK) {
            admin_store_error(a, &err);
            goto out;
        }
    }
    if (c->push_aes_key[0] && !c->push_token[0]) {
        admin_invalid(a, json_pack("{s:s}", "push_token",
                                   "is required with encoding_aes_key (WeChat signs every push "
                                   "with the Token)"));
        goto out;
    }
    if (conf_changed_after(store_conn_put(a->st, c, &err)) != WX_OK) {
        admin_audit(a, c->pool_id, creating ? "connection.create" : "connection.update",
                    c->identifier, "failed");
        admin_store_error(a, &err);
        goto out;
    }
    admin_audit(a, c->pool_id, creating ? "connection.create" : "connection.update", c->identifier,
                secret[0] && (ptoken_given || paes_given) ? "ok (app secret, message server set)"
                : secret[0]                               ? "ok (app secret set)"
                : ptoken_given || paes_given              ? "ok (message server set)"
                                                          : "ok");
    store_conn_get(a->st, c->pool_id, c->identifier, c, &err);
    a->r->outcome = "ok";
    admin_reply(a, creating ? 201 : 200, admin_conn_json(c, public_url));
out:
    OPENSSL_cleanse(secret, sizeof(secret));
    OPENSSL_cleanse(ptoken, sizeof(ptoken));
    OPENSSL_cleanse(paes, sizeof(paes));
    json_decref(body);
    json_decref(errors);
}

bool
admin_has_plain_url(const char *urls)
{
    for (const char *p = urls; p && *p;) {
        size_t l = strcspn(p, "\n");
        if (l && !memchr(p, '*', l))
            return true;
        p += l + (p[l] == '\n');
    }
    return false;
}

static bool
app_plain_row(const store_app_t *app, void *arg)
{
    bool *found = arg;
    *found = *found || admin_has_plain_url(app->redirect_urls);
    return !*found;
}

/* The checks of the set-up that need only the store (POST …/check; the rest runs on the loop,
 * admin_check.c). Also the desktop methods' readiness (admin_desktop.c). */
json_t *
admin_conn_static_checks(admin_req_t *a, const store_pool_t *pool, const store_conn_t *c)
{
    wx_err_t err = {0};
    bool app_plain = false;
    conn_check_t x;
    json_t *arr = json_array();
    if (store_app_list(a->st, pool->id, app_plain_row, &app_plain, &err) != WX_OK)
        wx_err_clear(&err); /* counted as none: the callback check then says what to add */
    conn_check_init(&x, c, a->ctx->app->cfg->public_url);
    if (arr)
        conn_check_static(arr, &x, admin_has_plain_url(pool->redirect_urls), app_plain);
    return arr;
}

bool
admin_conns(admin_req_t *a)
{
    wx_err_t err = {0};
    store_conn_t c = {0};
    store_pool_t pool;
    const char *m = a->r->method;
    if (!is(a->seg[0], "pools") || a->nseg < 3 || a->nseg > 5 || !is(a->seg[2], "connections"))
        return false;
    if (store_pool_get(a->st, a->seg[1], &pool, &err) != WX_OK) {
        admin_store_error(a, &err);
        return true;
    }
    if (a->nseg == 3) {
        if (is(m, "GET")) {
            conn_list_t l = {json_array(), a->ctx->app->cfg->public_url};
            if (store_conn_list(a->st, pool.id, conn_row, &l, &err) != WX_OK) {
                json_decref(l.arr);
                admin_store_error(a, &err);
            } else {
                a->r->outcome = "ok";
                admin_reply(a, 200, json_pack("{s:o}", "connections", l.arr));
            }
        } else if (is(m, "POST")) {
            wx_strlcpy(c.pool_id, pool.id, sizeof(c.pool_id));
            conn_write(a, &c, true);
        } else {
            admin_error(a, 405, "use GET or POST on /pools/{id}/connections");
        }
        return true;
    }
    if (store_conn_get(a->st, pool.id, a->seg[3], &c, &err) != WX_OK) {
        admin_store_error(a, &err);
        return true;
    }
    if (a->nseg == 5) {
        if (!is(a->seg[4], "check"))
            admin_error(a, 404, "no such admin resource");
        else if (!is(m, "POST"))
            admin_error(a, 405, "use POST on /pools/{id}/connections/{identifier}/check");
        else if (!(a->check = malloc(sizeof(*a->check))))
            admin_error(a, 500, "out of memory");
        else { /* WeChat is asked from the loop, once this part is over (admin.c) */
            *a->check = c;
            a->check_static = admin_conn_static_checks(a, &pool, &c);
        }
    } else if (is(m, "GET")) {
        a->r->outcome = "ok";
        admin_reply(a, 200, admin_conn_json(&c, a->ctx->app->cfg->public_url));
    } else if (is(m, "PUT") || is(m, "PATCH")) {
        conn_write(a, &c, false);
    } else if (is(m, "DELETE")) {
        if (conf_changed_after(store_conn_delete(a->st, pool.id, c.identifier, &err)) != WX_OK) {
            admin_store_error(a, &err);
        } else {
            admin_audit(a, pool.id, "connection.delete", c.identifier, "ok");
            a->r->outcome = "ok";
            admin_reply(a, 200, json_pack("{s:b}", "deleted", 1));
        }
    } else {
        admin_error(a, 405, "use GET, PUT or DELETE on /pools/{id}/connections/{identifier}");
    }
    OPENSSL_cleanse(c.app_secret, sizeof(c.app_secret));
    return true;
}
