/* Worker threads, listeners and request dispatch. */
#include "server.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <event2/thread.h>

#include "../util/addr.h"
#include "../util/clock.h"
#include "../util/log.h"
#include "../util/rand.h"
#include "client.h"
#include "conn_limit.h"
#include "reply.h"

typedef struct {
    http_worker_t w; /* first, so a worker pointer is a slot pointer */
    struct evhttp *http;
    struct evconnlistener *listener;
    struct evhttp_bound_socket *bound;
    pthread_t thread;
    bool started;
    struct event *stop_timer;
    int64_t deadline_ms;
    wx_log_batch_t log_batch; /* this worker's log lines, written once per loop turn */
    struct event *log_flush;
    http_conns_worker_t *conns; /* this worker's side of the connection limits */
} worker_slot_t;

struct http_server {
    http_server_config_t cfg;
    worker_slot_t *slots;
    int nworkers;
    int port;
    bool stopped;
    http_conns_t *conns;
};

static void dispatch(struct evhttp_request *ev, void *arg);

/* Our workers share the port with SO_REUSEPORT, which would also let a second wxauthd (or
 * anything else using it) share it silently and take part of the traffic with another
 * database and other keys. So first bind once without it: if someone already listens there,
 * refuse to start. */
static wx_status_t
port_is_free(const struct sockaddr_storage *ss, socklen_t len, const char *listen,
             const char *section, wx_err_t *err)
{
    int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    wx_status_t rc = WX_OK;
    if (fd < 0)
        return wx_err_set(err, WX_EIO, "cannot create a socket: %s", strerror(errno));
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)); /* TIME_WAIT is fine */
    if (bind(fd, (const struct sockaddr *)ss, len) != 0) {
        if (errno == EADDRINUSE)
            rc = wx_err_set(err, WX_ECONFIG,
                            "%s is already in use by another process (another wxauthd?): stop "
                            "it or choose another [%s] listen address",
                            listen, section ? section : "server");
        else
            rc = wx_err_set(err, WX_EIO, "cannot listen on %s: %s", listen, strerror(errno));
    }
    close(fd);
    return rc;
}

static void
log_flush_cb(evutil_socket_t fd, short what, void *arg)
{
    worker_slot_t *s = arg;
    wx_log_batch_flush(&s->log_batch);
}

/* The batch got its first line: flush it once the callbacks already due in this loop turn have
 * run (an active event goes to the end of the queue), before the loop waits again. Replies
 * made in this turn leave in a later one, so a request's log line is still written before its
 * reply is sent, as when each line was written at once. */
static void
log_pending(void *arg)
{
    worker_slot_t *s = arg;
    event_active(s->log_flush, EV_TIMEOUT, 1);
}

static void *
worker_main(void *arg)
{
    worker_slot_t *s = arg;
    wx_log_batch_attach(&s->log_batch);
    http_conns_worker_attach(s->conns);
    event_base_dispatch(s->w.base);
    wx_log_batch_flush(&s->log_batch);
    wx_log_batch_attach(NULL);
    return NULL;
}

/* An event loop whose epoll changes are applied once per loop iteration: a keep-alive request
 * turns its connection's read and write events off and on again within one iteration, and
 * applying each change at once was ~10 % of a /auth/check's CPU in epoll_ctl. Safe here: no fd
 * the loop watches is a dup() of another (libevent's one caveat). */
static struct event_base *
worker_base_new(void)
{
    struct event_config *c = event_config_new();
    struct event_base *b = NULL;
    if (!c)
        return NULL;
    event_config_set_flag(c, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
    b = event_base_new_with_config(c);
    event_config_free(c);
    return b;
}

wx_status_t
http_server_start(const http_server_config_t *cfg, http_server_t **out, wx_err_t *err)
{
    wx_status_t rc = WX_OK;
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    http_server_t *s = calloc(1, sizeof(*s));
    struct sockaddr_storage ss;
    socklen_t sslen = 0;
    *out = NULL;
    if (!s)
        return wx_err_set(err, WX_ENOMEM, "out of memory");
    pthread_once(&once, (void (*)(void))evthread_use_pthreads);
    http_conns_libevent_log_init();
    signal(SIGPIPE, SIG_IGN);
    s->cfg = *cfg;
    s->nworkers = cfg->workers > 0 ? cfg->workers : (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (s->nworkers < 1)
        s->nworkers = 1;
    if (s->nworkers > 64)
        s->nworkers = 64;
    s->slots = calloc((size_t)s->nworkers, sizeof(*s->slots));
    if (!s->slots) {
        rc = wx_err_set(err, WX_ENOMEM, "out of memory");
        goto out;
    }
    rc = wx_addr_parse_listen(cfg->listen, &ss, &sslen, err);
    if (rc != WX_OK)
        goto out;
    if ((rc = port_is_free(&ss, sslen, cfg->listen, cfg->section, err)) != WX_OK)
        goto out;
    http_conns_config_t cc = {.max_total = cfg->max_connections,
                              .max_per_addr = cfg->max_connections_per_addr,
                              .request_timeout_ms = cfg->request_timeout_ms,
                              .reserve_per_worker = cfg->reserve_fds_per_worker,
                              .reserve_extra = cfg->reserve_fds,
                              .section = cfg->section,
                              .workers = s->nworkers,
                              .trusted_proxies = cfg->trusted_proxies};
    if ((rc = http_conns_new(&cc, &s->conns, err)) != WX_OK)
        goto out;
    for (int i = 0; i < s->nworkers; i++) {
        worker_slot_t *sl = &s->slots[i];
        sl->w.server = s;
        sl->w.index = i;
        sl->w.base = worker_base_new();
        sl->log_flush = sl->w.base ? event_new(sl->w.base, -1, 0, log_flush_cb, sl) : NULL;
        if (!sl->log_flush) {
            rc = wx_err_set(err, WX_EIO, "cannot create event loop");
            goto out;
        }
        sl->log_batch.pending = log_pending;
        sl->log_batch.arg = sl;
        /* SO_REUSEPORT: each worker has its own accept queue on the same port. */
        sl->listener = evconnlistener_new_bind(sl->w.base, NULL, NULL,
                                               LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE |
                                                   LEV_OPT_REUSEABLE_PORT | LEV_OPT_CLOSE_ON_EXEC,
                                               1024, (struct sockaddr *)&ss, (int)sslen);
        if (!sl->listener) {
            rc = wx_err_set(err, WX_EIO, "cannot listen on %s: %s", cfg->listen, strerror(errno));
            goto out;
        }
        if (i == 0) { /* port 0: the others bind the port the first one got */
            struct sockaddr_storage got;
            socklen_t gl = sizeof(got);
            getsockname(evconnlistener_get_fd(sl->listener), (struct sockaddr *)&got, &gl);
            uint16_t p = got.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&got)->sin6_port
                                                   : ((struct sockaddr_in *)&got)->sin_port;
            s->port = ntohs(p);
            if (ss.ss_family == AF_INET6)
                ((struct sockaddr_in6 *)&ss)->sin6_port = p;
            else
                ((struct sockaddr_in *)&ss)->sin_port = p;
        }
        sl->http = evhttp_new(sl->w.base);
        if (!sl->http) {
            rc = wx_err_set(err, WX_ENOMEM, "cannot create HTTP server");
            goto out;
        }
        sl->bound = evhttp_bind_listener(sl->http, sl->listener);
        if (!sl->bound) {
            rc = wx_err_set(err, WX_EIO, "cannot bind HTTP listener");
            goto out;
        }
        sl->listener = NULL; /* owned by evhttp now */
        rc = http_conns_worker_new(s->conns, sl->w.base, sl->http,
                                   evhttp_bound_socket_get_listener(sl->bound), &sl->conns, err);
        if (rc != WX_OK)
            goto out;
        evhttp_set_allowed_methods(sl->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
                                                 EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
                                                 EVHTTP_REQ_PATCH | EVHTTP_REQ_OPTIONS);
        evhttp_set_max_headers_size(sl->http,
                                    cfg->max_headers_size ? cfg->max_headers_size : 16384);
        evhttp_set_max_body_size(sl->http, cfg->max_body_size ? cfg->max_body_size : 65536);
        evhttp_set_timeout(sl->http, cfg->timeout_s > 0 ? cfg->timeout_s : 30);
        evhttp_set_gencb(sl->http, dispatch, &sl->w);
        rc = http_client_new(sl->w.base, &sl->w.client, err);
        if (rc == WX_OK)
            rc = http_metrics_new(cfg->nroutes, &sl->w.metrics, err);
        if (rc != WX_OK)
            goto out;
        http_client_set_metrics(sl->w.client, sl->w.metrics);
        if (cfg->worker_init) {
            rc = cfg->worker_init(&sl->w, cfg->arg, &sl->w.ctx, err);
            if (rc != WX_OK)
                goto out;
        }
    }
    for (int i = 0; i < s->nworkers; i++) {
        if (pthread_create(&s->slots[i].thread, NULL, worker_main, &s->slots[i]) != 0) {
            rc = wx_err_set(err, WX_EIO, "cannot start worker thread");
            http_server_stop(s, 0);
            http_server_free(s);
            return rc;
        }
        s->slots[i].started = true;
    }
    char nw[12], port[12];
    wx_snprintf(nw, sizeof(nw), "%d", s->nworkers);
    wx_snprintf(port, sizeof(port), "%d", s->port);
    http_conns_stats_t cs;
    char mc[12], ma[12];
    http_conns_stats(s->conns, &cs);
    wx_snprintf(mc, sizeof(mc), "%d", cs.max_total);
    wx_snprintf(ma, sizeof(ma), "%d", cs.max_per_addr);
    wx_log(WX_LOG_INFO, "listening", "addr", cfg->listen, "#port", port, "#workers", nw,
           "#max_connections", mc, "#max_connections_per_addr", ma, NULL);
    *out = s;
    s = NULL;
out:
    if (s)
        http_server_free(s);
    return rc;
}

int
http_server_port(const http_server_t *s)
{
    return s->port;
}

int
http_server_worker_count(const http_server_t *s)
{
    return s->nworkers;
}

http_worker_t *
http_server_worker(http_server_t *s, int i)
{
    return i >= 0 && i < s->nworkers ? &s->slots[i].w : NULL;
}

const struct http_conns *
http_server_conns(const http_server_t *s)
{
    return s->conns;
}

const http_route_t *
http_server_routes(const http_server_t *s, size_t *n)
{
    *n = s->cfg.nroutes;
    return s->cfg.routes;
}

/* How long past shutdown_grace_ms replies may take to reach slow clients. */
#define STOP_WRITE_GRACE_MS 1000
/* How long past shutdown_grace_ms a request still without its reply may take to get it. At the
 * deadline its WeChat calls fail, so what is left is the store's write of its end (a busy
 * writer, a slow database): bounded, and worth an answer rather than a closed connection. */
#define STOP_ANSWER_GRACE_MS 5000

static void
stop_check(evutil_socket_t fd, short what, void *arg)
{
    worker_slot_t *sl = arg;
    int64_t now = wx_mono_ms();
    if (atomic_load(&sl->w.inflight) > 0 && now >= sl->deadline_ms) {
        /* Past the deadline: fail what still waits on WeChat so each request gets a reply. */
        http_client_cancel_all(sl->w.client);
        if (sl->w.server->cfg.on_drain && atomic_load(&sl->w.inflight) > 0)
            sl->w.server->cfg.on_drain(&sl->w, sl->w.ctx);
    }
    /* Done when every request has its reply, every reply is written out (a client that does
     * not read gets STOP_WRITE_GRACE_MS more, a request still being answered
     * STOP_ANSWER_GRACE_MS) and no background job is still to come back.
     * Background jobs are waited for even past the deadline: each is bounded (a PBKDF2
     * derivation) and will touch this loop when it ends, so the loop must outlive it. */
    int64_t inflight = atomic_load(&sl->w.inflight);
    if (atomic_load(&sl->w.background) <= 0 &&
        ((inflight == 0 && atomic_load(&sl->w.unsent) <= 0) ||
         now >= sl->deadline_ms + (inflight > 0 ? STOP_ANSWER_GRACE_MS : STOP_WRITE_GRACE_MS))) {
        event_base_loopexit(sl->w.base, NULL);
        return;
    }
    struct timeval tv = {0, 20000};
    evtimer_add(sl->stop_timer, &tv);
}

static void
stop_begin(evutil_socket_t fd, short what, void *arg)
{
    worker_slot_t *sl = arg;
    sl->w.draining = true;
    if (sl->bound) { /* stop accepting; connections already open are served */
        http_conns_worker_stop(sl->conns);
        evhttp_del_accept_socket(sl->http, sl->bound);
        sl->bound = NULL;
    }
    sl->stop_timer = evtimer_new(sl->w.base, stop_check, sl);
    stop_check(-1, 0, sl);
}

void
http_server_stop(http_server_t *s, int deadline_ms)
{
    if (!s || s->stopped)
        return;
    s->stopped = true;
    for (int i = 0; i < s->nworkers; i++) {
        worker_slot_t *sl = &s->slots[i];
        sl->deadline_ms = wx_mono_ms() + deadline_ms;
        if (sl->started)
            event_base_once(sl->w.base, -1, EV_TIMEOUT, stop_begin, sl, NULL);
    }
    for (int i = 0; i < s->nworkers; i++)
        if (s->slots[i].started) {
            pthread_join(s->slots[i].thread, NULL);
            s->slots[i].started = false;
        }
}

void
http_server_free(http_server_t *s)
{
    if (!s)
        return;
    for (int i = 0; s->slots && i < s->nworkers; i++) {
        worker_slot_t *sl = &s->slots[i];
        if (sl->stop_timer)
            event_free(sl->stop_timer);
        if (sl->w.client)
            http_client_free(sl->w.client);
        if (sl->http)
            evhttp_free(sl->http); /* closes connections: after it, their counts can go */
        http_conns_worker_free(sl->conns);
        if (sl->listener)
            evconnlistener_free(sl->listener);
        if (s->cfg.worker_fini && sl->w.ctx)
            s->cfg.worker_fini(&sl->w, sl->w.ctx);
        http_metrics_free(sl->w.metrics);
        if (sl->log_flush)
            event_free(sl->log_flush);
        if (sl->w.base)
            event_base_free(sl->w.base);
    }
    free(s->slots);
    http_conns_free(s->conns);
    free(s);
}

void
http_server_run_until_signal(http_server_t *s, int deadline_ms)
{
    sigset_t set;
    int sig = 0;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigwait(&set, &sig);
    wx_log(WX_LOG_INFO, "shutdown", "signal", sig == SIGTERM ? "TERM" : "INT", NULL);
    http_server_stop(s, deadline_ms);
}

/* ---- dispatch ---- */

static const char *
method_name(enum evhttp_cmd_type t)
{
    switch (t) {
    case EVHTTP_REQ_GET:
        return "GET";
    case EVHTTP_REQ_POST:
        return "POST";
    case EVHTTP_REQ_HEAD:
        return "HEAD";
    case EVHTTP_REQ_PUT:
        return "PUT";
    case EVHTTP_REQ_DELETE:
        return "DELETE";
    case EVHTTP_REQ_PATCH:
        return "PATCH";
    case EVHTTP_REQ_OPTIONS:
        return "OPTIONS";
    default:
        return "OTHER";
    }
}

static bool
route_path_match(const http_route_t *rt, const char *path)
{
    size_t n = strlen(rt->path);
    if (n > 0 && rt->path[n - 1] == '*')
        return strncmp(path, rt->path, n - 1) == 0;
    return strcmp(path, rt->path) == 0;
}

static bool
method_match(const char *want, const char *got)
{
    if (!want || strcmp(want, got) == 0)
        return true;
    return strcmp(want, "GET") == 0 && strcmp(got, "HEAD") == 0;
}

/* A request id: 8 bytes of the CSPRNG as hex, as before, but drawn 64 ids at a time (one
 * RAND_bytes per request was ~6 % of a /auth/check's CPU). Ids are public: no cleansing. */
static void
req_id_make(http_worker_t *w, char out[17])
{
    if (w->rid_left < 8) {
        if (wx_rand_bytes(w->rid_pool, sizeof(w->rid_pool)) != WX_OK) {
            wx_strlcpy(out, "0000000000000000", 17);
            return;
        }
        w->rid_left = sizeof(w->rid_pool);
    }
    wx_hex_encode(w->rid_pool + sizeof(w->rid_pool) - w->rid_left, 8, out);
    w->rid_left -= 8;
}

static void
dispatch(struct evhttp_request *ev, void *arg)
{
    http_worker_t *w = arg;
    http_server_t *s = w->server;
    wx_err_t err = {0};
    http_req_t *r = calloc(1, sizeof(*r));
    if (!r) {
        evhttp_send_error(ev, 503, "Service Unavailable");
        return;
    }
    r->ev = ev;
    r->worker = w;
    r->start_ms = wx_mono_ms();
    http_conns_request_read(ev); /* head and body are in: the request's deadline stops */
    r->method = method_name(evhttp_request_get_command(ev));
    req_id_make(w, r->id);
    atomic_fetch_add(&w->inflight, 1);

    if (wx_target_split(evhttp_request_get_uri(ev), &r->path, &r->query_raw, &err) != WX_OK) {
        http_reply_error(r, 400, 400, err.msg);
        return;
    }
    if (wx_query_parse(r->query_raw, &r->query, &err) != WX_OK) {
        http_reply_error(r, err.status == WX_ETOOBIG ? 414 : 400, 400, err.msg);
        return;
    }
    bool path_seen = false;
    for (size_t i = 0; i < s->cfg.nroutes; i++) {
        const http_route_t *rt = &s->cfg.routes[i];
        if (!route_path_match(rt, r->path))
            continue;
        path_seen = true;
        if (!method_match(rt->method, r->method))
            continue;
        r->route = rt;
        r->route_index = i + 1;
        rt->fn(r);
        return;
    }
    if (path_seen) {
        http_reply_error(r, 405, 405, "method not allowed");
        return;
    }
    if (s->cfg.fallback) {
        s->cfg.fallback(r);
        return;
    }
    http_reply_error(r, 404, 404, "not found");
}

/* ---- request accessors ---- */

const char *
http_req_header(http_req_t *r, const char *name)
{
    return evhttp_find_header(evhttp_request_get_input_headers(r->ev), name);
}

/* One forwarded hop's address, from an X-Forwarded-For item ("192.0.2.1", "[2001:db8::1]",
 * "192.0.2.1:5000") or a Forwarded "for=" value (the same, maybe quoted), into out; false when it
 * is not an address ("unknown", an obfuscated name, garbage). */
static bool
hop_addr(const char *p, size_t len, char *out, size_t n)
{
    while (len && (*p == ' ' || *p == '\t' || *p == '"')) {
        p++;
        len--;
    }
    while (len && (p[len - 1] == ' ' || p[len - 1] == '\t' || p[len - 1] == '"'))
        len--;
    if (len && *p == '[') { /* [v6] or [v6]:port */
        const char *close = memchr(p, ']', len);
        if (!close)
            return false;
        len = (size_t)(close - p - 1);
        p++;
    } else if (len && memchr(p, '.', len)) { /* v4:port (one colon; ::ffff:v4 has more) */
        const char *colon = memchr(p, ':', len);
        if (colon && !memchr(colon + 1, ':', len - (size_t)(colon - p) - 1))
            len = (size_t)(colon - p);
    }
    wx_cidr_t a;
    if (len == 0 || len >= n)
        return false;
    memcpy(out, p, len);
    out[len] = '\0';
    return wx_ip_parse(out, &a);
}

/* The next hop from the right of a header list value: the item that ends at *end (exclusive),
 * for X-Forwarded-For the whole item, for Forwarded its "for=" parameter. *end moves left. */
static bool
hop_prev(const char *v, size_t *end, bool forwarded, const char **item, size_t *ilen)
{
    while (*end > 0 && (v[*end - 1] == ',' || v[*end - 1] == ' '))
        (*end)--;
    if (*end == 0)
        return false;
    size_t start = *end;
    while (start > 0 && v[start - 1] != ',')
        start--;
    *item = v + start;
    *ilen = *end - start;
    *end = start;
    if (!forwarded)
        return true;
    /* Forwarded: "for=…;proto=…;by=…": find for= among the ';' pairs. */
    const char *p = *item, *e = *item + *ilen;
    while (p < e) {
        while (p < e && (*p == ' ' || *p == ';'))
            p++;
        const char *semi = memchr(p, ';', (size_t)(e - p));
        const char *pe = semi ? semi : e;
        if (pe - p > 4 && strncasecmp(p, "for=", 4) == 0) {
            *item = p + 4;
            *ilen = (size_t)(pe - p - 4);
            return true;
        }
        p = pe;
    }
    *ilen = 0; /* no for=: not an address, the walk stops */
    return true;
}

const char *
http_req_ip(http_req_t *r, char *buf, size_t n)
{
    struct evhttp_connection *c = evhttp_request_get_connection(r->ev);
    const wx_cidr_list_t *trusted = r->worker->server->cfg.trusted_proxies;
    const char *addr = NULL, *vals[8];
    ev_uint16_t port = 0;
    size_t nv = 0;
    bool forwarded = false;
    if (c)
        evhttp_connection_get_peer(c, (char **)&addr, &port);
    wx_strlcpy(buf, addr ? addr : "", n);
    if (!trusted || trusted->n == 0 || !wx_cidr_list_has(trusted, buf))
        return buf;
    /* Walk the hops right to left: each trusted proxy vouches for the address left of it; the
     * first one that is not a trusted proxy is the client. A hop we cannot read ends the walk
     * at the last address we could. Several headers of the same name are one list in order. */
    struct evkeyvalq *hs = evhttp_request_get_input_headers(r->ev);
    struct evkeyval *h;
    for (int pass = 0; pass < 2 && nv == 0; pass++) {
        const char *name = pass == 0 ? "X-Forwarded-For" : "Forwarded";
        for (h = hs->tqh_first; h; h = h->next.tqe_next) {
            if (strcasecmp(h->key, name) == 0 && nv < WX_ARRAY_LEN(vals))
                vals[nv++] = h->value;
        }
        forwarded = pass == 1;
    }
    char hop[64];
    while (nv > 0) {
        const char *v = vals[--nv], *item;
        size_t end = strlen(v), ilen;
        while (hop_prev(v, &end, forwarded, &item, &ilen)) {
            if (!hop_addr(item, ilen, hop, sizeof(hop)))
                return buf;
            wx_strlcpy(buf, hop, n);
            if (!wx_cidr_list_has(trusted, hop))
                return buf;
        }
    }
    return buf;
}

bool
http_req_cookie(http_req_t *r, const char *name, char *out, size_t n)
{
    return http_cookie_get(http_req_header(r, "Cookie"), name, out, n);
}

bool
http_cookie_get(const char *h, const char *name, char *out, size_t n)
{
    size_t nl = strlen(name);
    if (!h)
        return false;
    const char *p = h;
    while (*p) {
        while (*p == ' ' || *p == ';')
            p++;
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
            size_t vl = len - nl - 1;
            if (vl >= n)
                return false;
            memcpy(out, p + nl + 1, vl);
            out[vl] = '\0';
            return true;
        }
        if (!end)
            break;
        p = end + 1;
    }
    return false;
}

char *
http_req_body(http_req_t *r, size_t *len)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(r->ev);
    size_t n = evbuffer_get_length(in);
    char *b = malloc(n + 1);
    if (!b)
        return NULL;
    evbuffer_copyout(in, b, n);
    b[n] = '\0';
    if (len)
        *len = n;
    return b;
}
