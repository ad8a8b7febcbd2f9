/* libcurl multi-socket on libevent. The socket callback mirrors curl's wishes into libevent
 * events; the timer callback drives curl's timeouts; finished transfers are reaped after each
 * action, outside any curl callback, so completion callbacks may start new transfers.
 *
 * At most max_active transfers are handed to curl (one connection each); the others wait in our
 * own queue, where they hold no curl handle (a handle with its buffers is ~10 KB) and where the
 * wait does not count against the transfer's own timeout. A transfer that waits longer than
 * that timeout fails with HTTP_CLIENT_BUSY, before anything was sent. Finished handles are
 * reset and reused. */
#include "client.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <curl/curl.h>
#include <event2/event.h>

#include <openssl/crypto.h>

#include "../util/clock.h"

#define EASY_POOL_MAX 64 /* finished handles kept for reuse */

typedef struct xfer {
    struct xfer *next, *prev; /* active list, or the queue (next only) */
    http_client_t *c;
    CURL *easy; /* NULL while queued */
    char *url;
    char *post;  /* POST body, or NULL for a GET */
    char *ctype; /* POST only */
    char *ua;    /* User-Agent other than ours, or NULL */
    long timeout_ms;
    wx_buf_t body;
    bool too_big;
    http_client_cb cb;
    void *arg;
    int64_t start_ms;           /* asked for */
    int64_t start_us;           /* the same, finer, for metrics */
    int64_t active_ms;          /* handed to curl */
    struct curl_slist *headers; /* POST only: its Content-Type */
    char errbuf[CURL_ERROR_SIZE];
    int sock_errno; /* socket() failed with this: a cause on our side, not WeChat's */
    bool opened;    /* a socket() succeeded: the request may have reached the server */
} xfer_t;

struct http_client {
    struct event_base *base;
    CURLM *multi;
    struct event *timer;
    struct event *queue_timer; /* fails queued transfers that waited too long */
    xfer_t *xfers;             /* handed to curl */
    int active;
    xfer_t *queue_head, *queue_tail;
    int queued;
    int max_active;
    CURL *pool[EASY_POOL_MAX];
    int npool;
    http_metrics_t *metrics; /* the worker's, for callers that time their calls */
};

typedef struct {
    struct event *ev;
} sockinfo_t;

static void client_reap(http_client_t *c);
static void on_queue_timer(evutil_socket_t fd, short what, void *arg);

static void
global_init(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void
on_socket_event(evutil_socket_t fd, short what, void *arg)
{
    http_client_t *c = arg;
    int action = (what & EV_READ ? CURL_CSELECT_IN : 0) | (what & EV_WRITE ? CURL_CSELECT_OUT : 0);
    int running = 0;
    curl_multi_socket_action(c->multi, fd, action, &running);
    client_reap(c);
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
    http_client_t *c = arg;
    int running = 0;
    curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    client_reap(c);
}

static int
socket_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
    http_client_t *c = userp;
    sockinfo_t *si = socketp;
    if (what == CURL_POLL_REMOVE) {
        if (si) {
            event_free(si->ev);
            free(si);
            curl_multi_assign(c->multi, s, NULL);
        }
        return 0;
    }
    short kind = (short)((what & CURL_POLL_IN ? EV_READ : 0) |
                         (what & CURL_POLL_OUT ? EV_WRITE : 0) | EV_PERSIST);
    if (!si) {
        si = calloc(1, sizeof(*si));
        if (!si)
            return -1;
        curl_multi_assign(c->multi, s, si);
    } else {
        event_free(si->ev);
    }
    si->ev = event_new(c->base, s, kind, on_socket_event, c);
    if (!si->ev)
        return -1;
    event_add(si->ev, NULL);
    return 0;
}

static int
timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
    http_client_t *c = userp;
    if (timeout_ms < 0) {
        evtimer_del(c->timer);
        return 0;
    }
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    evtimer_add(c->timer, &tv);
    return 0;
}

static size_t
write_cb(char *ptr, size_t size, size_t nmemb, void *userp)
{
    xfer_t *x = userp;
    size_t n = size * nmemb;
    if (wx_buf_append(&x->body, ptr, n) != WX_OK) {
        x->too_big = true;
        return 0; /* aborts the transfer */
    }
    return n;
}

wx_status_t
http_client_new(struct event_base *base, http_client_t **out, wx_err_t *err)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, global_init);
    http_client_t *c = calloc(1, sizeof(*c));
    if (!c)
        return wx_err_set(err, WX_ENOMEM, "out of memory");
    c->base = base;
    c->multi = curl_multi_init();
    c->timer = evtimer_new(base, on_timer, c);
    c->queue_timer = evtimer_new(base, on_queue_timer, c);
    if (!c->multi || !c->timer || !c->queue_timer) {
        http_client_free(c);
        return wx_err_set(err, WX_ENOMEM, "cannot create HTTP client");
    }
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
    c->max_active = HTTP_CLIENT_MAX_ACTIVE_DEFAULT;
    /* Our queue keeps curl at max_active transfers: curl's own per-host limit would only queue
     * handles inside curl, with their memory, their timeout running. */
    curl_multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 0L);
    curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, (long)c->max_active);
    *out = c;
    return WX_OK;
}

void
http_client_set_max_active(http_client_t *c, int max_active)
{
    c->max_active = max_active > 0 ? max_active : HTTP_CLIENT_MAX_ACTIVE_DEFAULT;
    curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, (long)c->max_active);
}

static void
xfer_unlink(xfer_t *x)
{
    http_client_t *c = x->c;
    if (x->prev)
        x->prev->next = x->next;
    else
        c->xfers = x->next;
    if (x->next)
        x->next->prev = x->prev;
    x->next = x->prev = NULL;
    c->active--;
}

static void
xfer_free(xfer_t *x)
{
    http_client_t *c = x->c;
    if (x->easy) {
        curl_multi_remove_handle(c->multi, x->easy);
        if (c->npool < EASY_POOL_MAX) {
            curl_easy_reset(x->easy);
            c->pool[c->npool++] = x->easy;
        } else {
            curl_easy_cleanup(x->easy);
        }
    }
    curl_slist_free_all(x->headers);
    wx_buf_free(&x->body);
    if (x->post) {
        OPENSSL_cleanse(x->post, strlen(x->post)); /* may hold a secret */
        free(x->post);
    }
    free(x->url);
    free(x->ctype);
    free(x->ua);
    free(x);
}

/* curl's sockets come from here so that a socket() failing for want of a descriptor (or of
 * kernel memory) is known as ours, not reported as "could not connect" to WeChat. */
static curl_socket_t
open_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
    xfer_t *x = arg;
    curl_socket_t s = socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
    if (s == CURL_SOCKET_BAD) {
        x->sock_errno = errno;
    } else { /* an earlier failure (another address) is no longer the cause */
        x->sock_errno = 0;
        x->opened = true;
    }
    return s;
}

static bool
errno_is_local(int e)
{
    return e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM;
}

static http_client_outcome_t
outcome_of(const xfer_t *x, CURLcode rc, bool too_big)
{
    if (too_big)
        return HTTP_CLIENT_TOO_BIG;
    /* Ours only if no socket was ever opened: then nothing can have been sent. */
    if (rc != CURLE_OK && !x->opened && errno_is_local(x->sock_errno))
        return HTTP_CLIENT_LOCAL;
    switch (rc) {
    case CURLE_OK:
        return HTTP_CLIENT_OK;
    case CURLE_OPERATION_TIMEDOUT:
        return HTTP_CLIENT_TIMEOUT;
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
        return HTTP_CLIENT_CONNECT;
    default:
        return HTTP_CLIENT_OTHER;
    }
}

/* Report x (already off the active list and the queue) and free it. */
static void
xfer_report(xfer_t *x, http_client_outcome_t outcome, CURLcode rc)
{
    http_client_result_t res = {0};
    char *ctype = NULL;
    res.outcome = outcome;
    if (res.outcome == HTTP_CLIENT_OK) {
        curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &res.status);
        curl_easy_getinfo(x->easy, CURLINFO_CONTENT_TYPE, &ctype);
    }
    res.content_type = ctype;
    res.body = wx_buf_str(&x->body);
    res.body_len = x->body.len;
    char local[160];
    if (outcome == HTTP_CLIENT_LOCAL) {
        wx_snprintf(local, sizeof(local),
                    "no socket on this server (%s): raise the open-file limit or lower "
                    "[server] max_connections",
                    strerror(x->sock_errno));
        res.error = local;
    } else
        res.error = outcome == HTTP_CLIENT_CANCELLED ? "server shutting down"
                    : outcome == HTTP_CLIENT_BUSY
                        ? "no free outbound connection in time (raise [wechat] max_connections)"
                        : (x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc));
    res.elapsed_ms = wx_mono_ms() - x->start_ms;
    res.elapsed_us = wx_mono_us() - x->start_us;
    res.queued_ms = (x->easy ? x->active_ms : wx_mono_ms()) - x->start_ms;
    x->cb(&res, x->arg);
    xfer_free(x);
}

static void xfer_launch_queued(http_client_t *c);

static void
xfer_finish(xfer_t *x, CURLcode rc, bool cancelled)
{
    http_client_t *c = x->c;
    xfer_unlink(x);
    xfer_report(x, cancelled ? HTTP_CLIENT_CANCELLED : outcome_of(x, rc, x->too_big), rc);
    xfer_launch_queued(c);
}

static void
client_reap(http_client_t *c)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(c->multi, &left)) != NULL) {
        if (m->msg != CURLMSG_DONE)
            continue;
        xfer_t *x = NULL;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
        if (x)
            xfer_finish(x, m->data.result, false);
    }
}

/* Hand x to curl. */
static wx_status_t
xfer_launch(xfer_t *x)
{
    http_client_t *c = x->c;
    x->easy = c->npool > 0 ? c->pool[--c->npool] : curl_easy_init();
    if (!x->easy)
        return WX_ENOMEM;
    curl_easy_setopt(x->easy, CURLOPT_URL, x->url);
    curl_easy_setopt(x->easy, CURLOPT_PRIVATE, x);
    curl_easy_setopt(x->easy, CURLOPT_OPENSOCKETFUNCTION, open_socket);
    curl_easy_setopt(x->easy, CURLOPT_OPENSOCKETDATA, x);
    curl_easy_setopt(x->easy, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(x->easy, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(x->easy, CURLOPT_ERRORBUFFER, x->errbuf);
    curl_easy_setopt(x->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(x->easy, CURLOPT_TIMEOUT_MS, x->timeout_ms);
    curl_easy_setopt(x->easy, CURLOPT_CONNECTTIMEOUT_MS,
                     x->timeout_ms < 3000 ? x->timeout_ms : 3000L);
    curl_easy_setopt(x->easy, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(x->easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(x->easy, CURLOPT_USERAGENT, x->ua ? x->ua : "wxauth/0.1");
    curl_easy_setopt(x->easy, CURLOPT_SSL_VERIFYPEER, 1L);
    /* WeChat's answers are small JSON: a 4 KB receive buffer instead of libcurl's 16 KB keeps a
     * login waiting on WeChat small (issue #10: <= 16 KB per login in flight). */
    curl_easy_setopt(x->easy, CURLOPT_BUFFERSIZE, 4096L);
    if (x->post) {
        curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, x->headers);
        curl_easy_setopt(x->easy, CURLOPT_POSTFIELDSIZE, (long)strlen(x->post));
        curl_easy_setopt(x->easy, CURLOPT_POSTFIELDS, x->post);
    }
    x->active_ms = wx_mono_ms();
    x->next = c->xfers;
    x->prev = NULL;
    if (c->xfers)
        c->xfers->prev = x;
    c->xfers = x;
    c->active++;
    if (curl_multi_add_handle(c->multi, x->easy) != CURLM_OK) {
        xfer_unlink(x);
        return WX_EIO;
    }
    return WX_OK;
}

static void
queue_arm(http_client_t *c)
{
    if (!c->queue_head) {
        evtimer_del(c->queue_timer);
        return;
    }
    int64_t wait = c->queue_head->start_ms + c->queue_head->timeout_ms - wx_mono_ms();
    if (wait < 0)
        wait = 0;
    struct timeval tv = {(time_t)(wait / 1000), (suseconds_t)((wait % 1000) * 1000)};
    evtimer_add(c->queue_timer, &tv);
}

static xfer_t *
queue_pop(http_client_t *c)
{
    xfer_t *x = c->queue_head;
    if (x) {
        c->queue_head = x->next;
        if (!c->queue_head)
            c->queue_tail = NULL;
        x->next = NULL;
        c->queued--;
    }
    return x;
}

/* Start queued transfers while there is room; fail the ones that waited too long. */
static void
xfer_launch_queued(http_client_t *c)
{
    while (c->queue_head) {
        xfer_t *x = c->queue_head;
        bool late = wx_mono_ms() - x->start_ms >= x->timeout_ms;
        if (!late && c->active >= c->max_active)
            break;
        queue_pop(c);
        if (late) {
            xfer_report(x, HTTP_CLIENT_BUSY, CURLE_OK);
            continue;
        }
        wx_status_t rc = xfer_launch(x);
        if (rc != WX_OK) {
            if (x->easy) {
                curl_easy_cleanup(x->easy); /* never reached curl: do not pool it */
                x->easy = NULL;
            }
            snprintf(x->errbuf, sizeof(x->errbuf), "cannot start transfer");
            xfer_report(x, HTTP_CLIENT_OTHER, CURLE_OK);
        }
    }
    queue_arm(c);
}

static void
on_queue_timer(evutil_socket_t fd, short what, void *arg)
{
    xfer_launch_queued(arg);
}

/* One transfer: a GET, or a POST of body (copied) when ctype is not NULL. */
static wx_status_t
xfer_start(http_client_t *c, const char *url, const char *ua, const char *ctype, const char *body,
           long timeout_ms, size_t max_body, http_client_cb cb, void *arg, wx_err_t *err)
{
    xfer_t *x = calloc(1, sizeof(*x));
    if (!x)
        return wx_err_set(err, WX_ENOMEM, "out of memory");
    x->c = c;
    x->cb = cb;
    x->arg = arg;
    x->timeout_ms = timeout_ms;
    x->start_ms = wx_mono_ms();
    x->start_us = wx_mono_us();
    wx_buf_init(&x->body, max_body);
    x->url = strdup(url);
    bool ok = x->url != NULL;
    if (ok && ua)
        ok = (x->ua = strdup(ua)) != NULL;
    if (ok && ctype) {
        char line[128];
        wx_snprintf(line, sizeof(line), "Content-Type: %s", ctype);
        x->headers = curl_slist_append(NULL, line);
        x->post = strdup(body);
        ok = x->headers && x->post;
    }
    if (!ok) {
        xfer_free(x);
        return wx_err_set(err, WX_ENOMEM, "out of memory");
    }
    if (c->active < c->max_active && !c->queue_head) {
        wx_status_t rc = xfer_launch(x);
        if (rc != WX_OK) {
            if (x->easy)
                curl_easy_cleanup(x->easy);
            x->easy = NULL;
            xfer_free(x);
            return wx_err_set(err, rc, "cannot start transfer");
        }
        return WX_OK;
    }
    if (c->queue_tail)
        c->queue_tail->next = x;
    else
        c->queue_head = x;
    c->queue_tail = x;
    c->queued++;
    if (c->queue_head == x)
        queue_arm(c);
    return WX_OK;
}

wx_status_t
http_client_get(http_client_t *c, const char *url, long timeout_ms, size_t max_body,
                http_client_cb cb, void *arg, wx_err_t *err)
{
    return xfer_start(c, url, NULL, NULL, NULL, timeout_ms, max_body, cb, arg, err);
}

wx_status_t
http_client_get_as(http_client_t *c, const char *url, const char *user_agent, long timeout_ms,
                   size_t max_body, http_client_cb cb, void *arg, wx_err_t *err)
{
    return xfer_start(c, url, user_agent, NULL, NULL, timeout_ms, max_body, cb, arg, err);
}

wx_status_t
http_client_post(http_client_t *c, const char *url, const char *content_type, const char *body,
                 long timeout_ms, size_t max_body, http_client_cb cb, void *arg, wx_err_t *err)
{
    return xfer_start(c, url, NULL, content_type, body, timeout_ms, max_body, cb, arg, err);
}

void
http_client_cancel_all(http_client_t *c)
{
    if (!c)
        return;
    xfer_t *x;
    while ((x = queue_pop(c)) != NULL)
        xfer_report(x, HTTP_CLIENT_CANCELLED, CURLE_OK);
    if (c->queue_timer)
        evtimer_del(c->queue_timer);
    while (c->xfers) {
        x = c->xfers;
        xfer_unlink(x);
        xfer_report(x, HTTP_CLIENT_CANCELLED, CURLE_ABORTED_BY_CALLBACK);
    }
}

int
http_client_pending(const http_client_t *c)
{
    return c->active + c->queued;
}

void
http_client_free(http_client_t *c)
{
    if (!c)
        return;
    http_client_cancel_all(c);
    for (int i = 0; i < c->npool; i++)
        curl_easy_cleanup(c->pool[i]);
    if (c->multi)
        curl_multi_cleanup(c->multi);
    if (c->timer)
        event_free(c->timer);
    if (c->queue_timer)
        event_free(c->queue_timer);
    free(c);
}

const char *
http_client_outcome_str(http_client_outcome_t o)
{
    static const char *n[] = {"ok",        "timeout", "connect", "too big",
                              "cancelled", "other",   "busy",    "local"};
    return (size_t)o < WX_ARRAY_LEN(n) ? n[o] : "unknown";
}

void
http_client_set_metrics(http_client_t *c, http_metrics_t *m)
{
    c->metrics = m;
}

http_metrics_t *
http_client_metrics(const http_client_t *c)
{
    return c->metrics;
}
