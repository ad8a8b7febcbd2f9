/* GET /desktop/methods?app_id=APP (or ?pool=POOL): the desktop (QR-code) login methods a
 * computer can use to log in to this application's pool, and the one its start URL picks when
 * the link names none (proto/desktop_methods.h: the rules start.c follows). A site's login
 * page shows "其他方式" links with it (examples/sample-app), each the start URL with
 * &desktop_method=. Public and the same for everyone (which methods exist, never a secret or
 * a connection's settings), so any origin may read it, without credentials. */
#include "ctx.h"
#include "reads.h"

#include <stdlib.h>
#include <string.h>

#include "../http/reply.h"
#include "../proto/desktop_methods.h"
#include "../util/log.h"

#define METHODS_CONNS_MAX 64 /* far more than a pool has; the rest are not considered */

typedef struct {
    http_req_t *r;
    char app_id[STORE_ID_MAX];
    char pool_id[STORE_ID_MAX];
    wx_status_t rc;
    wx_err_t err;
    store_pool_t pool;
    desktop_conn_t conns[METHODS_CONNS_MAX];
    size_t n;
} methods_read_t;

static bool
conn_row(const store_conn_t *c, void *arg)
{
    methods_read_t *m = arg;
    desktop_conn_t *d = &m->conns[m->n++];
    wx_strlcpy(d->identifier, c->identifier, sizeof(d->identifier));
    d->open = strcmp(c->type, STORE_CONN_OPEN) == 0;
    d->push_token = c->push_token[0] != '\0';
    return m->n < METHODS_CONNS_MAX;
}

static wx_status_t
methods_run(store_t *st, void *arg, wx_err_t *err)
{
    methods_read_t *m = arg;
    (void)err;
    if (m->app_id[0]) {
        store_app_t *app = malloc(sizeof(*app));
        if (!app)
            return m->rc = wx_err_set(&m->err, WX_ENOMEM, "out of memory");
        m->rc = store_app_get(st, m->app_id, app, &m->err);
        if (m->rc == WX_OK)
            wx_strlcpy(m->pool_id, app->pool_id, sizeof(m->pool_id));
        free(app);
        if (m->rc != WX_OK)
            return m->rc;
    }
    if ((m->rc = store_pool_get(st, m->pool_id, &m->pool, &m->err)) != WX_OK)
        return m->rc;
    return m->rc = store_conn_list(st, m->pool_id, conn_row, m, &m->err);
}

static const char *const names_zh[DMETHOD_COUNT] = {"", "微信扫码登录", "微信网站应用扫码",
                                                    "关注公众号登录"};
static const char *const names_en[DMETHOD_COUNT] = {"", "Scan with WeChat, confirm on the phone",
                                                    "WeChat website login",
                                                    "Follow the official account"};

static json_t *
method_json(desktop_method_t m, bool pick)
{
    return json_pack("{s:s,s:s,s:s,s:b}", "method", desktop_method_name(m), "name", names_zh[m],
                     "name_en", names_en[m], "auto", pick);
}

static void
methods_done(wx_status_t rc, const wx_err_t *err, void *arg)
{
    methods_read_t *m = arg;
    http_req_t *r = m->r;
    desktop_methods_t dm;
    (void)err;
    if (rc != WX_OK && m->rc == WX_OK) /* the read did not run (stopping, out of memory) */
        m->rc = rc;
    http_add_header(r, "Access-Control-Allow-Origin", "*");
    if (m->rc == WX_ENOENT) {
        r->outcome = "unknown";
        http_reply_error(r, 404, 404,
                         m->app_id[0] ? "no application has this app_id"
                                      : "no user pool has this id");
        goto out;
    }
    if (m->rc != WX_OK) {
        wx_log(WX_LOG_WARN, "desktop_methods_read_failed", "rid", r->id, "error", m->err.msg, NULL);
        r->outcome = "store_unavailable";
        http_reply_error(r, 503, 503, "the store cannot be read: try again in a moment");
        goto out;
    }
    desktop_methods_of(&m->pool, handle_ctx(r)->app->cfg->desktop_login, m->conns, m->n, &dm);
    json_t *list = json_array();
    /* The one a link naming none gets first, then the others in a fixed order. */
    if (list && dm.pick != DMETHOD_AUTO)
        json_array_append_new(list, method_json(dm.pick, true));
    for (int i = DMETHOD_SCAN; list && i < DMETHOD_COUNT; i++)
        if (i != (int)dm.pick && dm.m[i].why == DMETHOD_WHY_NONE)
            json_array_append_new(list, method_json((desktop_method_t)i, false));
    json_t *o = json_pack("{s:s,s:o*}", "pool_id", m->pool_id, "methods", list);
    if (o)
        json_object_set_new(o, "auto",
                            dm.pick == DMETHOD_AUTO ? json_null()
                                                    : json_string(desktop_method_name(dm.pick)));
    r->outcome = "ok";
    http_reply_json(r, 200, o);
out:
    free(m);
}

void
handle_desktop_methods(http_req_t *r)
{
    const char *app = wx_query_get(&r->query, "app_id");
    const char *pool = wx_query_get(&r->query, "pool");
    char client[64];
    bool have_app = app && *app;
    if ((have_app && !handle_valid_id(app)) || (!have_app && (!pool || !handle_valid_id(pool)))) {
        r->outcome = "invalid";
        http_add_header(r, "Access-Control-Allow-Origin", "*");
        http_reply_error(r, 400, 400,
                         "give app_id (an application's id) or pool (a user pool's id): letters, "
                         "digits, _ and - only");
        return;
    }
    if (!handle_rate_allow(r, LOGIN_RATE_CALLBACK, client, sizeof(client)))
        return;
    methods_read_t *m = calloc(1, sizeof(*m));
    if (!m) {
        http_reply_error(r, 503, 503, "out of memory: try again in a moment");
        return;
    }
    m->r = r;
    wx_strlcpy(m->app_id, have_app ? app : "", sizeof(m->app_id));
    wx_strlcpy(m->pool_id, have_app ? "" : pool, sizeof(m->pool_id));
    handle_read(r->worker, methods_run, methods_done, m);
}
