/* Outbound HTTP on a worker's event loop: libcurl's multi-socket API driven by libevent, so
 * a request waiting on WeChat costs a few KB, never a thread. Callbacks run on the same loop. */
#ifndef WX_HTTP_CLIENT_H
#define WX_HTTP_CLIENT_H

#include "../util/buf.h"
#include "metrics.h"

struct event_base;
typedef struct http_client http_client_t;

typedef enum {
    HTTP_CLIENT_OK = 0,    /* got an HTTP response (any status) */
    HTTP_CLIENT_TIMEOUT,   /* no complete response in time */
    HTTP_CLIENT_CONNECT,   /* could not connect / connection reset */
    HTTP_CLIENT_TOO_BIG,   /* body over the limit */
    HTTP_CLIENT_CANCELLED, /* server shutting down */
    HTTP_CLIENT_OTHER,     /* any other transport failure */
    HTTP_CLIENT_BUSY,      /* waited for a free connection longer than the timeout; not sent */
    HTTP_CLIENT_LOCAL,     /* our side had no socket to give (EMFILE, ENFILE, ...); not sent */
} http_client_outcome_t;

#define HTTP_CLIENT_MAX_ACTIVE_DEFAULT 256

typedef struct {
    http_client_outcome_t outcome;
    long status;      /* HTTP status when outcome is OK */
    const char *body; /* NUL-terminated, valid during the callback only */
    size_t body_len;
    const char *content_type; /* may be NULL */
    const char *error;        /* transport error text (no URL, so no secret) */
    int64_t elapsed_ms;       /* from the call, queue included */
    int64_t elapsed_us;       /* the same in microseconds (metrics) */
    int64_t queued_ms;        /* of which waiting for a free connection */
} http_client_result_t;

typedef void (*http_client_cb)(const http_client_result_t *res, void *arg);

wx_status_t http_client_new(struct event_base *base, http_client_t **out, wx_err_t *err);
void http_client_free(http_client_t *c);
/* At most this many transfers at once (one connection each); more wait in a queue, their
 * timeout starting when they leave it. <= 0: HTTP_CLIENT_MAX_ACTIVE_DEFAULT. */
void http_client_set_max_active(http_client_t *c, int max_active);
/* GET url; cb is called exactly once, later, on the loop (never from inside this call). */
wx_status_t http_client_get(http_client_t *c, const char *url, long timeout_ms, size_t max_body,
                            http_client_cb cb, void *arg, wx_err_t *err);
/* The same with another User-Agent (the set-up check asks an authorize page as WeChat's app
 * would: pages meant for WeChat answer other agents with "open in WeChat"). */
wx_status_t http_client_get_as(http_client_t *c, const char *url, const char *user_agent,
                               long timeout_ms, size_t max_body, http_client_cb cb, void *arg,
                               wx_err_t *err);
/* POST body (copied; NUL-terminated) with the given Content-Type; otherwise as GET. Used for
 * calls that must not put a secret in the URL. */
wx_status_t http_client_post(http_client_t *c, const char *url, const char *content_type,
                             const char *body, long timeout_ms, size_t max_body, http_client_cb cb,
                             void *arg, wx_err_t *err);
/* Finish every pending transfer with HTTP_CLIENT_CANCELLED (graceful shutdown). */
void http_client_cancel_all(http_client_t *c);
/* Transfers under way or queued (for tests and metrics). */
int http_client_pending(const http_client_t *c);
const char *http_client_outcome_str(http_client_outcome_t o);
/* The worker's metrics block, for callers that time their calls (NULL: none). */
void http_client_set_metrics(http_client_t *c, http_metrics_t *m);
http_metrics_t *http_client_metrics(const http_client_t *c);

#endif
