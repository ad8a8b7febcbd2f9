/* A worker's metrics (GET /metrics, handle/metrics.c): requests by route and status, counted
 * by reply.c as each request ends, and the families the layers above record into on the same
 * thread — login outcomes (handle/callback.c) and WeChat call latency (proto/wechat.c, through
 * the worker's HTTP client). One writer each (the worker thread), summed at scrape time. */
#ifndef WX_HTTP_METRICS_H
#define WX_HTTP_METRICS_H

#include "../util/prom.h"

/* Status index: status - 99 for 100..599; 0 for anything else (a connection reset: 0). */
#define HTTP_METRICS_STATUSES 501

typedef struct {
    size_t nroutes;           /* route index 0 is "no route matched"; route i is index i + 1 */
    prom_counter_t *requests; /* [(nroutes + 1) * HTTP_METRICS_STATUSES] */
    prom_family_t logins;     /* login outcome words */
    prom_family_t wechat;     /* WeChat API call latency, by call */
} http_metrics_t;

wx_status_t http_metrics_new(size_t nroutes, http_metrics_t **out, wx_err_t *err);
void http_metrics_free(http_metrics_t *m);

static inline size_t
http_metrics_status_index(int status)
{
    return status >= 100 && status <= 599 ? (size_t)(status - 99) : 0;
}

/* Count a finished request; worker thread only. */
static inline void
http_metrics_request(http_metrics_t *m, size_t route_index, int status)
{
    if (m && route_index <= m->nroutes)
        prom_counter_add(
            &m->requests[route_index * HTTP_METRICS_STATUSES + http_metrics_status_index(status)],
            1);
}

#endif
