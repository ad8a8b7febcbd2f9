/* libcurl multi-socket on libevent. The socket callback mirrors curl's wishes into libevent
 * events; the timer callback drives curl's timeouts; finished transfers are reaped after each
 * action, outside any curl callback, so completion callbacks may start new transfers. */
#include "client.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "../util/clock.h"

typedef struct xfer {
    struct xfer *next, *prev;
    http_client_t *c;
    CURL *easy;
    wx_buf_t body;
    bool too_big;
    http_client_cb cb;
    void *arg;
    int64_t start_ms;
    struct curl_slist *headers; /* POST only: its Content-Type */
    char errbuf[CURL_ERROR_SIZE];
} xfer_t;

struct http_client {
    struct event_base *base;
    CURLM *multi;
    struct event *timer;
    xfer_t *xfers;
    int pending;
};

typedef struct {
    struct event *ev;
} sockinfo_t;

static void client_reap(http_client_t *c);

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
    if (!c->multi || !c->timer) {
        http_client_free(c);
        return wx_err_set(err, WX_ENOMEM, "cannot create HTTP client");
    }
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 256L);
    *out = c;
    return WX_OK;
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
    c->pending--;
}

static void
xfer_free(xfer_t *x)
{
    if (x->easy) {
        curl_multi_remove_handle(x->c->multi, x->easy);
        curl_easy_cleanup(x->easy);
    }
    curl_slist_free_all(x->headers);
    wx_buf_free(&x->body);
    free(x);
}

static http_client_outcome_t
outcome_of(CURLcode rc, bool too_big)
{
    if (too_big)
        return HTTP_CLIENT_TOO_BIG;
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

static void
xfer_finish(xfer_t *x, CURLcode rc, bool cancelled)
{
    http_client_result_t res = {0};
    char *ctype = NULL;
    res.outcome = cancelled ? HTTP_CLIENT_CANCELLED : outcome_of(rc, x->too_big);
    if (res.outcome == HTTP_CLIENT_OK) {
        curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &res.status);
        curl_easy_getinfo(x->easy, CURLINFO_CONTENT_TYPE, &ctype);
    }
    res.content_type = ctype;
    res.body = wx_buf_str(&x->body);
    res.body_len = x->body.len;
    res.error =
        cancelled ? "server shutting down" : (x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc));
    res.elapsed_ms = wx_mono_ms() - x->start_ms;
    xfer_unlink(x);
    x->cb(&res, x->arg);
    xfer_free(x);
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

/* One transfer: a GET, or a POST of body (copied) when ctype is not NULL. */
static wx_status_t
xfer_start(http_client_t *c, const char *url, const char *ctype, const char *body, long timeout_ms,
           size_t max_body, http_client_cb cb, void *arg, wx_err_t *err)
{
    xfer_t *x = calloc(1, sizeof(*x));
    if (!x)
        return wx_err_set(err, WX_ENOMEM, "out of memory");
    x->c = c;
    x->cb = cb;
    x->arg = arg;
    x->start_ms = wx_mono_ms();
    wx_buf_init(&x->body, max_body);
    x->easy = curl_easy_init();
    if (!x->easy) {
        free(x);
        return wx_err_set(err, WX_ENOMEM, "cannot create transfer");
    }
    curl_easy_setopt(x->easy, CURLOPT_URL, url);
    curl_easy_setopt(x->easy, CURLOPT_PRIVATE, x);
    curl_easy_setopt(x->easy, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(x->easy, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(x->easy, CURLOPT_ERRORBUFFER, x->errbuf);
    curl_easy_setopt(x->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(x->easy, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(x->easy, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms < 3000 ? timeout_ms : 3000L);
    curl_easy_setopt(x->easy, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(x->easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(x->easy, CURLOPT_USERAGENT, "wxauth/0.1");
    curl_easy_setopt(x->easy, CURLOPT_SSL_VERIFYPEER, 1L);
    if (ctype) {
        char line[128];
        wx_snprintf(line, sizeof(line), "Content-Type: %s", ctype);
        x->headers = curl_slist_append(NULL, line);
        if (!x->headers) {
            curl_easy_cleanup(x->easy);
            wx_buf_free(&x->body);
            free(x);
            return wx_err_set(err, WX_ENOMEM, "out of memory");
        }
        curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, x->headers);
        curl_easy_setopt(x->easy, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
        curl_easy_setopt(x->easy, CURLOPT_COPYPOSTFIELDS, body);
    }
    x->next = c->xfers;
    if (c->xfers)
        c->xfers->prev = x;
    c->xfers = x;
    c->pending++;
    if (curl_multi_add_handle(c->multi, x->easy) != CURLM_OK) {
        xfer_unlink(x);
        curl_easy_cleanup(x->easy);
        curl_slist_free_all(x->headers);
        wx_buf_free(&x->body);
        free(x);
        return wx_err_set(err, WX_EIO, "cannot start transfer");
    }
    return WX_OK;
}

wx_status_t
http_client_get(http_client_t *c, const char *url, long timeout_ms, size_t max_body,
                http_client_cb cb, void *arg, wx_err_t *err)
{
    return xfer_start(c, url, NULL, NULL, timeout_ms, max_body, cb, arg, err);
}

wx_status_t
http_client_post(http_client_t *c, const char *url, const char *content_type, const char *body,
                 long timeout_ms, size_t max_body, http_client_cb cb, void *arg, wx_err_t *err)
{
    return xfer_start(c, url, content_type, body, timeout_ms, max_body, cb, arg, err);
}

void
http_client_cancel_all(http_client_t *c)
{
    while (c && c->xfers)
        xfer_finish(c->xfers, CURLE_ABORTED_BY_CALLBACK, true);
}

int
http_client_pending(const http_client_t *c)
{
    return c->pending;
}

void
http_client_free(http_client_t *c)
{
    if (!c)
        return;
    http_client_cancel_all(c);
    if (c->multi)
        curl_multi_cleanup(c->multi);
    if (c->timer)
        event_free(c->timer);
    free(c);
}

const char *
http_client_outcome_str(http_client_outcome_t o)
{
    static const char *n[] = {"ok", "timeout", "connect", "too big", "cancelled", "other"};
    return (size_t)o < WX_ARRAY_LEN(n) ? n[o] : "unknown";
}
