/* HTTP server plumbing: N worker threads, each with its own event_base, evhttp and
 * SO_REUSEPORT listener, so the kernel spreads connections and no lock sits on the hot path.
 * Handlers may reply later (after an outbound call): a request stays open until a reply
 * function is called on it, from the worker thread that received it. */
#ifndef WX_HTTP_SERVER_H
#define WX_HTTP_SERVER_H

#include <stdatomic.h>

#include "../util/cidr.h"
#include "../util/url.h"
#include "metrics.h"

struct event_base;
struct evhttp_request;
struct event;

typedef struct http_server http_server_t;
typedef struct http_worker http_worker_t;
typedef struct http_req http_req_t;
typedef struct http_client http_client_t;

typedef void (*http_handler_fn)(http_req_t *r);

typedef struct {
    const char *method; /* "GET", "POST", or NULL for any */
    const char *path;   /* exact path, or a prefix when it ends in '*' */
    http_handler_fn fn;
    const char *name; /* route name for logs */
} http_route_t;

typedef struct {
    const char *service; /* for logs: "wxauthd", "emulator" */
    const char *listen;  /* "127.0.0.1:8080"; port 0 picks a free one */
    int workers;         /* <= 0: one per core */
    const http_route_t *routes;
    size_t nroutes;
    http_handler_fn fallback; /* no route matched (NULL: 404 JSON) */
    size_t max_headers_size;
    size_t max_body_size;
    int timeout_s; /* read/write timeout of a connection */
    /* Connection limits (conn_limit.h): open connections in total and per peer address
     * (<= 0: derived from the fd limit), the deadline of a request's head and body (<= 0:
     * none), and the fds the app keeps per worker besides client connections. */
    int max_connections;
    int max_connections_per_addr;
    int request_timeout_ms;
    int reserve_fds_per_worker;
    int reserve_fds;     /* and fds kept for others (the admin listener's connections) */
    const char *section; /* the config section of listen and the limits, for messages */
    /* Peers whose X-Forwarded-For / Forwarded name the client (http_req_ip); NULL or empty:
     * the peer is the client. */
    const wx_cidr_list_t *trusted_proxies;
    /* Per-worker context (store connection, caches): made in the worker's thread before it
     * serves, destroyed after. */
    wx_status_t (*worker_init)(http_worker_t *w, void *arg, void **ctx, wx_err_t *err);
    void (*worker_fini)(http_worker_t *w, void *ctx);
    /* Called in the worker's thread when a graceful stop reaches its deadline with requests
     * still open, so the app can answer requests it holds (e.g. timers) before the loop ends. */
    void (*on_drain)(http_worker_t *w, void *ctx);
    void *arg;
} http_server_config_t;

struct http_worker {
    http_server_t *server;
    int index;
    struct event_base *base;
    http_client_t *client;   /* outbound HTTP on this loop */
    void *ctx;               /* from worker_init */
    http_metrics_t *metrics; /* this worker's counters (metrics.h) */
    atomic_int inflight;     /* requests not yet replied */
    atomic_int unsent;       /* replies made but not yet fully written to their socket */
    /* Work the app handed to another thread whose completion must still run on this loop
     * (e.g. a store job of a timer): a stop waits for it, even past its deadline, so nothing
     * is left undelivered and the loop outlives the thread. Only for bounded jobs. */
    atomic_int background;
    bool draining; /* stopping: replies say Connection: close (loop thread only) */
    /* Request ids are drawn from the CSPRNG in batches (server.c: req_id_make). */
    unsigned char rid_pool[512];
    size_t rid_left; /* unused bytes at the end of rid_pool */
};

struct http_req {
    struct evhttp_request *ev;
    http_worker_t *worker;
    const http_route_t *route;
    size_t route_index; /* for metrics: 0 when no route matched, else its index + 1 */
    const char *method;
    char *path;      /* decoded, '/' runs folded */
    char *query_raw; /* NULL when absent */
    wx_query_t query;
    char id[17]; /* request id, in logs and error pages */
    int64_t start_ms;
    const char *outcome; /* short word for the log line (handler sets it) */
    char log_extra[256]; /* extra log fields, already JSON-safe key=value text */
    void *data;          /* handler continuation state */
    void (*data_free)(void *data);
    void (*gone)(http_req_t *r); /* http_req_watch_close (reply.h) */
    struct event *gone_ev;       /* ... its watch of the client's socket */
};

wx_status_t http_server_start(const http_server_config_t *cfg, http_server_t **out, wx_err_t *err);
/* Port actually bound (useful with port 0). */
int http_server_port(const http_server_t *s);
/* The workers and the route table, for a scrape that sums the workers' metrics. Another
 * worker's fields may only be read through atomics (metrics, inflight). */
int http_server_worker_count(const http_server_t *s);
/* The connection limits and their counters (conn_limit.h). */
const struct http_conns *http_server_conns(const http_server_t *s);
http_worker_t *http_server_worker(http_server_t *s, int i);
const http_route_t *http_server_routes(const http_server_t *s, size_t *n);
/* Stop accepting, let in-flight requests finish up to deadline_ms, then stop the loops and
 * join the threads. Safe to call from any thread once. */
void http_server_stop(http_server_t *s, int deadline_ms);
void http_server_free(http_server_t *s);
/* Run until SIGTERM or SIGINT, then stop gracefully with deadline_ms. */
void http_server_run_until_signal(http_server_t *s, int deadline_ms);

/* Request accessors. */
const char *http_req_header(http_req_t *r, const char *name);
/* The client's IP as text: the peer's, or, when the peer is one of trusted_proxies, the
 * rightmost address of X-Forwarded-For (else Forwarded: for=) that is not itself a trusted
 * proxy. Used for logs, the admin sign-in limit and a user's last_ip. */
const char *http_req_ip(http_req_t *r, char *buf, size_t n);
/* Value of cookie name into out; false when absent or too long. */
bool http_req_cookie(http_req_t *r, const char *name, char *out, size_t n);
/* The same over a Cookie header's value (NULL: none), without a request (fuzzed alone). */
bool http_cookie_get(const char *header, const char *name, char *out, size_t n);
/* Request body (bounded by max_body_size), NUL-terminated copy; caller frees. */
char *http_req_body(http_req_t *r, size_t *len);

#endif
