/* The desktop ticket core (src/handle/desktop_ticket.h): create under the caps, the record
 * sealed for one ticket, refuse, and the wait that ends on a change rather than at its
 * deadline, is cancelled and capped. A real event loop, store writer and SQLite file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdatomic.h>

#include <cmocka.h>
#include <event2/event.h>
#include <event2/thread.h>

#include "handle/desktop_ticket.h"
#include "store/readers.h"
#include "util/clock.h"

#include "../tmp_db.h"

#define POOL "deskpool"
#define APPID "wx0123456789abcdef"

typedef struct {
    char path[1024], url[1200];
    struct event_base *base;
    store_t *st;
    wx_config_t cfg;
    login_limits_t limits;
    app_t app;
    worker_ctx_t ctx;
    http_worker_t w;
    /* the last done() */
    bool done;
    wx_status_t rc;
    store_ticket_t t;
    bool have_row;
    int capped;
} fx_t;

static int
setup(void **state)
{
    fx_t *fx = calloc(1, sizeof(*fx));
    wx_err_t err = {0};
    store_pool_t p = {0};
    assert_non_null(fx);
    wxt_tmp_db("desk-ticket", fx->path, sizeof(fx->path), fx->url, sizeof(fx->url));
    assert_int_equal(store_open(fx->url, &fx->st, &err), WX_OK);
    snprintf(p.id, sizeof(p.id), POOL);
    snprintf(p.name, sizeof(p.name), "Desk pool");
    assert_int_equal(store_pool_put(fx->st, &p, &err), WX_OK);
    config_defaults(&fx->cfg);
    fx->cfg.pending_per_address = 3;
    fx->cfg.desktop_poll_ms = 50;
    assert_int_equal(login_limits_init(&fx->limits, &fx->cfg, &err), WX_OK);
    assert_int_equal(
        seal_key_parse("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ", &fx->app.master, &err),
        WX_OK);
    fx->app.cfg = &fx->cfg;
    fx->app.limits = &fx->limits;
    assert_int_equal(store_writer_start(fx->url, &fx->app.writer, &err), WX_OK);
    /* The writer hands results to the loop from its thread, as in wxauthd (http/server.c). */
    assert_int_equal(evthread_use_pthreads(), 0);
    fx->base = event_base_new();
    assert_non_null(fx->base);
    fx->ctx.app = &fx->app;
    fx->ctx.store = fx->st;
    fx->w.base = fx->base;
    fx->w.ctx = &fx->ctx;
    *state = fx;
    return 0;
}

static int
teardown(void **state)
{
    fx_t *fx = *state;
    store_writer_stop(fx->app.writer);
    event_base_free(fx->base);
    login_limits_free(&fx->limits);
    store_close(fx->st);
    wxt_tmp_db_remove(fx->path);
    free(fx);
    return 0;
}

static void
on_done(wx_status_t rc, const wx_err_t *err, const store_ticket_t *t, void *arg)
{
    fx_t *fx = arg;
    (void)err;
    fx->done = true;
    fx->rc = rc;
    fx->have_row = t != NULL;
    if (t)
        fx->t = *t;
}

/* Run the loop until done() was called (bounded: 10 s). */
static void
run_until_done(fx_t *fx)
{
    int64_t until = wx_mono_ms() + 10000;
    while (!fx->done && wx_mono_ms() < until) {
        event_base_loop(fx->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
        usleep(1000);
    }
    assert_true(fx->done);
}

static void
create(fx_t *fx, const char *ip, char id[STORE_ID_MAX], wx_status_t want)
{
    store_ticket_t t = {0};
    wx_err_t err = {0};
    assert_int_equal(desktop_ticket_id_make(t.id), WX_OK);
    assert_int_equal(strlen(t.id), DESKTOP_TICKET_ID_LEN);
    snprintf(t.pool_id, sizeof(t.pool_id), POOL);
    snprintf(t.conn_identifier, sizeof(t.conn_identifier), "wechat:webpage-authorization");
    snprintf(t.redirect, sizeof(t.redirect), "https://biz.example/cb");
    snprintf(t.method, sizeof(t.method), DESKTOP_METHOD_FOLLOW);
    snprintf(t.browser, sizeof(t.browser), "%064d", 7);
    snprintf(t.client_ip, sizeof(t.client_ip), "%s", ip);
    t.created_at = wx_now();
    t.expires_at = t.created_at + 120;
    fx->done = false;
    assert_int_equal(desktop_ticket_create(&fx->w, &t, &fx->capped, on_done, fx, &err), WX_OK);
    run_until_done(fx);
    assert_int_equal(fx->rc, want);
    if (want == WX_OK) {
        assert_true(fx->have_row);
        assert_string_equal(fx->t.id, t.id);
    }
    memcpy(id, t.id, STORE_ID_MAX);
}

/* A user's login record sealed for one ticket opens for that ticket only. */
static void
test_record_bound(void **state)
{
    fx_t *fx = *state;
    char id[STORE_ID_MAX], other[STORE_ID_MAX], sealed[STORE_TICKET_RECORD_MAX];
    login_record_t rec = {.user_id = "u1",
                          .openid = "openid-alice",
                          .unionid = "union-1",
                          .jti = "J123456789012345678901",
                          .iat = 1700000000,
                          .exp = 1700000600,
                          .created = true},
                   back;
    wx_err_t err = {0};
    create(fx, "192.0.2.1", id, WX_OK);
    create(fx, "192.0.2.1", other, WX_OK);
    assert_int_equal(desktop_record_seal(&fx->app, id, &rec, sealed, &err), WX_OK);
    assert_true(desktop_record_open(&fx->app, id, sealed, &back));
    assert_string_equal(back.openid, "openid-alice");
    assert_string_equal(back.unionid, "union-1");
    assert_true(back.created);
    assert_false(desktop_record_open(&fx->app, other, sealed, &back));
    assert_false(desktop_record_open(&fx->app, id, "not sealed", &back));
}

/* Refused: the desktop is told so; a second refusal or an unknown ticket says why. */
static void
test_refuse(void **state)
{
    fx_t *fx = *state;
    char id[STORE_ID_MAX];
    wx_err_t err = {0};
    create(fx, "192.0.2.2", id, WX_OK);
    fx->done = false;
    assert_int_equal(desktop_ticket_refuse(&fx->w, id, on_done, fx, &err), WX_OK);
    run_until_done(fx);
    assert_int_equal(fx->rc, WX_OK);
    assert_int_equal(fx->t.status, STORE_TICKET_REFUSED);
    assert_string_equal(desktop_ticket_status_name(&fx->t, wx_now()), "refused");
    fx->done = false;
    assert_int_equal(desktop_ticket_refuse(&fx->w, id, on_done, fx, &err), WX_OK);
    run_until_done(fx);
    assert_int_equal(fx->rc, WX_EUSED);
    fx->done = false;
    assert_int_equal(desktop_ticket_refuse(&fx->w, "nosuchticket", on_done, fx, &err), WX_OK);
    run_until_done(fx);
    assert_int_equal(fx->rc, WX_ENOENT);
    assert_false(fx->have_row);
}

/* [limits] pending_per_address counts a desktop's pending tickets. */
static void
test_caps(void **state)
{
    fx_t *fx = *state;
    char id[STORE_ID_MAX];
    for (int i = 0; i < 3; i++)
        create(fx, "198.51.100.1", id, WX_OK);
    create(fx, "198.51.100.1", id, WX_EDENIED);
    assert_int_equal(fx->capped, 1);
    create(fx, "198.51.100.2", id, WX_OK); /* another address is not held back */
    assert_int_equal(fx->capped, 0);
}

typedef struct {
    fx_t *fx;
    char id[STORE_ID_MAX];
} later_t;

static void
on_later_done(wx_status_t rc, const wx_err_t *err, const store_ticket_t *t, void *arg)
{
    (void)err;
    (void)t;
    (void)arg;
    assert_int_equal(rc, WX_OK);
}

static void
refuse_later(evutil_socket_t fd, short what, void *arg)
{
    later_t *l = arg;
    wx_err_t err = {0};
    (void)fd;
    (void)what;
    /* Its result is not waited for: the wait's done() is what the test looks at. */
    assert_int_equal(desktop_ticket_refuse(&l->fx->w, l->id, on_later_done, NULL, &err), WX_OK);
}

/* The wait answers at its deadline when nothing changes, and soon after a change otherwise;
 * another browser's wait ends at once. */
static void
test_wait(void **state)
{
    fx_t *fx = *state;
    char id[STORE_ID_MAX];
    wx_err_t err = {0};
    create(fx, "203.0.113.1", id, WX_OK);
    int64_t t0 = wx_mono_ms();
    fx->done = false;
    assert_int_equal(desktop_ticket_wait(&fx->w, id, STORE_TICKET_PENDING, fx->t.browser, t0 + 300,
                                         NULL, on_done, fx, &err),
                     WX_OK);
    run_until_done(fx);
    assert_int_equal(fx->rc, WX_OK);
    assert_int_equal(fx->t.status, STORE_TICKET_PENDING);
    assert_true(wx_mono_ms() - t0 >= 250);

    char other[65];
    snprintf(other, sizeof(other), "%064d", 8);
    t0 = wx_mono_ms();
    fx->done = false;
    assert_int_equal(desktop_ticket_wait(&fx->w, id, STORE_TICKET_PENDING, other, t0 + 5000, NULL,
                                         on_done, fx, &err),
                     WX_OK);
    run_until_done(fx);
    assert_true(wx_mono_ms() - t0 < 2500);
    assert_string_not_equal(fx->t.browser, other);

    later_t l = {.fx = fx};
    memcpy(l.id, id, sizeof(l.id));
    struct timeval tv = {0, 200 * 1000};
    assert_int_equal(event_base_once(fx->base, -1, EV_TIMEOUT, refuse_later, &l, &tv), 0);
    t0 = wx_mono_ms();
    fx->done = false;
    assert_int_equal(desktop_ticket_wait(&fx->w, id, STORE_TICKET_PENDING, fx->t.browser, t0 + 8000,
                                         NULL, on_done, fx, &err),
                     WX_OK);
    run_until_done(fx);
    assert_int_equal(fx->t.status, STORE_TICKET_REFUSED);
    assert_true(wx_mono_ms() - t0 < 5000);
    fx->done = false;
    assert_int_equal(desktop_ticket_wait(&fx->w, "bad id!", 0, NULL, t0, NULL, on_done, fx, &err),
                     WX_OK);
    run_until_done(fx);
    assert_int_equal(fx->rc, WX_ENOENT);
}

/* Waits whose client left are cancelled: nothing answered, no more store reads, the gauge back
 * to 0 — also while a read is out on a reader thread (it finds the wait cancelled when it
 * returns). The caps: [desktop] max_waits in the process, and past DESKTOP_WAITS_PER_TICKET on
 * one ticket a new wait answers after one read. */
static void
run_for(fx_t *fx, int ms)
{
    int64_t until = wx_mono_ms() + ms;
    while (wx_mono_ms() < until) {
        event_base_loop(fx->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
        usleep(1000);
    }
}

static void
test_wait_cancel(void **state)
{
    fx_t *fx = *state;
    char id[STORE_ID_MAX];
    wx_err_t err = {0};
    int64_t open = -1;
    uint64_t reads0 = 0, reads1 = 0;
    ticket_wait_t *h = NULL;
    create(fx, "203.0.113.1", id, WX_OK);
    int64_t t0 = wx_mono_ms();
    fx->done = false;
    assert_int_equal(desktop_ticket_wait(&fx->w, id, STORE_TICKET_PENDING, fx->t.browser,
                                         t0 + 60000, &h, on_done, fx, &err),
                     WX_OK);
    assert_non_null(h);
    run_for(fx, 200); /* poll_ms 50: it reads */
    desktop_ticket_wait_stats(&open, &reads0);
    assert_int_equal(open, 1);
    assert_true(reads0 >= 2);
    desktop_ticket_wait_cancel(h);
    desktop_ticket_wait_stats(&open, &reads0);
    assert_int_equal(open, 0);
    run_for(fx, 300);
    desktop_ticket_wait_stats(&open, &reads1);
    assert_int_equal(reads1, reads0); /* no timer left */
    assert_false(fx->done);
    desktop_ticket_changed(id); /* a change reaches no freed wait */
    run_for(fx, 50);
    assert_false(fx->done);

    /* A read in flight on a reader thread when the client leaves. */
    assert_int_equal(store_readers_start(fx->url, 1, &fx->app.readers, &err), WX_OK);
    for (int i = 0; i < 20; i++) {
        h = NULL;
        assert_int_equal(desktop_ticket_wait(&fx->w, id, STORE_TICKET_PENDING, fx->t.browser,
                                             wx_mono_ms() + 60000, &h, on_done, fx, &err),
                         WX_OK);
        if (i % 2)
            desktop_ticket_changed(id); /* a wake-up queued too */
        desktop_ticket_wait_cancel(h);  /* its first read is out */
    }
    int64_t until = wx_mono_ms() + 5000;
    while (atomic_load(&fx->w.background) > 0 && wx_mono_ms() < until)
        run_for(fx, 5);
    assert_int_equal(atomic_load(&fx->w.background), 0);
    assert_false(fx->done);
    desktop_ticket_wait_stats(&open, &reads1);
    assert_int_equal(open, 0);
    store_readers_stop(fx->app.readers);
    fx->app.readers = NULL;

    /* Per ticket: 4 wait, the 5th answers with the current status after one poll_ms (not at
     * once: a page would ask again at once, in a loop; not after the whole wait). */
    fx->cfg.desktop_poll_ms = 300;
    ticket_wait_t *hs[DESKTOP_WAITS_PER_TICKET];
    for (int i = 0; i < DESKTOP_WAITS_PER_TICKET; i++)
        assert_int_equal(desktop_ticket_wait(&fx->w, id, STORE_TICKET_PENDING, fx->t.browser,
                                             wx_mono_ms() + 60000, &hs[i], on_done, fx, &err),
                         WX_OK);
    assert_false(fx->done);
    t0 = wx_mono_ms();
    assert_int_equal(desktop_ticket_wait(&fx->w, id, STORE_TICKET_PENDING, fx->t.browser,
                                         t0 + 60000, NULL, on_done, fx, &err),
                     WX_OK);
    run_until_done(fx);
    assert_true(wx_mono_ms() - t0 >= 250);
    assert_true(wx_mono_ms() - t0 < 5000);
    assert_int_equal(fx->rc, WX_OK);
    assert_int_equal(fx->t.status, STORE_TICKET_PENDING);
    /* Another ticket still waits; max_waits (5 now) refuses the 6th in the process. */
    char id2[STORE_ID_MAX];
    ticket_wait_t *h2 = NULL;
    create(fx, "203.0.113.2", id2, WX_OK);
    fx->cfg.desktop_max_waits = DESKTOP_WAITS_PER_TICKET + 1;
    fx->done = false;
    assert_int_equal(desktop_ticket_wait(&fx->w, id2, STORE_TICKET_PENDING, fx->t.browser,
                                         wx_mono_ms() + 60000, &h2, on_done, fx, &err),
                     WX_OK);
    err = (wx_err_t){0};
    assert_int_equal(desktop_ticket_wait(&fx->w, id2, STORE_TICKET_PENDING, fx->t.browser,
                                         wx_mono_ms() + 60000, NULL, on_done, fx, &err),
                     WX_ETOOBIG);
    assert_non_null(strstr(err.msg, "max_waits"));
    desktop_ticket_wait_stats(&open, &reads1);
    assert_int_equal(open, DESKTOP_WAITS_PER_TICKET + 1);
    for (int i = 0; i < DESKTOP_WAITS_PER_TICKET; i++)
        desktop_ticket_wait_cancel(hs[i]);
    desktop_ticket_wait_cancel(h2);
    desktop_ticket_wait_stats(&open, &reads1);
    assert_int_equal(open, 0);
    assert_false(fx->done);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_record_bound, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_caps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wait, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wait_cancel, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
