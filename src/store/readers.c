/* A small pool of reader threads (readers.h). */
#include "readers.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "../util/clock.h"
#include "../util/log.h"

#define READERS_MAX 64

typedef struct reader_job {
    struct reader_job *next;
    struct event_base *base;
    store_job_run_fn run;
    store_job_done_fn done;
    void *arg;
    wx_status_t rc;
    wx_err_t err;
    int64_t submitted_us;
} reader_job_t;

typedef struct {
    store_readers_t *pool;
    store_t *st;
    pthread_t thread;
    bool started;
} reader_t;

struct store_readers {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    reader_job_t *head, *tail; /* queued, oldest first */
    bool stopping;
    int n;
    reader_t readers[READERS_MAX];
    store_readers_stats_t stats;
};

static void
job_deliver(evutil_socket_t fd, short what, void *arg)
{
    reader_job_t *j = arg;
    (void)fd;
    (void)what;
    j->done(j->rc, &j->err, j->arg);
    free(j);
}

/* Back to the submitting loop; event_base_once is thread-safe (evthread is on). */
static void
job_post(reader_job_t *j)
{
    static const struct timeval now = {0, 0};
    if (event_base_once(j->base, -1, EV_TIMEOUT, job_deliver, j, &now) != 0) {
        wx_log(WX_LOG_ERROR, "store_reader_post_failed", NULL);
        job_deliver(-1, 0, j); /* out of memory only: better here than a lost reply */
    }
}

static void *
reader_main(void *arg)
{
    reader_t *rd = arg;
    store_readers_t *p = rd->pool;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        while (!p->head && !p->stopping)
            pthread_cond_wait(&p->cv, &p->mu);
        reader_job_t *j = p->head;
        if (!j) { /* stopping, nothing left */
            pthread_mutex_unlock(&p->mu);
            break;
        }
        p->head = j->next;
        if (!p->head)
            p->tail = NULL;
        p->stats.queued--;
        pthread_mutex_unlock(&p->mu);
        j->next = NULL;
        memset(&j->err, 0, sizeof(j->err));
        j->rc = j->run(rd->st, j->arg, &j->err);
        int left = store_tx_abandon(rd->st);
        if (left > 0) /* a bug in the job: said loudly, and the next job starts clean */
            wx_log(WX_LOG_ERROR, "reader_tx_left_open", "levels", left == 1 ? "1" : "2+", NULL);
        int64_t took = wx_mono_us() - j->submitted_us;
        pthread_mutex_lock(&p->mu);
        p->stats.jobs++;
        prom_hist_observe(&p->stats.latency, (uint64_t)took);
        pthread_mutex_unlock(&p->mu);
        job_post(j);
    }
    return NULL;
}

wx_status_t
store_readers_start(const char *url, int n, store_readers_t **out, wx_err_t *err)
{
    wx_status_t rc = WX_OK;
    *out = NULL;
    if (n < 1 || n > READERS_MAX)
        return wx_err_set(err, WX_EINVAL, "store readers: between 1 and %d", READERS_MAX);
    store_readers_t *p = calloc(1, sizeof(*p));
    if (!p)
        return wx_err_set(err, WX_ENOMEM, "out of memory");
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    for (int i = 0; i < n; i++) {
        reader_t *rd = &p->readers[i];
        rd->pool = p;
        if ((rc = store_open(url, &rd->st, err)) != WX_OK)
            goto out;
        p->n = i + 1;
        if (pthread_create(&rd->thread, NULL, reader_main, rd) != 0) {
            rc = wx_err_set(err, WX_EIO, "cannot start a store reader thread");
            goto out;
        }
        rd->started = true;
    }
    *out = p;
    p = NULL;
out:
    store_readers_stop(p);
    return rc;
}

wx_status_t
store_readers_submit(store_readers_t *p, struct event_base *base, store_job_run_fn run,
                     store_job_done_fn done, void *arg, wx_err_t *err)
{
    reader_job_t *j = calloc(1, sizeof(*j));
    if (!j)
        return wx_err_set(err, WX_ENOMEM, "out of memory");
    *j = (reader_job_t){
        .base = base, .run = run, .done = done, .arg = arg, .submitted_us = wx_mono_us()};
    pthread_mutex_lock(&p->mu);
    if (p->stopping) {
        pthread_mutex_unlock(&p->mu);
        free(j);
        return wx_err_set(err, WX_EBUSY, "the server is stopping");
    }
    if (p->tail)
        p->tail->next = j;
    else
        p->head = j;
    p->tail = j;
    p->stats.queued++;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    return WX_OK;
}

void
store_readers_stats(store_readers_t *p, store_readers_stats_t *out)
{
    pthread_mutex_lock(&p->mu);
    *out = p->stats;
    pthread_mutex_unlock(&p->mu);
}

void
store_readers_stop(store_readers_t *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->stopping = true;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->n; i++) {
        if (p->readers[i].started)
            pthread_join(p->readers[i].thread, NULL);
        store_close(p->readers[i].st);
    }
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p);
}
