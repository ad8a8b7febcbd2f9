/* GET /metrics: Prometheus text (exposition format 0.0.4), summed over the workers at scrape
 * time. The hot paths only add to their own worker's counters (http/metrics.h); this handler
 * is the one reader. Access ([metrics] access): "token" (default) wants a Bearer token — the
 * scrape-only [metrics] token_hash when set, else the admin token — "public" lets anyone who
 * reaches the port read it, "off" answers 404. With an admin listener of its own ([admin]
 * listen), the admin token is never checked on the public listener (its promise): there the
 * public /metrics wants the scrape-only token, and without one /metrics is served on the admin
 * listener only. Both listeners show the public listener's figures. Loopback is not trusted:
 * behind a reverse proxy on the same host every request comes from loopback. */
#include "ctx.h"
#include "../http/sockets.h"

#include <stdlib.h>
#include <string.h>

#include "../http/conn_limit.h"
#include "desktop_ticket.h"
#include "../http/reply.h"
#include "../util/log.h"

#define METRICS_BODY_MAX (4 * 1024 * 1024)

/* Requests by route pattern and status. Routes sharing a pattern share their series. */
static wx_status_t
write_requests(wx_buf_t *b, http_server_t *s, int nworkers)
{
    size_t nroutes;
    const http_route_t *routes = http_server_routes(s, &nroutes);
    wx_status_t rc = prom_write_header(b, "wxauth_http_requests_total", "counter",
                                       "HTTP requests answered, by route pattern and status.");
    for (size_t ri = 0; ri <= nroutes && rc == WX_OK; ri++) {
        const char *pattern = ri ? routes[ri - 1].path : "unmatched";
        bool first = true;
        for (size_t k = 1; k < ri && first; k++)
            first = strcmp(routes[k - 1].path, pattern) != 0;
        if (!first)
            continue;
        for (size_t si = 0; si < HTTP_METRICS_STATUSES && rc == WX_OK; si++) {
            uint64_t v = 0;
            for (size_t rj = ri; rj <= nroutes; rj++) {
                if (rj != ri && (ri == 0 || strcmp(routes[rj - 1].path, pattern) != 0))
                    continue;
                for (int i = 0; i < nworkers; i++) {
                    const http_metrics_t *m = http_server_worker(s, i)->metrics;
                    v += prom_counter_get(&m->requests[rj * HTTP_METRICS_STATUSES + si]);
                }
                if (ri == 0)
                    break;
            }
            if (!v)
                continue;
            char st[8];
            wx_snprintf(st, sizeof(st), "%d", si ? (int)si + 99 : 0);
            prom_label_t l[] = {{"route", pattern}, {"status", st}};
            rc = prom_write_uint(b, "wxauth_http_requests_total", l, 2, v);
        }
    }
    return rc;
}

/* The connection limits' counters (http/conn_limit.h). */
static wx_status_t
write_conn_limits(wx_buf_t *b, http_server_t *s)
{
    http_conns_stats_t cs;
    http_conns_stats(http_server_conns(s), &cs);
    wx_status_t rc = prom_write_header(b, "wxauth_connections_refused_total", "counter",
                                       "Client connections refused (503 and closed) at accept, "
                                       "by the cap they hit ([server] max_connections, "
                                       "max_connections_per_addr).");
    prom_label_t tl[] = {{"cap", "total"}}, al[] = {{"cap", "address"}};
    if (rc == WX_OK)
        rc = prom_write_uint(b, "wxauth_connections_refused_total", tl, 1,
                             (uint64_t)cs.refused_total);
    if (rc == WX_OK)
        rc = prom_write_uint(b, "wxauth_connections_refused_total", al, 1,
                             (uint64_t)cs.refused_addr);
    if (rc == WX_OK)
        rc = prom_write_header(b, "wxauth_requests_timed_out_total", "counter",
                               "Connections closed because a request's head and body took "
                               "longer than [server] request_timeout_ms.");
    if (rc == WX_OK)
        rc = prom_write_uint(b, "wxauth_requests_timed_out_total", NULL, 0, (uint64_t)cs.timed_out);
    if (rc == WX_OK)
        rc = prom_write_header(b, "wxauth_accept_paused_total", "counter",
                               "Times accepting paused because the process had no free file "
                               "descriptor.");
    if (rc == WX_OK)
        rc = prom_write_uint(b, "wxauth_accept_paused_total", NULL, 0, (uint64_t)cs.accept_paused);
    return rc;
}

static wx_status_t
write_metrics(wx_buf_t *b, http_req_t *r)
{
    const worker_ctx_t *mine = handle_ctx(r);
    const app_t *app = mine->app;
    /* On the admin listener: the public listener's figures (the ones that matter). */
    http_server_t *s = mine->admin_listener ? app->public_srv : r->worker->server;
    int nworkers = http_server_worker_count(s);
    int64_t req_inflight = 0, logins_inflight = 0;
    prom_family_sum_t *logins = calloc(1, sizeof(*logins));
    prom_family_sum_t *calls = calloc(1, sizeof(*calls));
    store_writer_stats_t ws;
    wx_status_t rc = logins && calls ? WX_OK : WX_ENOMEM;
    if (rc != WX_OK)
        goto out;
    for (int i = 0; i < nworkers; i++) {
        http_worker_t *w = http_server_worker(s, i);
        const worker_ctx_t *ctx = w->ctx;
        req_inflight += atomic_load_explicit(&w->inflight, memory_order_relaxed);
        logins_inflight += atomic_load_explicit(&ctx->logins_inflight, memory_order_relaxed);
        prom_family_sum(logins, &w->metrics->logins);
        prom_family_sum(calls, &w->metrics->wechat);
    }
    store_writer_stats(app->writer, &ws);
    store_readers_stats_t rs = {0};
    if (app->readers)
        store_readers_stats(app->readers, &rs);
    int64_t conns = 0;
    wx_err_t cerr = {0};
    bool conns_known = http_sockets_open(http_server_port(s), &conns, &cerr) == WX_OK;

    if ((rc = write_requests(b, s, nworkers)) != WX_OK)
        goto out;
    rc = prom_write_header(b, "wxauth_http_requests_in_flight", "gauge",
                           "HTTP requests received and not yet answered.");
    if (rc == WX_OK)
        rc = prom_write_int(b, "wxauth_http_requests_in_flight", NULL, 0, req_inflight);
    if (rc == WX_OK && conns_known)
        rc = prom_write_header(b, "wxauth_http_connections_open", "gauge",
                               "TCP connections open on the listening port (idle keep-alive "
                               "ones included).");
    if (rc == WX_OK && conns_known)
        rc = prom_write_int(b, "wxauth_http_connections_open", NULL, 0, conns);
    if (rc == WX_OK)
        rc = write_conn_limits(b, s);
    if (rc == WX_OK)
        rc = prom_write_header(b, "wxauth_logins_total", "counter",
                               "WeChat callbacks answered, by the login's outcome word (as in "
                               "the request log); a reload counts again.");
    for (int i = 0; i < logins->n && rc == WX_OK; i++) {
        prom_label_t l[] = {{"outcome", logins->key[i]}};
        rc = prom_write_uint(b, "wxauth_logins_total", l, 1, logins->count[i]);
    }
    if (rc == WX_OK)
        rc = prom_write_header(b, "wxauth_logins_in_flight", "gauge",
                               "Logins between their WeChat callback and its answer.");
    if (rc == WX_OK)
        rc = prom_write_int(b, "wxauth_logins_in_flight", NULL, 0, logins_inflight);
    int64_t waits = 0;
    uint64_t wait_reads = 0;
    desktop_ticket_wait_stats(&waits, &wait_reads);
    if (rc == WX_OK)
        rc = prom_write_header(b, "wxauth_desktop_waits", "gauge",
                               "Desktop QR-page long-polls (/desktop/wait) open in this process "
                               "([desktop] max_waits); one whose client left is gone at once.");
    if (rc == WX_OK)
        rc = prom_write_int(b, "wxauth_desktop_waits", NULL, 0, waits);
    if (rc == WX_OK)
        rc = prom_write_header(b, "wxauth_desktop_wait_reads_total", "counter",
                               "Store reads of the tickets long-polls wait on (one at the start, "
                               "then every [desktop] poll_ms or on a change).");
    if (rc == WX_OK)
        rc = prom_write_uint(b, "wxauth_desktop_wait_reads_total", NULL, 0, wait_reads);
    if (rc == WX_OK)
        rc = prom_write_header(b, "wxauth_wechat_call_seconds", "histogram",
                               "WeChat API calls, each attempt, from the call to its answer "
                               "(waiting for a connection included).");
    for (int i = 0; i < calls->n && rc == WX_OK; i++) {
        prom_label_t l[] = {{"call", calls->key[i]}};
        rc = prom_write_hist(b, "wxauth_wechat_call_seconds", l, 1, &calls->hist[i]);
    }
    if (rc == WX_OK)
        rc = prom_write_header(b, "wxauth_store_write_seconds", "histogram",
                               "Store writer jobs (login states, claims, ends of logins), from "
                               "their submit until their transaction ended.");
    if (rc == WX_OK)
        rc = prom_write_hist(b, "wxauth_store_write_seconds", NULL, 0, &ws.latency);
    if (rc == WX_OK)
        rc = prom_write_header(b, "wxauth_store_write_batches_total", "counter",
                               "Store writer transactions (each holds one or more jobs).");
    if (rc == WX_OK)
        rc = prom_write_uint(b, "wxauth_store_write_batches_total", NULL, 0, ws.batches);
    if (rc == WX_OK)
        rc = prom_write_header(b, "wxauth_store_write_reruns_total", "counter",
                               "Store writer jobs run again alone after their batch failed to "
                               "commit.");
    if (rc == WX_OK)
        rc = prom_write_uint(b, "wxauth_store_write_reruns_total", NULL, 0, ws.rerun);
    if (rc == WX_OK && app->readers)
        rc = prom_write_header(b, "wxauth_store_read_seconds", "histogram",
                               "Store reads handed off by the event loops (PostgreSQL), from "
                               "their submit until they ended (queue included).");
    if (rc == WX_OK && app->readers)
        rc = prom_write_hist(b, "wxauth_store_read_seconds", NULL, 0, &rs.latency);
out:
    free(logins);
    free(calls);
    return rc;
}

static void metrics_write(http_req_t *r);

/* The token checked (maybe after a derivation off the loop): the metrics, or a refusal. */
static void
metrics_signed_in(http_req_t *r, admin_auth_result_t res, const admin_auth_info_t *info)
{
    const app_t *app = handle_ctx(r)->app;
    switch (res) {
    case ADMIN_AUTH_OK:
        metrics_write(r);
        return;
    case ADMIN_AUTH_LIMITED:
        r->outcome = "rate_limited";
        http_add_header(r, "Retry-After", "300");
        http_reply_error(r, 429, 429, "too many wrong tokens from this address; wait 5 minutes");
        return;
    case ADMIN_AUTH_BUSY:
        r->outcome = "rate_limited";
        http_add_header(r, "Retry-After", "1");
        http_reply_error(r, 429, 429, "too many token checks right now; retry in a second");
        return;
    default:
        r->outcome = "unauthorized";
        http_add_header(r, "WWW-Authenticate", "Bearer realm=\"wxauth-metrics\"");
        http_reply_error(r, 401, 401,
                         app->metrics.set ? "send the metrics token as Authorization: Bearer …"
                                          : "send the admin token as Authorization: Bearer …");
        return;
    }
}

/* The access rule of the file comment. */
void
handle_metrics(http_req_t *r)
{
    worker_ctx_t *ctx = handle_ctx(r);
    const app_t *app = ctx->app;
    const char *access = app->cfg->metrics_access;
    const admin_hash_t *h = app->metrics.set ? &app->metrics : &app->admin;
    if (strcmp(access, "public") == 0) {
        metrics_write(r);
        return;
    }
    if (strcmp(access, "off") == 0) {
        r->outcome = "off";
        http_reply_error(r, 404, 404, "not found");
        return;
    }
    if (app->admin_apart && !ctx->admin_listener && !app->metrics.set) {
        r->outcome = "disabled";
        http_reply_error(r, 403, 403,
                         "/metrics on this listener needs [metrics] token_hash; without it "
                         "/metrics is served on the admin listener ([admin] listen) with the "
                         "admin token");
        return;
    }
    if (!h->set) {
        r->outcome = "disabled";
        http_reply_error(r, 403, 403,
                         "/metrics needs a token: set [metrics] token_hash or the admin token, "
                         "or [metrics] access = public");
        return;
    }
    admin_authenticate_async(&ctx->metrics_guard, h, r, metrics_signed_in);
}

static void
metrics_write(http_req_t *r)
{
    wx_buf_t b;
    wx_buf_init(&b, METRICS_BODY_MAX);
    if (write_metrics(&b, r) != WX_OK) {
        wx_buf_free(&b);
        wx_log(WX_LOG_ERROR, "metrics_failed", "rid", r->id, NULL);
        http_reply_error(r, 500, 500, "metrics could not be written");
        return;
    }
    r->outcome = "ok";
    http_reply_raw(r, 200, "text/plain; version=0.0.4; charset=utf-8", b.data, b.len);
    wx_buf_free(&b);
}
