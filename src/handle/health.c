/* Liveness and readiness. /healthz: the process serves requests. /readyz: it can also read and
 * write its store, so a load balancer only sends logins to nodes that can finish them. */
#include "ctx.h"
#include "reads.h"

#include <stdlib.h>

#include <openssl/crypto.h>

#include "../http/reply.h"
#include "../util/clock.h"
#include "../util/log.h"

void
handle_healthz(http_req_t *r)
{
    r->outcome = "ok";
    http_reply_json(r, 200, json_pack("{s:s}", "status", "ok"));
}

/* The write probe: the node's heartbeat, through the writer like every login's writes. */
/* The job's argument: the writer thread reads only `app` (immutable), never the request. */
typedef struct {
    const app_t *app;
    http_req_t *r;
} ready_probe_t;

static wx_status_t
ready_write_run(store_t *st, void *arg, wx_err_t *err)
{
    const app_t *app = ((ready_probe_t *)arg)->app;
    return store_node_seen(st, app->node_id, app->host, app->pid, wx_now(), err);
}

static void
ready_written(wx_status_t rc, const wx_err_t *err, void *arg)
{
    ready_probe_t *p = arg;
    http_req_t *r = p->r;
    free(p);
    if (rc != WX_OK) {
        wx_log(WX_LOG_WARN, "not_ready", "reason", "store not writable", "error", err->msg,
               "detail", err->detail, NULL);
        r->outcome = "not_ready";
        http_reply_json(
            r, 503,
            json_pack("{s:s,s:s}", "status", "unavailable", "reason", "store not writable"));
        return;
    }
    r->outcome = "ok";
    http_reply_json(r, 200, json_pack("{s:s}", "status", "ready"));
}

/* The read probe: the current signing key, off the loop (handle/reads.h). */
typedef struct {
    http_req_t *r;
    store_key_t k;
} ready_read_t;

static wx_status_t
ready_read_run(store_t *st, void *arg, wx_err_t *err)
{
    ready_read_t *q = arg;
    wx_status_t rc = store_key_current(st, "RS256", &q->k, err);
    OPENSSL_cleanse(q->k.private_pem, sizeof(q->k.private_pem));
    return rc;
}

static void
ready_read(wx_status_t rc, const wx_err_t *err, void *arg)
{
    ready_read_t *q = arg;
    http_req_t *r = q->r;
    worker_ctx_t *ctx = handle_ctx(r);
    wx_err_t e2 = {0};
    free(q);
    if (rc != WX_OK) {
        if (rc != WX_ENOENT)
            wx_log(WX_LOG_WARN, "not_ready", "reason", "store not readable", "error", err->msg,
                   "detail", err->detail, NULL);
        r->outcome = "not_ready";
        http_reply_json(r, 503,
                        json_pack("{s:s,s:s}", "status", "unavailable", "reason",
                                  rc == WX_ENOENT ? "no signing key" : "store error"));
        return;
    }
    ready_probe_t *p = malloc(sizeof(*p));
    if (!p) {
        r->outcome = "not_ready";
        http_reply_json(r, 503,
                        json_pack("{s:s,s:s}", "status", "unavailable", "reason", "out of memory"));
        return;
    }
    *p = (ready_probe_t){ctx->app, r};
    if (store_writer_submit(ctx->app->writer, r->worker->base, ready_write_run, ready_written, p,
                            &e2) != WX_OK)
        ready_written(e2.status ? e2.status : WX_EBUSY, &e2, p);
}

/* Ready: the store answers, a signing key exists, and a write commits (a database that can
 * be read but not written, e.g. a full disk or a read-only replica, cannot finish a login). */
void
handle_readyz(http_req_t *r)
{
    ready_read_t *q = malloc(sizeof(*q));
    if (!q) {
        r->outcome = "not_ready";
        http_reply_json(r, 503,
                        json_pack("{s:s,s:s}", "status", "unavailable", "reason", "out of memory"));
        return;
    }
    q->r = r;
    handle_read(r->worker, ready_read_run, ready_read, q);
}
