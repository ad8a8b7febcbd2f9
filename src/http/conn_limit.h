/* Connection limits of the HTTP server (conn_limit.c): open connections capped in total and
 * per client peer address, accept() paused for a moment when the process runs out of file
 * descriptors, a deadline for each request's head and body, and libevent's own log lines sent
 * through our JSON log, rate-limited. */
#ifndef WX_HTTP_CONN_LIMIT_H
#define WX_HTTP_CONN_LIMIT_H

#include <stdatomic.h>

#include "../util/cidr.h"
#include "../util/wx.h"

struct event_base;
struct evhttp;
struct evhttp_connection;
struct evhttp_request;
struct evconnlistener;

typedef struct http_conns http_conns_t;               /* one per server (all its workers) */
typedef struct http_conns_worker http_conns_worker_t; /* one per worker loop */

typedef struct {
    int max_total;          /* open connections in all; <= 0: derived from the fd limit */
    int max_per_addr;       /* per peer address (IPv6: per /64); <= 0: 256 (or max_total) */
    int request_timeout_ms; /* whole head + body of one request; <= 0: no deadline */
    /* Fds the app keeps per worker besides client connections (outbound calls, store): the
     * derived max_total leaves room for them. */
    int reserve_per_worker;
    int reserve_extra; /* and fds kept apart for others (the admin listener's connections) */
    int workers;
    /* The config section these settings are in, for messages ("server" when NULL). */
    const char *section;
    /* Peers exempt from the per-address cap: their connections carry many clients. */
    const wx_cidr_list_t *trusted_proxies;
} http_conns_config_t;

/* What /metrics shows (the server's, read with relaxed atomics). */
typedef struct {
    int64_t open;
    int max_total, max_per_addr;
    int64_t refused_total; /* refused: the total cap */
    int64_t refused_addr;  /* refused: the per-address cap */
    int64_t timed_out;     /* closed: request head/body past the deadline */
    int64_t accept_paused; /* accept() paused: no file descriptor (EMFILE, ENFILE, ...) */
} http_conns_stats_t;

struct sockaddr;
/* The per-address table's key of a peer (16 bytes: IPv4 as ::ffff:a.b.c.d, IPv6 its /64) and
 * its full address as text; false for another family. */
bool http_conns_peer_key(const struct sockaddr *sa, unsigned char key[16], char *txt, size_t n);
/* The bucket key falls in (tests: the hash is keyed per table). */
size_t http_conns_bucket(const http_conns_t *c, const unsigned char key[16], size_t *nbuckets);

/* Raise the soft RLIMIT_NOFILE to the hard limit (capped by fs.nr_open); before and after in
 * *before and *after. WX_EIO when setrlimit refuses (the old limit stays). */
wx_status_t http_conns_raise_fd_limit(long *before, long *after, wx_err_t *err);

wx_status_t http_conns_new(const http_conns_config_t *cfg, http_conns_t **out, wx_err_t *err);
void http_conns_free(http_conns_t *c);
void http_conns_stats(const http_conns_t *c, http_conns_stats_t *out);

/* Watch the connections evhttp accepts on listener lev (bound to http on base): call in the
 * thread that builds the worker, before the loop runs. Freed after evhttp_free. */
wx_status_t http_conns_worker_new(http_conns_t *c, struct event_base *base, struct evhttp *http,
                                  struct evconnlistener *lev, http_conns_worker_t **out,
                                  wx_err_t *err);
void http_conns_worker_free(http_conns_worker_t *cw);
/* The worker's loop thread, once, before it runs (the listener's error callback finds its
 * worker through it). */
void http_conns_worker_attach(http_conns_worker_t *cw);
/* Stopping: the listener is about to be freed; no pause may re-enable it. */
void http_conns_worker_stop(http_conns_worker_t *cw);

/* A request's head and body are in (dispatch): its deadline stops; the next request's starts
 * with its first byte. */
void http_conns_request_read(struct evhttp_request *ev);
/* evhttp has one close callback per connection and this module holds it: others set theirs
 * here (called first when the connection closes), on the connection's loop thread. Connections
 * not tracked fall back to evhttp_connection_set_closecb; off a worker's loop nothing is set
 * (logged as an error: a tracked connection's callback must never be overwritten). */
void http_conns_set_closecb(struct evhttp_connection *evcon,
                            void (*cb)(struct evhttp_connection *, void *), void *arg);

/* Route libevent's own log lines through wx_log (as warnings), at most
 * HTTP_CONNS_EVLOG_PER_SEC a second (errors always: libevent may exit after one); what is
 * dropped is counted in the next line let through. Once per process. */
#define HTTP_CONNS_EVLOG_PER_SEC 10
void http_conns_libevent_log_init(void);

#endif
