/* The store's readers (issue #11): a few threads, each with its own store connection, that run
 * the reads of the event loops when the store is across a network (PostgreSQL). A loop hands
 * a job over and goes on serving; the job's `done` comes back on that loop, as with the
 * writer (writer.h). So a slow or stuck database delays the requests that need it, never the
 * others of the same loop (/healthz, the JWKS, a login waiting on WeChat).
 *
 * A job's `run` executes on a reader thread with that thread's store_t and must touch nothing
 * the submitting loop uses meanwhile; `done` then runs on the submitting loop. Jobs are taken
 * oldest first by whichever reader is free. */
#ifndef WX_STORE_READERS_H
#define WX_STORE_READERS_H

#include "../util/prom.h"
#include "store.h"
#include "writer.h"

struct event_base;

typedef struct store_readers store_readers_t;

typedef struct {
    uint64_t jobs;   /* jobs run */
    uint64_t queued; /* jobs waiting for a reader right now */
    /* Each job, from its submit until it ended (queue included): GET /metrics. */
    prom_hist_t latency;
} store_readers_stats_t;

/* Opens n connections to url (one per thread) and starts the threads. */
wx_status_t store_readers_start(const char *url, int n, store_readers_t **out, wx_err_t *err);
/* Queue a job. WX_OK: done will be called exactly once, on base's loop. Otherwise (stopping,
 * out of memory) nothing was queued and done is never called. */
wx_status_t store_readers_submit(store_readers_t *p, struct event_base *base, store_job_run_fn run,
                                 store_job_done_fn done, void *arg, wx_err_t *err);
void store_readers_stats(store_readers_t *p, store_readers_stats_t *out);
/* Runs what is queued, then stops the threads and closes their connections. The event loops
 * must still exist (the done callbacks are queued to them). */
void store_readers_stop(store_readers_t *p);

#endif
