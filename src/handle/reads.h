/* Store reads of the event loops. With PostgreSQL they run on the store's reader threads
 * (store/readers.h), so a slow database never stalls a loop; with SQLite (a local file in
 * WAL mode, no network) they run at once on the loop, which measured faster (docs/
 * deployment.md). Either way the caller is a continuation: `done` gets the result on the
 * loop, maybe before handle_read returns, so nothing may touch arg after calling it.
 * `run` gets a store_t of its own and must read only what arg holds. */
#ifndef WX_HANDLE_READS_H
#define WX_HANDLE_READS_H

#include "ctx.h"

#include "../proto/desktop_methods.h"

void handle_read(http_worker_t *w, store_job_run_fn run, store_job_done_fn done, void *arg);

/* Pool, connection and (when app_id is set) application of a login, as the login path reads
 * them: pool and connection through the worker's conf cache (conf_cache.h), the application
 * always from the store. Inputs: pool_id (may be "" when app_id names the application: then
 * its pool), identifier ("" for the pool's default connection), app_id ("" for none). */
typedef struct {
    char pool_id[STORE_ID_MAX];
    char identifier[STORE_IDENT_MAX];
    char app_id[STORE_ID_MAX];
    bool desktop; /* a computer's browser: see conf_conn_pick in reads.c */
    /* A computer's login naming its method (?desktop_method=, proto/desktop_methods.h):
     * DMETHOD_AUTO lets the pool decide. */
    desktop_method_t method;
    /* result: the named method has no connection to use here (the connection read is then
     * the one the pool would use for the login; start.c refuses it) */
    bool method_missing;
    /* results: the first failure, in the order app, pool, connection, decides rc */
    wx_status_t app_rc, pool_rc, conn_rc;
    wx_err_t err;
    store_app_t app;
    store_pool_t pool;
    store_conn_t conn;
    /* private */
    worker_ctx_t *ctx;
    bool need_pool, need_conn, ran;
    uint64_t gen;
    int64_t at_ms;
    void (*done)(void *arg);
    void *arg;
} conf_fetch_t;

/* Fill f's results, then call done(arg) on the loop (maybe at once). f must stay alive until
 * then; its secrets are cleansed by conf_fetch_clear. */
void conf_fetch(http_worker_t *w, conf_fetch_t *f, void (*done)(void *arg), void *arg);
void conf_fetch_clear(conf_fetch_t *f);

#endif
