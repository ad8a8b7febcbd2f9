/* The store's one writer per process (issue #10). The login path's writes — a new state, a
 * claim, the end of a login — go to one thread with its own store connection. It takes every
 * job queued, runs them in one transaction, each inside its own savepoint (a job that fails is
 * undone alone), and commits once: one commit covers many logins (group commit), and the event
 * loops never wait on the database's write lock or sleep in its busy handler.
 *
 * A job's `run` executes on the writer thread with the writer's store_t; it may call any store_*
 * operation and must touch nothing the submitting loop uses meanwhile. Its `done` then runs on
 * the submitting event loop with run's status. When the batch's commit fails, each of its jobs
 * is run again alone, so one bad job never takes the others down with it.
 *
 * Fault test hook: WXAUTH_TEST_LOSE_COMMIT=1 in wxauthd's environment makes the writer report
 * every batch's COMMIT as failed after it succeeded, as when the connection dies with the
 * COMMIT's answer (tests/integration/test_lost_commit.c). Never set it in production. */
#ifndef WX_STORE_WRITER_H
#define WX_STORE_WRITER_H

#include "../util/prom.h"
#include "store.h"

struct event_base;

typedef struct store_writer store_writer_t;

typedef wx_status_t (*store_job_run_fn)(store_t *st, void *arg, wx_err_t *err);
typedef void (*store_job_done_fn)(wx_status_t rc, const wx_err_t *err, void *arg);

typedef struct {
    uint64_t jobs;      /* jobs run */
    uint64_t batches;   /* transactions committed */
    uint64_t rerun;     /* jobs run again alone after their batch failed to commit */
    uint64_t max_batch; /* most jobs in one transaction */
    /* Each job, from its submit until its batch ended (queue included): GET /metrics. */
    prom_hist_t latency;
} store_writer_stats_t;

/* Opens its own connection to url and starts the thread. */
wx_status_t store_writer_start(const char *url, store_writer_t **out, wx_err_t *err);
/* Queue a job. WX_OK: done will be called exactly once, on base's loop. Otherwise (the writer
 * is stopping, out of memory) nothing was queued and done is never called. */
wx_status_t store_writer_submit(store_writer_t *w, struct event_base *base, store_job_run_fn run,
                                store_job_done_fn done, void *arg, wx_err_t *err);
void store_writer_stats(store_writer_t *w, store_writer_stats_t *out);
/* On the writer thread, inside a job's run: true when the job runs again because its batch's
 * COMMIT failed. When the COMMIT was lost with the connection, its outcome is unknown: the
 * first run may have committed, and the job must recognise its own earlier write (a state it
 * created, claimed or finished) rather than fail as if another request had made it. */
bool store_writer_rerunning(void);
/* Runs what is queued, then stops the thread and closes the connection. The event loops must
 * still exist (their done callbacks are queued to them). */
void store_writer_stop(store_writer_t *w);

#endif
