/* One writer thread, group commit (writer.h). */
#include "writer.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "../util/clock.h"
#include "../util/log.h"

/* A batch bigger than this commits and the rest waits for the next one: the first job's
 * latency stays bounded while a burst is queued. */
#define WRITER_BATCH_MAX 512

typedef struct writer_job {
    struct writer_job *next;
    struct event_base *base;
    store_job_run_fn run;
    store_job_done_fn done;
    void *arg;
    wx_status_t rc;
    wx_err_t err;
    int64_t submitted_us; /* for the latency histogram */
} writer_job_t;

/* Set on the writer thread while a failed batch's jobs run again (store_writer_rerunning). */
static _Thread_local bool writer_rerunning;

bool
store_writer_rerunning(void)
{
    return writer_rerunning;
}

struct store_writer {
    store_t *st;
    bool lose_commits; /* fault test: report every COMMIT as lost (writer.h) */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    writer_job_t *head, *tail; /* queued, oldest first */
    bool stopping;
    bool started;
    store_writer_stats_t stats;
};

static void
job_deliver(evutil_socket_t fd, short what, void *arg)
{
    writer_job_t *j = arg;
    (void)fd;
    (void)what;
    j->done(j->rc, &j->err, j->arg);
    free(j);
}

/* Hand the job back to its loop. event_base_once is thread-safe once evthread is on
 * (http/server.c turns it on before any loop exists). */
static void
job_post(writer_job_t *j)
{
    static const struct timeval now = {0, 0};
    if (event_base_once(j->base, -1, EV_TIMEOUT, job_deliver, j, &now) != 0) {
        /* Only when out of memory: run it here rather than lose the reply. */
        wx_log(WX_LOG_ERROR, "store_writer_post_failed", NULL);
        job_deliver(-1, 0, j);
    }
}

/* Run one job inside the open transaction, in a savepoint of its own. */
static void
job_run_nested(store_t *st, writer_job_t *j)
{
    memset(&j->err, 0, sizeof(j->err));
    j->rc = store_tx_begin(st, &j->err);
    if (j->rc != WX_OK)
        return;
    j->rc = j->run(st, j->arg, &j->err);
    if (j->rc == WX_OK) {
        j->rc = store_tx_commit(st, &j->err);
        if (j->rc == WX_OK)
            return;
    }
    store_tx_rollback(st);
}

/* Run a batch in one transaction; when that cannot commit, run each job alone. */
static void
batch_run(store_writer_t *w, writer_job_t *batch, size_t n)
{
    wx_err_t err = {0};
    bool committed = false;
    if (store_tx_begin(w->st, &err) == WX_OK) {
        for (writer_job_t *j = batch; j; j = j->next)
            job_run_nested(w->st, j);
        if (store_tx_commit(w->st, &err) != WX_OK) {
            store_tx_rollback(w->st);
        } else if (w->lose_commits) {
            wx_err_set(&err, WX_ESTORE, "test fault: the COMMIT's answer was lost");
        } else {
            committed = true;
        }
    }
    if (!committed) {
        wx_log(WX_LOG_WARN, "store_batch_failed", "error", err.msg, "detail", err.detail, NULL);
        writer_rerunning = true;
        for (writer_job_t *j = batch; j; j = j->next) {
            job_run_nested(w->st, j); /* no outer transaction: the savepoint is the transaction */
            w->stats.rerun++;
        }
        writer_rerunning = false;
    }
    int64_t now_us = wx_mono_us();
    pthread_mutex_lock(&w->mu);
    for (writer_job_t *j = batch; j; j = j->next)
        prom_hist_observe(&w->stats.latency, (uint64_t)(now_us - j->submitted_us));
    w->stats.jobs += n;
    w->stats.batches++;
    if (n > w->stats.max_batch)
        w->stats.max_batch = n;
    pthread_mutex_unlock(&w->mu);
    for (writer_job_t *j = batch, *next; j; j = next) {
        next = j->next;
        job_post(j);
    }
}

static void *
writer_main(void *arg)
{
    store_writer_t *w = arg;
    for (;;) {
        pthread_mutex_lock(&w->mu);
        while (!w->head && !w->stopping)
            pthread_cond_wait(&w->cv, &w->mu);
        if (!w->head) { /* stopping, nothing left */
            pthread_mutex_unlock(&w->mu);
            break;
        }
        writer_job_t *batch = w->head, *last = w->head;
        size_t n = 1;
        while (last->next && n < WRITER_BATCH_MAX) {
            last = last->next;
            n++;
        }
        w->head = last->next;
        if (!w->head)
            w->tail = NULL;
        last->next = NULL;
        pthread_mutex_unlock(&w->mu);
        batch_run(w, batch, n);
    }
    return NULL;
}

wx_status_t
store_writer_start(const char *url, store_writer_t **out, wx_err_t *err)
{
    wx_status_t rc = WX_OK;
    store_writer_t *w = calloc(1, sizeof(*w));
    *out = NULL;
    if (!w)
        return wx_err_set(err, WX_ENOMEM, "out of memory");
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    if ((rc = store_open(url, &w->st, err)) != WX_OK)
        goto out;
    store_mark_writer(w->st);
    const char *lose = getenv("WXAUTH_TEST_LOSE_COMMIT");
    w->lose_commits = lose && strcmp(lose, "1") == 0;
    if (w->lose_commits)
        wx_log(WX_LOG_WARN, "test_fault_lose_commit", NULL);
    if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
        rc = wx_err_set(err, WX_EIO, "cannot start the store writer thread");
        goto out;
    }
    w->started = true;
    *out = w;
    w = NULL;
out:
    if (w) {
        store_close(w->st);
        pthread_mutex_destroy(&w->mu);
        pthread_cond_destroy(&w->cv);
        free(w);
    }
    return rc;
}

wx_status_t
store_writer_submit(store_writer_t *w, struct event_base *base, store_job_run_fn run,
                    store_job_done_fn done, void *arg, wx_err_t *err)
{
    writer_job_t *j = calloc(1, sizeof(*j));
    if (!j)
        return wx_err_set(err, WX_ENOMEM, "out of memory");
    *j = (writer_job_t){
        .base = base, .run = run, .done = done, .arg = arg, .submitted_us = wx_mono_us()};
    pthread_mutex_lock(&w->mu);
    if (w->stopping) {
        pthread_mutex_unlock(&w->mu);
        free(j);
        return wx_err_set(err, WX_EBUSY, "the server is stopping");
    }
    if (w->tail)
        w->tail->next = j;
    else
        w->head = j;
    w->tail = j;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    return WX_OK;
}

void
store_writer_stats(store_writer_t *w, store_writer_stats_t *out)
{
    pthread_mutex_lock(&w->mu);
    *out = w->stats;
    pthread_mutex_unlock(&w->mu);
}

void
store_writer_stop(store_writer_t *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->stopping = true;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    if (w->started)
        pthread_join(w->thread, NULL);
    store_close(w->st);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    free(w);
}
