/* The store writer (src/store/writer.h): jobs from several event loops run on one thread, in
 * batches that commit once; each job's `done` runs exactly once on the loop that submitted it;
 * a failing job is undone alone; a batch that cannot commit is rerun job by job. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>
#include <event2/thread.h>

#include "store/store.h"
#include "store/readers.h"
#include "store/writer.h"

#include "../tmp_db.h"
#include "util/rand.h"

#define LOOPS 2
#define JOBS_PER_LOOP 400
#define T0 1700000000

typedef struct {
    char path[1100];
    char url[1200];
    store_writer_t *w;
} fx_t;

typedef struct loop loop_t;

typedef struct {
    loop_t *loop;
    int n;
    bool fail; /* the job returns an error after writing */
    bool slow; /* the job sleeps, so that the others queue behind it */
    int done;  /* times done ran */
    pthread_t done_thread;
    wx_status_t rc;
    char state_id[64];
} job_t;

struct loop {
    fx_t *fx;
    struct event_base *base;
    pthread_t thread;
    int index;
    int pending;
    job_t jobs[JOBS_PER_LOOP];
};

static int
setup(void **state)
{
    fx_t *fx = calloc(1, sizeof(*fx));
    wx_err_t err = {0};
    assert_non_null(fx);
    wxt_tmp_db("writer", fx->path, sizeof(fx->path), fx->url, sizeof(fx->url));
    /* The pool the states belong to, written with a connection of its own. */
    store_t *st = NULL;
    assert_int_equal(store_open(fx->url, &st, &err), WX_OK);
    store_pool_t p = {.id = "wpool", .name = "writer"};
    assert_int_equal(store_pool_put(st, &p, &err), WX_OK);
    store_close(st);
    if (store_writer_start(fx->url, &fx->w, &err) != WX_OK)
        fail_msg("store_writer_start: %s / %s", err.msg, err.detail);
    *state = fx;
    return 0;
}

static int
teardown(void **state)
{
    fx_t *fx = *state;
    store_writer_stop(fx->w);
    wxt_tmp_db_remove(fx->path);
    free(fx);
    return 0;
}

static wx_status_t
job_run(store_t *st, void *arg, wx_err_t *err)
{
    job_t *j = arg;
    store_state_t s = {0};
    if (j->slow)
        usleep(50 * 1000);
    snprintf(s.id, sizeof(s.id), "%s", j->state_id);
    snprintf(s.pool_id, sizeof(s.pool_id), "wpool");
    snprintf(s.conn_identifier, sizeof(s.conn_identifier), "wechat");
    s.created_at = T0;
    s.expires_at = T0 + 600;
    wx_status_t rc = store_state_create(st, &s, err);
    if (rc == WX_OK && j->fail)
        rc = wx_err_set(err, WX_EINVAL, "this job fails on purpose");
    return rc;
}

static void
job_done(wx_status_t rc, const wx_err_t *err, void *arg)
{
    job_t *j = arg;
    (void)err;
    j->done++;
    j->rc = rc;
    j->done_thread = pthread_self();
    if (--j->loop->pending == 0)
        event_base_loopbreak(j->loop->base);
}

static void *
loop_main(void *arg)
{
    loop_t *lp = arg;
    wx_err_t err = {0};
    for (int i = 0; i < JOBS_PER_LOOP; i++) {
        job_t *j = &lp->jobs[i];
        j->loop = lp;
        j->n = i;
        j->slow = lp->index == 0 && i == 0;
        j->fail = i % 50 == 7;
        snprintf(j->state_id, sizeof(j->state_id), "s%dx%d", lp->index, i);
        lp->pending++;
        if (store_writer_submit(lp->fx->w, lp->base, job_run, job_done, j, &err) != WX_OK)
            lp->pending--;
    }
    /* Bounded: every done breaks the loop when the last one ran; 30 s at most. */
    struct timeval limit = {30, 0};
    event_base_loopexit(lp->base, &limit);
    event_base_dispatch(lp->base);
    return NULL;
}

static void
test_jobs_from_many_loops(void **state)
{
    fx_t *fx = *state;
    wx_err_t err = {0};
    static loop_t loops[LOOPS];
    memset(loops, 0, sizeof(loops));
    for (int i = 0; i < LOOPS; i++) {
        loops[i].fx = fx;
        loops[i].index = i;
        loops[i].base = event_base_new();
        assert_non_null(loops[i].base);
    }
    for (int i = 0; i < LOOPS; i++)
        assert_int_equal(pthread_create(&loops[i].thread, NULL, loop_main, &loops[i]), 0);
    for (int i = 0; i < LOOPS; i++)
        pthread_join(loops[i].thread, NULL);

    store_t *st = NULL;
    assert_int_equal(store_open(fx->url, &st, &err), WX_OK);
    for (int i = 0; i < LOOPS; i++) {
        assert_int_equal(loops[i].pending, 0);
        for (int k = 0; k < JOBS_PER_LOOP; k++) {
            job_t *j = &loops[i].jobs[k];
            assert_int_equal(j->done, 1);
            assert_true(pthread_equal(j->done_thread, loops[i].thread));
            assert_int_equal(j->rc, j->fail ? WX_EINVAL : WX_OK);
            /* A failed job left nothing; the others are committed. */
            store_state_t out;
            wx_status_t rc = store_state_claim(st, j->state_id, "", T0 + 1, &out, &err);
            assert_int_equal(rc, j->fail ? WX_ENOENT : WX_OK);
        }
        event_base_free(loops[i].base);
    }
    store_close(st);
    store_writer_stats_t stats;
    store_writer_stats(fx->w, &stats);
    assert_int_equal(stats.jobs, LOOPS * JOBS_PER_LOOP);
    /* The slow first job made the others queue: they committed together. */
    assert_true(stats.batches < stats.jobs / 2);
    assert_true(stats.max_batch > 10);
    assert_int_equal(stats.rerun, 0);
}

/* Stopping runs what is queued first; after it nothing is accepted. */
static void
test_stop_drains(void **state)
{
    fx_t *fx = *state;
    wx_err_t err = {0};
    static loop_t lp;
    memset(&lp, 0, sizeof(lp));
    lp.fx = fx;
    lp.base = event_base_new();
    for (int i = 0; i < 20; i++) {
        job_t *j = &lp.jobs[i];
        j->loop = &lp;
        snprintf(j->state_id, sizeof(j->state_id), "d%d", i);
        lp.pending++;
        assert_int_equal(store_writer_submit(fx->w, lp.base, job_run, job_done, j, &err), WX_OK);
    }
    store_writer_stop(fx->w);
    fx->w = NULL;
    struct timeval limit = {10, 0};
    event_base_loopexit(lp.base, &limit);
    event_base_dispatch(lp.base);
    for (int i = 0; i < 20; i++) {
        assert_int_equal(lp.jobs[i].done, 1);
        assert_int_equal(lp.jobs[i].rc, WX_OK);
    }
    event_base_free(lp.base);
    assert_int_equal(store_writer_start(fx->url, &fx->w, &err), WX_OK);
}

/* Keeps the writer busy: each done submits the next job until `stop`. */
typedef struct {
    fx_t *fx;
    struct event_base *base;
    atomic_bool stop;
    atomic_int n;
    int outstanding; /* submitted, done not yet run (loop thread only) */
    job_t job;       /* used on the writer thread only */
} busy_t;

/* The loop ends once stopped and every job's done has run: none is left for a freed base. */
static void
busy_settle(busy_t *b)
{
    if (--b->outstanding == 0 && atomic_load(&b->stop))
        event_base_loopbreak(b->base);
}

static void
busy_ignore(wx_status_t rc, const wx_err_t *err, void *arg)
{
    (void)rc;
    (void)err;
    busy_settle(arg);
}

static void busy_next(busy_t *b);

static void
busy_done(wx_status_t rc, const wx_err_t *err, void *arg)
{
    busy_t *b = arg;
    (void)rc;
    (void)err;
    if (!atomic_load(&b->stop))
        busy_next(b);
    busy_settle(b);
}

static wx_status_t
busy_run(store_t *st, void *arg, wx_err_t *err)
{
    busy_t *b = arg;
    snprintf(b->job.state_id, sizeof(b->job.state_id), "b%d", atomic_fetch_add(&b->n, 1));
    wx_status_t rc = job_run(st, &b->job, err);
    usleep(2000); /* a batch that holds the write lock a while */
    return rc;
}

static void
busy_next(busy_t *b)
{
    wx_err_t err = {0};
    /* Several in the queue, so the writer goes from one batch straight to the next. */
    for (int i = 0; i < 16; i++) {
        if (store_writer_submit(b->fx->w, b->base, busy_run, i == 0 ? busy_done : busy_ignore, b,
                                &err) != WX_OK)
            return;
        b->outstanding++;
    }
}

static void *
busy_main(void *arg)
{
    busy_t *b = arg;
    busy_next(b);
    struct timeval limit = {30, 0};
    event_base_loopexit(b->base, &limit);
    event_base_dispatch(b->base);
    return NULL;
}

/* Another connection of the process can still write while the writer runs batch after batch
 * (an admin change under load): it is let in, quickly, never starved into a busy timeout. */
static void
test_other_writers_not_starved(void **state)
{
    fx_t *fx = *state;
    static busy_t b;
    memset(&b, 0, sizeof(b));
    b.fx = fx;
    b.base = event_base_new();
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, busy_main, &b), 0);
    usleep(50 * 1000);
    store_t *st = NULL;
    wx_err_t err = {0};
    assert_int_equal(store_open(fx->url, &st, &err), WX_OK);
    /* At least 20 writes, and more until the writer has run over 20 jobs meanwhile: its pace
     * depends on the machine's load (and on ThreadSanitizer), so the count is waited for, not
     * assumed from a rate. Bounded: 2000 writes. */
    for (int i = 0; i < 20 || (atomic_load(&b.n) <= 20 && i < 2000); i++) {
        store_pool_t p = {.name = "other"};
        snprintf(p.id, sizeof(p.id), "other%d", i);
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        if (store_pool_put(st, &p, &err) != WX_OK)
            fail_msg("write %d next to the writer: %s / %s", i, err.msg, err.detail);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
        assert_true(ms < 1000); /* the busy timeout is 5 s: being let in takes a batch or two */
    }
    store_close(st);
    atomic_store(&b.stop, true);
    pthread_join(t, NULL);
    event_base_free(b.base);
    assert_true(atomic_load(&b.n) > 20); /* the writer was busy meanwhile */
}

/* ---- readers ---- */

typedef struct {
    struct event_base *base;
    int done;
} rjob_t;

/* A buggy job: opens a transaction, writes, and returns without ending it. */
static wx_status_t
leaky_run(store_t *st, void *arg, wx_err_t *err)
{
    (void)arg;
    store_audit_t a = {.at = T0, .actor = "t", .action = "leaky", .outcome = "ok"};
    wx_status_t rc = store_tx_begin(st, err);
    return rc == WX_OK ? store_audit_add(st, &a, err) : rc;
}

static wx_status_t
plain_run(store_t *st, void *arg, wx_err_t *err)
{
    (void)arg;
    store_audit_t a = {.at = T0, .actor = "t", .action = "plain", .outcome = "ok"};
    return store_audit_add(st, &a, err);
}

static void
rjob_done(wx_status_t rc, const wx_err_t *err, void *arg)
{
    rjob_t *j = arg;
    (void)rc;
    (void)err;
    j->done++;
    event_base_loopbreak(j->base);
}

static void
reader_run_one(store_readers_t *rd, rjob_t *j, store_job_run_fn run)
{
    wx_err_t err = {0};
    j->done = 0;
    assert_int_equal(store_readers_submit(rd, j->base, run, rjob_done, j, &err), WX_OK);
    for (int i = 0; i < 5000 && !j->done; i++) { /* bounded: 5 s */
        event_base_loop(j->base, EVLOOP_NONBLOCK);
        if (!j->done)
            usleep(1000);
    }
    assert_int_equal(j->done, 1);
}

/* A reader's connection serves job after job: a transaction one of them left open must not
 * swallow the next one's writes (they would stay invisible to every other connection). */
static void
test_reader_job_left_tx_open(void **state)
{
    fx_t *fx = *state;
    wx_err_t err = {0};
    store_readers_t *rd = NULL;
    assert_int_equal(store_readers_start(fx->url, 1, &rd, &err), WX_OK);
    rjob_t j = {.base = event_base_new()};
    assert_non_null(j.base);
    reader_run_one(rd, &j, leaky_run);
    reader_run_one(rd, &j, plain_run);
    store_t *st = NULL;
    int64_t leaky = -1, plain = -1;
    assert_int_equal(store_open(fx->url, &st, &err), WX_OK);
    assert_int_equal(store_audit_count(st, "plain", &plain, &err), WX_OK);
    assert_int_equal(store_audit_count(st, "leaky", &leaky, &err), WX_OK);
    store_close(st);
    store_readers_stop(rd);
    event_base_free(j.base);
    assert_int_equal(plain, 1); /* seen by another connection at once */
    assert_int_equal(leaky, 0); /* the unfinished transaction was rolled back */
}

int
main(void)
{
    evthread_use_pthreads();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_jobs_from_many_loops, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_drains, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_writers_not_starved, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reader_job_left_tx_open, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
