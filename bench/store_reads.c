/* wxbench_store_reads: how an event loop should read PostgreSQL (issue #11 item 1), measured.
 * The same read — the revocation check every token endpoint makes (sql.c STMT_TOKEN_REVOKED) —
 * is issued by one libevent loop in a closed loop of N outstanding reads, for a fixed time:
 *   async: libpq's non-blocking API on the loop, C connections, each watched by the loop;
 *   pool:  handed to store/readers.c (C threads, a connection each), completions back on the
 *          loop, as wxauthd does;
 *   sync:  the store call made on the loop itself, one at a time (what wxauthd does on SQLite).
 * A sqlite: URL runs sync and pool only.
 * Prints reads per second and the latency (submit to completion on the loop) per mode; the
 * loop's own CPU time tells what each costs the loop that also serves HTTP.
 *   usage: wxbench_store_reads URL [seconds=3] [conns=4] [inflight...=1 16 64]
 * Numbers are ratios on one machine; docs/deployment.md has a run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <event2/event.h>
#include <event2/thread.h>
#include <libpq-fe.h>

#include "store/readers.h"
#include "store/store.h"
#include "util/clock.h"

#define SAMPLES_MAX (1u << 22)
#define CONNS_MAX 32

/* The statement of sql.c STMT_TOKEN_REVOKED, with the store's arguments: text and int8. */
static const char rev_sql[] =
    "SELECT EXISTS (SELECT 1 FROM revocations WHERE jti = $1) OR NOT EXISTS (SELECT 1 FROM "
    "users WHERE pool_id = $2 AND id = $3 AND blocked = 0 AND tokens_valid_after < $4)";

typedef struct {
    struct event_base *base;
    int64_t end_us;
    uint32_t *lat_us; /* samples */
    size_t n;
    uint64_t done;
    bool stopping;
    int outstanding;
} run_t;

static void
sample(run_t *r, int64_t t0)
{
    int64_t d = wx_mono_us() - t0;
    if (r->n < SAMPLES_MAX)
        r->lat_us[r->n++] = (uint32_t)(d > 0 ? d : 0);
    r->done++;
}

static int
cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static double
cpu_s(void)
{
    struct rusage u;
    getrusage(RUSAGE_THREAD, &u);
    return (double)u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 + (double)u.ru_stime.tv_sec +
           u.ru_stime.tv_usec / 1e6;
}

static void
report(const char *mode, int conns, int inflight, run_t *r, double secs, double loop_cpu)
{
    qsort(r->lat_us, r->n, sizeof(r->lat_us[0]), cmp_u32);
    uint32_t p50 = r->n ? r->lat_us[r->n / 2] : 0, p99 = r->n ? r->lat_us[r->n * 99 / 100] : 0;
    printf("| %-5s | %5d | %8d | %9.0f | %7.3f | %7.3f | %9.1f |\n", mode, conns, inflight,
           (double)r->done / secs, p50 / 1000.0, p99 / 1000.0,
           r->done ? loop_cpu * 1e6 / (double)r->done : 0.0);
}

/* ---- (a) libpq non-blocking on the loop ---- */

typedef struct {
    run_t *r;
    PGconn *pg;
    struct event *ev;
    bool busy;
    int64_t t0;
} aconn_t;

typedef struct {
    aconn_t c[CONNS_MAX];
    int nconns;
    int waiting; /* reads not yet on a connection */
    int64_t wait_t0[4096];
    int wait_head;
} async_t;

static async_t A;

static const char *const rev_args[] = {"no-such-jti", "demo", "no-such-user", "1"};

static void async_dispatch(void);

static void
async_send(aconn_t *c, int64_t t0)
{
    c->busy = true;
    c->t0 = t0;
    if (!PQsendQueryPrepared(c->pg, "rev", 4, rev_args, NULL, NULL, 0)) {
        fprintf(stderr, "send: %s", PQerrorMessage(c->pg));
        exit(1);
    }
    PQflush(c->pg);
}

static void
async_on_read(evutil_socket_t fd, short what, void *arg)
{
    aconn_t *c = arg;
    (void)fd;
    (void)what;
    if (!PQconsumeInput(c->pg)) {
        fprintf(stderr, "consume: %s", PQerrorMessage(c->pg));
        exit(1);
    }
    while (c->busy && !PQisBusy(c->pg)) {
        PGresult *res = PQgetResult(c->pg);
        if (res) {
            if (PQresultStatus(res) != PGRES_TUPLES_OK) {
                fprintf(stderr, "query: %s", PQresultErrorMessage(res));
                exit(1);
            }
            PQclear(res);
            continue;
        }
        c->busy = false; /* NULL: the query is over */
        sample(c->r, c->t0);
        c->r->outstanding--;
        if (wx_mono_us() < c->r->end_us) { /* the client sends its next read */
            A.wait_t0[(A.wait_head + A.waiting) % 4096] = wx_mono_us();
            A.waiting++;
            c->r->outstanding++;
        }
        async_dispatch();
    }
    if (c->r->outstanding == 0)
        event_base_loopbreak(c->r->base);
}

static void
async_dispatch(void)
{
    for (int i = 0; i < A.nconns && A.waiting > 0; i++) {
        if (A.c[i].busy)
            continue;
        int64_t t0 = A.wait_t0[A.wait_head];
        A.wait_head = (A.wait_head + 1) % 4096;
        A.waiting--;
        async_send(&A.c[i], t0);
    }
}

static void
run_async(const char *url, int secs, int conns, int inflight, uint32_t *lat)
{
    run_t r = {.lat_us = lat};
    memset(&A, 0, sizeof(A));
    r.base = event_base_new();
    A.nconns = conns;
    for (int i = 0; i < conns; i++) {
        aconn_t *c = &A.c[i];
        c->r = &r;
        c->pg = PQconnectdb(url);
        if (PQstatus(c->pg) != CONNECTION_OK) {
            fprintf(stderr, "connect: %s", PQerrorMessage(c->pg));
            exit(1);
        }
        Oid types[4] = {25, 25, 25, 20};
        PGresult *p = PQprepare(c->pg, "rev", rev_sql, 4, types);
        PQclear(p);
        PQsetnonblocking(c->pg, 1);
        c->ev = event_new(r.base, PQsocket(c->pg), EV_READ | EV_PERSIST, async_on_read, c);
        event_add(c->ev, NULL);
    }
    int64_t start = wx_mono_us();
    r.end_us = start + (int64_t)secs * 1000000;
    for (int i = 0; i < inflight; i++) {
        A.wait_t0[(A.wait_head + A.waiting) % 4096] = start;
        A.waiting++;
        r.outstanding++;
    }
    double cpu0 = cpu_s();
    async_dispatch();
    event_base_dispatch(r.base);
    double el = (double)(wx_mono_us() - start) / 1e6;
    report("async", conns, inflight, &r, el, cpu_s() - cpu0);
    for (int i = 0; i < conns; i++) {
        event_free(A.c[i].ev);
        PQfinish(A.c[i].pg);
    }
    event_base_free(r.base);
}

/* ---- (b) the reader pool ---- */

typedef struct {
    run_t *r;
    store_readers_t *p;
    int64_t t0;
    bool revoked;
} pjob_t;

static wx_status_t
pool_run(store_t *st, void *arg, wx_err_t *err)
{
    pjob_t *j = arg;
    return store_token_revoked(st, "no-such-jti", "demo", "no-such-user", 1, &j->revoked, err);
}

static void
pool_done(wx_status_t rc, const wx_err_t *err, void *arg)
{
    pjob_t *j = arg;
    run_t *r = j->r;
    wx_err_t e2 = {0};
    if (rc != WX_OK) {
        fprintf(stderr, "read: %s %s\n", err->msg, err->detail);
        exit(1);
    }
    sample(r, j->t0);
    if (wx_mono_us() < r->end_us) {
        j->t0 = wx_mono_us();
        if (store_readers_submit(j->p, r->base, pool_run, pool_done, j, &e2) == WX_OK)
            return;
    }
    free(j);
    if (--r->outstanding == 0)
        event_base_loopbreak(r->base);
}

static void
run_pool(const char *url, int secs, int conns, int inflight, uint32_t *lat)
{
    run_t r = {.lat_us = lat};
    store_readers_t *p = NULL;
    wx_err_t err = {0};
    if (store_readers_start(url, conns, &p, &err) != WX_OK) {
        fprintf(stderr, "readers: %s %s\n", err.msg, err.detail);
        exit(1);
    }
    r.base = event_base_new();
    /* Keeps the loop running while every read is with a reader thread. */
    struct event *keep = event_new(r.base, -1, EV_PERSIST, NULL, NULL);
    struct timeval hour = {3600, 0};
    event_add(keep, &hour);
    int64_t start = wx_mono_us();
    r.end_us = start + (int64_t)secs * 1000000;
    double cpu0 = cpu_s();
    for (int i = 0; i < inflight; i++) {
        pjob_t *j = calloc(1, sizeof(*j));
        *j = (pjob_t){.r = &r, .p = p, .t0 = wx_mono_us()};
        r.outstanding++;
        store_readers_submit(p, r.base, pool_run, pool_done, j, &err);
    }
    event_base_dispatch(r.base);
    double el = (double)(wx_mono_us() - start) / 1e6;
    report("pool", conns, inflight, &r, el, cpu_s() - cpu0);
    store_readers_stop(p);
    event_free(keep);
    event_base_free(r.base);
}

/* ---- (c) on the loop, blocking: what wxauthd does on SQLite (and did on PostgreSQL) ---- */

static void
run_sync(const char *url, int secs, uint32_t *lat)
{
    run_t r = {.lat_us = lat};
    store_t *st = NULL;
    wx_err_t err = {0};
    bool revoked;
    if (store_open(url, &st, &err) != WX_OK) {
        fprintf(stderr, "store: %s %s\n", err.msg, err.detail);
        exit(1);
    }
    int64_t start = wx_mono_us(), end = start + (int64_t)secs * 1000000;
    double cpu0 = cpu_s();
    while (wx_mono_us() < end) {
        int64_t t0 = wx_mono_us();
        if (store_token_revoked(st, "no-such-jti", "demo", "no-such-user", 1, &revoked, &err) !=
            WX_OK) {
            fprintf(stderr, "read: %s %s\n", err.msg, err.detail);
            exit(1);
        }
        sample(&r, t0);
    }
    double el = (double)(wx_mono_us() - start) / 1e6;
    report("sync", 1, 1, &r, el, cpu_s() - cpu0);
    store_close(st);
}

int
main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s postgresql://... [seconds] [conns] [inflight...]\n", argv[0]);
        return 2;
    }
    const char *url = argv[1];
    int secs = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 3;
    int conns = argc > 3 ? (int)strtol(argv[3], NULL, 10) : 4;
    int levels[16] = {1, 16, 64}, nlevels = 3;
    if (argc > 4) {
        nlevels = 0;
        for (int i = 4; i < argc && nlevels < 16; i++)
            levels[nlevels++] = (int)strtol(argv[i], NULL, 10);
    }
    if (secs < 1 || conns < 1 || conns > CONNS_MAX) {
        fprintf(stderr, "seconds >= 1, 1 <= conns <= %d\n", CONNS_MAX);
        return 2;
    }
    evthread_use_pthreads();
    store_t *st = NULL;
    wx_err_t err = {0};
    if (store_open(url, &st, &err) != WX_OK) { /* migrates a fresh database */
        fprintf(stderr, "store: %s %s\n", err.msg, err.detail);
        return 1;
    }
    store_close(st);
    uint32_t *lat = malloc(SAMPLES_MAX * sizeof(*lat));
    if (!lat)
        return 1;
    printf("| mode  | conns | inflight |  reads/s  | p50 ms  | p99 ms  | loop µs/read |\n"
           "|-------|------:|---------:|----------:|--------:|--------:|----------:|\n");
    run_sync(url, secs, lat);
    for (int i = 0; i < nlevels; i++) {
        if (levels[i] < 1 || levels[i] > 4000)
            continue;
        if (store_is_network(url))
            run_async(url, secs, conns, levels[i], lat);
        run_pool(url, secs, conns, levels[i], lat);
    }
    free(lat);
    return 0;
}
