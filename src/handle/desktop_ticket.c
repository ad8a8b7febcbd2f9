/* Desktop login tickets: create (with the caps on unfinished logins), refuse, wait for an
 * outcome, and the sealed record a ticket carries
 * (desktop_ticket.h). The pages and endpoints of the service-account method are desktop.c. */
#include "desktop_ticket.h"
#include "reads.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <openssl/crypto.h>

#include "../jose/seal.h"
#include "../util/clock.h"
#include "../util/log.h"
#include "../util/rand.h"

wx_status_t
desktop_ticket_id_make(char out[STORE_ID_MAX])
{
    static const char digits[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    uint64_t ms = (uint64_t)wx_now_ms();
    for (int i = 7; i >= 0; i--) {
        out[i] = digits[ms % 62];
        ms /= 62;
    }
    return wx_rand_alnum(out + 8, DESKTOP_TICKET_ID_LEN - 8);
}

int64_t
desktop_ticket_left(const store_ticket_t *t, int64_t now)
{
    return t->expires_at > now ? t->expires_at - now : 0;
}

const char *
desktop_ticket_status_name(const store_ticket_t *t, int64_t now)
{
    switch (t->status) {
    case STORE_TICKET_PENDING:
        return now >= t->expires_at ? "expired" : "pending";
    case STORE_TICKET_SCANNED:
        return now >= t->expires_at ? "expired" : "scanned";
    case STORE_TICKET_CONFIRMED:
        return now - t->decided_at > DESKTOP_TAKE_WITHIN_S ? "expired" : "confirmed";
    case STORE_TICKET_REFUSED:
        return "refused";
    case STORE_TICKET_USED:
        return "used";
    }
    return "expired";
}

wx_status_t
desktop_follower_hash(const char *openid, char out[65])
{
    char src[STORE_OPENID_MAX + 16];
    if (!openid || !openid[0] || !wx_snprintf(src, sizeof(src), "follow:%s", openid))
        return WX_EINVAL;
    return wx_sha256_hex(src, strlen(src), out);
}

wx_status_t
desktop_follower_state(const char *follower_hash, char out[STORE_ID_MAX])
{
    return wx_snprintf(out, STORE_ID_MAX, "follow-%.48s", follower_hash) ? WX_OK : WX_EINVAL;
}

/* ---- the sealed record ---- */

static void
record_aad(const char *ticket_id, char *out, size_t n)
{
    wx_snprintf(out, n, "desktop_ticket:%s", ticket_id);
}

wx_status_t
desktop_record_seal(const app_t *app, const char *ticket_id, const login_record_t *rec,
                    char out[STORE_TICKET_RECORD_MAX], wx_err_t *err)
{
    char plain[512], aad[STORE_ID_MAX + 16];
    wx_status_t rc;
    if (!login_record_format(rec, plain, sizeof(plain)))
        return wx_err_set(err, WX_EINVAL, "login record does not fit");
    record_aad(ticket_id, aad, sizeof(aad));
    rc = seal_text(&app->master, aad, plain, out, STORE_TICKET_RECORD_MAX, err);
    OPENSSL_cleanse(plain, sizeof(plain));
    return rc;
}

bool
desktop_record_open(const app_t *app, const char *ticket_id, const char *sealed,
                    login_record_t *rec)
{
    char plain[512], aad[STORE_ID_MAX + 16];
    wx_err_t err = {0};
    bool ok;
    record_aad(ticket_id, aad, sizeof(aad));
    ok = seal_is_sealed(sealed) &&
         seal_open(&app->master, aad, sealed, plain, sizeof(plain), &err) == WX_OK &&
         login_record_parse(plain, rec);
    OPENSSL_cleanse(plain, sizeof(plain));
    return ok;
}

/* ---- jobs on the writer ---- */

typedef struct {
    const app_t *app;
    char id[STORE_ID_MAX];
    store_ticket_t t; /* in (create), out (all) */
    bool have_row;    /* t holds the row after the job */
    int *capped;      /* create: the cap that refused it */
    int capped_v;     /* ... as set on the writer thread */
    bool caps_passed; /* create: a rerun need not check again */
    desktop_ticket_done_fn done;
    void *arg;
} ticket_job_t;

static void
job_done(wx_status_t rc, const wx_err_t *err, void *arg)
{
    ticket_job_t *j = arg;
    if (rc == WX_OK && j->have_row && j->id[0])
        desktop_ticket_changed(j->id); /* refuse: this process's waits learn it now */
    if (j->capped)
        *j->capped = j->capped_v;
    j->done(rc, err, j->have_row ? &j->t : NULL, j->arg);
    OPENSSL_cleanse(&j->t, sizeof(j->t));
    free(j);
}

static wx_status_t
create_run(store_t *st, void *arg, wx_err_t *err)
{
    ticket_job_t *j = arg;
    const wx_config_t *cfg = j->app->cfg;
    int64_t n = 0, now = j->t.created_at;
    bool rerun = store_writer_rerunning();
    wx_status_t rc;
    j->capped_v = 0;
    /* The count of all pending tickets is read at most once a second (login_limits_t, only
     * the writer thread touches it), as start.c does for states: a flood at the cap counts
     * nothing. */
    login_limits_t *lim = j->app->limits;
    if (!(rerun && j->caps_passed)) {
        if (cfg->pending_per_address > 0 && j->t.client_ip[0]) {
            rc = store_ticket_pending_count(st, j->t.client_ip, now, cfg->pending_per_address, &n,
                                            err);
            if (rc != WX_OK)
                return rc;
            if (n >= cfg->pending_per_address) {
                j->capped_v = 1;
                return wx_err_set(err, WX_EDENIED, "too many QR codes from this address");
            }
        }
        if (cfg->pending_total > 0) {
            int64_t ms = wx_mono_ms();
            if (lim->tickets_read_ms == 0 || ms - lim->tickets_read_ms >= 1000 ||
                (lim->tickets_seen < cfg->pending_total &&
                 lim->tickets_seen + lim->tickets_added >= cfg->pending_total)) {
                rc = store_ticket_pending_count(st, NULL, now, cfg->pending_total, &n, err);
                if (rc != WX_OK)
                    return rc;
                lim->tickets_seen = n;
                lim->tickets_added = 0;
                lim->tickets_read_ms = ms;
            }
            if (lim->tickets_seen + lim->tickets_added >= cfg->pending_total) {
                j->capped_v = 2;
                return wx_err_set(err, WX_EDENIED, "too many QR codes in all");
            }
        }
    }
    j->caps_passed = true;
    rc = store_ticket_create(st, &j->t, err);
    if (rc == WX_EEXIST && rerun) { /* our own insert, committed before the COMMIT was lost */
        wx_err_clear(err);
        rc = WX_OK;
    }
    if (rc == WX_OK) {
        lim->tickets_added++;
        j->have_row = true;
    }
    return rc;
}

static ticket_job_t *
job_new(http_worker_t *w, const char *ticket_id, desktop_ticket_done_fn done, void *arg,
        wx_err_t *err)
{
    worker_ctx_t *ctx = w->ctx;
    ticket_job_t *j = calloc(1, sizeof(*j));
    if (!j) {
        wx_err_set(err, WX_ENOMEM, "out of memory");
        return NULL;
    }
    j->app = ctx->app;
    j->done = done;
    j->arg = arg;
    if (ticket_id && !wx_strlcpy(j->id, ticket_id, sizeof(j->id))) {
        free(j);
        wx_err_set(err, WX_ENOENT, "unknown desktop ticket");
        return NULL;
    }
    return j;
}

static wx_status_t
job_submit(http_worker_t *w, ticket_job_t *j, store_job_run_fn run, wx_err_t *err)
{
    worker_ctx_t *ctx = w->ctx;
    wx_status_t rc = store_writer_submit(ctx->app->writer, w->base, run, job_done, j, err);
    if (rc != WX_OK)
        free(j);
    return rc;
}

wx_status_t
desktop_ticket_create(http_worker_t *w, const store_ticket_t *t, int *capped,
                      desktop_ticket_done_fn done, void *arg, wx_err_t *err)
{
    ticket_job_t *j = job_new(w, NULL, done, arg, err);
    if (!j)
        return err->status;
    j->t = *t;
    j->capped = capped;
    if (capped)
        *capped = 0;
    return job_submit(w, j, create_run, err);
}

static wx_status_t
refuse_run(store_t *st, void *arg, wx_err_t *err)
{
    ticket_job_t *j = arg;
    wx_status_t rc = store_ticket_refuse(st, j->id, wx_now(), &j->t, err);
    j->have_row = rc == WX_OK || rc == WX_EUSED || rc == WX_EEXPIRED;
    return rc;
}

wx_status_t
desktop_ticket_refuse(http_worker_t *w, const char *ticket_id, desktop_ticket_done_fn done,
                      void *arg, wx_err_t *err)
{
    ticket_job_t *j = job_new(w, ticket_id, done, arg, err);
    if (!j)
        return err->status;
    return job_submit(w, j, refuse_run, err);
}

/* ---- waiting ---- */

/* A wait reads the store every poll_ms, so a change made on any node is seen. A change made
 * by this process also wakes the waits of that ticket at once (desktop_ticket_changed): the
 * waits of a process are listed here, under a lock, since they live on every worker's loop.
 * A wait whose client left is cancelled (desktop_ticket_wait_cancel): its timer at once, its
 * store read in flight when it comes back. */
struct ticket_wait {
    http_worker_t *w;
    char id[STORE_ID_MAX];
    int seen;
    char browser[65];
    int64_t deadline_ms;
    struct event *ev; /* the poll timer; also made active by a wake-up from any thread */
    bool reading;     /* a store read is out (loop thread only) */
    bool again;       /* woken while reading: read once more (loop thread only) */
    bool cancelled;   /* the client left while a read was out: freed when it returns */
    store_ticket_t t;
    desktop_ticket_done_fn done;
    void *arg;
    struct ticket_wait *next; /* in the process's list */
};

static pthread_mutex_t waits_mu = PTHREAD_MUTEX_INITIALIZER;
static ticket_wait_t *waits_head;
static int64_t waits_open;           /* in the list (under waits_mu) */
static _Atomic uint64_t waits_reads; /* store reads made by waits, for /metrics */

void
desktop_ticket_wait_stats(int64_t *open, uint64_t *reads)
{
    pthread_mutex_lock(&waits_mu);
    *open = waits_open;
    pthread_mutex_unlock(&waits_mu);
    *reads = atomic_load_explicit(&waits_reads, memory_order_relaxed);
}

/* Listed unless the process holds max waits already; *same: the waits of this ticket before. */
static bool
waits_add(ticket_wait_t *wt, int max, int *same)
{
    bool ok = false;
    *same = 0;
    pthread_mutex_lock(&waits_mu);
    if (max <= 0 || waits_open < max) {
        for (ticket_wait_t *o = waits_head; o; o = o->next)
            if (strcmp(o->id, wt->id) == 0)
                (*same)++;
        wt->next = waits_head;
        waits_head = wt;
        waits_open++;
        ok = true;
    }
    pthread_mutex_unlock(&waits_mu);
    return ok;
}

static void
waits_remove(ticket_wait_t *wt)
{
    pthread_mutex_lock(&waits_mu);
    for (ticket_wait_t **p = &waits_head; *p; p = &(*p)->next)
        if (*p == wt) {
            *p = wt->next;
            waits_open--;
            break;
        }
    pthread_mutex_unlock(&waits_mu);
}

void
desktop_ticket_changed(const char *ticket_id)
{
    pthread_mutex_lock(&waits_mu);
    for (ticket_wait_t *wt = waits_head; wt; wt = wt->next)
        if (strcmp(wt->id, ticket_id) == 0)
            event_active(wt->ev, EV_TIMEOUT, 1); /* runs wait_tick on the wait's own loop */
    pthread_mutex_unlock(&waits_mu);
}

static void wait_read(ticket_wait_t *wt);

static wx_status_t
wait_read_run(store_t *st, void *arg, wx_err_t *err)
{
    ticket_wait_t *wt = arg;
    return store_ticket_get(st, wt->id, &wt->t, err);
}

/* Out of the list first: no wake-up can reach it from here (a wake-up already queued on the
 * loop is removed with the event). */
static void
wait_free(ticket_wait_t *wt)
{
    waits_remove(wt);
    event_free(wt->ev);
    OPENSSL_cleanse(&wt->t, sizeof(wt->t));
    free(wt);
}

static void
wait_end(ticket_wait_t *wt, wx_status_t rc, const wx_err_t *err)
{
    waits_remove(wt);
    wt->done(rc, err, rc == WX_OK ? &wt->t : NULL, wt->arg);
    wait_free(wt);
}

static void
wait_tick(evutil_socket_t fd, short what, void *arg)
{
    ticket_wait_t *wt = arg;
    (void)fd;
    (void)what;
    if (wt->reading) { /* a wake-up during a read: its answer may be older than the change */
        wt->again = true;
        return;
    }
    if (wt->w->draining) { /* stopping: the row as last read (the page asks another node) */
        wait_end(wt, WX_OK, NULL);
        return;
    }
    wait_read(wt);
}

void
desktop_ticket_waits_wake(http_worker_t *w)
{
    pthread_mutex_lock(&waits_mu);
    for (ticket_wait_t *wt = waits_head; wt; wt = wt->next)
        if (wt->w == w)
            event_active(wt->ev, EV_TIMEOUT, 1);
    pthread_mutex_unlock(&waits_mu);
}

static void
wait_read_done(wx_status_t rc, const wx_err_t *err, void *arg)
{
    ticket_wait_t *wt = arg;
    const wx_config_t *cfg = ((worker_ctx_t *)wt->w->ctx)->app->cfg;
    int64_t now_ms = wx_mono_ms(), left = wt->deadline_ms - now_ms;
    wt->reading = false;
    if (wt->cancelled) { /* the client left while this read was out: nobody to answer */
        wait_free(wt);
        return;
    }
    /* Bound to another browser: said at once (the caller refuses it), never waited on. */
    bool other =
        rc == WX_OK && wt->browser[0] &&
        !wx_ct_equal(wt->t.browser, strlen(wt->t.browser), wt->browser, strlen(wt->browser));
    if (rc != WX_OK || other || (int)wt->t.status != wt->seen || wx_now() >= wt->t.expires_at ||
        left <= 0 || wt->w->draining) {
        wait_end(wt, rc, err);
        return;
    }
    if (wt->again) {
        wt->again = false;
        wait_read(wt);
        return;
    }
    int64_t ms = left < cfg->desktop_poll_ms ? left : cfg->desktop_poll_ms;
    struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)((ms % 1000) * 1000)};
    evtimer_add(wt->ev, &tv);
}

static void
wait_read(ticket_wait_t *wt)
{
    wt->reading = true;
    atomic_fetch_add_explicit(&waits_reads, 1, memory_order_relaxed);
    handle_read(wt->w, wait_read_run, wait_read_done, wt);
}

wx_status_t
desktop_ticket_wait(http_worker_t *w, const char *ticket_id, int seen, const char *browser,
                    int64_t deadline_ms, ticket_wait_t **handle, desktop_ticket_done_fn done,
                    void *arg, wx_err_t *err)
{
    const wx_config_t *cfg = ((worker_ctx_t *)w->ctx)->app->cfg;
    int same = 0;
    ticket_wait_t *wt = calloc(1, sizeof(*wt));
    if (!wt)
        return wx_err_set(err, WX_ENOMEM, "out of memory");
    if (!wx_strlcpy(wt->id, ticket_id, sizeof(wt->id)) ||
        !wx_strlcpy(wt->browser, browser ? browser : "", sizeof(wt->browser))) {
        free(wt);
        return wx_err_set(err, WX_ENOENT, "unknown desktop ticket");
    }
    wt->w = w;
    wt->seen = seen;
    wt->deadline_ms = deadline_ms;
    wt->done = done;
    wt->arg = arg;
    if (!(wt->ev = evtimer_new(w->base, wait_tick, wt))) {
        free(wt);
        return wx_err_set(err, WX_ENOMEM, "out of memory");
    }
    if (!waits_add(wt, cfg->desktop_max_waits, &same)) {
        event_free(wt->ev);
        free(wt);
        return wx_err_set(err, WX_ETOOBIG,
                          "%d desktop long-polls are open in this process "
                          "([desktop] max_waits)",
                          cfg->desktop_max_waits);
    }
    /* A page holds one wait at a time: past DESKTOP_WAITS_PER_TICKET, a new one is held one
     * poll_ms at most (not the whole wait), and not less: answered at once, a page would ask
     * again at once, in a tight loop eating its address's request budget. */
    if (same >= DESKTOP_WAITS_PER_TICKET && deadline_ms > wx_mono_ms() + cfg->desktop_poll_ms)
        wt->deadline_ms = wx_mono_ms() + cfg->desktop_poll_ms;
    if (handle)
        *handle = wt; /* before the read: with SQLite it may end (and free wt) at once */
    wait_read(wt);
    return WX_OK;
}

void
desktop_ticket_wait_cancel(ticket_wait_t *wt)
{
    if (!wt)
        return;
    if (wt->reading) { /* the read's thread holds wt: it is freed when the read returns */
        waits_remove(wt);
        event_del(wt->ev);
        wt->cancelled = true;
        return;
    }
    wait_free(wt);
}
