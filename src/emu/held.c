/* Held requests: timers on the worker's loop and the drain at shutdown. */
#include "held.h"

#include <stdlib.h>

#include <event2/event.h>

#include "../http/reply.h"
#include "../util/log.h"

struct emu_held_req {
    emu_held_req_t *prev, *next;
    emu_held_t *list;
    http_req_t *r;
    struct event *ev;
    emu_held_kind_t kind;
    int status;
    const char *ctype;
    char *body;
    size_t len;
};

static void
unlink_req(emu_held_req_t *q)
{
    if (q->prev)
        q->prev->next = q->next;
    else
        q->list->head = q->next;
    if (q->next)
        q->next->prev = q->prev;
    q->list->count--;
}

/* Answer and forget one held request. */
static void
finish(emu_held_req_t *q)
{
    unlink_req(q);
    if (q->ev)
        event_free(q->ev);
    if (q->kind == EMU_HELD_REPLY)
        http_reply_raw(q->r, q->status, q->ctype, q->body, q->len);
    else
        http_reply_abort(q->r);
    free(q->body);
    free(q);
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    finish(arg);
}

wx_status_t
emu_held_add(emu_held_t *h, http_req_t *r, emu_held_kind_t kind, long delay_ms, int status,
             const char *ctype, char *body, size_t len, wx_err_t *err)
{
    wx_status_t rc = WX_OK;
    emu_held_req_t *q = NULL;
    if (h->count >= EMU_HELD_MAX) {
        rc = wx_err_set(err, WX_EBUSY, "too many held requests (max %d)", EMU_HELD_MAX);
        goto out;
    }
    q = calloc(1, sizeof(*q));
    if (!q) {
        rc = wx_err_set(err, WX_ENOMEM, "out of memory");
        goto out;
    }
    q->ev = evtimer_new(r->worker->base, on_timer, q);
    if (!q->ev) {
        rc = wx_err_set(err, WX_ENOMEM, "cannot create a timer");
        goto out;
    }
    struct timeval tv = {delay_ms / 1000, (delay_ms % 1000) * 1000};
    if (evtimer_add(q->ev, &tv) != 0) {
        rc = wx_err_set(err, WX_EIO, "cannot arm a timer");
        goto out;
    }
    q->list = h;
    q->r = r;
    q->kind = kind;
    q->status = status;
    q->ctype = ctype;
    q->body = body;
    q->len = len;
    body = NULL;
    q->next = h->head;
    if (h->head)
        h->head->prev = q;
    h->head = q;
    h->count++;
    q = NULL;
out:
    if (q) {
        if (q->ev)
            event_free(q->ev);
        free(q);
    }
    free(body);
    return rc;
}

void
emu_held_drain(emu_held_t *h)
{
    if (h->count > 0) {
        char n[24];
        wx_snprintf(n, sizeof(n), "%zu", h->count);
        wx_log(WX_LOG_INFO, "drain_held", "#count", n, NULL);
    }
    while (h->head)
        finish(h->head);
}

void
emu_held_free(emu_held_t *h)
{
    emu_held_req_t *q = h->head;
    if (q)
        wx_log(WX_LOG_WARN, "held_left", "detail", "requests still held at exit", NULL);
    while (q) {
        emu_held_req_t *next = q->next;
        if (q->ev)
            event_free(q->ev);
        free(q->body);
        free(q);
        q = next;
    }
    h->head = NULL;
    h->count = 0;
}
