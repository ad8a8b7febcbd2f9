/* Replies, security headers and the access log line. */
#include "reply.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "../util/clock.h"
#include "../util/html.h"
#include "../util/log.h"
#include "conn_limit.h"

void
http_add_header(http_req_t *r, const char *name, const char *value)
{
    evhttp_add_header(evhttp_request_get_output_headers(r->ev), name, value);
}

const char *
http_resp_header(http_req_t *r, const char *name)
{
    return evhttp_find_header(evhttp_request_get_output_headers(r->ev), name);
}

void
http_set_cookie(http_req_t *r, const char *name, const char *value, long max_age, bool secure)
{
    char c[512];
    char age[48] = "";
    if (max_age >= 0)
        wx_snprintf(age, sizeof(age), "; Max-Age=%ld", max_age);
    if (wx_snprintf(c, sizeof(c), "%s=%s; Path=/; HttpOnly; SameSite=Lax%s%s", name, value, age,
                    secure ? "; Secure" : ""))
        http_add_header(r, "Set-Cookie", c);
}

static void
req_free(http_req_t *r)
{
    if (r->data_free && r->data)
        r->data_free(r->data);
    wx_query_free(&r->query);
    free(r->path);
    free(r->query_raw);
    free(r);
}

static void
access_log(http_req_t *r, int status)
{
    char st[12], ms[24];
    wx_snprintf(st, sizeof(st), "%d", status);
    wx_snprintf(ms, sizeof(ms), "%lld", (long long)(wx_mono_ms() - r->start_ms));
    wx_log(status >= 500 ? WX_LOG_WARN : WX_LOG_INFO, "request", "rid", r->id, "m", r->method,
           "path", r->path ? r->path : "?", "route", r->route ? r->route->name : "-", "#status", st,
           "#ms", ms, "outcome", r->outcome, "detail", r->log_extra[0] ? r->log_extra : NULL, NULL);
}

/* One reply on its way to the socket, counted in its worker's `unsent` until libevent has
 * written it all (on-complete) or the connection is gone without it (close callback: a client
 * that reset or timed out), whichever comes first; the other callback is then cleared. */
typedef struct {
    http_worker_t *w;
} reply_track_t;

static void
reply_closed(struct evhttp_connection *c, void *arg)
{
    reply_track_t *t = arg;
    atomic_fetch_sub(&t->w->unsent, 1);
    free(t);
}

static void
reply_written(struct evhttp_request *ev, void *arg)
{
    reply_track_t *t = arg;
    struct evhttp_connection *c = evhttp_request_get_connection(ev);
    if (c)
        http_conns_set_closecb(c, NULL, NULL);
    atomic_fetch_sub(&t->w->unsent, 1);
    free(t);
}

/* Watching a held request's client (http_req_watch_close). evhttp stops reading a connection
 * once a request is dispatched, so a client that leaves while its request is held goes
 * unnoticed until the reply is written: we watch the socket ourselves (a second read event on
 * its fd, peeking, never reading). Its end of file or reset ends the request here: the handler
 * cancels its work (gone), the connection is freed (evhttp frees the request with it). The
 * connection's close callback covers evhttp freeing it first (the server stopping): the
 * request is still on it then and evhttp frees it after the callback. */
static void req_unwatch(http_req_t *r);
static void req_unwatch_keep_closecb(http_req_t *r);

/* closing: called from the connection's close callback (evhttp is freeing it, maybe from
 * another thread at the server's end): its close callback is not ours to reset then. */
static void
req_gone(http_req_t *r, bool closing)
{
    void (*gone)(http_req_t *) = r->gone;
    if (closing)
        req_unwatch_keep_closecb(r);
    else
        req_unwatch(r);
    if (gone)
        gone(r);
    r->outcome = "client_gone";
    access_log(r, 0);
    http_metrics_request(r->worker->metrics, r->route_index, 0);
    atomic_fetch_sub(&r->worker->inflight, 1);
}

static void
req_conn_closed(struct evhttp_connection *c, void *arg)
{
    http_req_t *r = arg;
    bool ours = evhttp_request_get_connection(r->ev) != c;
    req_gone(r, true);
    if (ours) /* detached by evhttp (an error on the connection): the request is ours */
        evhttp_request_free(r->ev);
    req_free(r);
}

static void
req_sock_readable(evutil_socket_t fd, short what, void *arg)
{
    http_req_t *r = arg;
    char b;
    (void)what;
    ssize_t n = recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (n > 0) { /* bytes of a next request (pipelining): evhttp reads them after the reply */
        event_free(r->gone_ev);
        r->gone_ev = NULL;
        return;
    }
    struct evhttp_connection *c = evhttp_request_get_connection(r->ev);
    req_gone(r, false); /* end of file or reset: the client left */
    if (c)
        evhttp_connection_free(c); /* frees the request too */
    else
        evhttp_request_free(r->ev);
    req_free(r);
}

void
http_req_watch_close(http_req_t *r, void (*gone)(http_req_t *r))
{
    struct evhttp_connection *c = evhttp_request_get_connection(r->ev);
    struct bufferevent *bev = c ? evhttp_connection_get_bufferevent(c) : NULL;
    evutil_socket_t fd = bev ? bufferevent_getfd(bev) : -1;
    if (!c)
        return; /* gone already: the reply is dropped as any other */
    r->gone = gone;
    http_conns_set_closecb(c, req_conn_closed, r);
    /* Without the watch (no memory), a client that left is noticed at the reply. */
    if (fd >= 0 &&
        (r->gone_ev = event_new(r->worker->base, fd, EV_READ | EV_PERSIST, req_sock_readable, r)) !=
            NULL &&
        event_add(r->gone_ev, NULL) != 0) {
        event_free(r->gone_ev);
        r->gone_ev = NULL;
    }
}

static void
req_unwatch_keep_closecb(http_req_t *r)
{
    r->gone = NULL;
    if (r->gone_ev)
        event_free(r->gone_ev);
    r->gone_ev = NULL;
}

/* The reply (or abort) takes the connection's close callback back from a watched request. */
static void
req_unwatch(http_req_t *r)
{
    struct evhttp_connection *c = r->gone ? evhttp_request_get_connection(r->ev) : NULL;
    if (c)
        http_conns_set_closecb(c, NULL, NULL);
    req_unwatch_keep_closecb(r);
}

void
http_reply_raw(http_req_t *r, int status, const char *content_type, const void *body, size_t len)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(r->ev);
    req_unwatch(r);
    struct evbuffer *b = evbuffer_new();
    if (content_type)
        evhttp_add_header(h, "Content-Type", content_type);
    evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
    evhttp_add_header(h, "Referrer-Policy", "no-referrer");
    evhttp_add_header(h, "X-Request-Id", r->id);
    if (!evhttp_find_header(h, "Cache-Control"))
        evhttp_add_header(h, "Cache-Control", "no-store");
    if (b && len)
        evbuffer_add(b, body, len);
    if (r->worker->draining) /* the client must not send its next request on this connection */
        evhttp_add_header(h, "Connection", "close");
    access_log(r, status);
    http_metrics_request(r->worker->metrics, r->route_index, status);
    /* A graceful stop waits until the reply is on the wire, not merely queued: counted down
     * when libevent has written it all. */
    struct evhttp_connection *conn = evhttp_request_get_connection(r->ev);
    reply_track_t *t = conn ? malloc(sizeof(*t)) : NULL; /* no connection: dropped at once */
    if (t) {
        t->w = r->worker;
        atomic_fetch_add(&r->worker->unsent, 1);
        evhttp_request_set_on_complete_cb(r->ev, reply_written, t);
        http_conns_set_closecb(conn, reply_closed, t);
    }
    evhttp_send_reply(r->ev, status, NULL, b);
    if (b)
        evbuffer_free(b);
    atomic_fetch_sub(&r->worker->inflight, 1);
    req_free(r);
}

void
http_reply_json(http_req_t *r, int status, json_t *obj)
{
    char *s = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
    if (!s) {
        json_decref(obj);
        http_reply_raw(r, 500, "application/json", "{\"code\":500,\"message\":\"internal error\"}",
                       39);
        return;
    }
    http_reply_raw(r, status, "application/json; charset=utf-8", s, strlen(s));
    free(s);
    json_decref(obj);
}

void
http_reply_error(http_req_t *r, int status, int code, const char *message)
{
    if (!r->outcome)
        r->outcome = "error";
    http_reply_json(r, status, json_pack("{s:i,s:s}", "code", code, "message", message));
}

void
http_reply_redirect(http_req_t *r, const char *location)
{
    http_add_header(r, "Location", location);
    http_reply_raw(r, 302, "text/plain; charset=utf-8", NULL, 0);
}

wx_status_t
http_html_escape(wx_buf_t *b, const char *s)
{
    return wx_html_escape(b, s);
}

/* This request again, as a path relative to our host: the retry of a GET. Leading slashes
 * are folded into one, so "//oauth/…" (Authing 1.0's double slash) never reads as another
 * host. */
static bool
self_target(http_req_t *r, char *out, size_t n)
{
    const char *uri = evhttp_request_get_uri(r->ev);
    if (!uri || uri[0] != '/' || strcmp(r->method, "GET") != 0)
        return false;
    while (uri[1] == '/')
        uri++;
    return wx_strlcpy(out, uri, n);
}

void
http_reply_page(http_req_t *r, int status, wx_msg_id_t id, const http_page_t *o)
{
    static const http_page_t none = {0};
    wx_buf_t b;
    char self[4096];
    if (!o)
        o = &none;
    wx_msg_page_t p = {.id = id,
                       .status = status,
                       .rid = r->id,
                       .code = o->code,
                       .accept_language = http_req_header(r, "Accept-Language"),
                       .arg = o->arg,
                       .detail = o->detail,
                       .action_url = o->action_url};
    if (!p.action_url && wx_msg(id)->action == WX_MSG_ACT_RETRY &&
        self_target(r, self, sizeof(self)))
        p.action_url = self;
    if (!r->outcome)
        r->outcome = "error";
    p.outcome = r->outcome;
    wx_buf_init(&b, 65536);
    if (wx_msg_page_render(&b, &p) != WX_OK) { /* a detail too long: the page without it */
        wx_buf_reset(&b);
        p.detail = NULL;
        wx_msg_page_render(&b, &p);
    }
    http_add_header(r, "Content-Security-Policy", WX_MSG_PAGE_CSP);
    http_add_header(r, "Content-Language",
                    wx_msg_english_first(p.accept_language) ? "en" : "zh-CN");
    http_reply_raw(r, status, "text/html; charset=utf-8", wx_buf_str(&b), b.len);
    wx_buf_free(&b);
}

void
http_reply_abort(http_req_t *r)
{
    struct evhttp_connection *c;
    req_unwatch(r);
    c = evhttp_request_get_connection(r->ev);
    r->outcome = r->outcome ? r->outcome : "reset";
    access_log(r, 0);
    http_metrics_request(r->worker->metrics, r->route_index, 0);
    atomic_fetch_sub(&r->worker->inflight, 1);
    if (c) {
        struct bufferevent *bev = evhttp_connection_get_bufferevent(c);
        evutil_socket_t fd = bev ? bufferevent_getfd(bev) : -1;
        if (fd >= 0) {
            struct linger lg = {1, 0}; /* close with RST, not FIN */
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
        }
        evhttp_connection_free(c); /* frees the pending request too */
    } else {
        evhttp_request_free(r->ev); /* client already gone: the request is ours */
    }
    req_free(r);
}
