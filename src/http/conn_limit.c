/* Connection limits. libevent 2.1's evhttp accepts connections itself and has no hook between
 * accept() and its connection object, so we see each new connection through evhttp's
 * bufferevent callback (called at accept) and check it in the same loop turn, before any of
 * its bytes are read: over a cap, it gets a minimal 503 and is closed. A tracked connection
 * holds evhttp's close callback (others chain through http_conns_set_closecb), a deadline
 * timer for the request being read, and a slot in a table indexed by its fd, so that dispatch
 * finds it in O(1). Counts are per server, shared by its workers: wxauthd's public listener has
 * one, the admin listener a small one of its own, and the public one's derived total leaves
 * room for it (reserve_extra). */
#include "conn_limit.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>

#include "../util/clock.h"
#include "../util/log.h"
#include "../util/rand.h"

/* accept() out of fds: try again after this long (a freed fd is picked up within it). */
#define ACCEPT_PAUSE_MS 100
/* The per-address cap when none is set: a NATed office or carrier address holds many clients,
 * but a fraction of the total cap would let a handful of addresses fill the server. */
#define DEFAULT_PER_ADDR 256
/* At the total cap: accept again after this long (then at most one connection, refused with a
 * 503, before pausing again; the rest wait in the kernel's queue). */
#define CAP_PAUSE_MS 10

typedef struct addr_ent {
    struct addr_ent *next;
    unsigned char ip[16]; /* IPv4 as ::ffff:a.b.c.d, IPv6 its /64 (http_conns_peer_key) */
    int count;
} addr_ent_t;

typedef struct conn {
    http_conns_worker_t *cw;
    struct evhttp_connection *evcon;
    struct bufferevent *bev;
    int fd;
    struct event *deadline;
    struct evbuffer_cb_entry *watch; /* the next request's first byte arms the deadline */
    addr_ent_t *addr;                /* NULL: not counted per address */
    void (*closecb)(struct evhttp_connection *, void *);
    void *closearg;
} conn_t;

/* At most n lines a window; the rest counted and reported with the next line let through. */
typedef struct {
    int64_t window;
    int n;
    int64_t dropped;
} ratelim_t;

struct http_conns {
    http_conns_config_t cfg;
    atomic_int open;
    atomic_llong refused_total, refused_addr, timed_out, accept_paused;
    pthread_mutex_t lock; /* the address table */
    addr_ent_t **buckets;
    size_t nbuckets;      /* a power of two, sized from max_total */
    uint64_t hash_key[2]; /* random: clients cannot choose addresses that share a bucket */
    _Atomic(conn_t *) *byfd;
    size_t nfd;
};

struct http_conns_worker {
    http_conns_t *c;
    struct event_base *base;
    struct evconnlistener *lev;
    struct event *check;  /* checks the connections accepted in this loop turn */
    struct event *resume; /* accepting again after a pause */
    struct bufferevent **fresh;
    size_t nfresh, capfresh;
    ratelim_t log_rl;   /* refusals and timeouts: loop thread only */
    ratelim_t pause_rl; /* accept pauses */
};

static _Thread_local http_conns_worker_t *tl_worker;

static bool
ratelim_take(ratelim_t *rl, int n, int window_ms, int64_t *dropped)
{
    int64_t w = wx_mono_ms() / window_ms;
    if (w != rl->window) {
        rl->window = w;
        rl->n = 0;
    }
    if (rl->n >= n) {
        rl->dropped++;
        return false;
    }
    rl->n++;
    *dropped = rl->dropped;
    rl->dropped = 0;
    return true;
}

wx_status_t
http_conns_raise_fd_limit(long *before, long *after, wx_err_t *err)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return wx_err_set(err, WX_EIO, "getrlimit(RLIMIT_NOFILE): %s", strerror(errno));
    *before = *after = (long)rl.rlim_cur;
    rlim_t want = rl.rlim_max;
    /* An unlimited hard limit cannot be the soft one on Linux: fs.nr_open is the real ceiling. */
    if (want == RLIM_INFINITY) {
        FILE *f = fopen("/proc/sys/fs/nr_open", "r");
        long n = 0;
        want = 1048576;
        if (f && fscanf(f, "%ld", &n) == 1 && n > 0)
            want = (rlim_t)n;
        if (f)
            fclose(f);
    }
    if (want <= rl.rlim_cur)
        return WX_OK;
    rl.rlim_cur = want;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
        return wx_err_set(err, WX_EIO, "setrlimit(RLIMIT_NOFILE, %ld): %s", (long)want,
                          strerror(errno));
    *after = (long)want;
    return WX_OK;
}

wx_status_t
http_conns_new(const http_conns_config_t *cfg, http_conns_t **out, wx_err_t *err)
{
    wx_status_t rc = WX_OK;
    struct rlimit rl = {0};
    http_conns_t *c = calloc(1, sizeof(*c));
    *out = NULL;
    if (!c)
        return wx_err_set(err, WX_ENOMEM, "out of memory");
    c->cfg = *cfg;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY ||
        rl.rlim_cur > (1u << 24))
        rl.rlim_cur = 1u << 24;
    long nofile = (long)rl.rlim_cur;
    if (c->cfg.max_total <= 0) {
        /* Room for what the app keeps open (outbound calls, store, log), at most half. */
        long reserve = 64 + (long)(cfg->workers > 0 ? cfg->workers : 1) * cfg->reserve_per_worker +
                       (cfg->reserve_extra > 0 ? cfg->reserve_extra : 0);
        if (reserve > nofile / 2)
            reserve = nofile / 2;
        long t = nofile - reserve;
        c->cfg.max_total = (int)(t < 16 ? 16 : t > 1000000000 ? 1000000000 : t);
    }
    if (c->cfg.max_per_addr <= 0)
        c->cfg.max_per_addr =
            c->cfg.max_total < DEFAULT_PER_ADDR ? c->cfg.max_total : DEFAULT_PER_ADDR;
    /* About one address per bucket at worst (each open connection has one). */
    c->nbuckets = 1024;
    while (c->nbuckets < (size_t)c->cfg.max_total && c->nbuckets < (1u << 22))
        c->nbuckets *= 2;
    c->nfd = (size_t)nofile;
    if (wx_rand_bytes(c->hash_key, sizeof(c->hash_key)) != WX_OK) {
        free(c);
        return wx_err_set(err, WX_EIO, "no randomness for the connection table's hash key");
    }
    c->buckets = calloc(c->nbuckets, sizeof(*c->buckets));
    /* One pointer per possible fd; pages never touched are never backed. */
    c->byfd = calloc(c->nfd, sizeof(*c->byfd));
    if (!c->buckets || !c->byfd || pthread_mutex_init(&c->lock, NULL) != 0) {
        free(c->buckets);
        free(c->byfd);
        free(c);
        return wx_err_set(err, WX_ENOMEM, "out of memory");
    }
    *out = c;
    return rc;
}

void
http_conns_free(http_conns_t *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->nbuckets; i++) {
        addr_ent_t *a = c->buckets[i];
        while (a) {
            addr_ent_t *next = a->next;
            free(a);
            a = next;
        }
    }
    pthread_mutex_destroy(&c->lock);
    free(c->buckets);
    free(c->byfd);
    free(c);
}

void
http_conns_stats(const http_conns_t *c, http_conns_stats_t *out)
{
    http_conns_t *m = (http_conns_t *)c; /* atomics are read only */
    out->open = atomic_load_explicit(&m->open, memory_order_relaxed);
    out->max_total = c->cfg.max_total;
    out->max_per_addr = c->cfg.max_per_addr;
    out->refused_total = atomic_load_explicit(&m->refused_total, memory_order_relaxed);
    out->refused_addr = atomic_load_explicit(&m->refused_addr, memory_order_relaxed);
    out->timed_out = atomic_load_explicit(&m->timed_out, memory_order_relaxed);
    out->accept_paused = atomic_load_explicit(&m->accept_paused, memory_order_relaxed);
}

/* ---- the per-address table (under c->lock) ---- */

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                                                   \
    do {                                                                                           \
        v0 += v1;                                                                                  \
        v1 = ROTL(v1, 13);                                                                         \
        v1 ^= v0;                                                                                  \
        v0 = ROTL(v0, 32);                                                                         \
        v2 += v3;                                                                                  \
        v3 = ROTL(v3, 16);                                                                         \
        v3 ^= v2;                                                                                  \
        v0 += v3;                                                                                  \
        v3 = ROTL(v3, 21);                                                                         \
        v3 ^= v0;                                                                                  \
        v2 += v1;                                                                                  \
        v1 = ROTL(v1, 17);                                                                         \
        v1 ^= v2;                                                                                  \
        v2 = ROTL(v2, 32);                                                                         \
    } while (0)

/* SipHash-2-4 of the 16-byte address under the table's random key: peers choose their
 * addresses (an IPv6 /64 holds 2^64), and with a public hash they could pick ones that all
 * land in one bucket and make every accept and close walk a long chain under the lock. */
static size_t
addr_hash(const http_conns_t *c, const unsigned char ip[16])
{
    uint64_t k0 = c->hash_key[0], k1 = c->hash_key[1], m[2];
    uint64_t v0 = k0 ^ 0x736f6d6570736575ull, v1 = k1 ^ 0x646f72616e646f6dull;
    uint64_t v2 = k0 ^ 0x6c7967656e657261ull, v3 = k1 ^ 0x7465646279746573ull;
    for (int i = 0; i < 2; i++) {
        m[i] = 0;
        for (int j = 7; j >= 0; j--) /* little-endian, as SipHash reads its input */
            m[i] = (m[i] << 8) | ip[i * 8 + j];
        v3 ^= m[i];
        SIPROUND;
        SIPROUND;
        v0 ^= m[i];
    }
    uint64_t b = (uint64_t)16 << 56;
    v3 ^= b;
    SIPROUND;
    SIPROUND;
    v0 ^= b;
    v2 ^= 0xff;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    return (size_t)((v0 ^ v1 ^ v2 ^ v3) & (c->nbuckets - 1));
}

size_t
http_conns_bucket(const http_conns_t *c, const unsigned char key[16], size_t *nbuckets)
{
    *nbuckets = c->nbuckets;
    return addr_hash(c, key);
}

/* The entry of ip with one more connection, or NULL when ip is at the cap (*over) or memory
 * is short. */
static addr_ent_t *
addr_take(http_conns_t *c, const unsigned char ip[16], bool *over)
{
    size_t h = addr_hash(c, ip);
    addr_ent_t *a;
    *over = false;
    pthread_mutex_lock(&c->lock);
    for (a = c->buckets[h]; a; a = a->next)
        if (memcmp(a->ip, ip, 16) == 0)
            break;
    if (a && a->count >= c->cfg.max_per_addr) {
        *over = true;
        a = NULL;
    } else if (a) {
        a->count++;
    } else if ((a = calloc(1, sizeof(*a))) != NULL) {
        memcpy(a->ip, ip, 16);
        a->count = 1;
        a->next = c->buckets[h];
        c->buckets[h] = a;
    }
    pthread_mutex_unlock(&c->lock);
    return a;
}

static void
addr_release(http_conns_t *c, addr_ent_t *a)
{
    pthread_mutex_lock(&c->lock);
    if (--a->count == 0) {
        addr_ent_t **p = &c->buckets[addr_hash(c, a->ip)];
        while (*p && *p != a)
            p = &(*p)->next;
        if (*p)
            *p = a->next;
        free(a);
    }
    pthread_mutex_unlock(&c->lock);
}

/* ---- connections ---- */

static void
log_limited(http_conns_worker_t *cw, const char *event, const char *addr)
{
    int64_t dropped = 0;
    char d[24];
    if (!ratelim_take(&cw->log_rl, 1, 1000, &dropped))
        return;
    wx_snprintf(d, sizeof(d), "%lld", (long long)dropped);
    wx_log(WX_LOG_WARN, event, "addr", addr, "#suppressed", dropped ? d : NULL, NULL);
}

/* A minimal answer written straight to the socket, then the connection closed. Best effort:
 * a client whose request is still unread may see a reset instead (documented). */
static void
conn_answer_close(struct evhttp_connection *evcon, int fd, const char *status, bool retry_after)
{
    char msg[160];
    if (wx_snprintf(msg, sizeof(msg),
                    "HTTP/1.1 %s\r\nContent-Length: 0\r\nConnection: close\r\n%s\r\n", status,
                    retry_after ? "Retry-After: 1\r\n" : ""))
        (void)send(fd, msg, strlen(msg), MSG_DONTWAIT | MSG_NOSIGNAL);
    evhttp_connection_free(evcon);
}

static void
conn_release(conn_t *cn)
{
    http_conns_t *c = cn->cw->c;
    if (cn->fd >= 0 && (size_t)cn->fd < c->nfd) {
        conn_t *expect = cn;
        atomic_compare_exchange_strong(&c->byfd[cn->fd], &expect, NULL);
    }
    if (cn->watch)
        evbuffer_remove_cb_entry(bufferevent_get_input(cn->bev), cn->watch);
    if (cn->addr)
        addr_release(c, cn->addr);
    atomic_fetch_sub(&c->open, 1);
    event_free(cn->deadline);
    free(cn);
}

static void
conn_closed(struct evhttp_connection *evcon, void *arg)
{
    conn_t *cn = arg;
    if (cn->closecb)
        cn->closecb(evcon, cn->closearg);
    conn_release(cn);
}

static void
deadline_arm(conn_t *cn)
{
    int ms = cn->cw->c->cfg.request_timeout_ms;
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    if (ms > 0)
        evtimer_add(cn->deadline, &tv);
}

/* The request's head and body did not arrive in time: 408 and close. */
static void
deadline_cb(evutil_socket_t fd, short what, void *arg)
{
    conn_t *cn = arg;
    char ip[INET6_ADDRSTRLEN + 8] = "";
    char *host = NULL;
    ev_uint16_t port = 0;
    atomic_fetch_add(&cn->cw->c->timed_out, 1);
    evhttp_connection_get_peer(cn->evcon, &host, &port);
    wx_strlcpy(ip, host ? host : "", sizeof(ip));
    log_limited(cn->cw, "request_timeout", ip);
    /* A reply still being written (kept-alive connection) must not get a 408 spliced into its
     * middle: then the connection is just closed. Frees cn (conn_closed). */
    if (evbuffer_get_length(bufferevent_get_output(cn->bev)) > 0)
        evhttp_connection_free(cn->evcon);
    else
        conn_answer_close(cn->evcon, cn->fd, "408 Request Timeout", false);
}

/* Bytes of the next request on a kept-alive connection: its deadline starts now. */
static void
watch_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
    conn_t *cn = arg;
    if (info->n_added == 0 && info->n_deleted == 0)
        return;
    evbuffer_cb_clear_flags(buf, cn->watch, EVBUFFER_CB_ENABLED);
    deadline_arm(cn);
}

bool
http_conns_peer_key(const struct sockaddr *sa, unsigned char key[16], char *txt, size_t n)
{
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
        memcpy(key, mapped, 12);
        memcpy(key + 12, &s4->sin_addr, 4);
        return inet_ntop(AF_INET, &s4->sin_addr, txt, (socklen_t)n) != NULL;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
        memcpy(key, &s6->sin6_addr, 16);
        /* One IPv6 host is usually given a whole /64 (as admin sign-in keys it too, with
         * wx_ip_client_key): count the /64, or each host has 2^64 addresses to spread over.
         * An IPv4-mapped address stays whole. */
        if (memcmp(key, mapped, 12) != 0)
            memset(key + 8, 0, 8);
        return inet_ntop(AF_INET6, &s6->sin6_addr, txt, (socklen_t)n) != NULL;
    }
    return false;
}

/* ip as a table key and as text from the socket's peer; false when it has none. */
static bool
peer_of(int fd, unsigned char key[16], char *txt, size_t n)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    if (getpeername(fd, (struct sockaddr *)&ss, &len) != 0)
        return false;
    return http_conns_peer_key((const struct sockaddr *)&ss, key, txt, n);
}

/* A connection evhttp has just accepted: count it, or refuse it. */
static void
conn_admit(http_conns_worker_t *cw, struct evhttp_connection *evcon, struct bufferevent *bev,
           int fd)
{
    http_conns_t *c = cw->c;
    unsigned char key[16];
    char ip[INET6_ADDRSTRLEN] = "";
    bool have_peer = peer_of(fd, key, ip, sizeof(ip)), over = false;
    addr_ent_t *a = NULL;
    conn_t *cn = NULL;
    if (atomic_fetch_add(&c->open, 1) >= c->cfg.max_total) {
        atomic_fetch_sub(&c->open, 1);
        atomic_fetch_add(&c->refused_total, 1);
        log_limited(cw, "connection_refused_total_cap", ip);
        conn_answer_close(evcon, fd, "503 Service Unavailable", true);
        return;
    }
    if (have_peer && !(c->cfg.trusted_proxies && c->cfg.trusted_proxies->n > 0 &&
                       wx_cidr_list_has(c->cfg.trusted_proxies, ip))) {
        a = addr_take(c, key, &over);
        if (over) {
            atomic_fetch_sub(&c->open, 1);
            atomic_fetch_add(&c->refused_addr, 1);
            log_limited(cw, "connection_refused_address_cap", ip);
            conn_answer_close(evcon, fd, "503 Service Unavailable", true);
            return;
        }
    }
    /* Tracked only if dispatch and http_conns_set_closecb can find it by its fd (an fd past
     * the table: an fd limit above 2^24). */
    cn = (size_t)fd < c->nfd ? calloc(1, sizeof(*cn)) : NULL;
    if (cn)
        cn->deadline = evtimer_new(cw->base, deadline_cb, cn);
    if (!cn || !cn->deadline) { /* out of memory: serve it untracked rather than drop it */
        free(cn);
        if (a)
            addr_release(c, a);
        atomic_fetch_sub(&c->open, 1);
        return;
    }
    cn->cw = cw;
    cn->evcon = evcon;
    cn->bev = bev;
    cn->fd = fd;
    cn->addr = a;
    cn->watch = evbuffer_add_cb(bufferevent_get_input(bev), watch_cb, cn);
    if (!cn->watch) { /* out of memory: untracked, as above */
        event_free(cn->deadline);
        free(cn);
        if (a)
            addr_release(c, a);
        atomic_fetch_sub(&c->open, 1);
        return;
    }
    evbuffer_cb_clear_flags(bufferevent_get_input(bev), cn->watch, EVBUFFER_CB_ENABLED);
    atomic_store(&c->byfd[fd], cn);
    evhttp_connection_set_closecb(evcon, conn_closed, cn);
    deadline_arm(cn);
}

/* The connections accepted in this loop turn; by now evhttp has made their connection
 * objects (the bufferevent's callback argument), and none has read a byte. */
static void
check_cb(evutil_socket_t fd_, short what, void *arg)
{
    http_conns_worker_t *cw = arg;
    for (size_t i = 0; i < cw->nfresh; i++) {
        struct bufferevent *bev = cw->fresh[i];
        void *cbarg = NULL;
        bufferevent_getcb(bev, NULL, NULL, NULL, &cbarg);
        int fd = (int)bufferevent_getfd(bev);
        if (cbarg && fd >= 0) /* else evhttp gave up on it already */
            conn_admit(cw, cbarg, bev, fd);
        bufferevent_decref(bev);
    }
    cw->nfresh = 0;
}

/* evhttp's bufferevent for a connection just accepted: the same one evhttp would make, held
 * (one reference) until check_cb has looked at it. */
static struct bufferevent *
bev_new(struct event_base *base, void *arg)
{
    http_conns_worker_t *cw = arg;
    struct bufferevent *bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    if (!bev)
        return NULL;
    if (cw->nfresh == cw->capfresh) {
        size_t n = cw->capfresh ? cw->capfresh * 2 : 64;
        struct bufferevent **p = realloc(cw->fresh, n * sizeof(*p));
        if (!p)
            return bev; /* untracked */
        cw->fresh = p;
        cw->capfresh = n;
    }
    bufferevent_incref(bev);
    cw->fresh[cw->nfresh++] = bev;
    if (cw->nfresh == 1)
        event_active(cw->check, EV_TIMEOUT, 1);
    /* libevent accepts until EAGAIN before check_cb runs: at the total cap, stop this batch
     * here (the listener is re-checked after CAP_PAUSE_MS), or a flood would hold one fd per
     * waiting connection until refused, eating the fds kept for outbound calls and the store. */
    if (cw->lev && (size_t)atomic_load_explicit(&cw->c->open, memory_order_relaxed) + cw->nfresh >=
                       (size_t)cw->c->cfg.max_total) {
        struct timeval tv = {0, CAP_PAUSE_MS * 1000};
        evconnlistener_disable(cw->lev);
        evtimer_add(cw->resume, &tv);
    }
    return bev;
}

static void
resume_cb(evutil_socket_t fd, short what, void *arg)
{
    http_conns_worker_t *cw = arg;
    if (cw->lev)
        evconnlistener_enable(cw->lev);
}

/* accept() failed for a reason that does not go away by itself (EMFILE, ENFILE, ENOBUFS,
 * ENOMEM): libevent would log it and try again at once, forever. Pause the listener instead;
 * waiting connections stay in the kernel's queue. */
static void
listener_error(struct evconnlistener *lev, void *arg)
{
    int e = EVUTIL_SOCKET_ERROR();
    http_conns_worker_t *cw = tl_worker;
    struct timeval tv = {0, ACCEPT_PAUSE_MS * 1000};
    if (!cw || !cw->lev || cw->lev != lev) {
        evconnlistener_disable(lev); /* not ours: never spin */
        return;
    }
    atomic_fetch_add(&cw->c->accept_paused, 1);
    evconnlistener_disable(lev);
    evtimer_add(cw->resume, &tv);
    int64_t dropped = 0;
    if (ratelim_take(&cw->pause_rl, 1, 10000, &dropped)) { /* one a 10 s is enough */
        char hint[128];
        wx_snprintf(hint, sizeof(hint),
                    "out of file descriptors: raise the open-file limit or lower [%s] "
                    "max_connections",
                    cw->c->cfg.section ? cw->c->cfg.section : "server");
        char d[24], ms[12];
        wx_snprintf(d, sizeof(d), "%lld", (long long)dropped);
        wx_snprintf(ms, sizeof(ms), "%d", ACCEPT_PAUSE_MS);
        wx_log(WX_LOG_WARN, "accept_paused", "error", strerror(e), "#pause_ms", ms, "hint",
               e == EMFILE || e == ENFILE ? hint : NULL, "#suppressed", dropped ? d : NULL, NULL);
    }
}

wx_status_t
http_conns_worker_new(http_conns_t *c, struct event_base *base, struct evhttp *http,
                      struct evconnlistener *lev, http_conns_worker_t **out, wx_err_t *err)
{
    http_conns_worker_t *cw = calloc(1, sizeof(*cw));
    *out = NULL;
    if (!cw)
        return wx_err_set(err, WX_ENOMEM, "out of memory");
    cw->c = c;
    cw->base = base;
    cw->lev = lev;
    cw->check = event_new(base, -1, 0, check_cb, cw);
    cw->resume = evtimer_new(base, resume_cb, cw);
    if (!cw->check || !cw->resume) {
        http_conns_worker_free(cw);
        return wx_err_set(err, WX_ENOMEM, "out of memory");
    }
    evhttp_set_bevcb(http, bev_new, cw);
    evconnlistener_set_error_cb(lev, listener_error);
    *out = cw;
    return WX_OK;
}

void
http_conns_worker_free(http_conns_worker_t *cw)
{
    if (!cw)
        return;
    for (size_t i = 0; i < cw->nfresh; i++)
        bufferevent_decref(cw->fresh[i]);
    free(cw->fresh);
    if (cw->check)
        event_free(cw->check);
    if (cw->resume)
        event_free(cw->resume);
    free(cw);
}

void
http_conns_worker_stop(http_conns_worker_t *cw)
{
    if (!cw)
        return;
    evtimer_del(cw->resume);
    cw->lev = NULL;
}

void
http_conns_worker_attach(http_conns_worker_t *cw)
{
    tl_worker = cw;
}

static conn_t *
conn_of(struct evhttp_connection *evcon)
{
    http_conns_worker_t *cw = tl_worker;
    struct bufferevent *bev = evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;
    int fd = bev ? (int)bufferevent_getfd(bev) : -1;
    if (!cw || fd < 0 || (size_t)fd >= cw->c->nfd)
        return NULL;
    conn_t *cn = atomic_load_explicit(&cw->c->byfd[fd], memory_order_relaxed);
    return cn && cn->evcon == evcon ? cn : NULL;
}

void
http_conns_request_read(struct evhttp_request *ev)
{
    conn_t *cn = conn_of(evhttp_request_get_connection(ev));
    if (!cn)
        return;
    evtimer_del(cn->deadline);
    if (cn->watch)
        evbuffer_cb_set_flags(bufferevent_get_input(cn->bev), cn->watch, EVBUFFER_CB_ENABLED);
}

void
http_conns_set_closecb(struct evhttp_connection *evcon,
                       void (*cb)(struct evhttp_connection *, void *), void *arg)
{
    conn_t *cn = conn_of(evcon);
    if (!cn && !tl_worker) {
        /* Off a worker's loop: whether it is tracked cannot be known, and overwriting
         * conn_closed would leak its counts. A bug of the caller: say so, change nothing. */
        wx_log(WX_LOG_ERROR, "conn_closecb_off_loop", NULL);
        return;
    }
    if (!cn) { /* on its loop and not found: untracked, evhttp's callback is free */
        evhttp_connection_set_closecb(evcon, cb, arg);
        return;
    }
    cn->closecb = cb;
    cn->closearg = arg;
}

/* ---- libevent's own log ---- */

static pthread_mutex_t evlog_lock = PTHREAD_MUTEX_INITIALIZER;
static ratelim_t evlog_rl;

/* libevent calls this from any thread, maybe with its locks held: no libevent call in here,
 * and a warning is written at once (never batched: a batch would schedule a loop event). */
static void
evlog_cb(int severity, const char *msg)
{
    int64_t dropped = 0;
    bool ok = true;
    /* An error is never dropped: libevent exits after some (event_errx), and that line is
     * the only word of why. */
    if (severity < EVENT_LOG_ERR) {
        pthread_mutex_lock(&evlog_lock);
        ok = ratelim_take(&evlog_rl, HTTP_CONNS_EVLOG_PER_SEC, 1000, &dropped);
        pthread_mutex_unlock(&evlog_lock);
    }
    if (!ok)
        return;
    char d[24];
    wx_snprintf(d, sizeof(d), "%lld", (long long)dropped);
    wx_log(severity >= EVENT_LOG_ERR ? WX_LOG_ERROR : WX_LOG_WARN, "libevent", "msg", msg,
           "#suppressed", dropped ? d : NULL, NULL);
}

void
http_conns_libevent_log_init(void)
{
    event_set_log_callback(evlog_cb);
}
