/* A worker's metrics block (metrics.h). */
#include "metrics.h"

#include <stdlib.h>

wx_status_t
http_metrics_new(size_t nroutes, http_metrics_t **out, wx_err_t *err)
{
    wx_status_t rc = WX_OK;
    http_metrics_t *m = calloc(1, sizeof(*m));
    *out = NULL;
    if (!m)
        return wx_err_set(err, WX_ENOMEM, "out of memory");
    m->nroutes = nroutes;
    m->requests = calloc((nroutes + 1) * HTTP_METRICS_STATUSES, sizeof(*m->requests));
    m->wechat.hist = calloc(PROM_FAMILY_MAX, sizeof(*m->wechat.hist));
    if (!m->requests || !m->wechat.hist) {
        rc = wx_err_set(err, WX_ENOMEM, "out of memory");
        goto out;
    }
    *out = m;
    m = NULL;
out:
    http_metrics_free(m);
    return rc;
}

void
http_metrics_free(http_metrics_t *m)
{
    if (!m)
        return;
    free(m->requests);
    free(m->wechat.hist);
    free(m);
}
